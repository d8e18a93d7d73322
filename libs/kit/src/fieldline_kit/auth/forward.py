"""Forwarding the caller's token on calls to other services, so the callee sees the end user.

Put `ForwardAuthorization()` on the channel to the other service
(`grpc.aio.insecure_channel(addr, interceptors=[ForwardAuthorization()])`): every unary call
made while serving an authenticated call carries that call's `authorization`. A call that sets
its own `authorization` (a service token) keeps it; a call made outside any authenticated call
(a consumer, a background job) goes without one. `caller_metadata()` gives the same entry for
a call built by hand.
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


def with_caller_authorization(details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
    forwarded = caller_metadata()
    if not forwarded:
        return details
    metadata = grpc.aio.Metadata(*(details.metadata or ()))
    if AUTHORIZATION in metadata:
        return details
    for key, value in forwarded:
        metadata.add(key, value)
    return grpc.aio.ClientCallDetails(
        details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
    )


class ForwardAuthorization(grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(
        self,
        continuation: Callable[[grpc.aio.ClientCallDetails, Any], Any],
        client_call_details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        return await continuation(with_caller_authorization(client_call_details), request)
