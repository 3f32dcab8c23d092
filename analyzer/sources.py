"""Which files a scan looks at: the roots, minus default and configured excludes."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence
from pathlib import Path

from analyzer.models import Language, SourceFile

EXTENSIONS: dict[str, Language] = {
    ".py": "python",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".sql": "sql",
}
PRUNED_DIRS = frozenset(
    {"node_modules", ".git", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache", ".ruff_cache",
     "dist", "build", "site-packages", ".pytest_cache", ".next", "coverage", "impact-report"}
)


def root_names(roots: Sequence[str]) -> dict[str, str]:
    """Map each root to the prefix its findings carry: none for a single root, else its name.

    A relative root keeps the spelling given on the command line (`backend`, `web/app`); an
    absolute one is named by its last component.
    """
    if len(roots) <= 1:
        return {r: "" for r in roots}
    names: dict[str, str] = {}
    for root in roots:
        path = Path(root)
        name = path.as_posix().strip("/") if not path.is_absolute() else path.name
        if name in ("", ".") or name.startswith(".."):
            name = path.resolve().name
        names[root] = name
    return names


def _excluded(rel: str, patterns: Sequence[str]) -> bool:
    for pat in patterns:
        if fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch("/" + rel, pat):
            return True
        # "**/x/**" also matches "x/..." at the root
        if pat.startswith("**/") and fnmatch.fnmatch(rel, pat[3:]):
            return True
    return False


def discover(roots: Sequence[str], excludes: Sequence[str]) -> list[SourceFile]:
    """Walk every root once; prune vendored and generated trees before descending into them."""
    prefixes = root_names(roots)
    out: list[SourceFile] = []
    for root in roots:
        base = Path(root)
        if base.is_file():
            lang = EXTENSIONS.get(base.suffix)
            if lang:
                out.append(SourceFile(root, str(base.resolve()), base.name, lang))
            continue
        prefix = prefixes[root]
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if d not in PRUNED_DIRS and not d.startswith("."))
            for fname in sorted(filenames):
                ext = os.path.splitext(fname)[1]
                lang = EXTENSIONS.get(ext)
                if lang is None or fname.endswith(".d.ts"):
                    continue
                full = Path(dirpath, fname)
                rel = full.relative_to(base).as_posix()
                if _excluded(rel, excludes):
                    continue
                shown = f"{prefix}/{rel}" if prefix else rel
                out.append(SourceFile(root, str(full.resolve()), shown, lang))
    return out
