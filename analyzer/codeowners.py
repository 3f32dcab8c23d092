"""CODEOWNERS in GitHub's format: who must review a file.

GitHub reads the first of `.github/CODEOWNERS`, `CODEOWNERS`, `docs/CODEOWNERS` at the repository
top; paths in it are relative to that top. Each line is a pattern and its owners (`@user`,
`@org/team`, an e-mail); the last matching line wins, and a pattern without owners un-assigns.
Patterns follow gitignore, with GitHub's differences: a trailing lone `*` (`docs/*`) matches direct
children only, and `!` negation and `[ ]` ranges are not supported (a `!` line is skipped, a `[` is
literal). GitLab's section headers (`[Section]`, `^[Optional]`) are skipped: their lines are read as
GitHub's, without the sections' separate "last match" scopes.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

LOCATIONS: tuple[str, ...] = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")

_TOKEN = re.compile(r"(?:\\.|[^\s\\])+")


@dataclass(frozen=True)
class Rule:
    pattern: str
    owners: tuple[str, ...]
    line: int
    regex: re.Pattern[str]


def _segment(seg: str) -> str:
    out, i = [], 0
    while i < len(seg):
        c = seg[i]
        if c == "\\" and i + 1 < len(seg):
            out.append(re.escape(seg[i + 1]))
            i += 2
            continue
        out.append("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c))
        i += 1
    return re.sub(r"(?:\[\^/\]\*)+", "[^/]*", "".join(out))  # `a**b` is `a*b`


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """The regular expression a `/`-separated path relative to the repository top must fully match."""
    dir_only = pattern.endswith("/")
    anchored = "/" in pattern.rstrip("/")  # leading or middle slash: relative to the top
    body = pattern.strip("/") if anchored else pattern.rstrip("/")
    segments = body.split("/")
    parts: list[str] = []
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg == "**":
            parts.append(".+" if last else "(?:[^/]+/)*")
        else:
            parts.append(_segment(seg) + ("" if last else "/"))
    rx = ("" if anchored else "(?:.+/)?") + "".join(parts)
    tail = segments[-1]
    if tail == "**":
        pass  # already everything inside
    elif dir_only:
        rx += "/.+"  # a folder: what is inside it, never a file of that name
    elif not (tail == "*" and anchored):
        rx += "(?:/.+)?"  # a file, or a folder and everything inside it
    return re.compile(rx)


def parse(text: str) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", "!", "[", "^[")):
            continue  # comment, negation (not GitHub syntax), GitLab section header
        tokens = _TOKEN.findall(line)
        owners: list[str] = []
        for token in tokens[1:]:
            if token.startswith("#"):
                break  # the rest of the line is a comment
            owners.append(token)
        pattern = re.sub(r"\\(\s)", r"\1", tokens[0])  # `spaced\ name.py`
        rules.append(Rule(pattern, tuple(owners), number, compile_pattern(tokens[0])))
    return tuple(rules)


@dataclass(frozen=True)
class CodeOwners:
    rules: Sequence[Rule]
    path: Path | None = None  # the CODEOWNERS file
    base: Path | None = None  # the folder its patterns are relative to (the repository top)

    def owners_of(self, rel: str) -> tuple[str, ...]:
        """Owners of a `/`-separated path relative to `base`; () when no line (or an un-assigning one)."""
        rel = rel.strip("/")
        for rule in reversed(self.rules):
            if rule.regex.fullmatch(rel):
                return rule.owners
        return ()

    def owners_of_file(self, path: Path) -> tuple[str, ...]:
        """Owners of a file on disk; () when it lies outside `base`."""
        if self.base is None:
            return ()
        try:
            rel = path.resolve().relative_to(self.base)
        except ValueError:
            return ()
        return self.owners_of(rel.as_posix())


def _git_top(folder: Path) -> Path | None:
    try:
        proc = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=folder, capture_output=True,
                              text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    top = proc.stdout.strip()
    return Path(top).resolve() if top else None


def find_codeowners(root: Path) -> CodeOwners | None:
    """The CODEOWNERS that applies to a scanned root: in the root itself (a repository of its own),
    else at the top of the git repository the root lies in (a root that is a subfolder)."""
    folder = (root if root.is_dir() else root.parent).resolve()
    top = _git_top(folder)
    for base in dict.fromkeys([folder, *([top] if top else [])]):
        for name in LOCATIONS:
            path = base / name
            if path.is_file():
                try:
                    text = path.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
                return CodeOwners(parse(text), path=path, base=base)
    return None
