"""The Litestar application: one Controller per resource, the app and its readiness as
dependencies, problem details for every error, OpenAPI at /schema/openapi.json."""

from __future__ import annotations

from litestar import Litestar

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
from fieldline_exchange.entrypoints.controllers.schemas import SchemasController
from fieldline_exchange.entrypoints.problems import DETAILS
from fieldline_kit.http_app import litestar_app
from fieldline_kit.http_service import Readiness

# Every body is refused past this before it is read (routes set their own, larger or not).
DEFAULT_MAX_BODY = 64 * 1024
CONTROLLERS: list[type] = [
    MetaController,
    PartnersController,
    SchemasController,
    ImportsController,
    InspectController,
    OneCController,
    ExportController,
]


def create_app(app: App, readiness: Readiness) -> Litestar:
    return litestar_app(
        app,
        readiness,
        controllers=CONTROLLERS,
        problems=DETAILS,
        correlation=edge.correlation_middleware,
        title="Fieldline exchange",
        version="1.0",
        description="Exchange with ERPs (docs/contexts/exchange.md).",
        max_body=DEFAULT_MAX_BODY,
    )
