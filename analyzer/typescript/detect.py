"""The detections behind the rules in rules/typescript/*.yml, run on a file once the flow is settled.

Each `_rule_*` method is named after the rule it implements; `Detector.run` walks the nodes the
indexer recorded and asks every rule about the ones of its kind.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

import tree_sitter as ts

from analyzer.config import Config
from analyzer.models import ANY_TARGET, JS_NUMBER, Edit, Finding
from analyzer.typescript.flow import Project
from analyzer.typescript.generated import Generated, GeneratedFiles
from analyzer.typescript.index import Binding, FileIndex, Func, callee_name, unwrap_type
from analyzer.typescript.rules import TsRule, rules_by_name

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
_ZOD_NUMERIC = frozenset({"int", "positive", "nonnegative", "min", "max", "gt", "gte", "lt", "lte", "finite",
                          "safe", "multipleOf", "step"})
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
        if gname in ("Array", "ReadonlyArray", "Set", "ReadonlySet", "Promise") and args:
            return number_positions(args[0], fi)
    return []


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

    # ------------------------------------------------------------------ plumbing
    def finding(self, fi: FileIndex, rule_name: str, node: ts.Node, symbol: str, why: str,
                edits: list[tuple[ts.Node | tuple[int, int], str]] = (),  # type: ignore[assignment]
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

    def run(self, fi: FileIndex) -> list[Finding]:
        out: list[Finding | None] = []
        out.extend(self._members(fi))
        out.extend(self._params(fi))
        for node, func in fi.watched:
            t = node.type
            if t == "type_alias_declaration":
                out.extend(self._alias(fi, node))
            elif t == "unary_expression":
                out.extend(self._unary(fi, node, func))
            elif t == "binary_expression":
                out.extend(self._binary(fi, node, func))
            elif t == "pair":
                out.extend(self._pair(fi, node, func))
            elif t in ("generic_type", "new_expression"):
                out.extend(self._cache(fi, node, func))
                if node.id in self.p.key_news:
                    out.extend(self._new_collection(fi, node, func))
            elif t == "regex":
                out.extend(self._regex(fi, node, func))
            elif t == "as_expression":
                out.extend(self._assertion(fi, node, func))
        for call, func in fi.calls:
            out.extend(self._call(fi, call, func))
        for f in fi.funcs:
            if f.ret_key and f.return_type is not None:
                out.extend(self._return(fi, f))
            if f.ret_key:
                out.extend(self._returned_type_args(fi, f))
        for decl, func in fi.declarators:
            out.extend(self._zod_declarator(fi, decl, func))
        for f in fi.funcs:
            if f.name and f.route and f.named is f:
                out.append(self.finding(fi, "ts.api.route", f.node, f.name, f.route, func=None,
                                        layer="test" if fi.is_test else "ts-api"))
        found = [f for f in out if f is not None]
        gen = self.generated.of(fi.src.text, fi.sf.abs_path, fi.sf.root, fi.sf.path) if found else None
        if gen is not None:
            found = [g for g in (self._regenerate(f, gen) for f in found) if g is not None]
        return found

    def _regenerate(self, f: Finding, gen: Generated) -> Finding | None:
        """A finding in a generated client becomes ts.generated.client: no hand edit, the generator's advice.
        Context (info) stays as it is."""
        if f.kind == "info":
            return f
        rule = self.rules.get("ts.generated.client")
        if rule is None or not self.config.rule_enabled(rule.code, rule.name):
            return None
        return dataclasses.replace(
            f, rule=rule.name, code=rule.code, kind=rule.kind,  # type: ignore[arg-type]
            severity=self.config.severity_for(rule.code, rule.name, rule.severity),  # type: ignore[arg-type]
            message=rule.message.format(symbol=f.symbol, to=self.to_type.lower()),
            evidence=f"{f.evidence}; {f.code} {f.message}" if f.evidence else f"{f.code} {f.message}",
            edits=(), review=gen.advice())

    def _num_edits(self, type_node: ts.Node | None, fi: FileIndex) -> list[tuple[ts.Node | tuple[int, int], str]]:
        return [(n, "string") for n in number_positions(type_node, fi)]

    # ------------------------------------------------------------------ declarations
    def _members(self, fi: FileIndex) -> Iterator[Finding | None]:
        for node, func in fi.watched:
            if node.type not in ("property_signature", "public_field_definition"):
                continue
            name_node = node.child_by_field_name("name")
            type_node = unwrap_type(node.child_by_field_name("type"))
            if name_node is None or type_node is None:
                continue
            member = fi.text(name_node).strip("'\"")
            if type_node.type == "function_type":
                yield from self._fn_type_member(fi, node, type_node, member)
                continue
            nums = number_positions(type_node, fi)
            if not nums:
                continue
            owner, owner_key = self._owner(node, fi)
            why = self.p.is_key_member(owner_key, member) if owner_key else ""
            if not why and self.kn.is_key_name(member):
                why = self.kn.origin(member) or f"{member} names the key"
            if not why and owner_key.startswith("@"):
                why = self._nested_schema_member(node, fi, owner, member)
            if not why:
                continue
            layer = "ts-type"
            if owner.endswith("Props") or self._is_props_type(owner):
                layer = "ts-component"
            elif not owner_key.startswith("@") or func is None:
                layer = "ts-type" if path_layer(fi) not in ("ts-state", "ts-validation") else path_layer(fi)
            else:
                layer = context_layer(func, fi)
                if layer == "other":
                    layer = "ts-type"
            if fi.is_test:
                layer = "test"
            symbol = f"{owner}.{member}" if owner else member
            yield self.finding(fi, "ts.type.property", node, symbol, why, self._num_edits(type_node, fi),
                               layer=layer, shared=self.p.shared_members.get((owner_key, member), "") or
                               self.p.shared_types.get(owner_key, ""))

    def _nested_schema_member(self, node: ts.Node, fi: FileIndex, owner: str, member: str) -> str:
        """Members of object types nested in a generated client's declarations: `components: { schemas: {
        ProjectOut: { id: number } } }` (openapi-typescript), and `path: { id: number }` next to
        `url: '/api/projects/{id}'` (openapi-ts), where the URL template names the key's path param."""
        body = node.parent
        holder = _annotated(body)
        if holder is None or holder.type != "property_signature":
            return ""
        outer = holder.parent
        outer_holder = _annotated(outer)
        owner = fi.text(holder.child_by_field_name("name") or holder).strip("'\"")
        if member == "id" and owner and outer_holder is not None and outer_holder.type == "property_signature":
            hname = outer_holder.child_by_field_name("name")
            if hname is not None and fi.text(hname).strip("'\"") in ("schemas", "definitions"):
                if owner in self.p.affected:
                    return self.p.affected[owner] or f"{owner} is tied to the affected schema"
                if self.kn.is_entity_type(owner):
                    return self.kn.entity_origin(owner) or f"{owner} is tied to the affected schema"
        hname = holder.child_by_field_name("name")
        if hname is None or fi.text(hname) != "path" or outer is None:
            return ""
        for sib in outer.named_children:
            n = sib.child_by_field_name("name") if sib.type == "property_signature" else None
            ty = unwrap_type(sib.child_by_field_name("type")) if n is not None else None
            if n is not None and fi.text(n) == "url" and ty is not None and ty.type == "literal_type":
                return self.p.template_keys(fi.text(ty)[1:-1]).get(member, "")
        return ""

    def _fn_type_member(self, fi: FileIndex, node: ts.Node, fn_type: ts.Node, member: str) -> Iterator[Finding | None]:
        params = fn_type.child_by_field_name("parameters")
        plist = [p for p in params.named_children if p.type in ("required_parameter", "optional_parameter")] \
            if params is not None else []
        edits: list[tuple[ts.Node | tuple[int, int], str]] = []
        why = ""
        for i, p in enumerate(plist):
            w = self.p.fn_param_key(fn_type, fi, i)
            nums = number_positions(p.child_by_field_name("type"), fi)
            if w and nums:
                why = why or w
                edits.extend((n, "string") for n in nums)
        if not why:
            return
        owner, owner_key = self._owner(node, fi)
        layer = "ts-component" if owner.endswith("Props") or self._is_props_type(owner) else "ts-type"
        yield self.finding(fi, "ts.type.property", node, f"{owner}.{member}" if owner else member, why, edits,
                           layer="test" if fi.is_test else layer, shared=self.p.shared_types.get(owner_key, ""))

    def _is_props_type(self, owner: str) -> bool:
        for funcs in (self.p.funcs.get(owner.removesuffix("Props"), ()),):
            if funcs:
                return True
        return False

    def _owner(self, member: ts.Node, fi: FileIndex) -> tuple[str, str]:
        """(display name, type key) of the type a member belongs to."""
        body = member.parent
        if body is None:
            return "", ""
        if body.type in ("interface_body", "class_body"):
            decl = body.parent
            n = decl.child_by_field_name("name") if decl is not None else None
            return (fi.text(n), fi.text(n)) if n is not None else ("", "")
        if body.type == "object_type":
            up = body.parent
            while up is not None and up.type in ("intersection_type", "parenthesized_type", "union_type"):
                up = up.parent
            if up is not None and up.type == "type_alias_declaration":
                n = up.child_by_field_name("name")
                return (fi.text(n), fi.text(n)) if n is not None else ("", "")
            label = ""
            cur = body.parent
            while cur is not None and cur.type not in ("required_parameter", "optional_parameter",
                                                       "variable_declarator", "property_signature"):
                cur = cur.parent
            if cur is not None:
                pat = cur.child_by_field_name("pattern") or cur.child_by_field_name("name")
                label = fi.text(pat) if pat is not None and pat.type == "identifier" else "props"
                if cur.type == "property_signature" and pat is not None:  # components.schemas.ContentOut
                    label = fi.text(pat).strip("'\"")
            return label, f"@{fi.sf.path}:{body.start_byte}"
        return "", ""

    def _alias(self, fi: FileIndex, node: ts.Node) -> Iterator[Finding | None]:
        name = node.child_by_field_name("name")
        value = node.child_by_field_name("value")
        if name is None or value is None:
            return
        tname = fi.text(name)
        if self.kn.is_key_alias_type(tname):
            nums = number_positions(value, fi)
            if nums:
                yield self.finding(fi, "ts.type.alias", node, tname,
                                   self.kn.origin(tname[:1].lower() + tname[1:]) or f"{tname} names the key",
                                   self._num_edits(value, fi), layer="test" if fi.is_test else "ts-type")
        if tname in self.p.affected and not self.kn.is_entity_type(tname):
            yield self.finding(fi, "ts.type.derived", node, tname, self.p.affected[tname],
                               layer="test" if fi.is_test else "ts-type")

    def _params(self, fi: FileIndex) -> Iterator[Finding | None]:
        for b in fi.bindings:
            if not b.key or b.prop_of or b.type_node is None:
                continue
            if b.kind == "param":
                nums = number_positions(b.type_node, fi)
                if not nums or b.func is None:
                    continue
                kind = func_kind(b.func, fi)
                rule = {"api": "ts.api.param", "hook": "ts.hook.param", "component": "ts.component.param",
                        "url": "ts.url.param"}.get(kind, "ts.function.param")
                layer = None if kind else context_layer(b.func, fi)
                if fi.is_test:
                    layer = "test"
                sym = f"{b.func.label}.{b.name}"
                yield self.finding(fi, rule, b.node.parent or b.node, sym, b.why,
                                   self._num_edits(b.type_node, fi), layer=layer, func=b.func,
                                   shared=self.p.shared.get(id(b), ""))
            elif b.kind == "var":
                nums = number_positions(b.type_node, fi)
                if nums:
                    sym = f"{b.func.label}.{b.name}" if b.func else b.name
                    yield self.finding(fi, "ts.variable.annotation", b.node.parent or b.node, sym, b.why,
                                       self._num_edits(b.type_node, fi), layer=context_layer(b.func, fi),
                                       func=b.func)
        for b in fi.bindings:
            if b.kind in ("state", "ref") and b.key and b.state_type is not None:
                nums = number_positions(b.state_type, fi)
                if nums:
                    sym = f"{b.func.label}.{b.name}" if b.func else b.name
                    yield self.finding(fi, "ts.state.use-state", b.node.parent or b.node, sym, b.why,
                                       self._num_edits(b.state_type, fi),
                                       layer="test" if fi.is_test else None, func=b.func)

    def _return(self, fi: FileIndex, f: Func) -> Iterator[Finding | None]:
        assert f.return_type is not None
        nums = number_positions(f.return_type, fi)
        if not nums:
            return
        numeric = any(re.search(r"\bMath\.|\.reduce\(", fi.text(r)) for r in f.returns)
        yield self.finding(fi, "ts.function.return", f.return_type, f"{f.label}()", f.ret_key,
                           [] if numeric else self._num_edits(f.return_type, fi), layer=context_layer(f, fi), func=f)

    def _returned_type_args(self, fi: FileIndex, f: Func) -> Iterator[Finding | None]:
        """`return http<number[]>(url)` in a function that returns keys: the call's type argument
        states the key's type as much as the declared return type does."""
        for ret in f.returns:
            while ret.type in ("await_expression", "parenthesized_expression") and ret.named_children:
                ret = ret.named_children[0]
            if ret.type != "call_expression":
                continue
            targs = ret.child_by_field_name("type_arguments")
            if targs is None or len(targs.named_children) != 1:
                continue
            nums = number_positions(targs.named_children[0], fi)
            if nums:
                sym = f"{f.label}() {callee_name(fi, ret) or 'call'}<>"
                yield self.finding(fi, "ts.function.return", targs, sym, f.ret_key,
                                   self._num_edits(targs.named_children[0], fi), layer=context_layer(f, fi), func=f)

    def _zod_declarator(self, fi: FileIndex, decl: ts.Node, func: Func | None) -> Iterator[Finding | None]:
        name = decl.child_by_field_name("name")
        value = decl.child_by_field_name("value")
        if name is None or value is None or value.type != "call_expression" or name.type != "identifier":
            return
        vname = fi.text(name)
        if not self.kn.name_returns_key(re.sub(r"(Schema|Param|Params|Validator)$", "", vname)):
            return
        znum = _zod_number(value, fi)
        if znum is None:
            return
        yield self._zod_finding(fi, decl, vname, f"{vname} validates the key", znum, value)

    # ------------------------------------------------------------------ caches keyed by id
    def _cache(self, fi: FileIndex, node: ts.Node, func: Func | None) -> Iterator[Finding | None]:
        if node.type == "generic_type":
            name = node.child_by_field_name("name")
            targs = node.child_by_field_name("type_arguments")
        else:
            name = node.child_by_field_name("constructor")
            targs = node.child_by_field_name("type_arguments")
        if name is None or targs is None or len(targs.named_children) < 2:
            return
        gname = fi.text(name)
        if gname not in ("Record", "Map", "ReadonlyMap"):
            return
        key_t, val_t = targs.named_children[0], targs.named_children[1]
        if key_t.type == "union_type":  # Map<number | null, X>: a slot for "no id yet" beside the ids
            nums = [c for c in key_t.named_children if fi.text(c) not in ("null", "undefined")]
            key_t = nums[0] if len(nums) == 1 else key_t
        if not (key_t.type == "predefined_type" and fi.text(key_t) == "number"):
            return
        vt = self.p.norm(val_t, fi)
        why = ""
        if isinstance(vt, str):
            base = vt.removesuffix("[]")
            if base in self.p.affected:
                why = f"keyed by {base}.id ({self.p.affected[base]})" if self.p.affected[base] else \
                    f"keyed by {base}.id"
        holder = self._holder_name(node, fi)
        if not why and holder and self._keyish_holder(holder):
            why = f"{holder} is keyed by the key"
        if not why and holder:
            hb = fi.resolve(holder, func) if not holder.startswith("[") else self._state_of(node, fi, func)
            if hb is not None and hb.id_map:
                why = f"{holder} is indexed by the key ({hb.id_map})"
            elif hb is not None and hb.key and hb.kind != "param":
                why = hb.why
        if not why and holder:
            ent = self.kn.plural_entity_suffix(holder)
            if ent:  # const openContents: Record<number, boolean>
                why = f"{holder} is keyed by {ent} ids"
        if not why and func is not None and holder.startswith("[") and self._in_use_state(node):
            ent = self.kn.plural_entity_suffix(func.label.rpartition(".")[2])
            if ent:  # useOpenContents() { useState<Record<number, boolean>>() }
                why = f"{func.label} keeps {ent} state keyed by id"
        if not why:
            return
        sym = f"{func.label}.{holder}" if func is not None and holder else (holder or gname)
        layer = context_layer(func, fi) if func is not None else path_layer(fi)
        if layer in ("other", "ts-component") and func is None:
            layer = "ts-state"
        yield self.finding(fi, "ts.state.id-map", node, sym, why, [(key_t, "string")], layer=layer, func=func)

    def _new_collection(self, fi: FileIndex, node: ts.Node, func: Func | None) -> Iterator[Finding | None]:
        """`new Set<number>()` whose value ends where keys are held (a key member, a key variable)."""
        targs = node.child_by_field_name("type_arguments")
        if targs is None or not targs.named_children:
            return
        ctor = node.child_by_field_name("constructor")
        parent = node.parent
        pkey = parent.child_by_field_name("key") if parent is not None and parent.type == "pair" else None
        holder = fi.text(pkey) if pkey is not None else self._holder_name(node, fi)
        sym = f"{func.label if func else '<module>'}.{holder or (fi.text(ctor) if ctor is not None else 'new')}"
        layer = context_layer(func, fi) if func is not None else path_layer(fi)
        yield self.finding(fi, "ts.variable.new-collection", node, sym, self.p.key_news[node.id],
                           self._num_edits(targs.named_children[0], fi), layer=layer, func=func)

    def _state_of(self, node: ts.Node, fi: FileIndex, func: Func | None) -> Binding | None:
        """The state binding of `const [open, setOpen] = useState<Map<number, X>>()` from its type argument."""
        cur = node.parent
        while cur is not None and cur.type != "variable_declarator":
            cur = cur.parent
        pat = cur.child_by_field_name("name") if cur is not None else None
        first = pat.named_children[0] if pat is not None and pat.type == "array_pattern" and pat.named_children \
            else None
        return fi.resolve(fi.text(first), func) if first is not None and first.type == "identifier" else None

    @staticmethod
    def _in_use_state(node: ts.Node) -> bool:
        cur = node.parent
        while cur is not None and cur.type in ("type_arguments", "union_type", "parenthesized_type"):
            cur = cur.parent
        if cur is None or cur.type != "call_expression":
            return False
        fn = cur.child_by_field_name("function")
        return fn is not None and fn.text is not None and fn.text.split(b".")[-1] == b"useState"

    def _holder_name(self, node: ts.Node, fi: FileIndex) -> str:
        cur = node.parent
        while cur is not None and cur.type not in ("variable_declarator", "property_signature",
                                                   "public_field_definition", "required_parameter",
                                                   "type_alias_declaration", "function_declaration"):
            cur = cur.parent
        if cur is None:
            return ""
        n = cur.child_by_field_name("name") or cur.child_by_field_name("pattern")
        return fi.text(n) if n is not None else ""

    def _keyish_holder(self, name: str) -> bool:
        low = name.lower()
        for base in self.kn.entity_bases:
            b = base.lower()
            if f"by{b}" in low:
                return True
        return any(k.lower().replace("_", "") in low for k in self.kn.names)

    # ------------------------------------------------------------------ zod
    def _pair(self, fi: FileIndex, node: ts.Node, func: Func | None) -> Iterator[Finding | None]:
        key = node.child_by_field_name("key")
        value = node.child_by_field_name("value")
        if key is None or value is None:
            return
        kname = fi.text(key).strip("'\"")
        if kname == "initialPageParam":
            yield from self._initial_page(fi, node, value, func)
            return
        if kname == "type" and value.type == "string" and fi.text(value)[1:-1] in ("integer", "number"):
            yield from self._json_schema(fi, node, value, func)
            return
        if value.type == "unary_expression":
            return
        if value.type != "call_expression":
            return
        znum = _zod_number(value, fi)
        if znum is None:
            return
        why = ""
        if self.kn.is_key_name(kname):
            why = self.kn.origin(kname) or f"{kname} names the key"
        elif kname == "id":
            schema = self._zod_schema_name(node, fi)
            if schema and (self.kn.is_entity_type(schema[:1].upper() + schema[1:].removesuffix("Schema")) or
                           schema[:1].upper() + schema[1:].removesuffix("Schema") in self.p.affected):
                why = f"{schema} validates {self.kn.entity_origin(schema[:1].upper() + schema[1:])}".strip()
        if not why:
            return
        yield self._zod_finding(fi, node, f"{self._zod_schema_name(node, fi) or 'z'}.{kname}", why, znum, value)

    def _json_schema(self, fi: FileIndex, pair: ts.Node, value: ts.Node, func: Func | None) -> Iterator[Finding | None]:
        """`id: { type: 'integer' }` under the `properties` of a JSON schema object of the record
        (`export const ProjectOutSchema = { properties: { id: { type: 'integer' } } }`), also inside
        `anyOf`/`oneOf` (an optional key) and `items` (a list of keys)."""
        found = _json_property(pair, fi)
        if found is None:
            return
        prop, schema = found
        why = self.p.is_key_member(schema, prop) if schema else ""
        if not why and self.kn.is_key_name(prop):
            why = self.kn.origin(prop) or f"{prop} names the key"
        if not why and prop == "id" and schema and self.kn.is_entity_type(schema):
            why = self.kn.entity_origin(schema) or f"{schema} is tied to the affected schema"
        if not why:
            return
        q = fi.text(value)[0]
        edits: list[tuple[ts.Node | tuple[int, int], str]] = [(value, f"{q}string{q}")]
        if self.to_type != "TEXT":
            fval = _pair_named(pair.parent, "format", fi)
            if fval is not None:
                edits.append((fval, f"{q}uuid{q}"))
            else:
                edits.append(((pair.end_byte, pair.end_byte), f", format: {q}uuid{q}"))
        sym = f"{schema or (func.label if func else '<module>')}.{prop}"
        yield self.finding(fi, "ts.schema.json-number", value, sym, why, edits,
                           layer="test" if fi.is_test else None, func=func)

    def _zod_finding(self, fi: FileIndex, node: ts.Node, symbol: str, why: str, znum: tuple[int, int],
                     schema: ts.Node) -> Finding | None:
        """`z.number()` holding the key: a string schema for UUID/text; for bigint only a cap the key outgrows
        (`.max(2147483647)`), which the bigint fix drops."""
        caps = _zod_caps(schema, fi)
        layer = "test" if fi.is_test else None
        if caps and self.to_type == "BIGINT":
            written = ", ".join(fi.src.data[a:b].decode("utf-8", "replace").lstrip(".") for a, b in caps)
            return self.finding(fi, "ts.zod.number", node, symbol, f"{why}; `{written}` caps the key below "
                                "bigint's range", [(c, "") for c in caps], layer=layer, widening=True,
                                applies_to=ANY_TARGET)
        return self.finding(fi, "ts.zod.number", node, symbol, why, [(znum, "z.string().uuid()")], layer=layer,
                            applies_to=ANY_TARGET if caps else JS_NUMBER)

    def _zod_schema_name(self, pair: ts.Node, fi: FileIndex) -> str:
        cur = pair.parent
        while cur is not None and cur.type != "variable_declarator":
            cur = cur.parent
        n = cur.child_by_field_name("name") if cur is not None else None
        return fi.text(n) if n is not None else ""

    # ------------------------------------------------------------------ hazards
    def _unary(self, fi: FileIndex, node: ts.Node, func: Func | None) -> Iterator[Finding | None]:
        op = node.child_by_field_name("operator")
        arg = node.child_by_field_name("argument")
        if op is None or arg is None:
            return
        o = fi.text(op)
        if o == "+":
            why = self.p.is_key(arg, func, fi) or self.p.key_casts.get(node.id, "")
            if why:
                sym = f"{func.label if func else '<module>'}.+{fi.text(arg)}"
                yield self.finding(fi, "ts.hazard.number-cast", node, sym, why, self._uncast(node, arg, fi, func),
                                   layer=context_layer(func, fi), func=func)
        elif o == "-" and arg.type == "call_expression" and fi.text(arg).replace(" ", "") == "Date.now()":
            holder = self._id_holder(node, fi)
            if holder:
                sym = f"{func.label if func else '<module>'}.{holder}"
                whole = node
                while whole.parent is not None and whole.parent.type in ("binary_expression",
                                                                         "parenthesized_expression"):
                    whole = whole.parent
                fix = "`temp${" + fi.text(whole) + "}`"  # "temp-1732540000000": a string, still unique
                layer = context_layer(func, fi)
                yield self.finding(fi, "ts.hazard.temp-id", whole, sym,
                                   f"{holder} gets a negative timestamp as a temporary id", [(whole, fix)],
                                   layer="ts-state" if layer == "other" else layer,  # optimistic rows
                                   func=func)

    def _uncast(self, cast: ts.Node, arg: ts.Node, fi: FileIndex,
                func: Func | None) -> list[tuple[ts.Node | tuple[int, int], str]]:
        """`Number(x)` -> `x`; `x ?? ''` when x may be undefined (a route param). No edit when the number
        is still needed (`Math.max(Number(a.id), ...)`, arithmetic): that stays a hazard to review."""
        parent = cast.parent
        if parent is not None and parent.type == "arguments" and parent.parent is not None:
            callee = parent.parent.child_by_field_name("function")
            if callee is not None and fi.text(callee).startswith("Math."):
                return []
        if parent is not None and parent.type == "binary_expression":
            op = parent.child_by_field_name("operator")
            if op is not None and fi.text(op) in ("+", "-", "*", "/", "%", "<", ">", "<=", ">="):
                return []
        text = fi.text(arg)
        if cast.parent is not None and cast.parent.type == "non_null_expression":
            cast = cast.parent  # `+params.id!`: the `!` goes with the cast
        if arg.type == "non_null_expression" or arg.type == "string":
            return [(cast, text)]
        maybe_undefined = arg.type == "member_expression" or arg.type == "subscript_expression"
        if arg.type == "identifier":
            b = fi.resolve(text, func)
            maybe_undefined = b is not None and b.prop_of is not None and b.init is not None and \
                b.init.type == "call_expression" and callee_name(fi, b.init).endswith("useParams")
        standalone = cast.parent is not None and cast.parent.type in (
            "arguments", "variable_declarator", "return_statement", "pair", "array", "jsx_expression",
            "template_substitution", "arrow_function")
        if arg.type in ("binary_expression", "ternary_expression") and (maybe_undefined or not standalone):
            text = f"({text})"
        return [(cast, f"{text} ?? ''" if maybe_undefined else text)]

    def _id_holder(self, node: ts.Node, fi: FileIndex) -> str:
        parent = node.parent
        while parent is not None and parent.type in ("binary_expression", "parenthesized_expression"):
            parent = parent.parent
        if parent is None:
            return ""
        if parent.type == "return_statement" or parent.type == "arrow_function":
            cur: ts.Node | None = parent
            while cur is not None and cur.id not in {f.node.id for f in fi.funcs}:
                cur = cur.parent
            f = fi.func_of(cur) if cur is not None else None
            return f"{f.label}()" if f is not None and f.ret_key else ""
        name_node = None
        if parent.type == "pair":
            name_node = parent.child_by_field_name("key")
        elif parent.type in ("variable_declarator", "public_field_definition"):
            name_node = parent.child_by_field_name("name")
        elif parent.type == "assignment_expression":
            name_node = parent.child_by_field_name("left")
        if name_node is None:
            return ""
        name = fi.text(name_node).rpartition(".")[2]
        if name == "id" or self.kn.is_key_name(name) or name.endswith("Id") or name.endswith("_id"):
            return name
        return ""

    def _binary(self, fi: FileIndex, node: ts.Node, func: Func | None) -> Iterator[Finding | None]:
        op_node = node.child_by_field_name("operator")
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if op_node is None or left is None or right is None:
            return
        op = fi.text(op_node)
        if op in (">", "<", ">=", "<="):
            lk = self.p.is_key(left, func, fi)
            rk = self.p.is_key(right, func, fi)
            if (lk and (right.type == "number" or rk)) or (rk and left.type == "number"):
                sym = f"{func.label if func else '<module>'}.{fi.text(left if lk else right)}"
                yield self.finding(fi, "ts.hazard.id-compare", node, sym, lk or rk,
                                   self._compare_fix(node, left, op, right, fi, bool(lk), bool(rk)),
                                   layer=context_layer(func, fi), func=func)
        elif op in ("??", "||") and right.type == "number":
            why = self.p.is_key(left, func, fi)
            if why:
                sym = f"{func.label if func else '<module>'}.{fi.text(left)}"
                yield self.finding(fi, "ts.hazard.numeric-fallback", node, sym, why, [(right, "''")],
                                   layer=context_layer(func, fi), func=func)
        elif op == "-" and left.type in ("identifier", "subscript_expression") and \
                right.type in ("identifier", "subscript_expression"):
            why = self.p.is_key(left, func, fi)
            if why and self.p.is_key(right, func, fi) and self._in_comparator(node):
                fix = f"{fi.text(left)}.localeCompare({fi.text(right)})"
                sym = f"{func.label if func else '<module>'}.{fi.text(left)}"
                yield self.finding(fi, "ts.hazard.id-arithmetic", node, sym, why, [(node, fix)],
                                   layer=context_layer(func, fi), func=func)
        elif op in ("+", "-", "*", "/", "%") and (right.type == "number" or left.type == "number") and \
                not self._is_temp_id_part(node, fi):
            why = self.p.is_key(right if left.type == "number" else left, func, fi)
            if why and self._is_numeric_operand(left if left.type != "number" else right, fi):
                sym = f"{func.label if func else '<module>'}.{fi.text(left if left.type != 'number' else right)}"
                yield self.finding(fi, "ts.hazard.id-math", node, sym, why, layer=context_layer(func, fi),
                                   func=func)
        if op == "-" and left.type == "member_expression" and right.type == "member_expression":
            lp = left.child_by_field_name("property")
            rp = right.child_by_field_name("property")
            if lp is None or rp is None or fi.text(lp) != fi.text(rp):
                return
            why = self.p.is_key(left, func, fi) or self.p.is_key(right, func, fi)
            if not why:
                return
            fix = f"{fi.text(left)}.localeCompare({fi.text(right)})"
            sym = f"{func.label if func else '<module>'}.{fi.text(lp)}"
            yield self.finding(fi, "ts.hazard.id-arithmetic", node, sym, why, [(node, fix)],
                               layer=context_layer(func, fi), func=func)

    def _compare_fix(self, node: ts.Node, left: ts.Node, op: str, right: ts.Node, fi: FileIndex,
                     lk: bool, rk: bool) -> list[tuple[ts.Node | tuple[int, int], str]]:
        """`id > 0` / `id >= 1` -> `!!id` (a present id); `id < 0` -> a temporary id (`temp-...`)."""
        if not lk or rk or right.type != "number":
            return []
        n = fi.text(right)
        x = fi.text(left)
        if left.type not in ("identifier", "member_expression", "non_null_expression"):
            x = f"({x})"
        if (op == ">" and n == "0") or (op == ">=" and n == "1"):
            return [(node, f"!!{x}")]
        if op == "<" and n == "0" and left.type == "identifier":
            return [(node, f"{x}.startsWith('temp-')")]
        return []

    def _in_comparator(self, node: ts.Node) -> bool:
        cur = node.parent
        while cur is not None and cur.type in ("parenthesized_expression", "return_statement", "statement_block"):
            cur = cur.parent
        if cur is None or cur.type not in ("arrow_function", "function_expression"):
            return False
        params = cur.child_by_field_name("parameters")
        return params is not None and len(params.named_children) == 2

    def _is_temp_id_part(self, node: ts.Node, fi: FileIndex) -> bool:
        return "Date.now()" in fi.text(node)

    def _is_numeric_operand(self, node: ts.Node, fi: FileIndex) -> bool:
        """`id + 1` is arithmetic; `"#" + id` and template pieces are not."""
        return node.type not in ("string", "template_string")

    def _regex(self, fi: FileIndex, node: ts.Node, func: Func | None) -> Iterator[Finding | None]:
        pattern = node.child_by_field_name("pattern")
        if pattern is None:
            return
        text = fi.text(pattern).replace("\\/", "/")
        for route in self.kn.routes:
            segs = [x for x in route.template.split("/") if x]
            for i in range(1, len(segs)):
                seg = segs[i]
                if seg.startswith("{") and seg.strip("{}").split(":")[0] in route.params and \
                        not segs[i - 1].startswith("{"):
                    if re.search(re.escape(segs[i - 1]) + r"/\(?\\d[+*]", text):
                        sym = f"{func.label if func else '<module>'}.{fi.text(node)[:40]}"
                        yield self.finding(fi, "ts.hazard.id-regex", node, sym,
                                           f"{route.method} {route.template} ({route.origin})",
                                           layer=context_layer(func, fi), func=func)
                        return

    def _call(self, fi: FileIndex, call: ts.Node, func: Func | None) -> Iterator[Finding | None]:
        fn = call.child_by_field_name("function")
        if fn is None:
            return
        name = fi.text(fn)
        args_node = call.child_by_field_name("arguments")
        cargs = args_node.named_children if args_node is not None else []
        if name in ("Number.isFinite", "Number.isNaN", "Number.isInteger", "Number.isSafeInteger", "isNaN",
                    "isFinite") and cargs:
            why = self.p.is_key(cargs[0], func, fi)
            if why:
                sym = f"{func.label if func else '<module>'}.{name}({fi.text(cargs[0])})"
                yield self.finding(fi, "ts.hazard.number-check", call, sym, why, layer=context_layer(func, fi),
                                   func=func)
            return
        if name in ("Math.max", "Math.min") and cargs:
            why = ""
            wrap: list[tuple[ts.Node | tuple[int, int], str]] = []
            for a in cargs:
                target = a.named_children[0] if a.type == "spread_element" and a.named_children else a
                w = self.p.is_key(target, func, fi)
                if w:
                    why = why or w
                    if a.type != "spread_element" and self.p.cast_arg(a, fi) is None:
                        # only a suggestion: Number() of a UUID is NaN, so this needs a person
                        wrap.append((a, f"Number({fi.text(a)})"))
            if why:
                sym = f"{func.label if func else '<module>'}.{name}"
                yield self.finding(fi, "ts.hazard.id-math", call, sym, why, wrap, layer=context_layer(func, fi),
                                   func=func, safe=False)
            return
        if fn.type == "member_expression":
            prop = fn.child_by_field_name("property")
            obj = fn.child_by_field_name("object")
            pname = fi.text(prop) if prop is not None else ""
            if obj is not None and (pname in ("padStart", "toFixed", "toPrecision", "toLocaleString") or
                                    (pname == "toString" and cargs)):
                why = self.p.is_key(obj, func, fi)
                if why:
                    sym = f"{func.label if func else '<module>'}.{pname}"
                    fix: list[tuple[ts.Node | tuple[int, int], str]] = []
                    if pname == "toString":  # a string has no radix: the id is shown as it is
                        fix = [(call, fi.text(obj))]
                    yield self.finding(fi, "ts.hazard.number-format", call, sym, why, fix,
                                       layer=context_layer(func, fi), func=func)
                return
            if pname == "map" and len(cargs) == 1 and fi.text(cargs[0]) in ("Number", "parseInt") and obj is not None:
                why = self.p.key_casts.get(call.id, "") or self.p.is_key(obj, func, fi)
                if why:
                    sym = f"{func.label if func else '<module>'}.map({fi.text(cargs[0])})"
                    yield self.finding(fi, "ts.hazard.number-cast", call, sym, why, [(cargs[0], "String")],
                                       layer=context_layer(func, fi), func=func)
                return
        local = fi.resolve(name, func) if fn.type == "identifier" else None
        if local is not None and local.kind == "state" and local.key and name == local.setter and cargs and \
                "valueAsNumber" in fi.text(cargs[0]):
            sym = f"{func.label if func else '<module>'}.{local.name}"
            edits: list[tuple[ts.Node | tuple[int, int], str]] = []
            stack = [cargs[0]]
            while stack:
                n = stack.pop()
                if n.type == "property_identifier" and fi.text(n) == "valueAsNumber":
                    edits.append((n, "value"))
                stack.extend(n.named_children)
            yield self.finding(fi, "ts.component.number-input", call, sym, local.why, edits,
                               layer="test" if fi.is_test else None, func=func)
            return
        if name in ("Number", "parseInt", "parseFloat"):
            args = call.child_by_field_name("arguments")
            arg = args.named_children[0] if args is not None and args.named_children else None
            if arg is None:
                return
            why = self.p.is_key(arg, func, fi) or self.p.key_casts.get(call.id, "")
            storage = _storage_read(arg, fi)
            if storage is not None:
                if why or self._keyish_holder(storage) or self.kn.is_key_name(storage):
                    sym = f"{func.label if func else '<module>'}.{storage}"
                    yield self.finding(fi, "ts.hazard.storage-number", call, sym,
                                       why or f"{storage} stores the key", [(call, fi.text(arg))],
                                       layer=context_layer(func, fi), func=func)
                return
            if why:
                sym = f"{func.label if func else '<module>'}.{name}({fi.text(arg)})"
                yield self.finding(fi, "ts.hazard.number-cast", call, sym, why, self._uncast(call, arg, fi, func),
                                   layer=context_layer(func, fi), func=func)
            return
        short = callee_name(fi, call).rpartition(".")[2]
        if short in ("useQuery", "useInfiniteQuery", "useSuspenseQuery", "useQueries", "queryOptions",
                     "infiniteQueryOptions", "useMutation"):
            yield from self._query_key(fi, call, func)

    def _query_key(self, fi: FileIndex, call: ts.Node, func: Func | None) -> Iterator[Finding | None]:
        args = call.child_by_field_name("arguments")
        if args is None or not args.named_children or args.named_children[0].type != "object":
            return
        for pair in args.named_children[0].named_children:
            if pair.type != "pair":
                continue
            key = pair.child_by_field_name("key")
            value = pair.child_by_field_name("value")
            if key is None or value is None or fi.text(key) != "queryKey" or value.type != "array":
                continue
            for el in value.named_children:
                why = self.p.is_key(el, func, fi)
                if why:
                    sym = f"{func.label if func else '<module>'}.queryKey"
                    yield self.finding(fi, "ts.hook.query-key", pair, sym, why,
                                       layer="test" if fi.is_test else "ts-hook", func=func)
                    break

    def _initial_page(self, fi: FileIndex, pair: ts.Node, value: ts.Node, func: Func | None) -> Iterator[Finding | None]:
        if value.type != "number":
            return
        obj = pair.parent
        if obj is None:
            return
        for other in obj.named_children:
            if other.type != "pair":
                continue
            k = other.child_by_field_name("key")
            if k is None or fi.text(k) != "getNextPageParam":
                continue
            why = self._mentions_key(other, fi) or self._page_param_key(obj, fi)
            if why:
                sym = f"{func.label if func else '<module>'}.initialPageParam"
                yield self.finding(fi, "ts.hazard.initial-page-param", pair, sym, why, [(value, "''")],
                                   layer=context_layer(func, fi), func=func)

    def _assertion(self, fi: FileIndex, node: ts.Node, func: Func | None) -> Iterator[Finding | None]:
        """`contentId as number` on a key; `initialPageParam: undefined as number | undefined` for a
        cursor on the key."""
        if len(node.named_children) != 2:
            return  # `x as const` has one named child
        inner, ty = node.named_children
        nums = number_positions(ty, fi)
        if not nums:
            return
        why = ""
        sym = fi.text(inner)
        parent = node.parent
        if inner.type in ("undefined", "null") or fi.text(inner) in ("undefined", "null"):
            key = parent.child_by_field_name("key") if parent is not None and parent.type == "pair" else None
            obj = parent.parent if parent is not None else None
            if key is None or obj is None or fi.text(key) != "initialPageParam":
                return
            for other in obj.named_children:
                k = other.child_by_field_name("key") if other.type == "pair" else None
                if k is not None and fi.text(k) == "getNextPageParam":
                    why = self._mentions_key(other, fi) or self._page_param_key(obj, fi)
            sym = "initialPageParam"
        elif inner.type in ("identifier", "member_expression", "subscript_expression", "non_null_expression"):
            why = self.p.is_key(inner, func, fi)
        if not why:
            return
        yield self.finding(fi, "ts.type.assertion", node, f"{func.label if func else '<module>'}.{sym}", why,
                           self._num_edits(ty, fi), layer=context_layer(func, fi), func=func)

    def _page_param_key(self, obj: ts.Node, fi: FileIndex) -> str:
        for p in obj.named_children:
            k = p.child_by_field_name("key") if p.type == "pair" else None
            v = p.child_by_field_name("value") if p.type == "pair" else None
            if k is not None and v is not None and fi.text(k) == "queryFn":
                cb = fi.func_of(v)
                for b in (cb.params[0] if cb is not None and cb.params else ()):
                    if (b.prop_of == "pageParam" or b.name == "pageParam") and b.key:
                        return b.why
        return ""

    def _mentions_key(self, node: ts.Node, fi: FileIndex) -> str:
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


def _call_chain(call: ts.Node) -> list[ts.Node]:
    """The calls of a method chain, innermost first: `z.number().int().max(9)` -> [z.number(), .int(), .max(9)]."""
    chain: list[ts.Node] = []
    cur: ts.Node | None = call
    while cur is not None and cur.type == "call_expression":
        chain.append(cur)
        fn = cur.child_by_field_name("function")
        cur = fn.child_by_field_name("object") if fn is not None and fn.type == "member_expression" else None
    chain.reverse()
    return chain


def _zod_number(call: ts.Node, fi: FileIndex) -> tuple[int, int] | None:
    """Byte range from `z.number()` through its numeric refinements (`.int().positive()`)."""
    chain = _call_chain(call)
    if not chain:
        return None
    first = fi.text(chain[0].child_by_field_name("function") or chain[0]).replace(" ", "")
    if first == "z.array":  # orderIds: z.array(z.number().int()).max(5): the element schema
        args = chain[0].child_by_field_name("arguments")
        inner = args.named_children[0] if args is not None and args.named_children else None
        return _zod_number(inner, fi) if inner is not None and inner.type == "call_expression" else None
    if first not in ("z.number", "z.coerce.number"):
        return None
    end = chain[0].end_byte
    for c in chain[1:]:
        fn = c.child_by_field_name("function")
        prop = fn.child_by_field_name("property") if fn is not None else None
        if prop is not None and fi.text(prop) in _ZOD_NUMERIC:
            end = c.end_byte
        else:
            break
    return chain[0].start_byte, end


def _zod_caps(call: ts.Node, fi: FileIndex) -> list[tuple[int, int]]:
    """Byte ranges of the `.max(N)` / `.lte(N)` / `.lt(N)` refinements of a `z.number()` chain whose constant
    N is below 2**53 - 1: a cap a bigint key outgrows (`.max(2147483647)`); [] when there is none."""
    chain = _call_chain(call)
    if not chain:
        return []
    first = fi.text(chain[0].child_by_field_name("function") or chain[0]).replace(" ", "")
    if first == "z.array":
        args = chain[0].child_by_field_name("arguments")
        inner = args.named_children[0] if args is not None and args.named_children else None
        return _zod_caps(inner, fi) if inner is not None and inner.type == "call_expression" else []
    out = []
    for c in chain[1:]:
        fn = c.child_by_field_name("function")
        prop = fn.child_by_field_name("property") if fn is not None else None
        obj = fn.child_by_field_name("object") if fn is not None else None
        if prop is None or obj is None or fi.text(prop) not in _ZOD_NUMERIC:
            break
        args = c.child_by_field_name("arguments")
        arg = args.named_children[0] if args is not None and args.named_children else None
        value = _js_const(arg, fi) if arg is not None else None
        if fi.text(prop) in ("max", "lte", "lt") and value is not None and value < 2**53 - 1:
            out.append((obj.end_byte, c.end_byte))
    return out


def _js_const(node: ts.Node, fi: FileIndex) -> int | None:
    """An integer constant expression: `2147483647`, `2_147_483_647`, `0x7fffffff`, `2 ** 31 - 1`,
    `Math.pow(2, 31) - 1`; None otherwise."""
    t = node.type
    if t == "number":
        text = fi.text(node).replace("_", "")
        try:
            return int(text, 0)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                return None
            return int(value) if value.is_integer() else None
    if t == "parenthesized_expression" and node.named_children:
        return _js_const(node.named_children[0], fi)
    if t == "unary_expression":
        op, arg = node.child_by_field_name("operator"), node.child_by_field_name("argument")
        inner = _js_const(arg, fi) if arg is not None else None
        return -inner if inner is not None and op is not None and fi.text(op) == "-" else None
    if t == "binary_expression":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        op = node.child_by_field_name("operator")
        a = _js_const(left, fi) if left is not None else None
        b = _js_const(right, fi) if right is not None else None
        if a is None or b is None or op is None:
            return None
        o = fi.text(op)
        if o == "**" and 0 <= b <= 64:
            return int(a**b)
        return {"+": a + b, "-": a - b, "*": a * b}.get(o)
    if t == "call_expression" and callee_name(fi, node) == "Math.pow":
        args = node.child_by_field_name("arguments")
        vals = [_js_const(a, fi) for a in args.named_children] if args is not None else []
        if len(vals) == 2 and vals[0] is not None and vals[1] is not None and 0 <= vals[1] <= 64:
            return int(vals[0] ** vals[1])
    return None


def _annotated(type_node: ts.Node | None) -> ts.Node | None:
    """The declaration a type belongs to, past its `type_annotation`."""
    up = type_node.parent if type_node is not None else None
    return up.parent if up is not None and up.type == "type_annotation" else up


def _pair_named(obj: ts.Node | None, key: str, fi: FileIndex) -> ts.Node | None:
    """The value of `key: value` in an object literal."""
    for p in obj.named_children if obj is not None else ():
        k = p.child_by_field_name("key") if p.type == "pair" else None
        if k is not None and fi.text(k).strip("'\"") == key:
            return p.child_by_field_name("value")
    return None


def _json_property(pair: ts.Node, fi: FileIndex) -> tuple[str, str] | None:
    """(property, schema name) of the `type` pair of a property schema under `properties`; None otherwise.
    The schema is named by its declarator (`ProjectOutSchema` -> `ProjectOut`), its key under `schemas`,
    or its `title`."""
    cur = pair.parent  # the property's own schema (or a branch of it)
    for _ in range(3):  # climb out of `items: {...}` and `anyOf: [{...}, {...}]`
        up = cur.parent if cur is not None else None
        if up is not None and up.type == "array":
            up = up.parent
        if up is None or up.type != "pair" or cur is None:
            return None
        k = up.child_by_field_name("key")
        if k is not None and fi.text(k).strip("'\"") in ("items", "anyOf", "oneOf", "allOf"):
            cur = up.parent
            continue
        break
    prop_pair = cur.parent if cur is not None else None
    props_obj = prop_pair.parent if prop_pair is not None and prop_pair.type == "pair" else None
    props_pair = props_obj.parent if props_obj is not None else None
    if prop_pair is None or props_pair is None or props_pair.type != "pair":
        return None
    pk = props_pair.child_by_field_name("key")
    k = prop_pair.child_by_field_name("key")
    if pk is None or k is None or fi.text(pk).strip("'\"") != "properties":
        return None
    schema_obj = props_pair.parent
    name = ""
    up2 = schema_obj.parent if schema_obj is not None else None
    while up2 is not None and up2.type in ("as_expression", "satisfies_expression", "parenthesized_expression"):
        up2 = up2.parent
    if up2 is not None and up2.type == "variable_declarator":
        n = up2.child_by_field_name("name")
        name = re.sub(r"Schema$", "", fi.text(n)) if n is not None else ""
    elif up2 is not None and up2.type == "pair":
        n = up2.child_by_field_name("key")
        name = fi.text(n).strip("'\"") if n is not None else ""
    if schema_obj is not None and (not name or not name[:1].isupper()):
        for p in schema_obj.named_children:
            pk2 = p.child_by_field_name("key") if p.type == "pair" else None
            pv = p.child_by_field_name("value") if pk2 is not None else None
            if pk2 is not None and pv is not None and fi.text(pk2).strip("'\"") == "title" and pv.type == "string":
                name = fi.text(pv)[1:-1]
    return fi.text(k).strip("'\""), name


def _storage_read(arg: ts.Node, fi: FileIndex) -> str | None:
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


def binding_symbol(b: Binding) -> str:
    return f"{b.func.label}.{b.name}" if b.func else b.name
