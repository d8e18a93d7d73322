"""Alembic environment of the settlements service (version table: alembic_version_settlements)."""

from fieldline_kit.migrations import run_env
from fieldline_settlements.adapters.orm import metadata

VERSION_TABLE = "alembic_version_settlements"

run_env(metadata, VERSION_TABLE)
