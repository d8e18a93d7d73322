"""Employees and roles, routes, and route assignments with their visiting schedule."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldline_clients.domain import events
from fieldline_clients.domain.model import (
    FIELD_ROLES,
    Employee,
    Role,
    Route,
    RouteAgentPeriod,
    RouteAssignment,
    VisitFrequency,
    employee_id_for,
    period_in_force,
    route_id_for,
    validate_phone,
)
from fieldline_kit.errors import Conflict, FailedPrecondition, InvalidArgument, PermissionDenied
from fieldline_kit.testing.helpers import new_id


def make_employee(**overrides: Any) -> Employee:
    args: dict[str, Any] = {
        "id": new_id(),
        "full_name": "Иван Петров",
        "roles": [Role.AGENT],
        "territory_id": "",
        "supervisor_id": "",
        "distributor_id": "",
    }
    args.update(overrides)
    return Employee.create(**args)


def update_args(employee: Employee, **overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "full_name": employee.full_name,
        "roles": list(employee.roles),
        "territory_id": employee.territory_id,
        "supervisor_id": employee.supervisor_id,
        "distributor_id": employee.distributor_id,
        "active": employee.active,
        "expected_version": employee.version,
    }
    args.update(overrides)
    return args


# ------------------------------------------------------------------------------- employees
class TestEmployeeCreate:
    def test_create(self) -> None:
        raw = uuid.uuid4()
        territory, boss = new_id(), new_id()
        employee = make_employee(
            id=str(raw).upper(),
            full_name=" Иван Петров ",
            roles=[Role.AGENT, Role.MERCHANDISER, Role.AGENT],
            territory_id=territory,
            supervisor_id=boss,
        )
        assert employee.id == str(raw)
        assert employee.full_name == "Иван Петров"
        assert employee.roles == frozenset({Role.AGENT, Role.MERCHANDISER})
        assert (employee.territory_id, employee.supervisor_id) == (territory, boss)
        assert employee.active is True
        assert employee.version == 1
        [event] = employee.events
        assert isinstance(event, events.EmployeeChanged)
        assert event.employee == employee
        assert event.employee.events == []

    def test_roles_are_required(self) -> None:
        with pytest.raises(InvalidArgument) as err:
            make_employee(roles=[])
        assert err.value.field == "employee.roles"

    def test_unspecified_role_is_rejected(self) -> None:
        with pytest.raises(InvalidArgument) as err:
            make_employee(roles=[Role.AGENT, None])
        assert err.value.field == "employee.roles"
        assert "ROLE_UNSPECIFIED" in err.value.problem

    def test_roles_may_be_any_iterable(self) -> None:
        assert make_employee(roles=iter([Role.SUPERVISOR])).roles == {Role.SUPERVISOR}

    @pytest.mark.parametrize("name", ["", "  ", "x" * 301])
    def test_full_name(self, name: str) -> None:
        with pytest.raises(InvalidArgument) as err:
            make_employee(full_name=name)
        assert err.value.field == "employee.full_name"

    def test_id_must_be_a_uuid(self) -> None:
        with pytest.raises(InvalidArgument) as err:
            make_employee(id="emp-7")
        assert err.value.field == "employee.id"

    def test_distributor_manager_needs_a_distributor(self) -> None:
        with pytest.raises(InvalidArgument) as err:
            make_employee(roles=[Role.DISTRIBUTOR_MANAGER])
        assert err.value.field == "employee.distributor_id"
        distributor = new_id()
        manager = make_employee(roles=[Role.DISTRIBUTOR_MANAGER], distributor_id=distributor)
        assert manager.distributor_id == distributor

    def test_others_need_no_distributor(self) -> None:
        assert make_employee(roles=[Role.TECHNICIAN]).distributor_id == ""


class TestEmployeeUpdate:
    def test_update_bumps_and_emits(self) -> None:
        employee = make_employee()
        territory = new_id()
        employee.update(
            **update_args(employee, full_name="Пётр Иванов", territory_id=territory, active=False)
        )
        assert employee.full_name == "Пётр Иванов"
        assert employee.territory_id == territory
        assert employee.active is False
        assert employee.version == 2
        assert [type(e) for e in employee.events] == [events.EmployeeChanged] * 2
        assert employee.events[-1].employee.version == 2  # type: ignore[attr-defined]

    def test_roles_change(self) -> None:
        employee = make_employee()
        employee.update(**update_args(employee, roles=[Role.SUPERVISOR]))
        assert employee.roles == {Role.SUPERVISOR}
        assert employee.version == 2

    def test_no_op_does_not_bump(self) -> None:
        employee = make_employee(roles=[Role.AGENT, Role.VAN_SELLER])
        employee.update(
            **update_args(employee, full_name="  Иван Петров ", roles=[Role.VAN_SELLER, Role.AGENT])
        )
        assert employee.version == 1
        assert len(employee.events) == 1

    def test_stale_version_conflicts(self) -> None:
        employee = make_employee()
        employee.update(**update_args(employee, full_name="A"))
        with pytest.raises(Conflict):
            employee.update(**update_args(employee, full_name="B", expected_version=1))
        assert employee.full_name == "A"

    def test_expected_version_is_required(self) -> None:
        employee = make_employee()
        with pytest.raises(InvalidArgument) as err:
            employee.update(**update_args(employee, full_name="B", expected_version=0))
        # The request's field: UpdateEmployeeRequest carries the version in the employee.
        assert err.value.field == "employee.version"

    def test_cannot_supervise_oneself(self) -> None:
        employee = make_employee()
        with pytest.raises(InvalidArgument) as err:
            employee.update(**update_args(employee, supervisor_id=employee.id))
        assert err.value.field == "employee.supervisor_id"

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"full_name": ""}, "employee.full_name"),
            ({"roles": []}, "employee.roles"),
            ({"roles": [None]}, "employee.roles"),
        ],
    )
    def test_invalid_update_leaves_the_employee_untouched(
        self, overrides: dict[str, Any], field: str
    ) -> None:
        employee = make_employee()
        before = employee.snapshot()
        with pytest.raises(InvalidArgument) as err:
            employee.update(**update_args(employee, **overrides))
        assert err.value.field == field
        assert employee == before

    def test_becoming_a_distributor_manager_needs_a_distributor(self) -> None:
        employee = make_employee()
        before = employee.snapshot()
        with pytest.raises(InvalidArgument) as err:
            employee.update(**update_args(employee, roles=[Role.DISTRIBUTOR_MANAGER]))
        assert err.value.field == "employee.distributor_id"
        assert employee == before
        distributor = new_id()
        employee.update(
            **update_args(employee, roles=[Role.DISTRIBUTOR_MANAGER], distributor_id=distributor)
        )
        assert employee.distributor_id == distributor

    def test_a_distributor_manager_keeps_a_distributor(self) -> None:
        manager = make_employee(roles=[Role.DISTRIBUTOR_MANAGER], distributor_id=new_id())
        with pytest.raises(InvalidArgument) as err:
            manager.update(**update_args(manager, distributor_id=""))
        assert err.value.field == "employee.distributor_id"
        assert manager.distributor_id != ""


class TestRequireRole:
    def test_any_of_the_allowed_roles_will_do(self) -> None:
        employee = make_employee(roles=[Role.MERCHANDISER])
        employee.require_role(Role.MERCHANDISER)
        employee.require_role(Role.AGENT, Role.MERCHANDISER)
        employee.require_role(*FIELD_ROLES)

    def test_missing_role_is_denied(self) -> None:
        employee = make_employee(roles=[Role.AGENT])
        with pytest.raises(PermissionDenied) as err:
            employee.require_role(Role.SUPERVISOR, Role.TECHNICIAN)
        assert employee.id in err.value.message
        assert "SUPERVISOR" in err.value.message
        assert "TECHNICIAN" in err.value.message

    def test_inactive_employee_is_denied_even_with_the_role(self) -> None:
        employee = make_employee(roles=[Role.SUPERVISOR])
        employee.update(**update_args(employee, active=False))
        with pytest.raises(PermissionDenied) as err:
            employee.require_role(Role.SUPERVISOR)
        assert "not active" in err.value.message


# ---------------------------------------------------------------------------------- routes
class TestRoute:
    @pytest.mark.parametrize("role", sorted(FIELD_ROLES, key=lambda r: r.value))
    def test_field_roles_own_routes(self, role: Role) -> None:
        agent = make_employee(roles=[role])
        territory = new_id()
        raw = uuid.uuid4()
        route = Route.create(str(raw).upper(), " Понедельник, север ", territory, agent)
        assert route.id == str(raw)
        assert route.name == "Понедельник, север"
        assert route.territory_id == territory
        assert route.agent_id == agent.id
        assert route.version == 1
        [event] = route.events
        assert isinstance(event, events.RouteChanged)
        assert event.route == route

    @pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.TECHNICIAN, Role.DISTRIBUTOR_MANAGER])
    def test_other_roles_cannot_own_routes(self, role: Role) -> None:
        employee = make_employee(roles=[role], distributor_id=new_id())
        with pytest.raises(FailedPrecondition) as err:
            Route.create(new_id(), "R", "", employee)
        assert err.value.message.startswith("route.agent_id: ")
        assert "AGENT, MERCHANDISER, VAN_SELLER" in err.value.message

    def test_inactive_agent_cannot_own_a_route(self) -> None:
        agent = make_employee()
        agent.update(**update_args(agent, active=False))
        with pytest.raises(PermissionDenied):
            Route.create(new_id(), "R", "", agent)

    @pytest.mark.parametrize(
        ("rid", "name", "field"), [("r", "R", "route.id"), (None, "", "route.name")]
    )
    def test_invalid_route(self, rid: str | None, name: str, field: str) -> None:
        with pytest.raises(InvalidArgument) as err:
            Route.create(rid or new_id(), name, "", make_employee())
        assert err.value.field == field

    def test_assignment_changes_are_serialised_by_the_route_version(self) -> None:
        route = Route.create(new_id(), "R", "", make_employee())
        assignment = RouteAssignment.of(
            route.id, new_id(), VisitFrequency.WEEKLY, [1], date(2024, 5, 13), 0
        )
        route.assignment_changed(assignment)
        route.assignment_changed(assignment, removed=True)
        assert route.version == 3
        _, added, removed = route.events
        assert isinstance(added, events.RouteAssignmentChanged)
        assert isinstance(removed, events.RouteAssignmentChanged)
        assert (added.assignment, added.removed, added.route.version) == (assignment, False, 2)
        assert (removed.assignment, removed.removed, removed.route.version) == (assignment, True, 3)


# ----------------------------------------------------------------------------- assignments
START = date(2024, 5, 15)  # a Wednesday


def assignment(**overrides: Any) -> RouteAssignment:
    args: dict[str, Any] = {
        "route_id": new_id(),
        "outlet_id": new_id(),
        "frequency": VisitFrequency.WEEKLY,
        "weekdays": [1, 3],
        "start_date": START,
        "sequence": 0,
    }
    args.update(overrides)
    return RouteAssignment.of(**args)


class TestRouteAssignmentOf:
    def test_valid_assignment(self) -> None:
        route, outlet = uuid.uuid4(), uuid.uuid4()
        a = assignment(
            route_id=str(route).upper(), outlet_id=outlet.hex, weekdays=[5, 1, 5, 3], sequence=7
        )
        assert (a.route_id, a.outlet_id) == (str(route), str(outlet))
        assert a.weekdays == (1, 3, 5)
        assert a.sequence == 7
        assert a.frequency is VisitFrequency.WEEKLY
        assert a.start_date == START

    def test_weekdays_may_be_any_iterable(self) -> None:
        assert assignment(weekdays=(d for d in (7, 6))).weekdays == (6, 7)

    def test_equal_inputs_give_equal_assignments(self) -> None:
        route, outlet = new_id(), new_id()
        a = assignment(route_id=route, outlet_id=outlet, weekdays=[3, 1])
        b = assignment(route_id=route.upper(), outlet_id=outlet, weekdays=[1, 3, 3])
        assert a == b

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"frequency": None}, "assignment.frequency"),
            ({"weekdays": []}, "assignment.weekdays"),
            ({"weekdays": [0]}, "assignment.weekdays"),
            ({"weekdays": [1, 8]}, "assignment.weekdays"),
            ({"weekdays": [-1, 3]}, "assignment.weekdays"),
            ({"start_date": None}, "assignment.start_date"),
            ({"sequence": -1}, "assignment.sequence"),
            ({"route_id": "route-1"}, "assignment.route_id"),
            ({"route_id": ""}, "assignment.route_id"),
            ({"outlet_id": "12345"}, "assignment.outlet_id"),
        ],
    )
    def test_invalid_assignment(self, overrides: dict[str, Any], field: str) -> None:
        with pytest.raises(InvalidArgument) as err:
            assignment(**overrides)
        assert err.value.field == field

    def test_out_of_range_weekday_is_named(self) -> None:
        with pytest.raises(InvalidArgument) as err:
            assignment(weekdays=[2, 9])
        assert "9" in err.value.problem


class TestIsDue:
    def test_weekly(self) -> None:
        a = assignment(weekdays=[1, 3])
        assert not a.is_due(date(2024, 5, 13))  # Monday of the start week, before the start
        assert a.is_due(date(2024, 5, 15))  # the start Wednesday
        assert not a.is_due(date(2024, 5, 16))  # Thursday: not listed
        assert a.is_due(date(2024, 5, 20))
        assert a.is_due(date(2024, 5, 22))
        assert a.is_due(date(2025, 1, 1))  # a Wednesday in the next year

    def test_every_two_weeks_counts_weeks_from_the_start_week(self) -> None:
        a = assignment(frequency=VisitFrequency.EVERY_2_WEEKS, weekdays=[1, 3])
        assert a.is_due(date(2024, 5, 15))
        assert not a.is_due(date(2024, 5, 20))
        assert not a.is_due(date(2024, 5, 22))
        assert a.is_due(date(2024, 5, 27))
        assert a.is_due(date(2024, 5, 29))
        assert not a.is_due(date(2024, 6, 3))

    def test_every_four_weeks(self) -> None:
        a = assignment(frequency=VisitFrequency.EVERY_4_WEEKS, weekdays=[5])
        due = [d for d in _days(START, 70) if a.is_due(d)]
        assert due == [date(2024, 5, 17), date(2024, 6, 14), date(2024, 7, 12)]

    def test_sunday_start(self) -> None:
        a = assignment(
            frequency=VisitFrequency.EVERY_2_WEEKS, weekdays=[1, 7], start_date=date(2024, 5, 19)
        )
        assert not a.is_due(date(2024, 5, 13))
        assert a.is_due(date(2024, 5, 19))  # Sunday of week 0
        assert not a.is_due(date(2024, 5, 20))  # Monday of week 1
        assert a.is_due(date(2024, 5, 27))  # Monday of week 2

    def test_across_a_year_boundary_with_53_iso_weeks(self) -> None:
        # 2020 has ISO week 53; counting weeks from the start must not reset at new year.
        a = assignment(
            frequency=VisitFrequency.EVERY_2_WEEKS, weekdays=[1], start_date=date(2020, 12, 14)
        )
        assert a.is_due(date(2020, 12, 14))
        assert a.is_due(date(2020, 12, 28))
        assert not a.is_due(date(2021, 1, 4))
        assert a.is_due(date(2021, 1, 11))

    def test_never_before_the_start(self) -> None:
        a = assignment(weekdays=list(range(1, 8)))
        assert not any(a.is_due(d) for d in _days(START - timedelta(days=400), 400))
        assert a.is_due(START)


def _days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(count)]


frequencies = st.sampled_from(list(VisitFrequency))
weekday_sets = st.sets(st.integers(min_value=1, max_value=7), min_size=1)
start_dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


@given(frequencies, weekday_sets, start_dates, st.integers(min_value=-60, max_value=3000))
def test_is_due_exactly_on_listed_days_of_visiting_weeks(
    frequency: VisitFrequency, weekdays: set[int], start: date, offset: int
) -> None:
    a = assignment(frequency=frequency, weekdays=weekdays, start_date=start)
    day = start + timedelta(days=offset)
    week_zero_monday = start - timedelta(days=start.weekday())
    week_index = (day - week_zero_monday).days // 7
    expected = day >= start and day.isoweekday() in weekdays and week_index % frequency.value == 0
    assert a.is_due(day) == expected


@given(frequencies, weekday_sets, start_dates, st.integers(min_value=1, max_value=30))
def test_is_due_repeats_with_the_period(
    frequency: VisitFrequency, weekdays: set[int], start: date, cycles: int
) -> None:
    """Past the start week, the schedule shifted by whole periods is the same schedule, and
    every full period holds each listed weekday exactly once."""
    a = assignment(frequency=frequency, weekdays=weekdays, start_date=start)
    period = 7 * frequency.value
    next_monday = start + timedelta(days=7 - start.weekday())
    window = _days(next_monday + timedelta(days=period * cycles), period)
    due = [d for d in window if a.is_due(d)]
    assert sorted(d.isoweekday() for d in due) == sorted(weekdays)
    assert all(a.is_due(d - timedelta(days=period)) == a.is_due(d) for d in window)


@given(frequencies, weekday_sets, start_dates, st.integers(min_value=1, max_value=1000))
def test_is_due_never_before_the_start(
    frequency: VisitFrequency, weekdays: set[int], start: date, back: int
) -> None:
    a = assignment(frequency=frequency, weekdays=weekdays, start_date=start)
    assert not a.is_due(start - timedelta(days=back))


@given(frequencies, weekday_sets, start_dates)
def test_is_due_on_the_start_date_when_it_is_a_listed_day(
    frequency: VisitFrequency, weekdays: set[int], start: date
) -> None:
    a = assignment(frequency=frequency, weekdays=weekdays, start_date=start)
    assert a.is_due(start) == (start.isoweekday() in weekdays)


@given(st.sampled_from([VisitFrequency.EVERY_2_WEEKS, VisitFrequency.EVERY_4_WEEKS]), start_dates)
def test_is_due_skips_the_weeks_between_visits(frequency: VisitFrequency, start: date) -> None:
    a = assignment(frequency=frequency, weekdays=list(range(1, 8)), start_date=start)
    week_zero_monday = start - timedelta(days=start.weekday())
    for week in range(1, frequency.value):
        assert not any(a.is_due(d) for d in _days(week_zero_monday + timedelta(weeks=week), 7))
    assert all(a.is_due(d) for d in _days(week_zero_monday + timedelta(weeks=frequency.value), 7))


def test_field_roles() -> None:
    assert {Role.AGENT, Role.VAN_SELLER, Role.MERCHANDISER} == FIELD_ROLES


# ------------------------------------------------------------------ the ERP's employees
@pytest.mark.parametrize("phone", ["+79161234567", "+1234567", "+123456789012345", " +7916123 "])
def test_a_phone_is_e164(phone: str) -> None:
    assert validate_phone("employee.phone", phone) == phone.strip()


@pytest.mark.parametrize(
    "phone", ["79161234567", "+0916123456", "+7 916 123", "+123456", "+1234567890123456", "+７９"]
)
def test_anything_else_is_not_a_phone(phone: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^employees\[2\]\.phone: must be E\.164"):
        validate_phone("employees[2].phone", phone)


def test_an_import_never_grants_admin_and_names_its_item() -> None:
    with pytest.raises(InvalidArgument, match=r"^employees\[0\]\.roles: ROLE_ADMIN is granted"):
        Employee.imported_fields("Иван", [Role.AGENT, Role.ADMIN], True, "", "employees[0]")
    fields = Employee.imported_fields(" Иван ", [Role.AGENT], False, "", "employees[0]")
    assert fields == {"full_name": "Иван", "roles": {Role.AGENT}, "active": False, "phone": ""}


def test_an_unchanged_import_changes_nothing_and_a_change_moves_the_version() -> None:
    employee = make_employee(phone="+79161234567")
    employee.events.clear()
    same = {f: getattr(employee, f) for f in Employee.IMPORTED}
    assert not employee.revise(employee.imported({**same, "territory_id": ""}))
    assert employee.version == 1 and employee.events == []
    assert employee.revise(employee.imported({**same, "phone": ""}))
    assert (employee.version, employee.phone) == (2, "")
    [event] = employee.events
    assert isinstance(event, events.EmployeeChanged) and event.employee.phone == ""


# ----------------------------------------------------------------- route agents by date
D = date(2026, 12, 1)


def test_a_route_with_an_external_id_takes_the_id_derived_from_it() -> None:
    derived = route_id_for("MSK-NORTH-03")
    assert Route.identity("", " MSK-NORTH-03 ") == (derived, "MSK-NORTH-03")
    assert Route.identity(derived.upper(), "MSK-NORTH-03") == (derived, "MSK-NORTH-03")
    plain = new_id()
    assert Route.identity(plain, "") == (plain, "")
    with pytest.raises(InvalidArgument, match=r"^route\.id: a route with an external id"):
        Route.identity(plain, "MSK-NORTH-03")
    with pytest.raises(InvalidArgument, match=r"^route\.id: is required"):
        Route.identity("", "")


def test_a_hand_over_moves_the_version_and_names_the_previous_agent() -> None:
    a, b = make_employee(), make_employee()
    route = Route.create(new_id(), "Север", "", a)
    route.events.clear()
    assert not route.hand_over(a.id) and route.version == 1 and route.events == []
    assert route.hand_over(b.id)
    [event] = route.events
    assert isinstance(event, events.RouteChanged)
    assert (route.version, event.route.agent_id, event.previous_agent_id) == (2, b.id, a.id)


def test_a_period_ends_on_or_after_its_start() -> None:
    assert RouteAgentPeriod.of("r", "e", D, D).covers(D)
    with pytest.raises(InvalidArgument, match=r"^periods\[3\]\.valid_to: 2026-11-30 is before"):
        RouteAgentPeriod.of("r", "e", D, D - timedelta(days=1), "periods[3]")
    with pytest.raises(InvalidArgument, match=r"^periods\[3\]\.valid_from: is required"):
        RouteAgentPeriod.of("r", "e", None, None, "periods[3]")


def test_the_later_start_wins_from_its_start_day_and_the_earlier_is_back_after_it() -> None:
    year = RouteAgentPeriod("r", "a", D, date(2027, 11, 30))
    holiday = RouteAgentPeriod("r", "b", date(2027, 3, 1), date(2027, 3, 14))
    successor = RouteAgentPeriod("r", "c", date(2027, 12, 1))
    periods = [holiday, successor, year]
    expected = [
        (D - timedelta(days=1), None),
        (D, "a"),
        (date(2027, 2, 28), "a"),
        (date(2027, 3, 1), "b"),
        (date(2027, 3, 14), "b"),
        (date(2027, 3, 15), "a"),
        (date(2027, 11, 30), "a"),
        (date(2027, 12, 1), "c"),
        (date(2040, 1, 1), "c"),
    ]
    for day, agent in expected:
        found = period_in_force(periods, day)
        assert (found.employee_id if found else None) == agent, day


periods_strategy = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=60),
        st.one_of(st.none(), st.integers(min_value=0, max_value=30)),
        st.sampled_from("abc"),
    ),
    max_size=6,
)


@given(periods_strategy, st.integers(min_value=-5, max_value=100))
def test_the_period_in_force_covers_the_day_and_started_last_of_those_that_do(
    spec: list[tuple[int, int | None, str]], offset: int
) -> None:
    periods = [
        RouteAgentPeriod(
            "r",
            who,
            D + timedelta(days=start),
            None if length is None else D + timedelta(days=start + length),
        )
        for start, length, who in spec
    ]
    day = D + timedelta(days=offset)
    found = period_in_force(periods, day)
    covering = [p for p in periods if p.covers(day)]
    if not covering:
        assert found is None
    else:
        assert found in covering and all(p.valid_from <= found.valid_from for p in covering)


def test_the_ids_derived_from_the_erps_ids_are_a_contract() -> None:
    """The exchange names employees and routes by these without asking (fieldline_kit
    .external_ids): they must never change."""
    assert employee_id_for("EMP-0042") == "23e2a9b1-a8e4-577a-b1a0-96bee373d2e5"
    assert route_id_for("MSK-NORTH-03") == "af841258-f4c1-5300-a9ff-1fead150a4ef"
    assert employee_id_for("MSK-NORTH-03") != route_id_for("MSK-NORTH-03")
