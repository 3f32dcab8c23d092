from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid, string_value

from analyzer.models import NOT_BIGINT, Finding
from analyzer.python import facts

_INT_SPEC = re.compile(r"[-+ #0-9,_]*[dxXob]$")
_PCT_D = re.compile(r"%[-+ #0-9]*[dixX]")
#: the logging calls (and print) whose first argument is a %-format
_LOGGING = frozenset({"debug", "info", "warning", "error", "exception", "critical", "log", "print"})
_PCT_ANY = re.compile(r"%(\(\w+\))?[-+ #0-9*.]*[hlL]?([diouxXeEfFgGcrsa%])")


def _int_slots(fmt: str, count: int) -> list[bool]:
    """For each of `count` arguments of a %-format, whether its conversion is an integer one (`%d`, `%x`):
    `"sent %s reminder for booking %s (try %d)"` -> [False, False, True]. A format this cannot align (a `*`
    width, `%(name)d` mappings, too few conversions) counts every argument as integer, as before."""
    convs = [m for m in _PCT_ANY.finditer(fmt) if m.group(2) != "%"]
    if any(m.group(1) or "*" in m.group(0) for m in convs) or len(convs) != count:
        return [True] * count
    return [m.group(2) in "diouxX" for m in convs]


class IntFormat(PyRule):
    """Integer formatting of a key: `f"{id:06d}"`, `"%d" % id`, `log.info("... %d", id)`.

    Anti-pattern: `f"c{content_id:06d}"` — raises for a UUID; a logging call with `%d` logs an error
    instead of the message. Best practice: format with `{}` / `%s`, or `str(key)`.

    Not for bigint: `%d`, `:d` and zero-padding format any int (a wider key only makes the text longer).
    """

    code, name, layer, kind = "PY064", "hazard.format", "service", "hazard"
    APPLIES_TO = NOT_BIGINT
    VALID = [Valid("def f(page: int):\n    return f'{page:03d}'\n"),
             # `%d` formats the retry count; the key goes through `%s`
             Valid("import logging\nlog = logging.getLogger(__name__)\n"
                   "def sent(content_id: int, channel: str, attempt: int) -> None:\n"
                   "    log.info('sent %s notice for content %s (try %d)', channel, content_id, attempt)\n"
                   "    print('content %s: page %d of %d' % (content_id, 2, 7))\n")]
    INVALID = [
        Invalid("def content_slug(content_id: int) -> str:\n    return f'c{content_id:06d}'\n", line=2),
        Invalid("import logging\nlog = logging.getLogger()\ndef f(content_id):\n"
                "    log.warning('content %d vanished', content_id)\n", line=4),
        Invalid("import logging\nlog = logging.getLogger(__name__)\n"
                "def sent(content_id: int, attempt: int) -> None:\n"
                "    log.info('try %d for content %d', attempt, content_id)\n"
                "    print('content %s of %d' % (content_id, 7))\n"
                "    print('page %d, content %06d' % (3, content_id))\n", line=4),
        Invalid("def f(content_id: int, page: int) -> str:\n    return 'page %d, content %06d' % (page, content_id)\n",
                line=2),
    ]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        pf = ctx.pf
        for entry in pf.of(cst.FormattedStringExpression):
            node = entry.node
            assert isinstance(node, cst.FormattedStringExpression)
            spec = "".join(pf.code(p) for p in node.format_spec or ())
            if spec and _INT_SPEC.match(spec):
                ev = ctx.key(entry.func, node.expression)
                if ev:
                    yield ctx.finding(self, node, ctx.symbol(entry.func), f"`{pf.code(node)}` formats the key as int",
                                      evidence=ev[0], target=ev[1], layer=ctx.layer_of(entry.func, "other"),
                                      review="format with {} or str(key)")
        for entry in pf.calls_named(_LOGGING):
            call = entry.node
            assert isinstance(call, cst.Call)
            args = facts.positional(call)
            if not args:
                continue
            fmt = string_value(args[0].value)
            if fmt is None or not _PCT_D.search(fmt):
                continue
            for a, as_int in zip(args[1:], _int_slots(fmt, len(args) - 1), strict=False):
                ev = ctx.key(entry.func, a.value) if as_int else None
                if ev:
                    yield ctx.finding(self, call, ctx.symbol(entry.func), "log format `%d` applied to the key",
                                      evidence=ev[0], target=ev[1], layer=ctx.layer_of(entry.func, "other"),
                                      review="use %s")
                    break
        for entry in pf.of(cst.BinaryOperation):
            op = entry.node
            assert isinstance(op, cst.BinaryOperation)
            if not isinstance(op.operator, cst.Modulo):
                continue
            fmt = string_value(op.left)
            if fmt is not None and _PCT_D.search(fmt):
                values = [e.value for e in op.right.elements] if isinstance(op.right, cst.Tuple) else [op.right]
                ev = next((e for v, as_int in zip(values, _int_slots(fmt, len(values)), strict=False) if as_int
                           for e in [ctx.key(entry.func, v)] if e), None)
                if ev:
                    yield ctx.finding(self, op, ctx.symbol(entry.func), "`%d` formatting of the key",
                                      evidence=ev[0], target=ev[1], layer=ctx.layer_of(entry.func, "other"),
                                      review="use %s")
