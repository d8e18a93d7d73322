"""Validation primitives of the orders context: ids, decimals, money, text.

Money is `Decimal` rounded only where the pricing rules say so (ROUND_HALF_UP to 0.01);
quantities are `Decimal` with at most 3 decimal places (the Numeric(18, 3) columns). Decimal
texts are read by the kit's `parse_decimal` (ASCII digits only, a bounded magnitude), text and
list sizes by the kit's limits (`fieldline_kit.validation`).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from fieldline_kit import external_ids
from fieldline_kit.errors import InvalidArgument
from fieldline_kit.validation import (  # noqa: F401 - re-exported for the model
    MAX_CODE,
    MAX_ENTRIES,
    MAX_LINES,
    MAX_LIST,
    MAX_NAME,
    MAX_QUERY,
    MAX_REASON,
    MAX_RECORDS,
    MAX_TEXT,
    is_canonical_id,
    limit_items,
    limit_text,
    optional_id,
    parse_decimal,
    require_id,
    require_text,
    role_name,
)

_T = TypeVar("_T")

# Narrower than the kit's MAX_CODE where a column is: unit codes, container types.
MAX_UNIT = 20
MAX_CONTAINER_TYPE = 50
CENT = Decimal("0.01")
ZERO = Decimal(0)
HUNDRED = Decimal(100)
QTY_PLACES = 3
MONEY_PLACES = 2
# Numeric(18, 2) / Numeric(18, 3): digits before the point.
MAX_INTEGER_DIGITS = 15
# A date an open-started validity is stored with (valid_from unset).
BEGINNING = date(1, 1, 1)

# Ids derived from external ids: uuid5(NAMESPACE, kind + external_id), a published contract
# (fieldline_kit.external_ids: the exchange names records it wrote before by them).
NAMESPACE = external_ids.ORDERS_CATALOG


def frozen_instance(cls: type[_T], **fields: Any) -> _T:
    """An instance of the frozen dataclass `cls` with `fields` (every field, in field order)
    written into its __dict__ at once: what its __init__ makes, without the `object.__setattr__`
    per field that a frozen dataclass's __init__ costs (~2.5×). For the objects made per order
    line; tests/unit/test_short_paths.py holds each use to the dataclass's own constructor."""
    instance = object.__new__(cls)
    instance.__dict__.update(fields)
    return instance


def derive_id(kind: str, external_id: str) -> str:
    return external_ids.orders_catalog_id(kind, external_id)


def decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


_TOO_LARGE = Decimal(10) ** MAX_INTEGER_DIGITS
_POWERS_OF_TEN = tuple(10**i for i in range(11))


def fits_scale(value: Decimal, places: int) -> bool:
    """The short path of `check_scale`: True only if it passes `value` (False: ask it)."""
    # 10^-places ≤ |value| < 10^15 (or zero) and its fraction in lowest terms n/d has d dividing
    # 10^places, i.e. at most `places` decimal places exactly. Such a value has at most
    # 15 + places ≤ 25 significant digits, so `normalize()` in `check_scale` is exact and agrees.
    if (
        type(value) is Decimal
        and places < len(_POWERS_OF_TEN)
        and -places <= value.adjusted() < MAX_INTEGER_DIGITS
    ):
        try:
            _, denominator = value.as_integer_ratio()
        except (ValueError, OverflowError):  # NaN, infinity: refused by `check_scale`
            return False
        return _POWERS_OF_TEN[places] % denominator == 0
    return False


def check_scale(field: str, value: Decimal, places: int, what: str = "") -> Decimal:
    # Short path for what passes (every quantity of every order line comes here twice).
    if fits_scale(value, places):
        return value
    if decimal_places(value) > places:
        raise InvalidArgument(field, f"must have at most {places} decimal places{what}")
    if abs(value) >= _TOO_LARGE:
        raise InvalidArgument(field, "is too large")
    return value


# Quantity texts that passed `positive_quantity` lately → its decimal. Order lines keep ordering
# the same few quantities ("1", "2", "12"…), so these are kept rather than parsed and checked
# again for every line (at most _QUANTITIES_KEPT, then forgotten at once, like `fmt`'s texts).
_POSITIVE_QUANTITIES: dict[str, Decimal] = {}
_QUANTITIES_KEPT = 4096


def positive_quantity(field: str, value: str) -> Decimal:
    try:
        return _POSITIVE_QUANTITIES[value]
    except (KeyError, TypeError):  # TypeError: not hashable, so not a text (refused below)
        pass
    q = parse_decimal(field, value)
    if q <= 0:
        raise InvalidArgument(field, f"must be positive, got {value.strip()}")
    q = check_scale(field, q, QTY_PLACES)
    if type(value) is str:
        if len(_POSITIVE_QUANTITIES) >= _QUANTITIES_KEPT:
            _POSITIVE_QUANTITIES.clear()
        _POSITIVE_QUANTITIES[value] = q
    return q


def known_quantity(value: str) -> Decimal | None:
    """`positive_quantity(…, value)` if that text passed it lately, else None (then call it,
    which names the field of an error)."""
    return _POSITIVE_QUANTITIES.get(value) if type(value) is str else None


def quantity(field: str, value: str, *, allow_negative: bool = False) -> Decimal:
    q = parse_decimal(field, value)
    if q < 0 and not allow_negative:
        raise InvalidArgument(field, f"must not be negative, got {value.strip()}")
    return check_scale(field, q, QTY_PLACES)


def percent(field: str, value: str, *, default: Decimal = ZERO) -> Decimal:
    if not (value or "").strip():
        return default
    p = parse_decimal(field, value)
    if not ZERO <= p <= HUNDRED:
        raise InvalidArgument(field, f"must be within [0, 100], got {value.strip()}")
    return check_scale(field, p, 3)


def money_amount(field: str, amount: Decimal, *, allow_negative: bool = False) -> Decimal:
    """An amount of money as stored: at most 2 decimal places (kopecks)."""
    if amount < 0 and not allow_negative:
        raise InvalidArgument(field, "must not be negative")
    return check_scale(field, amount + 0, MONEY_PLACES, " (kopecks)")


def currency_code(field: str, value: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", value or ""):
        raise InvalidArgument(field, f"must be an ISO 4217 code, got {(value or '')[:10]!r}")
    return value


def round_money(value: Decimal) -> Decimal:
    """ROUND_HALF_UP to 0.01, the one rounding rule of the pricing (docs/contexts/orders.md)."""
    # The rounding passed by position: by keyword, the call costs twice as much (twice a line).
    return value.quantize(CENT, ROUND_HALF_UP)


def fmt(value: Decimal) -> str:
    """A decimal as the API shows it: no exponent, no trailing zeros ("12", "0.5").

    Every order line shows several (quantities, percents, VAT rates) and they keep recurring, so
    the texts of the values shown last are kept (equal decimals show alike: "12.0" and "12"
    both as "12").
    """
    if type(value) is Decimal:
        try:
            return _SHOWN[value]
        except KeyError:
            text = _SHOWN[value] = _fmt(value)
            if len(_SHOWN) > _SHOWN_KEPT:
                _SHOWN.clear()
            return text
        except TypeError:  # a signalling NaN is not hashable
            pass
    return _fmt(value)


_SHOWN: dict[Decimal, str] = {}
_SHOWN_KEPT = 4096


def _fmt(value: Decimal) -> str:
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def check_period(field: str, valid_from: date, valid_to: date | None) -> None:
    if valid_to is not None and valid_to < valid_from:
        raise InvalidArgument(field, f"must not be before valid_from ({valid_from.isoformat()})")


def valid_on(on: date, valid_from: date, valid_to: date | None) -> bool:
    return valid_from <= on and (valid_to is None or on <= valid_to)
