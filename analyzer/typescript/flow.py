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

import tree_sitter as ts

from analyzer.models import RouteSeed
from analyzer.typescript.index import Binding, FileIndex, Func, TypeDecl, callee_name, unwrap_type
from analyzer.typescript.names import KeyNames

TypeRef = str | ts.Node
ARRAY_METHODS = frozenset(
    {"map", "filter", "find", "forEach", "some", "every", "sort", "flatMap", "findIndex", "findLast",
     "toSorted", "reduce"}
)
CASTS = frozenset({"Number", "parseInt", "parseFloat", "String", "BigInt"})
_WRAPPERS = frozenset({"Partial", "Readonly", "Required", "NonNullable", "Pick", "Omit", "Awaited", "Promise"})
_PATHISH = re.compile(r"^(https?://[^/]*)?/")


class Project:
    def __init__(self, files: list[FileIndex], kn: KeyNames) -> None:
        self.files = files
        self.kn = kn
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
        self.changed = False
        self._type_depth = 0

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
            for f in self.funcs.get(name, ()):
                if f.return_type is not None:
                    return self.norm(f.return_type, f.file)
        return None

    def binding_type(self, b: Binding, depth: int = 0) -> TypeRef | None:
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
        if b.prop_of and b.kind == "param" and b.func is not None and b.index == 0:
            return None
        if b.kind == "var" and b.init is not None and not b.prop_of:
            return self.type_of(b.init, b.func, fi, depth + 1)
        if b.kind == "param" and b.func is not None and b.func.node.parent is not None:
            args = b.func.node.parent  # callback of arr.map(...)
            call = args.parent if args.type == "arguments" else None
            if call is not None and call.type == "call_expression" and b.index == 0:
                fn = call.child_by_field_name("function")
                if fn is not None and fn.type == "member_expression":
                    prop = fn.child_by_field_name("property")
                    if prop is not None and fi.text(prop) in ARRAY_METHODS:
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

    # ------------------------------------------------------------------ key expressions
    def is_key(self, expr: ts.Node | None, func: Func | None, fi: FileIndex, depth: int = 0) -> str:
        """Why `expr` holds a key, or "" when it does not."""
        if expr is None or depth > 8:
            return ""
        t = expr.type
        if t in ("parenthesized_expression", "non_null_expression", "as_expression", "satisfies_expression",
                 "await_expression"):
            inner = expr.named_children[0] if expr.named_children else None
            return self.is_key(inner, func, fi, depth + 1)
        if t == "identifier" or t == "shorthand_property_identifier":
            name = fi.text(expr)
            b = fi.resolve(name, func)
            if b is not None and b.key:
                return b.why
            if self.kn.is_key_name(name):
                return self.kn.origin(name) or f"{name} names the key"
            return ""
        if t == "member_expression":
            prop = expr.child_by_field_name("property")
            if prop is None:
                return ""
            pname = fi.text(prop)
            if self.kn.is_key_name(pname):
                return self.kn.origin(pname) or f"{pname} names the key"
            ot = self.type_of(expr.child_by_field_name("object"), func, fi)
            if ot is not None:
                return self.is_key_member(self.type_key(ot, fi), pname)
            return ""
        if t == "call_expression":
            fn = expr.child_by_field_name("function")
            if fn is not None and fi.text(fn) in CASTS:
                args = expr.child_by_field_name("arguments")
                if args is not None and args.named_children:
                    return self.is_key(args.named_children[0], func, fi, depth + 1)
            return ""
        if t == "unary_expression":
            op = expr.child_by_field_name("operator")
            if op is not None and fi.text(op) == "+":
                return self.is_key(expr.child_by_field_name("argument"), func, fi, depth + 1)
            return ""
        if t == "ternary_expression":
            for field in ("consequence", "alternative"):
                why = self.is_key(expr.child_by_field_name(field), func, fi, depth + 1)
                if why:
                    return why
            return ""
        if t == "binary_expression":
            op = expr.child_by_field_name("operator")
            if op is not None and fi.text(op) in ("??", "||"):
                return self.is_key(expr.child_by_field_name("left"), func, fi, depth + 1) or \
                    self.is_key(expr.child_by_field_name("right"), func, fi, depth + 1)
        return ""

    def cast_arg(self, expr: ts.Node, fi: FileIndex) -> ts.Node | None:
        """The x of `Number(x)`, `parseInt(x, 10)`, `+x`; None otherwise."""
        if expr.type == "call_expression":
            fn = expr.child_by_field_name("function")
            if fn is not None and fi.text(fn) in ("Number", "parseInt", "parseFloat"):
                args = expr.child_by_field_name("arguments")
                if args is not None and args.named_children:
                    return args.named_children[0]
        elif expr.type == "unary_expression":
            op = expr.child_by_field_name("operator")
            if op is not None and fi.text(op) == "+":
                return expr.child_by_field_name("argument")
        return None

    def mark(self, b: Binding, why: str) -> None:
        if not b.key:
            b.key = True
            b.why = why
            self.changed = True

    def mark_backward(self, expr: ts.Node | None, func: Func | None, fi: FileIndex, why: str, depth: int = 0) -> None:
        if expr is None or depth > 6:
            return
        t = expr.type
        if t in ("parenthesized_expression", "non_null_expression", "as_expression", "satisfies_expression"):
            if expr.named_children:
                self.mark_backward(expr.named_children[0], func, fi, why, depth + 1)
            return
        if t == "call_expression":
            fn = expr.child_by_field_name("function")
            if fn is not None and fi.text(fn) in ("String", "encodeURIComponent"):
                args = expr.child_by_field_name("arguments")
                if args is not None and args.named_children:
                    self.mark_backward(args.named_children[0], func, fi, why, depth + 1)
                return
        inner = self.cast_arg(expr, fi)
        if inner is not None:
            if expr.id not in self.key_casts:
                self.key_casts[expr.id] = why
                self.changed = True
            self.mark_backward(inner, func, fi, why, depth + 1)
            return
        if t in ("identifier", "shorthand_property_identifier"):
            b = fi.resolve(fi.text(expr), func)
            if b is not None:
                self.mark(b, why)
            return
        if t == "member_expression":
            prop = expr.child_by_field_name("property")
            ot = self.type_of(expr.child_by_field_name("object"), func, fi)
            if ot is not None and prop is not None:
                k = (self.type_key(ot, fi), fi.text(prop))
                if not self.is_key_member(*k) and not ot == "number":
                    self.key_members[k] = why
                    self.changed = True
            return
        if t == "ternary_expression":
            for field in ("consequence", "alternative"):
                self.mark_backward(expr.child_by_field_name(field), func, fi, why, depth + 1)

    # ------------------------------------------------------------------ the fixed point
    def run(self, max_rounds: int = 12) -> int:
        self.compute_affected()
        self.link_routes()
        for b in (b for fi in self.files for b in fi.bindings):
            if self.kn.is_key_name(b.name) or (b.prop_of and self.kn.is_key_name(b.prop_of)):
                self.mark(b, self.kn.origin(b.prop_of or b.name) or f"{b.name} names the key")
            elif self.kn.is_key_alias_type(_type_name(b.type_node, b.file)):
                self.mark(b, f"typed {_type_name(b.type_node, b.file)}")
        rounds = 0
        while rounds < max_rounds:
            rounds += 1
            self.changed = False
            for fi in self.files:
                self._round(fi)
            if not self.changed:
                break
        return rounds

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
                continue
            if b.init is not None and b.kind == "var":
                why = self.is_key(b.init, b.func, fi)
                if why:
                    self.mark(b, why)
            elif b.kind == "param" and not b.prop_of and b.type_node is not None:
                ty = self.norm(b.type_node, fi)
                if isinstance(ty, str) and self.kn.is_key_alias_type(ty):
                    self.mark(b, f"typed {ty}")
        for b in fi.bindings:  # a key variable initialised from a cast makes the cast a hazard
            if b.key and b.kind in ("var", "state") and b.init is not None and not b.prop_of:
                self.mark_backward(b.init, b.func, fi, b.why)
        for call, func in fi.calls:
            self._call(fi, call, func)
        for el, func in fi.jsx:
            self._jsx(fi, el, func)

    def _call(self, fi: FileIndex, call: ts.Node, func: Func | None) -> None:
        args_node = call.child_by_field_name("arguments")
        if args_node is None or args_node.type != "arguments":
            return
        args = args_node.named_children
        name = callee_name(fi, call)
        if not name:
            return
        local = fi.resolve(name, func) if "." not in name else None
        if local is not None and local.kind == "state" and name == local.setter and args:
            arg = args[0]
            if arg.type not in ("arrow_function", "function_expression"):
                why = self.is_key(arg, func, fi)
                if why:
                    self.mark(local, why)
                elif local.key:
                    self.mark_backward(arg, func, fi, local.why)
            return
        targets = self.funcs.get(name, ())
        for g in targets:
            for i, arg in enumerate(args):
                if i >= len(g.params):
                    break
                group = g.params[i]
                if len(group) == 1 and not group[0].prop_of:
                    b = group[0]
                    why = self.is_key(arg, func, fi)
                    if why:
                        self.mark(b, f"{why} -> {g.name}({b.name})")
                    elif b.key:
                        self.mark_backward(arg, func, fi, b.why)
                elif group and arg.type == "object":
                    self._object_arg(fi, arg, func, group, g.name)

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
            elif b.key:
                self.mark_backward(value, func, fi, b.why)

    def _jsx(self, fi: FileIndex, el: ts.Node, func: Func | None) -> None:
        name = el.child_by_field_name("name")
        if name is None:
            return
        comps = self.funcs.get(fi.text(name), ())
        if not comps:
            return
        for attr in el.named_children:
            if attr.type != "jsx_attribute" or not attr.named_children:
                continue
            aname = fi.text(attr.named_children[0])
            value = attr.named_children[1] if len(attr.named_children) > 1 else None
            if value is None or value.type != "jsx_expression" or not value.named_children:
                continue
            expr = value.named_children[0]
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
                            why = self.is_key(expr, func, fi)
                            if why and not self.is_key_member(*k):
                                self.key_members[k] = why
                                self.changed = True
                            elif self.is_key_member(*k):
                                self.mark_backward(expr, func, fi, self.is_key_member(*k))
                    continue
                if target is None:
                    continue
                why = self.is_key(expr, func, fi)
                if why:
                    if not target.key:
                        self.mark(target, f"{why} -> <{g.name} {aname}>")
                    if target.source_type is not None:
                        st = self.norm(target.source_type, g.file)
                        if st is not None:
                            k = (self.type_key(st, g.file), aname)
                            if not self.is_key_member(*k):
                                self.key_members[k] = target.why
                                self.changed = True
                elif target.key:
                    self.mark_backward(expr, func, fi, target.why)

    # ------------------------------------------------------------------ URLs -> backend routes
    def link_routes(self) -> None:
        for fi in self.files:
            for node, func in fi.watched:
                if node.type not in ("template_string", "string"):
                    continue
                parts = url_parts(node, fi)
                if parts is None:
                    continue
                if func is not None:
                    func.named.urls.append(node)
                for route, subs in self.match_routes(parts):
                    why = f"{route.method} {route.template} ({route.origin})"
                    if func is not None and not func.named.route:
                        func.named.route = why
                    for expr in subs:
                        self.mark_backward(expr, func, fi, why)

    def match_routes(self, parts: list[str | ts.Node]) -> list[tuple[RouteSeed, list[ts.Node]]]:
        """Routes whose template ends like this URL; with the URL's expressions at key params."""
        segs = _segments(parts)
        if not segs:
            return []
        out = []
        for route in self.kn.routes:
            rsegs = [s for s in route.template.split("?")[0].split("/") if s]
            usegs = segs
            if usegs and not isinstance(usegs[0], str) and len(usegs) > 1:
                usegs = usegs[1:]  # `${API}/contents/${id}`: a leading expression is the base URL
            if len(usegs) > len(rsegs) or not usegs:
                continue
            tail = rsegs[len(rsegs) - len(usegs):]
            literal_hits = 0
            subs: list[ts.Node] = []
            ok = True
            for u, r in zip(usegs, tail, strict=False):
                rparam = r.startswith("{") and r.endswith("}")
                if isinstance(u, str):
                    if rparam or u != r:
                        ok = False
                        break
                    literal_hits += 1
                else:
                    if not rparam:
                        ok = False
                        break
                    if r.strip("{}").split(":")[0] in route.params:
                        subs.append(u)
            if ok and literal_hits and (len(usegs) == len(rsegs) or literal_hits >= 1):
                out.append((route, subs))
        return out


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
            p = p.split("?")[0].split("#")[0]
            pieces = p.split("/")
            for i, piece in enumerate(pieces):
                if i > 0:
                    segs.append(_join(current))
                    current = []
                if piece:
                    current.append(piece)
            if "?" in str(p):
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
