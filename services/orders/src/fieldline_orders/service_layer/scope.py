"""The caller's scope applied to the objects a request names (the rules: domain/access.py).

Reads outside the scope are NOT_FOUND (existence is not revealed), writes PERMISSION_DENIED;
each check runs before anything is written. Lists are narrowed in their queries instead.
"""

from __future__ import annotations

from fieldline_kit.errors import NotFound
from fieldline_orders.adapters.repository import OrdersUnitOfWork
from fieldline_orders.domain.access import Actor, denied, hidden
from fieldline_orders.domain.orders import Order
from fieldline_orders.domain.values import require_id
from fieldline_orders.domain.van import Van


async def readable_order(uow: OrdersUnitOfWork, actor: Actor, order_id: str) -> Order:
    oid = require_id("order_id", order_id)
    order = await uow.orders.find(oid)
    if order is None or not actor.sees_order(order.agent_id, order.distributor_id, order.taken_by):
        raise hidden("order", oid, "order_id")
    return order


async def readable_van(uow: OrdersUnitOfWork, actor: Actor, van_id: str) -> Van:
    vid = require_id("van_id", van_id)
    van = await uow.vans.find(vid)
    if van is None or not actor.sees_van(van.van_seller_id, van.distributor_id):
        raise hidden("van", vid, "van_id")
    return van


async def writable_van(uow: OrdersUnitOfWork, actor: Actor, van_id: str) -> Van:
    """The van, if the caller may act on it: another's van is PERMISSION_DENIED (an unknown
    one too, for a caller who sees only its own: it learns nothing of the others). A
    distributor manager reads its distributor's vans (`readable_van`) but acts on none."""
    vid = require_id("van_id", van_id)
    van = await uow.vans.find(vid)
    if van is not None and actor.sees_van(van.van_seller_id):
        return van
    if van is None and actor.company_wide:
        raise NotFound("van", vid, "van_id")
    raise denied("van_id", f"van {vid}")


async def check_outlet_scope(
    uow: OrdersUnitOfWork, actor: Actor, outlet_id: str, *, write: bool
) -> None:
    """A route-scoped caller (agent, van seller; a supervisor: its team's) acts only on the
    outlets of its routes."""
    if actor.route_scoped and not await uow.feed_reads.on_routes(actor.agents, outlet_id):
        raise (
            denied("outlet_id", f"outlet {outlet_id}")
            if write
            else hidden("outlet", outlet_id, "outlet_id")
        )


async def check_client_scope(uow: OrdersUnitOfWork, actor: Actor, client_id: str) -> None:
    """A route-scoped caller reads only the clients of the outlets on its (team's) routes."""
    if actor.route_scoped and not await uow.feed_reads.client_on_routes(actor.agents, client_id):
        raise hidden("client", client_id, "client_id")
