"""TS021 ts.hook.query-key: a react-query `queryKey` holding the key (message, doc and examples in
TS021_hook_query_key.yml). Context (info): cached data is keyed by the id."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, Match
from analyzer.typescript.index import FileIndex, callee_name

_QUERY_CALLS = ("useQuery", "useInfiniteQuery", "useSuspenseQuery", "useQueries", "queryOptions",
                "infiniteQueryOptions", "useMutation")


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    if callee_name(fi, m.node).rpartition(".")[2] not in _QUERY_CALLS:
        return
    func = m.func
    for pair in m.captures["options"].named_children:
        if pair.type != "pair":
            continue
        key = pair.child_by_field_name("key")
        value = pair.child_by_field_name("value")
        if key is None or value is None or fi.text(key) != "queryKey" or value.type != "array":
            continue
        for el in value.named_children:
            why = d.p.is_key(el, func, fi)
            if why:
                yield d.finding(fi, m.rule.name, pair, f"{func.label if func else '<module>'}.queryKey", why,
                                layer="test" if fi.is_test else "ts-hook", func=func)
                break
