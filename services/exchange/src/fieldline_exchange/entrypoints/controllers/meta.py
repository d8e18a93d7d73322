"""What needs no credentials: the partner-token keys and the probes."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Controller, Response, get
from litestar.di import NamedDependency

from fieldline_exchange.adapters.probe import database_answers
from fieldline_exchange.bootstrap import App
from fieldline_exchange.entrypoints.problems import problem_response
from fieldline_kit.http_service import Readiness

READY_TIMEOUT = 1.0


class MetaController(Controller):
    tags = ["meta"]  # noqa: RUF012 - Litestar reads it per class

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
        """Ready while started and its database answers (the services are not asked: an
        import waits for them, the 1C protocol still answers)."""
        if not readiness.ready:
            return problem_response(None, "unavailable", "not ready: starting or stopping")
        try:
            await asyncio.wait_for(database_answers(app.read_sessions), READY_TIMEOUT)
        except Exception as exc:
            return problem_response(None, "unavailable", f"database: {type(exc).__name__}")
        return Response({"status": "ready"})
