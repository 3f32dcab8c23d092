"""`impact comment` against a local fake GitHub/GitLab API (tests/fake_github.py), as CI runs it: the real
command in a subprocess, real out folders written by `impact scan` on a small project."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from fake_github import GITHUB_MAX_BODY, FakeForge, forge_fixture  # noqa: F401 - the `forge` fixture
from helpers import impact_cmd, write_tree

REPO, PR = "octo/app", 7
MARK = "<!-- impact:comment impact -->"
SHA = "3f1c2d4e5b6a79881726354433221100ffeeddcc"

API = ("from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
       "@router.get('/documents/{document_id}')\n"
       "def get_document(document_id: {TYPE}):\n"
       "    return {'id': document_id}\n")


@pytest.fixture(scope="module")
def outs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two real out folders: a route typed with the old key (one finding), then the same route fixed."""
    root = tmp_path_factory.mktemp("project")
    con = sqlite3.connect(root / "app.sqlite")
    con.executescript("CREATE TABLE documents (id INTEGER PRIMARY KEY, title TEXT);"
                      "CREATE TABLE attachments (id INTEGER PRIMARY KEY,"
                      " document_id INTEGER REFERENCES documents(id));")
    con.commit()
    con.close()
    found: dict[str, Path] = {}
    for name, typ in (("findings", "int"), ("clean", "uuid.UUID")):
        write_tree(root, {"src/api.py": ("import uuid\n" if typ != "int" else "") + API.replace("{TYPE}", typ)})
        proc = _run("scan", "src", "--db", f"sqlite:///{root / 'app.sqlite'}", "--target", "documents.id",
                    "--out", name, "-q", cwd=root, env={})
        assert proc.returncode in (0, 1), proc.stderr
        found[name] = root / name
    assert json.loads((found["findings"] / "findings.json").read_text())["findings"]
    assert json.loads((found["clean"] / "findings.json").read_text())["findings"] == []
    return found


def _run(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The CLI with none of the runner's own CI variables (these tests may run inside GitHub Actions)."""
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("GITHUB_", "GITLAB_", "CI_", "IMPACT_")) and k not in ("CI", "GITLAB_CI")}
    return subprocess.run([*impact_cmd(), *args], cwd=cwd, env={**base, "COLUMNS": "200", **env},
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def comment(forge: FakeForge, out: Path, *args: str, env: dict[str, str] | None = None,
            token: str | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {"GITHUB_TOKEN": token or forge.token, "IMPACT_COMMENT_MAX_WAIT": "10", **(env or {})}
    proc = _run("comment", "--out", str(out), "--api-url", forge.url, "--repo", REPO, "--pr", str(PR), *args,
                cwd=out.parent, env=full_env)
    assert forge.token not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


def _marked(forge: FakeForge) -> list[dict]:
    return [c for c in forge.comments(REPO, PR) if c["body"].startswith(MARK)]


def _error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_create_then_update_then_resolve_one_sticky_comment(forge: FakeForge, outs: dict[str, Path]) -> None:
    forge.per_page = 2  # the bot's comment ends up on page 2, among other people's
    forge.add_comment(REPO, PR, "LGTM once the migration is reviewed", user="alice")
    forge.add_comment(REPO, PR, f"> {MARK}\n> **impact: ...** quoting the bot is not the bot", user="bob")
    forge.add_comment(REPO, PR, "What about the analytics export?", user="carol")

    first = comment(forge, outs["findings"])
    assert first.returncode == 0, first.stderr
    [created] = _marked(forge)
    assert first.stdout.strip() == f"created the impact comment on {REPO}#{PR}: {created['html_url']}"
    report = (outs["findings"] / "report.md").read_text()
    assert created["body"] == f"{MARK}\n{report.strip()}\n"
    assert created["user"]["login"] == "github-actions[bot]"
    post = forge.writes[0]
    assert (post.method, post.path) == ("POST", f"/repos/{REPO}/issues/{PR}/comments")
    assert post.headers["authorization"] == f"Bearer {forge.token}"
    assert post.headers["accept"] == "application/vnd.github+json"
    assert post.headers["x-github-api-version"] == "2022-11-28"
    assert post.headers["user-agent"].startswith("impact/")

    forge.add_comment(REPO, PR, "Pushed a fix for the route", user="alice")
    listed_before = len(forge.requests)
    second = comment(forge, outs["findings"])
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith(f"updated the impact comment on {REPO}#{PR}: {created['html_url']}")
    pages = [r.query.get("page", "1") for r in forge.requests[listed_before:] if r.method == "GET"]
    assert pages == ["1", "2"]  # followed Link rel="next" to page 2, stopped at the marked comment
    assert [(w.method, w.path) for w in forge.writes] == [
        ("POST", f"/repos/{REPO}/issues/{PR}/comments"), ("PATCH", f"/repos/{REPO}/issues/comments/{created['id']}")]
    assert len(forge.comments(REPO, PR)) == 5 and len(_marked(forge)) == 1

    third = comment(forge, outs["clean"], env={"GITHUB_SHA": SHA})
    assert third.returncode == 0, third.stderr
    assert third.stdout.startswith(f"resolved the impact comment on {REPO}#{PR}: {created['html_url']}")
    [resolved] = _marked(forge)
    assert resolved["id"] == created["id"]
    assert resolved["body"].startswith(f"{MARK}\n**impact: resolved**")
    assert f"gone as of {SHA}" in resolved["body"] and "must change" not in resolved["body"]
    assert len(forge.comments(REPO, PR)) == 5


def test_nothing_to_say_posts_nothing_unless_always(forge: FakeForge, outs: dict[str, Path]) -> None:
    quiet = comment(forge, outs["clean"])
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout.startswith(f"skipped: no findings and no earlier impact comment on {REPO}#{PR}")
    assert forge.writes == [] and forge.comments(REPO, PR) == []

    always = comment(forge, outs["clean"], "--when", "always")
    assert always.returncode == 0, always.stderr
    [posted] = _marked(forge)
    assert "0 locations" in posted["body"]
    assert always.stdout.startswith("created the impact comment")


def test_markers_keep_separate_comments(forge: FakeForge, outs: dict[str, Path]) -> None:
    assert comment(forge, outs["findings"]).returncode == 0
    other = comment(forge, outs["findings"], "--marker", "backend")
    assert other.stdout.startswith("created"), other.stdout + other.stderr
    bodies = [c["body"].splitlines()[0] for c in forge.comments(REPO, PR)]
    assert bodies == [MARK, "<!-- impact:comment backend -->"]
    assert "--marker" in _error_line(comment(forge, outs["findings"], "--marker", "x -->"))


def test_a_token_without_write_permission_is_named(forge: FakeForge, outs: dict[str, Path]) -> None:
    forge.deny_writes = True
    line = _error_line(comment(forge, outs["findings"]))
    assert line.startswith("error: GitHub answered 403 Resource not accessible by integration to POST")
    assert "pull-requests: write" in line and "fork" in line
    assert forge.comments(REPO, PR) == []
    assert len(forge.writes) == 1  # a refusal is not retried


def test_a_wrong_token_and_a_missing_pr_say_so_without_the_token(forge: FakeForge, outs: dict[str, Path]) -> None:
    wrong = "ghp_wrongTokenValue123456"
    line = _error_line(proc := comment(forge, outs["findings"], token=wrong))
    assert wrong not in proc.stdout + proc.stderr
    assert "401 Bad credentials" in line and "check GITHUB_TOKEN" in line

    forge.fail_once(404)
    line = _error_line(comment(forge, outs["findings"]))
    assert "404 Not Found" in line and f"repository {REPO} or pull request #{PR} not found" in line

    forge.fail_once(422, message=f"a proxy that echoes the header: Bearer {forge.token}")
    line = _error_line(comment(forge, outs["findings"]))  # comment() asserts the token is not in the output
    assert "422 a proxy that echoes the header: Bearer ***" in line


@pytest.mark.parametrize("kind", ["retry-after", "reset", "429"])
def test_a_rate_limit_is_waited_out(forge: FakeForge, outs: dict[str, Path], kind: str) -> None:
    forge.rate_limit_once(kind, seconds=1, method="POST")
    proc = comment(forge, outs["findings"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("created")
    first, second = [w for w in forge.writes if w.method == "POST"]
    assert second.at - first.at >= 0.9  # it waited as told before trying again
    assert len(_marked(forge)) == 1


def test_a_rate_limit_longer_than_the_wait_budget_is_an_error(forge: FakeForge, outs: dict[str, Path]) -> None:
    forge.rate_limit_once("reset", seconds=3600)
    line = _error_line(comment(forge, outs["findings"], env={"IMPACT_COMMENT_MAX_WAIT": "5"}))
    assert "GitHub rate limit" in line and "IMPACT_COMMENT_MAX_WAIT" in line
    assert len(forge.requests) == 1


def test_server_errors_are_retried(forge: FakeForge, outs: dict[str, Path]) -> None:
    forge.fail_once(500)  # the listing
    proc = comment(forge, outs["findings"])
    assert proc.returncode == 0, proc.stderr
    gets = [r for r in forge.requests if r.method == "GET"]
    assert len(gets) == 2 and gets[1].at - gets[0].at >= 0.9  # after a pause
    assert len(_marked(forge)) == 1

    for _ in range(3):
        forge.fail_once(503, method="PATCH")
    line = _error_line(comment(forge, outs["findings"], env={"IMPACT_COMMENT_MAX_WAIT": "0"}))
    assert "503 Service Unavailable to PATCH" in line and "3 times" in line


def test_a_post_that_worked_behind_a_failing_gateway_is_not_posted_twice(
        forge: FakeForge, outs: dict[str, Path]) -> None:
    forge.fail_once(502, method="POST", applied=True)  # created, but the answer is a 502
    proc = comment(forge, outs["findings"], env={"IMPACT_COMMENT_MAX_WAIT": "0"})
    assert proc.returncode == 0, proc.stderr
    assert [w.method for w in forge.writes] == ["POST", "PATCH"]  # looked again, found it, updated it
    assert len(forge.comments(REPO, PR)) == 1


def test_a_report_over_the_limit_is_cut_at_a_line_with_a_note(
        forge: FakeForge, outs: dict[str, Path], tmp_path: Path) -> None:
    out = shutil.copytree(outs["findings"], tmp_path / "big")
    report = (out / "report.md").read_text()
    rows = "".join(f"| `src/module_{i:05d}.py` | {i} | must change | `document_id: int` |\n" for i in range(2000))
    big = report + "\n<details><summary>All locations</summary>\n\n| file | line | kind | code |\n|---|--:|---|---|\n" \
        + rows + "\n</details>\n"
    assert len(big) > 2 * GITHUB_MAX_BODY
    (out / "report.md").write_text(big)

    proc = comment(forge, out, env={"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": REPO,
                                    "GITHUB_RUN_ID": "4242"})
    assert proc.returncode == 0, proc.stderr
    [posted] = _marked(forge)
    body = posted["body"]
    assert GITHUB_MAX_BODY - 1000 < len(body) <= GITHUB_MAX_BODY
    assert body.startswith(MARK + "\n")
    kept, _, note = body.rpartition("\n---\n")
    assert note.startswith("*Cut at 65,536 characters, the comment limit:") and "more lines are not shown" in note
    assert note.rstrip().endswith(
        f"The full report is {out}/report.md, written by [this workflow run](https://github.com/{REPO}/actions/runs/4242).*")
    kept_lines = kept.removeprefix(MARK + "\n").removesuffix("\n</details>\n").splitlines(keepends=True)
    assert "".join(kept_lines) == f"{big.strip()}\n"[:len("".join(kept_lines))]  # whole lines of the report
    assert kept_lines[-1].endswith("|\n")
    assert kept.endswith("</details>\n")  # the open <details> is closed, so the note shows


def test_gitlab_merge_request_notes(forge: FakeForge, outs: dict[str, Path]) -> None:
    forge.per_page = 2
    forge.add_note("42", 3, "added 1 commit", user="alice", system=True)
    forge.add_note("42", 3, "Please check the exports", user="alice")
    env = {"GITLAB_CI": "true", "CI_API_V4_URL": forge.gitlab_url, "CI_PROJECT_ID": "42",
           "CI_MERGE_REQUEST_IID": "3", "CI_PROJECT_URL": "https://gitlab.example/group/app",
           "GITLAB_TOKEN": forge.token, "IMPACT_COMMENT_MAX_WAIT": "10"}
    first = _run("comment", "--out", str(outs["findings"]), cwd=outs["findings"].parent, env=env)
    assert first.returncode == 0, first.stderr
    [note] = [n for n in forge.notes("42", 3) if n["body"].startswith(MARK)]
    url = f"https://gitlab.example/group/app/-/merge_requests/3#note_{note['id']}"
    assert first.stdout.strip() == f"created the impact comment on 42!3: {url}"
    assert forge.writes[0].headers["private-token"] == forge.token
    assert "authorization" not in forge.writes[0].headers

    forge.add_note("42", 3, "Thanks", user="bob")
    job_env = {k: v for k, v in env.items() if k != "GITLAB_TOKEN"}
    job_env.update({"CI_JOB_TOKEN": forge.token, "CI_COMMIT_SHA": SHA})
    second = _run("comment", "--out", str(outs["clean"]), cwd=outs["clean"].parent, env=job_env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == f"resolved the impact comment on 42!3: {url}"
    put = forge.writes[-1]
    assert (put.method, put.path) == ("PUT", f"/api/v4/projects/42/merge_requests/3/notes/{note['id']}")
    assert put.headers["job-token"] == forge.token
    assert len(forge.notes("42", 3)) == 4
    assert [n["body"] for n in forge.notes("42", 3) if n["body"].startswith(MARK)] == [put.body["body"]]
    assert f"gone as of {SHA}" in put.body["body"]
    assert forge.token not in first.stdout + first.stderr + second.stdout + second.stderr


def test_gitlab_project_path_and_permission(forge: FakeForge, outs: dict[str, Path]) -> None:
    forge.deny_writes = True
    proc = _run("comment", "--out", str(outs["findings"]), "--provider", "gitlab", "--repo", "group/app",
                "--pr", "5", "--api-url", forge.gitlab_url, cwd=outs["findings"].parent,
                env={"GITLAB_TOKEN": forge.token})
    line = _error_line(proc)
    assert "GitLab answered 403" in line and "api scope" in line and forge.token not in line
    assert forge.requests[0].path == "/api/v4/projects/group%2Fapp/merge_requests/5/notes"


def test_defaults_come_from_the_github_actions_environment(
        forge: FakeForge, outs: dict[str, Path], tmp_path: Path) -> None:
    env = forge.actions_env(tmp_path, REPO, PR, sha=SHA)
    proc = _run("comment", "--out", str(outs["findings"]), cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"created the impact comment on {REPO}#{PR}: https://github.com/{REPO}/pull/{PR}")
    assert len(_marked(forge)) == 1

    merge_sha = "f" * 40  # in a pull_request job GITHUB_SHA is the test merge commit; the PR's head is named
    proc = _run("comment", "--out", str(outs["clean"]), cwd=tmp_path, env={**env, "GITHUB_SHA": merge_sha})
    assert proc.stdout.startswith("resolved"), proc.stdout + proc.stderr
    [resolved] = _marked(forge)
    assert f"gone as of {SHA}" in resolved["body"]


def test_outside_ci_the_missing_setting_is_named(outs: dict[str, Path], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process (typer's runner) to keep it quick; the subprocess tests above cover stderr and exit 2."""
    from typer.testing import CliRunner

    from analyzer.cli import Exit, app

    for name in [k for k in os.environ if k.startswith(("GITHUB_", "GITLAB_", "CI_", "IMPACT_")) or k == "CI"]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)

    def error(*args: str) -> str:
        result = CliRunner().invoke(app, ["comment", *args])
        assert isinstance(result.exception, Exit) and result.exception.code == 2, result.output
        assert "\n" not in result.exception.message
        return result.exception.message

    out = str(outs["findings"])
    assert "--repo OWNER/NAME or set GITHUB_REPOSITORY" in error("--out", out)
    assert "pass --pr N" in error("--out", out, "--repo", REPO)
    assert "set GITHUB_TOKEN in the environment" in error("--out", out, "--repo", REPO, "--pr", "7")
    assert "set GITLAB_TOKEN" in error("--out", out, "--provider", "gitlab", "--repo", "g/app", "--pr", "7")
    assert "--provider takes github or gitlab" in error("--out", out, "--provider", "bitbucket")
    assert "--when takes findings or always" in error("--out", out, "--when", "sometimes")
    assert "findings.json not found: run `impact scan --out" in error("--out", str(tmp_path / "nowhere"))
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_x1234567")
    assert "--repo takes OWNER/NAME" in error("--out", out, "--repo", "octo", "--pr", "7")
    assert "plain http" in error("--out", out, "--repo", REPO, "--pr", "7", "--api-url", "http://api.example.com")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_x 1234567")
    message = error("--out", out, "--repo", REPO, "--pr", "7", "--api-url", "https://api.example.com")
    assert "GITHUB_TOKEN holds spaces" in message and "1234567" not in message


def test_dry_run_prints_the_body_and_posts_nothing(forge: FakeForge, outs: dict[str, Path], tmp_path: Path) -> None:
    report = (outs["findings"] / "report.md").read_text()
    offline = _run("comment", "--out", str(outs["findings"]), "--dry-run", cwd=tmp_path, env={})
    assert offline.returncode == 0, offline.stderr
    assert offline.stdout == f"{MARK}\n{report.strip()}\n"
    assert offline.stderr.startswith("dry run, nothing posted: would create the impact comment on the pull request "
                                     "(earlier comments not looked up: no repository)")

    existing = forge.add_comment(REPO, PR, f"{MARK}\nold findings", user="github-actions[bot]")
    online = comment(forge, outs["clean"], "--dry-run")
    assert online.returncode == 0, online.stderr
    assert online.stdout.startswith(f"{MARK}\n**impact: resolved**")
    assert online.stderr.strip() == (f"dry run, nothing posted: would resolve the impact comment on {REPO}#{PR}: "
                                     f"{existing['html_url']}")
    assert forge.writes == [] and forge.comments(REPO, PR)[0]["body"] == f"{MARK}\nold findings"


def test_a_cut_inside_a_code_fence_closes_it() -> None:
    from analyzer.comment import fit

    body = MARK + "\nThe migration:\n```sql\n" + "".join(f"ALTER TABLE t{i} ADD COLUMN id_new uuid;\n"
                                                         for i in range(200)) + "```\nafter\n"
    cut = fit(body, 2_000, "report.md")
    assert len(cut) <= 2_000 and cut.startswith(MARK + "\nThe migration:\n```sql\n")
    kept, _, note = cut.rpartition("\n---\n")
    assert kept.endswith(";\n```\n")  # the fence is closed, so the note is not shown as SQL
    assert "more lines are not shown. The full report is report.md.*" in note
    assert fit(body, len(body), "report.md") == body
