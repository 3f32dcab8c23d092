"""A default (type-checked) `impact scan` read back whole (issue 15's warm re-run), and what the project's
checkers read keeping it from being taken for unchanged.

The run memo compares what `projects.typecheck_inputs` says the checkers would read: which checkers the
lookups find, their executables, versions, configs, lockfiles, installed packages and IMPACT_* variables.
An unchanged re-run writes byte-identical outputs without scanning (`run_scan` is not called); a touched
tsconfig, tsc version file, lockfile or mypy config, or another IMPACT_NODE_MODULES, runs the scan again.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import REPO, require_node_modules, write_tree
from typer.testing import CliRunner

import analyzer.pipeline
from analyzer.cli import app

APP = REPO / "fixtures" / "content_app"


@pytest.fixture()
def content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fixture app's back end and front end (tsconfig.json, package.json, package-lock.json), no tsc."""
    if not (APP / "frontend" / "tsconfig.json").is_file():
        pytest.skip("fixture app not present")
    monkeypatch.delenv("IMPACT_NODE_MODULES", raising=False)
    monkeypatch.delenv("IMPACT_TSC_SERVER", raising=False)
    dest = tmp_path / "app"
    for part in ("backend", "frontend"):
        shutil.copytree(APP / part, dest / part, ignore=shutil.ignore_patterns(".impact-cache", "__pycache__",
                                                                                  "node_modules"))
    return dest


@pytest.fixture()
def scans(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the scan itself ran (a memo hit does not scan)."""
    calls: list[int] = []
    real = analyzer.pipeline.run_scan

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(analyzer.pipeline, "run_scan", counted)
    return calls


def _scan(app_dir: Path, out: Path, *extra: str) -> None:
    result = CliRunner().invoke(app, ["scan", str(app_dir / "backend"), str(app_dir / "frontend"),
                                      "--target", "content_items.id", "--format", "json,md,sarif", "--out", str(out),
                                      "--cache-dir", str(app_dir.parent / "cache"), "--fail-on", "never", "-q", *extra])
    assert result.exit_code == 0, result.output


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _touch(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_a_default_rerun_without_checkers_is_read_back(content: Path, tmp_path: Path, scans: list[int]) -> None:
    """No tsc, no mypy: the memo works as with --no-typecheck, and gives back the "not type-checked" lines
    the real run wrote."""
    _scan(content, tmp_path / "out")
    first = _tree(tmp_path / "out")
    assert b"frontend not type-checked: no node_modules/.bin/tsc" in first["report.md"]  # as a real run says
    assert b"--no-typecheck" not in first["report.md"]
    _scan(content, tmp_path / "again")
    assert scans == [1], "the unchanged re-run was read back"
    assert _tree(tmp_path / "again") == first
    _scan(content, tmp_path / "unchecked", "--no-typecheck")
    assert scans == [1, 1], "a --no-typecheck run is another run"
    assert b"not type-checked" not in (tmp_path / "unchecked" / "report.md").read_bytes()


@pytest.mark.parametrize("change", [
    lambda app, env: (app / "backend" / "mypy.ini").write_text("[mypy]\nstrict = True\n", encoding="utf-8"),
    lambda app, env: _touch(app / "backend" / "pyproject.toml"),
    lambda app, env: env.setenv("IMPACT_NODE_MODULES", str(app / "nowhere")),
    lambda app, env: env.setenv("IMPACT_TSC_SERVER", "0"),
], ids=["mypy-config-added", "pyproject-touched", "node-modules-env", "tsc-server-env"])
def test_what_the_checkers_would_read_is_compared(content: Path, tmp_path: Path, scans: list[int],
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  change: Callable[[Path, pytest.MonkeyPatch], None]) -> None:
    """The Python checker's configs where `find_checker` looks, and the IMPACT_* variables, with or
    without a checker installed."""
    (content / "backend" / "pyproject.toml").write_text("[project]\nname = 'backend'\n", encoding="utf-8")
    _scan(content, tmp_path / "out")
    change(content, monkeypatch)
    _scan(content, tmp_path / "out")
    assert scans == [1, 1], "scanned again"


def test_a_checker_that_could_not_run_is_not_given_back(content: Path, tmp_path: Path, scans: list[int],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A tsc that fails (a timeout, a crash under load) is not the tree's doing: the next run checks again."""
    broken = write_tree(tmp_path / "node_modules", {".bin/tsc": "#!/bin/sh\nexit 3\n"})
    (broken / ".bin" / "tsc").chmod(0o755)
    monkeypatch.setenv("IMPACT_NODE_MODULES", str(broken))
    monkeypatch.setenv("IMPACT_TSC_SERVER", "0")
    _scan(content, tmp_path / "out")
    assert b"not type-checked: tsc could not run" in (tmp_path / "out" / "report.md").read_bytes()
    _scan(content, tmp_path / "out")
    assert scans == [1, 1]


def _own_node_modules(at: Path) -> Path:
    """The test suite's node_modules, linked entry by entry, with a typescript/package.json and a
    .package-lock.json of its own (touched by the test; the shared ones are not)."""
    found = require_node_modules()
    at.mkdir()
    for entry in found.iterdir():
        if entry.name not in ("typescript", ".bin", ".package-lock.json"):
            (at / entry.name).symlink_to(entry.resolve(), target_is_directory=entry.is_dir())
    (at / "typescript").mkdir()
    for entry in (found / "typescript").iterdir():
        if entry.name != "package.json":
            (at / "typescript" / entry.name).symlink_to(entry.resolve(), target_is_directory=entry.is_dir())
    shutil.copyfile(found / "typescript" / "package.json", at / "typescript" / "package.json")
    shutil.copyfile(found / ".package-lock.json", at / ".package-lock.json")
    (at / ".bin").mkdir()
    (at / ".bin" / "tsc").symlink_to("../typescript/bin/tsc")
    return at


def test_a_type_checked_rerun_with_tsc_is_read_back(content: Path, tmp_path: Path, scans: list[int],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """tsc found (IMPACT_NODE_MODULES): the front end is type-checked and the re-run is read back with the
    same outputs; each thing tsc reads, changed, checks again (each run stores what it read, so every
    change is compared with the run before it)."""
    node_modules = _own_node_modules(tmp_path / "node_modules")
    monkeypatch.setenv("IMPACT_NODE_MODULES", str(node_modules))
    _scan(content, tmp_path / "out")
    first = _tree(tmp_path / "out")
    assert b"patches type-checked (frontend)" in first["report.md"]
    _scan(content, tmp_path / "again")
    assert scans == [1]
    assert _tree(tmp_path / "again") == first
    _touch(node_modules / "typescript" / "package.json")
    _scan(content, tmp_path / "again")
    assert scans == [1, 1], "another tsc: checked again"
    assert _tree(tmp_path / "again") == first
    _scan(content, tmp_path / "again")
    assert scans == [1, 1], "unchanged since: read back"


def _project(root: Path) -> Path:
    """A front end with a tsc and a back end with mypy in its virtualenv (stand-ins: nothing runs them)."""
    write_tree(root, {
        "web/tsconfig.json": '{"extends": "../config/base", "include": ["src"]}',
        "config/base.json": '{"extends": "./strict.json"}',
        "config/strict.json": '{"compilerOptions": {"strict": true}}',
        "web/src/page.ts": "export const id: number = 1;\n",
        "web/src/admin/list.ts": "export const ids: number[] = [];\n",
        "web/package.json": '{"name": "web"}',
        "web/package-lock.json": "{}",
        "web/node_modules/.bin/tsc": "#!/usr/bin/env node\n",
        "web/node_modules/typescript/package.json": '{"version": "5.0.0"}',
        "web/node_modules/.package-lock.json": "{}",
        "api/mypy.ini": "[mypy]\nstrict = True\n",
        "api/app/models.py": "id: int = 1\n",
        "api/.venv/pyvenv.cfg": "home = /usr/bin\n",
        "api/.venv/bin/mypy": "#!/bin/sh\n",
        "api/.venv/bin/python": "#!/bin/sh\n",
        "api/.venv/lib/python3.12/site-packages/mypy-1.10.0.dist-info/METADATA": "",
    })
    for exe in ("web/node_modules/.bin/tsc", "api/.venv/bin/mypy", "api/.venv/bin/python"):
        (root / exe).chmod(0o755)
    return root


def _inputs(root: Path) -> object:
    from analyzer.codemods.projects import typecheck_inputs

    return typecheck_inputs({str(root / "api"): [], str(root / "web"): ["src/page.ts", "src/admin/list.ts"]})


@pytest.mark.parametrize("change", [
    lambda root, env: _touch(root / "web/tsconfig.json"),
    lambda root, env: _touch(root / "config/base.json"),  # followed through `extends`
    lambda root, env: _touch(root / "config/strict.json"),  # and its `extends`
    lambda root, env: (root / "web/tsconfig.app.json").write_text("{}", encoding="utf-8"),
    lambda root, env: (root / "web/src/admin/tsconfig.json").write_text("{}", encoding="utf-8"),  # a project apart
    lambda root, env: _touch(root / "web/node_modules/typescript/package.json"),
    lambda root, env: _touch(root / "web/node_modules/.bin/tsc"),
    lambda root, env: _touch(root / "web/node_modules/.package-lock.json"),
    lambda root, env: _touch(root / "web/package-lock.json"),
    lambda root, env: (root / "web/yarn.lock").write_text("", encoding="utf-8"),
    lambda root, env: (root / "pnpm-lock.yaml").write_text("", encoding="utf-8"),  # a workspace's, above
    lambda root, env: _touch(root / "web/package.json"),
    lambda root, env: _touch(root / "api/mypy.ini"),
    lambda root, env: (root / "api/pyproject.toml").write_text("[tool.mypy]\n", encoding="utf-8"),
    lambda root, env: _touch(root / "api/.venv/bin/mypy"),
    lambda root, env: (root / "api/.venv/lib/python3.12/site-packages/types_requests-2.0.dist-info").mkdir(),
    lambda root, env: env.setenv("IMPACT_NODE_MODULES", str(root / "web/node_modules")),
    lambda root, env: env.setenv("IMPACT_TSC_SERVER", "0"),
], ids=["tsconfig", "extended-tsconfig", "extended-twice", "another-tsconfig", "nested-project", "typescript-version", "tsc-executable",
        "node-modules-install", "lockfile", "lockfile-added", "workspace-lockfile", "package-json", "mypy-config",
        "pyproject-added", "mypy-executable", "package-installed", "node-modules-env", "tsc-server-env"])
def test_what_the_checkers_read_changes_the_inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   change: Callable[[Path, pytest.MonkeyPatch], None]) -> None:
    monkeypatch.delenv("IMPACT_NODE_MODULES", raising=False)
    monkeypatch.delenv("IMPACT_TSC_SERVER", raising=False)
    root = _project(tmp_path / "repo")
    (root / ".git").mkdir()
    before = _inputs(root)
    assert before is not None and before == _inputs(root)
    change(root, monkeypatch)
    assert _inputs(root) != before


def test_a_mypy_outside_a_virtualenv_is_not_known(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """mypy on PATH, not in a virtualenv: which packages it sees is not known without running it."""
    root = _project(tmp_path / "repo")
    shutil.rmtree(root / "api" / ".venv")
    bin_dir = tmp_path / "bin"
    write_tree(bin_dir, {"mypy": "#!/bin/sh\n"})
    (bin_dir / "mypy").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    assert _inputs(root) is None
    (root / "api" / "mypy.ini").unlink()  # no config: no mypy runs, whatever PATH has
    assert _inputs(root) is not None
