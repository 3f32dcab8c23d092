"""`analyzer.words.singular`, the one singular of every layer (the schema graph, the Python key model, the
TypeScript key names): each pair is a plural real schemas use and the word the code names a row by."""

from __future__ import annotations

import pytest

from analyzer.words import singular

PAIRS = {
    "categories": "category", "movies": "movie", "user_cookies": "user_cookie", "ties": "tie", "addresses": "address", "boxes": "box", "batches": "batch", "wishes": "wish",
    "warehouses": "warehouse", "licenses": "license", "courses": "course", "houses": "house",
    "responses": "response", "cases": "case", "causes": "cause", "statuses": "status", "campuses": "campus",
    "buses": "bus", "contents": "content", "content_items": "content_item", "users": "user", "Orders": "Order", "Companies": "Company",
    # not plurals, or the same in both numbers: unchanged
    "status": "status", "class": "class", "campus": "campus", "analysis": "analysis", "address": "address", "series": "series",
    "news": "news", "user": "user", "media": "media", "event_series": "event_series", "ids": "id",
}


@pytest.mark.parametrize(("plural", "one"), sorted(PAIRS.items()))
def test_singular(plural: str, one: str) -> None:
    assert singular(plural) == one
