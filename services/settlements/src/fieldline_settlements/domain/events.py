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
    from fieldline_settlements.domain.ledger import Invoice, Payment
    from fieldline_settlements.domain.tare import TareBalance


class Event:
    """Marker base."""


@dataclass(frozen=True)
class InvoiceIssued(Event):
    """An invoice (or, negative, a credit note) was booked."""

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
    balance: TareBalance
    document_id: str
    deposit_per_unit: Decimal
