"""Prometheus metrics of the platform kit, registered once in the default registry.

Metric objects live at module level (prometheus-client's registry is process-global, and
registering the same name twice raises); everything else is built in `bootstrap()`.

gRPC (defined in `fieldline_kit.grpc.interceptor`, every unary RPC):
- `fieldline_grpc_server_handled_total{service,grpc_method,grpc_code}`,
  `fieldline_grpc_server_handling_seconds{service,grpc_method}`: outcomes and latency.
- `fieldline_grpc_server_in_flight_rpcs{service}`: RPCs being served now (0 from the start).

Each service's business figures are in its `adapters/metrics.py`, counted as they commit.

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
- `fieldline_consumer_pending_messages{consumer}`: messages of the durable consumer not yet
  delivered, as JetStream reported with the last message delivered to this process
  (`num_pending` of its metadata; at bind, of the consumer's info): the consumer's lag. With
  several replicas on one durable take the `max`.
- `fieldline_consumer_redelivered_total{consumer}`: deliveries of a message delivered before
  (`num_delivered > 1`: a nak, an ack that did not arrive in `ack_wait`, a process that died).

A consumer's children (`processed_total` of every outcome, `redelivered_total`) and a relay's
`publish_failures_total` exist at 0 from their start, so the first dead letter or failure is
an increase an alert can see.

Database (per service, from the process's engine; `fieldline_kit.db.watch_pool` and `probe`):
- `fieldline_db_pool_checked_out_connections{service}`: pool connections in use now.
- `fieldline_db_pool_max_connections{service}`: the most the pool opens (size + overflow);
  at that, a checkout waits (and fails after the pool timeout, 30 s).
- `fieldline_db_reachable{service}`: 1 while the process's probe (`SELECT 1` every few
  seconds, bounded by a timeout) succeeds, 0 once one failed or timed out; alert on 0.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool

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

CONSUMER_PENDING = Gauge(
    "fieldline_consumer_pending_messages",
    "Messages of the durable consumer not yet delivered (JetStream num_pending): its lag",
    ["consumer"],
    multiprocess_mode="livemax",
)
CONSUMER_REDELIVERED = Counter(
    "fieldline_consumer_redelivered",
    "Deliveries of a message that was delivered before (num_delivered > 1)",
    ["consumer"],
)
CONSUMER_OUTCOMES = ("applied", "duplicate", "skipped", "retried", "dead_lettered")

DB_REACHABLE = Gauge(
    "fieldline_db_reachable",
    "1 while the service's database answers its probe (SELECT 1), 0 once a probe failed",
    ["service"],
    multiprocess_mode="livemin",
)


class PoolCollector(Collector):
    """The connection pools of the engines `watch` was given, read at each scrape.

    The engines are held weakly (a test's disposed app does not linger), and the pool is read
    from the engine each time (`dispose()` gives an engine a new pool). A pool that is not a
    QueuePool (e.g. SQLite :memory:'s StaticPool) has no size to report and is left out.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._engines: dict[str, weakref.ref[Engine]] = {}

    def watch(self, service: str, engine: Engine) -> None:
        with self._lock:
            self._engines[service] = weakref.ref(engine)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        checked_out = GaugeMetricFamily(
            "fieldline_db_pool_checked_out_connections",
            "Database pool connections in use now",
            labels=["service"],
        )
        limit = GaugeMetricFamily(
            "fieldline_db_pool_max_connections",
            "The most connections the database pool opens (size + overflow)",
            labels=["service"],
        )
        with self._lock:
            engines = list(self._engines.items())
        for service, ref in engines:
            engine = ref()
            pool = engine.pool if engine is not None else None
            if not isinstance(pool, QueuePool):
                continue
            checked_out.add_metric([service], pool.checkedout())
            # QueuePool keeps max_overflow privately; -1 means no limit (never configured here).
            overflow = max(int(getattr(pool, "_max_overflow", 0)), 0)
            limit.add_metric([service], pool.size() + overflow)
        yield checked_out
        yield limit


DB_POOLS = PoolCollector()
REGISTRY.register(DB_POOLS)
