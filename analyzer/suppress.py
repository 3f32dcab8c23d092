"""Suppression comments, handled in this one place for every language.

    x = int(raw_id)  # impact: ignore[PY031] ids here are legacy integers on purpose
    // impact: ignore[TS004] reason        (on its own line: applies to the next line)
    # impact: ignore                       (every rule on that line)

A suppression without a reason still works; the reason is what reviewers read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from analyzer.models import Finding, SourceFile

_IGNORE = re.compile(r"(?:#|//|--|/\*)\s*impact:\s*ignore(?:\[([A-Za-z0-9_.,\s-]+)\])?")


class LineCache:
    """Source lines by finding path; every file is read at most once."""

    def __init__(self, files: Sequence[SourceFile]) -> None:
        self._abs = {f.path: f.abs_path for f in files}
        self._lines: dict[str, list[str]] = {}

    def lines(self, path: str) -> list[str]:
        if path not in self._lines:
            try:
                text = Path(self._abs[path]).read_text(encoding="utf-8") if path in self._abs else ""
            except (OSError, UnicodeDecodeError):
                text = ""
            self._lines[path] = text.splitlines()
        return self._lines[path]

    def line(self, path: str, number: int) -> str:
        lines = self.lines(path)
        return lines[number - 1] if 0 < number <= len(lines) else ""


def _ignores(text: str, finding: Finding) -> bool:
    m = _IGNORE.search(text)
    if not m:
        return False
    if m.group(1) is None:
        return True
    codes = {c.strip() for c in m.group(1).split(",")}
    return finding.code in codes or finding.rule in codes


def is_suppressed(finding: Finding, cache: LineCache) -> bool:
    line = cache.line(finding.path, finding.span.line)
    if _ignores(line, finding):
        return True
    previous = cache.line(finding.path, finding.span.line - 1).strip()
    return previous.startswith(("#", "//", "--", "/*")) and _ignores(previous, finding)


def unsuppressed(findings: Iterable[Finding], cache: LineCache) -> list[Finding]:
    return [f for f in findings if not is_suppressed(f, cache)]
