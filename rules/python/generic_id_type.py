from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid

from analyzer.models import NOT_BIGINT, Edit, Finding
from analyzer.python.keys import KeyModel

#: fastapi-users' classes that are generic in the user id's type (`ID`), and the mixin that parses it
_GENERICS = {"SQLAlchemyBaseUserTable", "SQLAlchemyBaseOAuthAccountTable", "BaseUserManager", "FastAPIUsers",
             "BaseUser", "BaseUserCreate", "BaseUserUpdate", "BaseOAuthAccount", "SQLAlchemyUserDatabase",
             "BaseUserDatabase", "BaseAccessTokenDatabase", "AuthenticationBackend"}
_PACKAGES = ("fastapi_users", "fastapi_users_db_sqlalchemy")

_MODELS = ("### app/models.py\n"
           "from fastapi_users_db_sqlalchemy import SQLAlchemyBaseUserTable\n"
           "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\nclass Base(DeclarativeBase): pass\n"
           "class User(SQLAlchemyBaseUserTable[int], Base):\n    __tablename__ = 'users'\n"
           "    id: Mapped[int] = mapped_column(primary_key=True)\n"
           "class ContentItem(Base):\n    __tablename__ = 'content_items'\n"
           "    id: Mapped[int] = mapped_column(primary_key=True)\n")
_AUTH = ("### app/auth.py\n"
         "from fastapi_users import BaseUserManager, FastAPIUsers, IntegerIDMixin, schemas\n"
         "from app.models import User\n"
         "class UserManager(IntegerIDMixin, BaseUserManager[User, int]):\n    reset_password_token_secret = 's'\n"
         "class UserRead(schemas.BaseUser[int]):\n    nickname: str\n"
         "fastapi_users = FastAPIUsers[User, int](lambda: None, [])\n"
         "page_sizes: dict[str, int] = {}\n")


def users_library_key(model: KeyModel) -> str | None:
    """The affected ORM class that is fastapi-users' user table (its id type is a type argument), or None."""
    for orm in model.orm.values():
        if orm.pk_attr and any(b.startswith(_PACKAGES) for b in orm.bases):
            return orm.name
    return None


class GenericIdType(PyRule):
    """A library class parameterized by the key's type, given `int`: fastapi-users' user id.

    Anti-pattern: `class User(SQLAlchemyBaseUserTable[int], Base)`, `BaseUserManager[User, int]` with
    `IntegerIDMixin`, `FastAPIUsers[User, int]`, `schemas.BaseUser[int]` — once `users.id` is a UUID the
    manager parses ids as integers and every schema validates them as such. Best practice: the type argument
    follows the key (`uuid.UUID`), and `UUIDIDMixin` parses it.

    Only when the table whose key changes is the library's user table (its ORM class derives from
    `SQLAlchemyBaseUserTable`); another key leaves these alone. Not for bigint: an int8 id is a Python int and
    `IntegerIDMixin` parses it.
    """

    code, name, layer, kind = "PY055", "generic.id_type", "service", "must_change"
    APPLIES_TO = NOT_BIGINT
    fixable = True
    VALID = [Valid(_MODELS + _AUTH, path="app/auth.py"),  # the key is content_items.id: the user id stays int
             Valid(_MODELS + _AUTH, path="app/auth.py", target="users.id", to="BIGINT")]
    INVALID = [
        Invalid(_MODELS + _AUTH, line=3, path="app/auth.py", target="users.id", message_contains="IntegerIDMixin",
                expected_fix="class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):"),
        Invalid(_MODELS + _AUTH, line=5, path="app/auth.py", target="users.id",
                expected_fix="class UserRead(schemas.BaseUser[uuid.UUID]):"),
        Invalid(_MODELS + _AUTH, line=7, path="app/auth.py", target="users.id",
                expected_fix="fastapi_users = FastAPIUsers[User, uuid.UUID](lambda: None, [])"),
        Invalid(_MODELS + _AUTH, line=4, path="app/models.py", target="users.id",
                expected_fix="class User(SQLAlchemyBaseUserTable[uuid.UUID], Base):"),
        # a module that names nothing of the key but the library (the prefilter keeps it)
        Invalid(_MODELS + "### app/schemas.py\nfrom fastapi_users import schemas\n"
                          "class AccountRead(schemas.BaseUser[int]):\n    nickname: str\n",
                line=2, path="app/schemas.py", target="users.id",
                expected_fix="class AccountRead(schemas.BaseUser[uuid.UUID]):"),
    ]

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        pf, model = ctx.pf, ctx.model
        user = users_library_key(model)
        if user is None or not any(p in pf.text for p in _PACKAGES):
            return
        target = model.orm[user].key_attrs[model.orm[user].pk_attr].target or model.default_target
        mixins: dict[int, Edit] = {}
        for cls in pf.classes:
            for base in cls.bases:
                if pf.resolves_to(base.value, "IntegerIDMixin", packages=("fastapi_users",)) \
                        and model.to_type == "UUID":
                    start, end = pf.offsets(base.value)
                    mixins[id(cls)] = Edit(start, end, "UUIDIDMixin",
                                           requires_import="from fastapi_users import UUIDIDMixin")
        for entry in pf.of(cst.Subscript):
            node = entry.node
            assert isinstance(node, cst.Subscript)
            if not pf.resolves_to(node.value, *_GENERICS, packages=_PACKAGES):
                continue
            ints = [el.slice.value for el in node.slice if isinstance(el.slice, cst.Index)
                    and isinstance(el.slice.value, cst.Name) and el.slice.value.value == "int"]
            if not ints:
                continue
            edits: list[Edit] = [e for n in ints for e in ctx.int_edits(n)]
            cls = entry.cls
            if cls is not None and entry.func is None and id(cls) in mixins \
                    and any(b.value is node for b in cls.bases):
                edits.append(mixins.pop(id(cls)))
            yield ctx.finding(self, node, ctx.symbol(entry.func, pf.code(node.value)),
                              f"`{pf.code(node)}` gives {user}'s id type as int"
                              + (" (with IntegerIDMixin)" if len(edits) > len(ints) else ""),
                              evidence=f"{user} is fastapi-users' user table and its key becomes {model.to_type}",
                              target=target, edits=tuple(edits), layer=ctx.layer_of(entry.func, "service"),
                              review="" if model.to_type == "UUID" else "fastapi-users has no parser for text ids")
        for cls in pf.classes:  # a mixin without a generic base next to it
            if id(cls) in mixins:
                yield ctx.finding(self, cls.name, cls.name.value, f"{cls.name.value} parses {user}'s id with "
                                  f"IntegerIDMixin", evidence=f"{user} is fastapi-users' user table and its key "
                                  f"becomes {model.to_type}", target=target, edits=(mixins[id(cls)],),
                                  layer=ctx.layer_of(None, "service"))
