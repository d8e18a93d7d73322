"""An employee's token counts as far as the clients feed's latest word on the employee — the
call's own token and the users' tokens a credit check carries (`actor_token`) alike.

Settlements runs as `serve` runs it, its `settlements-clients-feed` consumer reading real
clients' events from JetStream: a dismissal or a removed role refuses the very token that
worked a moment before, within the documented staleness (the event's trip plus the directory's
one-second cache); an employee the feed has not reported is taken at the token's word
(docs/architecture/identity.md).
"""

from __future__ import annotations

import asyncio

import grpc

from fieldline.clients.v1 import resources_pb2 as cres
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline.settlements.v1 import settlements_service_pb2_grpc as ss_grpc
from fieldline_kit.auth.directory import DIRECTORY_TTL_SECONDS
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.helpers import eventually, expect_error, new_id, refused_within

from .builders import blocked_client, check_request
from .conftest import Harness

# The event's trip through clients' outbox relay is not part of this test (it is published
# directly): the bound is the cache's TTL plus the consumer's delivery and a margin.
BOUND_SECONDS = DIRECTORY_TTL_SECONDS + 2.0


async def test_a_dismissed_employees_token_is_refused_within_the_staleness(svc: Harness) -> None:
    employee, client, outlet, route = new_id(), new_id(), new_id(), new_id()
    await svc.wait_fed(
        await svc.outlet(outlet, client, 1), await svc.assignment(route, outlet, employee, 1)
    )
    agent = svc.stub(ss_grpc.SettlementsServiceStub, as_=Caller(employee, {"AGENT"}))
    balance = lambda: agent.GetBalance(ss.GetBalanceRequest(client_id=client))  # noqa: E731
    await balance()  # not reported by the feed yet: the token's word
    await svc.wait_fed(await svc.employee(employee, [cres.ROLE_AGENT], 1))
    await balance()

    await svc.employee(employee, [cres.ROLE_AGENT], 2, active=False)
    await refused_within(balance, grpc.StatusCode.UNAUTHENTICATED, BOUND_SECONDS)
    await expect_error(balance(), grpc.StatusCode.UNAUTHENTICATED, "is not active")
    # A late, older event does not bring the employee back.
    await svc.wait_fed(await svc.employee(employee, [cres.ROLE_AGENT], 1))
    await asyncio.sleep(DIRECTORY_TTL_SECONDS)
    await expect_error(balance(), grpc.StatusCode.UNAUTHENTICATED, "is not active")


async def test_a_checks_actor_token_goes_through_the_directory_too(svc: Harness) -> None:
    """The orders service's batch (its own token, company-wide) carries the supervisor's token:
    the override is theirs while they hold the role, gone when clients removes it, and their
    token is refused once they are dismissed — only that check, the batch goes on."""
    supervisor, client = new_id(), await blocked_client(svc)
    token = svc.tokens.mint(supervisor, roles=["SUPERVISOR"])

    async def batch() -> list[ss.CheckCreditResult]:
        mine = check_request(client, "50.00", reason="pays on Friday")
        mine.actor_token = token
        other = check_request(client, "0.00")  # no override asked: ALLOW (nothing over)
        response = await svc.orders.CheckCreditBatch(
            ss.CheckCreditBatchRequest(checks=[mine, other])
        )
        return list(response.results)

    async def outcome() -> int | str:
        first, second = await batch()
        assert second.WhichOneof("result") == "decision", second
        return first.decision.outcome if first.HasField("decision") else first.error.code

    await svc.wait_fed(await svc.employee(supervisor, [cres.ROLE_SUPERVISOR], 1))
    assert await outcome() == ss.CREDIT_OUTCOME_OVERRIDDEN

    # Clients takes the role away: the same token overrides nothing any more.
    await svc.employee(supervisor, [cres.ROLE_AGENT], 2)

    async def blocked() -> bool:
        return await outcome() == ss.CREDIT_OUTCOME_BLOCK

    await eventually(blocked, within=BOUND_SECONDS, what="role removed")
    (first, _) = await batch()
    assert "has none of the override roles" in first.decision.reasons[-1].message

    # Dismissed: the check carrying the token is refused (UNAUTHENTICATED), the others judged.
    await svc.employee(supervisor, [cres.ROLE_AGENT], 3, active=False)

    async def unauthenticated() -> bool:
        return await outcome() == "UNAUTHENTICATED"

    await eventually(unauthenticated, within=BOUND_SECONDS, what="dismissal")
    (first, _) = await batch()
    assert first.error.message == f"actor_token: employee {supervisor!r} is not active"
