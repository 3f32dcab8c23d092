"""Key expressions: why an expression holds a key (or a map keyed by it), and marking a binding, a
function's return or, backward, every value an expression is made of as a key (casts remembered).
"""

from __future__ import annotations

import re

import tree_sitter as ts

from analyzer.typescript.flow.syntax import (
    CASTS,
    SETS,
    TRANSPARENT,
    collection_source,
    is_entry,
    is_tuple,
    tparam_slot,
)
from analyzer.typescript.flow.types import TypeFacts
from analyzer.typescript.index import Binding, FileIndex, Func, callee_name, unwrap_type

#: methods whose result holds the same ids as their receiver (`Set.add` returns the set)
_SAME_COLLECTION = frozenset({"filter", "sort", "toSorted", "slice", "concat", "reverse", "find", "at",
                              "findLast", "values", "keys", "add"})


def returned_objects(g: Func) -> list[tuple[ts.Node, Func]]:
    """The object literals `g` returns, with the function that builds each: `return { ids, toggle }`, and a
    hook's `return useMemo(() => ({ selected, toggle }), [...])` (the memo's callback builds it)."""
    out: list[tuple[ts.Node, Func]] = []
    for ret in g.returns:
        while ret.type == "parenthesized_expression" and ret.named_children:
            ret = ret.named_children[0]
        if ret.type == "object":
            out.append((ret, g))
        elif ret.type == "call_expression" and callee_name(g.file, ret).rpartition(".")[2] == "useMemo":
            args = ret.child_by_field_name("arguments")
            cb = g.file.func_of(args.named_children[0]) if args is not None and args.named_children else None
            if cb is None:
                continue
            for inner in cb.returns:
                while inner.type == "parenthesized_expression" and inner.named_children:
                    inner = inner.named_children[0]
                if inner.type == "object":
                    out.append((inner, cb))
    return out


class KeyExprs(TypeFacts):
    """`is_key` / `map_key` forward, `mark` / `mark_backward` backward."""

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
        if t in TRANSPARENT:
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
            if pname == "value" and self.select_events and obj is not None and obj.type == "member_expression":
                why = self._select_event(obj, func, fi)  # e.target.value in a <select>'s onChange
                if why:
                    return why
            if obj is not None and obj.type == "member_expression" and self.dataset_keys:
                dprop = obj.child_by_field_name("property")
                if dprop is not None and fi.text(dprop) == "dataset":  # e.currentTarget.dataset.id
                    return self.dataset_keys.get((fi.sf.path, pname), "")
            ot = self.type_of(obj, func, fi)
            if isinstance(ot, str) and self.key_tparams:  # row.id, row: T with byId<T extends { id: number }>
                why = self.tparam_member(ot, pname, func)
                if why:
                    return why
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
            if is_entry(expr, fi):  # [e.courseId, e.progress] of new Map(...): a pair, not a list of keys
                return ""
            for el in expr.named_children:
                target = el.named_children[0] if el.type == "spread_element" and el.named_children else el
                why = self.is_key(target, func, fi, depth + 1)
                if why:
                    return why
            return ""
        if t == "call_expression":
            return self._call_is_key(expr, func, fi, depth)
        if t == "new_expression":  # new Set(ids), new Set(items.map((i) => i.id))
            source = collection_source(expr, fi)
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
                why = self.is_key(expr.child_by_field_name("left"), func, fi, depth + 1)
                if why:
                    return why
                right = expr.child_by_field_name("right")
                why = self.is_key(right, func, fi, depth + 1)
                # `stat.name ?? stat.email ?? stat.external_id`: a fallback between other members of the same
                # object gives one field or another (a label), not the key the last one holds
                return "" if why and _sibling_fallback(expr, right, fi) else why
        return ""

    def tparam_member(self, tname: str, member: str, func: Func | None) -> str:
        """Why `member` of a value typed by the type parameter `tname` of an enclosing generic function holds the
        key (the function is called with the target's rows, see `_generic_args`)."""
        f = func
        while f is not None:
            tps = f.node.child_by_field_name("type_parameters")
            if tps is not None and any(f.file.text(tp.child_by_field_name("name") or tp) == tname
                                       for tp in tps.named_children):
                return self.key_tparams.get((f.node.id, tname, member), "")
            f = f.parent
        return ""

    def _select_event(self, target: ts.Node, func: Func | None, fi: FileIndex) -> str:
        """Why `e.target` (`e.currentTarget`) is a `<select>` whose options hold the key: `e` is the first parameter
        of the select's onChange handler (see `_select_options`)."""
        prop = target.child_by_field_name("property")
        ev = target.child_by_field_name("object")
        if prop is None or fi.text(prop) not in ("target", "currentTarget") or ev is None or ev.type != "identifier":
            return ""
        b = fi.resolve(fi.text(ev), func)
        if b is None or b.kind != "param" or b.index != 0 or b.prop_of or b.func is None:
            return ""
        return self.select_events.get(b.func.node.id, "")

    def _call_parts(self, expr: ts.Node, fi: FileIndex) -> tuple[ts.Node | None, list[ts.Node], str]:
        """A call's function node, its arguments and the function's text (syntax only, worked out once)."""
        found = self._calls_parts.get(expr.id)
        if found is None:
            fn = expr.child_by_field_name("function")
            args_node = expr.child_by_field_name("arguments")
            found = (fn, args_node.named_children if args_node is not None else [], fi.text(fn) if fn is not None else "")
            self._calls_parts[expr.id] = found
        return found

    def _call_is_key(self, expr: ts.Node, func: Func | None, fi: FileIndex, depth: int) -> str:
        fn, args, ftext = self._call_parts(expr, fi)
        if fn is None:
            return ""
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
        if ftext.endswith(".get") and self._reading is not None:
            self._reading.add("?qs")  # whether the table is empty is a read too
        if self.search_slots and ftext.endswith(".get"):
            qs = self.search_slot(expr, func, fi, ("get",))
            if qs:
                return self.search_slots.get(qs, "")
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
        for g in self.callees(callee_name(fi, expr), fi):
            if g.ret_key:
                return g.ret_key
            for arg in self._bound_args(g, args):  # toggleIn(selected, id): T[] with T bound to the key here
                why = self.is_key(arg, func, fi, depth + 1)
                if why:
                    return why
            for arg in self._bound_callbacks(g, args):  # useCatalog((s) => s.selected), select: (s: S) => T
                why = self._callback_key(arg, fi, depth)
                if why:
                    return why
        return ""

    @staticmethod
    def _bound_callbacks(g: Func, args: list[ts.Node]) -> list[ts.Node]:
        """The callbacks given to the generic `g` at parameters typed `(...) => T`, with T the type parameter `g`
        returns: what they return at this call is what the call returns."""
        ret = g.return_type
        if ret is None or g.node.child_by_field_name("type_parameters") is None:
            return []
        out = []
        for a, group in zip(args, g.params, strict=False):
            tn = unwrap_type(group[0].type_node) if len(group) == 1 and not group[0].prop_of else None
            rt = tn.child_by_field_name("return_type") if tn is not None and tn.type == "function_type" else None
            if rt is not None and g.file.text(rt) == g.file.text(ret) and tparam_slot(g, ret) and \
                    a.type in ("arrow_function", "function_expression"):
                out.append(a)
        return out

    @staticmethod
    def _bound_args(g: Func, args: list[ts.Node]) -> list[ts.Node]:
        """The arguments of a call to the generic `g` in the slots of the type parameter its return type carries."""
        ret = tparam_slot(g, g.return_type)
        if not ret:
            return []
        return [a for a, group in zip(args, g.params, strict=False)
                if len(group) == 1 and not group[0].prop_of and tparam_slot(g, group[0].type_node) == ret]

    def search_params(self, recv: ts.Node | None, func: Func | None, fi: FileIndex) -> bool:
        """A URL's query string: `url.searchParams`, `new URLSearchParams(...)` (named or not), react-router's
        `const [searchParams] = useSearchParams()`, Next's `const searchParams = useSearchParams()`."""
        if recv is None:
            return False
        while recv.type == "parenthesized_expression" and recv.named_children:
            recv = recv.named_children[0]
        if recv.type == "member_expression":
            prop = recv.child_by_field_name("property")
            return prop is not None and fi.text(prop) == "searchParams"
        if recv.type == "new_expression":  # new URLSearchParams(location.search).get('highlight')
            ctor = recv.child_by_field_name("constructor")
            return ctor is not None and fi.text(ctor) == "URLSearchParams"
        if recv.type != "identifier":
            return False
        b = fi.resolve(fi.text(recv), func)
        if b is None:
            return False
        init = b.init
        if init is None and b.node.parent is not None and b.node.parent.type == "array_pattern" and \
                b.node.parent.named_children and b.node.parent.named_children[0].id == b.node.id:
            decl = b.node.parent.parent
            init = decl.child_by_field_name("value") if decl is not None and decl.type == "variable_declarator" else None
        if init is None:
            return False
        if init.type == "new_expression":
            ctor = init.child_by_field_name("constructor")
            return ctor is not None and fi.text(ctor) == "URLSearchParams"
        return init.type == "call_expression" and callee_name(fi, init).rpartition(".")[2] == "useSearchParams"

    def search_slot(self, call: ts.Node, func: Func | None, fi: FileIndex, methods: tuple[str, ...]) -> str:
        """'highlight' of `searchParams.get('highlight')` (methods ("get",)) or `params.set('highlight', v)`."""
        fn = call.child_by_field_name("function")
        args = call.child_by_field_name("arguments")
        if fn is None or fn.type != "member_expression" or args is None or not args.named_children:
            return ""
        prop = fn.child_by_field_name("property")
        first = args.named_children[0]
        if prop is None or fi.text(prop) not in methods or first.type != "string":
            return ""
        return fi.text(first)[1:-1] if self.search_params(fn.child_by_field_name("object"), func, fi) else ""

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
        if t in TRANSPARENT:
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
        """What the functions named `callee` return as `prop` of an object literal (syntax only: memoized)."""
        found = self._prop_exprs_cache.get((callee, prop))
        if found is None:
            found = self._prop_exprs_cache[(callee, prop)] = self._returned_prop_exprs_of(callee, prop)
        return list(found)

    def _returned_prop_exprs_of(self, callee: str, prop: str) -> list[tuple[ts.Node, Func]]:
        out = []
        for g in self.funcs.get(callee, ()):
            for ret, owner in returned_objects(g):
                for p in ret.named_children:
                    if p.type == "shorthand_property_identifier" and g.file.text(p) == prop:
                        out.append((p, owner))
                    elif p.type == "pair":
                        k = p.child_by_field_name("key")
                        v = p.child_by_field_name("value")
                        if k is not None and v is not None and g.file.text(k) == prop:
                            out.append((v, owner))
        return out

    def _zod_output(self, expr: ts.Node, func: Func | None, fi: FileIndex, why: str) -> None:
        """`schema.parse(raw)` or `parsed.data` of `parsed = schema.safeParse(raw)` holds the key: what the zod
        schema's `.transform((raw) => Number(raw))` returns is the key (its cast a hazard)."""
        call: ts.Node | None = expr
        if expr.type == "member_expression":
            obj = expr.child_by_field_name("object")
            prop = expr.child_by_field_name("property")
            b = fi.resolve(fi.text(obj), func) if obj is not None and obj.type == "identifier" else None
            call = b.init if b is not None and not b.prop_of and prop is not None and fi.text(prop) == "data" else None
        if call is None or call.type != "call_expression":
            return
        fn = call.child_by_field_name("function")
        if fn is None or fn.type != "member_expression":
            return
        method = fn.child_by_field_name("property")
        schema = fn.child_by_field_name("object")
        if method is None or schema is None or schema.type != "identifier" or \
                fi.text(method) not in (("safeParse", "safeParseAsync") if expr.type == "member_expression"
                                        else ("parse", "parseAsync")):
            return
        sb = self.module_binding(fi.text(schema), fi, func)
        node = sb.init if sb is not None and not sb.prop_of else None
        sfi = sb.file if sb is not None else fi
        if node is None or not re.match(r"z\s*\.", sfi.text(node)):
            return
        transformed = False
        while node is not None and node.type == "call_expression":  # z.string().regex(...).transform(cb)
            f = node.child_by_field_name("function")
            if f is None or f.type != "member_expression":
                return
            p = f.child_by_field_name("property")
            args = node.child_by_field_name("arguments")
            if p is not None and sfi.text(p) == "transform" and args is not None and args.named_children and \
                    not transformed:
                cb = sfi.func_of(args.named_children[0])
                if cb is not None:
                    self.mark_ret(cb, why)
                transformed = True
            elif p is not None and sfi.text(p) == "regex" and args is not None and args.named_children and \
                    args.named_children[0].type == "regex" and args.named_children[0].id not in self.key_regexes:
                self.key_regexes[args.named_children[0].id] = f"the text {fi.text(schema)} turns into the key: {why}"
                self._touch(sfi)
            node = f.child_by_field_name("object")

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
        if not b.key and not self.foreign(b.prop_of or b.name):
            b.key = True
            b.why = why
            self._touch(b.file)
            if b.prop_of and b.source_type is not None:
                st = self.norm(b.source_type, b.file)
                if st is not None:
                    k = (self.type_key(st, b.file), b.prop_of)
                    self._read(k)
                    if k not in self.key_members and not self.is_key_member(*k):
                        self.key_members[k] = why
                        self._touch_table(k)

    def mark_ret(self, g: Func, why: str) -> None:
        """`g` returns a key. Not for a generic (`http<T>()`): it returns what each caller asks for."""
        if g.node.child_by_field_name("type_parameters") is not None:
            return
        if not g.ret_key:
            g.ret_key = why
            self._touch(g.file)
            alias = self._number_alias(g.return_type, g.file)
            if alias and alias not in self.key_aliases:
                self.key_aliases[alias] = f"{g.name or 'a function'} returns {alias}: {why}"
                self._touch_all()
            for ret in g.returns:
                self.mark_backward(ret, g, g.file, why)

    def _number_alias(self, node: ts.Node | None, fi: FileIndex) -> str:
        """`Promise<HistoryResponse>` with `type HistoryResponse = Array<number>` (or `= number`): the alias."""
        ref = self.norm(node, fi) if node is not None else None
        if not isinstance(ref, str):
            return ""
        name = ref.removesuffix("[]")
        for d in self.types.get(name, ()):
            value = d.node.child_by_field_name("value") if d.node.type == "type_alias_declaration" else None
            if value is not None and self.norm(value, d.file) in ("number", "number[]"):
                return name
        return ""

    def mark_backward(self, expr: ts.Node | None, func: Func | None, fi: FileIndex, why: str, depth: int = 0) -> None:
        if expr is None or depth > 8:
            return
        t = expr.type
        if t in TRANSPARENT:
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
            elif ftext.endswith(".get") and args:  # searchParams.get('highlight'): that parameter holds the key
                qs = self.search_slot(expr, func, fi, ("get",))
                self._read("?qs")
                if qs and qs not in self.search_slots:
                    self.search_slots[qs] = f"the ?{qs}= query parameter holds {why}"
                    self._touch_table("?qs")
                if qs:  # a query string's own `get`, not the project's methods named `get`
                    return
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
            for g in self.callees(callee_name(fi, expr), fi) if not ftext.startswith(("JSON.", "Math.")) else ():
                if self.selector_getter(g):
                    continue
                self.mark_ret(g, why)
                for arg in self._bound_args(g, args):
                    self.mark_backward(arg, func, fi, why, depth + 1)
            self._zod_output(expr, func, fi, why)
            return
        if t in ("identifier", "shorthand_property_identifier"):
            b = fi.resolve(fi.text(expr), func)
            if b is not None:
                self.mark(b, why)
                if b.prop_of and b.kind == "var" and b.init is not None and b.init.type == "call_expression":
                    for ret, g in self._returned_prop_exprs(callee_name(fi, b.init), b.prop_of):
                        self.mark_backward(ret, g, g.file, why, depth + 1)
                    if b.prop_of == "data":  # const { data: chain } = useHistory(id): what its queryFn returns
                        for g in self.funcs.get(callee_name(fi, b.init), ()):
                            for qf in self.query_fns(g):
                                self.mark_ret(qf, why)
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
                k = (self.type_key(self.declaring(ot, fi.text(prop)), fi), fi.text(prop))
                if not self.is_key_member(*k) and not ot == "number" and not self.foreign(k[1]):
                    self.key_members[k] = why
                    self._touch_table(k)
            elif prop is not None:
                for ret, g in self._returned_props(obj, func, fi, fi.text(prop)):
                    self.mark_backward(ret, g, g.file, why, depth + 1)
                self._zod_output(expr, func, fi, why)
            return
        if t == "subscript_expression":
            self.mark_backward(expr.child_by_field_name("object"), func, fi, why, depth + 1)
            return
        if t == "new_expression":  # picked: new Set<number>() given to a member that holds keys
            ctor = expr.child_by_field_name("constructor")
            targs = expr.child_by_field_name("type_arguments")
            if ctor is not None and targs is not None and fi.text(ctor) in SETS and \
                    len(targs.named_children) == 1 and fi.text(targs.named_children[0]) == "number" and \
                    expr.id not in self.key_news:
                self.key_news[expr.id] = why
                self._touch(fi)
            source = collection_source(expr, fi)  # new Set(prev): prev holds the same keys
            if source is not None:
                self.mark_backward(source, func, fi, why, depth + 1)
            return
        if t == "array":
            if is_tuple(expr) or is_entry(expr, fi):  # ['orders', orderId, 'page', page]: which slot holds the key
                return  # is unknown; [r.id, r.score] of new Map(...): only the first, see map_key
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


def _fallback_operands(expr: ts.Node, fi: FileIndex, depth: int = 0) -> list[ts.Node]:
    """The operands of a `a ?? b ?? c` (`a || b || c`) chain, parentheses removed."""
    while expr.type == "parenthesized_expression" and expr.named_children:
        expr = expr.named_children[0]
    op = expr.child_by_field_name("operator") if expr.type == "binary_expression" else None
    if op is None or depth > 8 or fi.text(op) not in ("??", "||"):
        return [expr]
    return [o for f in ("left", "right") for c in (expr.child_by_field_name(f),) if c is not None
            for o in _fallback_operands(c, fi, depth + 1)]


def _sibling_fallback(expr: ts.Node, keyed: ts.Node | None, fi: FileIndex) -> bool:
    """Whether `keyed` (a member `o.k`) is the fallback of another member of the same object (`o.name ?? o.k`)."""
    while keyed is not None and keyed.type == "parenthesized_expression" and keyed.named_children:
        keyed = keyed.named_children[0]
    if keyed is None or keyed.type != "member_expression":
        return False
    obj, prop = keyed.child_by_field_name("object"), keyed.child_by_field_name("property")
    if obj is None or prop is None:
        return False
    for o in _fallback_operands(expr, fi):
        if o.id == keyed.id or o.type != "member_expression":
            continue
        oo, op = o.child_by_field_name("object"), o.child_by_field_name("property")
        if oo is not None and op is not None and fi.text(oo) == fi.text(obj) and fi.text(op) != fi.text(prop):
            return True
    return False
