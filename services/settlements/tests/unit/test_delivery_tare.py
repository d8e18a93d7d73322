"""Tare on delivery (`handlers.order_delivered`) over the fakes: the containers of a pre-sale
order the company delivered itself are issued once (kind DELIVERY, document = the order id);
none for a distributor's order, none when the ERP books delivery tare
(SETTLEMENTS_DELIVERY_TARE=erp)."""

from __future__ import annotations

import dataclasses

import pytest

from fieldline_kit.errors import InvalidArgument
from fieldline_kit.settings import SettingsError
from fieldline_kit.testing.helpers import new_id
from fieldline_settlements.domain.events import TareBalanceChanged
from fieldline_settlements.domain.tare import DeliveryTare, Direction, DocumentKind
from fieldline_settlements.service_layer import handlers
from fieldline_settlements.service_layer.handlers import ContainerLine, DeliveryInput
from fieldline_settlements.settings import SettlementsSettings, delivery_tare, validate

from .conftest import CFG, CLIENT, NOW, OUTLET_A, TODAY, d
from .fakes import FakeSettlementsUnitOfWork

ERP_BOOKS = dataclasses.replace(CFG, delivery_tare=DeliveryTare.ERP)
DISTRIBUTOR = "7d7d7d7d-0000-4000-8000-00000000007d"


def delivery(
    *containers: tuple[str, str], order_id: str = "", distributor_id: str = ""
) -> DeliveryInput:
    return DeliveryInput(
        order_id=order_id or new_id(),
        client_id=CLIENT,
        outlet_id=OUTLET_A,
        distributor_id=distributor_id,
        date=TODAY,
        containers=tuple(ContainerLine(t, q) for t, q in containers)
        or (ContainerLine("keg-50", "2"), ContainerLine("crate-20", "0.6")),
    )


async def test_the_company_s_delivery_issues_its_containers_to_the_client_and_outlet() -> None:
    uow = FakeSettlementsUnitOfWork()
    uow.deposits.rows["keg-50"] = d("1500.00")
    order = delivery()
    booked = await uow.run(handlers.order_delivered, CFG, NOW, order)
    assert booked.tare_moved == ["crate-20", "keg-50"]
    moves = sorted(uow.tare.movements.values(), key=lambda m: m.container_type)
    assert [
        (m.client_id, m.outlet_id, m.container_type, m.document_id, m.direction, m.kind)
        for m in moves
    ] == [
        (CLIENT, OUTLET_A, "crate-20", order.order_id, Direction.ISSUED, DocumentKind.DELIVERY),
        (CLIENT, OUTLET_A, "keg-50", order.order_id, Direction.ISSUED, DocumentKind.DELIVERY),
    ]
    assert [(m.quantity, m.balance_after, m.date) for m in moves] == [
        (d("0.6"), d("0.6"), TODAY),
        (d("2"), d("2"), TODAY),
    ]
    tare = {b.container_type: (b.issued, b.returned, b.version) for b in uow.tare.all()}
    assert tare == {"keg-50": (d("2"), d("0"), 1), "crate-20": (d("0.6"), d("0"), 1)}
    changed = [e for e in uow.events if isinstance(e, TareBalanceChanged)]
    assert len(changed) == len(uow.events) == 2
    keg = next(e for e in changed if e.balance.container_type == "keg-50")
    assert (keg.document_id, keg.deposit_per_unit, keg.movement.kind) == (
        order.order_id,
        d("1500.00"),
        DocumentKind.DELIVERY,
    )


async def test_the_same_delivery_again_moves_nothing() -> None:
    uow = FakeSettlementsUnitOfWork()
    order = delivery()
    await uow.run(handlers.order_delivered, CFG, NOW, order)
    before, published = uow.state(), len(uow.events)
    again = await uow.run(handlers.order_delivered, CFG, NOW, order)
    assert again.tare_moved == []
    assert uow.state() == before and len(uow.events) == published


async def test_a_distributor_s_delivery_moves_nothing() -> None:
    uow = FakeSettlementsUnitOfWork()
    booked = await uow.run(handlers.order_delivered, CFG, NOW, delivery(distributor_id=DISTRIBUTOR))
    assert booked.tare_moved == []
    assert uow.state() == {} and uow.events == []


async def test_when_the_erp_books_delivery_tare_a_delivery_moves_nothing() -> None:
    uow = FakeSettlementsUnitOfWork()
    booked = await uow.run(handlers.order_delivered, ERP_BOOKS, NOW, delivery())
    assert booked.tare_moved == []
    assert uow.state() == {} and uow.events == []


async def test_a_delivery_without_containers_moves_nothing() -> None:
    uow = FakeSettlementsUnitOfWork()
    booked = await uow.run(
        handlers.order_delivered, CFG, NOW, delivery(("keg-50", "0"), ("crate-20", "0"))
    )
    assert booked.tare_moved == [] and uow.state() == {}


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (dataclasses.replace(delivery(), order_id="x"), "order.id"),
        (dataclasses.replace(delivery(), client_id=""), "order.client_id"),
        (dataclasses.replace(delivery(), outlet_id="o-1"), "order.outlet_id"),
        (delivery(("", "1")), r"delivered_containers\[0\]\.container_type"),
        (delivery(("keg-50", "-1")), r"delivered_containers\[0\]\.quantity"),
        (delivery(("keg-50", "1.0001")), r"delivered_containers\[0\]\.quantity"),
    ],
)
async def test_bad_data_is_named_and_moves_nothing(bad: DeliveryInput, field: str) -> None:
    uow = FakeSettlementsUnitOfWork()
    await uow.refused(
        InvalidArgument, handlers.order_delivered, CFG, NOW, bad, match=rf"^{field}: "
    )


# ------------------------------------------------------------------------------ setting
def settings(value: str) -> SettlementsSettings:
    return SettlementsSettings(database_url="sqlite://", nats_url="nats://x", delivery_tare=value)


def test_the_setting_is_orders_by_default_or_erp() -> None:
    default = SettlementsSettings(database_url="sqlite://", nats_url="nats://x")
    assert delivery_tare(default) is DeliveryTare.ORDERS
    assert delivery_tare(settings("erp")) is DeliveryTare.ERP
    assert delivery_tare(settings(" ERP ")) is DeliveryTare.ERP
    validate(settings("erp"))


@pytest.mark.parametrize("value", ["", "both", "none", "1c"])
def test_a_bad_setting_is_a_startup_error_naming_the_variable(value: str) -> None:
    with pytest.raises(SettingsError, match="SETTLEMENTS_DELIVERY_TARE: must be orders or erp"):
        validate(settings(value))


@pytest.mark.parametrize(
    ("rule", "distributor_id", "books"),
    [
        (DeliveryTare.ORDERS, "", True),
        (DeliveryTare.ORDERS, DISTRIBUTOR, False),
        (DeliveryTare.ERP, "", False),
        (DeliveryTare.ERP, DISTRIBUTOR, False),
    ],
)
def test_who_books_a_delivery(rule: DeliveryTare, distributor_id: str, books: bool) -> None:
    assert rule.books(distributor_id) is books
