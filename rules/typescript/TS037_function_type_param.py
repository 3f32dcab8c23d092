"""TS037 ts.function.type-param: a function type whose parameter receives the key typed `number`, wherever the type
is written other than as a member's own type (TS001 reports `onPick: (contentId: number) => void`): a type argument
(`new Set<(contentId: number) => void>()`), a parameter's annotation (`listener: (contentId: number) => void`), a
declared return type (`useToggle(): (contentId: number) => void`). Message, doc and examples in
TS037_function_type_param.yml."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, Edits, Match, context_layer, number_positions, path_layer
from analyzer.typescript.index import FileIndex

#: where another rule already states the function type's parameters: a member's own type (TS001), an element of a
#: tuple a hook returns (TS033 retypes `[value, setValue]` together)
_ELSEWHERE = frozenset({"property_signature", "public_field_definition", "tuple_type"})


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    fn_type, func = m.node, m.func
    holder = fn_type.parent
    while holder is not None and holder.type in ("type_annotation", "parenthesized_type"):
        holder = holder.parent
    if holder is None or holder.type in _ELSEWHERE:
        return
    params = fn_type.child_by_field_name("parameters")
    plist = [p for p in params.named_children if p.type in ("required_parameter", "optional_parameter")] \
        if params is not None else []
    edits: Edits = []
    why, names = "", []
    for i, p in enumerate(plist):
        nums = number_positions(p.child_by_field_name("type"), fi)
        w = d.p.fn_param_key(fn_type, fi, i) if nums else ""
        if w:
            why = why or w
            pat = p.child_by_field_name("pattern")
            names.append(fi.text(pat) if pat is not None else str(i))
            edits.extend((n, "string") for n in nums)
    if not why:
        return
    owner = d.holder_name(fn_type, fi) or (func.label if func is not None else "<module>")
    layer = context_layer(func, fi) if func is not None else path_layer(fi)
    yield d.finding(fi, m.rule.name, fn_type, f"{owner}({', '.join(names)}) =>", why, edits, layer=layer, func=func)
