"""The public keys tokens are checked against: a JWKS from a file or an HTTPS URL, cached.

The set is fetched on first use, again when it is older than `max_age_seconds` (so a dropped
key stops verifying), and again when a token names a `kid` the set lacks (a rotation) — but
never more than once per `min_refetch_seconds`, so a flood of made-up kids cannot hammer the
provider. A failed fetch keeps the keys already known; with none known yet, the call is
UNAVAILABLE (an outage, not the caller's fault). Only Ed25519 and P-256 keys are taken; the
others a provider may list (RSA, encryption keys) are skipped.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from http.client import HTTPException
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from jwt import PyJWK
from jwt.exceptions import PyJWKError

from fieldline_kit.auth.keys import EDDSA, ES256
from fieldline_kit.errors import Unavailable
from fieldline_kit.logging import get_logger

log = get_logger("fieldline.auth")

Fetch = Callable[[], Mapping[str, Any]]

MAX_DOCUMENT_BYTES = 1_000_000
# (kty, crv) → the one algorithm such a key verifies.
_ACCEPTED = {("OKP", "Ed25519"): EDDSA, ("EC", "P-256"): ES256}


# `<location>#iss=<issuer>`: the keys at the location sign that issuer's tokens only.
ISSUER_SUFFIX = "#iss="


class JwksError(ValueError):
    """A JWKS location or document that cannot be used."""


def parse_jwks(document: Mapping[str, Any]) -> dict[str, PyJWK]:
    """kid → key, for the signing keys of `document` this kit accepts."""
    entries = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(entries, list):
        raise JwksError("a JWKS is an object with a 'keys' list")
    keys: dict[str, PyJWK] = {}
    for jwk in entries:
        if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
            continue
        alg = _ACCEPTED.get((jwk.get("kty", ""), jwk.get("crv", "")))
        kid = jwk.get("kid")
        if alg is None or not isinstance(kid, str) or not kid or jwk.get("alg", alg) != alg:
            continue
        try:
            keys[kid] = PyJWK(jwk, alg)
        except PyJWKError as exc:
            raise JwksError(f"key {kid!r}: {exc}") from exc
    if not keys:
        raise JwksError("the JWKS holds no Ed25519 or P-256 signing key with a kid")
    return keys


def _read_file(path: Path) -> Fetch:
    def fetch() -> Mapping[str, Any]:
        loaded: Mapping[str, Any] = json.loads(path.read_bytes()[:MAX_DOCUMENT_BYTES])
        return loaded

    return fetch


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an error: it could lead from https to http, or anywhere else."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _get_url(url: str, timeout: float) -> Fetch:
    opener = urllib.request.build_opener(_NoRedirects())

    def fetch() -> Mapping[str, Any]:
        request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 - scheme checked in `at`
        with opener.open(request, timeout=timeout) as response:
            loaded: Mapping[str, Any] = json.loads(response.read(MAX_DOCUMENT_BYTES))
        return loaded

    return fetch


class JwksSource:
    """One JWKS location, cached (see the module doc)."""

    def __init__(
        self,
        fetch: Fetch,
        *,
        location: str = "in memory",
        issuer: str | None = None,
        min_refetch_seconds: float = 30.0,
        max_age_seconds: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.location = location
        # The one issuer whose tokens this set's keys may sign (None: any accepted issuer).
        self.issuer = issuer
        self._fetch = fetch
        self._min_refetch = min_refetch_seconds
        self._max_age = max_age_seconds
        self._now = monotonic
        self._keys: dict[str, PyJWK] = {}
        self._loaded_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = threading.Lock()

    @classmethod
    def at(
        cls, location: str, *, allow_http: bool = False, timeout: float = 5.0, **kw: Any
    ) -> JwksSource | JwksSources:
        """A JWKS at an `https://` URL (`http://` only with `allow_http`, for tests) or in a file
        (which must exist now; a URL is first fetched on first use). Several locations,
        comma-separated (the OpenID provider's URL and a file of services' keys), are one
        `JwksSources` holding the keys of all. A location may end in `#iss=<issuer>`: its
        keys then verify that issuer's tokens only (a service's own key cannot sign a token
        in the OpenID provider's name)."""
        locations = [part.strip() for part in location.split(",") if part.strip()]
        if not locations:
            raise JwksError("no JWKS location given")
        if len(locations) > 1:
            return JwksSources(
                [cls.one(x, allow_http=allow_http, timeout=timeout, **kw) for x in locations]
            )
        return cls.one(locations[0], allow_http=allow_http, timeout=timeout, **kw)

    @classmethod
    def one(
        cls, location: str, *, allow_http: bool = False, timeout: float = 5.0, **kw: Any
    ) -> JwksSource:
        """One location (see `at`)."""
        location, bound, issuer = location.partition(ISSUER_SUFFIX)
        if bound:
            if not issuer.strip():
                raise JwksError(f"{location}: {ISSUER_SUFFIX} names no issuer")
            kw["issuer"] = issuer.strip()
        scheme = urlparse(location).scheme.lower()
        if scheme == "https" or (scheme == "http" and allow_http):
            return cls(_get_url(location, timeout), location=location, **kw)
        if scheme == "http":
            raise JwksError(f"{location}: token keys are fetched over https only")
        if scheme not in ("", "file"):
            raise JwksError(f"{location}: a JWKS is an https:// URL or a file path")
        path = Path(urlparse(location).path if scheme == "file" else location)
        if not path.is_file():
            raise JwksError(f"{path}: no such file")
        return cls(_read_file(path), location=str(path), **kw)

    @classmethod
    def of(cls, document: Mapping[str, Any], **kw: Any) -> JwksSource:
        """A fixed set (e.g. an in-process issuer's `jwks()`)."""
        parse_jwks(document)  # refuse a bad document now, not on the first call
        return cls(lambda: document, **kw)

    def issuer_for(self, kid: str) -> str | None:
        """The issuer the key `kid` is bound to (None: any accepted issuer)."""
        return self.issuer

    def key(self, kid: str) -> PyJWK | None:
        """The key named `kid`, fetching the set first when due (blocking I/O)."""
        if self._due(kid):
            self._refresh(kid)
        elif self._loaded_at is None:
            self._wait_in_flight()
        return self._known(kid)

    async def key_async(self, kid: str) -> PyJWK | None:
        """As `key`, with any fetch in a worker thread so the event loop never waits on it."""
        if self._due(kid):
            await asyncio.to_thread(self._refresh, kid)
        elif self._loaded_at is None:
            await asyncio.to_thread(self._wait_in_flight)
        return self._known(kid)

    def has(self, kid: str) -> bool:
        """Whether `kid` is among the keys fetched so far (no fetch)."""
        return kid in self._keys

    @property
    def bound_issuers(self) -> set[str]:
        return {self.issuer} if self.issuer else set()

    def _known(self, kid: str) -> PyJWK | None:
        if self._loaded_at is None:
            raise Unavailable("the token keys cannot be fetched; retry later")
        return self._keys.get(kid)

    def _due(self, kid: str) -> bool:
        now = self._now()
        if self._attempted_at is not None and now - self._attempted_at < self._min_refetch:
            return False
        return (
            self._loaded_at is None
            or kid not in self._keys
            or now - self._loaded_at >= self._max_age
        )

    def _wait_in_flight(self) -> None:
        """Nothing loaded yet and no fetch due: another caller's first fetch may be under way
        (it marks its attempt before it fetches). Wait for it rather than answer UNAVAILABLE
        while the keys are arriving; a fetch that failed leaves nothing loaded, as before."""
        with self._lock:
            pass

    def _refresh(self, kid: str) -> None:
        with self._lock:
            if self._due(kid):  # another caller may have fetched while this one waited
                self._fetch_locked()

    def _fetch_locked(self) -> None:
        self._attempted_at = self._now()
        try:
            keys = parse_jwks(self._fetch())
        except (OSError, HTTPException, ValueError) as exc:  # network, file, JSON, JwksError
            log.warning("token keys not fetched", jwks=self.location, error=repr(exc)[:300])
            return
        self._keys, self._loaded_at = keys, self._now()
        log.info("token keys fetched", jwks=self.location, kids=sorted(keys))


class JwksSources:
    """Several JWKS locations as one set of keys: a `kid` is looked up in each in turn (each
    with its own cache and refetch rules). A location that cannot be fetched yet does not stop
    the others from verifying; only when no location knows the `kid` and one of them could not
    be fetched is the call UNAVAILABLE (the key may be in the one that is out)."""

    def __init__(self, sources: list[JwksSource]) -> None:
        self.sources = sources
        self.location = ",".join(s.location for s in sources)

    @property
    def bound_issuers(self) -> set[str]:
        return {s.issuer for s in self.sources if s.issuer}

    def issuer_for(self, kid: str) -> str | None:
        """The issuer the key `kid` is bound to: that of the first location holding it (the
        one `key` took it from); None if that location is not bound."""
        for source in self.sources:
            if source.has(kid):
                return source.issuer
        return None

    def key(self, kid: str) -> PyJWK | None:
        outage: Unavailable | None = None
        for source in self.sources:
            try:
                found = source.key(kid)
            except Unavailable as exc:
                outage = exc
                continue
            if found is not None:
                return found
        if outage is not None:
            raise outage
        return None

    async def key_async(self, kid: str) -> PyJWK | None:
        outage: Unavailable | None = None
        for source in self.sources:
            try:
                found = await source.key_async(kid)
            except Unavailable as exc:
                outage = exc
                continue
            if found is not None:
                return found
        if outage is not None:
            raise outage
        return None
