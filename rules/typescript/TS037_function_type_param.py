"""TS037 ts.function.type-param: a function type whose parameter receives the key typed `number`, wherever the type
is written other than as a member's own type (TS001 reports `onPick: (contentId: number) => void`): a type argument
(`new Set<(contentId: number) => void>()`), a parameter's annotation (`listener: (contentId: number) => void`), a
declared return type (`useToggle(): (contentId: number) => void`), and a method signature
(`get(contentId: number): Promise<Content>;` of an interface, an abstract method). Message, doc and examples in
TS037_function_type_param.yml."""

from __future__ import annotations

from collections.abc import Iterator

import tree_sitter as ts

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, Edits, Match, context_layer, number_positions, path_layer
from analyzer.typescript.index import FileIndex

#: where another rule already states the function type's parameters: a member's own type (TS001), an element of a
#: tuple a hook returns (TS033 retypes `[value, setValue]` together)
_ELSEWHERE = frozenset({"property_signature", "public_field_definition", "tuple_type"})


#: a method stated without a body: `get(contentId: number): Promise<Content>;` of an interface or object type,
#: an abstract class's `abstract remove(contentId: number): void;`
_SIGNATURES = frozenset({"method_signature", "abstract_method_signature"})
_DECLARATIONS = frozenset({"interface_declaration", "type_alias_declaration", "class_declaration",
                           "abstract_class_declaration"})


def _signature_owner(sig: ts.Node, fi: FileIndex) -> str:
    """`ContentApi.get` of a method signature (the member's name alone in an anonymous object type)."""
    name = sig.child_by_field_name("name")
    cur = sig.parent
    while cur is not None and cur.type not in _DECLARATIONS:
        cur = cur.parent
    decl = cur.child_by_field_name("name") if cur is not None else None
    member = fi.text(name) if name is not None else "?"
    return f"{fi.text(decl)}.{member}" if decl is not None else member


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    fn_type, func = m.node, m.func
    holder = fn_type.parent
    while holder is not None and holder.type in ("type_annotation", "parenthesized_type"):
        holder = holder.parent
    if holder is None or (holder.type in _ELSEWHERE and fn_type.type not in _SIGNATURES):
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
    owner = _signature_owner(fn_type, fi) if fn_type.type in _SIGNATURES else \
        d.holder_name(fn_type, fi) or (func.label if func is not None else "<module>")
    layer = context_layer(func, fi) if func is not None else path_layer(fi)
    yield d.finding(fi, m.rule.name, fn_type, f"{owner}({', '.join(names)}) =>", why, edits, layer=layer, func=func)
