"""What holds keys besides variables: typed object literals, collections (`ids.map((id) => ...)`,
comparators), `useState` setters and updaters, and `useInfiniteQuery` page params.
"""

from __future__ import annotations

import tree_sitter as ts

from analyzer.typescript.flow.keys import KeyExprs
from analyzer.typescript.flow.syntax import ARRAY_METHODS, TypeRef, object_pairs, pair_value
from analyzer.typescript.index import Binding, FileIndex, Func, TypeDecl


class Holders(KeyExprs):
    """Objects, collections, state and infinite queries."""

    def _typed_object(self, fi: FileIndex, obj: ts.Node, ty: TypeRef | None, func: Func | None,
                      depth: int = 0) -> None:
        """An object literal of an affected type: values put into its key members are keys, also in the
        object literals it nests (`{ requestBody: { booking_ids: ids } }` of a generated client's `Data`)."""
        if ty is None or ty == "number" or depth > 4:
            return
        tkey = self.type_key(ty, fi)
        for k, v in object_pairs(obj):
            member = fi.text(k).strip("'\"")
            why = self.is_key_member(tkey, member)
            if why and not self.is_key(v, func, fi):
                self.mark_backward(v, func, fi, why)
            elif not why and v.type == "object":
                found = self.member_type(ty, member, fi)
                inner = self.norm(found[0], found[1]) if found is not None else None
                if isinstance(inner, str):  # a named type: its key members do not depend on the file
                    self._typed_object(fi, v, inner, func, depth + 1)

    def _object_members(self, fi: FileIndex, obj: ts.Node, ty: TypeRef | None, func: Func | None) -> None:
        """An object literal of a type declared in the project (a function's declared return type): a member
        given a key holds the key on that type."""
        if not isinstance(ty, str) or ty not in self.types:
            return
        for sp in obj.named_children:  # ...(raw ? { contentId: Number(raw) } : {}): the spread objects' members
            if sp.type == "spread_element" and sp.named_children:
                for inner in _spread_objects(sp.named_children[0]):
                    self._object_members(fi, inner, ty, func)
        for k, v in object_pairs(obj):
            if k.type not in ("property_identifier", "shorthand_property_identifier"):
                continue
            member = fi.text(k)
            if self.foreign(member):
                continue
            known = self.is_key_member(ty, member)
            if known:  # what a key member is given is a key (`Number(raw)` a cast of it)
                if k is not v and not self.is_key(v, func, fi):
                    self.mark_backward(v, func, fi, known)
                continue
            why = self.is_key(v, func, fi)
            if why:
                self.key_members[(ty, member)] = f"{ty}.{member} is given the key: {why}"
                self._touch_table((ty, member))

    def _typed_memo(self, fi: FileIndex, call: ts.Node, args: list[ts.Node]) -> None:
        """`useMemo<ContextValue>(() => ({ activeId: lastOpened, pinned, ... }), [...])`: the object literal the
        memo's callback builds is of the type argument (a context's value, members not named after the key)."""
        targs = call.child_by_field_name("type_arguments")
        cb = fi.func_of(args[0]) if args else None
        if targs is None or len(targs.named_children) != 1 or cb is None:
            return
        ty = self.norm(targs.named_children[0], fi)
        for ret in cb.returns:
            while ret.type == "parenthesized_expression" and ret.named_children:
                ret = ret.named_children[0]
            if ret.type == "object":
                self._object_members(fi, ret, ty, cb)

    def _union_member_object(self, fi: FileIndex, obj: ts.Node, func: Func | None) -> None:
        """`dispatch({ type: 'moved', fromGroupId: row.group_id })`: an object literal whose discriminant (a string
        literal) picks one member of a discriminated union declared in the project (`type Action = | { type:
        'moved'; fromGroupId: number } | ...`): a member given the key holds the key on that union."""
        tags = {fi.text(k): fi.text(v)[1:-1] for k, v in object_pairs(obj)
                if k.type == "property_identifier" and v.type == "string"}
        if not tags:
            return
        if self._unions is None:
            self._unions = _discriminated_unions(self.types)
        for k, v in object_pairs(obj):
            if k.type not in ("property_identifier", "shorthand_property_identifier") or fi.text(k) in tags:
                continue
            member = fi.text(k)
            for tag, lit in tags.items():
                for alias, members in self._unions.get((tag, lit), ()):
                    if member not in members or self.is_key_member(alias, member) or self.foreign(member):
                        continue
                    why = self.is_key(v, func, fi)
                    if why:
                        self.key_members[(alias, member)] = f"{alias}.{member} ({tag} '{lit}') is given the key: {why}"
                        self._touch_table((alias, member))

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

    def _infinite(self, fi: FileIndex, obj: ts.Node) -> None:
        """useInfiniteQuery: what getNextPageParam returns is the queryFn's `pageParam`."""
        qf = pair_value(obj, "queryFn", fi)
        gp = pair_value(obj, "getNextPageParam", fi)
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


def _discriminated_unions(types: dict[str, list[TypeDecl]]) -> dict[tuple[str, str], list[tuple[str, set[str]]]]:
    """(discriminant, literal) -> [(alias, member names of that union member)] for every `type A = | { kind: 'x'; ...
    } | { kind: 'y'; ... }` with two or more object members tagged by the same property."""
    out: dict[tuple[str, str], list[tuple[str, set[str]]]] = {}
    for name, decls in types.items():
        for d in decls:
            value = d.node.child_by_field_name("value") if d.node.type == "type_alias_declaration" else None
            if value is None or value.type != "union_type":
                continue
            objs: list[ts.Node] = []
            stack = [value]
            while stack:
                n = stack.pop()
                if n.type in ("union_type", "parenthesized_type"):
                    stack.extend(n.named_children)
                elif n.type == "object_type":
                    objs.append(n)
            tagged: dict[str, list[tuple[str, set[str]]]] = {}
            for o in objs:
                members: dict[str, ts.Node] = {}
                for ps in o.named_children:
                    pn = ps.child_by_field_name("name") if ps.type == "property_signature" else None
                    pt = ps.child_by_field_name("type") if pn is not None else None
                    if pn is not None and pt is not None:
                        members[d.file.text(pn)] = pt
                for m, t in members.items():
                    lit = t.named_children[0] if t.named_children else None
                    while lit is not None and lit.type != "literal_type" and lit.named_children:
                        lit = lit.named_children[0]
                    if lit is not None and lit.type == "literal_type" and lit.named_children and \
                            lit.named_children[0].type == "string":
                        tagged.setdefault(m, []).append((d.file.text(lit.named_children[0])[1:-1], set(members) - {m}))
            for tag, entries in tagged.items():
                if len(entries) >= 2:
                    for lit_text, names in entries:
                        out.setdefault((tag, lit_text), []).append((name, names))
    return out


def _spread_objects(expr: ts.Node, depth: int = 0) -> list[ts.Node]:
    """The object literals a spread may bring: `{...}`, both branches of `c ? {...} : {}`, the right of `c && {...}`."""
    while expr.type == "parenthesized_expression" and expr.named_children:
        expr = expr.named_children[0]
    if depth > 4:
        return []
    if expr.type == "object":
        return [expr]
    if expr.type == "ternary_expression":
        return [o for f in ("consequence", "alternative") for c in (expr.child_by_field_name(f),) if c is not None
                for o in _spread_objects(c, depth + 1)]
    if expr.type == "binary_expression":
        right = expr.child_by_field_name("right")
        return _spread_objects(right, depth + 1) if right is not None else []
    return []
