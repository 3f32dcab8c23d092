"""Backward flow through shared helpers: a getter called with different constant selectors
(`getUrlParam(URL_PARAMS.contentId)`, `getUrlParam(URL_PARAMS.standalone)`) and a method of a computed
receiver that is mostly a built-in collection's (`ref.current.has(id)`, `this.cache.get(key)`)."""

from __future__ import annotations

from pathlib import Path

from analyzer.config import Config
from analyzer.models import Finding, KeySeeds
from analyzer.typescript.scan import scan_sources

SEEDS = KeySeeds(field_names=frozenset({"content_id"}),
                 origins={"content_id": "ImageOut.content_id in backend/app/schemas/image.py:12"})

URLS = {
    "src/utils/urlUtils.ts": (
        "export const URL_PARAMS = {\n"
        "  contentId: { name: 'content_id', type: 'number' },\n"
        "  standalone: { name: 'standalone', type: 'number' },\n"
        "  page: { name: 'page', type: 'number' },\n"
        "} as const;\n"
        "export function getUrlParam({ name }: { name: string; type: string }): number | null {\n"
        "  const raw = new URLSearchParams(window.location.search).get(name);\n"
        "  return raw ? Number(raw) : null;\n"
        "}\n"
        "export function currentSelection(): number {\n"
        "  return Number(window.sessionStorage.getItem('picked'));\n"
        "}\n"
    ),
    "src/pages/Viewer.tsx": (
        "import { getUrlParam, URL_PARAMS, currentSelection } from '../utils/urlUtils';\n"
        "export function setLevel(level: number): void { document.body.dataset.level = String(level); }\n"
        "export function goTo(pageNumber: number): void { window.scrollTo(0, pageNumber * 100); }\n"
        "export function Viewer() {\n"
        "  const contentId = getUrlParam(URL_PARAMS.contentId);\n"
        "  const standalone = getUrlParam(URL_PARAMS.standalone);\n"
        "  setLevel(standalone ?? 0);\n"
        "  goTo(getUrlParam(URL_PARAMS.page) ?? 1);\n"
        "  return <div data-content={contentId} />;\n"
        "}\n"
        "export function Picked() {\n"
        "  const contentId = currentSelection();\n"
        "  return <div data-content={contentId} />;\n"
        "}\n"
    ),
}

COLLECTIONS = {
    "src/lib/optionSelector.ts": (
        "export class OptionSelector {\n"
        "  private values: number[] = [];\n"
        "  has(value: number): boolean { return this.values.includes(value); }\n"
        "}\n"
        "export class LabelStore {\n"
        "  private byId = new Map<number, string>();\n"
        "  rename(itemId: number, label: string): void { this.byId.set(itemId, label); }\n"
        "}\n"
    ),
    "src/pages/Seen.tsx": (
        "import { useRef } from 'react';\n"
        "import { LabelStore } from '../lib/optionSelector';\n"
        "export function Seen({ contentId, store }: { contentId: string; store: { labels: LabelStore } }) {\n"
        "  const seen = useRef(new Set<string>());\n"
        "  if (!seen.current.has(contentId)) seen.current.add(contentId);\n"
        "  store.labels.rename(contentId, 'seen');\n"
        "  return null;\n"
        "}\n"
    ),
}


def _lines(findings: tuple[Finding, ...], path: str) -> set[int]:
    return {f.span.line for f in findings if f.path == path and f.kind != "info"}


def test_a_getter_called_with_several_constant_selectors_returns_no_key(tmp_path: Path) -> None:
    got = scan_sources(URLS, SEEDS, Config(), tmp=tmp_path)
    viewer = _lines(got.findings, "src/pages/Viewer.tsx")
    assert 2 not in viewer and 3 not in viewer  # level, pageNumber: the standalone and page params, no key
    utils = _lines(got.findings, "src/utils/urlUtils.ts")
    assert not utils & {6, 7, 8}  # getUrlParam's return type and Number(): every parameter's, not the key's
    assert {10, 11} <= utils  # a helper without a selector still returns the key its caller names


def test_a_method_of_a_computed_receiver_is_not_any_project_method_of_that_name(tmp_path: Path) -> None:
    got = scan_sources(COLLECTIONS, SEEDS, Config(), tmp=tmp_path)
    lib = {(f.span.line, f.symbol) for f in got.findings if f.path == "src/lib/optionSelector.ts" and f.kind != "info"}
    assert not [s for line, s in lib if line == 3]  # seen.current.has(contentId): a Set's `has`
    # a project method whose name only one function has (`rename`) is still followed
    assert [s for line, s in lib if line == 7] == ["LabelStore.rename.itemId"]


IMPORTS = {
    # (each module names the key somewhere, so that the prefilter reads it)
    "src/components/Select/utils.ts": (
        "export function isEqual(a: number, b: number): boolean { return a === b; }\n"
        "export const contentLabel = (contentId: string) => `#${contentId}`;\n"
    ),
    "packages/acme-ui/src/compare.ts": (
        "export function sameItem(left: number, right: number): boolean { return left === right; }\n"
        "export const contentLabel = (contentId: string) => `#${contentId}`;\n"
    ),
    "src/lib/local.ts": (
        "export function pickOne(first: number, second: number): number { return first || second; }\n"
    ),
    "src/pages/Diff.tsx": (
        "import { isEqual } from 'lodash';\n"
        "import { sameItem } from '@acme/ui';\n"
        "import { pickOne } from '../lib/local';\n"
        "export function Diff({ contentId, other }: { contentId: string; other: string }) {\n"
        "  const changed = !isEqual(contentId, other);\n"
        "  const same = sameItem(contentId, other);\n"
        "  const chosen = pickOne(contentId, other);\n"
        "  return <div data-changed={changed} data-same={same} data-chosen={chosen} />;\n"
        "}\n"
    ),
}


def test_a_name_imported_from_a_package_is_not_the_project_function_of_that_name(tmp_path: Path) -> None:
    got = scan_sources(IMPORTS, SEEDS, Config(), tmp=tmp_path)
    assert not _lines(got.findings, "src/components/Select/utils.ts")  # lodash's isEqual got the key
    assert 1 in _lines(got.findings, "packages/acme-ui/src/compare.ts")  # a workspace package's function
    assert 1 in _lines(got.findings, "src/lib/local.ts")  # a relative import


SHARED_SELECT = {
    "src/components/Select.tsx": (
        "export type SelectProps = { value: number | string; onChange: (next: number) => void; label: string };\n"
        "export function Select({ value, onChange, label }: SelectProps) {\n"
        "  const current: number = Number(value);\n"
        "  return <select aria-label={label} value={current} onChange={(e) => onChange(Number(e.target.value))} />;\n"
        "}\n"
    ),
    "src/components/ContentBadge.tsx": (
        "export type ContentBadgeProps = { item: number; size: number };\n"
        "export function ContentBadge({ item, size }: ContentBadgeProps) {\n"
        "  return <span data-item={item} style={{ width: size }} />;\n"
        "}\n"
    ),
    "src/pages/Settings.tsx": (
        "import { Select } from '../components/Select';\n"
        "import { ContentBadge } from '../components/ContentBadge';\n"
        "export function Settings({ contentId, pageSize, rowLimit, fontSize, setPageSize }:\n"
        "    { contentId: number; pageSize: number; rowLimit: number; fontSize: number;\n"
        "      setPageSize: (n: number) => void }) {\n"
        "  return (\n"
        "    <div>\n"
        "      <Select label='content' value={contentId} onChange={() => undefined} />\n"
        "      <Select label='page size' value={pageSize} onChange={(n) => setPageSize(n)} />\n"
        "      <Select label='rows' value={rowLimit} onChange={() => undefined} />\n"
        "      <Select label='font' value={fontSize} onChange={() => undefined} />\n"
        "      <ContentBadge item={contentId} size={fontSize} />\n"
        "      <ContentBadge item={contentId} size={pageSize} />\n"
        "      <ContentBadge item={contentId} size={rowLimit} />\n"
        "      <ContentBadge item={contentId} size={12} />\n"
        "    </div>\n"
        "  );\n"
        "}\n"
    ),
}


def test_a_widely_used_components_prop_given_the_key_by_one_element_is_no_key(tmp_path: Path) -> None:
    got = scan_sources(SHARED_SELECT, SEEDS, Config(), tmp=tmp_path)
    assert not _lines(got.findings, "src/components/Select.tsx")  # one of four <Select value> is a key
    settings = {(f.span.line, f.symbol) for f in got.findings if f.path == "src/pages/Settings.tsx"}
    assert not [s for _line, s in settings if "pageSize" in s or "setPageSize" in s]
    # every element gives ContentBadge's `item` the key: it is one (and `size` is not)
    badge = {(f.span.line, f.symbol) for f in got.findings if f.path == "src/components/ContentBadge.tsx"}
    assert (1, "ContentBadgeProps.item") in badge and not [s for _l, s in badge if s.endswith(".size")]
