"""JetStream streams and consumers: each service declares its own, this applies them all.

A service declares what it owns in its `topology.py` — its stream (`<context>.events.v1.>`)
and the durable consumers it binds to — as a `Topology`, and names it under the entry-point
group `fieldline.topology` in its pyproject. `declared()` collects every installed service's
declaration; the kit itself names no service.

Applied at deploy time, never from application code:

    FIELDLINE_NATS_URL=nats://… [FIELDLINE_NATS_REPLICAS=3] \\
        python -m fieldline_kit.messaging.topology apply      # or: plan (dry run)

(the Helm pre-install/pre-upgrade hook Job and the local runner do exactly this). `apply()` is
idempotent: it creates what is missing, updates what differs and leaves the rest alone.
Services only bind to their consumers (`EventConsumer` → `pull_subscribe_bind`).

One stream per bounded context, subjects `<context>.events.v1.<EventName>`. A breaking event
change adds `<context>.events.v2.>` to the stream (published alongside v1 until every consumer
moved). Consumers are named `<consumer-service>-<purpose>` and filter the subjects they need.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from nats.aio.client import Client
from nats.js import JetStreamContext, api
from nats.js.errors import NotFoundError

from fieldline_kit.logging import configure_logging
from fieldline_kit.messaging.consumer import BACKOFF_METADATA_KEY
from fieldline_kit.messaging.nats import connect, jetstream, safe_url

MIN_DUPLICATE_WINDOW_SECONDS = 120.0
_DAY = 86400.0


@dataclass(frozen=True)
class StreamSpec:
    """A stream of one bounded context's integration events.

    `duplicate_window_seconds` bounds how late a re-published event (same Nats-Msg-Id, e.g.
    after a relay crash between PubAck and marking the row) is still dropped; it must cover
    the relay's retry horizon, so it is never below two minutes. `replicas=None` takes the
    deployment's value (FIELDLINE_NATS_REPLICAS / `apply(replicas=…)`, default 1).
    """

    name: str
    subjects: tuple[str, ...]
    description: str = ""
    duplicate_window_seconds: float = MIN_DUPLICATE_WINDOW_SECONDS
    max_age_days: float = 30.0
    storage: str = "file"
    replicas: int | None = None

    def __post_init__(self) -> None:
        if not self.subjects:
            raise ValueError(f"stream {self.name}: no subjects")
        if self.duplicate_window_seconds < MIN_DUPLICATE_WINDOW_SECONDS:
            raise ValueError(
                f"stream {self.name}: duplicate window must be at least "
                f"{MIN_DUPLICATE_WINDOW_SECONDS:.0f}s"
            )
        if self.storage not in ("file", "memory"):
            raise ValueError(f"stream {self.name}: storage must be 'file' or 'memory'")

    def config(self, replicas: int) -> api.StreamConfig:
        return api.StreamConfig(
            name=self.name,
            description=self.description or None,
            subjects=list(self.subjects),
            retention=api.RetentionPolicy.LIMITS,
            discard=api.DiscardPolicy.OLD,
            max_age=self.max_age_days * _DAY,
            duplicate_window=self.duplicate_window_seconds,
            storage=api.StorageType(self.storage),
            num_replicas=self.replicas or replicas,
        )


@dataclass(frozen=True)
class ConsumerSpec:
    """A durable pull consumer.

    `ack_wait_seconds`: how long one delivery may stay unacknowledged (the consumer sends
    in-progress heartbeats for slow handlers) before JetStream redelivers it.
    `backoff_seconds`: delays of the consumer's `nak(delay=…)` after a failed delivery
    (1st, 2nd, …; the last repeats). It is stored in the consumer's metadata, not as
    JetStream's `backoff`, because JetStream's `backoff` replaces `ack_wait` with its first
    step and would cut every handler's time budget to the first retry delay.
    `max_deliver`: deliveries before the consumer dead-letters the event.
    """

    durable: str
    stream: str
    filter_subjects: tuple[str, ...]
    description: str = ""
    ack_wait_seconds: float = 30.0
    max_deliver: int = 5
    backoff_seconds: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0)
    max_ack_pending: int = 1000

    def __post_init__(self) -> None:
        if not self.filter_subjects:
            raise ValueError(f"consumer {self.durable}: no filter subjects")
        if self.max_deliver < 1:
            raise ValueError(f"consumer {self.durable}: max_deliver must be at least 1")
        if any(b <= 0 for b in self.backoff_seconds):
            raise ValueError(f"consumer {self.durable}: backoff steps must be positive")

    def config(self) -> api.ConsumerConfig:
        single = len(self.filter_subjects) == 1
        return api.ConsumerConfig(
            durable_name=self.durable,
            description=self.description or None,
            deliver_policy=api.DeliverPolicy.ALL,
            ack_policy=api.AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait_seconds,
            max_deliver=self.max_deliver,
            filter_subject=self.filter_subjects[0] if single else None,
            filter_subjects=None if single else list(self.filter_subjects),
            max_ack_pending=self.max_ack_pending,
            metadata={BACKOFF_METADATA_KEY: ",".join(f"{b:g}" for b in self.backoff_seconds)},
        )


def events_stream(name: str, context: str, description: str) -> StreamSpec:
    """The stream of a bounded context's integration events: `<context>.events.v1.>`."""
    return StreamSpec(name, (f"{context}.events.v1.>",), description)


@dataclass(frozen=True)
class Topology:
    """What one service owns on JetStream: its streams and the consumers it binds to."""

    streams: tuple[StreamSpec, ...] = ()
    consumers: tuple[ConsumerSpec, ...] = ()

    @classmethod
    def merge(cls, parts: Iterable[Topology]) -> Topology:
        """Every part's streams and consumers; a name declared twice is refused."""
        streams: dict[str, StreamSpec] = {}
        consumers: dict[str, ConsumerSpec] = {}
        for part in parts:
            for s in part.streams:
                if s.name in streams:
                    raise ValueError(f"stream {s.name} is declared twice")
                streams[s.name] = s
            for c in part.consumers:
                if c.durable in consumers:
                    raise ValueError(f"consumer {c.durable} is declared twice")
                consumers[c.durable] = c
        merged = cls(tuple(streams.values()), tuple(consumers.values()))
        for c in merged.consumers:
            if c.stream not in streams:
                raise ValueError(f"consumer {c.durable} binds to stream {c.stream}, not declared")
        return merged


ENTRY_POINT_GROUP = "fieldline.topology"


def declared() -> Topology:
    """The topology of every installed service (entry points `fieldline.topology`), by name."""
    found = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
    parts = []
    for ep in found:
        part = ep.load()
        if not isinstance(part, Topology):
            raise TypeError(f"entry point {ep.name} ({ep.value}) is not a Topology")
        parts.append(part)
    return Topology.merge(parts)


# -- apply ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Change:
    kind: str  # "stream" | "consumer"
    name: str
    action: str  # "created" | "updated" | "unchanged" (with dry_run: what would happen)
    differences: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        diff = f" ({', '.join(self.differences)})" if self.differences else ""
        return f"{self.kind} {self.name}: {self.action}{diff}"


def _replicas_from_env() -> int:
    raw = os.environ.get("FIELDLINE_NATS_REPLICAS", "").strip()
    if not raw:
        return 1
    value = int(raw)
    if value not in (1, 3, 5):
        raise ValueError("FIELDLINE_NATS_REPLICAS must be 1, 3 or 5")
    return value


def _stream_differences(want: api.StreamConfig, have: api.StreamConfig) -> tuple[str, ...]:
    diffs = []
    if sorted(want.subjects or []) != sorted(have.subjects or []):
        diffs.append("subjects")
    for name in ("retention", "discard", "storage", "num_replicas"):
        if _norm(getattr(want, name)) != _norm(getattr(have, name)):
            diffs.append(name)
    for name in ("max_age", "duplicate_window"):
        if abs(float(getattr(want, name) or 0) - float(getattr(have, name) or 0)) > 1e-6:
            diffs.append(name)
    if (want.description or "") != (have.description or ""):
        diffs.append("description")
    return tuple(diffs)


def _consumer_differences(want: api.ConsumerConfig, have: api.ConsumerConfig) -> tuple[str, ...]:
    diffs = []
    if sorted(_filters(want)) != sorted(_filters(have)):
        diffs.append("filter_subjects")
    for name in ("ack_policy", "deliver_policy", "max_deliver", "max_ack_pending"):
        if _norm(getattr(want, name)) != _norm(getattr(have, name)):
            diffs.append(name)
    if abs(float(want.ack_wait or 0) - float(have.ack_wait or 0)) > 1e-6:
        diffs.append("ack_wait")
    if list(want.backoff or []) != list(have.backoff or []):
        diffs.append("backoff")
    if _user_metadata(want.metadata) != _user_metadata(have.metadata):
        diffs.append("metadata")
    if (want.description or "") != (have.description or ""):
        diffs.append("description")
    return tuple(diffs)


def _filters(c: api.ConsumerConfig) -> list[str]:
    if c.filter_subjects:
        return list(c.filter_subjects)
    return [c.filter_subject] if c.filter_subject else []


def _user_metadata(md: dict[str, str] | None) -> dict[str, str]:
    # The server adds its own `_nats.*` keys.
    return {k: v for k, v in (md or {}).items() if not k.startswith("_nats.")}


def _norm(value: Any) -> Any:
    return getattr(value, "value", value)


async def apply(
    nc_or_js: Client | JetStreamContext,
    streams: Sequence[StreamSpec] | None = None,
    consumers: Sequence[ConsumerSpec] | None = None,
    *,
    replicas: int | None = None,
    dry_run: bool = False,
) -> list[Change]:
    """Create or update the streams, then the consumers (default: `declared()`); report what
    was done."""
    if streams is None or consumers is None:
        system = declared()
        streams = system.streams if streams is None else streams
        consumers = system.consumers if consumers is None else consumers
    js = jetstream(nc_or_js)
    default_replicas = replicas if replicas is not None else _replicas_from_env()
    changes: list[Change] = []
    for s in streams:
        want = s.config(default_replicas)
        try:
            have = (await js.stream_info(s.name)).config
        except NotFoundError:
            if not dry_run:
                await js.add_stream(want)
            changes.append(Change("stream", s.name, "created"))
            continue
        diffs = _stream_differences(want, have)
        if diffs and not dry_run:
            await js.update_stream(want)
        changes.append(Change("stream", s.name, "updated" if diffs else "unchanged", diffs))
    for c in consumers:
        want_c = c.config()
        try:
            have_c = (await js.consumer_info(c.stream, c.durable)).config
        except NotFoundError:
            if not dry_run:
                await js.add_consumer(c.stream, want_c)
            changes.append(Change("consumer", c.durable, "created"))
            continue
        diffs = _consumer_differences(want_c, have_c)
        if diffs and not dry_run:
            # Creating a durable that exists with a different config updates it in place
            # (the server refuses changes it cannot make, e.g. deliver_policy).
            await js.add_consumer(c.stream, want_c)
        changes.append(Change("consumer", c.durable, "updated" if diffs else "unchanged", diffs))
    return changes


# -- CLI --------------------------------------------------------------------------------------
async def _main_async(args: argparse.Namespace) -> int:
    url = args.url or os.environ.get("FIELDLINE_NATS_URL", "")
    if not url:
        print("FIELDLINE_NATS_URL (or --url) is required", file=sys.stderr)
        return 2
    replicas = args.replicas if args.replicas is not None else _replicas_from_env()
    try:
        async with asyncio.timeout(args.timeout):
            nc = await connect(url, "fieldline-topology")
    except TimeoutError:
        print(f"could not connect to NATS at {safe_url(url)} in {args.timeout}s", file=sys.stderr)
        return 1
    try:
        changes = await apply(nc, replicas=replicas, dry_run=args.command == "plan")
    finally:
        await nc.close()
    prefix = "[plan, nothing applied] " if args.command == "plan" else ""
    for change in changes:
        print(f"{prefix}{change}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fieldline_kit.messaging.topology",
        description="Declare Fieldline's JetStream streams and consumers (idempotent).",
    )
    parser.add_argument("command", choices=["apply", "plan"], help="apply, or plan (dry run)")
    parser.add_argument("--url", help="NATS URL (default: $FIELDLINE_NATS_URL)")
    parser.add_argument(
        "--replicas", type=int, help="stream replicas (default: $FIELDLINE_NATS_REPLICAS or 1)"
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for NATS")
    args = parser.parse_args(argv)
    configure_logging("topology", fmt="console")  # logs to stderr; stdout is the report
    return asyncio.run(_main_async(args))


if __name__ == "__main__":
    # Run the module imported under its own name, so the services' declarations (which import
    # it) and this command share one `Topology` class.
    from fieldline_kit.messaging.topology import main as module_main

    sys.exit(module_main())
