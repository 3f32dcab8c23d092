"""The out folder holds exactly one scan's outputs: written aside, then swapped in by renames.

`impact scan|plan|demo --out DIR` used to write file after file into DIR, so an interrupted run left a
new report beside the previous run's findings and patches (and `impact apply` would then apply patches
that no report described). Now everything is written into a staging folder inside DIR, and only when
it is complete are the previous outputs moved aside and the new ones renamed in. DIR itself is never
replaced: it may hold files impact did not write (the demo's `demo-app/` that `patches/index.json`
points at, a user's notes), and those are never touched. Only the names in `OWNED` are impact's.

The staging folder lives inside DIR rather than beside it: a rename never crosses a file system (DIR
may be a mounted CI artifacts volume), and an interrupted run leaves its debris where the next run
sweeps it, not in the user's project. The swap retires every old output before moving any new one in,
so at any instant DIR holds outputs of one run only (of the old run, or of the new one, maybe partly
during the few renames); SIGINT and SIGTERM wait until the renames are done.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

#: every name impact writes into an out folder; a new run replaces all of them and nothing else
OWNED: tuple[str, ...] = (
    "report.html", "report.md", "findings.json", "findings.sarif",
    "patches", "migration.sql", "migrations", "plan.json",
)
STAGING_PREFIX = ".impact-staging-"
RETIRED_PREFIX = ".impact-retired-"


def sweep(out_dir: Path) -> None:
    """Remove what an interrupted earlier run left behind (its staging and retired folders)."""
    if not out_dir.is_dir():
        return
    for entry in out_dir.iterdir():
        if entry.name.startswith((STAGING_PREFIX, RETIRED_PREFIX)) and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)


def write_swapped(out_dir: Path, write: Callable[[Path], list[Path]]) -> list[Path]:
    """Run `write(stage)` on an empty staging folder, then swap its entries into `out_dir`.

    Returns the written paths as they are in `out_dir` after the swap. If `write` raises (or the run is
    interrupted before the swap), `out_dir` is left exactly as it was.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    sweep(out_dir)
    stage = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))
    try:
        written = write(stage)
        _swap(stage, out_dir)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return [out_dir / p.relative_to(stage) for p in written]


def _swap(stage: Path, out_dir: Path) -> None:
    new = sorted(entry.name for entry in stage.iterdir())
    retired = Path(tempfile.mkdtemp(prefix=RETIRED_PREFIX, dir=out_dir))
    try:
        with _signals_deferred():
            for name in dict.fromkeys((*OWNED, *new)):
                old = out_dir / name
                if old.exists() or old.is_symlink():
                    os.replace(old, retired / name)
            for name in new:
                os.replace(stage / name, out_dir / name)
    finally:
        shutil.rmtree(retired, ignore_errors=True)


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM for the few renames of the swap, then deliver them."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, lambda signum, _frame: pending.append(signum))
        except (OSError, ValueError):  # pragma: no cover - a platform without the signal
            continue
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
        for signum in dict.fromkeys(pending):
            signal.raise_signal(signum)
