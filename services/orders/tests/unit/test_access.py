"""Who acts and what it may see and act on (domain/access.py), and the access policy
(entrypoints/policy.py): one rule per RPC, none for an RPC that does not exist."""

from __future__ import annotations

import pytest

from fieldline.orders.v1 import (
    catalog_service_pb2,
    orders_service_pb2,
    promotions_service_pb2,
    van_service_pb2,
)
from fieldline_kit.auth.policy import missing_rules, stray_rules
from fieldline_kit.errors import PermissionDenied
from fieldline_kit.testing.helpers import new_id
from fieldline_orders.domain.access import EMPLOYEE_ROLES, SERVICE, Actor
from fieldline_orders.entrypoints.policy import POLICY

SERVICES = [
    catalog_service_pb2.DESCRIPTOR.services_by_name["CatalogService"],
    orders_service_pb2.DESCRIPTOR.services_by_name["OrdersService"],
    van_service_pb2.DESCRIPTOR.services_by_name["VanService"],
    promotions_service_pb2.DESCRIPTOR.services_by_name["PromotionsService"],
]


def test_every_rpc_has_a_rule_and_every_rule_an_rpc() -> None:
    assert missing_rules(POLICY, SERVICES) == []
    assert stray_rules(POLICY, SERVICES) == []
    assert len(POLICY) == sum(len(s.methods) for s in SERVICES)


def test_the_rules_name_known_roles_and_leave_technicians_out() -> None:
    for name, rule in POLICY.items():
        assert rule.roles <= EMPLOYEE_ROLES | {SERVICE}, name
        assert "TECHNICIAN" not in rule.roles, name
    # Money, catalog and policy changes are audited; a van seller's sale is its own.
    for name in ("UpsertProducts", "UpdateOrderStatus", "CreateVan", "LoadVan", "UnloadVan"):
        assert POLICY[name].audit, name
    assert POLICY["CompleteVanSale"].roles == {"VAN_SELLER"}
    assert POLICY["SubmitOrder"].roles == {"AGENT", "TELESELLER", "SUPERVISOR", "SERVICE"}
    # A teleseller has no van.
    for name in ("ListVans", "GetVanStock", "LoadVan", "CompleteVanSale", "AcceptReturn"):
        assert "TELESELLER" not in POLICY[name].roles, name


def test_a_phone_order_is_its_takers_and_its_credited_agents() -> None:
    """A teleseller sees (and may change) the orders it took, credited to others; the credited
    agent sees them as its own; another agent sees neither."""
    teleseller = Actor.of(new_id(), {"TELESELLER"})
    credited = new_id()
    assert teleseller.sees_order(credited, taken_by=teleseller.id)
    assert Actor.of(credited, {"AGENT"}).sees_order(credited, taken_by=teleseller.id)
    assert not AGENT.sees_order(credited, taken_by=teleseller.id)
    assert teleseller.route_scoped


AGENT = Actor.of(new_id(), {"AGENT"})
SELLER = Actor.of(new_id(), {"VAN_SELLER"})
BOSS = Actor.of(new_id(), {"SUPERVISOR"})  # a team of none
TEAM_LEAD = Actor.of(new_id(), {"SUPERVISOR"}, team={AGENT.id, SELLER.id})
ADMIN = Actor.of("admin", {"ADMIN"})
MANAGER = Actor.of(new_id(), {"DISTRIBUTOR_MANAGER"})
ERP = Actor.of("svc:exchange", {SERVICE}, "service")


@pytest.mark.parametrize(
    ("who", "own_order", "others_order", "own_van", "others_van", "route_scoped"),
    [
        (AGENT, True, False, True, False, True),
        (SELLER, True, False, True, False, True),
        (BOSS, True, False, True, False, True),
        (ADMIN, True, True, True, True, False),
        (ERP, True, True, True, True, False),
        (MANAGER, True, False, True, False, True),  # its distributor is not known: none
    ],
    ids=["agent", "van seller", "supervisor", "admin", "service", "distributor manager"],
)
def test_the_scope_of_each_role(
    who: Actor,
    own_order: bool,
    others_order: bool,
    own_van: bool,
    others_van: bool,
    route_scoped: bool,
) -> None:
    assert who.sees_order(who.id) is own_order
    assert who.sees_order(new_id()) is others_order
    assert who.sees_van(who.id) is own_van
    assert who.sees_van(new_id()) is others_van
    assert who.route_scoped is route_scoped


def test_a_supervisor_sees_its_team_and_no_one_else() -> None:
    assert TEAM_LEAD.leads_team and not AGENT.leads_team and not ADMIN.leads_team
    assert TEAM_LEAD.agents == {TEAM_LEAD.id, AGENT.id, SELLER.id}
    for member in (TEAM_LEAD.id, AGENT.id, SELLER.id):
        assert TEAM_LEAD.sees_order(member) and TEAM_LEAD.sees_van(member)
        assert TEAM_LEAD.sees_agent(member)
    stranger = new_id()
    assert not (TEAM_LEAD.sees_order(stranger) or TEAM_LEAD.sees_van(stranger))
    assert TEAM_LEAD.route_scoped


def test_lists_are_narrowed_to_the_callers_own_or_its_teams() -> None:
    other = new_id()
    assert AGENT.narrowed("") == (AGENT.id,)
    assert AGENT.narrowed(AGENT.id) == (AGENT.id,)
    assert AGENT.narrowed(other) is None  # someone else's: nothing
    assert ADMIN.narrowed("") == () and ADMIN.narrowed(other) == (other,)
    assert TEAM_LEAD.narrowed("") == tuple(sorted(TEAM_LEAD.agents))
    assert TEAM_LEAD.narrowed(AGENT.id) == (AGENT.id,)
    assert TEAM_LEAD.narrowed(other) is None


def test_a_distributor_manager_sees_its_distributors_orders_and_nothing_else() -> None:
    distributor = new_id()
    manager = Actor.of(new_id(), {"DISTRIBUTOR_MANAGER"}, distributor_id=distributor)
    assert manager.manages_distributor and not AGENT.manages_distributor
    assert manager.sees_order(new_id(), distributor)
    assert not manager.sees_order(new_id(), new_id()) and not manager.sees_order(new_id(), "")
    assert not MANAGER.sees_order(new_id(), "")  # its distributor unknown: none
    # Lists: its distributor's, any agent's; another distributor's: nothing.
    assert manager.orders_filter("", "") == ((), distributor)
    assert manager.orders_filter(AGENT.id, distributor) == ((AGENT.id,), distributor)
    assert manager.orders_filter("", new_id()) is None
    assert MANAGER.orders_filter("", "") is None
    # Others: their agents' filter, the distributor as asked.
    assert AGENT.orders_filter("", distributor) == ((AGENT.id,), distributor)
    assert ADMIN.orders_filter("", "") == ((), "")


def test_whose_order_a_new_order_is() -> None:
    assert AGENT.agent_of_new_order() == AGENT.id
    on_behalf = Actor.of("svc:exchange", {SERVICE}, "service", acting_for=AGENT.id)
    assert on_behalf.agent_of_new_order() == AGENT.id
    with pytest.raises(PermissionDenied, match="act"):
        ERP.agent_of_new_order()


def test_a_distributor_manager_reads_its_distributors_vans_and_reports_its_orders() -> None:
    distributor = new_id()
    manager = Actor.of(new_id(), {"DISTRIBUTOR_MANAGER"}, distributor_id=distributor)
    # Vans: its distributor's, any van seller's; not another distributor's nor the company's.
    assert manager.sees_van(new_id(), distributor)
    assert not manager.sees_van(new_id(), new_id()) and not manager.sees_van(new_id(), "")
    assert not MANAGER.sees_van(new_id(), "")  # its distributor unknown: none
    assert not AGENT.sees_van(new_id(), distributor)  # a van seller: its own van only
    assert manager.vans_filter("") == ((), distributor)
    assert manager.vans_filter(SELLER.id) == ((SELLER.id,), distributor)
    assert MANAGER.vans_filter("") is None
    assert SELLER.vans_filter("") == ((SELLER.id,), "") and ADMIN.vans_filter("") == ((), "")
    assert TEAM_LEAD.vans_filter("") == (tuple(sorted(TEAM_LEAD.agents)), "")
    # Fulfilment status: its distributor's orders only; the company's side: every order.
    assert manager.reports_fulfilment_of(distributor)
    assert not manager.reports_fulfilment_of(new_id()) and not manager.reports_fulfilment_of("")
    assert not MANAGER.reports_fulfilment_of("")
    assert ADMIN.reports_fulfilment_of("") and ERP.reports_fulfilment_of(distributor)
    for who in (AGENT, SELLER, TEAM_LEAD):
        assert not who.reports_fulfilment_of("") and not who.reports_fulfilment_of(distributor)
    # An agent who also manages the distributor: its own orders are not its reports to make.
    both = Actor.of(new_id(), {"AGENT", "DISTRIBUTOR_MANAGER"}, distributor_id=distributor)
    assert both.reports_fulfilment_of(distributor) and not both.reports_fulfilment_of("")


def test_a_distributor_manager_is_admitted_to_van_reads_and_status_reports() -> None:
    for name in ("ListVans", "GetVanStock", "ListVanMovements"):
        assert POLICY[name].roles == {
            "VAN_SELLER",
            "SUPERVISOR",
            "DISTRIBUTOR_MANAGER",
            "ADMIN",
            "SERVICE",
        }, name
    assert POLICY["UpdateOrderStatus"].roles == {"ADMIN", "SERVICE", "DISTRIBUTOR_MANAGER"}
    assert POLICY["UpdateOrderStatus"].audit
    for name in ("CreateVan", "LoadVan", "UnloadVan", "CompleteVanSale", "AcceptReturn"):
        assert "DISTRIBUTOR_MANAGER" not in POLICY[name].roles, name  # it reads, acts on none
