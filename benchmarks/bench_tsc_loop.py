"""Benchmark: the compiler loop of `impact scan` (analyzer/codemods/verify.py) against one full tsc run.

    .venv/bin/python benchmarks/bench_tsc_loop.py [--app fleet_app --app ledger_app ...] [--repeat 3]

Needs tsc and the fixtures' type packages: IMPACT_NODE_MODULES, else `.cache/tsc/node_modules` (see
.ci/run). For each fixture app (and `synthetic`, a small React front end where one retyped key leads tsc
through a dozen `number` slots in several rounds), in a temporary copy: seed the app's database, scan
`backend frontend` in process, then time (1) one full `tsc --noEmit -p .` on the unpatched front end,
(2) the verification loop (the patched rounds, the unpatched tree when needed; one compiler kept running,
`analyzer/codemods/tsc_server.py`), in turn `--repeat` times, and print the medians with their ratio, the tsc runs and rounds, what the compiler found, and the
issue's done-when figures: after the patches are applied, the tsc errors that are new and not on a line
the report lists for review (should be 0), and the share of the must-change front-end lines (the
fixture's annotations) the patches change (should be at least 90 %), and the distractor lines (`// ok`) they
change (noise, should be 0).

ledger_app's front end has no tsconfig.json: the benchmark gives its copy a strict one (the fixture
stays as it is; without one, `impact scan` says the front end could not be type-checked).
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from expectations import read_expectations  # noqa: E402

from analyzer.codemods.patching import apply_file_patch, parse_patch  # noqa: E402
from analyzer.config import load  # noqa: E402
from analyzer.models import Report  # noqa: E402
from analyzer.pipeline import ScanOptions, run_scan, verified  # noqa: E402

APPS = {"fleet_app": ("vehicles.id", "trailers.id"), "ledger_app": ("documents.id",),
        "content_app": ("content_items.id", "content_items_auto.id"), "clinic_app": ("bookings.id",)}
STRICT = {"compilerOptions": {"target": "ES2020", "module": "ESNext", "moduleResolution": "Bundler", "jsx": "react-jsx",
                              "strict": True, "noEmit": True, "skipLibCheck": True}, "include": ["src"]}
_ERROR = re.compile(r"^(\S+?)\((\d+),\d+\): error (TS\d+: .*)$", re.M)


@dataclass
class Row:
    app: str
    full_s: float
    loop_s: float
    runs: int
    rounds: int
    fixed: int
    found: int
    expected: int
    errors_before: int
    errors_left: int  # new after the patches, on no line the report lists for review
    must: int
    patched: int
    ok_changed: int  # distractor lines (`// ok`) the patches change: noise

    @property
    def ratio(self) -> float:
        return self.loop_s / self.full_s if self.full_s else 0.0


def node_modules() -> Path:
    env = os.environ.get("IMPACT_NODE_MODULES")
    path = Path(env) if env else REPO / ".cache" / "tsc" / "node_modules"
    if not (path / ".bin" / "tsc").exists():
        sys.exit("no tsc: set IMPACT_NODE_MODULES or npm ci into .cache/tsc (see .ci/run)")
    return path


def tsc(front: Path, modules: Path) -> tuple[float, list[tuple[str, int, str]]]:
    link = front / "node_modules"
    if not link.exists():
        link.symlink_to(modules, target_is_directory=True)
    started = time.perf_counter()
    config = json.loads((front / "tsconfig.json").read_text(encoding="utf-8"))
    how = ["--build", "."] if config.get("references") else ["--noEmit", "-p", "."]  # as verify checks it
    proc = subprocess.run([str(modules / ".bin" / "tsc"), *how, "--pretty", "false"], cwd=front,  # --build first
                          capture_output=True, text=True, timeout=600)
    return time.perf_counter() - started, [(f, int(n), m) for f, n, m in _ERROR.findall(proc.stdout)]


def prepare(name: str, tmp: Path) -> tuple[Path, Report]:
    app = tmp / name
    shutil.copytree(REPO / "fixtures" / name, app, ignore=shutil.ignore_patterns("node_modules", "__pycache__"))
    if not (app / "frontend" / "tsconfig.json").exists():
        (app / "frontend" / "tsconfig.json").write_text(json.dumps(STRICT), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"{name}_seed", app / "db" / "seed.py")
    assert spec is not None and spec.loader is not None
    seed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(seed)
    url = f"sqlite:///{tmp / (name + '.sqlite')}"
    seed.build_database(url, rows=200, seed=0)
    cwd = Path.cwd()
    os.chdir(app)  # the roots are named backend and frontend, as a user's scan names them
    try:
        cfg = load(app / "pyproject.toml", search_from=app)
        report = run_scan(ScanOptions(roots=("backend", "frontend"), targets=APPS[name], to="uuid", db_url=url,
                                      config=cfg))
    finally:
        os.chdir(cwd)
    return app, report


def synthetic(tmp: Path, references: bool = False) -> tuple[Path, Report]:
    """The loop test's front end (tests/test_codemods_verify.py FLEET), as a report with its one finding.
    `references`: its `src/api` a composite project the app references (checked with tsc --build)."""
    from dataclasses import replace

    from report_factory import build_report
    from test_codemods_verify import FLEET, _finding

    from analyzer.models import with_fingerprints

    app = tmp / ("synthetic-refs" if references else "synthetic")
    files = dict(FLEET)
    if references:
        options = {**STRICT["compilerOptions"], "noEmit": False}  # type: ignore[dict-item]
        files["src/api/tsconfig.json"] = json.dumps({"compilerOptions": {**options, "composite": True,
                                                                         "outDir": "../../out/api", "rootDir": "."},
                                                     "include": ["."]})
        files["tsconfig.json"] = json.dumps({**STRICT, "exclude": ["src/api"], "references": [{"path": "./src/api"}]})
    for rel, text in files.items():
        (app / "frontend" / rel).parent.mkdir(parents=True, exist_ok=True)
        (app / "frontend" / rel).write_text(text, encoding="utf-8")
    f, where = _finding(app / "frontend", "frontend", "src/api/types.ts", "id: number", "id: string", "Vehicle.id")
    base = build_report()
    report = replace(base, findings=with_fingerprints([f]), roots=("frontend",),
                     extras={**base.extras, "files": dict([where]), "root_paths": {"frontend": str(app / "frontend")}})
    return app, report


def measure(name: str, tmp: Path, modules: Path, repeat: int) -> Row:
    app, report = synthetic(tmp, name == "synthetic-refs") if name.startswith("synthetic") else prepare(name, tmp)
    pristine = tmp / f"{name}-pristine"
    shutil.copytree(app / "frontend", pristine, ignore=shutil.ignore_patterns("node_modules"))
    times, loops = [], []
    before: list[tuple[str, int, str]] = []
    for _ in range(repeat):  # one full run, then the loop, in turn: a busy machine slows both alike
        seconds, before = tsc(pristine, modules)
        times.append(seconds)
        out = verified(report)
        verification = out.extras["verification"]
        assert isinstance(verification, dict)
        projects = [p for p in verification["projects"] if str(p["checker"]).startswith("tsc") and p["ran"]]
        if not projects:
            sys.exit(f"{name}: tsc did not run: {verification['skipped']}")
        (project,) = projects
        loops.append(float(project["seconds"]))
    # `impact apply` on a copy, then tsc as a user runs it
    applied = tmp / f"{name}-applied"
    shutil.copytree(app, applied, ignore=shutil.ignore_patterns("node_modules"))
    patches = out.extras["patches"]
    assert isinstance(patches, dict)
    for path, diff in patches.items():
        target = applied / path
        (patch,) = parse_patch(diff)
        target.write_text(apply_file_patch(target.read_text(encoding="utf-8"), patch), encoding="utf-8")
    _, after = tsc(applied / "frontend", modules)
    review = {(f.path, line) for f in out.findings if f.kind != "info" and not f.fix
              for line in range(f.span.line, f.span.end_line + 1)}
    known = {(f, m) for f, _n, m in before}
    left = [e for e in after if (f"frontend/{e[0]}", e[1]) not in review and (e[0], e[2]) not in known]
    for f, n, m in left:
        print(f"  {name}: frontend/{f}:{n}: {m}")
    must, patched, ok_changed = must_change_patched(name, app, applied)
    return Row(name, statistics.median(times), statistics.median(loops), int(project["runs"]), int(project["rounds"]),
               int(project["fixed"]), int(project["found"]), int(project["expected"]), len(before), len(left),
               must, patched, ok_changed)


def must_change_patched(name: str, app: Path, applied: Path) -> tuple[int, int, int]:
    """The fixture's must-change front-end lines, how many of them the applied patches change, and how many
    of its distractor lines (`// ok`) they change."""
    if name.startswith("synthetic"):
        return 0, 0, 0
    expected, ok = read_expectations(app / "frontend", prefix="frontend")
    must = [k for k, e in expected.items() if e.kind == "must_change"]
    changed: set[tuple[str, int]] = set()
    for path in {p for p, _line in (*must, *ok)}:
        a = (app / path).read_text(encoding="utf-8").splitlines()
        b = (applied / path).read_text(encoding="utf-8").splitlines()
        for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if tag in ("replace", "delete"):
                changed.update((path, i + 1) for i in range(i1, i2))
    return len(must), sum(1 for k in must if k in changed), len(ok & changed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", action="append", choices=[*APPS, "synthetic", "synthetic-refs"], help="default: all")
    parser.add_argument("--repeat", type=int, default=3, help="full runs and loops to time, in turn (medians)")
    args = parser.parse_args()
    modules = node_modules()
    os.environ["IMPACT_NODE_MODULES"] = str(modules)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-tsc-") as tmp:
        for name in args.app or [*APPS, "synthetic", "synthetic-refs"]:
            rows.append(measure(name, Path(tmp), modules, max(1, args.repeat)))
    head = (f"{'app':<12} {'full tsc':>9} {'loop':>7} {'ratio':>6} {'runs':>5} {'rounds':>6} {'retyped':>8} "
            f"{'found':>6} {'review':>7} {'errors left':>11} {'must-change patched':>20} {'ok changed':>10}")
    print(head)
    print("-" * len(head))
    for r in rows:
        share = f"{r.patched}/{r.must} ({100 * r.patched / r.must:.0f} %)" if r.must else "-"
        print(f"{r.app:<12} {r.full_s:>8.2f}s {r.loop_s:>6.2f}s {r.ratio:>5.2f}x {r.runs:>5} {r.rounds:>6} "
              f"{r.fixed:>8} {r.found:>6} {r.expected:>7} {r.errors_left:>11} {share:>20} {r.ok_changed:>10}")
    ratios = [r.ratio for r in rows]
    print(f"\nloop / one full tsc run: median {statistics.median(ratios):.2f}x, worst {max(ratios):.2f}x "
          "(the loop: every tsc run of the verification, the unpatched tree included when needed)")


if __name__ == "__main__":
    main()
