"""`impact comment`: one sticky pull-request comment with the report, kept up to date through the forge's API.

The comment is found again by a hidden first line, `<!-- impact:comment NAME -->`, so each run edits
the same comment instead of adding one per push. "The PR touches the key" means findings.json lists at
least one finding (in diff mode: a new one in a changed file). Then the comment is created or updated
with report.md; when the findings are gone the comment is edited to a short "resolved" note (so a
reviewer does not act on stale findings); with nothing to say and nothing said before, nothing is posted.

Standard library only (urllib): a CI step should not need more than the package. The token comes from
the environment only and appears in no message. GitHub issue comments and GitLab merge-request notes sit
behind one small interface (list with pagination, create, update); waits for rate limits honour
Retry-After / X-RateLimit-Reset within a bounded total (IMPACT_COMMENT_MAX_WAIT seconds, default 300),
server errors and dropped connections are retried twice.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from email.message import Message
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from analyzer import __version__
from analyzer.db.errors import MASK, scrub_secrets

GITHUB_MAX_BODY = 65_536  # "body is too long (maximum is 65536 characters)"
GITLAB_MAX_BODY = 1_000_000
MAX_WAIT_ENV = "IMPACT_COMMENT_MAX_WAIT"
DEFAULT_MAX_WAIT = 300.0
WHEN = ("findings", "always")
PROVIDERS = ("github", "gitlab")

_SERVER_RETRIES = 2  # a 5xx or a dropped connection is tried again twice, after 1 s and 2 s
_RATE_LIMIT_RETRIES = 5
_TIMEOUT = 30.0
_MAX_PAGES = 100  # 10,000 comments at 100 a page: past that, something loops
_MARKER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_GITHUB_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


class CommentError(Exception):
    """One line for the user (exit 2). Built by `_Api`, which scrubs the token out of it."""


@dataclass(frozen=True)
class Comment:
    id: int
    body: str
    url: str


class Provider(Protocol):
    """A place for one comment: a GitHub pull request's conversation, a GitLab merge request's notes."""

    name: str  # "GitHub"
    where: str  # "octo/app#7", for messages
    max_body: int

    def comments(self) -> Iterator[Comment]: ...
    def create(self, body: str) -> Comment: ...
    def update(self, comment: Comment, body: str) -> Comment: ...


@dataclass(frozen=True)
class Outcome:
    action: str  # created | updated | resolved | skipped
    where: str
    url: str
    body: str | None  # what was (or, in a dry run, would be) posted
    dry_run: bool = False

    @property
    def line(self) -> str:
        """What was done, in one line: `created the impact comment on octo/app#7: https://...`."""
        if self.action == "skipped":
            what = f"no findings and no earlier impact comment on {self.where} (--when always posts anyway)"
            return f"dry run, nothing posted: would skip: {what}" if self.dry_run else f"skipped: {what}"
        url = f": {self.url}" if self.url else ""
        if self.dry_run:
            verb = {"created": "create", "updated": "update", "resolved": "resolve"}[self.action]
            return f"dry run, nothing posted: would {verb} the impact comment on {self.where}{url}"
        return f"{self.action} the impact comment on {self.where}{url}"


def marker(name: str) -> str:
    if not _MARKER_NAME.fullmatch(name):
        raise CommentError(f"--marker takes letters, digits, '.', '_' and '-' (64 at most); got {name!r}")
    return f"<!-- impact:comment {name} -->"


# --- what to post ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Results:
    touches: bool  # at least one finding
    report: str | None  # report.md, when there is one


def read_results(out: Path) -> Results:
    path = out / "findings.json"
    if not path.is_file():
        raise CommentError(f"{path} not found: run `impact scan --out {out}` first (or name the folder with --out)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        findings = data["findings"]
        if not isinstance(findings, list):
            raise TypeError("'findings' is not a list")
    except (ValueError, KeyError, TypeError, OSError) as exc:
        raise CommentError(f"{path} is not an impact findings file ({type(exc).__name__}: {exc})") from None
    report = out / "report.md"
    return Results(bool(findings), report.read_text(encoding="utf-8") if report.is_file() else None)


def report_body(mark: str, report: str, limit: int, full_report: str) -> str:
    """The marker, then report.md, cut to `limit` characters if need be (see `fit`)."""
    return fit(f"{mark}\n{report.strip()}\n", limit, full_report)


def resolved_body(mark: str, sha: str | None) -> str:
    when = f"as of {sha}" if sha else "as of the latest run"
    return (f"{mark}\n**impact: resolved** — the findings this comment reported earlier are gone {when}; "
            "nothing in this change touches the key any more.\n")


def fit(body: str, limit: int, full_report: str) -> str:
    """`body` if it fits, else its first lines (whole lines: a table row or a link is never cut in half),
    open code fences and <details> closed, then a note saying where the rest is. The first line, the
    marker, always stays."""
    if len(body) <= limit:
        return body
    lines = body.splitlines(keepends=True)

    def assemble(kept: list[str]) -> str:
        note = (f"\n---\n*Cut at {limit:,} characters, the comment limit: {len(lines) - len(kept):,} more lines "
                f"are not shown. The full report is {full_report}.*\n")
        text = "".join(kept)
        if not text.endswith("\n"):
            text += "\n"
        return text + _closing(kept) + note

    budget, kept = limit - 400, []  # room for the note and the closing tags; trimmed below if short
    used = 0
    for line in lines:
        if used + len(line) > budget:
            break
        kept.append(line)
        used += len(line)
    kept = kept or lines[:1]
    result = assemble(kept)
    while len(result) > limit and len(kept) > 1:
        kept.pop()
        result = assemble(kept)
    return result


def _closing(lines: list[str]) -> str:
    fences = sum(1 for line in lines if line.lstrip().startswith("```"))
    details = sum(line.count("<details") - line.count("</details>") for line in lines)
    # a blank line first: a closing tag right under a table row could be read as one more row
    return ("```\n" if fences % 2 else "") + "\n</details>\n" * max(details, 0)


# --- the decision ----------------------------------------------------------------------------------


def find_marked(provider: Provider, mark: str) -> Comment | None:
    """The oldest comment whose first line is the marker (a reply quoting it starts with '>' instead)."""
    return next((c for c in provider.comments() if c.body.lstrip().startswith(mark)), None)


def post(provider: Provider | None, results: Results, *, mark: str, when: str, sha: str | None,
         full_report: str, where: str, dry_run: bool = False) -> Outcome:
    """Create, update, resolve or skip the marked comment. `provider` None (a dry run without a token or
    a pull request) means: no earlier comment could be looked up."""
    existing = find_marked(provider, mark) if provider is not None else None
    limit = provider.max_body if provider is not None else GITHUB_MAX_BODY
    if results.touches or when == "always":
        if results.report is None:
            raise CommentError("report.md is missing from the out folder: scan with the md format (the default)")
        action, body = ("updated" if existing else "created"), report_body(mark, results.report, limit, full_report)
    elif existing is not None:
        action, body = "resolved", resolved_body(mark, sha)
    else:
        return Outcome("skipped", where, "", None, dry_run)
    if dry_run or provider is None:
        return Outcome(action, where, existing.url if existing else "", body, dry_run=True)
    if existing is not None:
        return Outcome(action, where, provider.update(existing, body).url, body)
    return Outcome(action, where, _create(provider, mark, body).url, body)


def _create(provider: Provider, mark: str, body: str) -> Comment:
    """A POST that failed on the way back may have been carried out: look again before posting again,
    so that a flaky gateway never leaves two sticky comments."""
    for attempt in range(_SERVER_RETRIES + 1):
        try:
            return provider.create(body)
        except _Unsure as exc:
            if attempt == _SERVER_RETRIES:
                raise CommentError(f"{exc}, {attempt + 1} times") from None
            existing = find_marked(provider, mark)
            if existing is not None:
                return provider.update(existing, body)
    raise AssertionError("unreachable")


# --- HTTP ----------------------------------------------------------------------------------------


class _Unsure(CommentError):
    """A write answered by a 5xx or a dropped connection: it may or may not have been carried out."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would carry the token to wherever it points: stop and say so instead."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass(frozen=True)
class _Hints:
    forge: str  # "GitHub"
    token_var: str  # "GITHUB_TOKEN"
    permission: str  # what a 403 means here
    not_found: str  # what a 404 means here


class _Api:
    """JSON over HTTPS with the token, retries and one-line errors that never hold the token."""

    def __init__(self, headers: dict[str, str], token: str, hints: _Hints, max_wait: float,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.headers = {"User-Agent": f"impact/{__version__}", **headers}
        self.token = token
        self.hints = hints
        self.max_wait = max_wait
        self.sleep = sleep
        self.waited = 0.0
        self._opener = urllib.request.build_opener(_NoRedirect())

    def scrub(self, text: str) -> str:
        return scrub_secrets(text.replace(self.token, MASK) if len(self.token) >= 3 else text)

    def fail(self, message: str, unsure: bool = False) -> CommentError:
        return (_Unsure if unsure else CommentError)(self.scrub(message))

    def request(self, method: str, url: str, payload: Any = None) -> tuple[Any, Message]:
        path = urlsplit(url).path
        server_errors = rate_limits = 0
        while True:
            try:
                status, headers, raw = self._send(method, url, payload)
            except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
                reason = getattr(exc, "reason", exc)
                problem, status, headers, raw = f"cannot reach {self.hints.forge} ({reason})", 0, Message(), b""
            else:
                if 200 <= status < 300:
                    try:
                        return (json.loads(raw) if raw.strip() else None), headers
                    except ValueError:
                        raise self.fail(f"{self.hints.forge} answered {method} {path} with something that is "
                                        f"not JSON: {_one_line(raw.decode('utf-8', 'replace'))[:120]!r}") from None
                problem = f"{self.hints.forge} answered {status} {_message(raw)} to {method} {path}"
            wait = _rate_limit_wait(status, headers, raw) if status in (403, 429) else None
            if wait is not None:
                rate_limits += 1
                if rate_limits > _RATE_LIMIT_RETRIES or self.waited + wait > self.max_wait:
                    raise self.fail(f"{self.hints.forge} rate limit: it asks to wait {wait:.0f} s, over what is left "
                                    f"of the {self.max_wait:.0f} s this command waits ({MAX_WAIT_ENV}); try later")
                self._wait(wait)
                continue
            if status == 0 or status >= 500:
                if server_errors == _SERVER_RETRIES:
                    raise self.fail(f"{problem}, {_SERVER_RETRIES + 1} times", unsure=method != "GET")
                self._wait(min(2.0 ** server_errors, max(self.max_wait - self.waited, 0.0)))
                server_errors += 1
                if method == "POST":  # maybe done: the caller looks before posting again
                    raise self.fail(problem, unsure=True)
                continue
            raise self.fail(self._explain(status, problem, headers))

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self.sleep(seconds)
            self.waited += seconds

    def _send(self, method: str, url: str, payload: Any) -> tuple[int, Message, bytes]:
        data = json.dumps(payload).encode() if payload is not None else None
        headers = {**self.headers, **({"Content-Type": "application/json"} if data is not None else {})}
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with self._opener.open(req, timeout=_TIMEOUT) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, exc.headers, exc.read()

    def _explain(self, status: int, problem: str, headers: Message) -> str:
        hints = self.hints
        if status == 401:
            return f"{problem}: the token was refused; check {hints.token_var}"
        if status == 403:
            return f"{problem}: {hints.permission}"
        if status == 404:
            return f"{problem}: {hints.not_found}"
        if 300 <= status < 400:
            return f"{problem}: moved to {headers.get('Location', '?')}; not followed with the token, use that address"
        return problem


def _message(raw: bytes) -> str:
    """GitHub's `message` (+ `errors[].message`), GitLab's `message`/`error`, else the start of the text."""
    try:
        data = json.loads(raw)
    except ValueError:
        return _one_line(raw.decode("utf-8", "replace"))[:160]
    if not isinstance(data, dict):
        return ""
    text = str(data.get("message") or data.get("error") or "")
    details = [str(e.get("message")) for e in data.get("errors") or [] if isinstance(e, dict) and e.get("message")]
    return _one_line(f"{text} ({'; '.join(details)})" if details else text)[:300]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _rate_limit_wait(status: int, headers: Message, raw: bytes) -> float | None:
    """Seconds to wait when this 403/429 is a rate limit (GitHub: Retry-After, or x-ratelimit-remaining 0
    and x-ratelimit-reset; GitLab: Retry-After, RateLimit-Reset), None when it is a refusal."""
    retry_after = headers.get("Retry-After")
    if retry_after:
        try:
            return max(float(retry_after), 0.0)
        except ValueError:
            try:
                return max(parsedate_to_datetime(retry_after).timestamp() - time.time(), 0.0)
            except (TypeError, ValueError):
                pass
    remaining = headers.get("X-RateLimit-Remaining", headers.get("RateLimit-Remaining"))
    reset = headers.get("X-RateLimit-Reset", headers.get("RateLimit-Reset"))
    if remaining == "0" and reset:
        try:
            return max(float(reset) - _server_now(headers), 1.0)
        except ValueError:
            return 60.0
    if status == 429 or b"rate limit" in raw.lower():
        return 60.0  # GitHub: "wait at least one minute" when it says nothing else
    return None


def _server_now(headers: Message) -> float:
    """The server's clock (its Date header), so that a runner's skewed clock does not matter."""
    try:
        return parsedate_to_datetime(headers["Date"]).timestamp()
    except (TypeError, ValueError, KeyError):
        return time.time()


def _same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


# --- GitHub ----------------------------------------------------------------------------------------


class GitHub:
    """Issue comments of a pull request (a PR's conversation tab is its issue's comments)."""

    name = "GitHub"
    max_body = GITHUB_MAX_BODY

    def __init__(self, api: _Api, base: str, repo: str, number: int) -> None:
        owner, name = (quote(p, safe="") for p in repo.split("/", 1))
        self.api, self.base, self.where = api, base, f"{repo}#{number}"
        self._list = f"{base}/repos/{owner}/{name}/issues/{number}/comments"
        self._edit = f"{base}/repos/{owner}/{name}/issues/comments/"

    def comments(self) -> Iterator[Comment]:
        url: str | None = f"{self._list}?per_page=100"
        for _ in range(_MAX_PAGES):
            if url is None:
                return
            items, headers = self.api.request("GET", url)
            for item in items or []:
                yield _github_comment(item)
            url = _next_link(headers.get("Link"))
            if url is not None and not _same_origin(url, self.base):
                raise self.api.fail(f"GitHub's next page is on another host ({urlsplit(url).netloc}); "
                                    "not followed with the token")
        raise self.api.fail(f"more than {_MAX_PAGES} pages of comments on {self.where}")

    def create(self, body: str) -> Comment:
        item, _ = self.api.request("POST", self._list, {"body": body})
        return _github_comment(item)

    def update(self, comment: Comment, body: str) -> Comment:
        item, _ = self.api.request("PATCH", f"{self._edit}{comment.id}", {"body": body})
        return _github_comment(item)


def _github_comment(item: Mapping[str, Any]) -> Comment:
    return Comment(int(item["id"]), str(item.get("body") or ""), str(item.get("html_url") or ""))


_LINK = re.compile(r'<([^>]+)>\s*;[^,]*\brel="?([^",]*)"?')


def _next_link(link: str | None) -> str | None:
    for url, rels in _LINK.findall(link or ""):
        if "next" in rels.split():
            return str(url)
    return None


# --- GitLab ----------------------------------------------------------------------------------------


class GitLab:
    """Notes of a merge request (system notes, "added 1 commit", are skipped)."""

    name = "GitLab"
    max_body = GITLAB_MAX_BODY

    def __init__(self, api: _Api, base: str, project: str, iid: int, web_url: str | None) -> None:
        self.api, self.base, self.where = api, base, f"{project}!{iid}"
        self._list = f"{base}/projects/{quote(project, safe='')}/merge_requests/{iid}/notes"
        self._web = f"{web_url.rstrip('/')}/-/merge_requests/{iid}" if web_url else None

    def comments(self) -> Iterator[Comment]:
        query = {"per_page": "100", "sort": "asc", "order_by": "created_at"}
        url: str | None = f"{self._list}?{urlencode(query)}"
        for _ in range(_MAX_PAGES):
            if url is None:
                return
            items, headers = self.api.request("GET", url)
            for item in items or []:
                if not item.get("system"):
                    yield self._note(item)
            next_page = (headers.get("x-next-page") or "").strip()
            link = _next_link(headers.get("Link"))
            if next_page:
                url = _with_page(url, next_page)
            elif link is not None and _same_origin(link, self.base):
                url = link
            else:
                url = None
        raise self.api.fail(f"more than {_MAX_PAGES} pages of notes on {self.where}")

    def create(self, body: str) -> Comment:
        item, _ = self.api.request("POST", self._list, {"body": body})
        return self._note(item)

    def update(self, comment: Comment, body: str) -> Comment:
        item, _ = self.api.request("PUT", f"{self._list}/{comment.id}", {"body": body})
        return self._note(item)

    def _note(self, item: Mapping[str, Any]) -> Comment:
        nid = int(item["id"])
        return Comment(nid, str(item.get("body") or ""), f"{self._web}#note_{nid}" if self._web else f"note {nid}")


def _with_page(url: str, page: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["page"] = page
    return urlunsplit(parts._replace(query=urlencode(query)))


# --- where to post, from the options and the CI environment ----------------------------------------


@dataclass(frozen=True)
class Target:
    """Everything `impact comment` needs to know about where it posts; `provider` None: not enough known
    to look anything up (allowed for a dry run only)."""

    provider: Provider | None
    where: str
    sha: str | None
    full_report: str


def target(provider: str | None, repo: str | None, pr: int | None, api_url: str | None, out: Path,
           env: Mapping[str, str], dry_run: bool = False) -> Target:
    kind = provider or ("gitlab" if env.get("GITLAB_CI") == "true" else "github")
    if kind not in PROVIDERS:
        raise CommentError(f"--provider takes github or gitlab; got {kind!r}")
    max_wait = _max_wait(env)
    if kind == "github":
        return _github_target(repo, pr, api_url, out, env, dry_run, max_wait)
    return _gitlab_target(repo, pr, api_url, out, env, dry_run, max_wait)


def _github_target(repo: str | None, pr: int | None, api_url: str | None, out: Path, env: Mapping[str, str],
                   dry_run: bool, max_wait: float) -> Target:
    event = _event(env)
    repo = repo or env.get("GITHUB_REPOSITORY") or None
    number = pr or _event_number(event)
    sha = _head_sha(event) or env.get("GITHUB_SHA") or None  # GITHUB_SHA is the test merge, not the PR's head
    run = [env.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")]
    full = f"{out}/report.md" + (f", written by [this workflow run]({run[0]}/{run[1]}/actions/runs/{run[2]})"
                                 if all(run) else " where the scan ran")
    token = env.get("GITHUB_TOKEN", "")
    missing = _missing([
        (repo, "no repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY"),
        (number, "no pull request number: pass --pr N, or run in a pull_request workflow "
                 "(its GITHUB_EVENT_PATH names the pull request)"),
        (token, "no token: set GITHUB_TOKEN in the environment (in a workflow: "
                "`env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}`); it is never read from the command line"),
    ])
    where = f"{repo}#{number}" if repo and number else "the pull request"
    if missing:
        if dry_run:  # a preview still works outside CI; it cannot know of an earlier comment
            return Target(None, f"{where} (earlier comments not looked up: {missing.split(':')[0]})", sha, full)
        raise CommentError(missing)
    assert repo is not None and number is not None
    if not _GITHUB_REPO.fullmatch(repo):
        raise CommentError(f"--repo takes OWNER/NAME; got {repo!r}")
    base = _api_base(api_url or env.get("GITHUB_API_URL") or "https://api.github.com")
    api = _Api({"Authorization": f"Bearer {_checked(token, 'GITHUB_TOKEN')}",
                "Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"},
               token, _Hints("GitHub", "GITHUB_TOKEN",
                             "the token may not write comments here: the workflow needs `permissions: "
                             "pull-requests: write` (or `issues: write`), and a pull request from a fork "
                             "gets a read-only GITHUB_TOKEN",
                             f"repository {repo} or pull request #{number} not found (a private repository "
                             "the token cannot see answers 404 too); check --repo and --pr"), max_wait)
    return Target(GitHub(api, base, repo, number), where, sha, full)


def _gitlab_target(project: str | None, mr: int | None, api_url: str | None, out: Path, env: Mapping[str, str],
                   dry_run: bool, max_wait: float) -> Target:
    project = project or env.get("CI_PROJECT_ID") or None
    iid_text = env.get("CI_MERGE_REQUEST_IID", "")
    iid = mr or (int(iid_text) if iid_text.isdigit() else None)
    token, header, token_var = env.get("GITLAB_TOKEN", ""), "PRIVATE-TOKEN", "GITLAB_TOKEN"
    if not token and env.get("CI_JOB_TOKEN"):
        token, header, token_var = env["CI_JOB_TOKEN"], "JOB-TOKEN", "CI_JOB_TOKEN"
    full = f"{out}/report.md" + (f", written by [this job]({env['CI_JOB_URL']})" if env.get("CI_JOB_URL")
                                 else " where the scan ran")
    missing = _missing([
        (project, "no project: pass --repo GROUP/PROJECT (or its numeric id) or set CI_PROJECT_ID"),
        (iid, "no merge request: pass --pr IID, or run in a merge-request pipeline (CI_MERGE_REQUEST_IID)"),
        (token, "no token: set GITLAB_TOKEN (a project access token with the api scope) in the environment; "
                "it is never read from the command line"),
    ])
    where = f"{project}!{iid}" if project and iid else "the merge request"
    sha = env.get("CI_COMMIT_SHA") or None
    if missing:
        if dry_run:  # a preview still works outside CI; it cannot know of an earlier comment
            return Target(None, f"{where} (earlier comments not looked up: {missing.split(':')[0]})", sha, full)
        raise CommentError(missing)
    assert project is not None and iid is not None
    base = _api_base(api_url or env.get("CI_API_V4_URL") or "https://gitlab.com/api/v4")
    web = env.get("CI_PROJECT_URL") if project == env.get("CI_PROJECT_ID") else None
    if web is None and not project.isdigit():
        web = f"{base.removesuffix('/api/v4')}/{project}"
    api = _Api({header: _checked(token, token_var), "Accept": "application/json"}, token,
               _Hints("GitLab", token_var,
                      "the token may not write notes on this merge request: set GITLAB_TOKEN to a project "
                      "or personal access token with the api scope and at least the Reporter role "
                      "(a CI_JOB_TOKEN is usually not allowed to post notes)",
                      f"project {project} or merge request !{iid} not found (or not visible to the token); "
                      "check --repo and --pr"), max_wait)
    return Target(GitLab(api, base, project, iid, web), where, sha, full)


def _missing(checks: list[tuple[object, str]]) -> str:
    return next((message for value, message in checks if not value), "")


def _checked(token: str, var: str) -> str:
    """A token with a space or a control character in it would be refused by http.client with an error
    that quotes the header, token included: refuse it here without showing it."""
    if not re.fullmatch(r"[\x21-\x7e]+", token):
        raise CommentError(f"{var} holds spaces, line breaks or non-ASCII characters; it was not sent")
    return token


def _api_base(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise CommentError(f"--api-url takes an http(s) URL; got {url!r}")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        raise CommentError(f"--api-url {url} is plain http: the token would cross the network unencrypted; "
                           "use https")
    return url.strip().rstrip("/")


def _event(env: Mapping[str, str]) -> dict[str, Any]:
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _event_number(event: Mapping[str, Any]) -> int | None:
    """pull_request / pull_request_target: `pull_request.number`; issue_comment on a PR: `issue.number`."""
    pull, issue = event.get("pull_request"), event.get("issue")
    pull, issue = (pull if isinstance(pull, dict) else {}), (issue if isinstance(issue, dict) else {})
    for value in (pull.get("number"), issue.get("number") if "pull_request" in issue else None):
        if isinstance(value, int) and value > 0:
            return value
    return None


def _head_sha(event: Mapping[str, Any]) -> str | None:
    pull = event.get("pull_request")
    head = pull.get("head") if isinstance(pull, dict) else None
    sha = head.get("sha") if isinstance(head, dict) else None
    return sha if isinstance(sha, str) and sha else None


def _max_wait(env: Mapping[str, str]) -> float:
    text = env.get(MAX_WAIT_ENV, "")
    if not text:
        return DEFAULT_MAX_WAIT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise CommentError(f"{MAX_WAIT_ENV} takes a number of seconds; got {text!r}")
    return value


def run(out: Path, *, provider: str | None = None, repo: str | None = None, pr: int | None = None,
        api_url: str | None = None, when: str = "findings", marker_name: str = "impact", dry_run: bool = False,
        env: Mapping[str, str] | None = None) -> Outcome:
    """The command: read the out folder, find where to post, do it (or, with dry_run, only say what)."""
    env = os.environ if env is None else env
    if when not in WHEN:
        raise CommentError(f"--when takes findings or always; got {when!r}")
    if pr is not None and pr < 1:
        raise CommentError(f"--pr takes a pull request number; got {pr}")
    mark = marker(marker_name)
    results = read_results(out)
    where = target(provider, repo, pr, api_url, out, env, dry_run=dry_run)
    token = where.provider.api.token if isinstance(where.provider, GitHub | GitLab) else ""
    try:
        return post(where.provider, results, mark=mark, when=when, sha=where.sha, full_report=where.full_report,
                    where=where.where, dry_run=dry_run)
    except CommentError:
        raise
    except Exception as exc:  # noqa: BLE001 - an unexpected answer: one line, never the token
        text = f"{type(exc).__name__}: {exc}"
        raise CommentError(scrub_secrets(text.replace(token, MASK) if len(token) >= 3 else text)) from None
