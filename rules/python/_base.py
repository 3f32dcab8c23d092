"""What every Python rule shares: the rule base class, its examples and the per-file context.

A rule is a small class with a code, a dotted name, a layer, a kind, a docstring (anti-pattern and
best practice), its VALID / INVALID examples and a `check(ctx)` that yields findings from the facts
of one parsed file (`ctx.pf`) and the shared key model (`ctx.model`, `ctx.flow`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

import libcst as cst

from analyzer.models import (
    ANY_TARGET,
    DEFAULT_SEVERITY,
    NOT_BIGINT,
    Edit,
    Finding,
    Kind,
    Language,
    RuleMeta,
    Severity,
    Span,
    targets_line,
)
from analyzer.python import facts
from analyzer.python.facts import Routers
from analyzer.python.flow import Ev, Flow
from analyzer.python.keys import KeyModel
from analyzer.python.parsed import FuncInfo, ParsedFile
from analyzer.python.walk import find
from analyzer.words import singular


@dataclass(frozen=True)
class Valid:
    code: str
    path: str = "app/module.py"
    to: str = "UUID"  # the target type the example is scanned for (Target.to_type)
    target: str = ""  # another target column than the example schema's content_items.id ("users.id")

    @classmethod
    def like(cls, example: Invalid, to: str) -> Valid:
        """The same code as an invalid example, right as it is for another target type (bigint)."""
        return cls(example.code, example.path, to, example.target)


@dataclass(frozen=True)
class Invalid:
    code: str
    line: int
    message_contains: str = ""
    expected_fix: str | None = None  # the fixed text of `line` after the rule's edits
    path: str = "app/module.py"
    to: str = "UUID"
    kind: str = ""  # the finding's kind when it is not the rule's (history in an old revision: "info")
    target: str = ""  # another target column than the example schema's content_items.id ("users.id")


class PyRule:
    code: ClassVar[str]
    name: ClassVar[str]
    layer: ClassVar[str]
    kind: ClassVar[Kind]
    language: ClassVar[Language] = "python"
    fixable: ClassVar[bool] = False
    #: target types the findings hold for (RuleMeta.applies_to); Python's int has no width, so a rule
    #: about `int` annotations, casts, ordering or arithmetic holds for UUID/TEXT (NOT_BIGINT); a rule
    #: about a 32-bit type (an int4 column, `::int`, `le=2**31-1`) for every target type (ANY_TARGET).
    #: A finding may narrow it (`applies_to=` of `FileCtx.finding`) when one rule sees both kinds
    APPLIES_TO: ClassVar[tuple[str, ...]] = ANY_TARGET
    VALID: ClassVar[list[Valid]] = []
    INVALID: ClassVar[list[Invalid]] = []

    @property
    def rule_name(self) -> str:
        return f"py.{self.name}"

    def check(self, ctx: FileCtx) -> Iterable[Finding]:
        return ()

    def check_sql(self, text: str, path: str, model: KeyModel) -> Iterable[Finding]:
        return ()

    @classmethod
    def meta(cls) -> RuleMeta:
        doc = (cls.__doc__ or "").strip()
        return RuleMeta(code=cls.code, name=f"py.{cls.name}", language=cls.language, layer=cls.layer,
                        kind=cls.kind, severity=DEFAULT_SEVERITY[cls.kind], summary=doc.splitlines()[0] if doc
                        else "", doc=f"{doc}\n\n{targets_line(cls.APPLIES_TO)}" if doc else "", fixable=cls.fixable,
                        applies_to=cls.APPLIES_TO)


@dataclass
class FileCtx:
    pf: ParsedFile
    model: KeyModel
    flow: Flow
    routers: Routers
    record_kinds: dict[str, str]
    #: what several rules ask of this file, computed by the first (`sql_raw.sql_strings`)
    shared: dict[str, object] = field(default_factory=dict)

    # ------------------------------------------------------------------ findings
    def finding(self, rule: PyRule, node: cst.CSTNode, symbol: str, message: str, *, evidence: str = "",
                target: str = "", edits: tuple[Edit, ...] = (), review: str = "", layer: str | None = None,
                kind: Kind | None = None, applies_to: tuple[str, ...] = ()) -> Finding:
        """A finding at `node`; a chained call (`select(...).order_by(X.id)`) is placed at its method name.
        Whether it holds for the scan's target type is the pipeline's call (`analyzer.models.holds_for`)."""
        span = self.pf.span(node)
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            head = self.pf.span(node.func.attr)
            span = Span(head.line, head.column, span.end_line, span.end_column)
        k: Kind = kind or rule.kind
        severity: Severity = DEFAULT_SEVERITY[k]
        return Finding(rule=rule.rule_name, code=rule.code, layer=layer or rule.layer, language="python",
                       kind=k, severity=severity, path=self.pf.path, span=span, symbol=symbol,
                       message=message, evidence=evidence, target=target or self.model.default_target,
                       edits=edits, review=review, applies_to=applies_to)

    # ------------------------------------------------------------------ helpers
    def entity_names(self) -> dict[str, str]:
        """The target tables' names, singular and plural (`dashboard`, `dashboards` for `dashboards.id`) -> the
        table: a form or schema field named so holds the entity's id. Computed once per file."""
        got = self.shared.get("entity_names")
        if isinstance(got, dict):
            return got
        names: dict[str, str] = {}
        for t in self.model.closure.targets:
            if t.column == "id" or t.column == f"{singular(t.table)}_id":
                for word in (t.table, singular(t.table)):
                    names.setdefault(word, t.table)
        self.shared["entity_names"] = names
        return names

    def int_edits(self, node: cst.CSTNode | None) -> tuple[Edit, ...]:
        """Replace every bare `int` inside an annotation with the new Python type, and every int alias other
        ids share (`has_int`)."""
        if node is None:
            return ()
        new, imp = self.model.python_type()
        if not new:
            return ()
        out = []
        shared = self.model.shared_aliases
        for n in find(node, cst.Name):
            assert isinstance(n, cst.Name)
            if n.value == "int" or n.value in shared:
                start, end = self.pf.offsets(n)
                out.append(Edit(start, end, new, requires_import=imp))
        return tuple(out)

    def key_type_edits(self, fi: FuncInfo | None, ann: cst.BaseExpression, values: list[cst.BaseExpression],
                       key_side: bool = True) -> tuple[tuple[Edit, ...], str]:
        """Edits for the `int`s of `ann` that hold the key, given the values it annotates (returned or
        assigned). A `tuple[int, int]` of `(row[0], row[1])` rows changes only where a column holds the key; a
        `dict[int, int]` only the side that holds it (`key_side=False`: never the key side, which PY054 owns).
        ((), review) when the tuple's key element cannot be told."""
        tup = next((n for n in find(ann, cst.Subscript) if isinstance(n, cst.Subscript)
                    and isinstance(n.value, cst.Name) and n.value.value in ("tuple", "Tuple")), None)
        if tup is None:
            if isinstance(ann, cst.Subscript) and isinstance(ann.value, (cst.Name, cst.Attribute)) \
                    and _tail(ann.value) in _MAPPINGS and len(ann.slice) == 2 \
                    and all(isinstance(el.slice, cst.Index) for el in ann.slice):
                sides = self._mapping_sides(fi, values)
                sides = (sides[0] and key_side, sides[1])
                sides_out: list[Edit] = []
                for side, el in zip(sides, ann.slice, strict=True):
                    if side:
                        assert isinstance(el.slice, cst.Index)
                        sides_out.extend(self.int_edits(el.slice.value))
                return tuple(sides_out), ""
            return self.int_edits(ann), ""
        assert isinstance(tup, cst.Subscript)
        shapes = [s for v in values for s in [self.flow.slots_of(self.pf, fi, v)] if s is not None]
        if not shapes:
            return (), f"which element of `{self.pf.code(tup)}` holds the key?"
        variadic = len(tup.slice) == 2 and isinstance(tup.slice[1].slice, cst.Index) \
            and isinstance(tup.slice[1].slice.value, cst.Ellipsis)
        out: list[Edit] = []
        for i, el in enumerate(tup.slice):
            if not isinstance(el.slice, cst.Index) or isinstance(el.slice.value, cst.Ellipsis):
                continue
            if any((shape[i] if i < len(shape) else None) for shape in shapes) or variadic and any(
                    any(shape) for shape in shapes):
                out.extend(self.int_edits(el.slice.value))
        return tuple(out), ""

    def _mapping_sides(self, fi: FuncInfo | None, values: list[cst.BaseExpression]) -> tuple[bool, bool]:
        """Which side of a returned mapping holds the key: `{item.id: n ...}` the key side, `{"ref": item.id}` the
        value side; both when it cannot be told (a name filled elsewhere)."""
        keys = vals = False
        for v in values:
            if isinstance(v, cst.DictComp) and fi is not None:
                saved = dict(fi.instances), dict(fi.env)
                self.flow._bind_for(self.pf, fi, v.for_in.target, v.for_in.iter)
                keys |= self.key(fi, v.key) is not None
                vals |= self.key(fi, v.value) is not None
                fi.instances, fi.env = saved
            elif isinstance(v, cst.Dict):
                for el in v.elements:
                    if isinstance(el, cst.DictElement):
                        keys |= self.key(fi, el.key) is not None
                        vals |= self.key(fi, el.value) is not None
            else:
                return True, True
        return (keys, vals) if keys or vals else (True, True)

    def has_int(self, node: cst.CSTNode | None) -> bool:
        """Is `int` in the annotation: the name, or an int alias other ids share (`project_id: PrimaryKey`, see
        KeyModel.shared_alias: the key's own uses of it change one by one, the alias stays)?"""
        if node is None:
            return False
        shared = self.model.shared_aliases
        return any(isinstance(n, cst.Name) and (n.value == "int" or n.value in shared) for n in find(node, cst.Name))

    def layer_of(self, fi: FuncInfo | None, default: str) -> str:
        """Layer from the construct first (route, task), then the path, then the rule's default."""
        if self.pf.layer == "test":
            return "test"
        if fi is not None:
            top = self.top(fi)
            if top.route is not None or top.dependency:
                return "route"
            if top.task:
                return "task"
        return self.pf.layer or default

    def top(self, fi: FuncInfo) -> FuncInfo:
        """The outermost function (a nested helper belongs to its route or task)."""
        name = fi.qualname.split(".")[0]
        for f in self.pf.functions:
            if f.qualname == name:
                return f if f.cls is None else fi
        return fi

    def key(self, fi: FuncInfo | None, expr: cst.CSTNode) -> Ev | None:
        return self.flow.key_of(self.pf, fi, expr)

    def symbol(self, fi: FuncInfo | None, *extra: str) -> str:
        parts = [fi.qualname] if fi is not None else []
        return ".".join([*parts, *[e for e in extra if e]]) or self.pf.modname


_INT8 = re.compile(r"big_?integer|\b(?:bigint|int8|bigserial|serial8)\b", re.I)
_INT4 = re.compile(r"\b(?:(?:tiny|small|medium)?int(?:eger)?[24]?|(?:small)?serial[24]?|int32)\b|integer", re.I)


def type_targets(type_text: str) -> tuple[str, ...]:
    """What a finding about an integer type written in code or SQL holds for. A 32-bit (or narrower) type
    (`Integer`, `INTEGER`, `::int`, `int4`, `serial`) breaks for every target type, bigint included; an
    8-byte one (`BigInteger`, `BIGINT`, `int8`) only for a key that stops being a number; () when the text
    names no integer type (the rule's own APPLIES_TO then decides)."""
    if _INT8.search(type_text):
        return NOT_BIGINT
    if _INT4.search(type_text):
        return ANY_TARGET
    return ()


_MAPPINGS = {"dict", "Dict", "Mapping", "MutableMapping", "defaultdict", "DefaultDict", "OrderedDict", "Counter"}


def _tail(node: cst.BaseExpression) -> str:
    return node.value if isinstance(node, cst.Name) else node.attr.value if isinstance(node, cst.Attribute) else ""


def find_all(node: cst.CSTNode, kind: type) -> list[cst.CSTNode]:
    """The nodes of `kind` under `node` (and `node` itself), in source order (not whitespace or punctuation)."""
    return find(node, kind)


#: the rules' name for it: the text of a string literal, None for anything else (plain literals read without a
#: compile; see there)
string_value = facts.string_value

