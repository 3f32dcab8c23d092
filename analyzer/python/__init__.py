"""The Python impact scanner: SQLAlchemy / Pydantic / FastAPI / Celery code and `.sql` files.

`scan_python` finds every place that carries the key (by data flow, not by name) and returns
findings, one outcome per file, and the seeds the TypeScript scanner starts from.
"""

from __future__ import annotations

from typing import Any

from analyzer.config import Config
from analyzer.models import Closure, Progress, RuleMeta, ScanResult, SourceFile

__all__ = ["scan_python", "catalogue"]


def scan_python(files: list[SourceFile], closure: Closure, config: Config,
                progress: Progress | None = None, **options: Any) -> ScanResult:
    """`options`: `trace` and `on_seeds` (see analyzer.python.engine.scan_python)."""
    from analyzer.python.engine import scan_python as _scan

    return _scan(files, closure, config, progress, **options)


def catalogue() -> list[RuleMeta]:
    from analyzer.rules.python import RULES

    return [r.meta() for r in RULES]
