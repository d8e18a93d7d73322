"""The tare registry: each movement's kind and the balance after it, and the ERP's tare
documents (`handlers.record_tare_documents`) over the fakes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from fieldline_kit.errors import AlreadyExists, InvalidArgument
from fieldline_kit.testing.helpers import new_id
from fieldline_settlements.domain.events import TareBalanceChanged
from fieldline_settlements.domain.tare import (
    Direction,
    DocumentKind,
    TareMovement,
    new_balance,
)
from fieldline_settlements.service_layer import handlers
from fieldline_settlements.service_layer.handlers import TareDocumentInput, TareLineInput

from .conftest import CFG, CLIENT, NOW, OUTLET_A, TODAY, d
from .fakes import FakeSettlementsUnitOfWork

DAY = date(2024, 5, 15)


def movement(direction: Direction, qty: str) -> TareMovement:
    return TareMovement(CLIENT, OUTLET_A, "keg-50", new_id(), direction, d(qty), DAY)


def test_each_movement_knows_the_balance_after_it() -> None:
    keg = new_balance(CLIENT, "keg-50")
    moves = [
        movement(Direction.ISSUED, "4"),
        movement(Direction.RETURNED, "5"),
        movement(Direction.COUNTED, "0"),
        movement(Direction.ISSUED, "1.5"),
    ]
    for m in moves:
        keg.move(m, d("10.00"))
    assert [m.balance_after for m in moves] == [d("4"), d("-1"), d("-1"), d("0.5")]
    changed = [e for e in keg.events if isinstance(e, TareBalanceChanged)]
    assert [e.movement for e in changed] == [moves[0], moves[1], moves[3]]


def line(
    ct: str = "keg-50", direction: Direction | None = Direction.ISSUED, qty: str = "2"
) -> TareLineInput:
    return TareLineInput(ct, direction, qty)


def document(
    *lines: TareLineInput, doc: str = "", client: str = CLIENT, outlet: str = OUTLET_A
) -> TareDocumentInput:
    return TareDocumentInput(doc or f"ERP-{new_id()[:8]}", DAY, client, outlet, lines or (line(),))


async def test_a_document_moves_each_line_once_and_a_retry_answers_the_same() -> None:
    uow = FakeSettlementsUnitOfWork()
    uow.deposits.rows["keg-50"] = d("1500.00")
    doc = document(line(), line(direction=Direction.RETURNED, qty="1"), line("crate", qty="3"))
    made = await uow.run(handlers.record_tare_documents, NOW, [doc])
    assert [(m.container_type, m.direction, m.quantity, m.kind) for m in made] == [
        ("keg-50", Direction.ISSUED, d("2"), DocumentKind.ERP_DOCUMENT),
        ("keg-50", Direction.RETURNED, d("1"), DocumentKind.ERP_DOCUMENT),
        ("crate", Direction.ISSUED, d("3"), DocumentKind.ERP_DOCUMENT),
    ]
    assert [m.balance_after for m in made] == [d("2"), d("1"), d("3")]
    assert all(m.id for m in made)
    tare = {b.container_type: (b.issued, b.returned, b.version) for b in uow.tare.all()}
    # Each movement a published state of its own: keg-50 moved twice, version 2.
    assert tare == {"keg-50": (d("2"), d("1"), 2), "crate": (d("3"), d("0"), 1)}
    published = len(uow.events)
    assert {type(e) for e in uow.events} == {TareBalanceChanged}
    # Sent again: nothing moves, the same movements answer.
    before = uow.state()
    again = await uow.run(handlers.record_tare_documents, NOW, [doc])
    assert [m.id for m in again] == [m.id for m in made]
    assert uow.state() == before and len(uow.events) == published


async def test_the_same_document_with_other_data_already_exists_and_moves_nothing() -> None:
    uow = FakeSettlementsUnitOfWork()
    doc = document(doc="ERP-77")
    await uow.run(handlers.record_tare_documents, NOW, [doc])
    changed = document(line(qty="3"), doc="ERP-77")
    fresh = document(doc="ERP-78")
    await uow.refused(
        AlreadyExists,
        handlers.record_tare_documents,
        NOW,
        [fresh, changed],
        match=r"^documents\[1\]\.lines\[0\]: document 'ERP-77' already moved keg-50",
    )


@pytest.mark.parametrize(
    ("documents", "field"),
    [
        ([], "documents"),
        ([document()] * 1001, "documents"),
        ([document(doc="bad id!")], r"documents\[0\]\.document_id"),
        ([document(client="c-1")], r"documents\[0\]\.client_id"),
        ([document(outlet="o-1")], r"documents\[0\]\.outlet_id"),
        ([TareDocumentInput("ERP-1", DAY, CLIENT, "", ())], r"documents\[0\]\.lines"),
        ([document(line(ct=""))], r"documents\[0\]\.lines\[0\]\.container_type"),
        ([document(line(direction=None))], r"documents\[0\]\.lines\[0\]\.direction"),
        ([document(line(direction=Direction.COUNTED))], r"documents\[0\]\.lines\[0\]\.direction"),
        ([document(line(qty="0"))], r"documents\[0\]\.lines\[0\]\.quantity"),
        ([document(line(qty="-1"))], r"documents\[0\]\.lines\[0\]\.quantity"),
        ([document(line(qty="1.0001"))], r"documents\[0\]\.lines\[0\]\.quantity"),
        ([document(line(), line(qty="5"))], r"documents\[0\]\.lines\[1\]"),
        ([document(doc="D-1"), document(doc="D-1")], r"documents\[1\]\.document_id"),
    ],
)
async def test_bad_documents_are_named_and_nothing_moves(
    documents: list[TareDocumentInput], field: str
) -> None:
    uow = FakeSettlementsUnitOfWork()
    await uow.refused(
        InvalidArgument, handlers.record_tare_documents, NOW, documents, match=rf"^{field}: "
    )


async def test_every_bad_document_is_named_in_one_answer() -> None:
    uow = FakeSettlementsUnitOfWork()
    error = await uow.refused(
        InvalidArgument,
        handlers.record_tare_documents,
        NOW,
        [document(line(qty="0")), document(), document(client="x")],
    )
    assert error.message.startswith("documents[0].lines[0].quantity: must be positive (and 1 more")
    assert "documents[2].client_id" in error.message and "nothing was changed" in error.message


async def test_sales_returns_and_counts_record_their_kind() -> None:
    uow = FakeSettlementsUnitOfWork()
    order, ret = new_id(), new_id()
    await uow.run(
        handlers.van_sale_completed,
        CFG,
        NOW,
        TODAY,
        handlers.VanSaleInput(
            order,
            CLIENT,
            OUTLET_A,
            "agent-1",
            "van-1",
            TODAY,
            d("100.00"),
            Decimal("0"),
            "R",
            (handlers.ContainerLine("keg-50", "3"),),
        ),
    )
    await uow.run(
        handlers.return_accepted,
        CFG,
        NOW,
        TODAY,
        handlers.ReturnInput(
            ret,
            CLIENT,
            OUTLET_A,
            order,
            TODAY,
            d("10.00"),
            (handlers.ContainerLine("keg-50", "1"),),
        ),
    )
    await uow.run(
        handlers.record_tare_counts,
        NOW,
        "COUNT-1",
        TODAY,
        [handlers.TareCountInput(CLIENT, "", "keg-50", "5")],
    )
    kinds = [(m.kind, m.direction, m.balance_after) for m in uow.tare.movements.values()]
    assert kinds == [
        (DocumentKind.VAN_SALE, Direction.ISSUED, d("3")),
        (DocumentKind.RETURN, Direction.RETURNED, d("2")),
        (DocumentKind.COUNT, Direction.ISSUED, d("5")),
    ]
