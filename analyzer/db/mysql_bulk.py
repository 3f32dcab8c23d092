"""Bulk reflection for MySQL/MariaDB from information_schema: a handful of queries for the whole schema.

SQLAlchemy's MySQL dialect has no bulk `get_multi_*`: it runs `SHOW CREATE TABLE` once per table.
On a large schema that is thousands of round trips, so the same facts are read here from
information_schema (columns, statistics, key_column_usage + referential_constraints) in four
queries, shaped like the inspector's dictionaries so `reflect` treats both the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

Raw = list[tuple[str | None, str, dict[str, Any]]]

_INT_WIDTH = re.compile(r"^(TINYINT|SMALLINT|MEDIUMINT|INT|BIGINT)\(\d+\)")
_DECIMAL = re.compile(r"^(DECIMAL|NUMERIC|FLOAT|DOUBLE)\((\d+),(\d+)\)")


def mysql_type(column_type: str) -> str:
    """`int(11) unsigned` -> `INTEGER UNSIGNED`, `decimal(12,2)` -> `DECIMAL(12, 2)`: SQLAlchemy's spelling."""
    text = _INT_WIDTH.sub(r"\1", column_type.strip().upper())
    text = _DECIMAL.sub(r"\1(\2, \3)", text)
    if text == "INT" or text.startswith("INT "):
        text = "INTEGER" + text[3:]
    return text


def _in(name: str) -> sa.BindParameter[list[str]]:
    return sa.bindparam(name, expanding=True)


def reflect_mysql(conn: sa.Connection, schemas: Sequence[str], default: str | None) -> Raw:
    params = {"s": list(schemas)}
    tables = [(str(s), str(t)) for s, t in conn.execute(sa.text(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_type = 'BASE TABLE' AND table_schema IN :s ORDER BY table_schema, table_name"
    ).bindparams(_in("s")), params)]
    info: dict[tuple[str, str], dict[str, Any]] = {
        key: {"columns": [], "pk": {"constrained_columns": []}, "fks": [], "indexes": [], "uniques": []}
        for key in tables
    }
    for sch, tbl, col, ctype, nullable, default_value, extra, generated in conn.execute(sa.text(
        "SELECT table_schema, table_name, column_name, column_type, is_nullable, column_default, extra, "
        "generation_expression "
        "FROM information_schema.columns WHERE table_schema IN :s "
        "ORDER BY table_schema, table_name, ordinal_position"
    ).bindparams(_in("s")), params):
        entry = info.get((sch, tbl))
        if entry is None:
            continue  # a view's columns
        entry["columns"].append({
            "name": col,
            "type": mysql_type(str(ctype)),
            "nullable": nullable == "YES",
            "default": None if default_value in (None, "NULL") else str(default_value),
            "autoincrement": "auto_increment" in str(extra or "").lower(),
            **({"computed": {"sqltext": str(generated)}} if generated else {}),
        })

    indexes: dict[tuple[str, str, str], dict[str, Any]] = {}
    for sch, tbl, index, non_unique, col in conn.execute(sa.text(
        "SELECT table_schema, table_name, index_name, non_unique, column_name FROM information_schema.statistics "
        "WHERE table_schema IN :s ORDER BY table_schema, table_name, index_name, seq_in_index"
    ).bindparams(_in("s")), params):
        entry = info.get((sch, tbl))
        if entry is None:
            continue
        if index == "PRIMARY":
            entry["pk"]["constrained_columns"].append(col)
            continue
        ix = indexes.get((sch, tbl, index))
        if ix is None:
            ix = indexes[(sch, tbl, index)] = {"name": index, "column_names": [], "unique": not int(non_unique)}
            entry["indexes"].append(ix)
        ix["column_names"].append(col)
    for entry in info.values():
        entry["uniques"] = [{"name": ix["name"], "column_names": ix["column_names"]}
                            for ix in entry["indexes"] if ix["unique"]]

    fks: dict[tuple[str, str, str], dict[str, Any]] = {}
    for sch, tbl, name, col, ref_sch, ref_tbl, ref_col, on_update, on_delete in conn.execute(sa.text(
        "SELECT k.table_schema, k.table_name, k.constraint_name, k.column_name, k.referenced_table_schema, "
        "k.referenced_table_name, k.referenced_column_name, r.update_rule, r.delete_rule "
        "FROM information_schema.key_column_usage k JOIN information_schema.referential_constraints r "
        "ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name "
        "AND r.table_name = k.table_name "
        "WHERE k.table_schema IN :s AND k.referenced_table_name IS NOT NULL "
        "ORDER BY k.table_schema, k.table_name, k.constraint_name, k.ordinal_position"
    ).bindparams(_in("s")), params):
        entry = info.get((sch, tbl))
        if entry is None:
            continue
        fk = fks.get((sch, tbl, name))
        if fk is None:
            options = {k: v for k, v in (("onupdate", on_update), ("ondelete", on_delete))
                       if v and v not in ("RESTRICT", "NO ACTION")}  # InnoDB's default, as SHOW CREATE omits it
            fk = fks[(sch, tbl, name)] = {
                "name": name, "constrained_columns": [], "referred_schema": None if ref_sch == sch else ref_sch,
                "referred_table": ref_tbl, "referred_columns": [], "options": options,
            }
            entry["fks"].append(fk)
        fk["constrained_columns"].append(col)
        fk["referred_columns"].append(ref_col)

    return [(None if sch == default else sch, tbl, entry) for (sch, tbl), entry in info.items()]
