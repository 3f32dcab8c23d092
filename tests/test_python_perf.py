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
