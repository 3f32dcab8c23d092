"""analyzer.python.parallel: files parsed on both cores are what `parse` gives, file by file.

The parent parses files from the front, a forked child from the end, each claiming its next file; the child
sends each pickled ParsedFile (or a ParseFailure's message) as soon as it has it and the parent loads it. These
tests compare every file of the fixture apps (and a few that cannot be parsed) with a serial `parse`: the
code, every node's position, the index, the imports and functions, the failure messages.
"""

from __future__ import annotations

import os
import time
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
    monkeypatch.setattr(parallel, "AHEAD_MIN_CHARS", 0)


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


def test_files_parsed_ahead_are_loaded_as_the_serial_parse(both_cores: None) -> None:
    """A round's files parsed ahead by `Ahead`'s child (while the parent learned) are loaded from its folder, the
    others parsed as usual: each file is what `parse` gives, whichever way it came."""
    items = fixture_files()
    ahead = parallel.Ahead.start(items, set(), {})
    assert ahead is not None
    folder = Path(ahead.folder)
    assert folder.name.startswith(f"{parallel.AHEAD_PREFIX}{os.getpid()}-")  # (what `sweep` reads)
    ready = ahead.take(finish=True)
    assert set(ready) == {f.path for f, _t in items}  # every file, "broken.py" and "deep.py" as their failure
    want = [described(w) for w in serial(items)]
    some = {k: ready[f.path] for k, (f, _t) in enumerate(items) if k % 3}  # a round that wants only some
    parallel.LAST.clear()
    got = parallel.parse_many(items, 2, ready=some)
    assert parallel.LAST["ahead"] == len(some)
    assert parallel.LAST["child_files"] >= 5  # the others were shared between parent and child
    assert [described(g) for g in got] == want
    assert [described(g) for g in parallel.parse_many(items, 1, ready=some)] == want  # one core: loaded, parsed
    # a pickle that cannot be loaded (or has gone) is parsed instead
    broken = {k: ready[items[k][0].path] for k in (0, 1)}
    Path(broken[0]).write_bytes(b"\x00not a pickle")
    Path(broken[1]).unlink()
    assert [described(g) for g in parallel.parse_many(items, 2, ready=broken)] == want
    ahead.close()
    assert not folder.exists()


def test_ahead_takes_whole_files_only_and_stops_its_child(both_cores: None, monkeypatch: pytest.MonkeyPatch) -> None:
    items = fixture_files()
    ahead = parallel.Ahead.start(items, set(), {})
    assert ahead is not None
    folder = Path(ahead.folder)
    (folder / "0.part").write_bytes(b"\x00half")  # what a child killed while writing leaves
    (folder / f"{len(items)}.pkl").write_bytes(b"\x00")  # not one of the items
    ready = ahead.take()  # at once: the child is killed wherever it is
    assert all(Path(p).suffix == ".pkl" and Path(p).exists() for p in ready.values())
    assert len(ready) < len(items)
    with pytest.raises(ChildProcessError):
        os.waitpid(ahead.pid, os.WNOHANG)  # reaped
    ahead.close()
    assert not folder.exists()
    monkeypatch.setattr(parallel, "AHEAD_MIN_CHARS", sum(len(t) for _f, t in items[:2]) + 1)
    assert parallel.Ahead.start(items[:2], set(), {}) is None  # too little to be worth a child


def test_folders_left_by_a_killed_scan_are_swept(tmp_path: Path) -> None:
    """A scan killed outright (SIGKILL, out of memory) leaves its `Ahead` folder: the next `Ahead` removes those
    named after a process that is gone, and keeps a running scan's and anything else in the temporary folder."""
    dead = os.fork()
    if dead == 0:
        os._exit(0)
    os.waitpid(dead, 0)  # reaped: its id names no process now (unless reused at once: then it is kept)
    left = tmp_path / f"{parallel.AHEAD_PREFIX}{dead}-abc123"
    left.mkdir()
    (left / "0.pkl").write_bytes(b"\x00" * 100)
    running = tmp_path / f"{parallel.AHEAD_PREFIX}{os.getpid()}-def456"
    running.mkdir()
    others = [tmp_path / "impact-ahead-x1y2z3", tmp_path / f"{parallel.AHEAD_PREFIX}{dead}", tmp_path / "mine-99-a"]
    for o in others:  # an older version's name, no dash after the id, another program's folder
        o.mkdir()
    recent = tmp_path / f"{parallel.AHEAD_PREFIX}{dead}-ghi789"  # (another PID namespace's scan, maybe)
    recent.mkdir()
    old = time.time() - parallel.AHEAD_STALE - 60
    for folder in (left, running, *others):
        os.utime(folder, (old, old))
    removed = parallel.sweep(str(tmp_path))
    assert removed == [str(left)] and not left.exists()
    assert running.exists() and recent.exists() and all(o.exists() for o in others)
    assert parallel.sweep(str(tmp_path / "missing")) == []


def test_ahead_parses_first_what_the_parsed_files_define() -> None:
    def item(path: str, text: str) -> tuple[SourceFile, str]:
        return SourceFile(root=".", abs_path=path, path=path, language="python"), text

    items = [item("small_caller.py", "from svc import render_invoice\nrender_invoice(1)\n"),
             item("big_unrelated.py", "x = 1\n" * 500),
             item("big_caller.py", "from svc import render_invoice\n" + "render_invoice(2)\n" * 100),
             item("short_word.py", "def run(): pass\n" * 50)]
    defined = {"render_invoice", "run"}
    words = {f.path: frozenset(__import__("re").findall(r"\w+", t)) for f, t in items}
    order = [items[k][0].path for k in parallel.ahead_order(items, defined, words)]
    # names of four letters or more only (`run` says nothing), largest first within each group
    assert order == ["big_caller.py", "small_caller.py", "big_unrelated.py", "short_word.py"]


def test_a_pickled_tree_loads_in_a_process_that_built_no_node() -> None:
    """A node travels as its constructor, pickled by name: a fresh interpreter (which has written no constructor)
    finds each by that name (`fastparse.__getattr__`) and gets the same tree."""
    import subprocess
    import sys

    text = (REPO / "fixtures" / "content_app" / "backend" / "app" / "models" / "content.py").read_text(encoding="utf-8")
    text += "\nmatch x:\n    case [1, *rest]:\n        pass\n"  # (a statement LibCST builds: its classes too)
    pf = parse(SourceFile(root=".", abs_path="m.py", path="m.py", language="python"), text)
    blob = parallel._dumps(pf, parallel._node_table())
    code = ("import pickle, sys\nfrom analyzer.python import fastparse\n"
            "assert not any(n.startswith('_make_') for n in vars(fastparse))\n"
            "pf = pickle.loads(sys.stdin.buffer.read())\n"
            "print(len(pf._pos), pf.code(pf.module.body[-1]))")
    out = subprocess.run([sys.executable, "-c", code], input=blob, capture_output=True, cwd=REPO, check=True)
    assert out.stdout.decode().split(" ", 1) == [str(len(pf._pos)), pf.code(pf.module.body[-1]) + "\n"]
