"""Terminal tables (rich): the end-of-scan summary and the rule catalogue."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from analyzer.models import LAYERS, Report, RuleMeta


def summary_table(report: Report) -> Table:
    targets = ", ".join(t.qualified for t in report.targets)
    to = report.targets[0].to_type if report.targets else ""
    tables = [report.schema.table(t) for t in report.closure.tables]
    rows = sum(t.rows or 0 for t in tables if t is not None)
    lo, hi = report.summary.effort_days
    table = Table(
        title=f"impact: {targets} → {to}",
        caption=(
            f"{len(report.closure.tables)} tables / {rows:,} rows to rewrite · "
            f"{report.summary.findings} findings in {len({f.path for f in report.findings})} files · "
            f"{report.summary.skipped} files skipped · est. {lo:g}–{hi:g} days"
        ),
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
            table.add_row(layer, str(c.get("must_change", 0)), str(c.get("hazard", 0)), str(c.get("info", 0)))
    return table


def rules_table(rules: Sequence[RuleMeta]) -> Table:
    table = Table(title=f"{len(rules)} rules")
    for col in ("code", "name", "language", "layer", "kind", "severity", "fix", "summary"):
        table.add_column(col)
    for r in rules:
        table.add_row(r.code, r.name, r.language, r.layer, r.kind, r.severity, "yes" if r.fixable else "",
                      r.summary)
    return table
