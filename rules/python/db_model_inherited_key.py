from __future__ import annotations

import ast
import io
import re
import tokenize
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid

from analyzer.models import Edit, Finding, Span
from analyzer.python import facts
from analyzer.python.parsed import module_name

#: models whose tables all change: the base's `id` is the place
_SOLE = ("### app/models.py\nfrom sqlmodel import Field, SQLModel\n"
         "class ContentBase(SQLModel):\n    id: int | None = Field(default=None, primary_key=True)\n"
         "class ContentItem(ContentBase, table=True):\n    __tablename__ = 'content_items'\n    title: str\n"
         "class Image(SQLModel, table=True):\n    __tablename__ = 'images'\n    image_id: int = Field(primary_key=True)\n"
         "    content_id: int = Field(foreign_key='content_items.id')\n")
#: one base for every table (`IdModel`), in a module of its own: the key's table must declare its own `id`
_SHARED = ("### app/db/base.py\nfrom datetime import datetime\nfrom sqlmodel import Field, SQLModel\n"
           "class IdModel(SQLModel):\n    id: int | None = Field(default=None, primary_key=True)\n"
           "class Timestamped(SQLModel):\n    created_at: datetime | None = None\n"
           "### app/models.py\nfrom sqlmodel import Field, SQLModel\nfrom app.db.base import IdModel, Timestamped\n"
           "class ContentItem(IdModel, Timestamped, table=True):\n    __tablename__ = 'content_items'\n\n"
           "    title: str\n"
           "class User(IdModel, table=True):\n    __tablename__ = 'users'\n    email: str\n"
           "class Image(IdModel, table=True):\n    __tablename__ = 'images'\n"
           "    content_id: int = Field(foreign_key='content_items.id')\n")
#: the SQLAlchemy 2.0 spelling: a mixin declaring `id`, shared by a table the change does not touch
_MIXIN = ("### app/models.py\nfrom sqlalchemy import ForeignKey\n"
          "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n"
          "class Base(DeclarativeBase):\n    pass\n"
          "class PkMixin:\n    id: Mapped[int] = mapped_column(primary_key=True)\n"
          "class ContentItem(PkMixin, Base):\n    __tablename__ = 'content_items'\n"
          "    title: Mapped[str]\n"
          "class User(PkMixin, Base):\n    __tablename__ = 'users'\n"
          "class Image(Base):\n    __tablename__ = 'images'\n    id: Mapped[int] = mapped_column(primary_key=True)\n"
          "    content_id: Mapped[int] = mapped_column(ForeignKey('content_items.id'))\n")


class InheritedKeyColumn(PyRule):
    """A key column a mapped class does not declare: it inherits it from a base model or mixin.

    Anti-pattern: `class Booking(IdModel, table=True)` with `id` declared once on `IdModel` — the column
    patch has no line in `Booking` to change, and changing `IdModel.id` changes the key of every table that
    derives from it (patients, users...), which the migration does not touch. Best practice: when every table
    taking the column from that base changes, change it on the base (the base's line is reported); when the
    base serves other tables too, declare the new key in the class itself (`id: uuid.UUID =
    Field(default_factory=uuid.uuid4, primary_key=True)`, first definer wins in the MRO) or give the changed
    tables a base of their own, and leave the shared base as it is (its line is reported as context).

    Every target type: an inherited `int` key is int4 for bigint too.
    """

    code, name, layer, kind = "PY005", "db.inherited_key", "db-model", "must_change"
    fixable = True
    VALID = [
        # the class declares its key itself: PY001's line
        Valid("### app/db/base.py\nfrom sqlmodel import Field, SQLModel\n"
              "class IdModel(SQLModel):\n    id: int | None = Field(default=None, primary_key=True)\n"
              "### app/models.py\nfrom sqlmodel import Field\nfrom app.db.base import IdModel\n"
              "class ContentItem(IdModel, table=True):\n    __tablename__ = 'content_items'\n"
              "    id: int | None = Field(default=None, primary_key=True)\n"
              "class User(IdModel, table=True):\n    __tablename__ = 'users'\n", path="app/models.py"),
        # a base model of other tables only
        Valid(_SHARED.replace("class ContentItem(IdModel, Timestamped, table=True)",
                              "class ContentItem(Timestamped, table=True)")
              .replace("    title: str\n", "    id: int = Field(primary_key=True)\n    title: str\n"),
              path="app/db/base.py"),
    ]
    INVALID = [
        Invalid(_SOLE, line=3, path="app/models.py", message_contains="every table deriving from ContentBase"),
        Invalid(_SHARED, line=3, path="app/models.py", message_contains="IdModel also serves images, users"),
        Invalid(_SHARED, line=4, path="app/db/base.py", kind="info", message_contains="leave it"),
        Invalid(_MIXIN, line=7, path="app/models.py", message_contains="PkMixin also serves users"),
        # SQLAlchemy 1.x: the declarative base made from a class declaring `id` (declarative_base(cls=Base))
        Invalid("### app/db/base.py\nfrom sqlalchemy import Column, Integer\n"
                "from sqlalchemy.orm import declarative_base\n"
                "class Base:\n    id = Column(Integer, primary_key=True)\n"
                "SqlAlchemyBase = declarative_base(cls=Base)\n"
                "### app/models.py\nfrom sqlalchemy import Column, ForeignKey, Integer, String\n"
                "from app.db.base import SqlAlchemyBase\n"
                "class ContentItem(SqlAlchemyBase):\n    __tablename__ = 'content_items'\n    title = Column(String)\n"
                "class User(SqlAlchemyBase):\n    __tablename__ = 'users'\n"
                "class Image(SqlAlchemyBase):\n    __tablename__ = 'images'\n"
                "    content_id = Column(Integer, ForeignKey('content_items.id'))\n",
                line=3, path="app/models.py", message_contains="from Base, but Base also serves"),
    ]

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        model = ctx.model
        mine = {o.name: o for o in model.orm.values() if o.path == ctx.pf.path}
        if not mine:
            return
        for cls in ctx.pf.classes:
            orm = mine.get(cls.name.value)
            if orm is None or ctx.pf.line(cls) != orm.line:
                continue
            declared = {a.name for a in facts.class_attrs(cls)}
            for attr, ic in orm.key_attrs.items():
                if attr in declared:
                    continue
                base = _declaring_base(ctx, cls, attr)
                if base is None:
                    continue
                yield from self._report(ctx, cls, orm.name, attr, ic.qualified, ic.target or model.default_target,
                                        base)

    def _report(self, ctx: FileCtx, cls: cst.ClassDef, name: str, attr: str, column: str, target: str,
                base: _Base) -> Iterator[Finding]:
        others = sorted(t for t in _tables_of(ctx, base) if attr not in ctx.model.impacted.get(t, {}))
        done = ctx.flow.cache.setdefault("inherited_key_bases", set())
        assert isinstance(done, set)
        symbol = f"{base.name}.{attr}"
        if not others:  # every table taking the column from the base changes: the base is the place
            if (base.path, attr) in done:
                return
            done.add((base.path, attr))
            yield self._at(ctx, base, symbol, "must_change",
                           f"`{attr}` of {name} ({column}) is declared on its base {base.name}: change it there "
                           f"(every table deriving from {base.name} is in the change)", target, column)
            return
        serves = ", ".join(others[:4]) + (", ..." if len(others) > 4 else "")
        edits = _override(ctx, cls, attr, base)
        yield ctx.finding(self, cls.name, name,
                          f"{name} takes `{attr}` ({column}) from {base.name}, but {base.name} also serves {serves}: "
                          f"declare `{attr}` in {name} with the new type (or give the changed tables a base of "
                          f"their own)", evidence=f"{base.name}.{attr} in {base.path}:{base.line}", target=target,
                          edits=edits, review="" if edits else f"declare `{attr}` in {name}")
        if (base.path, attr) not in done:
            done.add((base.path, attr))
            yield self._at(ctx, base, symbol, "info",
                           f"{base.name}.{attr} serves {serves} too, which keep their key: leave it, {name} "
                           f"declares its own `{attr}`", target, column)

    def _at(self, ctx: FileCtx, base: _Base, symbol: str, kind: str, message: str, target: str,
            column: str) -> Finding:
        """A finding on the base's line, in the base's file (which the scan may not have parsed)."""
        f = ctx.finding(self, ctx.pf.module, symbol, message, evidence=f"{symbol} maps {column}", target=target,
                        kind="info" if kind == "info" else "must_change",
                        review="" if kind == "info" else f"change {symbol} to the new type")
        from dataclasses import replace
        return replace(f, path=base.path, span=Span(base.line, base.col, base.end_line, base.end_col))


@dataclass(frozen=True)
class _Base:
    name: str
    path: str
    line: int
    col: int
    end_line: int
    end_col: int
    statement: str
    alias: str = ""  # the name the subclasses derive from, when another (`SqlAlchemyBase = declarative_base(cls=Base)`)


def _modules(ctx: FileCtx) -> dict[str, str]:
    cached = ctx.flow.cache.get("inherited_key_modules")
    if not isinstance(cached, dict):
        cached = {}
        for p in ctx.routers.texts:  # by module, also without the root's name of a multi-root scan (`backend/`)
            if p.endswith(".py"):
                cached[module_name(p)] = p
                if "/" in p:
                    cached.setdefault(module_name(p.split("/", 1)[1]), p)
        ctx.flow.cache["inherited_key_modules"] = cached
    return cached


def _tree(ctx: FileCtx, path: str) -> ast.Module | None:
    trees = ctx.flow.cache.setdefault("inherited_key_trees", {})
    assert isinstance(trees, dict)
    if path not in trees:
        trees[path] = _parse(ctx.routers.texts.get(path, ""))
    return trees[path]


def _parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _find_class(ctx: FileCtx, module: str, name: str, depth: int = 0) -> tuple[str, ast.ClassDef] | None:
    """(path, class) of `name` as the module `module` defines or imports it."""
    path = _modules(ctx).get(module)
    tree = _tree(ctx, path) if path else None
    if tree is None or path is None or depth > 4:
        return None
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return path, node
    for node in tree.body:  # `SqlAlchemyBase = declarative_base(cls=Base)`: the class it is made from
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and node.targets[0].id == name and isinstance(node.value, ast.Call):
            made = next((k.value for k in node.value.keywords if k.arg in ("cls", "model_class")
                         and isinstance(k.value, ast.Name)), None)
            if isinstance(made, ast.Name) and made.id != name:
                return _find_class(ctx, module, made.id, depth + 1)
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    source = node.module or ""
                    if node.level:
                        package = module.split(".")
                        keep = len(package) - node.level + (1 if path.endswith("__init__.py") else 0)
                        source = ".".join([*package[:max(keep, 0)], *([source] if source else [])])
                    return _find_class(ctx, source, alias.name, depth + 1)
    return None


def _base_name(expr: ast.expr) -> str | None:
    if isinstance(expr, ast.Subscript):
        expr = expr.value
    return expr.id if isinstance(expr, ast.Name) else expr.attr if isinstance(expr, ast.Attribute) else None


def _declaring_base(ctx: FileCtx, cls: cst.ClassDef, attr: str) -> _Base | None:
    """The first base (depth first, as the MRO mostly is) of a project class that declares `attr`; a mapped base
    (a table of its own) is PY001's, a library base no scan sees is nobody's."""
    module = ctx.pf.modname
    todo: list[tuple[str, str]] = []
    for b in cls.bases:
        value = b.value.value if isinstance(b.value, cst.Subscript) else b.value
        for q in ctx.pf.qnames(value):
            mod, _, name = q.rpartition(".")
            todo.append((mod or module, name))
            break
    seen: set[tuple[str, str]] = set()
    while todo:
        mod, name = todo.pop(0)
        if (mod, name) in seen or len(seen) > 20:
            continue
        seen.add((mod, name))
        found = _find_class(ctx, mod, name)
        if found is None:
            continue
        path, node = found
        if name in ctx.model.orm or name in ctx.model.other_orm or _is_table(node):
            continue
        for stmt in node.body:
            target = stmt.target if isinstance(stmt, ast.AnnAssign) else \
                stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 else None
            if isinstance(target, ast.Name) and target.id == attr:
                text = ast.get_source_segment(ctx.routers.texts[path], stmt) or ""
                return _Base(node.name, path, stmt.lineno, stmt.col_offset + 1, stmt.end_lineno or stmt.lineno,
                             (stmt.end_col_offset or 0) + 1, text, alias=name if name != node.name else "")
        here = next((m for m, p in _modules(ctx).items() if p == path), module_name(path))
        todo += [(here, n) for n in map(_base_name, node.bases) if n]
    return None


def _is_table(node: ast.ClassDef) -> bool:
    return any(k.arg == "table" for k in node.keywords) or any(
        isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__tablename__" for t in s.targets)
        for s in node.body)


def _tables_of(ctx: FileCtx, base: _Base) -> set[str]:
    """Tables of the project's mapped classes deriving (directly or not) from `base`.

    A file's classes are read (from its tree, once) only when the words of its class headers meet the names: a
    class deriving from one names it in its header (`_header_words`, found once per file), so no other file can
    add a name or a table. On polar (1,972 files, ~90 subclasses of its `IDModel`) a test of every name against
    every text on each pass cost 75 s CPU for three bases; a test of the text against the names learned since
    still sent the 804 files naming any model to `ast.parse` (2.4 of the rules' 5.5 s CPU)."""
    cache = ctx.flow.cache.setdefault("inherited_key_tables", {})
    assert isinstance(cache, dict)
    if base.name in cache:
        return cache[base.name]  # type: ignore[no-any-return]
    names, tables = {base.name, *([base.alias] if base.alias else [])}, set()
    headers = ctx.flow.cache.setdefault("inherited_key_headers", {})
    assert isinstance(headers, dict)
    for _ in range(4):
        before = len(names)
        for path, text in ctx.routers.texts.items():
            if not path.endswith(".py"):
                continue
            words = headers.get(path)
            if words is None:
                words = headers[path] = _header_words(text)
            if names.isdisjoint(words):
                continue
            for name, bases, table in _classes(ctx, path):
                if names & bases:
                    if name not in names:
                        names.add(name)
                    if table is not None:
                        tables.add(table)
        if len(names) == before:
            break
    cache[base.name] = tables
    return tables


#: a class header on one line with plain bases (no string, comment or bracket inside them): read by this pattern
_SIMPLE_HEADER = re.compile(r"[ \t\f]*class\s+\w+\s*(?:\([^()\[\]{}'\"#\\\n]*\))?\s*:")
_WORDS = re.compile(r"\w+")
_LONE_CR = re.compile(r"\r(?!\n)")


def _header_words(text: str) -> frozenset[str]:
    """The words of every class statement's header, from `class` to the colon ending it: every base name
    `_classes` can read from the file is one. A class statement always starts a line (`_CLASS_LINE`); a header
    the one-line pattern does not cover is read by the tokenizer (strings, comments, brackets over lines). When
    the tokenizer fails (a `class` line inside a string), or lines may end in a lone CR (which `_CLASS_LINE`
    does not take for a line end), every word of the text: never fewer than the headers hold."""
    if "\r" in text and _LONE_CR.search(text):
        return frozenset(_WORDS.findall(text))
    out: set[str] = set()
    lines: io.StringIO | None = None
    for start in _class_lines(text):
        simple = _SIMPLE_HEADER.match(text, start)
        if simple is not None:
            out.update(_WORDS.findall(simple.group(0)))
            continue
        lines = lines or io.StringIO(text)
        lines.seek(start)
        depth = 0
        try:
            for tok in tokenize.generate_tokens(lines.readline):
                if tok.type == tokenize.NAME:
                    out.add(tok.string)
                elif tok.type == tokenize.OP and tok.string in ("(", "[", "{"):
                    depth += 1
                elif tok.type == tokenize.OP and tok.string in (")", "]", "}"):
                    depth -= 1
                elif tok.type == tokenize.NEWLINE or tok.type == tokenize.OP and tok.string == ":" and depth == 0:
                    break
        except (tokenize.TokenError, SyntaxError):
            return frozenset(_WORDS.findall(text))
    return frozenset(out)


def _class_lines(text: str) -> Iterator[int]:
    """The starts of `_CLASS_LINE`'s matches (`finditer`), found by `str.find`: the start of each line whose text is
    blanks (` `, tab, form feed) then `class` ending a word. The pattern tried at every position of every text read
    (~18 MB on polar) was three quarters of `_header_words`."""
    at = text.find("class")
    while at >= 0:
        end = at + 5
        start = text.rfind("\n", 0, at) + 1
        if (end == len(text) or not (text[end].isalnum() or text[end] == "_")) and not text[start:at].strip(" \t\f"):
            yield start
        at = text.find("class", end)


def _classes(ctx: FileCtx, path: str) -> list[tuple[str, set[str | None], str | None]]:
    """Each class of a file: its name, its bases' names, its table (None: not a table). From the scan's tree of the
    file when it parsed it (polar: most of the ~800 files read here, which `ast.parse` read again: 0.4 s), else
    from `ast` (in `ast.walk` order)."""
    every = ctx.flow.cache.setdefault("inherited_key_classes", {})
    assert isinstance(every, dict)
    pf = ctx.flow.files.get(path)
    if path not in every and pf is not None:
        every[path] = [(c.name.value, {_cst_base_name(a) for a in c.bases}, _cst_table(c)) for c in pf.classes]
    if path not in every:  # the tree is not kept (most of these files are read for their class headers only)
        trees = ctx.flow.cache.get("inherited_key_trees")
        text = ctx.routers.texts.get(path, "")
        tree = trees[path] if isinstance(trees, dict) and path in trees else \
            _parse(text) if _CLASS_LINE.search(text) else None  # (no class statement: no class to read)
        every[path] = [(node.name, {_base_name(b) for b in node.bases}, _table_name(node) if _is_table(node) else None)
                       for node in _walk_statements(tree) if isinstance(node, ast.ClassDef)]
    return every[path]  # type: ignore[no-any-return]


def _cst_base_name(arg: cst.Arg) -> str | None:
    """`_base_name` of a LibCST base (`Generic[T]` -> Generic, `db.Model` -> Model, `*bases` -> None)."""
    expr = arg.value
    if arg.star:
        return None
    while isinstance(expr, cst.Subscript):
        expr = expr.value
    return expr.value if isinstance(expr, cst.Name) else expr.attr.value if isinstance(expr, cst.Attribute) else None


def _cst_table(cls: cst.ClassDef) -> str | None:
    """`_table_name` of a LibCST class when `_is_table` holds, else None: SQLModel's `table=True`, or an assignment
    to `__tablename__` among the class body's own statements (its first to a string literal names it)."""
    own = [small for st in cls.body.body
           for small in (st.body if isinstance(st, cst.SimpleStatementLine) else (st,))] \
        if isinstance(cls.body, cst.IndentedBlock) else list(cls.body.body)
    named = [a for a in own if isinstance(a, cst.Assign) and any(
        isinstance(t.target, cst.Name) and t.target.value == "__tablename__" for t in a.targets)]
    if not named and not any(k.keyword is not None and k.keyword.value == "table" for k in cls.keywords):
        return None
    return next((v for a in named if (v := facts.string_value(a.value)) is not None), cls.name.value.lower())


#: a line starting a class statement (a class statement always starts a line, after its indentation)
_CLASS_LINE = re.compile(r"^[ \t\f]*class\b", re.M)


def _walk_statements(tree: ast.Module | None) -> list[ast.AST]:
    """`ast.walk(tree)` (breadth first) without entering expressions: the same statements in the same order (a
    statement is never under an expression), at a fraction of the cost on a whole module."""
    if tree is None:
        return []
    out: list[ast.AST] = []
    todo: deque[ast.AST] = deque([tree])
    while todo:
        node = todo.popleft()
        out.append(node)
        for name in node._fields:  # (in iter_child_nodes' order)
            if name in _STATEMENT_LISTS:
                todo.extend(getattr(node, name))
    return out


#: the fields that hold statements (or the except handlers and match cases holding them)
_STATEMENT_LISTS = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})


def _table_name(node: ast.ClassDef) -> str:
    for s in node.body:
        if isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__tablename__" for t in s.targets) \
                and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str):
            return s.value.value
    return node.name.lower()  # SQLModel's default


def _override(ctx: FileCtx, cls: cst.ClassDef, attr: str, base: _Base) -> tuple[Edit, ...]:
    """`id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)` after the class's docstring and
    dunder settings, in the spelling of the base's declaration (SQLModel Field, SQLAlchemy mapped_column);
    UUID only (another type is a review)."""
    if ctx.model.to_type.upper() != "UUID" or "primary_key" not in base.statement:
        return ()
    if "Field(" in base.statement:
        decl = f"{attr}: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)"
    elif "mapped_column(" in base.statement and "Mapped[" in base.statement and "Mapped" in ctx.pf.text:
        decl = f"{attr}: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)"
    else:
        return ()
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    anchor: cst.CSTNode | None = None
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine) and stmt.body and (
                isinstance(stmt.body[0], cst.Expr) and isinstance(stmt.body[0].value, cst.SimpleString)
                or isinstance(stmt.body[0], cst.Assign) and isinstance(stmt.body[0].targets[0].target, cst.Name)
                and stmt.body[0].targets[0].target.value.startswith("__")):
            anchor = stmt
            continue
        break
    if anchor is None or not body:
        return ()
    span = ctx.pf.span(anchor)
    lines = ctx.pf.text.splitlines(keepends=True)
    offset = sum(len(line) for line in lines[:span.end_line])
    indent = re.match(r"[ \t]*", lines[ctx.pf.span(body[0]).line - 1]).group(0)  # type: ignore[union-attr]
    return (Edit(offset, offset, f"{indent}{decl}\n", requires_import="import uuid"),)
