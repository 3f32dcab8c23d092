"""findings.sarif against the official SARIF 2.1.0 schema (vendored in tests/data, see its README)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from analyzer.reports import RENDERERS
from report_factory import SOURCES, build_report

SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


def _doc(**changes: object) -> dict[str, Any]:
    return json.loads(RENDERERS["sarif"](build_report(**changes)))


def _validate(doc: dict[str, Any]) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors][:10]


def test_validates_against_the_official_schema() -> None:
    _validate(_doc())


def test_empty_report_validates() -> None:
    _validate(_doc(findings=(), extras={}))


def test_one_rule_per_code_with_catalogue_text_or_message_fallback() -> None:
    doc = _doc()
    report = build_report()
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted({f.code for f in report.findings})
    by_id = {r["id"]: r for r in rules}
    assert by_id["PY020"]["name"] == "py.pydantic.field"
    assert by_id["PY020"]["fullDescription"]["text"].startswith("Anti-pattern:")
    # PY099 is not in the catalogue: the finding's message stands in
    assert by_id["PY099"]["shortDescription"]["text"] == "log format `%d` used for a content id"
    assert by_id["PY099"]["name"] == "py.other.log_format"


def test_results_carry_level_location_and_fingerprint() -> None:
    doc = _doc()
    report = build_report()
    run = doc["runs"][0]
    results = run["results"]
    assert len(results) == len(report.findings)
    rules = run["tool"]["driver"]["rules"]
    for res, f in zip(results, report.findings, strict=True):
        assert res["ruleId"] == f.code
        assert rules[res["ruleIndex"]]["id"] == f.code
        assert res["level"] == {"error": "error", "warning": "warning", "note": "note"}[f.severity]
        assert res["message"]["text"].startswith(f.message)
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"] == {"uri": f.path, "uriBaseId": "%SRCROOT%"}
        assert loc["region"]["startLine"] == f.span.line and loc["region"]["startColumn"] == f.span.column
        assert loc["region"]["endLine"] == f.span.end_line and loc["region"]["endColumn"] == f.span.end_column
        assert res["partialFingerprints"] == {"impact/v1": f.fingerprint}
    levels = {r["level"] for r in results}
    assert levels == {"error", "warning", "note"}


def test_fixes_are_sarif_replacements_that_reproduce_the_edit() -> None:
    doc = _doc()
    report = build_report()
    res = next(r for r in doc["runs"][0]["results"] if r["ruleId"] == "PY001")
    f = next(f for f in report.findings if f.code == "PY001")
    change = res["fixes"][0]["artifactChanges"][0]
    text = SOURCES[f.path]
    out, pos = [], 0
    for rep in change["replacements"]:
        start = rep["deletedRegion"]["charOffset"]
        out.append(text[pos:start] + rep["insertedContent"]["text"])
        pos = start + rep["deletedRegion"]["charLength"]
    fixed = "".join(out) + text[pos:]
    assert "id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)" in fixed
    assert all("fixes" not in r for r in doc["runs"][0]["results"] if r["ruleId"] == "PY031")
