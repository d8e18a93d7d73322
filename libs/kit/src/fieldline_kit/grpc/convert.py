"""Conversions between protobuf well-known/common types and Python values."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TypeVar

from google.protobuf import timestamp_pb2
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper
from google.type import date_pb2, money_pb2

from fieldline_kit.errors import InvalidArgument
from fieldline_kit.validation import ROLE_PREFIX

E = TypeVar("E")

NANOS = Decimal(1_000_000_000)
_NANOS = 1_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
# google.protobuf.Timestamp's range: 0001-01-01T00:00:00Z … 9999-12-31T23:59:59Z.
_MIN_SECONDS = -62_135_596_800
_MAX_SECONDS = 253_402_300_799
# Page tokens this kit issues encode a key or an offset: far shorter than this.
MAX_PAGE_TOKEN = 1000


def ts(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    out = timestamp_pb2.Timestamp()
    set_ts(out, value)
    return out


def set_ts(target: timestamp_pb2.Timestamp, value: datetime) -> None:
    """Fill `target` (e.g. a message's timestamp field, in place) with `value`.

    What `Timestamp.FromDatetime(value.astimezone(UTC))` gives (a naive `value` is local time),
    by integer arithmetic instead of a time tuple: any `datetime` is within Timestamp's range.
    """
    delta = value.astimezone(UTC) - _EPOCH
    target.seconds = delta.days * 86_400 + delta.seconds
    target.nanos = delta.microseconds * 1000


def from_ts(
    field: str, value: timestamp_pb2.Timestamp, *, required: bool = True
) -> datetime | None:
    if value.seconds == 0 and value.nanos == 0:
        if required:
            raise InvalidArgument(field, "is required")
        return None
    if not _MIN_SECONDS <= value.seconds <= _MAX_SECONDS:
        raise InvalidArgument(f"{field}.seconds", "must be within years 0001 … 9999")
    if not 0 <= value.nanos < _NANOS:
        raise InvalidArgument(f"{field}.nanos", "must be within [0, 999,999,999]")
    return value.ToDatetime(tzinfo=UTC)


def pb_date(value: date | None) -> date_pb2.Date | None:
    if value is None:
        return None
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


def from_pb_date(field: str, value: date_pb2.Date, *, required: bool = True) -> date | None:
    if value.year == 0 and value.month == 0 and value.day == 0:
        if required:
            raise InvalidArgument(field, "is required")
        return None
    try:
        return date(value.year, value.month, value.day)
    except ValueError:
        raise InvalidArgument(
            field, f"is not a calendar date: {value.year}-{value.month}-{value.day}"
        ) from None


def embedded(field_number: int, payload: bytes) -> bytes:
    """The wire form of a message whose one set field, `field_number`, is a sub-message
    serialized as `payload`: `Outer(field=inner).SerializeToString()` without building `Outer`
    (which copies `inner`) or serializing `inner` again. A handler can return these bytes as
    its response (`interceptor.passing_bytes` sends them as they are)."""
    # The key (field number, wire type 2: length-delimited), the length, the bytes.
    return _varint((field_number << 3) | 2) + _varint(len(payload)) + payload


def _varint(n: int) -> bytes:
    """A non-negative integer as a protobuf base-128 varint (low groups first)."""
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def money(amount: Decimal, currency: str) -> money_pb2.Money:
    units, nanos = money_parts(amount)
    return money_pb2.Money(currency_code=currency, units=units, nanos=nanos)


def set_money(target: money_pb2.Money, amount: Decimal, currency: str) -> None:
    """Fill `target` (e.g. a message's money field, in place) as `money()` would make it."""
    target.currency_code = currency
    target.units, target.nanos = money_parts(amount)


def money_parts(amount: Decimal) -> tuple[int, int]:
    """google.type.Money's (units, nanos) of an amount: units truncated toward zero, nanos the
    rest in billionths (same sign).

    The usual amount (at most 9 decimal places) is split exactly in integers from
    `as_integer_ratio()`; that is what the Decimal arithmetic below gives too, exact for a
    fraction of at most 9 places. Anything else takes the Decimal arithmetic.
    """
    if type(amount) is Decimal and -9 <= amount.adjusted() <= 18:
        try:
            numerator, denominator = amount.as_integer_ratio()
        except (ValueError, OverflowError):  # NaN, infinity: the arithmetic below decides
            pass
        else:
            if _NANOS % denominator == 0:
                # Floor division, made to truncate toward zero for negative amounts.
                units = numerator // denominator
                if units < 0 and units * denominator != numerator:
                    units += 1
                return units, (numerator - units * denominator) * (_NANOS // denominator)
    units = int(amount)  # truncates toward zero, like google.type.Money wants
    return units, int((amount - units) * NANOS)


def from_money(field: str, value: money_pb2.Money) -> tuple[Decimal, str]:
    """google.type.Money → (Decimal, currency); rejects what the type itself forbids."""
    if not -999_999_999 <= value.nanos <= 999_999_999:
        raise InvalidArgument(f"{field}.nanos", "must be within ±999,999,999")
    if (value.units > 0 and value.nanos < 0) or (value.units < 0 and value.nanos > 0):
        raise InvalidArgument(f"{field}.nanos", "must have the same sign as units")
    return Decimal(value.units) + Decimal(value.nanos) / NANOS, value.currency_code


def page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument("page_size", "must not be negative")
    if requested == 0:
        return DEFAULT_PAGE_SIZE
    return min(requested, MAX_PAGE_SIZE)


def encode_token(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode() if value else ""


def decode_token(token: str) -> str:
    if not token:
        return ""
    if len(token) > MAX_PAGE_TOKEN:
        raise InvalidArgument("page_token", "is not a token this service issued")
    try:
        value = base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        value = ""
    if not value:
        raise InvalidArgument("page_token", "is not a token this service issued")
    return value


def decode_number_token(token: str) -> int:
    """A page token issued for a position (an offset, a row id): a non-negative integer."""
    raw = decode_token(token)
    if not raw:
        return 0
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise InvalidArgument("page_token", "is not a token this service issued")
    return int(raw)


def from_enum(table: Mapping[E, int], value: int, field: str) -> E | None:
    """A proto enum number → the domain value `table` maps to it; UNSPECIFIED (0) → None, an
    unknown number is refused naming `field`."""
    if value == 0:
        return None
    for domain_value, number in table.items():
        if number == value:
            return domain_value
    raise InvalidArgument(field, f"unknown value {value}")


def role_names(numbers: Iterable[int], enum: EnumTypeWrapper) -> frozenset[str]:
    """The role names tokens carry (AGENT, …) of the clients API's `Role` numbers (its enum
    `enum`, names ROLE_AGENT, …). The unspecified role and a number this build does not know
    (a newer clients may add roles) grant nothing."""
    names = set()
    for number in numbers:
        if number == 0:  # ROLE_UNSPECIFIED
            continue
        try:
            names.add(enum.Name(number).removeprefix(ROLE_PREFIX))
        except ValueError:
            continue
    return frozenset(names)
