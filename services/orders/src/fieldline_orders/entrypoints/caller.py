"""The verified caller of the RPC being served, as the use cases take it (`Actor`).

From the principal the kit's auth check set (`current_principal()`). With auth off there is no
caller, and the RPCs that act for one (orders, vans, returns, prices, recommendations) answer
UNAUTHENTICATED: they could not say whose order, van or scope it is. The bearer token is kept
apart, only to be forwarded.
"""

from __future__ import annotations

from fieldline_kit.auth import current_principal
from fieldline_kit.auth.principal import caller_token
from fieldline_orders.domain.access import Actor


def caller() -> Actor:
    p = current_principal()
    return Actor.of(p.subject, p.roles, p.kind, p.acting_for or "")


def bearer() -> str:
    """The caller's bearer token (to forward to settlements; never logged)."""
    return caller_token() or ""
