"""migration.sql: the data side of the key change, PostgreSQL first, as an expand/backfill/contract script.

The script is written for people to review and run in steps, never executed by `impact`. Each table
carries its rows so the batches can be sized. To UUID (or text) the new key lives beside the old one
until every reference is backfilled, then the constraints are swapped in one short transaction; to
bigint the columns are altered in place (a table rewrite under ACCESS EXCLUSIVE lock, said per table).
"""

from __future__ import annotations

from collections import defaultdict

from analyzer.db import dependents
from analyzer.models import Closure, ImpactedColumn, Reference, SchemaSnapshot

NEW_TYPES = {"UUID": "uuid", "BIGINT": "bigint", "TEXT": "text"}


def _q(name: str) -> str:
    """Quote an identifier only when PostgreSQL needs it; schema-qualified names per part."""
    parts = name.split(".")
    return ".".join(p if p.isidentifier() and p == p.lower() else '"' + p.replace('"', '""') + '"' for p in parts)


def _rows(schema: SchemaSnapshot, table: str) -> str:
    t = schema.table(table)
    if t is None or t.rows is None:
        return "rows unknown"
    return f"{'~' if t.rows_estimated else ''}{t.rows:,} rows"


def render_migration(schema: SchemaSnapshot, closure: Closure, to: str) -> str:
    to_type = closure.targets[0].to_type if closure.targets else "UUID"
    sql_type = NEW_TYPES.get(to_type, "uuid")
    targets = ", ".join(t.qualified for t in closure.targets)
    head = [
        f"-- impact migration plan: {targets} -> {sql_type} (--to {to})",
        f"-- source schema: {schema.source or schema.dialect}; PostgreSQL syntax.",
        "-- Review before running. Run each step separately; steps marked BATCH should be run in",
        "-- batches (e.g. 10k rows) outside a long transaction to keep locks short.",
        "",
    ]
    if sql_type == "bigint":
        return "\n".join(head + _bigint(schema, closure)) + "\n"
    return "\n".join(head + _expand_contract(schema, closure, sql_type, to)) + "\n"


def _bigint(schema: SchemaSnapshot, closure: Closure) -> list[str]:
    out = ["-- bigint: ALTER COLUMN TYPE rewrites each table and holds ACCESS EXCLUSIVE for the rewrite.", ""]
    views = _views(schema, closure)
    if views:
        out.append("-- Views that read these columns block ALTER COLUMN TYPE: dropped here and re-created below")
        out.append("-- from their current definition (re-apply their grants and comments afterwards).")
        out += [f"DROP {kind.upper()} IF EXISTS {_q(name)};" for name, (kind, _body) in views.items()]
        out.append("")
    for col in closure.columns:
        out.append(f"-- {col.qualified} ({_rows(schema, col.table)}; {col.reason})")
        out.append(f"ALTER TABLE {_q(col.table)} ALTER COLUMN {_q(col.column)} TYPE bigint;")
        table = schema.table(col.table)
        column = table.column(col.column) if table else None
        if column is not None and column.sequence:
            out.append(f"ALTER SEQUENCE {_q(column.sequence)} AS bigint;")
        out.append("")
    for name, (kind, body) in views.items():
        out.append(f"CREATE {kind.upper()} {_q(name)} AS {body};")
    return out


def _views(schema: SchemaSnapshot, closure: Closure) -> dict[str, tuple[str, str]]:
    """name -> (kind, SELECT body) of the views and materialized views that read an impacted column."""
    out: dict[str, tuple[str, str]] = {}
    for d in dependents(schema, closure):
        if d.kind in ("view", "materialized view") and d.definition.strip():
            out.setdefault(d.name, (d.kind, d.definition.strip().rstrip(";").strip()))
    return out


def _expand_contract(schema: SchemaSnapshot, closure: Closure, sql_type: str, to: str) -> list[str]:
    generator = {"uuid": "gen_random_uuid()", "text": "gen_random_uuid()::text"}[sql_type]
    if to == "uuid7":
        generator = "uuidv7()  -- PostgreSQL 18+, or the pg_uuidv7 extension's uuid_generate_v7()"
    target_names = {t.qualified for t in closure.targets}
    incoming: dict[str, list[Reference]] = defaultdict(list)
    for ref in closure.references:
        if ref.kind != "polymorphic" and closure.is_impacted(ref.from_table, ref.from_column):
            incoming[ref.source].append(ref)
    out = ["-- Step 1 (expand): a new key beside the old one on every target table."]
    for t in closure.targets:
        new = f"{t.column}_new"
        out += [
            f"-- {t.table} ({_rows(schema, t.table)})",
            f"ALTER TABLE {_q(t.table)} ADD COLUMN {_q(new)} {sql_type};",
            f"ALTER TABLE {_q(t.table)} ALTER COLUMN {_q(new)} SET DEFAULT {generator};",
            f"UPDATE {_q(t.table)} SET {_q(new)} = {generator.split('  --')[0]} WHERE {_q(new)} IS NULL;  -- BATCH",
            f"CREATE UNIQUE INDEX CONCURRENTLY {_q(t.table.split('.')[-1] + '_' + new + '_key')} "
            f"ON {_q(t.table)} ({_q(new)});",
            "",
        ]
    out.append("-- Step 2 (expand): a new column beside every referencing column, backfilled by join.")
    referencing: list[ImpactedColumn] = [c for c in closure.columns if c.qualified not in target_names]
    for col in referencing:
        new = f"{col.column}_new"
        out.append(f"-- {col.qualified} ({_rows(schema, col.table)}; {col.reason})")
        out.append(f"ALTER TABLE {_q(col.table)} ADD COLUMN {_q(new)} {sql_type};")
        refs = incoming.get(col.qualified, [])
        dests = sorted({r.dest for r in refs if r.dest in target_names} or target_names)
        shared = len(dests) > 1
        disc = _discriminator(schema, col) if shared else None
        if shared:
            # Joining on the bare integer would give a row the key of whichever table has that number:
            # wrong data, silently. These statements stay commented until a person says which rows are whose.
            out.append(f"-- REVIEW: ids in {col.qualified} come from one id space shared by {', '.join(dests)};")
            out.append(f"-- each row belongs to one of them. Fill in the values of {disc or '<the column that says which>'}"
                       " and uncomment:")
        for dest in dests:
            table, _, column = dest.rpartition(".")
            stmt = (f"UPDATE {_q(col.table)} AS r SET {_q(new)} = t.{_q(column + '_new')} FROM {_q(table)} AS t "
                    f"WHERE r.{_q(col.column)} = t.{_q(column)} AND r.{_q(new)} IS NULL")
            if shared:
                cond = f"r.{_q(disc)} = '<value meaning {table}>'" if disc else f"<the row belongs to {table}>"
                out.append(f"-- {stmt} AND {cond};  -- BATCH")
            else:
                out.append(f"{stmt};  -- BATCH")
        out.append("")
    deps = [d for d in dependents(schema, closure) if d.kind != "sequence"]
    if deps:
        out.append("-- Dependents that read the old columns: a rename keeps them on the *_old column, and the")
        out.append("-- DROP COLUMN of step 4 fails while they exist. Re-create each on the new column in step 3:")
        grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
        bodies: dict[tuple[str, str], str] = {}
        for d in deps:
            grouped[(d.kind, d.name)].append(f"{d.table}.{d.column}")
            bodies[(d.kind, d.name)] = " ".join(d.definition.split())
        for (kind, name), cols in grouped.items():
            body = bodies[(kind, name)]
            out.append(f"--   {kind} {name} (reads {', '.join(dict.fromkeys(cols))})" + (f": {body[:160]}" if body else ""))
        out.append("")
    out.append("-- Step 3 (contract): swap in one short transaction, after the application writes both.")
    out.append("BEGIN;")
    for col in referencing:
        for fk in _fks(schema, col):
            out.append(f"ALTER TABLE {_q(col.table)} DROP CONSTRAINT {_q(fk)};")
    for col in closure.columns:
        out += [
            f"ALTER TABLE {_q(col.table)} RENAME COLUMN {_q(col.column)} TO {_q(col.column + '_old')};",
            f"ALTER TABLE {_q(col.table)} RENAME COLUMN {_q(col.column + '_new')} TO {_q(col.column)};",
        ]
    for t in closure.targets:
        pk = f"{t.table.split('.')[-1]}_pkey"
        out += [
            f"ALTER TABLE {_q(t.table)} DROP CONSTRAINT IF EXISTS {_q(pk)};",
            f"ALTER TABLE {_q(t.table)} ADD CONSTRAINT {_q(pk)} PRIMARY KEY USING INDEX "
            f"{_q(t.table.split('.')[-1] + '_' + t.column + '_new_key')};",
        ]
    validations: list[str] = []
    for col in referencing:
        for ref in incoming.get(col.qualified, []):
            if ref.kind == "declared":
                table, _, column = ref.dest.rpartition(".")
                name = _fk_name(col)
                out.append(
                    f"ALTER TABLE {_q(col.table)} ADD CONSTRAINT {_q(name)} FOREIGN KEY ({_q(col.column)}) "
                    f"REFERENCES {_q(table)} ({_q(column)}) NOT VALID;"
                )
                validations.append(f"ALTER TABLE {_q(col.table)} VALIDATE CONSTRAINT {_q(name)};")
    out += ["COMMIT;", "", "-- Step 4: validate the new constraints (no long lock), then drop the old columns when",
            "-- nothing reads them any more.", *validations]
    for col in closure.columns:
        out.append(f"ALTER TABLE {_q(col.table)} DROP COLUMN {_q(col.column + '_old')};  -- after a release")
    return out


def _fk_name(col: ImpactedColumn) -> str:
    return f"{col.table.split('.')[-1]}_{col.column}_fkey"[:63]


def _discriminator(schema: SchemaSnapshot, col: ImpactedColumn) -> str | None:
    """The column that says which table a shared-space id belongs to: `<x>_type` beside `<x>_id`, else the
    table's one `*_type` / `*_kind` / `*_table` column."""
    table = schema.table(col.table)
    if table is None:
        return None
    names = [c.name for c in table.columns]
    stem = col.column[:-3] if col.column.lower().endswith("_id") else col.column
    for suffix in ("_type", "_kind", "_table", "_model"):
        if stem + suffix in names:
            return stem + suffix
    loose = [n for n in names if n.lower().endswith(("_type", "_kind", "_table")) or n.lower() in ("kind", "type")]
    return loose[0] if len(loose) == 1 else None


def _fks(schema: SchemaSnapshot, col: ImpactedColumn) -> list[str]:
    table = schema.table(col.table)
    if table is None:
        return []
    return [fk.name for fk in table.foreign_keys if col.column in fk.columns and fk.name]
