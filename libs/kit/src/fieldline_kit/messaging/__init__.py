"""Integration events over NATS JetStream: outbox relay, inbox consumers, followers, topology.

Stream and consumer declarations live in `fieldline_kit.messaging.topology` (imported on its
own, so `python -m fieldline_kit.messaging.topology apply` runs it without a double import).
See docs/architecture/messaging.md.
"""

from fieldline_kit.messaging.consumer import (
    ConsumerNotDeclared,
    EventConsumer,
    Handler,
    PoisonMessage,
)
from fieldline_kit.messaging.follower import StreamFollower
from fieldline_kit.messaging.nats import connect, jetstream, safe_url
from fieldline_kit.messaging.relay import OutboxRelay

__all__ = [
    "ConsumerNotDeclared",
    "EventConsumer",
    "Handler",
    "OutboxRelay",
    "PoisonMessage",
    "StreamFollower",
    "connect",
    "jetstream",
    "safe_url",
]
