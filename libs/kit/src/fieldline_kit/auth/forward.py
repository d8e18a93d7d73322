"""Tokens on outgoing calls: the caller's, forwarded, or a token of one's own.

Put `ForwardAuthorization()` on the channel to the other service
(`grpc.aio.insecure_channel(addr, interceptors=[ForwardAuthorization()])`): every unary call
made while serving an authenticated call carries that call's `authorization`. A call that sets
its own `authorization` (a service token) keeps it; a call made outside any authenticated call
(a consumer, a background job) goes without one. `caller_metadata()` gives the same entry for
a call built by hand.

`BearerToken(token)` makes every call of a channel one caller's (a tool, a test, a service
acting on its own): `authorization: Bearer <token()>` on each unary call that has none of its
own; `token` is asked per call, so a source that mints again before expiry
(`TokenIssuer.source`) keeps a long-lived channel valid.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc

from fieldline_kit.auth.grpc_auth import AUTHORIZATION
from fieldline_kit.auth.principal import caller_token


def caller_metadata() -> tuple[tuple[str, str], ...]:
    """`(("authorization", "Bearer <token>"),)` of the call being served, or `()`."""
    token = caller_token()
    return ((AUTHORIZATION, f"Bearer {token}"),) if token else ()


def with_authorization(
    details: grpc.aio.ClientCallDetails, entries: tuple[tuple[str, str], ...]
) -> grpc.aio.ClientCallDetails:
    """`details` with `entries` added, unless they are empty or the call has its own
    `authorization`."""
    if not entries:
        return details
    metadata = grpc.aio.Metadata(*(details.metadata or ()))
    if AUTHORIZATION in metadata:
        return details
    for key, value in entries:
        metadata.add(key, value)
    return grpc.aio.ClientCallDetails(
        details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
    )


def with_caller_authorization(details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
    return with_authorization(details, caller_metadata())


class ForwardAuthorization(grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(
        self,
        continuation: Callable[[grpc.aio.ClientCallDetails, Any], Any],
        client_call_details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        return await continuation(with_caller_authorization(client_call_details), request)


class BearerToken(grpc.aio.UnaryUnaryClientInterceptor):
    """Every unary call of the channel as the caller whose token `token()` gives."""

    def __init__(self, token: Callable[[], str]) -> None:
        self._token = token

    async def intercept_unary_unary(
        self,
        continuation: Callable[[grpc.aio.ClientCallDetails, Any], Any],
        client_call_details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        if any(k == AUTHORIZATION for k, _ in client_call_details.metadata or ()):
            return await continuation(client_call_details, request)
        entry = ((AUTHORIZATION, f"Bearer {self._token()}"),)
        return await continuation(with_authorization(client_call_details, entry), request)
