from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid

from analyzer.models import NOT_BIGINT, Edit, Finding
from analyzer.python import facts


class KeyTypeAlias(PyRule):
    """A type alias or NewType for the key defined on `int`.

    Anti-pattern: `ContentId = int` / `ContentId = NewType("ContentId", int)`. Best practice: change the
    alias once (`ContentId = uuid.UUID`); everything annotated with it follows.

    Not for bigint: Python's int has no width; an alias of `int` holds a bigint key.
    """

    code, name, layer, kind = "PY052", "typing.alias", "service", "must_change"
    APPLIES_TO = NOT_BIGINT
    fixable = True
    VALID = [Valid("from typing import NewType\nUserId = NewType('UserId', int)\nPage = int\n"),
             Valid("from typing import Annotated\nfrom pydantic import BaseModel, Field\n"
                   "OrderRef = Annotated[int, Field(gt=0)]\nclass ShipmentIn(BaseModel):\n    order_id: OrderRef\n")]
    INVALID = [
        Invalid("from typing import NewType\nContentItemId = NewType('ContentItemId', int)\n",
                line=2, expected_fix="ContentItemId = NewType('ContentItemId', uuid.UUID)"),
        Invalid("from typing import TypeAlias\nContentId: TypeAlias = int\n", line=2,
                expected_fix="ContentId: TypeAlias = uuid.UUID"),
        Invalid("from typing import Annotated\nfrom pydantic import BaseModel, Field\n"
                "Ref = Annotated[int, Field(description='the item')]\n"
                "class ThumbIn(BaseModel):\n    content_id: Ref\n", line=3, message_contains="ThumbIn.content_id",
                expected_fix="Ref = Annotated[uuid.UUID, Field(description='the item')]"),
    ]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        pf, model = ctx.pf, ctx.model
        for entry in (*pf.of(cst.Assign), *pf.of(cst.AnnAssign)):
            if entry.func is not None or entry.cls is not None:
                continue
            name, value = facts._simple_assign(entry.node)
            if not name or name not in model.type_aliases or value is None \
                    or not facts.alias_value_is_int(pf, value):
                continue
            node = value if isinstance(value, cst.Name) else facts.positional(value)[1].value \
                if isinstance(value, cst.Call) else value
            edits: tuple[Edit, ...] = ctx.int_edits(node)
            yield ctx.finding(self, entry.node, name, f"type alias `{name}` for the key is `int`",
                              evidence=model.type_aliases[name], edits=edits, layer=ctx.layer_of(None, "other"))
