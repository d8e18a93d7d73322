"""Numbers and dates as 1C and Bitrix write them: decimal commas, spaces and non-breaking
spaces inside numbers, the empty date `0001-01-01`."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

_SPACES = re.compile(r"\s+")  # \s covers NBSP (U+00A0), narrow and thin spaces in str patterns
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?")
_DOTTED_DATE = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})(?: .*)?")
EMPTY_DATES = frozenset({"0001-01-01", "01.01.0001"})


def parse_decimal(text: str) -> Decimal:
    """`1 234,50` → Decimal("1234.50"); raises ValueError for anything that is not a number
    (exponents, NaN and infinities included)."""
    compact = _SPACES.sub("", text)
    if "," in compact:
        if "." in compact or compact.count(",") > 1:
            raise ValueError(f"not a number: {text!r}")
        compact = compact.replace(",", ".")
    if not _NUMBER.fullmatch(compact):
        raise ValueError(f"not a number: {text!r}")
    try:
        return Decimal(compact)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise ValueError(f"not a number: {text!r}") from exc


def parse_date(text: str) -> date | None:
    """`2021-02-17`, `2021-02-17T22:51:37` or `17.02.2021` → a date; "" and `0001-01-01` →
    None (no date); raises ValueError otherwise."""
    text = text.strip()
    if not text or text[:10] in EMPTY_DATES:
        return None
    if m := _ISO_DATE.fullmatch(text):
        year, month, day = m.group(1, 2, 3)
    elif m := _DOTTED_DATE.fullmatch(text):
        day, month, year = m.group(1, 2, 3)
    else:
        raise ValueError(f"not a date: {text!r}")
    try:
        return datetime(int(year), int(month), int(day)).date()
    except ValueError as exc:
        raise ValueError(f"not a date: {text!r}") from exc


# What 1C and sites write for a currency besides its ISO code: local names, numeric codes.
_CURRENCIES = {
    "руб": "RUB",
    "руб.": "RUB",
    "рубль": "RUB",
    "рублей": "RUB",
    "rur": "RUB",
    "643": "RUB",
    "₽": "RUB",
    "usd": "USD",
    "$": "USD",
    "840": "USD",
    "доллар": "USD",
    "eur": "EUR",
    "€": "EUR",
    "978": "EUR",
    "евро": "EUR",
    "тенге": "KZT",
    "398": "KZT",
    "бел. руб": "BYN",
    "933": "BYN",
}


def currency_code(text: str) -> str:
    """The ISO 4217 code of a currency as a file writes it (`руб` → RUB, `643` → RUB); a
    three-letter code as it is, upper-cased; anything else as written (the service judges)."""
    cleaned = text.strip().replace("\xa0", " ")
    known = _CURRENCIES.get(cleaned.lower())
    if known is not None:
        return known
    if len(cleaned) == 3 and cleaned.isascii() and cleaned.isalpha():
        return cleaned.upper()
    return cleaned
