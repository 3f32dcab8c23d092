"""Benchmark: impact on a real checkout (cold, warm, one-file diff mode, peak memory) against the tools
people compare it with, in one run, and a check that every shortcut leaves the findings as they are.

    python benchmarks/bench_realworld.py PATH --target organizations.id [--target ...] [--to uuid]
        [--db URL] [--baselines] [--tools-bin DIR] [--jobs N] [--repeat N] [--no-check] [--keep]

It fetches nothing: PATH is a checkout you brought (the search tool's `fetch`, a `git clone`). PATH is
never written to: every run writes its reports and its cache (`--cache-dir`) into a temporary folder,
and diff mode runs on a copy of the tree made into a git repository there.

Measured, each as its own process (wall seconds, CPU seconds of the process and its children, peak
RSS of the largest of them):

- cold: `impact scan` with an empty cache, `--repeat` times (default 3, each with a cache of its own),
  alternating with semgrep's runs when `--baselines`: the median of each is reported and compared (one run of
  a 12 s scan can be a second off either way as the machine's speed drifts);
- warm: the same again, with the cache the cold run left (an unchanged tree, schema and database: the
  cold run's outputs are read back, analyzer.cache.RunMemo, after its database statements are replayed
  and answer the same);
- slow path: `--no-cache --jobs 1` (and the engine's shortcuts off, `IMPACT_THOROUGH=1`): the reference
  the findings of every other run must equal;
- diff cold / warm / slow path: one Python file of the copy gets a change on a line with a finding (a
  trailing comment), then `impact scan --diff-base HEAD`: with an empty cache, with the cache of a full
  scan of the unchanged copy (what a CI cache of the main branch holds: the changed file is checked
  against its facts, analyzer/incremental.py; a file the base did not parse but a rule read, such as the
  base class py.db.inherited_key reports on, is taken as it was only when the comment moves no syntax,
  else the scan is full), and on the slow path; then the other common pull request,
  a new module the key does not reach, warm and on the slow path. Where diff mode scanned in full, the
  note says why (its stderr line);
- baselines (`--baselines`): ast-grep with one pattern over the .py files, semgrep with two rules
  (Python and TypeScript), ripgrep for the key name, a bare libcst parse of every .py file and a bare
  tree-sitter parse of every .ts/.tsx/.js file impact reads. A tool that is not installed is reported
  as unavailable and the run goes on (`pip install semgrep ast-grep-cli ripgrep` into a separate venv
  and pass its bin with `--tools-bin`).

The table ends with the ratios (impact cold / each baseline) and the identity checks: the
fingerprints of findings.json `findings` of cold, warm and the slow path must be the same set, and so
must those of the three diff runs. A mismatch exits 1.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    name: str
    wall: float | None = None
    cpu: float | None = None
    rss_mb: float | None = None
    code: int | None = None
    note: str = ""
    fingerprints: list[str] = field(default_factory=list)
    findings: int | None = None
    spread: str = ""  # (a median of several runs: every run's wall time)

    def remarks(self) -> str:
        return "; ".join(x for x in (self.spread, self.note) if x)


def timed(name: str, argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None,
          stdout: Path | None = None) -> Run:
    """Run `argv` as a child; wall clock, CPU (user + sys of the child and what it waited for) and the
    peak RSS os.wait4 reports for it (the largest of the child and its reaped children)."""
    out = open(stdout, "wb") if stdout else subprocess.DEVNULL  # noqa: SIM115 - closed below
    err_path = Path(tempfile.mkstemp(prefix="bench-err-")[1])
    try:
        with open(err_path, "wb") as err:
            start = time.perf_counter()
            try:
                proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err)
            except OSError as exc:
                return Run(name, note=f"unavailable: {exc}")
            _pid, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
        lines = err_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        tail = lines[-1:] or [""]
        said = [ln for ln in lines if ln.startswith("impact: --diff-base")]  # why diff mode scanned in full
    finally:
        if stdout:
            out.close()  # type: ignore[union-attr]
        err_path.unlink(missing_ok=True)
    run = Run(name, wall=wall, cpu=usage.ru_utime + usage.ru_stime, rss_mb=usage.ru_maxrss / 1024,
              code=proc.returncode)
    if proc.returncode not in (0, 1):
        run.note = f"exit {proc.returncode}: {tail[0][:160]}"
    elif said:
        run.note = said[0].split(": ", 2)[-1][:160]
    return run


def impact_argv(args: argparse.Namespace, root: Path, out: Path, extra: list[str]) -> list[str]:
    argv = [sys.executable, "-m", "analyzer", "scan", str(root), "--to", args.to, "--format", "json",
            "--out", str(out), "--no-typecheck", "--fail-on", "never", "-q"]
    for t in args.target:
        argv += ["--target", t]
    if args.db:
        argv += ["--db", args.db]
    return argv + extra


def read_findings(out: Path, run: Run) -> None:
    try:
        data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        run.note = run.note or f"no findings.json ({exc})"
        return
    run.fingerprints = sorted(str(f["fingerprint"]) for f in data["findings"])
    run.findings = len(run.fingerprints)


def impact(args: argparse.Namespace, name: str, root: Path, work: Path, extra: list[str],
           env: dict[str, str] | None = None) -> Run:
    out = work / "out" / name.replace(" ", "-")
    run = timed(name, impact_argv(args, root, out, extra), cwd=REPO, env={**os.environ, **(env or {})})
    read_findings(out, run)
    print(f"  {name}: {fmt(run.wall)} s wall, {fmt(run.cpu)} s CPU, {fmt(run.rss_mb, 0)} MB, "
          f"{run.findings} findings {run.note}", file=sys.stderr, flush=True)
    return run


SLOW_ENV = {"IMPACT_THOROUGH": "1"}


def slow_flags() -> list[str]:
    return ["--no-cache", "--jobs", "1"]


# ----------------------------------------------------------------------------- diff mode on a copy
def copy_tree(src: Path, dest: Path) -> None:
    """The checkout as a fresh git repository (one commit), without .git and dependency folders."""
    shutil.copytree(src, dest, symlinks=True,
                    ignore=shutil.ignore_patterns(".git", "node_modules", ".venv", "__pycache__", ".impact-cache"))
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@localhost",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@localhost"}
    for argv in (["git", "init", "-q"], ["git", "add", "-A", "-f", "."],
                 ["git", "commit", "-q", "--no-verify", "--no-gpg-sign", "-m", "base"]):
        subprocess.run(argv, cwd=dest, env=env, check=True, stdout=subprocess.DEVNULL)


def touch_a_finding(tree: Path, cold_out: Path, wanted: str | None) -> str | None:
    """Change one Python file of the copy: a trailing comment on a line that has a finding (so the diff
    run has something to report), keeping the file valid Python. Returns its relative path."""
    try:
        data = json.loads((cold_out / "findings.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    candidates = [(f["path"], f["line"]) for f in data["findings"] if str(f["path"]).endswith(".py")]
    if wanted:
        candidates = [c for c in candidates if c[0] == wanted] or [(wanted, 1)]
    for rel, line in candidates:
        path = tree / rel
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        lines = text.splitlines(keepends=True)
        if not 0 < line <= len(lines):
            continue
        body = lines[line - 1].rstrip("\r\n")
        changed = "".join([*lines[: line - 1], body + "  # impact-bench: touched\n", *lines[line:]])
        try:
            ast.parse(changed)
        except SyntaxError:
            continue
        if ast.dump(ast.parse(changed)) != ast.dump(ast.parse(text)):
            continue  # the comment landed inside a string: not the change meant
        path.write_text(changed, encoding="utf-8")
        return rel
    return None


def add_unrelated(tree: Path) -> str:
    """A new Python module beside the first package's __init__.py, about nothing the key touches."""
    inits = sorted(tree.rglob("__init__.py"), key=lambda p: (len(p.parts), str(p)))
    folder = inits[0].parent if inits else tree
    path = folder / "impact_bench_unrelated.py"
    path.write_text('"""Added by the benchmark: a helper about nothing the key touches."""\n\n\n'
                    "def clamp(value: float, low: float, high: float) -> float:\n"
                    "    return max(low, min(high, value))\n", encoding="utf-8")
    return path.relative_to(tree).as_posix()


# ----------------------------------------------------------------------------- baselines
def tool(name: str, tools_bin: str | None) -> str | None:
    if tools_bin and (Path(tools_bin) / name).exists():
        return str(Path(tools_bin) / name)
    return shutil.which(name)


def key_names(args: argparse.Namespace) -> tuple[str, str]:
    """The key's name as code spells it (`organization_id`, `organizationId`) for the pattern baselines."""
    if args.name:
        snake = args.name
    else:
        table, _, column = args.target[0].rpartition(".")
        base = table.rsplit(".", 1)[-1]
        for suffix, repl in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("s", "")):
            if base.endswith(suffix) and len(base) > len(suffix) + 1:
                base = base[: -len(suffix)] + repl
                break
        snake = f"{base}_{column}"
    head, *rest = snake.split("_")
    return snake, head + "".join(p.capitalize() for p in rest)


def semgrep(args: argparse.Namespace, root: Path, work: Path) -> Run:
    """semgrep with two rules: the key's attribute in Python and in TypeScript."""
    snake, camel = key_names(args)
    sg = tool("semgrep", args.tools_bin)
    if not sg:
        return Run("semgrep, 2 rules", note="unavailable (semgrep not found)")
    rules = work / "semgrep.yml"
    rules.write_text(
        "rules:\n"
        f"  - id: key-attribute-py\n    languages: [python]\n    severity: INFO\n"
        f"    message: the key\n    pattern: $X.{snake}\n"
        f"  - id: key-attribute-ts\n    languages: [typescript]\n    severity: INFO\n"
        f"    message: the key\n    pattern: $X.{camel}\n", encoding="utf-8")
    env = {**os.environ, "SEMGREP_SEND_METRICS": "off", "SEMGREP_ENABLE_VERSION_CHECK": "0"}
    run = timed("semgrep, 2 rules", [sg, "scan", "--config", str(rules), "--metrics", "off",
                                     "--disable-version-check", "--quiet", "--jobs", "2", "--json",
                                     "--max-target-bytes", "1000000", str(root)], env=env,
                stdout=work / "semgrep.json")
    print(f"  {run.name}: {fmt(run.wall)} s wall {run.note}", file=sys.stderr, flush=True)
    return run


def median(runs: list[Run]) -> Run:
    """The run of median wall time, with every run's time beside it (`spread`: the machine's speed drifts, one run
    of each can be a second off either way on a 12 s scan)."""
    timed_runs = sorted((r for r in runs if r.wall is not None), key=lambda r: r.wall or 0.0)
    if len(runs) < 2 or not timed_runs:
        return runs[0]
    mid = timed_runs[(len(timed_runs) - 1) // 2]
    mid.spread = f"median of {len(runs)} runs, alternating with the other's: {' / '.join(fmt(r.wall) for r in runs)} s"
    return mid


def baselines(args: argparse.Namespace, root: Path, work: Path, sem: Run | None = None) -> list[Run]:
    """`sem`: semgrep's run, when measured already (alternating with the cold scans)."""
    snake, camel = key_names(args)
    runs: list[Run] = []
    ag = tool("ast-grep", args.tools_bin)
    if ag:
        runs.append(timed("ast-grep, 1 pattern (py)", [ag, "run", "--pattern", f"$X.{snake}", "--lang", "python",
                                                       str(root)], stdout=work / "ast-grep.txt"))
    else:
        runs.append(Run("ast-grep, 1 pattern (py)", note="unavailable (ast-grep not found)"))
    sem = sem if sem is not None else semgrep(args, root, work)
    runs.append(sem)
    rg = tool("rg", args.tools_bin)
    if rg:
        runs.append(timed("rg (key name)", [rg, "-c", "-i", f"{snake}|{camel}", str(root)], stdout=work / "rg.txt"))
    else:
        runs.append(Run("rg (key name)", note="unavailable (rg not found)"))
    me = str(Path(__file__).resolve())
    runs.append(timed("bare libcst parse (.py)", [sys.executable, me, "--bare-parse", "python", str(root)], cwd=REPO))
    runs.append(timed("bare tree-sitter parse (.ts/.tsx/.js)", [sys.executable, me, "--bare-parse", "typescript",
                                                                str(root)], cwd=REPO))
    for r in runs:
        if r is not sem:  # (semgrep's runs said so as they ended)
            print(f"  {r.name}: {fmt(r.wall)} s wall {r.note}", file=sys.stderr, flush=True)
    return runs


def bare_parse(language: str, root: str) -> None:
    """Parse every file impact would read in `language` and nothing else (the baseline's child)."""
    from analyzer.config import Config
    from analyzer.sources import Limits, discover_all, read_source

    files = [f for f in discover_all((root,), Config().excludes, Limits()).files if f.language == language]
    done = 0
    if language == "python":
        import libcst as cst

        for f in files:
            if not f.abs_path.endswith(".py"):
                continue
            try:
                cst.parse_module(read_source(f.abs_path).decode("utf-8"))
                done += 1
            except Exception:  # noqa: BLE001 - a baseline counts what it parses
                pass
    else:
        from analyzer.typescript.parsing import Source, is_tsx, parse

        for f in files:
            try:
                data = read_source(f.abs_path)
                parse(Source(data.decode("utf-8"), data), is_tsx(f.path))
                done += 1
            except Exception:  # noqa: BLE001
                pass
    print(f"{done} files parsed", file=sys.stderr)


# ----------------------------------------------------------------------------- table
def fmt(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:,.{digits}f}"


def ratio(a: Run, b: Run | None) -> str:
    if b is None or a.wall is None or not b.wall:
        return "–"
    return f"{a.wall / b.wall:,.2f}×"  # (two decimals: the goal is 1.5× semgrep)


def interpreter() -> str:
    """The Python that runs impact (this one): the figures depend on its build. On one machine, polar's cold scan took
    11.6 s under Debian's python3.11 (a static executable) and 13.2 s under pyenv's default build (libpython as a
    shared library, no `--enable-optimizations`)."""
    import platform

    shared = False
    try:
        with open("/proc/self/maps", encoding="ascii", errors="replace") as fh:
            shared = any("libpython" in line for line in fh)
    except OSError:  # (not Linux: not told)
        pass
    return (f"{platform.python_implementation()} {platform.python_version()} ({sys.executable}"
            f"{', libpython shared' if shared else ''})")


def table(title: str, runs: list[Run], base: list[Run]) -> str:
    ok = [b for b in base if b.wall and not b.note]
    sem = next((b for b in ok if b.name.startswith("semgrep")), None)
    ag = next((b for b in ok if b.name.startswith("ast-grep")), None)
    lp = next((b for b in ok if b.name.startswith("bare libcst")), None)
    rows = [f"### {title}", "", f"impact run by {interpreter()}", "",
            "| run | wall s | CPU s | peak RSS MB | findings | × semgrep | × ast-grep | × bare libcst | note |",
            "|---|--:|--:|--:|--:|--:|--:|--:|---|"]
    for r in runs:
        rows.append(f"| {r.name} | {fmt(r.wall)} | {fmt(r.cpu)} | {fmt(r.rss_mb, 0)} | "
                    f"{'–' if r.findings is None else r.findings} | {ratio(r, sem)} | {ratio(r, ag)} | {ratio(r, lp)} "
                    f"| {r.remarks()} |")
    for b in base:
        rows.append(f"| {b.name} | {fmt(b.wall)} | {fmt(b.cpu)} | {fmt(b.rss_mb, 0)} | | | | | {b.remarks()} |")
    return "\n".join(rows)


def same(runs: list[Run]) -> tuple[bool, str]:
    got = [r for r in runs if r.findings is not None]
    if len(got) < 2:
        return True, "not checked (fewer than two runs wrote findings)"
    ref = got[-1]
    bad = [r.name for r in got[:-1] if r.fingerprints != ref.fingerprints]
    names = ", ".join(r.name for r in got)
    if bad:
        detail = "; ".join(f"{r.name}: {len(set(r.fingerprints) - set(ref.fingerprints))} extra, "
                           f"{len(set(ref.fingerprints) - set(r.fingerprints))} missing"
                           for r in got[:-1] if r.name in bad)
        return False, f"DIFFERENT from {ref.name}: {detail}"
    return True, f"identical ({ref.findings} findings) across {names}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("path", nargs="?", help="a checkout (read only)")
    p.add_argument("--target", action="append", required=False, default=[], help="TABLE.COLUMN, repeatable")
    p.add_argument("--to", default="uuid")
    p.add_argument("--db", default=None, help="database URL (else the models in the code)")
    p.add_argument("--baselines", action="store_true", help="also run ast-grep, semgrep, rg and the bare parses")
    p.add_argument("--tools-bin", default=os.environ.get("BENCH_TOOLS_BIN"),
                   help="folder holding ast-grep / semgrep / rg (default: PATH)")
    p.add_argument("--name", default=None, help="the key's name in code for the baselines (default: from --target)")
    p.add_argument("--change", default=None, help="the file (relative) diff mode changes (default: one with a finding)")
    p.add_argument("--jobs", default=None, help="--jobs for the fast runs (default: impact decides)")
    p.add_argument("--repeat", type=int, default=3,
                   help="cold scans (and semgrep runs, alternating with them) whose median is reported (default 3)")
    p.add_argument("--no-check", action="store_true", help="skip the slow-path runs (no identity check)")
    p.add_argument("--no-diff", action="store_true", help="skip diff mode")
    p.add_argument("--no-full", action="store_true", help="skip the full scans (cold, warm, slow path)")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder and say where it is")
    p.add_argument("--bare-parse", nargs=2, metavar=("LANGUAGE", "ROOT"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.bare_parse:
        bare_parse(*args.bare_parse)
        return 0
    if not args.path or not args.target:
        p.error("a checkout PATH and --target are required")
    root = Path(args.path).resolve()
    if not root.is_dir():
        p.error(f"not a directory: {root}")
    work = Path(tempfile.mkdtemp(prefix="impact-bench-"))
    jobs = ["--jobs", args.jobs] if args.jobs else []
    ok = True
    try:
        print(f"impact on {root} ({', '.join(args.target)} to {args.to}); work folder {work}", file=sys.stderr)
        cache = work / "cache"
        runs: list[Run] = []
        checks: list[tuple[str, bool, str]] = []
        sem: Run | None = None
        if not args.no_full:
            # the cold scan and semgrep `--repeat` times each, alternating (each cold scan with a cache of its own:
            # the last one's is the warm run's); the medians are compared
            colds: list[Run] = []
            sems: list[Run] = []
            for k in range(max(1, args.repeat)):
                own = cache if k == max(1, args.repeat) - 1 else work / f"cache-{k}"
                colds.append(impact(args, "cold", root, work, ["--cache-dir", str(own), *jobs]))
                if args.baselines:
                    sems.append(semgrep(args, root, work))
            sem = median(sems) if sems else None
            runs = [median(colds), impact(args, "warm", root, work, ["--cache-dir", str(cache), *jobs])]
            if not args.no_check:
                runs.append(impact(args, "slow path", root, work, slow_flags(), SLOW_ENV))
            checks.append(("full scan", *same([*colds, *runs[1:]])))
        diff_runs: list[Run] = []
        if not args.no_diff:
            tree = work / "tree"
            copy_tree(root, tree)
            dcache = work / "diff-cache"
            impact(args, "cache of the base", tree, work, ["--cache-dir", str(dcache), *jobs])
            changed = touch_a_finding(tree, work / "out" / "cache-of-the-base", args.change)
            if changed is None:
                checks.append(("diff mode", False, "no Python line with a finding could take a comment"))
            else:
                print(f"  diff mode: changed {changed}", file=sys.stderr)
                diff = ["--diff-base", "HEAD"]
                diff_runs = [impact(args, "diff cold", tree, work, [*diff, "--cache-dir", str(work / "empty"), *jobs]),
                             impact(args, "diff warm", tree, work, [*diff, "--cache-dir", str(dcache), *jobs])]
                if not args.no_check:
                    diff_runs.append(impact(args, "diff slow path", tree, work, [*diff, *slow_flags()], SLOW_ENV))
                checks.append((f"diff mode ({changed})", *same(diff_runs)))
                # the other common pull request: a new module the key does not reach
                subprocess.run(["git", "checkout", "-q", "--", changed], cwd=tree, check=True)
                added = add_unrelated(tree)
                subprocess.run(["git", "add", "-N", "--", added], cwd=tree, check=True)  # in `git diff HEAD`
                print(f"  diff mode: added {added}", file=sys.stderr)
                other = [impact(args, "diff warm, unrelated new file", tree, work,
                                [*diff, "--cache-dir", str(dcache), *jobs])]
                if not args.no_check:
                    other.append(impact(args, "diff slow path, unrelated new file", tree, work,
                                        [*diff, *slow_flags()], SLOW_ENV))
                checks.append((f"diff mode ({added})", *same(other)))
                diff_runs += other
        base = baselines(args, root, work, sem) if args.baselines else []
        title = f"{root.name}: {', '.join(args.target)} to {args.to}"
        print(table(title, runs + diff_runs, base))
        print()
        for what, good, text in checks:
            print(f"- findings, {what}: {text}")
            ok &= good
    finally:
        if args.keep:
            print(f"(kept {work})", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
