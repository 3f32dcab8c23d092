from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid, string_value

from analyzer.models import NOT_BIGINT, Finding
from analyzer.python import facts

_DIGITS = r"(?:\\d|\[0-9\])"
_RE_FUNCS = {"compile", "match", "search", "fullmatch", "findall", "finditer", "sub", "split"}


class DigitRegex(PyRule):
    """A regular expression that matches the key as digits.

    Anti-pattern: `re.compile(r"/contents/(\\d+)")` or `(?P<id>[0-9]+)` — never matches a UUID, so
    links and legacy references silently stop resolving. Best practice: match the key's real shape
    (`[0-9a-f-]{36}`) or parse the path with the router.

    Not for bigint: a bigint key is still all digits, which the pattern matches.
    """

    code, name, layer, kind = "PY065", "hazard.regex", "service", "hazard"
    APPLIES_TO = NOT_BIGINT
    VALID = [Valid("import re\nPAGE = re.compile(r'[?&]page=(\\d+)')\nUSER = re.compile(r'/users/(\\d+)')\n")]
    INVALID = [
        Invalid("import re\nREF = re.compile(r'^ci-(?P<content_id>[0-9]{1,9})$')\n", line=2),
        Invalid("import re\nREF = re.compile(r'^ci-(?P<id>\\d+)$')\ndef parse_content_id(raw): ...\n", line=2),
    ]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        pf, model = ctx.pf, ctx.model
        segments: set[str] | None = None  # (from the routes, the same for every file: only when a regex is met)
        for entry in pf.calls_named(_RE_FUNCS):
            call = entry.node
            assert isinstance(call, cst.Call)
            if not pf.resolves_to(call.func, *_RE_FUNCS, packages=("re",)):
                continue
            args = facts.positional(call)
            pattern = string_value(args[0].value) if args else None
            if pattern is None or not re.search(_DIGITS, pattern):
                continue
            why = None
            if segments is None:
                segments = {seg for template, params in model.route_templates for seg in _segments(template, params)}
            for m in re.finditer(r"\(\?P<(\w+)>" + _DIGITS, pattern):
                if m.group(1) == "id" or m.group(1) in model.key_names:
                    why = f"named group `{m.group(1)}` matches digits"
            for seg in segments:
                if re.search(re.escape("/" + seg + "/") + r"\(?" + _DIGITS, pattern):
                    why = f"matches `/{seg}/<digits>`, the path of a route that takes the key"
            if why:
                yield ctx.finding(self, call, ctx.symbol(entry.func), f"regex `{pattern}` matches the key as digits",
                                  evidence=why, layer=ctx.layer_of(entry.func, "other"),
                                  review="match the new key's shape or parse with the router")


def _segments(template: str, params: tuple[str, ...]) -> list[str]:
    out = []
    parts = template.strip("/").split("/")
    for i, part in enumerate(parts):
        m = re.fullmatch(r"{(\w+)(?::\w+)?}", part)
        if m and m.group(1) in params and i > 0 and "{" not in parts[i - 1]:
            out.append(parts[i - 1])
    return out
