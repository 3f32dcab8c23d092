"""Every renderer against its golden output, made from the one shared fixture report.

Regenerate after an intended change with `IMPACT_UPDATE_GOLDEN=1 pytest tests/test_reports_golden.py`
and review the diff like code.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from analyzer.reports import RENDERERS
from report_factory import build_report

GOLDEN = Path(__file__).parent / "golden"
EXTENSIONS = {"json": "json", "md": "md", "html": "html", "sarif": "sarif"}


def test_renderers_cover_every_format() -> None:
    assert set(RENDERERS) == {"json", "md", "html", "sarif"}


@pytest.mark.parametrize("fmt", sorted(EXTENSIONS))
def test_renderer_matches_golden(fmt: str) -> None:
    out = RENDERERS[fmt](build_report())
    path = GOLDEN / f"report.{EXTENSIONS[fmt]}"
    if os.environ.get("IMPACT_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(out, encoding="utf-8", newline="")
    assert path.is_file(), f"{path} missing: run with IMPACT_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert out == expected, f"{fmt} output differs from {path}; IMPACT_UPDATE_GOLDEN=1 regenerates it"


@pytest.mark.parametrize("fmt", sorted(EXTENSIONS))
def test_renderer_is_deterministic_and_pure(fmt: str) -> None:
    report = build_report()
    extras_before = repr(sorted(report.extras))
    first = RENDERERS[fmt](report)
    assert RENDERERS[fmt](build_report()) == first
    assert RENDERERS[fmt](report) == first
    assert repr(sorted(report.extras)) == extras_before


@pytest.mark.parametrize("fmt", sorted(EXTENSIONS))
def test_renderer_copes_with_an_empty_report(fmt: str) -> None:
    """No findings, no references, no extras: still a valid document, no crash."""
    report = build_report(findings=(), outcomes=(), extras={})
    out = RENDERERS[fmt](report)
    assert out.strip()


@pytest.mark.parametrize("fmt", sorted(EXTENSIONS))
def test_a_password_in_the_schema_source_never_reaches_a_report(fmt: str) -> None:
    url = "postgresql://app:hunter2@db.internal:5432/content"
    out = RENDERERS[fmt](build_report(schema_source=url))
    assert "hunter2" not in out
