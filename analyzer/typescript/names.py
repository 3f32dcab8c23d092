"""Which names carry the key on the TypeScript side, learned from the backend seeds and the config.

A field name is a key in every spelling the client may use (`content_id`, `contentId`, plurals for
lists). `id` alone is never a key by name: it is one only on a type whose name ties it to a backend
schema whose `id` is the key (`ContentOut.id` -> TS `ContentItem`, `Content`), never `Comment.id`.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from analyzer.config import Config
from analyzer.models import KeySeeds, RouteSeed
from analyzer.words import singular

_SCHEMA_SUFFIXES = (
    "Out", "In", "Create", "Update", "Read", "Public", "Response", "Request", "Schema", "Base", "Dto",
    "DTO", "Model", "Detail", "Details", "Summary", "Row", "Record", "Data", "Patch", "Payload", "Full",
)
#: views of one record: `MinimalProject`, `ProjectListItem`, `ProjectSnapshot`, `ProjectWithOwner` are all a
#: project, whose `id` is the project's (never `ProjectTask`, `ProjectMember`: other records)
_VIEW_PREFIXES = ("Minimal", "Full", "Basic", "Simple", "Detailed", "Extended", "Lite", "Light", "Compact", "Brief")
_VIEW_SUFFIXES = ("ListItem", "Snapshot", "Preview", "Info", "Lite", "Light", "Brief", "Compact", "Ref")
_WITH = re.compile(r"(?<=[a-z0-9])With[A-Z]\w*$")
_CAMEL_SPLIT = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
#: `content_id`, `contentIds`: names that say which id they hold. `ids`, `next_cursor`, `after` do not,
#: so they are keys only on the schema they were learned from.
_IDISH = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*_ids?$|^[a-z][a-zA-Z0-9]*[a-z0-9]Ids?$")
_WORD_SPLIT = re.compile(r"[-_/.]+|(?<=[a-z0-9])(?=[A-Z])")
_SCHEMA_FIELD = re.compile(r"^([A-Z]\w*)\.(\w+)\b")
_ENTITY_ID = re.compile(r"^([a-z][a-z0-9_]*?)_ids?$")


def camel(name: str) -> str:
    parts = [p for p in name.split("_") if p]
    if not parts:
        return name
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def snake(name: str) -> str:
    return _CAMEL_SPLIT.sub("_", name).lower()


def pascal(name: str) -> str:
    c = camel(name)
    return c[:1].upper() + c[1:]


def type_bases(name: str) -> set[str]:
    """`ContentItemOut` -> {"ContentItem", "Content"}: the entity a type or schema is about. Views of
    the record (`MinimalContent`, `ContentListItem`, `ContentWithTags`) are about it too."""
    base = _WITH.sub("", name)
    for prefix in _VIEW_PREFIXES:
        if base.startswith(prefix) and base[len(prefix) : len(prefix) + 1].isupper():
            base = base[len(prefix) :]
            break
    changed = True
    while changed:
        changed = False
        for suffix in _SCHEMA_SUFFIXES + _VIEW_SUFFIXES:
            if base.endswith(suffix) and len(base) > len(suffix) and base[: -len(suffix)][-1:].islower():
                base = base[: -len(suffix)]
                changed = True
    out = {base}
    for extra in ("Item", "Items", "Entity", "Entry"):
        if base.endswith(extra) and len(base) > len(extra):
            out.add(base[: -len(extra)])
    return out


@dataclass
class KeyNames:
    """The key vocabulary of one scan."""

    names: set[str] = field(default_factory=set)  # every spelling, plurals included; never bare "id"
    entity_bases: set[str] = field(default_factory=set)  # "Content", "ContentItem": their `id` is a key
    origins: dict[str, str] = field(default_factory=dict)  # spelling -> backend origin
    entity_origins: dict[str, str] = field(default_factory=dict)
    routes: tuple[RouteSeed, ...] = ()
    scoped: dict[str, set[str]] = field(default_factory=dict)  # spelling -> schema bases it is a key on
    #: words naming the schema's other entities (`patient`): `patientId` holds their ids, never the key
    foreign: frozenset[str] = frozenset()
    aliases: frozenset[str] = frozenset()

    @classmethod
    def build(cls, seeds: KeySeeds, config: Config) -> KeyNames:
        kn = cls(foreign=seeds.foreign_entities, aliases=frozenset(config.aliases))
        routes = []
        for route in seeds.routes:  # /payments/{payment_id} reached by a shared helper: another entity's route
            params = tuple(p for p in route.params if not kn.foreign_word(p))
            if params:
                routes.append(route if params == route.params else dataclasses.replace(route, params=params))
        kn.routes = tuple(routes)
        raw = set(seeds.field_names) | set(config.aliases)
        for route in kn.routes:
            raw.update(route.params)
        for name in sorted(raw):  # not set order (the hash seed's): the origin kept for a spelling is the same each run
            if "." in name or name.lower() == "id" or kn.foreign_word(name):
                continue
            origin = seeds.origins.get(name) or seeds.origins.get(snake(name)) or ""
            if not origin and name in config.aliases:
                origin = f"config alias {name!r}"
            if not _IDISH.match(name) and name not in config.aliases:
                m = _SCHEMA_FIELD.match(origin)
                if m:  # `ids` of BulkPublishRequest: a key there only
                    for spelling in _spellings(name):
                        kn.scoped.setdefault(spelling, set()).update(type_bases(m.group(1)))
                        kn.origins.setdefault(spelling, origin)
                continue
            for spelling in _spellings(name):
                kn.names.add(spelling)
                kn.origins.setdefault(spelling, origin)
        for key, origin in seeds.origins.items():
            if "." in key:
                schema, _, fld = key.rpartition(".")
                if fld == "id":
                    for base in type_bases(schema.rpartition(".")[2]):
                        kn.entity_bases.add(base)
                        kn.entity_origins.setdefault(base, f"{key} ({origin})" if origin else key)
        for route in kn.routes:  # /contents/{content_id}: a "content" is keyed by the key
            segs = [s for s in route.template.split("/") if s]
            for i, seg in enumerate(segs):
                if seg.startswith("{") and i > 0 and seg.strip("{}") in route.params:
                    prev = segs[i - 1]
                    if not prev.startswith("{"):
                        base = pascal(singular(prev.replace("-", "_")))
                        kn.entity_bases.add(base)
                        kn.entity_origins.setdefault(base, f"{route.method} {route.template} ({route.origin})")
        return kn

    def is_key_name(self, name: str) -> bool:
        return name in self.names

    def foreign_word(self, name: str) -> str:
        """`patientId`, `payment_ids` -> the other entity whose ids the name says it holds ("" for a key name,
        a configured alias, or an entity the schema has no other table for): the key's flow stops at it."""
        if not self.foreign or name in self.names or name in self.aliases:
            return ""
        m = _ENTITY_ID.match(snake(name))
        return m.group(1) if m is not None and m.group(1) in self.foreign else ""

    def is_scoped_member(self, type_name: str, member: str) -> bool:
        bases = self.scoped.get(member)
        return bool(bases and (type_bases(type_name) | {type_name}) & bases)

    def name_returns_key(self, func_name: str) -> bool:
        """`toContentId`, `contentIdFromPath`: a function named after the key returns it."""
        words = _CAMEL_SPLIT.split(func_name)
        ends = [len(words) - 1] + [j for j in range(len(words) - 1) if words[j + 1] in ("From", "Of", "For")]
        for j in ends:
            for i in range(j + 1):
                cand = "".join(words[i : j + 1])
                if self.is_key_name(cand[:1].lower() + cand[1:]):
                    return True
        return False

    def entity_word(self, word: str) -> str:
        """`"document"` / `"documents"` / `"content-item"`: the affected entity a word names, else ""."""
        cand = pascal(singular(word.strip().replace("-", "_")))
        return cand if cand in self.entity_bases else ""

    def plural_entity_suffix(self, name: str) -> str:
        """`fetchSourceContents`, `source-contents`, `useOpenContents`: the affected entity whose plural
        ends the name ("" when none). A list of ids named after the entity holds its keys."""
        parts = [p for p in _WORD_SPLIT.split(name) if p]
        if not parts:
            return ""
        last = parts[-1]
        if singular(last) == last or not last[:1].isalpha():
            return ""
        for i in range(len(parts)):
            tail = parts[i:]
            cand = "".join(p[:1].upper() + p[1:] for p in tail[:-1]) + pascal(singular(last))
            if cand in self.entity_bases:
                return cand
        return ""

    def is_entity_type(self, type_name: str) -> bool:
        return bool(type_bases(type_name) & self.entity_bases) or type_name in self.entity_bases

    def entity_origin(self, type_name: str) -> str:
        for base in sorted(type_bases(type_name) | {type_name}):
            if base in self.entity_origins:
                return self.entity_origins[base]
        return ""

    def origin(self, name: str) -> str:
        return self.origins.get(name, "")

    def is_key_alias_type(self, type_name: str) -> bool:
        """`type ContentId = number`: a PascalCase spelling of a key name."""
        return type_name[:1].isupper() and (type_name[:1].lower() + type_name[1:]) in self.names


def _spellings(name: str) -> set[str]:
    sn = snake(name) if not name.islower() else name
    out = {name, sn, camel(sn)}
    for s in list(out):
        if not s.endswith("s"):
            out.add(s + "s")
    return {s for s in out if s}
