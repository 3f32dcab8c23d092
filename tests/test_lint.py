"""ruff and mypy are part of the test command (STYLE.md): style drift fails like a broken test."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO


def _tool(name: str) -> str:
    found = Path(sys.executable).with_name(name)
    if found.exists():
        return str(found)
    which = shutil.which(name)
    if which is None:
        pytest.fail(f"{name} is not installed: it is part of the 'test' extra")
    return which


def test_ruff() -> None:
    proc = subprocess.run([_tool("ruff"), "check", "analyzer", "rules", "reports", "tests", "benchmarks", "scripts"],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy() -> None:
    proc = subprocess.run([_tool("mypy"), "--no-error-summary", "analyzer", "rules", "reports"],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
