"""The Python side of the oracle: the project's own type checker, and its imports, on the patched copy.

Where the scanned project configures mypy (`[tool.mypy]` in pyproject.toml, `mypy.ini`, `.mypy.ini`,
`setup.cfg [mypy]`) or pyright (`pyrightconfig.json`, `[tool.pyright]`), in the root or a directory
above it, and the checker is at hand (the project's virtualenv `.venv/bin/mypy` or `venv/bin/...` beside
the config or the root, else on PATH), the config's directory is copied to a temporary one, patched, and
the checker runs there. As for tsc, the tree as it was is checked only when the patched one has errors
that could be news, with mypy's cache shared between the two runs; a new error on a line the report does
not list for review becomes a finding there (PY900), linked to the finding whose patch caused it.

With a virtualenv found (`.venv/bin/python`), every patched module is imported in it, in the copy: a
module that imported before the patches and fails after is a broken patch, withheld with the error.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from analyzer.models import Finding, Span

if TYPE_CHECKING:
    from analyzer.codemods.verify import Verification, _Work

_MYPY_LINE = re.compile(r"^(?P<file>[^:\n]+\.pyi?):(?P<line>\d+):(?:(?P<col>\d+):)? error: (?P<msg>.*?)"
                        r"(?:  \[(?P<code>[\w-]+)\])?$")
_WORD = re.compile(r"[A-Za-z_][\w]*")
_SECTION = re.compile(r"^\[(?:tool\.mypy|mypy)\]\s*$(?P<body>(?:\n(?!\[).*)*)", re.M)
_ENVS = (".venv", "venv", "env")


@dataclass(frozen=True)
class Checker:
    kind: str  # "mypy" | "pyright"
    exe: str
    base: Path  # the directory holding the config: the copy is made of it, the checker runs in it
    files_in_config: bool  # the config names what to check (else: the scanned root)


@dataclass(frozen=True)
class PyDiagnostic:
    rel: str  # path relative to the copied base
    line: int
    col: int
    code: str  # "arg-type", "reportArgumentType"
    message: str

    @property
    def text(self) -> str:
        return f"{self.code}: {self.message}"


def _bases(root: Path, levels: int) -> list[Path]:
    """The root and the folders above it where its checker's config and virtualenv are looked for, up to
    the repository's top (a config above it is not the project's)."""
    out = []
    for base in (root, *list(root.parents)[:levels]):
        out.append(base)
        if (base / ".git").exists():
            break
    return out


def find_checker(root: Path, levels: int = 1) -> Checker | None:
    """The type checker the project configures, in the root or the directory above it (`impact scan
    backend frontend` from the repository's top), and where it is installed. A config above the root that
    names its files must name the root among them: a tool's own config two folders up is not the app's."""
    for base in _bases(root, levels):
        for kind, configured in (("mypy", _mypy_config(base)), ("pyright", _pyright_config(base))):
            if configured is None or (base != root and configured and not _covers(base, root, kind)):
                continue
            exe = _executable(kind, base, root)
            if exe is not None:
                return Checker(kind, exe, base, configured)
    return None


def _covers(base: Path, root: Path, kind: str) -> bool:
    """Does the config at `base` list `root` (or a folder above it) among the files it checks?"""
    inner = root.resolve().relative_to(base.resolve()).as_posix()
    names = ("mypy.ini", ".mypy.ini", "pyproject.toml", "setup.cfg") if kind == "mypy" else \
        ("pyrightconfig.json", "pyproject.toml")
    text = ""
    for name in names:
        try:
            text += (base / name).read_text(encoding="utf-8") + "\n"
        except (OSError, UnicodeDecodeError):
            continue
    m = re.search(r"^\s*\"?(?:files|include)\"?\s*[=:]\s*(?P<value>\[[^\]]*\]|.*)$", text, re.M)
    listed = re.findall(r"[\w.][\w./-]*", m.group("value")) if m else []
    return any(inner == e.strip("./") or inner.startswith(e.strip("./") + "/") or e.strip("./") == "" for e in listed)


def _mypy_config(base: Path) -> bool | None:
    """None: no mypy config here; else whether it names the files to check."""
    for name in ("mypy.ini", ".mypy.ini", "pyproject.toml", "setup.cfg"):
        try:
            text = (base / name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        m = _SECTION.search(text)
        if m:
            return re.search(r"^\s*files\s*=", m.group("body"), re.M) is not None
    return None


def _pyright_config(base: Path) -> bool | None:
    try:
        data = json.loads((base / "pyrightconfig.json").read_text(encoding="utf-8"))
        return isinstance(data, dict) and bool(data.get("include"))
    except (OSError, ValueError, UnicodeDecodeError):
        pass
    try:
        text = (base / "pyproject.toml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    m = re.search(r"^\[tool\.pyright\]\s*$(?P<body>(?:\n(?!\[).*)*)", text, re.M)
    return None if m is None else re.search(r"^\s*include\s*=", m.group("body"), re.M) is not None


def _executable(kind: str, base: Path, root: Path) -> str | None:
    for d in dict.fromkeys((root, base, *[p for p in root.parents if base in (p, *p.parents)])):
        for env in _ENVS:
            exe = d / env / "bin" / kind
            if exe.is_file() and os.access(exe, os.X_OK):
                return str(exe)
    return shutil.which(kind)


def find_python(root: Path, levels: int = 1) -> Path | None:
    """The project's virtualenv interpreter, beside the root or above it (not impact's own)."""
    for d in _bases(root, levels):
        for env in _ENVS:
            exe = d / env / "bin" / "python"
            if exe.exists() and (d / env / "pyvenv.cfg").is_file():
                return exe
    return None


_CONFIGS = ("mypy.ini", ".mypy.ini", "pyproject.toml", "setup.cfg", "pyrightconfig.json")


def checker_inputs(root: Path) -> tuple[object, ...] | None:
    """What `verify_python_types` reads for this root beyond the scanned files, for the run memo: the
    configs where `find_checker` looks, the checker and the interpreter it finds (each by real path, size
    and mtime) and the installed packages of their virtualenvs (the dist-info names: mypy and the imports
    see the project's dependencies). None when a checker runs from an environment whose packages cannot
    be listed without running it (mypy on PATH outside a virtualenv)."""
    configs = [stat_of(base / name) for base in _bases(root, 1) for name in _CONFIGS]
    checker, python = find_checker(root), find_python(root)
    out: list[object] = [configs]
    if checker is not None:
        env = _env_of(Path(checker.exe))
        if env is None and checker.kind == "mypy":
            return None
        out += [checker.kind, str(checker.base), checker.files_in_config, stat_of(Path(checker.exe), real=True),
                _packages(env) if env is not None else None]
        if checker.kind == "pyright":
            node = shutil.which("node")
            out.append(stat_of(Path(node), real=True) if node else None)
    if python is not None:
        out += [stat_of(python, real=True), stat_of(python.parent.parent / "pyvenv.cfg"),
                _packages(python.parent.parent)]
    elif checker is not None and checker.kind == "pyright":
        return None  # pyright reads the packages of the `python` on PATH
    return tuple(out)


def stat_of(path: Path, real: bool = False) -> tuple[str, int, int] | None:
    """A file as the memo compares it: (path, size, mtime_ns); None when it is not there."""
    try:
        st = path.stat()
        return (os.path.realpath(path) if real else str(path), st.st_size, st.st_mtime_ns)
    except OSError:
        return None


def _env_of(exe: Path) -> Path | None:
    """The virtualenv a console script runs in: the folder above its `bin/`, or its shebang's."""
    for candidate in (exe, _shebang(exe)):
        if candidate is not None and (candidate.parent.parent / "pyvenv.cfg").is_file():
            return candidate.parent.parent
    return None


def _shebang(exe: Path) -> Path | None:
    try:
        with exe.open("rb") as fh:
            first = fh.readline(512)
    except OSError:
        return None
    words = first[2:].decode("utf-8", "replace").split() if first.startswith(b"#!") else []
    return Path(words[0]) if words and words[0].startswith("/") else None


def _packages(env: Path) -> list[str]:
    """The distributions installed in a virtualenv (their dist-info / egg-info names carry the version)."""
    names = []
    for site in sorted(env.glob("lib*/python*/site-packages")):
        try:
            names += sorted(n for n in os.listdir(site) if n.endswith((".dist-info", ".egg-info", ".egg-link", ".pth")))
        except OSError:
            continue
    return names


def verify_python_types(result: Verification, work: _Work, root_paths: Mapping[str, str],
                        findings: Sequence[Finding], timeout: float = 300) -> None:
    from analyzer.codemods.verify import ProjectCheck, _review_lines, _under

    review = _review_lines(findings)
    for prefix, root_text in sorted(root_paths.items()):
        root = Path(root_text)
        paths = [p for p in work.paths() if p.endswith(".py") and _under(p, prefix) and p not in result.withheld
                 and work.text(p) is not None]
        if not paths or not root.is_dir():
            continue
        checker = find_checker(root)
        python = find_python(root)
        if checker is None and python is None:
            continue
        base = checker.base if checker is not None else root
        label = prefix or root.name
        with tempfile.TemporaryDirectory(prefix="impact-py-") as tmp:
            copy = Path(tmp) / "root"
            from analyzer.codemods.verify import _COPY_IGNORE

            shutil.copytree(base, copy, symlinks=True, ignore=_COPY_IGNORE)
            inner = root.resolve().relative_to(base.resolve())
            at = {p: (inner / p[len(prefix) + 1 if prefix else 0:]).as_posix() for p in paths}
            if python is not None:
                _imports(result, work, python, copy, inner, at, label, min(timeout, 60))
            for p in [p for p in at if p in result.withheld]:  # a withheld patch leaves the copy too
                original = work.original(p)
                if original is not None:
                    (copy / at.pop(p)).write_bytes(original.encode("utf-8"))
            if checker is not None and at:
                record = ProjectCheck(label=f"{label} ({checker.kind})", checker=checker.kind)
                result.projects.append(record)
                _PyLoop(result, work, review, checker, copy, inner, at, record, Path(tmp), timeout, prefix,
                        root).run()


# ----------------------------------------------------------------------------- imports


def _imports(result: Verification, work: _Work, python: Path, copy: Path, inner: Path, at: dict[str, str],
             label: str, timeout: float) -> None:
    """Import every patched module in the project's virtualenv: before the patches, then after. A module
    that imported and no longer does is a broken patch."""
    modules = {}
    for path, rel in at.items():
        parts = Path(rel).relative_to(inner).with_suffix("").parts
        if parts and parts[-1] == "__init__":
            parts = parts[:-1]
        if parts and all(part.isidentifier() for part in parts):
            modules[path] = ".".join(parts)
    if not modules:
        return
    script = ("import importlib, json, sys\nsys.path.insert(0, '.')\nout = {}\n"
              "for m in sys.argv[1:]:\n"
              "    try:\n        importlib.import_module(m)\n"
              "    except BaseException as exc:  # noqa\n        out[m] = f'{type(exc).__name__}: {exc}'[:300]\n"
              "print(json.dumps(out))\n")

    def run() -> dict[str, str] | None:
        try:
            proc = subprocess.run([str(python), "-c", script, *sorted(set(modules.values()))], cwd=copy / inner,
                                  capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
            data = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.stdout.strip() else None
        except (OSError, subprocess.SubprocessError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    before = run()
    for path, rel in at.items():
        text = work.text(path)
        if text is not None:
            (copy / rel).write_bytes(text.encode("utf-8"))
    after = run()
    if before is None or after is None:
        result.skipped.append(f"python: {label}: the patched modules could not be imported with {python}")
        return
    broken = {m: why for m, why in after.items() if m not in before}
    for path, mod in modules.items():
        if mod in broken:
            result.withheld[path] = f"the patched module no longer imports ({broken[mod]})"
    ok = len(set(modules.values()) - set(after))
    if ok:
        result.checked.append(f"python: {label}: {ok} patched module{'s import' if ok != 1 else ' imports'} "
                              f"with {python}")
    if broken:
        result.skipped.append(f"python: {label}: {len(broken)} patched module{'s' if len(broken) != 1 else ''} "
                              "no longer import; their patches are withheld")


# ----------------------------------------------------------------------------- type checkers


class _PyLoop:
    """mypy / pyright on the patched copy; the copy as it was only when an error could be news."""

    def __init__(self, result: Verification, work: _Work, review: frozenset[tuple[str, int]], checker: Checker,
                 copy: Path, inner: Path, at: dict[str, str], record: object, scratch: Path, timeout: float,
                 prefix: str, root: Path) -> None:
        self.result, self.work, self.review, self.checker = result, work, review, checker
        self.copy, self.inner, self.at, self.record = copy, inner, at, record
        self.scratch, self.timeout, self.prefix, self.root = scratch, timeout, prefix, root
        self.by_rel = {rel: path for path, rel in at.items()}
        self.runs = 0

    def path(self, rel: str) -> str | None:
        """The finding path of a base-relative file in the scanned root (None: outside it)."""
        try:
            inside = Path(rel).relative_to(self.inner).as_posix()
        except ValueError:
            return None
        return f"{self.prefix}/{inside}" if self.prefix else inside

    def run(self) -> None:
        from analyzer.codemods.verify import ProjectCheck, _LineMap

        record = self.record
        assert isinstance(record, ProjectCheck)
        started = time.perf_counter()
        for path, rel in self.at.items():
            text = self.work.text(path)
            if text is not None:
                (self.copy / rel).write_bytes(text.encode("utf-8"))
        maps = {rel: _LineMap(self.work.original(path) or "", self.work.text(path) or "") for path, rel in self.at.items()}

        def original_line(d: PyDiagnostic) -> int:
            return maps[d.rel].line(d.line) if d.rel in maps else d.line

        diags = self._check()
        if diags is None:
            record.ran, record.reason = False, f"{self.checker.kind} could not run ({self.checker.exe})"
            self.result.skipped.append(f"{self.checker.kind}: could not run on {record.label}")
            return
        record.rounds = 1
        new = diags
        if any(self.path(d.rel) is None or (self.path(d.rel), original_line(d)) not in self.review for d in diags):
            for path, rel in self.at.items():  # the tree as it was
                original = self.work.original(path)
                if original is not None:
                    (self.copy / rel).write_bytes(original.encode("utf-8"))
            baseline = self._check()
            if baseline is None:
                record.ran, record.reason = False, f"{self.checker.kind} could not run on the unpatched tree"
                self.result.skipped.append(f"{self.checker.kind}: could not run on {record.label}")
                return
            record.before = len(baseline)
            known = Counter((d.rel, d.line, d.text) for d in baseline)
            new = []
            for d in diags:
                key = (d.rel, original_line(d), d.text)
                if known[key] > 0:
                    known[key] -= 1
                else:
                    new.append(d)
        record.first = record.after = len(new)
        found: dict[tuple[str, int, str], Finding] = {}
        for d in new:
            where = self.path(d.rel)
            line = original_line(d)
            if where is None:
                continue
            if (where, line) in self.review:
                record.expected += 1
                continue
            f = self._finding(d, where, line)
            if f is None:
                continue
            if self.work.wanted(f):
                found.setdefault((where, line, d.text), f)
            else:
                record.silenced += 1
        record.found = len(found)
        record.patched = len(self.at)
        record.runs = self.runs
        record.seconds = round(time.perf_counter() - started, 2)
        self.result.found.extend(found.values())
        for f in found.values():
            self.result.files.setdefault(f.path, self.work.abs[f.path])
        if not new:
            self.result.checked.append(f"{self.checker.kind}: {record.label} type-checks with {len(self.at)} patched "
                                       f"file{'s' if len(self.at) != 1 else ''} ({record.seconds:.1f}s)")
        else:
            parts = [f"{record.found} new finding{'s' if record.found != 1 else ''} for review"] if record.found else []
            if record.expected:
                parts.append(f"{record.expected} on lines the report lists for review")
            if record.silenced:
                parts.append(f"{record.silenced} silenced")
            self.result.checked.append(f"{self.checker.kind}: {record.label}: {len(new)} new error"
                                       f"{'s' if len(new) != 1 else ''} with the patches; "
                                       f"{', '.join(parts) or 'outside the scanned root'} ({record.seconds:.1f}s)")

    def _check(self) -> list[PyDiagnostic] | None:
        self.runs += 1
        c = self.checker
        targets = [] if c.files_in_config else [self.inner.as_posix() or "."]
        if c.kind == "mypy":
            cmd = [c.exe, "--no-error-summary", "--show-column-numbers", "--show-error-codes", "--no-pretty",
                   "--hide-error-context", "--no-color-output", "--cache-dir", str(self.scratch / "mypy-cache"),
                   *targets]
        else:
            cmd = [c.exe, "--outputjson", *targets]
        env = {**os.environ, "MYPY_FORCE_COLOR": "0", "NO_COLOR": "1"}
        try:
            proc = subprocess.run(cmd, cwd=self.copy, capture_output=True, text=True, timeout=self.timeout, env=env,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError):
            return None
        return parse_mypy(proc.stdout, proc.returncode) if c.kind == "mypy" else \
            parse_pyright(proc.stdout, proc.returncode, self.copy)

    def _finding(self, d: PyDiagnostic, path: str, line: int) -> Finding | None:
        from analyzer.python.parsed import layer_hint

        if path not in self.work.abs:  # a file with no finding of the rules: not in `files` yet
            self.work.abs[path] = str(self.root / (path[len(self.prefix) + 1:] if self.prefix else path))
        original = self.work.original(path)
        lines = original.splitlines() if original is not None else []
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        cause = self._cause(text, path)
        caused = (f"once the patch for `{cause.symbol}` ({cause.code}, {cause.path}:{cause.line}) is applied"
                  if cause is not None else "once the patches are applied")
        col = min(max(d.col, 1), len(text) + 1)
        end = len(text) + 1 if text else col + 1
        return Finding(rule="py.typecheck.diagnostic", code="PY900", layer=layer_hint(path) or "service",
                       language="python", kind="must_change", severity="error", path=path,
                       span=Span(line, col, line, max(end, col + 1)), symbol=f"{_scope(lines, line)} {d.code}",
                       message=f"{self.checker.kind} {d.code} {caused}: {d.message}",
                       evidence=f"{self.checker.kind} {d.code}: {d.message}",
                       target=cause.target if cause is not None else "",
                       review="the type checker reports this line once the patches are applied: change it by hand "
                              "as the message says")

    def _cause(self, text: str, path: str) -> Finding | None:
        words = set(_WORD.findall(text))
        best, best_key = None, (0, 0)
        for f in self.work.applied:
            if not f.path.endswith(".py"):
                continue
            score = sum(len(w) for w in set(_WORD.findall(f.symbol)) & words)
            key = (score, 1 if f.path == path else 0)
            if score and key > best_key:
                best, best_key = f, key
        return best


def _scope(lines: list[str], line: int) -> str:
    """The enclosing `def`/`class` of a line, by indentation (a symbol without a line number)."""
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    indent = len(here) - len(here.lstrip())
    for text in reversed(lines[:line - 1]):
        stripped = text.lstrip()
        if stripped and len(text) - len(stripped) < indent:
            m = re.match(r"(?:async\s+)?(?:def|class)\s+(\w+)", stripped)
            if m:
                return m.group(1)
            indent = len(text) - len(stripped)
    return "<module>"


def parse_mypy(stdout: str, returncode: int) -> list[PyDiagnostic] | None:
    """mypy's `file:line:col: error: message  [code]` lines; None when mypy itself failed (exit 2 and no
    error lines: a bad config, a crash)."""
    out = []
    for line in stdout.splitlines():
        m = _MYPY_LINE.match(line.rstrip())
        if m:
            out.append(PyDiagnostic(m.group("file").replace("\\", "/"), int(m.group("line")), int(m.group("col") or 1),
                                    m.group("code") or "misc", m.group("msg")))
    if returncode not in (0, 1) and not out:
        return None
    return out


def parse_pyright(stdout: str, returncode: int, base: Path) -> list[PyDiagnostic] | None:
    """pyright --outputjson: its generalDiagnostics of severity error (0-based positions)."""
    try:
        data = json.loads(stdout)
    except ValueError:
        return None
    out = []
    for d in data.get("generalDiagnostics", []) if isinstance(data, dict) else []:
        if not isinstance(d, dict) or d.get("severity") != "error":
            continue
        start = (d.get("range") or {}).get("start") or {}
        try:
            rel = Path(str(d.get("file", ""))).resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            rel = str(d.get("file", ""))
        out.append(PyDiagnostic(rel, int(start.get("line", 0)) + 1, int(start.get("character", 0)) + 1,
                                str(d.get("rule") or "error"), str(d.get("message", "")).splitlines()[0]))
    return out
