"""`impact apply`: put the generated patches into the working tree, or refuse without touching a byte.

The patches are our own unified diffs (analyzer/codemods/apply.py), so applying them needs no `patch`
or `git` binary: every hunk's context and removed lines must match the file exactly (CRLF included),
otherwise the file is refused — a file edited since the scan, or a patch applied twice, is never
half-patched. All files are checked before any is written, so a refusal leaves the tree as it was.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

INDEX_NAME = "index.json"
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class ApplyError(ValueError):
    """A patch that cannot be applied as is: one line for the user, exit 2."""


@dataclass(frozen=True)
class FilePatch:
    path: str  # the finding path ("backend/app/models.py")
    hunks: tuple[tuple[int, tuple[str, ...]], ...]  # (old start line, body lines with their ' '/'-'/'+' tag)


def write_index(patch_dir: Path, root_paths: dict[str, str]) -> Path:
    """Where each root prefix lives on disk, so `impact apply` can run from anywhere."""
    path = patch_dir / INDEX_NAME
    path.write_text(json.dumps({"version": 1, "roots": root_paths}, indent=2, sort_keys=True) + "\n",
                    encoding="utf-8")
    return path


def parse_patch(text: str) -> list[FilePatch]:
    """Split one or many git-style diffs into per-file hunks. Lines keep their '\\r'."""
    files: list[FilePatch] = []
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    path: str | None = None
    hunks: list[tuple[int, list[str]]] = []

    def flush() -> None:
        if path is not None:
            files.append(FilePatch(path, tuple((start, tuple(body)) for start, body in hunks)))

    for line in lines:
        if line.startswith("diff --git "):
            flush()
            path, hunks = None, []
        elif line.startswith("+++ b/"):
            path = line[len("+++ b/"):]
        elif line.startswith("--- "):
            continue
        elif m := _HUNK.match(line):
            hunks.append((int(m.group(1)), []))
        elif line.startswith("\\ No newline at end of file"):
            if hunks and hunks[-1][1]:
                hunks[-1][1][-1] = hunks[-1][1][-1] + "\\no-eol"
        elif hunks and line[:1] in (" ", "-", "+"):
            hunks[-1][1].append(line)
    flush()
    return files


def _split(text: str) -> list[str]:
    """Lines with their endings, like str.splitlines(keepends=True) but only on '\\n' (the diff's view)."""
    parts = text.split("\n")
    out = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def _body_line(tagged: str) -> str:
    content = tagged[1:]
    if content.endswith("\\no-eol"):
        return content[: -len("\\no-eol")]
    return content + "\n"


def apply_file_patch(text: str, patch: FilePatch) -> str:
    """The patched text; ApplyError when any hunk's old side does not match exactly."""
    lines = _split(text)
    out: list[str] = []
    pos = 0
    for start, body in patch.hunks:
        old = [_body_line(t) for t in body if t[0] in " -"]
        new = [_body_line(t) for t in body if t[0] in " +"]
        index = start - 1 if old else start
        if index < pos or lines[index:index + len(old)] != old:
            raise ApplyError(f"{patch.path}: the file does not match the patch at line {start} "
                             "(changed since the scan, or already patched)")
        out.extend(lines[pos:index])
        out.extend(new)
        pos = index + len(old)
    out.extend(lines[pos:])
    return "".join(out)


def _locate(path: str, roots: dict[str, str]) -> Path:
    if "" in roots:
        return Path(roots[""]) / path
    name, _, rest = path.partition("/")
    for prefix in sorted(roots, key=len, reverse=True):
        if path.startswith(prefix + "/"):
            return Path(roots[prefix]) / path[len(prefix) + 1:]
    raise ApplyError(f"{path}: no root named {name!r} in the patch index (roots: {', '.join(sorted(roots))})")


def _dirty(file: Path) -> bool:
    """True when git knows the file and it has uncommitted changes (outside git: never dirty)."""
    try:
        proc = subprocess.run(["git", "status", "--porcelain", "--", file.name], cwd=file.parent,
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0 and any(line[:2].strip() for line in proc.stdout.splitlines()
                                        if not line.startswith("??"))


def apply_patches(out_dir: Path, force: bool = False, check: bool = False) -> list[Path]:
    """Apply `out_dir/patches/*` to the files they were made from; all or nothing."""
    patch_dir = out_dir / "patches"
    index_file = patch_dir / INDEX_NAME
    all_patch = patch_dir / "all.patch"
    if not index_file.is_file() or not all_patch.is_file():
        raise ApplyError(f"no patches in {patch_dir} (run `impact scan --out {out_dir}` first)")
    try:
        roots = json.loads(index_file.read_text(encoding="utf-8"))["roots"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ApplyError(f"{index_file}: unreadable patch index ({exc})") from None
    patches = parse_patch(all_patch.read_bytes().decode("utf-8"))
    planned: list[tuple[Path, bytes]] = []
    for patch in patches:
        file = _locate(patch.path, roots)
        if not file.is_file():
            raise ApplyError(f"{patch.path}: file not found at {file}")
        if not force and _dirty(file):
            raise ApplyError(f"{patch.path}: has uncommitted changes; commit or stash them, or use --force")
        text = file.read_bytes().decode("utf-8")
        planned.append((file, apply_file_patch(text, patch).encode("utf-8")))
    if not check:
        for file, data in planned:
            tmp = file.with_name(f".{file.name}.impact-tmp")
            tmp.write_bytes(data)
            shutil.copymode(file, tmp)
            os.replace(tmp, file)
    return [file for file, _ in planned]
