"""End-to-end: a tare cycle on a delivered pre-sale order (issue 15, increment 4).

An agent's pre-sale order of a product in returnable bottles is moved through its fulfilment
statuses to DELIVERED by the back office (UpdateOrderStatus as ADMIN); orders' event carries
the containers delivered and settlements issues them to the client and outlet (a DELIVERY
movement, SETTLEMENTS_DELIVERY_TARE at its default `orders`). The outlet then gives empties
back to the agent (AcceptReturn): a RETURN movement. The registry (ListTareMovements) and the
balances (GetTareBalance, the client's and the outlet's) tell the whole cycle.
"""

from __future__ import annotations

from decimal import Decimal

from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.orders.v1 import orders_service_pb2 as ords
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.orders.v1 import van_service_pb2 as van
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_dev.runner import LocalSystem
from fieldline_kit.grpc.convert import pb_date
from fieldline_kit.testing.helpers import eventually_value, new_id

from ..company import TODAY, dec, rub
from .test_sales import Company, submit

BOTTLE = "bottle-0.5"


async def test_a_tare_cycle_on_a_delivered_pre_sale_order(system: LocalSystem) -> None:
    company = Company(system)
    try:
        agent = await company.employee(cpb.ROLE_AGENT, "Тарин Агент")
        product_id, price_type_id = await company.catalog_with_beer()  # a bottle a piece
        client_id, outlet = await company.client_with_outlet(410)
        await company.assign(await company.route_of(agent), outlet.id)
        await company.known_to_orders(client_id, price_type_id)
        await company.settlements.SetContainerDeposit(
            ss.SetContainerDepositRequest(
                request_id=new_id(), container_type=BOTTLE, deposit=rub("5")
            )
        )
        # 2 crates of 20: 40 bottles.
        order = await submit(company, agent, new_id(), client_id, outlet.id, product_id)
        assert order.status == opb.ORDER_STATUS_SUBMITTED
        for status in (
            opb.ORDER_STATUS_CONFIRMED,
            opb.ORDER_STATUS_SHIPPED,
            opb.ORDER_STATUS_DELIVERED,
        ):
            reply = await company.orders.UpdateOrderStatus(
                ords.UpdateOrderStatusRequest(request_id=new_id(), order_id=order.id, status=status)
            )
            assert reply.order.status == status
        assert [Decimal(ln.delivered_base_quantity) for ln in reply.order.lines] == [40]

        async def registry() -> list[spb.TareMovement]:
            found = await company.settlements.ListTareMovements(
                ss.ListTareMovementsRequest(client_id=client_id)
            )
            return list(found.movements)

        async def balance(outlet_id: str = "") -> spb.TareBalance:
            reply = await company.settlements.GetTareBalance(
                ss.GetTareBalanceRequest(client_id=client_id, outlet_id=outlet_id)
            )
            return {b.container_type: b for b in reply.balances}[BOTTLE]

        def movement(m: spb.TareMovement) -> tuple[object, ...]:
            return (
                m.document_kind,
                m.document_id,
                m.outlet_id,
                m.container_type,
                m.direction,
                Decimal(m.quantity),
                Decimal(m.balance_after),
            )

        # Settlements issues the delivery's bottles through orders' OrderStatusChanged (NATS).
        (delivered,) = await eventually_value(registry, lambda ms: len(ms) == 1, within=30)
        assert movement(delivered) == (
            spb.TARE_DOCUMENT_KIND_DELIVERY,
            order.id,
            outlet.id,
            BOTTLE,
            spb.TARE_DIRECTION_ISSUED,
            40,
            40,
        )
        at_outlet = await balance(outlet.id)
        assert (at_outlet.outlet_id, Decimal(at_outlet.issued), Decimal(at_outlet.balance)) == (
            outlet.id,
            40,
            40,
        )
        assert dec(at_outlet.deposit_value) == Decimal(200)

        # The outlet gives 30 empties back to its agent (to the warehouse: no van).
        await company.orders_as(agent).vans.AcceptReturn(
            van.AcceptReturnRequest(
                request_id=new_id(),
                return_id=(return_id := new_id()),
                client_id=client_id,
                outlet_id=outlet.id,
                order_id=order.id,
                date=pb_date(TODAY),
                containers=[van.ContainerLine(container_type=BOTTLE, quantity="30")],
            )
        )
        moved = await eventually_value(registry, lambda ms: len(ms) == 2, within=30)
        assert sorted(movement(m) for m in moved) == sorted(
            [
                movement(delivered),
                (
                    spb.TARE_DOCUMENT_KIND_RETURN,
                    return_id,
                    outlet.id,
                    BOTTLE,
                    spb.TARE_DIRECTION_RETURNED,
                    30,
                    10,
                ),
            ]
        )
        deliveries = await company.settlements.ListTareMovements(
            ss.ListTareMovementsRequest(
                client_id=client_id, document_kind=spb.TARE_DOCUMENT_KIND_DELIVERY
            )
        )
        assert [m.id for m in deliveries.movements] == [delivered.id]
        for figures in (await balance(), await balance(outlet.id)):
            assert (
                Decimal(figures.issued),
                Decimal(figures.returned),
                Decimal(figures.balance),
                dec(figures.deposit_value),
            ) == (40, 30, 10, Decimal(50))
        assert (await balance()).version == 2
    finally:
        await company.close()
