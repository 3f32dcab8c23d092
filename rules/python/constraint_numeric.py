from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid
from analyzer.rules.python.pydantic_field import record_key_fields

from analyzer.models import Finding
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
    VALID = [Valid("from typing import Annotated\nfrom pydantic import BaseModel, Field\n"
                   "class Size(BaseModel):\n    width: Annotated[int, Field(gt=0, le=4096)]\n    user_id: int = Field(gt=0)\n")]
    INVALID = [
        Invalid("from typing import Annotated\nfrom pydantic import BaseModel, Field\n"
                "class ThumbIn(BaseModel):\n    content_id: Annotated[int, Field(gt=0)]\n", line=4,
                message_contains="gt"),
        Invalid("from fastapi import APIRouter, Path\nrouter = APIRouter()\n"
                "@router.get('/images/{content_id}')\ndef get(content_id: int = Path(ge=1)): ...\n", line=4),
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
                           evidence=why, layer=layer, review="drop the bound with the type change")
