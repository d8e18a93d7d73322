"""A client's account: credit limit, payment terms, credit reservations of orders.

The account row is what serialises everything that moves one client's debt: invoices,
payments and credit checks lock it first, so two concurrent orders of a client are judged one
after the other and its `version` orders the client's `DebtChanged` events. It also keeps the
client's credit standing as last judged (`standing`, `standing_version`: the order of its
`CreditStandingChanged` events), judged again under the same lock by whatever changes it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from fieldline_kit.errors import InvalidArgument
from fieldline_settlements.domain.events import CreditStandingChanged, DebtChanged, Event
from fieldline_settlements.domain.ledger import LedgerFigures, due_date
from fieldline_settlements.domain.values import ZERO, amount, require_id

if TYPE_CHECKING:
    from fieldline_settlements.domain.credit import CreditStanding

MAX_TERMS_DAYS = 3650


@dataclass(frozen=True)
class BalanceSnapshot:
    """The published figures of a client (outlet_id empty) or of one of its outlets, at the
    client account's `version` (0: no account yet)."""

    client_id: str
    outlet_id: str
    balance: Decimal
    overdue: Decimal
    max_overdue_days: int
    open_invoices: int
    credit_limit: Decimal | None
    reserved: Decimal
    version: int = 0

    @classmethod
    def of(
        cls,
        client_id: str,
        outlet_id: str,
        figures: LedgerFigures,
        credit_limit: Decimal | None,
        reserved: Decimal,
        version: int = 0,
    ) -> BalanceSnapshot:
        return cls(
            client_id,
            outlet_id,
            figures.balance,
            figures.overdue,
            figures.max_overdue_days,
            figures.open_invoices,
            credit_limit,
            reserved if not outlet_id else ZERO,
            version,
        )


@dataclass(eq=False)
class ClientAccount:
    """A client's credit limit and payment terms; its `version` numbers the published states
    of the client's figures (`DebtChanged`), so every change is published through
    `debt_changed`, which steps it."""

    client_id: str
    credit_limit: Decimal | None
    payment_terms_days: int
    version: int
    updated_at: datetime
    # Who set the limit and terms in force (a verified subject; empty: never set, or unknown).
    changed_by: str = ""
    # The client's credit standing as last judged (`CreditStanding.decisions`; empty: never)
    # and its version, which numbers the published standings (`CreditStandingChanged`).
    standing: str = ""
    standing_version: int = 0
    events: list[Event] = field(default_factory=list, repr=False)

    def due_date(self, issue_date: date) -> date:
        return due_date(issue_date, self.payment_terms_days)

    def set_terms(
        self, *, limit: Decimal | None, clear: bool, terms_days: int, now: datetime, by: str = ""
    ) -> bool:
        """Set (or with `clear`, remove) the credit limit and the payment terms, `by` whom;
        whether they changed (the caller then publishes the new figures with `debt_changed`)."""
        if clear and limit is not None:
            raise InvalidArgument("limit", "must be empty when clear is set")
        if not clear and limit is None:
            raise InvalidArgument("limit", "is required (or set clear to remove the limit)")
        if limit is not None:
            limit = amount("limit", limit)
        if not 0 <= terms_days <= MAX_TERMS_DAYS:
            raise InvalidArgument(
                "payment_terms_days", f"must be within [0, {MAX_TERMS_DAYS}], got {terms_days}"
            )
        if (limit, terms_days) == (self.credit_limit, self.payment_terms_days):
            return False
        self.credit_limit = limit
        self.payment_terms_days = terms_days
        self.updated_at = now
        self.changed_by = by
        return True

    def debt_changed(
        self, snapshots: Sequence[BalanceSnapshot], now: datetime
    ) -> list[BalanceSnapshot]:
        """Record the client's new figures (and its touched outlets'); the snapshots at the
        new version.

        One published state, one version: the version steps unless figures recorded earlier
        are still waiting to be published (pending `events`), whose state this one extends.
        """
        if not any(isinstance(e, DebtChanged) for e in self.events):
            self.version += 1
        self.updated_at = now
        versioned = [dataclasses.replace(s, version=self.version) for s in snapshots]
        for snapshot in versioned:
            self.events.append(DebtChanged(snapshot, self.version))
        return versioned

    def judged(self, standing: CreditStanding) -> bool:
        """Record the client's standing as just judged; whether its decisions changed (then it
        is published at the standing's next version)."""
        if standing.client_id != self.client_id:
            raise ValueError("another client's standing")
        if standing.decisions == self.standing:
            return False
        self.standing = standing.decisions
        self.standing_version += 1
        published = dataclasses.replace(standing, version=self.standing_version)
        self.events.append(CreditStandingChanged(published, self.standing_version))
        return True


@dataclass
class Reservation:
    """Credit an order holds between its check and its invoice (or its cancellation)."""

    order_id: str
    client_id: str
    amount: Decimal
    stage: str
    created_at: datetime
    expires_at: datetime

    @classmethod
    def create(
        cls, order_id: str, client_id: str, value: Decimal, stage: str, now: datetime, hours: float
    ) -> Reservation:
        return cls(
            order_id=require_id("order_id", order_id),
            client_id=client_id,
            amount=value,
            stage=stage,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )

    def active(self, now: datetime) -> bool:
        return self.expires_at > now
