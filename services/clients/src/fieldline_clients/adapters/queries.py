"""Read side: lists, searches and the visit plan, straight from the tables.

Queries never go through aggregates and never take write locks. Lists page by keyset (the
last key seen, in an opaque token), so a page costs the same wherever it is in the list.

Lists of scoped data take the caller's `team` (`service_layer.access`: the employees whose
routes, visits, audits and proposals it sees; None: the whole company) and leave out what is
outside it, in SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Date, Row, Select, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline.clients.v1 import resources_pb2 as pb
from fieldline.clients.v1 import territory_service_pb2 as ts
from fieldline_clients.adapters import orm
from fieldline_clients.adapters.proto_mapping import OUTCOMES, VISIT_STATUSES
from fieldline_clients.adapters.repository import (
    assignment_from,
    audit_from,
    call_from,
    client_from,
    employee_from,
    history_from,
    outlet_from,
    outlets_of,
    period_from,
    proposal_from,
    questionnaire_from,
    route_from,
    visit_from,
)
from fieldline_clients.domain.calls import Call, CallOutcome, ListedOutlet
from fieldline_clients.domain.fieldwork import (
    Audit,
    Proposal,
    ProposalStatus,
    Questionnaire,
    Visit,
    VisitOutcome,
    VisitStatus,
)
from fieldline_clients.domain.model import (
    CardChange,
    Client,
    ClientType,
    Employee,
    Outlet,
    OutletStatus,
    Role,
    Route,
    RouteAgentPeriod,
    RouteAssignment,
    RouteKind,
    Territory,
)
from fieldline_clients.domain.values import Location, search_key
from fieldline_kit.db import utc_or_none
from fieldline_kit.errors import InvalidArgument
from fieldline_kit.grpc.convert import decode_number_token, decode_token, encode_token, pb_date

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


Team = Collection[str] | None  # the caller's team; None: the whole company


def _in_team(column: Any, team: Team) -> ColumnElement[bool] | None:
    return None if team is None else column.in_(team)


def _seen_outlet(column: Any, team: Team) -> ColumnElement[bool] | None:
    return None if team is None else column.in_(outlets_of(team))


async def list_clients(
    session: AsyncSession,
    *,
    size: int,
    token: str,
    name_query: str,
    inn: str,
    type_: ClientType | None,
    external_ids: Sequence[str] = (),
) -> tuple[list[Client], str]:
    """`external_ids`: only the clients with one of them (none: no filter)."""
    t = orm.clients
    stmt = select(t).where(
        *_where(
            t.c.name_search.contains(search_key(name_query), autoescape=True)
            if name_query
            else None,
            t.c.inn == inn if inn else None,
            t.c.type == type_.value if type_ else None,
            t.c.external_id.in_(external_ids) if external_ids else None,
            # what ux_clients_external_id covers, so SQLite uses it too
            t.c.external_id != "" if external_ids else None,
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
    status: OutletStatus | None,
    team: Team,
) -> tuple[list[Outlet], str]:
    t = orm.outlets
    stmt = select(t).where(
        *_where(
            _seen_outlet(t.c.id, team),
            t.c.client_id == client_id if client_id else None,
            t.c.territory_id == territory_id if territory_id else None,
            t.c.status == status.value if status else None,
        )
    )
    return await _page(session, stmt, t.c.id, token, size, outlet_from)


@dataclass(frozen=True)
class OutletMatch:
    outlet_pb: bytes  # a serialized fieldline.clients.v1.Outlet (the outlets.outlet_pb column)
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
    team: Team,
) -> tuple[list[OutletMatch], str]:
    """Name/INN filters in SQL; a radius search prefilters by bounding box (indexed on lat, lon),
    then measures the exact great-circle distance and orders nearest first.

    The radius search reads only `(id, lat, lon)` of the candidates in the box and fetches the
    stored outlets of the returned page alone, so its cost follows the page, not the box.
    """
    t, c = orm.outlets, orm.clients
    filters = _where(
        t.c.name_search.contains(search_key(name_query), autoescape=True) if name_query else None,
        t.c.client_id.in_(select(c.c.id).where(c.c.inn == inn)) if inn else None,
    )
    conds = filters + _where(_seen_outlet(t.c.id, team))
    if near is None:
        if not filters:
            raise InvalidArgument("name_query", "give a name, an INN or a point with a radius")
        stmt = select(t.c.id, t.c.outlet_pb).where(*conds)
        found, next_token = await _page(
            session, stmt, t.c.id, token, size, lambda r: OutletMatch(r.outlet_pb, None)
        )
        return found, next_token
    if not 0 < radius_m <= MAX_RADIUS_M:
        raise InvalidArgument(
            "radius_m", f"must be within (0, {MAX_RADIUS_M:.0f}] metres, got {radius_m}"
        )
    min_lat, max_lat, min_lon, max_lon = near.bounding_box(radius_m)
    candidates = (
        select(t.c.id, t.c.lat, t.c.lon)
        .where(*conds, t.c.lat.between(min_lat, max_lat), t.c.lon.between(min_lon, max_lon))
        .limit(MAX_RADIUS_CANDIDATES + 1)
    )
    rows = (await session.execute(candidates)).all()
    if len(rows) > MAX_RADIUS_CANDIDATES:
        raise InvalidArgument("radius_m", "too many outlets in that radius; narrow the search")
    matches = []
    for outlet_id, lat, lon in rows:
        d = near.distance_m(Location(lat, lon))
        if d <= radius_m:
            matches.append((d, outlet_id))
    matches.sort()  # nearest first; equal distances by id
    offset = decode_number_token(token)
    chunk = matches[offset : offset + size]
    more = offset + size < len(matches)
    page_ids = [outlet_id for _, outlet_id in chunk]
    stored = {}
    if page_ids:
        page = select(t.c.id, t.c.outlet_pb).where(t.c.id.in_(page_ids))
        stored = {row.id: row.outlet_pb for row in await session.execute(page)}
    return (
        [OutletMatch(stored[i], d) for d, i in chunk if i in stored],
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
    session: AsyncSession, *, size: int, token: str, status: ProposalStatus | None, team: Team
) -> tuple[list[Proposal], str]:
    t = orm.proposals
    stmt = select(t).where(
        *_where(_in_team(t.c.proposed_by, team), t.c.status == status.value if status else None)
    )
    return await _page(session, stmt, t.c.id, token, size, proposal_from)


async def list_employees(
    session: AsyncSession,
    *,
    size: int,
    token: str,
    role: Role | None,
    territory_id: str,
    team: Team,
) -> tuple[list[Employee], str]:
    t = orm.employees
    stmt = select(t).where(
        *_where(_in_team(t.c.id, team), t.c.territory_id == territory_id if territory_id else None)
    )
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
            if role.value in r.roles:
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
    session: AsyncSession, *, size: int, token: str, agent_id: str, territory_id: str, team: Team
) -> tuple[list[Route], str]:
    t = orm.routes
    stmt = select(t).where(
        *_where(
            _in_team(t.c.agent_id, team),
            t.c.agent_id == agent_id if agent_id else None,
            t.c.territory_id == territory_id if territory_id else None,
        )
    )
    return await _page(session, stmt, t.c.id, token, size, route_from)


@dataclass(frozen=True)
class ListedAssignment:
    assignment: RouteAssignment
    route_version: int  # its route's version, read in the same statement
    route_kind: RouteKind


async def list_assignments(
    session: AsyncSession, *, size: int, token: str, route_id: str, outlet_id: str, team: Team
) -> tuple[list[ListedAssignment], str]:
    """Assignments with their route's version: one statement reads both, so each row's
    version is the one its route had when the row was as listed (comparable with the
    `aggregate_version` of RouteAssignmentChanged)."""
    t, r = orm.route_assignments, orm.routes
    key = t.c.outlet_id if route_id else t.c.route_id
    stmt = (
        select(t, r.c.version.label("route_version"), r.c.kind.label("route_kind"))
        .join(r, r.c.id == t.c.route_id)
        .where(
            *_where(
                _in_team(r.c.agent_id, team),
                t.c.route_id == route_id if route_id else None,
                t.c.outlet_id == outlet_id if outlet_id else None,
            )
        )
    )
    return await _page(
        session,
        stmt,
        key,
        token,
        size,
        lambda row: ListedAssignment(
            assignment_from(row), row.route_version, RouteKind(row.route_kind)
        ),
    )


async def list_route_agent_periods(
    session: AsyncSession, *, route_id: str, size: int, token: str
) -> tuple[list[RouteAgentPeriod], str]:
    """A route's agent periods by start day (keyset: the last start day seen)."""
    t = orm.route_agent_periods
    stmt = select(t).where(t.c.route_id == route_id)
    after = decode_token(token)
    if after:
        try:
            stmt = stmt.where(t.c.valid_from > date.fromisoformat(after))
        except ValueError:
            raise InvalidArgument("page_token", "is not a token this service issued") from None
    rows = (await session.execute(stmt.order_by(t.c.valid_from).limit(size + 1))).all()
    more = len(rows) > size
    periods = [period_from(r) for r in rows[:size]]
    return periods, encode_token(periods[-1].valid_from.isoformat()) if more else ""


def _of_days(
    t: Any,
    employee: Any,
    employee_id: str,
    outlet_id: str,
    from_date: date | None,
    to_date: date | None,
    team: Team,
) -> list[ColumnElement[bool]]:
    """The filters of a list of fieldwork by day (visits, calls): the caller's team's (by the
    `employee` column), of an employee, of an outlet, within inclusive days."""
    return _where(
        _in_team(employee, team),
        employee == employee_id if employee_id else None,
        t.c.outlet_id == outlet_id if outlet_id else None,
        t.c.day >= from_date if from_date else None,
        t.c.day <= to_date if to_date else None,
    )


async def list_visits(
    session: AsyncSession,
    *,
    size: int,
    token: str,
    agent_id: str,
    outlet_id: str,
    from_date: date | None,
    to_date: date | None,
    team: Team,
) -> tuple[list[Visit], str]:
    t = orm.visits
    stmt = select(t).where(
        *_of_days(t, t.c.agent_id, agent_id, outlet_id, from_date, to_date, team)
    )
    return await _page(session, stmt, t.c.id, token, size, visit_from)


async def list_calls(
    session: AsyncSession,
    *,
    size: int,
    token: str,
    teleseller_id: str,
    outlet_id: str,
    from_date: date | None,
    to_date: date | None,
    team: Team,
) -> tuple[list[Call], str]:
    t = orm.calls
    stmt = select(t).where(
        *_of_days(t, t.c.teleseller_id, teleseller_id, outlet_id, from_date, to_date, team)
    )
    return await _page(session, stmt, t.c.id, token, size, call_from)


@dataclass(frozen=True)
class CallPlanReads:
    """What a teleseller's call plan of a day is computed from (`domain.calls.call_plan`)."""

    outlets: list[ListedOutlet]  # the assignments of its PHONE routes
    earlier: list[Call]  # its calls before the day of the outlets that asked for a call-back
    of_the_day: list[Call]


async def call_plan_reads(
    session: AsyncSession, teleseller_id: str, day: date, zone: tzinfo
) -> CallPlanReads:
    """Three indexed reads: the assignments of the teleseller's PHONE routes with their outlets'
    status; its CALL_BACK calls of earlier days asking for `day` (in `zone`), and its other
    calls of those outlets since the first of them (the domain picks each outlet's latest);
    its calls of `day`."""
    r, a, o, c = orm.routes, orm.route_assignments, orm.outlets, orm.calls
    rows = await session.execute(
        select(a, o.c.status)
        .select_from(r.join(a, a.c.route_id == r.c.id).join(o, o.c.id == a.c.outlet_id))
        .where(r.c.agent_id == teleseller_id, r.c.kind == RouteKind.PHONE.value)
    )
    outlets = [
        ListedOutlet(assignment_from(row), row.status == OutletStatus.ACTIVE.value) for row in rows
    ]
    try:
        start = datetime.combine(day, time(), zone).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
    except OverflowError:  # the calendar's last days: nobody asked to be called back then
        start = end = datetime.max.replace(tzinfo=UTC)
    asked = await session.execute(
        select(c.c.outlet_id, c.c.day).where(
            c.c.teleseller_id == teleseller_id,
            c.c.call_back_at >= start,
            c.c.call_back_at < end,
            c.c.outcome == CallOutcome.CALL_BACK.value,
            c.c.day < day,
        )
    )
    since: dict[str, date] = {}
    for outlet_id, asked_on in asked:
        since[outlet_id] = min(asked_on, since.get(outlet_id, asked_on))
    earlier: list[Call] = []
    if since:
        found = await session.execute(
            select(c).where(
                c.c.teleseller_id == teleseller_id,
                c.c.outlet_id.in_(list(since)),
                c.c.day >= min(since.values()),
                c.c.day < day,
            )
        )
        earlier = [call_from(row) for row in found if row.day >= since[row.outlet_id]]
    of_the_day = await session.execute(
        select(c).where(c.c.teleseller_id == teleseller_id, c.c.day == day)
    )
    return CallPlanReads(outlets, earlier, [call_from(row) for row in of_the_day])


async def outlet_pbs(session: AsyncSession, outlet_ids: Collection[str]) -> dict[str, bytes]:
    """The stored protos (outlets.outlet_pb) of these outlets, by id."""
    if not outlet_ids:
        return {}
    t = orm.outlets
    rows = await session.execute(select(t.c.id, t.c.outlet_pb).where(t.c.id.in_(list(outlet_ids))))
    return {row.id: row.outlet_pb for row in rows}


async def list_questionnaires(
    session: AsyncSession, *, size: int, token: str
) -> tuple[list[Questionnaire], str]:
    t = orm.questionnaires
    return await _page(session, select(t), t.c.id, token, size, questionnaire_from)


async def list_audits(
    session: AsyncSession,
    *,
    size: int,
    token: str,
    outlet_id: str,
    visit_id: str,
    distributor_id: str,
    team: Team,
    managed: str = "",
) -> tuple[list[Audit], str]:
    """The audits of `team`'s agents, and those tagged with `managed` (a distributor
    manager's distributor), filtered."""
    t = orm.audits
    in_scope = _in_team(t.c.agent_id, team)
    if in_scope is not None and managed:
        in_scope = or_(in_scope, t.c.distributor_id == managed)
    stmt = select(t).where(
        *_where(
            in_scope,
            t.c.outlet_id == outlet_id if outlet_id else None,
            t.c.visit_id == visit_id if visit_id else None,
            t.c.distributor_id == distributor_id if distributor_id else None,
        )
    )
    return await _page(session, stmt, t.c.id, token, size, audit_from)


@dataclass(frozen=True)
class VisitPlan:
    response: ts.GetVisitPlanResponse
    # Every outlet the plan was computed from: its planned outlets and any outlet on the
    # agent's routes that is due but not active (reopening it would put it into the plan).
    outlet_ids: frozenset[str]


def _plan_statement() -> Select[Any]:
    r, a, o = orm.routes, orm.route_assignments, orm.outlets
    day = bindparam("day", type_=Date)
    return (
        select(
            a.c.outlet_id,
            a.c.route_id,
            a.c.sequence,
            a.c.frequency,
            a.c.weekday_mask,
            a.c.start_date,
            o.c.status,
            o.c.outlet_pb,
        )
        .select_from(r.join(a, a.c.route_id == r.c.id).join(o, o.c.id == a.c.outlet_id))
        .where(
            r.c.agent_id == bindparam("agent_id"),
            r.c.kind != RouteKind.PHONE.value,  # call lists are not visited
            a.c.weekday_mask.op("&")(bindparam("weekday_bit")) != 0,
            a.c.start_date <= day,
        )
        .order_by(a.c.sequence, a.c.outlet_id)
    )


PLAN_SELECT = _plan_statement()
PLAN_VISITS_SELECT = select(orm.visits).where(
    orm.visits.c.agent_id == bindparam("agent_id"),
    orm.visits.c.day == bindparam("day", type_=Date),
)
_ACTIVE = OutletStatus.ACTIVE.value


async def visit_plan(session: AsyncSession, agent_id: str, day: date) -> VisitPlan:
    """Outlets due on `day` on the agent's FIELD routes (call lists, PHONE routes, are left
    out), in route order, with visits already made.

    One indexed query: the agent's routes → assignments whose weekday bit is set → outlets,
    reading only the assignment's schedule and the outlet's stored proto. Whether an
    assignment is due is decided by `RouteAssignment.is_due` (the every-N-weeks rule), once
    per distinct schedule. Outlets go into the response as the stored bytes, visits straight
    from their rows: no domain objects on this path.
    """
    params = {"agent_id": agent_id, "day": day, "weekday_bit": 1 << day.isoweekday()}
    rows = (await session.execute(PLAN_SELECT, params)).all()
    response = ts.GetVisitPlanResponse(agent_id=agent_id, date=pb_date(day))
    if not rows:
        return VisitPlan(response, frozenset())
    due_by_schedule: dict[tuple[int, int, date], bool] = {}
    due = []
    for row in rows:
        # (outlet_id, route_id, sequence, frequency, weekday_mask, start_date, status, outlet_pb)
        schedule = (row[3], row[4], row[5])
        is_due = due_by_schedule.get(schedule)
        if is_due is None:
            is_due = due_by_schedule[schedule] = assignment_from(row).is_due(day)
        if is_due:
            due.append(row)
    if not due:
        return VisitPlan(response, frozenset())
    visits = {v.outlet_id: v for v in (await session.execute(PLAN_VISITS_SELECT, params)).all()}
    add = response.visits.add
    for outlet_id, route_id, sequence, _, _, _, status, outlet_pb in due:
        if status != _ACTIVE:
            continue  # on the route and due, but closed: not visited (yet in `outlet_ids`)
        planned = add(route_id=route_id, sequence=sequence)
        planned.outlet.MergeFromString(outlet_pb)
        visit = visits.get(outlet_id)
        if visit is not None:
            visit_row_pb(visit, planned.visit)
    return VisitPlan(response, frozenset(row[0] for row in due))


def _mark_pb(row: Row[Any], prefix: str, out: pb.Visit) -> None:
    """As proto_mapping._mark does for a GeoMark read from these columns by visit_from."""
    time = utc_or_none(getattr(row, f"{prefix}_time"))
    if time is None:
        return
    getattr(out, f"{prefix}_time").FromDatetime(time.astimezone(UTC))  # as convert.ts
    lat, lon = getattr(row, f"{prefix}_lat"), getattr(row, f"{prefix}_lon")
    if lat is not None:
        location = getattr(out, f"{prefix}_location")
        location.latitude, location.longitude = lat, lon
    setattr(out, f"{prefix}_distance_m", getattr(row, f"{prefix}_distance_m") or 0)
    setattr(out, f"{prefix}_far", getattr(row, f"{prefix}_far"))


def visit_row_pb(row: Row[Any], out: pb.Visit) -> pb.Visit:
    """A visits row → `out`, the same message as `proto_mapping.visit_pb(visit_from(row))`."""
    out.id, out.agent_id, out.outlet_id = row.id, row.agent_id, row.outlet_id
    out.date.year, out.date.month, out.date.day = row.day.year, row.day.month, row.day.day
    out.status = VISIT_STATUSES[VisitStatus(row.status)]
    out.outcome = OUTCOMES[VisitOutcome(row.outcome)] if row.outcome else 0
    out.missed_reason, out.notes = row.missed_reason, row.notes
    _mark_pb(row, "check_in", out)
    _mark_pb(row, "check_out", out)
    return out
