"""A local fake of the few GitHub and GitLab REST endpoints that `impact comment` uses, for tests.

A stdlib HTTP server on 127.0.0.1 (port 0) in a background thread that keeps issue comments and
merge-request notes in memory, records every request (method, path, query, headers, JSON body, time),
checks the token, paginates like the real APIs (GitHub: `Link: <...>; rel="next"`; GitLab: also
`x-next-page`), refuses bodies over GitHub's 65,536 characters with GitHub's 422, and can be told to fail:

    forge.deny_writes = True          # 403 "Resource not accessible by integration" on POST/PATCH/PUT
    forge.rate_limit_once("retry-after" | "reset" | "429", seconds=1)
    forge.fail_once(500)              # or 404, 502...: the next request gets that status, once
    forge.per_page = 2                # page size, whatever the client asks for

Endpoints (GitHub at `forge.url`, GitLab at `forge.gitlab_url`):
    GET/POST  /repos/{owner}/{repo}/issues/{number}/comments
    PATCH     /repos/{owner}/{repo}/issues/comments/{id}
    GET/POST  /api/v4/projects/{id}/merge_requests/{iid}/notes     ({id} a number or a %2F-encoded path)
    PUT       /api/v4/projects/{id}/merge_requests/{iid}/notes/{note_id}

Use the `forge` fixture: `from fake_github import FakeForge, forge_fixture  # noqa: F401` in a test module,
then `def test_x(forge: FakeForge)`. `forge.actions_env(tmp_path, "octo/app", 7)` gives the environment
of a GitHub Actions pull_request job pointed at the fake.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

TOKEN = "ghs_fake0123456789abcdefTOKEN"
GITHUB_MAX_BODY = 65_536
GITLAB_MAX_BODY = 1_000_000
BOT = "github-actions[bot]"

_GH_LIST = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/(\d+)/comments$")
_GH_EDIT = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/comments/(\d+)$")
_GL_LIST = re.compile(r"^/api/v4/projects/([^/]+)/merge_requests/(\d+)/notes$")
_GL_EDIT = re.compile(r"^/api/v4/projects/([^/]+)/merge_requests/(\d+)/notes/(\d+)$")


@dataclass
class _Failure:
    status: int
    headers: dict[str, str]
    payload: dict[str, Any]
    method: str | None = None  # None: whatever request comes next
    applied: bool = False  # the request is carried out, then answered with the failure


@dataclass
class Request:
    method: str
    path: str  # as sent, without the query (%-encoding kept)
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased
    body: Any  # the parsed JSON, or None
    at: float = field(default_factory=time.monotonic)


class FakeForge:
    """The fake server and its state. Knobs may be set at any time from the test."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.per_page: int | None = None
        self.deny_writes = False
        self.requests: list[Request] = []
        self._failures: list[_Failure] = []
        self._comments: dict[int, dict[str, Any]] = {}  # GitHub, by id
        self._notes: dict[int, dict[str, Any]] = {}  # GitLab, by id
        self._next_id = 1000
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.forge = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.gitlab_url = f"{self.url}/api/v4"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    # lifecycle
    def __enter__(self) -> FakeForge:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # failure knobs
    def fail_once(self, status: int = 500, message: str | None = None, method: str | None = None,
                  applied: bool = False) -> None:
        """The next request (the next `method` one if given) answers `status` with a GitHub-shaped error
        body. `applied=True`: the write is done all the same (a gateway timing out after the fact)."""
        default = {404: "Not Found", 500: "Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
        with self._lock:
            self._failures.append(_Failure(status, {}, {"message": message or default.get(status, "Error")},
                                           method, applied))

    def rate_limit_once(self, kind: str = "retry-after", seconds: int = 1, method: str | None = None) -> None:
        """The next request (the next `method` one if given) is rate-limited, the way GitHub says it:
        "retry-after": 403 + Retry-After (a secondary limit); "reset": 403 + x-ratelimit-remaining 0 +
        x-ratelimit-reset (the primary limit); "429": 429 + Retry-After."""
        if kind == "retry-after":
            failure = (403, {"Retry-After": str(seconds)},
                       {"message": "You have exceeded a secondary rate limit. Please wait a few minutes."})
        elif kind == "reset":
            failure = (403, {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0",
                             "x-ratelimit-used": "5000", "x-ratelimit-reset": str(int(time.time()) + seconds)},
                       {"message": "API rate limit exceeded for installation ID 1."})
        elif kind == "429":
            failure = (429, {"Retry-After": str(seconds)}, {"message": "Too Many Requests"})
        else:
            raise ValueError(f"unknown rate-limit kind {kind!r}")
        with self._lock:
            self._failures.append(_Failure(*failure, method))

    # state, for seeding and asserting
    def add_comment(self, repo: str, number: int, body: str, user: str = "octocat") -> dict[str, Any]:
        with self._lock:
            return self._new_comment(repo, number, body, user)

    def comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(c) for c in sorted(self._comments.values(), key=lambda c: c["id"])
                    if c["_repo"] == repo and c["_number"] == number]

    def add_note(self, project: str, iid: int, body: str, user: str = "alice",
                 system: bool = False) -> dict[str, Any]:
        with self._lock:
            return self._new_note(project, iid, body, user, system)

    def notes(self, project: str, iid: int) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(n) for n in sorted(self._notes.values(), key=lambda n: n["id"])
                    if n["_project"] == project and n["_iid"] == iid]

    @property
    def writes(self) -> list[Request]:
        return [r for r in self.requests if r.method in ("POST", "PATCH", "PUT")]

    def actions_env(self, event_dir: Path, repo: str, number: int, sha: str = "0" * 40) -> dict[str, str]:
        """The variables of a GitHub Actions `pull_request` job, pointed at this fake."""
        event = event_dir / "event.json"
        event.write_text(json.dumps({"action": "synchronize", "number": number,
                                     "pull_request": {"number": number, "head": {"sha": sha}}}))
        return {"GITHUB_ACTIONS": "true", "GITHUB_API_URL": self.url, "GITHUB_REPOSITORY": repo,
                "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event), "GITHUB_SHA": sha,
                "GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "1", "GITHUB_TOKEN": self.token}

    # internals (called with the lock held)
    def _new_comment(self, repo: str, number: int, body: str, user: str) -> dict[str, Any]:
        self._next_id += 1
        cid = self._next_id
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        comment = {"id": cid, "node_id": f"IC_{cid}", "body": body,
                   "url": f"{self.url}/repos/{repo}/issues/comments/{cid}",
                   "html_url": f"https://github.com/{repo}/pull/{number}#issuecomment-{cid}",
                   "issue_url": f"{self.url}/repos/{repo}/issues/{number}",
                   "user": {"login": user, "type": "Bot" if user.endswith("[bot]") else "User"},
                   "created_at": stamp, "updated_at": stamp, "_repo": repo, "_number": number}
        self._comments[cid] = comment
        return comment

    def _new_note(self, project: str, iid: int, body: str, user: str, system: bool) -> dict[str, Any]:
        self._next_id += 1
        nid = self._next_id
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        note = {"id": nid, "body": body, "author": {"username": user}, "system": system,
                "noteable_type": "MergeRequest", "noteable_iid": iid, "created_at": stamp,
                "updated_at": stamp, "_project": project, "_iid": iid}
        self._notes[nid] = note
        return note


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if not k.startswith("_")}


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeForge/1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet test output
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    @property
    def forge(self) -> FakeForge:
        return self.server.forge  # type: ignore[attr-defined,no-any-return]

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = ValueError
        headers = {k.lower(): v for k, v in self.headers.items()}
        forge = self.forge
        with forge._lock:
            forge.requests.append(Request(self.command, parts.path, dict(parse_qsl(parts.query)),
                                          headers, None if body is ValueError else body))
            gitlab = parts.path.startswith("/api/v4/")
            if not self._authorized(headers, gitlab):
                return self._send(401, {"message": "401 Unauthorized" if gitlab else "Bad credentials"})
            failure = next((f for f in forge._failures if f.method in (None, self.command)), None)
            if failure is not None:
                forge._failures.remove(failure)
                if not failure.applied:
                    return self._send(failure.status, failure.payload, failure.headers)
                self._reply_with = failure
            if body is ValueError:
                return self._send(400, {"message": "Problems parsing JSON"})
            if self.command != "GET" and forge.deny_writes:
                message = "403 Forbidden" if gitlab else "Resource not accessible by integration"
                return self._send(403, {"message": message})
            if gitlab:
                return self._gitlab(parts.path, dict(parse_qsl(parts.query)), body)
            return self._github(parts.path, dict(parse_qsl(parts.query)), body)

    def _authorized(self, headers: dict[str, str], gitlab: bool) -> bool:
        token = self.forge.token
        auth = headers.get("authorization", "")
        if auth in (f"Bearer {token}", f"token {token}"):
            return True
        return gitlab and token in (headers.get("private-token"), headers.get("job-token"))

    def _github(self, path: str, query: dict[str, str], body: Any) -> None:
        forge = self.forge
        listing, edit = _GH_LIST.match(path), _GH_EDIT.match(path)
        if listing and self.command == "GET":
            repo, number = f"{listing[1]}/{listing[2]}", int(listing[3])
            items = [c for c in sorted(forge._comments.values(), key=lambda c: c["id"])
                     if c["_repo"] == repo and c["_number"] == number]
            return self._page(items, query, default=30, cap=100, gitlab=False)
        if listing and self.command == "POST":
            if (problem := self._bad_body(body, GITHUB_MAX_BODY)) is not None:
                return self._send(422, problem)
            comment = forge._new_comment(f"{listing[1]}/{listing[2]}", int(listing[3]), body["body"], BOT)
            return self._send(201, _public(comment), {"Location": comment["url"]})
        if edit and self.command == "PATCH":
            comment = forge._comments.get(int(edit[3]))
            if comment is None or comment["_repo"] != f"{edit[1]}/{edit[2]}":
                return self._send(404, {"message": "Not Found"})
            if (problem := self._bad_body(body, GITHUB_MAX_BODY)) is not None:
                return self._send(422, problem)
            comment["body"] = body["body"]
            comment["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            return self._send(200, _public(comment))
        return self._send(404, {"message": "Not Found"})

    def _gitlab(self, path: str, query: dict[str, str], body: Any) -> None:
        forge = self.forge
        listing, edit = _GL_LIST.match(path), _GL_EDIT.match(path)
        if listing and self.command == "GET":
            project, iid = unquote(listing[1]), int(listing[2])
            items = [n for n in sorted(forge._notes.values(), key=lambda n: n["id"])
                     if n["_project"] == project and n["_iid"] == iid]
            return self._page(items, query, default=20, cap=100, gitlab=True)
        if listing and self.command == "POST":
            if (problem := self._bad_body(body, GITLAB_MAX_BODY)) is not None:
                return self._send(400, {"message": problem["errors"][0]["message"]})
            note = forge._new_note(unquote(listing[1]), int(listing[2]), body["body"], "project_1_bot", False)
            return self._send(201, _public(note))
        if edit and self.command == "PUT":
            note = forge._notes.get(int(edit[3]))
            if note is None or note["_project"] != unquote(edit[1]) or note["_iid"] != int(edit[2]):
                return self._send(404, {"message": "404 Not found"})
            if (problem := self._bad_body(body, GITLAB_MAX_BODY)) is not None:
                return self._send(400, {"message": problem["errors"][0]["message"]})
            note["body"] = body["body"]
            return self._send(200, _public(note))
        return self._send(404, {"message": "404 Not found"})

    @staticmethod
    def _bad_body(body: Any, limit: int) -> dict[str, Any] | None:
        if not isinstance(body, dict) or not isinstance(body.get("body"), str) or not body["body"]:
            return {"message": "Validation Failed",
                    "errors": [{"resource": "IssueComment", "code": "missing_field", "field": "body",
                                "message": "body is missing"}]}
        if len(body["body"]) > limit:
            return {"message": "Validation Failed",
                    "errors": [{"resource": "IssueComment", "code": "custom", "field": "body",
                                "message": f"body is too long (maximum is {limit} characters)"}]}
        return None

    def _page(self, items: list[dict[str, Any]], query: dict[str, str], default: int, cap: int,
              gitlab: bool) -> None:
        per_page = self.forge.per_page or min(int(query.get("per_page") or default), cap)
        page = max(int(query.get("page") or 1), 1)
        pages = max((len(items) + per_page - 1) // per_page, 1)
        chunk = items[(page - 1) * per_page: page * per_page]
        base = f"{self.forge.url}{urlsplit(self.path).path}"
        others = {k: v for k, v in query.items() if k not in ("page", "per_page")}
        extra_query = "".join(f"&{k}={v}" for k, v in others.items())

        def link(n: int) -> str:
            return f"<{base}?per_page={per_page}&page={n}{extra_query}>"

        links = []
        if page < pages:
            links += [f'{link(page + 1)}; rel="next"', f'{link(pages)}; rel="last"']
        if page > 1:
            links += [f'{link(1)}; rel="first"', f'{link(page - 1)}; rel="prev"']
        headers = {"Link": ", ".join(links)} if links else {}
        if gitlab:
            headers.update({"x-page": str(page), "x-per-page": str(per_page), "x-total": str(len(items)),
                            "x-total-pages": str(pages), "x-next-page": str(page + 1) if page < pages else "",
                            "x-prev-page": str(page - 1) if page > 1 else ""})
        self._send(200, [_public(i) for i in chunk], headers)

    _reply_with: _Failure | None = None

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        if self._reply_with is not None:  # the work is done; the answer is lost on the way back
            status, payload, headers = self._reply_with.status, self._reply_with.payload, self._reply_with.headers
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Date", formatdate(usegmt=True))
        sent = {k.lower() for k in (headers or {})}
        if "x-ratelimit-remaining" not in sent and not urlsplit(self.path).path.startswith("/api/v4/"):
            # real GitHub sends these on every answer, permission refusals included
            self.send_header("x-ratelimit-limit", "5000")
            self.send_header("x-ratelimit-remaining", "4999")
            self.send_header("x-ratelimit-reset", str(int(time.time()) + 3600))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(name="forge")
def forge_fixture() -> Iterator[FakeForge]:
    """A running fake GitHub/GitLab API on 127.0.0.1, fresh for each test."""
    with FakeForge() as forge:
        yield forge
