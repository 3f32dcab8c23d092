"""Mapped classes named through their module (`models.ContentItem.id`) and routers bound to two names at once
(`items_router = r = APIRouter()`): a CRUD layer as generated project templates write it.

Positives: the CRUD function comparing `models.ContentItem.id` with its parameter, the one building
`models.ContentItem(id=...)`, the session `get` of `models.ContentItem`, the route on `r` (a route parameter, its
template prefixed by the `include_router` of the other name) and the test URL requesting it.
Distractors: a class of the same name in another module (`legacy.ContentItem`, another table), and `schemas`,
a module of records that is not the mapped class's."""

from __future__ import annotations

from pathlib import Path

from analyzer.rules.python._examples import CLOSURE, MODELS
from helpers import python_sources

from analyzer.config import Config
from analyzer.python import scan_python

FILES = {
    "app/__init__.py": "",
    "app/models.py": MODELS,
    "app/legacy.py": '''\
from sqlalchemy import Integer
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class LegacyBase(DeclarativeBase):
    pass


class ContentItem(LegacyBase):
    __tablename__ = "legacy_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
''',
    "app/schemas.py": '''\
from pydantic import BaseModel


class ContentItem(BaseModel):
    title: str
    views: int = 0
''',
    "app/crud.py": '''\
from sqlalchemy.orm import Session

from app import legacy
from . import models, schemas


def get_item(db: Session, item_id: int):
    return db.query(models.ContentItem).filter(models.ContentItem.id == item_id).first()


def get_legacy(db: Session, legacy_id: int):
    return db.query(legacy.ContentItem).filter(legacy.ContentItem.id == legacy_id).first()


def import_item(db: Session, data: schemas.ContentItem, wanted_id: int):
    item = models.ContentItem(id=wanted_id, title=data.title)
    db.add(item)
    return item


def load(db: Session, pk: int):
    return db.get(models.ContentItem, pk)


def views_of(data: schemas.ContentItem, count: int) -> int:
    return data.views + count
''',
    "app/routes.py": '''\
from fastapi import APIRouter, Depends

from app import crud
from app.db import get_db

items_router = r = APIRouter()


@r.get("/items/{item_id}")
def read_item(item_id: int, db=Depends(get_db)):
    return crud.get_item(db, item_id)
''',
    "app/db.py": "def get_db():\n    yield None\n",
    "app/main.py": '''\
from fastapi import FastAPI

from app.routes import items_router

app = FastAPI()
app.include_router(items_router, prefix="/api/v1")
''',
    "tests/test_items.py": '''\
def test_read_missing(client):
    response = client.get("/api/v1/items/4321")
    assert response.status_code == 404
''',
}


def test_module_qualified_classes_and_chained_routers(tmp_path: Path) -> None:
    result = scan_python(python_sources(tmp_path, FILES), CLOSURE, Config())
    got = {(f.code, f.path, f.span.line) for f in result.findings if f.kind == "must_change"}
    assert ("PY050", "app/crud.py", 7) in got  # item_id, compared with models.ContentItem.id
    assert ("PY050", "app/crud.py", 15) in got  # wanted_id, set as models.ContentItem(id=...)
    assert ("PY050", "app/crud.py", 21) in got  # pk, db.get(models.ContentItem, pk)
    assert ("PY030", "app/routes.py", 10) in got  # a route of `r`, which is items_router
    assert ("PY080", "tests/test_items.py", 2) in got  # /api/v1/items/4321: the include_router prefix applies
    flagged = {(path, line) for _code, path, line in got}
    assert ("app/crud.py", 11) not in flagged  # legacy_id: legacy.ContentItem is another table
    assert ("app/crud.py", 25) not in flagged  # count: schemas.ContentItem is a record, not the mapped class
