"""The one shared fixture `Report` every renderer test (and golden file) is made from.

Built by hand from models.py values, not by running a scan: renderer tests must not move when a
scanner improves. It is small but realistic: two targets sharing one id space, declared, inferred and
polymorphic references, findings in Python and TypeScript layers with spans, symbols, evidence, edits
and a review note, one skipped file, and a snippet holding `</script>` and `<b>` to test escaping.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from analyzer.models import (
    LAYERS,
    Closure,
    Column,
    Dependent,
    Edit,
    FileOutcome,
    Finding,
    ForeignKey,
    ImpactedColumn,
    Index,
    Ok,
    Reference,
    Report,
    RuleMeta,
    SchemaSnapshot,
    Skipped,
    Span,
    Summary,
    Table,
    Target,
    with_fingerprints,
)

# ----------------------------------------------------------------------------- source files (for spans and edits)

SOURCES: dict[str, str] = {
    "backend/app/models.py": (
        "from sqlalchemy import ForeignKey, Integer\n"
        "from sqlalchemy.orm import Mapped, mapped_column\n"
        "\n"
        "\n"
        "class ContentItem(Base):\n"
        "    __tablename__ = \"content_items\"\n"
        "    id: Mapped[int] = mapped_column(Integer, primary_key=True)\n"
        "\n"
        "\n"
        "class GenerationJob(Base):\n"
        "    __tablename__ = \"generation_jobs\"\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        "    user_id: Mapped[int] = mapped_column(ForeignKey(\"users.id\"))\n"
        "    content_id: Mapped[int] = mapped_column(ForeignKey(\"content_items.id\"))\n"
    ),
    "backend/app/schemas.py": (
        "from pydantic import BaseModel, Field\n"
        "\n"
        "\n"
        "class ImageOut(BaseModel):\n"
        "    id: int\n"
        "    content_id: int\n"
        "\n"
        "\n"
        "class JobCreate(BaseModel):\n"
        "    content_id: int = Field(gt=0)\n"
    ),
    "backend/app/api/routes/contents.py": (
        "from fastapi import APIRouter\n"
        "\n"
        "router = APIRouter(prefix=\"/contents\")\n"
        "\n"
        "\n"
        "@router.get(\"/{content_id}\")\n"
        "def get_content(content_id: int, db: Session = Depends(get_db)):\n"
        "    return db.get(ContentItem, content_id)\n"
        "\n"
        "\n"
        "@router.get(\"/\")\n"
        "def list_contents(after: int = 0, db: Session = Depends(get_db)):\n"
        "    q = select(ContentItem).where(ContentItem.id > after).order_by(ContentItem.id)\n"
        "    return db.scalars(q.limit(50)).all()\n"
    ),
    "frontend/src/api/types.ts": (
        "export interface Content {\n"
        "  id: number;\n"
        "  title: string;\n"
        "}\n"
    ),
    "frontend/src/components/ContentCard.tsx": (
        "type Props = { contentId: number; title: string };\n"
        "\n"
        "export function ContentCard({ contentId, title }: Props) {\n"
        "  return <div dangerouslySetInnerHTML={{ __html: `<b>${title}</b></script>` }} data-id={contentId} />;\n"
        "}\n"
    ),
}


def _span(path: str, needle: str, length: int | None = None) -> tuple[Span, int]:
    """Span of the first `needle` in the file (1-based line/column, end_column past the last char)."""
    text = SOURCES[path]
    start = text.index(needle)
    end = start + (len(needle) if length is None else length)
    line = text.count("\n", 0, start) + 1
    col = start - (text.rfind("\n", 0, start) + 1) + 1
    end_line = text.count("\n", 0, end) + 1
    end_col = end - (text.rfind("\n", 0, end) + 1) + 1
    return Span(line, col, end_line, end_col), start


def _edit(path: str, needle: str, old: str, new: str, requires_import: str | None = None) -> Edit:
    text = SOURCES[path]
    at = text.index(needle) + needle.index(old)
    return Edit(at, at + len(old), new, requires_import=requires_import)


# ----------------------------------------------------------------------------- schema


def _table(name: str, cols: list[tuple[str, str]], rows: int, nbytes: int, ix_bytes: int, *,
           pk: tuple[str, ...] = ("id",), fks: tuple[ForeignKey, ...] = (),
           indexes: tuple[Index, ...] = ()) -> Table:
    return Table(
        name=name,
        columns=tuple(Column(c, t, nullable=c not in pk, identity=c in pk and t == "INTEGER") for c, t in cols),
        primary_key=pk, foreign_keys=fks, indexes=indexes, rows=rows, rows_estimated=True,
        bytes=nbytes, index_bytes=ix_bytes,
    )


MB = 1024 * 1024

TABLES: tuple[Table, ...] = (
    _table("content_items", [("id", "INTEGER"), ("title", "TEXT"), ("owner_id", "INTEGER")],
           1_200_000, 310 * MB, 52 * MB,
           fks=(ForeignKey(("owner_id",), "users", ("id",), name="content_items_owner_id_fkey"),),
           indexes=(Index("ix_content_items_owner_id", ("owner_id",)),)),
    _table("content_items_auto", [("id", "INTEGER"), ("prompt", "TEXT")], 400_000, 96 * MB, 9 * MB),
    _table("generation_jobs", [("id", "INTEGER"), ("content_id", "INTEGER"), ("user_id", "INTEGER")],
           1_200_000, 140 * MB, 61 * MB,
           fks=(ForeignKey(("content_id",), "content_items", ("id",), name="generation_jobs_content_id_fkey",
                           on_delete="CASCADE"),),
           indexes=(Index("ix_generation_jobs_content_id", ("content_id",)),
                    Index("ix_generation_jobs_user_content", ("user_id", "content_id")))),
    _table("images", [("id", "INTEGER"), ("content_id", "INTEGER"), ("url", "TEXT")], 600_000, 88 * MB, 26 * MB,
           fks=(ForeignKey(("content_id",), "content_items", ("id",), name="images_content_id_fkey"),),
           indexes=(Index("ix_images_content_id", ("content_id",)),)),
    _table("content_tags", [("content_item_id", "INTEGER"), ("tag", "TEXT")], 150_000, 9 * MB, 7 * MB,
           pk=("content_item_id", "tag")),
    _table("comments", [("id", "INTEGER"), ("commentable_type", "TEXT"), ("commentable_id", "INTEGER"),
                        ("body", "TEXT")], 90_000, 21 * MB, 4 * MB,
           indexes=(Index("ix_comments_target", ("commentable_type", "commentable_id")),)),
    _table("analytics_events", [("id", "BIGINT"), ("object_id", "INTEGER")], 5_400_000, 610 * MB, 130 * MB,
           indexes=()),
    _table("users", [("id", "INTEGER"), ("email", "TEXT")], 25_000, 3 * MB, 1 * MB),
)

DEPENDENTS: tuple[Dependent, ...] = (
    Dependent("view", "content_feed", "content_items", "id",
              "SELECT c.id, c.title, count(i.id) FROM content_items c LEFT JOIN images i ON i.content_id = c.id"),
    Dependent("trigger", "trg_images_touch", "images", "content_id", "EXECUTE FUNCTION touch_content()"),
)

TARGETS: tuple[Target, ...] = (
    Target("content_items", "id", "INTEGER", "UUID"),
    Target("content_items_auto", "id", "INTEGER", "UUID"),
)

CLOSURE = Closure(
    targets=TARGETS,
    columns=(
        ImpactedColumn("content_items", "id", "INTEGER", "target", 1.0, "content_items.id"),
        ImpactedColumn("content_items_auto", "id", "INTEGER", "target", 1.0, "content_items_auto.id"),
        ImpactedColumn("generation_jobs", "content_id", "INTEGER", "declared FK to content_items.id", 1.0,
                       "content_items.id"),
        ImpactedColumn("images", "content_id", "INTEGER", "declared FK to content_items.id", 1.0,
                       "content_items.id"),
        ImpactedColumn("content_tags", "content_item_id", "INTEGER",
                       "inferred: name content_item_id matches content_items.id, values contained", 0.85,
                       "content_items.id"),
        ImpactedColumn("comments", "commentable_id", "INTEGER",
                       "polymorphic: commentable_type in ('content_item', 'content_item_auto')", 0.9,
                       "content_items.id"),
    ),
    references=(
        Reference("generation_jobs", "content_id", "content_items", "id", "declared", 1.0,
                  "FOREIGN KEY generation_jobs_content_id_fkey", 1_200_000),
        Reference("images", "content_id", "content_items", "id", "declared", 1.0,
                  "FOREIGN KEY images_content_id_fkey", 600_000),
        Reference("content_tags", "content_item_id", "content_items", "id", "inferred", 0.85,
                  "name matches {singular}_id; 100% of sampled values found in content_items.id", 150_000),
        Reference("comments", "commentable_id", "content_items", "id", "polymorphic", 0.9,
                  "commentable_type = 'content_item'", 61_000),
        Reference("comments", "commentable_id", "content_items_auto", "id", "polymorphic", 0.9,
                  "commentable_type = 'content_item_auto'", 29_000),
        Reference("analytics_events", "object_id", "content_items", "id", "inferred", 0.45,
                  "generic name object_id; 62% of sampled values found (below threshold 0.6)", 5_400_000),
    ),
)

SCHEMA = SchemaSnapshot(dialect="postgresql", tables=TABLES, dependents=DEPENDENTS,
                        source="postgresql://app@db.internal:5432/content")

# ----------------------------------------------------------------------------- findings


def _f(code: str, rule: str, layer: str, kind: str, path: str, span: Span, symbol: str, message: str,
       evidence: str, *, edits: tuple[Edit, ...] = (), review: str = "", target: str = "content_items.id",
       severity: str | None = None) -> Finding:
    language = "typescript" if path.endswith((".ts", ".tsx")) else "sql" if path.endswith(".sql") else "python"
    sev = severity or {"must_change": "error", "hazard": "warning", "info": "note"}[kind]
    return Finding(rule=rule, code=code, layer=layer, language=language, kind=kind,  # type: ignore[arg-type]
                   severity=sev, path=path, span=span, symbol=symbol, message=message,  # type: ignore[arg-type]
                   evidence=evidence, target=target, edits=edits, review=review)


def _findings() -> list[Finding]:
    m, s, r = "backend/app/models.py", "backend/app/schemas.py", "backend/app/api/routes/contents.py"
    t, c = "frontend/src/api/types.ts", "frontend/src/components/ContentCard.tsx"
    out = [
        _f("PY001", "py.sqlalchemy.pk_column", "db-model", "must_change", m,
           _span(m, "id: Mapped[int] = mapped_column(Integer, primary_key=True)")[0], "ContentItem.id",
           "primary key `ContentItem.id` is typed int; the target becomes UUID",
           "ContentItem maps table content_items (target)",
           edits=(_edit(m, "id: Mapped[int] = mapped_column(Integer,", "int", "uuid.UUID", "import uuid"),
                  _edit(m, "mapped_column(Integer, primary_key", "Integer", "Uuid"))),
        _f("PY002", "py.sqlalchemy.fk_column", "db-model", "must_change", m,
           _span(m, "content_id: Mapped[int]")[0], "GenerationJob.content_id",
           "foreign key column `GenerationJob.content_id` references content_items.id",
           "ForeignKey(\"content_items.id\") → target content_items.id",
           edits=(_edit(m, "content_id: Mapped[int]", "int", "uuid.UUID", "import uuid"),)),
        _f("PY010", "py.alembic.column_type", "migration", "must_change", "backend/alembic/versions/0003_jobs.py",
           Span(21, 9, 21, 62), "upgrade",
           "migration creates generation_jobs.content_id as sa.Integer()",
           "op.create_table('generation_jobs', sa.Column('content_id', sa.Integer(), sa.ForeignKey(...)))",
           review="Leave history alone: add a new revision that converts the column (see migration.sql)."),
        _f("SQL001", "sql.cast_to_int", "raw-sql", "hazard", "backend/app/sql/feed.sql", Span(4, 12, 4, 34),
           "feed.sql", "CAST(c.id AS INTEGER) fails once ids are UUIDs",
           "c aliases content_items (target)",
           review="Drop the cast or cast to uuid."),
        _f("PY020", "py.pydantic.field", "pydantic", "must_change", s, _span(s, "content_id: int")[0],
           "ImageOut.content_id", "field `ImageOut.content_id: int` carries content_items.id",
           "ImageOut is returned by GET /images/{image_id}; images.content_id → content_items.id",
           edits=(_edit(s, "    content_id: int\n", "int", "uuid.UUID", "import uuid"),)),
        _f("PY021", "py.pydantic.positive_int", "pydantic", "hazard", s,
           _span(s, "content_id: int = Field(gt=0)")[0], "JobCreate.content_id",
           "`Field(gt=0)` on a key that becomes a UUID: validation will reject every value",
           "JobCreate.content_id flows to GenerationJob.content_id",
           review="Remove the `gt=0` constraint; validate the UUID format instead."),
        _f("PY030", "py.fastapi.path_param", "route", "must_change", r,
           _span(r, "content_id: int, db", len("content_id: int"))[0], "contents.get_content",
           "path parameter `content_id: int` of GET /contents/{content_id}",
           "path template /contents/{content_id}; content_id passed to db.get(ContentItem, …)",
           edits=(_edit(r, "def get_content(content_id: int", "int", "uuid.UUID", "import uuid"),)),
        _f("PY031", "py.query.keyset_pagination", "route", "hazard", r,
           _span(r, "ContentItem.id > after")[0], "contents.list_contents",
           "keyset pagination on `ContentItem.id > after`: UUIDs are not ordered by creation",
           "`after: int` compared with ContentItem.id (target)",
           review="Paginate on (created_at, id) or use UUIDv7 (time-ordered) and keep the cursor opaque."),
        _f("PY040", "py.arith_on_key", "service", "hazard", "backend/app/services/feed.py", Span(33, 16, 33, 30),
           "feed.next_page_start", "arithmetic on a key: `last_id + 1`",
           "last_id = items[-1].id (ContentItem.id)",
           review="Use an opaque cursor instead of id arithmetic."),
        _f("PY050", "py.celery.task_arg", "task", "must_change", "backend/app/tasks.py", Span(18, 22, 18, 37),
           "tasks.generate_images", "task argument `content_id: int` is serialised into the broker as an int",
           "generate_images.delay(job.content_id) in app/services/jobs.py:41",
           review="Deploy workers that accept both int and str before the producers switch."),
        _f("PY090", "py.test.int_key_literal", "test", "must_change", "backend/tests/test_contents.py",
           Span(12, 30, 12, 31), "test_get_content", "test builds a content id from the int literal 1",
           "client.get(f\"/contents/{1}\") hits GET /contents/{content_id}"),
        _f("TS001", "ts.type.number_key", "ts-type", "must_change", t, _span(t, "id: number;")[0], "Content.id",
           "`Content.id: number` mirrors ContentOut.id", "ContentOut.id in backend/app/schemas.py:14",
           edits=(_edit(t, "  id: number;", "number", "string"),)),
        _f("TS010", "ts.api.number_param", "ts-api", "must_change", "frontend/src/api/contents.ts",
           Span(8, 33, 8, 50), "getContent", "`getContent(id: number)` calls GET /contents/{content_id}",
           "fetch(`/api/contents/${id}`) matches route contents.get_content"),
        _f("TS020", "ts.hook.query_key", "ts-hook", "must_change", "frontend/src/hooks/useContent.ts",
           Span(5, 26, 5, 44), "useContent", "query key `['content', id: number]`",
           "useContent(id) → getContent(id)"),
        _f("TS030", "ts.state.numeric_sort", "ts-state", "hazard", "frontend/src/store/selection.ts",
           Span(14, 5, 14, 36), "selection.sortedIds", "`ids.sort((a, b) => a - b)` sorts keys numerically",
           "ids: Content['id'][]",
           review="Sort by a display field or keep insertion order; UUIDs have no numeric order."),
        _f("TS040", "ts.url.parse_int", "ts-url", "hazard", "frontend/src/routes.tsx", Span(22, 19, 22, 40),
           "ContentRoute", "`Number(params.contentId)` turns a UUID into NaN",
           "route /contents/:contentId → useContent(id)",
           review="Pass the param through as a string."),
        _f("TS050", "ts.component.number_prop", "ts-component", "must_change", c,
           _span(c, "contentId: number")[0], "ContentCard.props.contentId",
           "prop `contentId: number` receives Content.id", "<ContentCard contentId={item.id}> in ContentList.tsx:31",
           edits=(_edit(c, "contentId: number", "number", "string"),)),
        _f("TS060", "ts.validation.zod_int", "ts-validation", "must_change", "frontend/src/forms/job.ts",
           Span(6, 15, 6, 41), "jobSchema.contentId", "`z.number().int().positive()` validates a content id",
           "jobSchema is posted to POST /jobs (JobCreate.content_id)", target="content_items_auto.id"),
        _f("PY099", "py.other.log_format", "other", "info", "backend/app/logging.py", Span(9, 5, 9, 40),
           "log_content", "log format `%d` used for a content id", "log_content(item.id)",
           target="content_items_auto.id"),
    ]
    return out


FINDINGS: tuple[Finding, ...] = with_fingerprints(_findings())

OUTCOMES: tuple[FileOutcome, ...] = (
    *(Ok(p, n) for p, n in sorted(Counter(f.path for f in FINDINGS).items())),
    Ok("backend/app/main.py"),
    Ok("frontend/src/main.tsx"),
    Skipped("backend/app/legacy/import_v1.py", "SyntaxError: invalid syntax (line 3)"),
)

RULES: tuple[RuleMeta, ...] = tuple(
    RuleMeta(code=f.code, name=f.rule, language=f.language, layer=f.layer, kind=f.kind, severity=f.severity,
             summary=f"{f.rule.split('.', 1)[1].replace('_', ' ').replace('.', ' ')}: the key's type is stated here",
             doc=f"Anti-pattern: a {f.layer} value typed as the old key type.\n\n"
                 "Best practice: type it as the new key type.",
             fixable=f.fix)
    for f in sorted({f.code: f for f in FINDINGS}.values(), key=lambda f: f.code)
    if f.code != "PY099"  # one rule missing from the catalogue: renderers fall back to the message
)

EFFORT_MODEL: dict[str, object] = {
    "minutes_per_finding": {"db-model": 15, "migration": 30, "raw-sql": 20, "pydantic": 8, "route": 12,
                            "service": 12, "task": 20, "ts-type": 6, "ts-api": 10, "ts-hook": 10,
                            "ts-state": 10, "ts-validation": 8, "ts-url": 8, "ts-component": 8, "test": 6,
                            "other": 10},
    "hours_per_table": 2.0,
    "hours_per_million_rows": 0.5,
    "uncertainty": 0.5,
    "hours_per_day": 6,
    "note": "must_change and hazard findings priced per layer; per-table migration cost grows with rows; "
            "the range is the estimate times (1 - uncertainty, 1 + uncertainty).",
}

PATCHES: dict[str, str] = {
    "frontend/src/api/types.ts": (
        "--- a/frontend/src/api/types.ts\n+++ b/frontend/src/api/types.ts\n@@ -1,4 +1,4 @@\n"
        " export interface Content {\n-  id: number;\n+  id: string;\n   title: string;\n }\n"
    ),
}


def _effort_days(findings: tuple[Finding, ...]) -> tuple[float, float]:
    """The pipeline's effort model (EFFORT_MODEL) applied by hand, so the page's breakdown adds up."""
    minutes: dict[str, float] = EFFORT_MODEL["minutes_per_finding"]  # type: ignore[assignment]
    hours = sum(minutes.get(f.layer, 10) for f in findings if f.kind != "info") / 60
    for name in sorted(CLOSURE.tables):
        table = SCHEMA.table(name)
        hours += 2.0 + 0.5 * ((table.rows or 0) if table else 0) / 1_000_000
    days = hours / 6
    return (round(days * 0.5, 1), round(days * 1.5, 1))


def _summary(findings: tuple[Finding, ...], outcomes: tuple[FileOutcome, ...]) -> Summary:
    by_layer = Counter(f.layer for f in findings if f.kind != "info")
    by_kind = Counter(f.kind for f in findings)
    return Summary(
        files=len(outcomes), findings=len(findings),
        by_layer={k: by_layer[k] for k in LAYERS if by_layer.get(k)},
        by_kind={k: by_kind[k] for k in ("must_change", "hazard", "info") if by_kind.get(k)},
        effort_days=_effort_days(findings), skipped=sum(1 for o in outcomes if o.status != "ok"),
    )


def build_report(**changes: object) -> Report:
    """The shared fixture report; keyword arguments replace fields (e.g. findings=...)."""
    snippets = {}
    for f in FINDINGS:
        text = SOURCES.get(f.path)
        if text is not None:
            snippets[f.fingerprint] = text.splitlines()[f.span.line - 1]
        else:
            snippets[f.fingerprint] = {
                "backend/app/sql/feed.sql": "  WHERE CAST(c.id AS INTEGER) > :cursor",
                "frontend/src/routes.tsx": "  const id = Number(params.contentId); // <b>not</b> a number</script>",
            }.get(f.path, "")
    snippets = {k: v for k, v in snippets.items() if v}
    report = Report(
        version=1, tool_version="0.1.0", to="uuid", targets=TARGETS, roots=("backend", "frontend"),
        schema=SCHEMA, closure=CLOSURE, findings=FINDINGS, outcomes=OUTCOMES,
        summary=_summary(FINDINGS, OUTCOMES), schema_source="postgresql://app@db.internal:5432/content",
        duration_s=1.25,
        extras={"rules": list(RULES), "effort_model": EFFORT_MODEL, "snippets": snippets,
                "patches": dict(PATCHES), "sources": dict(SOURCES)},
    )
    return replace(report, **changes) if changes else report  # type: ignore[arg-type]
