"""Applying edits: byte-preserving, imports once in the file's style, git-apply-able diffs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from analyzer.codemods.apply import EditConflict, apply_edits, build_patches, ensure_python_imports
from analyzer.models import Edit, Finding, Span


def _edit(text: str, old: str, new: str, imp: str | None = None) -> Edit:
    start = text.index(old)
    return Edit(start, start + len(old), new, requires_import=imp)


def test_crlf_comments_and_quotes_survive() -> None:
    src = "# keep 'this'\r\nx: int = 1  # trailing\r\ny = \"int\"\r\n"
    out = apply_edits(src, [_edit(src, "int =", "uuid.UUID =")])
    assert out == "# keep 'this'\r\nx: uuid.UUID = 1  # trailing\r\ny = \"int\"\r\n"


def test_overlapping_edits_are_refused_identical_ones_merged() -> None:
    src = "abcdef"
    assert apply_edits(src, [Edit(1, 3, "X"), Edit(1, 3, "X")]) == "aXdef"
    with pytest.raises(EditConflict):
        apply_edits(src, [Edit(1, 3, "X"), Edit(2, 4, "Y")])


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ('"""Doc."""\n\nimport os\n\nx = 1\n', '"""Doc."""\n\nimport os\nimport uuid\n\nx = 1\n'),
        ("from __future__ import annotations\r\n\r\nx = 1\r\n",
         "from __future__ import annotations\r\nimport uuid\r\n\r\nx = 1\r\n"),
        ("x = 1\n", "import uuid\n\nx = 1\n"),
        ("import os, uuid\n\nx = 1\n", "import os, uuid\n\nx = 1\n"),
        ("from typing import (\n    Any,\n)\n\nx = 1\n", "from typing import (\n    Any,\n)\nimport uuid\n\nx = 1\n"),
    ],
)
def test_import_added_once_after_the_leading_imports(before: str, after: str) -> None:
    assert ensure_python_imports(before, ["import uuid", "import uuid"]) == after


def test_from_import_detection() -> None:
    src = "from sqlalchemy import (\n    Integer,\n    Uuid,\n)\n"
    assert ensure_python_imports(src, ["from sqlalchemy import Uuid"]) == src


def test_patch_applies_with_git_and_twice_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    src = "import os\r\n\r\n\r\ndef get(doc_id: int) -> int:\r\n    return doc_id"  # CRLF, no final newline
    (repo / "svc.py").write_bytes(src.encode())
    finding = Finding(
        rule="py.test", code="PY000", layer="service", language="python", kind="must_change",
        severity="error", path="svc.py", span=Span(4, 1, 4, 10), symbol="get.doc_id", message="m",
        edits=(_edit(src, "doc_id: int", "doc_id: uuid.UUID", "import uuid"),
               _edit(src, "-> int", "-> uuid.UUID", "import uuid")),
    )
    patches = build_patches([finding], {"svc.py": str(repo / "svc.py")})
    patch = tmp_path / "all.patch"
    patch.write_text(patches["svc.py"], newline="")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "apply", "--check", str(patch)], cwd=repo, check=True)
    subprocess.run(["git", "apply", str(patch)], cwd=repo, check=True)
    result = (repo / "svc.py").read_bytes().decode()
    assert result == ("import os\r\nimport uuid\r\n\r\n\r\ndef get(doc_id: uuid.UUID) -> uuid.UUID:\r\n"
                      "    return doc_id")
    again = subprocess.run(["git", "apply", "--check", str(patch)], cwd=repo, capture_output=True)
    assert again.returncode != 0


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("from sqlalchemy import Integer, ForeignKey\n\nx = 1\n",
         "from sqlalchemy import Integer, ForeignKey, Uuid\n\nx = 1\n"),
        ("from sqlalchemy import Integer  # noqa: F401\r\nx = 1\r\n",
         "from sqlalchemy import Integer, Uuid  # noqa: F401\r\nx = 1\r\n"),
        ("from sqlalchemy import (\n    Integer,\n    String,\n)\nx = 1\n",
         "from sqlalchemy import (\n    Integer,\n    String,\n    Uuid,\n)\nx = 1\n"),
        # another module, or a style we do not rewrite: a new line of its own
        ("from sqlalchemy.orm import Mapped\nx = 1\n", "from sqlalchemy.orm import Mapped\nfrom sqlalchemy import Uuid\nx = 1\n"),
        ("from sqlalchemy import Integer, \\\n    String\nx = 1\n",
         "from sqlalchemy import Integer, \\\n    String\nfrom sqlalchemy import Uuid\nx = 1\n"),
    ],
)
def test_from_import_joins_the_files_own_import(before: str, after: str) -> None:
    assert ensure_python_imports(before, ["from sqlalchemy import Uuid"]) == after


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("\ufeffx = 1\n", "\ufeffimport uuid\n\nx = 1\n"),
        ('\ufeff"""Doc."""\r\nimport os\r\n\r\nx = 1\r\n', '\ufeff"""Doc."""\r\nimport os\r\nimport uuid\r\n\r\nx = 1\r\n'),
        ("\ufeffimport uuid\nx = 1\n", "\ufeffimport uuid\nx = 1\n"),  # already there: found despite the BOM
        ("\ufefffrom sqlalchemy import Integer\n", "\ufefffrom sqlalchemy import Integer, Uuid\nimport uuid\n"),
    ],
)
def test_a_bom_stays_first_and_imports_go_after_it(before: str, after: str) -> None:
    imports = ["import uuid", "from sqlalchemy import Uuid"] if "sqlalchemy" in before else ["import uuid"]
    assert ensure_python_imports(before, imports) == after
