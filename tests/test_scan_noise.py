"""Noise (issue 12): what `impact scan --to bigint` keeps, and old migration revisions reported as history.

- `--to bigint` on the content_app fixture: no ordering, arithmetic, `int()` or JavaScript-number finding
  (the ids are far below 2**53); what stays is what an int8 breaks (int4 column types, int4 binds and
  casts); the scan keeps exactly what the plan prices for bigint (one predicate, `holds_for`).
- Findings in an Alembic revision (found by its `revision`/`down_revision`, or by the Alembic setup around
  it) and in a Django-style migration are `info`, history, and no patch touches them; the same `op` calls
  in a file that is not a revision stay changes to make.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from helpers import run_impact, write_tree

from analyzer.config import load
from analyzer.demo import DEMO_TARGETS, build_demo_database, fixture_app
from analyzer.models import Report, RuleMeta, holds_for
from analyzer.pipeline import ScanOptions, run_scan

#: rules about ordering, arithmetic and int() on the key, in Python and TypeScript
_ORDER_MATH = {"PY060", "PY062", "PY063", "TS101", "TS102", "TS107"}


@pytest.fixture(scope="module")
def content_scans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    app = fixture_app()
    url = build_demo_database(tmp_path_factory.mktemp("noise-db"), rows=200)
    out = {}
    for to in ("uuid", "bigint"):
        options = ScanOptions(roots=(str(app),), targets=DEMO_TARGETS, to=to, db_url=url,
                              config=load(app / "pyproject.toml"))
        out[to] = run_scan(options)
    return out


def _kinds(report: Report) -> Counter[str]:
    return Counter(f.kind for f in report.findings)


def test_bigint_keeps_only_what_an_int8_breaks(content_scans: dict[str, Report]) -> None:
    uuid, bigint = content_scans["uuid"], content_scans["bigint"]
    u, b = _kinds(uuid), _kinds(bigint)
    print(f"\ncontent_app uuid: {u['must_change']} must change / {u['hazard']} hazards; "
          f"bigint: {b['must_change']} must change / {b['hazard']} hazards")
    live = [f for f in bigint.findings if f.kind != "info"]
    assert not {f.code for f in live} & _ORDER_MATH
    assert not [f for f in bigint.findings if f.language == "typescript"], "ids below 2**53: no JS-number finding"
    assert b["must_change"] <= 0.2 * u["must_change"] and b["hazard"] <= 0.1 * u["hazard"]
    # what stays: int4 columns in the models and the SQL schema, int4 binds and casts in raw SQL
    assert {f.layer for f in live} <= {"db-model", "raw-sql"}
    assert {"PY001", "PY071", "PY072"} <= {f.code for f in live}
    casts = [f for f in live if f.code == "PY070"]
    assert casts and all("casts to an integer type" in f.message for f in casts)
    # the models' fix widens the SQL type and leaves `int` alone (Python's int has no width)
    edits = [e.text for f in live if f.code == "PY001" for e in f.edits]
    assert edits and set(edits) == {"BigInteger"}


def test_the_bigint_scan_is_what_the_plan_prices(content_scans: dict[str, Report]) -> None:
    """One predicate: the UUID scan's superset, kept with `holds_for(..., "BIGINT")` as the plan does, is
    line for line the bigint scan."""
    uuid, bigint = content_scans["uuid"], content_scans["bigint"]
    rules: dict[str, RuleMeta] = {m.code: m for m in uuid.extras["rules"]}  # type: ignore[attr-defined]
    priced = {(f.code, f.path, f.line, f.kind) for f in uuid.findings if holds_for(f, rules.get(f.code), "BIGINT")}
    scanned = {(f.code, f.path, f.line, f.kind) for f in bigint.findings}
    assert priced == scanned, (sorted(priced - scanned), sorted(scanned - priced))


def test_old_alembic_revisions_are_history_in_both_scans(content_scans: dict[str, Report]) -> None:
    for report in content_scans.values():
        revisions = [f for f in report.findings if "/migrations/versions/" in f.path]
        assert revisions
        assert all(f.kind == "info" and f.severity == "note" and f.layer == "migration" and not f.edits
                   for f in revisions)
        assert all(f.message.startswith("history: Alembic revision 000") and "impact plan --alembic" in f.message
                   for f in revisions)


MODELS = '''\
from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ContentItem(Base):
    __tablename__ = "content_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class Image(Base):
    __tablename__ = "images"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_id: Mapped[int] = mapped_column(Integer, ForeignKey("content_items.id"))
'''

CREATE_IMAGES = '''\
from alembic import op
import sqlalchemy as sa
{head}

def upgrade() -> None:
    op.create_table(
        "images",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("content_id", sa.Integer(), sa.ForeignKey("content_items.id"), nullable=False),
    )
    op.execute("SELECT * FROM images ORDER BY content_id")
'''

DJANGO = '''\
from django.db import migrations


def backfill(apps, schema_editor):
    Image = apps.get_model("media", "Image")
    for image in Image.objects.order_by("content_id"):
        image.save()


class Migration(migrations.Migration):
    dependencies = [("media", "0001_initial")]
    operations = [
        migrations.RunSQL("CREATE TABLE staged_images (content_id INTEGER REFERENCES content_items (id))"),
        migrations.RunPython(backfill),
    ]
'''


def _scan(root: Path, out: Path) -> list[dict]:
    done = run_impact("scan", ".", "--target", "content_items.id", "--format", "json", "--out", str(out), "-q",
                      "--fail-on", "never", "--no-typecheck", cwd=root)
    assert done.returncode == 0, done.stderr
    return json.loads((out / "findings.json").read_text(encoding="utf-8"))["findings"]


def _patched(out: Path) -> set[str]:
    return {p.relative_to(out / "patches").as_posix().removesuffix(".patch")
            for p in (out / "patches").rglob("*.py.patch")}


def test_alembic_revisions_are_info_with_no_patch(tmp_path: Path) -> None:
    app = write_tree(tmp_path / "app", {
        "app/models.py": MODELS,
        # a revision by its module variables, wherever it lives
        "migrations/versions/0002_images.py": CREATE_IMAGES.format(
            head='revision = "b7e1c2"\ndown_revision: str | None = "a1f0d9"'),
        # by the Alembic setup: alembic.ini names db/revs as a version location (no variables: hand-trimmed)
        "alembic.ini": "[alembic]\nscript_location = migrations\nversion_locations = %(here)s/db/revs\n",
        "db/revs/0003_more.py": CREATE_IMAGES.format(head=""),
        # by env.py beside its versions/ directory
        "tools/alembic/env.py": "from alembic import context\n",
        "tools/alembic/versions/0004_again.py": CREATE_IMAGES.format(head=""),
        # not a revision: a migrations/ folder name alone, and a setup script that happens to use `op`
        "legacy/migrations/build_schema.py": CREATE_IMAGES.format(head=""),
    })
    out = tmp_path / "out"
    findings = _scan(app, out)
    by_path: dict[str, list[dict]] = {}
    for f in findings:
        by_path.setdefault(f["path"], []).append(f)
    for path, label in (("migrations/versions/0002_images.py", "Alembic revision b7e1c2"),
                        ("db/revs/0003_more.py", "Alembic revision 0003_more"),
                        ("tools/alembic/versions/0004_again.py", "Alembic revision 0004_again")):
        got = by_path[path]
        assert {f["code"] for f in got} >= {"PY010", "PY070"}, got
        for f in got:
            assert (f["kind"], f["severity"], f["layer"], f["fix"], f["edits"]) == ("info", "note", "migration",
                                                                                    False, []), f
            assert f["message"].startswith(f"history: {label}: ") and "impact plan --alembic" in f["message"]
    legacy = by_path["legacy/migrations/build_schema.py"]
    assert [f["kind"] for f in legacy if f["code"] == "PY010"] == ["must_change"]
    assert not {p for p in _patched(out) if "/revs/" in p or "/versions/" in p}, _patched(out)
    assert "app/models.py" in _patched(out)  # the models are patched as before


def test_django_migrations_are_info_with_no_patch(tmp_path: Path) -> None:
    app = write_tree(tmp_path / "app", {
        "app/models.py": MODELS,
        "media/migrations/__init__.py": "",
        "media/migrations/0002_staging.py": DJANGO,
        # the same SQL outside a migration is a change to make
        "media/staging.py": "def stage(conn):\n    conn.exec_driver_sql("
                            "'CREATE TABLE staged_images (content_id INTEGER REFERENCES content_items (id))')\n",
    })
    out = tmp_path / "out"
    findings = _scan(app, out)
    history = [f for f in findings if f["path"] == "media/migrations/0002_staging.py"]
    assert {f["code"] for f in history} == {"PY074"}, history
    assert all(f["kind"] == "info" and f["severity"] == "note" and not f["fix"] and
               f["message"].startswith("history: Django migration 0002_staging: ") for f in history)
    live = [f for f in findings if f["path"] == "media/staging.py"]
    assert [(f["code"], f["kind"]) for f in live] == [("PY074", "must_change")]
    assert not [p for p in _patched(out) if "migrations" in p]
