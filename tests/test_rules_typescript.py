"""Every TypeScript rule's own examples, collected from rules/typescript/*.yml by one parametrized test.

An invalid example pins the line, the symbol (when given) and the fixed line; a valid example must
produce no finding of that rule. Outcomes follow STYLE.md: Missing, Noisy, Wrong. An example is scanned for
its `to:` target type and keeps the findings that hold for it by the pipeline's own predicate
(`analyzer.models.holds_for`, ids below 2**53), so a `to: BIGINT` example shows `impact scan --to bigint`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.config import Config
from analyzer.models import Finding, KeySeeds, RouteSeed, holds_for
from analyzer.typescript import catalogue
from analyzer.typescript.rules import Example, TsRule, load_rules, parse_rule
from analyzer.typescript.scan import scan_sources

SEEDS = KeySeeds(
    field_names=frozenset({"content_id", "content_item_id", "published"}),
    routes=(
        RouteSeed("GET", "/api/v1/contents/{content_id}", ("content_id",), "backend/app/api/routes/contents.py:41",
                  "contents.get_content"),
        RouteSeed("DELETE", "/api/v1/contents/{content_id}", ("content_id",),
                  "backend/app/api/routes/contents.py:60", "contents.delete_content"),
    ),
    origins={
        "content_id": "ImageOut.content_id in backend/app/schemas/image.py:12",
        "ContentOut.id": "backend/app/schemas/content.py:10",
        # a back-end field not named after the key that carries it (`published: list[int]` of content ids)
        "published": "BulkPublishResult.published in backend/app/schemas/content.py:40",
    },
)
CONFIG = Config()


def _cases() -> list[tuple[str, TsRule, Example, bool]]:
    out = []
    for rule in load_rules():
        for i, ex in enumerate(rule.valid):
            out.append((f"{rule.code}-valid-{i}", rule, ex, True))
        for i, ex in enumerate(rule.invalid):
            out.append((f"{rule.code}-invalid-{i}", rule, ex, False))
    return out


CASES = _cases()


def _apply(text: str, finding: Finding) -> str:
    for e in sorted(finding.edits, key=lambda e: e.start, reverse=True):
        text = text[: e.start] + e.text + text[e.end :]
    return text


@pytest.mark.parametrize(("rule", "example", "valid"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule_example(rule: TsRule, example: Example, valid: bool, tmp_path: Path) -> None:
    result = scan_sources({example.file: example.code}, SEEDS, CONFIG, to_type=example.to, tmp=tmp_path)
    mine = [f for f in result.findings if f.code == rule.code and holds_for(f, rule.meta, example.to)]
    if valid:
        assert not mine, f"Noisy: {[(f.span.line, f.symbol, f.evidence) for f in mine]}"
        return
    at_line = [f for f in mine if f.span.line == example.line]
    assert at_line, f"Missing: {rule.code} at line {example.line}; got {[(f.code, f.span.line) for f in result.findings]}"
    f = at_line[0]
    assert f.kind == rule.kind and f.message
    if example.symbol:
        assert f.symbol == example.symbol
    if example.fix is not None:
        fixed = _apply(example.code, f).splitlines()[example.line - 1]
        assert fixed == example.fix, f"Wrong fix: {fixed!r}"


def test_catalogue_is_complete() -> None:
    metas = catalogue()
    assert len({m.code for m in metas}) == len(metas) >= 15
    assert all(m.language == "typescript" and m.summary and m.doc for m in metas)


def test_unknown_keys_are_rejected() -> None:
    from analyzer.typescript.rules import RuleError

    base = ("code: X\nname: x\nlayer: ts-type\nkind: hazard\napplies_to: [UUID, TEXT]\nmessage: m\ndoc: d\n"
            "valid: []\ninvalid: []\n")
    parse_rule(base, "ok.yml")
    with pytest.raises(RuleError):
        parse_rule(base + "severty: error\n", "bad.yml")
    with pytest.raises(RuleError):
        parse_rule(base.replace("invalid: []", "invalid: [{code: x}]"), "bad.yml")
    with pytest.raises(RuleError):  # every rule states the target types it fires for
        parse_rule(base.replace("applies_to: [UUID, TEXT]\n", ""), "bad.yml")
    with pytest.raises(RuleError):
        parse_rule(base.replace("[UUID, TEXT]", "[UUID, INT8]"), "bad.yml")


def test_every_rule_has_its_detection_beside_it() -> None:
    """A rule's detection is its YAML's `query:` (with `symbol:` when the query says it all) or a module of the
    same name beside the YAML; a module's `detect` needs the query that feeds it."""
    from analyzer.typescript.rules import rule_module

    for rule in load_rules():
        module = rule_module(rule.stem)
        if module is None:
            assert rule.query is not None and "@key" in rule.query, f"{rule.source}: no query, no module"
            continue
        assert hasattr(module, "detect") or hasattr(module, "detect_file") or hasattr(module, "revise"), rule.source
        assert hasattr(module, "detect") == (rule.query is not None), f"{rule.source}: query and detect() go together"


@pytest.mark.parametrize("tsx", [False, True], ids=["ts", "tsx"])
def test_queries_compile_for_both_grammars(tsx: bool) -> None:
    from analyzer.typescript.detect import _queries

    query, owners = _queries(tsx)
    assert query.pattern_count == len(owners) >= len([r for r in load_rules() if r.query])


def test_a_query_must_capture_what_it_reports() -> None:
    from analyzer.typescript.rules import RuleError

    base = ("code: X\nname: x\nlayer: ts-type\nkind: hazard\napplies_to: [UUID, TEXT]\nmessage: m\ndoc: d\n"
            "valid: []\ninvalid: []\n")
    assert parse_rule(base + "query: '(regex) @match'\n", "ok.yml").query == "(regex) @match"
    with pytest.raises(RuleError):
        parse_rule(base + "query: '(regex) @node'\n", "bad.yml")
    with pytest.raises(RuleError):
        parse_rule(base + "replace: {key: 1}\n", "bad.yml")
