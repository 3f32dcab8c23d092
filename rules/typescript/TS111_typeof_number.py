"""TS111 ts.state.typeof-number: `typeof x === 'number'` on a value that holds the key (message, doc and examples in
TS111_typeof_number.yml)."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, Match, context_layer, path_layer
from analyzer.typescript.index import FileIndex


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    node, func = m.node, m.func
    operand, kind = m.captures["operand"], m.captures["kind"]
    if fi.text(kind)[1:-1] != "number":
        return
    parent = node.parent
    while parent is not None and parent.type == "parenthesized_expression":
        parent = parent.parent
    # in an && / || chain TS101 reads the whole guard (`typeof id === 'number' && id > 0`); not here
    if parent is None or (parent.type == "binary_expression" and fi.text(parent.child_by_field_name("operator")
                                                                      or parent) in ("&&", "||")):
        return
    why = d.p.is_key(operand, func, fi)
    if not why:
        return
    quote = fi.text(kind)[0]
    layer = context_layer(func, fi) if func is not None else path_layer(fi)
    yield d.finding(fi, m.rule.name, node, f"{func.label if func else '<module>'}.{fi.text(operand)}", why,
                    [(kind, f"{quote}string{quote}")], layer=layer, func=func)
