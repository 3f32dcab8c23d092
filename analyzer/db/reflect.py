"""Bulk reflection: one round of catalogue queries per schema, never one query per table.

SQLAlchemy's `Inspector.get_multi_*` calls fetch columns, keys, indexes and unique constraints of
every table of a schema at once; volumes (rows, bytes) and PostgreSQL dependents come from a few
catalogue queries of our own (see `volumes.py` and `dependents.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine.reflection import Inspector

from analyzer.db.engine import open_engine
from analyzer.db.errors import DatabaseError, redact, scrub
from analyzer.db.mysql_bulk import reflect_mysql
from analyzer.db.objects import reflect_dependents, words
from analyzer.db.volumes import Catalogue, Volume, catalogue_volumes, complete_volumes
from analyzer.models import Column, Constraint, Dependent, ForeignKey, Index, SchemaSnapshot, Table

_NEXTVAL = re.compile(r"nextval\('(?P<seq>[^']+)'", re.IGNORECASE)


def reflect(url: str, schemas: Sequence[str] = (), exact_counts: bool = False) -> SchemaSnapshot:
    """Read the schema of `url` (read-only) into a SchemaSnapshot. Raises DatabaseError."""
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            return _reflect(conn, url, tuple(schemas), exact_counts)
    except DatabaseError:
        raise
    except sa.exc.SQLAlchemyError as exc:
        inner = getattr(exc, "orig", None) or exc
        first = (str(inner).strip().splitlines() or [type(inner).__name__])[0]
        raise DatabaseError(f"reading the schema of {redact(url)} failed: {scrub(first, url)[:300]}") from None
    finally:
        engine.dispose()


def _reflect(conn: sa.Connection, url: str, schemas: tuple[str, ...], exact_counts: bool) -> SchemaSnapshot:
    insp: Inspector = sa.inspect(conn)
    dialect = conn.dialect.name
    default = insp.default_schema_name
    wanted: tuple[str | None, ...] = tuple(schemas) or (None,)
    known = set(insp.get_schema_names()) if schemas else set()
    missing = [s for s in schemas if s not in known]
    if missing:
        raise DatabaseError(f"schema(s) not found in {redact(url)}: {', '.join(missing)}")

    def qualify(schema: str | None, name: str) -> str:
        return name if schema in (None, default) else f"{schema}.{name}"

    tables: list[Table] = []
    raw: list[tuple[str | None, str, dict[str, Any]]]
    side: Future[tuple[Catalogue, tuple[Dependent, ...]]] | None = None
    defs_side: Future[Definitions] | None = None
    definitions: Definitions = {}
    pool = None
    if dialect == "postgresql":
        # sizes and dependents are independent of the inspector's queries: a second read-only session
        # runs them meanwhile, so the wall time stays near the bulk-reflection floor
        pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="impact-reflect")
        side = pool.submit(_postgres_side, conn.engine, default, wanted, qualify)
        defs_side = pool.submit(_postgres_defs_side, conn.engine, default, wanted, qualify)
    try:
        if dialect == "mysql":  # no bulk get_multi_* in SQLAlchemy's MySQL dialect: information_schema
            raw = reflect_mysql(conn, [s or default or "" for s in wanted], default)
        else:
            raw = inspector_raw(insp, wanted, default)
        if side is not None:
            catalogue, deps = side.result()
        if defs_side is not None:
            definitions = defs_side.result()
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
    names = [(schema, name) for schema, name, _ in raw]
    if side is None:
        catalogue = catalogue_volumes(conn, dialect, default, wanted)
        known_columns = {qualify(sch, name): [c["name"] for c in info["columns"]] for sch, name, info in raw}
        deps = reflect_dependents(conn, dialect, default, wanted, qualify, known_columns)
    volumes = complete_volumes(conn, dialect, names, catalogue, exact_counts)
    if dialect in ("sqlite", "mysql"):
        extra = _table_dependents(insp if dialect == "sqlite" else None, raw, qualify)
        deps = tuple(sorted(set(deps) | set(extra), key=lambda d: (d.table, d.column or "", d.kind, d.name)))
    owned = {(d.table, d.column): d.name for d in deps if d.kind == "sequence"}

    for schema, name, info in raw:
        qname = qualify(schema, name)
        pk = tuple((info["pk"] or {}).get("constrained_columns") or ())
        cols_out = tuple(_column(conn, c, qname, pk, owned, dialect) for c in info["columns"])
        vol = volumes.get((schema, name), Volume())
        defs = definitions.get(qname, {})
        identities = defs.get("identity", {})
        if identities:
            cols_out = tuple(replace(c, generated=identities.get(c.name, "")) for c in cols_out)
        index_defs = defs.get("indexes", {})
        tables.append(Table(
            name=qname,
            columns=cols_out,
            primary_key=pk,
            foreign_keys=tuple(
                ForeignKey(
                    columns=tuple(fk["constrained_columns"]),
                    ref_table=qualify(_ref_schema(dialect, fk.get("referred_schema"), schema),
                                      fk["referred_table"]),
                    ref_columns=tuple(fk["referred_columns"]),
                    name=fk.get("name"),
                    on_delete=_upper((fk.get("options") or {}).get("ondelete")),
                    on_update=_upper((fk.get("options") or {}).get("onupdate")),
                )
                for fk in info["fks"]
            ),
            indexes=_indexes(info["indexes"], index_defs),
            constraints=tuple(defs.get("constraints", ())),
            unique_constraints=tuple(tuple(u.get("column_names") or ()) for u in info["uniques"]),
            rows=vol.rows,
            rows_estimated=vol.estimated,
            bytes=vol.bytes,
            index_bytes=vol.index_bytes,
            toast_bytes=vol.toast_bytes,
        ))
    tables = _fold_partitions(tables, deps)
    tables.sort(key=lambda t: t.name)
    return SchemaSnapshot(dialect=dialect, tables=tuple(tables), dependents=deps, source=redact(url))


def _indexes(reflected: list[dict[str, Any]], defs: dict[str, dict[str, Any]]) -> tuple[Index, ...]:
    """The inspector's indexes with their definitions, when those were read (the primary key's index is
    not among them: its constraint names it)."""
    out = []
    for ix in reflected:
        name = ix.get("name") or ""
        d = defs.get(name, {})
        out.append(Index(name=name, columns=tuple(c for c in ix.get("column_names") or () if c),
                         unique=bool(ix.get("unique")), definition=d.get("definition", ""),
                         constraint=d.get("constraint", "")))
    return tuple(out)


def _postgres_side(engine: sa.Engine, default: str | None, wanted: Sequence[str | None],
                   qualify: Callable[[str | None, str], str]) -> tuple[Catalogue, tuple[Dependent, ...]]:
    with engine.connect() as conn:
        return (catalogue_volumes(conn, "postgresql", default, wanted),
                reflect_dependents(conn, "postgresql", default, wanted, qualify))


def _postgres_defs_side(engine: sa.Engine, default: str | None, wanted: Sequence[str | None],
                        qualify: Callable[[str | None, str], str]) -> Definitions:
    """A third read-only session: constraint and index definitions, meanwhile."""
    with engine.connect() as conn:
        return _postgres_definitions(conn, default, wanted, qualify)


#: qualified table -> {"constraints": [Constraint], "indexes": {name: {...}}, "identity": {column: kind}}
Definitions = dict[str, dict[str, Any]]
_PG_KINDS = {"p": "primary key", "u": "unique", "f": "foreign key", "c": "check", "x": "exclude"}
_PG_CONSTRAINTS = """
SELECT n.nspname, c.relname, co.conname, co.contype, pg_get_constraintdef(co.oid),
       ARRAY(SELECT a.attname FROM unnest(co.conkey) WITH ORDINALITY AS k(num, ord)
             JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.num ORDER BY k.ord),
       COALESCE(i.relname, '')
FROM pg_constraint co
JOIN pg_class c ON c.oid = co.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class i ON i.oid = co.conindid AND co.contype IN ('p', 'u', 'x')
WHERE n.nspname = ANY(:s) AND co.contype IN ('p', 'u', 'f', 'c', 'x') AND c.relkind IN ('r', 'p')
ORDER BY 1, 2, 3
"""
_PG_INDEXDEFS = """
SELECT n.nspname, c.relname, i.relname, pg_get_indexdef(x.indexrelid), x.indisunique, COALESCE(co.conname, '')
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class c ON c.oid = x.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_constraint co ON co.conindid = x.indexrelid AND co.conrelid = x.indrelid
     AND co.contype IN ('p', 'u', 'x')
WHERE n.nspname = ANY(:s) AND c.relkind IN ('r', 'p')
"""
_PG_IDENTITY = """
SELECT n.nspname, c.relname, a.attname, a.attidentity
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE a.attidentity <> '' AND a.attnum > 0 AND NOT a.attisdropped AND n.nspname = ANY(:s)
"""


def _postgres_definitions(conn: sa.Connection, default: str | None, wanted: Sequence[str | None],
                          qualify: Callable[[str | None, str], str]) -> Definitions:
    """Constraint and index definitions and identity kinds of every table, in three catalogue queries:
    what a migration needs to carry each one over by name."""
    nsps = sorted({s or default or "public" for s in wanted})
    out: Definitions = {}

    def entry(nsp: str, rel: str) -> dict[str, Any]:
        return out.setdefault(qualify(None if nsp == default else nsp, rel),
                              {"constraints": [], "indexes": {}, "identity": {}})

    try:
        for nsp, rel, con, kind, cdef, cols, index in conn.execute(sa.text(_PG_CONSTRAINTS), {"s": nsps}):
            entry(nsp, rel)["constraints"].append(
                Constraint(con, _PG_KINDS[kind], tuple(cols or ()), cdef or "", index or ""))
        for nsp, rel, index, idef, unique, con in conn.execute(sa.text(_PG_INDEXDEFS), {"s": nsps}):
            entry(nsp, rel)["indexes"][index] = {"definition": idef or "", "constraint": con or "",
                                                 "unique": bool(unique)}
        for nsp, rel, col, kind in conn.execute(sa.text(_PG_IDENTITY), {"s": nsps}):
            entry(nsp, rel)["identity"][col] = "always" if kind == "a" else "by default"
    except sa.exc.DBAPIError:  # definitions are for the planner; a catalogue we may not read loses none
        conn.rollback()
        return {}
    return out


def inspector_raw(insp: Inspector, wanted: Sequence[str | None], default: str | None
                  ) -> list[tuple[str | None, str, dict[str, Any]]]:
    """The inspector's bulk calls, one per kind of fact and schema: (schema, table, facts) per table."""
    raw: list[tuple[str | None, str, dict[str, Any]]] = []
    for schema in wanted:
        sch = None if schema == default else schema
        cols = insp.get_multi_columns(schema=sch)
        pks = insp.get_multi_pk_constraint(schema=sch)
        fks = insp.get_multi_foreign_keys(schema=sch)
        idxs = insp.get_multi_indexes(schema=sch)
        uqs = insp.get_multi_unique_constraints(schema=sch)
        for key, columns in cols.items():
            raw.append((sch, key[1], {"columns": columns, "pk": pks.get(key), "fks": fks.get(key, []),
                                      "indexes": idxs.get(key, []), "uniques": uqs.get(key, [])}))
    return raw


def _table_dependents(insp: Inspector | None, raw: list[tuple[str | None, str, dict[str, Any]]],
                      qualify: Callable[[str | None, str], str]) -> list[Dependent]:
    """Generated columns from the reflected columns (SQLite, MySQL) and, given an inspector (SQLite,
    where they live inside CREATE TABLE), CHECK constraints."""
    out: list[Dependent] = []
    checks: dict[Any, list[Any]] = {}
    if insp is not None:
        try:
            checks = dict(insp.get_multi_check_constraints())
        except Exception:  # noqa: BLE001 - the parser is best effort; dependents are context
            checks = {}
    for schema, bare, info in raw:
        name = qualify(schema, bare)
        names = {c["name"].lower(): c["name"] for c in info["columns"]}
        for ck in checks.get((schema, bare), []):
            used = words(ck.get("sqltext", ""))
            for col in sorted(names[w] for w in used & names.keys()):
                out.append(Dependent("check constraint", ck.get("name") or f"{name} check", name, col,
                                     f"CHECK ({ck.get('sqltext', '')})"))
        for c in info["columns"]:
            computed = c.get("computed")
            if not computed:
                continue
            expr = str(computed.get("sqltext", ""))
            used = words(expr) - {c["name"].lower()}
            for col in sorted(names[w] for w in used & names.keys()):
                out.append(Dependent("generated column", f"{name}.{c['name']}", name, col,
                                     f"GENERATED ALWAYS AS ({expr})"))
    return out


def _fold_partitions(tables: list[Table], deps: tuple[Dependent, ...]) -> list[Table]:
    """Partitions are storage of their parent: one ALTER on the parent changes them all.

    They leave the table list (they stay as `partition` dependents of the parent) and their rows and
    bytes are added to the top-level partitioned table, whose own catalogue entry holds none.
    """
    parent = {d.name: d.table for d in deps if d.kind == "partition"}
    if not parent:
        return tables

    def root(name: str) -> str:
        seen = set()
        while name in parent and name not in seen:
            seen.add(name)
            name = parent[name]
        return name

    by_name = {t.name: t for t in tables}
    totals: dict[str, list[int]] = {}
    for t in tables:
        if t.name in parent:
            acc = totals.setdefault(root(t.name), [0, 0, 0, 0])
            for i, v in enumerate((t.rows, t.bytes, t.index_bytes, t.toast_bytes)):
                acc[i] += v or 0
    out = []
    for t in tables:
        if t.name in parent:
            continue
        if t.name in totals and t.name in by_name:
            rows, nbytes, ibytes, tbytes = totals[t.name]
            t = replace(t, rows=rows + (t.rows or 0), bytes=nbytes + (t.bytes or 0),
                        index_bytes=ibytes + (t.index_bytes or 0), toast_bytes=tbytes + (t.toast_bytes or 0))
        out.append(t)
    return out


def _ref_schema(dialect: str, referred: str | None, own: str | None) -> str | None:
    """PostgreSQL leaves the schema out when it is on the search path (the default); MySQL when it is
    the referencing table's own database."""
    if referred:
        return referred
    return None if dialect == "postgresql" else own


def _upper(value: str | None) -> str | None:
    return value.upper() if value else None


_TYPE_CACHE: dict[tuple[object, ...], str] = {}
_TYPE_ATTRS = ("length", "precision", "scale", "timezone", "collation", "as_uuid", "dimensions", "item_type",
               "enums", "fsp", "unsigned", "zerofill", "display_width", "charset")


def type_name(conn: sa.Connection, coltype: Any) -> str:
    """Upper-cased type as the engine spells it; cached per (dialect, class, parameters): a 2,000-table
    schema has a handful of distinct column types and tens of thousands of columns."""
    try:
        key: tuple[object, ...] | None = (conn.dialect.name, type(coltype),
                                          *(repr(getattr(coltype, a, None)) for a in _TYPE_ATTRS))
    except Exception:  # noqa: BLE001 - an exotic type with a failing attribute: no caching
        key = None
    if key is not None and key in _TYPE_CACHE:
        return _TYPE_CACHE[key]
    text = _type_name(conn, coltype)
    if key is not None and len(_TYPE_CACHE) < 4096:
        _TYPE_CACHE[key] = text
    return text


def _type_name(conn: sa.Connection, coltype: Any) -> str:
    try:
        text = str(coltype.compile(dialect=conn.dialect))
    except Exception:  # noqa: BLE001 - NullType and exotic types do not compile
        text = type(coltype).__name__
    # MySQL's display width (`INT(11)`) is not part of the type
    return _INT_WIDTH.sub(r"\1", text.upper())


_INT_WIDTH = re.compile(r"^(TINYINT|SMALLINT|MEDIUMINT|INT|INTEGER|BIGINT)\(\d+\)")


def _column(conn: sa.Connection, col: dict[str, Any], table: str, pk: tuple[str, ...],
            owned: dict[tuple[str, str | None], str], dialect: str) -> Column:
    ctype = col["type"] if isinstance(col["type"], str) else type_name(conn, col["type"])
    default = col.get("default")
    default_text = str(default) if default is not None else None
    sequence = owned.get((table, col["name"]))
    if sequence is None and default_text:
        m = _NEXTVAL.search(default_text)
        if m:
            sequence = m.group("seq")
    identity = bool(col.get("identity")) or sequence is not None
    if dialect == "mysql" and col.get("autoincrement") is True:
        identity = True
    if dialect == "sqlite" and pk == (col["name"],) and ctype == "INTEGER":
        identity = True  # INTEGER PRIMARY KEY is the rowid
    nullable = bool(col.get("nullable", True)) and col["name"] not in pk  # SQLite says a PK is nullable
    return Column(name=col["name"], type=ctype, nullable=nullable,
                  default=default_text, identity=identity, sequence=sequence)
