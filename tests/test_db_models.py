"""Without --db: the schema from SQLAlchemy / SQLModel models in the code."""

from __future__ import annotations

from pathlib import Path

from analyzer import db
from analyzer.config import Config
from analyzer.models import SourceFile, Target

MODELS = '''
from sqlalchemy import Column, ForeignKey, Integer, String, Table, BigInteger
from sqlalchemy.orm import Mapped, mapped_column, relationship
from app.db import Base, metadata


class Document(Base):
    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    revisions: Mapped[list["Revision"]] = relationship(back_populates="document")
    owner: Mapped["User"] = relationship()


class Revision(Base):
    __tablename__ = "revisions"
    id = Column(BigInteger, primary_key=True)
    document_id = Column(Integer, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False)
    page = Column(Integer)
    parent_document_id = Column(Integer, ForeignKey(Document.id))


class IdMixin:
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class User(IdMixin, Base):
    __tablename__ = "users"
    email: Mapped[str] = mapped_column(String(200))


document_tags = Table(
    "document_tags", metadata,
    Column("document_id", Integer, ForeignKey("documents.id"), primary_key=True),
    Column("tag", String(40), primary_key=True),
)


class NotAModel:
    id = 3
'''

SQLMODEL = '''
from sqlmodel import Field, SQLModel


class Note(SQLModel, table=True):
    __tablename__ = "notes"
    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="documents.id")
    user_id: int | None = None
'''


def _files(tmp_path: Path, sources: dict[str, str]) -> list[SourceFile]:
    out = []
    for name, text in sources.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        out.append(SourceFile(root=str(tmp_path), abs_path=str(path), path=name, language="python"))
    return out


def test_models_schema(tmp_path: Path) -> None:
    files = _files(tmp_path, {"models.py": MODELS, "notes.py": SQLMODEL,
                              "broken.py": "class X(:\n    __tablename__ = 'x'\n"})
    snap = db.schema_from_models(files)
    assert snap.dialect == "models" and snap.source == "models"
    assert {t.name for t in snap.tables} == {"documents", "revisions", "users", "document_tags", "notes"}
    docs = snap.table("documents")
    assert docs is not None and docs.primary_key == ("id",)
    assert [c.name for c in docs.columns] == ["id", "title", "owner_id"]  # relationships are not columns
    assert docs.column("id").type == "INTEGER"  # type: ignore[union-attr]
    assert docs.column("title").type == "VARCHAR(200)"  # type: ignore[union-attr]
    rev = snap.table("revisions")
    assert rev is not None and rev.column("id").type == "BIGINT"  # type: ignore[union-attr]
    assert rev.foreign_keys[0].ref_table == "documents" and rev.foreign_keys[0].columns == ("document_id",)
    assert rev.foreign_keys[1].ref_table == "documents"  # ForeignKey(Document.id) names the class
    tags = snap.table("document_tags")
    assert tags is not None and tags.primary_key == ("document_id", "tag")
    users = snap.table("users")
    assert users is not None and users.primary_key == ("id",) and [c.name for c in users.columns] == ["email", "id"]
    notes = snap.table("notes")
    assert notes is not None and notes.foreign_keys[0].ref_table == "documents"

    closure = db.compute_closure(snap, (Target("documents", "id"),), Config())
    assert {c.qualified for c in closure.columns} == {
        "documents.id", "revisions.document_id", "revisions.parent_document_id", "document_tags.document_id",
        "notes.document_id"}


def test_fixture_app_models() -> None:
    from analyzer.sources import discover

    app = Path(__file__).resolve().parents[1] / "fixtures" / "content_app" / "backend"
    files = [f for f in discover([str(app)], Config().excludes) if f.language == "python"]
    snap = db.schema_from_models(files)
    closure = db.compute_closure(snap, (Target("content_items", "id"), Target("content_items_auto", "id")),
                                 Config())
    got = {c.qualified for c in closure.columns}
    assert {"content_versions.content_item_id", "thumbnails.image_id", "publications.content_id",
            "auto_runs.content_auto_id", "content_item_tags.content_item_id",
            "content_metrics.content_item_id"} <= got
    assert not {c for c in got if c.split(".")[0] in ("users", "tags", "projects")}


REVISION_COPIES = '''\
"""backfill normalized titles

Revision ID: 5a1f
Revises: 4e0c
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

revision = "5a1f"
down_revision = "4e0c"


class Base(DeclarativeBase):
    pass


# the tables as they were at this revision: only the columns the data migration touches
class Document(Base):
    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    title: Mapped[str] = mapped_column(sa.String)


class Revision(Base):
    __tablename__ = "revisions"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    page: Mapped[int] = mapped_column(sa.Integer)


users = sa.Table("users", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True))


def upgrade() -> None:
    op.add_column("documents", sa.Column("title_normalized", sa.String()))
'''


def test_a_revision_s_copies_of_the_models_do_not_stand_for_the_application_s(tmp_path: Path) -> None:
    """An Alembic data migration that declares its own trimmed copies of the tables (the documented way to
    migrate data without importing the live models) is read after the application's models, which win: before,
    a revision directory sorting first (`alembic/` before `app/`) gave `revisions` two columns and no
    `document_id`, and the key's closure lost it."""
    (tmp_path / "alembic" / "versions").mkdir(parents=True)
    (tmp_path / "app").mkdir()
    files = _files(tmp_path, {"alembic/versions/5a1f_backfill.py": REVISION_COPIES, "app/models.py": MODELS})
    snap = db.schema_from_models(files)
    rev = snap.table("revisions")
    assert rev is not None and [c.name for c in rev.columns] == ["id", "document_id", "page", "parent_document_id"]
    closure = db.compute_closure(snap, (Target("documents", "id"),), Config())
    assert "revisions.document_id" in {c.qualified for c in closure.columns}
    users = snap.table("users")  # a revision's sa.Table(...) copy neither
    assert users is not None and [c.name for c in users.columns] == ["email", "id"]
    # a revision's table the application does not declare any more is still read
    only = _files(tmp_path, {"alembic/versions/5a1f_backfill.py": REVISION_COPIES})
    alone = db.schema_from_models(only)
    assert alone.table("revisions") is not None and alone.table("users") is not None
