"""Which files a round of the Python scan parses: those whose text mentions a word the key model knows.

A round asks `any(mentions(text, w) for w in words)` of every file not parsed yet (polar: ~650 words x
1,971 texts, ~2.5 s a cold scan, serial in the parent). `Prefilter` gives the same answers by reading each
text's words once per scan and looking each round's words up once in the set of all those words.
"""

from __future__ import annotations

import re
from bisect import bisect_right

_WORD = re.compile(r"\w+")
#: below this length a word must stand alone (`get` must not match `target`)
_SHORT = 6


def mentions(text: str, word: str) -> bool:
    """Substring test (C speed); short words must also stand alone (`get` must not match `target`).

    A table name (`table:users`) counts only quoted or after a SQL keyword, since plain words like
    `users` or `jobs` are everywhere in code.
    """
    if word.startswith("table:"):
        table = word[6:]
        if table not in text:
            return False
        if _ASCII_WORD.fullmatch(table):
            return _sql_table(folded(text), table.lower())
        t = re.escape(table)
        return re.search(rf"[\"'`]{t}[\"'`.]|\b(?:{'|'.join(_SQL_BEFORE)})\s+[\"`]?{t}\b", text, re.I) is not None
    if word not in text:
        return False
    return len(word) >= _SHORT or re.search(rf"\b{re.escape(word)}\b", text) is not None


#: bytes: ASCII word characters kept, every other byte a space
_NOT_WORD_TO_SPACE = bytes.maketrans(bytes(range(256)), bytes(
    c if c < 128 and (chr(c).isalnum() or c == 0x5F) else 0x20 for c in range(256)))


#: the same for UTF-8: a byte of a multi-byte character kept
_NOT_WORD_TO_SPACE_UTF8 = bytes.maketrans(bytes(range(256)), bytes(
    c if c >= 128 or chr(c).isalnum() or c == 0x5F else 0x20 for c in range(256)))


def words_of(text: str) -> frozenset[str]:
    """The maximal runs of word characters of `text` (`\\w+`): of an ASCII text, its bytes with every other character
    made a space, split (a quarter less than the pattern on onyx's 26 MB: 0.74 -> 0.54 s; every text is read once a
    scan). Another text is split so at its ASCII characters, and only its distinct runs holding another character
    are split by the pattern (polar's 368 such texts, 8 MB: 0.19 -> 0.08 s)."""
    if text.isascii():
        return frozenset(str(text.encode("ascii").translate(_NOT_WORD_TO_SPACE), "ascii").split())
    # (the pattern's \w holds no ASCII character but letters, digits and _, and a whitespace character, where
    # `split` also cuts, is never in it)
    runs = set(str(text.encode("utf-8", "surrogatepass").translate(_NOT_WORD_TO_SPACE_UTF8), "utf-8",
                   "surrogatepass").split())
    odd = [run for run in runs if not run.isascii()]
    runs.difference_update(odd)
    for run in odd:
        runs.update(_WORD.findall(run))
    return frozenset(runs)


_ASCII_WORD = re.compile(r"[A-Za-z0-9_]+")
#: the SQL words a table name follows
_SQL_BEFORE = ("from", "join", "into", "update", "table", "references")


#: the characters other than ASCII letters that the pattern's IGNORECASE matches with one (İ, ı, ſ, the Kelvin sign)
_TO_ASCII = {0x130: "i", 0x131: "i", 0x17F: "s", 0x212A: "k"}
_folded: dict[int, tuple[str, str]] = {}


def folded(text: str) -> str:
    """`text` as `_sql_table` reads it: those four characters made the ASCII letter they match, then lowered (the
    same length: İ, whose lowercase is two characters, is gone). Kept for the last texts (a round asks each of
    its table words of the same text)."""
    got = _folded.get(id(text))
    if got is None or got[0] is not text:
        # (translate looks every character up: 0.5 ms a text, polar's 124 non-ASCII texts 0.065 s; most hold none)
        odd = not text.isascii() and any(c in text for c in "\u0130\u0131\u017f\u212a")
        low = (text.translate(_TO_ASCII) if odd else text).lower()
        if len(_folded) > 64:
            _folded.clear()
        got = _folded[id(text)] = (text, low)
    return got[1]


def _sql_table(low: str, t: str) -> bool:
    """`mentions`'s pattern for a table name (`["'`]t["'`.]`, or `\\b(from|join|...)\\s+["`]?t\\b`, ignoring case)
    on the text `folded`: each occurrence of the name is tried where it stands instead of the pattern at every
    offset of the text (polar's 47 table words over its 1,971 texts: 2.0 -> 0.75 s, 0.3 s of it the substring test
    before). The name is ASCII word characters, so a character matches one of them exactly when it folds to it;
    the pattern's `\\w` and `\\s` are `isalnum`/`_` and `isspace`, which lowering keeps."""
    n = len(low)
    i = low.find(t)
    while i >= 0:
        j = i + len(t)
        before = low[i - 1] if i else ""
        after = low[j] if j < n else ""
        if before and before in "\"'`" and after and after in "\"'`.":
            return True
        if not after or not (after.isalnum() or after == "_"):
            k = i - 1 if before and before in '"`' else i
            m = k
            while m and low[m - 1].isspace():
                m -= 1
            if m < k:
                for kw in _SQL_BEFORE:
                    a = m - len(kw)
                    if a >= 0 and low.startswith(kw, a) and (a == 0 or not (low[a - 1].isalnum() or low[a - 1] == "_")):
                        return True
        i = low.find(t, i + 1)
    return False


class Prefilter:
    """`any(mentions(text, w) for w in words - old)` for the texts of one scan, answered from their words.

    A word made of word characters only (`\\w+`, as most are) lies inside one of a text's maximal runs of
    word characters wherever it occurs, so: a long one is in the text exactly when one of those runs holds
    it, and a short one stands alone exactly when it is one of them. Each text's runs are read once; for a
    round's words, the runs (of all texts) holding one are found once, in one string of every distinct run;
    a text is then a candidate when its runs meet those. Other words (`table:users`, `table=True`) are
    asked of the text itself."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts
        self.runs = {path: words_of(text) for path, text in texts.items()}
        # (in no order: `_holding` finds a run by its offset; sorting polar's 160,000 distinct runs cost 0.1 s)
        every = list(set().union(*self.runs.values())) if self.runs else []
        self._every = every
        self._joined = "\n".join(every)
        starts, at = [], 0
        for run in every:
            starts.append(at)
            at += len(run) + 1
        self._starts = starts
        self._hits: dict[tuple[frozenset[str], frozenset[str]], tuple[set[str], list[str], list[tuple[str, set[str]]]]] = {}

    def _holding(self, words: frozenset[str], old: frozenset[str]
                 ) -> tuple[set[str], list[str], list[tuple[str, set[str]]]]:
        """The runs that mention one of `words - old`; the words asked of the texts themselves; and the table words
        (`table:users`, the name made of ASCII word characters) asked of the texts whose runs hold the name: it can
        stand in a text only inside one of its runs (polar: 61,000 searches of a whole text for a table name,
        0.34 s, became set intersections)."""
        key = (words, old)
        if key not in self._hits:
            hits: set[str] = set()
            other: list[str] = []
            gated: list[tuple[str, set[str]]] = []
            for w in words - old:
                if w.startswith("table:") and _ASCII_WORD.fullmatch(w, 6):
                    gated.append((w, self._runs_holding(w[6:])))
                elif not _WORD.fullmatch(w):
                    other.append(w)
                elif len(w) < _SHORT:
                    hits.add(w)
                else:
                    hits |= self._runs_holding(w)
            self._hits[key] = hits, other, gated
        return self._hits[key]

    def _runs_holding(self, w: str) -> set[str]:
        """The distinct runs of all texts that hold `w`."""
        joined, starts, every = self._joined, self._starts, self._every
        out: set[str] = set()
        i = joined.find(w)
        while i != -1:
            k = bisect_right(starts, i) - 1
            out.add(every[k])
            i = joined.find(w, starts[k] + len(every[k]) + 1)
        return out

    def admits(self, path: str, words: frozenset[str], old: frozenset[str]) -> bool:
        """Does the text of `path` mention one of the words it was not checked for yet (`words - old`)?"""
        text = self.texts[path]
        runs = self.runs.get(path)
        if runs is None:
            return any(mentions(text, w) for w in words - old)
        hits, other, gated = self._holding(words, old)
        return not runs.isdisjoint(hits) or any(mentions(text, w) for w in other) \
            or any(not runs.isdisjoint(held) and mentions(text, w) for w, held in gated)
