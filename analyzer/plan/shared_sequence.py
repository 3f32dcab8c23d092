"""Shared sequence: two or more integer keys that share one id space get one sequence for all of them.

Measured first, read-only (`measure_collisions`): the ids present in more than one target, how many rows
of every referencing column (declared FK, inferred, virtual or polymorphic) point at such an id and
whether something tells those rows apart (a declared FK names one table; a polymorphic column needs its
discriminator), and per target its max id, rows, sequence and the sequence's last value. The SQL is kept
in `Collisions.query` so that a person can re-run it and get the same figures.

Then the migration (`build_shared_sequence`, PostgreSQL): one new bigint sequence; the targets' defaults
switched to it first (under a short ACCESS EXCLUSIVE lock, with `setval` above every max id and every old
sequence) so that no new collision can appear; then the existing collisions are resolved: the targets
that are cheapest to move (fewest rows to rewrite) give their colliding ids up for new ids from the
shared sequence, recorded in a mapping table (target, old_id -> new_id) that is kept for translating old
ids; keyed batches, committed one by one and resumable, move each row together with every row that
points at it (declared FKs are made DEFERRABLE for the move and restored after; polymorphic rows move only
when their discriminator names the moved target; rows of other kinds are never touched). Nothing is
dropped that is not re-created; the old sequences go only in the contract step.

MySQL/MariaDB and SQLite are refused with the reason (see `_refuse_dialect`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from analyzer.config import Config
from analyzer.db import dependents
from analyzer.models import Closure, Reference, SchemaSnapshot, Target
from analyzer.plan.polymorphic import Discriminator, discriminators
from analyzer.plan.steps import Migration, MigrationRefused, Step, unbounded

if TYPE_CHECKING:  # imported where a database is read: a scan without --db never loads SQLAlchemy
    import sqlalchemy as sa

#: rows of the moved target per batch (each batch also moves every row pointing at those ids)
BATCH_ROWS = 5000
#: PostgreSQL's identifier limit (NAMEDATALEN - 1), in bytes
MAX_IDENTIFIER_BYTES = 63
_INTEGER_TYPES = ("SMALLINT", "INTEGER", "INT", "INT2", "INT4", "INT8", "BIGINT", "SERIAL", "BIGSERIAL",
                  "SMALLSERIAL", "MEDIUMINT", "TINYINT")
_NEXTVAL = re.compile(r"nextval\('((?:[^']|'')+)'(?:::regclass)?\)", re.IGNORECASE)


@dataclass(frozen=True)
class Collisions:
    ids: int  # ids present in more than one target
    referencing_rows: int  # rows (all referencing columns) that point at a colliding id
    #: "generation_jobs.content_id" -> {"rows": N, "discriminated": bool, "by": "content_kind"|None,
    #: "kind": "declared|inferred|virtual|polymorphic", "by_target": {"content_items.id": N, ...},
    #: "refused": reason (only when the rows cannot be told apart)}
    by_column: dict[str, dict[str, Any]]
    #: "content_items.id" -> {"max": N, "rows": N, "sequence": "..."|None, "last_value": N|None,
    #: "is_called": bool|None, "identity": "always"|"by default"|None, "colliding": N}
    per_target: dict[str, dict[str, Any]]
    query: str  # the SQL used, so a person can re-run it


# ----------------------------------------------------------------------------- quoting


def _qi(name: str, dialect: str = "postgresql") -> str:
    """Always quoted: reserved words, dots, mixed case and unicode survive."""
    if dialect == "mysql":
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


def _split(table: str) -> tuple[str | None, str]:
    """A snapshot table name is "schema.table" only outside the default schema."""
    schema, dot, bare = table.partition(".")
    return (schema, bare) if dot else (None, table)


def _qt(table: str, dialect: str = "postgresql") -> str:
    schema, bare = _split(table)
    return f"{_qi(schema, dialect)}.{_qi(bare, dialect)}" if schema else _qi(bare, dialect)


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _fit(name: str) -> str:
    """A derived name within 63 bytes: cut on a character boundary, a short hash keeps it unique."""
    if len(name.encode()) <= MAX_IDENTIFIER_BYTES:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    cut = name.encode()[: MAX_IDENTIFIER_BYTES - 9].decode(errors="ignore")
    return f"{cut}_{digest}"


# ----------------------------------------------------------------------------- what refers to the targets


@dataclass(frozen=True)
class _Column:
    """A referencing column and how its rows are told apart."""

    table: str
    column: str
    kind: str  # declared | inferred | virtual | polymorphic
    targets: tuple[str, ...]  # qualified targets it may point at
    discriminator: Discriminator | None
    refused: str = ""

    @property
    def qualified(self) -> str:
        return f"{self.table}.{self.column}"

    def values_for(self, target: Target) -> list[str]:
        assert self.discriminator is not None
        return [v for v, t in self.discriminator.values.items() if t == target.table]


def _referencing(schema: SchemaSnapshot, closure: Closure, discs: dict[str, Discriminator] | None,
                 refused: dict[str, str] | None = None) -> list[_Column]:
    """Every column that holds a target's ids, from the closure's references and the declared FKs."""
    targets = {t.qualified: t for t in closure.targets}
    by_source: dict[str, list[Reference]] = {}
    for ref in closure.references:
        if ref.dest in targets:
            by_source.setdefault(ref.source, []).append(ref)
    declared: dict[str, set[str]] = {}
    for tbl in schema.tables:
        for fk in tbl.foreign_keys:
            for col, ref_col in zip(fk.columns, fk.ref_columns, strict=False):
                dest = f"{fk.ref_table}.{ref_col}"
                if dest in targets:
                    declared.setdefault(f"{tbl.name}.{col}", set()).add(dest)
    out: list[_Column] = []
    for source in sorted(set(by_source) | set(declared)):
        if source in targets:
            other = sorted(declared.get(source, set()) | {r.dest for r in by_source.get(source, [])})
            raise MigrationRefused(
                f"target {source} itself references {', '.join(other)}: those targets already share their ids "
                "by design, a shared sequence cannot renumber one without the other")
        refs = by_source.get(source, [])
        dests = tuple(sorted(declared.get(source, set()) | {r.dest for r in refs}))
        table, _, column = source.rpartition(".")
        if source in declared:
            kind = "declared"
        elif len(dests) > 1 or any(r.kind == "polymorphic" for r in refs):
            kind = "polymorphic"
        else:
            kind = refs[0].kind
        disc = (discs or {}).get(source) if kind != "declared" else None
        why = ""
        if kind == "polymorphic" and disc is None:
            why = (refused or {}).get(source) or (f"{source} may hold ids of {', '.join(dests)} and no discriminator says whose; "
                              f'set [tool.impact.polymorphic] "{source}" = {{by = "<column>", values = {{...}}}}')
        out.append(_Column(table, column, kind, dests, disc, why))
    return out


# ----------------------------------------------------------------------------- measuring (read-only)


def _collisions_cte(targets: Sequence[Target], dialect: str) -> str:
    """`impact_colliding(k)`: ids present in more than one target, as joins of every pair of targets (each
    a merge of two key indexes; grouping the union of all keys is six times slower at 1.7 M keys)."""
    pairs = [f"SELECT a.{_qi(x.column, dialect)} AS k FROM {_qt(x.table, dialect)} AS a "
             f"JOIN {_qt(y.table, dialect)} AS b ON b.{_qi(y.column, dialect)} = a.{_qi(x.column, dialect)}"
             for i, x in enumerate(targets) for y in targets[i + 1:]]
    if not pairs:  # one target: nothing can collide
        pairs = [f"SELECT {_qi(targets[0].column, dialect)} AS k FROM {_qt(targets[0].table, dialect)} WHERE 1 = 0"]
    return "WITH impact_colliding AS (\n    " + "\n    UNION ".join(pairs) + "\n)"


def measure_collisions(engine: sa.Engine, schema: SchemaSnapshot, closure: Closure,
                       config: Config | None = None) -> Collisions:
    """The collision figures of the live database, read-only; `query` holds the statements to re-run."""
    import sqlalchemy as sa

    dialect = engine.dialect.name
    targets = list(closure.targets)
    if not targets:
        raise MigrationRefused("a shared sequence needs targets")
    _check_targets(schema, targets)
    discs, refused = _discriminators(schema, closure, engine, config)
    columns = _referencing(schema, closure, discs, refused)
    text = "CHAR" if dialect == "mysql" else "TEXT"
    null = f"CAST(NULL AS {text})"
    parts = [f"SELECT 'ids' AS measure, {null} AS value, count(*) AS n FROM impact_colliding"]
    for t in targets:
        q, k = _qt(t.table, dialect), _qi(t.column, dialect)
        parts.append(f"SELECT {_lit(t.qualified + ':max')}, {null}, max({k}) FROM {q}")
        parts.append(f"SELECT {_lit(t.qualified + ':rows')}, {null}, count(*) FROM {q}")
        parts.append(f"SELECT {_lit(t.qualified + ':colliding')}, {null}, count(*) FROM {q} "
                     f"WHERE {k} IN (SELECT k FROM impact_colliding)")
    for c in columns:
        q, k = _qt(c.table, dialect), _qi(c.column, dialect)
        if c.discriminator is not None:
            by = _qi(c.discriminator.by, dialect)
            parts.append(f"SELECT {_lit(c.qualified)}, CAST({by} AS {text}), count(*) FROM {q} "
                         f"WHERE {k} IN (SELECT k FROM impact_colliding) GROUP BY {by}")
        else:
            parts.append(f"SELECT {_lit(c.qualified)}, {null}, count(*) FROM {q} WHERE {k} IN (SELECT k FROM impact_colliding)")
    # one statement per figure (each within the read-only engine's statement timeout), all in one
    # repeatable-read transaction so that the figures agree with each other
    cte = _collisions_cte(targets, dialect)
    statements = [f"{cte}\n{part}" if "impact_colliding" in part else part for part in parts]
    options = {"isolation_level": "REPEATABLE READ"} if dialect in ("postgresql", "mysql") else {}
    rows: list[tuple[str, Any, int | None]] = []
    with engine.connect().execution_options(**options) as conn:
        for statement in statements:
            rows += [(str(m), v, None if n is None else int(n)) for m, v, n in conn.execute(sa.text(statement))]
        sequences, seq_sql = _sequences(conn, dialect, schema, targets)
    figures: dict[str, int | None] = {}
    by_value: dict[str, dict[str | None, int]] = {}
    for measure, value, n in rows:
        figures[measure] = n if measure.endswith(":max") else (figures.get(measure) or 0) + (n or 0)
        by_value.setdefault(measure, {})[None if value is None else str(value)] = n or 0
    by_column: dict[str, dict[str, Any]] = {}
    total = 0
    for c in columns:
        counts = by_value.get(c.qualified, {})
        per: dict[str, int] = {}
        if c.discriminator is not None:
            for value, n in counts.items():
                table = c.discriminator.values.get(str(value)) if value is not None else None
                dest = next((t.qualified for t in targets if t.table == table), None)
                if dest is not None:
                    per[dest] = per.get(dest, 0) + n
            n_rows = sum(per.values())  # rows of other kinds hold ids of other tables: they collide with nothing
        else:
            n_rows = sum(counts.values())
            if len(c.targets) == 1:
                per[c.targets[0]] = n_rows
        total += n_rows
        entry: dict[str, Any] = {
            "rows": n_rows, "discriminated": c.discriminator is not None or len(c.targets) == 1,
            "by": c.discriminator.by if c.discriminator else None, "kind": c.kind, "by_target": per}
        if c.refused:
            entry["refused"] = c.refused
        by_column[c.qualified] = entry
    per_target: dict[str, dict[str, Any]] = {}
    for t in targets:
        seq = sequences.get(t.qualified, {})
        per_target[t.qualified] = {
            "max": figures.get(t.qualified + ":max"),
            "rows": figures.get(t.qualified + ":rows") or 0,
            "colliding": figures.get(t.qualified + ":colliding") or 0,
            "sequence": seq.get("sequence"), "last_value": seq.get("last_value"),
            "is_called": seq.get("is_called"), "identity": seq.get("identity")}
    full = ";\n\n".join([*statements, *seq_sql]) + ";"
    return Collisions(figures.get("ids") or 0, total, by_column, per_target, full)


def _discriminators(schema: SchemaSnapshot, closure: Closure, engine: sa.Engine, config: Config | None
                    ) -> tuple[dict[str, Discriminator], dict[str, str]]:
    """Discriminators column by column when one cannot be mapped: the others are still measured, the
    refused column is counted without one (and the migration is refused with its reason)."""
    try:
        return discriminators(schema, closure, engine, config), {}
    except MigrationRefused:
        pass
    found: dict[str, Discriminator] = {}
    refused: dict[str, str] = {}
    for source in sorted({r.source for r in closure.references}):
        alone = replace(closure, references=tuple(r for r in closure.references if r.source == source))
        try:
            found.update(discriminators(schema, alone, engine, config))
        except MigrationRefused as exc:
            refused[source] = str(exc)
    return found, refused


def _sequences(conn: sa.Connection, dialect: str, schema: SchemaSnapshot, targets: Sequence[Target]
               ) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Per target: the sequence behind its default (serial or identity) and its last value (PostgreSQL)."""
    import sqlalchemy as sa

    if dialect != "postgresql":
        return {}, []
    out: dict[str, dict[str, Any]] = {}
    sql: list[str] = []
    for t in targets:
        q = f"SELECT pg_get_serial_sequence({_lit(_qt(t.table))}, {_lit(t.column)}), " \
            f"(SELECT attidentity FROM pg_attribute WHERE attrelid = {_lit(_qt(t.table))}::regclass " \
            f"AND attname = {_lit(t.column)})"
        sql.append(q)
        seq, ident = conn.execute(sa.text(q)).one()
        if seq is None:  # a default nextval() on a sequence the column does not own
            table = schema.table(t.table)
            col = table.column(t.column) if table else None
            m = _NEXTVAL.search(col.default or "") if col else None
            seq = m.group(1).replace("''", "'") if m else None
        entry: dict[str, Any] = {"sequence": seq,
                                 "identity": {"a": "always", "d": "by default"}.get(ident or "")}
        if seq is not None:
            q2 = f"SELECT last_value, is_called FROM {seq}"
            sql.append(q2)
            last, called = conn.execute(sa.text(q2)).one()
            entry.update(last_value=int(last), is_called=bool(called))
        out[t.qualified] = entry
    return out, sql


# ----------------------------------------------------------------------------- the migration


def _refuse_dialect(dialect: str) -> None:
    if dialect == "sqlite":
        raise MigrationRefused(
            "shared-sequence: SQLite has no sequences and no column default can call one; each table's "
            "INTEGER PRIMARY KEY takes max(rowid)+1 on its own, so two tables cannot share an id space there")
    if dialect == "mysql":
        raise MigrationRefused(
            "shared-sequence: MySQL has no sequences, and on MariaDB (CREATE SEQUENCE since 10.3) the keys would "
            "lose AUTO_INCREMENT (a table copy under lock) and the colliding rows would move with foreign-key "
            "checks switched off, foreign keys cannot be deferred; impact does not hand over such a script. "
            "Compare the bigint and uuid strategies, or give the tables one id space by hand")
    if dialect != "postgresql":
        raise MigrationRefused(f"shared-sequence needs the live database (schema from {dialect}); pass --db")


def _check_targets(schema: SchemaSnapshot, targets: Sequence[Target]) -> None:
    for t in targets:
        table = schema.table(t.table)
        col = table.column(t.column) if table else None
        if table is None or col is None:
            raise MigrationRefused(f"shared-sequence: {t.qualified} is not in the schema")
        if not _is_integer(col.type):
            raise MigrationRefused(f"shared-sequence: {t.qualified} is {col.type}; a sequence hands out integers")
        unique = {i.columns for i in table.indexes if i.unique} | set(table.unique_constraints)
        if table.primary_key != (t.column,) and (t.column,) not in unique:
            raise MigrationRefused(f"shared-sequence: {t.qualified} is not a single-column key of {t.table}")


def _is_integer(type_: str) -> bool:
    return type_.upper().split("(")[0].strip() in _INTEGER_TYPES


def build_shared_sequence(schema: SchemaSnapshot, closure: Closure, collisions: Collisions,
                          engine: sa.Engine | None = None, config: Config | None = None) -> Migration:
    """The PostgreSQL migration that gives every target one sequence and resolves existing collisions."""
    _refuse_dialect(schema.dialect)
    targets = list(closure.targets)
    if len(targets) < 2:
        raise MigrationRefused("shared-sequence needs two or more targets that share one id space "
                               "(repeat --target)")
    _check_targets(schema, targets)
    for entry in collisions.by_column.values():
        if entry.get("refused"):
            raise MigrationRefused(f"shared-sequence: {entry['refused']}")
    discs = discriminators(schema, closure, engine, config)
    columns = _referencing(schema, closure, discs)
    for c in columns:
        if c.refused:
            raise MigrationRefused(f"shared-sequence: {c.refused}")

    order = _order(targets, collisions)
    anchor, moved = order[0], order[1:]
    names = _existing_names(schema)
    base = "_".join(_split(t.table)[1] for t in targets)
    key_names = {t.column for t in targets}
    seq_bare = _unique(_fit(f"{base}_{next(iter(key_names)) if len(key_names) == 1 else 'key'}_shared_seq"), names)
    map_bare = _unique(_fit(f"{base}_id_map"), names | {seq_bare})
    anchor_schema = _split(anchor.table)[0]
    seq = _qt(f"{anchor_schema}.{seq_bare}" if anchor_schema else seq_bare)
    mapping = _qt(f"{anchor_schema}.{map_bare}" if anchor_schema else map_bare)
    old = {t.qualified: _old_sequence(t, schema, collisions) for t in targets}
    identity = {t.qualified: collisions.per_target.get(t.qualified, {}).get("identity") or
                (_identity_guess(schema, t)) for t in targets}

    steps: list[Step] = []
    steps.append(Step(
        "sequence", f"create the shared sequence {seq_bare}",
        f"CREATE SEQUENCE {seq} AS bigint;\n"
        f"COMMENT ON SEQUENCE {seq} IS {_lit('impact shared-sequence: one id space for ' + ', '.join(t.qualified for t in targets))};",
        undo=f"DROP SEQUENCE IF EXISTS {seq};"))
    steps.append(Step(
        "expand", f"create the mapping table {map_bare} (old id -> new id)",
        f"CREATE TABLE {mapping} (\n"
        "    target text NOT NULL,\n    old_id bigint NOT NULL,\n    new_id bigint NOT NULL UNIQUE,\n"
        "    moved_at timestamptz,\n    PRIMARY KEY (target, old_id)\n);\n"
        f"COMMENT ON TABLE {mapping} IS {_lit('impact shared-sequence: ids given up by colliding rows; keep while logs, caches, URLs or clients may hold old ids')};",
        undo=f"DROP TABLE IF EXISTS {mapping};"))
    steps.append(_switch_step(targets, anchor, seq, old, identity))
    fks = _foreign_keys(schema, moved, engine)
    to_defer = [(table, name) for table, name, deferrable in fks if not deferrable]
    if to_defer:
        steps.append(Step(
            "expand", "make the foreign keys to the moved rows DEFERRABLE (for the move only)",
            "\n".join(f"ALTER TABLE {_qt(tb)} ALTER CONSTRAINT {_qi(n)} DEFERRABLE INITIALLY IMMEDIATE;"
                      for tb, n in to_defer),
            lock="ACCESS EXCLUSIVE", table=to_defer[0][0],
            undo="\n".join(f"ALTER TABLE {_qt(tb)} ALTER CONSTRAINT {_qi(n)} NOT DEFERRABLE;" for tb, n in to_defer)))
    steps.append(_mapping_step(order, mapping, seq, collisions))
    for t in moved:
        steps.append(_move_step(t, columns, fks, mapping, collisions))
    if to_defer:
        steps.append(Step(
            "switch", "restore the foreign keys to NOT DEFERRABLE",
            "\n".join(f"ALTER TABLE {_qt(tb)} ALTER CONSTRAINT {_qi(n)} NOT DEFERRABLE;" for tb, n in to_defer),
            lock="ACCESS EXCLUSIVE", table=to_defer[0][0],
            undo="\n".join(f"ALTER TABLE {_qt(tb)} ALTER CONSTRAINT {_qi(n)} DEFERRABLE INITIALLY IMMEDIATE;"
                           for tb, n in to_defer)))
    touched = {c.table for c in columns if any(m.qualified in c.targets for m in moved)} | {m.table for m in moved}
    matviews = sorted({d.name for d in dependents(schema, closure)
                       if d.kind == "materialized view" and d.table in touched})
    if matviews:
        steps.append(Step(
            "switch", "refresh the materialized views that hold moved ids",
            "\n".join(f"REFRESH MATERIALIZED VIEW {_qt(v)};" for v in matviews),
            lock="ACCESS EXCLUSIVE", table=matviews[0], undo="\n".join(
                f"REFRESH MATERIALIZED VIEW {_qt(v)};" for v in matviews)))
    steps.append(_verify_step(targets, mapping))
    drop = list(dict.fromkeys(s for t, s in old.items() if s and identity.get(t) is None))
    if drop:
        steps.append(Step(
            "contract", "drop the old sequences (nothing uses them any more)",
            "\n".join(f"DROP SEQUENCE {s};" for s in drop),  # no CASCADE: fails while a default still uses one
            reversible=False))
    return Migration("shared-sequence", "postgresql", tuple(t.qualified for t in targets),
                     tuple(unbounded(s) for s in steps),
                     notes=_notes(anchor, moved, seq_bare, map_bare, collisions, columns, identity, schema))


def _indexed(schema: SchemaSnapshot, c: _Column) -> bool:
    """An index (or key) starts with the column, or with the discriminator then the column."""
    table = schema.table(c.table)
    if table is None:
        return False
    leads = [i.columns for i in table.indexes] + list(table.unique_constraints) + [table.primary_key]
    by = c.discriminator.by if c.discriminator else None
    return any(cols[:1] == (c.column,) or (by is not None and cols[:2] == (by, c.column)) for cols in leads)


def _order(targets: Sequence[Target], collisions: Collisions) -> list[Target]:
    """Anchor first (keeps its ids): the target whose colliding rows cost the most to move. Every later
    target gives up the ids it shares with an earlier one."""
    def cost(t: Target) -> tuple[int, int, str]:
        per = collisions.per_target.get(t.qualified, {})
        refs = sum(e.get("by_target", {}).get(t.qualified, 0) for e in collisions.by_column.values())
        return (int(per.get("colliding") or 0) + refs, int(per.get("rows") or 0), t.qualified)
    return sorted(targets, key=lambda t: (-cost(t)[0], -cost(t)[1], cost(t)[2]))


def _existing_names(schema: SchemaSnapshot) -> set[str]:
    names = {_split(t.name)[1] for t in schema.tables}
    names |= {i.name for t in schema.tables for i in t.indexes}
    names |= {_split(d.name)[1] for d in schema.dependents if d.kind in ("sequence", "view", "materialized view")}
    return names


def _unique(name: str, taken: set[str]) -> str:
    n, out = 2, name
    while out in taken:
        suffix = f"_{n}"
        out = _fit(name)[: MAX_IDENTIFIER_BYTES - len(suffix)] + suffix
        n += 1
    return out


def _old_sequence(t: Target, schema: SchemaSnapshot, collisions: Collisions) -> str | None:
    """The target's current sequence as SQL (pg_get_serial_sequence's text is already quoted)."""
    measured = collisions.per_target.get(t.qualified, {}).get("sequence")
    if measured:
        return str(measured)
    table = schema.table(t.table)
    col = table.column(t.column) if table else None
    if col is None:
        return None
    if col.sequence:
        return _qt(col.sequence)
    m = _NEXTVAL.search(col.default or "")
    return m.group(1).replace("''", "'") if m else None


def _identity_guess(schema: SchemaSnapshot, t: Target) -> str | None:
    """Without a measurement: an identity column is one flagged identity without a nextval() default."""
    table = schema.table(t.table)
    col = table.column(t.column) if table else None
    if col is not None and col.identity and not _NEXTVAL.search(col.default or ""):
        return "by default"
    return None


def _greatest(targets: Sequence[Target], sequences: Sequence[str]) -> str:
    parts = [f"(SELECT max({_qi(t.column)}) FROM {_qt(t.table)})" for t in targets]
    parts += [f"(SELECT last_value FROM {s})" for s in sequences]
    return "GREATEST(" + ", ".join([*parts, "1"]) + ")"


def _switch_step(targets: Sequence[Target], anchor: Target, seq: str, old: dict[str, str | None],
                 identity: dict[str, str | None]) -> Step:
    """Defaults switched under one short lock, the sequence set above everything handed out so far."""
    tables = ", ".join(_qt(t.table) for t in targets)
    olds = [s for s in old.values() if s]
    sql = [f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE;",
           f"SELECT setval({_lit(seq)}, {_greatest(targets, olds)});"]
    undo = [f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE;", f"ALTER SEQUENCE {seq} OWNED BY NONE;"]
    above = _greatest(targets, [seq])
    for t in targets:
        q, k = _qt(t.table), _qi(t.column)
        s = old[t.qualified]
        ident = identity.get(t.qualified)
        if ident is not None:
            sql.append(f"ALTER TABLE {q} ALTER COLUMN {k} DROP IDENTITY;")
            undo += [f"ALTER TABLE {q} ALTER COLUMN {k} DROP DEFAULT;",
                     f"ALTER TABLE {q} ALTER COLUMN {k} ADD GENERATED {ident.upper()} AS IDENTITY;",
                     f"SELECT setval(pg_get_serial_sequence({_lit(q)}, {_lit(t.column)}), {above});"]
        elif s:
            sql.append(f"ALTER SEQUENCE {s} OWNED BY NONE;")
            undo += [f"SELECT setval({_lit(s)}, {above});",
                     f"ALTER SEQUENCE {s} OWNED BY {q}.{k};",
                     f"ALTER TABLE {q} ALTER COLUMN {k} SET DEFAULT nextval({_lit(s)}::regclass);"]
        else:
            undo.append(f"ALTER TABLE {q} ALTER COLUMN {k} DROP DEFAULT;")
        sql.append(f"ALTER TABLE {q} ALTER COLUMN {k} SET DEFAULT nextval({_lit(seq)}::regclass);")
    sql.append(f"ALTER SEQUENCE {seq} OWNED BY {_qt(anchor.table)}.{_qi(anchor.column)};")
    return Step("switch", "switch every target's default to the shared sequence", "\n".join(sql),
                lock="ACCESS EXCLUSIVE", table=anchor.table, undo="\n".join(undo))


def _foreign_keys(schema: SchemaSnapshot, moved: Sequence[Target], engine: sa.Engine | None
                  ) -> list[tuple[str, str, bool]]:
    """(child table, constraint name, already deferrable) of every declared FK to a moved target."""
    import sqlalchemy as sa

    out: list[tuple[str, str, bool]] = []
    for t in moved:
        for table in schema.tables:
            for fk in table.foreign_keys:
                if fk.ref_table == t.table and t.column in fk.ref_columns:
                    if not fk.name:
                        raise MigrationRefused(f"shared-sequence: the foreign key {table.name}{fk.columns} has no name")
                    out.append((table.name, fk.name, False))
    if engine is not None and out:
        with engine.connect() as conn:
            deferrable = {(str(r), str(n)) for r, n in conn.execute(sa.text(
                "SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE contype = 'f' AND condeferrable"))}
        out = [(tb, n, (_qt(tb), n) in deferrable or (tb, n) in deferrable) for tb, n, _ in out]
    return out


def _mapping_step(order: Sequence[Target], mapping: str, seq: str, collisions: Collisions) -> Step:
    """New ids for the colliding rows, drawn up front; re-running adds only ids not mapped yet."""
    sql: list[str] = []
    rows = 0
    for i, t in enumerate(order[1:], 1):
        earlier = " UNION ALL ".join(f"SELECT {_qi(e.column)} FROM {_qt(e.table)}" for e in order[:i])
        k = _qi(t.column)
        sql.append(
            f"INSERT INTO {mapping} (target, old_id, new_id)\n"
            f"SELECT {_lit(t.qualified)}, c.k, nextval({_lit(seq)}::regclass)\n"
            f"FROM (SELECT x.{k} AS k FROM {_qt(t.table)} AS x WHERE x.{k} IN ({earlier})\n"
            f"      AND NOT EXISTS (SELECT 1 FROM {mapping} AS m WHERE m.target = {_lit(t.qualified)} "
            f"AND m.old_id = x.{k}) ORDER BY x.{k}) AS c;")
        rows += int(collisions.per_target.get(t.qualified, {}).get("colliding") or 0)
    return Step("backfill", "give the colliding ids of the moved targets new ids from the shared sequence",
                "\n".join(sql), lock="none",
                rows=rows, undo=f"DELETE FROM {mapping} WHERE moved_at IS NULL;")


def _move_step(t: Target, columns: Sequence[_Column], fks: Sequence[tuple[str, str, bool]], mapping: str,
               collisions: Collisions) -> Step:
    """Keyed batches over the mapping table, each in its own transaction: children first (their FK checks
    deferred to the batch's commit), then the target's rows, then the batch is marked moved."""
    return Step(
        "backfill", f"move the colliding rows of {t.qualified} and every row pointing at them, in batches",
        _batch_block(t, columns, fks, mapping, reverse=False),
        lock="ROW EXCLUSIVE", table=t.table, transactional=False,
        rows=_move_rows(t, collisions), undo=_batch_block(t, columns, fks, mapping, reverse=True))


def _move_rows(t: Target, collisions: Collisions) -> int:
    per = collisions.per_target.get(t.qualified, {})
    refs = sum(e.get("by_target", {}).get(t.qualified, 0) for e in collisions.by_column.values())
    return int(per.get("colliding") or 0) + refs


def _batch_block(t: Target, columns: Sequence[_Column], fks: Sequence[tuple[str, str, bool]], mapping: str,
                 reverse: bool) -> str:
    """One DO block (a single statement: PostgreSQL commits inside it only when it runs alone)."""
    src, dst = ("new_id", "old_id") if reverse else ("old_id", "new_id")
    pending = "m.moved_at IS NOT NULL" if reverse else "m.moved_at IS NULL"
    label = _lit(t.qualified)
    window = f"m.target = {label} AND {pending} AND m.old_id BETWEEN lo AND hi"
    updates: list[str] = []
    for c in columns:
        if t.qualified not in c.targets:
            continue
        q, k = _qt(c.table), _qi(c.column)
        cond = f"c.{k} = m.{src}"
        if c.discriminator is not None:
            values = c.values_for(t)
            if not values:
                continue
            cond += f" AND c.{_qi(c.discriminator.by)} IN ({', '.join(_lit(v) for v in values)})"
        elif len(c.targets) > 1:  # pragma: no cover - refused before
            continue
        updates.append(f"        UPDATE {q} AS c SET {k} = m.{dst} FROM {mapping} AS m\n"
                       f"         WHERE {window} AND {cond};")
    k = _qi(t.column)
    updates.append(f"        UPDATE {_qt(t.table)} AS c SET {k} = m.{dst} FROM {mapping} AS m\n"
                   f"         WHERE {window} AND c.{k} = m.{src};")
    mark = "NULL" if reverse else "now()"
    names = sorted({_qt(f"{_split(tb)[0]}.{n}") if _split(tb)[0] else _qi(n) for tb, n, _ in fks})
    defer = f"        SET CONSTRAINTS {', '.join(names)} DEFERRED;\n" if names else ""
    return (
        "DO $impact$\nDECLARE\n    lo bigint;\n    hi bigint;\nBEGIN\n    LOOP\n"
        f"        SELECT min(m.old_id) INTO lo FROM {mapping} AS m WHERE m.target = {label} AND {pending};\n"
        "        EXIT WHEN lo IS NULL;\n"
        f"        SELECT max(b.old_id) INTO hi FROM (SELECT m.old_id FROM {mapping} AS m WHERE m.target = {label} "
        f"AND {pending} AND m.old_id >= lo ORDER BY m.old_id LIMIT {BATCH_ROWS}) AS b;\n"
        f"{defer}"
        + "\n".join(updates) + "\n"
        f"        UPDATE {mapping} AS m SET moved_at = {mark} WHERE {window};\n"
        "        COMMIT;\n    END LOOP;\nEND\n$impact$;")


def _verify_step(targets: Sequence[Target], mapping: str) -> Step:
    cte = _collisions_cte(targets, "postgresql").replace("\n", "\n    ")
    sql = ("DO $impact$\nDECLARE\n    n bigint;\nBEGIN\n"
           f"    {cte}\n    SELECT count(*) INTO n FROM impact_colliding;\n"
           "    IF n > 0 THEN\n"
           "        RAISE EXCEPTION USING MESSAGE = 'impact: ' || n || ' ids are still present in more than one of "
           f"{', '.join(t.qualified for t in targets).replace(chr(39), chr(39) * 2)}';\n    END IF;\n"
           f"    SELECT count(*) INTO n FROM {mapping} WHERE moved_at IS NULL;\n"
           "    IF n > 0 THEN\n"
           "        RAISE EXCEPTION USING MESSAGE = 'impact: ' || n || ' mapped rows have not moved yet; re-run the move';\n"
           "    END IF;\nEND\n$impact$;")
    return Step("verify", "no id is present in more than one target, every mapped row moved", sql)


def _notes(anchor: Target, moved: Sequence[Target], seq: str, mapping: str, collisions: Collisions,
           columns: Sequence[_Column], identity: dict[str, str | None], schema: SchemaSnapshot) -> tuple[str, ...]:
    moved_names = ", ".join(t.qualified for t in moved)
    notes = [
        f"{collisions.ids:,} ids are present in more than one target; {collisions.referencing_rows:,} referencing "
        f"rows point at them (measured read-only; the query is in the plan).",
        f"{anchor.qualified} keeps its ids (moving its colliding rows would rewrite "
        f"{_move_rows(anchor, collisions):,} rows); {moved_names} give up theirs "
        f"({', '.join(f'{_move_rows(t, collisions):,} rows' for t in moved)}): the cheaper side moves.",
        f"Defaults are switched first, so no new collision appears while the old ones are resolved; {seq} is "
        f"OWNED BY {anchor.qualified}, the key that keeps its ids (the costliest to move): pg_get_serial_sequence() on "
        f"it names {seq}, pg_dump dumps the sequence with that table, and dropping that column would need CASCADE "
        "(the other targets' defaults depend on the sequence).",
        f"{mapping} (target, old_id -> new_id) is kept after the migration: translate old ids found in logs, "
        "caches, URLs, search indexes and clients through it; drop it by hand when nothing holds old ids.",
        "The key columns keep their type: the shared sequence hands out ids for every target, so an int4 key "
        "reaches 2^31-1 at the combined insert rate (see the keep strategy's horizon).",
        "Code to change: inserts with an explicit id (they must take nextval of the shared sequence or "
        "omit the id), fixtures and seeds with fixed ids, code that infers the table from the id (after the move "
        "an id names one row across the targets), and code that calls currval/setval/pg_get_serial_sequence on "
        "the old sequences.",
        "Between the move and the deploy, the old release may still write the old id of a moved row into a "
        "column without a foreign key (polymorphic or inferred references): run the move in a quiet window or "
        "translate through the mapping table.",
    ]
    idents = [t for t, v in identity.items() if v]
    if idents:
        notes.append(f"{', '.join(idents)}: identity columns lose their identity (DROP IDENTITY drops its internal "
                     "sequence); the undo re-creates it above every id handed out.")
    for c in columns:
        if c.discriminator is not None:
            notes.append(f"{c.qualified}: rows move only where {c.discriminator.by} names the moved target "
                         f"({c.discriminator.evidence}); other kinds keep their values.")
        elif c.kind in ("inferred", "virtual"):
            notes.append(f"{c.qualified}: {c.kind} reference to {', '.join(c.targets)}; its rows follow that target.")
    touched = {c.table for c in columns} | {t.table for t in moved}
    triggers = sorted({d.name for d in schema.dependents if d.kind == "trigger" and d.table in touched
                       and "UPDATE" in d.definition.upper()})
    if triggers:
        notes.append(f"UPDATE triggers fire on the moved rows: {', '.join(triggers)}.")
    slow = [c.qualified for c in columns if any(m.qualified in c.targets for m in moved) and not _indexed(schema, c)]
    if slow:
        notes.append(f"No index leads with {', '.join(slow)}: every batch of the move scans those tables; "
                     "index them first (CREATE INDEX CONCURRENTLY) when they are large.")
    return tuple(notes)
