"""End-to-end: a teleseller's call day (issue 15, increment 8).

A teleseller's call list (a route of kind PHONE in clients) holds four outlets; one of them is
also on a field agent's route. Through the running system, as the teleseller: the day's call
plan lists the four, open; it calls each — one orders, one does not answer, one asks to be
called back tomorrow, one refuses — and takes the order by phone (orders: channel PHONE,
taken by the teleseller, credited to the outlet's field agent, checked by settlements' debt
policy, which reserves its total). The credited agent sees the order as its own; the plan's
completion counts three of four done.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.clients.v1 import territory_service_pb2 as cts
from fieldline.clients.v1 import territory_service_pb2_grpc as cts_grpc
from fieldline.clients.v1 import visits_service_pb2 as cvs
from fieldline.clients.v1 import visits_service_pb2_grpc as cvs_grpc
from fieldline.orders.v1 import orders_service_pb2 as ords
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_dev.runner import LocalSystem
from fieldline_kit.auth.forward import BearerToken
from fieldline_kit.grpc.convert import pb_date
from fieldline_kit.testing.helpers import new_id

from ..company import TODAY, dec
from .test_sales import Company, submit


def stamp(at: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(at)
    return ts


async def test_a_teleseller_s_call_day(system: LocalSystem) -> None:
    company = Company(system)
    seller_channel = None
    try:
        agent = await company.employee(cpb.ROLE_AGENT, "Полевой Агент")
        seller = await company.employee(cpb.ROLE_TELESELLER, "Телефонова Анна")
        product_id, price_type_id = await company.catalog_with_beer()  # a crate: 1600 ₽
        call_list = cts.CreateRouteRequest(
            request_id=new_id(),
            route=cpb.Route(
                id=new_id(),
                name="Обзвон, понедельник",
                agent_id=seller.subject,
                kind=cpb.ROUTE_KIND_PHONE,
            ),
        )
        await company.territory.CreateRoute(call_list)
        outlets: list[tuple[str, str]] = []  # (client, outlet)
        for n in range(4):
            client_id, outlet = await company.client_with_outlet(520 + n)
            await company.known_to_orders(client_id, price_type_id)
            await company.assign(call_list.route.id, outlet.id)
            outlets.append((client_id, outlet.id))
        ordering_client, ordering_outlet = outlets[0]
        await company.assign(await company.route_of(agent), ordering_outlet)
        await company.limit_credit(ordering_client, "4000")

        seller_channel = grpc.aio.insecure_channel(
            system.running["clients"].target,
            interceptors=[BearerToken(system.token_source(seller))],
        )
        territory = cts_grpc.TerritoryServiceStub(seller_channel)
        visits = cvs_grpc.VisitsServiceStub(seller_channel)

        async def plan() -> cts.GetCallPlanResponse:
            return await territory.GetCallPlan(
                cts.GetCallPlanRequest(teleseller_id=seller.subject, date=pb_date(TODAY))
            )

        morning = await plan()
        assert sorted(c.outlet.id for c in morning.calls) == sorted(o for _, o in outlets)
        assert {c.state for c in morning.calls} == {cts.CALL_STATE_OPEN}
        assert (morning.completion.listed, morning.completion.done) == (4, 0)

        # The calls, each once it happened (five minutes ago: the device's clock).
        started = datetime.now(UTC) - timedelta(minutes=5)
        outcomes = [
            cpb.Call(outcome=cpb.CALL_OUTCOME_ORDERED),
            cpb.Call(outcome=cpb.CALL_OUTCOME_NO_ANSWER),
            cpb.Call(
                outcome=cpb.CALL_OUTCOME_CALL_BACK,
                call_back_at=stamp(started + timedelta(days=1)),
            ),
            cpb.Call(outcome=cpb.CALL_OUTCOME_REFUSED, reason="склад полон до конца месяца"),
        ]
        call_ids = []
        for (_, outlet_id), call in zip(outlets, outcomes, strict=True):
            call.id, call.outlet_id = new_id(), outlet_id
            call.started_at.CopyFrom(stamp(started))
            recorded = await visits.RecordCall(
                cvs.RecordCallRequest(request_id=new_id(), call=call)
            )
            assert recorded.call.teleseller_id == seller.subject
            call_ids.append(call.id)

        # The order taken on the first call: by phone, credited to the outlet's field agent,
        # within the credit limit (settlements reserves its total).
        as_seller = company.orders_as(seller).orders
        order = await submit(
            company,
            seller,
            new_id(),
            ordering_client,
            ordering_outlet,
            product_id,
            call_id=call_ids[0],
        )
        assert (order.channel, order.taken_by, order.agent_id, order.call_id) == (
            opb.ORDER_CHANNEL_PHONE,
            seller.subject,
            agent.subject,
            call_ids[0],
        )
        assert (order.status, dec(order.gross_total)) == (
            opb.ORDER_STATUS_SUBMITTED,
            Decimal(3200),
        )
        balance = await company.settlements.GetBalance(
            ss.GetBalanceRequest(client_id=ordering_client)
        )
        assert dec(balance.balance.reserved) == Decimal(3200)
        # A second phone order over the limit is held, as in the field.
        held = await as_seller.SubmitOrder(
            ords.SubmitOrderRequest(
                request_id=new_id(),
                order_id=new_id(),
                client_id=ordering_client,
                outlet_id=ordering_outlet,
                lines=[ords.OrderLineInput(product_id=product_id, unit="crate", quantity="1")],
            )
        )
        assert (held.order.status, held.order.credit.outcome) == (
            opb.ORDER_STATUS_CREDIT_HOLD,
            opb.CREDIT_OUTCOME_BLOCK,
        )

        # The credited agent sees it among its own orders, as does the teleseller.
        agents_orders = await company.orders_as(agent).orders.ListOrders(
            ords.ListOrdersRequest(channel=opb.ORDER_CHANNEL_PHONE)
        )
        assert order.id in [o.id for o in agents_orders.orders]
        sellers_orders = await as_seller.ListOrders(ords.ListOrdersRequest())
        assert {o.id for o in sellers_orders.orders} == {order.id, held.order.id}

        evening = await plan()
        states = {c.outlet.id: c.state for c in evening.calls}
        assert states == {
            outlets[0][1]: cts.CALL_STATE_DONE,
            outlets[1][1]: cts.CALL_STATE_OPEN,
            outlets[2][1]: cts.CALL_STATE_DONE,
            outlets[3][1]: cts.CALL_STATE_DONE,
        }
        c = evening.completion
        assert (c.listed, c.done, c.ordered, c.no_answer, c.call_back, c.refused) == (
            4,
            3,
            1,
            1,
            1,
            1,
        )
    finally:
        if seller_channel is not None:
            await seller_channel.close()
        await company.close()
