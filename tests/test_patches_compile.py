"""The demo's patches on a copy of the fixture app: they apply, the Python compiles, the frontend
type-checks with `tsc --noEmit` in strict mode, and a re-scan of the patched tree proposes nothing more.

tsc and the app's type dependencies come from `IMPACT_NODE_MODULES` (a node_modules directory made
from the fixture's package-lock.json; `.ci/run` installs it into `.cache/tsc`). Without it the tsc
test skips, unless `IMPACT_REQUIRE_TSC=1` (set in CI) makes that a failure.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import node_modules, require_node_modules, run_impact

BROKEN = {"scripts/legacy_export.py"}  # the fixture's deliberately unparsable file


@pytest.fixture(scope="module")
def patched(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("patched") / "impact-report"
    modules = node_modules()  # with tsc at hand, the demo type-checks its own patches before writing them
    env = {"IMPACT_NODE_MODULES": str(modules)} if modules else None
    proc = run_impact("demo", "--out", str(out), "-q", cwd=out.parent, env=env)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert (out / "patches" / "all.patch").stat().st_size > 0, "the demo should propose patches"
    applied = run_impact("apply", "--out", str(out), cwd=out.parent)
    assert applied.returncode == 0, applied.stderr
    return out


def test_patches_cover_python_and_typescript(patched: Path) -> None:
    names = [p.relative_to(patched / "patches").as_posix() for p in (patched / "patches").rglob("*.patch")]
    assert any(n.startswith("backend/") and n.endswith(".py.patch") for n in names), names
    assert any(n.startswith("frontend/") and n.endswith((".ts.patch", ".tsx.patch")) for n in names), names


def test_patched_python_compiles(patched: Path) -> None:
    backend = patched / "demo-app" / "backend"
    errors = []
    for file in sorted(backend.rglob("*.py")):
        rel = file.relative_to(backend).as_posix()
        if rel in BROKEN:
            continue
        try:
            compile(file.read_bytes(), str(file), "exec", dont_inherit=True)
        except SyntaxError as exc:
            errors.append(f"{rel}:{exc.lineno}: {exc.msg}")
    assert not errors, "\n".join(errors)


def test_patched_frontend_type_checks(patched: Path) -> None:
    modules = require_node_modules()
    frontend = patched / "demo-app" / "frontend"
    link = frontend / "node_modules"
    if not link.exists():
        link.symlink_to(modules, target_is_directory=True)
    proc = subprocess.run([str(modules / ".bin" / "tsc"), "--noEmit", "--pretty", "false", "-p", "tsconfig.json"],
                          cwd=frontend, capture_output=True, text=True, timeout=300)
    # The only errors tsc may report are on lines the report lists for review (a hazard with no safe fix,
    # e.g. arithmetic on an id): there the compiler and the report point at the same place.
    findings = json.loads((patched / "findings.json").read_text(encoding="utf-8"))["findings"]
    review = {(f["path"], line) for f in findings if f["kind"] != "info" and not f["fix"]
              for line in range(f["line"], f["end_line"] + 1)}
    errors = re.findall(r"^(\S+?)\((\d+),\d+\): error (TS\d+: .*)$", proc.stdout, re.M)
    unexpected = [e for e in errors if (f"frontend/{e[0]}", int(e[1])) not in review]
    assert not unexpected, "\n".join(f"{f}:{line}: {msg}" for f, line, msg in unexpected)
    assert proc.returncode == 0 or errors, proc.stdout[-2000:] + proc.stderr[-2000:]
    print(f"\ntsc on the patched frontend: {len(errors)} errors, all on review lines")


def test_rescan_of_the_patched_tree_proposes_no_patch(patched: Path) -> None:
    """Idempotence: scanning the patched copy again must not propose the same change twice."""
    app = patched / "demo-app"
    seeder = app / "db" / "seed.py"
    db_file = patched.parent / "rescan.sqlite"
    build = subprocess.run(
        [sys.executable, "-c",
         "import importlib.util,sys; s=importlib.util.spec_from_file_location('seed', sys.argv[1]);"
         "m=importlib.util.module_from_spec(s); s.loader.exec_module(m); m.build_database(sys.argv[2], rows=50)",
         str(seeder), f"sqlite:///{db_file}"],
        capture_output=True, text=True, timeout=300,
    )
    assert build.returncode == 0, build.stderr
    out = patched.parent / "rescan"
    proc = run_impact(
        "scan", str(app / "backend"), str(app / "frontend"), "--db", f"sqlite:///{db_file}",
        "--target", "content_items.id", "--target", "content_items_auto.id", "--to", "uuid",
        "--config", str(app / "pyproject.toml"), "--out", str(out), "--fail-on", "never", "-q",
        cwd=patched.parent,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    leftover = (out / "patches" / "all.patch").read_text(encoding="utf-8")
    assert leftover == "", leftover[:3000]
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert not [f for f in data["findings"] if f["fix"]], "a patched tree must offer no further fix"


def test_patched_backend_imports(patched: Path) -> None:
    """Every module of the patched backend imports (models, schemas, routes, tasks) with real libraries."""
    backend = patched / "demo-app" / "backend"
    script = (
        "import importlib, pathlib, sys\n"
        "root = pathlib.Path(sys.argv[1]); sys.path.insert(0, str(root)); failed = []\n"
        "for f in sorted((root / 'app').rglob('*.py')):\n"
        "    mod = '.'.join(f.relative_to(root).with_suffix('').parts).removesuffix('.__init__')\n"
        "    try: importlib.import_module(mod)\n"
        "    except Exception as exc: failed.append(f'{mod}: {type(exc).__name__}: {exc}')\n"
        "print('\\n'.join(failed)); sys.exit(1 if failed else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(backend)], capture_output=True, text=True,
                          timeout=300, cwd=backend)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
