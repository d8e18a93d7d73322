"""The 1C exchange protocol's endpoint (docs/contexts/exchange.md, *The 1C exchange
protocol*): `/1c/exchange?type=…&mode=…`, also at `/bitrix/admin/1c_exchange.php`, the path a
stock 1C configuration proposes. Plain-text answers; HTTP Basic for checkauth, the session
cookie after it."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import Annotated, Any

from litestar import Controller, Request, Response, route
from litestar.di import NamedDependency
from litestar.enums import HttpMethod
from litestar.params import QueryParameter

from fieldline_exchange.bootstrap import App
from fieldline_exchange.entrypoints import edge
from fieldline_exchange.entrypoints.controllers.export import xml_file
from fieldline_exchange.entrypoints.controllers.imports import MAX_BODY
from fieldline_exchange.service_layer.onec import COOKIE, Answer, failure, success
from fieldline_exchange.service_layer.partners import ExchangeSession
from fieldline_kit.errors import Unavailable
from fieldline_kit.problem import Problem

PATHS = ["/1c/exchange", "/bitrix/admin/1c_exchange.php"]
Text = Annotated[str, QueryParameter(required=False, max_length=255)]


def _plain(answer: Answer, status: int = 200, **headers: str) -> Response[str]:
    return Response(
        answer.text, status_code=status, media_type="text/plain; charset=utf-8", headers=headers
    )


async def _body(request: Request[Any, Any, Any]) -> AsyncIterator[bytes]:
    async for piece in request.stream():
        yield piece


class OneCController(Controller):
    tags = ["1c"]  # noqa: RUF012 - Litestar reads it per class

    @route(
        PATHS,
        http_method=[HttpMethod.GET, HttpMethod.POST],
        operation_id="oneCExchange",
        request_max_body_size=MAX_BODY,
    )
    async def exchange(
        self,
        app: NamedDependency[App],
        request: Request[Any, Any, Any],
        type: Text = "",
        mode: Text = "",
        filename: Text = "",
    ) -> Response[str]:
        challenge = {"WWW-Authenticate": 'Basic realm="exchange"'}
        if type not in ("catalog", "sale"):
            return _plain(failure("type: catalog or sale"), 400)
        if mode == "checkauth":
            credentials = edge.basic_credentials(request)
            if credentials is None:
                return _plain(failure("send HTTP Basic credentials"), 401, **challenge)
            try:
                answer, cookie = await app.onec.checkauth(*credentials)
            except Problem as refused:
                if refused.code == "rate-limited":
                    wait = {"Retry-After": str(math.ceil(refused.retry_after or 60))}
                    return _plain(failure(refused.detail), 429, **wait)
                return _plain(failure("wrong login or password"), 401, **challenge)
            response = _plain(answer)
            response.set_cookie(COOKIE, cookie, httponly=True, path="/")
            return response
        given = request.cookies.get(COOKIE)
        if not given:
            return _plain(failure("no session: checkauth first"), 401, **challenge)
        try:
            session = await app.partners.session(given)
        except Problem:
            return _plain(failure("the session ended: checkauth again"), 401, **challenge)
        match mode:
            case "init":
                return _plain(app.onec.init())
            case "file":
                if request.method != "POST":
                    return _plain(failure("mode=file: POST the file's bytes"), 405)
                return _plain(await app.onec.file(session, filename, _body(request)))
            case "import":
                return _plain(await app.onec.import_file(session, filename))
            case "query" if type == "sale":
                return await _export_query(app, session)
            case "success" if type == "sale":
                return await _export_success(app, session)
        return _plain(failure(f"mode: {mode!r} is not one of this protocol's"), 400)


# ------------------------------------------------------------------ the order export
async def _export_query(app: App, session: ExchangeSession) -> Response[Any]:
    """`type=sale&mode=query`: the orders the partner has not acknowledged, as CommerceML
    2.10 (docs/contexts/exchange.md, *Export*); a service out of reach: `failure`."""
    try:
        return xml_file(await app.export.query(session.caller))
    except Unavailable as exc:
        return _plain(failure(f"the export cannot read the orders now: {exc.message}"), 503)


async def _export_success(app: App, session: ExchangeSession) -> Response[str]:
    """`type=sale&mode=success`: the partner's last exchange acknowledged."""
    await app.export.acknowledge(session.caller)
    return _plain(success())
