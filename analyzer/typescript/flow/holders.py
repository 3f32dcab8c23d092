"""What holds keys besides variables: typed object literals, collections (`ids.map((id) => ...)`,
comparators), `useState` setters and updaters, and `useInfiniteQuery` page params.
"""

from __future__ import annotations

import tree_sitter as ts

from analyzer.typescript.flow.keys import KeyExprs
from analyzer.typescript.flow.syntax import ARRAY_METHODS, TypeRef, object_pairs, pair_value
from analyzer.typescript.index import Binding, FileIndex, Func


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
        for k, v in object_pairs(obj):
            if k.type not in ("property_identifier", "shorthand_property_identifier"):
                continue
            member = fi.text(k)
            if self.is_key_member(ty, member) or self.foreign(member):
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
