"""Money and timestamps to protos: the integer short paths give what the plain forms give.

`money()` / `set_money()` split an amount with integer arithmetic and `ts()` / `set_ts()` compute
seconds by timedelta arithmetic; the references below are the plain forms they replaced
(Decimal arithmetic, `Timestamp.FromDatetime`), which must agree for every input, errors
included.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from google.protobuf import struct_pb2, timestamp_pb2
from google.type import money_pb2
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldline_kit.grpc.convert import (
    NANOS,
    _varint,
    embedded,
    money,
    money_parts,
    set_money,
    set_ts,
    ts,
)


def reference_money(amount: Decimal, currency: str) -> money_pb2.Money:
    units = int(amount)
    nanos = int((amount - units) * NANOS)
    return money_pb2.Money(currency_code=currency, units=units, nanos=nanos)


def reference_ts(value: datetime) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(value.astimezone(UTC))
    return out


def _outcome(build: Any) -> tuple[str, Any]:
    try:
        message = build()
    except Exception as exc:  # compared by type and message
        return type(exc).__name__, str(exc)
    return "ok", message.SerializeToString()


_amounts = st.one_of(
    st.builds(
        lambda sign, coef, exp: Decimal(f"{'-' if sign else ''}{coef}E{exp}"),
        st.booleans(),
        st.one_of(st.integers(0, 10**6), st.integers(0, 10**20), st.integers(0, 10**40)),
        st.one_of(st.integers(-12, 3), st.integers(-40, 20)),
    ),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from([Decimal("-0.00"), Decimal("0E-15"), Decimal("9223372036854775807.999999999")]),
)


@settings(max_examples=2000, deadline=None)
@given(amount=_amounts, currency=st.sampled_from(["RUB", "", "USD"]))
def test_money_is_what_the_decimal_arithmetic_gives(amount: Decimal, currency: str) -> None:
    expected = _outcome(lambda: reference_money(amount, currency))
    assert _outcome(lambda: money(amount, currency)) == expected

    def filled() -> money_pb2.Money:
        out = money_pb2.Money()
        set_money(out, amount, currency)
        return out

    if expected[0] == "ok":
        assert _outcome(filled) == expected


def test_money_parts_examples() -> None:
    assert money_parts(Decimal("-12.34")) == (-12, -340_000_000)
    assert money_parts(Decimal("12.34")) == (12, 340_000_000)
    assert money_parts(Decimal("-0.5")) == (0, -500_000_000)
    assert money_parts(Decimal("100")) == (100, 0)
    assert money_parts(Decimal("1E+3")) == (1000, 0)
    assert money_parts(Decimal("0.0000000019")) == (0, 1)  # more places: truncated, as before


_zones = st.sampled_from(
    [UTC, timezone(timedelta(hours=3)), timezone(timedelta(hours=-9, minutes=-30))]
)


@settings(max_examples=1000, deadline=None)
@given(
    value=st.datetimes(
        min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=_zones
    )
)
def test_timestamps_are_what_from_datetime_gives(value: datetime) -> None:
    expected = reference_ts(value).SerializeToString()
    assert ts(value).SerializeToString() == expected  # type: ignore[union-attr]
    out = timestamp_pb2.Timestamp()
    set_ts(out, value)
    assert out.SerializeToString() == expected


def test_ts_of_none_and_of_naive_local_time() -> None:
    assert ts(None) is None
    naive = datetime(2024, 5, 15, 9, 30, 15, 123456)
    assert ts(naive) == reference_ts(naive)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=40_000))
def test_embedded_is_the_outer_message_serialized(text: str) -> None:
    # Value.struct_value (field 5) holding a Struct of any size: lengths of 1 to 3 varint bytes.
    inner = struct_pb2.Struct(fields={"k": struct_pb2.Value(string_value=text)})
    outer = struct_pb2.Value(struct_value=inner)
    wire = embedded(5, inner.SerializeToString())
    assert wire == outer.SerializeToString()
    assert struct_pb2.Value.FromString(wire) == outer


def test_varints() -> None:
    assert _varint(0) == b"\x00"
    assert _varint(1) == b"\x01"
    assert _varint(127) == b"\x7f"
    assert _varint(128) == b"\x80\x01"
    assert _varint(300) == b"\xac\x02"
    assert _varint(2**28) == b"\x80\x80\x80\x80\x01"
    assert embedded(16, b"") == b"\x82\x01\x00"  # a key of two bytes
