"""LibCST trees built from CPython's own parser: the node classes and fields the rules read, several times cheaper.

LibCST's native parser builds every token, whitespace run and comment as a Python object: on a large tree that is
most of a scan. The rules and the flow analysis read only the syntax (names, calls, operators, literals as written)
and ask positions through `ParsedFile`; patches are text edits at those positions. So `convert` lets stdlib `ast`
parse the text (in C, no whitespace objects) and builds LibCST nodes from it: the same classes, the fields the
native parser fills from the text (`Name.value`, `SimpleString.value` with its quotes, `Integer.value` as written,
`Arg.star`, `Param.star`), whitespace and punctuation left at each class's defaults, and each node's syntactic
position as LibCST's codegen records it, in str offsets: a node's own parentheses are outside its span and inside
its wrapper's (an `Arg`, an `Element`), a `CompFor` starts right after the token before it, a `Param` is its star
and name.

f-strings are split into their text and `{expression}` parts, each expression converted on its own and placed;
a `match` statement is parsed by LibCST on its own lines; `except A, B:` (PEP 758), which `ast` before 3.14 refuses,
is parsed from a copy with parentheses and its positions mapped back. What it does not build raises `Unsupported`
and the file goes to LibCST's parser, exact by construction: `except*`, PEP 695 syntax, a lone carriage return, and
syntax the running Python's `ast` does not know. `scripts/fastparse_compare.py` compares both trees node by node
(types, fields, positions, the index and its order) on any tree; `tests/test_fastparse.py` does so on the fixtures
and on hand-written awkward cases.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from bisect import bisect_right
from collections.abc import Iterator
from typing import Any

import libcst as cst

_new = object.__new__
_LOW = (1 << 32) - 1


class Unsupported(Exception):
    """A construct this module does not build: the file goes to LibCST's own parser."""


def constructor(cls: type) -> Any:
    """`cls`'s constructor without its dataclass `__init__` (whose check is for hand-built trees, and whose default
    factories build fresh whitespace objects): the fields by keyword or all in order (unpickling, `parallel`), each
    stored through its slot. Written once per class. The defaults are built once and shared: nodes are immutable,
    as LibCST's own defaults and `parsed._SharingMeta` share them."""
    got = _MAKERS.get(cls)
    if got is not None:
        return got
    env: dict[str, Any] = {"_new_": _new, "_cls_": cls}  # (names no field has: MatchClass has a field `cls`)
    params = []
    body = ["    _o_ = _new_(_cls_)"]
    for k, f in enumerate(dataclasses.fields(cls)):
        if f.default is not dataclasses.MISSING:
            env[f"_d{k}_"] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            env[f"_d{k}_"] = f.default_factory()
        else:
            env[f"_d{k}_"] = None  # a required field: every caller passes it
        slot = next(c.__dict__[f.name] for c in cls.__mro__ if f.name in c.__dict__)
        env[f"_s{k}_"] = slot.__set__
        params.append(f"{f.name}=_d{k}_")
        body.append(f"    _s{k}_(_o_, {f.name})")
    exec(f"def make({', '.join(params)}):\n" + "\n".join(body) + "\n    return _o_\n", env)  # noqa: S102 - from the fields
    got = _MAKERS[cls] = env["make"]
    # pickled by reference (`parallel._node_table`: a node is its constructor and its field values), found again by
    # this module's `__getattr__` in a process that has not written it yet
    got.__module__ = __name__
    got.__name__ = got.__qualname__ = _maker_name(cls)
    globals()[got.__name__] = got
    return got


_MAKERS: dict[type, Any] = {}


def _maker_name(cls: type) -> str:
    return f"_make_{cls.__module__.replace('.', '_')}__{cls.__qualname__.replace('.', '_')}"


def __getattr__(name: str) -> Any:
    """`constructor(cls)` by its pickled name (PEP 562: asked only for a name this module does not hold). The class
    is the one its module holds under its name (LibCST's slotted copy, not the dataclass it was made from)."""
    if name.startswith("_make_"):
        if not _BY_NAME:
            import sys

            from analyzer.python import parsed

            _BY_NAME.update((_maker_name(cls), cls) for cls in parsed.node_classes()
                            if getattr(sys.modules.get(cls.__module__), cls.__qualname__, None) is cls)
        if name in _BY_NAME:
            return constructor(_BY_NAME[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_BY_NAME: dict[str, type] = {}


def _mk(cls: type, **kw: Any) -> Any:
    return constructor(cls)(**kw)


class _Makers:
    """`_M.Name(value="x")`: `constructor(cst.Name)`, looked up once."""

    def __getattr__(self, name: str) -> Any:
        make = constructor(getattr(cst, name))
        setattr(self, name, make)
        return make


_M: Any = _Makers()


_BINOPS: dict[type, type] = {
    ast.Add: cst.Add, ast.Sub: cst.Subtract, ast.Mult: cst.Multiply, ast.Div: cst.Divide, ast.FloorDiv: cst.FloorDivide,
    ast.Mod: cst.Modulo, ast.Pow: cst.Power, ast.LShift: cst.LeftShift, ast.RShift: cst.RightShift, ast.BitOr: cst.BitOr,
    ast.BitXor: cst.BitXor, ast.BitAnd: cst.BitAnd, ast.MatMult: cst.MatrixMultiply}
_AUGOPS: dict[type, type] = {
    ast.Add: cst.AddAssign, ast.Sub: cst.SubtractAssign, ast.Mult: cst.MultiplyAssign, ast.Div: cst.DivideAssign,
    ast.FloorDiv: cst.FloorDivideAssign, ast.Mod: cst.ModuloAssign, ast.Pow: cst.PowerAssign,
    ast.LShift: cst.LeftShiftAssign, ast.RShift: cst.RightShiftAssign, ast.BitOr: cst.BitOrAssign,
    ast.BitXor: cst.BitXorAssign, ast.BitAnd: cst.BitAndAssign, ast.MatMult: cst.MatrixMultiplyAssign}
_CMPOPS: dict[type, type] = {
    ast.Eq: cst.Equal, ast.NotEq: cst.NotEqual, ast.Lt: cst.LessThan, ast.LtE: cst.LessThanEqual,
    ast.Gt: cst.GreaterThan, ast.GtE: cst.GreaterThanEqual, ast.Is: cst.Is, ast.IsNot: cst.IsNot, ast.In: cst.In,
    ast.NotIn: cst.NotIn}
_UNARY: dict[type, type] = {ast.Not: cst.Not, ast.USub: cst.Minus, ast.UAdd: cst.Plus, ast.Invert: cst.BitInvert}
_BOOL: dict[type, type] = {ast.And: cst.And, ast.Or: cst.Or}
_ONE: dict[type, Any] = {}  # operator, Dot and similar classes -> one shared instance (they carry only whitespace)


def _one(cls: type) -> Any:
    got = _ONE.get(cls)
    if got is None:
        got = _ONE[cls] = _mk(cls)
    return got


_SMALL = (ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return, ast.Raise, ast.Assert, ast.Delete, ast.Pass,
          ast.Break, ast.Continue, ast.Global, ast.Nonlocal, ast.Import, ast.ImportFrom)
_IDENT = re.compile(r"[^\W\d]\w*")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f][^\n]*")  # (one match per line holding one)
_DEF_NAME = re.compile(r"(?:async\s+)?(?:def|class)\s+([^\W\d]\w*)")
_LITERAL_START = re.compile(r"((?i:[rbuf]|br|rb|fr|rf)?)('''|\"\"\"|'|\")")


class _Converter:
    def __init__(self, text: str, source: str | None = None, aliases: frozenset[int] = frozenset()) -> None:
        self.text = text
        #: the text as written, where `_parse` blanked PEP 695 type parameters or rewrote a `type` statement for
        #: an `ast` that predates them (same length: every offset holds), and those statements' offsets
        self.source = text if source is None else source
        self.aliases = aliases
        self.used: set[int] = set()
        starts = [0]
        starts.extend(m.end() for m in re.finditer(r"\r\n|\n", text))
        self.starts = starts
        self.ascii = text.isascii()
        #: the lines (1-based) holding a character that is not ASCII: only on those does a byte column differ
        #: from a str one (polar: 265 of the files parsed, half their text)
        self.wide: set[int] = set() if self.ascii else {
            bisect_right(starts, m.start()) for m in _NON_ASCII_RUN.finditer(text)}
        self._encoded: dict[int, bytes] = {}
        self.pos: dict[Any, int] = {}

    # ------------------------------------------------------------ positions
    def off(self, line: int, col: int) -> int:
        """The str offset of `ast`'s (line, UTF-8 byte column)."""
        start = self.starts[line - 1]
        if col == 0 or line not in self.wide:
            return start + col
        raw = self._encoded.get(line)
        if raw is None:
            end = self.starts[line] if line < len(self.starts) else len(self.text)
            raw = self._encoded[line] = self.text[start:end].encode("utf-8", "surrogatepass")
        return start + len(raw[:col].decode("utf-8", "surrogatepass"))

    def span(self, node: Any) -> tuple[int, int]:
        starts = self.starts
        if self.ascii:
            return starts[node.lineno - 1] + node.col_offset, starts[node.end_lineno - 1] + node.end_col_offset
        wide = self.wide
        line, col = node.lineno, node.col_offset
        s = self.off(line, col) if line in wide else starts[line - 1] + col
        line, col = node.end_lineno, node.end_col_offset
        return s, self.off(line, col) if line in wide else starts[line - 1] + col

    def place(self, node: Any, start: int, end: int) -> Any:
        self.pos[node] = start << 32 | end
        return node

    def start(self, node: Any) -> int:
        return self.pos[node] >> 32

    def end(self, node: Any) -> int:
        return self.pos[node] & _LOW

    def skip(self, i: int, hi: int) -> int:
        """The first offset from `i` that is no whitespace, comment or line continuation (at most `hi`)."""
        text = self.text
        while i < hi:
            ch = text[i]
            if ch in " \t\r\n\x0c\\":
                i += 1
            elif ch == "#":
                nl = text.find("\n", i)
                i = hi if nl < 0 else nl
            else:
                return i
        return hi

    def opens(self, lo: int, s: int) -> list[int]:
        """The `(`s ending the gap [lo, s) between two tokens (whitespace and comments between them)."""
        text = self.text
        run: list[int] = []
        i = self.skip(lo, s)
        while i < s:
            if text[i] == "(":
                run.append(i)
            else:
                run = []
            i = self.skip(i + 1, s)
        return run

    def closes(self, e: int, hi: int) -> list[int]:
        """The `)`s starting the gap [e, hi)."""
        text = self.text
        run: list[int] = []
        i = self.skip(e, hi)
        while i < hi and text[i] == ")":
            run.append(i)
            i = self.skip(i + 1, hi)
        return run

    # ------------------------------------------------------------ expressions
    def expr(self, node: Any, lo: int, hi: int, sp: tuple[int, int] | None = None) -> tuple[Any, int, int]:
        """The node for an expression inside [lo, hi) (the gaps to its siblings), and its outer span: with the
        parentheses it owns, which open after `lo` and close before `hi`."""
        s, e = sp or self.span(node)
        handler = _EXPR.get(type(node))
        if handler is None:
            raise Unsupported(type(node).__name__)
        out = handler(self, node, s, e)
        if lo >= s or self.text.find("(", lo, s) < 0:  # (most gaps: none, or no parenthesis in it)
            return out, s, e
        opens = self.opens(lo, s)
        if opens:
            closes = self.closes(e, hi)
            k = min(len(opens), len(closes))
            if k:
                return out, opens[len(opens) - k], closes[k - 1] + 1
        return out, s, e

    def exprs(self, nodes: list[Any], lo: int, hi: int) -> list[tuple[Any, int, int]]:
        """Sibling expressions in source order inside [lo, hi)."""
        spans = [self.span(n) for n in nodes]
        return [self.expr(n, left, right, spans[k]) for k, n, left, right in _between(nodes, spans, lo, hi)]

    def _name(self, node: ast.Name, s: int, e: int) -> Any:
        return self.place(_M.Name(value=node.id), s, e)

    def _attribute(self, node: ast.Attribute, s: int, e: int) -> Any:
        value, _vs, _ve = self.expr(node.value, s, e - len(node.attr))
        a = e - len(node.attr)
        if self.text[a:e] != node.attr:
            raise Unsupported("attribute name")
        attr = self.place(_M.Name(value=node.attr), a, e)
        return self.place(_M.Attribute(value=value, attr=attr), s, e)

    def _call(self, node: ast.Call, s: int, e: int) -> Any:
        func, _fs, fe = self.expr(node.func, s, e)
        i = self.skip(fe, e)
        while i < e and self.text[i] == ")":  # the callee's own closing parentheses, when its span ended inside
            i = self.skip(i + 1, e)
        if self.text[i] != "(":
            raise Unsupported("call")
        items = self.arg_items(node.args, node.keywords)
        if len(items) == 1 and type(items[0][3]) is ast.GeneratorExp and items[0][0] == i:
            # `f(x for x in y)`: ast's generator spans the call's parentheses, LibCST's does not own them
            gen = self._genexp(items[0][3], i + 1, e - 1, enclosed=False)
            arg = self.place(_M.Arg(value=gen, star=""), self.start(gen), self.end(gen))
            return self.place(_M.Call(func=func, args=[arg]), s, e)
        return self.place(_M.Call(func=func, args=self.args(items, i + 1, e - 1)), s, e)

    def arg_items(self, positional: list[Any], keywords: list[ast.keyword]) -> list[tuple[int, int, bool, Any]]:
        """A call's (or a class header's) arguments in source order, which ast keeps in two lists: (start, end,
        positional?, node). `f(c=1, *b)` is valid Python."""
        items: list[tuple[int, int, bool, Any]] = []
        for a in positional:
            sp = self.span(a)
            items.append((sp[0], sp[1], True, a))
        for kw in keywords:
            sp = self.span(kw)
            items.append((sp[0], sp[1], False, kw))
        items.sort(key=lambda t: t[0])
        return items

    def args(self, items: list[tuple[int, int, bool, Any]], lo: int, hi: int) -> list[Any]:
        out = []
        for _k, (s, e, positional, a), left, right in _between(items, items, lo, hi):
            if positional and type(a) is ast.Starred:
                value, _vs, ve = self.expr(a.value, s + 1, right)
                out.append(self.place(_M.Arg(value=value, star="*"), s, ve))
            elif positional:
                value, vs, ve = self.expr(a, left, right, (s, e))
                out.append(self.place(_M.Arg(value=value, star=""), vs, ve))
            elif a.arg is None:
                value, _vs, ve = self.expr(a.value, s + 2, right)
                out.append(self.place(_M.Arg(value=value, star="**"), s, ve))
            else:
                key = self.place(_M.Name(value=a.arg), s, s + len(a.arg))
                value, _vs, ve = self.expr(a.value, s + len(a.arg), right)
                out.append(self.place(_M.Arg(value=value, keyword=key, star=""), s, ve))
        return out

    def _constant(self, node: ast.Constant, s: int, e: int) -> Any:
        value = node.value
        if value is None or value is True or value is False:
            return self.place(_M.Name(value=self.text[s:e]), s, e)
        if value is Ellipsis:
            return self.place(_M.Ellipsis(), s, e)
        kind = type(value)
        if kind is int:
            return self.place(_M.Integer(value=self.text[s:e]), s, e)
        if kind is float:
            return self.place(_M.Float(value=self.text[s:e]), s, e)
        if kind is complex:
            return self.place(_M.Imaginary(value=self.text[s:e]), s, e)
        if kind is str or kind is bytes:
            return self.strings(s, e)
        raise Unsupported(f"constant {kind.__name__}")

    def _joined(self, node: Any, s: int, e: int) -> Any:
        return self.strings(s, e)

    def strings(self, s: int, e: int) -> Any:
        """The string literals at [s, e): one f-string, or several implicitly concatenated (LibCST's
        ConcatenatedString, nested to the right: `"a" "b" "c"` is `a + (b + c)`)."""
        pieces = []
        i = s
        text = self.text
        while i < e:
            m = _LITERAL_START.match(text, i)
            if m is None:
                raise Unsupported("string pieces")
            quote = m.group(2)
            j = m.end()
            while True:  # the first unescaped closing quote (an f-string's expressions cannot hold it before 3.12)
                j = text.find(quote, j, e)
                if j < 0:
                    raise Unsupported("string end")
                k = j
                while text[k - 1] == "\\":
                    k -= 1
                if (j - k) % 2 == 0:
                    break
                j += 1
            end = j + len(quote)
            if "f" in m.group(1).lower():
                pieces.append(self.fstring(i, end, m.group(1), quote))
            else:
                pieces.append(self.place(_M.SimpleString(value=text[i:end]), i, end))
            i = self.skip(end, e)
        out = pieces[-1]
        for piece in reversed(pieces[:-1]):
            out = self.place(_M.ConcatenatedString(left=piece, right=out), self.start(piece), self.end(out))
        return out

    def fstring(self, s: int, e: int, prefix: str, quote: str) -> Any:
        parts = self.fparts(s + len(prefix) + len(quote), e - len(quote), raw="r" in prefix.lower())
        return self.place(_M.FormattedString(parts=parts, start=prefix + quote, end=quote), s, e)

    def fparts(self, i: int, end: int, raw: bool) -> list[Any]:
        """An f-string's text and `{expression}` parts in [i, end) (also a format spec's)."""
        text = self.text
        parts: list[Any] = []
        text_start = i
        while i < end:
            ch = text[i]
            if ch == "{" or ch == "}":
                if i + 1 < end and text[i + 1] == ch:  # `{{`, `}}`: text
                    i += 2
                    continue
                if ch == "}":
                    raise Unsupported("f-string brace")
                if i > text_start:
                    parts.append(self.place(_M.FormattedStringText(value=text[text_start:i]), text_start, i))
                i = self.fexpr(i, end, raw, parts)
                text_start = i
            elif ch == "\\" and not raw:
                if text.startswith("N{", i + 1):  # `\N{EM DASH}`: a named character, not an expression
                    close = text.find("}", i, end)
                    if close < 0:
                        raise Unsupported("f-string escape")
                    i = close + 1
                else:
                    i += 2
            else:
                i += 1
        if end > text_start:
            parts.append(self.place(_M.FormattedStringText(value=text[text_start:end]), text_start, end))
        return parts

    def fexpr(self, i: int, end: int, raw: bool, parts: list[Any]) -> int:
        """The `{...}` at `i` as a FormattedStringExpression appended to `parts`; returns where it ends."""
        text = self.text
        k = i + 1
        depth = 0
        while k < end:
            c = text[k]
            if c in "([{":
                depth += 1
            elif c in ")]}":
                if depth == 0:
                    break
                depth -= 1
            elif c == "'" or c == '"':
                q = c * 3 if text.startswith(c * 3, k) else c
                close = text.find(q, k + len(q), end)
                if close < 0:
                    raise Unsupported("f-string expression string")
                k = close + len(q)
                continue
            elif c == "#" or c == "\\":
                raise Unsupported("f-string expression")
            elif depth == 0 and (c == "!" and text[k + 1] != "=" or c == ":"):
                break
            elif depth == 0 and c == "=" and text[k + 1] != "=" and text[k - 1] not in "=!<>":
                after = self.skip(k + 1, end)
                if after < end and text[after] in "!:}":
                    break
            k += 1
        if k >= end:
            raise Unsupported("f-string expression end")
        expr_end = k
        equal = None
        if text[k] == "=":
            equal = _one(cst.AssignEqual)
            k = self.skip(k + 1, end)
        conversion = None
        if text[k] == "!":
            conversion = text[k + 1]
            k += 2
        spec = None
        if text[k] == ":":
            close, level = k + 1, 0
            while close < end and (text[close] != "}" or level):
                level += {"{": 1, "}": -1}.get(text[close], 0)
                close += 1
            spec = self.fparts(k + 1, close, raw)
            k = close
        if k >= end or text[k] != "}":
            raise Unsupported("f-string expression close")
        expression = self.fragment(i + 1, expr_end)
        parts.append(self.place(_M.FormattedStringExpression(expression=expression, conversion=conversion,
                                                            format_spec=spec, equal=equal), i, k + 1))
        return k + 1

    def fragment(self, s: int, e: int) -> Any:
        """The expression written at [s, e), converted on its own (in parentheses) and placed in this text."""
        sub = _Converter("(" + self.text[s:e] + ")")
        try:
            tree = ast.parse(sub.text, mode="eval")
        except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
            raise Unsupported(f"f-string expression: {type(exc).__name__}") from None
        node, _a, _b = sub.expr(tree.body, 1, len(sub.text) - 1)
        shift = s - 1
        pos = self.pos
        for n, packed in sub.pos.items():
            pos[n] = ((packed >> 32) + shift) << 32 | ((packed & _LOW) + shift)
        return node

    def _subscript(self, node: ast.Subscript, s: int, e: int) -> Any:
        value, _vs, ve = self.expr(node.value, s, e)
        i = self.skip(ve, e)
        while i < e and self.text[i] == ")":
            i = self.skip(i + 1, e)
        if self.text[i] != "[":
            raise Unsupported("subscript")
        sl = node.slice
        if type(sl) is ast.Tuple and not self.enclosed(sl, *self.span(sl)):
            parts = list(sl.elts)
            if not parts:
                raise Unsupported("empty subscript tuple")
        else:
            parts = [sl]
        elements = []
        lo, hi = i + 1, e - 1
        spans = [self.span(p) for p in parts]
        for k, p, left, right in _between(parts, spans, lo, hi):
            if type(p) is ast.Slice:
                a, b = spans[k]
                if self.text[b - 1] == ":":  # `x[a :\n]`: a slice ending with its colon owns the space after it
                    b = self.skip(b, right)
                inner = self.slice(p, (a, b))
            elif type(p) is ast.Starred:
                raise Unsupported("starred subscript")
            else:
                v, a, b = self.expr(p, left, right, spans[k])
                inner = self.place(_M.Index(value=v), a, b)
            elements.append(self.place(_M.SubscriptElement(slice=inner), a, b))
        return self.place(_M.Subscript(value=value, slice=elements), s, e)

    def slice(self, node: ast.Slice, sp: tuple[int, int]) -> Any:
        s, e = sp
        parts = [x for x in (node.lower, node.upper, node.step) if x is not None]
        got = {id(x): c[0] for x, c in zip(parts, self.exprs(parts, s, e), strict=True)}
        return self.place(_M.Slice(lower=got.get(id(node.lower)), upper=got.get(id(node.upper)),
                              step=got.get(id(node.step))), s, e)

    def _binop(self, node: ast.BinOp, s: int, e: int) -> Any:
        (left, _a, _b), (right, _c, _d) = self.exprs([node.left, node.right], s, e)
        return self.place(_M.BinaryOperation(left=left, operator=_one(_BINOPS[type(node.op)]), right=right), s, e)

    def _compare(self, node: ast.Compare, s: int, e: int) -> Any:
        parts = self.exprs([node.left, *node.comparators], s, e)
        targets = []
        for k, op in enumerate(node.ops):
            comp, _cs, ce = parts[k + 1]
            start = parts[k][2]  # (LibCST's span of a target starts right after the token before it)
            targets.append(self.place(_M.ComparisonTarget(operator=_one(_CMPOPS[type(op)]), comparator=comp),
                                      start, ce))
        return self.place(_M.Comparison(left=parts[0][0], comparisons=targets), s, e)

    def _boolop(self, node: ast.BoolOp, s: int, e: int) -> Any:
        parts = self.exprs(node.values, s, e)
        op = _one(_BOOL[type(node.op)])
        out, start, _end = parts[0]
        for nxt, _ns, ne in parts[1:]:  # left-nested: `a and b and c` is `(a and b) and c`
            out = self.place(_M.BooleanOperation(left=out, operator=op, right=nxt), start, ne)
        return out

    def _unary(self, node: ast.UnaryOp, s: int, e: int) -> Any:
        lo = s + (3 if type(node.op) is ast.Not else 1)
        operand, _a, _b = self.expr(node.operand, lo, e)
        return self.place(_M.UnaryOperation(operator=_one(_UNARY[type(node.op)]), expression=operand), s, e)

    def elements(self, elts: list[Any], lo: int, hi: int) -> list[Any]:
        out = []
        spans = [self.span(n) for n in elts]
        for k, n, left, right in _between(elts, spans, lo, hi):
            if type(n) is ast.Starred:
                s = spans[k][0]
                value, _vs, ve = self.expr(n.value, s + 1, right)
                out.append(self.place(_M.StarredElement(value=value), s, ve))
            else:
                value, vs, ve = self.expr(n, left, right, spans[k])
                out.append(self.place(_M.Element(value=value), vs, ve))
        return out

    def enclosed(self, node: ast.Tuple, s: int, e: int) -> bool:
        """Are the parentheses at `s` and `e - 1` the tuple's own (`(a, b)`), not its first and last elements'
        (`(a), (b)`)? Counted in the gaps between the elements, where every bracket is a parenthesis."""
        if self.text[s] != "(":
            return False
        if not node.elts:
            return True
        text = self.text
        depth = 0
        gaps = [(s, self.span(node.elts[0])[0])]
        for a, b in zip(node.elts, node.elts[1:], strict=False):
            gaps.append((self.span(a)[1], self.span(b)[0]))
        gaps.append((self.span(node.elts[-1])[1], e))
        last = len(gaps) - 1
        for k, (lo, hi) in enumerate(gaps):
            i = self.skip(lo, hi)
            while i < hi:
                ch = text[i]
                if ch == "(":
                    depth += 1
                elif ch == ")":
                    depth -= 1
                    if depth == 0 and (k < last or self.skip(i + 1, hi) < hi):
                        return False
                i = self.skip(i + 1, hi)
        return True

    def _tuple(self, node: ast.Tuple, s: int, e: int) -> Any:
        if self.enclosed(node, s, e):
            # its own parentheses are outside LibCST's span (as all parentheses a node owns), and so is the space
            # inside them: the span runs from the first element to the last one's trailing comma
            elements = self.elements(node.elts, s + 1, e - 1)
            if not elements:
                return self.place(_M.Tuple(elements=[], lpar=_PARENS[0], rpar=_PARENS[1]), s + 1, s + 1)
            end = self.end(elements[-1])
            i = self.skip(end, e - 1)
            if self.text[i] == ",":
                end = i + 1
            return self.place(_M.Tuple(elements=elements, lpar=_PARENS[0], rpar=_PARENS[1]),
                              self.start(elements[0]), end)
        return self.place(_M.Tuple(elements=self.elements(node.elts, s, e)), s, e)

    def _list(self, node: ast.List, s: int, e: int) -> Any:
        return self.place(_M.List(elements=self.elements(node.elts, s + 1, e - 1)), s, e)

    def _set(self, node: ast.Set, s: int, e: int) -> Any:
        return self.place(_M.Set(elements=self.elements(node.elts, s + 1, e - 1)), s, e)

    def _dict(self, node: ast.Dict, s: int, e: int) -> Any:
        out = []
        items = []
        for k, v in zip(node.keys, node.values, strict=True):
            items.append((k, v, self.span(k) if k is not None else None, self.span(v)))
        lo, hi = s + 1, e - 1
        last = len(items) - 1
        prev_end = lo
        for idx, (k, v, ks, vs) in enumerate(items):
            if idx < last:
                _nk, _nv, nks, nvs = items[idx + 1]
                right = nks[0] if nks is not None else self.text.rfind("**", vs[1], nvs[0])
            else:
                right = hi
            if k is None:
                star = self.text.rfind("**", prev_end, vs[0])
                value, _a, ve = self.expr(v, star + 2, right, vs)
                out.append(self.place(_M.StarredDictElement(value=value), star, ve))
                prev_end = ve
            else:
                assert ks is not None
                key, ka, kb = self.expr(k, prev_end, vs[0], ks)
                value, _a, ve = self.expr(v, kb, right, vs)
                out.append(self.place(_M.DictElement(key=key, value=value), ka, ve))
                prev_end = ve
        return self.place(_M.Dict(elements=out), s, e)

    def _ifexp(self, node: ast.IfExp, s: int, e: int) -> Any:
        (body, _a, _b), (test, _c, _d), (orelse, _e, _f) = self.exprs([node.body, node.test, node.orelse], s, e)
        return self.place(_M.IfExp(test=test, body=body, orelse=orelse), s, e)

    def _lambda(self, node: ast.Lambda, s: int, e: int) -> Any:
        bs = self.span(node.body)
        colon = self.after_params(node.args, s + 6, bs[0], ":")
        body, _a, _b = self.expr(node.body, colon + 1, e, bs)
        params = self.parameters(node.args, s + 6, colon)
        return self.place(_M.Lambda(params=params, body=body), s, e)

    def _await(self, node: ast.Await, s: int, e: int) -> Any:
        value, _a, _b = self.expr(node.value, s + 5, e)
        return self.place(_M.Await(expression=value), s, e)

    def _yield(self, node: Any, s: int, e: int) -> Any:
        if type(node) is ast.YieldFrom:
            frm = self.skip(s + 5, e)
            value, _a, ve = self.expr(node.value, frm + 4, e)
            return self.place(_M.Yield(value=self.place(_M.From(item=value), frm, ve)), s, e)
        value = self.expr(node.value, s + 5, e)[0] if node.value is not None else None
        return self.place(_M.Yield(value=value), s, e)

    def _named(self, node: ast.NamedExpr, s: int, e: int) -> Any:
        (target, _a, _b), (value, _c, _d) = self.exprs([node.target, node.value], s, e)
        return self.place(_M.NamedExpr(target=target, value=value), s, e)

    def _comp(self, node: Any, s: int, e: int) -> Any:
        kind = type(node)
        if kind is ast.GeneratorExp:
            enclosed = self.text[s] == "("
            return self._genexp(node, s + 1 if enclosed else s, e - 1 if enclosed else e, enclosed)
        if kind is ast.DictComp:
            (key, _a, _b), (value, _c, ve) = self.exprs([node.key, node.value], s + 1, self.for_start(node, s))
            for_in = self.comprehension(node.generators, ve, e - 1)
            return self.place(_M.DictComp(key=key, value=value, for_in=for_in), s, e)
        elt, _a, ee = self.expr(node.elt, s + 1, self.for_start(node, s))
        for_in = self.comprehension(node.generators, ee, e - 1)
        cls = cst.ListComp if kind is ast.ListComp else cst.SetComp
        return self.place(_mk(cls, elt=elt, for_in=for_in), s, e)

    def _genexp(self, node: ast.GeneratorExp, lo: int, hi: int, enclosed: bool) -> Any:
        # (its span: the element to the last `for` or `if`, without the parentheses or the space inside them)
        elt, es, ee = self.expr(node.elt, lo, self.for_start(node, lo))
        for_in = self.comprehension(node.generators, ee, hi)
        if enclosed:
            return self.place(_M.GeneratorExp(elt=elt, for_in=for_in, lpar=_PARENS[0], rpar=_PARENS[1]), es,
                              self.end(for_in))
        return self.place(_M.GeneratorExp(elt=elt, for_in=for_in), es, self.end(for_in))

    def for_start(self, node: Any, lo: int) -> int:
        """Where the first `for` (or `async for`) of a comprehension starts: before its target."""
        g = node.generators[0]
        ts = self.span(g.target)[0]
        at = self.text.rfind("for", lo, ts)
        if at < 0:
            raise Unsupported("comprehension")
        if g.is_async:
            at = self.text.rfind("async", lo, at)
        return at

    def comprehension(self, gens: list[ast.comprehension], lo: int, hi: int) -> Any:
        """ast's generators as LibCST's chain of CompFor, each (and each CompIf) starting right after the token
        before it and running to the end of the chain."""
        built = []
        prev = lo
        for idx, g in enumerate(gens):
            ts, iter_sp = self.span(g.target), self.span(g.iter)
            kw = self.text.rfind("for", prev, ts[0])
            target, _ts, target_end = self.expr(g.target, kw + 3, iter_sp[0], ts)
            if idx + 1 < len(gens):  # the next generator's `for` (or `async`) bounds this one's last part
                nxt = gens[idx + 1]
                right = self.text.rfind("for", self.span(g.ifs[-1])[1] if g.ifs else iter_sp[1],
                                        self.span(nxt.target)[0])
                if nxt.is_async:
                    right = self.text.rfind("async", prev, right)
            else:
                right = hi
            spans = [iter_sp, *(self.span(c) for c in g.ifs)]
            iter_, _is, last_end = self.expr(g.iter, target_end, spans[1][0] if len(spans) > 1 else right, iter_sp)
            ifs = []
            for j, cond in enumerate(g.ifs, start=1):
                kw_if = self.text.rfind("if", last_end, spans[j][0])
                test, _cs, test_end = self.expr(cond, kw_if + 2, spans[j + 1][0] if j + 1 < len(spans) else right,
                                                spans[j])
                ifs.append(self.place(_M.CompIf(test=test), last_end, test_end))
                last_end = test_end
            built.append((g, prev, target, iter_, ifs))
            prev = last_end
        inner = None
        for g, start, target, iter_, ifs in reversed(built):
            asynchronous = None
            if g.is_async:
                at = self.text.find("async", start)
                asynchronous = self.place(_one_async(), at, at + 5)
            inner = self.place(_M.CompFor(target=target, iter=iter_, ifs=ifs, inner_for_in=inner,
                                   asynchronous=asynchronous), start, prev)
        return inner

    # ------------------------------------------------------------ parameters
    def parameters(self, args: ast.arguments, lo: int, hi: int) -> Any:
        """`lo`/`hi`: the text between the parameters' brackets (or `lambda` and its colon)."""
        pos_all = [*args.posonlyargs, *args.args]
        defaults: list[Any] = [None] * (len(pos_all) - len(args.defaults)) + list(args.defaults)
        order: list[tuple[int, str, Any, Any]] = []
        for a, d in zip(pos_all, defaults, strict=True):
            order.append((self.span(a)[0], "", a, d))
        if args.vararg is not None:
            order.append((self.span(args.vararg)[0], "*", args.vararg, None))
        for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            order.append((self.span(a)[0], "", a, d))
        if args.kwarg is not None:
            order.append((self.span(args.kwarg)[0], "**", args.kwarg, None))
        order.sort(key=lambda t: t[0])
        made: dict[int, Any] = {}
        for k, (s, star, a, d) in enumerate(order):
            right = order[k + 1][0] if k + 1 < len(order) else hi
            if star:
                s = self.text.rfind(star, lo, s)
            name = self.place(_M.Name(value=a.arg), s + len(star), s + len(star) + len(a.arg))
            end = s + len(star) + len(a.arg)
            ann = None
            if a.annotation is not None:
                asp = self.span(a.annotation)
                av, aa, ab = self.expr(a.annotation, self.text.find(":", end) + 1,
                                       self.span(d)[0] if d is not None else right, asp)
                ann = self.place(_M.Annotation(annotation=av), aa, ab)
                end = ab
            dv = None
            if d is not None:
                dv, _da, end = self.expr(d, self.text.find("=", end) + 1, right)
            made[id(a)] = self.place(_M.Param(name=name, annotation=ann, default=dv, star=star),
                                     s, s + len(star) + len(a.arg))
        kw: dict[str, Any] = {
            "posonly_params": [made[id(a)] for a in args.posonlyargs],
            "params": [made[id(a)] for a in args.args],
            "kwonly_params": [made[id(a)] for a in args.kwonlyargs],
        }
        bare_star = None
        if args.vararg is not None:
            kw["star_arg"] = made[id(args.vararg)]
        elif args.kwonlyargs:
            # `*,`: from the star to the next parameter (its comma and the space after it are its own)
            first_kw = self.start(made[id(args.kwonlyargs[0])])
            prev_end = max((self.pos[made[id(a)]] & _LOW for a in pos_all), default=lo)
            star_at = self.text.find("*", prev_end, first_kw)
            bare_star = kw["star_arg"] = self.place(_M.ParamStar(), star_at, first_kw)
        if args.kwarg is not None:
            kw["star_kwarg"] = made[id(args.kwarg)]
        if args.posonlyargs:
            kw["posonly_ind"] = _one(cst.ParamSlash)
        params = _M.Parameters(**kw)
        if not order:
            at = self.skip(lo, hi)
            return self.place(params, at, at)
        # LibCST's span: the first parameter's start (or the bare `*`'s) up to the closing parenthesis (the last
        # parameter, or its trailing comma, owns the space before it)
        first = order[0][0] if not order[0][1] else self.text.rfind(order[0][1], lo, order[0][0])
        if bare_star is not None:
            first = min(first, self.start(bare_star))
        return self.place(params, first, hi)

    # ------------------------------------------------------------ statements
    def block_items(self, stmts: list[Any]) -> list[Any]:
        """A body's statements; small statements sharing a line (`a = 1; b = 2`) are one SimpleStatementLine."""
        out: list[Any] = []
        group: list[Any] = []
        for st in stmts:
            if isinstance(st, _SMALL):
                if group and group[-1].end_lineno != st.lineno:
                    out.append(self.line(group))
                    group = []
                group.append(st)
            else:
                if group:
                    out.append(self.line(group))
                    group = []
                out.append(self.compound(st))
        if group:
            out.append(self.line(group))
        return out

    def line(self, group: list[Any]) -> Any:
        body = [self.small(st) for st in group]
        return self.place(_M.SimpleStatementLine(body=body), self.start(body[0]), self.end(body[-1]))

    def suite(self, stmts: list[Any]) -> Any:
        """A compound statement's body: on the header's line (`if x: return`) or an indented block."""
        first = self.span(stmts[0])[0]
        i = first - 1
        text = self.text
        while i >= 0 and text[i] in " \t":
            i -= 1
        if i >= 0 and text[i] == ":":
            if not all(isinstance(st, _SMALL) for st in stmts):
                raise Unsupported("suite")
            body = [self.small(st) for st in stmts]
            return self.place(_M.SimpleStatementSuite(body=body), self.start(body[0]), self.end(body[-1]))
        body = self.block_items(stmts)
        return self.place(_M.IndentedBlock(body=body), self.start(body[0]), self.end(body[-1]))

    def small(self, st: Any) -> Any:
        s, e = self.span(st)
        kind = type(st)
        if kind is ast.Expr:
            value, _a, _b = self.expr(st.value, s, e)
            return self.place(_M.Expr(value=value), s, e)
        if kind is ast.Assign:
            parts = self.exprs([*st.targets, st.value], s, e)
            targets = [self.place(_M.AssignTarget(target=t), ts, te) for t, ts, te in parts[:-1]]
            return self.place(_M.Assign(targets=targets, value=parts[-1][0]), s, e)
        if kind is ast.AnnAssign:
            nodes = [st.target, st.annotation] + ([st.value] if st.value is not None else [])
            parts = self.exprs(nodes, s, e)
            ann = self.place(_M.Annotation(annotation=parts[1][0]), parts[1][1], parts[1][2])
            value = parts[2][0] if st.value is not None else None
            return self.place(_M.AnnAssign(target=parts[0][0], annotation=ann, value=value), s, e)
        if kind is ast.AugAssign:
            (target, _a, _b), (value, _c, _d) = self.exprs([st.target, st.value], s, e)
            return self.place(_M.AugAssign(target=target, operator=_one(_AUGOPS[type(st.op)]), value=value), s, e)
        if kind is ast.Return:
            value = self.expr(st.value, s + 6, e)[0] if st.value is not None else None
            return self.place(_M.Return(value=value), s, e)
        if kind is ast.Raise:
            if st.exc is None:
                return self.place(_M.Raise(), s, e)
            if st.cause is None:
                return self.place(_M.Raise(exc=self.expr(st.exc, s + 5, e)[0]), s, e)
            (exc, _a, xe), (cause, cs, ce) = self.exprs([st.exc, st.cause], s + 5, e)
            frm = self.skip(xe, cs)
            return self.place(_M.Raise(exc=exc, cause=self.place(_M.From(item=cause), frm, ce)), s, e)
        if kind is ast.Assert:
            nodes = [st.test] + ([st.msg] if st.msg is not None else [])
            parts = self.exprs(nodes, s + 6, e)
            return self.place(_M.Assert(test=parts[0][0], msg=parts[1][0] if st.msg is not None else None), s, e)
        if kind is ast.Delete:
            parts = self.exprs(st.targets, s + 3, e)
            if len(parts) == 1:
                target = parts[0][0]
            else:
                els = [self.place(_M.Element(value=v), vs, ve) for v, vs, ve in parts]
                target = self.place(_M.Tuple(elements=els), parts[0][1], parts[-1][2])
            return self.place(_M.Del(target=target), s, e)
        if kind is ast.Pass:
            return self.place(_M.Pass(), s, e)
        if kind is ast.Break:
            return self.place(_M.Break(), s, e)
        if kind is ast.Continue:
            return self.place(_M.Continue(), s, e)
        if kind is ast.Global or kind is ast.Nonlocal:
            items = []
            for m in _IDENT.finditer(self.text, s + (6 if kind is ast.Global else 8), e):
                name = self.place(_M.Name(value=m.group()), m.start(), m.end())
                items.append(self.place(_M.NameItem(name=name), m.start(), m.end()))
            if [n.name.value for n in items] != list(st.names):
                raise Unsupported("global")
            return self.place(_mk(cst.Global if kind is ast.Global else cst.Nonlocal, names=items), s, e)
        if kind is ast.Import:
            return self.place(_M.Import(names=[self.alias(a) for a in st.names]), s, e)
        if kind is ast.ImportFrom:
            return self.import_from(st, s, e)
        raise Unsupported(kind.__name__)

    def dotted(self, s: int, e: int, want: str) -> Any:
        """`a.b.c` written at [s, e) as LibCST's Name / Attribute chain."""
        out: Any = None
        for m in _IDENT.finditer(self.text, s, e):
            name = self.place(_M.Name(value=m.group()), m.start(), m.end())
            out = name if out is None else self.place(_M.Attribute(value=out, attr=name), s, m.end())
        if out is None or _dotted_text(out) != want:
            raise Unsupported("dotted name")
        return out

    def alias(self, a: ast.alias) -> Any:
        s, e = self.span(a)
        if a.asname is None:
            name = self.dotted(s, e, a.name)
            return self.place(_M.ImportAlias(name=name), s, e)
        m = re.compile(r"\s+as\s+").search(self.text, s, e)
        if m is None:
            raise Unsupported("import alias")
        name = self.dotted(s, m.start(), a.name)
        as_start = self.skip(m.end(), e)
        target = self.place(_M.Name(value=a.asname), as_start, e)
        asname = self.place(_M.AsName(name=target), self.end(name), e)
        return self.place(_M.ImportAlias(name=name, asname=asname), s, e)

    def import_from(self, st: ast.ImportFrom, s: int, e: int) -> Any:
        i = self.skip(s + 4, e)
        relative = []
        while self.text[i] == ".":
            relative.append(self.place(_M.Dot(), i, i + 1))
            i = self.skip(i + 1, e)
        if len(relative) != (st.level or 0):
            raise Unsupported("relative import")
        module = None
        if st.module is not None:
            m = re.compile(r"\s+import\b").search(self.text, i, e)
            if m is None:
                raise Unsupported("import")
            module = self.dotted(i, m.start(), st.module)
        if len(st.names) == 1 and st.names[0].name == "*":
            star = self.text.rfind("*", s, e)
            names: Any = self.place(_M.ImportStar(), star, star + 1)
        else:
            names = [self.alias(a) for a in st.names]
        return self.place(_M.ImportFrom(module=module, names=names, relative=relative), s, e)

    def compound(self, st: Any) -> Any:
        s, e = self.span(st)
        kind = type(st)
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef or kind is ast.ClassDef:
            return self.definition(st, s, e)
        if kind is ast.If:
            if s in self.aliases:
                return self.type_alias(st, s, e)
            return self.if_(st, s, e)
        if kind is ast.For or kind is ast.AsyncFor:
            kw = self.text.find("for", s) + 3 if kind is ast.AsyncFor else s + 3
            (target, _a, _b), (it, _c, ie) = self.exprs([st.target, st.iter], kw, self.span(st.body[0])[0])
            body = self.suite(st.body)
            orelse = self.else_(st.orelse, self.end(body), e)
            return self.place(_M.For(target=target, iter=it, body=body, orelse=orelse,
                                  asynchronous=self.place(_one_async(), s, s + 5) if kind is ast.AsyncFor else None), s, e)
        if kind is ast.While:
            test, _a, _b = self.expr(st.test, s + 5, self.span(st.body[0])[0])
            body = self.suite(st.body)
            orelse = self.else_(st.orelse, self.end(body), e)
            return self.place(_M.While(test=test, body=body, orelse=orelse), s, e)
        if kind is ast.With or kind is ast.AsyncWith:
            return self.with_(st, s, e)
        if kind is ast.Try:
            return self.try_(st, s, e)
        if kind is ast.Match or kind.__name__ == "TypeAlias":  # (`type X = V`: an ast from 3.12 on knows it)
            return self.statement(st, s, e)
        raise Unsupported(kind.__name__)

    def statement(self, st: Any, s: int, e: int) -> Any:
        """LibCST's own tree of the statement at [s, e) (`match`, `type X = ...`), positions shifted: its lines of
        the source parsed as a module, under `if 1:` when indented so that every line keeps its columns."""
        from analyzer.python import parsed

        text = self.source
        line_start = text.rfind("\n", 0, s) + 1
        indent = text[line_start:s]
        if indent.strip(" \t"):
            raise Unsupported(f"{type(st).__name__} after another statement")
        line_end = text.find("\n", e)
        rest = text[e:line_end if line_end >= 0 else len(text)].strip(" \t\r\\")
        if rest and not rest.startswith("#"):
            raise Unsupported(f"{type(st).__name__} before another statement")
        prefix = "if 1:\n" if indent else ""
        start = line_start if indent else s
        try:
            mod = parsed._native_parse(prefix + text[start:e] + "\n")
        except Exception as exc:  # noqa: BLE001 - the whole file goes to LibCST, which reports it
            raise Unsupported(f"statement: {type(exc).__name__}") from None
        node = mod.body[0].body.body[0] if indent else mod.body[0]  # type: ignore[attr-defined,union-attr]
        state = parsed._IndexingCodegenState(default_indent=mod.default_indent, default_newline=mod.default_newline,
                                             indexer=parsed._NO_INDEX)
        parsed._codegen_pass(mod, state)
        shift = start - len(prefix)
        pos = self.pos
        for n, packed in state.computed.items():
            if type(n) not in parsed._SHARED_TYPES:
                pos[n] = ((packed >> 32) + shift) << 32 | ((packed & _LOW) + shift)
        if pos.get(node) != s << 32 | e:
            raise Unsupported("statement span")
        return node

    def definition(self, st: Any, s: int, e: int) -> Any:
        decorators = []
        prev = 0
        for d in st.decorator_list:
            ds = self.span(d)
            at = self.text.rfind("@", prev, ds[0])
            value, _a, de = self.expr(d, at + 1, s, ds)
            decorators.append(self.place(_M.Decorator(decorator=value), at, de))
            prev = de
        m = _DEF_NAME.match(self.text, s)
        if m is None:
            raise Unsupported("definition name")
        name = self.place(_M.Name(value=m.group(1)), m.start(1), m.end(1))
        after = self.skip(m.end(1), e)
        body_start = self.span(st.body[0])[0]
        tparams = None
        lb = m.end(1)
        while self.source[lb] in " \t":
            lb += 1
        if self.source[lb] == "[":  # `class Page[T: Model]`, `def first[T](xs: list[T])` (PEP 695)
            rb = _bracket_end(self.source, lb)
            tparams = self.type_params(lb, rb)
            after = self.skip(rb + 1, e)
        if type(st) is ast.ClassDef:
            bases: list[Any] = []
            keywords: list[Any] = []
            if self.text[after] == "(":
                items = self.arg_items(st.bases, st.keywords)
                close = self.closing(items[-1][1] if items else after + 1, body_start, ")")
                for arg in self.args(items, after + 1, close):
                    (keywords if arg.keyword is not None or arg.star == "**" else bases).append(arg)
            elif self.text[after] != ":":
                raise Unsupported("class header")
            body = self.suite(st.body)
            return self.place(_M.ClassDef(name=name, body=body, bases=bases, keywords=keywords,
                                  decorators=decorators, type_parameters=tparams), s, e)
        if self.text[after] != "(":
            raise Unsupported("def header")
        if st.returns is not None:
            rs = self.span(st.returns)
            arrow = self.text.rfind("->", after, rs[0])
            close = self.text.rfind(")", after, arrow)
        else:
            close = self.close_of(st.args, after + 1, body_start)
        params = self.parameters(st.args, after + 1, close)
        returns = None
        if st.returns is not None:
            colon = self.text.rfind(":", rs[1], body_start)
            rv, ra, rb = self.expr(st.returns, arrow + 2, colon, rs)
            returns = self.place(_M.Annotation(annotation=rv), ra, rb)
        body = self.suite(st.body)
        asynchronous = self.place(_one_async(), s, s + 5) if type(st) is ast.AsyncFunctionDef else None
        return self.place(_M.FunctionDef(name=name, params=params, body=body, decorators=decorators,
                              returns=returns, asynchronous=asynchronous, type_parameters=tparams), s, e)

    def type_params(self, lb: int, rb: int) -> Any:
        """The type parameters written at [lb, rb] (`[T: Model, *Ts, **P]`), parsed by LibCST as those of a
        `type` statement (the same grammar), positions shifted to where they are."""
        from analyzer.python import parsed

        head = "type _"
        try:
            mod = parsed._native_parse(head + self.source[lb:rb + 1] + " = 0\n")
            node = mod.body[0].body[0].type_parameters  # type: ignore[index,union-attr]
        except Exception as exc:  # noqa: BLE001 - the whole file goes to LibCST, which reports it
            raise Unsupported(f"type parameters: {type(exc).__name__}") from None
        state = parsed._IndexingCodegenState(default_indent=mod.default_indent, default_newline=mod.default_newline,
                                             indexer=parsed._NO_INDEX)
        parsed._codegen_pass(mod, state)
        shift, hi = lb - len(head), len(head) + rb + 1 - lb
        pos = self.pos
        for n, packed in state.computed.items():
            if type(n) not in parsed._SHARED_TYPES and packed >> 32 >= len(head) and packed & _LOW <= hi:
                pos[n] = ((packed >> 32) + shift) << 32 | ((packed & _LOW) + shift)
        if pos.get(node) != lb << 32 | (rb + 1):
            raise Unsupported("type parameters span")
        return node

    def type_alias(self, st: ast.If, s: int, e: int) -> Any:
        """`type X = V` (PEP 695), which `_parse` rewrote `if 1:X = V` for an `ast` that predates it: LibCST's own
        tree of the statement's lines."""
        if len(st.body) != 1 or type(st.body[0]) is not ast.Assign:
            raise Unsupported("type statement")
        self.used.add(s)
        return self.statement(st, s, e)

    def close_of(self, args: ast.arguments, lo: int, hi: int) -> int:
        """The `)` closing a def's parameters."""
        return self.after_params(args, lo, hi, ")")

    def after_params(self, args: ast.arguments, lo: int, hi: int, closer: str) -> int:
        """Where the token closing the parameters is (a def's `)`, a lambda's `:`): the first one after the last
        parameter's text, past the last default's own closing parentheses, a trailing comma, `*` and `/`."""
        last = lo
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs, *(x for x in (args.vararg, args.kwarg) if x)]
        for x in [*every, *args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            last = max(last, self.span(x)[1])
        return self.closing(last, hi, closer)

    def closing(self, i: int, hi: int, closer: str) -> int:
        """The closer (`)`, or a lambda's `:`) of a bracketed list whose last item's text ends at `i`: past that
        item's own closing parentheses, a trailing comma, `*` and `/`, never inside a comment."""
        text = self.text
        while True:
            i = self.skip(i, hi)
            if i >= hi:
                raise Unsupported("parameters")
            ch = text[i]
            if ch in ",*/":
                i += 1
            elif ch == closer:
                if closer == ")":  # the last default's own parentheses close here too: the def's is the last
                    j = self.skip(i + 1, hi)
                    if j < hi and text[j] == ")":
                        i = j
                        continue
                return i
            elif ch == ")":
                i += 1
            else:
                raise Unsupported("parameters")

    def if_(self, st: ast.If, s: int, e: int) -> Any:
        kw = 4 if self.text.startswith("elif", s) else 2
        test, _a, _b = self.expr(st.test, s + kw, self.span(st.body[0])[0])
        body = self.suite(st.body)
        orelse = None
        if st.orelse:
            i = self.skip(self.end(body), e)
            if self.text.startswith("elif", i) and len(st.orelse) == 1 and type(st.orelse[0]) is ast.If \
                    and self.span(st.orelse[0])[0] == i:
                orelse = self.if_(st.orelse[0], i, self.span(st.orelse[0])[1])
            else:
                orelse = self.else_(st.orelse, self.end(body), e)
        return self.place(_M.If(test=test, body=body, orelse=orelse), s, e)

    def else_(self, stmts: list[Any], after: int, e: int, cls: type = cst.Else) -> Any:
        if not stmts:
            return None
        i = self.skip(after, e)
        word = "else" if cls is cst.Else else "finally"
        if not self.text.startswith(word, i):
            raise Unsupported(word)
        body = self.suite(stmts)
        return self.place(_mk(cls, body=body), i, self.end(body))

    def with_(self, st: Any, s: int, e: int) -> Any:
        kw = self.text.find("with", s) + 4
        items = []
        body_start = self.span(st.body[0])[0]
        nodes: list[Any] = []
        for it in st.items:
            nodes.append(it.context_expr)
            if it.optional_vars is not None:
                nodes.append(it.optional_vars)
        parts = self.exprs(nodes, kw, body_start)
        if len(nodes) == 1 and parts[0][1] != self.span(nodes[0])[0]:
            # `with (a):` -- the outermost parentheses are the statement's (LibCST's With.lpar), not the item's
            node, inner_s, inner_e = parts[0][0], *self.span(nodes[0])
            opens, closes = self.opens(kw, inner_s), self.closes(inner_e, body_start)
            k = min(len(opens), len(closes)) - 1
            parts = [(node, opens[len(opens) - k], closes[k - 1] + 1) if k else (node, inner_s, inner_e)]
        k = 0
        for it in st.items:
            item, a, b = parts[k]
            k += 1
            asname = None
            end = b
            if it.optional_vars is not None:
                target, _c, d = parts[k]
                k += 1
                asname = self.place(_M.AsName(name=target), b, d)
                end = d
            items.append(self.place(_M.WithItem(item=item, asname=asname), a, end))
        body = self.suite(st.body)
        asynchronous = self.place(_one_async(), s, s + 5) if type(st) is ast.AsyncWith else None
        return self.place(_M.With(items=items, body=body, asynchronous=asynchronous), s, e)

    def try_(self, st: ast.Try, s: int, e: int) -> Any:
        body = self.suite(st.body)
        handlers = []
        after = self.end(body)
        for h in st.handlers:
            hs, he = self.span(h)
            hbody_start = self.span(h.body[0])[0]
            typ = None
            name = None
            if h.type is not None:
                typ, _a, tb = self.expr(h.type, hs + 6, hbody_start)
                if h.name is not None:
                    m = re.compile(r"\s*as\s+").match(self.text, tb) or re.compile(r"\s*as\s+").search(self.text, tb)
                    if m is None:
                        raise Unsupported("except name")
                    ns = m.end()
                    target = self.place(_M.Name(value=h.name), ns, ns + len(h.name))
                    name = self.place(_M.AsName(name=target), tb, ns + len(h.name))
            hbody = self.suite(h.body)
            handlers.append(self.place(_M.ExceptHandler(body=hbody, type=typ, name=name), hs, he))
            after = he
        orelse = self.else_(st.orelse, after, e)
        if orelse is not None:
            after = self.end(orelse)
        finalbody = self.else_(st.finalbody, after, e, cst.Finally)
        return self.place(_M.Try(body=body, handlers=handlers, orelse=orelse, finalbody=finalbody), s, e)

    def module(self, tree: ast.Module) -> Any:
        body = self.block_items(tree.body)
        newline = "\r\n" if "\r\n" in self.text[:self.starts[1] if len(self.starts) > 1 else 0] else "\n"
        module = _M.Module(body=body, default_newline=newline,
                     has_trailing_newline=self.text.endswith(("\n", "\r")))
        return module


def _between(items: list[Any], spans: Any, lo: int, hi: int) -> Iterator[tuple[int, Any, int, int]]:
    """(index, item, left, right) for siblings inside [lo, hi): each one's gaps run from the end of the one before
    it (or `lo`) to the start of the one after it (or `hi`); `spans[k]` starts with the k-th (start, end)."""
    last = len(items) - 1
    for k, item in enumerate(items):
        yield k, item, spans[k - 1][1] if k else lo, spans[k + 1][0] if k < last else hi


def _one_async() -> Any:
    return _M.Asynchronous()


def _dotted_text(node: Any) -> str:
    if type(node) is cst.Name:
        return node.value
    return f"{_dotted_text(node.value)}.{node.attr.value}"


_EXPR: dict[type, Any] = {
    ast.Name: _Converter._name, ast.Attribute: _Converter._attribute, ast.Call: _Converter._call,
    ast.Constant: _Converter._constant, ast.JoinedStr: _Converter._joined, ast.Subscript: _Converter._subscript,
    ast.BinOp: _Converter._binop, ast.Compare: _Converter._compare, ast.BoolOp: _Converter._boolop,
    ast.UnaryOp: _Converter._unary, ast.Tuple: _Converter._tuple, ast.List: _Converter._list, ast.Set: _Converter._set,
    ast.Dict: _Converter._dict, ast.IfExp: _Converter._ifexp, ast.Lambda: _Converter._lambda,
    ast.Await: _Converter._await, ast.Yield: _Converter._yield, ast.YieldFrom: _Converter._yield,
    ast.NamedExpr: _Converter._named, ast.ListComp: _Converter._comp, ast.SetComp: _Converter._comp,
    ast.DictComp: _Converter._comp, ast.GeneratorExp: _Converter._comp,
}
_PARENS = ((cst.LeftParen(),), (cst.RightParen(),))


def convert(text: str) -> tuple[Any, dict[Any, int]]:
    """The module's LibCST tree built from `ast`, and every placed node's position (`start << 32 | end`, str
    offsets). `Unsupported` for anything it does not build exactly, including text `ast` refuses."""
    from analyzer.python import parsed  # noqa: F401 - first: the node classes' hash is made C's (by id) on import,
    # and a node hashed before into `pos` would not be found after (LibCST parses type parameters, `match`)
    if "\r" in text.replace("\r\n", ""):
        raise Unsupported("a lone carriage return")  # ast and LibCST count its lines differently
    cut = text.rfind("\n")
    if cut > 0 and text[cut + 1:] and not text[cut + 1:].strip() and not text[text.rfind("\n", 0, cut) + 1:cut].strip():
        # a blank line, then spaces and no newline at the very end: LibCST's codegen writes them otherwise, and the
        # Module's end (where a finding on the whole module ends) comes from that codegen
        raise Unsupported("a blank line before trailing spaces at the end")
    tree, edited, inserted, aliases = _parse(text)
    conv = _Converter(edited, text if edited != text and not inserted else None, aliases)
    try:
        module = conv.module(tree)
    except RecursionError:
        raise Unsupported("nested too deeply") from None
    except (IndexError, KeyError, AttributeError, ValueError, AssertionError) as exc:
        raise Unsupported(f"converter: {type(exc).__name__}: {exc}") from None
    if conv.used != aliases:
        raise Unsupported("a rewritten type statement")
    if inserted:
        _remap(conv.pos, inserted)
    return module, conv.pos  # (the Module's own position: parsed.ParsedFile sets it, as LibCST's codegen ends it)


#: `except A, B:` (PEP 758, Python 3.14): LibCST reads it as a tuple without parentheses
_EXCEPT_LIST = re.compile(r"([ \t]*except[ \t]+)([^:()#\n]+,[^:#\n]*?)([ \t]*:.*)")
#: PEP 695 (Python 3.12) on a line `ast` refuses: a definition's type parameters, a `type` statement
_GENERIC_DEF = re.compile(r"[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+[^\W\d]\w*[ \t]*(\[)")
_TYPE_ALIAS = re.compile(r"([ \t]*)(type[ \t]+)[^\W\d]\w*[ \t]*(\[|=(?!=))")
_MAX_EDITS = 200


def _parse(text: str) -> tuple[ast.Module, str, list[int], frozenset[int]]:
    """`ast.parse(text)`, where the running Python's grammar predates the syntax, of an edited copy: only a line `ast`
    points at is edited, never a string's or a comment's text. `except A, B:` gets parentheses around the list
    (`except (A, B):`), and the offsets where a character was inserted (in the edited text, ascending) come back for
    `_remap`. PEP 695's type parameters are blanked (`class Page[T]:` reads `class Page   :`; the converter
    parses them from the text as written), and `type X = V` is rewritten `if 1:X = V` (the same length: every
    offset holds), those statements' offsets returned."""
    inserted: list[int] = []
    aliases: set[int] = set()
    blanked = False
    edited = text
    for _ in range(_MAX_EDITS):
        try:
            tree = ast.parse(edited)
        except SyntaxError as exc:
            if not exc.lineno:
                raise Unsupported("ast: SyntaxError") from None
            start = 0
            for _k in range(exc.lineno - 1):
                start = edited.index("\n", start) + 1
            end = edited.find("\n", start)
            end = end if end >= 0 else len(edited)
            m = _EXCEPT_LIST.fullmatch(edited, start, end)
            if m is not None and " as " not in m.group(2) and not blanked:
                a, b = m.start(2), m.end(2)
                edited = f"{edited[:a]}({edited[a:b]}){edited[b:]}"
                inserted = sorted([*(x + 2 if x >= b else x + 1 if x >= a else x for x in inserted), a, b + 1])
                continue
            m = _GENERIC_DEF.match(edited, start, end) or _TYPE_ALIAS.match(edited, start, end)
            if m is None or inserted:
                raise Unsupported("ast: SyntaxError") from None
            if m.re is _TYPE_ALIAS:
                a = m.start(2)  # `type` and a blank -> `if 1:` (the other blanks stay)
                edited = f"{edited[:a]}if 1:{edited[a + 5:]}"
                aliases.add(a)
                blanked = True
                if m.group(3) != "[":
                    continue
            lb = m.start(1) if m.re is _GENERIC_DEF else m.start(3)
            rb = _bracket_end(edited, lb)
            if "\n" in edited[lb:rb]:
                raise Unsupported("type parameters over lines") from None
            edited = edited[:lb] + " " * (rb + 1 - lb) + edited[rb + 1:]
            blanked = True
        except (ValueError, MemoryError, RecursionError) as exc:
            raise Unsupported(f"ast: {type(exc).__name__}") from None
        else:
            return tree, edited, inserted, frozenset(aliases)
    raise Unsupported("ast: too many edits")


def _bracket_end(text: str, lb: int) -> int:
    """The `]` closing the `[` at `lb` (brackets within counted, strings skipped)."""
    depth = 0
    i = lb
    while i < len(text):
        c = text[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                if c != "]":
                    break
                return i
        elif c == "'" or c == '"':
            q = c * 3 if text.startswith(c * 3, i) else c
            close = text.find(q, i + len(q))
            if close < 0:
                break
            i = close + len(q)
            continue
        elif c == "#":
            break
        i += 1
    raise Unsupported("type parameters")


def _remap(pos: dict[Any, int], inserted: list[int]) -> None:
    """Positions in the edited text -> positions in the original: less the characters inserted before them."""
    for node, packed in pos.items():
        s, e = packed >> 32, packed & _LOW
        pos[node] = (s - bisect_right(inserted, s - 1)) << 32 | (e - bisect_right(inserted, e - 1))


# ---------------------------------------------------------------- comparison (scripts/fastparse_compare.py, tests)
_SKIP_FIELDS = frozenset({
    "lpar", "rpar", "comma", "semicolon", "equal", "colon", "dot", "lbracket", "rbracket", "lbrace", "rbrace",
    "leading_lines", "lines_after_decorators", "header", "footer", "newline", "trailing_whitespace", "encoding",
    "default_indent", "default_newline", "has_trailing_newline", "indent", "first_colon", "second_colon",
    "whitespace_after_star", "whitespace_after_param", "posonly_ind"})


def _fields_of(node: Any) -> list[str]:
    return [f.name for f in dataclasses.fields(node) if f.name not in _SKIP_FIELDS and "whitespace" not in f.name]


def tree_difference(real: Any, fast: Any) -> str | None:
    """The first difference between two ParsedFiles of the same text (LibCST's and fastparse's), or None."""
    from analyzer.python import parsed

    def where(pf: Any, node: Any) -> str:
        p = pf._pos.get(node)
        if p is None:
            return "?"
        return f"{p >> 32}-{p & _LOW} {pf.text[p >> 32:(p & _LOW)][:40]!r}"

    stack: list[tuple[Any, Any, str]] = [(real.module, fast.module, "module")]
    while stack:
        a, b, path = stack.pop()
        if type(a) is not type(b):
            return f"{path}: {type(a).__name__} != {type(b).__name__} at {where(real, a)}"
        if isinstance(a, cst.CSTNode):
            if type(a) not in parsed._UNPLACED and type(a) not in parsed._SHARED_TYPES and path != "module":
                pa, pb = real._pos.get(a), fast._pos.get(b)
                if pa is not None and pa != pb:
                    return f"{path}: position {where(real, a)} != {where(fast, b)}"
            for name in _fields_of(a):
                va, vb = getattr(a, name), getattr(b, name)
                if isinstance(va, cst.CSTNode) or isinstance(vb, cst.CSTNode):
                    stack.append((va, vb, f"{path}.{type(a).__name__}.{name}"))
                elif isinstance(va, (list, tuple)) and isinstance(vb, (list, tuple)):
                    if len(va) != len(vb):
                        return f"{path}.{type(a).__name__}.{name}: {len(va)} != {len(vb)} items at {where(real, a)}"
                    for k, (x, y) in enumerate(zip(va, vb, strict=True)):
                        stack.append((x, y, f"{path}.{type(a).__name__}.{name}[{k}]"))
                elif va != vb and not (isinstance(va, cst.MaybeSentinel) and vb is None):
                    return f"{path}.{type(a).__name__}.{name}: {va!r} != {vb!r} at {where(real, a)}"
        elif a != b and not (isinstance(a, cst.MaybeSentinel) or isinstance(b, cst.MaybeSentinel)):
            return f"{path}: {a!r} != {b!r}"
    for kind, entries in real.index.items():
        other = fast.index.get(kind, [])
        if len(entries) != len(other):
            return f"index {kind.__name__}: {len(entries)} != {len(other)} entries"
        for x, y in zip(entries, other, strict=True):
            if real._pos.get(x.node) != fast._pos.get(y.node) or (x.func is None) != (y.func is None) or (
                    x.func is not None and x.func.qualname != y.func.qualname) or (x.cls is None) != (y.cls is None):
                return f"index {kind.__name__}: {where(real, x.node)} != {where(fast, y.node)}"
    if real.imports != fast.imports:
        return f"imports differ: {set(real.imports.items()) ^ set(fast.imports.items())}"
    if [f.qualname for f in real.functions] != [f.qualname for f in fast.functions]:
        return "functions differ"
    for fa, fb in zip(real.functions, fast.functions, strict=True):
        if [fast._pos.get(n) for n in fb.body_nodes or []] != [real._pos.get(n) for n in fa.body_nodes or []]:
            return f"body nodes of {fa.qualname} differ"
    if real._line_starts != fast._line_starts:
        return "line starts differ"
    return None


# ---------------------------------------------------------------- children, for the index walk
_TRIVIA_FIELDS = frozenset({
    "lpar", "rpar", "comma", "semicolon", "equal", "colon", "dot", "lbracket", "rbracket", "lbrace", "rbrace",
    "leading_lines", "lines_after_decorators", "header", "footer", "newline", "trailing_whitespace", "first_colon",
    "second_colon", "operator", "asynchronous", "posonly_ind", "relative", "indent"})


def kid_fields(kind: type) -> tuple[str, ...]:
    """The fields of a node type that can hold a name, call or statement (whitespace, punctuation and operators
    aside), in the order LibCST visits them (`walk._fields`)."""
    from analyzer.python import walk

    order = walk._FIELDS[kind] if kind in walk._FIELDS else walk._fields(kind)
    if order is None:
        order = tuple(f.name for f in dataclasses.fields(kind))
    types = {f.name: f.type for f in dataclasses.fields(kind)}
    return tuple(name for name in order
                 if not (name in _TRIVIA_FIELDS or "whitespace" in name or types.get(name) is str))
