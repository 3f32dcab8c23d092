"""findings.json: SPEC field names, report order, and the shipped JSON Schema."""

from __future__ import annotations

import json
from dataclasses import replace
from importlib import resources
from typing import Any

import jsonschema
from analyzer.reports import RENDERERS
from report_factory import build_report


def _schema() -> dict[str, Any]:
    return json.loads((resources.files("analyzer.reports") / "findings.schema.json").read_text(encoding="utf-8"))


def _doc() -> dict[str, Any]:
    return json.loads(RENDERERS["json"](build_report()))


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = _schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_output_validates_against_the_shipped_schema() -> None:
    validator = jsonschema.Draft202012Validator(_schema(), format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(_doc()), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_empty_report_validates_too() -> None:
    doc = json.loads(RENDERERS["json"](build_report(findings=(), outcomes=(), extras={})))
    jsonschema.Draft202012Validator(_schema()).validate(doc)


def test_schema_rejects_a_renamed_field() -> None:
    doc = _doc()
    doc["findings"][0]["lineno"] = doc["findings"][0].pop("line")
    assert not jsonschema.Draft202012Validator(_schema()).is_valid(doc)


def test_spec_fields_exactly() -> None:
    doc = _doc()
    assert doc["version"] == 1
    assert doc["tool"] == {"name": "impact", "version": "0.1.0"}
    assert doc["targets"] == [
        {"table": "content_items", "column": "id", "from": "INTEGER", "to": "UUID"},
        {"table": "content_items_auto", "column": "id", "from": "INTEGER", "to": "UUID"},
    ]
    assert doc["roots"] == ["backend", "frontend"]
    table = next(t for t in doc["schema"]["tables"] if t["name"] == "generation_jobs")
    assert {"name", "rows", "bytes", "index_bytes"} <= set(table)
    assert table["rows"] == 1_200_000
    ref = next(r for r in doc["schema"]["references"] if r["from"] == "generation_jobs.content_id")
    assert ref == {"from": "generation_jobs.content_id", "to": "content_items.id", "kind": "declared",
                   "confidence": 1.0, "rows": 1_200_000, "evidence": "FOREIGN KEY generation_jobs_content_id_fkey"}
    spec_keys = {"fingerprint", "rule", "layer", "language", "kind", "severity", "path", "line", "column",
                 "end_line", "end_column", "symbol", "message", "evidence", "fix"}
    for f in doc["findings"]:
        assert spec_keys <= set(f)
        assert isinstance(f["fix"], bool)
    assert {"files", "findings", "by_layer", "effort_days"} <= set(doc["summary"])


def test_findings_keep_report_order_and_values() -> None:
    report = build_report()
    doc = _doc()
    assert [f["fingerprint"] for f in doc["findings"]] == [f.fingerprint for f in report.findings]
    first = doc["findings"][0]
    f0 = report.findings[0]
    assert (first["rule"], first["code"], first["path"], first["line"], first["column"], first["end_line"],
            first["end_column"], first["symbol"]) == (
        "py.sqlalchemy.pk_column", "PY001", "backend/app/models.py", 7, 5, 7, 63, "ContentItem.id")
    assert first["fix"] is True and first["edits"][0]["text"] == "uuid.UUID"
    assert first["edits"][0]["start"] == f0.edits[0].start
    hazard = next(f for f in doc["findings"] if f["code"] == "PY031")
    assert hazard["fix"] is False and hazard["review"].startswith("Paginate on (created_at, id)")
    assert doc["summary"]["findings"] == len(doc["findings"]) == 19
    assert doc["summary"]["effort_days"] == [1.5, 4.4]
    assert list(doc["summary"]["by_layer"])[:3] == ["db-model", "migration", "raw-sql"]


def test_tables_are_the_closure_with_projected_growth() -> None:
    doc = _doc()
    names = [t["name"] for t in doc["schema"]["tables"]]
    assert names == sorted(names)
    assert set(names) == {"content_items", "content_items_auto", "generation_jobs", "images", "content_tags",
                          "comments"}
    jobs = next(t for t in doc["schema"]["tables"] if t["name"] == "generation_jobs")
    assert jobs["growth_bytes"] == 1_200_000 * 12  # int4 -> uuid: +12 B per row
    assert jobs["index_growth_bytes"] == 1_200_000 * 12 * 2  # two indexes hold content_id
    bigint_targets = tuple(replace(t, to_type="BIGINT") for t in build_report().targets)
    wide = json.loads(RENDERERS["json"](build_report(targets=bigint_targets, to="bigint")))
    jobs = next(t for t in wide["schema"]["tables"] if t["name"] == "generation_jobs")
    assert jobs["growth_bytes"] == 1_200_000 * 4  # int4 -> bigint: +4 B per row
    kinds = {r["kind"] for r in doc["schema"]["references"]}
    assert kinds == {"declared", "inferred", "polymorphic"}


def test_skipped_file_is_listed_with_its_reason() -> None:
    outcomes = _doc()["outcomes"]
    skipped = [o for o in outcomes if o["status"] == "skipped"]
    assert skipped == [{"path": "backend/app/legacy/import_v1.py", "status": "skipped",
                        "reason": "SyntaxError: invalid syntax (line 3)"}]
    assert all("reason" not in o for o in outcomes if o["status"] == "ok")


def test_output_is_indented_and_ends_with_newline() -> None:
    out = RENDERERS["json"](build_report())
    assert out.startswith('{\n  "version": 1,') and out.endswith("}\n")
