"""TS040 ts.state.use-state: `useState<number>()` / `useRef<number>()` holding the key (message, doc and examples
in TS040_state_use_state.yml)."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, number_positions
from analyzer.typescript.index import FileIndex
from analyzer.typescript.rules import TsRule


def detect_file(d: Detector, fi: FileIndex, rule: TsRule) -> Iterator[Finding | None]:
    for b in fi.bindings:
        if b.kind in ("state", "ref") and b.key and b.state_type is not None and number_positions(b.state_type, fi):
            sym = f"{b.func.label}.{b.name}" if b.func else b.name
            yield d.finding(fi, rule.name, b.node.parent or b.node, sym, b.why, d.num_edits(b.state_type, fi),
                            layer="test" if fi.is_test else None, func=b.func)
