"""A project-wide id type is not the key's type.

Many code bases declare one integer alias for every id (`PrimaryKey = Annotated[int, Field(gt=0, lt=2147483647)]`)
and annotate every entity's id with it. One key parameter typed with it must not make the alias a key alias:
that would seed the key into `organization_id: PrimaryKey`, `EntityRead.id: PrimaryKey`, ... and hand out edits
turning other tables' ids into UUIDs. An alias kept for the key alone (`Ref` below, whatever its name) or named
after it (`ContentId`) stays a key alias, as before.
"""

from __future__ import annotations

from pathlib import Path

from analyzer.rules.python._examples import CLOSURE, MODELS
from helpers import python_sources

from analyzer.config import Config
from analyzer.models import Finding
from analyzer.python import scan_python

SHARED = '''\
from typing import Annotated

from pydantic import BaseModel, Field

PrimaryKey = Annotated[int, Field(gt=0, lt=2147483647)]
Ref = Annotated[int, Field(gt=0)]
ContentId = Annotated[int, Field(gt=0)]


class ImageIn(BaseModel):
    content_id: PrimaryKey
    caption: str


class UserRead(BaseModel):
    id: PrimaryKey
    name: str


class MembershipRead(BaseModel):
    organization_id: PrimaryKey
    user_id: PrimaryKey


class ThumbIn(BaseModel):
    content_id: Ref
    width: int


class PreviewIn(BaseModel):
    content_id: ContentId
'''

SERVICE = '''\
from app.models import ContentItem, User
from app.schemas import ContentId, PrimaryKey, Ref


def get_item(*, db_session, content_id: int) -> ContentItem | None:
    return db_session.get(ContentItem, content_id)


def get_user(*, db_session, user_id: int) -> User | None:
    return db_session.get(User, user_id)


def get_organization(*, db_session, organization_id: int):
    return db_session.query("organizations").get(organization_id)


def load_thumb(ref: Ref, db_session=None):
    return db_session.get(ContentItem, ref)


def load_preview(which: ContentId, db_session=None):
    return which
'''

VIEWS = '''\
from app.schemas import PrimaryKey
from app.service import get_item, get_organization, get_user


def read_item(content_id: PrimaryKey, db_session=None):
    return get_item(db_session=db_session, content_id=content_id)


def read_user(user_id: PrimaryKey, db_session=None):
    return get_user(db_session=db_session, user_id=user_id)


def read_organization(organization_id: PrimaryKey, db_session=None):
    return get_organization(db_session=db_session, organization_id=organization_id)
'''


def _scan(tmp_path: Path, tree: dict[str, str]) -> list[Finding]:
    return list(scan_python(python_sources(tmp_path, tree), CLOSURE, Config()).findings)


def _at(findings: list[Finding], tree: dict[str, str], path: str, needle: str) -> list[Finding]:
    lines = [i + 1 for i, line in enumerate(tree[path].splitlines()) if needle in line]
    assert len(lines) == 1, (path, needle, lines)
    return [f for f in findings if f.path == path and f.span.line == lines[0]]


def test_a_project_wide_id_alias_is_not_the_keys(tmp_path: Path) -> None:
    tree = {"app/models.py": MODELS, "app/schemas.py": SHARED, "app/service.py": SERVICE, "app/views.py": VIEWS}
    found = _scan(tmp_path, tree)

    def hit(path: str, needle: str) -> bool:
        return bool(_at(found, tree, path, needle))

    # the key's own uses of the shared alias are still found, by what they hold
    assert hit("app/schemas.py", "    content_id: PrimaryKey")
    assert hit("app/service.py", "def get_item(")
    assert hit("app/views.py", "def read_item(")
    # the distractors: other tables' ids typed with the same alias, and the alias itself (changing it would
    # change every id of the project)
    assert not hit("app/schemas.py", "    id: PrimaryKey")
    assert not hit("app/schemas.py", "    organization_id: PrimaryKey")
    assert not hit("app/schemas.py", "    user_id: PrimaryKey")
    assert not hit("app/service.py", "def get_user(")
    assert not hit("app/service.py", "def get_organization(")
    assert not hit("app/views.py", "def read_user(")
    assert not hit("app/views.py", "def read_organization(")
    assert not any(f.edits for f in _at(found, tree, "app/schemas.py", "PrimaryKey = Annotated"))
    # an alias only the key uses, whatever its name, and one named after the key: key aliases, as before
    assert hit("app/schemas.py", "Ref = Annotated") and hit("app/schemas.py", "    content_id: Ref")
    assert hit("app/schemas.py", "ContentId = Annotated") and hit("app/schemas.py", "    content_id: ContentId")


def test_an_alias_kept_for_the_key_is_still_learned_from_its_use(tmp_path: Path) -> None:
    """The same project without the other tables' uses: `PrimaryKey` annotates the key alone, so it is the key's."""
    schemas = SHARED.split("class UserRead")[0] + "class ThumbIn(BaseModel):\n    content_id: Ref\n" \
        "\n\nclass PreviewIn(BaseModel):\n    content_id: ContentId\n"
    service = SERVICE.split("def get_user(")[0] + "def load_thumb(" + SERVICE.split("def load_thumb(")[1]
    tree = {"app/models.py": MODELS, "app/schemas.py": schemas, "app/service.py": service}
    found = _scan(tmp_path, tree)
    assert [f for f in _at(found, tree, "app/schemas.py", "PrimaryKey = Annotated") if f.edits]


def test_an_alias_defined_where_nothing_names_the_key(tmp_path: Path) -> None:
    """The module defining the project's id type names nothing of the key, so the scan never parses it; its
    definition is read from the text. Before, `content_id: PrimaryKey` had no finding (no int in sight)."""
    types = "from typing import Annotated\n\nfrom pydantic import Field\n\n" \
            "PrimaryKey = Annotated[int, Field(gt=0, lt=2147483647)]\n"
    views = ("from app.types import PrimaryKey\n\n\n"
             "def read_item(content_id: PrimaryKey, db_session=None):\n    return content_id\n\n\n"
             "def read_user(user_id: PrimaryKey, db_session=None):\n    return user_id\n")
    tree = {"app/models.py": MODELS, "app/types.py": types, "app/views.py": views}
    found = _scan(tmp_path, tree)
    (item,) = [f for f in _at(found, tree, "app/views.py", "def read_item(") if f.edits]
    (edit,) = item.edits
    assert views[edit.start:edit.end] == "PrimaryKey" and edit.text == "uuid.UUID"
    assert not _at(found, tree, "app/views.py", "def read_user(")
    assert not [f for f in found if f.path == "app/types.py"]  # the shared alias stays as it is
