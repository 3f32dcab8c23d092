"""A migration as data: ordered steps, each with its lock class and the rows it rewrites.

One shape for every strategy (uuid, uuid7, text, bigint, shared-sequence), so that the same value is
rendered as `migrations/<strategy>.sql`, priced (rows, lock class, modelled or measured duration) and
rehearsed step by step on a scratch database. A step is the unit of failure: it runs in one transaction
(`transactional=True`) or, for `CREATE INDEX CONCURRENTLY` and batched loops that commit per batch,
outside one; a failed transactional step leaves the database as it was before that step.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

#: lock classes, weakest first (PostgreSQL names; other engines map onto them)
LOCKS = ("none", "ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE", "SHARE", "SHARE ROW EXCLUSIVE", "ACCESS EXCLUSIVE")

#: the session settings every generated script starts with, and every rehearsal sets
DEFAULT_LOCK_TIMEOUT = "5s"
DEFAULT_STATEMENT_TIMEOUT = "15min"


class MigrationRefused(ValueError):
    """No migration that keeps every row, link, constraint and dependent can be written: the reason."""


@dataclass(frozen=True)
class Step:
    """One unit of the migration. `sql` may hold several statements; `rows` is what it rewrites."""

    phase: str  # "expand" | "backfill" | "switch" | "contract" | "verify" | "sequence"
    name: str  # "add content_items.id_new"
    sql: str
    lock: str = "none"  # one of LOCKS: the strongest lock the step takes
    table: str | None = None  # the table it locks or rewrites, when one
    rows: int = 0  # rows rewritten (for pricing and batch sizing)
    transactional: bool = True  # False: run outside BEGIN/COMMIT (CONCURRENTLY, batch loops with COMMIT)
    reversible: bool = True  # can be undone by the step's `undo` or by dropping what it added
    undo: str = ""  # SQL that reverts the step, when there is such SQL
    #: session settings for this step only (then back to the migration's): a batched loop or a concurrent
    #: index build on a big table runs longer than the script's statement_timeout, by design
    settings: dict[str, str] = field(default_factory=dict)


def unbounded(step: Step) -> Step:
    """A step that runs outside a transaction over rows (a batched loop committing per batch, a concurrent
    index build) gets no statement_timeout: on a big table it outlasts any fixed limit by design, and
    lock_timeout still bounds every lock it waits for."""
    if step.transactional or not step.rows or "statement_timeout" in step.settings:
        return step
    return replace(step, settings={**step.settings, "statement_timeout": "0"})


@dataclass(frozen=True)
class Migration:
    strategy: str  # "uuid" | "uuid7" | "text" | "bigint" | "shared-sequence"
    dialect: str  # "postgresql" | "mysql" | "sqlite"
    targets: tuple[str, ...]
    steps: tuple[Step, ...]
    notes: tuple[str, ...] = ()  # what a person should know (said in the script's header)
    settings: dict[str, str] = field(default_factory=lambda: {
        "lock_timeout": DEFAULT_LOCK_TIMEOUT, "statement_timeout": DEFAULT_STATEMENT_TIMEOUT})

    def restore(self, step: Step) -> list[str]:
        """The statements that put a step's own settings back to the migration's."""
        return [f"SET {k} = '{self.settings[k]}';" if k in self.settings else f"RESET {k};" for k in step.settings]

    def render(self) -> str:
        """The script a person reviews and runs: header, settings, then every step in order."""
        out = [f"-- impact migration: {', '.join(self.targets)} -> {self.strategy} ({self.dialect})",
               "-- Generated from the live schema; review before running. Each step is one unit: it runs in",
               "-- its own transaction unless marked (no transaction), and a failed step leaves the database",
               "-- as it was before that step.",
               *(f"-- NOTE: {n}" for n in self.notes), ""]
        if self.dialect == "postgresql":
            out += [f"SET {k} = '{v}';" for k, v in self.settings.items()]
        elif self.dialect == "mysql":
            out += ["SET SESSION lock_wait_timeout = 5;", "SET SESSION max_statement_time = 900;"]
        out.append("")
        for i, step in enumerate(self.steps, 1):
            where = f" on {step.table}" if step.table else ""
            rows = f"; {step.rows:,} rows" if step.rows else ""
            tx = "" if step.transactional else "; no transaction"
            out.append(f"-- step {i}/{len(self.steps)} [{step.phase}] {step.name} (lock: {step.lock}{where}{rows}{tx})")
            body = step.sql.strip()
            if self.dialect == "postgresql":
                out += [f"SET {k} = '{v}';" for k, v in step.settings.items()]
            if step.transactional and self.dialect == "postgresql":
                out += ["BEGIN;", body, "COMMIT;"]
            else:
                out.append(body)
            if self.dialect == "postgresql":
                out += self.restore(step)
            out.append("")
        return "\n".join(out).rstrip() + "\n"
