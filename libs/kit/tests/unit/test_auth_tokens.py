"""Tokens: keys and their kids, minting, and every check the verifier refuses a token for."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldline_kit.auth.issuer import TokenIssuer
from fieldline_kit.auth.jwks import JwksSource
from fieldline_kit.auth.keys import (
    EDDSA,
    ES256,
    InvalidKey,
    SigningKey,
    generate_signing_key,
    load_signing_keys,
    signing_key_from_pem,
    thumbprint,
)
from fieldline_kit.auth.principal import Kind
from fieldline_kit.auth.verify import TokenVerifier
from fieldline_kit.errors import Unauthenticated

ISS = "https://issuer.test"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(**overrides: Any) -> dict[str, Any]:
    """Valid claims; an override of None drops the claim, a timedelta is that long from now."""
    now = datetime.now(UTC)
    base: dict[str, Any] = {
        "iss": ISS,
        "aud": "fieldline",
        "sub": "e-1",
        "kind": "employee",
        "roles": ["agent"],
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=15),
        "jti": "j-1",
    }
    base.update(overrides)
    return {k: now + v if isinstance(v, timedelta) else v for k, v in base.items() if v is not None}


def sign(key: SigningKey, body: dict[str, Any], **headers: Any) -> str:
    return jwt.encode(
        body, key.private_key, algorithm=key.algorithm, headers={"kid": key.kid, **headers}
    )


def raw_token(header: dict[str, Any], body: dict[str, Any], signature: bytes = b"") -> str:
    parts = [b64(json.dumps(header).encode()), b64(json.dumps(body, default=str).encode())]
    return ".".join([*parts, b64(signature)])


@pytest.fixture(params=[EDDSA, ES256])
def key(request: pytest.FixtureRequest) -> SigningKey:
    return generate_signing_key(request.param)


@pytest.fixture
def verifier(key: SigningKey) -> TokenVerifier:
    issuer = TokenIssuer([key], ISS)
    return TokenVerifier(JwksSource.of(issuer.jwks()), [ISS, "https://other-issuer.test"])


def refused(verifier: TokenVerifier, token: str, match: str) -> None:
    with pytest.raises(Unauthenticated, match=match) as err:
        verifier.verify(token)
    assert token not in err.value.message or not token  # the token is never echoed


# -- keys --------------------------------------------------------------------------------------
def test_the_kid_is_the_rfc_7638_thumbprint() -> None:
    # RFC 8037 appendix A.3: the thumbprint of its example Ed25519 key.
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_keys_load_from_pem_files_and_never_print_their_secret(tmp_path: Any) -> None:
    ed = ed25519.Ed25519PrivateKey.generate()
    p256 = ec.generate_private_key(ec.SECP256R1())
    paths = []
    for name, k in [("ed.pem", ed), ("p256.pem", p256)]:
        pem = k.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        (tmp_path / name).write_bytes(pem)
        paths.append(tmp_path / name)
    keys = load_signing_keys(paths)
    assert [k.algorithm for k in keys] == [EDDSA, ES256]
    assert keys[0].jwk["kty"] == "OKP" and keys[1].jwk["crv"] == "P-256"
    assert keys[0].jwk["kid"] == keys[0].kid != keys[1].kid
    for k in keys:
        assert "d" not in k.jwk  # public half only
        shown = repr(k) + str(k)
        assert str(k.source) in shown and "PRIVATE" not in shown and "private_key" not in shown


@pytest.mark.parametrize(
    "make",
    [
        lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
        lambda: ec.generate_private_key(ec.SECP384R1()),
    ],
    ids=["rsa", "p384"],
)
def test_other_key_types_are_refused(make: Any) -> None:
    pem = make().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(InvalidKey):
        signing_key_from_pem(pem, "bad.pem")
    with pytest.raises(InvalidKey, match=r"not\.pem: not an unencrypted PEM"):
        signing_key_from_pem(b"not a key", "not.pem")


# -- the issuer --------------------------------------------------------------------------------
def test_an_issuer_has_no_default_key() -> None:
    with pytest.raises(ValueError, match="no default key"):
        TokenIssuer([], ISS)
    key = generate_signing_key()
    with pytest.raises(ValueError, match="twice"):
        TokenIssuer([key, key], ISS)


def test_a_minted_token_verifies_to_its_principal(key: SigningKey, verifier: TokenVerifier) -> None:
    issuer = TokenIssuer([key], ISS, lifetime=timedelta(minutes=15))
    token = issuer.mint("svc:orders", Kind.SERVICE, roles=["service", "reader"], act="e-7")
    assert jwt.get_unverified_header(token) == {"alg": key.algorithm, "kid": key.kid, "typ": "JWT"}
    p = verifier.verify(token)
    assert (p.kind, p.subject, p.roles, p.acting_for) == (
        "service",
        "svc:orders",
        frozenset({"service", "reader"}),
        "e-7",
    )
    assert p.token_id and len(p.token_id) == 32
    assert p.expires_at is not None
    assert abs(p.expires_at - (datetime.now(UTC) + timedelta(minutes=15))) < timedelta(seconds=5)
    assert verifier.verify(issuer.mint("e-1", Kind.EMPLOYEE)).roles == frozenset()
    with pytest.raises(ValueError, match="kind"):
        issuer.mint("x", "robot")


def test_rotation_signs_with_the_first_key_and_publishes_both() -> None:
    old, new = generate_signing_key(EDDSA), generate_signing_key(ES256)
    before = TokenIssuer([old], ISS)
    during = TokenIssuer([new, old], ISS)
    assert [k["kid"] for k in during.jwks()["keys"]] == [new.kid, old.kid]
    verifier = TokenVerifier(JwksSource.of(during.jwks()), [ISS])
    assert verifier.verify(before.mint("e-1", Kind.EMPLOYEE)).subject == "e-1"
    token = during.mint("e-2", Kind.EMPLOYEE)
    assert jwt.get_unverified_header(token)["kid"] == new.kid
    assert verifier.verify(token).subject == "e-2"
    after = TokenVerifier(JwksSource.of(TokenIssuer([new], ISS).jwks()), [ISS])
    refused(after, before.mint("e-1", Kind.EMPLOYEE), "token key .* is unknown")
    assert after.verify(token).subject == "e-2"


# -- the verifier's refusals -------------------------------------------------------------------
@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "x.y", "...."])
def test_a_missing_or_malformed_token_is_refused(verifier: TokenVerifier, token: str) -> None:
    refused(verifier, token, "no token|malformed token")


def test_alg_none_is_refused(key: SigningKey, verifier: TokenVerifier) -> None:
    token = raw_token({"alg": "none", "kid": key.kid}, claims(), b"")
    refused(verifier, token, "algorithm 'none' is not accepted")


def test_hs256_signed_with_the_public_key_is_refused(
    key: SigningKey, verifier: TokenVerifier
) -> None:
    public = key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for secret in (public, key.jwk["x"].encode(), json.dumps(key.jwk).encode()):
        header = {"alg": "HS256", "kid": key.kid, "typ": "JWT"}
        unsigned = raw_token(header, claims()).rsplit(".", 1)[0]
        mac = hmac.new(secret, unsigned.encode(), hashlib.sha256).digest()
        refused(verifier, f"{unsigned}.{b64(mac)}", "algorithm 'HS256' is not accepted")


def test_an_alg_other_than_the_keys_is_refused(key: SigningKey, verifier: TokenVerifier) -> None:
    other = generate_signing_key(ES256 if key.algorithm == EDDSA else EDDSA)
    body = claims()
    token = jwt.encode(body, other.private_key, algorithm=other.algorithm, headers={"kid": key.kid})
    refused(verifier, token, "algorithm does not match its key")


def test_no_kid_or_an_unknown_kid_is_refused(key: SigningKey, verifier: TokenVerifier) -> None:
    token = jwt.encode(claims(), key.private_key, algorithm=key.algorithm)
    refused(verifier, token, r"names no key \(kid\)")
    stranger = generate_signing_key(key.algorithm)
    refused(verifier, sign(stranger, claims()), "token key .* is unknown")


def test_a_bad_signature_is_refused(key: SigningKey, verifier: TokenVerifier) -> None:
    forger = generate_signing_key(key.algorithm)
    body = claims()
    forged = jwt.encode(body, forger.private_key, algorithm=key.algorithm, headers={"kid": key.kid})
    refused(verifier, forged, "signature is invalid")
    head, payload, _ = sign(key, body).split(".")
    other_payload = sign(key, claims(roles=["admin"])).split(".")[1]
    refused(verifier, f"{head}.{other_payload}.{forged.split('.')[2]}", "signature is invalid")
    assert payload != other_payload


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"iss": "https://evil.test"}, "issuer is not accepted"),
        ({"iss": None}, "no 'iss' claim"),
        ({"aud": "someone-else"}, "audience is not 'fieldline'"),
        ({"aud": None}, "no 'aud' claim"),
        ({"exp": -timedelta(seconds=60)}, "token expired"),
        ({"nbf": timedelta(seconds=60)}, r"not valid yet \(nbf in the future\)"),
        ({"iat": timedelta(seconds=60)}, r"not valid yet \(iat in the future\)"),
        ({"sub": None}, "no 'sub' claim"),
        ({"kind": None}, "no 'kind' claim"),
        ({"kind": "robot"}, "kind 'robot' is not one of"),
        ({"exp": None}, "no 'exp' claim"),
        ({"roles": "admin"}, "'roles' is not a list"),
        ({"act": "e-2"}, "'act' is not an object"),
    ],
)
def test_claims_that_fail_a_check_are_refused(
    key: SigningKey, verifier: TokenVerifier, overrides: dict[str, Any], match: str
) -> None:
    refused(verifier, sign(key, claims(**overrides)), match)


def test_the_leeway_is_thirty_seconds(key: SigningKey, verifier: TokenVerifier) -> None:
    just_expired = claims(exp=-timedelta(seconds=10))
    early = claims(nbf=timedelta(seconds=10), iat=timedelta(seconds=10))
    assert verifier.verify(sign(key, just_expired)).subject == "e-1"
    assert verifier.verify(sign(key, early)).subject == "e-1"


def test_an_expired_token_from_the_issuer_is_refused(
    key: SigningKey, verifier: TokenVerifier
) -> None:
    an_hour_ago = TokenIssuer([key], ISS, clock=lambda: datetime.now(UTC) - timedelta(hours=1))
    refused(verifier, an_hour_ago.mint("e-1", Kind.EMPLOYEE), "token expired")
    refused(
        verifier,
        TokenIssuer([key], ISS).mint("e-1", Kind.EMPLOYEE, lifetime=-timedelta(minutes=1)),
        "expired",
    )


def test_a_verifier_needs_issuers() -> None:
    jwks = JwksSource.of(TokenIssuer([generate_signing_key()], ISS).jwks())
    with pytest.raises(ValueError, match="issuers"):
        TokenVerifier(jwks, [])


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        st.lists(
            st.text("abcdefghijklmnopqrstuvwxyzABC0123456789-_", max_size=60),
            min_size=3,
            max_size=3,
        ).map(".".join),
    )
)
def test_garbage_is_always_unauthenticated(token: str) -> None:
    jwks = JwksSource.of(TokenIssuer([_GARBAGE_KEY], ISS).jwks())
    with pytest.raises(Unauthenticated):
        TokenVerifier(jwks, [ISS]).verify(token)


_GARBAGE_KEY = generate_signing_key()


def test_a_device_token_names_its_device(key: SigningKey, verifier: TokenVerifier) -> None:
    issuer = TokenIssuer([key], ISS)
    token = issuer.mint("e-1", Kind.EMPLOYEE, ["AGENT"], device="d-1")
    assert verifier.verify(token).device_id == "d-1"
    assert verifier.verify(issuer.mint("e-1", Kind.EMPLOYEE, ["AGENT"])).device_id is None
