"""Running the installed `impact` command the way a user does: a subprocess, outside the checkout."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from analyzer.models import Finding, SourceFile

REPO = Path(__file__).resolve().parents[1]


def fixture_backend(tmp_path: Path) -> Path:
    """A copy of the fixture app's backend (no cache, no bytecode), in `tmp_path`; the test is skipped without it."""
    import shutil

    import pytest

    app = REPO / "fixtures" / "content_app"
    if not (app / "backend").is_dir():
        pytest.skip("fixture app not present")
    dest = tmp_path / "app"
    shutil.copytree(app / "backend", dest / "backend", ignore=shutil.ignore_patterns(".impact-cache", "__pycache__"))
    return dest / "backend"


def impact_cmd() -> list[str]:
    script = Path(sys.executable).with_name("impact")
    return [str(script)] if script.exists() else [sys.executable, "-m", "analyzer"]


def with_sigint(cmd: list[str]) -> list[str]:
    """`cmd` run with Ctrl-C's default disposition, as from a terminal, whatever started the suite: a shell's
    background job ignores SIGINT, an ignored signal stays ignored across exec, and Python then installs no
    KeyboardInterrupt (the Ctrl-C tests saw the scan run to its end)."""
    if os.name != "posix":
        return cmd
    reset = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])"
    return [sys.executable, "-c", reset, *cmd]


def run_impact(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300, sigint: bool = False
               ) -> subprocess.CompletedProcess[str]:
    """`sigint`: with Ctrl-C's default disposition (`with_sigint`)."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    full_env.pop("IMPACT_DATABASE_URL", None) if env is None or "IMPACT_DATABASE_URL" not in env else None
    cmd = [*impact_cmd(), *args]
    return subprocess.run(with_sigint(cmd) if sigint else cmd, cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """A small project on disk: relative path -> text (UTF-8), parent folders made; returns `root`."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def python_sources(root: Path, files: dict[str, str]) -> list[SourceFile]:
    """`write_tree`, and each file as the scan's `SourceFile` (root ".", language python): for `scan_python`."""
    write_tree(root, files)
    return [SourceFile(".", str(root / rel), rel, "python") for rel in files]


def scan_with_examples(root: Path, files: dict[str, str]) -> list[Finding]:
    """`scan_python` on the rule examples' schema: their models (app/models.py, unless `files` brings its own) and
    `files`, with their closure (content_items.id to UUID)."""
    from analyzer.rules.python._examples import CLOSURE, MODELS

    from analyzer.config import Config
    from analyzer.python import scan_python

    return list(scan_python(python_sources(root, {"app/models.py": MODELS, **files}), CLOSURE, Config()).findings)


def findings_at(findings: list[Finding], path: str) -> set[tuple[str, int]]:
    """(code, line) of the findings in `path`."""
    return {(f.code, f.span.line) for f in findings if f.path == path}


def node_modules() -> Path | None:
    """tsc and the fixture front end's type packages: IMPACT_NODE_MODULES, else `.cache/tsc` (see .ci/run)."""
    env = os.environ.get("IMPACT_NODE_MODULES")
    path = Path(env) if env else REPO / ".cache" / "tsc" / "node_modules"
    return path if (path / ".bin" / "tsc").exists() else None


def require_node_modules() -> Path:
    """The node_modules with tsc, or skip the test (a failure when IMPACT_REQUIRE_TSC=1, as in CI)."""
    import pytest

    found = node_modules()
    if found is None:
        message = "tsc not installed: npm ci the fixture's package-lock.json into .cache/tsc (see .ci/run)"
        if os.environ.get("IMPACT_REQUIRE_TSC") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return found


def seed_fixture_db(app: Path, url: str, rows: int = 200) -> None:
    """Build a fixture app's database at `url` with its own `db/seed.py` (`build_database(url, rows, seed=0)`)."""
    spec = importlib.util.spec_from_file_location(f"{app.name}_seed", app / "db" / "seed.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build_database(url, rows=rows, seed=0)
