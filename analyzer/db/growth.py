"""What the type change costs in bytes and locks, per table: projected growth and table rewrites."""

from __future__ import annotations

from analyzer.db.graph import type_family
from analyzer.models import Closure, SchemaSnapshot

#: bytes per value by type family (fixed-width storage; text is an average of a UUID's 36 chars + header)
_WIDTH = {"SMALLINT": 2, "INTEGER": 4, "INT": 4, "MEDIUMINT": 3, "BIGINT": 8, "UUID": 16, "TEXT": 37}


#: what changing a column's type holds while the table is rewritten, by engine
_LOCKS = {
    "postgresql": "ACCESS EXCLUSIVE",  # ALTER COLUMN TYPE rewrites the table and its indexes
    "mysql": "SHARED (ALGORITHM=COPY: the table is copied, writes wait)",
    "sqlite": "database write lock (the table is rebuilt: SQLite cannot ALTER COLUMN TYPE)",
    "models": "ACCESS EXCLUSIVE (PostgreSQL; the engine is not known without --db)",
}


def width(type_name: str) -> int | None:
    t = type_name.upper().split("(")[0].replace(" UNSIGNED", "").strip()
    if t in _WIDTH:
        return _WIDTH[t]
    fam = type_family(type_name)
    return {"int": 4, "uuid": 16}.get(fam)


def growth(snapshot: SchemaSnapshot, closure: Closure, to: str) -> dict[str, dict[str, object]]:
    """Per impacted table: columns, bytes per row before/after, projected table and index growth,
    and whether `ALTER COLUMN ... TYPE` rewrites the table under an ACCESS EXCLUSIVE lock.

    `to` is a key of models.TARGET_TYPES ("uuid", "uuid7", "bigint", "text") or a type name.
    """
    to_type = {"uuid": "UUID", "uuid7": "UUID", "bigint": "BIGINT", "text": "TEXT"}.get(to.lower(), to.upper())
    new_w = width(to_type) or 0
    out: dict[str, dict[str, object]] = {}
    for name in sorted(closure.tables):
        table = snapshot.table(name)
        if table is None:
            continue
        cols = closure.columns_of(name)
        per_row = 0
        changed: list[str] = []
        delta: dict[str, int] = {}
        for c in cols:
            if c.type.upper() != to_type:
                changed.append(c.column)
                delta[c.column] = new_w - (width(c.type) or 0)
                per_row += delta[c.column]
        touched = [ix for ix in table.indexes if set(ix.columns) & set(changed)]
        indexed = [ix.name for ix in touched]
        index_delta = sum(delta[c] for ix in touched for c in ix.columns if c in delta)
        pk_indexed = any(tuple(ix.columns) == table.primary_key for ix in table.indexes)
        if set(table.primary_key) & set(changed) and not pk_indexed:
            indexed.append(f"{name} primary key")  # engines list the PK index apart from the others
            index_delta += sum(delta[c] for c in table.primary_key if c in delta)
        rows = table.rows or 0
        # the rewrite is in place only for a same-width change PostgreSQL knows is binary-coercible
        rewrite = bool(changed) and not (to_type == "TEXT" and all(
            type_family(c.type) == "text" for c in cols))
        out[name] = {
            "columns": changed,
            "rows": table.rows,
            "rows_estimated": table.rows_estimated,
            "bytes": table.bytes,
            "index_bytes": table.index_bytes,
            "bytes_per_row": per_row,
            "table_growth_bytes": per_row * rows,
            "index_growth_bytes": max(0, index_delta) * rows,
            "indexes": indexed,
            # constraints to drop and re-create around the change (their columns change type together)
            "foreign_keys": [fk.name or f"({', '.join(fk.columns)}) -> {fk.ref_table}"
                             for fk in table.foreign_keys if set(fk.columns) & set(changed)],
            "rewrite": rewrite,
            "lock": _LOCKS.get(snapshot.dialect, "unknown") if rewrite else None,
        }
    return out
