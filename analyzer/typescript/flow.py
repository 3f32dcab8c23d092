"""Where the key flows: a fixed point over bindings of every file, linked through calls, JSX and URLs.

Sources: names that spell a key (`contentId`), `id` members of types tied to an affected backend
schema, and path parameters of URLs that match a backend route holding the key. The flow goes
forward (a key passed into a parameter makes the parameter a key) and backward (a parameter that is
a key makes the variable passed into it a key), through `Number()`/`parseInt`/`+` (remembered as
hazards), destructuring, props and `useState` setters, until nothing changes.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

import tree_sitter as ts

from analyzer.models import RouteSeed
from analyzer.typescript.index import Binding, FileIndex, Func, TypeDecl, callee_name, unwrap_type
from analyzer.typescript.names import KeyNames, camel, type_bases

TypeRef = str | ts.Node
ARRAY_METHODS = frozenset(
    {"map", "filter", "find", "forEach", "some", "every", "sort", "flatMap", "findIndex", "findLast",
     "toSorted", "reduce"}
)
CASTS = frozenset({"Number", "parseInt", "parseFloat", "String", "BigInt"})
_TRANSPARENT = frozenset({"parenthesized_expression", "non_null_expression", "as_expression",
                          "satisfies_expression", "await_expression", "spread_element"})
#: methods whose result holds the same ids as their receiver (`Set.add` returns the set)
_SAME_COLLECTION = frozenset({"filter", "sort", "toSorted", "slice", "concat", "reverse", "find", "at",
                              "findLast", "values", "keys", "add"})
_LITERALS = frozenset({"number", "string", "template_string", "null", "undefined", "true", "false", "regex",
                       "unary_expression", "typeof_expression"})
#: constructors whose single argument holds the elements of the new collection
_SETS = frozenset({"Set", "Array"})
#: methods whose first argument is an element (or key) of the receiver
_QUERY_HOOKS = frozenset({"useQuery", "useSuspenseQuery", "useInfiniteQuery", "useSuspenseInfiniteQuery",
                          "queryOptions", "infiniteQueryOptions"})
_COLLECTION_ARG = frozenset({"has", "includes", "indexOf", "add", "delete", "push", "unshift", "get", "set"})
_WRAPPERS = frozenset({"Partial", "Readonly", "Required", "NonNullable", "Pick", "Omit", "Awaited", "Promise"})
_PATHISH = re.compile(r"^(https?://[^/]*)?/")
#: URL segments that say nothing about the resource (`/api/v1/projects/{id}`)
_GENERIC_SEGMENTS = frozenset({"api", "apis", "v1", "v2", "v3", "v4", "rest", "internal", "public"})
#: `tagIds`, `tag_ids`, `tagId`: a name that says whose ids it holds
_FOREIGN_IDS = re.compile(r"^([a-z][a-zA-Z0-9]*?)(?:Ids?|_ids?)$")
#: a parameter that says which entity its sibling id belongs to (`subjectKind`, `entity_type`)
_DISCRIMINATOR = re.compile(r"(^|[a-z0-9_])(kind|type|Kind|Type)$")


class Project:
    def __init__(self, files: list[FileIndex], kn: KeyNames, incremental: bool = True) -> None:
        self.files = files
        self.kn = kn
        self.incremental = incremental
        self.touched: set[int] = set()
        self.global_change = False
        self.rounds_files: list[int] = []  # files run by each round after the first
        self._users: dict[int, set[int]] | None = None
        self._poly: dict[tuple[int, int], bool] = {}
        self._calls_by_name: dict[str, list[tuple[FileIndex, list[ts.Node]]]] | None = None
        self.funcs: dict[str, list[Func]] = defaultdict(list)
        self.types: dict[str, list[TypeDecl]] = defaultdict(list)
        for fi in files:
            for f in fi.funcs:
                if f.name:
                    self.funcs[f.name].append(f)
                    if "." in f.name:
                        self.funcs["?." + f.name.rpartition(".")[2]].append(f)
            for t in fi.types:
                self.types[t.name].append(t)
        self.affected: dict[str, str] = {}  # type name -> why its `id` is a key
        self.key_members: dict[tuple[str, str], str] = {}  # (type key, member) -> why
        self.key_casts: dict[int, str] = {}  # Number()/parseInt/+ node ids whose value is a key
        self.key_news: dict[int, str] = {}  # `new Set<number>()` node ids whose value holds keys
        self.storage_slots: dict[str, str] = {}  # localStorage keys that hold a key
        self.fn_params: dict[tuple[str, int, int], str] = {}  # (path, function type, index) -> why
        self._prep: dict[int, tuple[list[tuple[ts.Node, Func | None, list[ts.Node], str]],
                                    list[tuple[ts.Node, Func | None, list[Func]]]]] = {}
        self.spa_patterns: list[list[str]] = []  # front-end route patterns: ["auto", ":autoId"]
        self.url_templates: list[tuple[ts.Node, Func | None, FileIndex, list[str | ts.Node]]] = []
        self.dataset_keys: dict[tuple[str, str], str] = {}  # (path, dataset prop) -> why
        self._data_attrs: dict[int, list[tuple[str, ts.Node, Func | None]]] = {}
        self._eq: dict[int, list[tuple[ts.Node, ts.Node, Func | None]]] = {}
        #: key parameters (by binding id) and members of shared functions that other records' ids reach too
        self.shared: dict[int, str] = {}
        self.shared_members: dict[tuple[str, str], str] = {}
        self.shared_types: dict[str, str] = {}  # props types with a shared member: none of theirs is mechanical
        self.shared_whys: dict[str, str] = {}  # the evidence a shared parameter passes on -> the other ids' name
        self.changed = False
        self._type_depth = 0
        self._member_cache: dict[tuple[object, str], tuple[ts.Node, FileIndex] | None] = {}
        self._btype_cache: dict[int, TypeRef | None] = {}

    # ------------------------------------------------------------------ types
    def compute_affected(self) -> None:
        for name in self.types:
            if self.kn.is_entity_type(name):
                self.affected[name] = self.kn.entity_origin(name)
        changed = True
        while changed:
            changed = False
            for name, decls in self.types.items():
                if name in self.affected:
                    continue
                for d in decls:
                    for base in d.bases:
                        why = self._derives_id(base, d.file)
                        if why:
                            self.affected[name] = f"derived from {why}"
                            changed = True
                            break
                    if name in self.affected:
                        break

    def _derives_id(self, node: ts.Node, fi: FileIndex) -> str:
        """The affected type a base brings the `id` from ("" when none or when `Omit`s it)."""
        if node.type == "type_identifier":
            n = fi.text(node)
            return n if n in self.affected else ""
        if node.type == "generic_type":
            name = node.child_by_field_name("name")
            targs = node.child_by_field_name("type_arguments")
            gname = fi.text(name) if name is not None else ""
            args = targs.named_children if targs is not None else []
            if not args or gname not in _WRAPPERS:
                return ""
            inner = self._derives_id(args[0], fi)
            if inner and gname in ("Pick", "Omit") and len(args) > 1:
                keys = set(re.findall(r"['\"]([^'\"]+)['\"]", fi.text(args[1])))
                has = "id" in keys
                if (gname == "Pick" and not has) or (gname == "Omit" and has):
                    return ""
            return inner
        return ""

    def type_key(self, ref: TypeRef, fi: FileIndex) -> str:
        return ref if isinstance(ref, str) else f"@{fi.sf.path}:{ref.start_byte}"

    def is_key_member(self, owner: str, member: str) -> str:
        if self.kn.is_key_name(member):
            return self.kn.origin(member) or f"{member} names the key"
        if member == "id" and owner in self.affected:
            return self.affected[owner] or f"{owner} is tied to the affected schema"
        if self.kn.is_scoped_member(owner, member):
            return self.kn.origin(member) or f"{owner}.{member} holds the key"
        return self.key_members.get((owner, member), "")

    def norm(self, node: ts.Node | None, fi: FileIndex) -> TypeRef | None:
        node = unwrap_type(node)
        if node is None:
            return None
        t = node.type
        if t == "union_type":
            parts = [c for c in node.named_children
                     if not (c.type == "literal_type" or fi.text(c) in ("undefined", "null"))]
            return self.norm(parts[0], fi) if len(parts) == 1 else None
        if t == "parenthesized_type":
            return self.norm(node.named_children[0], fi) if node.named_children else None
        if t in ("array_type", "readonly_type"):
            inner = self.norm(node.named_children[0], fi) if node.named_children else None
            if t == "readonly_type":
                return inner
            return inner + "[]" if isinstance(inner, str) else None
        if t == "generic_type":
            name = node.child_by_field_name("name")
            targs = node.child_by_field_name("type_arguments")
            args = targs.named_children if targs is not None else []
            gname = fi.text(name) if name is not None else ""
            if gname in ("Array", "ReadonlyArray") and args:
                inner = self.norm(args[0], fi)
                return inner + "[]" if isinstance(inner, str) else None
            if gname in _WRAPPERS and args:
                return self.norm(args[0], fi)
            return gname
        if t == "type_identifier":
            return fi.text(node)
        if t == "nested_type_identifier":
            return fi.text(node).rpartition(".")[2]
        if t == "predefined_type":
            return fi.text(node)
        if t == "object_type":
            return node
        return None

    def member_type(self, ref: TypeRef, member: str, fi: FileIndex, depth: int = 0) -> tuple[ts.Node, FileIndex] | None:
        """The declared type of `ref.member` (memoized: declarations do not change during the flow)."""
        key = (ref if isinstance(ref, str) else ref.id, member)
        if key in self._member_cache:
            return self._member_cache[key]
        found = self._member_type(ref, member, fi, depth)
        if depth == 0:
            self._member_cache[key] = found
        return found

    def _member_type(self, ref: TypeRef, member: str, fi: FileIndex, depth: int = 0) -> tuple[ts.Node, FileIndex] | None:
        if depth > 8:
            return None
        if not isinstance(ref, str):
            for m in ref.named_children:
                n = m.child_by_field_name("name")
                if n is not None and fi.text(n) == member:
                    ty = unwrap_type(m.child_by_field_name("type"))
                    return (ty, fi) if ty is not None else None
            return None
        for d in self.types.get(ref, ()):
            dm = d.members.get(member)
            if dm is not None:
                ty = unwrap_type(dm.child_by_field_name("type"))
                return (ty, d.file) if ty is not None else None
            for base in d.bases:
                b = self.norm(base, d.file)
                if b is not None:
                    found = self.member_type(b, member, d.file, depth + 1)
                    if found:
                        return found
        return None

    def type_of(self, expr: ts.Node | None, func: Func | None, fi: FileIndex, depth: int = 0) -> TypeRef | None:
        if expr is None or depth > 6:
            return None
        t = expr.type
        if t in ("parenthesized_expression", "non_null_expression", "await_expression"):
            inner = expr.named_children[0] if expr.named_children else None
            return self.type_of(inner, func, fi, depth + 1)
        if t in ("as_expression", "satisfies_expression"):
            kids = expr.named_children
            return self.norm(kids[-1], fi) if len(kids) > 1 else None
        if t == "identifier":
            b = fi.resolve(fi.text(expr), func)
            return self.binding_type(b, depth + 1) if b is not None else None
        if t == "member_expression":
            obj = expr.child_by_field_name("object")
            prop = expr.child_by_field_name("property")
            ot = self.type_of(obj, func, fi, depth + 1)
            if ot is None or prop is None:
                return None
            found = self.member_type(ot, fi.text(prop), fi)
            return self.norm(found[0], found[1]) if found else None
        if t == "array" and expr.named_children and expr.named_children[0].type == "spread_element":
            spread = expr.named_children[0]
            inner = spread.named_children[0] if spread.named_children else None
            return self.type_of(inner, func, fi, depth + 1)
        if t == "subscript_expression":
            obj = expr.child_by_field_name("object")
            ot = self.type_of(obj, func, fi, depth + 1)
            return ot[:-2] if isinstance(ot, str) and ot.endswith("[]") else None
        if t == "call_expression":
            fn = expr.child_by_field_name("function")
            if fn is not None and fn.type == "member_expression":
                prop = fn.child_by_field_name("property")
                pname = fi.text(prop) if prop is not None else ""
                if pname in ("find", "findLast", "at", "filter", "slice", "toSorted", "sort"):
                    ot = self.type_of(fn.child_by_field_name("object"), func, fi, depth + 1)
                    if isinstance(ot, str) and ot.endswith("[]"):
                        return ot[:-2] if pname in ("find", "findLast", "at") else ot
            name = callee_name(fi, expr)
            # a generic (`request<T>()`, `get: <T>(p: string) => request<T>(p)`) returns what the call asks for
            targets = [f for f in self.funcs.get(name, ()) if f.node.child_by_field_name("type_parameters") is None]
            for f in targets:
                if f.return_type is not None:
                    return self.norm(f.return_type, f.file)
            for f in targets:  # const fetchOrder = (id: string) => api.get<Order>(`/orders/${id}`)
                if f.node.type == "arrow_function" and len(f.returns) == 1 and f.returns[0].type == "call_expression":
                    t_ = self.type_of(f.returns[0], f, f.file, depth + 1)
                    if t_ is not None:
                        return t_
            targs = expr.child_by_field_name("type_arguments")  # api.get<Order>(...): the payload's type
            if not targets and targs is not None and len(targs.named_children) == 1:
                ref = self.norm(targs.named_children[0], fi)
                if isinstance(ref, str) and ref.removesuffix("[]") in self.types:
                    return ref
        return None

    def binding_type(self, b: Binding, depth: int = 0) -> TypeRef | None:
        """What a binding holds, from its annotation or where it comes from (memoized: pure)."""
        key = id(b)
        if key in self._btype_cache:
            return self._btype_cache[key]
        found = self._binding_type(b, depth)
        if depth <= 1:
            self._btype_cache[key] = found
        return found

    def _binding_type(self, b: Binding, depth: int = 0) -> TypeRef | None:
        fi = b.file
        if b.type_node is not None:
            return self.norm(b.type_node, fi)
        if b.kind == "state":
            return self.norm(b.state_type, fi)
        if b.prop_of and b.source_type is not None:
            st = self.norm(b.source_type, fi)
            if st is not None:
                found = self.member_type(st, b.prop_of, fi)
                return self.norm(found[0], found[1]) if found else None
        if b.prop_of and b.kind == "var" and b.init is not None and b.init.type == "call_expression" and \
                b.prop_of == "data" and depth < 4:
            for g in self.funcs.get(callee_name(fi, b.init), ()):
                qt = self.query_data_type(g, depth + 1)
                if qt is not None:
                    return qt
        if b.kind == "param" and b.index == 0 and not b.prop_of and b.func is not None:
            pair = b.func.node.parent
            if pair is not None and pair.type == "pair":
                k = pair.child_by_field_name("key")
                if k is not None and fi.text(k) == "getNextPageParam" and pair.parent is not None:
                    return self._query_fn_type(pair.parent, fi, depth + 1)
        if b.prop_of and b.kind == "param" and b.func is not None and b.index == 0:
            return None
        if b.kind == "var" and b.init is not None and not b.prop_of:
            return self.type_of(b.init, b.func, fi, depth + 1)
        if b.kind == "param" and b.func is not None and b.func.node.parent is not None:
            args = b.func.node.parent  # callback of arr.map(...)
            call = args.parent if args.type == "arguments" else None
            if call is not None and call.type == "call_expression" and b.index in (0, 1):
                fn = call.child_by_field_name("function")
                if fn is not None and fn.type == "member_expression":
                    prop = fn.child_by_field_name("property")
                    elem_index = 1 if prop is not None and fi.text(prop) == "reduce" else 0
                    if prop is not None and fi.text(prop) in ARRAY_METHODS and b.index == elem_index:
                        ot = self.type_of(fn.child_by_field_name("object"), b.func.parent, fi, depth + 1)
                        if isinstance(ot, str) and ot.endswith("[]"):
                            return ot[:-2]
            if call is not None and b.index == 1 and fi.text(call.child_by_field_name("function") or call)\
                    .endswith((".sort", ".toSorted")):
                fn = call.child_by_field_name("function")
                obj = fn.child_by_field_name("object") if fn is not None else None
                ot = self.type_of(obj, b.func.parent, fi, depth + 1)
                if isinstance(ot, str) and ot.endswith("[]"):
                    return ot[:-2]
        return None

    def query_data_type(self, g: Func, depth: int = 0) -> TypeRef | None:
        """`useContent` returning `useQuery({ queryFn: () => fetchContent(id) })`: the type of `data`."""
        for ret in g.returns:
            if ret.type != "call_expression":
                continue
            short = callee_name(g.file, ret).rpartition(".")[2]
            args = ret.child_by_field_name("arguments")
            if short in _QUERY_HOOKS and args is not None and args.named_children and \
                    args.named_children[0].type == "object":
                return self._query_fn_type(args.named_children[0], g.file, depth + 1)
        return None

    def _query_fn_type(self, obj: ts.Node, fi: FileIndex, depth: int) -> TypeRef | None:
        qf = _pair_value(obj, "queryFn", fi)
        cb = fi.func_of(qf) if qf is not None else None
        if cb is None or depth > 5:
            return None
        for ret in cb.returns:
            t = self.type_of(ret, cb, fi, depth + 1)
            if t is not None:
                return t
        return None

    def _infinite(self, fi: FileIndex, obj: ts.Node) -> None:
        """useInfiniteQuery: what getNextPageParam returns is the queryFn's `pageParam`."""
        qf = _pair_value(obj, "queryFn", fi)
        gp = _pair_value(obj, "getNextPageParam", fi)
        qcb = fi.func_of(qf) if qf is not None else None
        gcb = fi.func_of(gp) if gp is not None else None
        if qcb is None or gcb is None or not qcb.params:
            return
        page = next((b for b in qcb.params[0] if b.prop_of == "pageParam" or b.name == "pageParam"), None)
        if page is None:
            return
        if page.key:
            self.mark_ret(gcb, page.why)
        else:
            for ret in gcb.returns:
                why = self.is_key(ret, gcb, fi)
                if why:
                    self.mark(page, why)
                    break

    # ------------------------------------------------------------------ key expressions
    def _callback_key(self, arg: ts.Node, fi: FileIndex, depth: int) -> str:
        """Why the callback passed as `arg` (useMemo, map, reduce) returns a key, or ""."""
        cb = fi.func_of(arg)
        for ret in cb.returns if cb is not None else ():
            why = self.is_key(ret, cb, fi, depth + 1)
            if why:
                return why
        return ""

    def is_key(self, expr: ts.Node | None, func: Func | None, fi: FileIndex, depth: int = 0) -> str:
        """Why `expr` holds a key (or a collection of keys), or "" when it does not."""
        if expr is None or depth > 8:
            return ""
        t = expr.type
        if t in _TRANSPARENT:
            inner = expr.named_children[0] if expr.named_children else None
            return self.is_key(inner, func, fi, depth + 1)
        if t == "identifier" or t == "shorthand_property_identifier":
            name = fi.text(expr)
            b = fi.resolve(name, func)
            if b is not None and b.key:
                return b.why
            if b is None and self.kn.is_key_name(name):
                return self.kn.origin(name) or f"{name} names the key"
            if b is not None and self.kn.is_key_name(name) and b.kind != "state":
                return self.kn.origin(name) or f"{name} names the key"
            return ""
        if t == "member_expression":
            prop = expr.child_by_field_name("property")
            if prop is None:
                return ""
            pname = fi.text(prop)
            obj = expr.child_by_field_name("object")
            if self.kn.is_key_name(pname):
                return self.kn.origin(pname) or f"{pname} names the key"
            ref = self.ref_of(expr, func, fi)
            if ref is not None:  # seen.current, with seen = useRef<Set<number>>()
                return ref.why if ref.key else ""
            if obj is not None and obj.type == "member_expression" and self.dataset_keys:
                dprop = obj.child_by_field_name("property")
                if dprop is not None and fi.text(dprop) == "dataset":  # e.currentTarget.dataset.id
                    return self.dataset_keys.get((fi.sf.path, pname), "")
            ot = self.type_of(obj, func, fi)
            if ot is not None:
                return self.is_key_member(self.type_key(ot, fi), pname)
            for ret, g in self._returned_props(obj, func, fi, pname):
                why = self.is_key(ret, g, g.file, depth + 1)
                if why:
                    return why
            return ""
        if t == "subscript_expression":
            obj = expr.child_by_field_name("object")
            return self.is_key(obj, func, fi, depth + 1) if obj is not None and obj.type != "call_expression" else ""
        if t == "array":
            for el in expr.named_children:
                target = el.named_children[0] if el.type == "spread_element" and el.named_children else el
                why = self.is_key(target, func, fi, depth + 1)
                if why:
                    return why
            return ""
        if t == "call_expression":
            return self._call_is_key(expr, func, fi, depth)
        if t == "new_expression":  # new Set(ids), new Set(items.map((i) => i.id))
            source = _collection_source(expr, fi)
            return self.is_key(source, func, fi, depth + 1) if source is not None else ""
        if t == "unary_expression":
            op = expr.child_by_field_name("operator")
            if op is not None and fi.text(op) == "+":
                return self.is_key(expr.child_by_field_name("argument"), func, fi, depth + 1)
            return ""
        if t == "ternary_expression":
            for fld in ("consequence", "alternative"):
                why = self.is_key(expr.child_by_field_name(fld), func, fi, depth + 1)
                if why:
                    return why
            return ""
        if t == "binary_expression":
            op = expr.child_by_field_name("operator")
            if op is not None and fi.text(op) in ("??", "||"):
                return self.is_key(expr.child_by_field_name("left"), func, fi, depth + 1) or \
                    self.is_key(expr.child_by_field_name("right"), func, fi, depth + 1)
        return ""

    def _call_is_key(self, expr: ts.Node, func: Func | None, fi: FileIndex, depth: int) -> str:
        fn = expr.child_by_field_name("function")
        args_node = expr.child_by_field_name("arguments")
        args = args_node.named_children if args_node is not None else []
        if fn is None:
            return ""
        ftext = fi.text(fn)
        if ftext in CASTS or ftext in ("JSON.parse", "Math.max", "Math.min", "Math.abs"):
            for a in args if ftext.startswith("Math.") else args[:1]:
                target = a.named_children[0] if a.type == "spread_element" and a.named_children else a
                why = self.is_key(target, func, fi, depth + 1)
                if why:
                    return why
            return ""
        if ftext.endswith("getItem") and args:
            slot = self.slot(args[0], func, fi)
            return self.storage_slots.get(slot, "") if slot else ""
        if ftext in ("useMemo", "React.useMemo") and args:
            return self._callback_key(args[0], fi, depth)
        if ftext == "Object.keys" and args:  # the keys of a map keyed by the key (strings already)
            b = self.holder(args[0], func, fi)
            return b.id_map if b is not None else ""
        if ftext == "Array.from" and args:  # Array.from(selected), Array.from(rows, (r) => r.id)
            return self._callback_key(args[1], fi, depth) if len(args) > 1 else \
                self.is_key(args[0], func, fi, depth + 1)
        if fn.type == "member_expression":
            prop = fn.child_by_field_name("property")
            pname = fi.text(prop) if prop is not None else ""
            obj = fn.child_by_field_name("object")
            if pname in _SAME_COLLECTION:
                return self.is_key(obj, func, fi, depth + 1)
            if pname in ("map", "flatMap", "reduce") and args:  # orders.map((o) => o.id): what the callback returns
                return self._callback_key(args[0], fi, depth)
        for g in self.funcs.get(callee_name(fi, expr), ()):
            if g.ret_key:
                return g.ret_key
        return ""

    def slot(self, node: ts.Node, func: Func | None, fi: FileIndex) -> str:
        """The storage key of `getItem(K)`/`setItem(K, v)`: a literal, or the constant K names."""
        if node.type == "identifier":
            b = fi.resolve(fi.text(node), func)
            if b is not None and b.init is not None and b.init.type in ("string", "template_string"):
                return fi.text(b.init).strip("'\"`")
            return fi.text(node)
        if node.type in ("string", "template_string"):
            return fi.text(node).strip("'\"`")
        return ""

    def ref_of(self, expr: ts.Node, func: Func | None, fi: FileIndex) -> Binding | None:
        """The `useRef` binding of `seen.current`; None for any other expression."""
        if expr.type != "member_expression":
            return None
        obj = expr.child_by_field_name("object")
        prop = expr.child_by_field_name("property")
        if obj is None or prop is None or obj.type != "identifier" or fi.text(prop) != "current":
            return None
        b = fi.resolve(fi.text(obj), func)
        return b if b is not None and b.kind == "ref" else None

    def holder(self, expr: ts.Node | None, func: Func | None, fi: FileIndex) -> Binding | None:
        """The binding a map lives in: `byId` or `byIdRef.current`."""
        if expr is None:
            return None
        if expr.type == "identifier":
            return fi.resolve(fi.text(expr), func)
        return self.ref_of(expr, func, fi)

    def map_key(self, expr: ts.Node | None, func: Func | None, fi: FileIndex, depth: int = 0) -> str:
        """Why `expr` is a map keyed by the key, or "": `new Map(rows.map((r) => [r.id, r]))`, a copy of such
        a map, `next.set(item.id, v)`, `{ ...prev, [item.id]: v }`, `Object.fromEntries(...)`."""
        if expr is None or depth > 6:
            return ""
        t = expr.type
        if t in _TRANSPARENT:
            return self.map_key(expr.named_children[0], func, fi, depth + 1) if expr.named_children else ""
        if t in ("identifier", "member_expression"):
            b = self.holder(expr, func, fi)
            return b.id_map if b is not None else ""
        if t == "new_expression":
            ctor = expr.child_by_field_name("constructor")
            margs = expr.child_by_field_name("arguments")
            if ctor is None or fi.text(ctor) != "Map" or margs is None or not margs.named_children:
                return ""
            arg = margs.named_children[0]
            return self._entries_key(arg, func, fi, depth) or self.map_key(arg, func, fi, depth + 1)
        if t == "call_expression":
            fn = expr.child_by_field_name("function")
            args_node = expr.child_by_field_name("arguments")
            args = args_node.named_children if args_node is not None else []
            if fn is None or not args:
                return ""
            if fi.text(fn) == "Object.fromEntries":
                return self._entries_key(args[0], func, fi, depth)
            if fn.type == "member_expression":
                prop = fn.child_by_field_name("property")
                if prop is not None and fi.text(prop) == "set" and len(args) == 2:
                    return self.is_key(args[0], func, fi) or \
                        self.map_key(fn.child_by_field_name("object"), func, fi, depth + 1)
            return ""
        if t == "object":
            for p in expr.named_children:
                k = p.child_by_field_name("key") if p.type == "pair" else None
                if k is not None and k.type == "computed_property_name" and k.named_children:
                    why = self.is_key(k.named_children[0], func, fi)
                    if why:
                        return why
                elif p.type == "spread_element" and p.named_children:
                    why = self.map_key(p.named_children[0], func, fi, depth + 1)
                    if why:
                        return why
        return ""

    def _entries_key(self, expr: ts.Node, func: Func | None, fi: FileIndex, depth: int) -> str:
        """Entries whose first element is a key: `[[a.id, a]]`, `rows.map((r) => [r.id, r.name])`."""
        if expr.type == "array":
            for el in expr.named_children:
                if el.type == "array" and el.named_children:
                    why = self.is_key(el.named_children[0], func, fi, depth + 1)
                    if why:
                        return why
            return ""
        if expr.type == "call_expression":
            fn = expr.child_by_field_name("function")
            args = expr.child_by_field_name("arguments")
            prop = fn.child_by_field_name("property") if fn is not None and fn.type == "member_expression" else None
            if prop is not None and fi.text(prop) in ("map", "flatMap") and args is not None and args.named_children:
                cb = fi.func_of(args.named_children[0])
                for ret in cb.returns if cb is not None else ():
                    while ret.type == "parenthesized_expression" and ret.named_children:
                        ret = ret.named_children[0]
                    if ret.type == "array" and ret.named_children:
                        why = self.is_key(ret.named_children[0], cb, fi, depth + 1)
                        if why:
                            return why
        return ""

    def _returned_props(self, obj: ts.Node | None, func: Func | None, fi: FileIndex,
                        prop: str) -> list[tuple[ts.Node, Func]]:
        """`sel.ids` with `const sel = useSelection()`: the `ids` the function returns."""
        if obj is None or obj.type != "identifier":
            return []
        b = fi.resolve(fi.text(obj), func)
        if b is None or b.init is None or b.init.type != "call_expression" or b.prop_of:
            return []
        return self._returned_prop_exprs(callee_name(fi, b.init), prop)

    def _returned_prop_exprs(self, callee: str, prop: str) -> list[tuple[ts.Node, Func]]:
        out = []
        for g in self.funcs.get(callee, ()):
            for ret in g.returns:
                if ret.type != "object":
                    continue
                for p in ret.named_children:
                    if p.type == "shorthand_property_identifier" and g.file.text(p) == prop:
                        out.append((p, g))
                    elif p.type == "pair":
                        k = p.child_by_field_name("key")
                        v = p.child_by_field_name("value")
                        if k is not None and v is not None and g.file.text(k) == prop:
                            out.append((v, g))
        return out

    def cast_arg(self, expr: ts.Node, fi: FileIndex) -> ts.Node | None:
        """The x of `Number(x)`, `parseInt(x, 10)`, `+x`, `x.map(Number)`; None otherwise."""
        if expr.type == "call_expression":
            fn = expr.child_by_field_name("function")
            args = expr.child_by_field_name("arguments")
            if fn is not None and fi.text(fn) in ("Number", "parseInt", "parseFloat"):
                if args is not None and args.named_children:
                    return args.named_children[0]
            if fn is not None and fn.type == "member_expression" and args is not None and \
                    len(args.named_children) == 1 and fi.text(args.named_children[0]) in ("Number", "parseInt"):
                prop = fn.child_by_field_name("property")
                if prop is not None and fi.text(prop) == "map":
                    return fn.child_by_field_name("object")
        elif expr.type == "unary_expression":
            op = expr.child_by_field_name("operator")
            if op is not None and fi.text(op) == "+":
                return expr.child_by_field_name("argument")
        return None

    def mark(self, b: Binding, why: str) -> None:
        if not b.key:
            b.key = True
            b.why = why
            self._touch(b.file)
            if b.prop_of and b.source_type is not None:
                st = self.norm(b.source_type, b.file)
                if st is not None:
                    k = (self.type_key(st, b.file), b.prop_of)
                    if k not in self.key_members and not self.is_key_member(*k):
                        self.key_members[k] = why
                        self._touch_all()

    def mark_ret(self, g: Func, why: str) -> None:
        """`g` returns a key. Not for a generic (`http<T>()`): it returns what each caller asks for."""
        if g.node.child_by_field_name("type_parameters") is not None:
            return
        if not g.ret_key:
            g.ret_key = why
            self._touch(g.file)
            for ret in g.returns:
                self.mark_backward(ret, g, g.file, why)

    def mark_backward(self, expr: ts.Node | None, func: Func | None, fi: FileIndex, why: str, depth: int = 0) -> None:
        if expr is None or depth > 8:
            return
        t = expr.type
        if t in _TRANSPARENT:
            if expr.named_children:
                self.mark_backward(expr.named_children[0], func, fi, why, depth + 1)
            return
        inner = self.cast_arg(expr, fi)
        if inner is not None:
            if expr.id not in self.key_casts:
                self.key_casts[expr.id] = why
                self._touch(fi)
            self.mark_backward(inner, func, fi, why, depth + 1)
            return
        if t == "call_expression":
            fn = expr.child_by_field_name("function")
            args_node = expr.child_by_field_name("arguments")
            args = args_node.named_children if args_node is not None else []
            ftext = fi.text(fn) if fn is not None else ""
            if ftext in ("String", "encodeURIComponent", "JSON.parse", "JSON.stringify") and args:
                self.mark_backward(args[0], func, fi, why, depth + 1)
            elif ftext.endswith("getItem") and args:
                slot = self.slot(args[0], func, fi)
                if slot and slot not in self.storage_slots:
                    self.storage_slots[slot] = why
                    self._touch_all()
            elif ftext in ("useMemo", "React.useMemo") and args:
                cb = fi.func_of(args[0])
                for ret in cb.returns if cb is not None else ():
                    self.mark_backward(ret, cb, fi, why, depth + 1)
            elif ftext == "Array.from" and len(args) == 1:
                self.mark_backward(args[0], func, fi, why, depth + 1)
            elif fn is not None and fn.type == "member_expression":
                prop = fn.child_by_field_name("property")
                if prop is not None and fi.text(prop) in _SAME_COLLECTION:
                    self.mark_backward(fn.child_by_field_name("object"), func, fi, why, depth + 1)
            for g in self.funcs.get(callee_name(fi, expr), ()) if not ftext.startswith(("JSON.", "Math.")) else ():
                self.mark_ret(g, why)
            return
        if t in ("identifier", "shorthand_property_identifier"):
            b = fi.resolve(fi.text(expr), func)
            if b is not None:
                self.mark(b, why)
                if b.prop_of and b.kind == "var" and b.init is not None and b.init.type == "call_expression":
                    for ret, g in self._returned_prop_exprs(callee_name(fi, b.init), b.prop_of):
                        self.mark_backward(ret, g, g.file, why, depth + 1)
            return
        if t == "member_expression":
            prop = expr.child_by_field_name("property")
            obj = expr.child_by_field_name("object")
            ref = self.ref_of(expr, func, fi)
            if ref is not None:
                self.mark(ref, why)
                return
            ot = self.type_of(obj, func, fi)
            if ot is not None and prop is not None:
                k = (self.type_key(ot, fi), fi.text(prop))
                if not self.is_key_member(*k) and not ot == "number":
                    self.key_members[k] = why
                    self._touch_all()
            elif prop is not None:
                for ret, g in self._returned_props(obj, func, fi, fi.text(prop)):
                    self.mark_backward(ret, g, g.file, why, depth + 1)
            return
        if t == "subscript_expression":
            self.mark_backward(expr.child_by_field_name("object"), func, fi, why, depth + 1)
            return
        if t == "new_expression":  # picked: new Set<number>() given to a member that holds keys
            ctor = expr.child_by_field_name("constructor")
            targs = expr.child_by_field_name("type_arguments")
            if ctor is not None and targs is not None and fi.text(ctor) in _SETS and \
                    len(targs.named_children) == 1 and fi.text(targs.named_children[0]) == "number" and \
                    expr.id not in self.key_news:
                self.key_news[expr.id] = why
                self._touch(fi)
            source = _collection_source(expr, fi)  # new Set(prev): prev holds the same keys
            if source is not None:
                self.mark_backward(source, func, fi, why, depth + 1)
            return
        if t == "array":
            if _is_tuple(expr):  # ['orders', orderId, 'page', page]: which slot holds the key is unknown
                return
            for el in expr.named_children:
                target = el.named_children[0] if el.type == "spread_element" and el.named_children else el
                self.mark_backward(target, func, fi, why, depth + 1)
            return
        if t == "binary_expression":
            op = expr.child_by_field_name("operator")
            if op is not None and fi.text(op) in ("??", "||"):
                self.mark_backward(expr.child_by_field_name("left"), func, fi, why, depth + 1)
            return
        if t == "ternary_expression":
            for fld in ("consequence", "alternative"):
                self.mark_backward(expr.child_by_field_name(fld), func, fi, why, depth + 1)

    # ------------------------------------------------------------------ the fixed point
    def run(self, max_rounds: int = 12) -> int:
        self.compute_affected()
        self.link_zod()
        self.link_routes()
        for fi in self.files:
            for f in fi.funcs:
                if f.name and self.kn.name_returns_key(f.name.rpartition(".")[2]):
                    self.mark_ret(f, f"{f.name} names the key")
                elif f.name and f.return_type is not None:
                    why = self._entity_ids(f)
                    if why:
                        self.mark_ret(f, why)
        for b in (b for fi in self.files for b in fi.bindings):
            if self.kn.is_key_name(b.name) or (b.prop_of and self.kn.is_key_name(b.prop_of)):
                self.mark(b, self.kn.origin(b.prop_of or b.name) or f"{b.name} names the key")
            elif self.kn.is_key_alias_type(_type_name(b.type_node, b.file)):
                self.mark(b, f"typed {_type_name(b.type_node, b.file)}")
        rounds = 0
        dirty: set[int] | None = None  # None: every file
        while rounds < max_rounds:
            rounds += 1
            self.changed = False
            self.touched = set()
            self.global_change = False
            for fi in self.files:
                if dirty is None or id(fi) in dirty:
                    self._round(fi)
            self.link_spa_routes()
            if not self.changed:
                break
            if self.incremental and not self.global_change:
                dirty = self._readers_of(self.touched)
            else:
                dirty = None
            self.rounds_files.append(len(self.files) if dirty is None else len(dirty))
        return rounds

    def outside_calls(self) -> dict[str, set[str]]:
        """path -> names a file passes a key to (call arguments, JSX attributes) that no scanned file
        defines: where the prefilter left out a file the flow needs."""
        out: dict[str, set[str]] = {}
        for fi in self.files:
            calls, _jsx = self._prepared(fi)
            for _call, func, args, name in calls:
                head = name.split(".")[0]
                if name in self.funcs or head in ("?", "this") or fi.resolve(head, func) is not None:
                    continue
                if any(self.is_key(a, func, fi) for a in args):
                    out.setdefault(fi.sf.path, set()).add(head)
            for el, func in fi.jsx:
                n = el.child_by_field_name("name")
                tag = fi.text(n) if n is not None else ""
                if not tag[:1].isupper() or tag in self.funcs:
                    continue
                for attr in el.named_children:
                    value = attr.named_children[1] if attr.type == "jsx_attribute" and \
                        len(attr.named_children) > 1 else None
                    if value is not None and value.type == "jsx_expression" and value.named_children and \
                            self.is_key(value.named_children[0], func, fi):
                        out.setdefault(fi.sf.path, set()).add(tag.split(".")[0])
                        break
        return out

    def _touch(self, fi: FileIndex) -> None:
        """Something `fi` holds changed: it and the files reading it run again next round."""
        self.changed = True
        self.touched.add(id(fi))

    def _touch_all(self) -> None:
        """A project-wide table changed (type members, function-type params, storage slots)."""
        self.changed = True
        self.global_change = True

    def _readers_of(self, touched: set[int]) -> set[int]:
        """The files whose round reads what changed: the touched files, the files calling or rendering
        a function of theirs, and those files' callers (a caller reads its callee's returned
        expressions, which read the callee's own callees). Cross-file reads all go through
        `self.funcs` by name; project-wide tables force a full round instead."""
        if self._users is None:
            users: dict[int, set[int]] = defaultdict(set)
            for fi in self.files:
                names = {callee_name(fi, call) for call, _f in fi.calls}
                for el, _f in fi.jsx:
                    n = el.child_by_field_name("name")
                    if n is not None:
                        names.add(fi.text(n))
                for name in names:
                    for g in self.funcs.get(name, ()):
                        if g.file is not fi:
                            users[id(g.file)].add(id(fi))
            self._users = users
        out = set(touched)
        frontier = set(touched)
        for _hop in range(2):
            nxt: set[int] = set()
            for f in frontier:
                nxt |= self._users.get(f, set())
            frontier = nxt - out
            out |= nxt
        return out

    def _entity_ids(self, f: Func) -> str:
        """`fetchSourceContents(): Promise<number[]>`, or a `number[]` fetched from `/…/source-contents`:
        a list of numbers named after an affected entity holds its keys."""
        if self.norm(f.return_type, f.file) != "number[]":
            return ""
        ent = self.kn.plural_entity_suffix(f.name.rpartition(".")[2])
        if ent:
            return f"{f.name} returns {ent} ids ({self.kn.entity_origins.get(ent, '')})".replace(" ()", "")
        for url in f.urls:
            parts = url_parts(url, f.file)
            segs = _segments(parts or [])
            ent = self.kn.plural_entity_suffix(segs[-1]) if segs and isinstance(segs[-1], str) else ""
            if ent:
                return f"{f.file.text(url)} returns {ent} ids"
        return ""

    def _round(self, fi: FileIndex) -> None:
        for b in fi.bindings:
            if b.key:
                continue
            if b.prop_of and b.kind == "param" and b.source_type is not None:
                st = self.norm(b.source_type, fi)
                if st is not None:
                    why = self.is_key_member(self.type_key(st, fi), b.prop_of)
                    if why:
                        self.mark(b, why)
                        continue
            if b.prop_of and b.kind == "var" and b.init is not None:
                st = self.type_of(b.init, b.func, fi)
                if st is not None:
                    why = self.is_key_member(self.type_key(st, fi), b.prop_of)
                    if why:
                        self.mark(b, why)
                elif b.init.type == "call_expression":
                    for ret, g in self._returned_prop_exprs(callee_name(fi, b.init), b.prop_of):
                        why = self.is_key(ret, g, g.file)
                        if why:
                            self.mark(b, why)
                            break
                continue
            if b.init is not None and b.kind in ("var", "state", "ref"):
                init = b.init
                if b.kind == "state" and init.type == "arrow_function":
                    cb = fi.func_of(init)
                    why = next((w for w in (self.is_key(r, cb, fi) for r in (cb.returns if cb else ())) if w), "")
                else:
                    why = self.is_key(init, b.func, fi)
                if why:
                    self.mark(b, why)
                if not b.id_map and init.type in ("new_expression", "call_expression", "object", "identifier"):
                    mw = self.map_key(init, b.func, fi)
                    if mw:  # const byId = new Map(rows.map((r) => [r.id, r]))
                        b.id_map = mw
                        self._touch(fi)
            elif b.kind == "param" and not b.prop_of and b.type_node is not None:
                ty = self.norm(b.type_node, fi)
                if isinstance(ty, str) and self.kn.is_key_alias_type(ty):
                    self.mark(b, f"typed {ty}")
        for b in fi.bindings:  # const x: ContentItem = { id: tempId(), ... }
            if b.kind == "var" and b.init is not None and b.type_node is not None and not b.prop_of:
                init = b.init
                while init.type in _TRANSPARENT and init.named_children:
                    init = init.named_children[0]
                if init.type == "object":
                    self._typed_object(fi, init, self.norm(b.type_node, fi), b.func)
        for b in fi.bindings:  # a key variable initialised from a cast makes the cast a hazard
            if b.key and b.kind in ("var", "state", "ref") and b.init is not None and not b.prop_of:
                init = b.init
                if b.kind == "state" and init.type == "arrow_function":
                    cb = fi.func_of(init)
                    for r in cb.returns if cb is not None else ():
                        self.mark_backward(r, cb, fi, b.why)
                else:
                    self.mark_backward(init, b.func, fi, b.why)
            elif b.key and b.kind == "param" and b.index == 0 and not b.prop_of:
                self._callback_of_key_collection(b)
            elif not b.key and b.kind == "param" and not b.prop_of and b.index in (0, 1):
                self._element_of_key_collection(b)
        for f in fi.funcs:
            if not f.ret_key:
                for ret in f.returns:
                    why = self.is_key(ret, f, fi)
                    if why:
                        self.mark_ret(f, why)
                        break
        for f in fi.funcs:  # function reducer(s: State, a: Action): State { return { ...s, pickedId: a.orderId } }
            if f.return_type is not None and f.returns:
                ty = self.norm(f.return_type, fi)
                for ret in f.returns:
                    while ret.type == "parenthesized_expression" and ret.named_children:
                        ret = ret.named_children[0]
                    if ret.type == "object":
                        self._object_members(fi, ret, ty, f)
        for node, func in fi.watched:
            if node.type == "subscript_expression":  # totals[id] = ...: a map keyed by the key
                index = node.child_by_field_name("index")
                obj = node.child_by_field_name("object")
                if index is not None and obj is not None and index.type not in ("number", "string"):
                    holder = self.holder(obj, func, fi)
                    why = self.is_key(index, func, fi) if holder is not None else ""
                    if why and holder is not None and holder.id_map == "":
                        holder.id_map = why
                        self._touch(holder.file)
        for left, right, func in self._equalities(fi):  # rows.find((r) => r.id === selectedId)
            lk = self.is_key(left, func, fi)
            rk = self.is_key(right, func, fi)
            if lk and not rk:
                self.mark_backward(right, func, fi, lk)
            elif rk and not lk:
                self.mark_backward(left, func, fi, rk)
        if fi.jsx and b"data-" in fi.src.data:
            self._data_attributes(fi)
        calls, jsx = self._prepared(fi)
        for call, func, args, name in calls:
            self._call(fi, call, func, args, name)
        for el, func, comps in jsx:
            self._jsx(fi, el, func, comps)

    def _prepared(self, fi: FileIndex) -> tuple[list[tuple[ts.Node, Func | None, list[ts.Node], str]],
                                                 list[tuple[ts.Node, Func | None, list[Func]]]]:
        """Calls with arguments and elements of project components, worked out once per file."""
        cached = self._prep.get(id(fi))
        if cached is None:
            calls = []
            for call, func in fi.calls:
                args_node = call.child_by_field_name("arguments")
                if args_node is None or args_node.type != "arguments" or args_node.named_child_count == 0:
                    continue
                name = callee_name(fi, call)
                if name:
                    calls.append((call, func, args_node.named_children, name))
            jsx = []
            for el, func in fi.jsx:
                n = el.child_by_field_name("name")
                comps = self.funcs.get(fi.text(n), []) if n is not None else []
                if comps:
                    jsx.append((el, func, list(comps)))
            cached = (calls, jsx)
            self._prep[id(fi)] = cached
        return cached

    def _equalities(self, fi: FileIndex) -> list[tuple[ts.Node, ts.Node, Func | None]]:
        """`a === b` / `a !== b` between two values (no literal side): the two hold the same kind of id."""
        cached = self._eq.get(id(fi))
        if cached is None:
            cached = []
            for node, func in fi.watched:
                if node.type != "binary_expression":
                    continue
                op = node.child_by_field_name("operator")
                left = node.child_by_field_name("left")
                right = node.child_by_field_name("right")
                if op is None or left is None or right is None or fi.text(op) not in ("===", "!==", "==", "!="):
                    continue
                if {left.type, right.type} & _LITERALS:
                    continue
                cached.append((left, right, func))
            self._eq[id(fi)] = cached
        return cached

    def _typed_object(self, fi: FileIndex, obj: ts.Node, ty: TypeRef | None, func: Func | None) -> None:
        """An object literal of an affected type: values put into its key members are keys."""
        if ty is None or ty == "number":
            return
        tkey = self.type_key(ty, fi)
        for k, v in _object_pairs(obj):
            why = self.is_key_member(tkey, fi.text(k).strip("'\""))
            if why and not self.is_key(v, func, fi):
                self.mark_backward(v, func, fi, why)

    def _object_members(self, fi: FileIndex, obj: ts.Node, ty: TypeRef | None, func: Func | None) -> None:
        """An object literal of a type declared in the project (a function's declared return type): a member
        given a key holds the key on that type."""
        if not isinstance(ty, str) or ty not in self.types:
            return
        for k, v in _object_pairs(obj):
            if k.type not in ("property_identifier", "shorthand_property_identifier"):
                continue
            member = fi.text(k)
            if self.is_key_member(ty, member):
                continue
            why = self.is_key(v, func, fi)
            if why:
                self.key_members[(ty, member)] = f"{ty}.{member} is given the key: {why}"
                self._touch_all()

    def _element_of_key_collection(self, b: Binding) -> None:
        """`[...selected].sort((a, b) => a - b)` on a key collection: `a` and `b` are keys."""
        if b.func is None or b.func.node.type not in ("arrow_function", "function_expression"):
            return
        args = b.func.node.parent
        call = args.parent if args is not None and args.type == "arguments" else None
        if call is None or call.type != "call_expression" or args is None or args.named_children[0] != b.func.node:
            return
        fn = call.child_by_field_name("function")
        if fn is None or fn.type != "member_expression":
            return
        prop = fn.child_by_field_name("property")
        method = b.file.text(prop) if prop is not None else ""
        if method not in ARRAY_METHODS or (b.index == 1 and method not in ("sort", "toSorted", "reduce")):
            return
        if method == "reduce" and b.index == 0:
            return
        why = self.is_key(fn.child_by_field_name("object"), b.func.parent, b.file)
        if why:
            self.mark(b, why)

    def _callback_of_key_collection(self, b: Binding) -> None:
        """`ids.map((id) => ...)` on a key collection: `id` is a key, and back."""
        if b.func is None:
            return
        args = b.func.node.parent
        call = args.parent if args is not None and args.type == "arguments" else None
        if call is None or call.type != "call_expression":
            return
        fn = call.child_by_field_name("function")
        if fn is None or fn.type != "member_expression":
            return
        prop = fn.child_by_field_name("property")
        if prop is None or b.file.text(prop) not in ARRAY_METHODS:
            return
        self.mark_backward(fn.child_by_field_name("object"), b.func.parent, b.file, b.why)

    def _call(self, fi: FileIndex, call: ts.Node, func: Func | None, args: list[ts.Node], name: str) -> None:
        short = name.rpartition(".")[2]
        if short == "setItem" and len(args) >= 2:
            why = self.is_key(args[1], func, fi)
            if not why:
                inner = args[1]
                while inner.type == "call_expression" and fi.text(inner.child_by_field_name("function") or inner) in \
                        ("String", "JSON.stringify") and inner.child_by_field_name("arguments") is not None:
                    a = inner.child_by_field_name("arguments")
                    if a is None or not a.named_children:
                        break
                    inner = a.named_children[0]
                why = self.is_key(inner, func, fi)
            slot = self.slot(args[0], func, fi)
            if why and slot and slot not in self.storage_slots:
                self.storage_slots[slot] = why
                self._touch_all()
            return
        if "." in name and short in _COLLECTION_ARG and args:
            obj = call.child_by_field_name("function")
            recv = obj.child_by_field_name("object") if obj is not None else None
            arg0 = args[0]
            why = self.is_key(arg0, func, fi)
            if why and recv is not None:
                if short in ("get", "set") and recv.type in ("identifier", "member_expression"):
                    b = self.holder(recv, func, fi)
                    if b is not None and not b.id_map:
                        b.id_map = why
                        self._touch(b.file)
                else:
                    self.mark_backward(recv, func, fi, why)
            elif recv is not None and short in ("has", "includes", "indexOf", "add", "delete", "push") and \
                    arg0.type not in ("number", "string") and self.is_key(recv, func, fi):
                self.mark_backward(arg0, func, fi, self.is_key(recv, func, fi))
            elif recv is not None and short in ("get", "has", "delete", "set") and arg0.type not in ("number", "string"):
                b = self.holder(recv, func, fi)  # titles.get(id) on a map keyed by the key: id is a key
                if b is not None and b.id_map:
                    self.mark_backward(arg0, func, fi, b.id_map)
        if short in ("useInfiniteQuery", "useSuspenseInfiniteQuery", "infiniteQueryOptions") and args and \
                args[0].type == "object":
            self._infinite(fi, args[0])
        local = fi.resolve(name, func) if "." not in name else None
        if local is not None and local.kind == "state" and name == local.setter and args:
            self._setter_call(local, args, func, fi)
            return
        if local is not None and local.kind == "param":
            self._call_fn_typed(fi, local, args, func)
            if not local.id_map and args[0].type in ("arrow_function", "function_expression"):
                cb = fi.func_of(args[0])  # setState((prev) => new Map(prev).set(id, v)), setState a parameter
                mw = next((w for w in (self.map_key(r, cb, fi) for r in (cb.returns if cb else ())) if w), "")
                if mw:
                    local.id_map = mw
                    self._touch(fi)
        targets = list(self.funcs.get(name, ()))
        if not targets and "." in name:  # selection.toggle(id), with selection = useSelection()
            fn = call.child_by_field_name("function")
            obj = fn.child_by_field_name("object") if fn is not None else None
            for ret, g in self._returned_props(obj, func, fi, short):
                target = self._function_value(ret, g)
                if target is not None:
                    targets.append(target)
                elif ret.type in ("identifier", "shorthand_property_identifier"):
                    state = g.file.resolve(g.file.text(ret), g)  # selection.setFocusedId(id)
                    if state is not None and state.kind == "state" and state.setter == g.file.text(ret):
                        self._setter_call(state, args, func, fi)
        elif not targets and local is not None and local.kind == "var" and local.prop_of and local.init is not None \
                and local.init.type == "call_expression":  # const { toggle } = useSelection()
            for ret, g in self._returned_prop_exprs(callee_name(fi, local.init), local.prop_of):
                target = self._function_value(ret, g)
                if target is not None:
                    targets.append(target)
                elif ret.type in ("identifier", "shorthand_property_identifier"):
                    state = g.file.resolve(g.file.text(ret), g)  # const { setFocusedId } = useSelection()
                    if state is not None and state.kind == "state" and state.setter == g.file.text(ret):
                        self._setter_call(state, args, func, fi)
        for g in targets:
            for i, arg in enumerate(args):
                if i >= len(g.params):
                    break
                group = g.params[i]
                if len(group) == 1 and not group[0].prop_of:
                    b = group[0]
                    if arg.type == "object" and b.type_node is not None:
                        self._typed_object(fi, arg, self.norm(b.type_node, g.file), func)
                        continue
                    # search(String(id)): a text parameter does not become a key by it (the other way round,
                    # a text parameter that is a key by its own route makes `id` one)
                    why = "" if _stringified(arg, fi) and not self._number_slot(b) else self.is_key(arg, func, fi)
                    if why:
                        self.mark(b, f"{why} -> {g.name}({b.name})")
                    elif b.key and self._kind_allows(g, i, args, fi) and not self._foreign_ids(arg, fi, b):
                        self.mark_backward(arg, func, fi, b.why)
                elif group and arg.type == "object":
                    self._object_arg(fi, arg, func, group, g.name)

    def _foreign_ids(self, expr: ts.Node, fi: FileIndex, target: Binding) -> bool:
        """`tagIds` given to a shared picker that also receives the key elsewhere: named after another record
        the project declares (`Tag`, not affected), so the backward flow stops there, and the picker's
        parameter is remembered as shared (`self.shared`): its fix is a person's (a generic), not `string`."""
        if expr.type not in ("identifier", "shorthand_property_identifier", "member_expression"):
            return False
        node = expr.child_by_field_name("property") if expr.type == "member_expression" else expr
        name = fi.text(node) if node is not None else ""
        m = _FOREIGN_IDS.match(name)
        if m is None or self.kn.is_key_name(name) or self.kn.entity_word(m.group(1)):
            return False
        record = m.group(1)[:1].upper() + m.group(1)[1:]
        if record not in self.types or record in self.affected or self.kn.is_entity_type(record):
            return False
        if id(target) not in self.shared:
            self.shared[id(target)] = name
            if target.why.endswith((">", ")")):  # "... -> <IdPicker selectedIds>": what flowed from it
                self.shared_whys[target.why] = name
            if target.prop_of and target.source_type is not None:
                st = self.norm(target.source_type, target.file)
                if st is not None:
                    self.shared_members[(self.type_key(st, target.file), target.prop_of)] = name
                    self.shared_types.setdefault(self.type_key(st, target.file), name)
            self._touch_all()
        return True

    def _discriminator(self, g: Func, i: int) -> int:
        """The index of the parameter that says which entity parameter `i` refers to, -1 when none:
        `fetchAudit(subjectKind, subjectId)` is a polymorphic sink, its id is not always our key."""
        for j, group in enumerate(g.params):
            if j == i or len(group) != 1 or group[0].prop_of:
                continue
            b = group[0]
            tnode = unwrap_type(b.type_node)
            if _DISCRIMINATOR.search(b.name) or (tnode is not None and tnode.type in ("lookup_type",
                                                                                     "literal_type")):
                if tnode is None or tnode.type != "predefined_type" or g.file.text(tnode) == "string":
                    return j
        return -1

    def _kind_allows(self, g: Func, i: int, args: list[ts.Node], fi: FileIndex) -> bool:
        """Backward flow into the argument of a polymorphic sink only when the call's kind argument
        names an affected entity (`fetchHistory("content", x)`), never for `fetchHistory("order", x)`.
        A sink is polymorphic when its kind parameter is typed or called with an entity's name;
        `thumbnail(contentId, sizeType)` called with "small" is not."""
        d = self._discriminator(g, i)
        if d < 0 or not self._polymorphic(g, d):
            return True
        if d >= len(args) or args[d].type != "string":
            return False
        return bool(self.kn.entity_word(fi.text(args[d])[1:-1]))

    def _polymorphic(self, g: Func, d: int) -> bool:
        key = (id(g), d)
        cached = self._poly.get(key)
        if cached is None:
            words: set[str] = set()
            b = g.params[d][0]
            if b.type_node is not None:
                words.update(re.findall(r"['\"]([\w-]+)['\"]", g.file.text(b.type_node)))
            if self._calls_by_name is None:
                self._calls_by_name = defaultdict(list)
                for f in self.files:
                    for _call, _func, args, name in self._prepared(f)[0]:
                        self._calls_by_name[name].append((f, args))
            for f, args in self._calls_by_name.get(g.name, ()):
                if d < len(args) and args[d].type == "string":
                    words.add(f.text(args[d])[1:-1])
            cached = self._poly[key] = any(self.kn.entity_word(w) for w in words)
        return cached

    def _setter_call(self, state: Binding, args: list[ts.Node], func: Func | None, fi: FileIndex) -> None:
        """`setSelectedId(x)` (also on a `useState` pair returned by a hook): x and the state agree. An
        updater (`setPicked((prev) => new Set(prev).add(item.id))`) agrees through its parameter, which is
        the state, and what it returns."""
        if not args:
            return
        if args[0].type in ("arrow_function", "function_expression"):
            self._updater(state, args[0], fi)
            return
        why = self.is_key(args[0], func, fi)
        if why:
            self.mark(state, why)
        elif state.key:
            self.mark_backward(args[0], func, fi, state.why)
        if not state.id_map:
            mw = self.map_key(args[0], func, fi)
            if mw:
                state.id_map = mw
                self._touch(state.file)

    def _updater(self, state: Binding, fn: ts.Node, fi: FileIndex) -> None:
        cb = fi.func_of(fn)
        if cb is None:
            return
        group = cb.params[0] if cb.params else []
        prev = group[0] if len(group) == 1 and not group[0].prop_of else None
        if not state.key:
            why = prev.why if prev is not None and prev.key else ""
            why = why or next((w for w in (self.is_key(r, cb, fi) for r in cb.returns) if w), "")
            if why:
                self.mark(state, why)
        if state.key:
            if prev is not None:
                self.mark(prev, state.why)
            for r in cb.returns:
                self.mark_backward(r, cb, fi, state.why)
        if prev is not None and state.id_map and not prev.id_map:
            prev.id_map = state.id_map
            self._touch(fi)
        if not state.id_map:
            mw = (prev.id_map if prev is not None else "") or \
                next((w for w in (self.map_key(r, cb, fi) for r in cb.returns) if w), "")
            if mw:
                state.id_map = mw
                self._touch(state.file)

    def _data_attributes(self, fi: FileIndex) -> None:
        """`<li data-id={item.id} onClick={pick}>`: `e.currentTarget.dataset.id` read in this file is a key."""
        attrs = self._data_attrs.get(id(fi))
        if attrs is None:
            attrs = []
            for el, func in fi.jsx:
                for attr in el.named_children:
                    if attr.type != "jsx_attribute" or len(attr.named_children) < 2:
                        continue
                    aname = fi.text(attr.named_children[0])
                    value = attr.named_children[1]
                    if aname.startswith("data-") and value.type == "jsx_expression" and value.named_children:
                        attrs.append((camel(aname[5:].replace("-", "_")), value.named_children[0], func))
            self._data_attrs[id(fi)] = attrs
        for prop, expr, func in attrs:
            k = (fi.sf.path, prop)
            if k not in self.dataset_keys:
                why = self.is_key(expr, func, fi)
                if why:
                    self.dataset_keys[k] = f"data-{prop} holds {why}"
                    self._touch(fi)

    def _function_value(self, expr: ts.Node, g: Func) -> Func | None:
        """The function an expression of `g` names: `toggle` declared as `useCallback((id) => ...)`."""
        if expr.type in ("arrow_function", "function_expression"):
            return g.file.func_of(expr)
        if expr.type not in ("identifier", "shorthand_property_identifier"):
            return None
        b = g.file.resolve(g.file.text(expr), g)
        if b is None or b.init is None:
            return None
        init = b.init
        if init.type == "call_expression" and callee_name(g.file, init).rpartition(".")[2] == "useCallback":
            args = init.child_by_field_name("arguments")
            init = args.named_children[0] if args is not None and args.named_children else init
        return g.file.func_of(init) if init.type in ("arrow_function", "function_expression") else None

    def fn_type_of(self, b: Binding) -> tuple[ts.Node, FileIndex] | None:
        """The function type a binding is declared with (`onToggle: (id: number) => void`)."""
        if b.type_node is not None:
            node = unwrap_type(b.type_node)
            return (node, b.file) if node is not None and node.type == "function_type" else None
        if b.prop_of and b.source_type is not None:
            st = self.norm(b.source_type, b.file)
            if st is not None:
                found = self.member_type(st, b.prop_of, b.file)
                if found and found[0].type == "function_type":
                    return found
        return None

    def fn_param_key(self, fn_type: ts.Node, fi: FileIndex, i: int) -> str:
        key = (fi.sf.path, fn_type.start_byte, i)
        if key in self.fn_params:
            return self.fn_params[key]
        params = fn_type.child_by_field_name("parameters")
        plist = [p for p in params.named_children if p.type in ("required_parameter", "optional_parameter")] \
            if params is not None else []
        if i < len(plist):
            pat = plist[i].child_by_field_name("pattern")
            if pat is not None and self.kn.is_key_name(fi.text(pat)):
                return self.kn.origin(fi.text(pat)) or f"{fi.text(pat)} names the key"
        return ""

    def set_fn_param(self, fn_type: ts.Node, fi: FileIndex, i: int, why: str) -> None:
        key = (fi.sf.path, fn_type.start_byte, i)
        if key not in self.fn_params and not self.fn_param_key(fn_type, fi, i):
            self.fn_params[key] = why
            self._touch_all()

    def _call_fn_typed(self, fi: FileIndex, b: Binding, args: list[ts.Node], func: Func | None) -> None:
        found = self.fn_type_of(b)
        if not found:
            return
        fn_type, tfi = found
        for i, arg in enumerate(args):
            why = self.is_key(arg, func, fi)
            if why:
                self.set_fn_param(fn_type, tfi, i, why)
            else:
                known = self.fn_param_key(fn_type, tfi, i)
                if known:
                    self.mark_backward(arg, func, fi, known)

    def _object_arg(self, fi: FileIndex, obj: ts.Node, func: Func | None, group: list[Binding], gname: str) -> None:
        by_prop = {b.prop_of: b for b in group}
        for p in obj.named_children:
            if p.type == "shorthand_property_identifier":
                key, value = fi.text(p), p
            elif p.type == "pair":
                k = p.child_by_field_name("key")
                v = p.child_by_field_name("value")
                if k is None or v is None:
                    continue
                key, value = fi.text(k), v
            else:
                continue
            b = by_prop.get(key)
            if b is None:
                continue
            why = self.is_key(value, func, fi)
            if why:
                self.mark(b, f"{why} -> {gname}({key})")
            elif b.key and not self._foreign_ids(value, fi, b):
                self.mark_backward(value, func, fi, b.why)

    def _jsx(self, fi: FileIndex, el: ts.Node, func: Func | None, comps: list[Func]) -> None:
        for attr in el.named_children:
            if attr.type != "jsx_attribute" or not attr.named_children:
                continue
            aname = fi.text(attr.named_children[0])
            value = attr.named_children[1] if len(attr.named_children) > 1 else None
            if value is None or value.type != "jsx_expression" or not value.named_children:
                continue
            expr = value.named_children[0]
            text = _stringified(expr, fi)
            for g in comps:
                if not g.params or not g.params[0]:
                    continue
                group = g.params[0]
                target = next((b for b in group if b.prop_of == aname), None)
                if target is None and len(group) == 1 and not group[0].prop_of:
                    pb = group[0]  # props.contentId
                    if pb.type_node is not None:
                        st = self.norm(pb.type_node, g.file)
                        if st is not None:
                            k = (self.type_key(st, g.file), aname)
                            slot = self.member_type(st, aname, g.file) if text else None
                            numeric = slot is not None and bool(re.search(r"\bnumber\b", slot[1].text(slot[0])))
                            why = "" if text and not numeric else self.is_key(expr, func, fi)
                            if why and not self.is_key_member(*k):
                                self.key_members[k] = why
                                self._touch_all()
                            elif self.is_key_member(*k):
                                self.mark_backward(expr, func, fi, self.is_key_member(*k))
                    continue
                if target is None:
                    continue
                fn_t = self.fn_type_of(target)
                if fn_t is not None:
                    self._pass_callback(fi, expr, func, fn_t)
                    continue
                # <Combo value={String(x.persona_id)} />: a text widget's value is not an id slot by it
                why = "" if text and not self._number_slot(target) else self.is_key(expr, func, fi)
                if why:
                    if not target.key:
                        self.mark(target, f"{why} -> <{g.name} {aname}>")
                elif target.key and not self._foreign_ids(expr, fi, target):
                    self.mark_backward(expr, func, fi, target.why)

    def _number_slot(self, b: Binding) -> bool:
        """A parameter or prop whose declared type states `number` (`id: number`, `ids?: number[]`); False
        for text (`value: string`) and for a type this flow cannot see (`WithoutStyles<Props>`)."""
        node: ts.Node | None = unwrap_type(b.type_node)
        tfi = b.file
        if node is None and b.prop_of and b.source_type is not None:
            st = self.norm(b.source_type, b.file)
            found = self.member_type(st, b.prop_of, b.file) if st is not None else None
            node, tfi = found if found else (None, b.file)
        return node is not None and bool(re.search(r"\bnumber\b", tfi.text(node)))

    def _pass_callback(self, fi: FileIndex, expr: ts.Node, func: Func | None,
                       fn_t: tuple[ts.Node, FileIndex]) -> None:
        """A callback passed into a function-typed prop: its parameters and the prop's agree."""
        fn_type, tfi = fn_t
        if expr.type in ("arrow_function", "function_expression"):
            cb = fi.func_of(expr)
            if cb is not None:
                self._callback_params(cb, fn_type, tfi)
        elif expr.type == "identifier":
            src = fi.resolve(fi.text(expr), func)
            other = self.fn_type_of(src) if src is not None else None
            if other is None:  # const open = (orderId: number) => ...; <Table onOpen={open} />
                cb = self._function_value(expr, func) if func is not None and src is not None else None
                if cb is not None:
                    self._callback_params(cb, fn_type, tfi)
                return
            for i in range(8):
                a = self.fn_param_key(fn_type, tfi, i)
                b_ = self.fn_param_key(other[0], other[1], i)
                if a and not b_:
                    self.set_fn_param(other[0], other[1], i, a)
                elif b_ and not a:
                    self.set_fn_param(fn_type, tfi, i, b_)

    def _callback_params(self, cb: Func, fn_type: ts.Node, tfi: FileIndex) -> None:
        for i, group in enumerate(cb.params):
            if len(group) != 1:
                continue
            b = group[0]
            known = self.fn_param_key(fn_type, tfi, i)
            if known:
                self.mark(b, known)
            elif b.key:
                self.set_fn_param(fn_type, tfi, i, b.why)

    # ------------------------------------------------------------------ URLs -> backend routes
    def link_zod(self) -> None:
        """`bulkPublishSchema = z.object({ ids: z.array(contentIdSchema) })`: `ids` holds keys, and so
        does the member of the TS types the schema validates (`BulkPublishRequest.ids`, by name)."""
        key_schemas: set[str] = set()
        objects: list[tuple[str, ts.Node, FileIndex]] = []
        for fi in self.files:
            for decl, _func in fi.declarators:
                name = decl.child_by_field_name("name")
                value = decl.child_by_field_name("value")
                if name is None or value is None or name.type != "identifier" or value.type != "call_expression":
                    continue
                vname = fi.text(name)
                vtext = fi.text(value)
                if not vtext.startswith("z."):
                    continue
                if "z.object" in vtext[:12]:
                    objects.append((vname, value, fi))
                elif self.kn.name_returns_key(re.sub(r"(Schema|Param|Params|Validator)$", "", vname)):
                    key_schemas.add(vname)
        if not objects:
            return
        for vname, value, fi in objects:
            args = value.child_by_field_name("arguments")
            obj = args.named_children[0] if args is not None and args.named_children else None
            if obj is None or obj.type != "object":
                continue
            base = re.sub(r"(Schema|Validator|Shape)$", "", vname)
            bases = type_bases(base[:1].upper() + base[1:])
            for pair in obj.named_children:
                k = pair.child_by_field_name("key") if pair.type == "pair" else None
                v = pair.child_by_field_name("value") if pair.type == "pair" else None
                if k is None or v is None:
                    continue
                used = set(re.findall(r"[A-Za-z_]\w*", fi.text(v)))
                if not used & key_schemas:
                    continue
                member = fi.text(k).strip("'\"")
                why = f"{vname}.{member} is validated by {sorted(used & key_schemas)[0]}"
                for tname in self.types:
                    if type_bases(tname) & bases and (tname, member) not in self.key_members:
                        self.key_members[(tname, member)] = why

    def link_spa_routes(self) -> None:
        """`/auto/${autoId}` and `'/auto/:autoId'` (react-router): the builder's value is the page's param."""
        if not self.spa_patterns:
            return
        keyed = {b.prop_of: b.why for fi in self.files for b in fi.bindings
                 if b.key and b.prop_of and b.init is not None and b.init.type == "call_expression"
                 and callee_name(fi, b.init).rpartition(".")[2] == "useParams"}
        if not keyed:
            return
        for _node, func, fi, parts in self.url_templates:
            segs = _segments(parts)
            for pattern in self.spa_patterns:
                if len(pattern) != len(segs):
                    continue
                pairs = list(zip(pattern, segs, strict=True))
                if all((p.startswith(":") and not isinstance(u, str)) or p == u for p, u in pairs):
                    for p, u in pairs:
                        if p.startswith(":") and p[1:].rstrip("?") in keyed and not isinstance(u, str):
                            self.mark_backward(u, func, fi, keyed[p[1:].rstrip("?")])

    def template_keys(self, text: str, method: str = "") -> dict[str, str]:
        """An OpenAPI path template as generated clients write it (`/api/v1/projects/{id}`): its placeholders
        at a matching backend route's key path params -> why. The placeholder may be named otherwise than
        the backend's parameter."""
        segs = [x for x in text.split("?")[0].split("/") if x]
        out: dict[str, str] = {}
        if not segs or "{" not in text:
            return out
        for route in self.kn.routes:
            rsegs = [x for x in route.template.split("?")[0].split("/") if x]
            if len(segs) > len(rsegs) or any(r.startswith("{") for r in rsegs[: len(rsegs) - len(segs)]) or \
                    (method and route.method != method.upper()):
                continue
            subs: dict[str, str] = {}
            hits = 0
            for u, r in zip(segs, rsegs[len(rsegs) - len(segs) :], strict=True):
                uparam, rparam = u.startswith("{") and u.endswith("}"), r.startswith("{") and r.endswith("}")
                if uparam != rparam or (not uparam and u != r):
                    break
                if uparam and r.strip("{}").split(":")[0] in route.params:
                    subs[u.strip("{}")] = f"{route.method} {route.template} ({route.origin})"
                hits += not uparam
            else:
                if hits:
                    for k, v in subs.items():
                        out.setdefault(k, v)
        return out

    def _template_call(self, node: ts.Node, func: Func | None, fi: FileIndex) -> None:
        """`__request(OpenAPI, { url: '/api/v1/projects/{id}', path: { id: data.id } })` (a generated
        service): the values given to the template's key placeholders are keys."""
        pair = node.parent
        obj = pair.parent if pair is not None and pair.type == "pair" else None
        method = _pair_value(obj, "method", fi) if obj is not None and obj.type == "object" else None
        keys = self.template_keys(fi.text(node)[1:-1], fi.text(method)[1:-1] if method is not None and
                                  method.type == "string" else "")
        if not keys:
            return
        why = next(iter(keys.values()))
        if func is not None and not func.named.route:
            func.named.route = why
        if obj is None or obj.type != "object":
            return
        path = _pair_value(obj, "path", fi)
        if path is None or path.type != "object":
            return
        for k, v in _object_pairs(path):
            w = keys.get(fi.text(k).strip("'\""))
            if w:
                self.mark_backward(v, func, fi, w)

    def link_routes(self) -> None:
        for fi in self.files:
            for node, func in fi.strings:
                if node.type == "string" and b"{" in fi.src.data[node.start_byte : node.end_byte]:
                    self._template_call(node, func, fi)
                if node.type == "string":
                    text = fi.text(node)[1:-1]
                    if text.startswith("/") and "/:" in text and " " not in text:
                        self.spa_patterns.append([x for x in text.split("?")[0].split("/") if x])
                parts = url_parts(node, fi)
                if parts is None:
                    continue
                if func is not None:
                    func.named.urls.append(node)
                if node.type == "template_string":
                    self.url_templates.append((node, func, fi, parts))
                for route, subs in self.match_routes(parts):
                    why = f"{route.method} {route.template} ({route.origin})"
                    if func is not None and not func.named.route:
                        func.named.route = why
                    for expr in subs:
                        self.mark_backward(expr, func, fi, why)
                    self._entity_payload(node, func, fi, route)
                self._route_queries(node, func, fi, parts)

    def _entity_payload(self, url: ts.Node, func: Func | None, fi: FileIndex, route: RouteSeed) -> None:
        """`api.get<Board>(`/projects/${id}`)`, or a function declared to return `Promise<Board>` that calls it:
        what `GET /projects/{project_id}` returns is the record the key identifies, so `Board.id` is the key
        whatever the front end calls the type. Not for `/metrics/projects/{project_id}` (metrics about it)."""
        if route.method not in ("GET", "PUT", "PATCH"):
            return
        segs = [x for x in route.template.split("?")[0].split("/") if x]
        if len(segs) < 2 or not segs[-1].startswith("{") or segs[-2].startswith("{") or \
                segs[-1].strip("{}").split(":")[0] not in route.params:
            return
        before = [x for x in segs[:-2] if x.lower() not in _GENERIC_SEGMENTS]
        if before and not before[-1].startswith("{"):
            return
        ty: TypeRef | None = None
        args = url.parent
        call = args.parent if args is not None and args.type == "arguments" else None
        if call is not None and call.type == "call_expression":
            targs = call.child_by_field_name("type_arguments")
            if targs is not None and len(targs.named_children) == 1:
                ty = self.norm(targs.named_children[0], fi)
        if ty is None and func is not None and func.named.return_type is not None:
            ty = self.norm(func.named.return_type, func.named.file)
        if not isinstance(ty, str) or self.is_key_member(ty, "id"):
            return
        decls = [d for d in self.types.get(ty, ()) if "id" in d.members and
                 d.node.child_by_field_name("type_parameters") is None]
        if decls:
            self.key_members[(ty, "id")] = f"{ty} is what {route.method} {route.template} returns ({route.origin})"

    def _route_queries(self, node: ts.Node, func: Func | None, fi: FileIndex, parts: list[str | ts.Node]) -> None:
        """A route seed's params that are not in its template are query parameters holding the key
        (`GET /orders?shipment=`): the URL's `?shipment=${x}` and the call's `{ params: { shipment } }`."""
        segs = _segments(parts)
        for route in self.kn.routes:
            path_params = set(re.findall(r"{(\w+)(?::\w+)?}", route.template))
            query = [q for q in route.params if q not in path_params]
            if not query:
                continue
            matched = self._path_match(segs, route)
            if matched is None:
                continue
            why = f"{route.method} {route.template}?{query[0]}= ({route.origin})"
            values: list[ts.Node] = []
            for i, p in enumerate(parts):  # `/orders?shipment=${x}`
                if not isinstance(p, str) and i > 0 and isinstance(parts[i - 1], str):
                    before = str(parts[i - 1])
                    if "?" in "".join(x for x in parts[:i] if isinstance(x, str)) and \
                            any(before.endswith((f"?{q}=", f"&{q}=")) for q in query):
                        values.append(p)
            args = node.parent
            if args is not None and args.type == "arguments":  # api.get('/orders', { params: { shipment } })
                later = [a for a in args.named_children if a.start_byte > node.start_byte and a.type == "object"]
                for opts in later[:1]:
                    params = _pair_value(opts, "params", fi)
                    if params is None or params.type != "object":
                        continue
                    for pr in params.named_children:
                        if pr.type == "shorthand_property_identifier" and fi.text(pr) in query:
                            values.append(pr)
                        elif pr.type == "pair":
                            k = pr.child_by_field_name("key")
                            v = pr.child_by_field_name("value")
                            if k is not None and v is not None and fi.text(k).strip("'\"") in query:
                                values.append(v)
            for v in values:
                if func is not None and not func.named.route:
                    func.named.route = why
                self.mark_backward(v, func, fi, why)

    def _path_match(self, segs: list[str | ts.Node], route: RouteSeed) -> list[ts.Node] | None:
        """The URL's expressions at the route's key path params when the URL's path ends like the route's
        template (with at least one literal segment in common); None when it does not."""
        rsegs = [s for s in route.template.split("?")[0].split("/") if s]
        usegs = segs
        if usegs and not isinstance(usegs[0], str) and len(usegs) > 1:
            usegs = usegs[1:]  # `${API}/contents/${id}`: a leading expression is the base URL
        if len(usegs) > len(rsegs) or not usegs:
            return None
        omitted = rsegs[: len(rsegs) - len(usegs)]
        if any(r.startswith("{") for r in omitted):
            return None  # `/tags/${id}` is not `/contents/{content_id}/tags/{tag_id}`: only a base URL may be left out
        tail = rsegs[len(rsegs) - len(usegs):]
        literal_hits = 0
        subs: list[ts.Node] = []
        for u, r in zip(usegs, tail, strict=False):
            rparam = r.startswith("{") and r.endswith("}")
            if isinstance(u, str):
                if rparam or u != r:
                    return None
                literal_hits += 1
            else:
                if not rparam:
                    return None
                if r.strip("{}").split(":")[0] in route.params:
                    subs.append(u)
        return subs if literal_hits else None

    def match_routes(self, parts: list[str | ts.Node]) -> list[tuple[RouteSeed, list[ts.Node]]]:
        """Routes whose template ends like this URL; with the URL's expressions at key params."""
        segs = _segments(parts)
        if not segs:
            return []
        out = []
        for route in self.kn.routes:
            subs = self._path_match(segs, route)
            if subs:
                out.append((route, subs))
        return out


def _stringified(expr: ts.Node, fi: FileIndex) -> bool:
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


def _collection_source(expr: ts.Node, fi: FileIndex) -> ts.Node | None:
    """The x of `new Set(x)` / `new Array(x)` (not a length: `new Array(5)`), whose elements the new
    collection holds; None otherwise."""
    ctor = expr.child_by_field_name("constructor")
    args = expr.child_by_field_name("arguments")
    if ctor is None or fi.text(ctor) not in _SETS or args is None or len(args.named_children) != 1:
        return None
    arg = args.named_children[0]
    return None if arg.type == "number" else arg


def _is_tuple(array: ts.Node) -> bool:
    """A heterogeneous array literal (a query key such as `['orders', orderId, 'page', page]`): a string
    literal among its elements, or `as const` after it. Not a collection of keys: which slot holds the key
    is unknown, so its other elements are not marked."""
    if any(el.type in ("string", "template_string") for el in array.named_children):
        return True
    parent = array.parent
    while parent is not None and parent.type == "parenthesized_expression":
        parent = parent.parent
    return parent is not None and parent.type == "as_expression" and parent.children[-1].type == "const"


def _object_pairs(obj: ts.Node) -> Iterator[tuple[ts.Node, ts.Node]]:
    """(key, value) of an object literal's `key: value` pairs and `{ key }` shorthands."""
    for p in obj.named_children:
        if p.type == "shorthand_property_identifier":
            yield p, p
        elif p.type == "pair":
            k = p.child_by_field_name("key")
            v = p.child_by_field_name("value")
            if k is not None and v is not None:
                yield k, v


def _pair_value(obj: ts.Node, key: str, fi: FileIndex) -> ts.Node | None:
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


def _type_name(node: ts.Node | None, fi: FileIndex) -> str:
    node = unwrap_type(node)
    if node is None:
        return ""
    if node.type == "union_type":
        parts = [c for c in node.named_children if fi.text(c) not in ("null", "undefined")]
        return _type_name(parts[0], fi) if len(parts) == 1 else ""
    return fi.text(node) if node.type == "type_identifier" else ""


def url_parts(node: ts.Node, fi: FileIndex) -> list[str | ts.Node] | None:
    """A URL path as text pieces and interpolated expressions; None when it does not look like a path."""
    parts: list[str | ts.Node] = []
    if node.type == "string":
        text = fi.text(node)[1:-1]
        parts = [text]
    else:
        for c in node.named_children:
            if c.type == "string_fragment":
                parts.append(fi.text(c))
            elif c.type == "template_substitution" and c.named_children:
                parts.append(c.named_children[0])
            elif c.type == "escape_sequence":
                parts.append(fi.text(c))
    first = parts[0] if parts else None
    if isinstance(first, str):
        if not _PATHISH.match(first):
            return None
    elif len(parts) < 2 or not isinstance(parts[1], str) or not parts[1].startswith("/"):
        return None
    parent = node.parent
    if node.type == "string" and (parent is None or parent.type not in ("arguments", "binary_expression", "pair")):
        return None
    if node.type == "string" and parent is not None and parent.type == "binary_expression":
        right = parent.child_by_field_name("right")
        if right is not None and right.id != node.id:
            parts.append(right)
    return parts


def _segments(parts: list[str | ts.Node]) -> list[str | ts.Node]:
    segs: list[str | ts.Node] = []
    current: list[str | ts.Node] = []
    for p in parts:
        if isinstance(p, str):
            path = p.split("?")[0].split("#")[0]
            pieces = path.split("/")
            for i, piece in enumerate(pieces):
                if i > 0:
                    segs.append(_join(current))
                    current = []
                if piece:
                    current.append(piece)
            if "?" in p or "#" in p:  # the query string is not part of the path
                break
        else:
            current.append(p)
    segs.append(_join(current))
    return [s for s in segs if s != ""]


def _join(current: list[str | ts.Node]) -> str | ts.Node:
    if not current:
        return ""
    if len(current) == 1:
        return current[0]
    if all(isinstance(c, str) for c in current):
        return "".join(str(c) for c in current)
    nodes = [c for c in current if not isinstance(c, str)]
    return nodes[0]  # `item-${id}`: treat the segment as the expression's
