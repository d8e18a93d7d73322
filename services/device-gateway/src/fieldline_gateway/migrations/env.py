"""Alembic environment of the device gateway (version table: alembic_version_gateway)."""

from fieldline_gateway.adapters.schema import metadata
from fieldline_kit.migrations import run_env

VERSION_TABLE = "alembic_version_gateway"

run_env(metadata, VERSION_TABLE)
