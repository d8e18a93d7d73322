"""How an own-format file's records become batches: one section each, at most the batch size,
but a client's tare rows of one container together (they make one count) even when the file
spreads them out; tare documents bounded by their lines too."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pytest import MonkeyPatch

from fieldline_exchange.domain import own_records as own
from fieldline_exchange.service_layer import own_import
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


def document(n: int, lines: int) -> own.TareDocument:
    return own.TareDocument(
        f"TD-{n}",
        date(2026, 12, 5),
        "c-1",
        tuple(own.TareLine(f"keg-{i}", own.TareDirection.ISSUED, 1) for i in range(lines)),
    )


def test_tare_documents_are_batched_by_count_and_by_lines(monkeypatch: MonkeyPatch) -> None:
    """At most the batch size of documents, and at most TARE_LINES_PER_BATCH lines (a
    document of more lines than that alone in its batch): a request stays small."""
    monkeypatch.setattr(own_import, "TARE_LINES_PER_BATCH", 10)
    records = [document(0, 4), document(1, 4), document(2, 4), document(3, 12), document(4, 1)]
    runs = [(section, [r.external_id for r in run]) for section, run in _runs(records, size=500)]
    assert runs == [
        ("tare_documents", ["TD-0", "TD-1"]),  # 8 lines; a third would make 12
        ("tare_documents", ["TD-2"]),
        ("tare_documents", ["TD-3"]),  # 12 lines: alone
        ("tare_documents", ["TD-4"]),
    ]
    by_count = [[r.external_id for r in run] for _, run in _runs(records[:3], size=2)]
    assert by_count == [["TD-0", "TD-1"], ["TD-2"]]
