"""The small schema every rule example runs against: content_items(id) and images.content_id -> it."""

from __future__ import annotations

from analyzer.models import Closure, ImpactedColumn, Reference, Target

TARGET = Target("content_items", "id", "INTEGER", "UUID")

CLOSURE = Closure(
    targets=(TARGET,),
    columns=(
        ImpactedColumn("content_items", "id", "INTEGER", "target", target="content_items.id"),
        ImpactedColumn("images", "content_id", "INTEGER", "declared FK to content_items.id",
                       target="content_items.id"),
    ),
    references=(Reference("images", "content_id", "content_items", "id", "declared", 1.0),),
)

#: an ORM module most examples import from (`from app.models import ContentItem, Image`)
MODELS = '''\
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ContentItem(Base):
    __tablename__ = "content_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))


class Image(Base):
    __tablename__ = "images"
    id: Mapped[int] = mapped_column(primary_key=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("content_items.id"))


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
'''
