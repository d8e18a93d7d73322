"""Alembic environment of the orders service (version table: alembic_version_orders)."""

from fieldline_kit.migrations import run_env
from fieldline_orders.adapters.schema import metadata

VERSION_TABLE = "alembic_version_orders"

run_env(metadata, VERSION_TABLE)
