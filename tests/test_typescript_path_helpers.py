"""A URL led by a path helper's call: `${orgPath(orgSlug)}/projects/${projectSlug}`.

The leading expression of a URL template is its base URL (`${API}/projects/${id}`), which the route's template
may leave out, provided it leaves out no path parameter. A helper *called with arguments* builds a path that holds
them: `orgPath(orgSlug)` is `/api/orgs/{org_slug}`, so the URL is the route whose left-out part holds as many
parameters as the call has arguments, each argument at its parameter. Before, the call was read as a base URL:
`${orgPath(orgSlug)}/projects/${projectSlug}` matched `/api/projects/{project_id}`, the key's route, by its tail
(a real front end: a household slug reported as a group key), and the route it builds was never matched. A call
is a path helper's when an argument names an id, slug, ref or key (`orgSlug`, `project.id`); `${apiBase(env)}`
stays a base URL.
"""

from __future__ import annotations

from pathlib import Path

from analyzer.config import Config
from analyzer.models import Finding, KeySeeds, RouteSeed
from analyzer.typescript.scan import scan_sources

SEEDS = KeySeeds(
    field_names=frozenset({"project_id"}),
    routes=(RouteSeed("GET", "/api/projects/{project_id}", ("project_id",), "server/routes/projects.py:31",
                      "projects.read_project"),
            RouteSeed("GET", "/api/orgs/{org_slug}/projects/{project_slug}", (), "server/routes/orgs.py:12",
                      "orgs.read_org_project"),
            RouteSeed("GET", "/api/projects/{project_id}/tasks/{task_ref}", ("project_id",),
                      "server/routes/tasks.py:20", "tasks.read_task")),
    origins={"project_id": "TaskOut.project_id in server/schemas/task.py:14"},
)

APP = {
    "src/lib/routes.ts": (
        "const prefix = '/api';\n"
        "const orgPath = (orgSlug: string | number) => `${prefix}/orgs/${orgSlug}`;\n"
        "const projectPath = (ref: string | number) => `${prefix}/projects/${ref}`;\n"
        "export const routes = {\n"
        "  orgProject: (orgSlug: string | number, projectSlug: string | number) =>\n"  # 5: not the key's
        "    `${orgPath(orgSlug)}/projects/${projectSlug}`,\n"
        "  task: (project: string | number, taskRef: string | number) =>\n"  # 7: the key
        "    `${projectPath(project)}/tasks/${taskRef}`,\n"
        "  project: (id: string | number) => `${prefix}/projects/${id}`,\n"  # 9: the key
        "  projectOn: (env: string, id: string | number) => `${apiBase(env)}/projects/${id}`,\n"  # 10: the key
        "};\n"
        "function apiBase(env: string): string {\n"
        "  return env === 'prod' ? 'https://api.example.com/api' : '/api';\n"
        "}\n"
    ),
}


def _lines(findings: list[Finding], path: str) -> set[int]:
    return {f.span.line for f in findings if f.path == path and f.kind != "info"}


def test_a_url_led_by_a_path_helper_s_call(tmp_path: Path) -> None:
    found = list(scan_sources(APP, SEEDS, Config(), tmp=tmp_path).findings)
    lines = _lines(found, "src/lib/routes.ts")
    assert 9 in lines and 5 not in lines, [(f.span.line, f.code, f.message) for f in found]
    assert 7 in lines, [(f.span.line, f.code, f.message) for f in found]
    assert 10 in lines, [(f.span.line, f.code, f.message) for f in found]  # a base URL getter's call stays a base
