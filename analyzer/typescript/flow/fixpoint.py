"""The fixed point: one round runs every rule of the flow over a file; rounds repeat over the files
whose facts (or whose callees' facts) changed until nothing changes.
"""

from __future__ import annotations

from collections import defaultdict

import tree_sitter as ts

from analyzer.typescript.flow.calls import type_params
from analyzer.typescript.flow.jsx import Jsx
from analyzer.typescript.flow.keys import returned_objects
from analyzer.typescript.flow.seeds import Seeds
from analyzer.typescript.flow.syntax import TRANSPARENT, object_pairs
from analyzer.typescript.index import Binding, FileIndex, Func, callee_name, unwrap_type, used_names

_LITERALS = frozenset({"number", "string", "template_string", "null", "undefined", "true", "false", "regex",
                       "unary_expression", "typeof_expression"})


class Project(Seeds, Jsx):
    """The whole flow over a set of indexed files."""

    def run(self, max_rounds: int = 12) -> int:
        self.seed()
        rounds = 0
        dirty: set[int] | None = None  # None: every file
        while rounds < max_rounds:
            rounds += 1
            self.changed = False
            self.touched = set()
            self.global_change = False
            self.changed_tables = set()
            for fi in self.files:
                if dirty is None or id(fi) in dirty:
                    self._reading = self._reads[id(fi)] = set()
                    try:
                        self._round(fi)
                    finally:
                        self._reading = None
            self.link_spa_routes()
            if not self.changed:
                break
            if self.incremental and not self.global_change:
                dirty = self._readers_of(self.touched)
                if self.changed_tables:  # and the files whose round read a project-wide table that changed
                    dirty |= {f for f, read in self._reads.items() if not read.isdisjoint(self.changed_tables)}
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

    def _readers_of(self, touched: set[int]) -> set[int]:
        """The files whose round reads what changed: the touched files, the files calling or rendering
        a function of theirs, and those files' callers (a caller reads its callee's returned
        expressions, which read the callee's own callees). Cross-file reads all go through
        `self.funcs` by name; project-wide tables force a full round instead."""
        if self._users is None:
            users: dict[int, set[int]] = defaultdict(set)
            for fi in self.files:
                for name in used_names(fi):
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

    def _round(self, fi: FileIndex) -> None:
        for b in fi.bindings:
            if b.key:
                continue
            if b.of is not None:  # for (const id of ids): an element of a key collection; { id } of records
                elem = self.type_of(b.of, b.func, fi) if b.prop_of else None
                why = (self.is_key_member(self.type_key(elem[:-2], fi), b.prop_of or "")
                       if isinstance(elem, str) and elem.endswith("[]") else "") if b.prop_of \
                    else self.is_key(b.of, b.func, fi)
                if why:
                    self.mark(b, why)
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
                while init.type in TRANSPARENT and init.named_children:
                    init = init.named_children[0]
                if init.type == "object":
                    self._typed_object(fi, init, self.norm(b.type_node, fi), b.func)
        for b in fi.bindings:  # const [value, setValue] = useThing(): the tuple's element holds the key, both ways
            if b.tuple_of is not None:
                self._tuple_element(fi, b)
        for b in fi.bindings:  # a key variable initialised from a cast makes the cast a hazard
            if b.key and b.of is not None and not b.prop_of:  # for (const id of ids): ids holds keys
                self.mark_backward(b.of, b.func, fi, b.why)
            elif b.key and b.kind in ("var", "state", "ref") and b.init is not None and not b.prop_of:
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
                for ret, owner in returned_objects(f):  # also a hook's `useMemo(() => ({ selected, toggle }))`
                    self._object_members(fi, ret, ty, owner)
                    self._object_fn_members(fi, ret, ty, owner)
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
        if fi.jsx and b"<select" in fi.src.data:
            self._select_options(fi)
        if self.url_templates:
            self.query_string_slots(fi)
        calls, jsx = self._prepared(fi)
        for call, func, args, name in calls:
            self._call(fi, call, func, args, name)
            if name.rpartition(".")[2] == "useMemo":
                self._typed_memo(fi, call, args)
            for arg in args:
                if arg.type == "object":
                    self._union_member_object(fi, arg, func)
        for el, func, comps in jsx:
            self._jsx(fi, el, func, comps)

    def _tuple_element(self, fi: FileIndex, b: Binding) -> None:
        """`const [contentId, setContentId] = useContentParam()`: a key element makes the hook return the key at that
        position (its declared tuple, and a query parameter its generic inner hook keeps the value in), and a hook
        known to return the key there makes the element a key."""
        assert b.tuple_of is not None
        for g in self.funcs.get(callee_name(fi, b.tuple_of), ()):
            if g.node.child_by_field_name("type_parameters") is not None:
                continue
            if not b.key and b.element in g.ret_elems:
                self.mark(b, g.ret_elems[b.element])
            elif b.key and b.element not in g.ret_elems:
                g.ret_elems[b.element] = b.why
                self._touch(g.file)
                for ret in g.returns:
                    self._query_slot_of_hook(ret, g, b.why)
                    self._codec_of_hook(ret, g, b.why)

    def _query_slot_of_hook(self, call: ts.Node, func: Func, why: str) -> None:
        """`return useQueryParam('content', numberCodec)` where `useQueryParam(name, codec)` keeps its value in
        `searchParams.get(name)`: the `?content=` parameter holds the key."""
        if call.type != "call_expression":
            return
        args_node = call.child_by_field_name("arguments")
        args = args_node.named_children if args_node is not None else []
        for h in self.funcs.get(callee_name(func.file, call), ()):
            for i, a in enumerate(args):
                if a.type != "string" or i >= len(h.params) or len(h.params[i]) != 1:
                    continue
                pname, lit = h.params[i][0].name, func.file.text(a)[1:-1]
                self._read("?qs")
                for node, inner in h.file.calls:
                    if not (h.node.start_byte <= node.start_byte < h.node.end_byte) or lit in self.search_slots:
                        continue
                    fn = node.child_by_field_name("function")
                    cargs = node.child_by_field_name("arguments")
                    if fn is None or fn.type != "member_expression" or cargs is None or not cargs.named_children:
                        continue
                    prop = fn.child_by_field_name("property")
                    if prop is None or h.file.text(prop) not in ("get", "set") or \
                            h.file.text(cargs.named_children[0]) != pname:
                        continue
                    if self.search_params(fn.child_by_field_name("object"), inner, h.file):
                        self.search_slots[lit] = f"the ?{lit}= query parameter holds {why}"
                        self._touch_table("?qs")

    def _codec_of_hook(self, call: ts.Node, func: Func, why: str) -> None:
        """`return usePersistentState('last', null, lastCodec)` (a hook returning the key) where the generic
        `usePersistentState<T>(..., codec: Codec<T>)` is handed `const lastCodec: Codec<number | null> = { parse:
        (raw) => Number(raw), ... }` that no other call passes: the codec holds the key (`key_codecs`, its annotation
        is retyped) and its members returning `T` return the key (`Number(raw)` is a cast of the key). A codec other
        calls pass too (`intCodec` of a page size) is shared: left for review (TS033)."""
        if call.type != "call_expression":
            return
        args_node = call.child_by_field_name("arguments")
        args = args_node.named_children if args_node is not None else []
        for h in self.funcs.get(callee_name(func.file, call), ()):
            tparams = {n for n, _ in type_params(h)}
            for i, a in enumerate(args):
                if a.type != "identifier" or i >= len(h.params) or len(h.params[i]) != 1:
                    continue
                pt = unwrap_type(h.params[i][0].type_node)
                if pt is None or pt.type != "generic_type":
                    continue
                ptargs = pt.child_by_field_name("type_arguments")
                if ptargs is None or len(ptargs.named_children) != 1 or \
                        h.file.text(ptargs.named_children[0]) not in tparams:
                    continue
                c = self.module_binding(func.file.text(a), func.file, func)
                ct = unwrap_type(c.type_node) if c is not None else None
                if c is None or ct is None or ct.type != "generic_type" or id(c) in self.key_codecs or \
                        c.init is None or c.init.type != "object":
                    continue
                cn, pn = ct.child_by_field_name("name"), pt.child_by_field_name("name")
                if cn is None or pn is None or c.file.text(cn) != h.file.text(pn) or self._passed_elsewhere(c, call):
                    continue
                self.key_codecs[id(c)] = f"{c.name} is handed to {h.name}, whose value is {why}"
                self._touch(c.file)
                self._codec_members(c, h.file.text(pn), why)

    def _codec_members(self, c: Binding, iface: str, why: str) -> None:
        """The members of the codec object `c` that the interface `iface<T>` declares to return `T`
        (`parse(raw: string): T`, `parse: (raw: string) => T`): they return the key."""
        for d in self.types.get(iface, ()):
            tps = d.node.child_by_field_name("type_parameters")
            names = {d.file.text(tp.child_by_field_name("name") or tp) for tp in tps.named_children} \
                if tps is not None else set()
            body = d.node.child_by_field_name("body")
            for m in body.named_children if body is not None else ():  # members: property signatures only
                mn = m.child_by_field_name("name")
                if mn is None or m.type not in ("method_signature", "property_signature"):
                    continue
                mname = d.file.text(mn)
                ret = m.child_by_field_name("return_type")
                if ret is None:
                    ty = unwrap_type(m.child_by_field_name("type"))
                    ret = ty.child_by_field_name("return_type") if ty is not None and ty.type == "function_type" \
                        else None
                ret = unwrap_type(ret)
                if ret is None or d.file.text(ret) not in names:
                    continue
                found = [v for k, v in object_pairs(c.init) if c.file.text(k) == mname] if c.init is not None else []
                found += [md for md in (c.init.named_children if c.init is not None else ())  # parse(raw) { ... }
                          if md.type == "method_definition" and c.file.text(md.child_by_field_name("name") or md) == mname]
                for v in found:
                    g = c.file.func_of(v)
                    if g is not None:
                        self.mark_ret(g, f"{c.name}.{mname} returns {why}")

    def _passed_elsewhere(self, c: Binding, call: ts.Node) -> bool:
        """Whether a call other than `call` passes the binding `c` (by name) as an argument."""
        for fi in self.files:
            if fi is not c.file and c.name.encode() not in fi.src.data:
                continue
            for other, _func, args, _name in self._prepared(fi)[0]:
                if other.id != call.id and any(a.type == "identifier" and fi.text(a) == c.name for a in args):
                    if fi is c.file or self.module_binding(c.name, fi, _func) is c:
                        return True
        return False

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
