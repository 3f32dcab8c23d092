"""A whole `impact scan` read back (issue 15's warm re-run), and what keeps a change from being taken for none.

analyzer.cache.RunMemo stores a finished scan's outputs under everything the run read (the tool, the
options, every file's digest) and, with --db, the statements it sent with a digest of each answer: a re-run
replays the statements and writes the same outputs when all of it is the same. These tests check that an
unchanged re-run writes byte-identical outputs, that a changed file or a changed row is scanned again
(a type-checked run: test_run_memo_typecheck), and the helpers diff mode and the cache's reuse use to tell a file no rule reads.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import fixture_backend
from typer.testing import CliRunner

from analyzer.cache import DbRecorder, read_by_rules, replay
from analyzer.cli import app
from analyzer.incremental import same_syntax
from analyzer.models import Finding, Span


@pytest.fixture()
def content(tmp_path: Path) -> Path:
    return fixture_backend(tmp_path)


def _scan(root: Path, out: Path, cache: Path, *extra: str, quiet: bool = True) -> str:
    result = CliRunner().invoke(app, ["scan", str(root), "--target", "content_items.id", "--format", "json,md,sarif",
                                      "--out", str(out), "--cache-dir", str(cache), "--fail-on", "never",
                                      *(["-q"] if quiet else []), *extra])
    assert result.exit_code == 0, result.output
    return result.output


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_an_unchanged_rerun_writes_the_same_outputs(content: Path, tmp_path: Path) -> None:
    cache, out = tmp_path / "cache", tmp_path / "out"
    _scan(content, out, cache, "--no-typecheck")
    first = _tree(out)
    assert list(cache.glob("run-*.pickle")), "the scan stored its run"
    (out / "findings.json").write_text("{}", encoding="utf-8")  # whatever the folder holds is replaced
    said = _scan(content, out, cache, "--no-typecheck", quiet=False)
    assert _tree(out) == first
    assert "wrote" in said  # the summary of a run read back, as of any run
    # a changed file: scanned again, as a scan without any cache finds it
    model = next(p for p in sorted(content.rglob("*.py")) if "content_items" in p.read_text(encoding="utf-8"))
    model.write_text(model.read_text(encoding="utf-8") + "\n\ndef helper(content_item_id: int) -> int:\n"
                     "    return content_item_id\n", encoding="utf-8")
    _scan(content, out, cache, "--no-typecheck")
    _scan(content, tmp_path / "fresh", tmp_path / "unused", "--no-typecheck", "--no-cache")
    assert _tree(out) == _tree(tmp_path / "fresh")
    assert _tree(out) != first


def test_a_rerun_against_postgres_is_read_back_until_an_answer_changes(
        content: Path, tmp_path: Path, pg_url: str, run_sql: Callable[[str, str], None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With --db the re-run's replay of the database's answers runs in a child forked at the start
    (cache.replay_ahead): an unchanged database reads the run back, a row more is scanned again."""
    from analyzer import cache, pipeline

    run_sql(pg_url, "CREATE TABLE content_items (id serial PRIMARY KEY, title text)\n;;\n"
                    "CREATE TABLE generation_jobs (id serial PRIMARY KEY, content_id integer REFERENCES content_items(id))"
                    "\n;;\nINSERT INTO content_items (title) VALUES ('a'), ('b')")
    out, store = tmp_path / "out", tmp_path / "cache"
    _scan(content, out, store, "--no-typecheck", "--db", pg_url)
    first = _tree(out)
    answers: list[bool | None] = []
    ahead = cache._replayed_ahead

    def taken(url: str, statements: list[tuple[str, object, str]]) -> bool | None:
        answers.append(ahead(url, statements))  # type: ignore[arg-type]
        return answers[-1]

    def refuse(*_args: object, **_kwargs: object) -> object:
        raise AssertionError("scanned again")

    scan = pipeline.run_scan
    monkeypatch.setattr(cache, "_replayed_ahead", taken)
    monkeypatch.setattr(pipeline, "run_scan", refuse)
    _scan(content, out, store, "--no-typecheck", "--db", pg_url)
    assert answers == [True], "the child's answer was taken"
    assert _tree(out) == first and cache._AHEAD == [], "and forgotten when the command ended"
    run_sql(pg_url, "INSERT INTO content_items (title) VALUES ('c')")
    answers.clear()
    result = CliRunner().invoke(app, ["scan", str(content), "--target", "content_items.id", "--format", "json,md,sarif",
                                      "--out", str(tmp_path / "again"), "--cache-dir", str(store), "--fail-on", "never",
                                      "-q", "--no-typecheck", "--db", pg_url])
    assert "scanned again" in repr(result.exception), "a row more: the run is not read back"
    assert answers[0] is False
    monkeypatch.setattr(pipeline, "run_scan", scan)
    _scan(content, tmp_path / "again", store, "--no-typecheck", "--db", pg_url)


def test_the_database_answers_are_replayed(pg_url: str, run_sql: Callable[[str, str], None]) -> None:
    import sqlalchemy as sa

    from analyzer.db import open_engine

    run_sql(pg_url, "CREATE TABLE items (id integer PRIMARY KEY, name text)\n;;\nINSERT INTO items VALUES (1, 'a')")
    with DbRecorder() as rec:
        engine = open_engine(pg_url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(sa.text("SELECT id, name FROM items WHERE id >= :low ORDER BY id"),
                                    {"low": 0}).all()
        finally:
            engine.dispose()
    assert rows == [(1, "a")], "the caller reads the rows the recorder read first"
    assert rec.ok and any("FROM items" in s for s, _p, _d in rec.statements)
    assert replay(pg_url, rec.statements)
    run_sql(pg_url, "INSERT INTO items VALUES (2, 'b');")
    assert not replay(pg_url, rec.statements), "a row more: the run is not the same"
    assert not replay("sqlite:///nowhere.db", rec.statements)



def test_a_sqlite_run_records_without_psycopg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """psycopg is optional (`.[postgres]`): with a recorder listening (a default run's memo), a SQLite run must
    not import it (`pip install . && impact demo` stopped with 'cannot connect ... No module named psycopg')."""
    import sqlite3
    import sys

    import sqlalchemy as sa

    from analyzer.db import open_engine

    db = tmp_path / "app.sqlite"
    sqlite3.connect(db).close()
    monkeypatch.setitem(sys.modules, "psycopg", None)  # `import psycopg` raises ImportError
    with DbRecorder() as rec:
        engine = open_engine(f"sqlite:///{db}")
        try:
            with engine.connect() as conn:
                assert conn.execute(sa.text("SELECT 1")).scalar() == 1
        finally:
            engine.dispose()
    assert not rec.ok, "another dialect: the record is void, the run goes on"

def _finding(path: str, evidence: str = "") -> Finding:
    return Finding(rule="py.x", code="PY000", layer="orm", language="python", kind="must_change", severity="error",
                   path=path,
                   span=Span(3, 0, 3, 5), symbol="x", message="m", evidence=evidence)


def test_what_rules_read_beyond_the_parsed_files() -> None:
    trace = {"read": frozenset({"app/base.py"}), "read_words": frozenset({"IDModel", "API_PREFIX"})}
    assert read_by_rules({}, [], "app/x.py", ["x = 1"]), "a scan that did not record its reads is not trusted"
    assert read_by_rules(trace, [], "app/base.py", ["x = 1"])
    assert read_by_rules(trace, [_finding("app/y.py")], "app/y.py", ["x = 1"])
    assert read_by_rules(trace, [_finding("app/z.py", evidence="IDModel.id in app/y.py:3")], "app/y.py", [""])
    assert read_by_rules(trace, [], "app/m.py", ["class Item(IDModel):\n    pass\n"])
    assert not read_by_rules(trace, [], "app/m.py", ["class Item(IDModelish):\n    pass\n", None])
    assert not read_by_rules(trace, [_finding("app/yy.py")], "app/y.py", ["def clamp(v): return v\n"])


def test_same_syntax_is_a_comment_that_moves_nothing() -> None:
    old = "class A:\n    id = 1\n"
    assert same_syntax(old, "class A:\n    id = 1  # touched\n")
    assert same_syntax(old, "class A:  # a comment\n    id = 1\n")
    assert not same_syntax(old, "class A:\n    id = 2\n")
    assert not same_syntax(old, "# a line more\nclass A:\n    id = 1\n")
    assert not same_syntax(old, "class A:\n    id =  1\n"), "a column moved"
    assert not same_syntax(None, old) and not same_syntax(old, "class A(:\n")
