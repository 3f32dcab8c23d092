"""`impact schema --format json|md|dot|html`: the reference graph, rendered. Pure functions of their input."""

from __future__ import annotations

import json
from typing import Any

import networkx as nx
from jinja2 import Environment, select_autoescape

from analyzer.models import Reference, SchemaSnapshot
from analyzer.reports.markup import md_cell, md_text


def references_of(graph: nx.MultiDiGraph) -> list[Reference]:
    refs = [data["ref"] for _, _, data in graph.edges(data=True) if "ref" in data]
    return sorted(refs, key=lambda r: (r.to_table, r.to_column, r.from_table, r.from_column, r.kind))


def schema_dict(snapshot: SchemaSnapshot, graph: nx.MultiDiGraph) -> dict[str, Any]:
    sizes = {t.name: t.bytes for t in snapshot.tables}
    return {
        "dialect": snapshot.dialect,
        "source": snapshot.source,
        "tables": [
            {
                "name": t.name,
                "rows": t.rows,
                "rows_estimated": t.rows_estimated,
                "bytes": t.bytes,
                "index_bytes": t.index_bytes,
                "toast_bytes": t.toast_bytes,
                "columns": [
                    {"name": c.name, "type": c.type, "nullable": c.nullable, "default": c.default,
                     "identity": c.identity, "sequence": c.sequence}
                    for c in t.columns
                ],
                "primary_key": list(t.primary_key),
                "foreign_keys": [
                    {"name": fk.name, "columns": list(fk.columns), "ref_table": fk.ref_table,
                     "ref_columns": list(fk.ref_columns), "on_delete": fk.on_delete, "on_update": fk.on_update}
                    for fk in t.foreign_keys
                ],
                "indexes": [{"name": ix.name, "columns": list(ix.columns), "unique": ix.unique} for ix in t.indexes],
                "unique_constraints": [list(u) for u in t.unique_constraints],
            }
            for t in snapshot.tables
        ],
        "references": [{**reference_dict(r), "bytes": sizes.get(r.from_table)} for r in references_of(graph)],
        "dependents": [
            {"kind": d.kind, "name": d.name, "table": d.table, "column": d.column, "definition": d.definition}
            for d in snapshot.dependents
        ],
    }


def reference_dict(r: Reference) -> dict[str, Any]:
    return {"from": r.source, "to": r.dest, "kind": r.kind, "confidence": r.confidence,
            "evidence": r.evidence, "rows": r.rows}


def human_rows(rows: int | None, estimated: bool) -> str:
    if rows is None:
        return "?"
    prefix = "~" if estimated else ""
    if rows >= 1_000_000:
        return f"{prefix}{rows / 1_000_000:.1f} M"
    if rows >= 10_000:
        return f"{prefix}{rows / 1000:.0f} k"
    return f"{prefix}{rows}"


def human_bytes(n: int | None) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


def _md_cell(text: object) -> str:
    """Table names, columns and evidence come from the database: inert text in a table cell."""
    return md_cell(md_text(text))


def render_md(snapshot: SchemaSnapshot, graph: nx.MultiDiGraph) -> str:
    lines = [f"# Schema of {md_text(snapshot.source or snapshot.dialect)} ({md_text(snapshot.dialect)})", "",
             f"{len(snapshot.tables)} tables, {len(references_of(graph))} references.", "",
             "## Tables", "", "| table | rows | size | indexes | primary key | foreign keys |",
             "|---|---:|---:|---:|---|---|"]
    for t in snapshot.tables:
        fks = "; ".join(f"({', '.join(fk.columns)}) → {fk.ref_table}({', '.join(fk.ref_columns)})"
                        for fk in t.foreign_keys)
        lines.append(f"| {_md_cell(t.name)} | {human_rows(t.rows, t.rows_estimated)} | {human_bytes(t.bytes)} | "
                     f"{human_bytes(t.index_bytes)} | {_md_cell(', '.join(t.primary_key))} | {_md_cell(fks)} |")
    lines += ["", "## References", "", "| from | to | kind | confidence | rows | evidence |",
              "|---|---|---|---:|---:|---|"]
    estimated = {t.name: t.rows_estimated for t in snapshot.tables}
    for r in references_of(graph):
        rows = human_rows(r.rows, estimated.get(r.from_table, True)) if r.rows is not None else ""
        lines.append(f"| {_md_cell(r.source)} | {_md_cell(r.dest)} | {_md_cell(r.kind)} | {r.confidence:.2f} | "
                     f"{rows} | {_md_cell(r.evidence)} |")
    if snapshot.dependents:
        lines += ["", "## Dependent objects", "", "| kind | name | table | column |", "|---|---|---|---|"]
        for d in snapshot.dependents:
            lines.append(f"| {_md_cell(d.kind)} | {_md_cell(d.name)} | {_md_cell(d.table)} | {_md_cell(d.column or '')} |")
    return "\n".join(lines) + "\n"


def _dot_id(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_dot(snapshot: SchemaSnapshot, graph: nx.MultiDiGraph) -> str:
    lines = ["digraph schema {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    for t in snapshot.tables:
        label = f"{t.name}\\n{human_rows(t.rows, t.rows_estimated)} rows"
        lines.append(f"  {_dot_id(t.name)} [label={_dot_id(label).replace(chr(92) * 2 + 'n', chr(92) + 'n')}];")
    styles = {"declared": "solid", "inferred": "dashed", "polymorphic": "dotted", "virtual": "bold"}
    for r in references_of(graph):
        label = f"{r.from_column} → {r.to_column}" + ("" if r.kind == "declared" else f" ({r.confidence:.2f})")
        lines.append(f"  {_dot_id(r.from_table)} -> {_dot_id(r.to_table)} "
                     f"[label={_dot_id(label)}, style={styles.get(r.kind, 'solid')}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Schema — {{ data.source }}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left}
th{background:#f4f4f4}.num{text-align:right}.inferred{color:#8a5a00}.polymorphic{color:#777}
code{font-size:90%}
</style></head><body>
<h1>Schema of {{ data.source }} <small>({{ data.dialect }})</small></h1>
<p>{{ data.tables|length }} tables, {{ data.references|length }} references,
{{ data.dependents|length }} dependent objects.</p>
<h2>References</h2>
<table><tr><th>from</th><th>to</th><th>kind</th><th>confidence</th><th>rows</th><th>evidence</th></tr>
{% for r in data.references %}<tr class="{{ r.kind }}"><td><code>{{ r.from }}</code></td><td><code>{{ r.to }}</code></td>
<td>{{ r.kind }}</td><td class="num">{{ '%.2f'|format(r.confidence) }}</td><td class="num">{{ rows(r.rows) }}</td>
<td>{{ r.evidence }}</td></tr>
{% endfor %}</table>
<h2>Tables</h2>
<table><tr><th>table</th><th>rows</th><th>size</th><th>index size</th><th>primary key</th><th>columns</th></tr>
{% for t in data.tables %}<tr><td><code>{{ t.name }}</code></td><td class="num">{{ rows(t.rows, t.rows_estimated) }}</td>
<td class="num">{{ size(t.bytes) }}</td><td class="num">{{ size(t.index_bytes) }}</td>
<td>{{ t.primary_key|join(', ') }}</td>
<td>{% for c in t.columns %}<code>{{ c.name }}</code> {{ c.type }}{% if not loop.last %}, {% endif %}{% endfor %}</td></tr>
{% endfor %}</table>
{% if data.dependents %}<h2>Dependent objects</h2>
<table><tr><th>kind</th><th>name</th><th>table</th><th>column</th><th>definition</th></tr>
{% for d in data.dependents %}<tr><td>{{ d.kind }}</td><td><code>{{ d.name }}</code></td><td>{{ d.table }}</td>
<td>{{ d.column or '' }}</td><td><code>{{ d.definition|truncate(300) }}</code></td></tr>
{% endfor %}</table>{% endif %}
</body></html>
"""


def render_html(snapshot: SchemaSnapshot, graph: nx.MultiDiGraph) -> str:
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    template = env.from_string(_HTML)
    return template.render(data=schema_dict(snapshot, graph),
                           rows=lambda n, est=True: human_rows(n, est), size=human_bytes)


def render_json(snapshot: SchemaSnapshot, graph: nx.MultiDiGraph) -> str:
    """One table, reference or dependent per line: readable and diffable, and encoded by the C encoder
    (`indent=` falls back to the pure-Python one, seconds on a 2,000-table schema)."""
    data = schema_dict(snapshot, graph)
    parts = []
    for key, value in data.items():
        if isinstance(value, list):
            items = ",\n    ".join(json.dumps(item, ensure_ascii=False) for item in value)
            parts.append(f"  {json.dumps(key)}: [\n    {items}\n  ]" if value else f"  {json.dumps(key)}: []")
        else:
            parts.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def render_schema(snapshot: SchemaSnapshot, graph: nx.MultiDiGraph, fmt: str) -> str:
    if fmt == "json":
        return render_json(snapshot, graph)
    if fmt == "md":
        return render_md(snapshot, graph)
    if fmt == "dot":
        return render_dot(snapshot, graph)
    if fmt == "html":
        return render_html(snapshot, graph)
    raise ValueError(f"unknown schema format {fmt!r} (json, md, dot, html)")
