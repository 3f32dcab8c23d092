"""report.html in a real browser (headless Chromium): the script runs, filters work, nothing logs errors.

Skipped when Chromium is not installed, unless IMPACT_REQUIRE_BROWSER=1 (then it fails). Install it
with `apt-get install -y chromium`. The screenshot lands in tests/artifacts/report.png (gitignored).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from analyzer.reports import RENDERERS
from report_factory import build_report

ARTIFACTS = Path(__file__).parent / "artifacts"


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("IMPACT_REQUIRE_BROWSER") == "1":
        pytest.fail("IMPACT_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install -y chromium)")
    pytest.skip("chromium not installed (apt-get install -y chromium); set IMPACT_REQUIRE_BROWSER=1 to require it")


def _run(page: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / f"profile-{len(list(tmp.iterdir()))}"
    cmd = [
        _chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
        f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *args, page,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def _console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines()
            if "Uncaught" in line or (":CONSOLE" in line and "source: file://" in line)]


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    _chromium()
    tmp = tmp_path_factory.mktemp("browser")
    html = tmp / "report.html"
    html.write_text(RENDERERS["html"](build_report()), encoding="utf-8")
    return tmp, html.as_uri()


def test_script_runs_and_every_finding_is_in_the_dom(page: tuple[Path, str]) -> None:
    tmp, uri = page
    proc = _run(uri, tmp, "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    report = build_report()
    assert f'data-ready="{len(report.findings)}"' in dom, "the page script did not finish"
    for f in report.findings:
        assert f'data-id="{f.fingerprint}"' in dom
    assert f"{len(report.findings)} of {len(report.findings)} findings shown" in dom
    assert not _console_errors(proc.stderr), _console_errors(proc.stderr)


def test_filters_from_the_url_hide_the_rest(page: tuple[Path, str]) -> None:
    tmp, uri = page
    proc = _run(uri + "#filter?kind=hazard&q=cursor", tmp, "--dump-dom")
    dom = proc.stdout
    assert "3 of 19 findings shown" in dom, re.findall(r"\d+ of \d+ findings shown", dom)
    shown = set(re.findall(r'<article class="finding [^"]*" id="[^"]*" data-id="(\w+)"[^>]*?(?<!hidden)>', dom))
    shown -= set(re.findall(r'data-id="(\w+)"[^>]*hidden', dom))
    expected = {f.fingerprint for f in build_report().findings if f.code in ("SQL001", "PY031", "PY040")}
    assert shown == expected  # hazards mentioning a cursor: in a review note or a snippet
    assert 'data-layer="db-model" hidden' in dom  # a layer with nothing left is hidden as a whole
    assert not _console_errors(proc.stderr), _console_errors(proc.stderr)


def test_screenshot(page: tuple[Path, str]) -> None:
    tmp, uri = page
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    if shot.exists():
        shot.unlink()
    proc = _run(uri, tmp, f"--screenshot={shot}", "--window-size=1400,2000", "--hide-scrollbars")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.is_file() and shot.stat().st_size > 20_000
    assert not _console_errors(proc.stderr), _console_errors(proc.stderr)
    print(f"\nscreenshot: {shot}")


#: a payload that leaves a mark in the DOM when it runs (a file name cannot hold '/')
PAYLOAD = "<img src=x onerror=document.body.setAttribute('data-pwned','1')>"


def test_hostile_names_stay_inert_in_report_html_and_report_md(tmp_path: Path) -> None:
    """A scan whose file, table and column names carry HTML payloads: report.html as written, and
    report.md rendered the way a code host renders it (CommonMark + tables), opened in Chromium; no
    payload runs and no payload element exists in the DOM."""
    import sqlite3

    from helpers import run_impact
    from markdown_it import MarkdownIt

    _chromium()
    db = tmp_path / "hostile.sqlite"
    con = sqlite3.connect(db)
    con.executescript(f"""
        CREATE TABLE documents (id INTEGER PRIMARY KEY, title TEXT);
        CREATE TABLE "att{PAYLOAD}" (id INTEGER PRIMARY KEY, document_id INTEGER REFERENCES documents(id));
    """)
    con.commit()
    con.close()
    app = tmp_path / "app"
    app.mkdir()
    model = "from pydantic import BaseModel\n\n\nclass Att(BaseModel):\n    document_id: int\n"
    (app / f"x`` {PAYLOAD} ``y.py").write_text(model, encoding="utf-8")
    (app / "ok.py").write_text(model, encoding="utf-8")
    out = tmp_path / "out"
    proc = run_impact("scan", str(app), "--db", f"sqlite:///{db}", "--target", "documents.id", "--out", str(out),
                      "--fail-on", "never", "--no-typecheck", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "onerror" in md  # the names are in the report, as text
    md_page = tmp_path / "report-md.html"
    md_page.write_text("<!doctype html><meta charset=utf-8><body>"
                       + MarkdownIt("commonmark").enable("table").render(md) + "</body>", encoding="utf-8")
    browse = tmp_path / "browse"
    browse.mkdir()
    for page in (out / "report.html", md_page):
        run = _run(page.as_uri(), browse, "--dump-dom", "--virtual-time-budget=3000")
        assert run.returncode == 0, run.stderr[-2000:]
        dom = run.stdout
        assert "onerror" in dom, page  # present, escaped
        assert "data-pwned" not in dom.split("<body", 1)[1].split(">", 1)[0], page
        assert not re.search(r"<img[^>]*onerror", dom), page
