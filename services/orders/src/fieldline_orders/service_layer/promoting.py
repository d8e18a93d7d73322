"""Promotions for the orders priced one at a time (a van sale, an amendment, a preview): what
they read to judge an order's promotions (domain/order_promotions.py), and their budgets taken
in the write transaction and given back (domain/budgets.py). SubmitOrder's batches read the
same from the catalog cache and take budgets batch-wise (service_layer/submit.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from fieldline_kit.errors import Conflict
from fieldline_orders.adapters.repository import OrdersUnitOfWork
from fieldline_orders.domain import events
from fieldline_orders.domain.budgets import (
    BudgetEntry,
    BudgetState,
    consumption,
    fits,
    level_changes,
    needs_of,
    releases,
    shortfall,
    totals,
)
from fieldline_orders.domain.order_promotions import (
    AppliedPromotion,
    ExpectedInput,
    PromotedOrder,
    PromotionRules,
    expected_ids,
    with_promotions,
)
from fieldline_orders.domain.orders import OrderChannel, OrderKind
from fieldline_orders.domain.pricing import PriceBook, PricedLine
from fieldline_orders.domain.promotions import OrderFacts, OutletFacts, Promotion
from fieldline_orders.domain.values import ZERO


@dataclass(frozen=True)
class PromotionTerms:
    """The arrival of the order being judged (now, the business day) and the grace days."""

    now: datetime
    today: date
    grace_days: int = 1

    @property
    def since(self) -> date:
        """Promotions that ended before this day are ENDED for an order arriving today."""
        return self.today - timedelta(days=self.grace_days)


async def promotions_in_force(
    uow: OrdersUnitOfWork, terms: PromotionTerms, expected: Sequence[ExpectedInput] = ()
) -> list[Promotion]:
    """Those an order arriving now may get, and those the device expected (if they ended, to
    say so)."""
    return await uow.promotions.not_ended(terms.since, expected_ids(expected))


async def promotion_rules(
    uow: OrdersUnitOfWork,
    terms: PromotionTerms,
    promotions: list[Promotion],
    group_parents: Mapping[str, str],
) -> PromotionRules:
    territories = await uow.feed_reads.territory_parents() if promotions else {}
    return PromotionRules(
        promotions, territories, group_parents, terms.grace_days, terms.now, terms.today
    )


async def promote_one(
    uow: OrdersUnitOfWork,
    terms: PromotionTerms,
    in_force: Sequence[Promotion],
    book: PriceBook,
    priced: Sequence[PricedLine],
    order: OrderShape,
    expected: Sequence[ExpectedInput] = (),
    held: Mapping[str, Decimal] | None = None,
) -> PromotedOrder | None:
    """One order's lines with the promotions it gets now, the budgets as they stand (`held`:
    what the order holds already, given back if it is written: an amendment's); None, with
    nothing read, when none is in force and none expected."""
    if not in_force and not expected:
        return None
    facts = OrderFacts(
        await outlet_facts(uow, order.outlet_id, order.client_id),
        order.kind,
        order.channel,
        order.distributor_id,
        order.order_date,
        book.currency,
    )
    rules = await promotion_rules(uow, terms, list(in_force), book.group_parents)
    left = await budgets_left(uow, in_force, held)
    return with_promotions(priced, facts, rules, book, expected, left)


@dataclass(frozen=True)
class OrderShape:
    """What targeting reads of an order besides its outlet's card."""

    outlet_id: str
    client_id: str
    kind: OrderKind
    channel: OrderChannel
    distributor_id: str
    order_date: date


async def outlet_facts(uow: OrdersUnitOfWork, outlet_id: str, client_id: str) -> OutletFacts:
    """What targeting reads of the outlet ("" where the clients feed has not told)."""
    found = await uow.feed_reads.outlet_targeting(outlet_id)
    if found is None:
        return OutletFacts(outlet_id, client_id, "", "")
    return OutletFacts(outlet_id, client_id, found[2], found[3])


async def budgets_left(
    uow: OrdersUnitOfWork,
    promotions: Sequence[Promotion],
    held: Mapping[str, Decimal] | None = None,
) -> dict[str, Decimal]:
    """What each limited budget of `promotions` has left as it stands, plus what the order
    being judged holds of it already (`held`: an amended order gives its own back)."""
    states = await uow.budgets.states(p.id for p in promotions if p.budget.limited)
    own = held or {}
    return {pid: b.left + own.get(pid, ZERO) for pid, b in states.items()}


async def take_budgets(
    uow: OrdersUnitOfWork,
    order_id: str,
    revision: int,
    promotions: Sequence[AppliedPromotion],
    now: datetime,
    *,
    released: Sequence[BudgetEntry] = (),
) -> None:
    """In the write transaction: the budgets the order's revision needs locked and checked
    (ABORTED, nothing written, when one no longer has enough: the caller submits again and is
    judged again), `released` (the replaced revision's) given back, the consumption written."""
    needs = needs_of(promotions)
    if not needs and not released:
        return
    wanted = set(needs) | {e.promotion_id for e in released}
    budgets = await uow.budgets.states(wanted, lock=True)
    back = totals(released)
    freed = {
        pid: BudgetState(b.total, b.consumed + back.get(pid, ZERO)) for pid, b in budgets.items()
    }
    if not fits([needs], freed)[0]:
        raise Conflict(
            f"order_id: the promotion budgets {order_id} was priced with ran out meanwhile "
            f"({shortfall(needs, freed)}); send it again"
        )
    await record_entries(uow, [*released, *consumption(order_id, revision, needs, now)], budgets)


async def release_budgets(uow: OrdersUnitOfWork, order_id: str, now: datetime) -> None:
    """Everything the order holds of promotion budgets given back (cancelled, rejected)."""
    entries = await uow.budgets.of_order(order_id)
    given_back = releases(order_id, entries, now)
    if given_back:
        budgets = await uow.budgets.states({e.promotion_id for e in given_back}, lock=True)
        await record_entries(uow, given_back, budgets)


async def record_entries(
    uow: OrdersUnitOfWork, entries: Sequence[BudgetEntry], before: Mapping[str, BudgetState]
) -> None:
    """The entries written (those not there yet), and each promotion whose budget they took
    to another level (`BudgetState.level`) announced at its next version, with what it has
    consumed (`before`: the budgets, locked, as they were)."""
    inserted = await uow.budgets.record(entries)
    for pid, after in level_changes(before, totals(inserted)).items():
        promotion = await uow.promotions.find(pid)
        if promotion is None:  # a budget row outlives no promotion (foreign key)
            continue
        stepped = replace(promotion, version=promotion.version + 1)
        await uow.promotions.save(stepped)
        uow.catalog.announce(events.PromotionChanged(stepped, after.consumed))
