"""SubmitOrder in batches: concurrent calls share their transactions and the credit check.

Every SubmitOrder call goes through a `fieldline_kit.batching.Batcher`: a call that finds the
service idle is processed at once, alone; calls arriving while a batch is processed form the
next batch (up to ORDERS_SUBMIT_BATCH_MAX). A batch costs about what one order used to:

1. the reads — the stored responses of the calls' request_ids, existing orders, outlets, the
   clients' price types, prices and discounts, the catalog generation and the products the
   catalog cache lacks: one statement, no transaction (`prepare_submits`,
   adapters/submit_reads.py; a read transaction of one snapshot when the cache cannot serve);
2. one `CheckCreditBatch` call to settlements for all the new orders (judged in order, so two
   orders of one client see each other's reservations as if sent one after the other);
3. one write transaction — `finish_submits` (orders, lines, history, outbox: one multi-row
   statement per table) and the responses stored under the request_ids.

Each call keeps its own outcome: a bad order fails alone (its specific error, nothing written),
a retry is answered from its stored response. What the batch cannot settle cheaply goes
through the one-at-a-time path of before (`OrdersServicer.submit_one` / `finish_one`):
a submit of an order that exists (a retry under another request_id, or a held order to
re-check); a second call for the same order or request_id in one batch (run after the batch);
an order that appeared between the read and the write; and, if the write transaction hits an
integrity error (a concurrent duplicate), every order of that write, one by one — the
one-at-a-time path settles each race as it always did.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeAlias

from sqlalchemy.exc import IntegrityError

from fieldline.orders.v1 import orders_service_pb2 as os_
from fieldline_kit.batching import Batcher
from fieldline_kit.db import read_only
from fieldline_kit.errors import DomainError, InvalidArgument
from fieldline_kit.grpc.convert import embedded
from fieldline_kit.logging import get_logger
from fieldline_orders.adapters import proto_mapping as m
from fieldline_orders.adapters.submit_reads import SubmitReader
from fieldline_orders.bootstrap import App
from fieldline_orders.domain.orders import CreditChecker, CreditDecision
from fieldline_orders.domain.pricing import ManualDiscountLimits
from fieldline_orders.service_layer import orders as sl
from fieldline_orders.settings import batches_in_flight

log = get_logger("fieldline.orders.submit")

# A response is a SubmitOrderResponse, or its wire bytes (stored responses, and the responses
# of a batch's new orders: serialized once, for the stored copy and the caller alike).
Response: TypeAlias = os_.SubmitOrderResponse | bytes
Outcome: TypeAlias = Response | BaseException
# SubmitOrderResponse's field holding the order (its only field): see `embedded`.
ORDER_FIELD = os_.SubmitOrderResponse.DESCRIPTOR.fields_by_name["order"].number


@dataclass(frozen=True)
class SubmitCall:
    """One SubmitOrder call, validated as far as it can be without the database."""

    request: os_.SubmitOrderRequest
    cmd: sl.SubmitCommand
    key: str  # idempotency key ("" without request_id)
    digest: str  # the request's fingerprint (with a key)
    correlation: str


# The one-at-a-time path (the servicer's): a whole submit, and the write step of a prepared one.
SubmitOne = Callable[[SubmitCall], Awaitable[os_.SubmitOrderResponse]]
FinishOne = Callable[
    [SubmitCall, sl.SubmitPlan, CreditDecision | None], Awaitable[os_.SubmitOrderResponse]
]


class SubmitBatches:
    def __init__(
        self,
        app: App,
        *,
        credit: Callable[[], CreditChecker],
        today: Callable[[], date],
        limits: ManualDiscountLimits,
        submit_one: SubmitOne,
        finish_one: FinishOne,
    ) -> None:
        self.app = app
        self._credit = credit
        self._today = today
        self._limits = limits
        self._submit_one = submit_one
        self._finish_one = finish_one
        self._reader = SubmitReader(read_only(app.engine), app.read_sessions, app.catalog_cache)
        self.batcher: Batcher[SubmitCall, Response] = Batcher(
            "orders.submit",
            self.run,
            max_batch=app.settings.submit_batch_max,
            max_in_flight=batches_in_flight(
                app.settings.submit_batches_in_flight, app.engine.dialect.name
            ),
        )

    async def submit(self, call: SubmitCall) -> Response:
        return await self.batcher.submit(call)

    async def run(self, calls: Sequence[SubmitCall]) -> list[Outcome]:
        out: list[Outcome | None] = [None] * len(calls)
        # A second call for the same order or request_id waits for the batch (then it is a
        # retry, answered by the one-at-a-time path).
        first: list[int] = []
        later: list[int] = []
        seen: set[str] = set()
        for i, call in enumerate(calls):
            ids = {call.cmd.order_id, call.key} - {""}
            (later if ids & seen else first).append(i)
            seen |= ids

        plans = await self._prepare(calls, first, out)
        decisions = await self._check(plans, out)
        one_by_one = await self._write(calls, plans, decisions, out)
        for i in one_by_one:
            out[i] = await _outcome(self._finish_one(calls[i], plans[i], decisions.get(i)))
        for i in later:
            out[i] = await _outcome(self._submit_one(calls[i]))
        return [o if o is not None else RuntimeError("submit not processed") for o in out]

    async def _prepare(
        self, calls: Sequence[SubmitCall], todo: list[int], out: list[Outcome | None]
    ) -> dict[int, sl.SubmitPlan]:
        """Stored responses and plans (usually one statement); errors go to `out`."""
        prepared = await sl.prepare_submits(
            self._reader,
            [calls[i].cmd for i in todo],
            keys=[calls[i].key for i in todo],
            today=self._today(),
            limits=self._limits,
        )
        plans: dict[int, sl.SubmitPlan] = {}
        for i, plan in zip(todo, prepared, strict=True):
            if isinstance(plan, sl.StoredResponse):
                if plan.fingerprint != calls[i].digest:
                    out[i] = InvalidArgument(
                        "request_id", "was already used for a different request"
                    )
                else:
                    out[i] = plan.response  # sent as stored
            elif isinstance(plan, DomainError):
                out[i] = plan
            else:
                plans[i] = plan
        return plans

    async def _check(
        self, plans: dict[int, sl.SubmitPlan], out: list[Outcome | None]
    ) -> dict[int, CreditDecision]:
        """One CheckCreditBatch for every plan that needs a decision; refusals go to `out`."""
        asking = [i for i, plan in plans.items() if plan.credit is not None]
        if not asking:
            return {}
        try:
            answers = await self._credit().check_many(
                [plans[i].credit for i in asking]  # type: ignore[misc]
            )
        except DomainError as exc:
            answers = [exc] * len(asking)
        decisions: dict[int, CreditDecision] = {}
        for i, answer in zip(asking, answers, strict=True):
            if isinstance(answer, DomainError):
                out[i] = answer
                del plans[i]
            else:
                decisions[i] = answer
        return decisions

    async def _write(
        self,
        calls: Sequence[SubmitCall],
        plans: dict[int, sl.SubmitPlan],
        decisions: dict[int, CreditDecision],
        out: list[Outcome | None],
    ) -> list[int]:
        """Write the new orders in one transaction; the calls left to the one-by-one path."""
        new = [i for i, p in plans.items() if p.existing is None and i in decisions]
        one_by_one = [i for i in plans if i not in new]
        if not new:
            return one_by_one
        try:
            async with self.app.uow() as uow:
                written = await sl.finish_submits(
                    uow,
                    [(plans[i], decisions[i], calls[i].correlation) for i in new],
                    self.app.clock(),
                )
                # The events carry each order as the response shows it: built once.
                await uow.flush_events()
                published = {
                    e.aggregate_id: e.message.order  # type: ignore[attr-defined]
                    for e in uow.written
                    if e.message.DESCRIPTOR.name in ("OrderSubmitted", "OrderHeld")
                }
                responses: dict[int, bytes] = {}
                records = []
                for i, order in zip(new, written, strict=True):
                    if order is None:
                        one_by_one.append(i)
                        continue
                    shown = published.get(order.id) or m.order_pb(order)
                    # The response's bytes, made from the order's: no copy of the order into
                    # a response message, one serialization for the stored copy and the wire.
                    responses[i] = response = embedded(ORDER_FIELD, shown.SerializeToString())
                    if calls[i].key:
                        records.append((calls[i].key, calls[i].digest, response))
                await uow.record_responses(records)
                await uow.commit()
        except IntegrityError:
            log.info("submit batch raced a concurrent write; finishing one by one", size=len(new))
            return one_by_one + [i for i in new if i not in one_by_one]
        for i, response in responses.items():
            out[i] = response
        return one_by_one


async def _outcome(step: Awaitable[os_.SubmitOrderResponse]) -> Outcome:
    try:
        return await step
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # the caller's own failure, mapped by the interceptor
        return exc
