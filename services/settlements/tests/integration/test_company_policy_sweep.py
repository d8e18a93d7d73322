"""A change of the company's debt policy judges every indebted client again (through the
standings sweep, started over), so devices and orders see the new decisions the same day.
A module of its own: it moves its service's sweep state (see test_credit_standing_events)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from fieldline.settlements.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_kit.testing.helpers import new_id

from .builders import record_invoice
from .conftest import Harness
from .test_credit_standing_events import decisions, standings, sweep_on

TODAY = date.today()
WARN, BLOCK = ss.CREDIT_OUTCOME_WARN, ss.CREDIT_OUTCOME_BLOCK
OVERDUE = ss.CREDIT_REASON_CODE_OVERDUE


async def warn_on_overdue(h: Harness) -> None:
    """The company's policy: warn (not block) past 30 days overdue, no credit limit check."""
    await h.settlements.SetDebtPolicy(
        ss.SetDebtPolicyRequest(
            request_id=new_id(),
            policy=pb.DebtPolicy(
                mode=pb.DEBT_POLICY_MODE_WARN,
                check_credit_limit=False,
                max_overdue_days=30,
                stages=[pb.STAGE_ORDER_SUBMIT, pb.STAGE_VAN_SALE],
            ),
        )
    )


async def test_a_company_policy_change_judges_the_indebted_clients_again(svc: Harness) -> None:
    overdue, current = new_id(), new_id()
    await record_invoice(
        svc, overdue, "100.00", issued=TODAY - timedelta(days=60), due=TODAY - timedelta(days=45)
    )
    await record_invoice(svc, current, "50.00", issued=TODAY, due=TODAY + timedelta(days=20))
    now = datetime.now().astimezone()
    await sweep_on(svc, now)  # the day's sweep done: nothing left for today
    assert await sweep_on(svc, now + timedelta(minutes=1)) == 0
    [first] = await standings(svc, overdue, expect=1)
    assert decisions(first) == [(BLOCK, [OVERDUE])] * 2  # the default policy blocks

    await warn_on_overdue(svc)
    # The same day: the sweep runs again over the indebted clients.
    assert await sweep_on(svc, now + timedelta(minutes=2)) >= 2
    events = await standings(svc, overdue, expect=2)
    assert decisions(events[-1]) == [(WARN, [OVERDUE])] * 2
    # A client whose decisions did not change publishes nothing new.
    assert len(await standings(svc, current, expect=2, timeout=1.0)) == 1
    # The same policy again changes nothing, and starts no sweep.
    await warn_on_overdue(svc)
    assert await sweep_on(svc, now + timedelta(minutes=3)) == 0
