"""Patch verification: a patch that would not compile or type-check is withheld, with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import require_node_modules, write_tree

from analyzer.codemods.apply import unified_diff
from analyzer.codemods.verify import verify_patches


def test_a_python_patch_that_would_not_compile_is_withheld(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.py", tmp_path / "bad.py"
    good.write_text("def f(x: int) -> int:\n    return x\n")
    bad.write_text("def g(x: int) -> int:\n    return x\n")
    patches = {
        "good.py": unified_diff("good.py", good.read_text(), good.read_text().replace("x: int", "x: str")),
        "bad.py": unified_diff("bad.py", bad.read_text(), bad.read_text().replace("x: int", "x: (")),
    }
    files = {"good.py": str(good), "bad.py": str(bad)}
    result = verify_patches(patches, files, {"": str(tmp_path)})
    assert set(result.patches) == {"good.py"}
    assert "would not compile" in result.withheld["bad.py"]


@pytest.fixture()
def ts_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    modules = require_node_modules()
    root = tmp_path / "web"
    (root / "src").mkdir(parents=True)
    (root / "tsconfig.json").write_text(json.dumps({"compilerOptions": {"strict": True, "noEmit": True,
                                                                        "target": "ES2020"},
                                                    "include": ["src"]}))
    (root / "src" / "api.ts").write_text("export function load(orderId: number): string {\n  return `/o/${orderId}`;\n}\n")
    (root / "src" / "page.ts").write_text("import { load } from './api';\n\nexport const url = load(42);\n")
    monkeypatch.setenv("IMPACT_NODE_MODULES", str(modules))
    return root


def _patch(root: Path) -> tuple[dict[str, str], dict[str, str]]:
    api = root / "src" / "api.ts"
    text = api.read_text()
    diff = unified_diff("web/src/api.ts", text, text.replace("orderId: number", "orderId: string"))
    return {"web/src/api.ts": diff}, {"web/src/api.ts": str(api)}


def test_a_front_end_patch_that_breaks_tsc_is_withheld(ts_project: Path) -> None:
    patches, files = _patch(ts_project)
    result = verify_patches(patches, files, {"web": str(ts_project)})
    assert result.patches == {}
    assert "tsc" in result.withheld["web/src/api.ts"]
    assert any("new error" in s for s in result.skipped), result.skipped


def test_tsc_errors_on_lines_listed_for_review_are_expected(ts_project: Path) -> None:
    patches, files = _patch(ts_project)
    result = verify_patches(patches, files, {"web": str(ts_project)},
                            review_lines=frozenset({("web/src/page.ts", 3)}))
    assert set(result.patches) == {"web/src/api.ts"}
    assert any("each on a line the report lists for review" in c for c in result.checked), result.checked


def test_no_typecheck_keeps_the_patch_and_says_so(ts_project: Path) -> None:
    patches, files = _patch(ts_project)
    result = verify_patches(patches, files, {"web": str(ts_project)}, typecheck=False)
    assert set(result.patches) == {"web/src/api.ts"}
    assert any("--no-typecheck" in s for s in result.skipped)


# ----------------------------------------------------------------------------- projects below a root

TSCONFIG = json.dumps({"compilerOptions": {"strict": True, "noEmit": True, "target": "ES2020"}, "include": ["src"]})


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


def _patches(root: Path, edits: dict[str, tuple[str, str]]) -> tuple[dict[str, str], dict[str, str]]:
    patches, files = {}, {}
    for rel, (old, new) in edits.items():
        text = (root / rel).read_text()
        patches[f"repo/{rel}"] = unified_diff(f"repo/{rel}", text, text.replace(old, new))
        files[f"repo/{rel}"] = str(root / rel)
    return patches, files


def test_a_monorepo_root_is_type_checked_per_project_and_only_the_broken_patch_is_withheld(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMPACT_NODE_MODULES", str(require_node_modules()))
    root = _monorepo(tmp_path)
    patches, files = _patches(root, {
        "frontend/src/cart.ts": ("orderId: number): number[]", "orderId: string): string[]"),
        "frontend/src/labels.ts": ("orderId: number", "orderId: string"),
        "scripts/tool.ts": ("orderId: number = 1", "orderId: string = '1'"),
    })
    result = verify_patches(patches, files, {"repo": str(root)})
    # checkout.ts passes a number to the patched cart.ts: that patch goes; labels.ts type-checks and stays
    assert set(result.patches) == {"repo/frontend/src/labels.ts", "repo/scripts/tool.ts"}
    assert "in frontend/src/checkout.ts which imports it: TS2345" in result.withheld["repo/frontend/src/cart.ts"]
    assert any(s.startswith("tsc: repo/frontend: 1 new error after the patch; 1 of 2 patches withheld")
               for s in result.skipped), result.skipped
    assert any("no tsconfig.json above scripts/tool.ts" in s for s in result.skipped), result.skipped


def test_a_project_without_tsc_is_named_with_the_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMPACT_NODE_MODULES", raising=False)
    root = _monorepo(tmp_path)
    patches, files = _patches(root, {"frontend/src/labels.ts": ("orderId: number", "orderId: string")})
    result = verify_patches(patches, files, {"repo": str(root)})
    assert set(result.patches) == {"repo/frontend/src/labels.ts"}, "not verified is not withheld"
    assert result.skipped == ["tsc: repo/frontend: no node_modules/.bin/tsc (npm install, or IMPACT_NODE_MODULES); "
                              "1 patched files not type-checked"]
