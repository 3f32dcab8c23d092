"""What the flow knows: the project's functions and types by name, and the tables the layers fill in.

Every change to a table goes through `_touch` (one file's facts) or `_touch_all` (a project-wide table),
which tell the fixed point (`fixpoint.py`) which files to run again.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Hashable

import tree_sitter as ts

from analyzer.typescript.flow.syntax import TypeRef
from analyzer.typescript.index import Binding, FileIndex, Func, TypeDecl, call_args
from analyzer.typescript.names import KeyNames

#: methods of the built-in Map, Set, Array and string a computed receiver's call mostly is
BUILTIN_METHODS = frozenset({
    "get", "set", "has", "add", "delete", "clear", "push", "pop", "shift", "unshift", "includes", "indexOf",
    "find", "findIndex", "filter", "map", "forEach", "some", "every", "reduce", "keys", "values", "entries",
    "slice", "splice", "concat", "join", "sort", "at", "flatMap", "split", "replace", "trim", "toString",
})


#: words of a module specifier that say nothing of which package it is (`src/utils/index`)
_PATH_WORDS = frozenset({"src", "lib", "index", "utils", "util", "components", "app", "dist", "esm", "cjs"})


def _constant_selector(arg: ts.Node, fi: FileIndex) -> bool:
    """A plain string, or `URL_PARAMS.dashboardId` / `Keys.theme`: a member of a constant object."""
    if arg.type == "string":
        return True
    if arg.type != "member_expression":
        return False
    obj = arg.child_by_field_name("object")
    if obj is None or obj.type != "identifier":
        return False
    name = fi.text(obj)
    return name[:1].isupper()


class FlowBase:
    """The tables of the flow and the bookkeeping of what changed."""

    def __init__(self, files: list[FileIndex], kn: KeyNames, incremental: bool = True) -> None:
        self.files = files
        self.kn = kn
        self.incremental = incremental
        self.touched: set[int] = set()
        self.global_change = False
        #: the entries of project-wide tables read by each file's last round (`_read`: a (type key, member) of
        #: `key_members` and `passed_in`, a (path, start, index) of `fn_params`, "?qs" for `search_slots`,
        #: "?shared" for `shared`), and those changed since the round began (`_touch_table`): a change runs
        #: again the files that read it, not every file
        self._reading: set[Hashable] | None = None
        self._reads: dict[int, set[Hashable]] = {}
        self.changed_tables: set[Hashable] = set()
        self.rounds_files: list[int] = []  # files run by each round after the first
        self._users: dict[int, set[int]] | None = None
        self._poly: dict[tuple[int, int], bool] = {}
        self._selector: dict[int, bool] = {}
        self._imports: dict[int, dict[str, str]] = {}
        self._calls_by_name: dict[str, list[tuple[FileIndex, list[ts.Node]]]] | None = None
        self._module_vars: dict[str, list[Binding]] | None = None
        self._qs_by_file: dict[int, list[tuple[str, ts.Node, Func | None]]] | None = None
        self._unions: dict[tuple[str, str], list[tuple[str, set[str]]]] | None = None  # discriminated unions
        self.funcs: dict[str, list[Func]] = defaultdict(list)
        self.types: dict[str, list[TypeDecl]] = defaultdict(list)
        for fi in files:
            for f in fi.funcs:
                if f.name:
                    self.funcs[f.name].append(f)
                    if "." in f.name:
                        self.funcs["?." + f.name.rpartition(".")[2]].append(f)
            for t in fi.types:
                self.types[t.name].append(t)
        self.affected: dict[str, str] = {}  # type name -> why its `id` is a key
        self.key_members: dict[tuple[str, str], str] = {}  # (type key, member) -> why
        #: key members of a props type that are text slots given the key by one element only (see _jsx)
        self.passed_in: set[tuple[str, str]] = set()
        self.key_casts: dict[int, str] = {}  # Number()/parseInt/+ node ids whose value is a key
        self.key_news: dict[int, str] = {}  # `new Set<number>()` node ids whose value holds keys
        self.storage_slots: dict[str, str] = {}  # localStorage keys that hold a key
        #: codec objects (binding ids) handed only to a generic hook whose value is the key -> why
        self.key_codecs: dict[int, str] = {}
        self.search_slots: dict[str, str] = {}  # query-string parameters (`?highlight=`) that hold a key
        #: regex nodes validating text a zod schema turns into the key (`z.string().regex(/^\d+$/).transform(Number)`)
        self.key_regexes: dict[int, str] = {}
        #: `type HistoryResponse = Array<number>` returned by a function that returns keys: the alias states the key
        self.key_aliases: dict[str, str] = {}
        self.fn_params: dict[tuple[str, int, int], str] = {}  # (path, function type, index) -> why
        self._prep: dict[int, tuple[list[tuple[ts.Node, Func | None, list[ts.Node], str]],
                                    list[tuple[ts.Node, Func | None, list[Func]]]]] = {}
        self.spa_patterns: list[list[str]] = []  # front-end route patterns: ["auto", ":autoId"]
        self.url_templates: list[tuple[ts.Node, Func | None, FileIndex, list[str | ts.Node]]] = []
        self.dataset_keys: dict[tuple[str, str], str] = {}  # (path, dataset prop) -> why
        self._data_attrs: dict[int, list[tuple[str, ts.Node, Func | None]]] = {}
        #: `<select onChange={handler}>` with option values, per file; handlers (node id) whose options hold the key
        self._selects: dict[int, list[tuple[Func, list[tuple[ts.Node, Func | None]]]]] = {}
        self.select_events: dict[int, str] = {}
        #: generic functions' type parameters bound to the key: (function node id, `T`, member of its constraint)
        #: -> why (`byId<T extends { id: number }>(rows: T[])` called with the target's rows); other types
        #: given to the same parameter (a table whose ids stay numbers) -> that type's name
        self.key_tparams: dict[tuple[int, str, str], str] = {}
        self.other_tparams: dict[tuple[int, str, str], str] = {}
        self._eq: dict[int, list[tuple[ts.Node, ts.Node, Func | None]]] = {}
        #: key parameters (by binding id) and members of shared functions that other records' ids reach too
        self.shared: dict[int, str] = {}
        self.shared_members: dict[tuple[str, str], str] = {}
        self.shared_types: dict[str, str] = {}  # props types with a shared member: none of theirs is mechanical
        self.shared_whys: dict[str, str] = {}  # the evidence a shared parameter passes on -> the other ids' name
        self.changed = False
        self._type_depth = 0
        self._member_cache: dict[tuple[object, str], tuple[ts.Node, FileIndex] | None] = {}
        self._declaring_cache: dict[tuple[str, str], TypeRef] = {}
        self._prop_exprs_cache: dict[tuple[str, str], list[tuple[ts.Node, Func]]] = {}
        self._attrs: dict[int, list[tuple[str, ts.Node, bool]]] = {}  # JSX element id -> its expression attributes
        self._generic: dict[int, bool] = {}
        self._calls_parts: dict[int, tuple[ts.Node | None, list[ts.Node], str]] = {}  # see `_call_parts`
        self._btype_cache: dict[int, TypeRef | None] = {}

    def module_binding(self, name: str, fi: FileIndex, func: Func | None) -> Binding | None:
        """`name` in scope, else the one module-level binding of that name another file declares (an import)."""
        b = fi.resolve(name, func)
        if b is not None:
            return b
        if self._module_vars is None:
            self._module_vars = defaultdict(list)
            for f in self.files:
                for n, mb in f.module.items():
                    self._module_vars[n].append(mb)
        found = self._module_vars.get(name, [])
        return found[0] if len(found) == 1 else None

    def callees(self, name: str, fi: FileIndex | None = None) -> list[Func]:
        """The project functions a call named `name` (`callee_name`) in `fi` may reach. A method of a computed
        receiver (`?.get` of `this.cache.get(k)`, `ref.current.has(k)`) is found by its short name alone: it is
        taken only when one project function has that name and the name is not one of the built-in collections'
        methods (a `Map`'s `get`, a `Set`'s `has`), which such receivers mostly are. A name `fi` imports from a
        package (`import { isEqual } from 'lodash'`) is that package's function, not a project function of the
        same name, unless the project function's path names the package (a workspace package, a path alias)."""
        found = self.funcs.get(name, [])
        if name.startswith("?.") and (len(found) != 1 or name[2:] in BUILTIN_METHODS):
            return []
        if found and fi is not None and "." not in name:
            module = self.imported_from(fi).get(name)
            if module is not None and not module.startswith("."):
                segs = [s for s in re.split(r"[@/~#]", module) if s and s not in _PATH_WORDS]
                return [g for g in found if any(seg in g.file.sf.path for seg in segs)]
        return found

    def imported_from(self, fi: FileIndex) -> dict[str, str]:
        """Local name -> module specifier of the file's imports (`import x, { a, b as c } from 'm'`), once."""
        got = self._imports.get(id(fi))
        if got is None:
            got = self._imports[id(fi)] = {}
            for node in fi.tree.root_node.named_children:
                src = node.child_by_field_name("source") if node.type == "import_statement" else None
                if src is None:
                    continue
                module = fi.text(src)[1:-1]
                for clause in node.named_children:
                    for c in clause.named_children if clause.type == "import_clause" else ():
                        if c.type == "identifier":
                            got[fi.text(c)] = module
                        for spec in c.named_children if c.type == "named_imports" else ():
                            local = spec.child_by_field_name("alias") or spec.child_by_field_name("name")
                            if spec.type == "import_specifier" and local is not None:
                                got[fi.text(local)] = module
        return got

    def selector_getter(self, g: Func) -> bool:
        """`getUrlParam(URL_PARAMS.dashboardId)`, `getSetting('theme')`: a function called with two or more
        different constant selectors (a string, or a member of a PascalCase/UPPER_CASE constant object) returns
        a different value for each, so the key one call site assigns says nothing of its other callers' values:
        no backward flow into its returns. Memoized."""
        found = self._selector.get(id(g))
        if found is None:
            if self._calls_by_name is None:
                self._calls_by_name = defaultdict(list)
                for f in self.files:
                    for _call, _func, args, name in self._prepared(f)[0]:
                        self._calls_by_name[name].append((f, args))
            seen: set[str] = set()
            for f, args in self._calls_by_name.get(g.name, ()) if g.name else ():
                if args and _constant_selector(args[0], f):
                    seen.add(f.text(args[0]))
            found = self._selector[id(g)] = len(seen) >= 2
        return found

    def generic(self, g: Func) -> bool:
        """Whether `g` declares type parameters (`byId<T>(...)`), asked once per function."""
        found = self._generic.get(id(g))
        if found is None:
            found = self._generic[id(g)] = g.node.child_by_field_name("type_parameters") is not None
        return found

    def foreign(self, name: str | None) -> bool:
        """A name that designates another entity's ids (`patientId` where `patients` is another table of the
        schema): a barrier, the key's flow stops there (a mix-up upstream, never a reason to retype it)."""
        return bool(name) and bool(self.kn.foreign_word(name or ""))

    def _touch(self, fi: FileIndex) -> None:
        """Something `fi` holds changed: it and the files reading it run again next round."""
        self.changed = True
        self.touched.add(id(fi))

    def _read(self, table: Hashable) -> None:
        """The running file's round reads `table` (see `_reads`)."""
        if self._reading is not None:
            self._reading.add(table)

    def _touch_table(self, table: Hashable) -> None:
        """A project-wide table changed at `table`: the files whose round read it run again next round."""
        self.changed = True
        self.changed_tables.add(table)

    def _touch_all(self) -> None:
        """A project-wide table changed (type members, function-type params, storage slots)."""
        self.changed = True
        self.global_change = True

    def _prepared(self, fi: FileIndex) -> tuple[list[tuple[ts.Node, Func | None, list[ts.Node], str]],
                                                 list[tuple[ts.Node, Func | None, list[Func]]]]:
        """Calls with arguments and elements of project components, worked out once per file."""
        cached = self._prep.get(id(fi))
        if cached is None:
            calls = call_args(fi)
            jsx = []
            for el, func in fi.jsx:
                n = el.child_by_field_name("name")
                comps = self.funcs.get(fi.text(n), []) if n is not None else []
                if comps:
                    jsx.append((el, func, list(comps)))
            cached = (calls, jsx)
            self._prep[id(fi)] = cached
        return cached
