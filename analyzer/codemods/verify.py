"""Know a broken patch before the user does: compile the patched Python, type-check the patched front end.

Python: every patched file must still compile (in process, cheap). TypeScript: every patched front-end
file belongs to the project of the nearest `tsconfig.json` above it (so `impact scan .` on a monorepo
checks `frontend/` and `packages/web/` as `impact scan backend frontend` would). For each project with a
`node_modules/.bin/tsc` (its own, an ancestor's, or `IMPACT_NODE_MODULES`) the root is copied to a
temporary directory, patched, and `tsc --noEmit` runs there. New errors withhold the patches they point
at (the patched file with the error, or the patched files an erroring file imports) and tsc runs again,
a bounded number of rounds; when no culprit can be named, the project's patches are withheld together.
Errors on lines the report lists for review are expected, not failures. A project where tsc cannot run
is named with the reason. A withheld patch turns its findings into "needs review" entries that say why;
nothing is silently dropped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from analyzer.codemods.patching import ApplyError, apply_file_patch, parse_patch

_TSC_LINE = re.compile(r"^(?P<file>[^()\n]+)\((?P<line>\d+),(?P<col>\d+)\): error (?P<code>TS\d+): (?P<msg>.*)$")
_TS_EXT = (".ts", ".tsx", ".mts", ".cts")


@dataclass
class Verification:
    """What the checks said: patches kept, patches withheld (path -> reason), and what ran."""

    patches: dict[str, str]
    withheld: dict[str, str] = field(default_factory=dict)
    checked: list[str] = field(default_factory=list)  # e.g. "python: 12 files compile", "tsc: frontend"
    skipped: list[str] = field(default_factory=list)  # checks that could not run, and why


def verify_patches(patches: Mapping[str, str], files: Mapping[str, str], root_paths: Mapping[str, str],
                   review_lines: frozenset[tuple[str, int]] = frozenset(), tsc_timeout: float = 300,
                   typecheck: bool = True) -> Verification:
    """`review_lines` are (path, line) of findings a person must handle (no safe fix): a tsc error there
    is the compiler pointing at the same place the report does, not a broken patch."""
    result = Verification(dict(patches))
    _verify_python(result, files)
    for prefix, root in sorted(root_paths.items()):
        ts_paths = [p for p in result.patches if p.endswith(_TS_EXT) and _under(p, prefix)]
        if ts_paths and not typecheck:
            result.skipped.append(f"tsc: not run on {prefix or Path(root).name} (--no-typecheck)")
        elif ts_paths:
            _verify_typescript(result, prefix, Path(root), files, review_lines, tsc_timeout)
    return result


def _under(path: str, prefix: str) -> bool:
    return not prefix or path.startswith(prefix + "/")


def _patched_text(path: str, diff: str, files: Mapping[str, str]) -> str | None:
    try:
        text = Path(files[path]).read_bytes().decode("utf-8")
        (patch,) = parse_patch(diff)
        return apply_file_patch(text, patch)
    except (OSError, KeyError, UnicodeDecodeError, ValueError, ApplyError):
        return None


def _verify_python(result: Verification, files: Mapping[str, str]) -> None:
    count = 0
    for path, diff in sorted(result.patches.items()):
        if not path.endswith(".py"):
            continue
        text = _patched_text(path, diff, files)
        if text is None:
            result.withheld[path] = "the patch does not apply to the scanned file"
            continue
        try:
            compile(text, path, "exec", dont_inherit=True)
            count += 1
        except SyntaxError as exc:
            result.withheld[path] = f"the patched file would not compile (line {exc.lineno}: {exc.msg})"
    for path in result.withheld:
        result.patches.pop(path, None)
    if count:
        result.checked.append(f"python: {count} patched file{'s compile' if count != 1 else ' compiles'}")


def find_node_modules(root: Path) -> Path | None:
    """The node_modules holding tsc for a front-end root: IMPACT_NODE_MODULES, the root's, an ancestor's."""
    env = os.environ.get("IMPACT_NODE_MODULES")
    candidates = [Path(env)] if env else []
    candidates += [d / "node_modules" for d in (root, *root.parents)]
    for c in candidates:
        if (c / ".bin" / "tsc").exists():
            return c
    return None


@dataclass
class TscErrors:
    counts: Counter[tuple[str, str]]  # (file, "TS1234: message") -> how many
    lines: dict[tuple[str, str], list[int]]  # the same key -> the lines it was reported at


def _run_tsc(node_modules: Path, project: Path, timeout: float) -> TscErrors | None:
    """tsc's errors, keyed without line numbers so edits that move lines do not fake new errors."""
    try:
        proc = subprocess.run([str(node_modules / ".bin" / "tsc"), "--noEmit", "--pretty", "false", "-p", "."],
                              cwd=project, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None
    errors = TscErrors(Counter(), {})
    for line in proc.stdout.splitlines():
        m = _TSC_LINE.match(line.strip())
        if m:
            key = (m.group("file").replace("\\", "/"), f"{m.group('code')}: {m.group('msg')}")
            errors.counts[key] += 1
            errors.lines.setdefault(key, []).append(int(m.group("line")))
    if proc.returncode not in (0, 1, 2) or (proc.returncode != 0 and not errors.counts):
        return None
    return errors


_COPY_IGNORE = shutil.ignore_patterns("node_modules", ".git", ".venv", "venv", "__pycache__", "*.pyc", ".next",
                                      "dist", "build", "coverage", "impact-report", ".mypy_cache", ".pytest_cache")
_IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["'](\.{1,2}/[^"'\n]*)["']""")
_MAX_ROUNDS = 6


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


def _verify_typescript(result: Verification, prefix: str, root: Path, files: Mapping[str, str],
                       review_lines: frozenset[tuple[str, int]], timeout: float) -> None:
    name = prefix or root.name
    strip = len(prefix) + 1 if prefix else 0
    active = {p[strip:]: p for p in result.patches if _under(p, prefix) and p.endswith(_TS_EXT)}
    projects, orphans = ts_projects(root, sorted(active))
    if orphans:
        result.skipped.append(f"tsc: {name}: no tsconfig.json above {_some(orphans)}; not type-checked")
    if not projects:
        return
    with tempfile.TemporaryDirectory(prefix="impact-tsc-") as tmp:
        copy = Path(tmp) / "root"
        shutil.copytree(root, copy, symlinks=True, ignore=_COPY_IGNORE)
        for rel_dir, rels in sorted(projects.items()):
            label = "/".join(x for x in (name, rel_dir.as_posix()) if x and x != ".")
            node_modules = find_node_modules(root / rel_dir)
            if node_modules is None:
                result.skipped.append(f"tsc: {label}: no node_modules/.bin/tsc (npm install, or IMPACT_NODE_MODULES); "
                                      f"{len(rels)} patched files not type-checked")
                continue
            _link_node_modules(root, copy, rel_dir, node_modules)
            _check_project(result, label, copy, rel_dir, {r: active[r] for r in rels}, files, review_lines,
                           node_modules, timeout, prefix)


def _some(paths: list[str], n: int = 3) -> str:
    return ", ".join(paths[:n]) + (f" and {len(paths) - n} more" if len(paths) > n else "")


def _link_node_modules(root: Path, copy: Path, rel_dir: Path, found: Path) -> None:
    """Module resolution in the copy as in the tree: the project's node_modules (or the one found above it,
    or IMPACT_NODE_MODULES) is linked where the resolver looks first."""
    link = copy / rel_dir / "node_modules"
    if not link.exists() and not link.is_symlink():
        link.symlink_to(found, target_is_directory=True)


def _check_project(result: Verification, label: str, copy: Path, rel_dir: Path, own: dict[str, str],
                   files: Mapping[str, str], review_lines: frozenset[tuple[str, int]], node_modules: Path,
                   timeout: float, prefix: str) -> None:
    """Patch the copy, run tsc, withhold the patches the new errors point at, and again, until it checks.

    An error in a patched file withholds that file's patch; an error in a file the patches did not touch
    withholds the patched files it imports (the callee whose type moved). When no culprit can be named the
    project's patches are withheld together, as before: a half-applied type change is worse than none."""
    project = copy / rel_dir
    baseline = _run_tsc(node_modules, project, timeout)
    if baseline is None:
        result.skipped.append(f"tsc: could not run on {label}")
        return
    originals: dict[str, bytes] = {}
    for rel, path in sorted(own.items()):
        text = _patched_text(path, result.patches[path], files)
        if text is None:
            result.withheld[path] = "the patch does not apply to the scanned file"
            continue
        originals[rel] = (copy / rel).read_bytes()
        (copy / rel).write_bytes(text.encode("utf-8"))
    live = {rel: own[rel] for rel in originals}
    base = f"{prefix}/" if prefix else ""
    expected_n = first_errors = 0
    for rounds in range(1, _MAX_ROUNDS + 1):
        after = _run_tsc(node_modules, project, timeout)
        if after is None:
            result.skipped.append(f"tsc: could not run on the patched {label}")
            for path in live.values():
                result.withheld.setdefault(path, "tsc could not run on the patched project")
            break
        new = after.counts - baseline.counts
        located = {key: _rel(rel_dir, key[0]) for key in new}
        expected = {key for key in new
                    if all((base + located[key], line) in review_lines for line in after.lines.get(key, []))}
        expected_n = sum(new[k] for k in expected)
        broken = {k: v for k, v in new.items() if k not in expected}
        if not broken:
            break
        first_errors = first_errors or sum(broken.values())
        culprits = _culprits(broken, located, live, copy)
        if not culprits or rounds == _MAX_ROUNDS:
            culprits = {rel: "" for rel in live}
        summary = _first_error(broken, located)
        for rel, why in culprits.items():
            result.withheld.setdefault(live[rel], why or f"withheld with the other patches of {label}: tsc would "
                                       f"report {sum(broken.values())} new errors (first: {summary})")
            (copy / rel).write_bytes(originals[rel])
            del live[rel]
        if not live:
            break
    withheld = len(own) - len(live)
    if expected_n:
        result.checked.append(f"tsc: {label}: {expected_n} new error{'s' if expected_n != 1 else ''}, each on a "
                              "line the report lists for review")
    if withheld:
        result.skipped.append(f"tsc: {label}: {first_errors} new error{'s' if first_errors != 1 else ''} after the "
                              f"patch; {withheld} of {len(own)} patches withheld ({rounds} round"
                              f"{'s' if rounds != 1 else ''}), the other {len(live)} type-check")
    else:
        result.checked.append(f"tsc: {label} type-checks with {len(live)} patched file{'s' if len(live) != 1 else ''}")
    for path in own.values():
        if path in result.withheld:
            result.patches.pop(path, None)


def _rel(rel_dir: Path, tsc_file: str) -> str:
    """tsc prints paths relative to the project it ran in; findings' paths are relative to the root."""
    return os.path.normpath(rel_dir / tsc_file).replace(os.sep, "/")


def _first_error(broken: Mapping[tuple[str, str], int], located: Mapping[tuple[str, str], str]) -> str:
    key = sorted(broken)[0]
    return f"{located[key]}: {key[1]}"


def _culprits(broken: Mapping[tuple[str, str], int], located: Mapping[tuple[str, str], str],
              live: Mapping[str, str], copy: Path) -> dict[str, str]:
    """The patched files (root-relative) the new errors point at, each with the first error as the reason."""
    out: dict[str, str] = {}
    for key in sorted(broken):
        where = located[key]
        if where in live:
            out.setdefault(where, f"tsc after the patch: {key[1]}")
            continue
        for dep in _relative_imports(copy, where):
            if dep in live:
                out.setdefault(dep, f"tsc after the patch, in {where} which imports it: {key[1]}")
    return out


def _relative_imports(copy: Path, rel: str) -> list[str]:
    """Root-relative paths of the files `rel` imports with a relative specifier (`./api`, `../lib/ids`)."""
    try:
        text = (copy / rel).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    found = []
    here = Path(rel).parent
    for spec in _IMPORT.findall(text):
        base = os.path.normpath(here / spec).replace(os.sep, "/")
        for candidate in (base, *(base + ext for ext in _TS_EXT), *(f"{base}/index{ext}" for ext in _TS_EXT)):
            if candidate.endswith(_TS_EXT) and (copy / candidate).is_file():
                found.append(candidate)
                break
    return found
