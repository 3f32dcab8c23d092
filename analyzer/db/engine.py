"""Read-only engines: PostgreSQL, MySQL/MariaDB and SQLite, opened so that a write fails.

Harmless by construction: PostgreSQL sessions carry `default_transaction_read_only=on`, a
statement timeout and a lock timeout; MySQL sessions run `SET SESSION TRANSACTION READ ONLY`;
SQLite files are opened with `mode=ro`. Errors name the URL with its password hidden.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from analyzer.db.errors import DatabaseError, redact, scrub, split_url

#: milliseconds; overridable for slow replicas
STATEMENT_TIMEOUT_MS = int(os.environ.get("IMPACT_STATEMENT_TIMEOUT_MS", "60000"))
LOCK_TIMEOUT_MS = int(os.environ.get("IMPACT_LOCK_TIMEOUT_MS", "2000"))
CONNECT_TIMEOUT_S = int(os.environ.get("IMPACT_CONNECT_TIMEOUT_S", "10"))

_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
    "mysql+pymysql": "mysql+pymysql",
    "mariadb+pymysql": "mysql+pymysql",
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
}


def normalize_url(url: str) -> URL:
    """Parse `url` and pick the supported driver (psycopg 3 for PostgreSQL, PyMySQL for MySQL).

    The user and password come from `split_url` (a raw '/', '#', '?' or '@' in a password is fine)
    and are handed to SQLAlchemy as values, %-decoded once, so the driver gets the password verbatim.
    """
    parts = split_url(url)
    try:
        if parts is None or parts.username is None:
            parsed = make_url(url)
        else:
            parsed = make_url(f"{parts.scheme}://{parts.rest}").set(
                username=unquote(parts.username) or None,
                password=None if parts.password is None else unquote(parts.password),
            )
    except Exception:  # noqa: BLE001 - sqlalchemy raises ArgumentError / ValueError variants
        raise DatabaseError(f"not a database URL: {redact(url)!r}") from None
    scheme = parsed.drivername.lower()
    # an application's own URL often names an async driver (asyncpg, aiomysql, aiosqlite): the
    # catalogue is read synchronously, so the backend decides and the supported driver is used
    driver = _DRIVERS.get(scheme) or _DRIVERS.get(scheme.split("+", 1)[0])
    if driver is None:
        supported = "postgresql://, mysql://, sqlite:///"
        raise DatabaseError(f"unsupported database URL scheme {scheme!r} in {redact(url)} (use {supported})")
    return parsed.set(drivername=driver)


def dialect_of(url: str) -> str:
    return normalize_url(url).get_backend_name()


def _sqlite_path(parsed: URL) -> str:
    db = parsed.database or ""
    if db.startswith("file:"):
        db = db[5:].split("?", 1)[0]
    if not db or db == ":memory:":
        raise DatabaseError("SQLite URL needs a file path (sqlite:///path/to/file.db)")
    return db


def open_engine(url: str) -> sa.Engine:
    """An engine whose every connection is read-only; connects once to fail fast (DatabaseError)."""
    from analyzer.cache import listen_all

    listen_all()  # (the run memo's recorder, when it has not imported SQLAlchemy: analyzer.dbside)
    parsed = normalize_url(url)
    backend = parsed.get_backend_name()
    engine: sa.Engine
    try:
        if backend == "sqlite":
            path = _sqlite_path(parsed)
            if not os.path.exists(path):
                raise DatabaseError(f"cannot connect to {redact(url)}: no such file {path}")

            uri = Path(path).resolve().as_uri() + "?mode=ro"  # percent-encoded: spaces, '?' and '#' are safe

            def creator() -> sqlite3.Connection:
                return sqlite3.connect(uri, uri=True, check_same_thread=False)

            engine = sa.create_engine("sqlite://", creator=creator, poolclass=sa.pool.NullPool)
        elif backend == "postgresql":
            options = (
                f"-c default_transaction_read_only=on -c statement_timeout={STATEMENT_TIMEOUT_MS} "
                f"-c lock_timeout={LOCK_TIMEOUT_MS} "
                f"-c idle_in_transaction_session_timeout={max(STATEMENT_TIMEOUT_MS, 60000)}"
            )
            connect_args: dict[str, Any] = {
                "options": options,
                "connect_timeout": CONNECT_TIMEOUT_S,
                "application_name": "impact",
            }
            engine = sa.create_engine(parsed, connect_args=connect_args, poolclass=sa.pool.NullPool)
        elif backend == "mysql":
            engine = sa.create_engine(
                parsed,
                connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "read_timeout": STATEMENT_TIMEOUT_MS // 1000},
                poolclass=sa.pool.NullPool,
            )

            @sa.event.listens_for(engine, "connect")
            def _read_only(dbapi_conn: Any, _record: Any) -> None:
                cur = dbapi_conn.cursor()
                try:
                    cur.execute("SET SESSION TRANSACTION READ ONLY")
                    try:
                        cur.execute(f"SET SESSION max_statement_time = {STATEMENT_TIMEOUT_MS / 1000:.0f}")
                    except Exception:  # noqa: BLE001 - MySQL proper spells it max_execution_time
                        cur.execute(f"SET SESSION max_execution_time = {STATEMENT_TIMEOUT_MS}")
                finally:
                    cur.close()
        else:  # pragma: no cover - normalize_url already refused it
            raise DatabaseError(f"unsupported database {backend!r}")
    except DatabaseError:
        raise
    except ImportError as exc:
        raise DatabaseError(f"missing database driver for {redact(url)}: {exc}") from None
    except Exception as exc:  # noqa: BLE001
        raise DatabaseError(f"cannot use {redact(url)}: {scrub(_short(exc), url)}") from None
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any driver error: unreachable, refused, auth
        engine.dispose()
        raise DatabaseError(f"cannot connect to {redact(url)}: {scrub(_short(exc), url)}") from None
    return engine


def _short(exc: BaseException) -> str:
    """The driver's reason, on one line, without SQLAlchemy's background links."""
    inner = getattr(exc, "orig", None) or exc
    text = str(inner).strip().splitlines()
    first = next((line.strip() for line in text if line.strip()), type(inner).__name__)
    return first[:300]
