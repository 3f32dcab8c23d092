"""The `id` parameter of a function named after the key holds the key: `formatRunId(row, id: number)`.

A table's column formatters are looked up by column name and called with the row and the cell's value
(`formatters[column.accessor](row, row[column.accessor])`), so no call site tells the flow what `id` is; the
function's name does: `formatRunId` formats a run id. Its parameter named `id` (or `ids`) is the key and its
`number` type must change (TS031). Another parameter of the same function (`row`, `width`) and an `id` of a
function named after something else (`formatDuration(id: number)`) stay quiet.
"""

from __future__ import annotations

from pathlib import Path

from analyzer.config import Config
from analyzer.models import KeySeeds
from analyzer.typescript.scan import scan_sources

SEEDS = KeySeeds(field_names=frozenset({"run_id"}), origins={"run_id": "RunOut.run_id in api/schemas/run.py:9"})

TABLE = (
    "type Row = { id: number; started: number; title: string };\n"
    "export function RunTable({ rows }: { rows: Row[] }) {\n"
    "  const formatRunId = (_row: Row, id: number) => <span>{id}</span>;\n"  # 3: TS031
    "  const formatRunIds = (ids: number[], width: number) => ids.join(', ').padEnd(width);\n"  # 4: TS031 (ids)
    "  const formatDuration = (_row: Row, id: number) => <span>{id} s</span>;\n"  # 5: ok
    "  const formatters: Record<string, any> = { id: formatRunId, started: formatDuration };\n"
    "  return (\n"
    "    <table>\n"
    "      {rows.map((row) => (\n"
    "        <tr key={row.title}>{Object.keys(formatters).map((k) => formatters[k](row, (row as any)[k]))}</tr>\n"
    "      ))}\n"
    "      <caption>{formatRunIds([], 10)}</caption>\n"
    "    </table>\n"
    "  );\n"
    "}\n"
)


def test_the_id_parameter_of_a_function_named_after_the_key(tmp_path: Path) -> None:
    result = scan_sources({"src/components/RunTable.tsx": TABLE}, SEEDS, Config(), tmp=tmp_path)
    got = {(f.code, f.span.line, f.symbol) for f in result.findings if f.code == "TS031"}
    lines = {line for _, line, _ in got}
    assert {3, 4} <= lines, sorted(got)
    assert 5 not in lines, sorted(got)
    assert not any(sym.endswith(("_row", "width")) for _, _, sym in got), sorted(got)
