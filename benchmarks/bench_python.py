"""Benchmark: the Python scanner on a large generated tree versus parsing every file with libcst.

    python benchmarks/bench_python.py [--modules 2000] [--keyed 20] [--lines 120]
    python benchmarks/bench_python.py --real PATH [PATH...] [--table tasks --column id --ref T2.col]
                                      [--findings-out FILE] [--profile]
    python benchmarks/bench_python.py --parse PATH [PATH...] [--limit N] [--repeat 3]

The --parse mode times the parse of every .py file under the paths: analyzer.python.parsed.parse (fastparse's
tree from `ast` where it builds one, else the native parse and the one codegen pass that records positions and
builds the index; the same with LibCST alone) against
bare libcst.parse_module, in CPU seconds, alternated in one process (best of --repeat), with the ratio; and
what pickling the parsed files costs (a forked child sends its share back so: analyzer/python/parallel.py).

The --real mode scans real trees (e.g. site-packages/celery and kombu) with a hand-made closure whose
key name is common there, prints files, parsed, findings, seconds per stage and the bare libcst parse
of the parsed files with the ratio; --findings-out writes the sorted (path, line, code) set so two runs
can be compared.

Generates a package of unrelated modules (services, schemas and routes over users, tags, orders...)
plus a few modules that carry the key, then times:
  * baseline: libcst.parse_module on every file, and parse + metadata (positions, qualified names),
    which is what a scanner without a prefilter must pay;
  * scan_python: prefilter rounds, parse of the candidates only, flow and rules;
  * scan_python again in the same process (in-memory cache by content hash).
Prints the figures and the ratio. Work is meant to grow with the impact, not the repository.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider, QualifiedNameProvider

from analyzer.config import Config
from analyzer.models import Closure, ImpactedColumn, SourceFile, Target
from analyzer.python import engine as _engine
from analyzer.python import scan_python

ENTITIES = ["user", "order", "invoice", "tag", "team", "project", "comment", "payment", "address", "session"]

UNRELATED = '''\
"""Module {i}: {entity} helpers."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from pydantic import BaseModel


class {Entity}Out{i}(BaseModel):
    id: int
    {entity}_id: int
    name: str
    page: int = 1


@dataclass
class {Entity}Row{i}:
    {entity}_id: int
    total: int


def list_{entity}s_{i}(session, {entity}_id: int, page: int = 1, limit: int = 50) -> list[int]:
    offset = (page - 1) * limit
    rows = session.query("{entity}s").offset(offset).limit(limit).all()
    return [r.{entity}_id for r in rows if r.{entity}_id % 2 == 0]


def total_{i}(values: list[int]) -> int:
    acc = 0
    for v in values:
        acc += v * 3
    return acc
'''

EXTRA = '''

def helper_{i}_{n}({entity}_id: int, page: int = 1) -> int:
    values = [{entity}_id, page, {n}]
    return sum(v * 2 for v in values if v > page)
'''

KEYED = '''\
"""Module {i}: content rendering."""
from __future__ import annotations

from app.models import ContentItem


def render_{i}(doc_key: int) -> str:
    return f"doc-{{doc_key}}"


def publish_{i}(item: ContentItem) -> str:
    return render_{i}(item.id)


def shard_{i}(content_id: int, shards: int = 16) -> int:
    return content_id % shards
'''

MODELS = '''\
from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ContentItem(Base):
    __tablename__ = "content_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class Image(Base):
    __tablename__ = "images"
    id: Mapped[int] = mapped_column(primary_key=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("content_items.id"))
'''


def generate(root: Path, modules: int, keyed: int, lines: int) -> list[SourceFile]:
    rng = random.Random(0)
    files: list[SourceFile] = []

    def add(rel: str, text: str) -> None:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        files.append(SourceFile(".", str(p), rel, "python"))

    add("app/models.py", MODELS)
    keyed_at = set(rng.sample(range(modules), keyed))
    for i in range(modules):
        if i in keyed_at:
            add(f"app/content/mod_{i}.py", KEYED.format(i=i))
            continue
        entity = ENTITIES[i % len(ENTITIES)]
        body = UNRELATED.format(i=i, entity=entity, Entity=entity.capitalize())
        n = 0
        while body.count("\n") < lines:  # pad to a realistic module size
            body += EXTRA.format(i=i, n=n, entity=entity)
            n += 1
        add(f"app/pkg_{i % 40}/mod_{i}.py", body)
    return files


def real_files(paths: list[str]) -> list[SourceFile]:
    files: list[SourceFile] = []
    for root in paths:
        base = Path(root).resolve()
        for p in sorted(base.rglob("*.py")):
            rel = f"{base.name}/{p.relative_to(base).as_posix()}"
            files.append(SourceFile(".", str(p), rel, "python"))
    return files


def run_real(args: argparse.Namespace) -> None:
    files = real_files(args.real)
    table, column = args.table, args.column
    ref_table, _, ref_col = args.ref.partition(".")
    closure = Closure(
        targets=(Target(table, column, "INTEGER", "UUID"),),
        columns=(ImpactedColumn(table, column, "INTEGER", "target", target=f"{table}.{column}"),
                 ImpactedColumn(ref_table, ref_col, "INTEGER", "declared FK", target=f"{table}.{column}")),
        references=(),
    )
    _engine._CACHE.clear()
    timings: dict[str, float] = {}
    _engine.TIMINGS = timings
    prof = None
    if args.profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t0 = time.perf_counter()
    result = scan_python(files, closure, Config())
    scan = time.perf_counter() - t0
    if prof is not None:
        import pstats

        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
    _engine.TIMINGS = None
    parsed_paths = [f for f in files if f.path in _engine.LAST_PARSED]
    lines = 0
    t0 = time.perf_counter()
    for f in parsed_paths:
        text = Path(f.abs_path).read_text(encoding="utf-8")
        lines += text.count("\n")
        try:
            cst.parse_module(text)
        except Exception:  # noqa: BLE001 - a baseline only
            pass
    bare = time.perf_counter() - t0
    keys = sorted({(f.path, f.span.line, f.code) for f in result.findings})
    print(f"tree: {len(files)} files; closure {table}.{column} <- {args.ref}")
    print(f"parsed {int(result.stats['parsed'])} files ({lines} lines), rounds {int(result.stats['rounds'])}, "
          f"findings {len(result.findings)} ({len(keys)} distinct path/line/code)")
    for stage, secs in timings.items():
        print(f"  {stage:<22} {secs:7.2f} s")
    print(f"scan_python total:           {scan:7.2f} s")
    print(f"bare libcst parse of parsed: {bare:7.2f} s  ratio scan/bare {scan / max(bare, 1e-9):.2f}x")
    if args.findings_out:
        Path(args.findings_out).write_text("".join(f"{p}\t{ln}\t{c}\n" for p, ln, c in keys), encoding="utf-8")


def run_parse(args: argparse.Namespace) -> None:
    import gc
    import pickle

    from analyzer.python.parsed import ParseFailure, parse

    items: list[tuple[SourceFile, str]] = []
    for f in real_files(args.parse)[: args.limit or None]:
        try:
            items.append((f, Path(f.abs_path).read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError):
            continue

    def timed(fn: object) -> tuple[float, list[object]]:
        kept: list[object] = []  # the trees stay alive, as in a scan (and the collector frozen over them)
        gc.collect()
        gc.freeze()
        t0 = time.process_time()
        for f, text in items:
            try:
                kept.append(fn(f, text))  # type: ignore[operator]
            except (ParseFailure, cst.ParserSyntaxError, RecursionError):
                kept.append(None)
            gc.freeze()
        return time.process_time() - t0, kept

    bare = ours = libcst_path = float("inf")
    for _ in range(args.repeat):
        secs, kept = timed(lambda f, text: cst.parse_module(text))
        bare = min(bare, secs)
        del kept
        secs, kept = timed(lambda f, text: parse(f, text, fast=False))
        libcst_path = min(libcst_path, secs)
        del kept
        secs, kept = timed(parse)
        ours = min(ours, secs)
    gc.disable()
    t0 = time.process_time()
    blobs = [pickle.dumps(pf, protocol=pickle.HIGHEST_PROTOCOL) for pf in kept if pf is not None]
    dumps = time.process_time() - t0
    t0 = time.process_time()
    for blob in blobs:
        pickle.loads(blob)
    loads = time.process_time() - t0
    gc.enable()
    chars = sum(len(t) for _f, t in items)
    print(f"{len(items)} files, {chars:,} chars, {sum(p is None for p in kept)} not parsed; CPU s, best of {args.repeat}")
    print(f"bare libcst.parse_module:      {bare:7.2f} s")
    built = sum(1 for pf in kept if pf is not None and getattr(pf, "converted", False))
    print(f"parsed.parse, LibCST only:     {libcst_path:7.2f} s  ratio {libcst_path / max(bare, 1e-9):.2f}x the bare parse")
    print(f"parsed.parse (parse + index):  {ours:7.2f} s  ratio {ours / max(bare, 1e-9):.2f}x the bare parse "
          f"({built} of {sum(p is not None for p in kept)} files built from ast by fastparse, the rest by LibCST)")
    print(f"pickle dumps / loads:          {dumps:7.2f} s / {loads:.2f} s ({sum(map(len, blobs)) / 1e6:.1f} MB)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--modules", type=int, default=2000)
    ap.add_argument("--keyed", type=int, default=20)
    ap.add_argument("--lines", type=int, default=120)
    ap.add_argument("--real", nargs="+", help="scan these real trees instead of a generated one")
    ap.add_argument("--table", default="tasks")
    ap.add_argument("--column", default="id")
    ap.add_argument("--ref", default="task_results.task_id")
    ap.add_argument("--findings-out")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--parse", nargs="+", help="time parsed.parse against the bare parse on these trees")
    ap.add_argument("--limit", type=int, default=0, help="--parse: the first N files only")
    ap.add_argument("--repeat", type=int, default=3, help="--parse: best of N")
    args = ap.parse_args()
    if args.parse:
        run_parse(args)
        return
    if args.real:
        run_real(args)
        return
    root = Path(tempfile.mkdtemp(prefix="impact-bench-py-"))
    try:
        files = generate(root, args.modules, args.keyed, args.lines)
        total_lines = sum(Path(f.abs_path).read_text().count("\n") for f in files)
        closure = Closure(
            targets=(Target("content_items", "id", "INTEGER", "UUID"),),
            columns=(ImpactedColumn("content_items", "id", "INTEGER", "target", target="content_items.id"),
                     ImpactedColumn("images", "content_id", "INTEGER", "declared FK", target="content_items.id")),
            references=(),
        )
        t0 = time.perf_counter()
        for f in files:
            cst.parse_module(Path(f.abs_path).read_text(encoding="utf-8"))
        parse_all = time.perf_counter() - t0
        sample = files[: max(1, len(files) // 10)]
        t0 = time.perf_counter()
        for f in sample:
            MetadataWrapper(cst.parse_module(Path(f.abs_path).read_text(encoding="utf-8"))).resolve_many(
                [PositionProvider, QualifiedNameProvider])
        meta_all = (time.perf_counter() - t0) * len(files) / len(sample)
        _engine._CACHE.clear()
        t0 = time.perf_counter()
        result = scan_python(files, closure, Config())
        scan = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = scan_python(files, closure, Config())
        warm = time.perf_counter() - t0
        print(f"tree: {len(files)} files, {total_lines} lines, {args.keyed} modules carry the key")
        print(f"baseline libcst.parse_module on every file:        {parse_all:7.2f} s "
              f"({total_lines / parse_all:,.0f} lines/s)")
        print(f"baseline parse + metadata on every file (est.):    {meta_all:7.2f} s")
        print(f"scan_python (prefilter, parse candidates, rules):  {scan:7.2f} s  parsed {int(result.stats['parsed'])}"
              f" files, prefiltered out {int(result.stats['prefiltered_out'])}, rounds {int(result.stats['rounds'])}")
        print(f"scan_python again (in-memory cache):               {warm:7.2f} s  cache hits "
              f"{int(again.stats['cache_hits'])}")
        print(f"findings: {len(result.findings)}")
        print(f"ratio parse-all / scan: {parse_all / scan:.1f}x; parse+metadata / scan: {meta_all / scan:.1f}x")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
