"""Fixtures for the pure domain tests: a fixed clock, people and outlets. No I/O anywhere.

Hypothesis runs derandomized and without its example database, so these tests are
deterministic and never write to disk.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, settings

from fieldline_clients.domain.model import (
    Employee,
    Outlet,
    OutletCard,
    OutletStatus,
    Role,
)
from fieldline_clients.domain.values import Location
from fieldline_kit.testing.helpers import new_id

settings.register_profile(
    "fieldline-domain",
    database=None,
    derandomize=True,
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("fieldline-domain")

NOW = datetime(2024, 5, 15, 9, 30, tzinfo=UTC)
SHOP_LOCATION = Location(55.7558, 37.6173)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def make_employee() -> Callable[..., Employee]:
    def make(*roles: Role, active: bool = True, distributor_id: str = "") -> Employee:
        roles = roles or (Role.AGENT,)
        if Role.DISTRIBUTOR_MANAGER in roles and not distributor_id:
            distributor_id = new_id()
        employee = Employee.create(new_id(), "Иван Петров", roles, "", "", distributor_id)
        employee.active = active
        employee.events.clear()
        return employee

    return make


@pytest.fixture
def agent(make_employee: Callable[..., Employee]) -> Employee:
    return make_employee(Role.AGENT)


@pytest.fixture
def supervisor(make_employee: Callable[..., Employee]) -> Employee:
    return make_employee(Role.SUPERVISOR)


@pytest.fixture
def make_outlet() -> Callable[..., Outlet]:
    """An outlet with no pending events or history, as if loaded from the repository."""

    def make(
        card: OutletCard | None = None,
        status: OutletStatus = OutletStatus.ACTIVE,
        location: Location | None = SHOP_LOCATION,
    ) -> Outlet:
        card = card or OutletCard(
            name="Магазин «Ромашка»", address="Тверская, 1", location=location
        )
        outlet = Outlet.create(new_id(), new_id(), card, "", new_id(), NOW, status)
        outlet.events.clear()
        outlet.new_history.clear()
        return outlet

    return make


@pytest.fixture
def outlet(make_outlet: Callable[..., Outlet]) -> Outlet:
    return make_outlet()
