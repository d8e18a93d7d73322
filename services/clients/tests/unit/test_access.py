"""Access: every RPC of the three APIs has a rule, and a caller's scope as `Access` states it.

The rules are enforced by the kit's interceptor and the scopes by the use cases; both over real
gRPC in tests/integration/test_auth.py. Here: the policy covers the APIs exactly, its role
names are the Role enum's, and the scope each kind of caller gets.
"""

from __future__ import annotations

import pytest

from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline.clients.v1 import resources_pb2 as pb
from fieldline.clients.v1 import territory_service_pb2 as ts
from fieldline.clients.v1 import visits_service_pb2 as vs
from fieldline_clients.domain.model import Role
from fieldline_clients.entrypoints.main import SPEC
from fieldline_clients.entrypoints.policy import POLICY
from fieldline_clients.service_layer.access import Access
from fieldline_kit.auth import Kind, Principal, Rule
from fieldline_kit.auth.policy import missing_rules, rule_for, stray_rules
from fieldline_kit.errors import InvalidArgument, NotFound, PermissionDenied

APIS = [
    cs.DESCRIPTOR.services_by_name["ClientsService"],
    ts.DESCRIPTOR.services_by_name["TerritoryService"],
    vs.DESCRIPTOR.services_by_name["VisitsService"],
]


def rule(name: str) -> Rule:
    return next(
        r
        for api in APIS
        for m in api.methods
        if m.name == name and (r := rule_for(POLICY, f"/{api.full_name}/{name}")) is not None
    )


def test_every_rpc_of_the_three_apis_has_a_rule_and_every_rule_an_rpc() -> None:
    assert missing_rules(POLICY, APIS) == []
    assert stray_rules(POLICY, APIS) == []
    assert SPEC.policy is POLICY


def test_the_roles_are_the_role_enums_names_and_service() -> None:
    names = {pb.Role.Name(v).removeprefix("ROLE_") for v in pb.Role.values()} - {"UNSPECIFIED"}
    assert names == {r.name for r in Role}
    assert set().union(*(r.roles for r in POLICY.values())) <= names | {"SERVICE"}


def test_people_and_reference_data_are_changed_by_admin_and_service_only() -> None:
    for name in (
        "CreateClient",
        "UpdateClient",
        "UpsertClients",
        "CreateOutlet",
        "CreateEmployee",
        "UpsertEmployees",
        "ScheduleRouteAgents",
    ):
        assert rule(name).roles == {"ADMIN", "SERVICE"} and rule(name).audit
    assert rule("ListRouteAgentPeriods").roles == {"SUPERVISOR", "ADMIN", "SERVICE"}
    for name in ("UpdateEmployee", "CreateTerritory", "CreateQuestionnaire"):
        assert rule(name).roles == {"ADMIN", "SERVICE"}
    assert rule("UpdateQuestionnaire").roles == {"ADMIN", "SERVICE"}
    assert rule("UpdateQuestionnaire").audit
    assert rule("DecideProposal").roles == {"SUPERVISOR"}


def principal(*roles: str, subject: str = "e-1", kind: str = Kind.EMPLOYEE) -> Principal:
    return Principal(kind, subject, frozenset(roles))


class TestScope:
    @pytest.mark.parametrize("roles", [("ADMIN",), ("SERVICE",), ("AGENT", "ADMIN")])
    def test_admin_and_service_see_the_company(self, roles: tuple[str, ...]) -> None:
        access = Access.of(principal(*roles), frozenset({"e-2"}))
        assert access.company and access.sees("anyone") and access.acts_for("anyone")

    @pytest.mark.parametrize("roles", [("AGENT",), ("VAN_SELLER",), ("MERCHANDISER",), ()])
    def test_a_field_employee_sees_itself(self, roles: tuple[str, ...]) -> None:
        access = Access.of(principal(*roles), frozenset({"e-2"}))  # reports count for none
        assert access.team == {"e-1"} and not access.sees("e-2")

    def test_a_supervisor_sees_its_team_and_acts_for_itself(self) -> None:
        access = Access.of(principal("SUPERVISOR"), frozenset({"e-2", "e-3"}))
        assert access.team == {"e-1", "e-2", "e-3"}
        assert access.acts_for("e-1") and not access.acts_for("e-2")

    def test_a_distributor_manager_sees_its_own_and_its_distributors_audits(self) -> None:
        access = Access.of(principal("DISTRIBUTOR_MANAGER"), frozenset({"e-2"}), "d-1")
        assert access.team == {"e-1"} and access.distributor == "d-1"
        assert access.sees_audit("e-2", "d-1") and access.sees_audit("e-1", "")
        assert not access.sees_audit("e-2", "d-2") and not access.sees_audit("e-2", "")
        assert not access.sees("e-2")  # nothing else of the audits' agents

    @pytest.mark.parametrize("roles", [("AGENT",), ("SUPERVISOR",)])
    def test_only_a_distributor_manager_sees_by_distributor(self, roles: tuple[str, ...]) -> None:
        access = Access.of(principal(*roles), frozenset(), "d-1")
        assert access.distributor == "" and not access.sees_audit("e-2", "d-1")

    def test_the_actor_is_the_subject_or_the_user_a_service_acts_for(self) -> None:
        assert Access.of(principal("AGENT")).actor == "e-1"
        service = Principal(Kind.SERVICE, "svc:gateway", frozenset({"SERVICE"}), acting_for="e-9")
        assert Access.of(service).actor == "e-9"


class TestVisitingAgent:
    def test_an_employee_records_its_own_visits(self) -> None:
        access = Access.of(principal("AGENT"))
        assert access.agent("", "for_agent_id") == access.agent("e-1", "for_agent_id") == "e-1"
        with pytest.raises(PermissionDenied, match=r"^for_agent_id: an employee records its own"):
            access.agent("e-2", "for_agent_id")

    def test_admin_and_service_name_the_agent(self) -> None:
        admin = Access.of(principal("ADMIN"))
        assert admin.agent("e-2", "for_agent_id") == "e-2"
        assert admin.agent("", "for_agent_id") == "e-1"  # an administrator's own visit
        service = Access.of(principal("SERVICE", subject="svc:erp", kind=Kind.SERVICE))
        assert service.agent("e-2", "for_agent_id") == "e-2"
        with pytest.raises(InvalidArgument, match=r"^for_agent_id: is required"):
            service.agent("", "for_agent_id")


def test_a_teleseller_reads_its_call_lists_outlets_and_records_its_calls_only() -> None:
    """sales-gaps.md 4.4: calls and call plans for telesellers, their supervisor, ADMIN and
    SERVICE; outlet reads, its call lists (route reads) and the clients admit TELESELLER; no
    visit, census or other RPC does."""
    assert rule("RecordCall").roles == {"TELESELLER", "ADMIN", "SERVICE"}
    for name in ("GetCall", "ListCalls", "GetCallPlan"):
        assert rule(name).roles == {"TELESELLER", "SUPERVISOR", "ADMIN", "SERVICE"}, name
    outlet_reads = {"GetOutlet", "ListOutlets", "SearchOutlets", "ListOutletCardHistory"}
    route_reads = {"GetRoute", "ListRoutes", "ListRouteAssignments"}
    clients = {"GetClient", "ListClients"}
    own_record = {"GetEmployee"}
    calls = {"RecordCall", "GetCall", "ListCalls", "GetCallPlan"}
    admitted = {m.name for api in APIS for m in api.methods if "TELESELLER" in rule(m.name).roles}
    assert admitted == outlet_reads | route_reads | clients | own_record | calls


def test_a_distributor_manager_reads_clients_questionnaires_audits_and_its_own_record() -> None:
    """sales-gaps.md 4.4: audits and questionnaires are today's readers' and
    DISTRIBUTOR_MANAGER's (its distributor's audits); nothing else admits it."""
    for name in ("GetAudit", "ListAudits", "GetQuestionnaire", "ListQuestionnaires"):
        assert rule(name).roles == {
            "AGENT",
            "VAN_SELLER",
            "MERCHANDISER",
            "DISTRIBUTOR_MANAGER",
            "SUPERVISOR",
            "ADMIN",
            "SERVICE",
        }, name
    admitted = {
        m.name for api in APIS for m in api.methods if "DISTRIBUTOR_MANAGER" in rule(m.name).roles
    }
    assert admitted == {
        "GetClient",
        "ListClients",
        "GetEmployee",
        "GetQuestionnaire",
        "ListQuestionnaires",
        "GetAudit",
        "ListAudits",
    }


def test_out_of_scope_is_not_found_for_a_read_and_denied_for_a_write() -> None:
    agent = Access.of(principal("AGENT"))
    read = agent.refused("visit", "v-1", "visit_id", write=False)
    assert isinstance(read, NotFound) and read.message == "visit_id: visit 'v-1' not found"
    assert isinstance(agent.refused("visit", "v-1", "visit_id", write=True), PermissionDenied)
    admin = Access.of(principal("ADMIN"))  # for the company, only the missing is refused
    assert isinstance(admin.refused("visit", "v-1", "visit_id", write=True), NotFound)
