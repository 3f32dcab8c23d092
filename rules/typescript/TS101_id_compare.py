"""TS101 ts.hazard.id-compare: `id > 0` on a key (message, doc and examples in TS101_id_compare.yml)."""

from __future__ import annotations

from collections.abc import Iterator

import tree_sitter as ts

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, Edits, Match, context_layer
from analyzer.typescript.index import FileIndex


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    left, right, op, func = m.captures["left"], m.captures["right"], fi.text(m.captures["op"]), m.func
    lk = d.p.is_key(left, func, fi)
    rk = d.p.is_key(right, func, fi)
    if (lk and (right.type == "number" or rk)) or (rk and left.type == "number"):
        sym = f"{func.label if func else '<module>'}.{fi.text(left if lk else right)}"
        yield d.finding(fi, m.rule.name, m.node, sym, lk or rk, _fix(m.node, left, op, right, fi, bool(lk), bool(rk)),
                        layer=context_layer(func, fi), func=func)


def _fix(node: ts.Node, left: ts.Node, op: str, right: ts.Node, fi: FileIndex, lk: bool, rk: bool) -> Edits:
    """`id > 0` / `id >= 1` -> `!!id` (a present id); `id < 0` -> a temporary id (`temp-...`)."""
    if not lk or rk or right.type != "number":
        return []
    n = fi.text(right)
    x = fi.text(left)
    if left.type not in ("identifier", "member_expression", "non_null_expression"):
        x = f"({x})"
    if (op == ">" and n == "0") or (op == ">=" and n == "1"):
        return [(node, f"!!{x}")]
    if op == "<" and n == "0" and left.type == "identifier":
        return [(node, f"{x}.startsWith('temp-')")]
    return []
