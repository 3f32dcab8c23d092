from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid

from analyzer.models import NOT_BIGINT, Finding
from analyzer.python import facts

_HEAD = ("from fastapi import APIRouter\nfrom sqlalchemy import func, select\n"
         "from app.models import ContentItem, Image, User\nrouter = APIRouter()\n")


class FastApiResponseModel(PyRule):
    """A route's `response_model` that types the key it returns as `int`.

    Anti-pattern: `@router.get("/contents/ids", response_model=list[int])` over a handler returning
    `select(ContentItem.id)` — FastAPI validates the response against `list[int]` and every UUID fails
    (a 500 in production). Best practice: `response_model=list[uuid.UUID]` (the OpenAPI schema follows).

    The handler's result is known to hold the key by data flow (ids gathered from a query, a helper that
    returns them), not by the route's name. Not for bigint: `int` validates an int8 id.
    """

    code, name, layer, kind = "PY033", "fastapi.response_model", "route", "must_change"
    APPLIES_TO = NOT_BIGINT
    fixable = True
    VALID = [Valid(_HEAD + "@router.get('/users/ids', response_model=list[int])\n"
                           "def user_ids(s=None):\n    return s.scalars(select(User.id)).all()\n"
                           "@router.get('/contents/count', response_model=int)\n"
                           "def count(s=None):\n    return s.scalar(select(func.count(ContentItem.id)))\n")]
    INVALID = [
        Invalid(_HEAD + "@router.get('/contents/ids', response_model=list[int])\n"
                        "def content_ids(s=None):\n    return s.scalars(select(ContentItem.id)).all()\n",
                line=5, message_contains="list[int]",
                expected_fix="@router.get('/contents/ids', response_model=list[uuid.UUID])"),
        Invalid(_HEAD + "def ids_of(rows):\n    return [r.id for r in rows]\n"
                        "@router.get(\n    '/images/{ref}/items',\n    response_model=dict[int, str],\n)\n"
                        "def titles(ref: str, s=None):\n    items = s.scalars(select(ContentItem)).all()\n"
                        "    return dict(zip(ids_of(items), [i.title for i in items]))\n",
                line=9, expected_fix="    response_model=dict[uuid.UUID, str],"),
    ]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        for fi in ctx.pf.functions:
            if fi.route is None:
                continue
            for d in fi.decorators:
                dec = d.decorator
                rm = facts.kwarg(dec, "response_model") if isinstance(dec, cst.Call) else None
                if rm is None or not ctx.has_int(rm.value):
                    continue
                why = self._returns_key(ctx, fi)
                if why is None:
                    continue
                values = [r.value for r in ctx.pf.returns_of(fi) if r.value is not None]
                edits, review = ctx.key_type_edits(fi, rm.value, values)
                yield ctx.finding(self, rm.value, f"{fi.qualname}",
                                  f"route {fi.qualname}() returns the key but declares "
                                  f"`response_model={ctx.pf.code(rm.value)}`", evidence=why, edits=edits,
                                  review=review)

    @staticmethod
    def _returns_key(ctx: FileCtx, fi) -> str | None:  # type: ignore[no-untyped-def]
        fk = ctx.model.returns.get(fi.func_id)
        if fk is not None:
            return fk.evidence
        for r in ctx.pf.returns_of(fi):  # dict(zip(ids, titles)): a mapping keyed by keys
            v = r.value
            if isinstance(v, cst.Call) and facts.callee_name(v) == "dict" and v.args \
                    and isinstance(v.args[0].value, cst.Call) and facts.callee_name(v.args[0].value) == "zip":
                inner = facts.positional(v.args[0].value)
                ev = ctx.key(fi, inner[0].value) if inner else None
                if ev:
                    return f"keyed by `{ctx.pf.code(inner[0].value)}`: {ev[0]}"
        return None
