"""Every call authenticated, every actor from a verified token (issue 11), over real gRPC.

The service runs as `serve` runs it with auth on (the kit's harness: the test process's
issuer). Table-driven over every RPC of the API (from its descriptor): no token, and every kind
of bad token, is UNAUTHENTICATED; each role outside an RPC's rule is PERMISSION_DENIED and
writes nothing; the roles inside are let through. Then what the tokens decide: who may
override a BLOCK (the verified user only — a body naming roles changes nothing), who recorded a
payment and who collected it, who changed a limit, a policy, a deposit.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import grpc
import pytest
from google.protobuf import message_factory
from google.protobuf.message import Message
from sqlalchemy import text

from fieldline.settlements.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline.settlements.v1 import settlements_service_pb2_grpc as ss_grpc
from fieldline_kit.testing.auth import Caller, bad_tokens, process_tokens
from fieldline_kit.testing.helpers import expect_error, new_id
from fieldline_settlements.entrypoints.policy import POLICY

from .builders import actor_token, blocked_client, check_request, rub, set_limit, snapshot
from .conftest import Harness

API = ss.DESCRIPTOR.services_by_name["SettlementsService"]
METHODS = {m.name: m for m in API.methods}
ROLES = (
    "AGENT",
    "VAN_SELLER",
    "MERCHANDISER",
    "SUPERVISOR",
    "DISTRIBUTOR_MANAGER",
    "TECHNICIAN",
    "TELESELLER",
    "ADMIN",
    "SERVICE",
)
UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED
DENIED = grpc.StatusCode.PERMISSION_DENIED
CLIENT = new_id()
# An employee of the team of "supervisor-1" (whose cash that supervisor receives).
TEAM_MEMBER = new_id()


def valid_request(name: str) -> Message:
    """A request the RPC would carry out (so that only admission can refuse it)."""
    today = date.today()
    d = {"year": today.year, "month": today.month, "day": today.day}
    requests: dict[str, Message] = {
        "RecordInvoice": ss.RecordInvoiceRequest(
            request_id=new_id(),
            invoice=pb.Invoice(id=new_id(), client_id=CLIENT, issue_date=d, amount=rub("10.00")),
        ),
        "RecordPayment": ss.RecordPaymentRequest(  # cash: an employee records no other
            request_id=new_id(),
            payment=pb.Payment(
                id=new_id(),
                kind=pb.PAYMENT_KIND_CASH,
                client_id=CLIENT,
                date=d,
                amount=rub("10.00"),
                receipt_number="R-1",
            ),
        ),
        "ListInvoices": ss.ListInvoicesRequest(client_id=CLIENT),
        "ListPayments": ss.ListPaymentsRequest(client_id=CLIENT),
        "RecordCashHandover": ss.RecordCashHandoverRequest(
            request_id=new_id(),
            handover=pb.CashHandover(
                id=new_id(), employee_id=TEAM_MEMBER, date=d, counted=rub("10.00")
            ),
        ),
        "GetCashOnHand": ss.GetCashOnHandRequest(),
        "ListTareMovements": ss.ListTareMovementsRequest(client_id=CLIENT),
        "RecordTareDocuments": ss.RecordTareDocumentsRequest(
            request_id=new_id(),
            documents=[
                ss.TareDocument(
                    document_id=new_id(),
                    date=d,
                    client_id=CLIENT,
                    lines=[
                        ss.TareDocumentLine(
                            container_type="keg-50",
                            direction=pb.TARE_DIRECTION_ISSUED,
                            quantity="1",
                        )
                    ],
                )
            ],
        ),
        "ListCashHandovers": ss.ListCashHandoversRequest(),
        "GetBalance": ss.GetBalanceRequest(client_id=CLIENT),
        "GetStatement": ss.GetStatementRequest(client_id=CLIENT),
        "GetAgingReport": ss.GetAgingReportRequest(),
        "GetTareBalance": ss.GetTareBalanceRequest(client_id=CLIENT),
        "SetContainerDeposit": ss.SetContainerDepositRequest(
            request_id=new_id(), container_type="keg-50", deposit=rub("1500.00")
        ),
        "RecordTareCounts": ss.RecordTareCountsRequest(
            request_id=new_id(),
            document_id="COUNT-1",
            count_date=d,
            counts=[ss.TareCount(client_id=CLIENT, container_type="keg-50", quantity="2")],
        ),
        "SetCreditLimit": ss.SetCreditLimitRequest(
            request_id=new_id(), client_id=CLIENT, limit=rub("1000.00")
        ),
        "SetDebtPolicy": ss.SetDebtPolicyRequest(
            request_id=new_id(),
            policy=pb.DebtPolicy(
                client_id=CLIENT,
                mode=pb.DEBT_POLICY_MODE_WARN,
                max_overdue_days=10,
                stages=[pb.STAGE_ORDER_SUBMIT],
            ),
        ),
        "GetDebtPolicy": ss.GetDebtPolicyRequest(client_id=CLIENT),
        "CheckCredit": check_request(CLIENT, "5.00"),
        "CheckCreditBatch": ss.CheckCreditBatchRequest(checks=[check_request(CLIENT, "5.00")]),
        "ReleaseCredit": ss.ReleaseCreditRequest(request_id=new_id(), order_id=new_id()),
        "GetCreditStanding": ss.GetCreditStandingRequest(client_id=CLIENT),
        "ListBalances": ss.ListBalancesRequest(client_ids=[CLIENT]),
        "ListTareBalances": ss.ListTareBalancesRequest(client_ids=[CLIENT]),
        "ListCreditStandings": ss.ListCreditStandingsRequest(client_ids=[CLIENT]),
    }
    return requests[name]


def call(channel: grpc.aio.Channel, name: str) -> grpc.aio.UnaryUnaryMultiCallable:
    method = METHODS[name]
    response = message_factory.GetMessageClass(method.output_type)
    return channel.unary_unary(
        f"/{API.full_name}/{name}",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=response.FromString,
    )


@pytest.mark.parametrize("name", sorted(METHODS))
async def test_every_rpc_refuses_a_call_without_a_token_or_with_a_bad_one(
    svc: Harness, name: str
) -> None:
    before = await snapshot(svc)
    async with grpc.aio.insecure_channel(svc.target) as channel:
        rpc = call(channel, name)
        await expect_error(rpc(valid_request(name)), UNAUTHENTICATED, "no token")
        for what, token in bad_tokens().items():
            error = await expect_error(
                rpc(valid_request(name), metadata=(("authorization", f"Bearer {token}"),)),
                UNAUTHENTICATED,
            )
            assert token not in (error.details() or ""), what
    assert await snapshot(svc) == before


# Roles whose scope is the clients of their routes (domain/access.py): CLIENT is put on one of
# their routes (a teleseller's: its call list, as the feed carries any route), so that only
# admission can refuse them (scopes: test_scopes.py).
ROUTE_ROLES = ("AGENT", "VAN_SELLER", "SUPERVISOR", "TELESELLER")


@pytest.mark.parametrize("name", sorted(METHODS))
async def test_every_rpc_admits_the_roles_of_its_rule_only_and_a_refusal_writes_nothing(
    svc: Harness, name: str
) -> None:
    rule = POLICY[name]
    for role in ROUTE_ROLES:
        await svc.on_route(f"{role.lower()}-1", CLIENT)
    await svc.in_team("supervisor-1", TEAM_MEMBER)
    for role in ROLES:
        caller = Caller(f"{role.lower()}-1", {role}, "service" if role == "SERVICE" else "employee")
        rpc = call(svc.channel_as(caller), name)
        if role in rule.roles:
            try:
                await rpc(valid_request(name))
            except grpc.aio.AioRpcError as exc:  # admitted, then judged on the request
                assert exc.code() not in (DENIED, UNAUTHENTICATED), (role, exc.details())
            continue
        before = await snapshot(svc)
        await expect_error(rpc(valid_request(name)), DENIED, "has no role admitted to")
        assert await snapshot(svc) == before, (name, role)


# ------------------------------------------------------------------------- the override
async def test_the_override_is_the_verified_supervisors_and_never_the_bodys(svc: Harness) -> None:
    client = await blocked_client(svc)
    reason = "pays on Friday"
    # The orders service, with the supervisor's token in the check: overridden, by them.
    by_supervisor = await svc.orders.CheckCredit(
        check_request(client, "50.00", roles=("SUPERVISOR",), reason=reason)
    )
    assert by_supervisor.outcome == ss.CREDIT_OUTCOME_OVERRIDDEN
    assert "overridden by 6a0e3f9c" in by_supervisor.reasons[-1].message
    # An agent's token: refused, and said why.
    by_agent = await svc.orders.CheckCredit(check_request(client, "50.00", reason=reason))
    assert by_agent.outcome == ss.CREDIT_OUTCOME_BLOCK
    assert "has none of the override roles (SUPERVISOR)" in by_agent.reasons[-1].message
    # A body naming a supervisor changes nothing: with the agent's token, or with none.
    for token in (actor_token(("AGENT",)), ""):
        body = check_request(client, "50.00", reason=reason)
        body.actor_token = token
        # The reserved fields 6 (actor_id) and 7 (actor_roles) as an old caller sends them.
        old_actor = bytes([0x32, 36]) + new_id().encode() + bytes([0x3A, 10]) + b"SUPERVISOR"
        body = ss.CheckCreditRequest.FromString(body.SerializeToString() + old_actor)
        assert body.SerializeToString().endswith(old_actor)  # sent on, unknown to settlements
        answer = await svc.orders.CheckCredit(body)
        assert answer.outcome == ss.CREDIT_OUTCOME_BLOCK, token
    assert answer.reasons[-1].message == (
        "override ignored: the check names no verified user (actor_token)"
    )
    # A supervisor calling with their own token (orders forwarding it): theirs (the client on
    # its route: its scope).
    supervisor = Caller("sup-7", {"SUPERVISOR"})
    await svc.on_route(supervisor.subject, client)
    direct = check_request(client, "50.00", reason=reason)
    direct.ClearField("actor_token")
    forwarded = await svc.stub(ss_grpc.SettlementsServiceStub, as_=supervisor).CheckCredit(direct)
    assert forwarded.outcome == ss.CREDIT_OUTCOME_OVERRIDDEN
    assert "overridden by sup-7 (SUPERVISOR)" in forwarded.reasons[-1].message


async def test_a_batch_judges_each_check_as_its_own_users(svc: Harness) -> None:
    client = await blocked_client(svc)
    reason = "known client"
    expired = process_tokens().mint("e-9", roles=["SUPERVISOR"], lifetime=timedelta(minutes=-5))
    checks = [
        check_request(client, "10.00", roles=("SUPERVISOR",), reason=reason),
        check_request(client, "10.00", roles=("AGENT",), reason=reason),
        check_request(client, "10.00", reason=reason),
        check_request(client, "10.00", reason=reason),
    ]
    checks[2].actor_token = expired
    checks[3].actor_token = process_tokens().mint("svc:other", "service", ["SUPERVISOR"])
    before = await svc.orders.CheckCreditBatch(ss.CheckCreditBatchRequest(checks=checks))
    first, second, third, fourth = before.results
    assert first.decision.outcome == ss.CREDIT_OUTCOME_OVERRIDDEN
    assert second.decision.outcome == ss.CREDIT_OUTCOME_BLOCK
    assert (third.error.code, third.error.message) == (
        "UNAUTHENTICATED",
        "actor_token: token expired",
    )
    assert fourth.error.code == "INVALID_ARGUMENT"
    assert fourth.error.message.startswith("actor_token: is a service's token")
    # A check with no token at all, from the orders service: no user, no override.
    bare = check_request(client, "10.00", reason=reason)
    bare.ClearField("actor_token")
    (alone,) = (
        await svc.orders.CheckCreditBatch(ss.CheckCreditBatchRequest(checks=[bare]))
    ).results
    assert alone.decision.outcome == ss.CREDIT_OUTCOME_BLOCK
    assert "names no verified user" in alone.decision.reasons[-1].message


# ---------------------------------------------------------------------------------- audit
async def column(h: Harness, sql: str, **params: Any) -> Any:
    async with h.app.read_sessions() as session:
        return (await session.execute(text(sql), params)).one()


def payment_request(client: str, collected_by: str) -> ss.RecordPaymentRequest:
    return ss.RecordPaymentRequest(
        request_id=new_id(),
        payment=pb.Payment(
            id=new_id(),
            kind=pb.PAYMENT_KIND_CASH,
            client_id=client,
            date={"year": 2026, "month": 1, "day": 15},
            amount=rub("100.00"),
            receipt_number="R-1",
            collected_by=collected_by,
        ),
    )


async def test_payments_record_who_recorded_them_and_agents_only_their_own(
    svc: Harness,
) -> None:
    client = new_id()
    agent = Caller(new_id(), {"AGENT"})
    await svc.on_route(agent.subject, client)
    as_agent = svc.stub(ss_grpc.SettlementsServiceStub, as_=agent)
    own = (await as_agent.RecordPayment(payment_request(client, ""))).payment
    assert own.collected_by == agent.subject
    who = "SELECT recorded_by, collected_by FROM payments WHERE id = :id"
    assert tuple(await column(svc, who, id=own.id)) == (agent.subject, agent.subject)

    before = await snapshot(svc)
    await expect_error(
        as_agent.RecordPayment(payment_request(client, "someone-else")),
        DENIED,
        "payment.collected_by:",
    )
    assert await snapshot(svc) == before

    for_agent = await svc.settlements.RecordPayment(payment_request(client, agent.subject))
    assert tuple(await column(svc, who, id=for_agent.payment.id)) == ("test-admin", agent.subject)


async def test_limits_policies_and_deposits_record_who_changed_them(svc: Harness) -> None:
    client = new_id()
    erp = Caller("svc:erp", {"SERVICE"}, "service")
    await set_limit(svc, client, "500.00")
    await svc.stub(ss_grpc.SettlementsServiceStub, as_=erp).SetDebtPolicy(
        ss.SetDebtPolicyRequest(
            request_id=new_id(),
            policy=pb.DebtPolicy(
                client_id=client,
                mode=pb.DEBT_POLICY_MODE_WARN,
                max_overdue_days=5,
                stages=[pb.STAGE_VAN_SALE],
            ),
        )
    )
    container = f"crate-{new_id()[:8]}"
    await svc.settlements.SetContainerDeposit(
        ss.SetContainerDepositRequest(
            request_id=new_id(), container_type=container, deposit=rub("10.00")
        )
    )
    limit = "SELECT changed_by FROM client_accounts WHERE client_id = :c"
    policy = "SELECT changed_by FROM debt_policies WHERE client_id = :c"
    deposit = "SELECT changed_by FROM container_deposits WHERE container_type = :c"
    assert (await column(svc, limit, c=client))[0] == "test-admin"
    assert (await column(svc, policy, c=client))[0] == "svc:erp"
    assert (await column(svc, deposit, c=container))[0] == "test-admin"


async def test_health_stays_open(svc: Harness) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    async with grpc.aio.insecure_channel(svc.target) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
