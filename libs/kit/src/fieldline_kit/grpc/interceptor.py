"""One server interceptor for every RPC: correlation id, metrics, logs, auth, error → status.

Servicers raise the typed errors of `fieldline_kit.errors`; this is the only place that turns
them into gRPC status codes, so every service answers alike. The database out of reach (a
connection refused, dropped or timed out, SQLite busy) is UNAVAILABLE, which callers retry
(with the same request_id): it is an outage, not a bug. Other unknown exceptions are logged
with their traceback and reported as INTERNAL without details (they may hold secrets).

A unary servicer may also return `bytes`: the already serialized form of its declared response
message (e.g. a response kept in a cache). Those bytes go on the wire as they are; messages are
serialized as usual. Returning bytes of any other message type is the servicer's bug.

With `auth` (a `fieldline_kit.auth.grpc_auth.GrpcAuth`), each call but health and reflection
is admitted by it first — its refusals are UNAUTHENTICATED or PERMISSION_DENIED like any other
error — and the servicer runs as the verified principal. A call whose rule is `audit` logs
"audited call done" with its method and the principal (`sub`, `kind`, `jti`) when it succeeds.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import exc as sa_exc

from fieldline_kit import errors
from fieldline_kit.auth.grpc_auth import GrpcAuth, calling_as, refusing
from fieldline_kit.db import error_cause
from fieldline_kit.logging import CORRELATION_HEADER, correlation, get_logger

log = get_logger("fieldline.grpc")

REQUESTS = Counter(
    "fieldline_grpc_server_handled_total",
    "RPCs completed on the server, by method and status code",
    ["service", "grpc_method", "grpc_code"],
)
LATENCY = Histogram(
    "fieldline_grpc_server_handling_seconds",
    "RPC handling time on the server",
    ["service", "grpc_method"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
# Unary RPCs being served now, per service (from the server's start, at 0).
IN_FLIGHT = Gauge(
    "fieldline_grpc_server_in_flight_rpcs",
    "Unary RPCs the server is handling now",
    ["service"],
    multiprocess_mode="livesum",
)

_STATUS: list[tuple[type[errors.DomainError], grpc.StatusCode]] = [
    (errors.InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.NotFound, grpc.StatusCode.NOT_FOUND),
    (errors.AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
    (errors.FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.Conflict, grpc.StatusCode.ABORTED),
    (errors.Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
    (errors.PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (errors.Unavailable, grpc.StatusCode.UNAVAILABLE),
]

# What the database being out of reach raises through SQLAlchemy: connection errors
# (OperationalError, InterfaceError, a connection invalidated mid-call), the pool timing out,
# or the driver's own socket errors before SQLAlchemy wraps them.
DATABASE_UNAVAILABLE = "the database is unavailable; retry with the same request_id"


def database_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(
        exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, OSError)
    )


def status_for(exc: errors.DomainError) -> grpc.StatusCode:
    for kind, code in _STATUS:
        if isinstance(exc, kind):
            return code
    return grpc.StatusCode.UNKNOWN


class ServerInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, service: str, auth: GrpcAuth | None = None) -> None:
        self._service = service
        self._auth = auth
        self._in_flight = IN_FLIGHT.labels(service)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None:
            return handler
        method = details.method
        auth = None if self._auth is None or self._auth.is_open(method) else self._auth
        if handler.unary_unary is None:  # streams (health Watch, reflection) pass, unless auth
            return handler if auth is None else refusing(handler)
        metadata = details.invocation_metadata
        rule = auth.rule(method) if auth is not None else None
        audited = rule is not None and rule.audit
        inner = handler.unary_unary
        service = self._service
        in_flight = self._in_flight
        cid = ""
        for key, value in details.invocation_metadata or ():
            if key == CORRELATION_HEADER:
                cid = str(value)

        async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> Any:
            start = time.perf_counter()
            code = grpc.StatusCode.OK
            counted = False

            def count(code: grpc.StatusCode) -> None:
                # Before `context.abort`, which sends the status to the caller before it
                # raises: a caller that has its answer finds the call counted.
                nonlocal counted
                if not counted:
                    counted = True
                    in_flight.dec()
                    REQUESTS.labels(service, method, code.name).inc()
                    LATENCY.labels(service, method).observe(time.perf_counter() - start)

            with correlation(cid or None):
                in_flight.inc()
                try:
                    if auth is None:
                        return await inner(request, context)
                    principal, token = await auth.admit(method, metadata)
                    with calling_as(principal, token):
                        reply = await inner(request, context)
                        if audited:  # who made the change, on the record (sub, kind, jti)
                            log.info("audited call done", method=method)
                        return reply
                except errors.DomainError as exc:
                    code = status_for(exc)
                    log.info("rpc rejected", method=method, code=code.name, reason=exc.message)
                    count(code)
                    await context.abort(code, exc.message)
                except grpc.aio.AbortError:
                    code = context.code() or grpc.StatusCode.UNKNOWN
                    raise
                except Exception as exc:
                    if database_unavailable(exc):
                        code = grpc.StatusCode.UNAVAILABLE
                        log.warning(
                            "rpc failed: database unavailable",
                            method=method,
                            error=error_cause(exc),
                        )
                        count(code)
                        await context.abort(code, DATABASE_UNAVAILABLE)
                    code = grpc.StatusCode.INTERNAL
                    log.exception("rpc failed", method=method)
                    count(code)
                    await context.abort(code, "internal error")
                finally:
                    count(code)

        return grpc.unary_unary_rpc_method_handler(
            wrapped,
            request_deserializer=handler.request_deserializer,
            response_serializer=passing_bytes(handler.response_serializer),
        )


Serializer = Callable[[Any], bytes]


def passing_bytes(serializer: Serializer | None) -> Serializer | None:
    """`serializer`, except that a `bytes` response (pre-serialized) is sent unchanged."""
    if serializer is None:
        return None  # the handler deals in bytes already

    def serialize(response: Any) -> bytes:
        if type(response) is bytes:
            return response
        return serializer(response)

    return serialize
