"""TS004 ts.type.assertion: `contentId as number` on a key (message, doc and examples in TS004_type_assertion.yml)."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, Match, context_layer, number_positions
from analyzer.typescript.index import FileIndex


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    """`contentId as number` on a key; `initialPageParam: undefined as number | undefined` for a cursor on
    the key."""
    node, func = m.node, m.func
    if len(node.named_children) != 2:
        return  # `x as const` has one named child
    inner, ty = node.named_children
    if not number_positions(ty, fi):
        return
    why = ""
    sym = fi.text(inner)
    parent = node.parent
    if inner.type in ("undefined", "null") or fi.text(inner) in ("undefined", "null"):
        key = parent.child_by_field_name("key") if parent is not None and parent.type == "pair" else None
        obj = parent.parent if parent is not None else None
        if key is None or obj is None or fi.text(key) != "initialPageParam":
            return
        for other in obj.named_children:
            k = other.child_by_field_name("key") if other.type == "pair" else None
            if k is not None and fi.text(k) == "getNextPageParam":
                why = d.mentions_key(other, fi) or d.page_param_key(obj, fi)
        sym = "initialPageParam"
    elif inner.type in ("identifier", "member_expression", "subscript_expression", "non_null_expression"):
        why = d.p.is_key(inner, func, fi)
    if not why:
        return
    yield d.finding(fi, m.rule.name, node, f"{func.label if func else '<module>'}.{sym}", why, d.num_edits(ty, fi),
                    layer=context_layer(func, fi), func=func)
