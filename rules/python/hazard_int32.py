from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid, string_value

from analyzer.models import ANY_TARGET, NOT_BIGINT, Finding
from analyzer.python import facts

#: struct format codes that pack one integer, with their width in bytes in standard size ('<', '>', '!', '=')
_STRUCT_WIDTH = {"b": 1, "B": 1, "h": 2, "H": 2, "i": 4, "I": 4, "l": 4, "L": 4, "q": 8, "Q": 8, "n": 8, "N": 8}
#: array typecodes by width (C int and short are 4 and 2 bytes everywhere; C long is 4 bytes on Windows)
_ARRAY_WIDTH = {"b": 1, "B": 1, "h": 2, "H": 2, "i": 4, "I": 4, "l": 4, "L": 4, "q": 8, "Q": 8}
_NUMPY_NARROW = re.compile(r"^(?:u?int(?:8|16|32)|[iu][124]|intc|uintc|short|ushort|byte|ubyte)$")


class Int32Pack(PyRule):
    """The key packed into a fixed-width integer: `struct.pack("<i", ...)`, `array("i", ...)`, `np.int32`.

    Anti-pattern: `struct.pack("<iI", content_id, size)` in a binary protocol or cache key,
    `array("i", ids)`, `np.array(ids, dtype=np.int32)` — a 4-byte slot holds an int4 key and nothing
    wider: a UUID cannot be packed as an integer at all, a bigint past 2**31 - 1 raises `struct.error`
    or wraps silently in numpy. Best practice: pack bigint keys as `q` / `int64`; pack a UUID as its 16
    bytes (`key.bytes`), or send it as text.

    Every target type for a slot of 4 bytes or fewer (`i`, `I`, `l`/`L` in standard size, `h`, `int32`);
    UUID and text only for an 8-byte slot (`q`, `Q`, `int64`), which a bigint fits.
    """

    code, name, layer, kind = "PY067", "hazard.int32", "service", "hazard"
    APPLIES_TO = ANY_TARGET
    VALID = [Valid("import struct\ndef header(size: int, page: int) -> bytes:\n"
                   "    return struct.pack('<iI', page, size)\n"
                   "def sizes(width: int):\n    import numpy as np\n    return np.array([width], dtype=np.int32)\n"),
             # bigint: an 8-byte slot holds an int8 key
             Valid("import struct\ndef frame(content_id: int, size: int) -> bytes:\n"
                   "    return struct.pack('<qI', content_id, size)\n", to="BIGINT")]
    INVALID = [
        Invalid("import struct\ndef frame(content_id: int, size: int) -> bytes:\n"
                "    return struct.pack('<iI', content_id, size)\n", line=3, message_contains="4 bytes"),
        Invalid("import struct\ndef frame(content_id: int, size: int) -> bytes:\n"
                "    return struct.pack('<iI', content_id, size)\n", line=3, message_contains="4 bytes",
                to="BIGINT"),
        Invalid("from array import array\ndef pack_ids(content_id: int):\n    return array('i', [content_id])\n",
                line=3, to="BIGINT"),
        Invalid("import numpy as np\ndef as_vector(content_id: int):\n    return np.int32(content_id)\n",
                line=3, message_contains="int32", to="BIGINT"),
        Invalid("import struct\ndef frame(content_id: int) -> bytes:\n    return struct.pack('>q', content_id)\n",
                line=3, message_contains="8 bytes"),
        Invalid("import numpy as np\ndef as_vector(content_id: int, other: int):\n"
                "    return np.asarray([content_id, other], dtype='int32')\n", line=3, message_contains="dtype",
                to="BIGINT"),
    ]

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        pf = ctx.pf
        tails = {"pack", "pack_into", "array", "asarray", "fromiter", *_numpy_names()}
        for entry in pf.calls_resolving(tails):
            call = entry.node
            assert isinstance(call, cst.Call)
            if not any(q.rsplit(".", 1)[-1] in tails
                                                                for q in pf.qnames(call.func)):
                continue  # none of the calls below, whatever the package
            args = facts.positional(call)
            slots: list[tuple[cst.BaseExpression, int, str]] = []  # (value, width in bytes, what packs it)
            if pf.resolves_to(call.func, "pack", "pack_into", packages=("struct",)) and args:
                fmt = string_value(args[0].value)
                values = args[1:] if pf.code(call.func).endswith("pack") else args[3:]
                if fmt is not None:
                    slots = [(v.value, w, f"`{code}`")
                             for v, (code, w) in zip(values, _struct_slots(fmt), strict=False) if w is not None]
            elif pf.resolves_to(call.func, "array", packages=("array",)) and len(args) >= 2:
                code = string_value(args[0].value)
                if code in _ARRAY_WIDTH:
                    slots = [(args[1].value, _ARRAY_WIDTH[code], f"typecode `{code}`")]
            elif pf.resolves_to(call.func, *_numpy_names(), packages=("numpy",)) and args:
                name = pf.code(call.func).rsplit(".", 1)[-1]
                slots = [(args[0].value, _numpy_width(name), name)]
            elif pf.resolves_to(call.func, "array", "asarray", "fromiter", packages=("numpy",)) and args:
                dtype = facts.kwarg(call, "dtype")
                width = _dtype_width(dtype.value) if dtype is not None else None
                if width is not None:
                    slots = [(args[0].value, width, f"dtype `{pf.code(dtype.value)}`")]  # type: ignore[union-attr]
            for value, width, what in slots:
                ev = ctx.key(entry.func, value) or _holds_keys(ctx, entry.func, value)
                if ev is None:
                    continue
                yield ctx.finding(self, call, ctx.symbol(entry.func),
                                  f"`{pf.code(call.func)}` packs the key into {width} bytes ({what})",
                                  evidence=ev[0], target=ev[1], layer=ctx.layer_of(entry.func, "other"),
                                  review="pack a bigint as `q` / int64; a UUID as its 16 bytes (`key.bytes`)",
                                  applies_to=ANY_TARGET if width < 8 else NOT_BIGINT)
                break


def _struct_slots(fmt: str) -> list[tuple[str, int | None]]:
    """(code, width) per value a struct format consumes; width None for non-integer codes. Native size
    (no prefix or '@') makes `l`/`L` the platform's C long: counted as 4 bytes, as on Windows."""
    out: list[tuple[str, int | None]] = []
    body = fmt[1:] if fmt[:1] in "@=<>!" else fmt
    for count, code in re.findall(r"(\d*)([a-zA-Z?])", body):
        n = int(count) if count else 1
        if code in "sp":
            out.append((code, None))  # one bytes value however long
        elif code == "x":
            continue
        else:
            out.extend([(code, _STRUCT_WIDTH.get(code))] * n)
    return out


def _numpy_names() -> tuple[str, ...]:
    return ("int8", "int16", "int32", "uint8", "uint16", "uint32", "intc", "uintc", "short", "ushort", "int64",
            "uint64", "longlong")


def _numpy_width(name: str) -> int:
    return 8 if name in ("int64", "uint64", "longlong") else 2 if "16" in name or "short" in name else \
        1 if "8" in name else 4


def _dtype_width(node: cst.BaseExpression) -> int | None:
    text = string_value(node) if isinstance(node, cst.SimpleString) else \
        (node.attr.value if isinstance(node, cst.Attribute) else None)
    if text is None:
        return None
    if _NUMPY_NARROW.match(text):
        return _numpy_width("int32" if text in ("i4", "u4", "intc", "uintc") else
                            "int16" if text in ("i2", "u2") else "int8" if text in ("i1", "u1", "byte", "ubyte")
                            else text)
    if text in ("int64", "uint64", "i8", "u8", "longlong"):
        return 8
    return None


def _holds_keys(ctx: FileCtx, fi, value: cst.BaseExpression):  # type: ignore[no-untyped-def]
    """A list/tuple literal or a comprehension whose elements are the key (`[content_id]`, `[i.id for i in xs]`)."""
    if isinstance(value, (cst.List, cst.Tuple, cst.Set)):
        for el in value.elements:
            ev = ctx.key(fi, el.value)
            if ev is not None:
                return ev
    if isinstance(value, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
        return ctx.key(fi, value.elt)
    return None
