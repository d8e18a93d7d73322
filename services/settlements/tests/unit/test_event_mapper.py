"""Every domain event is published, on its subject, about its aggregate and version."""

from __future__ import annotations

from fieldline_settlements.adapters.event_mapper import SettlementsEvents, tare_aggregate_id
from fieldline_settlements.domain import events
from fieldline_settlements.domain.account import BalanceSnapshot
from fieldline_settlements.domain.ledger import LedgerFigures
from fieldline_settlements.domain.tare import TareBalance

from .conftest import CLIENT, OUTLET_A, d, invoice, payment


def test_every_domain_event_has_a_mapper() -> None:
    declared = {
        cls
        for cls in vars(events).values()
        if isinstance(cls, type) and issubclass(cls, events.Event) and cls is not events.Event
    }
    assert declared and declared == SettlementsEvents.mapped_types()


def test_subjects_aggregates_and_versions() -> None:
    mapper = SettlementsEvents("RUB")
    inv, pay = invoice("10.00"), payment("5.00")
    figures = LedgerFigures(d("10.00"), d("0.00"), 0, 1)
    keg = TareBalance(CLIENT, "keg-50", d("3"), d("1"), 4)
    published = [
        (e.subject, e.aggregate_type, e.aggregate_id, e.aggregate_version)
        for domain_event in (
            events.InvoiceIssued(inv),
            events.PaymentRecorded(pay),
            events.DebtChanged(BalanceSnapshot.of(CLIENT, "", figures, None, d("0")), 7),
            events.DebtChanged(BalanceSnapshot.of(CLIENT, OUTLET_A, figures, None, d("0")), 7),
            events.TareBalanceChanged(keg, "doc-1", d("150.00")),
        )
        for e in mapper(domain_event)
    ]
    prefix = "settlements.events.v1"
    assert published == [
        (f"{prefix}.InvoiceIssued", "invoice", inv.id, 1),
        (f"{prefix}.PaymentRecorded", "payment", pay.id, 1),
        (f"{prefix}.DebtChanged", "client_balance", CLIENT, 7),
        (f"{prefix}.DebtChanged", "outlet_balance", OUTLET_A, 7),
        (f"{prefix}.TareBalanceChanged", "tare_balance", tare_aggregate_id(CLIENT, "keg-50"), 4),
    ]
