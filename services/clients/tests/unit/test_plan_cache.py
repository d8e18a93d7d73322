"""The visit plan cache as a data structure: lookups, bounds, invalidation, stale-put guard."""

from __future__ import annotations

from datetime import date

import pytest

from fieldline.clients.events.v1 import events_pb2 as ev
from fieldline.clients.v1 import resources_pb2 as pb
from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline_clients.adapters.plan_cache import Invalidation, PlanCache, invalidation_of
from fieldline_kit.uow import IntegrationEvent

DAY = date(2026, 11, 2)
NEXT = date(2026, 11, 3)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def live_cache(clock: Clock, ttl: float = 60.0, **kw: int) -> PlanCache:
    cache = PlanCache(ttl, clock=clock, **kw)
    cache.resume()
    return cache


def put(cache: PlanCache, agent: str, day: date, body: bytes, *outlets: str) -> bool:
    return cache.put(cache.ticket(), agent, day, body, outlets)


# ---------------------------------------------------------------------------------- lookups
def test_a_stored_plan_is_served_until_it_expires(clock: Clock) -> None:
    cache = live_cache(clock, ttl=30)
    assert cache.get("a", DAY) is None
    assert put(cache, "a", DAY, b"plan", "o1")
    assert cache.get("a", DAY) == b"plan"
    assert cache.get("a", NEXT) is None and cache.get("b", DAY) is None
    clock.now += 29.9
    assert cache.get("a", DAY) == b"plan"
    clock.now += 0.1
    assert cache.get("a", DAY) is None
    assert len(cache) == 0 and cache.size_bytes == 0
    assert (cache.hits, cache.misses) == (2, 4)


def test_a_zero_ttl_disables_the_cache(clock: Clock) -> None:
    cache = PlanCache(0, clock=clock)
    cache.resume()
    assert not cache.enabled and not cache.live
    assert not put(cache, "a", DAY, b"plan")
    assert cache.get("a", DAY) is None and cache.bypasses == 1


def test_nothing_is_cached_before_resume_or_after_suspend(clock: Clock) -> None:
    cache = PlanCache(60, clock=clock)
    assert not put(cache, "a", DAY, b"plan")  # the follower is not following yet
    assert cache.get("a", DAY) is None and cache.bypasses == 1
    cache.resume()
    assert put(cache, "a", DAY, b"plan")
    cache.suspend()
    assert len(cache) == 0 and not cache.live
    assert cache.get("a", DAY) is None
    assert not put(cache, "a", DAY, b"plan")
    cache.resume()
    assert cache.get("a", DAY) is None  # resuming starts from empty
    assert put(cache, "a", DAY, b"plan")


def test_least_recently_used_plans_go_first_when_full(clock: Clock) -> None:
    cache = live_cache(clock, max_entries=2)
    put(cache, "a", DAY, b"A", "o1")
    put(cache, "b", DAY, b"B", "o1")
    assert cache.get("a", DAY) == b"A"  # "b" is now the least recently used
    put(cache, "c", DAY, b"C", "o2")
    assert ("b", DAY) not in cache
    assert ("a", DAY) in cache and ("c", DAY) in cache
    # The evicted plan left the reverse index too: o1 now only points at "a".
    cache.invalidate(Invalidation(outlets=("o1",)))
    assert ("a", DAY) not in cache and ("c", DAY) in cache


def test_the_byte_budget_bounds_the_cache(clock: Clock) -> None:
    cache = live_cache(clock, max_bytes=10)
    put(cache, "a", DAY, b"12345")
    put(cache, "b", DAY, b"12345")
    assert cache.size_bytes == 10
    put(cache, "c", DAY, b"123")
    assert ("a", DAY) not in cache and cache.size_bytes == 8
    assert not put(cache, "d", DAY, b"x" * 11)  # larger than the whole budget: not stored
    assert cache.size_bytes == 8


def test_replacing_a_plan_updates_its_indexes(clock: Clock) -> None:
    cache = live_cache(clock)
    put(cache, "a", DAY, b"old", "o1")
    put(cache, "a", DAY, b"new", "o2")
    assert cache.size_bytes == 3
    cache.invalidate(Invalidation(outlets=("o1",)))
    assert cache.get("a", DAY) == b"new"
    cache.invalidate(Invalidation(outlets=("o2",)))
    assert cache.get("a", DAY) is None


# ----------------------------------------------------------------------------- invalidation
def test_an_agent_invalidation_drops_all_its_dates_only(clock: Clock) -> None:
    cache = live_cache(clock)
    put(cache, "a", DAY, b"1", "o1")
    put(cache, "a", NEXT, b"2", "o1")
    put(cache, "b", DAY, b"3", "o1")
    cache.invalidate(Invalidation(agents=("a",)))
    assert len(cache) == 1 and ("b", DAY) in cache


def test_an_outlet_invalidation_drops_the_plans_built_from_it(clock: Clock) -> None:
    cache = live_cache(clock)
    put(cache, "a", DAY, b"1", "o1", "o2")
    put(cache, "b", DAY, b"2", "o2", "o3")
    put(cache, "c", DAY, b"3", "o4")
    cache.invalidate(Invalidation(outlets=("o2",)))
    assert [k for k in (("a", DAY), ("b", DAY), ("c", DAY)) if k in cache] == [("c", DAY)]
    cache.invalidate(Invalidation(outlets=("unknown",)))
    assert len(cache) == 1


def visit(agent: str) -> pb.Visit:
    return pb.Visit(id="v", agent_id=agent, outlet_id="o9")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (ev.RouteAssignmentChanged(agent_id="a1"), Invalidation(agents=("a1",))),
        (ev.RouteChanged(route=pb.Route(agent_id="a2")), Invalidation(agents=("a2",))),
        (  # handed over: the route leaves the old agent's plans and enters the new one's
            ev.RouteChanged(route=pb.Route(agent_id="a2"), previous_agent_id="a1"),
            Invalidation(agents=("a2", "a1")),
        ),
        (ev.OutletCreated(outlet=pb.Outlet(id="o1")), Invalidation(outlets=("o1",))),
        (ev.OutletChanged(outlet=pb.Outlet(id="o2")), Invalidation(outlets=("o2",))),
        (ev.VisitStarted(visit=visit("a3")), Invalidation(agents=("a3",))),
        (ev.VisitCompleted(visit=visit("a4")), Invalidation(agents=("a4",))),
        (ev.VisitMissed(visit=visit("a5")), Invalidation(agents=("a5",))),
        (ev.ClientCreated(client=pb.Client(id="c")), Invalidation()),
        (ev.EmployeeChanged(employee=pb.Employee(id="a1")), Invalidation()),
        (ev.AuditSubmitted(audit=pb.Audit(agent_id="a1")), Invalidation()),
    ],
)
def test_which_events_invalidate_what(message: object, expected: Invalidation) -> None:
    assert invalidation_of(message) == expected  # type: ignore[arg-type]


def test_local_commits_invalidate(clock: Clock) -> None:
    cache = live_cache(clock)
    put(cache, "a", DAY, b"1", "o1")
    put(cache, "b", DAY, b"2", "o2")
    events = [
        IntegrationEvent("s", ev.VisitStarted(visit=visit("a")), "visit", "v", 1),
        IntegrationEvent("s", ev.ClientCreated(), "client", "c", 1),
    ]
    cache.committed(events)
    assert ("a", DAY) not in cache and ("b", DAY) in cache


def envelope(message: object) -> EventEnvelope:
    env = EventEnvelope(event_id="e1", aggregate_id="x", aggregate_version=1)
    env.payload.Pack(message)  # type: ignore[arg-type]
    return env


def test_events_from_the_stream_invalidate(clock: Clock) -> None:
    cache = live_cache(clock)
    put(cache, "a", DAY, b"1", "o1")
    put(cache, "b", DAY, b"2", "o2")
    cache.apply_envelope(envelope(ev.ClientCreated(client=pb.Client(id="o2"))))
    assert len(cache) == 2
    cache.apply_envelope(envelope(ev.OutletChanged(outlet=pb.Outlet(id="o2"))))
    assert ("a", DAY) in cache and ("b", DAY) not in cache


def test_own_events_coming_back_from_the_stream_are_skipped(clock: Clock) -> None:
    cache = live_cache(clock)
    started = ev.VisitStarted(visit=visit("a"))
    cache.committed([IntegrationEvent("s", started, "visit", "v", 1, event_id="e-own")])
    assert put(cache, "a", DAY, b"read after the commit")
    own = envelope(started)
    own.event_id = "e-own"
    cache.apply_envelope(own)
    assert cache.get("a", DAY) == b"read after the commit"
    cache.apply_envelope(own)  # remembered once: a second copy counts again
    assert cache.get("a", DAY) is None
    assert put(cache, "a", DAY, b"again")
    cache.apply_envelope(envelope(started))  # same content from another replica
    assert cache.get("a", DAY) is None


def test_an_undecodable_relevant_event_clears_everything(clock: Clock) -> None:
    cache = live_cache(clock)
    put(cache, "a", DAY, b"1", "o1")
    env = envelope(ev.OutletChanged(outlet=pb.Outlet(id="o2")))
    env.payload.value = b"\xff\xff\xff"
    ticket = cache.ticket()
    cache.apply_envelope(env)
    assert len(cache) == 0 and cache.live
    assert not cache.put(ticket, "a", DAY, b"read before", ["o1"])


# ------------------------------------------------------------------------ stale-put guard
def test_a_plan_read_before_an_invalidation_of_it_is_not_stored(clock: Clock) -> None:
    cache = live_cache(clock)
    ticket = cache.ticket()  # the reader starts reading the old plan ...
    cache.invalidate(Invalidation(agents=("a",)))  # ... a write commits meanwhile
    assert not cache.put(ticket, "a", DAY, b"stale", ["o1"])
    ticket = cache.ticket()
    cache.invalidate(Invalidation(outlets=("o1",)))
    assert not cache.put(ticket, "b", DAY, b"stale", ["o1", "o2"])
    assert len(cache) == 0


def test_unrelated_invalidations_meanwhile_do_not_block_a_put(clock: Clock) -> None:
    cache = live_cache(clock)
    ticket = cache.ticket()
    cache.invalidate(Invalidation(agents=("other",), outlets=("o7",)))
    assert cache.put(ticket, "a", DAY, b"fresh", ["o1"])
    assert cache.get("a", DAY) == b"fresh"


def test_a_put_across_a_suspension_is_refused(clock: Clock) -> None:
    cache = live_cache(clock)
    ticket = cache.ticket()
    cache.suspend()
    cache.resume()
    assert not cache.put(ticket, "a", DAY, b"maybe stale", ["o1"])
    assert cache.put(cache.ticket(), "a", DAY, b"fresh", ["o1"])


def test_a_ticket_older_than_the_remembered_invalidations_is_refused(clock: Clock) -> None:
    cache = PlanCache(60, clock=clock, history=3)
    cache.resume()
    ticket = cache.ticket()
    for i in range(3):
        cache.invalidate(Invalidation(agents=(f"x{i}",)))
    assert cache.put(ticket, "a", DAY, b"ok", ["o1"])  # all three remembered: none is "a"
    ticket = cache.ticket()
    for i in range(4):
        cache.invalidate(Invalidation(agents=(f"y{i}",)))
    assert not cache.put(ticket, "a", DAY, b"?", ["o1"])  # one was forgotten: cannot tell
