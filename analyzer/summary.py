"""Terminal tables (rich): the end-of-scan summary and the rule catalogue.

Every string here goes in as `rich.text.Text`, never as markup: table, column and rule names come
from the user's database and code, and a `[` in them must print as is, not be read as a style tag.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from analyzer.models import LAYERS, Report, RuleMeta


def _diff_lines(report: Report) -> str | None:
    """Diff mode, under the table: what the change adds, then the whole migration on a line of its
    own (never as the change's cost), the reviewers, and what the baseline or the diff left out."""
    from analyzer.reports._common import diff_view, review_text

    view = diff_view(report)
    if view is None:
        return None
    lines = [view.verdict, view.standing]
    if view.info.reviewers:
        lines.append(f"Review: {review_text(view.info)}")
    lines += [line for line in (view.counts,) if line]
    b = view.info.bounded  # a bounded scan read the others' text only (analyzer.colddiff)
    lines.append(f"{report.summary.files} files scanned, {report.summary.skipped} skipped" if b is None else
                 f"{b.scanned:,} of {b.files:,} Python files scanned (bounded), {report.summary.skipped} skipped")
    return "\n".join(lines)


def summary_table(report: Report) -> RenderableType:
    targets = ", ".join(t.qualified for t in report.targets)
    to = report.targets[0].to_type if report.targets else ""
    diff = _diff_lines(report)
    if diff is None:
        tables = [report.schema.table(t) for t in report.closure.tables]
        rows = sum(t.rows or 0 for t in tables if t is not None)
        lo, hi = report.summary.effort_days
        caption = (f"{len(report.closure.tables)} tables / {rows:,} rows to rewrite · "
                   f"{report.summary.findings} findings in {len({f.path for f in report.findings})} files · "
                   f"{report.summary.skipped} files skipped · est. {lo:g}–{hi:g} days")
    else:
        caption = "new findings, by layer"
    table = Table(
        title=Text(f"impact: {targets} → {to}", style="table.title"),
        caption=Text(caption, style="table.caption"),
    )
    table.add_column("layer")
    table.add_column("must change", justify="right")
    table.add_column("hazard", justify="right")
    table.add_column("info", justify="right")
    counts: dict[str, dict[str, int]] = {}
    for f in report.findings:
        counts.setdefault(f.layer, {}).setdefault(f.kind, 0)
        counts[f.layer][f.kind] += 1
    for layer in LAYERS:
        if layer in counts:
            c = counts[layer]
            table.add_row(Text(layer), str(c.get("must_change", 0)), str(c.get("hazard", 0)),
                          str(c.get("info", 0)))
    if diff is None:
        return table
    return Group(table, Text(diff)) if report.findings else Text(diff)


class _RulesTable:
    """The catalogue laid out for the terminal it lands on, decided at render time.

    The short columns never wrap (a code or a name cut to `py.sqla…` is unreadable); the language and
    the one-line summary are added only when the width leaves the summary room to read (30 columns),
    otherwise the caption points to `impact rules show`.
    """

    _SUMMARY_MIN = 30

    def __init__(self, rules: Sequence[RuleMeta]) -> None:
        self.rules = list(rules)

    def _cells(self, r: RuleMeta) -> dict[str, str]:
        return {"code": r.code, "name": r.name, "language": r.language, "layer": r.layer, "kind": r.kind,
                "severity": r.severity, "fix": "yes" if r.fixable else ""}

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        rows = [self._cells(r) for r in self.rules]
        short = ["code", "name", "layer", "kind", "severity", "fix"]
        wide = sum(max([len(c), *(len(row[c]) for row in rows)]) for c in [*short, "language"])
        gaps = 2 * (len(short) + 1)  # two spaces between each of the eight columns (no box, no edge padding)
        with_summary = options.max_width - wide - gaps >= self._SUMMARY_MIN
        columns = [*short[:2], "language", *short[2:]] if with_summary else short
        table = Table(title=f"{len(self.rules)} rules", box=None,
                      pad_edge=False, show_edge=False, title_justify="left")
        for col in columns:
            table.add_column(col, no_wrap=True)
        if with_summary:
            table.add_column("summary", overflow="fold", ratio=1)
        else:
            table.caption = "`impact rules show CODE` says what a rule flags and what to do instead"
            table.caption_justify = "left"
        for r, row in zip(self.rules, rows, strict=True):
            cells = [Text(row[c]) for c in columns]
            table.add_row(*cells, *([Text(r.summary)] if with_summary else []))
        yield table


def rules_table(rules: Sequence[RuleMeta]) -> RenderableType:
    return _RulesTable(rules)


def strategies_table(plan: object) -> Table:
    """The decision at the terminal: strategies as columns, what each costs as rows (plan.json's figures)."""
    from analyzer.plan.strategies import Plan

    assert isinstance(plan, Plan)
    table = Table(title=Text(f"Strategies for {', '.join(plan.targets)}"), title_justify="left")
    table.add_column("")
    for s in plan.strategies:
        table.add_column(Text(s.name), justify="right")

    def row(label: str, cells: list[str]) -> None:
        table.add_row(Text(label, style="bold"), *(Text(c) for c in cells))

    def gib(n: int) -> str:
        return f"{n / 2**30:,.2f} GiB" if n >= 2**28 else f"{n / 2**20:,.1f} MiB"

    ss = plan.strategies
    row("must change", [str(s.code["must_change"]) for s in ss])
    row("hazards", [str(s.code["hazard"]) for s in ss])
    row("auto-patched", [str(s.code["patched"]) for s in ss])
    row("rows rewritten", [f"{s.data['rows_rewritten']:,}" for s in ss])
    row("bytes added", [gib(int(s.data["bytes"])) for s in ss])
    row("longest write lock", [f"{s.data['longest_lock_s']:,.1f} s" for s in ss])
    row("runtime", [f"{s.data['runtime_s']:,.0f} s" + (" (measured)" if s.data.get("measured") else "") for s in ss])
    row("collisions", [f"{s.collisions['ids']:,} ids / {s.collisions['referencing_rows']:,} rows"
                       if s.collisions else "-" for s in ss])
    row("rehearsal", ["-" if s.rehearsal is None else ("ok" if s.rehearsal["ok"] else "FAILED") for s in ss])
    row("effort (days)", [f"{s.effort_days[0]:g}-{s.effort_days[1]:g}" for s in ss])
    row("migration", [s.migration or ("refused" if s.refused else "-") for s in ss])
    refusals: dict[str, list[str]] = {}
    for s in ss:
        if s.refused:
            refusals.setdefault(s.refused, []).append(s.name)
    table.caption = Text("\n".join([plan.recommendation,
                                    *(f"no migration for {', '.join(names)}: {why}" for why, names in refusals.items())]))
    table.caption_justify = "left"
    return table


def finding_lines(report: Report) -> list[str]:
    """One line per finding, `path:line:col: CODE [severity] message` (the concise form of ruff and
    compilers, which editors and terminals make clickable), then one line of counts: what `impact scan
    --out -` prints for a pre-commit hook or a CI log, where no report is written."""
    lines = [f"{f.path}:{f.span.line}:{f.span.column}: {f.code} [{f.severity}] {f.message}" for f in report.findings]
    counts = f"{len(report.findings)} finding{'' if len(report.findings) == 1 else 's'}"
    if report.findings:
        must, hazard, info = (sum(1 for f in report.findings if f.kind == k) for k in ("must_change", "hazard", "info"))
        counts += f" ({must} must change, {hazard} hazard, {info} info)"
    hidden = getattr(report.extras.get("diff"), "hidden_by_baseline", 0)
    if hidden:
        counts += f"; {hidden} known to the baseline"
    return [*lines, counts]
