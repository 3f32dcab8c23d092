"""TS010 ts.api.param: a key parameter typed `number` of a function calling the backend (kind api); message, doc and examples in
TS010_api_param.yml.

Which of TS010, TS020, TS030, TS031 and TS060 reports a parameter is decided by its function's kind
(analyzer.typescript.detect.func_kind); the detection they share is `Detector.key_parameters`."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.models import Finding
from analyzer.typescript.detect import Detector
from analyzer.typescript.index import FileIndex
from analyzer.typescript.rules import TsRule


def detect_file(d: Detector, fi: FileIndex, rule: TsRule) -> Iterator[Finding | None]:
    return d.key_parameters(fi, rule, kind="api")
