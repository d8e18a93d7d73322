"""Topology declarations: collected from the installed services, sane, names unique."""

from __future__ import annotations

import pytest

from fieldline_kit.messaging import topology
from fieldline_kit.messaging.topology import ConsumerSpec, StreamSpec


def test_the_installed_services_declarations_are_collected_and_sane() -> None:
    system = topology.declared()
    names = {s.name: s for s in system.streams}
    # Each service declares its own stream (the kit names none of them).
    assert {"CLIENTS", "ORDERS", "SETTLEMENTS"} <= set(names)
    assert names["CLIENTS"].subjects == ("clients.events.v1.>",)
    assert names["ORDERS"].subjects == ("orders.events.v1.>",)
    for s in system.streams:
        assert s.duplicate_window_seconds >= 120 and s.storage == "file"
    for c in system.consumers:  # every consumer reads a declared stream, subjects inside it
        stream = names[c.stream]
        prefixes = [p.removesuffix(">") for p in stream.subjects]
        assert all(any(f.startswith(p) for p in prefixes) for f in c.filter_subjects)
    assert {"orders-clients-feed", "settlements-orders"} <= {c.durable for c in system.consumers}


def test_a_name_declared_twice_or_a_consumer_of_an_unknown_stream_is_refused() -> None:
    stream = topology.events_stream("X", "x", "x events")
    consumer = ConsumerSpec("y-x", "X", ("x.events.v1.A",))
    with pytest.raises(ValueError, match="stream X is declared twice"):
        topology.Topology.merge([topology.Topology((stream,)), topology.Topology((stream,))])
    with pytest.raises(ValueError, match="consumer y-x is declared twice"):
        topology.Topology.merge(
            [topology.Topology((stream,), (consumer,)), topology.Topology((), (consumer,))]
        )
    with pytest.raises(ValueError, match="binds to stream X, not declared"):
        topology.Topology.merge([topology.Topology((), (consumer,))])


def test_specs_reject_unsafe_settings() -> None:
    with pytest.raises(ValueError, match="duplicate window"):
        StreamSpec("X", ("x.events.v1.>",), duplicate_window_seconds=30)
    with pytest.raises(ValueError, match="filter"):
        ConsumerSpec("x-y", "X", ())
    with pytest.raises(ValueError, match="max_deliver"):
        ConsumerSpec("x-y", "X", ("x.events.v1.A",), max_deliver=0)
