"""Signing keys (PEM files) and their public JWKs, named by their RFC 7638 thumbprint.

Ed25519 (`EdDSA`) is preferred, P-256 (`ES256`) accepted; nothing else (no RSA, no HMAC).
A `SigningKey` never prints its private half: its repr shows the kid, the algorithm and the
file it came from.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

EDDSA = "EdDSA"
ES256 = "ES256"
ALGORITHMS = (EDDSA, ES256)

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey

# The members RFC 7638 hashes, per key type (in the JSON they are sorted by name).
_THUMBPRINT_MEMBERS = {"OKP": ("crv", "kty", "x"), "EC": ("crv", "kty", "x", "y")}


class InvalidKey(ValueError):
    """A key file or a JWK that is not an Ed25519 or P-256 key."""


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: base64url(SHA-256(the required members, sorted, no whitespace))."""
    members = _THUMBPRINT_MEMBERS.get(jwk.get("kty", ""))
    if members is None:
        raise InvalidKey(f"no thumbprint for key type {jwk.get('kty')!r}")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def algorithm_of(key: PrivateKey | PublicKey) -> str:
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return EDDSA
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        if isinstance(key.curve, ec.SECP256R1):
            return ES256
        raise InvalidKey(f"EC keys must be on P-256, not {key.curve.name}")
    raise InvalidKey(f"{type(key).__name__}: only Ed25519 and P-256 keys are accepted")


def public_jwk(key: PublicKey) -> dict[str, str]:
    """The public JWK of `key` with `kid` (its thumbprint), `alg` and `use: sig`."""
    alg = algorithm_of(key)
    if isinstance(key, ed25519.Ed25519PublicKey):
        jwk: dict[str, Any] = OKPAlgorithm.to_jwk(key, as_dict=True)
    else:
        jwk = ECAlgorithm.to_jwk(key, as_dict=True)
    core = {m: jwk[m] for m in _THUMBPRINT_MEMBERS[jwk["kty"]]}
    return {**core, "kid": thumbprint(core), "alg": alg, "use": "sig"}


@dataclass(frozen=True)
class SigningKey:
    private_key: PrivateKey = field(repr=False)
    source: str = ""  # where it came from (a path; fine to log)

    @cached_property
    def algorithm(self) -> str:
        return algorithm_of(self.private_key)

    @cached_property
    def jwk(self) -> dict[str, str]:
        return public_jwk(self.private_key.public_key())

    @property
    def kid(self) -> str:
        return self.jwk["kid"]

    def __str__(self) -> str:
        return f"{self.algorithm} key {self.kid} ({self.source or 'in memory'})"


def signing_key_from_pem(pem: bytes, source: str = "") -> SigningKey:
    """An unencrypted PKCS#8 (or SEC1 EC) private key in PEM."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise InvalidKey(f"{source or 'key'}: not an unencrypted PEM private key") from exc
    if not isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
        raise InvalidKey(f"{source or 'key'}: only Ed25519 and P-256 keys are accepted")
    algorithm_of(key)  # refuses other curves
    return SigningKey(key, source)


def load_signing_keys(paths: Iterable[str | Path]) -> list[SigningKey]:
    """The keys in these PEM files, in order (the first one signs)."""
    return [signing_key_from_pem(Path(p).read_bytes(), str(p)) for p in paths]


def generate_signing_key(algorithm: str = EDDSA) -> SigningKey:
    """A fresh key (tests, local development); production keys come from files."""
    if algorithm == EDDSA:
        return SigningKey(ed25519.Ed25519PrivateKey.generate(), "generated")
    if algorithm == ES256:
        return SigningKey(ec.generate_private_key(ec.SECP256R1()), "generated")
    raise InvalidKey(f"algorithm {algorithm!r}: use {EDDSA} or {ES256}")


def private_pem(key: SigningKey) -> bytes:
    """The key as unencrypted PKCS#8 PEM, for a file only its owner may read (a development
    key made locally); `signing_key_from_pem` reads it back."""
    return key.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def jwks_document(keys: Iterable[SigningKey]) -> dict[str, list[dict[str, str]]]:
    """The public JWKS of `keys`, as a provider publishes it."""
    return {"keys": [dict(k.jwk) for k in keys]}


def jwks_command(module: str) -> Callable[[list[str]], int]:
    """`python -m <module> jwks KEY.pem…`: print the public JWKS of the PEM private keys a
    service signs others' tokens with (the Secret the services that trust it mount)."""

    def command(args: list[str]) -> int:
        if not args:
            print(f"usage: python -m {module} jwks KEY.pem [KEY.pem…]")
            return 2
        print(json.dumps(jwks_document(load_signing_keys(args)), indent=2))
        return 0

    return command
