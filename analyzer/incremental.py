"""Diff mode in proportion to the diff: the changed Python files checked against the base scan's final facts.

A full scan learns to a fixed point over every candidate file, then runs the rules once. When a cached
scan of the base (the same tool, closure, target type and configuration; files differing only where the
diff says) kept its final facts (`Snapshot`: the key model, the routers, the record kinds, what the flow
learned per function, the names the registry resolves calls by), a pull request's Python files are checked
against them instead of scanning again:

- each changed file is parsed twice, as it was at the base (`git show`) and as it is now, and each
  version is checked in its own world: the base's facts, with the other files' functions read back when a
  call or a rule reaches them (parsed then, their learned state restored, never analysed again);
- the change must leave the fixed point where it is: what the new version teaches (parameters, returns,
  classes, schemas, aliases, names, routes, routers, record kinds) must already be known, and what the old
  version taught must still be taught (else a fact the base learned from it could go); the functions that
  call into the changed files are analysed again and must end as the base left them; the definitions the
  registry resolves calls by must be the same names;
- then the rules run on the changed files, as the full scan's last step runs them.

Any condition not met, and the caller scans in full (one line on stderr says why). What this does not see:
a fact held up only by a cycle through the old text (never observed), and a settings constant a router
prefix is read from changing in the same diff.
"""

from __future__ import annotations

import hashlib
import pickle
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from analyzer.config import Config
from analyzer.models import FileOutcome, Finding, Ok, ScanResult, Skipped, SourceFile

#: more changed Python files than this: the full scan is as cheap as checking them one by one
MAX_CHANGED = 40


class Fallback(Exception):
    """The proportional path cannot be exact for this change: scan in full (the message says why)."""


# ----------------------------------------------------------------------------- what a full scan keeps
@dataclass
class Snapshot:
    """The Python scan's final facts, without syntax trees (those are parsed again when asked for)."""

    model: bytes  # the pickled KeyModel (unpickled once per world)
    routers: bytes  # the pickled Routers, without the texts
    record_kinds: dict[str, str]
    flow_cache: dict[str, object]
    returners: tuple[Any, set[str]]
    registry: bytes  # the pickled Registry, syntax trees replaced by the path they come from
    #: (path, index in pf.functions) -> (env, instances, objects, route, task, dependency), where not empty
    states: dict[tuple[str, int], tuple[Any, ...]]
    #: callee func id -> its callers, as (path, index)
    callers: dict[str, list[tuple[str, int]]]
    parsed: list[str]  # paths, in the order they were parsed (registered)
    #: func ids whose return annotation names a tuple (what Flow._tuple_returners looks at), in registry order
    tuple_candidates: list[str]
    #: func ids of methods (Registry.method_ids asks, for every definition of a name)
    methods: frozenset[str]
    #: attributes the scan sets on every parsed file (`project`: names defined across the tree)
    file_attrs: dict[str, Any]


class _LazySnapshot:
    """A `Snapshot` read from the cache on first use (diff mode needs none when no parsed file changed)."""

    def __init__(self, read: Any) -> None:
        self._read = read
        self._snap: Snapshot | None = None

    def __getattr__(self, name: str) -> Any:
        if self._snap is None:
            got = self._read()
            if not isinstance(got, Snapshot):
                raise Fallback("no cached facts of the base scan (gone, or of another version)")
            self._snap = got
        return getattr(self._snap, name)


@dataclass(frozen=True, slots=True)
class _Lazy:
    """A registry value whose file is not parsed yet."""

    path: str


def _state(fi: Any) -> tuple[Any, ...]:
    return (dict(fi.env), dict(fi.instances), dict(fi.objects), fi.route, fi.task, fi.dependency)


_EMPTY_STATE: tuple[Any, ...] = ({}, {}, {}, None, False, False)


def snapshot(live: tuple[Any, ...]) -> Snapshot:
    """What diff mode needs of a finished scan: (parsed, model, flow, routers, record_kinds) -> Snapshot."""
    parsed, model, flow, routers, record_kinds = live
    registry = flow.registry
    where: dict[int, tuple[str, int]] = {}
    states: dict[tuple[str, int], tuple[Any, ...]] = {}
    for path, pf in parsed.items():
        for i, fi in enumerate(pf.functions):
            where[id(fi)] = (path, i)
            st = _state(fi)
            if st != _EMPTY_STATE:
                states[(path, i)] = st
    callers = {callee: [where[k] for k in got if k in where] for callee, got in flow.callers.items()}
    skeleton = _skeleton(registry, parsed)
    saved_texts, routers.texts = routers.texts, {}
    try:
        routers_blob = pickle.dumps(routers, protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        routers.texts = saved_texts
    return Snapshot(
        model=pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL), routers=routers_blob,
        record_kinds=dict(record_kinds), flow_cache=dict(flow.cache), returners=flow._returners,
        registry=pickle.dumps(skeleton, protocol=pickle.HIGHEST_PROTOCOL), states=states, callers=callers,
        parsed=list(parsed), file_attrs=_file_attrs(parsed), tuple_candidates=_tuple_candidates(registry),
        methods=frozenset(fid for fid, (_pf, fi) in registry.by_id.items() if fi.cls),
    )


def _tuple_candidates(registry: Any) -> list[str]:
    return [fid for fid, (pf, fi) in registry.by_id.items() if fi.node.returns is not None
            and "uple" in pf.code(fi.node.returns)]


def _file_attrs(parsed: dict[str, Any]) -> dict[str, Any]:
    """What the scan gave every parsed file beside its tree (one shared object per scan, e.g. `project`)."""
    for pf in parsed.values():
        return {name: getattr(pf, name) for name in ("project",) if getattr(pf, name, None) is not None}
    return {}


def _skeleton(registry: Any, parsed: dict[str, Any]) -> Any:
    """The registry with every syntax tree replaced by a `_Lazy` of its file."""
    import libcst as cst

    from analyzer.python.flow import Registry

    out = Registry()
    for name, value in vars(registry).items():
        setattr(out, name, value)
    out.by_id = {fid: _Lazy(pf.path) for fid, (pf, _fi) in registry.by_id.items()}  # type: ignore[misc]
    wanted = {id(node): name for name, node in registry.aliases.items()}
    paths: dict[str, str] = {}
    for path, pf in parsed.items():
        for entry in pf.of(cst.Assign):
            name = wanted.get(id(entry.node.value))
            if name is not None:
                paths.setdefault(name, path)
    out.aliases = {name: _Lazy(paths.get(name, "")) for name in registry.aliases}  # type: ignore[misc]
    out._by_suffix = {}
    return out


# ----------------------------------------------------------------------------- one world
class _World:
    """The base's facts with one version of the changed files: their trees parsed, every other file's read
    back (parsed, its functions' learned state restored) when a call or a rule reaches it."""

    def __init__(self, snap: Snapshot, files: dict[str, SourceFile], changed: dict[str, Any], config: Config,
                 remap: _Remap | None = None, reads: dict[str, Any] | None = None) -> None:
        self.snap, self.files, self.config, self.remap = snap, files, config, remap
        #: unchanged files read back, shared with the other world (the same text: parsed once); a world that
        #: takes one from the other resets what that world learned in it first
        self.reads: dict[str, Any] = {} if reads is None else reads
        self.model = pickle.loads(snap.model)
        if remap is not None:
            remap.model(self.model)
        self.routers = pickle.loads(snap.routers)
        self.routers.texts = _Texts(files, config)
        self.model.texts = self.routers.texts  # (read when an int alias's uses are first asked for)
        self.record_kinds = dict(snap.record_kinds)
        self.registry = pickle.loads(snap.registry)
        self.loaded: dict[str, Any] = dict(changed)
        self.registry.by_id = _LazyDict(self.registry.by_id, self._load)
        self.registry.aliases = _LazyDict(self.registry.aliases, self._load)
        methods = snap.methods  # the changed files define the same names, methods or not (checked before)
        by_name = self.registry.by_name
        self.registry.method_ids = lambda name: [i for i in by_name.get(name, []) if i in methods]
        self.flow = _Flow(self.model, self.registry)
        changed_ids = {fi.func_id for pf in changed.values() if pf is not None for fi in pf.functions}
        self.flow.candidates = [fid for fid in snap.tuple_candidates if fid not in changed_ids] + [
            fi.func_id for pf in changed.values() if pf is not None for fi in pf.functions
            if fi.node.returns is not None and "uple" in pf.code(fi.node.returns)]
        self.flow.cache.update(snap.flow_cache)
        self.flow._returners = snap.returners
        for path, pf in changed.items():
            if pf is not None:
                self._install(path, pf, restore=False)

    def _load(self, path: str) -> None:
        """Parse an unchanged file the base parsed, restore what the flow learned of its functions."""
        from analyzer.python.parsed import parse, read_text
        from analyzer.sources import Limits

        if path in self.loaded:
            raise Fallback(f"{path}: a name the registry resolves moved with the change")
        pf = self.reads.get(path)
        if pf is None:
            src = self.files.get(path)
            if src is None:
                raise Fallback(f"{path}: a file the base scan parsed is gone")
            pf = self.reads[path] = parse(src, read_text(src.abs_path, Limits.of(self.config)))
        else:
            pf.reset()
        self.loaded[path] = pf
        self._install(path, pf, restore=True)

    def _install(self, path: str, pf: Any, restore: bool) -> None:
        from analyzer.python.flow import Registry

        for name, value in self.snap.file_attrs.items():
            setattr(pf, name, value)
        if restore:
            for i, fi in enumerate(pf.functions):
                st = self.snap.states.get((path, i))
                if st is not None and self.remap is not None:
                    st = self.remap.state(st)
                if st is not None:
                    env, inst, objs, fi.route, fi.task, fi.dependency = st
                    fi.env.update(env)
                    fi.instances.update(inst)
                    fi.objects.update(objs)
        by_id = self.registry.by_id
        for fi in pf.functions:
            if isinstance(dict.get(by_id, fi.func_id), _Lazy) and dict.__getitem__(by_id, fi.func_id).path == path:
                dict.__setitem__(by_id, fi.func_id, (pf, fi))
        own = Registry()
        own.add(pf)
        for name, node in own.aliases.items():
            got = dict.get(self.registry.aliases, name)
            if isinstance(got, _Lazy) and got.path == path:
                dict.__setitem__(self.registry.aliases, name, node)


def _flow_class() -> Any:
    from analyzer.python.flow import Flow

    class Flow_(Flow):
        """The flow, where the functions annotated to return a tuple are known from the snapshot (the flow's own
        way looks at every registered function, which would parse every file again)."""

        candidates: list[str]

        def _tuple_returners(self) -> set[str]:
            stamp = (len(self.registry.by_id), len(self.model.orm))
            if self._returners[0] != stamp:
                funcs = [self.registry.by_id[fid][1] for fid in self.candidates if fid in self.registry.by_id]
                self._returners = (stamp, {fi.name for fi in funcs if self._tuple_return(fi)})
            return self._returners[1]

    return Flow_


def _Flow(model: Any, registry: Any) -> Any:  # noqa: N802 - a class made on first use (flow imports late)
    return _flow_class()(model, registry)


class _LazyDict(dict):  # type: ignore[type-arg]
    """A registry mapping whose values are parsed on first read (`_Lazy` until then)."""

    def __init__(self, data: dict[Any, Any], load: Any) -> None:
        super().__init__(data)
        self._loader = load

    def _real(self, key: Any) -> Any:
        value = super().__getitem__(key)
        if isinstance(value, _Lazy):
            self._loader(value.path)
            value = super().__getitem__(key)
            if isinstance(value, _Lazy):
                raise Fallback(f"{value.path}: its definitions are not where the base scan saw them")
        return value

    def __getitem__(self, key: Any) -> Any:
        return self._real(key)

    def get(self, key: Any, default: Any = None) -> Any:
        return self._real(key) if key in self else default

    def values(self) -> Any:  # type: ignore[override]
        return [self._real(k) for k in list(self.keys())]

    def items(self) -> Any:  # type: ignore[override]
        return [(k, self._real(k)) for k in list(self.keys())]


class _Texts(dict):  # type: ignore[type-arg]
    """Every Python text, read when a router prefix constant is first looked for (rarely)."""

    def __init__(self, files: dict[str, SourceFile], config: Config) -> None:
        super().__init__()
        self._files, self._config, self._read = files, config, False

    def values(self) -> Any:  # type: ignore[override]
        if not self._read:
            from analyzer.python.parsed import ParseFailure, read_text
            from analyzer.sources import Limits

            self._read = True
            for path, f in self._files.items():
                if f.language == "python":
                    try:
                        self[path] = read_text(f.abs_path, Limits.of(self._config))
                    except ParseFailure:
                        pass
        return super().values()


# ----------------------------------------------------------------------------- moved lines
class _Remap:
    """Evidence names lines (`app/repo.py:24`); in the changed files those lines moved. A line the diff left
    as it was maps to its new number, a line of a hunk that replaced as many lines to its counterpart; a line
    the change removed or reshaped has no counterpart: what cites it cannot be carried over (`Fallback`)."""

    def __init__(self, old: dict[str, str], new: dict[str, str]) -> None:
        import difflib
        import re

        self.maps: dict[str, dict[int, int]] = {}
        for path in old:
            a, b = old[path].splitlines(), new[path].splitlines()
            if a == b:
                continue
            m: dict[int, int] = {}
            for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
                if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
                    m.update({i1 + k + 1: j1 + k + 1 for k in range(i2 - i1)})
            self.maps[path] = m
        alts = "|".join(re.escape(p) for p in sorted(self.maps, key=len, reverse=True))
        self.rx = re.compile(rf"(?<![\w/.-])({alts}):(\d+)") if alts else None

    def line(self, path: str, n: int) -> int:
        got = self.maps.get(path, {}).get(n) if path in self.maps else n
        if got is None:
            raise Fallback(f"{path}:{n}, a line the change rewrote, is evidence of a fact")
        return got

    def text(self, s: str) -> str:
        if self.rx is None or ":" not in s:
            return s
        return self.rx.sub(lambda m: f"{m[1]}:{self.line(m[1], int(m[2]))}", s)

    def deep(self, obj: Any) -> Any:
        """`obj` with every line of a changed file it names moved (containers and dataclasses rebuilt)."""
        import dataclasses

        if self.rx is None:
            return obj
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, dict):
            out = {self.deep(k): self.deep(v) for k, v in obj.items()}
            if type(obj) is dict:
                return out
            obj.clear()
            obj.update(out)
            return obj
        if isinstance(obj, (list, tuple, set, frozenset)):
            items = [self.deep(x) for x in obj]
            return type(obj)(items) if type(obj) in (list, tuple, set, frozenset) else obj
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            changes = {f.name: self.deep(getattr(obj, f.name)) for f in dataclasses.fields(obj)
                       if isinstance(getattr(obj, f.name), (str, dict, list, tuple, set, frozenset))}
            path = getattr(obj, "path", None)
            if path in self.maps:
                for name in ("line", "pk_line"):
                    if isinstance(getattr(obj, name, None), int) and getattr(obj, name):
                        changes[name] = self.line(path, getattr(obj, name))
            return dataclasses.replace(obj, **changes) if changes else obj
        return obj

    def model(self, model: Any) -> None:
        if self.rx is None:
            return
        for name, value in list(vars(model).items()):
            if name not in ("closure", "config"):
                setattr(model, name, self.deep(value))

    def state(self, st: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(self.deep(x) if isinstance(x, (dict, tuple, str)) else x for x in st)


# ----------------------------------------------------------------------------- the check
def _registry_names(pf: Any) -> tuple[Any, ...]:
    """What a file gives the registry, as names (what calls are resolved by)."""
    from analyzer.python.flow import Registry

    r = Registry()
    r.add(pf)
    return (sorted(r.classes), sorted(r.factories.items()), sorted(r.aliases), sorted(r.instances.items()),
            [(fi.func_id, fi.name, fi.cls) for fi in pf.functions], sorted(r.self_attrs.items()))


def _router_names(pf: Any) -> tuple[Any, ...]:
    from analyzer.python import facts

    r = facts.Routers()
    facts.collect_routers(pf, r)
    return (sorted(r.own.items()), sorted((sorted(q), p, x) for q, p, x in r.pending), sorted(r.dependencies))


def _teach(world: _World, pf: Any) -> None:
    """What one learning round does with a file (engine._learn), in this world."""
    from analyzer.python import facts
    from analyzer.python.engine import _learn_response_models

    m = world.model
    facts.collect_orm(pf, m)
    facts.collect_records(pf, m, world.record_kinds)
    facts.collect_aliases(pf, m)
    facts.learn_field_aliases(pf, m)
    facts.mark_functions(pf, world.routers)
    for _ in range(2):
        for fi in pf.functions:
            world.flow.analyze(pf, fi)
    _learn_response_models(pf, m, world.flow)


def _routes(world: _World, pf: Any) -> list[tuple[Any, ...]]:
    """The route seeds of one file (engine._learn_routes on it alone), without their line numbers."""
    from analyzer.python.engine import _learn_routes

    m = world.model
    saved = (m.route_templates, m.route_queries, m.route_returns, m.version)
    try:
        got = _learn_routes({pf.path: pf}, m, world.routers, world.flow)
    finally:
        m.route_templates, m.route_queries, m.route_returns, m.version = saved
    return sorted((r.method, r.template, r.params, r.symbol) for r in got)


def _parse(src: SourceFile, text: str | None) -> Any:
    from analyzer.python.parsed import ParseFailure, parse

    if text is None:
        return None
    try:
        return parse(src, text)
    except ParseFailure as exc:
        raise Fallback(f"{src.path}: {exc}") from None


#: facts whose value is only why (evidence), not what
_EVIDENCE = frozenset({"params", "returns", "schemas", "schema_fields", "type_aliases", "int_aliases", "key_adapters",
                       "key_strings", "json_names"})


def _facts(model: Any) -> dict[tuple[Any, ...], Any]:
    """Every fact the rounds learned, by a key without its evidence -> the value (evidence, class, ...)."""
    out: dict[tuple[Any, ...], Any] = {}
    for fid, slot in model.params.items():
        out.update({("params", fid, p): v for p, v in slot.items()})
    for fid, slot in model.param_instances.items():
        out.update({("param_instances", fid, p): v for p, v in slot.items()})
    for name, slot in model.schema_fields.items():
        out.update({("schema_fields", name, f): v for f, v in slot.items()})
        out.setdefault(("schema_fields", name), None)
    for attr in ("returns", "return_instances", "schemas", "type_aliases", "int_aliases", "key_adapters", "key_strings",
                 "json_names", "other_orm", "orm", "request_globals"):
        out.update({(attr, k): v for k, v in getattr(model, attr).items()})
    out.update({("schema_orm", k): v for k, v in model.schema_orm.items()})
    return out


def _remove(model: Any, key: tuple[Any, ...]) -> None:
    attr = key[0]
    if attr in ("params", "param_instances", "schema_fields") and len(key) == 3:
        slot = getattr(model, attr).get(key[1])
        if slot is not None:
            slot.pop(key[2], None)
            if not slot and attr != "schema_fields":
                del getattr(model, attr)[key[1]]
    elif attr == "schema_fields":
        if not model.schema_fields.get(key[1]):
            model.schema_fields.pop(key[1], None)
    else:
        getattr(model, attr).pop(key[1], None)


def _put(model: Any, key: tuple[Any, ...], value: Any) -> None:
    attr = key[0]
    if attr in ("params", "param_instances", "schema_fields") and len(key) == 3:
        getattr(model, attr).setdefault(key[1], {})[key[2]] = value
    elif attr == "schema_fields":
        model.schema_fields.setdefault(key[1], {})
    else:
        getattr(model, attr)[key[1]] = value


def _suspects(facts: dict[tuple[Any, ...], Any], paths: set[str], funcs: list[Any]) -> set[tuple[Any, ...]]:
    """The facts a changed file may have taught: about its functions, its classes, citing one of its lines,
    or naming one of its functions (`passed as ids to Repo.get_many(), which holds the key`: what a caller
    learned back from it)."""
    import re

    fids = {fi.func_id for fi in funcs}
    cites = [rf"(?<![\w/.-]){re.escape(p)}:\d" for p in sorted(paths)]
    names = [rf"(?<![\w.]){re.escape(q)}\(\)" for q in sorted({fi.qualname for fi in funcs})]
    rx = re.compile("|".join(cites + names))
    out = set()
    for key, value in facts.items():
        if key[0] in ("params", "returns", "param_instances", "return_instances") and key[1] in fids:
            out.add(key)
        elif key[0] == "orm" and getattr(value, "path", None) in paths:
            out.add(key)
        elif rx.search(repr(value)):
            out.add(key)
    for key in list(out):  # a schema goes with its ORM link, a record's fields with the record
        if key[0] == "schemas":
            out.add(("schema_orm", key[1]))
    return out


def _same(a: Any, b: Any) -> bool:
    if hasattr(a, "line") and hasattr(b, "line"):  # an ORM class: where it is may move
        return (a.name, a.table, a.key_attrs, a.pk_attr, a.pk_generator, a.bases, a.relations) == \
            (b.name, b.table, b.key_attrs, b.pk_attr, b.pk_generator, b.bases, b.relations)
    return bool(a == b)


def _settle(world: _World, pfs: dict[str, Any], callers: list[tuple[str, int]]) -> None:
    """The changed files and the functions calling into them (from scratch: what they learned back from the
    changed files must be learned again) taught again until nothing more is learned."""
    for path, i in callers:
        if path not in world.loaded:
            world._load(path)
        fi = world.loaded[path].functions[i]
        fi.env.clear()
        fi.instances.clear()
        fi.objects.clear()
    for _ in range(4):
        version = world.model.version
        for pf in pfs.values():
            _teach(world, pf)
        for path, i in callers:
            if path not in world.loaded:
                world._load(path)
            pf = world.loaded[path]
            world.flow.analyze(pf, pf.functions[i])
        if world.model.version == version:
            return
    raise Fallback("the changed files keep teaching (no fixed point in four passes)")


def check(snap: Snapshot, files: Sequence[SourceFile], old_texts: dict[str, str | None],
          new_texts: dict[str, str | None], words: frozenset[str], config: Config,
          timings: dict[str, float] | None = None, parsed: frozenset[str] | None = None
          ) -> tuple[dict[str, tuple[Finding, ...]], dict[str, FileOutcome], _Remap | None]:
    """The findings of each changed Python file, as a full scan of the changed tree would report them (and how
    their lines moved), or `Fallback`. `old_texts` / `new_texts`: path -> text at the base / now (None: absent).

    The facts the changed files may have taught the base (about their functions and classes, or citing
    them) are taken out of the base's final facts, and each version of the files (with the functions
    calling into them) teaches again from there: the old version must teach back what it taught, the new
    one exactly the same, no fact more or less."""
    from analyzer.python.engine import _GENERATED, _check_file, _dedupe
    from analyzer.python.prefilter import mentions
    from analyzer.rules.python import enabled as enabled_rules
    from analyzer.rules.python._base import FileCtx

    t0 = time.perf_counter()
    by_path = {f.path: f for f in files}
    parsed_before = set(snap.parsed if parsed is None else parsed)  # `parsed`: the snapshot is read only if needed
    old_pf: dict[str, Any] = {}
    new_pf: dict[str, Any] = {}
    outcomes: dict[str, FileOutcome] = {}
    for path in sorted(set(old_texts) | set(new_texts)):
        old, new = old_texts.get(path), new_texts.get(path)
        was = path in parsed_before
        src = by_path.get(path) or SourceFile(root="", abs_path="", path=path, language="python")
        wanted = new is not None and any(mentions(new, w) for w in words)
        if new is not None and wanted and _GENERATED.search(new[:1000]):
            raise Fallback(f"{path}: now generated code")
        if not was and not wanted:  # the prefilter keeps it out, as it kept the old text out
            if old is not None and any(mentions(old, w) for w in words):
                raise Fallback(f"{path}: the base did not parse it though it names the key")
            if new is not None:
                outcomes[path] = Ok(path, findings=0)
            continue
        if not was:
            raise Fallback(f"{path}: now names the key (a new carrier: its facts can reach any file)")
        if not wanted:
            raise Fallback(f"{path}: no longer names the key (what it taught the base may go)")
        old_pf[path] = _parse(src, old)
        new_pf[path] = _parse(src, new)
        if old_pf[path] is None:
            raise Fallback(f"{path}: the base's text is not at hand")
        if _registry_names(old_pf[path]) != _registry_names(new_pf[path]):
            raise Fallback(f"{path}: adds, removes or moves definitions (calls elsewhere may resolve differently)")
        if _router_names(old_pf[path]) != _router_names(new_pf[path]):
            raise Fallback(f"{path}: changes a router")
    t0 = _tick(timings, "parse changed", t0)
    if not new_pf:
        return {}, outcomes, None
    remap = _Remap({p: old_texts[p] or "" for p in new_pf}, {p: new_texts[p] or "" for p in new_pf})
    base = _facts(pickle.loads(snap.model))
    funcs = [fi for pf in old_pf.values() for fi in pf.functions]
    fids = {fi.func_id for fi in funcs}
    suspects = _suspects(base, set(new_pf), funcs)
    callers = sorted({c for fid in fids for c in snap.callers.get(fid, ()) if c[0] not in new_pf})
    reads: dict[str, Any] = {}  # the files both worlds read back, parsed once
    old_world = _World(snap, by_path, old_pf, config, None, reads)
    for key in suspects:
        _remove(old_world.model, key)
    _settle(old_world, old_pf, callers)
    # what the new world needs of the old one's read-back files, taken before it learns in them again
    old_routes = {path: _routes(old_world, pf) for path, pf in old_pf.items()}
    old_callers = {c: _moved_value(remap, _state(old_world.loaded[c[0]].functions[c[1]])) for c in callers}
    new_world = _World(snap, by_path, new_pf, config, remap, reads)
    for key in suspects:
        _remove(new_world.model, key)
    _settle(new_world, new_pf, callers)
    t0 = _tick(timings, "learn changed", t0)
    old_facts, new_facts = _facts(old_world.model), _facts(new_world.model)
    if set(old_facts) - set(base):
        raise Fallback("the base's facts and its files disagree (the old text teaches more than the base knew)")
    if set(new_facts) != set(old_facts):
        more = sorted(set(new_facts) - set(old_facts), key=repr)
        less = sorted(set(old_facts) - set(new_facts), key=repr)
        raise Fallback(f"the change teaches something new ({_show(more[0])})" if more else
                       f"the change takes away a fact the base learned from it ({_show(less[0])})")
    for key, value in new_facts.items():
        if key[0] in _EVIDENCE:
            continue  # evidence: the full scan's is the first found, chosen below
        if not _same(_moved_value(remap, old_facts[key]), value):
            raise Fallback(f"the change alters a fact ({_show(key)})")
    if dict(new_world.record_kinds) != dict(old_world.record_kinds):
        raise Fallback("the change alters which classes are records")
    # what the old text does not teach again on its own stays as the base has it; where it does, the base's
    # evidence stands unless it was the old text's own (then the new text's, as a full scan would store)
    for key in suspects:
        stored = remap.deep(base[key])
        if key not in old_facts:
            _put(new_world.model, key, stored)
        elif not _same(stored, _moved_value(remap, old_facts[key])):
            _put(new_world.model, key, stored)
    for path, i in callers:
        fi = new_world.loaded[path].functions[i]
        if _state(fi) != old_callers[(path, i)]:
            raise Fallback(f"{fi.func_id} ({path}), calling into a changed file, learns differently")
    for path, pf in new_pf.items():
        if _routes(new_world, pf) != old_routes[path]:
            raise Fallback(f"{path}: changes a route that takes the key")
        for i, (fo, fn) in enumerate(zip(old_pf[path].functions, pf.functions, strict=True)):
            _carry_history(fn, _state(fo), snap.states.get((path, i), _EMPTY_STATE), remap)
    t0 = _tick(timings, "callers", t0)
    version = new_world.model.version
    rules = enabled_rules(config)
    out: dict[str, tuple[Finding, ...]] = {}
    for path, pf in new_pf.items():
        ctx = FileCtx(pf, new_world.model, new_world.flow, new_world.routers, new_world.record_kinds)
        got = _dedupe(_check_file(pf, ctx, rules, config, new_world.flow))
        out[path] = tuple(got)
        outcomes[path] = Ok(path, findings=len(got))
    if new_world.model.version != version:
        raise Fallback("the rules' last flow pass over the changed files learned something new")
    _tick(timings, "rules", t0)
    return out, outcomes, remap


def _moved_value(remap: _Remap, value: Any) -> Any:
    try:
        return remap.deep(value)
    except Fallback:
        return None


def _carry_history(fi: Any, fresh_old: tuple[Any, ...], base: tuple[Any, ...], remap: _Remap) -> None:
    """What a changed function's flow ends with in a full scan of the new text. A function's names are learned
    over the rounds and keep the evidence of the round that first found them (a parameter first seen passed
    from a caller, later matched with a column, keeps the caller's evidence): the base's state says which;
    `fresh_old`, the old text analysed once with the final facts, says where the base's history made a
    difference. Where the new text derives a name as the old did, the base's evidence (its lines moved)
    stands; where history made a difference and the derivation changed, there is no telling (`Fallback`)."""
    fresh_new = _state(fi)
    for k, (fo, fb, fn) in enumerate(zip(fresh_old[:3], base[:3], fresh_new[:3], strict=True)):
        if set(fo) != set(fb):
            raise Fallback(f"{fi.func_id}: its names depend on the order the base learned them")
        out = {}
        for name, value in fn.items():
            if name in fb and _moved(remap, fo[name]) == value:
                out[name] = remap.deep(fb[name])
            elif name in fb and fb[name] != fo[name]:
                raise Fallback(f"{fi.func_id}: `{name}` keeps evidence of an earlier round, and the change "
                               "alters what derives it")
            else:
                out[name] = value
        target = (fi.env, fi.instances, fi.objects)[k]
        target.clear()
        target.update(out)


def _moved(remap: _Remap, value: str) -> str | None:
    try:
        return remap.text(value)
    except Fallback:
        return None


def _show(key: tuple[Any, ...]) -> str:
    return " ".join(str(k) for k in key)[:120]


def _tick(timings: dict[str, float] | None, stage: str, since: float) -> float:
    now = time.perf_counter()
    if timings is not None:
        timings[stage] = timings.get(stage, 0.0) + now - since
    return now


# ----------------------------------------------------------------------------- the base's texts
def base_texts(roots: Sequence[str], ref: str, paths: Sequence[str]) -> dict[str, str | None]:
    """Finding-style path -> its text at `ref` (None: not there), read with `git show` per root."""
    from analyzer.sources import root_names

    names = root_names(roots)
    out: dict[str, str | None] = {}
    for root in roots:
        base = Path(root) if Path(root).is_dir() else Path(root).parent
        prefix = names[root]
        mine = [p for p in paths if not prefix or p.startswith(prefix + "/")]
        if not mine:
            continue
        try:
            top = subprocess.run(["git", "rev-parse", "--show-prefix"], cwd=base, capture_output=True,
                                 check=True, encoding="utf-8").stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            raise Fallback(f"{root}: not a git checkout") from None
        for p in mine:
            rel = p[len(prefix) + 1:] if prefix else p
            proc = subprocess.run(["git", "show", f"{ref}:{top}{rel}"], cwd=base, capture_output=True)
            if proc.returncode != 0:
                out[p] = None
                continue
            try:
                out[p] = proc.stdout.decode("utf-8")
            except UnicodeDecodeError:
                raise Fallback(f"{p}: not UTF-8 at {ref}") from None
    return out


def same_syntax(old: str | None, new: str | None) -> bool:
    """The two texts parse to the same syntax tree with every node at the same line and column (a comment
    added, changed or removed where it moves nothing): whatever reads the file through `ast`, its names or
    a line's statement, reads the same. A name the comment adds is no definition (still a text search of
    the file could see it: `read_by_rules` asks that of the new text first)."""
    import ast

    if old is None or new is None:
        return False
    if old.count("\n") != new.count("\n"):
        return False
    try:  # the trees pickled: every node's fields and positions, five times faster than ast.dump; a tree
        # pickled otherwise only for sharing an object the other does not is told apart (never the reverse)
        return pickle.dumps(ast.parse(old), protocol=5) == pickle.dumps(ast.parse(new), protocol=5)
    except (SyntaxError, ValueError, RecursionError, MemoryError, pickle.PicklingError):
        return False


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def merge(base: ScanResult, found: dict[str, tuple[Finding, ...]], outcomes: dict[str, FileOutcome],
          py_files: Sequence[SourceFile], remap: _Remap | None) -> ScanResult:
    """The base's Python result with the changed files' findings and outcomes in place of theirs; what the
    other files' findings and the seeds say of the changed files' lines, moved with them."""
    findings = [f for f in base.findings if f.path not in found and f.path not in outcomes]
    seeds = base.seeds
    if remap is not None and remap.rx is not None:
        findings = [_moved_finding(remap, f) for f in findings]
        seeds = _moved_value(remap, seeds) or seeds
    for path in found:
        findings.extend(found[path])
    old = {o.path: o for o in base.outcomes}
    old.update(outcomes)
    ordered = tuple(old[f.path] if f.path in old else Skipped(f.path, "not read") for f in py_files)
    stats = {**base.stats, "files": float(len(py_files)), "incremental": float(len(found))}
    return replace(base, findings=tuple(findings), outcomes=ordered, seeds=seeds, stats=stats)


def _moved_finding(remap: _Remap, f: Finding) -> Finding:
    message, evidence = _moved(remap, f.message), _moved(remap, f.evidence)
    if message is None or evidence is None or (message, evidence) == (f.message, f.evidence):
        return f
    return replace(f, message=message, evidence=evidence)


# ----------------------------------------------------------------------------- the schema of the base
def base_schema(store: Any, roots: Sequence[str], ref: str, files: Sequence[SourceFile], sums: dict[str, str]
                ) -> tuple[Any, Any] | None:
    """Without --db: (schema, reads) the models declared in a cached scan of the base, when nothing the change
    touches can alter it (models_schema.ModelReads). Each file that differs must be one the diff names, its
    text at `ref` the one the scan read, and either read the same way (the same markers, the same syntax at
    the same places) or be opened by no step of the reading (no marker in either text, never parsed, never
    looked for: an added or removed file likewise). None: the models are read again."""
    from analyzer.db.models_schema import markers
    from analyzer.pipeline import changed_paths

    records = store.recent_schemas()
    if not records:
        return None
    now = {f.path: (f.abs_path, sums.get(f.path, "")) for f in files if f.language == "python"}
    changed = changed_paths(roots, ref)
    for rec in records:
        differ = sorted(p for p in rec.files.keys() | now.keys() if rec.files.get(p) != now.get(p))
        if not set(differ) <= changed or len(differ) > MAX_CHANGED:
            continue
        try:
            old_texts = base_texts(roots, ref, differ)
            new_texts = {p: _utf8(now[p][0]) if p in now else None for p in differ}
        except Fallback:
            continue
        for p in differ:
            before, after, old, new = rec.files.get(p), now.get(p), old_texts.get(p), new_texts[p]
            if (old is None) != (before is None) or (old is not None and before and sha1(old) != before[1]):
                break  # the cached scan is not of `ref`
            if before and after and before[0] != after[0]:
                break
            where = (after or before or ("", ""))[0]
            if not where.endswith(".py"):
                continue  # the reading takes .py files only
            if old is not None and new is not None and markers(old) == markers(new) and same_syntax(old, new):
                continue
            if not any(m for t in (old, new) if t is not None for m in markers(t)) and not rec.reads.opens(where):
                continue
            break
        else:
            return rec.schema, rec.reads
    return None


def _utf8(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        raise Fallback(f"{path}: not readable as UTF-8") from None


# ----------------------------------------------------------------------------- the pipeline's entry point
def from_base(store: Any, scan_key: str, roots: Sequence[str], ref: str, files: Sequence[SourceFile],
              sums: dict[str, str], config: Config, timings: dict[str, float] | None = None
              ) -> tuple[ScanResult, ScanResult | None, Any]:
    """The Python result of the changed tree made from a cached scan of the base and the changed files; the
    TypeScript result too when no TypeScript file changed (else None: the caller replays it from the stored
    entry, returned third, with the same seeds). `Fallback` when that cannot be exact."""
    from analyzer.pipeline import changed_paths
    from analyzer.python.parsed import ParseFailure, read_text
    from analyzer.sources import Limits

    t0 = time.perf_counter()
    changed = changed_paths(roots, ref)
    found = store.base_entry(scan_key, files, sums, changed)
    if found is None:
        raise Fallback("no cached scan of the base with its facts")
    entry, read_snapshot, differ = found
    snap: Any = _LazySnapshot(read_snapshot)
    parsed = entry.trace.get("parsed")
    if parsed is None:
        raise Fallback("the cached scan did not keep which files it parsed")
    langs = {path: lang for path, lang, _abs, _digest in entry.files}
    langs.update({f.path: f.language for f in files})
    py = sorted(p for p in differ if langs.get(p) in ("python", "sql"))
    if any(not p.endswith(".py") for p in py):
        raise Fallback("a .sql file changed")
    if len(py) > MAX_CHANGED:
        raise Fallback(f"{len(py)} Python files changed")
    words = entry.trace.get("words")
    if words is None:
        raise Fallback("the cached scan did not keep its prefilter words")
    t0 = _tick(timings, "find base", t0)
    old_texts = base_texts(roots, ref, py)
    digests = {path: digest for path, _lang, _abs, digest in entry.files}
    for p in py:
        text = old_texts.get(p)
        if (text is None) != (p not in digests) or (text is not None and sha1(text) != digests[p]):
            raise Fallback(f"{p}: the cached scan is not of {ref}")
    by_path = {f.path: f for f in files}
    limits = Limits.of(config)
    new_texts: dict[str, str | None] = {}
    for p in py:
        if p not in by_path:
            new_texts[p] = None
            continue
        try:
            new_texts[p] = read_text(by_path[p].abs_path, limits)
        except ParseFailure as exc:
            raise Fallback(f"{p}: {exc}") from None
    from analyzer.cache import read_by_rules

    kept: set[str] = set()  # read by a rule, but the same syntax at the same places: what it found stands
    for p in py:  # a file the base did not parse, but a rule read it (or may now): no telling from its facts
        why = "" if p in parsed else read_by_rules(entry.trace, entry.py.findings, p, [old_texts[p], new_texts[p]])
        if why and not same_syntax(old_texts[p], new_texts[p]):
            raise Fallback(why)
        if why:
            kept.add(p)
    _tick(timings, "read texts", t0)
    got, outcomes, remap = check(snap, files, old_texts, new_texts, words, config, timings, parsed=parsed)
    for p in kept:
        outcomes.pop(p, None)  # the base's outcome and findings of the file stay
    py_files = [f for f in files if f.language in ("python", "sql")]
    result = merge(entry.py, got, outcomes, py_files, remap)
    ts_changed = any(langs.get(p) == "typescript" for p in differ)
    return result, None if ts_changed else entry.ts, entry
