"""facts.string_value: plain literals are read from their text without a compile; the others as `ast.literal_eval`
reads them. Both paths must give literal_eval's answer (None for bytes and f-strings)."""

from __future__ import annotations

import ast

import libcst as cst
import pytest

from analyzer.python import facts

#: plain ones (the text between the quotes) and the shapes the fast path must leave to literal_eval
LITERALS = [
    "'content_id'", '"content_id"', "''", '""', "'''a\nb'''", '"""x "y" z"""', "'a\"b'", '"it\'s"',
    "'a\\tb'", "'a\\\\b'", "'\\u00e9'", "'é'", "r'\\d+'", "b'bytes'", "u'x'", "R'x'", "'a\\\nb'",
    "'''a'b'''", '"""a"""', "'''a\\'''b'''",
]


@pytest.mark.parametrize("text", LITERALS)
def test_the_value_is_literal_evals(text: str) -> None:
    node = cst.parse_expression(text)
    expected = ast.literal_eval(text)
    facts.clear_caches()
    assert facts.string_value(node) == (expected if isinstance(expected, str) else None)
    assert facts.string_value(node) == (expected if isinstance(expected, str) else None)  # the kept answer


def test_not_a_string_literal() -> None:
    assert facts.string_value(cst.parse_expression("f'{x}'")) is None
    assert facts.string_value(cst.parse_expression("42")) is None
    assert facts.string_value(cst.parse_expression("'a' 'b'")) == "ab"
    assert facts.string_value(None) is None
