from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid

from analyzer.models import NOT_BIGINT, Finding

_CHECKS = {"isdigit", "isnumeric", "isdecimal"}


class IsDigit(PyRule):
    """`str.isdigit()` used to validate a key.

    Anti-pattern: `if not raw_id.isdigit(): raise ...` — every UUID fails the check. Best practice:
    validate by parsing with the key type (`uuid.UUID(raw)` in a try block).

    Not for bigint: a bigint key is still all digits.
    """

    code, name, layer, kind = "PY061", "hazard.isdigit", "service", "hazard"
    APPLIES_TO = NOT_BIGINT
    VALID = [Valid("def f(page: str):\n    return page.isdigit()\n")]
    INVALID = [Invalid("def check(content_id: str) -> bool:\n    return content_id.isdigit()\n", line=2)]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        for entry in ctx.pf.of(cst.Call):
            call = entry.node
            assert isinstance(call, cst.Call)
            f = call.func
            if not (isinstance(f, cst.Attribute) and f.attr.value in _CHECKS):
                continue
            ev = ctx.key(entry.func, f.value)
            if ev is None:
                continue
            yield ctx.finding(self, call, ctx.symbol(entry.func), f"`{ctx.pf.code(call)}` validates the key as digits",
                              evidence=ev[0], target=ev[1], layer=ctx.layer_of(entry.func, "other"),
                              review="validate by parsing with the new key type")
