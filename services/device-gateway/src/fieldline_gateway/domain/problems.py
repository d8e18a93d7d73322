"""The refusals the device protocol names (docs/sync-protocol.md, *Problem types*): one
exception carrying the problem's code, raised by use cases and turned into RFC 9457 problem
details at the HTTP edge (entrypoints/problems.py holds each code's status and title)."""

from __future__ import annotations


class Problem(Exception):
    """A refusal the device is told about by `code` (e.g. `activation-code-invalid`);
    `field` names the offending request field, `retry_after` (seconds) goes out as
    Retry-After, `headers` as they are."""

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
