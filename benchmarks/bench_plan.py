"""Rehearsal benchmark: every strategy's migration run on a scratch copy of the fixture database at full size.

Seeds (or, with --reuse, keeps) the content_app fixture database on PostgreSQL at N content items (default
1,170,000, ~85 s via COPY), builds each strategy's migration the way `impact plan` does, rehearses them all
on a scratch database and prints per strategy: rows copied, copy time, every step's seconds (scaled to
the full table sizes when --sample is given), the longest step that holds a lock, the total, whether every
check held, and a ratio against a baseline measured in the same process on the same copy: one plain
rewrite of the biggest impacted table (`CREATE TABLE AS SELECT`, then `ALTER TABLE ... TYPE bigint` on it).

    python benchmarks/bench_plan.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/test]
                                    [--rows 1170000] [--source-db impact_bench_plan] [--reuse]
                                    [--sample N] [--strategies uuid,uuid7,bigint,shared-sequence] [--keep]

The source database keeps its name between runs (so --reuse can skip the seeding); the scratch database
gets a random name and is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from analyzer import db
from analyzer.config import load
from analyzer.demo import fixture_app, load_seeder
from analyzer.models import Target
from analyzer.plan.rehearse import Rehearsal, rehearse
from analyzer.plan.steps import LOCKS, Migration

TARGETS = (Target("content_items", "id"), Target("content_items_auto", "id"))
STRATEGIES = ("uuid", "uuid7", "bigint", "shared-sequence")


def _admin(url: str, sql: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(sql))
    finally:
        engine.dispose()


def _exists(server: str, name: str) -> bool:
    engine = sa.create_engine(server, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar())
    finally:
        engine.dispose()


def _seeded_rows(url: str) -> int:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM content_items")).scalar() or 0)
    except sa.exc.DBAPIError:
        return 0
    finally:
        engine.dispose()


def _migrations(url: str, wanted: list[str]) -> tuple[dict[str, Migration], object, object]:
    cfg = load(fixture_app() / "pyproject.toml")
    schema = db.reflect(url)
    engine = db.open_engine(url)
    out: dict[str, Migration] = {}
    closure = db.compute_closure(schema, tuple(replace(t, to_type="BIGINT") for t in TARGETS), cfg)
    try:
        for strategy in wanted:
            t0 = time.perf_counter()
            try:
                if strategy == "shared-sequence":
                    from analyzer.plan.shared_sequence import build_shared_sequence, measure_collisions
                    collisions = measure_collisions(engine, schema, closure, cfg)
                    out[strategy] = build_shared_sequence(schema, closure, collisions, engine, cfg)
                    print(f"  collisions: {collisions.ids:,} ids, {collisions.referencing_rows:,} referencing rows")
                else:
                    from analyzer.plan.migration import build_migration
                    to = "UUID" if strategy.startswith("uuid") else strategy.upper()
                    c = db.compute_closure(schema, tuple(replace(t, to_type=to) for t in TARGETS), cfg)
                    out[strategy] = build_migration(schema, c, strategy, engine, cfg)
            except (ImportError, AttributeError) as exc:
                print(f"  {strategy}: not available ({exc})")
                continue
            print(f"  {strategy}: {len(out[strategy].steps)} steps, built in {time.perf_counter() - t0:.2f}s")
    finally:
        engine.dispose()
    return out, schema, closure


def _baseline(url: str, schema: object, closure: object) -> tuple[str, float, float]:
    """One plain rewrite of the biggest impacted table, full size, on the benchmark's own source database
    (which this script created): CTAS into a scratch table, then ALTER ... TYPE bigint on it, then drop it."""
    from analyzer.models import Closure, SchemaSnapshot
    assert isinstance(schema, SchemaSnapshot) and isinstance(closure, Closure)
    sized = [(t.rows or 0, t.name) for t in schema.tables if t.name in closure.tables]
    _, table = max(sized)
    column = closure.columns_of(table)[0].column
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS impact_bench_baseline"))
            t0 = time.perf_counter()
            conn.execute(sa.text(f'CREATE TABLE impact_bench_baseline AS SELECT * FROM "{table}"'))
            ctas = time.perf_counter() - t0
            t0 = time.perf_counter()
            conn.execute(sa.text(f'ALTER TABLE impact_bench_baseline ALTER COLUMN "{column}" TYPE bigint'))
            alter = time.perf_counter() - t0
            conn.execute(sa.text("DROP TABLE impact_bench_baseline"))
    finally:
        engine.dispose()
    return f"{table}.{column}", ctas, alter


def _report(name: str, migration: Migration, r: Rehearsal, baseline_s: float) -> None:
    steps = r.scaled_seconds(migration) if r.sample else r.step_seconds
    total = sum(s for _, s in steps)
    locked = [(secs, step.name, step.lock) for (_, secs), step in zip(steps, migration.steps, strict=False)
              if step.lock in LOCKS and LOCKS.index(step.lock) >= LOCKS.index("SHARE")]  # blocks writes
    longest = max(locked, default=(0.0, "-", "none"))
    copied = sum(r.rows.values())
    print(f"\n== {name}: {'ok' if r.ok else 'FAILED'}; {copied:,} rows copied in {r.copy_seconds:.1f}s"
          + (f" (sample {r.sample}; times scaled to full size)" if r.sample else ""))
    for (step_name, secs), step in zip(steps, migration.steps, strict=False):
        print(f"   {secs:9.2f}s  [{step.phase:8}] {step_name[:70]:70} {step.lock}"
              + ("" if step.transactional else " (no tx)"))
    phases: dict[str, float] = {}
    for (_, secs), step in zip(steps, migration.steps, strict=False):
        phases[step.phase] = phases.get(step.phase, 0.0) + secs
    print("   by phase: " + ", ".join(f"{p} {s:.1f}s" for p, s in phases.items()))
    print(f"   total {total:.1f}s; longest write-blocking lock {longest[0]:.1f}s ({longest[2]}: {longest[1][:60]}); "
          f"{total / baseline_s:.1f}x the baseline ALTER" if baseline_s else "")
    for f in r.failures:
        print(f"   FAILED CHECK: {f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default=os.environ.get("IMPACT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--rows", type=int, default=1_170_000)
    ap.add_argument("--source-db", default="impact_bench_plan")
    ap.add_argument("--reuse", action="store_true", help="keep the source database when it already holds --rows")
    ap.add_argument("--sample", type=int, default=None)
    ap.add_argument("--strategies", default=",".join(STRATEGIES))
    ap.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress shows in a log

    server = args.url
    source = make_url(server).set(database=args.source_db).render_as_string(hide_password=False)
    t0 = time.perf_counter()
    if args.reuse and _exists(server, args.source_db) and _seeded_rows(source) == args.rows:
        print(f"source {args.source_db}: reused ({args.rows:,} content items)")
    else:
        _admin(server, f'DROP DATABASE IF EXISTS "{args.source_db}" WITH (FORCE)')
        _admin(server, f'CREATE DATABASE "{args.source_db}"')
        load_seeder().build_database(source, rows=args.rows)
        print(f"source {args.source_db}: seeded {args.rows:,} content items in {time.perf_counter() - t0:.1f}s")
    _admin(source, "ANALYZE")

    print("building migrations")
    migrations, schema, closure = _migrations(source, [s.strip() for s in args.strategies.split(",") if s.strip()])
    scratch_name = f"impact_bench_scratch_{uuid.uuid4().hex[:8]}"
    scratch = make_url(server).set(database=scratch_name).render_as_string(hide_password=False)
    _admin(server, f'CREATE DATABASE "{scratch_name}"')
    bname, ctas, alter = _baseline(source, schema, closure)
    print(f"baseline on {bname} (full size): CREATE TABLE AS SELECT {ctas:.2f}s, ALTER ... TYPE bigint {alter:.2f}s")
    try:
        results: dict[str, Rehearsal] = {}
        cfg = load(fixture_app() / "pyproject.toml")
        for name, migration in migrations.items():  # one at a time, so each prints as soon as it is done
            t1 = time.perf_counter()
            results.update(rehearse(source, scratch, schema, closure, {name: migration},  # type: ignore[arg-type]
                                    sample=args.sample, config=cfg))
            print(f"\n{name}: rehearsed in {time.perf_counter() - t1:.1f}s (copy, migration, verification)")
            _report(name, migration, results[name], alter)
            sys.stdout.flush()
    finally:
        if not args.keep:
            _admin(server, f'DROP DATABASE IF EXISTS "{scratch_name}" WITH (FORCE)')
    return 0 if all(r.ok for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
