"""Score `impact scan` against what real maintainers changed when they changed a key's type.

    python benchmarks/realworld/score.py                 # every key in keys/, per-repo and pooled figures
    python benchmarks/realworld/score.py --only onyx     # one key (name = file stem)
    python benchmarks/realworld/score.py --json out.json # also write the figures and every miss / false positive
    python benchmarks/realworld/score.py --impact-rev HEAD  # measure impact as committed, not the working tree
    python benchmarks/realworld/score.py check           # materialise the parents and check each key line's code
    python benchmarks/realworld/score.py hunks onyx      # the parent's lines the commit removed (to write a key)

Each key (keys/<name>.toml) names a public repository, the commit that changed a key's type, its
parent, the targets and `--to`, and the ground truth: `path:line` on the PARENT commit that the
maintainers changed because of the key (must_change: the code stated the key's type or shape;
hazard: code that silently breaks), lines they missed and fixed in a later commit (missed), and
lines where reasonable reviewers could disagree (doubtful: never counted for or against).

The third-party code is not in this repository. The parent commit is materialised from a local git
mirror (README.md says how to get one) into the work folder, then scanned without a database (the
schema comes from the models in the code):

    impact scan <roots> --target T ... --to X --format json --out <tmp> --no-typecheck --fail-on never --no-cache

Matching: a finding matches a ground-truth line when the path is the same and the line lies within
the finding's span widened by one line on each side.
  * must-change recall = ground-truth must_change lines (changed + missed) matched by a finding of kind
    must_change or hazard / all of them;
  * strict precision = must_change/hazard findings that match any ground-truth line / all of them,
    leaving out findings on lines marked doubtful and in files the key puts out of scope (old
    migration revisions are history: the tool reports them as info).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

HERE = Path(__file__).resolve().parent
KEYS = HERE / "keys"
DEFAULT_MIRRORS = os.environ.get("IMPACT_REALWORLD_MIRRORS", "/work/.mirror")
DEFAULT_WORK = os.environ.get("IMPACT_REALWORLD_WORK", "/work/realworld/corpus")
COMPLETE = ".impact-realworld-complete"
SCORED_KINDS = ("must_change", "hazard")


# ---------------------------------------------------------------------------------------------- keys


@dataclass(frozen=True)
class Line:
    path: str
    line: int
    code: str
    why: str
    group: str  # must_change | hazard | missed | doubtful
    kind: str  # must_change | hazard (what the line is; missed lines carry theirs)
    fixed_in: str = ""
    #: other places a finding may point at for the same change (path:line), e.g. an inherited column's
    #: declaration in the base class when the fix is an override in the subclass
    alt: tuple[tuple[str, int], ...] = ()

    def places(self) -> tuple[tuple[str, int], ...]:
        return ((self.path, self.line), *self.alt)


@dataclass
class Key:
    name: str
    repo: str
    commit: str
    parent: str
    targets: list[str]
    to: str
    roots: list[str]
    out_of_scope: list[str]
    lines: list[Line]
    notes: str = ""
    front_end: str = ""

    def of(self, *groups: str) -> list[Line]:
        return [ln for ln in self.lines if ln.group in groups]

    def must(self) -> list[Line]:
        return [ln for ln in self.lines if ln.group in ("must_change", "missed") and ln.kind == "must_change"]

    def hazards(self) -> list[Line]:
        return [ln for ln in self.lines if ln.group in ("hazard", "missed") and ln.kind == "hazard"]


def _split_at(at: str) -> tuple[str, int]:
    path, _, line = at.rpartition(":")
    if not path or not line.isdigit():
        raise ValueError(f"`at` must be path:line, got {at!r}")
    return path, int(line)


def load_key(path: Path) -> Key:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    lines: list[Line] = []
    for group in ("must_change", "hazard", "missed", "doubtful"):
        for item in data.get(group, []):
            p, n = _split_at(item["at"])
            kind = item.get("kind", "hazard" if group == "hazard" else "must_change")
            if kind not in SCORED_KINDS:
                raise ValueError(f"{path.name}: {item['at']}: kind must be must_change or hazard")
            if group == "missed" and not item.get("fixed_in") and not item.get("why"):
                raise ValueError(f"{path.name}: {item['at']}: a missed line says where it was fixed or why")
            alt = tuple(_split_at(a) for a in item.get("alt", []))
            lines.append(Line(p, n, item.get("code", ""), item.get("why", ""), group, kind,
                              item.get("fixed_in", ""), alt))
    seen: dict[tuple[str, int], str] = {}
    for ln in lines:
        if (ln.path, ln.line) in seen:
            raise ValueError(f"{path.name}: {ln.path}:{ln.line} listed twice ({seen[(ln.path, ln.line)]}, {ln.group})")
        seen[(ln.path, ln.line)] = ln.group
    return Key(
        name=path.stem,
        repo=data["repo"],
        commit=data["commit"],
        parent=data["parent"],
        targets=list(data["targets"]),
        to=data.get("to", "uuid"),
        roots=list(data.get("roots", ["."])),
        out_of_scope=list(data.get("out_of_scope", [])),
        lines=lines,
        notes=data.get("notes", ""),
        front_end=data.get("front_end", ""),
    )


def load_keys(only: list[str] | None) -> list[Key]:
    keys = [load_key(p) for p in sorted(KEYS.glob("*.toml"))]
    if only:
        missing = set(only) - {k.name for k in keys}
        if missing:
            raise SystemExit(f"no key named {', '.join(sorted(missing))} in {KEYS}")
        keys = [k for k in keys if k.name in only]
    return keys


# ------------------------------------------------------------------------------------------ mirrors


def find_mirror(mirrors: Path, repo: str) -> Path:
    """The git directory of a local mirror of `repo` (owner/name), in any of the usual layouts."""
    owner, name = repo.split("/", 1)
    for cand in (
        mirrors / f"{owner}+{name}" / "repo",
        mirrors / f"{owner}+{name}" / "repo" / ".git",
        mirrors / f"{owner}+{name}.git",
        mirrors / f"{owner}+{name}",
        mirrors / f"{name}.git",
        mirrors / name,
    ):
        if cand.is_dir() and _git(cand, "rev-parse", "--git-dir", check=False).returncode == 0:
            return cand
    raise SystemExit(
        f"no git mirror of {repo} under {mirrors} (see benchmarks/realworld/README.md: "
        f"`git clone --mirror https://github.com/{repo}.git {mirrors}/{owner}+{name}.git`)"
    )


def _git(repo: Path, *args: str, check: bool = True, text: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=text, check=check)


def materialise(mirror: Path, sha: str, dest: Path) -> tuple[int, int]:
    """Write the tree of commit `sha` into `dest` (blobs the mirror lacks are skipped and counted)."""
    if (dest / COMPLETE).is_file():
        written, missing = (int(x) for x in (dest / COMPLETE).read_text().split())
        return written, missing
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    listing = _git(mirror, "ls-tree", "-r", "-z", sha, text=False).stdout
    entries = []
    for rec in listing.split(b"\0"):
        if not rec:
            continue
        meta, path = rec.split(b"\t", 1)
        mode, typ, obj = meta.split()
        if typ == b"blob":
            entries.append((mode.decode(), obj.decode(), path.decode("utf-8", "surrogateescape")))
    proc = subprocess.Popen(["git", "-C", str(mirror), "cat-file", "--batch"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin and proc.stdout
    written = missing = 0
    for mode, obj, path in entries:
        proc.stdin.write((obj + "\n").encode())
        proc.stdin.flush()
        header = proc.stdout.readline().split()
        if len(header) < 3 or header[-1] == b"missing":
            missing += 1
            continue
        data = proc.stdout.read(int(header[2]))
        proc.stdout.read(1)
        target = dest / path
        if ".." in Path(path).parts:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == "120000":
            continue  # symlinks are left out: a snapshot must not point outside itself
        target.write_bytes(data)
        written += 1
    proc.stdin.close()
    proc.wait()
    (dest / COMPLETE).write_text(f"{written} {missing}\n")
    return written, missing


def tree_for(key: Key, mirrors: Path, work: Path) -> Path:
    mirror = find_mirror(mirrors, key.repo)
    parent = _git(mirror, "rev-parse", f"{key.parent}^{{commit}}").stdout.strip()
    if not parent.startswith(key.parent[:7]):
        raise SystemExit(f"{key.name}: parent {key.parent} resolves to {parent}")
    dest = work / f"{key.name}-{parent[:12]}"
    written, missing = materialise(mirror, parent, dest)
    if missing:
        print(f"  {key.name}: {missing} blobs not in the mirror (left out), {written} files", file=sys.stderr)
    return dest


# --------------------------------------------------------------------------------------------- scan


REPO = HERE.parent.parent  # this project's checkout
#: package folders of the wheel that live elsewhere in the source tree (pyproject's package-dir)
PACKAGE_DIRS = {"rules": "analyzer/rules", "reports": "analyzer/reports", "fixtures": "analyzer/fixtures"}


def impact_snapshot(rev: str, dest: Path) -> Path:
    """Write impact as committed at `rev` into `dest`, laid out as the wheel's packages, so that a run
    measures that commit and not whatever is being edited in the working tree."""
    sha = _git(REPO, "rev-parse", f"{rev}^{{commit}}").stdout.strip()
    root = dest / f"impact-{sha[:12]}"
    if (root / COMPLETE).is_file():
        return root
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", sha, "analyzer", *PACKAGE_DIRS],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True)
    for src, dst in PACKAGE_DIRS.items():
        if (root / src).is_dir() and not (root / dst).exists():
            (root / src).rename(root / dst)
    (root / COMPLETE).write_text(sha + "\n")
    return root


def impact_command(src: Path | None) -> tuple[list[str], dict[str, str] | None]:
    if src is not None:
        env = dict(os.environ, PYTHONPATH=str(src))
        return [sys.executable, "-m", "analyzer"], env
    exe = Path(sys.executable).parent / "impact"
    if exe.is_file():
        return [str(exe)], None
    found = shutil.which("impact")
    if found:
        return [found], None
    return [sys.executable, "-m", "analyzer"], None


def run_scan(key: Key, tree: Path, extra: list[str],
             src: Path | None = None) -> tuple[list[dict[str, Any]], float, str]:
    base, env = impact_command(src)
    with tempfile.TemporaryDirectory(prefix=f"impact-rw-{key.name}-") as out:
        cmd = [*base, "scan", *key.roots]
        for t in key.targets:
            cmd += ["--target", t]
        cmd += ["--to", key.to, "--format", "json", "--out", out, "--no-typecheck", "--fail-on", "never", "--no-cache",
                "--quiet", *extra]
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=tree, capture_output=True, text=True, env=env)
        took = time.perf_counter() - start
        found = Path(out) / "findings.json"
        if proc.returncode not in (0, 1) or not found.is_file():
            err = (proc.stderr or proc.stdout).strip().splitlines()
            return [], took, f"exit {proc.returncode}: {err[-1] if err else 'no output'}"
        data = json.loads(found.read_text(encoding="utf-8"))
    findings = data.get("findings", [])
    if len(key.roots) == 1 and key.roots[0] not in (".", ""):
        prefix = key.roots[0].strip("/")
        for f in findings:
            f["path"] = f"{prefix}/{f['path']}"
    return findings, took, ""


# -------------------------------------------------------------------------------------------- score


@dataclass
class Result:
    key: Key
    tree: Path
    findings: list[dict[str, Any]]
    seconds: float
    error: str = ""
    found_must: list[Line] = field(default_factory=list)
    missed_must: list[Line] = field(default_factory=list)
    found_hazard: list[Line] = field(default_factory=list)
    missed_hazard: list[Line] = field(default_factory=list)
    only_hazard_kind: list[Line] = field(default_factory=list)  # must_change lines found only as hazard
    true_pos: list[dict[str, Any]] = field(default_factory=list)
    false_pos: list[dict[str, Any]] = field(default_factory=list)
    excluded: int = 0  # findings out of scope or on doubtful lines
    info_in_scope: int = 0


def _covers(f: dict[str, Any], ln: Line) -> bool:
    start = int(f["line"])
    end = int(f.get("end_line") or start)
    return any(f["path"] == path and start - 1 <= line <= end + 1 for path, line in ln.places())


def _out_of_scope(key: Key, path: str) -> bool:
    return any(fnmatch.fnmatch(path, pat) for pat in key.out_of_scope)


def score(key: Key, tree: Path, findings: list[dict[str, Any]], seconds: float, error: str) -> Result:
    res = Result(key, tree, findings, seconds, error)
    flagged = [f for f in findings if f["kind"] in SCORED_KINDS]
    for ln in key.must():
        hits = [f for f in flagged if _covers(f, ln)]
        (res.found_must if hits else res.missed_must).append(ln)
        if hits and all(f["kind"] == "hazard" for f in hits):
            res.only_hazard_kind.append(ln)
    for ln in key.hazards():
        hits = [f for f in flagged if _covers(f, ln)]
        (res.found_hazard if hits else res.missed_hazard).append(ln)
    truth = key.of("must_change", "hazard", "missed")
    doubtful = key.of("doubtful")
    for f in findings:
        if _out_of_scope(key, f["path"]):
            if f["kind"] in SCORED_KINDS:
                res.excluded += 1
            continue
        if f["kind"] not in SCORED_KINDS:
            res.info_in_scope += 1
            continue
        if any(_covers(f, ln) for ln in truth):
            res.true_pos.append(f)
        elif any(_covers(f, ln) for ln in doubtful):
            res.excluded += 1
        else:
            res.false_pos.append(f)
    return res


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def _fmt(r: float | None) -> str:
    return "  -  " if r is None else f"{r:5.2f}"


def source_line(tree: Path, path: str, line: int) -> str:
    try:
        lines = (tree / path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "<file not in the tree>"
    return lines[line - 1].strip() if 0 < line <= len(lines) else "<line out of range>"


def check_key_lines(key: Key, tree: Path) -> list[str]:
    """Each key line's `code` must appear on that line of the parent: catches off-by-one keys."""
    problems = []
    for ln in key.lines:
        have = source_line(tree, ln.path, ln.line)
        if ln.code and ln.code.strip() not in have:
            problems.append(f"{key.name}: {ln.path}:{ln.line} is `{have}`, the key says `{ln.code.strip()}`")
    return problems


def print_report(results: list[Result], show: int, measured: str = "") -> dict[str, Any]:
    rows = []
    pooled = defaultdict(int)
    print()
    head = (f"{'repository':34} {'to':6} {'must':>5} {'found':>5} {'recall':>6}  {'hz':>3} {'found':>5}  "
            f"{'flagged':>7} {'TP':>4} {'FP':>4} {'prec':>5}  {'secs':>5}")
    print(head)
    print("-" * len(head))
    for r in results:
        k = r.key
        must, fm = len(k.must()), len(r.found_must)
        hz, fh = len(k.hazards()), len(r.found_hazard)
        tp, fp = len(r.true_pos), len(r.false_pos)
        name = f"{k.repo}" + (" (TS)" if k.front_end else "")
        if r.error:
            print(f"{name:34} {k.to:6} scan failed: {r.error}")
        print(f"{name:34} {k.to:6} {must:5} {fm:5} {_fmt(_ratio(fm, must)):>6}  {hz:3} {fh:5}  "
              f"{tp + fp:7} {tp:4} {fp:4} {_fmt(_ratio(tp, tp + fp)):>5}  {r.seconds:5.1f}")
        for name_, v in (("must", must), ("found_must", fm), ("hazard", hz), ("found_hazard", fh),
                         ("tp", tp), ("fp", fp)):
            pooled[name_] += v
        rows.append({
            "key": k.name, "repo": k.repo, "commit": k.commit, "parent": k.parent, "to": k.to,
            "targets": k.targets, "error": r.error, "seconds": round(r.seconds, 1),
            "must_change": must, "must_found": fm, "recall": _ratio(fm, must),
            "hazard": hz, "hazard_found": fh, "hazard_recall": _ratio(fh, hz),
            "flagged": tp + fp, "true_positives": tp, "false_positives": fp, "precision": _ratio(tp, tp + fp),
            "excluded": r.excluded, "info_in_scope": r.info_in_scope,
            "misses": [{"at": f"{ln.path}:{ln.line}", "group": ln.group, "kind": ln.kind, "why": ln.why,
                        "code": source_line(r.tree, ln.path, ln.line)} for ln in r.missed_must + r.missed_hazard],
            "false_positives_list": [{"at": f"{f['path']}:{f['line']}", "rule": f["rule"], "kind": f["kind"],
                                      "symbol": f.get("symbol", ""),
                                      "code": source_line(r.tree, f["path"], int(f["line"]))}
                                     for f in r.false_pos],
        })
    print("-" * len(head))
    rec = _ratio(pooled["found_must"], pooled["must"])
    prec = _ratio(pooled["tp"], pooled["tp"] + pooled["fp"])
    hrec = _ratio(pooled["found_hazard"], pooled["hazard"])
    print(f"{'pooled':34} {'':6} {pooled['must']:5} {pooled['found_must']:5} {_fmt(rec):>6}  "
          f"{pooled['hazard']:3} {pooled['found_hazard']:5}  {pooled['tp'] + pooled['fp']:7} {pooled['tp']:4} "
          f"{pooled['fp']:4} {_fmt(prec):>5}")
    print()
    print(f"pooled must-change recall {_fmt(rec).strip()}   strict precision {_fmt(prec).strip()}   "
          f"hazard recall {_fmt(hrec).strip()}   ({len(results)} repositories; impact: {measured})")

    # misses, grouped by file kind / layer guess; false positives grouped by rule
    print("\nMISSES (must_change and hazard lines no must_change/hazard finding covers)")
    for r in results:
        misses = r.missed_must + r.missed_hazard
        if not misses:
            continue
        print(f"  {r.key.name}: {len(misses)}")
        for ln in misses[:show]:
            tag = ln.kind if ln.group != "missed" else f"{ln.kind}, missed by maintainers"
            print(f"    {ln.path}:{ln.line}  [{tag}]  {source_line(r.tree, ln.path, ln.line)[:110]}")
            if ln.why:
                print(f"        why: {ln.why}")
        if len(misses) > show:
            print(f"    ... {len(misses) - show} more (--show N)")
    kind_only = [(r, ln) for r in results for ln in r.only_hazard_kind]
    if kind_only:
        print("\nMUST_CHANGE lines found only as hazard (counted found; the kind disagrees)")
        for r, ln in kind_only[:show]:
            print(f"    {r.key.name}: {ln.path}:{ln.line}  {source_line(r.tree, ln.path, ln.line)[:110]}")
    print("\nFALSE POSITIVES by rule (must_change/hazard findings on lines the maintainers left alone)")
    by_rule: dict[str, list[tuple[Result, dict[str, Any]]]] = defaultdict(list)
    for r in results:
        for f in r.false_pos:
            by_rule[f["rule"]].append((r, f))
    for rule, items in sorted(by_rule.items(), key=lambda kv: -len(kv[1])):
        print(f"  {rule}: {len(items)}")
        for r, f in items[:show]:
            print(f"    {r.key.name}: {f['path']}:{f['line']}  [{f['kind']}]  "
                  f"{source_line(r.tree, f['path'], int(f['line']))[:100]}")
        if len(items) > show:
            print(f"    ... {len(items) - show} more")
    return {"impact": measured, "pooled": {"must_change": pooled["must"], "must_found": pooled["found_must"], "recall": rec,
                       "hazard": pooled["hazard"], "hazard_found": pooled["found_hazard"], "hazard_recall": hrec,
                       "true_positives": pooled["tp"], "false_positives": pooled["fp"], "precision": prec},
            "repos": rows}


# ---------------------------------------------------------------------------------------- commands


def cmd_score(args: argparse.Namespace) -> int:
    keys = load_keys(args.only)
    results = []
    problems: list[str] = []
    src = None
    if args.impact_rev:
        src = impact_snapshot(args.impact_rev, Path(args.work))
        print(f"impact from {args.impact_rev} ({(src / COMPLETE).read_text().strip()[:12]}), not the working tree",
              file=sys.stderr)
    for key in keys:
        print(f"scanning {key.name} ({key.repo} @ {key.parent[:10]}, {' '.join(key.targets)} -> {key.to}) ...",
              file=sys.stderr, flush=True)
        tree = tree_for(key, Path(args.mirrors), Path(args.work))
        problems += check_key_lines(key, tree)
        findings, took, error = run_scan(key, tree, args.extra, src)
        results.append(score(key, tree, findings, took, error))
    for p in problems:
        print(f"KEY LINE MISMATCH: {p}", file=sys.stderr)
    if src is not None:
        measured = (src / COMPLETE).read_text().strip()[:12]
    else:
        head = _git(REPO, "rev-parse", "--short=12", "HEAD", check=False).stdout.strip()
        dirty = _git(REPO, "status", "--porcelain", "--untracked-files=no", "--", "analyzer", *PACKAGE_DIRS,
                     check=False).stdout.strip()
        measured = f"working tree at {head}" + (" with uncommitted edits" if dirty else "")
    summary = print_report(results, args.show, measured)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 1 if problems or any(r.error for r in results) else 0


def cmd_check(args: argparse.Namespace) -> int:
    problems: list[str] = []
    for key in load_keys(args.only):
        tree = tree_for(key, Path(args.mirrors), Path(args.work))
        mirror = find_mirror(Path(args.mirrors), key.repo)
        parents = _git(mirror, "rev-parse", f"{key.commit}^1").stdout.strip()
        if not parents.startswith(key.parent[:7]):
            problems.append(f"{key.name}: {key.commit}^1 is {parents}, the key says {key.parent}")
        problems += check_key_lines(key, tree)
        print(f"{key.name}: {len(key.must())} must_change, {len(key.hazards())} hazard, "
              f"{len(key.of('doubtful'))} doubtful lines; tree {tree}")
    for p in problems:
        print(p)
    return 1 if problems else 0


def cmd_hunks(args: argparse.Namespace) -> int:
    """The parent's lines the commit removed or changed, with their parent line numbers."""
    key = load_key(KEYS / f"{args.name}.toml")
    mirror = find_mirror(Path(args.mirrors), key.repo)
    diff = _git(mirror, "diff", "-U0", "--no-renames", key.parent, key.commit, "--", *args.paths).stdout
    path = ""
    old = 0
    for raw in diff.splitlines():
        if raw.startswith("--- "):
            path = raw[6:] if raw.startswith("--- a/") else ""
        elif raw.startswith("@@"):
            old = int(raw.split()[1].lstrip("-").split(",")[0])
        elif raw.startswith("-") and not raw.startswith("---") and path:
            if not _out_of_scope(key, path):
                print(f"{path}:{old}\t{raw[1:].strip()}")
            old += 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirrors", default=DEFAULT_MIRRORS, help="folder of git mirrors (env IMPACT_REALWORLD_MIRRORS)")
    parser.add_argument("--work", default=DEFAULT_WORK, help="where parents are materialised (env IMPACT_REALWORLD_WORK)")
    sub = parser.add_subparsers(dest="cmd")
    p_check = sub.add_parser("check", help="materialise the parents and check the keys' lines")
    p_check.add_argument("--only", action="append")
    p_hunks = sub.add_parser("hunks", help="removed lines of a key's commit, with parent line numbers")
    p_hunks.add_argument("name")
    p_hunks.add_argument("paths", nargs="*")
    parser.add_argument("--only", action="append", help="a key's name (repeatable)")
    parser.add_argument("--json", help="write the figures, misses and false positives as JSON")
    parser.add_argument("--show", type=int, default=12, help="examples listed per repo / rule")
    parser.add_argument("--extra", action="append", default=[], help="an extra argument for impact scan")
    parser.add_argument("--impact-rev", help="run impact as committed at this revision (e.g. HEAD) instead of the "
                        "installed working tree, which other work may be editing")
    args = parser.parse_args(argv)
    if args.cmd == "check":
        return cmd_check(args)
    if args.cmd == "hunks":
        return cmd_hunks(args)
    return cmd_score(args)


if __name__ == "__main__":
    sys.exit(main())
