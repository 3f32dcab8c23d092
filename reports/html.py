"""`report.html`: one self-contained page (inline CSS, JS and SVG; no network) for the decision.

The reader sees the verdict first (what is rewritten, how big, how long), then the FK graph and the
per-table cost, then every finding grouped by layer in deployment order with its evidence and fix.
Templates load through `jinja2.PackageLoader`, so the page renders the same from the wheel.
Autoescape is on; data for the script goes through `|tojson` inside a `type="application/json"` block,
which escapes `<`, `>` and `&`, so a snippet holding `</script>` cannot end the block.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

import jinja2
from markupsafe import Markup, escape

from analyzer.models import LAYERS, Finding, Report

from . import graph
from ._common import (
    bounded,
    clip,
    edit_previews,
    edit_summary,
    effort_model,
    fmt_days,
    headline,
    human_bytes,
    human_count,
    layer_rank,
    layer_rows,
    patch_excerpts,
    plural,
    review_text,
    rule_catalogue,
    schema_source,
    snippets,
    table_costs,
)
from .strategies import strategy_table

_ENV: jinja2.Environment | None = None
_TICKS = re.compile(r"`([^`]+)`")


def ticks(text: str) -> Markup:
    """Escape free text, then show its `backtick spans` as <code> (messages quote code that way)."""
    return Markup(_TICKS.sub(lambda m: f"<code>{m.group(1)}</code>", str(escape(text))))


def environment() -> jinja2.Environment:
    global _ENV
    if _ENV is None:
        env = jinja2.Environment(
            loader=jinja2.PackageLoader("analyzer.reports", "templates"),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2"), default=True),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
        )
        env.filters["count"] = human_count
        env.filters["plural"] = plural
        env.filters["bytes"] = human_bytes
        env.filters["days"] = fmt_days
        env.filters["ticks"] = ticks
        _ENV = env
    return _ENV


def _group(findings: Iterable[Finding]) -> list[tuple[str, list[Finding]]]:
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.layer, []).append(f)
    return [(layer, groups[layer]) for layer in sorted(groups, key=lambda name: (layer_rank(name), name))]


def _effort(report: Report) -> dict[str, Any]:
    """The effort range with its assumptions, recomputed from the model so the reader can check it."""
    model = effort_model(report)
    out: dict[str, Any] = {"model": model, "rows": []}
    minutes = model.get("minutes_per_finding")
    if not isinstance(minutes, dict):
        return out
    counted = Counter(f.layer for f in report.findings if f.kind != "info")
    code_minutes = 0.0
    for layer in sorted(counted, key=layer_rank):
        per = float(minutes.get(layer, 10))
        code_minutes += per * counted[layer]
        out["rows"].append({"layer": layer, "count": counted[layer], "minutes": per,
                            "hours": round(per * counted[layer] / 60, 1)})
    costs = table_costs(report)
    rows = sum(c.rows or 0 for c in costs)
    per_table = float(str(model.get("hours_per_table", 0)))
    per_million = float(str(model.get("hours_per_million_rows", 0)))
    data_hours = per_table * len(costs) + per_million * rows / 1_000_000
    out.update(
        code_hours=round(code_minutes / 60, 1), data_hours=round(data_hours, 1), tables=len(costs),
        million_rows=round(rows / 1_000_000, 2), per_table=per_table, per_million=per_million,
        hours_per_day=model.get("hours_per_day", 6), uncertainty=model.get("uncertainty", 0),
    )
    return out


def _verification(report: Report) -> dict[str, Any]:
    """The patch checks: the console's lines, and per project the type checker's rounds, the errors before
    and after, and what it found rather than the rules (the findings with codes TS900/TS901/PY900)."""
    raw = report.extras.get("verification")
    raw = raw if isinstance(raw, dict) else {}
    projects = []
    for p in raw.get("projects", []) if isinstance(raw.get("projects"), list) else []:
        if not isinstance(p, dict):
            continue
        before = p.get("before")
        projects.append({
            "label": clip(str(p.get("label", "")), 120), "checker": clip(str(p.get("checker", "")), 40),
            "ran": bool(p.get("ran")), "reason": clip(str(p.get("reason", ""))),
            "rounds": _int(p.get("rounds")), "runs": _int(p.get("runs")), "seconds": _float(p.get("seconds")),
            "before": "—" if before is None else _int(before), "first": _int(p.get("first")),
            "fixed": _int(p.get("fixed")), "found": _int(p.get("found")), "expected": _int(p.get("expected")),
            "patched": _int(p.get("patched")), "withheld": _int(p.get("withheld")),
        })
    compiler = Counter(f.code for f in report.findings if f.rule.startswith(("ts.tsc.", "py.typecheck.")))
    return {"checked": [clip(str(x)) for x in raw.get("checked", [])],
            "skipped": [clip(str(x)) for x in raw.get("skipped", [])],
            "withheld": {k: clip(str(v)) for k, v in dict(raw.get("withheld", {})).items()},
            "projects": projects, "compiler": sorted(compiler.items()),
            "unlisted": _int(raw.get("found")) if raw.get("listed") is False else 0}


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _float(value: object) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def context(report: Report) -> dict[str, Any]:
    h = headline(report)
    lines = snippets(report)
    previews = edit_previews(report)
    catalogue = rule_catalogue(report)
    layers = layer_rows(report.findings)
    max_layer = max((r.total for r in layers), default=1) or 1
    kinds = Counter(f.kind for f in report.findings)
    data = {
        "findings": [
            {"id": f.fingerprint, "layer": f.layer, "kind": f.kind,
             "text": " ".join((f.path, f.symbol, f.code, f.rule, f.message, f.evidence, f.review,
                               lines.get(f.fingerprint, ""))).lower()}
            for f in report.findings
        ],
    }
    return {
        "report": report,
        "h": h,
        "layers": layers,
        "max_layer": max_layer,
        "groups": _group(report.findings),
        "kinds": [(k, kinds[k]) for k in ("must_change", "hazard", "info") if kinds.get(k)],
        "layer_names": [name for name in LAYERS if any(r.layer == name for r in layers)]
        + sorted({r.layer for r in layers} - set(LAYERS)),
        "costs": table_costs(report),
        "graph": graph.svg(report),
        "graph_kinds": sorted({r.kind for r in report.closure.references}),
        "snippets": lines,
        "previews": previews,
        "edit_summary": edit_summary,
        "rules": catalogue,
        "rules_used": [catalogue[c] for c in sorted({f.code for f in report.findings}) if c in catalogue],
        "patches": patch_excerpts(report),
        "verification": _verification(report),
        "problems": [o for o in report.outcomes if o.status != "ok"],
        "effort": _effort(report),
        "schema_source": schema_source(report),
        "data": data,
        "strategies": strategy_table(report.extras.get("plan")),
        "diff": h.diff,
        "review": review_text(h.diff.info) if h.diff is not None else "",
    }


def render(report: Report) -> str:
    return environment().get_template("report.html.j2").render(**context(bounded(report)))
