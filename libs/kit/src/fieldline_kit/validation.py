"""Validation primitives every context's domain uses: ids, text, decimal texts, list sizes.

Every free-text field of a request has the limit of its kind (the `MAX_*` constants below:
one per kind of text, so a field's limit says what it is), enforced by `require_text` or
`limit_text` with an error naming the field. Decimal numbers given as text are read by
`parse_decimal` alone: ASCII digits, sign, point and exponent, of a bounded length and
magnitude. Repeated fields are bounded by `limit_items`. Role names given as text are read by
`role_name`.

Standard library and `fieldline_kit.errors` only, so domain packages may import it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sized
from decimal import Decimal
from typing import TypeVar

from fieldline_kit.errors import InvalidArgument

# The canonical form (what require_id returns): checked by a regex first because ids are
# validated many times per request (every line's product id…) and parsing a UUID costs ~10×.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# Characters, after stripping, per kind of free text.
MAX_NAME = 300  # the name of a person or a thing
MAX_TEXT = 2000  # addresses, comments, notes
MAX_REASON = 1000  # why: a decision, a refusal, an override, a missed visit, a status change
# Codes and keys: external ids, SKUs, barcodes, units, vocabularies (channel, format…),
# document and receipt numbers, container types, custom attributes' keys, contact details.
MAX_CODE = 100
MAX_VALUE = 1000  # a value of a custom attribute, an answer given as text
MAX_QUERY = 200  # a search query (a LIKE pattern: SQLite refuses one over 50,000 bytes)

# Items per repeated field, per kind of list.
MAX_LINES = 1000  # lines of a document: an order, a load, a return, an unloading
MAX_RECORDS = 1000  # records of a bulk upsert, checks of a batch, ids named by a query
MAX_LIST = 100  # a short list inside a record: roles, units, barcodes, contacts, options…
MAX_ENTRIES = 100_000  # a list as long as the catalog: a price list's prices, one per product

# Decimal numbers as text: what a quantity, a percent or a price may look like.
MAX_DECIMAL_TEXT = 50
MAX_DECIMAL_EXPONENT = 30  # |adjusted exponent|: far beyond any amount, far from overflow
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NOT_FINITE = frozenset({"nan", "snan", "inf", "infinity"})

# A role name as orders and settlements compare them: SUPERVISOR, VAN_SELLER…
_ROLE = re.compile(r"[A-Z][A-Z0-9_]*")
# The prefix of the clients API's Role enum names (ROLE_SUPERVISOR): accepted and dropped.
ROLE_PREFIX = "ROLE_"

T = TypeVar("T", bound=Sized)


def is_canonical_id(value: object) -> bool:
    """Whether `require_id` returns `value` as it is (a lower-case hyphenated UUID): a caller
    that checks many ids can skip building the field path `require_id` would name in an error."""
    return type(value) is str and _CANONICAL_UUID.fullmatch(value) is not None


def require_id(field: str, value: str) -> str:
    """Ids are UUIDs (devices generate them offline); normalised to lower-case hyphenated form."""
    if not value:
        raise InvalidArgument(field, "is required")
    if _CANONICAL_UUID.fullmatch(value):
        return value
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise InvalidArgument(field, f"must be a UUID, got {value[:60]!r}") from None


def optional_id(field: str, value: str) -> str:
    return require_id(field, value) if value else ""


def require_text(field: str, value: str, max_len: int = MAX_NAME) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidArgument(field, "must not be empty")
    return limit_text(field, text, max_len)


def limit_text(field: str, value: str, max_len: int = MAX_TEXT) -> str:
    text = (value or "").strip()
    if len(text) > max_len:
        raise InvalidArgument(field, f"must be at most {max_len} characters")
    return text


def limit_items(field: str, items: T, max_items: int) -> T:
    """`items` if there are at most `max_items` of them, else InvalidArgument naming `field`."""
    if len(items) > max_items:
        raise InvalidArgument(field, f"must have at most {max_items} items, got {len(items)}")
    return items


def parse_decimal(field: str, value: str) -> Decimal:
    """A decimal number given as text ("12", "-0.5", "1e3"), exactly; zero as `Decimal(0)`.

    Only ASCII digits, an optional sign, a point and an exponent: Python's `Decimal` would also
    take other scripts' digits ("１２"), underscores, NaN and infinities. The text is at most
    MAX_DECIMAL_TEXT characters and the number's magnitude within 10^±MAX_DECIMAL_EXPONENT,
    so arithmetic on it never overflows the decimal context ("1e1000000" would).
    """
    text = (value or "").strip()
    if not text:
        raise InvalidArgument(field, "is required")
    if len(text) > MAX_DECIMAL_TEXT:
        raise InvalidArgument(field, f"must be at most {MAX_DECIMAL_TEXT} characters")
    if not _DECIMAL_TEXT.fullmatch(text):
        if text.lstrip("+-").lower() in _NOT_FINITE:
            raise InvalidArgument(field, "must be a finite number")
        raise InvalidArgument(field, f"must be a decimal number, got {text[:40]!r}")
    number = Decimal(text)
    if not number:
        return Decimal(0)
    if number.adjusted() > MAX_DECIMAL_EXPONENT:
        raise InvalidArgument(field, "is too large")
    if number.adjusted() < -MAX_DECIMAL_EXPONENT:
        raise InvalidArgument(field, "has too many decimal places")
    return number


def role_name(field: str, value: str) -> str:
    """A role name as text, as the contexts compare roles: upper-case, ASCII, without the
    "ROLE_" prefix of the clients API's enum names ("supervisor", "ROLE_SUPERVISOR" →
    "SUPERVISOR"); anything else is refused naming `field`."""
    text = (value or "").strip()
    name = text.upper().removeprefix(ROLE_PREFIX)
    if not text.isascii() or len(name) > MAX_CODE or not _ROLE.fullmatch(name):
        raise InvalidArgument(
            field, f"must be a role name like SUPERVISOR or ROLE_SUPERVISOR, got {value[:40]!r}"
        )
    return name
