from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import (
    FileCtx,
    Invalid,
    PyRule,
    Valid,
    string_value,
    type_targets,
)

from analyzer.models import Edit, Finding
from analyzer.python import facts

_CORE_FACTORY = '''from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table


def create_media_metadata(metadata: MetaData) -> MetaData:
    Table(
        "images",
        metadata,
        Column("image_id", Integer, primary_key=True),
        Column("content_id", Integer, ForeignKey("content_items.id"), nullable=False),
        Column("retry_count", Integer, nullable=False, server_default="0"),
        Column("caption", String),
    )
    return metadata
'''
_FLASK_APP = ("### app/__init__.py\nfrom flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n\n"
              "app = Flask(__name__)\ndb = SQLAlchemy(app)\n")


class SqlalchemyColumn(PyRule):
    """An ORM column (Column, mapped_column, SQLModel Field) mapped to a column whose type changes.

    Anti-pattern: `content_id: Mapped[int] = mapped_column(ForeignKey("content_items.id"))` left as
    `int`/`Integer` while the database column becomes `uuid`. Best practice: change the SQL type
    (`Uuid`, `BigInteger`) and the Python annotation (`Mapped[uuid.UUID]`) in the same commit as the
    migration, for the primary key and for every foreign key that points at it.

    Every target type: `Integer` (and a bare `Mapped[int]`, which SQLAlchemy maps to `Integer`) is int4,
    so bigint needs `BigInteger` too; the annotation stays `int` for bigint (Python's int has no width).
    A column already `BigInteger` changes for UUID and text only.
    """

    code, name, layer, kind = "PY001", "sqlalchemy.column", "db-model", "must_change"
    fixable = True
    VALID = [
        Valid("from sqlalchemy import Integer\nfrom sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n"
              "class Base(DeclarativeBase): pass\n"
              "class User(Base):\n    __tablename__ = 'users'\n"
              "    id: Mapped[int] = mapped_column(Integer, primary_key=True)\n"
              "    page: Mapped[int] = mapped_column(Integer)\n"),
        Valid("def Column(*a): return a\nclass Image:\n    __tablename__ = 'images'\n"
              "    content_id = Column('x')\n"),
        # already converted (a patched tree): context only, no further change
        Valid("import uuid\nfrom sqlalchemy import ForeignKey, Uuid\n"
              "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n"
              "class Base(DeclarativeBase): pass\n"
              "class Image(Base):\n    __tablename__ = 'images'\n"
              "    content_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey('content_items.id'))\n"),
        # bigint: a column that is already 8 bytes wide stays as it is
        Valid("import sqlalchemy as sa\nfrom sqlalchemy.orm import declarative_base\nBase = declarative_base()\n"
              "class Image(Base):\n    __tablename__ = 'images'\n"
              "    content_id = sa.Column(sa.BigInteger, sa.ForeignKey('content_items.id'))\n", to="BIGINT"),
        # Core tables built in a factory: the other columns of an impacted table are not keys
        Valid(_CORE_FACTORY.replace('        Column("content_id", Integer, ForeignKey("content_items.id"), nullable=False),\n',
                                    ""), to="BIGINT"),
        # a Core column that states no type takes the referenced column's: nothing to edit there
        Valid('from sqlalchemy import Column, ForeignKey, MetaData, Table\n\nmetadata = MetaData()\n'
              'image_tags = Table(\n    "image_tags",\n    metadata,\n'
              '    Column("content_id", ForeignKey("content_items.id"), primary_key=True),\n'
              '    Column("tag", ForeignKey("tags.name"), primary_key=True),\n)\n', to="BIGINT"),
        # Flask-SQLAlchemy: a counter column and a single-table subclass's columns are not the key
        Valid(_FLASK_APP + "### app/module.py\nfrom app import db\n\n\nclass User(db.Model):\n"
              "    id = db.Column(db.BigInteger, primary_key=True)\n    login_count = db.Column(db.Integer, default=0)\n"
              "\n\nclass Admin(User):\n    level = db.Column(db.Integer, nullable=False)\n\n\n"
              "class Tag(db.Model):\n    id = db.Column(db.Integer, primary_key=True)\n"
              "    use_count = db.Column(db.Integer)\n", to="BIGINT", target="user.id"),
    ]
    INVALID = [
        Invalid(_CORE_FACTORY, line=9, to="BIGINT", message_contains="images.content_id",
                expected_fix='        Column("content_id", BigInteger, ForeignKey("content_items.id"), nullable=False),'),
        # Flask-SQLAlchemy: `db` (imported from the module that made it) proxies sqlalchemy's names
        Invalid("### app/extensions.py\nfrom flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n"
                "### app/module.py\nfrom app.extensions import db\n\n\nclass ContentItem(db.Model):\n"
                "    __tablename__ = 'content_items'\n    id = db.Column(db.Integer, primary_key=True)\n"
                "    view_count = db.Column(db.Integer, nullable=False, default=0)\n",
                line=6, to="BIGINT", message_contains="content_items.id",
                expected_fix="    id = db.Column(db.BigInteger, primary_key=True)"),
        # ... and names the table after the class: User -> user; a subclass with its own key has its own table
        Invalid(_FLASK_APP + "### app/module.py\nfrom app import db\n\n\nclass User(db.Model):\n"
                "    id = db.Column(db.Integer, primary_key=True)\n    login_count = db.Column(db.Integer, default=0)\n",
                line=5, to="BIGINT", target="user.id", expected_fix="    id = db.Column(db.BigInteger, primary_key=True)"),
        Invalid(_FLASK_APP + "### app/module.py\nfrom app import db\nfrom app.users import User\n\n\n"
                "class AdminUser(User):\n    id = db.Column(db.Integer, db.ForeignKey('user.id'), primary_key=True)\n"
                "    level = db.Column(db.Integer, nullable=False)\n"
                "### app/users.py\nfrom app import db\n\n\nclass User(db.Model):\n"
                "    id = db.Column(db.Integer, primary_key=True)\n",
                line=6, to="BIGINT", target="user.id", message_contains="AdminUser.id",
                expected_fix="    id = db.Column(db.BigInteger, db.ForeignKey('user.id'), primary_key=True)"),
        Invalid("from sqlalchemy import Integer\nfrom sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n"
                "class Base(DeclarativeBase): pass\n"
                "class ContentItem(Base):\n    __tablename__ = 'content_items'\n"
                "    id: Mapped[int] = mapped_column(Integer, primary_key=True)\n",
                line=6, message_contains="content_items.id",
                expected_fix="    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)"),
        # the target's key loses its sequence: the generator moves into the model
        Invalid("from sqlalchemy import Column, Integer\nfrom sqlalchemy.orm import declarative_base\n"
                "Base = declarative_base()\n"
                "class ContentItem(Base):\n    __tablename__ = 'content_items'\n"
                "    id = Column(Integer, primary_key=True, autoincrement=True)\n",
                line=6, expected_fix="    id = Column(Uuid, primary_key=True, default=uuid.uuid4)"),
        Invalid("import sqlalchemy as sa\nfrom sqlalchemy.orm import declarative_base\nBase = declarative_base()\n"
                "class Image(Base):\n    __tablename__ = 'images'\n"
                "    id = sa.Column(sa.Integer, primary_key=True)\n"
                "    content_id = sa.Column(sa.Integer, sa.ForeignKey('content_items.id'), index=True)\n",
                line=7, message_contains="images.content_id",
                expected_fix="    content_id = sa.Column(sa.Uuid, sa.ForeignKey('content_items.id'), index=True)"),
        # bigint: Integer becomes BigInteger, the annotation stays int
        Invalid("import sqlalchemy as sa\nfrom sqlalchemy.orm import declarative_base\nBase = declarative_base()\n"
                "class Image(Base):\n    __tablename__ = 'images'\n"
                "    id = sa.Column(sa.Integer, primary_key=True)\n"
                "    content_id = sa.Column(sa.Integer, sa.ForeignKey('content_items.id'), index=True)\n",
                line=7, message_contains="BIGINT", to="BIGINT",
                expected_fix="    content_id = sa.Column(sa.BigInteger, sa.ForeignKey('content_items.id'), index=True)"),
        Invalid("from typing import Optional\nfrom sqlmodel import Field, SQLModel\n"
                "class Image(SQLModel, table=True):\n    __tablename__ = 'images'\n"
                "    id: Optional[int] = Field(default=None, primary_key=True)\n"
                "    content_id: int = Field(foreign_key='content_items.id')\n",
                line=6, expected_fix="    content_id: uuid.UUID = Field(foreign_key='content_items.id')"),
        # a dataclass mapping (MappedAsDataclass: `init=False`): mapped_column's `default` is the field's value, so a
        # generator goes in default_factory; without one, `default` stays (distractor below)
        Invalid("from sqlalchemy.orm import DeclarativeBase, Mapped, MappedAsDataclass, mapped_column\n"
                "class Base(MappedAsDataclass, DeclarativeBase): pass\n"
                "class ContentItem(Base):\n    __tablename__ = 'content_items'\n"
                "    id: Mapped[int] = mapped_column(autoincrement=True, primary_key=True, init=False)\n",
                line=5, expected_fix="    id: Mapped[uuid.UUID] = mapped_column(default_factory=uuid.uuid4, primary_key=True, "
                                     "init=False)"),
        Invalid("from sqlalchemy.orm import Mapped, mapped_column\nfrom app.db import Base\n"
                "class ContentItem(Base):\n    __tablename__ = 'content_items'\n"
                "    id: Mapped[int] = mapped_column(primary_key=True)\n",
                line=5, expected_fix="    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)"),
        # SQLModel: the generator is a default_factory
        Invalid("from sqlmodel import Field, SQLModel\n"
                "class ContentItem(SQLModel, table=True):\n    __tablename__ = 'content_items'\n"
                "    id: int = Field(primary_key=True)\n",
                line=4, expected_fix="    id: uuid.UUID = Field(primary_key=True, default_factory=uuid.uuid4)"),
        Invalid("from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table\nmetadata = MetaData()\n"
                "images = Table(\n    'images', metadata,\n    Column('id', Integer, primary_key=True),\n"
                "    Column('content_id', Integer, ForeignKey('content_items.id')),\n)\n",
                line=6, expected_fix="    Column('content_id', Uuid, ForeignKey('content_items.id')),"),
    ]

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        pf, model = ctx.pf, ctx.model
        for cls in pf.classes:
            got = facts.orm_key_attrs(pf, cls, model)
            if got is None:
                continue
            for attr_name, (ic, attr, spec) in got[1].items():
                edits = self._type_edits(ctx, spec) + self._key_default_edits(ctx, spec, ic)
                int_typed = bool(spec and spec.type_nodes) or (
                    attr.annotation is not None and ctx.has_int(attr.annotation.annotation))
                if attr.annotation is not None:
                    edits += ctx.int_edits(attr.annotation.annotation)
                # no integer type written here (already converted, or the type follows a ForeignKey): context
                yield ctx.finding(self, attr.stmt, f"{cls.name.value}.{attr_name}",
                                  f"`{cls.name.value}.{attr_name}` maps {ic.qualified}, which becomes "
                                  f"{model.to_type}", evidence=ic.reason, target=ic.target, edits=edits,
                                  kind="must_change" if int_typed else "info", applies_to=self._width(ctx, spec))
        for entry in pf.calls_resolving(("Table",)):
            call = entry.node
            assert isinstance(call, cst.Call)
            if entry.cls is not None or not facts.is_sqla(pf, call.func, "Table"):
                continue
            args = facts.positional(call)
            table = string_value(args[0].value) if args else None
            if table is None:
                continue
            for col_call, spec, ic in facts.impacted_table_columns(pf, model, table, args[1:]):
                # `Column("user_id", ForeignKey("users.id"))` states no type: it takes the referenced one (context)
                yield ctx.finding(self, col_call, f"{table}.{spec.name}",
                                  f"Column `{spec.name}` of Table('{table}') maps {ic.qualified}, which becomes "
                                  f"{model.to_type}", evidence=ic.reason, target=ic.target,
                                  edits=self._type_edits(ctx, spec) + self._key_default_edits(ctx, spec, ic),
                                  kind="must_change" if spec.type_nodes else "info",
                                  applies_to=self._width(ctx, spec))

    @staticmethod
    def _width(ctx: FileCtx, spec: facts.ColumnSpec | None) -> tuple[str, ...]:
        """Every target type for an `Integer` (or no SQL type: SQLAlchemy maps `int` to Integer); UUID and text
        only for a `BigInteger` column."""
        if spec is None or not spec.type_nodes:
            return ()
        return type_targets(" ".join(ctx.pf.code(n) for n in spec.type_nodes))

    @staticmethod
    def _key_default_edits(ctx: FileCtx, spec: facts.ColumnSpec | None, ic: object) -> tuple[Edit, ...]:
        """The target's own primary key needs a generator once it is no longer a sequence: `autoincrement=True`
        becomes `default=uuid.uuid4` (or one is added after `primary_key=True`). A column that already has a
        default of any kind is left to a person."""
        model = ctx.model
        if spec is None or not spec.primary_key or model.to_type != "UUID":
            return ()  # a TEXT key's values are the team's choice: no generator is guessed
        if (getattr(ic, "table", None), getattr(ic, "column", None)) not in {
                (t.table, t.column) for t in model.closure.targets}:
            return ()
        args = spec.call.args
        names = {a.keyword.value: a for a in args if a.keyword is not None}
        if {"default", "default_factory", "server_default", "insert_default"} & set(names):
            return ()
        generator = "uuid.uuid4"
        # SQLModel's Field takes a factory as default_factory (its `default` is a value), and so does mapped_column
        # in a dataclass mapping (MappedAsDataclass: a column with dataclass-only arguments, or the base in the file)
        dataclass = bool({"init", "kw_only", "repr", "compare", "hash"} & set(names)) or "MappedAsDataclass" in ctx.pf.text
        kw = "default_factory" if facts.callee_name(spec.call) == "Field" or dataclass else "default"
        auto = names.get("autoincrement")
        if auto is not None and auto.keyword is not None:
            start, _ = ctx.pf.offsets(auto.keyword)
            _, end = ctx.pf.offsets(auto.value)
            return (Edit(start, end, f"{kw}={generator}", requires_import="import uuid"),)
        pk = names.get("primary_key")
        if pk is None:
            return ()
        _, end = ctx.pf.offsets(pk.value)
        return (Edit(end, end, f", {kw}={generator}", requires_import="import uuid"),)

    @staticmethod
    def _type_edits(ctx: FileCtx, spec: facts.ColumnSpec | None) -> tuple[Edit, ...]:
        if spec is None:
            return ()
        new, name = ctx.model.sqla_type()
        out = []
        for node in spec.type_nodes:
            if (node.attr.value if isinstance(node, cst.Attribute) else getattr(node, "value", "")) == new:
                continue  # already the new type
            if isinstance(node, cst.Attribute):
                start, end = ctx.pf.offsets(node.attr)
                out.append(Edit(start, end, new))
            elif isinstance(node, cst.Name):
                start, end = ctx.pf.offsets(node)
                out.append(Edit(start, end, new, requires_import=f"from sqlalchemy import {name}"))
        return tuple(out)
