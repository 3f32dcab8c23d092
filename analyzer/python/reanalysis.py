"""Which functions a flow pass must analyse again after a global fact is learned (issue 15).

A function's local flow reads the model's global facts (schemas, aliases, record fields, key names, ...) by
name. While a function is analysed, the dictionaries holding those facts record the names it asks for (or
that it iterated one); a fact learned later makes only the functions that asked for its name stale. The
registry of parsed definitions grows between rounds: a new definition makes stale the functions whose text
(or class) mentions its name. What is not recorded by name (ORM classes, other tables' classes, 1:1 tables,
a function's route marks) makes every function stale when it changes, as before. `engine.THOROUGH` keeps the
old full passes instead.
"""

from __future__ import annotations

import math
import re
from typing import Any

from analyzer.python.prefilter import words_of

#: model attributes recorded by name: dict (or list) attribute -> its tag. Not `key_names`: made with the model
#: and never changed after, so no read of it can go stale (polar: 352,000 of the recorded reads, each a Python call)
_TRACKED = ("schemas", "schema_orm", "type_aliases", "key_strings", "json_names", "schema_fields", "int_aliases",
            "key_adapters", "foreign_columns", "function_names", "route_templates", "route_queries",
            "route_returns", "other_orm", "pk_tables", "entity_cache")
#: read as a whole: facts.foreign_entity's cache answers from every mapped class of other tables (a read of
#: all of other_orm), and facts.own_tables takes pk_tables in a set union
_WHOLE = {"entity_cache": "other_orm"}
_WORD = re.compile(r"\w+")

#: the reads of the analysis running now ((tag, name) or (tag, "*")), None outside one
_reads: set[tuple[str, object]] | None = None
#: (tag, name) of every write that changed a tracked fact since the Tracker last looked (`Tracker.facts_fresh`):
#: what the facts steps earlier in a pass learned, before a later one is asked whether it must run again
_written: set[tuple[str, object]] = set()


def read_all(tag: str) -> None:
    """The running analysis read all of `tag` through a memo built from it (facts.schema_affinity)."""
    if _reads is not None:
        _reads.add((tag, "*"))


class _Dict(dict):  # type: ignore[type-arg]
    __slots__ = ("tag",)
    tag: str

    def __contains__(self, k: object) -> bool:
        if _reads is not None:
            _reads.add((self.tag, k))
        return dict.__contains__(self, k)

    def __getitem__(self, k: object) -> Any:
        if _reads is not None:
            _reads.add((self.tag, k))
        return dict.__getitem__(self, k)

    def get(self, k: object, default: Any = None) -> Any:
        if _reads is not None:
            _reads.add((self.tag, k))
        return dict.get(self, k, default)

    def setdefault(self, k: object, default: Any = None) -> Any:
        if _reads is not None:
            _reads.add((self.tag, k))
        if not dict.__contains__(self, k):
            _written.add((self.tag, k))
        return dict.setdefault(self, k, default)

    def pop(self, k: object, *default: Any) -> Any:
        if _reads is not None:
            _reads.add((self.tag, k))
        if dict.__contains__(self, k):
            _written.add((self.tag, k))
        return dict.pop(self, k, *default)

    def __setitem__(self, k: object, v: Any) -> None:
        if not dict.__contains__(self, k) or (old := dict.__getitem__(self, k)) is not v and old != v:
            _written.add((self.tag, k))
        dict.__setitem__(self, k, v)

    def _all(self) -> None:
        if _reads is not None:
            _reads.add((self.tag, "*"))

    def __iter__(self):  # type: ignore[no-untyped-def]
        self._all()
        return dict.__iter__(self)

    # __len__ is not a read: the one caller in the flow (Flow._local_state) compares the sizes before and after
    # a function's own walk, which depends on what that walk learns, not on what was there when it started

    def keys(self):  # type: ignore[no-untyped-def]
        self._all()
        return dict.keys(self)

    def values(self):  # type: ignore[no-untyped-def]
        self._all()
        return dict.values(self)

    def items(self):  # type: ignore[no-untyped-def]
        self._all()
        return dict.items(self)

    def copy(self):  # type: ignore[no-untyped-def]
        self._all()
        return dict(dict.items(self))

    def __eq__(self, other: object) -> bool:
        self._all()
        return dict.__eq__(self, other)

    __hash__ = None  # type: ignore[assignment]


class _Set(set):  # type: ignore[type-arg]
    """Only `in` is recorded by name; anything else (iteration, set operations, which C code runs without
    calling these methods) counts as reading it all: `wrap` refuses a set unless every read goes through `in`
    (function_names: the flow only asks `name in`)."""

    __slots__ = ("tag",)
    tag: str

    def __contains__(self, k: object) -> bool:
        if _reads is not None:
            _reads.add((self.tag, k))
        return set.__contains__(self, k)

    def add(self, k: object) -> None:
        if not set.__contains__(self, k):
            _written.add((self.tag, k))
            set.add(self, k)

    def __iter__(self):  # type: ignore[no-untyped-def]
        if _reads is not None:
            _reads.add((self.tag, "*"))
        return set.__iter__(self)

    def __len__(self) -> int:
        if _reads is not None:
            _reads.add((self.tag, "*"))
        return set.__len__(self)

    def __ror__(self, other: Any) -> Any:  # `{...} | model.pk_tables` (facts.own_tables): runs before set.__or__
        if _reads is not None:
            _reads.add((self.tag, "*"))
        return set(other) | set(set.__iter__(self))

    def __or__(self, other: Any) -> Any:
        if _reads is not None:
            _reads.add((self.tag, "*"))
        return set(set.__iter__(self)) | set(other)


class _Whole(dict):  # type: ignore[type-arg]
    """A cache whose every answer depends on all of another attribute (`tag`): any access reads it all."""

    __slots__ = ("tag",)
    tag: str

    def _all(self) -> None:
        if _reads is not None:
            _reads.add((self.tag, "*"))

    def __contains__(self, k: object) -> bool:
        self._all()
        return dict.__contains__(self, k)

    def __getitem__(self, k: object) -> Any:
        self._all()
        return dict.__getitem__(self, k)

    def get(self, k: object, default: Any = None) -> Any:
        self._all()
        return dict.get(self, k, default)

    __hash__ = None  # type: ignore[assignment]


class _List(list):  # type: ignore[type-arg]
    __slots__ = ("tag",)
    tag: str

    def _all(self) -> None:
        if _reads is not None:
            _reads.add((self.tag, "*"))

    def __iter__(self):  # type: ignore[no-untyped-def]
        self._all()
        return list.__iter__(self)

    def __len__(self) -> int:
        self._all()
        return list.__len__(self)

    def __getitem__(self, i: Any) -> Any:
        self._all()
        return list.__getitem__(self, i)

    def __contains__(self, x: object) -> bool:
        self._all()
        return list.__contains__(self, x)

    def __eq__(self, other: object) -> bool:
        self._all()
        return list.__eq__(self, other)

    __hash__ = None  # type: ignore[assignment]


class _Dirty(set):  # type: ignore[type-arg]
    """The model's `dirty` (functions whose parameters or return were learned, KeyModel.learn_*) keeping, per
    function, the count of the last analysis that added it (math.inf: added outside an analysis)."""

    __slots__ = ("at", "tracker")

    def __init__(self, items: Any, tracker: Tracker) -> None:
        super().__init__(items)
        self.at: dict[str, float] = {}
        self.tracker = tracker

    def add(self, k: Any) -> None:
        set.add(self, k)
        now = self.tracker.count if self.tracker.inside else math.inf
        if self.at.get(k, -1) < now:
            self.at[k] = now

    def clear(self) -> None:
        set.clear(self)
        self.at.clear()


def _key_words(k: Any) -> list[str]:
    """The names a registry key defines: `pkg.mod.Class.method` -> Class, method (what a caller's text names;
    its module path it names only in imports); a (class, attribute) pair -> both."""
    if isinstance(k, tuple):
        return [w for part in k for w in _key_words(part)]
    return _WORD.findall(str(k))[-2:]


def _wrapped(value: Any, tag: str) -> Any:
    if tag in _WHOLE and isinstance(value, dict):
        out: Any = _Whole(value)
        out.tag = _WHOLE[tag]
        return out
    if isinstance(value, dict):
        out = _Dict(value)
    elif isinstance(value, set):
        out = _Set(value)
    elif isinstance(value, list):
        out = _List(value)
    else:
        return value
    out.tag = tag
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, (_Dict, _Whole)):
        return dict(dict.items(value))
    if isinstance(value, _Set):
        return set(set.__iter__(value))
    if isinstance(value, _List):
        return list(list.__iter__(value))
    return value


class Tracker:
    """Per scan: what each function read when last analysed, the global facts learned since, and from them
    the functions a pass must analyse again."""

    def __init__(self) -> None:
        self.clock = 0
        #: id(FuncInfo) -> the clock its last analysis started at
        self.started: dict[int, int] = {}
        #: id(FuncInfo) -> the (tag, name) its last analysis read (kept as the analysis recorded them: indexing
        #: them by key at the end of each analysis cost polar 0.4 s for 366,000 reads; a change looks them up)
        self.reads_of: dict[int, set[tuple[str, object]]] = {}
        #: the clock of the last change nothing records by name (every function analysed before it is stale)
        self.full_clock = -1
        #: functions made stale by a change since they were analysed
        self.stale: set[int] = set()
        self.snapshot: dict[str, Any] = {}
        self.registry_seen = False  # note_registry looked once (the first files' definitions are new to no function)
        self.marks: dict[int, tuple[Any, ...]] = {}  # id(FuncInfo) -> (route, task, dependency) last seen
        self.tokens: dict[int, frozenset[str]] = {}  # id(FuncInfo) -> the words of its text and class
        #: path -> the words of the file's text (the prefilter's), where known: a function's words are among its
        #: file's (its text is a slice of the file's from token to token, its class is defined there), so a
        #: file whose words miss every new definition needs none of its functions' words
        self.file_words: dict[str, frozenset[str]] = {}
        self.defined: set[str] = set()  # words of registry entries added or changed since the last pass
        self.model_gv = -1
        #: analyses begun so far, and per function (by identity) the count at its last one
        self.count = 0
        self.begun: dict[int, int] = {}
        #: functions (by identity) the next pass must analyse again for a change of a function's own state
        self.grown: set[int] = set()
        self.inside = False  # between begin and end
        #: the facts steps run so far (engine._facts: (stage, id(ParsedFile))) -> what each read or wrote when it last
        #: ran, and the other way: (tag, name) -> the steps that did
        self.facts_reads: dict[tuple[int, int], set[tuple[str, object]]] = {}
        self.facts_readers: dict[tuple[str, object], set[tuple[int, int]]] = {}
        #: steps a change made stale since they last ran
        self.facts_stale: set[tuple[int, int]] = set()
        #: the files (by identity, in order) the routers were last collected from
        self.routers_files: tuple[int, ...] = ()
        #: `work`'s last look: the files, `full_clock` then, each function's place (id -> (rank, file, function))
        self.work_files: tuple[int, ...] = ()
        self.work_full: int | None = None
        self.rank: dict[int, tuple[int, Any, Any]] = {}

    # ---------------------------------------------------------------- model
    def wrap(self, model: Any) -> None:
        for name in _TRACKED:
            setattr(model, name, _wrapped(getattr(model, name), name))
        model.dirty = _Dirty(model.dirty, self)

    def unwrap(self, model: Any) -> None:
        for name in _TRACKED:
            setattr(model, name, _plain(getattr(model, name)))
        model.dirty = set(set.__iter__(model.dirty))

    def _take(self, model: Any) -> dict[str, Any]:
        snap: dict[str, Any] = {}
        for name in _TRACKED:
            v = getattr(model, name)
            if name in _WHOLE:
                continue
            if isinstance(v, dict):
                if name == "schema_fields":
                    snap[name] = {k: dict(dict.items(f)) for k, f in dict.items(v)}
                else:
                    snap[name] = dict(dict.items(v))
            elif isinstance(v, set):
                snap[name] = set(set.__iter__(v))
            elif isinstance(v, list):
                snap[name] = list(list.__iter__(v))
        snap["orm"] = dict(model.orm)
        return snap

    def note_changes(self, model: Any, facts: bool = True) -> None:
        """Compare the global facts with the last look: log what changed, at the current clock. `facts` False:
        the changes were the facts steps' own, which their writes already told (`facts_end`)."""
        old = self.snapshot
        new = self._take(model)
        self.snapshot = new
        self.model_gv = model.global_version
        if not old:
            return
        changed: set[tuple[str, object]] = set()
        full = False
        for name, v in new.items():
            o = old.get(name)
            if o is None:  # a fact not there at the last look (never, as _take reads a fixed list): all of it
                full = True
                continue
            if name == "orm":
                full = full or o.keys() != v.keys() or any(o[k] is not v[k] for k in v)
            elif isinstance(v, dict):
                for k in v.keys() | o.keys():
                    if k not in v or k not in o or v[k] != o[k]:
                        changed.add((name, k))
            elif isinstance(v, set):
                changed |= {(name, k) for k in v ^ o}
            elif v != o:
                changed.add((name, "*"))
        if full:
            self.full_clock = self.clock
        if facts:
            o, v = old["orm"], new["orm"]  # (the facts steps read the mapped classes by name)
            self._facts_changed(changed | {("orm", k) for k in o.keys() | v.keys()
                                           if k not in o or k not in v or o[k] is not v[k]})
        if changed:  # the functions whose last analysis read a changed fact by name, or all of its table
            keys = changed | {(tag, "*") for tag, _k in changed}
            self.stale.update(fid for fid, reads in self.reads_of.items() if not keys.isdisjoint(reads))
        self.clock += 1

    # ---------------------------------------------------------------- the facts steps (engine._facts)
    def watched(self, value: dict[Any, Any], tag: str) -> Any:
        """A copy of `value` whose reads and writes are recorded as `tag`'s (the caller copies it back)."""
        return _wrapped(_plain(value), tag)

    def _facts_changed(self, keys: set[tuple[str, object]]) -> None:
        """The steps that read (or wrote) one of `keys`, or all of its table, must run again."""
        if not keys:
            return
        readers = self.facts_readers
        for key in keys | {(tag, "*") for tag, _k in keys}:
            got = readers.get(key)
            if got:
                self.facts_stale |= got

    def facts_fresh(self, key: tuple[int, int]) -> bool:
        """Has the step `key` run since the last change of anything it read or wrote? Then it would learn nothing
        new: a step is a function of its file and of what it reads, and what it wrote is still there. (The writes
        of the steps before it in this pass are taken first.)"""
        if _written:
            self._facts_changed(_written)
            _written.clear()
        return key in self.facts_reads and key not in self.facts_stale

    def facts_begin(self, key: tuple[int, int]) -> None:
        global _reads
        for r in self.facts_reads.pop(key, ()):
            self.facts_readers[r].discard(key)
        self.facts_stale.discard(key)
        _reads = set()

    def facts_end(self, key: tuple[int, int]) -> None:
        """What the step read and wrote: the other steps that read what it wrote are stale, and so is the step
        itself when it also read what it wrote (maybe before writing it: another run may learn more from it)."""
        global _reads
        reads, _reads = _reads or set(), None
        wrote = set(_written)
        _written.clear()
        if wrote:
            self._facts_changed(wrote)
            if not reads.isdisjoint(wrote | {(tag, "*") for tag, _k in wrote}):
                self.facts_stale.add(key)
            reads |= wrote
        self.facts_reads[key] = reads
        for r in reads:
            self.facts_readers.setdefault(r, set()).add(key)

    def facts_start(self, model: Any) -> None:
        """Before a pass's facts steps: what the model learned since the last look (the flow, the routes) makes
        the steps that read it stale; every write before now is in that look."""
        self.note_changes(model)
        _written.clear()

    def facts_done(self, model: Any) -> None:
        """After them: what they learned makes stale the functions that read it (their writes told the steps)."""
        self.note_changes(model, facts=False)

    # ---------------------------------------------------------------- registry and route marks
    def note_registry(self, registry: Any) -> None:
        """Words of the registry entries added or changed since the last look (new files' definitions:
        flow.Registry.add notes their keys)."""
        if self.registry_seen:
            self.defined.update(w for k in registry.changed for w in _key_words(k))
        self.registry_seen = True
        registry.changed.clear()

    def _tokens(self, pf: Any, fi: Any) -> frozenset[str]:
        got = self.tokens.get(id(fi))
        if got is None:
            got = words_of(pf.code(fi.node))  # (the prefilter's split: half the pattern's time)
            if fi.cls:
                got |= frozenset(_WORD.findall(str(fi.cls)))
            self.tokens[id(fi)] = got
        return got

    # ---------------------------------------------------------------- passes
    def work(self, live: list[Any], wanted: set[int]) -> list[tuple[Any, Any]]:
        """The functions this pass analyses: asked for by the worklist, never analysed, analysed before a
        change nothing records by name, stale by a recorded read, with changed route marks, or mentioning a
        definition added since."""
        defined = self.defined
        files = tuple(id(pf) for pf in live)
        if files == self.work_files and self.full_clock == self.work_full and not defined:
            # the same files as the last pass (so the same route marks: engine._facts marks them when the files
            # change), no new definition, no change nothing records by name since: every function but those asked
            # for and the stale ones was analysed after all it depends on (polar: 0.25 -> 0.05 s for ten passes)
            rank = self.rank
            picked = sorted(rank[fid] for fid in wanted | self.stale if fid in rank)
            out = [(pf, fi) for _k, pf, fi in picked]
        else:
            file_words = self.file_words
            out = []
            rank = self.rank = {}
            for pf in live:
                words = file_words.get(pf.path)
                named = bool(defined) and (words is None or not defined.isdisjoint(words))
                for fi in pf.functions:
                    fid = id(fi)
                    rank[fid] = (len(rank), pf, fi)
                    marks = (fi.route, fi.task, fi.dependency)
                    moved = self.marks.get(fid) != marks
                    self.marks[fid] = marks
                    at = self.started.get(fid)
                    if fid in wanted or at is None or moved or at <= self.full_clock or fid in self.stale \
                            or named and not defined.isdisjoint(self._tokens(pf, fi)):
                        out.append((pf, fi))
            self.work_files = files
        self.work_full = self.full_clock
        self.defined = set()
        self.grown = set()
        return out

    def note_grown(self, unsettled: set[int], changed: dict[str, int], flow: Any) -> bool:
        """After a pass: the functions whose own state (flow.own_state) its analyses changed (func id -> count of
        that analysis) make stale those of their callers whose last analysis did not begin after it (a caller
        analysed after it read the new state), and those whose last walk still changed it (`unsettled`, by identity)
        themselves. False when no function needs another look for such a change."""
        grown = self.grown
        grown |= unsettled
        begun = self.begun
        for fid, at in changed.items():
            for cid in flow.callers.get(fid, ()):
                if begun.get(cid, -1) <= at:
                    grown.add(cid)
        return bool(grown)

    def dirty_work(self, dirty: set[str], flow: Any) -> set[int]:
        """The functions (by identity) the model's `dirty` makes stale: each dirty function (it reads its learned
        parameters) and its callers (they read its learned return), unless their last analysis began after the
        last one that learned such a fact (which may have read it before; `_Dirty`)."""
        out: set[int] = set()
        begun, by_id = self.begun, flow.registry.by_id
        at_of: dict[str, float] = dirty.at if isinstance(dirty, _Dirty) else {}
        for fid in dirty:
            at = at_of.get(fid, math.inf)
            if fid in by_id:
                fi = by_id[fid][1]
                if begun.get(id(fi), -1) <= at:
                    out.add(id(fi))
            for cid in flow.callers.get(fid, ()):
                if begun.get(cid, -1) <= at:
                    out.add(cid)
        return out

    def begin(self, fi: Any) -> int:
        """Start recording an analysis of `fi`; returns its count (analyses begun before it)."""
        global _reads
        fid = id(fi)
        self.started[fid] = self.clock
        self.stale.discard(fid)
        self.count += 1
        self.begun[fid] = self.count
        self.inside = True
        _reads = set()
        return self.count

    def end(self, fi: Any, model: Any) -> None:
        global _reads
        reads, _reads = _reads, None
        self.inside = False
        fid = id(fi)
        if reads:
            self.reads_of[fid] = reads
        else:
            self.reads_of.pop(fid, None)
        if model.global_version != self.model_gv:
            self.note_changes(model)
