"""`impact plan --alembic`: the migration as an Alembic revision chained to the project's head, run for
real with Alembic on PostgreSQL (upgrade, then downgrade through each step's undo)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from analyzer.plan.alembic import AlembicError, find_versions, head, write_revision
from analyzer.plan.steps import Migration, Step

ENV = '''
from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config


def run() -> None:
    engine = engine_from_config(config.get_section(config.config_ini_section) or {}, prefix="sqlalchemy.",
                                poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()


run()
'''


def _project(tmp_path: Path, url: str) -> Path:
    app = tmp_path / "backend"
    versions = app / "migrations" / "versions"
    versions.mkdir(parents=True)
    (app / "alembic.ini").write_text(f"[alembic]\nscript_location = migrations\nsqlalchemy.url = {url}\n",
                                     encoding="utf-8")
    (app / "migrations" / "env.py").write_text(ENV, encoding="utf-8")
    (app / "migrations" / "script.py.mako").write_text("", encoding="utf-8")
    (versions / "0001_initial.py").write_text(
        'revision = "0001"\ndown_revision = None\n\n'
        "from alembic import op\n\n\ndef upgrade():\n"
        '    op.execute("CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL)")\n'
        '    op.execute("INSERT INTO notes SELECT g, \'n\' || g FROM generate_series(1, 50) g")\n\n\n'
        "def downgrade():\n    op.execute(\"DROP TABLE notes\")\n", encoding="utf-8")
    (versions / "0002_more.py").write_text(
        'revision = "0002"\ndown_revision = "0001"\n\nfrom alembic import op\n\n\ndef upgrade():\n'
        '    op.execute("ALTER TABLE notes ADD COLUMN extra text")\n\n\ndef downgrade():\n'
        '    op.execute("ALTER TABLE notes DROP COLUMN extra")\n', encoding="utf-8")
    return app


def _alembic(app: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "alembic", *args], cwd=app, capture_output=True, text=True,
                          timeout=120)


MIGRATION = Migration(
    strategy="bigint", dialect="postgresql", targets=("notes.id",),
    steps=(
        Step("rewrite", "widen notes.id", "ALTER TABLE notes ALTER COLUMN id TYPE bigint", lock="ACCESS EXCLUSIVE",
             table="notes", rows=50, undo="ALTER TABLE notes ALTER COLUMN id TYPE integer"),
        Step("expand", "index notes.body", "CREATE INDEX CONCURRENTLY ix_notes_body ON notes (body)",
             lock="SHARE UPDATE EXCLUSIVE", table="notes", transactional=False, rows=50,
             settings={"statement_timeout": "0"}, undo="DROP INDEX IF EXISTS ix_notes_body"),
    ),
    notes=("a test migration",),
)


def test_revision_chains_to_the_head_and_runs_with_alembic(tmp_path: Path, pg_url: str) -> None:
    app = _project(tmp_path, pg_url)
    assert _alembic(app, "upgrade", "head").returncode == 0
    versions = find_versions([tmp_path])
    assert versions == (app / "migrations" / "versions").resolve() and head(versions) == "0002"
    path = write_revision(MIGRATION, [tmp_path])
    assert path.parent == versions
    assert head(versions) != "0002"  # ours is the new head, revising 0002
    proc = _alembic(app, "upgrade", "head")
    assert proc.returncode == 0, proc.stderr
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT data_type FROM information_schema.columns WHERE table_name = 'notes' "
                                    "AND column_name = 'id'")).scalar() == "bigint"
        assert conn.execute(sa.text("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_notes_body'")).scalar() == 1
        assert conn.execute(sa.text("SELECT count(*) FROM notes")).scalar() == 50
    proc = _alembic(app, "downgrade", "0002")
    assert proc.returncode == 0, proc.stderr
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT data_type FROM information_schema.columns WHERE table_name = 'notes' "
                                    "AND column_name = 'id'")).scalar() == "integer"
        assert conn.execute(sa.text("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_notes_body'")).scalar() == 0
    engine.dispose()


def test_several_heads_or_no_project_are_refused(tmp_path: Path) -> None:
    with pytest.raises(AlembicError, match="no Alembic versions folder"):
        find_versions([tmp_path])
    app = _project(tmp_path, "postgresql://unused/none")
    (app / "migrations" / "versions" / "0003_branch.py").write_text(
        'revision = "0003"\ndown_revision = "0001"\n', encoding="utf-8")
    with pytest.raises(AlembicError, match="several heads"):
        write_revision(MIGRATION, [tmp_path])
