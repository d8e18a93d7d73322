"""Domain events → published integration events (fieldline.settlements.events.v1).

Subjects `settlements.events.v1.<MessageName>` on the SETTLEMENTS stream. Aggregates (type,
id, version): `invoice` and `payment` (their ids and versions); `client_balance` (client id)
and `outlet_balance` (outlet id), both versioned by the client account's version, which steps
once per change of the client's debt; `tare_balance` (a UUIDv5 of client id and container
type, since the pair does not fit the 64-character aggregate id; its own version).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

from google.protobuf.message import Message

from fieldline.settlements.events.v1 import events_pb2 as ev
from fieldline_kit.uow import IntegrationEvent
from fieldline_settlements.adapters import proto_mapping as pm
from fieldline_settlements.domain import events

SUBJECT_PREFIX = "settlements.events.v1"
STREAM = "SETTLEMENTS"
TARE_NAMESPACE = uuid.UUID("6f1b3c52-7d0e-5a8e-9c4b-2f5a1e7d9b30")


def tare_aggregate_id(client_id: str, container_type: str) -> str:
    return str(uuid.uuid5(TARE_NAMESPACE, f"{client_id}/{container_type}"))


def _event(kind: str, aggregate_id: str, version: int, message: Message) -> IntegrationEvent:
    name = type(message).__name__
    return IntegrationEvent(f"{SUBJECT_PREFIX}.{name}", message, kind, aggregate_id, version)


def make_mapper(currency: str) -> Callable[[events.Event], Iterator[IntegrationEvent]]:
    def to_integration(event: events.Event) -> Iterator[IntegrationEvent]:
        if isinstance(event, events.InvoiceIssued):
            i = event.invoice
            msg: Message = ev.InvoiceIssued(invoice=pm.invoice_pb(i, currency))
            yield _event("invoice", i.id, i.version, msg)
        elif isinstance(event, events.PaymentRecorded):
            p = event.payment
            msg = ev.PaymentRecorded(payment=pm.payment_pb(p, currency))
            yield _event("payment", p.id, p.version, msg)
        elif isinstance(event, events.DebtChanged):
            b = event.balance
            msg = ev.DebtChanged(balance=pm.balance_pb(b, currency))
            if b.outlet_id:
                yield _event("outlet_balance", b.outlet_id, event.version, msg)
            else:
                yield _event("client_balance", b.client_id, event.version, msg)
        elif isinstance(event, events.TareBalanceChanged):
            t = event.balance
            msg = ev.TareBalanceChanged(
                balance=pm.tare_pb(t, event.deposit_per_unit, currency),
                document_id=event.document_id,
            )
            aggregate_id = tare_aggregate_id(t.client_id, t.container_type)
            yield _event("tare_balance", aggregate_id, t.version, msg)
        else:
            raise TypeError(f"no integration event for {type(event).__name__}")

    return to_integration
