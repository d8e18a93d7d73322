"""A bulk command whose service refuses it item by item (`INVALID_ARGUMENT` — or `NOT_FOUND` —
naming `<items>[i]…` in its details, nothing applied): the items named become report lines and
the rest is sent again (each round under a request id of its own) until it is taken, so that a
record that fails gets its line and the rest applies (docs/contexts/exchange.md, *Import
jobs*). A service names only its first few refusals in one answer (settlements: six), so the
rounds are not capped at a fixed few — a cap left the rest of the batch unsent and unreported
once more records were bad than it named in that many rounds; each round drops at least one
item, so a batch takes at most one round more than it has items."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import grpc

from fieldline_exchange.domain.reports import ReportLine
from fieldline_exchange.domain.request_ids import sub_request_id

T = TypeVar("T")
REFUSED = "refused-by-service"
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
    round_ = 0
    while live:
        rid = request_id if round_ == 0 else sub_request_id(request_id, f"round {round_}")
        round_ += 1
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
