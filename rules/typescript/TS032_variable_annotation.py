"""TS032 ts.variable.annotation: `const picked: number = item.id` on a key (message, doc and examples in
TS032_variable_annotation.yml)."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, context_layer, number_positions
from analyzer.typescript.index import FileIndex
from analyzer.typescript.rules import TsRule


def detect_file(d: Detector, fi: FileIndex, rule: TsRule) -> Iterator[Finding | None]:
    for b in fi.bindings:
        if b.key and not b.prop_of and b.type_node is not None and b.kind == "var" and \
                number_positions(b.type_node, fi):
            sym = f"{b.func.label}.{b.name}" if b.func else b.name
            yield d.finding(fi, rule.name, b.node.parent or b.node, sym, b.why, d.num_edits(b.type_node, fi),
                            layer=context_layer(b.func, fi), func=b.func)
        elif id(b) in d.p.key_codecs and b.type_node is not None:
            # const lastCodec: Codec<number | null> = {...} handed only to a hook whose value is the key: Codec's T
            targs = b.type_node.child_by_field_name("type_arguments")
            arg = targs.named_children[0] if targs is not None and len(targs.named_children) == 1 else None
            if arg is not None and number_positions(arg, fi):
                sym = f"{b.func.label}.{b.name}" if b.func else b.name
                yield d.finding(fi, rule.name, b.node.parent or b.node, sym, d.p.key_codecs[id(b)],
                                d.num_edits(arg, fi), layer=context_layer(b.func, fi), func=b.func)
