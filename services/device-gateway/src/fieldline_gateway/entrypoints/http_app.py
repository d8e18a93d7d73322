"""The Litestar application: one Controller per resource, the app and its readiness as
dependencies, problem details for every error, compression, OpenAPI at /schema/openapi.json
(STYLE §13)."""

from __future__ import annotations

import time
from typing import Any

from litestar import Litestar, Request, Response
from litestar.config.compression import CompressionConfig
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
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
from fieldline_gateway.entrypoints.problems import handle_exception
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
    def provide_app() -> App:
        return app

    def provide_readiness() -> Readiness:
        return readiness

    def on_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        return handle_exception(request, exc)

    return Litestar(
        route_handlers=CONTROLLERS,
        dependencies={
            "app": Provide(provide_app, use_cache=True, sync_to_thread=False),
            "readiness": Provide(provide_readiness, use_cache=True, sync_to_thread=False),
        },
        exception_handlers={Exception: on_error},
        middleware=[
            DefineMiddleware(edge.correlation_middleware),
            DefineMiddleware(_measure),
        ],
        # gzip at level 6, not Litestar's 9: a bundle's pages take a third of the time for 2 %
        # more bytes (docs/benchmarks.md, *Device gateway*).
        compression_config=CompressionConfig(
            backend=app.settings.compression, minimum_size=500, gzip_compress_level=6
        ),
        openapi_config=OpenAPIConfig(
            title="Fieldline device gateway",
            version=edge.PROTOCOL,
            description="The device protocol (docs/sync-protocol.md).",
        ),
        request_max_body_size=DEFAULT_MAX_BODY,
        debug=False,
    )
