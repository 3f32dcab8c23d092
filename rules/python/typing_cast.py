from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid

from analyzer.models import NOT_BIGINT, Finding

_HEAD = "from typing import Optional, cast\n\nfrom app.models import ContentItem, Image\n"
TYPING = ("typing", "typing_extensions")


class KeyTypingCast(PyRule):
    """`typing.cast(int, ...)` of a value that holds the key.

    Anti-pattern: `publish(cast(int, arguments["content_id"]))` in a job runner reading a decoded message, or
    `cast(int | None, image.content_id)` — the cast states the key's type as firmly as an annotation: once the
    key is a UUID, mypy believes it and reports the call into the retyped service, and a reader takes the value
    for a number. Best practice: cast to the new key type (`cast(uuid.UUID, ...)`).

    The value holds the key by data flow (a key column, a key-named field of a payload, a key variable). Casts of
    other ids and counts, `cast(str, ...)` and SQLAlchemy's `cast(expr, Type)` (an SQL CAST, type second) are
    left alone. Not for bigint: an `int` holds a bigint key.
    """

    code, name, layer, kind = "PY057", "typing.key_cast", "service", "must_change"
    APPLIES_TO = NOT_BIGINT
    fixable = True
    VALID = [
        Valid(_HEAD + "def page_of(arguments: dict[str, object]) -> int:\n"
                      "    return cast(int, arguments.get('page', 1)) + cast(int, arguments['message_id'])\n"),
        Valid(_HEAD + "def label(arguments: dict[str, object]) -> str:\n    return cast(str, arguments['content_id'])\n"),
        Valid("from sqlalchemy import String, cast, select\nfrom app.models import ContentItem\n\n"
              "def titles(s):\n    return s.execute(select(cast(ContentItem.id, String), ContentItem.title)).all()\n"),
    ]
    INVALID = [
        Invalid(_HEAD + "def publish(content_id: int) -> None: ...\n\n\n"
                "def run(arguments: dict[str, object]) -> None:\n"
                "    publish(cast(int, arguments['content_id']))\n",
                line=8, message_contains="casts the key to `int`",
                expected_fix="    publish(cast(uuid.UUID, arguments['content_id']))"),
        Invalid(_HEAD + "def owner(image: Image):\n    ref = cast(Optional[int], image.content_id)\n    return ref\n",
                line=5, expected_fix="    ref = cast(Optional[uuid.UUID], image.content_id)"),
    ]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        pf = ctx.pf
        for entry in pf.calls_named(("cast",)):
            call = entry.node
            assert isinstance(call, cst.Call)
            if len(call.args) != 2 \
                    or any(a.keyword is not None or a.star for a in call.args) \
                    or not pf.resolves_to(call.func, "cast", packages=TYPING):
                continue
            typ, value = call.args[0].value, call.args[1].value
            if not ctx.has_int(typ):
                continue
            ev = ctx.key(entry.func, value)
            if not ev:
                continue
            edits = ctx.int_edits(typ)
            if edits or not ctx.model.int_changes:
                yield ctx.finding(self, call, ctx.symbol(entry.func),
                                  f"`{pf.code(call)}` casts the key to `{pf.code(typ)}`",
                                  evidence=ev[0], target=ev[1], edits=edits,
                                  layer=ctx.layer_of(entry.func, "service"))
