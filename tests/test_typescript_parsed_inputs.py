"""Issue 12 (misses), TypeScript side: the key read from text, through a query string or a zod schema.

A `projects.id` key. The projects page reads `?highlight=` with `searchParams.get('highlight')` and `parseInt`s
it into the prop a table compares with `project.id`; a helper elsewhere writes the same parameter
(`params.set('highlight', String(highlight))`). A jump box parses `#1042` with a zod schema whose
`.transform((raw) => Number(...))` yields the id given to `routes.project(id)`. Distractors: `?page=` read and
written the same way, a zod schema turning text into an amount, a `.parse` of another schema.
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

APP = {
    "src/lib/links.ts": (
        "export const routes = { project: (id: number) => `/api/v2/projects/${id}` };\n"
        "export function projectsSearch(page: number, highlight?: number): string {\n"  # 2: highlight
        "  const params = new URLSearchParams({ page: String(page) });\n"
        "  if (highlight !== undefined) params.set('highlight', String(highlight));\n"
        "  return `?${params.toString()}`;\n"
        "}\n"
        "export function pageSearch(url: URL, page: number): string {\n"  # 7
        "  url.searchParams.set('page', String(page));\n"
        "  return url.toString();\n"
        "}\n"
    ),
    "src/validation/inputs.ts": (
        "import { z } from 'zod';\n"
        "export const projectRefInput = z\n"
        "  .string()\n"
        "  .regex(/^#?\\d+$/)\n"
        "  .transform((raw) => Number(raw.replace('#', '')));\n"  # 5: the key
        "export const amountInput = z.string().transform((raw) => Number(raw.replace(',', '.')));\n"  # 6
    ),
    "src/pages/ProjectsPage.tsx": (
        "import { useSearchParams } from 'react-router-dom';\n"
        "import { routes } from '../lib/links';\n"
        "import { amountInput, projectRefInput } from '../validation/inputs';\n"
        "export interface Project { id: number; name: string }\n"
        "function Table({ rows, highlightId }: { rows: Project[]; highlightId: number | null }) {\n"  # 5
        "  return <ul>{rows.map((p) => <li key={p.id} className={p.id === highlightId ? 'on' : ''}>{p.name}</li>)}</ul>;\n"
        "}\n"
        "export function ProjectsPage({ rows, go }: { rows: Project[]; go: (url: string) => void }) {\n"
        "  const [searchParams] = useSearchParams();\n"
        "  const page = parseInt(searchParams.get('page') ?? '1', 10);\n"  # 10
        "  const raw = searchParams.get('highlight');\n"
        "  const highlightId = raw ? parseInt(raw, 10) : null;\n"  # 12: hazard
        "  const jump = (text: string) => {\n"
        "    const parsed = projectRefInput.safeParse(text);\n"
        "    if (parsed.success) go(routes.project(parsed.data));\n"
        "    const cents = amountInput.parse(text) * 100;\n"  # 16
        "    return cents;\n"
        "  };\n"
        "  return <div onClick={() => jump('#1')}>{page}<Table rows={rows} highlightId={highlightId} /></div>;\n"
        "}\n"
    ),
}


def _lines(findings: list[Finding], path: str) -> set[int]:
    return {f.span.line for f in findings if f.path == path and f.kind != "info"}


def test_a_key_in_the_query_string_and_out_of_a_zod_transform(tmp_path: Path) -> None:
    found = list(scan_sources(APP, SEEDS, Config(), tmp=tmp_path).findings)
    page = _lines(found, "src/pages/ProjectsPage.tsx")
    assert {5, 12} <= page and not page & {10, 16}, page
    links = _lines(found, "src/lib/links.ts")
    assert {1, 2} <= links and 7 not in links, links
    inputs = _lines(found, "src/validation/inputs.ts")
    assert {4, 5} <= inputs and 6 not in inputs, inputs  # the regex and the transform of the key input


LINKED = {
    "src/components/ProjectLink.tsx": (
        "export interface Project { id: number; name: string }\n"
        "export function ProjectLink({ project, tab }: { project: Project; tab: string }) {\n"
        "  return <a href={`/search?projectRef=${project.id}&tab=${tab}`}>{project.name}</a>;\n"
        "}\n"
    ),
    "src/pages/Search.tsx": (
        "import { useSearchParams } from 'next/navigation';\n"
        "export function Search() {\n"
        "  const searchParams = useSearchParams();\n"
        "  const raw = searchParams.get('projectRef');\n"
        "  const projectRef = raw ? parseInt(raw) : null;\n"  # 5: hazard
        "  const tabRaw = searchParams.get('tab');\n"
        "  const tabIndex = tabRaw ? parseInt(tabRaw) : 0;\n"  # 7
        "  return <p>{projectRef}{tabIndex}</p>;\n"
        "}\n"
    ),
}


def test_a_query_parameter_a_link_fills_with_the_key(tmp_path: Path) -> None:
    """`/search?projectRef=${project.id}` written in one file, `searchParams.get('projectRef')` parsed in another."""
    found = list(scan_sources(LINKED, SEEDS, Config(), tmp=tmp_path).findings)
    search = _lines(found, "src/pages/Search.tsx")
    assert 5 in search and 7 not in search, search
