"""Patch verification: the compiler as an oracle. Real tsc runs on small projects in tmp_path.

A patch that would not compile is withheld with the reason; a tsc error the patches cause becomes a
finding at its line (TS900), or, where the message names a slot typed `number` that now receives the
key, a patch of that annotation (TS901) checked again in the next round.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import require_node_modules, write_tree

from analyzer.codemods.patching import apply_file_patch, parse_patch
from analyzer.codemods.verify import tsc_configs, verify_findings
from analyzer.models import Edit, Finding, Span, with_fingerprints


def _finding(root: Path, prefix: str, rel: str, old: str, new: str, symbol: str, code: str = "TS001",
             fix: bool = True) -> tuple[Finding, tuple[str, str]]:
    """A rule's finding on the first `old` of file `rel`, with a safe edit to `new` (or none: for review)."""
    text = (root / rel).read_text(encoding="utf-8")
    start = text.index(old)
    line = text.count("\n", 0, start) + 1
    col = start - (text.rfind("\n", 0, start) + 1) + 1
    path = f"{prefix}/{rel}" if prefix else rel
    language = "python" if rel.endswith(".py") else "typescript"
    f = Finding(rule="test.rule", code=code, layer="ts-type", language=language, kind="must_change",  # type: ignore[arg-type]
                severity="error", path=path, span=Span(line, col, line, col + len(old)), symbol=symbol,
                message=f"{symbol} holds the key", target="vehicles.id",
                edits=(Edit(start, start + len(old), new),) if fix else ())
    return f, (path, str(root / rel))


def _verify(root: Path, prefix: str, made: list[tuple[Finding, tuple[str, str]]], **kw: object):  # type: ignore[no-untyped-def]
    findings = with_fingerprints([f for f, _ in made])
    files = dict(where for _, where in made)
    return verify_findings(findings, files, {prefix: str(root)}, **kw)  # type: ignore[arg-type]


def test_a_python_patch_that_would_not_compile_is_withheld(tmp_path: Path) -> None:
    write_tree(tmp_path, {"good.py": "def f(x: int) -> int:\n    return x\n",
                          "bad.py": "def g(x: int) -> int:\n    return x\n"})
    result = _verify(tmp_path, "", [_finding(tmp_path, "", "good.py", "x: int", "x: str", "f.x", "PY050"),
                                    _finding(tmp_path, "", "bad.py", "x: int", "x: (", "g.x", "PY050")])
    assert set(result.patches) == {"good.py"}
    assert "would not compile" in result.withheld["bad.py"]
    assert result.checked[0] == "python: 1 patched file compiles"


def test_a_patched_file_too_deep_for_the_compiler_is_withheld(tmp_path: Path) -> None:
    """compile() raises MemoryError (not SyntaxError) on 3,000 nested lambdas: withheld, never a crash."""
    write_tree(tmp_path, {"deep.py": "x: int = 1\ny = " + "lambda: " * 3000 + "1\n"})
    result = _verify(tmp_path, "", [_finding(tmp_path, "", "deep.py", "x: int", "x: str", "x", "PY050")])
    assert result.patches == {}
    assert "would not compile (MemoryError)" in result.withheld["deep.py"]


TSCONFIG = json.dumps({"compilerOptions": {"target": "ES2020", "module": "ESNext", "moduleResolution": "Bundler",
                                           "jsx": "react-jsx", "strict": True, "noEmit": True, "skipLibCheck": True},
                       "include": ["src"]})


@pytest.fixture()
def ts_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IMPACT_NODE_MODULES", str(require_node_modules()))
    return write_tree(tmp_path / "web", {
        "tsconfig.json": TSCONFIG,
        "src/api.ts": "export function load(orderId: number): string {\n  return `/o/${orderId}`;\n}\n",
        "src/page.ts": "import { load } from './api';\n\nexport const url = load(42);\n",
    })


def _load_param(root: Path) -> tuple[Finding, tuple[str, str]]:
    return _finding(root, "web", "src/api.ts", "orderId: number", "orderId: string", "load.orderId", "TS010")


@pytest.mark.parametrize("server", ["1", "0"], ids=["compiler-kept-running", "tsc-command"])
def test_a_caller_the_patch_breaks_becomes_a_finding_and_the_patch_stays(
        ts_project: Path, monkeypatch: pytest.MonkeyPatch, server: str) -> None:
    """`load(42)` passes a number where the key now goes: nothing to retype (the number is not the key's
    value), so the line is reported, linked to the patch that made tsc reject it. The same with the
    project's compiler kept running between rounds and with the tsc command (`IMPACT_TSC_SERVER=0`)."""
    monkeypatch.setenv("IMPACT_TSC_SERVER", server)
    result = _verify(ts_project, "web", [_load_param(ts_project)])
    assert result.projects[0].checker == ("tsc (server)" if server == "1" else "tsc (tsc --incremental)")
    assert set(result.patches) == {"web/src/api.ts"} and not result.withheld
    (found,) = result.found
    assert (found.code, found.rule, found.path, found.line, found.kind) == \
        ("TS900", "ts.tsc.diagnostic", "web/src/page.ts", 3, "must_change")
    assert found.evidence == "tsc TS2345: Argument of type 'number' is not assignable to parameter of type 'string'."
    assert "once the patch for `load.orderId` (TS010, web/src/api.ts:1) is applied" in found.message
    assert not found.fix and found.review
    (project,) = result.projects
    assert (project.label, project.first, project.found, project.fixed, project.before) == ("web", 1, 1, 0, 0)
    assert result.checked == ["tsc: web: 1 new error with the rules' patches; 1 new finding for review; "
                              f"1 patched file kept (1 round, {project.seconds:.1f}s)"]


def test_tsc_errors_on_lines_listed_for_review_are_expected(ts_project: Path) -> None:
    review = _finding(ts_project, "web", "src/page.ts", "load(42)", "", "url", "TS100", fix=False)
    result = _verify(ts_project, "web", [_load_param(ts_project), review])
    assert set(result.patches) == {"web/src/api.ts"} and result.found == []
    assert result.projects[0].expected == 1
    assert "1 error on lines the report lists for review" in result.checked[0], result.checked
    assert result.projects[0].runs == 1, "every error on a review line: the tree as it was need not be checked"


def test_no_typecheck_keeps_the_patch_and_says_so(ts_project: Path) -> None:
    result = _verify(ts_project, "web", [_load_param(ts_project)], typecheck=False)
    assert set(result.patches) == {"web/src/api.ts"} and result.found == []
    assert any("--no-typecheck" in s for s in result.skipped)


# ----------------------------------------------------------------------------- the fixpoint loop

FLEET = {
    "tsconfig.json": TSCONFIG,
    "src/api/types.ts": "export interface Vehicle {\n  id: number;\n  name: string;\n}\n",
    "src/state/selection.ts": (
        'import type { Vehicle } from "../api/types";\n'
        "\n"
        "export function toggle(selected: ReadonlySet<number>, id: number): Set<number> {\n"
        "  const next = new Set(selected);\n"
        "  if (next.has(id)) next.delete(id);\n"
        "  else next.add(id);\n"
        "  return next;\n"
        "}\n"
        "\n"
        "export function firstId(vehicles: Vehicle[]): number {\n"
        "  return vehicles[0].id;\n"
        "}\n"
    ),
    "src/lib/cache.ts": (
        'import type { Vehicle } from "../api/types";\n'
        "\n"
        "const byId: Record<number, Vehicle> = {};\n"
        "const seen = new Map<number, number>();\n"
        "\n"
        "export function remember(v: Vehicle): void {\n"
        "  byId[v.id] = v;\n"
        "  seen.set(v.id, (seen.get(v.id) ?? 0) + 1);\n"
        "}\n"
        "\n"
        "export function isCurrent(v: Vehicle, currentId: number): boolean {\n"
        "  return v.id === currentId;\n"
        "}\n"
        "\n"
        "export function newest(vehicles: Vehicle[]): number {\n"
        "  return Math.max(...vehicles.map((v) => v.id));\n"  # no annotation to retype: a person decides
        "}\n"
    ),
    "src/components/VehicleList.tsx": (
        'import { useState } from "react";\n'
        'import type { Vehicle } from "../api/types";\n'
        'import { toggle } from "../state/selection";\n'
        "\n"
        "type RowProps = { vehicleId: number; selected: boolean; onPick: (vehicleId: number) => void };\n"
        "\n"
        "function Row({ vehicleId, selected, onPick }: RowProps) {\n"
        '  return <li onClick={() => onPick(vehicleId)}>{selected ? "*" : ""}{vehicleId}</li>;\n'
        "}\n"
        "\n"
        "export function VehicleList({ vehicles }: { vehicles: Vehicle[] }) {\n"
        "  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());\n"
        "  const [focused, setFocused] = useState<number | null>(null);\n"
        "  const pageSize: number = 20;\n"  # ok: not the key, never retyped
        "  return (\n"
        "    <ul title={String(focused)} data-size={pageSize}>\n"
        "      {vehicles.map((v) => (\n"
        "        <Row key={v.id} vehicleId={v.id} selected={selected.has(v.id)}\n"
        "             onPick={(id) => { setSelected(toggle(selected, id)); setFocused(id); }} />\n"
        "      ))}\n"
        "    </ul>\n"
        "  );\n"
        "}\n"
    ),
}


def _tsc_errors(root: Path, patches: dict[str, str], prefix: str) -> list[str]:
    """Apply the patches to a fresh copy and run tsc there, as `impact apply` then `tsc --noEmit` would."""
    copy = root.parent / "applied"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("node_modules"))
    for path, diff in patches.items():
        target = copy / path.removeprefix(prefix + "/")
        (patch,) = parse_patch(diff)
        target.write_text(apply_file_patch(target.read_text(encoding="utf-8"), patch), encoding="utf-8")
    (copy / "node_modules").symlink_to(require_node_modules(), target_is_directory=True)
    proc = subprocess.run([str(require_node_modules() / ".bin" / "tsc"), "--noEmit", "--pretty", "false", "-p", "."],
                          cwd=copy, capture_output=True, text=True, timeout=300)
    return [line for line in proc.stdout.splitlines() if ": error TS" in line]


def test_the_loop_retypes_what_the_compiler_names_and_reports_the_rest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One rule patch (`Vehicle.id: string`); tsc then leads, round by round, to every `number` slot the
    key reaches: a prop, a callback prop's parameter, `useState<ReadonlySet<number>>`, `useState<number |
    null>`, a `Record`/`Map` keyed by id, a compared parameter, return types, and the parameters of the
    function the callback calls. `Math.max` of the ids has no annotation to retype: a finding at its line."""
    monkeypatch.setenv("IMPACT_NODE_MODULES", str(require_node_modules()))
    root = write_tree(tmp_path / "web", FLEET)
    result = _verify(root, "web", [_finding(root, "web", "src/api/types.ts", "id: number", "id: string", "Vehicle.id")])
    fixes = {(f.path.removeprefix("web/src/"), f.line, f.symbol) for f in result.found if f.code == "TS901"}
    assert fixes == {
        ("components/VehicleList.tsx", 5, "RowProps.vehicleId"), ("components/VehicleList.tsx", 5, "RowProps.onPick"),
        ("components/VehicleList.tsx", 12, "VehicleList.selected"),
        ("components/VehicleList.tsx", 13, "VehicleList.focused"),
        ("lib/cache.ts", 3, "byId"), ("lib/cache.ts", 4, "seen"), ("lib/cache.ts", 11, "isCurrent.currentId"),
        ("state/selection.ts", 3, "toggle.selected"), ("state/selection.ts", 3, "toggle.id"),
        ("state/selection.ts", 3, "toggle()"), ("state/selection.ts", 10, "firstId()"),
    }
    assert all(f.fix and f.kind == "must_change" and f.evidence.startswith("tsc TS") for f in result.found
               if f.code == "TS901")
    (left,) = [f for f in result.found if f.code == "TS900"]
    assert (left.path, left.line, left.layer) == ("web/src/lib/cache.ts", 16, "ts-state")
    assert "once the patch for `Vehicle.id` (TS001, web/src/api/types.ts:2)" in left.message
    # the patches: only the `number` keywords, never the page size nor the counts of the Map
    cache = result.patches["web/src/lib/cache.ts"]
    assert "+const seen = new Map<string, number>();" in cache and "+const byId: Record<string, Vehicle> = {};" in cache
    assert "+  const pageSize: string" not in result.patches["web/src/components/VehicleList.tsx"]
    selection = result.patches["web/src/state/selection.ts"]
    assert "+export function toggle(selected: ReadonlySet<string>, id: string): Set<string> {" in selection
    project = result.projects[0]
    assert project.rounds >= 3 and project.fixed == 11 and project.found == 1, project
    # after `impact apply`, tsc reports the one line the report lists for review, nothing else
    errors = _tsc_errors(root, result.patches, "web")
    assert len(errors) == 1 and errors[0].startswith("src/lib/cache.ts(16,"), errors


def test_the_compilers_findings_reach_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`pipeline.verified`: the new findings are fingerprinted, summarised, documented, and patched."""
    from report_factory import build_report

    from analyzer.config import Config
    from analyzer.pipeline import verified

    monkeypatch.setenv("IMPACT_NODE_MODULES", str(require_node_modules()))
    root = write_tree(tmp_path / "web", {"tsconfig.json": TSCONFIG,
                                         "src/types.ts": "export type Vehicle = { id: number };\n",
                                         "src/ui.ts": "import type { Vehicle } from './types';\n\n"
                                                      "export function label(id: number): string {\n"
                                                      "  return `#${id}`;\n}\n\n"
                                                      "export const tag = (v: Vehicle) => label(v.id) + Math.abs(v.id);\n"
                                                      "export const old = (v: Vehicle) => Math.abs(v.id); "
                                                      "// impact: ignore[TS900] -- legacy ids, retired\n"})
    made = [_finding(root, "web", "src/types.ts", "id: number", "id: string", "Vehicle.id")]
    base = build_report()
    report = replace(base, findings=with_fingerprints([f for f, _ in made]), roots=("web",),
                     extras={**base.extras, "files": dict(w for _, w in made), "root_paths": {"web": str(root)}})
    out = verified(report)
    codes = sorted(f.code for f in out.findings)
    assert codes == ["TS001", "TS900", "TS901"], codes
    assert out.summary.findings == 3 and out.summary.by_kind == {"must_change": 3}
    assert {getattr(r, "code", None) for r in out.extras["rules"]} >= {"TS900", "TS901", "PY900"}  # type: ignore[attr-defined]
    assert len({f.fingerprint for f in out.findings}) == 3
    assert out.extras["files"]["web/src/ui.ts"] == str(root / "src/ui.ts")  # type: ignore[index]
    assert "+export function label(id: string): string {" in out.extras["patches"]["web/src/ui.ts"]  # type: ignore[index]
    project = out.extras["verification"]["projects"][0]  # type: ignore[index]
    assert (project["fixed"], project["found"], project["silenced"], project["ran"]) == (1, 1, 1, True)
    snippet = out.extras["snippets"][next(f.fingerprint for f in out.findings if f.code == "TS900")]  # type: ignore[index]
    assert "Math.abs(v.id)" in snippet
    assert not any(f.code == "TS900" and f.line == 8 for f in out.findings), "suppressed like a rule's finding"
    quiet = verified(report, config=Config(disable=("TS900",)))
    assert sorted(f.code for f in quiet.findings) == ["TS001", "TS901"]


# ----------------------------------------------------------------------------- projects below a root


def _monorepo(tmp_path: Path) -> Path:
    """`impact scan .` on the usual layout: the backend and a front end with its tsconfig one level down."""
    return write_tree(tmp_path / "repo", {
        "backend/app/models.py": "class Order:\n    id: int\n",
        "frontend/tsconfig.json": TSCONFIG,
        # two modules the key reaches; `cart` has a caller the patch breaks, `labels` has none
        "frontend/src/cart.ts": "export function addToCart(orderId: number): number[] {\n  return [orderId];\n}\n",
        "frontend/src/checkout.ts": "import { addToCart } from './cart';\n\nexport const items = addToCart(7);\n",
        "frontend/src/labels.ts": "export function label(orderId: number): string {\n  return `#${orderId}`;\n}\n",
        "scripts/tool.ts": "export const orderId: number = 1;\n",  # below no tsconfig.json
    })


def test_a_monorepo_root_is_type_checked_per_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMPACT_NODE_MODULES", str(require_node_modules()))
    root = _monorepo(tmp_path)
    result = _verify(root, "repo", [
        _finding(root, "repo", "frontend/src/cart.ts", "orderId: number): number[]", "orderId: string): string[]",
                 "addToCart.orderId"),
        _finding(root, "repo", "frontend/src/labels.ts", "orderId: number", "orderId: string", "label.orderId"),
        _finding(root, "repo", "scripts/tool.ts", "orderId: number = 1", "orderId: string = '1'", "orderId"),
    ])
    # checkout.ts passes a number to the patched cart.ts: a finding there, and every patch stays
    assert set(result.patches) == {"repo/frontend/src/cart.ts", "repo/frontend/src/labels.ts", "repo/scripts/tool.ts"}
    (found,) = result.found
    assert (found.path, found.line, found.code) == ("repo/frontend/src/checkout.ts", 3, "TS900")
    assert "`addToCart.orderId`" in found.message
    assert [p.label for p in result.projects] == ["repo (scripts/tool.ts)", "repo/frontend"]
    assert any("no tsconfig.json above scripts/tool.ts" in s for s in result.skipped), result.skipped


def test_a_project_without_tsc_is_named_with_the_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """...and the tree is not copied for a compiler no project has (onyx: 5.6 s of a default scan)."""
    import shutil

    monkeypatch.delenv("IMPACT_NODE_MODULES", raising=False)
    copied: list[object] = []
    monkeypatch.setattr(shutil, "copytree", lambda *a, **k: copied.append(a))
    root = _monorepo(tmp_path)
    result = _verify(root, "repo", [_finding(root, "repo", "frontend/src/labels.ts", "orderId: number",
                                             "orderId: string", "label.orderId")])
    assert set(result.patches) == {"repo/frontend/src/labels.ts"}, "not verified is not withheld"
    assert result.skipped == ["tsc: repo/frontend: no node_modules/.bin/tsc (npm install, or IMPACT_NODE_MODULES); "
                              "1 patched file not type-checked"]
    assert (result.projects[0].ran, result.projects[0].reason) == \
        (False, "no node_modules/.bin/tsc (npm install, or IMPACT_NODE_MODULES)")
    assert copied == []


def test_a_solution_style_tsconfig_is_checked_through_its_references(tmp_path: Path) -> None:
    """Vite's template: `tsconfig.json` holds no files, only references (with comments and trailing commas)."""
    root = write_tree(tmp_path, {
        "tsconfig.json": '{\n  // solution\n  "files": [],\n  "references": [\n    { "path": "./tsconfig.app.json" },\n'
                         '    { "path": "./tsconfig.node.json" }, /* build tools */\n  ],\n}\n',
        "tsconfig.app.json": "{}", "tsconfig.node.json": "{}",
        "plain/tsconfig.json": '{"include": ["src"], "references": [{"path": "../lib"}]}',
    })
    assert tsc_configs(root) == ["tsconfig.app.json", "tsconfig.node.json"]
    assert tsc_configs(root / "plain") == ["tsconfig.json"]


def test_the_compilers_rules_are_documented_and_configurable(tmp_path: Path) -> None:
    from analyzer.cli import _catalogue
    from analyzer.config import load

    metas = {m.code: m for m in _catalogue()}
    assert metas["TS901"].fixable and metas["TS900"].name == "ts.tsc.diagnostic" and "mypy" in metas["PY900"].doc
    (tmp_path / "pyproject.toml").write_text('[tool.impact]\ndisable = ["TS900", "py.typecheck.diagnostic"]\n')
    cfg = load(tmp_path / "pyproject.toml", search_from=tmp_path)
    assert not cfg.rule_enabled("TS900", "ts.tsc.diagnostic") and cfg.rule_enabled("TS901", "ts.tsc.annotation")


# ----------------------------------------------------------------------------- Python: mypy and imports


def _fake_venv(root: Path) -> None:
    """The project's virtualenv, as `python -m venv` lays it out, running this interpreter and its mypy."""
    import sys

    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (root / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    for name, target in (("python", sys.executable), ("mypy", str(Path(sys.executable).with_name("mypy")))):
        (bin_dir / name).write_text(f'#!/bin/sh\nexec "{target}" "$@"\n')
        (bin_dir / name).chmod(0o755)


def test_mypy_configured_in_the_project_finds_what_the_rules_did_not(tmp_path: Path) -> None:
    """A caller mypy rejects once `get_order` takes a UUID becomes a finding; a patch that stops its
    module from importing (a name it never imports) is withheld with the error."""
    root = write_tree(tmp_path / "svc", {
        "pyproject.toml": "[project]\nname = 'svc'\n\n[tool.mypy]\npython_version = '3.10'\n",
        "app/__init__.py": "",
        "app/orders.py": "import uuid\n\n\ndef get_order(order_id: int) -> str:\n    return f'order {order_id}'\n",
        "app/views.py": "from app.orders import get_order\n\n\ndef show(raw: str) -> str:\n"
                        "    return get_order(int(raw))\n",
        "app/labels.py": "def label(order_id: int) -> str:\n    return f'#{order_id}'\n",
    })
    _fake_venv(root)
    made = [_finding(root, "svc", "app/orders.py", "order_id: int", "order_id: uuid.UUID", "get_order.order_id",
                     "PY050"),
            _finding(root, "svc", "app/labels.py", "order_id: int", "order_id: UUID", "label.order_id", "PY050")]
    result = _verify(root, "svc", made)
    assert "no longer imports (NameError: name 'UUID' is not defined)" in result.withheld["svc/app/labels.py"]
    assert set(result.patches) == {"svc/app/orders.py"}
    (found,) = result.found
    assert (found.code, found.path, found.line, found.kind) == ("PY900", "svc/app/views.py", 5, "must_change")
    assert found.evidence == 'mypy arg-type: Argument 1 to "get_order" has incompatible type "int"; expected "UUID"'
    assert "once the patch for `get_order.order_id` (PY050, svc/app/orders.py:4)" in found.message
    (project,) = [p for p in result.projects if p.checker == "mypy"]
    assert (project.label, project.found, project.before) == ("svc (mypy)", 1, 0)
    assert any(c.startswith("python: svc: 1 patched module imports with ") for c in result.checked), result.checked
    assert any(c.startswith("mypy: svc (mypy): 1 new error with the patches; 1 new finding") for c in result.checked)


def test_a_type_checker_config_above_the_root_counts_only_when_it_covers_the_root(tmp_path: Path) -> None:
    from analyzer.codemods.pycheck import find_checker

    repo = write_tree(tmp_path / "repo", {"pyproject.toml": '[tool.mypy]\nfiles = ["tools", "backend"]\n',
                                          "backend/app/m.py": "", "fixtures/m.py": ""})
    _fake_venv(repo)
    checker = find_checker(repo / "backend")
    assert checker is not None and checker.base == repo and checker.files_in_config
    assert find_checker(repo / "fixtures") is None, "the repository's own config is not the fixture's"


def test_the_report_shows_the_checks_per_project() -> None:
    from analyzer.reports import RENDERERS
    from report_factory import build_report

    from analyzer.codemods.verify import ProjectCheck

    base = build_report()
    f = next(f for f in base.findings if f.language == "typescript")
    found = replace(f, code="TS900", rule="ts.tsc.diagnostic", fingerprint="x" * 32, edits=(),
                    evidence="tsc TS2345: Argument of type 'number' is not assignable to parameter of type 'string'.")
    projects = [ProjectCheck(label="frontend", checker="tsc (server)", rounds=3, runs=4, seconds=2.5, before=1,
                             first=5, fixed=3, found=1, expected=1, patched=7).as_dict(),
                ProjectCheck(label="admin", ran=False, reason="no node_modules/.bin/tsc", patched=2).as_dict()]
    report = replace(base, findings=(*base.findings, found), extras={**base.extras, "verification": {
        "checked": ["tsc: frontend: 5 new errors with the rules' patches; ..."], "skipped": [], "withheld": {},
        "projects": projects, "found": 4, "listed": True}})
    html = RENDERERS["html"](report)
    section = html.split('<section id="patches">', 1)[1].split("</section>", 1)[0]
    row = section.split("<code>frontend</code>", 1)[1].split("</tr>", 1)[0]
    assert [int(n) for n in re.findall(r'<td class="num">(\d+)', row)] == [3, 1, 5, 3, 1, 1, 7, 2]
    assert "not run: no node_modules/.bin/tsc (2 patched files not checked)" in section
    assert "Found by the compiler rather than the rules: 1 <code>TS900</code>" in section
    md = RENDERERS["md"](report)
    assert "patches type-checked (frontend), 4 more places found by the compiler · admin not type-checked: " \
           "no node_modules/.bin/tsc" in md, md[:600]
