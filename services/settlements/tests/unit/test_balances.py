"""Balance and overdue figures as of a date, aging buckets, statements with running balance."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldline_settlements.domain.ledger import (
    AGING_BUCKETS,
    StatementEntry,
    aging_bucket,
    aging_cutoffs,
    aging_row,
    days_past_due,
    figures,
    statement,
)

from .conftest import d, invoice, ledger, payment

AS_OF = date(2024, 5, 15)


def test_days_past_due() -> None:
    assert days_past_due(date(2024, 5, 15), AS_OF) == 0  # due today: not overdue
    assert days_past_due(date(2024, 5, 20), AS_OF) == 0
    assert days_past_due(date(2024, 5, 14), AS_OF) == 1
    assert days_past_due(date(2024, 4, 15), AS_OF) == 30


def test_figures_balance_overdue_and_oldest() -> None:
    led = ledger(
        invoice("100.00", due=date(2024, 5, 1)),  # 14 days past due
        invoice("50.00", due=date(2024, 3, 16)),  # 60 days past due
        invoice("70.00", due=date(2024, 6, 1)),  # not yet due
    )
    f = led.figures(AS_OF)
    assert f.balance == d("220.00")
    assert f.overdue == d("150.00")
    assert f.max_overdue_days == 60
    assert f.open_invoices == 3


def test_overdue_is_judged_as_of_the_date_asked() -> None:
    led = ledger(invoice("100.00", due=date(2024, 5, 1)))
    assert led.figures(date(2024, 5, 1)).overdue == d("0.00")
    assert led.figures(date(2024, 5, 2)).max_overdue_days == 1
    assert led.figures(date(2024, 7, 30)).max_overdue_days == 90


def test_partially_paid_overdue_invoice_counts_only_what_is_open() -> None:
    led = ledger(invoice("100.00", due=date(2024, 4, 1)), payment("60.00"))
    f = led.figures(AS_OF)
    assert (f.balance, f.overdue, f.max_overdue_days) == (d("40.00"), d("40.00"), 44)


def test_fully_paid_invoice_is_not_overdue() -> None:
    led = ledger(invoice("100.00", due=date(2024, 1, 1)), payment("100.00"))
    f = led.figures(AS_OF)
    assert (f.balance, f.overdue, f.max_overdue_days, f.open_invoices) == (
        d("0.00"),
        d("0.00"),
        0,
        0,
    )


def test_credit_notes_reduce_the_balance_but_are_never_overdue() -> None:
    f = figures([(date(2024, 1, 1), d("-30.00"))], d("0.00"), AS_OF)
    assert (f.balance, f.overdue, f.max_overdue_days, f.open_invoices) == (
        d("-30.00"),
        d("0.00"),
        0,
        0,
    )


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-10, "current"),
        (0, "current"),
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "over 90"),
        (400, "over 90"),
    ],
)
def test_aging_buckets_boundaries(days: int, bucket: str) -> None:
    assert AGING_BUCKETS[aging_bucket(days)] == bucket


def test_aging_row_sorts_open_amounts_into_buckets_and_credits_into_current() -> None:
    items = [
        (AS_OF + timedelta(days=5), d("10.00")),
        (AS_OF - timedelta(days=1), d("20.00")),
        (AS_OF - timedelta(days=45), d("30.00")),
        (AS_OF - timedelta(days=75), d("40.00")),
        (AS_OF - timedelta(days=120), d("50.00")),
        (AS_OF - timedelta(days=200), d("-5.00")),  # credit note: current
    ]
    row = aging_row("c", items, d("3.00"), AS_OF)
    assert row.buckets == (d("2.00"), d("20.00"), d("30.00"), d("40.00"), d("50.00"))
    assert row.total == d("142.00")
    assert (row + row).total == d("284.00")


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=-30, max_value=400),
            st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000"), places=2),
        ),
        max_size=20,
    )
)
def test_aging_cutoffs_agree_with_the_bucket_rule(items: list[tuple[int, Decimal]]) -> None:
    """The SQL report buckets by due date with aging_cutoffs; it must match aging_bucket."""
    current, c30, c60, c90 = aging_cutoffs(AS_OF)
    for days, _ in items:
        due = AS_OF - timedelta(days=days)
        by_cutoff = (
            0
            if due >= current
            else 1
            if due >= c30
            else 2
            if due >= c60
            else 3
            if due >= c90
            else 4
        )
        assert by_cutoff == aging_bucket(days_past_due(due, AS_OF))
    row = aging_row("c", [(AS_OF - timedelta(days=n), a) for n, a in items], d("0"), AS_OF)
    assert row.total == sum((a for _, a in items), d("0.00"))


def test_statement_running_balance_and_order() -> None:
    entries = [
        StatementEntry(date(2024, 5, 3), "payment", "p1", "R-1", d("-50.00")),
        StatementEntry(date(2024, 5, 1), "invoice", "i1", "VS-000001", d("100.00")),
        StatementEntry(date(2024, 5, 3), "invoice", "i2", "VS-000002", d("30.00")),
        StatementEntry(date(2024, 5, 3), "credit_note", "c1", "CN-000001", d("-10.00")),
    ]
    s = statement(d("20.00"), entries)
    assert [line.entry.document_id for line in s.lines] == ["i1", "i2", "c1", "p1"]
    assert [line.running_balance for line in s.lines] == [
        d("120.00"),
        d("150.00"),
        d("140.00"),
        d("90.00"),
    ]
    assert (s.opening_balance, s.closing_balance) == (d("20.00"), d("90.00"))


def test_empty_statement_closes_at_the_opening() -> None:
    s = statement(d("12.34"), [])
    assert s.lines == () and s.closing_balance == d("12.34")
