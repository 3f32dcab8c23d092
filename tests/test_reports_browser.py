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
