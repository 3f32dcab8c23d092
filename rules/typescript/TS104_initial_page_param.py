"""TS104 ts.hazard.initial-page-param: `initialPageParam: 0` for a cursor on the key (message, doc and examples
in TS104_initial_page_param.yml)."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, Match, context_layer
from analyzer.typescript.index import FileIndex


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    pair, func = m.node, m.func
    if fi.text(m.captures["key"]).strip("'\"") != "initialPageParam":
        return
    obj = pair.parent
    if obj is None:
        return
    for other in obj.named_children:
        if other.type != "pair":
            continue
        k = other.child_by_field_name("key")
        if k is None or fi.text(k) != "getNextPageParam":
            continue
        why = d.mentions_key(other, fi) or d.page_param_key(obj, fi)
        if why:
            yield d.finding(fi, m.rule.name, pair, f"{func.label if func else '<module>'}.initialPageParam", why,
                            [(m.captures["value"], "''")], layer=context_layer(func, fi), func=func)
