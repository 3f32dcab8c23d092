"""Mechanical fixes the compiler spells out: tsc says the key, a `string` now, reaches a slot typed `number`.

    toggle(vehicle.id)      TS2345 Argument of type 'string' is not assignable to parameter of type 'number'
    -> function toggle(id: number)                  becomes  function toggle(id: string)

The diagnostic's position is read with tree-sitter (the same grammars as the scanner) and followed to the
annotation that declares the slot: the callee's parameter (a local function, a `const f = (...) => ...`,
one wrapped in `useCallback`, or one imported with a relative specifier), a `useState<T>` setter, the
element of a `Set`/`ReadonlySet`/array or the key of a `Map`/`Record` a method is called on
(`selected.has(id)`), a variable's annotation (`const x: number = id`), the property of the type an object
literal or a JSX attribute is checked against, a function's return type, or the other side of a
comparison tsc calls unintentional (TS2367). Only the `number` keywords of that annotation change (the
element of `Set<number>`, the key of `Map<number, X>`, the parameters of a function type, never a
comparator's `number` result). Anything else (a number passed where the key now goes, a library's
signature, arithmetic) is not mechanical: it stays for a person, at the line, with the compiler's message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import tree_sitter as ts

from analyzer.typescript.parsing import parser_for

_ASSIGNABLE = re.compile(r"(?:Argument of type|Type) '(?P<src>.+?)' is not assignable to (?:parameter of )?"
                         r"type '(?P<dst>.+?)'")
_OVERLAP = re.compile(r"types '(?P<a>.+?)' and '(?P<b>.+?)' have no overlap")
_INDEX = re.compile(r"index expression is not of type 'number'")
_WORD = re.compile(r"[A-Za-z_$][\w$]*")
_TS_EXT = (".ts", ".tsx", ".mts", ".cts")
_FUNCS = frozenset({"function_declaration", "function_expression", "arrow_function", "method_definition",
                    "generator_function_declaration", "function", "generator_function"})
_WRAPPERS = frozenset({"useCallback", "useMemo", "memo", "forwardRef", "observer"})
#: generics whose first argument is the element of the container, or the key of the map
_ELEMENT = frozenset({"Array", "ReadonlyArray", "Set", "ReadonlySet", "Promise", "Iterable", "SetStateAction"})
_KEYED = frozenset({"Map", "ReadonlyMap", "Record", "WeakMap"})
_ELEMENT_METHODS = frozenset({"add", "has", "delete", "push", "includes", "indexOf", "lastIndexOf", "unshift"})
_KEY_METHODS = frozenset({"get", "set", "has", "delete"})


@dataclass(frozen=True)
class Slot:
    """The `number` keywords to turn into `string` in one annotation of one file (the copy's current text)."""

    rel: str  # root-relative path of the file holding the annotation
    spans: tuple[tuple[int, int], ...]  # str offsets of each `number` keyword
    line: int  # 1-based line of the first keyword
    symbol: str  # "toggle.id", "RowProps.selected", "useSelection.selected", "firstId()"
    what: str  # "parameter" | "property" | "variable" | "state" | "return type" | "type alias"


def string_meets_number(code: str, message: str) -> bool:
    """Does the diagnostic say a string (the key) reaches a place typed as a number?"""
    m = _ASSIGNABLE.search(message)
    if m:
        src, dst = set(_WORD.findall(m.group("src"))), set(_WORD.findall(m.group("dst")))
        return "string" in src and "number" not in src and "number" in dst and "string" not in dst
    m = _OVERLAP.search(message)
    if m and code == "TS2367":
        return {m.group("a"), m.group("b")} == {"string", "number"}
    return code == "TS7015" and bool(_INDEX.search(message))


class Tree:
    """One file of the copy, parsed."""

    def __init__(self, rel: str, text: str) -> None:
        self.rel = rel
        self.text = text
        self.data = text.encode("utf-8")
        self.ascii = len(self.data) == len(text)
        self.tree = parser_for(rel.endswith((".tsx", ".jsx", ".js"))).parse(self.data)
        self._starts: list[int] = []

    def node_text(self, node: ts.Node) -> str:
        return self.data[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def char(self, byte: int) -> int:
        return byte if self.ascii else len(self.data[:byte].decode("utf-8", "replace"))

    def byte(self, char: int) -> int:
        return char if self.ascii else len(self.text[:char].encode("utf-8"))

    def offset(self, line: int, col: int) -> int:
        """str offset of a 1-based (line, column) as tsc prints it."""
        if not self._starts:
            self._starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        return self._starts[min(line, len(self._starts)) - 1] + col - 1

    def at(self, line: int, col: int) -> ts.Node | None:
        b = self.byte(self.offset(line, col))
        return self.tree.root_node.named_descendant_for_byte_range(b, b)


class Resolver:
    """Follows a diagnostic to the annotation it is about, across the copy's files (relative imports)."""

    def __init__(self, copy: Path) -> None:
        self.copy = copy
        self._trees: dict[str, Tree] = {}

    def tree(self, rel: str) -> Tree | None:
        try:
            text = (self.copy / rel).read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        cached = self._trees.get(rel)
        if cached is None or cached.text != text:
            cached = self._trees[rel] = Tree(rel, text)
        return cached

    def scope(self, rel: str, node: ts.Node) -> str:
        """The function (or variable, or type) a node of file `rel` belongs to: `toggle`, `<module>`."""
        t = self.tree(rel)
        return _scope_name(t, node) if t is not None else "<module>"

    # ------------------------------------------------------------------ entry point

    def slot_for(self, rel: str, line: int, col: int, code: str, message: str) -> Slot | None:
        """The annotation to change for one diagnostic, or None when the fix is not mechanical."""
        if not string_meets_number(code, message):
            return None
        t = self.tree(rel)
        node = t.at(line, col) if t is not None else None
        if t is None or node is None:
            return None
        if code == "TS2367":
            return self._comparison(t, node)
        if code == "TS7015":
            return self._subscript(t, node)
        if code == "TS2345":
            return self._argument(t, node)
        return self._assignment(t, node)

    # ------------------------------------------------------------------ the diagnostic's place

    def _argument(self, t: Tree, node: ts.Node) -> Slot | None:
        """`f(x)` where f's parameter (or the container `s.has(x)` is called on) is typed number."""
        child, parent = node, node.parent
        while parent is not None and parent.type != "arguments":
            if parent.type in ("statement_block", "program", "jsx_attribute", "pair"):
                return None
            child, parent = parent, parent.parent
        if parent is None or parent.parent is None or parent.parent.type != "call_expression":
            return None
        index = next((i for i, a in enumerate(parent.named_children) if a.id == child.id), -1)
        call = parent.parent
        callee = call.child_by_field_name("function")
        if callee is None or index < 0:
            return None
        if callee.type == "identifier":
            return self._callable_param(t, t.node_text(callee), call, index)
        if callee.type == "member_expression":
            obj, prop = callee.child_by_field_name("object"), callee.child_by_field_name("property")
            if obj is None or prop is None:
                return None
            method = t.node_text(prop)
            if method in _ELEMENT_METHODS | _KEY_METHODS:  # selected.has(id): the container's element or key
                typed = self._type_of(t, obj)
                return self._slot(*typed) if typed is not None and index == 0 else None
            return self._function_typed(self._type_of(t, callee), index)  # props.onPick(id)
        return None

    def _function_typed(self, typed: tuple[Tree, ts.Node, str, str] | None, index: int) -> Slot | None:
        """A callee declared with a function type (`onPick: (vehicleId: number) => void`): its parameter."""
        if typed is None or typed[1].type != "function_type":
            return None
        tt, fn_type, symbol, _what = typed
        params = fn_type.child_by_field_name("parameters")
        plist = [p for p in (params.named_children if params is not None else [])
                 if p.type in ("required_parameter", "optional_parameter")]
        ann = _unwrap(plist[index].child_by_field_name("type")) if index < len(plist) else None
        return self._slot(tt, ann, symbol, "parameter")

    def _assignment(self, t: Tree, node: ts.Node) -> Slot | None:
        """`const x: number = id`, `x = id`, `{ vehicleId: id }`, `<Row vehicleId={id} />`, `return id`."""
        parent = node.parent
        if node.type == "identifier" and parent is not None and parent.type == "variable_declarator" \
                and _same(parent.child_by_field_name("name"), node):
            ann = _unwrap(parent.child_by_field_name("type"))
            return self._slot(t, ann, _qualified(_scope_name(t, parent), t.node_text(node)), "variable") if ann else None
        if parent is not None and parent.type == "assignment_expression" and _same(parent.child_by_field_name("left"), node):
            return self._declared(t, node)
        if node.type in ("property_identifier", "shorthand_property_identifier") and parent is not None:
            if parent.type == "jsx_attribute":
                return self._jsx_prop(t, parent, t.node_text(node))
            if parent.type == "pair" or node.type == "shorthand_property_identifier":
                obj = parent if node.type == "shorthand_property_identifier" else parent.parent
                return self._member_of(t, obj, t.node_text(node)) if obj is not None else None
        if node.type == "return_statement":  # tsc points at `return` when the returned value does not fit
            fn = _ancestor(node, *_FUNCS)
            if fn is not None:
                return self._return_type(t, fn)
        if parent is not None and parent.type == "arrow_function" and _same(parent.child_by_field_name("body"), node):
            return self._return_type(t, parent)
        return None

    def _comparison(self, t: Tree, node: ts.Node) -> Slot | None:
        expr = node if node.type == "binary_expression" else _ancestor(node, "binary_expression")
        if expr is None:
            return None
        found = []
        for side in ("left", "right"):  # a plain name only: `trip.id === vehicle.id` compares two keys
            operand = expr.child_by_field_name(side)
            typed = self._type_of(t, operand) if operand is not None and operand.type == "identifier" else None
            slot = self._slot(*typed) if typed is not None else None
            if slot is not None:
                found.append(slot)
        return found[0] if len(found) == 1 else None

    def _subscript(self, t: Tree, node: ts.Node) -> Slot | None:
        expr = node if node.type == "subscript_expression" else _ancestor(node, "subscript_expression")
        obj = expr.child_by_field_name("object") if expr is not None else None
        typed = self._type_of(t, obj) if obj is not None else None
        return self._slot(*typed) if typed is not None else None

    # ------------------------------------------------------------------ declarations

    def _callable_param(self, t: Tree, name: str, at: ts.Node, index: int) -> Slot | None:
        decl = _lookup(t, name, at)
        pattern = decl.child_by_field_name("name") if decl is not None and decl.type == "variable_declarator" \
            else None
        if decl is not None and pattern is not None and pattern.type == "array_pattern":  # a useState setter
            typed = self._declared_type(t, decl, name)
            return self._slot(*typed) if typed is not None and index == 0 else None
        found = self._callable(t, name, at)
        if found is None:  # a parameter or prop declared with a function type
            return self._function_typed(self._declared_type(t, decl, name), index) if decl is not None else None
        tt, fn, fname = found
        params = fn.child_by_field_name("parameters")
        plist = [p for p in (params.named_children if params is not None else [])
                 if p.type in ("required_parameter", "optional_parameter")]
        if index >= len(plist):
            return None
        param = plist[index]
        pattern = param.child_by_field_name("pattern")
        ann = _unwrap(param.child_by_field_name("type"))
        if ann is None or pattern is None or pattern.type != "identifier":
            return None
        return self._slot(tt, ann, f"{fname}.{tt.node_text(pattern)}", "parameter")

    def _callable(self, t: Tree, name: str, at: ts.Node) -> tuple[Tree, ts.Node, str] | None:
        """The function node `name` calls (same file, scope by scope, then a relative import)."""
        decl = _lookup(t, name, at)
        if decl is not None:
            return self._function_of(t, decl, name)
        target = self._imported(t, name)
        if target is None:
            return None
        tt, exported = target
        decl = _lookup(tt, exported, None)
        return self._function_of(tt, decl, exported) if decl is not None else None

    def _function_of(self, t: Tree, decl: ts.Node, name: str) -> tuple[Tree, ts.Node, str] | None:
        if decl.type in _FUNCS:
            return t, decl, name
        if decl.type == "variable_declarator":
            value = decl.child_by_field_name("value")
            while value is not None and value.type == "call_expression":  # useCallback((id: number) => ..., [])
                callee = value.child_by_field_name("function")
                args = value.child_by_field_name("arguments")
                if callee is None or t.node_text(callee).rpartition(".")[2] not in _WRAPPERS or args is None \
                        or not args.named_children:
                    return None
                value = args.named_children[0]
            if value is not None and value.type in _FUNCS:
                return t, value, name
        return None

    def _imported(self, t: Tree, name: str) -> tuple[Tree, str] | None:
        """The file and exported name behind `import { name } from './x'` (or `{ a as name }`)."""
        for stmt in t.tree.root_node.named_children:
            if stmt.type != "import_statement":
                continue
            source = stmt.child_by_field_name("source")
            spec = t.node_text(source).strip("'\"") if source is not None else ""
            if not spec.startswith("."):
                continue
            for s in _descendants(stmt, "import_specifier"):
                ids = [c for c in s.named_children if c.type == "identifier"]
                if ids and t.node_text(ids[-1]) == name:
                    rel = self._resolve(t.rel, spec)
                    tt = self.tree(rel) if rel else None
                    return (tt, t.node_text(ids[0])) if tt is not None else None
        return None

    def _resolve(self, rel: str, spec: str) -> str | None:
        base = _norm(str(Path(rel).parent / spec))
        for cand in (base, *(base + e for e in _TS_EXT), *(f"{base}/index{e}" for e in _TS_EXT)):
            if cand.endswith(_TS_EXT) and not cand.startswith("../") and (self.copy / cand).is_file():
                return cand
        return None

    def _declared(self, t: Tree, ident: ts.Node) -> Slot | None:
        typed = self._type_of(t, ident)
        if typed is None:
            return None
        tt, type_node, symbol, what = typed
        return self._slot(tt, type_node, symbol, what)

    def _type_of(self, t: Tree, expr: ts.Node) -> tuple[Tree, ts.Node, str, str] | None:
        """The declared type of an identifier (parameter, variable, state, destructured prop) or of
        `obj.prop` one level down, with the symbol and what it is."""
        if expr.type == "identifier":
            name = t.node_text(expr)
            decl = _lookup(t, name, expr)
            if decl is None:
                return None
            return self._declared_type(t, decl, name)
        if expr.type == "member_expression":
            obj, prop = expr.child_by_field_name("object"), expr.child_by_field_name("property")
            if obj is None or prop is None or obj.type not in ("identifier", "member_expression"):
                return None
            outer = self._type_of(t, obj)
            if outer is None:
                return None
            tt, type_node, _symbol, _what = outer
            return self._member_type(tt, type_node, t.node_text(prop))
        return None

    def _declared_type(self, t: Tree, decl: ts.Node, name: str) -> tuple[Tree, ts.Node, str, str] | None:
        scope = _scope_name(t, decl)
        if decl.type in ("required_parameter", "optional_parameter"):
            pattern = decl.child_by_field_name("pattern")
            ann = _unwrap(decl.child_by_field_name("type"))
            if ann is None:
                return None
            if pattern is not None and pattern.type == "object_pattern":  # ({ selected }: Props)
                prop = _pattern_prop(t, pattern, name)
                return self._member_type(t, ann, prop) if prop else None
            return t, ann, _qualified(scope, name), "parameter"
        if decl.type == "variable_declarator":
            pattern = decl.child_by_field_name("name")
            value = decl.child_by_field_name("value")
            if pattern is not None and pattern.type == "array_pattern":  # const [s, setS] = useState<T>()
                if value is None or value.type != "call_expression" or not t.node_text(
                        value.child_by_field_name("function") or value).endswith("useState"):
                    return None
                targs = value.child_by_field_name("type_arguments")
                arg = targs.named_children[0] if targs is not None and targs.named_children else None
                first = pattern.named_children[0] if pattern.named_children else None
                state = t.node_text(first) if first is not None else name
                return (t, arg, _qualified(scope, state), "state") if arg is not None else None
            ann = _unwrap(decl.child_by_field_name("type"))
            if ann is None and value is not None and value.type == "new_expression":  # new Set<number>()
                targs = value.child_by_field_name("type_arguments")
                ctor = value.child_by_field_name("constructor")
                if targs is not None and ctor is not None:
                    return t, value, _qualified(scope, name), "variable"
            return (t, ann, _qualified(scope, name), "variable") if ann is not None else None
        return None

    def _member_type(self, t: Tree, type_node: ts.Node, prop: str) -> tuple[Tree, ts.Node, str, str] | None:
        """The annotation of member `prop` of an object type, an interface or a type alias (followed across
        relative imports), with `TypeName.prop` as the symbol."""
        found = self._members(t, type_node, set())
        if found is None:
            return None
        tt, members, tname = found
        member = members.get(prop)
        if member is None:
            return None
        ann = _unwrap(member.child_by_field_name("type"))
        return (tt, ann, f"{tname}.{prop}", "property") if ann is not None else None

    def _members(self, t: Tree, type_node: ts.Node, seen: set[str]) -> tuple[Tree, dict[str, ts.Node], str] | None:
        if type_node.type == "object_type":
            return t, _object_members(t, type_node), _scope_name(t, type_node)
        if type_node.type != "type_identifier":
            return None
        name = t.node_text(type_node)
        key = f"{t.rel}:{name}"
        if key in seen:
            return None
        seen.add(key)
        decl = _type_decl(t, name)
        tt = t
        if decl is None:
            target = self._imported(t, name)
            if target is None:
                return None
            tt, exported = target
            decl = _type_decl(tt, exported)
            if decl is None:
                return None
        members: dict[str, ts.Node] = {}
        if decl.type == "interface_declaration":
            body = decl.child_by_field_name("body")
            if body is not None:
                members.update(_object_members(tt, body))
            for clause in decl.named_children:
                if clause.type == "extends_type_clause":
                    for base in clause.named_children:
                        inherited = self._members(tt, base, seen)
                        if inherited is not None and inherited[0] is tt:
                            members = {**inherited[1], **members}
        else:
            value = decl.child_by_field_name("value")
            if value is not None and value.type == "object_type":
                members.update(_object_members(tt, value))
        return tt, members, name

    def _member_of(self, t: Tree, obj: ts.Node, prop: str) -> Slot | None:
        """The type an object literal is checked against, and its member `prop`."""
        parent = obj.parent
        type_node: ts.Node | None = None
        if parent is not None and parent.type == "variable_declarator":
            type_node = _unwrap(parent.child_by_field_name("type"))
        elif parent is not None and parent.type == "return_statement":
            fn = _ancestor(parent, *_FUNCS)
            type_node = _unwrap(fn.child_by_field_name("return_type")) if fn is not None else None
        elif parent is not None and parent.type == "arguments" and parent.parent is not None:
            callee = parent.parent.child_by_field_name("function")
            index = next((i for i, a in enumerate(parent.named_children) if a.id == obj.id), -1)
            found = self._callable(t, t.node_text(callee), parent.parent) \
                if callee is not None and callee.type == "identifier" else None
            if found is not None and index >= 0:
                tt, fn, _name = found
                params = fn.child_by_field_name("parameters")
                plist = [p for p in (params.named_children if params else [])
                         if p.type in ("required_parameter", "optional_parameter")]
                if index < len(plist):
                    ann = _unwrap(plist[index].child_by_field_name("type"))
                    typed = self._member_type(tt, ann, prop) if ann is not None else None
                    return self._slot(*typed) if typed is not None else None
        if type_node is None:
            return None
        typed = self._member_type(t, type_node, prop)
        return self._slot(*typed) if typed is not None else None

    def _jsx_prop(self, t: Tree, attribute: ts.Node, prop: str) -> Slot | None:
        """`<Row vehicleId={id} />`: member `vehicleId` of Row's props type."""
        element = attribute.parent
        tag = element.child_by_field_name("name") if element is not None else None
        if element is None or tag is None or tag.type != "identifier":
            return None
        found = self._callable(t, t.node_text(tag), element)
        if found is None:
            return None
        tt, fn, _name = found
        params = fn.child_by_field_name("parameters")
        first = next((p for p in (params.named_children if params else [])
                      if p.type in ("required_parameter", "optional_parameter")), None)
        ann = _unwrap(first.child_by_field_name("type")) if first is not None else None
        typed = self._member_type(tt, ann, prop) if ann is not None else None
        return self._slot(*typed) if typed is not None else None

    def _return_type(self, t: Tree, fn: ts.Node) -> Slot | None:
        ann = _unwrap(fn.child_by_field_name("return_type"))
        return self._slot(t, ann, f"{_scope_name(t, fn)}()", "return type") if ann is not None else None

    # ------------------------------------------------------------------ the edit

    def _slot(self, t: Tree, type_node: ts.Node | None, symbol: str, what: str) -> Slot | None:
        """The `number` keywords of an annotation: itself, the element of a container type, the key of a
        map, the parameters of a function type."""
        if type_node is None:
            return None
        if type_node.type == "new_expression":  # new Set<number>() / new Map<number, X>()
            ctor = type_node.child_by_field_name("constructor")
            targs = type_node.child_by_field_name("type_arguments")
            name = t.node_text(ctor).rpartition(".")[2] if ctor is not None else ""
            args = targs.named_children if targs is not None else []
            nodes = _numbers(t, args[0], self) if name in _KEYED | _ELEMENT and args else []
        else:
            nodes = _numbers(t, type_node, self)
        if not nodes:
            return None
        tt = nodes[0][0]
        spans = tuple((tt.char(n.start_byte), tt.char(n.end_byte)) for owner, n in nodes if owner is tt)
        line = nodes[0][1].start_point[0] + 1
        if tt is not t:  # followed a type alias into another file
            what = "type alias"
        return Slot(rel=tt.rel, spans=spans, line=line, symbol=symbol, what=what)


# ----------------------------------------------------------------------------- tree helpers


def _numbers(t: Tree, node: ts.Node, resolver: Resolver | None = None, depth: int = 0) -> list[tuple[Tree, ts.Node]]:
    """The `number` keywords that state the key in a type: `number`, `number | null`, `number[]`,
    `Set<number>`, `Map<number, X>`'s key, a function type's parameters, a local alias `type Id = number`."""
    if depth > 8:
        return []
    kind = node.type
    if kind == "predefined_type":
        return [(t, node)] if t.node_text(node) == "number" else []
    if kind in ("union_type", "parenthesized_type", "array_type", "readonly_type", "optional_type", "type_annotation"):
        return [x for c in node.named_children for x in _numbers(t, c, resolver, depth + 1)]
    if kind == "generic_type":
        name_node = node.child_by_field_name("name")
        targs = node.child_by_field_name("type_arguments")
        args = targs.named_children if targs is not None else []
        name = t.node_text(name_node).rpartition(".")[2] if name_node is not None else ""
        # the element of a container, the key of a map (`Map<number, number>`: the key, not a count)
        return _numbers(t, args[0], resolver, depth + 1) if name in _ELEMENT | _KEYED and args else []
    if kind == "function_type":
        params = node.child_by_field_name("parameters")
        return [x for p in (params.named_children if params is not None else [])
                for ann in [_unwrap(p.child_by_field_name("type"))] if ann is not None
                for x in _numbers(t, ann, resolver, depth + 1)]
    if kind == "type_identifier" and resolver is not None:  # type VehicleId = number
        name = t.node_text(node)
        decl = _type_decl(t, name)
        tt = t
        if decl is None:
            target = resolver._imported(t, name)
            if target is None:
                return []
            tt, exported = target
            decl = _type_decl(tt, exported)
        value = decl.child_by_field_name("value") if decl is not None and decl.type == "type_alias_declaration" \
            else None
        return _numbers(tt, value, resolver, depth + 1) if value is not None and value.type != "object_type" \
            else []
    return []


def _unwrap(node: ts.Node | None) -> ts.Node | None:
    if node is not None and node.type == "type_annotation":
        return node.named_children[0] if node.named_children else None
    return node


def _same(a: ts.Node | None, b: ts.Node) -> bool:
    return a is not None and a.id == b.id


def _ancestor(node: ts.Node, *types: str, stop: frozenset[str] = frozenset()) -> ts.Node | None:
    p = node.parent
    while p is not None:
        if p.type in types:
            return p
        if p.type in stop:
            return None
        p = p.parent
    return None


def _descendants(node: ts.Node, kind: str) -> list[ts.Node]:
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        if n.type == kind:
            out.append(n)
        stack.extend(n.named_children)
    return out


def _norm(path: str) -> str:
    import posixpath

    return posixpath.normpath(path.replace("\\", "/"))


def _object_members(t: Tree, body: ts.Node) -> dict[str, ts.Node]:
    out = {}
    for m in body.named_children:
        if m.type == "property_signature":
            name = m.child_by_field_name("name")
            if name is not None:
                out[t.node_text(name)] = m
    return out


def _pattern_prop(t: Tree, pattern: ts.Node, local: str) -> str:
    """The property a destructured local was read from: `{ selected }` -> selected, `{ ids: s }` -> ids."""
    for c in pattern.named_children:
        if c.type == "shorthand_property_identifier_pattern" and t.node_text(c) == local:
            return local
        if c.type == "object_assignment_pattern":
            left = c.child_by_field_name("left")
            if left is not None and t.node_text(left) == local:
                return local
        if c.type == "pair_pattern":
            key, value = c.child_by_field_name("key"), c.child_by_field_name("value")
            if value is not None and value.type == "assignment_pattern":
                value = value.child_by_field_name("left")
            if key is not None and value is not None and t.node_text(value) == local:
                return t.node_text(key)
    return ""


def _type_decl(t: Tree, name: str) -> ts.Node | None:
    for stmt in t.tree.root_node.named_children:
        decl = stmt.named_children[0] if stmt.type == "export_statement" and stmt.named_children else stmt
        if decl.type in ("interface_declaration", "type_alias_declaration"):
            n = decl.child_by_field_name("name")
            if n is not None and t.node_text(n) == name:
                return decl
    return None


def _lookup(t: Tree, name: str, at: ts.Node | None) -> ts.Node | None:
    """The declaration of `name` visible at `at` (None: at the module's top level): a parameter of an
    enclosing function, a declarator or function declaration of an enclosing block, or of the module."""
    scopes: list[ts.Node] = []
    p = at
    while p is not None:
        if p.type in _FUNCS or p.type in ("statement_block", "program"):
            scopes.append(p)
        p = p.parent
    if not scopes or scopes[-1].type != "program":
        scopes.append(t.tree.root_node)
    for scope in scopes:
        if scope.type in _FUNCS:
            params = scope.child_by_field_name("parameters")
            for prm in params.named_children if params is not None else []:
                pattern = prm.child_by_field_name("pattern")
                if pattern is None:
                    continue
                if pattern.type == "identifier" and t.node_text(pattern) == name:
                    return prm
                if pattern.type == "object_pattern" and _pattern_prop(t, pattern, name):
                    return prm
            single = scope.child_by_field_name("parameter")
            if single is not None and t.node_text(single) == name:
                return None  # `x => ...`: unannotated
            continue
        for stmt in scope.named_children:
            decl = stmt.named_children[0] if stmt.type == "export_statement" and stmt.named_children else stmt
            if decl.type in ("function_declaration", "generator_function_declaration"):
                n = decl.child_by_field_name("name")
                if n is not None and t.node_text(n) == name:
                    return decl
            if decl.type in ("lexical_declaration", "variable_declaration"):
                for d in decl.named_children:
                    if d.type != "variable_declarator":
                        continue
                    n = d.child_by_field_name("name")
                    if n is None:
                        continue
                    if n.type == "identifier" and t.node_text(n) == name:
                        return d
                    if n.type == "array_pattern" and any(t.node_text(c) == name for c in n.named_children):
                        return d
    return None


def _qualified(scope: str, name: str) -> str:
    return name if scope == "<module>" else f"{scope}.{name}"


def _scope_name(t: Tree, node: ts.Node) -> str:
    """The name of the function (or variable) a node belongs to: `toggle`, `VehicleRow`, `<module>`."""
    p: ts.Node | None = node
    while p is not None:
        if p.type in ("function_declaration", "generator_function_declaration", "method_definition",
                      "class_declaration", "interface_declaration", "type_alias_declaration"):
            n = p.child_by_field_name("name")
            if n is not None:
                return t.node_text(n)
        if p.type == "variable_declarator" and p is not node:
            n = p.child_by_field_name("name")
            if n is not None and n.type == "identifier":
                return t.node_text(n)
        p = p.parent
    return "<module>"
