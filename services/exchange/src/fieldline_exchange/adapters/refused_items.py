"""A bulk command whose service refuses it item by item (`INVALID_ARGUMENT` — or `NOT_FOUND` —
naming `<items>[i]…` in its details, nothing applied): the items named become report lines and
the rest is sent again, a few rounds at most (each under a request id of its own), so that a
record that fails gets its line and the rest applies (docs/contexts/exchange.md, *Import
jobs*)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import grpc

from fieldline_exchange.domain.reports import ReportLine
from fieldline_exchange.domain.request_ids import sub_request_id

T = TypeVar("T")
REFUSED = "refused-by-service"
MAX_ROUNDS = 3
ITEM_CODES = frozenset({grpc.StatusCode.INVALID_ARGUMENT})


async def send_dropping_refused(
    items: Sequence[T],
    send: Callable[[Sequence[T], str], Awaitable[object]],
    *,
    field: str,
    request_id: str,
    lines: Callable[[T, str], list[ReportLine]],
    codes: frozenset[grpc.StatusCode] = ITEM_CODES,
) -> list[ReportLine]:
    """`send(items, request id)` until it is taken; the items the service names in `field[i]`
    reported through `lines(item, details)` and left out of the next round. Any other refusal
    (or one naming no item) is raised."""
    named_item = re.compile(rf"{re.escape(field)}\[(\d+)\]")
    live = list(items)
    refused: list[ReportLine] = []
    for round_ in range(MAX_ROUNDS):
        if not live:
            break
        rid = request_id if round_ == 0 else sub_request_id(request_id, f"round {round_}")
        try:
            await send(live, rid)
            break
        except grpc.aio.AioRpcError as exc:
            details = exc.details() or ""
            named = {int(i) for i in named_item.findall(details)} & set(range(len(live)))
            if exc.code() not in codes or not named:
                raise
            refused += [line for i in sorted(named) for line in lines(live[i], details)]
            live = [item for i, item in enumerate(live) if i not in named]
    return refused
