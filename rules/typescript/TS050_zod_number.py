"""TS050 ts.zod.number: a zod schema validating the key as `z.number()` (message, doc and examples in
TS050_zod_number.yml): a key's schema (`contentIdSchema = z.number().int()`) and a key member of an object
schema (`z.object({ content_id: z.number() })`)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import tree_sitter as ts

from analyzer.models import ANY_TARGET, JS_NUMBER, Finding
from analyzer.typescript.detect import Detector, Match
from analyzer.typescript.index import FileIndex, callee_name
from analyzer.typescript.rules import TsRule

_ZOD_NUMERIC = frozenset({"int", "positive", "nonnegative", "min", "max", "gt", "gte", "lt", "lte", "finite",
                          "safe", "multipleOf", "step"})


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    value = m.captures["value"]
    if m.node.type == "variable_declarator":  # contentIdSchema = z.number().int()
        vname = fi.text(m.captures["name"])
        if not d.kn.name_returns_key(re.sub(r"(Schema|Param|Params|Validator)$", "", vname)):
            return
        znum = _zod_number(value, fi)
        if znum is not None:
            yield _finding(d, m.rule, fi, m.node, vname, f"{vname} validates the key", znum, value)
        return
    kname = fi.text(m.captures["key"]).strip("'\"")
    if kname == "initialPageParam":
        return
    znum = _zod_number(value, fi)
    if znum is None:
        return
    why = ""
    schema = _schema_name(m.node, fi)
    if d.kn.is_key_name(kname):
        why = d.kn.origin(kname) or f"{kname} names the key"
    elif schema and d.kn.is_scoped_member(schema[:1].upper() + schema[1:], kname):
        # rebalanceQueuedSchema.queued mirrors RebalanceQueued.queued: list[int], a back-end field of the key
        why = d.kn.origin(kname) or f"{schema}.{kname} holds the key"
    elif kname == "id":
        if schema and (d.kn.is_entity_type(schema[:1].upper() + schema[1:].removesuffix("Schema")) or
                       schema[:1].upper() + schema[1:].removesuffix("Schema") in d.p.affected):
            why = f"{schema} validates {d.kn.entity_origin(schema[:1].upper() + schema[1:])}".strip()
    if not why:
        return
    yield _finding(d, m.rule, fi, m.node, f"{_schema_name(m.node, fi) or 'z'}.{kname}", why, znum, value)


def _finding(d: Detector, rule: TsRule, fi: FileIndex, node: ts.Node, symbol: str, why: str, znum: tuple[int, int],
             schema: ts.Node) -> Finding | None:
    """`z.number()` holding the key: a string schema for UUID/text; for bigint only a cap the key outgrows
    (`.max(2147483647)`), which the bigint fix drops."""
    caps = _zod_caps(schema, fi)
    layer = "test" if fi.is_test else None
    if caps and d.to_type == "BIGINT":
        written = ", ".join(fi.src.data[a:b].decode("utf-8", "replace").lstrip(".") for a, b in caps)
        return d.finding(fi, rule.name, node, symbol, f"{why}; `{written}` caps the key below "
                         "bigint's range", [(c, "") for c in caps], layer=layer, widening=True,
                         applies_to=ANY_TARGET)
    return d.finding(fi, rule.name, node, symbol, why, [(znum, "z.string().uuid()")], layer=layer,
                     applies_to=ANY_TARGET if caps else JS_NUMBER)


def _schema_name(pair: ts.Node, fi: FileIndex) -> str:
    cur = pair.parent
    while cur is not None and cur.type != "variable_declarator":
        cur = cur.parent
    n = cur.child_by_field_name("name") if cur is not None else None
    return fi.text(n) if n is not None else ""


def _call_chain(call: ts.Node) -> list[ts.Node]:
    """The calls of a method chain, innermost first: `z.number().int().max(9)` -> [z.number(), .int(), .max(9)]."""
    chain: list[ts.Node] = []
    cur: ts.Node | None = call
    while cur is not None and cur.type == "call_expression":
        chain.append(cur)
        fn = cur.child_by_field_name("function")
        cur = fn.child_by_field_name("object") if fn is not None and fn.type == "member_expression" else None
    chain.reverse()
    return chain


def _zod_number(call: ts.Node, fi: FileIndex) -> tuple[int, int] | None:
    """Byte range from `z.number()` through its numeric refinements (`.int().positive()`)."""
    chain = _call_chain(call)
    if not chain:
        return None
    first = fi.text(chain[0].child_by_field_name("function") or chain[0]).replace(" ", "")
    if first == "z.array":  # orderIds: z.array(z.number().int()).max(5): the element schema
        args = chain[0].child_by_field_name("arguments")
        inner = args.named_children[0] if args is not None and args.named_children else None
        return _zod_number(inner, fi) if inner is not None and inner.type == "call_expression" else None
    if first not in ("z.number", "z.coerce.number"):
        return None
    end = chain[0].end_byte
    for c in chain[1:]:
        fn = c.child_by_field_name("function")
        prop = fn.child_by_field_name("property") if fn is not None else None
        if prop is not None and fi.text(prop) in _ZOD_NUMERIC:
            end = c.end_byte
        else:
            break
    return chain[0].start_byte, end


def _zod_caps(call: ts.Node, fi: FileIndex) -> list[tuple[int, int]]:
    """Byte ranges of the `.max(N)` / `.lte(N)` / `.lt(N)` refinements of a `z.number()` chain whose constant
    N is below 2**53 - 1: a cap a bigint key outgrows (`.max(2147483647)`); [] when there is none."""
    chain = _call_chain(call)
    if not chain:
        return []
    first = fi.text(chain[0].child_by_field_name("function") or chain[0]).replace(" ", "")
    if first == "z.array":
        args = chain[0].child_by_field_name("arguments")
        inner = args.named_children[0] if args is not None and args.named_children else None
        return _zod_caps(inner, fi) if inner is not None and inner.type == "call_expression" else []
    out = []
    for c in chain[1:]:
        fn = c.child_by_field_name("function")
        prop = fn.child_by_field_name("property") if fn is not None else None
        obj = fn.child_by_field_name("object") if fn is not None else None
        if prop is None or obj is None or fi.text(prop) not in _ZOD_NUMERIC:
            break
        args = c.child_by_field_name("arguments")
        arg = args.named_children[0] if args is not None and args.named_children else None
        value = _js_const(arg, fi) if arg is not None else None
        if fi.text(prop) in ("max", "lte", "lt") and value is not None and value < 2**53 - 1:
            out.append((obj.end_byte, c.end_byte))
    return out


def _js_const(node: ts.Node, fi: FileIndex) -> int | None:
    """An integer constant expression: `2147483647`, `2_147_483_647`, `0x7fffffff`, `2 ** 31 - 1`,
    `Math.pow(2, 31) - 1`; None otherwise."""
    t = node.type
    if t == "number":
        text = fi.text(node).replace("_", "")
        try:
            return int(text, 0)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                return None
            return int(value) if value.is_integer() else None
    if t == "parenthesized_expression" and node.named_children:
        return _js_const(node.named_children[0], fi)
    if t == "unary_expression":
        op, arg = node.child_by_field_name("operator"), node.child_by_field_name("argument")
        inner = _js_const(arg, fi) if arg is not None else None
        return -inner if inner is not None and op is not None and fi.text(op) == "-" else None
    if t == "binary_expression":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        op = node.child_by_field_name("operator")
        a = _js_const(left, fi) if left is not None else None
        b = _js_const(right, fi) if right is not None else None
        if a is None or b is None or op is None:
            return None
        o = fi.text(op)
        if o == "**" and 0 <= b <= 64:
            return int(a**b)
        return {"+": a + b, "-": a - b, "*": a * b}.get(o)
    if t == "call_expression" and callee_name(fi, node) == "Math.pow":
        args = node.child_by_field_name("arguments")
        vals = [_js_const(a, fi) for a in args.named_children] if args is not None else []
        if len(vals) == 2 and vals[0] is not None and vals[1] is not None and 0 <= vals[1] <= 64:
            return int(vals[0] ** vals[1])
    return None
