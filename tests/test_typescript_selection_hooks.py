"""Issue 12 (misses), TypeScript side: a selection hook, and rows the key reaches through `useMemo`.

A `projects.id` key. `useProjectSelection` returns `useMemo(() => ({ selected, isSelected, toggle, selectAll }))`
typed by an interface of function members (`toggle: (id: number) => void`); the table gives it `p.id` of rows
sorted in a `useMemo`, passes `selection.toggle` down as a row's `onToggle`, and compares each row with a
`highlightId` prop. Next to it the same kind of hook holds page numbers (`usePageSelection`), and a table of
comments (another record) uses its own selection: neither is the key.
"""

from __future__ import annotations

from pathlib import Path

from analyzer.config import Config
from analyzer.models import Finding, KeySeeds, RouteSeed
from analyzer.typescript.scan import scan_sources

SEEDS = KeySeeds(
    field_names=frozenset({"project_id"}),
    routes=(RouteSeed("GET", "/api/v2/projects/{project_id}", ("project_id",), "server/routes/projects.py:31",
                      "projects.read_project"),),
    origins={"project_id": "TaskOut.project_id in server/schemas/task.py:14", "ProjectOut.id": "server/schemas.py:22"},
)

SELECTION = (
    "import { useCallback, useMemo, useState } from 'react';\n"
    "export interface ProjectSelection {\n"
    "  selected: ReadonlySet<number>;\n"  # 3
    "  isSelected: (id: number) => boolean;\n"  # 4
    "  toggle: (id: number) => void;\n"  # 5
    "  selectAll: (ids: number[]) => void;\n"  # 6
    "  count: number;\n"  # 7
    "}\n"
    "export function useProjectSelection(initial: number[] = []): ProjectSelection {\n"  # 9
    "  const [selected, setSelected] = useState<Set<number>>(() => new Set(initial));\n"  # 10
    "  const toggle = useCallback((id: number) => {\n"  # 11
    "    setSelected((prev) => { const next = new Set(prev); if (next.has(id)) next.delete(id); else next.add(id); return next; });\n"
    "  }, []);\n"
    "  const selectAll = useCallback((ids: number[]) => setSelected(new Set(ids)), []);\n"  # 14
    "  const isSelected = useCallback((id: number) => selected.has(id), [selected]);\n"  # 15
    "  return useMemo(() => ({ selected, isSelected, toggle, selectAll, count: selected.size }),\n"
    "    [selected, isSelected, toggle, selectAll]);\n"
    "}\n"
    "export interface PageSelection { pages: ReadonlySet<number>; togglePage: (page: number) => void }\n"  # 19
    "export function usePageSelection(): PageSelection {\n"
    "  const [pages, setPages] = useState<Set<number>>(new Set());\n"  # 21
    "  const togglePage = useCallback((page: number) => setPages((prev) => new Set(prev).add(page)), []);\n"  # 22
    "  return useMemo(() => ({ pages, togglePage }), [pages, togglePage]);\n"
    "}\n"
)

TABLE = (
    "import { useMemo } from 'react';\n"
    "import { usePageSelection, useProjectSelection } from '../state/selection';\n"
    "export interface Project { id: number; name: string }\n"
    "export interface Comment { id: number; body: string }\n"
    "interface RowProps { label: string; selected: boolean; onToggle: () => void }\n"
    "function Row({ label, selected, onToggle }: RowProps) {\n"
    "  return <li className={selected ? 'on' : ''} onClick={onToggle}>{label}</li>;\n"
    "}\n"
    "interface TableProps {\n"
    "  projects: Project[];\n"
    "  comments: Comment[];\n"
    "  highlightId?: number | null;\n"  # 12
    "  pageCount: number;\n"  # 13
    "}\n"
    "export function ProjectTable({ projects, comments, highlightId = null, pageCount }: TableProps) {\n"
    "  const selection = useProjectSelection();\n"
    "  const pagesSeen = usePageSelection();\n"
    "  const rows = useMemo(() => [...projects].sort((a, b) => a.name.localeCompare(b.name)), [projects]);\n"
    "  const notes = useMemo(() => [...comments].sort((a, b) => a.body.localeCompare(b.body)), [comments]);\n"
    "  return (\n"
    "    <ul>\n"
    "      <button onClick={() => selection.selectAll(rows.map((p) => p.id))}>all</button>\n"
    "      <button onClick={() => pagesSeen.togglePage(pageCount)}>seen</button>\n"
    "      {rows.map((p) => (\n"
    "        <Row key={p.id} label={p.id === highlightId ? `* ${p.name}` : p.name}\n"
    "          selected={selection.isSelected(p.id)} onToggle={() => selection.toggle(p.id)} />\n"
    "      ))}\n"
    "      {notes.map((c) => <li key={c.id}>{c.body}</li>)}\n"
    "    </ul>\n"
    "  );\n"
    "}\n"
)

APP = {"src/state/selection.ts": SELECTION, "src/components/ProjectTable.tsx": TABLE}


def _lines(findings: list[Finding], path: str) -> set[int]:
    return {f.span.line for f in findings if f.path == path and f.kind != "info"}


def test_a_selection_hook_fed_with_the_key(tmp_path: Path) -> None:
    found = list(scan_sources(APP, SEEDS, Config(), tmp=tmp_path).findings)
    selection = _lines(found, "src/state/selection.ts")
    assert {3, 4, 5, 6, 9, 10, 11, 14, 15} <= selection, selection
    assert not selection & {7, 19, 21, 22}, selection  # a count, and the page-number hook
    table = _lines(found, "src/components/ProjectTable.tsx")
    assert 12 in table, table  # highlightId, compared with rows of a useMemo
    assert 13 not in table, table
    fixed = {f.span.line: f for f in found if f.path == "src/state/selection.ts" and f.edits}
    text = SELECTION
    for e in sorted((e for f in fixed.values() for e in f.edits if e.safe), key=lambda e: e.start, reverse=True):
        text = text[: e.start] + e.text + text[e.end :]
    assert "  toggle: (id: string) => void;" in text.splitlines()
    assert "  const [selected, setSelected] = useState<Set<string>>(() => new Set(initial));" in text.splitlines()
    assert "  const [pages, setPages] = useState<Set<number>>(new Set());" in text.splitlines()
