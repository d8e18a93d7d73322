"""Promotions into the sync store, in the writer's transaction (docs/contexts/device-gateway.md,
*Promotions*): the territory tree, each promotion as last applied, and `project`, which turns
a promotion into its `promotions` objects and the tombstones of the scopes it left.

`project` runs inside a fan-out transaction (a `Change`'s derived step, after its graph steps:
an outlet's or a territory's row is already written when the promotions naming it are
projected again). Orders' version orders the promotion's events here — an older one than the
row's changes nothing —, since its objects' bodies also move with the gateway's own facts
(territories, outlets' clients), so the store compares their bodies only
(`projections.PARTLY_VERSIONED`). A promotion past its end (domain/window.py) is written under
no scope: its objects become tombstones, as the window sweep makes them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline.orders.v1 import resources_pb2 as opb
from fieldline_gateway.adapters.graph_store import GraphStore
from fieldline_gateway.adapters.projections import PROMOTIONS, Derived, Item, Removal, require
from fieldline_gateway.adapters.projections_promotions import promotion_items, promotion_key
from fieldline_gateway.adapters.promotions_tables import (
    graph_promotion_outlets,
    graph_promotions,
    graph_territories,
)
from fieldline_gateway.domain.membership import CATALOG, account_scope
from fieldline_gateway.domain.window import Dated, out_of_window
from fieldline_kit.grpc.convert import from_pb_date
from fieldline_kit.repository import put_if, upsert_if

_p = graph_promotions.c
_po = graph_promotion_outlets.c
_t = graph_territories.c


# ------------------------------------------------------------------------------ territories
async def put_territory(
    session: AsyncSession, territory_id: str, parent_id: str, version: int
) -> bool:
    values = {"territory_id": territory_id, "parent_id": parent_id, "version": version}
    return await put_if(session, graph_territories, values)


async def territory_parents(session: AsyncSession) -> dict[str, str]:
    """The whole tree: territory → parent ("" for a root)."""
    return {str(t): str(p) for t, p in await session.execute(select(_t.territory_id, _t.parent_id))}


# ------------------------------------------------------------------------------ promotions
def _written_scopes(row: Any) -> set[str]:
    scopes = {account_scope(c) for c in str(row.clients).split() if c}
    if row.catalog:
        scopes.add(CATALOG)
    return scopes


def _ended(promotion: opb.Promotion, today: date) -> bool:
    valid_to = from_pb_date("promotion.valid_to", promotion.valid_to, required=False)
    return out_of_window(PROMOTIONS, Dated(valid_to), today)


async def project(
    session: AsyncSession, promotion: opb.Promotion, *, version: int, today: date
) -> list[Item | Removal]:
    """The promotion's objects now (`projections_promotions.promotion_items`, none once it has
    ended) and the tombstones of the scopes it was written under before and is no longer;
    the row kept for the next time. Nothing for a version older than the row's; the same
    version is projected again (a territory or an outlet may have moved its body)."""
    promotion_id = require(promotion.id, "promotion.id")
    row = (
        await session.execute(select(graph_promotions).where(_p.promotion_id == promotion_id))
    ).first()
    if row is not None and row.version > version:
        return []
    targeting = promotion.targeting
    items: list[Item] = []
    if not _ended(promotion, today):
        items = promotion_items(
            promotion,
            version=version,
            outlet_clients=await GraphStore(session).clients_of(
                o for o in targeting.outlet_ids if o
            ),
            territory_parents=(await territory_parents(session) if targeting.territory_ids else {}),
        )
    scopes = {i.scope for i in items}
    before = _written_scopes(row) if row is not None else set()
    removals = [
        Removal(PROMOTIONS, promotion_key(promotion_id, s), s, version)
        for s in sorted(before - scopes)
    ]
    values = {
        "promotion_id": promotion_id,
        "version": version,
        "message": promotion.SerializeToString(deterministic=True),
        "territorial": bool(targeting.territory_ids),
        "catalog": CATALOG in scopes,
        "clients": " ".join(sorted(s.removeprefix("account:") for s in scopes if s != CATALOG)),
    }
    same_or_newer = upsert_if(
        session, graph_promotions, lambda stmt: _p.version <= stmt.excluded.version
    )
    await session.execute(same_or_newer.values(**values))
    await session.execute(delete(graph_promotion_outlets).where(_po.promotion_id == promotion_id))
    outlets = sorted({o for o in targeting.outlet_ids if o})
    if outlets:
        await session.execute(
            insert(graph_promotion_outlets),
            [{"outlet_id": o, "promotion_id": promotion_id} for o in outlets],
        )
    return [*items, *removals]


async def _project_again(session: AsyncSession, query: Any, today: date) -> list[Item | Removal]:
    out: list[Item | Removal] = []
    for row in (await session.execute(query)).all():
        promotion = opb.Promotion.FromString(row.message)
        out.extend(await project(session, promotion, version=row.version, today=today))
    return out


def promotion_changed(promotion: opb.Promotion, version: int, today: date) -> Derived:
    """`PromotionChanged` (or a listed promotion): its objects, versioned `version`."""

    async def step(session: AsyncSession) -> list[Item | Removal]:
        return await project(session, promotion, version=version, today=today)

    return step


def territories_moved(today: date) -> Derived:
    """A territory arrived: every promotion targeting territories is projected again (one of
    them may name its ancestor, and its expansion grows by it)."""
    query = select(_p.message, _p.version).where(_p.territorial.is_(True)).order_by(_p.promotion_id)

    async def step(session: AsyncSession) -> list[Item | Removal]:
        return await _project_again(session, query, today)

    return step


def outlet_moved(outlet_id: str, today: date) -> Derived:
    """An outlet arrived or changed (its client may be new): the promotions naming it are
    projected again."""
    query = (
        select(_p.message, _p.version)
        .join(graph_promotion_outlets, _po.promotion_id == _p.promotion_id)
        .where(_po.outlet_id == outlet_id)
        .order_by(_p.promotion_id)
    )

    async def step(session: AsyncSession) -> list[Item | Removal]:
        return await _project_again(session, query, today)

    return step
