"""The settlements service, declared once: `serve` runs gRPC, the outbox relay, the orders
consumer, the clients feed consumer and the standings sweep; `migrate` upgrades the database.
Every RPC is under `POLICY` (entrypoints/policy.py), enforced when SETTLEMENTS_AUTH_JWKS is
set, an employee's token admitted as far as the clients feed's latest word on the employee
(`directory`)."""

from __future__ import annotations

from pathlib import Path

from fieldline_kit.auth.directory import EmployeeDirectory
from fieldline_kit.service import ServiceSpec
from fieldline_settlements import settings
from fieldline_settlements.bootstrap import SERVICE, App, bootstrap
from fieldline_settlements.entrypoints.clients_feed import build_clients_feed_consumer
from fieldline_settlements.entrypoints.grpc_api import register
from fieldline_settlements.entrypoints.orders_consumer import build_orders_consumer
from fieldline_settlements.entrypoints.policy import POLICY
from fieldline_settlements.entrypoints.standings_sweep import standings_sweep

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def employee_directory(app: App) -> EmployeeDirectory:
    """Employees as the clients feed last reported them (checked on every employee's call;
    the same one the credit checks' `actor_token`s go through)."""
    return app.directory


SPEC = ServiceSpec(
    name=SERVICE,
    settings=settings.SettlementsSettings,
    prefix=settings.PREFIX,
    migrations=MIGRATIONS,
    bootstrap=bootstrap,
    servicers=register,
    consumers=[build_orders_consumer, build_clients_feed_consumer],
    readers=standings_sweep,
    validate=settings.validate,
    policy=POLICY,
    directory=employee_directory,
)
main = SPEC.main
