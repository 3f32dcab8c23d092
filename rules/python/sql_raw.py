from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import (
    FileCtx,
    Invalid,
    PyRule,
    Valid,
    string_value,
    type_targets,
)

from analyzer.models import DEFAULT_SEVERITY, NOT_BIGINT, Finding, Kind, Span
from analyzer.python import facts
from analyzer.python.keys import GENERIC_PK_NAMES as GENERIC
from analyzer.python.keys import KeyModel
from analyzer.python.parsed import ParsedFile

#: a string literal's source text (prefix and quotes included) that looks like SQL: it starts, after its prefix and
#: opening quote, with a statement's keyword (`_SQL_START.match`), or it holds SELECT ... FROM (`_SQL_SELECT.search`).
#: Read in the literal as written, not in its text stripped of the prefix and quote (which a regex substitution per
#: literal cost, on the ~99,000 literals of polar): the same answer, as the prefix, the quotes and the blanks hold no
#: keyword and end no word (checked on every literal of polar, onyx and impact and on random texts). Two patterns, as
#: one alternation tried the anchored branch at every position
_SQL_START = re.compile(r"\s*(?:[rbufRBUF]*(?:\"\"\"|'''|\"|'))?\s*(?:select|insert|update|delete|with|create|alter|drop)\b",
                        re.I)
_SQL_SELECT = re.compile(r"\bselect\b[\s\S]*\bfrom\b", re.I)
_CAST = re.compile(r"cast\s*\([^)]*\bas\s+(?P<as>integer|int|bigint|smallint)\b|::\s*(?P<to>int|integer|int4|int8|bigint)\b",
                   re.I)
CASTS = "casts to an integer type"


def sql_hits(model: KeyModel, sql: str) -> list[tuple[str, str]]:
    """(table.column, why) for impacted columns a SQL text touches, with its table in the statement."""
    low = sql.lower()
    out = []
    for table, cols in model.impacted.items():  # (a substring test first: most tables are not in the text)
        if table.lower() not in low or not re.search(rf"\b{re.escape(table.lower())}\b", low):
            continue
        for col, ic in cols.items():
            if col.lower() in low and re.search(rf"\b{re.escape(col.lower())}\b", low):
                out.append((ic.qualified, f"mentions {table} and its column {col} ({ic.reason})"))
    return out


#: a sequence a line names: `nextval('images_id_seq')` (also currval, setval, with a `::regclass` or a schema),
#: Oracle's `images_seq.nextval`, `pg_get_serial_sequence('images', 'id')` (its table and column)
_SEQUENCE = re.compile(r"\b(?:nextval|currval|setval)\s*\(\s*'([^']+)'"
                       r"|([\w.\"]+)\s*\.\s*(?:nextval|currval)\b"
                       r"|\bpg_get_serial_sequence\s*\(\s*'([^']+)'\s*,\s*'([^']+)'", re.I)


def key_sequences(model: KeyModel) -> frozenset[str]:
    """The names (lower case, no schema) a sequence of the key's goes by: `<table>_<column>_seq` (what a SERIAL
    makes), `<table>_seq`, `seq_<table>`, `<table>_<column>_sequence`, `<table>_sequence`, for every impacted
    column that is its table's own key (a target, or its table's primary key): an impacted foreign key has no
    sequence, and the sequence of a referencing table's own id is not the key's."""
    pks = {_bare(t): {c.lower() for c in cols} for t, cols in model.closure.schema_keys}
    out: set[str] = set()
    for table, cols in model.impacted.items():
        t = _bare(table)
        for col, ic in cols.items():
            c = col.lower()
            if ic.reason == "target" or c in pks.get(t, ()):
                out.update((f"{t}_{c}_seq", f"{t}_seq", f"seq_{t}", f"{t}_{c}_sequence", f"{t}_sequence"))
    return frozenset(out)


def _bare(name: str) -> str:
    return name.replace('"', "").rsplit(".", 1)[-1].lower()


def _other_sequence(low: str, model: KeyModel) -> bool:
    """Does the line name only sequences that are not the key's (a referencing table's own id)? False when it
    names none the pattern can read (`nextval(:seq)`): the hazard stays."""
    named = False
    for m in _SEQUENCE.finditer(low):
        seq, oracle, table, column = m.groups()
        if table is not None:
            if any(_bare(t) == _bare(table) and column.lower() in {c.lower() for c in cols}
                   for t, cols in model.impacted.items()):
                return False
        elif _bare((seq or oracle).split("::")[0]) in key_sequences(model):
            return False
        named = True
    return named


def line_hazard(line: str, cols: set[str], model: KeyModel | None = None) -> str | None:
    """Why a SQL line is a hazard for the key, or None. With `model`, a sequence function naming another table's
    sequence (`DEFAULT nextval('images_id_seq')` in a table that references the key) is not one."""
    low = re.sub(r"--.*$", "", line.lower())
    if _CAST.search(low):
        return CASTS
    if re.search(r"\b(setval|nextval|currval|pg_get_serial_sequence)\b", low) and not (
            model is not None and _other_sequence(low, model)):
        return "uses the key's integer sequence"
    if not cols:
        return None
    alt = "|".join(re.escape(c.lower()) for c in sorted(cols))
    if re.search(rf"\b(?:{alt})\s*(?:[<>]=?|%|[-+*/](?!-))", low) or re.search(rf"\b(?:{alt})\s+(?:not\s+)?between\b", low):
        return "compares or computes on the key"
    if re.search(rf"order\s+by\b.*\b(?:{alt})\b", low) or re.search(rf"\b(?:max|min)\s*\(\s*[\w.]*\b(?:{alt})\s*\)", low):
        return "orders by the key or takes its max/min"
    return None


def hazard_targets(line: str, why: str) -> tuple[str, ...]:
    """What a `line_hazard` holds for: a cast to a 32-bit type (`::int`, `CAST(... AS INTEGER)`) breaks a bigint
    key as well; a cast to bigint, ordering, comparison, arithmetic and the sequence functions break only a key
    that stops being a number (an int8 is ordered, computable and has a sequence)."""
    if why == CASTS:
        types = " ".join(m.group("as") or m.group("to") for m in _CAST.finditer(re.sub(r"--.*$", "", line.lower())))
        return type_targets(types) or NOT_BIGINT
    return NOT_BIGINT


class RawSql(PyRule):
    """Raw SQL in Python (`text(...)`, `execute(...)`) that touches the key.

    Anti-pattern: `text("SELECT ... WHERE id > :after ORDER BY id")`, `CAST(:content_id AS INTEGER)`,
    `:raw_id::int`, `MAX(id) + 1` — no ORM type follows the change into a SQL string. Best practice:
    express it in the ORM, or review every statement (casts, ordering, bind parameter types).

    Casts to a 32-bit type (`::int`, `::int4`, `CAST(... AS INTEGER)`) fire for every target type: a bigint
    key overflows them. Ordering, comparison, arithmetic, `MAX(id) + 1`, the sequence functions and casts to
    bigint fire for UUID and text only: an int8 is ordered, computable and keeps its sequence. A string of several
    statements is read one statement at a time, each with the columns it touches itself.
    """

    code, name, layer, kind = "PY070", "sql.raw", "raw-sql", "hazard"
    VALID = [Valid("from sqlalchemy import text\nQ = text('SELECT id, name FROM users ORDER BY id')\n"),
             # bigint: ordering and arithmetic on an int8 key stay right
             Valid("from sqlalchemy import text\nQ = text(\n    'SELECT content_id % :n AS shard '\n"
                   "    'FROM images GROUP BY 1 ORDER BY content_id'\n)\n", to="BIGINT")]
    INVALID = [
        Invalid("from sqlalchemy import text\nQ = text('SELECT * FROM content_items WHERE id = :raw_id::int')\n",
                line=2, message_contains="integer"),
        # bigint: an int4 cast overflows past 2**31 - 1
        Invalid("from sqlalchemy import text\nQ = text('SELECT * FROM content_items WHERE id = :raw_id::int')\n",
                line=2, message_contains="integer", to="BIGINT"),
        Invalid("from sqlalchemy import text\nQ = text(\n    'SELECT content_id % :n AS shard '\n"
                "    'FROM images GROUP BY 1'\n)\n", line=3),
        Invalid("from sqlalchemy import text\nQ = text('SELECT id, title FROM content_items WHERE id BETWEEN :lo AND :hi')\n",
                line=2, message_contains="compares"),
    ]
    VALID += [Valid("from sqlalchemy import text\nQ = text('SELECT id FROM users WHERE id BETWEEN :lo AND :hi')\n"),
              # a docstring is documentation, never run, whatever its first word
              Valid('from app.models import ContentItem\n\n\ndef create_item(session, payload):\n    """\n'
                    '    Create or update a row of content_items.\n\n'
                    '    :status 200: ``{"id": <id>}`` in ``result.value``.\n    """\n'
                    '    item = ContentItem(**payload)\n    session.add(item)\n    return {"id": item.id}\n')]
    INVALID += [Invalid('def create_item(conn):\n    """Create a row."""\n'
                        '    return conn.execute("SELECT id FROM content_items WHERE id > :after")\n', line=3)]
    # the sequence functions: the key's own sequence is a hazard, a referencing table's own one is not
    VALID += [Valid("from sqlalchemy import text\n"
                    "Q = text(\"INSERT INTO images (id, content_id) VALUES (nextval('images_id_seq'), :cid)\")\n")]
    INVALID += [Invalid("from sqlalchemy import text\n"
                        "Q = text(\"SELECT setval('content_items_id_seq', (SELECT MAX(id) FROM content_items))\")\n",
                        line=2, message_contains="sequence")]

    # a string of several statements: each is read with the columns it touches itself (`MAX(id)` of another
    # table's statement is not the key's)
    VALID += [Valid("from sqlalchemy import text\nQ = text(\n    \"\"\"\n"
                    "    SELECT setval('users_id_seq', (SELECT MAX(id) FROM users));\n"
                    "    UPDATE content_items SET title = :t WHERE id = :id;\n    \"\"\"\n)\n")]
    INVALID += [Invalid("from sqlalchemy import text\nQ = text(\n    \"\"\"\n"
                        "    SELECT setval('users_id_seq', (SELECT MAX(id) FROM users));\n"
                        "    SELECT setval('content_items_id_seq', (SELECT MAX(id) FROM content_items));\n"
                        "    \"\"\"\n)\n", line=5, message_contains="sequence")]

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        for start, text, hits in sql_strings(ctx):
            pos = 0
            for stmt in re.split(r"(?<=;)", text) if ";" in text.rstrip().rstrip(";") else (text,):
                first = start + text.count("\n", 0, pos)
                pos += len(stmt)
                own = hits if stmt is text else sql_hits(ctx.model, stmt)
                if not own:
                    continue
                cols = {q.split(".", 1)[1] for q, _ in own}
                for i, line in enumerate(stmt.splitlines()):
                    why = line_hazard(line, cols, ctx.model)
                    if why:
                        span = Span(first + i, 1, first + i, len(line) + 1)
                        yield _at(self, ctx, span, f"raw SQL {why}: `{line.strip()[:80]}`", own,
                                  hazard_targets(line, why))


def sql_strings(ctx: FileCtx) -> list[tuple[int, str, list[tuple[str, str]]]]:
    """(first line, source text, impacted columns it touches) of every SQL-looking string literal. Two rules
    ask: the first one's answer is kept for the file."""
    if "sql_strings" in ctx.shared:
        return ctx.shared["sql_strings"]  # type: ignore[return-value]
    pf, model = ctx.pf, ctx.model
    out = []
    docs = _docstrings(pf)
    for node in _whole_strings(pf, (cst.ConcatenatedString, cst.SimpleString, cst.FormattedString)):
        if id(node) in docs:
            continue  # documentation, never run ("Create or update a template ... ``{"template_id": <id>}``")
        text = pf.code(node)
        if not (_SQL_START.match(text) or _selects(text)):
            continue
        hits = sql_hits(model, text)
        if hits:
            out.append((pf.span(node).line, text, hits))
    ctx.shared["sql_strings"] = out
    return out


def _docstrings(pf: ParsedFile) -> set[int]:
    """ids of the module's, its classes' and its functions' docstrings: the string that is a body's first
    statement."""
    out: set[int] = set()
    for body in (pf.module.body, *(c.body.body for c in pf.classes), *(fi.node.body.body for fi in pf.functions)):
        first = body[0] if body else None
        if type(first) is cst.SimpleStatementLine and len(first.body) == 1 and type(first.body[0]) is cst.Expr:
            out.add(id(first.body[0].value))
    return out


def _selects(text: str) -> bool:
    """`_SQL_SELECT.search(text)`, after a cheaper test on ASCII text (where IGNORECASE matches only ASCII letters)
    that it holds `select` at all: most string literals do not."""
    if text.isascii() and "select" not in text.lower():
        return False
    return _SQL_SELECT.search(text) is not None


def _whole_strings(pf: ParsedFile, kinds: tuple[type[cst.CSTNode], ...]) -> Iterator[cst.CSTNode]:
    """String literals of those kinds, each once: the parts of an implicit concatenation come as the whole."""
    seen: set[int] = set()
    for kind in kinds:
        for entry in pf.of(kind):
            node = entry.node
            if id(node) in seen:
                continue
            if isinstance(node, cst.ConcatenatedString):
                seen.update(id(part) for part in _parts(node))
            yield node


_DECLARE = re.compile(r"\b\w+\s+(integer|int|int4|int8|bigint|smallint)\s*(?::=|default)\s*(?:old|new)\.(\w+)", re.I)


class PlpgsqlIntVariable(PyRule):
    """A PL/pgSQL variable declared INTEGER and assigned the key (`old_id INTEGER := OLD.id`).

    Anti-pattern: a trigger or function body, written as a string in a migration or raw SQL, that
    copies the key into an integer variable — the function fails once the column is a UUID. Best
    practice: declare the variable with the column's type (`OLD.id%TYPE`).

    Every target type for an INTEGER / int4 / smallint variable (a bigint key overflows it); UUID and text
    only for one declared BIGINT.
    """

    code, name, layer, kind = "PY073", "sql.plpgsql_int_variable", "raw-sql", "must_change"
    VALID = [Valid("from alembic import op\ndef upgrade():\n    op.execute(\"\"\"\n"
                   "    CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                   "    DECLARE n INTEGER := OLD.views;\n    BEGIN DELETE FROM images WHERE content_id = 1; END;\n"
                   "    $$\"\"\")\n", path="migrations/versions/0004.py")]
    INVALID = [Invalid("from alembic import op\ndef upgrade():\n    op.execute(\"\"\"\n"
                       "    CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                       "    DECLARE old_id INTEGER := OLD.content_id;\n"
                       "    BEGIN DELETE FROM images WHERE content_id = old_id; END;\n    $$\"\"\")\n",
                       line=5, path="migrations/versions/0004.py"),
               Invalid("from sqlalchemy import text\nTRIGGER = text(\"\"\"\n"
                       "    CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                       "    DECLARE old_id INTEGER := OLD.content_id;\n"
                       "    BEGIN DELETE FROM images WHERE content_id = old_id; END;\n    $$\"\"\")\n",
                       line=4, path="app/sql/triggers.py", to="BIGINT")]

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        for start, text, hits in sql_strings(ctx):
            cols = {q.split(".", 1)[1].lower() for q, _ in hits}
            for i, line in enumerate(text.splitlines()):
                m = _DECLARE.search(re.sub(r"--.*$", "", line))
                if m and m.group(2).lower() in cols:
                    span = Span(start + i, 1, start + i, len(line) + 1)
                    yield Finding(rule=self.rule_name, code=self.code,
                                  layer="migration" if ctx.pf.layer == "migration" else "raw-sql", language="python",
                                  kind="must_change", severity=DEFAULT_SEVERITY["must_change"], path=ctx.pf.path,
                                  span=span, symbol=f"{ctx.pf.modname}.sql",
                                  message=f"PL/pgSQL variable holds the key as an integer: `{line.strip()[:80]}`",
                                  evidence="; ".join(w for _, w in hits[:3]), target=ctx.model.default_target,
                                  review="declare it with the column's type (%TYPE)",
                                  applies_to=type_targets(m.group(1)))


def _at(rule: PyRule, ctx: FileCtx, span: Span, message: str, hits: list[tuple[str, str]],
        applies_to: tuple[str, ...]) -> Finding:
    return Finding(rule=rule.rule_name, code=rule.code, layer="raw-sql" if ctx.pf.layer != "migration" else "migration",
                   language="python", kind="hazard", severity=DEFAULT_SEVERITY["hazard"], path=ctx.pf.path,
                   span=span, symbol=f"{ctx.pf.modname}.sql", message=message,
                   evidence="; ".join(w for _, w in hits[:3]), target=ctx.model.default_target,
                   review="review the statement: casts, ordering and bind types follow the key", applies_to=applies_to)


def _parts(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(node, cst.ConcatenatedString):
        return [*_parts(node.left), *_parts(node.right)]
    return [node]


#: what SqlIntBind reads a bind parameter's type from (sqlalchemy's `bindparam("cid", type_=...)`, `column(...)`)
_BIND_CALLS = ("bindparam", "column")


class SqlIntBind(PyRule):
    """A bind parameter or column declared `Integer` for the key in a `text()` query.

    Anti-pattern: `text("... WHERE content_item_id = :cid").bindparams(bindparam("cid", type_=Integer))`.
    Best practice: declare the key type (`Uuid`) or let the driver infer it.

    Every target type for `Integer`: a driver that binds it as int4 (asyncpg) rejects a bigint value past
    2**31 - 1; UUID and text only for `BigInteger`.
    """

    code, name, layer, kind = "PY071", "sql.int_bind", "raw-sql", "must_change"
    fixable = False
    VALID = [Valid("from sqlalchemy import Integer, bindparam\nB = bindparam('page', type_=Integer)\n"),
             Valid("from sqlalchemy import BigInteger, bindparam\nB = bindparam('content_id', type_=BigInteger)\n",
                   to="BIGINT")]
    INVALID = [Invalid("from sqlalchemy import Integer, bindparam\nB = bindparam('content_id', type_=Integer)\n",
                       line=2),
               Invalid("from sqlalchemy import Integer, bindparam\nB = bindparam('content_id', type_=Integer)\n",
                       line=2, to="BIGINT")]

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        pf = ctx.pf
        for entry in pf.calls_resolving(_BIND_CALLS):
            call = entry.node
            assert isinstance(call, cst.Call)
            if not pf.resolves_to(call.func, *_BIND_CALLS, packages=("sqlalchemy",)):
                continue
            args = facts.positional(call)
            name = string_value(args[0].value) if args else None
            t = facts.kwarg(call, "type_")
            type_node = t.value if t is not None else (args[1].value if len(args) > 1 else None)
            if name is None or type_node is None or "Integer" not in pf.code(type_node):
                continue
            if name in ctx.model.key_names or name in ctx.model.key_attr_names() - {"id"} or \
                    self._bound_to_key(ctx, name, call):
                yield ctx.finding(self, call, ctx.symbol(entry.func, name),
                                  f"bind parameter `{name}` is typed {pf.code(type_node)}", evidence="binds the key",
                                  layer="raw-sql" if pf.layer != "migration" else "migration",
                                  applies_to=type_targets(pf.code(type_node)))

    @staticmethod
    def _bound_to_key(ctx: FileCtx, name: str, call: cst.Call) -> bool:
        """`:cid` compared with a key column in the enclosing statement text."""
        for entry in ctx.pf.of(cst.Call):
            outer = entry.node
            assert isinstance(outer, cst.Call)
            if isinstance(outer.func, cst.Attribute) and outer.func.attr.value == "bindparams" and \
                    any(a.value is call for a in outer.args):
                sql = ctx.pf.code(outer.func.value)
                cols = "|".join(re.escape(c) for cols in ctx.model.impacted.values() for c in cols)
                if cols and re.search(rf"\b(?:{cols})\s*(?:=|<|>|in)\s*\(?:{re.escape(name)}\b", sql, re.I):
                    return True
        return False


class SqlFile(PyRule):
    """A `.sql` file statement that defines, casts or orders by the key.

    Anti-pattern: `content_id INTEGER REFERENCES content_items(id)` in a hand-written DDL or report
    query. Best practice: regenerate DDL from the new schema; review report queries for casts and
    ordering by id.

    A column declared INTEGER / INT / SERIAL and casts to int4 fire for every target type (bigint needs
    BIGINT there too); a column already BIGINT, CHECKs that compare the key with a number, ordering and
    arithmetic fire for UUID and text only.
    """

    code, name, layer, kind = "PY072", "sql.file", "raw-sql", "must_change"
    language = "sql"
    VALID = [Valid("CREATE TABLE users (id INTEGER PRIMARY KEY);\n", path="db/schema.sql"),
             Valid("CREATE TABLE images (\n  id BIGINT PRIMARY KEY,\n"
                   "  content_id BIGINT REFERENCES content_items(id) CHECK (content_id > 0)\n);\n"
                   "SELECT * FROM images ORDER BY content_id;\n", path="db/schema.sql", to="BIGINT")]
    INVALID = [Invalid("CREATE TABLE images (\n  id INTEGER PRIMARY KEY,\n"
                       "  content_id INTEGER REFERENCES content_items(id)\n);\n", line=3, path="db/schema.sql"),
               Invalid("CREATE TABLE images (\n  id INTEGER PRIMARY KEY,\n"
                       "  content_id INTEGER REFERENCES content_items(id)\n);\n", line=3, path="db/schema.sql",
                       to="BIGINT"),
               Invalid("SELECT setval('public.content_items_id_seq', (SELECT max(id) FROM content_items));\n",
                       line=1, path="db/fix_sequences.sql", kind="hazard")]
    # a referencing table's own sequence (PostgreSQL's and Oracle's spelling) is not the key's
    VALID += [Valid("CREATE TABLE images (\n  id INTEGER DEFAULT nextval('images_id_seq') NOT NULL,\n"
                    "  content_id UUID REFERENCES content_items (id)\n);\n"
                    "CREATE TABLE thumbs (\n  id INTEGER DEFAULT thumbs_seq.nextval NOT NULL,\n"
                    "  content_id UUID REFERENCES content_items (id)\n);\n", path="db/schema.sql")]

    def check_sql(self, text: str, path: str, model: KeyModel) -> Iterator[Finding]:
        pos = 0
        for stmt in re.split(r"(?<=;)", text):
            start_line = text.count("\n", 0, pos) + 1
            pos += len(stmt)
            m = re.match(r"\s*create\s+table\s+(?:if\s+not\s+exists\s+)?[\"`]?([\w.]+)", stmt, re.I)
            own = m.group(1) if m else None
            hits = sql_hits(model, stmt)
            if not hits and not (own and own in model.impacted):
                continue
            cols = {q.split(".", 1)[1] for q, _ in hits} | set(model.impacted.get(own or "", {}))
            for i, line in enumerate(stmt.splitlines()):
                number = start_line + i
                low = line.strip().lower()
                kind: Kind | None = None
                applies: tuple[str, ...] = ()
                first = re.match(r"[\"`]?(\w+)", low)
                typed = re.search(r"\b(int|integer|serial|bigint|smallint|bigserial|int[248])", low)
                why = line_hazard(line, cols, model)
                if own and first and first.group(1) in model.impacted.get(own, {}) and typed:
                    kind, applies = "must_change", type_targets(typed.group(1))
                elif re.search(r"references\s+[\"`]?(\w+)", low) and any(
                        re.search(rf"references\s+[\"`]?{re.escape(t)}\b", low) for t in model.impacted) \
                        and typed and re.search(r"\b(int|integer|bigint|int[248])\b", low):
                    kind, applies = "must_change", type_targets(typed.group(1))
                elif why:
                    kind, applies = "hazard", hazard_targets(line, why)
                if kind:
                    yield Finding(rule=f"py.{self.name}", code=self.code, layer="raw-sql", language="sql", kind=kind,
                                  severity=DEFAULT_SEVERITY[kind], path=path,
                                  span=Span(number, 1, number, len(line) + 1), symbol=own or path,
                                  message=f"SQL touches the key: `{line.strip()[:80]}`",
                                  evidence="; ".join(w for _, w in hits[:2]) or f"table {own}",
                                  target=model.default_target, applies_to=applies)


_CREATE = re.compile(r"\bcreate\s+(?:(?:global\s+|local\s+)?(?:temp|temporary)\s+|unlogged\s+)?table\s+"
                     r"(?:if\s+not\s+exists\s+)?[\"`]?(\w+)[\"`]?\s*\(", re.I)
_ADD = re.compile(r"\balter\s+table\s+(?:if\s+exists\s+)?[\"`]?(\w+)[\"`]?\s+add\s+(?:column\s+)?", re.I)
_INT_COL = re.compile(r"(?:^|[(,]|\badd\s+(?:column\s+)?)\s*(?:[rbuf]*['\"]\s*)?[\"`]?(\w+)[\"`]?\s+(integer|int|int4|int8|bigint|smallint|"
                      r"serial|bigserial)\b([^,)]*(?:\([^)]*\))?[^,)]*)", re.I)


#: what a string `_CREATE` or `_ADD` matches holds, looked for in the file's lowered text: each starts with a literal,
#: which the engine finds at C speed (`_CREATE` itself, case-insensitive and led by `\b`, costs ~8x more a text).
#: Lowering keeps these ASCII words (no other character folds to their letters), and a string's text is part of
#: its file's, so a file neither is found in holds no such string (polar: 0.16 -> 0.03 s for the rule)
_CREATE_HINT = re.compile(r"create\s+(?:(?:global\s+|local\s+)?(?:temp|temporary)\s+|unlogged\s+)?table\s")
_ADD_HINT = re.compile(r"alter\s+table\s")


class SqlDdlIntKey(PyRule):
    """DDL in a SQL string that declares a key column as an integer (`CREATE TEMP TABLE t (content_id INTEGER)`).

    Anti-pattern: a staging or temp table, written as raw SQL, whose column holds the key typed INTEGER
    — inserting UUIDs fails. A column holds the key when its table is affected, when it REFERENCES an
    affected column, or when it is named like an impacted foreign-key column (`content_id`). Best
    practice: declare it with the key's new SQL type.

    Every target type for INTEGER / INT / SERIAL (a bigint key overflows them); UUID and text only for a
    column already BIGINT.
    """

    code, name, layer, kind = "PY074", "sql.ddl_int_key", "raw-sql", "must_change"
    VALID = [Valid("def stage(conn):\n"
                   "    conn.exec_driver_sql('CREATE TEMP TABLE ids (id INTEGER PRIMARY KEY, user_id INTEGER)')\n"
                   "    conn.exec_driver_sql('CREATE TABLE order_lines (order_id INTEGER, qty INTEGER)')\n"),
             Valid("def stage(conn):\n"
                   "    conn.exec_driver_sql('CREATE TEMP TABLE staged (content_id BIGINT PRIMARY KEY)')\n",
                   to="BIGINT")]
    INVALID = [
        Invalid("def stage(conn):\n"
                "    conn.exec_driver_sql('CREATE TEMP TABLE IF NOT EXISTS staged (content_id INTEGER PRIMARY KEY)')\n",
                line=2, message_contains="content_id"),
        Invalid("def stage(conn):\n    conn.exec_driver_sql(\n        'CREATE TABLE picks (\\n'\n"
                "        '  ref INTEGER REFERENCES content_items (id),\\n'\n        '  n INTEGER)')\n",
                line=4, message_contains="ref"),
        Invalid("def stage(conn):\n"
                "    conn.exec_driver_sql('CREATE TEMP TABLE IF NOT EXISTS staged (content_id INTEGER PRIMARY KEY)')\n",
                line=2, message_contains="content_id", to="BIGINT"),
        Invalid("def widen(conn):\n    conn.exec_driver_sql('Alter Table\tpicks ADD COLUMN content_id integer')\n",
                line=2, message_contains="content_id"),
        Invalid("def stage(conn):\n    conn.exec_driver_sql('create   Temporary\tTABLE staged (content_id INT)')\n",
                line=2, message_contains="content_id"),
    ]

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        pf, model = ctx.pf, ctx.model
        low = pf.text.lower()  # (lowering and a substring test: half the time of a case-insensitive pattern)
        if "table" not in low or not (_CREATE_HINT.search(low) or _ADD_HINT.search(low)):
            return  # (most files)
        for node in _whole_strings(pf, (cst.ConcatenatedString, cst.SimpleString)):
            text = pf.code(node)
            if not (_CREATE.search(text) or _ADD.search(text)):
                continue
            start = pf.span(node).line
            # the string's tables, found once (not once per line: that is quadratic on big strings)
            tables = [m.group(1).lower() for m in (*_CREATE.finditer(text), *_ADD.finditer(text))]
            for i, line in enumerate(text.splitlines()):
                for why, col, written in self._int_keys(model, tables, line):
                    span = Span(start + i, 1, start + i, len(line) + 1)
                    yield Finding(rule=self.rule_name, code=self.code,
                                  layer="migration" if pf.layer == "migration" else "raw-sql", language="python",
                                  kind="must_change", severity=DEFAULT_SEVERITY["must_change"], path=pf.path,
                                  span=span, symbol=f"{pf.modname}.sql",
                                  message=f"DDL declares the key column `{col}` as an integer: "
                                          f"`{line.strip()[:80]}`",
                                  evidence=why, target=model.default_target,
                                  review="declare the column with the key's new SQL type",
                                  applies_to=type_targets(written))

    @staticmethod
    def _int_keys(model: KeyModel, tables: list[str], line: str) -> list[tuple[str, str, str]]:
        out = []
        for m in _INT_COL.finditer(re.sub(r"--.*$", "", line)):
            col, rest = m.group(1), m.group(3).lower()
            if col.lower() in ("table", "exists", "constraint", "primary", "foreign", "unique", "check"):
                continue
            why = None
            for table in tables:
                if col in model.impacted.get(table, {}):
                    why = f"{table}.{col} is impacted ({model.impacted[table][col].reason})"
            ref = re.search(r"\breferences\s+[\"`]?(\w+)[\"`]?\s*(?:\(\s*[\"`]?(\w+))?", rest)
            if why is None and ref is not None:
                rt, rc = ref.group(1), ref.group(2) or "id"
                if rc in model.impacted.get(rt, {}):
                    why = f"references {rt}.{rc}, which changes type"
            if why is None and col.lower() not in GENERIC and col in model.key_names \
                    and model.key_names[col].startswith("column "):
                why = f"`{col}` is named like {model.key_names[col]}"
            if why:
                out.append((why, col, m.group(2)))
        return out
