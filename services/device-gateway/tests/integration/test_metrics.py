"""What the gateway reports on its metrics port after real traffic: syncs, bundle sizes,
upload results by kind, fan-out lag, tokens, devices (docs/contexts/device-gateway.md,
*Metrics*)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline_kit.testing.helpers import eventually

from .gateway_harness import GatewaySystem, system_fixture  # noqa: F401


def _sum(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name) or line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            total += float(value)
    return total


async def test_syncs_uploads_lag_tokens_and_devices_are_counted(system: GatewaySystem) -> None:
    boss = await system.employee(cpb.ROLE_SUPERVISOR)
    agent = await system.employee(cpb.ROLE_AGENT, boss)
    route = await system.api.route_of(agent)
    _client, outlet = await system.api.client_with_outlet(901)
    await system.api.assign(route, outlet.id)
    tokens = await system.device_of(boss, agent)
    headers = {"Authorization": f"Bearer {tokens['accessToken']}"}
    assert (await system.http.get("/v1/sync", headers=headers)).status_code == 200
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    batch = {
        "batchId": str(uuid.uuid4()),
        "sentAt": now,
        "documents": [
            {
                "kind": "visitCheckIn",
                "documentId": str(uuid.uuid4()),
                "createdAt": now,
                "visitId": str(uuid.uuid4()),
                "outletId": outlet.id,
                "time": now,
                "date": datetime.now(UTC).astimezone(system.gateway.app.tz).date().isoformat(),
            }
        ],
    }
    assert (await system.http.post("/v1/uploads", json=batch, headers=headers)).status_code == 200
    port = system.gateway.process.metrics_port

    async def scraped() -> bool:
        text = (await system.http.get(f"http://127.0.0.1:{port}/metrics")).text
        return (
            _sum(text, "fieldline_gateway_syncs_total", mode="full") >= 1
            and _sum(text, "fieldline_gateway_bundle_bytes_count") >= 1
            and _sum(text, "fieldline_gateway_uploads_total", kind="visitCheckIn") >= 1
            and _sum(text, "fieldline_gateway_fanout_lag_seconds_count", stream="CLIENTS") >= 1
            and _sum(text, "fieldline_gateway_tokens_total", outcome="activated") >= 1
            and _sum(text, "fieldline_gateway_devices", status="active") >= 1
            and _sum(text, "fieldline_gateway_http_requests_total", operation="sync") >= 1
        )

    await eventually(scraped, within=15, what="the gateway's metrics to show the traffic")
