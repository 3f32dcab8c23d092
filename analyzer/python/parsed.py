"""One parsed Python file: text, CST, metadata (positions, qualified names) and a node index.

A file is read, decoded and parsed once; the index (nodes by type with their enclosing function and
class) is built in one pass, so every rule looks up what it needs instead of walking the tree again.
"""

from __future__ import annotations

import builtins
import functools
import hashlib
import os
import re
from abc import ABCMeta
from abc import _get_dump as _abc_get_dump  # type: ignore[attr-defined]
from array import array
from bisect import bisect_right
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, TypeVar

import libcst as cst
from libcst._nodes.expression import _BaseParenthesizedNode, _BaseSetOrDict
from libcst._nodes.internal import CodegenState

from analyzer.models import SourceFile, Span
from analyzer.python import fastparse
from analyzer.sources import Limits, Unreadable, read_source

N = TypeVar("N", bound=cst.CSTNode)


class _NodeMeta(ABCMeta):
    """The metaclass of LibCST's node classes, minus ABCMeta's Python-level `isinstance` hook.

    Every node class is an ABC, so each `isinstance(node, cst.Name)` that is false ran ABCMeta's
    `__instancecheck__` (a Python frame and a cache lookup): about 100 million of them on a large tree,
    a sixth of the scan. LibCST registers no virtual subclass and defines no `__subclasshook__`, so the
    plain type check answers the same; it is three times faster."""

    __instancecheck__ = type.__instancecheck__  # type: ignore[assignment]
    __subclasscheck__ = type.__subclasscheck__  # type: ignore[assignment]


def node_classes() -> set[type]:
    """Every LibCST node class: CSTNode and its subclasses, transitively."""
    todo: list[type] = [cst.CSTNode]
    seen: set[type] = set()
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        todo.extend(cls.__subclasses__())
    return seen


def _plain_node_classes() -> None:
    for cls in node_classes():
        if type(cls) is ABCMeta and not _abc_get_dump(cls)[0]:  # no registered virtual subclass
            cls.__class__ = _NodeMeta
        # LibCST's nodes are equal only when identical and hash by id, in Python methods it copies into every
        # node class: object's own (C) methods answer the same without a Python call. Every dict keyed by nodes
        # (positions, the index, flow's facts) hashes them: ten million calls on a large scan.
        if cls.__dict__.get("__hash__") is _NODE_HASH:
            cls.__hash__ = object.__hash__  # type: ignore[assignment]
        if cls.__dict__.get("__eq__") is _NODE_EQ:
            cls.__eq__ = object.__eq__  # type: ignore[assignment]


_NODE_HASH = cst.CSTNode.__dict__["__hash__"]
_NODE_EQ = cst.CSTNode.__dict__["__eq__"]
_plain_node_classes()


class ParseFailure(Exception):
    """The file cannot be decoded or parsed: a Skipped outcome, never a crash."""


@dataclass(eq=False)
class FuncInfo:
    node: cst.FunctionDef
    name: str
    qualname: str  # "Class.method" or "func"
    func_id: str  # "app.services.render.render"
    cls: str | None
    params: list[cst.Param]
    decorators: list[cst.Decorator]
    #: filled by the flow analysis: local names holding the key -> evidence
    env: dict[str, str] = field(default_factory=dict)
    #: local names holding an instance (or a collection) of an affected ORM class -> class name
    instances: dict[str, str] = field(default_factory=dict)
    #: local names holding an object of a scanned class (`repo = ContentRepository(db)`) -> class name
    objects: dict[str, str] = field(default_factory=dict)
    route: tuple[str, str, str] | None = None  # (method, path template, router variable)
    task: bool = False
    dependency: bool = False
    body_nodes: list[cst.CSTNode] | None = None
    _positional: tuple[cst.Param, ...] | None = None

    def param(self, name: str) -> cst.Param | None:
        for p in self.params:
            if p.name.value == name:
                return p
        return None

    def positional(self) -> tuple[cst.Param, ...]:
        """The parameters a positional argument binds, in order (`self` and `cls` aside); computed once (the
        flow asks at every call of the function it resolves: polar, ~54,000 times a scan)."""
        got = self._positional
        if got is None:
            got = self._positional = tuple(p for p in self.params if p.name.value not in ("self", "cls"))
        return got


@dataclass(slots=True)
class Entry:
    node: cst.CSTNode
    func: FuncInfo | None
    cls: cst.ClassDef | None


@functools.lru_cache(maxsize=16384)
def module_name(path: str) -> str:
    """`app/api/items.py` -> app.api.items (a package's `__init__.py` -> the package). Kept: the scan and the rules
    ask it of the same paths again and again (polar: 10,000 asks, PurePosixPath 13 us each)."""
    p = PurePosixPath(path)
    parts = list(p.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_hint(path: str) -> str | None:
    """The layer a file's path suggests (used when the construct does not decide)."""
    low = path.lower()
    name = PurePosixPath(low).name
    parts = set(PurePosixPath(low).parts)
    if "tests" in parts or "test" in parts or name.startswith("test_") or name.endswith("_test.py") \
            or name == "conftest.py" or "factories" in name:  # pytest collects test_*.py and *_test.py
        return "test"
    if "alembic" in parts or "migrations" in parts or "versions" in parts:
        return "migration"
    if re.search(r"(^|/)tasks?(/|\.py$)|workers?(/|\.py$)|celery", low):
        return "task"
    if re.search(r"(^|/)(api|routes?|routers?|endpoints?|views?)(/|\.py$)", low):
        return "route"
    if re.search(r"(^|/)(schemas?|serializers?)(/|\.py$)", low):
        return "pydantic"
    if re.search(r"(^|/)(services?|repositor(y|ies)|repos?|crud|domain)(/|\.py$)|_(service|repo|repository)\.py$", low):
        return "service"
    if re.search(r"(^|/)(sql|queries|raw_sql)(/|\.py$)|_sql\.py$", low):
        return "raw-sql"
    if re.search(r"(^|/)(models?|tables?|orm)(/|\.py$)", low):
        return "db-model"
    return None


#: the Flask-SQLAlchemy extension class under the import paths it has had (`flask.ext.` before Flask 1.0)
_FLASK_SQLA = frozenset({"flask_sqlalchemy.SQLAlchemy", "flask_sqlalchemy.extension.SQLAlchemy",
                         "flask.ext.sqlalchemy.SQLAlchemy", "flask_sqlalchemy.SignallingSQLAlchemy"})
#: an instance's attributes that are its own, not sqlalchemy's (the rest proxy `sqlalchemy` and `sqlalchemy.orm`)
_FLASK_OWN = frozenset({"Model", "session", "engine", "engines", "metadata", "metadatas", "init_app", "create_all",
                        "drop_all", "reflect", "get_engine", "get_or_404", "first_or_404", "one_or_404", "paginate",
                        "create_scoped_session", "create_session", "get_app", "app", "Query", "get_tables_for_bind"})
#: names the extension takes from `sqlalchemy.orm` (it copies `sqlalchemy`'s public names, then `sqlalchemy.orm`'s)
_ORM_NAMES = frozenset({
    "relationship", "relation", "backref", "dynamic_loader", "column_property", "composite", "synonym", "deferred",
    "defer", "undefer", "undefer_group", "joinedload", "selectinload", "subqueryload", "lazyload", "noload",
    "raiseload", "immediateload", "contains_eager", "load_only", "defaultload", "aliased", "with_polymorphic",
    "with_parent", "mapped_column", "Mapped", "declared_attr", "validates", "reconstructor", "object_session",
    "Session", "sessionmaker", "scoped_session", "foreign", "remote", "mapper", "class_mapper", "object_mapper",
    "make_transient", "make_transient_to_detached", "query_expression", "with_expression", "selectin_polymorphic",
    "attribute_keyed_dict", "attribute_mapped_collection", "column_keyed_dict", "mapped_collection",
    "comparable_property", "outerjoin", "join", "exc", "Load", "Bundle", "registry", "polymorphic_union",
    "configure_mappers", "clear_mappers", "declarative_base", "DeclarativeBase", "synonym_for", "relationships"})


class ProjectNames:
    """What a name another module of the scanned code defines stands for, when the import alone does not say.

    Flask-SQLAlchemy: `db = SQLAlchemy(app)` (or a subclass of the extension) is an object whose attributes
    proxy sqlalchemy's names (`db.Column`, `db.Integer`, `db.ForeignKey`, `db.Table`) and sqlalchemy.orm's
    (`db.relationship`, `db.backref`), usually defined in one module and imported everywhere else (`from
    app.extensions import db`, re-exported by a package). The instances are found from the raw texts of every
    file (those that name `SQLAlchemy`, then those importing an instance's name), not only the parsed ones:
    the module defining `db` rarely mentions the key. One per scan, shared by its parsed files."""

    def __init__(self, texts: dict[str, str], files: list[SourceFile] | None = None) -> None:
        #: module-qualified names of the instances ("app.extensions.db") and of the extension's classes
        self.flask_dbs: set[str] = set()
        self._classes: set[str] = set(_FLASK_SQLA)
        self._files = files
        self._tables: dict[tuple[str, str], list[tuple[int, str]]] | None = None
        modules = {path: module_name(path) for path in texts if path.endswith(".py")}
        #: a base computes its subclasses' table names (`@declared_attr def __tablename__(cls)`)
        self._derived_names = any("def __tablename__" in texts[path] for path in modules)
        trees: dict[str, Any] = {}
        words: tuple[str, ...] = ("flask_sqlalchemy", "flask.ext.sqlalchemy")  # then the project's subclasses
        for _ in range(3):  # subclasses of the extension, in the same module or imported from another
            before = (len(self._classes), len(self.flask_dbs))
            for path, mod in modules.items():
                if path not in trees and any(w in texts[path] for w in words):
                    trees[path] = _module_ast(texts[path])
                if trees.get(path) is not None:
                    self._read_module(mod, path, trees[path])
            if (len(self._classes), len(self.flask_dbs)) == before:
                break
            words = tuple(q.rsplit(".", 1)[-1] + "(" for q in self._classes - _FLASK_SQLA)
        for _ in range(3):  # re-exports: `from app.extensions import db` in a package's __init__.py
            tails = {q.rsplit(".", 1)[-1] for q in self.flask_dbs}
            if not tails:
                break
            names = "|".join(map(re.escape, sorted(tails)))
            word = re.compile(rf"\bimport\b[^\n]*\b(?:{names})\b|\bimport\s*\([^)]*\b(?:{names})\b")
            before_dbs = len(self.flask_dbs)
            for path, mod in modules.items():
                if not word.search(texts[path]):
                    continue
                tree = trees[path] if path in trees else trees.setdefault(path, _module_ast(texts[path]))
                if tree is not None:
                    for local, qname in _ast_imports(tree, mod, path).items():
                        if self.is_flask_db(qname):
                            self.flask_dbs.add(f"{mod}.{local}")
            if len(self.flask_dbs) == before_dbs:
                break

    def words(self, tables: Collection[str]) -> frozenset[str]:
        """Prefilter words for models that may name their table only through their class name: `db.Model`
        (Flask-SQLAlchemy), and where a base's `declared_attr` names the tables, the classes the models reader
        maps to one of `tables` (the impacted ones)."""
        out = {f"{q.rsplit('.', 1)[-1]}.Model" for q in self.flask_dbs}
        if self._derived_names:
            out |= {cls for (_path, cls), found in self._class_tables().items() if any(t in tables for _l, t in found)}
        return frozenset(out)

    def _class_tables(self) -> dict[tuple[str, str], list[tuple[int, str]]]:
        if self._tables is None:
            from analyzer.db.models_schema import class_tables

            self._tables = class_tables(self._files or [])
        return self._tables

    def _read_module(self, mod: str, path: str, tree: Any) -> None:
        import ast

        imports = _ast_imports(tree, mod, path)

        def qualified(node: Any) -> str:
            dotted = _ast_dotted(node)
            head, _, rest = dotted.partition(".")
            base = imports.get(head, f"{mod}.{head}")
            return f"{base}.{rest}" if rest else base

        for stmt in tree.body:
            if isinstance(stmt, ast.ClassDef) and any(self._is_class(qualified(b)) for b in stmt.bases):
                self._classes.add(f"{mod}.{stmt.name}")
            value = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(
                stmt, ast.AnnAssign) else []
            if isinstance(value, ast.Call) and self._is_class(qualified(value.func)):
                self.flask_dbs.update(f"{mod}.{t.id}" for t in targets if isinstance(t, ast.Name))

    def _is_class(self, qname: str) -> bool:
        return any(_same_name(qname, c) for c in self._classes)

    def is_flask_db(self, qname: str) -> bool:
        """Does this module-qualified name (`app.extensions.db`) name a Flask-SQLAlchemy instance?"""
        return bool(self.flask_dbs) and any(_same_name(qname, q) for q in self.flask_dbs)

    def table_of(self, pf: ParsedFile, cls: cst.ClassDef) -> str | None:
        """The table a class without `__tablename__` maps when a Flask-SQLAlchemy model (the extension names it
        after the class; a subclass declaring no primary key shares its parent's) or a subclass of a base whose
        `declared_attr` computes it (`def __tablename__(cls): return cls.__name__.lower()`), as the models reader
        decides; None for any other class. The reader runs once, on the first class asked about, and only in a
        tree where either can be (an extension instance, a text defining `__tablename__`)."""
        if not (self.flask_dbs or self._derived_names) or self._files is None:
            return None
        found = self._class_tables().get((pf.path, cls.name.value), [])
        if not found:
            return None
        line = pf.line(cls)
        return min(found, key=lambda f: abs(f[0] - line))[1]


def _same_name(a: str, b: str) -> bool:
    """Two module-qualified names of one object: equal, or one the other under a root's prefix (a tree scanned
    from above its packages: `backend.app.db` and `app.db`), with a module part on both."""
    if a == b:
        return True
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return "." in short and long.endswith("." + short)


def _module_ast(text: str) -> Any:
    import ast

    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _ast_dotted(node: Any) -> str:
    import ast

    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _ast_dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def _ast_imports(tree: Any, mod: str, path: str) -> dict[str, str]:
    """A module's top-level imports, as `ParsedFile.imports` records them (local name -> qualified name)."""
    import ast

    out: dict[str, str] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            for a in stmt.names:
                out[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(stmt, ast.ImportFrom):
            module = stmt.module or ""
            if stmt.level:
                package = mod.split(".")
                keep = len(package) - stmt.level + (1 if path.endswith("__init__.py") else 0)
                module = ".".join([*package[:max(keep, 0)], *([module] if module else [])])
            for a in stmt.names:
                if a.name != "*":
                    out[a.asname or a.name] = f"{module}.{a.name}" if module else a.name
    return out


class ParsedFile:
    def __init__(self, src: SourceFile, text: str, module: cst.Module, positions: dict[cst.CSTNode, int] | None = None
                 ) -> None:
        self.src = src
        self.path = src.path
        self.text = text
        self.digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()
        self.module = module
        #: local name -> what it was imported as ("sa" -> "sqlalchemy", "Mapped" -> "sqlalchemy.orm.Mapped")
        self.imports: dict[str, str] = {}
        self.local_names: set[str] = set()
        self.modname = module_name(src.path)
        #: the scan's knowledge of other modules (set by the scan, None for a file parsed on its own)
        self.project: ProjectNames | None = None
        self._proxies: dict[str, bool] = {}  # name -> is it a Flask-SQLAlchemy instance (for `project`)
        #: dotted name -> its qualified name (qnames), for the `project` they were qualified with
        self._qualified: dict[str, str] = {}
        self._qualified_for: ProjectNames | None = None
        self.layer = layer_hint(src.path)
        #: str offset of each line's start (an array of machine ints: a list holds an int object per line)
        self._line_starts = array("q", [0])
        self._line_starts.extend(m.end() for m in re.finditer(r"\r\n|\r|\n", text))
        self.index: dict[type, list[Entry]] = {}
        self.functions: list[FuncInfo] = []
        self.classes: list[cst.ClassDef] = []
        self.func_of: dict[cst.CSTNode, FuncInfo] = {}
        # One pass over the tree: LibCST's own codegen (what PositionProvider runs), with the indexer
        # hooked on every node it emits, in lexical order (the order a visitor sees them). This avoids
        # MetadataWrapper (an extra, empty batched visit) and a separate visitor walk, which together
        # cost ~3x the parse. Positions are kept as str offsets packed in one int per node (start << 32 |
        # end), and turned into lines and columns only for the nodes asked about.
        #: built by `fastparse` (from `ast`): positions come with the tree, the codegen would not give them
        self.converted = positions is not None
        if positions is not None:
            end = len(text)
            if text and not text.endswith(("\n", "\r")):  # as the codegen counts the newline it writes at the end
                end += len(module.default_newline)
                self._line_starts.append(max(end, self._line_starts[-1] + 1))
            positions[module] = end
            self._pos: dict[cst.CSTNode, int] = positions
            _index_walk(module, _Indexer(self))
            return
        state = _IndexingCodegenState(default_indent=module.default_indent,
                                      default_newline=module.default_newline, indexer=_Indexer(self))
        _codegen_pass(module, state)
        if state.popped:  # no newline at the end: the codegen wrote one (and took it back) after the text
            self._line_starts.append(max(state.offset, self._line_starts[-1] + 1))
        self._pos = state.computed

    # ---------------------------------------------------------------- positions and text
    def _packed(self, node: cst.CSTNode) -> int:
        got = self._pos.get(node)
        if got is None and type(node) in _SHARED_TYPES:  # one instance stands at many places (see _SHARED_TYPES)
            raise LookupError(f"{type(node).__name__} nodes are shared: ask the position of the node owning it")
        if got is None and self.converted:
            raise LookupError(f"{type(node).__name__} nodes have no position in a tree built from ast")
        if got is None:  # whitespace, punctuation or an operator: not kept by the one pass; all of them now
            state = _IndexingCodegenState(default_indent=self.module.default_indent,
                                          default_newline=self.module.default_newline, indexer=_NO_INDEX,
                                          unplaced=frozenset())
            _codegen_pass(self.module, state)
            self._pos = state.computed
            got = self._pos[node]
        return got

    def span(self, node: cst.CSTNode) -> Span:
        packed = self._packed(node)
        start, end = packed >> 32, packed & _LOW
        line = bisect_right(self._line_starts, start)
        end_line = bisect_right(self._line_starts, end)
        return Span(line, start - self._line_starts[line - 1] + 1, end_line, end - self._line_starts[end_line - 1] + 1)

    def offsets(self, node: cst.CSTNode) -> tuple[int, int]:
        packed = self._packed(node)
        return packed >> 32, packed & _LOW

    def line(self, node: cst.CSTNode) -> int:
        return bisect_right(self._line_starts, self._packed(node) >> 32)

    def where(self, node: cst.CSTNode) -> str:
        return f"{self.path}:{self.line(node)}"

    def code(self, node: cst.CSTNode) -> str:
        start, end = self.offsets(node)
        return self.text[start:end]

    # ---------------------------------------------------------------- names
    def qnames(self, node: cst.CSTNode) -> set[str]:
        """Qualified names through the module's imports (`sa.Column` -> sqlalchemy.Column).

        A cheap stand-in for LibCST's QualifiedNameProvider (which costs ~8x a parse): names defined
        in the module stay bare, so a local `Column` class never resolves to sqlalchemy's.
        """
        dotted = _dotted(node)
        if dotted is None:
            return set()
        # (kept per dotted name: the same few hundred names of a file are asked for a hundred thousand times
        # on a large tree; the answer depends on the name, the file's imports and the scan's project names)
        if self._qualified_for is not self.project:
            self._qualified.clear()
            self._qualified_for = self.project
        got = self._qualified.get(dotted)
        if got is None:
            got = self._qualified[dotted] = self._qualify(dotted)
        return {got}

    def _qualify(self, dotted: str) -> str:
        head, _, rest = dotted.partition(".")
        project = self.project
        if project is not None and project.flask_dbs:
            proxy = self._proxies.get(head)
            if proxy is None:
                proxy = self._proxies[head] = project.is_flask_db(self.imports.get(head, f"{self.modname}.{head}"))
            if proxy:
                return _proxied(rest)
        if head in self.imports:
            base = self.imports[head]
            return f"{base}.{rest}" if rest else base
        if not rest and head in _BUILTINS and head not in self.local_names:
            return f"builtins.{head}"
        return dotted

    def resolves_to(self, node: cst.CSTNode, *suffixes: str, packages: tuple[str, ...] = ()) -> bool:
        """Does `node` name something imported from `packages` ending in one of `suffixes`?"""
        for q in self.qnames(node):
            if packages and not q.startswith(packages):
                continue
            tail = q.rsplit(".", 1)[-1]
            if tail in suffixes:
                return True
        return False

    def reset(self) -> None:
        """Forget what a previous scan learned (a cached file is reused with another closure)."""
        self.project = None
        self._proxies.clear()
        self._qualified.clear()
        for fi in self.functions:
            fi.env.clear()
            fi.instances.clear()
            fi.objects.clear()
            fi.route = None
            fi.task = False
            fi.dependency = False

    def returns_of(self, fi: FuncInfo) -> list[cst.Return]:
        return [e.node for e in self.of(cst.Return) if e.func is fi and isinstance(e.node, cst.Return)]

    def of(self, kind: type[N]) -> list[Entry]:
        return self.index.get(kind, [])

    def calls_resolving(self, names: Collection[str]) -> list[Entry]:
        """The calls whose callee may have a qualified name (`qnames`, `resolves_to`) ending in one of `names`, in
        source order: `x.name(...)` (every qualified name of an attribute chain ends with its last attribute), and
        a bare callee whose own qualified name does (`bp(...)` after `from sqlalchemy import bindparam as bp`); any
        other callee (a call's result, a subscript) has none. For a rule's `resolves_to` on the calls of a file,
        without asking it of each (polar: four rules, 100,000 calls each)."""
        attrs, bare = self._calls()
        got = self.__dict__.get("_bare_tails")
        if got is None or got[0] is not self.project:  # (a bare name's qualified name follows the project's names)
            by_tail: dict[str, list[tuple[int, Entry]]] = {}
            for hits in bare.values():
                tail = next(iter(self.qnames(hits[0][1].node.func)), "").rsplit(".", 1)[-1]  # type: ignore[attr-defined]
                by_tail.setdefault(tail, []).extend(hits)
            for hits in by_tail.values():
                hits.sort(key=_first)
            got = (self.project, by_tail)
            self._bare_tails: tuple[ProjectNames | None, dict[str, list[tuple[int, Entry]]]] = got
        return _merged((attrs, got[1]), names)

    def calls_named(self, names: Collection[str]) -> list[Entry]:
        """The calls written `name(...)` or `x.name(...)` (`facts.callee_name`) for one of `names`, in source order:
        for a rule that asks a few callee names of every call of a file (polar: seven rules, 100,000 calls each,
        0.1 s), from an index of the calls by that name, made on the first ask."""
        return _merged(self._calls(), names)

    def _calls(self) -> tuple[dict[str, list[tuple[int, Entry]]], dict[str, list[tuple[int, Entry]]]]:
        """The calls (numbered in source order) of `x.name(...)` by `name`, and of `name(...)` by `name`."""
        got = self.__dict__.get("_call_names")
        if got is None:
            attrs: dict[str, list[tuple[int, Entry]]] = {}
            bare: dict[str, list[tuple[int, Entry]]] = {}
            for k, entry in enumerate(self.index.get(cst.Call, ())):
                f = entry.node.func  # type: ignore[attr-defined]
                if type(f) is cst.Attribute:
                    attrs.setdefault(f.attr.value, []).append((k, entry))
                elif type(f) is cst.Name:
                    bare.setdefault(f.value, []).append((k, entry))
            got = self._call_names = (attrs, bare)
        return got  # type: ignore[no-any-return]


def _merged(tables: tuple[dict[str, list[tuple[int, Entry]]], ...], names: Collection[str]) -> list[Entry]:
    """The entries of `tables` under `names`, in the order of their numbers."""
    present = [table[n] for n in dict.fromkeys(names) for table in tables if n in table]
    if len(present) == 1:
        return [entry for _k, entry in present[0]]
    return [entry for _k, entry in sorted((hit for hits in present for hit in hits), key=_first)]


def _first(pair: tuple[int, Entry]) -> int:
    return pair[0]


def _proxied(rest: str) -> str:
    """The qualified name `db.<rest>` stands for when `db` is a Flask-SQLAlchemy instance."""
    attr, _, more = rest.partition(".")
    if not attr:
        return "flask_sqlalchemy.SQLAlchemy"
    if attr == "Model":
        base = "flask_sqlalchemy.Model"
    elif attr in _FLASK_OWN:
        base = f"flask_sqlalchemy.SQLAlchemy.{attr}"
    elif attr in _ORM_NAMES:
        base = f"sqlalchemy.orm.{attr}"
    else:
        base = f"sqlalchemy.{attr}"
    return f"{base}.{more}" if more else base


_INDEXED = (cst.Call, cst.Comparison, cst.BinaryOperation, cst.SimpleString, cst.FormattedString,
            cst.ConcatenatedString, cst.Assign, cst.AnnAssign, cst.Assert, cst.ClassDef, cst.FunctionDef,
            cst.Subscript, cst.FormattedStringExpression, cst.AugAssign, cst.Return, cst.For, cst.Dict)


_INDEXED_TYPES = frozenset(_INDEXED)
#: what flow's per-function body walk keeps (flow._Body), and the nodes a def's body can be
_BODY_TYPES = frozenset((cst.Assign, cst.AnnAssign, cst.For, cst.CompFor, cst.Comparison, cst.Call, cst.Return))
_SUITE_TYPES = frozenset((cst.IndentedBlock, cst.SimpleStatementSuite))
_SCOPE_TYPES = frozenset((cst.Import, cst.ImportFrom, cst.ClassDef, cst.FunctionDef))
#: the node types _Indexer does anything for (the codegen pass calls it for these only)
_HOOKED = _INDEXED_TYPES | _BODY_TYPES | _SUITE_TYPES | _SCOPE_TYPES | {cst.Lambda}
_BUILTINS = frozenset(dir(builtins))


def _dotted(node: cst.CSTNode) -> str | None:
    if type(node) is cst.Name:  # (exact types: neither class has subclasses, and a false isinstance is slow)
        return node.value
    if type(node) is cst.Attribute:
        base = _dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


_LOW = (1 << 32) - 1
#: whitespace, punctuation and operator nodes: two thirds of a tree's nodes, whose position no rule or fact
#: asks for; not recording them saves a tenth of the scan's memory. Asking anyway records every node's
#: position for that file (ParsedFile._packed).
_UNPLACED: frozenset[type] = frozenset(
    cls for cls in vars(cst).values() if isinstance(cls, type) and issubclass(cls, cst.CSTNode) and (
        issubclass(cls, (cst.BaseParenthesizableWhitespace, cst.TrailingWhitespace, cst.EmptyLine, cst.Newline,
                         cst.Comma, cst.Dot, cst.Colon, cst.AssignEqual, cst.Semicolon, cst.LeftParen,
                         cst.LeftSquareBracket, cst.RightSquareBracket, cst.LeftCurlyBrace, cst.RightCurlyBrace,
                         cst.BaseBinaryOp, cst.BaseBooleanOp, cst.BaseCompOp, cst.BaseUnaryOp, cst.BaseAugOp))))
#: (RightParen and ImportStar end an import's syntactic span: LibCST asks for their positions)


#: Whitespace nodes are immutable, carry no position anyone asks for (see _UNPLACED: never recorded) and
#: are mostly equal: `SimpleWhitespace(" ")`, `Newline()`, a trailing newline, the indentation inside
#: brackets. They are over half of a tree's nodes (309k SimpleWhitespace of 749k nodes in 300 polar files, 9
#: distinct values); while the parser builds a tree, equal ones are one shared instance per value
#: (_SharingMeta; a comment keeps its own nodes: a Comment's position is recorded). On those 300 files the
#: parsed files' RSS went from 117 to 96 MB. Nothing compares them by identity (positions, edits and findings come from other nodes), and
#: asking one's position raises (ParsedFile._packed) instead of answering for another place.
_SHARED_TYPES: frozenset[type] = frozenset((cst.SimpleWhitespace, cst.Newline, cst.TrailingWhitespace,
                                           cst.EmptyLine, cst.ParenthesizedWhitespace))
_SHARED: dict[tuple[object, ...], cst.CSTNode] = {}
_SHARED_MAX = 20_000


def _shared_key(node: Any) -> tuple[object, ...] | None:
    """What makes two whitespace nodes equal (None: a comment inside, keep this one)."""
    kind = type(node)
    if kind is cst.SimpleWhitespace or kind is cst.Newline:
        return (kind, node.value)
    if kind is cst.TrailingWhitespace:
        return None if node.comment is not None else (kind, node.whitespace.value, node.newline.value)
    if kind is cst.EmptyLine:
        return None if node.comment is not None else (kind, node.indent, node.whitespace.value, node.newline.value)
    if kind is cst.ParenthesizedWhitespace:
        first = _shared_key(node.first_line)
        lines = tuple(_shared_key(e) for e in node.empty_lines)
        if first is None or None in lines or type(node.last_line) is not cst.SimpleWhitespace:
            return None
        return (kind, first, lines, node.indent, node.last_line.value)
    return None


def _shared(node: Any) -> Any:
    key = _shared_key(node)
    if key is None:
        return node
    got = _SHARED.get(key)
    if got is None:
        if len(_SHARED) >= _SHARED_MAX:  # odd indentation everywhere: stop sharing new values
            return node
        got = _SHARED[key] = node
    return got


class _SharingMeta(_NodeMeta):
    """The whitespace node classes' metaclass: while `_native_parse` runs, a node equal to one already built
    is that one (`_shared`), so the parser's millions of `SimpleWhitespace(" ")` and `Newline()` cost a dict
    lookup instead of a construction, and no later pass has to swap them."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if not _sharing or args:
            return type.__call__(cls, *args, **kwargs)
        key: tuple[object, ...] | None = None  # _shared_key's, read from the arguments when they are all there
        if cls is cst.SimpleWhitespace or cls is cst.Newline:
            if len(kwargs) == 1:  # their one field, value
                key = (cls, kwargs.get("value"))
        elif cls is cst.TrailingWhitespace:
            if len(kwargs) == 2 and "whitespace" in kwargs and "newline" in kwargs:  # no comment
                key = (cls, kwargs["whitespace"].value, kwargs["newline"].value)
        elif cls is cst.EmptyLine:
            if len(kwargs) == 3 and "indent" in kwargs and "whitespace" in kwargs and "newline" in kwargs:
                key = (cls, kwargs["indent"], kwargs["whitespace"].value, kwargs["newline"].value)
        if key is not None:
            got = _SHARED.get(key)
            if got is not None:
                return got
        return _shared(type.__call__(cls, **kwargs))


_sharing = False
for _cls in _SHARED_TYPES:
    if type(_cls) is _NodeMeta:
        _cls.__class__ = _SharingMeta


def _unchecked(self: cst.CSTNode) -> None:
    pass


_CHECKED = cst.CSTNode.__dict__["__post_init__"]


def _native_parse(text: str) -> cst.Module:
    """`libcst.parse_module`, minus the check every node's constructor runs (`CSTNode._validate`: a fifth of
    the parse, redundant for the nodes the native parser builds from the text), and with the whitespace
    nodes shared (`_SharingMeta`). The check is back in place for any node built after it. (A LibCST bug
    where the check refused a tree the parser built from valid code, e.g. `() if 0 else(lambda:())`, no
    longer makes the file a ParseFailure.)"""
    global _sharing
    cst.CSTNode.__post_init__ = _unchecked  # type: ignore[method-assign]
    _sharing = True
    try:
        return cst.parse_module(text)
    finally:
        _sharing = False
        cst.CSTNode.__post_init__ = _CHECKED  # type: ignore[method-assign]


class _NoIndex:
    def on_visit(self, node: cst.CSTNode) -> bool:
        return True

    def on_leave(self, node: cst.CSTNode) -> None:
        pass


_NO_INDEX = _NoIndex()


@dataclass(frozen=False)
class _IndexingCodegenState(CodegenState):
    """LibCST's codegen, counting str offsets instead of building the code, calling the indexer on the nodes
    it looks at and recording each node's position as PositionProvider would (the syntactic span: without
    the leading and trailing whitespace a node owns), packed as `start << 32 | end`. Run by `_codegen_pass`,
    which puts `_indexing_codegen` in place of every node's `_codegen` for the pass."""

    indexer: Any = None
    #: node types whose position is not recorded (see _UNPLACED)
    unplaced: frozenset[type] = field(default_factory=lambda: _UNPLACED)
    offset: int = 0
    last: str = ""
    popped: int = 0
    computed: dict[cst.CSTNode, int] = field(default_factory=dict)

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None,  # type: ignore[override]
                                  end_node: cst.CSTNode | None = None) -> _Syntactic:
        return _Syntactic(self, node, start_node, end_node)

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.add_token(token)

    def add_token(self, value: str) -> None:
        if not self.tokens:  # the module asks whether anything was written; nothing else reads them
            self.tokens.append(value)
        self.offset += len(value)
        self.last = value

    def pop_trailing_newline(self) -> None:
        """The module's last newline, written by its last statement, is not in the text. Positions keep
        counting it (as PositionProvider does: a last line without a newline ends at the next line)."""
        if self.offset:
            self.popped = len(self.last)


def _indexing_codegen(self: cst.CSTNode, state: _IndexingCodegenState, **kwargs: Any) -> None:
    """`CSTNode._codegen` during a `_codegen_pass`: LibCST's (before_codegen, the node's code, after_codegen)
    in one frame, the indexer called only for the node types it looks at."""
    kind = type(self)
    start = state.offset
    if kind in _HOOKED:
        state.indexer.on_visit(self)
        self._codegen_impl(state, **kwargs)
        if kind not in state.unplaced:  # a syntactic position recorded by the node itself wins
            state.computed.setdefault(self, start << 32 | state.offset)
        state.indexer.on_leave(self)
        return
    self._codegen_impl(state, **kwargs)
    if kind not in state.unplaced:
        state.computed.setdefault(self, start << 32 | state.offset)


class _Parens:
    """`with node._parenthesize(state)` during a `_codegen_pass`: LibCST's generator-based context manager
    (its lpar, the node's syntactic position around the block, its rpar) as a plain class, a third the calls;
    an exception passes through without writing the rpar, as there."""

    __slots__ = ("node", "state", "start")

    def __init__(self, node: Any, state: _IndexingCodegenState) -> None:
        self.node, self.state = node, state

    def __enter__(self) -> None:
        state = self.state
        for lpar in self.node.lpar:
            lpar._codegen(state)
        self.start = state.offset

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            state = self.state
            state.computed[self.node] = self.start << 32 | state.offset
            for rpar in self.node.rpar:
                rpar._codegen(state)


class _Enclosed:
    """`_bracketize` / `_braceize` (List, Set, Dict and their comprehensions) during a `_codegen_pass`."""

    __slots__ = ("opening", "closing", "state")

    def __init__(self, opening: cst.CSTNode, closing: cst.CSTNode, state: _IndexingCodegenState) -> None:
        self.opening, self.closing, self.state = opening, closing, state

    def __enter__(self) -> None:
        self.opening._codegen(self.state)

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.closing._codegen(self.state)


def _whitespace_codegen(self: Any, state: _IndexingCodegenState, **kwargs: Any) -> None:
    """`_indexing_codegen` of a SimpleWhitespace or a Newline (half the nodes a pass writes), its `_codegen_impl`
    and `add_token` inlined: the value (a Newline's None is the module's default newline)."""
    value = self.value
    if value is None:
        value = state.default_newline
    if not state.tokens:
        state.tokens.append(value)
    start = state.offset
    state.offset = end = start + len(value)
    state.last = value
    if type(self) not in state.unplaced:
        state.computed.setdefault(self, start << 32 | end)


def _atom_codegen(self: Any, state: _IndexingCodegenState, **kwargs: Any) -> None:
    """`_indexing_codegen` of a Name (a tenth of the nodes), an Integer, a Float or an Imaginary without
    parentheses, inlined: one token, the value, whose span is the syntactic position `_parenthesize` records
    (whatever `unplaced` says). None of them is _HOOKED."""
    if self.lpar or self.rpar:
        _indexing_codegen(self, state, **kwargs)
        return
    value = self.value
    if not state.tokens:
        state.tokens.append(value)
    start = state.offset
    state.offset = end = start + len(value)
    state.last = value
    state.computed[self] = start << 32 | end


_CODEGEN_SWAPS: tuple[tuple[type, str, Any], ...] = (
    (cst.CSTNode, "_codegen", _indexing_codegen),
    (cst.SimpleWhitespace, "_codegen", _whitespace_codegen),
    (cst.Newline, "_codegen", _whitespace_codegen),
    *((kind, "_codegen", _atom_codegen) for kind in (cst.Name, cst.Integer, cst.Float, cst.Imaginary)),
    (_BaseParenthesizedNode, "_parenthesize", lambda self, state: _Parens(self, state)),
    (cst.BaseList, "_bracketize", lambda self, state: _Enclosed(self.lbracket, self.rbracket, state)),
    (_BaseSetOrDict, "_braceize", lambda self, state: _Enclosed(self.lbrace, self.rbrace, state)),
)


def _codegen_pass(module: cst.Module, state: _IndexingCodegenState) -> None:
    """The module's codegen into `state`, with LibCST's per-node hooks and context managers swapped for the
    cheaper ones above while it runs (only one pass runs at a time: the scan parses in one thread)."""
    saved = [(cls, name, cls.__dict__.get(name)) for cls, name, _fn in _CODEGEN_SWAPS]
    try:
        for cls, name, fn in _CODEGEN_SWAPS:
            setattr(cls, name, fn)
        module._codegen(state)
    finally:
        for cls, name, fn in saved:
            if fn is None:  # inherited (from CSTNode)
                delattr(cls, name)
            else:
                setattr(cls, name, fn)


class _Syntactic:
    """`with state.record_syntactic_position(node, ...)`: the span of what the block writes, or from
    `start_node`'s start to `end_node`'s end. libcst's version records it in a `finally`, which looks up the
    position of a child that was never reached when an exception (Ctrl-C) stops the codegen half-way: its
    KeyError replaced the KeyboardInterrupt, and the scan ended with "error: KeyError: <a CST dump>" instead
    of "interrupted" (exit 130). Here an exception passes through untouched."""

    __slots__ = ("state", "node", "start_node", "end_node", "start")

    def __init__(self, state: _IndexingCodegenState, node: cst.CSTNode, start_node: cst.CSTNode | None,
                 end_node: cst.CSTNode | None) -> None:
        self.state, self.node, self.start_node, self.end_node = state, node, start_node, end_node
        self.start = 0

    def __enter__(self) -> None:
        self.start = self.state.offset

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            return
        computed = self.state.computed
        start = computed[self.start_node] >> 32 if self.start_node is not None else self.start
        end = computed[self.end_node] & _LOW if self.end_node is not None else self.state.offset
        computed[self.node] = start << 32 | end


class _Indexer(cst.CSTVisitor):
    def __init__(self, pf: ParsedFile) -> None:
        self.pf = pf
        self.func_stack: list[FuncInfo] = []
        self.cls_stack: list[cst.ClassDef] = []
        #: what flow's body walk collected, gathered here in the same pass: per function, the nodes of
        #: _BODY_TYPES in its body, not inside a nested def, class or lambda. One frame per def (the
        #: function and whether its body has started), None per class or lambda (collect nothing).
        self.body_stack: list[list[Any] | None] = []

    def walk(self) -> None:
        self.pf.module.visit(self)

    def on_visit(self, node: cst.CSTNode) -> bool:
        # exact types, not isinstance (ABC checks dominate a walk); the indexed node types are concrete
        kind = type(node)
        if kind in _INDEXED_TYPES:
            func = self.func_stack[-1] if self.func_stack else None
            cls = self.cls_stack[-1] if self.cls_stack else None
            self.pf.index.setdefault(kind, []).append(Entry(node, func, cls))
        if kind in _BODY_TYPES:
            frame = self.body_stack[-1] if self.body_stack else None
            if frame is not None and frame[1]:
                frame[0].body_nodes.append(node)
        elif kind in _SUITE_TYPES:
            frame = self.body_stack[-1] if self.body_stack else None
            if frame is not None and node is frame[0].node.body:
                frame[1] = True
        elif kind is cst.Lambda:
            self.body_stack.append(None)
        if kind not in _SCOPE_TYPES:
            return True
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = _dotted(alias.name) or ""
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self.pf.imports[alias.asname.name.value] = full
                else:
                    head = full.split(".")[0]
                    self.pf.imports[head] = head
        elif isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
            module = _dotted(node.module) if node.module is not None else ""
            if node.relative:
                package = self.pf.modname.split(".")
                keep = len(package) - len(node.relative) + (1 if self.pf.src.path.endswith("__init__.py") else 0)
                module = ".".join([*package[:max(keep, 0)], *([module] if module else [])])
            for alias in node.names:
                name = _dotted(alias.name) or ""
                local = alias.asname.name.value if alias.asname is not None and isinstance(
                    alias.asname.name, cst.Name) else name
                self.pf.imports[local] = f"{module}.{name}" if module else name
        if isinstance(node, (cst.ClassDef, cst.FunctionDef)) and not self.func_stack and not self.cls_stack:
            self.pf.local_names.add(node.name.value)
        if isinstance(node, cst.ClassDef):
            self.cls_stack.append(node)
            self.pf.classes.append(node)
            self.body_stack.append(None)
        elif isinstance(node, cst.FunctionDef):
            owner = self.cls_stack[-1].name.value if self.cls_stack and not self.func_stack else None
            qual = f"{owner}.{node.name.value}" if owner else node.name.value
            if self.func_stack:
                qual = f"{self.func_stack[-1].qualname}.{node.name.value}"
            params = [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]
            info = FuncInfo(node, node.name.value, qual, f"{self.pf.modname}.{qual}", owner, params,
                            list(node.decorators), body_nodes=[])
            self.func_stack.append(info)
            self.body_stack.append([info, False])
            self.pf.functions.append(info)
            self.pf.func_of[node] = info
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        kind = type(original_node)
        if kind is cst.Lambda:
            self.body_stack.pop()
        if kind not in _SCOPE_TYPES:
            return
        if isinstance(original_node, cst.ClassDef):
            self.cls_stack.pop()
            self.body_stack.pop()
        elif isinstance(original_node, cst.FunctionDef):
            self.func_stack.pop()
            self.body_stack.pop()


def read_text(abs_path: str, limits: Limits | None = None) -> str:
    """The file's text, newlines as written; `ParseFailure` (a Skipped outcome) when it is not a regular
    file, over the size limit, minified, or not UTF-8."""
    try:
        data = read_source(abs_path, limits)
    except Unreadable as exc:
        raise ParseFailure(str(exc)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseFailure(f"not UTF-8: {exc.reason} at byte {exc.start}") from None


#: CPython's tokenizer refuses more than 200 nested brackets ("too many nested parentheses"), so deeper
#: code is not a Python module anyone runs; libcst's native parser overflows the C stack (SIGSEGV, the
#: whole scan dies) from about 1,300.
MAX_NESTING = 200
#: a bound on the parser's recursion: 5 per open bracket plus every operator, trailer, string and
#: `elif` chained along the way. libcst's native parser dies from about 6,500 chained operators
#: (`a+a+...`, `not not ...`, `-------1`, `x.a.b...`, long `elif` chains); its Python side raises
#: RecursionError far sooner, so nothing parseable is lost below this limit.
MAX_CHAIN = 1500
_BRACKET_COST = 5
_NEST_TOKEN = re.compile(
    # Runs where no other group can start, one match (the loop skips it) instead of the engine trying every
    # group at each of their characters, which cost a third of this pass: blanks, a whole word that is not an
    # operator and no string's prefix (not followed by a quote), a lone `=`, `:`, `!`; never at a line's start
    # (`lead` matches there). The other groups' matches are the same as without it.
    r"(?P<skip>(?:(?<=[^\n])[ \t]+|(?<=[^\w\n])(?!(?:and|or|not|if|else|lambda|await|in|is)(?!\w))\w+(?![\w'\"])"
    r"|(?<=[^\n])[=:!](?!=))+)"
    r"|(?P<str>(?i:[rbuf]|br|rb|fr|rf)?(?:'''(?:[^\\]|\\.)*?'''|\"\"\"(?:[^\\]|\\.)*?\"\"\""
    r"|'(?:[^\\'\r\n]|\\.)*'|\"(?:[^\\\"\r\n]|\\.)*\"))"
    r"|(?P<comment>#[^\r\n]*)"
    r"|(?P<cont>\\\r?\n)"
    r"|(?P<lead>^[ \t]*(?P<word>[A-Za-z_]\w*)?)"
    r"|(?P<open>[(\[{])|(?P<close>[)\]}])|(?P<sep>[,;])|(?P<nl>\r\n|\r|\n)"
    r"|(?P<op>\*\*|//|<<|>>|<=|>=|==|!=|->|:=|[-+*/%@&|^~<>.]|\b(?:and|or|not|if|else|lambda|await|in|is)\b)",
    re.M,
)
_OP_WORDS = frozenset({"and", "or", "not", "if", "else", "lambda", "await", "in", "is"})


def nesting_problem(text: str) -> str | None:
    """Why the parser must not see this text (nesting deep enough to crash it), or None.

    One linear pass of a regex tokenizer, run before libcst: strings and comments are skipped (their
    brackets do not nest, except inside an f-string, which is counted whole), brackets nest, and
    operators chain until the next `,`, `;` or end of statement.
    """
    if text.count("(") + text.count("[") + text.count("{") <= MAX_NESTING and len(text) < MAX_CHAIN:
        return None
    depth = deepest = 0
    chain: list[int] = [0]  # operators chained in the open segment of each bracket level
    cost = worst = 0
    elifs: dict[int, int] = {}
    for m in _NEST_TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "skip":
            continue
        if kind == "word":
            kind = "lead"
        if kind == "str":
            s = m.group()
            inner = _fstring_depth(s) if "f" in s[:3].lower().split("'")[0].split('"')[0] else 0
            if depth + inner > deepest:
                deepest = depth + inner
            chain[-1] += 1
            cost += 1
        elif kind == "open":
            chain[-1] += 1
            chain.append(0)
            depth += 1
            cost += 1 + _BRACKET_COST
            deepest = max(deepest, depth)
        elif kind == "close":
            if depth:
                depth -= 1
                cost -= chain.pop() + _BRACKET_COST
        elif kind == "op":
            chain[-1] += 1
            cost += 1
        elif kind == "sep":
            cost -= chain[-1]
            chain[-1] = 0
        elif kind == "nl" and depth == 0:
            cost -= chain[-1]
            chain[-1] = 0
        elif kind == "lead" and depth == 0:
            word = m.group("word")
            indent = len(m.group()) - len(word or "")
            if word is None:
                continue
            for k in [k for k in elifs if k > indent or (k == indent and word not in ("elif", "else"))]:
                del elifs[k]
            if word == "elif":
                elifs[indent] = elifs.get(indent, 0) + 1
                cost += 1
            if word in _OP_WORDS:
                chain[-1] += 1
                cost += 1
        elif kind == "lead" and m.group("word") in _OP_WORDS:
            chain[-1] += 1
            cost += 1
        if cost > worst:
            worst = cost
        if deepest > MAX_NESTING:
            return f"nesting depth {deepest:,}+ exceeds the parser's limit of {MAX_NESTING}"
        if worst > MAX_CHAIN:
            return f"an expression nested or chained about {worst:,}+ deep exceeds the parser's limit of {MAX_CHAIN:,}"
    return None


def _fstring_depth(s: str) -> int:
    """Brackets nest inside an f-string's replacement fields (libcst parses them): the raw depth, counted
    without regard to quotes or escapes (an over-estimate, which is the safe side)."""
    depth = deepest = 0
    for ch in s:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}" and depth:
            depth -= 1
    return deepest


class _Walkers(dict[type, Any]):
    """Node type -> the index walk of such a node (`walk(node, indexer)`), written once per type from its
    children's fields (`fastparse.kid_fields`), in the order the codegen pass would call the indexer. None for
    a type with no children that is not _HOOKED (a `Name`, an `Integer`: a third of a tree's nodes, not
    entered) and for what is not a node (None, a sentinel)."""

    def __missing__(self, kind: type) -> Any:
        got = self[kind] = _index_walker(kind)
        return got


_WALK = _Walkers()


def _index_walker(kind: type) -> Any:
    if not (isinstance(kind, type) and issubclass(kind, cst.CSTNode)):
        return None
    fields = fastparse.kid_fields(kind)
    hooked = kind in _HOOKED
    if not fields and not hooked:
        return None
    lines = ["def walk(n, ix):"]
    if hooked:
        lines.append("    ix.on_visit(n)")
    for name in fields:  # (a field holds a node, a sequence of nodes, or neither: None, a sentinel)
        lines += [f"    v = n.{name}", "    c = v.__class__", "    if c is list or c is tuple:", "        for x in v:",
                  "            w = W[x.__class__]", "            if w is not None:", "                w(x, ix)",
                  "    else:", "        w = W[c]", "        if w is not None:", "            w(v, ix)"]
    if hooked:
        lines.append("    ix.on_leave(n)")
    env: dict[str, Any] = {"W": _WALK}
    exec("\n".join(lines) + "\n", env)  # noqa: S102 - written from LibCST's field names
    return env["walk"]


def _index_walk(node: cst.CSTNode, indexer: _Indexer) -> None:
    """The indexer over a tree built by `fastparse`, in the order the codegen pass would call it."""
    walk = _WALK[type(node)]
    if walk is not None:
        walk(node, indexer)


def parse_fast(src: SourceFile, text: str) -> ParsedFile:
    """The file's tree built from `ast` (`fastparse`); `fastparse.Unsupported` where LibCST must parse it."""
    module, positions = fastparse.convert(text)
    return ParsedFile(src, text, module, positions)


#: IMPACT_THOROUGH=1 (the engine's shortcuts off) parses every file with LibCST itself, never through `fastparse`
_FAST = os.environ.get("IMPACT_THOROUGH") != "1"


def parse(src: SourceFile, text: str, *, fast: bool | None = None) -> ParsedFile:
    """The file parsed and indexed: through `fastparse` where it builds the tree (`fast`, default: unless
    IMPACT_THOROUGH=1), else by LibCST. (CPython's parser guards its own stack; LibCST's native parser does
    not, so `nesting_problem` screens only what goes to LibCST.)"""
    if _FAST if fast is None else fast:
        try:
            return parse_fast(src, text)
        except (fastparse.Unsupported, RecursionError):
            pass  # LibCST parses it (and reports what it cannot)
    problem = nesting_problem(text)
    if problem:
        raise ParseFailure(problem)
    try:
        module = _native_parse(text)
    except cst.ParserSyntaxError as exc:
        raise ParseFailure(f"syntax error at line {exc.raw_line}: {exc.message}") from None
    except Exception as exc:  # libcst raises a few other errors on odd input
        raise ParseFailure(f"cannot parse: {type(exc).__name__}: {exc}") from None
    try:
        return ParsedFile(src, text, module)
    except RecursionError:
        raise ParseFailure("nested too deeply for the analyzer (Python's recursion limit)") from None
