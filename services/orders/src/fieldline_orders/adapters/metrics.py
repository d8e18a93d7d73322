"""Business figures of orders, counted from what commits (Prometheus).

- `fieldline_orders_submitted_total{kind,credit_outcome,fallback}`: new orders written:
  `kind` pre_sale (submitted or held for credit) or van_sale (sold from a van); the credit
  decision the order was written with (`credit_outcome` allow, warn, overridden or block: a
  pre-sale order held by the policy) and whether orders' fallback made it because settlements
  could not be asked (`fallback` "true"). Re-checks of held orders are not new orders and are
  not counted; van sales the policy blocks are refused, never written, so never counted.

Counted from the events a commit wrote (`App.after_commit`): an order is new when its event
is its first version. A retry answered from its stored response writes nothing and counts
nothing, nor does a transaction that rolls back.
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import Counter

from fieldline.orders.events.v1 import events_pb2 as ev
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline_kit.uow import IntegrationEvent

SUBMITTED = Counter(
    "fieldline_orders_submitted",
    "New orders written, by kind and the credit decision they were written with",
    ["kind", "credit_outcome", "fallback"],
)
# The events an order's first version is announced with.
NEW_ORDER_EVENTS = (ev.OrderSubmitted, ev.OrderHeld, ev.VanSaleCompleted)


def _label(name: str, prefix: str) -> str:
    return name.removeprefix(prefix).lower()


def count_order(order: pb.Order) -> None:
    SUBMITTED.labels(
        _label(pb.OrderKind.Name(order.kind), "ORDER_KIND_"),
        _label(pb.CreditOutcome.Name(order.credit.outcome), "CREDIT_OUTCOME_"),
        "true" if order.credit.fallback else "false",
    ).inc()


def committed(events: Sequence[IntegrationEvent]) -> None:
    """`App.after_commit`: count the new orders among a commit's events."""
    for e in events:
        message = e.message
        if isinstance(message, NEW_ORDER_EVENTS) and message.order.version == 1:
            count_order(message.order)
