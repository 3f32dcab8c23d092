from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid

from analyzer.models import NOT_BIGINT, Finding
from analyzer.python.flow import _calls
from analyzer.python.parsed import FuncInfo, ParsedFile
from analyzer.python.walk import find

_EVENT = '''\
import json

from app.models import ContentItem


def event_body(item: ContentItem) -> str:
    payload = {"type": "published", "content_id": item.id}
    return json.dumps(payload)
'''

_TOKEN = '''\
from datetime import datetime, timedelta

import jwt

from app.models import ContentItem


def create_access_token(data: dict, expires: timedelta) -> str:
    to_encode = data.copy()
    to_encode.update({"exp": datetime.utcnow() + expires})
    return jwt.encode(to_encode, "secret", algorithm="HS256")


def share_link(item: ContentItem) -> str:
    token_data = {"share": True, "id": item.id}
    return create_access_token(token_data, timedelta(days=7))
'''


class JsonPayloadKey(PyRule):
    """The key put into a payload that `json.dumps` serialises (a JWT's claims, a JSONResponse, an event body).

    Anti-pattern: `token_data = {"long_token": True, "id": current_user.id}; create_access_token(token_data)`
    where the helper calls `jwt.encode`: the standard `json` encoder (which PyJWT, python-jose and Starlette's
    JSONResponse use) raises `TypeError: Object of type UUID is not JSON serializable`. Best practice: put
    `str(current_user.id)` in the payload and parse it back with `uuid.UUID(...)` where it is read. A dict a FastAPI
    route returns is encoded by `jsonable_encoder` and is fine.

    The payload is a dict literal passed to the serialiser, directly or through a local name, or to a function of
    the scanned code that calls one (one level: `create_access_token(data)` -> `jwt.encode`).

    Not for bigint: an int8 is a JSON number.
    """

    code, name, layer, kind = "PY069", "hazard.json_payload", "other", "hazard"
    APPLIES_TO = NOT_BIGINT
    VALID = [
        Valid('''\
import json

import jwt

from app.models import ContentItem


def share_token(item: ContentItem) -> str:
    return jwt.encode({"id": str(item.id), "scope": "share"}, "secret", algorithm="HS256")


def cache_key(items: list[ContentItem]) -> str:
    return json.dumps({"ids": sorted(str(i.id) for i in items)})


def audit_lines(items: list[ContentItem]) -> str:
    return json.dumps({"ids": sorted(f"{i.id}" for i in items), "refs": [F"#{i.id}" for i in items]})


def raw_refs(items: list[ContentItem]) -> str:
    return json.dumps({"refs": sorted(fR"{i.id}" for i in items), "keys": sorted(Fr'{i.id}' for i in items)})
'''),
        Valid('''\
import json

from fastapi import APIRouter

from app.models import ContentItem

router = APIRouter()


@router.get("/items/{content_id}/summary")
def summary(content_id: int, page: int = 1) -> dict:
    item = ContentItem(id=content_id, title="draft")
    print(json.dumps({"page": page, "title": item.title}))
    return {"id": item.id, "title": item.title}
'''),
    ]
    INVALID = [
        Invalid(_EVENT, line=7, message_contains="`item.id` goes into a payload json.dumps serialises"),
        Invalid(_TOKEN, line=15, message_contains="jwt.encode in create_access_token()"),
        Invalid('''\
from fastapi.responses import JSONResponse

from app.models import ContentItem


def created(item: ContentItem) -> JSONResponse:
    return JSONResponse({"content_id": item.id}, status_code=201)
''', line=7, message_contains="JSONResponse"),
    ]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # an int8 is a JSON number

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        pf = ctx.pf
        helpers: dict[str, str | None] = {}
        for entry in pf.of(cst.Dict):
            node = entry.node
            fi = entry.func
            assert isinstance(node, cst.Dict)
            if fi is None:
                continue
            keyed = []
            for el in node.elements:
                if not isinstance(el, cst.DictElement) or _stringified(el.value, pf.code(el.value)):
                    continue
                ev = ctx.key(fi, el.value)
                if ev is not None:
                    keyed.append((el, ev))
            if not keyed:
                continue
            how = self._serialised(ctx, fi, node, helpers)
            if how is None:
                continue
            for el, ev in keyed:
                value = pf.code(el.value)
                yield ctx.finding(self, el, ctx.symbol(fi), f"`{value}` goes into a payload {how} serialises: a UUID "
                                  "is not JSON serializable", evidence=ev[0], target=ev[1],
                                  layer=ctx.layer_of(fi, "other"),
                                  review=f"put str({value}) in the payload and parse it back with uuid.UUID(...) "
                                         "where it is read")

    def _serialised(self, ctx: FileCtx, fi: FuncInfo, node: cst.Dict, helpers: dict[str, str | None]) -> str | None:
        """What serialises the dict `node` (built in `fi`): a call taking it, or the name it is bound to."""
        names = set()
        for entry in ctx.pf.of(cst.Assign):
            a = entry.node
            assert isinstance(a, cst.Assign)
            if entry.func is fi and a.value is node:
                names |= {t.target.value for t in a.targets if isinstance(t.target, cst.Name)}
        for call in _calls(fi.node.body):
            if not any(a.value is node or isinstance(a.value, cst.Name) and a.value.value in names for a in call.args):
                continue
            how = _serialiser(ctx.pf, call)
            if how is not None:
                return how
            callee = ctx.flow.registry.resolve(ctx.pf, call.func, fi)
            if callee is None or callee is fi:
                continue
            if callee.func_id not in helpers:
                cpf = ctx.flow.registry.by_id[callee.func_id][0]
                inner = next((h for c in _calls(callee.node.body) for h in [_serialiser(cpf, c)] if h), None)
                helpers[callee.func_id] = f"{inner} in {callee.qualname}()" if inner else None
            if helpers[callee.func_id]:
                return helpers[callee.func_id]
        return None


def _serialiser(pf: ParsedFile, call: cst.Call) -> str | None:
    """The standard-JSON serialiser `call` is, if any (orjson and FastAPI's jsonable_encoder handle a UUID)."""
    if pf.resolves_to(call.func, "dumps", "dump", packages=("json", "simplejson", "ujson")):
        return "json.dumps"
    if pf.resolves_to(call.func, "encode", packages=("jwt", "jose")):
        return "jwt.encode"
    if pf.resolves_to(call.func, "JSONResponse", packages=("starlette", "fastapi")):
        return "JSONResponse"
    return None


#: expressions with no expression under them
_LEAVES = frozenset({cst.Name, cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.Ellipsis})


#: what `_stringified`'s nodes are written with: `str`, `hex`, `urn`, an f-string's prefix ending at its quote (`f"`,
#: `rf'`, and `fR"`, where the `r` comes between)
_STRINGIFYING = re.compile(r"str|hex|urn|[fF][rR]?['\"]")


def _stringified(value: cst.BaseExpression, code: str) -> bool:
    """Made text somewhere on the way: `str(x)`, `x.hex`, an f-string, `sorted(str(v) for v in ids)`. `code`: the
    value as written (a value that holds none of those words is not walked: most, polar's rules 0.06 s)."""
    if type(value) in _LEAVES or not _STRINGIFYING.search(code):
        return False  # (nothing under it: spare the walk)
    return any(isinstance(node, cst.FormattedString) or isinstance(node, cst.Call) and isinstance(
        node.func, cst.Name) and node.func.value == "str" or isinstance(node, cst.Attribute) and
        node.attr.value in ("hex", "urn") for node in find(value, (cst.FormattedString, cst.Call, cst.Attribute)))
