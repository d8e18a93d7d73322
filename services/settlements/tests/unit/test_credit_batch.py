"""Checks judged in order in memory: each sees the reservations the earlier ones left."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from fieldline_kit.testing.helpers import new_id
from fieldline_settlements.domain.account import Reservation
from fieldline_settlements.domain.credit import (
    ClientDebt,
    CreditCheck,
    OtherReservations,
    ReservationBook,
    judge_in_order,
)
from fieldline_settlements.domain.ledger import figures
from fieldline_settlements.domain.policy import (
    Actor,
    DebtPolicy,
    Decision,
    Outcome,
    PolicyMode,
    Stage,
)

from .conftest import CLIENT, NOW, OTHER_CLIENT, TODAY, d

HOURS = 72.0
AGENT = Actor.of("", ["AGENT"], "")


def policy(mode: PolicyMode = PolicyMode.BLOCK, max_overdue_days: int = 30) -> DebtPolicy:
    return DebtPolicy.create(
        client_id="",
        mode=mode,
        check_credit_limit=True,
        max_overdue_days=max_overdue_days,
        stages=(Stage.ORDER_SUBMIT,),
        override_roles=("SUPERVISOR",),
    )


def check(
    amount: str,
    order_id: str = "",
    client_id: str = CLIENT,
    *,
    as_of: date = TODAY,
    actor: Actor = AGENT,
) -> CreditCheck:
    return CreditCheck(order_id or new_id(), client_id, d(amount), Stage.ORDER_SUBMIT, actor, as_of)


def held(order_id: str, amount: str, client_id: str = CLIENT, hours: float = HOURS) -> Reservation:
    return Reservation.create(order_id, client_id, d(amount), "ORDER_SUBMIT", NOW, hours)


def judge(
    checks: list[CreditCheck],
    book: ReservationBook | None = None,
    *,
    limit: str | None = "1000.00",
    debt: ClientDebt | None = None,
    pol: DebtPolicy | None = None,
) -> tuple[list[Decision], ReservationBook]:
    book = book or ReservationBook(NOW, [], {}, [])
    decisions = judge_in_order(
        checks,
        credit_limits={CLIENT: d(limit) if limit else None, OTHER_CLIENT: None},
        policies={CLIENT: pol or policy(), OTHER_CLIENT: pol or policy()},
        debts={CLIENT: debt} if debt else {},
        book=book,
        now=NOW,
        reservation_hours=HOURS,
        currency="RUB",
    )
    return decisions, book


def placed(book: ReservationBook) -> dict[str, tuple[str, Decimal]]:
    return {r.order_id: (r.client_id, r.amount) for r in book.changes().put}


def test_a_later_order_of_the_client_is_judged_with_the_earlier_ones_reservation() -> None:
    first, second, third = check("600.00"), check("300.00"), check("200.00")
    (a, b, c), book = judge([first, second, third])
    assert (a.outcome, a.figures.reserved) == (Outcome.ALLOW, 0)
    assert (b.outcome, b.figures.reserved, b.figures.exposure) == (Outcome.ALLOW, 600, 900)
    assert (c.outcome, c.figures.reserved) == (Outcome.BLOCK, 900)
    assert placed(book) == {
        first.order_id: (CLIENT, d("600.00")),
        second.order_id: (CLIENT, d("300.00")),
    }
    assert book.changes().release == () and book.changes().purge_clients == ()


def test_the_same_order_twice_keeps_the_later_check_and_does_not_count_itself() -> None:
    order = new_id()
    (a, b), book = judge([check("700.00", order), check("900.00", order)])
    assert (a.outcome, b.outcome) == (Outcome.ALLOW, Outcome.ALLOW)
    assert b.figures.reserved == 0  # its own earlier reservation is replaced, not added
    assert placed(book) == {order: (CLIENT, d("900.00"))}
    # Blocked the second time: the order is on hold and keeps nothing.
    (_, blocked), book = judge([check("700.00", order), check("1200.00", order)])
    assert blocked.outcome is Outcome.BLOCK
    assert book.changes() == ReservationBook(NOW, [], {}, []).changes()


def test_a_blocked_check_reserves_nothing_for_the_ones_after_it() -> None:
    big, small = check("1500.00"), check("800.00")
    (a, b), book = judge([big, small])
    assert a.outcome is Outcome.BLOCK and a.reasons[0].message.startswith("over the credit")
    assert (b.outcome, b.figures.reserved) == (Outcome.ALLOW, 0)
    assert placed(book) == {small.order_id: (CLIENT, d("800.00"))}


def test_an_override_or_a_warning_reserves_like_an_allow() -> None:
    boss = Actor.of("", ["SUPERVISOR"], "pays on Friday")
    (a, b), book = judge([check("1200.00", actor=boss), check("100.00")])
    assert (a.outcome, b.outcome, b.figures.reserved) == (Outcome.OVERRIDDEN, Outcome.BLOCK, 1200)
    (w1, w2), book = judge([check("1200.00"), check("100.00")], pol=policy(PolicyMode.WARN))
    assert (w1.outcome, w2.outcome, w2.figures.reserved) == (Outcome.WARN, Outcome.WARN, 1200)
    assert len(placed(book)) == 2


def test_clients_and_stored_reservations_each_count_for_their_own_client() -> None:
    stored, elsewhere, moved = new_id(), new_id(), new_id()
    book = ReservationBook(
        NOW,
        [held(stored, "100.00"), held(elsewhere, "50.00", OTHER_CLIENT), held(moved, "20.00")],
        {CLIENT: OtherReservations(d("300.00"), 0), OTHER_CLIENT: OtherReservations(d("5.00"))},
        [],
    )
    assert book.reserved(CLIENT, new_id()) == d("420.00")
    assert book.reserved(CLIENT, stored) == d("320.00")  # an order never counts itself
    assert book.reserved(OTHER_CLIENT, new_id()) == d("55.00")
    # A re-check of `stored` replaces it; `moved` is checked for the other client and
    # moves there (one reservation per order id, whoever holds it).
    new = new_id()
    (a, b, c), book = judge(
        [check("150.00", stored), check("10.00", moved, OTHER_CLIENT), check("1.00", new)], book
    )
    assert (a.figures.reserved, b.figures.reserved, c.figures.reserved) == (320, 55, 450)
    assert placed(book) == {
        stored: (CLIENT, d("150.00")),
        moved: (OTHER_CLIENT, d("10.00")),
        new: (CLIENT, d("1.00")),
    }


def test_an_invoiced_order_reserves_nothing_and_gives_back_what_it_held() -> None:
    invoiced = new_id()
    book = ReservationBook(NOW, [held(invoiced, "100.00")], {}, [invoiced])
    (a, b), book = judge([check("300.00", invoiced), check("50.00")], book)
    assert a.outcome is Outcome.ALLOW and b.figures.reserved == 0
    changes = book.changes()
    assert changes.release == (invoiced,)
    assert len(changes.put) == 1 and changes.put[0].order_id != invoiced


def test_a_block_on_a_recheck_releases_the_stored_reservation() -> None:
    order = new_id()
    book = ReservationBook(NOW, [held(order, "400.00")], {}, [])
    (a,), book = judge([check("1400.00", order)], book)
    assert a.outcome is Outcome.BLOCK and a.figures.reserved == 0
    assert book.changes().release == (order,) and book.changes().put == ()


def test_expired_reservations_are_purged_once_and_never_count() -> None:
    old, old_elsewhere, fresh = new_id(), new_id(), new_id()
    book = ReservationBook(
        NOW,
        [held(old, "500.00", hours=-1), held(old_elsewhere, "5.00", OTHER_CLIENT, hours=-1)],
        {CLIENT: OtherReservations(d("10.00"), 3)},
        [],
    )
    assert (book.expired(CLIENT), book.expired(OTHER_CLIENT)) == (4, 1)
    (a, b), book = judge([check("100.00", fresh), check("100.00", old)], book)
    assert (a.figures.reserved, b.figures.reserved) == (10, 110)
    changes = book.changes()
    # The client's expired ones are purged (in the database: one DELETE before the writes);
    # `old` is put again by its re-check, the other client's is left alone.
    assert changes.purge_clients == (CLIENT,)
    assert {r.order_id for r in changes.put} == {fresh, old} and changes.release == ()
    assert book.expired(CLIENT) == 0 and book.expired(OTHER_CLIENT) == 1


def test_an_expired_reservation_blocked_on_its_recheck_needs_no_release_after_the_purge() -> None:
    old = new_id()
    book = ReservationBook(NOW, [held(old, "500.00", hours=-1)], {}, [])
    (a,), book = judge([check("5000.00", old)], book)
    assert a.outcome is Outcome.BLOCK
    assert book.changes().purge_clients == (CLIENT,) and book.changes().release == ()


def test_each_check_is_judged_as_of_its_own_day() -> None:
    debt = ClientDebt(
        open_total=d("300.00"),
        open_invoices=2,
        unallocated=d("50.00"),
        overdue_by_due=((date(2024, 4, 1), d("100.00")), (date(2024, 5, 1), d("150.00"))),
    )
    early, late = check("1.00", as_of=date(2024, 4, 20)), check("1.00", as_of=date(2024, 6, 15))
    (a, b), _ = judge([early, late], debt=debt, pol=policy(PolicyMode.WARN, 30))
    assert (a.figures.balance, a.figures.overdue, a.figures.max_overdue_days) == (250, 100, 19)
    assert (b.figures.overdue, b.figures.max_overdue_days) == (250, 75)
    assert (a.outcome, b.outcome) == (Outcome.ALLOW, Outcome.WARN)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=-40, max_value=40),
            st.decimals(min_value=Decimal("-500"), max_value=Decimal("1000"), places=2),
        ),
        max_size=12,
    ),
    st.decimals(min_value=Decimal("0"), max_value=Decimal("300"), places=2),
    st.lists(st.integers(min_value=-10, max_value=50), min_size=1, max_size=4),
)
def test_client_debt_figures_equal_the_ledger_figures(
    items: list[tuple[int, Decimal]], unallocated: Decimal, days: list[int]
) -> None:
    """What the batch read sums (per due date, only the days before the latest as-of day)
    gives the ledger's figures as of every day up to that latest one."""
    docs = [(TODAY + timedelta(days=due), value) for due, value in items if value != 0]
    latest = TODAY + timedelta(days=max(days))
    by_due: dict[date, Decimal] = {}
    for due, value in docs:
        if value > 0 and due < latest:
            by_due[due] = by_due.get(due, Decimal(0)) + value
    debt = ClientDebt(
        open_total=sum((v for _, v in docs), Decimal(0)),
        open_invoices=sum(1 for _, v in docs if v > 0),
        unallocated=unallocated,
        overdue_by_due=tuple(by_due.items()),
    )
    for offset in days:
        as_of = TODAY + timedelta(days=offset)
        assert debt.figures(as_of) == figures(docs, unallocated, as_of)
