"""SQL of the gateway's upkeep jobs (service_layer/upkeep.py), beside the sync store's own
(`fanout_store.compact`, `advance_clock`, `tombstone`, which the jobs call as they are).

* **Compaction in chunks**: `tombstone_seq` is the seq of the n-th oldest tombstone above the
  horizon (`ix_fanout_objects_tombstones`, a partial index on the tombstones' seq), so one
  `compact` deletes a bounded number of tombstones and holds the clock row briefly.
* **The window sweep**: `live_items` reads a section's live objects a page at a time by key (the
  primary key), `live_bodies` reads some of them again inside the sweep's write transaction, and
  `dated` reads from an item's body (or key) the day its window counts from, as the projections
  write it (adapters/projections_*.py).
* **Photos**: the uploads left unfinished since before a moment (`ix_photos_status_created_at`),
  and the conditional DELETE of one of them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

import msgspec
from sqlalchemy import delete, false, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline_gateway.adapters.fanout_tables import fanout_objects
from fieldline_gateway.adapters.photos_tables import photos
from fieldline_gateway.domain.photos import PhotoStatus
from fieldline_gateway.domain.window import (
    CALL_PLANS,
    CALLS,
    COLLECTIONS,
    CONTACT_SALES,
    ORDERS,
    PROMOTIONS,
    PROPOSALS,
    VISIT_PLANS,
    VISITS,
    Dated,
)
from fieldline_kit.db import utc

_objects = fanout_objects.c
_photos = photos.c

# ------------------------------------------------------------------ compaction


async def tombstone_seq(session: AsyncSession, *, after: int, nth: int) -> int | None:
    """The seq of the `nth` oldest tombstone with a seq above `after` (None: there are fewer):
    a bound for one chunk of compaction."""
    query = (
        select(_objects.seq)
        .where(_objects.deleted.is_(True), _objects.seq > after)
        .order_by(_objects.seq)
        .offset(nth - 1)
        .limit(1)
    )
    found = (await session.execute(query)).scalar_one_or_none()
    return None if found is None else int(found)


# ------------------------------------------------------------------ the window sweep


async def live_items(
    session: AsyncSession, section: str, *, after: str, limit: int
) -> list[tuple[str, bytes]]:
    """(key, body) of up to `limit` live objects of `section` with a key after `after`, by key."""
    query = (
        select(_objects.key, _objects.body)
        .where(_objects.section == section, _objects.key > after, _objects.deleted == false())
        .order_by(_objects.key)
        .limit(limit)
    )
    return [(str(row.key), bytes(row.body)) for row in await session.execute(query)]


async def live_bodies(
    session: AsyncSession, section: str, keys: Collection[str]
) -> dict[str, bytes]:
    """The bodies of those of `keys` that are live objects of `section` now."""
    if not keys:
        return {}
    query = select(_objects.key, _objects.body).where(
        _objects.section == section, _objects.key.in_(sorted(keys)), _objects.deleted == false()
    )
    return {str(row.key): bytes(row.body) for row in await session.execute(query)}


class _Order(msgspec.Struct, rename="camel"):
    status: str = ""
    order_date: str | None = None  # "2026-03-04"


class _OnDay(msgspec.Struct):
    date: str | None = None  # a visit's, a plan day's, a collection's, a contact's "2026-03-04"


class _Promotion(msgspec.Struct, rename="camel"):
    valid_to: str | None = None  # "2026-03-04"


class _Proposal(msgspec.Struct, rename="camel"):
    status: str = ""
    decide_time: str | None = None  # "2026-03-04T06:12:09.120Z"
    create_time: str | None = None


def dated(section: str, key: str, body: bytes, tz: tzinfo) -> Dated:
    """The day the item's window counts from, and its status, as the projections write them:
    an order's `orderDate` and `status`; a visit's, a collection's, a call's, a contact's
    `date`; a plan day's or call plan day's `date` (else the day its key `agentId/date` ends
    with); a proposal's `status` and the business day (in `tz`) of its `decideTime` (else
    `createTime`); a promotion's `validTo`. A body that does not read so gives no day (the
    item stays)."""
    try:
        if section == ORDERS:
            order = msgspec.json.decode(body, type=_Order)
            return Dated(_day(order.order_date), order.status)
        if section in (VISITS, COLLECTIONS, VISIT_PLANS, CALLS, CALL_PLANS, CONTACT_SALES):
            day = msgspec.json.decode(body, type=_OnDay).date
            if day is None and section in (VISIT_PLANS, CALL_PLANS):
                day = key.rpartition("/")[2]
            return Dated(_day(day))
        if section == PROPOSALS:
            proposal = msgspec.json.decode(body, type=_Proposal)
            moment = proposal.decide_time or proposal.create_time
            return Dated(_local_day(moment, tz), proposal.status)
        if section == PROMOTIONS:
            return Dated(_day(msgspec.json.decode(body, type=_Promotion).valid_to))
    except (msgspec.DecodeError, ValueError):
        return Dated(None)
    return Dated(None)


def _day(text: str | None) -> date | None:
    return None if not text else date.fromisoformat(text)


def _local_day(text: str | None, tz: tzinfo) -> date | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz).date()


# ------------------------------------------------------------------ photos


@dataclass(frozen=True)
class StaleUpload:
    """A photo upload left unfinished: where it stood when read."""

    photo_id: str
    offset: int
    created_at: datetime


async def stale_uploads(
    session: AsyncSession, before: datetime, *, after: StaleUpload | None, limit: int
) -> list[StaleUpload]:
    """Up to `limit` photos still uploading that were declared before `before`, oldest first,
    after `after` (None: from the oldest)."""
    query = select(_photos.photo_id, _photos.offset, _photos.created_at).where(
        _photos.status == PhotoStatus.UPLOADING.value, _photos.created_at < before
    )
    if after is not None:
        query = query.where(
            tuple_(_photos.created_at, _photos.photo_id) > tuple_(after.created_at, after.photo_id)
        )
    query = query.order_by(_photos.created_at, _photos.photo_id).limit(limit)
    return [
        StaleUpload(str(row.photo_id), int(row.offset), utc(row.created_at))
        for row in await session.execute(query)
    ]


async def drop_upload(session: AsyncSession, upload: StaleUpload, before: datetime) -> bool:
    """Delete the photo's row if it is still the unfinished upload read (uploading, at the same
    offset, declared before `before`); False when a chunk moved it meanwhile (or it completed,
    or it is gone)."""
    result = await session.execute(
        delete(photos).where(
            _photos.photo_id == upload.photo_id,
            _photos.status == PhotoStatus.UPLOADING.value,
            _photos.offset == upload.offset,
            _photos.created_at < before,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
