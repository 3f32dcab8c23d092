"""Shapes met in a real Flask + Flask-SQLAlchemy code base (an integer-keyed CTF platform), each with its
distractor.

- a function named `<what>_for_<key>` / `<what>_by_<key>` takes the key; it does not return it
  (`get_solve_ids_for_user_id(user_id)` returns a set of other ids);
"""

from __future__ import annotations

from pathlib import Path

from analyzer.rules.python._examples import CLOSURE, MODELS

from analyzer.config import Config
from analyzer.models import Finding, SourceFile
from analyzer.python import scan_python


def _scan(tmp_path: Path, files: dict[str, str]) -> list[Finding]:
    src = []
    for rel, text in {"app/models.py": MODELS, **files}.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        src.append(SourceFile(".", str(p), rel, "python"))
    return list(scan_python(src, CLOSURE, Config()).findings)


def _at(findings: list[Finding], path: str) -> set[tuple[str, int]]:
    return {(f.code, f.span.line) for f in findings if f.path == path}


NAMED_FOR = '''\
from app.models import ContentItem, Image, db


def get_image_ids_for_content_id(content_id):
    rows = db.session.query(Image.id).filter(Image.content_id == content_id).all()
    return {value for (value,) in rows}


def images_by_content_id(content_id):
    return Image.query.filter_by(content_id=content_id).all()


def parse_content_id(raw):
    return raw.strip()


def view(item: ContentItem, wanted, raw, cursor):
    image_ids = get_image_ids_for_content_id(content_id=item.id)
    if image_ids >= wanted:
        return []
    if len(images_by_content_id(item.id)) > 3:
        return []
    return parse_content_id(raw) > cursor
'''


def test_a_function_named_for_the_key_takes_it_and_does_not_return_it(tmp_path: Path) -> None:
    got = _at(_scan(tmp_path, {"app/views.py": NAMED_FOR}), "app/views.py")
    assert ("PY062", 23) in got  # parse_content_id() returns the key: ordering it is a hazard
    assert ("PY062", 19) not in got  # a set of image ids compared with another set: no key, no order
    assert ("PY062", 21) not in got  # the number of images of an item
