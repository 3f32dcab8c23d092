"""Node shapes the flow reads (constants and small helpers over tree-sitter nodes), shared by its layers."""

from __future__ import annotations

from collections.abc import Iterator

import tree_sitter as ts

from analyzer.typescript.index import FileIndex, Func, unwrap_type

TypeRef = str | ts.Node
ARRAY_METHODS = frozenset(
    {"map", "filter", "find", "forEach", "some", "every", "sort", "flatMap", "findIndex", "findLast",
     "toSorted", "reduce"}
)
CASTS = frozenset({"Number", "parseInt", "parseFloat", "String", "BigInt"})
TRANSPARENT = frozenset({"parenthesized_expression", "non_null_expression", "as_expression",
                          "satisfies_expression", "await_expression", "spread_element"})
#: constructors whose single argument holds the elements of the new collection
SETS = frozenset({"Set", "Array"})


def enclosing_func(fi: FileIndex, node: ts.Node) -> Func | None:
    """The innermost function around `node` (not `node` itself), or None at module level."""
    cur = node.parent
    while cur is not None:
        f = fi.func_of(cur)
        if f is not None:
            return f
        cur = cur.parent
    return None


def stringified(expr: ts.Node, fi: FileIndex) -> bool:
    """`String(x)`, `x.toString()`, `` `${x}` ``: a value turned into text on purpose."""
    if expr.type == "template_string":
        return any(c.type == "template_substitution" for c in expr.named_children)
    if expr.type != "call_expression":
        return False
    fn = expr.child_by_field_name("function")
    if fn is None:
        return False
    if fi.text(fn) == "String":
        return True
    prop = fn.child_by_field_name("property") if fn.type == "member_expression" else None
    return prop is not None and fi.text(prop) == "toString"


def collection_source(expr: ts.Node, fi: FileIndex) -> ts.Node | None:
    """The x of `new Set(x)` / `new Array(x)` (not a length: `new Array(5)`), whose elements the new
    collection holds; None otherwise."""
    ctor = expr.child_by_field_name("constructor")
    args = expr.child_by_field_name("arguments")
    if ctor is None or fi.text(ctor) not in SETS or args is None or len(args.named_children) != 1:
        return None
    arg = args.named_children[0]
    return None if arg.type == "number" else arg


def is_tuple(array: ts.Node) -> bool:
    """A heterogeneous array literal (a query key such as `['orders', orderId, 'page', page]`): a string
    literal among its elements, or `as const` after it. Not a collection of keys: which slot holds the key
    is unknown, so its other elements are not marked."""
    if any(el.type in ("string", "template_string") for el in array.named_children):
        return True
    parent = array.parent
    while parent is not None and parent.type == "parenthesized_expression":
        parent = parent.parent
    return parent is not None and parent.type == "as_expression" and parent.children[-1].type == "const"


def tparam_slot(g: Func, type_node: ts.Node | None) -> str:
    """The type parameter of the generic `g` a parameter or return type carries (`T` of `list: readonly T[]`,
    `value: T`, `: T[]` of `toggleIn<T>`), "" when it carries none, several, or a function of one (`(item: T) => K`).
    Each call binds T anew: a key given at one call says nothing of the others. Memoized on `g` (syntax only)."""
    if type_node is None:
        return ""
    found_slot = g.tparam_slots.get(type_node.id)
    if found_slot is None:
        found_slot = g.tparam_slots[type_node.id] = _tparam_slot(g, type_node)
    return found_slot


def _tparam_slot(g: Func, type_node: ts.Node) -> str:
    tps = g.node.child_by_field_name("type_parameters")
    if tps is None:
        return ""
    names = {g.file.text(tp.child_by_field_name("name") or tp) for tp in tps.named_children}
    found: set[str] = set()
    stack = [type_node]
    while stack:
        node = stack.pop()
        if node.type == "function_type":
            return ""
        if node.type == "type_identifier" and g.file.text(node) in names:
            found.add(g.file.text(node))
        stack.extend(node.named_children)
    return found.pop() if len(found) == 1 else ""


#: calls whose argument is a list of [key, value] entries
_ENTRY_SINKS = frozenset({"Map", "WeakMap", "Object.fromEntries", "URLSearchParams"})


def _entries_sink(expr: ts.Node, fi: FileIndex) -> bool:
    """`expr` is the single argument of `new Map(expr)` / `Object.fromEntries(expr)`."""
    parent = expr.parent
    while parent is not None and parent.type == "parenthesized_expression":
        parent = parent.parent
    call = parent.parent if parent is not None and parent.type == "arguments" else None
    if call is None or parent is None or len(parent.named_children) != 1:
        return False
    callee = call.child_by_field_name("constructor" if call.type == "new_expression" else "function")
    return callee is not None and fi.text(callee) in _ENTRY_SINKS


def is_entry(array: ts.Node, fi: FileIndex) -> bool:
    """A `[key, value]` pair of a map's entries: an element of the list given to `new Map([...])` /
    `Object.fromEntries([...])`, or what the callback of `rows.map((r) => [r.id, r.score])` given to one returns.
    Its two slots hold different things (`[e.courseId, e.progress]`): neither makes the other a key."""
    if len(array.named_children) != 2 or any(el.type == "spread_element" for el in array.named_children):
        return False
    parent = array.parent
    while parent is not None and parent.type == "parenthesized_expression":
        parent = parent.parent
    if parent is None:
        return False
    if parent.type == "array":
        return _entries_sink(parent, fi)
    fn = parent if parent.type == "arrow_function" else None
    if parent.type == "return_statement":
        fn = parent.parent
        while fn is not None and fn.type not in ("arrow_function", "function_expression", "function_declaration"):
            fn = fn.parent
    args = fn.parent if fn is not None else None
    call = args.parent if args is not None and args.type == "arguments" else None
    member = call.child_by_field_name("function") if call is not None and call.type == "call_expression" else None
    prop = member.child_by_field_name("property") if member is not None and member.type == "member_expression" else None
    return prop is not None and fi.text(prop) == "map" and call is not None and _entries_sink(call, fi)


def object_pairs(obj: ts.Node) -> Iterator[tuple[ts.Node, ts.Node]]:
    """(key, value) of an object literal's `key: value` pairs and `{ key }` shorthands."""
    for p in obj.named_children:
        if p.type == "shorthand_property_identifier":
            yield p, p
        elif p.type == "pair":
            k = p.child_by_field_name("key")
            v = p.child_by_field_name("value")
            if k is not None and v is not None:
                yield k, v


def pair_value(obj: ts.Node, key: str, fi: FileIndex) -> ts.Node | None:
    for p in obj.named_children:
        if p.type == "pair":
            k = p.child_by_field_name("key")
            if k is not None and fi.text(k) == key:
                return p.child_by_field_name("value")
        elif p.type == "method_definition":
            n = p.child_by_field_name("name")
            if n is not None and fi.text(n) == key:
                return p
    return None


def type_name(node: ts.Node | None, fi: FileIndex) -> str:
    node = unwrap_type(node)
    if node is None:
        return ""
    if node.type == "union_type":
        parts = [c for c in node.named_children if fi.text(c) not in ("null", "undefined")]
        return type_name(parts[0], fi) if len(parts) == 1 else ""
    return fi.text(node) if node.type == "type_identifier" else ""
