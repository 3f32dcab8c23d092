"""A hostile-input corpus, generated on demand (nothing binary is committed).

`build(root)` writes a source tree that a scan must survive: parser bombs, files that are not files
(FIFO, symlink loops, symlinks out of the tree or to /dev/zero), names and contents that are not
UTF-8, binary junk under source extensions, huge and minified files, BOM, CRLF, empty files, NUL
bytes, an unreadable directory, and beside them a genuine finding that must still be found.

`build` returns what a scan must report: for each odd entry, its path as findings.json shows it and a
piece of the reason. `database(path)` writes the small SQLite schema the corpus is about (documents
and attachments.document_id referencing documents.id).

    python tests/hostile.py DIR      # write the corpus to DIR and list the expectations
"""

from __future__ import annotations

import os
import random
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path

#: the key the corpus is about (documents.id) and the finding that must survive the hostile neighbours
TARGET = "documents.id"
GENUINE_PATH = "app/schemas.py"
GENUINE_SYMBOL = "AttachmentOut.document_id"
GENUINE = "from pydantic import BaseModel\n\n\nclass AttachmentOut(BaseModel):\n    document_id: int\n"
#: a file name whose bytes are not UTF-8 (Latin-1 'é'), and how reports must show it
BAD_NAME = b"caf\xe9_document.py"
BAD_NAME_SHOWN = "app/caf\ufffd_document.py"


@dataclass
class Corpus:
    root: Path
    #: path as findings.json shows it -> a piece of the reason every report must give
    skipped: dict[str, str] = field(default_factory=dict)
    #: files that must be scanned normally (Ok), odd-looking but valid
    scanned: list[str] = field(default_factory=list)
    #: a directory that only a process without CAP_DAC_READ_SEARCH (or a non-root user) cannot list
    locked: str = ""


def database(path: Path) -> str:
    con = sqlite3.connect(path)
    con.executescript(
        "CREATE TABLE documents (id INTEGER PRIMARY KEY, title TEXT);"
        "CREATE TABLE attachments (id INTEGER PRIMARY KEY, document_id INTEGER REFERENCES documents(id));"
    )
    con.commit()
    con.close()
    return f"sqlite:///{path}"


def bracket_bomb(depth: int) -> str:
    """Nested brackets, short lines (so the nesting guard, not the minified one, must catch it)."""
    return f"document_id = {'[' * depth}\n{']' * depth}\n"


def chain_bomb(length: int) -> str:
    """A unary chain over many short lines inside parentheses: no deep brackets at all."""
    return "document_id = (\n" + "-\n" * length + "1)\n"


def arrow_bomb(length: int) -> str:
    return "export const documentId = " + "() =>\n" * length + "1;\n"


def huge_python(size: int) -> str:
    """Ordinary-looking lines (not minified), just too many of them."""
    line = "def handler_{i}(document_id: int) -> int:\n    return document_id + {i}\n\n\n"
    out, n = [], 0
    i = 0
    while n < size:
        chunk = line.format(i=i)
        out.append(chunk)
        n += len(chunk)
        i += 1
    return "".join(out)


def minified_ts(size: int) -> str:
    unit = ('function f{i}(documentId){{return fetch("/api/documents/"+documentId).then(r=>r.json())}}'
            'const d{i}=Number(params.documentId);')
    out, n, i = [], 0, 0
    while n < size:
        chunk = unit.format(i=i)
        out.append(chunk)
        n += len(chunk)
        i += 1
    return "".join(out) + "\n"


def one_line_python(size: int) -> str:
    """The reported 5 MB one-line module: a literal list of ids on a single line."""
    body = ", ".join(str(i) for i in range(size // 8))
    return f"document_ids = [{body}]\n"


def junk(seed: int, size: int) -> bytes:
    rng = random.Random(seed)
    data = bytes(rng.randrange(1, 256) for _ in range(size))  # no NUL: the UTF-8 check must catch it
    return b"\xff\xfe" + data  # never valid UTF-8


def build(root: Path, big: int = (1 << 20) + 4096) -> Corpus:
    """Write the corpus under `root` (created); `big` is the size of the too-large file."""
    root = root.resolve()
    app = root / "app"
    app.mkdir(parents=True, exist_ok=True)
    c = Corpus(root)

    def write(rel: str, data: str | bytes) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))

    write(GENUINE_PATH, GENUINE)
    write("app/__init__.py", "")
    c.scanned += [GENUINE_PATH, "app/__init__.py"]

    write("app/deep_brackets.py", bracket_bomb(1500))
    c.skipped["app/deep_brackets.py"] = "nesting depth"
    write("app/deep_chain.py", chain_bomb(20000))
    c.skipped["app/deep_chain.py"] = "exceeds the parser's limit"
    write("web/deep_arrows.ts", arrow_bomb(20000))
    c.skipped["web/deep_arrows.ts"] = "nesting depth"

    os.mkfifo(app / "pipe_document.py")
    c.skipped["app/pipe_document.py"] = "FIFO"
    os.symlink("self_loop.py", app / "self_loop.py")
    c.skipped["app/self_loop.py"] = "symlink loop"
    os.symlink(".", app / "loopdir")
    c.skipped["app/loopdir/"] = "symlinked directory"
    outside = root.parent / f"{root.name}-outside.py"
    outside.write_text("document_id: int = 1\n", encoding="utf-8")
    os.symlink(outside, app / "outside.py")
    c.skipped["app/outside.py"] = "outside the scanned roots"
    os.symlink("/dev/zero", app / "zero.py")
    c.skipped["app/zero.py"] = "outside the scanned roots"
    os.symlink("/dev/zero", app / "zero_inside_check.ts")
    c.skipped["app/zero_inside_check.ts"] = "outside the scanned roots"

    (app / os.fsdecode(BAD_NAME)).write_text(GENUINE, encoding="utf-8")
    c.skipped[BAD_NAME_SHOWN] = "not valid UTF-8"
    write("app/latin1.py", b"# caf\xe9\ndocument_id = 1\n")
    c.skipped["app/latin1.py"] = "not UTF-8"
    write("app/junk.py", junk(1, 4096))
    c.skipped["app/junk.py"] = "not UTF-8"
    write("web/junk.ts", junk(2, 4096))
    c.skipped["web/junk.ts"] = "not UTF-8"
    write("app/nul.py", b"document_id = 1\x00\n")
    c.skipped["app/nul.py"] = "NUL"
    write("web/nul.tsx", b"export const documentId = 1;\x00\n")
    c.skipped["web/nul.tsx"] = "NUL"

    write("app/huge.py", huge_python(big))
    c.skipped["app/huge.py"] = "max_file_bytes"
    write("app/one_line.py", one_line_python(300_000))
    c.skipped["app/one_line.py"] = "minified"
    write("web/bundle.ts", minified_ts(300_000))
    c.skipped["web/bundle.ts"] = "minified"
    write("web/vendor.js", minified_ts(300_000))
    c.skipped["web/vendor.js"] = "minified"

    write("app/bom.py", "\ufeff" + GENUINE.replace("AttachmentOut", "BomOut"))
    write("app/crlf.py", GENUINE.replace("AttachmentOut", "CrlfOut").replace("\n", "\r\n"))
    write("app/empty.py", "")
    write("web/empty.ts", "")
    write("web/bom.ts", "\ufeffexport interface Doc { documentId: number }\n")
    c.scanned += ["app/bom.py", "app/crlf.py", "app/empty.py", "web/empty.ts", "web/bom.ts"]

    locked = app / "locked"
    locked.mkdir()
    (locked / "hidden.py").write_text(GENUINE, encoding="utf-8")
    locked.chmod(0)
    c.locked = "app/locked/"
    return c


def unlock(root: Path) -> None:
    """Make the corpus removable again (the locked directory)."""
    locked = root / "app" / "locked"
    if locked.exists():
        locked.chmod(0o755)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-corpus")
    corpus = build(target)
    for path, reason in sorted(corpus.skipped.items()):
        print(f"skipped  {path}: {reason}")
    print(f"locked   {corpus.locked} (skipped when the scan cannot list it)")
    for path in corpus.scanned:
        print(f"scanned  {path}")
