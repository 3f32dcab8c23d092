"""The wheel ships rules/ and reports/ as analyzer.rules / analyzer.reports, never as top-level packages."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

import analyzer


def test_rules_and_reports_live_inside_the_analyzer_package() -> None:
    for name in ("analyzer.rules", "analyzer.reports", "analyzer.fixtures"):
        spec = importlib.util.find_spec(name)
        assert spec is not None, name
    assert importlib.util.find_spec("rules") is None
    assert importlib.util.find_spec("reports") is None


def test_installed_package_carries_templates_schema_and_fixture() -> None:
    from importlib import resources

    reports = resources.files("analyzer.reports")
    assert (reports / "findings.schema.json").is_file()
    assert any(p.name.endswith((".j2", ".html", ".jinja")) for p in (reports / "templates").iterdir())
    fixture = resources.files("analyzer.fixtures") / "content_app"
    assert (fixture / "db" / "seed.py").is_file()
    assert (fixture / "backend").is_dir() and (fixture / "frontend").is_dir()


def test_ci_installs_the_wheel_not_the_checkout() -> None:
    """In CI the README command does a non-editable `pip install .`: the code must come from site-packages."""
    if os.environ.get("CI") != "true":
        pytest.skip("only meaningful on CI's non-editable install")
    assert "site-packages" in Path(analyzer.__file__).as_posix()
