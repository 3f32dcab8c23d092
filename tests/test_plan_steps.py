"""A migration script's steps: long steps run without a statement_timeout (lock_timeout still holds), and
the script's own settings come back after each of them."""

from __future__ import annotations

from analyzer.plan.steps import Migration, Step, unbounded

BATCH = Step("backfill", "fill x_new in batches", "DO $$ BEGIN COMMIT; END $$;", lock="ROW EXCLUSIVE",
             table="t", rows=2_000_000, transactional=False)
SWITCH = Step("switch", "swap the columns", "ALTER TABLE t RENAME x TO x_old;", lock="ACCESS EXCLUSIVE", table="t")


def test_long_steps_lift_the_statement_timeout_and_restore_it() -> None:
    assert unbounded(BATCH).settings == {"statement_timeout": "0"}
    assert unbounded(SWITCH).settings == {}  # a transactional step keeps the script's limit
    assert unbounded(Step("expand", "add", "SELECT 1", transactional=False)).settings == {}  # no rows: short
    script = Migration("uuid", "postgresql", ("t.x",), (unbounded(SWITCH), unbounded(BATCH))).render()
    lines = script.splitlines()
    assert lines.count("SET statement_timeout = '15min';") == 2  # the header, and back after the batch
    do = lines.index("DO $$ BEGIN COMMIT; END $$;")
    assert lines[do - 1] == "SET statement_timeout = '0';" and lines[do + 1] == "SET statement_timeout = '15min';"
    assert "BEGIN;" in lines[: do] and lines[do - 2] != "BEGIN;"  # the batch loop is not wrapped in BEGIN
