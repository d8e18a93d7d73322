"""Validation primitives shared by the model: ids, text, exact amounts and quantities."""

from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal

from fieldline_kit import validation
from fieldline_kit.errors import InvalidArgument
from fieldline_kit.validation import (  # noqa: F401 - re-exported
    MAX_LINES,
    MAX_LIST,
    MAX_REASON,
    limit_items,
    optional_id,
    parse_decimal,
    require_id,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# Numeric(18, 2) money and Numeric(18, 3) quantities: digits before the point.
MAX_AMOUNT = Decimal("9999999999999999.99")
QUANTITY_STEP = Decimal("0.001")
MAX_QUANTITY = Decimal("999999999999999.999")
MAX_DOCUMENT_ID = 64
MAX_TEXT = 300
# An ERP's key: letters (of any script: 1C numbers documents `ПП-004512`), digits and
# `. _ : / -`, from a letter or digit; no spaces or control characters.
_DOCUMENT_ID = re.compile(r"[^\W_][\w.:/\-]*")


def document_id(field: str, value: str) -> str:
    """Ids of invoices and payments: a UUID (devices) or an ERP key of up to 64 characters."""
    if not value:
        raise InvalidArgument(field, "is required")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        pass
    if len(value) > MAX_DOCUMENT_ID:
        raise InvalidArgument(field, f"must be at most {MAX_DOCUMENT_ID} characters")
    if not _DOCUMENT_ID.fullmatch(value):
        raise InvalidArgument(
            field, f"must be a UUID or letters, digits and . _ : / - only, got {value[:60]!r}"
        )
    return value


def limit_text(field: str, value: str, max_len: int = MAX_TEXT) -> str:
    """Free text of settlements documents: at most 300 characters unless said otherwise."""
    return validation.limit_text(field, value, max_len)


def require_text(field: str, value: str, max_len: int = MAX_TEXT) -> str:
    text = limit_text(field, value, max_len)
    if not text:
        raise InvalidArgument(field, "must not be empty")
    return text


def role(field: str, value: str) -> str:
    """Role names are compared case-insensitively and stored upper-case, without the "ROLE_"
    prefix of the clients API's enum names ("ROLE_SUPERVISOR" is SUPERVISOR): the kit's
    `role_name`."""
    return validation.role_name(field, value)


def amount(
    field: str,
    value: Decimal,
    *,
    positive: bool = False,
    allow_negative: bool = False,
    allow_zero: bool = True,
) -> Decimal:
    """An exact amount in kopecks (two decimal places at most), quantized to 0.01."""
    if not value.is_finite():
        raise InvalidArgument(field, "must be a finite amount")
    if value != value.quantize(CENT):
        raise InvalidArgument(field, f"must have at most 2 decimal places, got {value}")
    if abs(value) > MAX_AMOUNT:
        raise InvalidArgument(field, f"is out of range (at most {MAX_AMOUNT} in magnitude)")
    if positive and value <= 0:
        raise InvalidArgument(field, f"must be positive, got {fmt(value)}")
    if value < 0 and not allow_negative:
        raise InvalidArgument(field, f"must not be negative, got {fmt(value)}")
    if value == 0 and not allow_zero:
        raise InvalidArgument(field, "must not be zero")
    return value.quantize(CENT)


def quantity(field: str, value: str) -> Decimal:
    """A non-negative decimal quantity given as a string ("12", "0.5"), 3 decimals at most
    (read by the kit's `parse_decimal`: ASCII digits, a bounded magnitude)."""
    number = parse_decimal(field, value)
    if number < 0:
        raise InvalidArgument(field, f"must not be negative, got {value[:40]}")
    if number != number.quantize(QUANTITY_STEP):
        raise InvalidArgument(field, f"must have at most 3 decimal places, got {value[:40]}")
    if number > MAX_QUANTITY:
        raise InvalidArgument(field, "is out of range")
    return number.quantize(QUANTITY_STEP)


def days_after(day: date, days: int) -> date:
    """`day` moved by `days` (back when negative), held within the calendar (years 1 … 9999):
    a request may name any date of it, and a due date or cut-off past its end is its end."""
    return date.fromordinal(min(max(day.toordinal() + days, 1), date.max.toordinal()))


def fmt(value: Decimal) -> str:
    """Amount for people: 1 234 567.89 (thin grouping, always two decimals)."""
    return f"{value.quantize(CENT):,.2f}".replace(",", " ")


def fmt_quantity(value: Decimal) -> str:
    """Quantity as the protos carry it: "12", "0.5" (no exponent, no trailing zeros)."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text
