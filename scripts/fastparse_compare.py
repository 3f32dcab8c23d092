"""Compare the trees `analyzer.python.fastparse` builds with LibCST's own, node by node, on real files.

    python scripts/fastparse_compare.py PATH [PATH ...] [--show N]

For every .py file under the paths that LibCST parses: the same node types and fields (whitespace and punctuation
aside), the same positions for every node LibCST's codegen places, and the same index (`ParsedFile.index`, its order
too). Prints a line per file that differs (its first difference), the files `fastparse` refused and why, and the
parse times of both. Exit status 1 when any file differs.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analyzer.python import fastparse, parsed  # noqa: E402
from analyzer.python.fastparse import tree_difference  # noqa: E402


class _Src:
    def __init__(self, path: str) -> None:
        self.path = path
        self.abs_path = path


def files_under(paths: list[str]) -> list[str]:
    out = []
    for p in paths:
        if os.path.isfile(p):
            out.append(p)
            continue
        for root, dirs, fs in os.walk(p):
            dirs[:] = [d for d in dirs if not d.startswith(".") and d != "node_modules"]
            out.extend(os.path.join(root, f) for f in fs if f.endswith(".py"))
    return sorted(out)


def main(argv: list[str]) -> int:
    show = 30
    if "--show" in argv:
        i = argv.index("--show")
        show = int(argv[i + 1])
        del argv[i:i + 2]
    files = files_under(argv)
    refused: Counter[str] = Counter()
    differ = 0
    t_real = t_fast = 0.0
    checked = 0
    for path in files:
        try:
            text = open(path, encoding="utf-8").read()
        except (UnicodeDecodeError, OSError):
            continue
        rel = os.path.relpath(path)
        src = _Src(rel)
        t0 = time.process_time()
        try:
            real = parsed.ParsedFile(src, text, parsed._native_parse(text))  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - LibCST refuses it: nothing to compare
            continue
        t1 = time.process_time()
        try:
            fast = parsed.parse_fast(src, text)  # type: ignore[arg-type]
        except fastparse.Unsupported as exc:
            refused[str(exc).split(":")[0]] += 1
            continue
        t2 = time.process_time()
        t_real += t1 - t0
        t_fast += t2 - t1
        checked += 1
        diff = tree_difference(real, fast)
        if diff:
            differ += 1
            if differ <= show:
                print(f"{rel}: {diff}")
    print(f"{checked} files compared, {differ} differ; refused: {dict(refused.most_common())}")
    print(f"LibCST parse+index {t_real:.2f} s, fastparse+index {t_fast:.2f} s ({t_real / max(t_fast, 1e-9):.1f}x)")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
