"""Running the rules of rules/typescript/ on a file once the flow is settled, and what their detections share.

A rule's detection sits beside its YAML (analyzer.typescript.rules): the YAML's tree-sitter query picks the
nodes it looks at, and its module (or, for a rule whose only condition is "this capture holds the key",
`Detector.generic`) asks the flow about them. `Detector.run` runs every rule's query over the file at
once (`matches`), then goes rule by rule in catalogue order: its matches in document order, or its
`detect_file` when its subject is a fact of the flow (a key parameter, a function returning a key).
What is left here is what several rules share: the layer of the code around a node (`context_layer`),
the `number` keywords of a type and their edits, and the plumbing that makes a `Finding`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from functools import lru_cache
from itertools import chain
from typing import Any

import tree_sitter as ts

from analyzer.config import Config
from analyzer.models import Edit, Finding
from analyzer.typescript.flow import Project
from analyzer.typescript.flow.syntax import enclosing_func
from analyzer.typescript.generated import GeneratedFiles
from analyzer.typescript.index import FileIndex, Func, callee_name, unwrap_type
from analyzer.typescript.parsing import is_tsx, parser_for
from analyzer.typescript.rules import RuleError, TsRule, load_rules, rule_module, rules_by_name

#: what a detection gives for a node: an edit replaces a node's text or a byte range
Edits = list[tuple[ts.Node | tuple[int, int], str]]

_HOOK = re.compile(r"^use[A-Z0-9]")
_HTTP = re.compile(r"(^|\.)(fetch\w*|get|post|put|patch|delete|del|request|head|http|api\w*|\w*[Ff]etch\w*)$")
_URL_NAME = re.compile(r"(Path|Url|URL|Href|Link|Route|Endpoint)s?$")
_PATH_LAYERS = (
    (re.compile(r"(^|/)(api|apis|services|client|clients|queries|requests|endpoints)(/|\.)"), "ts-api"),
    (re.compile(r"(^|/)hooks?(/|\.)|(^|/)use[A-Z]\w*\.tsx?$"), "ts-hook"),
    (re.compile(r"(^|/)(store|stores|state|context|contexts|atoms|slices|reducers|storage|persist|cache)(/|\.)"),
     "ts-state"),
    (re.compile(r"(^|/)(schemas?|validation|validators|forms)(/|\.)"), "ts-validation"),
    (re.compile(r"(^|/)(types?|models|interfaces)(/|\.)"), "ts-type"),
    (re.compile(r"(^|/)(routes|urls|paths|links)(/|\.)"), "ts-url"),
    (re.compile(r"(^|/)(components|pages|views|screens|app|features)(/|\.)"), "ts-component"),
)
_STRINGY = {"UUID": "string", "TEXT": "string"}


def path_layer(fi: FileIndex) -> str:
    if fi.is_test:
        return "test"
    for rx, layer in _PATH_LAYERS:
        if rx.search(fi.sf.path):
            return layer
    return "ts-component" if fi.sf.path.endswith((".tsx", ".jsx")) else "other"


def func_kind(func: Func | None, fi: FileIndex) -> str:
    """hook | api | component | url | "" (decided by the file's place)."""
    if func is None:
        return ""
    named = func.named
    if named.kind:  # "-": worked out before, no kind (answered "" every time, not only the first)
        return "" if named.kind == "-" else named.kind
    short = named.name.rpartition(".")[2]
    kind = ""
    if _HOOK.match(short):
        kind = "hook"
    elif any(_is_http_arg(u, fi) for u in named.urls):
        kind = "api"
    elif named.urls and all(_is_returned(u) for u in named.urls):
        kind = "url"  # builds a URL that matches a backend route, and returns it: a URL builder
    elif named.route:
        kind = "api"
    elif short[:1].isupper() and fi.sf.path.endswith((".tsx", ".jsx")):
        kind = "component"
    elif named.urls or _URL_NAME.search(short):
        kind = "url"
    named.kind = kind or "-"
    return kind


def _is_http_arg(url: ts.Node, fi: FileIndex) -> bool:
    parent = url.parent
    if parent is not None and parent.type == "binary_expression":
        parent = parent.parent
    if parent is None or parent.type != "arguments" or parent.parent is None:
        return False
    fn = parent.parent.child_by_field_name("function")
    return fn is not None and bool(_HTTP.search(fi.text(fn)))


def _is_returned(url: ts.Node) -> bool:
    parent = url.parent
    while parent is not None and parent.type in ("parenthesized_expression", "binary_expression", "as_expression"):
        parent = parent.parent
    return parent is not None and parent.type in ("return_statement", "arrow_function")


_KIND_LAYER = {"hook": "ts-hook", "api": "ts-api", "component": "ts-component", "url": "ts-url"}


def context_layer(func: Func | None, fi: FileIndex) -> str:
    if fi.is_test:
        return "test"
    kind = func_kind(func, fi)
    if kind == "hook" and path_layer(fi) == "ts-state":
        return "ts-state"  # a hook of the store (`state/selection.ts`) is state
    return _KIND_LAYER.get(kind) or path_layer(fi)


def number_positions(node: ts.Node | None, fi: FileIndex) -> list[ts.Node]:
    """The `number` keywords of a type that state the key's type: `number`, `number[]`, `number | null`."""
    node = unwrap_type(node)
    if node is None:
        return []
    t = node.type
    if t == "predefined_type":
        return [node] if fi.text(node) == "number" else []
    if t in ("union_type", "parenthesized_type", "array_type", "readonly_type"):
        return [p for c in node.named_children for p in number_positions(c, fi)]
    if t == "generic_type":
        name = node.child_by_field_name("name")
        targs = node.child_by_field_name("type_arguments")
        args = targs.named_children if targs is not None else []
        gname = fi.text(name) if name is not None else ""
        if gname in ("Array", "ReadonlyArray", "Set", "ReadonlySet", "Iterable", "Promise") and args:
            return number_positions(args[0], fi)
    return []


def overloads(f: Func, fi: FileIndex) -> list[ts.Node]:
    """The overload signatures declared just before the function `f` (`export function parse(raw: string):
    number;` above its implementation): callers see these, not the implementation's signature."""
    if f.node.type != "function_declaration" or not f.name:
        return []
    stmt = f.node.parent if f.node.parent is not None and f.node.parent.type == "export_statement" else f.node
    out = []
    prev = stmt.prev_named_sibling
    while prev is not None:
        if prev.type == "comment":
            prev = prev.prev_named_sibling
            continue
        sig = prev.named_children[0] if prev.type == "export_statement" and prev.named_children else prev
        name = sig.child_by_field_name("name")
        if sig.type != "function_signature" or name is None or fi.text(name) != f.name:
            break
        out.append(sig)
        prev = prev.prev_named_sibling
    return out[::-1]


def overload_param_types(f: Func, index: int, fi: FileIndex) -> list[ts.Node]:
    """The type of parameter `index` in each overload signature of `f`."""
    out = []
    for sig in overloads(f, fi):
        params = sig.child_by_field_name("parameters")
        ps = [p for p in params.named_children if p.type in ("required_parameter", "optional_parameter")] \
            if params is not None else []
        ann = ps[index].child_by_field_name("type") if index < len(ps) else None
        if ann is not None:
            out.append(unwrap_type(ann) or ann)
    return out


@dataclasses.dataclass(frozen=True, slots=True)
class Match:
    """One match of a rule's query: the node it reports (`@match`), its other captures by name (the first
    node of each), and the function the node is in."""

    rule: TsRule
    node: ts.Node
    captures: dict[str, ts.Node]
    func: Func | None


@lru_cache(maxsize=2)
def _queries(tsx: bool) -> tuple[ts.Query, tuple[TsRule, ...]]:
    """Every rule's query as one (one walk over the tree, in C), and the rule of each of its patterns."""
    lang = parser_for(tsx).language
    assert lang is not None
    texts: list[str] = []
    owners: list[TsRule] = []
    for rule in load_rules():
        if rule.query is None:
            continue
        try:
            count = ts.Query(lang, rule.query).pattern_count
        except (ts.QueryError, ValueError) as exc:
            raise RuleError(f"{rule.source}: query: {exc}") from exc
        texts.append(rule.query)
        owners.extend([rule] * count)
    return ts.Query(lang, "\n".join(texts)), tuple(owners)


def matches(fi: FileIndex) -> dict[str, list[Match]]:
    """rule code -> its query's matches in the file, in document order (outer before inner), a node once.
    Syntax only: the TypeScript worker finds them before the seeds arrive (`scan.prepare`, kept on the index)."""
    if fi.rule_matches is not None:
        return fi.rule_matches  # type: ignore[no-any-return]
    query, owners = _queries(is_tsx(fi.sf.path))
    if not owners:
        return {}
    func_at = {n.id: f for n, f in chain(fi.watched, fi.calls, fi.declarators)}
    found: dict[str, dict[int, Match]] = {}
    for pattern, caps in ts.QueryCursor(query).matches(fi.tree.root_node):
        rule = owners[pattern]
        node = caps["match"][0] if isinstance(caps["match"], list) else caps["match"]
        seen = found.setdefault(rule.code, {})
        if node.id in seen:
            continue
        func = func_at[node.id] if node.id in func_at else enclosing_func(fi, node)
        seen[node.id] = Match(rule, node, {k: v[0] if isinstance(v, list) else v for k, v in caps.items()}, func)
    return {code: sorted(ms.values(), key=lambda m: (m.node.start_byte, -m.node.end_byte))
            for code, ms in found.items()}


class Detector:
    def __init__(self, project: Project, config: Config, to_type: str) -> None:
        self.p = project
        self.kn = project.kn
        self.config = config
        self.to_type = to_type.upper()
        self.rules = rules_by_name()
        self._callee_map: dict[int, list[str]] | None = None
        self._chains: dict[int, str] = {}
        self.generated = GeneratedFiles()
        #: each rule with its module's functions (None: the query says it all / no whole-file detection)
        self._plan: list[tuple[TsRule, Any, Any]] = []
        self._revisers: list[tuple[TsRule, Any]] = []
        for rule in load_rules():
            module = rule_module(rule.stem)
            self._plan.append((rule, getattr(module, "detect", None), getattr(module, "detect_file", None)))
            if module is not None and hasattr(module, "revise"):
                self._revisers.append((rule, module.revise))

    @staticmethod
    def warm() -> None:
        """Load the rules, their modules and both grammars' queries (all cached) ahead of the scan: the
        TypeScript worker does it while it waits for the seeds."""
        for rule in load_rules():
            rule_module(rule.stem)
        for tsx in (False, True):
            _queries(tsx)

    def finding(self, fi: FileIndex, rule_name: str, node: ts.Node, symbol: str, why: str,
                edits: Edits = (),  # type: ignore[assignment]
                layer: str | None = None, func: Func | None = None, safe: bool = True,
                applies_to: tuple[str, ...] = (), widening: bool = False, shared: str = "") -> Finding | None:
        """`applies_to` narrows the rule's target types for this finding; `widening`: the edits are the bigint
        fix itself (dropping a 32-bit cap), made for every target type, not only when the key becomes a string.
        `shared`: another record's ids (that name) reach the same place, so the edit is only a suggestion."""
        rule: TsRule | None = self.rules.get(rule_name)
        if rule is None or not self.config.rule_enabled(rule.code, rule.name):
            return None
        if layer is None:
            layer = "test" if fi.is_test else rule.layer
        if not shared and self.p.shared_whys:
            shared = next((n for w, n in self.p.shared_whys.items() if why.startswith(w)), "")
        safe = safe and not shared
        out_edits: tuple[Edit, ...] = ()
        if edits and (self.to_type in _STRINGY or widening):
            made = []
            for where, text in edits:
                sb, eb = (where.start_byte, where.end_byte) if isinstance(where, ts.Node) else where
                made.append(Edit(fi.src.char(sb), fi.src.char(eb), text, safe=safe))
            out_edits = tuple(made)
        review = rule.review
        if shared:
            review = (review + " " if review else "") + \
                f"Shared: `{shared}` (another record's ids) reaches it too; make it generic over the id type " \
                "rather than `string`."
        if self.to_type == "BIGINT" and not widening:
            review = (review + " " if review else "") + \
                "BIGINT keys beyond 2^53 lose precision in a JS number: keep ids as strings on the wire."
        evidence = why
        chain = self.route_chain(func.named) if func is not None else ""
        if chain and chain not in evidence:
            evidence = f"{evidence}; {func.label if func else ''} -> {chain}" if evidence else chain
        return Finding(rule=rule.name, code=rule.code, layer=layer, language="typescript",
                       kind=rule.kind,  # type: ignore[arg-type]
                       severity=self.config.severity_for(rule.code, rule.name, rule.severity),  # type: ignore[arg-type]
                       path=fi.sf.path, span=fi.src.span(node), symbol=symbol,
                       message=rule.message.format(symbol=symbol, to=self.to_type.lower()),
                       evidence=evidence, edits=out_edits, review=review, applies_to=applies_to)

    def _callees(self) -> dict[int, list[str]]:
        if self._callee_map is None:
            out: dict[int, list[str]] = {}
            for fi in self.p.files:
                for call, func in fi.calls:
                    if func is not None:
                        name = callee_name(fi, call)
                        if name and name in self.p.funcs:
                            out.setdefault(id(func.named), []).append(name)
                for el, func in fi.jsx:
                    n = el.child_by_field_name("name")
                    if func is not None and n is not None and fi.text(n) in self.p.funcs:
                        out.setdefault(id(func.named), []).append(fi.text(n))
            self._callee_map = out
        return self._callee_map

    def route_chain(self, func: Func, depth: int = 0) -> str:
        """`useContent -> fetchContent -> GET /contents/{content_id} (routes/contents.py:54)`."""
        if func.route:
            return func.route
        if depth > 4:
            return ""
        key = id(func)
        if key in self._chains:
            return self._chains[key]
        self._chains[key] = ""
        for name in self._callees().get(key, ()):
            for g in self.p.funcs.get(name, ()):
                sub = self.route_chain(g, depth + 1)
                if sub:
                    self._chains[key] = f"{g.name} -> {sub}" if not g.route else f"{g.name} -> {sub}"
                    return self._chains[key]
        return ""

    def generic(self, fi: FileIndex, m: Match) -> Finding | None:
        """A rule that is its query: reported at `@match` when `@key` holds the key, named by the YAML's `symbol:`
        template, with the YAML's `replace:` edits, in the layer of the code around it."""
        key = m.captures.get("key")
        why = self.p.is_key(key, m.func, fi) if key is not None else ""
        if not why:
            return None
        texts = {name: fi.text(node) for name, node in m.captures.items()}
        symbol = (m.rule.symbol or "{func}.{key}").format(**texts, func=m.func.label if m.func else "<module>")
        edits: Edits = [(m.captures[c], text) for c, text in m.rule.replace if c in m.captures]
        return self.finding(fi, m.rule.name, m.node, symbol, why, edits, layer=context_layer(m.func, fi), func=m.func)

    def run(self, fi: FileIndex) -> list[Finding]:
        """Every rule on one file: each rule's query matches in document order (or its `detect_file`), rule by
        rule in catalogue order; then the rules that revise what was found (generated clients)."""
        out: list[Finding | None] = []
        found_by = matches(fi)
        for rule, detect, detect_file in self._plan:
            for m in found_by.get(rule.code, ()):
                out.extend(detect(self, fi, m) if detect is not None else (self.generic(fi, m),))
            if detect_file is not None:
                out.extend(detect_file(self, fi, rule))
        found = [f for f in out if f is not None]
        for rule, revise in self._revisers:
            found = revise(self, fi, rule, found)
        return found

    # ------------------------------------------------------------------ shared by several rules
    def key_parameters(self, fi: FileIndex, rule: TsRule, kind: str) -> Iterator[Finding | None]:
        """Key parameters typed `number` of the file's functions of one kind (`func_kind`: "api", "hook",
        "component", "url", or "" for none, whose layer is the code's around it)."""
        for b in fi.bindings:
            if not b.key or b.prop_of or b.type_node is None or b.kind != "param" or b.func is None:
                continue
            if not number_positions(b.type_node, fi) or func_kind(b.func, fi) != kind:
                continue
            layer = "test" if fi.is_test else None if kind else context_layer(b.func, fi)
            yield self.finding(fi, rule.name, b.node.parent or b.node, f"{b.func.label}.{b.name}", b.why,
                               self.num_edits(b.type_node, fi), layer=layer, func=b.func,
                               shared=self.p.shared.get(id(b), ""))
            for ptype in overload_param_types(b.func, b.index, fi):  # parse(raw: number): string; overloads
                if number_positions(ptype, fi):
                    yield self.finding(fi, rule.name, ptype.parent or ptype, f"{b.func.label}.{b.name} (overload)",
                                       b.why, self.num_edits(ptype, fi), layer=layer, func=b.func,
                                       shared=self.p.shared.get(id(b), ""))

    def num_edits(self, type_node: ts.Node | None, fi: FileIndex) -> Edits:
        """`number` -> `string` at every `number` of a type that states the key's type."""
        return [(n, "string") for n in number_positions(type_node, fi)]


    def holder_name(self, node: ts.Node, fi: FileIndex) -> str:
        """The name of the declaration a type or value sits in (`byId` of `const byId: Map<number, X>`)."""
        cur = node.parent
        while cur is not None and cur.type not in ("variable_declarator", "property_signature",
                                                   "public_field_definition", "required_parameter",
                                                   "type_alias_declaration", "function_declaration"):
            cur = cur.parent
        if cur is None:
            return ""
        n = cur.child_by_field_name("name") or cur.child_by_field_name("pattern")
        return fi.text(n) if n is not None else ""

    def keyish_holder(self, name: str) -> bool:
        """A name that says it is keyed by the key (`contentsById`, `byContentId`)."""
        low = name.lower()
        for base in self.kn.entity_bases:
            b = base.lower()
            if f"by{b}" in low:
                return True
        return any(k.lower().replace("_", "") in low for k in self.kn.names)

    def page_param_key(self, obj: ts.Node, fi: FileIndex) -> str:
        """Why the `pageParam` of an infinite query's `queryFn` (in the options `obj`) is a key, or ""."""
        for p in obj.named_children:
            k = p.child_by_field_name("key") if p.type == "pair" else None
            v = p.child_by_field_name("value") if p.type == "pair" else None
            if k is not None and v is not None and fi.text(k) == "queryFn":
                cb = fi.func_of(v)
                for b in (cb.params[0] if cb is not None and cb.params else ()):
                    if (b.prop_of == "pageParam" or b.name == "pageParam") and b.key:
                        return b.why
        return ""

    def mentions_key(self, node: ts.Node, fi: FileIndex) -> str:
        """Why some member expression below `node` holds a key (`getNextPageParam: (last) => last.nextCursor`)."""
        stack = [node]
        funcs = {f.node.id: f for f in fi.funcs}
        inner_func = None
        while stack:
            n = stack.pop()
            if n.id in funcs:
                inner_func = funcs[n.id]
            if n.type == "member_expression":
                why = self.p.is_key(n, inner_func, fi)
                if why:
                    return why
            stack.extend(n.named_children)
        return ""


def storage_read(arg: ts.Node, fi: FileIndex) -> str | None:
    """The storage key of `localStorage.getItem("k")` (with `?? ""` tolerated); None otherwise."""
    node = arg
    if node.type == "binary_expression":
        node = node.child_by_field_name("left") or node
    if node.type != "call_expression":
        return None
    name = callee_name(fi, node)
    if name not in ("localStorage.getItem", "sessionStorage.getItem", "window.localStorage.getItem"):
        if not name.endswith(".getItem"):
            return None
    args = node.child_by_field_name("arguments")
    first = args.named_children[0] if args is not None and args.named_children else None
    if first is None:
        return ""
    return fi.text(first).strip("'\"`")

