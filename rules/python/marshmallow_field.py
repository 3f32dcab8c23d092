from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid

from analyzer.models import NOT_BIGINT, Edit, Finding
from analyzer.python import facts

_HEAD = "from marshmallow import Schema, fields, validate\n"
#: marshmallow's integer fields (`fields.Int` is an alias of `fields.Integer`)
_INT_FIELDS = ("Integer", "Int")
_PACKAGES = (*facts.MARSHMALLOW_PACKAGES, "webargs")


def _int_field(ctx: FileCtx, value: cst.BaseExpression | None) -> cst.Call | None:
    """The `fields.Integer(...)` call a field is declared with, also as the element of `fields.List(...)`
    (a list of keys); None for any other field."""
    if not isinstance(value, cst.Call):
        return None
    if ctx.pf.resolves_to(value.func, *_INT_FIELDS, packages=_PACKAGES):
        return value
    if ctx.pf.resolves_to(value.func, "List", packages=_PACKAGES):
        inner = next(iter(facts.positional(value)), None) or facts.kwarg(value, "cls_or_instance")
        if inner is not None and isinstance(inner.value, cst.Call) and \
                ctx.pf.resolves_to(inner.value.func, *_INT_FIELDS, packages=_PACKAGES):
            return inner.value
    return None


def _attribute(value: cst.BaseExpression | None) -> str:
    """The object attribute a field reads when it names one (`fields.Int(attribute="content_id")`), else ""."""
    arg = facts.kwarg(value, "attribute") if isinstance(value, cst.Call) else None
    return (facts.string_value(arg.value) or "") if arg is not None else ""


class MarshmallowField(PyRule):
    """A marshmallow schema field that holds the key, declared `fields.Integer()`.

    Anti-pattern: `class ImageSchema(Schema): content_id = fields.Integer(required=True)`, or `id = fields.Int()`
    on a schema of the content items (named after the model, or tied to it by the flow: `CardSchema().dump(item)`,
    flask-marshmallow's `cards_schema.dump(items)`) — after the change every
    load rejects a real id ("Not a valid integer.") and every dump fails or mangles it. Best practice:
    `fields.UUID()` (marshmallow validates and documents it; apispec's OpenAPI follows), `fields.String()` for a
    text key; `fields.List(fields.Integer())` holding keys becomes `fields.List(fields.UUID())`.

    A schema written as a dict counts too, as webargs takes it (`@use_args({"content_id": fields.Int()},
    location="query")`, `parser.parse({...})`) and `Schema.from_dict({...})` builds it: a key-named entry.

    Not for bigint: marshmallow's Integer has no width; it loads and dumps a bigint key as it is.
    """

    code, name, layer, kind = "PY023", "marshmallow.field", "pydantic", "must_change"
    APPLIES_TO = NOT_BIGINT
    fixable = True
    VALID = [
        Valid(_HEAD + "class PageSchema(Schema):\n    page = fields.Integer(load_default=1)\n"
                      "    user_id = fields.Integer()\n    id = fields.Int()\n    owner = fields.Integer()\n"
                      "    content_item = fields.Nested('ContentItemSchema')\n"
                      "class ThumbnailSchema(Schema):\n    content_id = fields.String()\n"),
        # a schema of another model: its `id` is that model's
        Valid(_HEAD + "class UserSchema(Schema):\n    id = fields.Int(dump_only=True)\n"
                      "    name = fields.String()\n"),
        # a field named like the key that is no integer field stays as it is
        Valid(_HEAD + "class ImageSchema(Schema):\n    content_id = fields.String()\n"
                      "    width = fields.Integer(validate=validate.Range(min=1))\n"),
    ]
    INVALID = [
        Invalid(_HEAD + "class ImageSchema(Schema):\n    id = fields.Integer(dump_only=True)\n"
                        "    content_id = fields.Integer(required=True, allow_none=False)\n",
                line=4, message_contains="content_id", expected_fix=
                "    content_id = fields.UUID(required=True, allow_none=False)"),
        # named after the model: its `id` is the key
        Invalid(_HEAD + "class ContentItemGetResponseSchema(Schema):\n    id = fields.Int(dump_only=True)\n"
                        "    title = fields.String()\n",
                line=3, message_contains="ContentItemGetResponseSchema.id",
                expected_fix="    id = fields.UUID(dump_only=True)"),
        # a list of keys; a subclass of the project's own base schema
        Invalid(_HEAD + "class BaseApiSchema(Schema):\n    pass\n"
                        "class BulkDeleteSchema(BaseApiSchema):\n"
                        "    content_ids = fields.List(fields.Integer(), required=True)\n"
                        "    page_size = fields.List(fields.Integer())\n",
                line=5, expected_fix="    content_ids = fields.List(fields.UUID(), required=True)"),
        Invalid(_HEAD + "class ImageSchema(Schema):\n    content_id = fields.Integer()\n",
                line=3, to="TEXT", expected_fix="    content_id = fields.String()"),
        # an integer named after the key's table (singular or plural) is its id; `owner`, `user` are others'
        # (a module the prefilter reads: it names the key elsewhere, as a schemas module does)
        Invalid(_HEAD + "class ReportPostSchema(Schema):\n    owner = fields.Integer()\n"
                        "    content_item = fields.Integer(allow_none=True)\n"
                        "    content_items = fields.List(fields.Integer())\n"
                        "class ThumbnailSchema(Schema):\n    content_id = fields.Integer()\n",
                line=4, message_contains="named after the key's table",
                expected_fix="    content_item = fields.UUID(allow_none=True)"),
        Invalid(_HEAD + "class ReportPostSchema(Schema):\n    content_items = fields.List(fields.Integer())\n"
                        "class ThumbnailSchema(Schema):\n    content_id = fields.Integer()\n",
                line=3, expected_fix="    content_items = fields.List(fields.UUID())"),
    ]
    # a schema that dumps the key's rows mirrors the model: its `id` is the key (OwnerSchema dumps users)
    _DUMPS = (_HEAD + "from app.models import ContentItem, User\n"
              "class CardSchema(Schema):\n    id = fields.Int(dump_only=True)\n"
              "class OwnerSchema(Schema):\n    id = fields.Int(dump_only=True)\n"
              "cards_schema = CardSchema(many=True)\n"
              "def cards():\n    return cards_schema.dump(ContentItem.query.all())\n"
              "def owner(pk):\n    return OwnerSchema().dump(User.query.get(pk))\n")
    INVALID += [Invalid(_DUMPS, line=4, message_contains="dumps a ContentItem", expected_fix=
                        "    id = fields.UUID(dump_only=True)")]
    VALID += [Valid(_DUMPS.replace("cards_schema.dump(ContentItem.query.all())", "[]"))]
    # a field reading a key column under another name (attribute=); `owner` reads another table's
    INVALID += [Invalid(_HEAD + "class ImageSchema(Schema):\n    content = fields.Int(attribute='content_id')\n"
                        "    owner = fields.Int(attribute='user_id')\n", line=3, message_contains="attribute=",
                        expected_fix="    content = fields.UUID(attribute='content_id')")]
    # a dict schema (webargs, Schema.from_dict): a key-named entry; `user_id`, `page` are others
    INVALID += [Invalid("from webargs import fields\nfrom webargs.flaskparser import use_args\n"
                        "@use_args({'content_id': fields.Int(required=True), 'user_id': fields.Int(),\n"
                        "           'page': fields.Int(load_default=1)}, location='query')\n"
                        "def thumbs(args):\n    return args\n", line=3, message_contains="content_id",
                        expected_fix="@use_args({'content_id': fields.UUID(required=True), 'user_id': fields.Int(),")]
    VALID += [Valid(_HEAD + "ThumbArgs = Schema.from_dict({'user_id': fields.Int(), 'content_id': fields.Str()})\n"
                            "SIZES = {'content_id': 3}\n")]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        yield from self._dict_schemas(ctx)
        model = ctx.model
        for cls in ctx.pf.classes:
            if facts.record_kind(ctx.pf, cls, ctx.record_kinds) != "marshmallow":
                continue
            name = cls.name.value
            learned = model.schema_fields.get(name, {})
            mirrored = model.schema_key_fields(name)
            entities = ctx.entity_names()
            for attr in facts.class_attrs(cls):
                call = _int_field(ctx, attr.value)
                if call is None or attr.annotation is not None:
                    continue
                if attr.name in learned:
                    why = learned[attr.name]
                elif attr.name in model.key_names:
                    why = f"`{attr.name}` is named like {model.key_names[attr.name]}"
                elif attr.name in mirrored:
                    why = f"{name} carries {attr.name} of an affected model ({model.schemas[name]})"
                elif (source := _attribute(attr.value)) in model.key_names:  # content = fields.Int(attribute="content_id")
                    why = f"it reads `{source}` (attribute=), named like {model.key_names[source]}"
                elif attr.name in entities:  # `dashboard = fields.Integer()`: an integer named the entity is its id
                    why = f"an integer field named after the key's table {entities[attr.name]}"
                else:
                    continue
                yield ctx.finding(self, attr.stmt, f"{name}.{attr.name}",
                                  f"marshmallow field `{name}.{attr.name}` holds the key and is declared "
                                  f"`{ctx.pf.code(call.func)}()`", evidence=why, edits=self._edits(ctx, call),
                                  layer=ctx.layer_of(None, self.layer))

    def _dict_schemas(self, ctx: FileCtx) -> Iterator[Finding]:
        """`{"content_id": fields.Int()}`: a schema as a dict (webargs' use_args / parser.parse, Schema.from_dict)."""
        model = ctx.model
        for entry in ctx.pf.of(cst.Dict):
            node = entry.node
            assert isinstance(node, cst.Dict)
            for el in node.elements:
                if not isinstance(el, cst.DictElement):
                    continue
                name = facts.string_value(el.key)
                if name is None or name not in model.key_names:
                    continue
                call = _int_field(ctx, el.value)
                if call is None:
                    continue
                yield ctx.finding(self, el, ctx.symbol(entry.func, name),
                                  f"marshmallow field `{name}` of a dict schema holds the key and is declared "
                                  f"`{ctx.pf.code(call.func)}()`",
                                  evidence=f"`{name}` is named like {model.key_names[name]}",
                                  edits=self._edits(ctx, call), layer=ctx.layer_of(None, self.layer))

    @staticmethod
    def _edits(ctx: FileCtx, call: cst.Call) -> tuple[Edit, ...]:
        """`Integer`/`Int` -> `UUID` (a uuid key) or `String` (a text key), the module path kept (`fields.`)."""
        new = {"uuid.UUID": "UUID", "str": "String"}.get(ctx.model.python_type()[0], "")
        if not new:
            return ()
        node = call.func.attr if isinstance(call.func, cst.Attribute) else call.func
        if not isinstance(node, cst.Name):
            return ()
        if isinstance(call.func, cst.Name):  # `from marshmallow.fields import Integer`: the name needs an import
            return ()
        start, end = ctx.pf.offsets(node)
        return (Edit(start, end, new),)
