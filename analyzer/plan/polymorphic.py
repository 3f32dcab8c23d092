"""Polymorphic columns: which discriminator value says which target table an id belongs to.

A column such as `comments.entity_id` may hold ids of several tables; a sibling column (`entity_type`)
says whose. A migration that changes the key type must fill the new column per kind, joining each row to
the table its kind names, and must keep the rows of kinds that are not ids of any target at all.

The mapping value -> table is read from what the schema and the database say, strongest first:

1. the team's config, `[tool.impact.polymorphic] "t.c" = {by = "kind", values = {manual = "t1"}, others = [..]}`;
2. a value that is a table's name (`entity_type = 'content_items'`);
3. trigger functions attached to the target tables: `CASE WHEN TG_TABLE_NAME = 'x' THEN 'v' ELSE 'w' END`
   maps v to x (and w to the other table the function fires on), `kind_col = TG_TABLE_NAME` says values
   are table names;
4. the words of a value against the words that set one target apart from the others (`auto` ->
   `content_items_auto`).

The value set comes from CHECK constraints and enum types on the discriminator (a closed set) and, given an
engine, from `SELECT kind, count(*) ... GROUP BY kind` (read-only). A value naming a table that is not a
target is an "other" kind (its ids are kept as they are). A value that nothing maps stops the plan with
`MigrationRefused`, naming the config key to set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from analyzer.config import Config
from analyzer.db.graph import POLYMORPHIC_SUFFIXES, singular, type_family
from analyzer.models import Closure, Dependent, SchemaSnapshot, Table
from analyzer.plan.steps import MigrationRefused

if TYPE_CHECKING:
    import sqlalchemy as sa


@dataclass(frozen=True)
class Discriminator:
    column: str  # the polymorphic column, qualified "comments.entity_id"
    by: str  # the discriminator column of the same table, "entity_type"
    values: dict[str, str]  # discriminator value -> target table ("manual" -> "content_items")
    others: dict[str, int]  # values whose ids are NOT ids of any target -> row count (0 when not measured)
    evidence: str  # where the mapping came from (CHECK constraint, enum, trigger body, distinct values, config)
    #: the value set is closed (a CHECK constraint or enum lists every value, or the team said so): no kind
    #: outside `values` and `others` can appear, so nothing else needs keeping
    closed: bool = False

    @property
    def table(self) -> str:
        return self.column.rpartition(".")[0]

    @property
    def name(self) -> str:
        return self.column.rpartition(".")[2]


_LITERAL = re.compile(r"'((?:[^']|'')*)'")
_WORDS = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_CASE_WHEN = re.compile(
    r"TG_TABLE_NAME\s*(?:::\s*\w+\s*)?=\s*'(?P<table>[^']+)'\s*(?:::\s*\w+\s*)?THEN\s+'(?P<value>[^']*)'"
    r"|'(?P<table2>[^']+)'\s*=\s*TG_TABLE_NAME\s*THEN\s+'(?P<value2>[^']*)'", re.IGNORECASE)
_CASE_ON = re.compile(r"CASE\s+TG_TABLE_NAME\b(?P<body>.*?)\bEND\b", re.IGNORECASE | re.DOTALL)
_WHEN = re.compile(r"WHEN\s+'(?P<table>[^']+)'\s+THEN\s+'(?P<value>[^']*)'", re.IGNORECASE)
_ELSE = re.compile(r"ELSE\s+'(?P<value>[^']*)'", re.IGNORECASE)
_ENUM = re.compile(r"^(?:ENUM|SET)\s*\((?P<body>.*)\)$", re.IGNORECASE | re.DOTALL)


def discriminators(schema: SchemaSnapshot, closure: Closure, engine: sa.Engine | None = None,
                   config: Config | None = None) -> dict[str, Discriminator]:
    """For every polymorphic impacted column (a column that may hold ids of more than one target, or of a
    target and other tables). Read-only queries only (SELECT DISTINCT with counts) when an engine is given.
    Raises MigrationRefused naming the column and the config key to set when a value cannot be mapped."""
    cfg = config or Config()
    targets = {t.qualified for t in closure.targets}
    impacted = {c.qualified for c in closure.columns}
    dests: dict[str, set[str]] = {}
    poly: set[str] = set()
    for ref in closure.references:
        if ref.source in targets or ref.source not in impacted or ref.dest not in impacted:
            continue
        dests.setdefault(ref.source, set()).add(ref.to_table)
        if ref.kind == "polymorphic":
            poly.add(ref.source)
    candidates = {c for c, d in dests.items() if len(d) > 1} | poly
    candidates |= {c for c in cfg.polymorphic if c in impacted and c not in targets}
    out: dict[str, Discriminator] = {}
    for column in sorted(candidates):
        out[column] = _one(schema, column, dests.get(column, set()), engine, cfg)
    return out


def _one(schema: SchemaSnapshot, column: str, dest_tables: set[str], engine: sa.Engine | None,
         cfg: Config) -> Discriminator:
    table_name, _, col_name = column.rpartition(".")
    table = schema.table(table_name)
    if table is None:
        raise MigrationRefused(f"{column}: table {table_name} is not in the schema")
    stated = cfg.polymorphic.get(column)
    by = stated["by"] if stated else _by_column(table, col_name)
    key = f'[tool.impact.polymorphic] "{column}" = {{by = "<column>", values = {{<value> = "<table>"}}}}'
    if by is None or table.column(by) is None:
        raise MigrationRefused(
            f"{column} may hold ids of {', '.join(sorted(dest_tables)) or 'several tables'} but no column of "
            f"{table_name} says whose; set {key}")
    evidence: list[str] = []
    values: dict[str, str] = {}
    others: dict[str, int] = {}
    closed = False
    if stated:
        values.update(stated["values"])
        others.update({v: 0 for v in stated["others"]})
        evidence.append("config [tool.impact.polymorphic]")
        closed = True
    listed = _closed_values(schema, table, by)
    if listed is not None:
        seen, why = listed
        evidence.append(why)
        closed = True
    else:
        seen = []
    counts: dict[str, int] = {}
    if engine is not None:
        counts = _distinct(engine, table_name, by)
        evidence.append(f"distinct values of {table_name}.{by} ({len(counts)})")
    from_triggers, trigger_why, names_are_tables = _trigger_mapping(schema, table_name, by, dest_tables)
    if trigger_why:
        evidence.append(trigger_why)
    all_values = list(dict.fromkeys([*values, *others, *seen, *counts]))
    if names_are_tables and not all_values and not closed:
        # the trigger says the kind is the table's name: that is a mapping even without data
        all_values = [_bare(t) for t in sorted(dest_tables)]
    names = _table_names(schema)
    unmapped: list[str] = []
    for value in all_values:
        if value in values or value in others:
            continue
        named = names.get(value.lower()) or names.get(singular(value.lower()))
        if named is not None:
            if named in dest_tables:
                values[value] = named
            else:
                others[value] = 0
            continue
        if value in from_triggers:
            values[value] = from_triggers[value]
            continue
        by_words = _by_words(value, dest_tables)
        if by_words is not None:
            values[value] = by_words
            evidence.append(f"'{value}' names {by_words} by its words")
            continue
        unmapped.append(value)
    if unmapped:
        raise MigrationRefused(
            f"{column}: cannot tell which table rows with {by} = "
            f"{', '.join(repr(v) for v in unmapped)} point at (targets: {', '.join(sorted(dest_tables))}); "
            f"set {key}, listing values that are not ids of a target under others = [...]")
    for value in others:
        others[value] = counts.get(value, 0)
    if not values:
        raise MigrationRefused(f"{column}: no value of {table_name}.{by} could be tied to a target table; set {key}")
    return Discriminator(column, by, values, others, "; ".join(evidence) or "names", closed)


def _bare(table: str) -> str:
    return table.rsplit(".", 1)[-1]


def _table_names(schema: SchemaSnapshot) -> dict[str, str]:
    out: dict[str, str] = {}
    for t in schema.tables:
        out.setdefault(t.name.lower(), t.name)
        out.setdefault(_bare(t.name).lower(), t.name)
        out.setdefault(singular(_bare(t.name).lower()), t.name)
        camel = "".join(w.capitalize() for w in singular(_bare(t.name).lower()).split("_")).lower()
        out.setdefault(camel, t.name)  # Rails / Django style class names: ContentItem
    return out


def _by_column(table: Table, column: str) -> str | None:
    """`entity_id` + `entity_type` (or `_kind`, `_table`, `_model`, `_class`); else the one text column named
    `type` / `kind` / `*_type` / `*_kind` of the table."""
    names = {c.name.lower(): c for c in table.columns}
    lowered = column.lower()
    stem = lowered[:-3] if lowered.endswith("_id") else lowered
    for suffix in POLYMORPHIC_SUFFIXES:
        found = names.get(stem + suffix)
        if found is not None and type_family(found.type) == "text":
            return found.name
    loose = [c.name for c in table.columns if type_family(c.type) == "text"
             and (c.name.lower() in ("type", "kind") or c.name.lower().endswith(POLYMORPHIC_SUFFIXES))]
    return loose[0] if len(loose) == 1 else None


def _closed_values(schema: SchemaSnapshot, table: Table, by: str) -> tuple[list[str], str] | None:
    """The values a CHECK constraint (on `by` alone) or an enum type allows, when one does."""
    col = table.column(by)
    if col is not None:
        m = _ENUM.match(col.type.strip())
        if m:
            return [v.replace("''", "'") for v in _LITERAL.findall(m.group("body"))], f"enum {col.type}"
    own = {c.name.lower() for c in table.columns}
    for d in schema.dependents:
        if d.kind != "check constraint" or d.table != table.name or d.column != by:
            continue
        used = {w.lower() for w in _WORDS.findall(_LITERAL.sub("", d.definition))} & own
        if used == {by.lower()}:
            found = [v.replace("''", "'") for v in _LITERAL.findall(d.definition)]
            if found:
                return list(dict.fromkeys(found)), f"CHECK constraint {d.name}"
    return None


def _distinct(engine: sa.Engine, table: str, by: str) -> dict[str, int]:
    prep = engine.dialect.identifier_preparer
    qt = ".".join(prep.quote(p) for p in table.split("."))
    sql = f"SELECT {prep.quote(by)}, count(*) FROM {qt} WHERE {prep.quote(by)} IS NOT NULL GROUP BY 1"
    import sqlalchemy as sa

    with engine.connect() as conn:
        return {str(v): int(n) for v, n in conn.execute(sa.text(sql))}


def _functions_fired_on(deps: Iterable[Dependent]) -> dict[str, set[str]]:
    """function name -> tables whose triggers execute it (from the trigger dependents' definitions)."""
    out: dict[str, set[str]] = {}
    for d in deps:
        if d.kind != "trigger":
            continue
        m = re.search(r"EXECUTE (?:FUNCTION|PROCEDURE)\s+([^\s(]+)\s*\(", d.definition, re.IGNORECASE)
        if m:
            fn = m.group(1).replace('"', "")
            out.setdefault(fn.rsplit(".", 1)[-1].lower(), set()).add(d.table)
    return out


def _trigger_mapping(schema: SchemaSnapshot, table: str, by: str, dest_tables: set[str]
                     ) -> tuple[dict[str, str], str, bool]:
    """value -> table from trigger functions that mention the polymorphic table and its discriminator."""
    fired = _functions_fired_on(schema.dependents)
    mapping: dict[str, str] = {}
    why: list[str] = []
    names_are_tables = False
    seen: set[str] = set()
    for d in schema.dependents:
        if d.kind != "function" or d.name in seen:
            continue
        seen.add(d.name)
        body = d.definition
        used = {w.lower() for w in _WORDS.findall(body)}
        if _bare(table).lower() not in used or by.lower() not in used:
            continue
        fname = d.name.split("(", 1)[0].rsplit(".", 1)[-1].lower()
        on = fired.get(fname, set())
        found: dict[str, str] = {}
        for m in _CASE_WHEN.finditer(body):
            found[m.group("value") or m.group("value2") or ""] = m.group("table") or m.group("table2") or ""
        for m in _CASE_ON.finditer(body):
            for w in _WHEN.finditer(m.group("body")):
                found[w.group("value")] = w.group("table")
            e = _ELSE.search(m.group("body"))
            if e:
                found.setdefault(e.group("value"), "")
        else_m = re.search(r"TG_TABLE_NAME[^;]*?\bELSE\s+'(?P<value>[^']*)'", body, re.IGNORECASE | re.DOTALL)
        if else_m:
            found.setdefault(else_m.group("value"), "")
        named = {t for t in found.values() if t}
        resolved = {_resolve_table(schema, t) for t in named}
        rest = sorted(on - resolved)
        for value, t in found.items():
            if t:
                real = _resolve_table(schema, t)
                if real in dest_tables:
                    mapping.setdefault(value, real)
            elif len(rest) == 1 and rest[0] in dest_tables:
                mapping.setdefault(value, rest[0])
        if re.search(rf"\b{re.escape(by)}\s*=\s*TG_TABLE_NAME\b|\bTG_TABLE_NAME\s*=\s*{re.escape(by)}\b",
                     body, re.IGNORECASE):
            names_are_tables = True
        if found or names_are_tables:
            why.append(f"trigger function {d.name}")
    return mapping, "; ".join(why), names_are_tables


def _resolve_table(schema: SchemaSnapshot, name: str) -> str:
    return _table_names(schema).get(name.lower(), name)


def _tokens(text: str) -> set[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
    return {singular(w) for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w}


def _by_words(value: str, dest_tables: set[str]) -> str | None:
    """The one target whose distinguishing words (those not shared by every target) the value uses."""
    if len(dest_tables) < 2:
        return None
    words = {t: _tokens(_bare(t)) for t in dest_tables}
    common = set.intersection(*words.values())
    mine = _tokens(value)
    hits = [t for t, w in words.items() if mine & (w - common)]
    return hits[0] if len(hits) == 1 else None
