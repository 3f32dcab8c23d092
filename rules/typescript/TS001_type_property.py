"""TS001 ts.type.property: a type member that holds the key typed `number` (message, doc and examples in
TS001_type_property.yml)."""

from __future__ import annotations

from collections.abc import Iterator

import tree_sitter as ts

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, Edits, Match, context_layer, number_positions, path_layer
from analyzer.typescript.index import FileIndex, unwrap_type


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    node, func = m.node, m.func
    if node.type == "index_signature":
        yield from _index_signature(d, m, fi)
        return
    name_node = node.child_by_field_name("name")
    type_node = unwrap_type(node.child_by_field_name("type"))
    if name_node is None or type_node is None:
        return
    member = fi.text(name_node).strip("'\"")
    if type_node.type == "function_type":
        yield from _fn_type_member(d, m, fi, type_node, member)
        return
    nums = number_positions(type_node, fi)
    if not nums:
        return
    owner, owner_key = _owner(node, fi)
    why = d.p.is_key_member(owner_key, member) if owner_key else ""
    if not why and d.kn.is_key_name(member):
        why = d.kn.origin(member) or f"{member} names the key"
    if not why and owner_key.startswith("@"):
        why = _nested_schema_member(d, node, fi, member)
    if not why:
        return
    layer = "ts-type"
    if owner.endswith("Props") or _is_props_type(d, owner):
        layer = "ts-component"
    elif not owner_key.startswith("@") or func is None:
        layer = "ts-type" if path_layer(fi) not in ("ts-state", "ts-validation") else path_layer(fi)
    else:
        layer = context_layer(func, fi)
        if layer == "other":
            layer = "ts-type"
    if fi.is_test:
        layer = "test"
    symbol = f"{owner}.{member}" if owner else member
    yield d.finding(fi, m.rule.name, node, symbol, why, d.num_edits(type_node, fi), layer=layer,
                    shared=d.p.shared_members.get((owner_key, member), "") or d.p.shared_types.get(owner_key, ""))


def _index_signature(d: Detector, m: Match, fi: FileIndex) -> Iterator[Finding | None]:
    """`{ [contentId: number]: boolean }`: an index signature whose parameter is named like the key is a map
    keyed by it; its index type changes (`[contentId: string]`). `[page: number]` is left alone."""
    node = m.node
    name_node = node.child_by_field_name("name")
    index = node.child_by_field_name("index_type")
    if name_node is None or index is None or fi.text(index) != "number":
        return
    member = fi.text(name_node)
    if not d.kn.is_key_name(member):
        return
    owner, _key = _owner(node, fi)
    why = d.kn.origin(member) or f"{member} names the key"
    layer = "test" if fi.is_test else "ts-type" if path_layer(fi) not in ("ts-state", "ts-validation") \
        else path_layer(fi)
    symbol = f"{owner}[{member}]" if owner else f"[{member}]"
    yield d.finding(fi, m.rule.name, node, symbol, why, d.num_edits(index, fi), layer=layer)


def _nested_schema_member(d: Detector, node: ts.Node, fi: FileIndex, member: str) -> str:
    """Members of object types nested in a generated client's declarations: `components: { schemas: {
    ProjectOut: { id: number } } }` (openapi-typescript), and `path: { id: number }` next to
    `url: '/api/projects/{id}'` (openapi-ts), where the URL template names the key's path param."""
    body = node.parent
    holder = _annotated(body)
    if holder is None or holder.type != "property_signature":
        return ""
    outer = holder.parent
    outer_holder = _annotated(outer)
    owner = fi.text(holder.child_by_field_name("name") or holder).strip("'\"")
    if owner and member != "id" and outer_holder is not None and outer_holder.type == "property_signature" and \
            d.kn.is_scoped_member(owner, member):  # BulkPublishOut: { published: number[] }, a back-end field
        hname = outer_holder.child_by_field_name("name")
        if hname is not None and fi.text(hname).strip("'\"") in ("schemas", "definitions"):
            return d.kn.origin(member) or f"{owner}.{member} holds the key"
    if member == "id" and owner and outer_holder is not None and outer_holder.type == "property_signature":
        hname = outer_holder.child_by_field_name("name")
        if hname is not None and fi.text(hname).strip("'\"") in ("schemas", "definitions"):
            if owner in d.p.affected:
                return d.p.affected[owner] or f"{owner} is tied to the affected schema"
            if d.kn.is_entity_type(owner):
                return d.kn.entity_origin(owner) or f"{owner} is tied to the affected schema"
    hname = holder.child_by_field_name("name")
    if hname is None or fi.text(hname) != "path" or outer is None:
        return ""
    for sib in outer.named_children:
        n = sib.child_by_field_name("name") if sib.type == "property_signature" else None
        ty = unwrap_type(sib.child_by_field_name("type")) if n is not None else None
        if n is not None and fi.text(n) == "url" and ty is not None and ty.type == "literal_type":
            return d.p.template_keys(fi.text(ty)[1:-1]).get(member, "")
    return ""


def _fn_type_member(d: Detector, m: Match, fi: FileIndex, fn_type: ts.Node, member: str) -> Iterator[Finding | None]:
    """`onPick: (contentId: number) => void`: the parameters of a function-typed member that receive keys."""
    params = fn_type.child_by_field_name("parameters")
    plist = [p for p in params.named_children if p.type in ("required_parameter", "optional_parameter")] \
        if params is not None else []
    edits: Edits = []
    why = ""
    for i, p in enumerate(plist):
        w = d.p.fn_param_key(fn_type, fi, i)
        nums = number_positions(p.child_by_field_name("type"), fi)
        if w and nums:
            why = why or w
            edits.extend((n, "string") for n in nums)
    if not why:
        return
    owner, owner_key = _owner(m.node, fi)
    layer = "ts-component" if owner.endswith("Props") or _is_props_type(d, owner) else "ts-type"
    yield d.finding(fi, m.rule.name, m.node, f"{owner}.{member}" if owner else member, why, edits,
                    layer="test" if fi.is_test else layer, shared=d.p.shared_types.get(owner_key, ""))


def _is_props_type(d: Detector, owner: str) -> bool:
    """`ContentCardProps` when the project declares `ContentCard`."""
    return bool(d.p.funcs.get(owner.removesuffix("Props"), ()))


def _owner(member: ts.Node, fi: FileIndex) -> tuple[str, str]:
    """(display name, type key) of the type a member belongs to."""
    body = member.parent
    if body is None:
        return "", ""
    if body.type in ("interface_body", "class_body"):
        decl = body.parent
        n = decl.child_by_field_name("name") if decl is not None else None
        return (fi.text(n), fi.text(n)) if n is not None else ("", "")
    if body.type == "object_type":
        up = body.parent
        while up is not None and up.type in ("intersection_type", "parenthesized_type", "union_type"):
            up = up.parent
        if up is not None and up.type == "type_alias_declaration":
            n = up.child_by_field_name("name")
            return (fi.text(n), fi.text(n)) if n is not None else ("", "")
        label = ""
        cur = body.parent
        while cur is not None and cur.type not in ("required_parameter", "optional_parameter",
                                                   "variable_declarator", "property_signature"):
            cur = cur.parent
        if cur is not None:
            pat = cur.child_by_field_name("pattern") or cur.child_by_field_name("name")
            label = fi.text(pat) if pat is not None and pat.type == "identifier" else "props"
            if cur.type == "property_signature" and pat is not None:  # components.schemas.ContentOut
                label = fi.text(pat).strip("'\"")
        return label, f"@{fi.sf.path}:{body.start_byte}"
    return "", ""


def _annotated(type_node: ts.Node | None) -> ts.Node | None:
    """The declaration a type belongs to, past its `type_annotation`."""
    up = type_node.parent if type_node is not None else None
    return up.parent if up is not None and up.type == "type_annotation" else up
