"""A scratch PostgreSQL database that holds a key's closure with integer ids, read from a checkout's models.

    python benchmarks/make_bench_db.py PATH --target organizations.id [--name impact_bench_polar]
        [--admin postgresql://postgres@127.0.0.1:5432/postgres] [--type INTEGER] [--replace]

Why: `impact` follows integer keys and refuses a key already of the type asked for. A real tree whose key
is a UUID (polar's `organizations.id`) is still the large, key-everywhere tree the performance benchmark
needs, so `bench_realworld.py --db` points at a database where the key is an integer: this script reads the
models in PATH (the same reader `impact` uses without `--db`), computes the key's closure there, and creates
one table per table of the closure holding its primary key and its impacted columns, the impacted ones as
`--type`, with the declared foreign keys between them. Nothing else of the checkout's schema is created.

It creates (or with `--replace` drops and recreates) the database `--name` through `--admin`; it refuses to
touch any database whose name does not start with `impact_bench_`. Prints the database URL to pass as
`--db`. Example (what the README's polar table used):

    python benchmarks/make_bench_db.py /work/realworld/polar --target organizations.id --replace
    python benchmarks/bench_realworld.py /work/realworld/polar --target organizations.id \\
        --db postgresql://postgres@127.0.0.1:5432/impact_bench_polar
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

_PG_TYPES = {"UUID", "INTEGER", "BIGINT", "SMALLINT", "TEXT", "VARCHAR", "BOOLEAN", "TIMESTAMP", "DATE"}


def _pg_type(type_name: str) -> str:
    base = re.sub(r"\(.*\)", "", type_name.upper()).strip()
    return base if base in _PG_TYPES else "TEXT"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def ddl(path: str, targets: list[str], int_type: str) -> tuple[list[str], int, int]:
    """CREATE TABLE statements for the closure of `targets` in the models under `path`."""
    from analyzer.config import Config
    from analyzer.db import compute_closure, schema_from_models
    from analyzer.sources import Limits, discover_all

    cfg = Config()
    files = discover_all((path,), cfg.excludes, Limits.of(cfg)).files
    schema = schema_from_models([f for f in files if f.language == "python"])
    from analyzer.models import Target

    wanted = []
    for text in targets:
        table, _, column = text.rpartition(".")
        t = schema.table(table)
        col = t.column(column) if t else None
        if col is None:
            raise SystemExit(f"{text}: no such column in the models under {path}")
        wanted.append(Target(table, column, from_type=col.type, to_type="UUID"))
    closure = compute_closure(schema, wanted, cfg)
    impacted: dict[str, set[str]] = {}
    for c in closure.columns:
        impacted.setdefault(c.table, set()).add(c.column)
    statements: list[str] = []
    order = sorted(impacted, key=lambda n: (n not in {t.table for t in wanted}, n))
    created = set(order)
    for name in order:
        table = schema.table(name)
        assert table is not None
        cols = [c for c in table.columns if c.name in impacted[name] or c.name in table.primary_key]
        lines = []
        for c in cols:
            typ = int_type if c.name in impacted[name] else _pg_type(c.type)
            lines.append(f"{_q(c.name)} {typ}" + ("" if c.nullable and c.name not in table.primary_key else " NOT NULL"))
        if table.primary_key:
            lines.append(f"PRIMARY KEY ({', '.join(_q(k) for k in table.primary_key)})")
        statements.append(f"CREATE TABLE {_q(name)} (\n  " + ",\n  ".join(lines) + "\n)")
    for name in order:
        table = schema.table(name)
        assert table is not None
        for fk in table.foreign_keys:
            if fk.ref_table in created and set(fk.columns) <= impacted[name]:
                ref = schema.table(fk.ref_table)
                if ref is None or not set(fk.ref_columns) <= (impacted[fk.ref_table] | set(ref.primary_key)):
                    continue
                statements.append(f"ALTER TABLE {_q(name)} ADD FOREIGN KEY ({', '.join(_q(c) for c in fk.columns)}) "
                                  f"REFERENCES {_q(fk.ref_table)} ({', '.join(_q(c) for c in fk.ref_columns)})")
    return statements, len(order), len(closure.columns)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("path", help="a checkout (read only)")
    p.add_argument("--target", action="append", required=True, help="TABLE.COLUMN, repeatable")
    p.add_argument("--name", default="impact_bench_polar", help="the database to create (impact_bench_*)")
    p.add_argument("--admin", default="postgresql://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--type", default="INTEGER", help="the impacted columns' type")
    p.add_argument("--replace", action="store_true", help="drop the database first if it exists")
    p.add_argument("--print", action="store_true", help="print the DDL and create nothing")
    args = p.parse_args(argv)
    if not re.fullmatch(r"impact_bench_\w+", args.name):
        p.error("--name must start with impact_bench_ (a scratch database this script may drop)")
    statements, tables, columns = ddl(args.path, args.target, args.type)
    if args.print:
        print(";\n".join(statements) + ";")
        return 0
    import psycopg

    with psycopg.connect(args.admin, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (args.name,)).fetchone()
        if exists and not args.replace:
            p.error(f"database {args.name} exists (--replace drops it)")
        if exists:
            admin.execute(f"DROP DATABASE {_q(args.name)}")
        admin.execute(f"CREATE DATABASE {_q(args.name)}")
    url = args.admin.rsplit("/", 1)[0] + "/" + args.name
    with psycopg.connect(url) as conn:
        for s in statements:
            conn.execute(s)  # type: ignore[arg-type]
    print(f"{url}  ({tables} tables, {columns} impacted columns as {args.type})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
