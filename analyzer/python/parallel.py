"""Parse a round's candidate files on both cores: a forked child parses a share and sends the parsed files back.

Each `ParsedFile` (LibCST tree, node index, positions) is pickled in the child and unpickled in the parent,
which meanwhile parses its own share. Unpickling a file costs about a fifth of parsing and indexing it
(measured on 300 polar files: parse + index 6.1 s CPU, dumps 2.7 s, loads 1.4 s with the collector off),
so the child takes a little under half of the text and both finish together. The parent gets, for each
file, what `parse` would have given it: the same tree, or the same `ParseFailure` message. A file the child
could not send (an error other than `ParseFailure`, a tree too deep to pickle) is parsed by the parent, and
so is the whole share when the child fails: the workers make the scan faster, never different.
"""

from __future__ import annotations

import gc
import pickle
import sys
import time
from collections.abc import Callable

from analyzer import workers
from analyzer.models import SourceFile
from analyzer.python.parsed import ParsedFile, ParseFailure, parse

#: fewer files than this (or less text) in a round: parse them all here (a fork and the pickles cost more)
MIN_FILES = 48
MIN_CHARS = 400_000
#: the child's part of the text: parse + index in the child plus the pickling there weigh ~1.45 of a parse,
#: loading in the parent ~0.23 of one, so the child takes ~45 % for both to finish together
CHILD_SHARE = 0.45

Outcome = ParsedFile | ParseFailure
#: the last parallel round's figures (files, the child's files and CPU seconds, wall seconds of the parent's
#: own share and of the wait for the child's): for the benchmark and to tune CHILD_SHARE
LAST: dict[str, float] = {}


def parse_many(items: list[tuple[SourceFile, str]], jobs: int,
               parse_here: Callable[[SourceFile, str], Outcome] | None = None) -> list[Outcome]:
    """`parse(f, text)` of every item, in order: a ParsedFile, or the ParseFailure it raised. Other errors
    propagate as `parse` raises them (from the parent's own call)."""
    one = parse_here or _parse_one
    chars = sum(len(t) for _f, t in items)
    if jobs < 2 or len(items) < MIN_FILES or chars < MIN_CHARS:
        return [one(f, t) for f, t in items]
    split, acc = len(items), 0  # the child takes the tail: files from the end up to its share of the text
    while split > 1 and acc + len(items[split - 1][1]) <= chars * CHILD_SHARE:
        split -= 1
        acc += len(items[split][1])
    worker = workers.fork(_child, items[split:]) if split < len(items) else None
    if worker is None:
        return [one(f, t) for f, t in items]
    with workers.busy():  # both cores parse: a background worker's preparation waits (the TypeScript scan's)
        worker.send(True)
        started = time.monotonic()
        try:
            mine = [one(f, t) for f, t in items[:split]]
        except BaseException:
            worker.cancel()
            raise
        waited = time.monotonic()
        got = worker.result()
    if isinstance(got, tuple) and len(got) == 2:
        child_cpu, got = got
        LAST.update(files=float(len(items)), child_files=float(len(items) - split), child_cpu=child_cpu,
                    here=round(waited - started, 3), waited=round(time.monotonic() - waited, 3))
    theirs: list[Outcome | None] = []
    was = gc.isenabled()
    gc.disable()  # loading builds millions of nodes that live as long as the scan; no collection walks them
    try:
        sent = got if isinstance(got, list) and len(got) == len(items) - split else [None] * (len(items) - split)
        theirs = [_load(item) if item is not None else None for item in sent]
    finally:
        if was:
            gc.enable()
    gc.freeze()
    return mine + [r if r is not None else one(f, t) for (f, t), r in zip(items[split:], theirs, strict=True)]


def _parse_one(f: SourceFile, text: str) -> Outcome:
    try:
        return parse(f, text)
    except ParseFailure as exc:
        return exc


def _load(item: tuple[str, object]) -> Outcome | None:
    kind, payload = item
    if kind == "failure":
        return ParseFailure(str(payload))
    try:
        got = pickle.loads(payload)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - the parent parses it itself
        return None
    return got if isinstance(got, ParsedFile) else None


def _fast_node_state() -> None:
    """In the child (it exits after): LibCST's slotted node classes pickle their fields through a
    `__getstate__` that calls `dataclasses.fields` for every node; the same dict from the field names read
    once per class costs a fifth less of the child's pickling (300 polar files: 1.45 -> 1.15 s CPU). The
    pickles are byte-identical, and the parent loads them with LibCST's own `__setstate__`."""
    import dataclasses

    from analyzer.python.parsed import node_classes

    for cls in node_classes():
        if "__getstate__" in cls.__dict__ and "__setstate__" in cls.__dict__ and dataclasses.is_dataclass(cls):
            cls.__getstate__ = _node_state(tuple(f.name for f in dataclasses.fields(cls)))  # type: ignore[attr-defined]


_UNSET = object()


def _node_state(names: tuple[str, ...]) -> Callable[[object], dict[str, object]]:
    def __getstate__(self: object) -> dict[str, object]:  # LibCST's: the fields that are set, by name
        return {name: value for name in names if (value := getattr(self, name, _UNSET)) is not _UNSET}

    return __getstate__


def _child(_go: object, items: list[tuple[SourceFile, str]]) -> tuple[float, list[tuple[str, object] | None]]:
    """In the forked child: each file parsed, then pickled at once (its tree dropped before the next)."""
    gc.disable()  # the parent's heap is shared copy-on-write: a collection would walk (and copy) all of it
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))  # pickling a deep tree recurses per level
    _fast_node_state()
    out: list[tuple[str, object] | None] = []
    for f, text in items:
        try:
            pf = parse(f, text)
        except ParseFailure as exc:
            out.append(("failure", str(exc)))
            continue
        except Exception:  # noqa: BLE001 - the parent's own parse raises it again, as a serial scan would
            out.append(None)
            continue
        try:
            out.append(("file", pickle.dumps(pf, protocol=pickle.HIGHEST_PROTOCOL)))
        except Exception:  # noqa: BLE001 - (RecursionError, an unpicklable node) the parent parses it
            out.append(None)
    return round(time.process_time(), 3), out
