from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid

from analyzer.models import NOT_BIGINT, Edit, Finding
from analyzer.python.parsed import FuncInfo
from analyzer.python.walk import find

_HEAD = "from typing import Annotated\nfrom fastapi import APIRouter, Depends, Path, Query\nrouter = APIRouter()\n"


def key_params(ctx: FileCtx, fi: FuncInfo) -> Iterator[tuple[cst.Param, str]]:
    """Parameters of `fi` that hold the key (by name, by flow, by a key alias) and are typed `int`, unless the
    annotation admits the new type already (`value: str | int | UUID4`, a generic repository's lookup value)."""
    for p in fi.params:
        name = p.name.value
        if name in fi.env and p.annotation is not None and ctx.has_int(p.annotation.annotation) \
                and not admits_new_type(ctx, p.annotation.annotation):
            yield p, fi.env[name]


def admits_new_type(ctx: FileCtx, ann: cst.BaseExpression) -> bool:
    """Does a union annotation name the type the key moves to beside `int` (`int | uuid.UUID`, `str | int | UUID4`;
    `str` for text)?"""
    if not isinstance(ann, cst.BinaryOperation) and not (isinstance(ann, cst.Subscript)
                                                         and ctx.pf.code(ann.value).endswith("Union")):
        return False
    new = ctx.model.to_type
    for n in find(ann, cst.Name):
        if (new == "UUID" and n.value.startswith("UUID")) or (new == "TEXT" and n.value == "str"):
            return True
    return False


def param_edits(ctx: FileCtx, p: cst.Param) -> tuple[tuple[Edit, ...], str]:
    """`int` -> the new type in the annotation, unless an integer default (`after: int = 0`) would be left
    behind: then no edit, a review note (the sentinel needs a decision: `None`, or drop the default)."""
    assert p.annotation is not None
    default = p.default
    if isinstance(default, cst.UnaryOperation):
        default = default.expression
    if isinstance(default, cst.Integer):
        return (), f"integer default `{ctx.pf.code(p.default)}` is no key: use `None` (and handle it) " \
                   f"before changing the type"
    return ctx.int_edits(p.annotation.annotation), ""


class FastApiParam(PyRule):
    """A FastAPI path, query or body parameter (or a dependency's) that holds the key, typed as int.

    Anti-pattern: `@router.get("/contents/{content_id}") def get(content_id: int)` — after the change
    FastAPI rejects every real id with a 422. Best practice: `content_id: uuid.UUID` (FastAPI validates
    and documents it), in handlers and in the dependency functions that load the object.

    Not for bigint: Python's int has no width; FastAPI parses a bigint path or query value into `int`.
    """

    code, name, layer, kind = "PY030", "fastapi.param", "route", "must_change"
    APPLIES_TO = NOT_BIGINT
    fixable = True
    VALID = [
        Valid(_HEAD + "@router.get('/users/{user_id}')\ndef get_user(user_id: int, page: int = 1,"
                      " limit: int = 20): ...\n"),
        Valid(_HEAD + "@router.get('/comments/{comment_id}/versions/{version_number}')\n"
                      "def get_version(comment_id: int, version_number: int): ...\n"),
    ]
    INVALID = [
        Invalid(_HEAD + "@router.get('/images/{content_id}')\ndef get(content_id: int): ...\n",
                line=5, expected_fix="def get(content_id: uuid.UUID): ..."),
        Invalid(_HEAD + "@router.get('/images')\ndef list_images(\n"
                "    content_id: Annotated[int | None, Query()] = None,\n    limit: int = 20,\n): ...\n",
                line=6, expected_fix="    content_id: Annotated[uuid.UUID | None, Query()] = None,"),
        Invalid(_HEAD + "from app.models import ContentItem\n"
                "def load_doc(doc: int, session=None) -> ContentItem:\n    return session.get(ContentItem, doc)\n"
                "@router.get('/docs/{doc}')\ndef show(item: ContentItem = Depends(load_doc)): ...\n",
                line=5, message_contains="ContentItem primary key", expected_fix=
                "def load_doc(doc: uuid.UUID, session=None) -> ContentItem:"),
    ]

    # REST: a generic `{id}` right after the key's table in the path (the handler hands it to a generic
    # repository the flow cannot follow); the router is a team's APIRouter subclass
    _REST = ("### app/api/routers.py\nfrom fastapi import APIRouter\nclass AdminRouter(APIRouter):\n    pass\n"
             "### app/api/items.py\nfrom app.api.routers import AdminRouter\n"
             "router = AdminRouter(prefix='/content-items')\nusers = AdminRouter(prefix='/users')\n"
             "@router.get('/{id}')\ndef read_item(id: int, repo=None):\n    return repo.get(id)\n"
             "@users.get('/{id}')\ndef read_user(id: int, repo=None):\n    return repo.get(id)\n")
    INVALID += [Invalid(_REST, line=5, path="app/api/items.py", message_contains="/content-items/",
                        expected_fix="def read_item(id: uuid.UUID, repo=None):")]
    VALID += [Valid(_REST.replace("@router.get('/{id}')", "@router.get('/{id}/users')")
                    .replace("def read_item(id: int", "def read_item(page: int"), path="app/api/items.py")]

    # a generic repository whose `get(id)` the key reaches (the items router passes `content_id`): the users
    # router's `user_id`, handed to the same method, names another table's ids and stays an int
    _GENERIC_REPO = ("### app/repositories.py\nfrom typing import Generic, TypeVar\n"
                     "from app.models import ContentItem, User\nT = TypeVar('T')\n"
                     "class Repository(Generic[T]):\n    model: type\n"
                     "    def __init__(self, session):\n        self.session = session\n"
                     "    async def get_or_raise(self, id: int) -> T:\n"
                     "        return await self.session.get(self.model, id)\n"
                     "class ItemRepository(Repository[ContentItem]):\n    model = ContentItem\n"
                     "class UserRepository(Repository[User]):\n    model = User\n"
                     "### app/api/deps.py\nfrom typing import Annotated\nfrom fastapi import Depends\n"
                     "from app.repositories import ItemRepository, UserRepository\n"
                     "Items = Annotated[ItemRepository, Depends(ItemRepository)]\n"
                     "Users = Annotated[UserRepository, Depends(UserRepository)]\n"
                     "### app/api/items.py\nfrom fastapi import APIRouter\nfrom app.api.deps import Items\n"
                     "router = APIRouter()\n"
                     "@router.get('/images/{content_id}')\nasync def by_content(content_id: int, items: Items):\n"
                     "    return await items.get_or_raise(content_id)\n"
                     "### app/api/users.py\nfrom fastapi import APIRouter\nfrom app.api.deps import Users\n"
                     "router = APIRouter()\n"
                     "@router.get('/users/{user_id}')\nasync def read_user(user_id: int, users: Users):\n"
                     "    return await users.get_or_raise(user_id)\n")
    INVALID += [Invalid(_GENERIC_REPO, line=5, path="app/api/items.py", message_contains="content_id")]
    VALID += [Valid(_GENERIC_REPO, path="app/api/users.py")]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        for fi in ctx.pf.functions:
            if fi.route is None and not fi.dependency:
                continue
            for p, why in key_params(ctx, fi):
                assert p.annotation is not None
                edits, review = param_edits(ctx, p)
                kind = "path" if fi.route and f"{{{p.name.value}" in fi.route[1] else "query/body"
                role = "route" if fi.route else "dependency"
                yield ctx.finding(self, p, f"{fi.qualname}.{p.name.value}",
                                  f"{role} {kind} parameter `{p.name.value}` holds the key and is typed "
                                  f"`{ctx.pf.code(p.annotation.annotation)}`", evidence=why,
                                  edits=edits, review=review)
