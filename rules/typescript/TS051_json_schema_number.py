"""TS051 ts.schema.json-number: `id: { type: 'integer' }` in the JSON schema of a record the key identifies
(message, doc and examples in TS051_json_schema_number.yml)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import tree_sitter as ts

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, Edits, Match
from analyzer.typescript.index import FileIndex, Func
from analyzer.typescript.rules import TsRule


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    value = m.captures["value"]
    if fi.text(m.captures["key"]).strip("'\"") == "type" and fi.text(value)[1:-1] in ("integer", "number"):
        yield from _json_schema(d, m.rule, fi, m.node, value, m.func)


def _json_schema(d: Detector, rule: TsRule, fi: FileIndex, pair: ts.Node, value: ts.Node,
                 func: Func | None) -> Iterator[Finding | None]:
    """`id: { type: 'integer' }` under the `properties` of a JSON schema object of the record
    (`export const ProjectOutSchema = { properties: { id: { type: 'integer' } } }`), also inside
    `anyOf`/`oneOf` (an optional key) and `items` (a list of keys)."""
    found = _json_property(pair, fi)
    if found is None:
        return
    prop, schema = found
    why = d.p.is_key_member(schema, prop) if schema else ""
    if not why and d.kn.is_key_name(prop):
        why = d.kn.origin(prop) or f"{prop} names the key"
    if not why and prop == "id" and schema and d.kn.is_entity_type(schema):
        why = d.kn.entity_origin(schema) or f"{schema} is tied to the affected schema"
    if not why:
        return
    q = fi.text(value)[0]
    edits: Edits = [(value, f"{q}string{q}")]
    if d.to_type != "TEXT":
        fval = _pair_named(pair.parent, "format", fi)
        if fval is not None:
            edits.append((fval, f"{q}uuid{q}"))
        else:
            edits.append(((pair.end_byte, pair.end_byte), f", format: {q}uuid{q}"))
    sym = f"{schema or (func.label if func else '<module>')}.{prop}"
    yield d.finding(fi, rule.name, value, sym, why, edits, layer="test" if fi.is_test else None, func=func)


def _pair_named(obj: ts.Node | None, key: str, fi: FileIndex) -> ts.Node | None:
    """The value of `key: value` in an object literal."""
    for p in obj.named_children if obj is not None else ():
        k = p.child_by_field_name("key") if p.type == "pair" else None
        if k is not None and fi.text(k).strip("'\"") == key:
            return p.child_by_field_name("value")
    return None


def _json_property(pair: ts.Node, fi: FileIndex) -> tuple[str, str] | None:
    """(property, schema name) of the `type` pair of a property schema under `properties`; None otherwise.
    The schema is named by its declarator (`ProjectOutSchema` -> `ProjectOut`), its key under `schemas`,
    or its `title`."""
    cur = pair.parent  # the property's own schema (or a branch of it)
    for _ in range(3):  # climb out of `items: {...}` and `anyOf: [{...}, {...}]`
        up = cur.parent if cur is not None else None
        if up is not None and up.type == "array":
            up = up.parent
        if up is None or up.type != "pair" or cur is None:
            return None
        k = up.child_by_field_name("key")
        if k is not None and fi.text(k).strip("'\"") in ("items", "anyOf", "oneOf", "allOf"):
            cur = up.parent
            continue
        break
    prop_pair = cur.parent if cur is not None else None
    props_obj = prop_pair.parent if prop_pair is not None and prop_pair.type == "pair" else None
    props_pair = props_obj.parent if props_obj is not None else None
    if prop_pair is None or props_pair is None or props_pair.type != "pair":
        return None
    pk = props_pair.child_by_field_name("key")
    k = prop_pair.child_by_field_name("key")
    if pk is None or k is None or fi.text(pk).strip("'\"") != "properties":
        return None
    schema_obj = props_pair.parent
    name = ""
    up2 = schema_obj.parent if schema_obj is not None else None
    while up2 is not None and up2.type in ("as_expression", "satisfies_expression", "parenthesized_expression"):
        up2 = up2.parent
    if up2 is not None and up2.type == "variable_declarator":
        n = up2.child_by_field_name("name")
        name = re.sub(r"Schema$", "", fi.text(n)) if n is not None else ""
    elif up2 is not None and up2.type == "pair":
        n = up2.child_by_field_name("key")
        name = fi.text(n).strip("'\"") if n is not None else ""
    if schema_obj is not None and (not name or not name[:1].isupper()):
        for p in schema_obj.named_children:
            pk2 = p.child_by_field_name("key") if p.type == "pair" else None
            pv = p.child_by_field_name("value") if pk2 is not None else None
            if pk2 is not None and pv is not None and fi.text(pk2).strip("'\"") == "title" and pv.type == "string":
                name = fi.text(pv)[1:-1]
    return fi.text(k).strip("'\""), name
