"""The compiler as an oracle: patches that type-check, and every place the type checker finds becomes a finding.

Python: every patched file must still compile (in process, cheap); where the scanned project configures
mypy (or pyright) and has it at hand, it runs on a patched copy the same way, and the patched modules are
imported in the project's virtualenv (`analyzer.codemods.pycheck`).

TypeScript: every patched front-end file belongs to the project of the nearest `tsconfig.json` above it
(so `impact scan .` on a monorepo checks `frontend/` and `packages/web/` as `impact scan backend frontend`
would; a solution-style tsconfig is checked through the projects it references, and a tsconfig that
references composite projects and has files of its own with `tsc --build`, together with the projects
it references, patched or not: `needs_build`, `build_groups`). For each project with a
`node_modules/.bin/tsc` (its own, an ancestor's, or `IMPACT_NODE_MODULES`) the root is copied to a
temporary directory and tsc runs there, incrementally (`--incremental --tsBuildInfoFile`), first on the
tree as it is (the errors it already had are not the patches' doing), then in rounds:

1. the patches are applied and tsc runs; each error it did not have before is mapped back to the scanned
   file and line (through the patch's line map);
2. where the message says the key, a string now, reaches a slot typed `number` (TS2345, TS2322, TS2367,
   TS7015), the annotation of that slot becomes `string` (`analyzer.codemods.tsc_fix`): a new finding
   with a safe edit (TS901), and the next round checks it; likewise a comparator subtracting keys
   becomes `localeCompare` and a `Number()` / `parseInt` of the key is dropped, rewrites kept only when
   the next round finds their lines clean (else given back, and the error is reported);
3. when a round patches nothing more (or after `_MAX_ROUNDS`), every remaining new error on a line the
   report does not list for review becomes a finding at that line (TS900): kind and layer from where it
   is, the compiler's message as evidence, and the finding whose patch caused it named in the message.

Every patch is kept: what the compiler still reports sits on a line the report lists for review. Only an
error tsc cannot place in the scanned tree (a global error, one in a library) withholds the project's
patches, and a project where tsc cannot run is named with the reason. A withheld patch turns its
findings into "needs review" entries that say why; nothing is silently dropped.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from analyzer.codemods.apply import EditConflict, patch_file, unified_diff
from analyzer.codemods.projects import TS_EXT as _TS_EXT
from analyzer.codemods.projects import build_groups, find_node_modules, needs_build, ts_projects, tsc_configs
from analyzer.codemods.tsc_fix import Resolver, Slot, number_meets_string, string_meets_number
from analyzer.codemods.tsc_server import TscServer
from analyzer.models import Edit, Finding, RuleMeta, SourceFile, Span

_TSC_LINE = re.compile(r"^(?P<file>[^()\n]+)\((?P<line>\d+),(?P<col>\d+)\): error (?P<code>TS\d+): (?P<msg>.*)$")
_TSC_GLOBAL = re.compile(r"^error (?P<code>TS\d+): (?P<msg>.*)$")
_WORD = re.compile(r"[A-Za-z_$][\w$]*")
_MAX_ROUNDS = 6


@dataclass
class ProjectCheck:
    """What one type-checker run on one project found: the report's verification table has a row each."""

    label: str  # "frontend", "repo/packages/web", "backend (mypy)"
    checker: str = "tsc"
    ran: bool = True
    reason: str = ""  # why it could not run
    rounds: int = 0
    runs: int = 0  # tsc invocations, the unpatched tree's included
    seconds: float = 0.0
    before: int | None = None  # errors the tree had without the patches (None: not needed, not run)
    first: int = 0  # new errors once the rules' patches are applied
    fixed: int = 0  # annotations patched from the compiler's messages (TS901)
    found: int = 0  # new findings for review (TS900 / PY900)
    expected: int = 0  # new errors on lines the report already lists for review
    silenced: int = 0  # new errors on a line whose suppression comment (or the configuration) silences them
    after: int = 0  # new errors left when the loop ends (found + expected + any it could not place)
    patched: int = 0  # patched files kept
    withheld: int = 0
    held: int = 0  # findings whose own patched line tsc still rejects: their edits withheld, alone
    alone: int = 0  # files withheld alone: their patch brings an error tsc places in no file

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class Verification:
    """What the checks said: patches kept, patches withheld (path -> reason), what the compilers found,
    and what ran."""

    patches: dict[str, str]
    withheld: dict[str, str] = field(default_factory=dict)
    held: dict[tuple[str, int, str], str] = field(default_factory=dict)  # one finding's patch withheld, and why
    checked: list[str] = field(default_factory=list)  # e.g. "python: 12 patched files compile"
    skipped: list[str] = field(default_factory=list)  # checks that could not run, and why
    found: list[Finding] = field(default_factory=list)  # new findings: TS900/TS901/PY900
    projects: list[ProjectCheck] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # absolute paths of the files `found` is in


def catalogue() -> list[RuleMeta]:
    """The findings the compilers make (TS900, TS901, PY900), documented beside the scanners' rules."""
    from analyzer.rules.verification import RULES

    return [r.meta() for r in RULES]


def verify_findings(findings: Sequence[Finding], files: Mapping[str, str], root_paths: Mapping[str, str],
                    typecheck: bool = True, tsc_timeout: float = 300,
                    enabled: Callable[[Finding], bool] = lambda f: True) -> Verification:
    """Build the patches from the findings' safe edits, check them, extend them where the compiler says
    how, and report what it finds. `files`: finding path -> absolute path; `root_paths`: root name (the
    paths' prefix, "" for a single root) -> absolute root; `enabled`: the configuration's say on a new
    finding (`[tool.impact] disable = ["TS901"]`: no annotation is retyped). A suppression comment on the
    line (`// impact: ignore[TS900] -- reason`) silences a new finding as it does a rule's."""
    work = _Work(findings, files, enabled)
    result = Verification({})
    _verify_python(result, work)
    if typecheck:  # the project's own mypy / pyright, and its virtualenv's imports (they run its code)
        from analyzer.codemods.pycheck import verify_python_types

        verify_python_types(result, work, root_paths, findings, tsc_timeout)
    for prefix, root in sorted(root_paths.items()):
        ts_paths = [p for p in work.paths() if p.endswith(_TS_EXT) and _under(p, prefix)]
        if ts_paths and not typecheck:
            result.skipped.append(f"tsc: not run on {prefix or Path(root).name} (--no-typecheck)")
        elif ts_paths:
            _verify_typescript(result, work, prefix, Path(root), findings, tsc_timeout)
    for path in work.paths():
        if path in result.withheld:
            continue
        diff = work.diff(path)
        if diff:
            result.patches[path] = diff
    return result


def _under(path: str, prefix: str) -> bool:
    return not prefix or path.startswith(prefix + "/")


class _Work:
    """Every file's safe edits (the rules', then the compiler's) and the texts they give, as
    `build_patches` makes them: a file whose edits conflict, or that is not UTF-8, gets no patch."""

    def __init__(self, findings: Sequence[Finding], files: Mapping[str, str],
                 enabled: Callable[[Finding], bool] = lambda f: True) -> None:
        self.enabled = enabled
        self.abs: dict[str, str] = dict(files)
        self.applied = [f for f in findings if f.fix and f.path in files]  # the findings a patch carries
        self.edits: dict[str, list[Edit]] = {}
        self.language: dict[str, str] = {}
        self._original: dict[str, str | None] = {}
        #: path -> (the edits and language it was patched with, the text): the checks and the patch ask for the
        #: same text (a large file's import insertion parses it whole); `edits` may be changed meanwhile
        self._patched: dict[str, tuple[tuple[Edit, ...], str, str | None]] = {}
        for f in findings:
            safe = [e for e in f.edits if e.safe]
            if safe and f.path in files:
                self.edits.setdefault(f.path, []).extend(safe)
                self.language[f.path] = f.language

    def paths(self) -> list[str]:
        return sorted(self.edits)

    def original(self, path: str) -> str | None:
        if path not in self._original:
            try:
                self._original[path] = Path(self.abs[path]).read_bytes().decode("utf-8")
            except (OSError, KeyError, UnicodeDecodeError):
                self._original[path] = None
        return self._original[path]

    def text(self, path: str) -> str | None:
        original = self.original(path)
        if original is None:
            return None
        edits, language = tuple(self.edits.get(path, [])), self.language.get(path, "typescript")
        got = self._patched.get(path)
        if got is not None and got[0] == edits and got[1] == language:
            return got[2]
        try:
            text: str | None = patch_file(original, list(edits), language)
        except EditConflict:
            text = None
        self._patched[path] = (edits, language, text)
        return text

    def add(self, path: str, abs_path: str, edits: Sequence[Edit], language: str) -> None:
        self.abs.setdefault(path, abs_path)
        self.edits.setdefault(path, []).extend(edits)
        self.language.setdefault(path, language)

    def wanted(self, f: Finding) -> bool:
        """A new finding the configuration keeps and no suppression comment on its line silences."""
        if not self.enabled(f) or f.path not in self.abs:
            return False
        from analyzer.suppress import LineCache, is_suppressed

        cache = LineCache([SourceFile(root="", abs_path=self.abs[f.path], path=f.path, language=f.language)])
        return not is_suppressed(f, cache)

    def diff(self, path: str) -> str:
        original, text = self.original(path), self.text(path)
        return unified_diff(path, original, text) if original is not None and text is not None else ""


def _verify_python(result: Verification, work: _Work) -> None:
    count = 0
    for path in work.paths():
        if not path.endswith(".py"):
            continue
        text = work.text(path)
        if text is None:
            continue  # no patch is built for it either
        try:
            compile(text, path, "exec", dont_inherit=True)
            count += 1
        except SyntaxError as exc:
            result.withheld[path] = f"the patched file would not compile (line {exc.lineno}: {exc.msg})"
        except (ValueError, RecursionError, MemoryError) as exc:  # (null bytes; nesting too deep for CPython)
            result.withheld[path] = f"the patched file would not compile ({type(exc).__name__})"
    if count:
        result.checked.append(f"python: {count} patched file{'s compile' if count != 1 else ' compiles'}")


# ----------------------------------------------------------------------------- TypeScript projects


def settled(verification: object) -> bool:
    """Would a re-run with the same inputs say the same: no checker that could not run or import (a
    timeout or a crash under load is not the tree's doing: the run memo must not give it back)."""
    if not isinstance(verification, dict):
        return True
    said = [*verification.get("skipped", []),
            *(p.get("reason", "") for p in verification.get("projects", []) if isinstance(p, dict))]
    return not any("could not" in str(line) for line in said)


_COPY_IGNORE = shutil.ignore_patterns("node_modules", ".git", ".venv", "venv", "__pycache__", "*.pyc", ".next",
                                      "dist", "build", "coverage", "impact-report", ".mypy_cache", ".pytest_cache")
_IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["'](\.{1,2}/[^"'\n]*)["']""")


def _verify_typescript(result: Verification, work: _Work, prefix: str, root: Path, findings: Sequence[Finding],
                       timeout: float) -> None:
    name = prefix or root.name
    strip = len(prefix) + 1 if prefix else 0
    active = {p[strip:]: p for p in work.paths() if _under(p, prefix) and p.endswith(_TS_EXT)}
    projects, orphans = ts_projects(root, sorted(active))
    projects = build_groups(root, projects)
    if orphans:
        result.skipped.append(f"tsc: {name}: no tsconfig.json above {_some(orphans)}; not type-checked")
        result.projects.append(ProjectCheck(label=f"{name} ({_some(orphans, 1)})", ran=False,
                                            reason="no tsconfig.json above the patched files",
                                            patched=len(orphans)))
    if not projects:
        return
    review = _review_lines(findings)
    found = {rel_dir: find_node_modules(root / rel_dir) for rel_dir in projects}
    # (the tree is copied only when a project has a tsc to run: onyx's copy took 5.6 s for none)
    with contextlib.ExitStack() as stack:
        tmp = copy = None
        if any(found.values()):
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="impact-tsc-"))
            copy = Path(tmp) / "root"
            shutil.copytree(root, copy, symlinks=True, ignore=_COPY_IGNORE)
        for rel_dir, rels in sorted(projects.items()):
            label = "/".join(x for x in (name, rel_dir.as_posix()) if x and x != ".")
            node_modules = found[rel_dir]
            if node_modules is None or tmp is None or copy is None:
                why = "no node_modules/.bin/tsc (npm install, or IMPACT_NODE_MODULES)"
                result.skipped.append(f"tsc: {label}: {why}; {len(rels)} patched file{'s' if len(rels) != 1 else ''} "
                                      "not type-checked")
                result.projects.append(ProjectCheck(label=label, ran=False, reason=why, patched=len(rels)))
                continue
            _link_node_modules(copy, rel_dir, node_modules)
            loop = _TscLoop(result, work, findings, review, label, root, copy, rel_dir,
                            {r: active[r] for r in rels}, node_modules, timeout, prefix, Path(tmp))
            loop.run()


def _review_lines(findings: Sequence[Finding]) -> frozenset[tuple[str, int]]:
    """(path, line) of findings a person must handle (no safe fix): a compiler error there is the
    compiler pointing at the same place the report does, not news."""
    return frozenset((f.path, line) for f in findings if f.kind != "info" and not f.fix
                     for line in range(f.span.line, f.span.end_line + 1))


def _some(paths: list[str], n: int = 3) -> str:
    return ", ".join(paths[:n]) + (f" and {len(paths) - n} more" if len(paths) > n else "")


def _link_node_modules(copy: Path, rel_dir: Path, found: Path) -> None:
    """Module resolution in the copy as in the tree: the project's node_modules (or the one found above it,
    or IMPACT_NODE_MODULES) is linked where the resolver looks first."""
    link = copy / rel_dir / "node_modules"
    if not link.exists() and not link.is_symlink():
        link.symlink_to(found, target_is_directory=True)


@dataclass(frozen=True)
class Diagnostic:
    rel: str  # root-relative path of the file; "" when tsc names none in the root (a global error, a library)
    line: int  # in the copy's current text
    col: int
    code: str  # "TS2345"
    message: str
    detail: str = ""  # the last line of an elaboration ("Type 'number' is not assignable to type 'string'.")

    @property
    def text(self) -> str:
        return f"{self.code}: {self.message}"


class _Tsc:
    """tsc on one project of the copy: the project's compiler kept running between rounds
    (`tsc_server`), else the tsc command, incremental between runs (one build-info file per config)."""

    def __init__(self, node_modules: Path, project: Path, copy: Path, rel_dir: Path, scratch: Path,
                 timeout: float) -> None:
        self.node_modules = node_modules
        self.exe = str(node_modules / ".bin" / "tsc")
        self.project, self.copy, self.rel_dir = project, copy, rel_dir
        self.build = needs_build(project)
        self.configs = ["tsconfig.json"] if self.build else tsc_configs(project)
        self.scratch = scratch
        self.timeout = timeout
        self.incremental = True
        self.runs = 0
        self.server: TscServer | None = None
        self.mode = ""  # "server" | "tsc --incremental" | "tsc"

    def run(self) -> list[Diagnostic] | None:
        self.runs += 1
        if not self.mode and os.environ.get("IMPACT_TSC_SERVER", "1") != "0":
            self.server = TscServer(self.node_modules, self.project, self.configs, self.scratch, self.timeout,
                                    build=self.build)
            self.mode = "server" if self.server.available else ""
        if self.mode == "server" and self.server is not None:
            raw = self.server.check()
            if raw is not None:
                return [Diagnostic(self._rel(str(d.get("file") or "")) if d.get("file") else "", _int(d.get("line")),
                                   _int(d.get("col")), str(d.get("code", "")), str(d.get("message", "")),
                                   str(d.get("detail", ""))) for d in raw]
            self.close()  # the script failed: the tsc command from here on
        self.mode = "tsc --incremental" if self.incremental else "tsc"
        out: list[Diagnostic] = []
        for i, config in enumerate(self.configs):
            diags = self._run(config, i)
            if diags is None and self.incremental:  # an old tsc refusing --incremental
                self.incremental = False
                self.mode = "tsc"
                diags = self._run(config, i)
            if diags is None:
                return None
            out.extend(diags)
        return out

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None

    def _run(self, config: str, i: int) -> list[Diagnostic] | None:
        cmd = [self.exe, "--noEmit", "--pretty", "false", "-p", config]
        if self.build:  # emits into the copy: referenced projects' declarations, build-info files beside them
            cmd = [self.exe, "--build", "--pretty", "false", config]
        elif self.incremental:
            info = self.scratch / f"{'_'.join(self.rel_dir.parts) or 'root'}-{i}.tsbuildinfo"
            cmd += ["--incremental", "--tsBuildInfoFile", str(info)]
        try:
            proc = subprocess.run(cmd, cwd=self.project, capture_output=True, text=True, timeout=self.timeout)
        except (OSError, subprocess.SubprocessError):
            return None
        diags: list[Diagnostic] = []
        for raw in proc.stdout.splitlines():
            line = raw.strip()
            m = _TSC_LINE.match(line)
            g = None if m else _TSC_GLOBAL.match(line)
            if m:
                diags.append(Diagnostic(self._rel(m.group("file")), int(m.group("line")), int(m.group("col")),
                                        m.group("code"), m.group("msg")))
            elif g:
                diags.append(Diagnostic("", 0, 0, g.group("code"), g.group("msg")))
            elif raw[:1].isspace() and line and diags:  # the elaboration of the error above
                last = diags[-1]
                diags[-1] = Diagnostic(last.rel, last.line, last.col, last.code, last.message, line)
        if proc.returncode not in (0, 1, 2) or (proc.returncode != 0 and not diags):
            return None
        if self.incremental and any(d.code in ("TS5023", "TS5053", "TS6304", "TS5069") and not d.rel for d in diags):
            return None  # the options themselves were refused: run without --incremental
        return diags

    def _rel(self, tsc_file: str) -> str:
        """tsc prints paths relative to the project it ran in; findings' paths are relative to the root."""
        path = Path(tsc_file)
        if path.is_absolute():
            try:
                path = path.relative_to(self.copy)
            except ValueError:
                return ""
        else:
            path = self.rel_dir / path
        rel = os.path.normpath(path).replace(os.sep, "/")
        if rel.startswith("../") or rel == ".." or "node_modules/" in rel:
            return ""
        return rel


class _LineMap:
    """Lines and offsets of a patched text mapped back to the scanned file (difflib over lines; a line
    the patch rewrote one-for-one maps character by character)."""

    def __init__(self, original: str, current: str) -> None:
        self.original, self.current = original, current
        self.a = original.splitlines(keepends=True)
        self.b = current.splitlines(keepends=True)
        self.to_a: list[int] = [0] * (len(self.b) + 1)  # current line index -> original line index
        self.exact: list[bool] = [False] * (len(self.b) + 1)
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, self.a, self.b, autojunk=False).get_opcodes():
            for j in range(j1, j2):
                self.to_a[j] = min(i1 + (j - j1), max(i1, i2 - 1)) if tag != "insert" else max(i1 - 1, 0)
                self.exact[j] = tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1)
        self.to_a[len(self.b)] = len(self.a)

    def line(self, line: int) -> int:
        """1-based current line -> 1-based original line."""
        return self.to_a[min(max(line - 1, 0), len(self.b))] + 1

    def offset(self, offset: int) -> int | None:
        """str offset in the current text -> in the original, when the line maps (None otherwise)."""
        starts_b = _starts(self.b)
        j = max(i for i, s in enumerate(starts_b) if s <= offset) if starts_b else 0
        if j >= len(self.b) or not self.exact[j]:
            return None
        i = self.to_a[j]
        col = offset - starts_b[j]
        a_line, b_line = self.a[i], self.b[j]
        if a_line != b_line:
            for block in difflib.SequenceMatcher(None, a_line, b_line, autojunk=False).get_matching_blocks():
                if block.b <= col < block.b + block.size:
                    col = block.a + (col - block.b)
                    break
            else:
                return None
        return _starts(self.a)[i] + col


def _starts(lines: list[str]) -> list[int]:
    out, pos = [], 0
    for line in lines:
        out.append(pos)
        pos += len(line)
    return out


@dataclass(frozen=True)
class _Trial:
    """A rewrite made in the last round, the errors it was for, and those on its lines when it was made."""

    rel: str
    finding: Finding
    fallback: Finding | None
    lines: frozenset[tuple[str, int]]  # (path, line in the scanned text)
    prompts: frozenset[tuple[str, int, str]]
    context: frozenset[tuple[str, int, str]]


class _TscLoop:
    """One project: baseline, then patch / check / fix rounds, then the findings (see the module doc)."""

    def __init__(self, result: Verification, work: _Work, findings: Sequence[Finding],
                 review: frozenset[tuple[str, int]], label: str, root: Path, copy: Path, rel_dir: Path,
                 own: dict[str, str], node_modules: Path, timeout: float, prefix: str, scratch: Path) -> None:
        self.result, self.work, self.review = result, work, review
        self.label, self.root, self.copy, self.rel_dir, self.own = label, root, copy, rel_dir, own
        self.prefix = prefix
        self.base = f"{prefix}/" if prefix else ""
        self.tsc = _Tsc(node_modules, copy / rel_dir, copy, rel_dir, scratch, timeout)
        self.resolver = Resolver(copy)
        self.record = ProjectCheck(label=label)
        self.applied = [f for f in findings if f.fix and f.path in {self.base + r for r in own}]
        self.fixes: dict[tuple[str, int], Finding] = {}  # (rel, offset in the scanned text) -> the fix there
        self.trials: list[_Trial] = []  # rewrites of the last round, kept if the next one finds their lines clean
        self.rejected: set[tuple[str, int]] = set()  # rewrites given back: not tried again
        self.causes: dict[int, Finding] = {}  # id of a compiler's fix -> the finding whose patch led to it
        self.slots: dict[Diagnostic, Slot | None] = {}  # this round's answers (cleared when tsc runs again)
        self.maps: dict[str, _LineMap] = {}

    def path(self, rel: str) -> str:
        return self.base + rel

    def run(self) -> None:
        """Patched first: the tree as it was is checked only when the patched one has errors that could be
        news (on a line the report does not list for review, or one the compiler says how to fix), so a
        front end the patches leave clean costs one tsc run."""
        try:
            self._run()
        finally:
            self.tsc.close()
        self.record.checker = f"tsc ({self.tsc.mode})" if self.tsc.mode else "tsc"

    def _run(self) -> None:
        started = time.perf_counter()
        record = self.record
        self.result.projects.append(record)
        live = {rel: path for rel, path in self.own.items() if self._write(rel)}
        known: Counter[tuple[str, int, str]] | None = None
        final: list[Diagnostic] = []
        for rounds in range(1, _MAX_ROUNDS + 2):  # the last one only when the one before gave something back
            record.rounds = rounds
            diags = self.tsc.run()
            self._prepare(diags)
            if diags is None:
                if known is None and self._baseline() is None:  # tsc does not run on the tree as it is either
                    record.ran, record.reason = False, "tsc could not run on the project as it is"
                    self.result.skipped.append(f"tsc: could not run on {self.label}")
                    return
                self._withhold_all(live, "tsc could not run on the patched project")
                record.reason = "tsc could not run on the patched project"
                break
            if known is None and any(self._maybe_news(d) for d in diags):
                known = self._baseline()
                if known is None:
                    record.ran, record.reason = False, "tsc could not run on the project as it is"
                    self.result.skipped.append(f"tsc: could not run on {self.label}")
                    return
            new = self._new(diags, known) if known is not None else diags
            if rounds == 1:
                record.first = len(new)
            unplaced = [d for d in new if not d.rel]
            if unplaced:  # nothing to point at: the patched files whose own patch brings it, else all of them
                why = f"tsc reports {len(unplaced)} new error{'s' if len(unplaced) != 1 else ''} it places in no " \
                      f"file of {self.label} ({unplaced[0].text})"
                culprits = self._culprits(live, known) if known is not None else None
                if culprits is None:
                    self._withhold_all(live, why)
                    final = []
                    break
                for rel in culprits:
                    self._withhold_file(rel, live, f"{why}; without this file's patch the error goes")
                continue
            final = new
            if not self._fix_round(new, more=rounds < _MAX_ROUNDS):
                break
        if known is not None and not record.withheld:
            final = self._hold_broken(final, known)
        record.runs = self.tsc.runs
        self._conclude(final, live)
        record.seconds = round(time.perf_counter() - started, 2)
        self._say()

    def _hold_broken(self, final: list[Diagnostic], known: Counter[tuple[str, int, str]]) -> list[Diagnostic]:
        """Withhold the patches still broken when the loop ends: a finding whose own patched line tsc
        rejects (`a.patient_id.localeCompare(...)` on a number) gives its edits back, alone; the rest of
        its file's patch and every other patch stay. tsc runs once more on what is kept."""
        broken: dict[int, tuple[Finding, Diagnostic]] = {}
        for d in final:
            place = (self.path(d.rel), self._original_line(d))
            if place in self.review:
                continue
            for f in (*self.applied, *self.fixes.values()):
                if f.path == place[0] and id(f) not in broken and place in self._lines(f) and self._inside(d, f):
                    broken[id(f)] = (f, d)
        if not broken:
            return final
        changed = set()
        for f, d in broken.values():
            rel = f.path[len(self.base):]
            self._drop(rel, f)
            changed.add(rel)
            self.result.held[_held_key(f)] = f"tsc {d.code} on the patched line: {d.message}"
            self.record.held += 1
        for fix in self._dependents({id(f) for f, _d in broken.values()}):  # retyped only because of them
            rel = fix.path[len(self.base):]
            self._drop(rel, fix)
            changed.add(rel)
        self.applied = [f for f in self.applied if id(f) not in broken]
        self._write_all(changed)
        diags = self.tsc.run()
        self.record.rounds += 1
        self._prepare(diags)
        return self._new(diags, known) if diags is not None else final

    def _dependents(self, gone: set[int]) -> list[Finding]:
        """The compiler's fixes made because of a withheld patch, directly or through another such fix."""
        out: list[Finding] = []
        grew = True
        while grew:
            grew = False
            for fix in {id(f): f for f in self.fixes.values()}.values():
                cause = self.causes.get(id(fix))
                if id(fix) not in gone and cause is not None and id(cause) in gone:
                    gone.add(id(fix))
                    out.append(fix)
                    grew = True
        return out

    def _inside(self, d: Diagnostic, f: Finding) -> bool:
        """Does tsc point into the text one of the finding's edits wrote (not elsewhere on its line, where
        a stale type beside it is the cause)?"""
        try:
            current = (self.copy / d.rel).read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return False
        lines = current.splitlines(keepends=True)
        if not 0 < d.line <= len(lines):
            return False
        at = sum(len(x) for x in lines[:d.line - 1]) + d.col - 1
        ours = {id(e) for e in f.edits}
        shift = 0
        for e in sorted(self.work.edits.get(f.path, []), key=lambda e: (e.start, e.end)):
            start = e.start + shift
            if id(e) in ours and current[start:start + len(e.text)] == e.text and start <= at <= start + len(e.text):
                return True
            shift += len(e.text) - (e.end - e.start)
        return False

    def _maybe_news(self, d: Diagnostic) -> bool:
        """Could this error be the patches' doing and worth a finding or a fix? (Else no baseline is needed.)"""
        if not d.rel or (self.path(d.rel), self._original_line(d)) not in self.review:
            return True
        return self._slot(d) is not None

    def _slot(self, d: Diagnostic) -> Slot | None:
        """The annotation a diagnostic names; a tree the resolver cannot follow is no fix, not a crash.
        Where the syntax alone does not say (a method of an imported class, a type inferred through a
        hook), the compiler kept running is asked for the declaration (`TscServer.where`)."""
        if not d.rel:
            return None
        if d in self.slots:
            return self.slots[d]
        try:
            slot = self.resolver.slot_for(d.rel, d.line, d.col, d.code, d.message)
        except Exception:  # noqa: BLE001 - no file may crash a run (STYLE.md)
            slot = None
        if slot is None:
            self._ask_compiler([d])
            slot = self.slots.get(d)
        self.slots[d] = slot
        return slot

    def _prepare(self, diags: list[Diagnostic] | None) -> None:
        """This round's slots, while the compiler holds the patched program (before any baseline run)."""
        self.slots.clear()
        unknown = []
        for d in diags or []:
            if not d.rel:
                continue
            try:
                slot = self.resolver.slot_for(d.rel, d.line, d.col, d.code, d.message)
            except Exception:  # noqa: BLE001 - no file may crash a run (STYLE.md)
                slot = None
            if slot is not None:
                self.slots[d] = slot
            else:
                unknown.append(d)
        self._ask_compiler(unknown)
        for d in unknown:
            self.slots.setdefault(d, None)

    def _ask_compiler(self, diags: Sequence[Diagnostic]) -> None:
        """One question to the compiler for the diagnostics saying a number and the key, a string, meet:
        where the slot the key goes to is declared (a string reaching `number`), or where the number that
        goes to a key slot is declared (a property typed `number`, read as `booking.id`)."""
        server = self.tsc.server
        asked = [(d, "target" if string_meets_number(d.code, d.message) and d.code != "TS2367" else "value")
                 for d in diags if d.rel and d not in self.slots and (string_meets_number(d.code, d.message)
                                                                      or number_meets_string(d.code, d.message))]
        if server is None or self.tsc.mode != "server" or not asked:
            return
        prefix = self.rel_dir.as_posix()
        queries: list[dict[str, object]] = [
            {"file": d.rel[len(prefix) + 1:] if prefix not in ("", ".") else d.rel, "line": d.line, "col": d.col,
             "role": role} for d, role in asked]
        for (d, role), found in zip(asked, server.where(queries), strict=True):
            slot = self._declared_slot(found) if found is not None else None
            # a callback typed `(id: number) => void` given where `(id: string) => void` goes will be
            # called with the key: its parameter is the key's next slot, as for any argument
            callback = found is not None and found.get("callback") is True
            if slot is not None and role == "value" and not callback and not self._listed(slot):
                slot = None  # a number given to the key's slot is the key only where the report says so
            self.slots[d] = slot

    def _listed(self, slot: Slot) -> bool:
        """Is the slot's line one the report lists for review (a generated client's `id: number`, which the
        rules do not patch)? Only then is a `number` read into a key slot retyped at its declaration:
        elsewhere it may be a count given where the key goes (`label(booking.seats)`), for a person."""
        lmap = self._map(slot.rel) if self.path(slot.rel) in self.work.edits else None
        line = lmap.line(slot.line) if lmap is not None else slot.line
        return (self.path(slot.rel), line) in self.review

    def _declared_slot(self, found: Mapping[str, object]) -> Slot | None:
        file, start, end = found.get("file"), found.get("start"), found.get("end")
        if not isinstance(file, str) or not isinstance(start, int) or not isinstance(end, int):
            return None
        rel = os.path.normpath(self.rel_dir / file).replace(os.sep, "/")
        if rel.startswith("../") or "node_modules/" in rel or not rel.endswith(_TS_EXT) or rel.endswith(".d.ts"):
            return None
        tree = self.resolver.tree(rel)
        if tree is None:
            return None
        a, b = tree.byte(_from_utf16(tree.text, start)), tree.byte(_from_utf16(tree.text, end))
        node = tree.tree.root_node.named_descendant_for_byte_range(a, b)
        while node is not None and node.parent is not None and (node.start_byte, node.end_byte) == \
                (node.parent.start_byte, node.parent.end_byte):
            node = node.parent
        if node is None or (node.start_byte, node.end_byte) != (a, b):
            return None
        try:
            return self.resolver._slot(tree, node, str(found.get("symbol") or ""), str(found.get("what") or "property"))
        except Exception:  # noqa: BLE001 - a declaration the resolver cannot read is no fix
            return None

    def _baseline(self) -> Counter[tuple[str, int, str]] | None:
        """tsc on the tree as it was: the changed files go back to their scanned text for one run."""
        changed = [rel for rel in {*self.own, *(k[0] for k in self.fixes)} if self.path(rel) in self.work.edits]
        for rel in changed:
            original = self.work.original(self.path(rel))
            if original is not None:
                (self.copy / rel).write_bytes(original.encode("utf-8"))
        diags = self.tsc.run()
        for rel in changed:
            self._write(rel)
        if diags is None:
            return None
        self.record.before = len(diags)
        return Counter((d.rel, d.line, d.text) for d in diags)

    # ------------------------------------------------------------------ rounds

    def _write(self, rel: str) -> bool:
        text = self.work.text(self.path(rel))
        if text is None:
            return False
        (self.copy / rel).write_bytes(text.encode("utf-8"))
        self.maps.pop(rel, None)
        return True

    def _map(self, rel: str) -> _LineMap | None:
        if rel not in self.maps:
            original = self.work.original(self.path(rel)) if self.path(rel) in self.work.abs else None
            if original is None:
                return None
            try:
                current = (self.copy / rel).read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError):
                return None
            self.maps[rel] = _LineMap(original, current)
        return self.maps[rel]

    def _original_line(self, d: Diagnostic) -> int:
        m = self._map(d.rel) if self.path(d.rel) in self.work.edits else None
        return m.line(d.line) if m is not None else d.line

    def _new(self, diags: list[Diagnostic], known: Counter[tuple[str, int, str]]) -> list[Diagnostic]:
        left = Counter(known)
        out = []
        for d in diags:
            key = (d.rel, self._original_line(d), d.text)
            if left[key] > 0:
                left[key] -= 1
            else:
                out.append(d)
        return out

    def _fix_round(self, new: list[Diagnostic], more: bool = True) -> bool:
        """Give back the rewrites of the last round that left an error on their own lines, else make the
        changes the new errors name (`more`); True when something changed (another round)."""
        changed: set[str] = set()
        if self._undo_failed_trials(new, changed, more):
            return self._write_all(changed)
        if not more:
            return False
        slots: dict[tuple[str, int], tuple[Slot, Finding, Finding | None, list[Diagnostic]]] = {}
        for d in new:
            slot = self._slot(d)
            if slot is None:
                continue
            finding = self._fix_finding(slot, d)
            if finding is None:
                continue
            key = (slot.rel, finding.edits[0].start)
            same = slots.get(key)
            if same is not None:  # both sides of one comparator: one rewrite
                same[3].append(d)
                continue
            if key in self.rejected or any((slot.rel, e.start) in self.fixes for e in finding.edits):
                continue
            if not self.work.wanted(finding) or not self._fits(finding):
                continue
            fallback = self._fix_finding(slot.fallback, d) if slot.fallback is not None else None
            slots[key] = (slot, finding, fallback, [d])
            cause = self._cause(d)  # before the fix joins the candidates
            if cause is not None:
                self.causes[id(finding)] = cause
            self._apply(slot.rel, finding)
            changed.add(slot.rel)
        for slot, finding, fallback, prompts in slots.values():
            if not slot.retype:  # a rewrite is checked by the next round: kept only if its lines are clean
                self.trials.append(_Trial(slot.rel, finding, fallback, self._lines(finding),
                                          frozenset(self._key(d) for d in prompts), frozenset(self._key(d) for d in new)))
        return self._write_all(changed)

    def _undo_failed_trials(self, new: list[Diagnostic], changed: set[str], more: bool) -> bool:
        """A rewrite (a comparator, a dropped conversion) whose lines have an error they did not have, or
        still the one it was for, goes back, and its fallback (`x ?? ''`) is tried instead."""
        trials, self.trials = self.trials, []
        failed = False
        for trial in trials:
            now = {self._key(d) for d in new if (self.path(d.rel), self._original_line(d)) in trial.lines
                   and not self._continues(d)}
            if not now - (trial.context - trial.prompts):
                continue
            failed = True
            self.rejected.add((trial.rel, trial.finding.edits[0].start))
            self._drop(trial.rel, trial.finding)
            changed.add(trial.rel)
            fallback = trial.fallback
            if more and fallback is not None and self._fits(fallback):
                self._apply(trial.rel, fallback)
                self.trials.append(_Trial(trial.rel, fallback, None, trial.lines, trial.prompts, trial.context))
        return failed

    def _continues(self, d: Diagnostic) -> bool:
        """An error on a rewritten line that the loop will follow (a retype): not the rewrite's failure."""
        slot = self._slot(d)
        return slot is not None and slot.retype

    def _key(self, d: Diagnostic) -> tuple[str, int, str]:
        return self.path(d.rel), self._original_line(d), d.text

    def _lines(self, f: Finding) -> frozenset[tuple[str, int]]:
        original = self.work.original(f.path) or ""
        return frozenset((f.path, line) for e in f.edits
                         for line in range(_line_col(original, e.start)[0], _line_col(original, e.end)[0] + 1))

    def _fits(self, f: Finding) -> bool:
        """Do the new edits go with the file's edits so far (no overlap)?"""
        original = self.work.original(f.path)
        if original is None:
            return False
        try:
            patch_file(original, [*self.work.edits.get(f.path, []), *f.edits], "typescript")
        except EditConflict:
            return False
        return True

    def _apply(self, rel: str, f: Finding) -> None:
        for e in f.edits:
            self.fixes[(rel, e.start)] = f
        self.work.add(f.path, str(self.root / rel), f.edits, "typescript")

    def _drop(self, rel: str, f: Finding) -> None:
        ids = {id(e) for e in f.edits}
        self.work.edits[f.path] = [e for e in self.work.edits.get(f.path, []) if id(e) not in ids]
        for key in [k for k, v in self.fixes.items() if v is f]:
            del self.fixes[key]

    def _write_all(self, changed: set[str]) -> bool:
        for rel in changed:
            self.maps.pop(rel, None)
            if not self._write(rel):
                return False
        return bool(changed)

    def _fix_finding(self, slot: Slot, d: Diagnostic) -> Finding | None:
        path = self.path(slot.rel)
        if path not in self.work.abs:
            self.work.abs[path] = str(self.root / slot.rel)
        original = self.work.original(path)
        try:
            current = (self.copy / slot.rel).read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        if original is None:
            return None
        lmap = _LineMap(original, current)
        edits = []
        for i, (a, b) in enumerate(slot.spans):
            oa = lmap.offset(a)
            if oa is None or original[oa:oa + (b - a)] != current[a:b] or (slot.retype and current[a:b] != "number"):
                return None
            edits.append(Edit(oa, oa + (b - a), slot.replacement(i)))
        first = min(edits, key=lambda e: e.start) if slot.retype else edits[0]
        line, col = _line_col(original, first.start)
        end_line, end_col = _line_col(original, first.end)
        where = f"{self.path(d.rel)}:{self._original_line(d)}"
        return Finding(rule="ts.tsc.annotation", code="TS901", layer=self._layer(path, original, line),
                       language="typescript", kind="must_change", severity="error", path=path,
                       span=Span(line, col, end_line, end_col), symbol=slot.symbol,
                       message=slot.describe(d.code, where), evidence=_evidence(d), target=self._target(),
                       edits=tuple(edits))

    # ------------------------------------------------------------------ conclusions

    def _conclude(self, final: list[Diagnostic], live: dict[str, str]) -> None:
        record = self.record
        record.fixed = len({id(f) for f in self.fixes.values()})
        if self.record.withheld:
            return
        found: dict[tuple[str, int, str], Finding] = {}
        for d in final:
            line = self._original_line(d)
            path = self.path(d.rel)
            if (path, line) in self.review:
                record.expected += 1
                continue
            key = (path, line, d.text)
            if key not in found:
                f = self._diagnostic_finding(d, path, line)
                if f is not None and self.work.wanted(f):
                    found[key] = f
                elif f is not None:
                    record.silenced += 1
        record.after = len(final)
        record.found = len(found)
        self.result.found.extend(self.fixes[k] for k in sorted(self.fixes, key=lambda k: (k[0], k[1]))
                                 if self.fixes[k] not in self.result.found)
        self.result.found.extend(found.values())
        for f in (*self.fixes.values(), *found.values()):
            self.result.files.setdefault(f.path, self.work.abs.get(f.path, str(self.root / f.path[len(self.base):])))
        record.patched = len({*self.own, *(k[0] for k in self.fixes)})

    def _diagnostic_finding(self, d: Diagnostic, path: str, line: int) -> Finding | None:
        original = self.work.original(path) if path in self.work.abs else None
        if original is None:
            self.work.abs[path] = str(self.root / d.rel)
            original = self.work.original(path)
        if original is None:
            return None
        tree = self.resolver.tree(d.rel)
        node = tree.at(d.line, d.col) if tree is not None else None
        scope = self.resolver.scope(d.rel, node) if node is not None else "<module>"
        width = 1
        if tree is not None and node is not None and node.start_point[0] == node.end_point[0]:
            width = max(1, tree.char(node.end_byte) - tree.char(node.start_byte))
        lines = original.splitlines()
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        col = min(d.col, len(text) + 1) if self._original_line(d) == d.line or path not in self.work.edits else 1
        cause = self._cause(d)
        caused = (f"once the patch for `{cause.symbol}` ({cause.code}, {cause.path}:{cause.line}) is applied"
                  if cause is not None else f"once the patches of {self.label} are applied")
        return Finding(rule="ts.tsc.diagnostic", code="TS900", layer=self._layer(path, original, line),
                       language="typescript", kind="must_change", severity="error", path=path,
                       span=Span(line, col, line, min(col + width, len(text) + 1) if text else col + width),
                       symbol=f"{scope} {d.code}", message=f"tsc {d.code} {caused}: {d.message}",
                       evidence=_evidence(d), target=cause.target if cause is not None else self._target(),
                       review="the compiler reports this line once the patches are applied, and names no "
                              "annotation to retype: change it by hand (the message says what does not fit)")

    def _cause(self, d: Diagnostic) -> Finding | None:
        """The applied finding whose patch the error is about: the one whose symbol shares the most words
        with the error's line, preferring the same file, then the files it imports."""
        tree = self.resolver.tree(d.rel)
        text = tree.text.splitlines()[d.line - 1] if tree is not None and 0 < d.line <= len(tree.text.splitlines()) \
            else ""
        words = set(_WORD.findall(text))
        imports = set(_relative_imports(self.copy, d.rel))
        best: Finding | None = None
        best_key: tuple[int, int, int] = (0, 0, 0)
        for f in (*self.applied, *self.fixes.values()):
            rel = f.path[len(self.base):]
            near = 2 if rel == d.rel else 1 if rel in imports else 0
            score = sum(len(w) for w in set(_WORD.findall(f.symbol)) & words)
            if not score and not near:
                continue
            key = (score, near, -abs(f.span.line - self._original_line(d)) if near == 2 else 0)
            if best is None or key > best_key:
                best, best_key = f, key
        return best

    def _layer(self, path: str, text: str, line: int) -> str:
        from analyzer.typescript.detect import context_layer
        from analyzer.typescript.index import build_index
        from analyzer.typescript.parsing import Source, is_tsx, parse

        try:
            src = Source(text)
            tsx = is_tsx(path)
            fi = build_index(SourceFile(root="", abs_path="", path=path, language="typescript"), src,
                             parse(src, tsx), tsx)
        except Exception:  # noqa: BLE001 - a layer is a label; the finding stands without the index
            return "other"
        row = line - 1
        inner = None
        for func in fi.funcs:
            if func.node.start_point[0] <= row <= func.node.end_point[0]:
                if inner is None or func.node.start_byte >= inner.node.start_byte:
                    inner = func
        return context_layer(inner, fi)

    def _target(self) -> str:
        targets = [f.target for f in self.applied if f.target]
        return Counter(targets).most_common(1)[0][0] if targets else ""

    def _culprits(self, live: dict[str, str], known: Counter[tuple[str, int, str]]) -> list[str] | None:
        """The patched file whose patch alone brings the errors tsc places in no file, by halving (a few
        runs of the compiler kept running); None when no one file does."""
        suspects = sorted({*live, *(k[0] for k in self.fixes)})

        def clean_without(group: list[str]) -> bool | None:
            for rel in group:
                original = self.work.original(self.path(rel))
                if original is not None:
                    (self.copy / rel).write_bytes(original.encode("utf-8"))
            diags = self.tsc.run()
            for rel in group:
                self._write(rel)
            if diags is None:
                return None
            left = Counter({text: n for (rel, _line, text), n in known.items() if not rel})
            for d in diags:
                if not d.rel:
                    if left[d.text] <= 0:
                        return False
                    left[d.text] -= 1
            return True

        while len(suspects) > 1:
            half = suspects[:len(suspects) // 2]
            ok = clean_without(half)
            if ok is None:
                return None
            suspects = half if ok else suspects[len(half):]
        return suspects if suspects and clean_without(suspects) else None

    def _withhold_file(self, rel: str, live: dict[str, str], why: str) -> None:
        """One patched file's patch withheld (the rules' edits and the compiler's in it); the others stay."""
        path = self.path(rel)
        self.result.withheld[path] = why
        gone = {id(f) for f in (*self.applied, *self.fixes.values()) if f.path == path}
        self.work.edits[path] = []
        for key in [k for k in self.fixes if k[0] == rel]:
            del self.fixes[key]
        for fix in self._dependents(gone):  # retyped elsewhere only because of this file's patch
            other = fix.path[len(self.base):]
            self._drop(other, fix)
            self.maps.pop(other, None)
            self._write(other)
        self.applied = [f for f in self.applied if f.path != path]
        live.pop(rel, None)
        self.maps.pop(rel, None)
        original = self.work.original(path)
        if original is not None:
            (self.copy / rel).write_bytes(original.encode("utf-8"))
        self.record.alone += 1

    def _withhold_all(self, live: dict[str, str], why: str) -> None:
        for path in (*live.values(), *(f.path for f in self.fixes.values())):
            self.result.withheld.setdefault(path, why)
        self.record.withheld = len({*live.values(), *(f.path for f in self.fixes.values())})
        self.fixes.clear()

    def _say(self) -> None:
        r = self.record
        rounds = f"{r.rounds} round{'s' if r.rounds != 1 else ''}, {r.seconds:.1f}s"
        if not r.ran:
            return
        if r.withheld:
            why = next((self.result.withheld[p] for p in self.own.values() if p in self.result.withheld), "")
            self.result.skipped.append(f"tsc: {self.label}: {r.withheld} patched file{'s' if r.withheld != 1 else ''} "
                                       f"withheld: {why} ({rounds})")
            return
        files = f"{r.patched} patched file{'s' if r.patched != 1 else ''}"
        if not r.first:
            self.result.checked.append(f"tsc: {self.label} type-checks with {files} ({rounds})")
            return
        parts = []
        if r.fixed:
            parts.append(f"{r.fixed} annotation{'s' if r.fixed != 1 else ''} retyped from its messages")
        if r.found:
            parts.append(f"{r.found} new finding{'s' if r.found != 1 else ''} for review")
        if r.expected:
            parts.append(f"{r.expected} error{'s' if r.expected != 1 else ''} on lines the report lists for review")
        if r.silenced:
            parts.append(f"{r.silenced} silenced by a suppression comment or the configuration")
        if r.held:
            parts.append(f"{r.held} finding{'s' if r.held != 1 else ''}' patch withheld (tsc rejects what it wrote)")
        if r.alone:
            parts.append(f"{r.alone} file{'s' if r.alone != 1 else ''}' patch withheld (an error tsc places in no file)")
        new = "new error" if r.before is not None else "error"  # no baseline: every one is on a review line
        self.result.checked.append(f"tsc: {self.label}: {r.first} {new}{'s' if r.first != 1 else ''} with the "
                                   f"rules' patches; {', '.join(parts) or 'none left'}; {files} kept ({rounds})")


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _evidence(d: Diagnostic) -> str:
    return f"tsc {d.code}: {d.message}" + (f" ({d.detail})" if d.detail else "")


def _held_key(f: Finding) -> tuple[str, int, str]:
    """How `Verification.held` names a finding: path, line and symbol (stable between verify and report)."""
    return f.path, f.span.line, f.symbol


def _from_utf16(text: str, offset: int) -> int:
    """A str offset from the compiler's (UTF-16 code units)."""
    if text.isascii():
        return offset
    return len(text.encode("utf-16-le")[:2 * offset].decode("utf-16-le", "ignore"))


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


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
