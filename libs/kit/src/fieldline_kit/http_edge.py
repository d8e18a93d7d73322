"""What every request of an HTTP service passes through: the correlation id (an ASGI
middleware: the caller's `X-Correlation-Id`, or a new one, echoed on the response) and the
bearer token's extraction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from litestar import Request
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from fieldline_kit.logging import CORRELATION_HEADER, correlation
from fieldline_kit.problem import Problem

MAX_CORRELATION_ID = 100


def correlation_middleware(
    extra_headers: Sequence[tuple[bytes, bytes]] = (),
) -> Callable[[ASGIApp], ASGIApp]:
    """Every request runs under the caller's `X-Correlation-Id` (made when absent, or when
    not a sane one); every response echoes it, with `extra_headers` (e.g. a protocol's
    version)."""

    def wrap(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            given = ""
            for key, value in scope["headers"]:
                if key == CORRELATION_HEADER.encode():
                    given = value.decode("latin-1").strip()
            if not given or len(given) > MAX_CORRELATION_ID or not given.isprintable():
                given = ""
            with correlation(given or None) as cid:

                async def send_with_headers(message: Message) -> None:
                    if message["type"] == "http.response.start":
                        headers = list(message.get("headers", []))
                        headers.append((b"x-correlation-id", cid.encode()))
                        headers.extend(extra_headers)
                        message = {**message, "headers": headers}
                    await send(message)

                await app(scope, receive, send_with_headers)

        return middleware

    return wrap


def bearer(request: Request[Any, Any, Any], hint: str = "<accessToken>") -> str:
    """The request's bearer token; `unauthenticated` without one."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem("unauthenticated", f"send 'Authorization: Bearer {hint}'")
    return token.strip()
