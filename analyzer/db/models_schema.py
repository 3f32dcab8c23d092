"""Without --db: the schema as the SQLAlchemy / SQLModel models in the code declare it (dialect "models").

Reads, with `ast`, classes with `__tablename__` (Column(...), mapped_column(...), SQLModel
`Field(foreign_key=..., primary_key=...)`) and `Table("name", metadata, Column(...))` calls.
Unparsable files are skipped: the scanners report them.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

from analyzer.models import Column, ForeignKey, SchemaSnapshot, SourceFile, Table

_TYPES = {
    "Integer": "INTEGER", "int": "INTEGER", "BigInteger": "BIGINT", "SmallInteger": "SMALLINT",
    "String": "VARCHAR", "str": "VARCHAR", "Text": "TEXT", "Uuid": "UUID", "UUID": "UUID", "uuid.UUID": "UUID",
    "UUID_": "UUID", "Boolean": "BOOLEAN", "bool": "BOOLEAN", "DateTime": "DATETIME", "datetime": "DATETIME",
    "Float": "FLOAT", "float": "FLOAT", "Numeric": "NUMERIC", "JSON": "JSON", "JSONB": "JSONB",
    "Date": "DATE", "Enum": "VARCHAR", "LargeBinary": "BLOB",
}


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


def _const(node: ast.AST | None) -> object:
    return node.value if isinstance(node, ast.Constant) else None


def _type_of(node: ast.AST | None) -> str | None:
    if node is None:
        return None
    name = _name(node)
    short = name.rsplit(".", 1)[-1]
    if short in ("Optional", "Mapped") and isinstance(node, ast.Subscript):
        return _type_of(node.slice)
    if isinstance(node, ast.BinOp):  # int | None
        return _type_of(node.left)
    if name in _TYPES or short in _TYPES:
        t = _TYPES.get(name) or _TYPES[short]
        if t == "VARCHAR" and isinstance(node, ast.Call) and node.args and isinstance(_const(node.args[0]), int):
            return f"VARCHAR({_const(node.args[0])})"
        return t
    return None


class _Col:
    def __init__(self, name: str) -> None:
        self.name = name
        self.type: str | None = None
        self.fk: str | None = None
        self.pk = False
        self.nullable: bool | None = None


def _column_call(call: ast.Call, col: _Col) -> None:
    func = _name(call.func).rsplit(".", 1)[-1]
    args = list(call.args)
    if func == "Column" and args and isinstance(_const(args[0]), str):
        col.name = str(_const(args[0]))
        args = args[1:]
    for arg in args:
        inner = _name(arg).rsplit(".", 1)[-1]
        if isinstance(arg, ast.Call) and inner == "ForeignKey" and arg.args:
            target = _const(arg.args[0])
            if isinstance(target, str):
                col.fk = target
            elif isinstance(arg.args[0], ast.Attribute):  # ForeignKey(Model.id) is rare; keep the text
                col.fk = ast.unparse(arg.args[0])
        elif col.type is None:
            col.type = _type_of(arg)
    for kw in call.keywords:
        if kw.arg == "primary_key" and _const(kw.value) is True:
            col.pk = True
        elif kw.arg == "nullable" and isinstance(_const(kw.value), bool):
            col.nullable = bool(_const(kw.value))
        elif kw.arg == "foreign_key" and isinstance(_const(kw.value), str):  # SQLModel Field
            col.fk = str(_const(kw.value))
        elif kw.arg in ("type_", "sa_type") and col.type is None:
            col.type = _type_of(kw.value)
        elif kw.arg == "sa_column" and isinstance(kw.value, ast.Call):
            _column_call(kw.value, col)


def _is_column_call(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Call) and _name(node.func).rsplit(".", 1)[-1] in (
        "Column", "mapped_column", "Field")


def _table(name: str, cols: list[_Col]) -> Table:
    fks = []
    for c in cols:
        if c.fk and "." in c.fk:
            ref_table, _, ref_col = c.fk.rpartition(".")
            fks.append(ForeignKey((c.name,), ref_table, (ref_col,)))
    pk = tuple(c.name for c in cols if c.pk)
    columns = tuple(
        Column(c.name, c.type or "UNKNOWN", nullable=(not c.pk) if c.nullable is None else c.nullable,
               identity=c.pk and len(pk) == 1 and (c.type or "") in ("INTEGER", "BIGINT") and not c.fk)
        for c in cols
    )
    return Table(name=name, columns=columns, primary_key=pk, foreign_keys=tuple(fks), rows=None)


def _class_columns(node: ast.ClassDef) -> tuple[str | None, list[_Col]]:
    """`__tablename__` (None for a mixin or base) and the columns the class body declares."""
    tablename = None
    cols: list[_Col] = []
    value: ast.expr | None
    annotation: ast.expr | None
    for stmt in node.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            attr, value, annotation = stmt.targets[0].id, stmt.value, None
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            attr, value, annotation = stmt.target.id, stmt.value, stmt.annotation
        else:
            continue
        if attr == "__tablename__" and isinstance(_const(value), str):
            tablename = str(_const(value))
            continue
        if attr.startswith("__"):
            continue
        col = _Col(attr)
        if _is_column_call(value):
            assert isinstance(value, ast.Call)
            _column_call(value, col)
        elif value is not None or annotation is None:
            continue  # relationship(), column_property(), plain class attributes
        if col.type is None and annotation is not None:
            col.type = _type_of(annotation)
        if col.type is None and col.fk is None and not _is_column_call(value):
            continue  # `items: Mapped[list["Item"]]` and other non-column annotations
        cols.append(col)
    return tablename, cols


def _from_table_call(call: ast.Call) -> Table | None:
    if _name(call.func).rsplit(".", 1)[-1] != "Table" or not call.args or not isinstance(_const(call.args[0]), str):
        return None
    cols = []
    for arg in call.args[1:]:
        if isinstance(arg, ast.Call) and _name(arg.func).rsplit(".", 1)[-1] == "Column":
            col = _Col("")
            _column_call(arg, col)
            if col.name:
                cols.append(col)
    return _table(str(_const(call.args[0])), cols) if cols else None


class _Class:
    def __init__(self, node: ast.ClassDef) -> None:
        self.name = node.name
        self.bases = [_name(b).rsplit(".", 1)[-1] for b in node.bases]
        self.tablename, self.cols = _class_columns(node)


def _inherited(cls: _Class, classes: dict[str, _Class], seen: frozenset[str] = frozenset()) -> list[_Col]:
    """Columns of mixins and abstract bases first (in base order), the class's own last, own ones win."""
    merged: dict[str, _Col] = {}
    for base in cls.bases:
        parent = classes.get(base)
        if parent is None or base in seen or parent.tablename is not None:
            continue  # unknown bases, cycles, and concrete parents (joined inheritance has its own table)
        for col in _inherited(parent, classes, seen | {cls.name}):
            merged.setdefault(col.name, col)
    for col in cls.cols:
        merged[col.name] = col
    # declared order: inherited columns keep their place before the class's own
    return list(merged.values())


def schema_from_models(files: list[SourceFile]) -> SchemaSnapshot:
    tables: dict[str, Table] = {}
    classes: dict[str, _Class] = {}
    for f in files:
        if not f.abs_path.endswith(".py"):
            continue
        try:
            text = Path(f.abs_path).read_text(encoding="utf-8")
            if not any(k in text for k in ("__tablename__", "Table(", "Column(", "column(", "Field(")):
                continue
            tree = ast.parse(text)
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                cls = _Class(node)
                if cls.tablename is not None or cls.cols:
                    classes.setdefault(cls.name, cls)
            elif isinstance(node, ast.Call):
                table = _from_table_call(node)
                if table is not None and table.name not in tables:
                    tables[table.name] = table
    for cls in classes.values():
        if cls.tablename is None or cls.tablename in tables:
            continue
        cols = _inherited(cls, classes)
        if cols:
            tables[cls.tablename] = _table(cls.tablename, cols)
    by_class = {c.name: c.tablename for c in classes.values() if c.tablename}
    resolved = [_resolve_class_refs(t, by_class) for t in tables.values()]
    return SchemaSnapshot(dialect="models", tables=tuple(sorted(resolved, key=lambda t: t.name)),
                          source="models")


def _resolve_class_refs(table: Table, classes: dict[str, str]) -> Table:
    """`ForeignKey(ContentItem.id)` names the class: point it at the class's table."""
    if not any(fk.ref_table in classes for fk in table.foreign_keys):
        return table
    fks = tuple(replace(fk, ref_table=classes.get(fk.ref_table, fk.ref_table)) for fk in table.foreign_keys)
    return replace(table, foreign_keys=fks)
