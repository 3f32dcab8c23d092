"""The scan cache (`.impact-cache/`): a scan whose inputs did not change is read back, not run again.

What the scanners find depends on the files' contents, the tool itself (its code and its parsers'
versions), the schema's closure, the target type and the configuration. An entry is stored under a key
made of all of them, and holds both scanners' results (findings, outcomes, seeds, stats) and what decided
which Python files were parsed.

A run whose files differ from a stored entry's may still reuse it, exactly:

- Python: when every changed, added or removed file is a `.py` file the entry did not parse, and whose
  new text mentions none of the words any file was checked against in any round (nor is a module a key
  was passed into): the prefilter keeps it out in every round again, so the rounds, the parsed files
  and the findings are those of the entry (the file's outcome is recomputed). Anything else (a parsed
  file, a file that now mentions the key, a `.sql` file) makes a full scan.
- TypeScript: when no TypeScript file changed and the Python side was reused (the same seeds);
  otherwise the TypeScript scan runs again on the reused seeds.

The cache lives in the first root's `.impact-cache/` (or `--cache-dir`), which holds a `.gitignore`
of `*` so it is never committed. Entries are pickles written by this tool into that folder, read back
only when their key matches; the folder is dropped to its newest entries past `max_bytes`. A folder the
scan cannot create or write is no error: the scan runs without a cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from analyzer import __version__
from analyzer.config import Config
from analyzer.models import (
    Closure,
    FileOutcome,
    Ok,
    RuleMeta,
    ScanResult,
    SchemaSnapshot,
    Skipped,
    SourceFile,
)

T = TypeVar("T")
FORMAT = 1
DIRNAME = ".impact-cache"
DEFAULT_MAX_BYTES = 256 << 20
_RECENT = 8  # entries remembered per configuration, to reuse across branches
_MAX_HASHED = 64 << 20  # larger files are told apart by their size and time (the scan skips them anyway)
#: Config fields that change how the scan runs, never what it finds
_NOT_IN_KEY = frozenset({"jobs", "cache", "source", "roots"})


@lru_cache(maxsize=1)
def tool_fingerprint() -> str:
    """The tool's own code (analyzer/ and its rules, whatever their files) and its parsers' versions: a
    rule edited in a checkout invalidates what the old rule found."""
    import analyzer
    import analyzer.rules

    h = hashlib.sha256(f"{FORMAT} {__version__} {sys.version}".encode())
    for dist in ("libcst", "tree-sitter", "tree-sitter-typescript"):
        try:
            from importlib.metadata import version

            h.update(f"{dist}={version(dist)}".encode())
        except Exception:  # noqa: BLE001 - a missing distribution only makes the key differ
            h.update(dist.encode())
    roots = [Path(analyzer.__file__).parent, *(Path(p) for p in analyzer.rules.__path__)]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if "__pycache__" in path.parts or not path.is_file() or path.suffix in (".pyc", ".pyo"):
                continue
            h.update(str(path.relative_to(root)).encode())
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def config_fingerprint(config: Config) -> str:
    return repr([(f.name, getattr(config, f.name)) for f in fields(config) if f.name not in _NOT_IN_KEY])


def digests(files: Iterable[SourceFile]) -> dict[str, str]:
    """path -> sha1 of the file's bytes; for a file that is not a regular file any more or cannot be
    read, what stat says of it (the scan will say why it skips it). Opened as the scan opens files
    (no blocking on a FIFO swapped in, no final symlink followed)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    out: dict[str, str] = {}
    for f in files:
        try:
            fd = os.open(f.abs_path, flags)
        except OSError as exc:
            out[f.path] = f"error:{exc.errno}"
            continue
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX_HASHED:
                out[f.path] = f"stat:{st.st_mode}:{st.st_size}:{st.st_mtime_ns}"
                continue
            h = hashlib.sha1()
            while chunk := os.read(fd, 1 << 20):
                h.update(chunk)
            out[f.path] = h.hexdigest()
        except OSError as exc:
            out[f.path] = f"error:{exc.errno}"
        finally:
            os.close(fd)
    return out


@dataclass
class Entry:
    """What one scan stored: its inputs (files and their digests) and both scanners' results."""

    files: list[tuple[str, str, str, str]]  # (path, language, abs_path, digest), in discovery order
    py: ScanResult
    ts: ScanResult
    trace: dict[str, Any] = field(default_factory=dict)


@dataclass
class Lookup:
    """What the cache could give a scan: both results (`py`, `ts`), the Python side only, or nothing."""

    py: ScanResult | None = None
    ts: ScanResult | None = None
    how: str = "miss"  # "hit" | "python reused" | "miss"
    trace: dict[str, Any] = field(default_factory=dict)


class ScanCache:
    def __init__(self, directory: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.dir = directory
        self.max_bytes = max_bytes

    @classmethod
    def open(cls, directory: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> ScanCache | None:
        """The cache in `directory` (created with its .gitignore), or None when it cannot be written."""
        try:
            directory.mkdir(parents=True, exist_ok=True)
            ignore = directory / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# impact's scan cache: never committed\n*\n", encoding="utf-8")
            if not os.access(directory, os.W_OK):
                return None
        except OSError:
            return None
        return cls(directory, max_bytes)

    # ------------------------------------------------------------------ keys
    @staticmethod
    def scan_key(closure: Closure, config: Config, to_type: str, roots: Sequence[str]) -> str:
        """Everything the scan depends on except the files."""
        text = json.dumps([tool_fingerprint(), repr(closure), config_fingerprint(config), to_type,
                           [str(Path(r).resolve()) for r in roots]])
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    @staticmethod
    def files_key(scan_key: str, files: Sequence[SourceFile], sums: dict[str, str]) -> str:
        h = hashlib.sha256(scan_key.encode())
        for f in files:
            h.update(f"\0{f.path}\0{f.language}\0{f.abs_path}\0{sums.get(f.path, '')}".encode())
        return h.hexdigest()[:32]

    # ------------------------------------------------------------------ entries
    def _read(self, name: str) -> Any:
        try:
            with open(self.dir / name, "rb") as fh:
                return pickle.load(fh)
        except Exception:  # noqa: BLE001 - a missing, partial or foreign entry is a miss
            return None

    def _write(self, name: str, value: Any) -> None:
        try:
            fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.dir / name)
        except OSError:
            try:
                os.unlink(tmp)
            except (OSError, UnboundLocalError):
                pass

    def lookup(self, scan_key: str, files: Sequence[SourceFile], sums: dict[str, str], config: Config) -> Lookup:
        key = self.files_key(scan_key, files, sums)
        entry = self._read(f"scan-{key}.pickle")
        if isinstance(entry, Entry):
            self._touch(f"scan-{key}.pickle")
            return Lookup(entry.py, entry.ts, "hit", entry.trace)
        recent = self._read(f"recent-{scan_key}.pickle")
        for old_key in recent if isinstance(recent, list) else []:
            old = self._read(f"scan-{old_key}.pickle")
            if isinstance(old, Entry):
                got = reuse(old, files, sums, config)
                if got is not None:
                    if got.py is not None and got.ts is not None:  # the same again is then a plain hit
                        self.store(scan_key, files, sums, got.py, got.ts, got.trace)
                    return got
        return Lookup()

    def store(self, scan_key: str, files: Sequence[SourceFile], sums: dict[str, str], py: ScanResult,
              ts: ScanResult, trace: dict[str, Any]) -> None:
        key = self.files_key(scan_key, files, sums)
        rows: list[tuple[str, str, str, str]] = [(f.path, f.language, f.abs_path, sums.get(f.path, "")) for f in files]
        self._write(f"scan-{key}.pickle", Entry(rows, py, ts, trace))
        recent = self._read(f"recent-{scan_key}.pickle")
        recent = [k for k in (recent if isinstance(recent, list) else []) if k != key]
        self._write(f"recent-{scan_key}.pickle", [key, *recent][:_RECENT])
        self.trim()

    def store_snapshot(self, scan_key: str, files: Sequence[SourceFile], sums: dict[str, str], snap: Any) -> None:
        """The Python scan's final facts beside its entry, for diff mode (analyzer.incremental)."""
        self._write(f"facts-{self.files_key(scan_key, files, sums)}.pickle", snap)

    def base_entry(self, scan_key: str, files: Sequence[SourceFile], sums: dict[str, str],
                   changed: set[str]) -> tuple[Entry, Any, set[str]] | None:
        """The stored scan (with its final facts) whose files differ from these only in `changed` paths (the
        diff's), fewest differences first: (entry, snapshot, the paths that differ)."""
        now = {f.path: (f.language, f.abs_path, sums.get(f.path, "")) for f in files}
        recent = self._read(f"recent-{scan_key}.pickle")
        best: tuple[Entry, str, set[str]] | None = None
        for key in recent if isinstance(recent, list) else []:
            old = self._read(f"scan-{key}.pickle")
            if not isinstance(old, Entry):
                continue
            before = {path: (lang, abs_path, digest) for path, lang, abs_path, digest in old.files}
            differ = {p for p in before.keys() | now.keys() if before.get(p) != now.get(p)}
            if differ <= changed and (best is None or len(differ) < len(best[2])) \
                    and (self.dir / f"facts-{key}.pickle").exists():
                best = (old, key, differ)
        if best is None:
            return None
        snap = self._read(f"facts-{best[1]}.pickle")
        if snap is None:
            return None
        self._touch(f"scan-{best[1]}.pickle")
        self._touch(f"facts-{best[1]}.pickle")
        return best[0], snap, best[2]

    def _schema_name(self, files: Sequence[SourceFile], sums: dict[str, str]) -> str:
        h = hashlib.sha256(tool_fingerprint().encode())
        for f in files:
            if f.language == "python":
                h.update(f"\0{f.path}\0{f.abs_path}\0{sums.get(f.path, '')}".encode())
        return f"schema-{h.hexdigest()[:32]}.pickle"

    def schema(self, files: Sequence[SourceFile], sums: dict[str, str]) -> SchemaSnapshot | None:
        """The schema the models in the code declare, as read from these same Python files before."""
        got = self._read(self._schema_name(files, sums))
        return got if isinstance(got, SchemaSnapshot) else None

    def store_schema(self, files: Sequence[SourceFile], sums: dict[str, str], schema: SchemaSnapshot) -> None:
        self._write(self._schema_name(files, sums), schema)

    def memo(self, kind: str, inputs: object, compute: Callable[[], T]) -> T:
        """`compute()`, read back when `inputs` (anything with a faithful repr; the tool is added) are the
        same as when it was stored."""
        name = f"{kind}-{hashlib.sha256(repr((tool_fingerprint(), inputs)).encode()).hexdigest()[:32]}.pickle"
        got = self._read(name)
        if isinstance(got, tuple) and len(got) == 2 and got[0] == kind:
            return got[1]  # type: ignore[no-any-return]
        value = compute()
        self._write(name, (kind, value))
        return value

    def catalogue(self) -> list[RuleMeta] | None:
        got = self._read(f"rules-{tool_fingerprint()[:32]}.pickle")
        return got if isinstance(got, list) and all(isinstance(m, RuleMeta) for m in got) else None

    def store_catalogue(self, rules: list[RuleMeta]) -> None:
        self._write(f"rules-{tool_fingerprint()[:32]}.pickle", rules)

    def _touch(self, name: str) -> None:
        try:
            os.utime(self.dir / name)
        except OSError:
            pass

    def trim(self) -> None:
        """Newest entries first, until they fill `max_bytes`; older ones are deleted."""
        try:
            entries = [(p.stat().st_mtime, p.stat().st_size, p) for p in self.dir.glob("*.pickle")]
        except OSError:
            return
        total = 0
        for _mtime, size, path in sorted(entries, key=lambda e: -e[0]):
            total += size
            if total > self.max_bytes:
                try:
                    path.unlink()
                except OSError:
                    pass


def reuse(old: Entry, files: Sequence[SourceFile], sums: dict[str, str], config: Config) -> Lookup | None:
    """The stored results made to fit the changed files, when the change cannot alter them; else None."""
    from analyzer.python.engine import _mentions, _wanted_module
    from analyzer.python.parsed import ParseFailure, read_text
    from analyzer.sources import Limits

    before = {path: (lang, abs_path, digest) for path, lang, abs_path, digest in old.files}
    now = {f.path: (f.language, f.abs_path, sums.get(f.path, "")) for f in files}
    changed = {p for p in before.keys() | now.keys() if before.get(p) != now.get(p)}
    if not changed:
        return None  # same files in another order: not worth the care
    words = old.trace.get("words")
    parsed = old.trace.get("parsed")
    wanted = old.trace.get("wanted_modules", frozenset())
    if words is None or parsed is None:
        return None
    languages = {lang for p in changed for lang in (before.get(p, ("",))[0], now.get(p, ("",))[0])}
    py_changed = [p for p in changed if {before.get(p, ("",))[0], now.get(p, ("",))[0]} & {"python", "sql"}]
    limits = Limits.of(config)
    outcomes: dict[str, FileOutcome] = {o.path: o for o in old.py.outcomes}
    for path in py_changed:
        if path in parsed or not path.endswith(".py") or (path in before and before[path][0] != "python"):
            return None
        if path not in now:
            outcomes.pop(path, None)
            continue
        lang, abs_path, _digest = now[path]
        if lang != "python":
            return None
        try:
            text = read_text(abs_path, limits)
        except ParseFailure as exc:
            outcomes[path] = Skipped(path, str(exc))
            continue
        if any(_mentions(text, w) for w in words) or _wanted_module(path, set(wanted)):
            return None
        outcomes[path] = Ok(path, findings=0)
    py_files = [f for f in files if f.language in ("python", "sql")]
    stats = dict(old.py.stats)
    stats["files"] = float(len(py_files))
    py = replace(old.py, outcomes=tuple(outcomes[f.path] for f in py_files if f.path in outcomes), stats=stats)
    if "typescript" not in languages:
        return Lookup(py, old.ts, "reused", old.trace)  # the same TypeScript files, the same seeds
    from analyzer.typescript.scan import replay

    ts_files = [f for f in files if f.language == "typescript"]
    ts_changed = {p for p in changed if "typescript" in (before.get(p, ("",))[0], now.get(p, ("",))[0])}
    ts = replay(old.ts, old.trace.get("typescript", {}), ts_files, ts_changed, py.seeds, config)
    if ts is None:
        return Lookup(py, None, "python reused", old.trace)
    return Lookup(py, ts, "reused", old.trace)


def default_dir(roots: Sequence[str]) -> Path:
    first = Path(roots[0]) if roots else Path.cwd()
    return (first if first.is_dir() else first.parent) / DIRNAME
