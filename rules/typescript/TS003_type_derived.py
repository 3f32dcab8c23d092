"""TS003 ts.type.derived: an alias derived from a record tied to the key (message, doc and examples in
TS003_type_derived.yml)."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, Match
from analyzer.typescript.index import FileIndex


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    tname = fi.text(m.captures["name"])
    if tname in d.p.affected and not d.kn.is_entity_type(tname):
        yield d.finding(fi, m.rule.name, m.node, tname, d.p.affected[tname], layer="test" if fi.is_test else "ts-type")
