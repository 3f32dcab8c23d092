"""What the scan knows about the key: derived from the closure, then grown by what the code shows.

Everything the rules ask ("is `content_id` a key name?", "which attributes of `ContentItem` hold the
key?", "does parameter `doc_key` of `render` carry it?") is answered from this one object. It starts
from the database closure (impacted tables and columns, config aliases) and learns ORM classes,
schemas, type aliases, function parameters and return values as the rounds go.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from analyzer.config import Config
from analyzer.models import Closure, ImpactedColumn

#: callee names too common to make a file a candidate by themselves
_COMMON_CALLS = frozenset({
    "get", "list", "add", "delete", "update", "create", "filter", "first", "execute", "commit", "scalar",
    "scalars", "refresh", "query", "append", "extend", "items", "values", "keys", "copy", "format", "join",
    "split", "strip", "replace", "lower", "upper", "send", "save", "count", "remove", "close", "open", "read",
    "write", "load", "dump", "dumps", "loads", "encode", "decode", "search", "match", "sort", "index", "find",
    "main", "init", "setup", "build", "apply", "call", "check", "parse", "process", "handle",
})

#: column names that never make a key *name* by themselves (`user.id` is not a content id)
GENERIC_PK_NAMES = frozenset({"id", "pk", "uuid", "key"})


@dataclass
class OrmClass:
    """A mapped class (declarative, SQLModel) or `Table(...)` object for an affected table."""

    name: str
    table: str
    path: str
    line: int
    #: attribute -> column name, for every attribute mapped to an impacted column
    key_attrs: dict[str, ImpactedColumn] = field(default_factory=dict)
    #: the attribute mapping a target's own primary key, where, and what generates its new values:
    #: "default" (the column has one), "patch" (the patch adds `default=uuid.uuid4`), "none" (nothing)
    pk_attr: str = ""
    pk_line: int = 0
    pk_generator: str = ""
    #: qualified names of its bases (`fastapi_users_db_sqlalchemy.SQLAlchemyBaseUserTable` of `...Table[int]`)
    bases: tuple[str, ...] = ()
    #: attribute -> the class a `relationship()` leads to, by its name as written (`customer =
    #: relationship("Customer")`, `items: Mapped[list["Item"]] = relationship()`): `order.customer.id` is a key
    relations: dict[str, str] = field(default_factory=dict)


@dataclass
class FuncKey:
    """Why a parameter or a return value of a function carries the key."""

    evidence: str
    target: str


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def singular(table: str) -> str:
    base = table.rsplit(".", 1)[-1]
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("s", "")):
        if base.endswith(suffix) and len(base) > len(suffix) + 1:
            return base[: -len(suffix)] + repl
    return base


#: a module-level alias of int, as written: `X = int`, `X: TypeAlias = Annotated[int, ...]`, `X = NewType("X", int)`
_INT_ALIAS = re.compile(r"^([A-Za-z_]\w*)[ \t]*(?::[ \t]*(?:typing\.)?TypeAlias[ \t]*)?=[ \t]*"
                        r"(?:(?:typing\.|typing_extensions\.)?Annotated\[[ \t]*int[ \t]*[,\]]"
                        r"|(?:typing\.)?NewType\([ \t]*[\"']\w+[\"'][ \t]*,[ \t]*int[ \t]*\)"
                        r"|int[ \t]*(?:#[^\n]*)?$)", re.M)


class KeyModel:
    """The closure plus everything learned from the code, shared by all files and rounds."""

    def __init__(self, closure: Closure, config: Config) -> None:
        self.closure = closure
        self.config = config
        self.to_type = closure.targets[0].to_type if closure.targets else "UUID"
        self.default_target = closure.targets[0].qualified if closure.targets else ""
        self.impacted: dict[str, dict[str, ImpactedColumn]] = {}
        for col in closure.columns:
            self.impacted.setdefault(col.table, {})[col.column] = col
        for t in closure.targets:  # a target always counts, even if the closure forgot it
            if t.column not in self.impacted.get(t.table, {}):
                ic = ImpactedColumn(t.table, t.column, t.from_type, "target", target=t.qualified)
                self.impacted.setdefault(t.table, {})[t.column] = ic
        #: key names (params, fields, kwargs) -> evidence
        self.key_names: dict[str, str] = {}
        def rank(ic: ImpactedColumn) -> int:  # the clearest reason first: declared FKs over guesses
            for i, word in enumerate(("target", "declared", "virtual", "inferred", "polymorphic")):
                if ic.reason.startswith(word):
                    return i
            return 9

        for ic in sorted(closure.columns, key=rank):
            if ic.column.lower() not in GENERIC_PK_NAMES:
                reason = ic.reason if len(ic.reason) <= 60 else ic.reason[:59] + "…"
                self.key_names.setdefault(ic.column, f"column {ic.qualified} ({reason})")
        for t in closure.targets:  # `user_id` for user.id, though no column of the schema is named so
            if t.column.lower() in GENERIC_PK_NAMES and singular(t.table).isidentifier():
                self.key_names.setdefault(f"{singular(t.table)}_id", f"the key {t.qualified}, by its table's name")
        for name in list(self.key_names):  # content_id -> content_ids (a list of keys)
            self.key_names.setdefault(name + "s", f"plural of {name}")
        for alias in config.aliases:
            if re.fullmatch(r"[A-Za-z_]\w*", alias):
                self.key_names.setdefault(alias, "configured alias")
        #: names the key travels under in JSON (a field's `alias="vehicleId"`, camelCase of a key name) -> why
        self.json_names: dict[str, str] = {}
        for name in list(self.key_names):
            if "_" in name.strip("_"):
                head, *rest = name.strip("_").split("_")
                self.json_names.setdefault(head + "".join(p.capitalize() for p in rest), f"camelCase of `{name}`")
        #: mapped classes of tables the change does not touch (`User` -> "users"): their ids are not the key
        self.other_orm: dict[str, str] = {}
        #: module-level validators (`ids_adapter = TypeAdapter(list[int])`) whose result holds the key -> evidence
        self.key_adapters: dict[str, str] = {}
        #: request header / cookie / query names a key is read from (`request.headers["X-Ref"]`) -> evidence
        self.key_strings: dict[str, str] = {}
        self.orm: dict[str, OrmClass] = {}
        #: mapped class -> attribute -> the table its ForeignKey points at, for FK columns the change does not
        #: touch (`parent_message_id = mapped_column(ForeignKey("chat_message.id"))`): another entity's ids
        self.foreign_columns: dict[str, dict[str, str]] = {}
        #: tables whose primary key is an impacted column, as the models declare it (a 1:1 table keyed by an FK)
        self.pk_tables: set[str] = set()
        #: the key stored in a slot that names another entity's ids (`message_id=chat_session.id`), by node
        #: identity -> (path, node, slot, that entity's table, evidence, target, enclosing FuncInfo): one hazard
        #: each (PY068)
        self.mixups: dict[int, tuple[str, object, str, str, str, str, object]] = {}
        #: entity of a slot name -> (closure stamp, the foreign table it names or None), see facts.foreign_entity
        self.entity_cache: dict[str, tuple[object, Any]] = {}  # ("": the stamp and the table names' forms)
        #: affected Pydantic (or other record) classes -> evidence tying them to the key
        self.schemas: dict[str, str] = {}
        #: schema -> the ORM class it mirrors (None: tied to a target table by name)
        self.schema_orm: dict[str, str | None] = {}
        #: record classes (pydantic, dataclass, TypedDict) by name -> fields holding the key
        self.schema_fields: dict[str, dict[str, str]] = {}
        #: `ContentId = int` / `NewType("ContentId", int)` -> evidence
        self.type_aliases: dict[str, str] = {}
        #: every module-level alias of int (`X = int`, `NewType`, `Annotated[int, ...]`) -> where
        self.int_aliases: dict[str, str] = {}
        #: int aliases that annotate the key and other tables' ids too (`PrimaryKey = Annotated[int, Field(gt=0)]`
        #: on every id of the project): not a key alias; a key typed with one is typed int (`learn_alias`)
        self.shared_aliases: set[str] = set()
        #: (set by the scan, never pickled) the texts of the scanned Python files, for `alias_uses`
        self.texts: Mapping[str, str] | None = None
        self._alias_uses: dict[str, frozenset[str]] = {}
        #: function id -> parameter -> FuncKey
        self.params: dict[str, dict[str, FuncKey]] = {}
        self.returns: dict[str, FuncKey] = {}
        #: function id -> parameter -> the affected ORM class of the objects passed to it (`ids_of(items)`)
        self.param_instances: dict[str, dict[str, str]] = {}
        #: function id -> the affected ORM class of the object it returns (a factory, a fixture)
        self.return_instances: dict[str, str] = {}
        #: Flask's request globals: `g.user = db.session.get(User, uid)` -> {"user": "User"}; "" when two classes
        #: are stored under one name
        self.request_globals: dict[str, str] = {}
        #: function names worth a look in other files (callers of learned functions)
        self.function_names: set[str] = set()
        #: callees that received a key but whose definition is not parsed yet
        self.wanted: set[str] = set()
        #: modules those callees were imported from (`app.services`): their files become candidates
        self.wanted_modules: set[str] = set()
        #: route templates whose path carries the key, and their literal segments before the key
        self.route_templates: list[tuple[str, tuple[str, ...]]] = []
        #: (method, template, query/body parameter names holding the key) of routes
        self.route_queries: list[tuple[str, str, tuple[str, ...]]] = []
        #: (method, template) of routes whose response is the key or keys (`response_model=list[int]` of ids)
        self.route_returns: list[tuple[str, str]] = []
        self.version = 0  # bumped whenever something is learned: drives the fixed point
        #: bumped when something every function may depend on is learned (classes, schemas, aliases)
        self.global_version = 0
        #: functions whose parameters or return were learned since the last flow pass
        self.dirty: set[str] = set()

    # ------------------------------------------------------------------ closure questions
    def target_of_table(self, table: str) -> str:
        cols = self.impacted.get(table) or {}
        for ic in cols.values():
            if ic.target:
                return ic.target
        return self.default_target

    def column(self, table: str, column: str) -> ImpactedColumn | None:
        return self.impacted.get(table, {}).get(column)

    def table_key_column(self, ref: str) -> ImpactedColumn | None:
        """`"content_items.id"` (a ForeignKey target string) -> its impacted column."""
        table, _, column = ref.rpartition(".")
        return self.column(table, column) if table else None

    def is_key_name(self, name: str) -> bool:
        return name in self.key_names

    def affected_table_names(self) -> set[str]:
        return set(self.impacted)

    # ------------------------------------------------------------------ learning
    def _remember_function(self, func_id: str) -> None:
        """Make files that mention the function prefilter candidates (common names excepted)."""
        self.function_names.add(func_id.rsplit(".", 1)[-1])

    def learn_param(self, func_id: str, param: str, evidence: str, target: str) -> bool:
        slot = self.params.setdefault(func_id, {})
        if param in slot:
            return False
        slot[param] = FuncKey(evidence, target)
        self._remember_function(func_id)
        self.dirty.add(func_id)
        self.version += 1
        return True

    def learn_param_instance(self, func_id: str, param: str, cls: str) -> bool:
        slot = self.param_instances.setdefault(func_id, {})
        if param in slot:
            return False
        slot[param] = cls
        self._remember_function(func_id)
        self.dirty.add(func_id)
        self.version += 1
        return True

    def learn_return_instance(self, func_id: str, cls: str) -> bool:
        if func_id in self.return_instances:
            return False
        self.return_instances[func_id] = cls
        self.dirty.add(func_id)
        self.version += 1
        return True

    def learn_return(self, func_id: str, evidence: str, target: str) -> bool:
        if func_id in self.returns:
            return False
        self.returns[func_id] = FuncKey(evidence, target)
        self._remember_function(func_id)
        self.dirty.add(func_id)
        self.version += 1
        return True

    def learn_schema(self, name: str, evidence: str, orm: str | None = None) -> bool:
        if name in self.schemas:
            return False
        self.schemas[name] = evidence
        self.schema_orm[name] = orm
        self.bump()
        return True

    def learn_alias(self, name: str, evidence: str) -> bool:
        """`name` (an int alias annotating a key parameter or field) is the key's type: every parameter and
        field it annotates holds the key, and the alias itself changes. Not when it also annotates other ids
        (`shared_alias`)."""
        if name in self.type_aliases:
            return False
        if self.shared_alias(name):
            self.shared_aliases.add(name)
            return False
        self.type_aliases[name] = evidence
        self.bump()
        return True

    def shared_alias(self, name: str) -> bool:
        """Does the int alias `name` annotate, somewhere in the scanned code, a name of another id: one ending in
        `_id` or `_pk` that is no key name (`organization_id: PrimaryKey` beside `project_id: PrimaryKey`)? Then
        it is the project's id type, not the key's. An alias named after the key (`ContentId`) is the key's
        whatever else it annotates.

        Examples (the key: content_items.id; `content_id` a key name):
        - `Ref = Annotated[int, Field(gt=0)]` on `content_id: Ref` only: not shared, a key alias
        - `PrimaryKey = Annotated[int, ...]` on `content_id`, `user_id`, `organization_id`: shared
        - `PrimaryKey` on `content_id` and `id` fields only: not shared (`id` says nothing of whose id it is)
        - `ContentId` on `content_id` and `legacy_id`: named after the key, the key's
        """
        other = [n for n in self.alias_uses(name) if n.endswith(("_id", "_pk")) and n.strip("_") not in ("id", "pk")]
        if not other or all(n in self.key_names for n in other):
            return False
        from analyzer.python.facts import alias_is_key

        return alias_is_key(self, name) is None

    def alias_uses(self, name: str) -> frozenset[str]:
        """The names annotated with `name` in the scanned Python texts (`content_id: Ref`, `x: Optional[Ref]`)."""
        got = self._alias_uses.get(name)
        if got is None:
            if self.texts is None:
                return frozenset()
            pattern = re.compile(rf"\b(\w+)[ \t]*:[ \t]*(?:Optional\[[ \t]*)?{re.escape(name)}\b")
            got = self._alias_uses[name] = frozenset(
                m.group(1) for text in self.texts.values() if name in text for m in pattern.finditer(text))
        return got

    def seed_int_aliases(self, texts: Mapping[str, str]) -> None:
        """The module-level int aliases of every scanned text (`PrimaryKey = Annotated[int, Field(gt=0)]`,
        `UserId = NewType("UserId", int)`, `Id = int`), not only of the parsed files: the module defining the
        project's id type often names nothing of the key, and a key parameter typed with it is typed int
        (`shared_alias`) or makes it a key alias (`learn_alias`). The parsed files' own definitions
        (facts.collect_aliases) check the imports too; these are read from the text."""
        for path, text in texts.items():
            if "Annotated[int" not in text and "NewType(" not in text and "= int" not in text:
                continue
            for m in _INT_ALIAS.finditer(text):
                self.int_aliases.setdefault(m.group(1), f"{path}:{text.count(chr(10), 0, m.start()) + 1}")

    def __getstate__(self) -> dict[str, object]:
        # (diff mode's snapshot pickles the model; the texts are the scan's, and the uses are read from them)
        return {**vars(self), "texts": None, "_alias_uses": {}}

    def add_orm(self, cls: OrmClass) -> bool:
        old = self.orm.get(cls.name)
        if old is not None and set(old.key_attrs) >= set(cls.key_attrs):
            return False
        self.orm[cls.name] = cls
        self.bump()
        return True

    def learn_key_string(self, name: str, evidence: str) -> None:
        if name not in self.key_strings and name not in self.key_names:
            self.key_strings[name] = evidence
            self.bump()

    def learn_json_name(self, name: str, evidence: str) -> None:
        if name not in self.json_names and name not in self.key_names:
            self.json_names[name] = evidence
            self.bump()

    def bump(self) -> None:
        """Something every function may depend on was learned: the next flow pass is a full one."""
        self.version += 1
        self.global_version += 1

    def schema_key_fields(self, schema: str) -> set[str]:
        """Fields of an affected schema that mirror key attributes of its ORM class (`id`)."""
        if schema not in self.schemas:
            return set()
        orm = self.schema_orm.get(schema)
        if orm and orm in self.orm:
            return set(self.orm[orm].key_attrs)
        return {t.column for t in self.closure.targets}

    def key_attr_names(self) -> set[str]:
        return {a for c in self.orm.values() for a in c.key_attrs}

    def candidate_words(self) -> set[str]:
        """Words whose presence makes a file worth parsing (the fast prefilter)."""
        words = set(self.key_names) | set(self.orm) | set(self.schemas) | set(self.key_strings) | set(self.json_names)
        words |= {f"table:{t}" for t in self.impacted}  # a table name counts only in SQL-ish context
        words |= set(self.type_aliases) | {w for w in self.function_names | self.wanted
                                           if len(w) >= 4 and w not in _COMMON_CALLS}
        words |= {a for a in self.key_attr_names() if a.lower() not in GENERIC_PK_NAMES}
        words |= {"".join(p.capitalize() for p in n.split("_")) for n in self.key_names}  # ContentId
        words |= {f"{name}Id" for name in self.orm}
        words |= self.route_words()
        if any(o.pk_attr and any(b.startswith("fastapi_users") for b in o.bases) for o in self.orm.values()):
            words.add("fastapi_users")  # the user table's key: every generic of the library names its type
        if any(o.pk_attr and any(b.startswith("flask_login.") for b in o.bases) for o in self.orm.values()):
            words.add("current_user")  # Flask-Login's logged-in row of that class (Flow._login_user)
        words |= {f"g.{name}" for name, cls in self.request_globals.items() if cls}  # `g.user.id`
        return {w for w in words if w}

    def route_words(self) -> set[str]:
        """The literal path segment before each key parameter of the key's routes (`/vehicles/` of
        `/api/v1/vehicles/{vehicle_id}`), the path of a route taking the key as a query parameter, and `/<table>`
        of a target keyed `id` (a router prefix whose `/{id}` routes take it): a test that only requests
        `f"{API}/vehicles/999"` mentions nothing else of the key."""
        out: set[str] = set()
        for template, params in self.route_templates:
            for p in params:
                m = re.search(rf"/([^/{{}}]+)/\{{{p}(?::\w+)?\}}", template)
                if m:
                    out.add(f"/{m.group(1)}/")
        for _method, template, _names in self.route_queries:
            m = re.search(r"/([^/{}]+)/?$", template)
            if m:
                out.add(f"/{m.group(1)}")
        for t in self.closure.targets:  # `prefix="/users"` of a router whose `/{id}` routes take the key (REST)
            if t.column.lower() in ("id", "pk"):
                out |= {f"/{t.table}", f"/{t.table.replace('_', '-')}"}
        return {w for w in out if len(w) >= 5}

    # ------------------------------------------------------------------ type edits
    def python_type(self) -> tuple[str, str | None]:
        """Replacement for Python `int` and the import it needs ("" = no change)."""
        if self.to_type == "UUID":
            return "uuid.UUID", "import uuid"
        if self.to_type == "TEXT":
            return "str", None
        return "", None

    def sqla_type(self) -> tuple[str, str]:
        if self.to_type == "UUID":
            return "Uuid", "Uuid"
        if self.to_type == "TEXT":
            return "Text", "Text"
        return "BigInteger", "BigInteger"

    @property
    def int_changes(self) -> bool:
        """Does Python `int` stop being the right type? (no for BIGINT)"""
        return self.to_type != "BIGINT"
