"""Project references: a tsconfig that references a composite project and checks files of its own is
checked with `tsc --build` in the scratch copy (plain `tsc -p` reads the referenced project's emitted
declarations, absent from the copy, and sees none of its patched sources). The patched package and the
app that references it are one check, whether the app has patches of its own or not.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import require_node_modules, write_tree
from test_codemods_verify import _finding, _verify

from analyzer.codemods.verify import build_groups, needs_build, ts_projects

OPTIONS = {"strict": True, "target": "ES2020", "module": "ESNext", "moduleResolution": "Bundler", "skipLibCheck": True}


def _repo(root: Path) -> Path:
    return write_tree(root, {
        "shared/tsconfig.json": json.dumps({"compilerOptions": {**OPTIONS, "composite": True, "outDir": "dist",
                                                                "rootDir": "src"}, "include": ["src"]}),
        "shared/src/ids.ts": "export interface Vehicle {\n  id: number;\n  name: string;\n}\n",
        "tsconfig.json": json.dumps({"compilerOptions": {**OPTIONS, "noEmit": True}, "include": ["app/src"],
                                     "references": [{"path": "./shared"}]}),
        "app/src/label.ts": "import type { Vehicle } from '../../shared/src/ids';\n\n"
                            "export function label(id: number): string {\n  return `#${id}`;\n}\n\n"
                            "export const show = (v: Vehicle) => label(v.id);\n",
    })


def test_references_with_files_of_its_own_need_build(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    assert needs_build(root) and not needs_build(root / "shared")
    projects, _ = ts_projects(root, ["shared/src/ids.ts"])
    assert projects == {Path("shared"): ["shared/src/ids.ts"]}
    assert build_groups(root, projects) == {Path("."): ["shared/src/ids.ts"]}, "checked from the app"


@pytest.mark.parametrize("server", ["1", "0"], ids=["compiler-kept-running", "tsc-command"])
def test_a_patched_package_is_checked_through_the_app_that_references_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: str) -> None:
    monkeypatch.setenv("IMPACT_NODE_MODULES", str(require_node_modules()))
    monkeypatch.setenv("IMPACT_TSC_SERVER", server)
    root = _repo(tmp_path / "repo")
    result = _verify(root, "repo", [_finding(root, "repo", "shared/src/ids.ts", "id: number", "id: string", "Vehicle.id")])
    (project,) = result.projects
    assert project.label == "repo" and project.ran, result.skipped
    fixes = {(f.path, f.line, f.symbol) for f in result.found if f.code == "TS901"}
    assert fixes == {("repo/app/src/label.ts", 3, "label.id")}, result.found
    assert "+export function label(id: string): string {" in result.patches["repo/app/src/label.ts"]
    assert project.rounds == 2 and project.after == 0, project


def test_an_error_tsc_places_in_no_file_withholds_only_the_file_that_brings_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An error tsc places in no file of the root (a library's declarations, a global error; here a
    vendored caller whose path the check cannot map, as if it were outside the root) once `load` takes
    the key: the patched files are halved until the one whose patch brings it is found. That file's patch
    is withheld, the other patches stay."""
    from analyzer.codemods import verify

    monkeypatch.setenv("IMPACT_NODE_MODULES", str(require_node_modules()))
    plain = verify._Tsc._rel
    monkeypatch.setattr(verify._Tsc, "_rel", lambda self, f: "" if "vendor/" in f else plain(self, f))
    root = write_tree(tmp_path / "web", {
        "tsconfig.json": json.dumps({"compilerOptions": {**OPTIONS, "noEmit": True}, "include": ["src"]}),
        "src/vendor/seed.ts": "import { load } from '../api';\n\nexport const first = load(1);\n",
        "src/api.ts": "export function load(orderId: number): string {\n  return `/o/${orderId}`;\n}\n",
        "src/labels.ts": "export function label(orderId: number): string {\n  return `#${orderId}`;\n}\n",
        "src/cart.ts": "export const cart = (orderId: number): number[] => [orderId];\n",
    })
    result = _verify(root, "web", [
        _finding(root, "web", "src/api.ts", "orderId: number", "orderId: string", "load.orderId"),
        _finding(root, "web", "src/labels.ts", "orderId: number", "orderId: string", "label.orderId"),
        _finding(root, "web", "src/cart.ts", "orderId: number): number[]", "orderId: string): string[]", "cart.orderId"),
    ])
    assert set(result.patches) == {"web/src/labels.ts", "web/src/cart.ts"}, result.withheld
    assert "places in no file of web" in result.withheld["web/src/api.ts"]
    assert result.projects[0].alone == 1 and not result.projects[0].withheld
