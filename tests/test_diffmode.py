"""Diff mode end to end: `impact scan --diff-base REF [--baseline findings.json]` in a real git repository.

A pull request is priced by what it adds (its findings, per layer), and the whole migration is shown
beside it on one line with the same figures a full scan gives; reviewers come from CODEOWNERS; the
baseline's and the diff's left-outs are counted.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from analyzer.reports.markdown import LIMIT
from analyzer.reports.markdown import render as render_md
from helpers import run_impact, write_tree
from report_factory import FINDINGS, build_report

from analyzer.diffmode import DiffInfo, Reviewers, Standing
from analyzer.models import Span

MODELS = '''from sqlalchemy import Column, ForeignKey, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Document(Base):
    __tablename__ = "documents"
    id = Column(Integer, primary_key=True)
    title = Column(String)


class Attachment(Base):
    __tablename__ = "attachments"
    id = Column(Integer, primary_key=True)
    document_id = Column(Integer, ForeignKey("documents.id"))
'''
SCHEMAS = "from pydantic import BaseModel\n\n\nclass AttachmentOut(BaseModel):\n    document_id: int\n"
NOTE = "\n\nclass NoteOut(BaseModel):\n    document_id: int\n"
UTIL = "def greet(name: str) -> str:\n    return 'hi ' + name\n"
CODEOWNERS = "# who reviews what\n* @org/everyone\n/app/ @team-a\n/app/schemas.py @bob @org/api\n/app/util.py\n"
TITLE = "**impact: documents.id INTEGER → UUID** — "


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo,
                          check=True, capture_output=True, text=True).stdout


def _scan(repo: Path, out: str, *args: str, expect: int = 0) -> tuple[dict[str, Any], str, str]:
    proc = run_impact("scan", ".", "--target", "documents.id", "--out", out, "--no-typecheck", *args, cwd=repo)
    assert proc.returncode == expect, proc.stdout + proc.stderr
    folder = repo / out
    return (json.loads((folder / "findings.json").read_text(encoding="utf-8")),
            (folder / "report.md").read_text(encoding="utf-8"), proc.stdout)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """main: models, one schema, a helper, CODEOWNERS; out folders ignored by git."""
    repo = write_tree(tmp_path / "repo", {"app/models.py": MODELS, "app/schemas.py": SCHEMAS, "app/util.py": UTIL,
                                          ".github/CODEOWNERS": CODEOWNERS, ".gitignore": "out*/\n"})
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    return repo


def test_pr_is_priced_by_what_it_adds_and_the_whole_migration_stands_apart(repo: Path) -> None:
    _git(repo, "checkout", "-qb", "pr")
    (repo / "app" / "schemas.py").write_text(SCHEMAS + NOTE, encoding="utf-8")  # one new key field
    (repo / "app" / "util.py").write_text(UTIL + "\n\nX = 1\n", encoding="utf-8")  # nothing key-related
    _git(repo, "commit", "-qam", "pr")

    full, full_md, _ = _scan(repo, "out-full", "--fail-on", "never")
    assert "diff" not in full  # a full scan has no diff object
    assert full["summary"]["findings"] == 4 and full["summary"]["effort_days"] == [0.4, 1.2]

    doc, md, stdout = _scan(repo, "out", "--diff-base", "main", expect=1)  # new must-change fails the check
    diff = doc["diff"]
    assert diff["base"] == "main"
    assert diff["changed_files"] == ["app/schemas.py", "app/util.py"]
    # the lines the PR added hold one finding; schemas.py's older one and models.py's are outside the diff
    assert [f["symbol"] for f in doc["findings"]] == ["NoteOut.document_id"]
    assert diff["hidden_by_baseline"] == 0 and diff["outside_diff"] == 3
    assert diff["patched_files"] == ["app/schemas.py"]
    # the standing cost is the full scan's, by the same model
    assert diff["standing"] == {"findings": 4, "must_change": 4, "hazard": 0, "info": 0, "files": 2,
                                "effort_days": full["summary"]["effort_days"]}
    # the summary is this PR's findings only, priced per layer without the per-table migration cost
    assert doc["summary"]["findings"] == 1 and doc["summary"]["by_kind"] == {"must_change": 1}
    assert doc["summary"]["effort_days"] == [0.0, 0.0]
    # CODEOWNERS: the last matching line wins
    assert diff["reviewers"] == [{"owners": ["@bob", "@org/api"], "paths": ["app/schemas.py"]}]
    schema = json.loads((resources.files("analyzer.reports") / "findings.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(doc)
    broken = {**doc, "diff": {**diff, "hidden_by_baseline": -1}}
    assert not jsonschema.Draft202012Validator(schema).is_valid(broken)  # the schema does check "diff"

    lines = md.splitlines()
    assert lines[0] == TITLE + ("This PR adds 1 must-change and 0 hazard findings in 1 of 2 changed files, "
                                "est. 4–12 min; 1 file has patches")
    assert lines[1:3] == ["", "#### New findings (1)"]
    items = [line for line in lines if line.startswith("- ")]
    assert len(items) == 1 and "`app/schemas.py:9`" in items[0]
    assert ("Whole migration (not this PR): 4 must-change, 0 hazards in 2 files, 2 tables / 0 rows to rewrite, "
            "est. 0.4–1.2 days") in lines
    assert "Review: @bob @org/api (`app/schemas.py`)" in lines
    assert "3 findings outside this diff" in lines
    assert "hidden by the baseline" not in md
    # the whole migration's figure appears once, on its own line: never as this PR's cost
    assert md.count("0.4–1.2 days") == 1 and "0.4–1.2" not in lines[0]
    assert full_md.splitlines()[0].endswith("est. 0.4–1.2 days")  # the full scan's verdict is unchanged
    # the terminal says the same
    assert "This PR adds 1 must-change and 0 hazard findings in 1 of 2 changed files, est. 4–12 min" in stdout
    assert "Whole migration (not this PR): 4 must-change" in stdout
    assert "Review: @bob @org/api (app/schemas.py)" in stdout
    html = (repo / "out" / "report.html").read_text(encoding="utf-8")
    assert '<div class="kpi-value">4–12 min</div>' in html and "Effort this PR adds: 4–12 min" in html


def test_baseline_hides_what_is_known(repo: Path) -> None:
    _scan(repo, "out-base", "--fail-on", "never")  # the baseline, made on main
    baseline = str(repo / "out-base" / "findings.json")
    _git(repo, "checkout", "-qb", "pr")
    (repo / "app" / "schemas.py").write_text(SCHEMAS + NOTE, encoding="utf-8")
    _git(repo, "commit", "-qam", "pr")

    # on the changed lines: the new field, nothing else (AttachmentOut's line did not change)
    doc, md, _ = _scan(repo, "out", "--diff-base", "main", "--baseline", baseline, "--fail-on", "never")
    assert [f["symbol"] for f in doc["findings"]] == ["NoteOut.document_id"]
    assert (doc["diff"]["hidden_by_baseline"], doc["diff"]["outside_diff"]) == (0, 0)

    doc, md, _ = _scan(repo, "out", "--diff-base", "main", "--diff-scope", "files", "--baseline", baseline,
                       "--fail-on", "never")
    assert [f["symbol"] for f in doc["findings"]] == ["NoteOut.document_id"]
    assert doc["diff"]["hidden_by_baseline"] == 1  # AttachmentOut.document_id: in a changed file, known
    assert doc["diff"]["outside_diff"] == 0  # models.py's findings are all in the baseline
    assert doc["diff"]["standing"]["findings"] == 4
    assert md.splitlines()[0] == TITLE + ("This PR adds 1 must-change and 0 hazard findings in 1 of 1 changed file, "
                                          "est. 4–12 min; 1 file has patches")
    assert "1 finding hidden by the baseline" in md.splitlines()
    assert "outside this diff" not in md

    # --baseline alone: every file is in scope, nothing is outside a diff
    doc, md, _ = _scan(repo, "out-b", "--baseline", baseline, "--fail-on", "never")
    assert doc["diff"]["base"] is None and doc["diff"]["changed_files"] == []
    assert (doc["diff"]["hidden_by_baseline"], doc["diff"]["outside_diff"]) == (3, 0)
    assert [f["symbol"] for f in doc["findings"]] == ["NoteOut.document_id"]
    assert md.splitlines()[0] == TITLE + ("1 must-change and 0 hazard findings are new since the baseline, "
                                          "in 1 file, est. 4–12 min; 1 file has patches")
    assert ("Whole migration (not only what is new): 4 must-change, 0 hazards in 2 files, 2 tables / 0 rows "
            "to rewrite, est. 0.4–1.2 days") in md.splitlines()


def test_diff_scope_lines_follows_edits_renames_and_quoted_names(repo: Path) -> None:
    _git(repo, "checkout", "-qb", "pr")
    # an edited line holds the key (document_id's type changed on that line), a new file, a renamed one
    (repo / "app" / "schemas.py").write_text(SCHEMAS.replace("document_id: int", "document_id: int  # kept"),
                                             encoding="utf-8")
    (repo / "app" / "nötes.py").write_text("from pydantic import BaseModel" + NOTE, encoding="utf-8")
    _git(repo, "mv", "app/models.py", "app/tables.py")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "pr")
    doc, _, _ = _scan(repo, "out", "--diff-base", "main", "--fail-on", "never")
    # a rename is a new file to the diff (--no-renames): its findings are on added lines, as GitHub shows them
    assert sorted((f["path"], f["symbol"]) for f in doc["findings"]) == [
        ("app/nötes.py", "NoteOut.document_id"),
        ("app/schemas.py", "AttachmentOut.document_id"),
        ("app/tables.py", "Attachment.document_id"), ("app/tables.py", "Document.id")]
    assert doc["diff"]["outside_diff"] == 0
    proc = run_impact("scan", ".", "--target", "documents.id", "--diff-base", "main", "--diff-scope", "hunks",
                      cwd=repo)
    assert proc.returncode == 2 and "--diff-scope must be lines or files" in proc.stderr


def test_pr_that_does_not_touch_the_key(repo: Path) -> None:
    _git(repo, "checkout", "-qb", "pr")
    (repo / "app" / "util.py").write_text(UTIL + "\n\nX = 1\n", encoding="utf-8")
    _git(repo, "commit", "-qam", "pr")
    doc, md, stdout = _scan(repo, "out", "--diff-base", "main")  # default --fail-on error: nothing new, exit 0
    assert doc["findings"] == [] and doc["summary"]["effort_days"] == [0.0, 0.0]
    assert doc["diff"]["changed_files"] == ["app/util.py"] and doc["diff"]["outside_diff"] == 3
    assert doc["diff"]["patched_files"] == [] and doc["diff"]["reviewers"] == []
    lines = md.splitlines()
    assert lines[0] == TITLE + "This PR does not touch the key documents.id: nothing key-related in its 1 changed file"
    assert lines[2].startswith("Whole migration (not this PR): 3 must-change")
    assert "New findings" not in md and "Review:" not in md
    assert "This PR does not touch the key documents.id" in stdout


def test_uncommitted_changes_count_and_a_subfolder_root_finds_codeowners_at_the_top(tmp_path: Path) -> None:
    """The scanned root is a subfolder; CODEOWNERS paths are relative to the repository top."""
    repo = write_tree(tmp_path / "mono", {
        "service/app/models.py": MODELS, "service/app/schemas.py": SCHEMAS,
        "CODEOWNERS": "/service/app/ @team-a\n/service/app/schemas.py @alice\n", ".gitignore": "out/\n"})
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    (repo / "service" / "app" / "models.py").write_text(MODELS.replace("title = Column(String)",
                                                                       "title = Column(String)\n    parent_id = Column(Integer, ForeignKey(\"documents.id\"))"),
                                                        encoding="utf-8")
    (repo / "service" / "app" / "schemas.py").write_text(SCHEMAS + NOTE, encoding="utf-8")
    proc = run_impact("scan", "service", "--target", "documents.id", "--out", "out", "--no-typecheck",
                      "--diff-base", "HEAD", "--fail-on", "never", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((repo / "out" / "findings.json").read_text(encoding="utf-8"))
    assert doc["diff"]["changed_files"] == ["app/models.py", "app/schemas.py"]
    assert doc["diff"]["reviewers"] == [{"owners": ["@team-a"], "paths": ["app/models.py"]},
                                        {"owners": ["@alice"], "paths": ["app/schemas.py"]}]
    md = (repo / "out" / "report.md").read_text(encoding="utf-8")
    assert "Review: @team-a (`app/models.py`), @alice (`app/schemas.py`)" in md.splitlines()


def test_unknown_ref_is_a_one_line_error(repo: Path) -> None:
    proc = run_impact("scan", ".", "--target", "documents.id", "--out", "out", "--diff-base", "no-such-ref",
                      cwd=repo)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: --diff-base no-such-ref: git diff failed") and "Traceback" not in proc.stderr


def test_a_huge_pr_comment_keeps_its_verdict_and_closing_lines_under_the_limit() -> None:
    """All new findings while they fit (the existing budget), then the standing, review and count lines."""
    many = tuple(replace(FINDINGS[i % len(FINDINGS)], path=f"backend/app/gen/m_{i:05d}.py", fingerprint=f"fp{i}",
                         span=Span(i + 1, 1, i + 1, 9), message="x" * 120) for i in range(3000))
    info = DiffInfo(base="origin/main", baseline=None, changed_files=tuple(sorted({f.path for f in many})),
                    hidden_by_baseline=7, outside_diff=12,
                    standing=Standing(3019, 2000, 1000, 19, 3000, (7.1, 21.2)),
                    reviewers=tuple(Reviewers((f"@team-{i}",), tuple(f"p{i}_{j}.py" for j in range(9)))
                                    for i in range(30)),
                    added_minutes=(600.0, 1800.0))
    report = build_report(findings=many)
    md = render_md(replace(report, extras={**report.extras, "diff": info, "patches": {}}))
    assert len(md) <= LIMIT
    lines = md.splitlines()
    assert lines[0].endswith("This PR adds 1895 must-change and 948 hazard findings (and 157 info) in 3000 of 3000 "
                             "changed files, est. 1.5–4.4 days; no file has patches")
    shown = len(re.findall(r"^- [🔴🟠⚪] ", md, flags=re.M))
    m = re.search(r"_… (\d+) findings not shown here", md)
    assert m and shown + int(m.group(1)) == len(many)
    assert "Whole migration (not this PR): 2000 must-change, 1000 hazards in 3000 files, 6 tables / 3.6 M rows to " \
           "rewrite, est. 7.1–21.2 days" in lines
    review = next(line for line in lines if line.startswith("Review: "))
    assert review.startswith("Review: @team-0 (`p0_0.py`, `p0_1.py`, `p0_2.py`, `p0_3.py`, `p0_4.py`, +4 more), ")
    assert review.endswith(", and 20 more groups (findings.json)")
    assert "7 findings hidden by the baseline · 12 findings outside this diff" in lines
    assert lines[-1].startswith("<sub>impact ")


def test_a_changed_file_with_a_non_ascii_name_is_in_the_diff(repo: Path) -> None:
    """git quotes such names (`"app/n\\303\\266tes.py"`) unless asked for them verbatim (-z)."""
    _git(repo, "checkout", "-qb", "pr")
    (repo / "app" / "nötes.py").write_text(SCHEMAS.replace("AttachmentOut", "NoteOut"), encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "pr")
    doc, md, _ = _scan(repo, "out", "--diff-base", "main", "--fail-on", "never")
    assert doc["diff"]["changed_files"] == ["app/nötes.py"]
    assert [(f["path"], f["symbol"]) for f in doc["findings"]] == [("app/nötes.py", "NoteOut.document_id")]
    assert doc["diff"]["reviewers"] == [{"owners": ["@team-a"], "paths": ["app/nötes.py"]}]


# ----------------------------------------------------------------------------- proportional diff mode (issue 15)
APP = Path(__file__).resolve().parent.parent / "fixtures" / "content_app"
REPO_PY = "backend/app/repositories/content_repo.py"
ROUTES = "backend/app/api/routes/contents.py"


def _edit(rel: str, old: str, new: str) -> Any:
    def apply(app: Path) -> None:
        path = app / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, (rel, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return apply


def _ts_and_py(app: Path) -> None:
    _edit(REPO_PY, "    def get(self, content_id: int) -> Optional[ContentItem]:  # impact: must_change service",
          "    def get(self, content_id: int) -> Optional[ContentItem]:  # impact: must_change service (why)")(app)
    page = sorted(p for p in (app / "frontend").rglob("*.tsx") if "node_modules" not in p.parts)[0]
    page.write_text(page.read_text(encoding="utf-8") + "\nexport const contentIdOf = (c: { id: number }) => c.id;\n",
                    encoding="utf-8")


#: (name, change, proportional?): each scanned with --diff-base against the base's cache, and without a cache
CHANGES = [
    ("a comment on a line with a finding", _edit(REPO_PY, "        stmt = select(ContentItem).where(ContentItem.id.in_(ids))\n",
                                                  "        stmt = select(ContentItem).where(ContentItem.id.in_(ids))  # why\n"), True),
    ("lines moved by a docstring", _edit(ROUTES, '"""', '"""Routes.\n\n', ), True),
    ("an annotation rewritten", _edit(REPO_PY, "def get_many(self, ids: Sequence[int])", "def get_many(self, ids: list[int])"),
     True),
    ("a local renamed", _edit(ROUTES, "next_cursor = items[-1].id if len(items) == limit else None\n"
                                      "    return CursorPage[ContentSummary](items=items, next_cursor=next_cursor)",
                              "nxt = items[-1].id if len(items) == limit else None\n"
                              "    return CursorPage[ContentSummary](items=items, next_cursor=nxt)"), True),
    ("a new local holding the key", _edit(ROUTES, "    next_cursor = items[-1].id if len(items) == limit else None\n",
                                          "    next_cursor = items[-1].id if len(items) == limit else None\n"
                                          "    marker: int = next_cursor or 0\n"), True),
    ("a TypeScript and a Python file", _ts_and_py, True),
    ("the derivation of a parameter's key removed",
     _edit(REPO_PY, "        stmt = select(ContentItem).where(ContentItem.id.in_(ids))\n",
           "        wanted = list(ids)\n        stmt = select(ContentItem).where(ContentItem.id.in_(wanted))\n"), False),
    ("the key no longer passed to a callee", _edit(ROUTES, "items = ContentRepository(db).after(after, limit)",
                                                   "items = ContentRepository(db).latest(limit)"), False),
    ("a new function", _edit(REPO_PY, "class ContentRepository:",
                             "def first_id(items: list[ContentItem]) -> int:\n    return items[0].id\n\n\n"
                             "class ContentRepository:"), False),
]


@pytest.fixture(scope="module")
def content_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """content_app in a git repository, and a cache holding a scan of its base (what CI keeps of main)."""
    import shutil

    from analyzer.config import Config
    from analyzer.pipeline import ScanOptions, run_scan

    if not (APP / "backend").is_dir():
        pytest.skip("fixture app not present")
    root = tmp_path_factory.mktemp("proportional")
    app = root / "app"
    for part in ("backend", "frontend"):
        shutil.copytree(APP / part, app / part, ignore=shutil.ignore_patterns(".impact-cache", "node_modules"))
    _git(app, "init", "-q", "-b", "main")
    _git(app, "add", "-A")
    _git(app, "commit", "-qm", "base")
    cache = root / "cache"
    run_scan(ScanOptions(roots=(str(app / "backend"), str(app / "frontend")), targets=("content_items.id",),
                         config=Config(jobs=1), cache_dir=cache))
    return app, cache


@pytest.mark.parametrize(("name", "change", "proportional"), CHANGES, ids=[c[0] for c in CHANGES])
def test_diff_mode_from_the_base_cache_reports_what_a_full_scan_reports(
        name: str, change: Any, proportional: bool, content_repo: tuple[Path, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A pull request checked against the base's cached facts (parse the changed files, follow their callers)
    gives the findings, the standing migration and the left-outs of a full scan of the changed tree; a change
    that teaches or takes away a fact (or adds a definition) scans in full and says why on one line."""
    import shutil

    from analyzer.config import Config
    from analyzer.pipeline import ScanOptions, run_scan

    app, base_cache = content_repo
    cache = tmp_path / "cache"
    shutil.copytree(base_cache, cache)
    change(app)
    try:
        def scan(cache_dir: Path | None) -> Any:
            return run_scan(ScanOptions(roots=(str(app / "backend"), str(app / "frontend")),
                                        targets=("content_items.id",), config=Config(jobs=1, cache=cache_dir is not None),
                                        cache_dir=cache_dir, diff_base="HEAD", diff_scope="files"))

        capsys.readouterr()
        fast = scan(cache)
        said = capsys.readouterr().err.strip().splitlines()
        full = scan(None)
    finally:
        _git(app, "checkout", "-q", "--", ".")
    assert fast.findings == full.findings
    assert fast.findings, "every change here lands in a file with findings"
    for got in (fast, full):
        assert isinstance(got.extras["diff"], DiffInfo)
    assert fast.extras["diff"].standing == full.extras["diff"].standing
    assert fast.extras["diff"].outside_diff == full.extras["diff"].outside_diff
    how = fast.extras["stats"]["cache"]
    if proportional:
        assert how == "diff from the base", said
        assert not said
    else:
        assert how == "stored"
        assert len(said) == 1 and said[0].startswith("impact: --diff-base HEAD: scanning in full: "), said
