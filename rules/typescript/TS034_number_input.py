"""TS034 ts.component.number-input: `setContentId(e.target.valueAsNumber)` on key state (message, doc and
examples in TS034_number_input.yml)."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, Edits, Match
from analyzer.typescript.index import FileIndex


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    func, name, value = m.func, fi.text(m.captures["callee"]), m.captures["value"]
    local = fi.resolve(name, func)
    if local is None or local.kind != "state" or not local.key or name != local.setter:
        return
    edits: Edits = []
    stack = [value]
    while stack:
        n = stack.pop()
        if n.type == "property_identifier" and fi.text(n) == "valueAsNumber":
            edits.append((n, "value"))
        stack.extend(n.named_children)
    yield d.finding(fi, m.rule.name, m.node, f"{func.label if func else '<module>'}.{local.name}", local.why, edits,
                    layer="test" if fi.is_test else None, func=func)
