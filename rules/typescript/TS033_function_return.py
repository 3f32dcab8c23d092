"""TS033 ts.function.return: a function returning the key declared to return `number` (`: Promise<number[]>`,
`http<number[]>(url)`); message, doc and examples in TS033_function_return.yml."""

from __future__ import annotations

import re
from collections.abc import Iterator

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, context_layer, number_positions
from analyzer.typescript.index import FileIndex, Func, callee_name
from analyzer.typescript.rules import TsRule


def detect_file(d: Detector, fi: FileIndex, rule: TsRule) -> Iterator[Finding | None]:
    for f in fi.funcs:
        if f.ret_key and f.return_type is not None:
            yield from _return(d, fi, f, rule)
        if f.ret_key:
            yield from _returned_type_args(d, fi, f, rule)


def _return(d: Detector, fi: FileIndex, f: Func, rule: TsRule) -> Iterator[Finding | None]:
    assert f.return_type is not None
    if not number_positions(f.return_type, fi):
        return
    numeric = any(re.search(r"\bMath\.|\.reduce\(", fi.text(r)) for r in f.returns)
    yield d.finding(fi, rule.name, f.return_type, f"{f.label}()", f.ret_key,
                    [] if numeric else d.num_edits(f.return_type, fi), layer=context_layer(f, fi), func=f)


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
