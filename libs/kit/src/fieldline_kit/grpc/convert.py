"""Conversions between protobuf well-known/common types and Python values."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, date, datetime
from decimal import Decimal

from google.protobuf import timestamp_pb2
from google.type import date_pb2, money_pb2

from fieldline_kit.errors import InvalidArgument

NANOS = Decimal(1_000_000_000)
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


def ts(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(value.astimezone(UTC))
    return out


def from_ts(
    field: str, value: timestamp_pb2.Timestamp, *, required: bool = True
) -> datetime | None:
    if value.seconds == 0 and value.nanos == 0:
        if required:
            raise InvalidArgument(field, "is required")
        return None
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


def money(amount: Decimal, currency: str) -> money_pb2.Money:
    units = int(amount)  # truncates toward zero, like google.type.Money wants
    nanos = int((amount - units) * NANOS)
    return money_pb2.Money(currency_code=currency, units=units, nanos=nanos)


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
    try:
        value = base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        value = ""
    if not value:
        raise InvalidArgument("page_token", "is not a token this service issued")
    return value
