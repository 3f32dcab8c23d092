"""`impact apply`: put the generated patches into the working tree, or refuse without touching a byte.

The patches are our own unified diffs (analyzer/codemods/apply.py), so applying them needs no `patch`
or `git` binary: every hunk's context and removed lines must match the file exactly (CRLF included),
otherwise the file is refused — a file edited since the scan, or a patch applied twice, is never
half-patched. All files are checked before any is written, so a refusal leaves the tree as it was.

Threat model. The out folder (`patches/all.patch`, the per-file patches, `patches/index.json`, the
journal) is input, not trust: it may be edited by hand, by another tool, restored from an old CI
artifact, or by someone who can write there but not in the source tree. The scanned roots are what the
user asked to change; anything in them may be a symlink (a checked-out repository can carry any).
What apply guarantees whatever the out folder says:
- It writes only regular files that already exist and resolve (realpath, symlinks in the directory part
  followed) inside a root listed in the index; never a new file, never through `..`, an absolute path,
  a NUL, or a symlink that leaves its root. A target that is a symlink inside its root patches the real
  file and the link stays a link. `confine` is the one function that turns a patch path into a
  writable `Target`; every write (apply, resume, rollback) takes a `Target` and walks to it again from
  the root with O_NOFOLLOW, so a directory swapped for a symlink meanwhile is refused, not followed.
- Each root must still be the directory that was scanned: `write_index` records its realpath and
  device/inode, and apply refuses a root that is not an existing directory or is another directory
  (moved, replaced, or redirected in the index). The index also records the sha256 of all.patch and
  the per-file patches the scan wrote: an all.patch edited afterwards, or naming a file the scan did not
  patch, is refused.
- Temporaries are created beside their target with O_CREAT|O_EXCL|O_NOFOLLOW and a random name, then
  renamed over it: a planted symlink or file at a temporary name is never followed nor overwritten.
What it does not claim: someone able to rewrite the out folder *consistently* (recomputing digests and
inode numbers of a directory they can stat) can aim apply at another existing directory. Even then the
only writes are hunks whose context matches an existing file there exactly. Keeping the out folder as private as the tree is the user's part.

Transactions. Every new file is written to a temporary and every original into one backup file,
`patches/.apply-backup-*` (one file, not one per original: on a busy disk each file created or removed
costs milliseconds), all flushed to disk; then a journal (`patches/.apply-journal.json`, fsynced: each
target, the sha256 of its original and patched bytes, where its original sits in the backup, its
temporary) is written before the
first rename. An apply killed during the renames leaves the journal: `--resume` renames the rest,
`--rollback` restores the originals, both refusing a file that is neither its original nor its patched
bytes (the user's work since then is never overwritten). Ctrl-C (KeyboardInterrupt) rolls back at once.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import secrets
import signal
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INDEX_NAME = "index.json"
INDEX_VERSION = 2
JOURNAL_NAME = ".apply-journal.json"
BACKUP_PREFIX = ".apply-backup-"
_KILL_HOOK = "IMPACT_TEST_APPLY_KILL_AFTER"  # tests only: kill ourselves after N renames
_SIGNAL_HOOK = "IMPACT_TEST_APPLY_SIGNAL"  # "INT" to send SIGINT instead of SIGKILL
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_TMP_NAME = re.compile(r"\.[^/\0]+\.impact-[0-9a-f]{12}\.tmp")
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)


class ApplyError(ValueError):
    """A patch that cannot be applied as is: one line for the user, exit 2."""


@dataclass(frozen=True)
class FilePatch:
    path: str  # the finding path ("backend/app/models.py")
    hunks: tuple[tuple[int, tuple[str, ...]], ...]  # (old start line, body lines with their ' '/'-'/'+' tag)


# ---- git's quoted path form -----------------------------------------------------------------------

_C_ESCAPES = {7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r", 34: '\\"', 92: "\\\\"}
_C_UNESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def quote_path(path: str) -> str:
    """The path as git writes it in a diff header: as is, or C-quoted when it holds a control character,
    a quote, a backslash or a non-ASCII byte (git's quote_c_style with core.quotePath, the default)."""
    raw = os.fsencode(path)
    if not any(b < 0x20 or b in (34, 92) or b >= 0x7F for b in raw):
        return path
    return '"' + "".join(_C_ESCAPES.get(b) or (chr(b) if 0x20 <= b < 0x7F else f"\\{b:03o}") for b in raw) + '"'


def unquote_path(text: str) -> str:
    """Inverse of quote_path; a text not starting with a quote is returned as is."""
    if not text.startswith('"'):
        return text
    if len(text) < 2 or not text.endswith('"'):
        raise ApplyError(f"unreadable quoted path in a patch: {text[:80]}")
    out = bytearray()
    body, i = text[1:-1], 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out += ch.encode("utf-8")
            i += 1
        elif body[i + 1:i + 2] in _C_UNESCAPES:
            out.append(_C_UNESCAPES[body[i + 1]])
            i += 2
        elif re.match(r"[0-3][0-7]{2}", body[i + 1:i + 4]):
            out.append(int(body[i + 1:i + 4], 8))
            i += 4
        else:
            raise ApplyError(f"unreadable quoted path in a patch: {text[:80]}")
    return os.fsdecode(bytes(out))


def _show(path: str) -> str:
    """A path fit for a one-line message (a newline in a name must not break the line)."""
    return quote_path(path)


# ---- the patch index ------------------------------------------------------------------------------

def write_index(patch_dir: Path, root_paths: dict[str, str]) -> Path:
    """Where each root lives (and which directory it is), what all.patch hashes to and which files the
    scan patched, so `impact apply` can run from anywhere and notice an out folder edited since."""
    all_patch = patch_dir / "all.patch"
    data = all_patch.read_bytes() if all_patch.is_file() else b""
    files = sorted(p.relative_to(patch_dir).as_posix()[: -len(".patch")]
                   for p in patch_dir.rglob("*.patch") if p != all_patch and p.is_file())
    ids: dict[str, dict[str, Any]] = {}
    for name, root in root_paths.items():
        real = os.path.realpath(root)
        st = os.stat(real)
        ids[name] = {"realpath": real, "dev": st.st_dev, "ino": st.st_ino}
    index = {"version": INDEX_VERSION, "roots": root_paths, "root_ids": ids,
             "all_patch_sha256": hashlib.sha256(data).hexdigest(), "files": files}
    path = patch_dir / INDEX_NAME
    path.write_text(json.dumps(index, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class _Index:
    roots: dict[str, str]
    ids: dict[str, dict[str, Any]]
    all_patch_sha256: str
    files: frozenset[str]

    def root(self, name: str) -> str:
        """The real path of a root, once it is checked to be the very directory that was scanned."""
        path = self.roots[name]
        label = f"root {name!r} ({_show(path)})" if name else f"root {_show(path)}"
        ident = self.ids.get(name)
        if not isinstance(path, str) or "\0" in path or not os.path.isabs(path) or not isinstance(ident, dict):
            raise ApplyError(f"{label}: not an absolute path with its identity in the patch index; re-run `impact scan`")
        try:
            st = os.stat(path)
        except OSError:
            raise ApplyError(f"{label} is not a directory (it does not exist); refusing") from None
        if not stat.S_ISDIR(st.st_mode):
            raise ApplyError(f"{label} is not a directory; refusing")
        real = os.path.realpath(path)
        if (real, st.st_dev, st.st_ino) != (ident.get("realpath"), ident.get("dev"), ident.get("ino")):
            raise ApplyError(f"{label} is not the directory that was scanned (moved, replaced or redirected in "
                             "the patch index since the scan); refusing, re-run `impact scan`")
        return real

    def split(self, path: str) -> tuple[str, str]:
        """(root name, path inside that root) for a finding path."""
        if "" in self.roots:
            return "", path
        for prefix in sorted(self.roots, key=len, reverse=True):
            if path.startswith(prefix + "/"):
                return prefix, path[len(prefix) + 1:]
        name = path.partition("/")[0]
        raise ApplyError(f"{_show(path)}: no root named {_show(name)} in the patch index "
                         f"(roots: {', '.join(sorted(self.roots))})")


def _load_index(patch_dir: Path) -> _Index:
    index_file = patch_dir / INDEX_NAME
    try:
        data = json.loads(index_file.read_text(encoding="utf-8"))
        version = data.get("version")
        roots, ids, digest, files = data["roots"], data.get("root_ids"), data.get("all_patch_sha256"), data.get("files")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ApplyError(f"{index_file}: unreadable patch index ({exc})") from None
    if version != INDEX_VERSION or not isinstance(ids, dict) or not isinstance(digest, str) \
            or not isinstance(files, list) or not isinstance(roots, dict):
        raise ApplyError(f"{index_file}: written by another version of impact; re-run `impact scan` to regenerate it")
    return _Index(roots, ids, digest, frozenset(f for f in files if isinstance(f, str)))


# ---- parsing and applying hunks -------------------------------------------------------------------

def _header_path(rest: str, prefix: str) -> str | None:
    name = unquote_path(rest) if rest.startswith('"') else rest
    return name[len(prefix):] if name.startswith(prefix) else None


def parse_patch(text: str) -> list[FilePatch]:
    """Split one or many git-style diffs into per-file hunks. Lines keep their '\\r'.

    Hunk bodies are read by the line counts of their `@@` header, so a removed `-- comment` or an added
    `++x` line is never taken for a file header."""
    files: list[FilePatch] = []
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    path: str | None = None
    in_file = False
    hunks: list[tuple[int, list[str]]] = []
    old_left = new_left = 0

    def flush() -> None:
        if in_file:
            if path is None:
                raise ApplyError("unreadable patch: a file without a `+++ b/...` line")
            files.append(FilePatch(path, tuple((start, tuple(body)) for start, body in hunks)))

    for line in lines:
        if old_left > 0 or new_left > 0:
            tag = line[:1]
            if tag not in (" ", "-", "+"):
                raise ApplyError(f"unreadable patch: hunk of {_show(path or '?')} ends early")
            hunks[-1][1].append(line)
            old_left -= tag in " -"
            new_left -= tag in " +"
        elif line.startswith("diff --git "):
            flush()
            path, hunks, in_file = None, [], True
        elif line.startswith("+++ ") and in_file and not hunks:
            path = _header_path(line[4:], "b/")
            if path is None:
                raise ApplyError(f"unreadable patch: {_show(line[:80])} (only edits of existing files)")
        elif line.startswith("--- ") and in_file and not hunks:
            continue
        elif m := _HUNK.match(line):
            hunks.append((int(m.group(1)), []))
            old_left = int(m.group(2)) if m.group(2) is not None else 1
            new_left = int(m.group(4)) if m.group(4) is not None else 1
        elif line.startswith("\\ No newline at end of file"):
            if hunks and hunks[-1][1]:
                hunks[-1][1][-1] = hunks[-1][1][-1] + "\\no-eol"
    if old_left > 0 or new_left > 0:
        raise ApplyError(f"unreadable patch: the last hunk of {_show(path or '?')} is cut short")
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
            raise ApplyError(f"{_show(patch.path)}: the file does not match the patch at line {start} "
                             "(changed since the scan, or already patched)")
        out.extend(lines[pos:index])
        out.extend(new)
        pos = index + len(old)
    out.extend(lines[pos:])
    return "".join(out)


# ---- confinement: the only way to a file apply may write ------------------------------------------

@dataclass(frozen=True)
class Target:
    """A regular file inside a root: the root's real path and the real, symlink-free path under it."""

    root: str
    parts: tuple[str, ...]
    label: str  # the patch path, for messages

    @functools.cached_property
    def path(self) -> Path:
        return Path(self.root, *self.parts)


def confine(root: str, rel: str, label: str | None = None) -> Target:
    """The file `rel` names under `root`, or ApplyError: refuses NUL, absolute paths, empty, `.` and `..`
    segments, anything resolving (symlinks followed) outside the root, and anything not a regular file."""
    what = _show(label or rel)
    if "\0" in rel or "\0" in root:
        raise ApplyError(f"{what}: NUL in the path; refusing")
    if rel.startswith("/") or os.path.isabs(rel):
        raise ApplyError(f"{what}: absolute path in a patch; refusing")
    parts = rel.split("/")
    if ".." in parts:
        raise ApplyError(f"{what}: '..' in a patch path; refusing")
    if any(p in ("", ".") for p in parts):
        raise ApplyError(f"{what}: empty or '.' segment in a patch path; refusing")
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(real_root, *parts))
    if real == real_root or os.path.commonpath([real_root, real]) != real_root:
        raise ApplyError(f"{what}: resolves outside its root ({_show(real)}); refusing")
    try:
        st = os.lstat(real)
    except FileNotFoundError:
        raise ApplyError(f"{what}: file not found at {_show(real)}") from None
    if not stat.S_ISREG(st.st_mode):
        raise ApplyError(f"{what}: not a regular file ({_show(real)}); refusing")
    return Target(real_root, tuple(os.path.relpath(real, real_root).split(os.sep)), label or rel)


def _open_parent(target: Target) -> int:
    """A descriptor of the target's directory, walked from the root without following any symlink."""
    return _open_dir(target.root, target.parts[:-1], target.label)


def _open_dir(root: str, parts: tuple[str, ...], label: str) -> int:
    fd = os.open(root, _DIR_FLAGS | os.O_NOFOLLOW)
    try:
        for part in parts:
            nxt = os.open(part, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = nxt
    except OSError as exc:
        os.close(fd)
        raise ApplyError(f"{_show(label)}: its directory changed during apply ({exc.strerror}); "
                         "refusing") from None
    return fd


@contextlib.contextmanager
def _parent(target: Target) -> Iterator[int]:
    fd = _open_parent(target)
    try:
        yield fd
    finally:
        os.close(fd)


def _read_at(dir_fd: int, name: str, label: str) -> tuple[bytes, os.stat_result]:
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), dir_fd=dir_fd)
    except OSError as exc:
        raise ApplyError(f"{_show(label)}: cannot open ({exc.strerror}); refusing") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ApplyError(f"{_show(label)}: not a regular file any more; refusing")
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks), st
    finally:
        os.close(fd)


def _create_at(dir_fd: int, base: str, data: bytes, mode: int, owner: tuple[int, int] | None,
               exact: bool = False, sync: bool = True) -> str:
    """A new file with a random name next to `base` (or `base` itself when `exact`), fsynced unless the
    caller flushes everything at once; never follows or reuses an existing name."""
    for _ in range(1 if exact else 64):
        name = base if exact else f".{base[:180]}.impact-{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0),
                         0o600, dir_fd=dir_fd)
        except FileExistsError:
            continue
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if owner is not None and owner != (os.geteuid(), os.getegid()):
                with contextlib.suppress(OSError):
                    os.fchown(fd, *owner)
            os.fchmod(fd, mode)
            if sync:
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(name, dir_fd=dir_fd)
            raise
        os.close(fd)
        return name
    raise ApplyError(f"cannot create a temporary file next to {_show(base)}")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_target(target: Target) -> tuple[bytes, os.stat_result]:
    with _parent(target) as dfd:
        return _read_at(dfd, target.parts[-1], target.label)


def _write_temp(target: Target, data: bytes, mode: int, owner: tuple[int, int] | None = None,
                sync: bool = True) -> str:
    with _parent(target) as dfd:
        return _create_at(dfd, target.parts[-1], data, mode, owner, sync=sync)


def _rename_temp(target: Target, tmp: str, expect_sha: str) -> None:
    """Rename the temporary over the target, if the target still holds the bytes we planned on."""
    with _parent(target) as dfd:
        current, _ = _read_at(dfd, target.parts[-1], target.label)
        if _sha(current) != expect_sha:
            raise ApplyError(f"{_show(target.label)}: changed during apply; refusing to overwrite it")
        os.replace(tmp, target.parts[-1], src_dir_fd=dfd, dst_dir_fd=dfd)


def _remove_temp(target: Target, tmp: str) -> None:
    if not tmp.startswith(".") or "/" in tmp or ".impact-" not in tmp:
        return  # a journal edited to name something else: not ours to delete
    with contextlib.suppress(OSError, ApplyError), _parent(target) as dfd:
        st = os.stat(tmp, dir_fd=dfd, follow_symlinks=False)
        if stat.S_ISREG(st.st_mode):
            os.unlink(tmp, dir_fd=dfd)


def _fsync_dirs(targets: list[Target]) -> None:
    """The renames on disk. One sync() for the whole tree: thousands of fsyncs cost seconds (measured:
    3,000 files, 19 s of fsync out of 41 s on a busy disk), one flush costs one journal commit."""
    if targets:
        os.sync()


# ---- the dirty-file check -------------------------------------------------------------------------

def _git(args: list[str], cwd: str) -> str | None:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return os.fsdecode(proc.stdout) if proc.returncode == 0 else None


def _dirty(targets: list[Target]) -> set[str]:
    """The targets git knows with uncommitted changes (outside git: never dirty). One `git status` per
    repository, not per file."""
    tops: dict[str, str | None] = {}
    for t in targets:
        d = os.path.dirname(str(t.path))
        if d not in tops:
            out = _git(["rev-parse", "--show-toplevel"], d)
            tops[d] = out.strip() if out else None
    dirty: set[str] = set()
    for top in {t for t in tops.values() if t}:
        out = _git(["status", "--porcelain", "-z", "--untracked-files=no"], top)
        fields = (out or "").split("\0")
        i = 0
        while i < len(fields):
            entry = fields[i]
            i += 1
            if len(entry) < 4:
                continue
            if entry[:2].strip():
                dirty.add(os.path.join(top, entry[3:]))
                dirty.add(os.path.realpath(os.path.join(top, entry[3:])))
            if "R" in entry[:2] or "C" in entry[:2]:
                i += 1  # the rename's source path
    return {str(t.path) for t in targets if str(t.path) in dirty}


# ---- the journal ----------------------------------------------------------------------------------

def _write_private(directory: Path, name: str, data: bytes) -> None:
    """Write out-folder bookkeeping atomically: random temporary (O_EXCL|O_NOFOLLOW), fsync, rename."""
    dfd = os.open(directory, _DIR_FLAGS)
    try:
        tmp = _create_at(dfd, name, data, 0o600, None)
        os.replace(tmp, name, src_dir_fd=dfd, dst_dir_fd=dfd)
        os.fsync(dfd)
    finally:
        os.close(dfd)


@dataclass(frozen=True)
class _Entry:
    target: Target
    root_name: str
    before: str
    after: str
    offset: int  # of the original in the backup file
    size: int
    tmp: str
    mode: int

    def to_json(self) -> dict[str, Any]:
        return {"root": self.root_name, "root_realpath": self.target.root, "parts": list(self.target.parts),
                "label": self.target.label, "before": self.before, "after": self.after,
                "offset": self.offset, "size": self.size, "tmp": self.tmp, "mode": self.mode}


def _journal_path(out_dir: Path) -> Path:
    return out_dir / "patches" / JOURNAL_NAME


def _read_journal(out_dir: Path, index: _Index) -> tuple[Path, list[_Entry]]:
    """The interrupted apply's entries, each target confined again under its (checked) root."""
    path = _journal_path(out_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        backup = out_dir / "patches" / data["backup"]
        raw = data["entries"]
        if not str(data["backup"]).startswith(BACKUP_PREFIX) or "/" in data["backup"]:
            raise ValueError("backup")
        entries = []
        for e in raw:
            real_root = index.root(e["root"])
            if real_root != e["root_realpath"]:
                raise ApplyError(f"{_show(e['label'])}: its root moved since the interrupted apply; refusing")
            target = confine(real_root, "/".join(e["parts"]), e["label"])
            if target.parts != tuple(e["parts"]):
                raise ApplyError(f"{_show(e['label'])}: is a symlink now; refusing")
            if not isinstance(e["tmp"], str) or not _TMP_NAME.fullmatch(e["tmp"]):
                raise ValueError(f"odd temporary name {e['tmp']!r}")
            entries.append(_Entry(target, e["root"], e["before"], e["after"], int(e["offset"]), int(e["size"]),
                                  e["tmp"], int(e["mode"])))
    except ApplyError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ApplyError(f"{path}: unreadable apply journal ({exc}); restore by hand from "
                         f"{out_dir / 'patches'}/{BACKUP_PREFIX}*") from None
    return backup, entries


def _cleanup(out_dir: Path, backup: Path | None, entries: list[_Entry]) -> None:
    """Done (or undone): drop leftover temporaries, then the journal, then the backup."""
    for e in entries:
        _remove_temp(e.target, e.tmp)
    with contextlib.suppress(FileNotFoundError):
        _journal_path(out_dir).unlink()
    if backup is not None:
        _remove_backup(backup)


def _remove_backup(path: Path) -> None:
    with contextlib.suppress(OSError):
        if stat.S_ISREG(path.lstat().st_mode):
            path.unlink()


def _read_backup(backup: Path, e: _Entry) -> bytes:
    try:
        with backup.open("rb") as handle:
            handle.seek(e.offset)
            data = handle.read(e.size)
    except OSError as exc:
        raise ApplyError(f"{_show(e.target.label)}: cannot read its original from {backup} ({exc.strerror})") from None
    if _sha(data) != e.before:
        raise ApplyError(f"{_show(e.target.label)}: the backup {backup} does not hold its original")
    return data


def _current(e: _Entry) -> str:
    data, _ = _read_target(e.target)
    return _sha(data)


def _mode(target: Target) -> int:
    """The mode a restored file gets: the patched file's, which apply copied from the original (a mode
    written in the journal is not trusted)."""
    return stat.S_IMODE(_read_target(target)[1].st_mode)


def _rollback(out_dir: Path, backup: Path, entries: list[_Entry]) -> None:
    """Put every original back (checked first: a file that is neither original nor patched stops it)."""
    states = [_current(e) for e in entries]
    for e, now in zip(entries, states, strict=True):
        if now not in (e.before, e.after):
            raise ApplyError(f"{_show(e.target.label)}: changed since the interrupted apply; nothing rolled back, "
                             f"its original is at byte {e.offset} of {backup}")
    temps = [(e, _write_temp(e.target, _read_backup(backup, e), _mode(e.target), sync=False))
             for e, now in zip(entries, states, strict=True) if now == e.after]
    if temps:
        os.sync()  # the originals on disk before any rename
    for e, tmp in temps:
        _rename_temp(e.target, tmp, e.after)
    _fsync_dirs([e.target for e in entries])
    _cleanup(out_dir, backup, entries)


def _resume(out_dir: Path, backup: Path, entries: list[_Entry]) -> None:
    todo = []
    for e in entries:
        now = _current(e)
        if now == e.after:
            continue
        if now != e.before:
            raise ApplyError(f"{_show(e.target.label)}: changed since the interrupted apply; nothing resumed "
                             "(`impact apply --rollback` restores the others)")
        try:
            with _parent(e.target) as dfd:
                tmp_data, _ = _read_at(dfd, e.tmp, e.target.label)
        except ApplyError:
            raise ApplyError(f"{_show(e.target.label)}: its patched temporary is gone; use `impact apply "
                             "--rollback`") from None
        if _sha(tmp_data) != e.after:
            raise ApplyError(f"{_show(e.target.label)}: its patched temporary is damaged; use `impact apply --rollback`")
        todo.append(e)
    for e in todo:
        _rename_temp(e.target, e.tmp, e.before)
    _fsync_dirs([e.target for e in entries])
    _cleanup(out_dir, backup, entries)


def finish_interrupted(out_dir: Path, action: str) -> list[Path]:
    """`--resume` or `--rollback` an apply that was killed; the files it touched."""
    index = _load_index(out_dir / "patches")
    if not _journal_path(out_dir).is_file():
        raise ApplyError(f"no interrupted apply in {out_dir} (no {_journal_path(out_dir)})")
    backup, entries = _read_journal(out_dir, index)
    with _no_sigint():
        (_resume if action == "resume" else _rollback)(out_dir, backup, entries)
    return [e.target.path for e in entries]


def _interrupted_message(out_dir: Path, index: _Index) -> str:
    journal = _journal_path(out_dir)
    try:
        _, entries = _read_journal(out_dir, index)
        done = sum(_current(e) == e.after for e in entries)
        state = f"{done} of {len(entries)} files were patched"
    except ApplyError as exc:
        state = f"its journal cannot be used: {exc}"
    return (f"an earlier apply was interrupted ({state}; journal {journal}): run `impact apply --out {out_dir} "
            "--resume` to finish it or `--rollback` to undo it")


@contextlib.contextmanager
def _no_sigint() -> Iterator[None]:
    """Ctrl-C waits while files are being put back (main thread only; elsewhere it cannot arrive)."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# ---- apply ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Plan:
    target: Target
    root_name: str
    old: bytes
    new: bytes
    mode: int
    owner: tuple[int, int]


def _plan(out_dir: Path, index: _Index, force: bool) -> list[_Plan]:
    patch_dir = out_dir / "patches"
    raw = (patch_dir / "all.patch").read_bytes()
    if _sha(raw) != index.all_patch_sha256:
        raise ApplyError(f"{patch_dir / 'all.patch'} changed since the scan (its sha256 is not the one in "
                         f"{INDEX_NAME}); refusing, re-run `impact scan`")
    try:
        patches = parse_patch(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ApplyError(f"{patch_dir / 'all.patch'}: not UTF-8 ({exc})") from None
    roots: dict[str, str] = {}
    planned: list[_Plan] = []
    seen: dict[Path, str] = {}
    for patch in patches:
        if patch.path not in index.files:
            raise ApplyError(f"{_show(patch.path)}: not among the per-file patches the scan wrote; refusing")
        name, rel = index.split(patch.path)
        if name not in roots:
            roots[name] = index.root(name)
        target = confine(roots[name], rel, patch.path)
        if target.path in seen:
            raise ApplyError(f"{_show(patch.path)} and {_show(seen[target.path])} are the same file; refusing")
        seen[target.path] = patch.path
        old, st = _read_target(target)
        try:
            text = old.decode("utf-8")
        except UnicodeDecodeError:
            raise ApplyError(f"{_show(patch.path)}: not UTF-8 any more; refusing") from None
        new = apply_file_patch(text, patch).encode("utf-8")
        planned.append(_Plan(target, name, old, new, stat.S_IMODE(st.st_mode), (st.st_uid, st.st_gid)))
    if not force:
        dirty = _dirty([p.target for p in planned])
        for p in planned:
            if str(p.target.path) in dirty:
                raise ApplyError(f"{_show(p.target.label)}: has uncommitted changes; commit or stash them, or use --force")
    return planned


def _test_hook(renamed: int) -> None:
    after = os.environ.get(_KILL_HOOK)
    if after and after.isdigit() and renamed == int(after):
        os.kill(os.getpid(), signal.SIGINT if os.environ.get(_SIGNAL_HOOK) == "INT" else signal.SIGKILL)


def apply_patches(out_dir: Path, force: bool = False, check: bool = False) -> list[Path]:
    """Apply `out_dir/patches/*` to the files they were made from; all or nothing, through a journal."""
    patch_dir = out_dir / "patches"
    if not (patch_dir / INDEX_NAME).is_file() or not (patch_dir / "all.patch").is_file():
        raise ApplyError(f"no patches in {patch_dir} (run `impact scan --out {out_dir}` first)")
    index = _load_index(patch_dir)
    if _journal_path(out_dir).exists():
        raise ApplyError(_interrupted_message(out_dir, index))
    planned = _plan(out_dir, index, force)
    if check or not planned:
        return [p.target.path for p in planned]
    for stale in patch_dir.glob(f"{BACKUP_PREFIX}*"):  # left by an apply killed after its journal went
        _remove_backup(stale)
    backup = patch_dir / f"{BACKUP_PREFIX}{secrets.token_hex(6)}"
    entries: list[_Entry] = []
    renamed = 0
    journal_written = False
    try:
        pfd = os.open(patch_dir, _DIR_FLAGS)
        try:
            _create_at(pfd, backup.name, b"".join(p.old for p in planned), 0o600, None, exact=True, sync=False)
        finally:
            os.close(pfd)
        offset = 0
        for p in planned:
            tmp = _write_temp(p.target, p.new, p.mode, p.owner, sync=False)
            entries.append(_Entry(p.target, p.root_name, _sha(p.old), _sha(p.new), offset, len(p.old), tmp, p.mode))
            offset += len(p.old)
        os.sync()  # every backup and temporary on disk before the journal: one flush, not one per file
        journal = {"version": 1, "state": "renaming", "backup": backup.name,
                   "entries": [e.to_json() for e in entries]}
        _write_private(patch_dir, JOURNAL_NAME, (json.dumps(journal, indent=1) + "\n").encode())
        journal_written = True
        for e in entries:
            _rename_temp(e.target, e.tmp, e.before)
            renamed += 1
            _test_hook(renamed)
        _fsync_dirs([e.target for e in entries])
    except BaseException:
        with _no_sigint():
            if journal_written:
                _rollback(out_dir, backup, entries)  # raises (keeping the journal) if it cannot
            else:
                _cleanup(out_dir, backup, entries)
        raise
    _cleanup(out_dir, backup, [])
    return [p.target.path for p in planned]
