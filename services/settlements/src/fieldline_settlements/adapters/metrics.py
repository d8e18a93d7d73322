"""Business figures of settlements, counted from what commits (Prometheus).

- `fieldline_settlements_payments_total{kind}`: payments recorded, `cash` or `bank`: those of
  RecordPayment and the cash of van sales (booked from orders' events by the
  `settlements-orders` consumer).

Counted from the events a commit wrote (`App.after_commit`, which also sees a consumer's
commits): a retry answered from its stored response, or a second copy of an orders event,
writes nothing and counts nothing, nor does a transaction that rolls back.
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import Counter

from fieldline.settlements.events.v1 import events_pb2 as ev
from fieldline.settlements.v1 import resources_pb2 as pb
from fieldline_kit.uow import IntegrationEvent

PAYMENTS = Counter("fieldline_settlements_payments", "Payments recorded, by kind", ["kind"])

_KINDS = {pb.PAYMENT_KIND_CASH: "cash", pb.PAYMENT_KIND_BANK: "bank"}
for _kind in _KINDS.values():  # at 0 from the start, so the first one is an increase
    PAYMENTS.labels(_kind)


def committed(events: Sequence[IntegrationEvent]) -> None:
    """`App.after_commit`: count the payments among a commit's events."""
    for e in events:
        if isinstance(e.message, ev.PaymentRecorded):
            PAYMENTS.labels(_KINDS.get(e.message.payment.kind, "unspecified")).inc()
