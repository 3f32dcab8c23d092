"""Flask-SQLAlchemy's query property is an instance of the model's own `query_class` when it sets one: a project
lookup taking more than the id (`Person.query.get(member_id, project)`, `get(self, id, project=None)` on a
Query subclass) is that method, whose body says its first parameter holds the key.

Positive: the id given to the custom `get` (a route parameter), then a test URL with a literal id at that route.
Distractor: a title given to another method of the same query class, and its test URL."""

from __future__ import annotations

from pathlib import Path

from analyzer.rules.python._examples import TARGET
from helpers import python_sources

from analyzer.config import Config
from analyzer.models import Closure, ImpactedColumn
from analyzer.python import scan_python

CLOSURE = Closure(targets=(TARGET,), columns=(
    ImpactedColumn("content_items", "id", "INTEGER", "target", target="content_items.id"),), references=())

FILES = {
    "app/__init__.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n",
    "app/models.py": '''\
from flask import g
from flask_sqlalchemy.query import Query

from app import db


class ContentItem(db.Model):
    __tablename__ = "content_items"

    class ItemQuery(Query):
        def get(self, id, owner=None):
            owner = owner or g.owner
            return ContentItem.query.filter(ContentItem.id == id).filter(ContentItem.owner == owner).one_or_none()

        def by_title(self, title, owner=None):
            return ContentItem.query.filter(ContentItem.title == title).one_or_none()

    query_class = ItemQuery

    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.UnicodeText)
    owner = db.Column(db.String(64))
''',
    "app/views.py": '''\
from flask import Blueprint, abort

from app.models import ContentItem

bp = Blueprint("items", __name__)


@bp.route("/<owner>/items/<item_ref>/edit")
def edit_item(owner, item_ref):
    item = ContentItem.query.get(item_ref, owner)
    if item is None:
        abort(404)
    return item.title


@bp.route("/<owner>/titles/<title>/edit")
def edit_by_title(owner, title):
    return ContentItem.query.by_title(title, owner).title
''',
    "tests/test_views.py": '''\
def test_edit_item(client):
    assert client.get("/demo/items/1/edit").status_code == 200


def test_edit_by_title(client):
    assert client.get("/demo/titles/1/edit").status_code == 200
''',
}


def test_the_models_query_class_is_followed(tmp_path: Path) -> None:
    result = scan_python(python_sources(tmp_path, FILES), CLOSURE, Config())
    got = {(f.code, f.path, f.span.line) for f in result.findings}
    assert ("PY080", "tests/test_views.py", 2) in got  # /demo/items/1/edit: item_ref is the id get() compares
    assert not any(path == "tests/test_views.py" and line == 6 for _code, path, line in got)  # a title
    assert not any("titles" in str(r) for r in result.seeds.routes)  # the title route takes no key
