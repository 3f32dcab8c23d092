"""Database objects that depend on columns: what else must change when a key column changes type.

PostgreSQL answers from its catalogue (pg_depend, pg_rewrite, pg_trigger, pg_policy, pg_constraint,
pg_attrdef, pg_inherits); function bodies are matched by word. MySQL/MariaDB and SQLite keep views
and triggers as SQL text, matched by word as well. Everything is collected for every table in a
few queries; the closure later keeps the ones that touch impacted columns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import sqlalchemy as sa

from analyzer.models import Dependent

Qualify = Callable[[str | None, str], str]
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


def words(text: str | None) -> set[str]:
    return {w.lower() for w in _WORD.findall(text or "")}


def reflect_dependents(conn: sa.Connection, dialect: str, default: str | None,
                       schemas: Sequence[str | None], qualify: Qualify,
                       columns: dict[str, list[str]] | None = None) -> tuple[Dependent, ...]:
    """`columns` (qualified table -> column names), when the caller has them, saves a catalogue query."""
    try:
        if dialect == "postgresql":
            nsps = sorted({s or default or "public" for s in schemas})
            return _postgres(conn, nsps, default, qualify)
        if dialect == "mysql":
            nsps = sorted({s or default or "" for s in schemas})
            return _mysql(conn, nsps, default, qualify, columns)
        if dialect == "sqlite":
            return _sqlite(conn)
    except sa.exc.DBAPIError:
        # dependents are context; a catalogue we may not read must not lose the schema
        try:
            conn.rollback()
        except sa.exc.DBAPIError:  # pragma: no cover
            pass
    return ()


def _q(default: str | None, qualify: Qualify) -> Callable[[str, str], str]:
    return lambda nsp, rel: qualify(None if nsp == default else nsp, rel)


_PG_VIEWS = """
SELECT DISTINCT v.relkind, vn.nspname, v.relname, tn.nspname, t.relname, a.attname
FROM pg_depend d
JOIN pg_rewrite r ON r.oid = d.objid
JOIN pg_class v ON v.oid = r.ev_class
JOIN pg_class t ON t.oid = d.refobjid
JOIN pg_namespace vn ON vn.oid = v.relnamespace
JOIN pg_namespace tn ON tn.oid = t.relnamespace
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
  AND d.refobjsubid > 0 AND v.oid <> t.oid AND tn.nspname = ANY(:s)
"""
_PG_VIEWDEFS = """
SELECT n.nspname, c.relname, pg_get_viewdef(c.oid, true),
       ARRAY(SELECT pg_get_indexdef(x.indexrelid) FROM pg_index x WHERE x.indrelid = c.oid ORDER BY 1)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY(:s)
"""
_PG_TRIGGERS = """
SELECT tg.tgname, n.nspname, c.relname, pg_get_triggerdef(tg.oid), pn.nspname, p.proname, p.prosrc,
       ARRAY(SELECT a.attname FROM pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum = ANY(tg.tgattr::int2[]))
FROM pg_trigger tg
JOIN pg_class c ON c.oid = tg.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_proc p ON p.oid = tg.tgfoid
JOIN pg_namespace pn ON pn.oid = p.pronamespace
WHERE NOT tg.tgisinternal AND n.nspname = ANY(:s)
"""
_PG_COLUMNS = """
SELECT n.nspname, c.relname, a.attname
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND n.nspname = ANY(:s)
"""
_PG_FUNCTIONS = """
SELECT pn.nspname, p.proname, pg_get_function_identity_arguments(p.oid), p.prosrc, pg_get_functiondef(p.oid)
FROM pg_proc p JOIN pg_namespace pn ON pn.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
WHERE pn.nspname = ANY(:s) AND p.prokind IN ('f', 'p') AND l.lanname NOT IN ('c', 'internal')
  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid
                  AND e.deptype = 'e')
"""
_PG_POLICIES = """
SELECT p.polname, n.nspname, c.relname, tn.nspname, t.relname, a.attname,
       concat_ws(' WITH CHECK ', pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid))
FROM pg_policy p
JOIN pg_class c ON c.oid = p.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_depend d ON d.classid = 'pg_policy'::regclass AND d.objid = p.oid
     AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0
JOIN pg_class t ON t.oid = d.refobjid
JOIN pg_namespace tn ON tn.oid = t.relnamespace
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
WHERE tn.nspname = ANY(:s)
"""
_PG_CHECKS = """
SELECT co.conname, n.nspname, c.relname, a.attname, pg_get_constraintdef(co.oid)
FROM pg_constraint co
JOIN pg_class c ON c.oid = co.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(co.conkey)
WHERE co.contype = 'c' AND n.nspname = ANY(:s)
"""
_PG_GENERATED = """
SELECT g.attname, n.nspname, c.relname, a.attname, pg_get_expr(ad.adbin, ad.adrelid)
FROM pg_attrdef ad
JOIN pg_attribute g ON g.attrelid = ad.adrelid AND g.attnum = ad.adnum AND g.attgenerated <> ''
JOIN pg_class c ON c.oid = ad.adrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid
     AND d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid AND d.refobjsubid > 0
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
WHERE n.nspname = ANY(:s)
"""
_PG_SEQUENCES = """
SELECT sn.nspname, s.relname, n.nspname, c.relname, a.attname, d.deptype,
       format_type(sq.seqtypid, NULL)
FROM pg_depend d
JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
JOIN pg_namespace sn ON sn.oid = s.relnamespace
JOIN pg_sequence sq ON sq.seqrelid = s.oid
JOIN pg_class c ON c.oid = d.refobjid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
  AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0 AND n.nspname = ANY(:s)
"""
_PG_INHERITS = """
SELECT cn.nspname, c.relname, pn.nspname, p.relname, p.relkind, pg_get_expr(c.relpartbound, c.oid)
FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
WHERE p.relkind IN ('r', 'p') AND pn.nspname = ANY(:s)
"""


def _postgres(conn: sa.Connection, nsps: list[str], default: str | None, qualify: Qualify
              ) -> tuple[Dependent, ...]:
    q = _q(default, qualify)
    p = {"s": nsps}
    out: list[Dependent] = []
    viewdefs = {q(n, r): (d or "", ixs or []) for n, r, d, ixs in conn.execute(sa.text(_PG_VIEWDEFS), p)}
    for kind, vn, vr, tn, tr, col in conn.execute(sa.text(_PG_VIEWS), p):
        name = q(vn, vr)
        label = "materialized view" if kind == "m" else "view"
        body, indexes = viewdefs.get(name, ("", []))
        # ddl: the materialized view's indexes, which a re-creation must build again
        out.append(Dependent(label, name, q(tn, tr), col, body, ";\n".join(indexes)))

    columns: dict[str, list[str]] = {}
    for n, r, col in conn.execute(sa.text(_PG_COLUMNS), p):
        columns.setdefault(q(n, r), []).append(col)

    for tg, n, r, tdef, fn_nsp, fn, body, attrs in conn.execute(sa.text(_PG_TRIGGERS), p):
        table = q(n, r)
        used = words(body)
        cols = list(dict.fromkeys([*(attrs or []), *(c for c in columns.get(table, []) if c.lower() in used)]))
        definition = f"{tdef}\n-- function {q(fn_nsp, fn)}()"
        for col in cols or [None]:
            out.append(Dependent("trigger", f"{tg} on {table}", table, col, definition))

    by_column: dict[str, list[tuple[str, str]]] = {}
    for table, cols in columns.items():
        for col in cols:
            by_column.setdefault(col.lower(), []).append((table, col))
    for fn_nsp, fn, args, body, ddl in conn.execute(sa.text(_PG_FUNCTIONS), p):
        used = words(body)
        name = f"{q(fn_nsp, fn)}({args})"
        for word in used & by_column.keys():
            holders = by_column[word]
            bare = {t: t.rsplit(".", 1)[-1].lower() for t, _ in holders}
            named = [(t, c) for t, c in holders if bare[t] in used]
            if not named and word == "id":
                continue  # `id` alone says nothing about which table
            for table, col in named or holders:
                out.append(Dependent("function", name, table, col, (body or "").strip()[:2000], ddl or ""))

    for pol, n, r, tn, tr, col, expr in conn.execute(sa.text(_PG_POLICIES), p):
        out.append(Dependent("policy", f"{pol} on {q(n, r)}", q(tn, tr), col, expr or ""))
    for con, n, r, col, cdef in conn.execute(sa.text(_PG_CHECKS), p):
        out.append(Dependent("check constraint", con, q(n, r), col, cdef or ""))
    for gen, n, r, col, expr in conn.execute(sa.text(_PG_GENERATED), p):
        table = q(n, r)
        out.append(Dependent("generated column", f"{table}.{gen}", table, col, f"GENERATED ALWAYS AS ({expr})"))
    for sn, s, n, r, col, deptype, seqtype in conn.execute(sa.text(_PG_SEQUENCES), p):
        how = "identity" if deptype == "i" else "owned by"
        out.append(Dependent("sequence", q(sn, s), q(n, r), col, f"{how} {q(n, r)}.{col} AS {seqtype}"))
    for cn, c, pn, pr, pkind, bound in conn.execute(sa.text(_PG_INHERITS), p):
        label = "partition" if pkind == "p" else "inheritance child"
        out.append(Dependent(label, q(cn, c), q(pn, pr), None, bound or f"INHERITS ({q(pn, pr)})"))
    return tuple(sorted(set(out), key=_order))


def _order(d: Dependent) -> tuple[str, str, str, str]:
    return (d.table, d.column or "", d.kind, d.name)


def _text_matches(kind: str, name: str, sql: str, columns: dict[str, list[str]], own_table: str | None
                  ) -> list[Dependent]:
    """Views and triggers kept as SQL text: a column counts when its table and its name are both named."""
    used = words(sql)
    out = []
    for table, cols in columns.items():
        bare = table.rsplit(".", 1)[-1].lower()
        if bare not in used and table != own_table:
            continue
        for col in cols:
            if col.lower() in used:
                out.append(Dependent(kind, name, table, col, sql.strip()[:2000]))
    return out


def _mysql(conn: sa.Connection, nsps: list[str], default: str | None, qualify: Qualify,
           known: dict[str, list[str]] | None = None) -> tuple[Dependent, ...]:
    q = _q(default, qualify)
    expanding: sa.BindParameter[list[str]] = sa.bindparam("s", expanding=True)
    columns: dict[str, list[str]] = dict(known or {})
    for n, r, col in () if known is not None else conn.execute(sa.text(
        "SELECT c.table_schema, c.table_name, c.column_name FROM information_schema.columns c "
        "JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
        "WHERE t.table_type = 'BASE TABLE' AND c.table_schema IN :s ORDER BY c.ordinal_position"
    ).bindparams(expanding), {"s": nsps}):
        columns.setdefault(q(n, r), []).append(col)
    out: list[Dependent] = []
    for n, r, body in conn.execute(sa.text(
        "SELECT table_schema, table_name, view_definition FROM information_schema.views WHERE table_schema IN :s"
    ).bindparams(expanding), {"s": nsps}):
        out.extend(_text_matches("view", q(n, r), body or "", columns, None))
    for _n, tg, tn, tr, event, timing, body in conn.execute(sa.text(
        "SELECT trigger_schema, trigger_name, event_object_schema, event_object_table, event_manipulation, "
        "action_timing, action_statement FROM information_schema.triggers WHERE event_object_schema IN :s"
    ).bindparams(expanding), {"s": nsps}):
        table = q(tn, tr)
        sql = f"CREATE TRIGGER {tg} {timing} {event} ON {tr} FOR EACH ROW {body}"
        found = _text_matches("trigger", f"{tg} on {table}", sql, columns, table)
        out.extend(found or [Dependent("trigger", f"{tg} on {table}", table, None, sql)])
    for n, fn, body in conn.execute(sa.text(
        "SELECT routine_schema, routine_name, routine_definition FROM information_schema.routines "
        "WHERE routine_schema IN :s"
    ).bindparams(expanding), {"s": nsps}):
        out.extend(_text_matches("function", q(n, fn), body or "", columns, None))
    for n, r, con, clause in _mysql_checks(conn, nsps):
        table = q(n, r)
        out.extend(_text_matches("check constraint", con, clause, {table: columns.get(table, [])}, table))
    return tuple(sorted(set(out), key=_order))


def _mysql_checks(conn: sa.Connection, nsps: list[str]) -> list[tuple[str, str, str, str]]:
    """CHECK constraints; MySQL 8 has no table_name in check_constraints, so join table_constraints."""
    try:
        rows = conn.execute(sa.text(
            "SELECT tc.table_schema, tc.table_name, cc.constraint_name, cc.check_clause "
            "FROM information_schema.check_constraints cc JOIN information_schema.table_constraints tc "
            "ON tc.constraint_schema = cc.constraint_schema AND tc.constraint_name = cc.constraint_name "
            "AND tc.constraint_type = 'CHECK' WHERE cc.constraint_schema IN :s"
        ).bindparams(sa.bindparam("s", expanding=True)), {"s": nsps}).all()
    except sa.exc.DBAPIError:  # MySQL before 8.0.16 has no such view
        conn.rollback()
        return []
    return sorted({(str(a), str(b), str(c), str(d or "")) for a, b, c, d in rows})


def _sqlite(conn: sa.Connection) -> tuple[Dependent, ...]:
    rows = conn.execute(sa.text("SELECT type, name, tbl_name, sql FROM sqlite_master")).all()
    tables = [name for typ, name, _, _ in rows if typ == "table" and not name.startswith("sqlite_")]
    columns: dict[str, list[str]] = {}
    prep = conn.dialect.identifier_preparer
    for table in tables:
        columns[table] = [r[1] for r in conn.execute(sa.text(f"PRAGMA table_info({prep.quote(table)})"))]
    out: list[Dependent] = []
    for typ, name, tbl, sql in rows:
        if typ == "view":
            out.extend(_text_matches("view", name, sql or "", columns, None))
        elif typ == "trigger":
            found = _text_matches("trigger", f"{name} on {tbl}", sql or "", columns, tbl)
            out.extend(found or [Dependent("trigger", f"{name} on {tbl}", tbl, None, sql or "")])
    return tuple(sorted(set(out), key=_order))
