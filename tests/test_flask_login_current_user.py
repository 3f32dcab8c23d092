"""Flask-Login's `current_user` is the logged-in row of the user model (the class that mixes in `UserMixin`):
`current_user.id` is the key when the users' key changes, and only then. Flask's request global `g.user`, set by a
before_request hook (`g.user = db.session.get(User, user_id) if user_id else None`), is that row too.

Met in Flask apps of every size: the key cast for the session (`int(current_user.id)`), handed to a helper typed
`int`, compared with a literal (the "first user is the admin" check). Distractors: the route's own `post_id`
(another table's key), `current_user.name`, and every `current_user` line when another table's key changes."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import run_impact, write_tree

MODELS = '''\
from flask_login import UserMixin
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80))


class Post(db.Model):
    __tablename__ = "posts"
    id = db.Column(db.Integer, primary_key=True)
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    title = db.Column(db.String(200))
'''

VIEWS = '''\
from flask import Blueprint, redirect, session, url_for
from flask_login import current_user, login_required

from app.models import Post

bp = Blueprint("views", __name__)


def audit(actor: int, action: str) -> None:
    print(actor, action)


@bp.route("/me")
@login_required
def me():
    session["uid"] = int(current_user.id)
    audit(current_user.id, "viewed " + current_user.name)
    if current_user.id == 1:
        return redirect(url_for("admin.index"))
    return redirect(url_for("views.profile", name=current_user.name))


@bp.route("/posts/<int:post_id>")
def post(post_id: int):
    return Post.query.get_or_404(post_id).title
'''

# no word of the key's in it: only `current_user` makes it worth parsing
STAMP = '''\
import flask_login


def stamped(payload: dict) -> dict:
    return {**payload, "by": int(flask_login.current_user.id)}
'''


APP = {"app/__init__.py": "", "app/models.py": MODELS, "app/views.py": VIEWS, "app/stamp.py": STAMP}


def _scan(tmp_path: Path, target: str, files: dict[str, str] = APP) -> set[tuple[str, str, int]]:
    """`impact scan --target TARGET` of `files` written under tmp_path: (code, path, line) of each finding."""
    tree = write_tree(tmp_path / "app_tree", files)
    out = tmp_path / target
    done = run_impact("scan", str(tree), "--target", target, "--no-cache", "--out", str(out), "--format", "json",
                      "--no-typecheck", "--fail-on", "never", "-q", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))["findings"]
    return {(f["code"], f["path"], f["line"]) for f in findings}


def test_current_user_is_the_user_row(tmp_path: Path) -> None:
    got = _scan(tmp_path, "users.id")
    expected = {
        ("PY050", "app/views.py", 9),  # audit(actor: int), given current_user.id
        ("PY060", "app/views.py", 16),  # int(current_user.id)
        ("PY062", "app/views.py", 18),  # current_user.id == 1
        ("PY060", "app/stamp.py", 5),  # int(flask_login.current_user.id)
    }
    assert expected <= got, sorted(expected - got)
    lines = {(path, line) for _code, path, line in got}
    for line in (17, 20, 23, 24, 25):  # the action text, current_user.name, post_id
        assert ("app/views.py", line) not in lines, line


def test_current_user_is_not_another_tables_row(tmp_path: Path) -> None:
    got = _scan(tmp_path, "posts.id")
    lines = {(path, line) for _code, path, line in got}
    for where in (("app/views.py", 9), ("app/views.py", 16), ("app/views.py", 18), ("app/stamp.py", 5)):
        assert where not in lines, where
    assert ("app/views.py", 23) in lines  # the posts' own key: /posts/<int:post_id>


AUTH = '''\
from flask import Blueprint, g, session

from app.models import User, db

bp = Blueprint("auth", __name__)


@bp.before_app_request
def load_logged_in_user():
    user_id = session.get("user_id")
    g.user = db.session.get(User, user_id) if user_id is not None else None
    g.locale = session.get("locale", "en")
'''

# no word of the key's in it: `g.user` makes it worth parsing once the hook is read
G_VIEWS = '''\
from flask import Blueprint, g, redirect, url_for

bp = Blueprint("views", __name__)


def audit(actor: int, action: str) -> None:
    print(actor, action)


@bp.route("/me")
def me():
    audit(g.user.id, "viewed in " + g.locale)
    if g.user.id == 1:
        return redirect(url_for("admin.index"))
    return str(int(g.user.id)) + g.locale.upper()
'''


def test_flask_g_user_set_by_a_hook_is_the_user_row(tmp_path: Path) -> None:
    models = MODELS.replace("from flask_login import UserMixin\n", "").replace("(UserMixin, db.Model)", "(db.Model)")
    files = {"app/__init__.py": "", "app/models.py": models, "app/auth.py": AUTH, "app/views.py": G_VIEWS}
    got = {(target, *finding) for target in ("users.id", "posts.id") for finding in _scan(tmp_path, target, files)}
    views = {(t, code, line) for t, code, path, line in got if path == "app/views.py"}
    assert views == {("users.id", "PY050", 6),  # audit(actor: int), given g.user.id
                     ("users.id", "PY062", 13),  # g.user.id == 1
                     ("users.id", "PY060", 15)}, sorted(views)  # int(g.user.id); g.locale is no row
