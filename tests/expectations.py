"""Expected answers of a fixture app, read from its annotations, and recall/precision against them.

    x: int  # impact: must_change pydantic          -> this line
    // impact-next: hazard ts-api                    -> the next line
    {/* impact: must_change ts-component */}         -> this line (JSX)
    -- impact: must_change raw-sql                   -> this line (SQL)
    sa.Column("id", sa.Integer())  # impact: info migration  -> context only (history in an old revision):
                                                        an info finding is expected, a must_change or
                                                        hazard there is noise
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

_ANNOTATION = re.compile(r"(?:#|//|/\*|--)\s*impact(-next)?:\s*(must_change|hazard|info)\s+([a-z-]+)")
_OK = re.compile(r"(?:#|//)\s*ok\b")
SUFFIXES = {".py", ".ts", ".tsx", ".sql"}


@dataclass(frozen=True)
class Expected:
    path: str
    line: int
    kind: str
    layer: str


def read_expectations(root: Path, prefix: str = "", skip_dirs: tuple[str, ...] = ("node_modules",)) -> tuple[
    dict[tuple[str, int], Expected], set[tuple[str, int]]
]:
    """(path, line) -> Expected, and the set of lines marked `# ok` (distractors)."""
    expected: dict[tuple[str, int], Expected] = {}
    ok: set[tuple[str, int]] = set()
    for file in sorted(root.rglob("*")):
        if file.suffix not in SUFFIXES or any(part in skip_dirs for part in file.parts):
            continue
        rel = file.relative_to(root).as_posix()
        path = f"{prefix}/{rel}" if prefix else rel
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            continue
        for number, text in enumerate(lines, start=1):
            m = _ANNOTATION.search(text)
            if m:
                line = number + 1 if m.group(1) else number
                expected[(path, line)] = Expected(path, line, m.group(2), m.group(3))
            elif _OK.search(text):
                ok.add((path, number))
    return expected, ok


@dataclass
class Score:
    expected: int
    found: int
    hits: int

    @property
    def recall(self) -> float:
        return self.hits / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        return self.hits / self.found if self.found else 1.0


def score(
    expected: dict[tuple[str, int], Expected], findings: list[dict], kinds: tuple[str, ...] = ("must_change", "hazard")
) -> tuple[Score, dict[str, Score], list[Expected], list[dict]]:
    """Line-level scoring: a line counts once however many rules flag it. Info findings are context, and so
    are lines annotated `info`: they are not expected among `kinds`, so flagging them counts as noise."""
    expected = {k: e for k, e in expected.items() if e.kind in kinds}
    flagged: dict[tuple[str, int], dict] = {}
    for f in findings:
        if f["kind"] in kinds:
            flagged.setdefault((f["path"], f["line"]), f)
    hits = set(flagged) & set(expected)
    misses = [expected[k] for k in sorted(set(expected) - hits)]
    noise = [flagged[k] for k in sorted(set(flagged) - set(expected))]
    by_layer: dict[str, Score] = defaultdict(lambda: Score(0, 0, 0))
    for key, exp in expected.items():
        by_layer[exp.layer].expected += 1
        if key in hits:
            by_layer[exp.layer].hits += 1
    for key, f in flagged.items():
        layer = expected[key].layer if key in expected else f["layer"]
        by_layer[layer].found += 1
    total = Score(len(expected), len(flagged), len(hits))
    return total, dict(by_layer), misses, noise


def format_scores(total: Score, by_layer: dict[str, Score]) -> str:
    rows = [f"{'layer':<14} {'expected':>8} {'found':>6} {'hits':>5} {'recall':>7} {'precision':>9}"]
    for layer, s in sorted(by_layer.items()):
        rows.append(f"{layer:<14} {s.expected:>8} {s.found:>6} {s.hits:>5} {s.recall:>7.0%} {s.precision:>9.0%}")
    rows.append(f"{'TOTAL':<14} {total.expected:>8} {total.found:>6} {total.hits:>5} "
                f"{total.recall:>7.0%} {total.precision:>9.0%}")
    return "\n".join(rows)


def missing_info(expected: dict[tuple[str, int], Expected], findings: list[dict]) -> list[Expected]:
    """Lines annotated `info` that have no info finding (history reported as context)."""
    infos = {(f["path"], f["line"]) for f in findings if f["kind"] == "info"}
    return [e for k, e in sorted(expected.items()) if e.kind == "info" and k not in infos]
