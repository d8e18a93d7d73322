"""SubmitOrder: pre-sale orders submitted in batches — read once, ask settlements once, write once.

Concurrent SubmitOrder calls are coalesced into batches (the servicer feeds a
`fieldline_kit.batching.Batcher`); a lone call is a batch of one and takes the same path. A
batch runs in three steps, so no write transaction is ever held across the call to
settlements (a SQLite write transaction would block every other writer):

1. **read** (`SubmitReader.read`, usually one statement, no transaction): the answers stored
   under the calls' request_ids, which order ids are taken, the outlets' clients, the clients'
   price types, prices and discounts, the catalog, the visits the orders name. Each call is
   judged in memory, in this order of precedence: its stored answer (a retry); a malformed
   order id or override reason; its order existing already (a retry under another request_id,
   or a held order to re-check: answered as it is, before the rest of the request is judged
   again, so a retry after midnight does not fail on its dates; one outside the caller's scope
   is refused); a malformed header; an outlet outside the caller's scope (not on its routes),
   unknown or of another client; a known visit that does not match the order
   (domain/contacts.py `check_visit`); a distributor it names that is none
   (service_layer/distributors.py: the types of the batch's distributors read at once, only
   when an order names one); a registered warehouse of another owner than the order's
   (domain/catalog.py `check_warehouse_owner`: the batch's warehouses read at once, in one
   statement, only when an order names one); its lines priced, with the promotions it gets
   (domain/order_promotions.py: those in force come with the catalog cache, the budgets'
   `left` with one more statement when limited ones are in force) and the device's
   expectation judged. A bad order fails alone, with its specific error.
2. **credit** (`CreditChecker.check_many`, no transaction): one CheckCreditBatch for every new
   order and every held order submitted again, judged in order, so two orders of one client
   see each other's reservations as if sent one after the other.
3. **write** (one unit of work): first the budget rows the new orders consume locked and each
   order judged against them in call order (domain/budgets.py): one that no longer fits is
   **withheld** — not written, judged again in the next round with fresh reads and credit, at
   most `MAX_ROUNDS` times, then ABORTED; then the new orders (one statement per table; an
   order whose id appeared since step 1 is answered as it is now) and the budget entries of
   those inserted, the re-checked held orders, the contacts
   their visits name recomputed (the unit of work, adapters/contacts.py), and every call's
   answer stored under its request_id. A race with a concurrent copy of a call (its
   answer stored first) runs the write once more, answering that call from what was stored.

A second call for the same order or request_id within one batch waits for the batch and then
runs as its own round: it is a retry by then.

Who submits is each call's own verified caller (`SubmitCommand.actor`, taken from its token by
the servicer, never from the request nor from whatever context the batch runs in): the order's
agent, the scope its outlet must be in, the manual discount bound, and the token its credit
check carries (`actor_token`), so settlements judges an override by that caller's roles.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import TypeAlias

from fieldline_kit.errors import AlreadyExists, Conflict, DomainError
from fieldline_kit.idempotency import IdempotentCall, once_more_on_race
from fieldline_kit.tracing import Origin
from fieldline_orders.adapters.repository import OrderRepository, OrdersUnitOfWork
from fieldline_orders.adapters.submit_reads import SubmitKeys, SubmitReader, price_books
from fieldline_orders.domain.access import Actor, denied
from fieldline_orders.domain.budgets import (
    BudgetEntry,
    BudgetState,
    consumption,
    fits,
    needs_of,
    shortfall,
)
from fieldline_orders.domain.catalog import check_warehouse_owner
from fieldline_orders.domain.channels import (
    check_channel_fields,
    credited_agent,
    is_teleseller,
    order_channel,
)
from fieldline_orders.domain.contacts import check_visit
from fieldline_orders.domain.feed import VisitState
from fieldline_orders.domain.order_promotions import (
    ExpectedInput,
    PromotedOrder,
    PromotionRules,
    expected_ids,
    free_products,
    with_promotions,
)
from fieldline_orders.domain.orders import (
    CreditChecker,
    CreditDecision,
    CreditRequest,
    DateWindow,
    Order,
    OrderChannel,
    OrderHeader,
    OrderKind,
    OrderStatus,
    Stage,
)
from fieldline_orders.domain.pricing import LineInput, ManualDiscountLimits, PriceBook, PricedLine
from fieldline_orders.domain.promotions import OrderFacts, OutletFacts
from fieldline_orders.domain.values import ZERO, is_canonical_id, require_id
from fieldline_orders.service_layer.distributors import check_distributor
from fieldline_orders.service_layer.orders import check_owner, override_reason
from fieldline_orders.service_layer.promoting import PromotionTerms, record_entries

# What a call gets: its response's wire bytes (stored, or made by `respond`), or why not.
Outcome: TypeAlias = bytes | DomainError


@dataclass(frozen=True)
class SubmitCommand:
    order_id: str
    client_id: str
    outlet_id: str
    distributor_id: str
    warehouse_id: str
    order_date: date | None
    delivery_date: date | None
    lines: Sequence[LineInput]
    comment: str
    override_reason: str
    # The verified caller, and its bearer token (forwarded to settlements, never logged).
    actor: Actor
    actor_token: str = field(default="", repr=False)
    visit_id: str = ""
    channel: OrderChannel | None = None  # None: the caller's own (domain/channels.py)
    call_id: str = ""
    credited_agent_id: str = ""
    # The promotions the device expected (as sent; judged for form with the order).
    expected: Sequence[ExpectedInput] = ()

    @property
    def user_token(self) -> str:
        """The token a credit check carries for its user: an employee's (a service that
        submits for an employee has no token of theirs: no user, no override)."""
        return self.actor_token if self.actor.employee else ""


@dataclass(frozen=True)
class SubmitCall:
    """One SubmitOrder call: the command, its idempotency and where its request comes from
    (correlation id and trace context, which its events carry)."""

    cmd: SubmitCommand
    idempotency: IdempotentCall
    origin: Origin = field(default_factory=Origin)


@dataclass(frozen=True)
class Plan:
    """A call judged in step 1: a new order to write, or an existing one to answer."""

    order_id: str
    existing: Order | None = None  # answered as it is unless it is held and re-checked
    header: OrderHeader | None = None
    priced: Sequence[PricedLine] = ()
    currency: str = ""
    credit: CreditRequest | None = None
    promoted: PromotedOrder | None = None  # its lines as its promotions priced them


class SubmitOrders:
    def __init__(
        self,
        *,
        reader: SubmitReader,
        credit: CreditChecker,
        uow: Callable[[], OrdersUnitOfWork],
        clock: Callable[[], datetime],
        today: Callable[[], date],
        limits: ManualDiscountLimits,
        dates: DateWindow,
        respond: Callable[[Order], bytes],
        promotion_grace_days: int = 1,
    ) -> None:
        self._grace_days = promotion_grace_days
        self._reader = reader
        self._credit = credit
        self._uow = uow
        self._clock = clock
        self._today = today
        self._limits = limits
        self._dates = dates
        self._respond = respond

    async def __call__(self, calls: Sequence[SubmitCall]) -> list[Outcome]:
        """One outcome per call, in order."""
        out: dict[int, Outcome] = {}
        withheld: dict[int, int] = {}  # call → the rounds it was withheld in
        pending = list(range(len(calls)))
        while pending:
            rounds, pending = _first_of_each(calls, pending)
            again: list[int] = []
            for i, outcome in (await self._round(calls, rounds)).items():
                if isinstance(outcome, Withheld):
                    withheld[i] = withheld.get(i, 0) + 1
                    if withheld[i] < MAX_ROUNDS:
                        again.append(i)  # judged again with fresh reads (and credit)
                        continue
                    await self._give_up(calls[i])
                out[i] = outcome
            pending = sorted(again + pending)
        return [out.get(i, Conflict("order was not submitted; retry")) for i in range(len(calls))]

    async def _give_up(self, call: SubmitCall) -> None:
        """An order withheld round after round is not written: settlements' reservation for
        it is released (a retry reserves again)."""
        await self._credit.release(call.cmd.order_id, call.cmd.user_token)

    async def judge(self, calls: Sequence[SubmitCall]) -> list[Plan | Outcome]:
        """Step 1 alone (what the read step is tested by): each call's plan, or its answer."""
        out: dict[int, Outcome] = {}
        plans = await self._judge(calls, list(range(len(calls))), out)
        return [plans[i] if i in plans else out[i] for i in range(len(calls))]

    async def _round(self, calls: Sequence[SubmitCall], todo: list[int]) -> dict[int, Outcome]:
        out: dict[int, Outcome] = {}
        plans = await self._judge(calls, todo, out)
        decisions = await self._check(plans, out)
        out.update(await self._write(calls, plans, decisions))
        return out

    # -- step 1 --------------------------------------------------------------------------------
    async def _judge(
        self, calls: Sequence[SubmitCall], todo: list[int], out: dict[int, Outcome]
    ) -> dict[int, Plan]:
        today = self._today()
        named: dict[int, tuple[str, str]] = {}  # order id, override reason
        refused: dict[int, DomainError] = {}
        for i in todo:
            cmd = calls[i].cmd
            try:
                named[i] = (
                    require_id("order_id", cmd.order_id),
                    override_reason(cmd.override_reason),
                )
            except DomainError as exc:
                refused[i] = exc
        # Headers up front; their errors count only once the order is known to be new. A
        # service taking a phone order for an employee: is the employee a teleseller?
        roles = await self._reader.employee_roles(
            {calls[i].cmd.actor.acting_for for i in named if _for_a_teleseller(calls[i].cmd)}
        )
        fresh: dict[int, tuple[OrderHeader, list[str]]] = {}
        invalid: dict[int, DomainError] = {}
        for i, (order_id, _) in named.items():
            try:
                fresh[i] = (
                    _header(calls[i].cmd, order_id, today, self._dates, roles),
                    _product_ids(calls[i].cmd.lines),
                )
            except DomainError as exc:
                invalid[i] = exc
        headers = [h for h, _ in fresh.values()]
        # Orders arrive now: the promotions that ended before `since` are ENDED for them.
        terms = PromotionTerms(self._clock(), today, self._grace_days)
        since = terms.since
        keys = SubmitKeys(
            request_keys=[k for i in todo if (k := calls[i].idempotency.key)],
            order_ids=[order_id for order_id, _ in named.values()],
            outlet_ids={h.outlet_id for h in headers},
            client_ids={h.client_id for h in headers},
            # The lines' products, and those promotions give (their prices value them).
            product_ids={pid for _, ids in fresh.values() for pid in ids}
            | self._reader.promotion_products(since),
            dates={h.order_date for h in headers},
            route_agents={
                agent
                for i in fresh
                if calls[i].cmd.actor.route_scoped
                for agent in calls[i].cmd.actor.agents
            },
            visit_ids={h.visit_id for h in headers if h.visit_id},
            promotions_since=since,
        )
        reads, catalog = await self._reader.read(keys)
        given = free_products(catalog.promotions) - set(keys.product_ids)
        if given:  # the promotions were read with this batch (an import, a new day): again
            keys = replace(keys, product_ids=set(keys.product_ids) | given)
            reads, catalog = await self._reader.read(keys)
        # Phone orders: the agents of their outlets' field routes, one of whom is credited.
        field_agents = await self._reader.field_agents(
            {h.outlet_id for h in headers if h.channel is OrderChannel.PHONE}
        )
        # The distributors the orders name: their types (each must be a DISTRIBUTOR).
        distributors = await self._reader.client_types(
            {h.distributor_id for h in headers if h.distributor_id}
        )
        # The registered warehouses the orders name: their owners (each must be the order's).
        warehouses = await self._reader.warehouse_owners(
            {h.warehouse_id for h in headers if h.warehouse_id}
        )
        plans: dict[int, Plan] = {}
        existing: list[int] = []
        priceable: list[int] = []
        strangers: list[int] = []  # naming an outlet of another client than theirs
        for i in todo:
            call = calls[i]
            try:
                stored = call.idempotency.answer(reads.stored.get(call.idempotency.key))
            except DomainError as exc:
                out[i] = exc
                continue
            if stored is not None:
                out[i] = stored
            elif i in refused:
                out[i] = refused[i]
            elif named[i][0] in reads.taken:
                existing.append(i)
            elif i in invalid:
                out[i] = invalid[i]
            else:
                header = fresh[i][0]
                actor = call.cmd.actor
                if actor.route_scoped and not any(
                    (agent, header.outlet_id) in reads.routes for agent in actor.agents
                ):
                    out[i] = denied("outlet_id", f"outlet {header.outlet_id}")
                    continue
                owner = reads.owners.get(header.outlet_id)
                if owner is not None and owner != header.client_id:
                    strangers.append(i)  # judged below, knowing whether the client is known
                    continue
                try:
                    check_owner(owner, header.client_id, header.outlet_id)
                    _check_visit(reads.visits, header)
                    if header.distributor_id:
                        did = header.distributor_id
                        check_distributor("distributor_id", did, distributors.get(did))
                    check_warehouse_owner(
                        "warehouse_id", header.warehouse_id, warehouses, header.distributor_id
                    )
                    if header.channel is OrderChannel.PHONE:
                        fresh[i] = (_credited(call.cmd, header, field_agents), fresh[i][1])
                    priceable.append(i)
                except DomainError as exc:
                    out[i] = exc
        if strangers:  # another client's outlet, or a client the feed never told of?
            known = await self._reader.known_clients({fresh[i][0].client_id for i in strangers})
            for i in strangers:
                h = fresh[i][0]
                try:
                    check_owner(
                        reads.owners.get(h.outlet_id),
                        h.client_id,
                        h.outlet_id,
                        client_known=h.client_id in known,
                    )
                except DomainError as exc:
                    out[i] = exc
        books = price_books(
            reads, catalog, [(fresh[i][0].client_id, fresh[i][0].order_date) for i in priceable]
        )
        # Orders placed for a distributor with a price type of its own: its prices.
        theirs = await self._reader.distributor_books(
            {
                (h.distributor_id, h.client_id, h.order_date)
                for i in priceable
                if (h := fresh[i][0]).distributor_id
            },
            sorted({pid for i in priceable if fresh[i][0].distributor_id for pid in fresh[i][1]}),
        )
        # Promotions devices expected that are not in force: unknown, or ended (to say so).
        asked = {pid for i in priceable for pid in expected_ids(calls[i].cmd.expected)}
        extra = await self._reader.promotions(asked - {p.id for p in catalog.promotions})
        rules = PromotionRules(
            (*catalog.promotions, *extra),
            catalog.territory_parents,
            catalog.group_parents,
            terms.grace_days,
            terms.now,
            terms.today,
        )
        # What limited budgets have left, to choose with (the write checks again, locked).
        budgets = await self._reader.budgets(
            {p.id for p in catalog.promotions if p.budget.limited} if priceable else set()
        )
        left = {pid: b.left for pid, b in budgets.items()}
        for i in priceable:
            header = fresh[i][0]
            try:
                book = theirs.get((header.distributor_id, header.client_id, header.order_date))
                if book is None:
                    book = books[(header.client_id, header.order_date)]
                card = reads.outlet_cards.get(header.outlet_id, ("", ""))
                plans[i] = self._new_order(
                    calls[i].cmd, header, book, named[i][1], today, rules, card, left
                )
            except DomainError as exc:
                out[i] = exc
        if existing:
            found = await self._reader.orders([named[i][0] for i in existing])
            for i in existing:
                try:
                    plans[i] = _existing_order(calls[i].cmd, found, named[i], today)
                except DomainError as exc:
                    out[i] = exc
        return plans

    def _new_order(
        self,
        cmd: SubmitCommand,
        header: OrderHeader,
        book: PriceBook,
        reason: str,
        today: date,
        rules: PromotionRules,
        card: tuple[str, str],
        left: Mapping[str, Decimal],
    ) -> Plan:
        """A new order's lines priced, with its promotions, and the credit request for its
        total."""
        priced = book.price_lines(cmd.lines, roles=cmd.actor.role_names, limits=self._limits)
        facts = OrderFacts(
            OutletFacts(header.outlet_id, header.client_id, *card),
            OrderKind.PRE_SALE,
            header.channel,
            header.distributor_id,
            header.order_date,
            book.currency,
        )
        promoted = with_promotions(priced, facts, rules, book, cmd.expected, left)
        gross = promoted.gross if promoted else sum((p.amounts.gross for p in priced), ZERO)
        return Plan(
            header.order_id,
            None,
            header,
            priced,
            book.currency,
            promoted=promoted,
            credit=CreditRequest(
                order_id=header.order_id,
                client_id=header.client_id,
                amount=gross,
                currency_code=book.currency,
                stage=Stage.ORDER_SUBMIT,
                actor_id=cmd.actor.id,
                override_reason=reason,
                as_of=today,
                actor_token=cmd.user_token,
            ),
        )

    # -- step 2 --------------------------------------------------------------------------------
    async def _check(
        self, plans: dict[int, Plan], out: dict[int, Outcome]
    ) -> dict[int, CreditDecision]:
        """One CheckCreditBatch for every plan that needs a decision; refusals go to `out`."""
        asking = [i for i, plan in plans.items() if plan.credit is not None]
        if not asking:
            return {}
        requests = [plans[i].credit for i in asking]
        try:
            answers = await self._credit.check_many(requests)  # type: ignore[arg-type]
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

    # -- step 3 --------------------------------------------------------------------------------
    async def _write(
        self,
        calls: Sequence[SubmitCall],
        plans: dict[int, Plan],
        decisions: dict[int, CreditDecision],
    ) -> dict[int, Outcome]:
        """Write the round's orders and store every answer in one transaction."""
        todo = [i for i, plan in plans.items() if plan.existing is not None or i in decisions]
        if not todo:
            return {}
        return await once_more_on_race(
            lambda after_race: self._write_once(calls, plans, decisions, todo, after_race)
        )

    async def _write_once(
        self,
        calls: Sequence[SubmitCall],
        plans: dict[int, Plan],
        decisions: dict[int, CreditDecision],
        todo: list[int],
        after_race: bool,
    ) -> dict[int, Outcome]:
        out: dict[int, Outcome] = {}
        now = self._clock()
        async with self._uow() as uow:
            if after_race:  # a concurrent copy of a call stored its answer first: that one
                todo = await _answered_meanwhile(uow, calls, todo, out)
            new = [i for i in todo if plans[i].existing is None]
            needs = {i: _needs(plans[i]) for i in new}
            wanted = {pid for i in new for pid in needs[i]}
            budgets: dict[str, BudgetState] = {}
            if wanted:  # the budgets' rows locked, then each order judged in call order
                budgets = await uow.budgets.states(wanted, lock=True)
                fit = fits([needs[i] for i in new], budgets)
                for i, ok in zip(new, fit, strict=True):
                    if not ok:
                        out[i] = _withheld(plans[i].order_id, needs[i], budgets)
                new = [i for i, ok in zip(new, fit, strict=True) if ok]
                todo = [i for i in todo if i not in out]
            orders = [_submitted(plans[i], decisions[i], now) for i in new]
            inserted = {o.id for o in await uow.orders.add_all_if_absent(orders)}
            answered: dict[int, Order] = {}
            entries: list[BudgetEntry] = []
            for i, order in zip(new, orders, strict=True):
                if order.id in inserted:
                    uow.track(order, origin=calls[i].origin)
                    answered[i] = order
                    entries += consumption(order.id, order.revision, needs[i], now)
            if entries:
                await record_entries(uow, entries, budgets)
            for i in todo:
                if i in answered:
                    continue
                current = await _current(uow.orders, plans[i], decisions.get(i), now)
                uow.track(current, origin=calls[i].origin)
                answered[i] = current
            records: list[tuple[str, str, bytes]] = []
            for i, order in answered.items():
                out[i] = response = self._respond(order)
                call = calls[i].idempotency
                if call.key:
                    records.append((call.key, call.digest, response))
            await uow.record_responses(records)
            await uow.commit()
        return out


# Rounds a call may be withheld in (a budget ran out under it) before it is refused.
MAX_ROUNDS = 3


class Withheld(Conflict):
    """An order that no longer fits a budget it was priced with, when the budgets were locked
    to write it: judged again in the next round (ABORTED, retryable, after `MAX_ROUNDS`)."""


def _needs(plan: Plan) -> dict[str, Decimal]:
    return needs_of(plan.promoted.promotions) if plan.promoted is not None else {}


def _withheld(
    order_id: str, needs: Mapping[str, Decimal], budgets: Mapping[str, BudgetState]
) -> Withheld:
    return Withheld(
        f"order_id: order {order_id} was priced with promotion budgets that ran out while it "
        f"was written ({shortfall(needs, budgets)}); submit it again"
    )


def _first_of_each(calls: Sequence[SubmitCall], pending: list[int]) -> tuple[list[int], list[int]]:
    """The calls of this round, and those naming an order or request_id already in it."""
    first: list[int] = []
    later: list[int] = []
    seen: set[str] = set()
    for i in pending:
        ids = {calls[i].cmd.order_id, calls[i].idempotency.key} - {""}
        (later if ids & seen else first).append(i)
        seen |= ids
    return first, later


def _for_a_teleseller(cmd: SubmitCommand) -> bool:
    """A service's phone order for an employee (whose roles must hold TELESELLER)."""
    return (
        cmd.channel is OrderChannel.PHONE and not cmd.actor.employee and bool(cmd.actor.acting_for)
    )


def _header(
    cmd: SubmitCommand,
    order_id: str,
    today: date,
    dates: DateWindow,
    roles: Mapping[str, frozenset[str]],
) -> OrderHeader:
    """The order's header, taken by the caller (or the employee a service acts for): its agent
    until a phone order is credited (`_credited`)."""
    taker = cmd.actor.agent_of_new_order()
    taker_roles = cmd.actor.roles if cmd.actor.employee else roles.get(taker, frozenset())
    channel = order_channel(cmd.channel, cmd.actor.roles, teleseller=is_teleseller(taker_roles))
    check_channel_fields(
        channel,
        visit_id=cmd.visit_id,
        call_id=cmd.call_id,
        credited_agent_id=cmd.credited_agent_id,
    )
    dates.check("order_date", cmd.order_date, today)
    dates.check("delivery_date", cmd.delivery_date, today)
    return OrderHeader.create(
        order_id=order_id,
        client_id=cmd.client_id,
        outlet_id=cmd.outlet_id,
        agent_id=taker,
        distributor_id=cmd.distributor_id,
        warehouse_id=cmd.warehouse_id,
        order_date=cmd.order_date or today,
        delivery_date=cmd.delivery_date,
        comment=cmd.comment,
        visit_id=cmd.visit_id,
        channel=channel,
        taken_by=taker,
        call_id=cmd.call_id,
    )


def _credited(
    cmd: SubmitCommand, header: OrderHeader, field_agents: Mapping[str, set[str]]
) -> OrderHeader:
    """A phone order's header with its agent the one credited (domain/channels.py)."""
    agents = field_agents.get(header.outlet_id, set())
    agent = credited_agent(header.outlet_id, cmd.credited_agent_id, agents, header.taken_by)
    return replace(header, agent_id=agent)


def _check_visit(visits: Mapping[str, VisitState], header: OrderHeader) -> None:
    if header.visit_id:
        visit = visits.get(header.visit_id)
        check_visit(visit, header.visit_id, header.outlet_id, header.agent_id)


def _product_ids(lines: Sequence[LineInput]) -> list[str]:
    out = []
    for i, ln in enumerate(lines):
        pid = ln.product_id
        if pid:
            # The field path is built only for an id `require_id` may refuse or rewrite.
            out.append(pid if is_canonical_id(pid) else require_id(f"lines[{i}].product_id", pid))
    return out


def _existing_order(
    cmd: SubmitCommand, found: Mapping[str, Order], named: tuple[str, str], today: date
) -> Plan:
    """A call for an order that exists: answered as it is, or a held order re-checked; one
    outside the caller's scope (another agent's) is refused."""
    order_id, reason = named
    existing = found.get(order_id)
    if existing is None:  # orders are never deleted
        raise Conflict(f"order {order_id} changed while it was submitted; retry")
    if not cmd.actor.sees_order(existing.agent_id, taken_by=existing.taken_by):
        raise denied("order_id", f"order {order_id}")
    if existing.kind is not OrderKind.PRE_SALE:
        raise AlreadyExists(f"order_id: {order_id} is already used by a van sale")
    if existing.status is not OrderStatus.CREDIT_HOLD:
        return Plan(order_id, existing)
    return Plan(
        order_id,
        existing,
        credit=CreditRequest(
            order_id=order_id,
            client_id=existing.client_id,
            amount=existing.gross_total,
            currency_code=existing.currency_code,
            stage=Stage.ORDER_SUBMIT,
            actor_id=cmd.actor.id,
            override_reason=reason,
            as_of=today,
            actor_token=cmd.user_token,
        ),
    )


def _submitted(plan: Plan, decision: CreditDecision, now: datetime) -> Order:
    if plan.header is None:
        raise ValueError(f"order {plan.order_id}: a new order needs its header")
    return Order.submit(plan.header, plan.priced, plan.currency, decision, now, plan.promoted)


async def _current(
    orders: OrderRepository, plan: Plan, decision: CreditDecision | None, now: datetime
) -> Order:
    """The order as it is now; a held one re-checked if it did not change since step 1."""
    current = await orders.find(plan.order_id)
    if current is None:  # it was there at step 1 (or just inserted by another): never deleted
        raise Conflict(f"order {plan.order_id} changed while it was submitted; retry")
    if (
        decision is not None
        and plan.existing is not None
        and current.status is OrderStatus.CREDIT_HOLD
        and current.version == plan.existing.version
    ):
        current.recheck(decision, now, plan.credit.actor_id if plan.credit else "")
        await orders.save(current)
    return current


async def _answered_meanwhile(
    uow: OrdersUnitOfWork, calls: Sequence[SubmitCall], todo: list[int], out: dict[int, Outcome]
) -> list[int]:
    """Answer the calls whose answer a concurrent copy stored; the calls left to write."""
    stored = await uow.stored_responses([k for i in todo if (k := calls[i].idempotency.key)])
    left = []
    for i in todo:
        call = calls[i].idempotency
        try:
            answer = call.answer(stored.get(call.key))
        except DomainError as exc:
            out[i] = exc
            continue
        if answer is None:
            left.append(i)
        else:
            out[i] = answer
    return left
