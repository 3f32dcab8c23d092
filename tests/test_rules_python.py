"""Every Python rule's VALID and INVALID examples, run against the small example schema.

An example names the target type it is scanned for (`to`, UUID by default); its findings are the ones that
hold for that type by the pipeline's own predicate (`analyzer.models.holds_for`), so an example scanned
for BIGINT shows what `impact scan --to bigint` reports."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from analyzer.rules.python import RULES
from analyzer.rules.python._base import Invalid, PyRule, Valid
from analyzer.rules.python._examples import CLOSURE, MODELS

from analyzer.codemods.apply import apply_edits
from analyzer.config import Config
from analyzer.models import Closure, ImpactedColumn, SourceFile, Target, holds_for
from analyzer.python import catalogue, scan_python

CASES = [pytest.param(rule, ex, id=f"{rule.code}-{type(ex).__name__.lower()}{i}")
         for rule in RULES for i, ex in enumerate([*rule.VALID, *rule.INVALID])]


def split_files(code: str, path: str) -> dict[str, str]:
    """An example's files: its code is the file at `path`, unless it is made of `### rel/path.py` sections
    (a route module and the test that requests it), one file each; `path` is then the one checked."""
    if not code.startswith("### "):
        return {path: code}
    files: dict[str, str] = {}
    current = ""
    for line in code.splitlines(keepends=True):
        if line.startswith("### "):
            current = line[4:].strip()
            files[current] = ""
        else:
            files[current] += line
    assert path in files, f"the example has no section for {path}"
    return files


def _closure(to: str, target: str) -> Closure:
    """The example schema's closure for `to`; with `target` ("users.id"), that column alone is the key."""
    if not target:
        return replace(CLOSURE, targets=tuple(replace(t, to_type=to) for t in CLOSURE.targets))
    table, column = target.split(".")
    return Closure(targets=(Target(table, column, "INTEGER", to),),
                   columns=(ImpactedColumn(table, column, "INTEGER", "target", target=target),), references=())


def _scan(tmp_path: Path, code: str, path: str, to: str = "UUID", target: str = "") -> tuple[str, list]:
    files = []
    sections = split_files(code, path)
    code = sections[path]
    for rel, text in {"app/models.py": MODELS, **sections}.items():  # an example may bring its own models
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8", newline="")
        files.append(SourceFile(".", str(p), rel, "sql" if rel.endswith(".sql") else "python"))
    result = scan_python(files, _closure(to, target), Config())
    metas = {m.code: m for m in catalogue()}
    return code, [f for f in result.findings if f.path == path and holds_for(f, metas.get(f.code), to)]


@pytest.mark.parametrize(("rule", "example"), CASES)
def test_rule_example(tmp_path: Path, rule: type[PyRule], example: Valid | Invalid) -> None:
    code, findings = _scan(tmp_path, example.code, example.path, example.to, example.target)
    mine = [f for f in findings if f.code == rule.code and (f.kind != "info" or rule.kind == "info")]
    if isinstance(example, Valid):
        assert not mine, f"Noisy: {[(f.span.line, f.message) for f in mine]}"
        return
    if example.kind:  # an example that pins the kind (history in an old revision is info)
        mine = [f for f in findings if f.code == rule.code and f.kind == example.kind]
    at_line = [f for f in mine if f.span.line == example.line]
    assert at_line, f"Missing at line {example.line}; got {[(f.span.line, f.kind, f.message) for f in findings]}"
    f = at_line[0]
    assert example.message_contains in f.message + " " + f.evidence
    if example.expected_fix is not None:
        assert f.edits, "Wrong: no fix"
        fixed = apply_edits(code, f.edits).splitlines()[example.line - 1]
        assert fixed == example.expected_fix, f"Wrong fix: {fixed!r}"
    elif example.kind == "info":
        assert not f.edits, "history is never patched"


def test_catalogue_lists_every_rule() -> None:
    metas = catalogue()
    assert len(metas) == len(RULES) and len({m.code for m in metas}) == len(metas)
    for m in metas:
        assert m.summary and m.layer and m.kind in ("must_change", "hazard", "info")


def test_every_rule_has_examples() -> None:
    for rule in RULES:
        assert rule.VALID and rule.INVALID, rule.code
