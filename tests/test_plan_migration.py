"""Migrations run for real, step by step, on the seeded fixture database: every row, every parent link
(declared, inferred and polymorphic, by fingerprint), every constraint, index, NOT NULL and FK action, and
every dependent (view, trigger function) is the same afterwards, modulo the key's type."""

from __future__ import annotations

import re
from dataclasses import replace

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from analyzer import db
from analyzer.config import load
from analyzer.demo import fixture_app, load_seeder
from analyzer.models import Target
from analyzer.plan import render_migration
from analyzer.plan.migration import build_migration
from analyzer.plan.steps import Migration, MigrationRefused

TARGETS = (Target("content_items", "id"), Target("content_items_auto", "id"))


def conninfo(url: str) -> str:
    u = make_url(url)
    return f"host={u.host} port={u.port or 5432} user={u.username} dbname={u.database}"


def run_steps(url: str, migration: Migration, stop_before: str | None = None) -> None:
    """As the rehearsal runs them: settings first, transactional steps in BEGIN/COMMIT, others in autocommit."""
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        for key, value in migration.settings.items():
            conn.execute(f"SET {key} = '{value}'")
        for step in migration.steps:
            if stop_before and step.phase == stop_before:
                return
            if step.transactional:
                with conn.transaction():
                    conn.execute(step.sql)
            else:
                conn.execute(step.sql)


def _plan(url: str, strategy: str) -> Migration:
    cfg = load(fixture_app() / "pyproject.toml")
    snapshot = db.reflect(url)
    to = "BIGINT" if strategy == "bigint" else "UUID"
    closure = db.compute_closure(snapshot, tuple(Target(t.table, t.column, to_type=to) for t in TARGETS), cfg)
    engine = db.open_engine(url)
    try:
        return build_migration(snapshot, closure, strategy, engine, cfg)
    finally:
        engine.dispose()


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def snapshot(url: str) -> dict[str, object]:
    """What must survive: rows, links by fingerprint, constraints, indexes, NOT NULL, views."""
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND relkind = 'r' ORDER BY 1")]
        out: dict[str, object] = {"rows": {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]  # type: ignore[index]
                                           for t in tables}}
        links = {}
        for child, col, parent, fp in (
            ("content_versions", "content_item_id", "content_items", "title"),
            ("thumbnails", "image_id", "content_items", "title"),
            ("publications", "content_id", "content_items", "title"),
            ("auto_runs", "content_auto_id", "content_items_auto", "source_url"),
            ("content_item_tags", "content_item_id", "content_items", "title"),
            ("content_metrics", "content_item_id", "content_items", "title"),
        ):
            links[f"{child}.{col}"] = sorted(conn.execute(
                f'SELECT (to_jsonb(c) - \'{col}\')::text, p."{fp}" FROM "{child}" c LEFT JOIN "{parent}" p ON p.id = c."{col}"').fetchall())
        links["generation_jobs"] = sorted(conn.execute(
            "SELECT g.id, g.content_kind, coalesce(m.title, a.title) FROM generation_jobs g "
            "LEFT JOIN content_items m ON g.content_kind = 'manual' AND m.id = g.content_id "
            "LEFT JOIN content_items_auto a ON g.content_kind = 'auto' AND a.id = g.content_id").fetchall())
        legacy = _column(conn, "comments", "entity_id_legacy") or "entity_id"
        links["comments"] = sorted(conn.execute(
            f"SELECT c.id, c.entity_type, coalesce(m.title, a.title, p.name) FROM comments c "
            "LEFT JOIN content_items m ON c.entity_type = 'content_items' AND m.id = c.entity_id "
            "LEFT JOIN content_items_auto a ON c.entity_type = 'content_items_auto' AND a.id = c.entity_id "
            f"LEFT JOIN projects p ON c.entity_type = 'projects' AND p.id = c.{legacy}::text::int").fetchall())
        out["links"] = links
        out["constraints"] = sorted((r[0], r[1], _norm(r[2])) for r in conn.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE connamespace = 'public'::regnamespace"))
        out["indexes"] = sorted(_norm(r[0]) for r in conn.execute(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid "
            "WHERE c.relnamespace = 'public'::regnamespace"))
        out["not_null"] = sorted(conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND is_nullable = 'NO'").fetchall())
        out["view"] = conn.execute("SELECT count(*) FROM content_publications_v").fetchone()
        out["types"] = dict(conn.execute(
            "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public'").fetchall())
    return out


def _column(conn: psycopg.Connection, table: str, column: str) -> str | None:
    row = conn.execute("SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
                       (table, column)).fetchone()
    return column if row else None


def _delete_through_trigger(url: str) -> tuple[int, int, int]:
    """Deleting a content item removes its generation jobs (the trigger function) and cascades to its
    versions: (jobs it had, jobs removed, orphaned versions)."""
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        victim, jobs = conn.execute(
            "SELECT c.id, count(*) FROM content_items c JOIN generation_jobs g ON g.content_kind = 'manual' "
            "AND g.content_id = c.id WHERE NOT EXISTS (SELECT 1 FROM publications p WHERE p.content_id = c.id) "
            "GROUP BY c.id, c.title ORDER BY c.title LIMIT 1").fetchone()  # type: ignore[misc]
        before = conn.execute("SELECT count(*) FROM generation_jobs").fetchone()[0]  # type: ignore[index]
        conn.execute("DELETE FROM content_items WHERE id = %s", (victim,))
        after = conn.execute("SELECT count(*) FROM generation_jobs").fetchone()[0]  # type: ignore[index]
        orphans = conn.execute("SELECT count(*) FROM content_versions v LEFT JOIN content_items c "
                               "ON c.id = v.content_item_id WHERE c.id IS NULL").fetchone()[0]  # type: ignore[index]
        return jobs, before - after, orphans


def _same_modulo_type(before: dict[str, object], after: dict[str, object]) -> None:
    assert after["rows"] == before["rows"]
    assert after["links"] == before["links"]
    nn_before = {tuple(r) for r in before["not_null"]}  # type: ignore[attr-defined]
    nn_after = {tuple(r) for r in after["not_null"]}  # type: ignore[attr-defined]
    assert nn_after <= nn_before
    # only the polymorphic column with a third kind trades NOT NULL for CHECK (c IS NOT NULL OR c_legacy ...)
    assert nn_before - nn_after <= {("comments", "entity_id")}
    assert after["view"] == before["view"]


@pytest.mark.parametrize("strategy", ["uuid", "uuid7", "text"])
def test_uuid_family_keeps_everything(pg_url: str, strategy: str) -> None:
    load_seeder().build_database(pg_url, rows=200)
    migration = _plan(pg_url, strategy)
    script = migration.render()
    assert "-- UPDATE" not in script and "REVIEW" not in script  # nothing left to a person
    before = snapshot(pg_url)
    run_steps(pg_url, migration)
    after = snapshot(pg_url)
    _same_modulo_type(before, after)
    want = "uuid" if strategy != "text" else "text"
    for name in ("content_items.id", "content_items_auto.id", "content_versions.content_item_id",
                 "generation_jobs.content_id", "comments.entity_id", "content_metrics.content_item_id"):
        assert after["types"][name] == want, name  # type: ignore[index]
    assert "comments.entity_id_legacy" in after["types"]  # type: ignore[operator]  # the third kind's ids
    assert not any(k.endswith(("_old", "_new")) for k in after["types"])  # type: ignore[attr-defined]
    # constraints: same names and definitions, less the conjunct that compared the key with a number,
    # plus the NOT NULL-or-legacy check of the polymorphic column with a third kind
    b = {(t, n): d for t, n, d in before["constraints"]}  # type: ignore[attr-defined]
    a = {(t, n): d for t, n, d in after["constraints"]}  # type: ignore[attr-defined]
    assert set(a) - set(b) == {("comments", "comments_entity_id_not_null")}
    assert set(b) == set(a) - {("comments", "comments_entity_id_not_null")}
    changed = {k for k in b if a[k] != b[k]}
    assert changed == {("content_metrics", "ck_content_metrics_sane")}, changed
    assert a[("content_metrics", "ck_content_metrics_sane")] == "CHECK ((views >= 0))"
    assert a[("thumbnails", "thumbnails_image_id_fkey")].endswith("ON DELETE CASCADE")
    assert after["indexes"] == before["indexes"]
    jobs, removed, orphans = _delete_through_trigger(pg_url)
    assert jobs == removed and jobs >= 1 and orphans == 0
    if strategy == "uuid7":
        with psycopg.connect(conninfo(pg_url), autocommit=True) as conn:
            versions = {r[0] for r in conn.execute("SELECT DISTINCT substr(id::text, 15, 1) FROM content_items")}
            assert versions == {"7"}


def test_sync_trigger_and_guard_between_expand_and_contract(pg_url: str) -> None:
    load_seeder().build_database(pg_url, rows=50)
    migration = _plan(pg_url, "uuid")
    run_steps(pg_url, migration, stop_before="verify")
    with psycopg.connect(conninfo(pg_url), autocommit=True) as conn:
        # the old release inserts with integer ids only: the new columns follow
        item = conn.execute("INSERT INTO content_items (project_id, owner_id, title) SELECT project_id, owner_id, "
                            "'late' FROM content_items LIMIT 1 RETURNING id, id_new").fetchone()
        assert item is not None and item[1] is not None
        conn.execute("INSERT INTO thumbnails (image_id, width, height, url) VALUES (%s, 1, 1, 'u')", (item[0],))
        conn.execute("INSERT INTO generation_jobs (content_id, content_kind) VALUES (%s, 'manual')", (item[0],))
        row = conn.execute("SELECT image_id_new FROM thumbnails WHERE url = 'u'").fetchone()
        assert row is not None and row[0] == item[1]
        job = conn.execute("SELECT content_id_new FROM generation_jobs ORDER BY id DESC LIMIT 1").fetchone()
        assert job is not None and job[0] == item[1]
        # a value the backfill cannot know: the guard refuses to go on
        conn.execute("UPDATE thumbnails SET image_id_new = NULL WHERE url = 'u'")
        conn.execute("ALTER TABLE thumbnails DISABLE TRIGGER USER")
        conn.execute("UPDATE thumbnails SET image_id_new = NULL WHERE url = 'u'")
        conn.execute("ALTER TABLE thumbnails ENABLE TRIGGER USER")
        guard = next(s for s in migration.steps if s.phase == "verify" and s.table == "thumbnails")
        with pytest.raises(psycopg.errors.RaiseException, match="thumbnails.image_id have an old value"):
            conn.execute(guard.sql)


def test_bigint_keeps_everything_in_place_and_by_expand(pg_url: str) -> None:
    """120 rows per content table against a lock budget of 100: the big tables expand and contract."""
    load_seeder().build_database(pg_url, rows=120)
    before = snapshot(pg_url)
    cfg = load(fixture_app() / "pyproject.toml")
    snapshot_ = db.reflect(pg_url)
    closure = db.compute_closure(snapshot_, tuple(Target(t.table, t.column, to_type="BIGINT") for t in TARGETS), cfg)
    # a lock budget of 100 rows: tables above it expand and contract, the others are altered in place
    migration = build_migration(snapshot_, closure, "bigint", None, replace(cfg, bigint_in_place_max_rows=100))
    assert any(s.phase == "backfill" for s in migration.steps)  # some tables expand and contract
    assert "TYPE bigint" in migration.render()  # others are altered in place
    run_steps(pg_url, migration)
    after = snapshot(pg_url)
    _same_modulo_type(before, after)
    assert after["constraints"] == before["constraints"]
    assert after["indexes"] == before["indexes"]
    for name in ("content_items.id", "generation_jobs.content_id", "comments.entity_id", "thumbnails.image_id"):
        assert after["types"][name] == "bigint", name  # type: ignore[index]
    assert after["types"]["publications.user_id"] == "integer"  # type: ignore[index]  # not in the closure
    with psycopg.connect(conninfo(pg_url), autocommit=True) as conn:
        seqs: dict[str, str] = dict(conn.execute("SELECT sequencename, data_type FROM pg_sequences").fetchall())
        assert seqs["content_items_id_seq"] == "bigint" and seqs["content_items_auto_id_seq"] == "bigint"
        new = conn.execute("INSERT INTO content_items (project_id, owner_id, title) SELECT project_id, owner_id, "
                           "'n' FROM content_items LIMIT 1 RETURNING id").fetchone()
        assert new is not None and new[0] > 120


def test_scan_script_refuses_with_comments_only(pg_url: str, run_sql) -> None:  # type: ignore[no-untyped-def]
    run_sql(pg_url, "CREATE TABLE a (id serial PRIMARY KEY, kind text); "
                    "CREATE TABLE b (id serial PRIMARY KEY); "
                    "CREATE TABLE c (id serial PRIMARY KEY, thing_id int, thing_kind text)")
    snapshot_ = db.reflect(pg_url)
    from analyzer.config import from_mapping
    cfg = from_mapping({"virtual_references": [{"from": "c.thing_id", "to": "a.id"}, {"from": "c.thing_id", "to": "b.id"}]})
    closure = db.compute_closure(snapshot_, (Target("a", "id"), Target("b", "id")), cfg)
    with psycopg.connect(conninfo(pg_url), autocommit=True) as conn:
        conn.execute("INSERT INTO c (thing_id, thing_kind) VALUES (1, 'mystery')")
    engine = db.open_engine(pg_url)
    with pytest.raises(MigrationRefused, match=r'\[tool.impact.polymorphic\] "c.thing_id"'):
        build_migration(snapshot_, closure, "uuid", engine, cfg)
    engine.dispose()
    script = render_migration(snapshot_, closure, "uuid")
    assert all(line.startswith("--") for line in script.splitlines() if line.strip())


def test_sqlite_refused(sqlite_url: str, run_sql) -> None:  # type: ignore[no-untyped-def]
    run_sql(sqlite_url, "CREATE TABLE a (id INTEGER PRIMARY KEY)")
    snapshot_ = db.reflect(sqlite_url)
    closure = db.compute_closure(snapshot_, (Target("a", "id"),))
    with pytest.raises(MigrationRefused, match="sqlite"):
        build_migration(snapshot_, closure, "uuid")


WEIRD = """
CREATE TABLE "Order" ("Select.Id" serial PRIMARY KEY, "naïve Title" text NOT NULL);
CREATE TABLE "Line Items" (
    id serial PRIMARY KEY,
    "a_sixty_three_byte_long_column_name_that_points_at_the_order_ke" integer NOT NULL
        REFERENCES "Order" ("Select.Id") ON DELETE CASCADE ON UPDATE RESTRICT,
    "user" integer REFERENCES "Order" ("Select.Id"),
    "user_new" text DEFAULT 'taken',
    CONSTRAINT "Uq Line" UNIQUE ("a_sixty_three_byte_long_column_name_that_points_at_the_order_ke", "user")
);
CREATE INDEX "Ix.Partial" ON "Line Items" ("a_sixty_three_byte_long_column_name_that_points_at_the_order_ke")
    WHERE "user" IS NOT NULL;
INSERT INTO "Order" ("naïve Title") SELECT 'o' || g FROM generate_series(1, 30) g;
INSERT INTO "Line Items" ("a_sixty_three_byte_long_column_name_that_points_at_the_order_ke", "user")
    SELECT 1 + mod(g, 30), 1 + mod(g + g / 30, 30) FROM generate_series(1, 90) g;
"""


def test_quoting_and_63_byte_names(pg_url: str, run_sql) -> None:  # type: ignore[no-untyped-def]
    run_sql(pg_url, WEIRD)
    long = "a_sixty_three_byte_long_column_name_that_points_at_the_order_ke"
    assert len(long.encode()) == 63
    snapshot_ = db.reflect(pg_url)
    closure = db.compute_closure(snapshot_, (Target("Order", "Select.Id"),))
    assert closure.is_impacted("Line Items", long)
    migration = build_migration(snapshot_, closure, "uuid")
    script = migration.render()
    assert 'ALTER TABLE "Line Items"' in script and '"Select.Id"' in script
    # the derived name is shortened with a hash, not truncated onto the existing `<long>_new` column
    new_names = set(re.findall(r'ADD COLUMN "([^"]+)" uuid', script))
    assert len(new_names) == 3 and all(len(n.encode()) <= 63 for n in new_names)
    assert f"{long}_new"[:63] not in new_names and "user_new" not in new_names  # truncated / existing
    with psycopg.connect(conninfo(pg_url), autocommit=True) as conn:
        before = sorted(conn.execute(f'SELECT l.id, o."naïve Title", u."naïve Title", l.user_new FROM "Line Items" l '
                                     f'JOIN "Order" o ON o."Select.Id" = l."{long}" '
                                     'JOIN "Order" u ON u."Select.Id" = l."user"').fetchall())
        defs_before = sorted(r[0] for r in conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = '\"Line Items\"'::regclass"))
    run_steps(pg_url, migration)
    with psycopg.connect(conninfo(pg_url), autocommit=True) as conn:
        after = sorted(conn.execute(f'SELECT l.id, o."naïve Title", u."naïve Title", l.user_new FROM "Line Items" l '
                                    f'JOIN "Order" o ON o."Select.Id" = l."{long}" '
                                    'JOIN "Order" u ON u."Select.Id" = l."user"').fetchall())
        defs_after = sorted(r[0] for r in conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = '\"Line Items\"'::regclass"))
        kinds: dict[str, str] = dict(conn.execute("SELECT column_name, data_type FROM information_schema.columns "
                                  "WHERE table_name IN ('Order', 'Line Items')").fetchall())
        partial = conn.execute("SELECT pg_get_indexdef('\"Ix.Partial\"'::regclass)").fetchone()
    assert after == before and len(after) == 90
    assert defs_after == defs_before  # ON DELETE CASCADE ON UPDATE RESTRICT, the unique pair
    assert kinds["Select.Id"] == "uuid" and kinds[long] == "uuid" and kinds["user"] == "uuid" and kinds["user_new"] == "text"
    assert partial is not None and "WHERE" in partial[0]


def test_numeric_index_predicate_on_the_key_is_refused(pg_url: str, run_sql) -> None:  # type: ignore[no-untyped-def]
    run_sql(pg_url, WEIRD + 'CREATE INDEX "Ix.Num" ON "Line Items" (id) WHERE "user" > 10;')
    snapshot_ = db.reflect(pg_url)
    closure = db.compute_closure(snapshot_, (Target("Order", "Select.Id"),))
    with pytest.raises(MigrationRefused, match="Ix.Num"):
        build_migration(snapshot_, closure, "uuid")
    assert build_migration(snapshot_, closure, "bigint").steps  # a number stays a number


def test_mariadb_bigint(mysql_url: str) -> None:
    load_seeder().build_database(mysql_url, rows=40)
    cfg = load(fixture_app() / "pyproject.toml")
    snapshot_ = db.reflect(mysql_url)
    closure = db.compute_closure(snapshot_, tuple(Target(t.table, t.column, to_type="BIGINT") for t in TARGETS), cfg)
    with pytest.raises(MigrationRefused, match="MySQL/MariaDB"):
        build_migration(snapshot_, closure, "uuid", None, cfg)
    migration = build_migration(snapshot_, closure, "bigint", None, cfg)
    script = migration.render()
    assert "MODIFY" in script and "BEGIN;" not in script and '"' not in script  # MySQL syntax only
    engine = sa.create_engine(mysql_url, isolation_level="AUTOCOMMIT")
    query = ("SELECT table_name, column_name, column_type, is_nullable, extra FROM information_schema.columns "
             "WHERE table_schema = DATABASE()")
    fk_query = ("SELECT constraint_name, delete_rule, update_rule FROM information_schema.referential_constraints "
                "WHERE constraint_schema = DATABASE()")
    link = ("SELECT v.id, c.title FROM content_versions v JOIN content_items c ON c.id = v.content_item_id "
            "ORDER BY v.id")
    with engine.connect() as conn:
        cols_before = {(r[0], r[1]): r[2:] for r in conn.execute(sa.text(query))}
        fks_before = sorted(tuple(r) for r in conn.execute(sa.text(fk_query)))
        links_before = conn.execute(sa.text(link)).all()
        for step in migration.steps:
            conn.execute(sa.text(step.sql))
        cols_after = {(r[0], r[1]): r[2:] for r in conn.execute(sa.text(query))}
        fks_after = sorted(tuple(r) for r in conn.execute(sa.text(fk_query)))
        links_after = conn.execute(sa.text(link)).all()
    engine.dispose()
    assert links_after == links_before and links_after
    assert fks_after == fks_before
    for key, (ctype, nullable, extra) in cols_before.items():
        table, column = key
        if snapshot_.table(table) is None:
            continue  # a view's column follows its table's
        if closure.is_impacted(table, column):
            assert cols_after[key][0].startswith("bigint"), key
            assert cols_after[key][1:] == (nullable, extra), key  # NOT NULL, AUTO_INCREMENT kept
        else:
            assert cols_after[key] == (ctype, nullable, extra), key
