"""The unit of work of the clients context and its repositories: rows ↔ aggregates.

Versioned aggregates go through `fieldline_kit.repository.VersionedRepository` (`find`, `get`,
`add`, `save`; `save` writes `WHERE version = <loaded>`, so of two concurrent writers exactly one
wins); each repository gives its table and the two mappings, `to_row` and `from_row`. The row
readers (`client_from`, `outlet_from` …) are shared with the read side, `queries`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Row, Select, delete, insert, or_, select, union, update

from fieldline_clients.adapters import orm
from fieldline_clients.adapters.proto_mapping import outlet_pb
from fieldline_clients.domain.calls import Call, CallOutcome
from fieldline_clients.domain.fieldwork import (
    Answer,
    Audit,
    CompetitorPrice,
    GeoMark,
    MustStockCheck,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Question,
    Questionnaire,
    QuestionType,
    Visit,
    VisitOutcome,
    VisitStatus,
)
from fieldline_clients.domain.model import (
    CardChange,
    Client,
    ClientType,
    Contact,
    Employee,
    FieldChange,
    Outlet,
    OutletCard,
    OutletStatus,
    Role,
    Route,
    RouteAgentPeriod,
    RouteAssignment,
    RouteKind,
    Territory,
    VisitFrequency,
    WorkingHours,
)
from fieldline_clients.domain.values import Location, Money, search_key
from fieldline_kit.db import utc, utc_or_none
from fieldline_kit.repository import Repository, Versioned, VersionedRepository
from fieldline_kit.uow import UnitOfWork

A = TypeVar("A", bound=Versioned)


# ------------------------------------------------------------------------- card mapping
def card_columns(card: OutletCard) -> dict[str, Any]:
    return {
        "name": card.name,
        "name_search": search_key(card.name),
        "address": card.address,
        "lat": card.location.lat if card.location else None,
        "lon": card.location.lon if card.location else None,
        "channel": card.channel,
        "format": card.format,
        "outlet_class": card.outlet_class,
        "contacts": [vars(c) for c in card.contacts],
        "working_hours": [vars(w) for w in card.working_hours],
        "custom_attributes": dict(card.custom_attributes),
    }


def card_from(data: Any) -> OutletCard:
    """From an outlets row or from a card_columns() dict stored as JSON."""

    def get(key: str) -> Any:
        return data[key] if isinstance(data, dict) else getattr(data, key)

    lat, lon = get("lat"), get("lon")
    return OutletCard(
        name=get("name"),
        address=get("address"),
        location=Location(lat, lon) if lat is not None and lon is not None else None,
        channel=get("channel"),
        format=get("format"),
        outlet_class=get("outlet_class"),
        contacts=tuple(Contact(**c) for c in get("contacts")),
        working_hours=tuple(WorkingHours(**w) for w in get("working_hours")),
        custom_attributes=dict(get("custom_attributes")),
    )


def outlet_from(row: Row[Any]) -> Outlet:
    return Outlet(
        id=row.id,
        client_id=row.client_id,
        card=card_from(row),
        status=OutletStatus(row.status),
        territory_id=row.territory_id,
        version=row.version,
        created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
    )


def client_from(row: Row[Any]) -> Client:
    return Client(
        id=row.id,
        name=row.name,
        inn=row.inn,
        kpp=row.kpp,
        type=ClientType(row.type),
        legal_address=row.legal_address,
        version=row.version,
        created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
        external_id=row.external_id,
    )


def employee_from(row: Row[Any]) -> Employee:
    return Employee(
        id=row.id,
        full_name=row.full_name,
        roles=frozenset(Role(r) for r in row.roles),
        territory_id=row.territory_id,
        supervisor_id=row.supervisor_id,
        distributor_id=row.distributor_id,
        active=row.active,
        version=row.version,
        external_id=row.external_id,
        phone=row.phone,
    )


def route_from(row: Row[Any]) -> Route:
    return Route(
        row.id,
        row.name,
        row.territory_id,
        row.agent_id,
        row.version,
        row.external_id,
        RouteKind(row.kind),
    )


def period_from(row: Any) -> RouteAgentPeriod:
    return RouteAgentPeriod(row.route_id, row.employee_id, row.valid_from, row.valid_to)


def weekday_mask(days: Iterable[int]) -> int:
    return sum(1 << d for d in set(days))


def assignment_from(row: Any) -> RouteAssignment:
    return RouteAssignment(
        route_id=row.route_id,
        outlet_id=row.outlet_id,
        frequency=VisitFrequency(row.frequency),
        weekdays=tuple(d for d in range(1, 8) if row.weekday_mask & (1 << d)),
        start_date=row.start_date,
        sequence=row.sequence,
    )


def _mark_columns(prefix: str, mark: GeoMark | None) -> dict[str, Any]:
    return {
        f"{prefix}_time": mark.time if mark else None,
        f"{prefix}_lat": mark.location.lat if mark and mark.location else None,
        f"{prefix}_lon": mark.location.lon if mark and mark.location else None,
        f"{prefix}_distance_m": mark.distance_m if mark else None,
        f"{prefix}_far": mark.far if mark else False,
    }


def _mark_from(row: Row[Any], prefix: str) -> GeoMark | None:
    time = utc_or_none(getattr(row, f"{prefix}_time"))
    if time is None:
        return None
    lat, lon = getattr(row, f"{prefix}_lat"), getattr(row, f"{prefix}_lon")
    return GeoMark(
        time,
        Location(lat, lon) if lat is not None else None,
        getattr(row, f"{prefix}_distance_m"),
        getattr(row, f"{prefix}_far"),
    )


def visit_from(row: Row[Any]) -> Visit:
    return Visit(
        id=row.id,
        agent_id=row.agent_id,
        outlet_id=row.outlet_id,
        day=row.day,
        status=VisitStatus(row.status),
        check_in=_mark_from(row, "check_in"),
        check_out=_mark_from(row, "check_out"),
        outcome=VisitOutcome(row.outcome) if row.outcome else None,
        missed_reason=row.missed_reason,
        notes=row.notes,
        version=row.version,
    )


def call_from(row: Row[Any]) -> Call:
    return Call(
        id=row.id,
        teleseller_id=row.teleseller_id,
        outlet_id=row.outlet_id,
        day=row.day,
        started_at=utc(row.started_at),
        ended_at=utc_or_none(row.ended_at),
        outcome=CallOutcome(row.outcome),
        call_back_at=utc_or_none(row.call_back_at),
        reason=row.reason,
        notes=row.notes,
        recorded_at=utc(row.recorded_at),
        version=row.version,
    )


def questionnaire_from(row: Row[Any]) -> Questionnaire:
    return Questionnaire(
        id=row.id,
        name=row.name,
        questions=tuple(
            Question(
                q["id"], q["text"], QuestionType(q["type"]), tuple(q["options"]), q["required"]
            )
            for q in row.questions
        ),
        must_stock_skus=tuple(row.must_stock_skus),
        version=row.version,
        distributor_id=row.distributor_id,
    )


def _money_json(m: Money) -> dict[str, str]:
    return {"amount": str(m.amount), "currency": m.currency}


def _answer_json(a: Answer) -> dict[str, Any]:
    value: Any = a.value
    if isinstance(value, Money):
        value = _money_json(value)
    elif isinstance(value, Decimal):
        value = str(value)
    return {"question_id": a.question_id, "type": a.type.value, "value": value}


def _answer_from(d: dict[str, Any]) -> Answer:
    qtype = QuestionType(d["type"])
    value = d["value"]
    if qtype is QuestionType.MONEY:
        value = Money(Decimal(value["amount"]), value["currency"])
    elif qtype is QuestionType.NUMBER:
        value = Decimal(value)
    return Answer(d["question_id"], qtype, value)


def audit_from(row: Row[Any]) -> Audit:
    return Audit(
        id=row.id,
        visit_id=row.visit_id,
        questionnaire_id=row.questionnaire_id,
        agent_id=row.agent_id,
        outlet_id=row.outlet_id,
        answers=tuple(_answer_from(a) for a in row.answers),
        must_stock=tuple(
            MustStockCheck(
                m["sku"],
                m["present"],
                m["facings"],
                Decimal(m["shelf_quantity"]) if m["shelf_quantity"] is not None else None,
            )
            for m in row.must_stock
        ),
        competitor_prices=tuple(
            CompetitorPrice(
                c["product"], c["competitor"], Money(Decimal(c["amount"]), c["currency"])
            )
            for c in row.competitor_prices
        ),
        submitted_at=utc(row.submitted_at),
        performed_at=utc_or_none(row.performed_at),
        version=row.version,
        distributor_id=row.distributor_id,
    )


def proposal_from(row: Row[Any]) -> Proposal:
    return Proposal(
        id=row.id,
        kind=ProposalKind(row.kind),
        status=ProposalStatus(row.status),
        proposed_by=row.proposed_by,
        outlet_id=row.outlet_id,
        client_id=row.client_id,
        card=card_from(row.card),
        fields=tuple(row.fields),
        created_at=utc(row.created_at),
        decided_by=row.decided_by,
        decision_reason=row.decision_reason,
        decided_at=utc_or_none(row.decided_at),
        version=row.version,
    )


def history_from(row: Row[Any]) -> CardChange:
    return CardChange(
        outlet_id=row.outlet_id,
        version=row.version,
        changed_by=row.changed_by,
        changed_at=utc(row.changed_at),
        changes=tuple(FieldChange(**c) for c in row.changes),
        proposal_id=row.proposal_id,
    )


# ------------------------------------------------------------------------- repositories
class ExternalRepository(VersionedRepository[A]):
    """Aggregates that may carry the ERP's id (`external_id`, '' when none; a partial unique
    index): found many at once, by id or by external id."""

    async def by_ids(self, ids: Collection[str]) -> dict[str, A]:
        """Those of `ids` that exist, by id; loaded for `save`."""
        if not ids:
            return {}
        t = self.table
        rows = (await self.session.execute(select(t).where(t.c.id.in_(list(ids))))).all()
        return {row.id: self.loaded(self.from_row(row)) for row in rows}

    async def by_external_ids(self, external_ids: Collection[str]) -> dict[str, A]:
        """The aggregates with these (non-empty) external ids, by external id; loaded for
        `save`."""
        if not external_ids:
            return {}
        t = self.table
        # `external_id != ''` repeats the partial index's condition, so SQLite uses it too.
        stmt = select(t).where(t.c.external_id.in_(list(external_ids)), t.c.external_id != "")
        rows = (await self.session.execute(stmt)).all()
        return {row.external_id: self.loaded(self.from_row(row)) for row in rows}

    async def ids_taken(self, ids: Collection[str]) -> set[str]:
        """Those of `ids` that are an aggregate's."""
        if not ids:
            return set()
        t = self.table
        stmt = select(t.c.id).where(t.c.id.in_(list(ids)))
        return set((await self.session.execute(stmt)).scalars())


class ClientRepository(ExternalRepository[Client]):
    table = orm.clients
    entity = "client"

    def to_row(self, c: Client) -> dict[str, Any]:
        return {
            "id": c.id,
            "name": c.name,
            "name_search": search_key(c.name),
            "inn": c.inn,
            "kpp": c.kpp,
            "type": c.type.value,
            "legal_address": c.legal_address,
            "version": c.version,
            "created_at": c.created_at,
            "updated_at": c.updated_at,
            "external_id": c.external_id,
        }

    def from_row(self, row: Row[Any]) -> Client:
        return client_from(row)


class OutletRepository(VersionedRepository[Outlet]):
    """Outlets, and the card history rows their changes add (`Outlet.new_history`)."""

    table = orm.outlets
    entity = "outlet"

    def to_row(self, o: Outlet) -> dict[str, Any]:
        return {
            "id": o.id,
            "client_id": o.client_id,
            **card_columns(o.card),
            "status": o.status.value,
            "territory_id": o.territory_id,
            "version": o.version,
            "created_at": o.created_at,
            "updated_at": o.updated_at,
            # Denormalized: the published form of this very outlet, kept in step on every write.
            "outlet_pb": outlet_pb(o).SerializeToString(deterministic=True),
        }

    def from_row(self, row: Row[Any]) -> Outlet:
        return outlet_from(row)

    def history_rows(self, o: Outlet) -> list[dict[str, Any]]:
        """The outlet_card_history rows of the card changes made to `o` since it was loaded."""
        return [
            {
                "outlet_id": h.outlet_id,
                "version": h.version,
                "changed_by": h.changed_by,
                "changed_at": h.changed_at,
                "changes": [vars(c) for c in h.changes],
                "proposal_id": h.proposal_id,
            }
            for h in o.new_history
        ]

    async def add(self, o: Outlet) -> None:
        await super().add(o)
        await self._write_history(o)

    async def save(self, o: Outlet) -> None:
        if await self.update_row(o, self.to_row(o)):
            self.saved(o)
            await self._write_history(o)

    async def _write_history(self, o: Outlet) -> None:
        if o.new_history:
            await self.session.execute(insert(orm.outlet_card_history), self.history_rows(o))
            o.new_history.clear()


class EmployeeRepository(ExternalRepository[Employee]):
    table = orm.employees
    entity = "employee"

    def to_row(self, e: Employee) -> dict[str, Any]:
        return {
            "id": e.id,
            "full_name": e.full_name,
            "roles": sorted(r.value for r in e.roles),
            "territory_id": e.territory_id,
            "supervisor_id": e.supervisor_id,
            "distributor_id": e.distributor_id,
            "active": e.active,
            "version": e.version,
            "external_id": e.external_id,
            "phone": e.phone,
        }

    def from_row(self, row: Row[Any]) -> Employee:
        return employee_from(row)


class TerritoryRepository(Repository):
    """Territories: reference data without versions, never changed once made; a new one's
    TerritoryChanged is published at commit."""

    table = orm.territories

    def to_row(self, t: Territory) -> dict[str, Any]:
        return {"id": t.id, "name": t.name, "parent_id": t.parent_id}

    async def find(self, territory_id: str) -> Territory | None:
        t = self.table
        row = (await self.session.execute(select(t).where(t.c.id == territory_id))).first()
        return Territory(row.id, row.name, row.parent_id) if row else None

    async def add(self, t: Territory) -> None:
        await self.session.execute(insert(self.table).values(**self.to_row(t)))
        self.track(t)


class RouteRepository(ExternalRepository[Route]):
    """Routes, their assignments (rows of their own; a change bumps the route's version) and
    their dated agent periods (rows of their own; the route's agent follows them)."""

    table = orm.routes
    entity = "route"

    def to_row(self, r: Route) -> dict[str, Any]:
        return {
            "id": r.id,
            "name": r.name,
            "territory_id": r.territory_id,
            "agent_id": r.agent_id,
            "version": r.version,
            "external_id": r.external_id,
            "kind": r.kind.value,
        }

    def from_row(self, row: Row[Any]) -> Route:
        return route_from(row)

    async def on_phone_route(self, employee_id: str, outlet_id: str) -> bool:
        """Whether the outlet is on a PHONE route `employee_id` works (its call lists)."""
        r, a = orm.routes, orm.route_assignments
        stmt = (
            select(a.c.route_id)
            .join(r, r.c.id == a.c.route_id)
            .where(
                a.c.outlet_id == outlet_id,
                r.c.agent_id == employee_id,
                r.c.kind == RouteKind.PHONE.value,
            )
            .limit(1)
        )
        return (await self.session.execute(stmt)).first() is not None

    def assignment_row(self, a: RouteAssignment) -> dict[str, Any]:
        return {
            "route_id": a.route_id,
            "outlet_id": a.outlet_id,
            "frequency": a.frequency.value,
            "weekday_mask": weekday_mask(a.weekdays),
            "start_date": a.start_date,
            "sequence": a.sequence,
        }

    async def find_assignment(self, route_id: str, outlet_id: str) -> RouteAssignment | None:
        t = orm.route_assignments
        row = (
            await self.session.execute(
                select(t).where(t.c.route_id == route_id, t.c.outlet_id == outlet_id)
            )
        ).first()
        return assignment_from(row) if row else None

    async def put_assignment(self, a: RouteAssignment) -> None:
        """Insert the assignment, or replace the schedule of the one already there."""
        t = orm.route_assignments
        row = self.assignment_row(a)
        schedule = {k: v for k, v in row.items() if k not in ("route_id", "outlet_id")}
        result = await self.session.execute(
            update(t)
            .where(t.c.route_id == a.route_id, t.c.outlet_id == a.outlet_id)
            .values(**schedule)
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            await self.session.execute(insert(t).values(**row))

    async def remove_assignment(self, a: RouteAssignment) -> None:
        t = orm.route_assignments
        await self.session.execute(
            delete(t).where(t.c.route_id == a.route_id, t.c.outlet_id == a.outlet_id)
        )

    # -- agent periods -------------------------------------------------------------------
    async def periods_starting(
        self, keys: Collection[tuple[str, date]]
    ) -> dict[tuple[str, date], RouteAgentPeriod]:
        """The stored periods with these (route id, start day) keys."""
        if not keys:
            return {}
        t = orm.route_agent_periods
        stmt = select(t).where(
            t.c.route_id.in_({r for r, _ in keys}), t.c.valid_from.in_({d for _, d in keys})
        )
        wanted = set(keys)
        found = (period_from(row) for row in (await self.session.execute(stmt)).all())
        return {p.key: p for p in found if p.key in wanted}

    async def put_period(self, p: RouteAgentPeriod) -> None:
        """Insert the period, or replace the one with its route and start day."""
        t = orm.route_agent_periods
        result = await self.session.execute(
            update(t)
            .where(t.c.route_id == p.route_id, t.c.valid_from == p.valid_from)
            .values(employee_id=p.employee_id, valid_to=p.valid_to)
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            await self.session.execute(
                insert(t).values(
                    route_id=p.route_id,
                    valid_from=p.valid_from,
                    employee_id=p.employee_id,
                    valid_to=p.valid_to,
                )
            )

    async def periods_covering(
        self, route_ids: Collection[str], day: date
    ) -> dict[str, list[RouteAgentPeriod]]:
        """The periods of these routes covering `day`, by route (routes without one left out)."""
        if not route_ids:
            return {}
        t = orm.route_agent_periods
        stmt = select(t).where(t.c.route_id.in_(list(route_ids)), *_covering(t, day))
        out: dict[str, list[RouteAgentPeriod]] = {}
        for row in (await self.session.execute(stmt)).all():
            out.setdefault(row.route_id, []).append(period_from(row))
        return out

    async def handover_candidates(self, day: date, after: str, limit: int) -> list[str]:
        """Ids (in order, after `after`) of the routes a period covering `day` names another
        employee for than the route's agent: those whose agent `day` may move. The period in
        force is the domain's to pick (`period_in_force`); this only narrows the routes."""
        t, r = orm.route_agent_periods, orm.routes
        stmt = (
            select(r.c.id)
            .distinct()
            .join(t, t.c.route_id == r.c.id)
            .where(*_covering(t, day), t.c.employee_id != r.c.agent_id, r.c.id > after)
            .order_by(r.c.id)
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())


class VisitRepository(VersionedRepository[Visit]):
    table = orm.visits
    entity = "visit"

    def to_row(self, v: Visit) -> dict[str, Any]:
        return {
            "id": v.id,
            "agent_id": v.agent_id,
            "outlet_id": v.outlet_id,
            "day": v.day,
            "status": v.status.value,
            **_mark_columns("check_in", v.check_in),
            **_mark_columns("check_out", v.check_out),
            "outcome": v.outcome.value if v.outcome else None,
            "missed_reason": v.missed_reason,
            "notes": v.notes,
            "version": v.version,
        }

    def from_row(self, row: Row[Any]) -> Visit:
        return visit_from(row)


class CallRepository(VersionedRepository[Call]):
    table = orm.calls
    entity = "call"

    def to_row(self, c: Call) -> dict[str, Any]:
        return {
            "id": c.id,
            "teleseller_id": c.teleseller_id,
            "outlet_id": c.outlet_id,
            "day": c.day,
            "started_at": c.started_at,
            "ended_at": c.ended_at,
            "outcome": c.outcome.value,
            "call_back_at": c.call_back_at,
            "reason": c.reason,
            "notes": c.notes,
            "recorded_at": c.recorded_at,
            "version": c.version,
        }

    def from_row(self, row: Row[Any]) -> Call:
        return call_from(row)


class QuestionnaireRepository(VersionedRepository[Questionnaire]):
    table = orm.questionnaires
    entity = "questionnaire"

    def to_row(self, q: Questionnaire) -> dict[str, Any]:
        return {
            "id": q.id,
            "name": q.name,
            "questions": [
                {
                    "id": x.id,
                    "text": x.text,
                    "type": x.type.value,
                    "options": list(x.options),
                    "required": x.required,
                }
                for x in q.questions
            ],
            "must_stock_skus": list(q.must_stock_skus),
            "version": q.version,
            "distributor_id": q.distributor_id,
        }

    def from_row(self, row: Row[Any]) -> Questionnaire:
        return questionnaire_from(row)


class AuditRepository(VersionedRepository[Audit]):
    table = orm.audits
    entity = "audit"

    def to_row(self, a: Audit) -> dict[str, Any]:
        return {
            "id": a.id,
            "visit_id": a.visit_id,
            "questionnaire_id": a.questionnaire_id,
            "agent_id": a.agent_id,
            "outlet_id": a.outlet_id,
            "answers": [_answer_json(x) for x in a.answers],
            "must_stock": [
                {
                    "sku": m.sku,
                    "present": m.present,
                    "facings": m.facings,
                    "shelf_quantity": None if m.shelf_quantity is None else str(m.shelf_quantity),
                }
                for m in a.must_stock
            ],
            "competitor_prices": [
                {"product": c.product, "competitor": c.competitor, **_money_json(c.price)}
                for c in a.competitor_prices
            ],
            "submitted_at": a.submitted_at,
            "performed_at": a.performed_at,
            "version": a.version,
            "distributor_id": a.distributor_id,
        }

    def from_row(self, row: Row[Any]) -> Audit:
        return audit_from(row)


class ProposalRepository(VersionedRepository[Proposal]):
    table = orm.proposals
    entity = "proposal"

    def to_row(self, p: Proposal) -> dict[str, Any]:
        card = card_columns(p.card)
        card.pop("name_search")
        return {
            "id": p.id,
            "kind": p.kind.value,
            "status": p.status.value,
            "proposed_by": p.proposed_by,
            "outlet_id": p.outlet_id,
            "client_id": p.client_id,
            "card": card,
            "fields": list(p.fields),
            "created_at": p.created_at,
            "decided_by": p.decided_by,
            "decision_reason": p.decision_reason,
            "decided_at": p.decided_at,
            "version": p.version,
        }

    def from_row(self, row: Row[Any]) -> Proposal:
        return proposal_from(row)


def _covering(t: Any, day: date) -> list[Any]:
    """The conditions of a period of `t` covering `day` (`RouteAgentPeriod.covers`)."""
    return [t.c.valid_from <= day, or_(t.c.valid_to.is_(None), t.c.valid_to >= day)]


# ------------------------------------------------------------------------- data scope
def outlets_of(team: Collection[str]) -> Select[Any]:
    """Ids of the outlets a team sees (`service_layer.access`): those assigned to a route one of
    them works, and those one of them proposed as new (a pending or rejected census outlet is
    on no route). The one statement behind every scoped read of outlets, lists included."""
    r, a, p = orm.routes, orm.route_assignments, orm.proposals
    on_routes = select(a.c.outlet_id).join(r, r.c.id == a.c.route_id).where(r.c.agent_id.in_(team))
    proposed = select(p.c.outlet_id).where(
        p.c.kind == ProposalKind.NEW_OUTLET.value, p.c.proposed_by.in_(team)
    )
    return select(union(on_routes, proposed).subquery().c.outlet_id)


class AccessQueries(Repository):
    """What a caller's data scope is computed from (`service_layer.access`)."""

    async def reports(self, supervisor_id: str) -> frozenset[str]:
        """The employees whose supervisor is `supervisor_id`."""
        e = orm.employees
        rows = await self.session.execute(select(e.c.id).where(e.c.supervisor_id == supervisor_id))
        return frozenset(rows.scalars())

    async def distributor_of(self, employee_id: str) -> str:
        """The distributor the employee works for ('' none, or no such employee)."""
        e = orm.employees
        stmt = select(e.c.distributor_id).where(e.c.id == employee_id)
        return (await self.session.execute(stmt)).scalar() or ""

    async def sees_outlet(self, team: Collection[str], outlet_id: str) -> bool:
        """Whether the outlet is one `outlets_of(team)` lists (false when it does not exist)."""
        o = orm.outlets
        stmt = select(o.c.id).where(o.c.id == outlet_id, o.c.id.in_(outlets_of(team)))
        return (await self.session.execute(stmt)).first() is not None


class ClientsUnitOfWork(UnitOfWork):
    """The kit's unit of work with this context's repositories, fresh for each transaction."""

    clients: ClientRepository
    outlets: OutletRepository
    employees: EmployeeRepository
    territories: TerritoryRepository
    routes: RouteRepository
    visits: VisitRepository
    calls: CallRepository
    questionnaires: QuestionnaireRepository
    audits: AuditRepository
    proposals: ProposalRepository
    access: AccessQueries

    def _attach(self) -> None:
        self.clients = ClientRepository(self)
        self.outlets = OutletRepository(self)
        self.employees = EmployeeRepository(self)
        self.territories = TerritoryRepository(self)
        self.routes = RouteRepository(self)
        self.visits = VisitRepository(self)
        self.calls = CallRepository(self)
        self.questionnaires = QuestionnaireRepository(self)
        self.audits = AuditRepository(self)
        self.proposals = ProposalRepository(self)
        self.access = AccessQueries(self)
