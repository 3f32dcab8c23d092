"""TS103 ts.hazard.temp-id: `id: -Date.now()` as a temporary id (message, doc and examples in TS103_temp_id.yml)."""

from __future__ import annotations

from collections.abc import Iterator

import tree_sitter as ts

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, Match, context_layer
from analyzer.typescript.index import FileIndex


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    node, func = m.node, m.func
    if fi.text(m.captures["arg"]).replace(" ", "") != "Date.now()":
        return
    holder = _id_holder(d, node, fi)
    if not holder:
        return
    whole = node
    while whole.parent is not None and whole.parent.type in ("binary_expression", "parenthesized_expression"):
        whole = whole.parent
    fix = "`temp${" + fi.text(whole) + "}`"  # "temp-1732540000000": a string, still unique
    layer = context_layer(func, fi)
    yield d.finding(fi, m.rule.name, whole, f"{func.label if func else '<module>'}.{holder}",
                    f"{holder} gets a negative timestamp as a temporary id", [(whole, fix)],
                    layer="ts-state" if layer == "other" else layer,  # optimistic rows
                    func=func)


def _id_holder(d: Detector, node: ts.Node, fi: FileIndex) -> str:
    """What the temporary id is given to, when that holds an id: `id:`, `contentId =`, a function returning a key."""
    parent = node.parent
    while parent is not None and parent.type in ("binary_expression", "parenthesized_expression"):
        parent = parent.parent
    if parent is None:
        return ""
    if parent.type == "return_statement" or parent.type == "arrow_function":
        cur: ts.Node | None = parent
        while cur is not None and cur.id not in {f.node.id for f in fi.funcs}:
            cur = cur.parent
        f = fi.func_of(cur) if cur is not None else None
        return f"{f.label}()" if f is not None and f.ret_key else ""
    name_node = None
    if parent.type == "pair":
        name_node = parent.child_by_field_name("key")
    elif parent.type in ("variable_declarator", "public_field_definition"):
        name_node = parent.child_by_field_name("name")
    elif parent.type == "assignment_expression":
        name_node = parent.child_by_field_name("left")
    if name_node is None:
        return ""
    name = fi.text(name_node).rpartition(".")[2]
    if name == "id" or d.kn.is_key_name(name) or name.endswith("Id") or name.endswith("_id"):
        return name
    return ""
