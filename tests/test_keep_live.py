"""A one-shot process (the command line) keeps the Python scan's final facts until it exits instead of freeing
them object by object (workers.keep), but not when the TypeScript scan runs in the same process next: its trees
would come on top of the Python ones (onyx with `--jobs 1`: peak RSS 952 -> 1,251 MB when they were kept)."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

import pytest

from analyzer import workers
from analyzer.config import Config
from analyzer.models import SourceFile
from analyzer.pipeline import ScanOptions, run_scan

APP = Path(__file__).resolve().parent.parent / "fixtures" / "content_app"


@pytest.fixture()
def one_shot(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    kept: list[object] = []
    monkeypatch.setattr(workers, "ONE_SHOT", True)
    monkeypatch.setattr(workers, "_kept", kept)
    yield kept
    kept.clear()
    gc.unfreeze()  # what the one-shot scan froze, handed back to the collector of this long-lived process


def _scan(tmp_path: Path, parts: tuple[str, ...]) -> int:
    dest = tmp_path / "app"
    for part in parts:
        shutil.copytree(APP / part, dest / part, ignore=shutil.ignore_patterns(".impact-cache", "node_modules"))
    report = run_scan(ScanOptions(roots=tuple(str(dest / p) for p in parts), targets=("content_items.id",),
                                  config=Config(jobs=1, cache=False)))
    return len(report.findings)


def test_kept_when_no_typescript_scan_follows(one_shot: list[object], tmp_path: Path) -> None:
    assert _scan(tmp_path, ("backend",)) > 0
    assert len(one_shot) == 1
    parsed = one_shot[0][0]  # type: ignore[index]
    assert any(path.endswith(".py") for path in parsed)


def test_not_kept_when_the_typescript_scan_runs_here(one_shot: list[object], tmp_path: Path) -> None:
    assert _scan(tmp_path, ("backend", "frontend")) > 0
    assert one_shot == []


def test_the_collector_is_off_during_the_scan_and_as_it_was_after(tmp_path: Path) -> None:
    """What a scan builds lives until its end: the cyclic collector stays off while it runs (polar: 4,400
    collections, 1.6 s of the parent's time, for 2 MB), and comes back as it was, on or off."""
    from analyzer.rules.python._examples import CLOSURE, MODELS
    from helpers import python_sources

    from analyzer.python import scan_python

    files = python_sources(tmp_path, {"app/models.py": MODELS,
                                      "app/api.py": "def show(content_id: int) -> int:\n    return content_id\n"})
    seen: list[bool] = []
    was = gc.isenabled()
    try:
        for enabled in (True, False):
            gc.enable() if enabled else gc.disable()
            result = scan_python(files, CLOSURE, Config(jobs=1), on_seeds=lambda _s: seen.append(gc.isenabled()))
            assert any(f.path == "app/api.py" for f in result.findings)
            assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
    assert seen == [False, False]


def test_a_one_shot_scan_leaves_nothing_young_for_the_collector(one_shot: list[object], tmp_path: Path) -> None:
    """In a one-shot process, what the scan made with the collector off is frozen when it ends: else the first
    collection after walks all of it (polar: 0.1 s, on the way to the report). A long-lived process gets it back."""
    from analyzer.rules.python._examples import CLOSURE, MODELS
    from helpers import python_sources

    from analyzer.python import scan_python

    files = python_sources(tmp_path, {"app/models.py": MODELS,
                                      "app/api.py": "def show(content_id: int) -> int:\n    return content_id\n"})
    was = gc.isenabled()
    gc.enable()
    try:
        frozen = gc.get_freeze_count()
        result = scan_python(files, CLOSURE, Config(jobs=1))
        young = gc.get_count()[0]
        assert any(f.path == "app/api.py" for f in result.findings)
        assert gc.get_freeze_count() > frozen + 1000 and young < 100, (gc.get_freeze_count() - frozen, young)
        workers.ONE_SHOT = False
        gc.unfreeze()
        frozen = gc.get_freeze_count()
        scan_python(files, CLOSURE, Config(jobs=1))
        assert gc.get_freeze_count() == frozen
    finally:
        gc.enable() if was else gc.disable()


@pytest.mark.parametrize("one", [True, False])
def test_the_typescript_stages_leave_nothing_young_in_a_one_shot_process(one: bool, monkeypatch: pytest.MonkeyPatch,
                                                                         tmp_path: Path) -> None:
    """The TypeScript scan's two stages (`prepare` in the worker while the Python rounds run, then the scan) also run
    with the collector off: in a one-shot process what each made is frozen when it ends (polar's worker: 0.15 s and
    0.03 s of collections otherwise); in a long-lived one, nothing is."""
    from analyzer.models import KeySeeds
    from analyzer.typescript.scan import prepare, scan_typescript

    monkeypatch.setattr(workers, "ONE_SHOT", one)
    src = APP / "frontend" / "src"
    files = [SourceFile(str(APP / "frontend"), str(p), str(p.relative_to(APP / "frontend")), "typescript")
             for p in sorted(src.rglob("*.ts*"))]
    was = gc.isenabled()
    gc.enable()
    gc.unfreeze()
    try:
        ready = prepare(files, Config())
        assert gc.isenabled() and ready.indexes
        assert (gc.get_freeze_count() > 1000) is one and (gc.get_count()[0] < 100 or not one)
        gc.unfreeze()
        scan_typescript(files, KeySeeds(), Config(), prepared=ready)
        assert (gc.get_freeze_count() > 100) is one, gc.get_freeze_count()
    finally:
        gc.unfreeze()
        gc.enable() if was else gc.disable()
