from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid, string_value, type_targets

from analyzer.models import NOT_BIGINT, Finding
from analyzer.python import facts

_TABLE_OPS = {"create_table", "add_column", "alter_column", "drop_column"}


class AlembicColumn(PyRule):
    """An Alembic migration that creates or alters a column whose type changes.

    Anti-pattern: editing history — the `op.create_table("images", sa.Column("content_id", sa.Integer(),
    sa.ForeignKey("content_items.id")))` revision already ran in production. Best practice: leave old
    revisions alone and add a new revision that converts the key (expand, backfill, contract); the
    generated `migration.sql` / `impact plan --alembic` is the starting point. In a file that is an
    Alembic revision (its `revision`/`down_revision`, or its place in the Alembic setup) or a Django
    migration, every finding is `info`, history, with no patch (analyzer/python/history.py); elsewhere
    (a schema built by hand with `op`, a squashed migration not yet deployed) it is a change to make.

    Every target type for `sa.Integer()` (int4: bigint outgrows it too); UUID and text only for a column
    created `sa.BigInteger()`.
    """

    code, name, layer, kind = "PY010", "alembic.column", "migration", "must_change"
    VALID = [
        Valid("from alembic import op\nimport sqlalchemy as sa\n"
              "def upgrade():\n    op.create_table('users', sa.Column('id', sa.Integer(), primary_key=True))\n",
              path="alembic/versions/0001_users.py"),
        Valid("from alembic import op\nimport sqlalchemy as sa\n"
              "def upgrade():\n    op.add_column('images', sa.Column('width', sa.Integer()))\n",
              path="alembic/versions/0002_width.py"),
        Valid("from alembic import op\nimport sqlalchemy as sa\n"
              "def upgrade():\n    op.add_column('comments', sa.Column('content_ref', sa.BigInteger(),\n"
              "                  sa.ForeignKey('content_items.id')))\n", path="migrations/versions/0003.py",
              to="BIGINT"),
    ]
    INVALID = [
        Invalid("from alembic import op\nimport sqlalchemy as sa\n"
                "def upgrade():\n    op.create_table(\n        'images',\n"
                "        sa.Column('id', sa.Integer(), primary_key=True),\n"
                "        sa.Column('content_id', sa.Integer(), sa.ForeignKey('content_items.id')),\n    )\n",
                line=7, message_contains="images.content_id", path="alembic/versions/0001_init.py"),
        Invalid("from alembic import op\nimport sqlalchemy as sa\n"
                "def upgrade():\n    op.create_table(\n        'content_items',\n"
                "        sa.Column('id', sa.Integer(), nullable=False),\n        sa.PrimaryKeyConstraint('id'),\n"
                "    )\n", line=6, message_contains="content_items.id", path="alembic/versions/0001_init.py"),
        Invalid("from alembic import op\nimport sqlalchemy as sa\n"
                "def upgrade():\n    op.add_column('comments', sa.Column('content_ref', sa.Integer(),\n"
                "                  sa.ForeignKey('content_items.id')))\n",
                line=4, message_contains="content_items.id", path="migrations/versions/0003.py"),
        # an applied revision: the same column is history, for bigint as for UUID
        Invalid("from alembic import op\nimport sqlalchemy as sa\nrevision = 'a1b2c3'\ndown_revision = None\n"
                "def upgrade():\n    op.add_column('comments', sa.Column('content_ref', sa.Integer(),\n"
                "                  sa.ForeignKey('content_items.id')))\n",
                line=6, message_contains="history: Alembic revision a1b2c3", path="migrations/versions/a1b2c3.py",
                to="BIGINT", kind="info"),
    ]

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        pf, model = ctx.pf, ctx.model
        for entry in pf.of(cst.Call):
            call = entry.node
            assert isinstance(call, cst.Call)
            f = call.func
            if not (isinstance(f, cst.Attribute) and f.attr.value in _TABLE_OPS
                    and pf.resolves_to(f.value, "op", packages=("alembic",))):
                continue
            args = facts.positional(call)
            table = string_value(args[0].value) if args else None
            if table is None:
                continue
            if f.attr.value in ("alter_column", "drop_column"):
                column = string_value(args[1].value) if len(args) > 1 else None
                ic = model.column(table, column) if column else None
                if ic is not None:
                    yield ctx.finding(self, call, f"{table}.{column}",
                                      f"migration {f.attr.value} on {ic.qualified}, whose type changes",
                                      evidence=ic.reason, target=ic.target,
                                      review="add a new revision; do not edit applied ones")
                continue
            for col_call, spec, ic in facts.impacted_table_columns(pf, model, table, args[1:]):
                written = " ".join(pf.code(n) for n in spec.type_nodes)
                yield ctx.finding(self, col_call, f"{table}.{spec.name}",
                                  f"`op.{f.attr.value}` creates `{table}.{spec.name}`"
                                  + (f" as `{written}`" if written else "")
                                  + f"; {ic.qualified} becomes {model.to_type}", evidence=ic.reason, target=ic.target,
                                  review="add a new revision that converts the column; do not edit applied ones",
                                  applies_to=type_targets(written))


class AlembicCheckConstraint(PyRule):
    """A CHECK constraint in a migration that compares the key with a number.

    Anti-pattern: `sa.CheckConstraint("content_item_id > 0")` — a UUID column cannot be compared with
    0; the conversion migration fails on it. Best practice: drop or rewrite the constraint in the
    migration that converts the column.

    Not for bigint: an int8 compares with 0 as an int4 does, so the CHECK stays valid.
    """

    code, name, layer, kind = "PY011", "alembic.check_constraint", "migration", "hazard"
    APPLIES_TO = NOT_BIGINT
    VALID = [Valid("from alembic import op\nimport sqlalchemy as sa\ndef upgrade():\n"
                   "    op.create_table('content_metrics', sa.Column('views', sa.Integer()),\n"
                   "                    sa.CheckConstraint('views >= 0'))\n", path="migrations/versions/0003.py")]
    INVALID = [Invalid("from alembic import op\nimport sqlalchemy as sa\ndef upgrade():\n"
                       "    op.create_table('images', sa.Column('content_id', sa.Integer()),\n"
                       "                    sa.CheckConstraint('content_id > 0'))\n", line=5,
                       path="migrations/versions/0003.py")]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        from analyzer.rules.python.sql_raw import line_hazard

        pf, model = ctx.pf, ctx.model
        for entry in pf.of(cst.Call):
            call = entry.node
            assert isinstance(call, cst.Call)
            if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "create_table"):
                continue
            args = facts.positional(call)
            table = string_value(args[0].value) if args else None
            cols = set(model.impacted.get(table or "", {}))
            if not cols:
                continue
            for a in args[1:]:
                v = a.value
                if isinstance(v, cst.Call) and facts.is_sqla(pf, v.func, "CheckConstraint"):
                    inner = facts.positional(v)
                    sql = string_value(inner[0].value) if inner else None
                    if sql and line_hazard(sql, cols):
                        yield ctx.finding(self, v, f"{table}.check", f"CHECK `{sql}` compares the key with a number",
                                          evidence=f"{table} columns {', '.join(sorted(cols))} change type",
                                          review="drop or rewrite the constraint when converting the column")
