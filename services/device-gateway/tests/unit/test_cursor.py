"""Cursors and page tokens: round trips, what is not a cursor, tampering, expiry, length."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from fieldline_gateway.domain.cursor import (
    MAX_LENGTH,
    Cursor,
    Mode,
    PageToken,
    Phase,
    Position,
    decode_cursor,
    decode_page_token,
)
from fieldline_gateway.domain.problems import Problem

EPOCH = "2f7a1b3c-0000-4000-8000-00000000abcd"
KEY = b"page-token-key-of-the-gateway"
NOW = datetime(2026, 3, 4, 6, 12, 9, tzinfo=UTC)
TTL = timedelta(minutes=60)


def token(**changes: object) -> PageToken:
    values: dict[str, object] = {
        "employee_id": "e-1",
        "epoch": EPOCH,
        "mode": Mode.DELTA,
        "c": 184_467,
        "high": 190_002,
        "minor": 0,
        "after": Position(Phase.CHANGES, seq=185_000, section="prices", key="pl-31/p-1001"),
        "created_at": NOW,
    }
    values.update(changes)
    return PageToken(**values)  # type: ignore[arg-type]


def decode(text: str, **changes: object) -> PageToken:
    args: dict[str, object] = {"employee_id": "e-1", "now": NOW, "max_age": TTL}
    args.update(changes)
    return decode_page_token(text, KEY, **args)  # type: ignore[arg-type]


def test_a_cursor_decodes_to_what_it_encodes() -> None:
    cursor = Cursor(epoch=EPOCH, seq=184_467, minor=2)
    text = cursor.encode()
    assert decode_cursor(text) == cursor
    assert text == f"c1.{uuid.UUID(EPOCH).hex}.184467.2"
    assert decode_cursor(Cursor(EPOCH, 0).encode()) == Cursor(EPOCH, 0, 0)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "garbage",
        "c1.2f7a1b.184467",  # the documentation's shortened example, not a real cursor
        f"c2.{uuid.UUID(EPOCH).hex}.1.0",  # another format
        f"c1.{uuid.UUID(EPOCH).hex}.-1.0",
        f"c1.{uuid.UUID(EPOCH).hex}.01.0",  # not canonical
        f"c1.{uuid.UUID(EPOCH).hex}.1",  # no minor
        f"c1.{uuid.UUID(EPOCH).hex}.1.0.",
        f"c1.{uuid.UUID(EPOCH).hex.upper()}.1.0",
        f"c1.{uuid.UUID(EPOCH).hex}.1.0\n",
        f"c1.{uuid.UUID(EPOCH).hex}.{'9' * 19}.0",  # beyond a bigint
        f"c1.{uuid.UUID(EPOCH).hex}.1.0" + " " * MAX_LENGTH,
        "p1.eyJ9.abc",  # a page token is no cursor
    ],
)
def test_a_string_that_is_no_cursor_is_invalid_cursor(text: str) -> None:
    with pytest.raises(Problem) as refused:
        decode_cursor(text)
    assert refused.value.code == "invalid-cursor"
    assert refused.value.field == "cursor"


@pytest.mark.parametrize(
    "after",
    [
        Position(Phase.SNAPSHOT),
        Position(Phase.SNAPSHOT, scope="outlet:0f3e", section="outlets", key="0f3e"),
        Position(Phase.CHANGES, seq=7, section="routeOutlets", key="r-7/9d1c"),
        Position(Phase.SNAPSHOT, scope="outlet:о-1", section="outlets", key="Магазин/1"),
    ],
)
def test_a_page_token_decodes_to_what_it_encodes(after: Position) -> None:
    made = token(after=after, mode=Mode.FULL, c=0, reason="cursor-expired")
    text = made.encode(KEY)
    assert decode(text) == made
    assert len(text) <= MAX_LENGTH


def test_a_page_token_with_the_longest_keys_stays_within_the_bound() -> None:
    after = Position(Phase.SNAPSHOT, scope="s" * 100, section="x" * 40, key="k" * 255)
    text = token(employee_id="e" * 64, after=after).encode(KEY)
    assert len(text) <= MAX_LENGTH
    assert decode(text, employee_id="e" * 64).after == after


def test_a_page_token_longer_than_the_bound_is_not_made() -> None:
    with pytest.raises(ValueError, match="at most 1000"):
        token(after=Position(Phase.SNAPSHOT, key="k" * 900)).encode(KEY)


def _tampered(text: str) -> list[str]:
    body, _, signature = text.rpartition(".")
    payload = body.removeprefix("p1.")
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    forged_raw = raw.replace(b"e-1", b"e-2")
    forged = "p1." + base64.urlsafe_b64encode(forged_raw).rstrip(b"=").decode()
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    return [
        f"{forged}.{signature}",  # another employee, old signature
        f"{body}.{flipped}",  # signature changed
        f"{body}.",  # signature removed
        body,  # no signature
        f"{body[:-2]}.{signature}",  # payload cut
        "p2" + text[2:],  # another format
        text + "x",
        "",
    ]


def test_a_tampered_page_token_is_refused() -> None:
    text = token().encode(KEY)
    for bad in _tampered(text):
        with pytest.raises(Problem) as refused:
            decode(bad)
        assert refused.value.code == "invalid-request", bad
        assert refused.value.field == "pageToken"


def test_a_page_token_signed_with_another_key_is_refused() -> None:
    text = token().encode(b"another replica's key")
    with pytest.raises(Problem) as refused:
        decode(text)
    assert refused.value.code == "invalid-request"


def test_a_page_token_is_the_employees_own() -> None:
    text = token().encode(KEY)
    with pytest.raises(Problem) as refused:
        decode(text, employee_id="e-2")
    assert refused.value.code == "invalid-request"


def test_a_page_token_older_than_its_lifetime_is_expired() -> None:
    text = token(created_at=NOW - TTL - timedelta(seconds=1)).encode(KEY)
    with pytest.raises(Problem) as refused:
        decode(text)
    assert refused.value.code == "page-token-expired"
    # Just within the lifetime, and one from a replica whose clock runs a little ahead.
    assert decode(token(created_at=NOW - TTL).encode(KEY)).c == 184_467
    assert decode(token(created_at=NOW + timedelta(seconds=2)).encode(KEY)).c == 184_467
