"""`order_pb` builds the order in place; it must give the keyword-built message, byte for byte.

The reference below is the straightforward form `order_pb` replaced (every sub-message built
from keyword arguments, money by Decimal arithmetic, timestamps by `FromDatetime`, decimals by
`format(normalize())`): the API responses, the stored idempotent responses and the events all
carry what it made.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from google.protobuf import timestamp_pb2
from google.type import date_pb2, money_pb2
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldline.orders.events.v1 import events_pb2
from fieldline.orders.v1 import orders_service_pb2 as os_
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline_orders.adapters import proto_mapping as m
from fieldline_orders.domain.orders import (
    CreditDecision,
    CreditOutcome,
    Order,
    OrderChannel,
    OrderKind,
    OrderLine,
    OrderStatus,
)

# ------------------------------------------------------------------------------ reference


def ref_fmt(value: Decimal) -> str:
    return "0" if value == 0 else format(value.normalize(), "f")


def ref_money(amount: Decimal, currency: str) -> money_pb2.Money:
    units = int(amount)
    return money_pb2.Money(
        currency_code=currency, units=units, nanos=int((amount - units) * Decimal(10**9))
    )


def ref_ts(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(value.astimezone(UTC))
    return out


def ref_date(value: date | None) -> date_pb2.Date | None:
    return (
        None if value is None else date_pb2.Date(year=value.year, month=value.month, day=value.day)
    )


def ref_order_pb(o: Order) -> pb.Order:
    c = o.currency_code
    credit = o.credit
    return pb.Order(
        id=o.id,
        kind=m.ORDER_KINDS[o.kind],
        status=m.ORDER_STATUSES[o.status],
        client_id=o.client_id,
        outlet_id=o.outlet_id,
        agent_id=o.agent_id,
        distributor_id=o.distributor_id,
        warehouse_id=o.warehouse_id,
        order_date=ref_date(o.order_date),
        delivery_date=ref_date(o.delivery_date),
        lines=[
            pb.OrderLine(
                product_id=ln.product_id,
                unit=ln.unit,
                quantity=ref_fmt(ln.quantity),
                base_quantity=ref_fmt(ln.base_quantity),
                unit_price=ref_money(ln.unit_price, c),
                price_source=ln.price_source,
                rule_discount_percent=ref_fmt(ln.rule_discount_percent),
                manual_discount_percent=ref_fmt(ln.manual_discount_percent),
                net_amount=ref_money(ln.net_amount, c),
                vat_rate=ref_fmt(ln.vat_rate),
                vat_amount=ref_money(ln.vat_amount, c),
                gross_amount=ref_money(ln.gross_amount, c),
                delivered_base_quantity=ref_fmt(ln.delivered_base_quantity),
                container_type=ln.container_type,
                container_quantity=ref_fmt(ln.container_quantity),
            )
            for ln in o.lines
        ],
        currency_code=c,
        net_total=ref_money(o.net_total, c),
        vat_total=ref_money(o.vat_total, c),
        gross_total=ref_money(o.gross_total, c),
        credit=pb.CreditDecision(
            outcome=m.CREDIT_OUTCOMES[credit.outcome],
            reasons=list(credit.reasons),
            fallback=credit.fallback,
            override_by=credit.override_by,
            override_reason=credit.override_reason,
            decide_time=ref_ts(credit.decided_at),
        ),
        comment=o.comment,
        status_reason=o.status_reason,
        version=o.version,
        create_time=ref_ts(o.created_at),
        update_time=ref_ts(o.updated_at),
        visit_id=o.visit_id,
        revision=o.revision,
        channel=m.ORDER_CHANNELS[o.channel],
        taken_by=o.taken_by,
        call_id=o.call_id,
    )


# ------------------------------------------------------------------------------ orders
def _decimals(places: int, top: int) -> st.SearchStrategy[Decimal]:
    """Decimals as the domain holds them, with some written with more or fewer places."""
    return st.builds(
        lambda units, shown: Decimal(units).scaleb(-places).quantize(Decimal(1).scaleb(-shown)),
        st.one_of(st.integers(0, 10**4), st.integers(-(10**top), 10**top)),
        st.integers(places, places + 3),
    ) | st.sampled_from([Decimal(0), Decimal("-0.00"), Decimal("1E+2"), Decimal("12.500")])


_text = st.text(max_size=12)
_ids = st.sampled_from(["", "6f1b8f0e-52a4-4d1e-9d43-7a0c2f0d0a11", "x"])
_zones = st.sampled_from([UTC, timezone(timedelta(hours=3)), timezone(timedelta(hours=-5))])
_times = st.datetimes(
    min_value=datetime(1950, 1, 1), max_value=datetime(2100, 1, 1), timezones=_zones
)
_money = _decimals(2, 15)
_qty = _decimals(3, 12)
_pct = _decimals(3, 3)

_lines = st.builds(
    OrderLine,
    line_no=st.integers(1, 100),
    product_id=_ids,
    unit=_text,
    quantity=_qty,
    base_quantity=_qty,
    unit_price=_money,
    price_source=_text,
    rule_discount_percent=_pct,
    manual_discount_percent=_pct,
    net_amount=_money,
    vat_rate=_pct,
    vat_amount=_money,
    gross_amount=_money,
    delivered_base_quantity=_qty,
    container_type=_text,
    container_quantity=_qty,
)
_credit = st.builds(
    CreditDecision,
    outcome=st.sampled_from(list(CreditOutcome)),
    reasons=st.lists(_text, max_size=3).map(tuple),
    fallback=st.booleans(),
    override_by=_text,
    override_reason=_text,
    decided_at=st.none() | _times,
)
_orders = st.builds(
    Order,
    id=_ids,
    kind=st.sampled_from(list(OrderKind)),
    status=st.sampled_from(list(OrderStatus)),
    client_id=_ids,
    outlet_id=_ids,
    agent_id=_ids,
    distributor_id=_ids,
    warehouse_id=_ids,
    order_date=st.dates(),
    delivery_date=st.none() | st.dates(),
    lines=st.lists(_lines, max_size=12),
    currency_code=st.sampled_from(["RUB", "USD", ""]),
    net_total=_money,
    vat_total=_money,
    gross_total=_money,
    credit=_credit,
    comment=_text,
    status_reason=_text,
    cash_collected=_money,
    receipt_number=_text,
    version=st.integers(0, 2**31 - 1),
    created_at=_times,
    updated_at=_times,
    visit_id=_ids,
    revision=st.integers(1, 2**31 - 1),
    channel=st.sampled_from(list(OrderChannel)),
    taken_by=_ids,
    call_id=_ids,
)


@settings(max_examples=300, deadline=None)
@given(order=_orders)
def test_order_pb_is_the_keyword_built_message_byte_for_byte(order: Order) -> None:
    built = m.order_pb(order)
    expected = ref_order_pb(order)
    assert built.SerializeToString() == expected.SerializeToString()
    assert built == expected
    # The fields that only exist when set are there exactly when they were before.
    for name in ("order_date", "delivery_date", "credit", "create_time", "net_total"):
        assert built.HasField(name) == expected.HasField(name)
    assert built.credit.HasField("decide_time") == expected.credit.HasField("decide_time")
    # The events fill their `order` field in place.
    event = events_pb2.OrderSubmitted()
    m.fill_order(event.order, order)
    assert (
        event.SerializeToString() == events_pb2.OrderSubmitted(order=expected).SerializeToString()
    )


@settings(max_examples=100, deadline=None)
@given(order=_orders)
def test_an_order_is_shown_once_per_state_by_its_response_and_its_event(order: Order) -> None:
    expected = ref_order_pb(order).SerializeToString()
    response = os_.SubmitOrderResponse.FromString(m.submit_response(order))
    assert response.order.SerializeToString() == expected
    snapshot = order.snapshot()  # what an event carries: the same state, another object
    assert m.order_bytes(snapshot) == expected
    if order.lines:
        assert m.order_bytes(snapshot) is m.order_bytes(order)  # made once
    changed = order.snapshot()
    changed.version += 1
    assert m.order_bytes(changed) == m.order_pb(changed).SerializeToString() != expected
    rebuilt = copy.deepcopy(order)  # the same id and version, other objects: made anew
    rebuilt.status_reason += "!"
    assert m.order_bytes(rebuilt) == m.order_pb(rebuilt).SerializeToString()


def test_line_and_credit_alone() -> None:
    line = OrderLine(
        1, "p", "box", Decimal("2"), Decimal("24"), Decimal("33.33"), "price_list:x",
        Decimal("5"), Decimal("0"), Decimal("633.27"), Decimal("20"), Decimal("105.55"),
        Decimal("633.27"), Decimal("0"), "keg", Decimal("2.000"),
    )  # fmt: skip
    assert m.line_pb(line, "RUB") == pb.OrderLine(
        product_id="p",
        unit="box",
        quantity="2",
        base_quantity="24",
        unit_price=money_pb2.Money(currency_code="RUB", units=33, nanos=330_000_000),
        price_source="price_list:x",
        rule_discount_percent="5",
        manual_discount_percent="0",
        net_amount=money_pb2.Money(currency_code="RUB", units=633, nanos=270_000_000),
        vat_rate="20",
        vat_amount=money_pb2.Money(currency_code="RUB", units=105, nanos=550_000_000),
        gross_amount=money_pb2.Money(currency_code="RUB", units=633, nanos=270_000_000),
        delivered_base_quantity="0",
        container_type="keg",
        container_quantity="2",
    )
    held = CreditDecision(CreditOutcome.BLOCK, ("overdue",), decided_at=None)
    assert m.credit_pb(held) == pb.CreditDecision(
        outcome=pb.CREDIT_OUTCOME_BLOCK, reasons=["overdue"]
    )
