"""action.yml end to end: scripts/run_action.py runs the action's own steps on a real pull request.

The pull request is a real git repository in tmp_path (a SQLAlchemy model on the base branch, commits
that add a Pydantic schema and a route holding documents.id); each run checks it out the way
actions/checkout does (a shallow clone of the head, so the action must fetch the base commit itself),
writes a `pull_request` event, and points GITHUB_API_URL at the fake GitHub of tests/fake_github.py.
No network: the clone is file://, the API is on 127.0.0.1, and the install step finds impact installed.
Push runs and the scan cache kept between runs use the runner's local stand-in for actions/cache.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from fake_github import FakeForge, forge_fixture  # noqa: F401
from helpers import REPO, write_tree

RUNNER = REPO / "scripts" / "run_action.py"
ACTION = REPO / "action.yml"
SLUG, PR = "octo/app", 7
MARKER = "<!-- impact:comment impact -->"

MODELS = '''\
from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Document(Base):
    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class Attachment(Base):
    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
'''
SCHEMA = "from pydantic import BaseModel\n\n\nclass AttachmentOut(BaseModel):\n    document_id: int\n"
SCHEMA_WITHOUT_KEY = "from pydantic import BaseModel\n\n\nclass AttachmentOut(BaseModel):\n    name: str\n"
ROUTE = '''\
from fastapi import APIRouter

router = APIRouter()


@router.get("/documents/{document_id}")
def get_document(document_id: int) -> dict:
    return {"id": document_id}
'''


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def _commit(repo: Path, files: dict[str, str | None], message: str) -> str:
    for rel, text in files.items():
        if text is None:
            _git(repo, "rm", "-q", rel)
        else:
            write_tree(repo, {rel: text})
            _git(repo, "add", rel)
    _git(repo, "commit", "-q", "-m", message)
    return _git(repo, "rev-parse", "HEAD")


@pytest.fixture()
def origin(tmp_path: Path) -> tuple[Path, str]:
    """The project's repository, with its base commit on main and a PR branch checked out."""
    repo = tmp_path / "origin"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    base = _commit(repo, {"app/models.py": MODELS, "app/__init__.py": ""}, "base")
    _git(repo, "checkout", "-q", "-b", "pr")
    return repo, base


def _run_action(tmp_path: Path, origin: Path, base: str, forge: FakeForge, name: str, *inputs: str,
                event_name: str = "pull_request", runner: str | None = None, cache_store: Path | None = None,
                tool: Path | None = None) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """One job: `runner` names the checkout and runner.temp folders, emptied first; jobs given the same
    runner see the same paths, as every job on GitHub's hosted runners does (the scan cache's entries and
    actions/cache's version depend on them). `cache_store` is actions/cache's storage, kept across jobs;
    `tool`, a copy of impact's package the jobs import (`_frozen_tool`)."""
    head = _git(origin, "rev-parse", "HEAD")
    workspace = tmp_path / f"checkout-{runner or name}"
    temp = tmp_path / f"runner-{runner or name}"
    for folder in (workspace, temp):
        shutil.rmtree(folder, ignore_errors=True)
    _git(tmp_path, "clone", "-q", "--depth=1", "--no-tags", origin.as_uri(), str(workspace))
    event = tmp_path / f"event-{name}.json"
    if event_name == "pull_request":
        shallow = subprocess.run(["git", "cat-file", "-e", f"{base}^{{commit}}"], cwd=workspace, capture_output=True)
        assert shallow.returncode != 0  # like actions/checkout's default: the base commit is not there
        event.write_text(json.dumps({
            "action": "synchronize", "number": PR, "repository": {"full_name": SLUG},
            "pull_request": {"number": PR, "base": {"sha": base, "ref": "main"}, "head": {"sha": head, "ref": "pr"}},
        }), encoding="utf-8")
    else:
        event.write_text(json.dumps({"ref": "refs/heads/main", "before": base, "after": head,
                                     "repository": {"full_name": SLUG}}), encoding="utf-8")
    summary = tmp_path / f"summary-{name}.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "IMPACT_", "GITLAB_", "CI_"))}
    env.update({"GITHUB_API_URL": forge.url, "GITHUB_REPOSITORY": SLUG, "GITHUB_TOKEN": forge.token,
                "COLUMNS": "120"})
    if tool is not None:
        env["PYTHONPATH"] = str(tool)
    args = ["--input", "targets=documents.id", "--event-name", event_name]
    for item in inputs:
        args += ["--input", item]
    if cache_store is not None:
        args += ["--cache-store", str(cache_store)]
    proc = subprocess.run(
        [sys.executable, str(RUNNER), "--action", str(ACTION), "--workspace", str(workspace),
         "--event", str(event), "--temp", str(temp), "--summary", str(summary), *args],
        env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert summary.exists(), proc.stdout + proc.stderr
    return proc, json.loads(summary.read_text(encoding="utf-8"))


def _outcomes(summary: dict[str, Any]) -> dict[str, str]:
    return {step["name"]: step["outcome"] for step in summary["steps"]}


def test_a_pull_request_gets_one_comment_updated_then_resolved(
        tmp_path: Path, origin: tuple[Path, str], forge: FakeForge) -> None:
    repo, base = origin

    # 1. the PR adds a schema holding the key: findings, SARIF, a new comment, and fail-on error fails last
    _commit(repo, {"app/schemas.py": SCHEMA}, "attachments API")
    proc, summary = _run_action(tmp_path, repo, base, forge, "first")
    log = proc.stdout + proc.stderr
    assert proc.returncode == 1, log
    steps = _outcomes(summary)
    assert steps["Fail on findings"] == "failure", steps
    assert summary["steps"][-1]["name"] == "Fail on findings"
    assert steps.pop("Save the scan cache") == "skipped"  # a pull request never saves the scan cache
    assert all(outcome == "success" for name, outcome in steps.items() if name != "Fail on findings"), steps
    assert "already installed" in log  # the install step ran unmodified and found this checkout's impact
    assert "this pull request adds findings at or above error" in log
    comments = forge.comments(SLUG, PR)
    assert len(comments) == 1
    body = comments[0]["body"]
    assert body.startswith(MARKER) or MARKER in body.splitlines()[0], body[:200]
    assert "app/schemas.py" in body and "AttachmentOut.document_id" in body
    assert "app/models.py" not in body  # the base's own finding is not this PR's
    outputs = summary["outputs"]
    assert outputs["findings"] == "1" and outputs["must-change"] == "1", outputs
    assert outputs["comment-url"] == comments[0]["html_url"]
    assert Path(outputs["report-dir"], "report.md").is_file()
    [upload] = summary["sarif_uploads"]
    assert upload["valid"] and upload["category"] == "impact" and upload["results"] == 1
    assert upload["sarif_file"] == str(Path(outputs["report-dir"], "findings.sarif"))
    [artifact] = summary["artifacts"]  # the whole report, where a cut comment points
    assert artifact["name"] == "impact-report" and {"report.html", "report.md", "findings.json"} <= set(
        artifact["files"])
    token_seen = [r.headers.get("authorization", "") for r in forge.requests]
    assert token_seen and all(forge.token in auth for auth in token_seen)
    assert forge.token not in log  # the token is never printed

    # 2. another commit adds a route: the same comment is updated, nothing new is posted
    _commit(repo, {"app/routes.py": ROUTE}, "document route")
    proc, summary = _run_action(tmp_path, repo, base, forge, "second", "fail-on=never")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    comments = forge.comments(SLUG, PR)
    assert len(comments) == 1 and comments[0]["html_url"] == summary["outputs"]["comment-url"]
    assert "app/routes.py" in comments[0]["body"] and "app/schemas.py" in comments[0]["body"]
    assert [r.method for r in forge.writes] == ["POST", "PATCH"]
    assert int(summary["outputs"]["findings"]) >= 2

    # 3. the PR stops touching the key: the comment says resolved, keeps its marker, still one comment
    _commit(repo, {"app/routes.py": None, "app/schemas.py": SCHEMA_WITHOUT_KEY}, "no ids in the API after all")
    proc, summary = _run_action(tmp_path, repo, base, forge, "third")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert summary["outputs"]["findings"] == "0"
    comments = forge.comments(SLUG, PR)
    assert len(comments) == 1
    assert MARKER in comments[0]["body"] and "resolved" in comments[0]["body"].lower()
    assert "AttachmentOut.document_id" not in comments[0]["body"]
    assert [r.method for r in forge.writes] == ["POST", "PATCH", "PATCH"]
    assert all(step["outcome"] == "success" for step in summary["steps"] if step["name"] != "Save the scan cache")


def test_nothing_touched_posts_nothing_and_comment_off_posts_never(
        tmp_path: Path, origin: tuple[Path, str], forge: FakeForge) -> None:
    repo, base = origin
    _commit(repo, {"README.md": "# app\n"}, "docs")
    proc, summary = _run_action(tmp_path, repo, base, forge, "quiet")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert summary["outputs"]["findings"] == "0" and summary["outputs"]["comment-url"] == ""
    assert forge.writes == []

    _commit(repo, {"app/schemas.py": SCHEMA}, "attachments API")
    proc, summary = _run_action(tmp_path, repo, base, forge, "off", "comment=off", "sarif=false")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # fail-on error still gates
    steps = _outcomes(summary)
    assert steps["Comment on the pull request"] == "skipped"
    assert steps["Upload SARIF to code scanning"] == "skipped" and summary["sarif_uploads"] == []
    assert steps["Upload the report"] == "success"
    assert forge.writes == []


def test_inputs_are_data_not_shell(tmp_path: Path, origin: tuple[Path, str], forge: FakeForge) -> None:
    """A hostile input reaches impact as one argument; nothing in it runs (inputs go through env:)."""
    repo, base = origin
    _commit(repo, {"app/schemas.py": SCHEMA}, "attachments API")
    sentinel = tmp_path / "pwned"
    hostile = f'documents.id";touch${{IFS}}{sentinel};"`touch {sentinel}`$(touch {sentinel})'
    proc, summary = _run_action(tmp_path, repo, base, forge, "hostile", f"targets={hostile}",
                                f"to=uuid$(touch {sentinel})")
    assert not sentinel.exists()
    assert f"got 'uuid$(touch {sentinel})'" in proc.stderr  # impact got the text as typed, and refused it
    steps = {step["name"]: step for step in summary["steps"]}
    assert steps["Scan"]["outcome"] == "failure" and steps["Scan"]["exit_code"] == 2, proc.stdout + proc.stderr
    assert steps["Comment on the pull request"]["outcome"] == "skipped"
    assert forge.writes == []


def test_no_expression_inside_run_scripts() -> None:
    """GitHub's script-injection advice, kept by the action: `${{ }}` only in env:, with:, if: and outputs."""
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    steps = action["runs"]["steps"]
    assert action["runs"]["using"] == "composite"
    for step in steps:
        assert "${{" not in step.get("run", ""), step["name"]
        assert step.get("shell", "bash") == "bash"
    uses = [step["uses"] for step in steps if "uses" in step]
    assert uses == ["actions/setup-python@v5", "actions/cache/restore@v4", "actions/cache/save@v4",
                    "github/codeql-action/upload-sarif@v3", "actions/upload-artifact@v4"]


# ----------------------------------------------------------------------------- the scan cache between runs


def _findings(summary: dict[str, Any]) -> list[dict[str, Any]]:
    doc = json.loads(Path(summary["outputs"]["report-dir"], "findings.json").read_text(encoding="utf-8"))
    return list(doc["findings"])


def _pickles(folder: Path, kind: str) -> list[str]:
    return sorted(p.name for p in folder.glob(f"{kind}-*.pickle"))


@pytest.fixture(scope="module")
def frozen_tool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """impact's package as it is now, laid out as installed (rules/ and reports/ inside analyzer/), for jobs
    that share a cache: the cache's entries are keyed by impact's own code, and a checkout being edited
    between two jobs (helpers share one) would rightly make the second job miss, as a new release does."""
    root = tmp_path_factory.mktemp("tool")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "analyzer", root / "analyzer", ignore=ignore)
    for part in ("rules", "reports"):
        shutil.copytree(REPO / part, root / "analyzer" / part, ignore=ignore)
    return root


def test_a_push_warms_the_cache_a_pull_request_reads(
        tmp_path: Path, origin: tuple[Path, str], forge: FakeForge, frozen_tool: Path) -> None:
    """The README's workflow: a push to main scans in full and saves the scan cache under its commit; a pull
    request from that commit restores it (an exact hit on its base) and checks only its changed file against
    the base's stored facts, with the findings of a run without any cache."""
    repo, _ = origin
    _git(repo, "checkout", "-q", "main")
    base = _commit(repo, {"app/schemas.py": SCHEMA, "app/routes.py": ROUTE}, "attachments API")
    _git(repo, "checkout", "-q", "-B", "pr")
    store = tmp_path / "cache-service"

    # 1. the push: nothing to restore yet, a full scan, saved under the pushed commit; no comment
    proc, summary = _run_action(tmp_path, repo, base, forge, "push", "fail-on=never", event_name="push",
                                runner="ci", cache_store=store, tool=frozen_tool)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    steps = _outcomes(summary)
    assert steps["Restore the scan cache"] == steps["Save the scan cache"] == "success", steps
    restore, save = summary["caches"]
    assert restore["matched"] == "" and not restore["hit"]
    assert save == {"action": "save", "key": f"impact-scan-Linux-{base}", "saved": True}
    assert "not a pull request: no comment" in proc.stdout and forge.writes == []
    warm = tmp_path / "runner-ci" / "impact-cache"
    assert len(_pickles(warm, "scan")) == len(_pickles(warm, "facts")) == 1  # a full scan keeps its facts
    assert not (tmp_path / "checkout-ci" / ".impact-cache").exists()  # never in the checkout

    # 2. the pull request changes a line with a finding: its base's entry, restored, answers; nothing saved
    _commit(repo, {"app/routes.py": ROUTE.replace("-> dict:", "-> dict:  # one document")}, "say what it returns")
    proc, summary = _run_action(tmp_path, repo, base, forge, "pr", runner="ci", cache_store=store, tool=frozen_tool)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 1, log  # fail-on error: the changed line holds a must-change finding
    steps = _outcomes(summary)
    assert steps["Restore the scan cache"] == "success" and steps["Save the scan cache"] == "skipped", steps
    [restore] = summary["caches"]
    assert restore["hit"] and restore["matched"] == f"impact-scan-Linux-{base}", restore
    # diff mode took the fast path: no "scanning in full: <why>" line, and its entry was stored without facts
    # of its own (a full scan stores both)
    assert "scanning in full" not in proc.stderr, proc.stderr
    assert len(_pickles(warm, "scan")) == 2 and len(_pickles(warm, "facts")) == 1, sorted(p.name for p in warm.iterdir())
    assert len(list(store.glob("*/meta.json"))) == 1
    fast = _findings(summary)
    assert [f["path"] for f in fast] == ["app/routes.py"] and summary["outputs"]["findings"] == "1"

    # 3. the same pull request without a cache: neither restored nor saved, the same findings
    proc, summary = _run_action(tmp_path, repo, base, forge, "pr-no-cache", "cache=false", cache_store=store,
                                tool=frozen_tool)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    steps = _outcomes(summary)
    assert steps["Restore the scan cache"] == steps["Save the scan cache"] == "skipped", steps
    assert summary["caches"] == []
    assert _findings(summary) == fast


def test_cache_false_neither_restores_nor_saves(tmp_path: Path, origin: tuple[Path, str], forge: FakeForge) -> None:
    repo, base = origin
    store = tmp_path / "cache-service"
    proc, summary = _run_action(tmp_path, repo, base, forge, "push", "cache=false", "fail-on=never",
                                event_name="push", cache_store=store)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    steps = _outcomes(summary)
    assert steps["Restore the scan cache"] == steps["Save the scan cache"] == "skipped", steps
    assert summary["caches"] == [] and not store.exists()
    assert not (tmp_path / "runner-push" / "impact-cache").exists()
    assert not (tmp_path / "checkout-push" / ".impact-cache").exists()  # --no-cache: no folder anywhere

    # with the cache on and nothing cached for the base, the pull request is scanned in full, and says why
    _commit(repo, {"app/schemas.py": SCHEMA}, "attachments API")
    proc, summary = _run_action(tmp_path, repo, base, forge, "pr", cache_store=store)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert summary["caches"] == [{"action": "restore", "key": f"impact-scan-Linux-{base}",
                                  "restore_keys": ["impact-scan-Linux-"], "matched": "", "hit": False}]
    assert f"impact: --diff-base {base}: scanning in full: " in proc.stderr
    assert _outcomes(summary)["Save the scan cache"] == "skipped" and not store.exists()

    proc, summary = _run_action(tmp_path, repo, base, forge, "typo", "cache=yes", cache_store=store)
    assert _outcomes(summary)["Scan"] == "failure" and "the cache input is true or false, got: yes" in proc.stdout


def _readme_workflow() -> dict[Any, Any]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Pull requests\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block is not None
    return dict(yaml.safe_load(block.group(1)))


@pytest.mark.parametrize(("event_name", "expected"), [("pull_request", "error"), ("push", "never")])
def test_readme_workflow_runs_on_push_to_warm_the_cache(event_name: str, expected: str) -> None:
    """The README's workflow: on pull requests and pushes to main, failing only pull requests (the emulator
    evaluates its fail-on expression as GitHub does)."""
    spec = importlib.util.spec_from_file_location("run_action", RUNNER)
    assert spec is not None and spec.loader is not None
    run_action = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_action)
    workflow = _readme_workflow()
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert on["push"] == {"branches": ["main"]} and "pull_request" in on
    [step] = [s for s in workflow["jobs"]["impact"]["steps"] if s.get("id") == "impact"]
    assert step["with"].get("cache", "true") == "true"
    got = run_action.interpolate(step["with"]["fail-on"], {"github": {"event_name": event_name}})
    assert got == expected


def test_runner_cache_matches_keys_as_github_documents(tmp_path: Path) -> None:
    """actions/cache/restore as emulated: the exact key, else the newest entry whose key starts with it, else
    each restore key in turn (newest first); entries saved from another path are another version; save never
    replaces a key."""
    action = tmp_path / "action.yml"
    data = tmp_path / "data"

    def step(uses: str, key: str, restore_keys: str = "", path: Path = data) -> dict[str, Any]:
        with_ = {"path": str(path), "key": key, **({"restore-keys": restore_keys} if restore_keys else {})}
        return {"name": f"{uses} {key}", "id": "c", "uses": uses, "with": with_}

    def run(name: str, *steps: dict[str, Any], content: str | None = None) -> dict[str, Any]:
        shutil.rmtree(data, ignore_errors=True)
        if content is not None:
            write_tree(data, {"f": content})
        action.write_text(yaml.safe_dump({"name": "c", "runs": {"using": "composite", "steps": list(steps)}}))
        summary = tmp_path / f"{name}.json"
        proc = subprocess.run([sys.executable, str(RUNNER), "--action", str(action), "--workspace", str(tmp_path),
                               "--temp", str(tmp_path / "t"), "--cache-store", str(tmp_path / "store"),
                               "--summary", str(summary)], capture_output=True, text=True, timeout=30)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return dict(json.loads(summary.read_text(encoding="utf-8")))

    for key in ("deps-a-1", "deps-a-2", "deps-b-1", "deps-a-12"):  # saved in this order: deps-a-12 is newest
        run(key, step("actions/cache/save@v4", key), content=key)
    assert run("again", step("actions/cache/save@v4", "deps-a-1"), content="x")["caches"][0]["saved"] is False
    run("other-path", step("actions/cache/save@v4", "deps-c-1", path=tmp_path / "elsewhere"), content="y")

    def restored(key: str, restore_keys: str = "") -> tuple[str, bool, str | None]:
        got = run(f"restore-{key}", step("actions/cache/restore@v4", key, restore_keys))["caches"][0]
        text = (data / "f").read_text(encoding="utf-8") if (data / "f").exists() else None
        return got["matched"], got["hit"], text

    assert restored("deps-a-1") == ("deps-a-1", True, "deps-a-1")  # exact, though deps-a-12 is newer
    assert restored("deps-a-") == ("deps-a-12", False, "deps-a-12")  # the key as a prefix, newest first
    assert restored("deps-z", "deps-b-\ndeps-a-") == ("deps-b-1", False, "deps-b-1")  # restore keys in order
    assert restored("deps-c-1", "deps-") == ("deps-a-12", False, "deps-a-12")  # deps-c-1 was another path
    assert restored("none", "nothing-") == ("", False, None)


# ----------------------------------------------------------------------------- the install step


def _install_script() -> str:
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    [step] = [s for s in action["runs"]["steps"] if s.get("name") == "Install impact"]
    return str(step["run"])


@pytest.mark.parametrize(("installed", "install", "expected"), [
    ("impact 0.1.0", "", None),  # this version on PATH already: no pip
    ("impact 0.0.9", "", "{action}[postgres,mysql]"),  # another version: the action's own checkout
    (None, "", "{action}[postgres,mysql]"),  # none at all
    ("impact 0.1.0", "impact-analyzer==0.1.0", "impact-analyzer==0.1.0"),  # asked for: always pip
])
def test_install_step_skips_only_when_this_version_is_installed(
        tmp_path: Path, installed: str | None, install: str, expected: str | None) -> None:
    """The step's own script, with `impact` and `python` replaced by recorders on PATH (pip is not run)."""
    action_path = write_tree(tmp_path / "action dir", {"pyproject.toml": '[project]\nname = "x"\nversion = "0.1.0"\n'})
    stubs = tmp_path / "bin"
    log = tmp_path / "pip.log"
    write_tree(stubs, {"python": f'#!/bin/sh\nprintf "%s\\n" "$@" > "{log}"\n'})
    if installed:
        write_tree(stubs, {"impact": f'#!/bin/sh\necho "{installed}"\n'})
    for stub in stubs.iterdir():
        stub.chmod(0o755)
    script = tmp_path / "install.sh"
    script.write_text(_install_script(), encoding="utf-8")
    env = {"PATH": f"{stubs}:/usr/bin:/bin", "ACTION_PATH": str(action_path), "INSTALL": install}
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], env=env,
                          capture_output=True, text=True, timeout=30)
    if installed is None:  # `impact --version` after pip has nothing to run: the stub pip installed nothing
        assert proc.returncode == 127, proc.stdout + proc.stderr
    else:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    if expected is None:
        assert not log.exists() and "already installed" in proc.stdout
    else:
        argv = log.read_text(encoding="utf-8").splitlines()
        assert argv == ["-m", "pip", "install", "--disable-pip-version-check", "--quiet",
                        expected.format(action=action_path)]


# ----------------------------------------------------------------------------- the runner itself


def test_runner_refuses_what_it_does_not_understand(tmp_path: Path) -> None:
    cases = {
        "function": {"if": "contains(inputs.x, 'a')", "shell": "bash", "run": "true"},
        "context": {"shell": "bash", "run": "true", "env": {"X": "${{ matrix.x }}"}},
        "run-expression": {"shell": "bash", "run": "echo ${{ inputs.x }}"},
        "shell": {"shell": "sh", "run": "true"},
        "action": {"uses": "actions/cache@v4"},
        "cache-input": {"uses": "actions/cache/restore@v4", "with": {"key": "k", "path": "p", "lookup-only": "true"}},
        "cache-pattern": {"uses": "actions/cache/save@v4", "with": {"key": "k", "path": "**/*.py"}},
    }
    for name, step in cases.items():
        action = tmp_path / name / "action.yml"
        action.parent.mkdir()
        action.write_text(yaml.safe_dump({"name": name, "inputs": {"x": {"default": "a"}},
                                          "runs": {"using": "composite", "steps": [{"name": name, **step}]}}))
        proc = subprocess.run([sys.executable, str(RUNNER), "--action", str(action), "--workspace", str(tmp_path)],
                              capture_output=True, text=True, timeout=30)
        assert proc.returncode == 2, (name, proc.stdout, proc.stderr)
        assert proc.stderr.startswith("run_action: ") and len(proc.stderr.splitlines()) == 1, proc.stderr
