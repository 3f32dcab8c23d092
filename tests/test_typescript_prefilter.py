"""Work proportional to the impact: the text prefilter, the import graph and the incremental rounds.

Each shortcut is checked against the thorough scan (every file parsed, every round over every file):
the findings must be the same, only the work differs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import analyzer.typescript.scan as tscan
from analyzer.config import Config
from analyzer.models import Finding, KeySeeds, Ok, RouteSeed
from analyzer.typescript.names import KeyNames
from analyzer.typescript.prefilter import ImportGraph, Prefilter, relevant_files, vocabulary
from analyzer.typescript.scan import scan_sources

SEEDS = KeySeeds(
    field_names=frozenset({"content_id"}),
    routes=(RouteSeed("GET", "/api/v1/contents/{content_id}", ("content_id",),
                      "backend/app/api/routes/contents.py:41", "contents.get_content"),),
    origins={"content_id": "ImageOut.content_id in backend/app/schemas/image.py:12",
             "ContentOut.id": "backend/app/schemas/content.py:10"},
)

#: a small app where the key crosses files in both directions, through a shared helper, a barrel
#: file, an alias import, a hook-returned setter and a component, next to an unrelated entity
APP = {
    "src/api/client.ts": (
        "export async function request<T>(path: string): Promise<T> {\n"
        "  return (await fetch(`/api/v1${path}`)).json() as Promise<T>;\n"
        "}\n"
    ),
    "src/lib/format.ts": "export const label = (ref: number) => `#${ref}`;\n",
    "src/api/contents.ts": (
        "import { request } from './client';\n"
        "export const getContent = (id: number) => request(`/contents/${id}`);\n"
    ),
    "src/hooks/index.ts": "export * from './useThing';\n",
    "src/hooks/useThing.ts": (
        "import { getContent } from '@/api/contents';\n"
        "export function useThing(key: number) {\n"
        "  return useQuery({ queryKey: ['thing', key], queryFn: () => getContent(key) });\n"
        "}\n"
        "export function usePick() {\n"
        "  const [picked, setPicked] = useState<number | null>(null);\n"
        "  return { picked, setPicked };\n"
        "}\n"
    ),
    "src/pages/Viewer.tsx": (
        "import { useThing, usePick } from '../hooks';\n"
        "import { label } from '../lib/format';\n"
        "export function Viewer({ which }: { which: number }) {\n"
        "  const { setPicked } = usePick();\n"
        "  useThing(which);\n"
        "  return <b onClick={() => setPicked(which)}>{label(which)}</b>;\n"
        "}\n"
    ),
    "src/pages/App.tsx": (
        "import { Viewer } from './Viewer';\n"
        "export const App = () => <Viewer which={Number(location.hash.slice(1))} />;\n"
    ),
    "src/orders/api.ts": "export const getOrder = (orderId: number) => fetch(`/orders/${orderId}`);\n",
    "src/orders/Row.tsx": (
        "import { getOrder } from './api';\n"
        "export const Row = ({ orderId }: { orderId: number }) => <b onClick={() => getOrder(orderId)} />;\n"
    ),
}


def _key(f: Finding) -> tuple[object, ...]:
    return (f.path, f.span.line, f.span.column, f.rule, f.symbol, f.evidence)


def _thorough(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tscan, "THOROUGH", True)


def test_vocabulary_is_minimal_and_case_blind() -> None:
    words = vocabulary(KeyNames.build(SEEDS, Config()), Config())
    assert "content" in words  # covers content_id, contentId, contents, ContentItem
    assert not any(w != "content" and "content" in w for w in words)
    assert vocabulary(KeyNames.build(KeySeeds(), Config()), Config()) == ()


def test_import_graph_resolves_relative_index_alias_and_esm_paths() -> None:
    g = ImportGraph(["src/api/client.ts", "src/hooks/index.ts", "src/hooks/useThing.ts", "src/pages/App.tsx"])
    assert g.resolve("src/pages/App.tsx", "../hooks") == ["src/hooks/index.ts"]
    assert g.resolve("src/hooks/useThing.ts", "../api/client.js") == ["src/api/client.ts"]
    assert g.resolve("src/pages/App.tsx", "@/api/client") == ["src/api/client.ts"]
    assert g.resolve("src/pages/App.tsx", "api/client") == ["src/api/client.ts"]
    assert g.resolve("src/pages/App.tsx", "react") == []
    assert g.resolve("src/pages/App.tsx", "@tanstack/react-query") == []


def test_relevant_files_follow_imports_both_ways_and_leave_other_entities_out() -> None:
    kn = KeyNames.build(SEEDS, Config())
    keep = relevant_files(APP, kn, Config())
    assert keep is not None
    assert {"src/api/contents.ts", "src/api/client.ts", "src/hooks/useThing.ts"} <= keep
    assert {"src/hooks/index.ts", "src/pages/Viewer.tsx", "src/pages/App.tsx"} <= keep  # importers
    # imported only by an importer that never names the key: left out at first, taken once the flow
    # sees a key passed to `label` (test_prefiltered_scan_equals_thorough_scan)
    assert "src/lib/format.ts" not in keep
    assert not keep & {"src/orders/api.ts", "src/orders/Row.tsx"}


def test_no_vocabulary_means_no_filtering() -> None:
    assert relevant_files(APP, KeyNames.build(KeySeeds(), Config()), Config()) is None


def test_prefiltered_scan_equals_thorough_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = scan_sources(APP, SEEDS, Config(), tmp=tmp_path / "fast")
    assert fast.stats["prefiltered_out"] == 2 and fast.stats["prefilter_expansions"] == 1
    skipped = {o.path for o in fast.outcomes if isinstance(o, Ok) and o.findings == 0}
    assert {"src/orders/api.ts", "src/orders/Row.tsx"} <= skipped
    _thorough(monkeypatch)
    slow = scan_sources(APP, SEEDS, Config(), tmp=tmp_path / "slow")
    assert slow.stats["prefiltered_out"] == 0
    assert sorted(map(_key, fast.findings)) == sorted(map(_key, slow.findings))
    lines = {(f.path, f.span.line) for f in fast.findings if f.kind != "info"}
    assert ("src/hooks/useThing.ts", 6) in lines  # the hook-returned setter receives the key
    assert ("src/pages/Viewer.tsx", 3) in lines
    assert ("src/pages/App.tsx", 2) in lines  # Number(...) into a key prop
    assert ("src/lib/format.ts", 1) in lines  # the helper the prefilter took on expansion
    assert not any(p.startswith("src/orders/") for p, _ in lines)


def test_incremental_rounds_settle_like_full_rounds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chain met backwards needs a round per link: each round after the first reruns only the
    readers of what changed, never the unrelated files, and settles on the same findings."""
    chain: dict[str, str] = {}
    for i in reversed(range(6)):  # step5 first: the key reaches it last
        callee = f"step{i - 1}" if i else "getContent"
        chain[f"src/lib/step{i}.ts"] = (
            f"import {{ {callee} }} from '{'./step' + str(i - 1) if i else '../api/contents'}';\n"
            f"export function step{i}(v{i}: number) {{ return {callee}(v{i}); }}\n"
            f"export function other{i}(page: number) {{ return page + 1; }}\n"
        )
    for i in range(6):
        chain[f"src/misc/contentLabel{i}.ts"] = f"export const contentLabel{i} = (count: number) => `${{count}} items`;\n"
    chain["src/api/contents.ts"] = "export const getContent = (id: number) => fetch(`/api/v1/contents/${id}`);\n"
    fast = scan_sources(chain, SEEDS, Config(), tmp=tmp_path / "fast")
    assert fast.stats["flow_rounds"] >= 4
    assert fast.stats["flow_files_per_round"] <= 3, fast.stats
    _thorough(monkeypatch)
    slow = scan_sources(chain, SEEDS, Config(), tmp=tmp_path / "slow")
    assert slow.stats["flow_files_per_round"] == len(chain)
    assert sorted(map(_key, fast.findings)) == sorted(map(_key, slow.findings))
    flagged = {f.symbol for f in fast.findings if f.kind == "must_change"}
    assert {f"step{i}.v{i}" for i in range(6)} <= flagged
    assert not any("page" in (s or "") or "count" in (s or "") for s in flagged)


def test_expand_follows_the_importing_statement_and_barrels() -> None:
    """Named, aliased, default and namespace imports, and a name re-exported by a barrel."""
    texts = {
        "src/pages/ContentPage.tsx": (
            "import Badge from '../ui/Badge';\n"
            "import * as fmt from '../lib/fmt';\n"
            "import { chip as Chip } from '../ui/chip';\n"
            "import { Tooltip } from '../ui';\n"
            "export const P = ({ contentId }: { contentId: number }) => <Badge value={contentId} />;\n"
        ),
        "src/ui/Badge.tsx": "export default function Badge({ value }: { value: number }) { return <b>{value}</b>; }\n",
        "src/lib/fmt.ts": "export const label = (v: number) => `#${v}`;\n",
        "src/ui/chip.tsx": "export const chip = ({ n }: { n: number }) => <i>{n}</i>;\n",
        "src/ui/index.ts": "export * from './Tooltip';\nexport * from './Menu';\n",
        "src/ui/Tooltip.tsx": "export function Tooltip({ n }: { n: number }) { return <i>{n}</i>; }\n",
        "src/ui/Menu.tsx": "export function Menu() { return <ul />; }\n",
        "src/ui/unused.ts": "export const label = 1;\n",
    }
    pf = Prefilter(texts, KeyNames.build(SEEDS, Config()), Config())
    assert pf.initial() == set(texts) - {"src/ui/unused.ts"}  # a seed brings all it imports
    keep = {"src/pages/ContentPage.tsx"}
    wanted = {"src/pages/ContentPage.tsx": {"Badge", "fmt", "Chip", "Tooltip"}}
    assert pf.expand(keep, wanted) == {"src/ui/Badge.tsx", "src/lib/fmt.ts", "src/ui/chip.tsx", "src/ui/Tooltip.tsx"}
    assert pf.expand(keep, {"src/pages/ContentPage.tsx": {"console"}}) == set()


def test_type_member_change_reruns_its_readers_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A member of a declared type found to hold the key (`Pick.ref`, given to `getContent`) is a project-wide
    fact: the next round runs the files that asked about that member (`keep` reads `q.ref`), not every file,
    and settles on the same findings as full rounds."""
    app = {
        "src/api/contents.ts": "export const getContent = (id: number) => fetch(`/api/v1/contents/${id}`);\n",
        "src/types.ts": "export interface Pick { ref: number; label: string }\n",
        "src/keep.ts": (  # runs before open.ts in a round: sees Pick.ref change in the next one
            "import { Pick } from './types';\n"
            "export function keepContent(q: Pick) { const r: number = q.ref; return r; }\n"
        ),
        "src/open.ts": (
            "import { getContent } from './api/contents';\n"
            "import { Pick } from './types';\n"
            "export function open(p: Pick) { return getContent(p.ref); }\n"
        ),
    }
    for i in range(8):
        app[f"src/misc/contentCount{i}.ts"] = f"export const contentCount{i} = (count: number) => count + {i};\n"
    fast = scan_sources(app, SEEDS, Config(), tmp=tmp_path / "fast")
    assert fast.stats["flow_files_per_round"] < len(app) / 2, fast.stats
    _thorough(monkeypatch)
    slow = scan_sources(app, SEEDS, Config(), tmp=tmp_path / "slow")
    assert sorted(map(_key, fast.findings)) == sorted(map(_key, slow.findings))
    assert any(f.path == "src/keep.ts" for f in fast.findings), fast.findings
