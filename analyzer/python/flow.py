"""Data flow: which names, parameters and return values hold the key, iterated to a fixed point.

A value is a key when it comes from a key attribute (`doc.id` where `doc` is a ContentItem,
`row.content_id`), when it is compared with or passed to a key sink (`session.get(ContentItem, x)`,
`ContentItem.id == x`, `.in_(xs)`), or when it is passed to a parameter already known to hold one.
Every learned fact keeps its evidence ("`doc_key` <- `item.id` (ContentItem.id) in app/x.py:31").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

import libcst as cst

from analyzer import workers
from analyzer.python.facts import (
    URL_HOLE,
    callee_name,
    foreign_entity,
    kwarg,
    positional,
    string_value,
    template_regex,
    template_tails,
)
from analyzer.python.keys import GENERIC_PK_NAMES, KeyModel
from analyzer.python.parsed import FuncInfo, ParsedFile, module_name
from analyzer.python.walk import find

Ev = tuple[str, str]  # (evidence, target "table.column")
_SelfAssign = tuple[FuncInfo, "cst.Assign | cst.AnnAssign"]  # a method and its `self.<attr> = ...` statement
Slots = tuple["Ev | None", ...]  # per column of a row (or element of a tuple): why it holds the key

#: modules whose `cast(T, value)` gives `value` back (a type checker's cast, not SQL's CAST)
_TYPING = ("typing", "typing_extensions")
#: calls whose result holds the key when their input does (query building, result access)
_PASS = {"select", "where", "filter", "filter_by", "order_by", "limit", "offset", "distinct", "group_by",
         "scalar", "scalars", "execute", "all", "first", "one", "one_or_none", "scalar_one",
         "scalar_one_or_none", "unique", "join", "outerjoin", "strip", "lower", "query"}
#: calls that keep the columns of a result row in place (`select(a, b).where(...)`, `.all()`, `execute(q)`)
_ROW_PASS = {"where", "filter", "filter_by", "order_by", "limit", "offset", "distinct", "group_by", "having",
             "join", "outerjoin", "select_from", "all", "fetchall", "fetchmany", "first", "one", "one_or_none",
             "fetchone", "unique", "tuples", "execute", "list", "sorted", "tuple", "reversed"}
#: data-access methods that take a value and the name of the column to match it with (`repo.get(v, "owner_id")`)
_LOOKUP = re.compile(r"(get|find|fetch|lookup|load|read|by|filter|select|delete|remove|exists|count|one|first)"
                     r"(_|$|[A-Z])")
#: methods that put a value into a collection (`ids.append(item.id)`, `seen.add(ref)`)
_COLLECT = {"append", "add", "appendleft", "insert", "extend"}
#: classmethods that build a record (`TokenPayload.model_validate(payload)`)
_RECORD_CTORS = {"model_validate", "model_validate_json", "parse_obj", "parse_raw", "from_orm", "model_construct",
                 "construct"}
#: annotation names that say nothing about the class of a value (`rows: Sequence`, `items: list`)
_GENERIC_ANN = {"list", "List", "Sequence", "Iterable", "Iterator", "Collection", "tuple", "Tuple", "set", "Set",
                "Any", "object", "Optional", "typing", "abc", "collections"}
#: annotation names of values that may be the key (a parameter `ref: Item | int` is not only an object)
_SCALAR_ANN = {"int", "str", "UUID", "uuid", "bytes"}
#: the expressions key_of looks into besides names, attributes, subscripts, calls and awaits (exact types)
_COMPOSITES = frozenset({cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp, cst.List, cst.Tuple, cst.Set,
                         cst.IfExp, cst.BooleanOperation})
#: calls whose arguments may be a SQL text and its binds (`session.execute(text(...), {"vid": vid})`)
_SQL_CALLS = {"execute", "scalar", "scalars", "exec_driver_sql"}
_BUILTIN_CALLS = {"int", "str", "float", "list", "dict", "set", "tuple", "len", "print", "sorted", "max", "min",
                  "isinstance", "getattr", "setattr", "repr", "format", "range", "enumerate", "zip", "map",
                  "filter", "any", "all", "sum", "abs", "hash", "bool", "type", "id", "UUID", "uuid4"}
#: request mappings a key can be read from by name (`request.headers["X-Ref"]`, `.cookies.get("ref")`)
REQUEST_MAPS = {"headers", "cookies", "query_params", "path_params"}
TASK_CALLS = {"delay", "apply_async", "s", "si", "signature", "send_task"}


_COMMON_METHODS = {"get", "list", "add", "delete", "update", "create", "filter", "all", "first", "execute",
                   "commit", "scalar", "scalars", "refresh", "query", "append", "extend", "items", "values", "keys",
                   "copy", "format", "join", "split", "strip", "replace", "lower", "upper", "send", "run", "save",
                   "count", "remove", "pop", "set", "close", "open", "read", "write", "load", "dump", "dumps",
                   "loads", "encode", "decode", "search", "match", "sub", "sort", "index", "find"}


#: the memos `Registry.add` replaced in a one-shot process (`workers.ONE_SHOT`), never freed
_RETIRED: list[_Memo] = []


class _Memo:
    """Answers the registry computes from its tables, dropped when a file is added."""

    def __init__(self) -> None:
        self.methods: dict[str, list[str]] = {}  # method_ids
        self.attr_values: dict[tuple[str, str], set[str]] = {}  # class_attr_values
        self.subclasses: dict[str, list[str]] | None = None  # class -> its direct subclasses, in class_bases order
        #: resolve: (id of the callee expression, id of the caller, receiver class) -> (the expression, answer)
        self.resolved: dict[tuple[int, int, str | None], tuple[cst.BaseExpression, FuncInfo | None]] = {}
        #: reexported_instance: qualified name as written -> the instance it reaches (None: none, or several)
        self.reexports: dict[str, str | None] = {}
        self.instance_tails: dict[str, list[str]] | None = None  # instance name -> its qualified names
        self.class_bound: dict[str, set[str]] = {}  # bound_models: class -> names in its bases' subscripts
        #: module_instance: id of the receiver expression -> (the expression, its class)
        self.module_instances: dict[int, tuple[cst.BaseExpression, str | None]] = {}


class Registry:
    """Every function and class of the scanned code, to resolve calls across files.

    Methods resolve through the receiver's class when it is visible (`self.repo = ContentRepository(db)`,
    `ContentRepository(db).get_many(ids)`, `repo: ContentRepository`), else by a unique, specific name.
    """

    def __init__(self) -> None:
        self.by_id: dict[str, tuple[ParsedFile, FuncInfo]] = {}
        self.by_name: dict[str, list[str]] = {}
        self._by_suffix: dict[str, str | None] = {}  # `q` -> the first func id ending with `.q` (cleared by add)
        self.methods: dict[tuple[str, str], str] = {}  # (class, method) -> func id
        self.classes: set[str] = set()
        self.self_attrs: dict[tuple[str, str], str] = {}  # (class, attribute) -> class of its value
        #: module-level annotation aliases (`ItemDep = Annotated[Item, Depends(get_item)]`) -> their value
        self.aliases: dict[str, cst.BaseExpression] = {}
        #: module-level instances (`settings = Settings()`, `settings = get_settings()`) by qualified name ->
        #: the callee that made them
        self.instances: dict[str, str] = {}
        #: factory_boy factories (`class Meta: model = Item`) -> the class they build
        self.factories: dict[str, str] = {}
        #: class -> the names of its bases; (class, attribute) -> names a class body assigns it (`model = Booking`
        #: of a `Repository[Booking]` subclass): what `self.model` may be in the generic base's methods
        self.class_bases: dict[str, set[str]] = {}
        self.class_values: dict[tuple[str, str], set[str]] = {}
        #: class -> its bases' qualified names (`app.crud.base.CRUDBase`): where an unparsed base is defined
        self.class_base_qnames: dict[str, set[str]] = {}
        #: what binds a generic base to a model: class -> the names inside its bases' subscripts (`CRUDBase[Item,
        #: ItemCreate]`), module-level instance -> the names passed to its constructor (`item = CRUDItem(Item)`)
        self.class_base_args: dict[str, set[str]] = {}
        self.instance_args: dict[str, set[str]] = {}
        #: type variables: module-level `T = TypeVar("T")` names of any scanned file, and per class the type
        #: parameters it declares in PEP 695 syntax (`class RepositoryBase[M: Model]`)
        self.type_vars: set[str] = set()
        self.class_tparams: dict[str, set[str]] = {}
        self.tparam_names: set[str] = set()  # every name above
        #: how many times each name is defined indented (a method, or a nested function) in every Python text of
        #: the tree, parsed or not (`method_definitions`); empty: only the parsed files are known
        self.defined: dict[str, int] = {}
        self._memo = _Memo()
        #: the keys of the tables above that `add` made or changed since the last look (reanalysis.Tracker.
        #: note_registry: their names make stale the functions naming them)
        self.changed: set[object] = set()

    def __getstate__(self) -> dict[str, object]:
        return {**vars(self), "_memo": _Memo()}  # (its answers hold syntax trees; diff mode's snapshot pickles this)

    def _grow(self, table: dict[Any, set[str]], key: object, values: Iterable[str]) -> None:
        """`table.setdefault(key, set()).update(values)`, the key noted when it is new or its set grew."""
        got = table.get(key)
        if got is None:
            got = table[key] = set()
            self.changed.add(key)
        n = len(got)
        got.update(values)
        if len(got) != n:
            self.changed.add(key)

    def _put(self, table: dict[Any, Any], key: object, value: object) -> None:
        """`table.setdefault(key, value)`, the key noted when it is new."""
        if key not in table:
            table[key] = value
            self.changed.add(key)

    def _mark(self, names: set[str], *values: str) -> None:
        for v in values:
            if v not in names:
                names.add(v)
                self.changed.add(v)

    def add(self, pf: ParsedFile) -> None:
        self._by_suffix.clear()
        if workers.ONE_SHOT and self._memo.resolved:  # (the first file of a round replaces a round's answers: freeing
            _RETIRED.append(self._memo)  # them one by one cost 0.08 s of polar's critical path; the process ends soon)
        self._memo = _Memo()
        for entry in pf.of(cst.Assign):  # T = TypeVar("T", bound=Model) (before the classes that use it)
            node = entry.node
            assert isinstance(node, cst.Assign)
            if entry.func is None and entry.cls is None and len(node.targets) == 1 \
                    and isinstance(node.targets[0].target, cst.Name) and isinstance(node.value, cst.Call) \
                    and callee_name(node.value) in ("TypeVar", "ParamSpec", "TypeVarTuple"):
                self._mark(self.type_vars, node.targets[0].target.value)
                self._mark(self.tparam_names, node.targets[0].target.value)
        for cls in pf.classes:
            self._mark(self.classes, cls.name.value)
            tparams = _type_params(cls.type_parameters)  # (Generic[T]'s T is a module-level TypeVar)
            if tparams:
                self._grow(self.class_tparams, cls.name.value, tparams)
                self._mark(self.tparam_names, *tparams)
            self._grow(self.class_bases, cls.name.value, (
                v.value if isinstance(v, cst.Name) else v.attr.value
                for b in cls.bases for v in [b.value.value if isinstance(b.value, cst.Subscript) else b.value]
                if isinstance(v, (cst.Name, cst.Attribute))))
            self._grow(self.class_base_args, cls.name.value, (
                n for b in cls.bases if isinstance(b.value, cst.Subscript) for el in b.value.slice for n in _names(el)))
            self._grow(self.class_base_qnames, cls.name.value, (
                q for b in cls.bases for q in pf.qnames(b.value.value if isinstance(b.value, cst.Subscript) else b.value)))
            for stmt in cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ():
                if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Assign) \
                        and len(stmt.body[0].targets) == 1 and isinstance(stmt.body[0].targets[0].target, cst.Name) \
                        and isinstance(stmt.body[0].value, cst.Name):
                    self._grow(self.class_values, (cls.name.value, stmt.body[0].targets[0].target.value),
                               (stmt.body[0].value.value,))
            model = _meta_model(cls)
            if model:
                self._put(self.factories, cls.name.value, model)
        for entry in pf.of(cst.Assign):
            node = entry.node
            assert isinstance(node, cst.Assign)
            if entry.func is None and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name) \
                    and isinstance(node.value, cst.Subscript) and isinstance(node.value.value, cst.Name) \
                    and node.value.value.value == "Annotated":
                self._put(self.aliases, node.targets[0].target.value, node.value)
            if entry.func is None and entry.cls is None and len(node.targets) == 1 \
                    and isinstance(node.targets[0].target, cst.Name) and isinstance(node.value, cst.Call) \
                    and isinstance(node.value.func, cst.Name):
                self._put(self.instances, f"{pf.modname}.{node.targets[0].target.value}", node.value.func.value)
                self._put(self.instance_args, f"{pf.modname}.{node.targets[0].target.value}", {
                    a.value.value for a in node.value.args if isinstance(a.value, cst.Name)})
        for fi in pf.functions:
            if fi.func_id not in self.by_id:
                self.by_id[fi.func_id] = (pf, fi)
                self.by_name.setdefault(fi.name, []).append(fi.func_id)
                self.changed.update((fi.func_id, fi.name))
                if fi.cls and self.methods.get((fi.cls, fi.name)) != fi.func_id:
                    self.methods[(fi.cls, fi.name)] = fi.func_id
                    self.changed.add((fi.cls, fi.name))
        for fi in pf.functions:
            if fi.cls and fi.name == "__init__":
                annotated = {p.name.value: p.annotation.annotation for p in fi.params if p.annotation is not None}
                for entry in pf.of(cst.Assign):
                    node = entry.node
                    assert isinstance(node, cst.Assign)
                    if entry.func is not fi or len(node.targets) != 1:
                        continue
                    t = node.targets[0].target
                    if not (isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) and t.value.value == "self"):
                        continue
                    v = node.value
                    value = v.func.value if isinstance(v, cst.Call) and isinstance(v.func, cst.Name) else None
                    if value is None and isinstance(v, cst.Name) and isinstance(annotated.get(v.value), cst.Name):
                        ann = annotated[v.value]
                        assert isinstance(ann, cst.Name)
                        value = ann.value
                    if value is not None and self.self_attrs.get((fi.cls, t.attr.value)) != value:
                        self.self_attrs[(fi.cls, t.attr.value)] = value
                        self.changed.add((fi.cls, t.attr.value))

    def inherited_method(self, cls: str, name: str) -> str | None:
        """The method `name` of `cls` or, when its body does not define it, of its bases (breadth first):
        `BookingRepository(session).list_by_ids(ids)` runs `Repository.list_by_ids`."""
        todo, seen = [cls], set[str]()
        while todo and len(seen) < 50:
            c = todo.pop(0)
            if c in seen:
                continue
            seen.add(c)
            if (c, name) in self.methods:
                return self.methods[(c, name)]
            todo += sorted(self.class_bases.get(c, ()))
        return None

    def unparsed_bases(self, cls: str) -> set[str]:
        """Qualified names of the bases of `cls` (direct or not) that no parsed file defines: `CRUDItem(CRUDBase[Item,
        ...])` whose `remove` is CRUDBase's, defined in a file no word admitted."""
        out: set[str] = set()
        todo, seen = [cls], set[str]()
        while todo and len(seen) < 50:
            c = todo.pop()
            if c in seen:
                continue
            seen.add(c)
            for q in self.class_base_qnames.get(c, ()):
                tail = q.rsplit(".", 1)[-1]
                if tail in self.classes:
                    todo.append(tail)
                else:
                    out.add(q)
        return out

    def generic_param(self, fn: FuncInfo, param: str) -> bool:
        """Is `param` of `fn` typed by a type variable (`object: M` of a generic `RepositoryBase[M]`, `items:
        list[T]`, `def first[T](xs: Sequence[T])`)? Each call binds it anew: what one caller passes says nothing of
        what another passes."""
        p = fn.param(param)
        if p is None or p.annotation is None:
            return False
        return bool(self.tparams_of(fn) & set(_names(p.annotation.annotation)))

    def tparams_of(self, fn: FuncInfo) -> set[str]:
        """The type variables `fn`'s annotations may name: its own `[T]`, its class's (and bases'), module-level
        TypeVars (a name that is also a class is a class)."""
        out = _type_params(fn.node.type_parameters) | self.type_vars
        todo, seen = [fn.cls] if fn.cls else [], set[str]()
        while todo and len(seen) < 20:
            c = todo.pop()
            if c in seen:
                continue
            seen.add(c)
            out |= self.class_tparams.get(c, set())
            todo += self.class_bases.get(c, ())
        return out - self.classes

    def class_attr_values(self, cls: str, attr: str) -> set[str]:
        """What a class attribute is set to in `cls`'s body or in the body of a subclass (direct or not): the
        models a generic base's `self.model` stands for."""
        got = self._memo.attr_values.get((cls, attr))
        if got is None:
            subclasses = self._memo.subclasses
            if subclasses is None:  # (inverted once: scanning every class's bases per member cost 0.5 ms a call)
                subclasses = self._memo.subclasses = {}
                for child, bases in self.class_bases.items():
                    for base in bases:
                        subclasses.setdefault(base, []).append(child)
            family, todo = {cls}, [cls]
            while todo and len(family) < 200:
                parent = todo.pop()
                for child in subclasses.get(parent, ()):
                    if child not in family:
                        family.add(child)
                        todo.append(child)
            got = self._memo.attr_values[(cls, attr)] = {v for c in family for v in self.class_values.get((c, attr), ())}
        return set(got)

    def receiver_class(self, fi: FuncInfo | None, node: cst.BaseExpression) -> str | None:
        if type(node) is cst.Name:  # (exact types: see Flow.key_of)
            if node.value == "self" and fi is not None and fi.cls:
                return fi.cls
            if node.value in self.classes:
                return node.value
            return fi.objects.get(node.value) if fi is not None else None
        if type(node) is cst.Call:
            if isinstance(node.func, cst.Name) and node.func.value in self.classes:
                return node.func.value
            if isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Name) \
                    and node.func.value.value in self.classes and node.func.attr.value in _RECORD_CTORS:
                return node.func.value.value
            return None
        if type(node) is cst.Attribute and isinstance(node.value, cst.Name) and node.value.value == "self" \
                and fi is not None and fi.cls:
            return self.self_attrs.get((fi.cls, node.attr.value))
        return None

    def maker_of(self, pf: ParsedFile, node: cst.BaseExpression) -> str | None:
        """The name of the class a module-level instance `node` names was made by (`items_schema =
        ItemSchema(many=True)`), parsed or not."""
        for q in pf.qnames(node):
            for cand in (q, f"{pf.modname}.{q}"):
                maker = self.instances.get(cand)
                if maker is not None:
                    return maker
        return None

    def instance_of(self, pf: ParsedFile, node: cst.BaseExpression) -> str | None:
        """The class of a module-level instance `node` names (`settings` imported from `app.config`)."""
        for q in pf.qnames(node):
            for cand in (q, f"{pf.modname}.{q}"):
                maker = self.instances.get(cand)
                if maker is None:
                    continue
                if maker in self.classes:
                    return maker
                for fid in self.by_name.get(maker, ()):  # settings = get_settings(): its return annotation
                    ret = self.by_id[fid][1].node.returns
                    if ret is not None:
                        names = [n for n in _names(ret.annotation) if n in self.classes]
                        if names:
                            return names[0]
        return None

    def owner_class(self, pf: ParsedFile, fi: FuncInfo | None, node: cst.BaseExpression) -> str | None:
        """The scanned class of a method call's receiver: `receiver_class`, else the module-level instance it names."""
        cls = self.receiver_class(fi, node)
        if cls is None and _instance_receiver(node):
            cls = self.module_instance(pf, node)
        return cls

    def module_instance(self, pf: ParsedFile, node: cst.BaseExpression) -> str | None:
        """The scanned class of the module-level instance a receiver names: imported (`from app.services import
        users as user_service`), or reached through a package that re-exports it (`crud.item` where
        `app/crud/__init__.py` has `from .crud_item import item` and `crud_item.py` has `item = CRUDItem(Item)`)."""
        hit = self._memo.module_instances.get(id(node))
        if hit is not None and hit[0] is node:
            return hit[1]
        found = self.instance_of(pf, node)
        if found is None:
            inst = self.reexported_instance(pf, node)
            found = self.instances[inst] if inst is not None else None
        self._memo.module_instances[id(node)] = (node, found)
        return found

    def reexported_instance(self, pf: ParsedFile, node: cst.BaseExpression) -> str | None:
        """The qualified name of the one module-level instance of a scanned class that `node` reaches through a
        package re-exporting it (`crud.item`: `app.crud.crud_item.item`), or None."""
        memo = self._memo
        if memo.instance_tails is None:  # (inverted once per file set: scanning every instance per call cost a
            memo.instance_tails = {}     # tenth of a cold polar scan)
            for inst in self.instances:
                memo.instance_tails.setdefault(inst.rsplit(".", 1)[-1], []).append(inst)
        for q in pf.qnames(node):
            if q in memo.reexports:
                got = memo.reexports[q]
            else:
                package, _, name = q.rpartition(".")
                found = [inst for inst in memo.instance_tails.get(name, ()) if f".{package}." in f".{inst}"] \
                    if package and not q.startswith("builtins.") else []
                got = memo.reexports[q] = found[0] if len(found) == 1 and self.instances[found[0]] in self.classes \
                    else None
            if got is not None:
                return got
        return None

    def bound_models(self, pf: ParsedFile, fi: FuncInfo | None, node: cst.BaseExpression, cls: str) -> set[str]:
        """The names that bind the generic code `cls` inherits to a model, for the receiver `node` of class `cls`:
        its bases' subscripts (`class CRUDItem(CRUDBase[Item, ...])`, up the hierarchy) and, for a module-level
        instance, its constructor's arguments (`item = CRUDItem(Item)`)."""
        got = self._memo.class_bound.get(cls)
        if got is None:
            got = set()
            todo, seen = [cls], set[str]()
            while todo and len(seen) < 50:
                c = todo.pop()
                if c not in seen:
                    seen.add(c)
                    got |= self.class_base_args.get(c, set())
                    todo += self.class_bases.get(c, ())
            self._memo.class_bound[cls] = got
        out = set(got)
        if not (type(node) is cst.Name and fi is not None and node.value in fi.objects):
            for q in pf.qnames(node):
                for cand in (q, f"{pf.modname}.{q}"):
                    out |= self.instance_args.get(cand, set())
            inst = self.reexported_instance(pf, node)
            if inst is not None:
                out |= self.instance_args.get(inst, set())
        return out

    def resolve(self, pf: ParsedFile, func: cst.BaseExpression, fi: FuncInfo | None = None) -> FuncInfo | None:
        """The function a call of `func` runs, or None. Besides the registry's tables (which change only when a
        file is added, see _Memo), only the receiver's class depends on what the flow learned: the answer is
        kept per call site, caller and receiver class."""
        # (`crud.item.remove(db, id=x)`, `user_service.get(...)`: a module-level instance's class)
        cls = self.owner_class(pf, fi, func.value) if type(func) is cst.Attribute else None
        key = (id(func), id(fi), cls)
        hit = self._memo.resolved.get(key)
        if hit is not None and hit[0] is func:
            return hit[1]
        found = self._resolve(pf, func, fi, cls)
        if found is not None and isinstance(func, cst.Name) and fi is not None and fi.param(func.value) is not None \
                and is_fixture(found):
            found = self.fixture_value(found)  # `make_item(...)` in a test: the function the fixture returns
        self._memo.resolved[key] = (func, found)
        return found

    def method_ids(self, name: str) -> list[str]:
        """Func ids of the methods named `name` (diff mode answers from its snapshot, without parsing them)."""
        got = self._memo.methods.get(name)
        if got is None:
            got = self._memo.methods[name] = [i for i in self.by_name.get(name, []) if self.by_id[i][1].cls]
        return list(got)

    def fixture_value(self, fixture: FuncInfo) -> FuncInfo | None:
        """The inner function a factory fixture returns (`def _make(**kw): ...; return _make`), or None."""
        fpf = self.by_id[fixture.func_id][0]
        for r in fpf.returns_of(fixture):
            if isinstance(r.value, cst.Name) and f"{fixture.func_id}.{r.value.value}" in self.by_id:
                return self.by_id[f"{fixture.func_id}.{r.value.value}"][1]
        return None

    def fixture(self, name: str) -> FuncInfo | None:
        """The pytest fixture a test parameter named `name` receives, when one fixture has that name."""
        found = [self.by_id[fid][1] for fid in self.by_name.get(name, ()) if is_fixture(self.by_id[fid][1])]
        return found[0] if len(found) == 1 else None

    def _resolve(self, pf: ParsedFile, func: cst.BaseExpression, fi: FuncInfo | None, cls: str | None) -> FuncInfo | None:
        if isinstance(func, cst.Attribute):
            base = func.value
            if cls is None and type(base) is cst.Attribute and base.attr.value == "query" \
                    and type(base.value) is cst.Name:
                # `Person.query.get(member_id, project)`: Flask-SQLAlchemy's query property is an instance of the
                # model's own `query_class = PersonQuery` when it sets one
                for q in sorted(self.class_values.get((base.value.value, "query_class"), ())):
                    fid = self.inherited_method(q, func.attr.value)
                    if fid:
                        return self.by_id[fid][1]
            if cls is not None:
                local = f"{pf.modname}.{cls}.{func.attr.value}"  # a class of this module (each test's `Routes`)
                fid = local if local in self.by_id else self.inherited_method(cls, func.attr.value)
                return self.by_id[fid][1] if fid else None
        for q in pf.qnames(func):
            if q.startswith("builtins."):
                return None
            for cand in (q, f"{pf.modname}.{q}"):
                if cand in self.by_id:
                    return self.by_id[cand][1]
                if f"{cand}.__init__" in self.by_id:  # a class called: its __init__ takes the arguments (NotFound(m, id))
                    return self.by_id[f"{cand}.__init__"][1]
            found = self._by_suffix.get(q, "")
            if found == "":  # the first function whose id ends with `.q`, looked up once per name and file set
                tail = q.rsplit(".", 1)[-1]
                found = self._by_suffix[q] = next((f for f in self.by_name.get(tail, ()) if f.endswith("." + q)), None)
            if found is not None:
                return self.by_id[found][1]
        if isinstance(func, cst.Attribute):
            name = func.attr.value
            if name in _COMMON_METHODS or len(name) <= 3:  # before the list: `get` has thousands of definitions
                return None
            ids = self.method_ids(name)
            # (one parsed definition, and no file the prefilter left out defines another: `repos.shelves.get_by_
            # slug(x)` is not the content repository's `get_by_slug` because the shelf repository went unread)
            if len(ids) == 1 and self.defined.get(name, 1) <= 1 and not _other_module(pf, func.value, ids[0]):
                return self.by_id[ids[0]][1]
        return None


def _instance_receiver(node: cst.BaseExpression) -> bool:
    """May `node` name a module-level instance (`user_service`, `crud.item`)? Not `self.x` (Registry.self_attrs)."""
    if type(node) is cst.Name:
        return node.value not in ("self", "cls")
    return type(node) is cst.Attribute and _instance_receiver(node.value)


def method_definitions(texts: Iterable[str]) -> dict[str, int]:
    """How many times each name follows an indented `def ` (or `async def `) in `texts`: the methods (and nested
    functions) of every file, read from the text alone (polar's 1,971 files: ~45 ms), for Registry.defined."""
    out: dict[str, int] = {}
    for text in texts:
        i = text.find("def ")
        while i != -1:
            start = text.rfind("\n", 0, i) + 1
            head = text[start:i]
            if head and (head.isspace() or head.strip() == "async"):
                m = _IDENT.match(text, i + 4)
                if m is not None:
                    out[m.group()] = out.get(m.group(), 0) + 1
            i = text.find("def ", i + 4)
    return out


_IDENT = re.compile(r"\w+")


class Flow:
    #: set by the scan under IMPACT_THOROUGH: every function's local flow walks its body twice
    thorough = False

    def __init__(self, model: KeyModel, registry: Registry) -> None:
        self.model = model
        self.registry = registry
        #: callee func id -> its callers seen so far, to re-run only what a new fact can change
        self.callers: dict[str, dict[int, tuple[ParsedFile, FuncInfo]]] = {}
        #: per function (by identity): local names bound to result rows of several columns (`select(a, b)`)
        #: -> per column, why it holds the key (None: it does not)
        self.slots: dict[int, dict[str, Slots]] = {}
        #: fixtures already checked for building affected objects (by identity) -> how many ORM classes were known
        self._fixtures_seen: dict[int, int] = {}
        #: what rules compute once per scan from the final facts (`task_key_params`)
        self.cache: dict[str, object] = {}
        #: the scan's parsed files by path (the engine's, as they come), for a rule that reads another file's tree
        self.files: dict[str, ParsedFile] = {}
        #: per function (by identity): local names bound to tuples holding affected objects -> class per element
        self.objects: dict[int, dict[str, tuple[str | None, ...]]] = {}
        self._returners: tuple[tuple[int, int], set[str]] = ((-1, -1), set())
        self._returned_tuples: dict[str, list[cst.Tuple]] = {}  # func_id -> the tuples it returns (parsed once)
        self._tuple_returning: dict[int, bool] = {}  # id(FuncInfo) -> does it return a tuple (callers_view)
        #: the own_state of the function `analyze` last analysed, as it ended (not under `thorough`)
        self.last_state: tuple[object, ...] = ()
        #: named_key's answers (function name -> key name), for the key names (the model's dict, and its names)
        self._named_keys: tuple[object, tuple[str, ...], dict[str, str | None]] = (None, (), {})
        #: per (path, class): the file whose statements were read, and `self.<attr>` -> where a method assigns it
        self._self_attrs: dict[tuple[str, str], tuple[ParsedFile, dict[str, list[_SelfAssign]]]] = {}
        self._self_busy: set[tuple[str, str, str]] = set()
        clear_caches()  # walk caches live for one scan

    # ------------------------------------------------------------------ expressions
    def name_ev(self, name: str) -> Ev | None:
        if name in self.model.key_names:
            return f"`{name}` is named like {self.model.key_names[name]}", self._target_by_name(name)
        return None

    def _target_by_name(self, name: str) -> str:
        for table, cols in self.model.impacted.items():
            if name in cols:
                return cols[name].target or self.model.target_of_table(table)
        return self.model.default_target

    def instance_class(self, pf: ParsedFile, fi: FuncInfo | None, expr: cst.CSTNode) -> str | None:
        """The affected ORM class `expr` evaluates to an instance (or a collection) of."""
        model = self.model
        if type(expr) is cst.Name:  # (exact types: see key_of)
            found = fi.instances.get(expr.value) if fi else None
            if found is None and expr.value in pf.imports:
                return self._login_user(pf, expr)
            return found
        if type(expr) is cst.Await:
            return self.instance_class(pf, fi, expr.expression)
        if type(expr) is cst.IfExp:  # db.session.get(User, uid) if uid else None
            return self.instance_class(pf, fi, expr.body) or self.instance_class(pf, fi, expr.orelse)
        if type(expr) is cst.Subscript:
            return self.instance_class(pf, fi, expr.value)
        if type(expr) is cst.Attribute:  # order.customer: the row a relationship of an affected class leads to
            base = expr.value
            if type(base) is cst.Name and base.value == "self" and fi is not None and fi.cls:
                return self._self_attr_class(pf, fi.cls, expr.attr.value)  # self.order: what the methods put there
            if expr.attr.value == "current_user":  # flask_login.current_user
                return self._login_user(pf, expr)
            if type(base) is cst.Name and base.value in pf.imports and expr.attr.value in model.request_globals \
                    and pf.resolves_to(base, "g", packages=("flask",)):
                return model.request_globals[expr.attr.value] or None  # g.user, set by a before_request hook
            owner = self.instance_class(pf, fi, base)
            related = model.orm[owner].relations.get(expr.attr.value) if owner in model.orm else None
            return related if related in model.orm else None
        if type(expr) is cst.Call:
            f = expr.func
            cls = self.orm_ref(pf, f)
            if cls is not None:
                return cls
            callee = self.registry.resolve(pf, f, fi)
            if callee is not None and callee.node.returns is not None:
                cls = self.annotation_class(callee.node.returns.annotation)
                if cls:
                    return cls
            if callee is not None and callee.func_id in model.return_instances:
                return model.return_instances[callee.func_id]
            found = _query_result_class(self, pf, expr)  # Node.query.filter_by(label=label).first()
            if found:
                return found
            # session.get(Model, x), db.query(Model).filter(...).first(), session.scalars(select(Model))
            node: cst.BaseExpression = expr
            while True:
                if isinstance(node, cst.Call):
                    for a in node.args:
                        found = self._orm_in(pf, a.value)
                        if found:
                            return found
                    node = node.func
                elif isinstance(node, cst.Attribute):
                    node = node.value
                else:
                    break
        return None

    def _request_global(self, pf: ParsedFile, fi: FuncInfo, name: str, value: cst.BaseExpression) -> None:
        """`g.user = db.session.get(User, user_id)` (a before_request hook): `g.user` is a User row wherever the
        request goes. Two classes stored under one name make it no class."""
        cls = self.instance_class(pf, fi, value)
        if cls is None:
            return
        known = self.model.request_globals.get(name)
        if known is None or (known and known != cls):
            self.model.request_globals[name] = cls if known is None else ""
            self.model.bump()

    def _login_user(self, pf: ParsedFile, expr: cst.BaseExpression) -> str | None:
        """Flask-Login's `current_user` (imported from flask_login): the logged-in row of the one affected class
        that mixes in `UserMixin` (`class User(UserMixin, db.Model)`); None when it is not one (another table's
        key is changing) or several classes do."""
        if not pf.resolves_to(expr, "current_user", packages=("flask_login",)):
            return None
        users = [name for name, o in self.model.orm.items()
                 if any(b.startswith("flask_login.") and b.endswith(".UserMixin") for b in o.bases)]
        return users[0] if len(users) == 1 else None

    def _self_attr_class(self, pf: ParsedFile, cls: str, attr: str) -> str | None:
        """The affected class the methods of `cls` store in `self.<attr>`: `self.order = order` of a parameter
        `order: Order`, `self.order: Order = ...`, `self.order = session.get(Order, order_id)`."""
        got = self._self_attrs.get((pf.path, cls))
        if got is None or got[0] is not pf:  # the file's `self.<attr> = ...` statements, read once per file
            table: dict[str, list[tuple[FuncInfo, cst.Assign | cst.AnnAssign]]] = {}
            for entry in (*pf.of(cst.AnnAssign), *pf.of(cst.Assign)):
                f, node = entry.func, entry.node
                if f is None or f.cls != cls:
                    continue
                assert isinstance(node, (cst.Assign, cst.AnnAssign))
                for t in ([node.target] if isinstance(node, cst.AnnAssign) else [t.target for t in node.targets]):
                    if type(t) is cst.Attribute and type(t.value) is cst.Name and t.value.value == "self":
                        table.setdefault(t.attr.value, []).append((f, node))
            got = self._self_attrs[(pf.path, cls)] = (pf, table)
        key = (pf.path, cls, attr)
        if key in self._self_busy:  # self.a = self.b; self.b = self.a
            return None
        self._self_busy.add(key)
        try:
            for f, node in got[1].get(attr, ()):
                if isinstance(node, cst.AnnAssign):
                    found = self.annotation_class(node.annotation.annotation)
                    if found:
                        return found
                if node.value is not None:
                    found = self.instance_class(pf, f, node.value)
                    if found:
                        return found
            return None
        finally:
            self._self_busy.discard(key)

    def _orm_in(self, pf: ParsedFile, expr: cst.BaseExpression) -> str | None:
        found = self.orm_ref(pf, expr)
        if found is not None:
            return found
        if isinstance(expr, cst.Call):
            f = expr.func
            if isinstance(f, cst.Name) and f.value in ("select", "aliased") or \
                    isinstance(f, cst.Attribute) and f.attr.value in ("query", "select"):
                for a in expr.args:
                    found = self._orm_in(pf, a.value)
                    if found:
                        return found
            return self._orm_in(pf, f.value) if isinstance(f, cst.Attribute) else None
        return None

    def orm_ref(self, pf: ParsedFile, expr: cst.BaseExpression) -> str | None:
        """The mapped class of the closure `expr` names: `User`, or `models.User` through a module the file
        imports (`from app.db import models`, `import app.db.models as models`) that is the class's own.
        (`schemas.User`, a record of the same name in another module, is not it.)"""
        kind = type(expr)
        if kind is cst.Name:
            return expr.value if expr.value in self.model.orm else None  # type: ignore[attr-defined]
        if kind is not cst.Attribute:
            return None
        name = expr.attr.value  # type: ignore[attr-defined]
        orm = self.model.orm.get(name)
        base = expr.value  # type: ignore[attr-defined]
        if orm is None or type(base) is not cst.Name:
            return None
        imported = pf.imports.get(base.value)
        if imported is None:
            return None
        mod = module_name(orm.path)
        return name if imported == mod or mod.endswith("." + imported) or imported.endswith("." + mod) else None

    def annotation_class(self, ann: cst.BaseExpression, depth: int = 0) -> str | None:
        for node in _names(ann):
            if node in self.model.orm:
                return node
            alias = self.registry.aliases.get(node)
            if alias is not None and depth < 3:
                # Annotated[Item, Depends(...)]: only the annotated type, not the metadata
                assert isinstance(alias, cst.Subscript)
                first = alias.slice[0].slice if alias.slice else None
                if isinstance(first, cst.Index):
                    found = self.annotation_class(first.value, depth + 1)
                    if found:
                        return found
        return None

    def key_of(self, pf: ParsedFile, fi: FuncInfo | None, expr: cst.CSTNode) -> Ev | None:
        """Why `expr` holds the key, or None."""
        # (`type(expr) is` rather than isinstance: the node classes asked about have no subclasses, and a false
        # isinstance of a LibCST class is a slow path; this runs half a million times on a large tree)
        model = self.model
        if type(expr) is cst.Name:
            if fi is not None and expr.value in fi.env:
                return fi.env[expr.value], self._target_by_name(expr.value)
            return self.name_ev(expr.value)
        if type(expr) is cst.Attribute:
            attr = expr.attr.value
            base = expr.value
            cls = self.orm_ref(pf, base)
            if cls is not None:
                orm = model.orm[cls]
                if attr in orm.key_attrs:
                    ic = orm.key_attrs[attr]
                    return f"{cls}.{attr} maps {ic.qualified}", ic.target or model.default_target
            if isinstance(base, cst.Attribute) and isinstance(base.value, cst.Name) \
                    and base.value.value in ("self", "cls") and fi is not None and fi.cls:
                # `self.model.id` in a generic repository whose subclass sets `model = Booking`
                for name in sorted(self.registry.class_attr_values(fi.cls, base.attr.value)):
                    col = model.orm[name].key_attrs.get(attr) if name in model.orm else None
                    if col is not None:
                        return (f"`{pf.code(expr)}`: {fi.cls}.{base.attr.value} is {name} in a subclass, "
                                f"{name}.{attr} maps {col.qualified}", col.target or model.default_target)
            cls = self.instance_class(pf, fi, base)
            if cls:
                found = model.orm[cls].key_attrs.get(attr)
                if found is not None:
                    return (f"`{pf.code(expr)}` ({cls}.{attr}) in {pf.where(expr)}",
                            found.target or model.default_target)
            if attr.lower() not in GENERIC_PK_NAMES:
                ev = self.name_ev(attr)
                if ev:
                    return f"`{pf.code(expr)}`: {ev[0]}", ev[1]
            if isinstance(base, cst.Name) and fi is not None and base.value in fi.objects:
                rec = fi.objects[base.value]  # current_user: PrivateUser, a schema of the key's table: .id is the key
                if attr in model.schema_key_fields(rec):  # (not fields learned on the way: a chain, not a schema)
                    why = model.schemas[rec]
                    return f"`{pf.code(expr)}` ({rec}.{attr}: {_short(why, 120)}) in {pf.where(expr)}", \
                        self._target_by_name(attr) if attr.lower() not in GENERIC_PK_NAMES else model.default_target
            return None
        if type(expr) is cst.Subscript:
            if len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
                index = expr.slice[0].slice.value
                key = string_value(index)
                if key is not None:
                    return self.name_ev(key) or self._request_string(expr.value, key)
                position = _int_value(index)
                if position is not None:  # row[0] of select(X.id, ...), ids[0] of a list of keys
                    slots = self.slots_of(pf, fi, expr.value)
                    if slots is not None:
                        return slots[position] if -len(slots) <= position < len(slots) else None
                    return self.key_of(pf, fi, expr.value)
            if len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Slice):
                return self.key_of(pf, fi, expr.value)  # ids[:limit]: some of the keys
            return None
        if type(expr) is cst.Call:
            f = expr.func
            name = callee_name(expr)
            if name in ("int", "str", "UUID", "list", "set", "sorted", "tuple", "max", "min", "abs") \
                    and isinstance(f, cst.Name):
                args = positional(expr)
                return self.key_of(pf, fi, args[0].value) if args else None
            if name in ("max", "min") and isinstance(f, cst.Attribute):  # func.max(Model.id)
                args = positional(expr)
                return self.key_of(pf, fi, args[0].value) if args else None
            if name == "get" and isinstance(f, cst.Attribute):
                args = positional(expr)
                if args:
                    key = string_value(args[0].value)
                    if key is not None:
                        return self.name_ev(key) or self._request_string(f.value, key)
            if name in _PASS and isinstance(f, cst.Attribute) and name not in ("scalar", "scalars", "execute",
                                                                               "query"):
                return self.key_of(pf, fi, f.value)  # select(X.id).where(...).order_by(...)
            if name in ("scalars", "scalar") and isinstance(f, cst.Attribute) and not expr.args:
                return self.key_of(pf, fi, f.value)  # result.scalars() of `result = session.execute(select(X.id))`
            if name in ("select", "query"):  # select(Trip.vehicle_id, func.count()): any column that is a key
                for a in positional(expr):
                    ev = self.key_of(pf, fi, a.value)
                    if ev:
                        return ev
                return None
            if name in _PASS:
                args = positional(expr)
                return self.key_of(pf, fi, args[0].value) if args else None
            if name == "cast" and len(expr.args) == 2 and pf.resolves_to(f, "cast", packages=_TYPING):
                return self.key_of(pf, fi, expr.args[1].value)  # typing.cast(int, payload["content_id"])
            callee = self.registry.resolve(pf, f, fi)
            if callee is not None and fi is not None:
                self.callers.setdefault(callee.func_id, {})[id(fi)] = (pf, fi)
            if callee is not None and callee.func_id in model.returns:
                fk = model.returns[callee.func_id]
                return f"returned by {callee.qualname}() ({fk.evidence})", fk.target
            if callee is not None and fi is not None:
                bound = self._bound_return(pf, fi, expr, callee)
                if bound is not None:
                    got = self.key_of(pf, fi, bound[1])
                    if got:
                        return f"returned by {callee.qualname}() as its `{bound[0]}` ({got[0]})", got[1]
            return None
        if type(expr) is cst.Await:
            return self.key_of(pf, fi, expr.expression)
        if type(expr) not in _COMPOSITES:
            return None  # (literals, operations, lambdas: one set lookup instead of nine false isinstance)
        if isinstance(expr, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            ev = self._comp_key(pf, fi, expr)
            return ev
        if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
            for el in expr.elements:
                ev = self.key_of(pf, fi, el.value)
                if ev:
                    return ev
            return None
        if isinstance(expr, cst.IfExp):
            return self.key_of(pf, fi, expr.body) or self.key_of(pf, fi, expr.orelse)
        if isinstance(expr, cst.BooleanOperation):
            return self.key_of(pf, fi, expr.left) or self.key_of(pf, fi, expr.right)
        return None

    def _bound_return(self, pf: ParsedFile, fi: FuncInfo, call: cst.Call,
                      callee: FuncInfo) -> tuple[str, cst.BaseExpression] | None:
        """`repo.update(order, ...)` of a generic `update(self, object: M, ...) -> M`: the argument that binds the
        type variable the callee returns, with its parameter's name (None when the return is not a type
        variable a parameter takes)."""
        ret = callee.node.returns
        if ret is None:
            return None
        named = set(_names(ret.annotation))
        if not named & self.registry.tparam_names and callee.node.type_parameters is None:
            return None  # (most calls: no type variable anywhere in the return annotation)
        tparams = self.registry.tparams_of(callee) & named
        if not tparams:
            return None
        pos = callee.positional()
        bound = [(pos[i].name.value, a.value) for i, a in enumerate(positional(call)) if i < len(pos)]
        bound += [(a.keyword.value, a.value) for a in call.args if a.keyword is not None]
        for name, value in bound:
            p = callee.param(name)
            if p is not None and p.annotation is not None and tparams & set(_names(p.annotation.annotation)):
                return name, value
        return None

    def model_object(self, pf: ParsedFile, fi: FuncInfo | None, expr: cst.BaseExpression, depth: int = 0) -> bool:
        """Is `expr` plainly an instance (or a collection) of a mapped class of the schema, affected or not: a
        parameter annotated `order: Order`, a local holding one, `Order(...)`, a generic `repo.create(Order(...))`?
        Such an object is never the key itself (its `.id` is)."""
        orm, other = self.model.orm, self.model.other_orm
        if depth > 4:
            return False
        if isinstance(expr, cst.Await):
            return self.model_object(pf, fi, expr.expression, depth + 1)
        if isinstance(expr, cst.Name):
            if fi is None:
                return False
            p = fi.param(expr.value)
            if p is not None:
                names = set(_names(p.annotation.annotation)) if p.annotation is not None else set()
                return any(n in orm or n in other for n in names) and not names & _SCALAR_ANN
            return expr.value in fi.instances or fi.objects.get(expr.value) in other
        if isinstance(expr, cst.Call):
            f = expr.func
            if isinstance(f, cst.Name) and (f.value in orm or f.value in other):
                return True
            if fi is not None and isinstance(f, cst.Attribute):
                callee = self.registry.resolve(pf, f, fi)
                bound = self._bound_return(pf, fi, expr, callee) if callee is not None else None
                return bound is not None and self.model_object(pf, fi, bound[1], depth + 1)
        return False

    def slots_of(self, pf: ParsedFile, fi: FuncInfo | None, expr: cst.BaseExpression, depth: int = 0) -> Slots | None:
        """Per column, why a row of `expr` holds the key: `select(Trip.vehicle_id, func.count())`, a name bound
        to such a query or its result, a tuple `(row[0], n)`, a comprehension of tuples. None: not rows."""
        if depth > 8:
            return None
        if type(expr) is cst.Name:  # (exact types: see key_of)
            return self.slots.get(id(fi), {}).get(expr.value) if fi is not None else None
        if type(expr) is cst.Await:
            return self.slots_of(pf, fi, expr.expression, depth + 1)
        if type(expr) is cst.Tuple and expr.elements and not any(
                isinstance(e, cst.StarredElement) for e in expr.elements):
            return tuple(self.key_of(pf, fi, e.value) for e in expr.elements)
        if type(expr) in _COMPOSITES and isinstance(expr, (cst.ListComp, cst.SetComp, cst.GeneratorExp)) \
                and fi is not None:  # (the set lookup first: most expressions are none of these)
            target = expr.for_in.target
            if isinstance(expr.elt, cst.Name) and isinstance(target, cst.Name) and expr.elt.value == target.value:
                return self.slots_of(pf, fi, expr.for_in.iter, depth + 1)  # [row for row in rows]
            if not isinstance(expr.elt, cst.Tuple):
                return None  # only a tuple makes new columns
            saved = dict(fi.instances), dict(fi.env), dict(self.slots.get(id(fi), {}))
            self._bind_for(pf, fi, expr.for_in.target, expr.for_in.iter)
            got = self.slots_of(pf, fi, expr.elt, depth + 1)
            fi.instances, fi.env = saved[0], saved[1]
            self.slots[id(fi)] = saved[2]
            return got
        if type(expr) is cst.Call:
            f = expr.func
            name = callee_name(expr)
            args = positional(expr)
            if name in ("select", "query") and args and not (len(args) == 1 and self._orm_in(pf, args[0].value)):
                return tuple(self.key_of(pf, fi, a.value) for a in args)
            if name in _ROW_PASS and isinstance(f, cst.Attribute) and name != "execute":
                return self.slots_of(pf, fi, f.value, depth + 1)
            if name in ("execute", "list", "sorted", "tuple", "reversed") and args:
                return self.slots_of(pf, fi, args[0].value, depth + 1)
            if name not in _BUILTIN_CALLS and fi is not None:  # published, skipped = await bulk_publish(ids)
                callee = self.registry.resolve(pf, f, fi)
                if callee is not None and callee is not fi and callee.func_id in self.registry.by_id:
                    return self._returned_slots(self.registry.by_id[callee.func_id][0], callee)
        return None

    def _returned_slots(self, pf: ParsedFile, fn: FuncInfo) -> Slots | None:
        """Per element, why the tuples a function returns (`return ready, [c for c in ids if c not in ready]`) hold
        the key; None when it returns no tuple."""
        tuples = self._returned_tuples.get(fn.func_id)
        if tuples is None:
            tuples = self._returned_tuples[fn.func_id] = [
                r.value for r in pf.returns_of(fn) if isinstance(r.value, cst.Tuple) and
                not any(isinstance(e, cst.StarredElement) for e in r.value.elements)]
        got: list[Ev | None] = []
        for tup in tuples:
            for i, e in enumerate(tup.elements):
                ev = self.key_of(pf, fn, e.value)
                if i >= len(got):
                    got.append(ev)
                elif got[i] is None:
                    got[i] = ev
        return tuple(got) if any(got) else None

    def object_slots(self, pf: ParsedFile, fi: FuncInfo, expr: cst.BaseExpression) -> tuple[str | None, ...] | None:
        """Per element, the affected ORM class of a tuple a call returns (`-> tuple[AssetKind, Vehicle | Trailer]`,
        `return "vehicle", vehicle`), or of a name bound to one."""
        if type(expr) is cst.Name:  # (exact types: see key_of)
            return self.objects.get(id(fi), {}).get(expr.value)
        if type(expr) is cst.Tuple:
            got = tuple(self.instance_class(pf, fi, e.value) for e in expr.elements)
            return got if any(got) else None
        if type(expr) is not cst.Call or callee_name(expr) not in self._tuple_returners():
            return None
        callee = self.registry.resolve(pf, expr.func, fi)
        return self._tuple_return(callee) if callee is not None else None

    def _tuple_return(self, fn: FuncInfo) -> tuple[str | None, ...] | None:
        if fn.node.returns is None:
            return None
        tup = next((n for n in _walk_subscripts(fn.node.returns.annotation)
                    if isinstance(n.value, cst.Name) and n.value.value in ("tuple", "Tuple")), None)
        if tup is None:
            return None
        got = tuple(self.annotation_class(el.slice.value) if isinstance(el.slice, cst.Index) else None
                    for el in tup.slice)
        return got if any(got) else None

    def _tuple_returners(self) -> set[str]:
        """Names of functions annotated to return a tuple holding an affected object (recomputed when functions
        or classes are added)."""
        stamp = (len(self.registry.by_id), len(self.model.orm))
        if self._returners[0] != stamp:
            names = {fi.name for _pf, fi in self.registry.by_id.values() if fi.node.returns is not None
                     and "uple" in _code_of(fi.node.returns) and self._tuple_return(fi)}
            self._returners = (stamp, names)
        return self._returners[1]

    def _bind_slots(self, pf: ParsedFile, fi: FuncInfo, target: cst.BaseExpression, slots: Slots, where: cst.CSTNode,
                    source: str) -> bool:
        """`for vid, n in rows` / `vid, n = row`: the names at key columns hold the key."""
        if not isinstance(target, (cst.Tuple, cst.List)):
            return False
        changed = False
        for i, el in enumerate(target.elements):
            ev = slots[i] if i < len(slots) else None
            if ev and isinstance(el.value, cst.Name) and el.value.value not in fi.env:
                fi.env[el.value.value] = _chain(el.value.value, f"{source}[{i}]", pf.where(where), ev[0])
                changed = True
        return changed

    def _request_string(self, container: cst.BaseExpression, key: str) -> Ev | None:
        """`request.headers["X-Ref"]` where another function returns the key read from that same header."""
        if key in self.model.key_strings and isinstance(container, cst.Attribute) \
                and container.attr.value in REQUEST_MAPS:
            return f"`{container.attr.value}[{key!r}]`: {self.model.key_strings[key]}", self.model.default_target
        return None

    def _comp_key(self, pf: ParsedFile, fi: FuncInfo | None,
                  comp: cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp) -> Ev | None:
        """A comprehension of keys; a dict comprehension whose values are keys (`{i.title: i.id ...}`; one keyed
        by them is a keyed container, PY054)."""
        if fi is None:
            return None
        saved = dict(fi.instances), dict(fi.env)
        self._bind_for(pf, fi, comp.for_in.target, comp.for_in.iter)
        ev = self.key_of(pf, fi, comp.value if isinstance(comp, cst.DictComp) else comp.elt)
        fi.instances, fi.env = saved[0], saved[1]
        return ev

    def _bind_for(self, pf: ParsedFile, fi: FuncInfo, target: cst.BaseExpression, it: cst.BaseExpression) -> bool:
        if isinstance(it, cst.Call) and callee_name(it) == "enumerate" and isinstance(it.func, cst.Name) \
                and isinstance(target, cst.Tuple) and len(target.elements) == 2 and it.args:
            return self._bind_for(pf, fi, target.elements[1].value, it.args[0].value)  # for i, item in enumerate(xs)
        if isinstance(it, cst.Call) and callee_name(it) == "zip" and isinstance(it.func, cst.Name) \
                and isinstance(target, cst.Tuple):
            changed = False
            for el, arg in zip(target.elements, positional(it), strict=False):
                changed |= self._bind_for(pf, fi, el.value, arg.value)
            return changed
        slots = self.slots_of(pf, fi, it)
        if isinstance(target, (cst.Tuple, cst.List)):
            return self._bind_slots(pf, fi, target, slots, target, _short(pf.code(it), 40)) if slots else False
        if not isinstance(target, cst.Name):
            return False
        changed = False
        if slots and any(slots):
            mine = self.slots.setdefault(id(fi), {})
            if mine.get(target.value) != slots:
                mine[target.value] = slots
                changed = True
        cls = self.instance_class(pf, fi, it)
        if cls and fi.instances.get(target.value) != cls:
            fi.instances[target.value] = cls
            changed = True
        ev = self.key_of(pf, fi, it)
        if ev and target.value not in fi.env:
            fi.env[target.value] = _chain(target.value, pf.code(it), pf.where(target), ev[0])
            changed = True
        return changed

    # ------------------------------------------------------------------ functions
    def named_key(self, fname: str) -> str | None:
        """A function named after the key (`parse_content_id`, `next_content_id`) -> that key name."""
        key_names = self.model.key_names  # (made with the model, never changed after: reanalysis._TRACKED)
        if key_names is not self._named_keys[0]:  # (a tuple of them built and compared each call: 28,000 on polar)
            self._named_keys = (key_names, tuple(key_names), {})
        memo = self._named_keys[2]
        if fname in memo:
            return memo[fname]
        got = memo[fname] = _named_key(fname, self._named_keys[1])
        return got

    def seed_params(self, pf: ParsedFile, fi: FuncInfo) -> None:
        learned = self.model.params.get(fi.func_id, {})
        named = self.named_key(fi.name)
        pos = fi.positional()
        if named and len(pos) == 1 and pos[0].name.value not in fi.env and _scalar(pos[0]):
            fi.env[pos[0].name.value] = f"sole parameter of {fi.qualname}(), named after `{named}`"
        if named and fi.func_id not in self.model.returns and not _named_argument(fi.name, named) and (
                fi.node.returns is None or "int" in pf.code(fi.node.returns.annotation)) and _returns_value(fi.node):
            self.model.learn_return(fi.func_id, f"{fi.qualname}() is named after `{named}`",
                                    self._target_by_name(named))
        for d in fi.decorators:  # @field_validator("content_id") def check(cls, value)
            dec = d.decorator
            if isinstance(dec, cst.Call) and callee_name(dec) in ("field_validator", "validator") and len(pos) >= 1:
                fields = [string_value(a.value) for a in positional(dec)]
                cls_fields = self.model.schema_fields.get(fi.cls or "", {})
                keyed = [f for f in fields if f and (f in self.model.key_names or f in cls_fields
                                                     or f in self.model.schema_key_fields(fi.cls or ""))]
                if keyed and pos[0].name.value not in fi.env:
                    fi.env[pos[0].name.value] = f"validates key field `{fi.cls}.{keyed[0]}`"
        for name, passed in self.model.param_instances.get(fi.func_id, {}).items():
            fi.instances.setdefault(name, passed)
        if pf.layer == "test" and self.model.return_instances:  # def test_x(item): the `item` fixture's object
            for p in fi.params:
                if p.annotation is None and p.name.value not in fi.instances:
                    fixture = self.registry.fixture(p.name.value)
                    if fixture is not None and fixture is not fi and fixture.func_id in self.model.return_instances:
                        fi.instances[p.name.value] = self.model.return_instances[fixture.func_id]
        for p in fi.params:
            name = p.name.value
            if name in learned:
                fi.env.setdefault(name, learned[name].evidence)
            elif name in self.model.key_names:
                fi.env.setdefault(name, f"`{name}` is named like {self.model.key_names[name]}")
            if p.annotation is not None and isinstance(p.annotation.annotation, cst.Name) \
                    and p.annotation.annotation.value in self.registry.classes:
                fi.objects.setdefault(name, p.annotation.annotation.value)
            if p.annotation is not None:
                cls = self.annotation_class(p.annotation.annotation)
                if cls:
                    fi.instances[name] = cls
                for n in _names(p.annotation.annotation):
                    if n in self.model.type_aliases:
                        fi.env.setdefault(name, f"annotated {n} ({self.model.type_aliases[n]})")
                ann = p.annotation.annotation
                if name in fi.env:
                    self._key_dependency(pf, fi, p, fi.env[name])
                if name in fi.env and isinstance(ann, cst.Name) and ann.value in self.model.int_aliases:
                    self.model.learn_alias(ann.value, f"annotates key parameter `{name}` of {fi.qualname}() "
                                                      f"in {pf.where(p)}")

    def dependencies(self, pf: ParsedFile, fi: FuncInfo, depth: int = 0) -> list[FuncInfo]:
        """Functions injected into `fi` with `Depends(f)`, in a default, an annotation or an
        `Annotated[..., Depends(f)]` alias, followed transitively (a few levels)."""
        out: list[FuncInfo] = []
        for p in fi.params:
            nodes: list[cst.CSTNode] = [n for n in (p.default, p.annotation) if n is not None]
            if p.annotation is not None:
                nodes += [self.registry.aliases[n] for n in _names(p.annotation.annotation)
                          if n in self.registry.aliases]
            for node in nodes:
                for call in _calls(node):
                    if callee_name(call) != "Depends" or not call.args:
                        continue
                    dep = self.registry.resolve(pf, call.args[0].value, fi)
                    if dep is None and isinstance(call.args[0].value, cst.Name):
                        ids = self.registry.by_name.get(call.args[0].value.value, [])
                        dep = self.registry.by_id[ids[0]][1] if len(ids) == 1 else None
                    if dep is not None and dep is not fi and dep not in out:
                        out.append(dep)
                        if depth < 3:
                            dpf = self.registry.by_id[dep.func_id][0]
                            out += [d for d in self.dependencies(dpf, dep, depth + 1) if d not in out]
        return out

    def _key_dependency(self, pf: ParsedFile, fi: FuncInfo, p: cst.Param, why: str) -> None:
        """`doc_key: int = Depends(read_key)` (or `Annotated[int, Depends(read_key)]`): read_key returns the key."""
        nodes: list[cst.CSTNode] = [n for n in (p.default, p.annotation) if n is not None]
        for node in nodes:
            for call in _calls(node):
                if callee_name(call) != "Depends" or not call.args:
                    continue
                dep = self.registry.resolve(pf, call.args[0].value, fi)
                if dep is not None and dep is not fi and dep.func_id not in self.model.returns \
                        and _returns_value(dep.node):
                    self.model.learn_return(dep.func_id, f"its result is injected into key parameter "
                                                         f"`{p.name.value}` of {fi.qualname}() ({_short(why)})",
                                            self.model.default_target)

    def analyze(self, pf: ParsedFile, fi: FuncInfo) -> bool:
        """Local flow of one function, then what it teaches about callees, schemas and returns. True when its
        own state (`own_state`) came out of the last walk over its body and of `_learn` as it went in: another
        analysis with the same global facts would change nothing of it (always False under `thorough`)."""
        self.seed_params(pf, fi)
        if fi.decorators and fi.name not in self.model.function_names \
                and self._fixtures_seen.get(id(fi)) != len(self.model.orm) and is_fixture(fi):
            self._fixtures_seen[id(fi)] = len(self.model.orm)
            code = pf.code(fi.node)
            if any(c in code and re.search(rf"\b{re.escape(c)}\(", code) for c in self.model.orm):
                self.model.function_names.add(fi.name)  # a factory fixture: tests that use it are candidates
                self.model.version += 1
        if fi.body_nodes is None:  # walked once, reused by every round
            walker = _Body()
            fi.node.body.visit(walker)
            fi.body_nodes = walker.nodes
        last: tuple[object, ...] | None = None  # own_state as the last walk found it
        if self.thorough:
            for _again in (False, True):
                for node in fi.body_nodes:
                    self._local(pf, fi, node)
        else:
            before = self._local_state(fi)
            for node in fi.body_nodes:
                self._local(pf, fi, node)
            after = self._local_state(fi)
            last = before[3:]
            if before != after:  # the first walk changed something _local reads: walk again
                last = after[3:]
                for node in fi.body_nodes:
                    self._local(pf, fi, node)
        for node in fi.body_nodes:
            if type(node) is cst.Call or type(node) is cst.Return:  # (what _learn reads)
                self._learn(pf, fi, node)
        if fi.name not in self.model.function_names and self._body_keyed_param(fi):
            # its body shows a parameter holds the key (`Item.id == item_id`, `db.get(Item, pk)`): its callers'
            # arguments do too (`_pass`, backwards), so files calling it are candidates (`crud.get_item(db, item_id)`
            # in a route module naming nothing else of the key)
            self.model.function_names.add(fi.name)
            self.model.version += 1
        if last is None:
            return False
        self.last_state = self.own_state(fi)
        return last == self.last_state

    @staticmethod
    def _body_keyed_param(fi: FuncInfo) -> bool:
        """Does a parameter hold the key for a reason other than its name (which seed_params gives it)?"""
        for p in fi.params:
            name = p.name.value
            why = fi.env.get(name)
            if why is not None and not why.startswith(f"`{name}` is named like"):
                return True
        return False

    def _local_state(self, fi: FuncInfo) -> tuple[object, ...]:
        """Everything `_local` reads that it may also write (a copy, compared by value): a few global counters,
        then `own_state`."""
        m = self.model
        return (m.version, m.global_version, len(m.schema_fields), *self.own_state(fi))

    def own_state(self, fi: FuncInfo) -> tuple[object, ...]:
        """What a function's analysis learns into the function itself (a copy, compared by value)."""
        return (dict(fi.env), dict(fi.instances), dict(fi.objects), dict(self.slots.get(id(fi), {})),
                dict(self.objects.get(id(fi), {})))

    def callers_view(self, pf: ParsedFile, fi: FuncInfo, state: tuple[object, ...]) -> tuple[object, ...]:
        """What the analysis of a caller reads of `fi`'s own state (`state`, an `own_state` of it): why each
        parameter holds the key (`_pass`, `_passed_text`) and, when it returns tuples, all of it (`_returned_slots`
        evaluates them in `fi`)."""
        tuples = self._tuple_returning.get(id(fi))
        if tuples is None:
            tuples = self._tuple_returning[id(fi)] = any(
                isinstance(r.value, cst.Tuple) for r in pf.returns_of(fi))
        env = state[0]
        assert isinstance(env, dict)
        params = tuple(env.get(p.name.value) for p in fi.params)
        return (params, state) if tuples else (params,)

    def _local(self, pf: ParsedFile, fi: FuncInfo, node: cst.CSTNode) -> None:
        # (dispatch on the exact type, calls first: a body node is one of _Body's leaf classes, see key_of)
        if type(node) is cst.Call:
            self._sink_call(pf, fi, node)
        elif type(node) is cst.Assign or type(node) is cst.AnnAssign:
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            value = node.value
            if value is None:
                return
            slots = self.slots_of(pf, fi, value)
            objects = self.object_slots(pf, fi, value)
            for t in targets:
                if isinstance(t, (cst.Tuple, cst.List)) and slots:  # vid, n = row
                    self._bind_slots(pf, fi, t, slots, t, _short(pf.code(value), 40))
                if isinstance(t, (cst.Tuple, cst.List)) and objects:  # kind, obj = found (-> tuple[str, Vehicle])
                    for el, cls in zip(t.elements, objects, strict=False):
                        if cls and isinstance(el.value, cst.Name):
                            fi.instances[el.value.value] = cls
                if type(t) is cst.Attribute and self.instance_class(pf, fi, t.value) is not None \
                        and self.key_of(pf, fi, t) is not None and self.key_of(pf, fi, value) is None:
                    self._sink(pf, fi, value, f"stored in `{pf.code(t)}` in {pf.where(t)}")  # image.content_id = x
                if type(t) is cst.Attribute and type(t.value) is cst.Name and t.value.value in pf.imports \
                        and pf.resolves_to(t.value, "g", packages=("flask",)):
                    self._request_global(pf, fi, t.attr.value, value)
                if not isinstance(t, cst.Name):
                    continue
                if objects and any(objects):
                    self.objects.setdefault(id(fi), {})[t.value] = objects
                if slots and any(slots):
                    self.slots.setdefault(id(fi), {}).setdefault(t.value, slots)
                obj = self.registry.receiver_class(fi, value) if isinstance(value, cst.Call) else None
                if obj and obj not in self.model.orm:
                    fi.objects.setdefault(t.value, obj)
                cls = self.instance_class(pf, fi, value)
                if cls:
                    fi.instances.setdefault(t.value, cls)
                ev = self.key_of(pf, fi, value)
                if ev and t.value not in fi.env and not self.model_object(pf, fi, value):
                    fi.env[t.value] = _chain(t.value, pf.code(value), pf.where(t), ev[0])
                if t.value in fi.env and isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) \
                        and value.func.attr.value.startswith("validate_") and isinstance(value.func.value, cst.Name):
                    name = value.func.value.value  # ids = ids_adapter.validate_json(raw); ... X.id.in_(ids)
                    if name not in self.model.key_adapters:
                        self.model.key_adapters[name] = (f"its result `{t.value}` holds the key ({pf.where(t)}): "
                                                         f"{_short(fi.env[t.value], 120)}")
                        self.model.bump()
        elif type(node) is cst.For or type(node) is cst.CompFor:
            self._bind_for(pf, fi, node.target, node.iter)
        elif type(node) is cst.Comparison:
            self._sink_compare(pf, fi, node)
        elif type(node) is cst.Return and node.value is not None and fi.func_id in self.model.returns:
            for name in _request_reads(node.value):
                self.model.learn_key_string(name, f"{fi.qualname}() returns the key read from it "
                                                  f"({pf.where(node)})")
            for n in _operands(node.value):
                if n.value not in fi.env and n.value not in ("None", "True", "False"):
                    fi.env[n.value] = f"`{n.value}` is returned by {fi.qualname}(), which returns the key"

    def _sink_compare(self, pf: ParsedFile, fi: FuncInfo, node: cst.Comparison) -> None:
        left = node.left
        for target in node.comparisons:
            if not isinstance(target.operator, (cst.Equal, cst.NotEqual, cst.GreaterThan, cst.LessThan,
                                                cst.GreaterThanEqual, cst.LessThanEqual)):
                continue
            right = target.comparator
            for a, b in ((left, right), (right, left)):
                if isinstance(b, cst.Name) and b.value not in fi.env and isinstance(a, cst.Attribute) \
                        and self.orm_ref(pf, a.value):
                    ev = self.key_of(pf, fi, a)
                    if ev:
                        fi.env[b.value] = f"`{b.value}` compared with {pf.code(a)} in {pf.where(node)}"
                elif isinstance(b, cst.Attribute) and isinstance(a, cst.Attribute) \
                        and self.orm_ref(pf, a.value) and self.key_of(pf, fi, a):
                    self._sink(pf, fi, b, f"compared with {pf.code(a)} in {pf.where(node)}")
                elif isinstance(target.operator, (cst.Equal, cst.NotEqual)) and not isinstance(a, cst.Name) and (
                        isinstance(b, cst.Name) and b.value not in fi.env or isinstance(b, cst.Attribute)
                        and isinstance(b.value, cst.Name)) and isinstance(a, (cst.Attribute, cst.Subscript)):
                    ev = self.key_of(pf, fi, a)  # `body.asset_id != asset_pk`: the same value, the same key
                    if ev and self.key_of(pf, fi, b) is None:
                        self._sink(pf, fi, b, f"compared with `{_short(pf.code(a), 40)}` in {pf.where(node)}")

    def _sink(self, pf: ParsedFile, fi: FuncInfo, x: cst.BaseExpression, why: str) -> None:
        """`x` is used as the key: a local name holds it; an attribute of a record (`token.sub`,
        `settings.DEFAULT_OWNER_ID`) is a field of that record holding it; the argument of `int(x)` passed as the key
        (`Model.query.get(int(item_id))`) holds it as text."""
        if type(x) is cst.Call and type(x.func) is cst.Name and x.func.value == "int" and len(x.args) == 1 \
                and x.args[0].keyword is None and not x.args[0].star:
            self._sink(pf, fi, x.args[0].value, why)
            return
        if isinstance(x, cst.Name):
            if x.value not in fi.env and x.value not in ("None", "True", "False", "self"):
                fi.env[x.value] = f"`{x.value}` {why}"
            return
        if not isinstance(x, cst.Attribute):
            return
        cls = self.record_class(pf, fi, x.value)
        model = self.model
        if cls is None or cls in model.orm or cls in model.other_orm:
            return
        if self._mixup(pf, fi, x, x.attr.value, (why, model.default_target), cls, report=False):
            return
        slot = model.schema_fields.setdefault(cls, {})
        if x.attr.value not in slot:
            slot[x.attr.value] = f"`{pf.code(x)}` {why}"
            if cls not in self.registry.classes:
                model.wanted.add(cls)
            model.bump()

    def record_class(self, pf: ParsedFile, fi: FuncInfo | None, node: cst.BaseExpression) -> str | None:
        """The scanned class `node` is an instance of: a parameter annotated with it, a local built from it
        (`TokenPayload(**payload)`, `Settings.model_validate(...)`), a module-level instance (`settings`)."""
        if isinstance(node, cst.Name) and fi is not None and node.value in fi.objects:
            return fi.objects[node.value]
        if isinstance(node, (cst.Name, cst.Attribute)):
            found = self.registry.instance_of(pf, node)
            if found is None and isinstance(node, cst.Name) and node.value in pf.imports:
                for q in pf.qnames(node):  # defined in a module not parsed yet: parse it next round
                    if "." in q and q.rsplit(".", 1)[0] not in self.model.wanted_modules:
                        self.model.wanted_modules.add(q.rsplit(".", 1)[0])
                        self.model.version += 1
            return found
        return None

    def _collect(self, pf: ParsedFile, fi: FuncInfo, call: cst.Call) -> None:
        """`ids.append(item.id)`, `seen.add(ref)`, `rows.append((item.id, n))`: the collection holds keys."""
        f = call.func
        if not (type(f) is cst.Attribute and f.attr.value in _COLLECT and isinstance(f.value, cst.Name)):
            return
        args = positional(call)
        if not args:
            return
        name = f.value.value
        value = args[-1].value
        if f.attr.value == "extend":
            slots = self.slots_of(pf, fi, value)
            ev = self.key_of(pf, fi, value)
        else:
            slots = self.slots_of(pf, fi, value) if isinstance(value, cst.Tuple) else None
            ev = self.key_of(pf, fi, value)
        if slots and any(slots):
            self.slots.setdefault(id(fi), {}).setdefault(name, slots)
        if ev and name not in fi.env and name not in ("self", "cls"):
            fi.env[name] = _chain(name, pf.code(value), pf.where(call), ev[0])

    def _sink_call(self, pf: ParsedFile, fi: FuncInfo, call: cst.Call) -> None:
        f = call.func
        self._collect(pf, fi, call)
        if type(f) is cst.Name and f.value not in self.model.orm and f.value not in _SQL_CALLS:
            return  # (most calls: what follows is about ORM classes, SQL and methods)
        args = positional(call)
        made = self.orm_ref(pf, f)
        if made is not None:  # ContentItemAuto(id=auto_id), models.ContentItemAuto(id=auto_id)
            orm = self.model.orm[made]
            for a in call.args:
                if a.keyword is not None and a.keyword.value in orm.key_attrs \
                        and self.key_of(pf, fi, a.value) is None:
                    self._sink(pf, fi, a.value, f"sets {made}.{a.keyword.value} in {pf.where(call)}")
            return
        if callee_name(call) in _SQL_CALLS and len(args) >= 2 \
                and isinstance(args[1].value, cst.Dict):
            sql = self._sql_text(pf, args[0].value)
            if sql:
                for el in args[1].value.elements:
                    if not isinstance(el, cst.DictElement) or not isinstance(el.value, cst.Name):
                        continue
                    bind = string_value(el.key)
                    if bind and el.value.value not in fi.env and self._bind_is_key(sql, bind):
                        fi.env[el.value.value] = (f"`{el.value.value}` is bound to :{bind}, compared with the key "
                                                  f"in SQL ({pf.where(call)})")
            return
        if callee_name(call) in ("execute", "exec_driver_sql") and len(args) >= 2 \
                and isinstance(args[1].value, (cst.Tuple, cst.List)):
            sql = self._sql_text(pf, args[0].value)
            if sql:
                keyed = self._positional_binds(sql)
                for i, elem in enumerate(args[1].value.elements):
                    v = elem.value
                    if i < len(keyed) and keyed[i] and isinstance(v, cst.Name) and v.value not in fi.env:
                        fi.env[v.value] = (f"`{v.value}` is bound to placeholder {i + 1}, compared with the key "
                                           f"in SQL ({pf.where(call)})")
            return
        looked_up = self.key_lookup_args(pf, call)
        if looked_up is not None:
            for _slot, x, why in looked_up:
                if self.key_of(pf, fi, x) is None:
                    self._sink(pf, fi, x, why)
        elif (column := _named_lookup(call)) is not None and isinstance(args[0].value, cst.Name):
            # repo.get(owner, "parent_id"): a lookup by a named key column
            if column.lower() not in GENERIC_PK_NAMES and any(
                    column in cols for cols in self.model.impacted.values()) \
                    and self.key_of(pf, fi, args[0].value) is None:
                self._sink(pf, fi, args[0].value, f"looked up by key column `{column}` in {pf.where(call)}")
        elif isinstance(f, cst.Attribute) and f.attr.value in ("in_", "any_") and len(args) == 1:
            x = args[0].value
            if self.key_of(pf, fi, x) is None and self.key_of(pf, fi, f.value):
                self._sink(pf, fi, x, f"matched with {pf.code(f.value)}.in_() in {pf.where(call)}")

    def key_lookup_args(self, pf: ParsedFile, call: cst.Call) -> list[tuple[str, cst.BaseExpression, str]] | None:
        """(key attribute, value, why) for each argument an ORM lookup matches with a key: `session.get(Model, x)`,
        Flask-SQLAlchemy 3's `db.get_or_404(Model, x)`, `session.query(Model).get(x)`, `Model.query.get(x)` /
        `.get_or_404(x)`,
        `Model.query.filter_by(id=x)`; None when `call` is no such lookup (a lookup of another model: [])."""
        f = call.func
        if type(f) is not cst.Attribute:
            return None
        args = positional(call)
        method = f.attr.value
        if method in ("get", "get_or_404") and len(args) == 2 and (got := self.orm_ref(pf, args[0].value)) is not None:
            orm = self.model.orm[got]
            return [("id", args[1].value, f"used as {orm.name} primary key in {pf.where(call)}")] \
                if "id" in orm.key_attrs else []
        if method in ("get", "get_or_404") and len(args) == 1 and (cls := _query_class(self, pf, f.value)) is not None:
            return [("id", args[0].value, f"used as {cls} primary key in {pf.where(call)}")] \
                if "id" in self.model.orm[cls].key_attrs else []
        if method == "filter_by":
            cls = self._orm_in(pf, f.value) or _query_base_class(self, pf, f.value)  # Node.query.filter_by(id=x)
            if cls is None:
                return []
            attrs = self.model.orm[cls].key_attrs
            return [(a.keyword.value, a.value, f"filters {cls}.{a.keyword.value} in {pf.where(call)}")
                    for a in call.args if a.keyword is not None and a.keyword.value in attrs]
        return None

    def _sql_text(self, pf: ParsedFile, expr: cst.BaseExpression) -> str | None:
        """The SQL of `text("...")`, a string, or a module-level constant holding either."""
        if isinstance(expr, cst.Call) and callee_name(expr) == "text" and expr.args:
            return string_value(expr.args[0].value)
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) \
                and expr.func.attr.value in ("bindparams", "columns", "execution_options"):
            return self._sql_text(pf, expr.func.value)  # text("...").bindparams(bindparam("vid", type_=Integer))
        if isinstance(expr, cst.Name):
            for entry in pf.of(cst.Assign):
                node = entry.node
                assert isinstance(node, cst.Assign)
                if entry.func is None and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name) \
                        and node.targets[0].target.value == expr.value:
                    return self._sql_text(pf, node.value)
            return None
        return string_value(expr)

    def _positional_binds(self, sql: str) -> list[bool]:
        """For each `?` / `%s` placeholder in order: is it compared with an impacted column of a table the
        SQL names (`SELECT ... FROM items WHERE id > ?`)? A qualified generic name (`u.id`) counts only
        when the qualifier is that table or its alias."""
        low = sql.lower()
        out = []
        for m in re.finditer(r"\?|%s", low):
            before = low[:m.start()]
            hit = re.search(r"(?:([a-z_]\w*)\.)?([a-z_]\w*)\s*(?:=|<>|!=|<=|>=|<|>)\s*$", before)
            ok = False
            if hit is not None:
                qual, col = hit.group(1), hit.group(2)
                for table, cols in self.model.impacted.items():
                    t = table.lower()
                    if col not in {c.lower() for c in cols} or not re.search(rf"\b{re.escape(t)}\b", low):
                        continue
                    if qual is None or col not in GENERIC_PK_NAMES:
                        ok = True
                    else:
                        names = {t} | set(re.findall(rf"\b{re.escape(t)}\s+(?:as\s+)?([a-z_]\w*)", low))
                        ok = qual in names
                    if ok:
                        break
            out.append(ok)
        return out

    def _bind_is_key(self, sql: str, bind: str) -> bool:
        low = sql.lower()
        for table, cols in self.model.impacted.items():
            if not re.search(rf"\b{re.escape(table.lower())}\b", low):
                continue
            alt = "|".join(re.escape(c.lower()) for c in cols)
            op = r"\s*(?:=|<>|!=|<=|>=|<|>|in)\s*\(?\s*"
            b = re.escape(bind.lower())
            if re.search(rf"\b(?:{alt}){op}:{b}\b", low) or re.search(
                    rf"\b(?:{alt})\s+(?:not\s+)?between\s+(?::{b}\b|:\w+\s+and\s+:{b}\b)", low):
                return True
        return False

    def _learn(self, pf: ParsedFile, fi: FuncInfo, node: cst.CSTNode) -> None:
        model = self.model
        if type(node) is cst.Return and node.value is not None:  # (exact types: see _local)
            ev = self.key_of(pf, fi, node.value)
            if ev:
                model.learn_return(fi.func_id, f"returns `{_short(pf.code(node.value))}` in {pf.where(node)}",
                                   ev[1])
            if isinstance(node.value, cst.FormattedString) and model.route_templates:
                self._url_builder(pf, fi, node.value)
            if fi.func_id not in model.return_instances and isinstance(node.value, cst.Name):
                cls = self.instance_class(pf, fi, node.value)  # `return obj`, a ContentItem: callers get one
                if cls:
                    model.learn_return_instance(fi.func_id, cls)
            return
        if type(node) is not cst.Call:
            return
        f = node.func
        # Schema.model_validate(item) / Schema.from_orm(item) / Schema(id=item.id)
        if type(f) is cst.Attribute and f.attr.value in ("model_validate", "from_orm", "parse_obj") \
                and isinstance(f.value, cst.Name):
            args = positional(node)
            if args and self.instance_class(pf, fi, args[0].value):
                cls = self.instance_class(pf, fi, args[0].value)
                model.learn_schema(f.value.value, f"validated from a {cls} in {pf.where(node)}", cls)
        # marshmallow: ItemSchema().dump(item); flask-marshmallow's module-level items_schema.dump(items) / .jsonify()
        if type(f) is cst.Attribute and f.attr.value in ("dump", "jsonify") and node.args:
            recv = f.value
            schema = recv.func.value if type(recv) is cst.Call and type(recv.func) is cst.Name else \
                self.registry.maker_of(pf, recv) if type(recv) is cst.Name else None
            if schema is not None and schema[:1].isupper() and schema not in model.schemas \
                    and schema not in model.orm and schema not in model.other_orm:
                args = positional(node)
                cls = self.instance_class(pf, fi, args[0].value) if args else None
                if cls:  # (the schema's module, not parsed yet, is read next round: its name is a candidate word)
                    model.learn_schema(schema, f"dumps a {cls} in {pf.where(node)}", cls)
        target_fi: FuncInfo | None = None
        offset = 0
        task_call = False
        if type(f) is cst.Attribute and f.attr.value in TASK_CALLS:
            target_fi = self.registry.resolve(pf, f.value, fi)
            task_call = target_fi is not None
        if target_fi is None:
            target_fi = self.registry.resolve(pf, f, fi)
        if target_fi is None and type(f) is cst.Attribute and _instance_receiver(f.value):
            self._want_bases(pf, fi, node, f)
        if target_fi is None:  # a callee outside the parsed files: make its definition a candidate
            name = callee_name(node)
            callee: cst.BaseExpression = f
            sent_task = type(f) is cst.Attribute and f.attr.value in TASK_CALLS and isinstance(f.value, cst.Name)
            if sent_task:
                assert isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name)
                name, callee = f.value.value, f.value  # task.apply_async(args=[...], kwargs={...}): the task
            if name and name not in model.wanted and name not in _BUILTIN_CALLS and not name[:1].isupper() and \
                    any(self.key_of(pf, fi, v) for v in self._sent_values(node, sent_task)):
                model.wanted.add(name)
                head = callee.value if isinstance(callee, cst.Name) else callee.value.value \
                    if isinstance(callee, cst.Attribute) and isinstance(callee.value, cst.Name) else ""
                if head in pf.imports:  # imported function or module: its file is worth a look
                    for q in pf.qnames(callee):
                        if "." in q:
                            model.wanted_modules.add(q.rsplit(".", 1)[0])
                model.version += 1
        if target_fi is not None and target_fi is not fi:
            self.callers.setdefault(target_fi.func_id, {})[id(fi)] = (pf, fi)
            pos = target_fi.positional()
            args = positional(node)
            if task_call and isinstance(f, cst.Attribute) and f.attr.value == "apply_async":
                a = kwarg(node, "args")
                args = [cst.Arg(e.value) for e in a.value.elements] if a and isinstance(
                    a.value, (cst.List, cst.Tuple)) else (
                    [cst.Arg(e.value) for e in args[0].value.elements]
                    if args and isinstance(args[0].value, (cst.List, cst.Tuple)) else [])
                kw = kwarg(node, "kwargs")
                kwargs = _dict_items(kw.value) if kw else []
            else:
                kwargs = [(a.keyword.value, a.value) for a in node.args if a.keyword is not None]
            polymorphic = _named_lookup(node)  # repo.get(v, "parent_id"): the column, not the parameter, says
            for i, a in enumerate(args):
                if i + offset < len(pos) and not (polymorphic and i == 0):
                    self._pass(pf, fi, node, target_fi, pos[i + offset].name.value, a.value)
            for name, value in kwargs:
                if target_fi.param(name) is not None:
                    self._pass(pf, fi, node, target_fi, name, value)
        else:
            cname = f.value.value if isinstance(f, cst.Subscript) and isinstance(f.value, cst.Name) else \
                f.value if isinstance(f, cst.Name) else ""
            if not cname[:1].isupper():
                return
            if cname in model.orm:  # a mapped class of the closure: its key columns are the ORM's, not learned here
                keys = model.orm[cname].key_attrs
                for a in node.args:
                    if a.keyword is not None and a.keyword.value not in keys:
                        ev = self.key_of(pf, fi, a.value)
                        if ev:
                            self._mixup(pf, fi, a, a.keyword.value, ev, cname, a.value)
                return
            for a in node.args:
                if a.keyword is not None:
                    ev = self.key_of(pf, fi, a.value)
                    if ev and self._mixup(pf, fi, a, a.keyword.value, ev, cname, a.value):
                        continue
                    if ev:
                        slot = model.schema_fields.setdefault(cname, {})
                        if a.keyword.value not in slot:
                            slot[a.keyword.value] = f"{cname}({a.keyword.value}=`{_short(pf.code(a.value))}`) " \
                                                    f"in {pf.where(node)}"
                            model.bump()

    def _want_bases(self, pf: ParsedFile, fi: FuncInfo, call: cst.Call, f: cst.Attribute) -> None:
        """A key sent to a method of a known instance whose class inherits it from an unparsed base (`crud.item.
        remove(db, id=item_id)`, `item = CRUDItem(Item)`, `class CRUDItem(CRUDBase[...])`): the base's module
        becomes a candidate, when it is one of the project's (its top package is a folder of this file's path)."""
        owner = self.registry.owner_class(pf, fi, f.value)
        if owner is None:
            return
        parts = set(pf.modname.split("."))
        modules = {q.rsplit(".", 1)[0] for q in self.registry.unparsed_bases(owner) if "." in q}
        wanted = sorted(m for m in modules if m.split(".", 1)[0] in parts and m not in self.model.wanted_modules)
        # (the arguments' key test last: most receivers' bases are parsed or outside the project)
        if wanted and any(self.key_of(pf, fi, v) for v in self._sent_values(call, False)):
            self.model.wanted_modules.update(wanted)
            self.model.version += 1

    @staticmethod
    def _sent_values(call: cst.Call, task: bool) -> list[cst.BaseExpression]:
        """The values a call passes (a task's `apply_async(args=[...], kwargs={...})`: those in them too)."""
        values = [a.value for a in call.args]
        if task:
            for sent in call.args:
                if isinstance(sent.value, (cst.List, cst.Tuple)):
                    values += [e.value for e in sent.value.elements]
                values += [v for _, v in _dict_items(sent.value)]
        return values

    def _url_builder(self, pf: ParsedFile, fi: FuncInfo, url: cst.FormattedString) -> None:
        """`return f"{self.prefix}/users/{id}"`: a parameter put where a route of the key takes it holds the key
        (a test's URL helper, an SDK method)."""
        text = ""
        marks: dict[str, str] = {}
        for part in url.parts:
            if isinstance(part, cst.FormattedStringText):
                text += part.value
            elif isinstance(part, cst.FormattedStringExpression):
                e = part.expression
                if isinstance(e, cst.Name) and fi.param(e.value) is not None:
                    token = str(987650 + len(marks))  # digits that stand for the parameter
                    marks[token] = e.value
                    text += token
                else:
                    text += URL_HOLE
        if not marks or "/" not in text:
            return
        for template, params in self.model.route_templates:
            if text.startswith(URL_HOLE):
                found = [m for _i, rx in template_tails(template, params) for m in [rx.search(text[1:])] if m]
            else:
                found = [m for m in [template_regex(template, params).search(text)] if m]
            for m in found:
                for token in m.groups():
                    if token in marks:
                        self.model.learn_param(fi.func_id, marks[token], f"`{marks[token]}` goes where {template} "
                                               f"takes the key, in the URL {fi.qualname}() builds ({pf.where(url)})",
                                               self.model.default_target)

    def _pass(self, pf: ParsedFile, fi: FuncInfo, call: cst.Call, callee: FuncInfo, param: str,
              value: cst.BaseExpression) -> None:
        if self._bound_to_other_model(pf, fi, call, callee):
            return
        ev = self.key_of(pf, fi, value)
        if ev is None:
            self._pass_instances(pf, fi, callee, param, value)
        if param in callee.env and isinstance(value, cst.Name) and fi.param(value.value) is None:
            for source in _assigned_params(pf, fi, value.value):  # `cursor = since_id` ... `after(cursor)`
                if not self._mixup(pf, fi, value, source, ("", self.model.default_target), report=False):
                    self.model.learn_param(fi.func_id, source, f"`{value.value}` <- `{source}`, passed as `{param}` "
                                           f"to {callee.qualname}() in {pf.where(call)}, which holds the key",
                                           self.model.default_target)
        if ev is None and param in callee.env:  # backwards: the callee says this argument is a key
            if self._passed_text(callee, param):
                return
            why = f"passed as `{param}` to {callee.qualname}() in {pf.where(call)}, which holds the key"
            if self.model_object(pf, fi, value):
                return  # a model instance (`order: Order`) is never the key itself, whatever the parameter says
            if isinstance(value, cst.Name) and value.value not in ("None", "self") and not self._mixup(
                    pf, fi, value, value.value, (why, self.model.default_target), report=False):
                # (a name designating another entity's ids, `payment_id` given to a generic `get(id)`, stays out)
                fi.env[value.value] = f"`{value.value}` {why}"
                if fi.param(value.value) is not None:
                    self.model.learn_param(fi.func_id, value.value, fi.env[value.value], self.model.default_target)

            elif isinstance(value, cst.Call):
                inner = self.registry.resolve(pf, value.func, fi)
                if inner is not None and inner is not callee:
                    self.model.learn_return(inner.func_id, f"its result is {why}", self.model.default_target)
            elif isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name):
                p = fi.param(value.value.value)
                rec = p.annotation.annotation if p is not None and p.annotation is not None else None
                if isinstance(rec, cst.Name) and rec.value not in self.model.orm and rec.value not in self.model.other_orm \
                        and not self._mixup(pf, fi, value, value.attr.value, (why, self.model.default_target),
                                            rec.value, report=False):
                    slot = self.model.schema_fields.setdefault(rec.value, {})
                    if value.attr.value not in slot:
                        slot[value.attr.value] = f"`{pf.code(value)}` {why}"
                        self.model.bump()
            return
        if ev and not self._other_key(callee, param) and not self.registry.generic_param(callee, param) \
                and not self.model_object(pf, fi, value):
            # (a parameter typed by a type variable is bound per call: see _bound_return)
            arg = next((a for a in call.args if a.value is value), value)
            if self._mixup(pf, fi, arg, param, ev, value=value):
                return
            self.model.learn_param(callee.func_id, param, _chain(param, pf.code(value), pf.where(call), ev[0]),
                                   ev[1])

    def _bound_to_other_model(self, pf: ParsedFile, fi: FuncInfo, call: cst.Call, callee: FuncInfo) -> bool:
        """A generic method called through a receiver bound to a model that is not the key's own (`crud.item.get(db,
        id=x)` for users.id, with `item = CRUDItem(Item)` and `get` inherited from `CRUDBase[ModelType, ...]`): what
        its parameters hold depends on that model, so the key facts of the users' calls (`crud.user.get(db,
        id=user_id)`) say nothing of this call's arguments, nor this call's of the method. Generic: inherited from
        a base, or the receiver's class has type parameters (`CRUDBase(Item)` itself). Bound: by a base's subscript
        or the instance's constructor naming mapped classes, none of them one whose primary key is a target."""
        f = call.func
        if type(f) is not cst.Attribute or not callee.cls:
            return False
        owner = self.registry.owner_class(pf, fi, f.value)
        if owner is None or (owner == callee.cls and not self.registry.class_tparams.get(owner)
                             and not (self.registry.class_base_args.get(owner)
                                      and self.registry.tparams_of(callee) & self.registry.type_vars)):
            return False
        orm, other = self.model.orm, self.model.other_orm
        bound = [n for n in self.registry.bound_models(pf, fi, f.value, owner) if n in orm or n in other]
        return bool(bound) and not any(n in orm and orm[n].pk_attr for n in bound)

    def _passed_text(self, callee: FuncInfo, param: str) -> bool:
        """A text parameter (`external_id: str`) holding the key only because a caller passed it one
        (`str(org.id)`), the key's own type not being text: a free string slot takes any text, so the other
        callers' arguments are not keys for that (the key still flows forward into the callee)."""
        learned = self.model.params.get(callee.func_id, {}).get(param)
        if learned is None or callee.env.get(param) != learned.evidence \
                or not learned.evidence.startswith(f"`{param}` <- ") or param in self.model.key_names:
            return False
        p = callee.param(param)
        if p is None or p.annotation is None:
            return False
        names = set(_names(p.annotation.annotation))
        if "str" not in names or not names <= {"str", "None", "Optional"}:
            return False
        return not any(re.search(r"CHAR|TEXT|STRING|CLOB", t.from_type.upper())
                       for t in self.model.closure.targets)

    def _mixup(self, pf: ParsedFile, fi: FuncInfo, node: cst.CSTNode, slot: str, ev: Ev, cls: str | None = None,
               value: cst.BaseExpression | None = None, report: bool = True) -> bool:
        """The key stored in a slot whose name designates another entity's ids (`message_id=chat_session.id`, a
        column with a ForeignKey elsewhere): the flow stops at that name (else every `message_id` of the code base
        would become the key). True when it is such a slot. The place is one hazard (PY068) when the value is
        plainly the key (an affected row's key attribute: `chat_session.id`); a value the key reached by inference
        (a name, a field learned on the way) is only stopped, the chain behind it being the likelier error."""
        table = foreign_entity(self.model, slot, cls)
        if table is None:
            return False
        if report and id(node) not in self.model.mixups and (value is None or self._plain_key(pf, fi, value)):
            self.model.mixups[id(node)] = (pf.path, node, slot, table, ev[0], ev[1], fi)
        return True

    def _plain_key(self, pf: ParsedFile, fi: FuncInfo, value: cst.BaseExpression) -> bool:
        """`chat_session.id` / `ChatSession.id` / `row.chat_session_id` of an affected ORM class."""
        if not isinstance(value, cst.Attribute):
            return False
        base = value.value
        cls = self.orm_ref(pf, base)
        if cls is not None:
            return value.attr.value in self.model.orm[cls].key_attrs
        cls = self.instance_class(pf, fi, base)
        return cls is not None and value.attr.value in self.model.orm[cls].key_attrs

    def _pass_instances(self, pf: ParsedFile, fi: FuncInfo, callee: FuncInfo, param: str,
                        value: cst.BaseExpression) -> None:
        """`ids_of(items)` with `items` a list of ContentItem: inside ids_of, `rows` holds ContentItems (when its
        annotation does not name a class of its own)."""
        if not isinstance(value, (cst.Name, cst.Subscript)):
            return  # names and items of names: a lookup, where a call would be resolved again
        cls = self.instance_class(pf, fi, value)
        if cls is None:
            return
        p = callee.param(param)
        if p is None or (p.annotation is not None
                                   and not set(_names(p.annotation.annotation)) <= _GENERIC_ANN):
            return
        self.model.learn_param_instance(callee.func_id, param, cls)

    def _other_key(self, callee: FuncInfo, param: str) -> bool:
        """Does `callee` use `param` as the primary key of an unaffected model (`User(id=param)`,
        `session.get(User, param)`)? Then a key reaching it is a coincidence of values, not a key slot."""
        other = self.model.other_orm
        if not other:
            return False
        for call in _calls(callee.node.body):
            f = call.func
            if isinstance(f, cst.Name) and f.value in other:
                if any(a.keyword is not None and a.keyword.value in GENERIC_PK_NAMES and isinstance(a.value, cst.Name)
                       and a.value.value == param for a in call.args):
                    return True
            elif isinstance(f, cst.Attribute) and f.attr.value in ("get", "get_or_404"):  # (db.get_or_404(M, x))
                args = positional(call)
                if len(args) == 2 and isinstance(args[0].value, cst.Name) and args[0].value.value in other \
                        and isinstance(args[1].value, cst.Name) and args[1].value.value == param:
                    return True
        return False


def _assigned_params(pf: ParsedFile, fi: FuncInfo, name: str) -> list[str]:
    """Parameters of `fi` the local `name` is plainly set from (`cursor = since_id`): when the local goes where a
    key goes, the parameter's value does too (its first round)."""
    if fi.param(name) is not None:
        return []
    out = []
    for entry in pf.of(cst.Assign):
        node = entry.node
        assert isinstance(node, cst.Assign)
        if entry.func is fi and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name) \
                and node.targets[0].target.value == name and isinstance(node.value, cst.Name) \
                and fi.param(node.value.value) is not None and node.value.value not in ("self", "cls"):
            out.append(node.value.value)
    return out


def _named_key(fname: str, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        if not key.endswith("s") and _key_word(key).search(fname) and fname != key:
            return key
    return None


#: words after which a key in a function's name is what it is given, not what it returns
_PREPOSITIONS = "for|by|from|of|with|per|in|on|to|at"


def _named_argument(fname: str, key: str) -> bool:
    """`get_solve_ids_for_user_id`, `images_by_content_id`: the key follows a preposition, so the function takes it
    (and returns something of it); `next_content_id`, `content_id_of(image)` name what they return."""
    return re.search(rf"(^|_)(?:{_PREPOSITIONS})_{re.escape(key)}s?(_|$)", fname) is not None


@functools.lru_cache(maxsize=4096)
def _key_word(key: str) -> re.Pattern[str]:
    return re.compile(rf"(^|_){re.escape(key)}s?(_|$)")


def _named_lookup(call: cst.Call) -> str | None:
    """The column a data-access call names for its value (`repo.get(owner, "parent_id")` -> parent_id), or None.
    Such a method's value parameter takes whatever column the call names: it is no key slot of its own."""
    f = call.func
    if not isinstance(f, cst.Attribute) or not _LOOKUP.match(f.attr.value):
        return None
    args = positional(call)
    column = string_value(args[1].value) if len(args) >= 2 else None
    return column if column and column.isidentifier() else None


def _chain(name: str, source: str, where: str, why: str) -> str:
    """"`doc_key` <- `item.id` (ContentItem.id) in app/x.py:31" — the evidence chain."""
    src = f"`{_short(source)}`"
    if why.startswith(src):
        rest = re.sub(r" in [^ ]+:\d+$", "", why[len(src):])
        if rest.startswith(" (") and rest.endswith(")"):
            return f"`{name}` <- {src}{rest} in {where}"
    head = f"`{name}` <- {src} in {where}"
    if why:
        head += f"; {why}" if len(why) < 200 else f"; {why[:199]}…"
    return head


def is_fixture(fi: FuncInfo) -> bool:
    """Decorated `@pytest.fixture` (or `@fixture(...)`, `@pytest_asyncio.fixture`)."""
    for d in fi.decorators:
        dec = d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator
        if (dec.value if isinstance(dec, cst.Name) else dec.attr.value if isinstance(dec, cst.Attribute) else "") \
                == "fixture":
            return True
    return False


def _other_module(pf: ParsedFile, receiver: cst.BaseExpression, func_id: str) -> bool:
    """Is `receiver` (`invoice_service` of `invoice_service.get_order_invoice_url(order)`) imported from a module
    that is not the one defining `func_id` (nor a package above it)? Then the only parsed method of that name is
    another class's: `from app.invoice.service import invoice as invoice_service` does not run
    `app.integrations.service.SelfService.get_order_invoice_url`."""
    head = receiver
    while isinstance(head, cst.Attribute):
        head = head.value
    if not isinstance(head, cst.Name) or head.value not in pf.imports:
        return False
    source = pf.imports[head.value]
    module = source.rsplit(".", 1)[0] if "." in source else source
    return f".{module}." not in f".{func_id}." and f".{source}." not in f".{func_id}."


def _type_params(tp: cst.TypeParameters | None) -> set[str]:
    """The names a PEP 695 `[T, M: Model, *Ts, **P]` declares."""
    if tp is None:
        return set()
    out = set()
    for p in tp.params:
        inner = p.param
        name = getattr(inner, "name", None)
        if isinstance(name, cst.Name):
            out.add(name.value)
    return out


def _meta_model(cls: cst.ClassDef) -> str | None:
    """`class Meta: model = Item` inside a factory_boy factory (or a serializer) -> "Item"."""
    if not isinstance(cls.body, cst.IndentedBlock):
        return None
    for stmt in cls.body.body:
        if isinstance(stmt, cst.ClassDef) and stmt.name.value == "Meta" and isinstance(stmt.body, cst.IndentedBlock):
            for line in stmt.body.body:
                if isinstance(line, cst.SimpleStatementLine):
                    for small in line.body:
                        if isinstance(small, cst.Assign) and len(small.targets) == 1 \
                                and isinstance(small.targets[0].target, cst.Name) \
                                and small.targets[0].target.value == "model":
                            v = small.value
                            return v.value if isinstance(v, cst.Name) else v.attr.value \
                                if isinstance(v, cst.Attribute) else None
    return None


def _code_of(node: cst.CSTNode) -> str:
    """The names in an annotation, joined (enough to see `tuple` / `Tuple` without rendering the code)."""
    return " ".join(_names(node))


def _walk_subscripts(node: cst.CSTNode) -> list[cst.Subscript]:
    return find(node, cst.Subscript)


def _int_value(node: cst.BaseExpression) -> int | None:
    """The value of an integer literal (`0`, `-1`), else None."""
    sign = 1
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        node, sign = node.expression, -1
    if isinstance(node, cst.Integer):
        try:
            return sign * int(node.value.replace("_", ""), 0)
        except ValueError:
            return None
    return None


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _names(node: cst.CSTNode) -> list[str]:
    got = _NAMES.get(node)
    if got is None:
        got = _NAMES[node] = _walk_names(node)
    return list(got)


def _walk_names(node: cst.CSTNode) -> list[str]:
    """The names under `node`, and the strings that are identifiers (`list["Item"]`), in source order."""
    out: list[str] = []
    if _plain_names(node, out):
        return out
    out = []
    for n in find(node, (cst.Name, cst.SimpleString)):
        if isinstance(n, cst.Name):
            out.append(n.value)
        elif isinstance(n, cst.SimpleString):
            v = n.evaluated_value
            if isinstance(v, str) and v.isidentifier():
                out.append(v)
    return out


def _plain_names(node: cst.CSTNode, out: list[str]) -> bool:
    """`_walk_names` of the usual annotation shapes (`int`, `uuid.UUID`, `list[Item]`, `Item | None`, `"Item"`),
    read from their fields in the order `find` visits them (nothing else under these nodes is a name or a
    string); False for any other shape, which `find` walks instead. (Sixty thousand annotations on a large
    tree, each walked once: the generic walk cost four times as much.)"""
    if type(node) is cst.Name:
        out.append(node.value)
        return True
    if type(node) is cst.Annotation:
        return _plain_names(node.annotation, out)
    if type(node) is cst.Attribute:
        return _plain_names(node.value, out) and _plain_names(node.attr, out)
    if type(node) is cst.Subscript:
        if not _plain_names(node.value, out):
            return False
        for el in node.slice:
            if type(el.slice) is not cst.Index or el.slice.star is not None \
                    or not _plain_names(el.slice.value, out):
                return False
        return True
    if type(node) is cst.BinaryOperation:
        return _plain_names(node.left, out) and _plain_names(node.right, out)
    if type(node) is cst.SimpleString:
        v = node.evaluated_value
        if isinstance(v, str) and v.isidentifier():
            out.append(v)
        return True
    return False


def _request_reads(expr: cst.BaseExpression) -> list[str]:
    """Names a returned expression reads from a request mapping: `int(request.headers["X-Ref"])` -> X-Ref."""
    while isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in ("int", "str") \
            and expr.args:
        expr = expr.args[0].value
    container: cst.BaseExpression | None = None
    key: str | None = None
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
        container, key = expr.value, string_value(expr.slice[0].slice.value)
    elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "get" \
            and expr.args:
        container, key = expr.func.value, string_value(expr.args[0].value)
    if key and isinstance(container, cst.Attribute) and container.attr.value in REQUEST_MAPS:
        return [key]
    return []


# CST nodes are immutable: what a walk finds under a node is cached for the scan (keyed by identity; a
# CST node hashes by id and has __slots__, so no weak references). `_other_key` asks for a callee's calls
# once per call site and round. A new Flow (one per scan) clears them.
_CALLS: dict[cst.CSTNode, list[cst.Call]] = {}
_NAMES: dict[cst.CSTNode, list[str]] = {}
_RETURNS: dict[cst.CSTNode, bool] = {}


def clear_caches() -> None:
    from analyzer.python import facts

    _CALLS.clear()
    _NAMES.clear()
    _RETURNS.clear()
    facts.clear_caches()


def _query_class(flow: Flow, pf: ParsedFile, recv: cst.BaseExpression) -> str | None:
    """The ORM class a legacy `Query` is about: `session.query(Model)` (a call), or `Model.query` (the query
    property Flask-SQLAlchemy gives a model)."""
    if isinstance(recv, cst.Attribute) and recv.attr.value == "query":
        return flow.orm_ref(pf, recv.value)
    return flow._orm_in(pf, recv) if isinstance(recv, cst.Call) else None


#: what a legacy `Query` of a model returns rows of the model with (Flask-SQLAlchemy adds the `_or_404` ones)
_QUERY_ROWS = {"first", "one", "one_or_none", "first_or_404", "one_or_404", "get", "get_or_404", "all"}
#: what keeps a `Query` about the same model (not `with_entities`, `values`, `count`: columns or numbers)
_QUERY_CHAIN = {"filter", "filter_by", "where", "order_by", "limit", "offset", "join", "outerjoin", "options",
                "distinct", "group_by", "having", "execution_options", "populate_existing", "with_for_update"}


def _query_result_class(flow: Flow, pf: ParsedFile, call: cst.Call) -> str | None:
    """`Node.query.filter_by(label=label).first()`, `Node.query.get(x)`, `.first_or_404()`,
    `session.query(Node).filter(...).one()`: the model whose instance (or list) the query gives."""
    f = call.func
    if not isinstance(f, cst.Attribute) or f.attr.value not in _QUERY_ROWS:
        return None
    return _query_base_class(flow, pf, f.value)


def _query_base_class(flow: Flow, pf: ParsedFile, node: cst.BaseExpression) -> str | None:
    """The model of `Node.query` / `session.query(Node)` under filters (`Node.query.filter(...).order_by(...)`)."""
    while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in _QUERY_CHAIN:
        node = node.func.value
    return _query_class(flow, pf, node)


def _calls(node: cst.CSTNode) -> list[cst.Call]:
    got = _CALLS.get(node)
    if got is None:
        got = _CALLS[node] = _walk_calls(node)
    return got


def _walk_calls(node: cst.CSTNode) -> list[cst.Call]:
    return find(node, cst.Call)


def _dict_items(node: cst.BaseExpression) -> list[tuple[str, cst.BaseExpression]]:
    out = []
    if isinstance(node, cst.Dict):
        for el in node.elements:
            if isinstance(el, cst.DictElement):
                k = string_value(el.key)
                if k:
                    out.append((k, el.value))
    return out


class _Body(cst.CSTVisitor):
    """Collects the statements and expressions flow cares about, in source order."""

    def __init__(self) -> None:
        self.nodes: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, (cst.Assign, cst.AnnAssign, cst.For, cst.CompFor, cst.Comparison, cst.Call,
                             cst.Return)):
            self.nodes.append(node)
        return not isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda))


def _operands(expr: cst.BaseExpression) -> list[cst.Name]:
    """Names a returned expression is made of: `int(raw)` -> raw, `max_id + 1` -> max_id, `x or 0` -> x."""
    if isinstance(expr, cst.Name):
        return [expr]
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in ("int", "str") \
            and expr.args:
        return _operands(expr.args[0].value)
    if isinstance(expr, cst.BinaryOperation):
        return [*_operands(expr.left), *_operands(expr.right)]
    if isinstance(expr, cst.BooleanOperation):
        return [*_operands(expr.left), *_operands(expr.right)]
    if isinstance(expr, cst.IfExp):
        return _operands(expr.body)
    return []


def _returns_value(node: cst.FunctionDef) -> bool:
    got = _RETURNS.get(node)
    if got is None:
        got = _RETURNS[node] = _walk_returns_value(node)
    return got


def _walk_returns_value(node: cst.FunctionDef) -> bool:
    return any(n.value is not None and not (isinstance(n.value, cst.Name) and n.value.value in ("True", "False"))
               for n in find(node, cst.Return, _outside_functions))


def _outside_functions(node: cst.CSTNode) -> bool:
    return not isinstance(node, cst.FunctionDef)


_SCALARS = {"int", "str", "object", "Any", "None", "Optional", "bytes"}


def _scalar(p: cst.Param) -> bool:
    """Unannotated, or annotated with scalars only (`str`, `int | None`, `object`)."""
    return p.annotation is None or set(_names(p.annotation.annotation)) <= _SCALARS
