"""The fixture app's database (fixtures/content_app): the closure of both targets, on SQLite, PostgreSQL
and MariaDB, holds every referencing column and nothing from users, tags or projects."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from analyzer import db
from analyzer.config import Config, load
from analyzer.models import SchemaSnapshot, Target

APP = Path(__file__).resolve().parents[1] / "fixtures" / "content_app"
TARGETS = (Target("content_items", "id"), Target("content_items_auto", "id"))
EXPECTED: dict[str, str | tuple[str, ...]] = {
    "content_items.id": "target",
    "content_items_auto.id": "target",
    "content_versions.content_item_id": "declared",
    "thumbnails.image_id": "declared",
    "publications.content_id": "declared",
    "auto_runs.content_auto_id": "declared",
    "content_metrics.content_item_id": "inferred",
    "content_item_tags.content_item_id": "declared",
    "generation_jobs.content_id": ("polymorphic", "virtual"),  # virtual with the app's config
    "comments.entity_id": ("polymorphic", "virtual"),
}


def _seeder() -> ModuleType:
    path = APP / "db" / "seed.py"
    if not path.exists():
        pytest.skip("fixtures/content_app/db/seed.py is not there yet")
    spec = importlib.util.spec_from_file_location("content_app_seed_for_db_tests", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _config() -> Config:
    return load(APP / "pyproject.toml") if (APP / "pyproject.toml").exists() else Config()


def _check(url: str) -> None:
    snap = db.reflect(url)
    for cfg in (_config(), Config()):
        _check_closure(snap, cfg)


def _check_closure(snap: SchemaSnapshot, cfg: Config) -> None:
    closure = db.compute_closure(snap, TARGETS, cfg)
    got = {c.qualified: c.reason for c in closure.columns}
    for col, kind in EXPECTED.items():
        assert col in got, f"{col} missing from {sorted(got)}"
        assert got[col].startswith(kind), (col, got[col])
    assert not {c for c in got if c.split(".")[0] in ("users", "tags", "projects")}, sorted(got)
    assert set(got) == set(EXPECTED), sorted(set(got) ^ set(EXPECTED))
    for ref in closure.references:
        assert ref.rows is not None and ref.rows > 0, ref
        assert ref.evidence
    # generation_jobs.content_id holds ids of either target: both are named
    dests = {r.dest for r in closure.references if r.source == "generation_jobs.content_id"}
    assert dests == {"content_items.id", "content_items_auto.id"}


def test_fixture_closure_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'content_app.sqlite'}"
    _seeder().build_database(url, rows=200)
    _check(url)


def test_fixture_closure_postgres(pg_url: str) -> None:
    _seeder().build_database(pg_url, rows=200)
    _check(pg_url)
    snap = db.reflect(pg_url)
    closure = db.compute_closure(snap, TARGETS, _config())
    deps = {(d.kind, d.name, d.table, d.column) for d in db.dependents(snap, closure)}
    assert ("view", "content_publications_v", "content_items", "id") in deps
    assert ("view", "content_publications_v", "publications", "content_id") in deps
    assert ("check constraint", "ck_content_metrics_sane", "content_metrics", "content_item_id") in deps
    assert ("sequence", "content_items_id_seq", "content_items", "id") in deps
    assert ("trigger", "trg_content_items_purge_jobs on content_items", "content_items", "id") in deps
    assert ("function", "purge_generation_jobs()", "generation_jobs", "content_id") in deps
    items = snap.table("content_items")
    assert items is not None and items.rows == 200 and items.rows_estimated and items.bytes


def test_fixture_closure_mysql(mysql_url: str) -> None:
    _seeder().build_database(mysql_url, rows=200)
    _check(mysql_url)


def test_fixture_schema_json_on_postgres(pg_url: str, tmp_path: Path) -> None:
    """The issue's acceptance check: `impact schema --format json` on the fixture's PostgreSQL database."""
    import json

    from helpers import run_impact

    _seeder().build_database(pg_url, rows=200)
    proc = run_impact("schema", "--db", pg_url, "--format", "json", "--config", str(APP / "pyproject.toml"),
                      cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    to_targets = {(r["from"], r["to"]): r for r in data["references"]
                  if r["to"] in ("content_items.id", "content_items_auto.id")}
    for col in EXPECTED:
        if not col.endswith(".id"):
            assert any(src == col for src, _ in to_targets), col
    for ref in to_targets.values():
        assert ref["rows"] > 0 and ref["bytes"] > 0 and ref["evidence"]
    inferred = {(r["from"], r["to"]) for r in data["references"] if r["kind"] == "inferred"}
    assert inferred == {("content_metrics.content_item_id", "content_items.id")}
    kinds = {(d["kind"], d["name"]) for d in data["dependents"]}
    assert {("view", "content_publications_v"), ("trigger", "trg_content_items_purge_jobs on content_items"),
            ("trigger", "trg_content_items_auto_purge_jobs on content_items_auto"),
            ("function", "purge_generation_jobs()"), ("check constraint", "ck_content_metrics_sane"),
            ("sequence", "content_items_id_seq"), ("sequence", "content_items_auto_id_seq")} <= kinds


def test_ledger_app_closure(tmp_path: Path) -> None:
    """The held-out fixture (documents.id): nothing in analyzer/db was written against it."""
    app = APP.parent / "ledger_app"
    path = app / "db" / "seed.py"
    if not path.exists():
        pytest.skip("fixtures/ledger_app is not there")
    spec = importlib.util.spec_from_file_location("ledger_app_seed_for_db_tests", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    module.build_database(url, rows=50)
    snap = db.reflect(url)
    cfg = load(app / "pyproject.toml") if (app / "pyproject.toml").exists() else Config()
    closure = db.compute_closure(snap, (Target("documents", "id"),), cfg)
    got = {c.qualified for c in closure.columns}
    assert {"attachments.document_id", "document_shares.document_id", "exports.document_id",
            "invoice_lines.source_doc", "audit_events.subject_id"} <= got
    assert not {c for c in got if c.split(".")[0] in ("accounts", "teams", "tags", "invoices")}
    assert "documents.account_id" not in got and "invoice_lines.invoice_id" not in got


def test_fixture_same_references_on_three_engines(tmp_path: Path, pg_url: str, mysql_url: str) -> None:
    seeder = _seeder()
    sqlite_url = f"sqlite:///{tmp_path / 'content_app.sqlite'}"
    seen = []
    for url in (sqlite_url, pg_url, mysql_url):
        seeder.build_database(url, rows=100)
        snap = db.reflect(url)
        for cfg in (_config(), Config()):
            graph = db.build_graph(snap, cfg)
            refs = {(d["ref"].source, d["ref"].dest, d["ref"].kind) for _, _, d in graph.edges(data=True)}
            closure = db.compute_closure(snap, TARGETS, cfg)
            seen.append((refs, {(r.source, r.dest, r.kind) for r in closure.references}))
    assert seen[0] == seen[2] == seen[4]  # with the app's config: sqlite, postgres, mysql
    assert seen[1] == seen[3] == seen[5]  # without it
