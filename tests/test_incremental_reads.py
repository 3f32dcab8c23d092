"""Diff mode from the base cache: the unchanged files both worlds read back are parsed once, and what one
world learned in them does not leak into the other (the findings still equal a full scan's)."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from test_diffmode import CHANGES, REPO_PY, _git, content_repo  # noqa: F401 - content_repo is a fixture


def test_read_back_files_are_parsed_once_for_both_worlds(content_repo: tuple[Path, Path], tmp_path: Path,  # noqa: F811
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from analyzer.config import Config
    from analyzer.pipeline import ScanOptions, run_scan
    from analyzer.python import parsed

    app, base_cache = content_repo
    cache = tmp_path / "cache"
    shutil.copytree(base_cache, cache)
    change = next(c for name, c, _ in CHANGES if name == "a comment on a line with a finding")
    change(app)
    counts: Counter[str] = Counter()
    real = parsed.parse

    def counted(src: Any, text: str) -> Any:
        counts[src.path] += 1
        return real(src, text)

    try:
        def scan(cache_dir: Path | None) -> Any:
            return run_scan(ScanOptions(roots=(str(app / "backend"), str(app / "frontend")),
                                        targets=("content_items.id",), config=Config(jobs=1, cache=cache_dir is not None),
                                        cache_dir=cache_dir, diff_base="HEAD", diff_scope="files"))

        with monkeypatch.context() as m:
            m.setattr(parsed, "parse", counted)
            fast = scan(cache)
        full = scan(None)
    finally:
        _git(app, "checkout", "-q", "--", ".")
    assert fast.extras["stats"]["cache"] == "diff from the base"
    assert fast.findings == full.findings
    changed = [p for p in counts if p.endswith(REPO_PY.split("/", 1)[1])]
    assert changed and all(counts[p] == 2 for p in changed), counts  # its base text and its new text
    others = {p: n for p, n in counts.items() if p not in changed}
    assert others, "the change's callers are read back"
    assert max(others.values()) == 1, others
