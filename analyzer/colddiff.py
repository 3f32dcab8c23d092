"""Diff mode without a cached scan of the base: the Python scan bounded to the files the change can reach.

A pull request's findings are those on the lines it changes. With a cached scan of the base, the changed files
are checked against its final facts (analyzer.incremental, exact). Without one (a cold, cache-less CI runner),
scanning the whole tree costs as much as the first scan of it; `bounded` scans instead the files the change
can reach (analyzer.python.context: the changed files, what they import, their importers, the files mapping an
affected table), learns over those to a fixed point as the full scan does, and reports what the narrowing
keeps: the findings on the changed lines. The TypeScript scan is left out when no TypeScript file changed
(none of its findings can be on a changed line).

What such a scan cannot know is the whole migration: the report says its totals were not computed
(`DiffInfo.standing` None), and one line on stderr says the answer was bounded and how to get the exact one.
`diff_scan = "full"` in `[tool.impact]` scans in full instead; "auto" (the default) bounds a tree of at least
`MIN_FILES` Python files, where a full scan costs tens of seconds; "bounded" bounds any tree.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from analyzer.models import Closure, Ok, Progress, ScanResult, SourceFile

if TYPE_CHECKING:
    from analyzer.cache import ScanCache
    from analyzer.pipeline import ScanOptions

#: "auto": a tree with fewer Python files is scanned in full (seconds, and the whole migration comes with it)
MIN_FILES = 300
#: the scan's `stats["cache"]` for a bounded scan (diffmode reads it)
HOW = "bounded"


def bounded(options: ScanOptions, store: ScanCache | None, key: str, files: list[SourceFile], sums: dict[str, str],
            closure: Closure, progress: Progress) -> tuple[ScanResult, ScanResult, str] | None:
    """The Python scan of the files the change can reach, an empty TypeScript one; None when the change is
    not to be bounded (a full scan then; one line on stderr when the reason is the change's)."""
    from analyzer.incremental import MAX_CHANGED
    from analyzer.pipeline import changed_paths

    cfg = options.config
    ref = options.diff_base
    if not ref or cfg.diff_scan == "full":
        return None
    py_files = [f for f in files if f.language in ("python", "sql")]
    total = sum(1 for f in py_files if f.abs_path.endswith(".py"))
    if cfg.diff_scan == "auto" and total < MIN_FILES:
        return None
    changed = changed_paths(options.roots, ref)
    if store is not None and store.base_entry(key, files, sums, changed) is not None:
        return None  # a cached scan of the base: diff mode checks the change against its facts
    langs = {f.path: f.language for f in files}
    ts = sorted(p for p in changed if langs.get(p) == "typescript")
    py = sorted(p for p in changed if langs.get(p) == "python")
    why = (f"{ts[0]} changed (the TypeScript scan starts from what every Python file teaches)" if ts else
           f"{len(py)} Python files changed (more than {MAX_CHANGED})" if len(py) > MAX_CHANGED else "")
    if why:
        print(f"impact: --diff-base {ref}: scanning in full: {why}", file=sys.stderr)
        return None
    from analyzer.python import scan_python
    from analyzer.python.context import reach
    from analyzer.python.parsed import ParseFailure, read_text
    from analyzer.sources import Limits

    limits = Limits.of(cfg)
    texts: dict[str, str] = {}
    for f in py_files:
        if f.abs_path.endswith(".py"):
            try:
                texts[f.path] = read_text(f.abs_path, limits)
            except ParseFailure:
                continue  # the scan says why
    admit = reach(texts, py, closure.tables)
    result = scan_python(py_files, closure, cfg, progress=progress, admit=admit)
    reached = len(admit)
    stats = {**result.stats, "bounded_to": float(reached), "python_files": float(total)}
    ts_files = [f for f in files if f.language == "typescript"]
    progress(len(ts_files))
    print(f"impact: --diff-base {ref}: no cached scan of the base: scanned the {reached:,} of {total:,} Python files "
          "this change can reach; the whole migration's totals were not computed (cache a scan of the base for "
          "the exact answer: README, pull requests)", file=sys.stderr)
    empty = ScanResult(outcomes=tuple(Ok(f.path) for f in ts_files), stats={"files": float(len(ts_files))})
    return ScanResult(result.findings, result.outcomes, result.seeds, stats), empty, HOW
