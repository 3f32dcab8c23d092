"""PY005 on a key inherited from a shared base: the patch declares the key in the class itself."""

from __future__ import annotations

from pathlib import Path

from analyzer.rules.python.db_model_inherited_key import _MIXIN, _SHARED
from test_rules_python import _scan

from analyzer.codemods.apply import apply_edits


def _patched(tmp_path: Path, code: str) -> str:
    text, findings = _scan(tmp_path, code, "app/models.py")
    edits = [e for f in findings if f.code == "PY005" for e in f.edits]
    assert edits
    return apply_edits(text, tuple(edits))


def test_sqlmodel_override_after_dunders(tmp_path: Path) -> None:
    patched = _patched(tmp_path, _SHARED)
    assert "class ContentItem(IdModel, Timestamped, table=True):\n    __tablename__ = 'content_items'\n" \
           "    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)\n\n    title: str\n" in patched
    assert "class User(IdModel, table=True):\n    __tablename__ = 'users'\n    email: str\n" in patched


def test_mapped_column_override(tmp_path: Path) -> None:
    patched = _patched(tmp_path, _MIXIN)
    assert "    __tablename__ = 'content_items'\n" \
           "    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)\n" in patched


def test_header_words_hold_every_base_name() -> None:
    """A file is read for subclasses only when its class headers name a base: headers over several lines, with
    comments, strings, brackets and type parameters must still give every base name `_classes` reads."""
    import ast

    from analyzer.rules.python.db_model_inherited_key import _base_name, _header_words

    text = ("class Plain(IdModel, table=True):\n    pass\n"
            "class Wrapped(  # the shared one: (see base.py\n    Audited,\n    models.Timestamped,\n):\n    x = 1\n"
            "class Generic(Repo[T], meta='a): b', **extra):\n    pass\n"
            "def f():\n    class Inner(mixins.\\\n        Soft): pass\n"
            "s = '''\nclass (unclosed\n'''\n")
    words = _header_words(text)
    bases = {_base_name(b) for node in ast.walk(ast.parse(text)) if isinstance(node, ast.ClassDef)
             for b in node.bases}
    assert bases == {"IdModel", "Audited", "Timestamped", "Repo", "Soft"}
    assert bases <= words
    assert "x" not in _header_words("class A(B):\n    x = C()\n")  # the body is not the header


def test_classes_read_from_the_scans_tree_are_those_ast_reads() -> None:
    """`_classes` reads a file the scan parsed from its LibCST tree instead of `ast.parse` again: the same classes,
    base names and tables, whatever the shape."""
    from types import SimpleNamespace

    from analyzer.rules.python.db_model_inherited_key import _classes

    from analyzer.models import SourceFile
    from analyzer.python.parsed import parse

    text = ("import sqlalchemy as sa\nfrom app import db, bases\n\n"
            "class Item(db.Model, Generic[T], metaclass=Meta):\n    __tablename__ = name_of('x')\n"
            "    __tablename__ = ('items' 's')\n\n"
            "class Tagged(IdModel, table=True): pass\n"
            "class Blob(Base):\n    x = 1; __tablename__ = b'blobs'\n\n"
            "class Loud(Base):\n    __tablename__ = f'{PREFIX}loud'\n\n"
            "class Starred(*bases, Mixin[int]):\n    __tablename__: str = 'annotated'\n\n"
            "class Chained(sa.orm.DeclarativeBase):\n    a = __tablename__ = 'chained'\n\n"
            "def factory():\n    class Inner(Item):\n        if True:\n            __tablename__ = 'nested'\n"
            "    return Inner\n")

    def ctx(files: dict[str, object]) -> object:
        return SimpleNamespace(flow=SimpleNamespace(cache={}, files=files),
                               routers=SimpleNamespace(texts={"app/models.py": text}))

    pf = parse(SourceFile(".", "app/models.py", "app/models.py", "python"), text)
    from_tree = _classes(ctx({"app/models.py": pf}), "app/models.py")  # type: ignore[arg-type]
    from_ast = _classes(ctx({}), "app/models.py")  # type: ignore[arg-type]
    assert sorted(from_tree, key=str) == sorted(from_ast, key=str)
    assert dict((n, t) for n, _b, t in from_tree) == {
        "Item": "itemss", "Tagged": "tagged", "Blob": "blob", "Loud": "loud", "Starred": None, "Chained": "chained",
        "Inner": None}
    assert {n: b for n, b, _t in from_tree}["Starred"] == {None, "Mixin"}
