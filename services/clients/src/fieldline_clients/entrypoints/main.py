"""The clients service, declared once: `serve` runs gRPC, the outbox relay, the visit plan
cache's stream follower and the route agents roll-over (entrypoints/route_agents_rollover.py);
`migrate` upgrades the database; `bulk-load` seeds an empty one.
Every RPC is under `POLICY` (entrypoints/policy.py), enforced when CLIENTS_AUTH_JWKS is set,
for employees as their record stands now (adapters/directory.py); the follower and the bulk
load are not gRPC and need no token."""

from __future__ import annotations

from pathlib import Path

from nats.aio.client import Client

from fieldline_clients import settings
from fieldline_clients.adapters.directory import employee_directory
from fieldline_clients.bootstrap import SERVICE, App, bootstrap
from fieldline_clients.entrypoints import bulk_load
from fieldline_clients.entrypoints.grpc_api import register
from fieldline_clients.entrypoints.policy import POLICY
from fieldline_clients.entrypoints.route_agents_rollover import route_agents_rollover
from fieldline_clients.topology import STREAM, SUBJECT_PREFIX
from fieldline_kit.bulk import bulk_command
from fieldline_kit.messaging.follower import StreamFollower
from fieldline_kit.service import Background, ServiceSpec

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def readers(app: App, nc: Client) -> list[Background]:
    """The plan cache's follower, and the route agents roll-over (it reads the clock)."""
    return [*plan_cache_follower(app, nc), *route_agents_rollover(app)]


def plan_cache_follower(app: App, nc: Client) -> list[Background]:
    if not app.plan_cache.enabled:
        return []
    # Other replicas' writes reach this replica's visit plan cache through the stream. The
    # cache is bypassed until the follower is following, and again whenever it loses track.
    follower = StreamFollower(
        nc,
        STREAM.name,
        f"{SUBJECT_PREFIX}.>",
        app.plan_cache.apply_envelope,
        name=f"{SERVICE}-plan-cache",
        on_following=app.plan_cache.resume,
        on_lost=app.plan_cache.suspend,
    )
    return [follower.run]


SPEC = ServiceSpec(
    name=SERVICE,
    settings=settings.ClientsSettings,
    prefix=settings.PREFIX,
    migrations=MIGRATIONS,
    bootstrap=bootstrap,
    servicers=register,
    readers=readers,
    validate=settings.validate,
    commands={
        "bulk-load": bulk_command(
            SERVICE, bulk_load.bulk_load, bulk_load.STEPS, migrations=MIGRATIONS
        )
    },
    policy=POLICY,
    directory=employee_directory,
)
main = SPEC.main
