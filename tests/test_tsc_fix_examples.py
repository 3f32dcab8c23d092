"""The compiler loop's mechanical fixes, example by example (analyzer/codemods/tsc_fix.py VALID / INVALID).

All examples are files of one strict project, each with its own rule patch (`Vehicle.id` typed `string`),
so one verification runs them all with a real tsc. An invalid example pins the lines the loop rewrites
(a comparator, a conversion of the key, an annotation); a valid one pins the lines it must leave alone
(the sort of prices, `page - 1`, `Number(count)`) and the lines left for review with the compiler's
message. Every line not named stays as it was.
"""

from __future__ import annotations

import pytest
from helpers import require_node_modules, write_tree
from test_codemods_verify import TSCONFIG, _finding, _tsc_errors, _verify

from analyzer.codemods.patching import apply_file_patch, parse_patch
from analyzer.codemods.tsc_fix import INVALID, VALID, Example

EXAMPLES = [*(("invalid", i, e) for i, e in enumerate(INVALID)), *(("valid", i, e) for i, e in enumerate(VALID))]


def _name(kind: str, i: int) -> str:
    return f"src/{kind}{i}.ts"


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    mp = pytest.MonkeyPatch()
    mp.setenv("IMPACT_NODE_MODULES", str(require_node_modules()))
    root = write_tree(tmp_path_factory.mktemp("examples") / "web",
                      {"tsconfig.json": TSCONFIG, **{_name(k, i): e.code for k, i, e in EXAMPLES}})
    made = [_finding(root, "web", _name(k, i), e.seed[0], e.seed[1], "Vehicle.id") for k, i, e in EXAMPLES]
    try:
        yield root, _verify(root, "web", made)
    finally:
        mp.undo()


@pytest.mark.parametrize(("kind", "i", "example"), EXAMPLES, ids=[f"{k}{i}" for k, i, _ in EXAMPLES])
def test_example(checked, kind: str, i: int, example: Example) -> None:  # type: ignore[no-untyped-def]
    root, result = checked
    rel = _name(kind, i)
    before = example.code.splitlines()
    diff = result.patches.get(f"web/{rel}")
    (patch,) = parse_patch(diff) if diff else (None,)
    after = apply_file_patch(example.code, patch).splitlines() if patch is not None else before
    seed_line = next(n for n, line in enumerate(before, 1) if example.seed[0] in line)
    want = {n: line for n, line in enumerate(before, 1)}
    want[seed_line] = before[seed_line - 1].replace(example.seed[0], example.seed[1], 1)
    want.update(dict(example.fixed))
    assert {n: line for n, line in enumerate(after, 1)} == want
    review = sorted({f.line for f in result.found if f.path == f"web/{rel}" and f.code == "TS900"})
    assert review == sorted(example.review), [f.message for f in result.found if f.path == f"web/{rel}"]
    assert all(f.fix for f in result.found if f.path == f"web/{rel}" and f.code == "TS901")


def test_after_apply_tsc_reports_only_the_review_lines(checked) -> None:  # type: ignore[no-untyped-def]
    root, result = checked
    errors = _tsc_errors(root, result.patches, "web")
    review = {(f"src/{k}{i}.ts", n) for k, i, e in EXAMPLES for n in e.review}
    placed = {(e.split("(", 1)[0], int(e.split("(", 1)[1].split(",", 1)[0])) for e in errors}
    assert placed <= review, errors
