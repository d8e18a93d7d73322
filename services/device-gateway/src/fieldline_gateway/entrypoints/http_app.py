"""The Litestar application: one Controller per resource, the app and its readiness as
dependencies, problem details for every error, compression, OpenAPI at /schema/openapi.json
(STYLE §13)."""

from __future__ import annotations

import time
from typing import Any

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.types import ASGIApp, Receive, Scope, Send

from fieldline_gateway.adapters import metrics
from fieldline_gateway.bootstrap import App
from fieldline_gateway.entrypoints import edge
from fieldline_gateway.entrypoints.controllers.devices import (
    ActivationCodesController,
    DevicesController,
)
from fieldline_gateway.entrypoints.controllers.identity import DeviceIdentityController
from fieldline_gateway.entrypoints.controllers.meta import MetaController
from fieldline_gateway.entrypoints.controllers.photos import PhotosController
from fieldline_gateway.entrypoints.controllers.sync import SyncController
from fieldline_gateway.entrypoints.controllers.uploads import UploadsController
from fieldline_gateway.entrypoints.problems import DETAILS
from fieldline_kit.http_app import litestar_app
from fieldline_kit.http_service import Readiness

# Every body is refused past this before it is read (routes set their own, smaller or not).
DEFAULT_MAX_BODY = 64 * 1024
CONTROLLERS: list[type] = [
    MetaController,
    DeviceIdentityController,
    ActivationCodesController,
    DevicesController,
    PhotosController,
    SyncController,
    UploadsController,
]


def _measure(app: ASGIApp) -> ASGIApp:
    """Count and time every request by its route's operation id."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500

        async def send_status(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_status)
        finally:
            handler = scope.get("route_handler")
            operation = getattr(handler, "operation_id", None) or "unrouted"
            if not isinstance(operation, str):
                operation = "unrouted"
            metrics.HTTP_REQUESTS.labels(operation, str(status)).inc()
            metrics.HTTP_SECONDS.labels(operation).observe(time.perf_counter() - started)

    return middleware


def create_app(app: App, readiness: Readiness) -> Litestar:
    return litestar_app(
        app,
        readiness,
        controllers=CONTROLLERS,
        problems=DETAILS,
        correlation=edge.correlation_middleware,
        middleware=[_measure],
        # gzip at level 6, not Litestar's 9: a bundle's pages take a third of the time for 2 %
        # more bytes (docs/benchmarks.md, *Device gateway*).
        compression=CompressionConfig(
            backend=app.settings.compression, minimum_size=500, gzip_compress_level=6
        ),
        title="Fieldline device gateway",
        version=edge.PROTOCOL,
        description="The device protocol (docs/sync-protocol.md).",
        max_body=DEFAULT_MAX_BODY,
    )
