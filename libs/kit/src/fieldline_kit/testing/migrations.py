"""Check that a service's Alembic migrations build exactly the schema its MetaData declares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from fieldline_kit.db import create_engine
from fieldline_kit.migrations import upgrade_async


async def migration_drift(
    url: str, script_location: Path, metadata: MetaData, version_table: str
) -> list[Any]:
    """Upgrade an empty database to head and list what still differs from `metadata`."""
    await upgrade_async(url, script_location)
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:

            def compare(sync_conn: Any) -> list[Any]:
                context = MigrationContext.configure(
                    sync_conn, opts={"compare_type": True, "version_table": version_table}
                )
                return list(compare_metadata(context, metadata))

            return await conn.run_sync(compare)
    finally:
        await engine.dispose()
