"""Sync cursors and page tokens: the opaque strings a device hands back (docs/sync-protocol.md,
*Sync*; the model: docs/contexts/device-gateway.md, *Paging*).

    cursor      c1.<epoch, 32 hex>.<seq>.<protocol minor>
    page token  p1.<payload, base64url JSON>.<HMAC-SHA256 of "p1.<payload>", base64url>

A cursor says "everything of the store `epoch` up to `seq` was delivered"; it is not signed
(whatever it claims, an employee only ever reads its own scopes, and a seq the store cannot
serve gets a full answer). A page token continues one sync: who asked, from where (`c`), up to
where (`high`, fixed by the first page), which phase and the last item served, when it was
made. It is signed with a key of the gateway's, so a device can neither forge nor alter one.
Both are at most 1,000 characters. A string that is no cursor is `invalid-cursor`; a page
token that is not the server's (or not the caller's) is `invalid-request`, an old one
`page-token-expired`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from fieldline_gateway.domain.problems import Problem

MAX_LENGTH = 1000

_CURSOR = re.compile(r"c1\.([0-9a-f]{32})\.(0|[1-9][0-9]{0,17})\.(0|[1-9][0-9]{0,3})")
_TOKEN_PREFIX = "p1."  # noqa: S105 - a format tag, not a secret


@dataclass(frozen=True)
class Cursor:
    """Where a device's last completed sync left it: store `epoch` (a UUID), `seq`, and the
    protocol minor the device spoke then."""

    epoch: str
    seq: int
    minor: int = 0

    def encode(self) -> str:
        return f"c1.{uuid.UUID(self.epoch).hex}.{self.seq}.{self.minor}"


def decode_cursor(text: str) -> Cursor:
    """The cursor `text` stands for; `invalid-cursor` for anything the server did not make."""
    found = _CURSOR.fullmatch(text) if len(text) <= MAX_LENGTH else None
    if found is None:
        raise Problem("invalid-cursor", "the cursor is not one this server made", field="cursor")
    epoch, seq, minor = found.groups()
    return Cursor(epoch=str(uuid.UUID(hex=epoch)), seq=int(seq), minor=int(minor))


class Mode(StrEnum):
    FULL = "full"
    DELTA = "delta"


class Phase(StrEnum):
    SNAPSHOT = "snapshot"  # every live item of a set of scopes (a full sync, a delta's resets)
    CHANGES = "changes"  # a delta's changes of its steady scopes, in seq order


@dataclass(frozen=True)
class Position:
    """The last item served in `phase`, in that phase's order: (scope, section, key) in a
    snapshot, (seq, section, key) in the changes. The defaults stand before the first item."""

    phase: Phase
    scope: str = ""
    seq: int = 0
    section: str = ""
    key: str = ""


@dataclass(frozen=True)
class PageToken:
    """The state of a sync between its pages. `c` is the cursor's seq (0 in a full sync),
    `high` the snapshot bound of the first page, `reason` the resync reason of a full answer
    to a cursor the store could not serve ("" otherwise)."""

    employee_id: str
    epoch: str
    mode: Mode
    c: int
    high: int
    minor: int
    after: Position
    created_at: datetime
    reason: str = ""

    def encode(self, key: bytes) -> str:
        created_ms = int(self.created_at.timestamp() * 1000)
        a = self.after
        values = [
            self.employee_id,
            uuid.UUID(self.epoch).hex,
            self.mode.value,
            self.c,
            self.high,
            self.minor,
            self.reason,
            a.phase.value,
            a.scope,
            a.seq,
            a.section,
            a.key,
            created_ms,
        ]
        raw = json.dumps(values, separators=(",", ":"), ensure_ascii=False).encode()
        body = _TOKEN_PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        token = f"{body}.{_sign(key, body)}"
        if len(token) > MAX_LENGTH:
            # Keys and scopes are ids (≤ 255 and 100 characters): never expected.
            raise ValueError(f"page token of {len(token)} characters (at most {MAX_LENGTH})")
        return token


def decode_page_token(
    text: str, key: bytes, *, employee_id: str, now: datetime, max_age: timedelta
) -> PageToken:
    """The page token `text`, checked: made by this server (its signature under `key`), for
    `employee_id`, not older than `max_age` at `now`."""
    body, dot, signature = text.rpartition(".")
    if (
        len(text) > MAX_LENGTH
        or not dot
        or not body.startswith(_TOKEN_PREFIX)
        or not hmac.compare_digest(signature, _sign(key, body))
    ):
        raise _not_a_token()
    try:
        raw = base64.urlsafe_b64decode(_padded(body[len(_TOKEN_PREFIX) :]))
        (employee, epoch, mode, c, high, minor, reason, phase, scope, seq, section, item_key,
         created_ms) = json.loads(raw)  # fmt: skip
        token = PageToken(
            employee_id=_str(employee),
            epoch=str(uuid.UUID(hex=_str(epoch))),
            mode=Mode(mode),
            c=_int(c),
            high=_int(high),
            minor=_int(minor),
            reason=_str(reason),
            after=Position(
                phase=Phase(phase),
                scope=_str(scope),
                seq=_int(seq),
                section=_str(section),
                key=_str(item_key),
            ),
            created_at=datetime.fromtimestamp(_int(created_ms) / 1000, UTC),
        )
    except (ValueError, TypeError, binascii.Error):  # signed by us, yet unreadable: a bug
        raise _not_a_token() from None
    if token.employee_id != employee_id:
        raise _not_a_token()
    if now - token.created_at > max_age:
        raise Problem(
            "page-token-expired",
            "the page token is too old: sync again from the cursor, without a page token",
            field="pageToken",
        )
    return token


def _sign(key: bytes, body: str) -> str:
    mac = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def _padded(text: str) -> bytes:
    return (text + "=" * (-len(text) % 4)).encode()


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TypeError("not a natural number")
    return value


def _not_a_token() -> Problem:
    return Problem(
        "invalid-request", "pageToken: not a page token this server gave you", field="pageToken"
    )
