"""A front-end type named after the target's mapped class holds the key in its `id`, with no route to tell it.

Flask apps often serialize their models directly (`@dataclass` models returned by the view, `to_dict()`), and
route their views where the scan reads no URL (connexion's OpenAPI `operationId`, a plugin's registry). The
front end's `interface User { id: number }` then mirrors `UserModel`, the target `user.id`'s class: its `id` is
the key, though no `/users/{user_id}` route names the entity. Another table's type (`Group.id`, `GroupModel` in
the same backend) and a type that only starts with the entity's name (`UserGroupAssignment`) stay quiet.

The origin a front-end finding cites for a key name is the application's own schema or model, not a load-test
script's result record that the flow saw built from the key (`AttemptResult(user_id=user.id)`).
"""

from __future__ import annotations

import json
from pathlib import Path

from helpers import run_impact, write_tree

BACKEND = {
    "backend/app/models/db.py": '''from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
''',
    "backend/app/models/user.py": '''from dataclasses import dataclass

from app.models.db import db


@dataclass
class UserModel(db.Model):
    __tablename__ = "user"

    id: int = db.Column(db.Integer, primary_key=True)
    username: str = db.Column(db.String(255), nullable=False, unique=True)
''',
    "backend/app/models/group.py": '''from dataclasses import dataclass

from sqlalchemy import ForeignKey

from app.models.db import db
from app.models.user import UserModel


@dataclass
class GroupModel(db.Model):
    __tablename__ = "group"

    id: int = db.Column(db.Integer, primary_key=True)
    identifier: str = db.Column(db.String(255))


@dataclass
class UserGroupAssignmentModel(db.Model):
    __tablename__ = "user_group_assignment"

    id: int = db.Column(db.Integer, primary_key=True)
    user_id: int = db.Column(ForeignKey(UserModel.id), nullable=False)
    group_id: int = db.Column(ForeignKey(GroupModel.id), nullable=False)
''',
    # handlers routed by an OpenAPI document (connexion's operationId): the scan reads no URL for them
    "backend/app/routes/users_controller.py": '''import flask

from app.models.user import UserModel


def user_show(username: str) -> flask.Response:
    user = UserModel.query.filter_by(username=username).first_or_404()
    return flask.jsonify(user)
''',
}
FRONTEND = {
    "frontend/src/interfaces.ts": '''export interface User {
  id: number; // impact: TS001
  username: string;
}

export interface Group {
  id: number; // ok: another table's id
  identifier: string;
}

export interface UserGroupAssignment {
  id: number; // ok: the assignment's own id
  group_id: number; // ok
}
''',
}


def test_the_target_class_names_its_front_end_type(tmp_path: Path) -> None:
    write_tree(tmp_path, {**BACKEND, **FRONTEND})
    out = tmp_path / "out"
    done = run_impact("scan", ".", "--target", "user.id", "--out", str(out), "--format", "json", "--no-typecheck",
                      "--fail-on", "never", "-q", "--no-cache", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))["findings"]
    ts = {(f["code"], f["symbol"]) for f in findings if f["language"] == "typescript"}
    assert ("TS001", "User.id") in ts, sorted(ts)
    assert not {s for _, s in ts} & {"Group.id", "UserGroupAssignment.id", "UserGroupAssignment.group_id"}, ts
    user = next(f for f in findings if f["symbol"] == "User.id")
    assert "UserModel" in user["evidence"], user["evidence"]


SCRIPT = {
    "backend/bin/load_tests/login_race.py": '''from dataclasses import dataclass


from app.models.user import UserModel


@dataclass(frozen=True)
class AttemptResult:
    user_id: int | None
    status: int


def attempt() -> AttemptResult:
    user = UserModel.query.first()
    return AttemptResult(user_id=user.id, status=200)
''',
    "backend/app/models/active_user.py": '''from dataclasses import dataclass

from sqlalchemy import ForeignKey

from app.models.db import db
from app.models.user import UserModel


@dataclass
class ActiveUserModel(db.Model):
    __tablename__ = "active_user"

    id: int = db.Column(db.Integer, primary_key=True)
    user_id: int = db.Column(ForeignKey(UserModel.id), nullable=False)
''',
    "frontend/src/components/Avatar.tsx": '''type Props = {
  userId: number; // impact: TS001
};
export default function Avatar({ userId }: Props) {
  return <img alt={String(userId)} />;
}
''',
}


def test_a_front_end_finding_cites_the_application_not_a_script(tmp_path: Path) -> None:
    write_tree(tmp_path, {**BACKEND, **SCRIPT})
    out = tmp_path / "out"
    done = run_impact("scan", ".", "--target", "user.id", "--out", str(out), "--format", "json", "--no-typecheck",
                      "--fail-on", "never", "-q", "--no-cache", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))["findings"]
    prop = next(f for f in findings if f["symbol"] == "Props.userId")
    assert "load_tests" not in prop["evidence"] and "backend/app/" in prop["evidence"], prop["evidence"]
