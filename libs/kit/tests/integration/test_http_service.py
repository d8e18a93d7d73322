"""An HTTP service's process (`HttpServiceSpec`): it answers once ready, fails readiness from
the stop signal on while requests in flight finish, and stops cleanly (a real uvicorn server,
a real database, a real NATS)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from fieldline_kit.app import ServiceApp
from fieldline_kit.db import new_metadata
from fieldline_kit.event_mapper import EventMapper
from fieldline_kit.http_service import HttpServiceSettings, HttpServiceSpec, Readiness
from fieldline_kit.tables import add_kit_tables
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.helpers import eventually
from fieldline_kit.testing.nats_server import EmbeddedNats
from fieldline_kit.uow import UnitOfWork

metadata = new_metadata()
kit = add_kit_tables(metadata)


class _Events(EventMapper):
    subject_prefix = "kittest.events.v1"


def _asgi(release: asyncio.Event) -> Any:
    def build(_app: Any, readiness: Readiness) -> Any:
        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] == "lifespan":
                while (await receive())["type"] != "lifespan.shutdown":
                    await send({"type": "lifespan.startup.complete"})
                await send({"type": "lifespan.shutdown.complete"})
                return
            if scope["path"] == "/slow":
                await release.wait()
            status = 200 if scope["path"] != "/readyz" or readiness.ready else 503
            await send({"type": "http.response.start", "status": status, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

        return app

    return build


async def test_ready_then_draining_then_stopped(
    db_factory: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    url = await db_factory.create()
    release = asyncio.Event()

    def bootstrap(settings: HttpServiceSettings) -> ServiceApp[Any, Any]:
        return ServiceApp(settings, uow_class=UnitOfWork, tables=kit, mapper=_Events())

    spec: HttpServiceSpec[HttpServiceSettings, Any] = HttpServiceSpec(
        name="kit-http-test",
        settings=HttpServiceSettings,
        prefix="KITHTTP",
        migrations=Path("."),
        bootstrap=bootstrap,
        asgi=_asgi(release),
    )
    settings = HttpServiceSettings(
        database_url=url,
        nats_url=nats_server.url,
        http_host="127.0.0.1",
        http_port=0,
        grpc_host="127.0.0.1",
        metrics_port=0,
        drain_delay_seconds=0.5,
        shutdown_grace_seconds=5,
    )
    process, _ = await spec.build(settings)
    task = asyncio.create_task(process.run(install_signal_handlers=False))
    await asyncio.wait_for(process.ready.wait(), 20)
    base = f"http://127.0.0.1:{process.http_port}"
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        assert (await http.get("/readyz")).status_code == 200
        metrics = await http.get(f"http://127.0.0.1:{process.metrics_port}/metrics")
        assert "fieldline_db_pool_max_connections" in metrics.text
        in_flight = asyncio.create_task(http.get("/slow"))
        await asyncio.sleep(0.1)
        process.stop_requested.set()  # as SIGTERM does
        await eventually(lambda: _status(http, "/readyz", 503), within=2, what="readiness failing")
        release.set()
        assert (await in_flight).status_code == 200  # finished during the drain
    await asyncio.wait_for(task, 20)
    async with httpx.AsyncClient(timeout=2) as http:
        try:
            await http.get(f"{base}/readyz")
            raise AssertionError("the server still answers after its stop")
        except httpx.ConnectError:
            pass


async def _status(http: httpx.AsyncClient, path: str, status: int) -> bool:
    return (await http.get(path)).status_code == status
