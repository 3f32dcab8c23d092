"""TS011 ts.api.route: a function whose URL reaches a backend route holding the key (message, doc and examples in
TS011_api_route.yml). Context (info): where the key crosses to the backend."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.models import Finding
from analyzer.typescript.detect import Detector
from analyzer.typescript.index import FileIndex
from analyzer.typescript.rules import TsRule


def detect_file(d: Detector, fi: FileIndex, rule: TsRule) -> Iterator[Finding | None]:
    for f in fi.funcs:
        if f.name and f.route and f.named is f:
            yield d.finding(fi, rule.name, f.node, f.name, f.route, func=None, layer="test" if fi.is_test else "ts-api")
