from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid, find_all
from analyzer.rules.python.pydantic_field import record_key_fields

from analyzer.models import Edit, Finding
from analyzer.python import facts

_BOUNDS = {"gt", "ge", "lt", "le", "multiple_of"}
_MAKERS = {"Field", "Path", "Query", "Body", "Form", "Header", "conint", "Param"}


def _bounds(node: cst.CSTNode) -> list[str]:
    """`gt=0`-style keyword arguments of Field/Path/Query/conint calls anywhere inside `node`."""
    out: list[str] = []

    class V(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            if facts.callee_name(call) in _MAKERS:
                out.extend(a.keyword.value for a in call.args if a.keyword is not None and a.keyword.value in _BOUNDS)

    node.visit(V())
    return out


class NumericConstraint(PyRule):
    """A numeric bound (`gt=0`, `ge=1`, `le=...`) on a field or parameter that holds the key.

    Anti-pattern: `content_id: int = Path(gt=0)`, `image_id: Annotated[int, Field(gt=0)]`,
    `PositiveContentId = Annotated[int, Field(gt=0)]` — a UUID cannot be compared with 0; validation
    errors at startup or on every request. Best practice: drop the bound with the type change; let the
    key type validate the shape.
    """

    code, name, layer, kind = "PY021", "pydantic.numeric_constraint", "pydantic", "hazard"
    APPLIES_TO = ("UUID", "TEXT")
    fixable = True
    VALID = [Valid("from typing import Annotated\nfrom pydantic import BaseModel, Field\n"
                   "class Size(BaseModel):\n    width: Annotated[int, Field(gt=0, le=4096)]\n    user_id: int = Field(gt=0)\n")]
    INVALID = [
        Invalid("from typing import Annotated\nfrom pydantic import BaseModel, Field\n"
                "class ThumbIn(BaseModel):\n    content_id: Annotated[int, Field(gt=0)]\n", line=4,
                message_contains="gt", expected_fix="    content_id: Annotated[int, Field()]"),
        Invalid("from fastapi import APIRouter, Path\nrouter = APIRouter()\n"
                "@router.get('/images/{content_id}')\ndef get(content_id: int = Path(ge=1)): ...\n", line=4,
                expected_fix="def get(content_id: int = Path()): ..."),
        Invalid("from fastapi import APIRouter, Path\nrouter = APIRouter()\n"
                "@router.get('/images/{content_id}')\ndef get(content_id: int = Path(..., ge=1, le=10)): ...\n",
                line=4, expected_fix="def get(content_id: int = Path(...)): ..."),
        Invalid("from typing import Annotated\nfrom pydantic import BaseModel, Field\n"
                "class ThumbIn(BaseModel):\n    content_id: int = Field(gt=0, description='the item', le=9,)\n",
                line=4, expected_fix="    content_id: int = Field(description='the item',)"),
        Invalid("from typing import Annotated\nfrom pydantic import BaseModel, Field\n"
                "class ThumbIn(BaseModel):\n    content_id: int = Field(gt=0, )\n",
                line=4, expected_fix="    content_id: int = Field()"),
    ]

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        pf = ctx.pf
        for cls in pf.classes:
            if facts.record_kind(pf, cls, ctx.record_kinds) is None:
                continue
            for attr, why in record_key_fields(ctx, cls):
                found = _bounds(attr.stmt)
                if found:
                    yield self._at(ctx, attr.stmt, f"{cls.name.value}.{attr.name}", found, why, None)
        for fi in pf.functions:
            for p in fi.params:
                if p.name.value in fi.env:
                    found = _bounds(p)
                    if found:
                        yield self._at(ctx, p, f"{fi.qualname}.{p.name.value}", found, fi.env[p.name.value], fi)
        for entry in (*pf.of(cst.Assign), *pf.of(cst.AnnAssign)):
            name, value = facts._simple_assign(entry.node)
            if entry.func is None and name and name in ctx.model.type_aliases and value is not None:
                found = _bounds(value)
                if found:
                    yield self._at(ctx, entry.node, name, found, ctx.model.type_aliases[name], None)

    def _at(self, ctx: FileCtx, node: cst.CSTNode, symbol: str, bounds: list[str], why: str, fi) -> Finding:  # type: ignore[no-untyped-def]
        layer = ctx.layer_of(fi, "pydantic") if fi is not None else (ctx.pf.layer or "pydantic")
        return ctx.finding(self, node, symbol, f"numeric bound {', '.join(sorted(set(bounds)))} on the key",
                           evidence=why, layer=layer, review="drop the bound with the type change",
                           edits=_drop_bounds(ctx, node))


def _drop_bounds(ctx: FileCtx, node: cst.CSTNode) -> tuple[Edit, ...]:
    """Remove `gt=0`-style arguments from the Field/Path/Query calls in `node` (a UUID or text key cannot be
    compared with a number: pydantic rejects every value). Only the arguments and their separators go."""
    if not ctx.model.python_type()[0]:
        return ()  # BIGINT: the bound is still meaningful
    pf = ctx.pf
    out: list[Edit] = []
    for call in find_all(node, cst.Call):
        assert isinstance(call, cst.Call)
        if facts.callee_name(call) not in _MAKERS - {"conint"}:
            continue
        args = list(call.args)
        drop = [i for i, a in enumerate(args) if a.keyword is not None and a.keyword.value in _BOUNDS]
        if not drop or any(a.star for a in args):
            continue
        if len(drop) == len(args):  # Field(gt=0) / Path(ge=1,) -> Field() / Path()
            start = pf.offsets(args[0].keyword or args[0].value)[0]
            out.append(Edit(start, pf.offsets(call)[1] - 1, ""))
            continue
        runs: list[list[int]] = []  # contiguous runs of dropped arguments
        for i in drop:
            if runs and runs[-1][-1] == i - 1:
                runs[-1].append(i)
            else:
                runs.append([i])
        merged: list[tuple[int, int]] = []
        for run in runs:
            first, last = args[run[0]], args[run[-1]]
            assert first.keyword is not None
            if run[-1] + 1 < len(args):  # up to the next kept argument
                nxt = args[run[-1] + 1]
                merged.append((pf.offsets(first.keyword)[0], pf.offsets(nxt.keyword or nxt.value)[0]))
            else:  # a trailing run: from the end of the last kept argument's value
                merged.append((pf.offsets(args[run[0] - 1].value)[1], pf.offsets(last.value)[1]))
        out += [Edit(a0, b0, "") for a0, b0 in merged]
    return tuple(out)
