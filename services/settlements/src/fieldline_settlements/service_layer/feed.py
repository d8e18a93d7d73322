"""The clients feed: keep settlements' read models of employees, outlets and routes current.

Each use case runs inside the consumer's transaction (inbox row + effects; see
entrypoints/clients_feed.py, which maps each clients event to the record it reports). The
inbox absorbs redeliveries; the store absorbs reordering: a record not newer than the one held
changes nothing (False), and is logged as ignored.
"""

from __future__ import annotations

from fieldline_kit.logging import get_logger
from fieldline_settlements.adapters.repository import SettlementsUnitOfWork
from fieldline_settlements.domain.feed import EmployeeState, OutletState, RouteOutletState

log = get_logger("fieldline.settlements.feed")


async def outlet_seen(uow: SettlementsUnitOfWork, state: OutletState) -> bool:
    """An outlet created or changed: its client."""
    applied = await uow.feed.put_outlet(state)
    if not applied:
        log.info("stale outlet event ignored", outlet_id=state.outlet_id, version=state.version)
    return applied


async def route_outlet_seen(uow: SettlementsUnitOfWork, state: RouteOutletState) -> bool:
    """An outlet put on a route, rescheduled, or removed from it (a tombstone)."""
    applied = await uow.feed.put_route_outlet(state)
    if not applied:
        log.info(
            "stale route assignment event ignored",
            route_id=state.route_id,
            outlet_id=state.outlet_id,
            version=state.version,
        )
    return applied


async def employee_seen(uow: SettlementsUnitOfWork, state: EmployeeState) -> bool:
    """An employee created or changed: its standing (the auth check) and team (scopes)."""
    applied = await uow.feed.put_employee(state)
    if not applied:
        log.info("stale employee event ignored", employee_id=state.employee_id)
    return applied
