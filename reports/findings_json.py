"""`findings.json` (version 1): the machine-readable report, exactly as SPEC.md states it.

Fields are only ever added, never renamed. Dict keys come out in a fixed order, lists in report order
(findings) or sorted (tables, references), so two runs over the same tree give the same bytes.
"""

from __future__ import annotations

import json
from typing import Any

from analyzer.models import Finding, Report

from ._common import (
    bounded,
    diff_info,
    impacted_dependents,
    ordered_layers,
    patched_files,
    schema_source,
    table_costs,
)


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "fingerprint": f.fingerprint,
        "rule": f.rule,
        "code": f.code,
        "layer": f.layer,
        "language": f.language,
        "kind": f.kind,
        "severity": f.severity,
        "path": f.path,
        "line": f.span.line,
        "column": f.span.column,
        "end_line": f.span.end_line,
        "end_column": f.span.end_column,
        "symbol": f.symbol,
        "message": f.message,
        "evidence": f.evidence,
        "target": f.target,
        "review": f.review,
        "fix": f.fix,
        "edits": [
            {"start": e.start, "end": e.end, "text": e.text, "requires_import": e.requires_import, "safe": e.safe}
            for e in f.edits
        ],
    }


def _diff(report: Report) -> dict[str, Any]:
    """Diff / baseline mode: what `findings` was cut from, and the whole migration beside it."""
    info = diff_info(report)
    if info is None:
        return {}
    s = info.standing
    b = info.bounded
    return {"diff": {
        "base": info.base,
        "changed_files": list(info.changed_files),
        "hidden_by_baseline": info.hidden_by_baseline,
        "outside_diff": info.outside_diff,
        "patched_files": list(patched_files(report, info) or ()),
        "standing": {"findings": s.findings, "must_change": s.must_change, "hazard": s.hazard, "info": s.info,
                     "files": s.files, "effort_days": [s.effort_days[0], s.effort_days[1]]} if s is not None else None,
        "reviewers": [{"owners": list(r.owners), "paths": list(r.paths)} for r in info.reviewers],
        **({"bounded": {"scanned_files": b.scanned, "python_files": b.files}} if b is not None else {}),
    }}


def document(report: Report) -> dict[str, Any]:
    """The findings.json document as plain data (for tests and for callers that merge reports)."""
    report = bounded(report)
    target_types = {t.qualified: t for t in report.targets}
    costs = {c.name: c for c in table_costs(report)}
    tables = []
    for name in sorted(costs):
        cost = costs[name]
        tables.append({
            "name": name,
            "rows": cost.rows,
            "bytes": cost.bytes,
            "index_bytes": cost.index_bytes,
            "rows_estimated": cost.rows_estimated,
            "target": name in {t.table for t in report.targets},
            "columns": [
                {"name": c.name, "type": c.type, "to": c.to_type, "reason": c.reason, "confidence": c.confidence}
                for c in cost.columns
            ],
            "growth_bytes": cost.growth_bytes,
            "index_growth_bytes": cost.index_growth_bytes,
        })
    references = [
        {
            "from": r.source,
            "to": r.dest,
            "kind": r.kind,
            "confidence": r.confidence,
            "rows": r.rows,
            "evidence": r.evidence,
        }
        for r in sorted(report.closure.references, key=lambda r: (r.dest, r.source, r.kind))
    ]
    s = report.summary
    return {
        "version": report.version,
        "tool": {"name": "impact", "version": report.tool_version},
        "targets": [
            {"table": t.table, "column": t.column, "from": t.from_type, "to": t.to_type}
            for t in target_types.values()
        ],
        "to": report.to,
        "roots": list(report.roots),
        "schema": {
            "dialect": report.schema.dialect,
            "source": schema_source(report),
            "tables": tables,
            "references": references,
            "dependents": [
                {"kind": d.kind, "name": d.name, "table": d.table, "column": d.column}
                for d in sorted(impacted_dependents(report), key=lambda d: (d.table, d.kind, d.name))
            ],
        },
        "findings": [_finding(f) for f in report.findings],
        "outcomes": [
            {"path": o.path, "status": o.status, **({"reason": o.reason} if o.status != "ok" else {})}
            for o in sorted(report.outcomes, key=lambda o: o.path)
        ],
        "summary": {
            "files": s.files,
            "findings": s.findings,
            "by_layer": {k: s.by_layer[k] for k in ordered_layers(s.by_layer)},
            "by_kind": {k: s.by_kind[k] for k in ("must_change", "hazard", "info") if k in s.by_kind},
            "effort_days": [s.effort_days[0], s.effort_days[1]],
            "skipped": s.skipped,
        },
        **_diff(report),
    }


def render(report: Report) -> str:
    return json.dumps(document(report), indent=2, ensure_ascii=False) + "\n"
