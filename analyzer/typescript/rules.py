"""The TypeScript rule catalogue: one strict YAML file per rule under `rules/typescript/`, with its detection.

A rule file holds what a reviewer needs in one place: code, dotted name, layer, kind, severity, the
message, a docstring with the anti-pattern and the best practice, the target types it fires for
(`applies_to:`; most say UUID, TEXT and BIGINT_PAST_2_53, since a JavaScript number holds every bigint
below 2**53), and `valid:`/`invalid:` examples, each scanned for its `to:` type (collected by
tests/test_rules_typescript.py). Unknown keys are rejected so a typo never silently disables a field.

The detection sits next to the YAML:
- `query:` a tree-sitter query whose `@match` capture is the node a rule looks at (and reports); its other
  captures are the parts the rule reads. The query says what the code looks like; whether a value holds the
  key is the data flow's answer (`flow.Project.is_key`), which no query can give.
- A rule whose whole condition is "the `@key` capture holds the key" needs no code: `symbol:` names the
  finding (`{func}` is the enclosing function, `{<capture>}` a capture's text) and `replace:` maps a capture
  to its replacement text (analyzer.typescript.detect.Detector.generic).
- Otherwise a module of the same name beside the YAML (`TS101_id_compare.py`) holds the code: `detect(d, fi, m)`
  for each match of the query, `detect_file(d, fi, rule)` for a rule whose subject is a fact of the flow (a key
  parameter, a function returning a key) rather than a shape of the code, `revise(d, fi, rule, found)` for a rule
  that rewrites the file's findings (generated clients). `rule_module` finds it by the YAML's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import import_module, resources
from types import ModuleType

import yaml

from analyzer.models import DEFAULT_SEVERITY, JS_NUMBER, KINDS, LAYERS, SEVERITIES, RuleMeta, targets_line

_REQUIRED = {"code", "name", "layer", "kind", "applies_to", "message", "doc", "valid", "invalid"}
_OPTIONAL = {"severity", "fixable", "review", "query", "symbol", "replace"}
#: what `applies_to:` may list (RuleMeta.applies_to): every rule states the target types it fires for
_TARGET_TYPES = ("UUID", "TEXT", "BIGINT", "BIGINT_PAST_2_53")
_EXAMPLE_KEYS = {"code", "file", "line", "fix", "symbol", "to"}


class RuleError(ValueError):
    """A malformed rule file."""


@dataclass(frozen=True)
class Example:
    code: str
    file: str = "src/example.tsx"
    line: int = 0
    fix: str | None = None
    symbol: str | None = None
    to: str = "UUID"


@dataclass(frozen=True)
class TsRule:
    code: str
    name: str
    layer: str
    kind: str
    severity: str
    message: str
    doc: str
    fixable: bool
    review: str
    valid: tuple[Example, ...]
    invalid: tuple[Example, ...]
    source: str
    #: a JavaScript number holds every integer below 2**53 exactly: bigint only once ids can pass it
    applies_to: tuple[str, ...] = JS_NUMBER
    query: str | None = None
    symbol: str | None = None
    replace: tuple[tuple[str, str], ...] = field(default=())

    @property
    def stem(self) -> str:
        """The file name without `.yml`: its detection module, when it has one, is `<stem>.py` beside it."""
        return self.source.rpartition("/")[2].removesuffix(".yml")

    @property
    def meta(self) -> RuleMeta:
        return RuleMeta(code=self.code, name=self.name, language="typescript", layer=self.layer,
                        kind=self.kind,  # type: ignore[arg-type]
                        severity=self.severity,  # type: ignore[arg-type]
                        summary=_summary(self.doc) or self.name,
                        doc=f"{self.doc.strip()}\n\n{targets_line(self.applies_to)}", fixable=self.fixable,
                        applies_to=self.applies_to)


def _summary(doc: str) -> str:
    """The first sentence of the docstring's first paragraph, however the YAML wrapped it."""
    para = " ".join(doc.strip().split("\n\n")[0].split())
    m = re.match(r"(.+?[.:])(\s|$)", para)
    return m.group(1) if m else para


def _examples(data: object, where: str, invalid: bool) -> tuple[Example, ...]:
    if not isinstance(data, list):
        raise RuleError(f"{where}: expected a list of examples")
    out = []
    for i, item in enumerate(data):
        if isinstance(item, str):
            item = {"code": item}
        if not isinstance(item, dict):
            raise RuleError(f"{where}[{i}]: expected a mapping")
        unknown = set(item) - _EXAMPLE_KEYS
        if unknown:
            raise RuleError(f"{where}[{i}]: unknown key(s) {sorted(unknown)}")
        if "code" not in item:
            raise RuleError(f"{where}[{i}]: 'code' is required")
        if invalid and "line" not in item:
            raise RuleError(f"{where}[{i}]: an invalid example pins its 'line'")
        out.append(Example(code=str(item["code"]), file=str(item.get("file", "src/example.tsx")),
                           line=int(item.get("line", 0)), fix=item.get("fix"), symbol=item.get("symbol"),
                           to=str(item.get("to", "UUID"))))
    return tuple(out)


#: libyaml's loader where PyYAML was built with it (the same documents, ~12x faster: the 34 rule files took
#: 73 ms of a scan's critical path through the pure-Python one), else the pure-Python safe loader
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_rule(text: str, source: str) -> TsRule:
    data = yaml.load(text, Loader=_LOADER)  # a safe loader either way
    if not isinstance(data, dict):
        raise RuleError(f"{source}: a rule file is a mapping")
    unknown = set(data) - _REQUIRED - _OPTIONAL
    if unknown:
        raise RuleError(f"{source}: unknown key(s) {sorted(unknown)}")
    missing = _REQUIRED - set(data)
    if missing:
        raise RuleError(f"{source}: missing key(s) {sorted(missing)}")
    if data["layer"] not in LAYERS:
        raise RuleError(f"{source}: unknown layer {data['layer']!r}")
    if data["kind"] not in KINDS:
        raise RuleError(f"{source}: unknown kind {data['kind']!r}")
    severity = data.get("severity", DEFAULT_SEVERITY[data["kind"]])
    if severity not in SEVERITIES:
        raise RuleError(f"{source}: unknown severity {severity!r}")
    applies_to = data["applies_to"]
    if not isinstance(applies_to, list) or not applies_to or any(t not in _TARGET_TYPES for t in applies_to):
        raise RuleError(f"{source}: applies_to lists target types among {', '.join(_TARGET_TYPES)}")
    query = data.get("query")
    if query is not None and (not isinstance(query, str) or "@match" not in query):
        raise RuleError(f"{source}: a query is a tree-sitter query text that captures @match")
    replace = data.get("replace", {})
    if not isinstance(replace, dict) or any(not isinstance(v, str) for v in replace.values()):
        raise RuleError(f"{source}: replace maps a capture name to its replacement text")
    return TsRule(code=str(data["code"]), name=str(data["name"]), layer=data["layer"], kind=data["kind"],
                  severity=severity, message=str(data["message"]), doc=str(data["doc"]),
                  fixable=bool(data.get("fixable", False)), review=str(data.get("review", "")),
                  valid=_examples(data["valid"], f"{source}: valid", False),
                  invalid=_examples(data["invalid"], f"{source}: invalid", True), source=source,
                  applies_to=tuple(applies_to), query=query,
                  symbol=str(data["symbol"]) if "symbol" in data else None,
                  replace=tuple((str(k), v) for k, v in replace.items()))


@lru_cache(maxsize=1)
def load_rules() -> tuple[TsRule, ...]:
    root = resources.files("analyzer.rules").joinpath("typescript")
    rules = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yml"):
            rules.append(parse_rule(entry.read_text(encoding="utf-8"), f"rules/typescript/{entry.name}"))
    codes = [r.code for r in rules]
    dupes = {c for c in codes if codes.count(c) > 1}
    if dupes:
        raise RuleError(f"duplicate TypeScript rule codes: {sorted(dupes)}")
    return tuple(rules)


def rules_by_name() -> dict[str, TsRule]:
    return {r.name: r for r in load_rules()}


@lru_cache(maxsize=64)
def rule_module(stem: str) -> ModuleType | None:
    """The detection module beside a rule's YAML (`rules/typescript/<stem>.py`); None when its query says it all."""
    if not resources.files("analyzer.rules").joinpath("typescript").joinpath(f"{stem}.py").is_file():
        return None
    return import_module(f"analyzer.rules.typescript.{stem}")
