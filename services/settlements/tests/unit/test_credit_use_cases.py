"""The credit use cases on a fake unit of work: debt policies, credit checks (a single check
is a batch of one), releasing credit.

Per use case: the rule, what it saves, and that a refused command (or a refused check of a
batch) changes nothing. How a check is decided is the domain tests' (test_policy,
test_credit_batch); here, what the use case reads, in which order it judges, what it keeps.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from fieldline_kit.errors import DomainError, InvalidArgument
from fieldline_kit.testing.helpers import new_id
from fieldline_settlements.domain.account import ClientAccount, Reservation
from fieldline_settlements.domain.credit import ClientDebt, credit_standing
from fieldline_settlements.domain.events import CreditStandingChanged, DebtPolicyChanged
from fieldline_settlements.domain.ledger import LedgerFigures
from fieldline_settlements.domain.policy import (
    Actor,
    ClientPolicy,
    DebtPolicy,
    Decision,
    Outcome,
    PolicyMode,
    ReasonCode,
    Stage,
)
from fieldline_settlements.service_layer import handlers

from .conftest import ACTOR, CFG, CLIENT, NOW, OTHER_CLIENT, TODAY, already_booked, d, invoice
from .fakes import FakeSettlementsUnitOfWork

ALLOW, WARN, BLOCK, OVERRIDDEN = Outcome.ALLOW, Outcome.WARN, Outcome.BLOCK, Outcome.OVERRIDDEN


def policy_args(mode: PolicyMode = PolicyMode.WARN, **kw: Any) -> dict[str, Any]:
    return {
        "mode": mode,
        "check_credit_limit": True,
        "max_overdue_days": 60,
        "stages": [Stage.ORDER_SUBMIT],
        "override_roles": ["supervisor"],
        **kw,
    }


# ---------------------------------------------------------------------------- debt policy
async def test_the_policy_in_force_is_the_clients_else_the_companys_else_the_configured() -> None:
    uow = FakeSettlementsUnitOfWork()
    assert await uow.run(handlers.effective_policy, CFG, CLIENT) == (
        CFG.default_policy,
        True,
    )
    company, is_company = await uow.run(
        handlers.set_debt_policy, CFG, NOW, TODAY, client_id="", args=policy_args(), clear=False
    )
    assert is_company and company.mode is PolicyMode.WARN
    assert company.override_roles == ("SUPERVISOR",)
    assert await uow.run(handlers.effective_policy, CFG, CLIENT) == (company, True)
    own, is_company = await uow.run(
        handlers.set_debt_policy,
        CFG,
        NOW,
        TODAY,
        client_id=CLIENT,
        args=policy_args(PolicyMode.IGNORE),
        clear=False,
    )
    assert not is_company and own.client_id == CLIENT
    assert await uow.run(handlers.effective_policy, CFG, CLIENT) == (own, False)
    assert {p.client_id: p.version for p in uow.policies.all()} == {"": 1, CLIENT: 1}


def policy_changes(uow: FakeSettlementsUnitOfWork) -> list[tuple[str, int, bool, bool]]:
    """The DebtPolicyChanged events published: (client, version, is_default, cleared)."""
    return [
        (e.client_id, e.version, e.is_default, e.cleared)
        for e in uow.events
        if isinstance(e, DebtPolicyChanged)
    ]


async def test_a_new_policy_replaces_the_stored_one_and_clearing_takes_it_out_of_force() -> None:
    uow = FakeSettlementsUnitOfWork()
    await uow.run(
        handlers.set_debt_policy, CFG, NOW, TODAY, client_id="", args=policy_args(), clear=False
    )
    for mode in (PolicyMode.IGNORE, PolicyMode.BLOCK):
        await uow.run(
            handlers.set_debt_policy,
            CFG,
            NOW,
            TODAY,
            client_id=CLIENT,
            args=policy_args(mode, max_overdue_days=-10),
            clear=False,
        )
    stored = {p.client_id: p for p in uow.policies.all()}
    assert (stored[CLIENT].version, stored[CLIENT].policy.mode) == (2, PolicyMode.BLOCK)
    assert stored[CLIENT].policy.max_overdue_days == -1
    assert policy_changes(uow) == [
        ("", 1, True, False),
        (CLIENT, 1, False, False),
        (CLIENT, 2, False, False),
    ]
    in_force, is_company = await uow.run(
        handlers.set_debt_policy, CFG, NOW, TODAY, client_id=CLIENT, args={}, clear=True
    )
    assert (in_force, is_company) == (stored[""].policy, True)
    assert await uow.run(handlers.effective_policy, CFG, CLIENT) == (stored[""].policy, True)
    # Kept, cleared: its version stepped, and the event carries the policy now in force.
    assert {(p.client_id, p.version, p.cleared) for p in uow.policies.all()} == {
        ("", 1, False),
        (CLIENT, 3, True),
    }
    cleared = uow.events[-1]
    assert isinstance(cleared, DebtPolicyChanged)
    assert (cleared.client_id, cleared.version, cleared.cleared) == (CLIENT, 3, True)
    assert cleared.in_force == stored[""].policy and cleared.is_default
    # Set again after the clear: a new version, in force again.
    again, is_company = await uow.run(
        handlers.set_debt_policy, CFG, NOW, TODAY, client_id=CLIENT, args=policy_args(), clear=False
    )
    assert not is_company and again.client_id == CLIENT
    assert policy_changes(uow)[-1] == (CLIENT, 4, False, False)
    # The company's cleared: the configured one is in force again.
    in_force, is_company = await uow.run(
        handlers.set_debt_policy, CFG, NOW, TODAY, client_id="", args={}, clear=True
    )
    assert (in_force, is_company) == (CFG.default_policy, True)
    assert policy_changes(uow)[-1] == ("", 2, True, True)


async def test_a_policy_set_again_or_a_clear_of_none_changes_and_publishes_nothing() -> None:
    uow = FakeSettlementsUnitOfWork()
    await uow.run(
        handlers.set_debt_policy, CFG, NOW, TODAY, client_id=CLIENT, args=policy_args(), clear=False
    )
    before = (uow.state(), len(uow.events))
    for _ in range(2):
        same, _ = await uow.run(
            handlers.set_debt_policy,
            CFG,
            NOW,
            TODAY,
            client_id=CLIENT,
            args=policy_args(),
            clear=False,
        )
        assert same.client_id == CLIENT
        await uow.run(
            handlers.set_debt_policy, CFG, NOW, TODAY, client_id=OTHER_CLIENT, args={}, clear=True
        )
    assert (uow.state(), len(uow.events)) == before
    await uow.run(handlers.set_debt_policy, CFG, NOW, TODAY, client_id=CLIENT, args={}, clear=True)
    before = (uow.state(), len(uow.events))
    await uow.run(handlers.set_debt_policy, CFG, NOW, TODAY, client_id=CLIENT, args={}, clear=True)
    assert (uow.state(), len(uow.events)) == before


async def test_a_bad_policy_is_refused() -> None:
    uow = FakeSettlementsUnitOfWork()
    for args, message in (
        (policy_args(mode=None), "policy.mode: is required"),
        (policy_args(stages=[]), "policy.stages: name at least one stage"),
        (policy_args(override_roles=["a b"]), r"policy.override_roles\[0\]: must be a role"),
    ):
        await uow.refused(
            InvalidArgument,
            handlers.set_debt_policy,
            CFG,
            NOW,
            TODAY,
            client_id=CLIENT,
            args=args,
            clear=False,
            match=message,
        )
    await uow.refused(
        InvalidArgument,
        handlers.set_debt_policy,
        CFG,
        NOW,
        TODAY,
        client_id="acme",
        args=policy_args(),
        clear=False,
        match="policy.client_id: must be a UUID",
    )


# ---------------------------------------------------------------------------- credit check
def check(
    amount: str,
    *,
    order_id: str = "",
    client_id: str = CLIENT,
    stage: Stage | None = Stage.ORDER_SUBMIT,
    roles: tuple[str, ...] = ("AGENT",),
    reason: str = "",
    as_of: date = TODAY,
) -> tuple[date, handlers.CreditCheckInput]:
    return as_of, handlers.CreditCheckInput(
        order_id=order_id or new_id(),
        client_id=client_id,
        amount=d(amount),
        stage=stage,
        actor=Actor.of(ACTOR, roles, reason),
    )


async def judge(
    uow: FakeSettlementsUnitOfWork, *checks: tuple[date, handlers.CreditCheckInput]
) -> list[Decision | DomainError]:
    results: list[Decision | DomainError] = await uow.run(
        handlers.check_credit_batch, CFG, NOW, TODAY, list(checks)
    )
    assert len(results) == len(checks)
    return results


def decided(results: list[Decision | DomainError]) -> list[tuple[Outcome, Decimal]]:
    """Per check its outcome and the client's other reservations it was judged with."""
    assert all(isinstance(r, Decision) for r in results), results
    return [(r.outcome, r.figures.reserved) for r in results]  # type: ignore[union-attr]


def reserved(uow: FakeSettlementsUnitOfWork) -> dict[str, tuple[str, Decimal, str]]:
    return {o: (r.client_id, r.amount, r.stage) for o, r in uow.reservations.rows.items()}


def limit(uow: FakeSettlementsUnitOfWork, client_id: str, value: str) -> None:
    uow.accounts.put(ClientAccount(client_id, d(value), 0, 1, NOW))


async def test_checks_are_judged_in_order_each_with_the_reservations_before_it() -> None:
    uow = FakeSettlementsUnitOfWork()
    limit(uow, CLIENT, "1000.00")
    a, b, van = new_id(), new_id(), new_id()
    results = await judge(
        uow,
        check("600.00", order_id=a),
        check("300.00", order_id=b),
        check("200.00"),  # 600 + 300 + 200 > 1000: blocked, reserves nothing
        check("100.00", order_id=a),  # a again: replaces its 600
        check("5000.00", order_id=van, client_id=OTHER_CLIENT, stage=Stage.VAN_SALE),
    )
    assert decided(results) == [
        (ALLOW, 0),
        (ALLOW, d("600.00")),
        (BLOCK, d("900.00")),
        (ALLOW, d("300.00")),
        (ALLOW, 0),
    ]
    assert reserved(uow) == {
        a: (CLIENT, d("100.00"), "ORDER_SUBMIT"),
        b: (CLIENT, d("300.00"), "ORDER_SUBMIT"),
        van: (OTHER_CLIENT, d("5000.00"), "VAN_SALE"),
    }
    assert {r.expires_at for r in uow.reservations.rows.values()} == {NOW + timedelta(hours=72)}
    # The accounts are locked (created on first use), their debt not changed; their credit
    # standings judged (as of today, with the reservations after the batch): published, as
    # these are the clients' first.
    assert {a.client_id: a.version for a in uow.accounts.all()} == {CLIENT: 1, OTHER_CLIENT: 0}
    assert [(type(e), e.standing.client_id, e.version) for e in uow.events] == [
        (CreditStandingChanged, CLIENT, 1),
        (CreditStandingChanged, OTHER_CLIENT, 1),
    ]
    assert uow.events[0].standing.figures.reserved == d("400.00")
    assert uow.events[0].standing.stages[0].headroom == d("600.00")


async def test_a_single_check_is_a_batch_of_one_and_later_checks_see_its_reservation() -> None:
    uow = FakeSettlementsUnitOfWork()
    limit(uow, CLIENT, "1000.00")
    first, second = new_id(), new_id()
    assert decided(await judge(uow, check("600.00", order_id=first))) == [(ALLOW, 0)]
    assert decided(await judge(uow, check("600.00", order_id=second))) == [(BLOCK, d("600.00"))]
    (over,) = await judge(
        uow, check("600.00", order_id=second, roles=("SUPERVISOR",), reason="pays Friday")
    )
    assert isinstance(over, Decision) and over.outcome is OVERRIDDEN
    assert set(reserved(uow)) == {first, second}


async def test_checks_read_the_clients_debt_and_the_policy_in_force() -> None:
    uow = FakeSettlementsUnitOfWork()
    for client in (CLIENT, OTHER_CLIENT):
        limit(uow, client, "1000.00")
        uow.credit_positions.debts[client] = ClientDebt(
            open_total=d("900.00"),
            open_invoices=1,
            unallocated=d("0.00"),
            overdue_by_due=((TODAY - timedelta(days=40), d("900.00")),),
        )
    uow.policies.put(ClientPolicy(DebtPolicy.create(client_id=OTHER_CLIENT, **policy_args())))
    blocked, warned = await judge(uow, check("200.00"), check("200.00", client_id=OTHER_CLIENT))
    assert isinstance(blocked, Decision) and isinstance(warned, Decision)
    assert blocked.outcome is BLOCK and blocked.policy == CFG.default_policy
    assert [r.code for r in blocked.reasons] == [ReasonCode.OVER_LIMIT, ReasonCode.OVERDUE]
    f = blocked.figures
    assert (f.balance, f.overdue, f.max_overdue_days, f.exposure) == (
        d("900.00"),
        d("900.00"),
        40,
        d("1100.00"),
    )
    # The client's own policy: WARN, and it judges overdue from 60 days only.
    assert warned.outcome is WARN and warned.policy.client_id == OTHER_CLIENT
    assert [r.code for r in warned.reasons] == [ReasonCode.OVER_LIMIT]
    assert [r[0] for r in reserved(uow).values()] == [OTHER_CLIENT]
    # As of an earlier day the debt was not overdue yet.
    (early,) = await judge(uow, check("10.00", as_of=TODAY - timedelta(days=45)))
    assert isinstance(early, Decision) and early.outcome is ALLOW
    # A stored company policy replaces the configured one.
    company = DebtPolicy.create(client_id="", **policy_args(PolicyMode.IGNORE))
    uow.policies.put(ClientPolicy(company))
    (ignored,) = await judge(uow, check("200.00"))
    assert isinstance(ignored, Decision) and ignored.policy == company
    assert ignored.outcome is ALLOW and [r.code for r in ignored.reasons] == [ReasonCode.OVER_LIMIT]


async def test_a_check_purges_expired_reservations_and_invoiced_or_blocked_orders_hold_none() -> (
    None
):
    uow = FakeSettlementsUnitOfWork()
    limit(uow, CLIENT, "1000.00")
    expired, held, invoiced = new_id(), new_id(), new_id()
    uow.reservations.rows[expired] = Reservation.create(
        expired, CLIENT, d("50.00"), "ORDER_SUBMIT", NOW - timedelta(hours=100), 72
    )
    uow.reservations.rows[held] = Reservation.create(
        held, CLIENT, d("500.00"), "ORDER_SUBMIT", NOW - timedelta(hours=1), 72
    )
    uow.invoices.put(already_booked(invoice("10.00", order_id=invoiced)))
    results = await judge(
        uow,
        check("100.00", order_id=invoiced),  # allowed, but its invoice already holds it
        check("2000.00", order_id=held),  # blocked: gives its 500 back
    )
    assert decided(results) == [(ALLOW, d("500.00")), (BLOCK, 0)]
    assert reserved(uow) == {}


async def test_a_bad_check_gets_its_own_error_in_its_place_and_reserves_nothing() -> None:
    uow = FakeSettlementsUnitOfWork()
    limit(uow, CLIENT, "1000.00")
    good_a, good_b = new_id(), new_id()
    results = await judge(
        uow,
        check("300.00", order_id=good_a),
        check("1.00", order_id="order-1"),
        check("1.00", stage=None),
        check("-1.00"),
        check("1.00", client_id="acme"),
        check("400.00", order_id=good_b),
    )
    assert [r.message for r in results if isinstance(r, DomainError)] == [
        "order_id: must be a UUID, got 'order-1'",
        "stage: is required (ORDER_SUBMIT or VAN_SALE)",
        "amount: must not be negative, got -1.00",
        "client_id: must be a UUID, got 'acme'",
    ]
    first, last = results[0], results[-1]
    assert isinstance(first, Decision) and isinstance(last, Decision)
    assert (last.outcome, last.figures.reserved) == (ALLOW, d("300.00"))
    assert set(reserved(uow)) == {good_a, good_b}
    # A batch of bad checks only: nothing is read, locked or written.
    before = uow.state()
    assert all(
        isinstance(r, InvalidArgument)
        for r in await judge(uow, check("1.00", order_id="x"), check("1.00", stage=None))
    )
    assert uow.state() == before


# ------------------------------------------------------------------------- release credit
async def test_releasing_an_orders_credit_once() -> None:
    uow = FakeSettlementsUnitOfWork()
    limit(uow, CLIENT, "1000.00")
    order = new_id()
    await judge(uow, check("600.00", order_id=order))
    assert await uow.run(handlers.release_credit, CFG, NOW, TODAY, order) is True
    assert reserved(uow) == {}
    assert await uow.run(handlers.release_credit, CFG, NOW, TODAY, order) is False
    await uow.refused(
        InvalidArgument,
        handlers.release_credit,
        CFG,
        NOW,
        TODAY,
        "x",
        match="order_id: must be a UUID",
    )


# ------------------------------------------------------------------------- credit standing
def standings(uow: FakeSettlementsUnitOfWork, client_id: str = CLIENT) -> list[tuple[int, str]]:
    """The client's CreditStandingChanged events: (version, its decisions)."""
    return [
        (e.version, e.standing.decisions)
        for e in uow.events
        if isinstance(e, CreditStandingChanged) and e.standing.client_id == client_id
    ]


ALLOWED = "ORDER_SUBMIT:ALLOW:;VAN_SALE:ALLOW:"
OVER_LIMIT = "ORDER_SUBMIT:BLOCK:OVER_LIMIT;VAN_SALE:BLOCK:OVER_LIMIT"


async def test_a_check_and_a_release_judge_the_standing_again_publishing_changes_only() -> None:
    uow = FakeSettlementsUnitOfWork()
    limit(uow, CLIENT, "100.00")
    first, second = new_id(), new_id()
    await judge(uow, check("40.00", order_id=first))  # room left: allowed
    await judge(uow, check("60.00", order_id=second))  # no room left: any order goes over
    await judge(uow, check("5.00"))  # blocked, reserves nothing: no change
    assert standings(uow) == [(1, ALLOWED), (2, OVER_LIMIT)]
    (account,) = uow.accounts.all()
    assert (account.standing, account.standing_version) == (OVER_LIMIT, 2)
    assert await uow.run(handlers.release_credit, CFG, NOW, TODAY, second) is True
    assert await uow.run(handlers.release_credit, CFG, NOW, TODAY, first) is True  # no change
    assert await uow.run(handlers.release_credit, CFG, NOW, TODAY, first) is False
    assert standings(uow) == [(1, ALLOWED), (2, OVER_LIMIT), (3, ALLOWED)]
    last = uow.events[-1]
    assert isinstance(last, CreditStandingChanged) and last.standing.version == 3
    assert last.standing.stages[0].headroom == d("60.00")  # the first order's 40 still held


async def test_a_clients_own_policy_judges_its_standing_again_the_companys_starts_the_sweep() -> (
    None
):
    uow = FakeSettlementsUnitOfWork()
    limit(uow, CLIENT, "100.00")
    await judge(uow, check("100.00"))
    assert standings(uow) == [(1, OVER_LIMIT)]
    warn = policy_args(PolicyMode.WARN, stages=[Stage.ORDER_SUBMIT])
    await uow.run(
        handlers.set_debt_policy, CFG, NOW, TODAY, client_id=CLIENT, args=warn, clear=False
    )
    assert standings(uow)[-1] == (2, "ORDER_SUBMIT:WARN:OVER_LIMIT;VAN_SALE:ALLOW:")
    # The company's: its DebtPolicyChanged only, and the day's standings sweep starts over
    # (the clients it governs are judged in chunks by the sweep); a client settlements has no
    # account of gets none.
    published = len(uow.events)
    uow.sweeps.saved = dataclasses.replace(
        uow.sweeps.saved, day=TODAY, after_client="c-9", done=True
    )
    await uow.run(handlers.set_debt_policy, CFG, NOW, TODAY, client_id="", args=warn, clear=False)
    swept = uow.sweeps.saved
    assert (swept.day, swept.after_client, swept.done) == (TODAY, "", False)
    await uow.run(
        handlers.set_debt_policy, CFG, NOW, TODAY, client_id=OTHER_CLIENT, args=warn, clear=False
    )
    assert [type(e) for e in uow.events[published:]] == [DebtPolicyChanged, DebtPolicyChanged]
    assert standings(uow, OTHER_CLIENT) == []


def test_a_standing_judged_the_same_again_is_no_change() -> None:
    account = ClientAccount(CLIENT, d("100.00"), 0, 1, NOW)
    policy = CFG.default_policy
    figures = LedgerFigures(d("10.00"), d("0.00"), 0, 1)
    standing = credit_standing(
        CLIENT,
        ledger=figures,
        reserved=d("0.00"),
        credit_limit=d("100.00"),
        policy=policy,
        is_default_policy=True,
        as_of=TODAY,
        currency="RUB",
    )
    assert account.judged(standing) and account.standing_version == 1
    # Other figures, the same decisions: no change, nothing recorded.
    richer = credit_standing(
        CLIENT,
        ledger=LedgerFigures(d("50.00"), d("0.00"), 0, 2),
        reserved=d("20.00"),
        credit_limit=d("100.00"),
        policy=policy,
        is_default_policy=True,
        as_of=TODAY,
        currency="RUB",
    )
    assert not account.judged(richer)
    assert [e.version for e in account.events] == [1]
    with pytest.raises(ValueError):
        account.judged(dataclasses.replace(standing, client_id=OTHER_CLIENT))
