"""Read side: lists, searches and the visit plan, straight from the tables.

Queries never go through aggregates and never take write locks. Lists page by keyset (the
last key seen, in an opaque token), so a page costs the same wherever it is in the list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Row, Select, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline_clients.adapters import orm
from fieldline_clients.adapters.repository import (
    assignment_from,
    audit_from,
    client_from,
    employee_from,
    history_from,
    outlet_from,
    proposal_from,
    questionnaire_from,
    route_from,
    visit_from,
)
from fieldline_clients.domain.fieldwork import Audit, Proposal, Questionnaire, Visit
from fieldline_clients.domain.model import (
    CardChange,
    Client,
    Employee,
    Outlet,
    Route,
    RouteAssignment,
    Territory,
)
from fieldline_clients.domain.values import Location, search_key
from fieldline_kit.errors import InvalidArgument
from fieldline_kit.grpc.convert import decode_token, encode_token

T = TypeVar("T")


async def _page(
    session: AsyncSession,
    stmt: Select[Any],
    key: Any,
    token: str,
    size: int,
    convert: Callable[[Row[Any]], T],
) -> tuple[list[T], str]:
    after = decode_token(token)
    if after:
        stmt = stmt.where(key > after)
    rows = (await session.execute(stmt.order_by(key).limit(size + 1))).all()
    more = len(rows) > size
    rows = rows[:size]
    next_token = encode_token(str(getattr(rows[-1], key.key))) if more and rows else ""
    return [convert(r) for r in rows], next_token


def _where(*conds: ColumnElement[bool] | None) -> list[ColumnElement[bool]]:
    return [c for c in conds if c is not None]


async def get_by_id(
    session: AsyncSession, table: Any, entity_id: str, convert: Callable[[Row[Any]], T]
) -> T | None:
    row = (await session.execute(select(table).where(table.c.id == entity_id))).first()
    return convert(row) if row else None


async def list_clients(
    session: AsyncSession, *, size: int, token: str, name_query: str, inn: str, type_: str | None
) -> tuple[list[Client], str]:
    t = orm.clients
    stmt = select(t).where(
        *_where(
            t.c.name_search.contains(search_key(name_query), autoescape=True)
            if name_query
            else None,
            t.c.inn == inn if inn else None,
            t.c.type == type_ if type_ else None,
        )
    )
    return await _page(session, stmt, t.c.id, token, size, client_from)


async def list_outlets(
    session: AsyncSession,
    *,
    size: int,
    token: str,
    client_id: str,
    territory_id: str,
    status: str | None,
) -> tuple[list[Outlet], str]:
    t = orm.outlets
    stmt = select(t).where(
        *_where(
            t.c.client_id == client_id if client_id else None,
            t.c.territory_id == territory_id if territory_id else None,
            t.c.status == status if status else None,
        )
    )
    return await _page(session, stmt, t.c.id, token, size, outlet_from)


@dataclass(frozen=True)
class OutletMatch:
    outlet: Outlet
    distance_m: float | None


MAX_RADIUS_M = 200_000.0
MAX_RADIUS_CANDIDATES = 20_000


async def search_outlets(
    session: AsyncSession,
    *,
    size: int,
    token: str,
    name_query: str,
    inn: str,
    near: Location | None,
    radius_m: float,
) -> tuple[list[OutletMatch], str]:
    """Name/INN filters in SQL; a radius search prefilters by bounding box (indexed on lat, lon),
    then measures the exact great-circle distance and orders nearest first."""
    t, c = orm.outlets, orm.clients
    conds = _where(
        t.c.name_search.contains(search_key(name_query), autoescape=True) if name_query else None,
        t.c.client_id.in_(select(c.c.id).where(c.c.inn == inn)) if inn else None,
    )
    if near is None:
        if not conds:
            raise InvalidArgument("name_query", "give a name, an INN or a point with a radius")
        outlets, next_token = await _page(
            session, select(t).where(*conds), t.c.id, token, size, outlet_from
        )
        return [OutletMatch(o, None) for o in outlets], next_token
    if not 0 < radius_m <= MAX_RADIUS_M:
        raise InvalidArgument(
            "radius_m", f"must be within (0, {MAX_RADIUS_M:.0f}] metres, got {radius_m}"
        )
    min_lat, max_lat, min_lon, max_lon = near.bounding_box(radius_m)
    stmt = (
        select(t)
        .where(*conds, t.c.lat.between(min_lat, max_lat), t.c.lon.between(min_lon, max_lon))
        .limit(MAX_RADIUS_CANDIDATES + 1)
    )
    rows = (await session.execute(stmt)).all()
    if len(rows) > MAX_RADIUS_CANDIDATES:
        raise InvalidArgument("radius_m", "too many outlets in that radius; narrow the search")
    matches = []
    for row in rows:
        d = near.distance_m(Location(row.lat, row.lon))
        if d <= radius_m:
            matches.append((d, row))
    matches.sort(key=lambda m: (m[0], m[1].id))
    offset = int(decode_token(token) or 0)
    chunk = matches[offset : offset + size]
    more = offset + size < len(matches)
    return (
        [OutletMatch(outlet_from(r), d) for d, r in chunk],
        encode_token(str(offset + size)) if more else "",
    )


async def card_history(
    session: AsyncSession, *, outlet_id: str, size: int, token: str
) -> tuple[list[CardChange], str]:
    h = orm.outlet_card_history
    after = decode_token(token)
    stmt = select(h).where(h.c.outlet_id == outlet_id)
    if after:
        stmt = stmt.where(h.c.version < int(after))
    rows = (await session.execute(stmt.order_by(h.c.version.desc()).limit(size + 1))).all()
    more = len(rows) > size
    rows = rows[:size]
    return [history_from(r) for r in rows], encode_token(
        str(rows[-1].version)
    ) if more and rows else ""


async def list_proposals(
    session: AsyncSession, *, size: int, token: str, status: str | None
) -> tuple[list[Proposal], str]:
    t = orm.proposals
    stmt = select(t).where(*_where(t.c.status == status if status else None))
    return await _page(session, stmt, t.c.id, token, size, proposal_from)


async def list_employees(
    session: AsyncSession, *, size: int, token: str, role: str | None, territory_id: str
) -> tuple[list[Employee], str]:
    t = orm.employees
    stmt = select(t).where(*_where(t.c.territory_id == territory_id if territory_id else None))
    if role is None:
        return await _page(session, stmt, t.c.id, token, size, employee_from)
    # Roles are a small JSON list; filter in Python, reading on until the page is full.
    out: list[Employee] = []
    after = decode_token(token)
    while len(out) <= size:
        batch = stmt.where(t.c.id > after) if after else stmt
        rows = (await session.execute(batch.order_by(t.c.id).limit(500))).all()
        if not rows:
            break
        for r in rows:
            if role in r.roles:
                out.append(employee_from(r))
        after = rows[-1].id
    more = len(out) > size
    out = out[:size]
    return out, encode_token(out[-1].id) if more else ""


async def list_territories(
    session: AsyncSession, *, size: int, token: str, parent_id: str
) -> tuple[list[Territory], str]:
    t = orm.territories
    stmt = select(t).where(*_where(t.c.parent_id == parent_id if parent_id else None))
    return await _page(
        session, stmt, t.c.id, token, size, lambda r: Territory(r.id, r.name, r.parent_id)
    )


async def list_routes(
    session: AsyncSession, *, size: int, token: str, agent_id: str, territory_id: str
) -> tuple[list[Route], str]:
    t = orm.routes
    stmt = select(t).where(
        *_where(
            t.c.agent_id == agent_id if agent_id else None,
            t.c.territory_id == territory_id if territory_id else None,
        )
    )
    return await _page(session, stmt, t.c.id, token, size, route_from)


async def list_assignments(
    session: AsyncSession, *, size: int, token: str, route_id: str, outlet_id: str
) -> tuple[list[RouteAssignment], str]:
    t = orm.route_assignments
    key = t.c.outlet_id if route_id else t.c.route_id
    stmt = select(t).where(
        *_where(
            t.c.route_id == route_id if route_id else None,
            t.c.outlet_id == outlet_id if outlet_id else None,
        )
    )
    return await _page(session, stmt, key, token, size, assignment_from)


async def list_visits(
    session: AsyncSession,
    *,
    size: int,
    token: str,
    agent_id: str,
    outlet_id: str,
    from_date: date | None,
    to_date: date | None,
) -> tuple[list[Visit], str]:
    t = orm.visits
    stmt = select(t).where(
        *_where(
            t.c.agent_id == agent_id if agent_id else None,
            t.c.outlet_id == outlet_id if outlet_id else None,
            t.c.day >= from_date if from_date else None,
            t.c.day <= to_date if to_date else None,
        )
    )
    return await _page(session, stmt, t.c.id, token, size, visit_from)


async def list_questionnaires(
    session: AsyncSession, *, size: int, token: str
) -> tuple[list[Questionnaire], str]:
    t = orm.questionnaires
    return await _page(session, select(t), t.c.id, token, size, questionnaire_from)


async def list_audits(
    session: AsyncSession, *, size: int, token: str, outlet_id: str, visit_id: str
) -> tuple[list[Audit], str]:
    t = orm.audits
    stmt = select(t).where(
        *_where(
            t.c.outlet_id == outlet_id if outlet_id else None,
            t.c.visit_id == visit_id if visit_id else None,
        )
    )
    return await _page(session, stmt, t.c.id, token, size, audit_from)


@dataclass(frozen=True)
class PlannedVisit:
    outlet: Outlet
    route_id: str
    sequence: int
    visit: Visit | None


async def visit_plan(session: AsyncSession, agent_id: str, day: date) -> list[PlannedVisit]:
    """Outlets due on `day` on the agent's routes, in route order, with visits already made.

    One indexed query: the agent's routes → assignments whose weekday bit is set → outlets.
    The every-N-weeks rule is checked in Python on that small set.
    """
    r, a, o, v = orm.routes, orm.route_assignments, orm.outlets, orm.visits
    bit = 1 << day.isoweekday()
    stmt = (
        select(
            o,
            a.c.route_id.label("a_route_id"),
            a.c.frequency.label("a_frequency"),
            a.c.weekday_mask.label("a_weekday_mask"),
            a.c.start_date.label("a_start_date"),
            a.c.sequence.label("a_sequence"),
        )
        .select_from(r.join(a, a.c.route_id == r.c.id).join(o, o.c.id == a.c.outlet_id))
        .where(
            r.c.agent_id == agent_id,
            a.c.weekday_mask.op("&")(bit) != 0,
            a.c.start_date <= day,
            o.c.status == "active",
        )
        .order_by(a.c.sequence, o.c.id)
    )
    rows = (await session.execute(stmt)).all()
    due = []
    for row in rows:
        plan_assignment = assignment_from(
            _AssignmentRow(
                row.a_route_id,
                row.id,
                row.a_frequency,
                row.a_weekday_mask,
                row.a_start_date,
                row.a_sequence,
            )
        )
        if plan_assignment.is_due(day):
            due.append((row, plan_assignment))
    if not due:
        return []
    visits_rows = (
        await session.execute(select(v).where(and_(v.c.agent_id == agent_id, v.c.day == day)))
    ).all()
    by_outlet = {vr.outlet_id: visit_from(vr) for vr in visits_rows}
    return [
        PlannedVisit(outlet_from(row), pa.route_id, pa.sequence, by_outlet.get(row.id))
        for row, pa in due
    ]


@dataclass(frozen=True)
class _AssignmentRow:
    route_id: str
    outlet_id: str
    frequency: int
    weekday_mask: int
    start_date: date
    sequence: int
