"""The verified caller of the RPC being served, as the use cases take it (`Actor`).

From the principal the kit's auth check set (`current_principal()`); a supervisor's team (the
employees it supervises) and a distributor manager's distributor, both from the clients feed,
are loaded with it, since they are its scope. Without a verified caller the RPCs answer
UNAUTHENTICATED. The bearer token is kept apart, only to be forwarded.
"""

from __future__ import annotations

from dataclasses import replace

from fieldline_kit.auth import current_principal
from fieldline_kit.auth.principal import caller_token
from fieldline_kit.grpc.servicer import Servicer
from fieldline_orders.adapters.repository import OrdersUnitOfWork
from fieldline_orders.bootstrap import App
from fieldline_orders.domain.access import Actor


class OrdersServicerBase(Servicer[App, OrdersUnitOfWork]):
    """What every orders servicer has: the kit's servicer, and the caller as an `Actor`."""

    async def caller(self) -> Actor:
        p = current_principal()
        actor = Actor.of(p.subject, p.roles, p.kind, p.acting_for or "")
        if not (actor.leads_team or actor.manages_distributor):
            return actor  # agents, van sellers, admins, services: nothing to read
        async with self.read() as uow:
            if actor.leads_team:
                actor = replace(actor, team=await uow.feed_reads.team_of(actor.id))
            if actor.manages_distributor:
                distributor = await uow.feed_reads.distributor_of(actor.id)
                actor = replace(actor, distributor_id=distributor)
        return actor


def bearer() -> str:
    """The caller's bearer token (to forward to settlements; never logged)."""
    return caller_token() or ""
