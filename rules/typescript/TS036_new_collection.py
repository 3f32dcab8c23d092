"""TS036 ts.variable.new-collection: `new Set<number>()` whose value ends where keys are held (a key member, a
key variable); message, doc and examples in TS036_new_collection.yml. The flow marks such collections
(`Project.key_news`)."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, Match, context_layer, path_layer
from analyzer.typescript.index import FileIndex


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    node, func = m.node, m.func
    why = d.p.key_news.get(node.id)
    targs = m.captures["targs"]
    if why is None or not targs.named_children:
        return
    ctor = node.child_by_field_name("constructor")
    parent = node.parent
    pkey = parent.child_by_field_name("key") if parent is not None and parent.type == "pair" else None
    holder = fi.text(pkey) if pkey is not None else d.holder_name(node, fi)
    sym = f"{func.label if func else '<module>'}.{holder or (fi.text(ctor) if ctor is not None else 'new')}"
    layer = context_layer(func, fi) if func is not None else path_layer(fi)
    yield d.finding(fi, m.rule.name, node, sym, why, d.num_edits(targs.named_children[0], fi), layer=layer, func=func)
