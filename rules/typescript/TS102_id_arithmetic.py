"""TS102 ts.hazard.id-arithmetic: `a - b` on two keys in a comparator (message, doc and examples in
TS102_id_arithmetic.yml)."""

from __future__ import annotations

from collections.abc import Iterator

import tree_sitter as ts

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, Match, context_layer
from analyzer.typescript.index import FileIndex


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    left, right, func = m.captures["left"], m.captures["right"], m.func
    label = func.label if func else "<module>"
    if left.type in ("identifier", "subscript_expression") and right.type in ("identifier", "subscript_expression"):
        why = d.p.is_key(left, func, fi)
        if why and d.p.is_key(right, func, fi) and _in_comparator(m.node):
            fix = f"{fi.text(left)}.localeCompare({fi.text(right)})"
            yield d.finding(fi, m.rule.name, m.node, f"{label}.{fi.text(left)}", why, [(m.node, fix)],
                            layer=context_layer(func, fi), func=func)
    elif left.type == "member_expression" and right.type == "member_expression":
        lp = left.child_by_field_name("property")
        rp = right.child_by_field_name("property")
        if lp is None or rp is None or fi.text(lp) != fi.text(rp):
            return
        why = d.p.is_key(left, func, fi) or d.p.is_key(right, func, fi)
        if not why:
            return
        fix = f"{fi.text(left)}.localeCompare({fi.text(right)})"
        yield d.finding(fi, m.rule.name, m.node, f"{label}.{fi.text(lp)}", why, [(m.node, fix)],
                        layer=context_layer(func, fi), func=func)


def _in_comparator(node: ts.Node) -> bool:
    cur = node.parent
    while cur is not None and cur.type in ("parenthesized_expression", "return_statement", "statement_block"):
        cur = cur.parent
    if cur is None or cur.type not in ("arrow_function", "function_expression"):
        return False
    params = cur.child_by_field_name("parameters")
    return params is not None and len(params.named_children) == 2
