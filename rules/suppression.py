"""Rules about suppression comments themselves (IM...): every language, layer "other".

The comments are parsed in `analyzer/suppress.py` (what counts as a suppression, its codes and its
reason); these rules decide what is worth reporting about one, with the message and the examples.

Kind and severity: kind `info`, because a suppression is not a place the key change reaches (it is
not priced in the effort estimate, not counted as a must-change or a hazard, and never withholds a
patch); severity `warning`, not the `note` of other info findings, because it must stay visible in
the report and in code scanning and fail `--fail-on warning`, while `--fail-on error` (the gate on
must-change findings, the default) still passes. `[tool.impact.rules] IM001 = "error"` makes it a
gate; `"off"` turns it off.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import ClassVar

from analyzer.models import Finding, Kind, RuleMeta, Severity, SourceFile, Span
from analyzer.suppress import Suppression


@dataclass(frozen=True)
class Valid:
    code: str
    path: str = "app/module.py"


@dataclass(frozen=True)
class Invalid:
    code: str
    line: int
    message_contains: str
    path: str = "app/module.py"


class SuppressionRule:
    code: ClassVar[str]
    name: ClassVar[str]
    layer: ClassVar[str] = "other"
    kind: ClassVar[Kind] = "info"
    severity: ClassVar[Severity] = "warning"
    VALID: ClassVar[list[Valid]] = []
    INVALID: ClassVar[list[Invalid]] = []

    def check(self, s: Suppression, f: SourceFile, known: Collection[str]) -> Iterator[Finding]:
        return iter(())

    def finding(self, s: Suppression, f: SourceFile, symbol: str, message: str) -> Finding:
        """A finding on the comment itself; the symbol (no line number) keeps its fingerprint stable."""
        return Finding(rule=self.name, code=self.code, layer=self.layer, language=f.language, kind=self.kind,
                       severity=self.severity, path=f.path, span=Span(s.line, s.column, s.line, s.end_column),
                       symbol=symbol, message=message, evidence=s.text)

    @classmethod
    def meta(cls) -> RuleMeta:
        doc = (cls.__doc__ or "").strip()
        return RuleMeta(code=cls.code, name=cls.name, language="any", layer=cls.layer, kind=cls.kind,
                        severity=cls.severity, summary=doc.splitlines()[0] if doc else "", doc=doc,
                        applies_to=("UUID", "TEXT", "BIGINT"))


def spelled(s: Suppression) -> str:
    """How a suppression reads in a message and a symbol: `impact: ignore[PY060]`."""
    return "impact: ignore" + (f"[{','.join(s.codes)}]" if s.codes else "")


class NoReason(SuppressionRule):
    """A suppression comment that does not say why.

    Anti-pattern: `x = int(raw)  # impact: ignore[PY060]` (or `# impact: ignore`, or `-- ` with nothing
    after it): the finding disappears and the next reader cannot tell a deliberate decision from a
    silenced alarm. Best practice: the reason after the codes, `# impact: ignore[PY060] -- legacy ids
    stay integers in this export`; the older form without `--` (`# impact: ignore[PY060] legacy ids`)
    counts too. The suppression still works; this finding is a warning (see `--fail-on`).
    """

    code, name = "IM001", "impact.ignore.no_reason"
    VALID = [
        Valid("x = int(raw)  # impact: ignore[PY060] -- legacy ids stay integers here\n"),
        Valid("x = int(raw)  # impact: ignore[PY060] legacy ids stay integers here\n"),
        Valid("// impact: ignore[TS004,TS010] -- the export API keeps numbers\nconst a = 1;\n",
              path="src/a.ts"),
        Valid("-- impact: ignore[PY072] -- archived table, never migrated\nSELECT 1;\n", path="db/a.sql"),
        Valid("note = 'x = 1  # impact: ignore[PY060]'\n"),
    ]
    INVALID = [
        Invalid("x = int(raw)  # impact: ignore[PY060]\n", line=1, message_contains="no reason"),
        Invalid("x = 1\n# impact: ignore\ny = int(raw)\n", line=2, message_contains="`impact: ignore` gives no"),
        Invalid("x = int(raw)  # impact: ignore[PY060] --   \n", line=1, message_contains="no reason"),
        Invalid("const a = 1; /* impact: ignore[TS004] */\n", line=1, message_contains="no reason",
                path="src/a.ts"),
    ]

    def check(self, s: Suppression, f: SourceFile, known: Collection[str]) -> Iterator[Finding]:
        if not s.reason:
            yield self.finding(s, f, spelled(s), f"`{spelled(s)}` gives no reason: say why after ` -- ` "
                               "(it still suppresses, but a reviewer cannot tell a decision from a silenced alarm)")


class UnknownRule(SuppressionRule):
    """A suppression comment naming a rule the catalogue does not have.

    Anti-pattern: `# impact: ignore[PY06] -- reason` (a typo), a code of a removed rule, or an
    unclosed `[PY060 reason`: the comment suppresses nothing for that name while it looks as if it did.
    Best practice: a code or a name from `impact rules list` (`PY060` or `py.hazard.int_cast`); the
    finding names the closest ones. The IM rules themselves are not suppressed by comments: turn them
    off with `[tool.impact] disable`.
    """

    code, name = "IM002", "impact.ignore.unknown_rule"
    VALID = [
        Valid("x = int(raw)  # impact: ignore[py.hazard.int_cast] -- legacy ids\n"),
        Valid("const a = 1; // impact: ignore[TS004, TS010] -- the export API keeps numbers\n", path="src/a.ts"),
        Valid("x = int(raw)  # impact: ignore -- nothing here is a content id\n"),
    ]
    INVALID = [
        Invalid("x = int(raw)  # impact: ignore[PY06] -- legacy ids\n", line=1, message_contains="PY060"),
        Invalid("x = int(raw)  # impact: ignore[PY060, py.hazard.int_cst] -- legacy\n", line=1,
                message_contains="did you mean py.hazard.int_cast"),
        Invalid("x = int(raw)  # impact: ignore[PY060 legacy ids\n", line=1, message_contains="never closes"),
        Invalid("x = int(raw)  # impact: ignore[IM001]\n", line=1, message_contains="[tool.impact] disable"),
    ]

    def check(self, s: Suppression, f: SourceFile, known: Collection[str]) -> Iterator[Finding]:
        if s.unclosed:
            yield self.finding(s, f, spelled(s), f"`{s.text}` never closes its `[`: it suppresses nothing")
            return
        own = {r.code for r in RULES} | {r.name for r in RULES}
        for code in dict.fromkeys(s.codes):
            symbol = f"impact: ignore[{code}]"
            if code in own:
                yield self.finding(s, f, symbol, f"{code} is not suppressed by a comment: turn it off with "
                                   f"`[tool.impact] disable = [\"{code}\"]`")
            elif code not in known:
                from analyzer.config import _closest

                close = _closest(code, {k for k in known if k not in own})
                hint = f"; did you mean {' or '.join(close)}?" if close else " (`impact rules list` shows them)"
                yield self.finding(s, f, symbol, f"`{spelled(s)}` names unknown rule {code!r}, which suppresses "
                                   f"nothing{hint}")


RULES: list[type[SuppressionRule]] = [NoReason, UnknownRule]
