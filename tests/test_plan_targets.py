"""A target must be a key (issue 11): a plain column, a table without a primary key and a part of a
composite key are refused with one line and exit 2; a primary key and a unique column are accepted."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from helpers import run_impact


@pytest.fixture()
def keys_db(tmp_path: Path) -> str:
    path = tmp_path / "keys.sqlite"
    con = sqlite3.connect(path)
    con.executescript(
        """
        CREATE TABLE documents (id INTEGER PRIMARY KEY, title TEXT, slug TEXT UNIQUE);
        CREATE TABLE log_lines (seq INTEGER, body TEXT);
        CREATE TABLE memberships (group_id INTEGER, user_id INTEGER, PRIMARY KEY (group_id, user_id));
        CREATE TABLE attachments (id INTEGER PRIMARY KEY, document_id INTEGER REFERENCES documents(id));
        """
    )
    con.commit()
    con.close()
    return f"sqlite:///{path}"


@pytest.mark.parametrize(("target", "said"), [
    ("documents.title", "not a key of documents (its primary key is id)"),
    ("log_lines.seq", "log_lines has no primary key"),
    ("memberships.user_id", "composite primary key (group_id, user_id)"),
])
def test_a_target_that_is_not_a_key_is_refused(tmp_path: Path, keys_db: str, target: str, said: str) -> None:
    for command in ("scan", "plan"):
        proc = run_impact(command, str(tmp_path), "--db", keys_db, "--target", target, "--out",
                          str(tmp_path / "out"), cwd=tmp_path)
        assert proc.returncode == 2, (command, proc.stdout, proc.stderr)
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and said in lines[0], (command, proc.stderr)
        assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("target", ["documents.id", "documents.slug"])
def test_a_primary_key_or_unique_column_is_accepted(tmp_path: Path, keys_db: str, target: str) -> None:
    proc = run_impact("scan", str(tmp_path), "--db", keys_db, "--target", target, "--fail-on", "never",
                      "--format", "json", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
