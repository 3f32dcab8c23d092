"""TS110 ts.hazard.id-regex: a regex that matches a key route's id as digits (message, doc and examples in
TS110_id_regex.yml)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import tree_sitter as ts

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, Match, context_layer
from analyzer.typescript.index import FileIndex

#: a pattern that accepts digits only: `^\d+$`, `^[0-9]+$`, `^-?\d{1,10}$`
_DIGITS_ONLY = re.compile(r"^\^?(?:-\?)?(?:\\d|\[0-9\])(?:\+|\*|\{\d*,?\d*\})\$?$")


def _tested(regex: ts.Node, fi: FileIndex) -> ts.Node | None:
    """What a regex literal is tried on: x of `/re/.test(x)` / `/re/.exec(x)`, of `x.match(/re/)`; else None."""
    parent = regex.parent
    if parent is not None and parent.type == "member_expression" and parent.child_by_field_name("object") == regex:
        prop = parent.child_by_field_name("property")
        call = parent.parent
        if prop is not None and fi.text(prop) in ("test", "exec") and call is not None and \
                call.type == "call_expression":
            args = call.child_by_field_name("arguments")
            return args.named_children[0] if args is not None and len(args.named_children) == 1 else None
    if parent is not None and parent.type == "arguments" and parent.parent is not None and \
            parent.parent.type == "call_expression":
        fn = parent.parent.child_by_field_name("function")
        prop = fn.child_by_field_name("property") if fn is not None and fn.type == "member_expression" else None
        if prop is not None and fi.text(prop) in ("match", "search"):
            return fn.child_by_field_name("object") if fn is not None else None
    return None


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    node, func = m.node, m.func
    text = fi.text(m.captures["pattern"]).replace("\\/", "/")
    parsed = d.p.key_regexes.get(node.id, "")  # z.string().regex(/^#?\d+$/).transform(Number) of a key input
    if parsed and re.search(r"\\d|\[0-9\]", text):
        yield d.finding(fi, m.rule.name, node, f"{func.label if func else '<module>'}.{fi.text(node)[:40]}", parsed,
                        layer=context_layer(func, fi), func=func)
        return
    tested = _tested(node, fi) if _DIGITS_ONLY.match(text) else None
    why = d.p.is_key(tested, func, fi) if tested is not None else ""
    if why and tested is not None:  # if (!/^\d+$/.test(raw)) return undefined; with raw the key as text
        yield d.finding(fi, m.rule.name, node, f"{func.label if func else '<module>'}.{fi.text(node)[:40]}",
                        f"tests {fi.text(tested)}: {why}", layer=context_layer(func, fi), func=func)
        return
    for route in d.kn.routes:
        segs = [x for x in route.template.split("/") if x]
        for i in range(1, len(segs)):
            seg = segs[i]
            if seg.startswith("{") and seg.strip("{}").split(":")[0] in route.params and \
                    not segs[i - 1].startswith("{"):
                if re.search(re.escape(segs[i - 1]) + r"/\(?\\d[+*]", text):
                    sym = f"{func.label if func else '<module>'}.{fi.text(node)[:40]}"
                    yield d.finding(fi, m.rule.name, node, sym, f"{route.method} {route.template} ({route.origin})",
                                    layer=context_layer(func, fi), func=func)
                    return
