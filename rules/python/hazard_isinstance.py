from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid

from analyzer.models import NOT_BIGINT, Finding
from analyzer.python import facts


class IsInstanceInt(PyRule):
    """`isinstance(x, int)` on a key.

    Anti-pattern: `isinstance(content_id, int)` — always False for a UUID. Best practice: check for
    the key type (`isinstance(x, uuid.UUID)`) or parse.

    Not for bigint: a bigint key is still an `int`.
    """

    code, name, layer, kind = "PY066", "hazard.isinstance", "service", "hazard"
    APPLIES_TO = NOT_BIGINT
    VALID = [Valid("def f(page):\n    return isinstance(page, int)\n")]
    INVALID = [Invalid("def ok(content_id) -> bool:\n    return isinstance(content_id, int)\n", line=2)]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        for entry in ctx.pf.of(cst.Call):
            call = entry.node
            assert isinstance(call, cst.Call)
            if not (isinstance(call.func, cst.Name) and call.func.value == "isinstance"):
                continue
            args = facts.positional(call)
            if len(args) != 2 or "int" not in ctx.pf.code(args[1].value):
                continue
            ev = ctx.key(entry.func, args[0].value)
            if ev is None:
                continue
            yield ctx.finding(self, call, ctx.symbol(entry.func), f"`{ctx.pf.code(call)}` tests the key for int",
                              evidence=ev[0], target=ev[1], layer=ctx.layer_of(entry.func, "other"),
                              review="test for the new key type")
