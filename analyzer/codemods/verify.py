"""Know a broken patch before the user does: compile the patched Python, type-check the patched front end.

Python: every patched file must still compile (in process, cheap). TypeScript: when a root holds a
`tsconfig.json` and a `node_modules/.bin/tsc` can be found (the project's own, an ancestor's, or
`IMPACT_NODE_MODULES`), the root is copied to a temporary directory, patched, and `tsc --noEmit` runs
on it. A new error withholds every front-end patch of that project: a key's type only holds when the
whole front end moves together, and a half-applied type change is worse than none. A withheld patch turns its findings into
"needs review" entries that say why; nothing is silently dropped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from analyzer.codemods.patching import ApplyError, apply_file_patch, parse_patch

_TSC_LINE = re.compile(r"^(?P<file>[^()\n]+)\((?P<line>\d+),(?P<col>\d+)\): error (?P<code>TS\d+): (?P<msg>.*)$")
_TS_EXT = (".ts", ".tsx", ".mts", ".cts")


@dataclass
class Verification:
    """What the checks said: patches kept, patches withheld (path -> reason), and what ran."""

    patches: dict[str, str]
    withheld: dict[str, str] = field(default_factory=dict)
    checked: list[str] = field(default_factory=list)  # e.g. "python: 12 files compile", "tsc: frontend"
    skipped: list[str] = field(default_factory=list)  # checks that could not run, and why


def verify_patches(patches: Mapping[str, str], files: Mapping[str, str], root_paths: Mapping[str, str],
                   review_lines: frozenset[tuple[str, int]] = frozenset(), tsc_timeout: float = 300,
                   typecheck: bool = True) -> Verification:
    """`review_lines` are (path, line) of findings a person must handle (no safe fix): a tsc error there
    is the compiler pointing at the same place the report does, not a broken patch."""
    result = Verification(dict(patches))
    _verify_python(result, files)
    for prefix, root in sorted(root_paths.items()):
        ts_paths = [p for p in result.patches if p.endswith(_TS_EXT) and _under(p, prefix)]
        if ts_paths and not typecheck:
            result.skipped.append(f"tsc: not run on {prefix or Path(root).name} (--no-typecheck)")
        elif ts_paths:
            _verify_typescript(result, prefix, Path(root), files, review_lines, tsc_timeout)
    return result


def _under(path: str, prefix: str) -> bool:
    return not prefix or path.startswith(prefix + "/")


def _patched_text(path: str, diff: str, files: Mapping[str, str]) -> str | None:
    try:
        text = Path(files[path]).read_bytes().decode("utf-8")
        (patch,) = parse_patch(diff)
        return apply_file_patch(text, patch)
    except (OSError, KeyError, UnicodeDecodeError, ValueError, ApplyError):
        return None


def _verify_python(result: Verification, files: Mapping[str, str]) -> None:
    count = 0
    for path, diff in sorted(result.patches.items()):
        if not path.endswith(".py"):
            continue
        text = _patched_text(path, diff, files)
        if text is None:
            result.withheld[path] = "the patch does not apply to the scanned file"
            continue
        try:
            compile(text, path, "exec", dont_inherit=True)
            count += 1
        except SyntaxError as exc:
            result.withheld[path] = f"the patched file would not compile (line {exc.lineno}: {exc.msg})"
    for path in result.withheld:
        result.patches.pop(path, None)
    if count:
        result.checked.append(f"python: {count} patched files compile")


def find_node_modules(root: Path) -> Path | None:
    """The node_modules holding tsc for a front-end root: IMPACT_NODE_MODULES, the root's, an ancestor's."""
    env = os.environ.get("IMPACT_NODE_MODULES")
    candidates = [Path(env)] if env else []
    candidates += [d / "node_modules" for d in (root, *root.parents)]
    for c in candidates:
        if (c / ".bin" / "tsc").exists():
            return c
    return None


@dataclass
class TscErrors:
    counts: Counter[tuple[str, str]]  # (file, "TS1234: message") -> how many
    lines: dict[tuple[str, str], list[int]]  # the same key -> the lines it was reported at


def _run_tsc(node_modules: Path, project: Path, timeout: float) -> TscErrors | None:
    """tsc's errors, keyed without line numbers so edits that move lines do not fake new errors."""
    try:
        proc = subprocess.run([str(node_modules / ".bin" / "tsc"), "--noEmit", "--pretty", "false", "-p", "."],
                              cwd=project, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None
    errors = TscErrors(Counter(), {})
    for line in proc.stdout.splitlines():
        m = _TSC_LINE.match(line.strip())
        if m:
            key = (m.group("file").replace("\\", "/"), f"{m.group('code')}: {m.group('msg')}")
            errors.counts[key] += 1
            errors.lines.setdefault(key, []).append(int(m.group("line")))
    if proc.returncode not in (0, 1, 2) or (proc.returncode != 0 and not errors.counts):
        return None
    return errors


def _verify_typescript(result: Verification, prefix: str, root: Path, files: Mapping[str, str],
                       review_lines: frozenset[tuple[str, int]], timeout: float) -> None:
    name = prefix or root.name
    if not (root / "tsconfig.json").is_file():
        result.skipped.append(f"tsc: {name} has no tsconfig.json at its root")
        return
    node_modules = find_node_modules(root)
    if node_modules is None:
        result.skipped.append(f"tsc: no node_modules/.bin/tsc for {name} (npm install, or IMPACT_NODE_MODULES)")
        return
    with tempfile.TemporaryDirectory(prefix="impact-tsc-") as tmp:
        copy = Path(tmp) / "project"
        shutil.copytree(root, copy, symlinks=True, ignore=shutil.ignore_patterns("node_modules", ".git"))
        (copy / "node_modules").symlink_to(node_modules, target_is_directory=True)
        baseline = _run_tsc(node_modules, copy, timeout)
        if baseline is None:
            result.skipped.append(f"tsc: could not run on {name}")
            return
        active = [p for p in result.patches if _under(p, prefix) and p.endswith(_TS_EXT)]
        for p in active:
            text = _patched_text(p, result.patches[p], files)
            if text is None:
                result.withheld[p] = "the patch does not apply to the scanned file"
                continue
            (copy / (p[len(prefix) + 1:] if prefix else p)).write_bytes(text.encode("utf-8"))
        after = _run_tsc(node_modules, copy, timeout)
        if after is None:
            result.skipped.append(f"tsc: could not run on the patched {name}")
            return
        new = after.counts - baseline.counts
        rel_prefix = f"{prefix}/" if prefix else ""
        expected = {key for key in new
                    if all((rel_prefix + key[0], line) in review_lines for line in after.lines.get(key, []))}
        if expected:
            n = sum(new[k] for k in expected)
            result.checked.append(f"tsc: {name}: {n} new error{'s' if n != 1 else ''}, each on a line the report "
                                  "lists for review")
            new = Counter({k: v for k, v in new.items() if k not in expected})
        if new:
            # A type change only holds when the whole front end moves together: keep all or none.
            own = {p[len(prefix) + 1:] if prefix else p: p for p in active}
            first = sorted(new)[0]
            summary = f"tsc would report {sum(new.values())} new errors (first: {first[0]}: {first[1]})"
            for p in active:
                mine = sorted(msg for (file, msg) in new if own.get(file) == p)
                result.withheld.setdefault(p, f"tsc after the patch: {mine[0]}" if mine else
                                           f"withheld with the other front-end patches: {summary}")
            result.skipped.append(f"tsc: {name}: {summary}; its {len(active)} patches are withheld")
        else:
            result.checked.append(f"tsc: {name} type-checks with {len(active)} patched files")
        for p in active:
            if p in result.withheld:
                result.patches.pop(p, None)
