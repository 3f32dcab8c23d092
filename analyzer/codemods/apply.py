"""Apply edits by offset and diff the result; imports are added in the file's own style."""

from __future__ import annotations

import ast
import difflib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

from analyzer.models import Edit, Finding, Report


class EditConflict(ValueError):
    """Two edits overlap: the file gets no patch rather than a wrong one."""


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply non-overlapping edits (identical duplicates are merged); raise on a real overlap."""
    unique = sorted({(e.start, e.end, e.text) for e in edits})
    out: list[str] = []
    pos = 0
    for start, end, new in unique:
        if start < pos:
            raise EditConflict(f"overlapping edits at offset {start}")
        out.append(text[pos:start])
        out.append(new)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


_IMPORT_LINE = re.compile(r"^(?:import|from)\s+\S")


def ensure_python_imports(text: str, imports: Iterable[str]) -> str:
    """Add each missing `import x` / `from x import y` after the module's leading import block.

    A byte-order mark stays the file's first character; the imports go after it."""
    if text.startswith("\ufeff"):
        return "\ufeff" + ensure_python_imports(text[1:], imports)
    wanted = [i for i in dict.fromkeys(imports) if i and not _has_import(text, i)]
    merged = []
    for stmt in wanted:  # `from m import Name` joins an existing `from m import ...` line when there is one
        joined = _join_from_import(text, stmt)
        if joined is not None:
            text = joined
            merged.append(stmt)
    wanted = [i for i in wanted if i not in merged]
    if not wanted:
        return text
    nl = _newline(text)
    lines = text.splitlines(keepends=True)
    insert_at = _import_insertion_line(lines)
    block = "".join(f"{i}{nl}" for i in wanted)
    if insert_at == 0 and lines and not _IMPORT_LINE.match(lines[0]):
        block += nl
    return "".join(lines[:insert_at]) + block + "".join(lines[insert_at:])


def _join_from_import(text: str, stmt: str) -> str | None:
    """Add `Name` to the module's own `from m import a, b` (one line, or parenthesized with one name per
    line), keeping its style; None when there is no such statement at the top level."""
    m = re.match(r"from\s+([\w.]+)\s+import\s+(\w+)$", stmt)
    if not m:
        return None
    mod, name = m.groups()
    one_line = re.search(rf"^from[ \t]+{re.escape(mod)}[ \t]+import[ \t]+([\w \t,]+?)[ \t]*(?=#|\r?$)", text, re.M)
    if one_line and "(" not in one_line.group(1):
        names = one_line.group(1).rstrip().rstrip(",")
        return text[:one_line.start(1)] + f"{names}, {name}" + text[one_line.start(1) + len(one_line.group(1)):]
    block = re.search(rf"^from[ \t]+{re.escape(mod)}[ \t]+import[ \t]*\((\r?\n)((?:[ \t]+\w+,[^\n]*\n)+)\)", text, re.M)
    if block:
        indent = re.match(r"[ \t]+", block.group(2))
        nl = block.group(1)
        insert_at = block.end(2)
        return text[:insert_at] + f"{indent.group(0) if indent else '    '}{name},{nl}" + text[insert_at:]
    return None


def _has_import(text: str, stmt: str) -> bool:
    if stmt.startswith("import "):
        mod = re.escape(stmt.split()[1])
        return re.search(rf"^import\s+(?:[\w.]+\s*,\s*)*{mod}\b(?!\.)", text, re.M) is not None
    m = re.match(r"from\s+([\w.]+)\s+import\s+(\w+)", stmt)
    if m:
        mod, name = map(re.escape, m.groups())
        block = re.search(rf"^from\s+{mod}\s+import\s+(\([^)]*\)|[^\n]*)", text, re.M)
        return block is not None and re.search(rf"\b{name}\b", block.group(1)) is not None
    return stmt in text


def _import_insertion_line(lines: list[str]) -> int:
    """Index of the line after the module's leading imports (after the docstring when none)."""
    try:
        module = ast.parse("".join(lines))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return 0
    position = 0
    for i, node in enumerate(module.body):
        is_doc = i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        if is_doc or isinstance(node, (ast.Import, ast.ImportFrom)):
            position = node.end_lineno or position
        else:
            break
    return position


def unified_diff(rel_path: str, before: str, after: str) -> str:
    """A git-style diff; a missing final newline is marked as git does, and a name with a tab, newline,
    quote, backslash or non-ASCII byte is written in git's C-quoted form (`"a/x\\ty.py"`)."""
    from analyzer.codemods.patching import quote_path

    if before == after:
        return ""
    a = before.splitlines(keepends=True)
    b = after.splitlines(keepends=True)
    old, new = quote_path(f"a/{rel_path}"), quote_path(f"b/{rel_path}")
    body = []
    for line in difflib.unified_diff(a, b, old, new, n=3):
        if line.startswith(("---", "+++")):
            line = line.rstrip("\n") + "\n"
        if not line.endswith("\n"):
            line += "\n\\ No newline at end of file\n"
        body.append(line)
    return f"diff --git {old} {new}\n" + "".join(body)


def patch_file(text: str, edits: list[Edit], language: str) -> str:
    new = apply_edits(text, edits)
    if language == "python":
        new = ensure_python_imports(new, [e.requires_import for e in edits if e.requires_import])
    return new


def build_patches(findings: Iterable[Finding], abs_paths: Mapping[str, str]) -> dict[str, str]:
    """Path -> unified diff for every file with at least one safe edit; conflicting files are left out."""
    by_path: dict[str, list[Edit]] = defaultdict(list)
    language: dict[str, str] = {}
    for f in findings:
        safe = [e for e in f.edits if e.safe]
        if safe and f.path in abs_paths:
            by_path[f.path].extend(safe)
            language[f.path] = f.language
    patches: dict[str, str] = {}
    for rel, edits in sorted(by_path.items()):
        raw = Path(abs_paths[rel]).read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        # str offsets index the text as read with newline="" (CRLF preserved)
        try:
            new = patch_file(text, edits, language[rel])
        except EditConflict:
            continue
        diff = unified_diff(rel, text, new)
        if diff:
            patches[rel] = diff
    return patches


def report_patches(report: Report) -> dict[str, str]:
    files = report.extras.get("files", {})
    return build_patches(report.findings, files if isinstance(files, dict) else {})
