"""Health, reflection and metrics of a running settlements service."""

from __future__ import annotations

import asyncio
import urllib.request

from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_kit.testing.helpers import new_id

from .conftest import Harness

SERVICE = "fieldline.settlements.v1.SettlementsService"


async def test_health_and_reflection(svc: Harness) -> None:
    health = health_pb2_grpc.HealthStub(svc.channel)
    for name in ("", SERVICE):
        reply = await health.Check(health_pb2.HealthCheckRequest(service=name))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    reflection = reflection_pb2_grpc.ServerReflectionStub(svc.channel)
    responses = reflection.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")])
    )
    services = set()
    async for response in responses:
        services |= {s.name for s in response.list_services_response.service}
    assert {SERVICE, "grpc.health.v1.Health"} <= services


def _metrics(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return str(response.read().decode())


async def test_metrics_count_calls(svc: Harness) -> None:
    await svc.settlements.GetBalance(ss.GetBalanceRequest(client_id=new_id()))
    text = await asyncio.to_thread(_metrics, svc.process.metrics_port)
    method = f"/{SERVICE}/GetBalance"
    assert (
        f'fieldline_grpc_server_handled_total{{grpc_code="OK",grpc_method="{method}",'
        'service="settlements"}' in text
    )
