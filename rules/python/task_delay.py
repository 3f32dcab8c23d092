from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid
from analyzer.rules.python.task_signature import converted_at_boundary

from analyzer.models import NOT_BIGINT, Finding
from analyzer.python import facts
from analyzer.python.parsed import FuncInfo

_SEND = {"delay", "apply_async", "s", "si", "signature"}


class CeleryDelay(PyRule):
    """Enqueuing a Celery task with the key as an argument.

    Anti-pattern: `render.delay(item.id)` — the default JSON serializer cannot encode `uuid.UUID`
    (kombu raises at send time), and workers on the old code still expect ints. Best practice: send
    `str(item.id)` and convert in the task; deploy workers that accept both before producers change.

    Not for bigint: the JSON serializer sends an int8 as a number and Python reads it back whole.
    """

    code, name, layer, kind = "PY041", "celery.delay", "task", "hazard"
    APPLIES_TO = NOT_BIGINT
    VALID = [Valid("from celery import shared_task\n@shared_task\ndef digest(user_id): ...\n"
                   "def go(user):\n    digest.delay(user.id)\n"),
             Valid("from typing import Annotated\nfrom fastapi import Depends\nfrom celery import shared_task\n"
                   "from app.models import User\n"
                   "UserDep = Annotated[User, Depends(lambda: None)]\n@shared_task\ndef digest(user_id): ...\n"
                   "def go(user: UserDep):\n    digest.apply_async(kwargs={'user_id': user.id}, countdown=5)\n")]
    INVALID = [
        Invalid("from celery import shared_task\nfrom app.models import ContentItem\n"
                "@shared_task\ndef render(content_id): ...\n"
                "def publish(item: ContentItem):\n    render.delay(item.id)\n",
                line=6, message_contains="render.delay"),
        Invalid("from celery import shared_task\n@shared_task\ndef render(content_id): ...\n"
                "def publish(content_id: int):\n    render.apply_async(args=[content_id], countdown=5)\n",
                line=5, message_contains="apply_async"),
        Invalid("from typing import Annotated\nfrom fastapi import Depends\nfrom celery import shared_task\n"
                "from app.models import ContentItem\n"
                "ItemDep = Annotated[ContentItem, Depends(lambda: None)]\n@shared_task\ndef render(ref): ...\n"
                "def publish(item: ItemDep):\n    render.apply_async(kwargs={'ref': item.id}, countdown=5)\n",
                line=9, message_contains="apply_async"),
    ]

    VALID += [Valid("from celery import shared_task\nfrom app.models import ContentItem\n"
                    "@shared_task(bind=True)\ndef render(self, ref):\n    ref = int(ref)\n    return ref\n"
                    "def publish(item: ContentItem):\n    render.delay(item.id)\n")]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    @staticmethod
    def _parsed_params(task: FuncInfo | None, call: cst.Call, method: str) -> set[int]:
        """Values (by identity) sent to task parameters the task parses itself (`ref = int(ref)`): whatever
        JSON scalar the message carries is converted there, which is the change to make."""
        if task is None or method not in ("delay", "s", "si"):
            return set()
        out: set[int] = set()
        pos = task.positional()
        for i, a in enumerate(facts.positional(call)):
            if i < len(pos) and converted_at_boundary(task, pos[i].name.value):
                out.add(id(a.value))
        for a in call.args:
            if a.keyword is not None and converted_at_boundary(task, a.keyword.value):
                out.add(id(a.value))
        return out

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        for entry in ctx.pf.of(cst.Call):
            call = entry.node
            assert isinstance(call, cst.Call)
            f = call.func
            if not (isinstance(f, cst.Attribute) and f.attr.value in _SEND):
                continue
            values: list[cst.BaseExpression] = [a.value for a in call.args if a.keyword is None
                                                 or a.keyword.value not in ("countdown", "eta", "queue",
                                                                            "expires", "priority")]
            if f.attr.value == "apply_async":
                a = facts.kwarg(call, "args") or (facts.positional(call)[0] if facts.positional(call) else None)
                values = [e.value for e in a.value.elements] if a is not None and isinstance(
                    a.value, (cst.List, cst.Tuple)) else []
                kw = facts.kwarg(call, "kwargs")
                if kw is not None and isinstance(kw.value, cst.Dict):
                    values += [e.value for e in kw.value.elements if isinstance(e, cst.DictElement)]
            task = ctx.flow.registry.resolve(ctx.pf, f.value, entry.func)
            if task is None and not f.attr.value == "delay":
                continue
            parsed = self._parsed_params(task, call, f.attr.value)
            for v in values:
                ev = ctx.key(entry.func, v)
                if ev is None or id(v) in parsed:
                    continue
                yield ctx.finding(self, call, ctx.symbol(entry.func, ctx.pf.code(f)),
                                  f"`{ctx.pf.code(f)}(...)` sends the key `{ctx.pf.code(v)}` through the broker",
                                  evidence=ev[0], target=ev[1],
                                  review="send str(key) and convert in the task; drain queued messages")
                break
