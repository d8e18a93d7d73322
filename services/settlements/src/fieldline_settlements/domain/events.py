"""Domain events: what happened, in the past tense. Mapped to published protos in adapters/.

Events hold the aggregate itself, so what is published is its state when the unit of work
writes the outbox (after every change of the same transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fieldline_settlements.domain.account import BalanceSnapshot
    from fieldline_settlements.domain.cash import CashHandover
    from fieldline_settlements.domain.credit import CreditStanding
    from fieldline_settlements.domain.ledger import Invoice, Payment
    from fieldline_settlements.domain.policy import DebtPolicy
    from fieldline_settlements.domain.tare import TareBalance, TareMovement


class Event:
    """Marker base."""


@dataclass(frozen=True)
class InvoiceIssued(Event):
    """An invoice (or, negative, a credit note) was booked."""

    invoice: Invoice


@dataclass(frozen=True)
class InvoiceChanged(Event):
    """A booked invoice's (or credit note's) open amount changed: a later payment or credit
    note paid it, or its credit paid another invoice. Holds the invoice, so what is published
    is its open amount after every allocation of the transaction."""

    invoice: Invoice


@dataclass(frozen=True)
class PaymentRecorded(Event):
    payment: Payment


@dataclass(frozen=True)
class DebtChanged(Event):
    """The balance of a client (outlet_id empty) or of one of its outlets changed."""

    balance: BalanceSnapshot
    version: int


@dataclass(frozen=True)
class TareBalanceChanged(Event):
    """The balance after `movement` (which holds its stored id by the time it is
    published)."""

    balance: TareBalance
    document_id: str
    deposit_per_unit: Decimal
    movement: TareMovement


@dataclass(frozen=True)
class DebtPolicyChanged(Event):
    """The policy of a client (client_id; empty: the company's) was set anew or cleared, at
    `version`; `in_force`: the policy now in force for the client, `is_default` whether that
    is the company's."""

    client_id: str
    in_force: DebtPolicy
    is_default: bool
    cleared: bool
    version: int


@dataclass(frozen=True)
class CreditStandingChanged(Event):
    """What the client's debt policy decides on its orders changed (an outcome, or the codes
    of its reasons, at some stage): the standing judged, at the standing's new `version`."""

    standing: CreditStanding
    version: int


@dataclass(frozen=True)
class CashHandedOver(Event):
    handover: CashHandover


@dataclass(frozen=True)
class CashOnHandChanged(Event):
    """The cash `employee_id` holds is now `total`, at the cash on hand's `version`."""

    employee_id: str
    total: Decimal
    version: int
