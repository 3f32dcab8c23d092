"""Migrations that lose nothing: the key change (uuid, uuid7, text, bigint) as ordered, lockable steps.

PostgreSQL, expand / backfill / switch / contract, so the application keeps working throughout:

1. expand: a new column beside every impacted column (`id_new`), with the new key's default on targets,
   and a BEFORE INSERT OR UPDATE trigger per table that fills the new column for rows the old release
   writes (targets get a fresh key; referencing columns look their parent's new key up; a polymorphic
   column looks it up in the table its discriminator names).
2. backfill: one step per table, a DO block that walks keyed ranges (the table's integer primary key,
   else physical pages by ctid) and COMMITs after each batch. It only fills rows whose new value is still
   NULL, so a stopped backfill resumes where it stopped. Targets first, then their referencing tables.
3. indexes: every index, unique constraint and primary key that covers an impacted column is built again
   on the new column, CONCURRENTLY, under a derived name (`<name>_new`, shortened with a hash suffix
   when it would pass 63 bytes or meet an existing name).
4. verify: a guard (a DO block that RAISEs) refuses to go on while any non-null old value lacks a new
   one; NOT NULL columns get a `CHECK (new IS NOT NULL) NOT VALID` that is then validated without a long
   lock, so the switch's SET NOT NULL needs no scan.
5. switch: one transaction with every impacted table locked: dependent views (and materialized views
   with their indexes) are dropped and re-created, foreign keys, checks, unique constraints and primary
   keys move to the new columns under their own names (ON DELETE / ON UPDATE as they were; FKs and
   checks NOT VALID, validated in the next step), old and new columns swap names, trigger functions
   whose variables hold the key get their declared type rewritten, and the sync trigger turns round
   (new rows keep the old column filled, so going back stays possible until the contract).
6. contract: per table, the guard again, then the old column is dropped.

Polymorphic columns (see `polymorphic.py`): the backfill joins each row to the table its discriminator
value names. Rows of other kinds (e.g. comments on projects, whose ids are not content ids) have no new
value: their integer ids are kept in a preserved column `<column>_legacy` that the contract renames the
old column to instead of dropping it, and the old NOT NULL becomes `CHECK (c IS NOT NULL OR c_legacy IS
NOT NULL)`. A column whose discriminator values form a closed set (CHECK / enum) that maps every value to
a target needs no preserved column.

bigint: a table under the lock budget (`Config.bigint_in_place_max_rows` / `_bytes`, default 1 M rows /
1 GiB) is altered in place (ALTER COLUMN TYPE, an ACCESS EXCLUSIVE rewrite, inside the switch); larger
tables go through the expand / contract above with a copying backfill, and their sequence or identity
moves to the new column. Sequences become `AS bigint`.

MySQL / MariaDB: bigint only, in MySQL syntax (every FK on an impacted column dropped, `ALTER TABLE ...
MODIFY` keeping NOT NULL, AUTO_INCREMENT and defaults, FKs re-created with their actions). uuid / text
there, and every strategy on SQLite, raise `MigrationRefused` with the reason.

The script is never executed by `impact`: it is written for people to review and for the rehearsal.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from analyzer.config import Config
from analyzer.db import dependents
from analyzer.models import (
    Closure,
    Column,
    Constraint,
    Dependent,
    ForeignKey,
    ImpactedColumn,
    Index,
    SchemaSnapshot,
    Table,
)
from analyzer.plan.polymorphic import Discriminator, discriminators
from analyzer.plan.steps import Migration, MigrationRefused, Step, unbounded

if TYPE_CHECKING:
    import sqlalchemy as sa  # imported where an engine is used: migration.sql needs none

STRATEGIES = ("uuid", "uuid7", "text", "bigint")
NEW_TYPES = {"uuid": "uuid", "uuid7": "uuid", "text": "text", "bigint": "bigint"}
MAX_IDENT = 63  # PostgreSQL's NAMEDATALEN - 1, in bytes
BATCH = 10_000
_INT_TYPES = r"(?:integer|int4|int|smallint|int2|bigint|int8|serial|serial4|bigserial|serial8)"


# ----------------------------------------------------------------------------- names


def q(name: str) -> str:
    """An identifier, always quoted (reserved words, dots, mixed case, unicode)."""
    return '"' + name.replace('"', '""') + '"'


def qt(table: str) -> str:
    """A table as the snapshot names it: `schema.table` outside the default schema, else bare."""
    schema, dot, bare = table.partition(".")
    return f"{q(schema)}.{q(bare)}" if dot else q(table)


def lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _short(name: str, suffix: str, taken: set[str]) -> str:
    """`name + suffix`, unless that passes 63 bytes or is taken: then a prefix of name, a hash, the suffix."""
    candidate = name + suffix
    if len(candidate.encode()) <= MAX_IDENT and candidate not in taken:
        taken.add(candidate)
        return candidate
    for salt in range(100):
        digest = hashlib.sha1(f"{name}{suffix}{salt}".encode()).hexdigest()[:8]
        tail = f"_{digest}{suffix}"
        room = MAX_IDENT - len(tail.encode())
        head = name.encode()[:room].decode("utf-8", "ignore")
        candidate = head + tail
        if candidate not in taken:
            taken.add(candidate)
            return candidate
    raise MigrationRefused(f"no free name for {name}{suffix}")  # pragma: no cover - 100 hash collisions


def _bare(table: str) -> str:
    return table.rsplit(".", 1)[-1]


# ----------------------------------------------------------------------------- SQL text


_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*|.", re.S)


def _ident_of(token: str) -> str | None:
    if token.startswith('"'):
        return token[1:-1].replace('""', '"')
    if token[:1].isalpha() or token[:1] == "_" or ord(token[:1]) > 127:
        return token.lower()
    return None


def swap_columns(sql: str, names: dict[str, str]) -> str:
    """Column identifiers renamed in SQL text the engine printed (string literals left alone); old -> new."""
    out = []
    for tok in _TOKEN.findall(sql):
        if not tok.startswith("'"):
            name = tok[1:-1].replace('""', '"') if tok.startswith('"') else tok
            if name in names:
                tok = q(names[name])
        out.append(tok)
    return "".join(out)


def _mentions(sql: str, column: str) -> bool:
    for tok in _TOKEN.findall(sql):
        if tok.startswith("'"):
            continue
        if (tok[1:-1].replace('""', '"') if tok.startswith('"') else tok) == column:
            return True
    return False


def _conjuncts(expr: str) -> list[str]:
    """Top-level AND parts of a CHECK expression (`CHECK ((a > 0) AND (b >= 0))`)."""
    body = expr.strip()
    m = re.match(r"(?is)^CHECK\s*\((.*)\)(\s+NOT VALID)?\s*$", body)
    if m:
        body = m.group(1).strip()
    while body.startswith("(") and _closes_at_end(body):
        body = body[1:-1].strip()
    parts, depth, start, i = [], 0, 0, 0
    tokens = _TOKEN.findall(body)
    pos = 0
    for tok in tokens:
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
        elif depth == 0 and tok.upper() == "AND" and _ident_of(tok) == "and":
            parts.append(body[start:pos].strip())
            start = pos + len(tok)
        pos += len(tok)
        i += 1
    parts.append(body[start:].strip())
    return [p for p in parts if p]


def _closes_at_end(body: str) -> bool:
    depth = 0
    pos = 0
    for tok in _TOKEN.findall(body):
        pos += len(tok)
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
            if depth == 0:
                return pos == len(body)
    return False


def _numeric_use(expr: str, column: str) -> bool:
    """The expression treats the column as a number (compares it with a number, or does arithmetic)."""
    if not _mentions(expr, column):
        return False
    code = re.sub(r"'(?:[^']|'')*'", "''", expr)
    return bool(re.search(r"(?<![\w\"$])\d|[<>+*/%]|(?<![\w)])-", code))


# ----------------------------------------------------------------------------- the plan's columns


@dataclass
class Col:
    """One impacted column in the plan."""

    table: str
    name: str
    column: Column
    target: bool
    parent: tuple[str, str] | None  # the impacted column it references (table, column); None for targets
    disc: Discriminator | None = None
    new: str = ""
    old: str = ""
    legacy: str = ""  # preserved column for rows of other kinds (polymorphic), "" when none
    in_place: bool = False  # bigint: ALTER COLUMN TYPE inside the switch

    @property
    def qualified(self) -> str:
        return f"{self.table}.{self.name}"


@dataclass
class Plan:
    schema: SchemaSnapshot
    strategy: str
    sql_type: str
    gen: str  # the new key's generator (targets), "" for bigint (copied)
    cols: list[Col]
    notes: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    relation_names: set[str] = field(default_factory=set)
    temp: dict[tuple[str, str], str] = field(default_factory=dict)  # (table, index/constraint) -> new index
    checks: dict[tuple[str, str], str] = field(default_factory=dict)  # (table, column) -> NOT NULL check name
    validate: list[str] = field(default_factory=list)  # VALIDATE CONSTRAINT statements after the switch

    def table(self, name: str) -> Table:
        t = self.schema.table(name)
        assert t is not None
        return t

    def cols_of(self, table: str) -> list[Col]:
        return [c for c in self.cols if c.table == table]

    @property
    def tables(self) -> list[str]:
        return list(dict.fromkeys(c.table for c in self.cols))

    def find(self, table: str, column: str) -> Col | None:
        for c in self.cols:
            if c.table == table and c.name == column:
                return c
        return None


# ----------------------------------------------------------------------------- entry points


def build_migration(schema: SchemaSnapshot, closure: Closure, strategy: str, engine: sa.Engine | None = None,
                    config: Config | None = None) -> Migration:
    """The migration of `closure` to `strategy` (uuid | uuid7 | text | bigint), in the schema's dialect.
    Raises MigrationRefused when no lossless migration can be written, with the reason."""
    if strategy not in STRATEGIES:
        raise MigrationRefused(f"unknown strategy {strategy!r} (expected one of {', '.join(STRATEGIES)})")
    cfg = config or Config()
    targets = tuple(t.qualified for t in closure.targets)
    if not closure.targets:
        raise MigrationRefused("no target")
    if schema.dialect == "mysql":
        return _mysql(schema, closure, strategy, targets)
    if schema.dialect == "sqlite":
        raise MigrationRefused(
            "sqlite migrations are not written: SQLite cannot change a column's type without rebuilding the "
            "table (and every table referencing it); migrate on PostgreSQL or MySQL/MariaDB")
    if schema.dialect != "postgresql":
        raise MigrationRefused(f"the schema came from {schema.dialect}, not a database: a migration that keeps "
                               "every constraint, index and dependent needs the live schema (--db URL)")
    plan = _prepare(schema, closure, strategy, engine, cfg)
    _postgres(plan, closure)
    return Migration(strategy=strategy, dialect="postgresql", targets=targets,
                     steps=tuple(unbounded(s) for s in plan.steps),
                     notes=tuple(plan.notes))


def render_migration(schema: SchemaSnapshot, closure: Closure, to: str) -> str:
    """The script `impact scan` writes as migration.sql; only comments stating the reason when refused."""
    strategy = to if to in STRATEGIES else "uuid"
    try:
        return build_migration(schema, closure, strategy).render()
    except MigrationRefused as exc:
        targets = ", ".join(t.qualified for t in closure.targets)
        lines = [f"-- impact migration: {targets} -> {strategy} ({schema.dialect})",
                 "-- No migration is written: it could not be made lossless.",
                 *(f"-- REFUSED: {line}" for line in str(exc).splitlines())]
        return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- preparation


def _prepare(schema: SchemaSnapshot, closure: Closure, strategy: str, engine: sa.Engine | None,
             cfg: Config) -> Plan:
    sql_type = NEW_TYPES[strategy]
    gen = {"uuid": "gen_random_uuid()", "uuid7": "uuidv7()", "text": "gen_random_uuid()::text", "bigint": ""}[strategy]
    notes: list[str] = []
    steps: list[Step] = []
    if strategy == "uuid7":
        version = _server_version(engine)
        if version is None or version < 180000:
            gen = "impact_uuidv7()"
            steps.append(Step("expand", "create impact_uuidv7() (pure SQL; the server has no uuidv7())",
                              _UUIDV7_FUNCTION, lock="none",
                              undo="DROP FUNCTION IF EXISTS impact_uuidv7();"))
            notes.append("uuid7: the server has no uuidv7() (PostgreSQL 18+): the migration creates "
                         "impact_uuidv7(), a pure-SQL UUIDv7 (48-bit Unix milliseconds, version 7, random rest); "
                         "keep it, the new keys' default calls it")
        notes.append("uuid7: keys are time-ordered, so new rows land at the right edge of the key index (locality "
                     "close to a sequence, far fewer page splits and less WAL than random UUIDv4), and ORDER BY id "
                     "roughly follows creation time again; existing rows get keys in backfill order (old id order), "
                     "stamped with the backfill time, not their creation time; a key reveals when its row was made")
    targets = {t.qualified for t in closure.targets}
    discs = discriminators(schema, closure, engine, cfg) if strategy != "bigint" else {}
    parents: dict[str, tuple[str, str]] = {}
    for ref in closure.references:
        if ref.source in targets or not closure.is_impacted(ref.to_table, ref.to_column):
            continue
        if not closure.is_impacted(ref.from_table, ref.from_column):
            continue
        parents.setdefault(ref.source, (ref.to_table, ref.to_column))
    cols: list[Col] = []
    for ic in closure.columns:
        table = schema.table(ic.table)
        column = table.column(ic.column) if table else None
        if table is None or column is None:
            raise MigrationRefused(f"{ic.qualified} is not in the schema")
        target = ic.qualified in targets
        parent = None if target else parents.get(ic.qualified)
        if not target and parent is None and ic.qualified not in discs:
            raise MigrationRefused(f"{ic.qualified} is impacted ({ic.reason}) but references no impacted column")
        cols.append(Col(ic.table, ic.column, column, target, parent, discs.get(ic.qualified)))
    _refuse_unsupported(schema, closure, strategy)
    plan = Plan(schema, strategy, sql_type, gen, cols, notes, steps)
    plan.relation_names = {t.name for t in schema.tables} | {ix.name for t in schema.tables for ix in t.indexes} | {
        c.name for t in schema.tables for c in t.constraints} | {d.name for d in schema.dependents}
    max_rows, max_bytes = cfg.bigint_in_place_max_rows, cfg.bigint_in_place_max_bytes
    for c in cols:
        table = plan.table(c.table)
        taken = {col.name for col in table.columns} | {x.new for x in plan.cols_of(c.table)} | {
            x.old for x in plan.cols_of(c.table)} | {x.legacy for x in plan.cols_of(c.table)}
        if strategy == "bigint":
            c.in_place = (table.rows or 0) <= max_rows and (table.bytes or 0) <= max_bytes
        c.new = _short(c.name, "_new", taken)
        c.old = _short(c.name, "_old", taken)
        if c.disc is not None and (not c.disc.closed or c.disc.others):
            c.legacy = _short(c.name, "_legacy", taken)
    if strategy == "bigint":
        big = sorted({c.table for c in cols if not c.in_place})
        notes.append(f"bigint: tables up to {max_rows:,} rows and {max_bytes >> 20:,} MiB are altered in place "
                     "(ALTER COLUMN TYPE: a rewrite under ACCESS EXCLUSIVE lock); "
                     + (f"larger ones ({', '.join(big)}) expand and contract" if big else "none is larger"))
    for c in cols:
        if c.legacy:
            others = ", ".join(f"{v} ({n:,} rows)" if n else v for v, n in sorted(c.disc.others.items())) \
                if c.disc else ""
            notes.append(
                f"{c.qualified}: rows whose {c.disc.by if c.disc else 'kind'} is not one of "
                f"{', '.join(sorted(c.disc.values)) if c.disc else ''} (ids that are not ids of a target"
                f"{': ' + others if others else ''}) keep their integer ids in {c.legacy}, a preserved column "
                f"that is not dropped; {c.name} is NULL for them, and CHECK ({c.name} IS NOT NULL OR {c.legacy} IS "
                "NOT NULL) replaces NOT NULL. The application writes those kinds' ids to that column from now on")
        if c.disc is not None:
            notes.append(f"{c.qualified}: polymorphic by {c.disc.by}: "
                         + ", ".join(f"{v!r} -> {t}" for v, t in sorted(c.disc.values.items()))
                         + f" (from {c.disc.evidence})")
    return plan


def _server_version(engine: sa.Engine | None) -> int | None:
    if engine is None:
        return None
    import sqlalchemy as sa

    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SHOW server_version_num")).scalar_one())
    except sa.exc.SQLAlchemyError:
        return None


def _refuse_unsupported(schema: SchemaSnapshot, closure: Closure, strategy: str) -> None:
    for d in dependents(schema, closure):
        if d.kind in ("policy", "generated column"):
            raise MigrationRefused(f"{d.kind} {d.name} reads {d.table}.{d.column}: re-creating it on the new "
                                   "column is not supported; drop it before the migration and re-create it after")
        if d.kind in ("partition", "inheritance child"):
            raise MigrationRefused(f"{d.table} is partitioned / inherited ({d.name}): a new column with "
                                   "CONCURRENTLY built indexes cannot be added to a partitioned table")
    for t in closure.tables:
        table = schema.table(t)
        if table is None:
            continue
        for con in table.constraints:
            if con.kind == "exclude" and any(closure.is_impacted(t, c) for c in con.columns):
                raise MigrationRefused(f"exclusion constraint {con.name} on {t} covers an impacted column")


_UUIDV7_FUNCTION = """CREATE OR REPLACE FUNCTION impact_uuidv7() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE AS $impact$
  -- UUIDv7 (RFC 9562): 48-bit Unix time in ms, version 7, variant 10, random rest
  SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
         PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
         FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
$impact$;"""


# ----------------------------------------------------------------------------- PostgreSQL


def _postgres(plan: Plan, closure: Closure) -> None:
    moving = [c for c in plan.cols if not c.in_place]
    funcs = _rewritten_functions(plan, closure)
    views = _views(plan.schema, closure)
    triggers = _column_triggers(plan.schema, closure)
    if moving:
        _expand(plan, moving)
        _backfill(plan, moving)
        _new_indexes(plan, moving)
        _verify(plan, moving)
    _switch(plan, moving, funcs, views, triggers)
    _validate(plan)
    if moving:
        _contract(plan, moving)


def _parent_lookup(plan: Plan, c: Col, row: str) -> str:
    """Before the switch: the new value of `c` for the row aliased `row`, from its parent's new key."""
    here = q(c.name)
    if c.disc is not None:
        arms = []
        for value, table in sorted(c.disc.values.items()):
            key = _key_of(plan, table)
            want = f"p.{q(key.new)}"
            match = f"p.{q(key.name)}"
            arms.append(f"WHEN {lit(value)} THEN (SELECT {want} FROM {qt(table)} AS p "
                        f"WHERE {match} = {row}.{here} LIMIT 1)")
        return f"CASE {row}.{q(c.disc.by)} {' '.join(arms)} END"
    assert c.parent is not None
    parent = plan.find(*c.parent)
    assert parent is not None
    want = f"p.{q(parent.new)}"
    return (f"(SELECT {want} FROM {qt(parent.table)} AS p WHERE p.{q(parent.name)} = {row}.{here} LIMIT 1)")


def _key_of(plan: Plan, table: str) -> Col:
    for c in plan.cols:
        if c.table == table and c.target:
            return c
    for c in plan.cols:
        if c.table == table and plan.table(table).primary_key == (c.name,):
            return c
    raise MigrationRefused(f"{table} is a polymorphic destination but none of its columns is a target")


def _fresh_value(plan: Plan, c: Col, row: str) -> str:
    """The new column's value for a row: a new key (targets), a copy (bigint), or the parent's new key."""
    if plan.strategy == "bigint":
        return f"{row}.{q(c.name)}"
    if c.target:
        return plan.gen
    return _parent_lookup(plan, c, row)


def _sync_function(plan: Plan, table: str, cols: list[Col], after_switch: bool, name: str) -> str:
    body = []
    for c in cols:
        if after_switch:
            # the new release writes the new column: keep the old one filled, so going back stays possible
            src, dst = c.name, c.old
            if c.target and plan.strategy != "bigint":
                continue  # the old key keeps its own default (sequence / identity)
            if plan.strategy == "bigint":
                value = (f"CASE WHEN NEW.{q(src)} BETWEEN -2147483648 AND 2147483647 THEN NEW.{q(src)} END"
                         if _is_int4(c.column.type) else f"NEW.{q(src)}")
            else:
                value = _reverse_lookup(plan, c)
        else:
            src, dst = c.name, c.new
            value = _fresh_value(plan, c, "NEW")
        watch = [src] + ([c.disc.by] if c.disc else [])
        changed = " OR ".join(f"NEW.{q(w)} IS DISTINCT FROM OLD.{q(w)}" for w in watch)
        if c.target and plan.strategy != "bigint" and not after_switch:
            body.append(f"  IF NEW.{q(dst)} IS NULL THEN NEW.{q(dst)} := {value}; END IF;")
        else:
            body.append(f"  IF TG_OP = 'INSERT' OR {changed} THEN\n    NEW.{q(dst)} := {value};\n  END IF;")
    return (f"CREATE OR REPLACE FUNCTION {q(name)}() RETURNS trigger LANGUAGE plpgsql AS $impact$\nBEGIN\n"
            + "\n".join(body) + "\n  RETURN NEW;\nEND\n$impact$;")


def _reverse_lookup(plan: Plan, c: Col) -> str:
    """After the switch: the old (integer) value of `c` from the new value the new release wrote."""
    if c.disc is not None:
        arms = []
        for value, table in sorted(c.disc.values.items()):
            key = _key_of(plan, table)
            arms.append(f"WHEN {lit(value)} THEN (SELECT p.{q(key.old)} FROM {qt(table)} AS p "
                        f"WHERE p.{q(key.name)} = NEW.{q(c.name)} LIMIT 1)")
        return f"CASE NEW.{q(c.disc.by)} {' '.join(arms)} ELSE NEW.{q(c.old)} END"
    assert c.parent is not None
    parent = plan.find(*c.parent)
    assert parent is not None
    return (f"(SELECT p.{q(parent.old)} FROM {qt(parent.table)} AS p "
            f"WHERE p.{q(parent.name)} = NEW.{q(c.name)} LIMIT 1)")


def _is_int4(type_name: str) -> bool:
    return type_name.upper() in ("INTEGER", "INT", "INT4", "SERIAL", "SMALLINT", "INT2")


def _trigger_names(plan: Plan, table: str) -> tuple[str, str, str]:
    digest = hashlib.sha1(table.encode()).hexdigest()[:6]
    base = _bare(table).encode()[:40].decode("utf-8", "ignore")
    return (f"impact_sync_{base}_{digest}", f"impact_back_{base}_{digest}", f"impact_sync_{digest}")


def _rows(plan: Plan, table: str) -> int:
    return plan.table(table).rows or 0


def _expand(plan: Plan, moving: list[Col]) -> None:
    for table in dict.fromkeys(c.table for c in moving):
        cols = [c for c in moving if c.table == table]
        fn, _back, trg = _trigger_names(plan, table)
        sql = []
        for c in cols:
            sql.append(f"ALTER TABLE {qt(table)} ADD COLUMN {q(c.new)} {plan.sql_type};")
            if c.target and plan.gen:
                sql.append(f"ALTER TABLE {qt(table)} ALTER COLUMN {q(c.new)} SET DEFAULT {plan.gen};")
            elif plan.strategy == "bigint" and c.column.default and not c.column.sequence:
                sql.append(f"ALTER TABLE {qt(table)} ALTER COLUMN {q(c.new)} SET DEFAULT {c.column.default};")
        sql.append(_sync_function(plan, table, cols, False, fn))
        sql.append(f"CREATE TRIGGER {q(trg)} BEFORE INSERT OR UPDATE ON {qt(table)} "
                   f"FOR EACH ROW EXECUTE FUNCTION {q(fn)}();")
        undo = [f"DROP TRIGGER IF EXISTS {q(trg)} ON {qt(table)};", f"DROP FUNCTION IF EXISTS {q(fn)}();"]
        undo += [f"ALTER TABLE {qt(table)} DROP COLUMN IF EXISTS {q(c.new)};" for c in cols]
        plan.steps.append(Step("expand", f"add {', '.join(c.new for c in cols)} to {table} and keep it in step",
                               "\n".join(sql), lock="ACCESS EXCLUSIVE", table=table, undo="\n".join(undo)))


def _batch_key(plan: Plan, table: str) -> str | None:
    t = plan.table(table)
    if len(t.primary_key) == 1:
        col = t.column(t.primary_key[0])
        if col is not None and col.type.upper() in ("INTEGER", "BIGINT", "SMALLINT", "INT", "INT4", "INT8"):
            return col.name
    return None


def _order(plan: Plan, moving: list[Col]) -> list[str]:
    """Tables in backfill order: a table after the tables its columns take new values from."""
    depth: dict[str, int] = {}

    def level(c: Col, seen: frozenset[str] = frozenset()) -> int:
        if c.target or plan.strategy == "bigint" or c.qualified in seen:
            return 0
        ups: list[Col] = []
        if c.disc is not None:
            ups = [_key_of(plan, t) for t in c.disc.values.values()]
        elif c.parent is not None:
            p = plan.find(*c.parent)
            ups = [p] if p else []
        return 1 + max((level(u, seen | {c.qualified}) for u in ups), default=0)

    for c in moving:
        depth[c.table] = max(depth.get(c.table, 0), level(c))
    return sorted(depth, key=lambda t: (depth[t], t))


def _backfill(plan: Plan, moving: list[Col]) -> None:
    for table in _order(plan, moving):
        cols = [c for c in moving if c.table == table]
        sets = ", ".join(f"{q(c.new)} = {_fresh_value(plan, c, 'r')}" for c in cols)
        missing = " OR ".join(f"(r.{q(c.new)} IS NULL AND r.{q(c.name)} IS NOT NULL)" for c in cols)
        key = _batch_key(plan, table)
        rows = _rows(plan, table)
        if key is not None:
            k = q(key)
            sql = f"""DO $impact$
DECLARE lo bigint; hi bigint; n bigint := 0;
BEGIN
  SELECT min({k}), max({k}) INTO lo, hi FROM {qt(table)};
  WHILE lo <= hi LOOP
    UPDATE {qt(table)} AS r SET {sets}
    WHERE r.{k} >= lo AND r.{k} < lo + {BATCH} AND ({missing});
    GET DIAGNOSTICS n = ROW_COUNT;
    COMMIT;
    lo := lo + {BATCH};
  END LOOP;
END
$impact$;"""
        else:
            # no integer key: walk physical pages (TID range scans), BATCH / 50 pages at a time
            pages = max(BATCH // 50, 1)
            sql = f"""DO $impact$
DECLARE p bigint := 0; last bigint;
BEGIN
  SELECT pg_relation_size({lit(qt(table))}::regclass) / current_setting('block_size')::int INTO last;
  WHILE p <= last LOOP
    UPDATE {qt(table)} AS r SET {sets}
    WHERE r.ctid >= format('(%s,0)', p)::tid AND r.ctid < format('(%s,0)', p + {pages})::tid AND ({missing});
    COMMIT;
    p := p + {pages};
  END LOOP;
END
$impact$;"""
        how = f"by {key} ranges of {BATCH:,}" if key else "by page ranges"
        plan.steps.append(Step("backfill", f"fill {', '.join(c.new for c in cols)} of {table} {how}, "
                               "one commit per batch (resumable: only rows still missing a value)",
                               sql, lock="ROW EXCLUSIVE", table=table, rows=rows, transactional=False,
                               undo=f"UPDATE {qt(table)} SET " + ", ".join(f"{q(c.new)} = NULL" for c in cols) + ";"))


def _touching(plan: Plan, table: str, cols: list[Col]) -> tuple[list[Constraint], list[Index]]:
    """Constraints (pk, unique, check) of `table` over the given columns, and plain indexes that cover them."""
    t = plan.table(table)
    names = {c.name for c in cols}
    cons = [con for con in t.constraints if con.kind in ("primary key", "unique", "check")
            and names & set(con.columns)]
    backing = {con.index for con in t.constraints if con.index}
    idx = [ix for ix in t.indexes if ix.name not in backing and not ix.constraint
           and (names & set(ix.columns) or any(_mentions(_index_tail(ix.definition), n) for n in names))]
    return cons, idx


def _index_tail(definition: str) -> str:
    m = re.search(r"\sUSING\s", definition)
    return definition[m.start():] if m else ""


def _new_indexes(plan: Plan, moving: list[Col]) -> None:
    for table in dict.fromkeys(c.table for c in moving):
        cols = [c for c in moving if c.table == table]
        swap = {c.name: c.new for c in cols}
        cons, idx = _touching(plan, table, cols)
        for con in cons:
            if con.kind == "check":
                continue
            tmp = _short(con.index or con.name, "_new", plan.relation_names)
            columns = ", ".join(q(swap.get(c, c)) for c in con.columns)
            plan.steps.append(Step(
                "expand", f"build the index of {con.kind} {con.name} on the new column of {table}",
                f"CREATE UNIQUE INDEX CONCURRENTLY {q(tmp)} ON {qt(table)} ({columns});",
                lock="SHARE UPDATE EXCLUSIVE", table=table, rows=_rows(plan, table), transactional=False,
                undo=f"DROP INDEX CONCURRENTLY IF EXISTS {q(tmp)};"))
            plan.temp[(table, con.name)] = tmp
        for ix in idx:
            if not ix.definition:
                raise MigrationRefused(f"index {ix.name} on {table}: its definition was not read")
            if plan.strategy != "bigint" and any(_numeric_use(_index_tail(ix.definition), c.name) for c in cols):
                raise MigrationRefused(
                    f"index {ix.name} on {table} treats {', '.join(c.name for c in cols)} as a number "
                    f"({_index_tail(ix.definition).strip()}), which has no meaning for {plan.sql_type}; "
                    "drop or rewrite it before this migration")
            tmp = _short(ix.name, "_new", plan.relation_names)
            tail = swap_columns(_index_tail(ix.definition), swap)
            unique = "UNIQUE " if ix.unique else ""
            plan.steps.append(Step(
                "expand", f"build index {ix.name} again on the new column of {table}",
                f"CREATE {unique}INDEX CONCURRENTLY {q(tmp)} ON {qt(table)}{tail};",
                lock="SHARE UPDATE EXCLUSIVE", table=table, rows=_rows(plan, table), transactional=False,
                undo=f"DROP INDEX CONCURRENTLY IF EXISTS {q(tmp)};"))
            plan.temp[(table, ix.name)] = tmp



def _guard(plan: Plan, c: Col, new: str, old: str) -> str:
    """A DO block that RAISEs while a non-null old value has no new one (rows of other kinds excepted)."""
    kinds = ""
    if c.disc is not None and c.legacy:
        kinds = f" AND r.{q(c.disc.by)} IN ({', '.join(lit(v) for v in sorted(c.disc.values))})"
    msg = lit(f"impact: %s rows of {c.table}.{c.name} have an old value and no new one; backfill first")
    return (f"DO $impact$\nDECLARE n bigint;\nBEGIN\n  SELECT count(*) INTO n FROM {qt(c.table)} AS r "
            f"WHERE r.{q(old)} IS NOT NULL AND r.{q(new)} IS NULL{kinds};\n"
            f"  IF n > 0 THEN RAISE EXCEPTION {msg}, n; END IF;\nEND\n$impact$;")


def _not_null_check(plan: Plan, c: Col) -> str:
    key = (c.table, c.name)
    if key not in plan.checks:
        plan.checks[key] = _short(f"{_bare(c.table)}_{c.name}", "_not_null", plan.relation_names)
    return plan.checks[key]



def _verify(plan: Plan, moving: list[Col]) -> None:
    for table in dict.fromkeys(c.table for c in moving):
        cols = [c for c in moving if c.table == table]
        guards = "\n".join(_guard(plan, c, c.new, c.name) for c in cols)
        plan.steps.append(Step("verify", f"guard: every old value of {table} has its new value", guards,
                               lock="none", table=table))
        strict = [c for c in cols if not c.column.nullable and not c.legacy]
        if strict:
            adds = [f"ALTER TABLE {qt(table)} ADD CONSTRAINT {q(_not_null_check(plan, c))} "
                    f"CHECK ({q(c.new)} IS NOT NULL) NOT VALID;" for c in strict]
            plan.steps.append(Step("verify", f"NOT NULL of {table}, as a NOT VALID check on the new column",
                                   "\n".join(adds), lock="ACCESS EXCLUSIVE", table=table,
                                   undo="\n".join(f"ALTER TABLE {qt(table)} DROP CONSTRAINT IF EXISTS "
                                                  f"{q(_not_null_check(plan, c))};" for c in strict)))
            plan.steps.append(Step("verify", f"validate the NOT NULL checks of {table} (no long lock)",
                                   "\n".join(f"ALTER TABLE {qt(table)} VALIDATE CONSTRAINT "
                                             f"{q(_not_null_check(plan, c))};" for c in strict),
                                   lock="SHARE UPDATE EXCLUSIVE", table=table, rows=_rows(plan, table)))


def _views(schema: SchemaSnapshot, closure: Closure) -> list[Dependent]:
    out: dict[str, Dependent] = {}
    for d in dependents(schema, closure):
        if d.kind in ("view", "materialized view") and d.definition.strip():
            out.setdefault(d.name, d)
    return list(out.values())


def _column_triggers(schema: SchemaSnapshot, closure: Closure) -> list[Dependent]:
    """Triggers bound to an impacted column itself (UPDATE OF c, WHEN (... c ...)): re-created by name."""
    out: dict[str, Dependent] = {}
    for d in dependents(schema, closure):
        first = d.definition.split("\n", 1)[0]
        if d.kind == "trigger" and re.search(r"\bUPDATE OF\b|\bWHEN\s*\(", first):
            out.setdefault(d.name, Dependent(d.kind, d.name, d.table, d.column, first))
    return list(out.values())


_DECL = re.compile(rf"(?im)^(\s*)([A-Za-z_][\w$]*)(\s+)({_INT_TYPES})\b(?P<rest>[^;\n]*;)")


def _rewritten_functions(plan: Plan, closure: Closure) -> list[tuple[str, str]]:
    """(name, CREATE OR REPLACE text) of functions whose variables hold a key, with the type rewritten.
    Raises MigrationRefused for what cannot be rewritten safely (a key in an integer signature)."""
    names = {c.name.lower() for c in plan.cols}
    out: dict[str, str] = {}
    for d in dependents(plan.schema, closure):
        if d.kind != "function" or d.name in out:
            continue
        ddl = d.ddl or ""
        if not ddl:
            continue
        split = re.search(r"\bAS\s+(?=\$\w*\$|')", ddl)
        if split is None:
            continue
        head, body = ddl[:split.start()], ddl[split.start():]
        if plan.strategy != "bigint" and re.search(rf"\b{_INT_TYPES}\b", head, re.I):
            used = {w.lower() for w in re.findall(r"[A-Za-z_][\w$]*", body)}
            if used & names:
                raise MigrationRefused(
                    f"function {d.name} takes or returns an integer and reads {d.table}.{d.column}: changing its "
                    "signature breaks its callers; rewrite it by hand (or drop it) before this migration")
        key_vars = _key_variables(body, names)
        if not key_vars:
            continue
        def retype(m: re.Match[str], new_type: str = plan.sql_type, key_vars: set[str] = key_vars) -> str:
            if m.group(2).lower() not in key_vars:
                return m.group(0)
            if plan.strategy == "bigint" and m.group(4).lower() in ("bigint", "int8"):
                return m.group(0)
            return f"{m.group(1)}{m.group(2)}{m.group(3)}{new_type}{m.group('rest')}"

        rewritten = _DECL.sub(retype, body)
        if rewritten != body:
            out[d.name] = head + rewritten
            plan.notes.append(f"function {d.name}: {', '.join(sorted(key_vars))} declared {plan.sql_type} (held a key)")
    return list(out.items())


def _key_variables(body: str, columns: set[str]) -> set[str]:
    """Variables declared with an integer type that take or meet a key column's value."""
    found: set[str] = set()
    for m in _DECL.finditer(body):
        var = m.group(2).lower()
        if var in ("begin", "declare", "return"):
            continue
        init = m.group("rest")
        col = r"(?:\w+\.)?\"?(\w+)\"?"
        tied = any(x.lower() in columns for x in re.findall(r"(?:OLD|NEW)\.\"?(\w+)\"?", init, re.I))
        for a, b in re.findall(rf"{col}\s*=\s*{col}", body):
            if (a.lower() == var and b.lower() in columns) or (b.lower() == var and a.lower() in columns):
                tied = True
        if re.search(rf"SELECT\s+{col}\s+INTO\s+{re.escape(var)}\b", body, re.I):
            for x in re.findall(rf"SELECT\s+{col}\s+INTO\s+{re.escape(var)}\b", body, re.I):
                tied = tied or x.lower() in columns
        if tied:
            found.add(var)
    return found


def _fk_touching(plan: Plan) -> list[tuple[str, Constraint]]:
    """Every foreign key whose columns or referenced columns include an impacted column."""
    out = []
    impacted = {(c.table, c.name) for c in plan.cols}
    for t in plan.schema.tables:
        for con in t.constraints:
            if con.kind != "foreign key":
                continue
            fk = next((f for f in t.foreign_keys if f.name == con.name), None)
            refs = {(fk.ref_table, c) for c in fk.ref_columns} if fk else set()
            if {(t.name, c) for c in con.columns} & impacted or refs & impacted:
                out.append((t.name, con))
    return out


def _switch(plan: Plan, moving: list[Col], funcs: list[tuple[str, str]], views: list[Dependent],
            triggers: list[Dependent]) -> None:
    sql: list[str] = []
    tables = sorted(dict.fromkeys(c.table for c in plan.cols))
    sql.append("LOCK TABLE " + ", ".join(qt(t) for t in tables) + " IN ACCESS EXCLUSIVE MODE;")
    plain = [v for v in views if v.kind == "view"]
    mats = [v for v in views if v.kind == "materialized view"]
    if plain:
        sql.append("DROP VIEW " + ", ".join(qt(v.name) for v in plain) + ";")
    if mats:
        sql.append("DROP MATERIALIZED VIEW " + ", ".join(qt(v.name) for v in mats) + ";")
    for d in triggers:
        name, _, table = d.name.partition(" on ")
        sql.append(f"DROP TRIGGER IF EXISTS {q(name)} ON {qt(table)};")
    fks = _fk_touching(plan)
    for table, con in fks:
        sql.append(f"ALTER TABLE {qt(table)} DROP CONSTRAINT {q(con.name)};")
    readd: list[str] = []
    validate: list[str] = []
    moving_tables = list(dict.fromkeys(c.table for c in moving))
    for table in moving_tables:
        cols = [c for c in moving if c.table == table]
        fn, back, trg = _trigger_names(plan, table)
        cons, idx = _touching(plan, table, cols)
        for con in sorted(cons, key=lambda c: c.kind != "check"):
            sql.append(f"ALTER TABLE {qt(table)} DROP CONSTRAINT {q(con.name)};")
        for ix in idx:
            sql.append(f"DROP INDEX {_qindex(table, ix.name)};")
        sql.append(f"DROP TRIGGER {q(trg)} ON {qt(table)};")
        sql.append(f"DROP FUNCTION {q(fn)}();")
        for c in cols:
            if not c.column.nullable and not c.column.generated:  # an identity keeps filling its column
                sql.append(f"ALTER TABLE {qt(table)} ALTER COLUMN {q(c.name)} DROP NOT NULL;")
            sql.append(f"ALTER TABLE {qt(table)} RENAME COLUMN {q(c.name)} TO {q(c.old)};")
            sql.append(f"ALTER TABLE {qt(table)} RENAME COLUMN {q(c.new)} TO {q(c.name)};")
        for c in cols:
            if not c.column.nullable and not c.legacy:
                sql.append(f"ALTER TABLE {qt(table)} ALTER COLUMN {q(c.name)} SET NOT NULL;")
                sql.append(f"ALTER TABLE {qt(table)} DROP CONSTRAINT {q(_not_null_check(plan, c))};")
            if plan.strategy == "bigint" and c.target:
                sql += _move_sequence(plan, c)
        for con in cons:
            if con.kind == "check":
                text = _carry_check(plan, table, con, cols)
                if text:
                    readd.append(f"ALTER TABLE {qt(table)} ADD CONSTRAINT {q(con.name)} {text} NOT VALID;")
                    validate.append(f"ALTER TABLE {qt(table)} VALIDATE CONSTRAINT {q(con.name)};")
                continue
            kind = "PRIMARY KEY" if con.kind == "primary key" else "UNIQUE"
            tmp = plan.temp[(table, con.name)]
            sql.append(f"ALTER TABLE {qt(table)} ADD CONSTRAINT {q(con.name)} {kind} USING INDEX {q(tmp)};")
        for ix in idx:
            sql.append(f"ALTER INDEX {_qindex(table, plan.temp[(table, ix.name)])} RENAME TO {q(ix.name)};")
    for c in plan.cols:
        if c.in_place:
            sql.append(f"ALTER TABLE {qt(c.table)} ALTER COLUMN {q(c.name)} TYPE bigint;")
            if c.column.sequence:
                sql.append(f"ALTER SEQUENCE {qt(c.column.sequence)} AS bigint;")
    for table, con in fks:
        sql.append(f"ALTER TABLE {qt(table)} ADD CONSTRAINT {q(con.name)} {con.definition} NOT VALID;")
        validate.append(f"ALTER TABLE {qt(table)} VALIDATE CONSTRAINT {q(con.name)};")
    sql += readd
    for _name, ddl in funcs:
        sql.append(ddl.rstrip().rstrip(";") + ";")
    for d in triggers:
        sql.append(d.definition.rstrip(";") + ";")
    for v in views:
        if v.kind == "view":
            sql.append(f"CREATE VIEW {qt(v.name)} AS\n{v.definition.strip().rstrip(';')};")
        else:
            sql.append(f"CREATE MATERIALIZED VIEW {qt(v.name)} AS\n{v.definition.strip().rstrip(';')}\nWITH DATA;")
            sql += [ix.rstrip(";") + ";" for ix in v.ddl.split(";\n") if ix.strip()]
    for table in moving_tables:
        cols = [c for c in moving if c.table == table]
        fn, back, trg = _trigger_names(plan, table)
        if plan.strategy == "bigint" or any(not c.target for c in cols):
            sql.append(_sync_function(plan, table, cols, True, back))
            sql.append(f"CREATE TRIGGER {q(trg)} BEFORE INSERT OR UPDATE ON {qt(table)} "
                       f"FOR EACH ROW EXECUTE FUNCTION {q(back)}();")
    if views:
        plan.notes.append("views re-created on the new columns in the switch: "
                          + ", ".join(v.name for v in views) + " (re-apply their grants, owners and comments)")
    plan.validate = validate
    rows = sum(_rows(plan, c.table) for c in plan.cols if c.in_place)
    plan.steps.append(Step("switch", "switch every impacted column to the new type in one transaction",
                           "\n".join(s for s in sql if s), lock="ACCESS EXCLUSIVE",
                           table=", ".join(tables), rows=rows, reversible=False))



def _qindex(table: str, name: str) -> str:
    """An index of `table`, in the table's schema."""
    schema, dot, _ = table.partition(".")
    return f"{q(schema)}.{q(name)}" if dot else q(name)


def _carry_check(plan: Plan, table: str, con: Constraint, cols: list[Col]) -> str:
    """The CHECK on the new column: as it was, less the conjuncts that treat the key as a number when the
    new type is not a number (said in a note)."""
    if plan.strategy == "bigint":
        return con.definition
    parts = _conjuncts(con.definition)
    keep = [p for p in parts if not any(_numeric_use(p, c.name) for c in cols)]
    dropped = [p for p in parts if p not in keep]
    if dropped:
        plan.notes.append(f"check {con.name} on {table}: {' AND '.join(dropped)} compares the key with a number, "
                          f"which has no meaning for {plan.sql_type}; it is dropped"
                          + ("" if keep else " (nothing else was left of the check)"))
    return f"CHECK ({' AND '.join(keep)})" if keep else ""


def _move_sequence(plan: Plan, c: Col) -> list[str]:
    """bigint expand/contract: the old column's sequence or identity moves to the new key column."""
    table = qt(c.table)
    if c.column.generated:
        kind = "ALWAYS" if c.column.generated == "always" else "BY DEFAULT"
        return [f"""DO $impact$
DECLARE nxt bigint := nextval(pg_get_serial_sequence({lit(qt(c.table))}, {lit(c.old)}));
BEGIN
  EXECUTE {lit(f'ALTER TABLE {table} ALTER COLUMN {q(c.old)} DROP IDENTITY')};
  EXECUTE {lit(f'ALTER TABLE {table} ALTER COLUMN {q(c.old)} DROP NOT NULL')};
  EXECUTE format({lit(f'ALTER TABLE {table} ALTER COLUMN {q(c.name)} ADD GENERATED {kind} AS IDENTITY (START WITH %s)')}, nxt);
END
$impact$;"""]
    if c.column.sequence:
        seq = qt(c.column.sequence)
        return [f"ALTER SEQUENCE {seq} OWNED BY {table}.{q(c.name)};",
                f"ALTER TABLE {table} ALTER COLUMN {q(c.name)} SET DEFAULT nextval({lit(seq)}::regclass);",
                f"ALTER TABLE {table} ALTER COLUMN {q(c.old)} DROP DEFAULT;",
                f"ALTER SEQUENCE {seq} AS bigint;"]
    return []


def _validate(plan: Plan) -> None:
    validate = plan.validate
    if validate:
        plan.steps.append(Step("verify", "validate the re-created foreign keys and checks (no long lock)",
                               "\n".join(validate), lock="SHARE UPDATE EXCLUSIVE"))


def _contract(plan: Plan, moving: list[Col]) -> None:
    for table in dict.fromkeys(c.table for c in moving):
        cols = [c for c in moving if c.table == table]
        fn, back, trg = _trigger_names(plan, table)
        sql = [_guard(plan, c, c.name, c.old) for c in cols]
        sql.append(f"DROP TRIGGER IF EXISTS {q(trg)} ON {qt(table)};")
        sql.append(f"DROP FUNCTION IF EXISTS {q(back)}();")
        for c in cols:
            if c.legacy:
                sql.append(f"ALTER TABLE {qt(table)} RENAME COLUMN {q(c.old)} TO {q(c.legacy)};")
                if not c.column.nullable:
                    name = _not_null_check(plan, c)
                    sql.append(f"ALTER TABLE {qt(table)} ADD CONSTRAINT {q(name)} "
                               f"CHECK ({q(c.name)} IS NOT NULL OR {q(c.legacy)} IS NOT NULL) NOT VALID;")
                    sql.append(f"ALTER TABLE {qt(table)} VALIDATE CONSTRAINT {q(name)};")
            else:
                sql.append(f"ALTER TABLE {qt(table)} DROP COLUMN {q(c.old)};")
        plan.steps.append(Step("contract", f"drop the old column(s) of {table} "
                               f"({', '.join(c.old for c in cols if not c.legacy) or 'none'}) after the guard",
                               "\n".join(sql), lock="ACCESS EXCLUSIVE", table=table, reversible=False))


# ----------------------------------------------------------------------------- MySQL / MariaDB


def _mysql(schema: SchemaSnapshot, closure: Closure, strategy: str, targets: tuple[str, ...]) -> Migration:
    if strategy != "bigint":
        raise MigrationRefused(
            f"{strategy} on MySQL/MariaDB is not written: there is no native uuid column type to expand into "
            "(MariaDB's UUID type and MySQL's BINARY(16) need per-version handling), and DDL commits implicitly, "
            "so a failed step could not be rolled back; migrate to bigint there, or plan on PostgreSQL")

    def mq(name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def mqt(table: str) -> str:
        return ".".join(mq(p) for p in table.split(".", 1))

    impacted = {(c.table, c.column) for c in closure.columns}
    fks: list[tuple[Table, ForeignKey, str]] = []
    for t in schema.tables:
        for fk in t.foreign_keys:
            if ({(t.name, c) for c in fk.columns} | {(fk.ref_table, c) for c in fk.ref_columns}) & impacted:
                if not fk.name:
                    raise MigrationRefused(f"a foreign key of {t.name} has no name: it cannot be dropped and re-made")
                fks.append((t, fk, fk.name))
    steps: list[Step] = []
    for t, _fk, name in fks:
        steps.append(Step("switch", f"drop foreign key {name} of {t.name}",
                          f"ALTER TABLE {mqt(t.name)} DROP FOREIGN KEY {mq(name)};",
                          lock="ACCESS EXCLUSIVE", table=t.name, transactional=False))
    by_table: dict[str, list[ImpactedColumn]] = {}
    for c in closure.columns:
        by_table.setdefault(c.table, []).append(c)
    for table, cols in by_table.items():
        tab = schema.table(table)
        assert tab is not None
        mods = []
        for ic in cols:
            col = tab.column(ic.column)
            assert col is not None
            unsigned = " UNSIGNED" if "UNSIGNED" in col.type.upper() else ""
            parts = [f"MODIFY {mq(col.name)} BIGINT{unsigned}", "NULL" if col.nullable else "NOT NULL"]
            if col.identity and col.default is None:
                parts.append("AUTO_INCREMENT")
            if col.default is not None:
                parts.append(f"DEFAULT {col.default}")
            mods.append(" ".join(parts))
        steps.append(Step("switch", f"widen {', '.join(c.column for c in cols)} of {table} to BIGINT",
                          f"ALTER TABLE {mqt(table)} " + ", ".join(mods) + ";", lock="ACCESS EXCLUSIVE",
                          table=table, rows=tab.rows or 0, transactional=False))
    for t, f, name in fks:
        actions = "".join(f" ON {k} {v}" for k, v in (("DELETE", f.on_delete), ("UPDATE", f.on_update)) if v)
        steps.append(Step(
            "switch", f"re-create foreign key {name} of {t.name}",
            f"ALTER TABLE {mqt(t.name)} ADD CONSTRAINT {mq(name)} FOREIGN KEY "
            f"({', '.join(mq(c) for c in f.columns)}) REFERENCES {mqt(f.ref_table)} "
            f"({', '.join(mq(c) for c in f.ref_columns)}){actions};",
            lock="ACCESS EXCLUSIVE", table=t.name, transactional=False))
    notes = ("MySQL/MariaDB: each ALTER TABLE is one atomic statement (DDL commits implicitly); foreign keys "
             "are dropped before the columns widen and re-created after, with their ON DELETE / ON UPDATE",
             "ALTER TABLE ... MODIFY copies the table (ALGORITHM=COPY) and blocks writes while it runs")
    return Migration(strategy=strategy, dialect="mysql", targets=targets, steps=tuple(steps), notes=notes)
