"""Renderers: one pure `render(report) -> str` per output format, looked up in `RENDERERS`.

Every renderer reads the same `Report`; the figures they share (verdict, per-table cost) come from
`_common` so the PR comment, the HTML page, the JSON and the SARIF never disagree. Each renderer's module
is imported when it first renders: a `--format json` run does not load jinja2 and the HTML templates.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from analyzer.models import Report

_MODULES = {"json": "findings_json", "md": "markdown", "html": "html", "sarif": "sarif"}


def _renderer(fmt: str) -> Callable[[Report], str]:
    def render(report: Report) -> str:
        module = import_module(f"{__name__}.{_MODULES[fmt]}")
        return module.render(report)  # type: ignore[no-any-return]

    render.__name__ = render.__qualname__ = f"render_{fmt}"
    return render


RENDERERS: dict[str, Callable[[Report], str]] = {fmt: _renderer(fmt) for fmt in _MODULES}

__all__ = ["RENDERERS"]
