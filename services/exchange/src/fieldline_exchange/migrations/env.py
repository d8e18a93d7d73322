"""Alembic environment of the exchange service (version table: alembic_version_exchange)."""

from fieldline_exchange.adapters.schema import metadata
from fieldline_kit.migrations import run_env

VERSION_TABLE = "alembic_version_exchange"

run_env(metadata, VERSION_TABLE)
