"""Returnable containers (tare: kegs, crates, bottles) a client holds, per container type.

Sales issue containers, returns bring them back; the balance is what the client still holds
and its deposit value is balance × the container type's deposit. Each document moves a
container type at most once per direction, so a redelivered sale or return moves nothing.

The ERP's count of what a client holds (a stocktake) brings the balance to the count: one
adjustment, containers issued (the client holds more than recorded) or returned (fewer), or
none — recorded all the same (COUNTED, nothing moved), so the count applied once is never
applied again against later movements.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum

from fieldline_kit.errors import InvalidArgument
from fieldline_settlements.domain.events import Event, TareBalanceChanged
from fieldline_settlements.domain.values import CENT, ZERO, limit_text

MAX_CONTAINER_TYPE = 60


class Direction(Enum):
    ISSUED = "issued"
    RETURNED = "returned"
    COUNTED = "counted"  # a count that found the balance right: nothing moved


def container_type(field_: str, value: str) -> str:
    name = limit_text(field_, value, MAX_CONTAINER_TYPE)
    if not name:
        raise InvalidArgument(field_, "must not be empty")
    return name


class DocumentKind(Enum):
    """What moved the containers (None on a movement: not proved, rows from before)."""

    VAN_SALE = "van_sale"
    RETURN = "return"
    DELIVERY = "delivery"
    COUNT = "count"
    ERP_DOCUMENT = "erp_document"


class DeliveryTare(Enum):
    """Who books the containers of the pre-sale orders the company delivers itself
    (SETTLEMENTS_DELIVERY_TARE). A distributor's order never moves the company's tare."""

    ORDERS = "orders"  # orders' OrderStatusChanged DELIVERED / PARTIALLY_DELIVERED (DELIVERY)
    ERP = "erp"  # the ERP's tare documents only (ERP_DOCUMENT): a delivery moves nothing

    @classmethod
    def parse(cls, field_: str, value: str) -> DeliveryTare:
        try:
            return cls(value.strip().lower())
        except ValueError:
            choices = " or ".join(c.value for c in cls)
            raise InvalidArgument(field_, f"must be {choices}, got {value!r}") from None

    def books(self, distributor_id: str) -> bool:
        """Whether a delivered order of this distributor ("" the company) issues its
        containers here."""
        return self is DeliveryTare.ORDERS and not distributor_id


@dataclass(eq=False)
class TareMovement:
    """One movement of a client's containers of one type. `balance_after` is set when it is
    applied to the balance (`TareBalance.move`), `id` and `created_at` when it is stored."""

    client_id: str
    outlet_id: str
    container_type: str
    document_id: str
    direction: Direction
    quantity: Decimal
    date: date
    kind: DocumentKind | None = None
    balance_after: Decimal = ZERO
    id: int = 0
    created_at: datetime | None = None


@dataclass(eq=False)
class TareBalance:
    client_id: str
    container_type: str
    issued: Decimal
    returned: Decimal
    version: int = 0  # 0: no container of the type has moved yet
    events: list[Event] = field(default_factory=list, repr=False)

    @property
    def balance(self) -> Decimal:
        return self.issued - self.returned

    def deposit_value(self, deposit_per_unit: Decimal) -> Decimal:
        return (self.balance * deposit_per_unit).quantize(CENT, rounding=ROUND_HALF_UP)

    def move(self, movement: TareMovement, deposit_per_unit: Decimal) -> None:
        """Move the containers and record the new balance. One published state, one version:
        the version steps unless a balance recorded earlier is still waiting to be published
        (pending `events`)."""
        movement.balance_after = self.balance
        if movement.quantity <= 0 or movement.direction is Direction.COUNTED:
            return
        if movement.direction is Direction.ISSUED:
            self.issued += movement.quantity
        else:
            self.returned += movement.quantity
        movement.balance_after = self.balance
        if not self.events:
            self.version += 1
        snapshot = dataclasses.replace(self, events=[])
        self.events.append(
            TareBalanceChanged(snapshot, movement.document_id, deposit_per_unit, movement)
        )


def count_adjustment(balance: TareBalance, counted: Decimal) -> tuple[Direction, Decimal]:
    """The movement that brings `balance` to what a count found."""
    difference = counted - balance.balance
    if difference > 0:
        return Direction.ISSUED, difference
    if difference < 0:
        return Direction.RETURNED, -difference
    return Direction.COUNTED, ZERO


def new_balance(client_id: str, container: str) -> TareBalance:
    return TareBalance(client_id, container, ZERO, ZERO, 0)
