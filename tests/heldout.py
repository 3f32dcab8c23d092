"""Scan a fixture app the way a user does and score it against its annotations (shared by the
held-out accuracy tests, one per app)."""

from __future__ import annotations

import difflib
import importlib.util
import json
import re
import subprocess
from pathlib import Path
from typing import Any

from expectations import Expected, format_scores, read_expectations, score
from helpers import run_impact

ROOTS = ("backend", "frontend")


def scan_app(app: Path, targets: tuple[str, ...], tmp: Path) -> list[dict[str, Any]]:
    """Seed the app's SQLite database, run the installed `impact scan` from the app directory (so the
    roots are named backend/frontend) and return findings.json's findings."""
    spec = importlib.util.spec_from_file_location(f"{app.name}_seed", app / "db" / "seed.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    url = f"sqlite:///{tmp / 'app.sqlite'}"
    module.build_database(url, rows=200, seed=0)
    out = tmp / "out"
    target_args = [arg for target in targets for arg in ("--target", target)]
    proc = run_impact("scan", *ROOTS, "--db", url, *target_args, "--to", "uuid",
                      "--config", str(app / "pyproject.toml"), "--out", str(out), "--fail-on", "never", "-q",
                      cwd=app)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert data["roots"] == list(ROOTS), data["roots"]
    assert {(t["table"], t["column"]) for t in data["targets"]} == {tuple(t.split(".")) for t in targets}
    return list(data["findings"])


def app_expectations(app: Path) -> tuple[dict[tuple[str, int], Expected], set[tuple[str, int]]]:
    expected: dict[tuple[str, int], Expected] = {}
    ok: set[tuple[str, int]] = set()
    for root in ROOTS:
        exp, distractors = read_expectations(app / root, prefix=root)
        expected.update(exp)
        ok |= distractors
    return expected, ok


def _describe(f: dict[str, Any]) -> str:
    return f"{f['path']}:{f['line']} {f['kind']} {f['layer']} {f['rule']} {f.get('symbol') or ''}".rstrip()


def check_accuracy(name: str, findings: list[dict[str, Any]], expected: dict[tuple[str, int], Expected],
                   ok: set[tuple[str, int]], recall_floor: float, precision_floor: float,
                   max_distractors: int = 0) -> None:
    """Print the table, the misses, the noise and any flagged `ok` line; fail on more flagged `ok` lines
    than `max_distractors` (a newer app's measured count, a ceiling like the floors) or below a floor."""
    total, by_layer, misses, noise = score(expected, findings)
    table = format_scores(total, by_layer)
    print(f"\n{name} (held out):\n" + table)
    print(f"\nmisses ({len(misses)}):")
    for m in misses:
        print(f"  {m.path}:{m.line} {m.kind} {m.layer}")
    print(f"\nnoise ({len(noise)}):")
    for f in noise:
        print("  " + _describe(f) + ("  [marked ok]" if (f["path"], f["line"]) in ok else ""))
    distractors = [f for f in findings if (f["path"], f["line"]) in ok and f["kind"] in ("must_change", "hazard")]
    print(f"\ndistractors flagged ({len(distractors)}):")
    for f in distractors:
        print("  " + _describe(f))
    assert len(distractors) <= max_distractors, (
        f"{len(distractors)} `ok` lines flagged (at most {max_distractors}):\n" + "\n".join(_describe(f) for f in distractors))
    assert total.recall >= recall_floor, table
    assert total.precision >= precision_floor, table


def side_scores(expected: dict[tuple[str, int], Expected], findings: list[dict[str, Any]], side: str) -> tuple[float, float]:
    """Recall and precision of one side of an app (`backend` / `frontend`), with its table printed."""
    exp = {k: e for k, e in expected.items() if k[0].startswith(side + "/")}
    total, by_layer, _, _ = score(exp, [f for f in findings if f["path"].startswith(side + "/")])
    print(f"\n{side}:\n" + format_scores(total, by_layer))
    return total.recall, total.precision


def changed_lines(old: list[str], new: list[str]) -> set[int]:
    """1-based lines of `old` that a patch replaced or removed."""
    changed: set[int] = set()
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag != "equal":
            changed.update(range(i1 + 1, i2 + 1))
    return changed


def strict_tsc(frontend: Path, node_modules: Path) -> list[tuple[str, int, str]]:
    """`tsc --noEmit` in a front end: (frontend/path, line, "TSnnnn: message") per error."""
    proc = subprocess.run([str(node_modules / ".bin" / "tsc"), "--noEmit", "--pretty", "false", "-p", "."],
                          cwd=frontend, capture_output=True, text=True, timeout=600)
    found = re.findall(r"^(\S+)\((\d+),\d+\): error (TS\d+: .*)$", proc.stdout, re.M)
    return [("frontend/" + path, int(line), message) for path, line, message in found]
