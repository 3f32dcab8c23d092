"""CODEOWNERS (GitHub's format): which lines match which paths, and who owns a file.

The table is written first, from GitHub's documentation of CODEOWNERS (gitignore-style patterns,
with GitHub's differences: a trailing lone `*` matches direct children only, no `!` negation, no
`[ ]` ranges), then the parser is made to pass it. Each row: pattern, path, expected match.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers import write_tree

from analyzer.codeowners import CodeOwners, find_codeowners, parse

MATCHES: list[tuple[str, str, bool]] = [
    # one segment, no slash: a file or a folder of that name at any depth, and everything in the folder
    ("foo", "foo", True),
    ("foo", "foo.txt", False),
    ("foo", "foo/bar", True),
    ("foo", "bar/foo", True),
    ("foo", "bar/foo.txt", False),
    ("foo", "bar/baz", False),
    ("foo", "bar/foo/baz", True),
    # a leading slash anchors at the repository top
    ("/foo", "foo", True),
    ("/foo", "fool.txt", False),
    ("/foo", "foo/bar/baz", True),
    ("/foo", "bar/foo", False),
    ("/foo", "bar/foo/baz", False),
    # a trailing slash: a folder (anywhere), never a file of that name
    ("foo/", "foo", False),
    ("foo/", "foo/bar", True),
    ("foo/", "bar/foo/baz/qux", True),
    ("foo/", "bar/foo", False),
    ("/foo/", "foo/bar/baz", True),
    ("/foo/", "bar/foo/baz", False),
    # a slash in the middle anchors too
    ("foo/bar", "foo/bar", True),
    ("foo/bar", "foo/bart", False),
    ("foo/bar", "foo/bar/baz", True),
    ("foo/bar", "baz/foo/bar", False),
    ("foo/bar/", "foo/bar", False),
    ("foo/bar/", "foo/bar/baz", True),
    ("/foo/bar/", "foo/bar/baz/qux", True),
    ("/foo/bar/", "baz/foo/bar/qux", False),
    # `*` is one path segment or part of one
    ("*", "foo", True),
    ("*", "bar/foo/baz", True),
    ("*.py", "app/models.py", True),
    ("*.py", "models.py", True),
    ("*.py", "app/models.pyc", False),
    ("*.py", "web/src/api.ts", False),
    ("f*", "foo/bar/baz", True),
    ("f*", "bar/foo", True),
    ("f*", "xfoo", False),
    ("f*", "bar/baz", False),
    ("/*", "foo", True),
    ("/*", "foo/bar", False),  # GitHub: a trailing lone `*` matches direct children only
    ("/f*", "foo/bar/baz", True),
    ("/f*", "bar/foo", False),
    ("f*/", "foo", False),
    ("f*/", "bar/foo/baz", True),
    ("/*/", "foo", False),
    ("/*/", "bar/foo/baz", True),
    ("/f*/", "bar/foo/baz", False),
    ("docs/*", "docs/getting-started.md", True),
    ("docs/*", "docs/build-app/troubleshooting.md", False),
    ("docs/*", "docs", False),
    ("docs/*", "src/docs/x.md", False),
    ("foo/*.txt", "foo/bar.txt", True),
    ("foo/*.txt", "foo/bar/baz.txt", False),
    ("foo/*.txt", "qux/foo/bar.txt", False),
    ("foo/*/baz", "foo/bar/baz", True),
    ("foo/*/baz", "foo/bar/baz/qux", True),
    ("foo/*/baz", "foo/baz", False),
    # `?` is one character of a segment; a backslash makes a wildcard literal
    ("f?o", "foo", True),
    ("f?o", "fo", False),
    ("f?o", "fooo", False),
    ("f?o", "f/o", False),
    ("f\\*o", "foo", False),
    ("f\\*o", "f*o", True),
    ("f\\?o", "f?o", True),
    ("f\\?o", "foo", False),
    # `**`: any number of folders (leading, middle), everything inside (trailing)
    ("**/logs", "logs", True),
    ("**/logs", "build/logs", True),
    ("**/logs", "deeply/nested/logs/x.log", True),
    ("**/logs", "build/logsx", False),
    ("**/foo/bar", "qux/foo/bar/baz", True),
    ("**/foo/bar", "foo/baz/bar", False),
    ("**/*bar*", "foo/rebar", True),
    ("**/*bar*", "foo/qux/bar", True),
    ("foo/bar/**", "foo/bar", False),
    ("foo/bar/**", "foo/bar/baz/qux", True),
    ("foo/bar/**", "qux/foo/bar/baz", False),
    ("foo/**/bar", "foo/bar", True),
    ("foo/**/bar", "foo/qux/quux/bar/baz", True),
    ("foo/**/bar", "qux/foo/bar", False),
    ("foo/**/", "foo", False),
    ("foo/**/", "foo/bar/baz", True),
    ("foo/**/bar/b*", "foo/qux/bar/baz", True),
    ("foo/**/bar/b*", "foo/qux/bar/qux", False),
    # paths are case sensitive; regex characters in a pattern are literal
    ("/App/", "app/models.py", False),
    ("a+b.py", "a+b.py", True),
    ("a+b.py", "aab.py", False),
    ("(x)", "(x)/y", True),
]


@pytest.mark.parametrize(("pattern", "path", "expected"), MATCHES, ids=[f"{p} ~ {q}" for p, q, _ in MATCHES])
def test_pattern_matches(pattern: str, path: str, expected: bool) -> None:
    owners = CodeOwners(parse(f"{pattern} @owner\n"))
    assert (owners.owners_of(path) == ("@owner",)) is expected


FILE = r"""
# Lines starting with '#' are comments; blank lines are skipped.

*                   @org/everyone
*.py                @org/python   py-owner@example.com
/app/               @team-a
/app/generated/
docs/*              @docs
web/**/api/         @bob @carol   # a comment after the owners
spaced\ name.py     @spaces
[GitLab Section]    @ignored
^[Optional section] @ignored
!negated.py         @ignored
/app/models.py      @models
"""

OWNERS: list[tuple[str, tuple[str, ...]]] = [
    ("README.md", ("@org/everyone",)),
    ("scripts/run.py", ("@org/python", "py-owner@example.com")),
    ("app/schemas.py", ("@team-a",)),  # the later /app/ wins over *.py
    ("app/models.py", ("@models",)),  # the last matching line wins
    ("app/generated/client.py", ()),  # a pattern without owners un-assigns
    ("docs/index.md", ("@docs",)),
    ("docs/deep/index.md", ("@org/everyone",)),
    ("web/src/api/client.ts", ("@bob", "@carol")),
    ("spaced name.py", ("@spaces",)),
    ("negated.py", ("@org/python", "py-owner@example.com")),  # `!` is not GitHub syntax: the line is ignored
]


@pytest.mark.parametrize(("path", "owners"), OWNERS, ids=[p for p, _ in OWNERS])
def test_last_matching_line_wins(path: str, owners: tuple[str, ...]) -> None:
    assert CodeOwners(parse(FILE)).owners_of(path) == owners


def test_parse_keeps_line_numbers_and_skips_what_github_ignores() -> None:
    rules = parse(FILE)
    assert [r.pattern for r in rules] == ["*", "*.py", "/app/", "/app/generated/", "docs/*", "web/**/api/",
                                          "spaced name.py", "/app/models.py"]
    assert rules[0].line == 4
    assert rules[3].owners == ()


def test_no_rule_means_no_owner() -> None:
    assert CodeOwners(parse("/app/ @team-a\n")).owners_of("web/x.ts") == ()
    assert CodeOwners(parse("")).owners_of("x") == ()


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.parametrize("location", [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"])
def test_found_in_each_location(location: str, tmp_path: Path) -> None:
    write_tree(tmp_path, {location: "*.py @py\n"})
    found = find_codeowners(tmp_path)
    assert found is not None and found.path == tmp_path.resolve() / location and found.base == tmp_path.resolve()
    assert found.owners_of_file(tmp_path / "a" / "b.py") == ("@py",)


def test_first_location_wins(tmp_path: Path) -> None:
    write_tree(tmp_path, {".github/CODEOWNERS": "* @first\n", "CODEOWNERS": "* @second\n",
                          "docs/CODEOWNERS": "* @third\n"})
    found = find_codeowners(tmp_path)
    assert found is not None and found.path == tmp_path.resolve() / ".github" / "CODEOWNERS"


def test_subfolder_root_uses_the_repository_top(tmp_path: Path) -> None:
    """Paths in CODEOWNERS are relative to the repository top, not to the scanned folder."""
    write_tree(tmp_path, {".github/CODEOWNERS": "/backend/app/ @backend\n/frontend/ @frontend\n",
                          "backend/app/models.py": "x = 1\n"})
    _git(tmp_path, "init", "-q")
    found = find_codeowners(tmp_path / "backend")
    assert found is not None and found.base == tmp_path.resolve()
    assert found.owners_of_file(tmp_path / "backend" / "app" / "models.py") == ("@backend",)
    assert found.owners_of_file(tmp_path / "elsewhere.py") == ()


def test_none_found(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    assert find_codeowners(tmp_path / "src") is None
