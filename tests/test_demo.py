"""`impact demo` end to end: every SPEC output, valid JSON, and the fixture's recall/precision."""

from __future__ import annotations

import json
import time
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from expectations import format_scores, read_expectations, score
from helpers import REPO, run_impact


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # exactly the README's quick start: no --out, so a relative `impact-report/` in the working directory
    out = tmp_path_factory.mktemp("demo") / "impact-report"
    started = time.perf_counter()
    proc = run_impact("demo", cwd=out.parent)
    elapsed = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr + proc.stdout
    print(f"\nimpact demo ran in {elapsed:.1f}s\n{proc.stdout}")
    return out


def test_demo_writes_every_output(demo_out: Path) -> None:
    for name in ("report.html", "report.md", "findings.json", "findings.sarif", "patches/all.patch"):
        assert (demo_out / name).is_file(), name
        assert (demo_out / name).stat().st_size > 0 or name.endswith(".patch"), name


def test_demo_leads_with_the_strategies(demo_out: Path) -> None:
    """The decision first: the demo prices every strategy (SQLite gets no migration script, and says why)."""
    plan = json.loads((demo_out / "plan.json").read_text())
    schema = json.loads((resources.files("analyzer.reports") / "plan.schema.json").read_text())
    jsonschema.validate(plan, schema)
    by = {s["name"]: s for s in plan["strategies"]}
    assert list(by) == ["uuid", "uuid7", "bigint", "shared-sequence", "keep"]
    assert by["uuid"]["code"]["must_change"] > by["bigint"]["code"]["must_change"] > 0
    assert "SQLite" in by["uuid"]["refused"] and by["shared-sequence"]["collisions"]["ids"] > 0
    md = (demo_out / "report.md").read_text()
    assert md.index("### Strategies") < md.index("| layer |")
    html = (demo_out / "report.html").read_text()
    assert html.index('id="strategies"') < html.index('id="layers"')


def test_findings_json_matches_the_schema(demo_out: Path) -> None:
    schema = json.loads((resources.files("analyzer.reports") / "findings.schema.json").read_text())
    data = json.loads((demo_out / "findings.json").read_text())
    jsonschema.validate(data, schema)
    assert data["version"] == 1
    assert {(t["table"], t["column"]) for t in data["targets"]} == {("content_items", "id"),
                                                                     ("content_items_auto", "id")}
    assert data["roots"] == ["backend", "frontend"]


def test_findings_span_python_and_typescript_layers(demo_out: Path) -> None:
    data = json.loads((demo_out / "findings.json").read_text())
    findings = data["findings"]
    assert len(findings) >= 24, "the demo should find dozens of places"
    languages = {f["language"] for f in findings}
    assert {"python", "typescript"} <= languages
    layers = {f["layer"] for f in findings}
    assert {"db-model", "pydantic", "route"} <= layers
    assert any(layer.startswith("ts-") for layer in layers)
    assert all(f["path"].split("/", 1)[0] in ("backend", "frontend") for f in findings)
    assert len({f["fingerprint"] for f in findings}) == len(findings)
    assert data["summary"]["findings"] == len(findings)


def test_a_broken_file_is_skipped_and_the_scan_goes_on(demo_out: Path) -> None:
    data = json.loads((demo_out / "findings.json").read_text())
    outcomes = data.get("outcomes") or data.get("files") or []
    skipped = [o for o in outcomes if o.get("status") == "skipped"]
    assert any(o["path"].endswith(".py") for o in skipped), outcomes[:5]


def test_fixture_recall_and_precision(demo_out: Path) -> None:
    """Our own yardstick: the fixture's annotations against what the demo found."""
    app = REPO / "fixtures" / "content_app"
    expected: dict = {}
    ok: set = set()
    for root in ("backend", "frontend"):
        e, o = read_expectations(app / root, prefix=root)
        expected.update(e)
        ok |= o
    assert len(expected) >= 100, "the fixture app must carry its expected answers"
    findings = json.loads((demo_out / "findings.json").read_text())["findings"]
    total, by_layer, misses, noise = score(expected, findings)
    print("\n" + format_scores(total, by_layer))
    print(f"misses ({len(misses)}):", *[f"  {m.path}:{m.line} {m.kind} {m.layer}" for m in misses[:60]], sep="\n")
    print(f"noise ({len(noise)}):", *[f"  {n['path']}:{n['line']} {n['rule']}" for n in noise[:60]], sep="\n")
    flagged_ok = [f for f in findings if (f["path"], f["line"]) in ok]
    assert not flagged_ok, f"distractors flagged: {[(f['path'], f['line'], f['rule']) for f in flagged_ok]}"
    assert total.recall >= RECALL_FLOOR
    assert total.precision >= PRECISION_FLOOR


# Floors we actually reach; raise them as the scanners improve, never lower them silently.
RECALL_FLOOR = 0.5
PRECISION_FLOOR = 0.8


def test_demo_report_loads_in_a_real_browser(demo_out: Path, tmp_path: Path) -> None:
    """The demo's own report.html (hundreds of findings, real snippets) in headless Chromium."""
    from test_reports_browser import ARTIFACTS, _console_errors, _run

    data = json.loads((demo_out / "findings.json").read_text())
    proc = _run((demo_out / "report.html").as_uri(), tmp_path, "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    n = len(data["findings"])
    assert f'data-ready="{n}"' in proc.stdout, "the page script did not finish"
    assert f"{n} of {n} findings shown" in proc.stdout
    assert not _console_errors(proc.stderr), _console_errors(proc.stderr)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "demo-report.png"
    _run((demo_out / "report.html").as_uri(), tmp_path, f"--screenshot={shot}", "--window-size=1400,2400",
         "--hide-scrollbars")
    assert shot.is_file() and shot.stat().st_size > 20_000
    print(f"\nscreenshot: {shot}")
