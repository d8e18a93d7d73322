"""The database of a bulk load (entrypoints/bulk_load.py): units of work on an engine of its
own, whether the database may be loaded, the rows it holds after, and ANALYZE at the end.

A load seeds what only the clients feed, SetClientPriceType and the submission of orders would
otherwise write; a catalog may be there already (loaded over the API). So "empty" means: no
row in any of `SEEDED`. Its units of work publish nothing: the catalog upserts it runs record
their events as over the API, and `announces_nothing` maps each to no integration event, so
no outbox row is written (a consumer builds its copy by listing, not from a load's events).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from sqlalchemy import func, select

from fieldline_kit.db import analyze, create_engine, dispose, session_factory
from fieldline_kit.uow import IntegrationEvent
from fieldline_orders.adapters import orm, orm_feed
from fieldline_orders.adapters.repository import OrdersUnitOfWork

SEEDED = (
    orm_feed.feed_clients,
    orm_feed.feed_outlets,
    orm_feed.feed_territories,
    orm_feed.feed_assignments,
    orm_feed.feed_outlet_audits,
    orm_feed.feed_shelf_counts,
    orm.client_price_types,
    orm.orders,
    orm.order_lines,
    orm.order_status_history,
)
# The rows reported after a load.
COUNTED = (orm.products, *SEEDED)


def announces_nothing(event: object) -> Iterable[IntegrationEvent]:
    """The event mapper of a bulk load: no domain event becomes an integration event."""
    return ()


class BulkDatabase:
    def __init__(self, database_url: str) -> None:
        self.engine = create_engine(database_url)
        sessions = session_factory(self.engine)
        self.uow = functools.partial(OrdersUnitOfWork, sessions, orm.kit, announces_nothing)

    async def seeded(self) -> list[str]:
        """The tables of `SEEDED` that hold a row (one statement)."""
        probe = select(*(select(t).exists().label(t.name) for t in SEEDED))
        async with self.engine.connect() as conn:
            found = (await conn.execute(probe)).one()
        return [t.name for t, held in zip(SEEDED, found, strict=True) if held]

    async def counts(self) -> dict[str, int]:
        """Rows per table of `COUNTED` (one statement)."""
        counts = select(
            *(select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in COUNTED)
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(counts)).one()
        return {t.name: int(n) for t, n in zip(COUNTED, row, strict=True)}

    async def analyze(self) -> None:
        """Fresh planner statistics for the tables a load fills (`fieldline_kit.db.analyze`)."""
        async with self.engine.begin() as conn:
            await analyze(conn, COUNTED)

    async def close(self) -> None:
        await dispose(self.engine)
