#!/usr/bin/env python3
"""docs/pr-comment.png: the pull-request comment as GitHub shows it, made from a real diff-mode scan.

    .venv/bin/python scripts/pr_comment_screenshot.py [--out docs/pr-comment.png] [--keep DIR]

It copies the bundled fixture app (fixtures/content_app) into a temporary git repository with a
CODEOWNERS file, builds its SQLite database, commits that as the base, then commits a pull request's
change: a new export route and schema that take the content id as an `int`, and the front-end call
that passes it as a `number`. `impact scan --diff-base` scans the change as the action does, and
`impact comment --dry-run` gives the body the action would post (report.md when that command is not
there). The body is rendered with markdown-it-py (CommonMark, GFM tables, HTML kept as GitHub keeps
<details>), framed like a GitHub timeline comment, and screenshotted with headless Chromium at the
page's own height. Needs chromium on PATH; emoji need a colour emoji font (Debian:
fonts-noto-color-emoji).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WIDTH = 920

EXPORTS_ROUTE = '''\
"""Exports of a content item as CSV (new)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.db.session import get_db
from app.models import ContentItem

router = APIRouter(tags=["exports"])


class ExportRequest(BaseModel):
    content_id: int
    include_comments: bool = False


@router.get("/contents/{content_id}/export")
def export_content(content_id: int, db: Session = Depends(get_db)) -> dict[str, str]:
    item = db.get(ContentItem, content_id)
    return {"name": f"content-{item.id}.csv"}
'''

EXPORTS_API = '''\
import { request } from './client';

export async function exportContent(contentId: number): Promise<{ name: string }> {
  return request(`/contents/${contentId}/export`);
}
'''

CODEOWNERS = "/backend/ @acme/backend\n/frontend/ @acme/web\n"

CSS = """
body { margin: 0; padding: 16px; background: #fff; color: #1f2328;
  font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif,
  "Apple Color Emoji", "Segoe UI Emoji", "Noto Color Emoji"; font-size: 14px; line-height: 1.5; }
.comment { display: flex; gap: 12px; width: %(width)dpx; }
.avatar { width: 40px; height: 40px; border-radius: 6px; background: #2f81f7; flex: none; color: #fff;
  font-weight: 600; display: flex; align-items: center; justify-content: center; font-size: 13px; }
.box { border: 1px solid #d1d9e0; border-radius: 6px; flex: 1; min-width: 0; }
.head { background: #f6f8fa; border-bottom: 1px solid #d1d9e0; padding: 8px 16px; color: #59636e;
  border-radius: 6px 6px 0 0; }
.head b { color: #1f2328; } .bot { border: 1px solid #d1d9e0; border-radius: 2em; padding: 0 6px;
  font-size: 12px; margin-left: 4px; }
.body { padding: 16px; overflow-wrap: break-word; }
.body > *:first-child { margin-top: 0; } .body > *:last-child { margin-bottom: 0; }
p, ul, ol, table, details { margin: 0 0 16px; }
h1, h2, h3, h4 { margin: 24px 0 16px; font-weight: 600; line-height: 1.25; } h4 { font-size: 1em; }
ul { padding-left: 2em; } li + li { margin-top: 4px; }
code { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
  font-size: 85%%; padding: .2em .4em; background: rgba(129,139,152,.12); border-radius: 6px; }
table { border-collapse: collapse; display: block; width: max-content; max-width: 100%%; overflow: auto; }
th, td { border: 1px solid #d1d9e0; padding: 6px 13px; } th { font-weight: 600; }
tr:nth-child(2n) { background: #f6f8fa; }
summary { cursor: pointer; } details[open] > summary { margin-bottom: 8px; }
sub { color: #59636e; } a { color: #0969da; text-decoration: none; }
"""

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><style>%(css)s</style></head>
<body><div class="comment"><div class="avatar">GA</div><div class="box">
<div class="head"><b>github-actions</b><span class="bot">bot</span> commented just now</div>
<div class="body">%(body)s</div></div></div>
<script>document.body.dataset.height = String(document.documentElement.scrollHeight);</script>
</body></html>
"""


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd[:3])} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return proc.stdout


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
           "GIT_COMMITTER_NAME": "dev", "GIT_COMMITTER_EMAIL": "dev@example.com"}
    return _run(["git", *args], repo, env).strip()


def _impact() -> list[str]:
    script = Path(sys.executable).with_name("impact")
    return [str(script)] if script.exists() else [sys.executable, "-m", "analyzer"]


def pull_request(work: Path) -> tuple[Path, str, str]:
    """A git repository holding the fixture app, with a pull request's change on top; (repo, base, db url)."""
    from analyzer.demo import build_demo_database, fixture_app

    repo = work / "content-service"
    shutil.copytree(fixture_app(), repo, ignore=shutil.ignore_patterns("node_modules", "__pycache__", "*.pyc"))
    (repo / ".github").mkdir()
    (repo / ".github" / "CODEOWNERS").write_text(CODEOWNERS, encoding="utf-8")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    base = _git(repo, "rev-parse", "HEAD")
    # the database beside the code, untracked, so the comment's footer names it briefly
    build_demo_database(repo / "db", rows=2000)
    url = "sqlite:///db/content_app.sqlite"
    (repo / "backend/app/api/routes/exports.py").write_text(EXPORTS_ROUTE, encoding="utf-8")
    (repo / "frontend/src/api/exports.ts").write_text(EXPORTS_API, encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "CSV export of a content item")
    return repo, base, url


def comment_body(repo: Path, base: str, url: str, out: Path) -> str:
    env = {**os.environ, "IMPACT_DATABASE_URL": url, "COLUMNS": "120"}
    _run([*_impact(), "scan", "backend", "frontend", "--target", "content_items.id", "--target",
          "content_items_auto.id", "--to", "uuid", "--diff-base", base, "--out", str(out), "--quiet",
          "--no-typecheck"], repo, env)
    help_text = subprocess.run([*_impact(), "comment", "--help"], capture_output=True, text=True).stdout
    if "--dry-run" in help_text:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB_", "CI_"))}
        printed = _run([*_impact(), "comment", "--out", str(out), "--dry-run", "--repo", "acme/content-service",
                        "--pr", "42", "--when", "always"], repo, env)
        body_file = out / "comment.md"
        if body_file.is_file():
            return body_file.read_text(encoding="utf-8")
        if "<!-- impact:comment" in printed:
            return printed[printed.index("<!-- impact:comment"):]
    return (out / "report.md").read_text(encoding="utf-8")


def render(markdown: str) -> str:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")
    body = md.render(markdown)
    return PAGE % {"css": CSS % {"width": WIDTH}, "body": body}


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    browser = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    if browser is None:
        raise SystemExit("chromium is not installed (Debian: apt-get install chromium)")
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
           "--hide-scrollbars", "--force-device-scale-factor=1", f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def screenshot(page: Path, png: Path, work: Path) -> tuple[int, int]:
    dom = chromium("--dump-dom", page.as_uri(), profile=work / "profile-dom").stdout
    found = re.search(r'data-height="(\d+)"', dom)
    if not found:
        raise SystemExit("chromium did not run the page's script (no data-height in the DOM)")
    size = (WIDTH + 2 * 16 + 52, int(found.group(1)))
    proc = chromium(f"--screenshot={png}", f"--window-size={size[0]},{size[1]}", page.as_uri(),
                    profile=work / "profile-shot")
    if proc.returncode != 0 or not png.is_file():
        raise SystemExit(f"chromium screenshot failed: {proc.stderr[-2000:]}")
    return size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "pr-comment.png")
    parser.add_argument("--keep", type=Path, help="keep the repository, report and HTML page in this folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="impact-pr-comment-"))
    try:
        repo, base, url = pull_request(work)
        body = comment_body(repo, base, url, work / "report")
        page = work / "comment.html"
        page.write_text(render(body), encoding="utf-8")
        width, height = screenshot(page, args.out.resolve(), work)
        print(f"wrote {args.out} ({width}x{height} px, {args.out.stat().st_size // 1024} kB) "
              f"from a {len(body):,}-character comment")
        if args.keep:
            shutil.copytree(work, args.keep, dirs_exist_ok=True, ignore=shutil.ignore_patterns("profile-*"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
