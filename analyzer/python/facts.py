"""Seeds: what a parsed file declares about the key (ORM classes, records, aliases, routers, tasks).

Names are matched by what they resolve to (LibCST qualified names), so a local class called `Column`
or `Field` is not mistaken for sqlalchemy's or pydantic's.
"""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field

import libcst as cst

from analyzer.models import ImpactedColumn
from analyzer.python import reanalysis
from analyzer.python.keys import GENERIC_PK_NAMES, KeyModel, OrmClass, singular, snake
from analyzer.python.parsed import FuncInfo, ParsedFile

SQLA = ("sqlalchemy", "sqlmodel")
HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "api_route",
                "route"}  # Flask's @app.route / @bp.route (Flask 2 has @bp.get too)
#: methods a Flask-RESTful / flask-smorest `Resource` or a Flask `MethodView` serves a request with
VIEW_METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}
#: werkzeug's rule syntax: `<int:node_id>`, `<int(max=2147483647):node_id>`, `<node_id>`
FLASK_RULE = re.compile(r"<(?:(\w+)(\([^)>]*\))?:)?(\w+)>")


def flask_template(path: str) -> str:
    """A werkzeug rule as the `{name:converter}` templates every other step reads (`/nodes/<int:node_id>` ->
    `/nodes/{node_id:int}`); a FastAPI template has no `<` and comes back unchanged."""
    if "<" not in path:
        return path
    return FLASK_RULE.sub(lambda m: f"{{{m.group(3)}:{m.group(1)}}}" if m.group(1) else f"{{{m.group(3)}}}", path)


#: a character a plain string literal (`string_value`) holds none of: anything but a tab, a newline and printable
#: ASCII other than the backslash (no escape, no CR, which the tokenizer turns into LF, no NUL, no surrogate,
#: which `compile` refuses)
_NOT_PLAIN = re.compile(r"[^\t\n\x20-\x5b\x5d-\x7e]")


def string_value(node: cst.BaseExpression | None) -> str | None:
    """The text of a string literal, None for anything else (bytes, an f-string).

    A literal with no prefix, only plain characters (`_NOT_PLAIN`) and no quote of its kind between its quotes
    (nor a newline between single ones) is one string token: its text between the quotes, which is what
    `ast.literal_eval` (LibCST's `evaluated_value`) gives it, without the `compile` that costs. Any other
    literal's value is kept per text: the same texts come back tens of thousands of times."""
    if type(node) is cst.SimpleString:
        text = node.value
        quote = text[0]
        if quote in "\"'" and _NOT_PLAIN.search(text) is None:
            triple = len(text) >= 6 and text[1] == text[2] == quote
            body = text[3:-3] if triple else text[1:-1]
            if quote not in body and (triple or "\n" not in body):
                return body
        if text in _STRINGS:
            return _STRINGS[text]
        value = node.evaluated_value
        got = _STRINGS[text] = value if isinstance(value, str) else None
        return got
    if type(node) is cst.ConcatenatedString:
        joined = node.evaluated_value
        return joined if isinstance(joined, str) else None
    return None


def kwarg(call: cst.Call, name: str) -> cst.Arg | None:
    for a in call.args:
        if a.keyword is not None and a.keyword.value == name:
            return a
    return None


def positional(call: cst.Call) -> list[cst.Arg]:
    return [a for a in call.args if a.keyword is None and not a.star]


def callee_name(call: cst.Call) -> str:
    f = call.func
    # (exact types: Name and Attribute have no subclasses, and a false isinstance of a LibCST class is a slow
    # path; a million calls on a large tree)
    if type(f) is cst.Name:
        return f.value
    if type(f) is cst.Attribute:
        return f.attr.value
    return ""


def is_sqla(pf: ParsedFile, node: cst.CSTNode, *names: str) -> bool:
    return pf.resolves_to(node, *names, packages=SQLA)


@dataclass
class ColumnSpec:
    """A `Column(...)`, `mapped_column(...)` or SQLModel `Field(...)` call, understood."""

    call: cst.Call
    name: str | None  # explicit column name, when given as first string arg
    fk: str | None  # "content_items.id" of a ForeignKey(...) / foreign_key=...
    primary_key: bool
    type_nodes: list[cst.CSTNode] = field(default_factory=list)  # `Integer` / `sa.Integer()` nodes


def impacted_table_columns(pf: ParsedFile, model: KeyModel, table: str, args: list[cst.Arg]
                           ) -> Iterator[tuple[cst.Call, ColumnSpec, ImpactedColumn]]:
    """The `Column(...)` arguments of a `Table(...)` / `op.create_table(...)` call that map a column whose
    type changes (by name, or by a ForeignKey to an impacted column)."""
    for a in args:
        if not isinstance(a.value, cst.Call):
            continue
        spec = column_spec(pf, a.value)
        if spec is None or not spec.name:
            continue
        ic = model.column(table, spec.name) or (model.table_key_column(spec.fk) if spec.fk else None)
        if ic is not None:
            yield a.value, spec, ic


def column_spec(pf: ParsedFile, call: cst.Call) -> ColumnSpec | None:
    if not is_sqla(pf, call.func, "Column", "mapped_column", "Field"):
        return None
    name = None
    fk = None
    types: list[cst.CSTNode] = []
    args = positional(call)
    if args and string_value(args[0].value) is not None:
        name = string_value(args[0].value)
    for a in call.args:
        v = a.value
        target = v.func if isinstance(v, cst.Call) else v
        if isinstance(v, cst.Call) and is_sqla(pf, v.func, "ForeignKey"):
            fargs = positional(v)
            if fargs:
                fk = string_value(fargs[0].value)
                if fk is None and isinstance(fargs[0].value, cst.Attribute):
                    fk = _attr_fk(fargs[0].value)
        elif a.keyword is None and is_sqla(pf, target, "Integer", "INTEGER", "SmallInteger", "BigInteger",
                                           "BIGINT", "INT"):
            types.append(target)
        if a.keyword is not None and a.keyword.value == "foreign_key":
            fk = string_value(v)
    pk = kwarg(call, "primary_key")
    is_pk = pk is not None and isinstance(pk.value, cst.Name) and pk.value.value == "True"
    return ColumnSpec(call, name, fk, is_pk, types)


def _attr_fk(node: cst.Attribute) -> str | None:
    """`ForeignKey(ContentItem.id)` -> "ContentItem.id" (resolved later by class name)."""
    if isinstance(node.value, cst.Name):
        return f"{node.value.value}.{node.attr.value}"
    return None


#: what a class statement alone decides (and, for a table, the scan's project names), asked again on every
#: learning pass and by the rules: per scan, by class node (a CST node hashes by identity). `clear_caches`
#: (a new Flow, one per scan) empties them.
_TABLES: dict[cst.ClassDef, str | None] = {}
_ATTRS: dict[cst.ClassDef, list[ClassAttr]] = {}
_CAMEL: dict[cst.ClassDef, bool] = {}
_RECORD_BASES: dict[cst.ClassDef, tuple[str, ...]] = {}
#: string_value of a SimpleString by its text
_STRINGS: dict[str, str | None] = {}


def clear_caches() -> None:
    _STRINGS.clear()
    _TABLES.clear()
    _ATTRS.clear()
    _CAMEL.clear()
    _RECORD_BASES.clear()


def _class_table(pf: ParsedFile, cls: cst.ClassDef) -> str | None:
    if cls in _TABLES:
        return _TABLES[cls]
    got = _TABLES[cls] = _read_class_table(pf, cls)
    return got


def _read_class_table(pf: ParsedFile, cls: cst.ClassDef) -> str | None:
    for stmt in _body(cls):
        target, value = _simple_assign(stmt)
        if target == "__tablename__":
            return string_value(value)
        if target == "__table__" and isinstance(value, cst.Call) and is_sqla(pf, value.func, "Table"):
            args = positional(value)
            return string_value(args[0].value) if args else None
    for kw in cls.keywords:
        if kw.keyword is not None and kw.keyword.value == "table" and isinstance(kw.value, cst.Name) \
                and kw.value.value == "True":
            return cls.name.value.lower()
    return pf.project.table_of(pf, cls) if pf.project is not None else None  # Flask-SQLAlchemy names it


def _body(cls: cst.ClassDef) -> list[cst.BaseStatement | cst.BaseSmallStatement]:
    out: list[cst.BaseStatement | cst.BaseSmallStatement] = []
    if isinstance(cls.body, cst.IndentedBlock):
        for stmt in cls.body.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                out.extend(stmt.body)
            else:
                out.append(stmt)
    return out


def _simple_assign(stmt: cst.CSTNode) -> tuple[str | None, cst.BaseExpression | None]:
    if isinstance(stmt, cst.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0].target, cst.Name):
        return stmt.targets[0].target.value, stmt.value
    if isinstance(stmt, cst.AnnAssign) and isinstance(stmt.target, cst.Name):
        return stmt.target.value, stmt.value
    return None, None


@dataclass
class ClassAttr:
    """One attribute statement of a class body: `x: Mapped[int] = mapped_column(...)`."""

    name: str
    stmt: cst.Assign | cst.AnnAssign
    annotation: cst.Annotation | None
    value: cst.BaseExpression | None


def class_attrs(cls: cst.ClassDef) -> list[ClassAttr]:
    got = _ATTRS.get(cls)
    if got is None:
        got = _ATTRS[cls] = _read_class_attrs(cls)
    return list(got)


def _read_class_attrs(cls: cst.ClassDef) -> list[ClassAttr]:
    out = []
    for stmt in _body(cls):
        if isinstance(stmt, cst.AnnAssign) and isinstance(stmt.target, cst.Name):
            out.append(ClassAttr(stmt.target.value, stmt, stmt.annotation, stmt.value))
        elif isinstance(stmt, cst.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0].target, cst.Name):
            out.append(ClassAttr(stmt.targets[0].target.value, stmt, None, stmt.value))
    return out


def orm_attr_column(pf: ParsedFile, attr: ClassAttr, sqlmodel_table: bool) -> tuple[str, ColumnSpec | None] | None:
    """The column an ORM class attribute maps to, or None when it is not a column."""
    if isinstance(attr.value, cst.Call):
        spec = column_spec(pf, attr.value)
        if spec is not None:
            if callee_name(attr.value) == "Field" and not sqlmodel_table:
                return None
            return spec.name or attr.name, spec
        return None
    if attr.value is None and attr.annotation is not None:
        ann = attr.annotation.annotation
        if isinstance(ann, cst.Subscript) and is_sqla(pf, ann.value, "Mapped"):
            return attr.name, None
        if sqlmodel_table and not attr.name.startswith("__"):
            return attr.name, None
    return None


def orm_key_attrs(pf: ParsedFile, cls: cst.ClassDef, model: KeyModel
                  ) -> tuple[str, dict[str, tuple[ImpactedColumn, ClassAttr, ColumnSpec | None]]] | None:
    """(table, attribute -> (impacted column, statement, column spec)) of a mapped class, or None."""
    table = _class_table(pf, cls)
    if table is None:
        return None
    sqlmodel_table = any(kw.keyword is not None and kw.keyword.value == "table" for kw in cls.keywords)
    out: dict[str, tuple[ImpactedColumn, ClassAttr, ColumnSpec | None]] = {}
    for attr in class_attrs(cls):
        mapped = orm_attr_column(pf, attr, sqlmodel_table)
        if mapped is None:
            continue
        column, spec = mapped
        ic = model.column(table, column)
        if ic is None and spec is not None and spec.fk:
            ic = model.table_key_column(spec.fk) or _fk_by_class(model, spec.fk)
        if ic is not None:
            out[attr.name] = (ic, attr, spec)
    return table, out


def collect_orm(pf: ParsedFile, model: KeyModel) -> None:
    for cls in pf.classes:
        got = orm_key_attrs(pf, cls, model)
        if got is None:
            continue
        table, attrs = got
        _collect_fk_columns(pf, cls, table, model)
        if any(spec is not None and spec.primary_key for _ic, _a, spec in attrs.values()):
            model.pk_tables.add(table)
        found = OrmClass(cls.name.value, table, pf.path, pf.line(cls))
        found.key_attrs = {k: v[0] for k, v in attrs.items()}
        found.bases = tuple(q for base in cls.bases
                            for q in pf.qnames(base.value.value if isinstance(base.value, cst.Subscript) else base.value))
        found.relations = _relations(pf, cls)
        for attr_name, (key_col, attr, attr_spec) in attrs.items():
            generator = key_generator(model, key_col, attr_spec)
            if generator:
                found.pk_attr, found.pk_line, found.pk_generator = attr_name, pf.line(attr.stmt), generator
        # inherited key attributes (joined/single table inheritance)
        for base in cls.bases:
            if isinstance(base.value, cst.Name) and base.value.value in model.orm:
                for k, v in model.orm[base.value.value].key_attrs.items():
                    found.key_attrs.setdefault(k, v)
        # an impacted column the class body does not map comes from a base or mixin (`id` declared once on an
        # abstract base): the attribute has the column's name
        mapped = {ic.column for ic in found.key_attrs.values()} | {
            (spec.name if spec is not None and spec.name else name) for name, (_ic, _a, spec) in attrs.items()}
        declared = {a.name for a in class_attrs(cls)}
        for column, inherited in model.impacted.get(table, {}).items():
            if column not in mapped and column not in declared and column.isidentifier():
                found.key_attrs.setdefault(column, inherited)
        if found.key_attrs or table in model.impacted:
            model.add_orm(found)
        else:
            model.other_orm.setdefault(cls.name.value, table)
    for entry in pf.of(cst.Assign):
        node = entry.node
        assert isinstance(node, cst.Assign)
        if entry.func is not None or entry.cls is not None or not isinstance(node.value, cst.Call):
            continue
        if not is_sqla(pf, node.value.func, "Table") or len(node.targets) != 1:
            continue
        target = node.targets[0].target
        args = positional(node.value)
        tname = string_value(args[0].value) if args else None
        if not isinstance(target, cst.Name) or tname is None:
            continue
        table = tname
        found = OrmClass(target.value, table, pf.path, pf.line(node))
        for a in args[1:]:
            if isinstance(a.value, cst.Call):
                spec = column_spec(pf, a.value)
                if spec is not None and spec.name:
                    ic = model.column(table, spec.name) or (model.table_key_column(spec.fk) if spec.fk else None)
                    if ic is not None:
                        found.key_attrs[spec.name] = ic
        if found.key_attrs:
            model.add_orm(found)


def _relations(pf: ParsedFile, cls: cst.ClassDef) -> dict[str, str]:
    """Attribute -> the class name its `relationship(...)` leads to: the first argument (`"Customer"`,
    `Customer`, `models.Customer`, `"app.models.Customer"`), else the `Mapped[...]` annotation (`Mapped["Customer"]`,
    `Mapped[Optional[Customer]]`, `Mapped[list["Order"]]`: a collection of them)."""
    out: dict[str, str] = {}
    for attr in class_attrs(cls):
        call = attr.value
        if not isinstance(call, cst.Call) or callee_name(call) != "relationship" \
                or not is_sqla(pf, call.func, "relationship"):
            continue
        args = positional(call)
        name = _class_named(args[0].value) if args else ""
        if not name and attr.annotation is not None:
            name = _class_named(attr.annotation.annotation)
        if name:
            out[attr.name] = name
    return out


def _class_named(node: cst.BaseExpression) -> str:
    """`Customer`, `"Customer"`, `models.Customer`, `Mapped[Optional["Customer"]]`, `list["Order"]` -> "Customer"."""
    while True:
        if isinstance(node, cst.Name):
            return node.value
        if isinstance(node, cst.Attribute):
            return node.attr.value
        text = string_value(node)
        if text is not None:
            try:
                node = cst.parse_expression(text.strip())
            except cst.ParserSyntaxError:
                return text.strip().rsplit(".", 1)[-1] if text.strip().replace(".", "").isidentifier() else ""
            continue
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):  # Customer | None
            node = node.right if isinstance(node.left, cst.Name) and node.left.value == "None" else node.left
            continue
        if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            node = node.slice[0].slice.value  # Mapped[...], Optional[...], list[...]
            continue
        return ""


def _collect_fk_columns(pf: ParsedFile, cls: cst.ClassDef, table: str, model: KeyModel) -> None:
    """Every ForeignKey column of a mapped class, once per class: attribute -> the FK's reference as written
    (`"chat_message.id"`, `ChatMessage.id`). Whether it points outside the key's closure is asked later
    (`foreign_entity`), when the whole closure is known."""
    name = cls.name.value
    if name in model.foreign_columns:
        return
    sqlmodel_table = any(kw.keyword is not None and kw.keyword.value == "table" for kw in cls.keywords)
    fks: dict[str, str] = {}
    for attr in class_attrs(cls):
        mapped = orm_attr_column(pf, attr, sqlmodel_table)
        if mapped is not None and mapped[1] is not None and mapped[1].fk:
            fks[attr.name] = mapped[1].fk
    model.foreign_columns[name] = fks


# ----------------------------------------------------------------------------- slots naming another entity

def slot_entity(name: str) -> str | None:
    """`message_id` / `messageId` / `message_ids` -> "message": the entity whose ids a slot's name says it holds."""
    s = snake(name)
    for suffix in ("_ids", "_id"):
        if s.endswith(suffix) and len(s) > len(suffix) and not s.startswith("_"):
            return s[: -len(suffix)]
    return None


def _table_forms(table: str) -> set[str]:
    """What a slot may call a table's rows: chat_messages -> chat_messages, chat_message, messages, message."""
    base = table.rsplit(".", 1)[-1].lower()
    forms = {base, singular(base)}
    return forms | {f.rsplit("_", 1)[-1] for f in forms}


def own_tables(model: KeyModel) -> set[str]:
    """Tables whose own ids are the key: the targets' tables, and tables whose primary key (or `id`) is an impacted
    column (a joined-table subclass, a 1:1 table keyed by its FK)."""
    out = {t.table for t in model.closure.targets} | model.pk_tables
    for table, cols in model.impacted.items():
        if any(c.lower() in GENERIC_PK_NAMES for c in cols):
            out.add(table)
    for table, pk in model.closure.schema_keys:
        if pk and all(c in model.impacted.get(table, {}) for c in pk):
            out.add(table)
    return out


def foreign_entity(model: KeyModel, slot: str, cls: str | None = None) -> str | None:
    """The table of another entity whose ids `slot` designates, when the key reaching it is a mix-up, else None.

    A slot names another entity's ids when it is `<entity>_id` (`messageId`, `message_ids`) and `<entity>`
    names a table of the schema (its name, singular or plural, or its last word: chat_message -> message)
    that is neither the key's table nor a table whose ids are the key; or when it is a column of a mapped class
    with a ForeignKey to such a table. A key name (a column of the closure: `owner_id`, a self-referencing
    `parent_id`), an entity no table is called (`doc_id`, `content_id`) or one that also names the key's own
    table (`session_id` for chat_session) is no mix-up: the flow goes on."""
    if slot in model.key_names or snake(slot) in model.key_names or slot.lower() in GENERIC_PK_NAMES:
        return None
    own = own_tables(model)
    if cls is not None:
        ref = model.foreign_columns.get(cls, {}).get(slot)
        if ref is not None and model.table_key_column(ref) is None and _fk_by_class(model, ref) is None:
            table = ref.rsplit(".", 1)[0]
            table = model.other_orm.get(table, model.orm[table].table if table in model.orm else table)
            if table not in own:
                return table
    entity = slot_entity(slot)
    if entity is None:
        return None
    stamp = (len(model.orm), len(model.other_orm), len(model.impacted), len(own))
    cache = model.entity_cache
    if cache.get("", (None,))[0] != stamp:
        cache.clear()
        cache[""] = (stamp, None)
    if entity in cache:
        return cache[entity][1]
    wanted = {entity, singular(entity)}
    # what each table's rows may be called, built once per stamp and kept beside it (every entity asked built it
    # again: polar, 670 of them, 0.3 s)
    tables: dict[str, set[str]] | None = cache[""][1]
    if tables is None:
        tables = {}
        for t in {*model.impacted, *(o.table for o in model.orm.values()), *model.other_orm.values(),
                  *(name for name, _pk in model.closure.schema_keys)}:
            tables.setdefault(t, set()).update(_table_forms(t))
        for name, orm in model.orm.items():
            tables.setdefault(orm.table, set()).update(_table_forms(snake(name)))
        for name, t in model.other_orm.items():
            tables.setdefault(t, set()).update(_table_forms(snake(name)))
        cache[""] = (stamp, tables)
    hits = sorted(t for t, forms in tables.items() if wanted & forms)
    found = None if not hits or any(t in own for t in hits) else hits[0]
    cache[entity] = (stamp, found)
    return found


def key_generator(model: KeyModel, ic: ImpactedColumn, spec: ColumnSpec | None) -> str:
    """For a target's own primary key column: what gives a new row its key once the integer sequence goes.
    "default" (a default, default_factory, server_default or insert_default that is not None), "patch" (the
    column patch adds `default=uuid.uuid4`, as PY001 does for a UUID key with no default at all), "none"; ""
    when this is not a target's primary key or its definition is not seen."""
    if spec is None or not spec.primary_key or (ic.table, ic.column) not in {
            (t.table, t.column) for t in model.closure.targets}:
        return ""
    defaults = [a for a in spec.call.args if a.keyword is not None and a.keyword.value in (
        "default", "default_factory", "server_default", "insert_default")]
    if any(not (isinstance(a.value, cst.Name) and a.value.value == "None") for a in defaults):
        return "default"
    if defaults or model.to_type != "UUID":
        return "none"  # `default=None` (SQLModel): no generator is guessed over a stated default; a TEXT key
    return "patch"


def _fk_by_class(model: KeyModel, ref: str) -> ImpactedColumn | None:
    cls, _, attr = ref.partition(".")
    orm = model.orm.get(cls)
    return orm.key_attrs.get(attr) if orm else None


# ----------------------------------------------------------------------------- records (schemas)

RECORD_KINDS = ("pydantic", "dataclass", "typeddict", "namedtuple")


#: marshmallow's schema classes (and marshmallow-sqlalchemy's, re-exported by flask-marshmallow)
MARSHMALLOW_SCHEMAS = ("Schema", "SQLAlchemySchema", "SQLAlchemyAutoSchema", "ModelSchema")
MARSHMALLOW_PACKAGES = ("marshmallow", "marshmallow_sqlalchemy", "flask_marshmallow", "apiflask")


def record_kind(pf: ParsedFile, cls: cst.ClassDef, known: dict[str, str]) -> str | None:
    """The kind of record a class is (pydantic, dataclass, typeddict, namedtuple, marshmallow; a subclass of a known record
    is of its kind), None when not a record. What the class statement decides is read once per scan
    (`_record_bases`): per base in order, a kind, or a name to look up in `known`."""
    got = _RECORD_BASES.get(cls)
    if got is None:
        got = _RECORD_BASES[cls] = _record_bases(pf, cls)
    for kind_or_name in got:
        if kind_or_name.startswith(":"):
            return kind_or_name[1:] or None
        if kind_or_name in known:
            return known[kind_or_name]
    return None


def _record_bases(pf: ParsedFile, cls: cst.ClassDef) -> tuple[str, ...]:
    """record_kind's reading of the class statement, in its order: ":kind" for what decides the kind, else the
    base's name (its kind is that of a record by this name, when one is known by then)."""
    if _class_table(pf, cls) is not None:
        return (":",)  # a table: no record (record_kind answers None)
    for d in cls.decorators:
        target = d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator
        if pf.resolves_to(target, "dataclass", packages=("dataclasses", "pydantic", "attr")):
            return (":dataclass",)
    out: list[str] = []
    for base in cls.bases:
        b = base.value
        if isinstance(b, cst.Subscript):  # a generic model: `schemas.BaseUser[int]`
            b = b.value
        if pf.resolves_to(b, "BaseModel", "SQLModel", "BaseSettings", packages=("pydantic", "sqlmodel",
                                                                                  "pydantic_settings")):
            return (*out, ":pydantic")
        if pf.resolves_to(b, "BaseUser", "BaseUserCreate", "BaseUserUpdate", "BaseOAuthAccount",
                          packages=("fastapi_users",)) or pf.resolves_to(b, "CamelModel", packages=(
                              "fastapi_camelcase", "humps", "pydantic_camel_case")):
            return (*out, ":pydantic")  # Pydantic models of libraries: fastapi-users' schemas, camelCase base models
        if pf.resolves_to(b, *MARSHMALLOW_SCHEMAS, packages=MARSHMALLOW_PACKAGES) or \
                isinstance(b, cst.Attribute) and b.attr.value in ("SQLAlchemySchema", "SQLAlchemyAutoSchema"):
            return (*out, ":marshmallow")  # (flask-marshmallow's `ma.SQLAlchemyAutoSchema` of `ma = Marshmallow()`)
        if pf.resolves_to(b, "TypedDict", packages=("typing", "typing_extensions")):
            return (*out, ":typeddict")
        if pf.resolves_to(b, "NamedTuple", packages=("typing",)):
            return (*out, ":namedtuple")
        out.append(b.value if isinstance(b, cst.Name) else b.attr.value if isinstance(b, cst.Attribute) else "")
    return tuple(out)


@dataclass
class _Affine:
    """What schema_affinity matches names against, for one state of a model's mapped classes."""
    orm: dict[str, OrmClass]  # the model's dict itself (held: `is` tells a replaced one)
    closure: object
    version: int  # model.global_version: add_orm, the one writer of model.orm, bumps it
    #: name -> (its place in model.orm, the class) of the affected mapped classes keyed by `id`
    names: dict[str, tuple[int, OrmClass]]
    camels: list[tuple[str, str]]  # (CamelCase singular of a target table, the table)
    #: names of other entities: every mapped class, the CamelCase singular of every table of the schema
    others: frozenset[str]
    other_count: int  # len(model.other_orm) when built (adding to it bumps no version)


#: per model: asked for every record class of every file on every facts pass (a quarter of the facts on
#: polar when it looped over every mapped class each time)
_AFFINE: weakref.WeakKeyDictionary[KeyModel, _Affine] = weakref.WeakKeyDictionary()


def _affine(model: KeyModel) -> _Affine:
    memo = _AFFINE.get(model)
    if memo is None or memo.orm is not model.orm or memo.closure is not model.closure \
            or memo.version != model.global_version or memo.other_count != len(model.other_orm):
        names = {orm.name: (i, orm) for i, orm in enumerate(model.orm.values())
                 if orm.table in model.closure.tables and _ids_key(model, orm)}
        camels = [(_camel(t.table), t.table) for t in model.closure.targets]
        others = frozenset({*model.orm, *model.other_orm, *(_camel(t) for t, _pk in model.closure.schema_keys),
                            *(_camel(t[:-2], plain=True) for t, _pk in model.closure.schema_keys
                              if t.endswith("uses"))})
        memo = _AFFINE[model] = _Affine(model.orm, model.closure, model.global_version, names, camels, others,
                                        len(model.other_orm))
    return memo


def _camel(table: str, plain: bool = False) -> str:
    """`content_item_kinds` -> ContentItemKind (`plain`: the words as they are; `statuses` is also tried as
    `status` in `others`, where `singular` gives `statuse`)."""
    return "".join(p.capitalize() for p in (table if plain else singular(table)).split("_"))


def schema_affinity(model: KeyModel, name: str) -> tuple[str, str | None] | None:
    """Why a schema class name ties it to an affected ORM class or table (`ContentItemOut`): its name is
    one of theirs followed by nothing or a capital. Of several such classes, the first mapped wins. Not when a
    longer start of the name is another entity's (a mapped class, a table of the schema): `IncidentCostTypeRead`
    is incident_cost_type's, not incident's.

    Examples (the key: content_items.id, content_item_kinds another table):
    - `ContentItemRead`, `ContentItemReadMinimal`, `ContentItem`: tied to ContentItem
    - `ContentItemKindRead`: not tied (ContentItemKind is longer and another entity)
    """
    memo = _affine(model)
    reanalysis.read_all("orm")  # (what the memo holds was read from all of them, maybe for another caller)
    reanalysis.read_all("other_orm")
    found: tuple[int, OrmClass] | None = None
    mine = other = 0  # the longest starts of the name that name an affected class or table, another entity
    for end in range(1, len(name) + 1):
        if end == len(name) or name[end].isupper():
            start = name[:end]
            hit = memo.names.get(start)
            if hit is not None and (found is None or hit[0] < found[0]):
                found = hit
            if hit is not None or any(start == camel for camel, _t in memo.camels):
                mine = end
            elif start in memo.others:
                other = end
    if other > mine:
        return None
    if found is not None:
        orm = found[1]
        return f"named after {orm.name} ({orm.path}:{orm.line})", orm.name
    for camel, table in memo.camels:
        if name.startswith(camel) and (len(name) == len(camel) or name[len(camel)].isupper()):
            return f"named after table {table}", None
    return None


def _ids_key(model: KeyModel, orm: OrmClass) -> bool:
    return "id" in orm.key_attrs


def collect_records(pf: ParsedFile, model: KeyModel, kinds: dict[str, str]) -> None:
    for cls in pf.classes:
        kind = record_kind(pf, cls, kinds)
        if kind is None:
            continue
        name = cls.name.value
        kinds[name] = kind
        why = schema_affinity(model, name)
        if why:
            model.learn_schema(name, why[0], why[1])
        for base in cls.bases:
            b = base.value
            bname = b.value if isinstance(b, cst.Name) else ""
            if bname in model.schemas:
                model.learn_schema(name, f"subclass of {bname}", model.schema_orm.get(bname))
    _learn_siblings(pf, model, kinds)


#: trailing words of a schema name that say its role, not its subject (`DocOut`, `DocDetail`, `DocPublic`)
_ROLES = ("Out", "In", "Read", "Public", "Response", "Resp", "Detail", "Details", "Summary", "Base", "Create",
          "Update", "Patch", "Schema", "Model", "InDB", "DB", "Db", "Full", "Brief", "Short", "Dto", "DTO", "Payload",
          "Data", "View", "Card", "Preview", "Info", "Minimal", "Lite", "Extended", "Admin", "Private", "Internal",
          "Export", "Row", "Entry", "Result", "Get", "Show")


@functools.lru_cache(maxsize=65536)
def schema_stem(name: str) -> str:
    """`DocDetailOut` -> `Doc`: the subject of a schema name, without its role words."""
    stem = name
    while True:
        for role in _ROLES:
            if stem.endswith(role) and len(stem) > len(role) and stem[-len(role) - 1].islower():
                stem = stem[: -len(role)]
                break
        else:
            return stem


def _learn_siblings(pf: ParsedFile, model: KeyModel, kinds: dict[str, str]) -> None:
    """Consistency: a schema of a table found to carry its key (`DocOut`, validated from a Document) has
    siblings in the same module (`DocDetail`, `DocSummary`) that declare the same key attribute: they are
    responses of the same table too, whatever else ties them (a dict, a service in between)."""
    local = {cls.name.value: cls for cls in pf.classes if cls.name.value in kinds}
    tied = [(n, model.schema_orm[n]) for n in local if n in model.schemas and model.schema_orm.get(n)]
    if not tied:
        return
    for name, cls in local.items():
        if name in model.schemas:
            continue
        stem = schema_stem(name)
        for other, orm in tied:
            if orm is None or orm not in model.orm or schema_stem(other) != stem or stem == name == other:
                continue
            keys = set(model.orm[orm].key_attrs)
            if any(a.name in keys and a.annotation is not None for a in class_attrs(cls)):
                model.learn_schema(name, f"sibling of {other} in {pf.path} (same subject `{stem}`), a schema of "
                                         f"{orm}", orm)
                break


# ----------------------------------------------------------------------------- type aliases

def alias_value_is_int(pf: ParsedFile, value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.Name) and value.value == "int":
        return True
    if isinstance(value, cst.Subscript) and pf.resolves_to(value.value, "Annotated", packages=("typing",
                                                                                              "typing_extensions")):
        first = value.slice[0].slice if value.slice else None
        return isinstance(first, cst.Index) and isinstance(first.value, cst.Name) and first.value.value == "int"
    if isinstance(value, cst.Call) and pf.resolves_to(value.func, "NewType", packages=("typing",)):
        args = positional(value)
        return len(args) == 2 and isinstance(args[1].value, cst.Name) and args[1].value.value == "int"
    return False


def alias_is_key(model: KeyModel, name: str) -> str | None:
    s = snake(name)
    if s in model.key_names:
        return f"`{name}` names {s} ({model.key_names[s]})"
    tokens = sorted(s.split("_"))
    for key in model.key_names:
        if sorted(key.split("_")) == tokens or (s.endswith("_" + key) and not key.endswith("s")):
            return f"`{name}` names {key} ({model.key_names[key]})"
    for t in model.closure.targets:
        if s == f"{singular(t.table)}_{t.column}":
            return f"`{name}` names {t.qualified}"
    for orm in model.orm.values():
        if name == f"{orm.name}Id" and "id" in orm.key_attrs:
            return f"`{name}` names {orm.name}.id"
    return None


def collect_aliases(pf: ParsedFile, model: KeyModel) -> None:
    for entry in (*pf.of(cst.Assign), *pf.of(cst.AnnAssign)):
        if entry.func is not None or entry.cls is not None:
            continue
        name, value = _simple_assign(entry.node)
        if name and value is not None and alias_value_is_int(pf, value):
            model.int_aliases.setdefault(name, pf.where(entry.node))
            why = alias_is_key(model, name)
            if why:
                model.learn_alias(name, why)


def learn_field_aliases(pf: ParsedFile, model: KeyModel) -> None:
    """`DocRef = Annotated[int, Field(gt=0)]` used by a record field that holds the key is a key alias; the
    JSON name of a key field (`Field(alias="vehicleId")`, a camelCase alias generator) is a JSON key name."""
    for cls in pf.classes:
        learned = model.schema_fields.get(cls.name.value, {})
        _learn_json_names(pf, model, cls, learned)
        for attr in class_attrs(cls):
            ann = attr.annotation.annotation if attr.annotation is not None else None
            if not isinstance(ann, cst.Name) or ann.value not in model.int_aliases or ann.value in model.type_aliases:
                continue
            if attr.name in model.key_names or attr.name in learned:
                model.learn_alias(ann.value, f"annotates key field `{cls.name.value}.{attr.name}` in "
                                             f"{pf.where(attr.stmt)}")


def _learn_json_names(pf: ParsedFile, model: KeyModel, cls: cst.ClassDef, learned: dict[str, str]) -> None:
    name = cls.name.value
    keyed = model.schema_key_fields(name) | set(learned)
    camel = _CAMEL.get(cls)
    if camel is None:
        code = pf.code(cls)
        camel = _CAMEL[cls] = "to_camel" in code or "alias_generator" in code and "camel" in code.lower() \
            or any(pf.resolves_to(b.value, "CamelModel") for b in cls.bases)
    for attr in class_attrs(cls):
        if attr.annotation is None or not (attr.name in keyed or attr.name in model.key_names):
            continue
        aliases = []
        if isinstance(attr.value, cst.Call):
            for kw in ("alias", "validation_alias", "serialization_alias"):
                arg = kwarg(attr.value, kw)
                text = string_value(arg.value) if arg is not None else None
                if text:
                    aliases.append(text)
        if camel and "_" in attr.name.strip("_"):
            head, *rest = attr.name.strip("_").split("_")
            aliases.append(head + "".join(p.capitalize() for p in rest))
        for alias in aliases:
            if alias != attr.name and alias.lower() not in ("id", "pk", "key"):
                model.learn_json_name(alias, f"JSON name of key field {name}.{attr.name} ({pf.where(attr.stmt)})")


# ----------------------------------------------------------------------------- URLs of the key's routes

#: stands for a value code computes (`{item.id}`, `{API}`) in a URL: no digit, matches a non-key path segment
URL_HOLE = "\x00"


@functools.lru_cache(maxsize=4096)
def template_regex(template: str, params: tuple[str, ...], anchored: bool = False) -> re.Pattern[str]:
    out = ""
    for part in re.split(r"({\w+(?::\w+)?})", template):
        m = re.fullmatch(r"{(\w+)(?::\w+)?}", part)
        if m:
            out += r"(-?\d+)" if m.group(1) in params else r"[^/?]+"
        else:
            out += re.escape(part)
    return re.compile(("^" if anchored else "") + out + r"/?(?:\?.*)?$")


@functools.lru_cache(maxsize=4096)
def template_tails(template: str, params: tuple[str, ...]) -> list[tuple[int, re.Pattern[str]]]:
    """The template without its leading segments, for a URL whose start the test computes
    (`f"{API}/items/999"`, `settings.API_V1_STR + "/items/1"`): every tail that still names a literal
    segment before a key parameter, with how many characters it drops."""
    out = []
    starts = [m.start() for m in re.finditer("/", template)]
    for i in starts:
        tail = template[i:]
        first_key = min((tail.find("{" + p) for p in params if "{" + p in tail), default=-1)
        if first_key > 0 and re.search(r"/[^/{}]+/", tail[:first_key + 1]):
            out.append((i, template_regex(tail, params, anchored=True)))
    return out


# ----------------------------------------------------------------------------- routers and tasks

@dataclass
class Routers:
    """APIRouter prefixes and include_router edges, to rebuild full route templates."""

    own: dict[str, str] = field(default_factory=dict)  # router id -> its prefix
    parent: dict[str, tuple[str, str]] = field(default_factory=dict)  # child id -> (parent id, prefix)
    pending: list[tuple[set[str], str, str]] = field(default_factory=list)  # (child qnames, parent id, prefix)
    dependencies: set[str] = field(default_factory=set)  # names used in Depends(...)
    #: Flask-AppBuilder classes (router id) -> the model their `datamodel = SQLAInterface(Model)` serves
    fab_models: dict[str, str] = field(default_factory=dict)
    #: Flask views registered by a call or a class decorator rather than a function decorator: the name of
    #: the view function or class -> (HTTP method or "" for the class's own methods, rule template, router id)
    #: (`app.add_url_rule(rule, view_func=show)`, `api.add_resource(NodeResource, rule)`, `@blp.route(rule)`)
    views: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    #: Flask-RESTX / Flask-RESTPlus namespaces -> the path they take when added without one (`Namespace("pets")`:
    #: /pets); `api.add_namespace(ns, "/animals")` gives another
    ns_paths: dict[str, str] = field(default_factory=dict)
    #: all source texts, to find the value of a non-literal prefix (`settings.api_prefix`)
    texts: dict[str, str] = field(default_factory=dict)
    _constants: dict[str, str] = field(default_factory=dict)
    #: what collect_routers read from each file (a file's routers are its own: read once, added on every pass);
    #: not pickled (diff mode's snapshot)
    _read: dict[ParsedFile, Routers] = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict[str, object]:
        return {**self.__dict__, "_read": {}}

    def constant(self, name: str) -> str:
        """The string a settings field or constant named `name` defaults to, found in any source text."""
        if name not in self._constants:
            rx = re.compile(rf"^\s*{re.escape(name)}\s*(?::[^=\n]+)?=\s*[\"']([^\"'\n]*)[\"']", re.M)
            found = ""
            for text in self.texts.values():
                if name in text:
                    m = rx.search(text)
                    if m:
                        found = m.group(1)
                        break
            self._constants[name] = found
        return self._constants[name]

    def resolve(self) -> None:
        for qnames, parent, prefix in self.pending:
            child = self.match(qnames)
            if parent not in self.own:  # `Api(bp)`: the blueprint, by what the name was imported as
                parent = self.match({parent}) or parent
            if child and child != parent:
                # `api.add_namespace(ns)` without a path: the namespace's own (`_NS_DEFAULT`)
                self.parent[child] = (parent, self.ns_paths.get(child, "") if prefix == _NS_DEFAULT else prefix)

    def match(self, qnames: set[str]) -> str | None:
        for q in qnames:
            for rid in self.own:
                if rid == q or rid.endswith("." + q) or q.endswith("." + rid):
                    return rid
        return None

    def full_prefix(self, rid: str) -> str:
        out = self.own.get(rid, "")
        seen = {rid}
        while rid in self.parent:
            rid, prefix = self.parent[rid]
            if rid in seen:
                break
            seen.add(rid)
            out = self.own.get(rid, "") + prefix + out
        return out


#: a Flask-RESTful Api subclass's own registration method, taking (resource, *rules) as add_resource does
_ADD_RESOURCE = re.compile(r"add_\w+_resource")
#: the prefix of `api.add_namespace(ns)` without a path: the namespace's own (Routers.ns_paths), once resolved
_NS_DEFAULT = "\0namespace"


def collect_routers(pf: ParsedFile, routers: Routers) -> None:
    """The file's routers, prefixes, include_router edges (`pending`, to resolve), views and dependencies, into
    `routers`. Only the file (and the texts, for a prefix's constant) decides them: they are read once per file
    into a Routers of their own, then added again on each pass (in the same order: the same result)."""
    got = routers._read.get(pf)
    if got is None:
        got = routers._read[pf] = Routers(texts=routers.texts, _constants=routers._constants)
        _read_routers(pf, got)
    routers.own.update(got.own)
    routers.ns_paths.update(got.ns_paths)
    routers.views.update(got.views)
    routers.pending += got.pending
    routers.dependencies |= got.dependencies


def _read_routers(pf: ParsedFile, routers: Routers) -> None:
    for entry in pf.of(cst.Assign):
        node = entry.node
        assert isinstance(node, cst.Assign)
        if entry.func is None and isinstance(node.value, cst.Call) \
                and all(isinstance(t.target, cst.Name) for t in node.targets) \
                and (pf.resolves_to(node.value.func, "APIRouter", "FastAPI", packages=("fastapi", "starlette"))
                     or pf.resolves_to(node.value.func, "Flask", "Blueprint", "Api",
                                       packages=("flask", "flask_restful", "flask_smorest", "flask_restx"))
                     or callee_name(node.value).endswith("Router")):  # a team's router subclass (AdminAPIRouter)
            prefix = kwarg(node.value, "prefix") or kwarg(node.value, "url_prefix")
            first, *others = [t.target.value for t in node.targets if isinstance(t.target, cst.Name)]
            rid = f"{pf.modname}.{first}"
            routers.own[rid] = (string_value(prefix.value) or "") if prefix else ""
            for other in others:  # `users_router = r = APIRouter()`: `r` is the same router
                alias = f"{pf.modname}.{other}"
                routers.own[alias] = ""
                routers.pending.append(({alias}, rid, ""))
            app = positional(node.value)
            if app and isinstance(app[0].value, (cst.Name, cst.Attribute)) \
                    and pf.resolves_to(node.value.func, "Api", packages=("flask_restful", "flask_restx",
                                                                         "flask_restplus")):
                # `Api(bp)`: its resources live under the blueprint's url_prefix
                parent = next(iter(pf.qnames(app[0].value)), "")
                if isinstance(app[0].value, cst.Name) and app[0].value.value not in pf.imports:
                    parent = f"{pf.modname}.{app[0].value.value}"
                routers.pending.append(({rid}, parent, ""))
        elif entry.func is None and isinstance(node.value, cst.Call) and len(node.targets) == 1 \
                and isinstance(node.targets[0].target, cst.Name) \
                and pf.resolves_to(node.value.func, "Namespace", packages=("flask_restx", "flask_restplus")):
            # `ns = Namespace("pets", path="/animals")`: served at its path, `/pets` by default (when an API adds
            # it without a path of its own)
            rid = f"{pf.modname}.{node.targets[0].target.value}"
            args = positional(node.value)
            name = string_value(args[0].value) if args else None
            path_arg = kwarg(node.value, "path")
            routers.own[rid] = ""
            routers.ns_paths[rid] = (string_value(path_arg.value) or "") if path_arg is not None else \
                f"/{name}" if name else ""
    aliases = as_view_aliases(pf)
    # (words a call below must be written with: asked of the text once instead of each of its calls, polar's
    # first reading of its 1,521 files 0.19 s)
    view_funcs = "view_func" in pf.text
    depends = "Depends" in pf.text or "Security" in pf.text  # (a name of fastapi's imported as written, or aliased)
    for entry in pf.of(cst.Call):
        call = entry.node
        assert isinstance(call, cst.Call)
        if isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Name) and (
                call.func.attr.value in ("add_url_rule", "add_resource") or _ADD_RESOURCE.fullmatch(call.func.attr.value)):
            # (a project's Api subclass wraps add_resource: `api.add_org_resource(AlertResource, "/api/alerts/<id>")`)
            how = "add_url_rule" if call.func.attr.value == "add_url_rule" else "add_resource"
            _collect_view(pf, routers, call, how, call.func.value.value, aliases)
        elif view_funcs and callee_name(call) != "add_url_rule" and kwarg(call, "view_func") is not None:
            # a project's helper around add_url_rule: `register_view(bp, routes=[...], view_func=V.as_view("v"))`
            args = positional(call)
            router = args[0].value.value if args and isinstance(args[0].value, cst.Name) else ""
            _collect_view(pf, routers, call, "helper", router, aliases)
        elif isinstance(call.func, cst.Attribute) \
                and call.func.attr.value in ("include_router", "register_blueprint", "add_namespace") \
                and isinstance(call.func.value, cst.Name):
            args = positional(call)
            if not args:
                continue
            prefix_arg = kwarg(call, "prefix") or kwarg(call, "url_prefix") or kwarg(call, "path") or (
                args[1] if call.func.attr.value == "add_namespace" and len(args) > 1 else None)
            inc_prefix = _NS_DEFAULT if call.func.attr.value == "add_namespace" else ""
            if prefix_arg is not None:
                literal = string_value(prefix_arg.value)
                dotted = _dotted_name(prefix_arg.value)
                inc_prefix = literal if literal is not None else routers.constant(dotted.rsplit(".", 1)[-1]) \
                    if dotted else ""
            for child in _loop_expanded(pf, args[0].value):
                qn = pf.qnames(child)
                if isinstance(child, cst.Name):
                    qn = qn | {f"{pf.modname}.{child.value}"}
                routers.pending.append((qn, f"{pf.modname}.{call.func.value.value}", inc_prefix))
        elif depends and isinstance(call.func, cst.Name) and pf.resolves_to(call.func, "Depends", "Security",
                                                                             packages=("fastapi",)):
            args = positional(call)
            if args and isinstance(args[0].value, cst.Name):
                routers.dependencies.add(args[0].value.value)


    for entry in pf.of(cst.ClassDef):  # flask-smorest / MethodView: @blp.route("/pets/<int:pet_id>") class PetById
        cls = entry.node
        assert isinstance(cls, cst.ClassDef)
        for d in cls.decorators:
            dec = d.decorator
            if isinstance(dec, cst.Call) and isinstance(dec.func, cst.Attribute) and dec.func.attr.value == "route" \
                    and isinstance(dec.func.value, cst.Name):
                args = positional(dec)
                path = string_value(args[0].value) if args else None
                if path is not None:
                    routers.views[cls.name.value] = ("", flask_template(path), f"{pf.modname}.{dec.func.value.value}")


def _collect_view(pf: ParsedFile, routers: Routers, call: cst.Call, how: str, router: str,
                  aliases: dict[str, str]) -> None:
    """`app.add_url_rule("/nodes/<int:node_id>", view_func=show_node)` (or `NodeView.as_view("node")`),
    `api.add_resource(NodeResource, "/nodes", "/nodes/<int:node_id>")`: the rule with the most parameters."""
    args = positional(call)
    if how == "add_resource":
        view: cst.BaseExpression | None = args[0].value if args else None
        rules = [string_value(a.value) for a in args[1:]]
    elif how == "helper":
        view_arg = kwarg(call, "view_func")
        view = view_arg.value if view_arg is not None else None
        rules = [string_value(s) for s in helper_rules(call)]
    else:
        rule_arg = args[0] if args else kwarg(call, "rule")
        view_arg = kwarg(call, "view_func") or (args[2] if len(args) > 2 else None)
        view = view_arg.value if view_arg is not None else None
        rules = [string_value(rule_arg.value) if rule_arg is not None else None]
    paths = [r for r in rules if r is not None]
    if view is None or not paths:
        return
    if isinstance(view, cst.Name) and view.value in aliases:  # node_view = NodeView.as_view("node")
        view = cst.Name(aliases[view.value])
        method = ""
    elif isinstance(view, cst.Call) and isinstance(view.func, cst.Attribute) and view.func.attr.value == "as_view":
        view = view.func.value  # NodeView.as_view("node"): the class's get/post/... serve it
        method = ""
    else:
        method = "" if how == "add_resource" else _flask_method(call)
    if isinstance(view, cst.Name):
        path = max(paths, key=lambda r: r.count("<"))
        known = routers.views.get(view.value)
        if known is not None and known[1].count("{") > path.count("<"):
            return  # served at several rules: the one with the most parameters (`/t/<int:t>/reply/<int:p>`)
        routers.views[view.value] = (method, flask_template(path), f"{pf.modname}.{router}")


def as_view_aliases(pf: ParsedFile) -> dict[str, str]:
    """`node_view = NodeView.as_view("node")` in the file: {"node_view": "NodeView"} (the view_func it passes)."""
    out: dict[str, str] = {}
    for entry in pf.of(cst.Assign) if "as_view" in pf.text else ():
        node = entry.node
        assert isinstance(node, cst.Assign)
        value = node.value
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) \
                and value.func.attr.value == "as_view" and isinstance(value.func.value, cst.Name) \
                and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            out[node.targets[0].target.value] = value.func.value.value
    return out


def helper_rules(call: cst.Call) -> list[cst.SimpleString]:
    """The URL rules a project's helper registering a Flask view is given (`register_view(bp, routes=["/t/<int:t>",
    "/t/<int:t>-<slug>"], view_func=TopicView.as_view("topic"))`): its string literals starting with `/`, alone
    or in a list or tuple, in any argument but `view_func`."""
    out: list[cst.SimpleString] = []
    for a in call.args:
        if a.keyword is not None and a.keyword.value == "view_func":
            continue
        values = [e.value for e in a.value.elements] if isinstance(a.value, (cst.List, cst.Tuple)) else [a.value]
        for v in values:
            if isinstance(v, cst.SimpleString) and (string_value(v) or "").startswith("/"):
                out.append(v)
    return out


def _flask_method(call: cst.Call) -> str:
    """The first of `methods=["POST", ...]`, else GET (Flask's default)."""
    methods = kwarg(call, "methods")
    if methods is not None and isinstance(methods.value, (cst.List, cst.Tuple, cst.Set)) \
            and methods.value.elements:
        first = string_value(methods.value.elements[0].value)
        if first:
            return first.upper()
    return "GET"


def mark_functions(pf: ParsedFile, routers: Routers) -> None:
    for fi in pf.functions:
        fi.route = None
        fi.task = False
        for d in fi.decorators:
            dec = d.decorator
            func = dec.func if isinstance(dec, cst.Call) else dec
            if isinstance(func, cst.Attribute) and isinstance(dec, cst.Call) and func.attr.value in HTTP_METHODS:
                args = positional(dec)
                path_arg = args[0] if args else kwarg(dec, "path")
                path = string_value(path_arg.value) if path_arg is not None else None
                if path is not None and isinstance(func.value, cst.Name):
                    rid = f"{pf.modname}.{func.value.value}"
                    if rid not in routers.own:  # a blueprint imported from the package that made it
                        rid = routers.match(pf.qnames(func.value)) or rid
                    if rid in routers.own or pf.resolves_to(func.value, "router", "app", "api", "api_router") \
                            or _looks_like_router(func.value.value) or func.attr.value == "route":
                        method = "GET" if func.attr.value == "api_route" else \
                            _flask_method(dec) if func.attr.value == "route" else func.attr.value.upper()
                        fi.route = (method, flask_template(path), rid)
            elif isinstance(dec, cst.Call) and fi.cls is not None and \
                    pf.resolves_to(func, "expose", packages=("flask_appbuilder",)):
                # Flask-AppBuilder: `@expose("/<int:pk>/charts", methods=("GET",))` on a BaseApi/BaseView
                # method is a werkzeug rule under the class's route base
                args = positional(dec)
                path = string_value(args[0].value) if args else "/"
                if path is not None:
                    rid = f"{pf.modname}.{fi.cls}"
                    routers.own.setdefault(rid, _fab_route_base(pf, fi.cls))
                    model_name = _fab_datamodel(pf, fi.cls)
                    if model_name:
                        routers.fab_models[rid] = model_name
                    fi.route = (_flask_method(dec), flask_template(path), rid)
            elif (isinstance(func, cst.Attribute) and func.attr.value == "task") or \
                    pf.resolves_to(func, "shared_task", "task", packages=("celery",)):
                fi.task = True
        if fi.route is None:
            view = routers.views.get(fi.cls) if fi.cls is not None and fi.name in VIEW_METHODS \
                else routers.views.get(fi.name) if fi.cls is None else None
            if view is not None and (fi.cls is None) == bool(view[0]):
                fi.route = (view[0] or fi.name.upper(), view[1], view[2])
        fi.dependency = fi.name in routers.dependencies and fi.route is None


def _fab_route_base(pf: ParsedFile, cls_name: str) -> str:
    """A Flask-AppBuilder class's URL base, as its own body states it: `route_base = "/superset"`, else an API's
    `/api/{version}/{resource_name}` (version "v1" unless stated); "" when the body states neither (a base
    class's, not read)."""
    cls = next((c for c in pf.classes if c.name.value == cls_name), None)
    attrs = {a.name: string_value(a.value) for a in class_attrs(cls) if a.value is not None} if cls else {}
    if attrs.get("route_base"):
        return (attrs["route_base"] or "").rstrip("/")
    if attrs.get("resource_name"):
        return f"/api/{attrs.get('version') or 'v1'}/{attrs['resource_name']}"
    return ""


def _fab_datamodel(pf: ParsedFile, cls_name: str) -> str:
    """`Database` of a Flask-AppBuilder class's `datamodel = SQLAInterface(Database)`: the model whose rows its
    routes' `pk` designates; "" when the body states none."""
    cls = next((c for c in pf.classes if c.name.value == cls_name), None)
    for a in class_attrs(cls) if cls is not None else ():
        v = a.value
        if a.name == "datamodel" and isinstance(v, cst.Call) and v.args and isinstance(v.args[0].value, cst.Name):
            return v.args[0].value.value
    return ""


def _looks_like_router(name: str) -> bool:
    return re.search(r"(router|app|api|bp|blp|blueprint)$", name) is not None


def route_template(routers: Routers, fi: FuncInfo) -> str:
    assert fi.route is not None
    return routers.full_prefix(fi.route[2]) + fi.route[1]


def _dotted_name(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted_name(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


def _loop_expanded(pf: ParsedFile, child: cst.BaseExpression) -> list[cst.BaseExpression]:
    """`for m in (a, b): app.include_router(m.router)` -> [a.router, b.router]."""
    if isinstance(child, cst.Attribute) and isinstance(child.value, cst.Name):
        for entry in pf.of(cst.For):
            loop = entry.node
            assert isinstance(loop, cst.For)
            if isinstance(loop.target, cst.Name) and loop.target.value == child.value.value \
                    and isinstance(loop.iter, (cst.Tuple, cst.List)):
                return [cst.Attribute(value=e.value, attr=child.attr) for e in loop.iter.elements
                        if isinstance(e.value, (cst.Name, cst.Attribute))]
    return [child]
