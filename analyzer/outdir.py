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

import json
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


#: what an out folder written before the marker existed may hold (files, and patches/ with its index)
_LEGACY_FILES = ("report.html", "report.md", "findings.json", "findings.sarif", "migration.sql", "plan.json")
MARKER = ".impact-outputs.json"


def _ours(out_dir: Path) -> set[str]:
    """The names the previous run wrote here: the marker's list, else what an older impact wrote."""
    try:
        names = json.loads((out_dir / MARKER).read_text(encoding="utf-8"))["names"]
        return {n for n in names if isinstance(n, str) and n in OWNED}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    found = {n for n in _LEGACY_FILES if (out_dir / n).is_file() and not (out_dir / n).is_symlink()}
    if (out_dir / "patches" / "index.json").is_file():
        found.add("patches")
    return found


def _swap(stage: Path, out_dir: Path) -> None:
    """Retire the previous run's outputs and move the new ones in. A name impact is about to write that
    already exists but was not written by impact (`--out .` in a project with its own `migrations/` or
    `patches/`) stops the run before anything is moved: impact never replaces what it did not write."""
    new = sorted(entry.name for entry in stage.iterdir())
    ours = _ours(out_dir)
    foreign = [n for n in new if n not in ours and ((out_dir / n).exists() or (out_dir / n).is_symlink())]
    if foreign:
        from analyzer.pipeline import UsageError

        raise UsageError(f"--out {out_dir}: {', '.join(foreign)} already there and not written by impact; "
                         "choose another --out (nothing was replaced)")
    retired = Path(tempfile.mkdtemp(prefix=RETIRED_PREFIX, dir=out_dir))
    try:
        with _signals_deferred():
            # first claim both runs' names, so a crash in the middle of the renames leaves them ours
            (out_dir / MARKER).write_text(json.dumps({"names": sorted(ours | set(new))}) + "\n", encoding="utf-8")
            for name in sorted(ours):
                old = out_dir / name
                if old.exists() or old.is_symlink():
                    os.replace(old, retired / name)
            for name in new:
                os.replace(stage / name, out_dir / name)
            (out_dir / MARKER).write_text(json.dumps({"names": new}) + "\n", encoding="utf-8")
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
