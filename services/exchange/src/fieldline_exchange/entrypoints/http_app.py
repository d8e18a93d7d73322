"""The Litestar application: one Controller per resource, the app and its readiness as
dependencies, problem details for every error, OpenAPI at /schema/openapi.json."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, Response
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig

from fieldline_exchange.bootstrap import App
from fieldline_exchange.entrypoints import edge
from fieldline_exchange.entrypoints.controllers.export import ExportController
from fieldline_exchange.entrypoints.controllers.imports import (
    ImportsController,
    InspectController,
)
from fieldline_exchange.entrypoints.controllers.meta import MetaController
from fieldline_exchange.entrypoints.controllers.onec import OneCController
from fieldline_exchange.entrypoints.controllers.partners import PartnersController
from fieldline_exchange.entrypoints.problems import handle_exception
from fieldline_kit.http_service import Readiness

# Every body is refused past this before it is read (routes set their own, larger or not).
DEFAULT_MAX_BODY = 64 * 1024
CONTROLLERS: list[type] = [
    MetaController,
    PartnersController,
    ImportsController,
    InspectController,
    OneCController,
    ExportController,
]


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
        middleware=[DefineMiddleware(edge.correlation_middleware)],
        openapi_config=OpenAPIConfig(
            title="Fieldline exchange",
            version="1.0",
            description="Exchange with ERPs (docs/contexts/exchange.md).",
        ),
        request_max_body_size=DEFAULT_MAX_BODY,
        debug=False,
    )
