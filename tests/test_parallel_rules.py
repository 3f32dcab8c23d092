"""analyzer.python.parallel_rules: the Python rules checked on both cores give the serial scan, exactly.

A forked child checks a run of the parsed files while the parent checks the head, then the parent merges
what the child's rules added to the shared memos and checks the tail. The content_app fixture is scanned
serially and with the fork (its thresholds lowered): the same findings in the same order, the same outcomes
(failures included), seeds and stats, and the same final state for diff mode's snapshot and the cache's
`rule_reads`. When the child's results cannot be used (it fails, or its rules wrote state the module does not
know), the parent checks its files itself: the same scan again.
"""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from analyzer.rules.python.db_model_relationship import RelationshipHint

from analyzer import demo
from analyzer.cache import rule_reads
from analyzer.config import Config
from analyzer.db import compute_closure, reflect
from analyzer.incremental import snapshot
from analyzer.models import Closure, ScanResult, SourceFile, Target
from analyzer.python import engine, parallel_rules, scan_python
from analyzer.sources import discover

APP = Path(__file__).resolve().parents[1] / "fixtures" / "content_app"

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the rules child is forked")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[SourceFile], Closure]:
    if not (APP / "backend").is_dir():
        pytest.skip("fixture app not present")
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'content_app.sqlite'}"
    demo.load_seeder(APP).build_database(url, rows=20)
    targets = [Target("content_items", "id", "INTEGER", "UUID"), Target("content_items_auto", "id", "INTEGER", "UUID")]
    cfg = Config()
    closure = compute_closure(reflect(url), targets, cfg)
    files = [f for f in discover([str(APP / "backend")], cfg.excludes) if f.language in ("python", "sql")]
    return files, closure


def run(app: tuple[list[SourceFile], Closure], jobs: int) -> tuple[ScanResult, dict[str, Any]]:
    """A scan and what diff mode and the cache read of its final state (the snapshot, the rules' reads)."""
    files, closure = app
    trace: dict[str, Any] = {"live": None}
    parallel_rules.LAST.clear()
    got = scan_python(files, closure, Config(jobs=jobs), trace=trace)
    live = trace.pop("live")
    snap = snapshot(live)
    state = {name: getattr(snap, name) for name in ("record_kinds", "returners", "states", "callers", "parsed",
                                                     "tuple_candidates", "methods")}
    state["model"] = {k: v for k, v in pickle.loads(snap.model).__dict__.items() if k != "config"}  # (its jobs)
    state["routers"] = pickle.loads(snap.routers).__dict__
    state["flow_cache"] = {k: v for k, v in snap.flow_cache.items() if k != "test_literals_bag_keys"}
    state["bag_keys"] = [(fn.func_id, keys) for fn, keys in snap.flow_cache.get("test_literals_bag_keys", {}).values()]
    state["rule_reads"] = rule_reads(live[2], live[3])
    state["entity_order"] = list(live[1].entity_cache)
    state["callers_order"] = [(k, list(v)) for k, v in live[2].callers.items()]
    return got, state


def same_scan(a: tuple[ScanResult, dict[str, Any]], b: tuple[ScanResult, dict[str, Any]]) -> None:
    (ra, sa), (rb, sb) = a, b
    assert list(ra.findings) == list(rb.findings)  # the same findings, in the same order
    assert ra.outcomes == rb.outcomes
    assert ra.seeds == rb.seeds
    assert {k: v for k, v in ra.stats.items() if k not in ("seconds", "cache_hits")} == \
        {k: v for k, v in rb.stats.items() if k not in ("seconds", "cache_hits")}
    assert sa.keys() == sb.keys()
    for key in sa:
        assert sa[key] == sb[key], key


@pytest.fixture
def both_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel_rules, "MIN_FILES", 2)
    monkeypatch.setattr(parallel_rules, "MIN_CHILD_FILES", 2)
    monkeypatch.setattr(parallel_rules, "TAKE_OVER", False)  # the child checks its whole run


@pytest.fixture(scope="module")
def serial(app: tuple[list[SourceFile], Closure]) -> tuple[ScanResult, dict[str, Any]]:
    got = run(app, 1)
    assert not parallel_rules.LAST  # one process: the serial loop
    return got


def test_rules_on_both_cores_give_the_serial_scan(app: tuple[list[SourceFile], Closure],
                                                  serial: tuple[ScanResult, dict[str, Any]], both_cores: None) -> None:
    forked = run(app, 2)
    assert parallel_rules.LAST["used"] == 1.0  # the child's results were taken
    assert parallel_rules.LAST["child_files"] >= 5
    assert parallel_rules.LAST["child_files"] < parallel_rules.LAST["files"]
    assert parallel_rules.LAST["child_cpu"] > 0
    assert len(serial[0].findings) > 100
    same_scan(serial, forked)
    # the files defining an affected mapped class (py.db.inherited_key spans files) were the parent's
    assert {f.code for f in forked[0].findings} >= {"PY001"}


def test_the_parent_takes_over_the_rest_of_a_slow_childs_run(
        app: tuple[list[SourceFile], Closure], serial: tuple[ScanResult, dict[str, Any]], both_cores: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    original = RelationshipHint.check
    parent = os.getpid()

    def check(self: RelationshipHint, ctx: Any) -> Any:
        if os.getpid() != parent:
            time.sleep(0.2)  # the child is slow: the parent is done with the head long before
        return original(self, ctx)

    monkeypatch.setattr(RelationshipHint, "check", check)
    monkeypatch.setattr(parallel_rules, "TAKE_OVER", True)
    got = run(app, 2)  # it has checked less than a quarter of its run when the parent is done: killed
    assert parallel_rules.LAST["killed"] == 1.0 and parallel_rules.LAST["used"] == 0.0
    assert parallel_rules.LAST["waited"] < 2
    same_scan(serial, got)
    # the child checks a third of its run at once, then slowly; the parent starts late: the child is stopped
    # after its current file, and what it checked is merged
    third = int(parallel_rules.LAST["child_run"]) // 3
    seen = [0]

    def check_later(self: RelationshipHint, ctx: Any) -> Any:
        seen[0] += 1
        if os.getpid() != parent and seen[0] > third:
            time.sleep(0.5)
        elif os.getpid() == parent and seen[0] == 1:
            time.sleep(2)
        return original(self, ctx)

    monkeypatch.setattr(RelationshipHint, "check", check_later)
    got = run(app, 2)
    assert parallel_rules.LAST["killed"] == 0.0 and parallel_rules.LAST["used"] == 1.0
    assert third <= parallel_rules.LAST["child_files"] < parallel_rules.LAST["child_run"]
    same_scan(serial, got)


def test_a_rule_failing_in_the_childs_files_fails_them_as_serially(
        app: tuple[list[SourceFile], Closure], both_cores: None, monkeypatch: pytest.MonkeyPatch) -> None:
    original = RelationshipHint.check
    failing: set[str] = set()

    def check(self: RelationshipHint, ctx: Any) -> Any:
        if ctx.pf.path in failing:
            raise RuntimeError(f"broken on {ctx.pf.path}")
        return original(self, ctx)

    monkeypatch.setattr(RelationshipHint, "check", check)
    first = run(app, 2)
    n = int(parallel_rules.LAST["files"])
    parsed = sorted(first[1]["parsed"])
    failing.update(parsed[i] for i in (1, n // 2, n - 2))  # some on each side
    forked = run(app, 2)
    assert parallel_rules.LAST["used"] == 1.0
    failed = {o.path: o for o in forked[0].outcomes if type(o).__name__ == "Failed"}
    assert set(failed) == failing
    assert all("broken on" in o.reason for o in failed.values())  # type: ignore[attr-defined]
    same_scan(run(app, 1), forked)


def test_the_parent_checks_the_childs_files_when_it_cannot_use_them(
        app: tuple[list[SourceFile], Closure], serial: tuple[ScanResult, dict[str, Any]], both_cores: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def dies(*args: Any, **kwargs: Any) -> None:
        os._exit(3)

    monkeypatch.setattr(parallel_rules, "_child", dies)
    got = run(app, 2)
    assert parallel_rules.LAST["used"] == 0.0 and parallel_rules.LAST["child_cpu"] == -1.0
    same_scan(serial, got)


def test_state_a_rule_writes_that_the_module_does_not_know_makes_the_parent_redo(
        app: tuple[list[SourceFile], Closure], serial: tuple[ScanResult, dict[str, Any]], both_cores: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    original = RelationshipHint.check
    writes: list[Callable[[Any], None]] = []

    def check(self: RelationshipHint, ctx: Any) -> Any:
        for write in writes:
            write(ctx)
        return original(self, ctx)

    monkeypatch.setattr(RelationshipHint, "check", check)
    # a memo of its own in flow.cache, and a fact the parent's head writes (the child may have read it)
    for write in (lambda ctx: ctx.flow.cache.setdefault("a_new_memo", set()).add(ctx.pf.path),
                  lambda ctx: ctx.model.key_strings.setdefault(f"h-{ctx.pf.path}", "x")):
        writes[:] = [write]
        parallel_rules.LAST.clear()
        got = run(app, 2)
        assert parallel_rules.LAST["used"] == 0.0
        writes.clear()
        redone = got[0]
        assert list(redone.findings) == list(serial[0].findings)
        assert redone.outcomes == serial[0].outcomes


def test_the_final_flow_pass_keeps_the_serial_loop(app: tuple[list[SourceFile], Closure], both_cores: None,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "THOROUGH", True)  # every function analysed again before its rules
    got = run(app, 2)
    assert not parallel_rules.LAST
    assert list(got[0].findings) == list(run(app, 1)[0].findings)
