"""The caller's scope applied to the clients a request names (the rule: domain/access.py).

A read outside the scope is NOT_FOUND, exactly as for a client that does not exist (the
answer depends on the scope alone, never on what settlements holds of the client); a write
PERMISSION_DENIED. Each check runs before anything is written. Lists and reports are narrowed
in their queries instead (`Reach` passed to adapters/queries.py).
"""

from __future__ import annotations

from collections.abc import Collection

from fieldline_settlements.adapters.repository import SettlementsUnitOfWork
from fieldline_settlements.domain.access import (
    Caller,
    Reach,
    Staff,
    denied,
    hidden,
    staff_read,
    staff_received,
)


async def reach_of(uow: SettlementsUnitOfWork, caller: Caller) -> Reach:
    """The clients `caller` may see."""
    team = await uow.feed_reads.team(caller.id) if caller.leads_team else ()
    return caller.reach(team)


async def outside(
    uow: SettlementsUnitOfWork, reach: Reach, client_ids: Collection[str]
) -> set[str]:
    """Those of `client_ids` outside `reach` (one query whatever their number)."""
    if reach.company_wide or not client_ids:
        return set()
    if not reach.agents:
        return set(client_ids)
    agents = await uow.feed_reads.route_agents(client_ids)
    return {c for c in client_ids if not reach.covers(agents.get(c, ()))}


async def readable_client(
    uow: SettlementsUnitOfWork, reach: Reach, client_id: str, field: str = "client_id"
) -> None:
    """NOT_FOUND (as for an unknown client) unless the client is in reach."""
    if await outside(uow, reach, [client_id]):
        raise hidden(client_id, field)


async def writable_client(
    uow: SettlementsUnitOfWork, reach: Reach, client_id: str, field: str = "client_id"
) -> None:
    """PERMISSION_DENIED unless the client is in reach."""
    if await outside(uow, reach, [client_id]):
        raise denied(field, f"client {client_id}")


async def staff_of(uow: SettlementsUnitOfWork, caller: Caller, *, receiving: bool = False) -> Staff:
    """The employees whose cash `caller` may read (or, `receiving`, receive in a handover)."""
    team = await uow.feed_reads.team(caller.id) if caller.leads_team else ()
    return staff_received(caller, team) if receiving else staff_read(caller, team)
