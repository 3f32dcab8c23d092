"""Propagation through JSX: attributes and the props of project components agree, `data-*` attributes
make `dataset` reads keys.
"""

from __future__ import annotations

import re

import tree_sitter as ts

from analyzer.typescript.flow.calls import Calls
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
