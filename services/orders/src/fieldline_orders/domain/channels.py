"""How a pre-sale order was taken, and whom a phone order is credited to. Pure.

A teleseller takes orders by phone from its call lists (routes of kind PHONE); everyone else
who submits takes them in the field (docs/contexts/sales-gaps.md 3.2):

    asked        caller                                      channel
    (none)       a teleseller who takes no field orders      PHONE
    (none)       anyone else                                 FIELD
    PHONE        a teleseller (or a service acting for one)  PHONE; else PERMISSION_DENIED
    FIELD        a teleseller who takes no field orders      INVALID_ARGUMENT `channel`

A PHONE order names no visit (`visit_id`), may name its call (`call_id`), and is credited to
an agent (`credited_agent_id`: commission, KPI, the fulfilment report):

    named       must work a live FIELD route of the outlet
    none named  the one agent who does; the teleseller itself when none does; several: name one

A FIELD order names no call and credits no one else: its taker is its agent.
"""

from __future__ import annotations

from collections.abc import Collection

from fieldline_kit.errors import InvalidArgument, PermissionDenied
from fieldline_kit.roles import AGENT, SERVICE, SUPERVISOR, TELESELLER
from fieldline_orders.domain.orders import OrderChannel
from fieldline_orders.domain.values import optional_id

# Who takes orders at the outlet (SubmitOrder's other roles): a service submits either kind
# for the employee its token names.
FIELD_TAKERS = frozenset({AGENT, SUPERVISOR, SERVICE})


def order_channel(
    asked: OrderChannel | None, roles: Collection[str], *, teleseller: bool
) -> OrderChannel:
    """The channel of a new order by a caller of `roles`; `teleseller`: the employee who takes
    it holds TELESELLER (the caller's own roles, or, for a service, the employee's)."""
    takes_field_orders = not FIELD_TAKERS.isdisjoint(roles)
    if asked is None:
        return OrderChannel.PHONE if teleseller and not takes_field_orders else OrderChannel.FIELD
    if asked is OrderChannel.PHONE and not teleseller:
        raise PermissionDenied("channel: only a teleseller takes orders by phone")
    if asked is OrderChannel.FIELD and not takes_field_orders:
        raise InvalidArgument("channel", "a teleseller takes orders by phone (PHONE)")
    return asked


def check_channel_fields(
    channel: OrderChannel, *, visit_id: str, call_id: str, credited_agent_id: str
) -> None:
    """What each channel may name: a visit for FIELD; a call and a credited agent for PHONE."""
    if channel is OrderChannel.PHONE:
        if visit_id:
            raise InvalidArgument("visit_id", "a phone order is taken in no visit")
        optional_id("call_id", call_id)
        optional_id("credited_agent_id", credited_agent_id)
        return
    if call_id:
        raise InvalidArgument("call_id", "only a phone order is taken in a call")
    if credited_agent_id:
        raise InvalidArgument(
            "credited_agent_id", "only a phone order is credited to another agent"
        )


def credited_agent(outlet_id: str, named: str, field_agents: Collection[str], taker: str) -> str:
    """The agent a phone order for `outlet_id` is credited to, among `field_agents` (those
    working a live FIELD route of the outlet)."""
    if named:
        agent = optional_id("credited_agent_id", named)
        if agent not in field_agents:
            raise InvalidArgument(
                "credited_agent_id", f"{agent} works no field route of outlet {outlet_id}"
            )
        return agent
    if not field_agents:
        return taker
    if len(field_agents) == 1:
        return next(iter(field_agents))
    agents = sorted(field_agents)
    raise InvalidArgument(
        "credited_agent_id",
        f"outlet {outlet_id} is on the routes of {len(agents)} agents ({', '.join(agents)}); "
        "name one",
    )


def is_teleseller(roles: Collection[str]) -> bool:
    return TELESELLER in roles
