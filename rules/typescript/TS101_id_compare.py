"""TS101 ts.hazard.id-compare: `id > 0` on a key (message, doc and examples in TS101_id_compare.yml)."""

from __future__ import annotations

from collections.abc import Iterator

import tree_sitter as ts

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, Edits, Match, context_layer
from analyzer.typescript.index import FileIndex

#: predicates that are true only for a number: next to `id > 0` in one guard they make the guard always false for a
#: string id, so `!!id` alone would compile and still never pass
_NUMERIC_PREDICATES = ("Number.isInteger", "Number.isSafeInteger", "Number.isFinite", "isFinite")
_NAN_PREDICATES = ("Number.isNaN", "isNaN")


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    left, right, op, func = m.captures["left"], m.captures["right"], fi.text(m.captures["op"]), m.func
    lk = d.p.is_key(left, func, fi)
    rk = d.p.is_key(right, func, fi)
    if (lk and (right.type == "number" or rk)) or (rk and left.type == "number"):
        sym = f"{func.label if func else '<module>'}.{fi.text(left if lk else right)}"
        yield d.finding(fi, m.rule.name, m.node, sym, lk or rk, _fix(m.node, left, op, right, fi, bool(lk), bool(rk)),
                        layer=context_layer(func, fi), func=func)


def _fix(node: ts.Node, left: ts.Node, op: str, right: ts.Node, fi: FileIndex, lk: bool, rk: bool) -> Edits:
    """`id > 0` / `id >= 1` -> `!!id` (a present id); `id < 0` -> a temporary id (`temp-...`). Inside a guard that also
    tests the id as a number (`Number.isInteger(id) && id > 0`) both go: `typeof id === 'string' && id !== ''`; a
    numeric test the rewrite cannot read (negated, under `||`) withholds the edit, left for review."""
    if not lk or rk or right.type != "number":
        return []
    n = fi.text(right)
    x = fi.text(left)
    if left.type not in ("identifier", "member_expression", "non_null_expression"):
        x = f"({x})"
    if (op == ">" and n == "0") or (op == ">=" and n == "1"):
        guard = _numeric_guard(node, fi.text(left), fi)
        if guard is None:
            return []
        if guard:
            return [*((g, f"typeof {x} === 'string'") for g in guard), (node, f"{x} !== ''")]
        return [(node, f"!!{x}")]
    if op == "<" and n == "0" and left.type == "identifier":
        return [(node, f"{x}.startsWith('temp-')")]
    return []


def _numeric_guard(node: ts.Node, operand: str, fi: FileIndex) -> list[ts.Node] | None:
    """The tests of `operand` as a number in the `&&` chain around `node` (`Number.isInteger(id)`, `!isNaN(id)`,
    `typeof id === 'number'`), to become `typeof id === 'string'`; None when such a test sits where that rewrite
    would change the meaning (`!Number.isInteger(id)`, `isNaN(id)`, an `||`)."""
    top = node
    while top.parent is not None and (top.parent.type == "parenthesized_expression" or (
            top.parent.type == "binary_expression" and _op(top.parent, fi) in ("&&", "||"))):
        top = top.parent
    found: list[ts.Node] = []
    stack = [top]
    while stack:
        n = stack.pop()
        if n.type == "call_expression":
            callee = n.child_by_field_name("function")
            args = n.child_by_field_name("arguments")
            name = fi.text(callee) if callee is not None else ""
            first = args.named_children[0] if args is not None and args.named_children else None
            if first is not None and fi.text(first) == operand and name in _NUMERIC_PREDICATES + _NAN_PREDICATES:
                parent = n.parent
                negated = parent is not None and parent.type == "unary_expression" and fi.text(parent).startswith("!")
                if (name in _NUMERIC_PREDICATES) == negated or _under_or(n, top, fi):
                    return None
                found.append(parent if negated and parent is not None else n)
            continue
        if n.type == "binary_expression" and _op(n, fi) in ("===", "==") and \
                fi.text(n).replace(" ", "") in (f"typeof{operand}==='number'", f'typeof{operand}==="number"',
                                                f"typeof{operand}=='number'", f'typeof{operand}=="number"'):
            if _under_or(n, top, fi):
                return None
            found.append(n)
            continue
        stack.extend(n.named_children)
    return found


def _op(n: ts.Node, fi: FileIndex) -> str:
    op = n.child_by_field_name("operator")
    return fi.text(op) if op is not None else ""


def _under_or(n: ts.Node, top: ts.Node, fi: FileIndex) -> bool:
    while n is not top and n.parent is not None:
        n = n.parent
        if n.type == "binary_expression" and _op(n, fi) == "||":
            return True
    return False
