"""The decision: every strategy for the key change priced side by side (`impact plan`, plan.json).

Strategies: `uuid` (v4), `uuid7`, `bigint`, `shared-sequence` (the targets share one id space, one
sequence hands out ids for all) and `keep` (nothing changes; the cost of waiting is the overflow horizon).

Each is priced from what was measured where we can, from a stated model where we cannot:
- code: the scan's must-change and hazard findings *for that strategy*. Rules declare the target types
  their findings hold for (`RuleMeta.applies_to`): an `int` annotation, an ordering or an arithmetic
  hazard is right for UUID and wrong for bigint (Python's int has no width), and a JavaScript-number
  finding holds for bigint only when the key can pass 2**53 (`BIGINT_PAST_2_53`).
- data: the strategy's `Migration` (analyzer/plan/steps.py): rows rewritten, lock class of every step,
  durations from a rehearsal (measured, scaled to full size) or from the throughput model below.
- risk: what can break in production, and whether each step can be rolled back.
- effort: findings priced per layer (patched ones cost a review only), tables and rows of the data
  migration, times (1 ± uncertainty); every assumption is listed in the plan.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analyzer.config import Config
from analyzer.models import (
    Closure,
    Finding,
    Progress,
    Report,
    RuleMeta,
    SchemaSnapshot,
    holds_for,
    no_progress,
)
from analyzer.plan.steps import Migration, MigrationRefused, Step

if TYPE_CHECKING:  # imported where a database is read: a scan without --db never loads SQLAlchemy
    import sqlalchemy as sa

STRATEGIES: tuple[str, ...] = ("uuid", "uuid7", "bigint", "shared-sequence", "keep")
TYPE_OF = {"uuid": "UUID", "uuid7": "UUID", "bigint": "BIGINT", "text": "TEXT"}
INT4_MAX = 2**31 - 1
JS_SAFE_MAX = 2**53 - 1
#: a bigint key "can pass 2**53" when its projected value within this horizon does
JS_HORIZON_YEARS = 10

#: the throughput model used when nothing was rehearsed (rows per second on one core, PostgreSQL)
MODEL = {
    "rewrite_rows_per_s": 150_000,  # ALTER COLUMN TYPE: table rewrite plus index rebuilds
    "backfill_rows_per_s": 40_000,  # batched UPDATE ... FROM join, per batch committed
    "index_rows_per_s": 400_000,  # CREATE INDEX CONCURRENTLY / VALIDATE CONSTRAINT scans
    "metadata_step_s": 0.05,  # catalog-only DDL (add column, set default, rename)
    "hours_per_day": 6,
}
BLOCKING = ("ACCESS EXCLUSIVE", "EXCLUSIVE", "SHARE ROW EXCLUSIVE", "SHARE")


def plan_strategies(to: str) -> tuple[str, ...]:
    """The strategies a scan towards `to` can price: its findings hold the UUID superset unless it was
    made towards bigint, whose scan keeps only what holds for bigint (then `impact plan` prices UUID)."""
    return STRATEGIES if to != "bigint" else ("bigint", "shared-sequence", "keep")


@dataclass(frozen=True)
class KeyFacts:
    """What the live database says about one target key (read-only queries)."""

    target: str
    type: str
    rows: int | None
    max_id: int | None
    sequence: str | None = None
    last_value: int | None = None
    ids_per_day: float | None = None
    growth_evidence: str = ""

    @property
    def high_water(self) -> int | None:
        values = [v for v in (self.max_id, self.last_value) if v is not None]
        return max(values) if values else None


@dataclass
class StrategyPlan:
    name: str
    code: dict[str, int]
    data: dict[str, Any]
    effort_days: tuple[float, float]
    migration: str | None  # path relative to the out folder
    risks: list[str]
    steps: list[dict[str, Any]] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    refused: str | None = None  # why no migration could be written
    collisions: dict[str, Any] | None = None
    rehearsal: dict[str, Any] | None = None
    horizon: list[dict[str, Any]] | None = None  # keep (and shared-sequence): when each key runs out
    script: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "code": self.code, "data": self.data,
                               "effort_days": list(self.effort_days), "migration": self.migration,
                               "risks": self.risks, "steps": self.steps, "assumptions": self.assumptions}
        if self.refused:
            out["refused"] = self.refused
        if self.collisions is not None:
            out["collisions"] = self.collisions
        if self.rehearsal is not None:
            out["rehearsal"] = self.rehearsal
        if self.horizon is not None:
            out["horizon"] = self.horizon
        return out


@dataclass
class Plan:
    targets: tuple[str, ...]
    strategies: list[StrategyPlan]
    keys: dict[str, KeyFacts]
    source: str
    recommendation: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"version": 1, "targets": list(self.targets), "source": self.source,
                "recommendation": self.recommendation,
                "keys": {k: _facts_json(v) for k, v in self.keys.items()},
                "strategies": [s.to_json() for s in self.strategies]}


def _facts_json(f: KeyFacts) -> dict[str, Any]:
    return {"type": f.type, "rows": f.rows, "max_id": f.max_id, "sequence": f.sequence,
            "last_value": f.last_value, "ids_per_day": f.ids_per_day, "growth_evidence": f.growth_evidence}


# ----------------------------------------------------------------------------------------------- keys
_CREATED = ("created_at", "created", "inserted_at", "created_on", "creation_date", "date_created", "created_time")


def measure_keys(engine: sa.Engine | None, schema: SchemaSnapshot, closure: Closure) -> dict[str, KeyFacts]:
    """Max id, sequence position and id consumption per day of every target (read-only)."""
    out: dict[str, KeyFacts] = {}
    for t in closure.targets:
        table = schema.table(t.table)
        col = table.column(t.column) if table else None
        facts = KeyFacts(t.qualified, col.type if col else t.from_type, table.rows if table else None, None,
                         col.sequence if col else None)
        if engine is not None and table is not None and col is not None:
            facts = _measure_key(engine, schema, facts, t.table, t.column)
        out[t.qualified] = facts
    return out


def _sa_table(schema: SchemaSnapshot, name: str, columns: Sequence[str]) -> sa.Table:
    import sqlalchemy as sa

    owner, _, bare = name.rpartition(".")
    return sa.Table(bare, sa.MetaData(), *(sa.Column(c) for c in columns), schema=owner or None)


def _measure_key(engine: sa.Engine, schema: SchemaSnapshot, facts: KeyFacts, table_name: str,
                 column: str) -> KeyFacts:
    import sqlalchemy as sa

    table = schema.table(table_name)
    assert table is not None
    created = next((c.name for name in _CREATED for c in table.columns if c.name.lower() == name), None)
    tbl = _sa_table(schema, table_name, [column] + ([created] if created else []))
    key = tbl.c[column]
    max_id = rows = last_value = None
    per_day: float | None = None
    evidence = "no creation timestamp column: growth unknown"
    try:
        with engine.connect() as conn:
            max_id, rows = conn.execute(sa.select(sa.func.max(key), sa.func.count())).one()
            if facts.sequence and schema.dialect == "postgresql":
                seq = sa.table(facts.sequence.rpartition(".")[2], sa.column("last_value"), sa.column("is_called"),
                               schema=facts.sequence.rpartition(".")[0] or None)
                value, called = conn.execute(sa.select(seq.c.last_value, seq.c.is_called)).one()
                last_value = int(value) if called else int(value) - 1
            if created:
                stamp = tbl.c[created]
                newest = conn.execute(sa.select(sa.func.max(stamp))).scalar()
                if isinstance(newest, str):
                    newest = datetime.fromisoformat(newest)
                if isinstance(newest, datetime):
                    since = newest - timedelta(days=30)
                    lo, hi, oldest = conn.execute(sa.select(sa.func.min(key), sa.func.max(key), sa.func.min(stamp))
                                                  .where(stamp >= since)).one()
                    if isinstance(oldest, str):
                        oldest = datetime.fromisoformat(oldest)
                    days = max((newest - oldest).total_seconds() / 86400, 1.0) if oldest else 30.0
                    if lo is not None and hi is not None:
                        per_day = (int(hi) - int(lo)) / days
                        evidence = (f"ids {int(lo):,}..{int(hi):,} created in the {days:.0f} days up to "
                                    f"{newest:%Y-%m-%d} (`{created}`)")
    except sa.exc.SQLAlchemyError as exc:  # a measurement is optional; the plan says what it lacks
        evidence = f"not measured ({type(exc).__name__})"
    return KeyFacts(facts.target, facts.type, int(rows) if rows is not None else facts.rows,
                    int(max_id) if max_id is not None else None, facts.sequence, last_value, per_day, evidence)


def _is_int4(type_name: str) -> bool:
    t = type_name.upper()
    return t in ("INTEGER", "INT", "INT4", "SERIAL", "MEDIUMINT", "SMALLINT", "INT2") or t.startswith("INT(")


def horizon(facts: Mapping[str, KeyFacts], shared: bool = False) -> list[dict[str, Any]]:
    """When each int4 key runs out at the measured growth; with `shared`, one sequence feeds all targets."""
    rows: list[dict[str, Any]] = []
    keyed = [f for f in facts.values() if _is_int4(f.type)]
    if shared and keyed:
        high = max(f.high_water or 0 for f in keyed)
        rates = [f.ids_per_day for f in keyed]
        rate = sum(r for r in rates if r) if all(r is not None for r in rates) else None
        rows.append(_horizon_row(" + ".join(f.target for f in keyed), high, rate,
                                 "one sequence hands out the ids of every target"))
        return rows
    for f in keyed:
        rows.append(_horizon_row(f.target, f.high_water or 0, f.ids_per_day, f.growth_evidence))
    return rows


def _horizon_row(target: str, high: int, per_day: float | None, evidence: str) -> dict[str, Any]:
    used = high / INT4_MAX
    days = (INT4_MAX - high) / per_day if per_day else None
    return {"target": target, "high_water": high, "limit": INT4_MAX, "used": round(used, 6),
            "ids_per_day": round(per_day, 1) if per_day is not None else None,
            "days_left": round(days) if days is not None else None,
            "runs_out": _date_after(days), "evidence": evidence}


def _date_after(days: float | None) -> str | None:
    if days is None:
        return None
    if days > 2_900_000:  # past the calendar's year 9999
        return "after 9999"
    return (datetime.now() + timedelta(days=days)).strftime("%Y-%m-%d")


# ----------------------------------------------------------------------------------------------- code
def js_reachable(facts: Mapping[str, KeyFacts]) -> bool:
    """Can a bigint key pass Number.MAX_SAFE_INTEGER within the horizon, at the measured growth?"""
    for f in facts.values():
        high = f.high_water or 0
        projected = high + (f.ids_per_day or 0) * 365 * JS_HORIZON_YEARS
        if projected >= JS_SAFE_MAX:
            return True
    return False


def bigint_past_2_53(db_url: str | None, schema: SchemaSnapshot, closure: Closure) -> bool:
    """`impact scan --to bigint`'s question, answered as the plan answers it: can a key pass 2**53 within
    the horizon (max id, sequence and growth read from the database; no database, no evidence: no)?"""
    if not db_url:
        return js_reachable(measure_keys(None, schema, closure))
    from analyzer import db

    engine = db.open_engine(db_url)
    try:
        return js_reachable(measure_keys(engine, schema, closure))
    finally:
        engine.dispose()


def strategy_findings(findings: Sequence[Finding], strategy: str, rules: Mapping[str, RuleMeta],
                      facts: Mapping[str, KeyFacts], closure: Closure) -> list[Finding]:
    """The findings that must be dealt with under `strategy` (info findings never count)."""
    live = [f for f in findings if f.kind != "info"]
    if strategy == "keep":
        return []
    if strategy == "shared-sequence":
        # the key keeps its type; what changes in code is how the targets get their ids: each model
        # of a target key names the shared sequence (the models' own key columns)
        own = {t.qualified for t in closure.targets}
        return [f for f in live if f.layer == "db-model" and f.kind == "must_change" and f.evidence == "target"
                and f.target in own]
    to_type = TYPE_OF[strategy]
    past = js_reachable(facts)
    return [f for f in live if holds_for(f, rules.get(f.code), to_type, past)]


def code_figures(findings: Sequence[Finding]) -> dict[str, int]:
    kinds = Counter(f.kind for f in findings)
    return {"must_change": kinds.get("must_change", 0), "hazard": kinds.get("hazard", 0),
            "patched": sum(1 for f in findings if f.fix), "files": len({f.path for f in findings})}


# ----------------------------------------------------------------------------------------------- data
def step_seconds(step: Step) -> float:
    """Modelled duration of one step (used when nothing was rehearsed)."""
    sql = step.sql.upper()
    if not step.rows:
        return MODEL["metadata_step_s"]
    if "CONCURRENTLY" in sql or "VALIDATE CONSTRAINT" in sql:
        return step.rows / MODEL["index_rows_per_s"]
    if step.lock == "ACCESS EXCLUSIVE":
        return step.rows / MODEL["rewrite_rows_per_s"]
    return step.rows / MODEL["backfill_rows_per_s"]


def _blocking_seconds(step: Step, seconds: float) -> float:
    """How long the step blocks writers: the whole step under a blocking lock, one batch otherwise."""
    if step.lock in BLOCKING:
        return seconds
    return 0.0


def data_figures(migration: Migration | None, growth_bytes: int, measured: Mapping[str, float] | None = None
                 ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    if migration is None:
        return ({"rows_rewritten": 0, "bytes": growth_bytes, "longest_lock_s": 0.0, "runtime_s": 0.0, "measured": False,
                 "steps": 0}, [])
    steps: list[dict[str, Any]] = []
    longest = total = 0.0
    for step in migration.steps:
        seconds = measured.get(step.name) if measured else None
        is_measured = seconds is not None
        if seconds is None:
            seconds = step_seconds(step)
        blocking = _blocking_seconds(step, seconds)
        longest = max(longest, blocking)
        total += seconds
        steps.append({"phase": step.phase, "name": step.name, "lock": step.lock, "table": step.table,
                      "rows": step.rows, "seconds": round(seconds, 3), "blocks_writes_s": round(blocking, 3),
                      "measured": is_measured, "transactional": step.transactional, "reversible": step.reversible})
    rows = sum(s.rows for s in migration.steps if s.phase in ("backfill", "rewrite", "remap"))
    if not rows:
        rows = sum(s.rows for s in migration.steps)
    return ({"rows_rewritten": rows, "bytes": growth_bytes, "longest_lock_s": round(longest, 2),
             "runtime_s": round(total, 1), "measured": bool(measured), "steps": len(migration.steps)}, steps)


def modelled_data(strategy: str, schema: SchemaSnapshot, closure: Closure, collisions: Mapping[str, Any] | None,
                  bytes_added: int) -> dict[str, Any]:
    """Data figures without a migration script: a type change rewrites every impacted table in place
    (the lock is the biggest table's rewrite); a shared sequence moves the colliding ids and their rows
    in batches (no long lock)."""
    _, rows = work_size(strategy, schema, closure, collisions)
    if strategy == "shared-sequence":
        longest, runtime = 0.0, rows / MODEL["backfill_rows_per_s"]
    else:
        sizes = [(t.rows or 0) for name in closure.tables if (t := schema.table(name)) is not None]
        longest, runtime = max(sizes, default=0) / MODEL["rewrite_rows_per_s"], rows / MODEL["rewrite_rows_per_s"]
    return {"rows_rewritten": rows, "bytes": bytes_added, "longest_lock_s": round(longest, 2),
            "runtime_s": round(runtime, 1), "measured": False, "steps": 0, "modelled_without_script": True}


def work_size(strategy: str, schema: SchemaSnapshot, closure: Closure,
              collisions: Mapping[str, Any] | None) -> tuple[int, int]:
    """Tables and rows the data migration works on, for the effort model: a type change touches every
    impacted table and its rows; a shared sequence the targets and the rows that point at moved ids."""
    if strategy == "keep":
        return 0, 0
    if strategy == "shared-sequence":
        by_column = (collisions or {}).get("by_column") or {}
        touched = {c.rpartition(".")[0] for c, v in by_column.items() if isinstance(v, dict) and v.get("rows")}
        moved = int((collisions or {}).get("ids", 0)) + int((collisions or {}).get("referencing_rows", 0))
        return len(touched | {t.table for t in closure.targets}), moved
    rows = sum((t.rows or 0) for name in closure.tables if (t := schema.table(name)) is not None)
    return len(closure.tables), rows


def growth_bytes(schema: SchemaSnapshot, closure: Closure, strategy: str) -> int:
    from analyzer.db import growth  # the package's function: importing the module by its path first would
    # leave `analyzer.db.growth` naming the module (its lazy __getattr__ is never asked)

    if strategy not in TYPE_OF:
        return 0
    per_table = growth(schema, closure, strategy)
    return int(sum(int(g.get("table_growth_bytes") or 0) + int(g.get("index_growth_bytes") or 0)  # type: ignore[call-overload]
                   for g in per_table.values()))


# --------------------------------------------------------------------------------------------- effort
def effort(findings: Sequence[Finding], tables: int, rows: int, cfg: Config) -> tuple[float, float]:
    """The same effort model as the scan's headline (pipeline.summarize), on this strategy's findings and
    data work, so the strategy matching `--to` shows the headline's figure."""
    minutes = sum(cfg.minutes_per_finding.get(f.layer, 10) for f in findings)
    hours = minutes / 60 + tables * cfg.hours_per_table + cfg.hours_per_million_rows * rows / 1_000_000
    days = hours / MODEL["hours_per_day"]
    return (round(days * (1 - cfg.uncertainty), 1), round(days * (1 + cfg.uncertainty), 1))


def assumptions(cfg: Config, measured: bool) -> list[str]:
    data = ("data step durations measured by a rehearsal and scaled to full table sizes" if measured else
            f"data step durations modelled: table rewrite {MODEL['rewrite_rows_per_s']:,} rows/s, batched "
            f"backfill {MODEL['backfill_rows_per_s']:,} rows/s, concurrent index/validation "
            f"{MODEL['index_rows_per_s']:,} rows/s (rehearse with --rehearse-db to measure)")
    return [data,
            "code: minutes per finding by layer " + ", ".join(f"{k} {v:g}" for k, v in sorted(cfg.minutes_per_finding.items()))
            + " (patched findings too: a patch still needs review, tests and a deploy)",
            f"data: {cfg.hours_per_table:g} h per table touched + {cfg.hours_per_million_rows:g} h per million rows "
            f"rewritten; {MODEL['hours_per_day']} working hours a day",
            f"range: estimate x (1 - {cfg.uncertainty:g}, 1 + {cfg.uncertainty:g}) ([tool.impact.effort] in pyproject.toml)"]


# ---------------------------------------------------------------------------------------------- risks
def risks(strategy: str, findings: Sequence[Finding], migration: Migration | None, facts: Mapping[str, KeyFacts],
          closure: Closure, collisions: Mapping[str, Any] | None) -> list[str]:
    out: list[str] = []
    ts = sum(1 for f in findings if f.language == "typescript")
    urls = sum(1 for f in findings if f.layer in ("route", "ts-url", "ts-api"))
    polymorphic = sorted({f"{r.from_table}.{r.from_column}" for r in closure.references if r.kind == "polymorphic"})
    if strategy in ("uuid", "uuid7"):
        out.append(f"every id in URLs, caches, logs, analytics and other services changes: {urls} route/URL/API "
                   "locations here, and clients outside these roots (bookmarks, mobile apps, partners) need the "
                   "old ids mapped or an API version")
        if ts:
            out.append(f"{ts} front-end locations treat the id as a number (types, Number()/parseInt, "
                       "arithmetic, comparisons)")
        if strategy == "uuid":
            out.append("random v4 keys insert all over the primary-key and foreign-key indexes (page splits, "
                       "cache misses, WAL volume); ordering by id no longer follows creation time")
        else:
            out.append("UUIDv7 keys are time-ordered: index locality close to a sequence, and ORDER BY id still "
                       "roughly follows creation time, but the id reveals when the row was created; needs "
                       "PostgreSQL 18 uuidv7() or a generator function")
    if strategy == "bigint":
        if js_reachable(facts):
            out.append("ids can pass 2**53 within the horizon: JavaScript clients lose precision "
                       "(serialise ids as strings)")
        else:
            out.append("JavaScript clients are safe: ids stay far below 2**53 at the measured growth")
    if strategy in ("uuid", "uuid7", "bigint"):
        # seen in the rehearsal: a session opened before the switch fails when a trigger function it has
        # cached fires on the new column type ("type of parameter ... does not match")
        out.append("sessions opened before the switch keep cached plans of trigger functions and prepared "
                   "statements for the old type: reconnect pooled connections right after the switch step")
    if strategy in ("uuid", "uuid7", "bigint") and polymorphic:
        out.append(f"polymorphic columns ({', '.join(polymorphic)}) are rewritten by their discriminator; rows of "
                   "other kinds keep their values")
    if strategy == "shared-sequence":
        if collisions is not None:
            ids = collisions.get("ids", 0)
            refs = collisions.get("referencing_rows", 0)
            if ids:
                out.append(f"{ids:,} ids exist in more than one target today; {refs:,} referencing rows point at "
                           "them: the moved rows get new ids, so external copies of those ids (URLs, caches, "
                           "other services) must be translated through the mapping table")
            else:
                out.append("no id exists in more than one target today: nothing needs remapping")
        else:
            out.append("collisions not measured (no --db): how many ids must move is unknown")
        out.append("code that inserts explicit ids, fixtures with fixed ids, and code that infers the table from "
                   "the id's range still collide or break")
        for row in horizon(facts, shared=True):
            if row["days_left"] is not None:
                out.append(f"one int4 sequence for all targets runs out in ~{_years(row['days_left'])} "
                           f"({row['ids_per_day']:,} ids/day together)")
    if strategy == "keep":
        if collisions is not None and collisions.get("ids"):
            out.append(f"{collisions['ids']:,} ids already collide across targets; every new row can add one")
        for row in horizon(facts):
            when = (f"runs out in ~{_years(row['days_left'])}" if row["days_left"] is not None
                    else "growth unknown")
            out.append(f"{row['target']}: int4 at {row['used']:.2%} of 2,147,483,647; {when}")
    if migration is not None:
        stuck = [s.name for s in migration.steps if not s.reversible]
        if stuck:
            out.append(f"not reversible once run: {', '.join(stuck[:4])}" + (" ..." if len(stuck) > 4 else ""))
        else:
            out.append("every step can be rolled back until the contract step drops the old columns")
    return out


def _years(days: float) -> str:
    return f"{days / 365:,.1f} years" if days >= 365 else f"{days:,.0f} days"


# ----------------------------------------------------------------------------------------------- plan
MigrationBuilder = Callable[[str], Migration]


def build_plan(report: Report, strategies: Sequence[str], cfg: Config, engine: sa.Engine | None = None,
               rehearsals: Mapping[str, Any] | None = None, collisions: Any = None,
               migrations: Mapping[str, Migration | MigrationRefused] | None = None,
               facts: dict[str, KeyFacts] | None = None) -> Plan:
    """Price every requested strategy from the scan's findings, the live database and the migrations. `facts`: the
    keys' (`measure_keys`), read before (analyzer.dbside)."""
    rules: dict[str, RuleMeta] = {m.code: m for m in report.extras.get("rules", []) if isinstance(m, RuleMeta)}  # type: ignore[attr-defined]
    if facts is None:
        facts = measure_keys(engine, report.schema, report.closure)
    migrations = migrations if migrations is not None else make_migrations(report.schema, report.closure, strategies,
                                                                           engine, cfg, collisions)
    measured_collisions = collisions_json(collisions)
    out: list[StrategyPlan] = []
    for name in strategies:
        found = strategy_findings(report.findings, name, rules, facts, report.closure)
        built = migrations.get(name)
        migration = built if isinstance(built, Migration) else None
        rehearsal = (rehearsals or {}).get(name)
        measured = _scaled_seconds(rehearsal, migration) if rehearsal is not None else None
        data, steps = data_figures(migration, growth_bytes(report.schema, report.closure, name), measured)
        if migration is None and name != "keep":
            # no script (refused, or an engine we do not write for): price the same work from the schema
            data = modelled_data(name, report.schema, report.closure, measured_collisions, data["bytes"])
        tables, rows = work_size(name, report.schema, report.closure, measured_collisions)
        plan = StrategyPlan(
            name=name, code=code_figures(found), data=data,
            effort_days=effort(found, tables, rows, cfg) if name != "keep" else (0.0, 0.0),
            migration=f"migrations/{name}.sql" if migration is not None else None,
            risks=risks(name, found, migration, facts, report.closure, measured_collisions),
            steps=steps, assumptions=assumptions(cfg, measured is not None),
            refused=str(built) if isinstance(built, MigrationRefused) else None,
            collisions=measured_collisions if name == "shared-sequence" else None,
            horizon=horizon(facts, shared=name == "shared-sequence") if name in ("keep", "shared-sequence") else None,
            script=migration.render() if migration is not None else "",
        )
        if rehearsal is not None:
            plan.rehearsal = {"ok": bool(rehearsal.ok), "checks": list(rehearsal.checks),
                              "failures": list(rehearsal.failures), "sample": rehearsal.sample}
        out.append(plan)
    plan_value = Plan(tuple(t.qualified for t in report.closure.targets), out, facts,
                      report.schema_source or report.schema.dialect)
    plan_value.recommendation = recommend(plan_value)
    return plan_value


def _scaled_seconds(rehearsal: Any, migration: Migration | None) -> dict[str, float]:
    """Measured step times scaled to the full table sizes (a sampled rehearsal copies fewer rows)."""
    tables = {s.name: s.table for s in migration.steps} if migration is not None else {}
    scale: Mapping[str, float] = getattr(rehearsal, "scale", {}) or {}
    out: dict[str, float] = {}
    for name, seconds in rehearsal.step_seconds:
        table = tables.get(name)
        out[name] = seconds * (scale.get(table, 1.0) if table else max(scale.values(), default=1.0))
    return out


def make_migrations(schema: SchemaSnapshot, closure: Closure, strategies: Sequence[str], engine: sa.Engine | None,
                    cfg: Config, collisions: Any = None) -> dict[str, Migration | MigrationRefused]:
    """Each strategy's migration, or the reason none that keeps every row and link could be written."""
    from analyzer.plan.migration import build_migration

    out: dict[str, Migration | MigrationRefused] = {}
    for name in strategies:
        if name == "keep":
            continue
        try:
            if name == "shared-sequence":
                out[name] = _shared_sequence(schema, closure, engine, cfg, collisions)
            else:
                out[name] = build_migration(schema, closure, name, engine=engine, config=cfg)
        except MigrationRefused as exc:
            out[name] = exc
    return out


def _shared_sequence(schema: SchemaSnapshot, closure: Closure, engine: sa.Engine | None, cfg: Config,
                     collisions: Any) -> Migration:
    from analyzer.plan import shared_sequence

    if len(closure.targets) < 2:
        raise MigrationRefused("a shared sequence needs two or more targets that share one id space")
    if engine is None or collisions is None:
        raise MigrationRefused("the shared sequence is measured on the live database: pass --db")
    return shared_sequence.build_shared_sequence(schema, closure, collisions, engine=engine, config=cfg)


def read_database(schema: SchemaSnapshot, closure: Closure, strategies: Sequence[str], engine: sa.Engine | None,
                  cfg: Config, progress: Progress = no_progress
                  ) -> tuple[dict[str, KeyFacts], Any, dict[str, Migration | MigrationRefused]]:
    """What pricing `strategies` reads from the database, which depends on the schema, the closure and the
    configuration only (not on the findings): the keys' facts, the collisions of a shared sequence (when a strategy
    shows them) and each strategy's migration. Read by `pipeline.run_plan`, or ahead by `analyzer.dbside`."""
    collisions = None
    if {"shared-sequence", "keep"} & set(strategies):  # the only strategies that show them
        progress(0, "measuring collisions")
        collisions = measure_collisions(schema, closure, engine, cfg)
    progress(0, "writing migrations")
    migrations = make_migrations(schema, closure, strategies, engine, cfg, collisions)
    return measure_keys(engine, schema, closure), collisions, migrations


def measure_collisions(schema: SchemaSnapshot, closure: Closure, engine: sa.Engine | None, cfg: Config) -> Any:
    """The shared-sequence `Collisions` of two or more targets (read-only), or None when not measurable."""
    if engine is None or len(closure.targets) < 2:
        return None
    from analyzer.plan import shared_sequence

    try:
        return shared_sequence.measure_collisions(engine, schema, closure, config=cfg)
    except MigrationRefused:
        return None


def collisions_json(c: Any) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"ids": c.ids, "referencing_rows": c.referencing_rows, "by_column": c.by_column,
            "per_target": c.per_target, "query": c.query}


def recommend(plan: Plan) -> str:
    """One sentence: the cheapest strategy that removes the problem, and why the others lose."""
    by_name = {s.name: s for s in plan.strategies}
    movers = [s for s in plan.strategies if s.name != "keep"]
    if not movers:
        return "nothing to compare: only keep was asked for"
    def cost(s: StrategyPlan) -> tuple[float, float]:
        return (s.effort_days[1], s.data["longest_lock_s"])

    # the cheapest strategy that has a migration here; a cheaper one that has none is named beside it
    writable = [s for s in movers if not s.refused]
    best = min(writable or movers, key=cost)
    parts = [f"cheapest: {best.name}, est. {best.effort_days[0]:g}-{best.effort_days[1]:g} days"]
    if best.refused:
        parts.append("but no migration that keeps every row can be written on this database for any "
                     "strategy (the reasons are under the table)")
    if best.name == "shared-sequence" and best.collisions is not None:
        parts.append(f"{best.collisions.get('ids', 0):,} colliding ids to remap")
    cheaper = [s for s in movers if s.refused and cost(s) < cost(best) and not best.refused]
    for s in cheaper:
        parts.append(f"{s.name} would cost less (est. {s.effort_days[0]:g}-{s.effort_days[1]:g} days) but has no "
                     "safe migration on this database (the reason is under the table)")
    others = [s for s in movers if s is not best and s not in cheaper]
    if others:
        parts.append("vs " + ", ".join(f"{s.name} {s.effort_days[0]:g}-{s.effort_days[1]:g}" for s in others))
    keep = by_name.get("keep")
    if keep and keep.horizon:
        soonest = min((r["days_left"] for r in keep.horizon if r["days_left"] is not None), default=None)
        if soonest is not None:
            parts.append(f"keeping int4 lasts ~{_years(soonest)}")
    return "; ".join(parts)


# --------------------------------------------------------------------------------------------- output
def write_plan(plan: Plan, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    mig_dir = out_dir / "migrations"
    for s in plan.strategies:
        if s.script:
            mig_dir.mkdir(parents=True, exist_ok=True)
            path = mig_dir / f"{s.name}.sql"
            path.write_text(s.script, encoding="utf-8")
            written.append(path)
    path = out_dir / "plan.json"
    path.write_text(json.dumps(plan.to_json(), indent=2, default=_json_default) + "\n", encoding="utf-8")
    written.append(path)
    return written


def _json_default(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)
