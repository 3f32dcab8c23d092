"""`impact plan --alembic`: the chosen strategy's migration as an Alembic revision, chained to the head.

The revision runs the same `Step`s as `migrations/<strategy>.sql`, in order: transactional steps inside
Alembic's migration transaction, the others (`CREATE INDEX CONCURRENTLY`, batch loops that commit per
batch) in `autocommit_block()`. `downgrade()` runs each step's `undo` in reverse, and refuses with the
step's name when a step has none.

The versions folder is found from `alembic.ini`'s `script_location` (or a `versions/` folder whose files
declare `revision`/`down_revision`); the head is the one revision no other revises. Several heads, or
none found, stop with a clear reason. The file is created new (never overwriting anything).
"""

from __future__ import annotations

import ast
import configparser
import os
import uuid
from datetime import datetime, timezone
from pathlib import Path

from analyzer.plan.steps import Migration


class AlembicError(ValueError):
    """No place to write the revision: the reason, for the user (exit 2)."""


def find_versions(roots: list[Path]) -> Path:
    """The versions folder of the project under `roots` (alembic.ini first, then a folder search)."""
    found: list[Path] = []
    for root in roots:
        for ini in sorted(root.rglob("alembic.ini")):
            if any(part in ("node_modules", ".venv", "site-packages") for part in ini.parts):
                continue
            parser = configparser.ConfigParser(interpolation=None)
            try:
                parser.read(ini, encoding="utf-8")
            except (configparser.Error, UnicodeDecodeError):
                continue
            location = parser.get("alembic", "script_location", fallback="")
            location = location.replace("%(here)s", str(ini.parent))
            if location and ":" not in location:  # a package resource location cannot be written to
                versions = (ini.parent / location / "versions").resolve()
                if versions.is_dir():
                    found.append(versions)
    if not found:
        for root in roots:
            for versions in sorted(root.rglob("versions")):
                if versions.is_dir() and (versions.parent / "env.py").is_file():
                    found.append(versions.resolve())
    unique = list(dict.fromkeys(found))
    if not unique:
        raise AlembicError("--alembic: no Alembic versions folder under the scanned roots (alembic.ini "
                           "script_location, or a versions/ folder beside env.py)")
    if len(unique) > 1:
        raise AlembicError("--alembic: several Alembic projects: " + ", ".join(str(v) for v in unique))
    return unique[0]


def _revision_ids(path: Path) -> tuple[str | None, tuple[str, ...]]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError, RecursionError, MemoryError):
        return None, ()
    values: dict[str, object] = {}
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        value = getattr(node, "value", None)
        for t in targets:
            if isinstance(t, ast.Name) and t.id in ("revision", "down_revision") and value is not None:
                try:
                    values[t.id] = ast.literal_eval(value)
                except ValueError:
                    pass
    rev = values.get("revision")
    down = values.get("down_revision")
    downs = tuple(down) if isinstance(down, (tuple, list)) else (down,) if isinstance(down, str) else ()
    return (rev if isinstance(rev, str) else None), tuple(str(d) for d in downs)


def head(versions: Path) -> str | None:
    revisions: dict[str, tuple[str, ...]] = {}
    for path in sorted(versions.glob("*.py")):
        rev, downs = _revision_ids(path)
        if rev:
            revisions[rev] = downs
    revised = {d for downs in revisions.values() for d in downs}
    heads = sorted(set(revisions) - revised)
    if len(heads) > 1:
        raise AlembicError(f"--alembic: {versions} has several heads ({', '.join(heads)}); merge them first "
                           "(`alembic merge heads`)")
    return heads[0] if heads else None


def render_revision(migration: Migration, revision: str, down_revision: str | None) -> str:
    steps = ",\n".join(f"    ({s.name!r}, {s.transactional!r}, {s.sql.strip()!r}, {s.undo.strip()!r}, "
                       f"{[f'SET {k} = {v!r}' for k, v in s.settings.items()]!r}, {migration.restore(s)!r})"
                       for s in migration.steps)
    settings = "\n".join(f"    op.execute(\"SET {k} = '{v}'\")" for k, v in migration.settings.items()) \
        if migration.dialect == "postgresql" else "    pass"
    notes = "".join(f"\nNOTE: {n}" for n in migration.notes)
    created = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    return f'''"""impact: {", ".join(migration.targets)} -> {migration.strategy}

Revision ID: {revision}
Revises: {down_revision or ""}
Create Date: {created}

Generated by `impact plan --alembic` from the live schema ({migration.dialect}); the same steps as
migrations/{migration.strategy}.sql. Review before running.{notes}
"""

from alembic import op

revision = {revision!r}
down_revision = {down_revision!r}
branch_labels = None
depends_on = None

# (step, runs in the migration's transaction, SQL, SQL that undoes it, its own settings, their reset)
STEPS = [
{steps},
]


def _settings() -> None:
{settings}


def upgrade() -> None:
    _settings()
    for _name, transactional, sql, _undo, settings, reset in STEPS:
        if transactional:
            for statement in (*settings, sql, *reset):
                op.execute(statement)
        else:
            with op.get_context().autocommit_block():
                for statement in (*settings, sql, *reset):
                    op.execute(statement)


def downgrade() -> None:
    _settings()
    for name, _transactional, _sql, undo, _own, _reset in reversed(STEPS):
        if not undo:
            raise RuntimeError(f"step {{name!r}} cannot be undone automatically; restore from a backup")
        op.execute(undo)
'''


def write_revision(migration: Migration, roots: list[Path]) -> Path:
    versions = find_versions(roots)
    down = head(versions)
    revision = uuid.uuid4().hex[:12]
    path = versions / f"{revision}_impact_{migration.strategy.replace('-', '_')}.py"
    text = render_revision(migration, revision, down)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path
