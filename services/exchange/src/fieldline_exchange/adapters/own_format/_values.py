"""The format's vocabulary (its namespace, element names, enum words) and its values as text,
both ways. `parse_*` read text the schema has already accepted (applying its whitespace
rules); `format_*` check that a value is one the schema accepts and give its text, or raise
a ValueError naming the field: what the writer writes is valid by construction."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal

from fieldline_exchange.adapters.own_format._catalog import NAMESPACE
from fieldline_exchange.domain.own_records import (
    PaymentKind,
    PolicyMode,
    Role,
    Stage,
    TareDirection,
)

MAX_ID = 64
MAX_NAME = 300
MAX_COUNT = 999_999_999
MAX_DAYS = 9999
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999999999.99")  # 16 integer digits, 2 fraction digits
MAX_OFFSET = timedelta(hours=14)  # xs:dateTime's time zones

PAYMENT_KINDS = {"bank": PaymentKind.BANK, "cash": PaymentKind.CASH}
POLICY_MODES = {"block": PolicyMode.BLOCK, "warn": PolicyMode.WARN, "ignore": PolicyMode.IGNORE}
STAGES = {"order-submit": Stage.ORDER_SUBMIT, "van-sale": Stage.VAN_SALE}
ROLES = {
    "agent": Role.AGENT,
    "van-seller": Role.VAN_SELLER,
    "merchandiser": Role.MERCHANDISER,
    "distributor-manager": Role.DISTRIBUTOR_MANAGER,
    "supervisor": Role.SUPERVISOR,
    "technician": Role.TECHNICIAN,
    "teleseller": Role.TELESELLER,  # since 1.1
    "admin": Role.ADMIN,
}
TARE_DIRECTIONS = {"issued": TareDirection.ISSUED, "returned": TareDirection.RETURNED}
WORDS: dict[object, str] = {
    value: word
    for table in (PAYMENT_KINDS, POLICY_MODES, STAGES, ROLES, TARE_DIRECTIONS)
    for word, value in table.items()
}

# XML's whitespace (xs:token collapses these only: a no-break space is part of a value).
_XML_SPACE = re.compile(r"[ \t\n\r]+")
# Characters XML 1.0 cannot carry.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CURRENCY = re.compile(r"[A-Z]{3}")
_PHONE = re.compile(r"\+[1-9][0-9]{6,14}")


@functools.cache
def q(local: str) -> str:
    """An element's name in the format's namespace, as lxml spells it."""
    return f"{{{NAMESPACE}}}{local}"


def collapse(text: str) -> str:
    """xs:token's whitespace rule: runs of XML whitespace to one space, none at the ends."""
    if not ("\t" in text or "\n" in text or "\r" in text or "  " in text):
        return text.strip(" ")
    return _XML_SPACE.sub(" ", text).strip(" ")


# ---------------------------------------------------------------- text → value (read)


def parse_date(text: str) -> date:
    return date.fromisoformat(collapse(text))


def parse_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(collapse(text))


def parse_amount(text: str) -> Decimal:
    return Decimal(collapse(text))


def parse_int(text: str) -> int:
    return int(collapse(text))


def parse_bool(text: str) -> bool:
    return collapse(text) == "true"


# ---------------------------------------------------------------- value → text (write)


def format_token(field: str, value: object, max_len: int = MAX_ID) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{field}: expected text, got {type(value).__name__}")
    if not value or len(value) > max_len:
        raise ValueError(f"{field}: must be 1 to {max_len} characters, got {len(value)}")
    if collapse(value) != value:
        raise ValueError(
            f"{field}: {value!r} has whitespace at an end, a run of it, a tab or a line break"
        )
    bad = _NOT_XML.search(value)
    if bad:
        raise ValueError(f"{field}: {bad.group()!r} cannot be carried by XML")
    return value


def format_amount(field: str, value: object, *, positive: bool = False) -> str:
    if not isinstance(value, Decimal):
        raise ValueError(f"{field}: money is a Decimal, got {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{field}: must be a finite amount, got {value}")
    if value != value.quantize(CENT):
        raise ValueError(f"{field}: at most 2 fraction digits, got {value}")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{field}: must be {'over' if positive else 'at least'} 0, got {value}")
    if value > MAX_AMOUNT:
        raise ValueError(f"{field}: at most {MAX_AMOUNT}, got {value}")
    return f"{abs(value).quantize(CENT):f}"  # abs: never "-0.00"


def format_currency(field: str, value: object) -> str:
    if not isinstance(value, str) or not _CURRENCY.fullmatch(value):
        raise ValueError(f"{field}: an ISO 4217 code of 3 capital letters, got {value!r}")
    return value


def format_date(field: str, value: object) -> str:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValueError(f"{field}: expected a date, got {type(value).__name__}")
    return value.isoformat()


def format_timestamp(field: str, value: object) -> str:
    if not isinstance(value, datetime):
        raise ValueError(f"{field}: expected a datetime, got {type(value).__name__}")
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"{field}: needs a time zone")
    if offset % timedelta(minutes=1) or abs(offset) > MAX_OFFSET:
        raise ValueError(f"{field}: a UTC offset of whole minutes up to 14 hours, got {offset}")
    return value.isoformat()


def format_count(field: str, value: object, maximum: int = MAX_COUNT) -> str:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= maximum:
        raise ValueError(f"{field}: a whole number from 0 to {maximum}, got {value!r}")
    return str(value)


def format_bool(field: str, value: object) -> str:
    if not isinstance(value, bool):
        raise ValueError(f"{field}: expected True or False, got {value!r}")
    return "true" if value else "false"


def format_phone(field: str, value: object) -> str:
    if not isinstance(value, str) or not _PHONE.fullmatch(value):
        raise ValueError(f"{field}: E.164 (a plus and 7 to 15 digits), got {value!r}")
    return value


def format_word(field: str, value: object, allowed: Mapping[str, object]) -> str:
    word = WORDS.get(value)
    if word is None or word not in allowed:
        raise ValueError(f"{field}: one of {', '.join(allowed)}, got {value!r}")
    return word
