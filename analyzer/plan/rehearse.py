"""Rehearsal: run each strategy's migration on a scratch copy of the affected tables and verify it.

The source database is only read: one REPEATABLE READ, READ ONLY transaction per copy (so every table
comes from one snapshot and the links between them hold), on the tool's read-only engine. The scratch
database is written: for every strategy the copied schemas are dropped and re-created, so each strategy
starts from the same copy. DDL is rebuilt from the catalogue (the reflected tables plus
pg_get_constraintdef / pg_get_indexdef / pg_get_viewdef / pg_get_triggerdef / pg_get_functiondef), rows
travel with COPY ... TO STDOUT / COPY ... FROM STDIN in binary, so no pg_dump of a matching version is
needed.

What is copied: the closure's tables, every table they reference by a declared FK (transitively), the
tables of dependent views, and the enum/domain types, sequences (with their current values), functions,
views, triggers, constraints and indexes of those tables. With `sample=N`, each target keeps its first N
rows by key, each referencing table the rows that point at a kept id (plus up to N rows of a
non-declared reference that point at no target row at all: the "other kind"), and every parent row a kept
row points at, so no link of the copy dangles that did not dangle in the source.

What is verified, before against after on the same copy, each as one line of `checks` (and of
`failures` when it does not hold): rows per table; every closure reference (declared, inferred, virtual,
polymorphic; a discriminated column per kind) as a multiset of (referencing row, parent row) fingerprints
that leave out the impacted key columns, so a row that follows its parent through a new key type or a
remapped id still counts as kept; rows of other kinds unchanged; every constraint and index by name and
definition modulo casts and type names, NOT NULL and defaults of the untouched columns; views answer with
the same row count; each DELETE/UPDATE trigger fired on one row inside a rolled-back transaction has the
same effect as before; sequences did not go backwards; a row inserted into each target without an
explicit key gets one (for a shared sequence: ids distinct across targets and absent from all of them).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy.engine import URL

from analyzer.config import Config
from analyzer.db.engine import normalize_url, open_engine
from analyzer.db.errors import DatabaseError, redact
from analyzer.models import Closure, Progress, Reference, SchemaSnapshot, no_progress
from analyzer.pipeline import UsageError
from analyzer.plan.steps import Migration, MigrationRefused

#: where the rehearsal keeps its own bookkeeping in the scratch database (never a copied schema)
MARK_SCHEMA = "impact_rehearsal"
#: the copy reads large tables in one statement: the tool's 60 s read timeout would cut it short
COPY_STATEMENT_TIMEOUT = "30min"


class ScratchRefused(UsageError):
    """The scratch database cannot be used for a rehearsal (it is the source, or holds other data)."""


@dataclass(frozen=True)
class Rehearsal:
    ok: bool
    checks: list[str]  # "rows: content_items 200 = 200", "link: thumbnails.image_id -> content_items.id 180/180 kept"
    failures: list[str]
    step_seconds: list[tuple[str, float]]  # step name -> measured seconds, in the migration's order
    sample: int | None  # rows per table copied, None = all
    scale: dict[str, float]  # table -> full rows / copied rows (to scale measured times)
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows copied
    copy_seconds: float = 0.0  # time to build the copy (DDL + rows), not part of the migration

    def scaled_seconds(self, migration: Migration) -> list[tuple[str, float]]:
        """Each step's measured seconds times the scale of the table it rewrites (1 when it names none)."""
        out = []
        for (name, secs), step in zip(self.step_seconds, migration.steps, strict=False):
            out.append((name, secs * self.scale.get(step.table or "", 1.0)))
        return out


# ----------------------------------------------------------------------------- same database?


def _endpoint(url: str) -> tuple[str, int, str]:
    """(host, port, database) as the server sees them: loopback names and sockets are one host."""
    parsed = normalize_url(url)
    query = {k: (v[0] if isinstance(v, tuple) else v) for k, v in parsed.query.items()}
    host = (parsed.host or query.get("host") or "").strip().lower()
    if host in ("", "localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0") or host.startswith("/"):
        host = "local"
    port = parsed.port or int(query.get("port") or 5432)
    user = parsed.username or query.get("user") or ""
    database = parsed.database or query.get("dbname") or user
    return host, port, database


def same_database(a: str, b: str) -> bool:
    """True when two URLs name the same database after normalisation (host aliases, default port)."""
    return _endpoint(a) == _endpoint(b)


def _conninfo(url: URL) -> dict[str, Any]:
    kwargs: dict[str, Any] = {k: (v[0] if isinstance(v, tuple) else v) for k, v in url.query.items()}
    for key, value in (("host", url.host), ("port", url.port), ("user", url.username),
                       ("password", url.password), ("dbname", url.database)):
        if value is not None:
            kwargs[key] = value
    return kwargs


def _connect_scratch(url: str) -> psycopg.Connection[Any]:
    try:
        conn = psycopg.connect(**_conninfo(normalize_url(url)), autocommit=True, connect_timeout=10,
                               application_name="impact-rehearsal")
    except psycopg.Error as exc:
        raise DatabaseError(f"cannot connect to the scratch database {redact(url)}: "
                            f"{str(exc).strip().splitlines()[0][:200]}") from None
    return conn


# ----------------------------------------------------------------------------- SQL helpers


def _qi(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def split_statements(sql: str) -> list[str]:
    """Statements of a script: split on ';' outside quotes, dollar bodies and comments."""
    out: list[str] = []
    buf: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            buf.append(sql[i:j])
            i = j
            continue
        if sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            j = n if j < 0 else j + 2
            buf.append(sql[i:j])
            i = j
            continue
        if ch in ("'", '"'):
            j = i + 1
            while j < n:
                if sql[j] == ch:
                    if j + 1 < n and sql[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            buf.append(sql[i:j + 1])
            i = j + 1
            continue
        if ch == "$":
            m = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$", sql[i:])
            if m:
                tag = m.group(0)
                j = sql.find(tag, i + len(tag))
                j = n if j < 0 else j + len(tag)
                buf.append(sql[i:j])
                i = j
                continue
        if ch == ";":
            stmt = "".join(buf).strip()
            if _has_code(stmt):
                out.append(stmt)
            buf = []
            i += 1
            continue
        buf.append(ch)
        i += 1
    stmt = "".join(buf).strip()
    if _has_code(stmt):
        out.append(stmt)
    return out


def _has_code(stmt: str) -> bool:
    text = re.sub(r"/\*.*?\*/", "", stmt, flags=re.S)
    return any(line.strip() and not line.strip().startswith("--") for line in text.splitlines())


_CAST = re.compile(r"::\s*(?:\"[^\"]+\"|[a-z_][a-z0-9_ ]*?)(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])?(?=[\s,)\]]|$)", re.I)
_TYPES = re.compile(r"\b(?:smallint|integer|bigint|int[248]?|uuid|text|character varying|varchar|numeric)\b", re.I)


def _normal_def(text: str) -> str:
    """A definition modulo the type change: casts and type names dropped, spacing and parentheses folded."""
    text = _CAST.sub("", text)
    text = _TYPES.sub("T", text)
    return re.sub(r"[\s()]+", " ", text).strip().lower()


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return (lines[0] if lines else type(exc).__name__)[:300]


# ----------------------------------------------------------------------------- what is copied


@dataclass
class _Rel:
    name: str  # the snapshot's name ("t" or "schema.t")
    oid: int
    nsp: str
    rel: str
    columns: list[tuple[str, str, bool, str | None, str, str]] = field(default_factory=list)
    # (name, type, notnull, default, identity 'a'|'d'|'', generated 's'|'')

    @property
    def q(self) -> str:
        return f"{_qi(self.nsp)}.{_qi(self.rel)}"

    def copy_columns(self) -> list[str]:
        return [c[0] for c in self.columns if not c[5]]

    def type_of(self, column: str) -> str:
        return next(c[1] for c in self.columns if c[0] == column)


@dataclass
class _Plan:
    """Everything read from the source catalogue, once: DDL in the order it is replayed."""

    default_schema: str
    rels: dict[str, _Rel]  # snapshot name -> relation (tables copied)
    schemas: list[str]
    types: list[str]  # CREATE TYPE / DOMAIN
    functions: list[str]
    sequences: list[tuple[str, str, str | None]]  # (create, qualified name, owned-by "tbl.col" qualified)
    tables: list[str]  # CREATE TABLE
    constraints: list[tuple[str, str, str]]  # (table q, name, def) in order p,u,x,c,f
    indexes: list[str]
    views: list[tuple[str, str]]  # (qualified name, CREATE ...)
    triggers: list[str]
    fk_parents: list[tuple[str, list[str], str, list[str]]]  # (child name, cols, parent name, cols)


_COLUMNS = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid),
       a.attidentity::text, a.attgenerated::text, a.atttypid,
       CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
            THEN (SELECT quote_ident(n.nspname) || '.' || quote_ident(c.collname) FROM pg_collation c
                  JOIN pg_namespace n ON n.oid = c.collnamespace WHERE c.oid = a.attcollation) END
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
"""
_FKS = """
SELECT c.conrelid, c.confrelid,
       ARRAY(SELECT attname FROM pg_attribute WHERE attrelid = c.conrelid AND attnum = ANY(c.conkey)
             ORDER BY array_position(c.conkey, attnum)),
       ARRAY(SELECT attname FROM pg_attribute WHERE attrelid = c.confrelid AND attnum = ANY(c.confkey)
             ORDER BY array_position(c.confkey, attnum))
FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = ANY(%s::oid[])
"""
_VIEW_DEPS = """
SELECT DISTINCT r.ev_class, d.refobjid FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
JOIN pg_class v ON v.oid = r.ev_class
WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass AND v.relkind IN ('v', 'm')
  AND r.ev_class <> d.refobjid
"""


def _read_plan(cur: psycopg.Cursor[Any], schema: SchemaSnapshot, closure: Closure) -> _Plan:
    cur.execute("SELECT current_schema()")
    default = str(cur.fetchone()[0])  # type: ignore[index]

    def resolve(name: str) -> tuple[int, str, str, str] | None:
        tries = [(default, name)]
        if "." in name:
            nsp, _, rel = name.partition(".")
            tries.append((nsp, rel))
        for nsp, rel in tries:
            cur.execute("SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'p')", (nsp, rel))
            row = cur.fetchone()
            if row:
                return int(row[0]), nsp, rel, name
        return None

    def name_of(oid: int) -> tuple[str, str, str]:
        cur.execute("SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.oid = %s", (oid,))
        nsp, rel = cur.fetchone()  # type: ignore[misc]
        return nsp, rel, (rel if nsp == default else f"{nsp}.{rel}")

    rels: dict[str, _Rel] = {}
    by_oid: dict[int, _Rel] = {}

    def add(oid: int, nsp: str, rel: str, name: str) -> bool:
        if oid in by_oid:
            return False
        r = _Rel(name, oid, nsp, rel)
        rels[name] = by_oid[oid] = r
        return True

    for name in sorted(closure.tables):
        found = resolve(name)
        if found is None:
            raise ScratchRefused(f"table {name} of the closure is not in the source database")
        add(*found)
    # functions attached to the copied tables by triggers may touch other tables: schema.dependents says which
    fired = " ".join(x.definition for x in schema.dependents if x.kind == "trigger" and x.table in rels)
    fn_tables = {d.table for d in schema.dependents if d.kind == "function"
                 and re.search(rf"\b{re.escape(d.name.split('(')[0])}\s*\(", fired)}
    for name in sorted(fn_tables):
        if name not in rels and (found := resolve(name)):
            add(*found)
    # FK parents and base tables of dependent views, to a fixpoint
    view_oids: list[int] = []
    changed = True
    while changed:
        changed = False
        cur.execute(_FKS, (list(by_oid),))
        for _child, parent, _c, _p in cur.fetchall():
            if parent not in by_oid:
                nsp, rel, name = name_of(parent)
                changed |= add(parent, nsp, rel, name)
        cur.execute(_VIEW_DEPS)
        deps = cur.fetchall()
        on_copied = {int(v) for v, t in deps if t in by_oid or t in view_oids}
        for v in on_copied - set(view_oids):
            view_oids.append(v)
            changed = True
        for v, t in deps:
            if v in view_oids and t not in by_oid and t not in view_oids:
                cur.execute("SELECT relkind FROM pg_class WHERE oid = %s", (t,))
                kind = cur.fetchone()
                if kind and kind[0] in ("r", "p"):
                    nsp, rel, name = name_of(t)
                    changed |= add(t, nsp, rel, name)
    oids = list(by_oid)

    type_oids: set[int] = set()
    tables: list[str] = []
    for r in rels.values():
        cur.execute(_COLUMNS, (r.oid,))
        defs = []
        for col, typ, notnull, default_expr, ident, gen, typoid, coll in cur.fetchall():
            r.columns.append((col, typ, bool(notnull), default_expr, ident, gen))
            type_oids.add(int(typoid))
            d = f"{_qi(col)} {typ}"
            if coll:
                d += f" COLLATE {coll}"
            if gen == "s":
                d += f" GENERATED ALWAYS AS ({default_expr}) STORED"
            elif default_expr is not None:
                d += f" DEFAULT {default_expr}"
            if ident:
                cur.execute("SELECT pg_get_serial_sequence(%s, %s)", (r.q, col))
                seq = cur.fetchone()[0]  # type: ignore[index]
                d += f" GENERATED {'ALWAYS' if ident == 'a' else 'BY DEFAULT'} AS IDENTITY"
                if seq:
                    d += f" (SEQUENCE NAME {seq})"
            if notnull:
                d += " NOT NULL"
            defs.append(d)
        tables.append(f"CREATE TABLE {r.q} (\n    " + ",\n    ".join(defs) + "\n)")

    # enum and domain types of the columns (and of array elements), user schemas only
    types: list[str] = []
    cur.execute("""
        SELECT DISTINCT t.oid, t.typtype::text, quote_ident(n.nspname) || '.' || quote_ident(t.typname),
               format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault, n.nspname
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE (t.oid = ANY(%s::oid[]) OR t.oid IN (SELECT typelem FROM pg_type WHERE oid = ANY(%s::oid[])))
          AND t.typtype IN ('e', 'd') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        ORDER BY 2 DESC, 1""", (list(type_oids), list(type_oids)))
    schemas = {r.nsp for r in rels.values()}
    for oid, kind, qname, base, notnull, default_expr, nsp in cur.fetchall():
        schemas.add(nsp)
        if kind == "e":
            cur.execute("SELECT enumlabel FROM pg_enum WHERE enumtypid = %s ORDER BY enumsortorder", (oid,))
            labels = ", ".join("'" + str(x[0]).replace("'", "''") + "'" for x in cur.fetchall())
            types.append(f"CREATE TYPE {qname} AS ENUM ({labels})")
        else:
            d = f"CREATE DOMAIN {qname} AS {base}"
            if default_expr:
                d += f" DEFAULT {default_expr}"
            if notnull:
                d += " NOT NULL"
            cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contypid = %s", (oid,))
            d += "".join(f" CONSTRAINT {_qi(n)} {c}" for n, c in cur.fetchall())
            types.append(d)

    # sequences: owned by a copied column, or named in a copied default (identity ones come with the table)
    cur.execute("""
        SELECT DISTINCT s.oid FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
        WHERE d.refobjid = ANY(%s::oid[]) AND d.deptype = 'a'
        UNION
        SELECT DISTINCT s.oid FROM pg_attrdef ad
        JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid
        JOIN pg_class s ON s.oid = d.refobjid AND s.relkind = 'S'
        WHERE ad.adrelid = ANY(%s::oid[])""", (oids, oids))
    sequences: list[tuple[str, str, str | None]] = []
    for (soid,) in cur.fetchall():
        cur.execute("""
            SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), n.nspname, format_type(s.seqtypid, NULL),
                   s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
                   (SELECT quote_ident(tn.nspname) || '.' || quote_ident(t.relname) || '.' || quote_ident(a.attname)
                    FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
                    JOIN pg_namespace tn ON tn.oid = t.relnamespace
                    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
                    WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1),
                   EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'i')
            FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE s.seqrelid = %s""", (soid,))
        qname, nsp, typ, start, inc, mn, mx, cache, cycle, owner, identity = cur.fetchone()  # type: ignore[misc]
        if identity:
            continue
        schemas.add(nsp)
        sequences.append((f"CREATE SEQUENCE {qname} AS {typ} START WITH {start} INCREMENT BY {inc} "
                          f"MINVALUE {mn} MAXVALUE {mx} CACHE {cache} {'CYCLE' if cycle else 'NO CYCLE'}",
                          qname, owner))

    # constraints (FKs only between copied tables) and the indexes no constraint owns
    cur.execute("""
        SELECT c.conrelid, c.conname, pg_get_constraintdef(c.oid), c.contype::text, c.confrelid
        FROM pg_constraint c WHERE c.conrelid = ANY(%s::oid[]) AND c.contype IN ('p', 'u', 'x', 'c', 'f')
        ORDER BY array_position(ARRAY['p', 'u', 'x', 'c', 'f'], c.contype::text), c.conname""", (oids,))
    constraints = [(by_oid[rel].q, name, d) for rel, name, d, kind, parent in cur.fetchall()
                   if kind != "f" or parent in by_oid]
    cur.execute("""
        SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
        WHERE i.indrelid = ANY(%s::oid[]) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid
              AND c.conrelid = i.indrelid)
        ORDER BY i.indexrelid""", (oids,))
    indexes = [str(r[0]) for r in cur.fetchall()]
    cur.execute(_FKS, (oids,))
    fk_parents = [(by_oid[c].name, list(cc), by_oid[p].name, list(pc)) for c, p, cc, pc in cur.fetchall()
                  if p in by_oid]

    # views (in dependency order later), triggers and the functions they call or the closure names
    views: list[tuple[str, str]] = []
    for v in view_oids:
        cur.execute("SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relkind::text, n.nspname, "
                    "pg_get_viewdef(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.oid = %s", (v,))
        qname, kind, nsp, body = cur.fetchone()  # type: ignore[misc]
        schemas.add(nsp)
        what = "MATERIALIZED VIEW" if kind == "m" else "VIEW"
        views.append((qname, f"CREATE {what} {qname} AS {body.rstrip().rstrip(';')}"))
    cur.execute("SELECT pg_get_triggerdef(t.oid), t.tgfoid FROM pg_trigger t "
                "WHERE t.tgrelid = ANY(%s::oid[]) AND NOT t.tgisinternal ORDER BY t.tgname", (oids,))
    trig = cur.fetchall()
    triggers = [str(d) for d, _ in trig]
    fn_oids = {int(f) for _, f in trig}
    for dep in schema.dependents:
        if dep.kind == "function" and dep.table in rels:
            cur.execute("SELECT to_regprocedure(%s)::oid", (dep.name,))
            row = cur.fetchone()
            if row and row[0]:
                fn_oids.add(int(row[0]))
    cur.execute("""
        SELECT DISTINCT d.refobjid FROM pg_depend d
        WHERE d.refclassid = 'pg_proc'::regclass AND (
              (d.classid = 'pg_attrdef'::regclass AND d.objid IN (SELECT oid FROM pg_attrdef WHERE adrelid = ANY(%s::oid[])))
           OR (d.classid = 'pg_constraint'::regclass AND d.objid IN (SELECT oid FROM pg_constraint WHERE conrelid = ANY(%s::oid[]))))
    """, (oids, oids))
    fn_oids |= {int(r[0]) for r in cur.fetchall()}
    functions = []
    if fn_oids:
        cur.execute("""
            SELECT pg_get_functiondef(p.oid), n.nspname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE p.oid = ANY(%s::oid[]) AND p.prokind IN ('f', 'p')
              AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY p.oid""", (list(fn_oids),))
        for body, nsp in cur.fetchall():
            schemas.add(nsp)
            functions.append(str(body))
    return _Plan(default, rels, sorted(schemas), types, functions, sequences, tables, constraints, indexes,
                 views, triggers, fk_parents)


# ----------------------------------------------------------------------------- the copy


class _Copier:
    def __init__(self, src: psycopg.Connection[Any], dst: psycopg.Connection[Any], plan: _Plan,
                 schema: SchemaSnapshot, closure: Closure, sample: int | None) -> None:
        self.src, self.dst, self.plan, self.schema, self.closure, self.sample = src, dst, plan, schema, closure, sample
        self.rows: dict[str, int] = {}
        self.full: dict[str, int] = {}

    def reset(self) -> None:
        """Drop the previous copy: every schema the copy uses, re-created empty (the database is ours)."""
        with self.dst.transaction():
            for nsp in self.plan.schemas:
                self.dst.execute(f"DROP SCHEMA IF EXISTS {_qi(nsp)} CASCADE")
                self.dst.execute(f"CREATE SCHEMA {_qi(nsp)}")
            self.dst.execute(f"DROP SCHEMA IF EXISTS {_qi(MARK_SCHEMA)} CASCADE")
            self.dst.execute(f"CREATE SCHEMA {_qi(MARK_SCHEMA)}")
            self.dst.execute(f"COMMENT ON SCHEMA {_qi(MARK_SCHEMA)} IS 'impact rehearsal: scratch copies'")

    def build(self) -> None:
        p, dst = self.plan, self.dst
        self.src.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            self.src.execute(f"SET LOCAL statement_timeout = '{COPY_STATEMENT_TIMEOUT}'")
            self.src.execute(f"SET LOCAL idle_in_transaction_session_timeout = '{COPY_STATEMENT_TIMEOUT}'")
            with dst.transaction():
                dst.execute("SET LOCAL check_function_bodies = off")
                for ddl in [*p.types, *p.functions, *(s for s, _, _ in p.sequences), *p.tables]:
                    dst.execute(ddl)
            self._rows()
            with dst.transaction():
                self._sequence_values()
                for table, name, definition in p.constraints:
                    dst.execute(f"ALTER TABLE {table} ADD CONSTRAINT {_qi(name)} {definition}")
                for ddl in p.indexes:
                    dst.execute(ddl)
                for _, qname, owner in p.sequences:
                    if owner:
                        dst.execute(f"ALTER SEQUENCE {qname} OWNED BY {owner}")
                pending = list(p.views)
                while pending:  # views on views: create what can be created until nothing moves
                    left = []
                    for qname, ddl in pending:
                        try:
                            with dst.transaction():
                                dst.execute(ddl)
                        except psycopg.errors.UndefinedTable:
                            left.append((qname, ddl))
                    if len(left) == len(pending):
                        dst.execute(left[0][1])  # raises the real reason
                    pending = left
                for ddl in p.triggers:
                    dst.execute(ddl)
            for r in p.rels.values():
                dst.execute(f"ANALYZE {r.q}")
        finally:
            self.src.execute("COMMIT")

    def _copy(self, r: _Rel, where: str = "", params: Sequence[Any] = (), order: str = "", limit: int | None = None) -> int:
        cols = ", ".join(_qi(c) for c in r.copy_columns())
        query = f"SELECT {cols} FROM {r.q} AS t"
        if where:
            query += f" WHERE {where}"
        if order:
            query += f" ORDER BY {order}"
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        before = self._count(r)
        with self.src.cursor().copy(f"COPY ({query}) TO STDOUT (FORMAT binary)", params or None) as out, \
                self.dst.cursor().copy(f"COPY {r.q} ({cols}) FROM STDIN (FORMAT binary)") as inp:
            for chunk in out:
                inp.write(chunk)
        n = self._count(r) - before
        self.rows[r.name] = self.rows.get(r.name, 0) + n
        return n

    def _count(self, r: _Rel) -> int:
        return int(self.dst.execute(f"SELECT count(*) FROM {r.q}").fetchone()[0])  # type: ignore[index]

    def _rows(self) -> None:
        p = self.plan
        for r in p.rels.values():
            self.rows[r.name] = 0
        if self.sample is None:
            for r in p.rels.values():
                self._copy(r)
                self.full[r.name] = self.rows[r.name]
            return
        n = self.sample
        for r in p.rels.values():
            self.full[r.name] = int(self.src.execute(f"SELECT count(*) FROM {r.q}").fetchone()[0])  # type: ignore[index]
        targets = {t.table: t.column for t in self.closure.targets}
        for table, key in targets.items():
            if table in p.rels:
                self._copy(p.rels[table], order=_qi(key), limit=n)
        # referencing rows that point at a kept id of any of their targets
        refs: dict[str, list[Reference]] = {}
        for ref in self.closure.references:
            if ref.from_table in p.rels and ref.to_table in p.rels and ref.from_table not in targets:
                refs.setdefault(ref.from_table, []).append(ref)
        for table, rs in refs.items():
            r = p.rels[table]
            conds, params = [], []
            for ref in rs:
                kept = self._values(p.rels[ref.to_table], [ref.to_column])
                conds.append(f"t.{_qi(ref.from_column)} = ANY(%s::{r.type_of(ref.from_column)}[])")
                params.append([v[0] for v in kept])
            self._copy(r, " OR ".join(conds), params)
            loose = [ref for ref in rs if ref.kind != "declared"]
            if loose:
                # the other kind: values that are no id of any target (kept as they are by a migration)
                none_of = " AND ".join(
                    f"NOT EXISTS (SELECT 1 FROM {p.rels[ref.to_table].q} AS p WHERE p.{_qi(ref.to_column)} = "
                    f"t.{_qi(ref.from_column)})" for ref in loose)
                self._copy(r, f"({none_of}) AND NOT ({' OR '.join(conds)})", params, limit=n)
        # tables nobody points at and no target: a sample of their own
        pointed = {ref.to_table for ref in self.closure.references} | {f[2] for f in p.fk_parents}
        for r in p.rels.values():
            if r.name not in targets and r.name not in refs and r.name not in pointed:
                self._copy(r, limit=n)
        # every parent a kept row points at, to a fixpoint (declared FKs and the closure's references)
        links = [(c, cc, par, pc) for c, cc, par, pc in p.fk_parents]
        links += [(ref.from_table, [ref.from_column], ref.to_table, [ref.to_column])
                  for ref in self.closure.references if ref.from_table in p.rels and ref.to_table in p.rels]
        moved = True
        while moved:
            moved = False
            for child, ccols, parent, pcols in links:
                c, par = p.rels[child], p.rels[parent]
                if len(ccols) != 1:
                    if self.rows[par.name] == 0:
                        moved |= self._copy(par) > 0
                    continue
                missing = self.dst.execute(
                    f"SELECT DISTINCT c.{_qi(ccols[0])}::text FROM {c.q} AS c WHERE c.{_qi(ccols[0])} IS NOT NULL "
                    f"AND NOT EXISTS (SELECT 1 FROM {par.q} AS p WHERE p.{_qi(pcols[0])} = c.{_qi(ccols[0])})"
                ).fetchall()
                if not missing:
                    continue
                got = self._copy(par, f"t.{_qi(pcols[0])} = ANY(%s::{par.type_of(pcols[0])}[])",
                                 [[m[0] for m in missing]])
                moved |= got > 0

    def _values(self, r: _Rel, cols: list[str]) -> list[tuple[str, ...]]:
        sel = ", ".join(f"{_qi(c)}::text" for c in cols)
        return [tuple(row) for row in self.dst.execute(f"SELECT {sel} FROM {r.q}").fetchall()]

    def _sequence_values(self) -> None:
        seqs = [q for _, q, _ in self.plan.sequences]
        for r in self.plan.rels.values():
            for col in r.columns:
                if col[4]:
                    row = self.src.execute("SELECT pg_get_serial_sequence(%s, %s)", (r.q, col[0])).fetchone()
                    if row and row[0]:
                        seqs.append(str(row[0]))
        for qname in seqs:
            last, called = self.src.execute(f"SELECT last_value, is_called FROM {qname}").fetchone()  # type: ignore[misc]
            self.dst.execute("SELECT setval(%s::regclass, %s, %s)", (qname, last, called))


# ----------------------------------------------------------------------------- observations


@dataclass
class _State:
    counts: dict[str, int]
    constraints: dict[tuple[str, str], str]
    indexes: dict[tuple[str, str], str]
    columns: dict[tuple[str, str], tuple[bool, str | None]]
    views: dict[str, int | str]
    triggers: dict[str, tuple[str, dict[str, int]] | str]  # trigger -> (action, row count changes) or why not
    sequences: dict[str, int]
    functions: set[str]


_LINK_TABLE = 0


class _Verifier:
    """Observes the copy before and after a migration and says, line by line, what was kept."""

    def __init__(self, conn: psycopg.Connection[Any], plan: _Plan, closure: Closure,
                 discs: Mapping[str, Any]) -> None:
        self.conn, self.plan, self.closure, self.discs = conn, plan, closure, discs
        self.impacted = {(c.table, c.column) for c in closure.columns}
        self.trigger_rows: dict[str, str] = {}  # trigger -> fingerprint of the row it is fired on
        self.family_changes = False  # the key changes type family (uuid, text): numeric CHECKs may go

    # -- helpers
    def _other_cols(self, table: str) -> list[str]:
        r = self.plan.rels[table]
        return [c[0] for c in r.columns if (table, c[0]) not in self.impacted and not c[5]]

    def _row_text(self, table: str, alias: str) -> str:
        cols = self._other_cols(table)
        return f"ROW({', '.join(f'{alias}.{_qi(c)}' for c in cols)})::text" if cols else "''"

    def _links(self) -> list[tuple[str, str, str]]:
        """(label, query giving one hash per linked or unlinked referencing row, kind) for every link."""
        out = []
        for ref in self.closure.references:
            if ref.from_table not in self.plan.rels or ref.to_table not in self.plan.rels:
                continue
            c, p = self.plan.rels[ref.from_table], self.plan.rels[ref.to_table]
            disc = self.discs.get(ref.source)
            cond, label = "", f"{ref.source} -> {ref.dest} ({ref.kind})"
            if disc is not None:
                values = [v for v, t in disc.values.items() if t == ref.to_table]
                lits = ", ".join("'" + v.replace("'", "''") + "'" for v in values) or "NULL"
                cond = f" AND r.{_qi(disc.by)}::text IN ({lits})"
                label += f" where {disc.by} in ({', '.join(values)})"
            query = (f"SELECT hashtextextended({self._row_text(ref.from_table, 'r')} || '|' || "
                     f"coalesce({self._row_text(ref.to_table, 'p')}, '-'), 0) AS h, p.ctid IS NOT NULL AS linked "
                     f"FROM {c.q} AS r LEFT JOIN {p.q} AS p ON p.{_qi(ref.to_column)} = r.{_qi(ref.from_column)} "
                     f"WHERE r.{_qi(ref.from_column)} IS NOT NULL{cond}")
            out.append((label, query, "link"))
        for column, disc in self.discs.items():
            table = column.rpartition(".")[0]
            col = column.rpartition(".")[2]
            if table not in self.plan.rels or (disc.closed and not disc.others):
                continue
            out.append((f"{column} rows of other kinds (not {disc.by} in {', '.join(disc.values)})",
                        self._other_query(column, [col]), "other"))
        return out

    def _other_query(self, column: str, candidates: list[str]) -> str:
        """One hash per (row of another kind, column that may hold its value): before the migration the
        column itself; after it, also any column the migration added (a preserved `_legacy` column)."""
        table, _, col = column.rpartition(".")
        disc = self.discs[column]
        lits = ", ".join("'" + v.replace("'", "''") + "'" for v in disc.values) or "NULL"
        return " UNION ALL ".join(
            f"SELECT hashtextextended({self._row_text(table, 'r')} || '|' || coalesce(r.{_qi(x)}::text, '-'), 0) "
            f"AS h, true AS linked FROM {self.plan.rels[table].q} AS r "
            f"WHERE r.{_qi(disc.by)} IS NULL OR r.{_qi(disc.by)}::text NOT IN ({lits})" for x in candidates)

    def _narrowed_check(self, lost: str, was: dict[tuple[str, str], str], got: dict[tuple[str, str], str],
                        checks: list[str]) -> bool:
        """A CHECK still there under its name that only lost the conjuncts about an impacted column: the
        part of it that has no meaning for the new type (`id > 0` for a UUID). Said, not failed."""
        head, _, _ = lost.partition(" ")
        key = next(((t, n) for (t, n) in was if f"{t}.{n}" == head), None)
        if key is None or key not in got or not was[key].startswith("CHECK"):
            return False
        before = set(_normal_def(was[key][5:]).split(" and "))
        after = set(_normal_def(got[key][5:]).split(" and "))
        removed = before - after
        cols = {c for t, c in self.impacted if t == key[0]}
        if not after <= before or not removed or not all(set(re.findall(r"\w+", x)) & cols for x in removed):
            return False
        checks.append(f"constraint: {head} rewritten for the new type: {was[key]} -> {got[key]}")
        return True

    def _names(self) -> dict[int, str]:
        names: dict[int, str] = {}
        for n, r in self.plan.rels.items():
            oid = self.conn.execute("SELECT to_regclass(%s)::oid", (r.q,)).fetchone()[0]  # type: ignore[index]
            if oid:
                names[int(oid)] = n
        return names

    def oids(self) -> list[int]:
        return list(self._names())

    def state(self) -> _State:
        names = self._names()
        oids = list(names)
        counts = {n: int(self.conn.execute(f"SELECT count(*) FROM {self.plan.rels[n].q}").fetchone()[0])  # type: ignore[index]
                  for n in names.values()}
        cons = {(names[int(t)], str(n)): str(d) for t, n, d in self.conn.execute(
            "SELECT conrelid, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = ANY(%s::oid[])", (oids,)).fetchall()}
        idx = {(names[int(t)], str(n)): str(d) for t, n, d in self.conn.execute(
            "SELECT i.indrelid, c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = ANY(%s::oid[])", (oids,)).fetchall()}
        cols = {(names[int(t)], str(c)): (bool(nn), d) for t, c, nn, d in self.conn.execute(
            "SELECT a.attrelid, a.attname, a.attnotnull, pg_get_expr(d.adbin, d.adrelid) "
            "FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            "WHERE a.attrelid = ANY(%s::oid[]) AND a.attnum > 0 AND NOT a.attisdropped", (oids,)).fetchall()}
        views: dict[str, int | str] = {}
        for qname, _ in self.plan.views:
            try:
                with self.conn.transaction():
                    views[qname] = int(self.conn.execute(f"SELECT count(*) FROM {qname}").fetchone()[0])  # type: ignore[index]
            except psycopg.Error as exc:
                views[qname] = _first_line(exc)
        seqs: dict[str, int] = {}  # sequence -> the next value it hands out
        for qname, inc in self.conn.execute(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), increment_by "
                "FROM pg_sequences WHERE schemaname = ANY(%s)", (self.plan.schemas,)).fetchall():
            last, called = self.conn.execute(f"SELECT last_value, is_called FROM {qname}").fetchone()  # type: ignore[misc]
            seqs[str(qname)] = int(last) + (int(inc) if called else 0)
        fns = {str(r[0]) for r in self.conn.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = ANY(%s)", (self.plan.schemas,)).fetchall()}
        return _State(counts, cons, idx, cols, views, self._fire_triggers(oids), seqs, fns)

    def _fire_triggers(self, oids: list[int]) -> dict[str, tuple[str, dict[str, int]] | str]:
        """Each DELETE/UPDATE trigger fired on one row in a rolled-back transaction: its effect (row count
        changes per copied table), or the error. The same row (by fingerprint) is used after the migration."""
        out: dict[str, tuple[str, dict[str, int]] | str] = {}
        rows = self.conn.execute(
            "SELECT t.tgname, c.oid::regclass::text, t.tgtype, n.nspname, c.relname, "
            "ARRAY(SELECT attname FROM pg_attribute WHERE attrelid = c.oid AND attnum = ANY(t.tgattr::int2[])) "
            "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE t.tgrelid = ANY(%s::oid[]) AND NOT t.tgisinternal ORDER BY t.tgname", (oids,)).fetchall()
        names = {(r.nsp, r.rel): n for n, r in self.plan.rels.items()}
        for tgname, _rel, tgtype, nsp, relname, tgcols in rows:
            table = names.get((nsp, relname))
            if table is None:
                continue
            q = self.plan.rels[table].q
            fp = self._row_text(table, "t")
            label = f"{tgname} on {table}"
            if tgtype & 8:
                action = "DELETE"
                dml = f"DELETE FROM {q} AS t WHERE t.ctid = (SELECT s.ctid FROM {q} AS s WHERE {fp.replace('t.', 's.')} = %s LIMIT 1)"
            elif tgtype & 16:
                col = (tgcols or self._other_cols(table) or [""])[0]
                action = "UPDATE"
                dml = (f"UPDATE {q} AS t SET {_qi(col)} = t.{_qi(col)} WHERE t.ctid = "
                       f"(SELECT s.ctid FROM {q} AS s WHERE {fp.replace('t.', 's.')} = %s LIMIT 1)")
            else:
                out[label] = "not fired (INSERT/TRUNCATE trigger)"
                continue
            if label not in self.trigger_rows:
                self.trigger_rows[label] = self._pick_row(q, table, dml)
            key = self.trigger_rows[label]
            if not key:
                out[label] = f"not fired: no row of {table} can take a {action}"
                continue
            try:
                with self.conn.transaction(force_rollback=True):
                    before = self._counts()
                    cur = self.conn.execute(dml, (key,))
                    if cur.rowcount != 1:
                        raise LookupError(f"the row it was fired on before is gone ({cur.rowcount} rows)")
                    self.conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    after = self._counts()
                out[label] = (action, {t: after[t] - before[t] for t in before if after[t] != before[t]})
            except (psycopg.Error, LookupError) as exc:
                out[label] = f"fails: {_first_line(exc)}"
        return out

    def _pick_row(self, q: str, table: str, dml: str) -> str:
        fp = self._row_text(table, "t")
        for (cand,) in self.conn.execute(f"SELECT {fp} FROM {q} AS t LIMIT 20").fetchall():
            try:
                with self.conn.transaction(force_rollback=True):
                    self.conn.execute(dml, (cand,))
                    self.conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
                return str(cand)
            except psycopg.Error:
                continue
        return ""

    def _counts(self) -> dict[str, int]:
        return {n: int(self.conn.execute(f"SELECT count(*) FROM {r.q}").fetchone()[0])  # type: ignore[index]
                for n, r in self.plan.rels.items()}

    def save_links(self) -> list[tuple[str, str, str, str]]:
        """Before the migration: every link's fingerprints into a table of the bookkeeping schema."""
        global _LINK_TABLE
        saved = []
        for label, query, kind in self._links():
            _LINK_TABLE += 1
            name = f"{_qi(MARK_SCHEMA)}.{_qi(f'link_{_LINK_TABLE}')}"
            self.conn.execute(f"CREATE TABLE {name} AS {query}")
            saved.append((label, query, kind, name))
        return saved

    def compare_links(self, saved: list[tuple[str, str, str, str]], checks: list[str], failures: list[str]) -> None:
        for label, query, kind, name in saved:
            extra: list[str] = []
            if kind == "other":
                column = label.split(" ", 1)[0]
                table, _, col = column.rpartition(".")
                r = self.plan.rels[table]
                known = {c[0] for c in r.columns}
                extra = [str(x[0]) for x in self.conn.execute(
                    "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 "
                    "AND NOT attisdropped ORDER BY attnum", (r.q,)).fetchall() if x[0] not in known]
                query = self._other_query(column, [col, *extra])
            try:
                with self.conn.transaction():
                    linked_b, dangling_b, linked_a, dangling_a, kept = self.conn.execute(f"""
                        WITH a AS ({query}),
                             bg AS (SELECT h, count(*) AS n FROM {name} WHERE linked GROUP BY h),
                             ag AS (SELECT h, count(*) AS n FROM a WHERE linked GROUP BY h)
                        SELECT (SELECT count(*) FROM {name} WHERE linked), (SELECT count(*) FROM {name} WHERE NOT linked),
                               (SELECT count(*) FROM a WHERE linked), (SELECT count(*) FROM a WHERE NOT linked),
                               (SELECT coalesce(sum(least(bg.n, ag.n)), 0) FROM bg JOIN ag USING (h))""").fetchone()  # type: ignore[misc]
            except psycopg.Error as exc:
                failures.append(f"{kind}: {label} cannot be checked after the migration: {_first_line(exc)}")
                continue
            if kind == "other":
                where = f" (in {label.split(' ', 1)[0].rpartition('.')[2]} or {', '.join(extra)})" if extra else ""
                line = f"other: {label} {kept}/{linked_b} kept{where}"
                checks.append(line)
                if kept != linked_b:
                    failures.append(line)
                continue
            line = f"link: {label} {kept}/{linked_b} kept"
            if dangling_b or dangling_a:
                line += f" ({dangling_b} pointing at no row before, {dangling_a} after)"
            checks.append(line)
            if kept != linked_b or linked_a != linked_b or dangling_a > dangling_b:
                failures.append(line)

    def compare(self, b: _State, a: _State, checks: list[str], failures: list[str]) -> None:
        def check(ok: bool, line: str) -> None:
            checks.append(line)
            if not ok:
                failures.append(line)

        for table, count in b.counts.items():
            now = a.counts.get(table)
            check(now == count, f"rows: {table} {count} = {now}" if now == count
                  else f"rows: {table} {count} before, {now} after")
        for what, was, got in (("constraint", b.constraints, a.constraints), ("index", b.indexes, a.indexes)):
            lost = _lost(was, got, checks, what)
            if what == "constraint" and self.family_changes:
                lost = [x for x in lost if not self._narrowed_check(x, was, got, checks)]
            check(not lost, f"{what.replace('index', 'indexe')}s: {len(was) - len(lost)}/{len(was)} kept"
                  + (": lost " + "; ".join(lost) if lost else ""))
        bad = []
        for (t, c), (nn, d) in b.columns.items():
            if (t, c) in self.impacted:
                now_nn = a.columns.get((t, c), (False, None))[0]
                carried = any(tt == t and re.search(rf'\b"?{re.escape(c)}"? IS NOT NULL', df)
                              for (tt, _), df in a.constraints.items())
                if nn and not now_nn and not carried:
                    bad.append(f"{t}.{c} NOT NULL lost")
                continue
            col_now = a.columns.get((t, c))
            if col_now is None:
                bad.append(f"{t}.{c} gone")
            elif col_now[0] != nn:
                bad.append(f"{t}.{c} NOT NULL {'lost' if nn else 'added'}")
            elif (col_now[1] or "") != (d or "") and _normal_def(col_now[1] or "") != _normal_def(d or ""):
                bad.append(f"{t}.{c} default {d} -> {col_now[1]}")
        check(not bad, "columns: NOT NULL kept (or carried by a CHECK), defaults of untouched columns kept"
              + (": " + "; ".join(bad) if bad else ""))
        for view, rows in b.views.items():
            res = a.views.get(view)
            check(res == rows, f"view: {view} answers {res} rows (was {rows})" if isinstance(res, int)
                  else f"view: {view} fails: {res}")
        for tg, eff in b.triggers.items():
            after = a.triggers.get(tg)
            if isinstance(eff, str):
                checks.append(f"trigger: {tg} {eff}")
                continue
            action, delta = eff
            what = ", ".join(f"{d:+d} {t}" for t, d in sorted(delta.items())) or "no row count change"
            if after == eff:
                check(True, f"trigger: {tg} fired by a {action} of one row: {what}, as before")
            elif isinstance(after, str) or after is None:
                check(False, f"trigger: {tg} {after or 'gone'} (before: {what})")
            else:
                now_txt = ", ".join(f"{d:+d} {t}" for t, d in sorted(after[1].items())) or "no row count change"
                check(False, f"trigger: {tg} fired by a {action} of one row: {now_txt} (before: {what})")
        behind = [f"{seq} {a.sequences[seq]} < {v}" for seq, v in b.sequences.items()
                  if seq in a.sequences and a.sequences[seq] < v]
        dropped = sorted(set(b.sequences) - set(a.sequences))
        check(not behind, f"sequences: {len(b.sequences) - len(dropped) - len(behind)}/{len(b.sequences)} hand out "
              "the same next value or a higher one" + (f" (dropped by the migration: {', '.join(dropped)})"
                                                        if dropped else "")
              + (": went back " + ", ".join(behind) if behind else ""))
        gone = sorted(set(b.functions) - set(a.functions))
        kept_names = {f.split("(")[0] for f in a.functions}
        gone = [f for f in gone if f.split("(")[0] not in kept_names]
        check(not gone, f"functions: {len(b.functions) - len(gone)}/{len(b.functions)} present"
              + (": gone " + ", ".join(gone) if gone else ""))

    def inserts(self, strategy: str, source: SchemaSnapshot, checks: list[str], failures: list[str]) -> None:
        """A row into each target without an explicit key: it gets one; for a shared sequence the new ids are
        distinct across targets and name no existing row of any target. Rolled back."""
        shared = strategy == "shared-sequence"
        new: dict[str, str] = {}
        targets = [t for t in self.closure.targets if t.table in self.plan.rels]
        try:
            with self.conn.transaction(force_rollback=True):
                for t in targets:
                    r = self.plan.rels[t.table]
                    cols = [c[0] for c in r.columns if c[0] != t.column and not c[5] and self._has(r, c[0])]
                    uniq = self._unique_text_columns(r)
                    sel = ", ".join(f"t.{_qi(c)} || '-rehearsal'" if c in uniq else f"t.{_qi(c)}" for c in cols)
                    names = ", ".join(_qi(c) for c in cols)
                    row = self.conn.execute(f"INSERT INTO {r.q} ({names}) SELECT {sel} FROM {r.q} AS t LIMIT 1 "
                                            f"RETURNING {_qi(t.column)}::text").fetchone()
                    if row is None or row[0] is None:
                        raise LookupError(f"{t.table} has no row to copy or its key is NULL")
                    new[t.table] = str(row[0])
                clashes = []
                for table, value in new.items():
                    for t in targets:
                        r = self.plan.rels[t.table]
                        hit = self.conn.execute(f"SELECT count(*) FROM {r.q} WHERE {_qi(t.column)}::text = %s",
                                                (value,)).fetchone()[0]  # type: ignore[index]
                        if hit > (1 if t.table == table else 0):
                            clashes.append(f"{table}'s new id {value} is also {t.qualified}")
        except (psycopg.Error, LookupError) as exc:
            line = f"insert: a row without an explicit key fails: {_first_line(exc)}"
            checks.append(line)
            had_default = any(
                (col := (source.table(t.table) or _EMPTY).column(t.column)) is not None
                and (col.default or col.identity) for t in targets)
            if shared or had_default:
                failures.append(line)
            return
        line = "insert: new keys " + ", ".join(f"{t} {v}" for t, v in new.items())
        distinct = len(set(new.values())) == len(new)
        if shared:
            ok = distinct and not clashes
            line += " distinct across targets, none taken" if ok else f": collide ({'; '.join(clashes) or 'same id'})"
            checks.append(line)
            if not ok:
                failures.append(line)
        else:
            checks.append(line + ("" if distinct else " (the same id in several targets: no shared sequence)"))

    def _has(self, r: _Rel, col: str) -> bool:
        return bool(self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = %s::regclass AND attname = %s "
            "AND NOT attisdropped AND attgenerated = '' AND attidentity <> 'a')", (r.q, col)).fetchone()[0])  # type: ignore[index]

    def _unique_text_columns(self, r: _Rel) -> set[str]:
        rows = self.conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indrelid = %s::regclass AND i.indisunique AND NOT i.indisprimary "
            "AND a.atttypid IN ('text'::regtype, 'varchar'::regtype)", (r.q,)).fetchall()
        return {str(x[0]) for x in rows}


def _lost(was: dict[tuple[str, str], str], got: dict[tuple[str, str], str], checks: list[str],
          what: str) -> list[str]:
    """Definitions of `was` missing from `got`, by name, then by definition under another name (a rename)."""
    def bare(d: str) -> str:
        return _normal_def(re.sub(r"^CREATE (UNIQUE )?INDEX \S+ ON", r"CREATE \1INDEX ON", d))
    by_def = {(t, bare(d)): n for (t, n), d in got.items()}
    lost = []
    for (t, n), d in was.items():
        if (t, n) in got and bare(got[(t, n)]) == bare(d):
            continue
        other = by_def.get((t, bare(d)))
        if other is not None:
            checks.append(f"{what}: {t}.{n} kept as {other}")
            continue
        lost.append(f"{t}.{n} {d}" + (f" (now {got[(t, n)]})" if (t, n) in got else " (gone)"))
    return lost


class _EmptyTable:
    def column(self, name: str) -> None:
        return None


_EMPTY: Any = _EmptyTable()


# ----------------------------------------------------------------------------- running steps


def _settings(conn: psycopg.Connection[Any], migration: Migration) -> None:
    for key, value in migration.settings.items():
        conn.execute(f"SET {key} = '{value}'")


def _catalog_digest(conn: psycopg.Connection[Any], plan: _Plan) -> str:
    row = conn.execute("""
        SELECT md5(coalesce(string_agg(x, '|' ORDER BY x), '')) FROM (
          SELECT c.oid::regclass::text || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod)
                 || a.attnotnull::text || coalesce(pg_get_expr(d.adbin, d.adrelid), '') AS x
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p', 'v', 'm')
          UNION ALL SELECT conrelid::regclass::text || conname || pg_get_constraintdef(co.oid) FROM pg_constraint co
          JOIN pg_namespace n ON n.oid = co.connamespace WHERE n.nspname = ANY(%s)
          UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = ANY(%s)
          UNION ALL SELECT tgname || tgrelid::regclass::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY(%s) AND NOT t.tgisinternal) s
    """, (plan.schemas,) * 4).fetchone()
    return str(row[0])  # type: ignore[index]


def _run_steps(conn: psycopg.Connection[Any], plan: _Plan, migration: Migration, counts: dict[str, int],
               checks: list[str], failures: list[str], progress: Progress) -> list[tuple[str, float]]:
    timings: list[tuple[str, float]] = []
    _settings(conn, migration)
    total = len(migration.steps)
    for i, step in enumerate(migration.steps, 1):
        progress(0, description=f"rehearse {migration.strategy}: step {i}/{total} {step.name}")
        digest = _catalog_digest(conn, plan)
        start = time.perf_counter()
        try:
            for key, value in step.settings.items():
                conn.execute(f"SET {key} = '{value}'")
            if step.transactional:
                with conn.transaction():
                    conn.execute(step.sql)
            else:
                for stmt in split_statements(step.sql):
                    conn.execute(stmt)
            for stmt in migration.restore(step):
                conn.execute(stmt)
        except psycopg.Error as exc:
            secs = time.perf_counter() - start
            timings.append((step.name, secs))
            failures.append(f"step {i}/{total} {step.name} failed after {secs:.2f}s: {_first_line(exc)}")
            checks.append(failures[-1])
            if step.transactional:
                same_catalog = _catalog_digest(conn, plan) == digest
                now = {n: int(conn.execute(f"SELECT count(*) FROM {r.q}").fetchone()[0])  # type: ignore[index]
                       for n, r in plan.rels.items() if conn.execute(
                           "SELECT to_regclass(%s) IS NOT NULL", (r.q,)).fetchone()[0]}  # type: ignore[index]
                same = same_catalog and now == counts
                line = (f"rollback: step {i} left the copy as before it (schema and row counts)" if same
                        else f"rollback: step {i} changed the copy although it failed")
                checks.append(line)
                if not same:
                    failures.append(line)
            else:
                checks.append(f"rollback: step {i} runs outside a transaction; what it did before failing stays")
            return timings
        timings.append((step.name, time.perf_counter() - start))
    return timings


# ----------------------------------------------------------------------------- the entry point


def _discriminators(engine: Any, schema: SchemaSnapshot, closure: Closure, config: Config | None,
                    checks: list[str]) -> Mapping[str, Any]:
    try:
        from analyzer.plan.polymorphic import discriminators
    except ImportError:  # pragma: no cover - shipped together
        return {}
    try:
        return discriminators(schema, closure, engine, config)
    except MigrationRefused as exc:
        checks.append(f"note: polymorphic columns compared by id only: {exc}")
        return {}


def _check_identity(src: psycopg.Connection[Any], dst: psycopg.Connection[Any], scratch_url: str) -> None:
    """Same cluster and same database name, whatever the URLs say (an alias, a port forward, a socket)."""
    def ident(conn: psycopg.Connection[Any]) -> tuple[Any, ...] | None:
        try:
            with conn.transaction():
                row = conn.execute("SELECT (SELECT system_identifier FROM pg_control_system()), "
                                   "current_database()").fetchone()
            return tuple(row) if row else None
        except psycopg.Error:
            return None
    a, b = ident(src), ident(dst)
    if a is not None and a == b:
        raise ScratchRefused(f"--rehearse-db {redact(scratch_url)} is the source database itself; "
                             "give an empty scratch database")


def _check_scratch_empty(dst: psycopg.Connection[Any], schemas: list[str], scratch_url: str) -> None:
    marked = dst.execute("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = %s)", (MARK_SCHEMA,)).fetchone()[0]  # type: ignore[index]
    if marked:
        return
    n = dst.execute("SELECT count(*) FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace "
                    "WHERE ns.nspname = ANY(%s) AND c.relkind IN ('r', 'p', 'v', 'm')", (schemas,)).fetchone()[0]  # type: ignore[index]
    if n:
        raise ScratchRefused(f"--rehearse-db {redact(scratch_url)} already holds {n} tables or views in "
                             f"{', '.join(schemas)}; the rehearsal drops and re-creates those schemas, so give it an "
                             "empty database")


def rehearse(source_url: str, scratch_url: str, schema: SchemaSnapshot, closure: Closure,
             migrations: Mapping[str, Migration], sample: int | None = None,
             progress: Progress = no_progress, *, config: Config | None = None) -> dict[str, Rehearsal]:
    """Copy the affected tables from the read-only source into the scratch database once per strategy, run
    that strategy's migration step by step, time each step and verify what it kept."""
    if same_database(source_url, scratch_url):
        raise ScratchRefused(f"--rehearse-db {redact(scratch_url)} names the same database as --db; "
                             "the rehearsal writes, so give it a scratch database")
    if sample is not None and sample < 1:
        raise ScratchRefused(f"--sample must be a positive number of rows, got {sample}")
    for url in (source_url, scratch_url):
        if normalize_url(url).get_backend_name() != "postgresql":
            raise ScratchRefused(f"rehearsal runs on PostgreSQL only; {redact(url)} is not a PostgreSQL URL")
    engine = open_engine(source_url)
    results: dict[str, Rehearsal] = {}
    try:
        raw = engine.raw_connection()
        src: psycopg.Connection[Any] = raw.driver_connection  # type: ignore[assignment]
        src.autocommit = True
        dst = _connect_scratch(scratch_url)
        try:
            _check_identity(src, dst, scratch_url)
            notes: list[str] = []
            discs = _discriminators(engine, schema, closure, config, notes)
            src.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                plan = _read_plan(src.cursor(), schema, closure)
            finally:
                src.execute("COMMIT")
            _check_scratch_empty(dst, plan.schemas, scratch_url)
            for name, migration in migrations.items():
                progress(0, description=f"rehearse {name}: copy")
                results[name] = _one(src, dst, scratch_url, plan, schema, closure, migration, sample, discs,
                                     list(notes), progress)
                progress(1)
        finally:
            dst.close()
            raw.close()
    finally:
        engine.dispose()
    return results


def _one(src: psycopg.Connection[Any], dst: psycopg.Connection[Any], scratch_url: str, plan: _Plan,
         schema: SchemaSnapshot,
         closure: Closure, migration: Migration, sample: int | None, discs: Mapping[str, Any],
         checks: list[str], progress: Progress) -> Rehearsal:
    failures: list[str] = []
    copier = _Copier(src, dst, plan, schema, closure, sample)
    start = time.perf_counter()
    copier.reset()
    copier.build()
    copy_seconds = time.perf_counter() - start
    dst.execute("RESET ALL")
    checks.append("copy: " + ", ".join(f"{t} {n}" for t, n in sorted(copier.rows.items()))
                  + f" rows in {copy_seconds:.2f}s" + (f" (sample {sample})" if sample else ""))
    verifier = _Verifier(dst, plan, closure, discs)
    verifier.family_changes = migration.strategy not in ("bigint", "shared-sequence")
    before = verifier.state()
    saved = verifier.save_links()
    timings = _run_steps(dst, plan, migration, before.counts, checks, failures, progress)
    dst.execute("RESET ALL")
    # the session that ran the migration has plans cached from before it (plpgsql): an application's pooled
    # connection is in the same place, so say so; the verification itself runs in a new session
    stale = {t: e for t, e in verifier._fire_triggers(verifier.oids()).items() if isinstance(e, str)}
    with _connect_scratch(scratch_url) as fresh:
        verifier.conn = fresh
        after = verifier.state()
        for tg, err in sorted(stale.items()):
            if not isinstance(after.triggers.get(tg), str) and not isinstance(before.triggers.get(tg), str):
                checks.append(f"note: trigger {tg} {err} in a session opened before the migration (cached "
                              "plan); pooled connections must reconnect")
        verifier.compare(before, after, checks, failures)
        verifier.compare_links(saved, checks, failures)
        verifier.inserts(migration.strategy, schema, checks, failures)
    verifier.conn = dst
    scale = {t: (copier.full.get(t, n) / n if n else 1.0) for t, n in copier.rows.items()}
    return Rehearsal(ok=not failures, checks=checks, failures=failures, step_seconds=timings, sample=sample,
                     scale=scale, rows=dict(copier.rows), copy_seconds=copy_seconds)
