from __future__ import annotations

from collections.abc import Iterator

from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid
from analyzer.rules.python.route_param import key_params, param_edits

from analyzer.models import NOT_BIGINT, Finding

_HEAD = "from app.models import ContentItem, Image\n"


class FunctionParam(PyRule):
    """A service, repository or helper parameter that carries the key, typed as int.

    Anti-pattern: `def render(doc_key: int)` called as `render(item.id)` — the name hides the key, a
    grep never finds it. Best practice: type it with the new key type (or a shared `ContentId` alias)
    so the type checker follows the change through the call graph.

    Not for bigint: Python's int has no width; an `int` parameter takes a bigint key.
    """

    code, name, layer, kind = "PY050", "function.param", "service", "must_change"
    APPLIES_TO = NOT_BIGINT
    fixable = True
    VALID = [
        Valid(_HEAD + "def paginate(page: int, limit: int) -> list: ...\n"
                      "def by_user(user_id: int): ...\ndef f(u):\n    by_user(u.id)\n"),
        Valid(_HEAD + "def scan(conn, after: int = 0, limit: int = 50):\n"
                      "    conn.exec_driver_sql('SELECT id FROM invoices WHERE id > ? LIMIT ?', (after, limit))\n"
                      "    conn.exec_driver_sql('SELECT c.id FROM content_items c JOIN users u ON u.id = c.id '\n"
                      "                         'WHERE u.id = ? LIMIT ?', (after, limit))\n"),
    ]
    INVALID = [
        Invalid(_HEAD + "def get_images(session, content_id: int) -> list[Image]: ...\n",
                line=2, expected_fix="def get_images(session, content_id: uuid.UUID) -> list[Image]: ..."),
        Invalid(_HEAD + "def render(doc_key: int) -> str:\n    return str(doc_key)\n\n"
                "def publish(item: ContentItem) -> None:\n    render(item.id)\n",
                line=2, message_contains="item.id", expected_fix="def render(doc_key: uuid.UUID) -> str:"),
        Invalid(_HEAD + "from sqlalchemy import select\n"
                "def find(session, ref: int):\n    return session.scalars(select(Image).where(Image.content_id == ref))\n",
                line=3, message_contains="compared with Image.content_id",
                expected_fix="def find(session, ref: uuid.UUID):"),
        Invalid(_HEAD + "def scan(conn, after: int = 0, limit: int = 50):\n"
                "    return conn.exec_driver_sql('SELECT id FROM content_items WHERE id > ? LIMIT ?', (after, limit))\n",
                line=2, message_contains="placeholder 1"),
        Invalid(_HEAD + "def rows(conn, ref: int):\n    return conn.exec_driver_sql(\n"
                "        'SELECT i.id FROM images i JOIN users u ON u.id = i.id WHERE u.id = %s AND i.content_id = %s',\n"
                "        (7, ref))\n",
                line=2, expected_fix="def rows(conn, ref: uuid.UUID):"),
        # bound to a range of the key in raw SQL
        Invalid(_HEAD + "from sqlalchemy import text\n"
                "SLICE = text('SELECT id, title FROM content_items WHERE id BETWEEN :lo AND :hi')\n"
                "def page(s, lo: int, hi: int):\n    return s.execute(SLICE, {'lo': lo, 'hi': hi}).all()\n",
                line=4, message_contains="`lo`", expected_fix="def page(s, lo: uuid.UUID, hi: int):"),
    ]
    # a cursor walk: the parameter starts the local that a keyset method takes (`cursor = since_id`), the page
    # number starts another local that goes elsewhere
    _WALK = (_HEAD + "from sqlalchemy import select\n"
             "def after(session, cursor: int | None, limit: int = 20) -> list[ContentItem]:\n"
             "    return list(session.scalars(select(ContentItem).where(ContentItem.id > cursor).limit(limit)))\n"
             "def warm(session, since_id: int | None = None, batch: int = 200, first_page: int = 1) -> int:\n"
             "    cursor = since_id\n    page = first_page\n    seen = 0\n    while True:\n"
             "        chunk = after(session, cursor, batch)\n        if not chunk:\n            return seen\n"
             "        seen += len(chunk)\n        page = page + 1\n        cursor = chunk[-1].id\n")
    # an exception carrying the key: the class is called, its __init__ takes the arguments
    _ERRORS = (_HEAD + "class NotFound(LookupError):\n    def __init__(self, model: type, id: int) -> None:\n"
               "        super().__init__(f'{model.__name__} {id} not found')\n        self.id = id\n"
               "class PageOutOfRange(ValueError):\n    def __init__(self, page: int) -> None:\n        self.page = page\n"
               "def load(session, content_id: int, page: int = 1) -> ContentItem:\n"
               "    if page > 50:\n        raise PageOutOfRange(page)\n"
               "    item = session.get(ContentItem, content_id)\n    if item is None:\n"
               "        raise NotFound(ContentItem, content_id)\n    return item\n")
    INVALID += [Invalid(_ERRORS, line=3, message_contains="NotFound",
                        expected_fix="    def __init__(self, model: type, id: uuid.UUID) -> None:")]
    VALID += [Valid(_ERRORS.split("def load(")[0] + "def load_user(session, user_id: int, page: int = 1):\n"
                    "    if page > 50:\n        raise PageOutOfRange(page)\n    raise NotFound(type(session), user_id)\n")]
    # a generic repository: `self.model` is ContentItem in one subclass, so `self.model.id` is the key in the base's
    # methods (which serve that subclass too); a base whose subclasses map other tables only stays
    _GENERIC = ("from collections.abc import Sequence\nfrom typing import ClassVar, Generic, TypeVar\n"
                "from sqlalchemy import select\nfrom app.models import ContentItem, User\nT = TypeVar('T')\n"
                "class Repository(Generic[T]):\n    model: ClassVar[type]\n"
                "    def __init__(self, session) -> None:\n        self.session = session\n"
                "    async def list_by_ids(self, ids: Sequence[int]) -> list[T]:\n"
                "        return list(await self.session.scalars(select(self.model).where(self.model.id.in_(ids))))\n"
                "    async def page(self, page: int, size: int = 20) -> list[T]:\n"
                "        return list(await self.session.scalars(select(self.model).offset((page - 1) * size)))\n"
                "class UserRepository(Repository[User]):\n    model = User\n")
    INVALID += [Invalid(_GENERIC + "class ItemRepository(Repository[ContentItem]):\n    model = ContentItem\n",
                        line=10, message_contains="self.model.id.in_()",
                        expected_fix="    async def list_by_ids(self, ids: Sequence[uuid.UUID]) -> list[T]:")]
    VALID += [Valid(_GENERIC)]
    INVALID += [Invalid(_WALK, line=5, message_contains="since_id",
                        expected_fix="def warm(session, since_id: uuid.UUID | None = None, batch: int = 200,"
                                     " first_page: int = 1) -> int:")]

    # a generic repository's lookup value that already admits the new type (`str | int | UUID4`): nothing to change;
    # `int | None` admits no UUID
    _LOOKUP = (_HEAD + "import uuid\nfrom pydantic import UUID4\n"
               "def get_one(session, value: str | int | UUID4, key: str = 'id'):\n"
               "    return session.query(ContentItem).filter_by(**{key: value}).one()\n"
               "def find(session, value: int | uuid.UUID | None = None):\n"
               "    return session.query(ContentItem).filter_by(id=value).one()\n"
               "def publish(session, item: ContentItem):\n    return get_one(session, item.id), find(session, item.id)\n")
    VALID += [Valid(_LOOKUP)]
    INVALID += [Invalid(_LOOKUP.replace("int | uuid.UUID | None", "int | None"), line=6,
                        expected_fix="def find(session, value: uuid.UUID | None = None):")]

    # a generic base's method reached through a module-level instance bound to the key's model (`content =
    # CRUDContent(ContentItem)`, `content.remove(db, id=item.id)`; PY050 patches it as it does Repository above)
    _CRUD = ("### app/crud.py\nfrom typing import Generic, TypeVar\nfrom app.models import ContentItem\n"
             "M = TypeVar('M')\nclass CRUDBase(Generic[M]):\n    def __init__(self, model):\n        self.model = model\n"
             "    def remove(self, db, *, id: int):\n        return db.get(self.model, id)\n"
             "class CRUDContent(CRUDBase[ContentItem]):\n    pass\ncontent = CRUDContent(ContentItem)\n"
             "def delete(db, item: ContentItem):\n    return content.remove(db, id=item.id)\n")
    INVALID += [Invalid(_CRUD, line=7, path="app/crud.py", message_contains="CRUDBase.remove",
                        expected_fix="    def remove(self, db, *, id: uuid.UUID):")]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        for fi in ctx.pf.functions:
            if fi.route is not None or fi.dependency or fi.task:
                continue
            for p, why in key_params(ctx, fi):
                assert p.annotation is not None
                edits, review = param_edits(ctx, p)
                yield ctx.finding(self, p, f"{fi.qualname}.{p.name.value}",
                                  f"parameter `{p.name.value}` of {fi.qualname}() carries the key and is typed "
                                  f"`{ctx.pf.code(p.annotation.annotation)}`", evidence=why,
                                  edits=edits, review=review, layer=ctx.layer_of(fi, "other"))


class FunctionReturn(PyRule):
    """A function that returns the key with an `int` return annotation.

    Anti-pattern: `def resolve_content(slug) -> int: return item.id`. Best practice: annotate the new
    key type so callers are checked.

    Not for bigint: Python's int has no width; an `int` return type holds a bigint key.
    """

    code, name, layer, kind = "PY051", "function.return", "service", "must_change"
    APPLIES_TO = NOT_BIGINT
    fixable = True
    VALID = [Valid(_HEAD + "def count(session) -> int:\n    return 3\n"),
             Valid(_HEAD + "from fastapi import Depends, Request\n"
                           "def shipment_from_header(request: Request) -> int:\n"
                           "    return int(request.headers['X-Shipment'])\n"
                           "def read(shipment_id: int = Depends(shipment_from_header)) -> None: ...\n")]
    INVALID = [Invalid(_HEAD + "def first_id(item: ContentItem) -> int:\n    return item.id\n",
                       line=2, expected_fix="def first_id(item: ContentItem) -> uuid.UUID:"),
               Invalid(_HEAD + "from fastapi import Depends, Request\n"
                               "def ref_from_header(request: Request) -> int:\n"
                               "    return int(request.headers['X-Ref'])\n"
                               "def read(content_id: int = Depends(ref_from_header)) -> None: ...\n",
                       line=3, message_contains="returns the key",
                       expected_fix="def ref_from_header(request: Request) -> uuid.UUID:")]
    _Q = _HEAD + "from sqlalchemy import func, select\n"
    VALID += [
        # (user id, count) rows and a list of counts: no element is the key
        Valid(_Q + "def per_user(s) -> list[tuple[int, int]]:\n"
                   "    return [(row[0], row[1]) for row in s.execute(select(Image.id, func.count()))]\n"
                   "def sizes(s) -> list[int]:\n    return [len(i.title) for i in s.scalars(select(ContentItem))]\n"),
    ]
    INVALID += [
        # ids gathered from a query (a legacy Query, `.all()` of an id column)
        Invalid(_Q + "def all_ids(db) -> list[int]:\n    return [x for (x,) in db.query(ContentItem.id).all()]\n",
                line=3, expected_fix="def all_ids(db) -> list[uuid.UUID]:"),
        # tuples of (id, count): only the key's element changes
        Invalid(_Q + "def busiest(s, limit: int = 10) -> list[tuple[int, int]]:\n"
                     "    n = func.count(Image.id)\n"
                     "    query = select(Image.content_id, n).group_by(Image.content_id).order_by(n.desc()).limit(limit)\n"
                     "    return [(row[0], row[1]) for row in s.execute(query)]\n",
                line=3, expected_fix="def busiest(s, limit: int = 10) -> list[tuple[uuid.UUID, int]]:"),
        # a pluck helper: the objects passed in are ContentItems (data flow into `rows`)
        Invalid(_Q + "def pluck_ids(rows) -> list[int]:\n    return [r.id for r in rows]\n"
                     "def archive(s):\n    stale = s.scalars(select(ContentItem).where(ContentItem.title == '')).all()\n"
                     "    return pluck_ids(stale)\n",
                line=3, message_contains="r.id", expected_fix="def pluck_ids(rows) -> list[uuid.UUID]:"),
        Invalid(_Q + "def collect(s) -> list[int]:\n    out = []\n"
                     "    for i, item in enumerate(s.scalars(select(ContentItem))):\n        out.append(item.id)\n"
                     "    return out\n",
                line=3, expected_fix="def collect(s) -> list[uuid.UUID]:"),
        # a mapping: the side that holds the key changes, the other stays
        Invalid(_Q + "def by_title(s) -> dict[str, int]:\n"
                     "    return {i.title: i.id for i in s.scalars(select(ContentItem))}\n",
                line=3, expected_fix="def by_title(s) -> dict[str, uuid.UUID]:"),
        Invalid(_Q + "def parse_ref(ref: str, s=None) -> tuple[str, int]:\n    kind, _, pk = ref.partition(':')\n"
                     "    item = s.get(ContentItem, int(pk))\n    return kind, item.id\n",
                line=3, expected_fix="def parse_ref(ref: str, s=None) -> tuple[str, uuid.UUID]:"),
    ]
    # ids of a query through its result: `list(result.scalars())`; a count through `.scalar()` stays
    INVALID += [Invalid(_Q + "async def ids_titled(session, title: str) -> list[int]:\n"
                             "    result = await session.execute(select(ContentItem.id).where(ContentItem.title == title))\n"
                             "    return list(result.scalars())\n"
                             "async def how_many(session) -> int:\n"
                             "    result = await session.execute(select(func.count()).select_from(ContentItem))\n"
                             "    return result.scalar()\n",
                        line=3, expected_fix="async def ids_titled(session, title: str) -> list[uuid.UUID]:")]
    # some of the keys: a slice of a list of keys
    INVALID += [Invalid(_Q + "def first_ids(s, limit: int = 20) -> list[int]:\n"
                             "    ids = [i.id for i in s.scalars(select(ContentItem))]\n    return ids[:limit]\n",
                        line=3, expected_fix="def first_ids(s, limit: int = 20) -> list[uuid.UUID]:")]
    VALID += [Valid(_Q + "def first_sizes(s, limit: int = 20) -> list[int]:\n"
                         "    sizes = [len(i.title) for i in s.scalars(select(ContentItem))]\n    return sizes[:limit]\n")]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        for fi in ctx.pf.functions:
            fk = ctx.model.returns.get(fi.func_id)
            ret = fi.node.returns
            if fk is None or ret is None or not ctx.has_int(ret.annotation):
                continue
            values = [r.value for r in ctx.pf.returns_of(fi) if r.value is not None]
            edits, review = ctx.key_type_edits(fi, ret.annotation, values, key_side=False)
            if not edits and not review and ctx.model.int_changes:
                continue  # the ints of the annotation are the other elements (`tuple[str, int]` of a count)
            yield ctx.finding(self, ret.annotation, f"{fi.qualname}",
                              f"{fi.qualname}() returns the key and is annotated `{ctx.pf.code(ret.annotation)}`",
                              evidence=fk.evidence, target=fk.target, edits=edits, review=review,
                              layer=ctx.layer_of(fi, "other"))
