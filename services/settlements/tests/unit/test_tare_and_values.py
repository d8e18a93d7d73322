"""Tare ledger per container type, the client account, and the value primitives."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from fieldline_kit.errors import InvalidArgument
from fieldline_settlements.domain.account import BalanceSnapshot, ClientAccount, Reservation
from fieldline_settlements.domain.events import DebtChanged, TareBalanceChanged
from fieldline_settlements.domain.ledger import LedgerFigures
from fieldline_settlements.domain.tare import (
    Direction,
    TareBalance,
    TareMovement,
    container_type,
    new_balance,
)
from fieldline_settlements.domain.values import (
    amount,
    document_id,
    fmt,
    fmt_quantity,
    quantity,
    require_id,
    role,
)

from .conftest import CLIENT, NOW, OUTLET_A, d

DAY = date(2024, 5, 15)


def move(balance: TareBalance, direction: Direction, qty: str, doc: str = "doc-1") -> None:
    movement = TareMovement(CLIENT, OUTLET_A, balance.container_type, doc, direction, d(qty), DAY)
    balance.move(movement, d("150.00"))


class TestTare:
    def test_issued_and_returned_make_the_balance_and_its_deposit_value(self) -> None:
        keg = new_balance(CLIENT, "keg-50")
        move(keg, Direction.ISSUED, "4", "sale-1")
        move(keg, Direction.ISSUED, "2", "sale-2")
        move(keg, Direction.RETURNED, "5", "return-1")
        assert (keg.issued, keg.returned, keg.balance) == (d("6"), d("5"), d("1"))
        assert keg.deposit_value(d("1500.00")) == d("1500.00")

    def test_deposit_value_rounds_half_up_to_kopecks(self) -> None:
        crate = TareBalance(CLIENT, "crate", d("0.5"), d("0"), 1)
        assert crate.deposit_value(d("0.25")) == d("0.13")

    def test_more_returned_than_issued_is_a_negative_balance(self) -> None:
        bottle = new_balance(CLIENT, "bottle-0.5")
        move(bottle, Direction.RETURNED, "12")
        assert bottle.balance == d("-12")

    def test_each_move_records_an_event_with_the_state_then(self) -> None:
        keg = new_balance(CLIENT, "keg-50")
        move(keg, Direction.ISSUED, "4", "sale-1")
        move(keg, Direction.RETURNED, "1", "return-1")
        assert [type(e) for e in keg.events] == [TareBalanceChanged, TareBalanceChanged]
        first, second = keg.events  # type: ignore[misc]
        assert (first.balance.balance, first.document_id) == (d("4"), "sale-1")  # type: ignore[attr-defined]
        assert (second.balance.balance, second.document_id) == (d("3"), "return-1")  # type: ignore[attr-defined]
        assert first.deposit_per_unit == d("150.00")  # type: ignore[attr-defined]

    def test_new_balance_is_version_one_and_steps_once_per_unit_of_work(self) -> None:
        keg = new_balance(CLIENT, "keg-50")
        move(keg, Direction.ISSUED, "1")
        move(keg, Direction.ISSUED, "1", "doc-2")
        assert keg.version == 1
        assert [e.balance.version for e in keg.events] == [1, 1]  # type: ignore[attr-defined]
        loaded = TareBalance(CLIENT, "keg-50", d("2"), d("0"), 1)
        move(loaded, Direction.RETURNED, "1")
        move(loaded, Direction.RETURNED, "1", "doc-2")
        assert loaded.version == 2
        loaded.events.clear()  # published: the next unit of work
        move(loaded, Direction.RETURNED, "1", "doc-3")
        assert loaded.version == 3

    def test_zero_quantity_moves_nothing(self) -> None:
        keg = new_balance(CLIENT, "keg-50")
        move(keg, Direction.ISSUED, "0")
        assert keg.version == 0 and keg.events == []

    def test_container_type_is_required(self) -> None:
        with pytest.raises(
            InvalidArgument, match=r"containers\[0\].container_type: must not be empty"
        ):
            container_type("containers[0].container_type", "  ")


class TestAccount:
    def account(self) -> ClientAccount:
        return ClientAccount(CLIENT, None, 0, 0, NOW)

    def snapshot(self) -> BalanceSnapshot:
        return BalanceSnapshot.of(CLIENT, "", LedgerFigures(d("0"), d("0"), 0, 0), None, d("0"))

    def test_terms_make_the_due_date(self) -> None:
        acc = self.account()
        assert acc.set_terms(limit=d("1000.00"), clear=False, terms_days=14, now=NOW)
        assert acc.due_date(DAY) == DAY + timedelta(days=14)
        assert acc.credit_limit == d("1000.00")

    def test_changed_terms_are_published_at_one_new_version(self) -> None:
        acc = ClientAccount(CLIENT, d("10.00"), 3, 4, NOW)
        later = NOW + timedelta(minutes=1)
        assert acc.set_terms(limit=None, clear=True, terms_days=3, now=later)
        assert (acc.credit_limit, acc.version, acc.updated_at) == (None, 4, later)
        acc.debt_changed([self.snapshot()], later)
        acc.debt_changed([self.snapshot()], later)  # the same unit of work: the same version
        assert acc.version == 5
        assert [e.version for e in acc.events] == [5, 5]  # type: ignore[attr-defined]
        acc.events.clear()  # published: the next unit of work
        acc.debt_changed([self.snapshot()], later)
        assert acc.version == 6

    def test_unchanged_terms_do_not_step_the_version(self) -> None:
        acc = ClientAccount(CLIENT, d("10.00"), 3, 4, NOW)
        assert not acc.set_terms(limit=d("10.00"), clear=False, terms_days=3, now=NOW)
        assert acc.version == 4

    @pytest.mark.parametrize(
        ("limit", "clear", "terms", "message"),
        [
            (None, False, 0, "limit: is required"),
            (Decimal("5"), True, 0, "limit: must be empty when clear is set"),
            (Decimal("-5"), False, 0, "limit: must not be negative"),
            (Decimal("5"), False, -1, "payment_terms_days: must be within"),
            (Decimal("5"), False, 4000, "payment_terms_days: must be within"),
        ],
    )
    def test_invalid_terms(
        self, limit: Decimal | None, clear: bool, terms: int, message: str
    ) -> None:
        with pytest.raises(InvalidArgument, match=message):
            self.account().set_terms(limit=limit, clear=clear, terms_days=terms, now=NOW)

    def test_debt_changed_steps_the_version_once_for_client_and_outlets(self) -> None:
        acc = ClientAccount(CLIENT, None, 0, 7, NOW)
        fig = LedgerFigures(d("1.00"), d("0.00"), 0, 1)
        snaps = [
            BalanceSnapshot.of(CLIENT, "", fig, None, d("5.00")),
            BalanceSnapshot.of(CLIENT, OUTLET_A, fig, None, d("5.00")),
        ]
        acc.debt_changed(snaps, NOW)
        assert acc.version == 8
        assert [type(e) for e in acc.events] == [DebtChanged, DebtChanged]
        assert all(e.version == 8 for e in acc.events)  # type: ignore[attr-defined]
        assert snaps[1].reserved == d("0.00")  # reservations are per client

    def test_reservation_expires(self) -> None:
        r = Reservation.create(
            "9f6c1f1e-4a8e-4b8e-9a3c-7c1e2f3a4b5c", CLIENT, d("10.00"), "ORDER_SUBMIT", NOW, 72
        )
        assert r.active(NOW + timedelta(hours=71))
        assert not r.active(NOW + timedelta(hours=72))


class TestValues:
    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("1.001", "must have at most 2 decimal places"),
            ("-1", "must not be negative"),
            ("NaN", "must be a finite amount"),
            ("1E+17", "is out of range"),
        ],
    )
    def test_bad_amounts(self, value: str, message: str) -> None:
        with pytest.raises(InvalidArgument, match=f"x: {re.escape(message)}"):
            amount("x", Decimal(value))

    def test_amount_is_quantized(self) -> None:
        assert str(amount("x", Decimal("5"))) == "5.00"
        assert str(amount("x", Decimal("-5.1"), allow_negative=True)) == "-5.10"

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("abc", "must be a decimal number"),
            ("-1", "must not be negative"),
            ("0.0001", "at most 3 decimal places"),
            ("Infinity", "must be a finite number"),
        ],
    )
    def test_bad_quantities(self, value: str, message: str) -> None:
        with pytest.raises(InvalidArgument, match=message):
            quantity("q", value)

    def test_quantities_print_without_trailing_zeros(self) -> None:
        assert fmt_quantity(quantity("q", "12.500")) == "12.5"
        assert fmt_quantity(quantity("q", "100")) == "100"
        assert fmt_quantity(quantity("q", "0")) == "0"

    def test_document_ids(self) -> None:
        assert document_id("id", "00-000123") == "00-000123"
        assert document_id("id", "ПП-004512") == "ПП-004512"  # 1C's numbering, in Cyrillic
        assert document_id("id", "9F6C1F1E-4A8E-4B8E-9A3C-7C1E2F3A4B5C") == (
            "9f6c1f1e-4a8e-4b8e-9a3c-7c1e2f3a4b5c"
        )
        with pytest.raises(InvalidArgument, match=r"id: must be a UUID or letters"):
            document_id("id", "a b")
        for bad in ("_x", "-1", "ПП 1", "x\ny", "x\u200by"):
            with pytest.raises(InvalidArgument, match=r"id: must be a UUID or letters"):
                document_id("id", bad)
        with pytest.raises(InvalidArgument, match=r"id: must be at most 64 characters"):
            document_id("id", "x" * 65)
        with pytest.raises(InvalidArgument, match=r"id: is required"):
            document_id("id", "")

    def test_ids_and_roles(self) -> None:
        with pytest.raises(InvalidArgument, match=r"client_id: must be a UUID"):
            require_id("client_id", "acme")
        assert role("r", " supervisor ") == "SUPERVISOR"
        # The clients API names roles ROLE_SUPERVISOR…: the prefix is dropped.
        assert role("r", "ROLE_SUPERVISOR") == role("r", "role_supervisor") == "SUPERVISOR"
        for bad in ("head of sales", "ROLE_", "РОЛЬ", "ROLE_ﬀ"):
            with pytest.raises(InvalidArgument, match=r"r: must be a role name"):
                role("r", bad)

    def test_amounts_for_people(self) -> None:
        assert fmt(Decimal("1234567.8")) == "1 234 567.80"
        assert fmt(Decimal("-5")) == "-5.00"
