"""Aggregates of the clients & territory context.

Each aggregate validates its own invariants, bumps `version` on every change (optimistic
concurrency: the repository writes `WHERE version = <loaded version>`) and appends domain
events to `events`; it never publishes them.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from fieldline_clients.domain import events
from fieldline_clients.domain.taxid import validate_inn, validate_kpp
from fieldline_clients.domain.values import (
    MAX_CODE,
    MAX_LIST,
    MAX_VALUE,
    Location,
    limit_items,
    limit_text,
    require_id,
    require_text,
)
from fieldline_kit import external_ids
from fieldline_kit.errors import (
    Conflict,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)


class ClientType(enum.Enum):
    RETAIL = "retail"
    DISTRIBUTOR = "distributor"
    KEY_ACCOUNT = "key_account"


class OutletStatus(enum.Enum):
    PENDING = "pending"
    ACTIVE = "active"
    REJECTED = "rejected"
    CLOSED = "closed"


class Role(enum.Enum):
    AGENT = "agent"
    VAN_SELLER = "van_seller"
    MERCHANDISER = "merchandiser"
    DISTRIBUTOR_MANAGER = "distributor_manager"
    SUPERVISOR = "supervisor"
    TECHNICIAN = "technician"
    TELESELLER = "teleseller"
    ADMIN = "admin"


FIELD_ROLES = frozenset({Role.AGENT, Role.VAN_SELLER, Role.MERCHANDISER})
# Who may be scheduled to work a route by date (ScheduleRouteAgents).
ROUTE_AGENT_ROLES = frozenset({Role.AGENT, Role.VAN_SELLER})


class RouteKind(enum.Enum):
    """What a route is worked by: FIELD, visited (its outlets in visit plans), or PHONE, a
    teleseller's call list (its outlets in call plans). Fixed when the route is made."""

    FIELD = "field"
    PHONE = "phone"


# Who works a route of each kind (its agent): CreateRoute.
ROUTE_ROLES = {RouteKind.FIELD: FIELD_ROLES, RouteKind.PHONE: frozenset({Role.TELESELLER})}
# Who may be scheduled to work a route of each kind by date: ScheduleRouteAgents.
SCHEDULED_ROLES = {
    RouteKind.FIELD: ROUTE_AGENT_ROLES,
    RouteKind.PHONE: frozenset({Role.TELESELLER}),
}


def _role_names(roles: Iterable[Role]) -> str:
    return ", ".join(sorted(r.name for r in roles))


def check_version(expected: int, current: int, what: str, field: str = "expected_version") -> None:
    """`field`: the request's field holding the version the caller saw."""
    if expected <= 0:
        raise InvalidArgument(field, "is required (the version the caller last saw)")
    if expected != current:
        raise Conflict(
            f"{what} was changed by someone else: expected version {expected}, current is {current}"
        )


# ------------------------------------------------------------------------ the ERP's ids
# The ERP's id of a record (a client's, an employee's, a route's `external_id`): at most this
# many characters.
MAX_EXTERNAL_ID = 64


def external_key(field: str, external_id: str) -> str:
    """An external id as stored and matched: required, trimmed, at most MAX_EXTERNAL_ID."""
    return require_text(field, external_id, MAX_EXTERNAL_ID)


def optional_external_key(field: str, external_id: str) -> str:
    """`external_key`, or "" for an empty (or blank) one."""
    return external_key(field, external_id) if (external_id or "").strip() else ""


# --------------------------------------------------------------------------------- clients
# Ids of clients derived from the ERP's ids: uuid5(CLIENT_NAMESPACE, "client:" + external_id),
# a published contract (fieldline_kit.external_ids: the exchange names clients by it).
CLIENT_NAMESPACE = external_ids.CLIENTS


def client_id_for(external_id: str) -> str:
    """The id of the client the ERP knows as `external_id`: the same on every import, so an
    item sent again (a retried or repeated batch) finds or makes the same client."""
    return external_ids.client_id(external_id)


def require_distributor_client(field: str, client_id: str, client_type: ClientType | None) -> str:
    """`client_id`, named as a distributor (an employee's, a questionnaire's, an audit's): a
    client (`client_type` None: none found, NOT_FOUND) of type DISTRIBUTOR (else
    INVALID_ARGUMENT), each naming `field`."""
    if client_type is None:
        raise NotFound("client", client_id, field)
    if client_type is not ClientType.DISTRIBUTOR:
        raise InvalidArgument(field, f"client {client_id} is not a distributor")
    return client_id


@dataclass
class Client:
    id: str
    name: str
    inn: str
    kpp: str
    type: ClientType
    legal_address: str
    version: int
    created_at: datetime
    updated_at: datetime
    # The ERP's id ("" for a client made in Fieldline); set when UpsertClients creates it.
    external_id: str = ""
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)

    FIELDS = ("name", "inn", "kpp", "type", "legal_address")

    @staticmethod
    def validated(
        name: str,
        inn: str,
        kpp: str,
        type_: ClientType | None,
        legal_address: str,
        path: str = "client",
    ) -> dict[str, Any]:
        """The client's FIELDS as stored (trimmed, KPP upper-case), or InvalidArgument naming
        `<path>.<field>`: the one validation of a client's fields, wherever they come from."""
        if type_ is None:
            raise InvalidArgument(f"{path}.type", "is required")
        clean_inn = validate_inn(f"{path}.inn", inn)
        return {
            "name": require_text(f"{path}.name", name),
            "inn": clean_inn,
            "kpp": validate_kpp(f"{path}.kpp", kpp, clean_inn),
            "type": type_,
            "legal_address": limit_text(f"{path}.legal_address", legal_address),
        }

    @staticmethod
    def external_key(field: str, external_id: str) -> str:
        """An external id as stored and matched: required, trimmed, at most MAX_EXTERNAL_ID."""
        return external_key(field, external_id)

    @classmethod
    def create(
        cls,
        id: str,
        name: str,
        inn: str,
        kpp: str,
        type_: ClientType | None,
        legal_address: str,
        now: datetime,
    ) -> Client:
        fields = cls.validated(name, inn, kpp, type_, legal_address)
        return cls._new(require_id("client.id", id), fields, now)

    @classmethod
    def of_external(cls, external_id: str, fields: Mapping[str, Any], now: datetime) -> Client:
        """A new client of the ERP: `fields` as `validated` returns them, `external_id` as
        `external_key` does; its id derived from the external id (`client_id_for`)."""
        return cls._new(client_id_for(external_id), fields, now, external_id)

    @classmethod
    def _new(
        cls, id: str, fields: Mapping[str, Any], now: datetime, external_id: str = ""
    ) -> Client:
        client = cls(
            id=id,
            version=1,
            created_at=now,
            updated_at=now,
            external_id=external_id,
            **fields,
        )
        client.events.append(events.ClientCreated(client.snapshot()))
        return client

    def update(
        self, changes: Mapping[str, Any], mask: Iterable[str], expected_version: int, now: datetime
    ) -> list[str]:
        check_version(expected_version, self.version, f"client {self.id}")
        paths = list(mask) or list(self.FIELDS)
        for path in paths:
            if path not in self.FIELDS:
                raise InvalidArgument("update_mask", f"unknown client field {path[:60]!r}")
        current = {f: getattr(self, f) for f in self.FIELDS}
        wanted = {**current, **{p: changes[p] for p in paths}}
        return self.revise(
            self.validated(
                wanted["name"],
                wanted["inn"],
                wanted["kpp"],
                wanted["type"],
                wanted["legal_address"],
            ),
            now,
        )

    def revise(self, fields: Mapping[str, Any], now: datetime) -> list[str]:
        """Take `fields` (all of FIELDS, as `validated` returns them); the names of those that
        changed. Nothing changed: nothing happens (no version, no event); else the version moves
        and ClientChanged is recorded."""
        changed = [f for f in self.FIELDS if fields[f] != getattr(self, f)]
        if not changed:
            return []
        for f in changed:
            setattr(self, f, fields[f])
        self.version += 1
        self.updated_at = now
        self.events.append(events.ClientChanged(self.snapshot(), tuple(changed)))
        return changed

    def snapshot(self) -> Client:
        return replace(self, events=[])


# ---------------------------------------------------------------------------------- outlets
@dataclass(frozen=True)
class Contact:
    name: str
    role: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class WorkingHours:
    weekday: int
    opens: str
    closes: str


_HHMM = re.compile(r"([0-9]{2}):([0-9]{2})")


def _hhmm(field_name: str, value: str) -> int:
    # A strict pattern: int() alone would also take " 9", "-0", "1_0" and non-ASCII digits.
    match = _HHMM.fullmatch(value)
    if match is None:
        raise InvalidArgument(field_name, f"must be HH:MM, got {value[:10]!r}")
    h, m = int(match[1]), int(match[2])
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        raise InvalidArgument(field_name, f"is not a time of day: {value!r}")
    return h * 60 + m


CARD_FIELDS = (
    "name",
    "address",
    "location",
    "channel",
    "format",
    "outlet_class",
    "contacts",
    "working_hours",
    "custom_attributes",
)


@dataclass(frozen=True)
class OutletCard:
    name: str
    address: str = ""
    location: Location | None = None
    channel: str = ""
    format: str = ""
    outlet_class: str = ""
    contacts: tuple[Contact, ...] = ()
    working_hours: tuple[WorkingHours, ...] = ()
    custom_attributes: Mapping[str, str] = field(default_factory=dict)

    def validated(self, prefix: str = "card") -> OutletCard:
        name = require_text(f"{prefix}.name", self.name)
        address = limit_text(f"{prefix}.address", self.address)
        contacts = tuple(
            Contact(
                require_text(f"{prefix}.contacts[{i}].name", c.name),
                *(
                    limit_text(f"{prefix}.contacts[{i}].{a}", getattr(c, a), MAX_CODE)
                    for a in ("role", "phone", "email")
                ),
            )
            for i, c in enumerate(limit_items(f"{prefix}.contacts", self.contacts, MAX_LIST))
        )
        seen_days: set[int] = set()
        limit_items(f"{prefix}.working_hours", self.working_hours, MAX_LIST)
        for i, wh in enumerate(self.working_hours):
            where = f"{prefix}.working_hours[{i}]"
            if not 1 <= wh.weekday <= 7:
                raise InvalidArgument(
                    f"{where}.weekday", f"must be 1 (Monday) … 7, got {wh.weekday}"
                )
            if wh.weekday in seen_days:
                raise InvalidArgument(f"{where}.weekday", f"day {wh.weekday} is given twice")
            seen_days.add(wh.weekday)
            if _hhmm(f"{where}.opens", wh.opens) >= _hhmm(f"{where}.closes", wh.closes):
                raise InvalidArgument(f"{where}", "opens must be before closes")
        limit_items(f"{prefix}.custom_attributes", self.custom_attributes, MAX_LIST)
        attributes: dict[str, str] = {}
        for key, value in self.custom_attributes.items():
            clean_key = require_text(f"{prefix}.custom_attributes", key, MAX_CODE)
            if clean_key in attributes:
                raise InvalidArgument(
                    f"{prefix}.custom_attributes", f"key {clean_key!r} is given twice"
                )
            attributes[clean_key] = limit_text(
                f"{prefix}.custom_attributes[{clean_key}]", value, MAX_VALUE
            )
        return replace(
            self,
            name=name,
            address=address,
            channel=limit_text(f"{prefix}.channel", self.channel, MAX_CODE),
            format=limit_text(f"{prefix}.format", self.format, MAX_CODE),
            outlet_class=limit_text(f"{prefix}.outlet_class", self.outlet_class, MAX_CODE),
            contacts=contacts,
            custom_attributes=attributes,
        )

    def merged(self, incoming: OutletCard, mask: Iterable[str]) -> OutletCard:
        """This card with the fields named in `mask` taken from `incoming` (all when empty).

        `custom_attributes.<key>` sets one attribute, or deletes it when `incoming` lacks it.
        """
        paths = list(mask) or list(CARD_FIELDS)
        result = self
        attrs = dict(self.custom_attributes)
        for path in paths:
            if path.startswith("custom_attributes."):
                key = path.split(".", 1)[1]
                if key in incoming.custom_attributes:
                    attrs[key] = incoming.custom_attributes[key]
                else:
                    attrs.pop(key, None)
            elif path in CARD_FIELDS:
                if path == "custom_attributes":
                    attrs = dict(incoming.custom_attributes)
                else:
                    result = replace(result, **{path: getattr(incoming, path)})
            else:
                raise InvalidArgument("update_mask", f"unknown card field {path[:60]!r}")
        return replace(result, custom_attributes=attrs)

    def as_plain(self, name: str) -> Any:
        value = getattr(self, name)
        if name == "location":
            return None if value is None else [value.lat, value.lon]
        if name in ("contacts", "working_hours"):
            return [vars(v) for v in value]
        if name == "custom_attributes":
            return dict(sorted(value.items()))
        return value

    def diff(self, other: OutletCard) -> list[FieldChange]:
        changes = []
        for name in CARD_FIELDS:
            old, new = self.as_plain(name), other.as_plain(name)
            if old != new:
                changes.append(FieldChange(name, _json(old), _json(new)))
        return changes


_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)  # one encoder, not one per value


def _json(value: Any) -> str:
    return _JSON.encode(value)


@dataclass(frozen=True)
class FieldChange:
    field: str
    old_value: str
    new_value: str


@dataclass(frozen=True)
class CardChange:
    outlet_id: str
    version: int
    changed_by: str
    changed_at: datetime
    changes: tuple[FieldChange, ...]
    proposal_id: str = ""


_STATUS_MOVES = {
    (OutletStatus.PENDING, OutletStatus.ACTIVE),
    (OutletStatus.PENDING, OutletStatus.REJECTED),
    (OutletStatus.ACTIVE, OutletStatus.CLOSED),
    (OutletStatus.CLOSED, OutletStatus.ACTIVE),
}


@dataclass
class Outlet:
    id: str
    client_id: str
    card: OutletCard
    status: OutletStatus
    territory_id: str
    version: int
    created_at: datetime
    updated_at: datetime
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)
    # Card history entries made in this unit of work, for the repository to append.
    new_history: list[CardChange] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def create(
        cls,
        id: str,
        client_id: str,
        card: OutletCard,
        territory_id: str,
        actor: str,
        now: datetime,
        status: OutletStatus = OutletStatus.ACTIVE,
    ) -> Outlet:
        outlet = cls(
            id=require_id("outlet.id", id),
            client_id=require_id("outlet.client_id", client_id),
            card=card.validated("outlet.card"),
            status=status,
            territory_id=territory_id,
            version=1,
            created_at=now,
            updated_at=now,
        )
        empty = OutletCard(name="")
        outlet.new_history.append(
            CardChange(outlet.id, 1, actor, now, tuple(empty.diff(outlet.card)))
        )
        outlet.events.append(events.OutletCreated(outlet.snapshot()))
        return outlet

    def update_card(
        self,
        incoming: OutletCard,
        mask: Iterable[str],
        expected_version: int,
        actor: str,
        now: datetime,
        proposal_id: str = "",
    ) -> list[FieldChange]:
        check_version(expected_version, self.version, f"outlet {self.id}")
        if self.status is OutletStatus.REJECTED:
            raise FailedPrecondition(f"outlet {self.id} is REJECTED; its card cannot change")
        new_card = self.card.merged(incoming, mask).validated("card")
        changes = self.card.diff(new_card)
        if not changes:
            return []
        self.card = new_card
        self._bump(now)
        self.new_history.append(
            CardChange(self.id, self.version, actor, now, tuple(changes), proposal_id)
        )
        self.events.append(
            events.OutletChanged(self.snapshot(), tuple(c.field for c in changes), actor)
        )
        return changes

    def change_status(
        self, status: OutletStatus, actor: str, now: datetime, expected_version: int | None = None
    ) -> None:
        if expected_version is not None:
            check_version(expected_version, self.version, f"outlet {self.id}")
        if status is self.status:
            return
        if (self.status, status) not in _STATUS_MOVES:
            raise FailedPrecondition(
                f"outlet {self.id} cannot go from {self.status.name} to {status.name}"
            )
        self.status = status
        self._bump(now)
        self.events.append(events.OutletChanged(self.snapshot(), ("status",), actor))

    def _bump(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now

    def snapshot(self) -> Outlet:
        return replace(self, events=[], new_history=[])


# -------------------------------------------------------------------- employees, territory
# E.164: a plus and 7 to 15 digits, the first not 0 (as the exchange's own format writes it).
_PHONE = re.compile(r"\+[1-9][0-9]{6,14}")


def validate_phone(field: str, phone: str) -> str:
    """A phone number as stored: E.164 ("+79161234567"), or "" for none."""
    text = (phone or "").strip()
    if text and not _PHONE.fullmatch(text):
        raise InvalidArgument(field, f"must be E.164: a plus and 7 to 15 digits, got {text[:20]!r}")
    return text


def employee_id_for(external_id: str) -> str:
    """The id of the employee the ERP knows as `external_id` (a published contract:
    fieldline_kit.external_ids), the same on every import."""
    return external_ids.employee_id(external_id)


@dataclass
class Employee:
    id: str
    full_name: str
    roles: frozenset[Role]
    territory_id: str
    supervisor_id: str
    distributor_id: str
    active: bool
    version: int
    # The ERP's id ("" for an employee made in Fieldline); set when UpsertEmployees creates it.
    external_id: str = ""
    phone: str = ""  # E.164, "" when not known
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)

    # What an import of the ERP sets (UpsertEmployees): the rest (the distributor, ADMIN) is
    # Fieldline's own.
    IMPORTED = ("full_name", "roles", "territory_id", "supervisor_id", "active", "phone")

    @staticmethod
    def validate_roles(
        roles: Iterable[Role | None], field: str = "employee.roles"
    ) -> frozenset[Role]:
        clean = limit_items(field, list(roles), MAX_LIST)
        if not clean:
            raise InvalidArgument(field, "at least one role is required")
        if any(r is None for r in clean):
            raise InvalidArgument(field, "ROLE_UNSPECIFIED is not a role")
        return frozenset(r for r in clean if r is not None)

    @classmethod
    def imported_fields(
        cls,
        full_name: str,
        roles: Iterable[Role | None],
        active: bool,
        phone: str,
        path: str,
    ) -> dict[str, Any]:
        """An ERP employee's own fields as stored, or InvalidArgument naming `<path>.<field>`.
        ADMIN is refused: administration is granted in Fieldline only."""
        clean_roles = cls.validate_roles(roles, f"{path}.roles")
        if Role.ADMIN in clean_roles:
            raise InvalidArgument(
                f"{path}.roles", "ROLE_ADMIN is granted in Fieldline only, never by an import"
            )
        return {
            "full_name": require_text(f"{path}.full_name", full_name),
            "roles": clean_roles,
            "active": active,
            "phone": validate_phone(f"{path}.phone", phone),
        }

    @classmethod
    def create(
        cls,
        id: str,
        full_name: str,
        roles: Iterable[Role | None],
        territory_id: str,
        supervisor_id: str,
        distributor_id: str,
        phone: str = "",
    ) -> Employee:
        employee = cls(
            id=require_id("employee.id", id),
            full_name=require_text("employee.full_name", full_name),
            roles=cls.validate_roles(roles),
            territory_id=territory_id,
            supervisor_id=supervisor_id,
            distributor_id=distributor_id,
            active=True,
            version=1,
            phone=validate_phone("employee.phone", phone),
        )
        cls.require_distributor(employee.roles, distributor_id, "employee.distributor_id")
        employee.events.append(events.EmployeeChanged(employee.snapshot()))
        return employee

    @classmethod
    def of_external(cls, external_id: str, fields: Mapping[str, Any]) -> Employee:
        """A new employee of the ERP: `fields` are IMPORTED's (`imported_fields` plus the
        resolved supervisor and territory), `external_id` as `external_key` returns it; its id
        derived from the external id (`employee_id_for`)."""
        employee = cls(
            id=employee_id_for(external_id),
            distributor_id="",
            version=1,
            external_id=external_id,
            **{f: fields[f] for f in cls.IMPORTED},
        )
        employee.events.append(events.EmployeeChanged(employee.snapshot()))
        return employee

    def imported(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """IMPORTED's values this employee takes from an import: `fields`, where an empty
        territory keeps its own and its ADMIN role (Fieldline's) stays."""
        return {
            **fields,
            "roles": fields["roles"] | (self.roles & {Role.ADMIN}),
            "territory_id": fields["territory_id"] or self.territory_id,
        }

    def revise(self, fields: Mapping[str, Any]) -> bool:
        """Take IMPORTED's `fields` (as `imported` gives them); whether anything changed.
        Nothing changed: nothing happens (no version, no event); else the version moves and
        EmployeeChanged is recorded."""
        changed = [f for f in self.IMPORTED if fields[f] != getattr(self, f)]
        if not changed:
            return False
        for f in changed:
            setattr(self, f, fields[f])
        self.version += 1
        self.events.append(events.EmployeeChanged(self.snapshot()))
        return True

    @staticmethod
    def require_distributor(
        roles: frozenset[Role],
        distributor_id: str,
        field: str,
        problem: str = "is required for a distributor manager",
    ) -> None:
        """A distributor manager names the distributor it works for."""
        if Role.DISTRIBUTOR_MANAGER in roles and not distributor_id:
            raise InvalidArgument(field, problem)

    def update(
        self,
        full_name: str,
        roles: Iterable[Role | None],
        territory_id: str,
        supervisor_id: str,
        distributor_id: str,
        active: bool,
        expected_version: int,
        phone: str = "",
    ) -> None:
        """Replace every field (the ERP's external id stays as it is)."""
        check_version(expected_version, self.version, f"employee {self.id}", "employee.version")
        if supervisor_id == self.id:
            raise InvalidArgument(
                "employee.supervisor_id", "an employee cannot supervise themselves"
            )
        clean_roles = self.validate_roles(roles)
        new = {
            "full_name": require_text("employee.full_name", full_name),
            "roles": clean_roles,
            "territory_id": territory_id,
            "supervisor_id": supervisor_id,
            "distributor_id": distributor_id,
            "active": active,
            "phone": validate_phone("employee.phone", phone),
        }
        self.require_distributor(clean_roles, distributor_id, "employee.distributor_id")
        if all(getattr(self, k) == v for k, v in new.items()):
            return
        for k, v in new.items():
            setattr(self, k, v)
        self.version += 1
        self.events.append(events.EmployeeChanged(self.snapshot()))

    def require_role(self, *allowed: Role) -> None:
        if not self.active:
            raise PermissionDenied(f"employee {self.id} is not active")
        if not self.roles.intersection(allowed):
            names = ", ".join(sorted(r.name for r in allowed))
            raise PermissionDenied(f"employee {self.id} needs one of the roles {names}")

    def require_route_agent(
        self, field: str, *, active: bool, kind: RouteKind = RouteKind.FIELD
    ) -> None:
        """May be scheduled to work a route of `kind`: holds AGENT or VAN_SELLER (a FIELD
        route) or TELESELLER (a PHONE route), and (`active`: for a period not over yet) is
        active. InvalidArgument naming `field` otherwise."""
        if not self.roles & SCHEDULED_ROLES[kind]:
            raise InvalidArgument(
                field,
                f"employee {self.id} holds neither ROLE_AGENT nor ROLE_VAN_SELLER"
                if kind is RouteKind.FIELD
                else f"employee {self.id} does not hold ROLE_TELESELLER, which a PHONE route needs",
            )
        if active and not self.active:
            raise InvalidArgument(field, f"employee {self.id} is not active")

    def snapshot(self) -> Employee:
        return replace(self, events=[])


@dataclass(frozen=True)
class Territory:
    """A territory under its parent ("" for a root). Never changed once made: it has no version
    of its own, and its one event (TerritoryChanged, at its creation) is at `version` 1."""

    id: str
    name: str
    parent_id: str = ""
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)

    @property
    def version(self) -> int:
        return 1

    @classmethod
    def create(cls, id: str, name: str, parent_id: str) -> Territory:
        """A territory (the caller has checked that `parent_id`, if any, exists); it records
        TerritoryChanged."""
        territory = cls(
            require_id("territory.id", id), require_text("territory.name", name), parent_id
        )
        territory.events.append(events.TerritoryChanged(replace(territory, events=[])))
        return territory


# ------------------------------------------------------------------------ routes, schedule
class VisitFrequency(enum.Enum):
    WEEKLY = 1
    EVERY_2_WEEKS = 2
    EVERY_4_WEEKS = 4


@dataclass(frozen=True)
class RouteAssignment:
    route_id: str
    outlet_id: str
    frequency: VisitFrequency
    weekdays: tuple[int, ...]
    start_date: date
    sequence: int = 0

    @classmethod
    def of(
        cls,
        route_id: str,
        outlet_id: str,
        frequency: VisitFrequency | None,
        weekdays: Iterable[int],
        start_date: date | None,
        sequence: int,
    ) -> RouteAssignment:
        if frequency is None:
            raise InvalidArgument("assignment.frequency", "is required")
        days = tuple(sorted(set(limit_items("assignment.weekdays", list(weekdays), MAX_LIST))))
        if not days:
            raise InvalidArgument("assignment.weekdays", "at least one weekday (1-7) is required")
        for d in days:
            if not 1 <= d <= 7:
                raise InvalidArgument("assignment.weekdays", f"must be 1 (Monday) … 7, got {d}")
        if start_date is None:
            raise InvalidArgument("assignment.start_date", "is required")
        if sequence < 0:
            raise InvalidArgument("assignment.sequence", "must not be negative")
        return cls(
            require_id("assignment.route_id", route_id),
            require_id("assignment.outlet_id", outlet_id),
            frequency,
            days,
            start_date,
            sequence,
        )

    def is_due(self, day: date) -> bool:
        """Due on `day` when it is a listed weekday of a visiting week on or after the start.

        Weeks are ISO weeks counted from the week containing `start_date`, so an every-2-weeks
        outlet starting on a Wednesday is visited in weeks 0, 2, 4… of that cycle.
        """
        if day < self.start_date or day.isoweekday() not in self.weekdays:
            return False
        start_monday = self.start_date.toordinal() - (self.start_date.isoweekday() - 1)
        day_monday = day.toordinal() - (day.isoweekday() - 1)
        weeks = (day_monday - start_monday) // 7
        return weeks % self.frequency.value == 0


def route_id_for(external_id: str) -> str:
    """The id of the route the ERP knows as `external_id` (a published contract:
    fieldline_kit.external_ids)."""
    return external_ids.route_id(external_id)


@dataclass
class Route:
    id: str
    name: str
    territory_id: str
    agent_id: str
    version: int
    # The ERP's id ("" when none): given at creation only; the id is then derived from it.
    external_id: str = ""
    kind: RouteKind = RouteKind.FIELD  # given at creation only
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)

    @staticmethod
    def identity(id: str, external_id: str) -> tuple[str, str]:
        """A new route's (id, external id): with an external id, the id derived from it
        (`route_id_for`; an id given must be that one); without, the id given (required)."""
        key = optional_external_key("route.external_id", external_id)
        if not key:
            return require_id("route.id", id), ""
        derived = route_id_for(key)
        if id and require_id("route.id", id) != derived:
            raise InvalidArgument(
                "route.id",
                f"a route with an external id has the id derived from it ({derived}); "
                "give that one or none",
            )
        return derived, key

    @classmethod
    def create(
        cls,
        id: str,
        name: str,
        territory_id: str,
        agent: Employee,
        external_id: str = "",
        kind: RouteKind | None = None,
    ) -> Route:
        """`id` and `external_id` as `identity` returns them; `kind` None is FIELD. The agent
        holds a role of the kind (`ROUTE_ROLES`: else FailedPrecondition naming
        `route.agent_id`) and is active (else PermissionDenied, as `require_role`)."""
        kind = kind or RouteKind.FIELD
        wanted = ROUTE_ROLES[kind]
        if not agent.roles & wanted:
            raise FailedPrecondition(
                f"route.agent_id: employee {agent.id} needs one of the roles "
                f"{_role_names(wanted)} to work a {kind.name} route"
            )
        agent.require_role(*wanted)
        route = cls(
            id=require_id("route.id", id),
            name=require_text("route.name", name),
            territory_id=territory_id,
            agent_id=agent.id,
            version=1,
            external_id=external_id,
            kind=kind,
        )
        route.events.append(events.RouteChanged(route.snapshot()))
        return route

    def hand_over(self, agent_id: str) -> bool:
        """The route worked by `agent_id` from now on (a dated period in force: the caller has
        judged the employee); whether its agent changed (then RouteChanged, version moved)."""
        if agent_id == self.agent_id:
            return False
        previous, self.agent_id = self.agent_id, agent_id
        self.version += 1
        self.events.append(events.RouteChanged(self.snapshot(), previous))
        return True

    def assignment_changed(self, assignment: RouteAssignment, removed: bool = False) -> None:
        """Record a change of one of the route's assignments (serialised by the route version)."""
        self.version += 1
        self.events.append(events.RouteAssignmentChanged(self.snapshot(), assignment, removed))

    def snapshot(self) -> Route:
        return replace(self, events=[])


@dataclass(frozen=True)
class RouteAgentPeriod:
    """Who works a route from `valid_from` to `valid_to` (inclusive; None: open-ended). One
    per route and start day: a period with the same two replaces it."""

    route_id: str
    employee_id: str
    valid_from: date
    valid_to: date | None = None

    @classmethod
    def of(
        cls,
        route_id: str,
        employee_id: str,
        valid_from: date | None,
        valid_to: date | None,
        path: str = "period",
    ) -> RouteAgentPeriod:
        if valid_from is None:
            raise InvalidArgument(f"{path}.valid_from", "is required")
        if valid_to is not None and valid_to < valid_from:
            raise InvalidArgument(
                f"{path}.valid_to", f"{valid_to} is before valid_from {valid_from}"
            )
        return cls(route_id, employee_id, valid_from, valid_to)

    @property
    def key(self) -> tuple[str, date]:
        return self.route_id, self.valid_from

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def over_before(self, day: date) -> bool:
        """Ended before `day` (history: it can never be in force again)."""
        return self.valid_to is not None and self.valid_to < day


def period_in_force(periods: Iterable[RouteAgentPeriod], day: date) -> RouteAgentPeriod | None:
    """The period in force on `day`: of those covering it, the one that started last (a later
    start wins over an overlapping earlier period from its start day, and the earlier one is
    back once the later ends). None: none covers it, and the route keeps its agent."""
    return max((p for p in periods if p.covers(day)), key=lambda p: p.valid_from, default=None)


__all__ = [
    "CardChange",
    "Client",
    "ClientType",
    "Contact",
    "Employee",
    "FieldChange",
    "Outlet",
    "OutletCard",
    "OutletStatus",
    "Role",
    "Route",
    "RouteAgentPeriod",
    "RouteAssignment",
    "RouteKind",
    "Territory",
    "VisitFrequency",
    "WorkingHours",
]
