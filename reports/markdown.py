"""`report.md`: a pull-request comment. The verdict is the first line; everything else is optional.

GitHub refuses comments over 65,536 characters, so the comment is built from blocks in priority
order (verdict, layer table, top findings, the rest in `<details>`, tables to rewrite) and stops
adding blocks before the budget runs out, saying how much it left out. Tables are added whole or not
at all: a table is never cut in the middle.

In diff / baseline mode the comment leads with what the change adds (verdict, its new findings),
then the whole migration's standing cost in one line, the reviewers CODEOWNERS names, and how many
findings the baseline hides or lie outside the diff; the whole migration is never priced as the PR's.
"""

from __future__ import annotations

from analyzer.models import Finding, Report

from ._common import (
    DiffView,
    bounded,
    clip,
    effort_model,
    headline,
    human_bytes,
    human_count,
    layer_rank,
    layer_rows,
    public_schema_source,
    table_costs,
    top_findings,
)
from .markup import md_cell, md_code, md_message, md_text
from .strategies import markdown_section

LIMIT = 65_000
TOP = 10
#: paths named per reviewer group, and groups named, on the Review line
REVIEW_PATHS = 5
REVIEW_GROUPS = 10


#: messages quote code between backticks; kept as the name tests and callers know
escape_text = md_message
code = md_code


def _item(f: Finding) -> str:
    sev = {"error": "🔴", "warning": "🟠", "note": "⚪"}.get(f.severity, "•")
    line = f"- {sev} {code(f'{f.path}:{f.span.line}')} {escape_text(f.message)} · {code(f.code)} {md_text(f.layer)}"
    extras = []
    if f.review:
        extras.append(f"review: {escape_text(f.review)}")
    if f.fix:
        extras.append("fix in patches/")
    if extras:
        line += " — " + "; ".join(extras)
    return line


def _layer_table(report: Report) -> list[str]:
    rows = layer_rows(report.findings)
    lines = ["| layer | must change | hazard | info | files |", "|---|--:|--:|--:|--:|"]
    for r in rows:
        lines.append(f"| {md_cell(code(r.layer))} | {r.must_change} | {r.hazard} | {r.info} | {r.files} |")
    h = headline(report)
    lines.append(f"| **total** | **{h.must_change}** | **{h.hazards}** | **{h.info}** | **{h.files}** |")
    return lines


def _tables_table(report: Report) -> list[str]:
    lines = ["| table | rows | size | columns | growth (heap + indexes) | dependents |",
             "|---|--:|--:|---|--:|---|"]
    for c in table_costs(report):
        cols = ", ".join(f"{code(col.name)} {md_text(col.type)}→{md_text(col.to_type)}" for col in c.columns)
        deps = ", ".join(md_text(d) for d in c.dependents) or "—"
        name = f"**{code(c.name)}**" if c.is_target else code(c.name)
        lines.append(
            f"| {md_cell(name)} | {'~' if c.rows_estimated else ''}{human_count(c.rows)} | {human_bytes(c.bytes)} | "
            f"{md_cell(cols)} | +{human_bytes(c.growth_bytes)} + {human_bytes(c.index_growth_bytes)} | {md_cell(deps)} |"
        )
    return lines


class _Budget:
    """Blocks go in whole while they fit under the limit, keeping room for what must come last."""

    def __init__(self, limit: int, reserve: int) -> None:
        self.limit = limit
        self.reserve = reserve
        self.parts: list[str] = []
        self.used = 0

    def fits(self, text: str) -> bool:
        return self.used + len(text) + 1 + self.reserve <= self.limit

    def add(self, text: str) -> bool:
        if not self.fits(text):
            return False
        self.parts.append(text)
        self.used += len(text) + 1
        return True

    def force(self, text: str) -> None:
        self.parts.append(text)
        self.used += len(text) + 1


def _verification_notes(report: Report) -> list[str]:
    """One line on the patch checks: which projects the compiler checked and what it found beyond the
    rules, and which it could not check (a front end left unverified must say so)."""
    raw = report.extras.get("verification")
    projects = raw.get("projects") if isinstance(raw, dict) else None
    if not isinstance(projects, list) or not projects:
        return []
    ran = [p for p in projects if isinstance(p, dict) and p.get("ran")]
    notes = []
    if ran:
        found = sum(int(p.get("found") or 0) + int(p.get("fixed") or 0) for p in ran)
        names = ", ".join(clip(str(p.get("label", "")), 60) for p in ran[:3]) + (" …" if len(ran) > 3 else "")
        notes.append(f"patches type-checked ({names})" + (f", {found} more place{'s' if found != 1 else ''} found by the compiler" if found else ""))
    for p in projects:
        if isinstance(p, dict) and not p.get("ran"):
            notes.append(f"{clip(str(p.get('label', '')), 60)} not type-checked: {clip(str(p.get('reason', '')), 100)}")
    return notes[:4]


def _footer(report: Report, diff: bool = False) -> str:
    model = effort_model(report)
    bits = [f"impact {report.tool_version}"]
    if public_schema_source(report):  # a comment may be public: no host, port or user
        bits.append(f"schema: {md_text(public_schema_source(report))}")
    if model:
        per_table = (f"{model.get('hours_per_table', '?')} h per table"
                     f" + {model.get('hours_per_million_rows', '?')} h per million rows")
        spread = f"±{int(float(str(model.get('uncertainty', 0))) * 100)} %"
        if diff:  # the change is priced by its findings; the tables are the whole migration's
            bits.append(f"effort model: minutes per finding by layer, {spread}; the whole migration adds {per_table}")
        else:
            bits.append(f"effort model: minutes per finding by layer + {per_table}, {spread}")
    bits.append("full detail in report.html and findings.json")
    return "<sub>" + " · ".join(bits) + "</sub>"


def _review_line(view: DiffView, findings: int) -> str:
    groups = view.info.reviewers
    if not groups:
        return "Review: no CODEOWNERS entry covers the files with new findings" if findings else ""
    parts = []
    for r in groups[:REVIEW_GROUPS]:  # bounded: the line is added whatever the budget
        paths = ", ".join(code(clip(p, 120)) for p in r.paths[:REVIEW_PATHS])
        if len(r.paths) > REVIEW_PATHS:
            paths += f", +{len(r.paths) - REVIEW_PATHS} more"
        owners = " ".join(md_text(clip(o, 80)) for o in r.owners[:REVIEW_GROUPS])
        parts.append(f"{owners}{' …' if len(r.owners) > REVIEW_GROUPS else ''} ({paths})")
    more = f", and {len(groups) - REVIEW_GROUPS} more groups (findings.json)" if len(groups) > REVIEW_GROUPS else ""
    return "Review: " + ", ".join(parts) + more


def _render_diff(report: Report, view: DiffView, limit: int) -> str:
    """What the change adds first, all its findings while they fit; then the whole migration in one line."""
    h = headline(report)
    footer = _footer(report, diff=True)
    closing = [line for line in (md_text(view.standing), _review_line(view, len(report.findings)),
                                 md_text(view.counts)) if line]
    budget = _Budget(limit, reserve=len(footer) + sum(len(c) + 2 for c in closing) + 200)
    budget.force(f"**{md_text(h.title)}** — {md_text(view.verdict)}")
    budget.force("")
    omitted = 0
    if report.findings:
        full = not budget.add(f"#### New findings ({len(report.findings)})\n")
        for f in report.findings:
            full = full or not budget.add(_item(f))
            omitted += full
        budget.add("")
    for line in closing:
        budget.force(line)
        budget.force("")
    if omitted:
        budget.force(f"_… {omitted} findings not shown here (comment size limit): see report.html "
                     "or findings.json._\n")
    budget.force(footer)
    return "\n".join(budget.parts) + "\n"


def render(report: Report, limit: int = LIMIT) -> str:
    report = bounded(report)
    h = headline(report)
    if h.diff is not None:
        return _render_diff(report, h.diff, limit)
    footer = _footer(report)
    # room for the truncation note and the footer, whatever else gets in
    budget = _Budget(limit, reserve=len(footer) + 200)

    budget.force(f"**{md_text(h.title)}** — {md_text(h.sentence())}")
    budget.force("")
    notes = [
        f"storage growth ≈ heap +{human_bytes(h.growth_bytes)}, indexes +{human_bytes(h.index_growth_bytes)}",
        f"{report.summary.files} files scanned",
    ]
    if h.skipped:
        notes.append(f"{h.skipped} skipped (see report.html)")
    notes.extend(_verification_notes(report))
    budget.force(md_text(" · ".join(notes)))
    budget.force("")

    # the decision first (impact plan, and scan when it priced the strategies), the inventory after
    strategies = markdown_section(report.extras.get("plan"))
    if strategies:
        budget.add("\n".join(strategies))

    omitted = 0
    omitted_tables = not budget.add("\n".join(_layer_table(report)) + "\n")

    top = top_findings(report.findings, TOP)
    top_ids = {id(f) for f in top}
    full = False  # once one finding does not fit, the later ones are left out too (no gaps)
    if top:
        budget.add(f"#### Top {len(top)} of {len(report.findings)} findings\n")
        for f in top:
            full = full or not budget.add(_item(f))
            omitted += full
        budget.add("")

    rest = [f for f in report.findings if id(f) not in top_ids]
    rest.sort(key=lambda f: layer_rank(f.layer))  # stable: report order within a layer
    if rest:
        close = "\n</details>\n"
        budget.reserve += len(close)
        opened = not full and budget.add(f"<details><summary>{len(rest)} more findings, by layer</summary>\n")
        current = None
        for f in rest:
            if opened and not full and f.layer != current:
                full = not budget.add(f"\n**{md_text(f.layer)}**\n")
                current = f.layer
            full = full or not opened or not budget.add(_item(f))
            omitted += full
        budget.reserve -= len(close)
        if opened:
            budget.force(close)

    tables = _tables_table(report)
    block = (f"<details><summary>{h.tables} tables to rewrite "
             f"({human_count(h.rows)} rows)</summary>\n\n" + "\n".join(tables) + "\n\n</details>\n")
    if not budget.add(block):
        omitted_tables = True

    if omitted or omitted_tables:
        what = [f"{omitted} findings"] if omitted else []
        if omitted_tables:
            what.append("the table list")
        budget.force(f"_… {' and '.join(what)} not shown here (comment size limit): see report.html "
                     "or findings.json._\n")
    budget.force(footer)
    return "\n".join(budget.parts) + "\n"
