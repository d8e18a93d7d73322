"""The ERP's count of the containers clients hold (RecordTareCounts, docs/contexts/settlements.md,
*Tare*): each balance brought to the count by one adjustment, the same count sent again moving
nothing, every bad count named and nothing moved."""

from __future__ import annotations

import asyncio
from datetime import date

import grpc

from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_kit.testing.events import stream_events
from fieldline_kit.testing.helpers import eventually_value, expect_error, new_id
from fieldline_settlements.adapters import orm

from .builders import count, pb_date, rub
from .conftest import Harness

COUNTED_ON = date(2026, 12, 1)


def counts_request(document: str, *counts: tuple[str, str, str]) -> ss.RecordTareCountsRequest:
    return ss.RecordTareCountsRequest(
        request_id=new_id(),
        document_id=document,
        count_date=pb_date(COUNTED_ON),
        counts=[
            ss.TareCount(client_id=c, container_type=t, quantity=q, outlet_id="")
            for c, t, q in counts
        ],
    )


async def balances(h: Harness, client_id: str) -> dict[str, str]:
    got = await h.settlements.GetTareBalance(ss.GetTareBalanceRequest(client_id=client_id))
    return {b.container_type: b.balance for b in got.balances}


async def test_a_count_brings_each_balance_to_what_was_counted_once(svc: Harness) -> None:
    first, second = new_id(), new_id()
    await svc.settlements.SetContainerDeposit(
        ss.SetContainerDepositRequest(
            request_id=new_id(), container_type="keg-50", deposit=rub("1500.00")
        )
    )
    # A first count: kegs held where none was recorded (issued), crates for another client.
    done = await svc.settlements.RecordTareCounts(
        counts_request("INV-2026-12", (first, "keg-50", "4"), (second, "crate", "10"))
    )
    assert [(b.client_id, b.container_type, b.balance) for b in done.balances] == [
        (first, "keg-50", "4"),
        (second, "crate", "10"),
    ]
    assert done.balances[0].deposit_value.units == 6000  # 4 × 1,500
    # The same count again (another request id: an ERP's retry), after nothing moved: nothing.
    again = await svc.settlements.RecordTareCounts(
        counts_request("INV-2026-12", (first, "keg-50", "4"), (second, "crate", "10"))
    )
    assert [b.version for b in again.balances] == [b.version for b in done.balances]
    # A later count finds fewer (returned), the same (counted: nothing moves, but it is kept),
    # and a container type never seen at zero.
    later = await svc.settlements.RecordTareCounts(
        counts_request(
            "INV-2027-01",
            (first, "keg-50", "1"),
            (second, "crate", "10"),
            (second, "bottle", "0"),
        )
    )
    assert [b.balance for b in later.balances] == ["1", "10", "0"]
    assert await balances(svc, first) == {"keg-50": "1"}
    t = orm.tare_movements
    moves = await count(svc, t, t.c.client_id == second)
    assert moves == 3  # crate issued 10, crate counted, bottle counted
    # The later count sent again: applied once, it moves nothing whatever moved since.
    await svc.settlements.RecordTareCounts(counts_request("INV-2027-01", (second, "crate", "10")))
    assert await count(svc, t, t.c.client_id == second) == moves

    # Each adjustment published the balance it made (the first count's two, the later's one);
    # a count that moved nothing published nothing.
    async def tare_events() -> list[tuple[str, str, str]]:
        found = await stream_events(
            svc.js, "SETTLEMENTS", lambda e: e.aggregate_type == "tare_balance"
        )
        return [
            (
                p.message.balance.client_id,
                p.message.balance.container_type,
                p.message.balance.balance,
            )
            for p in found
            if p.message.balance.client_id in (first, second)
        ]

    seen = await eventually_value(tare_events, lambda found: len(found) >= 3)
    await asyncio.sleep(0.5)
    assert sorted(await tare_events()) == sorted(
        [(first, "keg-50", "4"), (second, "crate", "10"), (first, "keg-50", "1")]
    ), seen


async def test_bad_counts_are_named_and_move_nothing(svc: Harness) -> None:
    client = new_id()
    cases = [
        (counts_request("", (client, "keg-50", "1")), "document_id: is required"),
        (counts_request("bad id!", (client, "keg-50", "1")), "document_id: must be a UUID"),
        (counts_request("C-1"), "counts: at least one count is required"),
        (counts_request("C-1", ("nope", "keg-50", "1")), "counts[0].client_id: must be a UUID"),
        (counts_request("C-1", (client, "", "1")), "counts[0].container_type: must not be"),
        (counts_request("C-1", (client, "keg-50", "-2")), "counts[0].quantity: must not be"),
        (
            counts_request("C-1", (client, "keg-50", "1"), (client, "keg-50", "2")),
            "counts[1]: the same client and container type as counts[0]",
        ),
        (
            ss.RecordTareCountsRequest(request_id=new_id(), document_id="C-1"),
            "count_date",
        ),
    ]
    for request, message in cases:
        await expect_error(
            svc.settlements.RecordTareCounts(request), grpc.StatusCode.INVALID_ARGUMENT, message
        )
    # One good count beside a bad one: nothing moved.
    await expect_error(
        svc.settlements.RecordTareCounts(
            counts_request("C-2", (client, "keg-50", "3"), (client, "crate", "x"))
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "counts[1].quantity",
    )
    assert await balances(svc, client) == {}
