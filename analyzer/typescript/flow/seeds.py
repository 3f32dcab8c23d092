"""Where the flow starts: affected types, zod schemas validating keys, URLs of key routes, functions
and bindings whose names spell the key or that return an entity's ids.
"""

from __future__ import annotations

import re

import tree_sitter as ts

from analyzer.typescript.flow.routes import Routes, segments, url_parts
from analyzer.typescript.flow.syntax import type_name
from analyzer.typescript.index import FileIndex, Func
from analyzer.typescript.names import _WITH, type_bases


class Seeds(Routes):
    """The sources of the flow."""

    def seed(self) -> None:
        """Where the flow starts: affected types, zod schemas, URLs of key routes, names that spell the key."""
        self.compute_affected()
        self.link_zod()
        self.link_routes()
        for fi in self.files:
            for f in fi.funcs:
                if f.name and self.kn.name_returns_key(f.name.rpartition(".")[2]):
                    self.mark_ret(f, f"{f.name} names the key")
                    for b in (b for group in f.params for b in group):  # formatRunId(row, id): the id it formats
                        if b.name in ("id", "ids") and b.prop_of is None:
                            self.mark(b, f"`{b.name}` of {f.name}(), which names the key")
                elif f.name and f.return_type is not None:
                    why = self._entity_ids(f)
                    if why:
                        self.mark_ret(f, why)
        for b in (b for fi in self.files for b in fi.bindings):
            if self.kn.is_key_name(b.name) or (b.prop_of and self.kn.is_key_name(b.prop_of)):
                self.mark(b, self.kn.origin(b.prop_of or b.name) or f"{b.name} names the key")
            elif self.kn.is_key_alias_type(type_name(b.type_node, b.file)):
                self.mark(b, f"typed {type_name(b.type_node, b.file)}")

    def link_zod(self) -> None:
        """`bulkPublishSchema = z.object({ ids: z.array(contentIdSchema) })`: `ids` holds keys, and so
        does the member of the TS types the schema validates (`BulkPublishRequest.ids`, by name)."""
        key_schemas: set[str] = set()
        objects: list[tuple[str, ts.Node, FileIndex]] = []
        for fi in self.files:
            for decl, _func in fi.declarators:
                name = decl.child_by_field_name("name")
                value = decl.child_by_field_name("value")
                if name is None or value is None or name.type != "identifier" or value.type != "call_expression":
                    continue
                vname = fi.text(name)
                vtext = fi.text(value)
                if not vtext.startswith("z."):
                    continue
                if "z.object" in vtext[:12]:
                    objects.append((vname, value, fi))
                elif self.kn.name_returns_key(re.sub(r"(Schema|Param|Params|Validator)$", "", vname)):
                    key_schemas.add(vname)
        if not objects:
            return
        for vname, value, fi in objects:
            args = value.child_by_field_name("arguments")
            obj = args.named_children[0] if args is not None and args.named_children else None
            if obj is None or obj.type != "object":
                continue
            base = re.sub(r"(Schema|Validator|Shape)$", "", vname)
            bases = type_bases(base[:1].upper() + base[1:])
            for pair in obj.named_children:
                k = pair.child_by_field_name("key") if pair.type == "pair" else None
                v = pair.child_by_field_name("value") if pair.type == "pair" else None
                if k is None or v is None:
                    continue
                used = set(re.findall(r"[A-Za-z_]\w*", fi.text(v)))
                if not used & key_schemas:
                    continue
                member = fi.text(k).strip("'\"")
                why = f"{vname}.{member} is validated by {sorted(used & key_schemas)[0]}"
                for tname in self.types:
                    if type_bases(tname) & bases and (tname, member) not in self.key_members and \
                            not self.foreign(member):
                        self.key_members[(tname, member)] = why

    def _entity_ids(self, f: Func) -> str:
        """`fetchSourceContents(): Promise<number[]>`, or a `number[]` fetched from `/…/source-contents`:
        a list of numbers named after an affected entity holds its keys."""
        if self.norm(f.return_type, f.file) != "number[]":
            return ""
        short = f.name.rpartition(".")[2]  # warehousesWithStock: the warehouses (those with stock)
        ent = self.kn.plural_entity_suffix(short) or self.kn.plural_entity_suffix(_WITH.sub("", short))
        if ent:
            return f"{f.name} returns {ent} ids ({self.kn.entity_origins.get(ent, '')})".replace(" ()", "")
        for url in f.urls:
            parts = url_parts(url, f.file)
            segs = segments(parts or [])
            ent = self.kn.plural_entity_suffix(segs[-1]) if segs and isinstance(segs[-1], str) else ""
            if ent:
                return f"{f.file.text(url)} returns {ent} ids"
        return ""
