"""The FK graph scoped to the targets, drawn as inline SVG with a small layout of our own.

Targets sit in the centre column; tables that reference them sit in the columns either side, one
column further out per hop. Declared references are solid, inferred dashed, polymorphic dotted, and
node area follows row count. No layout engine and no network: the page must open offline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from analyzer.models import Report

from ._common import human_count

if TYPE_CHECKING:
    import networkx as nx  # imported where a graph is drawn: the other formats need none

COL_W = 250
ROW_H = 104
MARGIN_X = 120
MARGIN_Y = 40
MAX_PER_COLUMN = 10
R_MIN, R_MAX = 9.0, 34.0
DASH = {"declared": "", "inferred": "7 5", "polymorphic": "2 4", "virtual": "10 4 2 4"}


@dataclass(frozen=True)
class Node:
    name: str
    x: float
    y: float
    r: float
    rows: int | None
    target: bool
    in_closure: bool


def build(report: Report) -> nx.MultiDiGraph:
    """Closure tables plus the tables at the other end of the closure's references."""
    import networkx as nx

    g: nx.MultiDiGraph = nx.MultiDiGraph()
    closure_tables = report.closure.tables
    targets = {t.table for t in report.targets}
    names = set(closure_tables) | targets
    for ref in report.closure.references:
        names.update((ref.from_table, ref.to_table))
    for name in sorted(names):
        table = report.schema.table(name)
        g.add_node(name, rows=table.rows if table else None, target=name in targets,
                   in_closure=name in closure_tables)
    for ref in report.closure.references:
        g.add_edge(ref.from_table, ref.to_table, kind=ref.kind, confidence=ref.confidence, rows=ref.rows,
                   label=f"{ref.source} → {ref.dest}", evidence=ref.evidence,
                   in_closure=report.closure.is_impacted(ref.from_table, ref.from_column))
    return g


def layout(g: nx.MultiDiGraph) -> tuple[list[Node], float, float]:
    import networkx as nx

    targets = sorted(n for n, d in g.nodes(data=True) if d["target"])
    undirected = g.to_undirected(as_view=True)
    dist: dict[str, int] = {}
    if targets:
        for node, d in nx.multi_source_dijkstra_path_length(undirected, set(targets)).items():
            dist[node] = int(d)
    far = max(dist.values(), default=0) + 1
    by_ring: dict[int, list[str]] = {}
    for node in g.nodes:
        by_ring.setdefault(dist.get(node, far), []).append(node)

    def weight(n: str) -> tuple[int, str]:
        return (-(g.nodes[n]["rows"] or 0), n)

    # targets in the centre; each hop outward adds a column on either side, split when too tall
    left: list[list[str]] = []
    right: list[list[str]] = []
    for ring in sorted(k for k in by_ring if k > 0):
        members = sorted(by_ring[ring], key=weight)
        for side, half in ((left, members[0::2]), (right, members[1::2])):
            side.extend(half[i:i + MAX_PER_COLUMN] for i in range(0, len(half), MAX_PER_COLUMN))
    centre = sorted(by_ring.get(0, []), key=weight)
    ordered = [*reversed(left), centre, *right]
    columns = {i: members for i, members in enumerate(ordered) if members}
    if not columns:
        return [], 2 * MARGIN_X, 2 * MARGIN_Y
    lo, hi = min(columns), max(columns)
    height_rows = max(len(v) for v in columns.values())
    width = (hi - lo) * COL_W + 2 * MARGIN_X
    height = max(height_rows * ROW_H, ROW_H) + 2 * MARGIN_Y
    max_rows = max((g.nodes[n]["rows"] or 0) for n in g.nodes) or 1
    nodes = []
    for col, members in columns.items():
        offset = (height - 2 * MARGIN_Y - len(members) * ROW_H) / 2
        for i, name in enumerate(members):
            rows = g.nodes[name]["rows"]
            r = R_MIN + (R_MAX - R_MIN) * math.sqrt((rows or 0) / max_rows)
            nodes.append(Node(name, MARGIN_X + (col - lo) * COL_W, MARGIN_Y + offset + (i + 0.5) * ROW_H - 10,
                              round(r, 1), rows, g.nodes[name]["target"], g.nodes[name]["in_closure"]))
    return nodes, width, height


def _f(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def svg(report: Report) -> Markup:
    g = build(report)
    nodes, width, height = layout(g)
    if not nodes:
        return Markup('<p class="muted">No tables in reach.</p>')
    at = {n.name: n for n in nodes}
    parts = [
        f'<svg class="fk-graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_f(width)} {_f(height)}" '
        f'width="{_f(width)}" height="{_f(height)}" role="img" aria-label="foreign-key graph around the targets">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#64748b"/></marker></defs>',
    ]
    pair_count: dict[tuple[str, str], int] = {}
    for u, v, data in sorted(g.edges(data=True), key=lambda e: (e[0], e[1], e[2]["label"])):
        a, b = at[u], at[v]
        k = pair_count.get((u, v), 0)
        pair_count[(u, v)] = k + 1
        dx, dy = b.x - a.x, b.y - a.y
        length = math.hypot(dx, dy) or 1.0
        ux, uy = dx / length, dy / length
        x1, y1 = a.x + ux * (a.r + 2), a.y + uy * (a.r + 2)
        x2, y2 = b.x - ux * (b.r + 4), b.y - uy * (b.r + 4)
        bend = 18.0 * k + (48.0 if abs(dx) < 1 else 0.0)  # same column: bow out, don't cross siblings
        cx, cy = (x1 + x2) / 2 - uy * bend, (y1 + y2) / 2 + ux * bend
        dash = DASH.get(data["kind"], "")
        cls = f"edge edge-{escape(data['kind'])}" + ("" if data["in_closure"] else " edge-out")
        title = (f"{data['label']} · {data['kind']} · confidence {data['confidence']:g}"
                 f" · {human_count(data['rows'])} rows" + (f"\n{data['evidence']}" if data["evidence"] else "")
                 + ("" if data["in_closure"] else "\nnot in the closure (below the inference threshold)"))
        parts.append(
            f'<path class="{cls}" d="M{_f(x1)},{_f(y1)} Q{_f(cx)},{_f(cy)} {_f(x2)},{_f(y2)}" fill="none" '
            + (f'stroke-dasharray="{dash}" ' if dash else "")
            + f'marker-end="url(#arrow)"><title>{escape(title)}</title></path>'
        )
    for n in sorted(nodes, key=lambda n: n.name):
        cls = "node" + (" node-target" if n.target else "") + ("" if n.in_closure else " node-out")
        rows = f"{human_count(n.rows)} rows" if n.rows is not None else "rows unknown"
        parts.append(
            f'<g class="{cls}" data-table="{escape(n.name)}"><title>{escape(n.name)} · {escape(rows)}</title>'
            f'<circle cx="{_f(n.x)}" cy="{_f(n.y)}" r="{_f(n.r)}"/>'
            f'<text class="label" x="{_f(n.x)}" y="{_f(n.y + n.r + 15)}" text-anchor="middle">{escape(n.name)}</text>'
            f'<text class="rows" x="{_f(n.x)}" y="{_f(n.y + n.r + 29)}" text-anchor="middle">{escape(rows)}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
