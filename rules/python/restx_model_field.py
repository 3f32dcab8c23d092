from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid

from analyzer.models import NOT_BIGINT, Edit, Finding
from analyzer.python import facts
from analyzer.python.keys import snake

_PACKAGES = ("flask_restx", "flask_restplus")
#: the calls that make a model from a dict of fields: `api.model(name, {...})`, `ns.inherit(name, parent, {...})`,
#: `Model(name, {...})`
_MAKERS = ("model", "inherit", "Model", "OrderedModel", "clone")
#: what a model's name may add to the entity's (`ContentItemOut` is a content item)
_SUFFIXES = ("", "_out", "_in", "_model", "_response", "_request", "_create", "_update", "_detail", "_input",
             "_output", "_schema", "_summary", "_public")
_HEAD = "from flask_restx import Namespace, fields\nns = Namespace('images')\n"


class RestxModelField(PyRule):
    """A Flask-RESTX (or Flask-RESTPlus) model field that holds the key, declared `fields.Integer`.

    Anti-pattern: `ns.model("Image", {"content_id": fields.Integer(required=True)})`, or the `"id"` of
    `ns.model("ContentItem", {...})` — `@ns.marshal_with` formats the value with `int()` (a UUID fails to marshal),
    `@ns.expect(model, validate=True)` rejects a UUID string, and the Swagger document tells clients the id is an
    integer. Best practice: `fields.String` (RESTX has no UUID field; add `pattern=` or a description);
    `fields.List(fields.Integer)` holding keys becomes `fields.List(fields.String)`.

    A field holds the key when its name is a key column's (`content_id`, `content_ids`), or it is the `"id"` of a
    model named after the key's table (`ContentItem`, `ContentItemOut`).

    Not for bigint: RESTX's Integer has no width.
    """

    code, name, layer, kind = "PY025", "restx.model_field", "pydantic", "must_change"
    APPLIES_TO = NOT_BIGINT
    fixable = True
    VALID = [Valid(_HEAD + "user = ns.model('User', {\n    'id': fields.Integer(readonly=True),\n"
                           "    'user_id': fields.Integer(),\n    'content_id': fields.String(),\n"
                           "    'pages': fields.List(fields.Integer),\n})\n"
                           "page = {'content_id': fields.Integer()}\n")]
    INVALID = [
        Invalid(_HEAD + "image = ns.model('Image', {\n    'id': fields.Integer(readonly=True),\n"
                        "    'content_id': fields.Integer(required=True),\n})\n",
                line=5, message_contains="content_id", expected_fix="    'content_id': fields.String(required=True),"),
        Invalid(_HEAD + "item = ns.model('ContentItemOut', {\n    'id': fields.Integer(readonly=True),\n"
                        "    'title': fields.String,\n})\n",
                line=4, message_contains="named after the key's table",
                expected_fix="    'id': fields.String(readonly=True),"),
        Invalid(_HEAD + "base = ns.model('Base', {'title': fields.String})\n"
                        "bulk = ns.inherit('Bulk', base, {\n    'content_ids': fields.List(fields.Integer),\n})\n",
                line=5, expected_fix="    'content_ids': fields.List(fields.String),"),
    ]
    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        if "flask_restx" not in ctx.pf.text and "flask_restplus" not in ctx.pf.text:
            return
        model = ctx.model
        entities = ctx.entity_names()
        for entry in ctx.pf.of(cst.Call):
            call = entry.node
            assert isinstance(call, cst.Call)
            if facts.callee_name(call) not in _MAKERS:
                continue
            args = facts.positional(call)
            name = facts.string_value(args[0].value) if args else None
            fields = next((a.value for a in reversed(args) if isinstance(a.value, cst.Dict)), None)
            if name is None or fields is None:
                continue
            table = self._entity(name, entities)
            for el in fields.elements:
                if not isinstance(el, cst.DictElement):
                    continue
                field = facts.string_value(el.key)
                integer = self._integer(ctx, el.value)
                if field is None or integer is None:
                    continue
                if field in model.key_names:
                    why = f"`{field}` is named like {model.key_names[field]}"
                elif field == "id" and table is not None:
                    why = f"the id of model `{name}`, named after the key's table {table}"
                else:
                    continue
                start, end = ctx.pf.offsets(integer)
                yield ctx.finding(self, el, f"{name}.{field}", f"RESTX model field `{name}.{field}` holds the key "
                                  f"and is declared `{ctx.pf.code(integer)}`", evidence=why,
                                  edits=(Edit(start, end, "String"),), layer=ctx.layer_of(None, self.layer))

    @staticmethod
    def _entity(name: str, entities: dict[str, str]) -> str | None:
        """The key's table a model's name stands for (`ContentItem`, `ContentItemOut`), or None."""
        words = snake(name)
        for suffix in _SUFFIXES:
            if suffix and not words.endswith(suffix):
                continue
            stem = words[:len(words) - len(suffix)] if suffix else words
            if stem in entities:
                return entities[stem]
        return None

    @staticmethod
    def _integer(ctx: FileCtx, value: cst.BaseExpression) -> cst.Name | None:
        """The `Integer` name of `fields.Integer(...)`, `fields.Integer`, or the element of `fields.List(...)`."""
        node = value.func if isinstance(value, cst.Call) else value
        if isinstance(value, cst.Call) and ctx.pf.resolves_to(node, "List", packages=_PACKAGES):
            inner = next(iter(facts.positional(value)), None)
            return RestxModelField._integer(ctx, inner.value) if inner is not None else None
        if not isinstance(node, (cst.Name, cst.Attribute)) or not ctx.pf.resolves_to(node, "Integer",
                                                                                      packages=_PACKAGES):
            return None
        return node.attr if isinstance(node, cst.Attribute) else None
