"""Finding nodes under a node, in the order a LibCST visitor meets them, without a visitor.

`node.visit(CSTVisitor)` rebuilds every node it passes (`_visit_and_replace_children` constructs and
validates a copy of each), which makes a visitor walk cost about as much as parsing the subtree again: the
scan's small walks (the names of an annotation, the calls of a body, the returns of a function) cost more
than the flow facts they serve. `find` reads the children instead, in the order LibCST's own
`_visit_and_replace_children` visits them (read once per node type from its source), so a result is the
list a visitor collecting the same nodes gives, in the same order. Whitespace, comments, punctuation and
operators are not entered (no name, call or statement is under them).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any, TypeVar, overload

import libcst as cst

N = TypeVar("N", bound=cst.CSTNode)

#: node types with nothing under them any walk looks for (exact types: a set lookup is cheaper than isinstance)
_TRIVIA_BASES = (cst.BaseParenthesizableWhitespace, cst.TrailingWhitespace, cst.EmptyLine, cst.Newline, cst.Comment,
           cst.Comma, cst.Dot, cst.Colon, cst.AssignEqual, cst.Semicolon, cst.LeftParen, cst.RightParen,
           cst.LeftSquareBracket, cst.RightSquareBracket, cst.LeftCurlyBrace, cst.RightCurlyBrace, cst.BaseBinaryOp,
           cst.BaseBooleanOp, cst.BaseCompOp, cst.BaseUnaryOp, cst.BaseAugOp)
_TRIVIA = frozenset(c for c in vars(cst).values() if isinstance(c, type) and issubclass(c, _TRIVIA_BASES))
_VISITED_FIELD = re.compile(r"visit_\w+\(\s*self,\s*\"(\w+)\"")
#: node type -> the fields holding its children, in visiting order (None: read them through LibCST)
_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _fields(kind: type) -> tuple[str, ...] | None:
    try:
        source = inspect.getsource(kind._visit_and_replace_children)  # type: ignore[attr-defined]
    except (OSError, TypeError):
        got = None  # no source at hand: this type's children come from LibCST itself (slow, same order)
    else:
        got = tuple(dict.fromkeys(_VISITED_FIELD.findall(source)))
    _FIELDS[kind] = got
    return got


def _children(node: cst.CSTNode) -> list[Any]:
    """The node's children that are not trivia, in visiting order."""
    kind = type(node)
    names = _FIELDS[kind] if kind in _FIELDS else _fields(kind)
    if names is None:
        return [c for c in node.children if type(c) not in _TRIVIA]
    out: list[Any] = []
    for name in names:
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            if type(value) not in _TRIVIA:
                out.append(value)
        elif isinstance(value, (list, tuple)):
            out += [c for c in value if type(c) not in _TRIVIA]
    return out


@overload
def find(node: cst.CSTNode, kind: type[N], enter: Callable[[cst.CSTNode], bool] | None = None) -> list[N]: ...


@overload
def find(node: cst.CSTNode, kind: tuple[type, ...],
         enter: Callable[[cst.CSTNode], bool] | None = None) -> list[cst.CSTNode]: ...


def find(node: cst.CSTNode, kind: type | tuple[type, ...],
         enter: Callable[[cst.CSTNode], bool] | None = None) -> list[Any]:
    """The nodes of `kind` at or under `node`, in visiting order. `enter(n)` False: a node found under `node`
    is kept (when of `kind`) but what is under it is not looked at (a visitor's `visit_X` returning False)."""
    out: list[Any] = []
    todo: list[Any] = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, kind):
            out.append(n)
        if n is not node and enter is not None and not enter(n):
            continue
        children = _children(n)
        children.reverse()
        todo += children
    return out
