"""analyzer.python.parallel: files parsed on both cores are what `parse` gives, file by file.

The parent parses files from the front, a forked child from the end, each claiming its next file; the child
sends each pickled ParsedFile (or a ParseFailure's message) as soon as it has it and the parent loads it. These
tests compare every file of the fixture apps (and a few that cannot be parsed) with a serial `parse`: the
code, every node's position, the index, the imports and functions, the failure messages.
"""

from __future__ import annotations

import os
from pathlib import Path

import libcst as cst
import pytest

from analyzer.models import SourceFile
from analyzer.python import parallel
from analyzer.python.parsed import ParsedFile, ParseFailure, parse

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the parse child is forked")


def fixture_files() -> list[tuple[SourceFile, str]]:
    items = []
    for path in sorted((REPO / "fixtures").rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        items.append((SourceFile(root=".", abs_path=str(path), path=rel, language="python"), path.read_text(encoding="utf-8")))
    odd = {"broken.py": "def f(:\n    pass\n", "deep.py": "x = " + "(" * 300 + "1" + ")" * 300 + "\n",
           "empty.py": "", "no_newline.py": "import os\nx = os.path.join('a', 'b')"}
    for name, text in odd.items():  # between the fixture files: some on the parent's side, some on the child's
        items.insert(len(items) * len(name) // 20, (SourceFile(root=".", abs_path=name, path=name, language="python"), text))
    return items


def serial(items: list[tuple[SourceFile, str]]) -> list[ParsedFile | ParseFailure]:
    out: list[ParsedFile | ParseFailure] = []
    for f, text in items:
        try:
            out.append(parse(f, text))
        except ParseFailure as exc:
            out.append(exc)
    return out


def described(got: ParsedFile | ParseFailure) -> object:
    """What the scan reads of a parsed file, with nodes named by their position (not their identity)."""
    if isinstance(got, ParseFailure):
        return ("failure", str(got))
    pf = got
    positions = sorted((type(node).__name__, pf.offsets(node)) for node in pf._pos)
    index = {kind.__name__: [(type(e.node).__name__, pf.offsets(e.node), e.func.qualname if e.func else None,
                              e.cls.name.value if e.cls else None) for e in entries]
             for kind, entries in pf.index.items()}
    functions = [(fi.qualname, fi.func_id, fi.cls, [p.name.value for p in fi.params], len(fi.body_nodes or []),
                  pf.offsets(fi.node)) for fi in pf.functions]
    return (pf.path, pf.module.code, pf.text, pf.digest, positions, index, functions, pf.imports, pf.local_names,
            [pf.offsets(c) for c in pf.classes], list(pf._line_starts), pf.layer, pf.modname)


@pytest.fixture
def both_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_FILES", 2)
    monkeypatch.setattr(parallel, "MIN_CHARS", 0)


def test_files_parsed_on_both_cores_are_the_serial_parse(both_cores: None) -> None:
    items = fixture_files()
    assert len(items) > 60
    parallel.LAST.clear()
    got = parallel.parse_many(items, 2)
    assert parallel.LAST["child_files"] >= 10  # the child did parse and send a share
    assert parallel.LAST["child_files"] < len(items)  # and so did the parent
    want = serial(items)
    assert [described(g) for g in got] == [described(w) for w in want]
    failures = {f.path: str(g) for (f, _t), g in zip(items, got, strict=True) if isinstance(g, ParseFailure)}
    assert {"broken.py", "deep.py"} <= set(failures)
    assert "nesting depth" in failures["deep.py"]
    # a loaded tree is a working tree: its nodes answer their positions and the usual queries
    loaded = [g for g in got if isinstance(g, ParsedFile)][-1]
    call = loaded.of(cst.Call)[0].node
    assert loaded.code(call) == cst.Module([]).code_for_node(call)


def test_the_parent_parses_what_the_child_could_not_send(both_cores: None, monkeypatch: pytest.MonkeyPatch) -> None:
    items = fixture_files()

    def fails(f: SourceFile, text: str) -> ParsedFile:  # in the child only: the parent parses with `here`
        raise RuntimeError("not in the child")

    def here(f: SourceFile, text: str) -> ParsedFile | ParseFailure:
        try:
            return parse(f, text)
        except ParseFailure as exc:
            return exc

    monkeypatch.setattr(parallel, "parse", fails)
    parallel.LAST.clear()
    got = parallel.parse_many(items, 2, here)
    assert parallel.LAST["child_files"] == 0
    assert [described(g) for g in got] == [described(w) for w in serial(items)]


def test_an_error_in_the_parent_stops_the_child(both_cores: None) -> None:
    items = fixture_files()
    seen = []

    def here(f: SourceFile, text: str) -> ParsedFile | ParseFailure:
        seen.append(f.path)
        if len(seen) == 3:
            raise ValueError("stop")
        return parse(f, text)

    with pytest.raises(ValueError, match="stop"):
        parallel.parse_many(items, 2, here)
    assert len(seen) == 3
