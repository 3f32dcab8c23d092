"""Issue 12, TypeScript side: collections of keys, props that receive the key, and every view of the record.

A small front end for a `projects.id` key (no fixture name: `projects`, `project_id`, `ProjectOut`), each
pattern next to its look-alike: a `useState<Set<number>>` toggled through an updater with `project.id`
beside one holding page numbers, `useRef` sets and maps, `new Map(rows.map((r) => [r.id, r]))` beside a
`Map<number, string>` of HTTP statuses, `id: number` props given `project.id` (also through `FC<Props>`
and `forwardRef`) beside the same prop given a list `index`, the record's other views (`ProjectListItem`,
`MinimalProject`, a type named `Board` that `GET /projects/{project_id}` returns, a row compared with the
key) beside other records (`ProjectTask`, `Comment`).
"""

from __future__ import annotations

from pathlib import Path

from analyzer.config import Config
from analyzer.models import Finding, KeySeeds, RouteSeed
from analyzer.typescript.scan import scan_sources

SEEDS = KeySeeds(
    field_names=frozenset({"project_id"}),
    routes=(RouteSeed("GET", "/api/v2/projects/{project_id}", ("project_id",), "server/routes/projects.py:31",
                      "projects.read_project"),
            RouteSeed("DELETE", "/api/v2/projects/{project_id}", ("project_id",), "server/routes/projects.py:52",
                      "projects.delete_project"),
            RouteSeed("GET", "/api/v2/stats/projects/{project_id}", ("project_id",), "server/routes/stats.py:12",
                      "stats.project_stats")),
    origins={"project_id": "TaskOut.project_id in server/schemas/task.py:14",
             "ProjectOut.id": "server/schemas/project.py:22"},
)

APP = {
    "src/types.ts": (
        "export interface Project { id: number; name: string; archived: boolean }\n"
        "export interface ProjectListItem { id: number; name: string; taskCount: number }\n"
        "export interface MinimalProject { id: number; name: string }\n"
        "export interface ProjectTask { id: number; projectId: number; title: string }\n"
        "export interface Comment { id: number; body: string; line: number }\n"
        "export interface Board { id: number; title: string }\n"
        "export interface ProjectStats { id: number; openTasks: number }\n"
        "export interface TableRow { id: number; label: string; position: number }\n"
    ),
    "src/api/projects.ts": (
        "import type { Board, ProjectStats } from '../types';\n"
        "const http = { get: <T,>(url: string): Promise<T> => fetch(url).then((r) => r.json() as Promise<T>) };\n"
        "export const fetchBoard = (boardId: number) => http.get<Board>(`/api/v2/projects/${boardId}`);\n"
        "export const fetchStats = (projectId: number) => http.get<ProjectStats>(`/api/v2/stats/projects/${projectId}`);\n"
        "export async function removeProject(projectId: number): Promise<void> {\n"
        "  await fetch(`/api/v2/projects/${projectId}`, { method: 'DELETE' });\n"
        "}\n"
    ),
    "src/components/ProjectTable.tsx": (
        "import { useRef, useState, type FC } from 'react';\n"
        "import type { Comment, Project, TableRow } from '../types';\n"
        "import { removeProject } from '../api/projects';\n"
        "interface DeleteAlertProps { id: number; name: string }\n"
        "export const DeleteAlert: FC<DeleteAlertProps> = ({ id, name }) => (\n"
        "  <button onClick={() => removeProject(id)}>Delete {name}</button>\n"
        ");\n"
        "export function Cell({ id, text }: { id: number; text: string }) { return <td data-cell={id}>{text}</td>; }\n"
        "export function BulkBar({ selectedIds }: { selectedIds: ReadonlySet<number> }) {\n"
        "  return <div>{selectedIds.size} selected</div>;\n"
        "}\n"
        "const STATUS_TEXT = new Map<number, string>([[404, 'Not found'], [500, 'Server error']]);\n"
        "export function ProjectTable({ projects, comments, rows }: { projects: Project[]; comments: Comment[]; rows: TableRow[] }) {\n"
        "  const [selected, setSelected] = useState<Set<number>>(new Set());\n"
        "  const [visitedPages, setVisitedPages] = useState<Set<number>>(new Set([1]));\n"
        "  const [openComments, setOpenComments] = useState<Set<number>>(new Set());\n"
        "  const [recent, setRecent] = useState<number[]>([]);\n"
        "  const [page, setPage] = useState(1);\n"
        "  const seen = useRef<Set<number>>(new Set());\n"
        "  const rowHeights = useRef<Map<number, number>>(new Map());\n"
        "  const names = new Map(projects.map((p) => [p.id, p.name]));\n"
        "  const labels: Map<number, string> = new Map(projects.map((p) => [p.id, p.name]));\n"
        "  const lines: Map<number, number> = new Map(comments.map((c) => [c.id, c.line]));\n"
        "  const toggle = (project: Project) =>\n"
        "    setSelected((prev) => {\n"
        "      const next = new Set(prev);\n"
        "      if (next.has(project.id)) next.delete(project.id);\n"
        "      else next.add(project.id);\n"
        "      return next;\n"
        "    });\n"
        "  const open = (project: Project, el: HTMLElement) => {\n"
        "    setRecent((prev) => [project.id, ...prev].slice(0, 5));\n"
        "    seen.current.add(project.id);\n"
        "    rowHeights.current.set(project.id, el.offsetHeight);\n"
        "  };\n"
        "  const go = (n: number) => { setPage(n); setVisitedPages((prev) => new Set(prev).add(n)); };\n"
        "  const flip = (c: Comment) => setOpenComments((prev) => new Set(prev).add(c.id));\n"
        "  const ids: number[] = Array.from(selected);\n"
        "  const focused = (projectId: string) => rows.find((r) => r.id === projectId);\n"
        "  return (\n"
        "    <table>\n"
        "      {projects.map((p, index) => (\n"
        "        <tr key={p.id} onClick={(e) => open(p, e.currentTarget)}>\n"
        "          <Cell id={index} text={p.name} />\n"
        "          <td><input type=\"checkbox\" checked={selected.has(p.id)} onChange={() => toggle(p)} /></td>\n"
        "          <td><DeleteAlert id={p.id} name={names.get(p.id) ?? labels.get(p.id) ?? ''} /></td>\n"
        "        </tr>\n"
        "      ))}\n"
        "      {comments.map((c) => <tr key={c.id} onClick={() => flip(c)}><td>{lines.get(c.id)}</td></tr>)}\n"
        "      <BulkBar selectedIds={selected} />\n"
        "      <caption onClick={() => go(page + 1)}>{STATUS_TEXT.get(404)}{ids.length}{recent.length}"
        "{openComments.size}{visitedPages.size}{focused('x')?.label}</caption>\n"
        "    </table>\n"
        "  );\n"
        "}\n"
    ),
}


def _scan(tmp_path: Path, files: dict[str, str] | None = None) -> list[Finding]:
    return list(scan_sources(files or APP, SEEDS, Config(), tmp=tmp_path).findings)


def _lines(findings: list[Finding], path: str) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for f in findings:
        if f.path == path and f.kind != "info":
            out.setdefault(f.span.line, set()).add(f.code)
    return out


def _fixed_line(path: str, line: int, findings: list[Finding]) -> str:
    text = APP[path]
    edits = [e for f in findings if f.path == path and f.span.line == line for e in f.edits]
    for e in sorted(edits, key=lambda e: e.start, reverse=True):
        text = text[: e.start] + e.text + text[e.end :]
    return text.splitlines()[line - 1]


def test_state_sets_lists_and_refs_that_hold_the_key(tmp_path: Path) -> None:
    found = _scan(tmp_path)
    table = _lines(found, "src/components/ProjectTable.tsx")
    assert "TS040" in table.get(14, set())  # useState<Set<number>> toggled through an updater
    assert "TS040" in table.get(17, set())  # useState<number[]>: (prev) => [project.id, ...prev]
    assert "TS040" in table.get(19, set())  # useRef<Set<number>>: seen.current.add(project.id)
    assert "TS041" in table.get(20, set())  # useRef<Map<number, number>>: .current.set(project.id, h)
    assert "TS041" in table.get(22, set())  # Map<number, string> built from [p.id, p.name] entries
    assert "TS032" in table.get(38, set())  # number[] = Array.from(selected)
    assert _fixed_line("src/components/ProjectTable.tsx", 14, found) == \
        "  const [selected, setSelected] = useState<Set<string>>(new Set());"
    assert _fixed_line("src/components/ProjectTable.tsx", 19, found) == \
        "  const seen = useRef<Set<string>>(new Set());"
    assert _fixed_line("src/components/ProjectTable.tsx", 22, found) == \
        "  const labels: Map<string, string> = new Map(projects.map((p) => [p.id, p.name]));"


def test_look_alike_collections_are_left_alone(tmp_path: Path) -> None:
    table = _lines(_scan(tmp_path), "src/components/ProjectTable.tsx")
    assert 12 not in table  # Map<number, string> of HTTP statuses
    assert 15 not in table  # useState<Set<number>> of visited pages
    assert 16 not in table  # a Set<number> of comment ids
    assert 18 not in table  # the page
    assert 23 not in table  # Map<number, number> keyed by comment ids


def test_props_follow_the_data_not_the_name(tmp_path: Path) -> None:
    found = _scan(tmp_path)
    table = _lines(found, "src/components/ProjectTable.tsx")
    assert "TS001" in table.get(4, set())  # FC<DeleteAlertProps>: <DeleteAlert id={p.id} />
    assert 8 not in table  # Cell's `id: number` is given the row index
    assert "TS001" in table.get(9, set())  # selectedIds: ReadonlySet<number> given the selected set
    assert _fixed_line("src/components/ProjectTable.tsx", 9, found) == \
        "export function BulkBar({ selectedIds }: { selectedIds: ReadonlySet<string> }) {"


def test_every_view_of_the_record_and_no_other_record(tmp_path: Path) -> None:
    found = _scan(tmp_path)
    types = _lines(found, "src/types.ts")
    assert {1, 2, 3, 6, 8} <= set(types), types  # Project, ProjectListItem, MinimalProject, Board, TableRow
    assert 5 not in types  # Comment
    assert 7 not in types  # what /stats/projects/{project_id} returns is stats, not a project
    board = next(f for f in found if f.path == "src/types.ts" and f.span.line == 6)
    assert "GET /api/v2/projects/{project_id}" in board.evidence
    task = [f for f in found if f.path == "src/types.ts" and f.span.line == 4]
    assert [f.symbol for f in task] == ["ProjectTask.projectId"]  # its own `id` is a task's


def test_the_patched_collections_are_stable(tmp_path: Path) -> None:
    """Re-scanning the patched component proposes no further edit of the collections it fixed."""
    found = _scan(tmp_path / "a")
    path = "src/components/ProjectTable.tsx"
    text = APP[path]
    edits = sorted((e for f in found if f.path == path for e in f.edits if e.safe), key=lambda e: e.start,
                   reverse=True)
    for e in edits:
        text = text[: e.start] + e.text + text[e.end :]
    again = _scan(tmp_path / "b", {**APP, path: text})
    assert not [f for f in again if f.path == path and f.edits and f.code in ("TS040", "TS041", "TS032")]


SHARED = {
    "src/types.ts": "export interface Project { id: number; name: string }\nexport interface Tag { id: number; label: string }\n",
    "src/components/IdPicker.tsx": (
        "type Option = { id: number; label: string };\n"
        "interface IdPickerProps {\n"
        "  options: Option[];\n"
        "  selectedIds: number[];\n"
        "  onChange: (ids: number[]) => void;\n"
        "}\n"
        "export function IdPicker({ options, selectedIds, onChange }: IdPickerProps) {\n"
        "  const flip = (id: number) =>\n"
        "    onChange(selectedIds.includes(id) ? selectedIds.filter((x) => x !== id) : [...selectedIds, id]);\n"
        "  return <ul>{options.map((o) => <li key={o.id} onClick={() => flip(o.id)}>{o.label}</li>)}</ul>;\n"
        "}\n"
    ),
    "src/pages/EditPage.tsx": (
        "import { useState } from 'react';\n"
        "import type { Project, Tag } from '../types';\n"
        "import { IdPicker } from '../components/IdPicker';\n"
        "export function EditPage({ projects, tags }: { projects: Project[]; tags: Tag[] }) {\n"
        "  const [projectIds, setProjectIds] = useState<number[]>([]);\n"
        "  const [tagIds, setTagIds] = useState<number[]>([]);\n"
        "  return (\n"
        "    <div>\n"
        "      <IdPicker options={projects.map((p) => ({ id: p.id, label: p.name }))} selectedIds={projectIds}\n"
        "        onChange={setProjectIds} />\n"
        "      <IdPicker options={tags.map((t) => ({ id: t.id, label: t.label }))} selectedIds={tagIds}\n"
        "        onChange={setTagIds} />\n"
        "    </div>\n"
        "  );\n"
        "}\n"
    ),
}


def test_a_picker_shared_with_another_records_ids_is_for_a_person(tmp_path: Path) -> None:
    """The key reaches a picker that tag ids reach too: the tag state is not a key, and the picker's
    members are reported without a mechanical edit (it wants a generic, not `string`)."""
    found = list(scan_sources(SHARED, SEEDS, Config(), tmp=tmp_path).findings)
    page = _lines(found, "src/pages/EditPage.tsx")
    assert page == {5: {"TS040"}}, page  # projectIds; never tagIds
    picker = [f for f in found if f.path == "src/components/IdPicker.tsx" and f.kind != "info"]
    assert {f.span.line for f in picker} >= {1, 4, 5, 8}  # Option.id, selectedIds, onChange, flip(id)
    assert all(f.edits and not f.fix and "tagIds" in f.review for f in picker)
    assert not [f for f in found if f.path == "src/types.ts" and f.span.line == 2]  # Tag.id


TEXT_WIDGET = {
    "src/types.ts": "export interface Project { id: number; name: string }\n",
    "src/components/Combo.tsx": (
        "interface ComboProps { value: string; options: { value: string; label: string }[]; onPick: (v: string) => void }\n"
        "export function Combo({ value, options, onPick }: ComboProps) {\n"
        "  const matches = (v: string) => v.startsWith(value);\n"
        "  return <ul>{options.filter((o) => matches(o.value)).map((o) => <li key={o.value} onClick={() => onPick(o.value)}>{o.label}</li>)}</ul>;\n"
        "}\n"
    ),
    "src/pages/Settings.tsx": (
        "import { useState } from 'react';\n"
        "import type { Project } from '../types';\n"
        "import { Combo } from '../components/Combo';\n"
        "export function Settings({ projects, current }: { projects: Project[]; current: Project }) {\n"
        "  const [timezone, setTimezone] = useState<string>('UTC');\n"
        "  const [daysText, setDaysText] = useState('30');\n"
        "  const retentionDays: number = parseInt(daysText, 10);\n"
        "  return (\n"
        "    <form data-days={retentionDays}>\n"
        "      <Combo value={String(current.id)} options={projects.map((p) => ({ value: String(p.id), label: p.name }))}\n"
        "        onPick={() => undefined} />\n"
        "      <Combo value={timezone} options={[]} onPick={setTimezone} />\n"
        "      <Combo value={daysText} options={[]} onPick={setDaysText} />\n"
        "    </form>\n"
        "  );\n"
        "}\n"
    ),
}


def test_a_text_prop_that_is_a_key_by_its_own_route_still_reaches_back(tmp_path: Path) -> None:
    """The other direction stays: `<ProjectLink projectRef={String(picked)} />` where the text prop builds
    `/api/v2/projects/${projectRef}` makes `picked`, a `useState<number | null>`, a key."""
    files = {
        "src/components/ProjectLink.tsx": (
            "export function ProjectLink({ projectRef }: { projectRef: string }) {\n"
            "  return <a href={`/api/v2/projects/${projectRef}`}>open</a>;\n"
            "}\n"
        ),
        "src/pages/Pick.tsx": (
            "import { useState } from 'react';\n"
            "import { ProjectLink } from '../components/ProjectLink';\n"
            "export function Pick({ choices }: { choices: number[] }) {\n"
            "  const [picked, setPicked] = useState<number | null>(null);\n"
            "  return <div>{choices.length}<ProjectLink projectRef={String(picked)} /><b onClick={() => setPicked(null)} /></div>;\n"
            "}\n"
        ),
    }
    found = _lines(list(scan_sources(files, SEEDS, Config(), tmp=tmp_path).findings), "src/pages/Pick.tsx")
    assert found.get(4) == {"TS040"}, found


def test_a_key_turned_into_text_for_a_text_widget_stays_out_of_it(tmp_path: Path) -> None:
    """`<Combo value={String(current.id)} />` where Combo's value is `string`: a generic text widget. Its
    internals and its other users (a timezone, a number of days typed as text) are not about the key."""
    found = [f for f in scan_sources(TEXT_WIDGET, SEEDS, Config(), tmp=tmp_path).findings if f.kind != "info"]
    assert [(f.path, f.span.line) for f in found] == [("src/types.ts", 1)], \
        [(f.path, f.span.line, f.code, f.evidence) for f in found]
