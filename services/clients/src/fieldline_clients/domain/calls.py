"""Telesales: a teleseller's calls, and its call plan of a day (docs/contexts/sales-gaps.md 3.2).

A teleseller works routes of kind PHONE (its call lists); their assignments are the outlets'
calling schedules, judged by the visiting rule (`RouteAssignment.is_due`, its only place). A
call is recorded once it happened and never changes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo

from fieldline_clients.domain import events
from fieldline_clients.domain.fieldwork import device_time
from fieldline_clients.domain.model import Employee, Outlet, OutletStatus, Role, RouteAssignment
from fieldline_clients.domain.values import MAX_REASON, limit_text, require_id, require_text
from fieldline_kit.errors import InvalidArgument, PermissionDenied


class CallOutcome(enum.Enum):
    ORDERED = "ordered"
    NO_ANSWER = "no_answer"
    CALL_BACK = "call_back"
    REFUSED = "refused"


# How far after the call a call-back may be asked for.
MAX_CALL_BACK = timedelta(days=30)


def local_date(moment: datetime, zone: tzinfo) -> date:
    """The company's date (`zone`: CLIENTS_TIMEZONE) of a moment."""
    return moment.astimezone(zone).date()


@dataclass
class Call:
    id: str
    teleseller_id: str
    outlet_id: str
    day: date  # the business day
    started_at: datetime  # device times
    ended_at: datetime | None
    outcome: CallOutcome
    call_back_at: datetime | None  # CALL_BACK only
    reason: str
    notes: str
    recorded_at: datetime  # the server's time of recording
    version: int = 1
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)

    # What makes two recordings of one call the same call (not the server's time).
    CONTENT = (
        "teleseller_id",
        "outlet_id",
        "day",
        "started_at",
        "ended_at",
        "outcome",
        "call_back_at",
        "reason",
        "notes",
    )

    @classmethod
    def drafted(
        cls,
        id: str,
        teleseller_id: str,
        outlet_id: str,
        day: date | None,
        started_at: datetime | None,
        ended_at: datetime | None,
        outcome: CallOutcome | None,
        call_back_at: datetime | None,
        reason: str,
        notes: str,
        now: datetime,
        zone: tzinfo,
    ) -> Call:
        """A call as asked, its form judged (errors name `call.<field>`), nothing else: who
        calls and which outlet are `record`'s. `now`: the server's time; `zone`: the company's
        (the day of `started_at` when `day` is None)."""
        started = device_time("call.started_at", started_at, now)
        if started is None:
            raise InvalidArgument("call.started_at", "is required")
        ended = device_time("call.ended_at", ended_at, now)
        if ended is not None and ended < started:
            raise InvalidArgument("call.ended_at", "is before started_at")
        if outcome is None:
            raise InvalidArgument("call.outcome", "is required")
        if outcome is CallOutcome.CALL_BACK:
            if call_back_at is None:
                raise InvalidArgument("call.call_back_at", "is required for a CALL_BACK")
            if call_back_at <= started:
                raise InvalidArgument("call.call_back_at", "must be after started_at")
            if call_back_at - started > MAX_CALL_BACK:
                raise InvalidArgument(
                    "call.call_back_at",
                    f"is more than {MAX_CALL_BACK.days} days after started_at",
                )
        elif call_back_at is not None:
            raise InvalidArgument("call.call_back_at", "only a CALL_BACK has one")
        if outcome is CallOutcome.REFUSED:
            clean_reason = require_text("call.reason", reason, MAX_REASON)
        else:
            clean_reason = limit_text("call.reason", reason, MAX_REASON)
        if day is None:
            try:
                day = local_date(started, zone)
            except OverflowError:  # a time at the very edge of the calendar
                problem = "is not a time of a calendar day"
                raise InvalidArgument("call.started_at", problem) from None
        return cls(
            id=require_id("call.id", id),
            teleseller_id=teleseller_id,
            outlet_id=require_id("call.outlet_id", outlet_id),
            day=day,
            started_at=started,
            ended_at=ended,
            outcome=outcome,
            call_back_at=call_back_at,
            reason=clean_reason,
            notes=limit_text("call.notes", notes),
            recorded_at=now,
        )

    def same_call(self, other: Call) -> bool:
        """Whether `other` records this very call (a retry): the same CONTENT."""
        return all(getattr(self, f) == getattr(other, f) for f in self.CONTENT)

    def record(self, teleseller: Employee, outlet: Outlet | None, on_phone_route: bool) -> None:
        """Record this drafted call of `teleseller` (CallRecorded): it holds TELESELLER and is
        active (else PermissionDenied); `outlet` (None: there is none with the call's id) is
        ACTIVE and, `on_phone_route`, on a PHONE route the teleseller works (else
        PermissionDenied naming `call.outlet_id`)."""
        teleseller.require_role(Role.TELESELLER)
        self.teleseller_id = teleseller.id
        if outlet is None or not on_phone_route:
            raise PermissionDenied(
                f"call.outlet_id: outlet {self.outlet_id} is not on a PHONE route of "
                f"teleseller {teleseller.id}"
            )
        if outlet.status is not OutletStatus.ACTIVE:
            raise PermissionDenied(
                f"call.outlet_id: outlet {outlet.id} is {outlet.status.name}; only ACTIVE "
                "outlets are called"
            )
        self.events.append(events.CallRecorded(self.snapshot()))

    def snapshot(self) -> Call:
        return replace(self, events=[])


def call_order(call: Call) -> tuple[date, datetime, str]:
    """Calls in the order they happened: by business day, start time, then id."""
    return call.day, call.started_at, call.id


# ------------------------------------------------------------------------- the call plan
class CallState(enum.Enum):
    OPEN = "open"  # still to be called that day
    DONE = "done"


def state_of(calls: Iterable[Call], day: date, zone: tzinfo) -> CallState:
    """Whether an outlet listed on `day` is done, from its calls of that day: by the latest,
    ORDERED, REFUSED, or a CALL_BACK to a later day: DONE; none, NO_ANSWER, or a CALL_BACK
    later the same day: OPEN."""
    latest = max(calls, key=call_order, default=None)
    if latest is None or latest.outcome is CallOutcome.NO_ANSWER:
        return CallState.OPEN
    if latest.outcome is CallOutcome.CALL_BACK:
        assert latest.call_back_at is not None
        later_day = local_date(latest.call_back_at, zone) > day
        return CallState.DONE if later_day else CallState.OPEN
    return CallState.DONE


@dataclass(frozen=True)
class ListedOutlet:
    """An outlet of the teleseller's PHONE routes, as the plan reads it: one assignment (an
    outlet on two routes comes twice) and whether the outlet is ACTIVE."""

    assignment: RouteAssignment
    active: bool


@dataclass(frozen=True)
class PlannedCall:
    outlet_id: str
    route_id: str
    sequence: int
    scheduled: bool  # due that day on the route
    call_back_of: Call | None  # the earlier call asking to be called back that day
    state: CallState
    calls: tuple[Call, ...]  # that day's, in order


@dataclass(frozen=True)
class Completion:
    listed: int
    done: int
    # Listed outlets by the outcome of their latest call of the day (None: not called).
    by_outcome: Mapping[CallOutcome | None, int]


@dataclass(frozen=True)
class CallPlan:
    day: date
    planned: tuple[PlannedCall, ...]  # by sequence, then outlet id
    completion: Completion
    unplanned: tuple[Call, ...]  # that day's calls to outlets not listed, in order


def call_plan(
    day: date,
    zone: tzinfo,
    outlets: Iterable[ListedOutlet],
    earlier: Iterable[Call],
    of_the_day: Iterable[Call],
) -> CallPlan:
    """The call plan of a teleseller on `day`.

    `outlets`: the outlets of its PHONE routes; `earlier`: its calls before `day` of the outlets
    that may have asked for a call-back that day (at least every outlet's latest such call);
    `of_the_day`: its calls of `day`. Listed: the ACTIVE outlets due that day on one of the
    routes (`is_due`), and those whose latest call before `day` is a CALL_BACK dated `day`
    (in `zone`). An outlet on several routes is listed once, with the route that has it due
    (else any), the smallest sequence first.
    """
    latest: dict[str, Call] = {}
    for call in earlier:
        if call.day < day and (
            call.outlet_id not in latest or call_order(call) > call_order(latest[call.outlet_id])
        ):
            latest[call.outlet_id] = call
    call_backs = {
        outlet_id: call
        for outlet_id, call in latest.items()
        if call.outcome is CallOutcome.CALL_BACK
        and call.call_back_at is not None
        and local_date(call.call_back_at, zone) == day
    }
    best: dict[str, tuple[tuple[bool, int, str], bool, RouteAssignment]] = {}
    for listed in outlets:
        a = listed.assignment
        if not listed.active:
            continue
        due = a.is_due(day)
        if not due and a.outlet_id not in call_backs:
            continue
        key = (not due, a.sequence, a.route_id)  # a route having it due first
        if a.outlet_id not in best or key < best[a.outlet_id][0]:
            best[a.outlet_id] = (key, due, a)
    by_outlet: dict[str, list[Call]] = {}
    for call in of_the_day:
        by_outlet.setdefault(call.outlet_id, []).append(call)
    planned = []
    counts: dict[CallOutcome | None, int] = {None: 0, **{o: 0 for o in CallOutcome}}
    for outlet_id, (_, due, a) in sorted(best.items(), key=lambda i: (i[1][2].sequence, i[0])):
        calls = tuple(sorted(by_outlet.pop(outlet_id, []), key=call_order))
        state = state_of(calls, day, zone)
        counts[calls[-1].outcome if calls else None] += 1
        planned.append(
            PlannedCall(
                outlet_id, a.route_id, a.sequence, due, call_backs.get(outlet_id), state, calls
            )
        )
    done = sum(1 for p in planned if p.state is CallState.DONE)
    unplanned = tuple(sorted((c for cs in by_outlet.values() for c in cs), key=call_order))
    return CallPlan(day, tuple(planned), Completion(len(planned), done, counts), unplanned)
