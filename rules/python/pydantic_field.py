from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid

from analyzer.models import NOT_BIGINT, Finding
from analyzer.python import facts

_HEADER = ("from pydantic import BaseModel, ConfigDict, Field\nfrom app.models import ContentItem\n")


def record_key_fields(ctx: FileCtx, cls: cst.ClassDef) -> Iterator[tuple[facts.ClassAttr, str]]:
    """Fields of a record class that hold the key: by name, by the schema's tie to the ORM, by flow."""
    model = ctx.model
    name = cls.name.value
    learned = model.schema_fields.get(name, {})
    for attr in facts.class_attrs(cls):
        if attr.annotation is None or attr.name.startswith("_") or attr.name == "model_config":
            continue
        if attr.name in learned:
            yield attr, learned[attr.name]
        elif attr.name in model.key_names:
            yield attr, f"`{attr.name}` is named like {model.key_names[attr.name]}"
        elif attr.name in model.schema_key_fields(name):
            yield attr, f"{name} carries {attr.name} of an affected model ({model.schemas[name]})"
        elif attr.annotation is not None and isinstance(attr.annotation.annotation, cst.Name) \
                and attr.annotation.annotation.value in model.type_aliases:
            alias = attr.annotation.annotation.value
            yield attr, f"annotated with key alias {alias} ({model.type_aliases[alias]})"


def int_default(value: cst.BaseExpression | None) -> str:
    """The integer a field defaults to (`= 1`, `= Field(1)`, `= Field(default=1)`), as written; "" if none."""
    if isinstance(value, cst.Call) and facts.callee_name(value) in ("Field", "field"):
        arg = facts.kwarg(value, "default") or next(iter(facts.positional(value)), None)
        value = arg.value if arg is not None else None
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus):
        value = value.expression
    return value.value if isinstance(value, cst.Integer) else ""


class PydanticField(PyRule):
    """A Pydantic field that holds the key, typed as the old type.

    Anti-pattern: `class ImageOut(BaseModel): content_id: int`, or `id: int` on a schema validated from
    a ContentItem (`from_attributes`, `response_model`, `model_validate(item)`), a JWT payload's `sub` that
    the code loads a content item with, a settings field used as one. Best practice: type it `uuid.UUID` (or a
    shared `ContentId` alias) so validation and the OpenAPI schema follow the key; an integer default
    (`FEATURED_ID: int = 1`) needs a real id first.

    A model made at run time counts too: `create_model("Filter", content_id=(int, None))`, and the dict of such
    field definitions a project's request helper hands to `create_model(**spec)`
    (`@validate_args({"content_id": (int, None), "q": (str, None)}, location="query")`; a dict whose every value
    is a `(type, default)` pair) — a UUID in the query string fails validation. Fix: `(uuid.UUID, None)`.

    Not for bigint: Python's int has no width; `content_id: int` is right for a bigint key.
    """

    code, name, layer, kind = "PY020", "pydantic.field", "pydantic", "must_change"
    APPLIES_TO = NOT_BIGINT
    fixable = True
    VALID = [
        Valid(_HEADER + "class UserOut(BaseModel):\n    id: int\n    user_id: int\n    page: int\n"),
        Valid(_HEADER + "class CommentOut(BaseModel):\n    id: int\n    version_number: int\n"),
    ]
    INVALID = [
        Invalid(_HEADER + "class ImageOut(BaseModel):\n    id: int\n    content_id: int\n",
                line=5, message_contains="content_id", expected_fix="    content_id: uuid.UUID"),
        Invalid(_HEADER + "class ContentItemOut(BaseModel):\n    model_config = ConfigDict(from_attributes=True)\n"
                "    id: int\n    title: str\n", line=5, expected_fix="    id: uuid.UUID"),
        Invalid(_HEADER + "from typing import Optional\nclass Filter(BaseModel):\n"
                "    content_ids: list[int] = Field(default_factory=list)\n    content_id: Optional[int] = None\n",
                line=6, expected_fix="    content_id: Optional[uuid.UUID] = None"),
        Invalid(_HEADER + "class DocOut(BaseModel):\n    id: int\n    name: str\n\n"
                "def show(item: ContentItem) -> DocOut:\n    return DocOut.model_validate(item)\n",
                line=4, message_contains="validated from a ContentItem", expected_fix="    id: uuid.UUID"),
        Invalid(_HEADER + "class Card(BaseModel):\n    ref: int\n\n"
                "def card(item: ContentItem) -> Card:\n    return Card(ref=item.id)\n",
                line=4, message_contains="Card(ref=", expected_fix="    ref: uuid.UUID"),
    ]

    # names followed by data flow: a JWT payload's `sub` loaded as a content item, a settings field used as one
    _APP = ("### app/core/config.py\n"
            "from pydantic_settings import BaseSettings\n"
            "class Settings(BaseSettings):\n    API_V1_STR: str = '/api/v1'\n    FEATURED_ITEM_ID: int = 1\n"
            "    PAGE_SIZE: int = 50\n    ADMIN_USER_ID: int = 1\nsettings = Settings()\n"
            "### app/core/security.py\n"
            "import jwt\nfrom pydantic import BaseModel\nfrom app.models import ContentItem, User\n"
            "class TokenPayload(BaseModel):\n    sub: int | None = None\n    exp: int = 0\n"
            "def current_item(session, token: str) -> ContentItem:\n"
            "    data = TokenPayload(**jwt.decode(token, 'k', algorithms=['HS256']))\n"
            "    return session.get(ContentItem, data.sub)\n"
            "### app/api/home.py\n"
            "from fastapi import APIRouter\nfrom app.core.config import settings\nfrom app.models import ContentItem, User\n"
            "router = APIRouter()\n@router.get('/home')\ndef home(s=None):\n"
            "    owner = s.get(User, settings.ADMIN_USER_ID)\n"
            "    return s.get(ContentItem, settings.FEATURED_ITEM_ID)\n")
    # the same shapes carrying a user id (users.id does not change)
    VALID += [Valid(_APP.replace("session.get(ContentItem, data.sub)", "session.get(User, data.sub)")
                    .replace("s.get(ContentItem, settings.FEATURED_ITEM_ID)", "settings.FEATURED_ITEM_ID"),
                    path="app/core/security.py"),
              Valid(_APP.replace("s.get(ContentItem, settings.FEATURED_ITEM_ID)", "settings.FEATURED_ITEM_ID"),
                    path="app/core/config.py")]
    INVALID += [
        Invalid(_APP, line=5, path="app/core/security.py", message_contains="data.sub",
                expected_fix="    sub: uuid.UUID | None = None"),
        Invalid(_APP, line=4, path="app/core/config.py", message_contains="settings.FEATURED_ITEM_ID"),
    ]

    # consistency: DocOut is tied to ContentItem by its route; DocDetail and DocSummary, siblings in its module,
    # are responses of the same table (DocDetail is returned as a dict); DocVersionOut and UserOut are not
    _SIBLINGS = ("### app/schemas/docs.py\n"
                 "from pydantic import BaseModel, ConfigDict\nclass DocBase(BaseModel):\n    title: str\n"
                 "class DocOut(DocBase):\n    model_config = ConfigDict(from_attributes=True)\n    id: int\n"
                 "class DocDetail(DocBase):\n    id: int\n    body: str\n"
                 "class DocSummary(BaseModel):\n    id: int\n    title: str\n"
                 "class DocVersionOut(BaseModel):\n    id: int\nclass UserOut(BaseModel):\n    id: int\n"
                 "### app/api/docs.py\n"
                 "from fastapi import APIRouter\nfrom app.models import ContentItem\n"
                 "from app.schemas.docs import DocDetail, DocOut\nrouter = APIRouter()\n"
                 "@router.get('/docs/{ref}', response_model=DocOut)\ndef get(ref: str, s=None):\n"
                 "    return s.get(ContentItem, ref)\n"
                 "@router.get('/docs/{ref}/detail', response_model=DocDetail)\ndef detail(ref: str, s=None):\n"
                 "    item = s.get(ContentItem, ref)\n    return {'id': item.id, 'title': item.title, 'body': ''}\n")
    INVALID += [Invalid(_SIBLINGS, line=8, path="app/schemas/docs.py", message_contains="sibling of DocOut",
                        expected_fix="    id: uuid.UUID"),
                Invalid(_SIBLINGS, line=11, path="app/schemas/docs.py", message_contains="sibling of DocOut")]
    VALID += [Valid(_SIBLINGS.replace("response_model=DocOut", "response_model=None"), path="app/schemas/docs.py")]
    # an object unpacked from a tuple a helper returns (`-> tuple[str, ContentItem]`) fills the card's `pk`
    INVALID += [Invalid(_HEADER + "class Card(BaseModel):\n    kind: str\n    pk: int\n    size: int\n"
                        "def resolve(s, ref: str) -> tuple[str, ContentItem]:\n    return 'content', s.get(ContentItem, ref)\n"
                        "def card(s, ref: str) -> Card:\n    found = resolve(s, ref)\n    kind, obj = found\n"
                        "    return Card(kind=kind, pk=obj.id, size=len(obj.title))\n",
                        line=5, message_contains="pk=", expected_fix="    pk: uuid.UUID")]

    # a tuple of key lists a helper returns, unpacked and given to the response: `published`, `skipped` hold the key
    _SPLIT = (_HEADER + "class PublishOut(BaseModel):\n    published: list[int]\n    skipped: list[int]\n"
              "    pages: int\n"
              "async def split(s, content_ids: list[int]) -> tuple[list[int], list[int]]:\n"
              "    ready = [c for c in content_ids if await s.get(ContentItem, c)]\n"
              "    return ready, [c for c in content_ids if c not in ready]\n"
              "async def publish(s, content_ids: list[int]) -> PublishOut:\n"
              "    published, skipped = await split(s, content_ids)\n"
              "    return PublishOut(published=published, skipped=skipped, pages=1)\n")
    INVALID += [Invalid(_SPLIT, line=4, message_contains="published", expected_fix="    published: list[uuid.UUID]"),
                Invalid(_SPLIT, line=5, message_contains="skipped")]
    VALID += [Valid(_SPLIT.replace("content_ids", "page_numbers").replace("ContentItem, c", "Page, c"))]

    # run-time models: create_model's keyword field definitions and a dict of them (a request helper's spec)
    _DYNAMIC = ("from pydantic import create_model\nfrom app.helpers import validate_args\n"
                "ImageFilter = create_model('ImageFilter', content_id=(int, None), user_id=(int, None))\n"
                "@validate_args({'content_id': (int, None), 'user_id': (int, None), 'page': (int, 1),\n"
                "                'q': (str, None)}, location='query')\n"
                "def images(query_args):\n    return query_args\n")
    INVALID += [Invalid(_DYNAMIC, line=3, message_contains="create_model",
                        expected_fix="ImageFilter = create_model('ImageFilter', content_id=(uuid.UUID, None), "
                                     "user_id=(int, None))"),
                Invalid(_DYNAMIC, line=4, message_contains="field definition",
                        expected_fix="@validate_args({'content_id': (uuid.UUID, None), 'user_id': (int, None), "
                                     "'page': (int, 1),")]
    # not field definitions: a value is no (type, default) pair, or the key's entry is no int
    VALID += [Valid("LABELS = {'content_id': (1, 'Content'), 'title': (2, 'Title')}\n"
                    "SPEC = {'content_id': (str, None), 'page': (int, 1)}\n"
                    "MIXED = {'content_id': (int, None), 'title': 'Title'}\n")]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        yield from self._dynamic_fields(ctx)
        for cls in ctx.pf.classes:
            if facts.record_kind(ctx.pf, cls, ctx.record_kinds) != "pydantic":
                continue
            for attr, why in record_key_fields(ctx, cls):
                assert attr.annotation is not None
                ann = attr.annotation.annotation
                alias = ann.value if isinstance(ann, cst.Name) and ann.value in ctx.model.type_aliases else None
                if not ctx.has_int(ann) and not alias:
                    continue
                default = int_default(attr.value)
                edits = () if default else ctx.int_edits(ann)
                review = f"integer default `{default}` is no key: give a real id (or None) before changing the " \
                         f"type" if default else ""
                yield ctx.finding(self, attr.stmt, f"{cls.name.value}.{attr.name}",
                                  f"`{cls.name.value}.{attr.name}` holds the key and is typed "
                                  f"`{ctx.pf.code(ann)}`" + (" (changes with the alias)" if alias else ""),
                                  evidence=why, edits=edits, review=review, kind="info" if alias else None)


    def _dynamic_fields(self, ctx: FileCtx) -> Iterator[Finding]:
        """Field definitions of a model made at run time: `create_model(name, field=(type, default))` and a dict
        literal of `"field": (type, default)` pairs (what a request helper passes on as `create_model(**spec)`)."""
        pf = ctx.pf
        for entry in pf.calls_named(("create_model",)):
            call = entry.node
            assert isinstance(call, cst.Call)
            if not pf.resolves_to(call.func, "create_model", packages=("pydantic",)):
                continue
            args = facts.positional(call)
            model = facts.string_value(args[0].value) if args else None
            for a in call.args:
                if a.keyword is not None and isinstance(a.value, cst.Tuple) and _field_definition(a.value):
                    yield from self._definition(ctx, entry.func, a, a.keyword.value, a.value,
                                                f"{model or 'create_model'}.{a.keyword.value}", "create_model() field")
        for entry in pf.of(cst.Dict):
            node = entry.node
            assert isinstance(node, cst.Dict)
            pairs = [(facts.string_value(el.key), el) for el in node.elements if isinstance(el, cst.DictElement)]
            if not pairs or len(pairs) != len(node.elements) or not all(
                    name and isinstance(el.value, cst.Tuple) and _field_definition(el.value) for name, el in pairs):
                continue
            for name, el in pairs:
                assert name is not None and isinstance(el.value, cst.Tuple)
                yield from self._definition(ctx, entry.func, el, name, el.value, ctx.symbol(entry.func, name),
                                            "field definition")

    def _definition(self, ctx: FileCtx, fi, node: cst.CSTNode, name: str, value: cst.Tuple, symbol: str,  # type: ignore[no-untyped-def]
                    what: str) -> Iterator[Finding]:
        if name not in ctx.model.key_names:
            return
        ann = value.elements[0].value
        if not ctx.has_int(ann):
            return
        yield ctx.finding(self, node, symbol, f"pydantic {what} `{name}` holds the key and is typed "
                                              f"`{ctx.pf.code(ann)}`",
                          evidence=f"`{name}` is named like {ctx.model.key_names[name]}", edits=ctx.int_edits(ann),
                          layer=ctx.layer_of(None, self.layer))


def _field_definition(value: cst.Tuple) -> bool:
    """`(int, None)`, `(Optional[int], ...)`, `(int | None, Field(None, ge=1))`: a pydantic field definition, a
    (type, default) pair whose first element is a type expression (no literal)."""
    if len(value.elements) != 2 or any(isinstance(e, cst.StarredElement) for e in value.elements):
        return False
    first = value.elements[0].value
    if isinstance(first, cst.Name):
        return first.value not in ("None", "True", "False")
    if isinstance(first, cst.BinaryOperation):
        return isinstance(first.operator, cst.BitOr)
    return isinstance(first, (cst.Attribute, cst.Subscript, cst.Call))


class KeyTypeAdapter(PyRule):
    """A module-level Pydantic `TypeAdapter` over `int` whose validated result is used as the key.

    Anti-pattern: `ids_adapter = TypeAdapter(list[int])` then `X.id.in_(ids_adapter.validate_json(raw))`
    — every UUID in the payload fails validation. Best practice: validate with the key type
    (`TypeAdapter(list[uuid.UUID])`).

    Not for bigint: Python's int has no width; `TypeAdapter(int)` validates a bigint key.
    """

    code, name, layer, kind = "PY022", "pydantic.type_adapter", "pydantic", "must_change"
    APPLIES_TO = NOT_BIGINT
    fixable = True
    VALID = [Valid(_HEADER + "from pydantic import TypeAdapter\nfrom app.models import User\n"
                             "order_ids = TypeAdapter(list[int])\n"
                             "def users(s, raw):\n    wanted = order_ids.validate_json(raw)\n"
                             "    return s.query(User).filter(User.id.in_(wanted))\n")]
    INVALID = [Invalid(_HEADER + "from pydantic import TypeAdapter\nfrom app.models import Image\n"
                                 "ref_list = TypeAdapter(list[int])\n"
                                 "def images(s, raw):\n    wanted = ref_list.validate_json(raw)\n"
                                 "    return s.query(Image).filter(Image.content_id.in_(wanted))\n",
                       line=5, message_contains="in_()",
                       expected_fix="ref_list = TypeAdapter(list[uuid.UUID])")]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        pf, model = ctx.pf, ctx.model
        for entry in pf.of(cst.Assign):
            node = entry.node
            assert isinstance(node, cst.Assign)
            if entry.func is not None or entry.cls is not None or len(node.targets) != 1:
                continue
            t, value = node.targets[0].target, node.value
            if not (isinstance(t, cst.Name) and t.value in model.key_adapters and isinstance(value, cst.Call)
                    and facts.callee_name(value) == "TypeAdapter"):
                continue
            args = facts.positional(value)
            if not args or not ctx.has_int(args[0].value):
                continue
            yield ctx.finding(self, node, t.value, f"`{t.value}` validates the key as "
                                                   f"`{pf.code(args[0].value)}`",
                              evidence=model.key_adapters[t.value], edits=ctx.int_edits(args[0].value),
                              layer=ctx.layer_of(None, "pydantic"))
