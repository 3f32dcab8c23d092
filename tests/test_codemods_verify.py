"""Patch verification: a patch that would not compile or type-check is withheld, with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import require_node_modules

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
