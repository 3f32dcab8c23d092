"""A schema named after another table's class is not the key's, even when that name starts with the key's class.

`IncidentCostTypeRead` starts with `Incident`, but `IncidentCostType` is a table of its own (incident_cost_type):
its `id` is that table's id. Seen on a real FastAPI code base (key incident.id), where every Read / Update schema
of the incident_* tables (incident_cost, incident_severity, incident_cost_type, ...) had its `id` flagged with an
edit to uuid.UUID. The longest class or table name a schema's name starts with decides.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from analyzer.rules.python._examples import CLOSURE
from analyzer.rules.python._examples import MODELS as BASE_MODELS
from helpers import python_sources

from analyzer.config import Config
from analyzer.models import Finding
from analyzer.python import scan_python

MODELS = BASE_MODELS + '''

class ContentItemKind(Base):
    __tablename__ = "content_item_kinds"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(50))
'''

SCHEMAS = '''\
from pydantic import BaseModel


class ContentItemRead(BaseModel):
    id: int
    title: str


class ContentItemReadMinimal(BaseModel):
    id: int


class ContentItemKindRead(BaseModel):
    id: int
    label: str


class ContentItemStatusUpdate(BaseModel):
    id: int
    status: str
'''

#: content_item_kinds has a mapped class here; content_item_statuses only a table in the schema (its model file
#: may never be parsed: it names nothing of the key)
SCHEMA_KEYS = (("content_items", ("id",)), ("content_item_kinds", ("id",)), ("content_item_statuses", ("id",)),
               ("images", ("id",)))


def _scan(tmp_path: Path) -> tuple[list[Finding], dict[str, str]]:
    tree = {"app/models.py": MODELS, "app/schemas.py": SCHEMAS}
    files = python_sources(tmp_path, tree)
    return list(scan_python(files, replace(CLOSURE, schema_keys=SCHEMA_KEYS), Config()).findings), tree


def test_the_longest_class_or_table_name_decides(tmp_path: Path) -> None:
    found, tree = _scan(tmp_path)
    lines = tree["app/schemas.py"].splitlines()

    def flagged(cls: str) -> bool:
        start = next(i for i, line in enumerate(lines) if line.startswith(f"class {cls}("))
        return any(f.path == "app/schemas.py" and f.span.line == start + 2 and f.edits for f in found)

    assert flagged("ContentItemRead") and flagged("ContentItemReadMinimal")
    assert not flagged("ContentItemKindRead")  # a mapped class of its own
    assert not flagged("ContentItemStatusUpdate")  # a table of its own (content_item_statuses)
