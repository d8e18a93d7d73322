"""Tokens for the local system: a development signing key, made once per data directory.

`./fl up` and `./fl token` share it: `<data_dir>/auth/signing-key.pem` (Ed25519, PKCS#8 PEM,
mode 0600, made on first use; there is no built-in key) and the JWKS of its public half,
`<data_dir>/auth/jwks.json`, which the services that have an access policy get as
`<SVC>_AUTH_JWKS`, with `<SVC>_AUTH_ISSUERS=fieldline-local` (and the key itself as
`<SVC>_SERVICE_SIGNING_KEY`, for a service that signs its own service tokens). The key is
never printed or logged; a token only by `./fl token`, whose output it is.

A service that signs tokens for the services it calls under an issuer of its own (the device
gateway's device tokens, the exchange's partner tokens: `ServiceDef.issuer`) has a key
of its own beside it, made the same way: `<data_dir>/auth/<keys>-signing-key.pem` and its
JWKS `<keys>-jwks.json` (`token_keys`), `<keys>` naming what the tokens are for ("device",
"partner").
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

from fieldline_kit import roles
from fieldline_kit.auth.issuer import TokenIssuer
from fieldline_kit.auth.keys import (
    EDDSA,
    generate_signing_key,
    jwks_document,
    load_signing_keys,
    private_pem,
)
from fieldline_kit.auth.principal import Kind
from fieldline_kit.validation import role_name

LOCAL_ISSUER = "fieldline-local"
KEY_FILE = "signing-key.pem"
JWKS_FILE = "jwks.json"
# The device gateway's device tokens: a key of their own, bound to their issuer in the JWKS
# the services trust (`<SVC>_AUTH_JWKS=…,<device-jwks>#iss=fieldline-gateway`). Its
# ServiceDef's issuer and issuer_keys; named here for the suites that use the files.
GATEWAY_ISSUER = "fieldline-gateway"
DEVICE_KEYS = "device"
DEVICE_KEY_FILE = f"{DEVICE_KEYS}-{KEY_FILE}"  # device-signing-key.pem
DEVICE_JWKS_FILE = f"{DEVICE_KEYS}-{JWKS_FILE}"  # device-jwks.json
# What `./fl token` and the tools' own calls carry when no role is named.
ADMIN, SERVICE = roles.ADMIN, roles.SERVICE


def auth_dir(data_dir: Path) -> Path:
    return data_dir / "auth"


def jwks_path(data_dir: Path) -> Path:
    return auth_dir(data_dir) / JWKS_FILE


def signing_key_path(data_dir: Path) -> Path:
    return auth_dir(data_dir) / KEY_FILE


def token_key_path(data_dir: Path, keys: str) -> Path:
    """The key a service signs its own tokens with (`keys`: "device", "partner")."""
    return auth_dir(data_dir) / f"{keys}-{KEY_FILE}"


def token_jwks_path(data_dir: Path, keys: str) -> Path:
    """That key's JWKS (made with it, on first use: `token_keys`)."""
    return auth_dir(data_dir) / f"{keys}-{JWKS_FILE}"


def token_keys(data_dir: Path, keys: str) -> Path:
    """A service's own token key (made once, like the development key) and its JWKS written
    beside it; the key's path."""
    directory = auth_dir(data_dir)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_path = token_key_path(data_dir, keys)
    if not key_path.exists():
        _make_key(key_path)
    document = json.dumps(jwks_document(load_signing_keys([key_path])), indent=2)
    jwks = token_jwks_path(data_dir, keys)
    if not jwks.exists() or jwks.read_text() != document:
        tmp = jwks.with_suffix(".tmp")
        tmp.write_text(document)
        tmp.replace(jwks)
    return key_path


def device_key_path(data_dir: Path) -> Path:
    return token_key_path(data_dir, DEVICE_KEYS)


def device_jwks_path(data_dir: Path) -> Path:
    """The device-token key's JWKS (made with it, on first use: `device_keys`)."""
    return token_jwks_path(data_dir, DEVICE_KEYS)


def device_keys(data_dir: Path) -> Path:
    """The gateway's device-token key and its JWKS (`token_keys`); the key's path."""
    return token_keys(data_dir, DEVICE_KEYS)


def _make_key(path: Path) -> None:
    """A new Ed25519 key in `path`, created readable by its owner only (never replaced)."""
    pem = private_pem(generate_signing_key(EDDSA))
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # made meanwhile by another `./fl` command: that one it is
    with os.fdopen(fd, "wb") as f:
        f.write(pem)


def local_issuer(data_dir: Path) -> TokenIssuer:
    """The issuer of the local system at `data_dir`: its key made on first use, its JWKS
    (re)written next to it."""
    directory = auth_dir(data_dir)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_path = signing_key_path(data_dir)
    if not key_path.exists():
        _make_key(key_path)
    issuer = TokenIssuer(load_signing_keys([key_path]), LOCAL_ISSUER)
    jwks = jwks_path(data_dir)
    document = json.dumps(issuer.jwks(), indent=2)
    if not jwks.exists() or jwks.read_text() != document:
        tmp = jwks.with_suffix(".tmp")
        tmp.write_text(document)
        tmp.replace(jwks)
    return issuer


def employee_token(
    data_dir: Path, employee: str, roles: Iterable[str], lifetime: timedelta | None = None
) -> str:
    names = [role_name("role", r) for r in roles]
    return local_issuer(data_dir).mint(employee, Kind.EMPLOYEE, names, lifetime=lifetime)


def service_token(
    data_dir: Path, name: str, roles: Iterable[str] = (), lifetime: timedelta | None = None
) -> str:
    names = sorted({SERVICE, *(role_name("role", r) for r in roles)})
    return local_issuer(data_dir).mint(f"svc:{name}", Kind.SERVICE, names, lifetime=lifetime)
