"""The schema a scan read, read back by a later one only when reading it again would give the same (issue 15).

With --db the reflection's statements are recorded with a digest of each answer and replayed read-only
(analyzer.cache.ScanCache.db_schema); without --db, a diff run takes the models a cached scan of the base
read when every file the change touches is read the same way or opened by no step of the reading
(analyzer.incremental.base_schema, analyzer.db.models_schema.ModelReads). A schema that changed is read
again, never taken stale.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from analyzer import pipeline
from analyzer.cache import DbRecorder, ScanCache, cached_schema, digests, replay
from analyzer.config import Config
from analyzer.db import models_schema, reflect, schema_from_models
from analyzer.pipeline import ScanOptions
from analyzer.sources import Limits, discover_all


def _refuse(*_args: object, **_kwargs: object) -> object:
    raise AssertionError("the schema was read again")


def test_a_reflected_schema_is_read_back_only_while_the_database_answers_the_same(
        pg_url: str, run_sql: Callable[[str, str], None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_sql(pg_url, "CREATE TABLE items (id integer PRIMARY KEY)\n;;\n"
                    "CREATE TABLE notes (id integer PRIMARY KEY, item_id integer REFERENCES items(id))")
    store = ScanCache(tmp_path / "cache")
    (tmp_path / "cache").mkdir()
    options = ScanOptions(roots=(str(tmp_path),), targets=("items.id",), db_url=pg_url)
    with DbRecorder() as outer:  # a run memo's recorder listening already: its statements are taken
        first = cached_schema(store, options, [], {})
    assert outer.statements and list((tmp_path / "cache").glob("dbschema-*.pickle"))
    read = pipeline.load_schema
    monkeypatch.setattr(pipeline, "load_schema", _refuse)
    assert cached_schema(store, options, [], {}) == first
    run_sql(pg_url, "ALTER TABLE notes ADD COLUMN other_item_id integer REFERENCES items(id)")
    with pytest.raises(AssertionError, match="read again"):
        cached_schema(store, options, [], {})  # a column more: the answers differ, the schema is read again
    monkeypatch.setattr(pipeline, "load_schema", read)
    again = cached_schema(store, options, [], {})
    assert again != first and again == reflect(pg_url)
    assert again.table("notes").column("other_item_id") is not None  # type: ignore[union-attr]
    monkeypatch.setattr(pipeline, "load_schema", _refuse)
    with DbRecorder() as outer:
        assert cached_schema(store, options, [], {}) == again, "recorded without a recorder listening too"
    # the run memo's record holds what the schema was read back by: a change to it is seen by the memo too
    assert outer.statements and replay(pg_url, outer.statements)
    run_sql(pg_url, "ALTER TABLE notes ADD COLUMN third_item_id integer")
    assert not replay(pg_url, outer.statements)


def test_the_answers_replayed_ahead_in_a_child_are_the_replay_s(
        pg_url: str, run_sql: Callable[[str, str], None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`replay_ahead` checks the stored reflection's answers in a forked child while the run reads the tree; the
    run's `replay` of those statements takes the child's answer, once, and replays any other list itself. A database
    that changed since is seen by the child as by `replay`."""
    from analyzer import cache

    run_sql(pg_url, "CREATE TABLE items (id integer PRIMARY KEY)\n;;\n"
                    "CREATE TABLE notes (id integer PRIMARY KEY, item_id integer REFERENCES items(id))")
    store = ScanCache(tmp_path / "cache")
    (tmp_path / "cache").mkdir()
    options = ScanOptions(roots=(str(tmp_path),), targets=("items.id",), db_url=pg_url)
    with DbRecorder() as outer:
        cached_schema(store, options, [], {})
    statements = outer.statements
    monkeypatch.setattr(cache, "_AHEAD", [])
    cache.replay_ahead(store, pg_url, (), whole_run=False)
    assert cache._AHEAD and cache._AHEAD[0] == pg_url, "a child was started"
    assert cache._replayed_ahead(pg_url, statements[:-1]) is None, "another list: replayed here"
    assert cache._replayed_ahead("postgresql://elsewhere/db", statements) is None, "another database"
    assert cache._replayed_ahead(pg_url, statements) is True
    assert cache._replayed_ahead(pg_url, statements) is None, "taken once: a later replay asks the database"

    run_sql(pg_url, "ALTER TABLE notes ADD COLUMN other_item_id integer")
    monkeypatch.setattr(cache, "_AHEAD", [])
    cache.replay_ahead(store, pg_url, (), whole_run=False)
    assert cache._replayed_ahead(pg_url, statements) is False, "a column more: the child sees it too"
    assert replay(pg_url, statements) is False

    monkeypatch.setattr(cache, "_AHEAD", [])
    cache.replay_ahead(store, "sqlite:///nowhere.db", (), whole_run=False)
    assert cache._AHEAD == [], "not PostgreSQL: nothing to replay ahead"


MODELS = '''from sqlalchemy import Column, ForeignKey, Integer
from app.base import Base


class Item(Base):
    __tablename__ = "items"
    id = Column(Integer, primary_key=True)


class Note(Base):
    __tablename__ = "notes"
    id = Column(Integer, primary_key=True)
    item_id = Column(Integer, ForeignKey("items.id"))
'''


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo, check=True,
                   capture_output=True)


def _files(root: Path) -> tuple[list, dict[str, str]]:
    files = discover_all((str(root),), Config().excludes, Limits()).files
    return files, digests(files)


def test_a_diff_run_takes_the_base_models_only_where_the_change_cannot_alter_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "models.py").write_text(MODELS)
    (root / "app" / "views.py").write_text("def show(item_id: int) -> int:\n    return item_id\n")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "base")
    store = ScanCache(tmp_path / "cache")
    (tmp_path / "cache").mkdir()
    options = ScanOptions(roots=(str(root),), targets=("items.id",), diff_base="HEAD")
    base = cached_schema(store, options, *_files(root))
    assert base.table("notes") is not None

    def fresh() -> object:
        return schema_from_models([f for f in _files(root)[0] if f.language == "python"])

    read = models_schema.schema_and_reads
    monkeypatch.setattr(models_schema, "schema_and_reads", _refuse)
    # read the same way: a comment that moves nothing; opened by no step: a file without markers, a new module
    (root / "app" / "models.py").write_text(MODELS.replace("primary_key=True)\n", "primary_key=True)  # touched\n", 1))
    (root / "app" / "views.py").write_text("def show(item_id: int) -> int:\n    return item_id + 0\n")
    (root / "app" / "clamp.py").write_text("def clamp(v: int) -> int:\n    return v\n")
    _git(root, "add", "-N", "app/clamp.py")
    assert cached_schema(store, options, *_files(root)) == base == fresh()
    # an added module an import of the models looks for (app.base): read again, even without a marker
    _git(root, "checkout", "-q", "--", ".")
    (root / "app" / "base.py").write_text("class Base:\n    pass\n")
    _git(root, "add", "-N", "app/base.py")
    with pytest.raises(AssertionError, match="read again"):
        cached_schema(store, options, *_files(root))
    (root / "app" / "base.py").unlink()
    _git(root, "rm", "-q", "--cached", "app/base.py")
    # a column more: read again, and the schema has it
    (root / "app" / "models.py").write_text(MODELS + "    other_item_id = Column(Integer, ForeignKey('items.id'))\n")
    with pytest.raises(AssertionError, match="read again"):
        cached_schema(store, options, *_files(root))
    monkeypatch.setattr(models_schema, "schema_and_reads", read)
    got = cached_schema(store, options, *_files(root))
    assert got == fresh() and got != base
    assert got.table("notes").column("other_item_id") is not None  # type: ignore[union-attr]


def test_the_database_schema_cache_needs_no_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    """psycopg is optional (`.[postgres]`): a SQLite run (`impact demo` after `pip install .`) must not need its
    version for the cache's key (it raised PackageNotFoundError there)."""
    from analyzer import cache

    real = cache.dist_version
    monkeypatch.setattr(cache, "dist_version", lambda name: None if name == "psycopg" else real(name))
    with_none = ScanCache._db_schema_name("sqlite:///app.db", ())
    monkeypatch.setattr(cache, "dist_version", real)
    assert with_none.startswith("dbschema-") and with_none != ScanCache._db_schema_name("sqlite:///app.db", ())
