from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid

from analyzer.models import NOT_BIGINT, Edit, Finding
from analyzer.python import facts
from analyzer.python.flow import REQUEST_MAPS
from analyzer.python.walk import find


class IntCast(PyRule):
    """`int(...)` applied to a key.

    Anti-pattern: `content_id = int(payload.content_id)`, `return int(raw)` in an id parser, or
    `ContentItem.query.get_or_404(int(ref))` — a UUID string raises ValueError. Best practice: parse with the key
    type (`uuid.UUID(raw)`) in one helper.

    Not for bigint: `int(raw)` parses any bigint.
    """

    code, name, layer, kind = "PY060", "hazard.int_cast", "service", "hazard"
    APPLIES_TO = NOT_BIGINT
    fixable = True
    VALID = [Valid("def middleware(request):\n    request.state.page = int(request.query_params.get('page', '1'))\n"
                   "    request.state.order_id = int(request.headers['X-Order']) if request.headers else None\n"
                   "    request.state.id = int(request.headers['X-Id'])\n"),
             Valid("from fastapi import Depends, Request\n"
                   "def ref_from_header(request: Request) -> int:\n    return int(request.headers['X-Ref'])\n"
                   "def read(shipment_id: int = Depends(ref_from_header)) -> None: ...\n"
                   "async def mw(request, call_next):\n"
                   "    request.state.order = int(request.headers.get('X-Order', '0'))\n"),
             Valid("def parse_page(raw):\n    return max(int(raw or 1), 1)\n"
                   "def f(user_id):\n    return int(user_id)\n")]
    INVALID = [
        Invalid("def enqueue(payload):\n    content_id = int(payload.content_id)\n    return content_id\n", line=2),
        Invalid("def parse_content_id(raw: str) -> int:\n    raw = raw.strip()\n    return int(raw)\n", line=3),
        Invalid("from fastapi import Depends, Request\n"
                "def ref_from_header(request: Request) -> int:\n    return int(request.headers['X-Ref'])\n"
                "def read(content_id: int = Depends(ref_from_header)) -> None: ...\n"
                "async def mw(request, call_next):\n    raw = request.headers.get('X-Ref')\n"
                "    request.state.ref = int(raw) if raw else None\n"
                "    request.state.order = int(request.headers.get('X-Order', '0'))\n", line=7),
        Invalid("def middleware(request):\n    raw = request.headers.get('X-Ref')\n"
                "    request.state.content_id = int(raw) if raw else None\n", line=3),
        Invalid("from fastapi import Depends, Request\n"
                "def ref_from_header(request: Request) -> int:\n    return int(request.headers['X-Ref'])\n"
                "def read(content_id: int = Depends(ref_from_header)) -> None: ...\n", line=3,
                expected_fix="    return uuid.UUID(request.headers['X-Ref'])"),
    ]

    VALID += [Valid("from app.models import Image, User\n"
                    "def load(rows):\n    return [User(id=int(r['user_id'])) for r in rows] + "
                    "[Image(id=int(r['image'])) for r in rows]\n")]
    INVALID += [Invalid("import csv\nfrom app.models import Image\ndef load(fh):\n"
                        "    for row in csv.DictReader(fh):\n        yield Image(\n"
                        "            content_id=int(row['content']),\n            id=int(row['image']),\n        )\n",
                        line=6, message_contains="Image.content_id")]

    # werkzeug's `request.args.get(name, type=int)` (Flask): a UUID string fails the conversion and the read gives
    # the default (None) without a word; by the parameter's name, or stored in / passed to a key
    _FLASK = ("from flask import Blueprint, request\nfrom app.models import ContentItem\n"
              "bp = Blueprint('images', __name__)\n")
    INVALID += [
        Invalid(_FLASK + "@bp.route('/images')\ndef images():\n"
                         "    content_id = request.args.get('content_id', type=int)\n"
                         "    page = request.args.get('page', 1, type=int)\n"
                         "    return ContentItem.query.get_or_404(content_id).title\n",
                line=6, message_contains="type=int",
                expected_fix="    content_id = request.args.get('content_id', type=uuid.UUID)"),
        Invalid(_FLASK + "@bp.route('/images', methods=['POST'])\ndef move():\n"
                         "    ref = request.form.get('ref', None, type=int)\n"
                         "    return ContentItem.query.get_or_404(ref).title\n",
                line=6, expected_fix="    ref = request.form.get('ref', None, type=uuid.UUID)"),
        Invalid(_FLASK + "@bp.route('/images/bulk', methods=['POST'])\ndef bulk():\n"
                         "    ids = request.form.getlist('content_ids', type=int)\n"
                         "    return [i.title for i in ContentItem.query.filter(ContentItem.id.in_(ids))]\n",
                line=6, expected_fix="    ids = request.form.getlist('content_ids', type=uuid.UUID)"),
    ]
    VALID += [Valid(_FLASK + "@bp.route('/images')\ndef images():\n"
                             "    page = request.args.get('page', 1, type=int)\n"
                             "    user_id = request.args.get('user_id', type=int)\n"
                             "    size = request.values.get('size', type=int)\n"
                             "    return ContentItem.query.paginate(page=page, per_page=size).items\n")]

    # int() right where the key is looked up: the value is the key as text, whatever its name (Flask-Login's loader)
    _LOADER = ("from app.models import ContentItem, User\n"
               "def load_item(ref):\n    return ContentItem.query.get_or_404(int(ref))\n"
               "def load_user(uid):\n    return User.query.get(int(uid))\n")
    INVALID += [Invalid(_LOADER, line=3, message_contains="int(ref)"),
                Invalid("from app.models import ContentItem\ndef move(form):\n"
                        "    return ContentItem.query.filter_by(id=int(form.item.data)).first()\n", line=3,
                        message_contains="filters ContentItem.id")]
    VALID += [Valid(_LOADER.replace("ContentItem.query.get_or_404", "User.query.get_or_404"))]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        casts = [e for e in ctx.pf.of(cst.Call) if isinstance(e.node, cst.Call) and (isinstance(
            e.node.func, cst.Name) and e.node.func.value == "int" or typed_int_read(e.node) is not None)]
        if not casts:
            return  # a finding is one of these int() calls, which `_stored` only tells more about: spare its walks
        stored = self._stored(ctx)
        for entry in casts:
            call = entry.node
            assert isinstance(call, cst.Call)
            args = facts.positional(call)
            if not args:
                continue
            converter = typed_int_read(call)
            if converter is not None:  # request.args.get("content_id", type=int)
                name = facts.string_value(args[0].value)
                ev = stored.get(id(call)) or ctx.key(entry.func, call) or (
                    (f"`{name}` is named like {ctx.model.key_names[name]}", ctx.model.default_target)
                    if name in ctx.model.key_names else None)
                if ev is None:
                    continue
                new, imp = ctx.model.python_type()
                start, end = ctx.pf.offsets(converter)
                yield ctx.finding(self, call, ctx.symbol(entry.func), f"`{ctx.pf.code(call)}` reads the key with "
                                  f"`type=int`: werkzeug gives the default (None) for a {ctx.model.to_type.lower()}",
                                  evidence=ev[0], target=ev[1], layer=ctx.layer_of(entry.func, "other"),
                                  edits=(Edit(start, end, new, requires_import=imp),) if new else ())
                continue
            ev = self._returned(ctx, entry.func, call) or ctx.key(entry.func, args[0].value) or stored.get(id(call))
            if ev is None:
                continue
            yield ctx.finding(self, call, ctx.symbol(entry.func), f"`{ctx.pf.code(call)}` casts the key to int",
                              evidence=ev[0], target=ev[1], layer=ctx.layer_of(entry.func, "other"),
                              review="parse with the new key type (uuid.UUID(x)) instead of int(x)",
                              edits=self._parse_edit(ctx, call))

    @staticmethod
    def _parse_edit(ctx: FileCtx, call: cst.Call) -> tuple[Edit, ...]:
        """`int(request.headers["X-Ref"])` -> `uuid.UUID(request.headers["X-Ref"])`: only when the argument
        is a raw request string (a header, cookie, query or path value), where the new parser is exactly
        right; anything else (a model attribute, a guarded `raw.isdigit()` value) stays a review note."""
        new, imp = ctx.model.python_type()
        if not new or len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
            return ()
        if not request_read(call.args[0].value):
            return ()
        start, end = ctx.pf.offsets(call.func)
        return (Edit(start, end, new, requires_import=imp),)

    @staticmethod
    def _stored(ctx: FileCtx) -> dict[int, tuple[str, str]]:
        """`request.state.content_id = int(raw) if raw else None`: the result is stored where a key lives."""
        out: dict[int, tuple[str, str]] = {}
        for entry in ctx.pf.of(cst.Assign):
            node = entry.node
            assert isinstance(node, cst.Assign)
            direct = _direct_int_calls(node.value)
            if not direct:
                continue
            for t in node.targets:
                target = t.target
                if not isinstance(target, (cst.Name, cst.Attribute)):
                    continue
                ev = ctx.key(entry.func, target)
                if ev is not None:
                    why = f"stored in `{ctx.pf.code(target)}` in {ctx.pf.where(node)}: {ev[0]}"
                    for c in direct:
                        out[id(c)] = (why, ev[1])
        model = ctx.model
        for entry in ctx.pf.of(cst.Call):  # GpsPing(vehicle_ref=int(row["vehicle"])): passed where a key goes
            call = entry.node
            assert isinstance(call, cst.Call)
            if not any(_direct_int_calls(a.value) for a in call.args):
                continue  # (no int() passed: spare resolving the callee)
            looked_up = ctx.flow.key_lookup_args(ctx.pf, call)  # Model.query.get(int(form.item.data))
            if looked_up:
                for _slot, value, why in looked_up:
                    for c in _direct_int_calls(value):
                        out.setdefault(id(c), (why, model.default_target))
                continue
            f = call.func
            orm = model.orm.get(f.value) if isinstance(f, cst.Name) else None
            callee = None if orm is not None else ctx.flow.registry.resolve(ctx.pf, f, entry.func)
            if orm is None and callee is None:
                continue
            pos = callee.positional() if callee is not None else []
            for i, a in enumerate(call.args):
                name = a.keyword.value if a.keyword is not None else pos[i].name.value if i < len(pos) else None
                direct = _direct_int_calls(a.value) if name else []
                if not direct:
                    continue
                if orm is not None and name in orm.key_attrs:
                    why = f"sets {orm.name}.{name} ({orm.key_attrs[name].qualified}) in {ctx.pf.where(call)}"
                    target = orm.key_attrs[name].target or model.default_target
                elif callee is not None and name in callee.env:
                    why = f"passed as `{name}` to {callee.qualname}(), which holds the key ({ctx.pf.where(call)})"
                    target = model.default_target
                else:
                    continue
                for c in direct:
                    out.setdefault(id(c), (why, target))
        return out

    @staticmethod
    def _returned(ctx: FileCtx, fi, call: cst.Call):  # type: ignore[no-untyped-def]
        """`return int(...)` in a function known to return the key."""
        if fi is None or fi.func_id not in ctx.model.returns:
            return None
        parent = ctx.pf.returns_of(fi)
        if any(_contains(r, call) for r in parent):
            fk = ctx.model.returns[fi.func_id]
            return f"returned by {fi.qualname}(), which returns the key ({fk.evidence})", fk.target
        return None


def _contains(root: cst.CSTNode, node: cst.CSTNode) -> bool:
    return any(n is node for n in find(root, type(node)))


def _direct_int_calls(expr: cst.BaseExpression) -> list[cst.Call]:
    """`int(x)`, `int(x) if c else None`, `int(x) or None`: the int() calls whose result is the value itself
    (`request.args.get("ref", type=int)` too)."""
    if isinstance(expr, cst.Call) and (isinstance(expr.func, cst.Name) and expr.func.value == "int"
                                       or typed_int_read(expr) is not None):
        return [expr]
    if isinstance(expr, cst.IfExp):
        return [*_direct_int_calls(expr.body), *_direct_int_calls(expr.orelse)]
    if isinstance(expr, cst.BooleanOperation):
        return [*_direct_int_calls(expr.left), *_direct_int_calls(expr.right)]
    return []


def request_read(expr: cst.BaseExpression) -> bool:
    """`request.headers["X"]`, `request.cookies.get("x")`, `request.query_params["x"]`: a raw request string."""
    container: cst.BaseExpression | None = None
    if isinstance(expr, cst.Subscript):
        container = expr.value
    elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "get" \
            and len(expr.args) == 1:
        container = expr.func.value
    return isinstance(container, cst.Attribute) and container.attr.value in REQUEST_MAPS


#: werkzeug's MultiDicts of a Flask request, whose get / getlist convert with `type=`
_FORM_MAPS = ("args", "form", "values")


def typed_int_read(call: cst.Call) -> cst.Name | None:
    """The `int` of `request.args.get("ref", type=int)` / `request.form.getlist("ids", type=int)`, else None."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value in ("get", "getlist")
            and isinstance(func.value, cst.Attribute) and func.value.attr.value in _FORM_MAPS):
        return None
    conv = facts.kwarg(call, "type")
    return conv.value if conv is not None and isinstance(conv.value, cst.Name) and conv.value.value == "int" else None
