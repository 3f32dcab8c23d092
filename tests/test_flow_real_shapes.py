"""Data-flow shapes met in real code (issue 12, mealie), each with its distractor.

- a data-access call naming the column it matches (`repo.get(owner, "content_id")`) makes the value the key;
- `x.id` where `x` is annotated with a schema of the key's table holds the key (`current_user: UserOut`);
- a method called on a class name resolves to the class of the calling module first (every test module has its
  own `class Routes`), not to the last same-named class parsed.
"""

from __future__ import annotations

from pathlib import Path

from helpers import findings_at, scan_with_examples

_scan, _at = scan_with_examples, findings_at


LOOKUP = '''\
class ImageRepo:
    def get(self, value, column: str = "id", limit: int = 1):
        return [value, column, limit]


def images_of(repo: ImageRepo, owner: int) -> list:
    return repo.get(owner, "content_id", limit=50)


def images_by_caption(repo: ImageRepo, caption: int) -> list:
    return repo.get(caption, "caption")


def image_by_id(repo: ImageRepo, image_id: int) -> list:
    return repo.get(image_id, "id")
'''


def test_a_lookup_by_a_named_key_column_makes_the_value_the_key(tmp_path: Path) -> None:
    got = _at(_scan(tmp_path, {"app/repo.py": LOOKUP}), "app/repo.py")
    assert ("PY050", 6) in got  # owner: int, matched with images.content_id
    assert ("PY050", 10) not in got  # caption is no key column
    assert ("PY050", 14) not in got  # "id" of which table? not told by the name


TOKEN = '''\
import jwt
from pydantic import BaseModel

from app.models import ContentItem


class ItemOut(BaseModel):
    id: int
    title: str


def read_item(item: ContentItem) -> ItemOut:
    return ItemOut.model_validate(item)


def share_token(item: ItemOut) -> str:
    return jwt.encode({"share": True, "id": item.id, "title": item.title}, "k", algorithm="HS256")


def page_token(page: int) -> str:
    return jwt.encode({"page": page}, "k", algorithm="HS256")
'''


def test_a_schema_typed_parameter_gives_its_key_field(tmp_path: Path) -> None:
    got = _at(_scan(tmp_path, {"app/share.py": TOKEN}), "app/share.py")
    assert ("PY069", 17) in got  # item: ItemOut (validated from a ContentItem) -> item.id is the key
    assert ("PY069", 21) not in got
    assert len([c for c, _ in got if c == "PY069"]) == 1  # "title" is no key


ROUTES_A = '''\
from app.models import ContentItem


class Routes:
    base = "/api/items"

    def item(id: int) -> str:
        return f"{Routes.base}/{id}"


def test_get(item: ContentItem) -> None:
    print(Routes.item(item.id))
'''

ROUTES_B = '''\
class Routes:
    base = "/api/images"

    def item(image_id: int) -> str:
        return f"{Routes.base}/{image_id}"
'''


def test_a_class_of_the_calling_module_is_resolved_first(tmp_path: Path) -> None:
    findings = _scan(tmp_path, {"tests/test_a.py": ROUTES_A, "tests/test_b.py": ROUTES_B})
    assert not [f for f in findings if f.code == "PY068"]  # no `image_id` of the other module's Routes
    assert ("PY050", 7) in _at(findings, "tests/test_a.py")  # Routes.item(id: int) of this module takes the key
