"""Sync: one page of an employee's full bundle or delta, as the JSON the device receives
(docs/sync-protocol.md, *Sync*; the model: docs/contexts/device-gateway.md, *The delta query*,
*Paging*, *Compaction, retention, resync*).

    no cursor                          full
    cursor of another epoch            full, reset, resyncReason store-rebuilt
    cursor below the horizon           full, reset, resyncReason cursor-expired
    cursor above the clock             full, reset, resyncReason cursor-ahead
    cursor below the device's horizon  full, reset, resyncReason access-changed
    cursor the store can serve         delta from it
    page token                         the next page of the same sync (same high)

The device's own horizon (`devices.resync_below`, NULL for most) marks a device whose cursors
may lack items once withheld from its employee and now sent (a cursor does not record what
was withheld from it: migration 0004 marks telesellers' devices). The first page of any full
answer lowers it to that answer's high (`SyncPage.lower_resync_below`, recorded by the caller),
so the cursor the answer ends with is served deltas again: the full sync happens once, and an
interrupted one (the device keeps its old cursor) is answered in full again. A delta's page
token from below the mark is expired.

Each page is read in one read transaction of the store, which decides and reads in the same
snapshot. The answer is built from the stored item bytes as they are.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

import msgspec

from fieldline_gateway.adapters.fanout_store import (
    PROTOCOL_LIMITS,
    ClockState,
    PageLimits,
    ReadSessions,
    StorePage,
    SyncStore,
)
from fieldline_gateway.adapters.identity_store import IdentityStore
from fieldline_gateway.adapters.shared_scopes import SharedScopes
from fieldline_gateway.domain.cursor import (
    Cursor,
    Mode,
    PageToken,
    decode_cursor,
    decode_page_token,
)
from fieldline_gateway.domain.problems import Problem

PAGE_TOKEN_TTL = timedelta(minutes=60)  # GATEWAY_PAGE_TOKEN_MINUTES
# Retry-After of `sync-unavailable` while the store has no clock (not built yet).
UNAVAILABLE_RETRY_SECONDS = 30.0
# Retry-After of `sync-busy` (every sync slot taken for GATEWAY_SYNC_WAIT_SECONDS).
BUSY_RETRY_SECONDS = 5.0


class ResyncReason(StrEnum):
    CURSOR_EXPIRED = "cursor-expired"
    STORE_REBUILT = "store-rebuilt"
    CURSOR_AHEAD = "cursor-ahead"
    ACCESS_CHANGED = "access-changed"


@dataclass(frozen=True)
class SyncPage:
    """One answer of `GET /v1/sync`: `body` is the JSON to send; the rest describes it (for
    the device's record and the metrics)."""

    body: bytes
    mode: Mode
    reset: bool
    resync_reason: str  # "" unless reset
    first: bool  # the first page of its sync
    items: int
    next_page_token: str | None
    next_cursor: str | None
    # The first page of a full answer to a device whose own horizon is above its high: the
    # horizon to lower to (`Identity.resynced`); None: nothing to record.
    lower_resync_below: int | None = None


@dataclass(frozen=True)
class _Plan:
    mode: Mode
    c: int
    high: int
    reason: str


class SyncSlots:
    """The syncs served at once (as many as their pool has connections): a sync waits up to
    `wait_seconds` for a slot, then is refused with `sync-busy` and a Retry-After, rather than
    queue for the pool's timeout while the device gives up."""

    def __init__(self, slots: int, wait_seconds: float) -> None:
        self._free = asyncio.Semaphore(slots)
        self.wait_seconds = wait_seconds

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        try:
            await asyncio.wait_for(self._free.acquire(), self.wait_seconds)
        except TimeoutError:
            raise Problem(
                "sync-busy",
                "the server is serving many syncs: try again shortly",
                retry_after=BUSY_RETRY_SECONDS,
            ) from None
        try:
            yield
        finally:
            self._free.release()


async def sync_page(
    read_sessions: ReadSessions,
    employee_id: str,
    cursor: str | None,
    page_token: str | None,
    *,
    key: bytes,
    now: datetime,
    business_date: date,
    protocol_minor: int = 0,
    page_token_ttl: timedelta = PAGE_TOKEN_TTL,
    limits: PageLimits = PROTOCOL_LIMITS,
    exclude_sections: Collection[str] = (),
    shared: SharedScopes | None = None,
    device_id: str | None = None,
) -> SyncPage:
    """The page of `employee_id`'s sync that `cursor` and `page_token` ask for. `key` signs
    and checks page tokens (the same on every replica); `protocol_minor` is the minor the
    answer is in, `exclude_sections` the sections newer than it. Refusals: `invalid-cursor`,
    `invalid-request` (a page token that is not the server's, or a cursor not matching it),
    `page-token-expired`, `sync-unavailable`. `shared` is the replica's cache of the shared
    scopes' entries. `device_id`: the device asking, whose own horizon is read in the page's
    snapshot (None: none is)."""
    token = (
        decode_page_token(page_token, key, employee_id=employee_id, now=now, max_age=page_token_ttl)
        if page_token
        else None
    )
    given = decode_cursor(cursor) if cursor and token is None else None
    if token is not None and token.mode is Mode.DELTA:
        _check_same_cursor(cursor, token)
    async with SyncStore(read_sessions, shared).snapshot() as snap:
        clock = await snap.clock()
        if clock is None:
            raise Problem(
                "sync-unavailable",
                "the sync store is being built",
                retry_after=UNAVAILABLE_RETRY_SECONDS,
            )
        device_horizon = (
            await IdentityStore(snap.session).resync_below(device_id) if device_id else None
        )
        plan = (
            _continue(token, clock, device_horizon)
            if token is not None
            else _start(given, clock, device_horizon)
        )
        after = token.after if token is not None else None
        if plan.mode is Mode.DELTA:
            page = await snap.delta(employee_id, plan.c, plan.high, limits, after, exclude_sections)
        else:
            page = await snap.full(employee_id, plan.high, limits, after, exclude_sections)
    next_token = None
    if page.next is not None:
        next_token = PageToken(
            employee_id=employee_id,
            epoch=clock.epoch,
            mode=plan.mode,
            c=plan.c,
            high=plan.high,
            minor=protocol_minor,
            after=page.next,
            created_at=now,
            reason=plan.reason,
        ).encode(key)
    next_cursor = (
        Cursor(epoch=clock.epoch, seq=plan.high, minor=protocol_minor).encode()
        if next_token is None
        else None
    )
    first = token is None
    body = _answer(
        plan,
        page,
        first=first,
        protocol=f"1.{protocol_minor}",
        now=now,
        business_date=business_date,
        next_page_token=next_token,
        next_cursor=next_cursor,
    )
    return SyncPage(
        body=body,
        mode=plan.mode,
        reset=bool(plan.reason),
        resync_reason=plan.reason,
        first=first,
        items=page.items,
        next_page_token=next_token,
        next_cursor=next_cursor,
        lower_resync_below=(
            plan.high
            if first
            and plan.mode is Mode.FULL
            and device_horizon is not None
            and device_horizon > plan.high
            else None
        ),
    )


def _start(cursor: Cursor | None, clock: ClockState, device_horizon: int | None) -> _Plan:
    """Full, delta or a full reset, for a sync's first page."""
    if cursor is None:
        return _Plan(Mode.FULL, 0, clock.seq, "")
    if cursor.epoch != clock.epoch:
        reason = ResyncReason.STORE_REBUILT
    elif cursor.seq < clock.horizon:
        reason = ResyncReason.CURSOR_EXPIRED
    elif cursor.seq > clock.seq:
        reason = ResyncReason.CURSOR_AHEAD
    elif device_horizon is not None and cursor.seq < device_horizon:
        reason = ResyncReason.ACCESS_CHANGED
    else:
        return _Plan(Mode.DELTA, cursor.seq, clock.seq, "")
    return _Plan(Mode.FULL, 0, clock.seq, reason.value)


def _continue(token: PageToken, clock: ClockState, device_horizon: int | None) -> _Plan:
    """The same sync, at the `high` of its first page, unless what it reads is gone: another
    store, or a compaction that deleted rows it still needed; or a delta from below the
    device's own horizon (begun before it was set)."""
    needed_from = token.c if token.mode is Mode.DELTA else token.high
    below_device = (
        token.mode is Mode.DELTA and device_horizon is not None and token.c < device_horizon
    )
    if (
        token.epoch != clock.epoch
        or token.high > clock.seq
        or needed_from < clock.horizon
        or below_device
    ):
        raise Problem(
            "page-token-expired",
            "the data this page token pages through changed: sync again from the cursor, "
            "without a page token",
            field="pageToken",
        )
    return _Plan(token.mode, token.c, token.high, token.reason)


def _check_same_cursor(cursor: str | None, token: PageToken) -> None:
    given = decode_cursor(cursor) if cursor else None
    if given is None or given.epoch != token.epoch or given.seq != token.c:
        raise Problem(
            "invalid-request",
            "cursor: the page token continues a delta from another cursor",
            field="cursor",
        )


def _answer(
    plan: _Plan,
    page: StorePage,
    *,
    first: bool,
    protocol: str,
    now: datetime,
    business_date: date,
    next_page_token: str | None,
    next_cursor: str | None,
) -> bytes:
    """The page's JSON: the envelope around the stored entries, joined as they are. Scopes
    are listed on the first page of a sync only (later pages carry empty lists)."""
    removed: tuple[str, ...] = page.removed if first else ()
    reset: tuple[str, ...] = page.reset if first else ()
    head = {
        "mode": plan.mode.value,
        "reset": bool(plan.reason),
        **({"resyncReason": plan.reason} if plan.reason else {}),
        "protocol": protocol,
        "serverTime": _time(now),
        "businessDate": business_date.isoformat(),
        "scopes": {"removed": removed, "reset": reset},
    }
    parts = [_json(head)[:-1], b',"sections":{']
    for n, (section, entries) in enumerate(page.sections.items()):
        parts += [b"," if n else b"", _json(section), b":[", b",".join(entries), b"]"]
    tail = {"nextPageToken": next_page_token, "nextCursor": next_cursor}
    parts += [b"},", _json(tail)[1:]]
    return b"".join(parts)


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_json = msgspec.json.encode
