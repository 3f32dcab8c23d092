"""TS035 ts.function.generic-constraint: `T extends { id: number }` of a generic helper called with the target's
rows (message, doc and examples in TS035_generic_constraint.yml). The flow binds the type parameter at each call
(`Project.key_tparams`, and `other_tparams` for the other tables' rows given to it)."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.models import Finding
from analyzer.typescript.detect import Detector, Edits, Match, context_layer, number_positions
from analyzer.typescript.index import FileIndex


def detect(d: Detector, fi: FileIndex, m: Match) -> Iterator[Finding | None]:
    node, func = m.node, m.func
    owner = node.parent.parent if node.parent is not None else None  # type_parameters -> the generic function
    tname = fi.text(m.captures["tname"])
    if owner is None or not d.p.key_tparams:
        return
    for member in m.captures["obj"].named_children:
        mn = member.child_by_field_name("name")
        ty = member.child_by_field_name("type")
        if member.type != "property_signature" or mn is None or ty is None:
            continue
        if d.kn.is_key_name(fi.text(mn)):
            continue  # `T extends { contentId: number }`: TS001 reports a member named after the key
        k = (owner.id, tname, fi.text(mn))
        why = d.p.key_tparams.get(k, "")
        nums = number_positions(ty, fi)
        if not why or not nums:
            continue
        other = d.p.other_tparams.get(k, "")
        # called with other tables' rows too: widen (`id: string | number`) so both kinds of callers still compile
        edits: Edits = [(n, "string | number") for n in nums] if other else d.num_edits(ty, fi)
        if other:
            why = f"{why}; {other} rows are given to it too"
        label = func.label if func is not None else "<module>"
        yield d.finding(fi, m.rule.name, member, f"{label}.{tname}.{fi.text(mn)}", why, edits,
                        layer=context_layer(func, fi) if func is not None else "other", func=func)
