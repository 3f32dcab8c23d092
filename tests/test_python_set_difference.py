"""A set of keys minus another, through names: `to_remove = current_ids - desired_ids` is no arithmetic (PY063).

Code that reconciles assignments builds the ids it has and the ids it wants as sets, then takes the difference:
`current_ids = {a.content_id for a in rows}`, `desired_ids = {p["content_id"] for p in wanted}`,
`to_remove = current_ids - desired_ids`. A UUID key works there as an int does. PY063 already left a display or
comprehension operand alone; operands that are names bound to one (or annotated as a set, list or tuple) are now
left alone too. Arithmetic on a key held in a name (`next_id = last_id + 1` of a `max(...)` of keys) is still
reported.
"""

from __future__ import annotations

from pathlib import Path

from analyzer.rules.python._examples import CLOSURE, MODELS
from helpers import python_sources

from analyzer.config import Config
from analyzer.python import scan_python

SYNC = '''\
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import ContentItem, Image


def reconcile(session: Session, gallery_rows: list[Image], wanted: list[dict]) -> set[int]:
    current_ids = {row.content_id for row in gallery_rows}
    desired_ids = {w["content_id"] for w in wanted}
    kept: frozenset[int] = frozenset(current_ids & desired_ids)
    to_remove = current_ids - desired_ids  # ok: a set difference
    return to_remove - kept  # ok


def next_free(session: Session) -> int:
    last_id = session.scalar(select(func.max(ContentItem.id)))
    return last_id + 1  # impact: PY063
'''


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_set_difference_of_named_key_sets_is_no_arithmetic(tmp_path: Path) -> None:
    files = python_sources(tmp_path, {"app/models.py": MODELS, "app/services/gallery.py": SYNC})
    result = scan_python(files, CLOSURE, Config())
    got = {f.span.line for f in result.findings if f.code == "PY063"}
    assert got == {_line(SYNC, "return last_id + 1")}, sorted(got)
