"""One pass over a parsed file: functions, bindings, calls, JSX elements, type declarations.

The facts gathered here are all the data-flow and the rules need, so a file's tree is walked once.
Names resolve by lexical scope (function -> enclosing functions -> module), then across files by name
(exported functions, components and types are looked up in the global tables of `flow.Project`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import tree_sitter as ts

from analyzer.models import SourceFile
from analyzer.typescript.parsing import Source, parser_for

FUNC_TYPES = frozenset(
    {"function_declaration", "function_expression", "arrow_function", "method_definition",
     "generator_function_declaration", "generator_function", "function"}
)
TYPE_DECLS = frozenset({"interface_declaration", "type_alias_declaration"})
MEMBER_NODES = frozenset({"property_signature", "public_field_definition"})
#: node types the rules look at, recorded with their enclosing function during the walk
WATCHED = frozenset(
    {"unary_expression", "binary_expression", "pair", "generic_type", "new_expression",
     "template_string", "string", "type_alias_declaration", "interface_declaration", "as_expression"}
) | MEMBER_NODES
_TEST_PATH = re.compile(r"(^|/)(__tests__|tests?|e2e|cypress)/|\.(test|spec|stories)\.[cm]?tsx?$")


@dataclass(eq=False)
class Binding:
    """A name introduced by a parameter, a declarator or a `useState` pair."""

    name: str
    kind: str  # "param" | "var" | "state" | "ref" (`useRef<T>()`: its `.current` holds the value)
    node: ts.Node  # the identifier (or pattern) that introduces it
    file: FileIndex
    func: Func | None
    type_node: ts.Node | None = None  # its annotation (the type, not the type_annotation)
    init: ts.Node | None = None
    prop_of: str | None = None  # destructured: the property it was read from
    source_type: ts.Node | None = None  # destructured param: the annotated type of the object
    index: int = -1  # parameter position
    setter: str = ""  # state: the setter's name
    state_type: ts.Node | None = None  # state: useState<T>'s T (ref: useRef<T>'s T)
    key: bool = False
    why: str = ""
    id_map: str = ""  # indexed by a key (`m[id]`, `m.get(id)`): why
    of: ts.Node | None = None  # `for (const id of ids)`: the iterable whose elements it takes
    tuple_of: ts.Node | None = None  # `const [v, setV] = useThing()`: the call whose returned tuple it takes apart
    element: int = -1  # ... and its position in that tuple


@dataclass(eq=False)
class Func:
    node: ts.Node
    name: str  # own name ("" for callbacks); methods of object literals are "obj.method"
    file: FileIndex
    parent: Func | None
    params: list[list[Binding]] = field(default_factory=list)
    locals: dict[str, Binding] = field(default_factory=dict)
    return_type: ts.Node | None = None
    urls: list[ts.Node] = field(default_factory=list)  # URL-like strings used in calls
    route: str = ""  # evidence of the backend route this function calls, once linked
    kind: str = ""
    returns: list[ts.Node] = field(default_factory=list)  # returned expressions (and arrow bodies)
    ret_key: str = ""  # why the returned value is a key
    ret_elems: dict[int, str] = field(default_factory=dict)  # returns a tuple: position -> why it holds the key
    tparam_slots: dict[int, str] = field(default_factory=dict)  # `flow.syntax.tparam_slot`'s answers by node id

    @property
    def named(self) -> Func:
        f: Func = self
        while not f.name and f.parent is not None:
            f = f.parent
        return f

    @property
    def label(self) -> str:
        return self.named.name or "<module>"


@dataclass(eq=False)
class TypeDecl:
    name: str
    node: ts.Node
    file: FileIndex
    members: dict[str, ts.Node] = field(default_factory=dict)  # member name -> member node
    bases: list[ts.Node] = field(default_factory=list)  # extends / intersection / Pick<...> type nodes


@dataclass(eq=False)
class FileIndex:
    sf: SourceFile
    src: Source
    tree: ts.Tree
    is_test: bool = False
    funcs: list[Func] = field(default_factory=list)
    module: dict[str, Binding] = field(default_factory=dict)
    declarators: list[tuple[ts.Node, Func | None]] = field(default_factory=list)
    calls: list[tuple[ts.Node, Func | None]] = field(default_factory=list)
    jsx: list[tuple[ts.Node, Func | None]] = field(default_factory=list)
    watched: list[tuple[ts.Node, Func | None]] = field(default_factory=list)
    strings: list[tuple[ts.Node, Func | None]] = field(default_factory=list)
    types: list[TypeDecl] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    fn_types: list[ts.Node] = field(default_factory=list)
    _func_by_node: dict[int, Func] = field(default_factory=dict)
    callees: dict[int, str] = field(default_factory=dict)
    error: tuple[int, int] | None = None
    _texts: dict[int, str] = field(default_factory=dict)
    rule_matches: dict[str, Any] | None = None  # the rules' query matches (`detect.matches`), found ahead
    #: calls with arguments: (call, enclosing function, arguments, callee name); see `call_args`
    arg_calls: list[tuple[ts.Node, Func | None, list[ts.Node], str]] | None = None
    used: set[str] | None = None  # the names the file calls or renders; see `used_names`

    def text(self, node: ts.Node) -> str:
        """The node's text, decoded once per node (each flow round asks again for the same names)."""
        found = self._texts.get(node.id)
        if found is None:
            found = self._texts[node.id] = self.src.node_text(node)
        return found

    def func_of(self, node: ts.Node) -> Func | None:
        """The Func built for a function node of this file."""
        if not self._func_by_node:
            self._func_by_node = {f.node.id: f for f in self.funcs}
        return self._func_by_node.get(node.id)

    def resolve(self, name: str, func: Func | None) -> Binding | None:
        f = func
        while f is not None:
            b = f.locals.get(name)
            if b is not None:
                return b
            f = f.parent
        return self.module.get(name)


def unwrap_type(node: ts.Node | None) -> ts.Node | None:
    if node is not None and node.type == "type_annotation":
        return node.named_children[0] if node.named_children else None
    return node


_CATEGORIES: dict[str, frozenset[str]] = {
    "func": FUNC_TYPES,
    "decl": frozenset({"variable_declarator"}),
    "call": frozenset({"call_expression"}),
    "jsx": frozenset({"jsx_self_closing_element", "jsx_opening_element"}),
    "ret": frozenset({"return_statement"}),
    "loop": frozenset({"for_in_statement"}),
    "fntype": frozenset({"function_type"}),
    "watch": WATCHED | frozenset({"subscript_expression", "regex"}),
}


@lru_cache(maxsize=2)
def _query(tsx: bool) -> ts.Query:
    """One query capturing every node kind the index needs: the walk over all nodes happens in C."""
    lang = parser_for(tsx).language
    assert lang is not None
    alts = []
    for cat, kinds in _CATEGORIES.items():
        names = sorted(k for k in kinds if lang.id_for_node_kind(k, True))
        if names:
            alts.append("[" + " ".join(f"({k})" for k in names) + f"] @{cat}")
    return ts.Query(lang, "\n".join(alts))


def build_index(sf: SourceFile, src: Source, tree: ts.Tree, tsx: bool = False) -> FileIndex:
    fi = FileIndex(sf=sf, src=src, tree=tree, is_test=bool(_TEST_PATH.search(sf.path)))
    caps = ts.QueryCursor(_query(tsx)).captures(tree.root_node)
    seen: set[int] = set()
    items: list[tuple[int, int, str, ts.Node]] = []
    for cat, nodes in caps.items():
        for n in nodes:
            key = n.id * 8 + _CAT_ORDER[cat]
            if key not in seen:
                seen.add(key)
                items.append((n.start_byte, -n.end_byte, cat, n))
    items.sort(key=lambda x: (x[0], x[1], _CAT_ORDER[x[2]]))
    stack: list[Func] = []
    for start, _neg_end, cat, node in items:
        while stack and stack[-1].node.end_byte <= start:
            stack.pop()
        func = stack[-1] if stack else None
        if cat == "func":
            f = _new_func(fi, node, func)
            stack.append(f)
        elif cat == "decl":
            fi.declarators.append((node, func))
            _declare(fi, node, func)
        elif cat == "call":
            fi.calls.append((node, func))
        elif cat == "jsx":
            fi.jsx.append((node, func))
        elif cat == "ret":
            if func is not None and node.named_children:
                func.returns.append(node.named_children[0])
        elif cat == "loop":
            _loop(fi, node, func)
        elif cat == "fntype":
            fi.fn_types.append(node)
        elif node.type == "string" or node.type == "template_string":
            # only strings that may be paths ("/...", "http...", `${base}/...`) are kept
            if fi.src.data[node.start_byte + 1 : node.start_byte + 2] in (b"/", b"h", b"$"):
                fi.strings.append((node, func))
        else:
            fi.watched.append((node, func))
            if node.type in TYPE_DECLS:
                _type_decl(fi, node)
    return fi


_CAT_ORDER = {cat: i for i, cat in enumerate(_CATEGORIES)}


def _func_name(fi: FileIndex, node: ts.Node) -> str:
    name = node.child_by_field_name("name")
    if name is not None and node.type != "arrow_function":
        own = fi.text(name)
        if node.type == "method_definition":
            cls = node.parent.parent if node.parent is not None else None
            if cls is not None and cls.type in ("class_declaration", "class"):
                cname = cls.child_by_field_name("name")
                if cname is not None:
                    return f"{fi.text(cname)}.{own}"
        return own
    parent = node.parent
    if parent is None:
        return ""
    if parent.type == "variable_declarator":
        n = parent.child_by_field_name("name")
        return fi.text(n) if n is not None and n.type == "identifier" else ""
    if parent.type == "pair":
        key = parent.child_by_field_name("key")
        obj = parent.parent
        owner = obj.parent if obj is not None else None
        if key is not None and owner is not None and owner.type == "variable_declarator":
            oname = owner.child_by_field_name("name")
            if oname is not None:
                return f"{fi.text(oname)}.{fi.text(key)}"
    if parent.type == "call_expression":  # const C = memo((props) => ...) / forwardRef(...)
        outer = parent.parent
        if outer is not None and outer.type == "arguments":
            outer = outer.parent
        if outer is not None and outer.type == "variable_declarator":
            n = outer.child_by_field_name("name")
            return fi.text(n) if n is not None and n.type == "identifier" else ""
    if parent.type == "arguments" and parent.parent is not None:
        call = parent.parent
        grand = call.parent
        callee = call.child_by_field_name("function")
        if grand is not None and grand.type == "variable_declarator" and callee is not None:
            if fi.text(callee).split(".")[-1] in ("memo", "forwardRef", "observer", "useCallback"):
                n = grand.child_by_field_name("name")
                return fi.text(n) if n is not None else ""
    return ""


def _new_func(fi: FileIndex, node: ts.Node, parent: Func | None) -> Func:
    f = Func(node=node, name=_func_name(fi, node), file=fi, parent=parent)
    f.return_type = unwrap_type(node.child_by_field_name("return_type"))
    body = node.child_by_field_name("body")
    if node.type == "arrow_function" and body is not None and body.type != "statement_block":
        f.returns.append(body)
    params = node.child_by_field_name("parameters")
    if params is None:
        single = node.child_by_field_name("parameter")  # x => ...
        if single is not None:
            b = Binding(fi.text(single), "param", single, fi, f, index=0)
            f.params.append([b])
            f.locals[b.name] = b
            fi.bindings.append(b)
    else:
        index = 0
        for p in params.named_children:
            if p.type not in ("required_parameter", "optional_parameter"):
                continue
            pattern = p.child_by_field_name("pattern")
            type_node = unwrap_type(p.child_by_field_name("type"))
            if type_node is None and index == 0:
                type_node = _implied_props(fi, node)
            group: list[Binding] = []
            if pattern is not None:
                if pattern.type == "identifier":
                    group.append(Binding(fi.text(pattern), "param", pattern, fi, f, type_node=type_node, index=index))
                elif pattern.type == "object_pattern":
                    for name, prop, n in _object_pattern(fi, pattern):
                        group.append(Binding(name, "param", n, fi, f, prop_of=prop, source_type=type_node,
                                             index=index))
            for b in group:
                f.locals[b.name] = b
                fi.bindings.append(b)
            f.params.append(group)
            index += 1
    fi.funcs.append(f)
    return f


#: `const Row: FC<RowProps> = ({ id }) => ...`: the props type comes from the component's annotation
_COMPONENT_TYPES = frozenset({"FC", "VFC", "FunctionComponent", "VoidFunctionComponent", "ComponentType"})


def _implied_props(fi: FileIndex, node: ts.Node) -> ts.Node | None:
    """The props type of an unannotated first parameter, stated elsewhere: `const Row: FC<P> = (props) =>`,
    `forwardRef<Ref, P>((props, ref) => ...)`, `memo<P>((props) => ...)`."""
    parent = node.parent
    if parent is None:
        return None
    targs: ts.Node | None = None
    pick = 0
    if parent.type == "variable_declarator":
        ty = unwrap_type(parent.child_by_field_name("type"))
        name = ty.child_by_field_name("name") if ty is not None and ty.type == "generic_type" else None
        if name is not None and fi.text(name).rpartition(".")[2] in _COMPONENT_TYPES:
            targs = ty.child_by_field_name("type_arguments") if ty is not None else None
    elif parent.type == "arguments" and parent.parent is not None and parent.parent.type == "call_expression":
        call = parent.parent
        callee = call.child_by_field_name("function")
        short = fi.text(callee).rpartition(".")[2] if callee is not None else ""
        if short in ("forwardRef", "memo"):
            targs = call.child_by_field_name("type_arguments")
            pick = 1 if short == "forwardRef" else 0
    args = targs.named_children if targs is not None else []
    return args[pick] if len(args) > pick else None


def _object_pattern(fi: FileIndex, pattern: ts.Node) -> list[tuple[str, str, ts.Node]]:
    out = []
    for c in pattern.named_children:
        if c.type == "shorthand_property_identifier_pattern":
            out.append((fi.text(c), fi.text(c), c))
        elif c.type == "object_assignment_pattern":
            left = c.child_by_field_name("left")
            if left is not None:
                out.append((fi.text(left), fi.text(left), left))
        elif c.type == "pair_pattern":
            key = c.child_by_field_name("key")
            value = c.child_by_field_name("value")
            if value is not None and value.type == "assignment_pattern":
                value = value.child_by_field_name("left")
            if key is not None and value is not None and value.type == "identifier":
                out.append((fi.text(value), fi.text(key), value))
    return out


def call_args(fi: FileIndex) -> list[tuple[ts.Node, Func | None, list[ts.Node], str]]:
    """The file's calls that pass arguments, with their arguments and callee name (the flow reads them every
    round); worked out once per file, ahead of the seeds when `analyzer.typescript.scan.prepare` built it."""
    found = fi.arg_calls
    if found is None:
        found = []
        for call, func in fi.calls:
            args_node = call.child_by_field_name("arguments")
            if args_node is None or args_node.type != "arguments" or args_node.named_child_count == 0:
                continue
            name = callee_name(fi, call)
            if name:
                found.append((call, func, args_node.named_children, name))
        fi.arg_calls = found
    return found


def used_names(fi: FileIndex) -> set[str]:
    """The names of the functions the file calls and of the elements it renders (who reads whom, for the
    flow's incremental rounds); worked out once per file, like `call_args`."""
    found = fi.used
    if found is None:
        found = {callee_name(fi, call) for call, _f in fi.calls}
        for el, _f in fi.jsx:
            n = el.child_by_field_name("name")
            if n is not None:
                found.add(fi.text(n))
        fi.used = found
    return found


def callee_name(fi: FileIndex, call: ts.Node) -> str:
    """`f`, `obj.f`, or `?.f` for a method of a computed object; memoized per file (trees are immutable)."""
    cached = fi.callees.get(call.id)
    if cached is None:
        cached = fi.callees[call.id] = _callee_name(fi, call)
    return cached


def _callee_name(fi: FileIndex, call: ts.Node) -> str:
    fn = call.child_by_field_name("function")
    if fn is None:
        return ""
    if fn.type == "identifier":
        return fi.text(fn)
    if fn.type == "member_expression":
        obj = fn.child_by_field_name("object")
        prop = fn.child_by_field_name("property")
        if obj is not None and prop is not None:
            return f"{fi.text(obj)}.{fi.text(prop)}" if obj.type in ("identifier", "this") else \
                f"?.{fi.text(prop)}"
    return ""


def _declare(fi: FileIndex, node: ts.Node, func: Func | None) -> None:
    scope = func.locals if func is not None else fi.module
    name = node.child_by_field_name("name")
    value = node.child_by_field_name("value")
    type_node = unwrap_type(node.child_by_field_name("type"))
    if name is None:
        return
    if name.type == "identifier" and value is not None and value.type == "call_expression" and \
            callee_name(fi, value).split(".")[-1] == "useRef":
        targs = value.child_by_field_name("type_arguments")
        args = value.child_by_field_name("arguments")
        b = Binding(fi.text(name), "ref", name, fi, func, type_node=type_node,
                    init=args.named_children[0] if args is not None and args.named_children else None,
                    state_type=targs.named_children[0] if targs is not None and targs.named_children else None)
        scope[b.name] = b
        fi.bindings.append(b)
    elif name.type == "identifier":
        b = Binding(fi.text(name), "var", name, fi, func, type_node=type_node, init=value)
        scope[b.name] = b
        fi.bindings.append(b)
    elif name.type == "object_pattern":
        for local, prop, n in _object_pattern(fi, name):
            b = Binding(local, "var", n, fi, func, init=value, prop_of=prop, source_type=type_node)
            scope[local] = b
            fi.bindings.append(b)
    elif name.type == "array_pattern":
        ids = [c for c in name.named_children if c.type == "identifier"]
        if value is not None and value.type == "call_expression" and \
                callee_name(fi, value).split(".")[-1] == "useState" and ids:
            targs = value.child_by_field_name("type_arguments")
            st = targs.named_children[0] if targs is not None and targs.named_children else None
            args = value.child_by_field_name("arguments")
            init = args.named_children[0] if args is not None and args.named_children else None
            b = Binding(fi.text(ids[0]), "state", ids[0], fi, func, init=init, state_type=st,
                        setter=fi.text(ids[1]) if len(ids) > 1 else "")
            scope[b.name] = b
            if b.setter:
                scope[b.setter] = b
            fi.bindings.append(b)
        else:
            tuple_of = value if value is not None and value.type == "call_expression" else None
            pos = 0
            for c in name.children:
                if c.type == ",":
                    pos += 1
                elif c.type == "identifier":
                    b = Binding(fi.text(c), "var", c, fi, func, tuple_of=tuple_of, element=pos)
                    scope[b.name] = b
                    fi.bindings.append(b)


def _loop(fi: FileIndex, node: ts.Node, func: Func | None) -> None:
    """`for (const id of ids)`, `for (const { id } of rows)`: element bindings of the iterable (in the
    function's scope, never over a name it already binds)."""
    left = node.child_by_field_name("left")
    right = node.child_by_field_name("right")
    op = node.child_by_field_name("operator")
    if left is None or right is None or op is None or fi.text(op) != "of" or node.child_by_field_name("kind") is None:
        return
    scope = func.locals if func is not None else fi.module
    if left.type == "identifier":
        found = [Binding(fi.text(left), "var", left, fi, func, of=right)]
    elif left.type == "object_pattern":
        found = [Binding(local, "var", n, fi, func, prop_of=prop, of=right) for local, prop, n in _object_pattern(fi, left)]
    else:
        return
    for b in found:
        if b.name not in scope:
            scope[b.name] = b
            fi.bindings.append(b)


def _type_decl(fi: FileIndex, node: ts.Node) -> None:
    name = node.child_by_field_name("name")
    if name is None:
        return
    decl = TypeDecl(fi.text(name), node, fi)
    if node.type == "interface_declaration":
        for c in node.named_children:
            if c.type in ("extends_type_clause", "extends_clause"):
                decl.bases.extend(x for x in c.named_children)
        body = node.child_by_field_name("body")
        if body is not None:
            _members(fi, body, decl)
    else:
        value = node.child_by_field_name("value")
        parts = [value] if value is not None else []
        while parts:
            v = parts.pop()
            if v.type == "object_type":
                _members(fi, v, decl)
            elif v.type in ("intersection_type", "parenthesized_type"):
                parts.extend(v.named_children)
            else:
                decl.bases.append(v)
    fi.types.append(decl)


def _members(fi: FileIndex, body: ts.Node, decl: TypeDecl) -> None:
    for m in body.named_children:
        if m.type in MEMBER_NODES:
            n = m.child_by_field_name("name")
            if n is not None:
                decl.members[fi.text(n).strip("'\"")] = m
