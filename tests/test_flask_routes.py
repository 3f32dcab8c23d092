"""Flask routes and Flask-SQLAlchemy queries (issue 12: gaps met on CCI-MOC/hil).

- A Flask view is a route like a FastAPI handler: `@app.route(rule, methods=[...])`, a blueprint's
  `@bp.route` / Flask 2 `@bp.get`, `app.add_url_rule(rule, view_func=f)` (or `View.as_view(...)`), a
  Flask-RESTful `api.add_resource(Resource, *rules)`, a flask-smorest `@blp.route(rule)` class; werkzeug's
  `<int:x>` reads as `{x:int}`, and `register_blueprint(bp, url_prefix=...)` prefixes it. So its parameters
  take the key (by name, or through `Model.query.get_or_404(x)`), `<int:x>` is PY032 for a UUID (not for
  bigint: werkzeug's int converter takes any size), and test URLs of the route are PY080.
- `Model.query.filter_by(...).first()`, `.first_or_404()`, `.one()`, `Model.query.get(x)` give a `Model`:
  `node.id` of the result holds the key.
Distractors: `<int:page>`, `<int:year>`, `<path:filename>`, a `.count()` of a query, a test URL of another route.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from analyzer.rules.python._examples import CLOSURE, MODELS
from helpers import python_sources

from analyzer.config import Config
from analyzer.models import Closure, Finding, SourceFile, Target, holds_for
from analyzer.python import catalogue, scan_python

SERVICES = '''\
from app.models import ContentItem, db


def lookup(title: str) -> int:
    item = ContentItem.query.filter_by(title=title).first()
    return item.id


def lookup_or_404(title: str) -> int:
    return ContentItem.query.filter(ContentItem.title == title).first_or_404().id


def newest() -> int:
    other = ContentItem.query.get(2)
    return other.id


def count_for(title: str) -> int:
    return ContentItem.query.filter_by(title=title).count()
'''

VIEWS = '''\
from flask import Blueprint, Flask
from flask.views import MethodView
from flask_restful import Api, Resource
from flask_smorest import Blueprint as SmorestBlueprint
from app.models import ContentItem

app = Flask(__name__)
bp = Blueprint("contents", __name__)
api = Api(app)
blp = SmorestBlueprint("images", __name__)


@bp.route("/<int:content_id>", methods=["GET", "POST"])
def show(content_id):
    return ContentItem.query.get_or_404(content_id).title


@bp.delete("/<int:item>")
def remove(item):
    ContentItem.query.filter_by(id=item).delete()
    return ""


@app.route("/archive/<int:year>/<int:page>")
def archive(year, page):
    return ContentItem.query.paginate(page=page).items


@app.route("/files/<path:filename>")
def files(filename):
    return filename


def publish(doc):
    return ContentItem.query.get_or_404(doc).title


class ItemView(MethodView):
    def get(self, ref):
        return ContentItem.query.get_or_404(ref).title


class ItemResource(Resource):
    def put(self, content_id):
        return {}


class PageResource(Resource):
    def get(self, page):
        return {"page": page}


@blp.route("/by-content/<int:owner>")
class ImagesOf(MethodView):
    def get(self, owner):
        return ContentItem.query.get_or_404(owner).title


app.add_url_rule("/publish/<int:doc>", view_func=publish, methods=["POST"])
app.add_url_rule("/items/<int:ref>", view_func=ItemView.as_view("item"))
api.add_resource(ItemResource, "/resources", "/resources/<int:content_id>")
api.add_resource(PageResource, "/pages/<int:page>")
app.register_blueprint(bp, url_prefix="/contents")
'''

TESTS = '''\
def test_views(client):
    assert client.get("/contents/7").status_code == 200
    assert client.delete("/contents/8").status_code == 200
    assert client.get("/archive/2020/3").status_code == 200
    assert client.get("/pages/2").status_code == 200
'''


def _scan(tmp_path: Path, to: str = "UUID") -> list[Finding]:
    closure = CLOSURE if to == "UUID" else Closure(
        targets=(Target("content_items", "id", "INTEGER", to),), columns=CLOSURE.columns,
        references=CLOSURE.references)
    src = []
    for rel, text in {"app/models.py": MODELS, "app/services.py": SERVICES, "app/views.py": VIEWS,
                      "tests/test_views.py": TESTS}.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        src.append(SourceFile(".", str(p), rel, "python"))
    return list(scan_python(src, closure, Config()).findings)


def _at(findings: list[Finding], path: str, code: str) -> set[int]:
    return {f.span.line for f in findings if f.path == path and f.code == code}


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture(scope="module")
def uuid_findings(tmp_path_factory: pytest.TempPathFactory) -> list[Finding]:
    return _scan(tmp_path_factory.mktemp("flask"))


def test_a_query_of_a_model_gives_its_instance(uuid_findings: list[Finding]) -> None:
    got = _at(uuid_findings, "app/services.py", "PY051")
    assert got == {_line(SERVICES, "def lookup("), _line(SERVICES, "def lookup_or_404("),
                   _line(SERVICES, "def newest(")}  # not count_for


def test_flask_rules_converting_the_key_are_reported(uuid_findings: list[Finding]) -> None:
    got = _at(uuid_findings, "app/views.py", "PY032")
    assert got == {_line(VIEWS, '"/<int:content_id>"'), _line(VIEWS, '"/<int:item>"'),
                   _line(VIEWS, '"/publish/<int:doc>"'), _line(VIEWS, '"/items/<int:ref>"'),
                   _line(VIEWS, '"/resources/<int:content_id>"'), _line(VIEWS, '"/by-content/<int:owner>"')}
    fixes = {f.span.line: f for f in uuid_findings if f.code == "PY032"}
    assert fixes[_line(VIEWS, '"/<int:content_id>"')].edits[0].text == "uuid"


def test_test_urls_of_a_blueprint_route_hard_code_the_key(uuid_findings: list[Finding]) -> None:
    assert _at(uuid_findings, "tests/test_views.py", "PY080") == {2, 3}


def test_bigint_leaves_werkzeug_int_converters_alone(tmp_path: Path) -> None:
    metas = {m.code: m for m in catalogue()}
    assert not [f for f in _scan(tmp_path, "BIGINT") if f.code == "PY032" and holds_for(f, metas[f.code], "BIGINT")]


RESTX_API = '''\
from flask import Blueprint
from flask_restx import Api

from app.api.items import items_namespace
from app.api.users import users_namespace

api = Blueprint("api", __name__, url_prefix="/api/v1")
API_V1 = Api(api, version="v1")
API_V1.add_namespace(items_namespace, "/contents")
API_V1.add_namespace(users_namespace)
'''

RESTX_ITEMS = '''\
from flask_restx import Namespace, Resource

from app.models import ContentItem

items_namespace = Namespace("items", description="content items")


@items_namespace.route("/<item_id>")
class Item(Resource):
    def get(self, item_id):
        return ContentItem.query.get_or_404(item_id).title
'''

RESTX_USERS = '''\
from flask_restx import Namespace, Resource

users_namespace = Namespace("users")


@users_namespace.route("/<user_id>")
class User(Resource):
    def get(self, user_id):
        return {"id": user_id}
'''

RESTX_TEST = '''\
from app.models import ContentItem


def test_item(client):
    assert client.get("/api/v1/contents/3").status_code == 200
    assert client.get("/api/v1/users/3").status_code == 200
    assert client.get("/api/v1/items/3").status_code == 404
    assert client.delete("/teams/1").status_code == 404
'''


def test_flask_restx_namespaces_take_their_api_s_and_blueprint_s_prefixes(tmp_path: Path) -> None:
    """`Api(bp)` serves under the blueprint's url_prefix, `api.add_namespace(ns, "/contents")` at that path
    (`Namespace("users")` alone at /users): the item route is /api/v1/contents/{item_id}. Before, it was
    `/{item_id}` and every test URL ending in digits matched it (a real Flask app: 348 PY080 of which ~240 on
    other resources)."""
    tree = {"app/models.py": MODELS, "app/api/__init__.py": RESTX_API, "app/api/items.py": RESTX_ITEMS,
            "app/api/users.py": RESTX_USERS, "tests/test_api.py": RESTX_TEST}
    result = scan_python(python_sources(tmp_path, tree), CLOSURE, Config())
    assert "/api/v1/contents/{item_id}" in {r.template for r in result.seeds.routes}, result.seeds.routes
    urls = _at(list(result.findings), "tests/test_api.py", "PY080")
    assert urls == {_line(RESTX_TEST, "/api/v1/contents/3")}


def test_a_project_api_subclass_registering_resources_its_own_way(tmp_path: Path) -> None:
    """`class ApiExt(Api)` with `add_org_resource(resource, *urls)` wrapping add_resource (a real Flask BI tool):
    the rules it registers are routes like add_resource's."""
    api = ("from flask_restful import Api\n\nfrom app.resources import ItemResource\n\n\n"
           "class ApiExt(Api):\n    def add_org_resource(self, resource, *urls, **kwargs):\n"
           "        return self.add_resource(resource, *urls, **kwargs)\n\n\n"
           "api = ApiExt()\napi.add_org_resource(ItemResource, '/api/items/<item_id>', endpoint='item')\n")
    resources = ("from flask_restful import Resource\n\nfrom app.models import ContentItem\n\n\n"
                 "class ItemResource(Resource):\n    def get(self, item_id):\n"
                 "        return ContentItem.query.get_or_404(item_id).title\n")
    test = ("from app.models import ContentItem\n\n\ndef test_item(client):\n"
            "    assert client.get('/api/items/3').status_code == 200\n"
            "    assert client.get('/api/users/3').status_code == 200\n")
    tree = {"app/models.py": MODELS, "app/api.py": api, "app/resources.py": resources, "tests/test_items.py": test}
    result = scan_python(python_sources(tmp_path, tree), CLOSURE, Config())
    assert "/api/items/{item_id}" in {r.template for r in result.seeds.routes}
    assert _at(list(result.findings), "tests/test_items.py", "PY080") == {_line(test, "/api/items/3")}


WRAPPED_VIEWS = '''\
from flask import Blueprint
from flask.views import MethodView

from app.models import ContentItem, User

bp = Blueprint("contents", __name__, url_prefix="/contents")


def register_view(bp_or_app, routes, view_func, *args, **kwargs):
    for route in routes:
        bp_or_app.add_url_rule(route, view_func=view_func, *args, **kwargs)


class ContentView(MethodView):
    def get(self, content_id: int, slug: str | None = None):
        return ContentItem.query.get_or_404(content_id).title


class PageView(MethodView):
    def get(self, page: int):
        return ContentItem.query.paginate(page=page).items


class MemberView(MethodView):
    def get(self, user_id: int):
        return User.query.get_or_404(user_id).id


register_view(
    bp,
    routes=[
        "/<int:content_id>",
        "/<int:content_id>-<slug>",
    ],
    view_func=ContentView.as_view("content"),
)
register_view(bp, routes=["/page/<int:page>"], view_func=PageView.as_view("pages"))
register_view(bp, routes=["/members/<int:user_id>"], view_func=MemberView.as_view("member"))
'''

WRAPPED_TESTS = '''\
def test_views(client):
    assert client.get("/contents/7").status_code == 200
    assert client.get("/contents/page/2").status_code == 200
    assert client.get("/contents/members/3").status_code == 200
'''


def test_a_project_helper_registering_views_with_a_list_of_rules(tmp_path: Path) -> None:
    """`register_view(bp, routes=[...], view_func=View.as_view("x"))`, a project's helper looping over
    `add_url_rule` (a real Flask forum registers every view so, 40 `<int:...>` rules): the rules it is given are
    the view's, so `<int:content_id>` is PY032 and `content_id: int` a route parameter (PY030). Before, neither
    was: the parameter was a plain function's (PY050). Distractors: a page number, another table's id (and no
    test URL of theirs is the key's)."""
    tree = {"app/models.py": MODELS, "app/views.py": WRAPPED_VIEWS, "tests/test_views.py": WRAPPED_TESTS}
    findings = list(scan_python(python_sources(tmp_path, tree), CLOSURE, Config()).findings)
    assert _at(findings, "app/views.py", "PY032") == {_line(WRAPPED_VIEWS, '"/<int:content_id>"'),
                                                      _line(WRAPPED_VIEWS, '"/<int:content_id>-<slug>"')}
    fixes = sorted((f.span.line, f.edits[0].text) for f in findings if f.code == "PY032")
    assert [text for _, text in fixes] == ["uuid", "uuid"]
    assert _at(findings, "app/views.py", "PY030") == {_line(WRAPPED_VIEWS, "def get(self, content_id: int")}
    assert _at(findings, "app/views.py", "PY050") == set()
    assert _at(findings, "tests/test_views.py", "PY080") == set(), [f for f in findings if f.code == "PY080"]


def test_a_helper_registering_views_in_a_module_of_its_own(tmp_path: Path) -> None:
    """The module calling the helper names no word of the key (`<int:ref>`); `view_func=` has it parsed, like
    add_url_rule, so the view's `ref: int` is a route parameter."""
    views = ("from flask.views import MethodView\n\nfrom app.models import ContentItem\n\n\n"
             "class ContentView(MethodView):\n    def get(self, ref: int):\n"
             "        return ContentItem.query.get_or_404(ref).title\n")
    urls = ("from flask import Blueprint\n\nfrom app.helpers import register_view\nfrom app.views import ContentView\n"
            "\nbp = Blueprint('contents', __name__)\n"
            "register_view(bp, routes=['/contents/<int:ref>'], view_func=ContentView.as_view('content'))\n")
    helpers = ("def register_view(bp_or_app, routes, view_func, **kwargs):\n    for route in routes:\n"
               "        bp_or_app.add_url_rule(route, view_func=view_func, **kwargs)\n")
    tree = {"app/models.py": MODELS, "app/views.py": views, "app/urls.py": urls, "app/helpers.py": helpers}
    findings = list(scan_python(python_sources(tmp_path, tree), CLOSURE, Config()).findings)
    assert _at(findings, "app/views.py", "PY030") == {_line(views, "def get(self, ref: int)")}


def test_a_view_registered_twice_keeps_the_rule_naming_the_key(tmp_path: Path) -> None:
    """One view served at two rules, the key in one only (`/threads/<int:thread>/reply/<int:content_id>` and
    `/threads/<int:thread>/reply`): the registration with more parameters is the view's template, whichever
    comes last, so its `<int:content_id>` is PY032; `<int:thread>` (no key) is not. The Flask documentation's
    `user_view = UserAPI.as_view("user_api")` then `add_url_rule(rule, view_func=user_view)` too."""
    views = ("from flask import Blueprint, Flask\nfrom flask.views import MethodView\n\n"
             "from app.helpers import register_view\nfrom app.models import ContentItem\n\n"
             "app = Flask(__name__)\nbp = Blueprint('threads', __name__)\n\n\n"
             "class ReplyView(MethodView):\n"
             "    def get(self, thread: int, content_id: int | None = None):\n"
             "        return ContentItem.query.get_or_404(content_id).title\n\n\n"
             "class ItemAPI(MethodView):\n"
             "    def get(self, content_id):\n"
             "        return ContentItem.query.get_or_404(content_id).title\n\n\n"
             "register_view(bp, routes=['/threads/<int:thread>/reply/<int:content_id>'],\n"
             "              view_func=ReplyView.as_view('reply_to'))\n"
             "register_view(bp, routes=['/threads/<int:thread>/reply'], view_func=ReplyView.as_view('reply'))\n"
             "item_view = ItemAPI.as_view('items')\n"
             "app.add_url_rule('/items/<int:content_id>', view_func=item_view, methods=['GET', 'PUT'])\n"
             "app.add_url_rule('/items/', defaults={'content_id': None}, view_func=item_view, methods=['GET'])\n")
    helpers = ("def register_view(bp_or_app, routes, view_func, **kwargs):\n    for route in routes:\n"
               "        bp_or_app.add_url_rule(route, view_func=view_func, **kwargs)\n")
    tree = {"app/models.py": MODELS, "app/views.py": views, "app/helpers.py": helpers}
    findings = list(scan_python(python_sources(tmp_path, tree), CLOSURE, Config()).findings)
    assert _at(findings, "app/views.py", "PY032") == {_line(views, "'/threads/<int:thread>/reply/<int:content_id>'"),
                                                      _line(views, "'/items/<int:content_id>'")}
    assert [e.text for f in findings if f.code == "PY032" for e in f.edits] == ["uuid", "uuid"]
