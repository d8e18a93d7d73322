"""Domain events → published integration events (fieldline.settlements.events.v1).

Subjects `settlements.events.v1.<MessageName>` on the SETTLEMENTS stream. Aggregates (type,
id, version): `invoice` and `payment` (their ids and versions); `client_balance` (client id)
and `outlet_balance` (outlet id), both versioned by the client account's version, which steps
once per change of the client's debt; `tare_balance` (a UUIDv5 of client id and container
type, since the pair does not fit the 64-character aggregate id; its own version);
`cash_handover` (its id, version 1) and `cash_on_hand` (the employee id, the cash on hand's
version); `debt_policy` (the client id, `company` for the company's; its own version, stepping
through clears too); `credit_standing` (the client id; the standing version kept on the client's
account, stepping with each change of its decisions).
"""

from __future__ import annotations

import uuid

from fieldline.settlements.events.v1 import events_pb2 as ev
from fieldline_kit.event_mapper import EventMapper, maps
from fieldline_kit.uow import IntegrationEvent
from fieldline_settlements import topology
from fieldline_settlements.adapters import proto_mapping as pm
from fieldline_settlements.domain import events

TARE_NAMESPACE = uuid.UUID("6f1b3c52-7d0e-5a8e-9c4b-2f5a1e7d9b30")


def tare_aggregate_id(client_id: str, container_type: str) -> str:
    return str(uuid.uuid5(TARE_NAMESPACE, f"{client_id}/{container_type}"))


# The aggregate id of the company's debt policy (a client's is the client id).
COMPANY_POLICY = "company"


def policy_aggregate_id(client_id: str) -> str:
    return client_id or COMPANY_POLICY


class SettlementsEvents(EventMapper):
    """Money in the events is in the ledger's only currency, `currency`."""

    subject_prefix = topology.SUBJECT_PREFIX

    def __init__(self, currency: str) -> None:
        self.currency = currency

    @maps(events.InvoiceIssued)
    def invoice_issued(self, e: events.InvoiceIssued) -> IntegrationEvent:
        i = e.invoice
        message = ev.InvoiceIssued(invoice=pm.invoice_pb(i, self.currency))
        return self.event("invoice", i.id, i.version, message)

    @maps(events.InvoiceChanged)
    def invoice_changed(self, e: events.InvoiceChanged) -> IntegrationEvent:
        i = e.invoice
        message = ev.InvoiceChanged(invoice=pm.invoice_pb(i, self.currency))
        return self.event("invoice", i.id, i.version, message)

    @maps(events.PaymentRecorded)
    def payment_recorded(self, e: events.PaymentRecorded) -> IntegrationEvent:
        p = e.payment
        message = ev.PaymentRecorded(payment=pm.payment_pb(p, self.currency))
        return self.event("payment", p.id, p.version, message)

    @maps(events.DebtChanged)
    def debt_changed(self, e: events.DebtChanged) -> IntegrationEvent:
        b = e.balance
        message = ev.DebtChanged(balance=pm.balance_pb(b, self.currency))
        if b.outlet_id:
            return self.event("outlet_balance", b.outlet_id, e.version, message)
        return self.event("client_balance", b.client_id, e.version, message)

    @maps(events.DebtPolicyChanged)
    def debt_policy_changed(self, e: events.DebtPolicyChanged) -> IntegrationEvent:
        message = ev.DebtPolicyChanged(
            client_id=e.client_id,
            policy=pm.policy_pb(e.in_force),
            is_default=e.is_default,
            cleared=e.cleared,
        )
        return self.event("debt_policy", policy_aggregate_id(e.client_id), e.version, message)

    @maps(events.CreditStandingChanged)
    def credit_standing_changed(self, e: events.CreditStandingChanged) -> IntegrationEvent:
        message = ev.CreditStandingChanged(standing=pm.standing_pb(e.standing, self.currency))
        return self.event("credit_standing", e.standing.client_id, e.version, message)

    @maps(events.TareBalanceChanged)
    def tare_balance_changed(self, e: events.TareBalanceChanged) -> IntegrationEvent:
        t = e.balance
        message = ev.TareBalanceChanged(
            balance=pm.tare_pb(t, e.deposit_per_unit, self.currency),
            document_id=e.document_id,
            movement=pm.movement_pb(e.movement),
        )
        aggregate_id = tare_aggregate_id(t.client_id, t.container_type)
        return self.event("tare_balance", aggregate_id, t.version, message)

    @maps(events.CashHandedOver)
    def cash_handed_over(self, e: events.CashHandedOver) -> IntegrationEvent:
        h = e.handover
        message = ev.CashHandedOver(handover=pm.handover_pb(h, self.currency))
        return self.event("cash_handover", h.id, h.version, message)

    @maps(events.CashOnHandChanged)
    def cash_on_hand_changed(self, e: events.CashOnHandChanged) -> IntegrationEvent:
        message = ev.CashOnHandChanged(
            employee_id=e.employee_id, total=pm.m(e.total, self.currency), version=e.version
        )
        return self.event("cash_on_hand", e.employee_id, e.version, message)
