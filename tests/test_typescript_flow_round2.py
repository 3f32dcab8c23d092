"""Flows the held-out app showed missing, across files, with look-alike distractors next to them:
polymorphic sinks gated by their kind argument, data-attribute ids, setters returned by hooks, id
lists named after the entity, number-keyed entity state, and the layer of helpers under lib/ and utils/.
(Entities here are `content` (affected) and `order`/`shipment` (not): no name of the fixtures.)"""

from __future__ import annotations

from pathlib import Path

from analyzer.config import Config
from analyzer.models import Finding, KeySeeds, RouteSeed
from analyzer.typescript.scan import scan_sources

SEEDS = KeySeeds(
    field_names=frozenset({"content_id"}),
    routes=(RouteSeed("GET", "/api/v1/contents/{content_id}", ("content_id",),
                      "backend/app/api/routes/contents.py:41", "contents.get_content"),
            RouteSeed("GET", "/api/v1/history/{subject_kind}/{subject_id}", ("subject_id",),
                      "backend/app/api/routes/history.py:12", "history.trail")),
    origins={"content_id": "ImageOut.content_id in backend/app/schemas/image.py:12",
             "ContentOut.id": "backend/app/schemas/content.py:10"},
)

APP = {
    "src/api/types.ts": (
        "export interface Content { id: number; title: string }\n"
        "export interface Shipment { id: number; orderId: number }\n"
    ),
    "src/api/history.ts": (
        "export function fetchHistory(subjectKind: 'content' | 'shipment', subjectId: number) {\n"
        "  return http<string[]>(`/api/v1/history/${subjectKind}/${subjectId}`);\n"
        "}\n"
        "export function fetchRelatedContents(shipmentId: number): Promise<number[]> {\n"
        "  return http<number[]>(`/api/v1/shipments/${shipmentId}/related`);\n"
        "}\n"
        "export function fetchShipmentWeights(shipmentId: number): Promise<number[]> {\n"
        "  return http<number[]>(`/api/v1/shipments/${shipmentId}/weights`);\n"
        "}\n"
    ),
    "src/hooks/useHistory.ts": (
        "import { fetchHistory } from '../api/history';\n"
        "export function useContentHistory(ref: number) {\n"
        "  return useQuery({ queryKey: ['h', ref], queryFn: () => fetchHistory('content', ref) });\n"
        "}\n"
        "export function useShipmentHistory(shipmentId: number) {\n"
        "  return useQuery({ queryKey: ['h', shipmentId], queryFn: () => fetchHistory('shipment', shipmentId) });\n"
        "}\n"
    ),
    "src/state/focus.ts": (
        "export function useFocus() {\n"
        "  const [focused, setFocused] = useState<number>();\n"
        "  const [pageSize, setPageSize] = useState<number>(25);\n"
        "  return { focused, setFocused, pageSize, setPageSize };\n"
        "}\n"
        "export function useOpenContents() {\n"
        "  const [open, setOpen] = useState<Record<number, boolean>>({});\n"
        "  return { open, setOpen };\n"
        "}\n"
        "export function useOpenShipments() {\n"
        "  const [open, setOpen] = useState<Record<number, boolean>>({});\n"
        "  return { open, setOpen };\n"
        "}\n"
    ),
    "src/components/ContentList.tsx": (
        "import type { Content, Shipment } from '../api/types';\n"
        "import { useFocus } from '../state/focus';\n"
        "export function ContentList({ items, shipments }: { items: Content[]; shipments: Shipment[] }) {\n"
        "  const { setFocused, setPageSize } = useFocus();\n"
        "  const pick = (e: React.MouseEvent<HTMLLIElement>) => setFocused(Number(e.currentTarget.dataset.ref));\n"
        "  const size = (e: React.MouseEvent<HTMLLIElement>) => setPageSize(Number(e.currentTarget.dataset.size));\n"
        "  return (\n"
        "    <ul>\n"
        "      {items.map((c, i) => <li key={c.id} data-ref={c.id} data-size={i} onClick={pick}>{c.title}</li>)}\n"
        "      {shipments.map((s) => <li key={s.id} data-size={s.orderId} onClick={size} />)}\n"
        "    </ul>\n"
        "  );\n"
        "}\n"
    ),
    "src/lib/links.ts": "export const contentLink = (ref: number) => `/contents/${ref}`;\n",
    "src/utils/sort.ts": (
        "import type { Content, Shipment } from '../api/types';\n"
        "export const newestContentFirst = (a: Content, b: Content) => b.id - a.id;\n"
        "export const byShipment = (a: Shipment, b: Shipment) => a.id - b.id;\n"
    ),
}


def _at(findings: tuple[Finding, ...], path: str, line: int) -> list[Finding]:
    return [f for f in findings if f.path == path and f.span.line == line and f.kind != "info"]


def _scan(tmp_path: Path) -> tuple[Finding, ...]:
    return scan_sources(APP, SEEDS, Config(), tmp=tmp_path).findings


def test_polymorphic_sink_is_gated_by_the_kind_argument(tmp_path: Path) -> None:
    f = _scan(tmp_path)
    assert _at(f, "src/api/history.ts", 1)  # subjectId holds the key (for one kind)
    hook = _at(f, "src/hooks/useHistory.ts", 2)
    assert hook and hook[0].rule == "ts.hook.param" and hook[0].symbol == "useContentHistory.ref"
    assert not _at(f, "src/hooks/useHistory.ts", 5)  # fetchHistory('shipment', shipmentId)
    assert not _at(f, "src/hooks/useHistory.ts", 6)


def test_id_lists_named_after_the_entity(tmp_path: Path) -> None:
    f = _scan(tmp_path)
    ret = _at(f, "src/api/history.ts", 4)
    assert ret and ret[0].rule == "ts.function.return" and ret[0].layer == "ts-api"
    targ = _at(f, "src/api/history.ts", 5)
    assert targ and targ[0].edits and targ[0].edits[0].text == "string"
    assert not _at(f, "src/api/history.ts", 7) and not _at(f, "src/api/history.ts", 8)


def test_hook_setter_and_data_attribute_carry_the_key(tmp_path: Path) -> None:
    f = _scan(tmp_path)
    state = _at(f, "src/state/focus.ts", 2)
    assert state and state[0].rule == "ts.state.use-state" and state[0].symbol == "useFocus.focused"
    assert not _at(f, "src/state/focus.ts", 3)  # pageSize, set from data-size
    cast = _at(f, "src/components/ContentList.tsx", 5)
    assert cast and cast[0].rule == "ts.hazard.number-cast" and cast[0].layer == "ts-component"
    assert not _at(f, "src/components/ContentList.tsx", 6)


def test_number_keyed_state_of_an_entity_hook(tmp_path: Path) -> None:
    f = _scan(tmp_path)
    m = _at(f, "src/state/focus.ts", 7)
    assert m and m[0].rule == "ts.state.id-map" and m[0].layer == "ts-state"
    assert not _at(f, "src/state/focus.ts", 11)


def test_helpers_under_lib_and_utils_take_the_layer_of_what_they_do(tmp_path: Path) -> None:
    """A URL builder is ts-url wherever it lives; a comparator serves every layer and stays `other`."""
    f = _scan(tmp_path)
    link = _at(f, "src/lib/links.ts", 1)
    assert link and {x.layer for x in link} == {"ts-url"}
    cmp_ = _at(f, "src/utils/sort.ts", 2)
    assert cmp_ and cmp_[0].rule == "ts.hazard.id-arithmetic" and cmp_[0].layer == "other"
    assert not _at(f, "src/utils/sort.ts", 3)


def test_row_completed_by_the_parser_keeps_its_finding_without_an_edit(tmp_path: Path) -> None:
    """`useState<number>(contentId;` lacks a `)`: the parser assumes it and reads the row, so the finding
    stays (the developer must know), but no patch is written around a syntax error."""
    src = {
        "src/legacy/Picker.tsx": (
            "export function Picker({ contentId }: { contentId: number }) {\n"
            "  const [value, setValue] = useState<number>(contentId;\n"
            "  return <b onClick={() => setValue(contentId)}>{value}</b>;\n"
            "}\n"
        ),
    }
    result = scan_sources(src, SEEDS, Config(), tmp=tmp_path)
    row = _at(result.findings, "src/legacy/Picker.tsx", 2)
    assert row and row[0].rule == "ts.state.use-state" and row[0].edits == ()
    first = _at(result.findings, "src/legacy/Picker.tsx", 1)
    assert first and first[0].edits  # rows the parser read as written keep their edits
