"""Check that a service's Alembic migrations build exactly the schema its MetaData declares."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import JSON, Boolean, Column, Date, DateTime, Integer, MetaData

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


def placeholder(column: Column[Any], n: int, text: str) -> Any:
    """A value of the column's type for rows a migration test writes: `n` for integers, a
    fixed day for dates, `text` for strings (keys, references); None for numeric columns,
    whose values are what such a test is about."""
    kind = column.type
    if getattr(kind, "scale", None) is not None:
        return None
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer):
        return n
    if isinstance(kind, DateTime):
        return datetime(2026, 11, 30, tzinfo=UTC)
    if isinstance(kind, Date):
        return date(2026, 11, 30)
    if isinstance(kind, JSON):
        return {}
    return text
