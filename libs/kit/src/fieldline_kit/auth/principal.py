"""Who is calling: the principal a verified token names, held for the call in a contextvar.

The gRPC auth check sets it (with the caller's bearer token, which only the forwarding of
that token to other services reads); servicers read it with `current_principal()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from fieldline_kit.errors import Unauthenticated


class Kind:
    """The `kind` claim: what sort of caller the token's subject is."""

    EMPLOYEE = "employee"  # sub = employee id
    SERVICE = "service"  # sub = svc:<name>
    PARTNER = "partner"  # sub = partner:<id> (an ERP connection)
    ALL = frozenset({EMPLOYEE, SERVICE, PARTNER})


@dataclass(frozen=True)
class Principal:
    kind: str
    subject: str
    roles: frozenset[str] = frozenset()
    token_id: str | None = None  # jti
    expires_at: datetime | None = None
    acting_for: str | None = None  # the `act` claim's sub: the user a service acts for
    device_id: str | None = None  # the `dev` claim: the device the token was issued to

    def has_any(self, roles: Iterable[str]) -> bool:
        return not self.roles.isdisjoint(roles)


_principal: ContextVar[Principal | None] = ContextVar("fieldline_principal", default=None)
# The raw bearer token of the call, kept apart from Principal so it is never printed with it.
_bearer: ContextVar[str | None] = ContextVar("fieldline_bearer", default=None)


def current_principal() -> Principal:
    """The caller of the RPC being served; Unauthenticated when no token was verified."""
    principal = _principal.get()
    if principal is None:
        raise Unauthenticated("no authenticated caller")
    return principal


def principal_or_none() -> Principal | None:
    return _principal.get()


def caller_token() -> str | None:
    """The bearer token the current call came with (for forwarding it, never for logging)."""
    return _bearer.get()


@contextmanager
def authenticated(principal: Principal, token: str | None = None) -> Iterator[Principal]:
    """Run a block as `principal` (and with its token, to forward on outgoing calls)."""
    p_reset = _principal.set(principal)
    t_reset = _bearer.set(token)
    try:
        yield principal
    finally:
        _bearer.reset(t_reset)
        _principal.reset(p_reset)
