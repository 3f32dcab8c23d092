"""report.html without a browser: self-contained, escaped, complete, in deployment order."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from html.parser import HTMLParser

from analyzer.reports import RENDERERS
from analyzer.reports.graph import build as build_graph
from report_factory import FINDINGS, build_report

from analyzer.models import LAYERS


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.ids: list[str] = []
        self.groups: list[str] = []
        self._in_script: dict[str, str | None] | None = None
        self._buf: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self._in_script, self._buf = a, []
        if tag == "article" and a.get("data-id"):
            self.ids.append(str(a["data-id"]))
        if tag == "section" and "layer-group" in (a.get("class") or ""):
            self.groups.append(str(a.get("data-layer")))
        for key in ("src", "href"):
            value = a.get(key) or ""
            if tag in ("script", "link", "img", "iframe") and value and not value.startswith(("#", "data:")):
                self.external.append(value)
        if tag == "link":
            self.external.append(str(a.get("href")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._in_script is not None:
            self.scripts.append((self._in_script, "".join(self._buf)))
            self._in_script = None

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            self._buf.append(data)


def _parse(html: str) -> _Collect:
    p = _Collect()
    p.feed(html)
    p.close()
    return p


def test_page_is_self_contained() -> None:
    html = RENDERERS["html"](build_report())
    p = _parse(html)
    assert p.external == []
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "url(http" not in html
    assert "<style>" in html and "<svg" in html


def test_script_end_tag_in_a_snippet_cannot_break_out() -> None:
    html = RENDERERS["html"](build_report())
    p = _parse(html)
    assert len(p.scripts) == 2, "the JSON data block and the inline script, nothing more"
    assert html.count("</script>") == 2
    data_attrs, data_text = p.scripts[0]
    assert data_attrs == {"type": "application/json", "id": "impact-data"}
    data = json.loads(data_text)
    texts = " ".join(f["text"] for f in data["findings"])
    assert "<b>not</b> a number</script>" in texts  # the raw snippet survives the round trip
    # in the page body the same snippet is shown escaped
    assert "&lt;b&gt;not&lt;/b&gt; a number&lt;/script&gt;" in html
    assert "<b>not</b>" not in html


def test_every_finding_is_on_the_page_grouped_in_deployment_order() -> None:
    report = build_report()
    p = _parse(RENDERERS["html"](report))
    assert sorted(p.ids) == sorted(f.fingerprint for f in report.findings)
    assert p.groups == sorted(set(p.groups), key=LAYERS.index)
    assert p.groups[0] == "db-model" and p.groups[-1] == "other"


def test_verdict_figures_come_first() -> None:
    html = RENDERERS["html"](build_report())
    verdict = html.split("</header>", 1)[0]
    for text in ("content_items.id, content_items_auto.id", "INTEGER → UUID", "6 tables / 3.6 M rows to rewrite",
                 "+41.7 MB", "indexes +55.4 MB", "12</span>", "1.5–4.4", "1 skipped"):
        assert text in verdict, text


def test_edits_are_shown_before_and_after() -> None:
    html = RENDERERS["html"](build_report())
    assert '<span class="del">-     id: Mapped[int] = mapped_column(Integer, primary_key=True)</span>' in html
    assert '<span class="add">+     id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)</span>' in html
    # without the source text the page still says what the fix inserts
    no_source = build_report(extras={k: v for k, v in build_report().extras.items() if k != "sources"})
    assert '<b class="safe">safe fix</b> insert <code>uuid.UUID · Uuid</code> (2 edits)' in RENDERERS["html"](no_source)


def test_unsafe_edits_are_labelled_needs_review_and_withheld_patches_listed() -> None:
    from dataclasses import replace

    base = build_report()
    f = next(f for f in base.findings if f.edits)
    unsafe = replace(f, edits=tuple(replace(e, safe=False) for e in f.edits), review="patch withheld: tsc")
    extras = {**base.extras, "verification": {"checked": ["python: 3 patched files compile"], "skipped": [],
                                              "withheld": {f.path: "tsc after the patch: TS2322"}}}
    html = RENDERERS["html"](replace(base, findings=tuple(unsafe if x is f else x for x in base.findings),
                                     extras=extras))
    assert '<b class="needs-review"' in html and "suggested, needs review" in html
    assert "✔ python: 3 patched files compile" in html
    assert "tsc after the patch: TS2322" in html


def test_cost_table_and_effort_assumptions() -> None:
    html = RENDERERS["html"](build_report())
    assert "ALTER TABLE generation_jobs ADD COLUMN content_id_new uuid;  -- backfill, then swap" in html
    assert "the batched backfill rewrites every row" in html
    bigint = RENDERERS["html"](build_report(targets=tuple(replace(t, to_type="BIGINT") for t in build_report().targets),
                                            to="bigint"))
    assert "ALTER TABLE generation_jobs ALTER COLUMN content_id TYPE bigint;" in bigint
    assert "rewrites table + indexes under ACCESS EXCLUSIVE lock" in bigint
    assert "view content_feed (id)" in html and "trigger trg_images_touch" in html
    assert "2 h per table × 6 tables" in html
    assert "backend/app/legacy/import_v1.py" in html and "SyntaxError: invalid syntax (line 3)" in html
    assert "frontend/src/api/types.ts" in html.split('id="patches"', 1)[1]


def test_graph_is_scoped_to_the_closure_and_styles_reference_kinds() -> None:
    report = build_report()
    g = build_graph(report)
    assert set(g.nodes) == {"content_items", "content_items_auto", "generation_jobs", "images", "content_tags",
                            "comments", "analytics_events"}
    assert "users" not in g  # referenced by a target, but not a reference of the closure
    html = RENDERERS["html"](report)
    svg = html.split("<svg class=\"fk-graph\"", 1)[1].split("</svg>", 1)[0]
    assert svg.count('class="edge edge-declared"') == 2
    assert svg.count('stroke-dasharray="7 5"') == 2  # inferred (one below threshold)
    assert svg.count('stroke-dasharray="2 4"') == 2  # polymorphic
    assert 'class="node node-target" data-table="content_items"' in svg
    assert "node-out" in svg  # analytics_events: in reach, not rewritten


def test_message_markup_is_escaped() -> None:
    f = replace(FINDINGS[0], message="x <img src=x onerror=alert(1)> `code`", symbol="<svg/onload=1>")
    html = RENDERERS["html"](build_report(findings=(f,)))
    assert "<img src=x" not in html and "<svg/onload" not in html
    assert "x &lt;img src=x onerror=alert(1)&gt; <code>code</code>" in html


def test_graph_layout_stays_bounded_with_many_referencing_tables() -> None:
    from analyzer.reports.graph import MAX_PER_COLUMN, ROW_H, layout

    from analyzer.models import Closure, ImpactedColumn, Reference, SchemaSnapshot, Table

    base = build_report()
    refs = tuple(Reference(f"t{i:03d}", "content_id", "content_items", "id", "declared", 1.0, rows=i)
                 for i in range(60))
    cols = (*base.closure.columns, *(ImpactedColumn(f"t{i:03d}", "content_id", "INTEGER", "declared FK", 1.0,
                                                    "content_items.id") for i in range(60)))
    tables = (*base.schema.tables, *(Table(f"t{i:03d}", (), rows=1000 * i) for i in range(60)))
    report = build_report(closure=Closure(base.closure.targets, cols, (*base.closure.references, *refs)),
                          schema=SchemaSnapshot("postgresql", tables))
    nodes, width, height = layout(build_graph(report))
    assert len(nodes) == 67
    assert height <= (MAX_PER_COLUMN + 1) * ROW_H + 100
    assert len({(n.x, n.y) for n in nodes}) == len(nodes), "no two tables drawn on the same spot"
    assert "<svg" in RENDERERS["html"](report)


def test_counts_of_one_are_singular() -> None:
    """One finding in one file of one layer reads "1 file · 1 layer", not "1 files · 1 layers"."""
    one = next(f for f in build_report().findings if f.kind == "must_change")
    html = RENDERERS["html"](build_report(findings=(one,)))
    assert "in 1 file · 1 layer<" in html
    assert "1 files" not in html and "1 layers" not in html
