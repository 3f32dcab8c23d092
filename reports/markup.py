"""Escaping for Markdown output: one helper per context, used by every Markdown renderer.

The strings that reach a report come from the user's code and database (file, table, column and
symbol names), so none of them may become Markdown or HTML structure:

- `md_text`: inline text. `<`, `>` and `&` become entities (no raw HTML, no entity tricks), Markdown
  punctuation that could open a link, an image, emphasis or a code span is backslash-escaped.
- `md_code`: a code span whose fence is longer than any backtick run in the text (CommonMark), so the
  span cannot end early; its content is literal, so `<img ...>` inside it is inert text.
- `md_message`: a message that quotes code between backticks: code spans through `md_code`, the
  rest through `md_text`, whatever the pairing of the backticks.
- `md_cell`: the content of a GFM table cell (already escaped by the above): every pipe that would
  end the cell is escaped.

No imports from the rest of the package: `analyzer.db.render` uses it too.
"""

from __future__ import annotations

import re

_PUNCT = re.compile(r"([\\`*\[\]|~])")
#: `_` only opens emphasis at a word boundary: escape those, keep `content_items` readable
_EDGE_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
_TICKS = re.compile(r"`+")
_SPAN = re.compile(r"(`[^`]*`)")
#: a pipe not already escaped (preceded by an even number of backslashes, zero included)
_BARE_PIPE = re.compile(r"(?<!\\)((?:\\\\)*)\|")


def one_line(text: object) -> str:
    """Line breaks (and other vertical whitespace) end a Markdown paragraph or table row: spaces."""
    return re.sub(r"[\r\n\v\f\u2028\u2029\x85]+", " ", "" if text is None else str(text))


def md_text(text: object) -> str:
    """Inline text that renders as exactly these characters."""
    out = one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = _PUNCT.sub(r"\\\1", out)
    return _EDGE_UNDERSCORE.sub(r"\\_", out)


def md_code(text: object) -> str:
    """An inline code span holding exactly `text` (an empty text gives an empty string)."""
    body = one_line(text)
    if not body:
        return ""
    fence = "`" * (max((len(m) for m in _TICKS.findall(body)), default=0) + 1)
    # CommonMark strips one space from each side when both are there: pad to keep a backtick (or
    # such a space) at an edge from merging with the fence or being eaten
    pad = " " if body[0] == "`" or body[-1] == "`" or (body[0] == " " and body[-1] == " ") else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def md_message(text: object) -> str:
    """A message quoting code in backticks: the quoted parts as code spans, the rest as text."""
    parts = _SPAN.split(one_line(text))
    return "".join(md_code(part[1:-1]) if i % 2 else md_text(part) for i, part in enumerate(parts))


def md_cell(markdown: str) -> str:
    """Content for a GFM table cell: a pipe ends the cell unless escaped, even inside a code span."""
    return _BARE_PIPE.sub(r"\1\\|", one_line(markdown))
