"""`impact` at a real terminal: a pseudo-terminal, colours and progress bars on.

The suite once passed while every interactive run crashed (the Python scan called the progress callback
with a keyword the CLI's bar did not take): pipes turn the bar off, so only a pty shows it.
"""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import time
from pathlib import Path

from helpers import impact_cmd

from analyzer.demo import fixture_app


def _run_in_pty(args: list[str], cwd: Path, timeout: float = 240) -> tuple[int, str]:
    """Run the command with a pty as stdin/stdout/stderr; return its exit code and everything it drew."""
    leader, follower = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    for name in ("CI", "NO_COLOR", "TERM_PROGRAM", "IMPACT_DATABASE_URL"):
        env.pop(name, None)  # rich turns colour and live display off on CI
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdin=follower, stdout=follower, stderr=follower,
                            close_fds=True, start_new_session=True)
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                data = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    else:
        proc.kill()
    code = proc.wait(timeout=30)
    os.close(leader)
    return code, b"".join(chunks).decode("utf-8", "replace")


def test_demo_at_a_terminal_draws_a_progress_bar_and_exits_0(tmp_path: Path) -> None:
    code, screen = _run_in_pty([*impact_cmd(), "demo"], cwd=tmp_path)
    assert code == 0, screen[-2000:]
    assert "Traceback" not in screen and "error:" not in screen
    assert "\x1b[" in screen, "no colour at a terminal"
    assert "━" in screen, "no progress bar at a terminal"
    assert "scanning Python" in screen
    assert (tmp_path / "impact-report" / "findings.json").is_file()


def test_scan_at_a_terminal_draws_a_progress_bar_and_exits_0(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(fixture_app(), app)
    # the models are the schema (no --db): the same path a user takes before pointing at a database
    code, screen = _run_in_pty([*impact_cmd(), "scan", "backend", "frontend", "--target", "content_items.id",
                                "--fail-on", "never", "--no-typecheck", "--out", str(tmp_path / "out")], cwd=app)
    assert code == 0, screen[-2000:]
    assert "Traceback" not in screen and "error:" not in screen
    assert "━" in screen and "scanning" in screen
    assert (tmp_path / "out" / "report.html").is_file()
