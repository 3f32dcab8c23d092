"""Accuracy of `impact scan` on a second held-out app it was not tuned on: fixtures/fleet_app.

A fleet/logistics service where two tables share one id space (`vehicles.id` and `trailers.id`, both
INTEGER -> UUID, scanned together with two `--target`s). References: a declared FK (`trips.vehicle_id`),
a polymorphic pair with no FK (`maintenance_records.asset_type` + `asset_id`), an FK-less column declared
as a virtual reference in the app's `[tool.impact]` (`gps_pings.vehicle_ref`), an association table
(`trip_trailers`) and a plain FK (`inspections.trailer_id`). Look-alike distractors: trips' own ids
(`trip_id`, `Trip.id`, which stay integers), drivers, depots, routes, paging and counters.

The style differs on purpose from the apps the scanners were tuned on: classic `declarative_base()` +
`Column(...)`, service classes, non-obvious path parameter names (`/assets/{asset_pk}`, `{vid}`), values
under other names (`pk`, `asset`, `v_id`, `before`), an axios-like TS client, a reducer + context, zod.
It was annotated by hand with what a careful engineer would change BEFORE the tool was run on it; the
annotations were not changed to please the tool afterwards. This test runs the INSTALLED `impact` command
the way a user does and scores findings.json line by line against those annotations.

The floors are what the tool reached when this test was written, rounded down to 0.05: they catch a
regression, they are not a target. Run with `-s` to see the table, the misses and the noise.
"""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import pytest
from expectations import Expected, format_scores, read_expectations, score
from helpers import REPO, run_impact

APP = REPO / "fixtures" / "fleet_app"
ROOTS = ("backend", "frontend")
TARGETS = ("vehicles.id", "trailers.id")

#: measured 2026-11-25 on the first run: recall 111/155 = 72 %, precision 111/116 = 96 % -> floors rounded
#: down to 0.05. The 5 noisy lines: 3 Celery (`recompute.delay(...)` x2, the untyped `def recompute(self,
#: vehicle_id)`), 2 `setPage(page +/- 1)` in JSX taken for id arithmetic. Largest gaps: tests with literal
#: ids (8/24), utils returning ids under other names (`tuple[str, int]`, `list[int]`, `dict[int, int]`).
#: 2026-11-25 TypeScript round 3: frontend 68/72 with no frontend noise (the `setPage(page +/- 1)` pair is
#: gone: a queryKey tuple no longer marks its page element); total 123/155 = 79 %, precision 123/126 -> 0.75.
RECALL_FLOOR = 0.75
PRECISION_FLOOR = 0.95

#: `ok` lines the tool flags today (real false positives, kept visible). Empty on the first run.
KNOWN_FLAGGED_DISTRACTORS: set[tuple[str, int]] = set()


def _build_database(url: str) -> None:
    spec = importlib.util.spec_from_file_location("fleet_app_seed", APP / "db" / "seed.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build_database(url, rows=200, seed=0)


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    if not all((APP / root).is_dir() for root in ROOTS):
        pytest.skip("fleet_app fixture not present")
    tmp = tmp_path_factory.mktemp("fleet")
    url = f"sqlite:///{tmp / 'fleet.sqlite'}"
    _build_database(url)
    out = tmp / "out"
    target_args = [arg for target in TARGETS for arg in ("--target", target)]
    proc = run_impact("scan", *ROOTS, "--db", url, *target_args, "--to", "uuid",
                      "--config", str(APP / "pyproject.toml"), "--out", str(out), "--fail-on", "never", "-q",
                      cwd=APP)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert data["roots"] == list(ROOTS), data["roots"]
    assert {(t["table"], t["column"]) for t in data["targets"]} == {tuple(t.split(".")) for t in TARGETS}
    return list(data["findings"])


@pytest.fixture(scope="module")
def expectations() -> tuple[dict[tuple[str, int], Expected], set[tuple[str, int]]]:
    expected: dict[tuple[str, int], Expected] = {}
    ok: set[tuple[str, int]] = set()
    for root in ROOTS:
        exp, distractors = read_expectations(APP / root, prefix=root)
        expected.update(exp)
        ok |= distractors
    return expected, ok


def _describe(f: dict[str, Any]) -> str:
    return f"{f['path']}:{f['line']} {f['kind']} {f['layer']} {f['rule']} {f.get('symbol') or ''}".rstrip()


def _flagged_ok_lines(findings: list[dict[str, Any]], ok: set[tuple[str, int]]) -> set[tuple[str, int]]:
    return {(f["path"], f["line"]) for f in findings
            if (f["path"], f["line"]) in ok and f["kind"] in ("must_change", "hazard")}


def test_fleet_recall_precision_and_distractors(findings: list[dict[str, Any]], expectations: Any) -> None:
    expected, ok = expectations
    assert len(expected) >= 70 and len(ok) >= 30, (len(expected), len(ok))
    total, by_layer, misses, noise = score(expected, findings)
    table = format_scores(total, by_layer)
    print("\nfleet_app (held out):\n" + table)
    print(f"\nmisses ({len(misses)}):")
    for m in misses:
        print(f"  {m.path}:{m.line} {m.kind} {m.layer}")
    print(f"\nnoise ({len(noise)}):")
    for f in noise:
        print("  " + _describe(f) + ("  [marked ok]" if (f["path"], f["line"]) in ok else ""))
    distractors = [f for f in findings if (f["path"], f["line"]) in ok and f["kind"] in ("must_change", "hazard")]
    print(f"\ndistractors flagged ({len(distractors)}):")
    for f in distractors:
        print("  " + _describe(f))
    new = [f for f in distractors if (f["path"], f["line"]) not in KNOWN_FLAGGED_DISTRACTORS]
    assert not new, "an `ok` line was flagged:\n" + "\n".join(_describe(f) for f in new)
    assert total.recall >= RECALL_FLOOR, table
    assert total.precision >= PRECISION_FLOOR, table


def test_fleet_no_distractor_flagged(findings: list[dict[str, Any]], expectations: Any) -> None:
    _, ok = expectations
    assert not _flagged_ok_lines(findings, ok) - KNOWN_FLAGGED_DISTRACTORS


def test_known_flagged_distractors_are_still_ok_lines(expectations: Any) -> None:
    """The allow-list must point at `ok` lines: if the app moves, this fails instead of hiding a new flag."""
    _, ok = expectations
    assert KNOWN_FLAGGED_DISTRACTORS <= ok
