"""report.md: a PR comment whose first line is the verdict, bounded under GitHub's 65,536 limit."""

from __future__ import annotations

import re
from dataclasses import replace

from analyzer.reports import RENDERERS
from analyzer.reports.markdown import LIMIT, escape_text
from analyzer.reports.markdown import render as render_md
from analyzer.reports.markup import md_cell
from report_factory import FINDINGS, build_report

from analyzer.models import Finding, Span


def _tables_are_whole(md: str) -> None:
    """Every table: header, delimiter, rows with the same number of cells, then a blank line."""
    lines = md.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("|"):
            header = lines[i].count(" | ")
            delimiter = lines[i + 1]
            assert set(delimiter) <= set("|-:") and delimiter.count("|") == header + 2, delimiter
            j = i + 2
            while j < len(lines) and lines[j].startswith("|"):
                assert lines[j].replace("\\|", "").count(" | ") == header, lines[j]
                j += 1
            assert j == len(lines) or lines[j] == "", f"table not closed by a blank line: {lines[j]!r}"
            i = j
        i += 1


def test_first_line_is_the_verdict_with_figures() -> None:
    first = RENDERERS["md"](build_report()).splitlines()[0]
    assert first == (
        "**impact: content_items.id, content_items_auto.id INTEGER → UUID** — 6 tables / 3.6 M rows to "
        "rewrite, 19 locations in 16 files (12 must change, 6 hazards), est. 1.5–4.4 days"
    )


def test_layer_table_top_findings_and_details() -> None:
    md = RENDERERS["md"](build_report())
    assert "| layer | must change | hazard | info | files |" in md
    assert "| `db-model` | 2 | 0 | 0 | 1 |" in md
    assert "| **total** | **12** | **6** | **1** | **16** |" in md
    top = md.split("#### Top 10 of 19 findings", 1)[1].split("<details>", 1)[0]
    assert "`backend/app/models.py:7` primary key `ContentItem.id` is typed int" in top
    # hazards are not crowded out of the top list by must-change findings
    assert "`backend/app/api/routes/contents.py:13` keyset pagination" in top
    assert md.count("<details>") == md.count("</details>") == 2
    assert "`backend/app/logging.py:9` log format `%d` used for a content id" in md
    _tables_are_whole(md)
    assert len(md) < LIMIT


def test_markup_in_messages_is_inert() -> None:
    f = replace(FINDINGS[0], message="renders <b>bold</b> and </details> | pipes *stars*")
    md = RENDERERS["md"](build_report(findings=(f,)))
    assert "&lt;b&gt;bold&lt;/b&gt; and &lt;/details&gt; \\| pipes \\*stars\\*" in md
    assert md.count("</details>") == md.count("<details>")
    # a code span keeps its pipe in a list item (`\|` would show the backslash); a table cell escapes it
    assert escape_text("a `x | <y>` b <c>") == "a `x | <y>` b &lt;c&gt;"
    assert md_cell(escape_text("a `x | <y>` b <c>")) == "a `x \\| <y>` b &lt;c&gt;"


def _many(n: int) -> tuple[Finding, ...]:
    out = []
    for i in range(n):
        base = FINDINGS[i % len(FINDINGS)]
        out.append(replace(base, path=f"backend/app/generated/module_{i:05d}.py", span=Span(i + 1, 1, i + 1, 9),
                           message=base.message + " " + "x" * 80, fingerprint=f"fp{i:05d}"))
    return tuple(out)


def test_huge_report_is_truncated_under_the_limit_with_a_count() -> None:
    findings = _many(3000)
    md = render_md(build_report(findings=findings))
    assert len(md) <= LIMIT
    m = re.search(r"_… (\d+) findings(?: and the table list)? not shown here", md)
    assert m, md[-500:]
    shown = len(re.findall(r"^- [🔴🟠⚪] ", md, flags=re.M))
    assert shown + int(m.group(1)) == len(findings)
    assert md.count("<details>") == md.count("</details>")
    _tables_are_whole(md)
    assert md.splitlines()[0].startswith("**impact: ")
    assert md.rstrip().endswith("</sub>")


def test_limit_is_respected_at_any_size() -> None:
    for n in (0, 1, 50, 400):
        md = render_md(build_report(findings=_many(n)), limit=6000)
        assert len(md) <= 6000
        assert md.count("<details>") == md.count("</details>")
        _tables_are_whole(md)


def test_verdict_uses_singulars() -> None:
    f = next(f for f in FINDINGS if f.kind == "hazard")
    first = RENDERERS["md"](build_report(findings=(f,))).splitlines()[0]
    assert "1 location in 1 file (0 must change, 1 hazard)" in first


def test_the_comment_names_no_database_host_port_or_user() -> None:
    """report.md is what `impact comment` posts, often on a public pull request: the footer says which
    database the schema came from, not where it runs or who logs in (report.html keeps the redacted URL)."""
    for source, shown in [
        ("postgresql://app:***@db.internal.example:6432/content", "schema: postgresql database content"),
        ("mysql+pymysql://root@10.0.4.2/shop", "schema: mysql database shop"),
        ("sqlite:////srv/data/app.sqlite", "schema: sqlite database app.sqlite"),
        ("models found in the code", "schema: models found in the code"),
    ]:
        report = replace(build_report(), schema_source=source)
        md = render_md(report)
        assert shown in md, (source, md[-400:])
        for secret in ("db.internal", "6432", "10.0.4.2", "root@", "app:", "/srv/data"):
            assert secret not in md, (source, secret)
    html = RENDERERS["html"](replace(build_report(), schema_source="postgresql://app@db.internal:5432/content"))
    assert "db.internal" in html  # the report people open from CI artifacts keeps where the schema came from
