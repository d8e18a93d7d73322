"""Devices, activation codes and refresh-token rotation: the rules, no I/O.

docs/contexts/device-gateway.md, *Identity*. A code is 12 characters of Crockford base32 (60
bits), shown as XXXX-XXXX-XXXX, stored as SHA-256. A refresh token is 256 random bits, stored
as SHA-256; each refresh spends it and issues a successor; a spent token presented again is a
lost answer retried (within the retry window, while its successor is unused) or a reuse (the
device is revoked).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12
# Letters a person may type for a Crockford digit.
_READ_AS = {"O": "0", "I": "1", "L": "1"}

# Who may hold a device: the field roles, telesellers (its call lists, calls and debts) and
# supervisors.
FIELD_ROLES = frozenset({"AGENT", "VAN_SELLER", "MERCHANDISER", "TELESELLER", "SUPERVISOR"})
MANAGERS = frozenset({"SUPERVISOR", "ADMIN"})


class DeviceStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class RevokedReason(StrEnum):
    BY_SUPERVISOR = "revoked"
    REFRESH_REUSE = "refresh-reuse"


def digest(secret: str) -> str:
    """How a code or a refresh token is stored: its SHA-256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_activation_code() -> str:
    """A fresh code, as shown: XXXX-XXXX-XXXX."""
    raw = "".join(secrets.choice(CROCKFORD) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalize_code(text: str) -> str | None:
    """The code as typed → its canonical 12 characters; None if it cannot be one (case and
    dashes are free, O/I/L read as 0/1/1)."""
    cleaned = "".join(_READ_AS.get(c, c) for c in text.upper() if c not in "- ")
    if len(cleaned) != CODE_LENGTH or any(c not in CROCKFORD for c in cleaned):
        return None
    return cleaned


def code_digest(text: str) -> str | None:
    canonical = normalize_code(text)
    return None if canonical is None else digest(canonical)


def new_refresh_token() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


def may_hold_device(roles: frozenset[str]) -> bool:
    """Who a device may be activated for: an employee with a field role, a teleseller or a
    supervisor."""
    return not roles.isdisjoint(FIELD_ROLES)


@dataclass(frozen=True)
class RefreshRecord:
    """A stored refresh token, as the rotation rule sees it."""

    device_id: str
    family_id: str
    expires_at: datetime
    used_at: datetime | None
    successor_used: bool  # the token issued in exchange for this one has been used
    revoked: bool


class RefreshVerdict(StrEnum):
    ROTATE = "rotate"  # issue a successor, spend this one
    RETRY = "retry"  # a lost answer: revoke the unused successor, issue another
    REUSE = "reuse"  # revoke the device
    INVALID = "invalid"


def judge_refresh(
    record: RefreshRecord | None,
    device_id: str,
    device_active: bool,
    now: datetime,
    retry_window: timedelta,
) -> RefreshVerdict:
    """The rotation table of the model (the employee's standing is checked apart)."""
    if record is None or record.device_id != device_id or not device_active or record.revoked:
        return RefreshVerdict.INVALID
    if record.used_at is None:
        return RefreshVerdict.ROTATE if record.expires_at > now else RefreshVerdict.INVALID
    if now - record.used_at < retry_window and not record.successor_used:
        return RefreshVerdict.RETRY
    return RefreshVerdict.REUSE


MAX_DEVICES_PAGE = 500


@dataclass(frozen=True)
class DeviceFilter:
    """Which devices `GET /v1/devices` lists, a page at a time in (employee, device) order:
    an employee's, in one status, and those not synced since a moment (never synced
    included): the devices a supervisor should chase. `after` is the last (employee id,
    device id) of the previous page."""

    employee_id: str | None = None
    status: DeviceStatus | None = None
    not_synced_since: datetime | None = None
    after: tuple[str, str] | None = None
    limit: int = 100
