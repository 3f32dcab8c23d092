"""Flask-SQLAlchemy instances and SQLAlchemy Core tables, read without a database (issue 12).

- `db = SQLAlchemy(app)` (often in another module, re-exported by a package, or a subclass of the extension)
  proxies sqlalchemy's names: `db.Column`, `db.Integer`, `db.ForeignKey` resolve to sqlalchemy's, so the
  rules keyed on them see Flask models; a model without `__tablename__` maps the class name in snake case,
  and a subclass declaring its own primary key has a table of its own (joined-table inheritance).
- Core `Table("node", metadata, Column("node_id", Integer, unique=True), ...)` built at module level or in a
  factory: a table without a primary key is keyed by a single UNIQUE `id` / `<singular>_id` column, which
  FK-less columns of other tables hold (`run_id`, and `src_node_id` / `dst_node_id`, a role before the key's
  own name). A test module's copy of a table (`*_test.py`) does not replace the application's.
"""

from __future__ import annotations

from pathlib import Path

import libcst as cst
from helpers import write_tree

from analyzer import db
from analyzer.config import Config
from analyzer.db.graph import compute_closure
from analyzer.models import SchemaSnapshot, Target
from analyzer.python.parsed import ProjectNames, parse
from analyzer.sources import discover

CORE = {
    "flwr/state/schema/link_tables.py": '''
from sqlalchemy import Column, Float, ForeignKey, Integer, MetaData, String, Table, UniqueConstraint


def create_link_metadata() -> MetaData:
    metadata = MetaData()
    Table(
        "node",
        metadata,
        Column("node_id", Integer, unique=True),
        Column("status", String),
        Column("heartbeat_interval", Float),
    )
    Table(
        "run",
        metadata,
        Column("run_id", Integer, unique=True),
        Column("bytes_sent", Integer, server_default="0"),
    )
    Table(
        "logs",
        metadata,
        Column("timestamp", Float),
        Column("run_id", Integer, ForeignKey("run.run_id")),
        Column("node_id", Integer),
        UniqueConstraint("timestamp", "run_id", "node_id"),
    )
    Table(
        "message_ins",
        metadata,
        Column("message_id", String, unique=True),
        Column("src_node_id", Integer),
        Column("dst_node_id", Integer),
        Column("retry_count", Integer, nullable=False),
        Column("ttl", Float),
    )
    return metadata
''',
    "flwr/state/schema/core_tables.py": '''
from sqlalchemy import Column, Integer, MetaData, String, Table


def create_core_metadata(metadata: MetaData) -> MetaData:
    Table("token_store", metadata, Column("run_id", Integer, primary_key=True), Column("token", String))
    Table("task", metadata, Column("task_id", Integer, primary_key=True), Column("run_id", Integer, nullable=False))
    return metadata
''',
    # a test's own throwaway table of the same name must not replace the application's
    "flwr/state/alembic/utils_test.py": '''
from sqlalchemy import Column, Integer, MetaData, Table


def test_upgrade() -> None:
    metadata = MetaData()
    Table("node", metadata, Column("id", Integer, primary_key=True))
''',
}


def _snapshot(root: Path, files: dict[str, str]) -> SchemaSnapshot:
    write_tree(root, files)
    return db.schema_from_models([f for f in discover([str(root)], Config().excludes) if f.language == "python"])


def test_core_tables_in_factories_are_read_and_the_application_copy_wins(tmp_path: Path) -> None:
    snap = _snapshot(tmp_path, CORE)
    node = snap.table("node")
    assert node is not None and [c.name for c in node.columns] == ["node_id", "status", "heartbeat_interval"]
    assert node.primary_key == () and ("node_id",) in node.unique_constraints
    assert snap.table("token_store") is not None and snap.table("task") is not None


def test_a_unique_natural_key_is_what_fk_less_columns_hold(tmp_path: Path) -> None:
    snap = _snapshot(tmp_path, CORE)
    closure = compute_closure(snap, [Target("run", "run_id", "INTEGER", "BIGINT"),
                                     Target("node", "node_id", "INTEGER", "BIGINT")])
    got = {c.qualified for c in closure.columns}
    assert got == {"run.run_id", "node.node_id", "logs.run_id", "logs.node_id", "message_ins.src_node_id",
                   "message_ins.dst_node_id", "token_store.run_id", "task.run_id"}


def test_a_role_prefix_needs_a_key_named_after_its_table(tmp_path: Path) -> None:
    """`github_user_id` is not `users.id` (a key called `id`), and a key column that is not unique is no key."""
    snap = _snapshot(tmp_path, {"app/models.py": '''
from sqlalchemy import Column, Integer, MetaData, String, Table

metadata = MetaData()
users = Table("users", metadata, Column("id", Integer, primary_key=True), Column("name", String))
repos = Table("repos", metadata, Column("id", Integer, primary_key=True), Column("github_user_id", Integer),
              Column("user_id", Integer), Column("stream_id", Integer))
streams = Table("streams", metadata, Column("stream_id", Integer), Column("label", String))
'''})
    closure = compute_closure(snap, [Target("users", "id", "INTEGER", "BIGINT")])
    assert {c.qualified for c in closure.columns} == {"users.id", "repos.user_id"}


FLASK = {
    "app/extensions.py": '''
from flask_sqlalchemy import SQLAlchemy as _BaseSQLAlchemy


class SQLAlchemy(_BaseSQLAlchemy):
    def apply_pool_defaults(self, app, options):
        options["pool_pre_ping"] = True
        return super().apply_pool_defaults(app, options)


db = SQLAlchemy()
''',
    "app/models/__init__.py": "from app.extensions import db\n",
    "app/models/switch.py": '''
from app.models import db


class Switch(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    label = db.Column(db.String, nullable=False)
    port_count = db.Column(db.Integer, default=0)
    type = db.Column(db.String, nullable=False)
    __mapper_args__ = {"polymorphic_on": type}


class NexusSwitch(Switch):
    id = db.Column(db.Integer, db.ForeignKey("switch.id"), primary_key=True)
    hostname = db.Column(db.String)


class MockSwitch(Switch):
    fake_ports = db.Column(db.Integer)
''',
    "app/legacy.py": '''
from flask.ext.sqlalchemy import SQLAlchemy
from app import app

legacy_db = SQLAlchemy(app)
''',
    "app/services.py": '''
from app.models import db
from app.legacy import legacy_db


def ports(switch_id):
    return db.session.query(db.func.count(db.Column("x"))), legacy_db.relationship("Switch")
''',
    "app/other.py": '''
from app.storage import db


def rows():
    return db.Column("x")
''',
    "app/storage.py": "db = Database('sqlite://')\n",
}


def test_flask_models_name_their_tables_and_joined_subclasses_have_their_own(tmp_path: Path) -> None:
    snap = _snapshot(tmp_path, FLASK)
    assert {t.name for t in snap.tables} == {"switch", "nexus_switch"}
    switch = snap.table("switch")
    assert switch is not None and "fake_ports" in {c.name for c in switch.columns}  # single-table subclass
    nexus = snap.table("nexus_switch")
    assert nexus is not None and nexus.primary_key == ("id",)
    assert [(fk.columns, fk.ref_table) for fk in nexus.foreign_keys] == [(("id",), "switch")]


def _qnames(pf, code_text: str) -> set[str]:
    for entry in pf.of(cst.Call):
        node = entry.node
        if pf.code(node.func) == code_text:
            return pf.qnames(node.func)
    raise AssertionError(code_text)


def test_flask_instances_proxy_sqlalchemy_names_across_modules(tmp_path: Path) -> None:
    write_tree(tmp_path, FLASK)
    files = [f for f in discover([str(tmp_path)], Config().excludes) if f.language == "python"]
    texts = {f.path: Path(f.abs_path).read_text(encoding="utf-8") for f in files}
    names = ProjectNames(texts, files)
    assert {"app.extensions.db", "app.models.db", "app.legacy.legacy_db"} <= names.flask_dbs
    assert not names.is_flask_db("app.storage.db")
    by_path = {f.path: f for f in files}

    def parsed(path: str):
        pf = parse(by_path[path], texts[path])
        pf.project = names
        return pf

    switch = parsed("app/models/switch.py")
    assert _qnames(switch, "db.Column") == {"sqlalchemy.Column"}
    assert _qnames(switch, "db.ForeignKey") == {"sqlalchemy.ForeignKey"}
    services = parsed("app/services.py")
    assert _qnames(services, "db.session.query") == {"flask_sqlalchemy.SQLAlchemy.session.query"}
    assert _qnames(services, "db.func.count") == {"sqlalchemy.func.count"}
    assert _qnames(services, "legacy_db.relationship") == {"sqlalchemy.orm.relationship"}
    other = parsed("app/other.py")  # another object called `db`: not sqlalchemy's
    assert _qnames(other, "db.Column") == {"app.storage.db.Column"}
    cls = next(c for c in switch.classes if c.name.value == "MockSwitch")
    assert names.table_of(switch, cls) == "switch"
    cls = next(c for c in switch.classes if c.name.value == "NexusSwitch")
    assert names.table_of(switch, cls) == "nexus_switch"


def test_without_flask_nothing_is_read_twice(tmp_path: Path) -> None:
    write_tree(tmp_path, CORE)
    files = [f for f in discover([str(tmp_path)], Config().excludes) if f.language == "python"]
    texts = {f.path: Path(f.abs_path).read_text(encoding="utf-8") for f in files}
    names = ProjectNames(texts, files)
    assert names.flask_dbs == set() and names.words(["switch", "port"]) == frozenset()
    pf = parse(files[0], texts[files[0].path])
    assert all(names.table_of(pf, c) is None for c in pf.classes)


def test_flask_security_mixins_bring_their_keys(tmp_path: Path) -> None:
    """`class User(db.Model, fsqla.FsUserMixin): pass`: the key comes from Flask-Security's mixin."""
    snap = _snapshot(tmp_path, {"app/security.py": '''
from flask_security.models import fsqla_v3 as fsqla
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
fsqla.FsModels.set_db_info(db)


class Role(db.Model, fsqla.FsRoleMixin):
    pass


class User(db.Model, fsqla.FsUserMixin):
    display_name = db.Column(db.String(80))


class WebAuthn(db.Model, fsqla.FsWebAuthnMixin):
    pass
'''})
    user = snap.table("user")
    assert user is not None and user.primary_key == ("id",) and user.column("id").type == "INTEGER"
    assert snap.table("role") is not None
    web = snap.table("web_authn")
    assert web is not None and [(fk.columns, fk.ref_table) for fk in web.foreign_keys] == [(("user_id",), "user")]
    closure = compute_closure(snap, [Target("user", "id", "INTEGER", "BIGINT")])
    assert {c.qualified for c in closure.columns} == {"user.id", "web_authn.user_id"}


FLASK_VIEWS = {
    "app/__init__.py": '''
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
db = SQLAlchemy(app)
''',
    "app/models.py": '''
from app import db


class Node(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    label = db.Column(db.String, nullable=False)
    boot_count = db.Column(db.Integer, default=0)


class Tag(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String)
''',
    "app/services.py": '''
from app import db
from app.models import Node, Tag


def rename_node(node_id: int, label: str) -> None:
    node = db.session.query(Node).get(node_id)
    node.label = label


def node_page(node_ref: int):
    return Node.query.get_or_404(node_ref)


def tag_name(tag_id: int) -> str:
    return Tag.query.get(tag_id).name


def boots(counts: dict, node_number: int) -> int:
    return counts.get(node_number)
''',
}


def test_legacy_query_get_makes_its_argument_the_key(tmp_path: Path) -> None:
    """`session.query(Model).get(x)` and Flask-SQLAlchemy's `Model.query.get_or_404(x)` take the primary key;
    another model's lookup and a dict's `.get` do not."""
    from analyzer.python import scan_python

    write_tree(tmp_path, FLASK_VIEWS)
    files = discover([str(tmp_path)], Config().excludes)
    snap = db.schema_from_models([f for f in files if f.language == "python"])
    closure = compute_closure(snap, [Target("node", "id", "INTEGER", "UUID")])
    found = {(f.path, f.code, f.symbol) for f in scan_python(files, closure, Config()).findings
             if f.kind != "info"}
    params = {symbol for path, code, symbol in found if path == "app/services.py"}
    assert params == {"rename_node.node_id", "node_page.node_ref"}, found
    assert ("app/models.py", "PY001", "Node.id") in found


def test_flask_model_class_base_gives_every_model_its_key(tmp_path: Path) -> None:
    """Flask-SQLAlchemy 3: `SQLAlchemy(model_class=Base)` makes db.Model derive from Base, whose `id` every model
    inherits; the tables are still named after the classes. A plain `SQLAlchemy()` elsewhere is unaffected."""
    snap = _snapshot(tmp_path, {"app/db.py": '''
from sqlalchemy import Integer
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from flask_sqlalchemy import SQLAlchemy


class Base(DeclarativeBase):
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


db = SQLAlchemy(model_class=Base)
''', "app/models.py": '''
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import db


class Project(db.Model):
    name: Mapped[str] = mapped_column(String(80))


class ProjectMember(db.Model):
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"))
''', "tools/legacy.py": '''
from flask_sqlalchemy import SQLAlchemy

legacy = SQLAlchemy()


class AuditRow(legacy.Model):
    row_id = legacy.Column(legacy.Integer, primary_key=True)
'''})
    assert {t.name: {c.name for c in t.columns} for t in snap.tables} == {
        "project": {"id", "name"}, "project_member": {"id", "project_id"}, "audit_row": {"row_id"}}
    assert all(t.primary_key == (("row_id",) if t.name == "audit_row" else ("id",)) for t in snap.tables)
    closure = compute_closure(snap, [Target("project", "id", "INTEGER", "BIGINT")])
    assert {c.qualified for c in closure.columns} == {"project.id", "project_member.project_id"}
