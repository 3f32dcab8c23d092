from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid, find_all
from analyzer.rules.python.pydantic_field import record_key_fields

from analyzer.models import ANY_TARGET, NOT_BIGINT, Edit, Finding
from analyzer.python import facts
from analyzer.python.walk import find

_BOUNDS = {"gt", "ge", "lt", "le", "multiple_of"}
_MAKERS = {"Field", "Path", "Query", "Body", "Form", "Header", "conint", "Param"}
INT8_MAX = 2**63 - 1


def _bounds(node: cst.CSTNode) -> list[cst.Arg]:
    """`gt=0`-style keyword arguments of Field/Path/Query/conint calls anywhere inside `node`."""
    return [a for call in find(node, cst.Call) if facts.callee_name(call) in _MAKERS
            for a in call.args if a.keyword is not None and a.keyword.value in _BOUNDS]


def _caps(arg: cst.Arg) -> bool:
    """An upper bound (`le=2**31 - 1`, `lt=2147483648`) that a bigint key outgrows: a constant below int8's max."""
    if arg.keyword is None or arg.keyword.value not in ("le", "lt"):
        return False
    value = const_int(arg.value)
    return value is not None and value < INT8_MAX


def const_int(node: cst.BaseExpression) -> int | None:
    """The value of an integer constant expression (`2147483647`, `2_147_483_647`, `2**31 - 1`), else None."""
    if isinstance(node, cst.Integer):
        try:
            return int(node.value.replace("_", ""), 0)
        except ValueError:
            return None
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = const_int(node.expression)
        return -inner if inner is not None else None
    if isinstance(node, cst.BinaryOperation):
        left, right = const_int(node.left), const_int(node.right)
        if left is None or right is None:
            return None
        op = node.operator
        if isinstance(op, cst.Power) and 0 <= right <= 64:
            return int(left**right)
        if isinstance(op, cst.Add):
            return left + right
        if isinstance(op, cst.Subtract):
            return left - right
        if isinstance(op, cst.Multiply):
            return left * right
    return None


class NumericConstraint(PyRule):
    """A numeric bound (`gt=0`, `ge=1`, `le=...`) on a field or parameter that holds the key.

    Anti-pattern: `content_id: int = Path(gt=0)`, `image_id: Annotated[int, Field(gt=0)]`,
    `PositiveContentId = Annotated[int, Field(gt=0)]` — a UUID cannot be compared with 0; validation
    errors at startup or on every request. Best practice: drop the bound with the type change; let the
    key type validate the shape.

    UUID and text: every bound. Bigint: only an upper bound the key outgrows (`le=2**31 - 1`,
    `lt=2147483648`, `conint(le=...)`, any constant below int8's maximum), which rejects every id past it;
    the fix drops that bound and keeps `gt=0`, which still holds for an int8.
    """

    code, name, layer, kind = "PY021", "pydantic.numeric_constraint", "pydantic", "hazard"
    APPLIES_TO = ANY_TARGET
    fixable = True
    VALID = [Valid("from typing import Annotated\nfrom pydantic import BaseModel, Field\n"
                   "class Size(BaseModel):\n    width: Annotated[int, Field(gt=0, le=4096)]\n    user_id: int = Field(gt=0)\n"),
             # bigint: a lower bound still holds for an int8
             Valid("from typing import Annotated\nfrom pydantic import BaseModel, Field\n"
                   "class ThumbIn(BaseModel):\n    content_id: Annotated[int, Field(gt=0)]\n", to="BIGINT")]
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
        # bigint: the int4 ceiling goes, the lower bound stays
        Invalid("from pydantic import BaseModel, Field\n"
                "class ThumbIn(BaseModel):\n    content_id: int = Field(gt=0, le=2**31 - 1)\n",
                line=3, message_contains="le", to="BIGINT", expected_fix="    content_id: int = Field(gt=0)"),
        Invalid("from pydantic import BaseModel, conint\n"
                "class ThumbIn(BaseModel):\n    content_id: conint(ge=1, lt=2147483648)\n",
                line=3, message_contains="lt", to="BIGINT", expected_fix="    content_id: conint(ge=1)"),
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
        aliases = ctx.model.type_aliases
        for entry in (*pf.of(cst.Assign), *pf.of(cst.AnnAssign)) if aliases else ():
            if entry.func is not None:
                continue  # (a module-level alias only: asked before reading the statement)
            name, value = facts._simple_assign(entry.node)
            if name and name in aliases and value is not None:
                found = _bounds(value)
                if found:
                    yield self._at(ctx, entry.node, name, found, ctx.model.type_aliases[name], None)

    def _at(self, ctx: FileCtx, node: cst.CSTNode, symbol: str, bounds: list[cst.Arg], why: str, fi) -> Finding:  # type: ignore[no-untyped-def]
        layer = ctx.layer_of(fi, "pydantic") if fi is not None else (ctx.pf.layer or "pydantic")
        caps = [a for a in bounds if _caps(a)]
        if ctx.model.to_type == "BIGINT" and caps:
            written = ", ".join(ctx.pf.code(a).strip().rstrip(",") for a in caps)
            return ctx.finding(self, node, symbol, f"numeric bound {written} caps the key below bigint's range",
                               evidence=why, layer=layer, review="drop the upper bound with the widening",
                               edits=_drop_bounds(ctx, node, caps_only=True))
        names = sorted({a.keyword.value for a in bounds if a.keyword is not None})
        return ctx.finding(self, node, symbol, f"numeric bound {', '.join(names)} on the key",
                           evidence=why, layer=layer, review="drop the bound with the type change",
                           edits=_drop_bounds(ctx, node), applies_to=ANY_TARGET if caps else NOT_BIGINT)


def _drop_bounds(ctx: FileCtx, node: cst.CSTNode, caps_only: bool = False) -> tuple[Edit, ...]:
    """Remove `gt=0`-style arguments from the Field/Path/Query calls in `node` (a UUID or text key cannot be
    compared with a number: pydantic rejects every value). Only the arguments and their separators go.
    `caps_only` (bigint): only the upper bounds the key outgrows, from `conint` too."""
    if not caps_only and not ctx.model.python_type()[0]:
        return ()
    pf = ctx.pf
    out: list[Edit] = []
    for call in find_all(node, cst.Call):
        assert isinstance(call, cst.Call)
        if facts.callee_name(call) not in (_MAKERS if caps_only else _MAKERS - {"conint"}):
            continue
        args = list(call.args)
        drop = [i for i, a in enumerate(args) if a.keyword is not None and a.keyword.value in _BOUNDS
                and (not caps_only or _caps(a))]
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
