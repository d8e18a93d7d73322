"""Partners (ERP connections) and their credentials: the rules, no I/O.
docs/contexts/exchange.md, *Partners and access*.

A partner signs in with HTTP Basic (what 1C sends: a login and a password the exchange made)
or with an API key `flx_<key id>_<secret>` carrying scopes. Secrets are shown once and kept
as hashes: a password (typed into 1C by a person, so possibly short-lived in a clipboard but
machine-made) by scrypt, an API key (256 random bits) by SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

# What a partner's API key may be used for; a Basic login may do everything an ERP's
# exchange does (the 1C protocol), not manage anything.
SCOPES = frozenset(
    {
        "catalog:import",
        "offers:import",
        "documents:import",
        "counterparties:import",
        "own:import",
        "orders:export",
        "jobs:read",
        "inspect",
    }
)
BASIC_SCOPES = SCOPES  # the 1C protocol imports every kind and exports orders

KEY_PREFIX = "flx"
_KEY = re.compile(r"^flx_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
_LOGIN = re.compile(r"^[A-Za-z0-9._-]{3,64}$")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


@dataclass(frozen=True)
class PartnerCaller:
    """A verified partner: who, what it may do, and how it signed in."""

    partner_id: str
    name: str
    scopes: frozenset[str]
    via: str  # "basic", "key" or "session"

    @property
    def subject(self) -> str:
        return f"partner:{self.partner_id}"

    def may(self, scope: str) -> bool:
        return scope in self.scopes


def valid_login(login: str) -> bool:
    return bool(_LOGIN.match(login))


def new_password() -> str:
    """A machine-made password (for 1C's exchange settings): 24 URL-safe characters."""
    return secrets.token_urlsafe(18)


def hash_password(password: str, salt: bytes | None = None) -> str:
    """`scrypt$<salt hex>$<hash hex>`."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    scheme, _, rest = stored.partition("$")
    salt_hex, _, digest_hex = rest.partition("$")
    if scheme != "scrypt" or not salt_hex or not digest_hex:
        return False
    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt_hex), **_SCRYPT)
    return hmac.compare_digest(digest.hex(), digest_hex)


@dataclass(frozen=True)
class NewKey:
    key_id: str
    secret: str  # the whole key, shown once: flx_<key id>_<secret part>
    digest: str  # what is stored


def new_key() -> NewKey:
    key_id = secrets.token_hex(8)
    key = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    return NewKey(key_id, key, key_digest(key))


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse_key(key: str) -> str | None:
    """The key id of a well-formed key, else None."""
    found = _KEY.match(key)
    return found.group(1) if found else None


def invalid_scopes(scopes: frozenset[str]) -> list[str]:
    return sorted(scopes - SCOPES)
