"""`python -m fieldline_orders service-jwks KEY.pem [KEY.pem …]`: the public JWKS of orders'
service keys (during a rotation: the new key and the old one, both trusted until the old
one's last token has expired).

What goes into the JWKS the other services trust (with ORDERS_SERVICE_TOKEN_ISSUER in their
`<SVC>_AUTH_ISSUERS`), so they accept the tokens orders signs with ORDERS_SERVICE_SIGNING_KEY
(adapters/service_identity.py). Prints the public half only.
"""

from __future__ import annotations

import argparse
import json

from fieldline_kit.auth.keys import InvalidKey, jwks_document, load_signing_keys


def service_jwks(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fieldline_orders service-jwks", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "keys", nargs="+", metavar="key", help="PEM files: ORDERS_SERVICE_SIGNING_KEY's, …"
    )
    args = parser.parse_args(argv)
    try:
        keys = load_signing_keys(args.keys)
    except (InvalidKey, OSError) as exc:
        parser.error(str(exc))
    print(json.dumps(jwks_document(keys), indent=2))
    return 0
