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

import pytest

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


MANY_ROUTES = KeySeeds(
    field_names=frozenset({"project_id", "ticket_id"}),
    routes=tuple(
        RouteSeed(method, template, params, f"server/routes/r{k}.py:{k + 1}", f"r{k}.handler")
        for k, (method, template, params) in enumerate([
            ("GET", "/api/projects/{project_id}", ("project_id",)),
            ("GET", "/api/projects/{project_id}/tickets", ("project_id",)),
            ("GET", "/api/projects/{project_id}/tickets/{ticket_id}", ("project_id", "ticket_id")),
            ("PUT", "/api/v1/tickets/{ticket_id:int}/close", ("ticket_id",)),
            ("GET", "/api/tickets/search?project_id={project_id}", ("project_id",)),
            ("GET", "/api/tickets", ("project_id",)),  # project_id: a query parameter
            ("GET", "/reports/{year}/{month}", ()),
            ("GET", "/api/users/{user_id}/projects", ()),
        ])),
    origins={"project_id": "Project.id in server/models.py:9", "ticket_id": "Ticket.id in server/models.py:20"},
)

MANY_URLS = {
    "src/api/client.ts": (
        "const API = import.meta.env.VITE_API;\n"
        "export const getProject = (id: number) => fetch(`${API}/projects/${id}`);\n"
        "export const tickets = (projectId: number) => fetch(`/api/projects/${projectId}/tickets`);\n"
        "export const ticket = (p: number, t: number) => fetch(`${API}/projects/${p}/tickets/${t}`);\n"
        "export const close = (ticketId: number) => fetch(`/api/v1/tickets/${ticketId}/close`, { method: 'PUT' });\n"
        "export const search = (projectId: number) => fetch(`/api/tickets/search?project_id=${projectId}`);\n"
        "export const list = (projectId: number) => api.get('/api/tickets', { params: { project_id: projectId } });\n"
        "export const report = (y: number, m: number) => fetch(`/reports/${y}/${m}`);\n"
        "export const page = (id: number) => `${window.location.origin}/projects/${id}`;\n"
        "export const mine = (userId: number) => fetch(`${API}/users/${userId}/projects`);\n"
        "export const bare = (id: number) => fetch(`${API}/${id}`);\n"
        "export const other = (id: number) => fetch(`/api/tickets/${id}/projects`);\n"
    ),
}


def test_routes_tried_by_their_literal_segments_match_as_every_route_tried_did(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A URL is tried only against the routes whose template has its last literal segment as many segments from
    the end (`Routes._routes_for`): the same findings as trying every route, on URLs with a base URL, a query
    string, a typed path parameter, a page's origin, and no literal segment at all."""
    from analyzer.typescript.flow.routes import Routes

    def shown(found: list[Finding]) -> list[tuple[str, int, str, str]]:
        return sorted((f.path, f.span.line, f.code, f.message) for f in found)

    fast = shown(list(scan_sources(MANY_URLS, MANY_ROUTES, Config(), tmp=tmp_path / "fast").findings))
    monkeypatch.setattr(Routes, "_routes_for", lambda self, segs: self.kn.routes)
    every = shown(list(scan_sources(MANY_URLS, MANY_ROUTES, Config(), tmp=tmp_path / "every").findings))
    assert fast == every
    assert {line for _p, line, _c, _m in fast} >= {2, 3, 4, 5, 6, 7}, fast
