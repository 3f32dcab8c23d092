"""Accuracy of `impact scan` on a held-out app it was not tuned on: fixtures/ledger_app.

The app (documents.id INTEGER -> UUID; FK, odd-name FK, FK-less virtual reference, polymorphic,
association table, ON DELETE SET NULL; invoices/accounts/teams/tags as look-alike distractors) was
annotated by hand with what a careful engineer would change, before the tool was run on it. This test
runs the INSTALLED `impact` command the way a user does and scores findings.json line by line against
those annotations (`# impact: ...` / `// impact: ...`; `# ok` / `// ok` = distractor).

The floors are what the tool reached when this test was written, rounded down to 0.05: they catch a
regression, they are not a target. Run with `-s` to see the table, the misses and the noise.
"""

from __future__ import annotations

from pathlib import Path

from heldout import app_expectations, check_accuracy, scan_app
from helpers import REPO

APP = REPO / "fixtures" / "ledger_app"
TARGETS = ("documents.id",)

#: measured 2026-11-25: recall 105/125 = 84 %, precision 105/106 = 99 % -> floors rounded down to 0.05
#: raised 2026-11-25 after the TypeScript round 2 (polymorphic sinks gated by their kind argument, data-
#: attribute ids, hook-returned setters, entity-named id lists, number-keyed state): 110/125 = 88 %, 110/110
RECALL_FLOOR = 0.95
PRECISION_FLOOR = 0.95


def test_recall_precision_and_no_distractor_flagged(tmp_path: Path) -> None:
    expected, ok = app_expectations(APP)
    assert len(expected) >= 70 and len(ok) >= 30, (len(expected), len(ok))
    check_accuracy("ledger_app", scan_app(APP, TARGETS, tmp_path), expected, ok, RECALL_FLOOR, PRECISION_FLOOR)
