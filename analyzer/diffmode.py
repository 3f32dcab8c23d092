"""Diff mode (`--diff-base REF`, `--baseline findings.json`): what a change adds, beside the whole cost.

A pull request that adds one finding must read as one finding's worth of work, not as the whole
migration. The scan runs in full (the rules need every file to follow the key), then `narrow`
splits its findings:

- new: on a line changed since REF (every line without `--diff-base`) and not in the baseline;
  these become `report.findings`, priced per layer with no per-table migration cost. Like
  reviewdog's default `added` filter: a PR that edits one line of a file with twenty old findings
  adds the findings of that line, not twenty-one (`--diff-scope files` takes whole changed files);
- hidden by the baseline: in scope, but the baseline already knows their fingerprints;
- outside the diff: not in the baseline, and not on a line (or in a file) the change touches;
- standing: every finding, priced by the same model as a full scan (the whole migration); not computed
  (None, with `bounded`) when the scan was bounded to what the change can reach (analyzer.colddiff).

The split rides in `report.extras["diff"]` (a `DiffInfo`); renderers show it, with the reviewers
CODEOWNERS names for the files the new findings are in.
"""

from __future__ import annotations

import codecs
import re
import subprocess
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from analyzer.codeowners import CodeOwners, find_codeowners
from analyzer.models import Finding, Report
from analyzer.pipeline import ScanOptions, UsageError, _baseline_fingerprints, changed_paths, summarize
from analyzer.sources import root_names


@dataclass(frozen=True)
class Standing:
    """The whole migration, whatever the change: every finding and the full effort estimate."""

    findings: int
    must_change: int
    hazard: int
    info: int
    files: int
    effort_days: tuple[float, float]


@dataclass(frozen=True)
class Bounded:
    """A scan bounded to the Python files the change can reach (no cached scan of the base, analyzer.colddiff):
    the findings on the changed lines are known, the whole migration and the findings elsewhere are not."""

    scanned: int  # Python files the change can reach (the scan's admitted set)
    files: int  # Python files in the tree


@dataclass(frozen=True)
class Reviewers:
    owners: tuple[str, ...]
    paths: tuple[str, ...]


@dataclass(frozen=True)
class DiffInfo:
    base: str | None  # the git ref, None with --baseline alone
    baseline: str | None  # the baseline file as given
    changed_files: tuple[str, ...]  # finding-style paths (root-prefixed with several roots), sorted
    hidden_by_baseline: int
    outside_diff: int | None  # None: not counted (a bounded scan)
    standing: Standing | None  # None: not computed (a bounded scan)
    reviewers: tuple[Reviewers, ...]
    #: the new findings' effort range in minutes, unrounded (the summary's days round a small change to 0)
    added_minutes: tuple[float, float] = (0.0, 0.0)
    bounded: Bounded | None = None


def narrow(report: Report, options: ScanOptions) -> Report:
    """The full scan's report cut to what the change adds; unchanged without --diff-base / --baseline."""
    if not options.diff_base and options.baseline is None:
        return report
    known = _baseline_fingerprints(options.baseline) if options.baseline is not None else set()
    changed = changed_paths(options.roots, options.diff_base) if options.diff_base else None
    by_line = options.diff_scope == "lines"
    lines = changed_lines(options.roots, options.diff_base) if by_line and options.diff_base else None

    def in_diff(f: Finding) -> bool:
        if changed is None:
            return True
        if lines is None:
            return f.path in changed
        added = lines.get(f.path, set())
        return any(n in added for n in range(f.span.line, max(f.span.line, f.span.end_line) + 1))

    new = tuple(f for f in report.findings if in_diff(f) and f.fingerprint not in known)
    hidden = sum(1 for f in report.findings if in_diff(f) and f.fingerprint in known)
    outside = sum(1 for f in report.findings if not in_diff(f) and f.fingerprint not in known)
    # this change's own work: its findings priced per layer; the tables belong to the whole migration
    summary = summarize(new, report.outcomes, replace(report.closure, columns=()), report.schema,
                        options.config)
    kinds = Counter(f.kind for f in report.findings)
    standing = Standing(
        findings=len(report.findings), must_change=kinds["must_change"], hazard=kinds["hazard"],
        info=kinds["info"], files=len({f.path for f in report.findings}),
        effort_days=report.summary.effort_days,
    )
    bounded = _bounded(report)  # the scan saw only what the change can reach: no whole migration, no outside
    paths = {f.path for f in new}
    files = report.extras.get("files")
    files = {k: v for k, v in files.items() if k in paths} if isinstance(files, dict) else {}
    snippets = report.extras.get("snippets")
    fingerprints = {f.fingerprint for f in new}
    snippets = {k: v for k, v in snippets.items() if k in fingerprints} if isinstance(snippets, dict) else {}
    info = DiffInfo(
        base=options.diff_base or None,
        baseline=str(options.baseline) if options.baseline is not None else None,
        changed_files=tuple(sorted(changed or ())),
        hidden_by_baseline=hidden,
        outside_diff=None if bounded else outside,
        standing=None if bounded else standing,
        reviewers=reviewers(sorted(paths), files, options.roots),
        added_minutes=_minutes(new, options),
        bounded=bounded,
    )
    extras = {**report.extras, "diff": info, "files": files, "snippets": snippets}
    return replace(report, findings=new, summary=summary, extras=extras)


def _bounded(report: Report) -> Bounded | None:
    from analyzer.colddiff import HOW

    stats = report.extras.get("stats")
    if not isinstance(stats, dict) or stats.get("cache") != HOW:
        return None
    py = stats.get("python")
    py = py if isinstance(py, dict) else {}
    return Bounded(int(py.get("bounded_to", 0)), int(py.get("python_files", 0)))


_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def changed_lines(roots: Sequence[str], ref: str) -> dict[str, set[int]]:
    """Finding-style path -> the line numbers (new side) each file's diff since `ref` adds or changes."""
    names = root_names(roots)
    out: dict[str, set[int]] = {}
    for root in roots:
        base = Path(root) if Path(root).is_dir() else Path(root).parent
        try:
            proc = subprocess.run(
                ["git", "diff", "--no-color", "--no-ext-diff", "--no-renames", "-U0", "--relative",
                 "--src-prefix=a/", "--dst-prefix=b/", ref, "--", "."],
                cwd=base, capture_output=True, check=True,
            )
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = getattr(exc, "stderr", b"") or str(exc)
            detail = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else detail
            raise UsageError(f"--diff-base {ref}: git diff failed in {root}: {detail.strip()}") from None
        prefix = names[root]
        current: set[int] | None = None
        for raw in proc.stdout.split(b"\n"):
            if raw.startswith(b"+++ "):
                path = _diff_path(raw[4:])
                current = None if path is None else out.setdefault(f"{prefix}/{path}" if prefix else path, set())
            elif raw.startswith(b"@@") and current is not None:
                m = _HUNK.match(raw.decode("ascii", "replace"))
                if m:
                    start, count = int(m.group(1)), int(m.group(2) or 1)
                    current.update(range(start, start + count))
    return out


def _diff_path(raw: bytes) -> str | None:
    """`b/app/x.py` or git's C-quoted `"b/app/n\\303\\266tes.py"`; None for `/dev/null` (a deletion)."""
    text = raw.rstrip(b"\r")
    if text.startswith(b'"') and text.endswith(b'"'):
        text = codecs.escape_decode(text[1:-1])[0]
    if text == b"/dev/null" or not text.startswith(b"b/"):
        return None
    return text[2:].decode("utf-8", "replace")


def _minutes(findings: tuple[Finding, ...], options: ScanOptions) -> tuple[float, float]:
    """`summarize`'s per-layer price of the findings (its default of 10 minutes included), in minutes."""
    cfg = options.config
    minutes = sum(cfg.minutes_per_finding.get(f.layer, 10) for f in findings if f.kind != "info")
    return (minutes * (1 - cfg.uncertainty), minutes * (1 + cfg.uncertainty))


def reviewers(paths: list[str], files: dict[str, str], roots: tuple[str, ...]) -> tuple[Reviewers, ...]:
    """CODEOWNERS of each path, grouped by the same owners (in path order); unowned paths left out."""
    names = root_names(roots)
    found: dict[str, CodeOwners | None] = {}
    groups: dict[tuple[str, ...], list[str]] = {}
    for path in paths:
        root = _root_of(path, names)
        if root is None:
            continue
        if root not in found:
            found[root] = find_codeowners(Path(root))
        owners_file = found[root]
        if owners_file is None:
            continue
        prefix = names[root]
        folder = Path(root) if Path(root).is_dir() else Path(root).parent
        abs_path = Path(files[path]) if path in files else folder / (path[len(prefix) + 1:] if prefix else path)
        owners = owners_file.owners_of_file(abs_path)
        if owners:
            groups.setdefault(owners, []).append(path)
    return tuple(Reviewers(owners, tuple(p)) for owners, p in groups.items())


def _root_of(path: str, names: dict[str, str]) -> str | None:
    for root, prefix in sorted(names.items(), key=lambda kv: -len(kv[1])):  # `web/app` before `web`
        if not prefix or path.startswith(prefix + "/"):
            return root
    return None
