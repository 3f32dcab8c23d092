from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.config import ConfigError, load


def test_reads_tool_impact_from_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.impact]\naliases = ["image_id"]\nexclude = ["gen/**"]\n'
        '[tool.impact.rules]\nPY010 = "off"\nTS004 = "warning"\n'
        '[tool.impact.effort]\nhours_per_table = 3\n'
        '[[tool.impact.virtual_references]]\nfrom = "events.subject_id"\nto = "documents.id"\n'
    )
    cfg = load(search_from=tmp_path)
    assert cfg.aliases == ("image_id",)
    assert "gen/**" in cfg.excludes and "**/node_modules/**" in cfg.excludes
    assert not cfg.rule_enabled("PY010", "py.alembic.column")
    assert cfg.rule_enabled("PY011", "py.alembic.check_constraint")
    assert cfg.severity_for("TS004", "ts.x", "error") == "warning"
    assert cfg.hours_per_table == 3.0
    assert cfg.virtual_references[0].source == "events.subject_id"


def test_impact_toml_wins_and_cli_overrides(tmp_path: Path) -> None:
    (tmp_path / "impact.toml").write_text('aliases = ["contentId"]\n')
    (tmp_path / "pyproject.toml").write_text('[tool.impact]\naliases = ["other"]\n')
    cfg = load(search_from=tmp_path)
    assert cfg.aliases == ("contentId",)
    assert cfg.merged(aliases=("cli",), schemas=()).aliases == ("cli",)
    assert cfg.merged(aliases=()).aliases == ("contentId",)


def test_unknown_keys_are_rejected(tmp_path: Path) -> None:
    (tmp_path / "impact.toml").write_text('alias = ["typo"]\n')
    with pytest.raises(ConfigError, match="unknown .* alias"):
        load(search_from=tmp_path)


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load(tmp_path / "nope.toml")


@pytest.mark.parametrize(("toml", "typo", "closest"), [
    ('[tool.impact.rules]\nPY031 = "off"\n', "PY031", "PY030"),
    ('[tool.impact]\ndisable = ["py.fastapi.parm"]\n', "py.fastapi.parm", "py.fastapi.param"),
    ('[tool.impact]\nenable_only = ["PY012", "ts012"]\n', "PY012", "PY010"),
    ('[tool.impact.severity]\nTS999 = "note"\n', "TS999", "TS109"),
])
def test_unknown_rule_codes_and_names_are_rejected(tmp_path: Path, toml: str, typo: str, closest: str) -> None:
    (tmp_path / "pyproject.toml").write_text(toml)
    with pytest.raises(ConfigError) as caught:
        load(search_from=tmp_path)
    message = str(caught.value)
    assert "\n" not in message and f"unknown rule {typo!r}" in message and closest in message


def test_known_rule_codes_and_names_pass(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.impact]\ndisable = ["py.fastapi.param"]\nenable_only = ["PY060", "TS004"]\n'
        '[tool.impact.rules]\nPY062 = "off"\nTS004 = "warning"\n')
    cfg = load(search_from=tmp_path)
    assert not cfg.rule_enabled("PY062", "py.hazard.ordering")
    assert cfg.severity_for("TS004", "x", "error") == "warning"
