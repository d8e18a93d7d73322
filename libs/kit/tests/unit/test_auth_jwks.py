"""The JWKS cache: fetched when due, refetched for an unknown kid at most once per interval."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from fieldline_kit.auth.issuer import TokenIssuer
from fieldline_kit.auth.jwks import JwksError, JwksSource, JwksSources, parse_jwks
from fieldline_kit.auth.keys import EDDSA, ES256, generate_signing_key
from fieldline_kit.auth.principal import Kind
from fieldline_kit.auth.verify import TokenVerifier, VerifiedTokens
from fieldline_kit.errors import Unauthenticated, Unavailable
from fieldline_kit.testing.helpers import closed_port

ISS = "https://issuer.test"


class Provider:
    """A JWKS that can change, fail, and counts how often it is read; a clock to move."""

    def __init__(self, *issuers: TokenIssuer) -> None:
        self.keys = [k for i in issuers for k in i.jwks()["keys"]]
        self.reads = 0
        self.down = False
        self.now = 1000.0

    def fetch(self) -> dict[str, Any]:
        self.reads += 1
        if self.down:
            raise OSError("connection refused")
        return {"keys": list(self.keys)}

    def source(self) -> JwksSource:
        return JwksSource(self.fetch, monotonic=lambda: self.now)


def test_an_unknown_kid_refetches_once_per_interval_however_many_arrive() -> None:
    a, b = TokenIssuer([generate_signing_key()], ISS), TokenIssuer([generate_signing_key()], ISS)
    provider = Provider(a)
    verifier = TokenVerifier(provider.source(), [ISS])
    assert verifier.verify(a.mint("e-1", Kind.EMPLOYEE)).subject == "e-1"
    assert provider.reads == 1
    provider.keys += b.jwks()["keys"]  # the provider rotates in a key
    bogus = TokenIssuer([generate_signing_key()], ISS)
    for _ in range(100):  # a flood of unknown kids within the interval: no fetch
        with pytest.raises(Unauthenticated, match="unknown"):
            verifier.verify(bogus.mint("x", Kind.EMPLOYEE))
    with pytest.raises(Unauthenticated, match="unknown"):
        verifier.verify(b.mint("e-2", Kind.EMPLOYEE))
    assert provider.reads == 1
    provider.now += 30
    assert verifier.verify(b.mint("e-2", Kind.EMPLOYEE)).subject == "e-2"  # refetched
    assert provider.reads == 2
    for _ in range(100):
        with pytest.raises(Unauthenticated, match="unknown"):
            verifier.verify(bogus.mint("x", Kind.EMPLOYEE))
    assert provider.reads == 2


def unremembering(source: JwksSource) -> TokenVerifier:
    """A verifier that checks every token against the keys (none remembered): the JWKS alone."""
    return TokenVerifier(source, [ISS], remembered=VerifiedTokens(remember_seconds=0))


def test_a_dropped_key_stops_verifying_when_the_set_is_stale() -> None:
    old, new = generate_signing_key(EDDSA), generate_signing_key(ES256)
    provider = Provider(TokenIssuer([new, old], ISS))
    verifier = unremembering(provider.source())
    old_token = TokenIssuer([old], ISS).mint("e-1", Kind.EMPLOYEE)
    new_token = TokenIssuer([new], ISS).mint("e-2", Kind.EMPLOYEE)
    assert verifier.verify(old_token).subject == "e-1"
    assert verifier.verify(new_token).subject == "e-2"
    provider.keys = [k for k in provider.keys if k["kid"] == new.kid]  # the old key dropped
    provider.now += 299
    assert verifier.verify(old_token).subject == "e-1"  # cached for max_age (300 s)
    provider.now += 1
    with pytest.raises(Unauthenticated, match="unknown"):
        verifier.verify(old_token)
    assert verifier.verify(new_token).subject == "e-2"
    assert provider.reads == 2


def test_a_provider_outage_keeps_the_known_keys_or_is_unavailable() -> None:
    issuer = TokenIssuer([generate_signing_key()], ISS)
    provider = Provider(issuer)
    provider.down = True
    verifier = unremembering(provider.source())
    token = issuer.mint("e-1", Kind.EMPLOYEE)
    with pytest.raises(Unavailable):  # never fetched: an outage, not the caller's fault
        verifier.verify(token)
    with pytest.raises(Unavailable):  # and not retried within the interval
        verifier.verify(token)
    assert provider.reads == 1
    provider.down, provider.now = False, provider.now + 30
    assert verifier.verify(token).subject == "e-1"
    provider.down, provider.now = True, provider.now + 1000  # stale, and the provider is down
    assert verifier.verify(token).subject == "e-1"  # the keys known are kept
    assert provider.reads == 3


def test_a_verified_token_is_remembered_a_minute_at_most_and_never_past_its_expiry() -> None:
    old, new = generate_signing_key(EDDSA), generate_signing_key(ES256)
    provider = Provider(TokenIssuer([new, old], ISS))
    wall = [time.time()]
    remembered = VerifiedTokens(clock=lambda: provider.now, wall=lambda: wall[0], max_entries=2)
    verifier = TokenVerifier(provider.source(), [ISS], remembered=remembered)
    token = TokenIssuer([old], ISS).mint("e-1", Kind.EMPLOYEE)
    assert verifier.verify(token).subject == "e-1" and provider.reads == 1
    provider.keys = [k for k in provider.keys if k["kid"] == new.kid]  # the old key dropped
    start = provider.now
    provider.now = start + 59
    assert remembered.get(token, verifier.leeway) is not None  # answered without the keys
    provider.now = start + 60  # forgotten: checked against the cached set (not stale yet)
    assert remembered.get(token, verifier.leeway) is None
    assert verifier.verify(token).subject == "e-1" and provider.reads == 1
    provider.now = start + 300  # the set is stale, refetched: the dropped key refuses the token
    with pytest.raises(Unauthenticated, match="unknown"):
        verifier.verify(token)
    # Past its expiry (+ leeway) a token is not answered from memory: it goes to the full
    # check, which refuses an expired token (test_auth_tokens.py).
    short = TokenIssuer([new], ISS).mint("e-2", Kind.EMPLOYEE, lifetime=timedelta(minutes=1))
    assert verifier.verify(short).subject == "e-2"
    wall[0] += 60 + 29
    assert remembered.get(short, verifier.leeway) is not None  # within the leeway
    wall[0] += 2
    assert remembered.get(short, verifier.leeway) is None
    # At most max_entries remembered: the least recently verified goes first.
    a, b, c = (TokenIssuer([new], ISS).mint(f"e-{n}", Kind.EMPLOYEE) for n in (3, 4, 5))
    for t in (a, b, c):
        verifier.verify(t)
    assert remembered.get(a, verifier.leeway) is None
    assert remembered.get(c, verifier.leeway) is not None


async def test_the_async_lookup_fetches_off_the_loop() -> None:
    issuer = TokenIssuer([generate_signing_key()], ISS)
    provider = Provider(issuer)
    verifier = TokenVerifier(provider.source(), [ISS])
    principal = await verifier.verify_async(issuer.mint("e-1", Kind.EMPLOYEE))
    assert principal.subject == "e-1" and provider.reads == 1


async def test_callers_arriving_during_the_first_fetch_wait_for_it() -> None:
    """The first fetch marks its attempt before it reads: callers arriving meanwhile must not
    be told the keys cannot be fetched (they were, a moment later)."""
    import asyncio

    issuer = TokenIssuer([generate_signing_key()], ISS)
    provider = Provider(issuer)

    def slow_fetch() -> dict[str, Any]:
        time.sleep(0.3)
        return provider.fetch()

    source = JwksSource(slow_fetch, monotonic=lambda: provider.now)
    kid = issuer.keys[0].kid
    keys = await asyncio.gather(*(source.key_async(kid) for _ in range(5)))
    assert all(k is not None for k in keys)
    assert provider.reads == 1


def test_a_file_source_and_locations(tmp_path: Path) -> None:
    issuer = TokenIssuer([generate_signing_key()], ISS)
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(issuer.jwks()))
    for location in (str(path), f"file://{path}"):
        source = JwksSource.at(location)
        assert TokenVerifier(source, [ISS]).verify(issuer.mint("e-1", Kind.EMPLOYEE))
        assert source.location == str(path)
    with pytest.raises(JwksError, match="no such file"):
        JwksSource.at(str(tmp_path / "missing.json"))
    with pytest.raises(JwksError, match="https only"):
        JwksSource.at("http://keys.test/jwks")
    with pytest.raises(JwksError, match="https:// URL or a file path"):
        JwksSource.at("ftp://keys.test/jwks")
    assert JwksSource.at("http://keys.test/jwks", allow_http=True).location.startswith("http:")
    assert JwksSource.at("https://keys.test/jwks").location == "https://keys.test/jwks"


async def test_several_locations_are_one_set_and_one_outage_does_not_stop_the_others(
    tmp_path: Path,
) -> None:
    users, services = (TokenIssuer([generate_signing_key()], ISS) for _ in range(2))
    files = []
    for name, issuer in (("users", users), ("services", services)):
        files.append(tmp_path / f"{name}.json")
        files[-1].write_text(json.dumps(issuer.jwks()))
    source = JwksSource.at(f"{files[0]}, {files[1]}")
    assert isinstance(source, JwksSources) and source.location == f"{files[0]},{files[1]}"
    verifier = TokenVerifier(source, [ISS])
    for issuer in (users, services):
        assert verifier.verify(issuer.mint("e-1", Kind.EMPLOYEE)).subject == "e-1"
        assert (await verifier.verify_async(issuer.mint("e-2", Kind.EMPLOYEE))).subject == "e-2"
    # The provider is out (nothing listens on the URL's port): the file's keys still verify;
    # a kid in neither is UNAVAILABLE, since it may be the provider's.
    out = JwksSource.at(f"http://127.0.0.1:{closed_port()}/certs,{files[1]}", allow_http=True)
    assert TokenVerifier(out, [ISS]).verify(services.mint("e-3", Kind.EMPLOYEE))
    with pytest.raises(Unavailable):
        TokenVerifier(out, [ISS]).verify(users.mint("e-3", Kind.EMPLOYEE))
    with pytest.raises(JwksError, match="no JWKS location"):
        JwksSource.at(" , ")


def test_a_location_bound_to_an_issuer_verifies_that_issuers_tokens_only(tmp_path: Path) -> None:
    """Orders' key is trusted for orders' tokens: it cannot sign one in the provider's name."""
    provider = TokenIssuer([generate_signing_key()], "https://idp.test")
    orders = TokenIssuer([generate_signing_key()], "fieldline-orders")
    forged = TokenIssuer(orders.keys, "https://idp.test")  # orders' key, the provider's name
    paths = []
    for name, issuer in (("idp", provider), ("orders", orders)):
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(issuer.jwks()))
    source = JwksSource.at(f"{paths[0]},{paths[1]}#iss=fieldline-orders")
    assert isinstance(source, JwksSources) and source.bound_issuers == {"fieldline-orders"}
    verifier = TokenVerifier(source, ["https://idp.test", "fieldline-orders"])
    assert verifier.verify(provider.mint("e-1", Kind.EMPLOYEE)).subject == "e-1"
    assert verifier.verify(orders.mint("svc:orders", Kind.SERVICE)).subject == "svc:orders"
    with pytest.raises(Unauthenticated, match="not the one its key signs for"):
        verifier.verify(forged.mint("e-1", Kind.EMPLOYEE, roles=["ADMIN"]))
    # Unbound, the same set would take the forgery: the binding is what refuses it.
    loose = TokenVerifier(JwksSource.at(f"{paths[0]},{paths[1]}"), verifier.issuers)
    assert loose.verify(forged.mint("e-1", Kind.EMPLOYEE)).subject == "e-1"
    with pytest.raises(ValueError, match="not accepted"):
        TokenVerifier(source, ["https://idp.test"])
    with pytest.raises(JwksError, match="names no issuer"):
        JwksSource.at(f"{paths[1]}#iss=")


def test_only_ed25519_and_p256_signing_keys_are_taken() -> None:
    ed, p256 = generate_signing_key(EDDSA), generate_signing_key(ES256)
    rsa = {"kty": "RSA", "kid": "r", "n": "AQAB", "e": "AQAB", "alg": "RS256"}
    enc = {**ed.jwk, "kid": "enc", "use": "enc"}
    lying = {**p256.jwk, "kid": "lying", "alg": "EdDSA"}
    no_kid = {k: v for k, v in ed.jwk.items() if k != "kid"}
    secret = {"kty": "oct", "kid": "hs", "k": "c2VjcmV0"}
    keys = parse_jwks({"keys": [rsa, enc, lying, no_kid, secret, ed.jwk, p256.jwk]})
    assert sorted(keys) == sorted([ed.kid, p256.kid])
    assert keys[ed.kid].algorithm_name == EDDSA and keys[p256.kid].algorithm_name == ES256
    for bad in ({}, {"keys": "x"}, {"keys": [rsa]}):
        with pytest.raises(JwksError):
            parse_jwks(bad)
    with pytest.raises(JwksError):
        JwksSource.of({"keys": []})
