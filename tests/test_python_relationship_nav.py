"""A relationship leads to the key's row: `order.customer.id` is the key as much as `order.customer_id`.

Code that holds a row of a referencing table reaches the referenced row through its relationship and reads the id
there (`notify(order.customer.id)`, `return invoice.customer.id`), in declarative classes
(`customer = relationship("Customer")`, `customer: Mapped["Customer"] = relationship(back_populates=...)`) and
Flask-SQLAlchemy models (`db.relationship(Customer)`). Before, the flow knew the class of a name, a call and a
subscript but not of an attribute, so the parameter receiving `order.customer.id` and the function returning it
were missed. A service object's row is read the same way (`self.invoice.customer.id`, `self.invoice` set from an
`invoice: Invoice` parameter in `__init__`). A relationship to another table (`note.author.id`, a user) and a plain attribute of the row
(`order.customer.name`) stay quiet.
"""

from __future__ import annotations

from pathlib import Path

from helpers import python_sources

from analyzer.config import Config
from analyzer.models import Closure, ImpactedColumn, Reference, Target
from analyzer.python import scan_python

TARGET = Target("customers", "id", "INTEGER", "UUID")
CLOSURE = Closure(
    targets=(TARGET,),
    columns=(
        ImpactedColumn("customers", "id", "INTEGER", "target", target="customers.id"),
        ImpactedColumn("orders", "customer_id", "INTEGER", "declared FK to customers.id", target="customers.id"),
        ImpactedColumn("invoices", "customer_id", "INTEGER", "declared FK to customers.id", target="customers.id"),
        ImpactedColumn("notes", "customer_id", "INTEGER", "declared FK to customers.id", target="customers.id"),
    ),
    references=(Reference("orders", "customer_id", "customers", "id", "declared", 1.0),
                Reference("invoices", "customer_id", "customers", "id", "declared", 1.0),
                Reference("notes", "customer_id", "customers", "id", "declared", 1.0)),
)

MODELS = '''\
from typing import Optional

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    orders: Mapped[list["Order"]] = relationship(back_populates="customer")


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    customer = relationship("Customer", back_populates="orders")


class Invoice(Base):
    __tablename__ = "invoices"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    customer: Mapped[Optional["Customer"]] = relationship()


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    author = relationship(User)
'''

SERVICES = '''\
from sqlalchemy.orm import Session

from app.models import Invoice, Note, Order


def send_receipt(customer_ref: int, order_number: int) -> None:  # impact: PY050 (customer_ref)
    print(customer_ref, order_number)


def ping_author(author_ref: int) -> None:  # ok: a user id
    print(author_ref)


def greet(label: str) -> None:  # ok
    print(label)


def close_order(session: Session, order_id: int) -> None:
    order = session.get(Order, order_id)
    send_receipt(order.customer.id, order.id)
    greet(order.customer.name)


def invoice_owner(session: Session, invoice_id: int) -> int:  # impact: PY051
    invoice = session.get(Invoice, invoice_id)
    return invoice.customer.id


def author_of(note: Note) -> None:
    ping_author(note.author.id)


def notify_owner(owner_ref: int) -> None:  # impact: PY050 (owner_ref)
    print(owner_ref)


class InvoiceMailer:
    def __init__(self, invoice: Invoice, note: Note) -> None:
        self.invoice = invoice
        self.note = note

    def send(self) -> None:
        notify_owner(self.invoice.customer.id)
        ping_author(self.note.author.id)
'''


def test_an_id_read_through_a_relationship_is_the_key(tmp_path: Path) -> None:
    files = python_sources(tmp_path, {"app/models.py": MODELS, "app/services.py": SERVICES})
    result = scan_python(files, CLOSURE, Config())
    got = {(f.code, f.symbol) for f in result.findings if f.path == "app/services.py"}
    assert ("PY050", "send_receipt.customer_ref") in got, sorted(got)
    assert ("PY051", "invoice_owner") in got, sorted(got)
    assert ("PY050", "notify_owner.owner_ref") in got, sorted(got)  # through `self.invoice`, set in __init__
    assert not {s for _, s in got} & {"ping_author.author_ref", "greet.label", "send_receipt.order_number"}, got
