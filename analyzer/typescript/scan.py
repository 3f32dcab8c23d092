"""The TypeScript scan: parse every file once, index it, settle the flow, run the rules."""

from __future__ import annotations

import dataclasses
import fnmatch
import gc
import os
import re
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import tree_sitter as ts

from analyzer.config import Config
from analyzer.models import (
    Failed,
    FileOutcome,
    Finding,
    KeySeeds,
    Ok,
    Progress,
    ScanResult,
    Skipped,
    SourceFile,
)
from analyzer.sources import Limits, Unreadable, read_source
from analyzer.typescript.detect import Detector, matches
from analyzer.typescript.flow import Project
from analyzer.typescript.index import FileIndex, build_index, call_args, used_names
from analyzer.typescript.names import KeyNames
from analyzer.typescript.parsing import (
    MAX_TREE_DEPTH,
    Source,
    error_and_missing_lines,
    first_error,
    inside_error,
    is_tsx,
    parse,
    tree_depth,
)
from analyzer.typescript.prefilter import Prefilter

#: every file parsed and every flow round over every file: the reference the shortcuts (text prefilter,
#: incremental rounds) are tested against
THOROUGH = False
_MAX_EXPANSIONS = 3


@lru_cache(maxsize=8)
def _exclude_re(patterns: tuple[str, ...]) -> re.Pattern[str]:
    parts = [fnmatch.translate(p) for p in patterns]
    parts += [fnmatch.translate(p[3:]) for p in patterns if p.startswith("**/")]
    return re.compile("|".join(parts) or "(?!)")


def _excluded(path: str, patterns: tuple[str, ...]) -> bool:
    if "/node_modules/" in f"/{path}" or path.endswith((".d.ts", ".d.mts", ".d.cts")):
        return True
    return bool(_exclude_re(patterns).match(path))


def scan_typescript(files: list[SourceFile], seeds: KeySeeds, config: Config, progress: Progress | None = None,
                    to_type: str = "UUID", trace: dict[str, Any] | None = None,
                    prepared: Prepared | None = None) -> ScanResult:
    """Parse, index, settle the flow and run the rules. The cyclic GC is paused meanwhile: the scan
    holds every tree and node wrapper alive on purpose, and full collections over that heap made the
    run quadratic in the size of the front end.

    `trace` receives what decided which files were parsed (`replay` repeats it on changed files): the
    prefilter's first set, each expansion's input (the flow's calls out of the kept files) and result.
    `prepared`: what `prepare` did with the same files and configuration before the seeds were known."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _scan(files, seeds, config, progress, to_type, trace if trace is not None else {}, prepared)
    finally:
        _collector_back(was_enabled)


@dataclasses.dataclass
class Prepared:
    """The part of the scan that needs no seeds: every file read, parsed and indexed (the prefilter then
    keeps some of them), and the rules loaded. The worker does it while the Python rounds still run."""

    read: list[tuple[SourceFile, str, bytes]]
    outcomes: dict[str, FileOutcome]  # files skipped at reading
    parsed: dict[str, tuple[SourceFile, Source, ts.Tree] | FileOutcome]  # a tree, or Skipped (too deep)
    indexes: dict[str, FileIndex | str]  # a fresh index, or why indexing failed
    prefilter: Prefilter  # over every text read, its import graph built, no vocabulary yet
    seconds: float = 0.0


def prepare(files: list[SourceFile], config: Config) -> Prepared:
    """Read, parse and index every file, and load the rules, before the seeds are known. The scan given
    the result takes from it exactly what it would have computed itself (`_scan`); the files the
    prefilter leaves out were parsed for nothing, a cost paid while the worker would have waited."""
    started = time.perf_counter()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        outcomes: dict[str, FileOutcome] = {}
        read = _read_all(files, config, None, outcomes)
        trees: dict[str, tuple[SourceFile, Source, ts.Tree]] = {}
        parsed: dict[str, tuple[SourceFile, Source, ts.Tree] | FileOutcome] = {}
        for sf, text, data in read:
            skipped: dict[str, FileOutcome] = {}
            _parse_into(trees, skipped, sf, text, data)
            parsed[sf.path] = trees[sf.path] if sf.path in trees else skipped[sf.path]
        indexes: dict[str, FileIndex | str] = {}
        for sf, src, tree in trees.values():
            try:
                fi = build_index(sf, src, tree, is_tsx(sf.path))
            except Exception as exc:  # noqa: BLE001 - one odd file must not stop the scan
                indexes[sf.path] = f"indexing failed: {type(exc).__name__}: {exc}"
                continue
            fi.error = first_error(tree, src)
            call_args(fi)  # what the flow's rounds read of the calls, found before the seeds
            used_names(fi)
            indexes[sf.path] = fi
        Detector.warm()
        for ready in indexes.values():
            if isinstance(ready, FileIndex):
                ready.rule_matches = matches(ready)
        prefilter = Prefilter({sf.path: text for sf, text, _ in read}, None, config)
        prefilter.warm()
        return Prepared(read, outcomes, parsed, indexes, prefilter, time.perf_counter() - started)
    finally:
        _collector_back(was_enabled)


def _collector_back(enabled: bool) -> None:
    """The collector on again if it was, after a stage that ran with it off. In a one-shot process (the command line
    and its worker) what the stage made lives until the process ends, and all of it is in the youngest generation:
    it is frozen first, else the first collection after walks it (polar: 0.15 s after `prepare`, 0.03 s after the
    scan)."""
    from analyzer import workers

    if workers.ONE_SHOT:
        gc.freeze()
    if enabled:
        gc.enable()


def _read_all(files: list[SourceFile], config: Config, progress: Progress | None,
              outcomes: dict[str, FileOutcome]) -> list[tuple[SourceFile, str, bytes]]:
    """Every file the scan reads (text and bytes); the others get their Skipped outcome."""
    read: list[tuple[SourceFile, str, bytes]] = []
    limits = Limits.of(config)
    for sf in files:
        if progress is not None:
            progress(1)
        if _excluded(_within_root(sf), config.excludes):
            outcomes[sf.path] = Skipped(sf.path, reason="excluded (dependency or build output)")
            continue
        try:
            data = read_source(sf.abs_path, limits)
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            outcomes[sf.path] = Skipped(sf.path, reason=f"not UTF-8: {exc.reason}")
            continue
        except Unreadable as exc:
            outcomes[sf.path] = Skipped(sf.path, reason=str(exc))
            continue
        read.append((sf, text, data))
    return read


def replay(old: ScanResult, trace: dict[str, Any], files: list[SourceFile], changed: set[str], seeds: KeySeeds,
           config: Config) -> ScanResult | None:
    """The stored scan `old` (with its `trace`) made to fit files of which `changed` differ, when the
    change cannot alter it: no changed file was parsed, and the prefilter, run again on the new texts,
    keeps the same first set and makes the same expansions from the same calls (the kept files being
    the same, the flow makes the same calls). The changed files' outcomes are recomputed. None when the
    change may alter the scan."""
    final = trace.get("final")
    if final is None or trace.get("failed") or changed & final:
        return None
    outcomes: dict[str, FileOutcome] = {}
    read = _read_all(files, config, None, outcomes)
    pf = Prefilter({sf.path: text for sf, text, _ in read}, KeyNames.build(seeds, config), config)
    keep = pf.initial()
    if keep is None or keep != trace.get("initial"):
        return None
    for calls, extra in trace.get("expansions", ()):
        if pf.expand(keep, calls) != extra:
            return None
        keep |= extra
    if keep != final:
        return None
    for sf, _text, _data in read:
        if sf.path not in keep:
            outcomes[sf.path] = Ok(sf.path, findings=0)
    by_path = {o.path: o for o in old.outcomes if o.path not in changed}
    by_path.update({p: o for p, o in outcomes.items() if p in changed})  # read and left out, or skipped
    stats = {**old.stats, "files": float(len(files)), "prefiltered_out": float(len(read) - len(keep))}
    return dataclasses.replace(old, outcomes=tuple(by_path[sf.path] for sf in files if sf.path in by_path),
                               stats=stats)


def _scan(files: list[SourceFile], seeds: KeySeeds, config: Config, progress: Progress | None,
          to_type: str, trace: dict[str, Any], prepared: Prepared | None = None) -> ScanResult:
    started = time.perf_counter()
    kn = KeyNames.build(seeds, config)
    outcomes: dict[str, FileOutcome] = {}
    indexes: list[FileIndex] = []
    if prepared is not None:
        read = prepared.read
        outcomes.update(prepared.outcomes)
    else:
        read = _read_all(files, config, progress, outcomes)

    def parse_into(sf: SourceFile, text: str, data: bytes) -> None:
        done = prepared.parsed.get(sf.path) if prepared is not None else None
        if isinstance(done, tuple):
            parsed[sf.path] = done
        elif done is not None:
            outcomes[sf.path] = done
        else:
            _parse_into(parsed, outcomes, sf, text, data)
    t0 = time.perf_counter()
    pf = prepared.prefilter.keyed(kn) if prepared is not None else \
        Prefilter({sf.path: text for sf, text, _ in read}, kn, config)
    keep = None if THOROUGH else pf.initial()
    trace.update(initial=frozenset(keep) if keep is not None else None, expansions=[], final=None)
    prefilter_s = time.perf_counter() - t0
    parse_s = 0.0
    parsed: dict[str, tuple[SourceFile, Source, ts.Tree]] = {}
    for sf, text, data in read:
        if keep is not None and sf.path not in keep:
            continue
        t0 = time.perf_counter()
        parse_into(sf, text, data)
        parse_s += time.perf_counter() - t0
    t0 = time.perf_counter()
    indexes = _index_all(parsed, outcomes, prepared.indexes if prepared is not None else None)
    index_s = time.perf_counter() - t0
    indexed = time.perf_counter()
    flow_failed = 0.0
    expansions = 0
    while True:
        project = Project(indexes, kn, incremental=not THOROUGH)
        try:
            rounds = project.run()
        except Exception:  # noqa: BLE001 - the rules still run on what the flow settled so far
            rounds, flow_failed = 0, 1.0
        if keep is None or flow_failed or expansions >= _MAX_EXPANSIONS:
            break
        t0 = time.perf_counter()
        calls = project.outside_calls()
        extra = pf.expand(keep, calls)
        trace["expansions"].append((calls, frozenset(extra)))
        prefilter_s += time.perf_counter() - t0
        if not extra:
            break
        expansions += 1  # a kept file passes a key to a helper of a file left out: take it, settle again
        keep |= extra
        t0 = time.perf_counter()
        for sf, text, data in read:
            if sf.path in extra:
                parse_into(sf, text, data)
        parse_s += time.perf_counter() - t0
        order = {sf.path: i for i, (sf, _t, _d) in enumerate(read)}
        parsed = dict(sorted(parsed.items(), key=lambda kv: order[kv[0]]))
        t0 = time.perf_counter()
        indexes = _index_all(parsed, outcomes)
        index_s += time.perf_counter() - t0
    for sf, _text, _data in read:
        if keep is not None and sf.path not in keep and sf.path not in outcomes:
            outcomes[sf.path] = Ok(sf.path, findings=0)  # cannot hold the key: read, not parsed
    trace.update(final=frozenset(keep) if keep is not None and not flow_failed else None, failed=bool(flow_failed))
    flowed = time.perf_counter()
    detector = Detector(project, config, to_type)
    findings: list[Finding] = []
    for fi in indexes:
        try:
            found = detector.run(fi)
        except Exception as exc:  # noqa: BLE001 - one odd file must not stop the scan
            outcomes[fi.sf.path] = Failed(fi.sf.path, reason=f"rules failed: {type(exc).__name__}: {exc}")
            continue
        if fi.sf.path.endswith(_JS_SUFFIXES):
            found = [_js_safe(f) for f in found]
        if fi.error is not None:
            bad, missing = error_and_missing_lines(fi.tree)
            found = [f for f in found if not _in_error(fi, f) and
                     not bad.intersection(range(f.span.line - 1, f.span.end_line))]
            # a row the parser completed with an assumed token keeps its finding, never an edit: the
            # developer fixes the syntax first, and the patch must not guess around it
            found = [dataclasses.replace(f, edits=()) if f.edits and
                     missing.intersection(range(f.span.line - 1, f.span.end_line)) else f for f in found]
            line, col = fi.error
            outcomes[fi.sf.path] = Skipped(
                fi.sf.path, reason=f"syntax error at {line}:{col}; findings outside the error kept")
        else:
            outcomes[fi.sf.path] = Ok(fi.sf.path, findings=len(found))
        findings.extend(found)
    ordered = [outcomes[sf.path] for sf in files if sf.path in outcomes]
    stats = {
        "files": float(len(files)),
        "parsed": float(len(indexes)),
        "prefiltered_out": float(len(read) - len(parsed)),
        "prefilter_expansions": float(expansions),
        "prefilter_seconds": round(prefilter_s, 4),
        "syntax_errors": float(sum(1 for fi in indexes if fi.error is not None)),
        "parse_seconds": round(parse_s, 4),
        "read_seconds": round(indexed - started - parse_s - prefilter_s - index_s, 4),
        "index_seconds": round(index_s, 4),
        "flow_rounds": float(rounds),
        "flow_seconds": round(flowed - indexed, 4),
        "detect_seconds": round(time.perf_counter() - flowed, 4),
        "flow_files_per_round": float(sum(project.rounds_files) / len(project.rounds_files))
        if project.rounds_files else float(len(indexes)),
        "flow_failed": flow_failed,
        "seconds": round(time.perf_counter() - started, 4),
    }
    return ScanResult(findings=tuple(findings), outcomes=tuple(ordered), seeds=KeySeeds(), stats=stats)


_JS_SUFFIXES = (".js", ".jsx", ".mjs", ".cjs")
#: a replacement that writes TypeScript-only syntax (an annotation, an assertion, type arguments)
_TS_ONLY = re.compile(r":\s*(?:string|number|bigint)\b|\bas\s+(?:string|number|bigint)\b|<\s*(?:string|number|bigint)\b"
                      r"|\bsatisfies\b|\b(?:Record|Set|Map|Array|Promise)\s*<")


def _js_safe(f: Finding) -> Finding:
    """JavaScript is read with the TypeScript machinery, but a patch must stay JavaScript: an edit that
    would write type syntax into a .js/.jsx file is kept as a suggestion for review, never applied."""
    if not any(e.safe and _TS_ONLY.search(e.text) for e in f.edits):
        return f
    edits = tuple(dataclasses.replace(e, safe=False) if _TS_ONLY.search(e.text) else e for e in f.edits)
    return dataclasses.replace(f, edits=edits)


def _parse_into(parsed: dict[str, tuple[SourceFile, Source, ts.Tree]], outcomes: dict[str, FileOutcome],
                sf: SourceFile, text: str, data: bytes) -> None:
    """Parse one file, unless its tree is too deep for the index to walk in reasonable time (skipped)."""
    src = Source(text, data)
    tree = parse(src, is_tsx(sf.path))
    depth = tree_depth(tree)
    if depth > MAX_TREE_DEPTH:
        outcomes[sf.path] = Skipped(sf.path, reason=f"nesting depth {depth:,}+ exceeds the analyzer's limit of "
                                                    f"{MAX_TREE_DEPTH} syntax-tree levels")
        return
    parsed[sf.path] = (sf, src, tree)


def _index_all(parsed: dict[str, tuple[SourceFile, Source, ts.Tree]], outcomes: dict[str, FileOutcome],
               fresh: dict[str, FileIndex | str] | None = None) -> list[FileIndex]:
    """Fresh indexes (the flow marks their bindings, so a second settling starts from clean ones); `fresh`:
    ones `prepare` built and no flow has touched yet, taken (once) instead of building them again."""
    indexes = []
    for sf, src, tree in parsed.values():
        ready = fresh.pop(sf.path, None) if fresh is not None else None
        if isinstance(ready, FileIndex):
            indexes.append(ready)
            continue
        if ready is not None:
            outcomes[sf.path] = Failed(sf.path, reason=ready)
            continue
        try:
            fi = build_index(sf, src, tree, is_tsx(sf.path))
        except Exception as exc:  # noqa: BLE001 - one odd file must not stop the scan
            outcomes[sf.path] = Failed(sf.path, reason=f"indexing failed: {type(exc).__name__}: {exc}")
            continue
        fi.error = first_error(tree, src)
        indexes.append(fi)
    return indexes


def _in_error(fi: FileIndex, f: Finding) -> bool:
    node = fi.tree.root_node.descendant_for_point_range(
        (f.span.line - 1, 0), (f.span.line - 1, 0))
    return node is not None and inside_error(node)


def scan_sources(sources: dict[str, str], seeds: KeySeeds, config: Config | None = None,
                 to_type: str = "UUID", tmp: Path | None = None) -> ScanResult:
    """Scan in-memory files (tests, rule examples): path -> text, written under `tmp`."""
    import tempfile

    base = Path(tmp or tempfile.mkdtemp(prefix="impact-ts-"))
    files = []
    for rel, text in sources.items():
        p = base / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8", newline="")
        files.append(SourceFile(root=str(base), abs_path=str(p), path=rel, language="typescript"))
    return scan_typescript(files, seeds, config or Config(), to_type=to_type)


def _within_root(sf: SourceFile) -> str:
    """The file's path below its root: excludes never match the root's own location (a root may well
    live under `build/` or `impact-report/`)."""
    root = os.path.abspath(sf.root) if sf.root else ""
    if root and os.path.isdir(root):
        rel = os.path.relpath(sf.abs_path, root)
        if not rel.startswith(".."):
            return rel.replace(os.sep, "/")
    return sf.path
