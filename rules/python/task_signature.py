from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid

from analyzer.models import NOT_BIGINT, Finding
from analyzer.python import facts
from analyzer.python.parsed import FuncInfo

_HEAD = "from celery import Celery, shared_task\napp = Celery('w')\n"


def converted_at_boundary(fi: FuncInfo, param: str) -> bool:
    """Does the task rebind an untyped parameter to its parsed value (`ref = int(ref)`, `uuid.UUID(ref)`)?
    Then the JSON value a message carries is parsed in one place, and only that parse changes."""
    for node in fi.body_nodes or ():
        if isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name) \
                and node.targets[0].target.value == param and isinstance(node.value, cst.Call) \
                and facts.callee_name(node.value) in ("int", "UUID", "str") and node.value.args \
                and isinstance(node.value.args[0].value, cst.Name) and node.value.args[0].value.value == param:
            return True
    return False


class CeleryTaskSignature(PyRule):
    """A Celery task parameter that receives the key.

    Anti-pattern: `@app.task def render(content_id: int)` — queued messages carry the id as JSON, so
    after the change the task receives a string, and messages already queued still carry ints.
    Best practice: type the parameter with the new key type, convert at the task boundary
    (`uuid.UUID(content_id)`) and drain or version the queue during the deploy.

    Not for bigint: Python's int has no width; the task's `int` parameter takes a bigint key.
    """

    code, name, layer, kind = "PY040", "celery.task_signature", "task", "must_change"
    APPLIES_TO = NOT_BIGINT
    fixable = True
    VALID = [Valid(_HEAD + "@app.task\ndef send_digest(user_id: int, page: int = 0): ...\n"),
             # converted at the boundary: the `int(ref)` is the change (PY060), not the untyped signature
             Valid(_HEAD + "from app.models import ContentItem\n@shared_task(bind=True)\ndef reindex(self, ref):\n"
                           "    ref = int(ref)\n    return ref\ndef publish(item: ContentItem):\n    reindex.delay(item.id)\n")]
    INVALID = [
        Invalid(_HEAD + "@app.task(bind=True)\ndef render(self, content_id: int): ...\n",
                line=4, expected_fix="def render(self, content_id: uuid.UUID): ..."),
        Invalid(_HEAD + "from app.models import ContentItem\n@shared_task\ndef reindex(doc_key):\n"
                "    return doc_key\ndef publish(item: ContentItem):\n    reindex.delay(item.id)\n",
                line=5, message_contains="(ContentItem.id)"),
    ]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        for fi in ctx.pf.functions:
            if not fi.task:
                continue
            for p in fi.params:
                name = p.name.value
                if name not in fi.env:
                    continue
                ann = p.annotation.annotation if p.annotation is not None else None
                if ann is not None and not ctx.has_int(ann):
                    continue
                if ann is None and converted_at_boundary(fi, name):
                    continue  # `vehicle_id = int(vehicle_id)`: that conversion is what changes (PY060)
                yield ctx.finding(self, p, f"{fi.qualname}.{name}",
                                  f"task parameter `{name}` receives the key"
                                  + (f" and is typed `{ctx.pf.code(ann)}`" if ann is not None else ""),
                                  evidence=fi.env[name], edits=ctx.int_edits(ann),
                                  review="" if ann is not None else
                                  "convert the JSON value at the task boundary (uuid.UUID(x))")
