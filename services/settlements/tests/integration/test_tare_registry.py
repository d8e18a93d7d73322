"""The tare registry over real gRPC: every movement (van sale, return, count, ERP document)
listed with its kind and the balance after it, keyset-paged and filtered; an outlet's tare
balance; the ERP's tare documents applied once, bad input named per field with nothing
written. Roles: test_auth.py; scopes: test_scopes.py."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import grpc
import pytest
import pytest_asyncio

from fieldline.settlements.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_kit.testing.events import published
from fieldline_kit.testing.helpers import eventually_value, expect_error, new_id
from fieldline_settlements.adapters.event_mapper import tare_aggregate_id

from .builders import envelope, goods_return, pb_date, publish, snapshot, van_sale
from .conftest import Harness

INVALID = grpc.StatusCode.INVALID_ARGUMENT
DAY = date(2025, 4, 7)
KEG = "keg-registry"
ISSUED, RETURNED = pb.TARE_DIRECTION_ISSUED, pb.TARE_DIRECTION_RETURNED


def tare_document(
    client: str,
    *lines: tuple[str, int, str],
    outlet: str = "",
    doc: str = "",
    on: date = DAY,
) -> ss.TareDocument:
    return ss.TareDocument(
        document_id=doc or f"ERP-{new_id()[:12]}",
        date=pb_date(on),
        client_id=client,
        outlet_id=outlet,
        lines=[
            ss.TareDocumentLine(container_type=ct, direction=direction, quantity=qty)
            for ct, direction, qty in lines
        ],
    )


async def record(h: Harness, *documents: ss.TareDocument) -> ss.RecordTareDocumentsResponse:
    return await h.settlements.RecordTareDocuments(
        ss.RecordTareDocumentsRequest(request_id=new_id(), documents=list(documents))
    )


async def movements(h: Harness, size: int = 100, **filters: Any) -> list[pb.TareMovement]:
    found, token = [], ""
    while True:
        page = await h.settlements.ListTareMovements(
            ss.ListTareMovementsRequest(page_size=size, page_token=token, **filters)
        )
        found += list(page.movements)
        token = page.next_page_token
        if not token:
            return found


@pytest_asyncio.fixture(scope="module")
async def history(svc: Harness) -> dict[str, Any]:
    """One client's containers: a van sale at outlet A (day 0), a return at A (day 1), an ERP
    delivery document at outlet B (day 2), the ERP's count without an outlet (day 3)."""
    client, a, b = new_id(), new_id(), new_id()
    sale = van_sale(client, a, "100.00", on=DAY, containers=((KEG, "5"),))
    await publish(svc.js, envelope(sale, sale.order.id))
    back = goods_return(client, a, "20.00", on=DAY + timedelta(days=1), containers=((KEG, "2"),))
    await publish(svc.js, envelope(back, back.goods_return.id))
    await eventually_value(lambda: movements(svc, client_id=client), lambda found: len(found) == 2)
    erp = await record(
        svc,
        tare_document(client, (KEG, ISSUED, "4"), outlet=b, on=DAY + timedelta(days=2)),
    )
    await svc.settlements.RecordTareCounts(
        ss.RecordTareCountsRequest(
            request_id=new_id(),
            document_id=f"COUNT-{new_id()[:8]}",
            count_date=pb_date(DAY + timedelta(days=3)),
            counts=[ss.TareCount(client_id=client, container_type=KEG, quantity="6")],
        )
    )
    return {"client": client, "a": a, "b": b, "sale": sale, "back": back, "erp": erp}


async def test_every_movement_with_its_kind_and_the_balance_after_it(
    svc: Harness, history: dict[str, Any]
) -> None:
    found = await movements(svc, client_id=history["client"])
    assert [
        (m.document_kind, m.direction, m.quantity, m.balance_after, m.outlet_id) for m in found
    ] == [
        (pb.TARE_DOCUMENT_KIND_VAN_SALE, ISSUED, "5", "5", history["a"]),
        (pb.TARE_DOCUMENT_KIND_RETURN, RETURNED, "2", "3", history["a"]),
        (pb.TARE_DOCUMENT_KIND_ERP_DOCUMENT, ISSUED, "4", "7", history["b"]),
        (pb.TARE_DOCUMENT_KIND_COUNT, RETURNED, "1", "6", ""),
    ]
    assert found[0].document_id == history["sale"].order.id
    assert found[1].document_id == history["back"].goods_return.id
    assert found[2] == history["erp"].movements[0]
    assert all(m.id and m.create_time.seconds for m in found)
    # The balance is the last movement's balance after.
    tare = await svc.settlements.GetTareBalance(
        ss.GetTareBalanceRequest(client_id=history["client"])
    )
    assert [(b.balance, b.version) for b in tare.balances] == [("6", 4)]


async def test_filters_and_keyset_pages(svc: Harness, history: dict[str, Any]) -> None:
    client = history["client"]

    def kinds(found: list[pb.TareMovement]) -> list[int]:
        return [m.document_kind for m in found]

    cases: dict[str, tuple[dict[str, Any], list[int]]] = {
        "outlet": ({"outlet_id": history["a"]}, [1, 2]),
        "kind": ({"document_kind": pb.TARE_DOCUMENT_KIND_COUNT}, [4]),
        "type": ({"container_type": "crate"}, []),
        "from": ({"from_date": pb_date(DAY + timedelta(days=2))}, [5, 4]),
        "to": ({"to_date": pb_date(DAY)}, [1]),
    }
    for name, (filters, expected) in cases.items():
        assert kinds(await movements(svc, client_id=client, **filters)) == expected, name
    # One a page: the same four in the same order, while a later one arrives between pages.
    page = await svc.settlements.ListTareMovements(
        ss.ListTareMovementsRequest(client_id=client, page_size=1)
    )
    seen = list(page.movements)
    late = tare_document(client, ("crate", ISSUED, "1"), on=DAY + timedelta(days=30))
    await record(svc, late)
    while page.next_page_token:
        page = await svc.settlements.ListTareMovements(
            ss.ListTareMovementsRequest(
                client_id=client, page_size=1, page_token=page.next_page_token
            )
        )
        seen += list(page.movements)
    assert kinds(seen) == [1, 2, 5, 4, 5] and len({m.id for m in seen}) == 5


async def test_an_outlets_tare_balance_is_the_sum_of_its_movements(
    svc: Harness, history: dict[str, Any]
) -> None:
    async def outlet(outlet_id: str) -> list[pb.TareBalance]:
        reply = await svc.settlements.GetTareBalance(
            ss.GetTareBalanceRequest(client_id=history["client"], outlet_id=outlet_id)
        )
        return [b for b in reply.balances if b.container_type == KEG]

    (a,) = await outlet(history["a"])
    (b,) = await outlet(history["b"])
    assert (a.outlet_id, a.issued, a.returned, a.balance) == (history["a"], "5", "2", "3")
    assert (b.outlet_id, b.issued, b.returned, b.balance) == (history["b"], "4", "0", "4")
    # The count (no outlet) is the client's only: 3 + 4 at the outlets, 6 for the client.
    assert a.version == b.version == 4
    assert await outlet(new_id()) == []


async def test_a_document_applies_once_and_publishes_its_movement(svc: Harness) -> None:
    client = new_id()
    doc = tare_document(client, (KEG, ISSUED, "3"), (KEG, RETURNED, "1"))
    first = await record(svc, doc)
    assert [(m.direction, m.balance_after) for m in first.movements] == [
        (ISSUED, "3"),
        (RETURNED, "2"),
    ]
    before = await snapshot(svc)
    again = await record(svc, doc)  # a new request_id: the document's movements answer
    assert again == first
    after = await snapshot(svc)
    assert len(after.pop("idempotency")) == len(before.pop("idempotency")) + 1  # its answer
    assert after == before
    before = await snapshot(svc)
    changed = ss.TareDocument()
    changed.CopyFrom(doc)
    changed.lines[1].quantity = "2"
    await expect_error(
        record(svc, changed), grpc.StatusCode.ALREADY_EXISTS, "documents[0].lines[1]:"
    )
    assert await snapshot(svc) == before
    keg = tare_aggregate_id(client, KEG)
    events = await published(svc.js, "SETTLEMENTS", lambda e: e.aggregate_id == keg, expect=2)
    assert [p.message.movement for p in events] == list(first.movements)  # type: ignore[attr-defined]
    assert [p.envelope.aggregate_version for p in events] == [1, 2]


def _line(**values: Any) -> Any:
    def change(d: ss.TareDocument) -> None:
        for name, value in values.items():
            setattr(d.lines[0], name, value)

    return change


def _doc(**values: Any) -> Any:
    def change(d: ss.TareDocument) -> None:
        for name, value in values.items():
            if name == "date":
                d.ClearField("date")
            else:
                setattr(d, name, value)

    return change


BAD: dict[str, tuple[Any, str]] = {
    "document id": (_doc(document_id="bad id!"), "documents[0].document_id:"),
    "client": (_doc(client_id="c-1"), "documents[0].client_id:"),
    "outlet": (_doc(outlet_id="o-1"), "documents[0].outlet_id:"),
    "date": (_doc(date=None), "documents[0].date:"),
    "no lines": (lambda d: d.ClearField("lines"), "documents[0].lines:"),
    "container type": (_line(container_type=""), "documents[0].lines[0].container_type:"),
    "direction": (_line(direction=0), "documents[0].lines[0].direction:"),
    "counted": (_line(direction=pb.TARE_DIRECTION_COUNTED), "documents[0].lines[0].direction:"),
    "unknown direction": (_line(direction=42), "documents[0].lines[0].direction:"),
    "zero": (_line(quantity="0"), "documents[0].lines[0].quantity:"),
    "not a number": (_line(quantity="two"), "documents[0].lines[0].quantity:"),
    "twice": (lambda d: d.lines.append(d.lines[0]), "documents[0].lines[1]:"),
}


@pytest.mark.parametrize("case", sorted(BAD))
async def test_bad_documents_are_named_per_field_and_nothing_moves(svc: Harness, case: str) -> None:
    change, needle = BAD[case]
    good = tare_document(new_id(), (KEG, ISSUED, "1"))
    bad = tare_document(new_id(), (KEG, ISSUED, "1"))
    change(bad)
    before = await snapshot(svc)
    error = await expect_error(record(svc, good, bad), INVALID)
    assert (error.details() or "").replace("documents[1]", "documents[0]").startswith(needle), (
        error.details()
    )
    assert await snapshot(svc) == before


async def test_a_call_takes_one_to_a_thousand_documents(svc: Harness) -> None:
    await expect_error(record(svc), INVALID, "documents:")
    many = [tare_document(new_id(), (KEG, ISSUED, "1")) for _ in range(1001)]
    await expect_error(record(svc, *many), INVALID, "documents:")


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"client_id": "c-1"}, "client_id"),
        ({"outlet_id": "o"}, "outlet_id"),
        ({"container_type": "k" * 61}, "container_type"),
        ({"document_kind": 77}, "document_kind"),
        ({"page_size": -1}, "page_size"),
        ({"page_token": "x"}, "page_token"),
        ({"from_date": pb_date(DAY), "to_date": pb_date(DAY - timedelta(days=1))}, "to_date"),
    ],
)
async def test_bad_list_input_is_named_per_field(
    svc: Harness, filters: dict[str, Any], field: str
) -> None:
    error = await expect_error(
        svc.settlements.ListTareMovements(ss.ListTareMovementsRequest(**filters)), INVALID
    )
    assert (error.details() or "").startswith(f"{field}:"), error.details()


async def test_a_payments_token_is_not_a_tare_token(svc: Harness, history: dict[str, Any]) -> None:
    client = history["client"]
    for n in range(2):
        await svc.settlements.RecordPayment(
            ss.RecordPaymentRequest(
                request_id=new_id(),
                payment=pb.Payment(
                    id=new_id(),
                    kind=pb.PAYMENT_KIND_BANK,
                    client_id=client,
                    date=pb_date(DAY + timedelta(days=n)),
                    amount={"currency_code": "RUB", "units": 1},
                ),
            )
        )
    payments = await svc.settlements.ListPayments(
        ss.ListPaymentsRequest(client_id=client, page_size=1)
    )
    await expect_error(
        svc.settlements.ListTareMovements(
            ss.ListTareMovementsRequest(client_id=client, page_token=payments.next_page_token)
        ),
        INVALID,
        "page_token:",
    )
