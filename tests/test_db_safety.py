"""Harmless by construction: the tool's engine cannot write, and passwords never show."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from analyzer import db


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _write_fails(url: str) -> None:
    engine = db.open_engine(url)
    try:
        with pytest.raises(sa.exc.DBAPIError) as info:
            with engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO items (id) VALUES (42)"))
        text = str(info.value).lower()
        assert "read" in text and "only" in text.replace("-", " ").replace("_", " "), text
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM items")).scalar() == 1
        with pytest.raises(sa.exc.DBAPIError):
            with engine.begin() as conn:
                conn.execute(sa.text("CREATE TABLE other (id INTEGER)"))
    finally:
        engine.dispose()


def test_write_fails_on_postgres(pg_url: str, run_sql: Callable[[str, str], None]) -> None:
    run_sql(pg_url, "CREATE TABLE items (id INTEGER PRIMARY KEY)\n;;\nINSERT INTO items VALUES (1)")
    _write_fails(pg_url)
    engine = db.open_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SHOW default_transaction_read_only")).scalar() == "on"
            assert conn.execute(sa.text("SHOW statement_timeout")).scalar() not in ("0", None)
            assert conn.execute(sa.text("SHOW lock_timeout")).scalar() not in ("0", None)
            assert conn.execute(sa.text("SHOW idle_in_transaction_session_timeout")).scalar() not in ("0", None)
    finally:
        engine.dispose()


def test_write_fails_on_mysql(mysql_url: str, run_sql: Callable[[str, str], None]) -> None:
    run_sql(mysql_url, "CREATE TABLE items (id INT PRIMARY KEY)\n;;\nINSERT INTO items VALUES (1)")
    engine = db.open_engine(mysql_url)
    try:
        with pytest.raises(sa.exc.DBAPIError) as info:
            with engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO items (id) VALUES (42)"))
        assert "read only" in str(info.value).lower() or "read-only" in str(info.value).lower()
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM items")).scalar() == 1
    finally:
        engine.dispose()


def test_write_fails_on_sqlite(sqlite_url: str, run_sql: Callable[[str, str], None]) -> None:
    run_sql(sqlite_url, "CREATE TABLE items (id INTEGER PRIMARY KEY)\n;;\nINSERT INTO items VALUES (1)")
    _write_fails(sqlite_url)


def test_sqlite_odd_file_names(tmp_path, run_sql) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "my db #1.sqlite"
    url = f"sqlite:///{path}"
    run_sql(url, "CREATE TABLE items (id INTEGER PRIMARY KEY)\n;;\nINSERT INTO items VALUES (1)")
    snap = db.reflect(url)
    assert [t.name for t in snap.tables] == ["items"] and snap.tables[0].rows == 1
    _write_fails(url)


def test_sqlite_missing_file_is_not_created(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "nope.sqlite"
    with pytest.raises(db.DatabaseError, match="cannot connect"):
        db.reflect(f"sqlite:///{path}")
    assert not path.exists()


def test_redact() -> None:
    assert db.redact("postgresql://u:s3cret@h/db") == "postgresql://u:***@h/db"
    assert db.redact("postgresql+psycopg://u:p%40ss@h:5432/db?sslmode=require") == \
        "postgresql+psycopg://u:***@h:5432/db?sslmode=require"
    assert db.redact("mysql://root@h/db") == "mysql://root@h/db"
    assert db.redact("sqlite:///tmp/x.db") == "sqlite:///tmp/x.db"
    assert "hunter2" not in db.redact("postgresql://h/db?user=u&password=hunter2")


def test_password_never_in_errors_refused_port() -> None:
    secret = f"pw{uuid.uuid4().hex}"
    url = f"postgresql://impact:{secret}@127.0.0.1:{_closed_port()}/nowhere"
    with pytest.raises(db.DatabaseError) as info:
        db.reflect(url)
    message = str(info.value)
    assert secret not in message and "***" in message
    assert message.startswith("cannot connect to postgresql://impact:***@127.0.0.1")
    assert "\n" not in message


def test_password_never_in_errors_bad_credentials(pg_server: str) -> None:
    secret = f"pw{uuid.uuid4().hex}"
    url = make_url(pg_server).set(username=f"nobody_{uuid.uuid4().hex[:6]}", password=secret)
    text = url.render_as_string(hide_password=False)
    with pytest.raises(db.DatabaseError) as info:
        db.reflect(text)
    assert secret not in str(info.value)
    assert "\n" not in str(info.value)


def test_password_never_in_errors_mysql(mysql_server: str) -> None:
    secret = f"pw{uuid.uuid4().hex}"
    url = make_url(mysql_server).set(username="impact_nobody", password=secret)
    with pytest.raises(db.DatabaseError) as info:
        db.reflect(url.render_as_string(hide_password=False))
    assert secret not in str(info.value)


def test_unknown_scheme_is_one_line() -> None:
    with pytest.raises(db.DatabaseError, match="unsupported database URL scheme 'oracle'") as info:
        db.open_engine("oracle://scott:tiger@h/db")
    assert "tiger" not in str(info.value)
    with pytest.raises(db.DatabaseError, match="not a database URL"):
        db.open_engine("not a url")


def test_drivers_are_psycopg3_and_pymysql() -> None:
    from analyzer.db.engine import normalize_url

    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("mysql://u@h/db").drivername == "mysql+pymysql"
    assert normalize_url("mariadb://u@h/db").drivername == "mysql+pymysql"
    assert normalize_url("postgresql+asyncpg://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("mysql+aiomysql://u@h/db").drivername == "mysql+pymysql"
    assert normalize_url("sqlite+aiosqlite:///x.db").drivername == "sqlite"
