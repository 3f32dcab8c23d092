from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid

from analyzer.models import NOT_BIGINT, Finding
from analyzer.python.parsed import FuncInfo

_OPS = (cst.Add, cst.Subtract, cst.Multiply, cst.Divide, cst.FloorDivide, cst.Modulo)


class KeyArithmetic(PyRule):
    """Arithmetic on a key: `+ 1`, offsets, `% shards`.

    Anti-pattern: `next_id = max_id + 1`, `content_id % shards`, `job.content_id + 10_000_000` — a
    UUID supports none of it. Best practice: generate keys in one place (`uuid.uuid4()` / the database
    default), shard on a hash of the key, keep id spaces apart with a discriminator column.

    A collection beside the operator (a display, a comprehension, or a name bound to one or annotated
    `set[...]` / `list[...]`) makes it concatenation, repetition or a set difference: no arithmetic.

    Not for bigint: an int8 computes like an int4 (Python's int has no width).
    """

    code, name, layer, kind = "PY063", "hazard.arithmetic", "service", "hazard"
    APPLIES_TO = NOT_BIGINT
    VALID = [Valid("def offset_for(page: int, page_size: int) -> int:\n    return (max(page, 1) - 1) * page_size\n"
                   "def f(content_id):\n    return 'c-' + str(content_id)\n"),
             # string concatenation: the key made a string (`str(...)`), or a chain that holds a string
             Valid("GROUP = 1\n\n\nclass ItemUrls:\n    url = '/browser/item/obj/'\n\n"
                   "    def __init__(self, content_id):\n        self.content_id = content_id\n\n"
                   "    def detail(self):\n        return self.url + str(GROUP) + '/' + str(self.content_id)\n\n"
                   "    def parts(self, prefix):\n        return prefix + str(self.content_id)\n")]
    INVALID = [
        Invalid("def shard_for(content_id: int, shards: int = 16) -> int:\n    return content_id % shards\n", line=2),
        Invalid("def f(job):\n    return job.content_id + 10_000_000\n", line=2),
    ]
    # sequences: a row list holding the key concatenated or repeated (a CSV export), a set of keys minus another
    VALID += [Valid("from app.models import ContentItem\n"
                    "def row(i: int, item: ContentItem, extra: list) -> list:\n"
                    "    return [i + 1, item.title, item.id] + extra\n"
                    "def pair(item: ContentItem, tail: tuple) -> tuple:\n    return (item.id, item.title) + tail\n"
                    "def rest(items: list[ContentItem], seen: set) -> set:\n"
                    "    return {i.id for i in items} - seen, list(i.id for i in items) * 2\n")]
    # names bound to collections: a reconciliation's set difference of the ids it has and the ids it wants
    VALID += [Valid("from app.models import Image\n"
                    "def stale(rows: list[Image], wanted: list[dict], extra: set[int]) -> set[int]:\n"
                    "    have = {r.content_id for r in rows}\n    want = {w['content_id'] for w in wanted}\n"
                    "    return (have - want) | (have - extra)\n")]
    INVALID += [Invalid("from app.models import ContentItem\n"
                        "def row(item: ContentItem, extra: list) -> list:\n    return [item.id + 1] + extra\n",
                        line=3, message_contains="item.id + 1")]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        for entry in ctx.pf.of(cst.BinaryOperation):
            node = entry.node
            assert isinstance(node, cst.BinaryOperation)
            if not isinstance(node.operator, _OPS):
                continue
            if _stringy(node.left) or _stringy(node.right):
                continue  # string concatenation / %-formatting: the format rule's business
            if _sequence(node.left) or _sequence(node.right):
                continue  # `[item.id, item.title] + extra`: a sequence concatenated, repeated or a set difference
            ev = ctx.key(entry.func, node.left) or ctx.key(entry.func, node.right)
            if ev is None or _collection_name(ctx, entry.func, node.left) \
                    or _collection_name(ctx, entry.func, node.right):  # (after the key: it reads the function)
                continue
            yield ctx.finding(self, node, ctx.symbol(entry.func), f"arithmetic on the key: `{ctx.pf.code(node)}`",
                              evidence=ev[0], target=ev[1], layer=ctx.layer_of(entry.func, "other"),
                              review="keys are opaque: no arithmetic; hash for sharding, generate with uuid")
        for entry in ctx.pf.of(cst.AugAssign):
            aug = entry.node
            assert isinstance(aug, cst.AugAssign)
            if isinstance(aug.operator, (cst.AddAssign, cst.SubtractAssign, cst.ModuloAssign)):
                ev = ctx.key(entry.func, aug.target)
                if ev:
                    yield ctx.finding(self, aug, ctx.symbol(entry.func), f"arithmetic on the key: `{ctx.pf.code(aug)}`",
                                      evidence=ev[0], target=ev[1], layer=ctx.layer_of(entry.func, "other"),
                                      review="keys are opaque: no arithmetic")


_STRINGS = (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)
_DISPLAYS = (cst.List, cst.Tuple, cst.Set, cst.ListComp, cst.SetComp, cst.DictComp, cst.Dict)
_MAKERS = frozenset(("list", "tuple", "set", "frozenset", "sorted", "dict"))


def _sequence(node: cst.BaseExpression) -> bool:
    """Is this operand a collection: a list, tuple or set display or comprehension, or `list(...)` / `tuple(...)` /
    `set(...)` / `sorted(...)`? Then `+`, `*` and `-` beside it concatenate, repeat or take a set difference."""
    if isinstance(node, _DISPLAYS):
        return True
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in _MAKERS


_COLLECTION_TYPES = frozenset(("list", "List", "tuple", "Tuple", "set", "Set", "frozenset", "FrozenSet",
                               "AbstractSet", "MutableSet", "Sequence"))


def _collection_name(ctx: FileCtx, fi: FuncInfo | None, node: cst.BaseExpression) -> bool:
    """Is this operand a local name (or parameter) of `fi` bound to a collection: assigned a display, comprehension or
    `set(...)`-like call, or annotated `set[...]` / `list[...]` / `tuple[...]`? (`to_remove = current_ids -
    desired_ids` of two set comprehensions.) Any other binding of the name makes it no collection."""
    if fi is None or type(node) is not cst.Name:
        return False
    name = node.value
    param = fi.param(name)
    if param is not None:
        return param.annotation is not None and _collection_type(param.annotation.annotation)
    seen = False
    for kind in (cst.Assign, cst.AnnAssign):
        for entry in ctx.pf.of(kind):
            if entry.func is not fi:
                continue
            stmt = entry.node
            if isinstance(stmt, cst.AnnAssign):
                if not (isinstance(stmt.target, cst.Name) and stmt.target.value == name):
                    continue
                if not _collection_type(stmt.annotation.annotation) and (stmt.value is None or not _sequence(stmt.value)):
                    return False
            else:
                assert isinstance(stmt, cst.Assign)
                if not any(isinstance(t.target, cst.Name) and t.target.value == name for t in stmt.targets):
                    continue
                if not _sequence(stmt.value):
                    return False
            seen = True
    return seen


def _collection_type(ann: cst.BaseExpression) -> bool:
    """`set[int]`, `frozenset[int]`, `list[int]`, `typing.Tuple[int, ...]`, `Optional[...]` of them."""
    if isinstance(ann, cst.Subscript):
        head = ann.value
        word = head.value if isinstance(head, cst.Name) else head.attr.value if isinstance(head, cst.Attribute) else ""
        if word == "Optional" and ann.slice and isinstance(ann.slice[0].slice, cst.Index):
            return _collection_type(ann.slice[0].slice.value)
        return word in _COLLECTION_TYPES
    return isinstance(ann, cst.Name) and ann.value in _COLLECTION_TYPES


def _stringy(node: cst.BaseExpression) -> bool:
    """Is this operand a string: a literal, `str(...)` / `repr(...)`, `"...".format(...)` / `sep.join(...)`, or a
    `+` / `%` chain holding one (`url + str(group) + '/'`)? Then the operator beside it concatenates or formats."""
    kind = type(node)
    if kind in _STRINGS:
        return True
    if kind is cst.Call:
        func = node.func  # type: ignore[attr-defined]
        return (type(func) is cst.Name and func.value in ("str", "repr")) or (
            type(func) is cst.Attribute and func.attr.value in ("format", "join") and type(func.value) in _STRINGS)
    if kind is cst.BinaryOperation and type(node.operator) in (cst.Add, cst.Modulo):  # type: ignore[attr-defined]
        return _stringy(node.left) or _stringy(node.right)  # type: ignore[attr-defined]
    return False
