"""Figures every renderer agrees on: the verdict, per-table costs, rule metadata, edit previews.

Renderers differ in format only; what "tables to rewrite" or "index growth" means is decided here once,
so that the PR comment, the HTML page and the JSON never disagree about a number.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from analyzer.db.errors import redact
from analyzer.models import (
    LAYERS,
    SEVERITY_RANK,
    Dependent,
    Failed,
    FileOutcome,
    Finding,
    Report,
    RuleMeta,
    Skipped,
    Table,
)

if TYPE_CHECKING:
    from analyzer.diffmode import DiffInfo

#: fixed on-disk width of a key type, in bytes (PostgreSQL; close enough for MySQL and SQLite)
TYPE_WIDTH: dict[str, int] = {
    "SMALLINT": 2, "INT2": 2, "SMALLSERIAL": 2,
    "INTEGER": 4, "INT": 4, "INT4": 4, "SERIAL": 4, "MEDIUMINT": 4,
    "BIGINT": 8, "INT8": 8, "BIGSERIAL": 8,
    "UUID": 16,
    #: a UUID stored as text: 36 characters plus a one-byte varlena header
    "TEXT": 37, "VARCHAR": 37, "CHAR(36)": 37,
}
APPROXIMATE_TYPES = frozenset({"TEXT", "VARCHAR", "CHAR(36)"})


def type_width(type_name: str) -> int | None:
    name = type_name.upper().strip()
    if name in TYPE_WIDTH:
        return TYPE_WIDTH[name]
    base = name.split("(", 1)[0].strip()
    return TYPE_WIDTH.get(base)


def growth_per_value(from_type: str, to_type: str) -> int:
    """Bytes each stored value grows by: int4 -> uuid +12, int4 -> bigint +4 (0 when unknown)."""
    a, b = type_width(from_type), type_width(to_type)
    if a is None or b is None:
        return 0
    return b - a


def human_count(n: int | float | None) -> str:
    """2 400 000 -> '2.4 M', 15 300 -> '15.3 k', 950 -> '950'."""
    if n is None:
        return "?"
    value = float(n)
    for threshold, unit, suffix in ((1e9, 1e9, " G"), (1e6, 1e6, " M"), (1e4, 1e3, " k")):
        if abs(value) >= threshold:
            return f"{value / unit:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{int(value):,}"


def human_bytes(n: int | float | None) -> str:
    if n is None:
        return "?"
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(value) < 1024 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"  # pragma: no cover - loop always returns


def schema_source(report: Report) -> str:
    """The schema's origin, redacted again by the one URL redaction (in case a caller forgot)."""
    return redact(report.schema_source or report.schema.source)


def public_schema_source(report: Report) -> str:
    """The schema's origin for text that may be posted where anyone reads it (the PR comment): the kind of
    database and its name, never its host, port or user (`postgresql database app`); non-URL origins
    ("models found in the code") as they are."""
    source = schema_source(report)
    if "://" not in source:
        return source
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(source)
    except (ArgumentError, ValueError):
        return source.split("://", 1)[0] + " database"
    name = Path(url.database).name if url.database and url.get_backend_name() == "sqlite" else url.database
    return f"{url.get_backend_name()} database" + (f" {name}" if name else "")


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def fmt_days(x: float) -> str:
    return f"{x:g}"


def layer_rank(layer: str) -> int:
    return LAYERS.index(layer) if layer in LAYERS else len(LAYERS)


def ordered_layers(layers: Sequence[str] | set[str] | Mapping[str, object]) -> list[str]:
    return sorted(set(layers), key=lambda name: (layer_rank(name), name))


def from_type(report: Report) -> str:
    types = []
    for t in report.targets:
        if t.from_type not in types:
            types.append(t.from_type)
    return "/".join(types) or "?"


def to_type(report: Report) -> str:
    if report.targets:
        return report.targets[0].to_type
    return report.to.upper()


def target_label(report: Report) -> str:
    return ", ".join(t.qualified for t in report.targets) or "(no target)"


# ----------------------------------------------------------------------------- per-table costs


@dataclass(frozen=True)
class ColumnCost:
    name: str
    type: str
    to_type: str
    reason: str
    confidence: float
    growth: int  # bytes per row
    indexes: tuple[str, ...]  # indexes (and the primary key) that hold the column
    alter: str  # the ALTER the plan needs


@dataclass(frozen=True)
class TableCost:
    name: str
    rows: int | None
    rows_estimated: bool
    bytes: int | None
    index_bytes: int | None
    columns: tuple[ColumnCost, ...]
    growth_bytes: int  # heap growth: rows x sum of per-column growth
    index_growth_bytes: int  # rows x per-column growth x number of indexes holding the column
    rewrite: str  # what the migration does to the table and which lock it holds
    dependents: tuple[str, ...]  # "view content_feed", ...
    is_target: bool


def in_place(to: str) -> bool:
    """bigint widens in place; uuid/text need a new column beside the old one (no cast from int exists)."""
    return to.upper() in ("BIGINT", "INT8")


def rewrite_note(dialect: str, to: str) -> str:
    """What the data migration does to the table, and the lock it holds (matches migration.sql)."""
    if dialect == "mysql":
        return "ALTER copies the table (ALGORITHM=COPY): writes blocked for the whole copy"
    if dialect == "sqlite":
        return "table rebuild (create, copy, rename): database locked while it runs"
    if in_place(to):
        return "ALTER COLUMN TYPE rewrites table + indexes under ACCESS EXCLUSIVE lock (reads and writes blocked)"
    return ("no full-table lock: ADD COLUMN is catalog-only, the batched backfill rewrites every row "
            "(heap ~2x until VACUUM), the swap holds ACCESS EXCLUSIVE briefly")


def _alter(table: str, column: str, to: str) -> str:
    if in_place(to):
        return f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {to.lower()};"
    return f"ALTER TABLE {table} ADD COLUMN {column}_new {to.lower()};  -- backfill, then swap"


def _indexes_holding(table: Table | None, column: str) -> tuple[str, ...]:
    if table is None:
        return ()
    names = [ix.name for ix in table.indexes if column in ix.columns]
    covered = {tuple(ix.columns) for ix in table.indexes}
    if column in table.primary_key and tuple(table.primary_key) not in covered:
        names.insert(0, f"{table.name}_pkey")
    return tuple(names)


def table_costs(report: Report) -> list[TableCost]:
    """One row per table the key change rewrites (the closure), targets first, then by rows."""
    target_tables = {t.table for t in report.targets}
    to_by_target = {t.qualified: t.to_type for t in report.targets}
    default_to = to_type(report)
    out: list[TableCost] = []
    for name in report.closure.tables:
        table = report.schema.table(name)
        rows = table.rows if table else None
        cols: list[ColumnCost] = []
        for ic in report.closure.columns_of(name):
            dest = to_by_target.get(ic.target, default_to)
            growth = growth_per_value(ic.type, dest)
            cols.append(ColumnCost(
                name=ic.column, type=ic.type, to_type=dest, reason=ic.reason, confidence=ic.confidence,
                growth=growth, indexes=_indexes_holding(table, ic.column),
                alter=_alter(name, ic.column, dest),
            ))
        per_row = sum(c.growth for c in cols)
        per_row_ix = sum(c.growth * len(c.indexes) for c in cols)
        deps = tuple(
            f"{d.kind} {d.name}" + (f" ({d.column})" if d.column else "")
            for d in impacted_dependents(report) if d.table == name
        )
        out.append(TableCost(
            name=name, rows=rows, rows_estimated=table.rows_estimated if table else True,
            bytes=table.bytes if table else None, index_bytes=table.index_bytes if table else None,
            columns=tuple(sorted(cols, key=lambda c: c.name)),
            growth_bytes=(rows or 0) * per_row, index_growth_bytes=(rows or 0) * per_row_ix,
            rewrite=rewrite_note(report.schema.dialect, cols[0].to_type if cols else default_to), dependents=deps, is_target=name in target_tables,
        ))
    out.sort(key=lambda c: (not c.is_target, -(c.rows or 0), c.name))
    return out


# ----------------------------------------------------------------------------- the verdict


@dataclass(frozen=True)
class Headline:
    targets: str
    from_type: str
    to_type: str
    tables: int
    rows: int
    growth_bytes: int
    index_growth_bytes: int
    locations: int
    files: int
    must_change: int
    hazards: int
    info: int
    effort_lo: float
    effort_hi: float
    skipped: int
    #: diff / baseline mode: the verdict is what the change adds, the whole migration stands apart
    diff: DiffView | None = None

    @property
    def title(self) -> str:
        return f"impact: {self.targets} {self.from_type} → {self.to_type}"

    @property
    def effort(self) -> str:
        return f"{fmt_days(self.effort_lo)}–{fmt_days(self.effort_hi)} days"

    def sentence(self) -> str:
        """The verdict in one line (plain text, no markup)."""
        if self.diff is not None:
            return self.diff.verdict
        return (
            f"{plural(self.tables, 'table')} / {human_count(self.rows)} rows to rewrite, "
            f"{plural(self.locations, 'location')} in {plural(self.files, 'file')} "
            f"({self.must_change} must change, {plural(self.hazards, 'hazard')}), est. {self.effort}"
        )


def headline(report: Report) -> Headline:
    costs = table_costs(report)
    kinds = Counter(f.kind for f in report.findings)
    lo, hi = report.summary.effort_days
    return Headline(
        targets=target_label(report), from_type=from_type(report), to_type=to_type(report),
        tables=len(costs), rows=sum(c.rows or 0 for c in costs),
        growth_bytes=sum(c.growth_bytes for c in costs),
        index_growth_bytes=sum(c.index_growth_bytes for c in costs),
        locations=len(report.findings), files=len({f.path for f in report.findings}),
        must_change=kinds.get("must_change", 0), hazards=kinds.get("hazard", 0), info=kinds.get("info", 0),
        effort_lo=lo, effort_hi=hi, skipped=report.summary.skipped, diff=diff_view(report),
    )


# ----------------------------------------------------------------------------- diff mode


@dataclass(frozen=True)
class DiffView:
    """Diff / baseline mode in words every renderer shows the same way (plain text, no markup)."""

    info: DiffInfo
    verdict: str  # what the change adds, one line
    standing: str  # the whole migration, one line, never presented as the change's
    counts: str  # "3 findings hidden by the baseline · 2 findings outside this diff", or ""
    patched: tuple[str, ...] | None  # files with a patch among the change's files (None: not made yet)
    effort: str  # what the change adds, e.g. "4–12 min"

    @property
    def change(self) -> str:
        return "this PR" if self.info.base else "this change"


def review_text(info: DiffInfo, paths: int = 5) -> str:
    """`@team-a (app/models.py, app/schemas.py), @bob (web/api.ts)`: owners and the files they review."""
    out = []
    for r in info.reviewers:
        shown = ", ".join(r.paths[:paths]) + (f", +{len(r.paths) - paths} more" if len(r.paths) > paths else "")
        out.append(f"{' '.join(r.owners)} ({shown})")
    return ", ".join(out)


def diff_info(report: Report) -> DiffInfo | None:
    from analyzer.diffmode import DiffInfo

    raw = report.extras.get("diff")
    return raw if isinstance(raw, DiffInfo) else None


def patched_files(report: Report, info: DiffInfo) -> tuple[str, ...] | None:
    """Files with a patch in the change (its findings are in its changed files); None before the
    patches are made (`pipeline.verified`), e.g. for the terminal summary."""
    if "patches" not in report.extras:
        return None
    changed = set(info.changed_files)
    return tuple(p for p in patches(report) if not info.base or p in changed)


def added_effort(minutes: tuple[float, float], days: tuple[float, float]) -> str:
    """A change's effort at its own scale: minutes, hours, or the summary's days."""
    lo, hi = minutes
    if hi < 60:
        return f"{lo:.0f}–{hi:.0f} min"
    if hi < 6 * 60:
        return f"{round(lo / 60, 1):g}–{round(hi / 60, 1):g} h"
    return f"{fmt_days(days[0])}–{fmt_days(days[1])} days"


def not_computed(info: DiffInfo) -> str:
    """The standing line of a scan bounded to what the change can reach (analyzer.colddiff)."""
    b = info.bounded
    scanned = f"the {b.scanned:,} of {b.files:,} Python files the change can reach" if b else "what the change can reach"
    return (f"Whole migration: not computed (no cached scan of the base; this run scanned {scanned}). "
            "A cached scan of the base gives it, and the exact answer")


def diff_view(report: Report) -> DiffView | None:
    info = diff_info(report)
    if info is None:
        return None
    kinds = Counter(f.kind for f in report.findings)
    files = len({f.path for f in report.findings})
    patched = patched_files(report, info)
    effort = added_effort(info.added_minutes, report.summary.effort_days)
    targets = target_label(report)
    changed = plural(len(info.changed_files), "changed file")
    if report.findings:
        adds = f"{kinds.get('must_change', 0)} must-change and {kinds.get('hazard', 0)} hazard findings"
        if kinds.get("info"):
            adds += f" (and {kinds['info']} info)"
        has = "" if patched is None else "; no file has patches" if not patched else (
            "; 1 file has patches" if len(patched) == 1 else f"; {len(patched)} files have patches")
        if info.base:
            verdict = f"This PR adds {adds} in {files} of {changed}, est. {effort}{has}"
        else:
            verdict = f"{adds[0].upper()}{adds[1:]} are new since the baseline, in {plural(files, 'file')}, " \
                      f"est. {effort}{has}"
    elif info.base:
        verdict = f"This PR does not touch the key {targets}: nothing key-related in its {changed}"
    else:
        verdict = f"Nothing new on the key {targets} since the baseline"
    s = info.standing
    costs = table_costs(report)
    standing = (
        f"Whole migration (not {'this PR' if info.base else 'only what is new'}): "
        f"{s.must_change} must-change, {plural(s.hazard, 'hazard')} in {plural(s.files, 'file')}, "
        f"{plural(len(costs), 'table')} / {human_count(sum(c.rows or 0 for c in costs))} rows to rewrite, "
        f"est. {fmt_days(s.effort_days[0])}–{fmt_days(s.effort_days[1])} days"
    ) if s is not None else not_computed(info)
    counts = " · ".join(
        [f"{plural(info.hidden_by_baseline, 'finding')} hidden by the baseline"] * bool(info.hidden_by_baseline)
        + [f"{plural(info.outside_diff or 0, 'finding')} outside this diff"] * bool(info.outside_diff))
    return DiffView(info, verdict, standing, counts, patched, effort)


@dataclass(frozen=True)
class LayerRow:
    layer: str
    must_change: int
    hazard: int
    info: int
    files: int

    @property
    def total(self) -> int:
        return self.must_change + self.hazard + self.info


def layer_rows(findings: Sequence[Finding]) -> list[LayerRow]:
    by: dict[str, Counter[str]] = {}
    files: dict[str, set[str]] = {}
    for f in findings:
        by.setdefault(f.layer, Counter())[f.kind] += 1
        files.setdefault(f.layer, set()).add(f.path)
    return [
        LayerRow(layer, by[layer]["must_change"], by[layer]["hazard"], by[layer]["info"], len(files[layer]))
        for layer in ordered_layers(by)
    ]


def top_findings(findings: Sequence[Finding], n: int) -> list[Finding]:
    """The `n` findings a reviewer should see first: mostly must-change, but hazards are never crowded
    out (they break silently), and info never makes the list. Returned in report order."""
    must = sorted((f for f in findings if f.kind == "must_change"), key=priority_key)
    hazards = sorted((f for f in findings if f.kind == "hazard"), key=priority_key)
    take_h = min(len(hazards), max(n // 3, n - len(must)))
    chosen = {id(f) for f in hazards[:take_h]} | {id(f) for f in must[: n - take_h]}
    return [f for f in findings if id(f) in chosen]


def priority_key(f: Finding) -> tuple[int, int, int]:
    """Most urgent first: severity, then must_change before hazard, then deployment order."""
    kind_rank = {"must_change": 0, "hazard": 1, "info": 2}.get(f.kind, 3)
    return (-SEVERITY_RANK.get(f.severity, 0), kind_rank, layer_rank(f.layer))


# ----------------------------------------------------------------------------- extras


def rule_catalogue(report: Report) -> dict[str, RuleMeta]:
    """`extras["rules"]` (a list of RuleMeta, or of dicts with the same keys), by code."""
    raw = report.extras.get("rules")
    out: dict[str, RuleMeta] = {}
    if not isinstance(raw, (list, tuple)):
        return out
    for item in raw:
        if isinstance(item, RuleMeta):
            out[item.code] = item
        elif isinstance(item, Mapping) and "code" in item:
            try:
                out[str(item["code"])] = RuleMeta(**{k: item[k] for k in RuleMeta.__dataclass_fields__ if k in item})
            except TypeError:
                continue
    return out


#: longest source excerpt a report embeds (a minified bundle is one line of megabytes)
SNIPPET_MAX = 300
#: longest message, evidence, review or reason a report embeds
TEXT_MAX = 500
ELLIPSIS = "…"


def clip(text: str, limit: int = TEXT_MAX) -> str:
    """`text`, or its first `limit - 1` characters and an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def window(line: str, column: int, limit: int = SNIPPET_MAX) -> str:
    """At most `limit` characters of `line` around the 1-based `column`, an ellipsis at each cut end.

    The column stays inside the excerpt (a third of the room before it, the rest after), so the
    reader still sees what was flagged on a minified line.
    """
    if len(line) <= limit:
        return line
    room = limit - 2  # one ellipsis each side at most
    start = max(0, min(column - 1 - room // 3, len(line) - room))
    end = min(len(line), start + room)
    return (ELLIPSIS if start > 0 else "") + line[start:end] + (ELLIPSIS if end < len(line) else "")


def bounded(report: Report) -> Report:
    """The report with every free text a renderer embeds cut to `TEXT_MAX` (symbols to `SNIPPET_MAX`):
    messages and evidence can quote code, and one minified line must not make a 100 MB page."""
    def cut(f: Finding) -> Finding:
        message, evidence, review = clip(f.message), clip(f.evidence), clip(f.review)
        symbol = clip(f.symbol, SNIPPET_MAX)
        if (message, evidence, review, symbol) == (f.message, f.evidence, f.review, f.symbol):
            return f
        return replace(f, message=message, evidence=evidence, review=review, symbol=symbol)

    def cut_outcome(o: FileOutcome) -> FileOutcome:
        return replace(o, reason=clip(o.reason)) if isinstance(o, (Skipped, Failed)) and len(o.reason) > TEXT_MAX else o

    findings = tuple(cut(f) for f in report.findings)
    outcomes = tuple(cut_outcome(o) for o in report.outcomes)
    if all(a is b for a, b in zip(findings, report.findings, strict=True)) and \
            all(a is b for a, b in zip(outcomes, report.outcomes, strict=True)):
        return report
    return replace(report, findings=findings, outcomes=outcomes)


def snippets(report: Report) -> dict[str, str]:
    """fingerprint -> the finding's source line, cut to a window around its column."""
    raw = report.extras.get("snippets")
    if not isinstance(raw, Mapping):
        return {}
    columns = {f.fingerprint: f.span.column for f in report.findings}
    return {str(k): window(str(v), columns.get(str(k), 1)) for k, v in raw.items()}


def patches(report: Report) -> dict[str, str]:
    raw = report.extras.get("patches")
    if not isinstance(raw, Mapping):
        return {}
    return {str(k): str(v) for k, v in sorted(raw.items()) if v}


def patch_excerpts(report: Report) -> dict[str, str]:
    """The patches for display: each diff line cut to `SNIPPET_MAX` (the files in patches/ stay whole)."""
    return {path: "\n".join(clip(line, SNIPPET_MAX) for line in diff.splitlines())
            for path, diff in patches(report).items()}


def effort_model(report: Report) -> dict[str, object]:
    raw = report.extras.get("effort_model")
    return dict(raw) if isinstance(raw, Mapping) else {}


def _source_text(report: Report, path: str, cache: dict[str, str | None]) -> str | None:
    """The file's text, from `extras["sources"]` (in memory) or `extras["files"]` (path -> absolute path)."""
    if path in cache:
        return cache[path]
    text: str | None = None
    sources = report.extras.get("sources")
    files = report.extras.get("files")
    if isinstance(sources, Mapping) and isinstance(sources.get(path), str):
        text = str(sources[path])
    elif isinstance(files, Mapping) and files.get(path):
        try:
            with open(Path(str(files[path])), encoding="utf-8", newline="") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError):
            text = None
    cache[path] = text
    return text


@dataclass(frozen=True)
class EditPreview:
    before: str
    after: str


def edit_previews(report: Report) -> dict[str, EditPreview]:
    """fingerprint -> the lines an edit touches, before and after (only where the source is known).

    Edits are str offsets on the file's text; the preview shows the lines they fall on so the reader
    sees the change in context (a window around the change when a line is longer than `SNIPPET_MAX`).
    """
    cache: dict[str, str | None] = {}
    out: dict[str, EditPreview] = {}
    for f in report.findings:
        if not f.edits:
            continue
        text = _source_text(report, f.path, cache)
        if text is None:
            continue
        edits = sorted(f.edits, key=lambda e: e.start)
        if edits[0].start < 0 or edits[-1].end > len(text):
            continue
        lo = text.rfind("\n", 0, edits[0].start) + 1
        hi = text.find("\n", edits[-1].end)
        hi = len(text) if hi < 0 else hi
        before = text[lo:hi]
        pieces, pos = [], lo
        for e in edits:
            if e.start < pos:  # overlapping edits: give up rather than show something wrong
                break
            pieces.append(text[pos:e.start])
            pieces.append(e.text)
            pos = e.end
        else:
            pieces.append(text[pos:hi])
            column = edits[0].start - lo + 1  # where the change starts, the same in both lines
            out[f.fingerprint] = EditPreview(window(before.rstrip("\r"), column),
                                             window("".join(pieces).rstrip("\r"), column))
    return out


def edit_summary(f: Finding) -> str:
    """Short text of what the fix inserts, for renderers without the source."""
    texts = [e.text for e in f.edits if e.text]
    return clip(" · ".join(dict.fromkeys(texts)), SNIPPET_MAX)


def impacted_dependents(report: Report) -> tuple[Dependent, ...]:
    """Views, triggers, functions, policies... that touch a column the change rewrites (not the whole table)."""
    from analyzer.db import dependents

    return dependents(report.schema, report.closure)
