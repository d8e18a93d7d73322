"""Topology: the services' declarations are collected and sane, apply() is idempotent and
updates drifted config."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from nats.aio.client import Client

from fieldline_kit.messaging import topology
from fieldline_kit.messaging.consumer import BACKOFF_METADATA_KEY
from fieldline_kit.messaging.topology import ConsumerSpec, StreamSpec, apply
from fieldline_kit.testing.nats_server import EmbeddedNats

if TYPE_CHECKING:
    from conftest import Ctx


async def test_apply_is_idempotent_and_updates_changed_config(nc: Client, ctx: Ctx) -> None:
    # `ctx` already applied its stream once; applying it again changes nothing.
    js = nc.jetstream()
    durable = f"kit-{ctx.name}"
    consumer = ConsumerSpec(durable, ctx.stream, (ctx.subject("ClientCreated"),), max_deliver=4)

    first = await apply(nc, [ctx.spec], [consumer])
    assert [(c.kind, c.action) for c in first] == [("stream", "unchanged"), ("consumer", "created")]
    second = await apply(nc, [ctx.spec], [consumer])
    assert [c.action for c in second] == ["unchanged", "unchanged"]

    changed = ConsumerSpec(
        durable,
        ctx.stream,
        (ctx.subject("ClientCreated"), ctx.subject("ClientChanged")),
        ack_wait_seconds=10,
        max_deliver=7,
        backoff_seconds=(2.0, 4.0),
    )
    plan = await apply(nc, [ctx.spec], [changed], dry_run=True)
    assert plan[1].action == "updated"
    assert (await js.consumer_info(ctx.stream, durable)).config.max_deliver == 4  # untouched

    third = await apply(nc, [ctx.spec], [changed])
    assert third[1].action == "updated"
    assert set(third[1].differences) == {"filter_subjects", "ack_wait", "max_deliver", "metadata"}
    info = (await js.consumer_info(ctx.stream, durable)).config
    assert info.max_deliver == 7 and info.ack_wait == 10
    assert sorted(info.filter_subjects or []) == sorted(changed.filter_subjects)
    assert info.metadata is not None and info.metadata[BACKOFF_METADATA_KEY] == "2,4"
    assert not info.backoff  # JetStream's own backoff would override ack_wait
    assert [c.action for c in await apply(nc, [ctx.spec], [changed])] == ["unchanged"] * 2

    wider = StreamSpec(
        ctx.stream, (f"{ctx.name}.events.v1.>", f"{ctx.name}.events.v2.>"), max_age_days=2
    )
    update = await apply(nc, [wider], [])
    assert update[0].action == "updated"
    assert set(update[0].differences) == {"subjects", "max_age"}
    assert (await apply(nc, [wider], []))[0].action == "unchanged"


def test_cli_applies_the_system_topology(tmp_path: Path) -> None:
    server = EmbeddedNats(tmp_path / "nats")
    server.start_blocking()
    try:
        env = {**os.environ, "FIELDLINE_NATS_URL": server.url, "FIELDLINE_NATS_REPLICAS": "1"}
        cmd = [sys.executable, "-W", "error::RuntimeWarning", "-m", topology.__name__]
        plan = subprocess.run([*cmd, "plan"], env=env, capture_output=True, text=True, timeout=60)
        assert plan.returncode == 0, plan.stderr
        assert "stream CLIENTS: created" in plan.stdout and "plan" in plan.stdout
        first = subprocess.run([*cmd, "apply"], env=env, capture_output=True, text=True, timeout=60)
        assert first.returncode == 0, first.stderr
        assert "stream CLIENTS: created" in first.stdout
        assert "consumer settlements-orders: created" in first.stdout
        again = subprocess.run([*cmd, "apply"], env=env, capture_output=True, text=True, timeout=60)
        assert again.returncode == 0, again.stderr
        lines = again.stdout.strip().splitlines()
        system = topology.declared()
        assert len(lines) == len(system.streams) + len(system.consumers)
        assert all(line.endswith(": unchanged") for line in lines)
    finally:
        server.stop_blocking()
