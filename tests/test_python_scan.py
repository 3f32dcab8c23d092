"""scan_python's contract: outcomes, skips, seeds, cross-file flow, byte-exact edits, target types."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from analyzer.rules.python._examples import CLOSURE, MODELS, TARGET

from analyzer.codemods.apply import apply_edits
from analyzer.config import Config
from analyzer.models import Closure, Ok, Skipped, SourceFile, holds_for
from analyzer.python import catalogue, scan_python


def _tree(tmp_path: Path, files: dict[str, str | bytes]) -> list[SourceFile]:
    out = []
    for rel, content in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8", newline="")
        out.append(SourceFile(".", str(p), rel, "sql" if rel.endswith(".sql") else "python"))
    return out


ROUTES = '''\
from fastapi import APIRouter
from app.models import ContentItem
from app.services import render

router = APIRouter(prefix="/images", tags=["images"])


@router.get("/{content_id}")
def get_images(content_id: int, page: int = 1): ...


@router.post("/{content_id}/render")
def start(content_id: int) -> None:
    render(content_id)
'''

MAIN = '''\
from fastapi import FastAPI
from app.api import images

app = FastAPI()
app.include_router(images.router, prefix="/api/v1")
'''

SERVICES = '''\
def render(doc_key: int) -> str:
    return f"doc-{doc_key}"


def unrelated(user_id: int, limit: int) -> int:
    return user_id + limit
'''


def test_outcomes_skips_and_cross_file_flow(tmp_path: Path) -> None:
    files = _tree(tmp_path, {
        "app/models.py": MODELS,
        "app/api/images.py": ROUTES,
        "app/main.py": MAIN,
        "app/services.py": SERVICES,
        "app/broken.py": "def content_id(:\n",
        "app/latin1.py": "content_id = 'caf\xe9'\n".encode("latin-1"),
        "app/unrelated.py": "def hello(name: str) -> str:\n    return name\n",
    })
    calls: list[int] = []
    result = scan_python(files, CLOSURE, Config(), progress=lambda advance=1, description=None: calls.append(advance))
    outcomes = {o.path: o for o in result.outcomes}
    assert len(result.outcomes) == len(files) and len(calls) == len(files)
    assert isinstance(outcomes["app/broken.py"], Skipped) and "syntax" in outcomes["app/broken.py"].reason
    assert isinstance(outcomes["app/latin1.py"], Skipped) and "UTF-8" in outcomes["app/latin1.py"].reason
    assert isinstance(outcomes["app/unrelated.py"], Ok) and result.stats["prefiltered_out"] >= 1
    by_symbol = {f.symbol: f for f in result.findings}
    doc_key = by_symbol["render.doc_key"]
    assert doc_key.path == "app/services.py" and doc_key.layer in ("service", "other")
    assert "`doc_key` <- `content_id` in app/api/images.py:14" in doc_key.evidence
    assert "unrelated.user_id" not in by_symbol and "get_images.page" not in by_symbol
    assert by_symbol["get_images.content_id"].layer == "route"
    templates = {(r.method, r.template) for r in result.seeds.routes}
    assert ("GET", "/api/v1/images/{content_id}") in templates
    assert ("POST", "/api/v1/images/{content_id}/render") in templates
    assert "content_id" in result.seeds.field_names and "user_id" not in result.seeds.field_names


def test_crlf_edits_are_byte_exact(tmp_path: Path) -> None:
    code = "from pydantic import BaseModel\r\n\r\nclass ImageOut(BaseModel):\r\n    content_id: int  # keep\r\n"
    files = _tree(tmp_path, {"app/models.py": MODELS, "app/schemas.py": code})
    result = scan_python(files, CLOSURE, Config())
    edits = [e for f in result.findings if f.path == "app/schemas.py" for e in f.edits]
    assert edits and apply_edits(code, edits) == code.replace("content_id: int", "content_id: uuid.UUID")
    assert all(e.requires_import == "import uuid" for e in edits)


def test_bigint_changes_sql_types_not_python_ints(tmp_path: Path) -> None:
    closure = Closure(targets=(replace(TARGET, to_type="BIGINT"),), columns=CLOSURE.columns,
                      references=CLOSURE.references)
    files = _tree(tmp_path, {"app/models.py": MODELS,
                             "app/schemas.py": "from pydantic import BaseModel\nclass A(BaseModel):\n"
                                               "    content_id: int\n"})
    result = scan_python(files, closure, Config())
    rules = {m.code: m for m in catalogue()}
    model = [f for f in result.findings if f.path == "app/models.py" and f.symbol == "ContentItem.id"][0]
    assert model.kind == "must_change" and [e.text for e in model.edits] == ["BigInteger"]
    assert holds_for(model, rules[model.code], "BIGINT")
    # `content_id: int` stays right (Python's int has no width): found, never edited, and not kept for bigint
    schema = [f for f in result.findings if f.path == "app/schemas.py"]
    assert schema and not any(f.edits or holds_for(f, rules.get(f.code), "BIGINT") for f in schema)


def test_local_lookalikes_are_not_sqlalchemy(tmp_path: Path) -> None:
    code = ("class Column:\n    def __init__(self, *a, **k): ...\n\n"
            "class Image:\n    __tablename__ = 'images'\n    content_id = Column('content_id', int)\n")
    files = _tree(tmp_path, {"app/fake.py": code})
    result = scan_python(files, CLOSURE, Config())
    assert not [f for f in result.findings if f.code == "PY001"]


def test_sql_files_and_no_closure(tmp_path: Path) -> None:
    ddl = ("CREATE TABLE users (id INTEGER PRIMARY KEY);\n"
           "CREATE TABLE images (\n  id INTEGER PRIMARY KEY,\n"
           "  content_id INTEGER NOT NULL REFERENCES content_items(id)\n);\n"
           "SELECT * FROM images ORDER BY content_id;\n")
    files = _tree(tmp_path, {"db/schema.sql": ddl})
    result = scan_python(files, CLOSURE, Config())
    lines = sorted((f.span.line, f.kind, f.language) for f in result.findings)
    assert lines == [(4, "must_change", "sql"), (6, "hazard", "sql")]
    empty = scan_python(files, Closure((), (), ()), Config())
    assert not empty.findings and len(empty.outcomes) == 1


DISTRACTORS = '''\
import re

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select, text

from app.models import ContentItem, User

router = APIRouter(prefix="/users")
USER_URL = re.compile(r"/users/(\\d+)")
TOP_USERS = text("SELECT id, name FROM users ORDER BY id DESC")


class UserOut(BaseModel):
    id: int
    user_id: int = Field(gt=0)
    tag_id: int
    version_number: int


@router.get("/{user_id}")
def get_user(user_id: int, page: int = Query(1, ge=1), limit: int = 50) -> UserOut:
    offset = (page - 1) * limit
    label = f"{page:03d}"
    return UserOut(id=user_id, user_id=int(user_id), tag_id=offset, version_number=len(label))


def owners(session, comment):
    stmt = select(User).where(User.id > comment.id).order_by(User.id)
    return max(u.id for u in session.scalars(stmt)) + 1


def content_title(session, content_id: int) -> str:
    return session.get(ContentItem, content_id).title
'''


def test_distractors_are_never_flagged(tmp_path: Path) -> None:
    files = _tree(tmp_path, {"app/models.py": MODELS, "app/api/users.py": DISTRACTORS})
    result = scan_python(files, CLOSURE, Config())
    flagged = [(f.span.line, f.code) for f in result.findings if f.path == "app/api/users.py"]
    assert flagged == [(33, "PY050")]  # only `content_id: int` of content_title()


def test_generated_files_are_skipped(tmp_path: Path) -> None:
    files = _tree(tmp_path, {"app/models.py": MODELS,
                             "app/gen_pb2.py": "# Generated by the protocol buffer compiler.  DO NOT EDIT!\n"
                                               "content_id: int = 0\n"})
    result = scan_python(files, CLOSURE, Config())
    skipped = [o for o in result.outcomes if isinstance(o, Skipped)]
    assert [o.path for o in skipped] == ["app/gen_pb2.py"]


def test_cached_files_forget_previous_scans(tmp_path: Path) -> None:
    files = _tree(tmp_path, {"app/models.py": MODELS, "app/api/images.py": ROUTES, "app/services.py": SERVICES})
    first = scan_python(files, CLOSURE, Config())
    assert any(f.symbol == "render.doc_key" for f in first.findings)
    pk_only = Closure(targets=CLOSURE.targets, columns=CLOSURE.columns[:1], references=())
    second = scan_python(files, pk_only, Config())  # content_id is no longer a key name
    assert second.stats["cache_hits"] >= 2  # models.py and images.py (it imports ContentItem)
    assert not [f for f in second.findings if f.path == "app/api/images.py"]


def test_text_target_edits_int_to_str(tmp_path: Path) -> None:
    closure = Closure(targets=(replace(TARGET, to_type="TEXT"),), columns=CLOSURE.columns,
                      references=CLOSURE.references)
    files = _tree(tmp_path, {"app/models.py": MODELS,
                             "app/schemas.py": "from pydantic import BaseModel\nclass A(BaseModel):\n"
                                               "    content_id: int | None = None\n"})
    result = scan_python(files, closure, Config())
    schema = [f for f in result.findings if f.path == "app/schemas.py"]
    assert [e.text for f in schema for e in f.edits] == ["str"] and not schema[0].edits[0].requires_import
    model = [f for f in result.findings if f.symbol == "ContentItem.id"][0]
    assert {e.text for e in model.edits} == {"Text", "str"}


def test_progress_advances_per_file_while_scanning(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from analyzer.python import engine

    files = _tree(tmp_path, {"app/models.py": MODELS, "app/api/images.py": ROUTES, "app/services.py": SERVICES,
                             "app/unrelated.py": "def hello(name: str) -> str:\n    return name\n"})
    events: list[str] = []
    real = engine._check_file

    def check(*args, **kwargs):  # type: ignore[no-untyped-def]
        events.append("check")
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "_check_file", check)
    scan_python(files, CLOSURE, Config(), progress=lambda advance=1, description=None: events.append("step"))
    assert events.count("step") == len(files)
    assert events.count("check") >= 3
    # steps are interleaved with the per-file work, not all sent at the end
    assert events.index("step") < len(events) - events[::-1].index("check") - 1
    assert all(events[i + 1] == "step" for i, e in enumerate(events) if e == "check")


def test_the_configuration_s_disabled_rules_find_nothing(tmp_path: Path) -> None:
    """`disable` (by code or name) and `enable_only` hold for every file of the scan (the rules are chosen once)."""
    from helpers import python_sources

    files = python_sources(tmp_path, {"app/models.py": MODELS,
                                      "app/api.py": "def show(content_id: int) -> int:\n    return content_id\n",
                                      "app/jobs.py": "def run(content_id: int) -> str:\n    return f'{content_id:05d}'\n"})
    every = {(f.code, f.rule) for f in scan_python(files, CLOSURE, Config(jobs=1)).findings}
    assert len({code for code, _ in every}) >= 2, every
    code, name = sorted(every)[0]
    assert code not in {f.code for f in scan_python(files, CLOSURE, Config(jobs=1, disable=(code,))).findings}
    assert code not in {f.code for f in scan_python(files, CLOSURE, Config(jobs=1, disable=(name,))).findings}
    only = {f.code for f in scan_python(files, CLOSURE, Config(jobs=1, enable_only=(code,))).findings}
    assert only == {code}
