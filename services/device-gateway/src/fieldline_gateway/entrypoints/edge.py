"""What every request passes through: the correlation id and protocol headers (an ASGI
middleware), the caller's verification (a dependency), the per-device rate limits and the
app-version floor.
"""

from __future__ import annotations

import time
from typing import Any

from litestar import Request

from fieldline_gateway.bootstrap import App
from fieldline_gateway.domain.problems import Problem
from fieldline_kit import http_edge
from fieldline_kit.auth.principal import Principal
from fieldline_kit.errors import Unauthenticated

PROTOCOL_MAJOR = 1
PROTOCOL_MINOR = 0
PROTOCOL = f"{PROTOCOL_MAJOR}.{PROTOCOL_MINOR}"
PROTOCOL_HEADER = "fieldline-protocol"
APP_VERSION_HEADER = "fieldline-app-version"


# Every response names the server's protocol minor beside the correlation id.
correlation_middleware = http_edge.correlation_middleware(
    [(PROTOCOL_HEADER.encode(), PROTOCOL.encode())]
)


def bearer(request: Request[Any, Any, Any]) -> str:
    return http_edge.bearer(request)


def check_protocol(request: Request[Any, Any, Any]) -> None:
    given = request.headers.get(PROTOCOL_HEADER)
    if given is None:
        return
    major, _, _minor = given.strip().partition(".")
    if major != str(PROTOCOL_MAJOR):
        raise Problem(
            "protocol-version-unsupported",
            f"this server speaks protocol {PROTOCOL_MAJOR}.x, not {given!r}",
        )


def _version_tuple(text: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in text.strip().split("."))
    except ValueError:
        return None


def check_app_version(app: App, request: Request[Any, Any, Any]) -> str | None:
    """The app's version header; 426 when older than GATEWAY_MIN_APP_VERSION."""
    version = request.headers.get(APP_VERSION_HEADER)
    floor = app.settings.min_app_version
    if floor and version is not None:
        mine, least = _version_tuple(version), _version_tuple(floor)
        if mine is not None and least is not None and mine < least:
            raise Problem(
                "app-version-unsupported", f"app {version} is older than {floor}: update it"
            )
    return version[:32] if version else None


def limit(app: App, operation: str, key: str) -> None:
    wait = app.limiter.take(operation, key, time.monotonic())
    if wait > 0:
        app.rate_limited(operation)
        raise Problem(
            "rate-limited", f"too many {operation} requests: wait and retry", retry_after=wait
        )


async def authenticate(app: App, request: Request[Any, Any, Any]) -> Principal:
    """The verified caller: a device's token (its device not revoked) or a management
    caller's (the back office's provider, ./fl token); the employee as clients last reported
    them (an inactive employee is refused, a removed role no longer counts)."""
    check_protocol(request)
    token = bearer(request)
    principal = await app.verifier.verify_async(token)
    app.identity.check_device(principal)
    await app.identity.check_owner(principal)  # a `dev` claim must be a device of its own
    principal = await app.directory.admit(principal)
    request.state.token = token
    return principal


async def device_caller(app: App, request: Request[Any, Any, Any]) -> Principal:
    """A caller that must be a device (sync, uploads, photos)."""
    principal = await authenticate(app, request)
    if principal.device_id is None:
        raise Unauthenticated("this endpoint takes a device's access token")
    version = check_app_version(app, request)
    await app.identity.seen(principal.device_id, version)
    return principal
