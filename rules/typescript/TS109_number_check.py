"""TS109 ts.hazard.number-check: a numeric check of the key, `Number.isInteger(id)` or a project's own type guard
declared `(value: unknown): value is number[]` (message, doc and examples in TS109_number_check.yml)."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, Match, number_positions
from analyzer.typescript.index import FileIndex

_NUMERIC = frozenset({"Number.isFinite", "Number.isNaN", "Number.isInteger", "Number.isSafeInteger", "isNaN",
                      "isFinite"})


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    callee = fi.text(m.captures["callee"])
    if callee in _NUMERIC or (m.captures["callee"].type == "identifier" and _number_guard(d, callee)):
        yield d.generic(fi, m)


def _number_guard(d: Detector, name: str) -> bool:
    """`isNumberArray` declared `(value: unknown): value is number[]`: a guard that its first parameter is numbers."""
    for g in d.p.funcs.get(name, ()):
        rt = g.return_type
        pred = rt.named_children[0] if rt is not None and rt.type == "type_predicate_annotation" and \
            rt.named_children else None
        if pred is None or len(pred.named_children) != 2 or not g.params or len(g.params[0]) != 1:
            continue
        if g.file.text(pred.named_children[0]) == g.params[0][0].name and \
                number_positions(pred.named_children[1], g.file):
            return True
    return False
