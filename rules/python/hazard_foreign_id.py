from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid

from analyzer.models import NOT_BIGINT, Finding
from analyzer.python.parsed import FuncInfo

_SKELETON = '''\
from pydantic import BaseModel

from app.models import ContentItem


class ImageRow(BaseModel):
    image_id: int
    content_id: int


def skeleton(item: ContentItem) -> ImageRow:
    return ImageRow(
        image_id=item.id,
        content_id=item.id,
    )
'''

_ATTACH = '''\
from app.models import ContentItem


def attach_image(image_id: int, caption: str) -> None:
    print(image_id, caption)


def publish(item: ContentItem) -> None:
    attach_image(item.id, item.title)
'''

_AUDIT = '''\
from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from app.models import Base, ContentItem


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[int] = mapped_column(ForeignKey("users.id"))


def audit(item: ContentItem) -> AuditEntry:
    return AuditEntry(actor=item.id)
'''


class ForeignIdSlot(PyRule):
    """The key stored in a slot whose name designates another entity's ids.

    Anti-pattern: `ChatMessageSkeleton(message_id=chat_session.id, chat_session_id=chat_session.id)`: a
    `message_id` (chat_message's ids) given a chat session's id. It type-checks while both are integers, and fails
    validation (or silently points at the wrong row) once the key is a UUID. The slot is a keyword argument, a record
    field, a parameter or a column whose name is `<entity>_id` for another table of the schema (by its name, singular
    or plural, or its last word: chat_message -> `message_id`), or a column with a ForeignKey to a table whose ids are
    not the key. Best practice: pass that entity's own id (`message.id`); if the slot really holds the key, name it
    after the key (`chat_session_id`).

    The data flow stops at such a slot: the key does not make every `message_id` of the code base (nor the front
    end's `messageId`) a key. A key name of the closure (`owner_id`, a self-referencing `parent_id`), an alias no
    table is called (`doc_id`) and a name of the key's own table (`item_id` for content_items) go on flowing.

    Not for bigint: an int8 still fits the slot's `int`; the mix-up is there either way, but the type change does
    not make it break.
    """

    code, name, layer, kind = "PY068", "hazard.foreign_id", "service", "hazard"
    APPLIES_TO = NOT_BIGINT
    VALID = [
        Valid('''\
from pydantic import BaseModel

from app.models import ContentItem


class ItemRow(BaseModel):
    item_id: int
    parent_id: int | None
    owner_id: int | None


def row(item: ContentItem) -> ItemRow:
    return ItemRow(item_id=item.id, parent_id=item.id, owner_id=item.id)
'''),
        Valid('''\
from app.models import ContentItem


def load_doc(doc_id: int) -> str:
    return str(doc_id)


def render(item: ContentItem) -> str:
    return load_doc(doc_id=item.id)
'''),
        Valid('''\
from app.models import ContentItem, Image


def thumbnail(image: Image, item: ContentItem) -> Image:
    return Image(content_id=item.id, id=image.id)
'''),
        Valid('''\
from pydantic import BaseModel

from app.models import User


class AuthorOut(BaseModel):
    author_id: int
    user_id: int


def author(user: User) -> AuthorOut:
    return AuthorOut(author_id=user.id, user_id=user.id)
''', target="users.id"),
    ]
    INVALID = [
        Invalid(_SKELETON, line=13, message_contains="`image_id`, which names images's ids"),
        Invalid(_ATTACH, line=9, message_contains="content_items.id is stored in `image_id`"),
        Invalid(_AUDIT, line=14, message_contains="`actor`, which names users's ids"),
    ]

    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the mix-up is there, but bigint does not break it

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        for path, node, slot, table, evidence, target, fi in list(ctx.model.mixups.values()):
            if path != ctx.pf.path or not isinstance(node, cst.CSTNode):
                continue
            func = fi if isinstance(fi, FuncInfo) else None
            yield ctx.finding(
                self, node, ctx.symbol(func, slot), f"{target} is stored in `{slot}`, which names {table}'s ids: a mix-up?",
                evidence=evidence, target=target, layer=ctx.layer_of(func, "service"),
                review=f"pass the {table} row's own id here; if `{slot}` really holds {target}, name it after the key")
