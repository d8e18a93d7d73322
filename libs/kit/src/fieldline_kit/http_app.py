"""The Litestar application of an HTTP service (the device gateway, the exchange), assembled
one way: its controllers, the service's composition root and readiness as the dependencies
`app` and `readiness`, its problem details for every error, the correlation middleware first,
OpenAPI at /schema/openapi.json, and a body limit every route starts from (STYLE §13)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar import Litestar, Request, Response
from litestar.config.compression import CompressionConfig
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig

from fieldline_kit.http_problems import ProblemDetails
from fieldline_kit.http_service import Readiness


def litestar_app(
    app: Any,
    readiness: Readiness,
    *,
    controllers: Sequence[type],
    problems: ProblemDetails,
    correlation: Any,
    title: str,
    version: str,
    description: str,
    max_body: int,
    middleware: Sequence[Any] = (),
    compression: CompressionConfig | None = None,
) -> Litestar:
    """The service's app: `correlation` (an ASGI middleware factory) wraps every request,
    then `middleware` in order."""

    def provide_app() -> Any:
        return app

    def provide_readiness() -> Readiness:
        return readiness

    def on_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        return problems.handle(request, exc)

    wrappers: list[DefineMiddleware] = [DefineMiddleware(correlation)]
    wrappers += [DefineMiddleware(m) for m in middleware]
    return Litestar(
        route_handlers=list(controllers),
        dependencies={
            "app": Provide(provide_app, use_cache=True, sync_to_thread=False),
            "readiness": Provide(provide_readiness, use_cache=True, sync_to_thread=False),
        },
        exception_handlers={Exception: on_error},
        middleware=wrappers,
        compression_config=compression,
        openapi_config=OpenAPIConfig(title=title, version=version, description=description),
        request_max_body_size=max_body,
        debug=False,
    )


__all__ = ["litestar_app"]
