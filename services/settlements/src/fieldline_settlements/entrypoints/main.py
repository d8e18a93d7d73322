"""The settlements service, declared once: `serve` runs gRPC, the outbox relay and the orders
consumer; `migrate` upgrades the database. Every RPC is under `POLICY` (entrypoints/policy.py),
enforced when SETTLEMENTS_AUTH_JWKS is set."""

from __future__ import annotations

from pathlib import Path

from fieldline_kit.service import ServiceSpec
from fieldline_settlements import settings
from fieldline_settlements.bootstrap import SERVICE, bootstrap
from fieldline_settlements.entrypoints.grpc_api import register
from fieldline_settlements.entrypoints.orders_consumer import build_orders_consumer
from fieldline_settlements.entrypoints.policy import POLICY

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


SPEC = ServiceSpec(
    name=SERVICE,
    settings=settings.SettlementsSettings,
    prefix=settings.PREFIX,
    migrations=MIGRATIONS,
    bootstrap=bootstrap,
    servicers=register,
    consumers=[build_orders_consumer],
    validate=settings.validate,
    policy=POLICY,
)
main = SPEC.main
