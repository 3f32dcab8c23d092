from __future__ import annotations

from collections.abc import Iterator

from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid
from analyzer.rules.python.pydantic_field import int_default, record_key_fields

from analyzer.models import NOT_BIGINT, Finding
from analyzer.python import facts


class RecordField(PyRule):
    """A dataclass, TypedDict or NamedTuple field that holds the key, typed as the old type.

    Anti-pattern: `@dataclass class RenderJob: content_id: int` passed between services and workers.
    Best practice: type it with the new key type (or a shared alias) so every producer and consumer
    changes together.

    Not for bigint: Python's int has no width; an `int` field holds a bigint key.
    """

    code, name, layer, kind = "PY053", "record.field", "service", "must_change"
    APPLIES_TO = NOT_BIGINT
    fixable = True
    VALID = [Valid("from dataclasses import dataclass\n@dataclass\nclass Page:\n    page: int\n    user_id: int\n")]
    INVALID = [
        Invalid("from dataclasses import dataclass\n@dataclass\nclass RenderJob:\n    content_id: int\n",
                line=4, expected_fix="    content_id: uuid.UUID"),
        Invalid("from typing import TypedDict\nclass Payload(TypedDict):\n    content_id: int\n    page: int\n",
                line=3, expected_fix="    content_id: uuid.UUID"),
    ]

    # a settings dataclass field the code loads a content item with (its default is no id)
    INVALID += [Invalid("### app/config.py\nfrom dataclasses import dataclass\n"
                        "@dataclass(frozen=True)\nclass Settings:\n    api_prefix: str = '/api'\n"
                        "    featured_content_id: int = 0\n    page_size: int = 50\nsettings = Settings()\n"
                        "### app/api/home.py\nfrom app.config import settings\nfrom app.models import ContentItem\n"
                        "def featured(db):\n    return db.get(ContentItem, settings.featured_content_id)\n",
                        line=5, path="app/config.py", message_contains="settings.featured_content_id")]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        for cls in ctx.pf.classes:
            kind = facts.record_kind(ctx.pf, cls, ctx.record_kinds)
            if kind not in ("dataclass", "typeddict", "namedtuple"):
                continue
            for attr, why in record_key_fields(ctx, cls):
                assert attr.annotation is not None
                if not ctx.has_int(attr.annotation.annotation):
                    continue
                default = int_default(attr.value)
                yield ctx.finding(self, attr.stmt, f"{cls.name.value}.{attr.name}",
                                  f"{kind} field `{cls.name.value}.{attr.name}` holds the key and is typed "
                                  f"`{ctx.pf.code(attr.annotation.annotation)}`", evidence=why,
                                  edits=() if default else ctx.int_edits(attr.annotation.annotation),
                                  review=f"integer default `{default}` is no key: give a real id (or None) before "
                                         f"changing the type" if default else "",
                                  layer=ctx.layer_of(None, "other"))
