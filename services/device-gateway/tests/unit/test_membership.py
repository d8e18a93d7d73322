"""The scope rule per role (and who may hold a device, what a role is not sent), and the diff of
a desired scope set against the open intervals."""

from __future__ import annotations

import pytest

from fieldline_gateway.domain.devices import may_hold_device
from fieldline_gateway.domain.membership import (
    CATALOG,
    COMPANY,
    ORDERS_SECTIONS,
    VAN_SECTIONS,
    MembershipChange,
    membership_change,
    scopes_of,
    withheld_sections,
)
from fieldline_kit.roles import (
    ADMIN,
    AGENT,
    DISTRIBUTOR_MANAGER,
    MERCHANDISER,
    SUPERVISOR,
    TECHNICIAN,
    TELESELLER,
    VAN_SELLER,
)

GRAPH = {
    "routes": ["r-7"],
    "route_outlets": ["o-1", "o-2", "o-3"],
    "proposed_outlets": ["o-9"],
    "outlet_clients": {"o-1": "c-1", "o-2": "c-1", "o-3": "c-2", "o-9": "c-5"},
    "client_price_types": {"c-1": "pt-1", "c-2": "pt-2", "c-5": "pt-5"},
}
BASE = {COMPANY, CATALOG, "agent:e-1"}
FIELD = {
    "route:r-7",
    "outlet:o-1",
    "outlet:o-2",
    "outlet:o-3",
    "outlet:o-9",
    "client:c-1",
    "client:c-2",
    "client:c-5",
}
MONEY = {"account:c-1", "account:c-2", "price_type:pt-1", "price_type:pt-2"}


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ({AGENT}, BASE | FIELD | MONEY),
        ({VAN_SELLER}, BASE | FIELD | MONEY),
        ({SUPERVISOR}, BASE | FIELD | MONEY),
        ({MERCHANDISER}, BASE | FIELD),
        # Its call lists are its routes: it quotes prices and debts of their clients.
        ({TELESELLER}, BASE | FIELD | MONEY),
        ({TECHNICIAN}, BASE),
        ({DISTRIBUTOR_MANAGER}, BASE),
        ({ADMIN}, BASE),
        (set(), BASE),
        ({MERCHANDISER, AGENT}, BASE | FIELD | MONEY),
        ({TECHNICIAN, MERCHANDISER}, BASE | FIELD),
    ],
)
def test_each_role_gets_the_scopes_of_the_rule(roles: set[str], expected: set[str]) -> None:
    assert scopes_of("e-1", roles, **GRAPH) == expected  # type: ignore[arg-type]


def test_money_follows_the_route_outlets_not_a_proposal() -> None:
    scopes = scopes_of("e-1", {AGENT}, **GRAPH)  # type: ignore[arg-type]
    # The proposed outlet and its client are shown (clients' rule) but not its debts or
    # its price type (settlements: clients with an outlet on the agent's routes).
    assert {"outlet:o-9", "client:c-5"} <= scopes
    assert "account:c-5" not in scopes
    assert "price_type:pt-5" not in scopes


def test_an_outlet_leaving_the_route_takes_its_client_only_with_the_last_outlet() -> None:
    graph = dict(GRAPH)
    before = scopes_of("e-1", {AGENT}, **graph)  # type: ignore[arg-type]
    graph["route_outlets"] = ["o-2", "o-3"]  # o-1 left; c-1 still has o-2
    after_one = scopes_of("e-1", {AGENT}, **graph)  # type: ignore[arg-type]
    assert before - after_one == {"outlet:o-1"}
    graph["route_outlets"] = ["o-3"]  # o-2 left too: c-1 has no outlet on the route
    after_two = scopes_of("e-1", {AGENT}, **graph)  # type: ignore[arg-type]
    assert after_one - after_two == {"outlet:o-2", "client:c-1", "account:c-1", "price_type:pt-1"}


def test_an_outlet_without_a_known_client_or_a_client_without_price_type() -> None:
    scopes = scopes_of(
        "e-1",
        {AGENT},
        routes=["r-1"],
        route_outlets=["o-1", "o-2"],
        outlet_clients={"o-2": "c-2"},
        client_price_types={},
    )
    assert scopes == BASE | {"route:r-1", "outlet:o-1", "outlet:o-2", "client:c-2", "account:c-2"}


def test_a_shared_price_type_is_one_scope() -> None:
    scopes = scopes_of(
        "e-1",
        {AGENT},
        routes=["r-1"],
        route_outlets=["o-1", "o-2"],
        outlet_clients={"o-1": "c-1", "o-2": "c-2"},
        client_price_types={"c-1": "pt-1", "c-2": "pt-1"},
    )
    assert {s for s in scopes if s.startswith("price_type:")} == {"price_type:pt-1"}


@pytest.mark.parametrize(
    ("roles", "withheld"),
    [
        ({TELESELLER}, True),
        ({TELESELLER, AGENT}, False),
        ({TELESELLER, VAN_SELLER}, False),
        ({TELESELLER, SUPERVISOR}, False),
        ({TELESELLER, MERCHANDISER}, False),
        ({AGENT}, False),
        ({MERCHANDISER}, False),
        (set(), False),
    ],
)
def test_a_teleseller_gets_orders_sections_but_its_vans(roles: set[str], withheld: bool) -> None:
    """Orders serves a teleseller its prices, terms, recommended orders, orders (taken and
    credited) and contact figures (issue 15, increment 8), but no van: a teleseller with no
    other route role gets every section of orders but `vans` and `vanStock`."""
    found = withheld_sections(roles) - {"contactSales"}
    assert found == (VAN_SECTIONS if withheld else frozenset())
    if TELESELLER in roles:
        sent = ORDERS_SECTIONS - found
        assert {"prices", "priceTypes", "clientTerms", "orders", "recommendedOrders"} <= sent
        assert "contactSales" not in withheld_sections(roles)


@pytest.mark.parametrize(
    ("roles", "withheld"),
    [
        ({AGENT}, False),
        ({VAN_SELLER}, False),
        ({SUPERVISOR}, False),
        ({TELESELLER}, False),  # its calls' figures
        ({TELESELLER, AGENT}, False),
        ({TELESELLER, MERCHANDISER}, False),
        ({MERCHANDISER, VAN_SELLER}, False),
        ({MERCHANDISER}, True),
        (set(), True),
    ],
)
def test_contact_figures_go_to_those_orders_shows_them_to(roles: set[str], withheld: bool) -> None:
    """Orders answers ListContactSales to AGENT, VAN_SELLER, TELESELLER and SUPERVISOR (own, a
    supervisor its team's): an employee with none of them (a merchandiser whose visit an
    agent's order named) gets no `contactSales`, nothing else withheld for it."""
    found = withheld_sections(roles)
    assert ("contactSales" in found) is withheld
    if MERCHANDISER in roles and withheld:
        assert found == {"contactSales"}


def test_the_diff_closes_what_left_and_opens_what_came() -> None:
    change = membership_change({"company", "outlet:o-2", "outlet:o-3"}, {"company", "outlet:o-1"})
    assert change == MembershipChange(
        close=frozenset({"outlet:o-1"}), open=frozenset({"outlet:o-2", "outlet:o-3"})
    )
    assert change


def test_the_same_set_changes_nothing() -> None:
    change = membership_change(["company", "catalog"], {"catalog", "company"})
    assert change == MembershipChange(close=frozenset(), open=frozenset())
    assert not change


def test_from_nothing_and_to_nothing() -> None:
    assert membership_change({"company"}, set()).open == {"company"}
    assert membership_change(set(), {"company"}).close == {"company"}


@pytest.mark.parametrize(
    ("roles", "may"),
    [
        ({AGENT}, True),
        ({VAN_SELLER}, True),
        ({MERCHANDISER}, True),
        ({TELESELLER}, True),  # its call lists, calls and debts on a device
        ({SUPERVISOR}, True),
        ({TECHNICIAN}, False),
        ({DISTRIBUTOR_MANAGER}, False),
        ({ADMIN}, False),
        (set(), False),
    ],
)
def test_who_may_hold_a_device(roles: set[str], may: bool) -> None:
    assert may_hold_device(frozenset(roles)) is may
