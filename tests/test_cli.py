"""Exit codes and one-line errors, as a user meets them (SPEC: 0 done, 1 findings, 2 usage, 3 database)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from helpers import run_impact


def _one_line_error(proc) -> str:
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.fixture()
def tiny_db(tmp_path: Path) -> str:
    path = tmp_path / "tiny.sqlite"
    con = sqlite3.connect(path)
    con.executescript(
        """
        CREATE TABLE documents (id INTEGER PRIMARY KEY, title TEXT);
        CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE attachments (id INTEGER PRIMARY KEY,
            document_id INTEGER REFERENCES documents(id), user_id INTEGER REFERENCES users(id));
        """
    )
    con.commit()
    con.close()
    return f"sqlite:///{path}"


def test_version(tmp_path: Path) -> None:
    proc = run_impact("--version", cwd=tmp_path)
    assert proc.returncode == 0 and "impact" in proc.stdout


def test_bad_target_spelling_is_a_usage_error(tmp_path: Path, tiny_db: str) -> None:
    proc = run_impact("scan", str(tmp_path), "--db", tiny_db, "--target", "documents", cwd=tmp_path)
    assert proc.returncode == 2
    assert "TABLE.COLUMN" in _one_line_error(proc)


def test_unknown_target_names_the_closest(tmp_path: Path, tiny_db: str) -> None:
    proc = run_impact("scan", str(tmp_path), "--db", tiny_db, "--target", "document.id", cwd=tmp_path)
    assert proc.returncode == 2
    assert "documents" in _one_line_error(proc)


def test_missing_path_is_a_usage_error(tmp_path: Path, tiny_db: str) -> None:
    proc = run_impact("scan", str(tmp_path / "nope"), "--db", tiny_db, "--target", "documents.id", cwd=tmp_path)
    assert proc.returncode == 2
    assert "nope" in _one_line_error(proc)


def test_unreachable_database_exits_3_without_the_password(tmp_path: Path) -> None:
    url = "postgresql://someone:s3cr3t-pw@127.0.0.1:1/nothing"
    proc = run_impact("scan", str(tmp_path), "--db", url, "--target", "a.id", cwd=tmp_path)
    assert proc.returncode == 3
    line = _one_line_error(proc)
    assert "s3cr3t-pw" not in proc.stdout + proc.stderr
    assert "127.0.0.1" in line


def test_bad_format_and_fail_on(tmp_path: Path, tiny_db: str) -> None:
    for args in (("--format", "pdf"), ("--fail-on", "sometimes"), ("--to", "guid")):
        proc = run_impact("scan", str(tmp_path), "--db", tiny_db, "--target", "documents.id", *args,
                          cwd=tmp_path)
        assert proc.returncode == 2, args
        _one_line_error(proc)


def test_scan_exit_codes_follow_fail_on(tmp_path: Path, tiny_db: str) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "api.py").write_text(
        "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
        "@router.get('/documents/{document_id}')\n"
        "def get_document(document_id: int, user_id: int):\n"
        "    return {'id': document_id}\n"
    )
    out = tmp_path / "out"
    common = ("scan", str(src), "--db", tiny_db, "--target", "documents.id", "--out", str(out), "-q")
    failing = run_impact(*common, cwd=tmp_path)
    assert failing.returncode == 1, failing.stderr
    assert (out / "findings.json").is_file()
    passing = run_impact(*common, "--fail-on", "never", cwd=tmp_path)
    assert passing.returncode == 0, passing.stderr


def test_rules_list_and_show(tmp_path: Path) -> None:
    listing = run_impact("rules", "list", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert "PY" in listing.stdout and "TS" in listing.stdout
    unknown = run_impact("rules", "show", "NOPE999", cwd=tmp_path)
    assert unknown.returncode == 2
