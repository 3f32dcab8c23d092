"""fixtures/crud_template_app: the layout many generated FastAPI projects share, scanned as a user would
(`impact scan --target user.id`, the schema read from the models: no `__tablename__` anywhere, a base's
`declared_attr` names the tables).

What must be found: both mapped columns (user.id, item.owner_id), the records holding them, the route parameters
named after the table (`user_id` of /users/{user_id}, though no column is named so), the CRUD parameters, the test
URL with a literal id. What must not: the item routes' `id` (item.id is not the key) and the page sizes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from helpers import REPO, run_impact

APP = REPO / "fixtures" / "crud_template_app"


def _scan(tmp_path: Path, target: str) -> set[tuple[str, str, int]]:
    """`impact scan --target TARGET` on a copy of the app: (code, path under backend/app/, line) of each finding."""
    tree = tmp_path / "app"
    shutil.copytree(APP, tree)
    out = tmp_path / "out"
    done = run_impact("scan", str(tree), "--target", target, "--out", str(out), "--format", "json",
                      "--no-typecheck", "--fail-on", "never", "-q", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))["findings"]
    return {(f["code"], f["path"].removeprefix("backend/app/"), f["line"]) for f in findings}


def test_generated_template_layout(tmp_path: Path) -> None:
    got = _scan(tmp_path, "user.id")
    expected = {
        ("PY001", "models/user.py", 13),  # User.id: the table is `user` by the base's declared_attr
        ("PY001", "models/item.py", 16),  # Item.owner_id
        ("PY020", "schemas/user.py", 23),  # UserInDBBase.id: Optional[int]
        ("PY020", "schemas/item.py", 22),  # ItemInDBBase.owner_id: int
        ("PY030", "api/api_v1/endpoints/users.py", 19),  # /users/{user_id}: user_id names user.id
        ("PY030", "api/api_v1/endpoints/users.py", 35),
        ("PY050", "crud/crud_item.py", 12),  # owner_id of create_with_owner
        ("PY050", "crud/crud_item.py", 20),  # owner_id of get_multi_by_owner
        ("PY080", "tests/api/api_v1/test_users.py", 19),  # {API_V1_STR}/users/12345
        # the token's subject cast to int, then passed to the generic CRUDBase.get through `crud.user` (CRUDUser(User),
        # re-exported by app/crud/__init__.py; base.py itself names no key and is parsed because get is CRUDBase's)
        ("PY060", "api/deps.py", 18),
    }
    assert expected <= got, sorted(expected - got)
    lines = {(path, line) for _code, path, line in got}
    for path, line in [("api/api_v1/endpoints/items.py", 30), ("api/api_v1/endpoints/items.py", 45),  # id of item
                       ("api/api_v1/endpoints/items.py", 15), ("api/api_v1/endpoints/items.py", 16),  # page sizes
                       ("api/api_v1/endpoints/users.py", 13),
                       # CRUDBase.remove serves the items here (crud.item.remove), bound to Item: not the users' key
                       ("crud/base.py", 44), ("tests/crud/test_item.py", 24)]:
        assert (path, line) not in lines, (path, line)


def test_generated_template_layout_own_key(tmp_path: Path) -> None:
    """item.id: no FK names it and no text quotes the table: the model file is parsed for its class name (the
    reader maps Item to `item`), the `/{id}` routes of the /items router take it, not the users' ones."""
    got = _scan(tmp_path, "item.id")
    expected = {
        ("PY001", "models/item.py", 13),
        ("PY020", "schemas/item.py", 20),  # ItemInDBBase.id
        ("PY030", "api/api_v1/endpoints/items.py", 30),  # GET /items/{id}
        ("PY030", "api/api_v1/endpoints/items.py", 45),  # DELETE /items/{id}
        ("PY080", "tests/api/api_v1/test_items.py", 19),  # {API_V1_STR}/items/999999
        ("PY050", "crud/base.py", 44),  # CRUDBase.remove(id: int), reached as crud.item.remove(db=db, id=id)
        ("PY081", "tests/crud/test_item.py", 24),  # crud.item.remove(db=db, id=1)
    }
    assert expected <= got, sorted(expected - got)
    lines = {(path, line) for _code, path, line in got}
    for path, line in [("api/api_v1/endpoints/users.py", 19), ("api/api_v1/endpoints/users.py", 35),  # user_id
                       ("schemas/item.py", 22), ("models/user.py", 13)]:  # owner_id, User.id
        assert (path, line) not in lines, (path, line)
