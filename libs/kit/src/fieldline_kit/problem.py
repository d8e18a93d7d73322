"""The refusal an HTTP service's use cases raise: a code the caller is told about (standard
library only, so domain packages may raise it). `fieldline_kit.http_problems` gives each code
its status and title and answers it as RFC 9457 problem details."""

from __future__ import annotations


class Problem(Exception):
    """A refusal the caller is told about by `code` (e.g. `activation-code-invalid`); `field`
    names the offending request field, `retry_after` (seconds) goes out as Retry-After,
    `headers` as they are. Raised by use cases; the HTTP edge gives it its status."""

    def __init__(
        self,
        code: str,
        detail: str,
        *,
        field: str | None = None,
        retry_after: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.field = field
        self.retry_after = retry_after
        self.headers = headers or {}
