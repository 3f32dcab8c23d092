"""Which files the flow needs: a text prefilter over the key vocabulary and the import graph.

Work should be proportional to the impact, not to the size of the front end. A file can hold the key
only if (a) its text names it (a key spelling, an affected entity, a literal segment of a backend route
that carries it, a storage read), or (b) it imports from such a file (it consumes its hooks, types and
components), transitively, or (c) such a file imports from it (a helper, a client, a shared component
that receives the key), transitively. Every other file is read and not parsed.

The trade-off, stated: a value that reaches a file only through an importer that never names the key
(`App.tsx` passing `data.id` of a hook defined elsewhere into a shared widget) is not followed into
that importer's other dependencies. In exchange a widget shared by every entity is not dragged into the
flow by the one entity that uses it, and a 300 k-line front end with one affected entity is scanned in
a fraction of the time.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict

from analyzer.config import Config
from analyzer.typescript.names import KeyNames

_IMPORT = re.compile(r"""(?:from|import\(?|require\()\s*['"]([^'"\n]{1,300})['"]""")
_EXTS = (".tsx", ".ts", ".mts", ".cts", ".jsx", ".js")
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


def relevant_files(texts: dict[str, str], kn: KeyNames, config: Config) -> set[str] | None:
    """The paths the flow must see (see the module docstring); None = all of them."""
    vocab = vocabulary(kn, config)
    if not vocab:
        return None
    seeds = set()
    for p, text in texts.items():
        low = text.lower()
        if any(w in low for w in vocab):
            seeds.add(p)
    if len(seeds) == len(texts):
        return None
    graph = ImportGraph(list(texts))
    deps: dict[str, set[str]] = {}
    users: dict[str, set[str]] = defaultdict(set)
    for p, text in texts.items():
        if "import" not in text and "require" not in text and "from" not in text:
            deps[p] = set()
            continue
        found: set[str] = set()
        for m in _IMPORT.finditer(text):
            found.update(graph.resolve(p, m.group(1)))
        found.discard(p)
        deps[p] = found
        for d in found:
            users[d].add(p)
    keep = set(seeds)
    for edges in (users, deps):  # importers of the seeds, transitively; then what the seeds import
        stack = list(seeds)
        seen = set(seeds)
        while stack:
            cur = stack.pop()
            for nxt in edges.get(cur, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        keep |= seen
    return keep
