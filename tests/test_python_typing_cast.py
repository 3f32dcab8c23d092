"""`typing.cast(int, ...)` of the key: a type statement in code, as binding as an annotation (PY057).

A job runner that reads its arguments from a decoded message (`arguments: dict[str, object]`) narrows each one
with `cast(int, arguments["content_id"])` before calling the typed service; a view narrows a nullable column
with `cast(int | None, image.content_id)`. Once the key is a UUID, mypy believes the cast and reports the call
into the retyped service, and a reader takes the value for a number. The cast is reported with its fix; the
value it gives carries the key onward (the service's parameter, a local). Other ids and counts cast to int
(`message_id`, `page`), `cast(str, ...)` and SQLAlchemy's `cast(ContentItem.id, String)` (an SQL CAST whose
type comes second) stay quiet.
"""

from __future__ import annotations

from pathlib import Path

from analyzer.rules.python._examples import CLOSURE, MODELS
from helpers import python_sources

from analyzer.codemods.apply import apply_edits
from analyzer.config import Config
from analyzer.python import scan_python

RUNNER = '''\
from typing import Optional, cast

from sqlalchemy import String, cast as sql_cast, select

from app.models import ContentItem, Image


def publish_content(content_id: int, message_id: int) -> dict[str, object]:
    return {"ok": True, "content_id": content_id, "message_id": message_id}


def run_job(job_type: str, arguments: dict[str, object]) -> dict[str, object]:
    if job_type == "publish":
        return publish_content(
            cast(int, arguments["content_id"]),  # impact: PY057
            cast(int, arguments["message_id"]),  # ok: another table's id
        )
    page = cast(int, arguments.get("page", 1))  # ok: a page number
    label = cast(str, arguments["content_id"])  # ok: not an int
    return {"page": page, "label": label}


def image_owner(image: Image) -> Optional[int]:
    owner = cast(Optional[int], image.content_id)  # impact: PY057
    return owner


def title_rows(session):
    return session.execute(select(sql_cast(ContentItem.id, String), ContentItem.title)).all()  # ok: SQL CAST
'''


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_casts_of_the_key_to_int_are_reported_with_their_fix(tmp_path: Path) -> None:
    files = python_sources(tmp_path, {"app/models.py": MODELS, "app/jobs/runner.py": RUNNER})
    result = scan_python(files, CLOSURE, Config())
    got = {f.span.line: f for f in result.findings if f.code == "PY057"}
    expected = {_line(RUNNER, 'cast(int, arguments["content_id"])'), _line(RUNNER, "cast(Optional[int], image")}
    assert set(got) == expected, sorted((f.span.line, f.message) for f in got.values())
    fixed = apply_edits(RUNNER, [e for f in got.values() for e in f.edits]).splitlines()
    assert fixed[_line(RUNNER, 'cast(int, arguments["content_id"])') - 1].strip() == \
        'cast(uuid.UUID, arguments["content_id"]),  # impact: PY057'
    assert "owner = cast(Optional[uuid.UUID], image.content_id)" in fixed[_line(RUNNER, "cast(Optional[int], image") - 1]
    # the value a cast gives carries the key on: image_owner returns it (PY051)
    assert any(f.code == "PY051" and f.symbol == "image_owner" for f in result.findings), \
        sorted((f.code, f.symbol) for f in result.findings)
