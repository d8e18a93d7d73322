"""Russian taxpayer ids: INN (10 or 12 digits with check digits) and KPP (9 characters)."""

from __future__ import annotations

import re

from fieldline_kit.errors import InvalidArgument

_W10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_W12_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_W12_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _check_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def is_valid_inn(inn: str) -> bool:
    if not inn.isdigit() or not inn.isascii():
        return False
    if len(inn) == 10:
        return _check_digit(inn, _W10) == int(inn[9])
    if len(inn) == 12:
        return _check_digit(inn, _W12_1) == int(inn[10]) and _check_digit(inn, _W12_2) == int(
            inn[11]
        )
    return False


def validate_inn(field: str, inn: str) -> str:
    inn = (inn or "").strip()
    if not inn:
        raise InvalidArgument(field, "is required")
    if not (inn.isascii() and inn.isdigit()) or len(inn) not in (10, 12):
        raise InvalidArgument(field, f"must be 10 or 12 digits, got {inn[:20]!r}")
    if not is_valid_inn(inn):
        raise InvalidArgument(field, f"checksum does not match for {inn!r}")
    return inn


# KPP: 4 digits (tax office), 2 characters (reason: digits or A-Z), 3 digits (sequence).
# ASCII only: `\d` would also match other scripts' digits, and upper() turns "ß" into "SS".
_KPP = re.compile(r"[0-9]{4}[0-9A-Za-z]{2}[0-9]{3}")


def validate_kpp(field: str, kpp: str, inn: str) -> str:
    kpp = (kpp or "").strip()
    if len(inn) == 12:
        if kpp:
            raise InvalidArgument(
                field, "must be empty for an individual entrepreneur (12-digit INN)"
            )
        return ""
    if not kpp:
        raise InvalidArgument(field, "is required for an organisation (10-digit INN)")
    if not _KPP.fullmatch(kpp):
        raise InvalidArgument(field, f"must be 9 characters NNNNXXNNN, got {kpp[:20]!r}")
    return kpp.upper()


def inn_with_check_digits(prefix: str) -> str:
    """Complete a 9- or 10-digit prefix into a valid INN (used by demo-data generators)."""
    if len(prefix) == 9:
        return prefix + str(_check_digit(prefix, _W10))
    if len(prefix) == 10:
        eleven = prefix + str(_check_digit(prefix, _W12_1))
        return eleven + str(_check_digit(eleven, _W12_2))
    raise ValueError("prefix must have 9 or 10 digits")
