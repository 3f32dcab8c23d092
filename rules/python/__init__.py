"""Python rules, one per file; the catalogue and the example test are generated from RULES."""

from __future__ import annotations

from analyzer.rules.python._base import PyRule
from analyzer.rules.python.cli_argparse import ArgparseIntKey
from analyzer.rules.python.constraint_numeric import NumericConstraint
from analyzer.rules.python.container_key import KeyedContainer
from analyzer.rules.python.db_model_check import ModelCheckConstraint
from analyzer.rules.python.db_model_column import SqlalchemyColumn
from analyzer.rules.python.db_model_inherited_key import InheritedKeyColumn
from analyzer.rules.python.db_model_new_row import NewRowWithoutKey
from analyzer.rules.python.db_model_relationship import RelationshipHint
from analyzer.rules.python.generic_id_type import GenericIdType
from analyzer.rules.python.hazard_arithmetic import KeyArithmetic
from analyzer.rules.python.hazard_foreign_id import ForeignIdSlot
from analyzer.rules.python.hazard_format import IntFormat
from analyzer.rules.python.hazard_int32 import Int32Pack
from analyzer.rules.python.hazard_int_cast import IntCast
from analyzer.rules.python.hazard_isdigit import IsDigit
from analyzer.rules.python.hazard_isinstance import IsInstanceInt
from analyzer.rules.python.hazard_json_payload import JsonPayloadKey
from analyzer.rules.python.hazard_ordering import KeyOrdering
from analyzer.rules.python.hazard_regex import DigitRegex
from analyzer.rules.python.local_annotation import LocalKeyAnnotation
from analyzer.rules.python.marshmallow_field import MarshmallowField
from analyzer.rules.python.migration_column import AlembicCheckConstraint, AlembicColumn
from analyzer.rules.python.pydantic_field import KeyTypeAdapter, PydanticField
from analyzer.rules.python.record_field import RecordField
from analyzer.rules.python.restx_model_field import RestxModelField
from analyzer.rules.python.route_converter import RouteConverter
from analyzer.rules.python.route_param import FastApiParam
from analyzer.rules.python.route_response import FastApiResponseModel
from analyzer.rules.python.service_param import FunctionParam, FunctionReturn
from analyzer.rules.python.sql_raw import PlpgsqlIntVariable, RawSql, SqlDdlIntKey, SqlFile, SqlIntBind
from analyzer.rules.python.task_delay import CeleryDelay
from analyzer.rules.python.task_signature import CeleryTaskSignature
from analyzer.rules.python.test_literals import TestIdUrl, TestIntKey, TestJsonIdAssert
from analyzer.rules.python.type_alias import KeyTypeAlias
from analyzer.rules.python.typing_cast import KeyTypingCast
from analyzer.rules.python.wtforms_field import WtformsField

from analyzer.config import Config

RULES: list[type[PyRule]] = [
    SqlalchemyColumn,
    InheritedKeyColumn,
    RelationshipHint,
    ModelCheckConstraint,
    NewRowWithoutKey,
    AlembicColumn,
    AlembicCheckConstraint,
    PydanticField,
    NumericConstraint,
    KeyTypeAdapter,
    MarshmallowField,
    WtformsField,
    RestxModelField,
    FastApiParam,
    RouteConverter,
    FastApiResponseModel,
    CeleryTaskSignature,
    CeleryDelay,
    FunctionParam,
    FunctionReturn,
    KeyTypeAlias,
    RecordField,
    KeyedContainer,
    LocalKeyAnnotation,
    KeyTypingCast,
    GenericIdType,
    IntCast,
    IsDigit,
    KeyOrdering,
    KeyArithmetic,
    IntFormat,
    DigitRegex,
    IsInstanceInt,
    ForeignIdSlot,
    JsonPayloadKey,
    Int32Pack,
    RawSql,
    SqlIntBind,
    SqlFile,
    PlpgsqlIntVariable,
    SqlDdlIntKey,
    ArgparseIntKey,
    TestIdUrl,
    TestIntKey,
    TestJsonIdAssert,
]


def enabled(config: Config) -> list[PyRule]:
    """One instance of each rule the configuration enables (`disable`, `enable_only`), in RULES' order."""
    return [r for r in (rule() for rule in RULES) if config.rule_enabled(r.code, r.rule_name)]
