"""The per-line short paths of pricing and order building agree with the plain forms.

Every order line goes through `check_scale` (twice), `positive_quantity`, `line_amounts`,
`OrderLine.from_priced` and `fmt`, and is made as `LineInput`, `LineAmounts` and `PricedLine`;
every order through `Order.snapshot`; each has a faster form for the usual case. The
references below are the plain forms they replaced; the results must be the same (value and
representation) and so must the errors. The price book's own short paths:
test_price_book_short_paths.py.
"""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldline.orders.v1 import orders_service_pb2 as os_
from fieldline_kit.errors import InvalidArgument
from fieldline_orders.adapters.proto_mapping import line_inputs
from fieldline_orders.domain.orders import Order, OrderLine
from fieldline_orders.domain.pricing import LineAmounts, LineInput, PricedLine, line_amounts
from fieldline_orders.domain.values import (
    HUNDRED,
    MAX_INTEGER_DIGITS,
    QTY_PLACES,
    ZERO,
    check_scale,
    decimal_places,
    fits_scale,
    fmt,
    known_quantity,
    parse_decimal,
    positive_quantity,
    round_money,
)

from .orders_factories import ALLOW, BLOCK, LIMITS, NOW, book, header, line, price_list
from .orders_factories import price_type as new_price_type
from .orders_factories import product as new_product


def ref_check_scale(field: str, value: Decimal, places: int, what: str = "") -> Decimal:
    if decimal_places(value) > places:
        raise InvalidArgument(field, f"must have at most {places} decimal places{what}")
    if abs(value) >= Decimal(10) ** MAX_INTEGER_DIGITS:
        raise InvalidArgument(field, "is too large")
    return value


def ref_positive_quantity(field: str, value: str) -> Decimal:
    q = parse_decimal(field, value)
    if q <= 0:
        raise InvalidArgument(field, f"must be positive, got {value.strip()}")
    return ref_check_scale(field, q, QTY_PLACES)


def ref_line_amounts(
    base_quantity: Decimal,
    unit_price: Decimal,
    rule_percent: Decimal,
    manual_percent: Decimal,
    vat_rate: Decimal,
    vat_included: bool,
) -> LineAmounts:
    list_amount = base_quantity * unit_price
    discounted = round_money(
        list_amount * (1 - rule_percent / HUNDRED) * (1 - manual_percent / HUNDRED)
    )
    if vat_included:
        gross = discounted
        vat = round_money(gross * vat_rate / (HUNDRED + vat_rate))
        net = gross - vat
    else:
        net = discounted
        vat = round_money(net * vat_rate / HUNDRED)
        gross = net + vat
    return LineAmounts(list_amount, discounted, net, vat, gross)


def ref_fmt(value: Decimal) -> str:
    return "0" if value == 0 else format(value.normalize(), "f")


def _same(a: object, b: object) -> bool:
    """Equal, and decimals written alike (Decimal("1.50") == Decimal("1.5"), but not alike)."""
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return str(a) == str(b)
    if dataclasses.is_dataclass(a) and dataclasses.is_dataclass(b):
        return type(a) is type(b) and all(
            _same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a)
        )
    return a == b


def _outcome(call: object) -> tuple[str, object]:
    try:
        return "ok", call()  # type: ignore[operator]
    except Exception as exc:  # compared by type and message
        return type(exc).__name__, str(exc)


_decimals = st.one_of(
    st.builds(
        lambda sign, coef, exp: Decimal(f"{'-' if sign else ''}{coef}E{exp}"),
        st.booleans(),
        st.one_of(st.integers(0, 10**6), st.integers(0, 10**20), st.integers(0, 10**35)),
        st.one_of(st.integers(-8, 4), st.integers(-40, 30)),
    ),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [Decimal("-0.000"), Decimal("0E-12"), Decimal("1E-999999"), Decimal("1.0000000000")]
    ),
)


@settings(max_examples=2000, deadline=None)
@given(value=_decimals, places=st.integers(0, 12))
def test_check_scale_is_the_plain_check(value: Decimal, places: int) -> None:
    got = _outcome(lambda: check_scale("f", value, places, " x"))
    want = _outcome(lambda: ref_check_scale("f", value, places, " x"))
    assert got[0] == want[0]
    assert _same(got[1], want[1]) if got[0] == "ok" else got[1] == want[1]
    if fits_scale(value, places):  # the short path callers use without a field path
        assert want[0] == "ok" and _same(want[1], value)


_quantity_texts = st.one_of(
    st.sampled_from(["1", "12", "0.5", "1.000", "1.0005", "0", "-0", "-1", "1e3", "1E-3", "1e15"]),
    st.sampled_from(["NaN", "sNaN", "inf", "abc", "1,5", "٣", "1_0", "", "  ", " 3 ", "\t2\n"]),
    _decimals.map(str),
    st.text(alphabet="0123456789.-+eE ", max_size=8),
)


@settings(max_examples=2000, deadline=None)
@given(texts=st.lists(_quantity_texts, min_size=1, max_size=6))
def test_positive_quantity_keeps_what_the_plain_check_gives(texts: list[str]) -> None:
    for text in texts + texts:  # the second time from the kept decimals
        want = _outcome(lambda: ref_positive_quantity("q", text))  # noqa: B023
        got = _outcome(lambda: positive_quantity("q", text))  # noqa: B023
        assert got[0] == want[0]
        assert _same(got[1], want[1]) if got[0] == "ok" else got[1] == want[1]
        known = known_quantity(text)
        assert known is None or (want[0] == "ok" and _same(known, want[1]))
    assert known_quantity(None) is None  # type: ignore[arg-type]


_qty = st.builds(lambda n: Decimal(n).scaleb(-3), st.integers(1, 10**9))
_price = st.builds(lambda n: Decimal(n).scaleb(-2), st.integers(0, 10**9))
_pct = st.one_of(
    st.sampled_from([ZERO, Decimal("0.000"), Decimal("5"), Decimal("100")]),
    st.builds(lambda n: Decimal(n).scaleb(-3), st.integers(0, 100_000)),
)


@settings(max_examples=2000, deadline=None)
@given(
    q=_qty,
    price=_price,
    rule=_pct,
    manual=_pct,
    vat=st.sampled_from([Decimal(0), Decimal(10), Decimal(20), Decimal(22)]),
    included=st.booleans(),
)
def test_line_amounts_are_the_plain_formula(
    q: Decimal,
    price: Decimal,
    rule: Decimal,
    manual: Decimal,
    vat: Decimal,
    included: bool,
) -> None:
    assert _same(
        line_amounts(q, price, rule, manual, vat, included),
        ref_line_amounts(q, price, rule, manual, vat, included),
    )


@settings(max_examples=1000, deadline=None)
@given(values=st.lists(_decimals.filter(lambda d: not d.is_snan()), max_size=20))
def test_fmt_shows_what_the_plain_format_shows(values: list[Decimal]) -> None:
    for value in values + values:  # the second time from the kept texts
        assert fmt(value) == ref_fmt(value)
    assert fmt(Decimal("12.0")) == fmt(Decimal("12")) == "12"
    assert fmt(Decimal("-0.00")) == "0" and fmt(Decimal("0.500")) == "0.5"
    with pytest.raises(AttributeError):
        fmt(5)  # type: ignore[arg-type]


@pytest.mark.parametrize("container", ["", "keg"])
def test_order_lines_and_snapshots_are_what_the_dataclass_makes(container: str) -> None:
    beer = new_product(container=container, per_unit="2" if container else "")
    water = new_product(vat="10")
    pt = new_price_type()
    priced = book(
        [beer, water], pt=pt, lists=[price_list(pt, {beer.id: "33.33", water.id: "10.5"})]
    ).price_lines(
        [line(beer, "3", "box", "2.5"), line(water, "7")], roles=("AGENT",), limits=LIMITS
    )
    for i, p in enumerate(priced, start=1):
        made = OrderLine.from_priced(i, p)
        plain = OrderLine(
            line_no=i,
            product_id=p.product.id,
            unit=p.unit,
            quantity=p.quantity,
            base_quantity=p.base_quantity,
            unit_price=p.unit_price,
            price_source=p.price_source,
            rule_discount_percent=p.rule_discount_percent,
            manual_discount_percent=p.manual_discount_percent,
            net_amount=p.amounts.net,
            vat_rate=p.product.vat_rate,
            vat_amount=p.amounts.vat,
            gross_amount=p.amounts.gross,
            delivered_base_quantity=ZERO,
            container_type=p.product.container_type,
            container_quantity=p.product.containers_for(p.base_quantity),
        )
        assert _same(made, plain) and made == plain and hash(made) == hash(plain)
        assert repr(made) == repr(plain)
        with pytest.raises(dataclasses.FrozenInstanceError):
            made.quantity = ZERO  # type: ignore[misc]
    for decision in (ALLOW, BLOCK):
        order = Order.submit(header(), priced, "RUB", decision, NOW)
        snap, plain_snap = (
            order.snapshot(),
            replace(order, lines=list(order.lines), events=[], new_history=[]),
        )
        assert type(snap) is Order and snap == plain_snap and vars(snap) == vars(plain_snap)
        assert snap.lines is not order.lines and snap.events == [] and snap.new_history == []
        assert order.events and order.new_history  # the original keeps its own


def _made_alike(made: object, plain: object) -> None:
    """`made` is what the dataclass's own __init__ makes of the same values."""
    assert type(made) is type(plain) and made == plain and hash(made) == hash(plain)
    assert repr(made) == repr(plain) and vars(made) == vars(plain)
    assert list(vars(made)) == [f.name for f in dataclasses.fields(made)]  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.quantity = ZERO  # type: ignore[attr-defined]


def test_lines_made_per_order_line_are_what_the_dataclass_makes() -> None:
    amounts = line_amounts(Decimal(24), Decimal("33.33"), Decimal(2), ZERO, Decimal(20), True)
    _made_alike(amounts, LineAmounts(*(getattr(amounts, f) for f in vars(amounts))))
    p = new_product()
    values = (p, "box", Decimal(2), Decimal(24), Decimal("33.33"), "x", Decimal(2), ZERO)
    _made_alike(PricedLine.of(*values, amounts), PricedLine(*values, amounts))
    _made_alike(LineInput.of("id", "box", "2", ""), LineInput("id", "box", "2"))
    request = os_.SubmitOrderRequest(
        lines=[
            os_.OrderLineInput(product_id=p.id, unit="box", quantity="2"),
            os_.OrderLineInput(product_id="x", quantity="1.5", manual_discount_percent="3"),
        ]
    )
    plain = [LineInput(p.id, "box", "2", ""), LineInput("x", "", "1.5", "3")]
    made = line_inputs(request.lines)
    assert len(made) == len(plain)
    for one, want in zip(made, plain, strict=True):
        _made_alike(one, want)
