"""TS107 ts.hazard.id-math: arithmetic on a key, `Math.max` over keys (message, doc and examples in
TS107_id_math.yml)."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, Edits, Match, context_layer
from analyzer.typescript.index import FileIndex


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    func = m.func
    label = func.label if func else "<module>"
    if m.node.type == "call_expression":  # Math.max(...ids)
        args = m.captures["args"]
        why = ""
        wrap: Edits = []
        for a in args.named_children:
            target = a.named_children[0] if a.type == "spread_element" and a.named_children else a
            w = d.p.is_key(target, func, fi)
            if w:
                why = why or w
                if a.type != "spread_element" and d.p.cast_arg(a, fi) is None:
                    # only a suggestion: Number() of a UUID is NaN, so this needs a person
                    wrap.append((a, f"Number({fi.text(a)})"))
        if why:
            yield d.finding(fi, m.rule.name, m.node, f"{label}.{fi.text(m.captures['callee'])}", why, wrap,
                            layer=context_layer(func, fi), func=func, safe=False)
        return
    left, right = m.captures["left"], m.captures["right"]
    op = m.node.child_by_field_name("operator")
    if op is not None and fi.text(op) in ("%", "*", "/") and right.type != "number" and left.type != "number":
        # `courseId % COLOURS.length`: never text, whatever the other side (a subtraction of two keys is TS102's)
        why = d.p.is_key(left, func, fi) or d.p.is_key(right, func, fi)
        if why:
            key = left if d.p.is_key(left, func, fi) else right
            yield d.finding(fi, m.rule.name, m.node, f"{label}.{fi.text(key)}", why, layer=context_layer(func, fi),
                            func=func)
        return
    if not (right.type == "number" or left.type == "number") or "Date.now()" in fi.text(m.node):
        return  # `-Date.now() - 1` is a temporary id (TS103)
    operand = left if left.type != "number" else right
    why = d.p.is_key(right if left.type == "number" else left, func, fi)
    if why and operand.type not in ("string", "template_string"):  # `"#" + id` and template pieces are not math
        yield d.finding(fi, m.rule.name, m.node, f"{label}.{fi.text(operand)}", why, layer=context_layer(func, fi),
                        func=func)
