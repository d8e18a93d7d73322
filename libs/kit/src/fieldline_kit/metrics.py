"""Prometheus metrics of the platform kit, registered once in the default registry.

Metric objects live at module level (prometheus-client's registry is process-global, and
registering the same name twice raises); everything else is built in `bootstrap()`.

Messaging:
- `fieldline_outbox_published_total{service,subject}`: events the relay got a PubAck for.
- `fieldline_outbox_publish_failures_total{service}`: publish attempts that failed (the row
  stays unpublished and is retried; `attempts`/`last_error` on the row say why).
- `fieldline_outbox_unpublished_events{service}` and
  `fieldline_outbox_oldest_unpublished_age_seconds{service}`: outbox lag; alert on the age.
- `fieldline_consumer_processed_total{consumer,outcome}`: outcome is applied, duplicate,
  skipped, retried or dead_lettered.
- `fieldline_consumer_handler_seconds{consumer,event_type}`: handler + commit duration.
- `fieldline_follower_following{follower}`: 1 while a `StreamFollower` vouches it has seen
  every event since it started following, else 0 (alert when 0 for long).
- `fieldline_follower_received_total{follower}`, `fieldline_follower_lost_total{follower}`:
  events received; times it lost track (disconnect, gap, failed apply) and started over.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

OUTBOX_PUBLISHED = Counter(
    "fieldline_outbox_published",
    "Outbox events published to JetStream (PubAck received)",
    ["service", "subject"],
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "fieldline_outbox_publish_failures",
    "Failed attempts to publish an outbox event (retried)",
    ["service"],
)
OUTBOX_UNPUBLISHED = Gauge(
    "fieldline_outbox_unpublished_events",
    "Outbox rows not yet published",
    ["service"],
    multiprocess_mode="livemax",
)
OUTBOX_OLDEST_AGE = Gauge(
    "fieldline_outbox_oldest_unpublished_age_seconds",
    "Age of the oldest unpublished outbox row (0 when the outbox is drained)",
    ["service"],
    multiprocess_mode="livemax",
)

CONSUMER_PROCESSED = Counter(
    "fieldline_consumer_processed",
    "Integration events handled by a consumer, by outcome",
    ["consumer", "outcome"],
)
CONSUMER_HANDLER_SECONDS = Histogram(
    "fieldline_consumer_handler_seconds",
    "Time to apply one event: handler plus commit",
    ["consumer", "event_type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)

FOLLOWER_FOLLOWING = Gauge(
    "fieldline_follower_following",
    "1 while the stream follower has seen every event since it started following",
    ["follower"],
    multiprocess_mode="livemax",
)
FOLLOWER_RECEIVED = Counter(
    "fieldline_follower_received",
    "Events received by a stream follower",
    ["follower"],
)
FOLLOWER_LOST = Counter(
    "fieldline_follower_lost",
    "Times a stream follower lost track of its stream and started over",
    ["follower"],
)
