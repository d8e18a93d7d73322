"""Token verification: a bearer JWT → the `Principal` it names, or `Unauthenticated`.

A token verified once is remembered (`VerifiedTokens`): a device sends the same token with
every call for its 15 minutes, and its signature check (~0.1–0.3 ms of CPU) need not be
repeated. A remembered token is answered only while it is within its `exp` (with the leeway)
and for at most `remember_seconds` (60 s) since it was verified, so a key dropped from the
JWKS stops a token within a minute plus the JWKS refresh; the cache is bounded.

Checks, in order: the token parses; its `alg` is EdDSA or ES256 (never `none`, never HS*,
whatever the key); its `kid` is a key of the JWKS, of that algorithm; the signature; `iss`
one of the configured issuers, and the one its key is bound to where the JWKS location says
(`#iss=`); `aud` the configured audience; `exp` not passed and `nbf`/`iat`
not in the future (both with `leeway`); `sub`, `kind` and `exp` present. The error says which
check failed and never holds the token.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from jwt import PyJWK

from fieldline_kit.auth.jwks import JwksSource, JwksSources
from fieldline_kit.auth.keys import ALGORITHMS
from fieldline_kit.auth.principal import Kind, Principal
from fieldline_kit.errors import Unauthenticated

DEFAULT_AUDIENCE = "fieldline"
DEFAULT_LEEWAY = timedelta(seconds=30)
REMEMBER_SECONDS = 60.0
REMEMBERED_TOKENS = 50_000
REQUIRED_CLAIMS = ("exp", "iss", "aud", "sub")


def _quoted(value: Any) -> str:
    """A caller-supplied header value, short enough to log and show."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# PyJWT's errors, most specific first → what the caller is told.
_REFUSALS: list[tuple[type[jwt.InvalidTokenError], str]] = [
    (jwt.ExpiredSignatureError, "token expired"),
    (jwt.InvalidSignatureError, "token signature is invalid"),
    (jwt.InvalidIssuerError, "token issuer is not accepted"),
    (jwt.InvalidAlgorithmError, "token algorithm does not match its key"),
]


class VerifiedTokens:
    """Tokens verified lately → their principals, answered while still valid (see the module
    doc); least recently verified dropped first beyond `max_entries`."""

    def __init__(
        self,
        *,
        remember_seconds: float = REMEMBER_SECONDS,
        max_entries: int = REMEMBERED_TOKENS,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._remember = remember_seconds
        self._max = max_entries
        self._clock = clock
        self._wall = wall
        self._tokens: OrderedDict[str, tuple[float, Principal]] = OrderedDict()

    def get(self, token: str, leeway: timedelta) -> Principal | None:
        hit = self._tokens.get(token)
        if hit is None:
            return None
        verified_at, principal = hit
        expires = principal.expires_at
        if (
            self._clock() - verified_at >= self._remember
            or expires is None
            or self._wall() > expires.timestamp() + leeway.total_seconds()
        ):
            del self._tokens[token]
            return None
        return principal

    def put(self, token: str, principal: Principal) -> None:
        self._tokens[token] = (self._clock(), principal)
        self._tokens.move_to_end(token)
        while len(self._tokens) > self._max:
            self._tokens.popitem(last=False)


class TokenVerifier:
    def __init__(
        self,
        jwks: JwksSource | JwksSources,
        issuers: Iterable[str],
        audience: str = DEFAULT_AUDIENCE,
        leeway: timedelta = DEFAULT_LEEWAY,
        remembered: VerifiedTokens | None = None,
    ) -> None:
        self.issuers = tuple(issuers)
        if not self.issuers or not all(self.issuers):
            raise ValueError("a token verifier needs the issuers it accepts")
        if not audience:
            raise ValueError("a token verifier needs its audience")
        unaccepted = jwks.bound_issuers - set(self.issuers)
        if unaccepted:
            raise ValueError(f"keys bound to issuers not accepted: {sorted(unaccepted)}")
        self.jwks = jwks
        self.audience = audience
        self.leeway = leeway
        self.remembered = remembered if remembered is not None else VerifiedTokens()

    def verify(self, token: str) -> Principal:
        """The principal of `token` (a fetch of the JWKS, when due, blocks)."""
        known = self.remembered.get(token, self.leeway)
        if known is not None:
            return known
        kid = self._kid(token)
        return self._remember(token, self._check(token, kid, self.jwks.key(kid)))

    async def verify_async(self, token: str) -> Principal:
        """As `verify`, with any JWKS fetch off the event loop."""
        known = self.remembered.get(token, self.leeway)
        if known is not None:
            return known
        kid = self._kid(token)
        return self._remember(token, self._check(token, kid, await self.jwks.key_async(kid)))

    def _remember(self, token: str, principal: Principal) -> Principal:
        self.remembered.put(token, principal)
        return principal

    def _kid(self, token: str) -> str:
        if not token:
            raise Unauthenticated("no token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise Unauthenticated("malformed token") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise Unauthenticated(f"token algorithm {_quoted(alg)} is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthenticated("token names no key (kid)")
        return kid

    def _check(self, token: str, kid: str, key: PyJWK | None) -> Principal:
        if key is None:
            raise Unauthenticated(f"token key {_quoted(kid)} is unknown")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[key.algorithm_name],
                audience=self.audience,
                issuer=self.issuers,
                leeway=self.leeway,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ImmatureSignatureError as exc:
            which = "iat" if "iat" in str(exc) else "nbf"
            raise Unauthenticated(f"token not valid yet ({which} in the future)") from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthenticated(f"token has no {exc.claim!r} claim") from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated(f"token audience is not {self.audience!r}") from None
        except jwt.InvalidTokenError as exc:
            message = next((m for t, m in _REFUSALS if isinstance(exc, t)), "malformed token")
            raise Unauthenticated(message) from None
        bound = self.jwks.issuer_for(kid)
        if bound is not None and claims["iss"] != bound:
            raise Unauthenticated("token issuer is not the one its key signs for")
        return _principal(claims)


def _principal(claims: dict[str, Any]) -> Principal:
    subject, kind = claims["sub"], claims.get("kind")
    if not isinstance(subject, str) or not subject:
        raise Unauthenticated("token has no 'sub' claim")
    if kind is None:
        raise Unauthenticated("token has no 'kind' claim")
    if kind not in Kind.ALL:
        raise Unauthenticated(f"token kind {_quoted(kind)} is not one of {sorted(Kind.ALL)}")
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise Unauthenticated("token 'roles' is not a list of strings")
    act = claims.get("act")
    if act is not None and not (isinstance(act, dict) and isinstance(act.get("sub"), str)):
        raise Unauthenticated("token 'act' is not an object with a 'sub'")
    device = claims.get("dev")
    if device is not None and not (isinstance(device, str) and device):
        raise Unauthenticated("token 'dev' is not a device id")
    jti = claims.get("jti")
    return Principal(
        kind=kind,
        subject=subject,
        roles=frozenset(roles),
        token_id=jti if isinstance(jti, str) else None,
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        acting_for=act["sub"] if act else None,
        device_id=device,
    )
