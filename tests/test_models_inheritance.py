"""Without --db: the schema SQLAlchemy itself would map from the models, read statically (never imported).

Each case is a small project on disk (the shapes real FastAPI + SQLAlchemy / SQLModel code takes: bases
and mixins in another package, re-exports, `declared_attr`, single- and joined-table inheritance,
SQLModel `table=True`, dataclass mapping, `registry.mapped`) and the tables SQLAlchemy creates from it:
columns with their types, primary key, foreign keys, unique columns. The table set of a case is exact,
so a distractor that becomes a table fails the case. These expectations were checked against
SQLAlchemy 2.0 / SQLModel 0.0.x importing the same files (`Base.metadata.tables`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers import write_tree

from analyzer import db
from analyzer.config import Config
from analyzer.models import SchemaSnapshot, Table, Target
from analyzer.sources import discover


@dataclass(frozen=True)
class T:
    """An expected table: {column: type}, primary key, {column: "table.column"}, single-column unique keys."""

    cols: dict[str, str]
    pk: tuple[str, ...] = ("id",)
    fks: dict[str, str] = field(default_factory=dict)
    unique: frozenset[str] = frozenset()


# --- cases: files -> tables ------------------------------------------------------------------------------

POLAR_LIKE = {  # bases in another package, re-exported by its __init__, imported under two paths
    "server/polar/kit/utils.py": '''
import uuid
from datetime import UTC, datetime


def generate_uuid() -> uuid.UUID:
    return uuid.uuid4()


def utc_now() -> datetime:
    return datetime.now(UTC)
''',
    "server/polar/kit/db/models/base.py": '''
from datetime import datetime
from uuid import UUID

from sqlalchemy import TIMESTAMP, MetaData, String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from polar.kit.utils import generate_uuid, utc_now

my_metadata = MetaData(naming_convention={"pk": "%(table_name)s_pkey"})


class Model(DeclarativeBase):
    __abstract__ = True

    metadata = my_metadata


class TimestampedModel(Model):
    __abstract__ = True

    created_at: Mapped[datetime] = mapped_column(
        TIMESTAMP(timezone=True), nullable=False, default=utc_now, index=True
    )
    modified_at: Mapped[datetime | None] = mapped_column(
        TIMESTAMP(timezone=True), onupdate=utc_now, nullable=True, default=None
    )

    def set_modified_at(self) -> None:
        self.modified_at = utc_now()


class IDModel(Model):
    __abstract__ = True

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True, default=generate_uuid)

    def __hash__(self) -> int:
        return self.id.int


class RecordModel(IDModel, TimestampedModel):
    __abstract__ = True


class RateLimitGroupMixin:
    __abstract__ = True

    rate_limit_group: Mapped[str] = mapped_column(String(16), nullable=False, default="default")
''',
    "server/polar/kit/db/models/__init__.py": '''
from .base import IDModel, Model, RateLimitGroupMixin, RecordModel, TimestampedModel

__all__ = ["IDModel", "Model", "RateLimitGroupMixin", "RecordModel", "TimestampedModel"]
''',
    "server/polar/models/organization.py": '''
from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from polar.kit.db.models import RateLimitGroupMixin, RecordModel


class Organization(RateLimitGroupMixin, RecordModel):
    __tablename__ = "organizations"
    __table_args__ = (UniqueConstraint("slug"),)

    name: Mapped[str] = mapped_column(String, nullable=False)
    slug: Mapped[str] = mapped_column(String, nullable=False)
''',
    "server/polar/models/product.py": '''
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from polar.kit.db.models.base import RecordModel

if TYPE_CHECKING:
    from .organization import Organization


class Product(RecordModel):
    __tablename__ = "products"

    name: Mapped[str] = mapped_column(String, nullable=False)
    organization_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="cascade"), nullable=False, index=True
    )

    @declared_attr
    def organization(cls) -> Mapped["Organization"]:
        return relationship("Organization", lazy="raise")
''',
    "server/polar/models/__init__.py": '''
from .organization import Organization
from .product import Product

__all__ = ["Organization", "Product"]
''',
    "server/polar/kit/schemas.py": '''
from pydantic import BaseModel


class Schema(BaseModel):
    id: int
''',
}
_STAMPS = {"created_at": "TIMESTAMP", "modified_at": "TIMESTAMP"}
POLAR_LIKE_TABLES = {
    "organizations": T({"rate_limit_group": "VARCHAR(16)", "id": "UUID", **_STAMPS, "name": "VARCHAR",
                        "slug": "VARCHAR"}, unique=frozenset({"slug"})),
    "products": T({"id": "UUID", **_STAMPS, "name": "VARCHAR", "organization_id": "UUID"},
                  fks={"organization_id": "organizations.id"}),
}

RELATIVE_LEVELS = {  # relative imports two levels up, mixins of mixins, MRO order decides a shared name
    "app/__init__.py": "",
    "app/db/__init__.py": "",
    "app/db/base.py": '''
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
''',
    "app/models/__init__.py": "",
    "app/models/mixins.py": '''
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column


class IdMixin:
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class BigIdMixin(IdMixin):
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class AuditMixin(TimestampMixin):
    updated_by: Mapped[str | None] = mapped_column(String(50))


class ShortStatus:
    status: Mapped[str] = mapped_column(String(10))


class NumericStatus:
    status: Mapped[int] = mapped_column(Integer)
''',
    "app/models/user.py": '''
from sqlalchemy import Column, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db.base import Base
from .mixins import AuditMixin, BigIdMixin, IdMixin, NumericStatus, ShortStatus


class User(IdMixin, AuditMixin, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(200), unique=True)


class Ticket(ShortStatus, NumericStatus, BigIdMixin, Base):
    __tablename__ = "tickets"

    reporter_id = Column(ForeignKey("users.id"))


class Event(NumericStatus, ShortStatus, IdMixin, Base):
    __tablename__ = "events"
''',
}
RELATIVE_LEVELS_TABLES = {
    "users": T({"id": "INTEGER", "created_at": "DATETIME", "updated_by": "VARCHAR(50)", "email": "VARCHAR(200)"},
               unique=frozenset({"email"})),
    "tickets": T({"status": "VARCHAR(10)", "id": "BIGINT", "reporter_id": "INTEGER"},
                 fks={"reporter_id": "users.id"}),  # a Column(ForeignKey(...)) takes the referenced type
    "events": T({"status": "INTEGER", "id": "INTEGER"}),
}

DECLARED_ATTR = {  # a base declaring id and a computed __tablename__; declared_attr foreign keys on a mixin
    "app/models.py": '''
import re

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship


def camel_to_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class Base(DeclarativeBase):
    @declared_attr.directive
    def __tablename__(cls) -> str:
        return camel_to_snake(cls.__name__)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class OrgOwnedMixin:
    @declared_attr
    def organization_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("organization.id"), nullable=False)

    @declared_attr
    def organization(cls) -> Mapped["Organization"]:
        return relationship("Organization")


class Organization(Base):
    name: Mapped[str] = mapped_column(String(100))


class BillingAccount(OrgOwnedMixin, Base):
    plan: Mapped[str] = mapped_column(String(20))
''',
}
DECLARED_ATTR_TABLES = {
    "organization": T({"id": "INTEGER", "name": "VARCHAR(100)"}),
    "billing_account": T({"id": "INTEGER", "organization_id": "INTEGER", "plan": "VARCHAR(20)"},
                         fks={"organization_id": "organization.id"}),
}

TABLENAME_LOWER = {  # cls.__name__.lower() + "s" on the base; @as_declarative; declarative_base(cls=...)
    "app/db.py": '''
from sqlalchemy import Column, Integer
from sqlalchemy.orm import DeclarativeBase, declarative_base, declared_attr


class Base(DeclarativeBase):
    @declared_attr.directive
    def __tablename__(cls) -> str:
        return cls.__name__.lower() + "s"


class CustomBase:
    @declared_attr
    def __tablename__(cls):
        return f"tbl_{cls.__name__.lower()}"

    id = Column(Integer, primary_key=True)


LegacyBase = declarative_base(cls=CustomBase)
''',
    "app/models.py": '''
from sqlalchemy import BigInteger, Column, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, LegacyBase


class Invoice(Base):
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[str] = mapped_column(String(20))


class Widget(LegacyBase):
    name = Column(String(40))
    invoice_id = Column(BigInteger, ForeignKey("invoices.id"))
''',
    "app/template.py": '''
from typing import Any

from sqlalchemy import Column, ForeignKey, Integer, String
from sqlalchemy.orm import as_declarative, declared_attr


@as_declarative()
class Base:
    id: Any
    __name__: str

    @declared_attr
    def __tablename__(cls) -> str:
        return cls.__name__.lower()


class Item(Base):
    id = Column(Integer, primary_key=True, index=True)
    title = Column(String, index=True)
    owner_id = Column(Integer, ForeignKey("tbl_widget.id"))
''',
}
TABLENAME_LOWER_TABLES = {
    "invoices": T({"id": "BIGINT", "number": "VARCHAR(20)"}),
    "tbl_widget": T({"id": "INTEGER", "name": "VARCHAR(40)", "invoice_id": "BIGINT"},
                    fks={"invoice_id": "invoices.id"}),
    "item": T({"id": "INTEGER", "title": "VARCHAR", "owner_id": "INTEGER"}, fks={"owner_id": "tbl_widget.id"}),
}

SINGLE_AND_JOINED = {  # a subclass without __tablename__ adds its columns to the parent's table
    "app/models.py": '''
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Employee(Base):
    __tablename__ = "employees"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(20))

    __mapper_args__ = {"polymorphic_on": "type", "polymorphic_identity": "employee"}


class Manager(Employee):
    manager_data: Mapped[str | None] = mapped_column(String(50))

    __mapper_args__ = {"polymorphic_identity": "manager"}


class Engineer(Employee):
    __tablename__ = "engineers"

    id: Mapped[int] = mapped_column(ForeignKey("employees.id"), primary_key=True)
    engineer_name: Mapped[str] = mapped_column(String(30))

    __mapper_args__ = {"polymorphic_identity": "engineer"}
''',
    "app/shapes.py": '''
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, has_inherited_table, mapped_column


class ShapeBase(DeclarativeBase):
    @declared_attr.directive
    def __tablename__(cls) -> str | None:
        if has_inherited_table(cls):
            return None
        return cls.__name__.lower()


class Shape(ShapeBase):
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "shape"}


class Circle(Shape):
    radius: Mapped[int | None] = mapped_column(Integer)
    __mapper_args__ = {"polymorphic_identity": "circle"}


class VehicleBase(DeclarativeBase):
    @declared_attr.directive
    def __tablename__(cls) -> str:
        return cls.__name__.lower()


class Vehicle(VehicleBase):
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "vehicle"}


class Car(Vehicle):
    id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), primary_key=True)
    doors: Mapped[int] = mapped_column(Integer)
    __mapper_args__ = {"polymorphic_identity": "car"}
''',
}
SINGLE_AND_JOINED_TABLES = {
    "employees": T({"id": "INTEGER", "type": "VARCHAR(20)", "manager_data": "VARCHAR(50)"}),
    "engineers": T({"id": "INTEGER", "engineer_name": "VARCHAR(30)"}, fks={"id": "employees.id"}),
    "shape": T({"id": "INTEGER", "kind": "VARCHAR(10)", "radius": "INTEGER"}),
    "vehicle": T({"id": "INTEGER", "kind": "VARCHAR(10)"}),
    "car": T({"id": "INTEGER", "doors": "INTEGER"}, fks={"id": "vehicle.id"}),
}

SQLMODEL = {  # table=True, fields inherited from non-table bases, the class name lowercased as table name
    "app/models.py": '''
import uuid

from sqlmodel import Field, Relationship, SQLModel


class TeamBase(SQLModel):
    name: str = Field(index=True)
    headquarters: str


class Team(TeamBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    heroes: list["Hero"] = Relationship(back_populates="team")


class HeroBase(SQLModel):
    name: str = Field(index=True)
    secret_name: str
    age: int | None = Field(default=None, index=True)
    team_id: int | None = Field(default=None, foreign_key="team.id")


class Hero(HeroBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    team: Team | None = Relationship(back_populates="heroes")


class HeroPublic(HeroBase):
    id: int


class HeroCreate(HeroBase):
    pass


class ItemLink(SQLModel, table=True):
    __tablename__ = "item_links"

    item_id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    hero_id: int = Field(foreign_key="hero.id", unique=True)
    note: str | None = None
''',
}
SQLMODEL_TABLES = {
    "team": T({"name": "VARCHAR", "headquarters": "VARCHAR", "id": "INTEGER"}),
    "hero": T({"name": "VARCHAR", "secret_name": "VARCHAR", "age": "INTEGER", "team_id": "INTEGER",
               "id": "INTEGER"}, fks={"team_id": "team.id"}),
    "item_links": T({"item_id": "UUID", "hero_id": "INTEGER", "note": "VARCHAR"}, pk=("item_id",),
                    fks={"hero_id": "hero.id"}, unique=frozenset({"hero_id"})),
}

DATACLASS_REGISTRY = {  # MappedAsDataclass, registry.mapped, a classic declarative_base()
    "app/models.py": '''
from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedAsDataclass, declarative_base, mapped_column, registry


class Base(MappedAsDataclass, DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(init=False, primary_key=True)
    name: Mapped[str]
    fullname: Mapped[str | None] = mapped_column(default=None)


mapper_registry = registry()


@mapper_registry.mapped
class Address:
    __tablename__ = "address"

    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("user_account.id"))
    email = Column(String(50))


LegacyBase = declarative_base()


class Tag(LegacyBase):
    __tablename__ = "tags"

    id = Column(BigInteger, primary_key=True)
''',
}
DATACLASS_REGISTRY_TABLES = {
    "user_account": T({"id": "INTEGER", "name": "VARCHAR", "fullname": "VARCHAR"}),
    "address": T({"id": "INTEGER", "account_id": "INTEGER", "email": "VARCHAR(50)"},
                 fks={"account_id": "user_account.id"}),
    "tags": T({"id": "BIGINT"}),
}

TABLE_ARGS_TYPES = {  # unique keys from __table_args__ and unique=True; types from annotations and aliases
    "app/models.py": '''
import uuid
from typing import Annotated

import sqlalchemy as sa
from sqlalchemy import BigInteger, ForeignKey, Index, Integer, PrimaryKeyConstraint, UniqueConstraint
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

intpk = Annotated[int, mapped_column(primary_key=True)]


class Base(DeclarativeBase):
    type_annotation_map = {int: BigInteger}


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("external_ref"),
        Index("ix_accounts_email", "email", unique=True),
        {"comment": "billing accounts"},
    )

    id: Mapped[intpk]
    external_ref: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    email: Mapped[str] = mapped_column(sa.String(100))
    legacy_id = mapped_column(sa.Integer)
    counter: Mapped[int] = mapped_column(Integer())
    token: Mapped[uuid.UUID] = mapped_column(postgresql.UUID(as_uuid=True), unique=True)
    public_id: Mapped[uuid.UUID]


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (PrimaryKeyConstraint("account_id", "group_id"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    group_id: Mapped[uuid.UUID]
''',
}
TABLE_ARGS_TYPES_TABLES = {
    "accounts": T({"id": "BIGINT", "external_ref": "UUID", "email": "VARCHAR(100)", "legacy_id": "INTEGER",
                   "counter": "INTEGER", "token": "UUID", "public_id": "UUID"},
                  unique=frozenset({"external_ref", "email", "token"})),
    "memberships": T({"account_id": "BIGINT", "group_id": "UUID"}, pk=("account_id", "group_id"),
                     fks={"account_id": "accounts.id"}),
}

FASTAPI_USERS = {  # the user table comes from a library's mixin (fastapi-users-db-sqlalchemy, not scanned)
    "backend/app/db/models.py": '''
from fastapi_users_db_sqlalchemy import SQLAlchemyBaseOAuthAccountTableUUID, SQLAlchemyBaseUserTableUUID
from fastapi_users_db_sqlalchemy.access_token import SQLAlchemyBaseAccessTokenTableUUID
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    __abstract__ = True


class OAuthAccount(SQLAlchemyBaseOAuthAccountTableUUID, Base):
    pass


class User(SQLAlchemyBaseUserTableUUID, Base):
    oauth_accounts: Mapped[list[OAuthAccount]] = relationship("OAuthAccount", lazy="joined")
    display_name: Mapped[str | None] = mapped_column(String(100))


class AccessToken(SQLAlchemyBaseAccessTokenTableUUID, Base):
    pass
''',
}
FASTAPI_USERS_TABLES = {
    "user": T({"email": "VARCHAR(320)", "hashed_password": "VARCHAR(1024)", "is_active": "BOOLEAN",
               "is_superuser": "BOOLEAN", "is_verified": "BOOLEAN", "id": "UUID", "display_name": "VARCHAR(100)"},
              unique=frozenset({"email"})),
    "oauth_account": T({"oauth_name": "VARCHAR(100)", "access_token": "VARCHAR(1024)", "expires_at": "INTEGER",
                        "refresh_token": "VARCHAR(1024)", "account_id": "VARCHAR(320)",
                        "account_email": "VARCHAR(320)", "id": "UUID", "user_id": "UUID"},
                       fks={"user_id": "user.id"}),
    "accesstoken": T({"token": "VARCHAR(43)", "created_at": "TIMESTAMP", "user_id": "UUID"}, pk=("token",),
                     fks={"user_id": "user.id"}),
}

MODULE_PATHS = {  # `import x as y`, attribute chains (sa.orm.DeclarativeBase), star re-exports, submodules,
    # and a class named like the base it extends (`class User(User)`: the imported one)
    "app/__init__.py": "",
    "app/core/__init__.py": "from .base import *  # noqa: F403\n",
    "app/core/base.py": '''
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm


class Base(sa.orm.DeclarativeBase):
    pass


class Timestamps:
    created_at: sa.orm.Mapped[datetime] = sa.orm.mapped_column(sa.DateTime)
''',
    "app/models/__init__.py": "",
    "app/models/user.py": '''
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

import app.core as core
from app.core import base


class User(core.Base, base.Timestamps):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "user"}
''',
    "app/models/admin.py": '''
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models import user as user_module
from app.models.user import User


class User(User):
    __tablename__ = "admins"

    id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    level: Mapped[str] = mapped_column(String(5))
    __mapper_args__ = {"polymorphic_identity": "admin"}


class Auditor(user_module.User):
    scope: Mapped[str | None] = mapped_column(String(20))
    __mapper_args__ = {"polymorphic_identity": "auditor"}
''',
}
MODULE_PATHS_TABLES = {
    "users": T({"id": "BIGINT", "kind": "VARCHAR(10)", "created_at": "DATETIME", "scope": "VARCHAR(20)"}),
    "admins": T({"id": "BIGINT", "level": "VARCHAR(5)"}, fks={"id": "users.id"}),
}

DISTRACTORS = {  # none of these is a table
    "app/models.py": '''
from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy import Integer
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class UserOut(BaseModel):
    id: int
    email: str


class AbstractThing(Base):
    __abstract__ = True
    __tablename__ = "abstract_things"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class UsersTable:
    """A mixin named like a table."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)


@dataclass
class Point:
    id: int
    x: float
''',
}

COLUMN_FACTORIES = {  # columns made by project functions (redash's `id = primary_key("Dashboard")`)
    "app/db/base.py": '''
import functools

from sqlalchemy import Column as SAColumn
from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()
Column = functools.partial(SAColumn, nullable=False)
key_definitions = {"Invoice": (Integer, {})}


def key_type(name):
    return key_definitions[name][0]


def primary_key(name):
    key_type, kwargs = key_definitions[name]
    return Column(key_type, primary_key=True, **kwargs)


def serial_pk():
    return Column(Integer, primary_key=True)


def owner_of(name):
    return relationship(name)


def default_label():
    return "untitled"
''',
    "app/models.py": '''
from sqlalchemy import ForeignKey, String

from app.db.base import Base, Column, default_label, key_type, owner_of, primary_key, serial_pk


class Invoice(Base):
    __tablename__ = "invoices"
    id = primary_key("Invoice")
    label = default_label()
    owner = owner_of("Customer")


class Line(Base):
    __tablename__ = "lines"
    id = serial_pk()
    invoice_id = Column(key_type("Invoice"), ForeignKey("invoices.id"))
    note = Column(String(40))
''',
}

COLUMN_FACTORIES_TABLES = {  # a type passed in as a parameter cannot be read statically: UNKNOWN, not a guess
    "invoices": T({"id": "UNKNOWN"}),
    "lines": T({"id": "INTEGER", "invoice_id": "UNKNOWN", "note": "VARCHAR(40)"}, fks={"invoice_id": "invoices.id"}),
}

CASES = {
    "column_factories": (COLUMN_FACTORIES, COLUMN_FACTORIES_TABLES),
    "polar_like": (POLAR_LIKE, POLAR_LIKE_TABLES),
    "relative_levels": (RELATIVE_LEVELS, RELATIVE_LEVELS_TABLES),
    "declared_attr": (DECLARED_ATTR, DECLARED_ATTR_TABLES),
    "tablename_lower": (TABLENAME_LOWER, TABLENAME_LOWER_TABLES),
    "single_and_joined": (SINGLE_AND_JOINED, SINGLE_AND_JOINED_TABLES),
    "sqlmodel": (SQLMODEL, SQLMODEL_TABLES),
    "dataclass_registry": (DATACLASS_REGISTRY, DATACLASS_REGISTRY_TABLES),
    "table_args_types": (TABLE_ARGS_TYPES, TABLE_ARGS_TYPES_TABLES),
    "fastapi_users": (FASTAPI_USERS, FASTAPI_USERS_TABLES),
    "module_paths": (MODULE_PATHS, MODULE_PATHS_TABLES),
    "distractors": (DISTRACTORS, {}),
}


def _read(root: Path, files: dict[str, str]) -> SchemaSnapshot:
    write_tree(root, files)
    return db.schema_from_models([f for f in discover([str(root)], Config().excludes) if f.language == "python"])


def _unique(table: Table) -> frozenset[str]:
    keys = set(table.unique_constraints) | {ix.columns for ix in table.indexes if ix.unique}
    return frozenset(k[0] for k in keys if len(k) == 1)


def _actual(table: Table) -> T:
    return T(cols={c.name: c.type for c in table.columns}, pk=tuple(table.primary_key),
             fks={fk.columns[0]: f"{fk.ref_table}.{fk.ref_columns[0]}" for fk in table.foreign_keys},
             unique=_unique(table))


@pytest.mark.parametrize("case", sorted(CASES))
def test_models_as_sqlalchemy_maps_them(case: str, tmp_path: Path) -> None:
    files, expected = CASES[case]
    snap = _read(tmp_path, files)
    assert {t.name: _actual(t) for t in snap.tables} == expected


def test_target_inherited_from_abstract_base_resolves(tmp_path: Path) -> None:
    """The issue's failure: every model inherits `id` from an abstract base in another package."""
    snap = _read(tmp_path, POLAR_LIKE)
    closure = db.compute_closure(snap, (Target("organizations", "id"),), Config())
    assert {c.qualified for c in closure.columns} == {"organizations.id", "products.organization_id"}
    target = closure.targets[0]
    assert target.from_type == "UUID"
    org = snap.table("organizations")
    assert org is not None and not org.column("id").nullable  # type: ignore[union-attr]
    assert org.column("modified_at").nullable and not org.column("created_at").nullable  # type: ignore[union-attr]


def test_column_order_as_sqlalchemy_puts_them(tmp_path: Path) -> None:
    """The class's own columns first, then each base's in MRO order (`User(IdMixin, AuditMixin, Base)`)."""
    snap = _read(tmp_path, RELATIVE_LEVELS)
    users = snap.table("users")
    assert users is not None and [c.name for c in users.columns] == ["email", "id", "updated_by", "created_at"]


def test_unknown_computed_tablename_is_said_not_guessed(tmp_path: Path) -> None:
    snap = _read(tmp_path, {"app/models.py": '''
from inflect import engine
from sqlalchemy import Integer
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

_p = engine()


def tableize(name: str) -> str:
    out = []
    for ch in name:
        out.append("_" + ch.lower() if ch.isupper() else ch)
    return _p.plural("".join(out).lstrip("_"))


class Base(DeclarativeBase):
    @declared_attr.directive
    def __tablename__(cls) -> str:
        return tableize(cls.__name__)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class PersonAddress(Base):
    street: Mapped[str]


class Country(Base):
    __tablename__ = "countries"
'''})
    assert [t.name for t in snap.tables] == ["countries"]
    assert any("PersonAddress" in n and "app/models.py" in n and "table name" in n for n in snap.notes)
    with pytest.raises(db.UnknownTarget, match="PersonAddress"):
        db.compute_closure(snap, (Target("person_addresses", "id"),), Config())


def test_base_found_by_class_name_when_the_import_path_does_not_match(tmp_path: Path) -> None:
    """src-layout installed under another name: `from myproj.db.base import ...` while the file is src/db/base.py.
    The class name is the fallback when it names one class only."""
    files = {
        "src/db/base.py": '''
from sqlalchemy import Integer
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class IdMixin:
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
''',
        "src/models/thing.py": '''
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from myproj.db.base import Base, IdMixin


class Thing(IdMixin, Base):
    __tablename__ = "things"

    label: Mapped[str] = mapped_column(String(10))
''',
    }
    snap = _read(tmp_path / "one", files)
    assert {t.name: _actual(t) for t in snap.tables} == {"things": T({"id": "INTEGER", "label": "VARCHAR(10)"})}
    # two classes named IdMixin: no guess, the table keeps only what it declares itself
    files["src/legacy/base.py"] = '''
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column


class IdMixin:
    id: Mapped[str] = mapped_column(String(20), primary_key=True)
'''
    snap = _read(tmp_path / "two", files)
    assert {t.name: _actual(t) for t in snap.tables} == {"things": T({"label": "VARCHAR(10)"}, pk=())}


def test_reading_many_models_is_fast(tmp_path: Path) -> None:
    """300 model files on one abstract base: read in well under a second or two."""
    files = {"app/base.py": POLAR_LIKE["server/polar/kit/db/models/base.py"].replace("polar.kit.utils", "app.utils"),
             "app/utils.py": POLAR_LIKE["server/polar/kit/utils.py"]}
    for i in range(300):
        files[f"app/models/m{i}.py"] = f'''
from uuid import UUID
from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column
from app.base import RecordModel


class M{i}(RecordModel):
    __tablename__ = "m{i}"
    name: Mapped[str] = mapped_column(String(20))
    prev_id: Mapped[UUID | None] = mapped_column(Uuid, ForeignKey("m{max(i - 1, 0)}.id"))
'''
    write_tree(tmp_path, files)
    found = [f for f in discover([str(tmp_path)], Config().excludes) if f.language == "python"]
    started = time.perf_counter()
    snap = db.schema_from_models(found)
    elapsed = time.perf_counter() - started
    assert len(snap.tables) == 300 and all(t.primary_key == ("id",) for t in snap.tables)
    assert elapsed < 3.0, elapsed


def test_newer_python_syntax_does_not_hide_a_model(tmp_path: Path) -> None:
    """A models file written for Python 3.12+ (`type` aliases, generics) or 3.14 (`except A, B:`) still counts
    when impact runs on an older Python."""
    snap = _read(tmp_path, {"app/models.py": '''
from uuid import UUID

from sqlalchemy import Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

type FeeBasisPoints = int


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)

    def fee(self) -> int:
        try:
            return int(self.id.int)
        except KeyError, ValueError:
            return 0


def first[T](items: list[T]) -> T:
    return items[0]
'''})
    assert {t.name: _actual(t) for t in snap.tables} == {"accounts": T({"id": "UUID"})}


def test_a_table_name_regex_that_could_backtrack_is_not_run(tmp_path: Path) -> None:
    snap = _read(tmp_path, {"app/models.py": '''
import re

from sqlalchemy import Integer
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column


class Base(DeclarativeBase):
    @declared_attr.directive
    def __tablename__(cls) -> str:
        return re.sub(r"(a+)+$", "", cls.__name__)


class Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab(Base):
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
'''})
    assert snap.tables == () and len(snap.notes) == 1


def test_a_key_already_of_the_asked_type_or_not_an_integer_is_refused_with_the_reason(tmp_path: Path) -> None:
    """polar's ids are UUIDs already: `--to uuid` would change nothing, and from a UUID the scanners (which look
    for the key typed as an integer) would report unrelated integers: the scan says why it stops (exit 2)."""
    from analyzer.pipeline import ScanOptions, UsageError, resolve_targets

    snap = _read(tmp_path, POLAR_LIKE)

    def resolve(target: str, to: str) -> tuple[Target, ...]:
        return resolve_targets(snap, ScanOptions(roots=(str(tmp_path),), targets=(target,), to=to))

    with pytest.raises(UsageError, match=r"organizations\.id is already UUID .*--to uuid changes nothing"):
        resolve("organizations.id", "uuid")
    for to in ("bigint", "text"):
        with pytest.raises(UsageError, match=r"organizations\.id is UUID \(the models in the code declare so\), "
                                             r"not an integer; impact follows integer keys"):
            resolve("organizations.id", to)
    snap = _read(tmp_path / "ints", RELATIVE_LEVELS)
    with pytest.raises(UsageError, match=r"tickets\.id is already BIGINT"):
        resolve("tickets.id", "bigint")
    (target,) = resolve("users.id", "bigint")
    assert (target.from_type, target.to_type) == ("INTEGER", "BIGINT")


def test_flask_sqlalchemy_model_names_its_table_in_snake_case(tmp_path: Path) -> None:
    """Flask-SQLAlchemy's `db.Model` names a table after its class (CamelCase -> camel_case) unless told."""
    snap = _read(tmp_path, {"app/__init__.py": '''
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
''', "app/models.py": '''
from app import db


class UserAccount(db.Model):
    id = db.Column(db.Integer, primary_key=True)


class HTTPLog(db.Model):
    __tablename__ = "http_logs"
    id = db.Column(db.BigInteger, primary_key=True)
    account_id = db.Column(db.ForeignKey("user_account.id"))
'''})
    assert {t.name: _actual(t) for t in snap.tables} == {
        "user_account": T({"id": "INTEGER"}),
        "http_logs": T({"id": "BIGINT", "account_id": "INTEGER"}, fks={"account_id": "user_account.id"})}


def test_a_table_name_split_on_capitals_and_joined_is_computed(tmp_path: Path) -> None:
    """A real incident-management service names every table with `re.split("(?=[A-Z])", name)` joined by `_`
    in a comprehension (`CaseCost` -> case_cost): ~50 of its tables were left out without --db."""
    snap = _read(tmp_path, {"app/database.py": '''
import re

from sqlalchemy import Column, Integer
from sqlalchemy.ext.declarative import declarative_base, declared_attr


def resolve_table_name(name):
    """Resolves table names to their mapped names."""
    names = re.split("(?=[A-Z])", name)  # noqa
    return "_".join([x.lower() for x in names if x])


class CustomBase:
    @declared_attr
    def __tablename__(cls):
        return resolve_table_name(cls.__name__)


Base = declarative_base(cls=CustomBase)
''', "app/models.py": '''
from sqlalchemy import Column, ForeignKey, Integer

from app.database import Base


class Case(Base):
    id = Column(Integer, primary_key=True)


class CaseCost(Base):
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("case.id"))
'''})
    assert sorted(t.name for t in snap.tables) == ["case", "case_cost"]
    assert not snap.notes


def test_an_annotated_key_alias_chosen_by_a_setting(tmp_path: Path) -> None:
    """`id_key = Annotated[int, mapped_column(BigInteger, primary_key=True) if MODE == "autoincrement" else
    mapped_column(BigInteger, primary_key=True, autoincrement=False)]` (a real FastAPI admin framework: the key
    autoincrements or takes snowflake ids by a setting). Read as no column call, it left every table without a
    primary key, so no target could be asked for."""
    snap = _read(tmp_path, {"app/model.py": '''
from typing import Annotated

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

MODE = "autoincrement"

id_key = Annotated[
    int,
    mapped_column(BigInteger, primary_key=True, autoincrement=True)
    if MODE == "autoincrement"
    else mapped_column(BigInteger, primary_key=True, autoincrement=False),
]


class Base(DeclarativeBase):
    pass
''', "app/user.py": '''
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.model import Base, id_key


class User(Base):
    __tablename__ = "sys_user"

    id: Mapped[id_key] = mapped_column(init=False)
    username: Mapped[str] = mapped_column(String(64))
'''})
    user = snap.table("sys_user")
    assert user is not None and user.primary_key == ("id",)
    assert [(c.name, c.type) for c in user.columns] == [("id", "BIGINT"), ("username", "VARCHAR(64)")]
