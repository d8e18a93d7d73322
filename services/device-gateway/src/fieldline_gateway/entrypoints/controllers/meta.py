"""What needs no access token: the protocol's facts, the device-token keys, the probes."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from litestar import Controller, Response, get
from litestar.di import NamedDependency

from fieldline_gateway.bootstrap import App
from fieldline_gateway.entrypoints import edge
from fieldline_gateway.entrypoints.problems import problem_response
from fieldline_gateway.entrypoints.schemas import LimitsOut, MetaOut
from fieldline_gateway.service_layer.health import database_ready
from fieldline_kit.http_service import Readiness

UPLOAD_BYTES = 4 * 1024 * 1024
PHOTO_CHUNK_BYTES = 4 * 1024 * 1024
READY_TIMEOUT = 1.0


class MetaController(Controller):
    tags = ["meta"]  # noqa: RUF012 - Litestar reads it per class

    @get("/v1/meta", operation_id="getProtocolInfo")
    async def meta(self, app: NamedDependency[App]) -> MetaOut:
        now = app.clock()
        return MetaOut(
            protocol=edge.PROTOCOL,
            server_time=now,
            timezone=app.settings.timezone,
            business_date=now.astimezone(app.tz).date().isoformat(),
            min_app_version=app.settings.min_app_version or None,
            limits=LimitsOut(
                upload_documents=app.settings.upload_max_documents,
                upload_bytes=UPLOAD_BYTES,
                photo_bytes=app.settings.photo_max_mb * 1024 * 1024,
                photo_chunk_bytes=PHOTO_CHUNK_BYTES,
                sync_per_minute=app.rate_limits["sync"],
                uploads_per_minute=app.rate_limits["upload"],
            ),
        )

    @get("/.well-known/jwks.json", operation_id="getJwks")
    async def jwks(self, app: NamedDependency[App]) -> dict[str, Any]:
        return dict(app.issuer.jwks())

    @get("/livez", operation_id="livez", include_in_schema=False)
    async def livez(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/readyz", operation_id="readyz", include_in_schema=False)
    async def readyz(
        self, app: NamedDependency[App], readiness: NamedDependency[Readiness]
    ) -> Response[Any]:
        if not readiness.ready:
            return problem_response(None, "unavailable", "not ready: starting or stopping")
        try:
            await asyncio.wait_for(database_ready(app), READY_TIMEOUT)
        except Exception as exc:
            return problem_response(None, "unavailable", f"database: {type(exc).__name__}")
        return Response({"status": "ready", "time": datetime.now().isoformat()})
