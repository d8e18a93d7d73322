"""Promotions between the published protos (fieldline.orders.v1 `Promotion`) and the domain."""

from __future__ import annotations

from decimal import Decimal

from fieldline.orders.v1 import resources_pb2 as pb
from fieldline_kit.grpc.convert import from_enum, pb_date, set_ts
from fieldline_orders.adapters.proto_mapping import ORDER_CHANNELS, ORDER_KINDS, opt_date
from fieldline_orders.domain.promotions import (
    AmountOff,
    BudgetInput,
    BudgetKind,
    Bundle,
    Combinability,
    FreeGoods,
    Gift,
    MechanicInput,
    PercentOff,
    Promotion,
    TargetingInput,
)
from fieldline_orders.domain.values import fmt

COMBINABILITIES = {
    Combinability.EXCLUSIVE: pb.PROMOTION_COMBINABILITY_EXCLUSIVE,
    Combinability.STACKABLE: pb.PROMOTION_COMBINABILITY_STACKABLE,
}
BUDGET_KINDS = {
    BudgetKind.MONEY: pb.PROMOTION_BUDGET_KIND_MONEY,
    BudgetKind.UNITS: pb.PROMOTION_BUDGET_KIND_UNITS,
}


def promotion_from_pb(path: str, p: pb.Promotion) -> Promotion:
    """The record as sent, validated (`Promotion.create`); its stop is applied by the upsert."""
    t = p.targeting
    tp = f"{path}.targeting"
    return Promotion.create(
        path,
        id=p.id,
        external_id=p.external_id,
        name=p.name,
        description=p.description,
        valid_from=opt_date(f"{path}.valid_from", p.valid_from),
        valid_to=opt_date(f"{path}.valid_to", p.valid_to),
        currency=p.currency_code,
        targeting=TargetingInput(
            client_ids=list(t.client_ids),
            outlet_ids=list(t.outlet_ids),
            outlet_channels=list(t.outlet_channels),
            territory_ids=list(t.territory_ids),
            # UNSPECIFIED is None here, refused by the domain naming the item.
            order_kinds=[
                from_enum(ORDER_KINDS, k, f"{tp}.order_kinds[{i}]")
                for i, k in enumerate(t.order_kinds)
            ],
            order_channels=[
                from_enum(ORDER_CHANNELS, c, f"{tp}.order_channels[{i}]")
                for i, c in enumerate(t.order_channels)
            ],
            distributor_ids=list(t.distributor_ids),
        ),
        product_ids=list(p.product_ids),
        group_ids=list(p.group_ids),
        mechanic=_mechanic_in(p),
        combinability=from_enum(COMBINABILITIES, p.combinability, f"{path}.combinability"),
        priority=p.priority,
        budget=BudgetInput(
            from_enum(BUDGET_KINDS, p.budget.kind, f"{path}.budget.kind"), p.budget.total
        ),
    )


def _mechanic_in(p: pb.Promotion) -> MechanicInput | None:
    kind = p.WhichOneof("mechanic")
    if kind == "percent_off":
        return MechanicInput(kind, percent=p.percent_off.percent)
    if kind == "amount_off":
        return MechanicInput(kind, amount=p.amount_off.amount)
    if kind == "free_goods":
        f = p.free_goods
        return MechanicInput(
            kind,
            buy_quantity=f.buy_quantity,
            product_id=f.free_product_id,
            quantity=f.free_quantity,
            repeat=f.repeat,
        )
    if kind == "gift":
        g = p.gift
        return MechanicInput(
            kind,
            min_gross=g.min_gross,
            min_base_quantity=g.min_base_quantity,
            product_id=g.gift_product_id,
            quantity=g.gift_quantity,
        )
    if kind == "bundle_price":
        b = p.bundle_price
        return MechanicInput(
            kind,
            components=[(c.product_id, c.base_quantity) for c in b.components],
            price=b.price,
        )
    return None


def promotion_pb(p: Promotion, consumed: Decimal | None = None) -> pb.Promotion:
    """The promotion as the API shows it; `consumed`: its budget's, from the ledger (None: not
    read — an event's, which a consumption does not send: "" for a limited budget)."""
    t = p.targeting
    out = pb.Promotion(
        id=p.id,
        external_id=p.external_id,
        name=p.name,
        description=p.description,
        valid_from=pb_date(p.valid_from),
        valid_to=pb_date(p.valid_to),
        currency_code=p.currency_code,
        stopped=p.stopped,
        targeting=pb.PromotionTargeting(
            client_ids=sorted(t.client_ids),
            outlet_ids=sorted(t.outlet_ids),
            outlet_channels=sorted(t.outlet_channels),
            territory_ids=sorted(t.territory_ids),
            order_kinds=sorted(ORDER_KINDS[k] for k in t.order_kinds),
            order_channels=sorted(ORDER_CHANNELS[c] for c in t.order_channels),
            distributor_ids=sorted(t.distributor_ids),
        ),
        product_ids=sorted(p.product_ids),
        group_ids=sorted(p.group_ids),
        combinability=COMBINABILITIES[p.combinability],
        priority=p.priority,
        budget=pb.PromotionBudget(
            kind=BUDGET_KINDS.get(p.budget.kind, pb.PROMOTION_BUDGET_KIND_UNSPECIFIED),
            total=fmt(p.budget.total) if p.budget.limited else "",
            consumed=fmt(consumed) if p.budget.limited and consumed is not None else "",
        ),
        version=p.version,
    )
    if p.stopped_at is not None:
        set_ts(out.stop_time, p.stopped_at)
    m = p.mechanic
    if isinstance(m, PercentOff):
        out.percent_off.percent = fmt(m.percent)
    elif isinstance(m, AmountOff):
        out.amount_off.amount = fmt(m.amount)
    elif isinstance(m, FreeGoods):
        out.free_goods.CopyFrom(
            pb.FreeGoods(
                buy_quantity=fmt(m.buy_quantity),
                free_product_id=m.free_product_id,
                free_quantity=fmt(m.free_quantity),
                repeat=m.repeat,
            )
        )
    elif isinstance(m, Gift):
        out.gift.CopyFrom(
            pb.Gift(
                min_gross=fmt(m.min_gross) if m.min_gross is not None else "",
                min_base_quantity=fmt(m.min_base_quantity)
                if m.min_base_quantity is not None
                else "",
                gift_product_id=m.gift_product_id,
                gift_quantity=fmt(m.gift_quantity),
            )
        )
    elif isinstance(m, Bundle):
        out.bundle_price.CopyFrom(
            pb.BundlePrice(
                components=[
                    pb.BundleComponent(product_id=pid, base_quantity=fmt(q))
                    for pid, q in m.components
                ],
                price=fmt(m.price),
            )
        )
    return out
