"""The Python scan's prefilter and schema_affinity's memo answer exactly as the plain loops they replace."""

from __future__ import annotations

import itertools

from analyzer.config import Config
from analyzer.models import Closure, ImpactedColumn, Target
from analyzer.python import facts
from analyzer.python.keys import KeyModel, OrmClass, singular
from analyzer.python.prefilter import Prefilter, mentions

TEXTS = {
    "a.py": "def target(): return item.get_id()\n",
    "b.py": "x = organizations_id + 1  # get it\n",
    "c.py": 'op.execute("UPDATE organizations SET x = 1")\n',
    "d.py": "class Org(SQLModel, table=True):\n    pass\n",
    "e.py": "headers['X-Org-Ref']  # naïve café_id\n",
    "f.py": "",
    "g.py": "include_router(r)\norganization\n",
    # a table name: the text must hold it as written (inside any word), and a quoted or SQL use in any case
    "h.py": 'a = organizations_x\nq = "FROM ORGANIZATIONS"\n',
    "i.py": 'q = "SELECT * FROM ORGANIZATIONS"  # no lower-case name anywhere\n',
    "j.py": 'q = "délété FROM organizations_archive"\nr = "JOIN organizations ON"\n',
}
WORDS = ["get", "organization", "organizations_id", "table:organizations", "table=True", "X-Org-Ref", "café_id",
         "café", "ïve", "include_router", "router", "target", "id", "Org", "rganizations_i", "nothing_here", "ge",
         "table:organizations_archive", "table:ORGANIZATIONS", "table:rganizations", "table:délété"]


def test_admits_as_mentions() -> None:
    pre = Prefilter(TEXTS)
    checked = 0
    for size in (1, 2, 3):
        for combo in itertools.combinations(WORDS, size):
            words = frozenset(combo)
            for old in (frozenset(), frozenset(combo[:1]), frozenset(WORDS[:3])):
                for path, text in TEXTS.items():
                    expected = any(mentions(text, w) for w in words - old)
                    assert pre.admits(path, words, old) == expected, (path, words, old)
                    checked += expected
    assert checked > 1000  # both answers were given many times


def test_short_words_stand_alone_long_ones_do_not() -> None:
    pre = Prefilter(TEXTS)
    assert not pre.admits("a.py", frozenset({"arget"}), frozenset())  # short: inside `target` only
    assert pre.admits("a.py", frozenset({"get_id"}), frozenset())  # long: inside `get_id` counts
    assert pre.admits("b.py", frozenset({"rganizations_i"}), frozenset())
    assert not pre.admits("b.py", frozenset({"organizations_id"}), frozenset({"organizations_id"}))  # seen
    assert pre.admits("c.py", frozenset({"table:organizations"}), frozenset())
    assert not pre.admits("b.py", frozenset({"table:organizations"}), frozenset())  # not quoted, no keyword
    assert pre.admits("h.py", frozenset({"table:organizations"}), frozenset())  # held in a word, used in upper case
    assert not pre.admits("i.py", frozenset({"table:organizations"}), frozenset())  # never as written
    assert pre.admits("j.py", frozenset({"table:organizations_archive"}), frozenset())  # a text that is not ASCII


def _model() -> KeyModel:
    closure = Closure(targets=(Target("content_items", "id", "INTEGER", "UUID"),),
                      columns=(ImpactedColumn("content_items", "id", "INTEGER", "target", target="content_items.id"),
                               ImpactedColumn("content_item_tags", "id", "INTEGER", "declared FK")),
                      references=())
    return KeyModel(closure, Config())


def _orm(model: KeyModel, name: str, table: str, line: int) -> None:
    cls = OrmClass(name, table, "app/models.py", line)
    cls.key_attrs = {"id": next(c for c in model.closure.columns if c.table == table)}
    assert model.add_orm(cls)


def _plain(model: KeyModel, name: str) -> tuple[str, str | None] | None:
    """schema_affinity as it was: every mapped class in order, then the targets' names."""
    for orm in model.orm.values():
        if orm.table in model.closure.tables and "id" in orm.key_attrs and name.startswith(orm.name) \
                and (len(name) == len(orm.name) or name[len(orm.name)].isupper()):
            return f"named after {orm.name} ({orm.path}:{orm.line})", orm.name
    for t in model.closure.targets:
        camel = "".join(p.capitalize() for p in singular(t.table).split("_"))
        if name.startswith(camel) and (len(name) == len(camel) or name[len(camel)].isupper()):
            return f"named after table {t.table}", None
    return None


NAMES = ["ContentItemTagOut", "ContentItemOut", "ContentItem", "ContentItems", "ContentItemtag", "Content",
         "ContentItemTag", "Other", "ContentItemTagDetailRead", ""]


def test_schema_affinity_first_mapped_class_wins_and_follows_new_classes() -> None:
    model = _model()
    seen = [[facts.schema_affinity(model, n) for n in NAMES]]
    assert seen[0] == [_plain(model, n) for n in NAMES]
    assert facts.schema_affinity(model, "ContentItemOut") == ("named after table content_items", None)
    _orm(model, "ContentItemTag", "content_item_tags", 9)  # mapped first: wins over the shorter name below
    assert facts.schema_affinity(model, "ContentItemTagOut") == ("named after ContentItemTag (app/models.py:9)",
                                                                 "ContentItemTag")
    _orm(model, "ContentItem", "content_items", 3)
    for n in NAMES:
        assert facts.schema_affinity(model, n) == _plain(model, n), n
    assert facts.schema_affinity(model, "ContentItemTagOut")[1] == "ContentItemTag"
    assert facts.schema_affinity(model, "ContentItemOut")[1] == "ContentItem"
    other = _model()  # another model's classes are not this one's
    assert facts.schema_affinity(other, "ContentItemTagOut") == ("named after table content_items", None)


def test_table_words_read_by_occurrence_answer_as_the_pattern() -> None:
    """`table:<name>` is answered at each occurrence of the name (`_sql_table`) instead of
    by the pattern over the whole text: the same answers on generated texts built from the pattern's own pieces
    (quotes, dots, SQL words in any case, whitespace runs, word characters glued on either side, the characters
    other than ASCII letters that IGNORECASE matches with one)."""
    import random
    import re

    from analyzer.python.prefilter import mentions

    def by_pattern(text: str, table: str) -> bool:
        t = re.escape(table)
        return table in text and re.search(
            rf"[\"'`]{t}[\"'`.]|\b(?:from|join|into|update|table|references)\s+[\"`]?{t}\b", text, re.I) is not None

    pieces = ["users", "Users", "USERS", "users", "from", "FROM", "Join", "into", "update", "table", "references",
              "xfrom", " ", "  ", "\t", "\n", "\x1c", "\xa0", '"', "'", "`", ".", "_", "a", "1", "(", "=", "é",
              "uſers", "USERſ", "İ", "ı", "ſ", "\u212a", "kits", "\u212aITS", "kıts", "ß", "\u3000"]
    rng = random.Random(7)
    hits = misses = 0
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        for table in ("users", "Users", "kits", "KITS"):
            want = by_pattern(text, table)
            assert mentions(text, f"table:{table}") is want, (text, table)
            hits, misses = hits + want, misses + (not want)
    assert hits > 200 and misses > 1000  # both answers were asked for


def test_words_of_a_text_are_its_runs_of_word_characters() -> None:
    import re

    from analyzer.python.prefilter import words_of

    texts = ["def f(a_b, c2):\n\treturn a_b+c2  # x\x1cy\x7fz\n", "", "  \n", "é_a b€c", "x.y['z']{w}", "__init__\r\nA1"]
    for text in texts:
        assert words_of(text) == frozenset(re.findall(r"\w+", text)), text
    for c in map(chr, range(128)):  # every ASCII character, alone and between two words
        assert words_of(f"a{c}b") == frozenset(re.findall(r"\w+", f"a{c}b")), repr(c)
    # a non-ASCII text: letters and digits of other scripts, combining marks, non-ASCII spaces and punctuation, an
    # emoji, a lone surrogate (an undecodable byte read back), each alone, inside a word and at its edges
    odd = ["caf\u00e9_id", "e\u0301", "\u00a0", "\u2003", "\u2014", "\u2192", "\U0001f600", "\udcff", "\u212a", "\u0130",
           "\u0661\u0662", "\u00b2", "\u2028", "\x85", "\u00b7", "\u30c6\u30b9\u30c8", "\ufeff"]
    for c in odd:
        for text in (c, f"a{c}b", f"{c} x_1", f"x{c}{c}.y", f"# {c}\ndef f_{c}(n{c}=1): return n{c}\n"):
            assert words_of(text) == frozenset(re.findall(r"\w+", text)), repr(text)
    text = "".join(odd) + " ".join(odd) + "x".join(odd)
    assert words_of(text) == frozenset(re.findall(r"\w+", text))
