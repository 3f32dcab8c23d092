"""TS105 ts.hazard.storage-number: `Number(localStorage.getItem("lastContentId"))` (message, doc and examples in
TS105_storage_number.yml)."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, Match, context_layer, storage_read
from analyzer.typescript.index import FileIndex


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    node, func = m.node, m.func
    args = m.captures["args"]
    arg = args.named_children[0] if args.named_children else None
    storage = storage_read(arg, fi) if arg is not None else None
    if arg is None or storage is None:
        return
    why = d.p.is_key(arg, func, fi) or d.p.key_casts.get(node.id, "")
    if why or d.keyish_holder(storage) or d.kn.is_key_name(storage):
        yield d.finding(fi, m.rule.name, node, f"{func.label if func else '<module>'}.{storage}",
                        why or f"{storage} stores the key", [(node, fi.text(arg))], layer=context_layer(func, fi),
                        func=func)
