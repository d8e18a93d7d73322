"""Who is calling: an administrator (a bearer JWT of the back office's provider, ./fl token)
or a partner (HTTP Basic, an API key `flx_…`, or a 1C session cookie); docs/contexts/exchange.md,
*Partners and access*."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from litestar import Request

from fieldline_exchange.bootstrap import App
from fieldline_exchange.domain.partners import KEY_PREFIX, PartnerCaller
from fieldline_kit import http_edge
from fieldline_kit.auth.principal import Principal
from fieldline_kit.problem import Problem

correlation_middleware = http_edge.correlation_middleware()
SESSION_COOKIE = "flx_session"


async def administrator(app: App, request: Request[Any, Any, Any]) -> Principal:
    """The verified administrator's principal (the use cases check the role)."""
    token = http_edge.bearer(request)
    if token.startswith(KEY_PREFIX + "_"):
        raise Problem("forbidden", "partners manage nothing: this takes an administrator's token")
    return await app.verifier.verify_async(token)


async def partner(app: App, request: Request[Any, Any, Any], *scopes: str) -> PartnerCaller:
    """The verified partner allowed any of `scopes`: an API key, HTTP Basic or a 1C
    session."""
    header = request.headers.get("authorization", "").strip()
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip().startswith(KEY_PREFIX + "_"):
        caller = await app.partners.by_key(value.strip())
    elif scheme.lower() == "basic":
        credentials = basic_credentials(request)
        if credentials is None:
            raise Problem(
                "unauthenticated",
                "malformed HTTP Basic credentials",
                headers={"WWW-Authenticate": 'Basic realm="exchange"'},
            )
        caller = await app.partners.by_basic(*credentials)
    elif cookie := request.cookies.get(SESSION_COOKIE):
        caller = await app.partners.by_session(cookie)
    else:
        raise Problem(
            "unauthenticated",
            "send HTTP Basic credentials or 'Authorization: Bearer flx_…' (an API key)",
            headers={"WWW-Authenticate": 'Basic realm="exchange"'},
        )
    if not any(caller.may(scope) for scope in scopes):
        raise Problem("forbidden", f"these credentials may not do this ({', '.join(scopes)})")
    return caller


def basic_credentials(request: Request[Any, Any, Any]) -> tuple[str, str] | None:
    """The request's HTTP Basic login and password; None without such a header or when it is
    malformed."""
    scheme, _, value = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    login, sep, password = decoded.partition(":")
    return (login, password) if sep and login else None
