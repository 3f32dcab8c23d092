"""Trees built from stdlib `ast` (analyzer.python.fastparse) are LibCST's, node for node (issue 15).

Every rule reads the tree through node types, fields and `ParsedFile` positions; `tree_difference` compares all
three, and the index, between LibCST's own parse and fastparse's. Checked on every Python file of the fixtures
and on the awkward shapes real code has (parentheses owned by a node or by its parent, comments inside
brackets, non-ASCII text, CRLF, one-line suites, comprehension chains). `scripts/fastparse_compare.py` runs the
same comparison over any tree (polar's and onyx's Python: identical).
"""

from __future__ import annotations

import sys

import pytest
from helpers import REPO

from analyzer.models import SourceFile
from analyzer.python import fastparse
from analyzer.python.fastparse import tree_difference
from analyzer.python.parsed import ParsedFile, ParseFailure, parse

AWKWARD = {
    "parens.py": (
        "x = (1, 2)\ny = ((a)) + b\nf(x for x in y)\nf((x for x in y), 1)\nz = [(a), b]\n"
        "for (content_id, day), n in rows:\n    pass\nt = x[(a), b]\nu = x[(a, b)]\nv = x[a, b]\n"
        "w = ()\nq = (\n    sa.CheckConstraint('ref > 0'),  # a comment (with parens)\n)\n"
        "r = (yield)\ns = (a) if (b) else (c)\nassert (x), (msg)\ndel (a), b\n"
        "h = (lambda x: x)(1)\ng = (a).b(c)[d]\n"),
    "with.py": (
        "with (\n    open(a) as f,\n    open(b) as g,\n):\n    pass\nwith (a):\n    pass\n"
        "with (a) as b, (c):\n    pass\nwith (a, b) as c:\n    pass\nwith a as (b), c: pass\n"),
    "params.py": (
        "def tag(\n    tag_id: int,  # ok\n    item: Item = Depends(get_item),\n) -> None:\n    pass\n\n\n"
        "def f(a, /, b=1, *c, d, **e): pass\n\n\ndef g(*, db: Session = Depends(get_db), x=(1)) -> int:\n"
        "    return (x)\n\n\nkeep = lambda user_id, cache: (  # noqa: ARG005\n    None\n)\n"
        "h = lambda: 0\nk = lambda *a, **kw: a\nclass A(B):  # a note (x)\n    pass\n"
        "class D(\n    (B),  # why (c)\n    metaclass=M,\n):\n    pass\nclass E():\n    pass\n"),
    "strings.py": (
        "a = 'plain'\nb = \"dq\" 'concat'\nc = f\"{x!r:>{width}} and {y}\"\nd = (\n    'multi'\n    f'{line}'\n)\n"
        "e = b'bytes'\nf_ = r'\\d+' '\\''\ng = '''tri\nple'''\nh = 'it''s'\ni = \"esc \\\" quote\"\n"),
    "unicode.py": (
        "# -*- coding: utf-8 -*-\nname = 'Zoë — ü'; other = len(name)\nclass Café:\n    prix: int = 1\n"
        "    def ñ(self, ü: str = 'é') -> str:\n        return f'{ü}…' + ü\n"),
    "flow.py": (
        "import a.b as c, d\nfrom ..x.y import (a,)\nfrom . import *\nglobal q, r\n"
        "if a:\n    pass\nelif b: pass\nelse:\n    if c:\n        pass\n"
        "try:\n    pass\nexcept (E) as e:\n    raise X from e\nexcept Exception:\n    pass\nelse:\n    pass\n"
        "finally:\n    pass\nwhile x:\n    x -= 1\nelse:\n    pass\nfor i in y: print(i); continue\n"
        "x = [a for a in b if a if c for d in e]\nm = {k: v for k, v in d.items()}\n{**a, 'b': 1}\n"
        "async def g():\n    async for x in y: pass\n    async with a: pass\n    await x\n"
        "    [x async for x in y]\n    yield from z\n"
        "if (n := len(a)) > 10 and not b or c: pass\nx = a < b <= c != d is not e not in f\n"
        "s = x[1:2, ::3]\nt = x[end + len(MARK) :\n    ]\n@dec\n@dec2(arg)\nclass C(B, metaclass=M):\n"
        "    x: int = 1\n    def m(self): ...\n"),
    "match.py": (
        "def handle(cmd):\n    match cmd:\n        case [x, *rest] if x > 0:\n            return (x)\n"
        "        case {'k': v, **kw}:\n            pass\n        case Point(x=0) | None:\n            pass\n"
        "        case _:\n            return cmd.id\n\n\nmatch top:\n    case 1: pass\n"),
    "except_list.py": (  # PEP 758 (Python 3.14): ast before 3.14 refuses it; the line gets parentheses, then positions
        "try:\n    pass\nexcept ValueError, KeyError:\n    x = (1)\nexcept (OSError) as e:\n    raise\n"
        "s = 'except A, B: in a string'\n"),
    "fstrings.py": (
        "a = f\"x{b!r:>{w}}c{{d}}{e=}{ f }\"\nb = (\"p\" f'{q}'\n  \"r\")\nc = rf\"\"\"\n{ a\n + b }\"\"\"\n"
        "d = f'{x[\"k\"]:%Y-%m-%d}' f\"{y!s}\" 'tail'\ne = f'\\N{EM DASH} {n:,} {a == b} {(lambda: 1)()}'\n"
        "g = f'{f\"{inner}\"}' f'{\"=\" * 3}'\n"),
    "generics.py": (  # PEP 695 (3.12): on an older ast the brackets are blanked and parsed by LibCST as written
        "from typing import Any\n\n\nclass Page[T: Model, *Ts, **P](Base):\n    items: list[T]\n\n"
        "    def first[K: (str, bytes)  ,  V = int](self, key: K) -> T:\n        return self.items[0]\n\n\n"
        "async def fetch[R: \"Repo[Any]\"]( repo: R) -> R:\n    return repo\n\n\n"
        "type Ids = list[int]\nif True:\n    type   Pair[A, B: (int)] = tuple[A, B]  # aliases\n"
        "s = \"\"\"\ntype NotAnAlias = 1\nclass Nor[T]: pass\n\"\"\"\ntype = 3\nprint(type)\n"
        "class Plain[T]: pass\n"),
    "crlf.py": "def f(a):\r\n    return a + 1\r\n\r\nx = f(\r\n    2,\r\n)\r\n",
    "no_newline.py": "x = 1\ny = (2 +\n     3)",
    "only_comments.py": "# nothing here\n\n# but comments\n",
    "empty.py": "",
}


def _both(text: str, rel: str = "m.py") -> tuple[ParsedFile, ParsedFile]:
    src = SourceFile(".", rel, rel, "python")
    return parse(src, text, fast=False), parse(src, text, fast=True)


@pytest.mark.parametrize("rel", sorted(AWKWARD))
def test_awkward_shapes_build_the_same_tree(rel: str) -> None:
    real, fast = _both(AWKWARD[rel], rel)
    assert fast.converted and not real.converted
    assert tree_difference(real, fast) is None


def test_every_fixture_file_builds_the_same_tree() -> None:
    files = sorted(p for p in (REPO / "fixtures").rglob("*.py") if "node_modules" not in p.parts)
    assert len(files) > 100
    for path in files:
        text = path.read_text(encoding="utf-8")
        src = SourceFile(".", str(path), str(path.relative_to(REPO)), "python")
        try:
            real = parse(src, text, fast=False)
        except ParseFailure:  # a fixture's deliberately broken file: ast refuses it too
            with pytest.raises(fastparse.Unsupported):
                fastparse.convert(text)
            continue
        fast = parse(src, text, fast=True)
        assert fast.converted, path  # the fixtures use nothing fastparse leaves to LibCST
        assert tree_difference(real, fast) is None, path


def test_the_comparison_sees_a_difference() -> None:
    """The comparison can fail: a position, a field or an index entry that differs is reported."""
    text = AWKWARD["params.py"]
    real, fast = _both(text)
    node = fast.functions[0].params[0].name
    fast._pos[node] += 1 << 32
    assert "position" in (tree_difference(real, fast) or "")
    real, fast = _both(text)
    fast.index[next(iter(fast.index))].pop()
    assert "index" in (tree_difference(real, fast) or "")


@pytest.mark.parametrize("text", [
    "try:\n    pass\nexcept* ValueError:\n    pass\n",  # except*: LibCST's own parser
    pytest.param("def f[\n    T,\n](x: T) -> T:\n    return x\n",  # PEP 695 over lines: no same-length edit
                 marks=pytest.mark.skipif(sys.version_info >= (3, 12), reason="ast reads PEP 695 from 3.12 on")),
    "x = 1; type X = int\n",  # a `type` statement after another on its line
    "type X = int; y = 2\n",
    pytest.param("try:\n    pass\nexcept A, B:\n    pass\ntype X = int\n",  # PEP 758's parentheses, then PEP 695
                 marks=pytest.mark.skipif(sys.version_info >= (3, 12), reason="ast reads `type` from 3.12 on")),
    "x = 1\r y = 2\n",  # a lone carriage return: ast and LibCST count lines differently
    "x = 1\n\n   ",  # a blank line, then spaces without a newline: LibCST's codegen ends the module elsewhere
])
def test_what_it_does_not_build_goes_to_libcst(text: str) -> None:
    with pytest.raises(fastparse.Unsupported):
        fastparse.convert(text)
    try:
        pf = parse(SourceFile(".", "m.py", "m.py", "python"), text)
    except Exception as exc:  # noqa: BLE001 - LibCST may refuse it too (a Skipped outcome): never fastparse's
        assert "fastparse" not in repr(exc)
    else:
        assert not pf.converted


def test_constructors_store_every_field_by_keyword_and_in_order() -> None:
    """`fastparse.constructor` builds fastparse's nodes (by keyword) and the parallel parse's unpickled ones (all
    fields in order), for every LibCST node class, a field named like the constructor's own names included
    (MatchClass has `cls`)."""
    import dataclasses

    from analyzer.python.parsed import node_classes

    # (the slotted classes LibCST exports; `add_slots` leaves the dataclasses it replaced among the subclasses)
    classes = [c for c in node_classes() if dataclasses.is_dataclass(c) and "__setstate__" in c.__dict__]
    assert any(f.name == "cls" for c in classes for f in dataclasses.fields(c))
    for cls in classes:
        names = [f.name for f in dataclasses.fields(cls)]
        values = [object() for _ in names]
        for node in (fastparse.constructor(cls)(*values), fastparse.constructor(cls)(**dict(zip(names, values,
                                                                                                  strict=True)))):
            assert type(node) is cls
            assert [getattr(node, n) for n in names] == values, cls


def test_positions_of_operators_are_refused_not_guessed() -> None:
    """No rule asks where an operator is; a tree built from ast says it cannot tell instead of answering wrong."""
    _real, fast = _both("x = a + b\n")
    binop = fast.index[next(k for k in fast.index if k.__name__ == "BinaryOperation")][0].node
    with pytest.raises(LookupError):
        fast.span(binop.operator)
