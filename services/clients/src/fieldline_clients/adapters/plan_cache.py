"""In-process cache of serialized visit plans, invalidated by the context's own events.

`GetVisitPlan(agent, date)` is what every device asks again and again while nothing changed.
The cache keeps the serialized `GetVisitPlanResponse` per `(agent_id, date)`, so a repeated
request is answered without touching the database.

What a plan depends on, and the event that says it changed:

- an assignment put on, rescheduled on or removed from a route: RouteAssignmentChanged
  → the plans of its `agent_id`;
- a route created or handed over to another agent: RouteChanged → the plans of
  `route.agent_id` and of `previous_agent_id` (the route left its plans);
- an outlet's card or status changed: OutletCreated / OutletChanged → every cached plan built
  from that outlet (a reverse index outlet → plans, which includes due outlets on the agent's
  routes that are not active, since reopening one puts it into the plan);
- a check-in, check-out or missed visit: VisitStarted / VisitCompleted / VisitMissed → the
  plans of `visit.agent_id`.

Events reach the cache two ways: this replica's commits call `committed(events)` right after
the commit (the UnitOfWork's `after_commit`), so a read after a write on the same replica never
sees the old plan; other replicas' commits arrive through a `StreamFollower` on the CLIENTS
stream (`apply_envelope`). This replica's own events come back that way too; they were applied
at commit, so they are recognised by event id and skipped (no second, needless invalidation).
While the follower is not following (NATS down, reconnecting, a lost delivery) the cache is
emptied and bypassed: `suspend()` / `resume()`. Entries also expire after `ttl` seconds, the
last safety net.

A plan read from the database may already be stale when it is stored: a write can commit (and
invalidate) between the read and the `put`. So a reader takes a `ticket()` before it reads, and
`put` refuses the plan when any invalidation touching it (its agent, or one of its outlets)
happened since that ticket, or when the cache was cleared or resumed since.

Single event loop: no locks. Bounded by entry count and total bytes (least recently used out).
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from google.protobuf.message import DecodeError, Message
from prometheus_client import Counter, Gauge

from fieldline.clients.events.v1 import events_pb2 as ev
from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline_kit.logging import get_logger
from fieldline_kit.uow import IntegrationEvent

log = get_logger("fieldline.clients.plan_cache")

Key = tuple[str, date]  # (agent_id, plan date)

LOOKUPS = Counter(
    "fieldline_clients_plan_cache_lookups",
    "Visit plan cache lookups by result: hit, miss, or bypass (cache suspended or disabled)",
    ["result"],
)
INVALIDATIONS = Counter(
    "fieldline_clients_plan_cache_invalidations",
    "Visit plan cache entries dropped, by reason",
    ["reason"],
)
ENTRIES = Gauge(
    "fieldline_clients_plan_cache_entries", "Visit plans in the cache", multiprocess_mode="livemax"
)


@dataclass(frozen=True)
class Invalidation:
    """Whose plans an event makes stale."""

    agents: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()


def invalidation_of(message: Message) -> Invalidation:
    """The plans a published clients event changes (nothing for events plans do not show)."""
    if isinstance(message, ev.RouteAssignmentChanged):
        return Invalidation(agents=(message.agent_id,))
    if isinstance(message, ev.RouteChanged):
        agents = (message.route.agent_id, message.previous_agent_id)
        return Invalidation(agents=tuple(a for a in agents if a))
    if isinstance(message, ev.OutletCreated | ev.OutletChanged):
        return Invalidation(outlets=(message.outlet.id,))
    if isinstance(message, ev.VisitStarted | ev.VisitCompleted | ev.VisitMissed):
        return Invalidation(agents=(message.visit.agent_id,))
    return Invalidation()


# Payload types worth decoding from the stream (the others change no plan).
_RELEVANT: dict[str, type[Message]] = {
    cls.DESCRIPTOR.full_name: cls
    for cls in (
        ev.RouteAssignmentChanged,
        ev.RouteChanged,
        ev.OutletCreated,
        ev.OutletChanged,
        ev.VisitStarted,
        ev.VisitCompleted,
        ev.VisitMissed,
    )
}


@dataclass
class _Entry:
    body: bytes
    outlets: frozenset[str]
    expires: float


class PlanCache:
    def __init__(
        self,
        ttl_seconds: float,
        *,
        max_entries: int = 20_000,
        max_bytes: int = 256 * 1024 * 1024,
        history: int = 10_000,
        own_events: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`ttl_seconds <= 0` disables the cache: every lookup misses, nothing is stored.

        `history`: how many recent invalidations are remembered to check `put` tickets
        against; a ticket older than that is refused (the reader was very slow).
        `own_events`: how many ids of this replica's committed events are remembered, to skip
        them when the stream brings them back (one forgotten costs one needless invalidation).
        """
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._history_size = history
        self._clock = clock
        self._entries: OrderedDict[Key, _Entry] = OrderedDict()  # least recently used first
        self._by_agent: dict[str, set[Key]] = {}
        self._by_outlet: dict[str, set[Key]] = {}
        self._bytes = 0
        self._seq = 0  # bumped by every invalidation, clear and resume
        self._floor = 0  # tickets below this are refused
        self._history: deque[tuple[int, Invalidation]] = deque()  # (seq, what), oldest first
        self._live = False  # serving from the cache (the follower vouches for completeness)
        self.hits = self.misses = self.bypasses = 0  # lookups, also exported as LOOKUPS
        self._own: OrderedDict[str, None] = OrderedDict()  # ids of events applied at commit
        self._own_size = own_events

    # -- state -------------------------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    @property
    def live(self) -> bool:
        """True while lookups may be answered from the cache."""
        return self.enabled and self._live

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Key) -> bool:
        """Whether `(agent_id, day)` is stored (expired or not); does not count as a lookup."""
        return key in self._entries

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def resume(self) -> None:
        """The invalidation feed is complete from now on: start caching (from empty)."""
        self._drop_all("resume")
        self._seq += 1
        self._floor = self._seq
        self._live = True
        log.info("visit plan cache resumed")

    def suspend(self) -> None:
        """The invalidation feed may miss events: drop everything and serve from the database."""
        was_live = self._live
        self._live = False
        self._drop_all("suspend")
        self._seq += 1
        self._floor = self._seq
        if was_live:
            log.info("visit plan cache suspended: serving plans from the database")

    # -- reads -------------------------------------------------------------------------------
    def get(self, agent_id: str, day: date) -> bytes | None:
        if not self.live:
            self.bypasses += 1
            LOOKUPS.labels("bypass").inc()
            return None
        key = (agent_id, day)
        entry = self._entries.get(key)
        if entry is not None and entry.expires <= self._clock():
            self._remove(key)
            INVALIDATIONS.labels("expired").inc()
            ENTRIES.set(len(self._entries))
            entry = None
        if entry is None:
            self.misses += 1
            LOOKUPS.labels("miss").inc()
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        LOOKUPS.labels("hit").inc()
        return entry.body

    def ticket(self) -> int:
        """Take before reading the plan from the database; hand it to `put`."""
        return self._seq

    def put(
        self, ticket: int, agent_id: str, day: date, body: bytes, outlets: Iterable[str]
    ) -> bool:
        """Store a plan read after `ticket()`; False when it may be stale (or not caching)."""
        if not self.live or ticket < self._floor or len(body) > self.max_bytes:
            return False
        outlet_ids = frozenset(outlets)
        if self._invalidated_since(ticket, agent_id, outlet_ids):
            return False
        key = (agent_id, day)
        if key in self._entries:
            self._remove(key)
        self._entries[key] = _Entry(body, outlet_ids, self._clock() + self.ttl)
        self._bytes += len(body)
        self._by_agent.setdefault(agent_id, set()).add(key)
        for outlet_id in outlet_ids:
            self._by_outlet.setdefault(outlet_id, set()).add(key)
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            self._remove(next(iter(self._entries)))
            INVALIDATIONS.labels("evicted").inc()
        ENTRIES.set(len(self._entries))
        return True

    def _invalidated_since(self, ticket: int, agent_id: str, outlets: frozenset[str]) -> bool:
        for seq, what in reversed(self._history):
            if seq <= ticket:
                return False
            if agent_id in what.agents or not outlets.isdisjoint(what.outlets):
                return True
        return False

    # -- invalidation ------------------------------------------------------------------------
    def invalidate(self, what: Invalidation, reason: str = "event") -> None:
        if not what.agents and not what.outlets:
            return
        self._seq += 1
        self._history.append((self._seq, what))
        if len(self._history) > self._history_size:
            oldest, _ = self._history.popleft()
            self._floor = max(self._floor, oldest)
        stale: set[Key] = set()
        for agent_id in what.agents:
            stale |= self._by_agent.get(agent_id, set())
        for outlet_id in what.outlets:
            stale |= self._by_outlet.get(outlet_id, set())
        for key in stale:
            self._remove(key)
        if stale:
            INVALIDATIONS.labels(reason).inc(len(stale))
            ENTRIES.set(len(self._entries))

    def invalidate_message(self, message: Message, reason: str = "event") -> None:
        self.invalidate(invalidation_of(message), reason)

    def committed(self, events: Sequence[IntegrationEvent]) -> None:
        """UnitOfWork `after_commit`: this replica's own writes, right after their commit."""
        for event in events:
            what = invalidation_of(event.message)
            self.invalidate(what, "local")
            if event.event_id and (what.agents or what.outlets):
                self._own[event.event_id] = None
                if len(self._own) > self._own_size:
                    self._own.popitem(last=False)

    def apply_envelope(self, envelope: EventEnvelope) -> None:
        """StreamFollower callback: an event from the CLIENTS stream (any replica's)."""
        cls = _RELEVANT.get(envelope.payload.TypeName())
        if cls is None:
            return
        if envelope.event_id in self._own:
            del self._own[envelope.event_id]
            return  # this replica's own event: already applied when it committed
        message = cls()
        try:
            envelope.payload.Unpack(message)
        except DecodeError:
            # Unknown content: no way to tell which plans it touches, so forget them all.
            log.error("undecodable event payload; clearing the plan cache", id=envelope.event_id)
            self._drop_all("undecodable")
            self._seq += 1
            self._floor = self._seq
            return
        self.invalidate_message(message, "stream")

    # -- internals ---------------------------------------------------------------------------
    def _remove(self, key: Key) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        self._bytes -= len(entry.body)
        _discard(self._by_agent, key[0], key)
        for outlet_id in entry.outlets:
            _discard(self._by_outlet, outlet_id, key)

    def _drop_all(self, reason: str) -> None:
        if self._entries:
            INVALIDATIONS.labels(reason).inc(len(self._entries))
        self._entries.clear()
        self._by_agent.clear()
        self._by_outlet.clear()
        self._bytes = 0
        ENTRIES.set(0)


def _discard(index: dict[str, set[Key]], name: str, key: Key) -> None:
    keys = index.get(name)
    if keys is not None:
        keys.discard(key)
        if not keys:
            del index[name]
