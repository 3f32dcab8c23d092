"""TS100 ts.hazard.number-cast: `Number(id)`, `parseInt(id)`, `+id`, `ids.map(Number)` on a key (message, doc
and examples in TS100_number_cast.yml)."""

from __future__ import annotations

from collections.abc import Iterator

import tree_sitter as ts

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, Edits, Match, context_layer, storage_read
from analyzer.typescript.index import FileIndex, Func, callee_name


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    node, func = m.node, m.func
    label = func.label if func else "<module>"
    if node.type == "unary_expression":  # +id
        arg = m.captures["arg"]
        why = d.p.is_key(arg, func, fi) or d.p.key_casts.get(node.id, "")
        if why:
            yield d.finding(fi, m.rule.name, node, f"{label}.+{fi.text(arg)}", why, _uncast(node, arg, fi, func),
                            layer=context_layer(func, fi), func=func)
    elif "cast" in m.captures:  # ids.map(Number)
        cast = m.captures["cast"]
        why = d.p.key_casts.get(node.id, "") or d.p.is_key(m.captures["object"], func, fi)
        if why:
            yield d.finding(fi, m.rule.name, node, f"{label}.map({fi.text(cast)})", why, [(cast, "String")],
                            layer=context_layer(func, fi), func=func)
    else:  # Number(id), parseInt(id, 10): a read from storage is TS105's
        args = m.captures["args"]
        first = args.named_children[0] if args.named_children else None
        if first is None:
            return
        why = d.p.is_key(first, func, fi) or d.p.key_casts.get(node.id, "")
        if why and storage_read(first, fi) is None:
            yield d.finding(fi, m.rule.name, node, f"{label}.{fi.text(m.captures['callee'])}({fi.text(first)})", why,
                            _uncast(node, first, fi, func), layer=context_layer(func, fi), func=func)


def _uncast(cast: ts.Node, arg: ts.Node, fi: FileIndex, func: Func | None) -> Edits:
    """`Number(x)` -> `x`; `x ?? ''` when x may be undefined (a route param). No edit when the number
    is still needed (`Math.max(Number(a.id), ...)`, arithmetic): that stays a hazard to review."""
    parent = cast.parent
    if parent is not None and parent.type == "arguments" and parent.parent is not None:
        callee = parent.parent.child_by_field_name("function")
        if callee is not None and fi.text(callee).startswith("Math."):
            return []
    if parent is not None and parent.type == "binary_expression":
        op = parent.child_by_field_name("operator")
        if op is not None and fi.text(op) in ("+", "-", "*", "/", "%", "<", ">", "<=", ">="):
            return []
    text = fi.text(arg)
    if cast.parent is not None and cast.parent.type == "non_null_expression":
        cast = cast.parent  # `+params.id!`: the `!` goes with the cast
    if arg.type == "non_null_expression" or arg.type == "string":
        return [(cast, text)]
    maybe_undefined = arg.type == "member_expression" or arg.type == "subscript_expression"
    if arg.type == "member_expression" and text.endswith((".target.value", ".currentTarget.value")):
        maybe_undefined = False  # an input's (a <select>'s) value is always a string
    if arg.type == "identifier":
        b = fi.resolve(text, func)
        maybe_undefined = b is not None and b.prop_of is not None and b.init is not None and \
            b.init.type == "call_expression" and callee_name(fi, b.init).endswith("useParams")
    standalone = cast.parent is not None and cast.parent.type in (
        "arguments", "variable_declarator", "return_statement", "pair", "array", "jsx_expression",
        "template_substitution", "arrow_function")
    if arg.type in ("binary_expression", "ternary_expression") and (maybe_undefined or not standalone):
        text = f"({text})"
    return [(cast, f"{text} ?? ''" if maybe_undefined else text)]
