"""The pre-commit hook (.pre-commit-hooks.yaml), run for real: its entry and args exactly as declared,
in a git repository made in tmp_path, on what is staged.

pre-commit itself is not installed here, and `pre-commit try-repo` would pip-install this package into
a fresh environment (the network), so the hook's command is run directly; pre-commit would stash the
unstaged changes first, and these tests leave none.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from analyzer.rules.python._examples import MODELS
from helpers import REPO, impact_cmd, run_impact, write_tree

from analyzer.sources import EXTENSIONS

HOOKS = REPO / ".pre-commit-hooks.yaml"
USER_ARGS = ["--target", "content_items.id", "--to", "uuid"]  # what a user's .pre-commit-config.yaml adds
SCHEMAS = "from pydantic import BaseModel\n\n\nclass UserOut(BaseModel):\n    name: str\n"
WITH_KEY = SCHEMAS + "\n\nclass ImageOut(BaseModel):\n    content_id: int\n"


def _hook() -> dict[str, object]:
    [hook] = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    return hook


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True).stdout


def _stage(repo: Path, files: dict[str, str]) -> None:
    write_tree(repo, files)
    _git(repo, "add", *files)


def run_hook(repo: Path, args: list[str] = USER_ARGS) -> subprocess.CompletedProcess[str]:
    """`entry` + `args`, as pre-commit runs them (pass_filenames: false), from the repository's top."""
    hook = _hook()
    entry = shlex.split(str(hook["entry"]))
    assert entry[0] == "impact"
    cmd = [*impact_cmd(), *entry[1:], *args]
    env = {k: v for k, v in os.environ.items() if k != "IMPACT_DATABASE_URL"}
    return subprocess.run(cmd, cwd=repo, env={**env, "COLUMNS": "200"}, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A small app committed, with the baseline made as the hook's message says, and committed too."""
    repo = tmp_path / "app"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _stage(repo, {"app/models.py": MODELS, "app/schemas.py": SCHEMAS})
    _git(repo, "commit", "-q", "-m", "app")
    made = run_impact("scan", ".", *USER_ARGS, "--format", "json", "--out", str(tmp_path / "baseline"), "--quiet",
                      cwd=repo)
    assert made.returncode == 1, made.stderr  # the models' columns are must-change: the baseline knows them
    shutil.copy(tmp_path / "baseline" / "findings.json", repo / ".impact-baseline.json")
    _git(repo, "add", ".impact-baseline.json")
    _git(repo, "commit", "-q", "-m", "impact baseline")
    return repo


def test_declaration() -> None:
    hook = _hook()
    assert hook["id"] == "impact" and hook["language"] == "python"
    assert hook["pass_filenames"] is False and hook["require_serial"] is True
    entry = shlex.split(str(hook["entry"]))
    for flags in (["--diff-base", "HEAD"], ["--fail-on", "error"], ["--out", "-"],
                  ["--baseline", ".impact-baseline.json"]):
        assert any(entry[i:i + 2] == flags for i in range(len(entry))), flags
    # identify's tags for what the scan reads (.py, .sql, .ts/.tsx, .js/.jsx/.mjs/.cjs), and nothing else
    assert set(hook["types_or"]) == {"python", "sql", "ts", "tsx", "javascript", "jsx"}  # type: ignore[arg-type]
    assert {".py", ".sql", ".ts", ".tsx", ".js", ".jsx"} <= set(EXTENSIONS)


def test_new_must_change_finding_fails_the_commit(repo: Path) -> None:
    _stage(repo, {"app/schemas.py": WITH_KEY})
    done = run_hook(repo)
    assert done.returncode == 1, done.stderr
    assert "app/schemas.py:9:5: PY020 [error] `ImageOut.content_id` holds the key" in done.stdout
    assert "PY001" not in done.stdout  # the models' findings are in the baseline and not in the change
    assert _git(repo, "status", "--porcelain", "--untracked-files=all").splitlines() == ["M  app/schemas.py"]


def test_change_without_new_finding_passes(repo: Path) -> None:
    _stage(repo, {"app/schemas.py": SCHEMAS + "\n\nclass TagOut(BaseModel):\n    label: str\n",
                  "app/util.py": "def slug(text: str) -> str:\n    return text.lower()\n"})
    done = run_hook(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == "0 findings"


def test_finding_known_to_the_baseline_passes(repo: Path) -> None:
    # a change to models.py's key lines, whose must-change columns the baseline holds (fingerprints carry no
    # line number, nor the line's comment)
    key_lines = ("mapped_column(Integer", '"content_items.id"')
    edited = "".join(line + ("  # reviewed\n" if any(k in line for k in key_lines) else "\n")
                     for line in MODELS.splitlines())
    _stage(repo, {"app/models.py": '"""The ORM models."""\n' + edited})
    done = run_hook(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines() == ["0 findings; 2 known to the baseline"]
    # without the baseline the same change fails: the pass above is the baseline's doing
    empty = repo / ".git" / "empty-baseline.json"
    empty.write_text(json.dumps({"findings": []}), encoding="utf-8")
    done = run_hook(repo, [*USER_ARGS, "--baseline", str(empty)])  # args come after the entry: they win
    assert done.returncode == 1 and "app/models.py:12:5: PY001 [error]" in done.stdout, done.stdout


def test_warnings_are_listed_but_pass(repo: Path) -> None:
    # a suppression without a reason: suppressed, reported as IM001 (warning), and the commit goes through
    _stage(repo, {"app/schemas.py": WITH_KEY.replace("content_id: int", "content_id: int  # impact: ignore[PY020]")})
    done = run_hook(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "app/schemas.py:9:22: IM001 [warning]" in done.stdout and "PY020" not in done.stdout.replace(
        "ignore[PY020]", "")


def test_missing_baseline_says_how_to_make_it(tmp_path: Path) -> None:
    repo = tmp_path / "fresh"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _stage(repo, {"app/models.py": MODELS, "app/schemas.py": SCHEMAS})
    _git(repo, "commit", "-q", "-m", "app")
    done = run_hook(repo)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: --baseline .impact-baseline.json: no such file;")
    made = line.split("commit it: ", 1)[1]
    assert made == ("impact scan . --target content_items.id --to uuid --format json --out impact-baseline "
                    "&& cp impact-baseline/findings.json .impact-baseline.json")
    # the advice works as given (its out folder moved out of the work tree): the hook then runs
    scan, _ = made.split(" && ")
    argv = [*impact_cmd(), *shlex.split(scan)[1:]]
    argv[argv.index("impact-baseline")] = str(tmp_path / "made")
    assert subprocess.run(argv, cwd=repo, capture_output=True, text=True, timeout=120).returncode == 1
    shutil.copy(tmp_path / "made" / "findings.json", repo / ".impact-baseline.json")
    _stage(repo, {"app/schemas.py": WITH_KEY})
    done = run_hook(repo)
    assert done.returncode == 1 and "PY020" in done.stdout and "PY001" not in done.stdout, done.stdout
