"""The services of the system, as the local runner and the e2e tests start them.

The chart (deploy/helm/fieldline) starts the same modules with the same env vars.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceDef:
    name: str  # e.g. "clients"; env prefix is name.upper() with '-' → '_'
    default_grpc_port: int
    has_database: bool = True
    # Services whose gRPC address this one needs, passed as <PREFIX>_<DEP>_TARGET.
    depends_on: tuple[str, ...] = ()

    @property
    def module(self) -> str:
        return "fieldline_" + self.name.replace("-", "_")

    @property
    def env_prefix(self) -> str:
        return self.name.upper().replace("-", "_")


# Add a service here when its package exists under services/, after those it depends on.
SERVICES: tuple[ServiceDef, ...] = (
    ServiceDef("clients", 50051),
    ServiceDef("settlements", 50053),
    ServiceDef("orders", 50052, depends_on=("settlements",)),
)
