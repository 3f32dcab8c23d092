"""Shared sequence on real databases: the collision figures equal hand-written SQL, and the migration, run
step by step as the rehearsal runs it, keeps every row and link (declared, inferred, polymorphic, and the
comments of a third kind), every constraint, index and trigger, leaves no collision, and new rows in
either target never collide again."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
import sqlalchemy as sa

from analyzer import db
from analyzer.config import Config, load
from analyzer.demo import fixture_app, load_seeder
from analyzer.models import Closure, SchemaSnapshot, Target
from analyzer.plan import shared_sequence
from analyzer.plan.shared_sequence import Collisions, build_shared_sequence, measure_collisions
from analyzer.plan.steps import Migration, MigrationRefused

TARGETS = (Target("content_items", "id", to_type="BIGINT"), Target("content_items_auto", "id", to_type="BIGINT"))
COLLIDING = "SELECT id FROM content_items JOIN content_items_auto USING (id)"

#: every parent link of the fixture, by fingerprint (child key -> the parent's title or name)
LINKS = {
    "content_versions": "SELECT v.id::text, c.title FROM content_versions v JOIN content_items c ON c.id = v.content_item_id",
    "thumbnails": "SELECT t.id::text, c.title FROM thumbnails t JOIN content_items c ON c.id = t.image_id",
    "publications": "SELECT p.id::text, c.title FROM publications p JOIN content_items c ON c.id = p.content_id",
    "content_item_tags": "SELECT x.content_item_id || '/' || x.tag_id, c.title FROM content_item_tags x "
                         "JOIN content_items c ON c.id = x.content_item_id",
    "content_metrics": "SELECT m.content_item_id || '/' || m.day, c.title FROM content_metrics m "
                       "JOIN content_items c ON c.id = m.content_item_id",
    "auto_runs": "SELECT r.id::text, a.title FROM auto_runs r JOIN content_items_auto a ON a.id = r.content_auto_id",
    "generation_jobs": "SELECT g.id::text, g.content_kind || ':' || COALESCE(c.title, a.title) FROM generation_jobs g "
                       "LEFT JOIN content_items c ON g.content_kind = 'manual' AND c.id = g.content_id "
                       "LEFT JOIN content_items_auto a ON g.content_kind = 'auto' AND a.id = g.content_id",
    "comments": "SELECT m.id::text, m.entity_type || ':' || COALESCE(c.title, a.title, p.name) FROM comments m "
                "LEFT JOIN content_items c ON m.entity_type = 'content_items' AND c.id = m.entity_id "
                "LEFT JOIN content_items_auto a ON m.entity_type = 'content_items_auto' AND a.id = m.entity_id "
                "LEFT JOIN projects p ON m.entity_type = 'projects' AND p.id = m.entity_id",
    "view": "SELECT content_item_id || '/' || channel, title FROM content_publications_v",
}
TABLES = ("content_items", "content_items_auto", "generation_jobs", "content_versions", "thumbnails",
          "publications", "auto_runs", "content_metrics", "comments", "content_item_tags", "projects", "users")
#: the catalogue that must survive: constraints (with their FK actions), indexes, triggers, views
CATALOGUE = {
    "constraints": "SELECT conrelid::regclass || '.' || conname, pg_get_constraintdef(oid) FROM pg_constraint "
                   "WHERE connamespace = 'public'::regnamespace AND right(conrelid::regclass::text, 6) <> 'id_map'",
    "indexes": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND right(tablename, 6) <> 'id_map'",
    "triggers": "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal",
    "views": "SELECT viewname, definition FROM pg_views WHERE schemaname = 'public'",
    "not null": "SELECT table_name || '.' || column_name, is_nullable FROM information_schema.columns "
                "WHERE table_schema = 'public' AND right(table_name, 6) <> 'id_map'",
}


def _setup(url: str, targets: tuple[Target, ...] = TARGETS, cfg: Config | None = None
           ) -> tuple[SchemaSnapshot, Closure, Config]:
    cfg = cfg or load(fixture_app() / "pyproject.toml")
    snapshot = db.reflect(url)
    return snapshot, db.compute_closure(snapshot, targets, cfg), cfg


def _measure(url: str, snapshot: SchemaSnapshot, closure: Closure, cfg: Config) -> Collisions:
    engine = db.open_engine(url)  # read-only: a write through it fails
    try:
        return measure_collisions(engine, snapshot, closure, cfg)
    finally:
        engine.dispose()


def _plan(url: str) -> tuple[Collisions, Migration]:
    snapshot, closure, cfg = _setup(url)
    collisions = _measure(url, snapshot, closure, cfg)
    engine = db.open_engine(url)
    try:
        return collisions, build_shared_sequence(snapshot, closure, collisions, engine, cfg)
    finally:
        engine.dispose()


@pytest.fixture()
def writer(pg_url: str) -> Iterator[sa.Connection]:
    """An autocommit connection that writes (the rehearsal's scratch side); the tool's own engine cannot."""
    engine = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def _run(conn: sa.Connection, migration: Migration, skip: Callable[[int], bool] = lambda i: False) -> None:
    """As the rehearsal runs it: the script's settings, transactional steps in BEGIN/COMMIT, others alone."""
    for key, value in migration.settings.items():
        conn.exec_driver_sql(f"SET {key} = '{value}'")
    for i, step in enumerate(migration.steps):
        if skip(i):
            continue
        _step(conn, step.sql, step.transactional)


def _step(conn: sa.Connection, sql: str, transactional: bool) -> None:
    if not transactional:
        conn.exec_driver_sql(sql)
        return
    conn.exec_driver_sql("BEGIN")
    try:
        conn.exec_driver_sql(sql)
    except Exception:
        conn.exec_driver_sql("ROLLBACK")
        raise
    conn.exec_driver_sql("COMMIT")


def _links(conn: sa.Connection) -> dict[str, list[tuple[str, str]]]:
    return {name: sorted(conn.exec_driver_sql(sql).all()) for name, sql in LINKS.items()}


def _counts(conn: sa.Connection) -> dict[str, int]:
    return {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one() for t in TABLES}


def _catalogue(conn: sa.Connection) -> dict[str, list[tuple[str, str]]]:
    return {name: sorted(conn.exec_driver_sql(sql).all()) for name, sql in CATALOGUE.items()}


def _scalar(conn: sa.Connection, sql: str) -> int:
    return int(conn.exec_driver_sql(sql).scalar_one())


def test_collisions_equal_hand_written_sql(pg_url: str, writer: sa.Connection) -> None:
    load_seeder().build_database(pg_url, rows=200)
    snapshot, closure, cfg = _setup(pg_url)
    c = _measure(pg_url, snapshot, closure, cfg)
    n_ids = _scalar(writer, f"SELECT count(*) FROM ({COLLIDING}) x")
    assert c.ids == n_ids and n_ids > 50
    hand = {
        "content_versions.content_item_id": ("content_items", f"content_item_id IN ({COLLIDING})"),
        "thumbnails.image_id": ("content_items", f"image_id IN ({COLLIDING})"),
        "publications.content_id": ("content_items", f"content_id IN ({COLLIDING})"),
        "content_item_tags.content_item_id": ("content_items", f"content_item_id IN ({COLLIDING})"),
        "content_metrics.content_item_id": ("content_items", f"content_item_id IN ({COLLIDING})"),
        "auto_runs.content_auto_id": ("content_items_auto", f"content_auto_id IN ({COLLIDING})"),
    }
    total = 0
    for column, (parent, where) in hand.items():
        n = _scalar(writer, f"SELECT count(*) FROM {column.split('.')[0]} WHERE {where}")
        assert c.by_column[column]["rows"] == n, column
        assert c.by_column[column]["by_target"] == {f"{parent}.id": n}
        assert c.by_column[column]["discriminated"] and c.by_column[column]["by"] is None
        total += n
    for column, by, kinds in (("generation_jobs.content_id", "content_kind", {"manual": "content_items",
                                                                              "auto": "content_items_auto"}),
                              ("comments.entity_id", "entity_type", {"content_items": "content_items",
                                                                     "content_items_auto": "content_items_auto"})):
        table, col = column.split(".")
        per = {f"{parent}.id": _scalar(writer, f"SELECT count(*) FROM {table} WHERE {by} = '{kind}' "
                                               f"AND {col} IN ({COLLIDING})") for kind, parent in kinds.items()}
        entry = c.by_column[column]
        assert entry["by_target"] == per and entry["rows"] == sum(per.values()) and entry["by"] == by, column
        assert entry["discriminated"] and entry["kind"] == "polymorphic"
        total += sum(per.values())
    # comments about projects point at project ids: they collide with nothing and are not counted
    assert _scalar(writer, f"SELECT count(*) FROM comments WHERE entity_type = 'projects' AND entity_id IN ({COLLIDING})") > 0
    assert c.referencing_rows == total
    for table in ("content_items", "content_items_auto"):
        t = c.per_target[f"{table}.id"]
        assert t["max"] == _scalar(writer, f"SELECT max(id) FROM {table}")
        assert t["rows"] == _scalar(writer, f"SELECT count(*) FROM {table}")
        assert t["colliding"] == n_ids
        assert t["sequence"] == writer.exec_driver_sql(f"SELECT pg_get_serial_sequence('{table}', 'id')").scalar_one()
        assert t["last_value"] == _scalar(writer, f"SELECT last_value FROM {t['sequence']}")
    assert c.per_target["content_items_auto.id"]["identity"] == "by default"
    assert c.per_target["content_items.id"]["identity"] is None
    # the query a person re-runs gives the same figures
    rerun: dict[str, int] = {}
    for statement in c.query.split(";\n\n"):
        for row in writer.exec_driver_sql(statement.rstrip(";")).all():
            if len(row) == 3 and row[1] is None:
                rerun[row[0]] = row[2]
    assert rerun["ids"] == n_ids and rerun["content_items_auto.id:max"] == c.per_target["content_items_auto.id"]["max"]
    assert rerun["thumbnails.image_id"] == c.by_column["thumbnails.image_id"]["rows"]


def test_migration_moves_collisions_keeps_every_link_and_inserts_never_collide(pg_url: str, writer: sa.Connection) -> None:
    load_seeder().build_database(pg_url, rows=200)
    collisions, migration = _plan(pg_url)
    assert migration.strategy == "shared-sequence" and migration.dialect == "postgresql"
    moved = "content_items_auto"  # fewer rows point at it: the cheaper side moves
    assert any(f"{moved}.id give up theirs" in n for n in migration.notes)
    links, counts, catalogue = _links(writer), _counts(writer), _catalogue(writer)
    old_titles: dict[int, str] = dict(writer.exec_driver_sql(f"SELECT id, title FROM {moved} WHERE id IN ({COLLIDING})").all())
    projects_comments = writer.exec_driver_sql(
        "SELECT id, entity_id FROM comments WHERE entity_type = 'projects' ORDER BY id").all()
    manual_jobs = writer.exec_driver_sql(
        "SELECT id, content_id FROM generation_jobs WHERE content_kind = 'manual' ORDER BY id").all()
    kept_ids = writer.exec_driver_sql("SELECT id, title FROM content_items ORDER BY id").all()

    _run(writer, migration)

    assert _counts(writer) == counts
    after = _links(writer)
    for name in LINKS:
        assert after[name] == links[name], name
        assert len(after[name]) > 0, name
    assert _catalogue(writer) == catalogue  # every constraint (and FK action), index, trigger, view, NOT NULL
    assert _scalar(writer, f"SELECT count(*) FROM ({COLLIDING}) x") == 0
    # rows of other kinds and the kept target are untouched, ids and all
    assert writer.exec_driver_sql(
        "SELECT id, entity_id FROM comments WHERE entity_type = 'projects' ORDER BY id").all() == projects_comments
    assert writer.exec_driver_sql(
        "SELECT id, content_id FROM generation_jobs WHERE content_kind = 'manual' ORDER BY id").all() == manual_jobs
    assert writer.exec_driver_sql("SELECT id, title FROM content_items ORDER BY id").all() == kept_ids
    # every old id of a moved row is in the mapping table, and its new id names the same row
    mapping = [s for s in migration.steps if s.name.startswith("create the mapping table")][0]
    map_table = mapping.sql.split("CREATE TABLE ", 1)[1].split(" ", 1)[0]
    mapped: dict[int, str] = dict(writer.exec_driver_sql(
        f"SELECT m.old_id, a.title FROM {map_table} m JOIN {moved} a ON a.id = m.new_id "
        f"WHERE m.target = '{moved}.id' AND m.moved_at IS NOT NULL").all())
    assert mapped == old_titles and len(mapped) == collisions.ids
    # new rows in either target (no explicit id) never collide
    new_ids = []
    for i in range(20):
        new_ids.append(_scalar(writer, "INSERT INTO content_items (project_id, owner_id, title) "
                                       f"VALUES (1, 1, 'new manual {i}') RETURNING id"))
        new_ids.append(_scalar(writer, "INSERT INTO content_items_auto (project_id, source_url, title) "
                                       f"VALUES (1, 'https://x', 'new auto {i}') RETURNING id"))
    assert len(set(new_ids)) == len(new_ids)
    assert _scalar(writer, f"SELECT count(*) FROM ({COLLIDING}) x") == 0
    assert min(new_ids) > max(collisions.per_target[t]["max"] for t in collisions.per_target)
    # the sequence is shared, owned by the kept target, and the defaults name it
    seq = writer.exec_driver_sql("SELECT pg_get_serial_sequence('content_items', 'id')").scalar_one()
    assert "shared_seq" in seq
    assert writer.exec_driver_sql(
        "SELECT data_type FROM information_schema.sequences WHERE sequence_name = split_part(%s, '.', 2)",
        (seq,)).scalar_one() == "bigint"
    defaults: dict[str, str] = dict(writer.exec_driver_sql(
        "SELECT table_name, column_default FROM information_schema.columns WHERE column_name = 'id' "
        "AND table_name IN ('content_items', 'content_items_auto')").all())
    assert all(seq.split(".")[-1] in d for d in defaults.values()), defaults
    # dependents still work: deleting a moved row cascades through its FK and the trigger purges its jobs
    victim = max(mapped)
    new_id = _scalar(writer, f"SELECT new_id FROM {map_table} WHERE old_id = {victim}")
    assert _scalar(writer, f"SELECT count(*) FROM generation_jobs WHERE content_kind = 'auto' AND content_id = {new_id}") \
        + _scalar(writer, f"SELECT count(*) FROM auto_runs WHERE content_auto_id = {new_id}") > 0
    writer.exec_driver_sql(f"DELETE FROM content_items_auto WHERE id = {new_id}")
    assert _scalar(writer, f"SELECT count(*) FROM generation_jobs WHERE content_kind = 'auto' AND content_id = {new_id}") == 0
    assert _scalar(writer, f"SELECT count(*) FROM auto_runs WHERE content_auto_id = {new_id}") == 0
    # the contract step dropped the old serial sequence; re-measuring shows no collision left
    snapshot, closure, cfg = _setup(pg_url)
    assert _measure(pg_url, snapshot, closure, cfg).ids == 0


def test_move_is_resumable_and_undoable(pg_url: str, writer: sa.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch that fails leaves the committed batches moved and every link intact; re-running finishes the
    job; the undo of every step, in reverse, gives the original ids, links and defaults back."""
    load_seeder().build_database(pg_url, rows=120)
    monkeypatch.setattr(shared_sequence, "BATCH_ROWS", 15)
    collisions, migration = _plan(pg_url)
    links, catalogue = _links(writer), _catalogue(writer)
    defaults = writer.exec_driver_sql(
        "SELECT table_name, column_default, is_identity FROM information_schema.columns WHERE column_name = 'id' "
        "ORDER BY table_name").all()
    original = writer.exec_driver_sql("SELECT id, title FROM content_items_auto ORDER BY id").all()
    move = next(i for i, s in enumerate(migration.steps) if not s.transactional)
    _run(writer, migration, skip=lambda i: i >= move)
    map_table = migration.steps[1].sql.split("CREATE TABLE ", 1)[1].split(" ", 1)[0]
    # a failure in the third batch (a real error raised by the database mid-move)
    writer.exec_driver_sql(
        "CREATE FUNCTION h4_stop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.old_id > 30 THEN RAISE EXCEPTION 'stop'; END IF; RETURN NEW; END $$")
    writer.exec_driver_sql(f"CREATE TRIGGER h4_stop BEFORE UPDATE ON {map_table} FOR EACH ROW EXECUTE FUNCTION h4_stop()")
    with pytest.raises(sa.exc.DBAPIError, match="stop"):
        _step(writer, migration.steps[move].sql, False)
    moved_now = _scalar(writer, f"SELECT count(*) FROM {map_table} WHERE moved_at IS NOT NULL")
    assert moved_now == 30  # two batches of 15 committed, the third rolled back
    assert _links(writer) == links
    writer.exec_driver_sql(f"DROP TRIGGER h4_stop ON {map_table}")
    _step(writer, migration.steps[move].sql, False)
    _step(writer, migration.steps[move].sql, False)  # resumed, then a no-op
    assert _scalar(writer, f"SELECT count(*) FROM {map_table} WHERE moved_at IS NULL") == 0
    assert _scalar(writer, f"SELECT count(*) FROM ({COLLIDING}) x") == 0
    _run(writer, migration, skip=lambda i: i <= move or migration.steps[i].phase == "contract")
    assert _links(writer) == links
    # undo, last step first (the contract step is the one that cannot be undone)
    for step in reversed([s for s in migration.steps if s.phase not in ("contract", "verify")]):
        assert step.undo, step.name
        _step(writer, step.undo, step.transactional)
    assert writer.exec_driver_sql("SELECT id, title FROM content_items_auto ORDER BY id").all() == original
    assert _links(writer) == links and _catalogue(writer) == catalogue
    after = writer.exec_driver_sql(
        "SELECT table_name, column_default, is_identity FROM information_schema.columns WHERE column_name = 'id' "
        "ORDER BY table_name").all()
    assert after == defaults
    assert collisions.ids > 30


def test_long_quoted_names_and_three_targets(pg_url: str, run_sql: Callable[[str, str], None],
                                             writer: sa.Connection) -> None:
    """Mixed case, spaces, reserved words and unicode; derived names within 63 bytes; three id spaces."""
    long_a = "Événements À Publier Dans Le Calendrier Éditorial"  # 52 bytes
    long_b = "select"
    long_c = "Order Items"
    run_sql(pg_url, f"""
CREATE TABLE "{long_a}" ("Id" SERIAL PRIMARY KEY, label TEXT NOT NULL)
;;
CREATE TABLE "{long_b}" ("Id" INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY, label TEXT NOT NULL)
;;
CREATE TABLE "{long_c}" ("Id" SERIAL PRIMARY KEY, label TEXT NOT NULL)
;;
CREATE TABLE "child of a" (id SERIAL PRIMARY KEY,
    "Parent" INTEGER NOT NULL REFERENCES "{long_a}" ("Id") ON DELETE CASCADE ON UPDATE RESTRICT)
;;
CREATE TABLE "child of select" (id SERIAL PRIMARY KEY, "Parent" INTEGER REFERENCES "{long_b}" ("Id"))
;;
CREATE TABLE "child of c" (id SERIAL PRIMARY KEY, "Parent" INTEGER NOT NULL REFERENCES "{long_c}" ("Id"))
;;
INSERT INTO "{long_a}" (label) SELECT 'a' || g FROM generate_series(1, 40) g
;;
INSERT INTO "{long_b}" (label) SELECT 'b' || g FROM generate_series(1, 25) g
;;
INSERT INTO "{long_c}" (label) SELECT 'c' || g FROM generate_series(1, 30) g
;;
INSERT INTO "child of a" ("Parent") SELECT 1 + mod(g, 40) FROM generate_series(1, 120) g
;;
INSERT INTO "child of select" ("Parent") SELECT 1 + mod(g, 25) FROM generate_series(1, 50) g
;;
INSERT INTO "child of c" ("Parent") SELECT 1 + mod(g, 30) FROM generate_series(1, 30) g
;;
CREATE MATERIALIZED VIEW "parents seen" AS SELECT "Parent" AS p, count(*) AS n FROM "child of select" GROUP BY 1
;;
CREATE MATERIALIZED VIEW "parents seen c" AS SELECT "Parent" AS p, count(*) AS n FROM "child of c" GROUP BY 1
""")
    targets = tuple(Target(t, "Id", to_type="BIGINT") for t in (long_a, long_b, long_c))
    snapshot, closure, cfg = _setup(pg_url, targets, Config())
    collisions = _measure(pg_url, snapshot, closure, cfg)
    assert collisions.ids == 30  # 1..25 in all three, 26..30 in a and c
    engine = db.open_engine(pg_url)
    migration = build_shared_sequence(snapshot, closure, collisions, engine, cfg)
    engine.dispose()
    created = [re.search(r'CREATE (?:SEQUENCE|TABLE) "((?:[^"]|"")+)"', s.sql) for s in migration.steps[:2]]
    for found in created:
        assert found is not None
        assert 40 < len(found.group(1).encode()) <= 63, found.group(1)
    fingerprint = (
        f'SELECT \'a\' || x.id, p.label FROM "child of a" x JOIN "{long_a}" p ON p."Id" = x."Parent" UNION ALL '
        f'SELECT \'b\' || x.id, p.label FROM "child of select" x JOIN "{long_b}" p ON p."Id" = x."Parent" UNION ALL '
        f'SELECT \'c\' || x.id, p.label FROM "child of c" x JOIN "{long_c}" p ON p."Id" = x."Parent"')
    before = sorted(writer.exec_driver_sql(fingerprint).all())
    _run(writer, migration)
    assert sorted(writer.exec_driver_sql(fingerprint).all()) == before and len(before) == 200
    assert any("No index leads with" in n for n in migration.notes)  # "Parent" has none: each batch scans
    for view, child in (("parents seen", "child of select"), ("parents seen c", "child of c")):
        assert sorted(writer.exec_driver_sql(f'SELECT p, n FROM "{view}"').all()) == sorted(writer.exec_driver_sql(
            f'SELECT "Parent", count(*) FROM "{child}" GROUP BY 1').all()), view  # refreshed: moved ids
    ids = []
    for t in (long_a, long_b, long_c):
        ids += [r[0] for r in writer.exec_driver_sql(f'SELECT "Id" FROM "{t}"').all()]
        ids.append(_scalar(writer, f'INSERT INTO "{t}" (label) VALUES (\'new\') RETURNING "Id"'))
    assert len(ids) == len(set(ids)) == 40 + 25 + 30 + 3


def test_refused_on_sqlite_and_mysql_but_measured(sqlite_url: str, mysql_url: str) -> None:
    """Measured everywhere; where a discriminator value cannot be mapped (SQLite has no trigger body saying
    'manual' is content_items) that column is counted undiscriminated with the reason, and the team's config
    settles it."""
    stated = {"generation_jobs.content_id": {"by": "content_kind", "others": [],
                                             "values": {"manual": "content_items", "auto": "content_items_auto"}}}
    load_seeder().build_database(sqlite_url, rows=30)
    snapshot, closure, cfg = _setup(sqlite_url)
    unsure = _measure(sqlite_url, snapshot, closure, cfg).by_column["generation_jobs.content_id"]
    assert not unsure["discriminated"] and "[tool.impact.polymorphic]" in unsure["refused"]
    with pytest.raises(MigrationRefused, match="SQLite has no sequences"):
        build_shared_sequence(snapshot, closure, _measure(sqlite_url, snapshot, closure, cfg), None, cfg)
    for url in (sqlite_url, mysql_url):
        if url == mysql_url:
            load_seeder().build_database(url, rows=30)
        snapshot, closure, cfg = _setup(url)
        cfg = replace(cfg, polymorphic=stated)
        collisions = _measure(url, snapshot, closure, cfg)
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            ids = conn.exec_driver_sql(
                "SELECT count(*) FROM content_items a JOIN content_items_auto b ON a.id = b.id").scalar_one()
            jobs = conn.exec_driver_sql(
                "SELECT count(*) FROM generation_jobs WHERE content_kind = 'auto' AND content_id IN "
                "(SELECT a.id FROM content_items a JOIN content_items_auto b ON a.id = b.id)").scalar_one()
        engine.dispose()
        assert collisions.ids == ids > 0
        assert collisions.by_column["generation_jobs.content_id"]["by_target"]["content_items_auto.id"] == jobs
        with pytest.raises(MigrationRefused, match="SQLite has no sequences" if "sqlite" in url else "MariaDB"):
            build_shared_sequence(snapshot, closure, collisions, None, cfg)


def test_one_target_or_a_non_integer_key_is_refused(pg_url: str, run_sql: Callable[[str, str], None]) -> None:
    run_sql(pg_url, "CREATE TABLE a (id uuid PRIMARY KEY)\n;;\nCREATE TABLE b (id uuid PRIMARY KEY)\n;;\n"
                    "CREATE TABLE c (id serial PRIMARY KEY)")
    snapshot, closure, cfg = _setup(pg_url, (Target("c", "id"),), Config())
    with pytest.raises(MigrationRefused, match="two or more targets"):
        build_shared_sequence(snapshot, closure, _measure(pg_url, snapshot, closure, cfg), None, cfg)
    snapshot, closure, cfg = _setup(pg_url, (Target("a", "id"), Target("b", "id")), Config())
    with pytest.raises(MigrationRefused, match="hands out integers"):
        _measure(pg_url, snapshot, closure, cfg)
    empty = Collisions(0, 0, {}, {}, "")
    with pytest.raises(MigrationRefused, match="hands out integers"):
        build_shared_sequence(snapshot, closure, empty, None, cfg)
