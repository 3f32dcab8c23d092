"""`impact schema` as a user runs it: formats, exit 3 on an unreachable database, exit 2 on bad input."""

from __future__ import annotations

import json
import socket
import sqlite3
from collections.abc import Callable
from pathlib import Path

from helpers import run_impact

DDL = """
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE documents (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), title TEXT);
CREATE TABLE revisions (id INTEGER PRIMARY KEY, document_id INTEGER NOT NULL REFERENCES documents(id));
CREATE TABLE document_stats (document_id INTEGER, day TEXT, PRIMARY KEY (document_id, day));
INSERT INTO users (name) VALUES ('a');
"""


def _db(tmp_path: Path) -> str:
    path = tmp_path / "app.sqlite"
    con = sqlite3.connect(path)
    con.executescript(DDL)
    con.commit()
    con.close()
    return f"sqlite:///{path}"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_schema_json(tmp_path: Path) -> None:
    proc = run_impact("schema", "--db", _db(tmp_path), "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    refs = {(r["from"], r["to"], r["kind"]) for r in data["references"]}
    assert ("revisions.document_id", "documents.id", "declared") in refs
    assert ("document_stats.document_id", "documents.id", "inferred") in refs
    assert {t["name"] for t in data["tables"]} == {"users", "documents", "revisions", "document_stats"}
    users = next(t for t in data["tables"] if t["name"] == "users")
    assert users["rows"] == 1 and users["rows_estimated"] is False


def test_schema_formats(tmp_path: Path) -> None:
    url = _db(tmp_path)
    md = run_impact("schema", "--db", url, cwd=tmp_path)
    assert md.returncode == 0 and "| revisions.document_id | documents.id | declared |" in md.stdout
    dot = run_impact("schema", "--db", url, "--format", "dot", cwd=tmp_path)
    assert dot.returncode == 0 and dot.stdout.startswith("digraph") and "style=dashed" in dot.stdout
    html = run_impact("schema", "--db", url, "--format", "html", cwd=tmp_path)
    assert html.returncode == 0 and "<table>" in html.stdout
    bad = run_impact("schema", "--db", url, "--format", "xml", cwd=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_schema_unreachable_is_exit_3_without_password(tmp_path: Path) -> None:
    url = f"postgresql://impact:TopSecret123@127.0.0.1:{_port()}/db"
    proc = run_impact("schema", "--db", url, cwd=tmp_path, timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert "TopSecret123" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: cannot connect to postgresql://impact:***@"), lines


def test_schema_unreachable_from_env(tmp_path: Path) -> None:
    url = f"mysql://root:Hunter2pw@127.0.0.1:{_port()}/db"
    proc = run_impact("schema", cwd=tmp_path, env={"IMPACT_DATABASE_URL": url}, timeout=60)
    assert proc.returncode == 3 and "Hunter2pw" not in proc.stderr + proc.stdout


def test_schema_on_postgres(pg_url: str, run_sql: Callable[[str, str], None], tmp_path: Path) -> None:
    run_sql(pg_url, "CREATE TABLE a (id SERIAL PRIMARY KEY)\n;;\nCREATE TABLE b (id SERIAL PRIMARY KEY, "
                    "a_id INTEGER REFERENCES a (id))\n;;\nINSERT INTO a DEFAULT VALUES")
    proc = run_impact("schema", "--db", pg_url, "--format", "json", "--exact-counts", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["dialect"] == "postgresql"
    assert [r["from"] for r in data["references"]] == ["b.a_id"]
    a = next(t for t in data["tables"] if t["name"] == "a")
    assert a["rows"] == 1 and a["bytes"] > 0


def test_scan_unknown_target_is_exit_2(tmp_path: Path) -> None:
    url = _db(tmp_path)
    (tmp_path / "src").mkdir()
    proc = run_impact("scan", str(tmp_path / "src"), "--db", url, "--target", "document.id",
                      "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "documents" in proc.stderr and "Traceback" not in proc.stderr
