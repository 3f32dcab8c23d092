"""The flow stops where the key is stored in a slot naming another entity's ids (PY068), and only there.

The rule examples (tests/test_rules_python.py) pin the hazard itself; these tests pin what the barrier does to the
rest of the scan: the slot's name does not become a key name (no PY020 on the record field, not sent to the
TypeScript side), and the distractors keep flowing."""

from __future__ import annotations

from pathlib import Path

from analyzer.rules.python._examples import CLOSURE, MODELS

from analyzer.config import Config
from analyzer.models import SourceFile
from analyzer.python import scan_python

SCHEMAS = '''\
from pydantic import BaseModel

from app.models import ContentItem


class ImageRow(BaseModel):
    image_id: int
    content_id: int


class ItemRow(BaseModel):
    item_id: int
    parent_id: int | None
    doc_id: int


def skeleton(item: ContentItem) -> ImageRow:
    return ImageRow(image_id=item.id, content_id=item.id)


def row(item: ContentItem) -> ItemRow:
    return ItemRow(item_id=item.id, parent_id=item.id, doc_id=item.id)


def label(image_id: int) -> str:
    return f"image {image_id}"


def caption(item: ContentItem) -> str:
    return label(item.id)
'''


def _scan(tmp_path: Path) -> tuple[list, frozenset[str]]:
    files = []
    for rel, text in {"app/models.py": MODELS, "app/schemas.py": SCHEMAS}.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        files.append(SourceFile(".", str(p), rel, "python"))
    result = scan_python(files, CLOSURE, Config())
    return [f for f in result.findings if f.path == "app/schemas.py"], result.seeds.field_names


def test_the_foreign_slot_is_one_hazard_and_no_key_field(tmp_path: Path) -> None:
    findings, names = _scan(tmp_path)
    by_line = {(f.code, f.span.line) for f in findings}
    assert ("PY068", 18) in by_line  # ImageRow(image_id=item.id, ...)
    assert ("PY068", 30) in by_line  # label(item.id) into `image_id`
    assert ("PY020", 7) not in by_line  # ImageRow.image_id: int is images' id, not the key
    assert ("PY050", 25) not in by_line  # label(image_id: int) neither
    assert "image_id" not in names  # the front end does not take every imageId for the key
    assert len([f for f in findings if f.code == "PY068"]) == 2


def test_distractors_keep_flowing(tmp_path: Path) -> None:
    findings, names = _scan(tmp_path)
    by_line = {(f.code, f.span.line) for f in findings}
    assert ("PY020", 8) in by_line  # ImageRow.content_id: a key name
    assert ("PY020", 12) in by_line  # ItemRow.item_id: names the key's own table (content_items -> item)
    assert ("PY020", 13) in by_line  # ItemRow.parent_id: no table is called `parent`
    assert ("PY020", 14) in by_line  # ItemRow.doc_id: an alias no table is called
    assert {"item_id", "parent_id", "doc_id"} <= names
    assert not [f for f in findings if f.code == "PY068" and f.span.line in (22,)]


REPLIES = '''\
from pydantic import BaseModel

from app.models import ContentItem


class ReplyRow(BaseModel):
    comment_id: int
    detail_id: int


def reply(item: ContentItem) -> ReplyRow:
    return ReplyRow(comment_id=item.id, detail_id=item.id)
'''


def test_tables_the_code_does_not_map_come_from_the_schema(tmp_path: Path) -> None:
    """With a database, the schema names tables no parsed model maps: `comments` (its own ids) makes `comment_id`
    another entity's slot; `content_details`, keyed by its FK to the key, is one of the key's own tables."""
    from dataclasses import replace

    from analyzer.models import ImpactedColumn

    closure = replace(CLOSURE, columns=(*CLOSURE.columns, ImpactedColumn(
        "content_details", "content_id", "INTEGER", "declared FK to content_items.id", target="content_items.id")),
        schema_keys=(("content_items", ("id",)), ("images", ("id",)), ("comments", ("id",)),
                     ("content_details", ("content_id",))))
    files = []
    for rel, text in {"app/models.py": MODELS, "app/replies.py": REPLIES}.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        files.append(SourceFile(".", str(p), rel, "python"))
    found = {(f.code, f.span.line) for f in scan_python(files, closure, Config()).findings if f.path == "app/replies.py"}
    assert ("PY068", 12) in found  # comment_id=item.id
    assert ("PY020", 7) not in found  # ReplyRow.comment_id stays a comment's id
    assert ("PY020", 8) in found  # detail_id: content_details' ids are the key
    bare = scan_python(files, CLOSURE, Config())  # without the schema, no table is called `comment`: it flows
    assert ("PY068", 12) not in {(f.code, f.span.line) for f in bare.findings if f.path == "app/replies.py"}
