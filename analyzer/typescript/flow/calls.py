"""Propagation through calls: arguments and parameters agree (forward and backward), through
function-typed parameters and callbacks too; shared pickers and polymorphic sinks (`fetchAudit(kind, id)`)
stop the backward flow.
"""

from __future__ import annotations

import re
from collections import defaultdict

import tree_sitter as ts

from analyzer.typescript.flow.holders import Holders
from analyzer.typescript.flow.syntax import TypeRef, object_pairs, pair_value, stringified, tparam_slot
from analyzer.typescript.index import Binding, FileIndex, Func, callee_name, unwrap_type

#: methods whose first argument is an element (or key) of the receiver
_COLLECTION_ARG = frozenset({"has", "includes", "indexOf", "add", "delete", "push", "unshift", "get", "set"})
#: `tagIds`, `tag_ids`, `tagId`: a name that says whose ids it holds
_FOREIGN_IDS = re.compile(r"^([a-z][a-zA-Z0-9]*?)(?:Ids?|_ids?)$")
#: a parameter that says which entity its sibling id belongs to (`subjectKind`, `entity_type`)
_DISCRIMINATOR = re.compile(r"(^|[a-z0-9_])(kind|type|Kind|Type)$")


def _unstring(expr: ts.Node, fi: FileIndex) -> ts.Node:
    """x of `String(x)` / `x.toString()`; `expr` otherwise."""
    if expr.type == "call_expression":
        fn = expr.child_by_field_name("function")
        args = expr.child_by_field_name("arguments")
        if fn is not None and fi.text(fn) == "String" and args is not None and args.named_children:
            return args.named_children[0]
        if fn is not None and fn.type == "member_expression" and fi.text(fn).endswith(".toString"):
            return fn.child_by_field_name("object") or expr
    return expr


def _bare_substitution(template: ts.Node, fi: FileIndex) -> ts.Node | None:
    """x of `` `${x}` `` (a template that is one substitution and no text); None otherwise."""
    kids = template.named_children
    if len(kids) != 1 or kids[0].type != "template_substitution" or fi.text(template) != f"`{fi.text(kids[0])}`":
        return None
    return kids[0].named_children[0] if kids[0].named_children else None


def type_params(g: Func) -> list[tuple[str, ts.Node | None]]:
    """`g`'s type parameters: name and the object type of its constraint (`T extends { id: number }`), if any."""
    tps = g.node.child_by_field_name("type_parameters")
    out: list[tuple[str, ts.Node | None]] = []
    for tp in tps.named_children if tps is not None else ():
        name = tp.child_by_field_name("name")
        cons = tp.child_by_field_name("constraint")
        obj = next((c for c in cons.named_children if c.type == "object_type"), None) if cons is not None else None
        if name is not None:
            out.append((g.file.text(name), obj))
    return out


class Calls(Holders):
    """Calls, function types and callbacks."""

    def _generic_args(self, fi: FileIndex, call: ts.Node, func: Func | None, args: list[ts.Node], g: Func) -> None:
        """`byId<T extends { id: number }>(rows: readonly T[])` called with `items: ContentItem[]` (or `byId<Tag>(...)`):
        `T` is bound to `ContentItem`, so each member of its constraint that is a key member of `ContentItem` is a
        key inside `byId` (`row.id`); a type whose member is not the key is remembered too (the helper is shared)."""
        tparams = type_params(g)
        names = [n for n, _ in tparams]
        bound: dict[str, TypeRef | None] = {}
        targs = call.child_by_field_name("type_arguments")
        for n, a in zip(names, targs.named_children if targs is not None else (), strict=False):
            bound[n] = self.norm(a, fi)
        for i, arg in enumerate(args):
            if i >= len(g.params) or len(g.params[i]) != 1 or g.params[i][0].type_node is None:
                continue
            pt = self.norm(g.params[i][0].type_node, g.file)
            if not isinstance(pt, str) or pt.removesuffix("[]") not in names or pt.removesuffix("[]") in bound:
                continue
            at = self.type_of(arg, func, fi)
            if isinstance(at, str) and pt.endswith("[]"):
                at = at[:-2] if at.endswith("[]") else None
            bound[pt.removesuffix("[]")] = at
        for n, cons in tparams:
            ty = bound.get(n)
            if cons is None or not isinstance(ty, str) or ty.endswith("[]") or ty not in self.types:
                continue
            for m in cons.named_children:
                mn = m.child_by_field_name("name")
                if m.type != "property_signature" or mn is None or self.member_type(ty, g.file.text(mn), fi) is None:
                    continue
                k = (g.node.id, n, g.file.text(mn))
                why = self.is_key_member(self.type_key(ty, fi), k[2])
                if why and k not in self.key_tparams:
                    self.key_tparams[k] = f"{why} -> {g.name}<{ty}>"
                    self._touch(g.file)
                elif not why and k not in self.other_tparams:
                    self.other_tparams[k] = ty

    def _call(self, fi: FileIndex, call: ts.Node, func: Func | None, args: list[ts.Node], name: str) -> None:
        short = name.rpartition(".")[2]
        if short == "setItem" and len(args) >= 2:
            why = self.is_key(args[1], func, fi)
            if not why:
                inner = args[1]
                while True:  # the key stored as text: String(id), JSON.stringify(id), id.toString(), `${id}`
                    if inner.type == "call_expression" and fi.text(inner.child_by_field_name("function") or inner) in \
                            ("String", "JSON.stringify") and inner.child_by_field_name("arguments") is not None:
                        a = inner.child_by_field_name("arguments")
                        if a is None or not a.named_children:
                            break
                        inner = a.named_children[0]
                    elif inner.type == "call_expression" and _unstring(inner, fi) is not inner:
                        inner = _unstring(inner, fi)
                    elif inner.type == "template_string" and _bare_substitution(inner, fi) is not None:
                        inner = _bare_substitution(inner, fi)  # type: ignore[assignment]
                    else:
                        break
                why = self.is_key(inner, func, fi)
            slot = self.slot(args[0], func, fi)
            if why and slot and slot not in self.storage_slots:
                self.storage_slots[slot] = why
                self._touch_all()
            return
        if short in ("set", "append") and len(args) == 2 and "." in name:  # params.set('highlight', String(id))
            qs = self.search_slot(call, func, fi, ("set", "append"))
            if qs:
                why = self.is_key(args[1], func, fi) or self.is_key(_unstring(args[1], fi), func, fi)
                self._read("?qs")
                if why and qs not in self.search_slots:
                    self.search_slots[qs] = f"the ?{qs}= query parameter holds {why}"
                    self._touch_table("?qs")
                elif not why and qs in self.search_slots:
                    self.mark_backward(args[1], func, fi, self.search_slots[qs])
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
        targets = list(self.callees(name, fi))
        if not targets and short in ("mutate", "mutateAsync") and "." in name:  # archive.mutate(vars): its mutationFn
            for options, ofi in self.mutation_options(fi.resolve(name.partition(".")[0], func)):
                mf = pair_value(options, "mutationFn", ofi)
                target = ofi.func_of(mf) if mf is not None else None
                if target is not None:
                    targets.append(target)
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
            if self.generic(g):
                self._generic_args(fi, call, func, args, g)
                self._generic_slots(fi, func, args, g)
            for i, arg in enumerate(args):
                if i >= len(g.params):
                    break
                group = g.params[i]
                if len(group) == 1 and not group[0].prop_of:
                    b = group[0]
                    if tparam_slot(g, b.type_node):  # toggleIn(state.selected, id), toggleIn(lessons, lessonId):
                        continue  # T is bound at each call (see _generic_slots)
                    if b.type_node is not None and g.file.text(b.type_node) in ("unknown", "any"):
                        continue  # isNumberArray(value: unknown) checks anything: a key at one call is not another's
                    if arg.type == "object" and b.type_node is not None:
                        self._typed_object(fi, arg, self.norm(b.type_node, g.file), func)
                        continue
                    # search(String(id)): a text parameter does not become a key by it (the other way round,
                    # a text parameter that is a key by its own route makes `id` one)
                    why = "" if stringified(arg, fi) and not self._number_slot(b) else self.is_key(arg, func, fi)
                    if why:
                        self.mark(b, f"{why} -> {g.name}({b.name})")
                    elif b.key and self._kind_allows(g, i, args, fi) and not self._foreign_ids(arg, fi, b) and \
                            not self._passed_in_only(b, f" -> {g.name}({b.name})"):
                        self.mark_backward(arg, func, fi, b.why)
                elif group and arg.type == "object":
                    self._object_arg(fi, arg, func, group, g.name)

    def _generic_slots(self, fi: FileIndex, func: Func | None, args: list[ts.Node], g: Func) -> None:
        """`toggleIn(state.selected, action.courseId)` with `toggleIn<T>(list: readonly T[], value: T)`: T is bound
        at this call, so a key in one of its slots makes the arguments in the others keys (here, not at other calls)."""
        slots = [tparam_slot(g, group[0].type_node) if len(group) == 1 and not group[0].prop_of else ""
                 for group in g.params[:len(args)]]
        for name in set(slots) - {""}:
            mine = [a for a, s in zip(args, slots, strict=False) if s == name]
            why = next((w for w in (self.is_key(a, func, fi) for a in mine) if w), "")
            if why:
                for a in mine:
                    if not self.is_key(a, func, fi):
                        self.mark_backward(a, func, fi, f"{why} -> {g.name}<{name}>")

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
        self._read("?shared")
        if id(target) not in self.shared:
            self.shared[id(target)] = name
            if target.why.endswith((">", ")")):  # "... -> <IdPicker selectedIds>": what flowed from it
                self.shared_whys[target.why] = name
            if target.prop_of and target.source_type is not None:
                st = self.norm(target.source_type, target.file)
                if st is not None:
                    self.shared_members[(self.type_key(st, target.file), target.prop_of)] = name
                    self.shared_types.setdefault(self.type_key(st, target.file), name)
            self._touch_table("?shared")
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

    @staticmethod
    def _fn_param_name(fn_type: ts.Node, fi: FileIndex, i: int) -> str:
        """The name of parameter `i` of a function type (`(patientId: number) => void`), "" when unnamed."""
        params = fn_type.child_by_field_name("parameters")
        plist = [p for p in params.named_children if p.type in ("required_parameter", "optional_parameter")] \
            if params is not None else []
        pat = plist[i].child_by_field_name("pattern") if i < len(plist) else None
        return fi.text(pat) if pat is not None and pat.type == "identifier" else ""

    def fn_param_key(self, fn_type: ts.Node, fi: FileIndex, i: int) -> str:
        key = (fi.sf.path, fn_type.start_byte, i)
        if self._reading is not None:  # the running round reads `fn_params` at `key` (fixpoint.run)
            self._reading.add(key)
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
        if key not in self.fn_params and not self.fn_param_key(fn_type, fi, i) and \
                not self.foreign(self._fn_param_name(fn_type, fi, i)):
            self.fn_params[key] = why
            self._touch_table(key)

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

    def _passed_in_only(self, b: Binding, label: str) -> bool:
        """A text slot (`name?: string`, not `number`) that holds the key only because one caller gave it one
        (`<Avatar name={event.external_id} />`): what the other callers give it (`name={user.name}`) is not
        a key by it. A number slot, or a slot that is a key by its own use, still makes its callers' values keys."""
        return b.why.endswith(label) and not self._number_slot(b)

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
        elif expr.type == "member_expression":  # onToggle={selection.toggle}, selection = useSelection()
            obj = expr.child_by_field_name("object")
            prop = expr.child_by_field_name("property")
            if obj is None or prop is None:
                return
            ot = self.type_of(obj, func, fi)
            found = self.member_type(ot, fi.text(prop), fi) if ot is not None else None
            if found is not None and found[0].type == "function_type":
                self._agree_fn_types(fn_type, tfi, found)
            for ret, g in self._returned_props(obj, func, fi, fi.text(prop)):
                cb = self._function_value(ret, g)
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
            self._agree_fn_types(fn_type, tfi, other)

    def _agree_fn_types(self, fn_type: ts.Node, tfi: FileIndex, other: tuple[ts.Node, FileIndex]) -> None:
        """Two function types the same function is given as: their parameters agree."""
        for i in range(8):
            a = self.fn_param_key(fn_type, tfi, i)
            b_ = self.fn_param_key(other[0], other[1], i)
            if a and not b_:
                self.set_fn_param(other[0], other[1], i, a)
            elif b_ and not a:
                self.set_fn_param(fn_type, tfi, i, b_)

    def _object_fn_members(self, fi: FileIndex, obj: ts.Node, ty: TypeRef | None, func: Func | None) -> None:
        """A function given to a function-typed member of a declared type (`toggle` returned as a hook's
        `Selection.toggle: (id: number) => void`): its parameters and the member type's agree."""
        if not isinstance(ty, str) or ty not in self.types or func is None:
            return
        for k, v in object_pairs(obj):
            found = self.member_type(ty, fi.text(k), fi) if k.type in ("property_identifier",
                                                                       "shorthand_property_identifier") else None
            if found is None or found[0].type != "function_type":
                continue
            cb = self._function_value(v, func)
            if cb is not None:
                self._callback_params(cb, found[0], found[1])

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
