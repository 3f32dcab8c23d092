"""`impact demo`: the content-items scenario end to end, on SQLite, with nothing to install.

The bundled fixture app (`fixtures/content_app`, shipped as `analyzer.fixtures`) holds a FastAPI +
SQLAlchemy + Pydantic + Celery backend, a React + TypeScript front end, the DDL and a seeder.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from importlib import resources
from pathlib import Path
from types import ModuleType

from analyzer.config import load
from analyzer.models import Report
from analyzer.pipeline import Progress, ScanOptions, UsageError, _no_progress, run_plan, run_scan
from analyzer.plan.strategies import STRATEGIES

DEMO_TARGETS = ("content_items.id", "content_items_auto.id")


def fixture_app() -> Path:
    """Where the bundled fixture app lives (a real directory, in a wheel as in a checkout)."""
    return Path(str(resources.files("analyzer.fixtures"))) / "content_app"


def load_seeder(app: Path | None = None) -> ModuleType:
    path = (app or fixture_app()) / "db" / "seed.py"
    spec = importlib.util.spec_from_file_location("impact_fixture_seed", path)
    if spec is None or spec.loader is None:  # pragma: no cover - packaging error
        raise RuntimeError(f"fixture seeder missing: {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_demo_database(directory: Path, rows: int = 500) -> str:
    """Materialise the fixture database as a SQLite file; returns its URL."""
    url = f"sqlite:///{directory / 'content_app.sqlite'}"
    load_seeder().build_database(url, rows=rows)
    return url


def copy_app(dest: Path) -> Path:
    """A private copy of the fixture app, so `impact apply` after the demo patches the copy, never the
    bundled original."""
    marker = dest / ".impact-demo-copy"
    if dest.exists():
        if not marker.is_file():  # never delete a directory the demo did not make
            raise UsageError(f"{dest} exists and is not a copy made by `impact demo`; choose another --out")
        shutil.rmtree(dest)
    shutil.copytree(fixture_app(), dest, ignore=shutil.ignore_patterns("node_modules", "__pycache__", "*.pyc"))
    marker.write_text("made by `impact demo`; deleted and re-made by the next demo run\n", encoding="utf-8")
    return dest


def run_demo(work_dir: Path, rows: int = 500, progress: Progress = _no_progress) -> Report:
    """Scan a copy of the fixture app made in `work_dir/demo-app` against a fresh SQLite database."""
    app = copy_app(work_dir / "demo-app").resolve()
    tmp = Path(tempfile.mkdtemp(prefix="impact-demo-"))
    try:
        progress(0, "building the demo database")
        url = build_demo_database(tmp, rows)
        options = ScanOptions(
            roots=(str(app / "backend"), str(app / "frontend")),
            targets=DEMO_TARGETS,
            to="uuid",
            db_url=url,
            config=load(app / "pyproject.toml"),
        )
        report = run_scan(options, progress)
        return run_plan(report, options, STRATEGIES, progress=progress)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
