"""Parse a round's candidate files on both cores: a forked child parses a share and sends the parsed files back.

Each `ParsedFile` (LibCST tree, node index, positions) is pickled in the child and unpickled in the parent.
Loading a file costs the parent about a sixth of parsing and indexing it, pickling one costs the child about a
fifth more (measured on 400 polar files: parse + index 3.4 s CPU, dumps 0.66 s, loads 0.43 s with the collector
off). The two share the work as it goes rather than by a split decided before: the parent takes files from the
front, the child from the end, each claiming its next file in a shared page, until they meet; the child sends
each file as soon as it is pickled, and the parent loads what arrived after each file of its own (a thread
drains the pipe meanwhile). Both so end together whatever either's speed (another process on a core, the
child's copy-on-write faults), and the loading is not left for after the wait. The parent gets, for each file,
what `parse` would have given it: the same tree, or the same `ParseFailure` message. A file the child could
not send (an error other than `ParseFailure`, a tree too deep to pickle) is parsed by the parent, and so is
the rest when the child fails: the workers make the scan faster, never different.
"""

from __future__ import annotations

import contextlib
import copyreg
import gc
import io
import mmap
import os
import pickle
import queue
import signal
import struct
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from analyzer import workers
from analyzer.models import SourceFile
from analyzer.python import fastparse
from analyzer.python.parsed import Entry, ParsedFile, ParseFailure, parse

#: fewer files than this (or less text) in a round: parse them all here (a fork and the pickles cost more)
MIN_FILES = 48
MIN_CHARS = 400_000

Outcome = ParsedFile | ParseFailure
_PIPE_SIZE = 1 << 20
#: a record the child sends: the file's index, what follows (a pickled ParsedFile, or a ParseFailure's message),
#: its length
_HEAD = struct.Struct("<qBq")
_FILE, _FAILURE = 0, 1
#: the last parallel round's figures: files and chars, the child's files and chars, its CPU seconds and wall
#: seconds from the fork to its end; the parent's wall and CPU seconds for its own files (`here`, `cpu_here`),
#: CPU seconds loading the child's (`load_cpu`), wall seconds waiting for the child's last ones (`waited`)
LAST: dict[str, float] = {}
#: the parallel rounds' figures (LAST's), the last hundred of this process
ROUNDS: list[dict[str, float]] = []


def parse_many(items: list[tuple[SourceFile, str]], jobs: int,
               parse_here: Callable[[SourceFile, str], Outcome] | None = None,
               ready: dict[int, str] | None = None) -> list[Outcome]:
    """`parse(f, text)` of every item, in order: a ParsedFile, or the ParseFailure it raised. Other errors
    propagate as `parse` raises them (from the parent's own call). `ready`: item index -> the file holding that
    item already parsed and pickled (`Ahead`): loaded here first, while the child parses from the other end."""
    one = parse_here or _parse_one
    ready = ready or {}
    rest = [k for k in range(len(items)) if k not in ready]
    chars = sum(len(items[k][1]) for k in rest)
    if jobs < 2 or len(rest) < MIN_FILES or chars < MIN_CHARS:
        return _serially(items, one, ready)
    # the largest files at both ends, the smallest where the two meet: the last file either parses (while the
    # other may have nothing left) is a small one
    by_size = sorted(rest, key=lambda k: len(items[k][1]), reverse=True)
    order = list(ready) + by_size[0::2] + by_size[1::2][::-1]
    claims = mmap.mmap(-1, 16)  # shared with the child: [the parent's next file, the child's last claimed]
    bounds = memoryview(claims).cast("q")
    try:
        got = _shared([items[k] for k in order], one, chars, bounds, [ready[k] for k in ready])
    finally:
        bounds.release()
        claims.close()
    outs = list(got)
    for k, outcome in zip(order, got, strict=True):
        outs[k] = outcome
    return outs


def _serially(items: list[tuple[SourceFile, str]], one: Callable[[SourceFile, str], Outcome],
              ready: dict[int, str]) -> list[Outcome]:
    """Every item here, in order: loaded from the file parsed ahead for it (`ready`: index -> path), else parsed
    (also when that file cannot be loaded)."""
    out: list[Outcome] = []
    for k, (f, text) in enumerate(items):
        got = _load_file(ready[k]) if k in ready else None
        out.append(got if got is not None else one(f, text))
    return out


def _shared(items: list[tuple[SourceFile, str]], one: Callable[[SourceFile, str], Outcome], chars: int,
            bounds: memoryview, loads: list[str]) -> list[Outcome]:
    """`loads`: the files of the first items, parsed ahead: the parent loads them before it claims any other,
    and the child never claims them."""
    bounds[0], bounds[1] = len(loads), len(items)
    read_end, write_end = os.pipe()
    forking = time.monotonic()
    worker = workers.fork(_child, items, bounds, read_end, write_end)
    os.close(write_end)
    if worker is None:
        os.close(read_end)
        return _serially(items, one, dict(enumerate(loads)))
    _widen(read_end)
    records: queue.SimpleQueue[tuple[int, int, bytes] | None] = queue.SimpleQueue()
    reader = threading.Thread(target=_read_records, args=(read_end, records), daemon=True)
    reader.start()
    out: list[Outcome | None] = [None] * len(items)
    mine = [False] * len(items)
    load_cpu = 0.0
    ended = False

    def drain() -> None:
        """Load what the child sent meanwhile."""
        nonlocal ended, load_cpu
        while not ended:
            try:
                record = records.get_nowait()
            except queue.Empty:
                return
            ended = record is None
            load_cpu += _take(record, out, mine)

    with workers.busy():  # both cores parse: a background worker's preparation waits (the TypeScript scan's)
        worker.send(True)
        started, cpu = time.monotonic(), time.process_time()
        try:
            for i, path in enumerate(loads):  # (the child stops above them)
                t = time.process_time()
                out[i] = _load_file(path)
                load_cpu += time.process_time() - t
                mine[i] = True
                drain()
            i = len(loads)
            while i < len(items):
                # claim file i, unless the child (from the end) has claimed it; when both claims cross, both
                # parse the file, and the parent keeps its own (_take)
                bounds[0] = i + 1
                if i >= bounds[1]:
                    break
                out[i] = one(*items[i])
                mine[i] = True
                i += 1
                drain()
            own = i
            waited, cpu_here = time.monotonic(), time.process_time() - cpu - load_cpu
            while not ended:  # the child's last files, as they come
                record = records.get()
                ended = record is None
                load_cpu += _take(record, out, mine)
        except BaseException:
            with contextlib.suppress(OSError):
                os.kill(worker.pid, signal.SIGKILL)
            worker.cancel()
            reader.join()
            raise
        received = time.monotonic()
        got = worker.result()
    reader.join()
    if isinstance(got, tuple) and len(got) == 3:
        child_cpu, child_done, sent = got
        LAST.clear()
        LAST.update(files=float(len(items)), child_files=float(sent), child_cpu=child_cpu, ahead=float(len(loads)),
                    here=round(waited - started, 3), waited=round(received - waited, 3),
                    chars=float(chars), child_chars=float(sum(len(items[k][1]) for k in range(own, len(items)))),
                    fork=round(started - forking, 3), cpu_here=round(cpu_here, 3),
                    child_wall=round(child_done - forking, 3), load_cpu=round(load_cpu, 3))
        ROUNDS.append(dict(LAST))
        del ROUNDS[:-100]  # a long-lived process (the tests) keeps the last ones
    gc.freeze()
    return [r if r is not None else one(f, t) for (f, t), r in zip(items, out, strict=True)]


def _parse_one(f: SourceFile, text: str) -> Outcome:
    try:
        return parse(f, text)
    except ParseFailure as exc:
        return exc


def _widen(fd: int) -> None:
    """A larger pipe (Linux): the child seldom waits for the parent's reader thread to get its turn."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
    except (ImportError, AttributeError, OSError):
        pass


def _read_records(fd: int, records: queue.SimpleQueue[tuple[int, int, bytes] | None]) -> None:
    """The parent's reader thread: the child's records as they come (the pipe is drained while the parent parses,
    so the child never waits on a full pipe), then None at the end."""
    try:
        with open(fd, "rb", buffering=_PIPE_SIZE) as fh:
            while len(head := fh.read(_HEAD.size)) == _HEAD.size:
                index, kind, size = _HEAD.unpack(head)
                payload = fh.read(size)
                if len(payload) != size:
                    break
                records.put((index, kind, payload))
    except (OSError, ValueError):
        pass
    finally:
        records.put(None)


def _take(record: tuple[int, int, bytes] | None, out: list[Outcome | None], mine: list[bool]) -> float:
    """Load one of the child's files into `out` (unless the parent parsed it too); the CPU seconds it took."""
    if record is None:
        return 0.0
    index, kind, payload = record
    if not 0 <= index < len(out) or mine[index]:
        return 0.0
    cpu = time.process_time()
    out[index] = _load(kind, payload)
    return time.process_time() - cpu


def _load(kind: int, payload: bytes) -> Outcome | None:
    was = gc.isenabled()
    gc.disable()  # loading builds many nodes that live as long as the scan; no collection walks them
    try:
        got = pickle.loads(payload)
    except Exception:  # noqa: BLE001 - the parent parses it itself
        return None
    finally:
        gc.freeze()  # nor later: the parent's next collection would otherwise walk them, then again, older
        if was:
            gc.enable()
    if kind == _FAILURE:
        return ParseFailure(got) if isinstance(got, str) else None
    return got if isinstance(got, ParsedFile) else None


def _node_table() -> dict[Any, Any]:
    """In the child: how each LibCST node class is pickled. LibCST's slotted dataclasses save a dict through a
    `__getstate__` that calls `dataclasses.fields` for every node, and load it through a Python `__setstate__`
    that sets the fields one `object.__setattr__` at a time. Here a node is the constructor `fastparse` writes once
    per class (each value stored through its slot; pickled by reference, by its name) and its field values in
    order: the child's pickling and the parent's loading each cost about half (259 polar files: dumps 1.39 ->
    0.71 s, loads 1.11 -> 0.65 s CPU, 18 % fewer bytes), and calling the constructor itself rather than a function
    that looks it up saves a sixth of the loading (400 files: 0.39 -> 0.33 s)."""
    import dataclasses

    from analyzer.python.parsed import node_classes

    table: dict[Any, Any] = dict(copyreg.dispatch_table)  # (a Pickler's table replaces copyreg's: keep it)
    for cls in node_classes():
        if "__setstate__" in cls.__dict__ and dataclasses.is_dataclass(cls):
            names = tuple(f.name for f in dataclasses.fields(cls))
            table[cls] = _reducer(cls, names)
    # an index entry as its class called with its three fields, not an empty object and a dict of slots to set
    # (300 polar files: 8 % fewer bytes, loading 0.72-0.82 -> 0.64-0.75 s)
    table[Entry] = _entry
    return table


def _entry(e: Entry) -> tuple[object, ...]:
    return Entry, (e.node, e.func, e.cls)


def _reducer(cls: type, names: tuple[str, ...]) -> Callable[[object], tuple[object, ...]]:
    """A node as its constructor and its field values in order, the trailing ones that hold the constructor's own
    default left out (most whitespace, parentheses and commas of a tree `fastparse` built): the parent's constructor
    puts its own shared default there, as in a tree it builds itself. 300 polar files: 11 % fewer bytes, loading
    0.64-0.66 -> 0.55-0.61 s. Written once per class."""
    make = fastparse.constructor(cls)  # (pickled by reference: fastparse finds it by its name)
    defaults = make.__defaults__ or ()  # (every parameter has one: a required field's is None)
    env: dict[str, Any] = {"make": make, **{f"d{k}": defaults[k] for k in range(len(names))}}
    lines = ["def reduce(o):"]
    if names:  # (an unset field raises: the parent parses that file itself)
        lines.append(f"    v = ({''.join(f'o.{name}, ' for name in names)})")
        lines += [f"    if v[{k}] is not d{k}:\n        return make, v[:{k + 1}]" for k in range(len(names) - 1, -1, -1)]
    lines.append("    return make, ()")
    exec("\n".join(lines) + "\n", env)  # noqa: S102 - written from the class's field names
    reduce: Callable[[object], tuple[object, ...]] = env["reduce"]
    return reduce


def _dumps(obj: object, table: dict[Any, Any]) -> bytes:
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = table
    pickler.dump(obj)
    return buf.getvalue()


def _child_setup() -> dict[Any, Any]:
    """In a parsing child (`_child`, `Ahead`'s): no cyclic collection (the parent's heap is shared copy-on-write: a
    collection would walk, and copy, all of it), room to pickle a deep tree (it recurses per level); the pickling
    table (`_node_table`)."""
    gc.disable()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    return _node_table()


def _pickled(item: tuple[SourceFile, str], table: dict[Any, Any]) -> tuple[int, bytes] | None:
    """In a child: the file parsed and pickled (`_FILE`), or its ParseFailure's message (`_FAILURE`); None when it
    cannot be sent (RecursionError, an unpicklable node): the parent parses it."""
    try:
        return _FILE, _dumps(parse(*item), table)
    except ParseFailure as exc:
        return _FAILURE, pickle.dumps(str(exc), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - see above
        return None


def _child(_go: object, items: list[tuple[SourceFile, str]], bounds: memoryview, read_end: int,
           write_end: int) -> tuple[float, float, int]:
    """In the forked child: the files from the end, each claimed, parsed, then pickled and sent at once (its tree
    dropped before the next), until it reaches the parent's. Its CPU seconds, when it ended, files sent."""
    os.close(read_end)
    table = _child_setup()
    sent = 0
    with open(write_end, "wb") as out:
        for index in range(len(items) - 1, -1, -1):
            bounds[1] = index  # claim it, unless the parent has
            if index < bounds[0]:
                break
            got = _pickled(items[index], table)
            if got is None:
                continue
            kind, payload = got
            out.write(_HEAD.pack(index, kind, len(payload)))
            out.write(payload)
            out.flush()
            sent += 1
    return round(time.process_time(), 3), time.monotonic(), sent


def _load_file(path: str) -> Outcome | None:
    """A file `Ahead`'s child wrote (its kind, then the pickle); None when it cannot be read."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    return _load(data[0], data[1:]) if data else None


#: an `Ahead` is started for at least this much text (less would save the next round little)
AHEAD_MIN_CHARS = MIN_CHARS
#: its folder's name: this prefix, the scanning process's id, a dash, random letters
AHEAD_PREFIX = "impact-ahead-"
#: `sweep` leaves a folder younger than this (seconds): a child writes into its folder at least every few
#: seconds, and a scan in another PID namespace sharing the temporary folder names a process not seen here
AHEAD_STALE = 600.0


def sweep(tmp: str) -> list[str]:
    """Remove the folders `Ahead` left in `tmp` when its scan was killed (SIGKILL, out of memory: no `close`
    ran): those named after a process that no longer runs, untouched for `AHEAD_STALE` seconds. A folder of a
    running scan (or of a process that took a dead scan's id) is kept. Returns the paths removed."""
    import shutil

    removed: list[str] = []
    try:
        names = os.listdir(tmp)
    except OSError:
        return removed
    for name in names:
        pid, dash, _rest = name[len(AHEAD_PREFIX):].partition("-")
        if not (name.startswith(AHEAD_PREFIX) and dash and pid.isdigit()):
            continue
        try:
            os.kill(int(pid), 0)
            continue  # running (or another user's process: PermissionError below)
        except ProcessLookupError:
            pass
        except (OSError, OverflowError):
            continue
        path = os.path.join(tmp, name)
        try:
            st = os.stat(path)
        except OSError:
            continue
        if st.st_uid != os.getuid() or time.time() - st.st_mtime < AHEAD_STALE:  # (another user's, or recent)
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


class Ahead:
    """The files a later round may parse, parsed meanwhile by a forked child while the parent learns alone.

    Learning after a round runs in the parent only, so the second core is idle then (but for the TypeScript
    worker's preparation). A child forked when a round's parse ends parses the files not parsed yet: first
    those whose words name something the parsed files define (the next round's candidates are mostly files
    calling what the last round learned to carry the key: polar, after round 1, 830 of the 831 files of round 2
    among 1,038 such files out of 1,278), largest first, then the others; each is pickled to a file of a private
    temporary folder as soon as it is parsed (written under another name, then renamed: a file there is whole).
    The next round stops the child (`take`) and loads those of its candidates that are there instead of
    parsing them; the others are parsed as usual. What the parent loads is what `parse` gives (the child runs
    the same `parse` on the same text), so the rounds learn the same facts in the same order: a file parsed
    ahead is not used until a round admits it."""

    def __init__(self, pid: int, folder: str, items: list[tuple[SourceFile, str]]) -> None:
        self.pid, self.folder, self.items = pid, folder, items
        self.reaped = False
        #: the background workers, stopped until the next round stops the child (three busy processes on two
        #: cores would slow the parent's learning, the critical path; the TypeScript worker's preparation has time
        #: later)
        self.paused = workers.pause()

    @classmethod
    def start(cls, items: list[tuple[SourceFile, str]], defined: set[str],
              words: dict[str, frozenset[str]]) -> Ahead | None:
        """`items`: the files a later round may parse; `defined`: the names of the functions and classes of the
        files parsed so far (they order `items`); `words`: each path's words (the prefilter's), where known. None
        when there is too little to parse, or no fork."""
        if not hasattr(os, "fork") or sum(len(t) for _f, t in items) < AHEAD_MIN_CHARS:
            return None
        import tempfile

        parent = os.getpid()
        sweep(tempfile.gettempdir())
        try:
            folder = tempfile.mkdtemp(prefix=f"{AHEAD_PREFIX}{parent}-")
        except OSError:
            return None
        try:
            pid = os.fork()
        except OSError:
            os.rmdir(folder)
            return None
        if pid == 0:  # the child: parse until killed or done, leave without the parent's exit handlers
            try:
                if workers._PAUSABLE:
                    workers._die_with_parent(parent)
                _ahead_child(items, defined, words, folder)
            except BaseException:  # noqa: BLE001 - what is written is whole; the rest is parsed by the parent
                pass
            finally:
                os._exit(0)
        return cls(pid, folder, items)

    def take(self, finish: bool = False) -> dict[str, str]:
        """Stop the child (`finish`: wait until it has parsed everything); path -> the file holding that path
        parsed (whole files only)."""
        self._stop(kill=not finish)
        out: dict[str, str] = {}
        try:
            names = os.listdir(self.folder)
        except OSError:
            return out
        for name in names:
            stem, dot, ext = name.partition(".")
            if dot and ext == "pkl" and stem.isdigit() and int(stem) < len(self.items):
                out[self.items[int(stem)][0].path] = os.path.join(self.folder, name)
        return out

    def close(self) -> None:
        """Stop the child and remove its folder."""
        import shutil

        self._stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _stop(self, kill: bool = True) -> None:
        """The child killed (or, not `kill`, waited for until it ends) and reaped; the paused workers continued."""
        if self.reaped:
            return
        self.reaped = True
        if kill:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.waitpid(self.pid, 0)
        workers.resume(self.paused)


def ahead_order(items: list[tuple[SourceFile, str]], defined: set[str],
                words: dict[str, frozenset[str]]) -> list[int]:
    """The order `Ahead`'s child parses `items` in: first the files whose words (the prefilter's) name a function
    or class the files parsed so far define (`defined`; four letters or more), then the others; largest first."""
    named = {w for w in defined if len(w) >= 4}

    def likely(k: int) -> bool:
        got = words.get(items[k][0].path)
        return got is not None and not got.isdisjoint(named)

    return sorted(range(len(items)), key=lambda k: (not likely(k), -len(items[k][1])))


def _ahead_child(items: list[tuple[SourceFile, str]], defined: set[str], words: dict[str, frozenset[str]],
                 folder: str) -> None:
    table = _child_setup()
    for k in ahead_order(items, defined, words):
        got = _pickled(items[k], table)
        if got is None:
            continue
        kind, payload = got
        part = os.path.join(folder, f"{k}.part")
        with open(part, "wb") as fh:
            fh.write(bytes((kind,)))
            fh.write(payload)
        os.rename(part, os.path.join(folder, f"{k}.pkl"))
