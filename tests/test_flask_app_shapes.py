"""Shapes met in a real Flask + Flask-SQLAlchemy code base (an integer-keyed CTF platform), each with its
distractor.

- a function named `<what>_for_<key>` / `<what>_by_<key>` takes the key; it does not return it
  (`get_solve_ids_for_user_id(user_id)` returns a set of other ids);
- a request-argument spec written as a dict: pydantic's `create_model` field definitions
  (`{"content_id": (int, None)}` handed to a `validate_args(spec, location="query")` decorator that builds the model,
  or `create_model("Filter", content_id=(int, None))`), and webargs' `{"content_id": fields.Int()}`: each types the
  key as an int, so a UUID in the query string is rejected;
- in a test, a bare `"id"` of a JSON body read from a request to another entity's collection
  (`client.get("/api/v1/users")`, `/api/v1/images/2`) is that entity's id, even when the test also uses the key's
  model; one read from the key's own collection counts even when the test names neither the model nor a key route
  (`client.post("/api/v1/content_items", json=...)` then `["id"] == 1`), one from a URL naming no table counts as
  before (in a test using the key's model or routes);
- a row built as a list holding the key and concatenated with another list (a CSV export's
  `[item.id, item.title] + extra_values`) is sequence concatenation, no arithmetic on the key;
- a value parsed with `int()` right where the key is looked up (`Model.query.get_or_404(int(item_id))`,
  `filter_by(id=int(pk))`, `db.session.get(Model, int(pk))`, Flask-Login's `User.query.get(int(uid))`) is the key
  as text: the `int()` breaks on a UUID, whatever the value's name or shape (`int(form.content_id.data)`);
- a test that looks a row up by a hard-coded id (`Model.query.filter_by(id=2).first()`, `Model.query.get(2)`,
  `db.session.get(Model, 2)`) passes an integer literal where the key goes; the same lookups of another model, or
  by a non-key column, are not the key's;
- a Flask-RESTX model (`ns.model("Image", {"content_id": fields.Integer(...)})`, `api.inherit(...)`) marshals
  and validates the key as an integer: a key-named entry, and the `"id"` of a model named after the key's table;
- a marshmallow schema that dumps the key's rows (`ItemSchema().dump(item)`, flask-marshmallow's module-level
  `items_schema = ItemSchema(many=True)` then `items_schema.dump(items)` / `.jsonify(item)`) mirrors the model:
  its `id = fields.Int()` is the key, whatever the schema's name; a field reading a key column under another name
  (`content = fields.Int(attribute="content_id")`) holds the key;
- the key as the tie-breaker after a time column (`order_by(Post.created_at.desc(), Post.id.desc())`, the rule's own
  best practice) keeps its meaning with UUIDs; first, alone, or after a non-time column it is still an ordering;
- `>=` / `<=` between sets of keys (`solved_ids >= prerequisites`) is a subset test, no ordering;
- Flask-SQLAlchemy 3's `db.get_or_404(Model, x)` is a key lookup like `db.session.get(Model, x)`;
- a value stored in an ORM object's key column (`image.content_id = target`) is the key, whatever its name: the
  service's `target: int` and a caller's `int(request.form["target"])` follow.
"""

from __future__ import annotations

from pathlib import Path

from helpers import findings_at, scan_with_examples

_scan, _at = scan_with_examples, findings_at


NAMED_FOR = '''\
from app.models import ContentItem, Image, db


def get_image_ids_for_content_id(content_id):
    rows = db.session.query(Image.id).filter(Image.content_id == content_id).all()
    return {value for (value,) in rows}


def images_by_content_id(content_id):
    return Image.query.filter_by(content_id=content_id).all()


def parse_content_id(raw):
    return raw.strip()


def view(item: ContentItem, wanted, raw, cursor):
    image_ids = get_image_ids_for_content_id(content_id=item.id)
    if image_ids >= wanted:
        return []
    if len(images_by_content_id(item.id)) > 3:
        return []
    return parse_content_id(raw) > cursor
'''


def test_a_function_named_for_the_key_takes_it_and_does_not_return_it(tmp_path: Path) -> None:
    got = _at(_scan(tmp_path, {"app/views.py": NAMED_FOR}), "app/views.py")
    assert ("PY062", 23) in got  # parse_content_id() returns the key: ordering it is a hazard
    assert ("PY062", 19) not in got  # a set of image ids compared with another set: no key, no order
    assert ("PY062", 21) not in got  # the number of images of an item


REQUEST_HELPER = '''\
from functools import wraps

from flask import request
from pydantic import create_model


def validate_args(spec, location):
    if isinstance(spec, dict):
        spec = create_model("", **spec)

    def decorator(func):
        @wraps(func)
        def wrapper(*args, **kwargs):
            data = request.args if location == "query" else request.get_json()
            loaded = spec(**data).dict(exclude_unset=True)
            return func(*args, loaded, **kwargs)

        return wrapper

    return decorator
'''

IMAGES_API = '''\
from flask_restx import Namespace, Resource
from pydantic import create_model

from app.helpers import validate_args
from app.models import Image

images_namespace = Namespace("images")

ImageFilter = create_model("ImageFilter", content_id=(int, None), per_page=(int, 50))
UserFilter = create_model("UserFilter", user_id=(int, None))


@images_namespace.route("")
class ImageList(Resource):
    @validate_args(
        {
            "content_id": (int, None),
            "user_id": (int, None),
            "page": (int, 1),
            "q": (str, None),
        },
        location="query",
    )
    def get(self, query_args):
        return [i.id for i in Image.query.filter_by(**query_args).all()]


LABELS = {"content_id": (1, "Content"), "title": (2, "Title")}
'''

WEBARGS_API = '''\
from flask import Blueprint
from webargs import fields
from webargs.flaskparser import use_args

from app.models import Image

bp = Blueprint("thumbs", __name__)


@bp.route("/thumbs")
@use_args({"content_id": fields.Int(required=True), "user_id": fields.Int(), "page": fields.Int(load_default=1)},
          location="query")
def thumbs(args):
    return [i.id for i in Image.query.filter_by(content_id=args["content_id"]).all()]
'''


def test_pydantic_field_definitions_in_a_dict_or_create_model_type_the_key(tmp_path: Path) -> None:
    found = [f for f in _scan(tmp_path, {"app/helpers.py": REQUEST_HELPER, "app/api/images.py": IMAGES_API})
             if f.path == "app/api/images.py" and f.code == "PY020"]
    got = {f.span.line for f in found}
    assert 9 in got  # create_model("ImageFilter", content_id=(int, None), ...)
    assert 17 in got  # "content_id": (int, None) in the spec validate_args turns into a model
    assert 10 not in got and 18 not in got  # user_id is another table's key
    assert 19 not in got and 20 not in got  # page, q
    assert 28 not in got  # a dict of tuples that are no field definitions
    fixed = {f.span.line: f.edits[0].text for f in found}
    assert fixed == {9: "uuid.UUID", 17: "uuid.UUID"}


def test_webargs_dict_schema_types_the_key(tmp_path: Path) -> None:
    found = [f for f in _scan(tmp_path, {"app/api/thumbs.py": WEBARGS_API})
             if f.path == "app/api/thumbs.py" and f.code == "PY023"]
    assert [(f.span.line, f.edits[0].text) for f in found] == [(11, "UUID")]


JSON_IDS_TEST = '''\
from app.models import ContentItem


def test_listing_after_setup(client, db):
    item = ContentItem(title="first")
    db.session.add(item)
    r = client.post("/api/v1/users", json={"name": "user"})
    assert r.get_json()["data"]["id"] == 2
    r = client.get("/api/v1/images")
    data = r.get_json()["data"]
    assert data[0]["id"] == 1
    resp = client.get(f"/api/v1/images/{data[0]['id']}")
    assert resp.get_json().get("data")["id"] == 1
    r = client.get("/api/v1/items")
    data = r.get_json()["data"]
    assert data[0]["id"] == 1
    r = client.get("/api/v1/search?q=first")
    assert r.get_json()["data"][0]["id"] == 1
'''


def test_json_id_of_another_entitys_collection_is_not_the_key(tmp_path: Path) -> None:
    got = _at(_scan(tmp_path, {"tests/api/test_listing.py": JSON_IDS_TEST}), "tests/api/test_listing.py")
    assert ("PY081", 16) in got  # /api/v1/items: the content items (the key's own table)
    assert ("PY081", 18) in got  # /api/v1/search: no table named, the test uses ContentItem
    assert ("PY081", 8) not in got  # /api/v1/users: a user id
    assert ("PY081", 11) not in got  # /api/v1/images: image ids
    assert ("PY081", 13) not in got  # /api/v1/images/{id}: one image


CSV_EXPORT = '''\
import csv
import io

from app.models import ContentItem, Image


def dump_items_csv():
    temp = io.StringIO()
    writer = csv.writer(temp)
    for i, item in enumerate(ContentItem.query.all()):
        extra = [image.id for image in Image.query.filter_by(content_id=item.id)]
        row = [i + 1, item.title, item.id] + extra
        writer.writerow(row)
        writer.writerow((item.id, item.title) + tuple(extra))
        writer.writerow(list(item.id for _ in range(2)) * 2)
        writer.writerow([item.id + 1])
    return temp.getvalue()
'''


def test_a_row_list_holding_the_key_concatenated_is_no_arithmetic(tmp_path: Path) -> None:
    got = _at(_scan(tmp_path, {"app/utils/csv.py": CSV_EXPORT}), "app/utils/csv.py")
    assert ("PY063", 16) in got  # item.id + 1 inside the row: arithmetic on the key
    assert ("PY063", 12) not in got  # [..., item.id] + extra
    assert ("PY063", 14) not in got  # (item.id, item.title) + tuple(extra)
    assert ("PY063", 15) not in got  # a list of keys repeated


INT_LOOKUPS = '''\
from flask import Blueprint, jsonify, request
from flask_restful import Resource

from app.models import ContentItem, User, db

bp = Blueprint("items", __name__)


@bp.route("/a/<item_id>")
def by_get(item_id):
    return jsonify(ContentItem.query.get_or_404(int(item_id)).title)


@bp.route("/b/<pk>")
def by_filter(pk):
    return jsonify(ContentItem.query.filter_by(id=int(pk)).first_or_404().title)


@bp.route("/c/<pk>")
def by_session(pk):
    return jsonify(db.session.get(ContentItem, int(pk)).title)


class ItemResource(Resource):
    def get(self, ref):
        return ContentItem.query.get(int(ref)).title


def load_user(uid):
    return User.query.get(int(uid))


@bp.route("/d")
def by_page():
    page = int(request.args.get("page", 1))
    return jsonify([i.title for i in ContentItem.query.paginate(page=page).items])
'''


def test_int_parsed_where_the_key_is_looked_up_is_a_cast_of_the_key(tmp_path: Path) -> None:
    got = _at(_scan(tmp_path, {"app/views.py": INT_LOOKUPS}), "app/views.py")
    casts = {line for code, line in got if code == "PY060"}
    assert {11, 16, 21, 26} <= casts  # get_or_404, filter_by(id=...), session.get, a resource's query.get
    assert 30 not in casts  # users.id is not the key
    assert 35 not in casts  # the page number


TEST_LOOKUPS = '''\
from app.models import ContentItem, Image, User, db


def test_lookups(client):
    item = ContentItem.query.filter_by(id=1).first()
    assert ContentItem.query.get(2).title
    assert db.session.get(ContentItem, 3)
    assert ContentItem.query.get_or_404(4)
    assert db.session.query(ContentItem).get(5)
    image = Image.query.filter_by(content_id=6).first()
    user = User.query.filter_by(id=1).first()
    other = Image.query.filter_by(id=1).first()
    titled = ContentItem.query.filter_by(title="x", id=item.id).first()
    same = db.session.get(User, 7)
    assert (item, image, user, other, titled, same)
'''


def test_a_row_looked_up_by_a_hard_coded_id_in_a_test(tmp_path: Path) -> None:
    got = _at(_scan(tmp_path, {"tests/test_lookups.py": TEST_LOOKUPS}), "tests/test_lookups.py")
    keys = {line for code, line in got if code == "PY081"}
    assert {5, 6, 7, 8, 9, 10} <= keys  # filter_by(id=1), get(2), session.get(.., 3), get_or_404(4), query().get(5)
    assert not keys & {11, 12, 13, 14}  # User and Image ids, an id from the object itself


RESTX_API = '''\
from flask_restx import Namespace, Resource, fields

from app.models import ContentItem, Image

ns = Namespace("images")

image_model = ns.model("Image", {
    "id": fields.Integer(readonly=True),
    "content_id": fields.Integer(required=True, description="the content item"),
    "user_id": fields.Integer(),
    "width": fields.Integer(),
})

item_model = ns.model("ContentItem", {
    "id": fields.Integer(readonly=True),
    "title": fields.String(),
})

item_detail = ns.inherit("ContentItemDetail", item_model, {
    "content_ids": fields.List(fields.Integer),
    "pages": fields.List(fields.Integer),
})


@ns.route("/")
class ImageList(Resource):
    @ns.marshal_list_with(image_model)
    def get(self):
        return Image.query.all()
'''


def test_restx_model_fields_holding_the_key(tmp_path: Path) -> None:
    found = [f for f in _scan(tmp_path, {"app/api/images.py": RESTX_API}) if f.path == "app/api/images.py"
             and f.code == "PY025"]
    assert sorted((f.span.line, f.symbol) for f in found) == [
        (9, "Image.content_id"), (15, "ContentItem.id"), (20, "ContentItemDetail.content_ids")]
    assert {f.span.line: f.edits[0].text for f in found} == {9: "String", 15: "String", 20: "String"}


OWN_COLLECTION_TEST = '''\
def test_create_then_list(admin):
    r = admin.post("/api/v1/content_items", json={"title": "x"})
    assert r.get_json().get("data")["id"] == 1
    r = admin.get("/api/v1/content-items?field=title&q=x")
    assert r.get_json()["data"][0]["id"] == 1
    r = admin.get("/api/v1/pages")
    assert r.get_json()["data"][0]["id"] == 1
'''


def test_json_id_of_the_keys_own_collection_is_the_key(tmp_path: Path) -> None:
    got = _at(_scan(tmp_path, {"tests/api/test_create.py": OWN_COLLECTION_TEST}), "tests/api/test_create.py")
    keys = {line for code, line in got if code == "PY081"}
    assert {3, 5} <= keys  # posted to / listed from the content items
    assert 7 not in keys  # /api/v1/pages, in a test that never touches the key: unknown, left alone


MARSHMALLOW_SCHEMAS = '''\
from marshmallow import Schema, fields


class ItemSchema(Schema):
    id = fields.Int(dump_only=True)
    title = fields.Str()


class CardSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str()


class OwnerSchema(Schema):
    id = fields.Int(dump_only=True)
    email = fields.Str()
'''

MARSHMALLOW_VIEWS = '''\
from flask import Blueprint, jsonify

from app.models import ContentItem, User
from app.schemas import CardSchema, ItemSchema, OwnerSchema

bp = Blueprint("items", __name__)
cards_schema = CardSchema(many=True)


@bp.route("/items/<item_id>")
def item(item_id):
    item = ContentItem.query.get_or_404(item_id)
    return jsonify(ItemSchema().dump(item))


@bp.route("/cards")
def cards():
    items = ContentItem.query.all()
    return jsonify(cards_schema.dump(items))


@bp.route("/owners/<owner_id>")
def owner(owner_id):
    return jsonify(OwnerSchema().dump(User.query.get_or_404(owner_id)))
'''


def test_a_marshmallow_schema_dumping_the_keys_rows_mirrors_the_model(tmp_path: Path) -> None:
    found = [f for f in _scan(tmp_path, {"app/schemas.py": MARSHMALLOW_SCHEMAS, "app/views.py": MARSHMALLOW_VIEWS})
             if f.path == "app/schemas.py" and f.code == "PY023"]
    assert sorted((f.span.line, f.symbol) for f in found) == [(5, "ItemSchema.id"), (10, "CardSchema.id")]


ATTRIBUTE_SCHEMA = '''\
from marshmallow import Schema, fields


class ImageSchema(Schema):
    content = fields.Int(attribute="content_id", required=True)
    owner = fields.Int(attribute="user_id")
    size = fields.Int(attribute="width")
'''


def test_a_marshmallow_field_reading_a_key_column_by_attribute(tmp_path: Path) -> None:
    found = [f for f in _scan(tmp_path, {"app/schemas.py": ATTRIBUTE_SCHEMA}) if f.path == "app/schemas.py"
             and f.code == "PY023"]
    assert [(f.span.line, f.symbol) for f in found] == [(5, "ImageSchema.content")]


FEED = '''\
from sqlalchemy import desc

from app.models import ContentItem


def feed(page):
    newest = ContentItem.query.order_by(ContentItem.created_at.desc(), ContentItem.id.desc()).paginate(page=page)
    published = ContentItem.query.order_by(desc(ContentItem.published_at), ContentItem.id).all()
    by_title = ContentItem.query.order_by(ContentItem.title, ContentItem.id).all()
    oldest = ContentItem.query.order_by(ContentItem.id.desc(), ContentItem.created_at).all()
    return newest, published, by_title, oldest
'''


def test_the_key_as_tie_breaker_after_a_time_column_is_no_ordering_hazard(tmp_path: Path) -> None:
    got = {line for code, line in _at(_scan(tmp_path, {"app/feed.py": FEED}), "app/feed.py") if code == "PY062"}
    assert got == {9, 10}


PREREQUISITES = '''\
from app.models import ContentItem


def unlocked(item: ContentItem, required, cursor):
    solved = {i.id for i in ContentItem.query.all()}
    needed = set(required).intersection(solved)
    if solved >= needed:
        return True
    if {i.id for i in ContentItem.query.limit(3)} <= solved:
        return True
    return item.id > cursor
'''


def test_a_subset_test_between_sets_of_keys_is_no_ordering(tmp_path: Path) -> None:
    got = {line for code, line in _at(_scan(tmp_path, {"app/rules.py": PREREQUISITES}), "app/rules.py")
           if code == "PY062"}
    assert got == {11}


FORM_LOOKUP = '''\
from flask import Blueprint, redirect
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField

from app.models import ContentItem, User, db

bp = Blueprint("items", __name__)


class MoveForm(FlaskForm):
    item = HiddenField()
    owner = HiddenField()
    caption = StringField()


@bp.route("/move", methods=["POST"])
def move():
    form = MoveForm()
    if form.validate_on_submit():
        item = ContentItem.query.get(int(form.item.data))
        same = ContentItem.query.filter_by(id=int(form.item.data)).first()
        owner = db.session.get(User, int(form.owner.data))
        n = int(form.caption.data)
        db.session.add(item)
        return redirect(f"/{same.id}/{owner.id}/{n}")
    return redirect("/")
'''


def test_int_of_a_form_field_passed_to_a_key_lookup(tmp_path: Path) -> None:
    got = {line for code, line in _at(_scan(tmp_path, {"app/views.py": FORM_LOOKUP}), "app/views.py")
           if code == "PY060"}
    assert got == {20, 21}  # not the User lookup, not the caption


STORED = '''\
from flask import Blueprint, request

from app.models import Image, User, db

bp = Blueprint("images", __name__)


def move_image(image: Image, target: int, width: int) -> None:
    image.content_id = target
    image.width = width
    db.session.commit()


def rename(user: User, handle: int) -> None:
    user.id = handle


@bp.route("/images/<image_id>/move", methods=["POST"])
def move(image_id):
    image = Image.query.get_or_404(image_id)
    move_image(image, int(request.form["target"]), int(request.form["width"]))
    return "", 204
'''


def test_a_value_stored_in_an_orm_objects_key_column_is_the_key(tmp_path: Path) -> None:
    got = _at(_scan(tmp_path, {"app/images.py": STORED}), "app/images.py")
    assert ("PY050", 8) in got  # target: int
    assert ("PY060", 21) in got  # int(request.form["target"]) passed as target
    assert ("PY050", 14) not in got  # users.id is not the key


FSA3_VIEWS = '''\
from flask import Blueprint

from app.models import ContentItem, User, db

bp = Blueprint("items", __name__)


@bp.route("/items/<ref>")
def item(ref):
    return db.get_or_404(ContentItem, int(ref)).title


@bp.route("/items/<pk>/raw")
def raw(pk):
    item = db.get_or_404(ContentItem, pk)
    return item.title, int(pk)


@bp.route("/users/<ref>")
def user(ref):
    return db.get_or_404(User, int(ref)).id
'''

FSA3_TEST = '''\
from app.models import ContentItem, User, db


def test_get(client):
    assert db.get_or_404(ContentItem, 3)
    assert db.get_or_404(User, 3)
'''


def test_flask_sqlalchemy_3_get_or_404_is_a_key_lookup(tmp_path: Path) -> None:
    found = _scan(tmp_path, {"app/views.py": FSA3_VIEWS, "tests/test_get.py": FSA3_TEST})
    assert {line for code, line in _at(found, "app/views.py") if code == "PY060"} == {10, 16}
    assert {line for code, line in _at(found, "tests/test_get.py") if code == "PY081"} == {5}
