from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid

from analyzer.models import NOT_BIGINT, Finding
from analyzer.python import facts

_HEAD = "from sqlalchemy import func, select\nfrom app.models import ContentItem, User\n"
_ORDER = (cst.LessThan, cst.GreaterThan, cst.LessThanEqual, cst.GreaterThanEqual)
#: the callees `KeyOrdering.check` reads a call of
_ORDERING = ("desc", "asc", "order_by", "max", "min", "sorted", "sort")


class KeyOrdering(PyRule):
    """Ordering, keyset pagination or `max()` over the key.

    Anti-pattern: `order_by(ContentItem.id)`, `ContentItem.id > cursor`, `func.max(ContentItem.id)`,
    `sorted(items, key=lambda i: i.id)`, `value <= 0`, `if content_id == 1:` — random UUIDs have no
    insertion order, no max that means "latest", no sign, and no first id. Best practice: order by `created_at` (plus the key as a
    tie-breaker), or use time-ordered UUIDv7 and keep the semantics explicit. The key after a time column
    (`order_by(X.created_at.desc(), X.id.desc())`) is that tie-breaker and is not reported.

    Not for bigint: an int8 is ordered like an int4; `ORDER BY id`, `max(ids)` and `>` keep their meaning.
    """

    code, name, layer, kind = "PY062", "hazard.ordering", "service", "hazard"
    APPLIES_TO = NOT_BIGINT
    VALID = [Valid(_HEAD + "def owners(s):\n    return s.scalars(select(User).order_by(User.id))\n"
                           "def f(page: int):\n    return page > 1\n"),
             Valid(_HEAD + "def g(users: list[User], page: int):\n"
                           "    return max(u.id for u in users), max(1, page), min(len(users), 10)\n")]
    INVALID = [
        Invalid(_HEAD + "def latest(s):\n    return s.scalars(select(ContentItem).order_by(ContentItem.id.desc()))\n",
                line=4),
        Invalid(_HEAD + "def after(s, cursor):\n    return select(ContentItem).where(ContentItem.id > cursor)\n",
                line=4),
        Invalid(_HEAD + "def top(s):\n    return s.scalar(select(func.max(ContentItem.id)))\n", line=4),
        Invalid(_HEAD + "def newer(a: ContentItem, b: ContentItem) -> bool:\n    return a.id > b.id\n", line=4),
        Invalid(_HEAD + "def cursor(items: list[ContentItem]):\n    return max(i.id for i in items) if items else None\n",
                line=4, message_contains="max()"),
    ]

    INVALID += [Invalid(_HEAD + "from sqlalchemy import desc\ndef newest(s, oldest_first: bool):\n"
                                "    order = ContentItem.id.asc() if oldest_first else desc(ContentItem.id)\n"
                                "    return s.scalars(select(ContentItem).order_by(order))\n", line=5)]
    INVALID += [Invalid(_HEAD + "def update_user(s, content_id: int):\n    if content_id == 1:\n"
                                "        raise PermissionError('the first item is protected')\n", line=4,
                        message_contains="integer literal")]
    VALID += [Valid(_HEAD + "def f(page: int, u: User):\n    return page == 1 or u.id == 1\n")]

    # the key as the tie-breaker after a time column, as advised; after a title it still orders by creation
    VALID += [Valid(_HEAD + "def feed(s):\n    return s.scalars(select(ContentItem)"
                            ".order_by(ContentItem.created_at.desc(), ContentItem.id.desc()))\n")]
    INVALID += [Invalid(_HEAD + "def by_title(s):\n    return s.scalars(select(ContentItem)"
                                ".order_by(ContentItem.title, ContentItem.id))\n", line=4)]

    # `>=` between sets of keys is a subset test
    VALID += [Valid(_HEAD + "def unlocked(required):\n    solved = {i.id for i in ContentItem.query.all()}\n"
                            "    return solved >= set(required).intersection(solved)\n")]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        pf = ctx.pf
        for entry in pf.of(cst.Comparison):
            node = entry.node
            assert isinstance(node, cst.Comparison)
            left = node.left
            literal = self._literal_equality(ctx, entry.func, node)
            if literal is not None:
                yield literal
                continue
            for comp in node.comparisons:
                if isinstance(comp.operator, _ORDER):
                    ev = ctx.key(entry.func, left) or ctx.key(entry.func, comp.comparator)
                    if ev and (_a_set(ctx, entry.func, left) or _a_set(ctx, entry.func, comp.comparator)):
                        ev = None  # solved >= needed: a subset test
                    if ev:
                        yield ctx.finding(self, node, ctx.symbol(entry.func),
                                          f"`{pf.code(node)}` compares keys by order", evidence=ev[0],
                                          target=ev[1], layer=ctx.layer_of(entry.func, "other"),
                                          review="UUIDs have no order: compare timestamps or use UUIDv7")
                        break
                left = comp.comparator
        in_order_by = {id(a.value) for e in pf.calls_named(("order_by",)) for a in e.node.args}  # type: ignore[attr-defined]
        for entry in pf.calls_named(_ORDERING):
            call = entry.node
            assert isinstance(call, cst.Call)
            name = facts.callee_name(call)
            ev = None
            if name in ("desc", "asc") and id(call) not in in_order_by:  # id_order = desc(Item.id), used later
                ev = self._ordered_key(ctx, entry.func, call)
                what = "orders by the key"
            elif name == "order_by":
                for i, a in enumerate(call.args):
                    ev = self._ordered_key(ctx, entry.func, a.value)
                    if ev and any(_time_column(b.value) for b in call.args[:i]):
                        ev = None  # order_by(X.created_at.desc(), X.id.desc()): the key breaks ties, as advised
                    if ev:
                        break
                what = "orders by the key"
            elif name in ("max", "min") and isinstance(call.func, cst.Attribute):
                args = facts.positional(call)
                ev = ctx.key(entry.func, args[0].value) if args else None
                what = f"takes {name}() of the key"
            elif name in ("sorted", "sort", "max", "min"):
                kw = facts.kwarg(call, "key")
                ev = self._lambda_key(ctx, entry.func, call, kw.value) if kw is not None else None
                what = "sorts by the key"
                if ev is None and kw is None and name in ("max", "min") and isinstance(call.func, cst.Name):
                    # max(i.id for i in items) / max(ids): "the latest" by key order
                    for a in facts.positional(call):
                        ev = ctx.key(entry.func, a.value)
                        if ev:
                            what = f"takes {name}() of the key"
                            break
            if ev:
                yield ctx.finding(self, call, ctx.symbol(entry.func), f"`{_short(pf.code(call))}` {what}",
                                  evidence=ev[0], target=ev[1], layer=ctx.layer_of(entry.func, "other"),
                                  review="order by created_at (key as tie-breaker) or use UUIDv7")

    def _literal_equality(self, ctx: FileCtx, fi, node: cst.Comparison) -> Finding | None:  # type: ignore[no-untyped-def]
        """`if id == 1:` (the first user is the super user): never true once the key is a UUID. Tests are PY081's."""
        if ctx.pf.layer == "test" or len(node.comparisons) != 1 \
                or not isinstance(node.comparisons[0].operator, (cst.Equal, cst.NotEqual)):
            return None
        left, right = node.left, node.comparisons[0].comparator
        for a, b in ((left, right), (right, left)):
            if _int_literal(b) and isinstance(a, (cst.Name, cst.Attribute)):
                ev = ctx.key(fi, a)
                if ev:
                    return ctx.finding(self, node, ctx.symbol(fi), f"`{ctx.pf.code(node)}` compares the key with an "
                                       f"integer literal", evidence=ev[0], target=ev[1],
                                       layer=ctx.layer_of(fi, "other"),
                                       review="never equal once the key is a UUID: compare with a known id or a flag")
        return None

    def _ordered_key(self, ctx: FileCtx, fi, expr: cst.BaseExpression):  # type: ignore[no-untyped-def]
        if isinstance(expr, cst.Call):  # ContentItem.id.desc() / desc(ContentItem.id)
            if isinstance(expr.func, cst.Attribute) and expr.func.attr.value in ("asc", "desc", "nulls_last"):
                return self._ordered_key(ctx, fi, expr.func.value)
            args = facts.positional(expr)
            if facts.callee_name(expr) in ("asc", "desc") and args:
                return self._ordered_key(ctx, fi, args[0].value)
            return None
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value in ctx.model.orm:
            return ctx.key(fi, expr)
        return None

    def _lambda_key(self, ctx: FileCtx, fi, call: cst.Call, fn: cst.BaseExpression):  # type: ignore[no-untyped-def]
        if not isinstance(fn, cst.Lambda) or not isinstance(fn.body, cst.Attribute):
            return None
        args = facts.positional(call)
        cls = ctx.flow.instance_class(ctx.pf, fi, args[0].value) if args else None
        if cls and fn.body.attr.value in ctx.model.orm[cls].key_attrs:
            return f"sort key {cls}.{fn.body.attr.value}", ctx.model.orm[cls].key_attrs[fn.body.attr.value].target
        return None


_TIME = re.compile(r"(?:^|_)(?:created|updated|modified|published|inserted|date|datetime|time|timestamp|ts)(?:_|$)|"
                   r"_(?:at|on)$", re.I)


def _time_column(expr: cst.BaseExpression) -> bool:
    """`X.created_at`, `X.created_at.desc()`, `desc(X.timestamp)`, `X.date.nulls_last()`: an ordering by a time
    column (by its name), which the key may follow as a tie-breaker."""
    while isinstance(expr, cst.Call):
        if isinstance(expr.func, cst.Attribute) and expr.func.attr.value in ("asc", "desc", "nulls_last",
                                                                              "nulls_first"):
            expr = expr.func.value
        elif facts.callee_name(expr) in ("asc", "desc", "nullslast", "nullsfirst") and facts.positional(expr):
            expr = facts.positional(expr)[0].value
        else:
            return False
    return isinstance(expr, cst.Attribute) and _TIME.search(expr.attr.value) is not None


_SET_METHODS = ("intersection", "union", "difference", "symmetric_difference", "copy")


def _a_set(ctx: FileCtx, fi, expr: cst.BaseExpression, depth: int = 0) -> bool:  # type: ignore[no-untyped-def]
    """Is `expr` plainly a set: a set display or comprehension, `set(...)` / `frozenset(...)`, a set method's result
    (`set(a).intersection(b)`), or a local name every assignment of which in the function is one of those? Then
    `<=` / `>=` beside it test inclusion, not order."""
    if isinstance(expr, (cst.Set, cst.SetComp)):
        return True
    if isinstance(expr, cst.Call):
        if isinstance(expr.func, cst.Name):
            return expr.func.value in ("set", "frozenset")
        return isinstance(expr.func, cst.Attribute) and expr.func.attr.value in _SET_METHODS \
            and depth < 4 and _a_set(ctx, fi, expr.func.value, depth + 1)
    if isinstance(expr, cst.Name) and fi is not None and depth < 4:
        values = [e.node.value for e in ctx.pf.of(cst.Assign) if e.func is fi and isinstance(e.node, cst.Assign)
                  and len(e.node.targets) == 1 and isinstance(e.node.targets[0].target, cst.Name)
                  and e.node.targets[0].target.value == expr.value]
        return bool(values) and all(_a_set(ctx, fi, v, depth + 1) for v in values)
    return False


def _int_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        node = node.expression
    return isinstance(node, cst.Integer)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) < 70 else text[:69] + "…"
