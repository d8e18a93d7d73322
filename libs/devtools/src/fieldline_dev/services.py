"""The services of the system, as the local runner and the e2e tests start them.

The chart (deploy/helm/fieldline) starts the same modules with the same env vars.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceDef:
    name: str  # e.g. "clients"; env prefix is name.upper() with '-' → '_'
    default_grpc_port: int
    has_database: bool = True
    # Services whose gRPC address this one needs, passed as <PREFIX>_<DEP>_TARGET.
    depends_on: tuple[str, ...] = ()
    # An HTTP service (the device gateway, the exchange): its port, and its readiness is
    # `GET /readyz`; its gRPC port is only reserved (the metrics port is that + 1000, as for
    # the others).
    default_http_port: int = 0
    # Its Python package, where not fieldline_<name> (the device gateway's is fieldline_gateway).
    package: str = ""
    # Its environment variables' prefix, where not the name's (the gateway's is GATEWAY).
    prefix: str = ""
    # A service that signs tokens for the services it calls (the gateway's device tokens, the
    # exchange's partner tokens): their issuer (`iss`), and what they are for, which names its
    # key files in the local system's auth directory (fieldline_dev.tokens.token_keys: "device"
    # → device-signing-key.pem, device-jwks.json; default its name). It gets the key as
    # <PREFIX>_TOKEN_SIGNING_KEYS and the issuer as <PREFIX>_TOKEN_ISSUER; each service in its
    # depends_on trusts the key's JWKS bound to that issuer (`#iss=`), as the chart does.
    issuer: str = ""
    issuer_keys: str = ""
    # Whether the Helm chart (deploy/helm/fieldline) deploys it by default yet. A service built
    # before its part of the chart is (its values block disabled) says so here: the chart's
    # checks hold every built service but these to be enabled.
    in_chart: bool = True

    @property
    def module(self) -> str:
        return self.package or "fieldline_" + self.name.replace("-", "_")

    @property
    def env_prefix(self) -> str:
        return self.prefix or self.name.upper().replace("-", "_")

    @property
    def key_name(self) -> str:
        """What its token keys' files are named after (a token-signing service's)."""
        return self.issuer_keys or self.name


def access_policies(services: Iterable[ServiceDef]) -> dict[str, bool]:
    """Which services have an access policy (and so check tokens once given a JWKS): each one
    asked with `python -m <module> describe`, all at once (the dev tools import no service).
    One that cannot answer (it will not start either; starting it says why) has none."""
    asked = {
        d.name: subprocess.Popen(
            [sys.executable, "-m", d.module, "describe"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for d in services
    }
    found = {}
    for name, process in asked.items():
        out, _ = process.communicate(timeout=120)
        found[name] = process.returncode == 0 and bool(json.loads(out)["policy"])
    return found


# Add a service here when its package exists under services/, after those it depends on.
SERVICES: tuple[ServiceDef, ...] = (
    ServiceDef("clients", 50051),
    ServiceDef("settlements", 50053),
    ServiceDef("orders", 50052, depends_on=("settlements",)),
    ServiceDef(
        "device-gateway",
        50054,
        depends_on=("clients", "orders", "settlements"),
        default_http_port=8000,
        package="fieldline_gateway",
        prefix="GATEWAY",
        issuer="fieldline-gateway",
        issuer_keys="device",
    ),
    ServiceDef(
        "exchange",
        50055,
        depends_on=("clients", "orders", "settlements"),
        default_http_port=8100,
        issuer="fieldline-exchange",
        issuer_keys="partner",
    ),
)

# The services reached over gRPC (every one but the HTTP services: the device gateway, the
# exchange): the fault and replica suites and the image test run these.
GRPC_SERVICES: tuple[ServiceDef, ...] = tuple(d for d in SERVICES if not d.default_http_port)
