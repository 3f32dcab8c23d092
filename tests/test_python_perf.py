"""The one-pass file index (codegen positions + node index + flow body nodes) equals the slow way.

ParsedFile builds positions, the node index and each function's body nodes in one LibCST codegen pass
instead of MetadataWrapper(PositionProvider) plus visitor walks; these tests pin that the result is the
same, node for node, on code with the shapes that could differ (nested defs, classes in functions,
lambdas, comprehensions, decorators, CRLF line endings, one-line bodies).
"""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from analyzer.models import SourceFile
from analyzer.python.flow import _Body, _calls, _names, _returns_value, _walk_calls, _walk_names
from analyzer.python.parsed import _SHARED_TYPES, _UNPLACED, ParsedFile, _Indexer, parse

SOURCES = {
    "app/services/tasks.py": '''\
"""Module docstring."""
from __future__ import annotations

import sqlalchemy as sa
from .models import Task as T, Result


@decorator(key=lambda x: x.task_id)
def run(task_id: int, page: int = 1, *, cb=lambda r: r.id) -> int:
    rows = [r.task_id for r in session.query(T) if r.id == task_id]
    total: int = sum(x for x in rows if x > page)

    class Local:
        def inner(self, user_id: int) -> int:
            return user_id + 1

    def nested(other_id):
        return other_id * 2

    for i, x in enumerate(rows):
        if x == task_id:
            return nested(x)
    f = lambda y: y == task_id
    return {"task_id": task_id, "n": f"{task_id!r}"}["task_id"]


class Service:
    def get(self, task_id: int) -> Result: return self.repo.get(Result, task_id)

    async def many(self, ids: list[int]) -> list[int]:
        async for t in stream(ids):
            await t.save()
        return [await x for x in ids]
''',
    "app/crlf.py": "def f(a):\r\n    b = a + 1\r\n    return g(b) == a\r\n\r\nx = f(1)\r\n",
    "app/no_newline.py": "def f(a):\n    if a:\n        return a  # tail\n    return g(a)",
    "app/cr.py": "x = 1\ry = (\r  x)\r# end\r",
}


def _slow(pf: ParsedFile) -> ParsedFile:
    """The same index built the old way: a visitor walk over the module."""
    o = ParsedFile.__new__(ParsedFile)
    o.src, o.path, o.modname, o.module = pf.src, pf.path, pf.modname, pf.module
    o.imports, o.local_names, o.index, o.functions, o.classes, o.func_of = {}, set(), {}, [], [], {}
    _Indexer(o).walk()
    return o


def _raises_lookup(pf: ParsedFile, node: cst.CSTNode) -> bool:
    try:
        pf.span(node)
    except LookupError:
        return True
    return False


@pytest.mark.parametrize("rel", sorted(SOURCES))
def test_one_pass_index_equals_visitor_walk_and_metadata(rel: str, tmp_path: Path) -> None:
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(SOURCES[rel].encode())
    pf = parse(SourceFile(".", str(path), rel, "python"), SOURCES[rel], fast=False)  # LibCST's codegen pass
    old = _slow(pf)
    assert pf.imports == old.imports and pf.local_names == old.local_names
    assert [id(c) for c in pf.classes] == [id(c) for c in old.classes]
    assert [f.func_id for f in pf.functions] == [f.func_id for f in old.functions]
    assert set(pf.index) == set(old.index)
    for kind, entries in old.index.items():
        assert [(id(e.node), e.func.func_id if e.func else None, id(e.cls)) for e in entries] == \
               [(id(e.node), e.func.func_id if e.func else None, id(e.cls)) for e in pf.index[kind]], kind
    positions = MetadataWrapper(pf.module, unsafe_skip_copy=True).resolve(PositionProvider)
    kept = set(pf._pos)  # packed str offsets, whitespace, punctuation and operators left out
    assert kept <= set(positions) and all(type(n) in _UNPLACED for n in set(positions) - kept)
    assert any(type(n) in _UNPLACED for n in positions)
    # whitespace nodes are shared between places (one instance per value): no position is theirs, asking raises
    shared = {n for n in positions if type(n) in _SHARED_TYPES}
    assert shared and all(_raises_lookup(pf, n) for n in shared)
    placed = {n: r for n, r in positions.items() if n not in shared}
    spans = {n: pf.span(n) for n in placed}
    assert {n: (r.start.line, r.start.column + 1, r.end.line, r.end.column + 1) for n, r in placed.items()} == \
           {n: (s.line, s.column, s.end_line, s.end_column) for n, s in spans.items()}  # all, asked for anyway
    assert set(pf._pos) - shared == set(placed)
    for fi in pf.functions:  # flow's body nodes, gathered in the same pass
        walker = _Body()
        fi.node.body.visit(walker)
        assert fi.body_nodes is not None
        assert [id(n) for n in fi.body_nodes] == [id(n) for n in walker.nodes], fi.qualname


def test_walk_caches_return_what_a_walk_finds() -> None:
    module = cst.parse_module(SOURCES["app/services/tasks.py"])
    for node in module.body:
        assert _calls(node) == _walk_calls(node) and _calls(node) is _calls(node)
        assert _names(node) == _walk_names(node)
        if isinstance(node, cst.FunctionDef):
            assert _returns_value(node)


CALLS = '''\
import re
import logging as log
from sqlalchemy import bindparam as bp, column
from sqlalchemy.orm import relationship
from typing import cast

logger = log.getLogger(__name__)


def load(session, ids, target):
    q = session.query(Item).order_by(Item.id.desc()).get(ids[0])
    stmt = text("SELECT 1").bindparams(bp("item_id", type_=Integer), column("id"))
    logger.info("loaded %d", q.id)
    items = sorted(ids, key=lambda i: -i)
    factories[0]().get(3)
    make()()
    getattr(target, "get")(1)
    return cast(int, re.compile(r"\\d+").match(target).group(0)), max(items), print(get(target))


class Item(Base):
    tags = relationship("Tag")
    owner = db.relationship("User", foreign_keys="Item.owner_id")
'''


@pytest.mark.parametrize("names", [("get",), ("get", "order_by", "desc"), ("bindparam", "column"), ("cast", "match"),
                                   ("relationship",), ("info", "print", "max"), ("target", "bp"), ()])
def test_calls_by_name_are_the_calls_a_scan_of_every_call_finds(names):
    """`calls_named` / `calls_resolving` give, in source order, what filtering every call of the file gives: by the
    name written (`facts.callee_name`), and by the last part of a qualified name (an import alias counts under its
    imported name, `bp(...)` under `bindparam`; `x.get(...)` under `get` whatever `x` is)."""
    from analyzer.python.facts import callee_name

    pf = parse(SourceFile("/x", "/x/app/load.py", "app/load.py", "python"), CALLS)
    calls = pf.of(cst.Call)
    assert pf.calls_named(names) == [e for e in calls if callee_name(e.node) in names]

    def may(e):  # an attribute chain ends with its attribute; a bare name, with its own qualified name
        f = e.node.func
        return f.attr.value in names if isinstance(f, cst.Attribute) else \
            isinstance(f, cst.Name) and any(q.rsplit(".", 1)[-1] in names for q in pf.qnames(f))

    got = pf.calls_resolving(names)
    assert got == [e for e in calls if may(e)]
    assert all(e in got for e in calls if names and pf.resolves_to(e.node.func, *names))
    assert [id(e) for e in pf.calls_named(names)] == [id(e) for e in pf.calls_named(names)]  # (asked again: the same)


def test_calls_by_name_cover_the_aliases_and_proxies_the_rules_resolve():
    pf = parse(SourceFile("/x", "/x/app/load.py", "app/load.py", "python"), CALLS)
    lines = lambda entries: [pf.line(e.node) for e in entries]  # noqa: E731
    assert lines(pf.calls_resolving(("bindparam",))) == [12]  # `bp(...)`, and not `.bindparams(...)`
    assert lines(pf.calls_named(("bindparam",))) == []
    assert lines(pf.calls_resolving(("relationship",))) == [22, 23]
    assert lines(pf.calls_named(("get", "desc"))) == [11, 11, 15, 18]


def test_calls_resolving_follows_the_scan_s_project_names():
    """A bare callee's qualified name depends on the scan's project names (a Flask-SQLAlchemy instance imported from
    another module): the index follows them as `qnames` does."""
    from analyzer.python.parsed import ProjectNames

    pf = parse(SourceFile("/x", "/x/app/load.py", "app/load.py", "python"),
               "from app.ext import db\n\n\ndef fresh():\n    return db()\n")
    assert pf.calls_resolving(("SQLAlchemy",)) == []
    pf.project = ProjectNames({"app/ext.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n"})
    assert pf.resolves_to(pf.of(cst.Call)[0].node.func, "SQLAlchemy")
    assert pf.calls_resolving(("SQLAlchemy",)) == pf.of(cst.Call)
