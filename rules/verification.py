"""Findings the compilers make on the patched copy (`analyzer/codemods/verify.py`), not the rules.

The rules read the code as it is; the type checker reads it as the patches leave it. Where tsc (or mypy)
reports an error the unpatched tree did not have, the key reached a place the rules did not list: the
error becomes a finding there, with the compiler's message as evidence and the finding whose patch
caused it named in the message. Where the message says exactly what to change (a slot typed `number`
that now receives the key), the change is made and checked in the next round.

Kind must_change: the patches broke these lines, so the migration cannot ship without them. The layer
is the file's and the function's, as for the TypeScript rules. They are found only when the compiler
can run (`node_modules/.bin/tsc`, or a configured mypy); `--no-typecheck` skips them.
"""

from __future__ import annotations

import inspect
from typing import ClassVar

from analyzer.models import Kind, Language, RuleMeta, Severity


class CompilerRule:
    code: ClassVar[str]
    name: ClassVar[str]
    language: ClassVar[Language]
    layer: ClassVar[str] = "other"  # the finding's own layer comes from its file and function
    kind: ClassVar[Kind] = "must_change"
    severity: ClassVar[Severity] = "error"
    fixable: ClassVar[bool] = False

    @classmethod
    def meta(cls) -> RuleMeta:
        doc = inspect.cleandoc(cls.__doc__ or "")
        return RuleMeta(code=cls.code, name=cls.name, language=cls.language, layer=cls.layer, kind=cls.kind,
                        severity=cls.severity, summary=doc.splitlines()[0] if doc else "", doc=doc,
                        fixable=cls.fixable, applies_to=("UUID", "TEXT", "BIGINT"))


class TscDiagnostic(CompilerRule):
    """A line tsc rejects once the patches are applied, which the rules did not list.

    Anti-pattern: a patch retypes `fetchAudit(subjectKind, subjectId: number)` to take the key as a
    string, and a caller elsewhere still passes a number (`fetchAudit("invoice", invoiceId)`): the
    rules saw no key on that line, the compiler does (`tsc TS2345: Argument of type 'number' is not
    assignable to parameter of type 'string'`). Best practice: change the line by hand as the message
    says (here the parameter holds ids of two tables: `subjectId: string | number`, or a separate
    function); the finding names the patch that made the error appear. An error on a line the report
    already lists for review is not repeated.
    """

    code, name, language = "TS900", "ts.tsc.diagnostic", "typescript"


class TscAnnotation(CompilerRule):
    """A `number` annotation tsc shows the key reaching: retyped `string` by the patch.

    Anti-pattern: `function toggle(id: number)` called as `toggle(vehicle.id)` once `Vehicle.id` is a
    string (`tsc TS2345: Argument of type 'string' is not assignable to parameter of type 'number'`);
    likewise `useState<number>()`, `ReadonlySet<number>`, `Map<number, X>` / `Record<number, X>` keyed by
    the id, a prop `vehicleId: number`, a return type, `x === currentId` (TS2367). Best practice: type the
    slot as the key's type: `toggle(id: string)`. The patch changes the `number` keyword of the slot (the
    element of a set, the key of a map, never a comparator's result) and the compiler checks it again.
    Two rewrites too: a comparator subtracting keys (`ids.sort((a, b) => a - b)`, `(x, y) => x.id - y.id`,
    TS2362) compares them with `localeCompare` (keys as strings no longer sort by creation), and a
    conversion of the key where the key is expected (`fetchVehicle(Number(params.id))`, `parseInt(raw,
    10)`, `+raw`, TS2345/TS2322) is dropped; a rewrite the next round still rejects is given back.
    """

    code, name, language = "TS901", "ts.tsc.annotation", "typescript"
    fixable = True


class PyTypeCheck(CompilerRule):
    """A line the project's own type checker (mypy or pyright) rejects once the patches are applied.

    Anti-pattern: a patch retypes `def get_order(order_id: int)` to `uuid.UUID` and a helper the rules
    did not see still passes `int(raw)` (`mypy arg-type: Argument 1 to "get_order" has incompatible
    type "int"; expected "UUID"`). Best practice: change the line as the message says. Runs only where
    the project configures the checker (`[tool.mypy]`, `mypy.ini`, `pyrightconfig.json`) and has it in
    its virtualenv or on PATH; errors the unpatched tree already had are not reported.
    """

    code, name, language = "PY900", "py.typecheck.diagnostic", "python"


RULES: list[type[CompilerRule]] = [TscDiagnostic, TscAnnotation, PyTypeCheck]
