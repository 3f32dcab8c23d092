"""Declared types: which types are tied to the affected schema, which members hold the key, and the
type an expression or a binding has (from annotations, `useQuery` data, array callbacks).
"""

from __future__ import annotations

import re

import tree_sitter as ts

from analyzer.typescript.flow.base import FlowBase
from analyzer.typescript.flow.syntax import ARRAY_METHODS, TypeRef, enclosing_func, pair_value
from analyzer.typescript.index import Binding, FileIndex, Func, callee_name, unwrap_type

_QUERY_HOOKS = frozenset({"useQuery", "useSuspenseQuery", "useInfiniteQuery", "useSuspenseInfiniteQuery",
                          "queryOptions", "infiniteQueryOptions"})
_MUTATION_HOOKS = frozenset({"useMutation", "mutationOptions"})
_WRAPPERS = frozenset({"Partial", "Readonly", "Required", "NonNullable", "Pick", "Omit", "Awaited", "Promise"})


#: the success response of an openapi-typescript operation: `200: JsonResponse<components['schemas']['X'][]>`
_OP_RESPONSE = re.compile(r"\b20[012]\s*:(?:(?!\b[1-5]\d\d\s*:).)*?"
                          r"components\[\s*['\"]schemas['\"]\s*\]\[\s*['\"](\w+)['\"]\s*\](\[\])?", re.S)


class TypeFacts(FlowBase):
    """Types and their key members."""

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

    def declaring(self, ref: TypeRef, member: str, depth: int = 0) -> TypeRef:
        """The declared type that holds `member`: `BulkCancelResult` for `BulkCancelResponse = BulkCancelResult`
        (a generated client's alias), the interface an `extends` brings it from; `ref` itself otherwise.
        Memoized: declarations do not change during the flow, and every round asks again."""
        if not isinstance(ref, str) or depth > 6:
            return ref
        if depth == 0:
            found = self._declaring_cache.get((ref, member))
            if found is None:
                found = self._declaring_cache[(ref, member)] = self._declaring(ref, member, 0)
            return found
        return self._declaring(ref, member, depth)

    def _declaring(self, ref: str, member: str, depth: int) -> TypeRef:
        for d in self.types.get(ref, ()):
            if member in d.members:
                return ref
            for base in d.bases:
                b = self.norm(base, d.file)
                if isinstance(b, str) and b != ref:
                    found = self.declaring(b, member, depth + 1)
                    if found != b or any(member in x.members for x in self.types.get(b, ())):
                        return found
        return ref

    def is_key_member(self, owner: str, member: str) -> str:
        if self._reading is not None:  # the running round reads `key_members` at (owner, member) (fixpoint.run)
            self._reading.add((owner, member))
        if self.foreign(member):
            return ""
        if self.kn.is_key_name(member):
            return self.kn.origin(member) or f"{member} names the key"
        if member == "id" and owner in self.affected:
            return self.affected[owner] or f"{owner} is tied to the affected schema"
        if self.kn.is_scoped_member(owner, member):
            return self.kn.origin(member) or f"{owner}.{member} holds the key"
        found = self.key_members.get((owner, member), "")
        if not found and not owner.startswith("@"):
            holder = self.declaring(owner, member)
            if holder != owner and isinstance(holder, str):
                found = self.is_key_member(holder, member)
        return found

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
        if expr is None or depth > 10:  # deep enough for `rows.map((b) => ...)`, rows = useMemo(() => [...xs].sort())
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
            if name.rpartition(".")[2] in ("useMemo", "useCallback"):  # useMemo(() => [...rows].sort(cmp), [rows])
                args = expr.child_by_field_name("arguments")
                cb = fi.func_of(args.named_children[0]) if args is not None and args.named_children else None
                if name.endswith("useMemo") and cb is not None:
                    for ret in cb.returns:
                        t_ = self.type_of(ret, cb, fi, depth + 1)
                        if t_ is not None:
                            return t_
                return None
            # a generic (`request<T>()`, `get: <T>(p: string) => request<T>(p)`) returns what the call asks for
            targets = [f for f in self.funcs.get(name, ()) or self.instance_methods(name, func, fi)
                       if f.node.child_by_field_name("type_parameters") is None]
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
            args = expr.child_by_field_name("arguments")
            first = args.named_children[0] if args is not None and args.named_children else None
            if first is not None and first.type == "string" and "operations" in self.types and \
                    any(g.node.child_by_field_name("type_parameters") is not None for g in self.funcs.get(name, ())):
                return self._operation_result(fi.text(first)[1:-1])  # call('publish_many', {...})
        return None

    def _operation_result(self, op: str) -> str | None:
        """The schema an openapi-typescript operation answers with (`operations['publish_many']['responses'][200]`
        naming `components['schemas']['BulkPublishOut']`), for a typed wrapper called with the operation's id."""
        cache: dict[str, str | None] = self.__dict__.setdefault("_op_results", {})
        if op in cache:
            return cache[op]
        found: str | None = None
        for d in self.types.get("operations", ()):
            body = next((c for c in d.node.named_children if c.type in ("interface_body", "object_type")), None)
            for member in body.named_children if body is not None else ():
                name = member.child_by_field_name("name")
                if member.type != "property_signature" or name is None or d.file.text(name).strip("'\"") != op:
                    continue
                m = _OP_RESPONSE.search(d.file.text(member))
                if m is not None:
                    found = m.group(1) + ("[]" if m.group(2) else "")
        cache[op] = found
        return found

    def instance_methods(self, name: str, func: Func | None, fi: FileIndex) -> list[Func]:
        """The class methods `api.archive` calls when `api` is declared of a class type or made by `new Api()`
        (`export const projectsApi = new ProjectsApi()` imported from another file)."""
        obj, _, meth = name.partition(".")
        if not obj or not meth or "." in meth or obj == "?":
            return []
        b = self.module_binding(obj, fi, func)
        if b is None or b.prop_of:
            return []
        cls: TypeRef | None = None
        if b.type_node is not None:
            cls = self.norm(b.type_node, b.file)
        elif b.init is not None and b.init.type == "new_expression":
            ctor = b.init.child_by_field_name("constructor")
            cls = b.file.text(ctor) if ctor is not None and ctor.type == "identifier" else None
        return list(self.funcs.get(f"{cls}.{meth}", ())) if isinstance(cls, str) else []

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
        if b.of is not None:  # for (const row of rows) / for (const { id } of rows)
            ot = self.type_of(b.of, b.func, fi, depth + 1)
            if not isinstance(ot, str) or not ot.endswith("[]"):
                return None
            if not b.prop_of:
                return ot[:-2]
            found = self.member_type(ot[:-2], b.prop_of, fi)
            return self.norm(found[0], found[1]) if found else None
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
                if k is not None and fi.text(k) in ("onSuccess", "onSettled") and pair.parent is not None:
                    return self._mutation_data_type(pair.parent, fi, depth + 1)
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
        if b.kind == "param" and not b.prop_of and b.func is not None and b.index >= 0 and depth < 6:
            holder = b.func.node.parent  # useStore((state) => state.selected), useStore(select: (state: State) => T)
            call = holder.parent if holder is not None and holder.type == "arguments" else None
            if holder is not None and call is not None and call.type == "call_expression":
                pos = next((i for i, a in enumerate(holder.named_children) if a.id == b.func.node.id), -1)
                for g in self.funcs.get(callee_name(fi, call), ()):
                    group = g.params[pos] if 0 <= pos < len(g.params) else []
                    ann = unwrap_type(group[0].type_node) if len(group) == 1 and not group[0].prop_of else None
                    if ann is not None and ann.type == "function_type":
                        got = self._contextual_param(ann, b.index, g.file)
                        if isinstance(got, str) and got not in {n for n, _ in _type_params(g)}:
                            return got
        if b.kind == "param" and not b.prop_of and b.func is not None and b.index >= 0:
            decl = b.func.node.parent  # const newestFirst: Comparator<Pick<Course, 'id'>> = (a, b) => ...
            value = decl.child_by_field_name("value") if decl is not None and decl.type == "variable_declarator" \
                else None
            if decl is not None and value is not None and value.id == b.func.node.id:
                return self._contextual_param(unwrap_type(decl.child_by_field_name("type")), b.index, fi)
        return None

    def _contextual_param(self, ann: ts.Node | None, i: int, fi: FileIndex) -> TypeRef | None:
        """The type of parameter `i` of a function a variable is declared with: `(a: Row, b: Row) => number`, or an
        alias of one given its type argument (`Comparator<Row>` with `type Comparator<T> = (a: T, b: T) => number`)."""
        fn_type, tfi, bound = ann, fi, {}
        if ann is not None and ann.type == "generic_type":
            name = ann.child_by_field_name("name")
            targs = ann.child_by_field_name("type_arguments")
            decl = next((d for d in self.types.get(fi.text(name) if name is not None else "", ())
                         if d.node.type == "type_alias_declaration"), None)
            value = decl.node.child_by_field_name("value") if decl is not None else None
            tps = decl.node.child_by_field_name("type_parameters") if decl is not None else None
            if decl is None or value is None or tps is None or targs is None:
                return None
            names = [decl.file.text(tp.child_by_field_name("name") or tp) for tp in tps.named_children]
            bound = dict(zip(names, targs.named_children, strict=False))
            fn_type, tfi = value, decl.file
        if fn_type is None or fn_type.type != "function_type":
            return None
        params = fn_type.child_by_field_name("parameters")
        plist = [p for p in params.named_children if p.type in ("required_parameter", "optional_parameter")] \
            if params is not None else []
        ptype = unwrap_type(plist[i].child_by_field_name("type")) if i < len(plist) else None
        if ptype is None:
            return None
        if tfi.text(ptype) in bound:
            return self.norm(bound[tfi.text(ptype)], fi)
        return self.norm(ptype, tfi)

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

    def _mutation_data_type(self, obj: ts.Node, fi: FileIndex, depth: int) -> TypeRef | None:
        """The `data` an `onSuccess(data)` receives: what the `mutationFn` of `useMutation({ mutationFn,
        onSuccess })` returns, or, for `m.mutate(vars, { onSuccess })` with `m = useBulkCancel()`, of the
        `useMutation` that hook returns."""
        args = obj.parent
        call = args.parent if args is not None and args.type == "arguments" else None
        if call is None or call.type != "call_expression" or args is None or depth > 5:
            return None
        short = callee_name(fi, call).rpartition(".")[2]
        position = next((i for i, a in enumerate(args.named_children) if a.id == obj.id), -1)
        if short in _MUTATION_HOOKS and position == 0:
            return self._query_fn_type(obj, fi, depth + 1, "mutationFn")
        fn = call.child_by_field_name("function")
        recv = fn.child_by_field_name("object") if fn is not None and fn.type == "member_expression" else None
        if short not in ("mutate", "mutateAsync") or position != 1 or recv is None or recv.type != "identifier":
            return None
        b = fi.resolve(fi.text(recv), fi.func_of(obj) or enclosing_func(fi, obj))
        for options, ofi in self.mutation_options(b):
            return self._query_fn_type(options, ofi, depth + 1, "mutationFn")
        return None

    def mutation_options(self, b: Binding | None) -> list[tuple[ts.Node, FileIndex]]:
        """The `useMutation({...})` options of `m` in `const m = useArchive()` (the hook returns the mutation)."""
        if b is None or b.init is None or b.init.type != "call_expression" or b.prop_of:
            return []
        out = []
        for g in self.funcs.get(callee_name(b.file, b.init), ()):
            for ret in g.returns:
                rargs = ret.child_by_field_name("arguments") if ret.type == "call_expression" else None
                if rargs is not None and rargs.named_children and rargs.named_children[0].type == "object" and \
                        callee_name(g.file, ret).rpartition(".")[2] in _MUTATION_HOOKS:
                    out.append((rargs.named_children[0], g.file))
        return out

    def query_fns(self, g: Func) -> list[Func]:
        """The `queryFn` callbacks of the `useQuery({...})` calls `g` returns."""
        out = []
        for ret in g.returns:
            args = ret.child_by_field_name("arguments") if ret.type == "call_expression" else None
            if args is None or not args.named_children or args.named_children[0].type != "object" or \
                    callee_name(g.file, ret).rpartition(".")[2] not in _QUERY_HOOKS:
                continue
            qf = pair_value(args.named_children[0], "queryFn", g.file)
            cb = g.file.func_of(qf) if qf is not None else None
            if cb is not None:
                out.append(cb)
        return out

    def _query_fn_type(self, obj: ts.Node, fi: FileIndex, depth: int, key: str = "queryFn") -> TypeRef | None:
        qf = pair_value(obj, key, fi)
        cb = fi.func_of(qf) if qf is not None else None
        if cb is None or depth > 5:
            return None
        for ret in cb.returns:
            t = self.type_of(ret, cb, fi, depth + 1)
            if t is not None:
                return t
        return None


def _type_params(g: Func) -> list[tuple[str, None]]:
    tps = g.node.child_by_field_name("type_parameters")
    return [(g.file.text(tp.child_by_field_name("name") or tp), None) for tp in (tps.named_children if tps else ())]
