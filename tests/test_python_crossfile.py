"""Round-2 flow mechanisms end to end, across files, on names unlike any fixture's.

Every case has a look-alike that must stay quiet: a dependency returning an order reference, a header
nobody turns into a key, a TypeAdapter validating user ids, a temp table of shipment ids, an alias used
by a non-key field, a range-built id passed to a user factory.
"""

from __future__ import annotations

from pathlib import Path

from analyzer.rules.python._examples import CLOSURE, MODELS
from helpers import python_sources

from analyzer.codemods.apply import apply_edits
from analyzer.config import Config
from analyzer.models import Finding, SourceFile
from analyzer.python import scan_python

DEPS = '''\
from typing import Annotated

from fastapi import Depends, Request

from app.models import ContentItem, User


def ref_from_header(request: Request) -> int:
    return int(request.headers["X-Ref"])


def order_from_header(request: Request) -> int:
    return int(request.headers["X-Order"])


def load_item(ref: int, session=None) -> ContentItem:
    return session.get(ContentItem, ref)


ItemDep = Annotated[ContentItem, Depends(load_item)]
'''

MIDDLEWARE = '''\
async def context(request, call_next):
    raw = request.headers.get("X-Ref")
    request.state.ref = int(raw) if raw and raw.isdigit() else None
    request.state.order = int(request.headers.get("X-Order", "0"))
    return await call_next(request)
'''

SCHEMAS = '''\
from typing import Annotated

from pydantic import BaseModel, Field, TypeAdapter

Ref = Annotated[int, Field(gt=0, description="an item")]
Count = Annotated[int, Field(ge=0)]


class ThumbIn(BaseModel):
    content_id: Ref
    width: Count


ref_list = TypeAdapter(list[int])
user_list = TypeAdapter(list[int])
'''

ROUTES = '''\
from fastapi import APIRouter, Depends

from app.deps import ItemDep, order_from_header, ref_from_header
from app.models import ContentItem, Image, User
from app.schemas import ref_list, user_list
from app.tasks import publish, notify

router = APIRouter(prefix="/items")


@router.get("/by-header")
def by_header(key: int = Depends(ref_from_header), order: int = Depends(order_from_header), session=None):
    return session.get(ContentItem, key)


@router.post("/{ref}/publish")
def start(item: ItemDep):
    publish.apply_async(kwargs={"target": item.id}, countdown=5)
    return {"ok": True}


@router.get("/bulk")
def bulk(raw: str, users_raw: str, session=None):
    wanted = ref_list.validate_json(raw)
    people = user_list.validate_json(users_raw)
    notify.delay(max(u.id for u in session.query(User).filter(User.id.in_(people))))
    latest = max(i.id for i in session.query(ContentItem).all())
    return session.query(Image).filter(Image.content_id.in_(wanted)).all()
'''

TASKS = '''\
from celery import shared_task


@shared_task
def publish(target): ...


@shared_task
def notify(user_ref): ...
'''

STAGING = '''\
def stage(conn, refs: list[int]) -> None:
    conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS staged (content_id INTEGER PRIMARY KEY)")
    conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS shipments (shipment_id INTEGER PRIMARY KEY)")


def scan(conn, after: int = 0, limit: int = 50):
    return conn.exec_driver_sql("SELECT id FROM content_items WHERE id > ? ORDER BY id LIMIT ?", (after, limit))


def scan_users(conn, after: int = 0, limit: int = 50):
    return conn.exec_driver_sql("SELECT id FROM users WHERE id > ? ORDER BY id LIMIT ?", (after, limit))
'''

FACTORIES = '''\
from app.models import ContentItem, User


def make_item(session, *, id: int | None = None, title: str = "x") -> ContentItem:
    return ContentItem(id=id, title=title)


def make_user(session, *, id: int | None = None) -> User:
    return User(id=id)
'''

TEST = '''\
from tests.factories import make_item, make_user


def test_flow(client, session, calls):
    for n in range(1, 4):
        make_item(session, id=n)
        make_user(session, id=n)
    client.post("/items/7/publish")
    client.get("/items/by-header", headers={"X-Ref": "7"})
    assert calls[0]["kwargs"] == {"target": 7}
    assert calls[1]["kwargs"] == {"user_ref": 7}
'''


def _scan(tmp_path: Path) -> tuple[list[Finding], dict[str, str]]:
    tree = {"app/models.py": MODELS, "app/deps.py": DEPS, "app/middleware.py": MIDDLEWARE,
            "app/schemas.py": SCHEMAS, "app/api/items.py": ROUTES, "app/tasks.py": TASKS,
            "app/staging.py": STAGING, "tests/factories.py": FACTORIES, "tests/test_items.py": TEST}
    files = []
    for rel, content in tree.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content, encoding="utf-8")
        files.append(SourceFile(".", str(p), rel, "python"))
    result = scan_python(files, CLOSURE, Config())
    return list(result.findings), tree


def _line(tree: dict[str, str], path: str, needle: str) -> int:
    lines = tree[path].splitlines()
    hits = [i + 1 for i, line in enumerate(lines) if needle in line]
    assert len(hits) == 1, (path, needle, hits)
    return hits[0]


def test_round2_mechanisms_and_their_lookalikes(tmp_path: Path) -> None:
    findings, tree = _scan(tmp_path)
    at = {(f.path, f.span.line) for f in findings}

    def flagged(path: str, needle: str) -> bool:
        return (path, _line(tree, path, needle)) in at

    # a dependency injected into a key parameter returns the key; its int() is a hazard
    assert flagged("app/deps.py", "def ref_from_header")
    assert flagged("app/deps.py", 'return int(request.headers["X-Ref"])')
    assert not flagged("app/deps.py", "def order_from_header")
    assert not flagged("app/deps.py", 'return int(request.headers["X-Order"])')
    # the same header read elsewhere carries the key
    assert flagged("app/middleware.py", "request.state.ref = int(raw)")
    assert not flagged("app/middleware.py", "request.state.order")
    # Annotated alias of a key field; its bound removed; a non-key alias untouched
    assert flagged("app/schemas.py", "Ref = Annotated")
    assert not flagged("app/schemas.py", "Count = Annotated")
    assert flagged("app/schemas.py", "ref_list = TypeAdapter")
    assert not flagged("app/schemas.py", "user_list = TypeAdapter")
    # apply_async kwargs through an Annotated dependency alias; max() over keys
    assert flagged("app/api/items.py", "publish.apply_async")
    assert flagged("app/api/items.py", "latest = max(i.id for i in")
    assert not flagged("app/api/items.py", "notify.delay")
    # DDL and positional binds
    assert flagged("app/staging.py", "staged (content_id INTEGER")
    assert not flagged("app/staging.py", "shipments (shipment_id")
    assert flagged("app/staging.py", "def scan(conn")
    assert not flagged("app/staging.py", "def scan_users(conn")
    # tests: a route whose path parameter a dependency consumes, range-built ids, task payloads
    assert flagged("tests/test_items.py", 'client.post("/items/7/publish")')
    assert flagged("tests/test_items.py", "make_item(session, id=n)")
    assert not flagged("tests/test_items.py", "make_user(session, id=n)")
    assert flagged("tests/test_items.py", '{"target": 7}')
    assert not flagged("tests/test_items.py", '{"user_ref": 7}')


def test_round2_edits_are_exact(tmp_path: Path) -> None:
    findings, tree = _scan(tmp_path)
    by_path: dict[str, list] = {}
    for f in findings:
        by_path.setdefault(f.path, []).extend(f.edits)
    schemas = apply_edits(tree["app/schemas.py"], by_path["app/schemas.py"]).splitlines()
    assert 'Ref = Annotated[uuid.UUID, Field(description="an item")]' in schemas
    assert "ref_list = TypeAdapter(list[uuid.UUID])" in schemas
    assert "user_list = TypeAdapter(list[int])" in schemas and "Count = Annotated[int, Field(ge=0)]" in schemas
    deps = apply_edits(tree["app/deps.py"], by_path["app/deps.py"]).splitlines()
    assert "def ref_from_header(request: Request) -> uuid.UUID:" in deps
    assert "def order_from_header(request: Request) -> int:" in deps
    # `after: int = 0`: the integer default needs a decision -> a review note, no edit
    staging = [f for f in findings if f.path == "app/staging.py" and f.symbol.endswith("scan.after")]
    assert staging and not staging[0].edits and "default" in staging[0].review


SHELF_MODEL = '''\
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.models import Base


class Shelf(Base):
    __tablename__ = "shelves"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(50))
'''

CONTENT_REPO = '''\
from app.models import ContentItem


class ContentRepository:
    def __init__(self, session):
        self.session = session

    def get_by_slug_or_id(self, slug_or_id):
        return self.session.query(ContentItem).filter_by(id=slug_or_id).one_or_none()

    def title_of(self, ref):
        return self.session.query(ContentItem).filter_by(id=ref).one().title
'''

SHELF_REPO = '''\
from app.shelves import Shelf


class ShelfRepository:
    def __init__(self, session):
        self.session = session

    def get_by_slug_or_id(self, slug_or_id):
        return self.session.query(Shelf).filter_by(slug=slug_or_id).one_or_none()
'''

REPO_ROUTES = '''\
from fastapi import APIRouter, Depends

from app.deps import get_repos
from app.models import ContentItem

router = APIRouter()


@router.get("/contents/{ref}/title")
def get_title(ref: int, repos=Depends(get_repos)):
    return repos.contents.title_of(ref)


@router.get("/contents/count")
def count(repos=Depends(get_repos)):
    return repos.session.query(ContentItem).count()


@router.get("/shelves/{shelf_id}")
def get_shelf(shelf_id: int, repos=Depends(get_repos)):
    return repos.shelves.get_by_slug_or_id(shelf_id)
'''


def test_a_method_name_another_unread_file_defines_too_is_not_resolved_by_name(tmp_path: Path) -> None:
    """`repos.shelves.get_by_slug_or_id(shelf_id)` on a receiver of unknown class: two repositories define the
    method, but the scan parses only the one that names the key's table (the shelf repository names no word of
    the key). Resolving by the name's one *parsed* definition sent `shelf_id` into the content repository's,
    a route parameter reported as the key (a real FastAPI app: a household slug route, from its group
    repository's twin). A name defined once in the whole tree still resolves: `repos.contents.title_of(ref)`."""
    tree = {"app/models.py": MODELS, "app/shelves.py": SHELF_MODEL, "app/repos/content.py": CONTENT_REPO,
            "app/repos/shelf.py": SHELF_REPO, "app/routes.py": REPO_ROUTES}
    findings = scan_python(python_sources(tmp_path, tree), CLOSURE, Config()).findings
    assert {(f.code, f.symbol) for f in findings if f.path == "app/routes.py"} == {("PY030", "get_title.ref")}
