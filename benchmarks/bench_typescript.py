"""Benchmark: the TypeScript scanner against a bare tree-sitter parse of the same files.

    .venv/bin/python benchmarks/bench_typescript.py [--lines 300000] [--keep DIR]

Generates a React + TanStack Query front end of about `--lines` lines (types, API clients, hooks,
components; one entity among many carries the key), then in one process times (1) reading and
parsing every file with tree-sitter and nothing else, (2) `scan_typescript` on the same files, and
prints both figures and their ratio. `--thorough` also times the scan with every shortcut off (every
file parsed and indexed, every flow round over every file: `scan.THOROUGH`), which is also the cost
when every file names the key, and checks that both give the same findings.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from pathlib import Path

from analyzer.config import Config
from analyzer.models import KeySeeds, RouteSeed, SourceFile
from analyzer.typescript import scan as ts_scan
from analyzer.typescript import scan_typescript
from analyzer.typescript.parsing import is_tsx, parser_for

ENTITIES = ["Content", "Comment", "User", "Tag", "Project", "Invoice", "Order", "Team", "Asset", "Report",
            "Channel", "Folder", "Review", "Task", "Event"]


def _types(e: str, n: int) -> str:
    low = e[0].lower() + e[1:]
    out = [f"// types for {e} ({n})", f"export type {e}Id{n} = number;"]
    out.append(f"export interface {e}Item{n} {{\n  id: number;\n  {low}_id: number;\n  owner_id: number;\n"
               f"  title: string;\n  created_at: string;\n  tag_ids: number[];\n  page: number;\n}}")
    out.append(f"export type {e}Summary{n} = Pick<{e}Item{n}, 'id' | 'title'>;")
    out.append(f"export interface {e}Page{n} {{ items: {e}Item{n}[]; page: number; total: number }}")
    return "\n\n".join(out) + "\n"


def _api(e: str, n: int) -> str:
    low = e[0].lower() + e[1:]
    plural = low + "s"
    return f"""import {{ request }} from './client';
import type {{ {e}Item{n}, {e}Page{n} }} from '../types/{low}{n}';

export function fetch{e}{n}({low}Id: number): Promise<{e}Item{n}> {{
  return request(`/{plural}/${{{low}Id}}`);
}}

export function list{e}s{n}(page: number, limit = 50): Promise<{e}Page{n}> {{
  return request(`/{plural}?page=${{page}}&limit=${{limit}}`);
}}

export function update{e}{n}(id: number, patch: Partial<{e}Item{n}>): Promise<{e}Item{n}> {{
  return request(`/{plural}/${{id}}`, {{ method: 'PATCH', body: JSON.stringify(patch) }});
}}

export function delete{e}{n}(id: number): Promise<void> {{
  return request(`/{plural}/${{id}}`, {{ method: 'DELETE' }});
}}
"""


def _hooks(e: str, n: int) -> str:
    low = e[0].lower() + e[1:]
    return f"""import {{ useMutation, useQuery, useQueryClient }} from '@tanstack/react-query';
import {{ fetch{e}{n}, list{e}s{n}, update{e}{n} }} from '../api/{low}{n}';
import type {{ {e}Item{n} }} from '../types/{low}{n}';

export function use{e}{n}({low}Id: number | undefined) {{
  return useQuery({{
    queryKey: ['{low}', {low}Id],
    queryFn: () => fetch{e}{n}({low}Id!),
    enabled: !!{low}Id && {low}Id > 0,
  }});
}}

export function use{e}s{n}(page: number) {{
  return useQuery({{ queryKey: ['{low}s', page], queryFn: () => list{e}s{n}(page) }});
}}

export function useUpdate{e}{n}(id: number) {{
  const qc = useQueryClient();
  return useMutation({{
    mutationFn: (patch: Partial<{e}Item{n}>) => update{e}{n}(id, patch),
    onSuccess: (item: {e}Item{n}) => qc.setQueryData(['{low}', item.id], item),
  }});
}}
"""


def _component(e: str, n: int, rnd: random.Random) -> str:
    low = e[0].lower() + e[1:]
    rows = "\n".join(
        f"        <li key={{item.id + '-{i}'}} className=\"row-{i}\">{{item.title}} <small>{{item.created_at}}</small></li>"
        for i in range(rnd.randint(20, 60)))
    return f"""import {{ useState }} from 'react';
import {{ useParams }} from 'react-router-dom';
import {{ use{e}{n}, use{e}s{n} }} from '../hooks/{low}{n}';
import type {{ {e}Item{n} }} from '../types/{low}{n}';

type Props = {{ {low}Id: number; width?: number; onSelect: (id: number) => void }};

export function {e}Card{n}({{ {low}Id, width = 160, onSelect }}: Props) {{
  const {{ data }} = use{e}{n}({low}Id);
  if (!data) return null;
  return <div style={{{{ width }}}} onClick={{() => onSelect(data.id)}}>{{data.title}}</div>;
}}

export function {e}Page{n}() {{
  const params = useParams();
  const id = Number(params.id);
  const [page, setPage] = useState<number>(1);
  const [selected, setSelected] = useState<number | null>(null);
  const {{ data }} = use{e}s{n}(page);
  const items: {e}Item{n}[] = data?.items ?? [];
  const sorted = [...items].sort((a, b) => a.id - b.id);
  return (
    <main>
      <{e}Card{n} {low}Id={{id}} onSelect={{(x) => setSelected(x)}} />
      <p>selected: {{selected}}</p>
      <ul>
        {{sorted.map((item) => (
          <li key={{item.id}}>{{item.title}}</li>
        ))}}
      </ul>
      <ul>
{rows}
      </ul>
      <button onClick={{() => setPage(page + 1)}}>next</button>
    </main>
  );
}}
"""


def generate(root: Path, target_lines: int, seed: int = 7) -> int:
    rnd = random.Random(seed)
    lines = 0
    n = 0
    (root / "src" / "api").mkdir(parents=True, exist_ok=True)
    (root / "src" / "api" / "client.ts").write_text(
        "export async function request<T>(path: string, init: RequestInit = {}): Promise<T> {\n"
        "  const res = await fetch(`/api/v1${path}`, init);\n  return (await res.json()) as T;\n}\n")
    while lines < target_lines:
        e = ENTITIES[n % len(ENTITIES)]
        low = e[0].lower() + e[1:]
        for sub, name, text in (("types", f"{low}{n}.ts", _types(e, n)), ("api", f"{low}{n}.ts", _api(e, n)),
                                ("hooks", f"{low}{n}.ts", _hooks(e, n)),
                                ("components", f"{e}{n}.tsx", _component(e, n, rnd))):
            p = root / "src" / sub / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
            lines += text.count("\n")
        n += 1
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=300_000)
    ap.add_argument("--keep", type=Path, default=None)
    ap.add_argument("--thorough", action="store_true", help="also time the scan with every shortcut off")
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="impact-bench-ts-"))
    try:
        t0 = time.perf_counter()
        total = generate(root, args.lines)
        gen_s = time.perf_counter() - t0
        paths = sorted(p for p in root.rglob("*") if p.suffix in (".ts", ".tsx"))
        files = [SourceFile(str(root), str(p), p.relative_to(root).as_posix(), "typescript") for p in paths]
        print(f"generated {len(files)} files, {total} lines in {gen_s:.2f}s under {root}")

        t0 = time.perf_counter()
        for f in files:
            data = Path(f.abs_path).read_bytes()
            parser_for(is_tsx(f.path)).parse(data)
        bare = time.perf_counter() - t0

        seeds = KeySeeds(field_names=frozenset({"content_id"}),
                         routes=(RouteSeed("GET", "/api/v1/contents/{content_id}", ("content_id",),
                                           "backend/app/api/routes/contents.py:41"),),
                         origins={"content_id": "ContentOut.content_id in backend/app/schemas/content.py:12"})
        t0 = time.perf_counter()
        result = scan_typescript(files, seeds, Config())
        scan = time.perf_counter() - t0
        print(f"bare tree-sitter parse : {bare:6.2f}s  {total / bare:10,.0f} lines/s")
        print(f"scan_typescript        : {scan:6.2f}s  {total / scan:10,.0f} lines/s  "
              f"({len(result.findings)} findings)")
        print(f"ratio scan / parse     : {scan / bare:6.2f}x")
        print("scanner stats          :", {k: v for k, v in result.stats.items()})
        if args.thorough:
            ts_scan.THOROUGH = True
            try:
                t0 = time.perf_counter()
                full = scan_typescript(files, seeds, Config())
                slow = time.perf_counter() - t0
            finally:
                ts_scan.THOROUGH = False
            same = sorted((f.path, f.span.line, f.span.column, f.rule, f.symbol) for f in full.findings) == \
                sorted((f.path, f.span.line, f.span.column, f.rule, f.symbol) for f in result.findings)
            print(f"scan, thorough         : {slow:6.2f}s  {total / slow:10,.0f} lines/s  "
                  f"({len(full.findings)} findings, {'same' if same else 'DIFFERENT'} as the fast scan)")
            print(f"ratio thorough / parse : {slow / bare:6.2f}x")
            print("thorough stats         :", {k: v for k, v in full.stats.items()})
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
