"""A text parameter that holds the key only because one caller passed it `str(item.id)` (polar bills its own
organizations through its SDK: `external_customer_id=str(organization.id)`) does not make the other callers'
arguments keys: `external_ref: str` takes any text. A number parameter learned the same way still does."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from analyzer.rules.python._examples import CLOSURE, MODELS

from analyzer.config import Config
from analyzer.models import Closure, SourceFile, Target
from analyzer.python import scan_python

BILLING = '''\\
from dataclasses import dataclass

from app.models import ContentItem


@dataclass
class CheckoutIn:
    external_ref: str | None = None
    owner: int = 0


class CustomerRepo:
    def get_by_external_ref(self, external_ref: str, tenant: int):
        return (external_ref, tenant)

    def get_by_owner(self, owner_ref: int):
        return owner_ref


def bill_self(repo: CustomerRepo, item: ContentItem):
    repo.get_by_external_ref(str(item.id), 1)
    return repo.get_by_owner(item.id)


def checkout(repo: CustomerRepo, body: CheckoutIn):
    repo.get_by_external_ref(body.external_ref, 1)
    return repo.get_by_owner(body.owner)
'''


def _seeds(tmp_path: Path, closure: Closure = CLOSURE) -> frozenset[str]:
    src = []
    for rel, text in {"app/models.py": MODELS, "app/billing.py": BILLING}.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        src.append(SourceFile(".", str(p), rel, "python"))
    return scan_python(src, closure, Config()).seeds.field_names


def test_a_text_parameter_given_the_key_by_one_caller_does_not_key_the_others(tmp_path: Path) -> None:
    names = _seeds(tmp_path)
    assert "owner" in names  # `owner_ref: int` got item.id: body.owner, passed there too, is the key
    assert "external_ref" not in names  # `external_ref: str` got str(item.id): body.external_ref is any text


def test_a_text_key_keeps_the_backward_step(tmp_path: Path) -> None:
    text_key = replace(CLOSURE, targets=(Target("content_items", "id", "VARCHAR(36)", "UUID"),))
    assert "external_ref" in _seeds(tmp_path, text_key)  # the key is text itself: a `str` slot is its type
