"""SARIF 2.1.0 for code-scanning UIs (GitHub, GitLab, VS Code SARIF viewer).

One `tool.driver.rules[]` entry per rule code used, results carry the fingerprint as
`partialFingerprints["impact/v1"]` so alerts survive code moving, and findings with a mechanical fix
carry it as a SARIF `fixes[]` entry (edits are str offsets, i.e. `charOffset`/`charLength` with
`columnKind: unicodeCodePoints`).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from analyzer.models import Finding, Report, RuleMeta

from ._common import bounded, rule_catalogue, snippets

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "note": "note"}


def artifact_uri(path: str) -> str:
    """A finding's '/'-separated relative path as an RFC 3986 relative reference: every byte outside
    the unreserved set and '/' percent-encoded (UTF-8), so spaces, '#', '%', '?', ':' and non-ASCII
    names survive a viewer's URI resolution against %SRCROOT%."""
    return quote(path, safe="/")


def _rule_entry(code: str, first: Finding, meta: RuleMeta | None) -> dict[str, Any]:
    short = meta.summary if meta and meta.summary else first.message
    full = meta.doc if meta and meta.doc else short
    return {
        "id": code,
        "name": meta.name if meta else first.rule,
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": full},
        "defaultConfiguration": {"level": LEVELS.get(meta.severity if meta else first.severity, "warning")},
        "properties": {
            "tags": [first.language, first.layer, meta.kind if meta else first.kind],
            "layer": meta.layer if meta else first.layer,
            "kind": meta.kind if meta else first.kind,
            "fixable": meta.fixable if meta else first.fix,
        },
    }


def _location(f: Finding, snippet: str | None) -> dict[str, Any]:
    region: dict[str, Any] = {
        "startLine": f.span.line,
        "startColumn": f.span.column,
        "endLine": f.span.end_line,
        "endColumn": f.span.end_column,
    }
    if snippet:
        region["snippet"] = {"text": snippet}
    loc: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": artifact_uri(f.path), "uriBaseId": "%SRCROOT%"},
            "region": region,
        },
    }
    if f.symbol:
        loc["logicalLocations"] = [{"fullyQualifiedName": f.symbol}]
    return loc


def _fix(f: Finding) -> dict[str, Any]:
    return {
        "description": {"text": f"impact {f.code}: " + " · ".join(dict.fromkeys(e.text for e in f.edits))},
        "artifactChanges": [{
            "artifactLocation": {"uri": artifact_uri(f.path), "uriBaseId": "%SRCROOT%"},
            "replacements": [
                {"deletedRegion": {"charOffset": e.start, "charLength": e.end - e.start},
                 "insertedContent": {"text": e.text}}
                for e in sorted(f.edits, key=lambda e: e.start)
            ],
        }],
    }


def document(report: Report) -> dict[str, Any]:
    report = bounded(report)
    catalogue = rule_catalogue(report)
    lines = snippets(report)
    first_by_code: dict[str, Finding] = {}
    for f in report.findings:
        first_by_code.setdefault(f.code, f)
    codes = sorted(first_by_code)
    index = {code: i for i, code in enumerate(codes)}
    results = []
    for f in report.findings:
        text = f.message
        if f.evidence:
            text += f" (evidence: {f.evidence})"
        result: dict[str, Any] = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": LEVELS.get(f.severity, "warning"),
            "message": {"text": text},
            "locations": [_location(f, lines.get(f.fingerprint))],
            "partialFingerprints": {"impact/v1": f.fingerprint},
            "properties": {
                "rule": f.rule,
                "layer": f.layer,
                "impactKind": f.kind,
                "target": f.target,
                "evidence": f.evidence,
                **({"review": f.review} if f.review else {}),
            },
        }
        if f.edits:
            result["fixes"] = [_fix(f)]
        results.append(result)
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "impact",
                "version": report.tool_version,
                "rules": [_rule_entry(c, first_by_code[c], catalogue.get(c)) for c in codes],
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {
                "targets": [f"{t.qualified} {t.from_type} -> {t.to_type}" for t in report.targets],
                "roots": list(report.roots),
            },
        }],
    }


def render(report: Report) -> str:
    return json.dumps(document(report), indent=2, ensure_ascii=False) + "\n"
