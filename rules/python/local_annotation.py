from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid

from analyzer.models import NOT_BIGINT, Finding

_HEAD = "from sqlalchemy import select\nfrom app.models import ContentItem, Image\n"


class LocalKeyAnnotation(PyRule):
    """A local variable annotated `int` that holds the key.

    Anti-pattern: `current: int | None = content_id` in a loop walking a chain of rows (`current =
    s.scalar(select(X.parent_id)...)`) — mypy reports every assignment of a UUID to it once the key changes, and a
    reader takes it for a number. Best practice: annotate it with the new key type (or drop the annotation).

    The variable holds the key by data flow (what it is assigned), not by its name. Collections of keys are PY054's.
    Not for bigint: an `int` holds a bigint key.
    """

    code, name, layer, kind = "PY056", "local.key_annotation", "service", "must_change"
    APPLIES_TO = NOT_BIGINT
    fixable = True
    VALID = [Valid(_HEAD + "def walk(s, content_id: int, depth: int = 3) -> int:\n    steps: int = 0\n"
                           "    limit: int | None = depth\n    total: int = len([content_id])\n    return steps + total\n")]
    INVALID = [
        Invalid(_HEAD + "def chain(s, content_id: int) -> list:\n    out = []\n"
                "    current: int | None = content_id\n    while current is not None and len(out) < 20:\n"
                "        out.append(current)\n        current = s.scalar(select(Image.content_id).where(Image.id == current))\n"
                "    return out\n", line=5, expected_fix="    current: uuid.UUID | None = content_id"),
        Invalid(_HEAD + "def newest(s):\n    item = s.scalars(select(ContentItem)).first()\n"
                "    ref: int = item.id\n    return ref\n", line=5, message_contains="`ref`"),
    ]

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        pf = ctx.pf
        for entry in pf.of(cst.AnnAssign):
            node = entry.node
            assert isinstance(node, cst.AnnAssign)
            fi = entry.func
            ann = node.annotation.annotation
            if fi is None or node.value is None or not isinstance(node.target, cst.Name) or isinstance(ann, cst.Subscript) \
                    and not _optional(ann) or not ctx.has_int(ann):
                continue  # a local of a function, a scalar (`int`, `int | None`, `Optional[int]`): not a collection
            ev = ctx.key(fi, node.value)
            if not ev:
                continue
            edits = ctx.int_edits(ann)
            if edits or not ctx.model.int_changes:
                yield ctx.finding(self, node, ctx.symbol(fi, node.target.value),
                                  f"local `{node.target.value}` holds the key and is annotated `{pf.code(ann)}`",
                                  evidence=ev[0], target=ev[1], edits=edits, layer=ctx.layer_of(fi, "service"))


def _optional(ann: cst.Subscript) -> bool:
    return isinstance(ann.value, (cst.Name, cst.Attribute)) and (
        ann.value.value if isinstance(ann.value, cst.Name) else ann.value.attr.value) == "Optional"
