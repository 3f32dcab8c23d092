from __future__ import annotations

import functools
import re
from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid, find_all, string_value

from analyzer.models import NOT_BIGINT, Finding
from analyzer.python import facts
from analyzer.python.flow import TASK_CALLS, is_fixture
from analyzer.python.keys import KeyModel
from analyzer.python.parsed import FuncInfo, ParsedFile
from analyzer.python.walk import find

_HTTP = {"get", "post", "put", "patch", "delete", "head", "options", "request", "stream"}
_HOLE = facts.URL_HOLE
_template_regex = facts.template_regex
_template_tails = facts.template_tails


class UrlText:
    """The text of a URL expression in a test: literal parts as written, integer literals and constants (local
    or module-level) by value, anything computed as a hole (`_HOLE`)."""

    def __init__(self, pf: ParsedFile) -> None:
        self.pf = pf
        self.module: dict[str, cst.BaseExpression | None] = {}
        self.local: dict[int, dict[str, cst.BaseExpression | None]] = {}
        for kind in (cst.Assign, cst.AnnAssign):
            for entry in pf.of(kind):
                node = entry.node
                assert isinstance(node, (cst.Assign, cst.AnnAssign))
                targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
                if len(targets) != 1 or not isinstance(targets[0], cst.Name) or entry.cls is not None:
                    continue
                scope = self.module if entry.func is None else self.local.setdefault(id(entry.func), {})
                name = targets[0].value
                scope[name] = None if name in scope else node.value  # assigned twice: not a constant

    def render(self, node: cst.BaseExpression, fi: FuncInfo | None, depth: int = 0) -> str:
        if depth > 6:
            return _HOLE
        if isinstance(node, cst.SimpleString):
            value = string_value(node)  # (None for bytes)
            return value if value is not None else _HOLE
        if isinstance(node, cst.ConcatenatedString):
            return self.render(node.left, fi, depth + 1) + self.render(node.right, fi, depth + 1)
        if isinstance(node, cst.FormattedString):
            out = ""
            for part in node.parts:
                if isinstance(part, cst.FormattedStringText):
                    out += part.value.replace("{{", "{").replace("}}", "}")
                elif isinstance(part, cst.FormattedStringExpression):
                    out += self.render(part.expression, fi, depth + 1)
            return out
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            return self.render(node.left, fi, depth + 1) + self.render(node.right, fi, depth + 1)
        if isinstance(node, cst.Integer) or isinstance(node, cst.UnaryOperation) and isinstance(
                node.operator, cst.Minus) and isinstance(node.expression, cst.Integer):
            return self.pf.code(node)
        if isinstance(node, cst.Name):
            scopes = [self.local.get(id(fi), {})] if fi is not None else []
            for scope in [*scopes, self.module]:
                if node.value in scope:
                    found = scope[node.value]
                    return self.render(found, None if scope is self.module else fi, depth + 1) \
                        if found is not None else _HOLE
        return _HOLE


def _string_parts(node: cst.BaseExpression) -> set[int]:
    """`node` and the strings it is made of (the parts of `"a" "b"`, of `API + "/x"`), by identity."""
    out = {id(node)}
    if isinstance(node, (cst.ConcatenatedString, cst.BinaryOperation)):
        out |= _string_parts(node.left) | _string_parts(node.right)
    return out


def _url_calls(pf: ParsedFile) -> Iterator[tuple[cst.Call, cst.BaseExpression, FuncInfo | None]]:
    """(call, its URL argument) of the HTTP requests a test makes (`client.get(url)`, `client.request("GET",
    url)`, `httpx.delete(url=...)`)."""
    for entry in pf.calls_named(_HTTP):
        call = entry.node
        assert isinstance(call, cst.Call)
        name = facts.callee_name(call)
        if not isinstance(call.func, cst.Attribute):
            continue
        args = facts.positional(call)
        kw = facts.kwarg(call, "url")
        index = 1 if name == "request" else 0
        url = kw.value if kw is not None else args[index].value if len(args) > index else None
        if url is not None:
            yield call, url, entry.func


_FAB_PRESETS = ("### app/api/presets.py\n"
                "from flask_appbuilder.api import BaseApi, expose\nfrom app.models import ContentItem\n"
                "class ContentPresetApi(BaseApi):\n    resource_name = 'content'\n"
                "    @expose('/<int:pk>/presets/', methods=('GET',))\n"
                "    def list_presets(self, pk: int):\n"
                "        return ContentItem.query.get_or_404(pk).title\n")


class TestIdUrl(PyRule):
    """A test request whose URL hard-codes an integer key.

    Anti-pattern: `client.get("/api/v1/contents/42")`, `client.delete(f"{API}/contents/999")`, a table of
    `("DELETE", "/contents/7")` cases, `"/contents/?content_id=3"` — after the change the route answers 422,
    and the test no longer tests the lookup. Best practice: build URLs from the created object
    (`f"/api/v1/contents/{item.id}"`) and use a fresh UUID for the not-found case.

    A URL matches a route whose path parameter holds the key (by data flow, whatever its name), with digits
    where the key goes; a computed prefix (`{API}`, `settings.API_V1_STR + ...`) stands for the router
    prefixes. Not for bigint: a bigint id in a URL is still a number the route parses.
    """

    code, name, layer, kind = "PY080", "test.id_url", "test", "must_change"
    APPLIES_TO = NOT_BIGINT
    VALID = [Valid("def test_users(client):\n    client.get('/api/v1/users/42')\n", path="tests/test_users.py"),
             Valid("from typing import Annotated\nfrom fastapi import APIRouter, Depends, Query\n"
                   "from app.models import ContentItem\nrouter = APIRouter(prefix='/contents')\n"
                   "@router.get('/')\ndef page(after: Annotated[int | None, Query()] = None, limit: int = 20, s=None):\n"
                   "    return s.query(ContentItem).filter(ContentItem.id > after).limit(limit)\n"
                   "@router.get('/invoices/')\ndef invoices(after: int = 0): ...\n"
                   "def test_page(client):\n    client.get('/contents/', params={'limit': 2})\n"
                   "    client.get('/contents/invoices/', params={'after': 2})\n"
                   "    client.post('/contents/', params={'after': 2})\n", path="tests/test_contents.py"),
             # the key route is requested with computed ids; the hard-coded numbers go to other routes
             Valid("### app/api/items.py\n"
                   "from fastapi import APIRouter\nfrom app.models import ContentItem\n"
                   "router = APIRouter(prefix='/api/v1/items')\n"
                   "@router.get('/{item_id}')\ndef read_item(item_id: int, s=None):\n"
                   "    return s.get(ContentItem, item_id)\n"
                   "@router.get('/{item_id}/comments/{comment_id}')\ndef comment(item_id: int, comment_id: int, s=None):\n"
                   "    return s.get(ContentItem, item_id)\n"
                   "@router.get('/pages/{page}')\ndef pages(page: int): ...\n"
                   "### tests/api/test_items.py\n"
                   "import uuid\nAPI = '/api/v1'\n"
                   "def test_read(client, item):\n    client.get(f'{API}/items/{item.id}')\n"
                   "    client.get(f'{API}/items/{uuid.uuid4()}')\n    client.get('/api/v1/items/pages/2')\n"
                   "    client.get(f'/api/v1/items/{item.id}/comments/3')\n"
                   "    client.get('/api/v1/users/99999999')\n", path="tests/api/test_items.py"),
             # Flask-AppBuilder: the API's URL base is /api/v1/content (`resource_name`): another API's
             # /{pk}/presets/ URL is no URL of it (the invalid twin below requests the content API)
             Valid(_FAB_PRESETS + "### tests/test_presets.py\n"
                   "def test_list(client):\n    client.get('/api/v1/tag/42/presets/')\n", path="tests/test_presets.py"),
             # a route whose prefix the scan cannot tell (`/{item_id}` alone): no test URL is known to be it
             Valid("### app/api/items.py\n"
                   "from fastapi import APIRouter\nfrom app.config import prefix_for\nfrom app.models import ContentItem\n"
                   "router = APIRouter(prefix=prefix_for('items'))\n"
                   "@router.get('/{item_id}')\ndef read_item(item_id: int, s=None):\n"
                   "    return s.get(ContentItem, item_id)\n"
                   "### tests/api/test_users.py\nfrom app.models import ContentItem\n"
                   "def test_user(client):\n    client.get('/api/v1/users/3')\n    client.delete('/teams/1')\n",
                   path="tests/api/test_users.py")]
    INVALID = [Invalid("from fastapi import APIRouter\nrouter = APIRouter(prefix='/contents')\n"
                       "@router.get('/{content_id}')\ndef get(content_id: int): ...\n"
                       "def test_get(client):\n    assert client.get('/api/v1/contents/42').status_code == 200\n",
                       line=6, path="tests/test_contents.py"),
               Invalid(_FAB_PRESETS + "### tests/test_presets.py\n"
                       "def test_list(client):\n    client.get('/api/v1/tag/42/presets/')\n"
                       "    client.get('/api/v1/content/42/presets/')\n",
                       line=3, path="tests/test_presets.py", message_contains="/api/v1/content/42/presets/"),
               Invalid("from typing import Annotated\nfrom fastapi import APIRouter, Depends, Query\n"
                       "from app.models import ContentItem\nrouter = APIRouter(prefix='/contents')\n"
                       "@router.get('/')\ndef page(after: Annotated[int | None, Query()] = None, s=None):\n"
                       "    return s.query(ContentItem).filter(ContentItem.id > after)\n"
                       "def test_page(client):\n    client.get('/contents/', params={'after': 2, 'limit': 2})\n",
                       line=9, message_contains="after", path="tests/test_contents.py"),
               Invalid("from fastapi import APIRouter, Depends\nfrom app.models import ContentItem\n"
                       "router = APIRouter(prefix='/contents')\n"
                       "def load(ref: int, s=None) -> ContentItem:\n    return s.get(ContentItem, ref)\n"
                       "@router.post('/{ref}/publish')\ndef publish(item: ContentItem = Depends(load)): ...\n"
                       "def test_publish(client):\n    client.post('/contents/7/publish')\n",
                       line=9, path="tests/test_contents.py")]
    # a test file that names nothing of the key but its routes' URLs (the prefilter must keep it); the
    # route's parameter is an alias (`doc`), known by data flow; the prefix is computed
    _ROUTES = ("### app/api/items.py\n"
               "from fastapi import APIRouter\nfrom app.models import ContentItem\n"
               "router = APIRouter(prefix='/api/v1/items')\n"
               "@router.get('/{doc}')\ndef read_item(doc: int, s=None):\n    return s.get(ContentItem, doc)\n"
               "@router.get('/')\ndef by_owner(owner: int | None = None, s=None):\n"
               "    return s.query(ContentItem).filter(ContentItem.id == owner).all()\n"
               "### tests/api/test_items.py\n")
    INVALID += [
        Invalid(_ROUTES + "from app.core.config import settings\nAPI = settings.API_V1_STR\n"
                "def test_missing(client):\n    assert client.get(f'{API}/items/999').status_code == 404\n",
                line=4, path="tests/api/test_items.py", message_contains="/items/999"),
        Invalid(_ROUTES + "def test_delete(client):\n    missing = 12345\n"
                "    r = client.delete(\n        f'/api/v1/items/{missing}',\n    )\n",
                line=3, path="tests/api/test_items.py", message_contains="12345"),
        Invalid(_ROUTES + "import pytest\nCASES = [\n    ('GET', '/api/v1/items/999999', None),\n]\n",
                line=3, path="tests/api/test_items.py"),
        Invalid(_ROUTES + "def test_filter(client):\n    client.get('/api/v1/items/?owner=5&limit=2')\n",
                line=2, path="tests/api/test_items.py", message_contains="owner=5"),
        Invalid(_ROUTES + "def test_concat(client, settings):\n"
                "    client.request('DELETE', settings.API_V1_STR + '/items/7')\n",
                line=2, path="tests/api/test_items.py"),
    ]

    # a cursor and a repeated id parameter of routes mounted under a prefix (include_router), requested with
    # the prefix imported from conftest (a hole): `params={"after": 11}`, `params=[("refs", 3), ("refs", 4)]`
    _MOUNTED = ("### app/api/items.py\n"
                "from fastapi import APIRouter, Query\nfrom sqlalchemy import select\nfrom app.models import ContentItem\n"
                "router = APIRouter(prefix='/items')\n"
                "@router.get('')\ndef listing(after: int | None = None, page: int = 1, s=None):\n"
                "    return s.scalars(select(ContentItem).where(ContentItem.id > after)).all()\n"
                "@router.get('/by-refs')\ndef by_refs(refs: list[int] = Query(...), s=None):\n"
                "    return s.scalars(select(ContentItem).where(ContentItem.id.in_(refs))).all()\n"
                "@router.get('/stats')\ndef stats(after: int = 0, s=None): ...\n"
                "### app/main.py\nfrom fastapi import FastAPI\nfrom app.api import items\n"
                "app = FastAPI()\napp.include_router(items.router, prefix='/api/v2')\n"
                "### tests/test_items.py\nfrom tests.conftest import API\n")
    INVALID += [
        Invalid(_MOUNTED + "def test_cursor(client):\n"
                "    page = client.get(f'{API}/items', params={'after': 11, 'page': 2}).json()\n",
                line=3, path="tests/test_items.py", message_contains="'after': 11"),
        Invalid(_MOUNTED + "def test_refs(client):\n"
                "    client.get(f'{API}/items/by-refs', params=[('refs', 3), ('refs', 4)])\n",
                line=3, path="tests/test_items.py", message_contains="('refs', 3)"),
    ]
    # the expected error text repeats the key the test requested; a page number in a text is no key
    _ONE = _MOUNTED.replace("@router.get('/stats')", "@router.get('/{item_id}')\n"
                            "def read(item_id: int, s=None):\n    return s.get(ContentItem, item_id)\n@router.get('/stats')")
    INVALID += [Invalid(_ONE + "def test_missing(client):\n    resp = client.get(f'{API}/items/999999')\n"
                        "    assert resp.json()['detail'] == 'item 999999 not found'\n"
                        "    assert resp.json()['hint'] == 'see page 12'\n",
                        line=4, path="tests/test_items.py", message_contains="999999 in a text")]
    VALID += [Valid(_ONE + "def test_found(client, item):\n    resp = client.get(f'{API}/items/{item.id}', params={'page': 12})\n"
                    "    assert resp.json()['hint'] == 'see page 12'\n", path="tests/test_items.py")]
    VALID += [Valid(_MOUNTED + "def test_pages(client):\n"
                    "    client.get(f'{API}/items', params={'page': 2})\n"
                    "    client.get(f'{API}/items/stats', params={'after': 2})\n"
                    "    client.get(f'{API}/users', params=[('after', 3)])\n", path="tests/test_items.py")]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        if ctx.pf.layer != "test":
            return
        yield from self._query_params(ctx)
        model = ctx.model
        if not model.route_templates and not model.route_queries:
            return
        texts = UrlText(ctx.pf)
        seen: set[int] = set()
        numbers: dict[int, tuple[FuncInfo, set[str]]] = {}  # test function -> the key literals its URLs hold
        for call, url, fi in _url_calls(ctx.pf):
            seen |= _string_parts(url)
            text = texts.render(url, fi)
            hit = self._match(ctx, text)
            if hit:
                yield ctx.finding(self, call, ctx.symbol(fi), hit[0], evidence=hit[1], layer="test")
                if fi is not None:
                    numbers.setdefault(id(fi), (fi, set()))[1].update(_key_numbers(ctx, text))
        yield from self._echoes(ctx, numbers)
        for kind in (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString):  # URLs in case tables
            for entry in ctx.pf.of(kind):
                if id(entry.node) in seen:
                    continue
                node = entry.node
                if isinstance(node, cst.SimpleString) and "/" not in node.value and "\\" not in node.value:
                    continue  # its text has no `/` (no escape makes one): no URL to match; `seen` gains only itself
                seen |= _string_parts(entry.node)
                hit = self._match(ctx, texts.render(entry.node, entry.func))
                if hit:
                    yield ctx.finding(self, entry.node, ctx.symbol(entry.func), hit[0], evidence=hit[1], layer="test")

    def _echoes(self, ctx: FileCtx, numbers: dict[int, tuple[FuncInfo, set[str]]]) -> Iterator[Finding]:
        """`assert resp.json()["detail"] == "item 999999 not found"` in a test requesting `/items/999999`: the
        expected text repeats the integer key (a UUID after the change)."""
        for entry in ctx.pf.of(cst.Comparison):
            got = numbers.get(id(entry.func))
            node = entry.node
            assert isinstance(node, cst.Comparison)
            if got is None or not got[1]:
                continue
            for side in [node.left, *[c.comparator for c in node.comparisons]]:
                text = string_value(side) if isinstance(side, cst.SimpleString) else None
                echoed = next((n for n in sorted(got[1]) if text and re.search(rf"(?<![\w.-]){n}(?![\w.-])", text)), None)
                if echoed is not None:
                    yield ctx.finding(self, node, ctx.symbol(entry.func),
                                      f"`{_short(ctx.pf.code(node))}` expects the integer key {echoed} in a text",
                                      evidence=f"{echoed} is the key this test requests", layer="test")
                    break

    @staticmethod
    def _match(ctx: FileCtx, url: str) -> tuple[str, str] | None:
        """(message, evidence) when `url` puts digits where a route takes the key, in its path or query."""
        if "/" not in url or re.search(r"\s", url):
            return None
        shown = url.replace(_HOLE, "{…}")
        path, _, query = url.partition("?")
        model = ctx.model
        best: tuple[int, str] | None = None  # the route matched with the least of its prefix left to the hole
        for template, params in model.route_templates:
            if not _names_a_path(template):
                continue  # `/{item_id}` alone (a prefix the scan could not tell): it would match any `/<digits>`
            if url.startswith(_HOLE):
                dropped = min((i for i, rx in _template_tails(template, params) if rx.search(url[1:])), default=None)
            else:
                dropped = 0 if _template_regex(template, params).search(url) is not None else None
            if dropped is not None and (best is None or dropped < best[0]):
                best = (dropped, template)
        if best is not None:
            return f"test URL `{shown}` hard-codes an integer key", f"matches route {best[1]}"
        if query:
            for pair in query.split("&"):
                name, _, value = pair.partition("=")
                if not re.fullmatch(r"-?\d+", value):
                    continue
                if name in model.key_names:
                    return f"test URL `{shown}` sends `{name}={value}`, an integer key", \
                        f"`{name}` is named like {model.key_names[name]}"
                for _m, template, names in model.route_queries:
                    if name in names and _template_regex(template, ()).search(path.replace(_HOLE, "x")):
                        return f"test URL `{shown}` sends `{name}={value}`, an integer key", \
                            f"`{name}` is a key parameter of {template}"
        return None

    def _query_params(self, ctx: FileCtx) -> Iterator[Finding]:
        """`client.get("/items/", params={"after": 2})` where `after` is a key query parameter of that route."""
        routes = [(m.lower(), _template_regex(t, ()), t, names) for m, t, names in ctx.model.route_queries]
        if not routes:
            return
        texts = UrlText(ctx.pf)
        for call, url_node, fi in _url_calls(ctx.pf):
            method = facts.callee_name(call)
            kw = facts.kwarg(call, "params")
            pairs = _param_pairs(kw.value) if kw is not None else []
            if not pairs:
                continue
            path = texts.render(url_node, fi).split("?", 1)[0]
            for m, rx, template, names in routes:
                if m != method or not _path_matches(path, template, rx):
                    continue
                hit = next(((node, name) for node, name, value in pairs if name in names and _is_int(value)), None)
                if hit is not None:
                    yield ctx.finding(self, call, ctx.symbol(fi),
                                      f"test query parameter `{_shown(hit[0], ctx.pf.code(hit[0]))}` is an integer key",
                                      evidence=f"`{hit[1]}` is a key parameter of {template}", layer="test")
                    break


def _key_numbers(ctx: FileCtx, url: str) -> set[str]:
    """The integers a test URL puts where a route takes the key (`/bookings/999999` -> {"999999"}); two digits
    at least (a `1` in a message is anything)."""
    out: set[str] = set()
    for template, params in ctx.model.route_templates:
        if url.startswith(_HOLE):
            found = [m for _i, rx in _template_tails(template, params) for m in [rx.search(url[1:])] if m]
        else:
            found = [m for m in [_template_regex(template, params).search(url)] if m]
        for m in found:
            out |= {g for g in m.groups() if g and len(g.lstrip("-")) >= 2}
    return out


def _param_pairs(params: cst.BaseExpression) -> list[tuple[cst.CSTNode, str, cst.BaseExpression]]:
    """(node, name, value) of query parameters written out: `{"after": 11}`, `[("ids", 3), ("ids", 4)]` (httpx
    and requests take a list of pairs for a repeated parameter), `{"ids": [3, 4]}` (one per item)."""
    out: list[tuple[cst.CSTNode, str, cst.BaseExpression]] = []
    if isinstance(params, cst.Dict):
        for el in params.elements:
            name = string_value(el.key) if isinstance(el, cst.DictElement) else None
            if name is not None and isinstance(el, cst.DictElement):
                values = [e.value for e in el.value.elements] if isinstance(el.value, (cst.List, cst.Tuple)) \
                    else [el.value]
                out += [(el, name, v) for v in values]
    elif isinstance(params, (cst.List, cst.Tuple)):
        for e in params.elements:
            pair = e.value
            if isinstance(pair, cst.Tuple) and len(pair.elements) == 2:
                name = string_value(pair.elements[0].value)
                if name is not None:
                    out.append((pair, name, pair.elements[1].value))
    return out


def _shown(node: cst.CSTNode, code: str) -> str:
    return f"({code})" if isinstance(node, cst.Tuple) and not code.startswith("(") else code


def _path_matches(path: str, template: str, rx: re.Pattern[str]) -> bool:
    """Does a test's request path (its computed start a hole: `f"{API}/bookings"`) name the route `template`?
    A computed start stands for the router prefixes: it matches a tail of the template that keeps a literal
    segment (`/bookings` of `/api/v2/bookings`, not `/` alone)."""
    if not path.startswith(_HOLE):
        return rx.search(path.replace(_HOLE, "x")) is not None
    rest = path[1:].replace(_HOLE, "x")
    return any(re.search(r"/[^/{}]+", template[i:]) and _template_regex(template[i:], (), True).search(rest)
               for i in (m.start() for m in re.finditer("/", template)))


class TestIntKey(PyRule):
    """A test or factory that passes an integer literal where a key goes.

    Anti-pattern: `make_job(db, content_id=42)`, `assert body["content_id"] == 42`, `ContentItem(id=1)`,
    `make_item(id=3)` of a factory fixture whose `**overrides` reach the model, `ItemFactory(id=5)`, a factory
    making ids up (`Item(id=overrides.pop("id", next(counter)))`), `json={"contentId": 7}` (the field's JSON
    name), `render.delay(42)`, `for content_id in range(43, 50)`, a lookup by a hard-coded id
    (`ContentItem.query.filter_by(id=2).first()`, `ContentItem.query.get(2)`, `db.session.get(ContentItem, 2)`).
    Best practice: create the object and use its id, or a fixed UUID constant.

    A bare `"id"` of a JSON body counts when the body came from a request to the key's own collection
    (`client.post("/api/v1/content-items", ...)`), or in a test that requests a key route or uses the key's model,
    unless the body came from a request to another entity's collection (`client.get("/api/v1/users")`: a user id).

    Not for bigint: `Model(id=1)` and integer literals are valid bigint keys.
    """

    code, name, layer, kind = "PY081", "test.int_key", "test", "must_change"
    APPLIES_TO = NOT_BIGINT
    VALID = [Valid("def test_x(client):\n    make_user(user_id=1, page=2)\n", path="tests/test_x.py"),
             Valid("from celery import shared_task\nfrom app.models import ContentItem, User\n"
                   "@shared_task\ndef digest(user_ref): ...\ndef go(u: User):\n    digest.delay(u.id)\n"
                   "def make_user(db, *, id: int | None = None):\n    return User(id=id)\n"
                   "def test_x(db, calls):\n    for n in range(1, 4):\n        make_user(db, id=n)\n"
                   "    assert calls[0]['kwargs'] == {'user_ref': 42}\n", path="tests/test_x.py"),
             Valid("from app.models import ContentItem\n"
                   "def test_user(client):\n    assert client.get('/api/v1/users/3').json()['id'] == 3\n",
                   path="tests/test_users.py")]
    INVALID = [
        Invalid("def test_x(db):\n    make_job(db, content_id=42)\n", line=2, path="tests/test_x.py"),
        Invalid("from app.models import ContentItem\n"
                "def make_item(db, *, id: int | None = None, title: str = 'x'):\n    return ContentItem(id=id, title=title)\n"
                "def test_x(db):\n    for n in range(1, 4):\n        make_item(db, id=n, title=str(n))\n",
                line=6, path="tests/test_x.py"),
        Invalid("from celery import shared_task\nfrom app.models import ContentItem\n"
                "@shared_task\ndef render(ref): ...\ndef go(item: ContentItem):\n    render.delay(item.id)\n"
                "def test_x(calls):\n    assert calls[0]['kwargs'] == {'ref': 42}\n",
                line=8, path="tests/test_x.py"),
        Invalid("from dataclasses import dataclass\nfrom app.models import ContentItem\n"
                "@dataclass\nclass Event:\n    ref: int\n    actor: int\n"
                "def emit(item: ContentItem) -> Event:\n    return Event(ref=item.id, actor=1)\n"
                "def test_x():\n    assert Event(ref=17, actor=2)\n",
                line=10, message_contains="ref=17", path="tests/test_x.py"),
        Invalid("def test_x(body):\n    assert body['content_id'] == 42\n", line=2, path="tests/test_x.py"),
        Invalid("from unittest import mock\nfrom celery import shared_task\n@shared_task\ndef render(content_id): ...\n"
                "def test_enqueue(client):\n    with mock.patch('app.tasks.render.apply_async') as sent:\n"
                "        client.post('/x')\n    sent.assert_called_once_with(args=[42], countdown=2)\n",
                line=8, message_contains="task argument", path="tests/test_x.py"),
        Invalid("from unittest import mock\nfrom celery import shared_task\n@shared_task\ndef render(content_id): ...\n"
                "def test_enqueue(client):\n    with mock.patch.object(render, \"delay\") as sent:\n"
                "        client.post('/x')\n    sent.assert_called_once_with(42)\n",
                line=8, message_contains="task argument", path="tests/test_x.py"),
    ]
    # a bare "id" of a body read from another entity's collection is that entity's, even in a test using the model
    _LISTING = ("from app.models import ContentItem\n"
                "def test_listing(client, db):\n    db.session.add(ContentItem(title='x'))\n"
                "    r = client.get('/api/v1/users')\n    data = r.get_json()['data']\n    assert data[0]['id'] == 1\n")
    VALID += [Valid(_LISTING, path="tests/test_listing.py")]
    # a lookup by a hard-coded id (Flask-SQLAlchemy's query property, Session.get); another model's is not the key's
    _LOOKUP = ("from app.models import ContentItem, User, db\n"
               "def test_lookup(client):\n    user = User.query.filter_by(id=1).first()\n"
               "    assert db.session.get(User, 1) is user\n    item = ContentItem.query.filter_by(id=2).first()\n")
    VALID += [Valid(_LOOKUP.replace("ContentItem.query.filter_by(id=2)", "ContentItem.query.filter_by(id=user.id)"),
                    path="tests/test_lookup.py")]
    INVALID += [Invalid(_LOOKUP, line=5, path="tests/test_lookup.py", message_contains="id=2")]
    INVALID += [Invalid(_LISTING.replace("/api/v1/users", "/api/v1/items"), line=6, path="tests/test_listing.py",
                        message_contains="data[0]"),
                # the key's own collection: its "id" is the key, in a test naming neither the model nor a key route
                Invalid("def test_create(admin):\n    r = admin.post('/api/v1/content-items', json={'title': 'x'})\n"
                        "    assert r.get_json()['data']['id'] == 1\n", line=3, path="tests/test_create.py",
                        message_contains="own collection")]
    # a conftest of factory fixtures (`**overrides` passed on to the model) and the tests that use them
    _CONFTEST = ("### tests/conftest.py\n"
                 "import itertools\nimport pytest\nfrom app.models import ContentItem, Image, User\n"
                 "@pytest.fixture\ndef make_item(session):\n    counter = itertools.count(1)\n"
                 "    def _make(**overrides):\n        n = next(counter)\n"
                 "        item = ContentItem(id=overrides.pop('id', n), title=f'T{n}', **overrides)\n"
                 "        session.add(item)\n        return item\n    return _make\n"
                 "@pytest.fixture\ndef make_draft(session):\n    seq = itertools.count(500)\n"
                 "    def _make(**overrides):\n        pk = overrides.pop('id', next(seq))\n"
                 "        draft = ContentItem(id=pk, title='draft')\n"
                 "        session.add(Image(id=next(seq), content_id=draft.id))\n        return draft\n"
                 "    return _make\n"
                 "@pytest.fixture\ndef make_user(session):\n    counter = itertools.count(1)\n"
                 "    def _make(**overrides):\n        user = User(id=overrides.pop('id', next(counter)))\n"
                 "        return user\n    return _make\n"
                 "### app/tasks.py\n"
                 "from celery import shared_task\nfrom app.models import ContentItem\n"
                 "@shared_task(bind=True)\ndef reindex(self, ref):\n    return ref\n"
                 "def enqueue(item: ContentItem):\n    reindex.delay(item.id)\n"
                 "### app/schemas.py\n"
                 "from pydantic import BaseModel, Field\nfrom app.models import ContentItem\n"
                 "class ImageOut(BaseModel):\n    content_id: int = Field(alias='contentRef')\n"
                 "    width: int = Field(alias='widthPx')\n"
                 "### tests/test_items.py\n")
    VALID += [Valid(_CONFTEST + "from app.models import User\n"
                    "def test_users(make_user, make_item):\n    make_user(id=7)\n    User(id=1)\n"
                    "    make_item(title='x')\n    assert {'widthPx': 320}\n", path="tests/test_items.py")]
    INVALID += [
        Invalid(_CONFTEST + "def test_get(client, make_item):\n    make_item(id=3)\n", line=2,
                path="tests/test_items.py", message_contains="id=3"),
        Invalid(_CONFTEST, line=9, path="tests/conftest.py", message_contains="makes up"),
        Invalid(_CONFTEST, line=17, path="tests/conftest.py", message_contains="makes up"),
        Invalid(_CONFTEST + "from app.models import ContentItem\ndef test_model(session):\n"
                "    session.add(ContentItem(id=1, title='x'))\n", line=3, path="tests/test_items.py"),
        Invalid(_CONFTEST + "from app.tasks import reindex\ndef test_task():\n    assert reindex.delay(42)\n",
                line=3, path="tests/test_items.py", message_contains="42"),
        Invalid(_CONFTEST + "from app import tasks\ndef test_enqueue(client, monkeypatch, make_item):\n"
                "    calls = []\n    monkeypatch.setattr(tasks.reindex, 'delay', lambda ref: calls.append(ref))\n"
                "    tasks.enqueue(make_item())\n    assert calls == [1]\n", line=6, path="tests/test_items.py"),
        Invalid(_CONFTEST + "def test_json(client):\n    body = {'contentRef': 5, 'widthPx': 320}\n"
                "    assert client.get('/images').json()[0]['contentRef'] == 5\n",
                line=2, path="tests/test_items.py", message_contains="contentRef"),
        Invalid(_CONFTEST + "def test_json(client):\n    assert client.get('/images').json()[0]['contentRef'] == 5\n",
                line=2, path="tests/test_items.py", message_contains="JSON name of key field ImageOut.content_id"),
        # the body of a route whose handler returns ids; a set of ids returned by a service
        Invalid("### app/api/items.py\nfrom fastapi import APIRouter\nfrom sqlalchemy import select\n"
                "from app.models import ContentItem\nrouter = APIRouter(prefix='/api/items')\n"
                "@router.get('/ids', response_model=list[int])\ndef ids(s=None):\n"
                "    return s.scalars(select(ContentItem.id)).all()\n"
                "def drafts(s) -> set[int]:\n    return {i.id for i in s.scalars(select(ContentItem))}\n"
                "### tests/test_ids.py\nfrom app.api.items import drafts\n"
                "def test_ids(client, s):\n    resp = client.get('/api/items/ids')\n    assert resp.json() == [1, 2]\n"
                "    assert drafts(s) == {1}\n", line=4, path="tests/test_ids.py", message_contains="/api/items/ids"),
        Invalid("### app/api/items.py\nfrom fastapi import APIRouter\nfrom sqlalchemy import select\n"
                "from app.models import ContentItem\nrouter = APIRouter(prefix='/api/items')\n"
                "def drafts(s) -> set[int]:\n    return {i.id for i in s.scalars(select(ContentItem))}\n"
                "### tests/test_ids.py\nfrom app.api.items import drafts\n"
                "def test_ids(s):\n    assert drafts(s) == {1}\n    assert len(drafts(s)) == 1\n",
                line=3, path="tests/test_ids.py"),
        # a URL helper whose parameter goes where a key route takes the key
        Invalid("### app/api/items.py\nfrom fastapi import APIRouter\nfrom app.models import ContentItem\n"
                "router = APIRouter(prefix='/api/items')\n@router.get('/{item_id}')\n"
                "def read_item(item_id: int, s=None):\n    return s.get(ContentItem, item_id)\n"
                "### tests/routes.py\nclass Routes:\n    prefix = '/api'\n\n    def item_page(self, ref):\n"
                "        return f'{self.prefix}/items/{ref}'\n\n    def page(self, n):\n"
                "        return f'{self.prefix}/items/pages/{n}'\nroutes = Routes()\n"
                "### tests/test_items.py\nfrom tests.routes import routes\n"
                "def test_get(client):\n    assert client.get(routes.item_page(3)).status_code == 404\n"
                "    assert client.get(routes.page(2)).status_code == 200\n",
                line=3, path="tests/test_items.py", message_contains="ref"),
        Invalid("import factory\nfrom app.models import ContentItem\n"
                "class ItemFactory(factory.Factory):\n    class Meta:\n        model = ContentItem\n"
                "    title = 'x'\n"
                "def test_factory():\n    ItemFactory.create(id=11, title='y')\n", line=8,
                path="tests/test_factories.py"),
    ]
    # plain async factories whose `**overrides` reach the model through a dict (`values = {..., **overrides}`,
    # `Model(**{..., **overrides})`), ids from a tuple loop, a list of ids given to a key-list parameter
    _FACTORIES = ("### tests/factories.py\n"
                  "from typing import Any\nfrom app.models import ContentItem, User\n"
                  "async def _save(session, obj: Any) -> Any:\n    session.add(obj)\n    await session.flush()\n"
                  "    return obj\n"
                  "async def make_item(session, **overrides: Any) -> ContentItem:\n"
                  "    values: dict[str, Any] = {'title': 'x', 'rank': 3, **overrides}\n"
                  "    return await _save(session, ContentItem(**values))\n"
                  "async def make_user(session, **overrides: Any) -> User:\n"
                  "    return await _save(session, User(**{'name': 'u', **overrides}))\n"
                  "### app/repo.py\nfrom sqlalchemy import select\nfrom app.models import ContentItem\n"
                  "async def items_by_refs(session, content_ids: list[int]) -> list[ContentItem]:\n"
                  "    return list(await session.scalars(select(ContentItem).where(ContentItem.id.in_(content_ids))))\n"
                  "async def pages(session, numbers: list[int]) -> list[int]:\n    return numbers\n"
                  "### tests/test_items.py\nfrom app.models import ContentItem\nfrom app.repo import items_by_refs, pages\n"
                  "from tests.factories import make_item, make_user\n")
    INVALID += [
        Invalid(_FACTORIES + "async def test_get(session):\n    await make_item(session, id=41, rank=2)\n",
                line=5, path="tests/test_items.py", message_contains="id=41"),
        Invalid(_FACTORIES + "async def test_loop(session):\n    for n in (10, 11, 12):\n"
                "        await make_item(session, id=n)\n", line=6, path="tests/test_items.py"),
        Invalid(_FACTORIES + "async def test_refs(session):\n    await items_by_refs(session, [1, 3, 404])\n",
                line=5, path="tests/test_items.py", message_contains="[1, 3, 404]"),
    ]
    # a repository method inherited from a generic base (`self.model` is ContentItem in this subclass)
    _REPO = ("### app/repositories.py\nfrom typing import ClassVar, Generic, TypeVar\nfrom sqlalchemy import select\n"
             "from app.models import ContentItem\nT = TypeVar('T')\n"
             "class Repository(Generic[T]):\n    model: ClassVar[type]\n"
             "    def __init__(self, session) -> None:\n        self.session = session\n"
             "    async def list_by_ids(self, ids: list[int]) -> list[T]:\n"
             "        return list(await self.session.scalars(select(self.model).where(self.model.id.in_(ids))))\n"
             "    async def page(self, numbers: list[int]) -> list[T]:\n        return []\n"
             "class ItemRepository(Repository[ContentItem]):\n    model = ContentItem\n"
             "### tests/test_repo.py\nfrom app.models import ContentItem\nfrom app.repositories import ItemRepository\n")
    INVALID += [Invalid(_REPO + "async def test_by_ids(session):\n"
                        "    found = await ItemRepository(session).list_by_ids([1, 3, 404])\n",
                        line=4, path="tests/test_repo.py", message_contains="[1, 3, 404]")]
    VALID += [Valid(_REPO + "async def test_pages(session):\n    await ItemRepository(session).page([1, 2])\n",
                    path="tests/test_repo.py")]
    # a generic repository method (`object: M`) given the key by one caller and a User by another: each call
    # binds M anew, so the User stays an object; a User handed where a key goes stays one too (polar's
    # `update_dict={"order": order}` read as sending the key)
    _GENERIC = ("### app/repositories.py\nfrom typing import Any\nfrom app.models import ContentItem, User\n"
                "class RepositoryBase[M]:\n    def __init__(self, session) -> None:\n        self.session = session\n"
                "    async def update(self, object: M, *, update_dict: dict[str, Any] | None = None) -> M:\n"
                "        for attr, value in (update_dict or {}).items():\n            setattr(object, attr, value)\n"
                "        return object\n"
                "class ItemRepository(RepositoryBase[ContentItem]):\n    pass\n"
                "class UserRepository(RepositoryBase[User]):\n    pass\n"
                "### app/services.py\nfrom app.models import ContentItem, User\n"
                "from app.repositories import ItemRepository, UserRepository\n"
                "def audit(ref) -> None:\n    print(ref)\n"
                "async def touch(session, item: ContentItem):\n"
                "    ref = await ItemRepository(session).update(item.id, update_dict={})\n    audit(item.id)\n"
                "    return {'touched': ref}\n"
                "async def rename(session, user: User, name: str):\n"
                "    user = await UserRepository(session).update(user, update_dict={'name': name})\n"
                "    audit(user)\n    return {'owner': user}\n"
                "### tests/test_users.py\nfrom app.models import ContentItem, User\n")
    VALID += [Valid(_GENERIC + "def test_rename(client):\n    assert client.post('/users', json={'owner': 3})\n",
                    path="tests/test_users.py")]
    INVALID += [Invalid(_GENERIC + "def test_touch(client):\n    assert client.post('/items', json={'touched': 3})\n",
                        line=3, path="tests/test_users.py", message_contains="touched")]
    # ids gathered from a response body, a list holding the key beside literals; another entity's rows
    _BODIES = ("### app/api/items.py\nfrom fastapi import APIRouter\nfrom app.models import ContentItem\n"
               "router = APIRouter(prefix='/api/items')\n@router.get('/{item_id}')\n"
               "def read_item(item_id: int, s=None):\n    return s.get(ContentItem, item_id)\n"
               "### tests/test_items.py\n")
    INVALID += [
        Invalid(_BODIES + "def test_by_ids(client):\n    resp = client.get('/api/items/by-ids')\n"
                "    assert sorted(b['id'] for b in resp.json()) == [3, 4]\n", line=3, path="tests/test_items.py"),
        Invalid(_BODIES + "def test_history(client, item):\n    new = client.post(f'/api/items/{item.id}/copy').json()\n"
                "    history = client.get(f'/api/items/{new[\"id\"]}/history').json()\n"
                "    assert history == [new['id'], 50]\n", line=4, path="tests/test_items.py"),
    ]
    # a name the application sends the key under (an error body), a field of a result object holding keys
    _SENT = ("### app/services.py\nfrom dataclasses import dataclass, field\nfrom fastapi import HTTPException\n"
             "from app.models import ContentItem\n"
             "@dataclass\nclass MergeResult:\n    merged: list[int] = field(default_factory=list)\n    pages: int = 0\n"
             "def merge(items: list[ContentItem]) -> MergeResult:\n"
             "    clashes = [i.id for i in items if not i.title]\n    if clashes:\n"
             "        raise HTTPException(409, {'clashes': clashes, 'pages': len(items)})\n"
             "    return MergeResult(merged=[i.id for i in items], pages=1)\n"
             "### tests/test_merge.py\nfrom app.models import ContentItem\nfrom app.services import merge\n")
    INVALID += [
        Invalid(_SENT + "def test_clash(client):\n    resp = client.post('/merge')\n"
                "    assert resp.json()['detail'] == {'clashes': [20], 'pages': 3}\n",
                line=5, path="tests/test_merge.py", message_contains="'clashes': [20]"),
        Invalid(_SENT + "def test_merge(items):\n    result = merge(items)\n    assert result.merged == [1, 2]\n"
                "    assert result.pages == 1\n", line=5, path="tests/test_merge.py", message_contains="merged"),
    ]
    # a weak name (`value`): the key only in a dict of the shape the application sends it in
    _OPTIONS = ("### app/forms.py\nfrom app.models import ContentItem\n"
                "def item_option(item: ContentItem) -> dict:\n"
                "    return {'text': item.title, 'value': item.id}\n"
                "def item_filter(item: ContentItem) -> dict:\n"
                "    return {'model': 'ContentItem', 'field': 'id', 'value': item.id}\n"
                "### tests/test_forms.py\nfrom app.forms import item_option\nfrom app.models import ContentItem\n")
    INVALID += [Invalid(_OPTIONS + "def test_option(item):\n    assert item_option(item) == {'text': 'A', 'value': 3}\n",
                        line=4, path="tests/test_forms.py", message_contains="'value': 3"),
                Invalid(_OPTIONS + "def test_filter(client):\n"
                        "    client.post('/search', json=[{'model': 'ContentItem', 'field': 'id', 'value': 3}])\n",
                        line=4, path="tests/test_forms.py", message_contains="'value': 3")]
    VALID += [Valid(_OPTIONS + "def test_filter(client):\n"
                    "    client.post('/search', json=[{'model': 'Tag', 'field': 'id', 'value': 3}])\n"
                    "    assert {'value': 3}\n",
                    path="tests/test_forms.py")]
    VALID += [Valid(_SENT + "def test_pages(client, items):\n    assert merge(items).pages == 1\n"
                    "    assert client.post('/merge').json()['detail'] == {'pages': 3}\n", path="tests/test_merge.py")]
    VALID += [Valid(_BODIES + "def test_users(client, item):\n    client.get(f'/api/items/{item.id}')\n"
                    "    users = client.get('/api/users', params={'page': 2}).json()\n"
                    "    assert [u['id'] for u in users] == [5]\n    assert users[0]['id'] == 5\n"
                    "    assert sorted(u['age'] for u in users) == [30, 41]\n", path="tests/test_items.py")]
    VALID += [Valid(_FACTORIES + "async def test_other(session):\n    await make_user(session, id=7)\n"
                    "    await make_item(session, rank=2)\n    for n in (1, 2):\n        await make_user(session, id=n)\n"
                    "    await pages(session, [1, 2])\n", path="tests/test_items.py")]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def _mocked_task_calls(self, ctx: FileCtx) -> Iterator[Finding]:
        """`apply_async.assert_called_once_with(args=[42, "manual"])` on a patched task taking the key."""
        mocks = _mock_targets(ctx)
        if not mocks:
            return
        for entry in ctx.pf.of(cst.Call):
            call = entry.node
            assert isinstance(call, cst.Call)
            f = call.func
            if not (isinstance(f, cst.Attribute) and f.attr.value.startswith("assert_")
                    and isinstance(f.value, cst.Name) and f.value.value in mocks):
                continue
            task = mocks[f.value.value]
            a = facts.kwarg(call, "args")
            values = [e.value for e in a.value.elements] if a is not None and isinstance(
                a.value, (cst.List, cst.Tuple)) else [x.value for x in facts.positional(call)]
            for param, value in zip(task.positional(), values, strict=False):
                if param.name.value in task.env and _is_int(value):
                    yield ctx.finding(self, call, ctx.symbol(entry.func, param.name.value),
                                      f"mock assertion expects `{ctx.pf.code(value)}` as task argument "
                                      f"`{param.name.value}`", evidence=task.env[param.name.value], layer="test")
                    break

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        pf, model = ctx.pf, ctx.model
        if pf.layer != "test":
            return
        ranged = _range_names(pf, model)
        task_keys = _task_key_params(ctx)
        made = _MadeUp(ctx)
        for entry in pf.of(cst.Call):
            call = entry.node
            assert isinstance(call, cst.Call)
            if not any(type(a.value) in _MAY_MAKE_UP and not a.star for a in call.args):
                continue  # no argument an integer can be made up in (nor a task's `args=[...]`, `kwargs={...}`)
            for name, value, why in _key_arguments(ctx, entry.func, call):
                literal = _is_int(value) or _int_collection(value) or isinstance(value, cst.Name) and (
                    id(entry.func), value.value) in ranged
                node = value if literal else made.origin(entry.func, value)
                if node is None:
                    continue
                arg = next((a for a in call.args if a.value is value), None)
                at = arg if arg is not None and node is value else node
                yield ctx.finding(self, at, ctx.symbol(entry.func, name),
                                  f"`{_short(pf.code(at))}` passes an integer "
                                  f"{'literal' if literal else 'it makes up'} as the key `{name}`",
                                  layer="test", evidence=why)
        json_names = set(model.key_names) | set(model.json_names) | set(_payload_keys(ctx))
        shapes = _payload_shapes(ctx)
        for entry in pf.of(cst.Dict):  # json={"content_id": 42} / {"content_id": "42"}
            d = entry.node
            assert isinstance(d, cst.Dict)
            for el in d.elements:
                if isinstance(el, cst.DictElement) and (string_value(el.key) in json_names or (
                        string_value(el.key) in task_keys and _is_int(el.value))) and (
                        _is_int(el.value) or _int_collection(el.value)
                        or (string_value(el.value) or "x").strip().isdigit()):
                    name = string_value(el.key) or ""
                    if name in shapes and name not in model.key_names and name not in model.json_names \
                            and name not in task_keys and not any(_same_shape(_dict_keys(d), app, name)
                                                                  for app in shapes[name]):
                        continue  # `{"model": "Tag", "field": "id", "value": 1}`: not a dict the application sends
                    yield ctx.finding(self, el, ctx.symbol(entry.func), f"`{pf.code(el)}` sends an integer key",
                                      layer="test", evidence=_payload_keys(ctx).get(name, f"`{name}` holds the key")
                                      if name not in model.key_names and name not in model.json_names
                                      else f"`{name}` holds the key")
        yield from self._mocked_task_calls(ctx)
        for entry in pf.of(cst.For):  # for content_id in range(43, 50)
            loop = entry.node
            assert isinstance(loop, cst.For)
            it = loop.iter
            if isinstance(loop.target, cst.Name) and loop.target.value in model.key_names and \
                    isinstance(it, cst.Call) and facts.callee_name(it) == "range":
                yield ctx.finding(self, loop.target, ctx.symbol(entry.func, loop.target.value),
                                  f"`{loop.target.value}` iterates over integer keys", layer="test",
                                  evidence=f"`{loop.target.value}` holds the key")
        recorded = _fake_task_records(ctx)
        responses = _ResponseKeys(ctx)
        for entry in pf.of(cst.Comparison):
            node = entry.node
            assert isinstance(node, cst.Comparison)
            sides = [node.left, *[c.comparator for c in node.comparisons]]
            mixed = _mixed_ids(ctx, entry.func, sides)
            if mixed is not None:
                yield ctx.finding(self, node, ctx.symbol(entry.func),
                                  f"`{_short(pf.code(node))}` compares the key with an integer literal",
                                  evidence=mixed[0], target=mixed[1], layer="test")
                continue
            if any(_is_int(s) or _int_collection(s) or _int_keyed(s) for s in sides):
                for s in sides:
                    ev = ctx.key(entry.func, s) or _json_key(ctx, s, entry.func) or _recorded(recorded, entry.func, s) \
                        or responses.key(entry.func, s) or _field_key(ctx, s)
                    if ev:
                        yield ctx.finding(self, node, ctx.symbol(entry.func),
                                          f"`{_short(pf.code(node))}` compares the key with an integer literal",
                                          evidence=ev[0], target=ev[1], layer="test")
                        break


@functools.lru_cache(maxsize=4096)
def _names_a_path(template: str) -> bool:
    """Has the route template a letter outside its `{parameters}` (asked of every template for every URL a test
    writes)?"""
    return re.search(r"[^\W\d_]", re.sub(r"\{[^}]*\}", "", template)) is not None


def _factory(ctx: FileCtx, fi: FuncInfo | None, func: cst.BaseExpression) -> FuncInfo | None:
    """The function a test calls: for a factory fixture (`make_vehicle(id=3)`, the fixture returning its inner
    `_make`), the inner function; else the function the call resolves to."""
    registry = ctx.flow.registry
    callee = registry.resolve(ctx.pf, func, fi)
    if callee is None or not is_fixture(callee):
        return callee
    fpf = registry.by_id[callee.func_id][0]
    for r in fpf.returns_of(callee):
        if isinstance(r.value, cst.Name):
            inner = f"{callee.func_id}.{r.value.value}"
            if inner in registry.by_id:
                return registry.by_id[inner][1]
    return None


def _kwargs_read(expr: cst.BaseExpression, bag: str) -> str | None:
    """`overrides.pop("id", n)` / `overrides.get("id")` / `overrides["id"]` -> "id"."""
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in ("pop", "get") \
            and isinstance(expr.func.value, cst.Name) and expr.func.value.value == bag and expr.args:
        return string_value(expr.args[0].value)
    if isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Name) and expr.value.value == bag \
            and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
        return string_value(expr.slice[0].slice.value)
    return None


def _bag_keys(ctx: FileCtx, fn: FuncInfo) -> dict[str, str]:
    """Keyword names a `**overrides` parameter passes on to a key: `Vehicle(id=overrides.pop("id", n))`,
    `pk = overrides.pop("id", ...)` then `Trailer(id=pk)`, `Trip(**overrides)`. Read from the final facts: once
    per factory and scan, not once per call of it (a test suite calls its factories thousands of times)."""
    star = fn.node.params.star_kwarg
    if not isinstance(star, cst.Param):
        return {}
    done = ctx.flow.cache.setdefault("test_literals_bag_keys", {})
    assert isinstance(done, dict)
    got = done.get(id(fn))
    if got is None or got[0] is not fn:
        got = done[id(fn)] = (fn, _read_bag_keys(ctx, fn, star))
    return got[1]  # type: ignore[no-any-return]


def _read_bag_keys(ctx: FileCtx, fn: FuncInfo, star: cst.Param) -> dict[str, str]:
    bag = star.name.value
    model = ctx.model
    fpf = ctx.flow.registry.by_id[fn.func_id][0]
    assigned: dict[str, cst.BaseExpression] = {}
    for entry in [*fpf.of(cst.Assign), *fpf.of(cst.AnnAssign)]:  # `values: dict[str, Any] = {...}` too
        node = entry.node
        target = node.targets[0].target if isinstance(node, cst.Assign) and len(node.targets) == 1 else \
            node.target if isinstance(node, cst.AnnAssign) and node.value is not None else None
        if entry.func is fn and isinstance(target, cst.Name):
            assert node.value is not None
            assigned[target.value] = node.value
    out: dict[str, str] = {}
    for entry in fpf.of(cst.Call):
        call = entry.node
        assert isinstance(call, cst.Call)
        if entry.func is not fn or not isinstance(call.func, cst.Name) or call.func.value not in model.orm:
            continue
        orm = model.orm[call.func.value]
        for a in call.args:
            if a.star == "**" and _spreads(a.value, bag, assigned):
                for attr in orm.key_attrs:
                    out.setdefault(attr, f"`**{bag}` reaches {orm.name}({attr}=...) in {fpf.where(call)}")
            elif a.keyword is not None and a.keyword.value in orm.key_attrs:
                value = a.value
                if isinstance(value, cst.Name) and value.value in assigned:
                    value = assigned[value.value]
                read = _kwargs_read(value, bag)
                if read:
                    out.setdefault(read, f"`{bag}[{read!r}]` sets {orm.name}.{a.keyword.value} in {fpf.where(call)}")
    return out


def _spreads(value: cst.BaseExpression, bag: str, assigned: dict[str, cst.BaseExpression]) -> bool:
    """Does `Model(**value)` pass the `**bag` on: `**overrides`, `**{"title": "x", **overrides}`, or a name bound
    to such a dict (`values = {"duration": 30, **overrides}` then `Model(**values)`)?"""
    if isinstance(value, cst.Name) and value.value != bag and isinstance(assigned.get(value.value), cst.Dict):
        value = assigned[value.value]
    if isinstance(value, cst.Name):
        return value.value == bag
    return isinstance(value, cst.Dict) and any(
        isinstance(el, cst.StarredDictElement) and isinstance(el.value, cst.Name) and el.value.value == bag
        for el in value.elements)


#: what an argument reported by TestIntKey can be: an integer literal (`-1` too), a literal collection of them, a
#: name (bound to a literal or a counter), a call (`next(ids)`, `overrides.pop("id", 7)`: `_MadeUp._counts`); and a
#: task call's `args=[...]` / `kwargs={...}`, whose elements `_key_arguments` takes for the arguments
_MAY_MAKE_UP = frozenset({cst.Integer, cst.UnaryOperation, cst.List, cst.Tuple, cst.Set, cst.Name, cst.Call, cst.Dict})


def _key_arguments(ctx: FileCtx, fi: FuncInfo | None, call: cst.Call
                   ) -> Iterator[tuple[str, cst.BaseExpression, str]]:
    """(parameter, value, why) for every argument of `call` that lands in a key: a parameter or field learned
    to hold it, a key attribute of an ORM constructor or factory_boy factory, a `**overrides` entry a factory
    passes on to one, a task argument (`render.delay(42)`, `apply_async(args=[42])`)."""
    model, registry = ctx.model, ctx.flow.registry
    looked_up = ctx.flow.key_lookup_args(ctx.pf, call)  # Model.query.get(2), filter_by(id=2), session.get(Model, 2)
    if looked_up:
        yield from looked_up
        return
    f = call.func
    keys: dict[str, str] = {}
    pos: list[str] = []
    args: list[cst.Arg] = list(call.args)
    orm_name = None
    if isinstance(f, cst.Name) and f.value in model.orm:
        orm_name = f.value
    elif isinstance(f, (cst.Name, cst.Attribute)):  # ItemFactory(id=1) / ItemFactory.create(...)
        head = f if isinstance(f, cst.Name) else f.value if f.attr.value in ("create", "build", "create_batch",
                                                                             "build_batch") else None
        if isinstance(head, cst.Name) and registry.factories.get(head.value) in model.orm:
            orm_name = registry.factories[head.value]
    if orm_name is not None:
        orm = model.orm[orm_name]
        keys = {a: f"{orm_name}.{a} maps {ic.qualified}" for a, ic in orm.key_attrs.items()}
    else:
        callee = None
        if isinstance(f, cst.Attribute) and f.attr.value in TASK_CALLS:
            task = registry.resolve(ctx.pf, f.value, fi)
            if task is not None and task.task:
                callee = task
                if f.attr.value == "apply_async":
                    a = facts.kwarg(call, "args")
                    kw = facts.kwarg(call, "kwargs")
                    args = [cst.Arg(e.value) for e in a.value.elements] if a is not None and isinstance(
                        a.value, (cst.List, cst.Tuple)) else []
                    if kw is not None and isinstance(kw.value, cst.Dict):
                        args += [cst.Arg(el.value, keyword=cst.Name(k)) for el in kw.value.elements
                                 if isinstance(el, cst.DictElement) for k in [string_value(el.key)]
                                 if k and k.isidentifier()]
        if callee is None:
            callee = _factory(ctx, fi, f)
        if callee is not None:
            keys = {p: f"`{p}` holds the key" for p in callee.env}
            keys.update({p: fk.evidence for p, fk in model.params.get(callee.func_id, {}).items()})
            for name, why in _bag_keys(ctx, callee).items():
                keys.setdefault(name, why)
            pos = [p.name.value for p in callee.positional()]
        elif isinstance(f, cst.Name):  # Record(ref=17): fields learned to hold the key
            keys = {k: why for k, why in model.schema_fields.get(f.value, {}).items() if k.lower() not in _GENERIC}
    index = 0
    for a in args:
        if a.star:
            continue
        if a.keyword is not None:
            name = a.keyword.value
        elif index < len(pos):
            name, index = pos[index], index + 1
        else:
            continue
        if name in keys:
            yield name, a.value, keys[name]
        elif a.keyword is not None and name in model.key_names:
            yield name, a.value, f"`{name}` is named like {model.key_names[name]}"


class _MadeUp:
    """Where a test or factory makes up an integer id: `next(counter)` of an `itertools.count()`, a literal
    default of `overrides.pop("id", n)`, a name bound to one of those (then its assignment is the place)."""

    def __init__(self, ctx: FileCtx) -> None:
        self.pf = ctx.pf
        self.assigned: dict[tuple[int, str], list[cst.Assign]] = {}
        for entry in ctx.pf.of(cst.Assign):
            node = entry.node
            assert isinstance(node, cst.Assign)
            if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
                self.assigned.setdefault((id(entry.func), node.targets[0].target.value), []).append(node)
        self.parents: dict[int, FuncInfo | None] = {}
        for fi in ctx.pf.functions:
            outer = fi.qualname.rsplit(".", 1)[0] if "." in fi.qualname else None
            self.parents[id(fi)] = next((g for g in ctx.pf.functions if g.qualname == outer), None)

    def _binding(self, fi: FuncInfo | None, name: str) -> cst.Assign | None:
        seen = 0
        while seen < 5:
            found = self.assigned.get((id(fi), name))
            if found is not None:
                return found[0] if len(found) == 1 else None
            if fi is None:
                return None
            fi = self.parents.get(id(fi))
            seen += 1
        return None

    def _counts(self, fi: FuncInfo | None, expr: cst.BaseExpression, depth: int = 0) -> bool:
        """Is `expr` an integer the code makes up (a literal, a counter's next value)?"""
        if depth > 4:
            return False
        if _is_int(expr):
            return True
        if isinstance(expr, cst.Call) and facts.callee_name(expr) == "next" and expr.args \
                and isinstance(expr.args[0].value, cst.Name):
            bound = self._binding(fi, expr.args[0].value.value)
            return bound is not None and isinstance(bound.value, cst.Call) \
                and facts.callee_name(bound.value) == "count"
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) \
                and expr.func.attr.value in ("pop", "get") and len(expr.args) >= 2:
            return self._counts(fi, expr.args[1].value, depth + 1)
        if isinstance(expr, cst.Name):
            bound = self._binding(fi, expr.value)
            return bound is not None and self._counts(fi, bound.value, depth + 1)
        return False

    def origin(self, fi: FuncInfo | None, value: cst.BaseExpression) -> cst.CSTNode | None:
        """The node to report for a made-up id: the value itself, or the assignment of the name it is."""
        if isinstance(value, cst.Name):
            bound = self._binding(fi, value.value)
            return bound if bound is not None and self._counts(fi, bound.value) else None
        return value if self._counts(fi, value) else None


def _fake_task_records(ctx: FileCtx) -> dict[tuple[int, str], tuple[str, str]]:
    """Lists a fake task call appends its key arguments to: `monkeypatch.setattr(tasks.recompute, "delay",
    lambda vid: calls.append(vid))` makes `calls` (in that test) a list of keys. (test function, list) -> why."""
    out: dict[tuple[int, str], tuple[str, str]] = {}
    registry = ctx.flow.registry
    for entry in ctx.pf.calls_named(("setattr",)):
        call = entry.node
        assert isinstance(call, cst.Call)
        args = facts.positional(call)
        if not isinstance(call.func, cst.Attribute) or len(args) < 2:
            continue
        dotted = string_value(args[0].value)
        fake: cst.BaseExpression | None
        if dotted is not None and len(args) == 2:  # monkeypatch.setattr("app.tasks.recompute.delay", fake)
            owner, _, method = dotted.rpartition(".")
            ids = registry.by_name.get(owner.rsplit(".", 1)[-1], [])
            task = registry.by_id[ids[0]][1] if len(ids) == 1 else None
            fake = args[1].value
        else:
            method = string_value(args[1].value) or ""
            task = registry.resolve(ctx.pf, args[0].value, entry.func)
            fake = args[2].value if len(args) > 2 else None
        if task is None or not task.task or method not in ("delay", "apply_async", "s", "si") or fake is None:
            continue
        if isinstance(fake, cst.Lambda):
            params = [p.name.value for p in fake.params.params]
            body: cst.CSTNode = fake.body
        elif isinstance(fake, cst.Name):
            local = next((f for f in ctx.pf.functions if f.name == fake.value
                          and f.qualname.startswith((entry.func.qualname + ".") if entry.func else f.name)), None)
            if local is None:
                continue
            params, body = [p.name.value for p in local.positional()], local.node.body
        else:
            continue
        keyed = {p for p, tp in zip(params, task.positional(), strict=False) if tp.name.value in task.env}
        for inner in find_all(body, cst.Call):
            assert isinstance(inner, cst.Call)
            f = inner.func
            if isinstance(f, cst.Attribute) and f.attr.value in ("append", "add", "extend") \
                    and isinstance(f.value, cst.Name) and inner.args and isinstance(inner.args[0].value, cst.Name) \
                    and inner.args[0].value.value in keyed:
                out[(id(entry.func), f.value.value)] = (
                    f"`{f.value.value}` records what a fake {task.name}.{method}() receives as "
                    f"`{inner.args[0].value.value}` ({ctx.pf.where(call)}), a key", ctx.model.default_target)
    return out


class _ResponseKeys:
    """`client.get("/api/v1/contents/published-ids").json()` (or `resp.json()` of it): the body of a route whose
    response is the key (its handler returns ids)."""

    def __init__(self, ctx: FileCtx) -> None:
        self.ctx = ctx
        self.routes = [(m.lower(), t, _template_regex(t, ())) for m, t in ctx.model.route_returns]
        self.texts = UrlText(ctx.pf) if self.routes else None
        self.requests: dict[tuple[int, str], cst.Call] = {}
        if self.routes:
            for entry in ctx.pf.of(cst.Assign):
                node = entry.node
                assert isinstance(node, cst.Assign)
                if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name) \
                        and isinstance(node.value, cst.Call):
                    self.requests[(id(entry.func), node.targets[0].target.value)] = node.value

    def key(self, fi: FuncInfo | None, side: cst.BaseExpression) -> tuple[str, str] | None:
        if not self.routes or not (isinstance(side, cst.Call) and isinstance(side.func, cst.Attribute)
                                   and side.func.attr.value == "json"):
            return None
        request = side.func.value
        if isinstance(request, cst.Name):
            request = self.requests.get((id(fi), request.value), request)
        if not isinstance(request, cst.Call) or not isinstance(request.func, cst.Attribute):
            return None
        method = request.func.attr.value
        args = facts.positional(request)
        if not args or self.texts is None:
            return None
        url = self.texts.render(args[0].value, fi).split("?", 1)[0]
        for m, template, rx in self.routes:
            if m == method and (rx.search(url) or url.startswith(_HOLE) and template.endswith(url[1:])):
                return f"the response of {template}, whose handler returns the key", self.ctx.model.default_target
        return None


def _recorded(recorded: dict[tuple[int, str], tuple[str, str]], fi: FuncInfo | None,
              side: cst.BaseExpression) -> tuple[str, str] | None:
    if isinstance(side, cst.Subscript):
        side = side.value
    return recorded.get((id(fi), side.value)) if isinstance(side, cst.Name) else None


def _mock_targets(ctx: FileCtx) -> dict[str, FuncInfo]:
    """`with mock.patch("app.x.generate.apply_async") as m` / `patch.object(generate, "delay")` -> m: task."""
    out: dict[str, FuncInfo] = {}
    registry = ctx.flow.registry
    text = ctx.pf.text
    # nothing to patch: spare the walk (a patched task's method is written at the end of a string, the target's
    # `"app.tasks.render.delay"` or patch.object's `"delay"`; polar's tests say "delay" in other senses)
    if not any(f"{m}{q}" in text for m in ("delay", "apply_async") for q in "\"'"):
        return out
    for item in find(ctx.pf.module, cst.WithItem, _statement_level):
        call = item.item
        if not (isinstance(call, cst.Call) and item.asname is not None
                and isinstance(item.asname.name, cst.Name)):
            continue
        name = facts.callee_name(call)
        args = facts.positional(call)
        task_name = None
        if name == "patch" and args:
            target = string_value(args[0].value) or ""
            parts = target.split(".")
            if len(parts) >= 2 and parts[-1] in ("delay", "apply_async"):
                task_name = parts[-2]
        elif name == "object" and len(args) >= 2 and string_value(args[1].value) in ("delay", "apply_async"):
            v = args[0].value
            task_name = v.value if isinstance(v, cst.Name) else v.attr.value if isinstance(v, cst.Attribute) else None
        ids = registry.by_name.get(task_name or "", [])
        if len(ids) == 1 and registry.by_id[ids[0]][1].task:
            out[item.asname.name.value] = registry.by_id[ids[0]][1]
    return out


def _statement_level(node: cst.CSTNode) -> bool:
    """What `find` enters looking for a `with` item: no statement (so no `with`) is under an expression."""
    return not isinstance(node, cst.BaseExpression)


_GENERIC = {"id", "ids", "pk", "key", "uuid"}
#: dict keys of every kind of pair (`{"text": p.name, "value": p.id}` of a select's options, `{"field": "id",
#: "value": 1}` of a filter): a test's dict sends the key under one only when it has the shape of a dict the
#: application sends it in (`_same_shape`)
_WEAK = {"value", "values", "val", "data", "result", "item"}


def _range_names(pf: ParsedFile, model: KeyModel) -> set[tuple[int, str]]:
    """Loop variables over literal ranges (`for i in range(1, 6)`), by function: integers the test makes up."""
    out: set[tuple[int, str]] = set()
    for entry in pf.of(cst.For):
        loop = entry.node
        assert isinstance(loop, cst.For)
        it = loop.iter
        literal = isinstance(it, cst.Call) and facts.callee_name(it) == "range" and isinstance(it.func, cst.Name) \
            and all(_is_int(a.value) for a in it.args) or _int_collection(it)  # `for n in (10, 11, 12)` too
        if isinstance(loop.target, cst.Name) and literal \
                and loop.target.value not in model.key_names:  # a key-named loop is reported at the loop itself
            out.add((id(entry.func), loop.target.value))
    return out


def _dict_keys(d: cst.Dict) -> dict[str, str | None]:
    """A dict literal's string keys -> the string each maps to (None: anything else)."""
    return {k: string_value(el.value) for el in d.elements
            if isinstance(el, cst.DictElement) and (k := string_value(el.key))}


def _same_shape(test: dict[str, str | None], app: dict[str, str | None], name: str) -> bool:
    """Has a test's dict the shape of an application's dict that sends the key under `name`: another key in
    common, and no common key naming another string (`"model": "Entity"` is not `"model": "Project"`)?

    Examples (the application sends `{"text": p.name, "value": p.id}` and `{"model": "Project", "field": "id",
    "value": p.id}`): `{"text": "A", "value": 3}` and `{"model": "Project", "field": "id", "value": 3}` have its
    shape; `{"model": "Entity", "field": "id", "value": 3}` and `{"value": 3}` have not."""
    common = (test.keys() & app.keys()) - {name}
    return bool(common) and all(test[k] == app[k] or test[k] is None or app[k] is None for k in common)


def _payload_shapes(ctx: FileCtx) -> dict[str, list[dict[str, str | None]]]:
    """For the weak payload keys (`_WEAK`): the application's dicts that send the key under them, as
    `_dict_keys`; computed once per scan."""
    _payload_keys(ctx)
    out = ctx.flow.cache.get("payload_shapes")
    if not isinstance(out, dict):  # (the names cached without their shapes: read both again)
        ctx.flow.cache.pop("payload_keys", None)
        _payload_keys(ctx)
        out = ctx.flow.cache["payload_shapes"]
    assert isinstance(out, dict)
    return out


def _payload_keys(ctx: FileCtx) -> dict[str, str]:
    """Names the application puts the key under in a dict it sends (`HTTPException(409, {"overlaps":
    exc.booking_ids})`, `return {"next": last.id}`): a test's `{"overlaps": [20]}` is the key. Specific names only
    (`id` is every record's); computed once per scan from the final facts."""
    cached = ctx.flow.cache.get("payload_keys")
    if isinstance(cached, dict):
        return cached
    out: dict[str, str] = {}
    shapes: dict[str, list[dict[str, str | None]]] = {}
    seen: set[int] = set()
    for pf, _fi in ctx.flow.registry.by_id.values():
        if id(pf) in seen or pf.layer == "test":
            continue
        seen.add(id(pf))
        for entry in pf.of(cst.Dict):
            d = entry.node
            assert isinstance(d, cst.Dict)
            for el in d.elements:
                key = string_value(el.key) if isinstance(el, cst.DictElement) else None
                if key and key.lower() not in _GENERIC and (key not in out or key in shapes) \
                        and isinstance(el, cst.DictElement) and ctx.flow.key_of(pf, entry.func, el.value):
                    out.setdefault(key, f"the application sends the key as `{key}` ({pf.where(el)})")
                    if key.lower() in _WEAK:
                        shapes.setdefault(key, []).append(_dict_keys(d))
    ctx.flow.cache["payload_shapes"] = shapes
    ctx.flow.cache["payload_keys"] = out
    return out


def _task_key_params(ctx: FileCtx) -> set[str]:
    """Specific names of Celery task parameters that hold the key (message payload keys in tests); computed
    once per scan (the flow facts are final when rules run)."""
    cached = ctx.flow.cache.get("task_key_params")
    if isinstance(cached, set):
        return cached
    out: set[str] = set()
    for _pf, fi in ctx.flow.registry.by_id.values():
        if fi.task:
            out |= {p.name.value for p in fi.params if p.name.value in fi.env and p.name.value.lower() not in _GENERIC}
    ctx.flow.cache["task_key_params"] = out
    return out


def _int_keyed(node: cst.BaseExpression) -> bool:
    """`{201: "not found"}` / `{"61": "already completed"}`: a dict literal keyed by integers (or their JSON text)."""
    return isinstance(node, cst.Dict) and bool(node.elements) and all(
        isinstance(el, cst.DictElement) and (_is_int(el.key) or (string_value(el.key) or "x").isdigit())
        for el in node.elements)


def _mixed_ids(ctx: FileCtx, fi: FuncInfo | None, sides: list[cst.BaseExpression]) -> tuple[str, str] | None:
    """`history == [new["id"], 50]`: a literal list or tuple holding the key beside integer literals."""
    for s in sides:
        if not isinstance(s, (cst.List, cst.Tuple)) or not any(
                isinstance(e, cst.Element) and _is_int(e.value) for e in s.elements):
            continue
        for e in s.elements:
            if isinstance(e, cst.Element) and not _is_int(e.value):
                ev = ctx.key(fi, e.value) or _json_key(ctx, e.value, fi)
                if ev:
                    return ev
    return None


def _int_collection(node: cst.BaseExpression) -> bool:
    """`[1, 3, 404]`, `(10, 11)`, `{3}`: a non-empty literal collection of integers."""
    return isinstance(node, (cst.List, cst.Tuple, cst.Set)) and bool(node.elements) and all(
        isinstance(e, cst.Element) and _is_int(e.value) for e in node.elements)


def _is_int(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        node = node.expression
    return isinstance(node, cst.Integer)


def _json_key(ctx: FileCtx, node: cst.BaseExpression, fi: FuncInfo | None = None) -> tuple[str, str] | None:
    """`body["content_id"]`, `first["items"][0]["id"]`, `[i["id"] for i in ...]`, `first["next_cursor"]`.

    A bare `"id"` counts only in a test that talks to a route taking the key (or uses an affected
    model): `resp.json()["id"]` in a users test is a user id.
    """
    if isinstance(node, cst.Call) and facts.callee_name(node) in _GATHER and isinstance(node.func, cst.Name) \
            and node.args and isinstance(node.args[0].value, (cst.GeneratorExp, cst.ListComp, cst.SetComp)):
        node = node.args[0].value  # sorted(b["id"] for b in resp.json())
    if isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
        if _other_rows(ctx, node.for_in.iter):
            return None  # [p["id"] for p in payments]: another entity's rows
        return _json_key(ctx, node.elt, fi)
    if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        key = string_value(node.slice[0].slice.value)
        if key is None:
            return None
        if key in ctx.model.json_names:
            return f"JSON field `{key}` holds the key ({ctx.model.json_names[key]})", ctx.model.default_target
        if key in ctx.model.key_names or key in _cursor_fields(ctx):
            return f"JSON field `{key}` holds the key", ctx.model.default_target
        if key == "id" and not _other_rows(ctx, node.value):
            collection = _collection_of(ctx, fi, node.value)
            if collection is not None and collection != "":
                return f"JSON field `id` of a body from the key's own collection `{collection}`", \
                    ctx.model.default_target
            if collection is None and _key_test(ctx, fi):
                return f"JSON field `{key}` holds the key", ctx.model.default_target
    return None


#: how a test reads a response's JSON body: `r.get_json()`, `r.json()`, `r.json`, then `["data"]`, `.get("data")`
_BODY_READS = {"get_json", "json", "get"}


def _response_url(ctx: FileCtx, fi: FuncInfo | None, node: cst.BaseExpression, depth: int = 0) -> str | None:
    """The URL of the request whose JSON body `node` reads (`data[0]` of `data = r.get_json()["data"]` of
    `r = client.get("/api/v1/users")`), as written (computed parts as holes); None when it cannot be told."""
    if depth > 8 or fi is None:
        return None
    if isinstance(node, cst.Subscript):
        return _response_url(ctx, fi, node.value, depth + 1)
    if isinstance(node, cst.Attribute) and node.attr.value in ("json", "data"):
        return _response_url(ctx, fi, node.value, depth + 1)
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        name = node.func.attr.value
        if name in _HTTP:
            args = facts.positional(node)
            kw = facts.kwarg(node, "url")
            index = 1 if name == "request" else 0
            url = kw.value if kw is not None else args[index].value if len(args) > index else None
            if url is not None:
                texts = ctx.shared.get("url_text")
                if not isinstance(texts, UrlText):
                    texts = ctx.shared["url_text"] = UrlText(ctx.pf)
                text = texts.render(url, fi)
                if "/" in text or name != "get":  # (`.get("data")` of a body is a dict's get)
                    return text
        if name in _BODY_READS:
            return _response_url(ctx, fi, node.func.value, depth + 1)
        return None
    if isinstance(node, cst.Name):
        line = ctx.pf.span(node).line
        last: cst.Assign | None = None
        for entry in ctx.pf.of(cst.Assign):
            a = entry.node
            assert isinstance(a, cst.Assign)
            if entry.func is fi and len(a.targets) == 1 and isinstance(a.targets[0].target, cst.Name) \
                    and a.targets[0].target.value == node.value and ctx.pf.span(a).line < line \
                    and (last is None or ctx.pf.span(a).line > ctx.pf.span(last).line):
                last = a
        return _response_url(ctx, fi, last.value, depth + 1) if last is not None else None
    return None


def _collection_of(ctx: FileCtx, fi: FuncInfo | None, node: cst.BaseExpression) -> str | None:
    """Whose collection the request `node` is the JSON body of was made to, by the last literal segment of its URL
    path: the key's own table's (`/api/v1/content-items`, `/items/{id}`: that segment), another table's
    (`/api/v1/users`, `/api/v1/images/{id}`: ""), or None when it cannot be told (no request found, a segment
    naming no table). A `"id"` of another entity's body is that entity's."""
    url = _response_url(ctx, fi, node)
    if not url:
        return None
    words = [w for w in url.split("?", 1)[0].split("/") if w and _HOLE not in w and not w.isdigit()]
    if not words:
        return None
    name = words[-1].replace("-", "_").lower()
    if name in ctx.entity_names():
        return words[-1]
    if any(facts.foreign_entity(ctx.model, f"{word}_id") is not None
           for word in {name, facts.singular(name)} if word.isidentifier()):
        return ""
    return None


#: builtins that gather the items of an iterable (`sorted(b["id"] for b in body)`)
_GATHER = {"sorted", "list", "set", "tuple", "frozenset"}


def _other_rows(ctx: FileCtx, node: cst.BaseExpression) -> bool:
    """Does `node` name rows of another entity (`payments`, `payment`, `payments[0]`), a table of the schema the
    key is not (the PY068 barrier's test)? Their `"id"` is that entity's."""
    while isinstance(node, cst.Subscript):
        node = node.value
    if not isinstance(node, cst.Name):
        return False
    name = node.value.lower()
    return any(facts.foreign_entity(ctx.model, f"{word}_id") is not None
               for word in {name, facts.singular(name)} if word.isidentifier())


def _key_test(ctx: FileCtx, fi: FuncInfo | None) -> bool:
    """Does this test function request a key route (by path or by a key query parameter) or use an affected
    ORM class, itself or through the fixtures and factories it uses (`make_vehicle` building Vehicles)?"""
    if fi is None:
        return False
    code = ctx.pf.code(fi.node)
    classes = [name for name, orm in ctx.model.orm.items() if orm.key_attrs.get("id") is not None]
    if _names_any(code, classes):
        return True
    rxs = [_template_regex(t, ()) for t, _ in ctx.model.route_templates]
    rxs += [_template_regex(t, ()) for _m, t, _n in ctx.model.route_queries]
    for m in re.finditer(r"[\"'](?:{[^}]*})?((?:/[\w{}.-]+)+)", code):
        url = re.sub(r"{[^}]*}", "1", m.group(1))
        if any(rx.search(url) for rx in rxs):
            return True
    registry = ctx.flow.registry
    helpers: list[FuncInfo] = []
    for p in fi.params:  # fixtures the test requests by name
        helpers += [registry.by_id[fid][1] for fid in registry.by_name.get(p.name.value, ())[:3]
                    if is_fixture(registry.by_id[fid][1])]
    for e in ctx.pf.of(cst.Call):  # test helpers and factories it calls
        if e.func is fi and isinstance(e.node, cst.Call) and isinstance(e.node.func, cst.Name):
            callee = registry.resolve(ctx.pf, e.node.func, fi)
            if callee is not None and callee.cls is None and registry.by_id[callee.func_id][0].layer == "test":
                helpers.append(callee)
    for helper in {id(h): h for h in helpers}.values():
        if helper is not fi and _names_any(registry.by_id[helper.func_id][0].code(helper.node), classes):
            return True
    return False


def _names_any(code: str, names: list[str]) -> bool:
    return any(name in code and re.search(rf"\b{re.escape(name)}\b", code) for name in names)


def _orm_object(ctx: FileCtx, fi: FuncInfo | None, attr: cst.Attribute) -> bool:
    """Is `attr` a key attribute of an object of an affected ORM class (`item.id`, `ContentItem.id`)?"""
    model = ctx.model
    base = attr.value
    cls = base.value if isinstance(base, cst.Name) and base.value in model.orm else \
        ctx.flow.instance_class(ctx.pf, fi, base)
    return cls is not None and attr.attr.value in model.orm[cls].key_attrs


def _field_key(ctx: FileCtx, node: cst.BaseExpression) -> tuple[str, str] | None:
    """`result.cancelled` of a record whose field `cancelled` was learned to hold keys (a result object a service
    returns; specific names only, as for JSON fields)."""
    if not isinstance(node, cst.Attribute) or node.attr.value.lower() in _GENERIC:
        return None
    name = node.attr.value
    for rec, fields in ctx.model.schema_fields.items():
        if name in fields:
            return f"field `{name}` of {rec} holds the key ({_short(fields[name])})", ctx.model.default_target
    return None


def _cursor_fields(ctx: FileCtx) -> set[str]:
    return {f for fields in ctx.model.schema_fields.values() for f in fields}


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) < 70 else text[:69] + "…"


class TestJsonIdAssert(PyRule):
    """A test assertion comparing a JSON id with an ORM id.

    Anti-pattern: `assert resp.json()["id"] == item.id` — JSON carries the UUID as a string, the ORM
    attribute is a `uuid.UUID`: the assertion fails although the API is right. Best practice: compare
    `str(item.id)` (or parse the JSON side).

    Not for bigint: JSON returns an int8 as a number equal to the Python int.
    """

    code, name, layer, kind = "PY082", "test.json_id_assert", "test", "hazard"
    APPLIES_TO = NOT_BIGINT
    VALID = [Valid("def test_x(resp, user):\n    assert resp.json()['id'] == user.id\n", path="tests/test_x.py"),
             # a test's own record of what the API returned: the same JSON string on both sides
             Valid("from dataclasses import dataclass\nfrom app.models import ContentItem\n"
                   "@dataclass\nclass Created:\n    content_id: int\n"
                   "def test_x(client):\n    made = Created(content_id=client.post('/items').json()['id'])\n"
                   "    assert client.get('/images/1').json()['content_id'] == made.content_id\n",
                   path="tests/test_x.py")]
    INVALID = [Invalid("from app.models import ContentItem\n"
                       "def test_x(resp, item: ContentItem):\n    assert resp.json()['id'] == item.id\n",
                       line=3, path="tests/test_x.py")]
    # objects from fixtures: the `item` fixture's return value, a factory fixture's product; `user` is no key
    _FIXTURES = ("### tests/conftest.py\nimport pytest\nfrom app.models import ContentItem, User\n"
                 "@pytest.fixture\ndef item(session):\n    obj = ContentItem(title='x')\n    session.add(obj)\n"
                 "    return obj\n@pytest.fixture\ndef user(session):\n    return User()\n"
                 "@pytest.fixture\ndef make_item(session):\n    def _make(**kw):\n        obj = ContentItem(**kw)\n"
                 "        session.add(obj)\n        return obj\n    return _make\n"
                 "### tests/test_items.py\n"
                 "def test_get(client, item, make_item, user):\n    other = make_item(title='y')\n"
                 "    assert client.get(f'/items/{item.id}').json()['id'] == item.id\n"
                 "    assert client.get(f'/items/{other.id}').json()['id'] == other.id\n"
                 "    assert client.get(f'/users/{user.id}').json()['id'] == user.id\n")
    INVALID += [Invalid(_FIXTURES, line=3, path="tests/test_items.py"),
                Invalid(_FIXTURES, line=4, path="tests/test_items.py")]
    VALID += [Valid(_FIXTURES.split("### tests/test_items.py")[0] + "### tests/test_items.py\n"
                    "def test_user(client, user, item):\n"
                    "    assert client.get(f'/users/{user.id}').json()['id'] == user.id\n",
                    path="tests/test_items.py")]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        pf = ctx.pf
        if pf.layer != "test":
            return
        for entry in pf.of(cst.Comparison):
            node = entry.node
            assert isinstance(node, cst.Comparison)
            sides = [node.left, *[c.comparator for c in node.comparisons]]
            json_side = any(isinstance(s, cst.Subscript) and _json_key(ctx, s, entry.func) for s in sides)
            # the other side is a mapped object's key (a uuid.UUID), not a value kept from JSON (`user.user_id` of a
            # test's own record, which is the same string)
            orm = next((ev for s in sides if isinstance(s, cst.Attribute) and _orm_object(ctx, entry.func, s)
                        for ev in [ctx.key(entry.func, s)] if ev), None)
            comp_ops = all(isinstance(c.operator, (cst.Equal, cst.NotEqual, cst.GreaterThan, cst.LessThan))
                           for c in node.comparisons)
            if comp_ops and json_side and orm:
                yield ctx.finding(self, node, ctx.symbol(entry.func),
                                  f"`{_short(pf.code(node))}` compares a JSON id with an ORM id", evidence=orm[0],
                                  target=orm[1], layer="test", review="compare str(item.id)")
            elif comp_ops and len(sides) == 2 and all(isinstance(s, cst.Subscript) and _json_key(ctx, s, entry.func)
                                                      for s in sides) and \
                    not all(isinstance(c.operator, (cst.Equal, cst.NotEqual)) for c in node.comparisons):
                yield ctx.finding(self, node, ctx.symbol(entry.func),
                                  f"`{_short(pf.code(node))}` orders JSON ids", evidence="JSON id fields",
                                  layer="test", review="UUIDs have no order")
