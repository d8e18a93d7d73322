"""How an order was taken and whom a phone order is credited to (domain/channels.py)."""

from __future__ import annotations

import pytest

from fieldline_kit.errors import InvalidArgument, PermissionDenied
from fieldline_kit.testing.helpers import new_id
from fieldline_orders.domain.channels import (
    check_channel_fields,
    credited_agent,
    order_channel,
)
from fieldline_orders.domain.orders import OrderChannel

FIELD, PHONE = OrderChannel.FIELD, OrderChannel.PHONE
OUTLET = new_id()


@pytest.mark.parametrize(
    ("asked", "roles", "teleseller", "channel"),
    [
        (None, {"AGENT"}, False, FIELD),
        (None, {"TELESELLER"}, True, PHONE),
        (None, {"TELESELLER", "AGENT"}, True, FIELD),  # takes field orders too: asks for PHONE
        (PHONE, {"TELESELLER", "AGENT"}, True, PHONE),
        (None, {"SERVICE"}, True, FIELD),  # a service names the channel it submits
        (PHONE, {"SERVICE"}, True, PHONE),  # for a teleseller (the directory says so)
        (FIELD, {"SUPERVISOR"}, False, FIELD),
    ],
)
def test_the_channel_of_a_new_order(
    asked: OrderChannel | None, roles: set[str], teleseller: bool, channel: OrderChannel
) -> None:
    assert order_channel(asked, roles, teleseller=teleseller) is channel


def test_only_a_teleseller_takes_orders_by_phone_and_a_teleseller_only_by_phone() -> None:
    with pytest.raises(PermissionDenied, match=r"^channel: only a teleseller"):
        order_channel(PHONE, {"AGENT"}, teleseller=False)
    with pytest.raises(PermissionDenied, match=r"^channel: "):
        order_channel(PHONE, {"SERVICE"}, teleseller=False)  # for an employee who is not one
    with pytest.raises(InvalidArgument) as err:
        order_channel(FIELD, {"TELESELLER"}, teleseller=True)
    assert err.value.field == "channel"


def test_what_each_channel_may_name() -> None:
    visit, call, agent = new_id(), new_id(), new_id()
    check_channel_fields(FIELD, visit_id=visit, call_id="", credited_agent_id="")
    check_channel_fields(PHONE, visit_id="", call_id=call, credited_agent_id=agent)
    cases = [
        (PHONE, {"visit_id": visit}, "visit_id"),
        (PHONE, {"call_id": "not-a-uuid"}, "call_id"),
        (PHONE, {"credited_agent_id": "x"}, "credited_agent_id"),
        (FIELD, {"call_id": call}, "call_id"),
        (FIELD, {"credited_agent_id": agent}, "credited_agent_id"),
    ]
    for channel, named, field in cases:
        fields = {"visit_id": "", "call_id": "", "credited_agent_id": ""} | named
        with pytest.raises(InvalidArgument) as err:
            check_channel_fields(channel, **fields)
        assert err.value.field == field, (channel, named)


def test_the_credited_agent() -> None:
    taker, a, b = new_id(), new_id(), new_id()
    assert credited_agent(OUTLET, "", {a}, taker) == a  # the one agent of the outlet
    assert credited_agent(OUTLET, "", set(), taker) == taker  # none: the teleseller
    assert credited_agent(OUTLET, b, {a, b}, taker) == b  # named among several
    with pytest.raises(InvalidArgument, match=f"outlet {OUTLET} is on the routes of 2 agents"):
        credited_agent(OUTLET, "", {a, b}, taker)
    with pytest.raises(InvalidArgument, match=f"{taker} works no field route of outlet"):
        credited_agent(OUTLET, taker, {a}, taker)
