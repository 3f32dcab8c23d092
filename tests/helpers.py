"""Running the installed `impact` command the way a user does: a subprocess, outside the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def impact_cmd() -> list[str]:
    script = Path(sys.executable).with_name("impact")
    return [str(script)] if script.exists() else [sys.executable, "-m", "analyzer"]


def run_impact(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
               ) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    full_env.pop("IMPACT_DATABASE_URL", None) if env is None or "IMPACT_DATABASE_URL" not in env else None
    return subprocess.run([*impact_cmd(), *args], cwd=cwd, env=full_env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
