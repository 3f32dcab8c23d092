"""Which type checkers a run finds and what they check: the lookups `verify` makes before it runs tsc (the
node_modules holding it, each patched file's project, the projects `tsc --build` checks together) and,
for the run memo, what the checkers would read beyond the scanned files (`typecheck_inputs`). Apart from
`verify` so that a run read back whole does not import the compiler loop (~50 ms of polar's 0.5 s).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from analyzer.codemods.pycheck import checker_inputs, stat_of

TS_EXT = (".ts", ".tsx", ".mts", ".cts")


def find_node_modules(root: Path) -> Path | None:
    """The node_modules holding tsc for a front-end root: IMPACT_NODE_MODULES, the root's, an ancestor's."""
    env = os.environ.get("IMPACT_NODE_MODULES")
    candidates = [Path(env)] if env else []
    candidates += [d / "node_modules" for d in (root, *root.parents)]
    for c in candidates:
        if (c / ".bin" / "tsc").exists():
            return c
    return None


_LOCKS = ("package.json", "package-lock.json", "yarn.lock", "pnpm-lock.yaml")
_INSTALLED = (".package-lock.json", ".modules.yaml", ".yarn-state.yml")  # node_modules' own record of an install
_ENV = ("IMPACT_NODE_MODULES", "IMPACT_TSC_SERVER")  # what the checkers read of impact's environment


def typecheck_inputs(roots: Mapping[str, Sequence[str]]) -> tuple[object, ...] | None:
    """What `verify_findings` reads beyond the scanned files, for the run memo (analyzer.cache.RunMemo):
    `roots` maps each absolute root to its scanned front-end files (root-relative). For every root, the
    Python checker and interpreter `pycheck` would find (`checker_inputs`); for every TypeScript project
    the files belong to, patched or not, the tsc it would find and what that tsc reads (`_tsc_inputs`).
    A checker found nowhere is recorded as such: that run writes its "not type-checked" lines, the same
    each time. None when it cannot be told cheaply (a checker whose packages are not listed)."""
    out: list[object] = [tuple((k, os.environ.get(k)) for k in _ENV)]
    for root_text, rels in sorted(roots.items()):
        root = Path(root_text)
        python = checker_inputs(root)
        if python is None:
            return None
        out += [root_text, python]
        # a file's project is its folder's nearest tsconfig.json: one file per folder tells them all
        folders = sorted({(Path(r).parent / "-").as_posix() for r in rels if r.endswith(TS_EXT)})
        projects, orphans = ts_projects(root, folders)
        out.append(bool(orphans))
        out += [(d.as_posix(), _tsc_inputs(root / d)) for d in sorted(build_groups(root, projects))]
    return tuple(out)


def _tsc_inputs(project: Path) -> tuple[object, ...] | None:
    """The tsc `find_node_modules` finds for a project (None: none, the run says so) by real path, size
    and mtime, with its version (typescript/package.json), node, the project's tsconfig*.json and those of
    the projects it references (relative `extends` followed), and the package manifests and lockfiles from
    the project up to the repository's top and in node_modules (an install rewrites them)."""
    node_modules = find_node_modules(project)
    if node_modules is None:
        return None
    node = shutil.which("node")
    configs: set[Path] = set()
    for folder in (project.resolve(), *sorted(_closure(project / "tsconfig.json"))):
        for config in folder.glob("tsconfig*.json"):
            _extends(config, configs)
    ups = []
    for d in (project, *project.parents):
        ups.append(d)
        if (d / ".git").exists():
            break
    return (stat_of(node_modules / ".bin" / "tsc", real=True), stat_of(node_modules / "typescript" / "package.json"),
            stat_of(Path(node), real=True) if node else None, [stat_of(c) for c in sorted(configs)],
            [stat_of(node_modules / n) for n in _INSTALLED],
            [stat_of(d / n) for d in dict.fromkeys((*ups, node_modules.parent)) for n in _LOCKS])


def _extends(config: Path, seen: set[Path], depth: int = 8) -> None:
    """A tsconfig and the configs it extends by a relative path (a package's is in node_modules, whose
    install the lockfiles stand for)."""
    if config in seen or depth == 0 or not config.is_file():
        return
    seen.add(config)
    data = _read_config(config)
    parents = data.get("extends") if data is not None else None
    for parent in [parents] if isinstance(parents, str) else parents if isinstance(parents, list) else []:
        if isinstance(parent, str) and parent.startswith("."):
            path = config.parent / parent
            _extends(path if path.suffix == ".json" else path.with_name(path.name + ".json"), seen, depth - 1)


def ts_projects(root: Path, paths: list[str]) -> tuple[dict[Path, list[str]], list[str]]:
    """Group root-relative front-end paths by their TypeScript project: the nearest `tsconfig.json` above
    each file, up to the root. A monorepo scanned as one root (`impact scan .` with
    `frontend/tsconfig.json`, `packages/*/tsconfig.json`) gets one check per project. Paths no
    tsconfig covers come back apart."""
    projects: dict[Path, list[str]] = {}
    orphans: list[str] = []
    for rel in paths:
        for d in Path(rel).parents:
            if (root / d / "tsconfig.json").is_file():
                projects.setdefault(d, []).append(rel)
                break
        else:
            orphans.append(rel)
    return projects, orphans


def _read_config(path: Path) -> dict[str, object] | None:
    try:
        data = json.loads(_jsonc(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _references(config: Path) -> list[Path]:
    """The config files a tsconfig references (`{"path": "../shared"}` is that folder's tsconfig.json)."""
    data = _read_config(config)
    refs = data.get("references") if data is not None else None
    out = []
    for ref in refs if isinstance(refs, list) else []:
        target = ref.get("path") if isinstance(ref, dict) else None
        if isinstance(target, str):
            path = config.parent / target
            path = path / "tsconfig.json" if path.is_dir() else path
            if path.is_file():
                out.append(path)
    return out


def needs_build(project: Path) -> bool:
    """Is the project checked with `tsc --build`: its tsconfig.json references projects and checks files
    of its own (a referenced project's files reach it as the declarations that project emits, so plain
    `tsc -p` sees none of its changes), or a project it references references others. A solution-style
    config whose projects stand alone is checked project by project (`tsc_configs`)."""
    config = project / "tsconfig.json"
    refs = _references(config)
    if not refs:
        return False
    data = _read_config(config) or {}
    solution = data.get("files") == [] and not data.get("include")
    return not solution or any(_references(r) for r in refs)


def _closure(config: Path, limit: int = 64) -> set[Path]:
    """The folders of every project a config references, directly or not."""
    seen: set[Path] = set()
    todo = [config]
    while todo and len(seen) < limit:
        for ref in _references(todo.pop()):
            folder = ref.parent.resolve()
            if folder not in seen:
                seen.add(folder)
                todo.append(ref)
    return seen


_WALK_SKIP = frozenset({"node_modules", ".git", ".venv", "venv", "dist", "build", ".next", "coverage", "__pycache__"})


def _composite(folder: Path) -> bool:
    data = _read_config(folder / "tsconfig.json") or {}
    options = data.get("compilerOptions")
    return isinstance(options, dict) and bool(options.get("composite"))


def build_groups(root: Path, projects: dict[Path, list[str]]) -> dict[Path, list[str]]:
    """Projects joined by references are checked together, by `tsc --build` from the project that
    references them (found anywhere below the root, patched or not: an app whose shared package is
    patched is where the package's changes break something). Only looked for when a patched project is
    composite (a project others may reference)."""
    if not any(_composite(root / d) for d in projects):
        return projects
    leaders: dict[Path, set[Path]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _WALK_SKIP and not d.startswith("."))
        if "tsconfig.json" in filenames and needs_build(Path(dirpath)):
            leaders[Path(dirpath).relative_to(root)] = _closure(Path(dirpath) / "tsconfig.json")
        if len(leaders) > 200:
            break
    top = [d for d in sorted(leaders, key=lambda d: (len(d.parts), d.as_posix()))
           if not any((root / d).resolve() in leaders[o] for o in leaders if o != d)]
    merged: dict[Path, list[str]] = {}
    for d, rels in sorted(projects.items()):
        owner = next((lead for lead in top if lead == d or (root / d).resolve() in leaders[lead]), d)
        merged.setdefault(owner, []).extend(rels)
    return merged


def tsc_configs(project: Path) -> list[str]:
    """The configs to run tsc with in a project: `tsconfig.json`, or, for a solution-style one (`"files":
    []` and `references`, as Vite's template writes it), each project it references."""
    try:
        data = json.loads(_jsonc(project.joinpath("tsconfig.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, UnicodeDecodeError):
        return ["tsconfig.json"]
    refs = data.get("references") if isinstance(data, dict) else None
    if not refs or data.get("files") != [] or data.get("include"):
        return ["tsconfig.json"]
    out = []
    for ref in refs:
        target = ref.get("path") if isinstance(ref, dict) else None
        if isinstance(target, str):
            path = project / target
            path = path / "tsconfig.json" if path.is_dir() else path
            if path.is_file() and path.resolve().is_relative_to(project.resolve()):
                out.append(path.relative_to(project).as_posix())
    return out or ["tsconfig.json"]


def _jsonc(text: str) -> str:
    """tsconfig.json allows comments and trailing commas: drop them outside strings."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("//", i):
            i = text.find("\n", i) if "\n" in text[i:] else n
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            out.append(c)
            i += 1
    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))
