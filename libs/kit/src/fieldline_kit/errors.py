"""Typed errors raised by domain code and mapped to gRPC status codes in one place.

This module imports only the standard library so domain packages may use it.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a caller can act on. `message` is safe to show to the caller."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgument(DomainError):
    """The request itself is wrong; `field` names the offending field (dotted path)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class NotFound(DomainError):
    def __init__(self, entity: str, entity_id: str, field: str | None = None) -> None:
        where = f"{field}: " if field else ""
        super().__init__(f"{where}{entity} {entity_id!r} not found")
        self.entity = entity
        self.entity_id = entity_id
        self.field = field


class AlreadyExists(DomainError):
    pass


class FailedPrecondition(DomainError):
    """The request is valid but the current state does not allow it."""


class Conflict(DomainError):
    """Optimistic-concurrency conflict: the caller's view is stale (gRPC ABORTED)."""


class Unauthenticated(DomainError):
    """The caller is not known: no token, or one that fails a check (gRPC UNAUTHENTICATED).

    The message names the check that failed and never holds the token.
    """


class PermissionDenied(DomainError):
    pass


class Unavailable(DomainError):
    """A dependency is down; the caller may retry."""
