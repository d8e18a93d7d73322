"""Census proposals: new outlets and card changes, decided by a supervisor."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fieldline_clients.domain import events
from fieldline_clients.domain.fieldwork import Proposal, ProposalKind, ProposalStatus
from fieldline_clients.domain.model import (
    Employee,
    FieldChange,
    Outlet,
    OutletCard,
    OutletStatus,
    Role,
)
from fieldline_clients.domain.values import Location
from fieldline_kit.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from fieldline_kit.testing.helpers import new_id

PROPOSED = datetime(2024, 5, 15, 11, 0, tzinfo=UTC)
DECIDED = PROPOSED + timedelta(days=1)


@pytest.fixture
def pending_outlet(agent: Employee) -> Outlet:
    card = OutletCard(name="Киоск у метро", location=Location(55.76, 37.62))
    outlet = Outlet.create(new_id(), new_id(), card, "", agent.id, PROPOSED, OutletStatus.PENDING)
    outlet.events.clear()
    outlet.new_history.clear()
    return outlet


@pytest.fixture
def new_outlet_proposal(agent: Employee, pending_outlet: Outlet) -> Proposal:
    return Proposal.new_outlet(new_id(), agent, pending_outlet, PROPOSED)


def propose_card(agent: Employee, outlet: Outlet, mask: list[str], **card_fields: Any) -> Proposal:
    card = OutletCard(**{"name": outlet.card.name, **card_fields})
    return Proposal.card_change(new_id(), agent, outlet, card, mask, PROPOSED)


# ----------------------------------------------------------------------------- new outlet
class TestNewOutletProposal:
    def test_propose(self, agent: Employee, pending_outlet: Outlet) -> None:
        raw = uuid.uuid4()
        proposal = Proposal.new_outlet(str(raw).upper(), agent, pending_outlet, PROPOSED)
        assert proposal.id == str(raw)
        assert proposal.kind is ProposalKind.NEW_OUTLET
        assert proposal.status is ProposalStatus.PENDING
        assert proposal.proposed_by == agent.id
        assert proposal.outlet_id == pending_outlet.id
        assert proposal.client_id == pending_outlet.client_id
        assert proposal.card == pending_outlet.card
        assert proposal.fields == ()
        assert proposal.created_at == PROPOSED
        assert (proposal.decided_by, proposal.decision_reason, proposal.decided_at) == (
            "",
            "",
            None,
        )
        assert proposal.version == 1
        assert proposal.events == []

    @pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.DISTRIBUTOR_MANAGER])
    def test_proposer_needs_a_field_role(
        self, make_employee: Callable[..., Employee], pending_outlet: Outlet, role: Role
    ) -> None:
        with pytest.raises(PermissionDenied):
            Proposal.new_outlet(new_id(), make_employee(role), pending_outlet, PROPOSED)

    def test_id_must_be_a_uuid(self, agent: Employee, pending_outlet: Outlet) -> None:
        with pytest.raises(InvalidArgument) as err:
            Proposal.new_outlet("p-1", agent, pending_outlet, PROPOSED)
        assert err.value.field == "proposal_id"

    def test_approve_activates_the_outlet(
        self, new_outlet_proposal: Proposal, supervisor: Employee, pending_outlet: Outlet
    ) -> None:
        new_outlet_proposal.decide(True, supervisor, "", pending_outlet, DECIDED)
        assert pending_outlet.status is OutletStatus.ACTIVE
        assert pending_outlet.version == 2
        [outlet_event] = pending_outlet.events
        assert isinstance(outlet_event, events.OutletChanged)
        assert outlet_event.changed_fields == ("status",)
        assert outlet_event.changed_by == supervisor.id
        p = new_outlet_proposal
        assert p.status is ProposalStatus.APPROVED
        assert (p.decided_by, p.decision_reason, p.decided_at) == (supervisor.id, "", DECIDED)
        assert p.version == 2
        [event] = p.events
        assert isinstance(event, events.CensusDecided)
        assert event.proposal == p
        assert event.proposal.events == []

    def test_reject_rejects_the_outlet(
        self, new_outlet_proposal: Proposal, supervisor: Employee, pending_outlet: Outlet
    ) -> None:
        new_outlet_proposal.decide(False, supervisor, " duplicate ", pending_outlet, DECIDED)
        assert pending_outlet.status is OutletStatus.REJECTED
        assert new_outlet_proposal.status is ProposalStatus.REJECTED
        assert new_outlet_proposal.decision_reason == "duplicate"
        assert len(new_outlet_proposal.events) == 1


# ---------------------------------------------------------------------------- card change
class TestCardChangeProposal:
    def test_propose(self, agent: Employee, outlet: Outlet) -> None:
        proposal = propose_card(agent, outlet, ["address"], address="Арбат, 2")
        assert proposal.kind is ProposalKind.CARD_CHANGE
        assert proposal.status is ProposalStatus.PENDING
        assert proposal.fields == ("address",)
        assert proposal.card.address == "Арбат, 2"
        assert (proposal.outlet_id, proposal.client_id) == (outlet.id, outlet.client_id)
        assert outlet.card.address == "Тверская, 1"  # nothing applied yet
        assert outlet.version == 1

    def test_proposing_changes_nothing(self, agent: Employee, outlet: Outlet) -> None:
        with pytest.raises(InvalidArgument) as err:
            propose_card(agent, outlet, ["address"], address=" Тверская, 1 ")
        assert err.value.field == "card"
        assert "changes nothing" in err.value.problem

    def test_unknown_mask_path(self, agent: Employee, outlet: Outlet) -> None:
        with pytest.raises(InvalidArgument) as err:
            propose_card(agent, outlet, ["status"])
        assert err.value.field == "update_mask"

    def test_invalid_card(self, agent: Employee, outlet: Outlet) -> None:
        with pytest.raises(InvalidArgument) as err:
            propose_card(agent, outlet, ["channel"], channel="x" * 101)
        assert err.value.field == "card.channel"

    @pytest.mark.parametrize(
        "status", [OutletStatus.PENDING, OutletStatus.CLOSED, OutletStatus.REJECTED]
    )
    def test_only_active_outlets(
        self, agent: Employee, make_outlet: Callable[..., Outlet], status: OutletStatus
    ) -> None:
        with pytest.raises(FailedPrecondition) as err:
            propose_card(agent, make_outlet(status=status), ["address"], address="Арбат, 2")
        assert status.name in err.value.message

    def test_proposer_needs_a_field_role(
        self, make_employee: Callable[..., Employee], outlet: Outlet
    ) -> None:
        with pytest.raises(PermissionDenied):
            propose_card(make_employee(Role.TECHNICIAN), outlet, ["address"], address="Арбат, 2")

    def test_approve_applies_only_the_proposed_fields_onto_the_current_card(
        self, agent: Employee, supervisor: Employee, outlet: Outlet
    ) -> None:
        proposal = propose_card(
            agent, outlet, ["address"], address="Арбат, 2", channel="not proposed"
        )
        # Someone renames the outlet after the proposal was made.
        outlet.update_card(OutletCard(name="Ромашка-2"), ["name"], 1, supervisor.id, PROPOSED)
        outlet.events.clear()
        outlet.new_history.clear()

        proposal.decide(True, supervisor, "", outlet, DECIDED)

        assert outlet.card.name == "Ромашка-2"  # the later change survives
        assert outlet.card.address == "Арбат, 2"
        assert outlet.card.channel == ""
        assert outlet.version == 3
        [entry] = outlet.new_history
        assert entry.proposal_id == proposal.id
        assert entry.changed_by == agent.id  # the proposer made the change
        assert entry.changed_at == DECIDED
        assert entry.version == 3
        assert entry.changes == (FieldChange("address", '"Тверская, 1"', '"Арбат, 2"'),)
        [outlet_event] = outlet.events
        assert isinstance(outlet_event, events.OutletChanged)
        assert outlet_event.changed_fields == ("address",)
        assert proposal.status is ProposalStatus.APPROVED
        assert [type(e) for e in proposal.events] == [events.CensusDecided]

    def test_approve_a_custom_attribute(
        self, agent: Employee, supervisor: Employee, make_outlet: Callable[..., Outlet]
    ) -> None:
        outlet = make_outlet(
            OutletCard(name="Ромашка", custom_attributes={"fridge": "no", "floor": "1"})
        )
        proposal = propose_card(
            agent, outlet, ["custom_attributes.fridge"], custom_attributes={"fridge": "yes"}
        )
        proposal.decide(True, supervisor, "", outlet, DECIDED)
        assert outlet.card.custom_attributes == {"fridge": "yes", "floor": "1"}

    def test_approve_after_the_change_already_happened(
        self, agent: Employee, supervisor: Employee, outlet: Outlet
    ) -> None:
        proposal = propose_card(agent, outlet, ["address"], address="Арбат, 2")
        outlet.update_card(OutletCard(name="x", address="Арбат, 2"), ["address"], 1, "a", PROPOSED)
        outlet.new_history.clear()
        proposal.decide(True, supervisor, "", outlet, DECIDED)
        assert proposal.status is ProposalStatus.APPROVED
        assert outlet.version == 2
        assert outlet.new_history == []

    def test_reject_leaves_the_outlet_alone(
        self, agent: Employee, supervisor: Employee, outlet: Outlet
    ) -> None:
        proposal = propose_card(agent, outlet, ["address"], address="Арбат, 2")
        before = outlet.snapshot()
        proposal.decide(False, supervisor, "wrong address", outlet, DECIDED)
        assert outlet == before
        assert outlet.events == []
        assert outlet.new_history == []
        assert proposal.status is ProposalStatus.REJECTED
        assert proposal.decision_reason == "wrong address"


# -------------------------------------------------------------------------------- deciding
class TestDecide:
    @pytest.mark.parametrize(
        "role", [Role.AGENT, Role.VAN_SELLER, Role.MERCHANDISER, Role.TECHNICIAN]
    )
    def test_only_supervisors_decide(
        self,
        new_outlet_proposal: Proposal,
        make_employee: Callable[..., Employee],
        pending_outlet: Outlet,
        role: Role,
    ) -> None:
        with pytest.raises(PermissionDenied) as err:
            new_outlet_proposal.decide(True, make_employee(role), "", pending_outlet, DECIDED)
        assert "SUPERVISOR" in err.value.message
        assert new_outlet_proposal.status is ProposalStatus.PENDING
        assert pending_outlet.status is OutletStatus.PENDING

    def test_inactive_supervisor_cannot_decide(
        self,
        new_outlet_proposal: Proposal,
        make_employee: Callable[..., Employee],
        pending_outlet: Outlet,
    ) -> None:
        former = make_employee(Role.SUPERVISOR, active=False)
        with pytest.raises(PermissionDenied):
            new_outlet_proposal.decide(True, former, "", pending_outlet, DECIDED)

    @pytest.mark.parametrize("reason", ["", "   "])
    def test_reject_needs_a_reason(
        self,
        new_outlet_proposal: Proposal,
        supervisor: Employee,
        pending_outlet: Outlet,
        reason: str,
    ) -> None:
        with pytest.raises(InvalidArgument) as err:
            new_outlet_proposal.decide(False, supervisor, reason, pending_outlet, DECIDED)
        assert err.value.field == "reason"
        assert new_outlet_proposal.status is ProposalStatus.PENDING
        assert pending_outlet.status is OutletStatus.PENDING

    def test_reason_is_limited(
        self, new_outlet_proposal: Proposal, supervisor: Employee, pending_outlet: Outlet
    ) -> None:
        with pytest.raises(InvalidArgument) as err:
            new_outlet_proposal.decide(True, supervisor, "r" * 1001, pending_outlet, DECIDED)
        assert err.value.field == "reason"

    def test_approve_may_carry_a_reason(
        self, new_outlet_proposal: Proposal, supervisor: Employee, pending_outlet: Outlet
    ) -> None:
        new_outlet_proposal.decide(True, supervisor, "checked on site", pending_outlet, DECIDED)
        assert new_outlet_proposal.decision_reason == "checked on site"

    @pytest.mark.parametrize(("first", "second"), [(True, False), (False, True)])
    def test_a_different_second_decision_is_refused(
        self,
        new_outlet_proposal: Proposal,
        supervisor: Employee,
        pending_outlet: Outlet,
        first: bool,
        second: bool,
    ) -> None:
        new_outlet_proposal.decide(first, supervisor, "because", pending_outlet, DECIDED)
        status = pending_outlet.status
        with pytest.raises(FailedPrecondition) as err:
            new_outlet_proposal.decide(second, supervisor, "because", pending_outlet, DECIDED)
        decided = "APPROVED" if first else "REJECTED"
        wanted = "REJECTED" if first else "APPROVED"
        assert decided in err.value.message
        assert wanted in err.value.message
        assert pending_outlet.status is status
        assert len(new_outlet_proposal.events) == 1

    def test_same_decision_by_another_supervisor_is_refused(
        self,
        new_outlet_proposal: Proposal,
        supervisor: Employee,
        make_employee: Callable[..., Employee],
        pending_outlet: Outlet,
    ) -> None:
        new_outlet_proposal.decide(True, supervisor, "", pending_outlet, DECIDED)
        with pytest.raises(FailedPrecondition):
            new_outlet_proposal.decide(
                True, make_employee(Role.SUPERVISOR), "", pending_outlet, DECIDED
            )
        assert new_outlet_proposal.decided_by == supervisor.id

    @pytest.mark.parametrize("approve", [True, False])
    def test_same_decision_again_is_a_retry(
        self,
        new_outlet_proposal: Proposal,
        supervisor: Employee,
        pending_outlet: Outlet,
        approve: bool,
    ) -> None:
        new_outlet_proposal.decide(approve, supervisor, "because", pending_outlet, DECIDED)
        proposal_before = new_outlet_proposal.snapshot()
        outlet_before = pending_outlet.snapshot()
        later = DECIDED + timedelta(minutes=1)
        new_outlet_proposal.decide(approve, supervisor, "", pending_outlet, later)
        assert new_outlet_proposal == proposal_before
        assert pending_outlet == outlet_before
        assert len(new_outlet_proposal.events) == 1
        assert len(pending_outlet.events) == 1

    def test_retried_card_change_approval_applies_once(
        self, agent: Employee, supervisor: Employee, outlet: Outlet
    ) -> None:
        proposal = propose_card(agent, outlet, ["address"], address="Арбат, 2")
        proposal.decide(True, supervisor, "", outlet, DECIDED)
        proposal.decide(True, supervisor, "", outlet, DECIDED)
        assert outlet.version == 2
        assert len(outlet.new_history) == 1
        assert proposal.version == 2
