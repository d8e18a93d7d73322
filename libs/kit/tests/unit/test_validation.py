"""The kit's input validation: decimal texts, text and list limits, role names, the bounds of
timestamps and page tokens. Each refusal is InvalidArgument naming the field."""

from __future__ import annotations

from decimal import Decimal

import pytest
from google.protobuf import timestamp_pb2
from hypothesis import given
from hypothesis import strategies as st

from fieldline_kit.errors import InvalidArgument
from fieldline_kit.grpc.convert import (
    MAX_PAGE_TOKEN,
    decode_number_token,
    encode_token,
    from_ts,
)
from fieldline_kit.validation import (
    MAX_DECIMAL_EXPONENT,
    MAX_DECIMAL_TEXT,
    limit_items,
    limit_text,
    parse_decimal,
    require_text,
    role_name,
)


@pytest.mark.parametrize(
    ("text", "number"),
    [("12", "12"), (" -0.5 ", "-0.5"), ("1e3", "1E+3"), ("+.5", "0.5"), ("5.", "5"), ("-0", "0")],
)
def test_decimal_texts_are_read_exactly(text: str, number: str) -> None:
    assert parse_decimal("q", text) == Decimal(number)
    assert str(parse_decimal("q", "-0")) == "0"  # zero without a sign


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "is required"),
        ("  ", "is required"),
        ("１２", "must be a decimal number"),  # full-width digits: Decimal() would read 12
        ("١٢", "must be a decimal number"),  # Arabic-Indic digits
        ("1_000", "must be a decimal number"),
        ("0x10", "must be a decimal number"),
        ("1e", "must be a decimal number"),
        (".", "must be a decimal number"),
        ("NaN", "must be a finite number"),
        ("-Infinity", "must be a finite number"),
        ("1e1000000", "is too large"),
        ("-1e1000000", "is too large"),
        (f"1e{MAX_DECIMAL_EXPONENT + 1}", "is too large"),
        ("1e-1000000", "has too many decimal places"),
        ("1" * (MAX_DECIMAL_TEXT + 1), f"must be at most {MAX_DECIMAL_TEXT} characters"),
    ],
)
def test_what_is_not_a_bounded_ascii_decimal_is_refused(text: str, problem: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        parse_decimal("lines[0].quantity", text)
    assert err.value.field == "lines[0].quantity"
    assert err.value.problem.startswith(problem)


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_a_decimal_is_read_exactly_or_refused_never_overflowing(number: Decimal) -> None:
    try:
        parsed = parse_decimal("q", str(number))
    except InvalidArgument:
        return
    assert parsed == number
    assert parsed * parsed * 10**6 == number * number * 10**6  # room for any arithmetic


def test_texts_and_lists_have_limits_naming_the_field() -> None:
    assert limit_text("comment", "  ok  ", 2) == "ok"
    with pytest.raises(InvalidArgument, match=r"^comment: must be at most 2 characters$"):
        limit_text("comment", "abc", 2)
    with pytest.raises(InvalidArgument, match=r"^name: must not be empty$"):
        require_text("name", "   ")
    assert limit_items("lines", [1, 2], 2) == [1, 2]
    with pytest.raises(InvalidArgument, match=r"^lines: must have at most 2 items, got 3$"):
        limit_items("lines", [1, 2, 3], 2)


@pytest.mark.parametrize(
    "text", ["SUPERVISOR", "supervisor", " Supervisor ", "ROLE_SUPERVISOR", "role_supervisor"]
)
def test_a_role_is_its_upper_case_name_without_the_role_prefix(text: str) -> None:
    assert role_name("roles[0]", text) == "SUPERVISOR"


@pytest.mark.parametrize("text", ["", "ROLE_", "head of sales", "СУПЕРВАЙЗЕР", "ﬀ", "1AGENT"])
def test_a_text_that_is_no_role_name_is_refused(text: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^roles\[0\]: must be a role name"):
        role_name("roles[0]", text)


def test_timestamps_outside_the_proto_range_are_refused() -> None:
    for seconds, nanos, field in (
        (-62_135_596_801, 0, "time.seconds"),
        (253_402_300_800, 0, "time.seconds"),
        (0, 1_000_000_000, "time.nanos"),
        (0, -1, "time.nanos"),
    ):
        with pytest.raises(InvalidArgument) as err:
            from_ts("time", timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos))
        assert err.value.field == field
    assert from_ts("time", timestamp_pb2.Timestamp(seconds=253_402_300_799)) is not None


def test_number_tokens_are_positions_this_service_could_have_issued() -> None:
    assert decode_number_token("") == 0
    assert decode_number_token(encode_token("42")) == 42
    for raw in ("-1", "abc", "１２", " 1", "9" * 19):
        with pytest.raises(InvalidArgument, match=r"^page_token: "):
            decode_number_token(encode_token(raw))
    with pytest.raises(InvalidArgument, match=r"^page_token: "):
        decode_number_token("A" * (MAX_PAGE_TOKEN + 1))
