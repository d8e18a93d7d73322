"""The orders service, declared once: `serve` runs gRPC (each RPC admitted by its rule in
`policy.py`, an employee as the clients feed last reported it), the outbox relay, the clients
feed consumer and the credit re-check; `migrate` upgrades the database; `bulk-load` seeds an
empty one; `service-jwks` prints the public JWKS of orders' service key."""

from __future__ import annotations

from pathlib import Path

from fieldline_kit.auth.directory import EmployeeDirectory
from fieldline_kit.auth.directory_table import table_directory
from fieldline_kit.bulk import bulk_command
from fieldline_kit.service import ServiceSpec
from fieldline_orders import settings
from fieldline_orders.adapters.orm_feed import feed_employees
from fieldline_orders.bootstrap import SERVICE, App, bootstrap
from fieldline_orders.entrypoints import bulk_load
from fieldline_orders.entrypoints.credit_recheck import credit_recheck
from fieldline_orders.entrypoints.feed_consumer import build_feed_consumer
from fieldline_orders.entrypoints.grpc_api import register
from fieldline_orders.entrypoints.policy import POLICY
from fieldline_orders.entrypoints.service_jwks import service_jwks

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def employee_directory(app: App) -> EmployeeDirectory:
    """Employees as the clients feed last reported them (checked on every employee's call)."""
    return table_directory(app.read_sessions, feed_employees)


SPEC = ServiceSpec(
    name=SERVICE,
    settings=settings.OrdersSettings,
    prefix=settings.PREFIX,
    migrations=MIGRATIONS,
    bootstrap=bootstrap,
    servicers=register,
    consumers=[build_feed_consumer],
    readers=credit_recheck,
    validate=settings.validate,
    commands={
        "bulk-load": bulk_command(
            SERVICE, bulk_load.bulk_load, bulk_load.STEPS, migrations=MIGRATIONS
        ),
        "service-jwks": service_jwks,
    },
    policy=POLICY,
    directory=employee_directory,
)
main = SPEC.main
