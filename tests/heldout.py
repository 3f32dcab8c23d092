"""Scan a fixture app the way a user does and score it against its annotations (shared by the
held-out accuracy tests, one per app)."""

from __future__ import annotations

import difflib
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from expectations import Expected, format_scores, read_expectations, score
from helpers import run_impact, seed_fixture_db

ROOTS = ("backend", "frontend")
#: for a fixture front end without a tsconfig.json (as benchmarks/bench_tsc_loop.py gives one)
STRICT_TSCONFIG = {"compilerOptions": {"target": "ES2020", "module": "ESNext", "moduleResolution": "Bundler",
                                       "jsx": "react-jsx", "strict": True, "noEmit": True, "skipLibCheck": True},
                   "include": ["src"]}


def scan_app(app: Path, targets: tuple[str, ...], tmp: Path) -> list[dict[str, Any]]:
    """Seed the app's SQLite database, run the installed `impact scan` from the app directory (so the
    roots are named backend/frontend) and return findings.json's findings."""
    url = f"sqlite:///{tmp / 'app.sqlite'}"
    seed_fixture_db(app, url)
    out = tmp / "out"
    target_args = [arg for target in targets for arg in ("--target", target)]
    proc = run_impact("scan", *ROOTS, "--db", url, *target_args, "--to", "uuid",
                      "--config", str(app / "pyproject.toml"), "--out", str(out), "--fail-on", "never", "-q",
                      cwd=app)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    # every file was scanned: a rule that raises marks its file failed and its findings vanish, which would read
    # as a recall drop rather than the crash it is (seen once, with a rules/ tree out of step with analyzer/)
    failed = [o for o in data["outcomes"] if o["status"] == "failed"]
    assert not failed, failed[:3]
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
    # a run that failed without a located error (no tsconfig.json, a bad option) checked nothing
    assert proc.returncode == 0 or found, proc.stdout + proc.stderr
    return [("frontend/" + path, int(line), message) for path, line, message in found]


# ------------------------------------------------------------------ the three checks every held-out front end gets
@dataclass(frozen=True)
class Floors:
    """One app's floors and ceilings: the figures measured when its test was written, rounded down (counts are
    ceilings). They catch a regression; they are not a target."""

    recall: float  # rules only, whole app
    precision: float
    sides: dict[str, tuple[float, float]]  # side -> (recall, precision), rules only
    min_expected: int  # annotation counts: a fixture edit that drops annotations fails loudly
    min_ok: int
    max_distractors: int = 0  # `ok` lines flagged, rules only
    tsc_frontend: tuple[float, float] | None = None  # (recall, precision) of the front end scanned with tsc
    patched: float = 0.90  # front-end must-change lines changed by `impact apply` (issue 13 asks 0.90)
    max_ok_patched: int = 0  # `ok` lines the patches changed
    max_tsc_off_report: int = 0  # tsc errors on lines the report does not list


def copy_app(app: Path, tmp: Path) -> Path:
    """A copy of the fixture, so a scan leaves no cache in it and `impact apply` patches the copy."""
    copy = tmp / "app"
    shutil.copytree(app, copy, ignore=shutil.ignore_patterns(".impact-cache", "node_modules", "__pycache__"))
    return copy


def check_rules_only(app: Path, targets: tuple[str, ...], tmp: Path, floors: Floors) -> None:
    """The rules alone (call with IMPACT_NODE_MODULES unset), so the figures do not depend on node_modules."""
    expected, ok = app_expectations(app)
    assert len(expected) >= floors.min_expected and len(ok) >= floors.min_ok, (len(expected), len(ok))
    findings = scan_app(copy_app(app, tmp), targets, tmp)
    for side, (recall_floor, precision_floor) in floors.sides.items():
        recall, precision = side_scores(expected, findings, side)
        assert recall >= recall_floor and precision >= precision_floor, (side, recall, precision)
    check_accuracy(app.name, findings, expected, ok, floors.recall, floors.precision, floors.max_distractors)


def check_unpatched_front_end_compiles(app: Path, tmp: Path, node_modules: Path) -> None:
    """The fixture as written passes its strict tsconfig, so every error after `impact apply` comes from the patches."""
    frontend = tmp / "frontend"
    shutil.copytree(app / "frontend", frontend, ignore=shutil.ignore_patterns("node_modules"))
    (frontend / "node_modules").symlink_to(node_modules, target_is_directory=True)
    assert strict_tsc(frontend, node_modules) == []


@dataclass
class Applied:
    """What `check_after_apply` saw: the patched copy and the lines the report lists."""

    copy: Path
    reported: set[tuple[str, int]]
    errors: list[tuple[str, int, str]]


def check_after_apply(app: Path, targets: tuple[str, ...], tmp: Path, node_modules: Path, floors: Floors) -> Applied:
    """Issue 13's check (call with IMPACT_NODE_MODULES set): scan with tsc as CI does, `impact apply` on a copy,
    then strict `tsc --noEmit`: the share of front-end must-change lines patched, no `ok` line changed, and
    every compiler error on a line the report lists."""
    copy = copy_app(app, tmp)
    before_patches: set[tuple[str, int, str]] = set()  # errors of an app not written for strict tsc
    if not (copy / "frontend" / "tsconfig.json").exists():  # ledger_app's has none: the strict one of the others
        (copy / "frontend" / "tsconfig.json").write_text(json.dumps(STRICT_TSCONFIG), encoding="utf-8")
        (copy / "frontend" / "node_modules").symlink_to(node_modules, target_is_directory=True)
        before_patches = set(strict_tsc(copy / "frontend", node_modules))
        (copy / "frontend" / "node_modules").unlink()
    findings = scan_app(copy, targets, tmp)
    expected, ok = app_expectations(app)
    front = {k: e for k, e in expected.items() if k[0].startswith("frontend/")}
    tsc_recall, tsc_precision = side_scores(expected, findings, "frontend")
    _, _, misses, noise = score(front, [f for f in findings if f["path"].startswith("frontend/")])
    print("with tsc, front-end misses: " + ", ".join(f"{m.path}:{m.line}" for m in misses))
    print("with tsc, front-end noise: " + ", ".join(f"{f['path']}:{f['line']} {f['rule']}" for f in noise))
    reported = {(f["path"], f["line"]) for f in findings}

    proc = run_impact("apply", "--out", str(tmp / "out"), "--force", cwd=copy)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    must = [k for k, e in front.items() if e.kind == "must_change"]
    files = {k[0] for k in front} | {k[0] for k in ok if k[0].startswith("frontend/")}
    before = {rel: (app / rel).read_text(encoding="utf-8").splitlines() for rel in files}
    after = {rel: (copy / rel).read_text(encoding="utf-8").splitlines() for rel in files}
    changed = {rel: changed_lines(before[rel], after[rel]) for rel in files}
    patched = [k for k in must if k[1] in changed[k[0]]]
    print(f"\nfront-end must-change lines patched: {len(patched)}/{len(must)}")
    print("not patched: " + ", ".join(f"{p}:{n}" for p, n in sorted(set(must) - set(patched))))
    touched_ok = sorted((rel, n) for rel, lines in changed.items() for n in lines if (rel, n) in ok)
    print("`ok` lines the patches changed: " + ", ".join(f"{p}:{n}" for p, n in touched_ok))
    for rel in files:  # the front end's patches add or remove no line: report lines still match
        assert len(before[rel]) == len(after[rel]), rel

    (copy / "frontend" / "node_modules").symlink_to(node_modules, target_is_directory=True)
    errors = [e for e in strict_tsc(copy / "frontend", node_modules) if e not in before_patches]
    off = [e for e in errors if e[:2] not in reported]
    print(f"\ntsc after apply: {len(errors)} errors, {len(off)} off the reported lines"
          + (f" ({len(before_patches)} before the patches left out)" if before_patches else ""))
    for path, line, message in errors:
        print(f"  {'OFF ' if (path, line) not in reported else ''}{path}:{line} {message}")

    if floors.tsc_frontend is not None:
        recall_floor, precision_floor = floors.tsc_frontend
        assert tsc_recall >= recall_floor and tsc_precision >= precision_floor, (tsc_recall, tsc_precision)
    assert len(patched) / len(must) >= floors.patched, (len(patched), len(must))
    assert len(touched_ok) <= floors.max_ok_patched, touched_ok
    assert len(off) <= floors.max_tsc_off_report, off
    return Applied(copy, reported, errors)
