"""Reflection benchmark: `impact schema` (bulk reflection) against SQLAlchemy's `MetaData.reflect`.

Builds a PostgreSQL schema of N tables (default 2,000) with foreign keys and indexes in a scratch
database, then times, in the same run and on the same database:

* `analyzer.db.reflect()` alone and `reflect + build_graph + render_schema(json)` (what `impact schema` does),
* `sqlalchemy.MetaData().reflect(engine)` (table objects with columns, keys and indexes).

    python benchmarks/bench_schema.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/test]
                                      [--tables 2000] [--repeat 3] [--keep]
                                      [--mysql mysql+pymysql://root@127.0.0.1:3306/test]

The server URL defaults to IMPACT_TEST_PG_URL or the local default; the scratch database gets a random
name and is dropped at the end (unless --keep).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from analyzer import db
from analyzer.config import Config
from analyzer.models import SchemaSnapshot


def ddl(n: int) -> list[str]:
    """n tables; table i references table i // 2 and i // 3 (a wide, deep FK graph), with indexes."""
    out = []
    for i in range(n):
        cols = ["id SERIAL PRIMARY KEY", "name TEXT NOT NULL", "created_at TIMESTAMPTZ NOT NULL DEFAULT now()",
                "amount NUMERIC(12, 2)", "status TEXT"]
        fks = []
        if i:
            cols.append(f"t{i // 2:04d}_id INTEGER NOT NULL REFERENCES t{i // 2:04d} (id) ON DELETE CASCADE")
            fks.append(f"t{i // 2:04d}_id")
        if i > 2 and i // 3 != i // 2:
            cols.append(f"t{i // 3:04d}_id INTEGER REFERENCES t{i // 3:04d} (id)")
            fks.append(f"t{i // 3:04d}_id")
        out.append(f"CREATE TABLE t{i:04d} ({', '.join(cols)})")
        for fk in fks:
            out.append(f"CREATE INDEX ix_t{i:04d}_{fk} ON t{i:04d} ({fk})")
        out.append(f"CREATE UNIQUE INDEX ux_t{i:04d}_name ON t{i:04d} (name, status)")
    return out


def best_of(repeat: int, fn: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


def bench_mysql(server_url: str, n: int, repeat: int) -> None:
    """SQLAlchemy's MySQL dialect reflects table by table (SHOW CREATE TABLE); impact reads
    information_schema in bulk."""
    server = make_url(server_url)
    name = f"impact_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE `{name}`"))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        writer = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with writer.begin() as conn:
            for i in range(n):
                cols = ["id INT AUTO_INCREMENT PRIMARY KEY", "name VARCHAR(100) NOT NULL", "status VARCHAR(20)"]
                if i:
                    cols.append(f"t{i // 2:04d}_id INT NOT NULL, CONSTRAINT fk_t{i:04d} FOREIGN KEY "
                                f"(t{i // 2:04d}_id) REFERENCES t{i // 2:04d} (id)")
                conn.exec_driver_sql(f"CREATE TABLE t{i:04d} ({', '.join(cols)}, KEY ix_t{i:04d}_name (name, status))")
        writer.dispose()

        def sqlalchemy_reflect() -> object:
            engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
            try:
                meta = sa.MetaData()
                meta.reflect(engine)
                return meta
            finally:
                engine.dispose()

        t_sa, _ = best_of(repeat, sqlalchemy_reflect)
        t_ours, _ = best_of(repeat, lambda: db.reflect(url))
        print(f"mysql tables={n}: MetaData.reflect {t_sa:.2f} s, impact reflect() {t_ours:.2f} s, "
              f"ratio {t_ours / t_sa:.2f}x")
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("IMPACT_TEST_PG_URL",
                                                        "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--tables", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="do not drop the scratch database")
    parser.add_argument("--mysql", metavar="URL", help="also compare on this MySQL/MariaDB server "
                        "(a quarter of the tables: MySQL DDL is slow to build)")
    args = parser.parse_args(argv)
    if args.mysql:
        bench_mysql(args.mysql, max(1, args.tables // 4), args.repeat)

    server = make_url(args.url)
    name = f"impact_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        started = time.perf_counter()
        writer = sa.create_engine(url, poolclass=sa.pool.NullPool)
        statements = ddl(args.tables)
        for i in range(0, len(statements), 300):  # commit in chunks: max_locks_per_transaction
            with writer.begin() as conn:
                for stmt in statements[i:i + 300]:
                    conn.exec_driver_sql(stmt)
        with writer.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
        writer.dispose()
        print(f"built {args.tables} tables in {time.perf_counter() - started:.1f}s ({db.redact(url)})")

        def ours() -> object:
            return db.reflect(url)

        def ours_full() -> object:
            snap = db.reflect(url)
            return db.render_schema(snap, db.build_graph(snap, Config()), "json")

        def sqlalchemy_reflect() -> object:
            engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
            try:
                meta = sa.MetaData()
                meta.reflect(engine)
                return meta
            finally:
                engine.dispose()

        def floor() -> object:
            """The bulk-reflection floor: the inspector's get_multi_* calls alone, nothing built."""
            engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
            try:
                with engine.connect() as conn:
                    insp = sa.inspect(conn)
                    return [insp.get_multi_columns(), insp.get_multi_pk_constraint(),
                            insp.get_multi_foreign_keys(), insp.get_multi_indexes(),
                            insp.get_multi_unique_constraints()]
            finally:
                engine.dispose()

        t_floor, _ = best_of(args.repeat, floor)
        t_sa, meta = best_of(args.repeat, sqlalchemy_reflect)
        t_ours, snap = best_of(args.repeat, ours)
        t_full, _ = best_of(args.repeat, ours_full)
        assert isinstance(meta, sa.MetaData) and len(meta.tables) == args.tables
        assert isinstance(snap, SchemaSnapshot) and len(snap.tables) == args.tables
        fks = sum(len(t.foreign_keys) for t in snap.tables)
        print(f"tables={args.tables} foreign_keys={fks} repeat={args.repeat} (best of)")
        print(f"bulk-reflection floor (get_multi_*): {t_floor:8.2f} s")
        print(f"sqlalchemy MetaData.reflect      : {t_sa:8.2f} s")
        print(f"impact reflect()                 : {t_ours:8.2f} s   ratio {t_ours / t_sa:.2f}x of MetaData.reflect, "
              f"{t_ours / t_floor:.2f}x of the floor")
        print(f"impact schema (reflect+graph+json): {t_full:8.2f} s   ratio {t_full / t_sa:.2f}x of MetaData.reflect")
        return 0
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
