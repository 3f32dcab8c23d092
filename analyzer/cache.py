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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

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

if TYPE_CHECKING:
    from analyzer.sources import Discovery

T = TypeVar("T")
FORMAT = 1
DIRNAME = ".impact-cache"
DEFAULT_MAX_BYTES = 256 << 20
_RECENT = 8  # entries remembered per configuration, to reuse across branches
_MAX_HASHED = 64 << 20  # larger files are told apart by their size and time (the scan skips them anyway)
#: Config fields that change how the scan runs, never what it finds
_NOT_IN_KEY = frozenset({"jobs", "cache", "source", "roots", "diff_scan"})


@lru_cache(maxsize=1)
def tool_fingerprint() -> str:
    """The tool's own code (analyzer/ and its rules, whatever their files) and its parsers' versions: a
    rule edited in a checkout invalidates what the old rule found."""
    import analyzer
    import analyzer.rules

    h = hashlib.sha256(f"{FORMAT} {__version__} {sys.version}".encode())
    for dist in ("libcst", "tree-sitter", "tree-sitter-typescript"):
        h.update(f"{dist}={dist_version(dist)}".encode())
    roots = [Path(analyzer.__file__).parent, *(Path(p) for p in analyzer.rules.__path__)]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if "__pycache__" in path.parts or not path.is_file() or path.suffix in (".pyc", ".pyo"):
                continue
            h.update(str(path.relative_to(root)).encode())
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def dist_version(dist: str) -> str | None:
    """An installed distribution's version, or None when it is not installed: read from the name of its
    `.dist-info` folder on `sys.path` (one listing per folder); `importlib.metadata` only for an `.egg-info`
    install. Importing importlib.metadata and asking it cost ~0.13 s, an eighth of a warm re-run on a slow
    machine. As tests/test_cache.py checks: `tree_sitter-0.26.1.dist-info` is tree-sitter 0.26.1,
    `SQLAlchemy-2.0.36.dist-info` is sqlalchemy 2.0.36, `psycopg_binary-3.2.1.dist-info` is not psycopg."""
    want = _normal(dist)
    egg = False
    for entry in sys.path:
        for name in _listing(entry or "."):
            if name.endswith(".dist-info"):
                project, _, version = name[: -len(".dist-info")].rpartition("-")
                if _normal(project) == want:
                    return version
            elif name.endswith(".egg-info") and _normal(name.split("-", 1)[0].removesuffix(".egg-info")) == want:
                egg = True
    if not egg:
        return None
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as metadata_version

    try:
        return metadata_version(dist)
    except PackageNotFoundError:
        return None


def _normal(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


@lru_cache(maxsize=64)
def _listing(folder: str) -> tuple[str, ...]:
    try:
        return tuple(os.listdir(folder))
    except OSError:
        return ()


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


@dataclass
class SchemaRecord:
    """A schema as a scan read it, with what shows a later scan would read the same: the statements the
    reflection sent and a digest of each answer (--db: replayed), or what reading the models looked at and
    the Python files it read them from (path -> (abs_path, digest); diff mode, incremental.base_schema)."""

    schema: SchemaSnapshot
    statements: list[tuple[str, Any, str]] | None = None
    reads: Any = None  # analyzer.db.models_schema.ModelReads
    files: dict[str, tuple[str, str]] = field(default_factory=dict)


class ScanCache:
    def __init__(self, directory: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.dir = directory
        self.max_bytes = max_bytes
        #: scan entries read in this run (a diff run looks at the same ones up to three times: `lookup`,
        #: `base_entry`); never changed by their readers
        self._entries: dict[str, Any] = {}

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
        if name in self._entries:
            return self._entries[name]
        try:
            with open(self.dir / name, "rb") as fh:
                got = pickle.load(fh)
        except Exception:  # noqa: BLE001 - a missing, partial or foreign entry is a miss
            return None
        if name.startswith("scan-"):
            self._entries[name] = got
        return got

    def _write(self, name: str, value: Any) -> None:
        self._entries.pop(name, None)
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
                   changed: set[str]) -> tuple[Entry, Callable[[], Any], set[str]] | None:
        """The stored scan (with its final facts) whose files differ from these only in `changed` paths (the
        diff's), fewest differences first: (entry, what reads its snapshot, the paths that differ). The
        snapshot (5.5 MB on polar, 0.2 s to read) is read only when a file the scan parsed changed."""
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
        facts = f"facts-{best[1]}.pickle"
        self._touch(f"scan-{best[1]}.pickle")
        self._touch(facts)
        return best[0], lambda: self._read(facts), best[2]

    def _schema_name(self, files: Sequence[SourceFile], sums: dict[str, str]) -> str:
        h = hashlib.sha256(tool_fingerprint().encode())
        for f in files:
            if f.language == "python":
                h.update(f"\0{f.path}\0{f.abs_path}\0{sums.get(f.path, '')}".encode())
        return f"schema-{h.hexdigest()[:32]}.pickle"

    def schema(self, files: Sequence[SourceFile], sums: dict[str, str]) -> SchemaSnapshot | None:
        """The schema the models in the code declare, as read from these same Python files before."""
        got = self._read(self._schema_name(files, sums))
        return got.schema if isinstance(got, SchemaRecord) else got if isinstance(got, SchemaSnapshot) else None

    def store_schema(self, files: Sequence[SourceFile], sums: dict[str, str], schema: SchemaSnapshot,
                     reads: Any = None) -> None:
        """`reads`: what reading the models looked at (models_schema.ModelReads), for diff mode."""
        name = self._schema_name(files, sums)
        rows = {f.path: (f.abs_path, sums.get(f.path, "")) for f in files if f.language == "python"}
        self._write(name, SchemaRecord(schema, reads=reads, files=rows))
        recent = self._read(f"recent-schemas-{tool_fingerprint()[:32]}.pickle")
        recent = [n for n in (recent if isinstance(recent, list) else []) if n != name]
        self._write(f"recent-schemas-{tool_fingerprint()[:32]}.pickle", [name, *recent][:_RECENT])

    def recent_schemas(self) -> list[SchemaRecord]:
        """The schemas the models declared in the last scans (newest first), with what their reading looked at."""
        recent = self._read(f"recent-schemas-{tool_fingerprint()[:32]}.pickle")
        got = [self._read(name) for name in (recent if isinstance(recent, list) else [])]
        return [r for r in got if isinstance(r, SchemaRecord) and r.reads is not None]

    @staticmethod
    def _db_schema_name(url: str, schemas: Sequence[str]) -> str:
        """Keyed by the drivers' versions too: another SQLAlchemy may make another schema of the same answers."""
        # psycopg is optional (`.[postgres]`): SQLite and MySQL need none
        drivers = [dist_version(dist) for dist in ("sqlalchemy", "psycopg")]
        key = repr((tool_fingerprint(), url, tuple(schemas), drivers))
        return f"dbschema-{hashlib.sha256(key.encode()).hexdigest()[:32]}.pickle"

    def db_schema(self, url: str, schemas: Sequence[str]) -> SchemaSnapshot | None:
        """The schema reflected from `url` before, when every statement the reflection sent answers the same
        again (`replay`: read-only, psycopg alone, without SQLAlchemy); else None. A recorder listening (the
        run memo's) is given the statements as if the reflection had sent them: the run read those answers."""
        got = self._read(self._db_schema_name(url, schemas))
        if not isinstance(got, SchemaRecord) or not got.statements or not replay(url, got.statements):
            return None
        if _RECORDING:
            _RECORDING[-1].statements.extend(got.statements)
        return got.schema

    def has_db_schema(self, url: str, schemas: Sequence[str]) -> bool:
        """Is a reflection of `url` stored (`db_schema` may replay it)?"""
        return (self.dir / self._db_schema_name(url, schemas)).is_file()

    def store_db_schema(self, url: str, schemas: Sequence[str], schema: SchemaSnapshot,
                        statements: list[tuple[str, Any, str]]) -> None:
        self._write(self._db_schema_name(url, schemas), SchemaRecord(schema, statements=list(statements)))

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


def rule_reads(flow: Any, routers: Any) -> dict[str, frozenset[str]]:
    """What the rules read beyond the files the scan parsed, for `reuse` and diff mode: `read`, the paths
    whose text a rule read (py.db.inherited_key reads the file declaring a model's base and every file
    naming a class derived from it, and reports on the base's line there), and `read_words`, the names a
    file's text is searched for to be read (those classes, the bases and what their modules define, the
    settings constants a router prefix is looked for by). A file outside both is read by no rule."""
    import ast

    cache = getattr(flow, "cache", None)
    cache = cache if isinstance(cache, dict) else {}
    trees = cache.get("inherited_key_trees")
    trees = trees if isinstance(trees, dict) else {}
    classes = cache.get("inherited_key_classes")
    classes = classes if isinstance(classes, dict) else {}
    tables = cache.get("inherited_key_tables")
    paths = {p for p in (*trees, *classes) if isinstance(p, str)}
    names = {n for n in (tables if isinstance(tables, dict) else {}) if isinstance(n, str)}
    for tree in trees.values():  # a base, and what its module makes from it (`Base = declarative_base(cls=...)`)
        for node in getattr(tree, "body", ()):
            if isinstance(node, ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(t.id for t in targets if isinstance(t, ast.Name))
    grew = True
    while grew:  # the classes deriving from one of them, as the rule's search grows its names
        before = len(names)
        for entries in classes.values():
            for name, bases, _table in entries if isinstance(entries, list) else ():
                if names & set(bases):
                    names.add(name)
        grew = len(names) != before
    constants = getattr(routers, "_constants", None)
    names.update(k for k in (constants if isinstance(constants, dict) else {}) if isinstance(k, str))
    return {"read": frozenset(paths), "read_words": frozenset(names)}


def read_by_rules(trace: dict[str, Any], findings: Iterable[Any], path: str, texts: Iterable[str | None]) -> str:
    """Why a change to `path`, a file the scan did not parse, could still change what the rules found (a
    rule read it, it holds or is cited by a finding, one of its texts names what a rule searches every
    file for); "" when it cannot. A scan stored without `read` is not trusted (its rules' reads unknown)."""
    import re

    read, words = trace.get("read"), trace.get("read_words")
    if read is None or words is None:
        return "the cached scan did not record what its rules read"
    if path in read:
        return f"{path}: a rule read it"
    cite = f"{path}:"
    for f in findings:
        if f.path == path or cite in f.evidence or cite in f.message:
            return f"{path}: a finding is in it or cites it"
    for text in texts:
        if text and any(w in text and re.search(rf"\b{re.escape(w)}\b", text) for w in words):
            return f"{path}: names a class or constant a rule searches every file for"
    return ""


def reuse(old: Entry, files: Sequence[SourceFile], sums: dict[str, str], config: Config) -> Lookup | None:
    """The stored results made to fit the changed files, when the change cannot alter them; else None."""
    from analyzer.python.engine import _wanted_module
    from analyzer.python.parsed import ParseFailure, read_text
    from analyzer.python.prefilter import mentions
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
            if read_by_rules(old.trace, old.py.findings, path, []):
                return None
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
        if any(mentions(text, w) for w in words) or _wanted_module(path, set(wanted)):
            return None
        if read_by_rules(old.trace, old.py.findings, path, [text]):
            return None  # its old text is not at hand: the new one and the rules' record decide
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


def cached_schema(store: ScanCache, options: Any, files: list[SourceFile], sums: dict[str, str]) -> SchemaSnapshot:
    """The run's schema (pipeline.load_schema), read back when it is provably what reading it again would give:
    with --db, when the reflection's statements answer the same again (`ScanCache.db_schema`); from the models,
    when the Python files are the same, or (diff mode) differ from a cached scan's only where the reading
    cannot see it (incremental.base_schema). Else read, and kept with what proves it the next time."""
    from analyzer.pipeline import load_schema

    if options.db_url:
        schemas = tuple(options.schemas or options.config.schemas)
        got = store.db_schema(options.db_url, schemas)
        if got is not None:
            return got
        schema, statements = recorded(lambda: load_schema(options, files))
        if statements:
            store.store_db_schema(options.db_url, schemas, schema, statements)
        return schema
    found = store.schema(files, sums)
    if found is None and options.diff_base:
        from analyzer.incremental import base_schema

        got_reads = base_schema(store, options.roots, options.diff_base, files, sums)
        if got_reads is not None:
            store.store_schema(files, sums, *got_reads)
            return got_reads[0]
    if found is not None:
        return found
    from analyzer.db.models_schema import schema_and_reads

    schema, reads = schema_and_reads([f for f in files if f.language == "python"])
    store.store_schema(files, sums, schema, reads)
    return schema


def suppressions(store: ScanCache, files: Sequence[SourceFile], sums: dict[str, str], outcomes: Iterable[FileOutcome],
                 rules: Iterable[RuleMeta], limits: Any) -> list[Any]:
    """suppress.suppression_findings, a file's read back while its digest and whether the scan read it are what
    they were (with the same catalogue and limits): a pull request's run reads the files it changed, not the
    tree. The findings of a file depend on its text, its names and the catalogue only."""
    from analyzer.suppress import suppression_findings

    rules = list(rules)
    known = sorted({k for m in rules for k in (m.code, m.name)})
    name = f"suppressed-{hashlib.sha256(repr((tool_fingerprint(), known, limits)).encode()).hexdigest()[:32]}.pickle"
    got = store._read(name)
    before = got if isinstance(got, dict) else {}
    outcomes = list(outcomes)
    not_read = {o.path for o in outcomes if o.status != "ok"}
    keys = {f.path: (f.path, f.language, f.abs_path, sums.get(f.path, ""), f.path in not_read) for f in files}
    todo = [f for f in files if keys[f.path] not in before]
    fresh: dict[str, list[Any]] = {f.path: [] for f in todo}
    for found in suppression_findings(todo, outcomes, rules, limits):
        fresh[found.path].append(found)
    now = {keys[f.path]: tuple(fresh[f.path]) if f.path in fresh else before[keys[f.path]] for f in files}
    if todo or len(now) != len(before):
        store._write(name, now)
    return [found for f in files for found in now[keys[f.path]]]


def default_dir(roots: Sequence[str]) -> Path:
    first = Path(roots[0]) if roots else Path.cwd()
    return (first if first.is_dir() else first.parent) / DIRNAME


# ----------------------------------------------------------------------------------------------- whole runs
@dataclass
class RunEntry:
    """One finished `impact scan` (no diff mode, no type-check): the report as its outputs were written, the
    outputs themselves, and the database statements the run sent with a digest of each answer."""

    report: Any  # the Report, its extras cut to what the summary prints (`verification`)
    plan: bytes | None  # the pickled plan, for the strategies table (its module loads SQLAlchemy)
    outputs: dict[str, bytes]  # path relative to the out folder -> bytes
    statements: list[tuple[str, Any, str]] | None  # (SQL, parameters, digest of the rows); None: no database
    written: int = 0  # what the run said it wrote


#: the recorders listening, innermost last (SQLAlchemy lets the first listener that executes a statement
#: answer it: a second recorder would see nothing, so `recorded` reads the one already listening)
_RECORDING: list[DbRecorder] = []


def recorded(compute: Callable[[], T]) -> tuple[T, list[tuple[str, Any, str]] | None]:
    """`compute()` and the database statements it sent with a digest of each answer (None: not recordable)."""
    if _RECORDING:
        outer = _RECORDING[-1]
        start = len(outer.statements)
        value = compute()
        return value, outer.statements[start:] if outer.ok else None
    with DbRecorder() as rec:
        value = compute()
    return value, rec.statements if rec.ok else None


class DbRecorder:
    """Every statement a run sends PostgreSQL through SQLAlchemy's psycopg dialect, with a digest of the rows
    it answered (the rows the run itself read: fetched once here, then the cursor is rewound for the caller).
    Another dialect or driver, or an executemany, and the record is void (`ok` False)."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any, str]] = []
        self.ok = True
        self._listening = False

    def __enter__(self) -> DbRecorder:
        _RECORDING.append(self)
        if "sqlalchemy" in sys.modules:
            self._listen()
        # (else from the first engine this process opens, `listen_all`: a run whose database work is done by
        # a child, analyzer.dbside, need not import SQLAlchemy, 0.15 s)
        return self

    def _listen(self) -> None:
        import sqlalchemy as sa

        sa.event.listen(sa.engine.Engine, "do_execute", self._execute, retval=True)
        sa.event.listen(sa.engine.Engine, "do_execute_no_params", self._execute_no_params, retval=True)
        sa.event.listen(sa.engine.Engine, "do_executemany", self._void, retval=False)
        self._listening = True

    def take(self, statements: list[tuple[str, Any, str]], ok: bool) -> None:
        """Statements another process sent for this run, recorded there (analyzer.dbside)."""
        self.statements.extend(statements)
        self.ok = self.ok and ok

    def __exit__(self, *exc: object) -> None:
        if self in _RECORDING:
            _RECORDING.remove(self)
        if self._listening:
            import sqlalchemy as sa

            sa.event.remove(sa.engine.Engine, "do_execute", self._execute)
            sa.event.remove(sa.engine.Engine, "do_execute_no_params", self._execute_no_params)
            sa.event.remove(sa.engine.Engine, "do_executemany", self._void)
            self._listening = False

    def _void(self, *args: Any) -> None:
        self.ok = False

    def _mine(self, cursor: Any, context: Any) -> bool:
        """A client-side psycopg cursor (its rows held here, so they can be read twice); else the record is void
        and the dialect executes the statement as usual."""
        if context.dialect.name == "postgresql" and context.dialect.driver == "psycopg":
            import psycopg  # (only here: SQLite and MySQL runs need no psycopg installed)

            if type(cursor) in (psycopg.Cursor, psycopg.ClientCursor):
                return True
        self.ok = False
        return False

    def _execute(self, cursor: Any, statement: str, parameters: Any, context: Any) -> bool | None:
        if not self._mine(cursor, context):
            return None
        cursor.execute(statement, parameters)
        self._take(cursor, statement, parameters)
        return True

    def _execute_no_params(self, cursor: Any, statement: str, context: Any) -> bool | None:
        if not self._mine(cursor, context):
            return None
        cursor.execute(statement)
        self._take(cursor, statement, None)
        return True

    def _take(self, cursor: Any, statement: str, parameters: Any) -> None:
        try:
            digest = rows_digest(cursor)
        except Exception:  # noqa: BLE001 - a cursor that cannot be rewound: the run goes on, unrecorded
            self.ok = False
            return
        if isinstance(parameters, Mapping):  # SQLAlchemy's immutabledict: stored as a plain dict
            parameters = dict(parameters)
        elif isinstance(parameters, (list, tuple)):
            parameters = tuple(parameters)
        self.statements.append((statement, parameters, digest))


def listen_all() -> None:
    """The recorders not listening yet start to (`DbRecorder.__enter__`): called before an engine is opened."""
    for rec in _RECORDING:
        if not rec._listening:
            rec._listen()


def take_recorded(statements: list[tuple[str, Any, str]], ok: bool) -> None:
    """Give the recorder listening now statements another process sent for this run (analyzer.dbside)."""
    if _RECORDING:
        _RECORDING[-1].take(statements, ok)


def rows_digest(cursor: Any) -> str:
    """What a psycopg cursor answered (its columns and every row), rewound to where it was."""
    if cursor.description is None:
        return f"status:{cursor.statusmessage}"
    rows = cursor.fetchall()
    if rows:  # (an empty result has no position 0 to go back to: read, it is still empty)
        cursor.scroll(0, mode="absolute")
    names = [(d.name, d.type_code) for d in cursor.description]
    return hashlib.sha256(repr((names, rows)).encode("utf-8", "surrogatepass")).hexdigest()


def _libpq_url(url: str) -> str | None:
    import re

    m = re.match(r"^postgres(?:ql)?(?:\+psycopg)?://", url)
    return "postgresql://" + url[m.end():] if m else None


#: the replays a forked child runs from the start of the command (`replay_ahead`): [url, its worker, its answers]
_AHEAD: list[Any] = []


def replay_ahead(store: ScanCache, url: str, schemas: Sequence[str], whole_run: bool) -> None:
    """Start, in a forked child, the replay this run will most likely ask for first (`replay`): the statements of
    the newest whole run (`whole_run`: `RunMemo.get`), else of the schema reflection stored for `url` (`db_schema`,
    diff mode). The child imports the driver and waits on the database while this process reads the tree: the
    replay then costs little here (the driver's import alone took 0.17-0.21 s, a fifth of a warm diff run on
    polar). Other statements, or all when the child failed, are replayed here as before."""
    forget_ahead()
    if _libpq_url(url) is None:
        return
    from analyzer import workers

    worker = workers.fork(_replay_stored, store, url, tuple(schemas), whole_run)
    if worker is None:
        return
    worker.send(True)
    _AHEAD[:] = [url, worker, None]


def _replay_stored(_go: object, store: ScanCache, url: str, schemas: tuple[str, ...], whole_run: bool
                   ) -> tuple[list[tuple[str, Any, str]], bool] | None:
    """In the child: the statements `replay_ahead` names, and whether each answers the same."""
    statements: list[tuple[str, Any, str]] | None = None
    if whole_run:
        runs = sorted(store.dir.glob("run-*.pickle"), key=_mtime, reverse=True)
        entry = store._read(runs[0].name) if runs else None
        statements = entry.statements if isinstance(entry, RunEntry) else None
    else:
        got = store._read(store._db_schema_name(url, schemas))
        statements = got.statements if isinstance(got, SchemaRecord) else None
    return (list(statements), replay(url, statements)) if statements else None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _replayed_ahead(url: str, statements: list[tuple[str, Any, str]]) -> bool | None:
    """The child's answer for these statements (`replay_ahead`), taken once, or None when it has none."""
    if not _AHEAD or _AHEAD[0] != url:
        return None
    if _AHEAD[2] is None:
        got = _AHEAD[1].result()
        _AHEAD[2] = got if isinstance(got, tuple) else ([], False)
    listed, same = _AHEAD[2]
    if not listed or listed != statements:
        return None
    _AHEAD[0] = None  # (used: a later replay asks the database again)
    return bool(same)


def forget_ahead() -> None:
    """The end of a command (or the start of the next, in a process that runs several): a child's answer not
    taken is not taken later, when the database may have changed; a child still running is stopped."""
    if _AHEAD and _AHEAD[2] is None:
        import signal

        worker = _AHEAD[1]
        try:
            os.kill(worker.pid, signal.SIGKILL)
        except OSError:
            pass
        worker.result()  # (reaped)
    _AHEAD.clear()


def replay(url: str, statements: list[tuple[str, Any, str]]) -> bool:
    """The same statements sent again (read-only, psycopg alone): does every one answer what it answered
    when the run was stored? Any error, a statement answering otherwise: no."""
    ahead = _replayed_ahead(url, statements)
    if ahead is not None:
        return ahead
    target = _libpq_url(url)
    if target is None:
        return False
    try:
        import psycopg

        with psycopg.connect(target, options="-c default_transaction_read_only=on -c statement_timeout=30000",
                             connect_timeout=10, application_name="impact") as conn:
            conn.read_only = True
            with conn.cursor() as cur:
                for statement, parameters, digest in statements:
                    cur.execute(statement, parameters)
                    if rows_digest(cur) != digest:
                        return False
            conn.rollback()
    except Exception:  # noqa: BLE001 - unreachable, refused, changed: the run happens and says why
        return False
    return True


class RunMemo:
    """A whole `impact scan` read back: when the tool, the options, every file the scan reads and (with --db)
    every answer of the database are what they were, the outputs are what they were; they are written again
    without scanning, planning, checking or rendering. What the project's type checkers would read is among
    the inputs (`projects.typecheck_inputs`, passed by the caller). Only where nothing else goes in: no diff
    mode or baseline (git and CODEOWNERS), no date in the plan (a key that runs out is dated from today)."""

    def __init__(self, store: ScanCache, key: str, db_url: str | None, discovery: Discovery,
                 sums: dict[str, str]) -> None:
        self.store, self.key, self.db_url = store, key, db_url
        #: what the key was made of: a scan after a miss reads the same files (pipeline.run_scan's `memo`)
        self.discovery, self.sums = discovery, sums

    @classmethod
    def open(cls, store: ScanCache, inputs: object, discovery: Discovery, sums: dict[str, str],
             db_url: str | None) -> RunMemo:
        h = hashlib.sha256(repr((FORMAT, tool_fingerprint(), inputs, db_url)).encode())
        for f in discovery.files:
            h.update(f"\0{f.path}\0{f.language}\0{f.abs_path}\0{sums.get(f.path, '')}".encode())
        return cls(store, h.hexdigest()[:32], db_url, discovery, sums)

    @property
    def name(self) -> str:
        return f"run-{self.key}.pickle"

    def get(self) -> RunEntry | None:
        entry = self.store._read(self.name)
        if not isinstance(entry, RunEntry):
            return None
        if self.db_url is not None and (entry.statements is None or not replay(self.db_url, entry.statements)):
            return None
        self.store._touch(self.name)
        return entry

    def put(self, report: Any, out_dir: Path, written: Sequence[Path], recorder: DbRecorder | None) -> None:
        import re

        if self.db_url is not None and (recorder is None or not recorder.ok or not recorder.statements):
            return
        outputs: dict[str, bytes] = {}
        try:
            for path in written:
                if path.is_file():
                    outputs[path.relative_to(out_dir).as_posix()] = path.read_bytes()
        except (OSError, ValueError):
            return
        if re.search(rb'"runs_out": "\d', outputs.get("plan.json", b"")):
            return  # dated from today: not the same tomorrow
        plan = report.extras.get("plan")
        slim = replace(report, extras={k: v for k, v in report.extras.items() if k == "verification"})
        try:
            entry = RunEntry(slim, pickle.dumps(plan, protocol=pickle.HIGHEST_PROTOCOL) if plan is not None else None,
                             outputs, list(recorder.statements) if recorder is not None else None, len(written))
            pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - a report that cannot be stored is simply not
            return
        self.store._write(self.name, entry)
        self.store.trim()
