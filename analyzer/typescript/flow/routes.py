"""URLs -> backend routes: a URL whose path ends like a route holding the key makes the expression at
the key's path parameter a key (also query parameters, generated clients' `{id}` templates, the
record a key route returns, and react-router patterns).
"""

from __future__ import annotations

import re
from functools import lru_cache

import tree_sitter as ts

from analyzer.models import RouteSeed
from analyzer.typescript.flow.keys import KeyExprs
from analyzer.typescript.flow.syntax import TypeRef, object_pairs, pair_value
from analyzer.typescript.index import FileIndex, Func, callee_name

_PATHISH = re.compile(r"^(https?://[^/]*)?/")
#: a leading expression that is the page's own origin: the path after it starts at the site's root (a link
#: to a page, `${window.location.origin}/queries/${id}`, is not `/api/queries/{id}` with a base URL left out)
_ORIGIN = re.compile(r"(?:(?:window|document|globalThis|self)\.)?location\.origin")
_QUERY_SLOT = re.compile(r"[?&]([A-Za-z_][\w.-]*)=$")
#: URL segments that say nothing about the resource (`/api/v1/projects/{id}`)
_GENERIC_SEGMENTS = frozenset({"api", "apis", "v1", "v2", "v3", "v4", "rest", "internal", "public"})


@lru_cache(maxsize=4096)
def _route_segments(template: str) -> tuple[str, ...]:
    """A route template's path segments (`/contents/{content_id}` -> contents, {content_id}); asked for every
    URL of the project against every route."""
    return tuple(s for s in template.split("?")[0].split("/") if s)


@lru_cache(maxsize=4096)
def _path_params(template: str) -> frozenset[str]:
    return frozenset(re.findall(r"{(\w+)(?::\w+)?}", template))


class Routes(KeyExprs):
    """URL templates matched to route seeds."""

    def link_spa_routes(self) -> None:
        """`/auto/${autoId}` and `'/auto/:autoId'` (react-router): the builder's value is the page's param."""
        if not self.spa_patterns:
            return
        keyed = {b.prop_of: b.why for fi in self.files for b in fi.bindings
                 if b.key and b.prop_of and b.init is not None and b.init.type == "call_expression"
                 and callee_name(fi, b.init).rpartition(".")[2] == "useParams"}
        if not keyed:
            return
        for _node, func, fi, parts in self.url_templates:
            segs = segments(parts)
            for pattern in self.spa_patterns:
                if len(pattern) != len(segs):
                    continue
                pairs = list(zip(pattern, segs, strict=True))
                if all((p.startswith(":") and not isinstance(u, str)) or p == u for p, u in pairs):
                    for p, u in pairs:
                        if p.startswith(":") and p[1:].rstrip("?") in keyed and not isinstance(u, str):
                            self.mark_backward(u, func, fi, keyed[p[1:].rstrip("?")])

    def template_keys(self, text: str, method: str = "") -> dict[str, str]:
        """An OpenAPI path template as generated clients write it (`/api/v1/projects/{id}`): its placeholders
        at a matching backend route's key path params -> why. The placeholder may be named otherwise than
        the backend's parameter."""
        segs = [x for x in text.split("?")[0].split("/") if x]
        out: dict[str, str] = {}
        if not segs or "{" not in text:
            return out
        for route in self.kn.routes:
            rsegs = [x for x in route.template.split("?")[0].split("/") if x]
            if len(segs) > len(rsegs) or any(r.startswith("{") for r in rsegs[: len(rsegs) - len(segs)]) or \
                    (method and route.method != method.upper()):
                continue
            subs: dict[str, str] = {}
            hits = 0
            for u, r in zip(segs, rsegs[len(rsegs) - len(segs) :], strict=True):
                uparam, rparam = u.startswith("{") and u.endswith("}"), r.startswith("{") and r.endswith("}")
                if uparam != rparam or (not uparam and u != r):
                    break
                if uparam and r.strip("{}").split(":")[0] in route.params:
                    subs[u.strip("{}")] = f"{route.method} {route.template} ({route.origin})"
                hits += not uparam
            else:
                if hits:
                    for k, v in subs.items():
                        out.setdefault(k, v)
        return out

    def _template_call(self, node: ts.Node, func: Func | None, fi: FileIndex) -> None:
        """`__request(OpenAPI, { url: '/api/v1/projects/{id}', path: { id: data.id } })` (a generated
        service): the values given to the template's key placeholders are keys."""
        pair = node.parent
        obj = pair.parent if pair is not None and pair.type == "pair" else None
        method = pair_value(obj, "method", fi) if obj is not None and obj.type == "object" else None
        keys = self.template_keys(fi.text(node)[1:-1], fi.text(method)[1:-1] if method is not None and
                                  method.type == "string" else "")
        if not keys:
            return
        why = next(iter(keys.values()))
        if func is not None and not func.named.route:
            func.named.route = why
        if obj is None or obj.type != "object":
            return
        path = pair_value(obj, "path", fi)
        if path is None or path.type != "object":
            return
        for k, v in object_pairs(path):
            w = keys.get(fi.text(k).strip("'\""))
            if w:
                self.mark_backward(v, func, fi, w)

    def query_string_slots(self, fi: FileIndex) -> None:
        """`/search?searchId=${session.id}`: a URL the file builds puts the key into the `searchId` query parameter
        (a slot like a storage key: `searchParams.get('searchId')` reads the key), and the other way round."""
        if self._qs_by_file is None:
            self._qs_by_file = {}
            for _node, func, tfi, parts in self.url_templates:
                for i, p in enumerate(parts):
                    before = parts[i - 1] if i > 0 else None
                    if isinstance(p, str) or not isinstance(before, str):
                        continue
                    m = _QUERY_SLOT.search(before)
                    if m is not None and "?" in "".join(x for x in parts[:i] if isinstance(x, str)):
                        self._qs_by_file.setdefault(id(tfi), []).append((m.group(1), p, func))
        for name, expr, func in self._qs_by_file.get(id(fi), ()):
            self._read("?qs")
            if name not in self.search_slots:
                why = self.is_key(expr, func, fi)
                if why:
                    self.search_slots[name] = f"the ?{name}= query parameter holds {why}"
                    self._touch_table("?qs")
            elif not self.is_key(expr, func, fi):
                self.mark_backward(expr, func, fi, self.search_slots[name])

    def _client_query(self, node: ts.Node, func: Func | None, fi: FileIndex) -> None:
        """`__request(OpenAPI, { method: 'GET', url: '/bookings', query: { after: data.after } })` (a generated
        service): a route seed's query parameters (its params not in its template) are keys in `query`."""
        pair = node.parent
        if pair is None or pair.type != "pair" or pair.parent is None or pair.parent.type != "object":
            return
        k = pair.child_by_field_name("key")
        if k is None or fi.text(k) != "url":
            return
        obj = pair.parent
        query = pair_value(obj, "query", fi)
        if query is None or query.type != "object":
            return
        method = pair_value(obj, "method", fi)
        verb = fi.text(method)[1:-1].upper() if method is not None and method.type == "string" else ""
        segs = [x for x in fi.text(node)[1:-1].split("?")[0].split("/") if x]
        entity = next((self.kn.entity_word(s) for s in reversed(segs) if not s.startswith("{")
                       and self.kn.entity_word(s)), "")
        if entity and not any(s.startswith("{") for s in segs[max(i for i, s in enumerate(segs)
                                                                    if self.kn.entity_word(s) == entity):]):
            for qk, qv in object_pairs(query):  # GET /bookings/by-ids?ids=: the collection's own ids (REST)
                if fi.text(qk).strip("'\"") in ("ids", "id"):
                    self.mark_backward(qv, func, fi, f"`{fi.text(qk)}` of {fi.text(node)} are {entity} ids "
                                                     f"({self.kn.entity_origins.get(entity, '')})".replace(" ()", ""))
        for route in self.kn.routes:
            path_params = set(re.findall(r"{(\w+)(?::\w+)?}", route.template))
            wanted = [q for q in route.params if q not in path_params]
            rsegs = [x for x in route.template.split("?")[0].split("/") if x]
            if not wanted or not segs or len(segs) > len(rsegs) or (verb and route.method != verb):
                continue
            tail = rsegs[len(rsegs) - len(segs):]
            if any(r.startswith("{") for r in rsegs[: len(rsegs) - len(segs)]):
                continue
            if not all((u.startswith("{") and r.startswith("{")) or u == r for u, r in zip(segs, tail, strict=True)) \
                    or all(u.startswith("{") for u in segs):
                continue
            why = f"{route.method} {route.template}?{wanted[0]}= ({route.origin})"
            for qk, qv in object_pairs(query):
                if fi.text(qk).strip("'\"") in wanted:
                    if func is not None and not func.named.route:
                        func.named.route = why
                    self.mark_backward(qv, func, fi, why)

    def link_routes(self) -> None:
        for fi in self.files:
            for node, func in fi.strings:
                if node.type == "string" and b"{" in fi.src.data[node.start_byte : node.end_byte]:
                    self._template_call(node, func, fi)
                if node.type == "string":
                    self._client_query(node, func, fi)
                if node.type == "string":
                    text = fi.text(node)[1:-1]
                    if text.startswith("/") and "/:" in text and " " not in text:
                        self.spa_patterns.append([x for x in text.split("?")[0].split("/") if x])
                parts = url_parts(node, fi)
                if parts is None:
                    continue
                if func is not None:
                    func.named.urls.append(node)
                if node.type == "template_string":
                    self.url_templates.append((node, func, fi, parts))
                for route, subs in self.match_routes(parts):
                    why = f"{route.method} {route.template} ({route.origin})"
                    if func is not None and not func.named.route:
                        func.named.route = why
                    for expr in subs:
                        self.mark_backward(expr, func, fi, why)
                    self._entity_payload(node, func, fi, route)
                self._route_queries(node, func, fi, parts)

    def _entity_payload(self, url: ts.Node, func: Func | None, fi: FileIndex, route: RouteSeed) -> None:
        """`api.get<Board>(`/projects/${id}`)`, or a function declared to return `Promise<Board>` that calls it:
        what `GET /projects/{project_id}` returns is the record the key identifies, so `Board.id` is the key
        whatever the front end calls the type. Not for `/metrics/projects/{project_id}` (metrics about it)."""
        if route.method not in ("GET", "PUT", "PATCH"):
            return
        segs = [x for x in route.template.split("?")[0].split("/") if x]
        if len(segs) < 2 or not segs[-1].startswith("{") or segs[-2].startswith("{") or \
                segs[-1].strip("{}").split(":")[0] not in route.params:
            return
        before = [x for x in segs[:-2] if x.lower() not in _GENERIC_SEGMENTS]
        if before and not before[-1].startswith("{"):
            return
        ty: TypeRef | None = None
        args = url.parent
        call = args.parent if args is not None and args.type == "arguments" else None
        if call is not None and call.type == "call_expression":
            targs = call.child_by_field_name("type_arguments")
            if targs is not None and len(targs.named_children) == 1:
                ty = self.norm(targs.named_children[0], fi)
        if ty is None and func is not None and func.named.return_type is not None:
            ty = self.norm(func.named.return_type, func.named.file)
        if not isinstance(ty, str) or self.is_key_member(ty, "id"):
            return
        decls = [d for d in self.types.get(ty, ()) if "id" in d.members and
                 d.node.child_by_field_name("type_parameters") is None]
        if decls:
            self.key_members[(ty, "id")] = f"{ty} is what {route.method} {route.template} returns ({route.origin})"

    def _route_queries(self, node: ts.Node, func: Func | None, fi: FileIndex, parts: list[str | ts.Node]) -> None:
        """A route seed's params that are not in its template are query parameters holding the key
        (`GET /orders?shipment=`): the URL's `?shipment=${x}` and the call's `{ params: { shipment } }`."""
        segs = segments(parts)
        for route in self._routes_for(segs):
            path_params = _path_params(route.template)
            query = [q for q in route.params if q not in path_params]
            if not query:
                continue
            matched = self._path_match(segs, route)
            if matched is None:
                continue
            why = f"{route.method} {route.template}?{query[0]}= ({route.origin})"
            values: list[ts.Node] = []
            for i, p in enumerate(parts):  # `/orders?shipment=${x}`
                if not isinstance(p, str) and i > 0 and isinstance(parts[i - 1], str):
                    before = str(parts[i - 1])
                    if "?" in "".join(x for x in parts[:i] if isinstance(x, str)) and \
                            any(before.endswith((f"?{q}=", f"&{q}=")) for q in query):
                        values.append(p)
            args = node.parent
            if args is not None and args.type == "arguments":  # api.get('/orders', { params: { shipment } })
                later = [a for a in args.named_children if a.start_byte > node.start_byte and a.type == "object"]
                for opts in later[:1]:
                    params = pair_value(opts, "params", fi)
                    if params is None or params.type != "object":
                        continue
                    for pr in params.named_children:
                        if pr.type == "shorthand_property_identifier" and fi.text(pr) in query:
                            values.append(pr)
                        elif pr.type == "pair":
                            k = pr.child_by_field_name("key")
                            v = pr.child_by_field_name("value")
                            if k is not None and v is not None and fi.text(k).strip("'\"") in query:
                                values.append(v)
            for v in values:
                if func is not None and not func.named.route:
                    func.named.route = why
                self.mark_backward(v, func, fi, why)

    def _routes_for(self, segs: list[str | ts.Node]) -> tuple[RouteSeed, ...]:
        """The routes `_path_match` may match a URL's `segs` with, in their order: those whose template has the URL's
        last literal segment as many segments from its end (the two are aligned at their ends, and every literal
        segment of the URL must stand where the template has it). A URL without one matches none. From an index of
        the templates' literal segments by their place from the end (polar: 76,000 matches tried -> 3,000)."""
        at = next((k for k, u in enumerate(reversed(segs)) if isinstance(u, str)), None)  # (places from the end)
        if at is None:
            return ()
        last = segs[len(segs) - 1 - at]
        assert isinstance(last, str)
        routes = self.kn.routes
        got = self.__dict__.get("_routes_by_literal")
        if got is None or got[0] is not routes:
            index: dict[tuple[int, str], list[RouteSeed]] = {}
            for route in routes:
                for k, r in enumerate(reversed(_route_segments(route.template))):
                    if not (r.startswith("{") and r.endswith("}")):
                        index.setdefault((k, r), []).append(route)
            got = (routes, {key: tuple(found) for key, found in index.items()})
            self._routes_by_literal = got
        return got[1].get((at, last), ())

    def _path_match(self, segs: list[str | ts.Node], route: RouteSeed) -> list[ts.Node] | None:
        """The URL's expressions at the route's key path params when the URL's path ends like the route's
        template (with at least one literal segment in common); None when it does not."""
        rsegs = _route_segments(route.template)
        usegs = segs
        rooted = False
        built: list[ts.Node] = []  # the arguments of a leading path helper's call: `${orgPath(orgSlug)}/projects`
        if usegs and not isinstance(usegs[0], str) and len(usegs) > 1:
            lead = usegs[0].text
            rooted = lead is not None and _ORIGIN.fullmatch(lead.decode("utf-8", "replace")) is not None
            if usegs[0].type == "call_expression":  # a path helper takes ids or slugs (`getBaseUrl(env)` is a base)
                args = usegs[0].child_by_field_name("arguments")
                built = [a for a in args.named_children if a.type != "comment"] if args is not None else []
                if not any(_ENTITY_ARG.search(a.text.decode("utf-8", "replace")) for a in built if a.text):
                    built = []
            usegs = usegs[1:]  # `${API}/contents/${id}`: a leading expression is the base URL
        if len(usegs) > len(rsegs) or not usegs or rooted and len(usegs) != len(rsegs):
            return None
        omitted = rsegs[: len(rsegs) - len(usegs)]
        held = [r for r in omitted if r.startswith("{")]
        if len(held) != len(built):
            # `/tags/${id}` is not `/contents/{content_id}/tags/{tag_id}`: only a base URL may be left out; a helper
            # called with arguments builds a path that holds as many parameters
            return None
        tail = rsegs[len(rsegs) - len(usegs):]
        literal_hits = 0
        subs: list[ts.Node] = [a for r, a in zip(held, built, strict=True) if r.strip("{}").split(":")[0] in route.params]
        for u, r in zip(usegs, tail, strict=False):
            rparam = r.startswith("{") and r.endswith("}")
            if isinstance(u, str):
                if rparam or u != r:
                    return None
                literal_hits += 1
            else:
                if not rparam:
                    return None
                if r.strip("{}").split(":")[0] in route.params:
                    subs.append(u)
        return subs if literal_hits else None

    def match_routes(self, parts: list[str | ts.Node]) -> list[tuple[RouteSeed, list[ts.Node]]]:
        """Routes whose template ends like this URL; with the URL's expressions at key params."""
        segs = segments(parts)
        if not segs:
            return []
        out = []
        for route in self._routes_for(segs):
            subs = self._path_match(segs, route)
            if subs:
                out.append((route, subs))
        return out


#: an argument naming an entity's id, slug, ref or key (`orgId`, `group.slug`, `projectRef`, `item_key`)
_ENTITY_ARG = re.compile(r"(?:^|[._])(?:id|slug|ref|key|uuid)s?$|(?:Id|ID|Slug|Ref|Key|Uuid)s?$")


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


def segments(parts: list[str | ts.Node]) -> list[str | ts.Node]:
    segs: list[str | ts.Node] = []
    current: list[str | ts.Node] = []
    for p in parts:
        if isinstance(p, str):
            path = p.split("?")[0].split("#")[0]
            pieces = path.split("/")
            for i, piece in enumerate(pieces):
                if i > 0:
                    segs.append(_join(current))
                    current = []
                if piece:
                    current.append(piece)
            if "?" in p or "#" in p:  # the query string is not part of the path
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
