"""TS033 ts.function.return: a function returning the key declared to return `number` (`: Promise<number[]>`,
`http<number[]>(url)`); message, doc and examples in TS033_function_return.yml."""

from __future__ import annotations

import re
from collections.abc import Iterator

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, context_layer, number_positions, overloads
from analyzer.typescript.index import FileIndex, Func, callee_name
from analyzer.typescript.rules import TsRule


def detect_file(d: Detector, fi: FileIndex, rule: TsRule) -> Iterator[Finding | None]:
    for f in fi.funcs:
        if f.ret_key and f.return_type is not None:
            yield from _return(d, fi, f, rule)
        if f.ret_key:
            yield from _returned_type_args(d, fi, f, rule)
        if f.ret_elems:
            yield from _returned_tuple(d, fi, f, rule)
        if f.return_type is not None and f.return_type.type == "type_predicate_annotation":
            yield from _type_predicate(d, fi, f, rule)


def _type_predicate(d: Detector, fi: FileIndex, f: Func, rule: TsRule) -> Iterator[Finding | None]:
    """`ids.filter((id): id is number => id !== null)` on keys: the predicate states the parameter's type."""
    assert f.return_type is not None
    pred = f.return_type.named_children[0] if f.return_type.named_children else None
    name = pred.named_children[0] if pred is not None and len(pred.named_children) == 2 else None
    b = next((b for group in f.params for b in group if not b.prop_of and name is not None and
              b.name == fi.text(name)), None)
    if pred is None or b is None or not b.key or not number_positions(pred.named_children[1], fi):
        return
    yield d.finding(fi, rule.name, pred, f"{f.label}({b.name}) is", b.why, d.num_edits(pred.named_children[1], fi),
                    layer=context_layer(f, fi), func=f)


def _return(d: Detector, fi: FileIndex, f: Func, rule: TsRule) -> Iterator[Finding | None]:
    assert f.return_type is not None
    if not number_positions(f.return_type, fi):
        return
    numeric = any(re.search(r"\bMath\.|\.reduce\(", fi.text(r)) for r in f.returns)
    yield d.finding(fi, rule.name, f.return_type, f"{f.label}()", f.ret_key,
                    [] if numeric else d.num_edits(f.return_type, fi), layer=context_layer(f, fi), func=f)
    for sig in overloads(f, fi):  # function parse(raw: string): number; above the implementation
        rt = sig.child_by_field_name("return_type")
        rt = rt.named_children[0] if rt is not None and rt.type == "type_annotation" and rt.named_children else rt
        if rt is not None and number_positions(rt, fi):
            yield d.finding(fi, rule.name, rt, f"{f.label}() (overload)", f.ret_key,
                            [] if numeric else d.num_edits(rt, fi), layer=context_layer(f, fi), func=f)


def _returned_type_args(d: Detector, fi: FileIndex, f: Func, rule: TsRule) -> Iterator[Finding | None]:
    """`return http<number[]>(url)` in a function that returns keys: the call's type argument
    states the key's type as much as the declared return type does."""
    for ret in f.returns:
        while ret.type in ("await_expression", "parenthesized_expression") and ret.named_children:
            ret = ret.named_children[0]
        if ret.type != "call_expression":
            continue
        targs = ret.child_by_field_name("type_arguments")
        if targs is None or len(targs.named_children) != 1:
            continue
        if number_positions(targs.named_children[0], fi):
            sym = f"{f.label}() {callee_name(fi, ret) or 'call'}<>"
            yield d.finding(fi, rule.name, targs, sym, f.ret_key, d.num_edits(targs.named_children[0], fi),
                            layer=context_layer(f, fi), func=f)


def _returned_tuple(d: Detector, fi: FileIndex, f: Func, rule: TsRule) -> Iterator[Finding | None]:
    """`function useContentParam(): [number | null, (id: number | null) => void]` whose callers take the key out
    of the tuple: the element (and the setter next to it) change; and `return useQueryParam('content', numberCodec)`,
    a generic hook handed a codec declared `Serializer<number>`, needs a string codec (no mechanical fix: the codec is
    usually shared with numeric parameters)."""
    why = next(iter(f.ret_elems.values()))
    rt = f.return_type
    if rt is not None and rt.type == "tuple_type":
        elems = rt.named_children
        edits = []
        for i in sorted(f.ret_elems):
            value = elems[i] if i < len(elems) else None
            edits += d.num_edits(value, fi)
            setter = elems[i + 1] if edits and i + 1 < len(elems) else None
            params = setter.child_by_field_name("parameters") if setter is not None and \
                setter.type == "function_type" else None
            if params is not None and len(params.named_children) == 1 and value is not None:  # [value, setValue]
                ptype = params.named_children[0].child_by_field_name("type")
                if ptype is not None and ptype.named_children and \
                        fi.text(ptype.named_children[0]).replace(" ", "") == fi.text(value).replace(" ", ""):
                    edits += d.num_edits(ptype, fi)
        if edits:
            yield d.finding(fi, rule.name, rt, f"{f.label}()[{min(f.ret_elems)}]", why, edits,
                            layer=context_layer(f, fi), func=f)
    for ret in f.returns:
        if ret.type != "call_expression":
            continue
        args = ret.child_by_field_name("arguments")
        for a in args.named_children if args is not None else ():
            b = fi.resolve(fi.text(a), f) if a.type == "identifier" else None
            t = b.type_node if b is not None else None
            targs = next((c for c in t.named_children if c.type == "type_arguments"), None) \
                if t is not None and t.type == "generic_type" else None
            if b is not None and t is not None and targs is not None and len(targs.named_children) == 1 and \
                    number_positions(targs.named_children[0], b.file) and id(b) not in d.p.key_codecs:
                yield d.finding(fi, rule.name, ret, f"{f.label}() {callee_name(fi, ret)}({fi.text(a)})",
                                f"{fi.text(a)} is a {fi.text(t)}: {why}", layer=context_layer(f, fi), func=f)
