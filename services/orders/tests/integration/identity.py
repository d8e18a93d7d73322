"""Who calls in the orders tests, and orders' own service identity.

Callers are `Caller`s of the kit's harness (`running.stub(Stub, as_=caller)`); the harness's
default is an administrator. Orders signs its own service tokens (svc:orders) with a key of its
own, as in a deployment: `orders_overrides()` gives it the key (ORDERS_SERVICE_SIGNING_KEY),
`settlements_overrides()` makes settlements trust it — a JWKS holding the test issuer's keys
and orders', and orders' issuer among the accepted ones.
"""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from fieldline_kit.auth.keys import generate_signing_key, jwks_document, private_pem
from fieldline_kit.testing.auth import Caller, process_tokens
from fieldline_kit.testing.helpers import new_id

ORDERS_ISSUER = "fieldline-orders"  # ORDERS_SERVICE_TOKEN_ISSUER's default


def agent(employee_id: str = "") -> Caller:
    return Caller(employee_id or new_id(), {"AGENT"})


def van_seller(employee_id: str = "") -> Caller:
    return Caller(employee_id or new_id(), {"VAN_SELLER"})


def supervisor(employee_id: str = "") -> Caller:
    return Caller(employee_id or new_id(), {"SUPERVISOR"})


@functools.cache
def _orders_key() -> tuple[str, str]:
    """orders' key (a PEM file) and the JWKS settlements trusts (the test issuer's and it)."""
    key = generate_signing_key()
    directory = Path(tempfile.mkdtemp(prefix="orders-service-key-"))
    atexit.register(shutil.rmtree, directory, True)
    pem = directory / "orders-service.pem"
    pem.write_bytes(private_pem(key))
    pem.chmod(0o600)
    jwks = directory / "jwks.json"
    jwks.write_text(json.dumps(jwks_document([*process_tokens().issuer.keys, key])))
    return str(pem), str(jwks)


def orders_overrides() -> dict[str, Any]:
    return {"service_signing_key": _orders_key()[0]}


def settlements_overrides() -> dict[str, Any]:
    return {
        "auth_jwks": _orders_key()[1],
        "auth_issuers": (process_tokens().issuer_name, ORDERS_ISSUER),
    }
