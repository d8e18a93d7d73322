"""RFC 9457 problem details: every refusal the gateway answers, in one shape
(docs/sync-protocol.md, *Conventions* and *Problem types*).

`type` is `tag:fieldline.dev,2026:problems/<code>`, with the extension members `code`,
`correlationId` and, where there is one, `field`. Errors of the kit (DomainError), of Litestar
(validation, body too large, unknown route) and anything unexpected (500, logged with its
correlation id, never shown) all come out through `problem_response`.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException

from fieldline_gateway.domain.problems import Problem
from fieldline_kit.errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)
from fieldline_kit.logging import correlation_id, get_logger

log = get_logger("fieldline.gateway.http")

TYPE_PREFIX = "tag:fieldline.dev,2026:problems/"
PROBLEM_JSON = "application/problem+json"

# code → (status, title)
PROBLEMS: dict[str, tuple[int, str]] = {
    "invalid-request": (400, "The request is not valid"),
    "protocol-version-unsupported": (400, "The protocol version is not supported"),
    "invalid-cursor": (400, "The cursor is not one this server made"),
    "activation-code-invalid": (400, "The activation code is not valid"),
    "refresh-token-invalid": (400, "The refresh token is not valid"),
    "refresh-token-reused": (400, "The refresh token was used before"),
    "unauthenticated": (401, "Authentication failed"),
    "token-expired": (401, "The access token expired"),
    "device-revoked": (401, "The device was revoked"),
    "employee-inactive": (401, "The employee is not active"),
    "forbidden": (403, "Not allowed"),
    "not-found": (404, "Not found"),
    "method-not-allowed": (405, "Method not allowed"),
    "device-limit-reached": (409, "Too many active devices"),
    "conflict": (409, "Conflict"),
    "photo-conflict": (409, "The photo was declared differently"),
    "offset-mismatch": (409, "The upload offset does not match"),
    "page-token-expired": (410, "The page token expired"),
    "payload-too-large": (413, "The request body is too large"),
    "batch-too-large": (413, "Too many documents in one batch"),
    "unsupported-media-type": (415, "Unsupported media type"),
    "failed-precondition": (422, "The request cannot be applied now"),
    "checksum-mismatch": (422, "The content does not match its checksum"),
    "not-an-image": (422, "The content is not an image"),
    "app-version-unsupported": (426, "The app is too old"),
    "rate-limited": (429, "Too many requests"),
    "internal": (500, "Internal error"),
    "sync-unavailable": (503, "Sync is not available yet"),
    "sync-busy": (503, "Too many syncs at once"),
    "unavailable": (503, "Temporarily unavailable"),
}


def problem_response(
    request: Request[Any, Any, Any] | None,
    code: str,
    detail: str,
    *,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    status, title = PROBLEMS[code]
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "correlationId": correlation_id.get(),
    }
    if request is not None:
        body["instance"] = request.url.path
    if field:
        body["field"] = field
    out_headers = dict(headers or {})
    if code in ("unauthenticated", "token-expired", "device-revoked", "employee-inactive"):
        out_headers.setdefault("WWW-Authenticate", 'Bearer error="invalid_token"')
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=out_headers)


def _unauthenticated_code(message: str) -> str:
    if message == "token expired":
        return "token-expired"
    if message.endswith("is not active"):
        return "employee-inactive"
    return "unauthenticated"


# msgspec's "… - at `$.documents[3].lines[0].quantity`" → "documents[3].lines[0].quantity"
_AT_PATH = re.compile(r"\s*-\s*at `\$\.?([^`]*)`$")


def validation_detail(message: str) -> tuple[str, str | None]:
    """A msgspec decode error's text → (detail, field path)."""
    found = _AT_PATH.search(message)
    if found is None:
        return message, None
    path = found.group(1)
    text = message[: found.start()]
    return (f"{path}: {text}" if path else text), (path or None)


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Every exception a handler raises → its problem details."""
    if isinstance(exc, Problem):
        headers = dict(exc.headers)
        if exc.retry_after is not None:
            headers["Retry-After"] = str(max(1, round(exc.retry_after)))
        return problem_response(request, exc.code, exc.detail, field=exc.field, headers=headers)
    if isinstance(exc, msgspec.ValidationError | msgspec.DecodeError):
        detail, field = validation_detail(str(exc))
        return problem_response(request, "invalid-request", detail, field=field)
    if isinstance(exc, DomainError):
        return _domain(request, exc)
    if isinstance(exc, ValidationException):
        return _validation(request, exc)
    if isinstance(exc, NotAuthorizedException):
        return problem_response(request, "unauthenticated", exc.detail)
    if isinstance(exc, HTTPException):
        return _http(request, exc)
    log.exception("request failed", path=request.url.path)
    return problem_response(request, "internal", "internal error; quote the correlation id")


def _domain(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    field = getattr(exc, "field", None)
    match exc:
        case InvalidArgument():
            return problem_response(request, "invalid-request", exc.message, field=field)
        case NotFound():
            return problem_response(request, "not-found", exc.message, field=field)
        case Unauthenticated():
            return problem_response(request, _unauthenticated_code(exc.message), exc.message)
        case PermissionDenied():
            return problem_response(request, "forbidden", exc.message)
        case AlreadyExists() | Conflict():
            return problem_response(request, "conflict", exc.message)
        case FailedPrecondition():
            return problem_response(request, "failed-precondition", exc.message)
        case Unavailable():
            return problem_response(request, "unavailable", exc.message)
    return problem_response(request, "invalid-request", exc.message)


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """Litestar's decode failures (body or parameters) name the key in `extra`."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    if extra and isinstance(extra[0], dict):
        message = str(extra[0].get("message", exc.detail))
        detail, field = validation_detail(message)
        key = extra[0].get("key")
        if field is None and isinstance(key, str) and key:
            # A query parameter's failure may name its Python name: the API's is camelCase.
            head, *rest = key.split("_")
            key = head + "".join(part.title() for part in rest)
            field, detail = key, f"{key}: {detail}"
        return problem_response(request, "invalid-request", detail, field=field)
    return problem_response(request, "invalid-request", exc.detail)


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    by_status = {
        404: "not-found",
        405: "method-not-allowed",
        413: "payload-too-large",
        415: "unsupported-media-type",
        429: "rate-limited",
        503: "unavailable",
    }
    code = by_status.get(exc.status_code)
    if code is None:
        code = "invalid-request" if exc.status_code < 500 else "internal"
    return problem_response(request, code, exc.detail, headers=exc.headers)


__all__ = ["PROBLEM_JSON", "MediaType", "handle_exception", "problem_response"]
