from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid

from analyzer.models import NOT_BIGINT, Edit, Finding
from analyzer.python.parsed import FuncInfo

_HEAD = "from collections import Counter\nfrom datetime import date\n"
_COLLECTIONS = {"list", "List", "set", "Set", "frozenset", "FrozenSet", "deque", "Deque", "Sequence", "tuple",
                "Tuple", "Iterable", "MutableSequence", "MutableSet"}


def _tail(node: cst.BaseExpression) -> str:
    return node.value if isinstance(node, cst.Name) else node.attr.value if isinstance(node, cst.Attribute) else ""


class KeyedContainer(PyRule):
    """A dict, Counter, set or list of keys, typed with `int` keys.

    Anti-pattern: `counts: dict[int, int] = {}` filled with `counts[entity_id] += 1`, a function
    `-> dict[int, int]` returning `{int(entity_id): n ...}`, `seen: set[int] = set()` filled with
    `seen.add(item.id)`, `pairs: list[tuple[int, int]]` of `(item.id, n)`. Best practice: type the key
    side with the new key type; the value side (a count) stays as it is.

    Not for bigint: Python's int has no width; `dict[int, X]`, `list[int]` hold bigint keys.
    """

    code, name, layer, kind = "PY054", "container.key_type", "service", "must_change"
    APPLIES_TO = NOT_BIGINT
    fixable = True
    VALID = [Valid("def f(rows) -> dict[int, int]:\n    counts: dict[int, int] = {}\n"
                   "    for user_id, n in rows:\n        counts[user_id] = n\n    return counts\n")]
    INVALID = [
        Invalid("def f(rows) -> dict[int, int]:\n    counts: dict[int, int] = {}\n"
                "    for content_id, n in rows:\n        counts[content_id] = n\n    return counts\n",
                line=2, expected_fix="    counts: dict[uuid.UUID, int] = {}"),
        Invalid("def f(rows) -> dict[int, int]:\n    return {int(content_id): n for content_id, n in rows}\n",
                line=1, expected_fix="def f(rows) -> dict[uuid.UUID, int]:"),
        Invalid(_HEAD + "def g(rows):\n    counts: Counter[tuple[int, date]] = Counter()\n"
                "    for content_id, day in rows:\n        counts[(content_id, day)] += 1\n",
                line=4, expected_fix="    counts: Counter[tuple[uuid.UUID, date]] = Counter()"),
    ]

    _MODELS = "from sqlalchemy import func, select\nfrom app.models import ContentItem, Image, User\n"
    VALID += [Valid(_MODELS + "def scores(s) -> list[int]:\n    out: list[int] = []\n"
                              "    for user in s.scalars(select(User)):\n        out.append(len(user.email))\n"
                              "    seen: set[int] = {u.id for u in s.scalars(select(User))}\n    return out\n")]
    INVALID += [
        Invalid(_MODELS + "def visible(s) -> set[int]:\n    seen: set[int] = set()\n"
                          "    for item in s.scalars(select(ContentItem)):\n        seen.add(item.id)\n"
                          "    return seen\n", line=4, expected_fix="    seen: set[uuid.UUID] = set()"),
        Invalid(_MODELS + "def per_item(s):\n    pairs: list[tuple[int, int]] = []\n"
                          "    for ref, n in s.execute(select(Image.content_id, func.count()).group_by(Image.content_id)):\n"
                          "        pairs.append((ref, n))\n    return pairs\n",
                line=4, expected_fix="    pairs: list[tuple[uuid.UUID, int]] = []"),
    ]

    # an instance cache declared in __init__ and filled by another method; a page cache keyed by page numbers
    _CACHE = ("from collections import OrderedDict\nfrom app.models import ContentItem\n"
              "class ItemCache:\n    def __init__(self, maxsize: int = 512) -> None:\n"
              "        self.maxsize = maxsize\n"
              "        self._items: OrderedDict[int, ContentItem] = OrderedDict()\n"
              "        self._pages: dict[int, list[ContentItem]] = {}\n"
              "    def put(self, item: ContentItem) -> None:\n        self._items[item.id] = item\n"
              "    def put_page(self, page: int, rows: list[ContentItem]) -> None:\n        self._pages[page] = rows\n")
    INVALID += [Invalid(_CACHE, line=6, expected_fix="        self._items: OrderedDict[uuid.UUID, ContentItem] = OrderedDict()")]
    VALID += [Valid(_CACHE.replace("self._items[item.id] = item", "self._items[len(self._items)] = item"))]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        pf = ctx.pf
        keyed: dict[tuple[int, str], tuple[cst.BaseExpression, str]] = {}  # (func id, var) -> (key expr, why)
        for kind in (cst.Assign, cst.AugAssign):
            for entry in pf.of(kind):
                node = entry.node
                targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
                for t in targets:
                    if isinstance(t, cst.Subscript) and len(t.slice) == 1 and isinstance(t.slice[0].slice, cst.Index):
                        holder = _holder(t.value, entry.cls)
                        key = t.slice[0].slice.value
                        ev = ctx.key(entry.func, key) if holder is not None else None
                        if ev and holder is not None:
                            keyed[holder if isinstance(t.value, cst.Attribute) else (id(entry.func), holder[1])] = \
                                (key, ev[0])
        for entry in pf.of(cst.AnnAssign):
            node = entry.node
            assert isinstance(node, cst.AnnAssign)
            holder = _holder(node.target, entry.cls) if isinstance(node.target, cst.Attribute) else None
            if holder is not None:  # `self._items: OrderedDict[int, Row] = OrderedDict()`, filled by another method
                hit = keyed.get(holder)
                edits = self._key_edits(ctx, node.annotation.annotation, hit[0]) if hit else ()
                if hit and (edits or not ctx.model.int_changes):
                    yield ctx.finding(self, node, ctx.symbol(entry.func, holder[1]),
                                      f"`self.{holder[1]}` is keyed by the key but typed "
                                      f"`{pf.code(node.annotation.annotation)}`", evidence=hit[1], edits=edits,
                                      layer=ctx.layer_of(entry.func, "other"))
                continue
            if not isinstance(node.target, cst.Name):
                continue
            hit = keyed.get((id(entry.func), node.target.value))
            if hit is None:
                yield from self._collection(ctx, entry.func, node)
                continue
            edits = self._key_edits(ctx, node.annotation.annotation, hit[0])
            if edits or not ctx.model.int_changes:
                yield ctx.finding(self, node, ctx.symbol(entry.func, node.target.value),
                                  f"`{node.target.value}` is keyed by the key but typed "
                                  f"`{pf.code(node.annotation.annotation)}`", evidence=hit[1], edits=edits,
                                  layer=ctx.layer_of(entry.func, "other"))
        for fi in pf.functions:
            ret = fi.node.returns
            if ret is None:
                continue
            why = self._returns_keyed(ctx, fi, keyed)
            if why is None:
                continue
            edits = self._key_edits(ctx, ret.annotation, why[0])
            if edits:
                yield ctx.finding(self, ret.annotation, fi.qualname,
                                  f"{fi.qualname}() returns a container keyed by the key, typed "
                                  f"`{pf.code(ret.annotation)}`", evidence=why[1], edits=edits,
                                  layer=ctx.layer_of(fi, "other"))

    def _collection(self, ctx: FileCtx, fi: FuncInfo | None, node: cst.AnnAssign) -> Iterator[Finding]:
        """`seen: set[int] = set()` then `seen.add(item.id)`; `rows: list[tuple[int, int]] = []` then
        `rows.append((item.id, n))`: the element type (the key's slot of a tuple) changes."""
        assert isinstance(node.target, cst.Name)
        name = node.target.value
        ann = node.annotation.annotation
        if fi is None or name not in fi.env or not isinstance(ann, cst.Subscript) \
                or _tail(ann.value) not in _COLLECTIONS or not ctx.has_int(ann):
            return
        edits, review = ctx.key_type_edits(fi, ann, [node.target])
        if edits or review or not ctx.model.int_changes:
            yield ctx.finding(self, node, ctx.symbol(fi, name),
                              f"`{name}` collects keys but is typed `{ctx.pf.code(ann)}`", evidence=fi.env[name],
                              edits=edits, review=review, layer=ctx.layer_of(fi, "other"))

    def _returns_keyed(self, ctx: FileCtx, fi: FuncInfo, keyed: dict) -> tuple[cst.BaseExpression, str] | None:  # type: ignore[type-arg]
        for r in ctx.pf.returns_of(fi):
            v = r.value
            if isinstance(v, cst.Name) and (id(fi), v.value) in keyed:
                return keyed[(id(fi), v.value)]
            if isinstance(v, cst.DictComp):
                saved = dict(fi.env)
                target = v.for_in.target
                names = [target] if isinstance(target, cst.Name) else [
                    e.value for e in target.elements if isinstance(e.value, cst.Name)] \
                    if isinstance(target, cst.Tuple) else []
                for n in names:
                    if isinstance(n, cst.Name) and n.value in ctx.model.key_names:
                        fi.env.setdefault(n.value, f"`{n.value}` is named like {ctx.model.key_names[n.value]}")
                ev = ctx.key(fi, v.key)
                fi.env = saved
                if ev:
                    return v.key, ev[0]
        return None

    def _key_edits(self, ctx: FileCtx, ann: cst.BaseExpression, key: cst.BaseExpression) -> tuple[Edit, ...]:
        """Edits for the key side of `dict[K, V]` / `Counter[K]` / `set[K]` (tuple keys: matching slots)."""
        if not isinstance(ann, cst.Subscript) or not ann.slice or not isinstance(ann.slice[0].slice, cst.Index):
            return ()
        k = ann.slice[0].slice.value
        if isinstance(k, cst.Subscript) and isinstance(key, cst.Tuple) and isinstance(k.value, cst.Name) \
                and k.value.value in ("tuple", "Tuple"):
            out: list[Edit] = []
            for i, el in enumerate(key.elements):
                if i < len(k.slice) and ctx.key(None, el.value) is not None or (
                        i < len(k.slice) and isinstance(el.value, cst.Name) and el.value.value in ctx.model.key_names):
                    part = k.slice[i].slice
                    if isinstance(part, cst.Index):
                        out.extend(ctx.int_edits(part.value))
            return tuple(out)
        if isinstance(k, cst.Name) and k.value == "int":
            return ctx.int_edits(k)
        return ()


def _holder(target: cst.BaseExpression, cls: cst.ClassDef | None) -> tuple[int, str] | None:
    """What a subscript writes into: a local name (`counts`, keyed by its function later) or an attribute of the
    instance (`self._items`, keyed by its class: written in one method, declared in `__init__`)."""
    if isinstance(target, cst.Name):
        return (0, target.value)
    if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == "self" \
            and cls is not None:
        return (id(cls), target.attr.value)
    return None
