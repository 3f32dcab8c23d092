from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid, find_all, string_value

from analyzer.models import NOT_BIGINT, Finding
from analyzer.python import facts

_HEAD = ("import sqlalchemy as sa\nfrom sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n"
         "class Base(DeclarativeBase): pass\n")


class ModelCheckConstraint(PyRule):
    """A CHECK constraint in an ORM model's `__table_args__` that compares an impacted column with a number.

    Anti-pattern: `__table_args__ = (sa.CheckConstraint("content_id > 0"),)` on a model whose
    `content_id` becomes a UUID — the constraint cannot be created on the new column type (and
    `create_all` / autogenerate keep emitting it). Best practice: drop the constraint with the type
    change (the key type validates the shape), in the model and in the migration.

    Not for bigint: an int8 compares with 0 as an int4 does, so the CHECK stays valid.
    """

    code, name, layer, kind = "PY003", "sqlalchemy.check_constraint", "db-model", "must_change"
    APPLIES_TO = NOT_BIGINT
    VALID = [
        Valid(_HEAD + "class Metric(Base):\n    __tablename__ = 'images'\n"
                      "    __table_args__ = (sa.CheckConstraint('views >= 0'),)\n"
                      "    id: Mapped[int] = mapped_column(primary_key=True)\n"),
        Valid(_HEAD + "class Shipment(Base):\n    __tablename__ = 'shipments'\n"
                      "    __table_args__ = (sa.CheckConstraint('content_id > 0'),)\n"
                      "    content_id: Mapped[int]\n"),
        Valid("def CheckConstraint(x): return x\n" + _HEAD + "class Image(Base):\n    __tablename__ = 'images'\n"
              "    __table_args__ = (CheckConstraint('content_id > 0'),)\n"),
    ]
    INVALID = [
        Invalid(_HEAD + "class Image(Base):\n    __tablename__ = 'images'\n    __table_args__ = (\n"
                        "        sa.CheckConstraint('content_id > 0', name='ck_positive'),\n"
                        "        sa.CheckConstraint('width >= 0'),\n    )\n"
                        "    id: Mapped[int] = mapped_column(primary_key=True)\n", line=7,
                message_contains="content_id > 0"),
    ]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        from analyzer.rules.python.sql_raw import line_hazard

        pf, model = ctx.pf, ctx.model
        for cls in pf.classes:
            orm = model.orm.get(cls.name.value)
            table = orm.table if orm is not None else None
            cols = set(model.impacted.get(table or "", {}))
            if not cols:
                continue
            for attr in facts.class_attrs(cls):
                if attr.name != "__table_args__":
                    continue
                for call in find_all(attr.stmt, cst.Call):
                    assert isinstance(call, cst.Call)
                    if not facts.is_sqla(pf, call.func, "CheckConstraint"):
                        continue
                    inner = facts.positional(call)
                    sql = string_value(inner[0].value) if inner else None
                    why = line_hazard(sql, cols) if sql else None
                    if why:
                        yield ctx.finding(self, call, f"{cls.name.value}.__table_args__",
                                          f"CHECK `{sql}` on {table} {why}",
                                          evidence=f"{table} columns {', '.join(sorted(cols))} change type",
                                          review="drop the constraint with the type change (model and migration)")
