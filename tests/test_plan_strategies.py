"""Strategies priced side by side (issue 11): each strategy counts the findings its rules hold for, and
`keep` states when each int4 key runs out from the live sequence and the creation timestamps."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.config import load
from analyzer.demo import DEMO_TARGETS, build_demo_database, fixture_app, load_seeder
from analyzer.models import Report, RuleMeta
from analyzer.pipeline import ScanOptions, run_scan
from analyzer.plan.strategies import (
    INT4_MAX,
    JS_SAFE_MAX,
    KeyFacts,
    build_plan,
    horizon,
    js_reachable,
    measure_keys,
    strategy_findings,
)


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    app = fixture_app()
    url = build_demo_database(tmp_path_factory.mktemp("plan-db"), rows=300)
    options = ScanOptions(roots=(str(app / "backend"), str(app / "frontend")), targets=DEMO_TARGETS, to="uuid",
                          db_url=url, config=load(app / "pyproject.toml"))
    return run_scan(options)


def _rules(report: Report) -> dict[str, RuleMeta]:
    return {m.code: m for m in report.extras["rules"]}  # type: ignore[attr-defined]


def test_bigint_counts_no_uuid_only_finding(demo_report: Report) -> None:
    facts = measure_keys(None, demo_report.schema, demo_report.closure)
    uuid = strategy_findings(demo_report.findings, "uuid", _rules(demo_report), facts, demo_report.closure)
    bigint = strategy_findings(demo_report.findings, "bigint", _rules(demo_report), facts, demo_report.closure)
    assert len(bigint) < len(uuid)
    # the fixture's ids are far below 2**53: no JavaScript-number finding holds for bigint
    assert not [f for f in bigint if f.language == "typescript"]
    # Python ints have no width: int annotations, casts, ordering and arithmetic hold for UUID only
    assert not {f.code for f in bigint} & {"PY020", "PY030", "PY050", "PY060", "PY062", "PY063", "PY081"}
    # what does change for bigint: the int4 column types in models, int4 binds and casts in raw SQL; the old
    # Alembic revisions are history (info), which no strategy prices
    assert {"PY001", "PY071"} <= {f.code for f in bigint}
    assert "PY010" not in {f.code for f in bigint} and "PY010" not in {f.code for f in uuid}
    assert {f.code for f in uuid} >= {"PY020", "PY062", "TS001", "TS100"}


def test_javascript_findings_hold_for_bigint_once_ids_can_pass_2_53(demo_report: Report) -> None:
    near = {"t.id": KeyFacts("t.id", "BIGINT", 10, JS_SAFE_MAX - 1000, ids_per_day=5000.0)}
    far = {"t.id": KeyFacts("t.id", "BIGINT", 10, 1_000_000, ids_per_day=5000.0)}
    assert js_reachable(near) and not js_reachable(far)
    with_js = strategy_findings(demo_report.findings, "bigint", _rules(demo_report), near, demo_report.closure)
    assert [f for f in with_js if f.language == "typescript"]


def test_shared_sequence_counts_the_target_models_only(demo_report: Report) -> None:
    found = strategy_findings(demo_report.findings, "shared-sequence", _rules(demo_report), {}, demo_report.closure)
    assert sorted(f.symbol for f in found) == ["ContentItem.id", "ContentItemAuto.id"]


def test_keep_horizon_from_the_sequence_and_creation_times(pg_url: str) -> None:
    load_seeder().build_database(pg_url, rows=200)
    from analyzer import db

    snapshot = db.reflect(pg_url)
    cfg = load(fixture_app() / "pyproject.toml")
    from analyzer.models import Target

    closure = db.compute_closure(snapshot, tuple(Target(*t.split(".")) for t in DEMO_TARGETS), cfg)
    engine = db.open_engine(pg_url)
    try:
        facts = measure_keys(engine, snapshot, closure)
        import sqlalchemy as sa

        with engine.connect() as conn:
            truth = conn.execute(sa.text("SELECT max(id), count(*) FROM content_items")).one()
    finally:
        engine.dispose()
    items = facts["content_items.id"]
    assert (items.max_id, items.rows) == (truth[0], truth[1])
    assert items.sequence and items.last_value is not None and items.last_value >= items.max_id
    assert items.ids_per_day and items.ids_per_day > 0, items.growth_evidence
    rows = horizon(facts)
    assert {r["target"] for r in rows} == {"content_items.id", "content_items_auto.id"}
    for r in rows:
        assert r["days_left"] == round((INT4_MAX - r["high_water"]) / r["ids_per_day"])
    shared = horizon(facts, shared=True)
    assert len(shared) == 1 and shared[0]["days_left"] < min(r["days_left"] for r in rows)


def test_plan_without_migrations_prices_keep_at_zero(demo_report: Report, tmp_path: Path) -> None:
    plan = build_plan(demo_report, ("uuid", "bigint", "keep"), load(fixture_app() / "pyproject.toml"),
                      migrations={})
    by = {s.name: s for s in plan.strategies}
    assert by["keep"].effort_days == (0.0, 0.0) and by["keep"].code["must_change"] == 0
    assert by["uuid"].code["must_change"] > by["bigint"].code["must_change"] > 0
    assert by["uuid"].effort_days[1] > by["bigint"].effort_days[1]
    assert by["uuid"].data["bytes"] > by["bigint"].data["bytes"] > 0


def test_the_recommendation_is_a_strategy_with_a_migration(demo_report: Report) -> None:
    """Where the cheapest strategy has no safe migration on this engine (a shared sequence on MariaDB),
    the recommendation is the cheapest one that has, and names the cheaper one with why it is not."""
    from analyzer.plan.steps import Migration, MigrationRefused, Step

    bigint = Migration("bigint", "mysql", DEMO_TARGETS,
                       (Step("switch", "widen content_items.id", "ALTER TABLE t MODIFY id BIGINT;",
                             lock="ACCESS EXCLUSIVE", table="content_items", rows=300),))
    plan = build_plan(demo_report, ("uuid", "bigint", "shared-sequence", "keep"),
                      load(fixture_app() / "pyproject.toml"),
                      collisions=None, migrations={"bigint": bigint, "uuid": MigrationRefused("no uuid here"),
                                                   "shared-sequence": MigrationRefused("no sequences here")})
    by = {s.name: s for s in plan.strategies}
    assert by["shared-sequence"].effort_days[1] < by["bigint"].effort_days[1]  # cheaper, but refused
    assert plan.recommendation.startswith("cheapest: bigint")
    assert "shared-sequence would cost less" in plan.recommendation
    assert by["bigint"].migration == "migrations/bigint.sql" and by["uuid"].refused == "no uuid here"
