"""Employees as they stand now, checked on every call: a token does not outlive a dismissal.

A token's roles are what the issuer knew when it signed (up to its 15 minutes ago). Each
service keeps a read model of employees — `active` and `roles`, fed by the clients context's
`EmployeeChanged` events (clients itself reads its own employees table) — and the auth check
admits an employee's token only as far as that read model agrees:

- a known employee who is not active: UNAUTHENTICATED, whatever the token says;
- a known employee: the token's roles *that the employee still holds* (a removed role stops
  working; a role granted since needs a new token);
- an employee the read model does not know (yet): the issuer's word, as signed.

How stale a decision can be: the time the event takes to reach the read model (about a
second) plus one second in this process. With a `snapshot` (the services' way), each replica
holds every employee's standing in memory, read whole every `refresh_seconds` (1 s) by a
background loop (`run`), so a call costs a dictionary lookup and no query — a company has
thousands of employees, not millions. Until the first snapshot, or when the last one is older
than `STALE_AFTER_REFRESHES` refreshes (the database out of reach), it falls back to a
per-employee `lookup` cached for `ttl` (1 s). Should the feed stall, a token is trusted for
at most its own lifetime. Services, partners and
service tokens acting for a user are not employees' tokens and are not looked up here.

`fieldline_kit.auth.directory_table` has the read model's table for a service that consumes
the events (and `table_directory`, the directory over it).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from fieldline_kit.auth.principal import Kind, Principal
from fieldline_kit.errors import Unauthenticated
from fieldline_kit.logging import get_logger

log = get_logger("fieldline.auth")

DIRECTORY_TTL_SECONDS = 1.0
REFRESH_SECONDS = 1.0
# A snapshot older than this many refresh intervals is not trusted (the per-employee lookup is).
STALE_AFTER_REFRESHES = 5
MAX_CACHED = 100_000


@dataclass(frozen=True)
class Standing:
    """An employee's current state as far as access goes."""

    active: bool
    roles: frozenset[str]
    supervisor_id: str = ""
    territory_id: str = ""
    # A distributor manager's distributor (a client id): its scope in orders.
    distributor_id: str = ""


Lookup = Callable[[str], Awaitable[Standing | None]]
# Every employee's standing (the whole read model).
Snapshot = Callable[[], Awaitable[dict[str, Standing]]]


def admitted(principal: Principal, standing: Standing | None) -> Principal:
    """The principal as the employee's current standing allows it (see the module doc)."""
    if principal.kind != Kind.EMPLOYEE or standing is None:
        return principal
    if not standing.active:
        raise Unauthenticated(f"employee {principal.subject!r} is not active")
    roles = principal.roles & standing.roles
    return principal if roles == principal.roles else replace(principal, roles=roles)


class EmployeeDirectory:
    """Employees' standing: from an in-memory `snapshot` refreshed by `run`, else `lookup`
    with a short per-subject cache (one query per employee per `ttl` per replica)."""

    def __init__(
        self,
        lookup: Lookup,
        *,
        snapshot: Snapshot | None = None,
        refresh_seconds: float = REFRESH_SECONDS,
        ttl: float = DIRECTORY_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = MAX_CACHED,
    ) -> None:
        self._lookup = lookup
        self._snapshot = snapshot
        self._refresh = refresh_seconds
        self._ttl = ttl
        self._clock = clock
        self._max = max_entries
        self._cache: OrderedDict[str, tuple[float, Standing | None]] = OrderedDict()
        self._all: dict[str, Standing] | None = None
        self._all_at = 0.0

    @property
    def refreshes(self) -> bool:
        """It has a snapshot to keep: `run` belongs among the service's background loops."""
        return self._snapshot is not None

    def _fresh(self) -> dict[str, Standing] | None:
        if self._all is None:
            return None
        if self._clock() - self._all_at > self._refresh * STALE_AFTER_REFRESHES:
            return None
        return self._all

    async def refresh(self) -> None:
        """Read the whole read model now (what `run` does every `refresh_seconds`)."""
        if self._snapshot is not None:
            self._all = await self._snapshot()
            self._all_at = self._clock()

    async def run(self, stop: asyncio.Event) -> None:
        """Keep the snapshot fresh until `stop`; a failed read keeps the last one (until it is
        too old to be trusted) and is tried again at the next interval."""
        failing = False
        while not stop.is_set():
            try:
                await self.refresh()
                if failing:
                    log.info("employee directory read again")
                failing = False
            except Exception as exc:  # the database out of reach: tried again next time
                if not failing:
                    log.warning("employee directory not read", error=repr(exc)[:300])
                failing = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._refresh)

    async def standing(self, subject: str) -> Standing | None:
        everyone = self._fresh()
        if everyone is not None:
            return everyone.get(subject)
        now = self._clock()
        hit = self._cache.get(subject)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        found = await self._lookup(subject)
        self._remember(subject, found)
        return found

    def _remember(self, subject: str, standing: Standing | None) -> None:
        self._cache[subject] = (self._clock(), standing)
        self._cache.move_to_end(subject)
        while len(self._cache) > self._max:
            self._cache.popitem(last=False)

    async def admit(self, principal: Principal) -> Principal:
        if principal.kind != Kind.EMPLOYEE:
            return principal
        return admitted(principal, await self.standing(principal.subject))
