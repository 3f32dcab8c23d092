"""workers.aside: what a run leaves behind (diff mode's snapshot of the final facts, 5.5 MB and 0.28 s on polar)
is written by a child while a one-shot process goes on, and the command line waits for it before it ends
(workers.finish): the file is there when `impact scan` returns, and no process is left running. Elsewhere (a
long-lived process: the tests, a library caller) it is written there and then. A child that fails leaves the
file missing, never the run failed."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from helpers import REPO, run_impact

from analyzer import workers


def _write(path: Path, text: str, pause: float = 0.0) -> None:
    time.sleep(pause)
    path.write_text(text, encoding="utf-8")


def _fail(path: Path) -> None:
    raise RuntimeError("the child fails")


def test_a_one_shot_process_writes_in_a_child_and_waits_for_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    monkeypatch.setattr(workers, "ONE_SHOT", True)
    monkeypatch.setattr(workers, "_aside", [])
    out = tmp_path / "snapshot.txt"
    workers.aside(_write, out, "facts", 0.5)
    assert len(workers._aside) == 1 and workers._aside[0] != os.getpid()
    assert not out.exists()  # the parent went on while the child sleeps
    workers.finish()
    assert out.read_text(encoding="utf-8") == "facts" and workers._aside == []

    workers.aside(_fail, out)  # a failing child: the parent goes on, and finish returns
    workers.finish()
    assert workers._aside == []


def test_elsewhere_it_is_written_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "ONE_SHOT", False)
    monkeypatch.setattr(workers, "_aside", [])
    out = tmp_path / "snapshot.txt"
    workers.aside(_write, out, "facts")
    assert out.read_text(encoding="utf-8") == "facts" and workers._aside == []


def test_the_snapshot_is_on_disk_when_the_command_returns(tmp_path: Path) -> None:
    app = REPO / "fixtures" / "content_app" / "backend"
    if not app.is_dir():
        pytest.skip("fixture app not present")
    tree = tmp_path / "backend"
    shutil.copytree(app, tree, ignore=shutil.ignore_patterns(".impact-cache"))
    cache = tmp_path / "cache"
    done = run_impact("scan", str(tree), "--target", "content_items.id", "--to", "uuid", "--format", "json",
                      "--out", str(tmp_path / "out"), "--cache-dir", str(cache), "--jobs", "2", cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    facts = list(cache.glob("facts-*.pickle"))
    assert len(facts) == 1 and facts[0].stat().st_size > 10_000
    assert not list(cache.glob(".tmp-*"))  # written whole (a temporary file renamed), not being written


def test_the_command_line_ends_after_its_children(tmp_path: Path) -> None:
    """analyzer.cli._leave (how `impact` ends) waits for them: a slow child's file is there when the process is."""
    import subprocess
    import sys

    out = tmp_path / "late.txt"
    code = ("import time, pathlib\n"
            "from analyzer import cli, workers\n"
            "workers.ONE_SHOT = True\n"
            "def late(path):\n"
            "    time.sleep(1.0)\n"
            "    pathlib.Path(path).write_text('written', encoding='utf-8')\n"
            f"workers.aside(late, {str(out)!r})\n"
            "cli._leave(0)\n")
    # (no pipes: a child holding them open would keep `run` waiting whatever the process did)
    done = subprocess.run([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          timeout=60, cwd=REPO)
    assert done.returncode == 0
    assert out.read_text(encoding="utf-8") == "written"


def _slow_double(value: int, pause: float) -> int:
    time.sleep(pause)
    return value * 2


def test_a_worker_says_without_waiting_whether_its_result_is_there() -> None:
    """Worker.ready: the pipeline writes the snapshot in place while the TypeScript worker still runs (this process
    would only wait for it), in a child once it is done."""
    worker = workers.fork(_slow_double, 1.0)
    assert worker is not None
    worker.send(21)
    started = time.monotonic()
    assert not worker.ready()
    assert time.monotonic() - started < 0.5  # (asked, not waited for)
    deadline = time.monotonic() + 30
    while not worker.ready() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert worker.ready() and worker.result() == 42 and worker.ready()


def test_ctrl_c_while_the_command_line_waits_stops_the_children_without_a_traceback(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = ("import os, signal, threading, time\n"
            "signal.signal(signal.SIGINT, signal.default_int_handler)\n"  # (a runner started in the background
            "from analyzer import cli, workers\n"                          # leaves SIGINT ignored)
            "workers.ONE_SHOT = True\n"
            "def slow(path):\n"
            "    time.sleep(30)\n"
            f"workers.aside(slow, {str(tmp_path / 'never.txt')!r})\n"
            "threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()\n"
            "cli._leave(0)\n")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert time.monotonic() - started < 15  # (the child would sleep 30 s)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert not (tmp_path / "never.txt").exists()
