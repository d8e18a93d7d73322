"""GrpcCreditChecker against a stand-in settlements server: tokens, deadline, fallback, errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal

import grpc
import pytest
import pytest_asyncio

from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline.settlements.v1 import settlements_service_pb2_grpc as ss_grpc
from fieldline_kit.errors import InvalidArgument, PermissionDenied, Unauthenticated, Unavailable
from fieldline_kit.testing.helpers import closed_port, new_id
from fieldline_orders.adapters.settlements_client import GrpcCreditChecker
from fieldline_orders.domain.orders import CreditOutcome, CreditRequest, Stage

USER_TOKEN = "the.users.token"
SERVICE_TOKEN = "orders.service.token"


def authorization(context: grpc.aio.ServicerContext) -> str:
    return next((v for k, v in context.invocation_metadata() or () if k == "authorization"), "")


class StandIn(ss_grpc.SettlementsServiceServicer):
    def __init__(self) -> None:
        self.behaviour = "allow"
        self.requests: list[ss.CheckCreditRequest] = []
        self.calls: list[tuple[str, str]] = []  # (method, the call's authorization)

    async def CheckCredit(
        self, request: ss.CheckCreditRequest, context: grpc.aio.ServicerContext
    ) -> ss.CheckCreditResponse:
        self.calls.append(("CheckCredit", authorization(context)))
        self.requests.append(request)
        if self.behaviour == "slow":
            await asyncio.sleep(2)
        if self.behaviour == "invalid":
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "amount: must be RUB")
        if self.behaviour == "internal":
            await context.abort(grpc.StatusCode.INTERNAL, "boom")
        if self.behaviour == "denied":
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, "no role admitted")
        if self.behaviour == "overridden":
            return ss.CheckCreditResponse(
                outcome=ss.CREDIT_OUTCOME_OVERRIDDEN,
                reasons=[ss.CreditReason(code=ss.CREDIT_REASON_CODE_OVERDUE, message="")],
            )
        return ss.CheckCreditResponse(
            outcome=ss.CREDIT_OUTCOME_WARN,
            reasons=[ss.CreditReason(code=ss.CREDIT_REASON_CODE_OVER_LIMIT, message="over by 5")],
        )

    async def CheckCreditBatch(
        self, request: ss.CheckCreditBatchRequest, context: grpc.aio.ServicerContext
    ) -> ss.CheckCreditBatchResponse:
        """Answers each check as CheckCredit would; a client id "refuse" gets an error item."""
        self.calls.append(("CheckCreditBatch", authorization(context)))
        if self.behaviour == "denied":
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, "no role admitted")
        if self.behaviour in ("slow", "internal"):
            return ss.CheckCreditBatchResponse(
                results=[
                    ss.CheckCreditResult(decision=await self.CheckCredit(c, context))
                    for c in request.checks
                ]
            )
        results = []
        for i, check in enumerate(request.checks):
            self.requests.append(check)
            if check.client_id == "refuse":
                error = ss.CheckCreditError(
                    code="INVALID_ARGUMENT", message=f"checks[{i}].amount: must be RUB"
                )
                results.append(ss.CheckCreditResult(error=error))
            elif check.client_id == "fail":
                error = ss.CheckCreditError(code="INTERNAL", message="boom")
                results.append(ss.CheckCreditResult(error=error))
            elif check.client_id == "expired":
                error = ss.CheckCreditError(
                    code="UNAUTHENTICATED", message="actor_token: token has expired"
                )
                results.append(ss.CheckCreditResult(error=error))
            else:
                outcome = ss.CREDIT_OUTCOME_ALLOW if i % 2 == 0 else ss.CREDIT_OUTCOME_BLOCK
                results.append(
                    ss.CheckCreditResult(decision=ss.CheckCreditResponse(outcome=outcome))
                )
        return ss.CheckCreditBatchResponse(results=results)

    async def ReleaseCredit(
        self, request: ss.ReleaseCreditRequest, context: grpc.aio.ServicerContext
    ) -> ss.ReleaseCreditResponse:
        self.calls.append(("ReleaseCredit", authorization(context)))
        return ss.ReleaseCreditResponse(released=True)


@pytest_asyncio.fixture(scope="module")
async def stand_in() -> AsyncIterator[tuple[StandIn, str]]:
    server = grpc.aio.server()
    servicer = StandIn()
    ss_grpc.add_SettlementsServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield servicer, f"127.0.0.1:{port}"
    await server.stop(0)


def request(override: str = "", client_id: str = "", token: str = USER_TOKEN) -> CreditRequest:
    return CreditRequest(
        order_id=new_id(),
        client_id=client_id or new_id(),
        amount=Decimal("1234.56"),
        currency_code="RUB",
        stage=Stage.VAN_SALE,
        actor_id=new_id(),
        override_reason=override,
        as_of=date(2024, 5, 15),
        actor_token=token,
    )


async def test_the_request_and_the_decision(stand_in: tuple[StandIn, str]) -> None:
    servicer, target = stand_in
    servicer.behaviour = "allow"
    checker = GrpcCreditChecker(target, timeout=1.0)
    try:
        r = request()
        decision = await checker.check(r)
        sent = servicer.requests[-1]
        assert (sent.order_id, sent.client_id, sent.stage) == (
            r.order_id,
            r.client_id,
            spb.STAGE_VAN_SALE,
        )
        assert (sent.amount.units, sent.amount.nanos, sent.amount.currency_code) == (
            1234,
            560_000_000,
            "RUB",
        )
        # Who asks is the call's token (the user's, forwarded), never the body.
        assert sent.actor_token == ""  # the body names no actor (its old fields are reserved)
        assert servicer.calls[-1] == ("CheckCredit", f"Bearer {USER_TOKEN}")
        assert (sent.as_of.year, sent.as_of.month, sent.as_of.day) == (2024, 5, 15)
        assert sent.request_id
        assert (decision.outcome, decision.reasons, decision.fallback) == (
            CreditOutcome.WARN,
            ("over by 5",),
            False,
        )
        servicer.behaviour = "overridden"
        o = request("согласовано")
        overridden = await checker.check(o)
        assert overridden.outcome is CreditOutcome.OVERRIDDEN
        assert (overridden.override_by, overridden.override_reason) == (o.actor_id, "согласовано")
        assert overridden.reasons == ("overdue",)
        # a re-check is a new request (never answered from a stored response)
        assert servicer.requests[-1].request_id != sent.request_id
    finally:
        await checker.close()


@pytest.mark.parametrize(
    ("fallback", "outcome"), [("block", CreditOutcome.BLOCK), ("allow", CreditOutcome.WARN)]
)
async def test_deadline_exceeded_falls_back(
    stand_in: tuple[StandIn, str], fallback: str, outcome: CreditOutcome
) -> None:
    servicer, target = stand_in
    servicer.behaviour = "slow"
    checker = GrpcCreditChecker(target, timeout=0.2, fallback=fallback)
    try:
        decision = await checker.check(request())
    finally:
        await checker.close()
    assert (decision.outcome, decision.fallback, decision.reasons) == (
        outcome,
        True,
        ("settlements unavailable",),
    )


async def test_unreachable_falls_back_to_block_by_default() -> None:
    checker = GrpcCreditChecker(f"127.0.0.1:{closed_port()}", timeout=1.0)
    try:
        decision = await checker.check(request())
    finally:
        await checker.close()
    assert (decision.outcome, decision.fallback) == (CreditOutcome.BLOCK, True)


async def test_other_errors_are_errors(stand_in: tuple[StandIn, str]) -> None:
    servicer, target = stand_in
    checker = GrpcCreditChecker(target, timeout=1.0)
    try:
        servicer.behaviour = "invalid"
        with pytest.raises(InvalidArgument, match="amount: must be RUB"):
            await checker.check(request())
        servicer.behaviour = "internal"
        with pytest.raises(Unavailable, match="INTERNAL"):
            await checker.check(request())
    finally:
        await checker.close()


async def test_many_checks_in_one_call_each_with_its_own_answer(
    stand_in: tuple[StandIn, str],
) -> None:
    servicer, target = stand_in
    servicer.behaviour = "allow"
    checker = GrpcCreditChecker(target, timeout=1.0)
    try:
        asked = [request(), request(client_id="refuse"), request(), request(client_id="fail")]
        answers = await checker.check_many(asked)
        assert await checker.check_many([]) == []
    finally:
        await checker.close()
    assert [c.order_id for c in servicer.requests[-4:]] == [r.order_id for r in asked]
    first, refused, third, failed = answers
    assert not isinstance(first, Exception) and first.outcome is CreditOutcome.ALLOW
    assert not isinstance(third, Exception) and third.outcome is CreditOutcome.ALLOW
    assert isinstance(refused, InvalidArgument) and "checks[1].amount" in str(refused)
    assert isinstance(failed, Unavailable) and "INTERNAL" in str(failed)


@pytest.mark.parametrize(
    ("fallback", "outcome"), [("block", CreditOutcome.BLOCK), ("allow", CreditOutcome.WARN)]
)
async def test_many_checks_fall_back_together(
    stand_in: tuple[StandIn, str], fallback: str, outcome: CreditOutcome
) -> None:
    servicer, target = stand_in
    servicer.behaviour = "slow"
    checker = GrpcCreditChecker(target, timeout=0.2, fallback=fallback)
    try:
        answers = await checker.check_many([request(), request()])
    finally:
        await checker.close()
    for answer in answers:
        assert not isinstance(answer, Exception)
        assert (answer.outcome, answer.fallback) == (outcome, True)
    unreachable = GrpcCreditChecker(f"127.0.0.1:{closed_port()}", timeout=1.0)
    try:
        [answer] = await unreachable.check_many([request()])
    finally:
        await unreachable.close()
    assert not isinstance(answer, Exception)
    assert (answer.outcome, answer.fallback) == (CreditOutcome.BLOCK, True)


async def test_a_failed_batch_call_is_an_error(stand_in: tuple[StandIn, str]) -> None:
    servicer, target = stand_in
    servicer.behaviour = "internal"
    checker = GrpcCreditChecker(target, timeout=1.0)
    try:
        with pytest.raises(Unavailable, match="INTERNAL"):
            await checker.check_many([request()])
    finally:
        await checker.close()


def test_bad_fallback_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="block"):
        GrpcCreditChecker("x:1", timeout=1.0, fallback="sometimes")


async def test_decisions_are_dated_by_the_injected_clock(stand_in: tuple[StandIn, str]) -> None:
    servicer, target = stand_in
    servicer.behaviour = "allow"
    at = datetime(2024, 5, 13, 6, 0, tzinfo=UTC)
    checker = GrpcCreditChecker(target, timeout=1.0, clock=lambda: at)
    unreachable = GrpcCreditChecker(f"127.0.0.1:{closed_port()}", timeout=1.0, clock=lambda: at)
    try:
        decided = await checker.check(request())
        [batched] = await checker.check_many([request()])
        fallen_back = await unreachable.check(request())
    finally:
        await checker.close()
        await unreachable.close()
    assert not isinstance(batched, Exception)
    assert decided.decided_at == batched.decided_at == fallen_back.decided_at == at


async def test_a_batch_goes_as_orders_each_check_with_its_users_token(
    stand_in: tuple[StandIn, str],
) -> None:
    servicer, target = stand_in
    servicer.behaviour = "allow"
    checker = GrpcCreditChecker(target, timeout=1.0, service_token=lambda: SERVICE_TOKEN)
    try:
        mine, theirs, nobodys = request(), request(token="another.users.token"), request(token="")
        await checker.check_many([mine, theirs, nobodys])
        assert servicer.calls[-1] == ("CheckCreditBatch", f"Bearer {SERVICE_TOKEN}")
        sent = servicer.requests[-3:]
        assert [c.actor_token for c in sent] == [USER_TOKEN, "another.users.token", ""]
        assert all(not c.request_id for c in sent)  # no actor in the body: its fields are gone
        # A single check without a user, and releases: as the user if there is one, else orders.
        await checker.check(nobodys)
        assert servicer.calls[-1] == ("CheckCredit", f"Bearer {SERVICE_TOKEN}")
        assert await checker.release(mine.order_id, USER_TOKEN)
        assert servicer.calls[-1] == ("ReleaseCredit", f"Bearer {USER_TOKEN}")
        assert await checker.release(mine.order_id)
        assert servicer.calls[-1] == ("ReleaseCredit", f"Bearer {SERVICE_TOKEN}")
    finally:
        await checker.close()


async def test_refused_tokens_are_errors_never_fallbacks(stand_in: tuple[StandIn, str]) -> None:
    servicer, target = stand_in
    checker = GrpcCreditChecker(target, timeout=1.0, service_token=lambda: SERVICE_TOKEN)
    try:
        servicer.behaviour = "allow"  # the user's token refused: that check's caller's error
        [expired] = await checker.check_many([request(client_id="expired")])
        assert isinstance(expired, Unauthenticated) and "expired" in str(expired)
        servicer.behaviour = "denied"  # orders' own identity refused: a configuration error
        with pytest.raises(Unavailable, match="identity"):
            await checker.check_many([request()])
        # A single check goes as the user: a refusal is the user's.
        with pytest.raises(PermissionDenied, match="no role admitted"):
            await checker.check(request())
    finally:
        await checker.close()
