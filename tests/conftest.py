"""Database servers for the tests: real PostgreSQL and MariaDB/MySQL, never mocks.

A server is found from IMPACT_TEST_PG_URL / IMPACT_TEST_MYSQL_URL, then the local defaults, then
(PostgreSQL only) a throwaway cluster started with initdb/pg_ctl on a free port. Without a server the
tests skip with the reason, unless IMPACT_REQUIRE_PG=1 (or IMPACT_REQUIRE_MYSQL=1) makes that a failure.
Each test gets its own database with a random name, dropped afterwards: others share the server.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MYSQL_DEFAULT = "mysql+pymysql://root@127.0.0.1:3306/test"


def _reachable(url: str) -> str | None:
    """None when a connection works, else the reason."""
    try:
        engine = sa.create_engine(url, connect_args=_connect_args(url), poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any reason to skip
        return str(exc).splitlines()[0][:200]


def _connect_args(url: str) -> dict[str, object]:
    return {"connect_timeout": 5}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _throwaway_cluster(stack: list[Callable[[], None]]) -> tuple[str | None, str]:
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not initdb or not pg_ctl:
        return None, "no initdb/pg_ctl on PATH"
    prefix: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="impact-pg-"))
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if not runuser:
            return None, "running as root and no runuser to start a throwaway cluster as nobody"
        prefix = [runuser, "-u", "nobody", "--"]
        os.chmod(base, 0o777)
    data = base / "data"
    port = _free_port()
    try:
        subprocess.run([*prefix, initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync"],
                       check=True, capture_output=True, timeout=120)
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-w", "-l", str(base / "log"), "-o",
                        f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                       check=True, capture_output=True, timeout=120)
    except (subprocess.SubprocessError, OSError) as exc:
        return None, f"could not start a throwaway cluster: {exc}"

    def stop() -> None:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True,
                       timeout=60)
        shutil.rmtree(base, ignore_errors=True)

    stack.append(stop)
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", ""


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """URL of a PostgreSQL server we may create databases on."""
    reasons = []
    stack: list[Callable[[], None]] = []
    found = None
    for url in (os.environ.get("IMPACT_TEST_PG_URL"), PG_DEFAULT):
        if url:
            why = _reachable(url)
            if why is None:
                found = url
                break
            reasons.append(f"{make_url(url).render_as_string(hide_password=True)}: {why}")
    if found is None:
        found, why = _throwaway_cluster(stack)
        if found is None:
            reasons.append(why)
    if found is None:
        message = "no PostgreSQL server: " + "; ".join(reasons)
        if os.environ.get("IMPACT_REQUIRE_PG") == "1":
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield found
    finally:
        for fn in stack:
            fn()


@pytest.fixture(scope="session")
def mysql_server() -> str:
    reasons = []
    for url in (os.environ.get("IMPACT_TEST_MYSQL_URL"), MYSQL_DEFAULT):
        if url:
            why = _reachable(url)
            if why is None:
                return url
            reasons.append(f"{make_url(url).render_as_string(hide_password=True)}: {why}")
    message = "no MySQL/MariaDB server: " + "; ".join(reasons)
    if os.environ.get("IMPACT_REQUIRE_MYSQL") == "1":
        pytest.fail(message)
    pytest.skip(message)


def _admin(url: str, sql: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(sql))
    finally:
        engine.dispose()


def _fresh_pg(pg_server: str, prefix: str) -> Iterator[str]:
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    _admin(pg_server, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(pg_server).set(database=name).render_as_string(hide_password=False)
    finally:
        _admin(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture()
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database (random name), dropped after the test."""
    yield from _fresh_pg(pg_server, "impact_t")


@pytest.fixture()
def scratch_url(pg_server: str) -> Iterator[str]:
    """A second fresh database on the same server: the scratch side of a rehearsal."""
    yield from _fresh_pg(pg_server, "impact_s")


@pytest.fixture()
def mysql_url(mysql_server: str) -> Iterator[str]:
    """A fresh, empty MySQL/MariaDB database (random name), dropped after the test."""
    name = f"impact_t_{uuid.uuid4().hex[:12]}"
    _admin(mysql_server, f"CREATE DATABASE `{name}`")
    url = make_url(mysql_server).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        _admin(mysql_server, f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture()
def sqlite_url(tmp_path: Path) -> str:
    """URL of an empty SQLite file in the test's temp directory."""
    path = tmp_path / f"impact_{uuid.uuid4().hex[:8]}.sqlite"
    sqlite3.connect(path).close()
    return f"sqlite:///{path}"


def _run_sql(url: str, script: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            for stmt in script.split("\n;;\n"):
                if stmt.strip():
                    conn.exec_driver_sql(stmt)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def run_sql() -> Callable[[str, str], None]:
    """`run_sql(url, script)`: a DDL/DML script, statements separated by lines holding only `;;`,
    through an ordinary writable engine (the tool's own engine is read-only)."""
    return _run_sql
