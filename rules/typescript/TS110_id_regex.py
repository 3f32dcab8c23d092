"""TS110 ts.hazard.id-regex: a regex that matches a key route's id as digits (message, doc and examples in
TS110_id_regex.yml)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, Match, context_layer
from analyzer.typescript.index import FileIndex


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    node, func = m.node, m.func
    text = fi.text(m.captures["pattern"]).replace("\\/", "/")
    parsed = d.p.key_regexes.get(node.id, "")  # z.string().regex(/^#?\d+$/).transform(Number) of a key input
    if parsed and re.search(r"\\d|\[0-9\]", text):
        yield d.finding(fi, m.rule.name, node, f"{func.label if func else '<module>'}.{fi.text(node)[:40]}", parsed,
                        layer=context_layer(func, fi), func=func)
        return
    for route in d.kn.routes:
        segs = [x for x in route.template.split("/") if x]
        for i in range(1, len(segs)):
            seg = segs[i]
            if seg.startswith("{") and seg.strip("{}").split(":")[0] in route.params and \
                    not segs[i - 1].startswith("{"):
                if re.search(re.escape(segs[i - 1]) + r"/\(?\\d[+*]", text):
                    sym = f"{func.label if func else '<module>'}.{fi.text(node)[:40]}"
                    yield d.finding(fi, m.rule.name, node, sym, f"{route.method} {route.template} ({route.origin})",
                                    layer=context_layer(func, fi), func=func)
                    return
