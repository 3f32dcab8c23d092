"""The scan cache and the worker leave the findings as they are (issue 15).

The content_app fixture (back end and front end) is scanned with every shortcut off (no cache, one
process, the Python rounds and the TypeScript prefilter in their THOROUGH mode) and then with the cache
cold, warm, after changes the cache can absorb and after changes it cannot, with one and two jobs: the
findings are the same each time, and the cache says what it did.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import REPO, seed_fixture_db

from analyzer.config import Config
from analyzer.models import Report
from analyzer.pipeline import ScanOptions, run_scan

APP = REPO / "fixtures" / "content_app"


@pytest.fixture()
def app(tmp_path: Path) -> Path:
    if not (APP / "backend").is_dir():
        pytest.skip("fixture app not present")
    dest = tmp_path / "app"
    for part in ("backend", "frontend"):
        shutil.copytree(APP / part, dest / part, ignore=shutil.ignore_patterns(".impact-cache", "node_modules"))
    return dest


def scan(app: Path, cache: Path | None, jobs: int = 1) -> Report:
    cfg = Config(jobs=jobs, cache=cache is not None)
    return run_scan(ScanOptions(roots=(str(app / "backend"), str(app / "frontend")), targets=("content_items.id",),
                                config=cfg, cache_dir=cache))


def thorough(app: Path, monkeypatch: pytest.MonkeyPatch) -> Report:
    from analyzer.python import engine, parsed
    from analyzer.typescript import scan as ts_scan

    engine._CACHE.clear()
    with monkeypatch.context() as m:
        m.setattr(engine, "THOROUGH", True)
        m.setattr(ts_scan, "THOROUGH", True)
        m.setattr(parsed, "_FAST", False)  # every file parsed by LibCST, none built from ast (fastparse)
        report = scan(app, None)
    engine._CACHE.clear()
    return report


def small_rounds_parallel(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Two-job scans of a fixture parse each round's Python files on both cores (analyzer.python.parallel),
    as a large tree's do; the count of parse children is returned (it grows as they run)."""
    from analyzer import workers
    from analyzer.python import engine, parallel

    engine._CACHE.clear()  # trees kept from an earlier scan in this process would not be parsed again
    monkeypatch.setattr(parallel, "MIN_FILES", 2)
    monkeypatch.setattr(parallel, "MIN_CHARS", 0)
    monkeypatch.setattr(parallel, "AHEAD_MIN_CHARS", 0)  # the files of later rounds parsed ahead (parallel.Ahead)
    count = {"children": 0, "ahead": 0}
    fork = workers.fork
    take = parallel.Ahead.take

    def counting(fn: object, *args: object, **kwargs: object) -> object:
        if fn is parallel._child:
            count["children"] += 1
        return fork(fn, *args, **kwargs)  # type: ignore[arg-type]

    def finished(self: parallel.Ahead, finish: bool = False) -> dict[str, str]:
        got = take(self, finish=True)  # every file of the fixture parsed ahead, wherever the rounds are
        count["ahead"] += len(got)
        return got

    monkeypatch.setattr(workers, "fork", counting)
    monkeypatch.setattr(parallel.Ahead, "take", finished)
    return count


def same(a: Report, b: Report) -> None:
    assert [f.fingerprint for f in a.findings] == [f.fingerprint for f in b.findings]
    assert a.findings == b.findings
    assert [(o.path, o.status) for o in a.outcomes] == [(o.path, o.status) for o in b.outcomes]


def used(report: Report) -> object:
    stats = report.extras["stats"]
    assert isinstance(stats, dict)
    return stats["cache"]


def test_cache_and_jobs_leave_the_findings_as_they_are(app: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    reference = thorough(app, monkeypatch)
    assert len(reference.findings) > 50
    cache = tmp_path / "cache"
    few = small_rounds_parallel(monkeypatch)
    cold = scan(app, cache, jobs=2)
    assert few["children"] > 0  # the Python files were parsed on both cores
    assert few["ahead"] > 0  # and a later round's ahead of it
    assert used(cold) == "stored"
    stats = cold.extras["stats"]
    assert isinstance(stats, dict) and stats["typescript"].get("worker") == 1.0  # the worker did run
    warm = scan(app, cache, jobs=1)
    assert used(warm) == "hit"
    for got in (cold, warm, scan(app, None, jobs=2), scan(app, None, jobs=1)):
        same(got, reference)
    assert (cache / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"


def test_changes_the_cache_absorbs_and_those_it_does_not(app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    scan(app, cache)
    # a Python file no word of the key reaches: the stored scan stands, the new file's outcome is added
    (app / "backend" / "app" / "unrelated.py").write_text("def total(xs):\n    return sum(xs)\n", encoding="utf-8")
    got = scan(app, cache)
    assert used(got) == "reused"
    same(got, scan(app, None))
    assert any(o.path == "backend/app/unrelated.py" and o.status == "ok" for o in got.outcomes)
    assert used(scan(app, cache)) == "hit"  # what was absorbed is stored: the same files again are a hit
    # a TypeScript file the front end's prefilter leaves out again (no key word, no import from or to a
    # kept file): both scans stand
    util = app / "frontend" / "src" / "lib" / "sum.ts"
    util.parent.mkdir(parents=True, exist_ok=True)
    util.write_text("export const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);\n", encoding="utf-8")
    got = scan(app, cache)
    assert used(got) == "reused"
    same(got, scan(app, None))
    assert any(o.path == "frontend/src/lib/sum.ts" and o.status == "ok" for o in got.outcomes)
    # a TypeScript file that names the key: the Python side stands, the TypeScript scan runs again from the
    # same seeds
    page = next(p for p in sorted((app / "frontend").rglob("*.tsx")) if "node_modules" not in p.parts)
    page.write_text(page.read_text(encoding="utf-8") + "\nexport const contentIdOf = (c: { id: number }) => c.id;\n",
                    encoding="utf-8")
    got = scan(app, cache)
    assert used(got) == "python reused"
    same(got, scan(app, None))
    # a Python file that mentions the key: a full scan
    (app / "backend" / "app" / "more.py").write_text(
        "from app.models import ContentItem\n\n\ndef first_id(items: list[ContentItem]) -> int:\n"
        "    return items[0].id\n", encoding="utf-8")
    got = scan(app, cache)
    assert used(got) == "stored"
    fresh = scan(app, None)
    same(got, fresh)
    assert any(f.path == "backend/app/more.py" for f in fresh.findings)
    # and back to a state stored before: read back
    (app / "backend" / "app" / "more.py").unlink()
    assert used(scan(app, cache)) == "hit"


def test_no_cache_where_it_cannot_be_written(app: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    got = scan(app, blocked / "cache")
    assert used(got) == "off"
    same(got, scan(app, None))


def test_size_cap_keeps_the_newest_entries(tmp_path: Path) -> None:
    from analyzer.cache import ScanCache

    store = ScanCache.open(tmp_path / "c", max_bytes=3000)
    assert store is not None
    for i in range(5):
        (store.dir / f"scan-{i}.pickle").write_bytes(b"x" * 1000)
        import os

        os.utime(store.dir / f"scan-{i}.pickle", (1000 + i, 1000 + i))
    store.trim()
    assert sorted(p.name for p in store.dir.glob("scan-*.pickle")) == ["scan-2.pickle", "scan-3.pickle",
                                                                       "scan-4.pickle"]


def test_config_that_does_not_change_findings_shares_the_entry(app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = run_scan(ScanOptions(roots=(str(app / "backend"),), targets=("content_items.id",),
                                 config=Config(jobs=1), cache_dir=cache))
    again = run_scan(ScanOptions(roots=(str(app / "backend"),), targets=("content_items.id",),
                                 config=replace(Config(jobs=2), source="elsewhere"), cache_dir=cache))
    assert used(first) == "stored" and used(again) == "hit"
    other = run_scan(ScanOptions(roots=(str(app / "backend"),), targets=("content_items.id",),
                                 config=Config(jobs=1, aliases=("doc_key",)), cache_dir=cache))
    assert used(other) == "stored"  # aliases change what is found: another entry


def _boom(value: int) -> int:
    raise ValueError(value)


def test_worker_results_failures_and_cancel() -> None:
    from analyzer import workers

    worker = workers.fork(divmod, 7)
    assert worker is not None
    worker.send(100)
    assert worker.result() == (14, 2)
    failing = workers.fork(_boom)
    assert failing is not None
    failing.send(1)
    assert failing.result() is None  # the caller does the work itself
    idle = workers.fork(divmod, 7)
    assert idle is not None
    idle.cancel()  # nothing sent: the child leaves, and is reaped
    assert idle.result() is None


@pytest.mark.parametrize(("name", "targets"), [("ledger_app", ("documents.id",)),
                                               ("fleet_app", ("vehicles.id", "trailers.id"))])
def test_held_out_apps_the_same_with_every_shortcut(name: str, targets: tuple[str, ...], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The two apps written blind, scanned as the held-out tests scan them (their database, their config)."""
    from analyzer.config import load as load_config
    from analyzer.python import engine
    from analyzer.typescript import scan as ts_scan

    src = REPO / "fixtures" / name
    app = tmp_path / name
    for part in ("backend", "frontend"):
        shutil.copytree(src / part, app / part, ignore=shutil.ignore_patterns(".impact-cache", "node_modules"))
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    seed_fixture_db(src, url, rows=20)
    cfg = load_config(src / "pyproject.toml")

    def run(cache: Path | None, jobs: int) -> Report:
        return run_scan(ScanOptions(roots=(str(app / "backend"), str(app / "frontend")), targets=targets, db_url=url,
                                    config=replace(cfg, jobs=jobs, cache=cache is not None), cache_dir=cache))

    with monkeypatch.context() as m:
        m.setattr(engine, "THOROUGH", True)
        m.setattr(ts_scan, "THOROUGH", True)
        reference = run(None, 1)
    assert reference.findings
    for argv in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *argv], cwd=app, check=True,
                       capture_output=True)
    few = small_rounds_parallel(monkeypatch)
    cold, warm = run(tmp_path / "cache", 2), run(tmp_path / "cache", 1)
    assert few["children"] > 0 and few["ahead"] > 0
    assert (used(cold), used(warm)) == ("stored", "hit")
    same(cold, reference)
    same(warm, reference)
    # a pull request: a line with a finding changed, and lines moved in the same file; diff mode checks the file
    # against the cached facts of the base and reports what a scan without cache reports
    first = next(f for f in reference.findings if f.path.endswith(".py") and f.span.line > 1)
    path = app / first.path
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[first.span.line - 1] += "  # reviewed"
    path.write_text("# moved by a header line\n" + "\n".join(lines), encoding="utf-8")

    def diff(cache: Path | None) -> Report:
        return run_scan(ScanOptions(roots=(str(app / "backend"), str(app / "frontend")), targets=targets, db_url=url,
                                    config=replace(cfg, jobs=1, cache=cache is not None), cache_dir=cache,
                                    diff_base="HEAD", diff_scope="files"))

    fast, full = diff(tmp_path / "cache"), diff(None)
    assert used(fast) == "diff from the base"
    assert fast.findings and fast.findings == full.findings


def test_dist_version_reads_the_dist_info_folder_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache keys carry the parsers' and drivers' versions, read from `.dist-info` folder names (importing
    importlib.metadata costs a warm run ~0.13 s); the answers are importlib.metadata's."""
    import sys
    from importlib.metadata import version

    from analyzer.cache import _listing, dist_version

    for dist in ("libcst", "tree-sitter", "tree-sitter-typescript", "sqlalchemy", "typer"):
        assert dist_version(dist) == version(dist)
    site = tmp_path / "site"
    for name in ("tree_sitter-0.26.1.dist-info", "SQLAlchemy-2.0.36.dist-info", "psycopg_binary-3.2.1.dist-info",
                 "tree_sitter_typescript-0.23.2.dist-info", "sqlalchemy_utils-0.41.dist-info"):
        (site / name).mkdir(parents=True)
    monkeypatch.setattr(sys, "path", [str(site)])
    _listing.cache_clear()
    try:
        assert dist_version("tree-sitter") == "0.26.1"
        assert dist_version("tree-sitter-typescript") == "0.23.2"
        assert dist_version("sqlalchemy") == "2.0.36"
        assert dist_version("psycopg") is None  # psycopg-binary is another distribution
        assert dist_version("libcst") is None
    finally:
        _listing.cache_clear()
