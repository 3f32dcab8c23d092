"""A text prop that is given the key at one element (`<Avatar name={order.id} />`, a label's fallback) holds the
key there only: what the other elements give it (`name={review.name}`) is not a key by it, so `Review.name` is
not made a key member, and the flow does not spread through every component that shows a name. A number prop
given the key (`<Badge count={order.id} />`) still makes what the others give it keys (`draft.order`).
`order.customer_name ?? order.id` is a label (one field or another), not the key; `picked ?? order.id` is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from analyzer.config import Config
from analyzer.models import Finding, KeySeeds, RouteSeed
from analyzer.typescript.flow.fixpoint import Project
from analyzer.typescript.scan import scan_sources

SEEDS = KeySeeds(
    field_names=frozenset({"order_id"}),
    routes=(RouteSeed("GET", "/api/orders/{order_id}", ("order_id",), "server/api/orders.py:20", "orders.get_order"),),
    origins={"order_id": "server/schemas.py:30", "OrderRead.id": "server/schemas.py:12"},
)

APP = {
    "src/types.ts": (
        "export type OrderRead = {\n"
        "  id: number;\n"  # 2: the key
        "  customer_name: string | null;\n"  # 3
        "};\n"
        "export type Review = {\n"
        "  name: string;\n"  # 6: a reviewer's name
        "  rating: number;\n"
        "};\n"
        "export type Draft = {\n"
        "  order: number;\n"  # 10: holds the key (given to Badge's count, as order.id is)
        "  title: string;\n"
        "};\n"
    ),
    "src/Avatar.tsx": (
        "interface AvatarProps {\n"
        "  name: string;\n"  # 2
        "  data?: string[];\n"
        "}\n"
        "export const Avatar = ({ name, data }: AvatarProps) => <img alt={name} title={data?.join(',')} />;\n"
        "interface BadgeProps {\n"
        "  count: number;\n"  # 7
        "}\n"
        "export const Badge = ({ count }: BadgeProps) => <span>{count}</span>;\n"
    ),
    "src/Rows.tsx": (
        "import type { Draft, OrderRead, Review } from './types';\n"
        "import { Avatar, Badge } from './Avatar';\n"
        "export const OrderRow = ({ order }: { order: OrderRead }) => (\n"
        "  <div>\n"
        "    <Avatar name={`${order.id}`} data={[]} />\n"  # 5
        "    <Avatar name={order.customer_name ?? String(order.id)} />\n"  # 6
        "    <Badge count={order.id} />\n"  # 7
        "  </div>\n"
        ");\n"
        "export const ReviewRow = ({ review }: { review: Review }) => (\n"
        "  <Avatar name={review.name} data={[review.name]} />\n"  # 11: not a key
        ");\n"
        "export const DraftRow = ({ draft }: { draft: Draft }) => <Badge count={draft.order} />;\n"  # 13: a key
        "export function titleOf(order: OrderRead, picked: number | null) {\n"
        "  const label = order.customer_name ?? order.id;\n"  # 15: a label (one field or the other)
        "  const current = picked ?? order.id;\n"  # 16: the key (a default for another value)
        "  return `${label} ${current}`;\n"
        "}\n"
    ),
}


def _flow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Finding], Project]:
    """The findings and the flow's project (its key members) of one scan."""
    seen: list[Project] = []
    run = Project.run

    def keep(self: Project, *args: Any, **kwargs: Any) -> int:
        seen.append(self)
        return run(self, *args, **kwargs)

    monkeypatch.setattr(Project, "run", keep)
    found = list(scan_sources(APP, SEEDS, Config(), tmp=tmp_path).findings)
    return found, seen[0]


def test_the_key_and_what_a_number_prop_is_given_are_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found, project = _flow(tmp_path, monkeypatch)
    assert {2, 10} <= {f.span.line for f in found if f.path == "src/types.ts" and f.kind != "info"}
    assert 7 in {f.span.line for f in found if f.path == "src/Avatar.tsx" and f.kind != "info"}
    assert project.is_key_member("Draft", "order")
    assert project.is_key_member("BadgeProps", "count")


def test_a_text_prop_given_the_key_once_does_not_make_names_keys(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    found, project = _flow(tmp_path, monkeypatch)
    assert not project.is_key_member("Review", "name")
    assert not project.is_key_member("Review", "rating")
    assert not any(m in ("data", "customer_name", "title") for _, m in project.key_members), sorted(project.key_members)
    assert {t for t, m in project.key_members if m == "name"} <= {"AvatarProps"}  # the prop given the key, only
    assert 6 not in {f.span.line for f in found if f.path == "src/types.ts"}


def test_a_fallback_between_fields_of_one_record_is_a_label(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, project = _flow(tmp_path, monkeypatch)
    keyed = {b.name: b.key for fi in project.files for b in fi.bindings if b.name in ("label", "current")}
    assert keyed == {"label": False, "current": True}
