"""Payments counted as they commit, and only then (adapters/metrics.py): those of RecordPayment
and the cash of van sales its `settlements-orders` consumer books (a second copy of the event
books nothing and counts nothing)."""

from __future__ import annotations

from datetime import date

from prometheus_client import REGISTRY

from fieldline_kit.testing.helpers import eventually, new_id
from fieldline_settlements.entrypoints.orders_consumer import CONSUMER

from .builders import envelope, payment_request, publish, van_sale
from .conftest import Harness

ON = date(2026, 11, 20)


def payments(kind: str) -> float:
    value = REGISTRY.get_sample_value("fieldline_settlements_payments_total", {"kind": kind})
    return value or 0.0


def processed(outcome: str) -> float:
    labels = {"consumer": CONSUMER, "outcome": outcome}
    return REGISTRY.get_sample_value("fieldline_consumer_processed_total", labels) or 0.0


async def test_payments_count_once_each(svc: Harness) -> None:
    client_id = new_id()
    bank, cash, duplicates = payments("bank"), payments("cash"), processed("duplicate")

    request = payment_request(client_id, "100.00", on=ON)
    await svc.settlements.RecordPayment(request)
    await svc.settlements.RecordPayment(request)  # a retry: the stored answer
    request.request_id = new_id()
    await svc.settlements.RecordPayment(request)  # the same payment again: the original
    assert (payments("bank") - bank, payments("cash") - cash) == (1, 0)

    sale = envelope(van_sale(client_id, new_id(), "50.00", cash="50.00", on=ON), new_id())
    await publish(svc.js, sale)
    await publish(svc.js, sale, msg_id=new_id())  # a second copy, past JetStream's dedup

    async def both_handled() -> bool:
        return processed("duplicate") - duplicates >= 1 and payments("cash") - cash >= 1

    await eventually(both_handled, within=15)
    assert (payments("bank") - bank, payments("cash") - cash) == (1, 1)
