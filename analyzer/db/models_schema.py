"""Without --db: the schema as the SQLAlchemy / SQLModel models in the code declare it (dialect "models").

Read with `ast`, never imported: the tables SQLAlchemy itself would map. A class's columns come from its
whole MRO (Python's C3 order, first definer wins, as declarative scans it): mixins and `__abstract__`
bases contribute `Column(...)` / `mapped_column(...)` / `Mapped[...]` attributes and `@declared_attr`
columns; a mapped parent keeps its own columns (joined-table inheritance: the child has its own
`__tablename__`) or receives the child's (single-table: the child has none). Bases are found across
modules the way Python imports them: absolute and relative imports, re-exports in `__init__.py`, star
imports, aliases; by class name when an import names no scanned file and one class only has that name.
`__tablename__` may be computed by a `declared_attr` (`cls.__name__.lower()`, a camel-to-snake helper
with `re.sub`): a small evaluator runs such code on the class name only; what it cannot follow is said
(`SchemaSnapshot.notes`) rather than guessed. SQLModel: `table=True`, fields inherited from non-table
bases, the class name lowercased. A library base no scan can see (fastapi-users' user tables) is read
from a declaration of its columns kept here. Unparsable files are skipped: the scanners report them.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from analyzer.models import Column, ForeignKey, Index, SchemaSnapshot, SourceFile, Table

_TYPES = {
    "Integer": "INTEGER", "INTEGER": "INTEGER", "INT": "INTEGER", "int": "INTEGER",
    "BigInteger": "BIGINT", "BIGINT": "BIGINT", "SmallInteger": "SMALLINT", "SMALLINT": "SMALLINT",
    "String": "VARCHAR", "VARCHAR": "VARCHAR", "Unicode": "VARCHAR", "AutoString": "VARCHAR", "str": "VARCHAR",
    "Text": "TEXT", "TEXT": "TEXT", "UnicodeText": "TEXT", "CHAR": "CHAR",
    "Uuid": "UUID", "UUID": "UUID", "uuid.UUID": "UUID", "UUID_": "UUID", "GUID": "UUID", "UUIDType": "UUID",
    "Boolean": "BOOLEAN", "BOOLEAN": "BOOLEAN", "bool": "BOOLEAN",
    "DateTime": "DATETIME", "DATETIME": "DATETIME", "datetime": "DATETIME",
    "TIMESTAMP": "TIMESTAMP", "TIMESTAMPAware": "TIMESTAMP",
    "Float": "FLOAT", "float": "FLOAT", "Numeric": "NUMERIC", "NUMERIC": "NUMERIC", "DECIMAL": "NUMERIC",
    "JSON": "JSON", "JSONB": "JSONB", "Date": "DATE", "Enum": "VARCHAR", "LargeBinary": "BLOB",
}
_COLUMN_CALLS = ("Column", "mapped_column", "Field")
_TYPE_WRAPPERS = ("with_variant", "evaluates_none", "as_generic")
# what a base named only by an outside package is: a declarative root, SQLModel, or a class without columns
_ROOTS = frozenset({"DeclarativeBase", "DeclarativeBaseNoMeta"})
_PLAIN = frozenset({"object", "BaseModel", "Generic", "Protocol", "ABC", "Enum", "IntEnum", "StrEnum", "TypedDict",
                    "NamedTuple", "MappedAsDataclass", "AsyncAttrs", "Exception", "BaseSettings"})
_KNOWN_PACKAGES = frozenset({"sqlalchemy", "sqlmodel", "pydantic", "pydantic_settings", "typing",
                             "typing_extensions", "abc", "enum", "dataclasses", "collections", "flask_sqlalchemy"})
# a file is read when it may declare a table, a mixin or a base (others only when an import leads there)
_MARKERS = ("__tablename__", "Table(", "Column(", "column(", "Mapped[", "table=True", "SQLModel", "DeclarativeBase",
            "declarative_base", "as_declarative", ".mapped", "declared_attr")

# Library bases that define tables, for when the scan does not hold the library: the columns they map.
_LIBRARY_MODELS = {
    "fastapi_users_db_sqlalchemy": '''
class SQLAlchemyBaseUserTable:
    __tablename__ = "user"
    email: Mapped[str] = mapped_column(String(320), unique=True, index=True, nullable=False)
    hashed_password: Mapped[str] = mapped_column(String(1024), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False)
    is_superuser: Mapped[bool] = mapped_column(Boolean, nullable=False)
    is_verified: Mapped[bool] = mapped_column(Boolean, nullable=False)

class SQLAlchemyBaseUserTableUUID(SQLAlchemyBaseUserTable):
    id: Mapped[UUID] = mapped_column(GUID, primary_key=True)

class SQLAlchemyBaseOAuthAccountTable:
    __tablename__ = "oauth_account"
    oauth_name: Mapped[str] = mapped_column(String(100), index=True, nullable=False)
    access_token: Mapped[str] = mapped_column(String(1024), nullable=False)
    expires_at: Mapped[int | None] = mapped_column(Integer, nullable=True)
    refresh_token: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    account_id: Mapped[str] = mapped_column(String(320), index=True, nullable=False)
    account_email: Mapped[str] = mapped_column(String(320), nullable=False)

class SQLAlchemyBaseOAuthAccountTableUUID(SQLAlchemyBaseOAuthAccountTable):
    id: Mapped[UUID] = mapped_column(GUID, primary_key=True)

    @declared_attr
    def user_id(cls) -> Mapped[UUID]:
        return mapped_column(GUID, ForeignKey("user.id", ondelete="cascade"), nullable=False)
''',
    # Flask-Security's model mixins (`class User(db.Model, fsqla.FsUserMixin): pass`): their keys and the columns
    # that hold them (the tables are named user and role unless set_db_info says otherwise)
    "flask_security.models.fsqla": '''
class FsRoleMixin:
    id = Column(Integer, primary_key=True)
    name = Column(String(80), unique=True, nullable=False)

class FsUserMixin:
    id = Column(Integer, primary_key=True)
    email = Column(String(255), unique=True, nullable=False)
    fs_uniquifier = Column(String(64), unique=True, nullable=False)
''',
    "flask_security.models.fsqla_v2": "from flask_security.models.fsqla import FsRoleMixin, FsUserMixin\n",
    "flask_security.models.fsqla_v3": '''
from flask_security.models.fsqla import FsRoleMixin, FsUserMixin

class FsWebAuthnMixin:
    id = Column(Integer, primary_key=True)
    credential_id = Column(LargeBinary(1024), unique=True, nullable=False)

    @declared_attr
    def user_id(cls):
        return Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
''',
    "flask_security.models.fsqla_v4": '''
from flask_security.models.fsqla_v3 import FsRoleMixin, FsUserMixin, FsWebAuthnMixin

class FsRefreshTrackerMixin:
    id = Column(Integer, primary_key=True)
    refresh_family = Column(String(64), unique=True, nullable=False)

    @declared_attr
    def user_id(cls):
        return Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
''',
    "fastapi_users_db_sqlalchemy.access_token": '''
class SQLAlchemyBaseAccessTokenTable:
    __tablename__ = "accesstoken"
    token: Mapped[str] = mapped_column(String(43), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMPAware(timezone=True), index=True, nullable=False)

class SQLAlchemyBaseAccessTokenTableUUID(SQLAlchemyBaseAccessTokenTable):
    @declared_attr
    def user_id(cls) -> Mapped[UUID]:
        return mapped_column(GUID, ForeignKey("user.id", ondelete="cascade"), nullable=False)
''',
}


# --- expressions ----------------------------------------------------------------------------------------

def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return _name(node.func)
    if isinstance(node, ast.Subscript):
        return _name(node.value)
    return ""


def _short(node: ast.AST) -> str:
    return _name(node).rsplit(".", 1)[-1]


def _const(node: ast.AST | None) -> object:
    return node.value if isinstance(node, ast.Constant) else None


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_column_call(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Call) and _short(node.func) in _COLUMN_CALLS


def _subscript_args(node: ast.Subscript) -> list[ast.expr]:
    return list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]


def _type_of(node: ast.AST | None, type_map: dict[str, str] | None = None) -> str | None:
    """The column type an SQLAlchemy type expression or a Python annotation stands for."""
    if node is None:
        return None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _TYPE_WRAPPERS:
        return _type_of(node.func.value, type_map)  # String(30).with_variant(...)
    name = _name(node)
    short = name.rsplit(".", 1)[-1]
    if short in ("Optional", "Mapped", "Annotated") and isinstance(node, ast.Subscript):
        return _type_of(_subscript_args(node)[0], type_map)
    if isinstance(node, ast.BinOp):  # int | None
        left = _type_of(node.left, type_map)
        return left if left is not None else _type_of(node.right, type_map)
    if isinstance(node, ast.Constant) and node.value is None:
        return None
    if type_map and not isinstance(node, ast.Call):
        mapped = type_map.get(name) or type_map.get(short)
        if mapped:
            return mapped
    if name in _TYPES or short in _TYPES:
        t = _TYPES.get(name) or _TYPES[short]
        length = node.args[0] if isinstance(node, ast.Call) and node.args else (
            _kw(node, "length") if isinstance(node, ast.Call) else None)
        if t == "VARCHAR" and isinstance(_const(length), int):
            return f"VARCHAR({_const(length)})"
        return t
    return None


def _optional(annotation: ast.expr | None) -> bool | None:
    """Whether an annotation admits None (`X | None`, `Optional[X]`); None when there is no annotation."""
    if annotation is None:
        return None
    if isinstance(annotation, ast.Subscript) and _short(annotation.value) in ("Mapped", "Annotated"):
        return _optional(_subscript_args(annotation)[0])
    if isinstance(annotation, ast.Subscript) and _short(annotation.value) == "Optional":
        return True
    if isinstance(annotation, ast.BinOp):
        return any(_const(side) is None and isinstance(side, ast.Constant) or _optional(side)
                   for side in (annotation.left, annotation.right))
    return False


# --- what a class body says -----------------------------------------------------------------------------

@dataclass
class _Attr:
    """One attribute of a class body that may map a column."""

    name: str
    value: ast.expr | None
    annotation: ast.expr | None
    declared: ast.FunctionDef | None = None  # a @declared_attr method


@dataclass
class _Col:
    name: str
    type: str | None = None
    fk: str | None = None
    on_delete: str | None = None
    pk: bool = False
    nullable: bool | None = None
    unique: bool = False
    autoincrement: bool | None = None
    typed: bool = False  # the call names its type (else a foreign key's column type wins, as in SQLAlchemy)


def _body(stmts: Iterable[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements as Python runs them: `if TYPE_CHECKING:` takes its else branch, other ifs and trys both."""
    for stmt in stmts:
        if isinstance(stmt, ast.If):
            test = _name(stmt.test.operand) if isinstance(stmt.test, ast.UnaryOp) else _name(stmt.test)
            if test.endswith("TYPE_CHECKING"):
                yield from _body(stmt.body if isinstance(stmt.test, ast.UnaryOp) else stmt.orelse)
            else:
                yield from _body(stmt.body)
                yield from _body(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            yield from _body(stmt.body)
            yield from _body(stmt.orelse)
        else:
            yield stmt


def _inner_classes(stmts: list[ast.stmt]) -> Iterator[ast.ClassDef]:
    """Every class statement, at any depth of statements (expressions are not visited: fast)."""
    for stmt in stmts:
        if isinstance(stmt, ast.ClassDef):
            yield stmt
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            inner = getattr(stmt, name, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt | ast.excepthandler
                                                                 | ast.match_case):
                if isinstance(inner[0], ast.stmt):
                    yield from _inner_classes(inner)
                else:
                    for h in inner:
                        yield from _inner_classes(h.body)


def _declares_pk(cls: _Class) -> bool:
    """Does the class body itself declare a primary key (a column with `primary_key=True`, or a
    `PrimaryKeyConstraint` in `__table_args__`)? A Flask-SQLAlchemy subclass of a mapped model that does
    gets a table of its own, named after the class (joined-table inheritance); one that does not shares its
    parent's table (single-table inheritance), as flask_sqlalchemy's `__table_cls__` decides."""
    for attr in cls.attrs:
        call = attr.value if attr.declared is None else next(
            (s.value for s in ast.walk(attr.declared) if isinstance(s, ast.Return) and _is_column_call(s.value)), None)
        if isinstance(call, ast.Call) and _is_column_call(call) and _const(_kw(call, "primary_key")) is True:
            return True
    args = cls.table_args
    return args is not None and any(isinstance(n, ast.Call) and _short(n.func) == "PrimaryKeyConstraint"
                                    for n in ast.walk(args))


def _declared_attr(fn: ast.FunctionDef) -> bool:
    return any(_name(d).split(".")[-1] in ("declared_attr", "directive", "cascading")
               and "declared_attr" in _name(d) for d in fn.decorator_list)


class _Class:
    """A class statement, or a base made by a call (`Base = declarative_base()`)."""

    def __init__(self, module: _Module, name: str, node: ast.ClassDef | None = None,
                 bases: list[ast.expr] | None = None, root: bool = False) -> None:
        self.module, self.name, self.node, self.line = module, name, node, node.lineno if node else 0
        self.bases = list(node.bases) if node else list(bases or [])
        self.root = root  # a declarative base itself: never a table
        self.mapped_decorator = False
        self.table_kw = False
        self.abstract = False
        self.tablename: ast.expr | ast.FunctionDef | None = None
        self.table_args: ast.expr | ast.FunctionDef | None = None
        self.type_map: dict[str, str] = {}
        self.attrs: list[_Attr] = []
        self.extra_bases: list[_Class | _Ext] = []  # bases known without an expression (Flask's db.Model)
        if node is not None:
            self._read(node)

    def _read(self, node: ast.ClassDef) -> None:
        for kw in node.keywords:
            if kw.arg == "table" and _const(kw.value) is True:
                self.table_kw = True
        for d in node.decorator_list:
            short = _short(d)
            if short in ("mapped", "mapped_as_dataclass"):
                self.mapped_decorator = True
            elif short in ("as_declarative", "as_declarative_base"):
                self.root = True
        for stmt in _body(node.body):
            if isinstance(stmt, ast.FunctionDef) and _declared_attr(stmt):
                if stmt.name == "__tablename__":
                    self.tablename = stmt
                elif stmt.name == "__table_args__":
                    self.table_args = stmt
                elif not stmt.name.startswith("__"):
                    self.attrs.append(_Attr(stmt.name, None, stmt.returns, declared=stmt))
                continue
            value: ast.expr | None
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                attr, value, annotation = stmt.targets[0].id, stmt.value, None
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                attr, value, annotation = stmt.target.id, stmt.value, stmt.annotation
            else:
                continue
            if attr == "__tablename__":
                self.tablename = value
            elif attr == "__abstract__":
                self.abstract = _const(value) is True
            elif attr == "__table_args__":
                self.table_args = value
            elif attr == "type_annotation_map" and isinstance(value, ast.Dict):
                for k, v in zip(value.keys, value.values, strict=True):
                    t = _type_of(v)
                    if k is not None and t:
                        self.type_map[_name(k)] = t
                        self.type_map[_short(k)] = t
            elif not attr.startswith("__"):
                self.attrs.append(_Attr(attr, value, annotation))


@dataclass(frozen=True)
class _Ext:
    """A base outside the scanned code. role: root | sqlmodel | flask_root | flask_db | plain | unknown."""

    name: str
    role: str


@dataclass(eq=False)
class _Module:
    path: Path
    shown: str  # the path findings carry
    tree: ast.Module
    classes: dict[str, _Class] = field(default_factory=dict)
    nested: list[_Class] = field(default_factory=list)
    imports: dict[str, tuple[str, int, str | None]] = field(default_factory=dict)  # local -> (module, level, name)
    stars: list[tuple[str, int]] = field(default_factory=list)
    assigns: dict[str, ast.expr] = field(default_factory=dict)
    functions: dict[str, ast.FunctionDef] = field(default_factory=dict)
    made: dict[str, object] = field(default_factory=dict)  # assigns already resolved

    def read(self) -> None:
        for stmt in _body(self.tree.body):
            if isinstance(stmt, ast.ClassDef):
                self.classes[stmt.name] = _Class(self, stmt.name, stmt)
            elif isinstance(stmt, ast.FunctionDef):
                self.functions[stmt.name] = stmt
            elif isinstance(stmt, ast.Import):
                for a in stmt.names:
                    if a.asname:
                        self.imports[a.asname] = (a.name, 0, None)
                    else:
                        top = a.name.split(".")[0]
                        self.imports[top] = (top, 0, None)
            elif isinstance(stmt, ast.ImportFrom):
                for a in stmt.names:
                    if a.name == "*":
                        self.stars.append((stmt.module or "", stmt.level))
                    else:
                        self.imports[a.asname or a.name] = (stmt.module or "", stmt.level, a.name)
            elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                self.assigns[stmt.targets[0].id] = stmt.value
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
                self.assigns[stmt.target.id] = stmt.value
        known = {id(c.node) for c in self.classes.values()}
        for inner in _inner_classes(self.tree.body):  # classes defined inside functions (tests, factories)
            if id(inner) not in known:
                cls = _Class(self, inner.name, inner)
                self.nested.append(cls)
                self.classes.setdefault(inner.name, cls)

    def all_classes(self) -> list[_Class]:
        return [*dict.fromkeys([*self.classes.values(), *self.nested])]


def module_suffixes(path: Path) -> list[str]:
    """The dotted names an absolute import may find the file at (`app.models`, `models`)."""
    parts = list(path.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return [".".join(parts[i:]) for i in range(len(parts) - 1, max(len(parts) - 12, 0), -1)]


def markers(text: str) -> tuple[bool, ...]:
    """Which of the words that make the reading open a file the text holds."""
    return tuple(k in text for k in _MARKERS)


@dataclass(frozen=True)
class ModelReads:
    """What reading the models looked at besides each file's markers (`markers`, which decide whether a file
    is opened): the files it parsed (for their markers or followed by an import), the dotted names it looked
    a module up by, and the paths it looked for a relative import or a submodule at. A file none of these
    names and whose text holds no marker is opened by no step of the reading: it cannot change the schema
    (analyzer.incremental.base_schema, diff mode)."""

    read: frozenset[str]  # absolute paths
    asked: frozenset[str]
    tried: frozenset[str]

    def opens(self, abs_path: str) -> bool:
        path = Path(abs_path)
        return str(path) in self.read or str(path) in self.tried or any(n in self.asked for n in module_suffixes(path))


# --- the project: modules found by import -------------------------------------------------------------

_Resolved = _Class | _Ext | _Module


class _Project:
    def __init__(self, files: list[SourceFile]) -> None:
        self.shown: dict[Path, str] = {}
        self.suffixes: dict[str, list[Path]] = {}
        self.modules: dict[Path, _Module | None] = {}
        self.by_name: dict[str, list[_Class]] = {}
        self.flask_models: dict[_Ext, _Class] = {}  # a Flask-SQLAlchemy instance -> its db.Model, when given a base
        #: what the reading asked of the file list beyond the files it read (`ModelReads`)
        self.asked: set[str] = set()
        self.tried: set[Path] = set()
        for f in files:
            path = Path(f.abs_path)
            self.shown[path] = f.path
            for name in module_suffixes(path):
                self.suffixes.setdefault(name, []).append(path)

    def module(self, path: Path, text: str | None = None) -> _Module | None:
        if path in self.modules:
            return self.modules[path]
        self.modules[path] = None
        try:
            source = text if text is not None else path.read_text(encoding="utf-8")
            tree = _parse(source)
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError, MemoryError):
            return None  # (MemoryError: CPython's parser on nesting too deep for its stack)
        mod = _Module(path, self.shown.get(path, str(path)), tree)
        mod.read()
        self.modules[path] = mod
        for cls in mod.classes.values():
            self.by_name.setdefault(cls.name, []).append(cls)
        return mod

    def library(self, dotted: str) -> _Module | None:
        if dotted not in _LIBRARY_MODELS:
            return None
        path = Path(f"<{dotted}>")
        self.shown.setdefault(path, dotted)
        return self.module(path, _LIBRARY_MODELS[dotted])

    def function(self, name: str, mod: _Module) -> tuple[ast.FunctionDef, _Module] | None:
        """A module-level function `mod` defines or imports under `name` (followed to its module)."""
        if name in mod.functions:
            return mod.functions[name], mod
        if name in mod.imports:
            dotted, level, orig = mod.imports[name]
            found = self.find(dotted, level, mod)
            if isinstance(found, _Module) and orig and orig in found.functions:
                return found.functions[orig], found
        return None

    def find(self, dotted: str, level: int, importer: _Module) -> _Module | None | bool:
        """The module an import names; False when it is outside the scan (a library)."""
        if level:
            base = importer.path.parent
            for _ in range(level - 1):
                base = base.parent
            target = base.joinpath(*dotted.split(".")) if dotted else base
            for candidate in (target.with_suffix(".py") if dotted else None, target / "__init__.py"):
                if candidate is not None:
                    self.tried.add(candidate)
                if candidate is not None and candidate in self.shown:
                    return self.module(candidate)
            return False
        if dotted.split(".")[0] in _KNOWN_PACKAGES:
            return False
        self.asked.add(dotted)
        paths = self.suffixes.get(dotted)
        if not paths:
            return self.library(dotted) or False
        if len(paths) > 1:  # two copies of a package: the one nearest the importer
            paths = sorted(paths, key=lambda p: (-_common(p, importer.path), str(p)))
        return self.module(paths[0])

    def lookup(self, mod: _Module, name: str, seen: frozenset[tuple[Path, str]] = frozenset()) -> _Resolved:
        if (mod.path, name) in seen or len(seen) > 40:
            return _Ext(name, "unknown")
        seen = seen | {(mod.path, name)}
        if name in mod.classes:
            return mod.classes[name]
        if name in mod.assigns:
            if name not in mod.made:
                mod.made[name] = _Ext(name, "unknown")  # a cycle reads as unknown
                mod.made[name] = self._assigned(mod, name, mod.assigns[name], seen)
            made = mod.made[name]
            assert isinstance(made, _Class | _Ext | _Module)
            return made
        if name in mod.imports:
            return self.imported(mod, name, seen)
        for dotted, level in mod.stars:
            found = self.find(dotted, level, mod)
            if isinstance(found, _Module):
                got = self.lookup(found, name, seen)
                if not (isinstance(got, _Ext) and got.role == "unknown"):
                    return got
        return _Ext(name, _role(name))

    def imported(self, mod: _Module, name: str, seen: frozenset[tuple[Path, str]] = frozenset()) -> _Resolved:
        dotted, level, orig = mod.imports[name]
        if orig is None:
            found = self.find(dotted, 0, mod)
            return found if isinstance(found, _Module) else _Ext(dotted, "module")
        found = self.find(dotted, level, mod)
        if isinstance(found, _Module):
            got = self.lookup(found, orig, seen)
            if isinstance(got, _Ext) and got.role == "unknown":  # `from pkg import submodule`
                return self.submodule(found, orig) or got
            return got
        return self._outside(dotted, level, orig)

    def submodule(self, package: _Module, name: str) -> _Module | None:
        if package.path.name != "__init__.py":
            return None
        for candidate in (package.path.parent / f"{name}.py", package.path.parent / name / "__init__.py"):
            self.tried.add(candidate)
            if candidate in self.shown:
                return self.module(candidate)
        return None

    def _outside(self, dotted: str, level: int, name: str) -> _Resolved:
        """A name imported from a module the scan does not hold."""
        if not level and dotted.split(".")[0] in _KNOWN_PACKAGES:
            return _Ext(name, _role(name))
        if not level and (library := self.library(f"{dotted}.{name}")) is not None:
            return library  # `from flask_security.models import fsqla_v3 as fsqla`
        same = self.by_name.get(name, [])  # the project's own code under another import path
        return same[0] if len(same) == 1 else _Ext(name, "unknown")

    def _assigned(self, mod: _Module, name: str, value: ast.expr, seen: frozenset[tuple[Path, str]]) -> _Resolved:
        if isinstance(value, ast.Call):
            func = _short(value.func)
            if func in ("declarative_base", "generate_base"):
                cls_arg = _kw(value, "cls")
                return _Class(mod, name, bases=[cls_arg] if cls_arg is not None else [], root=True)
            if func == "SQLAlchemy" or self._extension_subclass(mod, value.func, seen):
                return self._flask_db(mod, name, value, seen)
        if isinstance(value, ast.Name | ast.Attribute | ast.Subscript):
            return self.resolve(mod, value, seen)
        return _Ext(name, "unknown")

    def _extension_subclass(self, mod: _Module, func: ast.expr, seen: frozenset[tuple[Path, str]]) -> bool:
        """`MySQLAlchemy()` where `class MySQLAlchemy(SQLAlchemy)` extends Flask-SQLAlchemy's extension."""
        made = self.resolve(mod, func, seen)
        return isinstance(made, _Class) and made.node is not None and any(
            isinstance(b, _Ext) and b.name == "SQLAlchemy" for b in
            (self.resolve(made.module, e, seen) for e in made.bases))

    def _flask_db(self, mod: _Module, name: str, call: ast.Call, seen: frozenset[tuple[Path, str]]) -> _Ext:
        """A Flask-SQLAlchemy instance. Its `db.Model` names tables after the classes; with
        `SQLAlchemy(model_class=Base)` it also derives from `Base` (whose columns, such as an `id` declared
        once for every model, the models inherit)."""
        db = _Ext(f"{mod.shown}:{name}", "flask_db")
        given = _kw(call, "model_class")
        if given is not None:
            base = self._assigned(mod, "Model", given, seen) if isinstance(given, ast.Call) \
                else self.resolve(mod, given, seen)
            if isinstance(base, _Class):
                model = _Class(mod, "Model")
                model.abstract = True  # db.Model itself maps no table
                model.extra_bases = [_Ext("Model", "flask_root"), base]
                self.flask_models[db] = model
        return db

    def resolve(self, mod: _Module, expr: ast.expr, seen: frozenset[tuple[Path, str]] = frozenset()) -> _Resolved:
        if isinstance(expr, ast.Subscript):
            return self.resolve(mod, expr.value, seen)
        if isinstance(expr, ast.Name):
            return self.lookup(mod, expr.id, seen)
        if isinstance(expr, ast.Attribute):
            owner = self.resolve(mod, expr.value, seen)
            if isinstance(owner, _Module):
                got = self.lookup(owner, expr.attr, seen)
                if isinstance(got, _Ext) and got.role == "unknown":
                    return self.submodule(owner, expr.attr) or got
                return got
            if isinstance(owner, _Ext) and owner.role == "flask_db" and expr.attr == "Model":
                return self.flask_models.get(owner) or _Ext("Model", "flask_root")
            if isinstance(owner, _Ext) and owner.role == "module":  # sa.orm.DeclarativeBase, pkg.mod.Base
                if owner.name.split(".")[0] in _KNOWN_PACKAGES:
                    role = _role(expr.attr)
                    return _Ext(expr.attr, role) if role != "unknown" else _Ext(f"{owner.name}.{expr.attr}", "module")
                found = self.find(owner.name, 0, mod)
                if isinstance(found, _Module):
                    return self.lookup(found, expr.attr, seen)
                return _Ext(f"{owner.name}.{expr.attr}", "module")
            return _Ext(expr.attr, "unknown")
        return _Ext(_name(expr), "unknown")


_NEWER_SYNTAX = (  # what an older interpreter's `ast` cannot parse, rewritten line for line
    (re.compile(r"^([ \t]*)type[ \t]+(\w+)(?:\[[^\]\n]*\])?[ \t]*=", re.M), r"\1\2 ="),  # 3.12 type alias
    (re.compile(r"^([ \t]*(?:class|def|async[ \t]+def)[ \t]+\w+)\[[^\]\n]*\]", re.M), r"\1"),  # 3.12 generics
    (re.compile(r"^([ \t]*except\*?[ \t]+)([^()\n:#]+,[^()\n:#]+):", re.M), r"\1(\2):"),  # 3.14 except A, B:
)


def _parse(source: str) -> ast.Module:
    """`ast.parse`, and for code written for a newer Python than the one running: its syntax rewritten,
    then each line that still does not parse replaced by `pass` (a few times at most). Line numbers hold."""
    try:
        return ast.parse(source)
    except SyntaxError:
        pass
    for pattern, repl in _NEWER_SYNTAX:
        source = pattern.sub(repl, source)
    for _ in range(5):
        try:
            return ast.parse(source)
        except SyntaxError as exc:
            lines = source.split("\n")
            if not exc.lineno or exc.lineno > len(lines):
                raise
            bad = lines[exc.lineno - 1]
            if bad.strip() == "pass":
                raise
            lines[exc.lineno - 1] = bad[: len(bad) - len(bad.lstrip())] + "pass"
            source = "\n".join(lines)
    return ast.parse(source)


def _role(name: str) -> str:
    if name in _ROOTS:
        return "root"
    if name == "SQLModel":
        return "sqlmodel"
    return "plain" if name in _PLAIN or hasattr(builtins, name) else "unknown"


def _common(a: Path, b: Path) -> int:
    n = 0
    for x, y in zip(a.parts, b.parts, strict=False):
        if x != y:
            break
        n += 1
    return n


# --- computed table names: a small evaluator over the class name ------------------------------------

class _Unknown(Exception):
    """Code the evaluator does not follow: the table name is not known."""


_NONE = object()  # `return None`: the class keeps its parent's table


def _snake_inflection(word: str) -> str:
    word = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", word)
    word = re.sub(r"([a-z\d])([A-Z])", r"\1_\2", word)
    return word.replace("-", "_").lower()


def _snake_flask(name: str) -> str:
    name = re.sub(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))", r"_\1", name)
    return name.lower().lstrip("_")


_STR_METHODS = {"lower", "upper", "strip", "lstrip", "rstrip", "title", "capitalize", "casefold", "replace",
                "removesuffix", "removeprefix"}


class _Eval:
    def __init__(self, project: _Project, cls_name: str, has_parent_table: bool) -> None:
        self.project, self.cls_name, self.has_parent_table = project, cls_name, has_parent_table
        self.depth = 0

    def tablename(self, fn: ast.FunctionDef, mod: _Module) -> object:
        params = [a.arg for a in fn.args.args]
        env: dict[str, object] = {params[0]: _ClsRef()} if params else {}
        return self.run(fn.body, env, mod)

    def run(self, body: list[ast.stmt], env: dict[str, object], mod: _Module) -> object:
        self.depth += 1
        if self.depth > 20:
            raise _Unknown("too deep")
        for stmt in body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue  # docstring
            if isinstance(stmt, ast.Return):
                return _NONE if stmt.value is None or _const(stmt.value) is None and isinstance(
                    stmt.value, ast.Constant) else self.expr(stmt.value, env, mod)
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                env[stmt.targets[0].id] = self.expr(stmt.value, env, mod)
                continue
            if isinstance(stmt, ast.If) and _short(stmt.test) == "has_inherited_table":
                branch = stmt.body if self.has_parent_table else stmt.orelse
                if any(isinstance(s, ast.Return) for s in branch):
                    return self.run(branch, env, mod)
                continue
            raise _Unknown(type(stmt).__name__)
        raise _Unknown("no return")

    def expr(self, node: ast.expr, env: dict[str, object], mod: _Module) -> object:
        if isinstance(node, ast.Constant) and isinstance(node.value, str | int):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in env:
                return env[node.id]
            raise _Unknown(node.id)
        if isinstance(node, ast.Attribute) and node.attr in ("__name__", "__qualname__"):
            if isinstance(self.expr(node.value, env, mod), _ClsRef):
                return self.cls_name
            raise _Unknown(node.attr)
        if isinstance(node, ast.JoinedStr):
            out = []
            for part in node.values:
                if isinstance(part, ast.FormattedValue):
                    if part.format_spec is not None or part.conversion not in (-1, 115):
                        raise _Unknown("format")
                    out.append(self.string(part.value, env, mod))
                else:
                    out.append(str(_const(part)))
            return "".join(out)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.string(node.left, env, mod) + self.string(node.right, env, mod)
        if isinstance(node, ast.Call):
            return self.call(node, env, mod)
        if isinstance(node, ast.ListComp) and len(node.generators) == 1:
            return self.comprehension(node, env, mod)
        raise _Unknown(type(node).__name__)

    def comprehension(self, node: ast.ListComp, env: dict[str, object], mod: _Module) -> list[object]:
        """`[x.lower() for x in names if x]` over a list of strings (a name split into words)."""
        gen = node.generators[0]
        items = self.expr(gen.iter, env, mod)
        if not isinstance(gen.target, ast.Name) or gen.is_async or not isinstance(items, list) or len(items) > 200:
            raise _Unknown("comprehension")
        out: list[object] = []
        for item in items:
            inner = {**env, gen.target.id: item}
            if all(self.expr(cond, inner, mod) for cond in gen.ifs):
                out.append(self.expr(node.elt, inner, mod))
        return out

    def string(self, node: ast.expr, env: dict[str, object], mod: _Module) -> str:
        value = self.expr(node, env, mod)
        if not isinstance(value, str):
            raise _Unknown("not a string")
        return value

    def call(self, node: ast.Call, env: dict[str, object], mod: _Module) -> object:
        func = node.func
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise _Unknown("*args")
        if isinstance(func, ast.Attribute) and func.attr in _STR_METHODS and not (
                isinstance(func.value, ast.Name) and func.value.id not in env):
            target = self.expr(func.value, env, mod)
            if isinstance(target, str):
                args = [self.expr(a, env, mod) for a in node.args]
                if node.keywords or not all(isinstance(a, str) for a in args):
                    raise _Unknown("str method")
                return str(getattr(target, func.attr)(*args))
        if isinstance(func, ast.Attribute) and func.attr == "join":
            sep = self.expr(func.value, env, mod)
            items = self.expr(node.args[0], env, mod) if len(node.args) == 1 else None
            if isinstance(sep, str) and isinstance(items, list):
                return sep.join(items)
            raise _Unknown("join")
        target = self.project.resolve(mod, func) if isinstance(func, ast.Name | ast.Attribute) else None
        dotted = _name(func)
        args = [self.expr(a, env, mod) for a in node.args]
        if _is_re(func, mod) or (
                isinstance(func, ast.Attribute) and func.attr in ("sub", "findall", "split")
                and isinstance(func.value, ast.Name) and func.value.id in mod.assigns):
            return self.regex(node, func, args, mod)
        library = target.name.rsplit(".", 1)[-1] if isinstance(target, _Ext) else ""
        if library in ("underscore", "camel_to_snake_case") and len(args) == 1 and isinstance(args[0], str):
            return _snake_inflection(args[0]) if library == "underscore" else _snake_flask(args[0])
        helper, where = self.function(func, mod)
        if helper is not None and where is not None and not node.keywords:
            params = [a.arg for a in helper.args.args]
            if len(params) != len(args):
                raise _Unknown("arguments")
            self.depth += 1
            return self.run(helper.body, dict(zip(params, args, strict=True)), where)
        raise _Unknown(dotted or "call")

    def function(self, func: ast.expr, mod: _Module) -> tuple[ast.FunctionDef | None, _Module | None]:
        found = self.project.function(func.id, mod) if isinstance(func, ast.Name) else None
        return found if found is not None else (None, None)

    def regex(self, node: ast.Call, func: ast.expr, args: list[object], mod: _Module) -> object:
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in mod.assigns:
            compiled = mod.assigns[func.value.id]  # PATTERN = re.compile(r"...")
            if not (isinstance(compiled, ast.Call) and _short(compiled.func) == "compile" and compiled.args
                    and isinstance(_const(compiled.args[0]), str)):
                raise _Unknown("pattern")
            args = [_const(compiled.args[0]), *args]
        flags = 0
        for kw in node.keywords:
            if kw.arg == "flags" and _short(kw.value) in ("I", "IGNORECASE"):
                flags |= re.IGNORECASE
            else:
                raise _Unknown("regex keyword")
        if not all(isinstance(a, str) for a in args):
            raise _Unknown("regex arguments")
        if re.search(r"\)[*+{]", str(args[0])) or len(self.cls_name) > 200:
            raise _Unknown("regex")  # a repeated group can backtrack for ever: not run
        try:
            if _short(func) == "sub" and len(args) == 3:
                return re.sub(str(args[0]), str(args[1]), str(args[2]), flags=flags)
            if _short(func) == "findall" and len(args) == 2:
                found = re.findall(str(args[0]), str(args[1]), flags=flags)
                if all(isinstance(x, str) for x in found):
                    return found
            if _short(func) == "split" and len(args) == 2:  # `re.split("(?=[A-Z])", name)`: the words
                return [x for x in re.split(str(args[0]), str(args[1]), flags=flags) if isinstance(x, str)]
        except re.error as exc:
            raise _Unknown("regex") from exc
        raise _Unknown("regex")


def _is_re(func: ast.expr, mod: _Module) -> bool:
    """`re.sub` / `re.findall` / `re.split` (also `import re as r`, `from re import sub`)."""
    if isinstance(func, ast.Attribute) and func.attr in ("sub", "findall", "split") \
            and isinstance(func.value, ast.Name):
        return mod.imports.get(func.value.id, ("", 0, ""))[:1] == ("re",) and mod.imports[func.value.id][2] is None
    if isinstance(func, ast.Name):
        return mod.imports.get(func.id, ("", 0, "")) in (("re", 0, "sub"), ("re", 0, "findall"), ("re", 0, "split"))
    return False


class _ClsRef:
    """`cls` inside a declared_attr."""


# --- mapping: which classes are tables, and their columns ---------------------------------------------

class _TableBuild:
    def __init__(self, name: str) -> None:
        self.name = name
        self.cols: dict[str, _Col] = {}  # attribute name -> column
        self.pk: tuple[str, ...] | None = None
        self.unique: list[tuple[str, ...]] = []
        self.indexes: list[Index] = []
        self.fks: list[ForeignKey] = []


class _Mapper:
    def __init__(self, project: _Project) -> None:
        self.project = project
        self._mro: dict[int, list[_Class | _Ext]] = {}
        self._mapped: dict[int, bool] = {}
        self._tables: dict[int, _TableBuild | None] = {}
        self.builds: dict[str, _TableBuild] = {}
        self.class_tables: dict[str, str] = {}
        self.notes: list[str] = []

    def bases(self, cls: _Class) -> list[_Class | _Ext]:
        out: list[_Class | _Ext] = list(cls.extra_bases)
        for expr in cls.bases:
            got = self.project.resolve(cls.module, expr)
            if got is cls and isinstance(expr, ast.Name) and expr.id in cls.module.imports:
                got = self.project.imported(cls.module, expr.id)  # `class User(User)` extends the imported one
            out.append(got if isinstance(got, _Class | _Ext) else _Ext(_name(expr), "unknown"))
        if cls.root and not any(isinstance(b, _Ext) and b.role == "root" for b in out):
            out.append(_Ext("DeclarativeBase", "root"))
        return out

    def mro(self, cls: _Class) -> list[_Class | _Ext]:
        key = id(cls)
        if key in self._mro:
            return self._mro[key]
        self._mro[key] = [cls, _Ext(cls.name, "unknown")]  # a cycle reads as an unknown base
        bases = self.bases(cls)
        if any(isinstance(b, _Ext) and b.role == "root" for b in bases):
            cls.root = True  # `class Base(DeclarativeBase)` is the base, not a table
        seqs: list[list[_Class | _Ext]] = [self.mro(b) if isinstance(b, _Class) else [b] for b in bases]
        merged = _c3([*seqs, bases])
        if merged is None:  # inconsistent order: depth first, left to right
            merged = list(dict.fromkeys(x for s in seqs for x in s))
        self._mro[key] = [cls, *merged]
        return self._mro[key]

    def declarative(self, cls: _Class) -> str:
        """yes: reaches a declarative base; unknown: might (a base outside the scan); no: a plain class."""
        found = "no"
        for b in self.mro(cls):
            if isinstance(b, _Class) and (b.root or b.mapped_decorator):
                return "yes"
            if isinstance(b, _Ext):
                if b.role in ("root", "flask_root"):
                    return "yes"
                if b.role not in ("plain", "sqlmodel"):
                    found = "unknown"
        return found

    def sqlmodel(self, cls: _Class) -> bool:
        return any(isinstance(b, _Ext) and b.role == "sqlmodel" for b in self.mro(cls))

    def mapped_parent(self, cls: _Class) -> _Class | None:
        return next((b for b in self.mro(cls)[1:] if isinstance(b, _Class) and self.is_mapped(b)), None)

    def is_mapped(self, cls: _Class) -> bool:
        key = id(cls)
        if key not in self._mapped:
            self._mapped[key] = False  # cycles
            self._mapped[key] = self._is_mapped(cls)
        return self._mapped[key]

    def _is_mapped(self, cls: _Class) -> bool:
        self.mro(cls)  # marks a direct subclass of DeclarativeBase as the base
        if cls.root or cls.abstract:
            return False
        if self.sqlmodel(cls):
            return cls.table_kw
        if not cls.mapped_decorator and self.declarative(cls) == "no":
            return False
        name = self.tablename(cls)
        if name is None or name is _NONE:  # no table of its own: single-table inheritance, or not mapped
            return self.mapped_parent(cls) is not None
        return True

    def tablename(self, cls: _Class) -> object:
        """str, _NONE (the parent's table), None (no table), or _Unknown (computed by code not followed)."""
        parent = None
        for b in self.mro(cls):
            if isinstance(b, _Ext):
                if b.role == "sqlmodel":
                    return cls.name.lower()
                if b.role == "flask_root":  # Flask-SQLAlchemy names the table after the class
                    parent = parent or self.mapped_parent(cls)
                    return _snake_flask(cls.name) if parent is None or _declares_pk(cls) else None
                continue
            if b.tablename is None:
                continue
            if isinstance(b.tablename, ast.FunctionDef):
                parent = self.mapped_parent(cls)
                try:
                    got = _Eval(self.project, cls.name, parent is not None).tablename(b.tablename, b.module)
                except _Unknown as exc:
                    return _Unknown(f"{b.name}.__tablename__", str(exc))
                except (RecursionError, ValueError, TypeError) as exc:
                    return _Unknown(f"{b.name}.__tablename__", type(exc).__name__)
                return got if isinstance(got, str) or got is _NONE else _Unknown(f"{b.name}.__tablename__", "")
            if b is not cls and self.is_mapped(b):
                continue  # a mapped parent's literal name is its own table's
            value = _const(b.tablename)
            if isinstance(value, str):
                return value
            if isinstance(b.tablename, ast.Constant) and value is None:
                return _NONE
            return _Unknown(f"{b.name}.__tablename__", ast.unparse(b.tablename)[:40])
        return None

    def table(self, cls: _Class) -> _TableBuild | None:
        key = id(cls)
        if key in self._tables:
            return self._tables[key]
        self._tables[key] = None
        if not self.is_mapped(cls):
            return None
        name = self.tablename(cls)
        if isinstance(name, _Unknown):
            where, why = name.args if len(name.args) == 2 else (str(name), "")
            self.notes.append(f"{cls.module.shown}:{cls.line}: the table name of {cls.name} comes from {where}, "
                              f"which impact cannot compute statically{f' ({why})' if why else ''}; that table is "
                              "left out (--db reads it from the database)")
            return None
        parent = self.mapped_parent(cls)
        build: _TableBuild | None
        if isinstance(name, str):
            build = self.builds.get(name)
            if build is not None and build.cols:
                return None  # another class maps this table already (first one read wins)
            build = build or _TableBuild(name)
            self.builds[name] = build
        else:  # single-table inheritance: the parent's table receives the columns
            build = self.table(parent) if parent else None
            if build is None:
                return None
        self._tables[key] = build
        self._columns(cls, build)
        self.class_tables.setdefault(cls.name, build.name)  # after __table_args__ may have named a schema
        return build

    def mapped_names(self, cls: _Class) -> set[str]:
        """Attribute names a mapped class maps (its own and those it got from mixins)."""
        names: set[str] = set()
        for b in self.mro(cls):
            if isinstance(b, _Class):
                names.update(a.name for a in b.attrs)
        return names

    def _columns(self, cls: _Class, build: _TableBuild) -> None:
        sqlmodel = self.sqlmodel(cls)
        type_map = next((b.type_map for b in self.mro(cls) if isinstance(b, _Class) and b.type_map), {})
        claimed: set[str] = set()
        seen: set[str] = set()
        table_args: tuple[_Class, ast.expr | ast.FunctionDef] | None = None
        for b in self.mro(cls):
            if not isinstance(b, _Class):
                continue
            if b is not cls and self.is_mapped(b):
                claimed |= self.mapped_names(b)
                continue
            if table_args is None and b.table_args is not None:
                table_args = (b, b.table_args)
            for attr in b.attrs:
                if attr.name in seen or attr.name in claimed:
                    continue
                seen.add(attr.name)
                col = self._column(attr, b.module, type_map, sqlmodel)
                if col is not None and col.name not in {c.name for c in build.cols.values()}:
                    build.cols[attr.name] = col
        if table_args is not None:
            _table_args(table_args[1], build)

    def _column(self, attr: _Attr, mod: _Module, type_map: dict[str, str], sqlmodel: bool) -> _Col | None:
        col = _Col(attr.name)
        annotation = attr.annotation
        value = attr.value
        if attr.declared is not None:
            returns = [s.value for s in ast.walk(attr.declared) if isinstance(s, ast.Return) and s.value is not None]
            value = next((r for r in returns if _is_column_call(r)), None)
            if value is None:
                return None  # relationship(), association_proxy(), ...
        mapped = isinstance(annotation, ast.Subscript) and _short(annotation.value) == "Mapped"
        if annotation is not None and _short(annotation) in ("ClassVar", "WriteOnlyMapped", "DynamicMapped"):
            return None
        alias_call = None
        if mapped:
            assert isinstance(annotation, ast.Subscript)
            inner = _subscript_args(annotation)[0]
            annotation, alias_call = self._alias(inner, mod)
        if isinstance(value, ast.Call) and not _is_column_call(value):
            value = self._factory(value, mod) or value  # id = primary_key("Dashboard")
        if value is not None and not _is_column_call(value):
            if not (sqlmodel and not isinstance(value, ast.Call)):
                return None  # relationship(), column_property(), hybrids, plain class attributes
            value = None
        if value is None and alias_call is None and not (mapped or sqlmodel):
            return None  # `x: int` on a declarative class is not a column
        if alias_call is not None:
            _column_call(alias_call, col)
        if isinstance(value, ast.Call):
            _column_call(value, col)
        if col.type is None and annotation is not None:
            col.type = _type_of(annotation, type_map)
            col.typed = sqlmodel and col.type is not None  # SQLModel types a column by its annotation
        if col.type is not None and col.type == "VARCHAR" and isinstance(value, ast.Call):
            length = _const(_kw(value, "max_length"))
            if isinstance(length, int):
                col.type = f"VARCHAR({length})"
        if col.type is None and col.fk is None and value is None and alias_call is None:
            return None  # `items: Mapped[list["Item"]]` and other non-column annotations
        if col.nullable is None:
            optional = _optional(annotation)
            col.nullable = not col.pk if optional is None else (optional and not col.pk)
        return col

    def _factory(self, call: ast.Call, mod: _Module) -> ast.Call | None:
        """The column a project function returns, for a class attribute assigned its call.

        VALID (a column):   `def primary_key(name): return Column(key_type(name), primary_key=True)` then
                            `id = primary_key("Dashboard")`, also when the function is imported.
        INVALID (not one):  `def backref_to(name): return relationship(name)`, a function returning a
                            constant, a library call (`func.now()`), a method call (`obj.make()`).
        The returned call's arguments are the function's own (a parameter as the type stays unknown).
        """
        found = self.project.function(call.func.id, mod) if isinstance(call.func, ast.Name) else None
        if found is None:
            return None
        fn = found[0]
        returns = [s.value for s in ast.walk(fn) if isinstance(s, ast.Return) and s.value is not None]
        return next((r for r in returns if isinstance(r, ast.Call) and _is_column_call(r)), None)

    def _alias(self, inner: ast.expr, mod: _Module) -> tuple[ast.expr, ast.Call | None]:
        """`Mapped[intpk]` with `intpk = Annotated[int, mapped_column(primary_key=True)]`."""
        node = inner
        if isinstance(inner, ast.Name) and inner.id in mod.assigns:
            node = mod.assigns[inner.id]
        elif isinstance(inner, ast.Name) and inner.id in mod.imports:
            dotted, level, orig = mod.imports[inner.id]
            found = self.project.find(dotted, level, mod) if orig else None
            if isinstance(found, _Module) and orig in found.assigns:
                node = found.assigns[orig]
        if isinstance(node, ast.Subscript) and _short(node.value) == "Annotated":
            args = _subscript_args(node)
            call = next((c for a in args[1:] if (c := _mapped_column_of(a)) is not None), None)
            return args[0], call
        return inner, None


def _mapped_column_of(node: ast.expr) -> ast.Call | None:
    """`mapped_column(...)` in an Annotated alias; of `mapped_column(A) if setting else mapped_column(B)` (a primary
    key by a deployment setting: autoincrement or snowflake ids) the first, when both are one."""
    if isinstance(node, ast.Call) and _short(node.func) == "mapped_column":
        return node
    if isinstance(node, ast.IfExp) and _mapped_column_of(node.orelse) is not None:
        return _mapped_column_of(node.body)
    return None

def _table_args(args: ast.expr | ast.FunctionDef, build: _TableBuild) -> None:
    if isinstance(args, ast.FunctionDef):
        ret = next((s.value for s in ast.walk(args) if isinstance(s, ast.Return) and s.value is not None), None)
        if ret is None:
            return
        args = ret
    items = list(args.elts) if isinstance(args, ast.Tuple | ast.List) else [args]
    by_attr = {a: c.name for a, c in build.cols.items()}
    for item in items:
        if isinstance(item, ast.Dict):
            for k, v in zip(item.keys, item.values, strict=True):
                if _const(k) == "schema" and isinstance(_const(v), str) and _const(v) != "public":
                    build.name = f"{_const(v)}.{build.name}"
            continue
        if not isinstance(item, ast.Call):
            continue
        kind = _short(item.func)
        names = tuple(_col_ref(a, by_attr) for a in item.args)
        if kind == "UniqueConstraint" and names and all(names):
            build.unique.append(tuple(str(n) for n in names))
        elif kind == "PrimaryKeyConstraint" and names and all(names):
            build.pk = tuple(str(n) for n in names)
        elif kind == "Index" and len(names) > 1 and all(names[1:]) and _const(_kw(item, "unique")) is True:
            build.indexes.append(Index(str(_const(item.args[0]) or ""), tuple(str(n) for n in names[1:]),
                                       unique=True))
        elif kind == "ForeignKeyConstraint" and len(item.args) >= 2:
            cols, refs = item.args[0], item.args[1]
            if isinstance(cols, ast.List | ast.Tuple) and isinstance(refs, ast.List | ast.Tuple):
                local = [_col_ref(c, by_attr) for c in cols.elts]
                remote = [_const(r) for r in refs.elts]
                if all(local) and all(isinstance(r, str) and "." in r for r in remote):
                    ref_table = str(remote[0]).rpartition(".")[0]
                    build.fks.append(ForeignKey(tuple(str(c) for c in local), ref_table,
                                                tuple(str(r).rpartition(".")[2] for r in remote),
                                                on_delete=_upper(_const(_kw(item, "ondelete")))))



def _col_ref(node: ast.expr, by_attr: dict[str, str]) -> str | None:
    value = _const(node)
    if isinstance(value, str):
        return value
    if isinstance(node, ast.Name | ast.Attribute):  # UniqueConstraint(name) inside a declared_attr, Model.col
        short = _short(node)
        return by_attr.get(short, short)
    return None


def _upper(value: object) -> str | None:
    return value.upper() if isinstance(value, str) else None


def _c3(seqs: list[list[_Class | _Ext]]) -> list[_Class | _Ext] | None:
    seqs = [list(s) for s in seqs if s]
    out: list[_Class | _Ext] = []
    while seqs:
        head = next((s[0] for s in seqs if not any(s[0] in t[1:] for t in seqs)), None)
        if head is None:
            return None
        out.append(head)
        seqs = [s[1:] if s[0] == head else s for s in seqs]
        seqs = [s for s in seqs if s]
    return out


def _column_call(call: ast.Call, col: _Col) -> None:
    func = _short(call.func)
    args = list(call.args)
    if func in ("Column", "mapped_column") and args and isinstance(_const(args[0]), str):
        col.name = str(_const(args[0]))
        args = args[1:]
    for arg in args:
        inner = _short(arg)
        if isinstance(arg, ast.Call) and inner == "ForeignKey" and arg.args:
            target = _const(arg.args[0])
            if isinstance(target, str):
                col.fk = target
            elif isinstance(arg.args[0], ast.Attribute):  # ForeignKey(Model.id): the class's table, later
                col.fk = ast.unparse(arg.args[0])
            col.on_delete = _upper(_const(_kw(arg, "ondelete")))
        elif col.type is None:
            col.type = _type_of(arg)
            col.typed = col.typed or col.type is not None
    for kw in call.keywords:
        value = _const(kw.value)
        if kw.arg == "primary_key" and value is True:
            col.pk = True
        elif kw.arg == "nullable" and isinstance(value, bool):
            col.nullable = value
        elif kw.arg == "unique" and value is True:
            col.unique = True
        elif kw.arg == "autoincrement" and isinstance(value, bool):
            col.autoincrement = value
        elif kw.arg == "foreign_key" and isinstance(value, str):  # SQLModel Field
            col.fk = value
        elif kw.arg == "ondelete" and isinstance(value, str):  # SQLModel Field(ondelete=...)
            col.on_delete = value.upper()
        elif kw.arg in ("type_", "sa_type") and col.type is None:
            col.type = _type_of(kw.value)
            col.typed = col.type is not None
        elif kw.arg == "sa_column" and isinstance(kw.value, ast.Call):
            _column_call(kw.value, col)


# --- putting it together --------------------------------------------------------------------------------

def _table(build: _TableBuild) -> Table:
    cols = list(build.cols.values())
    fks = list(build.fks)
    for c in cols:
        if c.fk and "." in c.fk:
            ref_table, _, ref_col = c.fk.rpartition(".")
            fks.append(ForeignKey((c.name,), ref_table, (ref_col,), on_delete=c.on_delete))
    pk = build.pk if build.pk is not None else tuple(c.name for c in cols if c.pk)
    columns = tuple(
        Column(c.name, c.type or "UNKNOWN",
               nullable=False if c.name in pk else (True if c.nullable is None else c.nullable),
               identity=(c.name in pk and len(pk) == 1 and (c.type or "") in ("INTEGER", "BIGINT", "SMALLINT")
                         and not c.fk and c.autoincrement is not False))
        for c in cols
    )
    unique = list(dict.fromkeys([*build.unique, *((c.name,) for c in cols if c.unique)]))
    return Table(name=build.name, columns=columns, primary_key=pk, foreign_keys=tuple(fks),
                 indexes=tuple(build.indexes), unique_constraints=tuple(unique), rows=None)


def _from_table_call(call: ast.Call) -> Table | None:
    if _short(call.func) != "Table" or not call.args or not isinstance(_const(call.args[0]), str):
        return None
    build = _TableBuild(str(_const(call.args[0])))
    for arg in call.args[1:]:
        if isinstance(arg, ast.Call) and _short(arg.func) == "Column":
            col = _Col("")
            _column_call(arg, col)
            if col.name:
                build.cols[col.name] = col
    if not build.cols:
        return None
    _table_args(ast.Tuple(elts=[a for a in call.args[1:] if not (
        isinstance(a, ast.Call) and _short(a.func) == "Column")], ctx=ast.Load()), build)
    schema = _const(_kw(call, "schema"))
    if isinstance(schema, str) and schema != "public":
        build.name = f"{schema}.{build.name}"
    return _table(build)


#: the module-level names every Alembic revision carries (`revision = "5a1f"`, `down_revision: str | None = ...`)
_REVISION = re.compile(r"^revision\s*(?::[^=\n]*)?=", re.M)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=\n]*)?=", re.M)


def _test_file(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    return any(p in ("tests", "test", "testing") for p in parts[:-1]) or parts[-1].startswith(("test_", "conftest")) \
        or parts[-1].endswith("_test.py")


def schema_from_models(files: list[SourceFile]) -> SchemaSnapshot:
    return _read_models(files)[0]


def schema_and_reads(files: list[SourceFile]) -> tuple[SchemaSnapshot, ModelReads]:
    """The schema, and what its reading looked at (`ModelReads`)."""
    schema, _mapped, project = _read_models(files)
    read = frozenset(str(p) for p in project.modules)
    return schema, ModelReads(read, frozenset(project.asked), frozenset(str(p) for p in project.tried))


def class_tables(files: list[SourceFile]) -> dict[tuple[str, str], list[tuple[int, str]]]:
    """(path, class name) -> [(line, table)]: the table each mapped class maps, as the reader decides it
    (names SQLAlchemy or Flask-SQLAlchemy compute from the class, single-table subclasses on their parent's
    table). For the scanner, which reads `__tablename__` itself but not what the class name implies."""
    out: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for cls, table in _read_models(files)[1]:
        out.setdefault((cls.module.shown, cls.name), []).append((cls.line, table))
    return out


def _read_models(files: list[SourceFile]) -> tuple[SchemaSnapshot, list[tuple[_Class, str]], _Project]:
    py = [f for f in files if f.abs_path.endswith(".py")]
    project = _Project(py)
    tables: dict[str, Table] = {}
    ordered = sorted(py, key=lambda f: _test_file(f.path))  # the application's models before tests' copies
    classes: list[_Class] = []
    read: list[tuple[Path, str]] = []
    revisions: list[tuple[Path, str]] = []  # an Alembic revision's own copies of the tables come last
    for f in ordered:
        path = Path(f.abs_path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if not any(k in text for k in _MARKERS):
            continue
        (revisions if _REVISION.search(text) and _DOWN_REVISION.search(text) else read).append((path, text))
    late: dict[str, Table] = {}  # a revision's `sa.Table(...)`: only a table no model of the application declares
    for path, text, revision in [(p, t, False) for p, t in read] + [(p, t, True) for p, t in revisions]:
        mod = project.module(path, text)
        if mod is None:
            continue
        classes.extend(mod.all_classes())
        if "Table(" in text:
            into = late if revision else tables
            for node in ast.walk(mod.tree):
                if isinstance(node, ast.Call):
                    table = _from_table_call(node)
                    if table is not None and table.name not in into:
                        into[table.name] = table
    mapper = _Mapper(project)
    mapped: list[tuple[_Class, str]] = []
    for cls in classes:
        build = mapper.table(cls)
        if build is not None:
            mapped.append((cls, build.name))
    untyped: set[tuple[str, str]] = set()
    for build in mapper.builds.values():
        if build.cols and build.name not in tables:
            tables[build.name] = _table(build)
            untyped |= {(build.name, c.name) for c in build.cols.values() if c.fk and not c.typed}
    for name, table in late.items():
        tables.setdefault(name, table)
    resolved = _infer_fk_types([_resolve_class_refs(t, mapper.class_tables) for t in tables.values()], untyped)
    return SchemaSnapshot(dialect="models", tables=tuple(sorted(resolved, key=lambda t: t.name)),
                          source="models", notes=tuple(mapper.notes)), mapped, project


def _resolve_class_refs(table: Table, classes: dict[str, str]) -> Table:
    """`ForeignKey(ContentItem.id)` names the class: point it at the class's table."""
    if not any(fk.ref_table in classes for fk in table.foreign_keys):
        return table
    fks = tuple(replace(fk, ref_table=classes.get(fk.ref_table, fk.ref_table)) for fk in table.foreign_keys)
    return replace(table, foreign_keys=fks)


def _infer_fk_types(tables: list[Table], untyped: set[tuple[str, str]]) -> list[Table]:
    """`Column(ForeignKey("users.id"))` / `mapped_column(ForeignKey(...))` without a type takes the referenced
    column's type, as SQLAlchemy does (over a `Mapped[int]` annotation too)."""
    by_name = {t.name: t for t in tables}
    for _ in range(3):
        changed = False
        for i, t in enumerate(tables):
            cols = list(t.columns)
            for fk in t.foreign_keys:
                if len(fk.columns) != 1:
                    continue
                ref = by_name.get(fk.ref_table)
                ref_col = ref.column(fk.ref_columns[0]) if ref else None
                for j, c in enumerate(cols):
                    if (c.name == fk.columns[0] and (c.type == "UNKNOWN" or (t.name, c.name) in untyped)
                            and ref_col and ref_col.type not in ("UNKNOWN", c.type)):
                        cols[j] = replace(c, type=ref_col.type)
                        changed = True
            if tuple(cols) != t.columns:
                tables[i] = by_name[t.name] = replace(t, columns=tuple(cols))
        if not changed:
            break
    return tables
