"""Python rules, one per file; the catalogue and the example test are generated from RULES."""

from __future__ import annotations

from analyzer.rules.python._base import PyRule
from analyzer.rules.python.db_model_column import SqlalchemyColumn
from analyzer.rules.python.migration_column import AlembicColumn
from analyzer.rules.python.pydantic_field import PydanticField
from analyzer.rules.python.record_field import RecordField
from analyzer.rules.python.route_converter import RouteConverter
from analyzer.rules.python.route_param import FastApiParam
from analyzer.rules.python.service_param import FunctionParam, FunctionReturn
from analyzer.rules.python.task_delay import CeleryDelay
from analyzer.rules.python.task_signature import CeleryTaskSignature
from analyzer.rules.python.type_alias import KeyTypeAlias

RULES: list[type[PyRule]] = [
    SqlalchemyColumn,
    AlembicColumn,
    PydanticField,
    FastApiParam,
    RouteConverter,
    CeleryTaskSignature,
    CeleryDelay,
    FunctionParam,
    FunctionReturn,
    KeyTypeAlias,
    RecordField,
]
