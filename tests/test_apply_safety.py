"""`impact apply` under attack and under interruption: it writes only inside the scanned roots, never
through a planted symlink, and an apply killed half way is finished (`--resume`) or undone (`--rollback`)
byte for byte."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import run_impact

from analyzer.codemods.apply import build_patches, unified_diff
from analyzer.codemods.patching import ApplyError, confine, parse_patch, write_index
from analyzer.models import Edit, Finding, Span
from analyzer.pipeline import write_patches

MODELS = "from sqlalchemy import Integer\r\n\r\nclass Doc:\r\n    content_id: int = 0  # keep\r\n"
PATCHED = MODELS.replace("content_id: int", "content_id: str")


def _finding(path: str, text: str, old: str = "content_id: int", new: str = "content_id: str") -> Finding:
    start = text.index(old)
    return Finding(
        rule="t.rule", code="T001", layer="pydantic", language="typescript",  # no import to add
        kind="must_change", severity="error", path=path, span=Span(1, 1, 1, 2), symbol="x", message="m",
        edits=(Edit(start, start + len(old), new),),
    )


def _scan(out: Path, roots: dict[str, Path], files: dict[str, Path]) -> None:
    """What `impact scan` writes: per-file patches, all.patch and the index."""
    findings = [_finding(rel, path.read_bytes().decode()) for rel, path in files.items()]
    patches = build_patches(findings, {rel: str(p) for rel, p in files.items()})
    write_patches(patches, out / "patches")
    write_index(out / "patches", {name: str(path) for name, path in roots.items()})


def _tree(tmp_path: Path) -> tuple[Path, Path]:
    """backend/models.py under one of two roots, and its scan output."""
    tree = tmp_path / "tree"
    (tree / "backend").mkdir(parents=True)
    (tree / "frontend").mkdir()
    (tree / "backend" / "models.py").write_bytes(MODELS.encode())
    out = tmp_path / "out"
    _scan(out, {"backend": tree / "backend", "frontend": tree / "frontend"},
          {"backend/models.py": tree / "backend" / "models.py"})
    return tree, out


def _snapshot(*dirs: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for d in dirs for p in sorted(d.rglob("*")) if p.is_file() and not p.is_symlink()}


def _refused(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    for word in words:
        assert word in proc.stderr, proc.stderr


def _retarget(out: Path, old: str, new: str, reindex: dict[str, Path] | None = None) -> None:
    """Edit all.patch by hand; with `reindex`, also rewrite the index so its digest matches again."""
    all_patch = out / "patches" / "all.patch"
    text = all_patch.read_bytes().decode()
    all_patch.write_bytes(text.replace(f"a/{old}", f"a/{new}").replace(f"b/{old}", f"b/{new}").encode())
    if reindex is not None:
        write_index(out / "patches", {k: str(v) for k, v in reindex.items()})


@pytest.mark.parametrize("reindex", [False, True], ids=["edited", "edited-and-reindexed"])
def test_dotdot_in_a_patch_path_writes_nothing_outside(tmp_path: Path, reindex: bool) -> None:
    tree, out = _tree(tmp_path)
    victim = tmp_path / "victim.py"
    victim.write_bytes(MODELS.encode())  # would match the patch exactly
    roots = {"backend": tree / "backend", "frontend": tree / "frontend"}
    _retarget(out, "backend/models.py", "backend/../../victim.py", roots if reindex else None)
    before = _snapshot(tmp_path / "tree", tmp_path)
    _refused(run_impact("apply", "--out", str(out), "--force", cwd=tmp_path))
    assert victim.read_bytes() == MODELS.encode()
    assert _snapshot(tmp_path / "tree", tmp_path) == before


@pytest.mark.parametrize("reindex", [False, True], ids=["edited", "edited-and-reindexed"])
def test_an_absolute_patch_path_writes_nothing(tmp_path: Path, reindex: bool) -> None:
    root = tmp_path / "app"
    root.mkdir()
    (root / "models.py").write_bytes(MODELS.encode())
    out = tmp_path / "out"
    _scan(out, {"": root}, {"models.py": root / "models.py"})
    victim = tmp_path / "victim.py"
    victim.write_bytes(MODELS.encode())
    _retarget(out, "models.py", "/" + str(victim).lstrip("/"), {"": root} if reindex else None)
    assert f"+++ b/{victim}" in (out / "patches" / "all.patch").read_text()  # `+++ b//tmp/.../victim.py`
    _refused(run_impact("apply", "--out", str(out), "--force", cwd=tmp_path))
    assert victim.read_bytes() == MODELS.encode()
    assert (root / "models.py").read_bytes() == MODELS.encode()


def test_a_root_redirected_in_the_index_is_refused(tmp_path: Path) -> None:
    tree, out = _tree(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "models.py").write_bytes(MODELS.encode())
    index_file = out / "patches" / "index.json"
    index = json.loads(index_file.read_text())
    index["roots"]["backend"] = str(elsewhere)
    index_file.write_text(json.dumps(index))
    _refused(run_impact("apply", "--out", str(out), "--force", cwd=tmp_path), "backend")
    assert (elsewhere / "models.py").read_bytes() == MODELS.encode()
    # a root that is not a directory any more
    index["roots"]["backend"] = str(elsewhere / "models.py")
    index_file.write_text(json.dumps(index))
    _refused(run_impact("apply", "--out", str(out), "--force", cwd=tmp_path), "not a directory")
    assert (elsewhere / "models.py").read_bytes() == MODELS.encode()
    # the root moved away and something else took its place: same path, another directory
    shutil.move(tree / "backend", tmp_path / "moved")
    (tree / "backend").mkdir()
    (tree / "backend" / "models.py").write_bytes(MODELS.encode())
    write_index_original = json.loads(index_file.read_text())
    write_index_original["roots"]["backend"] = str(tree / "backend")
    index_file.write_text(json.dumps(write_index_original))
    _refused(run_impact("apply", "--out", str(out), "--force", cwd=tmp_path), "since the scan")
    assert (tree / "backend" / "models.py").read_bytes() == MODELS.encode()


def test_a_path_not_among_the_scans_patches_is_refused(tmp_path: Path) -> None:
    tree, out = _tree(tmp_path)
    other = tree / "backend" / "other.py"
    other.write_bytes(MODELS.encode())
    _retarget(out, "backend/models.py", "backend/other.py", {"backend": tree / "backend", "frontend": tree / "frontend"})
    _refused(run_impact("apply", "--out", str(out), "--force", cwd=tmp_path), "backend/other.py")
    assert other.read_bytes() == MODELS.encode()


def test_a_planted_temporary_symlink_is_not_followed(tmp_path: Path) -> None:
    tree, out = _tree(tmp_path)
    elsewhere = tmp_path / "elsewhere.py"
    elsewhere.write_bytes(b"precious\n")
    for name in (".models.py.impact-tmp", "models.py.impact-tmp"):
        (tree / "backend" / name).symlink_to(elsewhere)
    proc = run_impact("apply", "--out", str(out), "--force", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert elsewhere.read_bytes() == b"precious\n"
    models = tree / "backend" / "models.py"
    assert not models.is_symlink() and models.read_bytes() == PATCHED.encode()
    leftovers = sorted(p.name for p in (tree / "backend").iterdir())
    assert leftovers == [".models.py.impact-tmp", "models.py", "models.py.impact-tmp"], leftovers


def test_a_target_symlink_leaving_the_root_is_refused(tmp_path: Path) -> None:
    tree, out = _tree(tmp_path)
    outside = tmp_path / "outside.py"
    outside.write_bytes(MODELS.encode())
    models = tree / "backend" / "models.py"
    models.unlink()
    models.symlink_to(outside)
    _refused(run_impact("apply", "--out", str(out), "--force", cwd=tmp_path), "outside")
    assert outside.read_bytes() == MODELS.encode() and models.is_symlink()


def test_a_target_symlink_inside_the_root_patches_the_real_file(tmp_path: Path) -> None:
    root = tmp_path / "app"
    (root / "real").mkdir(parents=True)
    real = root / "real" / "models.py"
    real.write_bytes(MODELS.encode())
    real.chmod(0o640)
    link = root / "models.py"
    link.symlink_to(Path("real") / "models.py")
    out = tmp_path / "out"
    _scan(out, {"": root}, {"models.py": link})
    proc = run_impact("apply", "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert link.is_symlink() and os.readlink(link) == "real/models.py", "the link stays a link"
    assert real.read_bytes() == PATCHED.encode()
    assert real.stat().st_mode & 0o777 == 0o640


def test_confine_refuses_every_escape(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "a.py").write_text("x\n")
    (tmp_path / "secret.py").write_text("s\n")
    (root / "up").symlink_to(tmp_path)  # a directory link leaving the root
    (root / "same").symlink_to("pkg")  # a directory link staying inside
    os.mkfifo(root / "pkg" / "fifo")
    real = os.path.realpath(root)
    assert confine(real, "pkg/a.py").path == Path(real, "pkg", "a.py")
    assert confine(real, "same/a.py").path == Path(real, "pkg", "a.py")
    for bad, why in [("../secret.py", ".."), ("pkg/../../secret.py", ".."), ("/etc/passwd", "absolute"),
                     ("pkg/a.py\0", "NUL"), ("up/secret.py", "outside"), ("pkg//a.py", "empty"),
                     ("pkg/fifo", "regular"), ("pkg/missing.py", "not found"), ("pkg", "regular")]:
        with pytest.raises(ApplyError, match=why):
            confine(real, bad)


# ---- transactional apply: a SIGKILL half way, then --resume or --rollback --------------------------

@pytest.fixture
def fast_tmp(tmp_path: Path) -> Iterator[Path]:
    """A directory on tmpfs when there is one. Real files all the same; but on a disk shared with busy
    neighbours every file created, renamed or removed costs milliseconds, and these tests make thousands."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    path = Path(tempfile.mkdtemp(prefix="impact-apply-", dir=shm))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _big_tree(tmp_path: Path, n: int) -> tuple[Path, Path, dict[Path, bytes], dict[Path, bytes]]:
    root = tmp_path / "big"
    files: dict[str, Path] = {}
    for i in range(n):
        d = root / f"pkg{i % 40:02d}"
        d.mkdir(parents=True, exist_ok=True)
        path = d / f"m{i:04d}.py"
        path.write_bytes(f"# file {i}\r\ncontent_id: int = {i}\r\n".encode())
        if i % 7 == 0:
            path.chmod(0o755)
        files[f"pkg{i % 40:02d}/m{i:04d}.py"] = path
    out = tmp_path / "out"
    _scan(out, {"": root}, files)
    original = {p: p.read_bytes() for p in files.values()}
    patched = {p: b.replace(b"content_id: int", b"content_id: str") for p, b in original.items()}
    return root, out, original, patched


def _state(root: Path) -> dict[Path, tuple[bytes, int]]:
    return {p: (p.read_bytes(), p.stat().st_mode & 0o7777) for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("finish", ["--resume", "--rollback"])
def test_an_apply_killed_half_way_is_resumed_or_rolled_back(fast_tmp: Path, finish: str) -> None:
    root, out, original, patched = _big_tree(fast_tmp, 2000)
    modes = {p: p.stat().st_mode & 0o7777 for p in original}
    killed = run_impact("apply", "--out", str(out), cwd=fast_tmp, env={"IMPACT_TEST_APPLY_KILL_AFTER": "777"})
    assert killed.returncode == -9, (killed.returncode, killed.stderr)
    now = {p: p.read_bytes() for p in original}
    assert sum(now[p] == patched[p] for p in original) == 777, "killed after exactly 777 renames"
    assert all(now[p] in (original[p], patched[p]) for p in original)

    again = run_impact("apply", "--out", str(out), cwd=fast_tmp)
    _refused(again, "--resume", "--rollback", "interrupted")
    assert {p: p.read_bytes() for p in original} == now, "a plain re-run touches nothing"

    done = run_impact("apply", "--out", str(out), finish, cwd=fast_tmp)
    assert done.returncode == 0, done.stderr
    want = patched if finish == "--resume" else original
    assert _state(root) == {p: (want[p], modes[p]) for p in original}, "byte for byte, modes kept, no temporaries"
    assert not any(p.name.startswith(".apply") for p in (out / "patches").iterdir()), "journal and backups gone"
    nothing = run_impact("apply", "--out", str(out), "--resume", cwd=fast_tmp)
    _refused(nothing, "no interrupted apply")


def test_sigint_during_apply_rolls_back_and_exits_130(fast_tmp: Path) -> None:
    root, out, original, _ = _big_tree(fast_tmp, 300)
    before = _state(root)
    proc = run_impact("apply", "--out", str(out), cwd=fast_tmp, sigint=True,
                      env={"IMPACT_TEST_APPLY_KILL_AFTER": "100", "IMPACT_TEST_APPLY_SIGNAL": "INT"})
    assert proc.returncode == 130, (proc.returncode, proc.stderr)
    assert "interrupted" in proc.stderr and "Traceback" not in proc.stderr
    assert _state(root) == before, "rolled back byte for byte"
    assert not any(p.name.startswith(".apply") for p in (out / "patches").iterdir())


def test_a_file_changed_after_the_kill_is_never_overwritten(fast_tmp: Path) -> None:
    root, out, original, patched = _big_tree(fast_tmp, 50)
    killed = run_impact("apply", "--out", str(out), cwd=fast_tmp, env={"IMPACT_TEST_APPLY_KILL_AFTER": "10"})
    assert killed.returncode == -9
    first = next(p for p in original if p.read_bytes() == patched[p])
    first.write_bytes(b"the user's new work\n")
    proc = run_impact("apply", "--out", str(out), "--rollback", cwd=fast_tmp)
    _refused(proc, first.name)
    assert first.read_bytes() == b"the user's new work\n"


def test_an_edited_journal_cannot_aim_resume_elsewhere(fast_tmp: Path) -> None:
    root, out, original, patched = _big_tree(fast_tmp, 20)
    assert run_impact("apply", "--out", str(out), cwd=fast_tmp,
                      env={"IMPACT_TEST_APPLY_KILL_AFTER": "5"}).returncode == -9
    journal_file = out / "patches" / ".apply-journal.json"
    journal = json.loads(journal_file.read_text())
    outside = fast_tmp / "outside.py"
    outside.write_bytes(b"mine\n")
    for key, value in [("tmp", "../../outside.py"), ("parts", ["..", "outside.py"])]:
        edited = json.loads(json.dumps(journal))
        edited["entries"][-1][key] = value
        journal_file.write_text(json.dumps(edited))
        _refused(run_impact("apply", "--out", str(out), "--resume", cwd=fast_tmp))
        assert outside.read_bytes() == b"mine\n"
    journal_file.write_text(json.dumps(journal))
    assert run_impact("apply", "--out", str(out), "--rollback", cwd=fast_tmp).returncode == 0
    assert {p: p.read_bytes() for p in original} == original


def test_an_index_from_an_older_impact_asks_for_a_new_scan(tmp_path: Path) -> None:
    tree, out = _tree(tmp_path)
    (out / "patches" / "index.json").write_text(json.dumps({"version": 1, "roots": {"backend": str(tree / "backend")}}))
    _refused(run_impact("apply", "--out", str(out), "--check", cwd=tmp_path), "re-run `impact scan`")


# ---- names git quotes, and a BOM --------------------------------------------------------------------

@pytest.mark.parametrize("name", ["x\ty.py", "new\nline.py", 'quote"back\\slash.py', "caf\u00e9 \u00fc.py"])
def test_names_git_quotes_survive_git_apply_and_impact_apply(tmp_path: Path, name: str) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / name).write_bytes(MODELS.encode())
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    diff = unified_diff(name, MODELS, PATCHED)
    patch = tmp_path / "one.patch"
    patch.write_bytes(diff.encode())
    proc = subprocess.run(["git", "apply", "--check", "-v", str(patch)], cwd=repo, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    (parsed,) = parse_patch(diff)
    assert parsed.path == name
    out = tmp_path / "out"
    _scan(out, {"": repo}, {name: repo / name})
    applied = run_impact("apply", "--out", str(out), "--force", cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert (repo / name).read_bytes() == PATCHED.encode()


def test_git_quotes_the_same_way(tmp_path: Path) -> None:
    """Our quoted header is the one git itself writes for such a name."""
    repo = tmp_path / "repo"
    repo.mkdir()
    name = "a\tb\"c\\d.py"
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / name).write_bytes(b"x = 1\n")
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    (repo / name).write_bytes(b"x = 2\n")
    theirs = subprocess.run(["git", "diff"], cwd=repo, capture_output=True, text=True, check=True).stdout
    ours = unified_diff(name, "x = 1\n", "x = 2\n")
    assert ours.splitlines()[0] == theirs.splitlines()[0]
    assert [ln for ln in ours.splitlines() if ln.startswith(("---", "+++"))] == \
        [ln for ln in theirs.splitlines() if ln.startswith(("---", "+++"))]


def test_sha_of_all_patch_is_in_the_index(tmp_path: Path) -> None:
    _, out = _tree(tmp_path)
    index = json.loads((out / "patches" / "index.json").read_text())
    assert index["all_patch_sha256"] == hashlib.sha256((out / "patches" / "all.patch").read_bytes()).hexdigest()
