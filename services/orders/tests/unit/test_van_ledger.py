"""Van stock ledger, unloading discrepancies and cash reconciliation, returns."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from fieldline_kit.errors import FailedPrecondition, InvalidArgument
from fieldline_orders.domain import events
from fieldline_orders.domain.orders import Order, OrderStatus
from fieldline_orders.domain.returns import ContainerInput, GoodsReturn, ReturnLineInput
from fieldline_orders.domain.van import (
    Movement,
    MovementKind,
    Unloading,
    Van,
    VanLoad,
    balances,
    check_sale_stock,
    expected_cash,
    sum_by_product,
)

from .orders_factories import (
    ALLOW,
    CLIENT,
    DAY,
    LIMITS,
    NOW,
    OTHER_CLIENT,
    book,
    header,
    line,
    new_id,
    price_list,
    price_type,
    product,
)

D = Decimal


def van() -> Van:
    return Van.create(id=new_id(), name="ГАЗель 1", van_seller_id=new_id(), currency="", now=NOW)


def test_van_defaults_and_validation() -> None:
    v = van()
    assert v.currency_code == "RUB"
    with pytest.raises(InvalidArgument, match=r"van\.van_seller_id"):
        Van.create(id=new_id(), name="x", van_seller_id="", currency="RUB", now=NOW)
    with pytest.raises(InvalidArgument, match=r"van\.currency_code"):
        Van.create(id=new_id(), name="x", van_seller_id=new_id(), currency="rub", now=NOW)


def test_load_sums_lines_per_product_and_writes_positive_movements() -> None:
    v = van()
    a, b = new_id(), new_id()
    load = VanLoad.create(
        load_id=new_id(), van_id=v.id, on=DAY, lines=[(a, D(24)), (b, D(5)), (a, D(6))], now=NOW
    )
    assert load.lines == ((a, D(30)), (b, D(5)))
    assert [(m.kind, m.product_id, m.quantity) for m in load.movements()] == [
        (MovementKind.LOAD, a, D(30)),
        (MovementKind.LOAD, b, D(5)),
    ]
    (event,) = load.events
    assert isinstance(event, events.VanLoaded)
    with pytest.raises(InvalidArgument, match="lines: at least one"):
        VanLoad.create(load_id=new_id(), van_id=v.id, on=DAY, lines=[], now=NOW)


def test_sale_stock_check_names_product_available_and_requested() -> None:
    a = new_id()
    check_sale_stock("van", {a: D(5)}, {a: D(5)}, {a: "lines[0].quantity"})
    with pytest.raises(FailedPrecondition) as info:
        check_sale_stock("van", {a: D(6)}, {a: D(5)}, {a: "lines[2].quantity"}, {a: "SKU-1"})
    assert info.value.message == (
        "lines[2].quantity: not enough stock of product SKU-1 in van van: available 5, requested 6"
    )
    with pytest.raises(FailedPrecondition, match="available 0, requested 1"):
        check_sale_stock("van", {a: D(1)}, {}, {a: "f"})


def test_a_day_of_movements_balances_to_the_stock_and_unloading_empties_the_van() -> None:
    v = van()
    beer, water, chips = new_id(), new_id(), new_id()
    load = VanLoad.create(
        load_id=new_id(), van_id=v.id, on=DAY, lines=[(beer, D(48)), (water, D(12))], now=NOW
    )
    movements = load.movements()
    movements.append(Movement(v.id, new_id(), MovementKind.SALE, beer, D(-20), DAY))
    movements.append(Movement(v.id, new_id(), MovementKind.SALE, water, D(-12), DAY))
    movements.append(Movement(v.id, new_id(), MovementKind.RETURN, beer, D(2), DAY))
    expected = {p: q for (_, p), q in balances(movements).items()}
    assert expected == {beer: D(30), water: D(0)}

    # Counted: 28 beer (2 short), 1 water (1 surplus), 3 chips that were never loaded.
    unloading = Unloading.reconcile(
        unload_id=new_id(),
        van=v,
        on=DAY,
        expected=expected,
        counted=[(beer, D(28)), (water, D(1)), (chips, D(3))],
        cash_expected=D("1500.50"),
        cash_handed_over=D("1490.00"),
        cash_currency="RUB",
        now=NOW,
    )
    assert [
        (d.product_id, d.expected, d.counted, d.difference) for d in unloading.discrepancies
    ] == [
        (beer, D(30), D(28), D(-2)),
        (water, D(0), D(1), D(1)),
        (chips, D(0), D(3), D(3)),
    ]
    assert unloading.cash_difference == D("-10.50")
    unload_moves = unloading.movements()
    assert all(m.kind is MovementKind.UNLOAD for m in unload_moves)
    # the discrepancy is booked first, then the counted goods leave
    assert [(m.product_id, m.quantity, m.discrepancy) for m in unload_moves] == [
        (beer, D(-2), True),
        (beer, D(-28), False),
        (water, D(1), True),
        (water, D(-1), False),
        (chips, D(3), True),
        (chips, D(-3), False),
    ]
    after = balances([*movements, *unload_moves])
    assert all(q == 0 for q in after.values())
    (event,) = unloading.events
    assert isinstance(event, events.VanUnloaded)


def test_unloading_without_discrepancy() -> None:
    v = van()
    a = new_id()
    u = Unloading.reconcile(
        unload_id=new_id(),
        van=v,
        on=DAY,
        expected={a: D(5), new_id(): D(0)},
        counted=[(a, D(5))],
        cash_expected=D(0),
        cash_handed_over=D(0),
        cash_currency="",
        now=NOW,
    )
    assert u.discrepancies == ()
    assert [(m.quantity, m.discrepancy) for m in u.movements()] == [(D(-5), False)]
    assert u.cash_difference == 0


def test_unloading_refusals() -> None:
    v = van()
    a = new_id()
    common = {"unload_id": new_id(), "van": v, "on": DAY, "expected": {}, "now": NOW}
    with pytest.raises(InvalidArgument, match=r"counted\[1\]\.product_id: .* twice"):
        Unloading.reconcile(
            **common,  # type: ignore[arg-type]
            counted=[(a, D(1)), (a, D(2))],
            cash_expected=D(0),
            cash_handed_over=D(0),
            cash_currency="",
        )
    with pytest.raises(InvalidArgument, match=r"cash_handed_over\.currency_code"):
        Unloading.reconcile(
            **common,  # type: ignore[arg-type]
            counted=[],
            cash_expected=D(0),
            cash_handed_over=D(1),
            cash_currency="USD",
        )


def test_expected_cash_deducts_earlier_unloadings_of_the_day() -> None:
    assert expected_cash([D("100.10"), D("50")], []) == D("150.10")
    assert expected_cash([D("100.10"), D("50")], [D("100.10")]) == D(50)


def test_sum_by_product_keeps_first_seen_order() -> None:
    a, b = new_id(), new_id()
    assert list(sum_by_product([(b, D(1)), (a, D(2)), (b, D(3))]).items()) == [(b, D(4)), (a, D(2))]


# ------------------------------------------------------------------------------- returns
def _sale(qty: str = "10", price: str = "33.33") -> tuple[Order, object]:
    p = product(container="bottle-0.5", per_unit="1")
    pt = price_type()
    b = book([p], pt=pt, lists=[price_list(pt, {p.id: price})])
    lines = b.price_lines([line(p, qty)], roles=(), limits=LIMITS)
    order = Order.van_sale(header(), van(), lines, "RUB", ALLOW, D(0), "", NOW)
    return order, (p, pt, b)


def test_return_priced_from_the_sale_proportionally() -> None:
    sale, (p, _pt, b) = _sale("3")  # gross 99.99 for 3
    r = GoodsReturn.accept(
        return_id=new_id(),
        van_id="",
        client_id=CLIENT,
        outlet_id=new_id(),
        on=DAY,
        lines=[ReturnLineInput(p.id, "", "1", "damaged")],  # type: ignore[attr-defined]
        containers=[ContainerInput("bottle-0.5", "5"), ContainerInput("bottle-0.5", "1")],
        book=b,  # type: ignore[arg-type]
        sale=sale,
        already_returned={},
        actor_id=new_id(),
        now=NOW,
    )
    (ln,) = r.lines
    assert (ln.base_quantity, ln.unit_price, ln.gross_amount) == (D(1), D("33.33"), D("33.33"))
    assert r.containers == (("bottle-0.5", D(6)),)
    assert r.gross_total == D("33.33") and r.currency_code == "RUB"
    assert isinstance(r.events[0], events.ReturnAccepted)


def test_return_everything_credits_exactly_the_invoice() -> None:
    sale, (p, _pt, b) = _sale("7", "0.07")  # 0.49
    r = GoodsReturn.accept(
        return_id=new_id(),
        van_id="",
        client_id=CLIENT,
        outlet_id=new_id(),
        on=DAY,
        lines=[ReturnLineInput(p.id, "", "7")],  # type: ignore[attr-defined]
        containers=[],
        book=b,  # type: ignore[arg-type]
        sale=sale,
        already_returned={},
        actor_id=new_id(),
        now=NOW,
    )
    assert r.gross_total == sale.gross_total


def test_return_cannot_exceed_what_was_delivered_less_earlier_returns() -> None:
    sale, (p, _pt, b) = _sale("10")
    kwargs = {
        "return_id": new_id(),
        "van_id": "",
        "client_id": CLIENT,
        "outlet_id": new_id(),
        "on": DAY,
        "containers": [],
        "book": b,
        "sale": sale,
        "actor_id": new_id(),
        "now": NOW,
    }
    with pytest.raises(
        FailedPrecondition, match=r"lines\[0\]\.quantity: 4 .* 10 delivered, 3 left"
    ):
        GoodsReturn.accept(
            lines=[ReturnLineInput(p.id, "", "4")],  # type: ignore[attr-defined]
            already_returned={p.id: D(7)},
            **kwargs,  # type: ignore[arg-type]
        )
    with pytest.raises(FailedPrecondition, match="left to return"):
        GoodsReturn.accept(
            lines=[ReturnLineInput(p.id, "", "6"), ReturnLineInput(p.id, "", "5")],  # type: ignore[attr-defined]
            already_returned={},
            **kwargs,  # type: ignore[arg-type]
        )
    other = product()
    with pytest.raises(InvalidArgument, match="not in order"):
        GoodsReturn.accept(
            lines=[ReturnLineInput(other.id, "", "1")],
            already_returned={},
            **{**kwargs, "book": book([p, other], pt=price_type())},  # type: ignore[arg-type,attr-defined]
        )
    with pytest.raises(InvalidArgument, match=r"order_id: .* another client"):
        GoodsReturn.accept(
            lines=[ReturnLineInput(p.id, "", "1")],  # type: ignore[attr-defined]
            already_returned={},
            **{**kwargs, "client_id": OTHER_CLIENT},  # type: ignore[arg-type]
        )


def test_return_of_a_pre_sale_not_delivered_is_refused() -> None:
    sale, (p, _pt, b) = _sale("10")
    sale.status = OrderStatus.SUBMITTED
    sale.lines = [
        ln.__class__(**{**ln.__dict__, "delivered_base_quantity": D(0)}) for ln in sale.lines
    ]
    with pytest.raises(FailedPrecondition, match="0 delivered"):
        GoodsReturn.accept(
            return_id=new_id(),
            van_id="",
            client_id=CLIENT,
            outlet_id=new_id(),
            on=DAY,
            lines=[ReturnLineInput(p.id, "", "1")],  # type: ignore[attr-defined]
            containers=[],
            book=b,  # type: ignore[arg-type]
            sale=sale,
            already_returned={},
            actor_id=new_id(),
            now=NOW,
        )


def test_return_without_a_sale_is_priced_at_the_current_price() -> None:
    p = product()
    pt = price_type(vat_included=False)
    b = book([p], pt=pt, lists=[price_list(pt, {p.id: "10.00"}, date(2024, 1, 1))])
    r = GoodsReturn.accept(
        return_id=new_id(),
        van_id=new_id(),
        client_id=CLIENT,
        outlet_id=new_id(),
        on=DAY,
        lines=[ReturnLineInput(p.id, "box", "1")],
        containers=[],
        book=b,
        sale=None,
        already_returned={},
        actor_id=new_id(),
        now=NOW,
    )
    (ln,) = r.lines
    assert (ln.base_quantity, ln.unit_price, ln.gross_amount) == (D(12), D(10), D("144.00"))


def test_return_needs_goods_or_containers() -> None:
    with pytest.raises(InvalidArgument, match="goods or containers"):
        GoodsReturn.accept(
            return_id=new_id(),
            van_id="",
            client_id=CLIENT,
            outlet_id=new_id(),
            on=DAY,
            lines=[],
            containers=[],
            book=book([], pt=price_type()),
            sale=None,
            already_returned={},
            actor_id=new_id(),
            now=NOW,
        )
    with pytest.raises(InvalidArgument, match=r"containers\[0\]\.quantity"):
        GoodsReturn.accept(
            return_id=new_id(),
            van_id="",
            client_id=CLIENT,
            outlet_id=new_id(),
            on=DAY,
            lines=[],
            containers=[ContainerInput("keg", "0")],
            book=book([], pt=price_type()),
            sale=None,
            already_returned={},
            actor_id=new_id(),
            now=NOW,
        )
