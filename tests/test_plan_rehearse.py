"""Rehearsal on a real scratch PostgreSQL database: the fixture database is copied (all rows or a sample
that keeps its links), a migration runs step by step, and the verification tells a migration that keeps
every row, link, constraint, index and working dependent from one that loses any of them.

The migrations here are built in the test from the closure (a plain in-place bigint change, and broken
variants of it), so the rehearsal is tested on its own; the strategies' real migrations are rehearsed by
the tests of their modules and by benchmarks/bench_plan.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from analyzer import db
from analyzer.config import load
from analyzer.demo import fixture_app, load_seeder
from analyzer.models import Closure, SchemaSnapshot, Target
from analyzer.plan.rehearse import Rehearsal, ScratchRefused, rehearse, same_database, split_statements
from analyzer.plan.steps import Migration, Step

TARGETS = (Target("content_items", "id", to_type="BIGINT"), Target("content_items_auto", "id", to_type="BIGINT"))


@pytest.fixture()
def source(pg_url: str) -> tuple[str, SchemaSnapshot, Closure]:
    load_seeder().build_database(pg_url, rows=200)
    snapshot = db.reflect(pg_url)
    closure = db.compute_closure(snapshot, TARGETS, load(fixture_app() / "pyproject.toml"))
    return pg_url, snapshot, closure


def _bigint(schema: SchemaSnapshot, closure: Closure) -> Migration:
    """In-place widening, derived from the closure: views over impacted columns dropped and re-created."""
    views = {d.name: d.definition for d in schema.dependents
             if d.kind == "view" and closure.is_impacted(d.table, d.column or "")}
    steps = [Step("expand", f"drop view {v}", f'DROP VIEW "{v}"', lock="ACCESS EXCLUSIVE") for v in views]
    for table in sorted(closure.tables):
        alters = ", ".join(f'ALTER COLUMN "{c.column}" TYPE bigint' for c in closure.columns_of(table))
        steps.append(Step("switch", f"widen {table}", f'ALTER TABLE "{table}" {alters}', lock="ACCESS EXCLUSIVE",
                          table=table))
    steps += [Step("switch", f"re-create view {v}", f'CREATE VIEW "{v}" AS {body}', lock="ACCESS EXCLUSIVE")
              for v, body in views.items()]
    return Migration("bigint", "postgresql", tuple(t.qualified for t in closure.targets), tuple(steps))


def _inferred(closure: Closure) -> tuple[str, str]:
    ref = next(r for r in closure.references if r.kind == "inferred")
    return ref.from_table, ref.from_column


def test_bigint_migration_rehearsed_keeps_everything(source: tuple[str, SchemaSnapshot, Closure],
                                                     scratch_url: str) -> None:
    url, schema, closure = source
    migration = _bigint(schema, closure)
    result = rehearse(url, scratch_url, schema, closure, {"bigint": migration})["bigint"]
    assert isinstance(result, Rehearsal)
    assert result.ok, result.failures
    assert [name for name, _ in result.step_seconds] == [s.name for s in migration.steps]
    assert all(secs >= 0 for _, secs in result.step_seconds)
    assert result.sample is None and result.rows["content_items"] == 200
    assert all(abs(v - 1.0) < 1e-9 for v in result.scale.values())
    text = "\n".join(result.checks)
    assert "rows: content_items 200 = 200" in text
    # every reference of the closure, the polymorphic ones per kind, and the third kind of comments
    for ref in closure.references:
        assert any(line.startswith(f"link: {ref.source} -> {ref.dest}") for line in result.checks), ref
    assert "link: generation_jobs.content_id -> content_items_auto.id (virtual) where content_kind in (auto)" in text
    assert "comments.entity_id rows of other kinds" in text
    assert "constraints: " in text and "indexes: " in text and "view: " in text
    assert "trigger: trg_content_items_purge_jobs on content_items fired by a DELETE of one row" in text
    assert "insert: new keys" in text
    # the copy is in the scratch database and the migration ran there; the source is untouched
    types = _types(scratch_url)
    assert types["content_items.id"] == "bigint" and types["thumbnails.image_id"] == "bigint"
    assert _types(url)["content_items.id"] == "integer"


def _types(url: str) -> dict[str, str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
                                    "WHERE table_schema = 'public'")).all()
    engine.dispose()
    return {r[0]: r[1] for r in rows}


def test_lossy_migration_fails_the_checks(source: tuple[str, SchemaSnapshot, Closure], scratch_url: str) -> None:
    """Links moved to the wrong parent, a lost index, a lost FK action and a broken trigger are all caught."""
    url, schema, closure = source
    good = _bigint(schema, closure)
    table, column = _inferred(closure)
    fk = next(r for r in closure.references if r.kind == "declared" and "CASCADE" in r.evidence)
    fk_name = fk.evidence.split()[2]
    index = next(i.name for t in schema.tables if t.name == fk.from_table for i in t.indexes)
    bad_steps = (
        Step("backfill", "shift some ids", f'UPDATE "{table}" SET "{column}" = "{column}" + 1 '
             f'WHERE "{column}" % 7 = 0 AND "{column}" < 150'),
        Step("contract", "drop an index", f'DROP INDEX "{index}"'),
        Step("contract", "lose ON DELETE CASCADE",
             f'ALTER TABLE "{fk.from_table}" DROP CONSTRAINT "{fk_name}", ADD CONSTRAINT "{fk_name}" '
             f'FOREIGN KEY ("{fk.from_column}") REFERENCES "{fk.to_table}" ("{fk.to_column}")'),
        Step("contract", "break the trigger function",
             "CREATE OR REPLACE FUNCTION purge_generation_jobs() RETURNS trigger LANGUAGE plpgsql AS "
             "$$ BEGIN PERFORM 1 / 0; RETURN OLD; END $$"),
    )
    lossy = replace(good, steps=good.steps + bad_steps)
    result = rehearse(url, scratch_url, schema, closure, {"bigint": lossy})["bigint"]
    assert not result.ok
    failures = "\n".join(result.failures)
    assert f"link: {table}.{column} -> " in failures
    assert f"lost {index}" in failures or f"{index} " in failures
    assert fk_name in failures and "CASCADE" in failures
    assert "trigger: trg_content_items_purge_jobs on content_items fails: division by zero" in failures
    # what was not broken still passes
    assert any(line.startswith("link: thumbnails.image_id") for line in result.checks)
    assert not any(line.startswith("link: thumbnails.image_id") for line in result.failures)


def test_failed_step_stops_and_leaves_the_copy_as_before(source: tuple[str, SchemaSnapshot, Closure],
                                                         scratch_url: str) -> None:
    url, schema, closure = source
    good = _bigint(schema, closure)
    widen = next(i for i, s in enumerate(good.steps) if s.table == "thumbnails")
    broken = Step("switch", "widen and fail", good.steps[widen].sql + "; SELECT no_such_column FROM thumbnails",
                  table="thumbnails")
    steps = (*good.steps[:widen], broken, *good.steps[widen + 1:])
    result = rehearse(url, scratch_url, schema, closure, {"bigint": replace(good, steps=steps)})["bigint"]
    assert not result.ok
    assert len(result.step_seconds) == widen + 1  # stopped at the failing step
    assert any("widen and fail failed" in f and "no_such_column" in f for f in result.failures)
    assert f"rollback: step {widen + 1} left the copy as before it (schema and row counts)" in result.checks
    assert _types(scratch_url)["thumbnails.image_id"] == "integer"


def test_sample_keeps_links_and_scales(source: tuple[str, SchemaSnapshot, Closure], scratch_url: str) -> None:
    url, schema, closure = source
    result = rehearse(url, scratch_url, schema, closure, {"bigint": _bigint(schema, closure)}, sample=20)["bigint"]
    assert result.ok, result.failures
    assert result.sample == 20
    assert result.rows["content_items"] >= 20 and result.rows["content_items"] < 200
    assert result.scale["content_items"] == pytest.approx(200 / result.rows["content_items"])
    # every sampled referencing row still finds its parent (declared FKs validated on the copy, the rest here)
    engine = sa.create_engine(scratch_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        for ref in closure.references:
            if ref.kind == "declared":
                continue
            n = conn.execute(sa.text(f'SELECT count(*) FROM "{ref.from_table}"')).scalar()
            assert n and n < 200 * 2, (ref.source, n)
        dangling = conn.execute(sa.text(
            "SELECT count(*) FROM generation_jobs g WHERE NOT EXISTS (SELECT 1 FROM content_items c WHERE c.id = "
            "g.content_id AND g.content_kind = 'manual') AND NOT EXISTS (SELECT 1 FROM content_items_auto a "
            "WHERE a.id = g.content_id AND g.content_kind = 'auto')")).scalar()
    engine.dispose()
    assert dangling == 0
    scaled = result.scaled_seconds(_bigint(schema, closure))
    assert len(scaled) == len(result.step_seconds)


def _shared_sequence(schema: SchemaSnapshot, closure: Closure, above_max: bool) -> Migration:
    """One sequence for all targets; `above_max=False` forgets to start it above the existing ids."""
    seq = "impact_shared_id_seq"
    steps = [Step("sequence", "create the shared sequence", f'CREATE SEQUENCE "{seq}" AS bigint')]
    if above_max:
        greatest = ", ".join(f'(SELECT coalesce(max("{t.column}"), 0) FROM "{t.table}")' for t in closure.targets)
        steps.append(Step("sequence", "start above every id", f"SELECT setval('\"{seq}\"', greatest({greatest}))"))
    for t in closure.targets:
        col = (schema.table(t.table) or schema.tables[0]).column(t.column)
        drop = f'ALTER TABLE "{t.table}" ALTER COLUMN "{t.column}" DROP IDENTITY; ' if col and col.identity \
            and not (col.default or "").startswith("nextval") else ""
        steps.append(Step("switch", f"default of {t.qualified}", drop +
                          f'ALTER TABLE "{t.table}" ALTER COLUMN "{t.column}" SET DEFAULT nextval(\'"{seq}"\')',
                          table=t.table))
    return Migration("shared-sequence", "postgresql", tuple(t.qualified for t in closure.targets), tuple(steps))


def test_shared_sequence_inserts_never_collide(source: tuple[str, SchemaSnapshot, Closure], scratch_url: str) -> None:
    url, schema, closure = source
    results = rehearse(url, scratch_url, schema, closure, {
        "shared-sequence": _shared_sequence(schema, closure, above_max=True),
        "careless": replace(_shared_sequence(schema, closure, above_max=False), strategy="shared-sequence"),
    })
    good, careless = results["shared-sequence"], results["careless"]
    assert good.ok, good.failures
    assert any(line.startswith("insert: new keys") and "distinct across targets, none taken" in line
               for line in good.checks)
    assert not careless.ok
    # the first new id is an existing one: the insert itself fails on the primary key
    assert any(line.startswith("insert: a row without an explicit key fails: duplicate key") for line in careless.failures), \
        careless.failures


def test_scratch_must_not_be_the_source(pg_url: str) -> None:
    assert same_database("postgresql://u@localhost/app", "postgresql+psycopg://u:pw@127.0.0.1:5432/app")
    assert same_database("postgresql://u@/app?host=/var/run/postgresql", "postgresql://u@localhost:5432/app")
    assert same_database("postgresql://app@db.internal", "postgresql://app@db.internal:5432/app")  # default dbname
    assert not same_database("postgresql://u@localhost/app", "postgresql://u@localhost/app_scratch")
    assert not same_database("postgresql://u@localhost:5433/app", "postgresql://u@localhost/app")
    schema = SchemaSnapshot("postgresql", ())
    closure = Closure(TARGETS, (), ())
    alias = make_url(pg_url).set(host="localhost").render_as_string(hide_password=False)
    with pytest.raises(ScratchRefused, match="same database as --db"):
        rehearse(pg_url, alias, schema, closure, {})
    with pytest.raises(ValueError, match="PostgreSQL only"):
        rehearse(pg_url, "sqlite:///tmp/x.sqlite", schema, closure, {})


def test_scratch_with_other_data_is_refused(source: tuple[str, SchemaSnapshot, Closure], scratch_url: str,
                                            run_sql: Callable[[str, str], None]) -> None:
    url, schema, closure = source
    run_sql(scratch_url, "CREATE TABLE precious (id int)")
    with pytest.raises(ScratchRefused, match="already holds 1 tables"):
        rehearse(url, scratch_url, schema, closure, {"bigint": _bigint(schema, closure)})


def test_split_statements_respects_quotes_and_bodies() -> None:
    sql = ("CREATE INDEX CONCURRENTLY ix ON t (a); -- a comment; still a comment\n"
           "DO $$ BEGIN PERFORM ';'; COMMIT; END $$;\nSELECT 'it''s; fine', \"x;y\" FROM t /* ; */")
    assert split_statements(sql) == [
        "CREATE INDEX CONCURRENTLY ix ON t (a)",
        "-- a comment; still a comment\nDO $$ BEGIN PERFORM ';'; COMMIT; END $$",
        "SELECT 'it''s; fine', \"x;y\" FROM t /* ; */",
    ]


def test_the_strategies_own_migrations_rehearse_clean(source: tuple[str, SchemaSnapshot, Closure],
                                                      scratch_url: str) -> None:
    """uuid (expand/backfill/contract, polymorphic kinds, the third kind kept aside), bigint and the shared
    sequence (colliding ids remapped, every reference following) as their modules build them."""
    from analyzer.plan.migration import build_migration
    from analyzer.plan.shared_sequence import build_shared_sequence, measure_collisions

    url, schema, _ = source
    cfg = load(fixture_app() / "pyproject.toml")
    engine = db.open_engine(url)
    migrations, closures = {}, {}
    for strategy in ("uuid", "bigint"):
        targets = tuple(replace(t, to_type=strategy.upper()) for t in TARGETS)
        closures[strategy] = db.compute_closure(schema, targets, cfg)
        migrations[strategy] = build_migration(schema, closures[strategy], strategy, engine, cfg)
    closure = closures["bigint"]
    migrations["shared-sequence"] = build_shared_sequence(
        schema, closure, measure_collisions(engine, schema, closure, cfg), engine, cfg)
    engine.dispose()
    results = rehearse(url, scratch_url, schema, closure, migrations, config=cfg)
    for name, result in results.items():
        assert result.ok, (name, result.failures)
        assert len(result.step_seconds) == len(migrations[name].steps)
        assert any(line.startswith("other: comments.entity_id") and "12/12 kept" in line
                   for line in result.checks), name
    assert any("kept (in entity_id or entity_id_legacy)" in line for line in results["uuid"].checks)
    assert any("distinct across targets, none taken" in line for line in results["shared-sequence"].checks)
