"""RFC 9457 problem details of the exchange service: the kit's `ProblemDetails` with the
exchange's own codes (docs/contexts/exchange.md, *HTTP API*)."""

from __future__ import annotations

from fieldline_kit.http_problems import COMMON_PROBLEMS, PROBLEM_JSON, ProblemDetails

PROBLEMS: dict[str, tuple[int, str]] = {
    **COMMON_PROBLEMS,
    "file-refused": (422, "The file cannot be imported"),
}

DETAILS = ProblemDetails(
    PROBLEMS,
    logger="fieldline.exchange.http",
    bearer_codes=frozenset({"token-expired", "employee-inactive"}),
)
problem_response = DETAILS.response
handle_exception = DETAILS.handle

__all__ = ["PROBLEMS", "PROBLEM_JSON", "handle_exception", "problem_response"]
