"""The database's part of a scan with --db, read by a forked child while the main process reads the tree (issue 15).

`analyzer.dbside.DbSide` reflects the schema, then reads what the plan reads (the keys' facts, the migrations'
checks, a shared sequence's collisions); the scan and the plan take those answers instead of asking the database
themselves, and the run memo's recorder gets the child's statements as if this process had sent them. These tests
pin that a run so gives what the run without the child gives (findings, plan, migrations, recorded statements),
that a child with nothing to give leaves the run as it was (an unreachable database fails the same way), and that
the main process of such a run never imports SQLAlchemy (0.15 s of a cold scan's start).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import fixture_backend

from analyzer.cache import DbRecorder
from analyzer.config import Config
from analyzer.dbside import DbSide
from analyzer.pipeline import ScanOptions, run_plan, run_scan
from analyzer.plan.strategies import plan_strategies

SCHEMA = ("CREATE TABLE content_items (id serial PRIMARY KEY, title text, created_at timestamptz DEFAULT now())\n;;\n"
          "CREATE TABLE content_items_auto (id serial PRIMARY KEY, title text)\n;;\n"
          "CREATE TABLE generation_jobs (id serial PRIMARY KEY, content_id integer REFERENCES content_items(id), "
          "status text)\n;;\n"
          "CREATE TABLE images (id serial PRIMARY KEY, content_id integer NOT NULL REFERENCES content_items(id))\n;;\n"
          "CREATE INDEX images_content ON images (content_id)\n;;\n"
          "CREATE VIEW recent_items AS SELECT id, title FROM content_items\n;;\n"
          "INSERT INTO content_items (title) SELECT 'item ' || g FROM generate_series(1, 40) g\n;;\n"
          "INSERT INTO content_items_auto (title) SELECT 'auto ' || g FROM generate_series(1, 25) g\n;;\n"
          "INSERT INTO images (content_id) SELECT 1 + mod(g, 40) FROM generate_series(1, 90) g")


@pytest.fixture()
def content(tmp_path: Path) -> Path:
    return fixture_backend(tmp_path)


def _run(options: ScanOptions, side: DbSide | None) -> tuple[dict[str, object], list[tuple[str, object, str]], bool]:
    with DbRecorder() as rec:
        report = run_scan(options, db_side=side)
        report = run_plan(report, options, plan_strategies(options.to), db_side=side)
    plan = report.extras["plan"]
    migrations = {name: m.render() for name, m in report.extras["migrations"].items()}  # type: ignore[attr-defined]
    shown = {"findings": [(f.path, f.span.line, f.code, f.message) for f in report.findings],
             "plan": json.dumps(plan.to_json(), sort_keys=True, default=str),  # type: ignore[attr-defined]
             "migrations": migrations, "schema": report.schema, "closure": report.closure}
    return shown, rec.statements, rec.ok


def test_the_child_reads_what_the_run_would_read_itself(content: Path, pg_url: str,
                                                          run_sql: Callable[[str, str], None]) -> None:
    run_sql(pg_url, SCHEMA)
    options = ScanOptions(roots=(str(content),), targets=("content_items.id", "content_items_auto.id"),
                          db_url=pg_url, config=Config(cache=False, jobs=1))
    alone, said_alone, ok_alone = _run(options, None)
    side = DbSide.start(options, plan_strategies(options.to))
    assert side is not None
    try:
        beside, said_beside, ok_beside = _run(options, side)
        assert [type(a).__name__ for a in side.answers] == ["tuple", "tuple"], "both answers came from the child"
    finally:
        side.close()
    assert alone["findings"] and alone["migrations"], "a scan and a plan with something in them"
    assert beside == alone
    assert ok_alone and ok_beside and said_alone
    # (the same statements; not always in the same order, the reflection sends some from two threads; an answer
    # may differ between the two runs: a new table's size grows as the server writes its visibility map)
    assert sorted((sql, repr(params)) for sql, params, _digest in said_beside) == \
        sorted((sql, repr(params)) for sql, params, _digest in said_alone), "the child's statements are the run's"


def test_an_unreachable_database_fails_the_run_as_it_did(content: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The child's `DatabaseError` is the run's, with the message the run gives without the child (it is not tried
    again: a host that does not answer would cost its connect timeout twice)."""
    from analyzer.db.errors import DatabaseError

    options = ScanOptions(roots=(str(content),), targets=("content_items.id",),
                          db_url="postgresql://nobody@127.0.0.1:9/none", config=Config(cache=False, jobs=1))
    side = DbSide.start(options, plan_strategies(options.to))
    assert side is not None
    import analyzer.pipeline as pipeline

    tried: list[str] = []
    load = pipeline.load_schema

    def counted(*args: object, **kwargs: object) -> object:
        tried.append("here")
        return load(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "load_schema", counted)
    try:
        with pytest.raises(DatabaseError) as beside:
            run_scan(options, db_side=side)
    finally:
        side.close()
    assert tried == [], "the run did not reflect again"
    with pytest.raises(DatabaseError) as alone:
        run_scan(options)
    assert tried == ["here"]
    assert str(beside.value) == str(alone.value)


def test_a_child_with_nothing_to_give_leaves_the_run_as_it_was(content: Path, pg_url: str,
                                                               run_sql: Callable[[str, str], None]) -> None:
    """A child that ends before it answers: the run reflects the schema and prices the plan itself."""
    run_sql(pg_url, SCHEMA)
    options = ScanOptions(roots=(str(content),), targets=("content_items.id", "content_items_auto.id"),
                          db_url=pg_url, config=Config(cache=False, jobs=1))
    side = DbSide.start(options, plan_strategies(options.to))
    assert side is not None
    os.kill(side.pid, 9)
    try:
        assert side.schema() is None and side.plan() is None
        beside, said, ok = _run(options, side)
    finally:
        side.close()
    alone, said_alone, _ok = _run(options, None)
    assert beside == alone and ok and len(said) == len(said_alone)


def test_the_main_process_of_a_scan_with_a_database_never_imports_sqlalchemy(
        content: Path, tmp_path: Path, pg_url: str, run_sql: Callable[[str, str], None]) -> None:
    run_sql(pg_url, SCHEMA)
    script = ("import sys\nfrom analyzer import cli, workers\nworkers.ONE_SHOT = True\n"
              "try:\n    cli.app(sys.argv[1:], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
              "print('sqlalchemy' in sys.modules, any(m.startswith('psycopg') for m in sys.modules))\n")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-c", script, "scan", str(content), "--target", "content_items.id",
                           "--db", pg_url, "--cache-dir", str(tmp_path / "cache"), "--out", str(out),
                           "--format", "json", "--no-typecheck", "--fail-on", "never", "-q"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "False"], proc.stdout + proc.stderr
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert plan and (out / "migrations").is_dir(), "the plan was priced from the child's answers"


def test_one_job_reads_the_database_here(content: Path) -> None:
    """`--jobs 1` (and a one-core machine) forks no child for the database: the benchmark's slow path checks the
    findings of the run with it against a run without it."""
    from analyzer.pipeline import db_side

    options = ScanOptions(roots=(str(content),), targets=("content_items.id",),
                          db_url="postgresql://nobody@127.0.0.1:9/none", config=Config(cache=False, jobs=1))
    assert db_side(options, None) is None
    two = ScanOptions(roots=(str(content),), targets=("content_items.id",),
                      db_url="postgresql://nobody@127.0.0.1:9/none", config=Config(cache=False, jobs=2))
    side = db_side(two, None)
    assert side is not None
    side.close()
