"""End-to-end: a van sale for a distributor with its price list (issue 15, increment 7).

A distributor (a client of type DISTRIBUTOR in clients, which reaches orders through the
clients feed) sells from its own van at its own price type. The company's back office sets the
distributor's price type and creates the van for it; its van seller sells two crates at an
outlet of its route: the sale is the distributor's (`distributor_id` kept) and priced from the
distributor's list, not the company's. The distributor's manager (an employee clients gives
that distributor) sees the sale and the van; another distributor's manager sees neither.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import grpc

from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.orders.v1 import catalog_service_pb2 as cat
from fieldline.orders.v1 import orders_service_pb2 as ords
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.orders.v1 import van_service_pb2 as van
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_dev.runner import LocalSystem
from fieldline_kit.grpc.convert import pb_date
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.helpers import eventually_value, new_id

from ..company import (
    TODAY,
    client_request,
    dec,
    employee_request,
    load_request,
    price_list_request,
    price_type_request,
    rub,
    through_the_feed,
    van_request,
)
from .test_sales import Company

T = TypeVar("T")


async def a_distributor(company: Company, n: int) -> str:
    request = client_request(n)
    request.client.type = cpb.CLIENT_TYPE_DISTRIBUTOR
    await company.clients.CreateClient(request)
    return request.client.id


async def manager_of(company: Company, distributor_id: str, name: str) -> Caller:
    request = employee_request(cpb.ROLE_DISTRIBUTOR_MANAGER, name)
    request.employee.distributor_id = distributor_id
    await company.territory.CreateEmployee(request)
    return Caller(request.employee.id, {"DISTRIBUTOR_MANAGER"})


async def once_known_to_orders(call: Callable[[], Awaitable[T]]) -> T:
    """`call()` again while orders does not know the distributor yet (the clients feed)."""

    async def attempt() -> T | None:
        try:
            return await call()
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND and "client" in (exc.details() or ""):
                return None
            raise

    answer = await eventually_value(attempt, lambda a: a is not None)
    assert answer is not None, "the distributor did not reach orders"
    return answer


async def test_a_van_sale_for_a_distributor_with_its_price_list(system: LocalSystem) -> None:
    company = Company(system)
    try:
        seller = await company.employee(cpb.ROLE_VAN_SELLER, "Дистрибьюторов Продавец")
        product_id, price_type_id = await company.catalog_with_beer()  # company: 1600 ₽ a crate
        distributor = await a_distributor(company, 610)
        other = await a_distributor(company, 611)
        manager = await manager_of(company, distributor, "Менеджеров Менеджер")
        strangers = await manager_of(company, other, "Чужой Менеджер")
        client_id, outlet = await company.client_with_outlet(612)
        await company.assign(await company.route_of(seller), outlet.id)
        await company.known_to_orders(client_id, price_type_id)

        # The distributor's price type: 70 ₽ a bottle, 1400 ₽ a crate of 20.
        types = await company.catalog.UpsertPriceTypes(price_type_request())
        theirs = types.results[0].id
        await company.catalog.UpsertPriceLists(price_list_request(theirs, [(product_id, 70)]))
        setting = await once_known_to_orders(
            lambda: company.catalog.SetDistributorPriceType(
                cat.SetDistributorPriceTypeRequest(
                    request_id=new_id(), distributor_id=distributor, price_type_id=theirs
                )
            )
        )
        assert setting.distributor_price_type.version == 1

        # Its van, loaded.
        create = van_request(seller.subject)
        create.van.distributor_id = distributor
        created = await company.vans.CreateVan(create)
        assert created.van.distributor_id == distributor
        await company.vans.LoadVan(load_request(create.van.id, [product_id], 3, "crate"))

        sale = await through_the_feed(
            lambda: company.orders_as(seller).vans.CompleteVanSale(
                van.CompleteVanSaleRequest(
                    request_id=new_id(),
                    sale_id=new_id(),
                    van_id=create.van.id,
                    client_id=client_id,
                    outlet_id=outlet.id,
                    date=pb_date(TODAY),
                    lines=[ords.OrderLineInput(product_id=product_id, unit="crate", quantity="2")],
                    cash_collected=rub("2800"),
                    receipt_number="ЧЕК-Д-1",
                )
            )
        )
        order = sale.order
        assert (order.distributor_id, order.status) == (distributor, opb.ORDER_STATUS_DELIVERED)
        assert dec(order.gross_total) == Decimal(2800)  # not the company's 3200

        # Settlements books it in the one ledger, naming the distributor on the invoice.
        async def invoice() -> Any:
            found = await company.settlements.ListInvoices(
                ss.ListInvoicesRequest(client_id=client_id)
            )
            return next((i for i in found.invoices if i.order_id == order.id), None)

        booked = await eventually_value(invoice, lambda i: i is not None)
        assert booked is not None and booked.distributor_id == distributor

        # The distributor's manager sees the sale and the van; another's sees neither.
        as_manager = company.orders_as(manager)
        listed = await as_manager.orders.ListOrders(ords.ListOrdersRequest())
        assert order.id in [o.id for o in listed.orders]
        vans = await as_manager.vans.ListVans(van.ListVansRequest())
        assert [v.id for v in vans.vans] == [create.van.id]
        as_stranger = company.orders_as(strangers)
        assert order.id not in [
            o.id for o in (await as_stranger.orders.ListOrders(ords.ListOrdersRequest())).orders
        ]
        assert list((await as_stranger.vans.ListVans(van.ListVansRequest())).vans) == []
    finally:
        await company.close()
