"""What the clients service owns on JetStream (collected by `fieldline_kit.messaging.topology`).

The CLIENTS stream carries its integration events. It binds to no durable consumer: the visit
plan cache's stream follower reads with an ordered, ephemeral consumer of its own.
"""

from fieldline_kit.messaging.topology import Topology, events_stream

SUBJECT_PREFIX = "clients.events.v1"
STREAM = events_stream("CLIENTS", "clients", "clients & territory integration events")

TOPOLOGY = Topology(streams=(STREAM,))
