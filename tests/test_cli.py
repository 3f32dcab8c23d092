"""Exit codes and one-line errors, as a user meets them (SPEC: 0 done, 1 findings, 2 usage, 3 database)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from helpers import run_impact


def _one_line_error(proc) -> str:
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.fixture()
def tiny_db(tmp_path: Path) -> str:
    path = tmp_path / "tiny.sqlite"
    con = sqlite3.connect(path)
    con.executescript(
        """
        CREATE TABLE documents (id INTEGER PRIMARY KEY, title TEXT);
        CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE attachments (id INTEGER PRIMARY KEY,
            document_id INTEGER REFERENCES documents(id), user_id INTEGER REFERENCES users(id));
        """
    )
    con.commit()
    con.close()
    return f"sqlite:///{path}"


def test_version(tmp_path: Path) -> None:
    proc = run_impact("--version", cwd=tmp_path)
    assert proc.returncode == 0 and "impact" in proc.stdout


def test_bad_target_spelling_is_a_usage_error(tmp_path: Path, tiny_db: str) -> None:
    proc = run_impact("scan", str(tmp_path), "--db", tiny_db, "--target", "documents", cwd=tmp_path)
    assert proc.returncode == 2
    assert "TABLE.COLUMN" in _one_line_error(proc)


def test_unknown_target_names_the_closest(tmp_path: Path, tiny_db: str) -> None:
    proc = run_impact("scan", str(tmp_path), "--db", tiny_db, "--target", "document.id", cwd=tmp_path)
    assert proc.returncode == 2
    assert "documents" in _one_line_error(proc)


def test_missing_path_is_a_usage_error(tmp_path: Path, tiny_db: str) -> None:
    proc = run_impact("scan", str(tmp_path / "nope"), "--db", tiny_db, "--target", "documents.id", cwd=tmp_path)
    assert proc.returncode == 2
    assert "nope" in _one_line_error(proc)


def test_unreachable_database_exits_3_without_the_password(tmp_path: Path) -> None:
    url = "postgresql://someone:s3cr3t-pw@127.0.0.1:1/nothing"
    proc = run_impact("scan", str(tmp_path), "--db", url, "--target", "a.id", cwd=tmp_path)
    assert proc.returncode == 3
    line = _one_line_error(proc)
    assert "s3cr3t-pw" not in proc.stdout + proc.stderr
    assert "127.0.0.1" in line


def test_bad_format_and_fail_on(tmp_path: Path, tiny_db: str) -> None:
    for args in (("--format", "pdf"), ("--fail-on", "sometimes"), ("--to", "guid")):
        proc = run_impact("scan", str(tmp_path), "--db", tiny_db, "--target", "documents.id", *args,
                          cwd=tmp_path)
        assert proc.returncode == 2, args
        _one_line_error(proc)


def test_scan_exit_codes_follow_fail_on(tmp_path: Path, tiny_db: str) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "api.py").write_text(
        "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
        "@router.get('/documents/{document_id}')\n"
        "def get_document(document_id: int, user_id: int):\n"
        "    return {'id': document_id}\n"
    )
    out = tmp_path / "out"
    common = ("scan", str(src), "--db", tiny_db, "--target", "documents.id", "--out", str(out), "-q")
    failing = run_impact(*common, cwd=tmp_path)
    assert failing.returncode == 1, failing.stderr
    assert (out / "findings.json").is_file()
    passing = run_impact(*common, "--fail-on", "never", cwd=tmp_path)
    assert passing.returncode == 0, passing.stderr
    # --quiet: no summary, no "wrote ..." and no "✔ python: ... compile" line (warnings only, as ruff -q)
    assert passing.stdout.strip() == "" and passing.stderr.strip() == "", (passing.stdout, passing.stderr)
    loud = run_impact(*common[:-1], "--fail-on", "never", cwd=tmp_path)
    assert "wrote " in loud.stdout and "✔" in loud.stdout, loud.stdout


def test_rules_list_and_show(tmp_path: Path) -> None:
    listing = run_impact("rules", "list", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert "PY" in listing.stdout and "TS" in listing.stdout
    unknown = run_impact("rules", "show", "NOPE999", cwd=tmp_path)
    assert unknown.returncode == 2


def test_short_help_and_version_everywhere(tmp_path: Path) -> None:
    for args in (("-h",), ("rules", "-h"), ("rules", "list", "-h"), ("scan", "-h"), ("plan", "-h"), ("apply", "-h")):
        proc = run_impact(*args, cwd=tmp_path)
        assert proc.returncode == 0, (args, proc.stderr)
        assert f"Usage: impact {' '.join(args[:-1])}".rstrip() in " ".join(proc.stdout.split()), args
    short, long = run_impact("-V", cwd=tmp_path), run_impact("--version", cwd=tmp_path)
    assert short.returncode == 0 and short.stdout == long.stdout and short.stdout.startswith("impact ")


def test_completion_script_for_a_named_shell_without_a_terminal(tmp_path: Path) -> None:
    bash = run_impact("--show-completion", "bash", cwd=tmp_path, env={"SHELL": ""})
    assert bash.returncode == 0, bash.stderr
    assert "complete -o default -F _impact_completion impact" in bash.stdout
    zsh = run_impact("--show-completion", "zsh", cwd=tmp_path)
    assert zsh.stdout.startswith("#compdef impact"), zsh.stdout  # the shell asked for, not the one running
    bad = run_impact("--show-completion", "tcsh", cwd=tmp_path)
    assert bad.returncode == 2 and "bash" in _one_line_error(bad)


def test_completion_completes_in_a_real_bash(tmp_path: Path) -> None:
    """The printed script, sourced in bash, completes sub-commands through the installed `impact`."""
    import shutil
    import subprocess

    from helpers import impact_cmd

    if shutil.which("bash") is None:
        pytest.skip("no bash on this machine")
    script = run_impact("--show-completion", "bash", cwd=tmp_path).stdout
    exe = Path(impact_cmd()[0])
    if exe.name != "impact":
        pytest.skip("the completion script calls the `impact` executable, not installed here")
    probe = f'{script}\nCOMP_WORDS=(impact rules ""); COMP_CWORD=2; _impact_completion impact; echo "${{COMPREPLY[@]}}"'
    done = subprocess.run(["bash", "--norc", "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={"PATH": f"{exe.parent}:/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.stdout.split() == ["list", "show"], done.stderr


def test_install_completion_writes_to_the_named_shell(tmp_path: Path) -> None:
    proc = run_impact("--install-completion", "bash", cwd=tmp_path, env={"HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    installed = tmp_path / ".bash_completions" / "impact.sh"
    assert "_impact_completion" in installed.read_text()
    assert f"source '{installed}'" in (tmp_path / ".bashrc").read_text()


def test_rules_list_reads_at_80_columns(tmp_path: Path) -> None:
    from analyzer.cli import _catalogue

    codes = [m.code for m in _catalogue()]
    names = [m.name for m in _catalogue()]
    narrow = run_impact("rules", "list", cwd=tmp_path, env={"COLUMNS": "80"})
    assert narrow.returncode == 0, narrow.stderr
    lines = narrow.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    for code, name in zip(codes, names, strict=True):  # code and name whole, on the rule's own line: nothing squeezed to "…"
        assert any(line.split()[:2] == [code, name] for line in lines if line.strip()), code
    assert "…" not in narrow.stdout
    wide = run_impact("rules", "list", cwd=tmp_path, env={"COLUMNS": "200"})
    assert "summary" in wide.stdout.splitlines()[1] and all(len(line) <= 200 for line in wide.stdout.splitlines())


def test_unknown_rule_in_config_names_the_closest(tmp_path: Path, tiny_db: str) -> None:
    common = ("scan", str(tmp_path), "--db", tiny_db, "--target", "documents.id", "--out", str(tmp_path / "out"),
              "-q", "--fail-on", "never")
    (tmp_path / "pyproject.toml").write_text('[tool.impact.rules]\nPY031 = "off"\n')
    proc = run_impact(*common, cwd=tmp_path)
    assert proc.returncode == 2
    line = _one_line_error(proc)
    assert "PY031" in line and "PY030" in line and "PY032" in line
    (tmp_path / "pyproject.toml").write_text('[tool.impact.rules]\nPY030 = "off"\n')
    ok = run_impact(*common, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
