"""The scope rule (domain/access.py) and its checks in the use cases (service_layer/scope.py),
on the fake unit of work: whose clients a caller reaches, and that a write outside its reach
is refused before anything is written."""

from __future__ import annotations

import pytest

from fieldline_kit.errors import NotFound, PermissionDenied
from fieldline_kit.testing.helpers import new_id
from fieldline_settlements.domain.access import EVERYTHING, Caller, Reach, denied, hidden
from fieldline_settlements.domain.account import Reservation
from fieldline_settlements.domain.policy import Decision
from fieldline_settlements.service_layer import handlers, scope

from .conftest import CFG, CLIENT, NOW, OTHER_CLIENT, TODAY, d
from .fakes import FakeSettlementsUnitOfWork
from .test_access import payment
from .test_credit_use_cases import check

AGENT_A, AGENT_B, SUPERVISOR = "agent-a", "agent-b", "sup-a"


def caller(subject: str, *roles: str) -> Caller:
    return Caller.of(subject, roles)


# ------------------------------------------------------------------------------ the rule
class TestReach:
    @pytest.mark.parametrize("roles", [("ADMIN",), ("SERVICE",), ("AGENT", "ADMIN")])
    def test_admin_and_service_reach_the_whole_company(self, roles: tuple[str, ...]) -> None:
        reach = caller("x", *roles).reach(team=["ignored"])
        assert reach == EVERYTHING
        assert reach.covers([]) and reach.covers(["anyone"])
        assert not caller("x", *roles).leads_team

    # A teleseller's routes are its call lists (PHONE routes): the feed carries them as any.
    @pytest.mark.parametrize("role", ["AGENT", "VAN_SELLER", "TELESELLER"])
    def test_a_route_worker_reaches_the_clients_of_its_own_routes(self, role: str) -> None:
        a = caller(AGENT_A, role)
        assert not a.leads_team
        reach = a.reach(team=[AGENT_B])  # a team means nothing to an agent
        assert reach == Reach(False, frozenset({AGENT_A}))
        assert reach.covers([AGENT_A])
        assert reach.covers([AGENT_B, AGENT_A])  # a client on its route and another's
        assert not reach.covers([AGENT_B])
        assert not reach.covers([])  # on no route at all

    def test_a_supervisor_reaches_its_own_routes_and_its_teams(self) -> None:
        s = caller(SUPERVISOR, "SUPERVISOR")
        assert s.leads_team
        reach = s.reach(team=[AGENT_A])
        assert reach.agents == {SUPERVISOR, AGENT_A}
        assert reach.covers([AGENT_A]) and reach.covers([SUPERVISOR])
        assert not reach.covers([AGENT_B])
        assert s.reach().agents == {SUPERVISOR}  # no team (yet): its own routes only

    def test_an_agent_who_also_supervises_reaches_both(self) -> None:
        reach = caller(SUPERVISOR, "AGENT", "SUPERVISOR").reach(team=[AGENT_A])
        assert reach.agents == {SUPERVISOR, AGENT_A}

    @pytest.mark.parametrize(
        "roles", [("DISTRIBUTOR_MANAGER",), ("MERCHANDISER",), ("TECHNICIAN",), ()]
    )
    def test_the_other_roles_reach_no_client(self, roles: tuple[str, ...]) -> None:
        reach = caller(AGENT_A, *roles).reach(team=[AGENT_B])
        assert reach == Reach(False, frozenset())
        assert not reach.covers([AGENT_A]) and not reach.covers([AGENT_B])

    def test_a_read_outside_is_not_found_as_an_unknown_client_a_write_denied(self) -> None:
        assert hidden(CLIENT).message == f"client_id: client {CLIENT!r} not found"
        assert str(hidden(CLIENT)) == str(NotFound("client", CLIENT, "client_id"))
        assert denied("payment.client_id", f"client {CLIENT}").message == (
            f"payment.client_id: client {CLIENT} is outside your scope"
        )


# ----------------------------------------------------------------------- in the use cases
def feed(uow: FakeSettlementsUnitOfWork) -> None:
    """CLIENT on agent A's route, OTHER_CLIENT on agent B's; A is in the supervisor's team."""
    uow.feed_reads.routes[new_id()] = (AGENT_A, {CLIENT})
    uow.feed_reads.routes[new_id()] = (AGENT_B, {OTHER_CLIENT})
    uow.feed_reads.supervisors[AGENT_A] = SUPERVISOR


async def test_the_reach_of_a_supervisor_is_read_with_its_team() -> None:
    uow = FakeSettlementsUnitOfWork()
    feed(uow)
    async with uow:
        reach = await scope.reach_of(uow, caller(SUPERVISOR, "SUPERVISOR"))
        assert reach.agents == {SUPERVISOR, AGENT_A}
        assert await scope.outside(uow, reach, [CLIENT, OTHER_CLIENT]) == {OTHER_CLIENT}
        agent = await scope.reach_of(uow, caller(AGENT_B, "AGENT"))
        await scope.readable_client(uow, agent, OTHER_CLIENT)
        with pytest.raises(NotFound, match=r"^client_id: client .* not found$"):
            await scope.readable_client(uow, agent, CLIENT)
        with pytest.raises(PermissionDenied, match="is outside your scope"):
            await scope.writable_client(uow, agent, CLIENT)
        unknown = new_id()  # a client no route has: outside every employee's reach
        assert await scope.outside(uow, agent, [unknown]) == {unknown}
        assert await scope.outside(uow, EVERYTHING, [unknown]) == set()


async def test_a_payment_for_a_client_outside_the_reach_is_denied_and_writes_nothing() -> None:
    uow = FakeSettlementsUnitOfWork()
    feed(uow)
    b = Reach(False, frozenset({AGENT_B}))
    await uow.refused(
        PermissionDenied,
        handlers.record_payment,
        CFG,
        NOW,
        TODAY,
        payment("", AGENT_B, for_others=False),  # CLIENT's: agent A's
        b,
        match=r"^payment.client_id: client .* is outside your scope$",
    )
    a = Reach(False, frozenset({AGENT_A}))
    paid = await uow.run(
        handlers.record_payment, CFG, NOW, TODAY, payment("", AGENT_A, for_others=False), a
    )
    assert paid.client_id == CLIENT


async def test_a_check_outside_the_reach_is_denied_and_reserves_nothing() -> None:
    uow = FakeSettlementsUnitOfWork()
    feed(uow)
    mine, theirs = check("10.00", client_id=OTHER_CLIENT), check("10.00", client_id=CLIENT)
    b = Reach(False, frozenset({AGENT_B}))
    results = await uow.run(handlers.check_credit_batch, CFG, NOW, TODAY, [mine, theirs], b)
    assert isinstance(results[0], Decision)
    assert isinstance(results[1], PermissionDenied)
    assert results[1].message == f"client_id: client {CLIENT} is outside your scope"
    assert {r.client_id for r in uow.reservations.rows.values()} == {OTHER_CLIENT}


async def test_a_release_of_a_reservation_outside_the_reach_is_denied() -> None:
    uow = FakeSettlementsUnitOfWork()
    feed(uow)
    order = new_id()
    uow.reservations.rows[order] = Reservation(order, CLIENT, d("10.00"), "ORDER_SUBMIT", NOW, NOW)
    b = Reach(False, frozenset({AGENT_B}))
    await uow.refused(
        PermissionDenied,
        handlers.release_credit,
        CFG,
        NOW,
        TODAY,
        order,
        b,
        match=r"^order_id: order .* outside",
    )
    # An order that holds no reservation: nothing to release, nothing to protect.
    assert await uow.run(handlers.release_credit, CFG, NOW, TODAY, new_id(), b) is False
    a = Reach(False, frozenset({AGENT_A}))
    assert await uow.run(handlers.release_credit, CFG, NOW, TODAY, order, a) is True
