"""Orders' own identity, for the calls it makes as itself: service tokens it signs.

Settlements admits `CheckCreditBatch` for services only (the checks of a batch are many
users', each carrying its user's token), and the credit re-check has no user at all. So orders
signs its own short-lived tokens — subject `svc:orders`, kind `service`, role SERVICE, `iss`
ORDERS_SERVICE_TOKEN_ISSUER, audience ORDERS_AUTH_AUDIENCE (the one all services share), 5
minutes, a new one a few minutes before the old one expires — with the key in
ORDERS_SERVICE_SIGNING_KEY (a PEM file from a Secret; there is no default key). For
settlements to accept them, the key's public half is in the JWKS it trusts and the issuer name
in SETTLEMENTS_AUTH_ISSUERS (`python -m fieldline_orders service-jwks` prints that JWKS). A
key in a JWKS the services trust can sign any token they accept, so this key is as sensitive
as the Fieldline issuer's; orders mints only its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fieldline_kit.auth.issuer import TokenIssuer
from fieldline_kit.auth.keys import load_signing_keys
from fieldline_kit.auth.principal import Kind
from fieldline_orders.domain.access import SERVICE

SUBJECT = "svc:orders"
LIFETIME = timedelta(minutes=5)


def service_issuer(key_file: str, issuer: str, audience: str) -> TokenIssuer | None:
    """The issuer of orders' service tokens; None without a key (no service identity)."""
    if not key_file:
        return None
    return TokenIssuer(load_signing_keys([key_file]), issuer, audience, lifetime=LIFETIME)


def service_token(issuer: TokenIssuer | None) -> Callable[[], str] | None:
    """Orders' service token whenever asked (minted again before it expires)."""
    if issuer is None:
        return None
    return issuer.source(SUBJECT, Kind.SERVICE, [SERVICE])
