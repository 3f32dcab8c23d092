"""The Python files a change can reach: what diff mode scans when no scan of the base is cached.

A full scan learns to a fixed point over every file that names the key; the findings on a pull request's lines
depend on far fewer. `reach` picks them from the raw texts (no parse), in tiers of decreasing use:

1. the changed files' pytest `conftest.py` files, the modules they import (each imported name followed through
   a package's `__init__` to the module defining it), the files mapping an affected table whose classes they
   name (and what those import: their bases and mixins), and the files mounting routers when the changed files
   declare routes or request URLs (the routes' templates are made there);
2. the files importing a changed module (their calls teach the changed functions' parameters), and the route
   files whose paths hold a segment of the URLs the changed files request;
3. one step further: what the modules they import import, what the callers import, the callers' callers, the
   models the context names;
4. every file mapping an affected table (`__tablename__`, `table=True`, `Table("name", ...)`, a Flask-SQLAlchemy
   model: the key model is learned from them) and what the context imports;
5. what the models import.

Tiers are taken while their texts fit a character budget (parse and learning cost grows with it); of the tier
that does not fit, the files sharing the most names with the changed files first. The engine's word prefilter
still decides which admitted files are parsed (analyzer.python.engine `admit`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath

from analyzer.python.parsed import module_name

_LINE_FROM = re.compile(r"[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(.*)", re.S)
_LINE_IMPORT = re.compile(r"[ \t]*import[ \t]+(.*)", re.S)
_NAME = re.compile(r"(\w+)(?:\s+as\s+\w+)?")
_TABLE_TRUE = re.compile(r"table\s*=\s*True")
#: a route decorator (`@router.get(`); routers and mounts are told by their names (C-speed substring tests)
_DECORATOR = re.compile(r"^[ \t]*@[\w.]+\.(?:get|post|put|patch|delete|route|api_route|websocket)\(", re.M)
_ROUTER_WORDS = ("APIRouter(", "Blueprint(", ".add_api_route(", ".add_url_rule(", "view_func=")
_MOUNT_WORDS = ("include_router", "register_blueprint")
_STRING = re.compile(r"""(["'])([^"'\n]*/[^"'\n]*)\1""")
_SEGMENT = re.compile(r"^[A-Za-z][\w-]{2,}$")
_GENERIC_SEGMENT = re.compile(r"^(?:api|v\d+|https?:?|www|localhost)$", re.I)


class Modules:
    """Module names of the scanned files and their imports, read from the text with regular expressions."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts
        self._by_suffix: dict[str, list[str]] = {}
        for path in texts:
            if not path.endswith(".py"):
                continue
            parts = module_name(path).split(".")
            for i in range(len(parts)):
                self._by_suffix.setdefault(".".join(parts[i:]), []).append(path)
        self._deps: dict[str, frozenset[str]] = {}
        self._imports: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        self._importers: dict[str, set[str]] | None = None
        self._near: dict[tuple[str, str], str] = {}

    def find(self, module: str, near: str) -> str | None:
        """The file of a dotted module name, the one sharing the longest folder prefix with `near` when
        several end so (`polar.models` under `server/` and under `sdk/python/`)."""
        found = self._by_suffix.get(module)
        if not found:
            return None
        if len(found) == 1:
            return found[0]
        folder = near.rpartition("/")[0]
        key = (module, folder)
        got = self._near.get(key)
        if got is None:
            here = folder.split("/")
            got = self._near[key] = max(found, key=lambda p: (_common(p.split("/"), here), -len(p)))
        return got

    def imports(self, path: str) -> list[tuple[str, tuple[str, ...]]]:
        """(absolute dotted module, names imported from it) per import statement of the file."""
        got = self._imports.get(path)
        if got is None:
            got = self._imports[path] = self._read_imports(path)
        return got

    def _read_imports(self, path: str) -> list[tuple[str, tuple[str, ...]]]:
        package = module_name(path).split(".")
        if not path.endswith("__init__.py"):
            package = package[:-1]
        out: list[tuple[str, tuple[str, ...]]] = []
        for dots, module, names in _statements(self.texts.get(path, "")):
            if names is None:  # import a.b, c as d
                out.extend((part.split()[0], ()) for part in module.split(",") if part.split())
                continue
            if dots:
                base = package[:len(package) - len(dots) + 1] if len(dots) > 1 else package
                module = ".".join([*base, *([module] if module else [])])
            listed = tuple(n.group(1) for line in names.split("\n") for n in _NAME.finditer(line.split("#")[0])
                           if n.group(1) != "import")
            out.append((module, listed))
        return out

    def deps(self, path: str) -> frozenset[str]:
        """The files `path` imports, each imported name followed through package `__init__` re-exports."""
        got = self._deps.get(path)
        if got is None:
            got = self._deps[path] = frozenset(self._resolve_all(path))
        return got

    def _resolve_all(self, path: str) -> set[str]:
        out: set[str] = set()
        for module, names in self.imports(path):
            if not module:
                continue
            target = self.find(module, path)
            if not names:
                if target is not None:
                    out.add(target)
                continue
            for name in names:
                sub = self.find(f"{module}.{name}", path)  # `from pkg import module`
                if sub is not None:
                    out.add(sub)
                elif target is not None:
                    out.add(self._defining(target, name, 3))
        out.discard(path)
        return out

    def _defining(self, path: str, name: str, depth: int) -> str:
        """The module a package re-exports `name` from (`from .organization import Organization` in
        `models/__init__.py`), else `path` itself."""
        if depth == 0 or not path.endswith("__init__.py"):
            return path
        for module, names in self.imports(path):
            if name in names:
                target = self.find(module, path)
                if target is not None and target != path:
                    return self._defining(target, name, depth - 1)
        return path

    def importers(self, path: str) -> set[str]:
        """The files importing `path` (or a name a package re-exports from it)."""
        if self._importers is None:  # every file's imports, once: a few tenths of a second on 3,000 files
            self._importers = {}
            for p in self.texts:
                if p.endswith(".py"):
                    for d in self.deps(p):
                        self._importers.setdefault(d, set()).add(p)
        return self._importers.get(path, set())


def _statements(text: str) -> list[tuple[str, str, str | None]]:
    """A module's import statements as (dots, module, names) for `from` imports and ("", modules, None) for
    `import` ones, found from each `import` word (a scan by regular expression over the whole text costs
    four times as much; the context reads every file's imports)."""
    out: list[tuple[str, str, str | None]] = []
    i = text.find("import")
    while i != -1:
        start = text.rfind("\n", 0, i) + 1
        end = text.find("\n", i)
        end = len(text) if end == -1 else end
        head = text[start:end].lstrip()
        if not (head.startswith("from ") or head.startswith("import ")):
            i = text.find("import", i + 6)
            continue
        line = text[start:end]
        if "(" in line and ")" not in line:  # from x import (\n a,\n b)
            close = text.find(")", end)
            end = end if close == -1 else close + 1
        while text[start:end].endswith("\\"):  # from x import a, \\\n b
            nxt = text.find("\n", end + 1)
            end = len(text) if nxt == -1 else nxt
        line = text[start:end]
        m = _LINE_FROM.match(line)
        if m:
            out.append((m.group(1), m.group(2), m.group(3).replace("(", " ").replace(")", " ").replace("\\", " ")))
        else:
            m = _LINE_IMPORT.match(line)
            if m:
                out.append(("", m.group(1).split("#")[0], None))
        i = text.find("import", end)
    return out


def _common(a: list[str], b: list[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _routes(text: str) -> bool:
    """Does this file declare routes or a router?"""
    return any(w in text for w in _ROUTER_WORDS) or ("@" in text and _DECORATOR.search(text) is not None)


def _mounts(text: str) -> bool:
    """Does this file mount routers under a prefix (which makes the routes' templates)?"""
    return any(w in text for w in _MOUNT_WORDS)


def maps_a_table(text: str, tables: Iterable[str]) -> bool:
    """Does this file declare an ORM class or table of one of `tables` (the key model is learned from it)?"""
    if not ("__tablename__" in text or "Table(" in text or ".Model" in text
            or ("True" in text and _TABLE_TRUE.search(text))):
        return False
    from analyzer.python.prefilter import mentions

    return any(mentions(text, f"table:{t}") for t in tables) or ".Model" in text


def url_segments(text: str) -> set[str]:
    """The path segments of the URLs a file's strings hold (`contents` of `f"/api/v1/contents/{id}"`), the
    generic ones (`api`, `v1`) left out."""
    out: set[str] = set()
    for m in _STRING.finditer(text):
        for part in m.group(2).split("/"):
            if _SEGMENT.match(part) and not _GENERIC_SEGMENT.match(part):
                out.add(part)
    return out


def _routes_for(texts: dict[str, str], segments: set[str]) -> set[str]:
    """The route files whose paths hold one of `segments`."""
    out: set[str] = set()
    if segments:
        word = re.compile(r"/(?:" + "|".join(map(re.escape, sorted(segments))) + r")\b")
        out |= {p for p, t in texts.items() if p.endswith(".py") and word.search(t) and _routes(t)}
    return out


def _conftests(texts: dict[str, str], paths: Iterable[str]) -> set[str]:
    """The `conftest.py` files of the folders holding `paths` and of their parents (pytest's fixtures)."""
    folders = {str(parent) for p in paths for parent in PurePosixPath(p).parents}
    return {p for p in texts if p.endswith("conftest.py") and str(PurePosixPath(p).parent) in folders}


#: the characters of source a bounded scan admits (parse and learning cost grows with them: about 1.5 s of
#: CPU per million on polar), the changed files always
BUDGET = 1_000_000
_CLASS = re.compile(r"^class[ \t]+(\w+)", re.M)
_DEF = re.compile(r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)", re.M)
_WORD = re.compile(r"\w+")


def reach(texts: dict[str, str], changed: Iterable[str], tables: Iterable[str], budget: int | None = None) -> set[str]:
    """The paths a bounded scan of a change to `changed` admits (see the module's docstring): the tiers in
    order while their texts fit in `budget` characters; of a tier that does not fit, its files sharing the
    most names with the changed files (one defines, the other names), then the smallest, while they fit."""
    budget = BUDGET if budget is None else budget
    reached = _Reach(texts, changed, tables)
    out = set(reached.start)
    size = sum(len(texts[p]) for p in out)
    for tier in reached.tiers():
        todo = tier() - out
        cost = sum(len(texts[p]) for p in todo)
        if size + cost > budget:
            room = budget - size
            todo = {p for p in todo if len(texts[p]) <= room}
            cost = 0
            for p in sorted(todo, key=lambda p: (-reached.relevance(p), len(texts[p]), p)):
                if size + cost + len(texts[p]) <= budget:
                    out.add(p)
                    cost += len(texts[p])
        else:
            out |= todo
        size += cost
    return out


class _Reach:
    """The tiers of `reach`, each computed when the ones before it fit."""

    def __init__(self, texts: dict[str, str], changed: Iterable[str], tables: Iterable[str]) -> None:
        self.texts = texts
        self.modules = Modules(texts)
        self.start = {p for p in changed if p in texts and p.endswith(".py")}
        tables = tuple(tables)
        self.models = {p for p, text in texts.items() if p.endswith(".py") and maps_a_table(text, tables)}
        self.segments = {s for p in self.start for s in url_segments(texts[p])}
        self.routed = bool(self.segments) or any(_routes(texts[p]) for p in self.start)
        self.names = {w for p in self.start for w in _WORD.findall(texts[p])}  # (before `words` exists)
        self.defined = {n for p in self.start for n in _defined(texts[p])}
        self.seen = set(self.start)
        self._words: dict[str, set[str]] = {}

    def tiers(self) -> list[Callable[[], set[str]]]:
        start, modules = self.start, self.modules
        callers: set[str] = set()

        def first() -> set[str]:  # fixtures, what the changed files call, the models they name, the mounts
            named = self._named(self.models, start)
            got = _conftests(self.texts, start) | self._deps(start, 1) | named | self._deps(named, 1)
            return got | (self._mounts() if self.routed else set())

        def second() -> set[str]:  # their callers, the routes their URLs name
            callers.update(q for p in start for q in modules.importers(p))
            return callers | (_routes_for(self.texts, self.segments) if self.routed else set())

        def third() -> set[str]:  # one step further each way, the models the context names
            further = {q for p in callers for q in modules.importers(p)}
            return (self._deps(start, 2) | self._deps(callers, 1) | further
                    | self._named(self.models, self.seen | callers))

        def fourth() -> set[str]:  # every model (the key model is learned from them), what the context imports
            return self.models | self._deps(self.seen | callers, 1)

        def fifth() -> set[str]:
            return self._deps(self.models, 1)

        def seen(tier: Callable[[], set[str]]) -> Callable[[], set[str]]:
            def run() -> set[str]:
                got = tier()
                self.seen |= got
                return got
            return run

        return [seen(t) for t in (first, second, third, fourth, fifth)]

    def _deps(self, paths: set[str], depth: int) -> set[str]:
        out: set[str] = set()
        frontier = set(paths)
        for _ in range(depth):
            frontier = {q for p in frontier for q in self.modules.deps(p)} - out - paths
            out |= frontier
        return out

    def _named(self, models: set[str], by: set[str]) -> set[str]:
        """The model files defining a class the files `by` name."""
        words = set().union(*(self.words(p) for p in by))
        return {p for p in models if any(c in words for c in _CLASS.findall(self.texts[p]))}

    def words(self, path: str) -> set[str]:
        got = self._words.get(path)
        if got is None:
            got = self._words[path] = set(_WORD.findall(self.texts[path]))
        return got

    def _mounts(self) -> set[str]:
        return {p for p, t in self.texts.items() if p.endswith(".py") and _mounts(t)}

    def relevance(self, path: str) -> int:
        """How many names the changed files and this file share, one defining, the other naming them."""
        return len(_defined(self.texts[path]) & self.names) + len(self.defined & self.words(path))


def _defined(text: str) -> set[str]:
    """The functions and classes a file defines, but the short and the dunder names (`get`, `__init__`)."""
    return {n for n in _DEF.findall(text) if len(n) >= 4 and not n.startswith("__")}
