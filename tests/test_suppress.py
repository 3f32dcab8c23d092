"""Suppression comments (analyzer/suppress.py) and the IM rules about them (rules/suppression.py).

Table-driven: what the parser reads from a comment in each language (codes, reason, the line it
applies to), what it must not read (strings, docstrings, template literals), every IM rule's own
VALID/INVALID examples, and an end-to-end `impact scan` whose findings.json and findings.sarif carry
the IM findings and validate against their schemas.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from analyzer.rules.python._examples import MODELS
from analyzer.rules.suppression import RULES, Invalid
from helpers import run_impact, write_tree

from analyzer.models import Finding, SourceFile, Span
from analyzer.sources import EXTENSIONS, Limits
from analyzer.suppress import LineCache, catalogue, is_suppressed, parse, suppression_findings

SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"

# (language, text, expected [(line, applies_to, codes, reason)])
PARSED = [
    pytest.param("python", "x = int(raw)  # impact: ignore[PY060] -- legacy ids\n",
                 [(1, 1, ("PY060",), "legacy ids")], id="py-trailing-reason"),
    pytest.param("python", "x = int(raw)  # impact: ignore[PY060]\n", [(1, 1, ("PY060",), "")], id="py-no-reason"),
    pytest.param("python", "x = int(raw)  # impact: ignore[PY060] --   \n", [(1, 1, ("PY060",), "")],
                 id="py-only-whitespace-after-separator"),
    pytest.param("python", "x = int(raw)  # impact: ignore[PY060] -- .\n", [(1, 1, ("PY060",), "")],
                 id="py-punctuation-is-no-reason"),
    pytest.param("python", "x = int(raw)  # impact: ignore[PY060] legacy ids\n",
                 [(1, 1, ("PY060",), "legacy ids")], id="py-old-form-reason-without-separator"),
    pytest.param("python", "x = int(raw)  # impact: ignore[PY060]: legacy\n", [(1, 1, ("PY060",), "legacy")],
                 id="py-colon-separator"),
    pytest.param("python", "# impact: ignore\nx = int(raw)\n", [(1, 2, (), "")], id="py-bare-own-line"),
    pytest.param("python", "    # impact: ignore[PY060, py.hazard.ordering] -- why\n    x = 1\n",
                 [(1, 2, ("PY060", "py.hazard.ordering"), "why")], id="py-own-line-code-and-name"),
    pytest.param("python", "x = 1  # noqa: E501  # impact:ignore[PY060 PY062] -- why\n",
                 [(1, 1, ("PY060", "PY062"), "why")], id="py-after-another-comment-no-space"),
    pytest.param("python", "x = 1  # impact: ignored\ny = 2  # impact: PY060\n", [], id="py-not-ignore"),
    pytest.param("python", "s = '# impact: ignore[PY060]'\n", [], id="py-string-literal"),
    pytest.param("python", '"""Docs.\n\n    x = int(raw)  # impact: ignore[PY060]\n"""\n', [], id="py-docstring"),
    pytest.param("python", 'q = f"{a}  # impact: ignore"  # impact: ignore[PY070] -- reviewed\n',
                 [(1, 1, ("PY070",), "reviewed")], id="py-string-then-comment"),
    pytest.param("python", "def broken(:\n    x = int(raw)  # impact: ignore[PY060] why\n",
                 [(2, 2, ("PY060",), "why")], id="py-does-not-tokenize-line-fallback"),
    pytest.param("python", "x = 1\n\x0c\ny = 2  # impact: ignore[PY060] -- r\n", [(3, 3, ("PY060",), "r")],
                 id="py-form-feed-is-not-a-line-break"),
    pytest.param("python", "x = 1\r\n# impact: ignore[PY060] -- r\r\ny = 2\r\n", [(2, 3, ("PY060",), "r")],
                 id="py-crlf"),
    pytest.param("typescript", "const id = Number(raw); // impact: ignore[TS100] -- page numbers\n",
                 [(1, 1, ("TS100",), "page numbers")], id="ts-trailing"),
    pytest.param("typescript", "// impact: ignore[TS004,TS010] -- export API\nconst a = 1;\n",
                 [(1, 2, ("TS004", "TS010"), "export API")], id="ts-own-line"),
    pytest.param("typescript", "const a = x as number; /* impact: ignore[TS004] -- r */\n",
                 [(1, 1, ("TS004",), "r")], id="ts-block-trailing"),
    pytest.param("typescript", "/* impact: ignore[TS004] -- r */ const a = x as number;\n",
                 [(1, 1, ("TS004",), "r")], id="ts-block-leading-same-line"),
    pytest.param("typescript", "      {/* impact: ignore[TS030] -- r */}\n      <Row id={id} />\n",
                 [(1, 2, ("TS030",), "r")], id="jsx-own-line"),
    pytest.param("typescript", "const a = x as number; /* impact: ignore[TS004] */\n", [(1, 1, ("TS004",), "")],
                 id="ts-block-no-reason"),
    pytest.param("typescript", "const s = '// impact: ignore[TS004]';\nconst t = \"/* impact: ignore */\";\n", [],
                 id="ts-string-literals"),
    pytest.param("typescript", "const q = `\n  // impact: ignore[TS004]\n`;\n", [], id="ts-multiline-template"),
    pytest.param("typescript", "/*\n * impact: ignore[TS004] -- r\n */\nconst a = 1;\n", [], id="ts-multiline-block"),
    pytest.param("sql", "SELECT id::int FROM t; -- impact: ignore[PY072] -- archived\n",
                 [(1, 1, ("PY072",), "archived")], id="sql-trailing"),
    pytest.param("sql", "-- impact: ignore[py.sql.file]\nALTER TABLE t ADD c integer;\n",
                 [(1, 2, ("py.sql.file",), "")], id="sql-own-line-name-no-reason"),
    pytest.param("sql", "/* impact: ignore[PY072] -- old */\nSELECT 1;\n", [(1, 2, ("PY072",), "old")],
                 id="sql-block"),
    pytest.param("sql", "SELECT '-- impact: ignore[PY072]' AS note;\n", [], id="sql-string"),
    pytest.param("sql", "SELECT 'it''s -- impact: ignore[PY072]';\n", [], id="sql-doubled-quote"),
]


@pytest.mark.parametrize(("language", "text", "expected"), PARSED)
def test_parse(language: str, text: str, expected: list[tuple[int, int, tuple[str, ...], str]]) -> None:
    got = [(s.line, s.applies_to, s.codes, s.reason) for s in parse(text, language)]  # type: ignore[arg-type]
    assert got == expected


def test_unclosed_bracket_suppresses_nothing() -> None:
    [s] = parse("x = int(raw)  # impact: ignore[PY060 legacy ids\n", "python")
    assert s.unclosed and not s.covers(_finding("PY060", "py.hazard.int_cast", 1))


def _finding(code: str, rule: str, line: int, path: str = "app/a.py") -> Finding:
    return Finding(rule=rule, code=code, layer="service", language="python", kind="hazard", severity="warning",
                   path=path, span=Span(line, 5, line, 12), symbol="f", message="m")


SOURCE = """\
a = int(raw)  # impact: ignore[PY060] -- legacy
b = int(raw)  # impact: ignore[py.hazard.int_cast]
# impact: ignore[PY060] -- own line
c = int(raw)
d = int(raw)
e = int(raw)  # impact: ignore[PY062] -- another rule
f = int(raw)  # impact: ignore
g = int(raw)  # impact: ignore[PY06] -- typo
h = "x  # impact: ignore[PY060]"
"""


@pytest.mark.parametrize(("line", "suppressed"), [
    (1, True),  # by code, with a reason
    (2, True),  # by rule name, without a reason: still suppresses (and is reported, below)
    (4, True),  # own-line comment applies to the next line
    (5, False),  # ... and only to that one
    (6, False),  # another rule's suppression
    (7, True),  # bare: every rule
    (8, False),  # unknown code suppresses nothing
    (9, False),  # inside a string
])
def test_which_findings_are_suppressed(tmp_path: Path, line: int, suppressed: bool) -> None:
    write_tree(tmp_path, {"app/a.py": SOURCE})
    cache = LineCache([SourceFile(".", str(tmp_path / "app/a.py"), "app/a.py", "python")])
    assert is_suppressed(_finding("PY060", "py.hazard.int_cast", line), cache) is suppressed


def _known() -> set[str]:
    from analyzer.python import catalogue as py_catalogue
    from analyzer.typescript import catalogue as ts_catalogue

    return {k for m in [*py_catalogue(), *ts_catalogue(), *catalogue()] for k in (m.code, m.name)}


def _check(rule: type, code: str, path: str) -> list[Finding]:
    source = SourceFile(".", "/nonexistent", path, EXTENSIONS[Path(path).suffix])
    return [f for s in parse(code, source.language) for f in rule().check(s, source, _known())]


EXAMPLES = [pytest.param(rule, ex, id=f"{rule.code}-{type(ex).__name__.lower()}{i}")
            for rule in RULES for i, ex in enumerate([*rule.VALID, *rule.INVALID])]


@pytest.mark.parametrize(("rule", "example"), EXAMPLES)
def test_rule_examples(rule: type, example: object) -> None:
    found = _check(rule, example.code, example.path)  # type: ignore[attr-defined]
    if isinstance(example, Invalid):
        assert found, f"Missing: {rule.code} did not fire on {example.code!r}"
        hits = [f for f in found if f.span.line == example.line and example.message_contains in f.message]
        assert hits, f"Wrong: {[(f.span.line, f.message) for f in found]}"
        assert all(f.code == rule.code and f.layer == "other" and f.kind == "info" and f.severity == "warning"
                   for f in found)
    else:
        assert not found, f"Noisy: {[(f.span.line, f.message) for f in found]}"


def test_every_rule_has_examples_and_a_catalogue_entry() -> None:
    from analyzer.cli import _catalogue

    codes = {m.code: m for m in _catalogue()}
    for rule in RULES:
        assert rule.VALID and rule.INVALID, rule.code
        meta = codes[rule.code]
        assert meta.name.startswith("impact.ignore.") and meta.summary and "Anti-pattern" in meta.doc
        assert (meta.language, meta.layer, meta.kind, meta.severity) == ("any", "other", "info", "warning")


def test_unknown_code_names_the_closest_known_ones() -> None:
    [f] = _check(RULES[1], "x = int(raw)  # impact: ignore[PY6O] -- letter O for zero\n", "app/a.py")
    assert f.code == "IM002" and "'PY6O'" in f.message and "PY060" in f.message
    assert (f.span.line, f.span.column) == (1, 15) and f.evidence == "# impact: ignore[PY6O] -- letter O for zero"


def test_known_codes_beside_an_unknown_one_still_suppress(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/a.py": "a = int(raw)  # impact: ignore[PY060, PY999] -- legacy\n"})
    cache = LineCache([SourceFile(".", str(tmp_path / "app/a.py"), "app/a.py", "python")])
    assert is_suppressed(_finding("PY060", "py.hazard.int_cast", 1), cache)
    found = _check(RULES[1], (tmp_path / "app/a.py").read_text(), "app/a.py")
    assert [f.symbol for f in found] == ["impact: ignore[PY999]"]


def test_only_files_read_ok_are_checked(tmp_path: Path) -> None:
    from analyzer.models import Failed, Ok

    write_tree(tmp_path, {"a.py": "x = 1  # impact: ignore\n", "b.py": "x = 1  # impact: ignore\n",
                          "c.py": "x = 1  # no suppression here\n"})
    files = [SourceFile(".", str(tmp_path / n), n, "python") for n in ("a.py", "b.py", "c.py")]
    found = suppression_findings(files, [Ok("a.py"), Failed("b.py", "parse error"), Ok("c.py")], catalogue(),
                                 Limits())
    assert [(f.code, f.path) for f in found] == [("IM001", "a.py")]


# ----------------------------------------------------------------------------- end to end

SCHEMAS = '''\
from pydantic import BaseModel


class ImageOut(BaseModel):
    content_id: int  # impact: ignore[PY020] -- the export keeps integer ids


class ImageIn(BaseModel):
    # impact: ignore[py.pydantic.field]
    content_id: int


class ImageRef(BaseModel):
    content_id: int  # impact: ignore[PY02] -- typo


class ImageNote(BaseModel):
    note: str = "# impact: ignore[PY999]"
    content_id: int
'''


def test_scan_reports_suppressions(tmp_path: Path) -> None:
    app = write_tree(tmp_path / "app", {
        "app/models.py": MODELS,
        "app/schemas.py": SCHEMAS,
        "db/schema.sql": "-- impact: ignore[PY072]\nCREATE TABLE notes (id integer);\n",
        "web/a.ts": "export const n = 1; // impact: ignore[TS999] -- reviewed\n",
    })
    done = run_impact("scan", ".", "--target", "content_items.id", "--format", "json,sarif", "--out", "out",
                      "--quiet", cwd=app)
    assert done.returncode == 1, done.stderr  # the unsuppressed PY020s are must-change (errors)
    doc = json.loads((app / "out/findings.json").read_text(encoding="utf-8"))
    got = {(f["code"], f["path"], f["line"], f["symbol"]) for f in doc["findings"] if f["code"] in ("PY020", "IM001",
                                                                                                    "IM002")}
    assert got == {
        ("PY020", "app/schemas.py", 14, "ImageRef.content_id"),  # a typo suppresses nothing
        ("PY020", "app/schemas.py", 19, "ImageNote.content_id"),  # a string is not a comment
        ("IM001", "app/schemas.py", 9, "impact: ignore[py.pydantic.field]"),  # suppressed, but reported
        ("IM002", "app/schemas.py", 14, "impact: ignore[PY02]"),
        ("IM001", "db/schema.sql", 1, "impact: ignore[PY072]"),
        ("IM002", "web/a.ts", 1, "impact: ignore[TS999]"),
    }
    by = {(f["code"], f["path"]): f for f in doc["findings"]}
    assert by[("IM002", "app/schemas.py")]["message"].endswith("did you mean PY002 or PY020 or PY021?")
    assert (by[("IM001", "db/schema.sql")]["language"], by[("IM002", "web/a.ts")]["language"]) == ("sql",
                                                                                                      "typescript")
    assert all(f["severity"] == "warning" and f["kind"] == "info" and f["layer"] == "other"
               for f in doc["findings"] if f["code"].startswith("IM0"))
    schema = json.loads((resources.files("analyzer.reports") / "findings.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(doc)
    sarif = json.loads((app / "out/findings.sarif").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).validate(sarif)
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["IM001"]["name"] == "impact.ignore.no_reason"
    assert rules["IM001"]["defaultConfiguration"]["level"] == "warning"


def test_fail_on_error_passes_a_reasonless_suppression_and_config_turns_it_off(tmp_path: Path) -> None:
    app = write_tree(tmp_path / "app", {
        "app/models.py": MODELS,
        "app/schemas.py": "from pydantic import BaseModel\n\n\nclass ImageOut(BaseModel):\n"
                          "    content_id: int  # impact: ignore[PY020]\n",
    })
    args = ("scan", ".", "--target", "content_items.id", "--format", "json", "--out", "out", "--quiet")
    models_only = "[tool.impact]\ndisable = ['PY001']\n"  # the ORM columns are must-change errors too
    (app / "impact.toml").write_text(models_only, encoding="utf-8")
    done = run_impact(*args, "--fail-on", "error", cwd=app)
    assert done.returncode == 0, done.stderr + done.stdout
    codes = [f["code"] for f in json.loads((app / "out/findings.json").read_text())["findings"]]
    assert codes == ["IM001"]
    assert run_impact(*args, "--fail-on", "warning", cwd=app).returncode == 1
    (app / "impact.toml").write_text(models_only.replace("'PY001'", "'PY001', 'impact.ignore.no_reason'"),
                                     encoding="utf-8")
    done = run_impact(*args, "--fail-on", "warning", cwd=app)
    assert done.returncode == 0, done.stderr
    assert json.loads((app / "out/findings.json").read_text())["findings"] == []
