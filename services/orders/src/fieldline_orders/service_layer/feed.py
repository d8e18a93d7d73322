"""The clients feed: keep this context's read models of clients, outlets, territories, routes,
audits, employees and visits up to date.

Each use case runs inside the consumer's transaction (inbox row + effects, see
entrypoints/feed_consumer.py, which maps each clients event to the record it reports). The
inbox absorbs redeliveries; the feed store absorbs reordering: a record not newer than the
one held changes nothing (False), and is logged as ignored.
"""

from __future__ import annotations

from fieldline_kit.logging import get_logger
from fieldline_orders.adapters.repository import OrdersUnitOfWork
from fieldline_orders.domain.feed import (
    AssignmentState,
    AuditState,
    ClientState,
    EmployeeState,
    OutletState,
    TerritoryState,
    VisitState,
)

log = get_logger("fieldline.orders.feed")


async def client_seen(uow: OrdersUnitOfWork, state: ClientState) -> bool:
    """A client created or changed: its type (a distributor id must name a DISTRIBUTOR)."""
    applied = await uow.feed.put_client(state)
    if not applied:
        log.info("stale client event ignored", client_id=state.client_id, version=state.version)
    return applied


async def outlet_seen(uow: OrdersUnitOfWork, state: OutletState) -> bool:
    """An outlet created or changed: its client, status, channel and territory."""
    applied = await uow.feed.put_outlet(state)
    if not applied:
        log.info("stale outlet event ignored", outlet_id=state.outlet_id, version=state.version)
    return applied


async def territory_seen(uow: OrdersUnitOfWork, state: TerritoryState) -> bool:
    """A territory created: its place in the tree (its parent)."""
    applied = await uow.feed.put_territory(state)
    if applied:
        # Submissions cache the territory tree with the catalog (promotions' targeting).
        await uow.catalog.bump_generation()
    else:
        log.info(
            "stale territory event ignored", territory_id=state.territory_id, version=state.version
        )
    return applied


async def assignment_seen(uow: OrdersUnitOfWork, state: AssignmentState) -> bool:
    """A route assignment changed or removed: the outlet's visit schedule on that route."""
    applied = await uow.feed.put_assignment(state)
    if not applied:
        log.info(
            "stale route assignment event ignored",
            route_id=state.route_id,
            outlet_id=state.outlet_id,
            version=state.version,
        )
    return applied


async def audit_seen(uow: OrdersUnitOfWork, state: AuditState) -> bool:
    """An audit submitted: the outlet's shelf, if it is the outlet's latest audit."""
    applied = await uow.feed.put_audit(state)
    if not applied:
        log.info(
            "older audit ignored: the outlet has a later one",
            audit_id=state.audit_id,
            outlet_id=state.outlet_id,
        )
    return applied


async def employee_seen(uow: OrdersUnitOfWork, state: EmployeeState) -> bool:
    """An employee created or changed: its standing and team, for the auth check and scopes."""
    applied = await uow.feed.put_employee(state)
    if not applied:
        log.info("stale employee event ignored", employee_id=state.employee_id)
    return applied


async def visit_seen(uow: OrdersUnitOfWork, state: VisitState) -> bool:
    """A visit started, completed or missed: what documents naming it are checked against, and
    its contact judged again in this transaction (a document that named it before it was
    known may not match it: the contact is then `mismatched`)."""
    applied = await uow.feed.put_visit(state)
    if applied:
        uow.contact_touched(state.visit_id)
    else:
        log.info("stale visit event ignored", visit_id=state.visit_id, version=state.version)
    return applied
