"""Which files the flow needs: a text prefilter over the key vocabulary and the import graph.

Work should be proportional to the impact, not to the size of the front end. A file can hold the key
only if (a) its text names it (a key spelling, an affected entity, a literal segment of a backend route
that carries it, a storage read, a `-Date.now()` temporary id), or (b) it imports from such a file (it
consumes its hooks, types and components), transitively, or (c) such a file imports from it (a
helper, a client, a shared component that receives the key), transitively. Every other file is read
and not parsed.

An importer does not bring its own other imports along (`App.tsx` imports every page). Instead, once
the flow has settled, a kept file that passes a key to a name no kept file defines (`label(which)` with
`label` from `lib/format.ts`) brings in the file that defines it, found through its imports and
barrels, and the flow settles again on the larger set (`Prefilter.expand`, at most a few times).

The trade-off, stated: backward flow from a shared helper into its other callers that never name the
key is not followed (a widget shared by every entity is not dragged in by the one entity that uses
it). `scan.THOROUGH` turns every shortcut off; the tests check both give the same findings.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict

from analyzer.config import Config
from analyzer.typescript.names import KeyNames

_IMPORT = re.compile(r"""(?:from|import\(?|require\()\s*['"]([^'"\n]{1,300})['"]""")
_EXTS = (".tsx", ".ts", ".mts", ".cts", ".jsx", ".js", ".mjs", ".cjs")
#: `export function NAME`, `export const NAME`, `export default function NAME`, `export { a, NAME }`
_EXPORTS = (r"\bexport\s+(?:default\s+)?(?:declare\s+)?(?:async\s+)?(?:function\*?|const|let|var|class|enum)"
            r"\s+{name}\b|\bexport\s*\{{[^}}]*\b{name}\b")
_IMPORT_STMT = re.compile(r"""\bimport\s+(?:type\s+)?([^'";]*?)\s*from\s*['"]([^'"\n]+)['"]""")
_GENERIC_SEGMENTS = frozenset({"api", "apis", "v1", "v2", "v3", "rest", "internal", "public"})
#: rules that need no key name in the file: a storage read of a slot that holds the key, and
#: `id: -Date.now()` temporary ids (ts.hazard.temp-id flags any `id` holder)
_ALWAYS = ("getitem", "date.now")


def vocabulary(kn: KeyNames, config: Config) -> tuple[str, ...]:
    """Lower-case words, any of which may bring the key into a file (`content_id` also as `contentid`,
    so `contentId` matches); a word containing a shorter one is dropped. Empty when the scan has no
    vocabulary at all (then nothing can be filtered safely)."""
    words: set[str] = set()
    words.update(kn.names)
    words.update(kn.scoped)
    words.update(kn.entity_bases)
    words.update(config.aliases)
    for route in kn.routes:
        words.update(route.params)
        for seg in route.template.split("?")[0].split("/"):
            if seg and not seg.startswith("{") and seg.lower() not in _GENERIC_SEGMENTS:
                words.add(seg)
    low = {w.lower() for w in words if len(w) >= 3}
    low |= {w.replace("_", "") for w in low} | {w.replace("-", "") for w in low}
    low = {w for w in low if len(w) >= 3}
    if not low:
        return ()
    low |= set(_ALWAYS)
    return tuple(sorted(w for w in low if not any(o != w and o in w for o in low)))


def _module_keys(path: str) -> list[str]:
    base = path
    for ext in _EXTS:
        if base.endswith(ext):
            base = base[: -len(ext)]
            break
    keys = [base]
    if base.endswith("/index"):
        keys.append(base[: -len("/index")])
    return keys


class ImportGraph:
    """Module specifiers resolved to scanned files: relative paths exactly, aliases (`@/api/x`,
    `~/x`, baseUrl `api/x`) by the path's tail; an unresolved specifier is a package."""

    def __init__(self, paths: list[str]) -> None:
        self.by_key: dict[str, list[str]] = defaultdict(list)
        self.by_tail: dict[str, list[str]] = defaultdict(list)
        for p in paths:
            for k in _module_keys(p):
                self.by_key[k].append(p)
                parts = k.split("/")
                for i in range(1, len(parts)):
                    self.by_tail["/".join(parts[i:])].append(p)

    def resolve(self, importer: str, spec: str) -> list[str]:
        if spec.startswith("."):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(importer), spec))
            for ext in _EXTS:  # `./x.js` written for ESM resolution names `x.ts`
                if target.endswith(ext):
                    target = target[: -len(ext)]
                    break
            return self.by_key.get(target, []) or self.by_tail.get(target.lstrip("./"), [])
        found = self.by_key.get(spec) or self.by_tail.get(spec)
        if found:
            return found
        if spec[:1] in "@~#" and "/" in spec:
            return self.by_tail.get(spec.split("/", 1)[1], [])
        return []


class Prefilter:
    """The import graph of one scan and the files kept so far; see the module docstring."""

    def __init__(self, texts: dict[str, str], kn: KeyNames | None, config: Config) -> None:
        """`kn` None: no vocabulary yet (`keyed` gives it); meanwhile `warm` does what needs none."""
        self.texts = texts
        self.config = config
        self.vocab = vocabulary(kn, config) if kn is not None else ()
        self.deps: dict[str, set[str]] = {}
        self.users: dict[str, set[str]] = defaultdict(set)
        self._graph_built = False
        self._graph: ImportGraph | None = None
        self._lower: dict[str, str] | None = None

    def warm(self) -> None:
        """The import graph and the lower-cased texts: all that needs no key (the worker's `prepare`)."""
        self._build_graph()
        self._lower = {p: text.lower() for p, text in self.texts.items()}

    def keyed(self, kn: KeyNames) -> Prefilter:
        self.vocab = vocabulary(kn, self.config)
        return self

    def _build_graph(self) -> None:
        if self._graph_built:
            return
        self._graph_built = True
        graph = self._graph = ImportGraph(list(self.texts))
        for p, text in self.texts.items():
            found: set[str] = set()
            for m in _IMPORT.finditer(text):
                found.update(graph.resolve(p, m.group(1)))
            found.discard(p)
            self.deps[p] = found
            for d in found:
                self.users[d].add(p)

    def _closure(self, start: set[str], edges: dict[str, set[str]]) -> set[str]:
        seen = set(start)
        stack = list(start)
        while stack:
            for nxt in edges.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    def initial(self) -> set[str] | None:
        """The files that name the key, their importers and their imports (transitively); None = all."""
        if not self.vocab:
            return None
        seeds = set()
        for p, text in self.texts.items():
            low = self._lower[p] if self._lower is not None else text.lower()
            if any(w in low for w in self.vocab):
                seeds.add(p)
        if len(seeds) == len(self.texts):
            return None
        self._build_graph()
        return self._closure(seeds, self.users) | self._closure(seeds, self.deps)

    def expand(self, keep: set[str], wanted: dict[str, set[str]]) -> set[str]:
        """Files left out that the flow turned out to need: `wanted` maps a kept file to the local names
        it passes a key to without any kept file defining them (`label(which)`, `<Badge value={id} />`,
        `fmt.label(id)`). The file's own import statements say where each name comes from (named,
        aliased, default and namespace imports); through a barrel, the re-exported file that exports
        the name. Each comes with its own imports."""
        self._build_graph()
        found: set[str] = set()
        for path, names in wanted.items():
            text = self.texts.get(path, "")
            for m in _IMPORT_STMT.finditer(text):
                clause, spec = m.group(1), m.group(2)
                for name in names:
                    hit = re.search(rf"(\w+)\s+as\s+{re.escape(name)}\b|\b{re.escape(name)}\b", clause)
                    if hit is None:
                        continue
                    exported = hit.group(1) or name
                    for target in self._graph.resolve(path, spec) if self._graph else ():
                        behind = self._through_barrels(target, exported, keep)
                        if behind:
                            found |= behind  # `export * from './x'`: the barrel itself holds nothing
                        elif target not in keep:
                            found.add(target)
        return self._closure(found, self.deps) - keep if found else set()

    def _through_barrels(self, start: str, name: str, keep: set[str]) -> set[str]:
        """The files behind re-exports (`export * from './x'`) that export `name`."""
        export = re.compile(_EXPORTS.format(name=re.escape(name)))
        out: set[str] = set()
        queue = [start]
        seen = {start}
        while queue:
            cur = queue.pop()
            text = self.texts.get(cur, "")
            if "export" not in text or "from" not in text:
                continue
            for d in self.deps.get(cur, ()):
                if d in seen:
                    continue
                seen.add(d)
                if d not in keep and export.search(self.texts.get(d, "")):
                    out.add(d)
                queue.append(d)
        return out


def relevant_files(texts: dict[str, str], kn: KeyNames, config: Config) -> set[str] | None:
    """The paths the flow must see at first (see the module docstring); None = all of them."""
    return Prefilter(texts, kn, config).initial()
