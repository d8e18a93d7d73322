"""What a refetch job reads from a service, as the gateway itself (its SERVICE identity), and
the sync items it makes of it."""

from __future__ import annotations

from datetime import date, timedelta

import grpc

from fieldline.clients.v1 import territory_service_pb2 as ts
from fieldline.orders.v1 import orders_service_pb2 as os_
from fieldline.orders.v1 import van_service_pb2 as vs
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_gateway.adapters import projections_clients as pc
from fieldline_gateway.adapters import projections_orders as po
from fieldline_gateway.adapters import projections_settlements as ps
from fieldline_gateway.adapters.peers import Peers
from fieldline_gateway.adapters.projections import (
    CALL_PLANS,
    VISIT_PLANS,
    Item,
    Removal,
    scope_agent,
)
from fieldline_kit.grpc.convert import pb_date


async def visit_plans(
    peers: Peers, agent_id: str, today: date, horizon_days: int
) -> list[Item | Removal]:
    """The agent's plan for today … today + horizon (clients' rule decides what is due), and
    the removal of the days just gone."""
    out: list[Item | Removal] = []
    for n in range(horizon_days + 1):
        reply = await peers.territory.GetVisitPlan(
            ts.GetVisitPlanRequest(agent_id=agent_id, date=pb_date(today + timedelta(days=n))),
            metadata=peers.as_service(),
            timeout=peers.timeout,
        )
        out.append(pc.visit_plan_item(reply))
    for n in range(1, 8):
        gone = (today - timedelta(days=n)).isoformat()
        out.append(Removal(VISIT_PLANS, pc.visit_plan_key(agent_id, gone), scope_agent(agent_id)))
    return out


async def call_plans(peers: Peers, teleseller_id: str, today: date) -> list[Item | Removal]:
    """The teleseller's call plan of today (clients decides what is due and what is done),
    and the removal of the days just gone."""
    reply = await peers.territory.GetCallPlan(
        ts.GetCallPlanRequest(teleseller_id=teleseller_id, date=pb_date(today)),
        metadata=peers.as_service(),
        timeout=peers.timeout,
    )
    out: list[Item | Removal] = [pc.call_plan_item(reply)]
    for n in range(1, 8):
        gone = (today - timedelta(days=n)).isoformat()
        key = pc.call_plan_key(teleseller_id, gone)
        out.append(Removal(CALL_PLANS, key, scope_agent(teleseller_id)))
    return out


async def cash_on_hand(peers: Peers, employee_id: str) -> list[Item]:
    """The employee's cash on hand (settlements: its cash payments no handover covers)."""
    reply = await peers.settlements.GetCashOnHand(
        ss.GetCashOnHandRequest(employee_id=employee_id),
        metadata=peers.as_service(),
        timeout=peers.timeout,
    )
    return [ps.cash_on_hand_item(reply.cash_on_hand)]


async def vans_of(peers: Peers, seller_id: str) -> tuple[list[Item], dict[str, str]]:
    """The seller's vans and each one's stock; van → seller."""
    items: list[Item] = []
    sellers: dict[str, str] = {}
    token = ""
    while True:
        reply = await peers.vans.ListVans(
            vs.ListVansRequest(van_seller_id=seller_id, page_token=token, page_size=100),
            metadata=peers.as_service(),
            timeout=peers.timeout,
        )
        for van in reply.vans:
            sellers[van.id] = van.van_seller_id
            items.append(po.van_item(van))
            stock = await peers.vans.GetVanStock(
                vs.GetVanStockRequest(van_id=van.id),
                metadata=peers.as_service(),
                timeout=peers.timeout,
            )
            items.append(po.van_stock_item(stock, van.van_seller_id))
        token = reply.next_page_token
        if not token:
            return items, sellers


async def seller_of_van(peers: Peers, van_id: str) -> str:
    """The van's seller ("" when no van has that id): the vans listed page by page (a
    company has hundreds, not millions)."""
    token = ""
    while True:
        reply = await peers.vans.ListVans(
            vs.ListVansRequest(page_token=token, page_size=500),
            metadata=peers.as_service(),
            timeout=peers.timeout,
        )
        for van in reply.vans:
            if van.id == van_id:
                return van.van_seller_id
        token = reply.next_page_token
        if not token:
            return ""


async def recommended_order(peers: Peers, outlet_id: str, day: date) -> list[Item]:
    """The outlet's recommended order for `day` (orders explains it line by line)."""
    reply = await peers.orders.GetRecommendedOrder(
        os_.GetRecommendedOrderRequest(outlet_id=outlet_id, date=pb_date(day)),
        metadata=peers.as_service(),
        timeout=peers.timeout,
    )
    return [po.recommended_order_item(reply.recommendation)]


def unknown_subject(exc: BaseException) -> bool:
    """Whether a read failed because the service does not know its subject (NOT_FOUND: an
    agent, a van or an outlet gone, or never the service's)."""
    return isinstance(exc, grpc.aio.AioRpcError) and exc.code() == grpc.StatusCode.NOT_FOUND
