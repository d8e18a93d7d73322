"""RFC 9457 problem details for the HTTP services (the device gateway, the exchange): every
refusal in one shape, and the exception use cases raise to refuse.

`type` is `tag:fieldline.dev,2026:problems/<code>`, with the extension members `code`,
`correlationId` and, where there is one, `field`. A service declares its codes (status and
title) on top of `COMMON_PROBLEMS` and builds one `ProblemDetails` from them; errors of the kit
(DomainError), of Litestar (validation, body too large, unknown route), msgspec's decode
errors and anything unexpected (500, logged with its correlation id, never shown) all come out
through it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException

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
from fieldline_kit.problem import Problem

TYPE_PREFIX = "tag:fieldline.dev,2026:problems/"
PROBLEM_JSON = "application/problem+json"


# code → (status, title): what every HTTP service answers.
COMMON_PROBLEMS: Mapping[str, tuple[int, str]] = {
    "invalid-request": (400, "The request is not valid"),
    "unauthenticated": (401, "Authentication failed"),
    "token-expired": (401, "The access token expired"),
    "employee-inactive": (401, "The employee is not active"),
    "forbidden": (403, "Not allowed"),
    "not-found": (404, "Not found"),
    "method-not-allowed": (405, "Method not allowed"),
    "conflict": (409, "Conflict"),
    "payload-too-large": (413, "The request body is too large"),
    "unsupported-media-type": (415, "Unsupported media type"),
    "failed-precondition": (422, "The request cannot be applied now"),
    "rate-limited": (429, "Too many requests"),
    "internal": (500, "Internal error"),
    "unavailable": (503, "Temporarily unavailable"),
}

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


class ProblemDetails:
    """A service's problem details: `codes` (status, title) by code, which must hold
    `COMMON_PROBLEMS`; `bearer_codes` get a `WWW-Authenticate: Bearer` header."""

    def __init__(
        self,
        codes: Mapping[str, tuple[int, str]],
        *,
        logger: str,
        bearer_codes: frozenset[str] = frozenset(
            {"unauthenticated", "token-expired", "employee-inactive"}
        ),
    ) -> None:
        missing = set(COMMON_PROBLEMS) - set(codes)
        if missing:
            raise ValueError(f"problem codes missing: {sorted(missing)}")
        self.codes = dict(codes)
        self.bearer_codes = bearer_codes
        self._log = get_logger(logger)

    def response(
        self,
        request: Request[Any, Any, Any] | None,
        code: str,
        detail: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response[dict[str, Any]]:
        status, title = self.codes[code]
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
        if code in self.bearer_codes:
            out_headers.setdefault("WWW-Authenticate", 'Bearer error="invalid_token"')
        return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=out_headers)

    def handle(self, request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        """Every exception a handler raises → its problem details."""
        if isinstance(exc, Problem):
            headers = dict(exc.headers)
            if exc.retry_after is not None:
                headers["Retry-After"] = str(max(1, round(exc.retry_after)))
            return self.response(request, exc.code, exc.detail, field=exc.field, headers=headers)
        if isinstance(exc, msgspec.ValidationError | msgspec.DecodeError):
            detail, field = validation_detail(str(exc))
            return self.response(request, "invalid-request", detail, field=field)
        if isinstance(exc, DomainError):
            return self._domain(request, exc)
        if isinstance(exc, ValidationException):
            return self._validation(request, exc)
        if isinstance(exc, NotAuthorizedException):
            return self.response(request, "unauthenticated", exc.detail)
        if isinstance(exc, HTTPException):
            return self._http(request, exc)
        self._log.exception("request failed", path=request.url.path)
        return self.response(request, "internal", "internal error; quote the correlation id")

    def _domain(self, request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
        field = getattr(exc, "field", None)
        match exc:
            case InvalidArgument():
                return self.response(request, "invalid-request", exc.message, field=field)
            case NotFound():
                return self.response(request, "not-found", exc.message, field=field)
            case Unauthenticated():
                return self.response(request, _unauthenticated_code(exc.message), exc.message)
            case PermissionDenied():
                return self.response(request, "forbidden", exc.message)
            case AlreadyExists() | Conflict():
                return self.response(request, "conflict", exc.message)
            case FailedPrecondition():
                return self.response(request, "failed-precondition", exc.message)
            case Unavailable():
                return self.response(request, "unavailable", exc.message)
        return self.response(request, "invalid-request", exc.message)

    def _validation(
        self, request: Request[Any, Any, Any], exc: ValidationException
    ) -> Response[Any]:
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
            return self.response(request, "invalid-request", detail, field=field)
        return self.response(request, "invalid-request", exc.detail)

    def _http(self, request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
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
        return self.response(request, code, exc.detail, headers=exc.headers)


def _unauthenticated_code(message: str) -> str:
    if message == "token expired":
        return "token-expired"
    if message.endswith("is not active"):
        return "employee-inactive"
    return "unauthenticated"


__all__ = ["COMMON_PROBLEMS", "PROBLEM_JSON", "Problem", "ProblemDetails", "validation_detail"]
