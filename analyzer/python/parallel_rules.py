"""The Python rules on both cores: a forked child checks a run of the parsed files, the parent the others.

The child is forked once the rounds have settled, so it inherits every syntax tree and fact copy-on-write
(nothing is pickled towards it); it sends back only small results: each file's findings or internal error,
and what its rules added to the scan's shared memos. The files are checked in their serial order in three
parts: the parent checks the head `[0, a)` while the child checks `[a, b)`, then the parent merges the
child's results and checks the tail `[b, n)` itself. The scan is then exactly the serial one, because:

* what a rule writes that another file's rule reads is either a memo of the final facts, the same whoever
  computes it first (flow.cache `payload_keys`, `task_key_params`, `test_literals_bag_keys`, the model's
  `entity_cache`, the routers' `_constants`, the flow's `_returners`, the project's `_tables`), or the
  cross-file state of py.db.inherited_key (PY005: the bases already reported, `inherited_key_*`), which
  does nothing in a file that defines no affected mapped class: the files that do (`pinned`) are never the
  child's, so that rule runs in the parent only, in file order;
* the call edges `key_of` records (`flow.callers`) and the memos the child added are merged back as the
  serial scan would have added them after the head: in the child's order, what the parent has is kept;
* anything else the rules changed (`_Probe.fingerprint`: the model's facts, the functions' local facts,
  the flow's slots, the routers, the record kinds) makes the child's results unusable: when the parent's
  head changed it (the child may have read it) or the child changed it, or a memo cannot be merged, the
  parent checks the child's files itself, as it does when the child fails or dies;
* the rules' final flow pass (`analyse`, when the rounds were cut off before a fixed point, or
  IMPACT_THOROUGH) changes facts that later files read: the files are then checked serially.

The TypeScript scan, forked earlier, works at the same time: three busy processes on two cores. At a lower
priority (nice 10) the child got almost no time while it ran and the rules stage lost 0.3-0.45 s (polar,
onyx); at the same priority (`CHILD_NICE`) it is even with the serial loop there, and gains where a core is
free (no TypeScript files, or their scan done). The parent never
waits for the child longer than one file: once it has checked the head it stops the child after its current
file (a shared byte, `TAKE_OVER`), merges what the child checked and checks the rest of the run itself; a
child that has checked less than a quarter of its run by then (starved by the other processes) is killed and
the parent checks its whole run.
"""

from __future__ import annotations

import gc
import mmap
import os
import signal
import struct
import time
from bisect import bisect_left
from collections.abc import Callable
from typing import Any

from analyzer import workers
from analyzer.models import Finding
from analyzer.python.parsed import ParsedFile

#: fewer parsed files than this: check them all here (the fork and the child's copy-on-write pages cost more)
MIN_FILES = 300
#: the child's run must hold at least this many files
MIN_CHILD_FILES = 100
#: a file's estimated cost: its characters plus this (the 40 rules' fixed cost on a small file)
PER_FILE_CHARS = 2000
#: the child's niceness increment (0: the parent's priority; see the module's docstring)
CHILD_NICE = 0
#: the parent, once it has checked the head, stops the child after its current file and checks the rest of the
#: child's run itself (False: it waits for the whole run; for tests)
TAKE_OVER = True
#: flow.cache entries that are memos of the final facts, merged back; any other entry the child writes
#: (py.db.inherited_key's `inherited_key_*`: pinned files only) makes its results unusable
_PLAIN_MEMOS = ("payload_keys", "task_key_params")
_BAG_KEYS = "test_literals_bag_keys"
#: the last check's figures: files, the child's run and the files it checked, its CPU seconds, the parent's
#: head (wall and CPU seconds), the wait for the child and the rest (wall), whether the child's results were
#: used (1.0) or redone (0.0)
LAST: dict[str, float] = {}

Check = Callable[[ParsedFile], "list[Finding] | None"]


def check_all(files: list[ParsedFile], check: Check, failed: dict[str, str], done: Callable[[str], None],
              jobs: int, analyse: bool, pinned: set[str], shared: tuple[Any, Any, Any, Any]) -> tuple[
                  list[Finding], dict[str, int]]:
    """`check(pf)` of every file in order (its findings, or None when it failed: `failed` says why), as the
    serial loop gives them: the findings in order and per file their count. `shared` is (model, flow,
    routers, record_kinds). `pinned`: files only the parent may check."""
    findings: list[Finding] = []
    per_file: dict[str, int] = {}

    def here(pf: ParsedFile) -> None:
        got = check(pf)
        if got is not None:
            findings.extend(got)
            per_file[pf.path] = len(got)
        done(pf.path)

    window = None if analyse or jobs < 2 or len(files) < MIN_FILES else _window(files, pinned)
    worker = None
    if window is not None:
        probe = _Probe(files, *shared)
        before = probe.fingerprint()
        start_memos = probe.memos()
        stop = mmap.mmap(-1, 8)  # shared with the child: [0] set when the parent has checked the head, [4:8] the
        # number of files the child has checked
        worker = workers.fork(_child, files, window, check, failed, probe, stop)
    if worker is None or window is None:
        for pf in files:
            here(pf)
        return findings, per_file
    a, b = window
    worker.send(True)
    t0, c0 = time.monotonic(), time.process_time()
    try:
        for pf in files[:a]:
            here(pf)
    except BaseException:
        worker.cancel()
        raise
    t1, c1 = time.monotonic(), time.process_time()
    killed = False
    if TAKE_OVER:
        if struct.unpack_from("<I", stop, 4)[0] * 4 < b - a:  # (starved by other processes) its few files are
            killed = _kill(worker.pid)                         # not worth waiting for its current one
        stop[0] = 1  # the child stops after its current file: the parent checks the rest of its run itself
    got: Any = None if killed else worker.result()  # (a killed child is reaped at the end: its exit frees its
    # copy-on-write pages, ~0.5 s on polar, while the parent works)
    t2 = time.monotonic()
    try:
        used = isinstance(got, tuple) and len(got) == 3 and probe.fingerprint() == before \
            and probe.merge(got[2], start_memos)
    except Exception:  # noqa: BLE001 - (a bug here) the parent checks the child's files itself
        used = False
    taken = a + len(got[1]) if used else a
    if used:
        for pf, (result, error) in zip(files[a:taken], got[1], strict=True):
            if error is not None:
                failed[pf.path] = error
            if result is not None:
                findings.extend(result)
                per_file[pf.path] = len(result)
            done(pf.path)
    t3 = time.monotonic()
    try:
        for pf in files[taken:]:
            here(pf)
    finally:
        if killed:
            worker.result()
    LAST.clear()
    LAST.update(files=float(len(files)), child_run=float(b - a), child_files=float(taken - a),
                child_cpu=float(got[0]) if isinstance(got, tuple) and len(got) == 3 else -1.0,
                head=round(t1 - t0, 3), head_cpu=round(c1 - c0, 3), waited=round(t2 - t1, 3),
                rest=round(time.monotonic() - t3, 3), used=float(used), killed=float(killed))
    return findings, per_file


def _window(files: list[ParsedFile], pinned: set[str]) -> tuple[int, int] | None:
    """(a, b): the child checks files[a:b] (no pinned file among them) while the parent checks files[:a],
    then the parent checks files[b:]: the run that makes the longest of the three parts shortest."""
    costs = [len(pf.text) + PER_FILE_CHARS for pf in files]
    prefix = [0]
    for c in costs:
        prefix.append(prefix[-1] + c)
    total = prefix[-1]
    stops = [i for i, pf in enumerate(files) if pf.path in pinned] + [len(files)]
    best: tuple[int, int, int] | None = None  # (finish, a, b)
    start = 0
    for stop in stops:  # each run of unpinned files [start, stop)
        if stop - start >= MIN_CHILD_FILES:
            # the child's part [a, stop) as long as the head [0, a): a where prefix[a] ~ prefix[stop] / 2
            a = min(max(bisect_left(prefix, prefix[stop] // 2), start), stop - MIN_CHILD_FILES)
            finish = max(prefix[a], prefix[stop] - prefix[a]) + total - prefix[stop]
            if best is None or finish < best[0]:
                best = (finish, a, stop)
        start = stop + 1
    if best is None or best[0] > total * 0.9:  # less than a tenth saved: not worth a process
        return None
    return best[1], best[2]


def _child(_go: object, files: list[ParsedFile], window: tuple[int, int], check: Check,
           failed: dict[str, str], probe: _Probe, stop: mmap.mmap) -> tuple[
               float, list[tuple[list[Finding] | None, str | None]], dict[str, Any] | None]:
    """In the forked child: files[a:b] checked in order, until the parent has checked the head (`stop`): each
    file's findings (None: it failed) and the error it failed with, then what the child's rules added to the
    shared memos (None: something else changed)."""
    gc.disable()  # the parent's heap is shared copy-on-write: a collection would walk (and copy) all of it
    if CHILD_NICE:
        try:
            os.nice(CHILD_NICE)
        except OSError:
            pass
    a, b = window
    before = probe.fingerprint()
    start = probe.memos()
    out: list[tuple[list[Finding] | None, str | None]] = []
    for pf in files[a:b]:
        if stop[0]:
            break
        was = pf.path in failed
        got = check(pf)
        out.append((got, failed.get(pf.path) if not was else None))
        struct.pack_into("<I", stop, 4, len(out))
    delta = probe.delta(start) if probe.fingerprint() == before else None
    return round(time.process_time(), 3), out, delta


def _kill(pid: int) -> bool:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        return False
    return True


class _Probe:
    """What the rules may change of the scan's shared state: a fingerprint of what must not change, the
    memos they may add (taken before, merged after)."""

    def __init__(self, files: list[ParsedFile], model: Any, flow: Any, routers: Any, record_kinds: dict[str, str]):
        self.files, self.model, self.flow, self.routers, self.record_kinds = files, model, flow, routers, record_kinds
        self.functions = [fi for pf in files for fi in pf.functions]

    def fingerprint(self) -> tuple[object, ...]:
        """Everything the rules must leave as it is (sizes where a change can only add, else contents)."""
        model, flow, routers = self.model, self.flow, self.routers
        sizes = tuple((k, len(v)) for k, v in vars(model).items()
                      if k != "entity_cache" and isinstance(v, (dict, set, list)))
        local = [(len(fi.env), len(fi.instances), len(fi.objects)) for fi in self.functions]
        flow_state = ({k: dict(v) for k, v in flow.slots.items()}, {k: dict(v) for k, v in flow.objects.items()},
                      len(flow._fixtures_seen), len(flow.registry.by_id), len(flow.registry.aliases))
        router_sizes = tuple((k, len(v)) for k, v in vars(routers).items()
                             if k not in ("_constants", "_read") and isinstance(v, (dict, set, list)))
        return (model.version, model.global_version, sizes, local, flow_state, router_sizes, len(self.record_kinds),
                id(flow.cache))  # (flow.cache: the memos, and PY005's state, which only the parent changes)

    def memos(self) -> dict[str, Any]:
        """The memos as they are now (shallow copies, to tell what was added since)."""
        flow = self.flow
        project = self.files[0].project if self.files else None
        return {"callers": {k: len(v) for k, v in flow.callers.items()},
                "cache": {k: (v, len(v) if isinstance(v, (dict, set, list)) else -1) for k, v in flow.cache.items()},
                "bags": dict(flow.cache.get(_BAG_KEYS) or {}),
                "returners": flow._returners, "entity": list(self.model.entity_cache.items()),
                "constants": len(self.routers._constants),
                "tables": getattr(project, "_tables", None)}

    def delta(self, start: dict[str, Any]) -> dict[str, Any] | None:
        """In the child: what its rules added to the memos since `start`, to send (None: cannot be merged)."""
        flow = self.flow
        callers = []
        for callee, got in flow.callers.items():
            n = start["callers"].get(callee, 0)
            if len(got) > n:
                callers.append((callee, list(got)[n:]))
        cache: dict[str, Any] = {}
        for key, value in flow.cache.items():
            old = start["cache"].get(key)
            size = len(value) if isinstance(value, (dict, set, list)) else -1
            if old is not None and old[0] is value and old[1] == size and key != _BAG_KEYS:
                continue
            if key in _PLAIN_MEMOS:
                cache[key] = value
            elif key == _BAG_KEYS and isinstance(value, dict):
                cache[key] = {k: v[1] for k, v in value.items() if start["bags"].get(k) is not v}
            else:
                return None  # a rule's state this module does not know (or PY005's, outside a pinned file)
        entity = list(self.model.entity_cache.items())
        project = self.files[0].project if self.files else None
        tables = getattr(project, "_tables", None)
        return {"callers": callers, "cache": cache,
                "returners": flow._returners if flow._returners is not start["returners"] else None,
                "entity": entity if entity != start["entity"] else None,
                "constants": list(self.routers._constants.items())[start["constants"]:],
                "tables": tables if start["tables"] is None and tables is not None else None}

    def merge(self, delta: object, start: dict[str, Any]) -> bool:
        """In the parent, after its head: the child's additions, as the serial scan would have made them after
        the head's (what the head computed is kept: the same memo). False, nothing merged: it cannot be."""
        if not isinstance(delta, dict):
            return False
        flow, model = self.flow, self.model
        by_id = {id(fi): (pf, fi) for pf in self.files for fi in pf.functions}
        bags = delta["cache"].get(_BAG_KEYS, {})
        if any(i not in by_id for _callee, ids in delta["callers"] for i in ids) or any(i not in by_id for i in bags):
            return False
        entity = delta["entity"]
        entity_now = list(model.entity_cache.items())
        if entity is not None and entity_now != start["entity"] and (
                model.entity_cache.get("", (None,))[0] != dict(entity).get("", (None,))[0]):
            return False  # both computed it, for different stamps (cannot happen while the model is still)
        for callee, ids in delta["callers"]:
            mine = flow.callers.setdefault(callee, {})
            for i in ids:
                mine.setdefault(i, by_id[i])
        for key, value in delta["cache"].items():
            if key == _BAG_KEYS:
                have = flow.cache.setdefault(_BAG_KEYS, {})
                for i, keys in value.items():
                    current = have.get(i)
                    if current is None or current[0] is not by_id[i][1]:
                        have[i] = (by_id[i][1], keys)
            else:
                flow.cache.setdefault(key, value)
        if delta["returners"] is not None and flow._returners is start["returners"]:
            flow._returners = delta["returners"]
        if entity is not None:
            if entity_now == start["entity"]:  # the head computed none: the child's, as the serial scan had it
                model.entity_cache.clear()
                model.entity_cache.update(entity)
            else:
                for k, v in entity:
                    model.entity_cache.setdefault(k, v)
        for k, v in delta["constants"]:
            self.routers._constants.setdefault(k, v)
        project = self.files[0].project if self.files else None
        if delta["tables"] is not None and project is not None and getattr(project, "_tables", 0) is None:
            project._tables = delta["tables"]
        return True
