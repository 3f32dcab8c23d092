"""Renderers: one pure `render(report) -> str` per output format, looked up in `RENDERERS`.

Every renderer reads the same `Report`; the figures they share (verdict, per-table cost) come from
`_common` so the PR comment, the HTML page, the JSON and the SARIF never disagree.
"""

from __future__ import annotations

from collections.abc import Callable

from analyzer.models import Report

from . import findings_json, html, markdown, sarif

RENDERERS: dict[str, Callable[[Report], str]] = {
    "json": findings_json.render,
    "md": markdown.render,
    "html": html.render,
    "sarif": sarif.render,
}

__all__ = ["RENDERERS"]
