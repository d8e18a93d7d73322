"""The sync store's SQL (docs/contexts/device-gateway.md, *The sync store (fan-out)*).

Writes: a transaction that writes objects, tombstones or memberships calls `advance_clock`
FIRST and stamps everything it writes with that one `seq`. The clock row's lock is held to
COMMIT, so transactions take their seq in commit order, and every read-decide-write below
(the stored hash, the open intervals) runs after every earlier fan-out commit and before any
later one: no other guard is needed. Bodies are encoded by the caller, before the
transaction opens.

Reads: one read transaction per page (`SyncStore.snapshot`: REPEATABLE READ on PostgreSQL,
SQLite's WAL snapshot), reading `high` from the clock first and then only rows `seq <= high`;
a row committing later has a larger seq, so a cursor chain never skips one. A page is the
stored body bytes wrapped in their entry (`{"key", "scope", "data" | "deleted"}`), never
re-encoded.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    and_,
    bindparam,
    cast,
    delete,
    false,
    literal,
    null,
    or_,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fieldline_gateway.adapters.fanout_tables import (
    fanout_clock,
    fanout_heads,
    fanout_members,
    fanout_objects,
)
from fieldline_gateway.adapters.shared_scopes import MAX_CHANGES, Entry, SharedScopes
from fieldline_gateway.domain.cursor import Phase, Position
from fieldline_gateway.domain.membership import (
    MembershipChange,
    is_shared_scope,
    membership_change,
)
from fieldline_kit.clock import utcnow
from fieldline_kit.db import utc
from fieldline_kit.id_lists import dialect_name, id_list, ids_value, in_ids
from fieldline_kit.repository import dialect_insert

ReadSessions = async_sessionmaker[AsyncSession]

MAX_PAGE_BYTES = 2 * 1024 * 1024
MAX_PAGE_ITEMS = 5000
_CLOCK_ID = 1
# Rows a streamed page read fetches at a time (a page stops reading once it is full).
_FETCH = 500

_objects = fanout_objects.c
_OBJECT_VALUES = ("scope", "seq", "source_version", "deleted", "body", "body_hash", "changed_at")
_members = fanout_members.c


@dataclass(frozen=True)
class FanoutItem:
    """One object as the device receives it: `body` its JSON (encoded once, by the caller),
    or None for a removal. `source_version` is the owning service's (None: unversioned, the
    body's hash alone decides)."""

    section: str
    key: str
    scope: str
    body: bytes | None
    source_version: int | None = None


@dataclass(frozen=True)
class PutResult:
    changed: int
    unchanged: int
    written: tuple[tuple[str, str], ...] = ()  # (section, key) of the rows stamped with seq


@dataclass(frozen=True)
class ClockState:
    epoch: str
    seq: int  # `high`: every fan-out transaction up to it has committed
    horizon: int  # a cursor below it cannot be served a delta


@dataclass(frozen=True)
class ScopeChanges:
    """Delta steps 1–2 for an agent between `c` and `high`."""

    removed: tuple[str, ...]  # active at c, not at high
    reset: tuple[str, ...]  # active at high through an interval opened after c
    changed: tuple[str, ...]  # active from c through high, with a write after c
    heads: Mapping[str, int] = field(default_factory=dict, compare=False)  # changed ones


@dataclass(frozen=True)
class PageLimits:
    max_bytes: int = MAX_PAGE_BYTES  # of entries, uncompressed; a page holds at least one
    max_items: int = MAX_PAGE_ITEMS


PROTOCOL_LIMITS = PageLimits()  # ~2 MiB or 5,000 items (docs/sync-protocol.md)


@dataclass
class StorePage:
    """The entries of one page, by section, ready to be joined into the answer; `next` is
    where the next page starts (None: this is the last page of the sync)."""

    removed: tuple[str, ...] = ()
    reset: tuple[str, ...] = ()
    sections: dict[str, list[bytes]] = field(default_factory=dict)
    items: int = 0
    size: int = 0
    next: Position | None = None


@dataclass(frozen=True)
class CompactResult:
    horizon: int
    objects: int  # tombstones deleted
    intervals: int  # closed membership intervals deleted


# ------------------------------------------------------------------ the clock


async def advance_clock(session: AsyncSession) -> int:
    """Take the next seq for this transaction: the first statement of every fan-out write. The
    clock row is created (with a new epoch) if the store has none yet."""
    t = fanout_clock
    bump = update(t).where(t.c.id == _CLOCK_ID).values(seq=t.c.seq + 1).returning(t.c.seq)
    seq = (await session.execute(bump)).scalar_one_or_none()
    if seq is None:
        new = dialect_insert(session, t).values(
            id=_CLOCK_ID, epoch=str(uuid.uuid4()), seq=0, horizon=0
        )
        await session.execute(new.on_conflict_do_nothing(index_elements=[t.c.id]))
        seq = (await session.execute(bump)).scalar_one()
    return int(seq)


async def read_clock(session: AsyncSession) -> ClockState | None:
    t = fanout_clock
    row = (await session.execute(select(t.c.epoch, t.c.seq, t.c.horizon))).first()
    if row is None:
        return None
    return ClockState(epoch=row.epoch, seq=int(row.seq), horizon=int(row.horizon))


# ------------------------------------------------------------------ objects


async def put_objects(
    session: AsyncSession, seq: int, items: Iterable[FanoutItem], *, now: datetime | None = None
) -> PutResult:
    """Write `items` at `seq` (taken by `advance_clock` in this transaction). An item whose
    `source_version` is not newer than the stored one, or whose body (and scope) equals the
    stored one, changes nothing and keeps its seq — a newer version of an equal body is
    remembered for later comparisons, silently. A removal of an unknown key is written as a
    tombstone only when versioned (so an older copy arriving later cannot revive it).

    An object keeps one row: written under another scope, it moves there, and devices that
    hold it only through the old scope are not told (keys are chosen so that an object's
    scope never changes: an outlet's card is always `outlet:<its id>`)."""
    latest: dict[tuple[str, str], FanoutItem] = {}
    for item in items:
        latest[(item.section, item.key)] = item
    if not latest:
        return PutResult(0, 0)
    moment = now or utcnow()
    stored = await _stored(session, latest)
    rows: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    unchanged = 0
    for (section, key), item in latest.items():
        digest = "" if item.body is None else hashlib.sha256(item.body).hexdigest()
        old = stored.get((section, key))
        if old is None and item.body is None and item.source_version is None:
            unchanged += 1  # nothing to remove
            continue
        if old is not None:
            old_version = old.source_version
            if (
                item.source_version is not None
                and old_version is not None
                and (item.source_version <= old_version)
            ):
                unchanged += 1
                continue
            same = old.scope == item.scope and (
                old.deleted if item.body is None else not old.deleted and old.body_hash == digest
            )
            if same:
                unchanged += 1
                if item.source_version is not None:
                    versions.append(
                        {"b_section": section, "b_key": key, "b_version": item.source_version}
                    )
                continue
        rows.append(
            {
                "section": section,
                "key": key,
                "scope": item.scope,
                "seq": seq,
                "source_version": item.source_version,
                "deleted": item.body is None,
                "body": item.body or b"",
                "body_hash": digest,
                "changed_at": moment,
            }
        )
    if rows:
        upsert = dialect_insert(session, fanout_objects)
        upsert = upsert.on_conflict_do_update(
            index_elements=[_objects.section, _objects.key],
            set_={name: upsert.excluded[name] for name in _OBJECT_VALUES},
        )
        await session.execute(upsert, rows)
        # A moved object's old scope changed too: its head says so (what the shared scopes'
        # cache relies on: a scope's rows change only with its head).
        moved_from = {
            old.scope
            for (section, key) in ((r["section"], r["key"]) for r in rows)
            if (old := stored.get((section, key))) is not None
        }
        await _raise_heads(session, seq, {r["scope"] for r in rows} | moved_from)
    if versions:
        await session.execute(
            update(fanout_objects)
            .where(_objects.section == bindparam("b_section"), _objects.key == bindparam("b_key"))
            .values(source_version=bindparam("b_version")),
            versions,
        )
    return PutResult(
        changed=len(rows),
        unchanged=unchanged,
        written=tuple((r["section"], r["key"]) for r in rows),
    )


async def tombstone(
    session: AsyncSession,
    seq: int,
    section: str,
    keys: Iterable[str],
    *,
    now: datetime | None = None,
) -> int:
    """Turn the live objects of `section` under `keys` into tombstones at `seq` (what a
    refetch no longer finds); keys unknown or already removed change nothing. The count
    tombstoned."""
    keys = list(keys)
    if not keys:
        return 0
    dialect = dialect_name(session)
    stmt = (
        update(fanout_objects)
        .where(
            _objects.section == section,
            in_ids(_objects.key, id_list("keys", dialect), dialect),
            _objects.deleted == false(),
        )
        .values(deleted=True, body=b"", body_hash="", seq=seq, changed_at=now or utcnow())
        .returning(_objects.scope)
    )
    scopes = list((await session.execute(stmt, {"keys": ids_value(dialect, keys)})).scalars())
    await _raise_heads(session, seq, set(scopes))
    return len(scopes)


async def _raise_heads(session: AsyncSession, seq: int, scopes: Collection[str]) -> None:
    """`fanout_heads.seq = seq` for `scopes` (seq only grows: it is this transaction's)."""
    if not scopes:
        return
    stmt = dialect_insert(session, fanout_heads)
    stmt = stmt.on_conflict_do_update(
        index_elements=[fanout_heads.c.scope], set_={"seq": stmt.excluded.seq}
    )
    await session.execute(stmt, [{"scope": s, "seq": seq} for s in sorted(scopes)])


@dataclass(frozen=True)
class _Stored:
    scope: str
    source_version: int | None
    deleted: bool
    body_hash: str


async def _stored(
    session: AsyncSession, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], _Stored]:
    by_section: dict[str, list[str]] = defaultdict(list)
    for section, key in keys:
        by_section[section].append(key)
    dialect = dialect_name(session)
    query = select(
        _objects.key, _objects.scope, _objects.source_version, _objects.deleted, _objects.body_hash
    ).where(
        _objects.section == bindparam("section"),
        in_ids(_objects.key, id_list("keys", dialect), dialect),
    )
    found: dict[tuple[str, str], _Stored] = {}
    for section, section_keys in by_section.items():
        params = {"section": section, "keys": ids_value(dialect, section_keys)}
        for row in await session.execute(query, params):
            found[(section, row.key)] = _Stored(
                row.scope, row.source_version, bool(row.deleted), row.body_hash
            )
    return found


# ------------------------------------------------------------------ memberships


async def set_memberships(
    session: AsyncSession, seq: int, agent_id: str, scopes: Collection[str]
) -> MembershipChange:
    """Make `scopes` the agent's open intervals at `seq` (a batch of one)."""
    return (await set_memberships_many(session, seq, {agent_id: scopes}))[agent_id]


async def set_memberships_many(
    session: AsyncSession, seq: int, desired: Mapping[str, Collection[str]]
) -> dict[str, MembershipChange]:
    """Per agent, the full desired scope set against its open intervals: the scopes that left
    are closed at `seq` (`removed_seq`), the ones that came get a new interval from `seq`. An
    interval opened at this same seq is deleted rather than closed (it never held)."""
    if not desired:
        return {}
    dialect = dialect_name(session)
    query = select(_members.agent_id, _members.scope, _members.added_seq).where(
        in_ids(_members.agent_id, id_list("agents", dialect), dialect),
        _members.removed_seq.is_(None),
    )
    open_now: dict[str, dict[str, int]] = defaultdict(dict)
    for row in await session.execute(query, {"agents": ids_value(dialect, list(desired))}):
        open_now[row.agent_id][row.scope] = int(row.added_seq)
    changes: dict[str, MembershipChange] = {}
    closing: list[dict[str, Any]] = []
    dropping: list[dict[str, Any]] = []
    opening: list[dict[str, Any]] = []
    for agent_id, scopes in desired.items():
        have = open_now.get(agent_id, {})
        change = membership_change(scopes, have.keys())
        changes[agent_id] = change
        for scope in sorted(change.close):
            key = {"b_agent": agent_id, "b_scope": scope, "b_added": have[scope]}
            (dropping if have[scope] == seq else closing).append(key)
        opening.extend(
            {"agent_id": agent_id, "scope": s, "added_seq": seq, "removed_seq": None}
            for s in sorted(change.open)
        )
    one = and_(
        _members.agent_id == bindparam("b_agent"),
        _members.scope == bindparam("b_scope"),
        _members.added_seq == bindparam("b_added"),
    )
    if closing:
        await session.execute(update(fanout_members).where(one).values(removed_seq=seq), closing)
    if dropping:
        await session.execute(delete(fanout_members).where(one), dropping)
    if opening:
        await session.execute(dialect_insert(session, fanout_members), opening)
    return changes


async def open_scopes(session: AsyncSession, agent_id: str) -> set[str]:
    """The agent's scopes now (its open intervals)."""
    query = select(_members.scope).where(
        _members.agent_id == agent_id, _members.removed_seq.is_(None)
    )
    return set((await session.execute(query)).scalars())


async def members_of(session: AsyncSession, scope: str) -> set[str]:
    """The agents holding `scope` now (whom a change of that outlet, client… touches)."""
    query = select(_members.agent_id).where(_members.scope == scope, _members.removed_seq.is_(None))
    return set((await session.execute(query)).scalars())


# ------------------------------------------------------------------ compaction


async def compact(
    session: AsyncSession, *, up_to_seq: int | None = None, older_than: datetime | None = None
) -> CompactResult:
    """Delete the tombstones and closed membership intervals at or below a bound (`up_to_seq`,
    and/or the seqs written before `older_than`), raising the horizon to the largest seq
    deleted, in the same transaction: a cursor below the horizon is answered in full, since
    what it would have needed is gone. Takes the clock row first, like every fan-out write."""
    t = fanout_clock
    lock = (
        update(t)
        .where(t.c.id == _CLOCK_ID)
        .values(horizon=t.c.horizon)
        .returning(t.c.seq, t.c.horizon)
    )
    clock = (await session.execute(lock)).first()
    if clock is None or (up_to_seq is None and older_than is None):
        return CompactResult(
            horizon=0 if clock is None else int(clock.horizon), objects=0, intervals=0
        )
    bound = int(clock.seq)
    if up_to_seq is not None:
        bound = min(bound, up_to_seq)
    if older_than is not None:
        bound = min(bound, await seq_before(session, older_than, int(clock.seq)))
    horizon = int(clock.horizon)
    if bound <= horizon:
        return CompactResult(horizon=horizon, objects=0, intervals=0)
    gone = await session.execute(
        delete(fanout_objects)
        .where(_objects.deleted.is_(True), _objects.seq <= bound)
        .returning(_objects.seq)
    )
    objects = [int(s) for s in gone.scalars()]
    closed = await session.execute(
        delete(fanout_members)
        .where(_members.removed_seq.is_not(None), _members.removed_seq <= bound)
        .returning(_members.removed_seq)
    )
    intervals = [int(s) for s in closed.scalars()]
    top = max([horizon, *objects, *intervals])
    if top > horizon:
        await session.execute(update(t).where(t.c.id == _CLOCK_ID).values(horizon=top))
    return CompactResult(horizon=top, objects=len(objects), intervals=len(intervals))


async def seq_before(session: AsyncSession, moment: datetime, high: int) -> int:
    """The largest seq up to `high` whose rows were all written before `moment`: a bisection
    over `ix (seq)` (seqs are handed out in commit order, so `changed_at` grows with them)."""
    probe = (
        select(_objects.seq, _objects.changed_at)
        .where(_objects.seq >= bindparam("at"))
        .order_by(_objects.seq)
        .limit(1)
    )
    low, top = 0, high
    while low < top:
        mid = (low + top + 1) // 2
        row = (await session.execute(probe, {"at": mid})).first()
        if row is None or row.seq > top or utc(row.changed_at) >= moment:
            top = mid - 1
        else:
            low = int(row.seq)
    return low


# ------------------------------------------------------------------ reads

_heads = fanout_heads.c
# Delta steps 1–2 in one statement: the agent's intervals opened or closed in (c, high]
# (step 1, `step` 1), and its steady intervals whose scope was written after c, with the
# scope's head (step 2, `step` 2). Built once: the statement is the same for every delta.
_SCOPE_CHANGES = union_all(
    select(
        _members.scope,
        _members.added_seq,
        _members.removed_seq,
        literal(1, Integer).label("step"),
        cast(null(), BigInteger).label("head"),
    ).where(
        _members.agent_id == bindparam("agent"),
        or_(
            and_(_members.added_seq > bindparam("c"), _members.added_seq <= bindparam("high")),
            and_(_members.removed_seq > bindparam("c"), _members.removed_seq <= bindparam("high")),
        ),
    ),
    select(
        _members.scope,
        _members.added_seq,
        _members.removed_seq,
        literal(2, Integer).label("step"),
        _heads.seq.label("head"),
    )
    .join(fanout_heads, _heads.scope == _members.scope)
    .where(
        _members.agent_id == bindparam("agent"),
        _members.added_seq <= bindparam("c"),
        or_(_members.removed_seq.is_(None), _members.removed_seq > bindparam("high")),
        _heads.seq > bindparam("c"),
    ),
)


async def scope_changes(session: AsyncSession, agent_id: str, c: int, high: int) -> ScopeChanges:
    """Delta steps 1–2: the agent's scopes removed and reset between c and high, and its
    steady scopes written after c (with their heads)."""
    was_active: set[str] = set()
    reset: set[str] = set()
    written: dict[str, int] = {}
    params = {"agent": agent_id, "c": c, "high": high}
    for row in await session.execute(_SCOPE_CHANGES, params):
        if row.step == 2:
            written[row.scope] = int(row.head)
        elif row.added_seq <= c:  # then removed in (c, high]
            was_active.add(row.scope)
        elif row.removed_seq is None or row.removed_seq > high:
            reset.add(row.scope)
    changed = sorted(set(written) - reset - was_active)
    return ScopeChanges(
        removed=tuple(sorted(was_active - reset)),
        reset=tuple(sorted(reset)),
        changed=tuple(changed),
        heads={scope: written[scope] for scope in changed},
    )


async def scopes_at(session: AsyncSession, agent_id: str, high: int) -> tuple[str, ...]:
    """The agent's scopes as they were at `high`."""
    query = select(_members.scope).where(
        _members.agent_id == agent_id,
        _members.added_seq <= high,
        or_(_members.removed_seq.is_(None), _members.removed_seq > high),
    )
    return tuple(sorted(set((await session.execute(query)).scalars())))


async def _shared_heads(session: AsyncSession, scopes: Iterable[str]) -> dict[str, int]:
    """The heads of the shared scopes among `scopes` (those the cache may serve)."""
    shared = [s for s in scopes if is_shared_scope(s)]
    if not shared:
        return {}
    dialect = dialect_name(session)
    query = select(_heads.scope, _heads.seq).where(
        in_ids(_heads.scope, id_list("scopes", dialect), dialect)
    )
    rows = await session.execute(query, {"scopes": ids_value(dialect, shared)})
    return {row.scope: int(row.seq) for row in rows}


@dataclass(frozen=True)
class _Reading:
    """What a page reads with: the store's epoch and the replica's shared-scope cache (None:
    every entry from the store)."""

    shared: SharedScopes | None = None
    epoch: str = ""

    def caches(self, scope: str, head: int | None, high: int) -> bool:
        # A head past `high` (a page continuing an older sync) is another version than
        # the one this page reads: the store serves it.
        return (
            self.shared is not None
            and bool(self.epoch)
            and head is not None
            and head <= high
            and is_shared_scope(scope)
        )


async def delta(
    session: AsyncSession,
    agent_id: str,
    cursor_seq: int,
    high: int,
    limits: PageLimits = PROTOCOL_LIMITS,
    *,
    after: Position | None = None,
    exclude_sections: Collection[str] = (),
    shared: SharedScopes | None = None,
    epoch: str = "",
) -> StorePage:
    """One page of the agent's delta from `cursor_seq` to `high`: the snapshot of its reset
    scopes (step 4), then the changes of its steady scopes in seq order (step 3), continuing
    after `after` (None: the first page). `shared`, with the store's `epoch`, serves the
    shared scopes' entries from memory."""
    reading = _Reading(shared, epoch)
    changes = await scope_changes(session, agent_id, cursor_seq, high)
    page = _PageBuilder(limits, removed=changes.removed, reset=changes.reset)
    position = after or Position(Phase.SNAPSHOT)
    if position.phase is Phase.SNAPSHOT:
        heads = await _shared_heads(session, changes.reset) if shared is not None else {}
        page.next = await _snapshot(
            session, page, changes.reset, high, position, exclude_sections, reading, heads
        )
        position = Position(Phase.CHANGES)
    if page.next is None:
        page.next = await _changes(
            session, page, changes.heads, cursor_seq, high, position, exclude_sections, reading
        )
    return page.done()


async def full(
    session: AsyncSession,
    agent_id: str,
    high: int,
    limits: PageLimits = PROTOCOL_LIMITS,
    *,
    after: Position | None = None,
    exclude_sections: Collection[str] = (),
    shared: SharedScopes | None = None,
    epoch: str = "",
) -> StorePage:
    """One page of the agent's full bundle at `high`: every live object of its scopes."""
    scopes = await scopes_at(session, agent_id, high)
    heads = await _shared_heads(session, scopes) if shared is not None else {}
    page = _PageBuilder(limits)
    position = after or Position(Phase.SNAPSHOT)
    page.next = await _snapshot(
        session, page, scopes, high, position, exclude_sections, _Reading(shared, epoch), heads
    )
    return page.done()


class _PageBuilder:
    def __init__(
        self, limits: PageLimits, removed: tuple[str, ...] = (), reset: tuple[str, ...] = ()
    ) -> None:
        self.limits = limits
        self.removed = removed
        self.reset = reset
        self.sections: dict[str, list[bytes]] = {}
        self.items = 0
        self.size = 0
        self.next: Position | None = None

    @property
    def room(self) -> int:
        return max(self.limits.max_items - self.items, 0)

    def add(self, section: str, entry: bytes) -> bool:
        """Add the entry if the page has room for it (a page takes at least one)."""
        size = self.size + len(entry)
        if self.items and (self.items >= self.limits.max_items or size > self.limits.max_bytes):
            return False
        held = self.sections.get(section)
        if held is None:
            held = self.sections[section] = []
        held.append(entry)
        self.items += 1
        self.size = size
        return True

    def done(self) -> StorePage:
        return StorePage(
            removed=self.removed,
            reset=self.reset,
            sections=self.sections,
            items=self.items,
            size=self.size,
            next=self.next,
        )


class _Wrap:
    """Entries as the page sends them, `{"key", "scope", "data" | "deleted"}`, around the
    stored body bytes (never re-encoded); a scope's JSON is encoded once per page."""

    def __init__(self) -> None:
        self._scopes: dict[str, bytes] = {}

    def __call__(self, key: str, scope: str, body: bytes | None) -> bytes:
        scope_json = self._scopes.get(scope)
        if scope_json is None:
            scope_json = self._scopes[scope] = _json(scope)
        if body is None:
            return b'{"key":%b,"scope":%b,"deleted":true}' % (_json(key), scope_json)
        return b'{"key":%b,"scope":%b,"data":%b}' % (_json(key), scope_json, body)


async def _snapshot(
    session: AsyncSession,
    page: _PageBuilder,
    scopes: Collection[str],
    high: int,
    after: Position,
    exclude_sections: Collection[str],
    reading: _Reading = _Reading(),
    heads: Mapping[str, int] | None = None,
) -> Position | None:
    """Step 4 into `page`: live objects of `scopes` with seq <= high, by (scope, section, key)
    after `after`. The position to go on from when the page filled up, else None. A shared
    scope the cache may serve is taken from it; the scopes between are read in one query."""
    heads = heads or {}
    run: list[str] = []
    for scope in sorted(s for s in scopes if s >= after.scope):
        if not reading.caches(scope, heads.get(scope), high):
            run.append(scope)
            continue
        if run:
            stop = await _snapshot_query(session, page, run, high, after, exclude_sections)
            if stop is not None:
                return stop
            run = []
        stop = await _snapshot_cached(
            session, page, scope, heads[scope], after, exclude_sections, reading
        )
        if stop is not None:
            return stop
    if run:
        return await _snapshot_query(session, page, run, high, after, exclude_sections)
    return None


async def _snapshot_query(
    session: AsyncSession,
    page: _PageBuilder,
    scopes: Collection[str],
    high: int,
    after: Position,
    exclude_sections: Collection[str],
) -> Position | None:
    dialect = dialect_name(session)
    query: Select[Any] = (
        select(_objects.scope, _objects.section, _objects.key, _objects.body)
        .where(
            in_ids(_objects.scope, id_list("scopes", dialect), dialect),
            _objects.seq <= high,
            _objects.deleted == false(),
            tuple_(_objects.scope, _objects.section, _objects.key)
            > tuple_(bindparam("a_scope"), bindparam("a_section"), bindparam("a_key")),
        )
        .order_by(_objects.scope, _objects.section, _objects.key)
    )
    params = {
        "scopes": ids_value(dialect, scopes),
        "a_scope": after.scope,
        "a_section": after.section,
        "a_key": after.key,
    }
    wrap = _Wrap()
    query = _excluding(query, params, exclude_sections, dialect)
    entries = [
        Entry(row.section, row.key, 0, wrap(row.key, row.scope, row.body), row.scope)
        async for row in _rows(session, query, params, page)
    ]
    return _fill(
        page,
        entries,
        after,
        (),
        lambda e: Position(Phase.SNAPSHOT, scope=e.scope, section=e.section, key=e.key),
    )


def _fill(
    page: _PageBuilder,
    entries: Iterable[Entry],
    after: Position,
    exclude_sections: Collection[str],
    position_of: Callable[[Entry], Position],
) -> Position | None:
    """`entries` into `page` (but those of `exclude_sections`) until it is full: the position
    of the last one taken then (`after` if none was), else None."""
    last: Entry | None = None
    for entry in entries:
        if entry.section in exclude_sections:
            continue
        if not page.add(entry.section, entry.data):
            return after if last is None else position_of(last)
        last = entry
    return None


async def _snapshot_cached(
    session: AsyncSession,
    page: _PageBuilder,
    scope: str,
    head: int,
    after: Position,
    exclude_sections: Collection[str],
    reading: _Reading,
) -> Position | None:
    assert reading.shared is not None

    async def read() -> list[Entry]:
        query = (
            select(_objects.section, _objects.key, _objects.seq, _objects.body)
            .where(_objects.scope == scope, _objects.deleted == false())
            .order_by(_objects.section, _objects.key)
        )
        wrap = _Wrap()
        result = await session.stream(query.execution_options(yield_per=_FETCH))
        entries = []
        async for rows in result.partitions():
            entries += [
                Entry(r.section, r.key, int(r.seq), wrap(r.key, scope, r.body)) for r in rows
            ]
        return entries

    entries = await reading.shared.snapshot(reading.epoch, scope, head, read)
    start = 0
    if scope == after.scope:
        start = bisect.bisect_right(
            entries, (after.section, after.key), key=lambda e: (e.section, e.key)
        )
    return _fill(
        page,
        entries[start:],
        after,
        exclude_sections,
        lambda e: Position(Phase.SNAPSHOT, scope=scope, section=e.section, key=e.key),
    )


async def _changes(
    session: AsyncSession,
    page: _PageBuilder,
    heads: Mapping[str, int],
    c: int,
    high: int,
    after: Position,
    exclude_sections: Collection[str],
    reading: _Reading = _Reading(),
) -> Position | None:
    """Step 3 into `page`: objects of the scopes `heads` names written in (c, high],
    tombstones included, by (seq, section, key) after `after`. The shared scopes the cache
    holds come from it, merged in order with what the store gives for the others."""
    if not heads:
        return None
    held: list[Sequence[Entry]] = []
    others: list[str] = []
    for scope, head in heads.items():
        entries = None
        if reading.caches(scope, head, high):
            entries = await _changes_cached(session, scope, head, c, reading)
        if entries is None:
            others.append(scope)
            continue
        start = max(
            bisect.bisect_right(entries, c, key=lambda e: e.seq),
            bisect.bisect_right(
                entries,
                (after.seq, after.section, after.key),
                key=lambda e: (e.seq, e.section, e.key),
            ),
        )
        held.append(entries[start:] if start else entries)
    if others:
        held.append(await _changes_query(session, page, others, c, high, after, exclude_sections))
    stream: Iterable[Entry] = (
        held[0] if len(held) == 1 else heapq.merge(*held, key=lambda e: (e.seq, e.section, e.key))
    )
    return _fill(
        page,
        stream,
        after,
        exclude_sections,
        lambda e: Position(Phase.CHANGES, seq=e.seq, section=e.section, key=e.key),
    )


async def _changes_cached(
    session: AsyncSession, scope: str, head: int, c: int, reading: _Reading
) -> Sequence[Entry] | None:
    """The shared scope's changes from the cache (read into it when not held)."""
    assert reading.shared is not None

    async def read(since: int) -> list[Entry] | None:
        query = (
            select(_objects.section, _objects.key, _objects.seq, _objects.body, _objects.deleted)
            .where(_objects.scope == scope, _objects.seq > since, _objects.seq <= head)
            .order_by(_objects.seq, _objects.section, _objects.key)
            .limit(MAX_CHANGES + 1)
        )
        wrap = _Wrap()
        result = await session.stream(query.execution_options(yield_per=_FETCH))
        entries: list[Entry] = []
        async for rows in result.partitions():
            entries += [
                Entry(
                    r.section, r.key, int(r.seq), wrap(r.key, scope, None if r.deleted else r.body)
                )
                for r in rows
            ]
        return None if len(entries) > MAX_CHANGES else entries

    return await reading.shared.changes(reading.epoch, scope, head, c, read)


async def _changes_query(
    session: AsyncSession,
    page: _PageBuilder,
    scopes: Collection[str],
    c: int,
    high: int,
    after: Position,
    exclude_sections: Collection[str],
) -> list[Entry]:
    """The store's entries of `scopes` written in (c, high] after `after`, by (seq, section,
    key): at most one more than the page has room for."""
    dialect = dialect_name(session)
    query: Select[Any] = (
        select(_objects.scope, _objects.section, _objects.key, _objects.seq, _objects.body)
        .add_columns(_objects.deleted)
        .where(
            in_ids(_objects.scope, id_list("scopes", dialect), dialect),
            _objects.seq > c,
            _objects.seq <= high,
            tuple_(_objects.seq, _objects.section, _objects.key)
            > tuple_(bindparam("a_seq"), bindparam("a_section"), bindparam("a_key")),
        )
        .order_by(_objects.seq, _objects.section, _objects.key)
    )
    params = {
        "scopes": ids_value(dialect, scopes),
        "a_seq": after.seq,
        "a_section": after.section,
        "a_key": after.key,
    }
    wrap = _Wrap()
    query = _excluding(query, params, exclude_sections, dialect)
    return [
        Entry(
            row.section,
            row.key,
            int(row.seq),
            wrap(row.key, row.scope, None if row.deleted else row.body),
        )
        async for row in _rows(session, query, params, page)
    ]


def _excluding(
    query: Select[Any], params: dict[str, Any], sections: Collection[str], dialect: str
) -> Select[Any]:
    """`query` without the objects of `sections` (newer than the client's protocol minor)."""
    if not sections:
        return query
    params["sections"] = ids_value(dialect, sections)
    return query.where(in_ids(_objects.section, id_list("sections", dialect), dialect, negate=True))


async def _rows(
    session: AsyncSession, query: Select[Any], params: dict[str, Any], page: _PageBuilder
) -> AsyncIterator[Any]:
    """The rows of `query`, at most one more than the page has room for (that one tells a
    full page from a finished phase), fetched a few hundred at a time."""
    limit = page.room + 1
    result = await session.stream(
        query.limit(limit).execution_options(yield_per=min(limit, _FETCH)), params
    )
    try:
        # By partitions, not row by row: each `await` is a greenlet switch into the driver,
        # paid once per few hundred rows (a 3,000-row page: ~3x faster than per row).
        async for rows in result.partitions():
            for row in rows:
                yield row
    finally:
        await result.close()


# ------------------------------------------------------------------ the read transaction


class SyncStore:
    """The sync use case's way into the store: `async with store.snapshot() as snap:` is one
    read transaction (one page), REPEATABLE READ and read-only on PostgreSQL, so the clock,
    the memberships and the objects it reads agree. `shared` is the replica's cache of the
    shared scopes (None: none)."""

    def __init__(self, read_sessions: ReadSessions, shared: SharedScopes | None = None) -> None:
        self._sessions = read_sessions
        self._shared = shared

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[StoreSnapshot]:
        async with self._sessions() as session, session.begin():
            if dialect_name(session) == "postgresql":
                await session.connection(
                    execution_options={
                        "isolation_level": "REPEATABLE READ",
                        "postgresql_readonly": True,
                    }
                )
            yield StoreSnapshot(session, self._shared)


class StoreSnapshot:
    def __init__(self, session: AsyncSession, shared: SharedScopes | None = None) -> None:
        self.session = session
        self._shared = shared
        self._epoch = ""

    async def clock(self) -> ClockState | None:
        clock = await read_clock(self.session)
        # The cache's entries are of this store: read in this snapshot, under its epoch.
        self._epoch = clock.epoch if clock is not None else ""
        return clock

    async def delta(
        self,
        agent_id: str,
        cursor_seq: int,
        high: int,
        limits: PageLimits,
        after: Position | None = None,
        exclude_sections: Collection[str] = (),
    ) -> StorePage:
        return await delta(
            self.session,
            agent_id,
            cursor_seq,
            high,
            limits,
            after=after,
            exclude_sections=exclude_sections,
            shared=self._shared,
            epoch=self._epoch,
        )

    async def full(
        self,
        agent_id: str,
        high: int,
        limits: PageLimits,
        after: Position | None = None,
        exclude_sections: Collection[str] = (),
    ) -> StorePage:
        return await full(
            self.session,
            agent_id,
            high,
            limits,
            after=after,
            exclude_sections=exclude_sections,
            shared=self._shared,
            epoch=self._epoch,
        )


# ------------------------------------------------------------------ helpers


_json = msgspec.json.encode
