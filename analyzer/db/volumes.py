"""Row counts and sizes: catalogue estimates, bounded exact counts where the estimate is unknown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

#: a table whose estimate is unknown gets `count(*)` over at most this many rows
COUNT_BOUND = 100_000
_BATCH = 200


@dataclass(frozen=True, slots=True)
class Volume:
    rows: int | None = None
    estimated: bool = True
    bytes: int | None = None
    index_bytes: int | None = None
    toast_bytes: int | None = None


Key = tuple[str | None, str]


Catalogue = tuple[dict[Key, Volume], set[Key]]


def catalogue_volumes(conn: sa.Connection, dialect: str, default: str | None,
                      schemas: Sequence[str | None]) -> Catalogue:
    """What the catalogue says (estimates and sizes) for every table of `schemas`; the partitioned parents."""
    names = [(s, "") for s in schemas]
    if dialect == "postgresql":
        return _postgres(conn, default, names)
    if dialect == "mysql":
        return _mysql(conn, default, names), set()
    if dialect == "sqlite":
        return _sqlite(conn), set()
    return {}, set()


def complete_volumes(conn: sa.Connection, dialect: str, names: Sequence[Key], catalogue: Catalogue,
                     exact: bool) -> dict[Key, Volume]:
    """Count the tables whose estimate is unknown (bounded), or all of them with `exact`."""
    out, partitioned = dict(catalogue[0]), catalogue[1]
    unknown = [k for k in names if k not in partitioned
               and (exact or dialect == "sqlite" or (out.get(k) or Volume()).rows is None)]
    bound = None if exact or dialect == "sqlite" else COUNT_BOUND
    counts = _counts(conn, unknown, bound)
    for key, n in counts.items():
        prev = out.get(key, Volume())
        estimated = bound is not None and n > bound
        out[key] = Volume(n, estimated, prev.bytes, prev.index_bytes, prev.toast_bytes)
    return out


def reflect_volumes(conn: sa.Connection, dialect: str, default: str | None, names: Sequence[Key],
                    exact: bool) -> dict[Key, Volume]:
    catalogue = catalogue_volumes(conn, dialect, default, sorted({s for s, _ in names}, key=str))
    return complete_volumes(conn, dialect, names, catalogue, exact)


def _postgres(conn: sa.Connection, default: str | None, names: Sequence[Key]
              ) -> tuple[dict[Key, Volume], set[Key]]:
    schemas = sorted({s or default or "public" for s, _ in names})
    # since PostgreSQL 14, reltuples = -1 means "never analysed" and 0 means empty; before, 0 was both
    zero_known = (conn.dialect.server_version_info or (0,)) >= (14,)
    rows = conn.execute(sa.text(
        """
        SELECT n.nspname, c.relname, c.reltuples::bigint, c.relkind,
               pg_table_size(c.oid) - COALESCE(pg_total_relation_size(NULLIF(c.reltoastrelid, 0)), 0),
               pg_indexes_size(c.oid),
               COALESCE(pg_total_relation_size(NULLIF(c.reltoastrelid, 0)), 0)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'f') AND n.nspname = ANY(:schemas)
        """
    ), {"schemas": schemas}).all()
    out: dict[Key, Volume] = {}
    partitioned: set[Key] = set()
    for nsp, rel, tuples, kind, tbytes, ibytes, toast in rows:
        key = (None if nsp == default else nsp, rel)
        if kind == "p":  # holds no rows itself: its partitions' volumes are added by the caller
            partitioned.add(key)
            out[key] = Volume(0, True, 0, 0, 0)
            continue
        known = tuples is not None and (tuples > 0 or (tuples == 0 and zero_known))
        out[key] = Volume(int(tuples) if known else None, True, int(tbytes or 0), int(ibytes or 0), int(toast or 0))
    return out, partitioned


def _mysql(conn: sa.Connection, default: str | None, names: Sequence[Key]) -> dict[Key, Volume]:
    schemas = sorted({s or default or "" for s, _ in names})
    rows = conn.execute(
        sa.text(
            "SELECT table_schema, table_name, table_rows, data_length, index_length "
            "FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema IN :schemas"
        ).bindparams(sa.bindparam("schemas", expanding=True)),
        {"schemas": schemas},
    ).all()
    out: dict[Key, Volume] = {}
    for sch, rel, trows, dlen, ilen in rows:
        key = (None if sch == default else sch, rel)
        known = trows is not None and int(trows) > 0
        out[key] = Volume(int(trows) if known else None, True, int(dlen or 0), int(ilen or 0), None)
    return out


def _sqlite(conn: sa.Connection) -> dict[Key, Volume]:
    """Table and index bytes from the `dbstat` virtual table, when SQLite was built with it."""
    try:
        query = sa.text("SELECT name, sum(pgsize) FROM dbstat GROUP BY name")
        sizes: dict[str, int] = {str(n): int(b or 0) for n, b in conn.execute(query)}
    except sa.exc.DBAPIError:
        _rollback(conn)
        return {}
    owners = conn.execute(sa.text("SELECT name, type, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')"))
    out: dict[Key, list[int]] = {}
    for name, kind, table in owners:
        acc = out.setdefault((None, table), [0, 0])
        acc[0 if kind == "table" else 1] += int(sizes.get(name) or 0)
    return {k: Volume(None, False, v[0], v[1], None) for k, v in out.items()}


def _counts(conn: sa.Connection, keys: Sequence[Key], bound: int | None) -> dict[Key, int]:
    """count(*) of many tables in few round trips (UNION ALL batches); a failing batch is retried per table."""
    prep = conn.dialect.identifier_preparer
    out: dict[Key, int] = {}

    def source(key: Key) -> str:
        schema, name = key
        qual = f"{prep.quote_schema(schema)}.{prep.quote(name)}" if schema else prep.quote(name)
        if bound is None:
            return f"SELECT count(*) FROM {qual}"
        return f"SELECT count(*) FROM (SELECT 1 AS x FROM {qual} LIMIT {bound + 1}) AS b"

    for i in range(0, len(keys), _BATCH):
        batch = list(keys[i:i + _BATCH])
        sql = " UNION ALL ".join(f"SELECT {j} AS k, ({source(k)}) AS n" for j, k in enumerate(batch))
        try:
            for j, n in conn.execute(sa.text(sql)).all():
                out[batch[int(j)]] = int(n)
            conn.commit()  # release the share locks batch by batch (max_locks_per_transaction)
        except sa.exc.DBAPIError:
            _rollback(conn)
            for key in batch:  # one slow table must not lose the others (statement timeout)
                try:
                    out[key] = int(conn.execute(sa.text(source(key))).scalar() or 0)
                    conn.commit()
                except sa.exc.DBAPIError:
                    _rollback(conn)
    return out


def _rollback(conn: sa.Connection) -> None:
    try:
        conn.rollback()
    except sa.exc.DBAPIError:  # pragma: no cover - connection already gone
        pass
