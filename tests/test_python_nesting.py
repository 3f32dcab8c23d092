"""parsed.nesting_problem's tokenizer: the `skip` group (runs where no token can start, matched whole) leaves
every other match as the tokenizer without it finds them, so the verdicts cannot change."""

from __future__ import annotations

import random
import re
from pathlib import Path

from analyzer.python.parsed import _NEST_TOKEN, MAX_CHAIN, nesting_problem

REPO = Path(__file__).resolve().parents[1]
#: the tokenizer without the skip group: every other group tried at each character
PLAIN = re.compile(_NEST_TOKEN.pattern[_NEST_TOKEN.pattern.index("(?P<str>"):], _NEST_TOKEN.flags)

PIECES = ["and", "or", "not", "if", "else", "elif", "lambda", "await", "in", "is", "x", "xin", "inx", "r", "b",
          "rb", "Rb", "f", "fr", "u", "br", "é", "éin", "_", "1", "1.5e3", " ", "  ", "\t", "\n", "\r\n", "\r",
          "\\\n", "\\", "\\\r\n", "'", '"', "'''", '"""', "#", "# c", "(", ")", "[", "]", "{", "}", ",", ";", "=",
          "==", ":", ":=", "!", "!=", "<", "<=", "->", "-", "+", "*", "**", "/", "//", ".", "%", "@", "&", "|",
          "^", "~", "$", "?", "ß", "\u00a0", "日本"]


def tokens(rx: re.Pattern[str], text: str) -> list[tuple[str | None, tuple[int, int], str | None]]:
    return [("lead" if m.lastgroup == "word" else m.lastgroup, m.span(),
             m.group("word") if m.lastgroup in ("lead", "word") else None)
            for m in rx.finditer(text) if m.lastgroup != "skip"]


def test_the_skipped_runs_hide_no_token() -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted((REPO / "analyzer").rglob("*.py"))]
    rng = random.Random(15)
    texts += ["".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40))) for _ in range(5000)]
    for text in texts:
        assert tokens(_NEST_TOKEN, text) == tokens(PLAIN, text), repr(text[:200])
    source = (REPO / "analyzer" / "python" / "parsed.py").read_text(encoding="utf-8")
    assert sum(m.lastgroup == "skip" for m in _NEST_TOKEN.finditer(source)) > 1000  # it does skip


def test_operator_words_and_string_prefixes_still_count() -> None:
    n = MAX_CHAIN + 10
    chained = "x = " + " and ".join(["a"] * n) + "\n"
    assert "chained" in (nesting_problem(chained) or "")
    assert nesting_problem("x = " + " andy ".join(["a"] * 100) + "\n") is None
    deep = "{" + "(" * 250 + "}"  # brackets inside an f-string nest (a plain string's do not)
    assert "nesting depth" in (nesting_problem(f'y = 1\nf"{deep}"\n' + "#" * 2000) or "")
    assert nesting_problem(f'y = 1\n"{deep}"\n' + "#" * 2000) is None
    # the f prefix right after a word (no boundary) still makes an f-string, as the plain tokenizer reads it
    assert "nesting depth" in (nesting_problem(f'y = xf"{deep}"\n' + "#" * 2000) or "")
    assert "nesting depth" in (nesting_problem(f'y = 1 == rf"{deep}"\n' + "#" * 2000) or "")
