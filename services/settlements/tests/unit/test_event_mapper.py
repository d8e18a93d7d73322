"""Every domain event is published, on its subject, about its aggregate and version."""

from __future__ import annotations

from datetime import date

from fieldline.settlements.v1 import resources_pb2 as pb
from fieldline_settlements.adapters.event_mapper import SettlementsEvents, tare_aggregate_id
from fieldline_settlements.domain import events
from fieldline_settlements.domain.account import BalanceSnapshot
from fieldline_settlements.domain.ledger import LedgerFigures
from fieldline_settlements.domain.tare import Direction, DocumentKind, TareBalance, TareMovement

from .conftest import CFG, CLIENT, OUTLET_A, d, invoice, payment


def test_every_domain_event_has_a_mapper() -> None:
    declared = {
        cls
        for cls in vars(events).values()
        if isinstance(cls, type) and issubclass(cls, events.Event) and cls is not events.Event
    }
    assert declared and declared == SettlementsEvents.mapped_types()


MOVEMENT = TareMovement(
    CLIENT,
    OUTLET_A,
    "keg-50",
    "doc-1",
    Direction.ISSUED,
    d("2"),
    date(2024, 5, 15),
    DocumentKind.VAN_SALE,
    d("2"),
    17,
)


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
            events.TareBalanceChanged(keg, "doc-1", d("150.00"), MOVEMENT),
            events.InvoiceChanged(inv),
            events.DebtPolicyChanged(CLIENT, CFG.default_policy, True, True, 3),
            events.DebtPolicyChanged("", CFG.default_policy, True, False, 2),
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
        (f"{prefix}.InvoiceChanged", "invoice", inv.id, 1),
        (f"{prefix}.DebtPolicyChanged", "debt_policy", CLIENT, 3),
        (f"{prefix}.DebtPolicyChanged", "debt_policy", "company", 2),
    ]


def test_the_resources_carry_the_version_of_their_events() -> None:
    """A listed resource and an event about it can be compared: the message's `version` is
    the event's aggregate version."""
    mapper = SettlementsEvents("RUB")
    inv = invoice("10.00")
    inv.version = 3
    figures = LedgerFigures(d("10.00"), d("0.00"), 0, 1)
    snapshot = BalanceSnapshot.of(CLIENT, "", figures, None, d("0"), 7)
    keg = TareBalance(CLIENT, "keg-50", d("3"), d("1"), 4)
    for domain_event, resource in (
        (events.InvoiceIssued(inv), "invoice"),
        (events.InvoiceChanged(inv), "invoice"),
        (events.DebtChanged(snapshot, 7), "balance"),
        (events.TareBalanceChanged(keg, "doc-1", d("150.00"), MOVEMENT), "balance"),
    ):
        (e,) = mapper(domain_event)
        assert getattr(e.message, resource).version == e.aggregate_version
    (policy,) = mapper(events.DebtPolicyChanged(CLIENT, CFG.default_policy, True, True, 3))
    assert (policy.message.client_id, policy.message.is_default, policy.message.cleared) == (
        CLIENT,
        True,
        True,
    )
    assert policy.message.policy.client_id == ""  # the company's, in force for the client


def test_a_tare_event_carries_its_movement() -> None:
    keg = TareBalance(CLIENT, "keg-50", d("3"), d("1"), 4)
    (e,) = SettlementsEvents("RUB")(events.TareBalanceChanged(keg, "doc-1", d("1.00"), MOVEMENT))
    m = e.message.movement
    assert (m.id, m.document_kind, m.direction, m.quantity, m.balance_after) == (
        17,
        pb.TARE_DOCUMENT_KIND_VAN_SALE,
        pb.TARE_DIRECTION_ISSUED,
        "2",
        "2",
    )
