"""End-to-end: an amended order with its reservation moved (issue 15, increment 6).

A pre-sale order taken by an agent at an outlet of its route (clients → orders and settlements
through the clients feed) is amended twice and cancelled, over gRPC as the agent. Each
revision is checked again by settlements, which moves the order's reservation to the new
total (or drops it when the debt policy blocks the new total: the order goes on credit hold);
the cancellation reaches settlements through orders' events (NATS) and releases it.
"""

from __future__ import annotations

from decimal import Decimal

from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.orders.v1 import orders_service_pb2 as ords
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_dev.runner import LocalSystem
from fieldline_kit.testing.helpers import eventually_value, new_id

from ..company import dec
from .test_sales import Company, submit


async def test_an_amended_order_with_its_reservation_moved(system: LocalSystem) -> None:
    company = Company(system)
    try:
        agent = await company.employee(cpb.ROLE_AGENT, "Агентов Агент")
        product_id, price_type_id = await company.catalog_with_beer()  # a crate: 1600 ₽
        client_id, outlet = await company.client_with_outlet(300)
        await company.assign(await company.route_of(agent), outlet.id)
        await company.known_to_orders(client_id, price_type_id)
        # Blocked over a limit of 4000 ₽ (the check of the credit limit counts the order).
        await company.limit_credit(client_id, "4000")

        async def reserved() -> Decimal:
            reply = await company.settlements.GetBalance(ss.GetBalanceRequest(client_id=client_id))
            return dec(reply.balance.reserved)

        order = await submit(company, agent, new_id(), client_id, outlet.id, product_id)
        assert (order.status, order.revision, dec(order.gross_total)) == (
            opb.ORDER_STATUS_SUBMITTED,
            1,
            Decimal(3200),
        )
        assert await reserved() == Decimal(3200)
        as_agent = company.orders_as(agent).orders

        async def amend(current: opb.Order, crates: str) -> opb.Order:
            reply = await as_agent.AmendOrder(
                ords.AmendOrderRequest(
                    request_id=new_id(),
                    order_id=current.id,
                    amendment_id=new_id(),
                    expected_revision=current.revision,
                    lines=[
                        ords.OrderLineInput(product_id=product_id, unit="crate", quantity=crates)
                    ],
                    delivery_date=current.delivery_date,
                )
            )
            return reply.order

        fewer = await amend(order, "1")
        assert (fewer.status, fewer.revision, dec(fewer.gross_total)) == (
            opb.ORDER_STATUS_SUBMITTED,
            2,
            Decimal(1600),
        )
        assert await reserved() == Decimal(1600)
        # 3 crates, 4800 ₽: over the limit, blocked; the order waits on credit hold and
        # reserves nothing.
        more = await amend(fewer, "3")
        assert (more.status, more.revision, more.credit.outcome) == (
            opb.ORDER_STATUS_CREDIT_HOLD,
            3,
            opb.CREDIT_OUTCOME_BLOCK,
        )
        assert await reserved() == 0
        back = await amend(more, "2")
        assert (back.status, back.revision) == (opb.ORDER_STATUS_SUBMITTED, 4)
        assert await reserved() == Decimal(3200)
        revisions = await as_agent.ListOrderRevisions(
            ords.ListOrderRevisionsRequest(order_id=order.id)
        )
        assert [(r.revision, dec(r.gross_total)) for r in revisions.revisions] == [
            (1, Decimal(3200)),
            (2, Decimal(1600)),
            (3, Decimal(4800)),
            (4, Decimal(3200)),
        ]
        cancelled = await as_agent.CancelOrder(
            ords.CancelOrderRequest(
                request_id=new_id(),
                order_id=order.id,
                expected_revision=back.revision,
                reason="клиент передумал",
            )
        )
        assert cancelled.order.status == opb.ORDER_STATUS_CANCELLED
        # Settlements releases it on OrderStatusChanged (CANCELLED), through NATS.
        assert await eventually_value(reserved, lambda r: r == 0, within=30) == 0
    finally:
        await company.close()
