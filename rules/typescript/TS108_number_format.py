"""TS108 ts.hazard.number-format: `id.toFixed()`, `id.padStart()`, `id.toString(16)` on a key (message, doc and
examples in TS108_number_format.yml)."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, Edits, Match, context_layer
from analyzer.typescript.index import FileIndex


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    node, func = m.node, m.func
    method, obj = fi.text(m.captures["method"]), m.captures["object"]
    if method == "toString" and not m.captures["args"].named_children:
        return  # `id.toString()` is text already
    why = d.p.is_key(obj, func, fi)
    if why:
        fix: Edits = []
        if method == "toString":  # a string has no radix: the id is shown as it is
            fix = [(node, fi.text(obj))]
        yield d.finding(fi, m.rule.name, node, f"{func.label if func else '<module>'}.{method}", why, fix,
                        layer=context_layer(func, fi), func=func)
