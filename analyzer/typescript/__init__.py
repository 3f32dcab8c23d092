"""TypeScript/TSX impact scanner: where the key lives in a React + TypeScript front end.

    scan_typescript(files, seeds, config, progress=None, to_type="UUID") -> ScanResult
    catalogue() -> list[RuleMeta]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from analyzer.models import RuleMeta

if TYPE_CHECKING:
    from analyzer.typescript.scan import scan_typescript


def catalogue() -> list[RuleMeta]:
    from analyzer.typescript.rules import load_rules

    return [r.meta for r in load_rules()]


def __getattr__(name: str) -> Any:
    """`scan_typescript`, imported on first use: the rules (YAML) and the scanner are not what a module that
    only parses TypeScript needs (the patches' checker, a diff run whose TypeScript side is read back)."""
    if name == "scan_typescript":
        from analyzer.typescript.scan import scan_typescript

        return scan_typescript
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["catalogue", "scan_typescript"]
