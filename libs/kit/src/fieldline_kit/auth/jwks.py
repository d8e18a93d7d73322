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
    def __init__(
        self,
        fetch: Fetch,
        *,
        location: str = "in memory",
        min_refetch_seconds: float = 30.0,
        max_age_seconds: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.location = location
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
    ) -> JwksSource:
        """A JWKS at an `https://` URL (`http://` only with `allow_http`, for tests) or in a file
        (which must exist now; a URL is first fetched on first use)."""
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

    def key(self, kid: str) -> PyJWK | None:
        """The key named `kid`, fetching the set first when due (blocking I/O)."""
        if self._due(kid):
            self._refresh(kid)
        return self._known(kid)

    async def key_async(self, kid: str) -> PyJWK | None:
        """As `key`, with any fetch in a worker thread so the event loop never waits on it."""
        if self._due(kid):
            await asyncio.to_thread(self._refresh, kid)
        return self._known(kid)

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
