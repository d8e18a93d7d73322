"""CreditStandingChanged over gRPC, orders' events and the SETTLEMENTS stream (real DB and
NATS): published in the transaction of whatever changes a client's decisions (a booking, a
check's reservation, its release, the client's own policy), and only then; and by the
standings sweep when time alone changes them (a new business day, an expired reservation).

The sweep is driven here with the clock of a later day (`sweep_on`), as the loop of `serve`
would run it then; this module has a service of its own (its sweep's state moves forward)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from fieldline.settlements.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_kit.testing.events import Published, published
from fieldline_kit.testing.helpers import new_id
from fieldline_settlements.adapters import orm
from fieldline_settlements.service_layer import handlers

from .builders import (
    check,
    dec,
    record_invoice,
    record_payment,
    set_limit,
)
from .conftest import Harness

TODAY = date.today()
ALLOW, WARN, BLOCK = ss.CREDIT_OUTCOME_ALLOW, ss.CREDIT_OUTCOME_WARN, ss.CREDIT_OUTCOME_BLOCK
OVER_LIMIT, OVERDUE = ss.CREDIT_REASON_CODE_OVER_LIMIT, ss.CREDIT_REASON_CODE_OVERDUE


async def standings(
    h: Harness, client: str, expect: int, *, timeout: float = 10.0
) -> list[Published]:
    """The client's CreditStandingChanged events on the stream (once `expect` are there, and a
    moment more to see any extra; or what came within `timeout`)."""
    return await published(
        h.js,
        "SETTLEMENTS",
        lambda e: e.aggregate_type == "credit_standing" and e.aggregate_id == client,
        expect=expect,
        timeout=timeout,
        settle=0.5,
    )


def decisions(e: Published) -> list[tuple[int, list[int]]]:
    """Per stage of the event's standing: its outcome and its reasons' codes."""
    return [(s.outcome, [r.code for r in s.reasons]) for s in e.message.standing.stages]  # type: ignore[attr-defined]


async def outbox_versions(h: Harness, client: str) -> list[int]:
    t = orm.kit.outbox
    async with h.app.read_sessions() as s:
        rows = await s.scalars(
            select(t.c.aggregate_version).where(
                t.c.aggregate_type == "credit_standing", t.c.aggregate_id == client
            )
        )
        return sorted(rows)


async def sweep_on(h: Harness, now: datetime) -> int:
    """The standings sweep's steps on the clock `now` (its business day), until nothing is left
    to do, as `serve`'s loop runs them; the clients judged."""
    today = h.app.business_day(now)
    judged = 0
    while True:
        async with h.app.uow() as uow:
            done = await handlers.sweep_standings(uow, h.app.config, now, today)
            await uow.commit()
        if done is None:
            return judged
        judged += done


async def get(h: Harness, client: str) -> ss.CreditStanding:
    reply = await h.settlements.GetCreditStanding(ss.GetCreditStandingRequest(client_id=client))
    return reply.standing


# ------------------------------------------------------------------------ in the change
async def test_each_change_of_the_decisions_is_published_with_it_and_nothing_else(
    svc: Harness,
) -> None:
    client = new_id()
    await set_limit(svc, client, "1000.00")  # its first standing: allowed at both stages
    await record_invoice(svc, client, "400.00", issued=TODAY, due=TODAY + timedelta(days=10))
    order = new_id()
    held = await check(svc, client, "600.00", order_id=order)  # 400 + 600: at the limit
    assert held.outcome == ALLOW
    # Written with the reservation, in its transaction: there when the check has answered.
    assert await outbox_versions(svc, client) == [1, 2]
    blocked = await check(svc, client, "50.00")  # blocked, reserves nothing: no change
    assert blocked.outcome == BLOCK
    await svc.settlements.ReleaseCredit(
        ss.ReleaseCreditRequest(request_id=new_id(), order_id=order)
    )
    await record_payment(svc, client, "400.00", on=TODAY)  # allowed before and after
    await svc.settlements.SetDebtPolicy(  # IGNORE: the same ALLOW, now with no headroom
        ss.SetDebtPolicyRequest(
            request_id=new_id(),
            policy=pb.DebtPolicy(
                client_id=client,
                mode=pb.DEBT_POLICY_MODE_IGNORE,
                check_credit_limit=True,
                max_overdue_days=5,
                stages=[pb.STAGE_ORDER_SUBMIT],
            ),
        )
    )
    events = await standings(svc, client, expect=3)
    assert [e.envelope.aggregate_version for e in events] == [1, 2, 3]
    assert [decisions(e) for e in events] == [
        [(ALLOW, [])] * 2,
        [(BLOCK, [OVER_LIMIT])] * 2,  # no room left under the limit: any order goes over it
        [(ALLOW, [])] * 2,  # released
    ]
    full = events[1].message.standing  # type: ignore[attr-defined]
    assert (dec(full.figures.balance), dec(full.figures.reserved)) == (400, 600)
    assert [dec(s.headroom) for s in full.stages] == [0, 0]
    assert [e.message.standing.version for e in events] == [1, 2, 3]  # type: ignore[attr-defined]
    # Read now: the last version, the figures and policy of now.
    now = await get(svc, client)
    assert now.version == 3 and now.stages[0].outcome == ALLOW and not now.stages[0].has_headroom
    assert now.policy.mode == pb.DEBT_POLICY_MODE_IGNORE and dec(now.figures.balance) == 0


async def test_a_clients_own_policy_judges_its_standing_again(svc: Harness) -> None:
    client = new_id()
    await record_invoice(
        svc, client, "100.00", issued=TODAY - timedelta(days=60), due=TODAY - timedelta(days=45)
    )
    first = await get(svc, client)
    assert first.version == 1  # judged with the invoice, by the company's policy

    async def own(mode: int) -> None:
        await svc.settlements.SetDebtPolicy(
            ss.SetDebtPolicyRequest(
                request_id=new_id(),
                policy=pb.DebtPolicy(
                    client_id=client,
                    mode=mode,
                    check_credit_limit=False,
                    max_overdue_days=30,
                    stages=[pb.STAGE_ORDER_SUBMIT, pb.STAGE_VAN_SALE],
                ),
            )
        )

    await own(pb.DEBT_POLICY_MODE_WARN)
    await own(pb.DEBT_POLICY_MODE_WARN)  # the same again: nothing
    await svc.settlements.SetDebtPolicy(  # cleared: the company's again
        ss.SetDebtPolicyRequest(
            request_id=new_id(), policy=pb.DebtPolicy(client_id=client), clear=True
        )
    )
    events = await standings(svc, client, expect=3)
    company_decision = decisions(events[0])
    assert [decisions(e) for e in events] == [
        company_decision,
        [(WARN, [OVERDUE])] * 2,
        company_decision,
    ]
    assert [e.message.standing.is_default_policy for e in events] == [True, False, True]  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------ the sweep
async def test_a_new_business_day_publishes_the_standings_it_changed(svc: Harness) -> None:
    crossing, far, paid = new_id(), new_id(), new_id()
    # Due 30 days ago: not over the company policy's 30 days today, over them tomorrow.
    await record_invoice(
        svc, crossing, "100.00", issued=TODAY - timedelta(days=40), due=TODAY - timedelta(days=30)
    )
    # Far from the threshold (due in a week): tomorrow changes nothing.
    await record_invoice(svc, far, "100.00", issued=TODAY, due=TODAY + timedelta(days=7))
    await record_payment(svc, paid, "10.00", on=TODAY)  # an advance: nothing to fall overdue
    assert [s.outcome for s in (await get(svc, crossing)).stages] == [ALLOW, ALLOW]
    before = {c: len(await standings(svc, c, expect=1)) for c in (crossing, far, paid)}
    assert before == {crossing: 1, far: 1, paid: 1}

    tomorrow = datetime.now().astimezone() + timedelta(days=1)
    assert await sweep_on(svc, tomorrow) >= 2  # the clients with open invoices
    events = await standings(svc, crossing, expect=2)
    assert [e.envelope.aggregate_version for e in events] == [1, 2]
    assert decisions(events[-1]) == [(BLOCK, [OVERDUE])] * 2
    swept = events[-1].message.standing  # type: ignore[attr-defined]
    assert (swept.figures.max_overdue_days, swept.figures.overdue_threshold_days) == (31, 30)
    assert swept.as_of.day == svc.app.business_day(tomorrow).day
    # Nothing for the others; nothing more on the same day.
    assert await sweep_on(svc, tomorrow + timedelta(minutes=5)) == 0
    for client in (far, paid, crossing):
        found = await standings(svc, client, expect=before[client] + 2, timeout=1.0)
        assert len(found) == (2 if client == crossing else 1), client


async def test_an_expired_reservation_is_judged_by_the_sweep(svc: Harness) -> None:
    client = new_id()
    await set_limit(svc, client, "100.00")
    await check(svc, client, "100.00")  # all of the limit reserved
    held = await get(svc, client)
    assert (held.version, [s.outcome for s in held.stages]) == (2, [BLOCK, BLOCK])
    reserved_for = svc.app.config.reservation_hours
    later = datetime.now().astimezone() + timedelta(hours=reserved_for, minutes=1)
    await sweep_on(svc, later)
    events = await standings(svc, client, expect=3)
    assert [decisions(e) for e in events] == [
        [(ALLOW, [])] * 2,
        [(BLOCK, [OVER_LIMIT])] * 2,
        [(ALLOW, [])] * 2,  # its reservation expired: the limit is free
    ]
    assert dec(events[-1].message.standing.figures.reserved) == Decimal("0")  # type: ignore[attr-defined]
    assert await sweep_on(svc, later + timedelta(minutes=1)) == 0
