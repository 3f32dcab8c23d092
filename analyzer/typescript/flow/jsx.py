"""Propagation through JSX: attributes and the props of project components agree, `data-*` attributes
make `dataset` reads keys.
"""

from __future__ import annotations

import re

import tree_sitter as ts

from analyzer.typescript.flow.calls import Calls, _unstring
from analyzer.typescript.flow.syntax import stringified
from analyzer.typescript.index import FileIndex, Func
from analyzer.typescript.names import camel


class Jsx(Calls):
    """Props and data attributes."""

    def _jsx(self, fi: FileIndex, el: ts.Node, func: Func | None, comps: list[Func]) -> None:
        for attr in el.named_children:
            if attr.type != "jsx_attribute" or not attr.named_children:
                continue
            aname = fi.text(attr.named_children[0])
            value = attr.named_children[1] if len(attr.named_children) > 1 else None
            if value is None or value.type != "jsx_expression" or not value.named_children:
                continue
            expr = value.named_children[0]
            text = stringified(expr, fi)
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
