"""The Fieldline issuer: mints tokens with the first of its signing keys, publishes them all.

There is no default key: an issuer is built from keys someone made (PEM files,
`FIELDLINE_TOKEN_SIGNING_KEYS`). Rotation: add the new key second, deploy (it is published),
move it first (it signs), wait one token lifetime, drop the old one.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

import jwt

from fieldline_kit.auth.keys import SigningKey, jwks_document
from fieldline_kit.auth.principal import Kind
from fieldline_kit.auth.verify import DEFAULT_AUDIENCE
from fieldline_kit.clock import Clock, utcnow

DEFAULT_LIFETIME = timedelta(minutes=15)


class TokenIssuer:
    def __init__(
        self,
        signing_keys: Sequence[SigningKey],
        issuer: str,
        audience: str = DEFAULT_AUDIENCE,
        lifetime: timedelta = DEFAULT_LIFETIME,
        clock: Clock = utcnow,
    ) -> None:
        if not signing_keys:
            raise ValueError("a token issuer needs a signing key; there is no default key")
        kids = [k.kid for k in signing_keys]
        if len(set(kids)) != len(kids):
            raise ValueError(f"the same signing key is given twice: {kids}")
        if not issuer:
            raise ValueError("a token issuer needs its issuer name (iss)")
        self.keys = tuple(signing_keys)
        self.issuer = issuer
        self.audience = audience
        self.lifetime = lifetime
        self._clock = clock

    def mint(
        self,
        subject: str,
        kind: str,
        roles: Iterable[str] = (),
        act: str | None = None,
        lifetime: timedelta | None = None,
        device: str | None = None,
    ) -> str:
        """A signed token for `subject`; `act` names the user a service acts for, `device`
        (the `dev` claim) the device an employee's token was issued to (the device gateway's
        tokens)."""
        if not subject:
            raise ValueError("a token needs a subject")
        if kind not in Kind.ALL:
            raise ValueError(f"kind {kind!r} is not one of {sorted(Kind.ALL)}")
        now = self._clock()
        claims: dict[str, object] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "kind": kind,
            "roles": sorted(set(roles)),
            "iat": now,
            "nbf": now,
            "exp": now + (self.lifetime if lifetime is None else lifetime),
            "jti": uuid.uuid4().hex,
        }
        if act is not None:
            claims["act"] = {"sub": act}
        if device is not None:
            claims["dev"] = device
        key = self.keys[0]
        return jwt.encode(
            claims, key.private_key, algorithm=key.algorithm, headers={"kid": key.kid}
        )

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """Every key's public half: tokens signed by any of them verify."""
        return jwks_document(self.keys)

    def source(self, subject: str, kind: str, roles: Iterable[str] = ()) -> Callable[[], str]:
        """A token of `subject` whenever asked, minted again once less than a third of its
        lifetime is left (for a channel's calls: `fieldline_kit.auth.forward.BearerToken`)."""
        frozen = tuple(sorted(set(roles)))
        self.mint(subject, kind, frozen)  # refuse a bad subject or kind now
        lock = threading.Lock()
        held: list[tuple[str, datetime]] = []

        def token() -> str:
            now = self._clock()
            with lock:
                if not held or held[0][1] <= now:
                    renew_at = now + self.lifetime * 2 / 3
                    held[:] = [(self.mint(subject, kind, frozen), renew_at)]
                return held[0][0]

        return token
