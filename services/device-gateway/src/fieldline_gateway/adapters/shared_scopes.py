"""Per replica, in memory: the entries of the scopes every agent holds (`company`, `catalog`,
`price_type:*`), read from the store once per version and served to every agent's sync
(docs/contexts/device-gateway.md, *The shared scopes' cache*).

Why it is right: a writer stamps every row it writes with its transaction's seq and raises
its scope's head to that seq in the same transaction (`fanout_store`; an object leaving a
scope raises the old scope's head too). So in any snapshot where a scope's head is `h`, its
rows with `seq <= h` are the same rows with the same bytes: the scope's content is a function
of `(epoch, scope, h)`, and a cache keyed by that can be neither stale nor wrong. What a
reader needs of a scope, by its own snapshot's head:

    snapshot   every live entry, by (section, key)           key (epoch, scope, h)
    changes    the entries written in (c, h], tombstones     key (epoch, scope, h), held
               too, by (seq, section, key)                   from a base <= c

The changes of a scope are kept from the lowest cursor that asked (a list from base `b`
serves any cursor `c >= b`); a cursor further back reads them again from there, unless
they are more than `MAX_CHANGES` rows (then the store serves that sync, uncached).
Compaction deletes only tombstones below the horizon, and a delta's cursor is never below it,
so a list holding such a tombstone still answers every cursor it may be asked for.

Concurrent readers of the same version wait for one read (2,000 agents' deltas after a price
change read the changed prices once per replica). Least recently used versions are dropped
past `max_bytes`.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

MAX_CHANGES = 20_000  # entries of one scope's changes list kept; longer lists are not cached
DEFAULT_MAX_BYTES = 256 * 1024 * 1024

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of a page as it is sent (`{"key", "scope", "data" | "deleted"}`), with its
    place in the orders pages use."""

    section: str
    key: str
    seq: int
    data: bytes
    scope: str = ""  # where a page mixes scopes (read from the store); "" in the cache


@dataclass(frozen=True, slots=True)
class _Changes:
    base: int  # the entries written after it, up to the head
    entries: tuple[Entry, ...]  # by (seq, section, key)


class SharedScopes:
    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._snapshots: OrderedDict[tuple[str, str, int], tuple[Entry, ...]] = OrderedDict()
        self._changes: OrderedDict[tuple[str, str, int], _Changes] = OrderedDict()
        self._bytes = 0
        self._reading: dict[tuple[str, str, str, int, int], asyncio.Future[object]] = {}
        self.reads = 0  # store reads made to fill the cache (for tests and the benchmark)

    async def snapshot(
        self,
        epoch: str,
        scope: str,
        head: int,
        read: Callable[[], Awaitable[Sequence[Entry]]],
    ) -> tuple[Entry, ...]:
        """The scope's live entries at `head`, by (section, key); `read` reads them from the
        store (in the caller's snapshot, whose head of `scope` is `head`) when not held."""
        key = (epoch, scope, head)
        held = self._snapshots.get(key)
        if held is not None:
            self._snapshots.move_to_end(key)
            return held

        async def fill() -> tuple[Entry, ...]:
            self.reads += 1
            entries = tuple(await read())
            self._drop_older(self._snapshots, epoch, scope)
            self._snapshots[key] = entries
            self._added(entries)
            return entries

        return await self._once(("snapshot", epoch, scope, head, 0), fill)

    async def changes(
        self,
        epoch: str,
        scope: str,
        head: int,
        c: int,
        read: Callable[[int], Awaitable[Sequence[Entry] | None]],
    ) -> tuple[Entry, ...] | None:
        """The scope's entries written in (c, head], by (seq, section, key), possibly with
        earlier ones (the caller skips those at or below its cursor); None when there are more
        than `MAX_CHANGES` (the caller reads the store itself). `read(c)` reads the entries
        written after `c`, or None past `MAX_CHANGES`."""
        key = (epoch, scope, head)
        held = self._changes.get(key)
        if held is not None and held.base <= c:
            self._changes.move_to_end(key)
            return held.entries

        async def fill() -> tuple[Entry, ...] | None:
            self.reads += 1
            entries = await read(c)
            if entries is None:
                return None
            current = self._changes.get(key)
            if current is not None and current.base <= c:
                return current.entries  # a reader from further back filled it meanwhile
            if current is not None:
                self._removed(current)
                del self._changes[key]
            self._drop_older(self._changes, epoch, scope)
            kept = _Changes(c, tuple(entries))
            self._changes[key] = kept
            self._added(kept)
            return kept.entries

        return await self._once(("changes", epoch, scope, head, c), fill)

    @property
    def size(self) -> int:
        """Bytes of entries held."""
        return self._bytes

    async def _once(
        self, key: tuple[str, str, str, int, int], fill: Callable[[], Awaitable[T]]
    ) -> T:
        """`fill()`, once for all the readers asking the same thing at the same time."""
        pending = self._reading.get(key)
        if pending is not None:
            return cast(T, await asyncio.shield(pending))
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._reading[key] = future
        try:
            result = await fill()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: the waiters, if any, raise it themselves
            raise
        else:
            future.set_result(result)
            return result
        finally:
            del self._reading[key]

    def _drop_older(
        self, held: OrderedDict[tuple[str, str, int], Any], epoch: str, scope: str
    ) -> None:
        """Other versions of `scope` (and anything of another epoch) before one is added: a
        head only grows, so an older version is asked again only by a page continuing an
        older sync, and such a page reads the store (its snapshot's head is past its high)."""
        for key in [k for k in held if k[0] != epoch or k[1] == scope]:
            self._removed(held.pop(key))

    def _added(self, value: _Held) -> None:
        self._bytes += _size(value)
        # Past the budget: the least recently used snapshots go first (a bundle re-reads a
        # whole scope anyway), then the least recently used changes.
        while self._bytes > self.max_bytes and (self._snapshots or self._changes):
            held: OrderedDict[tuple[str, str, int], Any] = (
                self._snapshots if self._snapshots else self._changes
            )
            _, value = held.popitem(last=False)
            self._removed(value)

    def _removed(self, value: _Held) -> None:
        self._bytes -= _size(value)


_Held = tuple[Entry, ...] | _Changes


def _size(value: _Held) -> int:
    entries = value.entries if isinstance(value, _Changes) else value
    return sum(len(e.data) for e in entries)
