from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid

from analyzer.models import ANY_TARGET, NOT_BIGINT, Edit, Finding
from analyzer.python import facts

_CONVERTER = re.compile(r"{(\w+):(int)}")
#: werkzeug (Flask): `<int:node_id>`, `<int(min=1):node_id>`
_FLASK_CONVERTER = re.compile(r"<(int(?:\([^)>]*\))?):(\w+)>")
_MAX = re.compile(r"max\s*=\s*(\d+)")
_FLASK = "from flask import Blueprint, Flask\nfrom app.models import ContentItem\napp = Flask(__name__)\n" \
         "bp = Blueprint('items', __name__, url_prefix='/items')\n"


class RouteConverter(PyRule):
    """A route template that converts the key with `{name:int}` (Starlette) or `<int:name>` (Flask).

    Anti-pattern: `@router.get("/contents/{content_id:int}")`, `@app.route("/contents/<int:content_id>")` —
    a UUID never matches, the route 404s. Best practice: `{content_id:uuid}` (Starlette's converter) or a
    plain `{content_id}` with a typed parameter; `<uuid:content_id>` in Flask (werkzeug hands the view a
    `uuid.UUID`).

    Not for bigint: Starlette's `int` converter matches any number of digits, and so does werkzeug's
    (no `max=` by default).
    """

    code, name, layer, kind = "PY032", "fastapi.path_converter", "route", "must_change"
    APPLIES_TO = NOT_BIGINT
    fixable = True
    VALID = [Valid("from fastapi import APIRouter\nrouter = APIRouter()\n"
                   "@router.get('/users/{user_id:int}')\ndef get(user_id: int): ...\n")]
    INVALID = [Invalid("from fastapi import APIRouter\nrouter = APIRouter()\n"
                       "@router.get('/images/{content_id:int}')\ndef get(content_id): ...\n",
                       line=3, expected_fix="@router.get('/images/{content_id:uuid}')")]

    # Flask: a decorated view, a blueprint's Flask 2 shortcut, add_url_rule, a Flask-RESTful resource; the key
    # reaches the parameter by its name or through the body's `Model.query.get_or_404(...)`
    INVALID += [
        Invalid(_FLASK + "@app.route('/contents/<int:content_id>', methods=['GET'])\ndef show(content_id):\n"
                         "    return ContentItem.query.get_or_404(content_id).title\n",
                line=5, message_contains="`<int:content_id>`",
                expected_fix="@app.route('/contents/<uuid:content_id>', methods=['GET'])"),
        Invalid(_FLASK + "@bp.get('/<int:item>/title')\ndef title(item):\n"
                         "    return ContentItem.query.get_or_404(item).title\n",
                line=5, expected_fix="@bp.get('/<uuid:item>/title')"),
        Invalid(_FLASK + "def remove(item):\n    ContentItem.query.filter_by(id=item).delete()\n    return ''\n"
                         "app.add_url_rule('/contents/<int(min=1):item>', view_func=remove, methods=['DELETE'])\n",
                line=8, expected_fix="app.add_url_rule('/contents/<uuid:item>', view_func=remove, "
                                     "methods=['DELETE'])"),
        Invalid(_FLASK + "from flask_restful import Api, Resource\napi = Api(app)\n"
                         "class ContentResource(Resource):\n    def get(self, content_id):\n"
                         "        return {'title': ContentItem.query.get_or_404(content_id).title}\n"
                         "api.add_resource(ContentResource, '/contents', '/contents/<int:content_id>')\n",
                line=10, expected_fix="api.add_resource(ContentResource, '/contents', "
                                      "'/contents/<uuid:content_id>')"),
    ]
    VALID += [  # a page number, a year, a file path: no key reaches them
        Valid(_FLASK + "@app.route('/archive/<int:year>/<int:page>')\ndef archive(year, page):\n"
                       "    return ContentItem.query.order_by(ContentItem.title).paginate(page=page).items\n"
                       "@bp.route('/files/<path:filename>')\ndef files(filename):\n    return filename\n"),
        Valid(_FLASK + "from flask_restful import Api, Resource\napi = Api(app)\n"
                       "class PageResource(Resource):\n    def get(self, page):\n        return {'page': page}\n"
                       "api.add_resource(PageResource, '/contents/page/<int:page>')\n"),
    ]

    # Flask-AppBuilder: `@expose(rule, methods=...)` on an API or view class's method is a werkzeug rule
    _FAB = ("from flask_appbuilder.api import BaseApi, expose\nfrom app.models import ContentItem\n"
            "class ContentPresetApi(BaseApi):\n    resource_name = 'content'\n"
            "    @expose('/<int:content_id>/presets/', methods=('GET',))\n"
            "    def list_presets(self, content_id: int):\n"
            "        return ContentItem.query.get_or_404(content_id).title\n"
            "    @expose('/page/<int:page>/', methods=('GET',))\n"
            "    def page(self, page: int):\n        return {'page': page}\n")
    INVALID += [Invalid(_FAB, line=5, message_contains="`<int:content_id>`",
                        expected_fix="    @expose('/<uuid:content_id>/presets/', methods=('GET',))")]
    VALID += [Valid(_FAB.replace("content_id", "preset_id").replace("ContentItem.query", "Preset.query"))]
    # a class serving another model (`datamodel = SQLAInterface(User)`): its `pk` is a user id, though the
    # generic DAO lookup it goes through is given the key by another caller
    VALID += [Valid("### app/daos.py\nclass BaseDAO:\n    model_cls = None\n    @classmethod\n"
                    "    def find_by_id(cls, model_id: int):\n        return cls.model_cls.query.get(model_id)\n"
                    "class ContentDAO(BaseDAO):\n    pass\nclass UserDAO(BaseDAO):\n    pass\n"
                    "### app/api.py\nfrom flask_appbuilder.api import BaseApi, expose\n"
                    "from flask_appbuilder.models.sqla.interface import SQLAInterface\n"
                    "from app.models import User\nfrom app.daos import ContentDAO, UserDAO\n"
                    "def show_content(content_id: int):\n    return ContentDAO.find_by_id(content_id)\n"
                    "class UserRestApi(BaseApi):\n    resource_name = 'user'\n    datamodel = SQLAInterface(User)\n"
                    "    @expose('/<int:pk>', methods=('GET',))\n    def get(self, pk: int):\n"
                    "        return UserDAO.find_by_id(pk)\n", path="app/api.py")]
    # a `max=` bound below 2**63 rejects a bigint key too: drop it (and for a UUID, convert with `uuid`)
    INVALID += [Invalid(_FLASK + "@bp.route('/<int(max=2147483647):content_id>')\ndef show(content_id):\n"
                                 "    return ContentItem.query.get_or_404(content_id).title\n",
                        line=5, to="BIGINT", message_contains="above 2147483647",
                        expected_fix="@bp.route('/<int:content_id>')")]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT"),  # the same code is right for bigint
             Valid.like(INVALID[1], to="BIGINT")]

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        new = {"UUID": "uuid", "TEXT": "str"}.get(ctx.model.to_type)
        yield from self._flask(ctx)
        for fi in ctx.pf.functions:
            if fi.route is None:
                continue
            for d in fi.decorators:
                if not isinstance(d.decorator, cst.Call):
                    continue
                args = facts.positional(d.decorator)
                if not args or not isinstance(args[0].value, cst.SimpleString):
                    continue
                node = args[0].value
                start, _ = ctx.pf.offsets(node)
                for m in _CONVERTER.finditer(node.value):
                    if m.group(1) not in fi.env:
                        continue
                    edits = (Edit(start + m.start(2), start + m.end(2), new),) if new else ()
                    yield ctx.finding(self, node, f"{fi.qualname}.{m.group(1)}",
                                      f"route converts `{m.group(1)}` with `:int`", evidence=fi.env[m.group(1)],
                                      edits=edits)

    def _flask(self, ctx: FileCtx) -> Iterator[Finding]:
        """`<int:x>` in the rule of a Flask view whose parameter `x` holds the key: in the decorator, or in the
        `add_url_rule` / `add_resource` call that registered the view (any of its rules), or a project's helper
        given `view_func=` (`register_view(bp, routes=[...], view_func=V.as_view("v"))`)."""
        new = {"UUID": "uuid", "TEXT": "string"}.get(ctx.model.to_type)
        views = {fi.cls if fi.cls is not None else fi.name: fi for fi in ctx.pf.functions if fi.route is not None}
        keyed: dict[str, tuple[str, str]] = {}  # "<view>.<param>" -> (symbol, evidence)
        strings: list[tuple[cst.SimpleString, dict[str, tuple[str, str]]]] = []
        for fi in ctx.pf.functions:
            if fi.route is None:
                continue
            params = {p: (f"{fi.qualname}.{p}", fi.env[p]) for p in re.findall(r"{(\w+)", fi.route[1]) if p in fi.env}
            for d in fi.decorators:
                dec = d.decorator
                if isinstance(dec, cst.Call):
                    args = facts.positional(dec)
                    if args and isinstance(args[0].value, cst.SimpleString) and "<" in args[0].value.value:
                        strings.append((args[0].value, params))
            name = fi.cls if fi.cls is not None else fi.name
            for p, v in params.items():
                keyed.setdefault(f"{name}.{p}", v)
        for entry in ctx.pf.of(cst.ClassDef):  # flask-smorest: @blp.route("/pets/<int:pet_id>") class PetById
            cls = entry.node
            assert isinstance(cls, cst.ClassDef)
            params = {k.split(".", 1)[1]: v for k, v in keyed.items() if k.split(".", 1)[0] == cls.name.value}
            for d in cls.decorators if params else ():
                if isinstance(d.decorator, cst.Call):
                    args = facts.positional(d.decorator)
                    if args and isinstance(args[0].value, cst.SimpleString) and "<" in args[0].value.value:
                        strings.append((args[0].value, params))
        aliases = facts.as_view_aliases(ctx.pf) if views else {}
        for entry in ctx.pf.of(cst.Call) if views else ():  # add_url_rule / add_resource / a project's helper
            call = entry.node
            assert isinstance(call, cst.Call)
            how = call.func.attr.value if isinstance(call.func, cst.Attribute) else ""
            args = facts.positional(call)
            if how == "add_resource":
                view_arg = args[0] if args else None
                rules = [a.value for a in args]
            elif how == "add_url_rule":
                view_arg = facts.kwarg(call, "view_func") or (args[2] if len(args) > 2 else None)
                rules = [a.value for a in [*args, *(x for x in call.args
                                                    if x.keyword is not None and x.keyword.value == "rule")]]
            else:  # register_view(bp, routes=[...], view_func=TopicView.as_view("topic"))
                view_arg = facts.kwarg(call, "view_func")
                rules = list(facts.helper_rules(call)) if view_arg is not None else []
            view = view_arg.value if view_arg is not None else None
            if isinstance(view, cst.Call) and isinstance(view.func, cst.Attribute):
                view = view.func.value
            name = aliases.get(view.value, view.value) if isinstance(view, cst.Name) else None
            if name is None or name not in views:
                continue
            params = {k.split(".", 1)[1]: v for k, v in keyed.items() if k.split(".", 1)[0] == name}
            strings += [(r, params) for r in rules if isinstance(r, cst.SimpleString) and "<" in r.value]
        for node, params in strings:
            start, _ = ctx.pf.offsets(node)
            for m in _FLASK_CONVERTER.finditer(node.value):
                if m.group(2) not in params:
                    continue
                symbol, why = params[m.group(2)]
                bound = _MAX.search(m.group(1))
                if bound and int(bound.group(1)) < 2 ** 63 - 1:  # <int(max=2147483647):x> breaks for bigint too
                    fix = new or "int"
                    yield ctx.finding(self, node, symbol, f"route converts `{m.group(2)}` with "
                                      f"`<{m.group(1)}:{m.group(2)}>`: werkzeug rejects a key above "
                                      f"{bound.group(1)}" + (f" and any {ctx.model.to_type.lower()}" if new else ""),
                                      evidence=why, edits=(Edit(start + m.start(1), start + m.end(1), fix),),
                                      applies_to=ANY_TARGET)
                    continue
                edits = (Edit(start + m.start(1), start + m.end(1), new),) if new else ()
                yield ctx.finding(self, node, symbol, f"route converts `{m.group(2)}` with `<{m.group(1)}:{m.group(2)}>`"
                                  f" (werkzeug's int converter rejects a {ctx.model.to_type.lower()})",
                                  evidence=why, edits=edits)
