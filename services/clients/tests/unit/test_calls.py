"""Telesales: routes of kind PHONE, a teleseller's calls and its call plan of a day."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fieldline_clients.domain import events
from fieldline_clients.domain.calls import (
    MAX_CALL_BACK,
    Call,
    CallOutcome,
    CallState,
    ListedOutlet,
    call_plan,
    state_of,
)
from fieldline_clients.domain.model import (
    FIELD_ROLES,
    Employee,
    Outlet,
    OutletStatus,
    Role,
    Route,
    RouteAssignment,
    RouteKind,
    VisitFrequency,
)
from fieldline_clients.domain.values import MAX_REASON, MAX_TEXT
from fieldline_kit.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from fieldline_kit.testing.helpers import new_id

MOSCOW = ZoneInfo("Europe/Moscow")  # UTC+3 all year
NOW = datetime(2026, 11, 4, 9, 0, tzinfo=UTC)  # Wednesday 12:00 in Moscow
DAY = date(2026, 11, 4)
MONDAY = date(2026, 11, 2)


def draft(**overrides: Any) -> Call:
    """A NO_ANSWER call started an hour before NOW (overrides: `Call.drafted`'s arguments)."""
    args: dict[str, Any] = {
        "id": new_id(),
        "teleseller_id": "t-1",
        "outlet_id": new_id(),
        "day": None,
        "started_at": NOW - timedelta(hours=1),
        "ended_at": None,
        "outcome": CallOutcome.NO_ANSWER,
        "call_back_at": None,
        "reason": "",
        "notes": "",
        "now": NOW,
        "zone": MOSCOW,
    }
    args.update(overrides)
    return Call.drafted(**args)


def refused(field: str, **overrides: Any) -> InvalidArgument:
    with pytest.raises(InvalidArgument) as err:
        draft(**overrides)
    assert err.value.field == field
    return err.value


# ------------------------------------------------------------------------------- routes
class TestRouteKind:
    def test_a_route_is_field_unless_made_phone(self, agent: Employee) -> None:
        assert Route.create(new_id(), "R", "", agent).kind is RouteKind.FIELD
        assert Route.create(new_id(), "R", "", agent, kind=None).kind is RouteKind.FIELD

    def test_a_phone_route_is_a_telesellers_and_its_event_says_so(
        self, make_employee: Callable[..., Employee]
    ) -> None:
        teleseller = make_employee(Role.TELESELLER)
        route = Route.create(new_id(), "Обзвон", "", teleseller, kind=RouteKind.PHONE)
        assert (route.kind, route.agent_id) == (RouteKind.PHONE, teleseller.id)
        [event] = route.events
        assert isinstance(event, events.RouteChanged) and event.route.kind is RouteKind.PHONE

    @pytest.mark.parametrize("role", sorted(set(Role) - {Role.TELESELLER}, key=lambda r: r.name))
    def test_a_phone_route_for_anyone_but_a_teleseller_is_a_failed_precondition(
        self, make_employee: Callable[..., Employee], role: Role
    ) -> None:
        employee = make_employee(role)
        with pytest.raises(FailedPrecondition) as err:
            Route.create(new_id(), "Обзвон", "", employee, kind=RouteKind.PHONE)
        assert err.value.message.startswith("route.agent_id: ")
        assert "TELESELLER" in err.value.message and "PHONE" in err.value.message

    def test_a_field_route_for_a_teleseller_is_a_failed_precondition(
        self, make_employee: Callable[..., Employee]
    ) -> None:
        with pytest.raises(FailedPrecondition) as err:
            Route.create(new_id(), "R", "", make_employee(Role.TELESELLER), kind=RouteKind.FIELD)
        assert err.value.message.startswith("route.agent_id: ")

    def test_an_inactive_teleseller_is_refused_as_an_inactive_agent_is(
        self, make_employee: Callable[..., Employee]
    ) -> None:
        with pytest.raises(PermissionDenied, match="not active"):
            Route.create(
                new_id(), "R", "", make_employee(Role.TELESELLER, active=False), "", RouteKind.PHONE
            )

    def test_who_may_be_scheduled_depends_on_the_kind(
        self, make_employee: Callable[..., Employee]
    ) -> None:
        teleseller, agent = make_employee(Role.TELESELLER), make_employee(Role.AGENT)
        teleseller.require_route_agent("p.employee_id", active=True, kind=RouteKind.PHONE)
        agent.require_route_agent("p.employee_id", active=True, kind=RouteKind.FIELD)
        for employee, kind in ((agent, RouteKind.PHONE), (teleseller, RouteKind.FIELD)):
            with pytest.raises(InvalidArgument) as err:
                employee.require_route_agent("p.employee_id", active=True, kind=kind)
            assert err.value.field == "p.employee_id"
        both = make_employee(Role.AGENT, Role.TELESELLER)
        for kind in RouteKind:
            both.require_route_agent("p.employee_id", active=True, kind=kind)

    def test_the_field_roles_are_not_the_telesellers(self) -> None:
        assert Role.TELESELLER not in FIELD_ROLES


# -------------------------------------------------------------------------- the call form
class TestCallForm:
    def test_the_day_is_the_companys_date_of_the_start_unless_given(self) -> None:
        late = datetime(2026, 11, 3, 22, 30, tzinfo=UTC)  # 01:30 on the 4th in Moscow
        assert draft(started_at=late).day == DAY
        assert draft(started_at=late, day=date(2026, 11, 3)).day == date(2026, 11, 3)

    def test_a_call_keeps_what_it_was_given(self) -> None:
        started = NOW - timedelta(minutes=10)
        call = draft(
            id=str(new_id()).upper(),
            started_at=started,
            ended_at=started + timedelta(minutes=3),
            outcome=CallOutcome.REFUSED,
            reason="  дорого ",
            notes=" перезвонить в декабре ",
        )
        assert call.id == call.id.lower()
        assert (call.started_at, call.ended_at) == (started, started + timedelta(minutes=3))
        assert (call.reason, call.notes) == ("дорого", "перезвонить в декабре")
        assert call.recorded_at == NOW and call.version == 1 and call.events == []

    def test_the_start_is_required_and_the_outcome_too(self) -> None:
        refused("call.started_at", started_at=None)
        refused("call.outcome", outcome=None)
        refused("call.id", id="not-a-uuid")
        refused("call.outlet_id", outlet_id="")

    def test_device_times_at_most_60_minutes_ahead_of_the_server(self) -> None:
        draft(started_at=NOW + timedelta(minutes=60))
        refused("call.started_at", started_at=NOW + timedelta(minutes=61))
        draft(ended_at=NOW + timedelta(minutes=60))
        refused("call.ended_at", ended_at=NOW + timedelta(minutes=61))
        refused("call.started_at", started_at=datetime(2026, 11, 4, 9, 0))  # no time zone

    def test_the_end_is_not_before_the_start(self) -> None:
        start = NOW - timedelta(hours=1)
        draft(started_at=start, ended_at=start)
        refused("call.ended_at", started_at=start, ended_at=start - timedelta(seconds=1))

    def test_a_call_back_needs_a_time_after_the_start_within_30_days(self) -> None:
        start = NOW - timedelta(hours=1)
        back = CallOutcome.CALL_BACK
        refused("call.call_back_at", outcome=back, started_at=start)
        refused("call.call_back_at", outcome=back, started_at=start, call_back_at=start)
        draft(outcome=back, started_at=start, call_back_at=start + timedelta(seconds=1))
        draft(outcome=back, started_at=start, call_back_at=start + MAX_CALL_BACK)
        error = refused(
            "call.call_back_at",
            outcome=back,
            started_at=start,
            call_back_at=start + MAX_CALL_BACK + timedelta(seconds=1),
        )
        assert "30 days" in error.message

    @pytest.mark.parametrize(
        "outcome", [CallOutcome.ORDERED, CallOutcome.NO_ANSWER, CallOutcome.REFUSED]
    )
    def test_only_a_call_back_has_a_call_back_time(self, outcome: CallOutcome) -> None:
        refused(
            "call.call_back_at", outcome=outcome, reason="нет", call_back_at=NOW + timedelta(days=1)
        )

    def test_a_refusal_needs_a_reason_and_texts_are_bounded(self) -> None:
        refused("call.reason", outcome=CallOutcome.REFUSED)
        refused("call.reason", outcome=CallOutcome.REFUSED, reason="   ")
        draft(outcome=CallOutcome.REFUSED, reason="x" * MAX_REASON)
        refused("call.reason", outcome=CallOutcome.REFUSED, reason="x" * (MAX_REASON + 1))
        refused("call.reason", reason="x" * (MAX_REASON + 1))
        draft(notes="x" * MAX_TEXT)
        refused("call.notes", notes="x" * (MAX_TEXT + 1))

    def test_the_same_call_is_the_same_content_whenever_recorded(self) -> None:
        call = draft(notes="a")
        again = replace(call, recorded_at=NOW + timedelta(hours=2))
        assert call.same_call(again)
        for change in (
            {"notes": "b"},
            {"outcome": CallOutcome.ORDERED},
            {"teleseller_id": "t-2"},
            {"outlet_id": new_id()},
            {"day": DAY + timedelta(days=1)},
            {"started_at": call.started_at + timedelta(seconds=1)},
        ):
            assert not call.same_call(replace(call, **change)), change


# ---------------------------------------------------------------------------- recording
class TestRecord:
    def test_a_teleseller_records_its_call_to_an_active_outlet_of_its_call_lists(
        self, make_employee: Callable[..., Employee], outlet: Outlet
    ) -> None:
        teleseller = make_employee(Role.TELESELLER)
        call = draft(outlet_id=outlet.id, teleseller_id=teleseller.id)
        call.record(teleseller, outlet, on_phone_route=True)
        [event] = call.events
        assert isinstance(event, events.CallRecorded)
        assert event.call == call and event.call.events == []

    @pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR, Role.ADMIN])
    def test_only_a_teleseller_calls(
        self, make_employee: Callable[..., Employee], outlet: Outlet, role: Role
    ) -> None:
        employee = make_employee(role)
        with pytest.raises(PermissionDenied, match="TELESELLER"):
            draft(outlet_id=outlet.id).record(employee, outlet, on_phone_route=True)

    def test_an_inactive_teleseller_is_refused(
        self, make_employee: Callable[..., Employee], outlet: Outlet
    ) -> None:
        teleseller = make_employee(Role.TELESELLER, active=False)
        with pytest.raises(PermissionDenied, match="not active"):
            draft(outlet_id=outlet.id).record(teleseller, outlet, on_phone_route=True)

    def test_an_outlet_off_its_phone_routes_or_unknown_is_denied_naming_the_outlet(
        self, make_employee: Callable[..., Employee], outlet: Outlet
    ) -> None:
        teleseller = make_employee(Role.TELESELLER)
        for found, on_route in ((outlet, False), (None, False), (None, True)):
            call = draft(outlet_id=outlet.id)
            with pytest.raises(PermissionDenied) as err:
                call.record(teleseller, found, on_phone_route=on_route)
            assert err.value.message.startswith("call.outlet_id: ")
            assert call.events == []

    @pytest.mark.parametrize("status", [OutletStatus.CLOSED, OutletStatus.PENDING])
    def test_only_active_outlets_are_called(
        self,
        make_employee: Callable[..., Employee],
        make_outlet: Callable[..., Outlet],
        status: OutletStatus,
    ) -> None:
        teleseller, shut = make_employee(Role.TELESELLER), make_outlet(status=status)
        with pytest.raises(PermissionDenied) as err:
            draft(outlet_id=shut.id).record(teleseller, shut, on_phone_route=True)
        assert err.value.message.startswith("call.outlet_id: ") and status.name in (
            err.value.message
        )


# --------------------------------------------------------------------------- the plan
def call(
    outlet_id: str,
    outcome: CallOutcome,
    at: datetime,
    call_back_at: datetime | None = None,
    day: date | None = None,
) -> Call:
    return draft(
        outlet_id=outlet_id,
        outcome=outcome,
        started_at=at,
        call_back_at=call_back_at,
        reason="нет" if outcome is CallOutcome.REFUSED else "",
        day=day,
        now=at + timedelta(hours=1),
    )


def moscow(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=MOSCOW)


class TestState:
    """The table of 3.2: the latest call of the day decides."""

    @pytest.mark.parametrize(
        ("outcome", "call_back_at", "state"),
        [
            (CallOutcome.NO_ANSWER, None, CallState.OPEN),
            (CallOutcome.CALL_BACK, moscow(DAY, 23, 59), CallState.OPEN),  # later the same day
            (CallOutcome.CALL_BACK, moscow(DAY + timedelta(days=1), 0, 0), CallState.DONE),
            (CallOutcome.ORDERED, None, CallState.DONE),
            (CallOutcome.REFUSED, None, CallState.DONE),
        ],
    )
    def test_the_latest_call_of_the_day_decides(
        self, outcome: CallOutcome, call_back_at: datetime | None, state: CallState
    ) -> None:
        o = new_id()
        earlier = call(o, CallOutcome.ORDERED, moscow(DAY, 9))
        latest = call(o, outcome, moscow(DAY, 10), call_back_at)
        assert state_of([latest, earlier], DAY, MOSCOW) is state
        assert state_of([], DAY, MOSCOW) is CallState.OPEN

    def test_the_days_boundary_is_the_companys(self) -> None:
        # 21:30 UTC on the 4th is 00:30 on the 5th in Moscow: a later day.
        later = call(
            new_id(),
            CallOutcome.CALL_BACK,
            moscow(DAY, 10),
            datetime(2026, 11, 4, 21, 30, tzinfo=UTC),
        )
        assert state_of([later], DAY, MOSCOW) is CallState.DONE
        assert state_of([later], DAY, UTC) is CallState.OPEN


def weekly(
    route_id: str, outlet_id: str, weekdays: list[int], sequence: int = 0
) -> RouteAssignment:
    return RouteAssignment.of(
        route_id, outlet_id, VisitFrequency.WEEKLY, weekdays, MONDAY, sequence
    )


class TestCallPlan:
    def test_due_outlets_in_order_with_their_calls_states_and_completion(self) -> None:
        route = new_id()
        a, b, c, d, off, closed = (new_id() for _ in range(6))
        outlets = [
            ListedOutlet(weekly(route, b, [3], 2), True),
            ListedOutlet(weekly(route, a, [3], 1), True),
            ListedOutlet(weekly(route, c, [3], 3), True),
            ListedOutlet(weekly(route, d, [3], 4), True),
            ListedOutlet(weekly(route, off, [1], 0), True),  # Mondays only
            ListedOutlet(weekly(route, closed, [3], 0), False),
        ]
        today = [
            call(a, CallOutcome.NO_ANSWER, moscow(DAY, 9)),
            call(a, CallOutcome.ORDERED, moscow(DAY, 11)),
            call(b, CallOutcome.NO_ANSWER, moscow(DAY, 9, 30)),
            call(c, CallOutcome.CALL_BACK, moscow(DAY, 10), moscow(DAY, 16)),
            call(off, CallOutcome.REFUSED, moscow(DAY, 12)),  # not listed today
        ]
        plan = call_plan(DAY, MOSCOW, outlets, [], today)
        assert [p.outlet_id for p in plan.planned] == [a, b, c, d]
        assert [p.state for p in plan.planned] == [
            CallState.DONE,
            CallState.OPEN,
            CallState.OPEN,
            CallState.OPEN,
        ]
        first = plan.planned[0]
        assert (first.route_id, first.sequence, first.scheduled) == (route, 1, True)
        assert [x.outcome for x in first.calls] == [CallOutcome.NO_ANSWER, CallOutcome.ORDERED]
        assert first.call_back_of is None
        assert [x.outlet_id for x in plan.unplanned] == [off]
        completion = plan.completion
        assert (completion.listed, completion.done) == (4, 1)
        assert dict(completion.by_outcome) == {
            None: 1,
            CallOutcome.ORDERED: 1,
            CallOutcome.NO_ANSWER: 1,
            CallOutcome.CALL_BACK: 1,
            CallOutcome.REFUSED: 0,
        }

    def test_an_outlet_asking_for_a_call_back_that_day_is_listed_though_not_due(self) -> None:
        route = new_id()
        asked, moved_on, other_day = new_id(), new_id(), new_id()
        outlets = [
            ListedOutlet(weekly(route, o, [1], 5), True) for o in (asked, moved_on, other_day)
        ]
        monday = MONDAY
        request = call(asked, CallOutcome.CALL_BACK, moscow(monday, 10), moscow(DAY, 15))
        earlier = [
            call(asked, CallOutcome.NO_ANSWER, moscow(monday, 9)),
            request,
            # asked too, but called again the next day and ordered: nothing left to call back
            call(moved_on, CallOutcome.CALL_BACK, moscow(monday, 10), moscow(DAY, 15)),
            call(moved_on, CallOutcome.ORDERED, moscow(monday + timedelta(days=1), 10)),
            call(
                other_day,
                CallOutcome.CALL_BACK,
                moscow(monday, 10),
                moscow(DAY, 23, 59) + timedelta(minutes=1),
            ),
            # a call of that very day is not an earlier one
            call(moved_on, CallOutcome.CALL_BACK, moscow(DAY, 8), moscow(DAY, 9), day=DAY),
        ]
        plan = call_plan(DAY, MOSCOW, outlets, earlier, [])
        [listed] = plan.planned
        assert listed.outlet_id == asked and not listed.scheduled
        assert listed.call_back_of == request and listed.state is CallState.OPEN
        assert (listed.route_id, listed.sequence) == (route, 5)

    def test_an_outlet_on_two_routes_is_listed_once_with_the_route_having_it_due(self) -> None:
        r1, r2, o = new_id(), new_id(), new_id()
        outlets = [
            ListedOutlet(weekly(r1, o, [1], 0), True),  # not due on Wednesday
            ListedOutlet(weekly(r2, o, [3], 7), True),
        ]
        [listed] = call_plan(DAY, MOSCOW, outlets, [], []).planned
        assert (listed.route_id, listed.sequence, listed.scheduled) == (r2, 7, True)

    def test_the_visiting_rule_decides_what_is_due(self) -> None:
        every_2 = RouteAssignment(
            "r", "o", VisitFrequency.EVERY_2_WEEKS, (3,), MONDAY, 0
        )  # Wednesday of the start week, then every other week
        outlets = [ListedOutlet(every_2, True)]
        assert [p.outlet_id for p in call_plan(DAY, MOSCOW, outlets, [], []).planned] == ["o"]
        next_week = DAY + timedelta(days=7)
        assert call_plan(next_week, MOSCOW, outlets, [], []).planned == ()

    def test_an_empty_plan_is_complete_by_nothing(self) -> None:
        plan = call_plan(DAY, MOSCOW, [], [], [])
        assert (plan.planned, plan.unplanned) == ((), ())
        assert (plan.completion.listed, plan.completion.done) == (0, 0)
