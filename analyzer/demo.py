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
from analyzer.pipeline import Progress, ScanOptions, _no_progress, run_scan

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


def run_demo(rows: int = 500, progress: Progress = _no_progress) -> Report:
    app = fixture_app()
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
        return run_scan(options, progress)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
