"""The reference graph and the closure: which columns must change type with the targets, and why.

Nodes are columns ("table.column"); edges are `Reference`s, from the referencing column to the
referenced one. Declared FKs are certain; inferred edges come from naming (with the table's
singular/plural), type compatibility and config aliases, each with a confidence and the evidence;
polymorphic `<x>_type` + `<x>_id` pairs are possible references to every compatible table.

A wrong inferred edge is as bad as a missed one, so inference is conservative: only columns without
a declared FK, only to a table whose name the column's stem states, never to another table when a
table named exactly after the stem exists (`user_id` goes to `users` or nowhere).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from analyzer.config import Config
from analyzer.db.errors import UnknownTarget, closest
from analyzer.models import (
    Closure,
    Column,
    Dependent,
    ImpactedColumn,
    Reference,
    SchemaSnapshot,
    Table,
    Target,
)
from analyzer.words import singular

if TYPE_CHECKING:
    import networkx as nx  # imported by build_graph: a closure read back from the cache needs none

CONF_EXACT = 0.9  # `<singular>_id` -> the table of that name
CONF_PATTERN = 0.85  # a configured reference pattern
CONF_PARTIAL = 0.7  # `content_id` -> `content_items` (stem = leading words of the table name)
CONF_AMBIGUOUS = 0.4  # several partial matches, best one kept
CONF_WEAK = 0.45  # a one-word stem naming a table nothing else references
CONF_ALIAS = 0.7  # a configured key alias without a declared FK
CONF_POLYMORPHIC = 0.5
CONF_VIRTUAL = 1.0
#: polymorphic columns get edges to at most this many candidate tables
MAX_POLYMORPHIC_TARGETS = 64
POLYMORPHIC_SUFFIXES = ("_type", "_kind", "_table", "_model", "_class")

_INT = {"SMALLINT", "INTEGER", "INT", "BIGINT", "MEDIUMINT", "TINYINT", "SERIAL", "BIGSERIAL", "SMALLSERIAL",
        "INT2", "INT4", "INT8", "NUMBER", "NUMERIC", "DECIMAL"}
_UUID = {"UUID", "UNIQUEIDENTIFIER", "BINARY(16)", "CHAR(36)", "VARCHAR(36)", "CHAR(32)", "BLOB"}
_TEXT = {"TEXT", "VARCHAR", "CHAR", "STRING", "NVARCHAR", "CHARACTER VARYING", "CITEXT"}


def type_family(type_name: str) -> str:
    t = type_name.upper().strip()
    base = re.sub(r"\(.*\)", "", t).replace(" UNSIGNED", "").strip()
    if t in _UUID or base == "UUID":
        return "uuid"
    if base in _INT or base.startswith("INT") or base.endswith("INT"):
        return "int"
    if base in _TEXT or "CHAR" in base or "TEXT" in base:
        return "text"
    return base.lower() or "unknown"


def compatible(a: str, b: str) -> bool:
    return type_family(a) == type_family(b)


def _bare(table: str) -> str:
    return table.rsplit(".", 1)[-1]


def _table_singular(table: str) -> str:
    """`content_items` -> `content_item`; `content_items_auto` stays (its last word is not plural)."""
    words = _bare(table).lower().split("_")
    return "_".join([*words[:-1], singular(words[-1])])


def _names_for(table: str) -> set[str]:
    bare = _bare(table).lower()
    words = bare.split("_")
    return {bare, _table_singular(table), "_".join(singular(w) for w in words)}


def _single_pk(table: Table) -> Column | None:
    if len(table.primary_key) != 1:
        return None
    return table.column(table.primary_key[0])


def _entity_key(table: Table) -> Column | None:
    """The column other tables name an entity of `table` by: its single-column primary key, or, for a table
    without one, a single-column UNIQUE key called `id` or `<singular>_id` (`node.node_id`, declared
    `unique=True`: a natural key the other tables hold)."""
    pk = _single_pk(table)
    if pk is not None or table.primary_key:
        return pk
    names = {"id", f"{_table_singular(table.name)}_id"}
    unique = [u[0] for u in (*table.unique_constraints, *(i.columns for i in table.indexes if i.unique))
              if len(u) == 1 and u[0].lower() in names]
    return table.column(unique[0]) if len(set(unique)) == 1 else None


def _declared_columns(table: Table) -> set[str]:
    return {c for fk in table.foreign_keys for c in fk.columns}


def _partial_match(stem: str, table: str) -> bool:
    """`content` or `content_auto` names `content_items_auto`: same first word, the rest in order."""
    want = stem.lower().split("_")
    have = [singular(w) for w in _bare(table).lower().split("_")]
    if len(have) <= len(want) or have[0] != singular(want[0]):
        return False
    if len(want) > 1 and have[-1] != singular(want[-1]):
        return False
    it = iter(have)
    return all(any(singular(w) == h for h in it) for w in want)


def _schema_prefixes(snapshot: SchemaSnapshot) -> set[str]:
    """First words most table names share, a namespace rather than a name (`sys_user`, `sys_menu`, `sys_dept`, ...
    of an admin system; `tbl_`): at least 3 tables and 40 % of the schema. Examples: {sys_user, sys_role,
    sys_menu, gen_table} -> {"sys"}; {content_items, content_versions, users} -> none (`content` names an entity
    there, and is 2 tables)."""
    heads: dict[str, int] = {}
    for t in snapshot.tables:
        head, sep, rest = _bare(t.name).lower().partition("_")
        if sep and rest:
            heads[head] = heads.get(head, 0) + 1
    total = len(snapshot.tables)
    return {h for h, n in heads.items() if n >= 3 and n >= 0.4 * total}


class _Index:
    def __init__(self, snapshot: SchemaSnapshot) -> None:
        self.snapshot = snapshot
        self.by_name: dict[str, list[Table]] = {}
        self.incoming: dict[str, int] = {}
        prefixes = _schema_prefixes(snapshot)
        for t in snapshot.tables:
            names = _names_for(t.name)
            head, _, rest = _bare(t.name).lower().partition("_")
            if head in prefixes and rest:  # `sys_user` is the `user` a `user_id` names
                names |= _names_for(rest)
            for name in names:
                self.by_name.setdefault(name, []).append(t)
            for fk in t.foreign_keys:
                self.incoming[fk.ref_table] = self.incoming.get(fk.ref_table, 0) + 1
        #: tables whose key is named after the table (`node.node_id`): a column ending in that name holds one
        self.natural = [t for t in snapshot.tables if (k := _entity_key(t)) is not None
                        and k.name.lower() == f"{_table_singular(t.name)}_id"]
        self.multiword = [t for t in snapshot.tables if "_" in _bare(t.name) and _entity_key(t) is not None]


def infer_references(snapshot: SchemaSnapshot, config: Config | None = None) -> list[Reference]:
    """Inferred, alias, polymorphic and virtual references (declared ones come from the FKs)."""
    cfg = config or Config()
    idx = _Index(snapshot)
    rows = {t.name: t.rows for t in snapshot.tables}
    out: list[Reference] = []
    aliases = {a for a in cfg.aliases if "_" in a or a.islower()}
    stated = {vr.source for vr in cfg.virtual_references}
    for table in snapshot.tables:
        declared = _declared_columns(table)
        names = {c.name.lower(): c for c in table.columns}
        for col in table.columns:
            if col.name in declared:
                continue
            if table.primary_key == (col.name,) and _own_key(table, col):
                continue  # a table's own key refers to nothing
            if col.name in aliases and f"{table.name}.{col.name}" not in stated:
                # the team says this name carries the key: resolved against the targets in compute_closure
                # (unless a virtual reference already says exactly where it points)
                out.append(Reference(table.name, col.name, "*", "*", "inferred", CONF_ALIAS,
                                     f"`{col.name}` is a configured key alias and has no declared FK",
                                     rows.get(table.name)))
            lowered = col.name.lower()
            discriminator = _discriminator(lowered, names)
            if discriminator is not None:
                if f"{table.name}.{col.name}" not in stated:  # the team said where it points: no guessing
                    out.extend(_polymorphic(idx, table, col, discriminator))
                continue
            ref = _infer_one(idx, table, col, cfg)
            if ref is not None:
                out.append(Reference(table.name, col.name, ref[0], ref[1], "inferred", ref[2], ref[3],
                                     rows.get(table.name)))
    known = {f"{t.name}.{c.name}" for t in snapshot.tables for c in t.columns}
    for vr in cfg.virtual_references:
        if vr.source not in known or vr.dest not in known:
            continue  # a stale entry in the config must not invent columns
        st, _, sc = vr.source.rpartition(".")
        dt, _, dc = vr.dest.rpartition(".")
        out.append(Reference(st, sc, dt, dc, "virtual", CONF_VIRTUAL, "virtual reference from config",
                             rows.get(st)))
    return out


def _infer_one(idx: _Index, table: Table, col: Column, cfg: Config) -> tuple[str, str, float, str] | None:
    lowered = col.name.lower()
    candidates: list[tuple[Table, float, str]] = []
    stem = lowered[:-3] if lowered.endswith("_id") else None
    for pattern in cfg.reference_patterns:
        rx = "^" + re.escape(pattern.lower()).replace(r"\{singular\}", "(?P<s>[a-z0-9_]+)").replace(
            r"\{table\}", "(?P<t>[a-z0-9_]+)") + "$"
        m = re.match(rx, lowered)
        if m:
            name = (m.groupdict().get("s") or m.groupdict().get("t") or "").lower()
            for t in idx.by_name.get(name, []):
                candidates.append((t, CONF_PATTERN, f"`{col.name}` matches the configured pattern {pattern!r}"))
    if stem:
        exact = list(idx.by_name.get(stem, []))
        for t in exact:
            candidates.append((t, CONF_EXACT, f"`{col.name}` is `<{_table_singular(t.name)}>_id`"))
        if not exact and stem not in ("", "parent", "external", "remote"):
            partial = [t for t in idx.multiword if _partial_match(stem, t.name)]
            if partial:
                best = max(partial, key=lambda t: (idx.incoming.get(t.name, 0), -len(_bare(t.name))))
                ties = [t for t in partial if idx.incoming.get(t.name, 0) == idx.incoming.get(best.name, 0)
                        and len(_bare(t.name)) == len(_bare(best.name))]
                incoming = idx.incoming.get(best.name, 0)
                # a one-word stem (`account_id` vs `account_settings`) needs the table to be an entity
                # others point at; `content_auto` matching first and last words is evidence enough
                if len(ties) > 1:
                    conf = CONF_AMBIGUOUS
                elif "_" in stem or incoming > 0:
                    conf = CONF_PARTIAL
                else:
                    conf = CONF_WEAK
                others = ", ".join(sorted(t.name for t in partial if t is not best))
                why = f"`{col.name}`: stem `{stem}` names `{best.name}`"
                if incoming:
                    why += f" (referenced by {incoming} declared FK{'s' if incoming > 1 else ''})"
                if others:
                    why += f"; best of {others}"
                candidates.append((best, conf, why))
    if stem and not candidates:  # `src_node_id`, `dst_node_id`: a role, then the name of a natural key
        for t in idx.natural:
            key = _entity_key(t)
            if key is not None and lowered.endswith("_" + key.name.lower()) and t.name != table.name:
                candidates.append((t, CONF_PARTIAL, f"`{col.name}` ends with {t.name}'s key `{key.name}`"))
    for t, conf, why in sorted(candidates, key=lambda c: -c[1]):
        pk = _entity_key(t)
        if pk is None or (t.name == table.name and pk.name == col.name):
            continue
        if not compatible(col.type, pk.type):
            continue
        return (t.name, pk.name, conf, f"{why}, {col.type} matches {t.name}.{pk.name} {pk.type}, no FK declared")
    return None


def _own_key(table: Table, col: Column) -> bool:
    """Is the table's single-column primary key `col` its own: `id`, or named after the table (`users.user_id`,
    `sys_menu.menu_id`: a prefix aside)? A 1:1 table's key holding another table's ids (`token_store.run_id`,
    `user_profile.user_id`) is not. (Not "auto-increment": a model's single integer key reads as one whether or
    not it is a 1:1 table's.)"""
    lowered = col.name.lower()
    singular = _table_singular(table.name).lower()
    if lowered in ("id", f"{singular}_id"):
        return True
    return lowered.endswith("_id") and len(lowered) > 3 and singular.endswith("_" + lowered[:-3])


def _discriminator(lowered: str, names: dict[str, Column]) -> Column | None:
    """`entity_id` + `entity_type` (or `_kind`, `_table`, `_model`, `_class`): a polymorphic pair."""
    if not lowered.endswith("_id") or len(lowered) <= 3:
        return None
    for suffix in POLYMORPHIC_SUFFIXES:
        found = names.get(lowered[:-3] + suffix)
        if found is not None and type_family(found.type) == "text":
            return found
    return None


def _polymorphic(idx: _Index, table: Table, col: Column, type_col: Column) -> list[Reference]:
    """Possible references to every entity table; to the tables the stem names when it names some."""
    stem = col.name.lower()[:-3]
    named = list(idx.by_name.get(stem, [])) + [t for t in idx.multiword if _partial_match(stem, t.name)]
    pool = named or list(idx.snapshot.tables)
    out = []
    for t in pool:
        pk = _single_pk(t)
        if t.name == table.name or pk is None or not compatible(col.type, pk.type):
            continue
        if not pk.identity and pk.name.lower() != "id" or pk.name in _declared_columns(t):
            continue  # a natural / shared key (composite, join table) is not an entity id
        hint = f", and `{stem}` names {t.name}" if named else ""
        why = (f"polymorphic pair `{type_col.name}` + `{col.name}`: {col.type} may hold {t.name}.{pk.name}"
               f"{hint}")
        out.append(Reference(table.name, col.name, t.name, pk.name, "polymorphic", CONF_POLYMORPHIC, why,
                             table.rows))
        if len(out) >= MAX_POLYMORPHIC_TARGETS:
            break
    return out


def declared_references(snapshot: SchemaSnapshot) -> list[Reference]:
    out = []
    for t in snapshot.tables:
        for fk in t.foreign_keys:
            for src, dst in zip(fk.columns, fk.ref_columns, strict=False):
                name = f" {fk.name}" if fk.name else ""
                actions = "".join(
                    f" ON {what} {how}" for what, how in (("DELETE", fk.on_delete), ("UPDATE", fk.on_update)) if how
                )
                out.append(Reference(t.name, src, fk.ref_table, dst, "declared", 1.0,
                                     f"FOREIGN KEY{name} ({', '.join(fk.columns)}) REFERENCES "
                                     f"{fk.ref_table} ({', '.join(fk.ref_columns)}){actions}", t.rows))
    return out


_STRENGTH = {"declared": 0, "virtual": 1, "inferred": 2, "polymorphic": 3}


def strongest(refs: Iterable[Reference]) -> list[Reference]:
    """One reference per (source, dest): declared beats virtual beats inferred beats polymorphic."""
    best: dict[tuple[str, str], Reference] = {}
    for r in refs:
        key = (r.source, r.dest)
        old = best.get(key)
        if old is None or (_STRENGTH[r.kind], -r.confidence) < (_STRENGTH[old.kind], -old.confidence):
            best[key] = r
    return sorted(best.values(), key=lambda r: (r.to_table, r.to_column, r.from_table, r.from_column, r.kind))


def all_references(snapshot: SchemaSnapshot, config: Config | None = None) -> list[Reference]:
    return strongest(declared_references(snapshot) + [r for r in infer_references(snapshot, config)
                                                       if r.to_table != "*"])


def build_graph(snapshot: SchemaSnapshot, config: Config | None = None) -> nx.MultiDiGraph:
    import networkx as nx

    g: nx.MultiDiGraph = nx.MultiDiGraph()
    for t in snapshot.tables:
        for c in t.columns:
            g.add_node(f"{t.name}.{c.name}", table=t.name, column=c.name, type=c.type, rows=t.rows,
                       primary_key=c.name in t.primary_key)
    for ref in all_references(snapshot, config):
        g.add_edge(ref.source, ref.dest, key=ref.kind, ref=ref, kind=ref.kind, confidence=ref.confidence)
    return g


def _resolve(snapshot: SchemaSnapshot, target: Target) -> Target:
    table = snapshot.table(target.table)
    if table is None and "." in target.table:  # public.content_items when public is the default
        table = snapshot.table(_bare(target.table))
    if table is None:
        near = closest(target.table, [t.name for t in snapshot.tables])
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        if "." in target.table and not near and snapshot.dialect != "models":
            hint = f"; is schema {target.table.rsplit('.', 1)[0]!r} in --schema?"
        if snapshot.notes:  # models whose table name is computed by code the reader does not follow
            hint += f"; {snapshot.notes[0]}" + (f" (and {len(snapshot.notes) - 1} more)" if len(snapshot.notes) > 1
                                                else "")
        raise UnknownTarget(f"unknown target table {target.table!r} in {snapshot.source or snapshot.dialect}{hint}")
    col = table.column(target.column)
    if col is None:
        near = closest(target.column, [c.name for c in table.columns])
        hint = f"; did you mean {', '.join(f'{table.name}.{n}' for n in near)}?" if near else ""
        raise UnknownTarget(f"unknown target column {target.table}.{target.column}{hint}")
    return Target(table.name, col.name, from_type=col.type, to_type=target.to_type)


def compute_closure(snapshot: SchemaSnapshot, targets: Sequence[Target], config: Config | None = None
                    ) -> Closure:
    """Targets plus every column that references an impacted column, transitively (incoming edges only)."""
    cfg = config or Config()
    resolved = tuple(_resolve(snapshot, t) for t in targets)
    refs = declared_references(snapshot)
    rows = {t.name: t.rows for t in snapshot.tables}
    for r in infer_references(snapshot, cfg):
        if r.to_table == "*":  # an alias: it references the target group itself
            for t in resolved:
                col = snapshot.table(r.from_table)
                ctype = col.column(r.from_column) if col else None
                if ctype is None or not compatible(ctype.type, t.from_type):
                    continue
                refs.append(Reference(r.from_table, r.from_column, t.table, t.column, "inferred", r.confidence,
                                      f"{r.evidence}; alias of {t.qualified}", rows.get(r.from_table)))
        else:
            refs.append(r)
    refs = strongest(refs)
    incoming: dict[str, list[Reference]] = {}
    for r in refs:
        incoming.setdefault(r.dest, []).append(r)

    types = {f"{t.name}.{c.name}": c.type for t in snapshot.tables for c in t.columns}
    impacted: dict[str, ImpactedColumn] = {}
    queue: deque[tuple[str, str]] = deque()
    for t in resolved:
        if t.qualified not in impacted:
            impacted[t.qualified] = ImpactedColumn(t.table, t.column, t.from_type, "target", 1.0, t.qualified)
            queue.append((t.qualified, t.qualified))
    threshold = cfg.inference_threshold
    while queue:
        node, origin = queue.popleft()
        parent = impacted[node]
        for r in sorted(incoming.get(node, ()), key=lambda r: (-r.confidence, r.source)):
            if r.source in impacted:
                continue
            if r.kind == "inferred" and r.confidence < threshold:
                continue
            conf = min(parent.confidence, r.confidence)
            reason = _reason(r)
            impacted[r.source] = ImpactedColumn(r.from_table, r.from_column, types.get(r.source, ""), reason,
                                                conf, origin)
            if r.kind != "polymorphic":
                queue.append((r.source, origin))
    references = tuple(sorted((r for r in refs if r.dest in impacted),
                              key=lambda r: (r.to_table, r.to_column, r.from_table, r.from_column, r.kind)))
    columns = tuple(sorted(impacted.values(), key=lambda c: (c.reason != "target", c.table, c.column)))
    return Closure(targets=resolved, columns=columns, references=references,
                   schema_keys=tuple((t.name, tuple(t.primary_key)) for t in snapshot.tables))


def _reason(r: Reference) -> str:
    if r.kind == "declared":
        return f"declared FK to {r.dest}"
    if r.kind == "virtual":
        return f"virtual reference to {r.dest} (config)"
    if r.kind == "polymorphic":
        return f"polymorphic: may reference {r.dest} ({r.evidence})"
    return f"inferred: {r.evidence}"


def dependents(snapshot: SchemaSnapshot, closure: Closure) -> tuple[Dependent, ...]:
    """The snapshot's dependents that touch an impacted column (or, for partitions, an impacted table)."""
    tables = closure.tables
    keep = []
    for d in snapshot.dependents:
        if d.column is not None and closure.is_impacted(d.table, d.column):
            keep.append(d)
        elif d.column is None and d.table in tables and d.kind in ("partition", "inheritance child"):
            keep.append(d)
    return tuple(keep)


def referenced_tables(refs: Iterable[Reference]) -> set[str]:
    return {r.to_table for r in refs}
