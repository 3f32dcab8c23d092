"""English word forms shared by the schema graph and both scanners: one `singular` for every layer.

Three copies had drifted apart (`warehouses` -> `warehous` in the graph, `statuses` -> `statuse` in the Python
key model, `status` -> `statu` in the TypeScript names), so the layers disagreed on what a table's rows are
called. Examples, kept as the contract (tests/test_words.py runs them):

    categories -> category     movies -> movie          addresses -> address   boxes -> box
    batches -> batch           warehouses -> warehouse  licenses -> license    courses -> course
    houses -> house            responses -> response    causes -> cause        users -> user
    statuses -> status         campuses -> campus       buses -> bus           content_items -> content_item
    status, campus, analysis, address, series, news  (already singular, or the same in both numbers)
"""

from __future__ import annotations

import re

#: the same word in both numbers
_INVARIANT = frozenset({"series", "species", "news", "data", "metadata", "info", "media", "staff", "equipment"})
#: singulars in -ie, whose plural is not a -y word's (movies -> movie, not movy)
_IE = frozenset({"movie", "cookie", "zombie", "calorie", "rookie", "selfie", "genie", "smoothie", "sortie",
                 "brownie", "prairie", "goalie", "freebie", "newbie", "pixie", "hoodie", "lingerie"})


def singular(word: str) -> str:
    """The singular of an English plural, the word unchanged when it is not one; case is kept."""
    w = word.lower()
    if w in _INVARIANT or w.rsplit("_", 1)[-1] in _INVARIANT:
        return word
    if w.endswith("ies") and w[:-1].rsplit("_", 1)[-1] in _IE:
        return word[:-1]
    if w.endswith("ies") and len(w) > 4:
        return word[:-3] + ("Y" if word[-3:].isupper() else "y")
    if w.endswith(("sses", "shes", "ches", "xes", "zzes")) or re.search(r"[^aeiou]uses$", w):
        return word[:-2]  # addresses, batches, boxes, statuses, campuses; not houses, causes
    if w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return word[:-1]  # warehouses, licenses, courses, houses, items
    return word
