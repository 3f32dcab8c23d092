"""TS041 ts.state.id-map: a cache keyed by the key typed `Record<number, X>` / `Map<number, X>` (message, doc and
examples in TS041_state_id_map.yml)."""

from __future__ import annotations

from collections.abc import Iterator

import tree_sitter as ts

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, Match, context_layer, path_layer
from analyzer.typescript.index import Binding, FileIndex, Func


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    node, func, targs = m.node, m.func, m.captures["targs"]
    if len(targs.named_children) < 2:
        return
    gname = fi.text(m.captures["name"])
    key_t, val_t = targs.named_children[0], targs.named_children[1]
    if key_t.type == "union_type":  # Map<number | null, X>: a slot for "no id yet" beside the ids
        nums = [c for c in key_t.named_children if fi.text(c) not in ("null", "undefined")]
        key_t = nums[0] if len(nums) == 1 else key_t
    if not (key_t.type == "predefined_type" and fi.text(key_t) == "number"):
        return
    vt = d.p.norm(val_t, fi)
    why = ""
    if isinstance(vt, str):
        base = vt.removesuffix("[]")
        if base in d.p.affected:
            why = f"keyed by {base}.id ({d.p.affected[base]})" if d.p.affected[base] else f"keyed by {base}.id"
    if not why and isinstance(vt, str) and func is not None and d.p.key_tparams:  # Record<number, T> in byId<T ...>
        tw = d.p.tparam_member(vt.removesuffix("[]"), "id", func)
        why = f"keyed by {vt.removesuffix('[]')}.id ({tw})" if tw else ""
    if not why and func is not None and func.return_type is not None and \
            func.return_type.start_byte <= node.start_byte < func.return_type.end_byte:
        # (rows: T[]): Map<number, T> => new Map(rows.map((r) => [r.contentId, r])): the declared return type
        why = next((w for w in (d.p.map_key(r, func, fi) for r in func.returns) if w), "")
    holder = d.holder_name(node, fi)
    if not why and holder and d.keyish_holder(holder):
        why = f"{holder} is keyed by the key"
    if not why and holder:
        hb = fi.resolve(holder, func) if not holder.startswith("[") else _state_of(node, fi, func)
        if hb is not None and hb.id_map:
            why = f"{holder} is indexed by the key ({hb.id_map})"
        elif hb is not None and hb.key and hb.kind != "param":
            why = hb.why
    if not why and holder:
        ent = d.kn.plural_entity_suffix(holder)
        if ent:  # const openContents: Record<number, boolean>
            why = f"{holder} is keyed by {ent} ids"
    if not why and func is not None and holder.startswith("[") and _in_use_state(node):
        ent = d.kn.plural_entity_suffix(func.label.rpartition(".")[2])
        if ent:  # useOpenContents() { useState<Record<number, boolean>>() }
            why = f"{func.label} keeps {ent} state keyed by id"
    if not why:
        return
    sym = f"{func.label}.{holder}" if func is not None and holder else (holder or gname)
    layer = context_layer(func, fi) if func is not None else path_layer(fi)
    if layer in ("other", "ts-component") and func is None:
        layer = "ts-state"
    yield d.finding(fi, m.rule.name, node, sym, why, [(key_t, "string")], layer=layer, func=func)


def _state_of(node: ts.Node, fi: FileIndex, func: Func | None) -> Binding | None:
    """The state binding of `const [open, setOpen] = useState<Map<number, X>>()` from its type argument."""
    cur = node.parent
    while cur is not None and cur.type != "variable_declarator":
        cur = cur.parent
    pat = cur.child_by_field_name("name") if cur is not None else None
    first = pat.named_children[0] if pat is not None and pat.type == "array_pattern" and pat.named_children \
        else None
    return fi.resolve(fi.text(first), func) if first is not None and first.type == "identifier" else None


def _in_use_state(node: ts.Node) -> bool:
    cur = node.parent
    while cur is not None and cur.type in ("type_arguments", "union_type", "parenthesized_type"):
        cur = cur.parent
    if cur is None or cur.type != "call_expression":
        return False
    fn = cur.child_by_field_name("function")
    return fn is not None and fn.text is not None and fn.text.split(b".")[-1] == b"useState"
