"""Van-sale use cases: vans, loading, sales, returns, end-of-day unloading.

CompleteVanSale, like SubmitOrder, never holds a write transaction across the call to
settlements:

1. `prepare_van_sale` (a read-only unit of work): validates, checks the outlet, prices the
   lines and checks that the van holds enough stock, so a sale that cannot happen fails before
   settlements is asked (and reserves credit);
2. the caller runs CheckCredit at stage VAN_SALE; BLOCK refuses the sale, nothing is written;
3. `finish_van_sale` (idempotent unit of work): per product a conditional
   `UPDATE van_stock … WHERE quantity >= q`; any miss refuses the whole sale (the transaction
   rolls back) naming the product, what is there and what was asked. This, not step 1, is
   what keeps the stock from going negative under concurrent sales.

A sale refused at step 3 (a concurrent sale took the stock after step 1) leaves the credit
reservation made at step 2 in settlements until it expires (SETTLEMENTS_RESERVATION_HOURS).

Who acts is the verified caller (`Actor`): a van seller sells from, loads, unloads and takes
returns into its own van only, at the outlets of its routes (service_layer/scope.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from fieldline_kit.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from fieldline_orders.adapters.repository import OrdersUnitOfWork
from fieldline_orders.domain.access import Actor, denied
from fieldline_orders.domain.contacts import check_visit
from fieldline_orders.domain.order_promotions import (
    ExpectedInput,
    PromotedOrder,
    free_products,
)
from fieldline_orders.domain.orders import (
    CreditDecision,
    CreditRequest,
    DateWindow,
    Order,
    OrderChannel,
    OrderHeader,
    OrderKind,
    Stage,
)
from fieldline_orders.domain.pricing import LineInput, ManualDiscountLimits, PricedLine
from fieldline_orders.domain.returns import ContainerInput, GoodsReturn, ReturnLineInput
from fieldline_orders.domain.values import (
    MAX_CODE,
    ZERO,
    limit_text,
    optional_id,
    positive_quantity,
    quantity,
    require_id,
)
from fieldline_orders.domain.van import (
    Movement,
    MovementKind,
    Unloading,
    Van,
    VanLoad,
    check_sale_stock,
    expected_cash,
    not_enough_stock,
    sum_by_product,
)
from fieldline_orders.service_layer.distributors import require_distributor
from fieldline_orders.service_layer.orders import check_outlet, override_reason
from fieldline_orders.service_layer.promoting import (
    OrderShape,
    PromotionTerms,
    promote_one,
    promotions_in_force,
    take_budgets,
)
from fieldline_orders.service_layer.scope import check_outlet_scope, readable_van, writable_van


# --------------------------------------------------------------------------------- vans
async def create_van(
    uow: OrdersUnitOfWork,
    now: datetime,
    *,
    id: str,
    name: str,
    van_seller_id: str,
    currency: str,
    distributor_id: str = "",
) -> Van:
    """A new van; the distributor it sells for, if named, a DISTRIBUTOR client of the feed."""
    van = Van.create(
        id=id,
        name=name,
        van_seller_id=van_seller_id,
        currency=currency,
        now=now,
        distributor_id=distributor_id,
    )
    existing = await uow.vans.find(van.id)
    if existing is not None:
        return existing  # a retried create returns the original
    await require_distributor(uow, van.distributor_id, "van.distributor_id")
    await uow.vans.add(van)
    return van


async def van_stock(
    uow: OrdersUnitOfWork, actor: Actor, van_id: str
) -> tuple[str, dict[str, Decimal]]:
    """The van's id and what it holds, base units per product."""
    van = await readable_van(uow, actor, van_id)
    return van.id, await uow.vans.stock(van.id)


# ------------------------------------------------------------------------------ loading
@dataclass(frozen=True)
class QuantityInput:
    product_id: str
    unit: str
    quantity: str


async def load_van(
    uow: OrdersUnitOfWork,
    now: datetime,
    actor: Actor,
    *,
    load_id: str,
    van_id: str,
    on: date,
    lines: Sequence[QuantityInput],
) -> tuple[str, dict[str, Decimal]]:
    """Loads goods into the van; returns the van's id and its stock afterwards."""
    lid = require_id("load_id", load_id)
    vans = uow.vans
    van = await writable_van(uow, actor, van_id)
    existing = await vans.find_load(lid)
    if existing is not None:
        if existing.van_id != van.id:
            raise AlreadyExists(f"load_id: {lid} is a loading of another van")
        return van.id, await vans.stock(van.id)
    if not lines:
        raise InvalidArgument("lines", "at least one line is required")
    products = await uow.products.by_id(
        [require_id(f"lines[{i}].product_id", ln.product_id) for i, ln in enumerate(lines)]
    )
    base_lines: list[tuple[str, Decimal]] = []
    for i, ln in enumerate(lines):
        pid = require_id(f"lines[{i}].product_id", ln.product_id)
        product = products.get(pid)
        if product is None:
            raise NotFound("product", pid, f"lines[{i}].product_id")
        unit = product.unit(f"lines[{i}].unit", ln.unit)
        qty = positive_quantity(f"lines[{i}].quantity", ln.quantity)
        base_lines.append((pid, qty * unit.ratio))
    load = VanLoad.create(load_id=lid, van_id=van.id, on=on, lines=base_lines, now=now)
    for pid, q in sorted(load.lines):
        await vans.put_in(van.id, pid, q)
    await vans.record(load.movements(), now)
    await vans.add_load(load)
    return van.id, await vans.stock(van.id)


# ---------------------------------------------------------------------------------- sale
@dataclass(frozen=True)
class VanSaleCommand:
    sale_id: str
    van_id: str
    client_id: str
    outlet_id: str
    on: date | None
    lines: Sequence[LineInput]
    cash_collected: Decimal
    cash_currency: str
    receipt_number: str
    override_reason: str
    # The verified caller, and its bearer token (forwarded to settlements, never logged).
    actor: Actor
    actor_token: str = field(default="", repr=False)
    visit_id: str = ""
    expected: Sequence[ExpectedInput] = ()  # the promotions the device expected


@dataclass(frozen=True)
class VanSalePlan:
    sale_id: str
    existing: Order | None = None
    van: Van | None = None  # the van sold from (its distributor's sale, if it has one)
    header: OrderHeader | None = None
    priced: Sequence[PricedLine] = ()
    currency: str = ""
    # Base units per product in first-seen order, and the field that names each product.
    wanted: dict[str, Decimal] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    credit: CreditRequest | None = None
    cash_collected: Decimal = ZERO
    receipt_number: str = ""
    promoted: PromotedOrder | None = None  # its lines as its promotions priced them

    @property
    def van_id(self) -> str:
        return self.van.id if self.van is not None else ""


async def prepare_van_sale(
    uow: OrdersUnitOfWork,
    cmd: VanSaleCommand,
    *,
    today: date,
    limits: ManualDiscountLimits,
    dates: DateWindow,
    promotions: PromotionTerms | None = None,
) -> VanSalePlan:
    """Step 1, on a read-only unit of work (nothing is written). With `promotions`, the sale
    gets those in force (their free goods come from the van too)."""
    sale_id = require_id("sale_id", cmd.sale_id)
    actor = cmd.actor
    existing = await uow.orders.find(sale_id)
    if existing is not None:
        return _already_made(actor, existing)
    van = await writable_van(uow, actor, cmd.van_id)
    van_id = van.id
    dates.check("date", cmd.on, today)
    header = OrderHeader.create(
        order_id=sale_id,
        client_id=cmd.client_id,
        outlet_id=cmd.outlet_id,
        agent_id=actor.id,
        warehouse_id=van_id,
        order_date=cmd.on or today,
        visit_id=cmd.visit_id,
        id_field="sale_id",
    )
    await check_outlet_scope(uow, actor, header.outlet_id, write=True)
    await check_outlet(uow, header.client_id, header.outlet_id)
    if header.visit_id:
        visit = await uow.contacts.visit(header.visit_id)
        check_visit(visit, header.visit_id, header.outlet_id, header.agent_id)
    ids = [
        require_id(f"lines[{i}].product_id", ln.product_id)
        for i, ln in enumerate(cmd.lines)
        if ln.product_id
    ]
    in_force = await promotions_in_force(uow, promotions, cmd.expected) if promotions else []
    book = await uow.catalog.price_book(
        header.client_id,
        header.order_date,
        [*ids, *sorted(free_products(in_force))],
        van.distributor_id,
    )
    priced = book.price_lines(cmd.lines, roles=actor.role_names, limits=limits)
    currency = book.currency
    if cmd.cash_currency and cmd.cash_currency != currency:
        raise InvalidArgument(
            "cash_collected.currency_code",
            f"must be the sale's currency {currency}, got {cmd.cash_currency}",
        )
    promoted = None
    if promotions is not None:
        shape = OrderShape(
            header.outlet_id,
            header.client_id,
            OrderKind.VAN_SALE,
            OrderChannel.FIELD,
            van.distributor_id,
            header.order_date,
        )
        promoted = await promote_one(uow, promotions, in_force, book, priced, shape, cmd.expected)
    fields: dict[str, str] = {}
    labels: dict[str, str] = {}
    for i, p in enumerate(priced):
        fields.setdefault(p.product.id, f"lines[{i}].quantity")
        labels.setdefault(p.product.id, f"{p.product.sku} ({p.product.id})")
    if promoted is None:
        wanted = sum_by_product((p.product.id, p.base_quantity) for p in priced)
        gross = sum((p.amounts.gross for p in priced), ZERO)
    else:  # free goods and gifts leave the van too
        wanted = sum_by_product((ln.product_id, ln.base_quantity) for ln in promoted.lines)
        gross = promoted.gross
        for ln in promoted.lines:
            if ln.free_of_charge:
                fields.setdefault(ln.product_id, "lines")
                labels.setdefault(ln.product_id, f"{ln.product_id} (free, a promotion's)")
    try:
        check_sale_stock(van_id, wanted, await uow.vans.stock(van_id), fields, labels)
    except FailedPrecondition:
        # A copy of this very sale may have committed since the first look (these reads are
        # not one snapshot): its stock is gone, and the retry must get the sale, not a refusal.
        done = await uow.orders.find(sale_id)
        if done is None:
            raise
        return _already_made(actor, done)
    return VanSalePlan(
        sale_id=sale_id,
        van=van,
        header=header,
        priced=priced,
        currency=currency,
        wanted=wanted,
        fields=fields,
        labels=labels,
        credit=CreditRequest(
            order_id=sale_id,
            client_id=header.client_id,
            amount=gross,
            currency_code=currency,
            stage=Stage.VAN_SALE,
            actor_id=actor.id,
            override_reason=override_reason(cmd.override_reason),
            as_of=today,
            actor_token=cmd.actor_token if actor.employee else "",
        ),
        cash_collected=cmd.cash_collected,
        # Checked here, before settlements is asked, not only when the sale is written.
        receipt_number=limit_text("receipt_number", cmd.receipt_number, MAX_CODE),
        promoted=promoted,
    )


def _already_made(actor: Actor, existing: Order) -> VanSalePlan:
    """The plan of a sale whose id is taken: the sale itself, to a caller who may see it."""
    if not actor.sees_order(existing.agent_id):
        raise denied("sale_id", f"sale {existing.id}")
    if existing.kind is not OrderKind.VAN_SALE:
        raise AlreadyExists(f"sale_id: {existing.id} is already used by a pre-sale order")
    return VanSalePlan(existing.id, existing)


class SaleAlreadyCompleted(Exception):
    """Raised (so the unit of work rolls back) when a retried sale finds the original done."""

    def __init__(self, order: Order) -> None:
        super().__init__(order.id)
        self.order = order


async def finish_van_sale(
    uow: OrdersUnitOfWork, plan: VanSalePlan, decision: CreditDecision, now: datetime
) -> Order:
    """Step 3, in the write transaction: take the stock, write the sale."""
    orders = uow.orders
    current = await orders.find(plan.sale_id)
    if current is not None:
        return current  # a concurrent retry of the same sale won
    assert plan.header is not None and plan.van is not None
    order = Order.van_sale(
        plan.header,
        plan.van,
        plan.priced,
        plan.currency,
        decision,
        plan.cash_collected,
        plan.receipt_number,
        now,
        plan.promoted,
    )
    # The promotions' budgets first (locked, checked, taken), as every writer takes them.
    await take_budgets(uow, order.id, order.revision, order.promotions, now)
    vans = uow.vans
    # Rows are taken in product id order, as everywhere, so that two sales (or a sale and an
    # unloading) of the same products lock them in the same order and never deadlock.
    for product_id, q in sorted(plan.wanted.items()):
        if not await vans.take_out(plan.van_id, product_id, q):
            done = await orders.find(plan.sale_id)
            if done is not None:
                # A concurrent copy of this very sale took the stock and committed first.
                raise SaleAlreadyCompleted(done)
            available = (await vans.stock(plan.van_id)).get(product_id, ZERO)
            raise not_enough_stock(
                plan.fields[product_id],
                plan.van_id,
                plan.labels.get(product_id, product_id),
                available,
                q,
            )
    await vans.record(
        [
            Movement(plan.van_id, order.id, MovementKind.SALE, pid, -q, order.order_date)
            for pid, q in plan.wanted.items()
        ],
        now,
    )
    await orders.add(order)
    return order


# ------------------------------------------------------------------------------- returns
async def accept_return(
    uow: OrdersUnitOfWork,
    now: datetime,
    actor: Actor,
    *,
    return_id: str,
    van_id: str,
    client_id: str,
    outlet_id: str,
    order_id: str,
    on: date,
    lines: Sequence[ReturnLineInput],
    containers: Sequence[ContainerInput],
    visit_id: str = "",
) -> GoodsReturn:
    """Goods and containers back from an outlet of the caller's scope, into its van (one it
    may act on) or to the warehouse; priced from the named sale (the caller's own, or one of
    that very outlet), else at the client's current price. A known visit it names must be at
    the outlet and the caller's (a service's: the employee its token names), not MISSED."""
    rid = require_id("return_id", return_id)
    vans = uow.vans
    existing = await uow.returns.find(rid)
    if existing is not None:
        if not actor.company_wide and existing.actor_id != actor.id:
            raise denied("return_id", f"return {rid}")
        return existing
    vid = optional_id("van_id", van_id)
    if vid:
        await writable_van(uow, actor, vid)
    cid = require_id("client_id", client_id)
    oid = require_id("outlet_id", outlet_id)
    await check_outlet_scope(uow, actor, oid, write=True)
    await check_outlet(uow, cid, oid)
    vsid = optional_id("visit_id", visit_id)
    if vsid:
        employee = actor.id if actor.employee else actor.acting_for
        check_visit(await uow.contacts.visit(vsid), vsid, oid, employee)
    sale: Order | None = None
    already: dict[str, Decimal] = {}
    if order_id:
        sid = require_id("order_id", order_id)
        sale = await uow.orders.find(sid)
        if sale is None and actor.company_wide:
            raise NotFound("order", sid, "order_id")
        if sale is None or not (actor.sees_order(sale.agent_id) or sale.outlet_id == oid):
            raise denied("order_id", f"order {sid}")
        already = await uow.returns.returned_against(sale.id)
    ids = [
        require_id(f"lines[{i}].product_id", ln.product_id)
        for i, ln in enumerate(lines)
        if ln.product_id
    ]
    # Goods sold for a distributor come back at its prices.
    book = await uow.catalog.price_book(cid, on, ids, sale.distributor_id if sale else "")
    goods_return = GoodsReturn.accept(
        return_id=rid,
        van_id=vid,
        client_id=cid,
        outlet_id=oid,
        on=on,
        lines=lines,
        containers=containers,
        book=book,
        sale=sale,
        already_returned=already,
        actor_id=actor.id,
        now=now,
        visit_id=vsid,
    )
    if vid:
        into_van = sum_by_product((ln.product_id, ln.base_quantity) for ln in goods_return.lines)
        for pid, q in sorted(into_van.items()):
            await vans.put_in(vid, pid, q)
        await vans.record(
            [
                Movement(vid, goods_return.id, MovementKind.RETURN, pid, q, on)
                for pid, q in into_van.items()
            ],
            now,
        )
    await uow.returns.add(goods_return)
    return goods_return


# ----------------------------------------------------------------------------- unloading
async def unload_van(
    uow: OrdersUnitOfWork,
    now: datetime,
    actor: Actor,
    *,
    unload_id: str,
    van_id: str,
    on: date,
    counted: Sequence[tuple[str, str]],
    cash_handed_over: Decimal,
    cash_currency: str,
) -> Unloading:
    uid = require_id("unload_id", unload_id)
    vans = uow.vans
    van = await writable_van(uow, actor, van_id)
    existing = await vans.find_unloading(uid)
    if existing is not None:
        if existing.van_id != van.id:
            raise AlreadyExists(f"unload_id: {uid} is an unloading of another van")
        return existing
    counts: list[tuple[str, Decimal]] = []
    for i, (pid, q) in enumerate(counted):
        counts.append(
            (require_id(f"counted[{i}].product_id", pid), quantity(f"counted[{i}].quantity", q))
        )
    known = await uow.products.existing([pid for pid, _ in counts])
    for i, (pid, _) in enumerate(counts):
        if pid not in known:
            raise NotFound("product", pid, f"counted[{i}].product_id")
    expected = await vans.stock(van.id, for_update=True)
    sales_cash, earlier = await vans.day_cash(van.id, on)
    unloading = Unloading.reconcile(
        unload_id=uid,
        van=van,
        on=on,
        expected=expected,
        counted=counts,
        cash_expected=expected_cash([sales_cash], [earlier]),
        cash_handed_over=cash_handed_over,
        cash_currency=cash_currency,
        now=now,
    )
    await vans.record(unloading.movements(), now)
    await vans.empty(van.id, list(expected))
    await vans.add_unloading(unloading)
    return unloading
