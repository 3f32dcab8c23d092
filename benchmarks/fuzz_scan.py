"""Fuzz the scan: thousands of mutated Python / TypeScript / JavaScript files, one CLI run, count crashes.

    python benchmarks/fuzz_scan.py [--files 3000] [--seed 1] [--keep DIR]

Mutations of the fixture apps' sources (fixtures/*/backend, fixtures/*/frontend): byte flips,
truncations, deleted and duplicated ranges, splices of two files, bracket bombs, operator-chain bombs,
arrow-chain bombs, invalid UTF-8, NUL bytes, CRLF conversion and BOMs. The mutants are written into a
temporary backend and frontend next to the unmutated originals, then `impact scan` runs once over both
against the demo database (the fixture schema on SQLite).

A crash is any of: the process killed by a signal (SIGSEGV, SIGABRT, ...), an exit code other than 0/1,
a traceback on stderr, or a file whose outcome is `failed` (an exception inside the scan). When the
process dies, the files are bisected (a few CLI runs) to name the culprit. Prints counts and timings.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCES = (".py", ".ts", ".tsx", ".js", ".jsx")


def originals() -> list[tuple[str, bytes]]:
    out = []
    for app in sorted((REPO / "fixtures").iterdir()):
        for sub in ("backend", "frontend"):
            base = app / sub
            if not base.is_dir():
                continue
            for path in sorted(base.rglob("*")):
                if path.suffix in SOURCES and path.is_file() and "node_modules" not in path.parts:
                    out.append((path.suffix, path.read_bytes()))
    return out


def mutate(rng: random.Random, data: bytes, other: bytes, suffix: str) -> tuple[str, bytes]:
    kind = rng.choice(["flip", "flip", "truncate", "delete", "duplicate", "splice", "brackets", "chain",
                       "arrows", "utf8", "nul", "crlf", "bom"])
    n = len(data)
    if kind == "flip":
        buf = bytearray(data)
        for _ in range(rng.randint(1, 20)):
            if buf:
                buf[rng.randrange(len(buf))] = rng.randrange(1, 128)
        return kind, bytes(buf)
    if kind == "truncate":
        return kind, data[: rng.randrange(n + 1)]
    if kind == "delete":
        a = rng.randrange(n + 1)
        return kind, data[:a] + data[a + rng.randrange(200):]
    if kind == "duplicate":
        a = rng.randrange(n + 1)
        b = min(n, a + rng.randrange(400))
        return kind, data[:b] + data[a:b] * rng.randint(2, 30) + data[b:]
    if kind == "splice":
        return kind, data[: rng.randrange(n + 1)] + other[rng.randrange(len(other) + 1):]
    at = rng.randrange(n + 1)
    if kind == "brackets":
        depth = rng.choice([50, 199, 201, 500, 1500, 3000])
        opener, closer = rng.choice([("(", ")"), ("[", "]"), ("{", "}"), ("f(", ")")])
        bomb = (opener * depth + closer * depth).encode()
        return kind, data[:at] + bomb + data[at:]
    if kind == "chain":
        length = rng.choice([100, 1000, 5000, 20000])
        op = rng.choice(["-", "not ", "a+", "a.", "~"]) if suffix == ".py" else rng.choice(["-", "!", "a+", "a."])
        bomb = ("\nx = (" + op * length + "1)\n").encode()
        return kind, data[:at] + bomb + data[at:]
    if kind == "arrows":
        bomb = ("\nconst f = " + "() =>\n" * rng.choice([100, 1000, 5000]) + "1;\n").encode()
        return kind, data[:at] + bomb + data[at:]
    if kind == "utf8":
        return kind, data[:at] + bytes([rng.choice([0x80, 0xC3, 0xE9, 0xFF])]) + data[at:]
    if kind == "nul":
        return kind, data[:at] + b"\x00" + data[at:]
    if kind == "crlf":
        return kind, data.replace(b"\n", b"\r\n")
    return kind, b"\xef\xbb\xbf" + data


def write_corpus(root: Path, count: int, seed: int) -> Counter[str]:
    rng = random.Random(seed)
    pool = originals()
    kinds: Counter[str] = Counter()
    for i, (suffix, data) in enumerate(pool):  # the originals too: real findings among the mutants
        side = "backend" if suffix == ".py" else "frontend"
        (root / side / "orig").mkdir(parents=True, exist_ok=True)
        (root / side / "orig" / f"o{i}{suffix}").write_bytes(data)
    for i in range(count):
        suffix, data = rng.choice(pool)
        _, other = rng.choice([p for p in pool if p[0] == suffix] or pool)
        kind, mutant = mutate(rng, data, other, suffix)
        kinds[kind] += 1
        side = "backend" if suffix == ".py" else "frontend"
        folder = root / side / f"m{i // 200}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{kind}_{i}{suffix}").write_bytes(mutant)
    return kinds


def scan(root: Path, db_url: str, roots: list[str], out: Path) -> dict:
    cmd = [sys.executable, "-m", "analyzer", "scan", *roots, "--db", db_url, "--target", "content_items.id",
           "--target", "content_items_auto.id", "--out", str(out), "--no-typecheck", "-q", "--format", "json"]
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          env={**os.environ, "COLUMNS": "200"})
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    outcomes: list[dict] = []
    findings = 0
    if (out / "findings.json").is_file() and proc.returncode in (0, 1):
        doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
        outcomes, findings = doc["outcomes"], len(doc["findings"])
    return {"rc": proc.returncode, "stderr": proc.stderr, "seconds": seconds,
            "maxrss_mib": (rss if rss > before else before) / 1024, "outcomes": outcomes, "findings": findings}


def bisect(root: Path, db_url: str, files: list[Path], work: Path, budget: int = 12) -> list[Path]:
    """Name the files that kill the process (a few CLI runs over halves, each in its own tree)."""
    if budget <= 0 or not files:
        return files[:5]
    if len(files) == 1:
        return files
    culprits = []
    for half in (files[: len(files) // 2], files[len(files) // 2:]):
        tree = Path(tempfile.mkdtemp(dir=work))
        for f in half:
            dest = tree / f.relative_to(root)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(f.read_bytes())
        roots = [d for d in ("backend", "frontend") if (tree / d).is_dir()]
        res = scan(tree, db_url, roots, tree / "out")
        if res["rc"] not in (0, 1):
            culprits += bisect(tree, db_url, sorted(p for p in tree.rglob("*") if p.is_file()
                                                    and p.suffix in SOURCES), work, budget - 2)
    return culprits


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=Path, help="write the corpus here and keep it")
    args = ap.parse_args()
    sys.path.insert(0, str(REPO))
    from analyzer.demo import build_demo_database

    work = args.keep or Path(tempfile.mkdtemp(prefix="impact-fuzz-"))
    work.mkdir(parents=True, exist_ok=True)
    root = work / "tree"
    t0 = time.perf_counter()
    kinds = write_corpus(root, args.files, args.seed)
    db_url = build_demo_database(work, rows=50)
    gen_s = time.perf_counter() - t0
    res = scan(root, db_url, ["backend", "frontend"], work / "out")
    statuses = Counter(o["status"] for o in res["outcomes"])
    failed = [o for o in res["outcomes"] if o["status"] == "failed"]
    reasons = Counter(o["reason"].split(":")[0] for o in res["outcomes"] if o["status"] == "skipped")
    signal_death = res["rc"] < 0 or res["rc"] >= 128
    traceback = "Traceback" in res["stderr"]
    bad_exit = res["rc"] not in (0, 1)
    print(f"mutants: {args.files} ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}), "
          f"generated in {gen_s:.1f}s under {work}")
    print(f"scan: exit {res['rc']} in {res['seconds']:.1f}s, peak RSS {res['maxrss_mib']:.0f} MiB, "
          f"{res['findings']} findings")
    print(f"outcomes: {dict(statuses)}")
    print(f"skipped by reason: {dict(reasons.most_common(12))}")
    crashes = len(failed) + int(signal_death) + int(traceback) + int(bad_exit and not signal_death)
    print(f"crashes: {crashes} (killed by a signal: {int(signal_death)}, traceback: {int(traceback)}, "
          f"bad exit code: {int(bad_exit and not signal_death)}, failed files: {len(failed)})")
    for o in failed[:20]:
        print(f"  failed {o['path']}: {o['reason'][:200]}")
    if bad_exit:
        print("stderr:", res["stderr"][-2000:])
        files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in SOURCES)
        for culprit in bisect(root, db_url, files, work):
            print(f"  culprit: {culprit}")
    sys.exit(1 if crashes else 0)


if __name__ == "__main__":
    main()
