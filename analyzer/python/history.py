"""Old migration revisions: history that already ran in production, reported as context, never patched.

Editing an applied revision changes nothing in a database that ran it and breaks the next fresh install's
equivalence with production; the key change is a *new* revision (`impact plan --alembic` writes it). So a
finding in a revision becomes `info` (severity note, layer migration, no edit), its message saying so.

A file is a revision when its code or its Alembic setup says so, never by a directory name alone:
- Alembic: the module-level `revision = "..."` and `down_revision = ...` every revision carries (plain or
  annotated, `revision: str = "..."`); or a file in a `versions/` directory whose script location holds
  Alembic's `env.py` or `script.py.mako`; or in a directory that an `alembic.ini` names
  (`script_location` + `/versions`, `version_locations`).
- Django-style: a module defining `class Migration(migrations.Migration)`.
"""

from __future__ import annotations

import configparser
import os
import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import libcst as cst

from analyzer.models import Finding
from analyzer.python.parsed import ParsedFile

#: how far up from a versions directory an alembic.ini is looked for (never above the scanned root)
_INI_LEVELS = 4
#: env.py and alembic.ini are read only when regular files this small (hostile trees: see analyzer/sources.py)
_MAX_READ = 256 * 1024


def revision_label(pf: ParsedFile, dirs: dict[tuple[str, str], bool] | None = None) -> str | None:
    """"Alembic revision 0001_initial", "Django migration 0002_tags", or None for a file that is not history.
    `dirs`: the answers for the folders asked so far in this scan (each folder's files ask the same; the folders up
    to the root are looked at for an alembic.ini)."""
    variables = _module_strings(pf.module, ("revision", "down_revision"))
    if "revision" in variables and "down_revision" in variables:
        return f"Alembic revision {variables['revision'] or Path(pf.path).stem}"
    if _django_migration(pf):
        return f"Django migration {Path(pf.path).stem}"
    if pf.src.abs_path:
        key = (str(Path(pf.src.abs_path).parent), pf.src.root)
        versions = dirs.get(key) if dirs is not None else None
        if versions is None:
            versions = _alembic_versions_dir(*key)
            if dirs is not None:
                dirs[key] = versions
        if versions:
            return f"Alembic revision {Path(pf.path).stem}"
    return None


def as_history(f: Finding, label: str) -> Finding:
    """The finding as history: info, note, layer migration, no edit; the message says what to do instead."""
    if label.startswith("Alembic"):
        instead = "a new revision changes it; `impact plan --alembic` writes it"
    else:
        instead = "a new migration changes it (`impact plan` writes its SQL)"
    return replace(f, kind="info", severity="note", layer="migration", edits=(),
                   message=f"history: {label}: {f.message}; {instead}",
                   review=f"leave the {label} as it ran; {instead}")


def _module_strings(module: cst.Module, names: tuple[str, ...]) -> dict[str, str]:
    """Top-level `name = "text"` / `name: T = ...` assignments of `names` (a non-string value gives "")."""
    out: dict[str, str] = {}
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            targets: list[cst.BaseExpression] = []
            value: cst.BaseExpression | None = None
            if isinstance(small, cst.Assign):
                targets = [t.target for t in small.targets]
                value = small.value
            elif isinstance(small, cst.AnnAssign):
                targets = [small.target]
                value = small.value
            for t in targets:
                if isinstance(t, cst.Name) and t.value in names and value is not None:
                    text = value.evaluated_value if isinstance(value, cst.SimpleString) else None
                    out[t.value] = text if isinstance(text, str) else ""
    return out


def _django_migration(pf: ParsedFile) -> bool:
    """`class Migration(migrations.Migration)` (Django's, or a Django-style framework's own `migrations`)."""
    for cls in pf.classes:
        if cls.name.value != "Migration":
            continue
        for base in cls.bases:
            if pf.code(base.value).replace(" ", "") == "migrations.Migration" or \
                    pf.resolves_to(base.value, "Migration", packages=("django.db.migrations",)):
                return True
    return False


@lru_cache(maxsize=256)
def _alembic_versions_dir(directory: str, root: str) -> bool:
    """Is `directory` where an Alembic setup keeps its revisions? Looked for inside the scanned `root` only."""
    d = Path(directory)
    top = _real(Path(root))
    if d.name == "versions" and any(_mentions_alembic(d.parent / name) for name in ("env.py", "script.py.mako")):
        return True
    here = d
    for _ in range(_INI_LEVELS + 1):
        ini = here / "alembic.ini"
        if _small_file(ini) and _real(d) in _ini_version_dirs(str(ini)):
            return True
        if _real(here) == top or here.parent == here:
            break
        here = here.parent
    return False


def _small_file(path: Path) -> bool:
    try:
        return path.is_file() and path.stat().st_size <= _MAX_READ
    except OSError:
        return False


def _mentions_alembic(path: Path) -> bool:
    if not _small_file(path):
        return False
    if path.suffix == ".mako":
        return True
    try:
        return "alembic" in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


@lru_cache(maxsize=64)
def _ini_version_dirs(ini: str) -> frozenset[str]:
    """The revision directories an alembic.ini names: `script_location`/versions and `version_locations`."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(ini, encoding="utf-8")
    except (OSError, configparser.Error, UnicodeDecodeError):
        return frozenset()
    here = str(Path(ini).parent)
    out: set[str] = set()
    for section in parser.sections():
        script = parser.get(section, "script_location", fallback="").strip()
        if script and ":" not in script.replace("%(here)s", ""):  # `package:dir` names a package, not a path
            out.add(_real(_resolve(here, script) / "versions"))
        locations = parser.get(section, "version_locations", fallback="")
        for loc in re.split(r"[\s,;" + re.escape(os.pathsep) + r"]+", locations):
            if loc.strip():
                out.add(_real(_resolve(here, loc.strip())))
    return frozenset(out)


def _resolve(here: str, text: str) -> Path:
    path = Path(text.replace("%(here)s", here))
    return path if path.is_absolute() else Path(here) / path


def _real(path: Path) -> str:
    try:
        return str(path.resolve())
    except OSError:
        return str(path)
