"""The one data model every stage shares: findings, per-file outcomes, the schema snapshot, the report.

Data flows one way (STYLE.md): the database and the source trees produce these values; renderers,
codemods and the planner only read them. Everything here is immutable so a renderer cannot change
what another renderer sees.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol


class Progress(Protocol):
    """The progress callback every stage takes: the CLI's rich bar, or nothing. One signature, checked by
    mypy, because a stage calling it with another keyword crashed every interactive run once."""

    def __call__(self, n: int = 1, description: str | None = None, total: int | None = None) -> None: ...


def no_progress(n: int = 1, description: str | None = None, total: int | None = None) -> None:
    """The silent Progress (pipes, CI logs, --quiet, library use)."""


Kind = Literal["must_change", "hazard", "info"]
Severity = Literal["error", "warning", "note"]
Language = Literal["python", "typescript", "sql"]

#: Layers in deployment order: database -> backend -> workers -> frontend -> tests.
LAYERS: tuple[str, ...] = (
    "db-model",
    "migration",
    "raw-sql",
    "pydantic",
    "route",
    "service",
    "task",
    "ts-type",
    "ts-api",
    "ts-hook",
    "ts-state",
    "ts-validation",
    "ts-url",
    "ts-component",
    "test",
    "other",
)
KINDS: tuple[str, ...] = ("must_change", "hazard", "info")
SEVERITIES: tuple[str, ...] = ("error", "warning", "note")
SEVERITY_RANK = {"note": 0, "warning": 1, "error": 2}
DEFAULT_SEVERITY: dict[str, Severity] = {"must_change": "error", "hazard": "warning", "info": "note"}

TARGET_TYPES: dict[str, str] = {"uuid": "UUID", "uuid7": "UUID", "bigint": "BIGINT", "text": "TEXT"}


@dataclass(frozen=True, slots=True)
class Span:
    """1-based, end-inclusive line and 1-based column range (end_column points past the last char)."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True, slots=True)
class Edit:
    """A byte-exact replacement proposed by a rule: `source[start:end]` becomes `text` (str offsets)."""

    start: int
    end: int
    text: str
    #: import the codemod must make sure of, e.g. "import uuid" (Python) — added once per file
    requires_import: str | None = None
    safe: bool = True


@dataclass(frozen=True, slots=True)
class Finding:
    """One place in code (or SQL) that the key change reaches."""

    rule: str  # dotted rule name, e.g. "py.pydantic.field"
    code: str  # stable rule code, e.g. "PY012"
    layer: str
    language: Language
    kind: Kind
    severity: Severity
    path: str  # relative to its root, '/'-separated, prefixed by the root's name when several roots
    span: Span
    symbol: str  # dotted symbol path, e.g. "ImageOut.content_id"; never a line number
    message: str
    evidence: str = ""
    target: str = ""  # "table.column" of the target group the finding belongs to
    edits: tuple[Edit, ...] = ()
    review: str = ""  # for hazards without a safe fix: the suggested approach
    fingerprint: str = ""
    #: the target types this finding holds for when narrower than its rule's (`RuleMeta.applies_to`):
    #: `le=2**31-1` holds for bigint where the same rule's `gt=0` does not; () = the rule's
    applies_to: tuple[str, ...] = ()

    @property
    def fix(self) -> bool:
        """A safe mechanical fix exists (unsafe edits are suggestions for review, never patched)."""
        return any(e.safe for e in self.edits)

    @property
    def line(self) -> int:
        return self.span.line


@dataclass(frozen=True, slots=True)
class Ok:
    path: str
    findings: int = 0
    status: Literal["ok"] = "ok"


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    reason: str
    status: Literal["skipped"] = "skipped"


@dataclass(frozen=True, slots=True)
class Failed:
    path: str
    reason: str
    status: Literal["failed"] = "failed"


FileOutcome = Ok | Skipped | Failed


# ----------------------------------------------------------------------------- schema snapshot


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str  # as the engine spells it, upper-cased ("INTEGER", "BIGINT", "UUID")
    nullable: bool = True
    default: str | None = None
    identity: bool = False  # identity / autoincrement / serial
    sequence: str | None = None  # owning sequence, where known
    generated: str = ""  # PostgreSQL identity: "always" | "by default"; "" for none (serial is a default)


@dataclass(frozen=True, slots=True)
class ForeignKey:
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    name: str | None = None
    on_delete: str | None = None
    on_update: str | None = None


@dataclass(frozen=True, slots=True)
class Index:
    name: str
    columns: tuple[str, ...]
    unique: bool = False
    definition: str = ""  # the engine's CREATE INDEX text (PostgreSQL: pg_get_indexdef), when read
    constraint: str = ""  # the primary key / unique / exclusion constraint this index backs, if any


@dataclass(frozen=True, slots=True)
class Constraint:
    """A table constraint as the engine states it (PostgreSQL: pg_get_constraintdef)."""

    name: str
    kind: str  # "primary key" | "unique" | "foreign key" | "check" | "exclude"
    columns: tuple[str, ...]
    definition: str  # "FOREIGN KEY (a) REFERENCES t(id) ON DELETE CASCADE", "CHECK ((a > 0))"
    index: str = ""  # backing index (primary key, unique, exclude)


@dataclass(frozen=True, slots=True)
class Dependent:
    """A database object that depends on an affected column (view, trigger, function, policy...)."""

    kind: str
    name: str
    table: str
    column: str | None = None
    definition: str = ""
    ddl: str = ""  # the full CREATE statement when read (functions: pg_get_functiondef)


@dataclass(frozen=True, slots=True)
class Table:
    name: str  # qualified "schema.table" only when not in the default schema
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    indexes: tuple[Index, ...] = ()
    unique_constraints: tuple[tuple[str, ...], ...] = ()
    rows: int | None = None
    rows_estimated: bool = True
    bytes: int | None = None
    index_bytes: int | None = None
    toast_bytes: int | None = None
    constraints: tuple[Constraint, ...] = ()  # every constraint with its definition, when the engine says

    def column(self, name: str) -> Column | None:
        for col in self.columns:
            if col.name == name:
                return col
        return None


@dataclass(frozen=True, slots=True)
class SchemaSnapshot:
    dialect: str  # "postgresql" | "sqlite" | "mysql" | "models" (inferred from ORM code)
    tables: tuple[Table, ...]
    dependents: tuple[Dependent, ...] = ()
    source: str = ""  # redacted URL or "models"
    notes: tuple[str, ...] = ()  # what the reader could not tell (models: a table name computed by code)

    def table(self, name: str) -> Table | None:
        for t in self.tables:
            if t.name == name:
                return t
        return None


@dataclass(frozen=True, slots=True)
class Reference:
    """An edge `from_table.from_column -> to_table.to_column` of the FK graph."""

    from_table: str
    from_column: str
    to_table: str
    to_column: str
    kind: Literal["declared", "inferred", "polymorphic", "virtual"]
    confidence: float
    evidence: str = ""
    rows: int | None = None

    @property
    def source(self) -> str:
        return f"{self.from_table}.{self.from_column}"

    @property
    def dest(self) -> str:
        return f"{self.to_table}.{self.to_column}"


@dataclass(frozen=True, slots=True)
class Target:
    table: str
    column: str
    from_type: str = "INTEGER"
    to_type: str = "UUID"

    @property
    def qualified(self) -> str:
        return f"{self.table}.{self.column}"


@dataclass(frozen=True, slots=True)
class ImpactedColumn:
    """A column whose type must change with the targets, and why."""

    table: str
    column: str
    type: str
    reason: str  # "target" | "declared FK to content_items.id" | ...
    confidence: float = 1.0
    target: str = ""

    @property
    def qualified(self) -> str:
        return f"{self.table}.{self.column}"


@dataclass(frozen=True, slots=True)
class Closure:
    """Everything the key change reaches in the database: the input of scanners, codemods and planner."""

    targets: tuple[Target, ...]
    columns: tuple[ImpactedColumn, ...]
    references: tuple[Reference, ...]
    #: every table of the schema with its primary key columns, (name, (column, ...)): which names in code designate
    #: another entity's ids (`message_id` for chat_message) and which tables' own ids are the key
    schema_keys: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: the tables of `columns`, computed once (the scan asks millions of times)
    _tables: frozenset[str] = field(init=False, repr=False, compare=False, default=frozenset())

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tables", frozenset(c.table for c in self.columns))

    @property
    def tables(self) -> frozenset[str]:
        return self._tables

    def is_impacted(self, table: str, column: str) -> bool:
        return any(c.table == table and c.column == column for c in self.columns)

    def columns_of(self, table: str) -> tuple[ImpactedColumn, ...]:
        return tuple(c for c in self.columns if c.table == table)


# ----------------------------------------------------------------------------- report


@dataclass(frozen=True, slots=True)
class Summary:
    files: int
    findings: int
    by_layer: dict[str, int]
    by_kind: dict[str, int]
    effort_days: tuple[float, float]
    skipped: int = 0


@dataclass(frozen=True)
class Report:
    version: int
    tool_version: str
    to: str
    targets: tuple[Target, ...]
    roots: tuple[str, ...]
    schema: SchemaSnapshot
    closure: Closure
    findings: tuple[Finding, ...]
    outcomes: tuple[FileOutcome, ...]
    summary: Summary
    schema_source: str = ""
    duration_s: float = 0.0
    extras: dict[str, object] = field(default_factory=dict)


# ----------------------------------------------------------------------------- fingerprints


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def with_fingerprints(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Stable fingerprints: rule code, path, symbol and target; an index separates duplicates.

    No line number goes in, so baselines and PR comments survive code moving around. Duplicates
    (same rule, path, symbol, target) are numbered in source order.
    """
    ordered = sorted(findings, key=sort_key)
    seen: dict[str, int] = {}
    out = []
    for f in ordered:
        base = _digest(f.code, f.path, f.symbol, f.target)
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.append(replace(f, fingerprint=_digest(base, str(n))))
    return tuple(out)


def sort_key(f: Finding) -> tuple[int, str, int, int, str]:
    layer_rank = LAYERS.index(f.layer) if f.layer in LAYERS else len(LAYERS)
    return (layer_rank, f.path, f.span.line, f.span.column, f.code)


def dedupe(findings: Sequence[Finding]) -> list[Finding]:
    """Drop exact repeats (same code, path, span): two rules may reach one node by two routes."""
    seen: set[tuple[str, str, Span]] = set()
    out = []
    for f in findings:
        key = (f.code, f.path, f.span)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


# ----------------------------------------------------------------------------- stage contracts


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file found under one of the roots. `path` is what findings carry (SPEC `path`)."""

    root: str  # the root as given on the command line ("backend", "." ...)
    abs_path: str
    path: str  # relative to its root, '/'-separated, prefixed by the root name when several roots
    language: Language


@dataclass(frozen=True, slots=True)
class RouteSeed:
    """A backend route whose path or body carries the key, for linking front-end calls to it."""

    method: str  # "GET", "POST", ...
    template: str  # "/api/v1/contents/{content_id}" (full path, router prefixes applied)
    params: tuple[str, ...]  # params holding the key: path params (in the template), then query params
    origin: str  # "backend/app/api/routes/contents.py:41"
    symbol: str = ""  # handler, e.g. "contents.get_content"


@dataclass(frozen=True, slots=True)
class KeySeeds:
    """What the Python side learned that the TypeScript side starts from."""

    #: field names of Pydantic schemas / ORM attributes that hold the key (snake_case as written)
    field_names: frozenset[str] = frozenset()
    routes: tuple[RouteSeed, ...] = ()
    #: field name -> where it was learned, for evidence chains ("ImageOut.content_id in app/schemas.py:12")
    origins: dict[str, str] = field(default_factory=dict)
    #: words naming the schema's other entities, whose ids are not the key ("patient", "payments"): a name
    #: `<word>Id` / `<word>_ids` designates their ids, and the key's flow stops there (PY068 on the Python side)
    foreign_entities: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RuleMeta:
    """What the catalogue (`impact rules list/show`, SARIF, the HTML report) says about a rule."""

    code: str
    name: str
    language: Language | Literal["any"]  # "any": the IM rules about suppression comments
    layer: str
    kind: Kind
    severity: Severity
    summary: str  # first line of the docstring
    doc: str  # the whole docstring: anti-pattern and best practice
    fixable: bool = False
    #: the target types this rule's findings hold for (`impact plan` prices each strategy with its own):
    #: "UUID", "TEXT", "BIGINT", and "BIGINT_PAST_2_53" for JavaScript-number findings, which hold for
    #: bigint only when the key's values can pass Number.MAX_SAFE_INTEGER
    applies_to: tuple[str, ...] = ("UUID", "TEXT", "BIGINT")


#: what a finding about a 32-bit integer (an int4 column, `::int`, `le=2**31-1`) holds for: every target type
ANY_TARGET: tuple[str, ...] = ("UUID", "TEXT", "BIGINT")
#: what a finding about the key being an integer at all (Python `int`, ordering, arithmetic, `int()`) holds
#: for: a key that stops being a number, not one that widens to int8
NOT_BIGINT: tuple[str, ...] = ("UUID", "TEXT")
#: what a JavaScript-number finding holds for: a number holds every integer below 2**53 exactly
JS_NUMBER: tuple[str, ...] = ("UUID", "TEXT", "BIGINT_PAST_2_53")


_TYPE_WORDS = {"UUID": "uuid / uuid7", "TEXT": "text", "BIGINT": "bigint",
               "BIGINT_PAST_2_53": "bigint once ids can pass 2**53"}


def targets_line(applies_to: Sequence[str]) -> str:
    """The catalogue's statement of the target types a rule fires for, made from its `applies_to`."""
    return "Fires for: " + ", ".join(_TYPE_WORDS.get(t, t.lower()) for t in applies_to) + "."


def holds_for(f: Finding, meta: RuleMeta | None, to_type: str, past_2_53: bool = False) -> bool:
    """Does finding `f` hold when the key becomes `to_type` ("UUID", "TEXT", "BIGINT")?

    The finding's own `applies_to` when its rule narrowed it, else its rule's. `past_2_53`: a bigint key
    can pass Number.MAX_SAFE_INTEGER (measured from the database, `analyzer.plan.strategies.js_reachable`).
    `impact scan --to` keeps, and `impact plan` prices each strategy with, exactly these findings."""
    types = f.applies_to or (meta.applies_to if meta is not None else ())
    if not types or to_type in types:
        return True
    return to_type == "BIGINT" and past_2_53 and "BIGINT_PAST_2_53" in types


@dataclass(frozen=True)
class ScanResult:
    findings: tuple[Finding, ...] = ()
    outcomes: tuple[FileOutcome, ...] = ()
    seeds: KeySeeds = field(default_factory=KeySeeds)
    #: counters worth showing (files parsed, prefiltered away, cache hits, seconds ...)
    stats: dict[str, float] = field(default_factory=dict)
