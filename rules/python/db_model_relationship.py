from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid

from analyzer.models import NOT_BIGINT, Finding
from analyzer.python import facts

_HINTS = ("foreign_keys", "primaryjoin", "secondaryjoin", "remote_side")
_HEAD = "from sqlalchemy.orm import relationship, Mapped\nfrom app.models import Base, Image, User\n"


class RelationshipHint(PyRule):
    """A `relationship()` whose join hints name a key column (context, not a change by itself).

    Anti-pattern: none — `foreign_keys=[Image.content_id]` or a `primaryjoin` string over the key keeps
    working once both sides change type together. Listed so reviewers check polymorphic joins
    (`entity_type`/`entity_id`) and casts in join conditions, which do break when only one side changes.

    Not for bigint: the databases compare an int4 with an int8 without a cast, so a join stays right while
    its two sides are widened one at a time.
    """

    code, name, layer, kind = "PY002", "sqlalchemy.relationship", "db-model", "info"
    APPLIES_TO = NOT_BIGINT
    VALID = [Valid(_HEAD + "class A(Base):\n    __tablename__ = 'a'\n"
                           "    owner = relationship('User', foreign_keys='A.owner_id')\n")]
    INVALID = [Invalid(_HEAD + "class Gallery(Base):\n    __tablename__ = 'galleries'\n"
                               "    images = relationship('Image', primaryjoin='Image.content_id == Gallery.id',"
                               " viewonly=True)\n", line=5, message_contains="content_id")]
    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same join is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        pf, model = ctx.pf, ctx.model
        attrs = {f"{c}.{a}" for c, o in model.orm.items() for a in o.key_attrs}
        for entry in pf.calls_resolving(("relationship",)):
            call = entry.node
            assert isinstance(call, cst.Call)
            if entry.cls is None or not facts.is_sqla(pf, call.func, "relationship"):
                continue
            for a in call.args:
                if a.keyword is None or a.keyword.value not in _HINTS:
                    continue
                text = pf.code(a.value)
                named = sorted(x for x in attrs if re.search(rf"\b{re.escape(x)}\b", text))
                if named:
                    yield ctx.finding(self, call, f"{entry.cls.name.value}.relationship",
                                      f"relationship {a.keyword.value} joins on {', '.join(named)}",
                                      evidence=f"{', '.join(named)} hold the key", kind="info")
                    break
