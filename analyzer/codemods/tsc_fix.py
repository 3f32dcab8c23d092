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
comparator's `number` result).

Two rewrites follow the other way, from the compiler's complaint to the code that no longer fits:

    ids.sort((a, b) => a - b)     TS2362 The left-hand side of an arithmetic operation must be of type ...
    -> ids.sort((a, b) => a.localeCompare(b))       (`(x, y) => y.id - x.id` -> `y.id.localeCompare(x.id)`)
    fetchVehicle(Number(params.id))   TS2345 Argument of type 'number' is not assignable to ... 'string'
    -> fetchVehicle(params.id)        (parseInt(x, 10), Number.parseInt(x), +x; through the `const` they set)

A rewrite is a guess the next round checks: one that leaves an error on its own lines is given back
(`Number(count)` of a number), after trying `params.id ?? ''` where the operand may be undefined.
Anything else (a number passed where the key now goes, a library's signature, `isNaN(id)`, `id > 0`,
`id - 1`) is not mechanical: it stays for a person, at the line, with the compiler's message. Examples
(VALID / INVALID) are below, run by tests/test_tsc_fix_examples.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import tree_sitter as ts

from analyzer.typescript.parsing import Source, is_tsx, parse

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
    """One mechanical change in one file (the copy's current text): the `number` keywords of an annotation
    to turn into `string`, or a comparator / a conversion of the key rewritten (`texts`)."""

    rel: str  # root-relative path of the file holding the annotation
    spans: tuple[tuple[int, int], ...]  # str offsets of each `number` keyword (or of each rewritten range)
    line: int  # 1-based line of the first keyword
    symbol: str  # "toggle.id", "RowProps.selected", "useSelection.selected", "firstId()"
    what: str  # "parameter" | "property" | "variable" | "state" | "return type" | "type alias" | "comparator" |
    #            "conversion"
    texts: tuple[str, ...] = ()  # the new text of each span; () : every span becomes `string`
    fallback: Slot | None = None  # what to try when this one leaves an error on its own lines
    source: str = ""  # the code rewritten, for the message: `Number(params.id)`

    @property
    def retype(self) -> bool:
        return not self.texts

    def replacement(self, i: int) -> str:
        return self.texts[i] if self.texts else "string"

    def describe(self, code: str, where: str) -> str:
        """The finding's message: what the compiler said, where, and what the patch does."""
        said = f"tsc {code} at {where} once the patches are applied"
        if self.what == "comparator":
            return (f"comparator `{self.symbol}` subtracts keys ({said}: strings do not subtract); the patch "
                    "compares them with localeCompare. Keys as strings do not sort by creation: check that "
                    "nothing relies on that order")
        if self.what == "conversion":
            return (f"`{self.source}` turns the key `{self.symbol}` into a number where the key, a string now, is "
                    f"expected ({said}); the patch passes the key through")
        return f"{self.what} `{self.symbol}` is typed `number` where the key arrives ({said}); the patch types it `string`"


def number_meets_string(code: str, message: str) -> bool:
    """Does the diagnostic say a number reaches a place that takes the key, a string now?"""
    m = _ASSIGNABLE.search(message)
    if not m:
        return False
    src, dst = set(_WORD.findall(m.group("src"))), set(_WORD.findall(m.group("dst")))
    return "number" in src and "string" not in src and "string" in dst and "number" not in dst


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
        # parsing.parse: a bare `&` in JSX text must not hide the rest of the element from the fixes either
        self.tree = parse(Source(text, self.data), is_tsx(rel))
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
        arithmetic, converted = code in _ARITHMETIC, number_meets_string(code, message)
        if not (arithmetic or converted or string_meets_number(code, message)):
            return None
        t = self.tree(rel)
        node = t.at(line, col) if t is not None else None
        if t is None or node is None:
            return None
        if arithmetic:
            return self._comparator(t, node)
        if converted:
            return self._conversion(t, node, code)
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

    def _comparator(self, t: Tree, node: ts.Node) -> Slot | None:
        """`(a, b) => a.id - b.id` (or `a - b`, either order, a block returning it): a comparator of two
        values of one shape; once they are strings, `a.id.localeCompare(b.id)`. Any other subtraction
        of a key (`last.id - first.id`, `id - 1`) is not mechanical."""
        expr = node if node.type == "binary_expression" else _ancestor(node, "binary_expression")
        if expr is None or _operator(t, expr) != "-":
            return None
        fn = _returned_by(expr)
        params = fn.child_by_field_name("parameters") if fn is not None else None
        patterns = [p.child_by_field_name("pattern") for p in (params.named_children if params else [])
                    if p.type in ("required_parameter", "optional_parameter")]
        names = [t.node_text(x) for x in patterns if x is not None and x.type == "identifier"]
        if fn is None or params is None or len(names) != 2 or len(params.named_children) != 2:
            return None
        left, right = expr.child_by_field_name("left"), expr.child_by_field_name("right")
        paths = [_path(t, side) for side in (left, right)] if left is not None and right is not None else []
        if len(paths) != 2 or None in paths or left is None or right is None:
            return None
        (lroot, lrest), (rroot, rrest) = paths  # type: ignore[misc]
        if {lroot, rroot} != set(names) or lrest != rrest:
            return None
        start, end = t.char(expr.start_byte), t.char(expr.end_byte)
        text = f"{t.node_text(left)}.localeCompare({t.node_text(right)})"
        return Slot(rel=t.rel, spans=((start, end),), line=expr.start_point[0] + 1, symbol=_scope_name(t, expr),
                    what="comparator", texts=(text,))

    def _conversion(self, t: Tree, node: ts.Node, code: str) -> Slot | None:
        """A number where the key goes: `fetchVehicle(Number(params.id))`, `parseInt(raw, 10)`,
        `Number.parseInt(raw)`, `+raw`, directly or through the `const` it initialises. The conversion is
        dropped (and the `const`'s `number` annotation retyped); if the operand may be undefined, the
        next try is `raw ?? ''`. A number that is no conversion (`fetchVehicle(count)`) is not mechanical,
        and a conversion of something that is not a string (`Number(count)` of a number) fails the next
        round and is given back."""
        expr = _value_at(t, node, code)
        if expr is None:
            return None
        inner = _converted(t, expr)
        if inner is not None:
            return _unconverted(t, expr, inner, [])
        if expr.type != "identifier":
            return None
        decl = _lookup(t, t.node_text(expr), expr)
        if decl is None or decl.type != "variable_declarator":
            return None
        name, value = decl.child_by_field_name("name"), decl.child_by_field_name("value")
        inner = _converted(t, value) if value is not None else None
        if name is None or name.type != "identifier" or value is None or inner is None:
            return None
        ann = _unwrap(decl.child_by_field_name("type"))
        extra = [(t.char(ann.start_byte), t.char(ann.end_byte), "string")] \
            if ann is not None and ann.type == "predefined_type" and t.node_text(ann) == "number" else []
        if ann is not None and not extra:
            return None
        return _unconverted(t, value, inner, extra)

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


# ----------------------------------------------------------------------------- examples


@dataclass(frozen=True)
class Example:
    """One front-end file checked with a rule's patch applied (the first `seed[0]` becomes `seed[1]`):
    `fixed` holds the lines (1-based) as the loop leaves them, `review` the lines left for a person
    (TS900, the compiler's message); every other line stays as it is. Run by tests/test_tsc_fix_examples.py
    through the whole loop and a real tsc."""

    code: str
    fixed: tuple[tuple[int, str], ...] = ()
    review: tuple[int, ...] = ()
    seed: tuple[str, str] = ("id: number", "id: string")


_VEHICLE = "interface Vehicle { id: number; name: string }\n"
_FETCH = 'declare function fetchVehicle(id: Vehicle["id"]): Promise<Vehicle>;\n'

INVALID = [
    Example(_VEHICLE + "export function sortedIds(vehicles: Vehicle[]): number[] {\n"
                       "  const ids = vehicles.map((v) => v.id);\n"
                       "  return ids.sort((a, b) => a - b);\n"
                       "}\n",
            fixed=((2, "export function sortedIds(vehicles: Vehicle[]): string[] {"),
                   (4, "  return ids.sort((a, b) => a.localeCompare(b));"))),
    Example(_VEHICLE + "export function byAge(items: Vehicle[]): Vehicle[] {\n"
                       "  return [...items].sort((x, y) => x.id - y.id);\n"
                       "}\n",
            fixed=((3, "  return [...items].sort((x, y) => x.id.localeCompare(y.id));"),)),
    Example(_VEHICLE + "export const newestFirst = (a: Vehicle, b: Vehicle) => b.id - a.id;\n"
                       "export function oldestFirst(a: Vehicle, b: Vehicle): number {\n"
                       "  return (a.id - b.id);\n"
                       "}\n",
            fixed=((2, "export const newestFirst = (a: Vehicle, b: Vehicle) => b.id.localeCompare(a.id);"),
                   (4, "  return (a.id.localeCompare(b.id));"))),
    Example(_VEHICLE + _FETCH + "export function open(params: { id: string }, page: number) {\n"
                                "  return [fetchVehicle(Number(params.id)), page - 1];\n"
                                "}\n",
            fixed=((4, "  return [fetchVehicle(params.id), page - 1];"),)),
    Example(_VEHICLE + _FETCH + "export function load(raw: string, route: { vehicle: string }, query: URLSearchParams) {\n"
                                "  const vehicleId: number = parseInt(raw, 10);\n"
                                "  fetchVehicle(vehicleId);\n"
                                "  fetchVehicle(+route.vehicle);\n"
                                "  return fetchVehicle(Number.parseInt(query.get('v') ?? '', 10));\n"
                                "}\n",
            fixed=((4, "  const vehicleId: string = raw;"), (6, "  fetchVehicle(route.vehicle);"),
                   (7, "  return fetchVehicle(query.get('v') ?? '');"))),
    # the operand may be undefined (a route parameter): the key, or '' where there is none
    Example(_VEHICLE + _FETCH + "export function route(params: { vehicleId?: string }) {\n"
                                "  return fetchVehicle(Number(params.vehicleId));\n"
                                "}\n",
            fixed=((4, '  return fetchVehicle(params.vehicleId ?? "");'),)),
    Example(_VEHICLE + 'interface TripQuery { vehicleId: Vehicle["id"]; limit: number }\n'
                       "export function query(form: { vehicle: string; limit: string }): TripQuery {\n"
                       "  return { vehicleId: Number(form.vehicle), limit: Number(form.limit) };\n"
                       "}\n",
            fixed=((4, "  return { vehicleId: form.vehicle, limit: Number(form.limit) };"),)),
]

VALID = [
    # sorts of prices and dates, a page number, a count: the compiler has nothing to say about them
    Example("interface Vehicle { id: number; price: number; boughtAt: Date }\n"
            "export function views(vehicles: Vehicle[], page: number, count: string) {\n"
            "  const prices = vehicles.map((v) => v.price).sort((a, b) => a - b);\n"
            "  const byDate = [...vehicles].sort((a, b) => a.boughtAt.getTime() - b.boughtAt.getTime());\n"
            "  return { prices, byDate, previous: page - 1, total: Number(count), first: vehicles[0].id };\n"
            "}\n"),
    # a number that is not the key's text: Number(count) stays, the line is for a person
    Example(_VEHICLE + _FETCH + "export function first(count: number) {\n"
                                "  return fetchVehicle(Number(count));\n"
                                "}\n",
            review=(4,)),
    # guards and sentinels on the key: the compiler's message, at the line
    Example(_VEHICLE + "export function check(v: Vehicle) {\n"
                       "  if (isNaN(v.id) || v.id === 0) return null;\n"
                       "  return v.id > 0 ? v : null;\n"
                       "}\n",
            review=(3, 4)),
    # a subtraction of keys that is no comparator, and a key minus one
    Example(_VEHICLE + "export function gap(vehicles: Vehicle[]) {\n"
                       "  const first = vehicles[0], last = vehicles[vehicles.length - 1];\n"
                       "  return [last.id - first.id, first.id - 1];\n"
                       "}\n",
            review=(4,)),
]


# ----------------------------------------------------------------------------- comparators and conversions

_ARITHMETIC = frozenset({"TS2362", "TS2363"})  # the left / right side of an arithmetic operation is no number
_CONVERTERS = frozenset({"Number", "parseInt", "Number.parseInt", "window.parseInt", "globalThis.parseInt"})
_PRIMARY = frozenset({"identifier", "member_expression", "subscript_expression", "call_expression",
                      "non_null_expression", "parenthesized_expression", "string", "template_string", "this"})
_WHOLE = frozenset({"arguments", "variable_declarator", "pair", "return_statement", "jsx_expression", "array",
                    "assignment_expression", "arrow_function", "spread_element", "expression_statement"})


def _operator(t: Tree, expr: ts.Node) -> str:
    op = expr.child_by_field_name("operator")
    return t.node_text(op) if op is not None else ""


def _returned_by(expr: ts.Node) -> ts.Node | None:
    """The function whose whole result `expr` is: an arrow's body, or the only statement `return expr;`."""
    child, parent = expr, expr.parent
    while parent is not None and parent.type == "parenthesized_expression":
        child, parent = parent, parent.parent
    if parent is None:
        return None
    if parent.type == "arrow_function":
        return parent if _same(parent.child_by_field_name("body"), child) else None
    block = parent.parent if parent.type == "return_statement" else None
    if block is None or block.type != "statement_block" or len(block.named_children) != 1:
        return None
    fn = block.parent
    return fn if fn is not None and fn.type in _FUNCS else None


def _path(t: Tree, node: ts.Node) -> tuple[str, str] | None:
    """`a` -> ("a", ""), `a.item.id` -> ("a", ".item.id"); None for anything else (calls, subscripts)."""
    if node.type == "identifier":
        return t.node_text(node), ""
    if node.type != "member_expression":
        return None
    obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
    inner = _path(t, obj) if obj is not None else None
    if inner is None or prop is None:
        return None
    return inner[0], f"{inner[1]}.{t.node_text(prop)}"


def _value_at(t: Tree, node: ts.Node, code: str) -> ts.Node | None:
    """The expression whose value tsc rejects: the argument (TS2345), the initialiser of a declared
    variable, a property's value, an attribute's, the returned value, an assignment's right side."""
    if code == "TS2345":
        child, parent = node, node.parent
        while parent is not None and parent.type != "arguments":
            if parent.type in ("statement_block", "program", "jsx_attribute", "pair", "arrow_function"):
                return None
            child, parent = parent, parent.parent
        return child if parent is not None else None
    parent = node.parent
    if parent is None:
        return None
    if parent.type == "variable_declarator" and _same(parent.child_by_field_name("name"), node):
        return parent.child_by_field_name("value")
    if parent.type == "pair" and _same(parent.child_by_field_name("key"), node):
        return parent.child_by_field_name("value")
    if parent.type == "assignment_expression" and _same(parent.child_by_field_name("left"), node):
        return parent.child_by_field_name("right")
    if parent.type == "jsx_attribute":
        value = parent.named_children[-1] if len(parent.named_children) > 1 else None
        return value.named_children[0] if value is not None and value.type == "jsx_expression" \
            and value.named_children else None
    if node.type == "return_statement":
        return node.named_children[0] if node.named_children else None
    if parent.type == "arrow_function" and _same(parent.child_by_field_name("body"), node):
        return node
    return None


def _converted(t: Tree, expr: ts.Node) -> ts.Node | None:
    """The operand of `Number(x)`, `parseInt(x)`, `parseInt(x, 10)`, `Number.parseInt(x, 10)`, `+x`."""
    while expr.type == "parenthesized_expression" and expr.named_children:
        expr = expr.named_children[0]
    if expr.type == "unary_expression":
        arg = expr.child_by_field_name("argument")
        return arg if _operator(t, expr) == "+" and arg is not None else None
    if expr.type != "call_expression":
        return None
    callee, args = expr.child_by_field_name("function"), expr.child_by_field_name("arguments")
    if callee is None or args is None or args.type != "arguments" or t.node_text(callee) not in _CONVERTERS:
        return None
    given = [a for a in args.named_children if a.type != "comment"]
    if not given or given[0].type == "spread_element":
        return None
    name = t.node_text(callee)
    if len(given) > (1 if name == "Number" else 2):
        return None
    return given[0]


def _unconverted(t: Tree, expr: ts.Node, inner: ts.Node, extra: list[tuple[int, int, str]]) -> Slot:
    """The slot replacing conversion `expr` by its operand, with `operand ?? ''` as the fallback."""
    parent = expr.parent
    bare = parent is not None and parent.type in _WHOLE
    text = t.node_text(inner)
    if inner.type == "parenthesized_expression" and bare:
        text = text[1:-1].strip()
    quote = "'" if t.text.count("'") > t.text.count('"') else '"'
    fallback = f"{text} ?? {quote}{quote}"
    first = text if bare or inner.type in _PRIMARY else f"({text})"
    second = fallback if bare else f"({fallback})"
    start, end = t.char(expr.start_byte), t.char(expr.end_byte)
    spans = ((start, end), *((a, b) for a, b, _ in extra))
    fn = _ancestor(expr, *_FUNCS)
    symbol = _qualified(_scope_name(t, fn) if fn is not None else "<module>", " ".join(text.split())[:60])
    source = " ".join(t.node_text(expr).split())[:80]

    def slot(new: str, fallback: Slot | None) -> Slot:
        return Slot(rel=t.rel, spans=spans, line=expr.start_point[0] + 1, symbol=symbol, what="conversion",
                    texts=(new, *(x for _a, _b, x in extra)), fallback=fallback, source=source)

    return slot(first, slot(second, None))


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
