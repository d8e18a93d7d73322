"""Alembic environment of the clients service (version table: alembic_version_clients)."""

from fieldline_clients.adapters.orm import metadata
from fieldline_kit.migrations import run_env

VERSION_TABLE = "alembic_version_clients"

run_env(metadata, VERSION_TABLE)
