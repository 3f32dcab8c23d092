from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid

from analyzer.models import NOT_BIGINT, Finding
from analyzer.python import facts
from analyzer.python.context import Modules
from analyzer.python.history import revision_label
from analyzer.python.keys import OrmClass
from analyzer.python.parsed import layer_hint, module_name

_AUTO = ("from sqlalchemy import Integer, insert\nfrom sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n"
         "class Base(DeclarativeBase): pass\n")


class NewRowWithoutKey(PyRule):
    """A new row of the target table built without its key, when nothing will generate one.

    Anti-pattern: `ContentItem(title=t)` (or `insert(ContentItem).values(title=t)`) relied on the integer
    sequence; a UUID or text key has none, so the flush fails ("NULL identity key") unless the model gives a
    default. Best practice: a Python-side generator on the column (`default=uuid.uuid4`, `default_factory=` for
    SQLModel's Field and dataclass mappings: PY001's patch adds it to a UUID key that has no default) or an explicit `id=uuid.uuid4()` at each construction.

    Where the patch adds the generator, each construction is reported as info saying so; where the column
    states `default=None` (SQLModel) or the key becomes text (no generator is guessed), it is a hazard. A
    construction given the key, or `**values` that may hold it, is left alone. Not for bigint: the sequence
    stays. A call of the mapped class's name is not it when the file imports that name from a schemas module (a
    Pydantic model of the same name) or, for a class mapped outside an Alembic revision, from another module that
    defines a class of that name.
    """

    code, name, layer, kind = "PY004", "sqlalchemy.row_without_key", "service", "hazard"
    APPLIES_TO = NOT_BIGINT
    _SQLMODEL = ("### app/models.py\n"
                 "from typing import Optional\nfrom sqlmodel import Field, SQLModel\n"
                 "class ContentItem(SQLModel, table=True):\n    __tablename__ = 'content_items'\n"
                 "    id: Optional[int] = Field(default=None, primary_key=True)\n    title: str = ''\n"
                 "class Image(SQLModel, table=True):\n    __tablename__ = 'images'\n"
                 "    id: Optional[int] = Field(default=None, primary_key=True)\n"
                 "    content_id: int = Field(foreign_key='content_items.id')\n"
                 "### app/services/items.py\n"
                 "import uuid\nfrom app.models import ContentItem, Image\n")
    VALID = [
        Valid(_SQLMODEL + "def create(s, title: str, **values):\n    s.add(ContentItem(id=uuid.uuid4(), title=title))\n"
                          "    s.add(ContentItem(**values))\n    s.add(Image(content_id=uuid.uuid4()))\n",
              path="app/services/items.py"),
        Valid(_SQLMODEL + "def create(s, title: str):\n    s.add(ContentItem(title=title))\n",
              path="app/services/items.py", to="BIGINT"),
        # the key already has a generator
        Valid("### app/models.py\nimport uuid\nfrom sqlalchemy import Uuid\n"
              "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\nclass Base(DeclarativeBase): pass\n"
              "class ContentItem(Base):\n    __tablename__ = 'content_items'\n"
              "    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)\n"
              "### app/services/items.py\nfrom app.models import ContentItem\n"
              "def create(s):\n    s.add(ContentItem())\n", path="app/services/items.py"),
    ]
    # a class of the same name that is not the mapped one: a Pydantic schema imported from its own module, and the
    # copy of the model an Alembic revision keeps for its data migration (no other module imports a revision)
    _MAPPED = ("from typing import Optional\nfrom sqlmodel import Field, SQLModel\n"
               "class ContentItem(SQLModel, table=True):\n    __tablename__ = 'content_items'\n"
               "    id: Optional[int] = Field(default=None, primary_key=True)\n    title: str = ''\n")
    _SCHEMA_TOO = ("### app/models.py\n" + _MAPPED +
                   "### app/schemas.py\nfrom pydantic import BaseModel\nclass ContentItem(BaseModel):\n    title: str\n")
    _REVISION_COPY = ("### app/models.py\n" + _MAPPED.replace("class ContentItem(", "class ContentItemModel(") +
                      "### alembic/versions/2023_02_14_5ab195a474eb_normalize.py\n"
                      "revision = '5ab195a474eb'\ndown_revision = '6b0f5f32d602'\n" + _MAPPED +
                      "def upgrade():\n    pass\n"
                      "### app/schema/__init__.py\nfrom app.schema.items import ContentItem\n"
                      "### app/schema/items.py\nfrom pydantic import BaseModel\n"
                      "class ContentItem(BaseModel):\n    title: str\n")
    VALID += [
        Valid(_SCHEMA_TOO + "### app/services/items.py\nfrom app.schemas import ContentItem\n"
                            "def parse(title: str) -> ContentItem:\n    return ContentItem(title=title)\n",
              path="app/services/items.py"),
        Valid(_REVISION_COPY + "### app/services/items.py\nfrom app.schema import ContentItem\n"
                               "def parse(title: str) -> ContentItem:\n    return ContentItem(title=title)\n",
              path="app/services/items.py"),
    ]
    INVALID = [
        # beside a revision's copy of the model, the application's class of that name, whose table its base names
        Invalid("### app/models.py\nimport re\nfrom sqlalchemy import Column, Integer, String\n"
                "from sqlalchemy.orm import DeclarativeBase, declared_attr\n"
                "class Base(DeclarativeBase):\n    @declared_attr.directive\n    def __tablename__(cls) -> str:\n"
                "        return re.sub(r'(?<!^)(?=[A-Z])', '_', cls.__name__).lower() + 's'\n"
                "class ContentItem(Base):\n    id = Column(Integer, primary_key=True)\n    title = Column(String)\n"
                "### alembic/versions/2023_02_14_5ab195a474eb_normalize.py\n"
                "revision = '5ab195a474eb'\ndown_revision = '6b0f5f32d602'\n" + _MAPPED +
                "### app/services/items.py\nfrom app.models import ContentItem\n"
                "def create(s, title: str):\n    s.add(ContentItem(title=title))\n",
                line=3, path="app/services/items.py", message_contains="which the patch adds", kind="info"),
        # the mapped class through the package that holds its module, beside a schema of the same name
        Invalid(_SCHEMA_TOO + "### app/services/items.py\nfrom app.models import ContentItem\n"
                              "def create(s, title: str):\n    s.add(ContentItem(title=title))\n",
                line=3, path="app/services/items.py", message_contains="default=None"),
        Invalid(_SQLMODEL + "def create(s, title: str) -> ContentItem:\n    item = ContentItem(title=title)\n"
                            "    s.add(item)\n    return item\n",
                line=4, path="app/services/items.py", message_contains="default=None"),
        # the patch adds default=uuid.uuid4: each construction is told so (info)
        Invalid("### app/models.py\n" + _AUTO + "class ContentItem(Base):\n    __tablename__ = 'content_items'\n"
                "    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)\n"
                "    title: Mapped[str] = mapped_column(default='')\n"
                "### tests/factories.py\nfrom app.models import ContentItem\n"
                "def make_item(s, title='x'):\n    item = ContentItem(title=title)\n    s.add(item)\n    return item\n",
                line=3, path="tests/factories.py", message_contains="which the patch adds", kind="info"),
        # SQLModel with no default: the patch writes default_factory=uuid.uuid4, the message names no keyword
        Invalid("### app/models.py\nfrom sqlmodel import Field, SQLModel\n"
                "class ContentItem(SQLModel, table=True):\n    __tablename__ = 'content_items'\n"
                "    id: int = Field(primary_key=True)\n    title: str = ''\n"
                "### app/services/items.py\nfrom app.models import ContentItem\n"
                "def create(s, title: str):\n    s.add(ContentItem(title=title))\n",
                line=3, path="app/services/items.py", message_contains="the generator `uuid.uuid4`", kind="info"),
        # text keys: no generator is guessed
        Invalid("### app/models.py\n" + _AUTO + "class ContentItem(Base):\n    __tablename__ = 'content_items'\n"
                "    id: Mapped[int] = mapped_column(Integer, primary_key=True)\n"
                "    title: Mapped[str] = mapped_column(default='')\n"
                "### app/services/items.py\nfrom sqlalchemy import insert\nfrom app.models import ContentItem\n"
                "def bulk(s, titles):\n    s.execute(insert(ContentItem).values([{'title': t} for t in titles]))\n"
                "def one(s):\n    s.execute(insert(ContentItem).values(title='x'))\n",
                line=6, path="app/services/items.py", to="TEXT", message_contains="no default"),
    ]

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        model = ctx.model
        if not model.int_changes or not any(o.pk_generator in ("patch", "none") and o.pk_attr
                                            for o in model.orm.values()):
            return  # a finding is about a class of model.orm that gets its key generated this way
        for entry in ctx.pf.of(cst.Call):
            call = entry.node
            assert isinstance(call, cst.Call)
            f = call.func
            orm: OrmClass | None = None
            given: list[cst.Arg] = list(call.args)
            what = ""
            if isinstance(f, cst.Name) and f.value in model.orm:
                orm, what = model.orm[f.value], f"`{f.value}(...)`"
                if not _stands_for(ctx, f.value, orm):
                    continue
            elif isinstance(f, cst.Attribute) and f.attr.value == "values" and isinstance(f.value, cst.Call) \
                    and facts.callee_name(f.value) == "insert" and f.value.args \
                    and isinstance(f.value.args[0].value, cst.Name) and f.value.args[0].value.value in model.orm:
                orm = model.orm[f.value.args[0].value.value]
                what = f"`insert({orm.name}).values(...)`"
                if len(call.args) == 1 and call.args[0].keyword is None:
                    continue  # rows given as dicts or a list: their keys are not read here
            if orm is None or orm.pk_generator not in ("patch", "none") or not orm.pk_attr:
                continue
            if any(a.star or a.keyword is None or a.keyword.value == orm.pk_attr for a in given):
                continue
            column = f"`{orm.name}.{orm.pk_attr}` ({orm.path}:{orm.pk_line})"
            symbol = ctx.symbol(entry.func, orm.name)
            layer = ctx.layer_of(entry.func, "service")
            if orm.pk_generator == "patch":
                # (the patch writes `default=` or, for SQLModel's Field and dataclass mappings, `default_factory=`)
                yield ctx.finding(self, call, symbol, f"{what} gives no {orm.pk_attr}: it gets one from "
                                  f"the generator `uuid.uuid4`, which the patch adds to {column}",
                                  evidence=f"{column} was generated by the database sequence", kind="info",
                                  layer=layer)
            else:
                why = "states `default=None`" if model.to_type == "UUID" else f"becomes {model.to_type}"
                yield ctx.finding(self, call, symbol, f"{what} gives no {orm.pk_attr}, and {column} {why}: "
                                  f"with the sequence gone nothing generates it (no default), the flush fails",
                                  evidence=f"{column} was generated by the database sequence", layer=layer,
                                  review=f"pass {orm.pk_attr}=... or give the column a generator "
                                         f"(default_factory=uuid.uuid4)")


def _stands_for(ctx: FileCtx, name: str, orm: OrmClass) -> bool:
    """Does `name` in this file stand for the mapped class `orm`? Not when the file imports a class of that name from
    a schemas module (`from app.schemas import ContentItem`, a Pydantic model), nor, for a class the scan knows mapped
    in another module, from a module that defines a class of that name itself. When `orm` is the copy of a model an
    Alembic revision keeps for itself (no other module imports a revision), the application's own class of that name
    is most likely the mapped one (its table named by its base: `class Project(Base)`), unless it lives in a schemas
    module. Where it cannot tell (a star import, a module it did not read), it does, as before."""
    pf = ctx.pf
    if orm.path == pf.path:
        return True
    copy = _in_revision(ctx, orm.path)
    imported = pf.imports.get(name)
    if imported is None:  # (a star import, or a name the file never binds)
        return not copy
    module = imported.rpartition(".")[0]
    own = module_name(orm.path)
    if module and (own == module or f".{module}." in f".{own}."):  # its module (from a source root), or a package
        return True
    modules = ctx.flow.cache.get("new_row_modules")
    if not isinstance(modules, Modules):
        modules = ctx.flow.cache["new_row_modules"] = Modules(dict(ctx.model.texts or {}))
    path = modules.find(module, pf.path) if module else None
    if path is None:
        return True
    if layer_hint(path) == "pydantic":
        return False
    if copy:
        return True
    return re.search(rf"^[ \t]*class[ \t]+{re.escape(name)}\b", modules.texts[path], re.M) is None


def _in_revision(ctx: FileCtx, path: str) -> bool:
    """Is the file at `path` an Alembic revision (`history.revision_label`: its `revision` and `down_revision`, or a
    folder Alembic keeps its revisions in)? Asked once per file and scan; of a file this run did not parse (a diff
    run's cached facts), by its folder's name."""
    known = ctx.flow.cache.setdefault("new_row_revisions", {})
    assert isinstance(known, dict)
    if path not in known:
        pf = ctx.flow.files.get(path)
        label = revision_label(pf) if pf is not None else None
        known[path] = label.startswith("Alembic") if label is not None else \
            pf is None and "versions" in path.split("/")[:-1]
    return bool(known[path])
