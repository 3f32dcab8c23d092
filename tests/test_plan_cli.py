"""`impact plan` end to end, as a user runs it, on a seeded PostgreSQL database (read-only) with the
fixture app as the code: five strategies priced, one migration per strategy, plan.json valid against its
schema, shared-sequence collisions equal to a hand-written query, and the database left as it was."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import sqlalchemy as sa
from helpers import REPO, run_impact

from analyzer.demo import fixture_app, load_seeder

HAND_COLLISIONS = "SELECT count(*) FROM content_items a JOIN content_items_auto b ON a.id = b.id"


def _fingerprint(url: str) -> list[tuple]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY 1, 2")).all()
        counts = conn.execute(sa.text(
            "SELECT (SELECT count(*) FROM content_items), (SELECT count(*) FROM generation_jobs), "
            "(SELECT max(id) FROM content_items_auto)")).all()
    engine.dispose()
    return [*rows, *counts]


def test_plan_all_strategies_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    load_seeder().build_database(pg_url, rows=200)
    before = _fingerprint(pg_url)
    app = tmp_path / "app"
    shutil.copytree(fixture_app(), app, ignore=shutil.ignore_patterns("node_modules", "__pycache__"))
    out = tmp_path / "out"
    proc = run_impact("plan", "backend", "frontend", "--db", pg_url, "--target", "content_items.id",
                      "--target", "content_items_auto.id", "--all", "--no-typecheck", "--out", str(out), cwd=app)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr
    for name in ("uuid", "uuid7", "bigint", "shared-sequence", "keep"):
        assert name in proc.stdout
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    schema = json.loads((REPO / "reports" / "plan.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(plan, schema)
    by = {s["name"]: s for s in plan["strategies"]}
    assert list(by) == ["uuid", "uuid7", "bigint", "shared-sequence", "keep"]
    for name in ("uuid", "uuid7", "bigint", "shared-sequence"):
        assert by[name]["migration"] == f"migrations/{name}.sql", by[name].get("refused")
        assert (out / by[name]["migration"]).is_file()
    assert by["keep"]["migration"] is None and by["keep"]["effort_days"] == [0, 0]
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        colliding = conn.execute(sa.text(HAND_COLLISIONS)).scalar()
    engine.dispose()
    assert colliding and by["shared-sequence"]["collisions"]["ids"] == colliding
    assert by["uuid"]["code"]["must_change"] > by["bigint"]["code"]["must_change"] > 0
    assert by["uuid"]["effort_days"][1] > by["shared-sequence"]["effort_days"][1]
    assert by["keep"]["horizon"] and all(r["days_left"] for r in by["keep"]["horizon"])
    assert plan["recommendation"]
    # the reports carry the comparison too, and the live database is untouched
    assert "Strategies" in (out / "report.md").read_text(encoding="utf-8")
    assert _fingerprint(pg_url) == before


def test_plan_refuses_unknown_strategy_and_alembic_with_several(tmp_path: Path) -> None:
    proc = run_impact("plan", str(tmp_path), "--target", "x.id", "--strategy", "nanoid", cwd=tmp_path)
    assert proc.returncode == 2 and "--strategy takes uuid, uuid7, bigint, shared-sequence, keep" in proc.stderr
    proc = run_impact("plan", str(tmp_path), "--target", "x.id", "--alembic", cwd=tmp_path)
    assert proc.returncode == 2 and "exactly one --strategy" in proc.stderr
