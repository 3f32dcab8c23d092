"""Discovery's exclusion patterns: the walk tests a file below a folder it entered against the patterns that can
still match it (analyzer.sources._excluded, `below`), and finds the very files testing every pattern finds."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from analyzer import sources
from analyzer.config import DEFAULT_EXCLUDES

FILES = ["app.py", "setup.py", "dist/pkg.py", "src/app/models.py", "src/app/dist/bundle.js", "src/app/gen_api.py",
         "src/build/x.py", "web/src/util.ts", "web/src/util.min.js", "web/src/types.d.ts", "web/dist/x.js",
         "a/b/c/deep.py", "a/b/c/d/deeper.ts", "tests/test_app.py", "src/app/dist.py", "src/distx/y.py",
         "x/a/y.py", "a/x.py", "gen/a.py", "src/gen/b.py"]

PATTERNS: list[tuple[str, ...]] = [
    DEFAULT_EXCLUDES,
    (*DEFAULT_EXCLUDES, "src/**", "**/gen/**"),
    ("**/a/**",),  # a folder at the root and below
    ("*/**",),  # every file below a folder: its `*` matches the empty string with the leading slash
    ("/**",),  # everything
    ("**",),
    ("src/*.py", "*/gen_*.py", "**/*.ts"),  # patterns for files: always tested
    ("a/**", "*b/**", "x/**/y.py"),
    ("**/c/**/*.ts", "**/*.min.*", "**/util**"),  # a file's pattern with a folder's part in it, or ending in **
    ("**/dist*/**", "**/tests/**", "web/**/*.js"),
]


def _reference(rel: str, patterns: Sequence[str], below: bool = False) -> bool:
    return _full(rel, patterns)  # every pattern, for every path


_full = sources._excluded


@pytest.mark.parametrize("patterns", PATTERNS, ids=[" ".join(p)[:40] for p in PATTERNS])
def test_a_file_below_an_entered_folder_is_excluded_as_every_pattern_says(
        tmp_path: Path, patterns: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    for rel in FILES:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x = 1\n", encoding="utf-8")
    got = sorted(f.path for f in sources.discover_all([str(tmp_path)], patterns).files)
    with monkeypatch.context() as m:
        m.setattr(sources, "_excluded", _reference)
        want = sorted(f.path for f in sources.discover_all([str(tmp_path)], patterns).files)
    assert got == want


def test_below_leaves_out_only_the_patterns_of_folders() -> None:
    # a file's own pattern still applies below; a folder's pattern no longer does (the walk pruned the folder)
    assert sources._excluded("web/src/util.min.js", DEFAULT_EXCLUDES, below=True)
    assert not sources._excluded("web/dist/x.js", DEFAULT_EXCLUDES, below=True)
    assert sources._excluded("web/dist/x.js", DEFAULT_EXCLUDES)
    assert sources._excluded("web/dist/", DEFAULT_EXCLUDES)  # (what the walk tested before entering it)
