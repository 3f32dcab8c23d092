"""Wiring of the stages: reflect -> closure -> Python scan -> TypeScript scan -> Report -> outputs.

No stage knows about another's internals; this module only passes values along (docs/architecture.md).
"""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analyzer import __version__
from analyzer.config import Config
from analyzer.models import (
    KINDS,
    LAYERS,
    TARGET_TYPES,
    Closure,
    Finding,
    KeySeeds,
    Progress,
    Report,
    RuleMeta,
    ScanResult,
    SchemaSnapshot,
    SourceFile,
    Summary,
    Table,
    Target,
    dedupe,
    holds_for,
    no_progress,
    sort_key,
    with_fingerprints,
)
from analyzer.sources import Limits, discover_all, root_names
from analyzer.suppress import LineCache, suppression_findings, unsuppressed
from analyzer.suppress import catalogue as suppress_catalogue

if TYPE_CHECKING:
    from analyzer.cache import RunMemo, ScanCache
    from analyzer.dbside import DbSide

ALL_FORMATS: tuple[str, ...] = ("html", "md", "json", "sarif")
OUTPUT_FILES: dict[str, str] = {
    "html": "report.html",
    "md": "report.md",
    "json": "findings.json",
    "sarif": "findings.sarif",
}

_no_progress = no_progress


class UsageError(ValueError):
    """Bad input from the user: one line, exit 2."""


@dataclass(frozen=True)
class ScanOptions:
    roots: tuple[str, ...]
    targets: tuple[str, ...]  # "table.column"
    to: str = "uuid"
    db_url: str | None = None
    config: Config = field(default_factory=Config)
    schemas: tuple[str, ...] = ()
    diff_base: str | None = None  # only findings in files changed since this git ref
    baseline: Path | None = None  # findings.json whose fingerprints are already known
    diff_scope: str = "lines"  # with diff_base: findings on changed lines ("lines") or in changed files ("files")
    cache_dir: Path | None = None  # the scan cache (default: .impact-cache in the first root; config.cache turns it off)


def parse_target(text: str, to: str) -> Target:
    table, sep, column = text.strip().rpartition(".")
    if not sep or not table or not column:
        raise UsageError(f"--target must be TABLE.COLUMN, got {text!r}")
    return Target(table=table, column=column, to_type=TARGET_TYPES[to])


def load_schema(options: ScanOptions, files: Sequence = ()) -> SchemaSnapshot:
    from analyzer import db

    if options.db_url:
        return db.reflect(options.db_url, options.schemas or options.config.schemas)
    return db.schema_from_models([f for f in files if f.language == "python"])


def resolve_targets(schema: SchemaSnapshot, options: ScanOptions) -> tuple[Target, ...]:
    if options.to not in TARGET_TYPES:
        raise UsageError(f"--to must be one of {', '.join(TARGET_TYPES)}, got {options.to!r}")
    if not options.targets:
        raise UsageError("at least one --target TABLE.COLUMN is required")
    out = []
    for text in options.targets:
        t = parse_target(text, options.to)
        table = schema.table(t.table)
        col = table.column(t.column) if table else None
        if table is not None and col is not None:
            _require_key(table, col.name, text)
        from_type = col.type if col else "INTEGER"
        where = "the models in the code declare" if schema.dialect == "models" else "the database says"
        if table is not None and col is not None and options.to != "uuid7" and _same_type(from_type, t.to_type):
            raise UsageError(f"--target {text}: {table.name}.{col.name} is already {from_type} ({where} so); "
                             f"--to {options.to} changes nothing")
        if table is not None and col is not None and _is_uuid(from_type):
            raise UsageError(f"--target {text}: {table.name}.{col.name} is {from_type} ({where} so), not an "
                             "integer; impact follows integer keys (to uuid, uuid7, bigint or text)")
        out.append(Target(t.table, t.column, from_type=from_type, to_type=t.to_type))
    return tuple(out)


def _same_type(from_type: str, to_type: str) -> bool:
    """A key already of the type asked for (`--to uuid` on a UUID key): nothing to change, nothing to find."""
    aliases = {"INT8": "BIGINT", "BIGSERIAL": "BIGINT", "SERIAL8": "BIGINT"}
    base = from_type.upper().split("(")[0].strip()
    return aliases.get(base, base) == to_type.upper()


def _is_uuid(from_type: str) -> bool:
    """A UUID key: the scanners look for the key typed as an integer, and from a UUID they report unrelated
    integers instead (onyx's user.id scanned --to text listed `message_id: number` as the key)."""
    return from_type.upper().split("(")[0].strip() in ("UUID", "UNIQUEIDENTIFIER")


def _require_key(table: Table, column: str, text: str) -> None:
    """A target must be a key: the table's primary key or a unique column, alone. Changing the type of a
    plain column to a generated UUID would replace its values; a part of a composite key is not a key."""
    pk = tuple(table.primary_key)
    if pk == (column,):
        return
    if (column,) in {tuple(u) for u in table.unique_constraints} or any(
            ix.unique and tuple(ix.columns) == (column,) for ix in table.indexes):
        return
    if column in pk:
        raise UsageError(f"--target {text}: {column} is one part of the composite primary key "
                         f"({', '.join(pk)}) of {table.name}; composite keys are not supported")
    if not pk:
        raise UsageError(f"--target {text}: {table.name} has no primary key and {column} is not unique; "
                         "a target must be a primary key or a unique column")
    raise UsageError(f"--target {text}: {column} is not a key of {table.name} (its primary key is "
                     f"{', '.join(pk)}); a target must be a primary key or a unique column")


def run_scan(options: ScanOptions, progress: Progress = _no_progress, memo: RunMemo | None = None,
             db_side: DbSide | None = None) -> Report:
    """`memo`: the run memo that missed (`run_memo`); its discovery and digests are this scan's, not made again.
    `db_side`: the child reflecting the schema meanwhile (analyzer.dbside)."""
    from analyzer import db

    started = time.perf_counter()
    cfg = options.config
    for root in options.roots:
        if not Path(root).exists():
            raise UsageError(f"path does not exist: {root}")

    progress(0, "discovering files")
    discovery = memo.discovery if memo is not None else discover_all(options.roots, cfg.excludes, Limits.of(cfg))
    files = discovery.files
    progress(0, "reading schema", total=len(files) + 2)
    from analyzer.cache import ScanCache, default_dir, digests

    store = memo.store if memo is not None else \
        ScanCache.open(options.cache_dir or default_dir(options.roots)) if cfg.cache else None
    sums = memo.sums if memo is not None else digests(files) if store is not None else {}
    from analyzer.cache import cached_schema, config_fingerprint

    py_texts = None
    if db_side is not None:  # while the child reflects the schema: the scanners imported, the Python files read
        from analyzer.python.engine import Texts
        from analyzer.typescript import scan as _ts  # noqa: F401

        py_texts = Texts([f for f in files if f.language in ("python", "sql")], cfg)
    schema = _side_schema(db_side, store, options)
    if schema is None:
        schema = cached_schema(store, options, files, sums) if store is not None else load_schema(options, files)
    targets = resolve_targets(schema, options)
    progress(1, "computing closure")
    closure: Closure = db.compute_closure(schema, targets, cfg) if store is None else store.memo(
        "closure", [repr(schema), targets, config_fingerprint(cfg)], lambda: db.compute_closure(schema, targets, cfg))
    progress(1, "scanning Python")
    py, ts, cache_use = _scan_sources(options, store, sums, files, closure, targets[0].to_type, progress, py_texts)

    cache = LineCache(files)
    # only what holds for the target type (`--to bigint`: no ordering, arithmetic or int() finding), by the
    # plan's own predicate; JavaScript numbers hold for bigint once the key can pass 2**53
    rules = _catalogue(store)  # every rule: suppressions (IM...) and the compilers' findings (TS900...) too
    by_code = {m.code: m for m in rules}
    to_type = targets[0].to_type
    past_2_53 = False
    if to_type == "BIGINT":
        from analyzer.plan.strategies import bigint_past_2_53

        past_2_53 = bigint_past_2_53(options.db_url, schema, closure)
    findings = [f for f in (*py.findings, *ts.findings) if cfg.rule_enabled(f.code, f.rule)
                and holds_for(f, by_code.get(f.code), to_type, past_2_53)]
    findings = [_with_severity(f, cfg) for f in unsuppressed(dedupe(sorted(findings, key=sort_key)), cache)]
    def suppressions() -> list[Finding]:
        return suppression_findings(files, (*py.outcomes, *ts.outcomes), rules, Limits.of(cfg))

    if store is None:
        found = suppressions()
    else:
        from analyzer.cache import suppressions as kept_suppressions

        found = kept_suppressions(store, files, sums, (*py.outcomes, *ts.outcomes), rules, Limits.of(cfg))
    findings += [_with_severity(f, cfg) for f in found if cfg.rule_enabled(f.code, f.rule)]
    fingerprinted = with_fingerprints(findings)
    outcomes = (*py.outcomes, *ts.outcomes, *discovery.skipped)
    summary = summarize(fingerprinted, outcomes, closure, schema, cfg)
    flagged = {f.path for f in fingerprinted}
    extras: dict[str, object] = {
        "rules": rules,
        "effort_model": effort_model(cfg),
        "stats": {"python": dict(py.stats), "typescript": dict(ts.stats), "cache": cache_use},
        "snippets": {f.fingerprint: cache.line(f.path, f.span.line).rstrip() for f in fingerprinted},
        "files": {f.path: f.abs_path for f in files if f.path in flagged},
    }
    names = root_names(options.roots)
    extras["root_paths"] = {names[r]: str(Path(r).resolve()) for r in options.roots}
    report = Report(
        version=1,
        tool_version=__version__,
        to=options.to,
        targets=targets,
        roots=tuple(names[r] or r for r in options.roots),
        schema=schema,
        closure=closure,
        findings=fingerprinted,
        outcomes=tuple(outcomes),
        summary=summary,
        schema_source=schema.source or ("models found in the code" if schema.dialect == "models" else ""),
        duration_s=time.perf_counter() - started,
        extras=extras,
    )
    from analyzer.diffmode import narrow  # --diff-base / --baseline: what the change adds, and the whole cost

    return narrow(report, options)


def db_side(options: ScanOptions, memo: RunMemo | None) -> DbSide | None:
    """The child doing this run's database work (analyzer.dbside): for a whole scan with --db (not diff mode, whose
    schema is replayed from the base's cache) whose reflection is not stored for a replay (`ScanCache.db_schema`),
    with two cores or more and without `--jobs 1` (the slow path the benchmark checks the findings against)."""
    from analyzer import workers

    if not options.db_url or options.diff_base or (options.config.jobs or workers.cores()) < 2:
        return None
    store = memo.store if memo is not None else None
    if store is not None and store.has_db_schema(options.db_url, options.schemas or options.config.schemas):
        return None
    from analyzer.dbside import DbSide
    from analyzer.plan.strategies import plan_strategies

    return DbSide.start(options, plan_strategies(options.to))


def _side_schema(side: DbSide | None, store: ScanCache | None, options: ScanOptions) -> SchemaSnapshot | None:
    """The schema `side` reflected, its statements recorded for this run (and stored for a replay, as
    `cache.cached_schema` does); None when it has none."""
    got = side.schema() if side is not None else None
    if got is None:
        return None
    from analyzer.cache import take_recorded

    schema, statements, ok = got
    take_recorded(statements, ok)
    if store is not None and statements and ok:
        assert options.db_url is not None
        store.store_db_schema(options.db_url, options.schemas or options.config.schemas, schema, statements)
    return schema  # type: ignore[no-any-return]


def replay_stored_ahead(options: ScanOptions, whole_run: bool) -> None:
    """With --db and the cache: the database's stored answers checked again in a child while this process reads
    the tree (analyzer.cache.replay_ahead): those of the last whole run when this one may be read back
    (`whole_run` and `_memo_applies`), else the schema's."""
    if not options.db_url or not options.config.cache or not all(Path(r).exists() for r in options.roots):
        return
    from analyzer.cache import ScanCache, default_dir, replay_ahead

    store = ScanCache.open(options.cache_dir or default_dir(options.roots))
    if store is not None:
        replay_ahead(store, options.db_url, tuple(options.schemas or options.config.schemas),
                     whole_run and _memo_applies(options))


def _memo_applies(options: ScanOptions) -> bool:
    """Can a run with these options be read back whole (`run_memo`)? Not without a cache, nor in diff mode or
    with a baseline (they read git and CODEOWNERS too)."""
    return options.config.cache and not options.diff_base and options.baseline is None


def run_memo(options: ScanOptions, formats: Sequence[str], typecheck: bool = False) -> RunMemo | None:
    """The whole-run memo of `impact scan` with these options (analyzer.cache.RunMemo), keyed by everything
    the run reads but the database (whose answers the memo replays); not the out folder, which no output
    names. With `typecheck`, what the project's checkers read too (projects.typecheck_inputs). None without
    a cache, in diff mode or with a baseline (they read git and CODEOWNERS too), or when what the checkers
    read cannot be told cheaply."""
    from analyzer.cache import RunMemo, ScanCache, config_fingerprint, default_dir, digests

    cfg = options.config
    if not _memo_applies(options):
        return None
    for root in options.roots:
        if not Path(root).exists():
            return None  # the scan says so
    store = ScanCache.open(options.cache_dir or default_dir(options.roots))
    if store is None:
        return None
    discovery = discover_all(options.roots, cfg.excludes, Limits.of(cfg))
    checks: object = "no type-check"
    if typecheck:
        from analyzer.codemods.projects import typecheck_inputs

        names = root_names(options.roots)
        fronts: dict[str, list[str]] = {str(Path(r).resolve()): [] for r in options.roots}
        for f in discovery.files:
            if f.language == "typescript" and f.root in names:
                fronts[str(Path(f.root).resolve())].append(f.path[len(names[f.root]) + 1 if names[f.root] else 0:])
        checks = typecheck_inputs(fronts)
        if checks is None:
            return None
    inputs = ("scan", options.roots, [str(Path(r).resolve()) for r in options.roots], options.targets, options.to,
              options.schemas, config_fingerprint(cfg), tuple(formats), repr(discovery.skipped), checks)
    return RunMemo.open(store, inputs, discovery, digests(discovery.files), options.db_url)


def _catalogue(store: ScanCache | None) -> list[RuleMeta]:
    """Every rule's metadata; read back from the cache, where the tool's own fingerprint keys it (loading
    the rules costs a warm run a third of its time)."""
    if store is not None:
        got = store.catalogue()
        if got is not None:
            return got
    from analyzer.codemods.verify import catalogue as verify_catalogue
    from analyzer.python import catalogue as py_catalogue
    from analyzer.typescript import catalogue as ts_catalogue

    rules = [*py_catalogue(), *ts_catalogue(), *suppress_catalogue(), *verify_catalogue()]
    if store is not None:
        store.store_catalogue(rules)
    return rules


def _scan_sources(options: ScanOptions, store: ScanCache | None, sums: dict[str, str], files: list[SourceFile],
                  closure: Closure, to_type: str, progress: Progress, py_texts: Any = None
                  ) -> tuple[ScanResult, ScanResult, str]:
    """Both scanners, read back from the cache when their inputs did not change (analyzer.cache), the
    TypeScript scan in a forked worker meanwhile the Python rules run (`--jobs`, analyzer.workers). `py_texts`:
    the Python files read before (analyzer.python.engine.Texts)."""
    from analyzer import workers

    def scan_typescript(*args: Any, **kwargs: Any) -> ScanResult:  # imported only when it runs
        from analyzer.typescript import scan_typescript as scan

        return scan(*args, **kwargs)

    cfg = options.config
    py_files = [f for f in files if f.language in ("python", "sql")]
    ts_files = [f for f in files if f.language == "typescript"]
    key = ""
    trace: dict[str, object] = {}
    if store is not None:
        key = store.scan_key(closure, cfg, to_type, options.roots)
        got = store.lookup(key, files, sums, cfg)
        if got.py is not None and got.ts is not None:
            progress(len(files))
            return got.py, got.ts, got.how
        if got.py is not None:  # a TypeScript file changed: its scan again, from the same seeds
            progress(len(py_files), "scanning TypeScript")
            ts_trace: dict[str, object] = {}
            ts = scan_typescript(ts_files, got.py.seeds, cfg, progress=progress, to_type=to_type, trace=ts_trace)
            store.store(key, files, sums, got.py, ts, {**got.trace, "typescript": ts_trace})
            return got.py, ts, got.how
        cold = _bounded(options, store, key, files, sums, closure, progress)
        if cold is not None:
            return cold
        if options.diff_base:  # a pull request: its changed files against the base's cached facts
            fast = _from_base(options, store, key, files, sums, to_type, progress)
            if fast is not None:
                return fast
    else:
        cold = _bounded(options, None, key, files, sums, closure, progress)
        if cold is not None:
            return cold
    jobs = cfg.jobs or (2 if workers.cores() >= 2 and len(py_files) + len(ts_files) >= 400 else 1)
    from analyzer.python import scan_python
    from analyzer.typescript import scan as _ts  # noqa: F401 - imported before the worker forks

    # the TypeScript worker is forked before the Python trees exist (it shares none of them) and waits for
    # the seeds, sent as soon as the Python rounds settle; it scans while the Python rules run
    # (it reads, parses and indexes every file meanwhile: that needs no seeds, analyzer.typescript.scan.prepare),
    # stopped while the Python parse keeps both cores busy (workers.busy, analyzer.python.parallel)
    worker = workers.fork(_typescript_in_worker, ts_files, cfg, to_type, prepare=_typescript_prepare,
                          background=True) \
        if jobs > 1 and ts_files else None
    # a one-shot process keeps the final facts instead of freeing them one by one when the scan returns
    # (workers.keep), unless the TypeScript scan runs here next: its trees would come on top of them (onyx
    # `--jobs 1`: peak RSS 952 -> 1,251 MB)
    keep = workers.ONE_SHOT and (worker is not None or not ts_files)
    if store is not None or keep:
        trace["live"] = None  # scan_python puts its final facts there: for diff mode's snapshot, and to keep
    try:
        py = scan_python(py_files, closure, cfg, progress=progress, trace=trace,
                         on_seeds=worker.send if worker is not None else None, texts=py_texts)
    except BaseException:
        if worker is not None:
            worker.cancel()
        raise
    live = trace.pop("live", None)
    if store is not None and isinstance(live, tuple):
        from analyzer.cache import rule_reads

        trace.update(rule_reads(live[2], live[3]))
        # (polar 6 MB, 0.28 s: built and written in a child while the run goes on, nothing changes the final facts
        # after the scan and the command line waits for it before it ends; here, while this process would only
        # wait for the TypeScript scan, which is still running on the other core: onyx's outlasts the rules)
        if worker is not None and not worker.ready():
            _store_snapshot(store, key, files, sums, live)
        else:
            workers.aside(_store_snapshot, store, key, files, sums, live)
    if live is not None and keep:
        workers.keep(live)  # a one-shot process does not free the final facts one by one
    del live
    progress(0, "scanning TypeScript")
    done = worker.result() if worker is not None else None
    if isinstance(done, tuple) and len(done) == 2 and isinstance(done[0], ScanResult):
        progress(len(ts_files))
        ts, trace["typescript"] = done
    else:
        trace["typescript"] = ts_trace = {}
        ts = scan_typescript(ts_files, py.seeds, cfg, progress=progress, to_type=to_type, trace=ts_trace)
    if store is not None:
        store.store(key, files, sums, py, ts, trace)
    return py, ts, "stored" if store is not None else "off"


def _store_snapshot(store: ScanCache, key: str, files: list[SourceFile], sums: dict[str, str],
                    live: tuple[Any, ...]) -> None:
    from analyzer.incremental import snapshot

    store.store_snapshot(key, files, sums, snapshot(live))


def _bounded(options: ScanOptions, store: ScanCache | None, key: str, files: list[SourceFile], sums: dict[str, str],
             closure: Closure, progress: Progress) -> tuple[ScanResult, ScanResult, str] | None:
    """`--diff-base` without a cached scan of the base: the files the change can reach (analyzer.colddiff)."""
    if not options.diff_base:
        return None
    from analyzer.colddiff import bounded

    return bounded(options, store, key, files, sums, closure, progress)


def _from_base(options: ScanOptions, store: ScanCache, key: str, files: list[SourceFile], sums: dict[str, str],
               to_type: str, progress: Progress) -> tuple[ScanResult, ScanResult, str] | None:
    """`--diff-base` with a cached scan of the base: the changed Python files checked against its final facts
    (analyzer.incremental), the TypeScript scan replayed or run again from the same seeds when a TypeScript
    file changed; None (and one line on stderr saying why) when that cannot be exact: then a full scan."""
    import sys

    from analyzer.incremental import Fallback, from_base

    cfg = options.config
    assert options.diff_base
    try:
        py, ts, entry = from_base(store, key, options.roots, options.diff_base, files, sums, cfg)
    except Fallback as exc:
        print(f"impact: --diff-base {options.diff_base}: scanning in full: {exc}", file=sys.stderr)
        return None
    except UsageError:
        raise  # a bad --diff-base: one line, exit 2
    except (RecursionError, Exception) as exc:  # noqa: BLE001 - the full scan is the answer; never a crash here
        print(f"impact: --diff-base {options.diff_base}: scanning in full: internal error "
              f"({type(exc).__name__}: {exc})", file=sys.stderr)
        return None
    if ts is None:
        from analyzer.typescript.scan import replay

        ts_files = [f for f in files if f.language == "typescript"]
        now = {f.path: sums.get(f.path, "") for f in ts_files}
        before = {p: d for p, lang, _a, d in entry.files if lang == "typescript"}
        changed = {p for p in now.keys() | before.keys() if now.get(p) != before.get(p)}
        ts = replay(entry.ts, entry.trace.get("typescript", {}), ts_files, changed, py.seeds, cfg)
        if ts is None:
            from analyzer.typescript import scan_typescript

            progress(0, "scanning TypeScript")
            ts = scan_typescript(ts_files, py.seeds, cfg, progress=progress, to_type=to_type, trace={})
    progress(len(files))
    store.store(key, files, sums, py, ts, {**entry.trace})
    return py, ts, "diff from the base"


def _typescript_prepare(files: list[SourceFile], cfg: Config, to_type: str) -> object:
    from analyzer.typescript.scan import prepare

    return prepare(files, cfg)


def _typescript_in_worker(seeds: KeySeeds, files: list[SourceFile], cfg: Config, to_type: str,
                          prepared: Any = None) -> tuple[ScanResult, dict[str, object]]:
    from analyzer.typescript import scan_typescript

    trace: dict[str, object] = {}
    result = scan_typescript(files, seeds, cfg, None, to_type, trace=trace, prepared=prepared)
    return replace(result, stats={**result.stats, "worker": 1.0}), trace


def _with_severity(f: Finding, cfg: Config) -> Finding:
    severity = cfg.severity_for(f.code, f.rule, f.severity)
    return f if severity == f.severity else replace(f, severity=severity)  # type: ignore[arg-type]


def _baseline_fingerprints(path: Path) -> set[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(f["fingerprint"]) for f in data["findings"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"--baseline {path}: not a readable findings.json ({exc})") from None


def changed_paths(roots: Sequence[str], ref: str) -> set[str]:
    """Finding-style paths of files changed (committed, staged or not) since `ref`, per root.

    `-z`: names come verbatim, NUL-separated; without it git quotes a name holding a non-ASCII
    character (`"app/n\\303\\266tes.py"`) and its findings would count as outside the diff."""
    names = root_names(roots)
    out: set[str] = set()
    for root in roots:
        base = Path(root) if Path(root).is_dir() else Path(root).parent
        try:
            proc = subprocess.run(
                ["git", "diff", "--name-only", "-z", "--relative", ref, "--", "."],
                cwd=base, capture_output=True, encoding="utf-8", errors="replace", check=True,
            )  # an undecodable name becomes U+FFFD, as `sources.shown_name` shows it in findings
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = getattr(exc, "stderr", "") or str(exc)
            raise UsageError(f"--diff-base {ref}: git diff failed in {root}: {detail.strip()}") from None
        prefix = names[root]
        out.update(f"{prefix}/{p}" if prefix else p for p in proc.stdout.split("\0") if p)
    return out


def effort_model(cfg: Config) -> dict[str, object]:
    return {
        "minutes_per_finding": dict(cfg.minutes_per_finding),
        "hours_per_table": cfg.hours_per_table,
        "hours_per_million_rows": cfg.hours_per_million_rows,
        "uncertainty": cfg.uncertainty,
        "hours_per_day": 6,
        "note": "must_change and hazard findings priced per layer; per-table migration cost "
        "grows with rows; the range is the estimate times (1 - uncertainty, 1 + uncertainty).",
    }


def summarize(findings, outcomes, closure: Closure, schema: SchemaSnapshot, cfg: Config) -> Summary:
    by_layer = Counter(f.layer for f in findings if f.kind != "info")
    by_kind = Counter(f.kind for f in findings)
    minutes = sum(cfg.minutes_per_finding.get(f.layer, 10) for f in findings if f.kind != "info")
    hours = minutes / 60
    for table_name in sorted(closure.tables):
        table = schema.table(table_name)
        rows = (table.rows or 0) if table else 0
        hours += cfg.hours_per_table + cfg.hours_per_million_rows * rows / 1_000_000
    days = hours / 6
    lo, hi = days * (1 - cfg.uncertainty), days * (1 + cfg.uncertainty)
    return Summary(
        files=len(outcomes),
        findings=len(findings),
        by_layer={k: by_layer[k] for k in LAYERS if by_layer.get(k)},
        by_kind={k: by_kind[k] for k in KINDS if by_kind.get(k)},
        effort_days=(round(lo, 1), round(hi, 1)),
        skipped=sum(1 for o in outcomes if o.status != "ok"),
    )


def write_outputs(report: Report, out_dir: Path, formats: Sequence[str] = ALL_FORMATS,
                  typecheck: bool = True, also: Sequence[Callable[[Path], list[Path]]] = ()) -> list[Path]:
    """Render every requested format; patches (verified first) and migration SQL go with them.

    Everything is written into a staging folder and swapped into `out_dir` when complete
    (`analyzer.outdir`): `out_dir` always holds one run's outputs, and the files impact did not write
    (the demo's `demo-app/`, a user's notes) stay. `also` are further writers for the same swap
    (e.g. the plan's `plan.json` and `migrations/`), each called with the staging folder.
    """
    from analyzer.codemods.patching import write_index
    from analyzer.outdir import write_swapped
    from analyzer.plan import render_migration
    from analyzer.reports import RENDERERS

    if "patches" not in report.extras:  # the CLI verifies first, to say what the checks found
        report = verified(report, typecheck)
    patches = report.extras["patches"]
    assert isinstance(patches, dict)
    rendered = {OUTPUT_FILES[fmt]: RENDERERS[fmt](report) for fmt in formats}

    def write(stage: Path) -> list[Path]:
        written: list[Path] = []
        for name, text in rendered.items():
            path = stage / name
            path.write_text(text, encoding="utf-8")
            written.append(path)
        written.extend(write_patches(patches, stage / "patches"))
        root_paths = report.extras.get("root_paths")
        if isinstance(root_paths, dict):
            written.append(write_index(stage / "patches", root_paths))
        migration = stage / "migration.sql"
        migration.write_text(render_migration(report.schema, report.closure, report.to), encoding="utf-8")
        written.append(migration)
        for writer in also:
            written.extend(writer(stage))
        return written

    return write_swapped(out_dir, write)


def verified(report: Report, typecheck: bool = True, config: Config | None = None) -> Report:
    """Build the patches, compile / type-check them (extending them where the compiler says how), add what
    the compilers found as findings, and turn withheld patches into needs-review findings."""
    from analyzer.codemods.verify import verify_findings

    files = report.extras.get("files")
    files = files if isinstance(files, dict) else {}
    roots = report.extras.get("root_paths")
    cfg = config or Config()
    check = verify_findings(report.findings, files, roots if isinstance(roots, dict) else {}, typecheck=typecheck,
                            enabled=lambda f: cfg.rule_enabled(f.code, f.rule))
    findings = report.findings
    if check.withheld or check.held:  # a file's patch, or one finding's edits (`verify._hold_broken`)
        findings = tuple(_withheld(f, check.withheld.get(f.path) or check.held[(f.path, f.span.line, f.symbol)])
                         if (f.path in check.withheld or (f.path, f.span.line, f.symbol) in check.held) and f.edits
                         else f for f in findings)
    found = [_with_severity(f, cfg) for f in check.found]  # kept by the configuration, not suppressed
    listed = "diff" not in report.extras  # a pull request's report lists the lines it changed, not these
    verification = {"checked": check.checked, "skipped": check.skipped, "withheld": check.withheld,
                    "projects": [p.as_dict() for p in check.projects], "found": len(found), "listed": listed}
    extras = {**report.extras, "patches": check.patches, "verification": verification}
    if not found or not listed:
        return replace(report, findings=findings, extras=extras)
    return _with_compiler_findings(replace(report, findings=findings, extras=extras), found, check.files)


def _with_compiler_findings(report: Report, found: Sequence[Finding], abs_paths: dict[str, str]) -> Report:
    """The report with the compilers' findings in it, fingerprinted, summarised and documented as the
    rules' are (the existing findings keep their fingerprints: the new ones have codes of their own)."""
    from analyzer.codemods.verify import catalogue as verify_catalogue
    from analyzer.models import SourceFile

    findings = with_fingerprints((*report.findings, *found))
    known_files, known_snippets, rules = (report.extras.get(k) for k in ("files", "snippets", "rules"))
    files = {**(known_files if isinstance(known_files, dict) else {}),
             **{f.path: abs_paths[f.path] for f in found if f.path in abs_paths}}
    cache = LineCache([SourceFile(root="", abs_path=a, path=p, language="typescript") for p, a in files.items()])
    old = {f.fingerprint for f in report.findings}
    snippets = {**(known_snippets if isinstance(known_snippets, dict) else {}),
                **{f.fingerprint: cache.line(f.path, f.span.line).rstrip() for f in findings if f.fingerprint not in old}}
    rules = list(rules) if isinstance(rules, (list, tuple)) else []
    codes = {getattr(r, "code", None) for r in rules}
    rules += [m for m in verify_catalogue() if m.code not in codes]
    model = report.extras.get("effort_model")
    cfg = Config()
    if isinstance(model, dict):
        cfg = replace(cfg, **{k: model[k] for k in ("minutes_per_finding", "hours_per_table", "hours_per_million_rows",
                                                    "uncertainty") if k in model})
    summary = summarize(findings, report.outcomes, report.closure, report.schema, cfg)
    extras = {**report.extras, "files": files, "snippets": snippets, "rules": rules}
    return replace(report, findings=findings, summary=summary, extras=extras)


def _withheld(f: Finding, reason: str) -> Finding:
    edits = tuple(replace(e, safe=False) for e in f.edits)
    review = f"patch withheld: {reason}" + (f"; {f.review}" if f.review else "")
    return replace(f, edits=edits, review=review)


def write_patches(patches: dict[str, str], patch_dir: Path) -> list[Path]:
    patch_dir.mkdir(parents=True, exist_ok=True)
    for old in [*patch_dir.rglob("*.patch"), *patch_dir.glob("index.json")]:
        old.unlink()
    written = []
    for rel, diff in sorted(patches.items()):
        target = patch_dir / f"{rel}.patch"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(diff, encoding="utf-8", newline="")
        written.append(target)
    all_patch = patch_dir / "all.patch"
    all_patch.write_text("".join(patches[k] for k in sorted(patches)), encoding="utf-8", newline="")
    written.append(all_patch)
    return written


def run_plan(report: Report, options: ScanOptions, strategies: Sequence[str], rehearse_url: str | None = None,
             sample: int | None = None, progress: Progress = no_progress, db_side: DbSide | None = None) -> Report:
    """Price the strategies on the scan's findings and the live database; rehearse them when asked.
    The plan rides in `report.extras["plan"]` so every renderer can show it. `db_side`: the child that read the
    plan's database facts meanwhile (analyzer.dbside), for these strategies."""
    from analyzer import db
    from analyzer.plan.strategies import STRATEGIES, build_plan, read_database

    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        raise UsageError(f"--strategy takes {', '.join(STRATEGIES)}; got {', '.join(unknown)}")
    if rehearse_url and not options.db_url:
        raise UsageError("--rehearse-db needs --db: the rehearsal copies the live tables it reads")
    read = db_side.plan() if db_side is not None and db_side.strategies == tuple(strategies) and not rehearse_url \
        else None
    engine = None
    if read is not None:
        from analyzer.cache import take_recorded

        (facts, collisions, migrations), statements, ok = read
        take_recorded(statements, ok)
    elif options.db_url:
        engine = db.open_engine(options.db_url)
    try:
        if read is None:
            facts, collisions, migrations = read_database(report.schema, report.closure, strategies, engine,
                                                          options.config, progress)
        rehearsals = None
        ready = {k: v for k, v in migrations.items() if not isinstance(v, Exception)}
        if rehearse_url:
            from analyzer.plan.rehearse import rehearse

            progress(0, "rehearsing on the scratch database")
            assert options.db_url is not None
            rehearsals = rehearse(options.db_url, rehearse_url, report.schema, report.closure, ready,  # type: ignore[arg-type]
                                  sample=sample, progress=progress)
        progress(0, "pricing the strategies")
        plan = build_plan(report, strategies, options.config, engine=engine, rehearsals=rehearsals,
                          collisions=collisions, migrations=migrations, facts=facts)
    finally:
        if engine is not None:
            engine.dispose()
    return replace(report, extras={**report.extras, "plan": plan, "migrations": ready})
