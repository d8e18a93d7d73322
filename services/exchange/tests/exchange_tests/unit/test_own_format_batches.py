"""How an own-format file's records become batches: one section each, at most the batch size,
but a client's tare rows of one container together (they make one count) even when the file
spreads them out."""

from __future__ import annotations

from decimal import Decimal

from fieldline_exchange.domain import own_records as own
from fieldline_exchange.service_layer.own_import import _runs


def tare(client: str, container: str, outlet: str | None = None) -> own.TareBalance:
    return own.TareBalance(client, container, 1, Decimal(0), "RUB", outlet_id=outlet)


def test_a_clients_rows_of_one_container_are_one_batch_whatever_their_place() -> None:
    limit = own.CreditLimit("c-0", Decimal(1), "RUB")
    records = [
        limit,
        tare("c-1", "keg"),
        tare("c-2", "keg"),
        tare("c-1", "keg", "shop-2"),
        tare("c-1", "crate"),
        tare("c-1", "keg", "shop-3"),
        limit,
    ]
    runs = [
        (section, [(getattr(r, "client_id", ""), getattr(r, "container", "")) for r in run])
        for section, run in _runs(records, size=2)
    ]
    assert runs == [
        ("credit_limits", [("c-0", "")]),
        # c-1's three keg rows regrouped and kept together past the size of 2
        ("tare_balances", [("c-1", "keg"), ("c-1", "keg"), ("c-1", "keg")]),
        ("tare_balances", [("c-2", "keg"), ("c-1", "crate")]),
        ("credit_limits", [("c-0", "")]),
    ]
