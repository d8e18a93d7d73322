"""Validation primitives every context's domain uses: ids, text.

Standard library and `fieldline_kit.errors` only, so domain packages may import it.
"""

from __future__ import annotations

import re
import uuid

from fieldline_kit.errors import InvalidArgument

# The canonical form (what require_id returns): checked by a regex first because ids are
# validated many times per request (every line's product id…) and parsing a UUID costs ~10×.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

MAX_NAME = 300
MAX_TEXT = 2000


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
        raise InvalidArgument(field, f"is too long ({len(text)} characters, at most {max_len})")
    return text
