"""Propagation through JSX: attributes and the props of project components agree, `data-*` attributes
make `dataset` reads keys.
"""

from __future__ import annotations

import re
from collections import defaultdict

import tree_sitter as ts

from analyzer.typescript.flow.calls import Calls, _unstring, type_params
from analyzer.typescript.flow.syntax import TypeRef, stringified
from analyzer.typescript.index import FileIndex, Func, TypeDecl, callee_name, unwrap_type
from analyzer.typescript.names import camel

#: a type parameter bound at a JSX element whose rows the flow cannot type: the component is shared, widen
_UNTYPED_ROWS = "rows of a type not worked out"


#: elements of one component giving one prop a value, from which that prop may be a shared one (`_shared_prop`)
_SHARED_USES = 4


class Jsx(Calls):
    """Props and data attributes."""

    _elements_by: dict[tuple[int, str], list[tuple[FileIndex, ts.Node, Func | None]]] | None = None

    def _jsx_attributes(self, fi: FileIndex, el: ts.Node) -> list[tuple[str, ts.Node, bool]]:
        """`name={expr}` attributes of an element: name, expression, whether it is stringified (syntax only,
        worked out once; each round asks again)."""
        found = self._attrs.get(el.id)
        if found is None:
            found = []
            for attr in el.named_children:
                if attr.type != "jsx_attribute" or not attr.named_children:
                    continue
                kids = attr.named_children
                value = kids[1] if len(kids) > 1 else None
                if value is None or value.type != "jsx_expression" or not value.named_children:
                    continue
                expr = value.named_children[0]
                found.append((fi.text(kids[0]), expr, stringified(expr, fi)))
            self._attrs[el.id] = found
        return found

    def _jsx(self, fi: FileIndex, el: ts.Node, func: Func | None, comps: list[Func]) -> None:
        for g in comps:
            if self.generic(g):
                self._generic_props(fi, el, func, g)
        for aname, expr, text in self._jsx_attributes(fi, el):
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
                            if why and not self.is_key_member(*k) and not self.foreign(aname):
                                self.key_members[k] = why
                                if not numeric:
                                    self.passed_in.add(k)
                                self._touch_table(k)  # `passed_in` is read at k just below, after key_members
                            elif self.is_key_member(*k) and k not in self.passed_in:
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
                    if not target.key and not self._shared_prop(g, aname):
                        self.mark(target, f"{why} -> <{g.name} {aname}>")
                elif target.key and not self._foreign_ids(expr, fi, target) and \
                        not self._passed_in_only(target, f" -> <{g.name} {aname}>") and \
                        not (target.why.endswith(f" -> <{g.name} {aname}>") and self._shared_prop(g, aname)):
                    self.mark_backward(expr, func, fi, target.why)

    def _shared_prop(self, g: Func, aname: str) -> bool:
        """A prop of a widely used component that most of its elements give no key: `<Select value={...}>` of a
        design system, given a chart id by one element among many (colors, page sizes, tags). The key one
        element passes says nothing of the component's other values: it does not become a key inside the
        component (nor flow from there into every handler given to it). A prop named like the key, or given a
        key by most of its elements, is no shared prop."""
        if self.kn.is_key_name(aname):
            return False
        if self._elements_by is None:
            self._elements_by = defaultdict(list)
            for f in self.files:
                for el, func, comps in self._prepared(f)[1]:
                    for an, expr, _text in self._jsx_attributes(f, el):
                        for c in comps:
                            self._elements_by[(id(c), an)].append((f, expr, func))
        uses = self._elements_by.get((id(g), aname), [])
        if len(uses) < _SHARED_USES:
            return False
        keyed = sum(1 for f, expr, func in uses if self.is_key(expr, func, f))
        return keyed * 2 < len(uses)

    def _generic_props(self, fi: FileIndex, el: ts.Node, func: Func | None, g: Func) -> None:
        """`<DataTable rows={rows} columns={columns} />` of `DataTable<Row extends { id: number }>(props:
        DataTableProps<Row>)`: the attributes bind `Row` (`columns: Column<WarehouseSummary>[]` against the prop
        `columns: readonly Column<Row>[]`, `rows` typed `WarehouseSummary[]` against `readonly Row[]`). A member of the
        constraint that is a key member of the bound type is a key in the component and in its props type's own
        constraint (`DataTableProps<Row extends { id: number }>`); other rows given to it (or rows the flow cannot
        type) are remembered, so the constraint widens instead of flipping (see `_generic_args` for calls)."""
        tparams = [(n, c) for n, c in type_params(g) if c is not None]
        if not tparams or not g.params or not g.params[0]:
            return
        pb = g.params[0][0]
        props = unwrap_type(pb.source_type if pb.prop_of else pb.type_node)
        if props is None:
            return
        decl: TypeDecl | None = None
        names = {n: n for n, _ in tparams}  # the props type's parameter -> the component's
        if props.type == "generic_type":
            pname = props.child_by_field_name("name")
            targs = props.child_by_field_name("type_arguments")
            decl = next((d for d in self.types.get(g.file.text(pname) if pname is not None else "", ())
                         if d.node.child_by_field_name("type_parameters") is not None), None)
            if decl is None or targs is None:
                return
            dtps = decl.node.child_by_field_name("type_parameters")
            dnames = [decl.file.text(tp.child_by_field_name("name") or tp) for tp in dtps.named_children] \
                if dtps is not None else []
            names = {dn: g.file.text(a) for dn, a in zip(dnames, targs.named_children, strict=False)
                     if a.type == "type_identifier" and g.file.text(a) in names}
        elif props.type != "object_type":
            return
        bound: dict[str, TypeRef | None] = {}
        for attr in el.named_children:
            if attr.type != "jsx_attribute" or len(attr.named_children) < 2:
                continue
            value = attr.named_children[1]
            if value.type != "jsx_expression" or not value.named_children:
                continue
            aname = fi.text(attr.named_children[0])
            if decl is not None:
                member = decl.members.get(aname)
                mfi = decl.file
            else:
                member = next((m for m in props.named_children if m.type == "property_signature" and
                               g.file.text(m.child_by_field_name("name") or m) == aname), None)
                mfi = g.file
            pat = unwrap_type(member.child_by_field_name("type")) if member is not None else None
            if pat is None:
                continue
            found: dict[str, TypeRef | None] = {}
            expr = value.named_children[0]
            actual = self._declared_type(expr, func, fi)
            if actual is not None:
                self._unify(pat, mfi, actual[0], actual[1], set(names), found)
            if not found:
                self._unify_ref(pat, mfi, self.type_of(expr, func, fi), set(names), found)
            for dn, ty in found.items():
                bound.setdefault(names[dn], ty)
        owners = [(g.node.id, {n: n for n, _ in tparams})]
        if decl is not None:
            owners.append((decl.node.id, {gn: dn for dn, gn in names.items()}))
        for n, cons in tparams:
            if n not in bound:
                continue
            ty = bound[n]
            for m in cons.named_children:
                mn = m.child_by_field_name("name")
                if m.type != "property_signature" or mn is None:
                    continue
                member_name = g.file.text(mn)
                typed = isinstance(ty, str) and ty in self.types  # `z.infer<typeof schema>` has no members to read
                why = self.is_key_member(ty, member_name) if typed and isinstance(ty, str) else ""
                for owner, to_own in owners:
                    if n not in to_own:
                        continue
                    k = (owner, to_own[n], member_name)
                    if why and k not in self.key_tparams:
                        self.key_tparams[k] = f"{why} -> <{g.name} {n}={ty}>"
                        self._touch(g.file)
                    elif not why and k not in self.other_tparams:
                        self.other_tparams[k] = ty if typed and isinstance(ty, str) else _UNTYPED_ROWS
                        self._touch(g.file)

    def _declared_type(self, expr: ts.Node, func: Func | None, fi: FileIndex) -> tuple[ts.Node, FileIndex] | None:
        """The written type of what an attribute passes: a binding's annotation (`columns: Column<Transfer>[]`),
        the type argument of the `useMemo<StockRow[]>(...)` it is made by; None otherwise."""
        if expr.type != "identifier":
            return None
        b = fi.resolve(fi.text(expr), func)
        if b is None or b.prop_of:
            return None
        if b.type_node is not None:
            return b.type_node, b.file
        init = b.init
        if init is not None and init.type == "call_expression" and callee_name(b.file, init).endswith("useMemo"):
            targs = init.child_by_field_name("type_arguments")
            if targs is not None and len(targs.named_children) == 1:
                return targs.named_children[0], b.file
        return None

    def _unify(self, pat: ts.Node, pfi: FileIndex, act: ts.Node, afi: FileIndex, names: set[str],
               out: dict[str, TypeRef | None], depth: int = 0) -> None:
        """Bind the type parameters `names` that `pat` (a prop's declared type) holds where `act` (the written type
        of the value) has a type: `readonly Column<Row>[]` against `Column<Transfer>[]` binds `Row` to `Transfer`."""
        p, a = _bare_type(pat), _bare_type(act)
        if p is None or a is None or depth > 6:
            return
        if p.type == "type_identifier" and pfi.text(p) in names:
            out.setdefault(pfi.text(p), self.norm(a, afi))
            return
        pe, ae = _element_type(p, pfi), _element_type(a, afi)
        if pe is not None and ae is not None:
            self._unify(pe, pfi, ae, afi, names, out, depth + 1)
            return
        if p.type == "generic_type" and a.type == "generic_type":
            pn, an = p.child_by_field_name("name"), a.child_by_field_name("name")
            pa, aa = p.child_by_field_name("type_arguments"), a.child_by_field_name("type_arguments")
            if pn is None or an is None or pa is None or aa is None or pfi.text(pn) != afi.text(an):
                return
            for x, y in zip(pa.named_children, aa.named_children, strict=False):
                self._unify(x, pfi, y, afi, names, out, depth + 1)

    def _unify_ref(self, pat: ts.Node, pfi: FileIndex, ref: TypeRef | None, names: set[str],
                   out: dict[str, TypeRef | None]) -> None:
        """The same against a type the flow worked out (`WarehouseSummary[]`): `readonly Row[]` or `Row`."""
        p = _bare_type(pat)
        if p is None or not isinstance(ref, str):
            return
        pe = _element_type(p, pfi)
        if pe is not None:
            pe = _bare_type(pe)
            if pe is not None and pe.type == "type_identifier" and pfi.text(pe) in names and ref.endswith("[]"):
                out.setdefault(pfi.text(pe), ref[:-2])
        elif p.type == "type_identifier" and pfi.text(p) in names and not ref.endswith("[]"):
            out.setdefault(pfi.text(p), ref)

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

    def _select_options(self, fi: FileIndex) -> None:
        """`<select onChange={(e) => setTarget(Number(e.target.value))}>` whose `<option value={c.id}>` hold the
        key: the handler's `e.target.value` is the key (as text), so its `Number(...)` is a cast of the key and
        what it feeds holds the key. Options of other ids (`u.id` of a user), page sizes and literals do not."""
        selects = self._selects.get(id(fi))
        if selects is None:
            selects = []
            options = [(el, func) for el, func in fi.jsx if jsx_name(fi, el) == "option"]
            for el, func in fi.jsx:
                if jsx_name(fi, el) != "select" or el.type != "jsx_opening_element" or el.parent is None:
                    continue
                body = el.parent
                values = [(v, f) for o, f in options if body.start_byte < o.start_byte < body.end_byte
                          for v in (_attr_expr(o, "value", fi),) if v is not None]
                handler = _attr_expr(el, "onChange", fi)
                cb = self._handler_func(handler, func, fi) if handler is not None else None
                if values and cb is not None:
                    selects.append((cb, values))
            self._selects[id(fi)] = selects
        for cb, values in selects:
            if cb.node.id in self.select_events:
                continue
            for v, f in values:
                why = self.is_key(v, f, fi) or self.is_key(_unstring(v, fi), f, fi)
                if why:
                    self.select_events[cb.node.id] = f"<select> options hold {why}"
                    self._touch(fi)
                    break

    def _handler_func(self, handler: ts.Node, func: Func | None, fi: FileIndex) -> Func | None:
        """The function an event attribute runs: an inline arrow, or a local function / const arrow it names."""
        if handler.type in ("arrow_function", "function_expression"):
            return fi.func_of(handler)
        if handler.type == "identifier":
            b = fi.resolve(fi.text(handler), func)
            if b is not None and b.init is not None and b.init.type in ("arrow_function", "function_expression"):
                return fi.func_of(b.init)
            return next((g for g in fi.funcs if g.name == fi.text(handler)), None)
        return None


def jsx_name(fi: FileIndex, el: ts.Node) -> str:
    n = el.child_by_field_name("name")
    return fi.text(n) if n is not None else ""


def _attr_expr(el: ts.Node, name: str, fi: FileIndex) -> ts.Node | None:
    """The expression of `name={...}` on a JSX element (None for a string or a missing attribute)."""
    for attr in el.named_children:
        if attr.type == "jsx_attribute" and len(attr.named_children) > 1 and fi.text(attr.named_children[0]) == name:
            value = attr.named_children[1]
            return value.named_children[0] if value.type == "jsx_expression" and value.named_children else None
    return None


def _bare_type(node: ts.Node | None) -> ts.Node | None:
    """A type without `readonly` and parentheses."""
    node = unwrap_type(node)
    while node is not None and node.type in ("readonly_type", "parenthesized_type") and node.named_children:
        node = unwrap_type(node.named_children[0])
    return node


def _element_type(node: ts.Node, fi: FileIndex) -> ts.Node | None:
    """The element type of `T[]`, `Array<T>`, `ReadonlyArray<T>`; None for another type."""
    if node.type == "array_type" and node.named_children:
        return node.named_children[0]
    if node.type == "generic_type":
        name = node.child_by_field_name("name")
        targs = node.child_by_field_name("type_arguments")
        if name is not None and fi.text(name) in ("Array", "ReadonlyArray") and targs is not None and \
                len(targs.named_children) == 1:
            return targs.named_children[0]
    return None
