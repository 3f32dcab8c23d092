"""Suppression comments, handled in this one place for every language.

    x = int(raw_id)  # impact: ignore[PY060] -- ids here are legacy integers on purpose
    // impact: ignore[TS004,TS010] -- reason    (on its own line: applies to the next line)
    -- impact: ignore[py.sql.file] -- reason   (SQL; a code or a rule name)
    /* impact: ignore[TS030] -- reason */      (one-line block comments, JSX's {/* ... */} too)
    # impact: ignore[PY060] legacy ids         (the older form: the text after the bracket is the reason)

What counts, decided once for every scanner:
- Only comments count. Python comments are found by the tokenizer, so a string or a docstring that
  contains "impact: ignore" suppresses nothing. TypeScript/JavaScript (`//`, `/* */`) and SQL (`--`,
  `/* */`) are read line by line outside quotes (template literals and SQL strings may span lines);
  multi-line block comments are skipped, not read as suppressions.
- A trailing comment applies to its own line; a comment alone on its line applies to the next line
  only (as semgrep's `nosemgrep`). A finding is suppressed by the line it starts on.
- Inside the brackets: rule codes (PY060) or rule names (py.hazard.int_cast), separated by commas or
  spaces. No brackets: every rule on that line.
- The reason is the text after the closing bracket (or after `ignore`), without a leading `--`, `:` or
  dash and, in a block comment, without the closing `*/`; it must hold a letter or a digit.

A suppression without a reason still suppresses, as ruff's bare `# noqa` and semgrep's `nosemgrep` do:
the author meant to silence the line, and a scan that suddenly fails on a line someone had silenced
would teach people to disable the check. It is itself reported (IM001, severity warning), so it shows
in the report and SARIF and fails `--fail-on warning`, not `--fail-on error`. A code or name the
catalogue does not know is reported with the closest known ones (IM002); it suppresses nothing, while
the known codes beside it still do. The IM rules are not suppressed by comments (a suppression
silencing the report about itself would defeat it); `[tool.impact] disable` turns them off. An unused
suppression is not reported: whether a line has a finding depends on the targets and `--to`, so
"unused" would be noise for every suppression written for another target or type.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from analyzer.models import FileOutcome, Finding, Language, RuleMeta, SourceFile
from analyzer.sources import Limits, Unreadable, read_source

_IGNORE = re.compile(r"impact:\s*ignore(?![\w-])")
_SEPARATOR = re.compile(r"^(?:--|:|[-\u2013\u2014])\s*")
_WORD = re.compile(r"\w")
_NEWLINE = re.compile(r"\r\n|\r|\n")

#: comment openers per language (Python's come from the tokenizer; `#` is its fallback on bad syntax)
_OPENERS: dict[str, tuple[str, ...]] = {"python": ("#",), "typescript": ("//", "/*"), "sql": ("--", "/*")}
#: quote characters per language, and the ones whose strings may continue on the next line
_QUOTES: dict[str, tuple[str, str]] = {"python": ("'\"", ""), "typescript": ("'\"`", "`"), "sql": ("'\"", "'")}


@dataclass(frozen=True, slots=True)
class Suppression:
    """One `impact: ignore` comment."""

    line: int  # where the comment is (1-based)
    applies_to: int  # the line whose findings it suppresses
    column: int  # 1-based column of the comment opener
    end_column: int  # past the comment's last character on that line
    codes: tuple[str, ...]  # codes or rule names; empty: every rule
    reason: str  # "" when none was given
    text: str  # the comment as written
    unclosed: bool = False  # `ignore[PY060 ...` without its `]`: suppresses nothing

    def covers(self, finding: Finding) -> bool:
        if self.unclosed:
            return False
        return not self.codes or finding.code in self.codes or finding.rule in self.codes


def parse(text: str, language: Language) -> list[Suppression]:
    """Every suppression comment of one file's text."""
    if "impact:" not in text:
        return []
    lines = _NEWLINE.split(text)  # as the tokenizer and the parsers count lines (not str.splitlines: \f, \x1c...)
    comments = _python_comments(text) if language == "python" else None
    if comments is None:
        comments = _line_comments(lines, language)
    out = []
    for line_no, start, end, body in comments:
        found = _suppression(body)
        if found is None:
            continue
        codes, reason, unclosed = found
        line = lines[line_no - 1]
        alone = not line[:start].strip() or line[:start].strip() == "{"  # JSX: {/* ... */}
        alone = alone and (not line[end:].strip() or line[end:].strip() == "}")
        out.append(Suppression(line=line_no, applies_to=line_no + 1 if alone else line_no, column=start + 1,
                               end_column=end + 1, codes=codes, reason=reason, text=body.strip(),
                               unclosed=unclosed))
    return out


def _suppression(body: str) -> tuple[tuple[str, ...], str, bool] | None:
    """(codes, reason, unclosed) of a comment that is a suppression, else None."""
    m = _IGNORE.search(body)
    if m is None:
        return None
    rest = body[m.end():]
    if body.startswith("/*"):
        rest = rest.rsplit("*/", 1)[0] if rest.rstrip().endswith("*/") else rest
    codes: tuple[str, ...] = ()
    unclosed = False
    stripped = rest.lstrip()
    if stripped.startswith("["):
        inner, close, after = stripped[1:].partition("]")
        codes = tuple(c for c in re.split(r"[,\s]+", inner) if c)
        unclosed = not close
        rest = after if close else ""
    reason = _SEPARATOR.sub("", rest.strip()).strip()
    return codes, (reason if _WORD.search(reason) else ""), unclosed


def _python_comments(text: str) -> list[tuple[int, int, int, str]] | None:
    """(line, start, end, text) of every comment token; None when the file does not tokenize."""
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                out.append((tok.start[0], tok.start[1], tok.end[1], tok.string))
    except (tokenize.TokenError, SyntaxError):  # IndentationError is a SyntaxError
        return None
    return out


def _line_comments(lines: Sequence[str], language: Language) -> list[tuple[int, int, int, str]]:
    """Comments found line by line outside quotes (what tokenizers do, without parsing the language)."""
    openers = _OPENERS[language]
    quotes, multiline = _QUOTES[language]
    escapes = language != "sql"  # SQL doubles its quotes instead
    out = []
    quote = ""  # a string continued from the previous line
    in_block = False
    for number, line in enumerate(lines, 1):
        i, n = 0, len(line)
        if quote not in multiline:
            quote = ""
        while i < n:
            if in_block:  # inside a block comment opened on an earlier line: not a suppression
                close = line.find("*/", i)
                if close < 0:
                    break
                in_block, i = False, close + 2
                continue
            c = line[i]
            if quote:
                if escapes and c == "\\":
                    i += 2
                    continue
                if c == quote:
                    quote = ""
                i += 1
                continue
            if c in quotes:
                quote = c
                i += 1
                continue
            opener = next((o for o in openers if line.startswith(o, i)), None)
            if opener is None:
                i += 1
            elif opener == "/*":
                close = line.find("*/", i + 2)
                if close < 0:
                    if line.strip().startswith("/*") and line.rstrip().endswith("*/"):
                        close = len(line.rstrip()) - 2
                    else:
                        in_block = True
                        break
                out.append((number, i, close + 2, line[i:close + 2]))
                i = close + 2
            else:
                out.append((number, i, len(line.rstrip()), line[i:].rstrip()))
                break
    return out


class LineCache:
    """Source lines and suppressions by finding path; every file is read at most once."""

    def __init__(self, files: Sequence[SourceFile]) -> None:
        self._files = {f.path: f for f in files}
        self._lines: dict[str, list[str]] = {}
        self._suppressions: dict[str, dict[int, list[Suppression]]] = {}

    def lines(self, path: str) -> list[str]:
        if path not in self._lines:
            f = self._files.get(path)
            try:
                text = Path(f.abs_path).read_text(encoding="utf-8") if f is not None else ""
            except (OSError, UnicodeDecodeError):
                text = ""
            self._lines[path] = text.splitlines()
        return self._lines[path]

    def line(self, path: str, number: int) -> str:
        lines = self.lines(path)
        return lines[number - 1] if 0 < number <= len(lines) else ""

    def suppressions(self, path: str, line: int) -> list[Suppression]:
        """The suppressions that apply to `line` of `path`."""
        if path not in self._suppressions:
            f = self._files.get(path)
            try:
                found = parse(Path(f.abs_path).read_text(encoding="utf-8"), f.language) if f is not None else []
            except (OSError, UnicodeDecodeError):
                found = []
            by_line: dict[int, list[Suppression]] = {}
            for s in found:
                by_line.setdefault(s.applies_to, []).append(s)
            self._suppressions[path] = by_line
        return self._suppressions[path].get(line, [])


def is_suppressed(finding: Finding, cache: LineCache) -> bool:
    return any(s.covers(finding) for s in cache.suppressions(finding.path, finding.span.line))


def unsuppressed(findings: Iterable[Finding], cache: LineCache) -> list[Finding]:
    return [f for f in findings if not is_suppressed(f, cache)]


# ----------------------------------------------------------------------------- the IM rules


def catalogue() -> list[RuleMeta]:
    """The rules about suppressions themselves (IM...), documented beside the Python and TS ones."""
    from analyzer.rules.suppression import RULES

    return [r.meta() for r in RULES]


def suppression_findings(files: Iterable[SourceFile], outcomes: Iterable[FileOutcome], rules: Iterable[RuleMeta],
                         limits: Limits) -> list[Finding]:
    """IM findings for the suppression comments of the files the scan read (outcome ok).

    `rules` is the whole catalogue (codes and names a suppression may name). A file is read again, with
    the scan's limits, and parsed only when it mentions "impact:" (a substring test before any regex).
    """
    from analyzer.rules.suppression import RULES

    checks = [r() for r in RULES]
    known = {k for m in rules for k in (m.code, m.name)}
    not_read = {o.path for o in outcomes if o.status != "ok"}
    # (the scan read each of them with these limits: no line-length test again, polar's 5,000 files 0.06 s)
    limits = replace(limits, max_line_length=0, max_average_line_length=0)
    out = []
    for f in files:
        if f.path in not_read:
            continue
        try:
            data = read_source(f.abs_path, limits)
            if b"impact:" not in data:
                continue
            text = data.decode("utf-8")
        except (Unreadable, UnicodeDecodeError):
            continue
        for s in parse(text, f.language):
            for check in checks:
                out.extend(check.check(s, f, known))
    return out
