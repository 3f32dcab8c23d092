"""Round-3 flows, across files, each with look-alike distractors next to it: query keys built by a key
factory (their page argument is not a key), key query parameters of a backend route (`GET /orders?content=`),
a reducer's returned object and its `new Set<number>()` initial state, a named callback passed to a
function-typed prop, and the payload type of a generic client call (`api.get<T>()`).
(The affected entity is `content`; `order`, `page`, `comment` are not: no name of the fixtures.)"""

from __future__ import annotations

from pathlib import Path

from analyzer.config import Config
from analyzer.models import Finding, KeySeeds, RouteSeed
from analyzer.typescript.scan import scan_sources

SEEDS = KeySeeds(
    field_names=frozenset({"content_id"}),
    routes=(RouteSeed("GET", "/api/v1/contents/{content_id}", ("content_id",),
                      "backend/app/api/routes/contents.py:41", "contents.get_content"),
            # a key query parameter: `content` is not in the template
            RouteSeed("GET", "/api/v1/orders", ("content",), "backend/app/api/routes/orders.py:20",
                      "orders.list_orders")),
    origins={"content_id": "ImageOut.content_id in backend/app/schemas/image.py:12",
             "ContentOut.id": "backend/app/schemas/content.py:10"},
)

APP = {
    "src/types.ts": (
        "export interface Content { id: number; title: string }\n"
        "export interface Comment { id: number; body: string }\n"
        "export interface Order { id: number; total: number }\n"
    ),
    "src/api/client.ts": (
        "export const api = {\n"
        "  get: <T,>(path: string, opts: { params?: Record<string, unknown> } = {}): Promise<T> =>\n"
        "    fetch(path + JSON.stringify(opts.params)).then((r) => r.json()),\n"
        "};\n"
    ),
    "src/api/orders.ts": (
        "import { api } from './client';\n"
        "import type { Content, Order } from '../types';\n"
        "export const fetchContent = (contentId: number) => api.get<Content>(`/api/v1/contents/${contentId}`);\n"
        "export const fetchOrdersOf = (content: number, page: number) =>\n"
        "  api.get<Order[]>('/api/v1/orders', { params: { content, page } });\n"
        "export const fetchOrdersByTemplate = (c: number) => api.get<Order[]>(`/api/v1/orders?content=${c}`);\n"
        "export const fetchOrderPage = (page: number) => api.get<Order[]>(`/api/v1/orders?page=${page}`);\n"
        "export const fetchInvoices = (content: number) => api.get<Order[]>('/api/v1/invoices', { params: { content } });\n"
    ),
    "src/hooks/useContent.ts": (
        "import { useQuery } from '@tanstack/react-query';\n"
        "import { fetchContent } from '../api/orders';\n"
        "export const contentKeys = {\n"
        "  page: (contentId: number, page: number) => ['contents', contentId, 'page', page] as const,\n"
        "};\n"
        "export function useContentPage(contentId: number, page: number) {\n"
        "  return useQuery({ queryKey: contentKeys.page(contentId, page), queryFn: () => fetchContent(contentId) });\n"
        "}\n"
    ),
    "src/components/Pager.tsx": (
        "import { useState } from 'react';\n"
        "import { useContentPage } from '../hooks/useContent';\n"
        "export function Pager({ contentId }: { contentId: number }) {\n"
        "  const [page, setPage] = useState(1);\n"
        "  useContentPage(contentId, page);\n"
        "  return <button onClick={() => setPage(page - 1)}>previous</button>;\n"
        "}\n"
    ),
    "src/state/picking.tsx": (
        "import type { Content, Comment } from '../types';\n"
        "interface Picking { focusedId: number | null; picked: Set<number>; liked: Set<number>; size: number }\n"
        "export const initial: Picking = { focusedId: null, picked: new Set<number>(), liked: new Set<number>(), size: 20 };\n"
        "export function reducer(s: Picking, item: Content, comment: Comment, size: number): Picking {\n"
        "  const picked = new Set(s.picked);\n"
        "  picked.add(item.id);\n"
        "  const liked = new Set(s.liked);\n"
        "  liked.add(comment.id);\n"
        "  return { ...s, focusedId: item.id, picked, liked, size };\n"
        "}\n"
    ),
    "src/components/Table.tsx": (
        "import type { Content } from '../types';\n"
        "export function Table({ rows, onOpen, onPage }: {\n"
        "  rows: Content[]; onOpen: (contentId: number) => void; onPage: (page: number) => void }) {\n"
        "  return <ul onClick={() => onPage(2)}>{rows.map((c) => <li key={c.id} onClick={() => onOpen(c.id)}>{c.title}</li>)}</ul>;\n"
        "}\n"
    ),
    "src/pages/ContentsPage.tsx": (
        "import { Table } from '../components/Table';\n"
        "import type { Content } from '../types';\n"
        "export function ContentsPage({ rows }: { rows: Content[] }) {\n"
        "  const open = (id: number) => console.log(id);\n"
        "  const go = (n: number) => console.log(n);\n"
        "  return <Table rows={rows} onOpen={open} onPage={go} />;\n"
        "}\n"
    ),
}


def _at(findings: tuple[Finding, ...], path: str, line: int) -> list[Finding]:
    return [f for f in findings if f.path == path and f.span.line == line and f.kind != "info"]


def _scan(tmp_path: Path) -> tuple[Finding, ...]:
    return scan_sources(APP, SEEDS, Config(), tmp=tmp_path).findings


def test_page_argument_of_a_key_factory_is_not_a_key(tmp_path: Path) -> None:
    f = _scan(tmp_path)
    assert not _at(f, "src/components/Pager.tsx", 6), "Noisy: setPage(page - 1)"
    assert not _at(f, "src/components/Pager.tsx", 4)
    assert [x.symbol for x in _at(f, "src/hooks/useContent.ts", 6)] == ["useContentPage.contentId"]


def test_key_query_parameter_of_a_route(tmp_path: Path) -> None:
    f = _scan(tmp_path)
    assert [x.symbol for x in _at(f, "src/api/orders.ts", 4)] == ["fetchOrdersOf.content"]
    assert [x.symbol for x in _at(f, "src/api/orders.ts", 6)] == ["fetchOrdersByTemplate.c"]
    assert not _at(f, "src/api/orders.ts", 7), "Noisy: a page query parameter"
    assert not _at(f, "src/api/orders.ts", 8), "Noisy: another route's `content` parameter"


def test_reducer_members_and_their_initial_sets(tmp_path: Path) -> None:
    f = _scan(tmp_path)
    line2 = {x.symbol for x in _at(f, "src/state/picking.tsx", 2)}
    assert line2 == {"Picking.focusedId", "Picking.picked"}, line2
    line3 = [(x.code, x.symbol) for x in _at(f, "src/state/picking.tsx", 3)]
    assert line3 == [("TS036", "<module>.picked")], line3
    assert not _at(f, "src/state/picking.tsx", 4)


def test_named_callback_takes_the_props_key_parameter(tmp_path: Path) -> None:
    f = _scan(tmp_path)
    assert [x.symbol for x in _at(f, "src/pages/ContentsPage.tsx", 4)] == ["open.id"]
    assert not _at(f, "src/pages/ContentsPage.tsx", 5), "Noisy: a page callback"
