"""`impact apply`: patches land byte for byte, refuse cleanly, and never half-apply."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import run_impact

from analyzer.codemods.apply import build_patches
from analyzer.codemods.patching import ApplyError, apply_file_patch, parse_patch, write_index
from analyzer.models import Edit, Finding, Span
from analyzer.pipeline import write_patches

MODELS = (
    '"""Models."""\r\n'
    "from sqlalchemy import Integer  # keep me\r\n"
    "\r\n"
    "class Doc:\r\n"
    "    content_id: int = 0  # trailing comment, 'quotes'\r\n"
    "    user_id: int = 0\r\n"
)
TYPES = "export interface Item {\n  contentId: number;\n  page: number;\n}"  # no final newline


def _finding(path: str, text: str, old: str, new: str, language: str = "python") -> Finding:
    start = text.index(old)
    return Finding(
        rule="t.rule", code="T001", layer="pydantic", language=language,  # type: ignore[arg-type]
        kind="must_change", severity="error", path=path, span=Span(1, 1, 1, 2), symbol="x", message="m",
        edits=(Edit(start, start + len(old), new, requires_import="import uuid" if language == "python" else None),),
    )


def _scan_output(tmp_path: Path) -> tuple[Path, Path]:
    """A git work tree with two roots, and an out dir with their patches as `impact scan` writes them."""
    tree = tmp_path / "tree"
    (tree / "backend").mkdir(parents=True)
    (tree / "frontend").mkdir()
    (tree / "backend" / "models.py").write_bytes(MODELS.encode())
    (tree / "frontend" / "types.ts").write_bytes(TYPES.encode())
    git = shutil.which("git")
    assert git, "git is needed for the dirty-file check"
    for args in (["init", "-q"], ["add", "."], ["-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x"]):
        subprocess.run([git, *args], cwd=tree, check=True)
    findings = [
        _finding("backend/models.py", MODELS, "content_id: int", "content_id: uuid.UUID"),
        _finding("frontend/types.ts", TYPES, "contentId: number", "contentId: string", "typescript"),
    ]
    abs_paths = {"backend/models.py": str(tree / "backend/models.py"), "frontend/types.ts": str(tree / "frontend/types.ts")}
    out = tmp_path / "out"
    write_patches(build_patches(findings, abs_paths), out / "patches")
    write_index(out / "patches", {"backend": str(tree / "backend"), "frontend": str(tree / "frontend")})
    return tree, out


def test_apply_changes_only_the_edited_spans(tmp_path: Path) -> None:
    tree, out = _scan_output(tmp_path)
    proc = run_impact("apply", "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "patched 2 files" in proc.stdout
    models = (tree / "backend/models.py").read_bytes().decode()
    assert models == MODELS.replace("content_id: int", "content_id: uuid.UUID").replace(
        "from sqlalchemy import Integer  # keep me\r\n", "from sqlalchemy import Integer  # keep me\r\nimport uuid\r\n")
    assert (tree / "frontend/types.ts").read_bytes().decode() == TYPES.replace("contentId: number", "contentId: string")


def test_git_apply_check_accepts_all_patch(tmp_path: Path) -> None:
    tree, out = _scan_output(tmp_path)
    proc = subprocess.run(["git", "apply", "--check", str(out / "patches" / "all.patch")], cwd=tree,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_applying_twice_is_refused_without_a_change(tmp_path: Path) -> None:
    tree, out = _scan_output(tmp_path)
    assert run_impact("apply", "--out", str(out), "--force", cwd=tmp_path).returncode == 0
    before = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file() and ".git" not in p.parts}
    proc = run_impact("apply", "--out", str(out), "--force", cwd=tmp_path)
    assert proc.returncode == 2
    assert "already patched" in proc.stderr and "Traceback" not in proc.stderr
    assert {p: p.read_bytes() for p in before} == before


def test_a_dirty_file_is_refused_unless_forced(tmp_path: Path) -> None:
    tree, out = _scan_output(tmp_path)
    ts = tree / "frontend/types.ts"
    ts.chmod(0o755)  # an uncommitted change git sees (mode), that leaves the patched lines alone
    proc = run_impact("apply", "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 2 and "uncommitted changes" in proc.stderr
    assert (tree / "backend/models.py").read_bytes() == MODELS.encode(), "all or nothing: no file was touched"
    assert run_impact("apply", "--out", str(out), "--force", cwd=tmp_path).returncode == 0
    assert ts.read_bytes().decode() == TYPES.replace("contentId: number", "contentId: string")
    assert ts.stat().st_mode & 0o777 == 0o755, "the file keeps its mode"


def test_check_mode_changes_nothing(tmp_path: Path) -> None:
    tree, out = _scan_output(tmp_path)
    proc = run_impact("apply", "--out", str(out), "--check", cwd=tmp_path)
    assert proc.returncode == 0 and "would patch 2 files" in proc.stdout
    assert (tree / "backend/models.py").read_bytes() == MODELS.encode()


def test_missing_patches_is_a_usage_error(tmp_path: Path) -> None:
    proc = run_impact("apply", "--out", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert proc.returncode == 2 and "no patches" in proc.stderr


def test_parse_and_apply_handle_a_missing_final_newline() -> None:
    finding = _finding("types.ts", TYPES, "page: number;\n}", "page: number;\n  extra: string;\n}", "typescript")
    diff = build_patches([finding], {"types.ts": _write_tmp(TYPES)})["types.ts"]
    (patch,) = parse_patch(diff)
    assert apply_file_patch(TYPES, patch) == TYPES.replace("page: number;\n}", "page: number;\n  extra: string;\n}")
    with pytest.raises(ApplyError):
        apply_file_patch(TYPES.replace("page", "pageSize"), patch)


def _write_tmp(text: str) -> str:
    import tempfile

    handle = tempfile.NamedTemporaryFile("wb", suffix=".ts", delete=False)
    handle.write(text.encode())
    handle.close()
    return handle.name
