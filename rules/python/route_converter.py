from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid

from analyzer.models import NOT_BIGINT, Edit, Finding
from analyzer.python import facts

_CONVERTER = re.compile(r"{(\w+):(int)}")


class RouteConverter(PyRule):
    """A route template that converts the key with `{name:int}`.

    Anti-pattern: `@router.get("/contents/{content_id:int}")` — a UUID never matches, the route 404s.
    Best practice: `{content_id:uuid}` (Starlette's converter) or a plain `{content_id}` with a typed
    parameter.

    Not for bigint: Starlette's `int` converter matches any number of digits.
    """

    code, name, layer, kind = "PY032", "fastapi.path_converter", "route", "must_change"
    APPLIES_TO = NOT_BIGINT
    fixable = True
    VALID = [Valid("from fastapi import APIRouter\nrouter = APIRouter()\n"
                   "@router.get('/users/{user_id:int}')\ndef get(user_id: int): ...\n")]
    INVALID = [Invalid("from fastapi import APIRouter\nrouter = APIRouter()\n"
                       "@router.get('/images/{content_id:int}')\ndef get(content_id): ...\n",
                       line=3, expected_fix="@router.get('/images/{content_id:uuid}')")]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        new = {"UUID": "uuid", "TEXT": "str"}.get(ctx.model.to_type)
        for fi in ctx.pf.functions:
            if fi.route is None:
                continue
            for d in fi.decorators:
                if not isinstance(d.decorator, cst.Call):
                    continue
                args = facts.positional(d.decorator)
                if not args or not isinstance(args[0].value, cst.SimpleString):
                    continue
                node = args[0].value
                start, _ = ctx.pf.offsets(node)
                for m in _CONVERTER.finditer(node.value):
                    if m.group(1) not in fi.env:
                        continue
                    edits = (Edit(start + m.start(2), start + m.end(2), new),) if new else ()
                    yield ctx.finding(self, node, f"{fi.qualname}.{m.group(1)}",
                                      f"route converts `{m.group(1)}` with `:int`", evidence=fi.env[m.group(1)],
                                      edits=edits)
