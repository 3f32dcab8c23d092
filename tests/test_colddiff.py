"""Diff mode without a cached scan of the base (issue 15): a scan bounded to the files the change can reach.

The bounded run must report, on the changed lines, what a full scan reports there (same path, line, rule and
message): checked on every Python file with findings of three fixture apps, each made a one-file pull request
(a trailing comment on each line with a finding). The check can fail: with the changed file alone as context it
does. A change the bounded scan cannot answer scans in full and says why on one line; a bounded report says
that the whole migration was not computed, in every output.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tokenize
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers import run_impact, seed_fixture_db, write_tree

from analyzer import colddiff
from analyzer.config import Config, ConfigError, from_mapping, load
from analyzer.models import Report
from analyzer.pipeline import ScanOptions, run_scan
from analyzer.python import context

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
#: small apps whose every Python file with findings is made a pull request (each scanned twice: seconds)
APPS = {"campus_app": ("courses.id",), "stockroom_app": ("warehouses.id",), "marten_app": ("shows.id",)}


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo,
                          check=True, capture_output=True, text=True).stdout


def _code_ends(text: str) -> set[int]:
    """Lines a trailing comment can end without changing the code: not inside a multi-line string, not
    continued by a backslash."""
    inside: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.STRING and tok.start[0] < tok.end[0]:
            inside.update(range(tok.start[0], tok.end[0]))
    lines = text.splitlines()
    return {n for n in range(1, len(lines) + 1) if n not in inside and not lines[n - 1].rstrip().endswith("\\")}


def _key(report: Report) -> set[tuple[str, int, str, str]]:
    return {(f.path, f.span.line, f.code, f.message) for f in report.findings}


@pytest.fixture(scope="module", params=sorted(APPS))
def app_repo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """(the app in a git repository, its database URL, its name)."""
    name = request.param
    src = FIXTURES / name
    root = tmp_path_factory.mktemp(name)
    repo = root / "app"
    for part in ("backend", "frontend"):
        shutil.copytree(src / part, repo / part, ignore=shutil.ignore_patterns(".impact-cache", "node_modules"))
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    url = f"sqlite:///{root / 'app.sqlite'}"
    seed_fixture_db(src, url)
    return repo, url, name


def _scan(repo: Path, url: str, name: str, mode: str, diff_base: str | None = "HEAD") -> Report:
    cfg = replace(load(FIXTURES / name / "pyproject.toml"), jobs=1, cache=False, diff_scan=mode)
    return run_scan(ScanOptions(roots=(str(repo / "backend"), str(repo / "frontend")), targets=APPS[name],
                                db_url=url, config=cfg, diff_base=diff_base))


def _one_file_prs(repo: Path, url: str, name: str) -> list[tuple[str, set[Any], set[Any]]]:
    """Every Python file with findings made a pull request: (path, bounded findings, full scan's findings)."""
    full = _scan(repo, url, name, "full", diff_base=None)
    lines: dict[str, set[int]] = {}
    for f in full.findings:
        if f.language == "python":
            lines.setdefault(f.path, set()).add(f.span.line)
    assert len(lines) >= 5, sorted(lines)
    out = []
    for rel, numbers in sorted(lines.items()):
        path = repo / rel  # (the roots are named backend and frontend, as the folders)
        text = path.read_text(encoding="utf-8")
        commented = numbers & _code_ends(text)
        path.write_text("\n".join(line + "  # pr" if n in commented else line
                                  for n, line in enumerate(text.split("\n"), 1)), encoding="utf-8")
        try:
            bounded = _scan(repo, url, name, "bounded")
            exact = _scan(repo, url, name, "full")
        finally:
            _git(repo, "checkout", "-q", "--", rel)
        assert bounded.extras["diff"].bounded is not None and exact.extras["diff"].bounded is None
        out.append((rel, _key(bounded), _key(exact)))
    return out


def test_a_bounded_one_file_pr_reports_what_the_full_scan_reports_on_its_lines(
        app_repo: tuple[Path, str, str], capsys: pytest.CaptureFixture[str]) -> None:
    prs = _one_file_prs(*app_repo)
    differ = [(rel, sorted(exact - got), sorted(got - exact)) for rel, got, exact in prs if got != exact]
    assert not differ, differ
    assert sum(len(exact) for _rel, _got, exact in prs) >= 20  # the PRs hold findings to compare
    said = capsys.readouterr().err.splitlines()
    assert any(line.startswith("impact: --diff-base HEAD: no cached scan of the base: scanned the ") for line in said)


@pytest.mark.parametrize("app_repo", ["campus_app"], indirect=True)  # one app shows it
def test_the_agreement_check_fails_when_the_context_is_the_changed_file_alone(
        app_repo: tuple[Path, str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: without the files the change reaches, findings on its lines go missing."""
    repo, url, name = app_repo
    monkeypatch.setattr(context, "reach", lambda texts, changed, tables: set(changed))
    prs = _one_file_prs(repo, url, name)
    assert any(got != exact for _rel, got, exact in prs)


# ----------------------------------------------------------------------------- when it bounds, and when not
MODELS = '''from sqlalchemy import Column, ForeignKey, Integer
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Document(Base):
    __tablename__ = "documents"
    id = Column(Integer, primary_key=True)


class Attachment(Base):
    __tablename__ = "attachments"
    id = Column(Integer, primary_key=True)
    document_id = Column(Integer, ForeignKey("documents.id"))
'''
SCHEMAS = "from pydantic import BaseModel\n\n\nclass AttachmentOut(BaseModel):\n    document_id: int\n"
NOTE = "\n\nclass NoteOut(BaseModel):\n    document_id: int\n"


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """Models, a schema, a page of TypeScript and some unrelated modules, committed on main."""
    files = {"app/models.py": MODELS, "app/schemas.py": SCHEMAS, ".gitignore": "out*/\n",
             "web/doc.ts": "export interface Doc { id: number }\n"}
    files.update({f"app/util_{i}.py": f"def f{i}(x: str) -> str:\n    return x\n" for i in range(45)})
    repo = write_tree(tmp_path / "repo", files)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    return repo


def _cli(repo: Path, *args: str, config: str = 'diff_scan = "bounded"\n') -> tuple[dict[str, Any], str, str, str]:
    """findings.json, report.md, stderr and stdout of a scan of `repo` against main."""
    (repo / "impact.toml").write_text(config, encoding="utf-8")
    proc = run_impact("scan", ".", "--target", "documents.id", "--out", "out", "--no-typecheck", "--fail-on", "never",
                      "--diff-base", "main", "--no-cache", *args, cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return (json.loads((repo / "out" / "findings.json").read_text(encoding="utf-8")),
            (repo / "out" / "report.md").read_text(encoding="utf-8"), proc.stderr, proc.stdout)


def test_a_bounded_report_says_the_whole_migration_was_not_computed(repo: Path) -> None:
    (repo / "app" / "schemas.py").write_text(SCHEMAS + NOTE, encoding="utf-8")
    doc, md, err, out = _cli(repo)
    assert [f["symbol"] for f in doc["findings"]] == ["NoteOut.document_id"]
    diff = doc["diff"]
    assert diff["standing"] is None and diff["outside_diff"] is None
    assert diff["bounded"] == {"scanned_files": 2, "python_files": 47}  # schemas.py and the models it reaches
    schema = json.loads((resources.files("analyzer.reports") / "findings.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(doc)
    said = [line for line in err.splitlines() if line.startswith("impact:")]
    assert said == ["impact: --diff-base main: no cached scan of the base: scanned the 2 of 47 Python files this "
                    "change can reach; the whole migration's totals were not computed (cache a scan of the base "
                    "for the exact answer: README, pull requests)"]
    assert ("Whole migration: not computed (no cached scan of the base; this run scanned the 2 of 47 Python files "
            "the change can reach). A cached scan of the base gives it, and the exact answer") in md.splitlines()
    assert "Whole migration (not this PR)" not in md and "outside this diff" not in md
    assert "2 of 47 Python files scanned (bounded)" in out
    html = (repo / "out" / "report.html").read_text(encoding="utf-8")
    assert "whole migration not computed" in html and "est. 0" not in html.split("whole migration not computed")[0][-80:]

    # the same change, scanned in full when the configuration says so: the whole migration is there
    doc, md, err, out = _cli(repo, config='diff_scan = "full"\n')
    assert [f["symbol"] for f in doc["findings"]] == ["NoteOut.document_id"]
    assert doc["diff"]["standing"]["findings"] == 4 and "bounded" not in doc["diff"]
    assert "Whole migration (not this PR): 4 must-change" in md and "impact:" not in err
    assert "files scanned, 0 skipped" in out and "(bounded)" not in out


def test_auto_bounds_only_a_large_tree(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "app" / "schemas.py").write_text(SCHEMAS + NOTE, encoding="utf-8")
    doc, _md, err, _out = _cli(repo, config="")  # 47 Python files: a full scan is cheap, and exact
    assert doc["diff"]["standing"]["findings"] == 4 and "impact:" not in err

    def scan(mode: str) -> Report:
        cfg = Config(jobs=1, cache=False, diff_scan=mode)
        return run_scan(ScanOptions(roots=(str(repo),), targets=("documents.id",), config=cfg, diff_base="main"))

    monkeypatch.setattr(colddiff, "MIN_FILES", 40)
    assert scan("auto").extras["diff"].bounded is not None
    assert scan("full").extras["diff"].bounded is None


@pytest.mark.parametrize("change", ["typescript", "many"])
def test_a_change_the_bounded_scan_cannot_answer_scans_in_full_and_says_why(repo: Path, change: str) -> None:
    (repo / "app" / "schemas.py").write_text(SCHEMAS + NOTE, encoding="utf-8")
    if change == "typescript":  # the TypeScript scan starts from what every Python file teaches
        (repo / "web" / "doc.ts").write_text("export interface Doc { id: number; parentId: number }\n",
                                             encoding="utf-8")
        why = "web/doc.ts changed (the TypeScript scan starts from what every Python file teaches)"
    else:
        for i in range(45):
            (repo / "app" / f"util_{i}.py").write_text(f"def f{i}(x: str) -> str:\n    return x + x\n", encoding="utf-8")
        why = "46 Python files changed (more than 40)"
    doc, _md, err, _out = _cli(repo)
    assert doc["diff"]["standing"]["findings"] >= 4 and "bounded" not in doc["diff"]
    assert [line for line in err.splitlines() if line.startswith("impact:")] == [
        f"impact: --diff-base main: scanning in full: {why}"]


def test_a_cached_scan_of_the_base_is_used_instead(repo: Path, tmp_path: Path) -> None:
    """With the base's scan cached, diff mode checks the change against its facts (exact): never bounded."""
    cache = tmp_path / "cache"
    cfg = Config(jobs=1, diff_scan="bounded")
    run_scan(ScanOptions(roots=(str(repo),), targets=("documents.id",), config=cfg, cache_dir=cache))
    (repo / "app" / "schemas.py").write_text(SCHEMAS + "\n# a comment\n", encoding="utf-8")
    got = run_scan(ScanOptions(roots=(str(repo),), targets=("documents.id",), config=cfg, cache_dir=cache,
                               diff_base="main"))
    assert got.extras["diff"].bounded is None and got.extras["diff"].standing is not None
    assert got.extras["stats"]["cache"] != colddiff.HOW


def test_diff_scan_is_checked_in_the_configuration() -> None:
    assert from_mapping({"diff_scan": "full"}).diff_scan == "full"
    assert Config().diff_scan == "auto"
    with pytest.raises(ConfigError, match="diff_scan must be one of auto, full, bounded"):
        from_mapping({"diff_scan": "sometimes"})


def test_reach_follows_imports_re_exports_callers_and_the_models() -> None:
    texts = {
        "app/models/__init__.py": "from .doc import Document\n",
        "app/models/doc.py": "class Document(Base):\n    __tablename__ = 'documents'\n",
        "app/models/other.py": "class Other(Base):\n    __tablename__ = 'others'\n",
        "app/service.py": "from app.models import Document\nfrom . import repo\n",
        "app/repo.py": "from app.base import Repository\n",
        "app/base.py": "class Repository: ...\n",
        "app/routes.py": "from app.service import get\n",
        "app/far.py": "import os\n",
        "tests/conftest.py": "import pytest\n",
        "tests/test_x.py": "def test_x(client):\n    client.get('/documents/1')\n",
    }
    got = context.reach(texts, {"app/service.py"}, {"documents"})
    assert got == {"app/service.py", "app/models/doc.py", "app/repo.py", "app/base.py", "app/routes.py"}
    got = context.reach(texts, {"tests/test_x.py"}, {"documents"})
    assert {"tests/conftest.py", "app/models/doc.py"} <= got and "app/far.py" not in got
    assert context.reach(texts, {"app/service.py"}, {"documents"}, budget=0) == {"app/service.py"}
