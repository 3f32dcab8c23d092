"""TypeScript/TSX impact scanner: where the key lives in a React + TypeScript front end.

    scan_typescript(files, seeds, config, progress=None, to_type="UUID") -> ScanResult
    catalogue() -> list[RuleMeta]
"""

from __future__ import annotations

from analyzer.models import RuleMeta
from analyzer.typescript.rules import load_rules
from analyzer.typescript.scan import scan_typescript


def catalogue() -> list[RuleMeta]:
    return [r.meta for r in load_rules()]


__all__ = ["catalogue", "scan_typescript"]
