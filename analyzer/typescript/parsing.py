"""Parsing TypeScript/TSX with tree-sitter, and the byte <-> str offset bookkeeping it needs.

tree-sitter reports UTF-8 byte offsets and byte columns; findings and edits speak in str offsets and
1-based character columns (models.Edit / models.Span). `Source` converts once per file.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from functools import lru_cache

import tree_sitter as ts
import tree_sitter_typescript as tst

from analyzer.models import Span


@lru_cache(maxsize=2)
def parser_for(tsx: bool) -> ts.Parser:
    lang = ts.Language(tst.language_tsx() if tsx else tst.language_typescript())
    return ts.Parser(lang)


def is_tsx(path: str) -> bool:
    """The tsx grammar for .tsx and for every JavaScript file (.js/.jsx/.mjs/.cjs may hold JSX; the
    grammar reads plain JavaScript as well)."""
    return path.endswith((".tsx", ".jsx", ".js", ".mjs", ".cjs"))


#: tree-sitter itself parses any depth, but walking up from a node (`Node.parent`) costs the node's depth,
#: so a 20,000-deep arrow chain took a minute in the index; hand-written code stays far below (the
#: fixture apps reach 24)
MAX_TREE_DEPTH = 500


def tree_depth(tree: ts.Tree, limit: int = MAX_TREE_DEPTH) -> int:
    """The tree's depth, counted with a cursor (no recursion, no parent walks); stops past `limit`."""
    cur = tree.walk()
    depth = deepest = 0
    while True:
        if cur.goto_first_child():
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
            continue
        while not cur.goto_next_sibling():
            if not cur.goto_parent():
                return deepest
            depth -= 1


@dataclass
class Source:
    """A file's text (newlines kept as written) with its UTF-8 encoding and offset maps."""

    text: str
    data: bytes = b""
    _ascii: bool = True
    _byte_starts: list[int] = field(default_factory=list)  # byte offset of every line start (non-ASCII text)
    _encoded: dict[int, bytes] = field(default_factory=dict)  # a line's UTF-8, once asked (non-ASCII text)
    _line_starts: list[int] = field(default_factory=list)  # str offsets of line starts

    def __post_init__(self) -> None:
        if not self.data:
            self.data = self.text.encode("utf-8")
        self._ascii = len(self.data) == len(self.text)
        starts = [0]
        pos = self.text.find("\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = self.text.find("\n", pos + 1)
        self._line_starts = starts

    def char(self, byte_offset: int) -> int:
        """str offset of a byte offset (which always falls on a character boundary here; inside a character, the
        next character's). A text that is not ASCII maps its lines' starts once, on the first use (most files never
        need a position), and decodes the start of the one line asked: no Python loop over its characters (onyx's
        scan after the seeds spent ~0.1 s in it)."""
        if self._ascii:
            return byte_offset
        starts, lines = self._byte_starts, self._line_starts
        if not starts:
            text = self.text
            starts = [0]
            b = 0
            for k in range(1, len(lines)):
                b += len(text[lines[k - 1]:lines[k]].encode("utf-8"))
                starts.append(b)
            self._byte_starts = starts
        line = bisect.bisect_right(starts, byte_offset) - 1
        k = byte_offset - starts[line]
        if k <= 0:
            return lines[line] + k
        raw = self._encoded.get(line)
        if raw is None:
            end = lines[line + 1] if line + 1 < len(lines) else len(self.text)
            raw = self._encoded[line] = self.text[lines[line]:end].encode("utf-8")
        head = len(raw[:k].decode("utf-8", "ignore"))
        return lines[line] + head + (1 if k < len(raw) and raw[k] & 0xC0 == 0x80 else 0)

    def span(self, node: ts.Node) -> Span:
        start, end = self.char(node.start_byte), self.char(node.end_byte)
        return Span(*self.line_col(start), *self.line_col(end))

    def line_col(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return line + 1, offset - self._line_starts[line] + 1

    def node_text(self, node: ts.Node) -> str:
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")


def parse(source: Source, tsx: bool) -> ts.Tree:
    """The file's tree. A TSX file whose JSX text holds a bare `&` (`<p>Terms & Conditions</p>`: valid JSX,
    React renders it as text, tsc accepts it) is parsed with that `&` read as a space: the grammar's JSX text
    token stops at every `&` and accepts only a complete character reference after it (tree-sitter-typescript
    0.23.2), so the rest of the element, or of the file, became an ERROR. The text and every offset stay
    those of the file (one byte for one byte); only the tree is built from the masked copy, and only when
    it comes out clean: otherwise the first tree and its syntax error stand."""
    tree = parser_for(tsx).parse(source.data)
    if tsx and b"&" in source.data and has_syntax_error(tree):
        return _without_bare_ampersands(tree, source.data) or tree
    return tree


def has_syntax_error(tree: ts.Tree) -> bool:
    """Whether the tree holds an ERROR or a MISSING node other than a typed tagged template's `!`."""
    if not tree.root_node.has_error:
        return False
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            return True
        stack.extend(_errors_below(node))
    return False


#: JSX nodes whose end can be where JSX text resumes (the grammar's text token ends before an `&`)
_JSX_BEFORE_TEXT = frozenset(("jsx_text", "jsx_opening_element", "jsx_closing_element", "jsx_expression",
                              "jsx_self_closing_element", "jsx_element", "html_character_reference"))
_AMP = ord("&")


def _bare_ampersands(tree: ts.Tree, data: bytes | bytearray) -> set[int]:
    """Byte offsets of `&`s that end JSX text the parser could not go on from: right after a JSX child (text,
    tag, `{expression}`), where an ERROR follows or inside one; and those an ERROR starts with in a JSX
    attribute's string (`<a href="/search?q=1&page=2">`, valid JSX). Only subtrees holding an error are walked."""
    out: set[int] = set()
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        children = node.children
        in_attribute = node.type == "string" and node.parent is not None and node.parent.type == "jsx_attribute"
        for i, child in enumerate(children):
            if child.has_error or child.is_missing:
                stack.append(child)
            if in_attribute and child.is_error and data[child.start_byte] == _AMP:
                out.add(child.start_byte)  # href="/search?q=1&page=2": the grammar stops at a bare `&` there too
                continue
            end = child.end_byte
            if child.type not in _JSX_BEFORE_TEXT or end >= len(data) or data[end] != _AMP:
                continue
            following = children[i + 1] if i + 1 < len(children) else None
            if node.is_error or following is None or following.is_error:
                out.add(end)
    return out


def _without_bare_ampersands(tree: ts.Tree, data: bytes) -> ts.Tree | None:
    """The tree of `data` with the bare `&`s of its JSX text masked, when that tree is clean; else None.
    Each pass masks the `&`s the last tree shows (one `&&` needs two passes)."""
    masked = bytearray(data)
    for _ in range(16):
        found = _bare_ampersands(tree, masked)
        if not found:
            return None
        for at in found:
            masked[at] = 0x20
        tree = parser_for(True).parse(bytes(masked))
        if not has_syntax_error(tree):
            return tree
    return None


def typed_template_bang(node: ts.Node) -> bool:
    """A MISSING `!` the grammar assumes in a tagged template with an object type argument, such as
    `styled.div<{ height: number }>` followed by a template literal (styled-components, emotion, kysely's
    `sql<{ n: number }>`): valid TypeScript (2.9 on) that tree-sitter-typescript 0.23.2 reads as
    `(f<{...}>!)` called with the template: an instantiation_expression wrapped in a non_null_expression
    whose `!` is missing (tree-sitter-typescript#341).
    Every other node of that reading is right (the type argument, the template and its substitutions), so
    that assumed token is no syntax error: the file is not skipped and the rows keep their edits."""
    if not (node.is_missing and node.type == "!"):
        return False
    wrap = node.parent
    if wrap is None or wrap.type != "non_null_expression" or wrap.named_child_count != 1:
        return False
    inner, call = wrap.named_children[0], wrap.parent
    if inner.type != "instantiation_expression" or call is None or call.type != "call_expression":
        return False
    args = call.child_by_field_name("arguments")
    return args is not None and args.type == "template_string" and call.child_by_field_name("function") == wrap


def _errors_below(node: ts.Node) -> list[ts.Node]:
    """The children that hold or are an ERROR or a MISSING node, less the typed-template `!`s."""
    return [c for c in node.children if (c.has_error or c.is_missing) and not typed_template_bang(c)]


def first_error(tree: ts.Tree, source: Source) -> tuple[int, int] | None:
    """(line, column) of the first ERROR or MISSING node, 1-based; None when the tree is clean (a typed
    tagged template's assumed `!` is not counted: `typed_template_bang`)."""
    root = tree.root_node
    if not root.has_error:
        return None
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            return source.line_col(source.char(node.start_byte))
        stack.extend(reversed(_errors_below(node)))
    return None


def error_lines(tree: ts.Tree) -> set[int]:
    """0-based rows covered by ERROR nodes or holding a MISSING node: findings there are not trusted."""
    bad, missing = error_and_missing_lines(tree)
    return bad | missing


def error_and_missing_lines(tree: ts.Tree) -> tuple[set[int], set[int]]:
    """0-based rows covered by ERROR nodes (text the parser could not read), and rows holding a MISSING
    node (a token the parser had to assume, such as an unclosed `(`: the rest of the row was read)."""
    rows: set[int] = set()
    missing: set[int] = set()
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error:
            rows.update(range(node.start_point[0], node.end_point[0] + 1))
            continue
        if node.is_missing:
            missing.add(node.start_point[0])
            continue
        stack.extend(_errors_below(node))
    return rows, missing - rows


def inside_error(node: ts.Node) -> bool:
    cur: ts.Node | None = node
    while cur is not None:
        if cur.is_error:
            return True
        cur = cur.parent
    return False
