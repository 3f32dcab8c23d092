"""The "Strategies" section: one table, strategies as columns, at the top of the HTML and Markdown reports.

The decision comes first, the inventory after: a reader sees what UUID, UUIDv7, bigint, a shared
sequence and doing nothing each cost before the list of findings. The rows are plan.json's figures;
the cells are built once here and escaped by each renderer (autoescaped HTML, `md_*` in Markdown).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._common import human_bytes
from .markup import md_cell, md_code, md_text


@dataclass(frozen=True)
class StrategyTable:
    names: list[str]
    rows: list[tuple[str, list[str]]]
    recommendation: str
    notes: list[str]  # refusals and per-strategy risks, as plain text
    measured: bool
    #: per strategy: its migration's steps (phase, name, lock, table, rows, seconds, measured), then its
    #: assumptions and rehearsal checks
    details: list[dict[str, Any]] = field(default_factory=list)


def _seconds(s: float) -> str:
    if s >= 3600:
        return f"{s / 3600:,.1f} h"
    if s >= 60:
        return f"{s / 60:,.1f} min"
    return f"{s:,.1f} s"


def strategy_table(plan: Any) -> StrategyTable | None:
    """The table's cells from a `Plan` (analyzer.plan.strategies), or None when the report has no plan."""
    if plan is None or not getattr(plan, "strategies", None):
        return None
    ss = plan.strategies
    rows: list[tuple[str, list[str]]] = [
        ("must change", [str(s.code["must_change"]) for s in ss]),
        ("hazards", [str(s.code["hazard"]) for s in ss]),
        ("auto-patched", [str(s.code["patched"]) for s in ss]),
        ("rows rewritten", [f"{s.data['rows_rewritten']:,}" for s in ss]),
        ("bytes added", [human_bytes(s.data["bytes"]) if s.data["bytes"] else "0" for s in ss]),
        ("longest write lock", [_seconds(s.data["longest_lock_s"]) for s in ss]),
        ("runtime", [_seconds(s.data["runtime_s"]) + (" measured" if s.data.get("measured") else " modelled")
                     if s.migration else "-" for s in ss]),
        ("colliding ids", [f"{s.collisions['ids']:,} ({s.collisions['referencing_rows']:,} rows)"
                           if s.collisions else "-" for s in ss]),
        ("int4 runs out", [_horizon(s.horizon) for s in ss]),
        ("rehearsal", ["-" if s.rehearsal is None else ("passed" if s.rehearsal["ok"] else "FAILED") for s in ss]),
        ("effort (days)", [f"{s.effort_days[0]:g}–{s.effort_days[1]:g}" for s in ss]),
        ("migration", [s.migration or ("refused" if s.refused else "none") for s in ss]),
    ]
    notes = [f"{s.name}: no migration — {s.refused}" for s in ss if s.refused]
    notes += [f"{s.name}: {r}" for s in ss for r in s.risks]
    details = [{"name": s.name, "migration": s.migration, "steps": [
                    {**step, "seconds": _seconds(step["seconds"]), "blocks": _seconds(step["blocks_writes_s"])}
                    for step in s.steps],
                "assumptions": s.assumptions,
                "checks": (s.rehearsal or {}).get("checks", []), "failures": (s.rehearsal or {}).get("failures", [])}
               for s in ss if s.steps or (s.rehearsal or {}).get("checks")]
    return StrategyTable([s.name for s in ss], rows, plan.recommendation, notes,
                         any(s.data.get("measured") for s in ss), details)


def _horizon(rows: list[dict[str, Any]] | None) -> str:
    if not rows:
        return "-"
    days = [r["days_left"] for r in rows if r.get("days_left") is not None]
    if not days:
        return "growth unknown"
    d = min(days)
    return f"~{d / 365:,.0f} years" if d >= 365 else f"~{d:,.0f} days"


def markdown_section(plan: Any) -> list[str]:
    table = strategy_table(plan)
    if table is None:
        return []
    lines = ["### Strategies", "", f"**{md_text(table.recommendation)}**", "",
             "| | " + " | ".join(md_cell(md_code(n)) for n in table.names) + " |",
             "|---|" + "--:|" * len(table.names)]
    for label, cells in table.rows:
        lines.append(f"| {md_text(label)} | " + " | ".join(md_cell(md_text(c)) for c in cells) + " |")
    lines.append("")
    if table.notes:
        lines += ["<details><summary>Risks and refusals</summary>", ""]
        lines += [f"- {md_text(n)}" for n in table.notes]
        lines += ["", "</details>", ""]
    return lines
