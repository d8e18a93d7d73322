"""RFC 9457 problem details of the device gateway (docs/sync-protocol.md, *Conventions* and
*Problem types*): the kit's `ProblemDetails` (fieldline_kit.http_problems) with the device
protocol's own codes."""

from __future__ import annotations

from fieldline_kit.http_problems import COMMON_PROBLEMS, PROBLEM_JSON, ProblemDetails

# code → (status, title): the protocol's codes beside the common ones.
PROBLEMS: dict[str, tuple[int, str]] = {
    **COMMON_PROBLEMS,
    "protocol-version-unsupported": (400, "The protocol version is not supported"),
    "invalid-cursor": (400, "The cursor is not one this server made"),
    "activation-code-invalid": (400, "The activation code is not valid"),
    "refresh-token-invalid": (400, "The refresh token is not valid"),
    "refresh-token-reused": (400, "The refresh token was used before"),
    "device-revoked": (401, "The device was revoked"),
    "device-limit-reached": (409, "Too many active devices"),
    "photo-conflict": (409, "The photo was declared differently"),
    "offset-mismatch": (409, "The upload offset does not match"),
    "page-token-expired": (410, "The page token expired"),
    "batch-too-large": (413, "Too many documents in one batch"),
    "checksum-mismatch": (422, "The content does not match its checksum"),
    "not-an-image": (422, "The content is not an image"),
    "app-version-unsupported": (426, "The app is too old"),
    "sync-unavailable": (503, "Sync is not available yet"),
    "sync-busy": (503, "Too many syncs at once"),
}

DETAILS = ProblemDetails(
    PROBLEMS,
    logger="fieldline.gateway.http",
    bearer_codes=frozenset(
        {"unauthenticated", "token-expired", "device-revoked", "employee-inactive"}
    ),
)
problem_response = DETAILS.response
handle_exception = DETAILS.handle

__all__ = ["PROBLEMS", "PROBLEM_JSON", "handle_exception", "problem_response"]
