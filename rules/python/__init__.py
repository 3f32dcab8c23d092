"""Python rules, one per file; the catalogue and the example test are generated from RULES."""

from __future__ import annotations

from analyzer.rules.python._base import PyRule
from analyzer.rules.python.db_model_column import SqlalchemyColumn

RULES: list[type[PyRule]] = [
    SqlalchemyColumn,
]
