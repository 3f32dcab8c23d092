"""TS002 ts.type.alias: `type ContentId = number` (message, doc and examples in TS002_type_alias.yml)."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, Match, number_positions
from analyzer.typescript.index import FileIndex


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    tname, value = fi.text(m.captures["name"]), m.captures["value"]
    returned = d.p.key_aliases.get(tname, "")  # `type HistoryResponse = Array<number>` a key function returns
    if (d.kn.is_key_alias_type(tname) or returned) and number_positions(value, fi):
        yield d.finding(fi, m.rule.name, m.node, tname,
                        returned or d.kn.origin(tname[:1].lower() + tname[1:]) or f"{tname} names the key",
                        d.num_edits(value, fi), layer="test" if fi.is_test else "ts-type")
