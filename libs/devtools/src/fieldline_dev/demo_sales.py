"""Demo sales data: the catalog, prices, vans and the debt policy of the demo company.

Loaded through the public gRPC APIs of orders and settlements after `demo.load_via_grpc` has
created the company in clients (whose events give orders its outlets). Deterministic and
re-runnable: ids are uuid5 of the seed, request_ids derive from each request's content.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import partial

import grpc

from fieldline.clients.v1 import resources_pb2 as clients_pb
from fieldline.orders.v1 import catalog_service_pb2 as cat
from fieldline.orders.v1 import catalog_service_pb2_grpc as cat_grpc
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.orders.v1 import van_service_pb2 as van
from fieldline.orders.v1 import van_service_pb2_grpc as van_grpc
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline.settlements.v1 import settlements_service_pb2_grpc as ss_grpc
from fieldline_dev.demo import (
    DEMO_SIZES,
    PROGRESS_EVERY,
    DemoCompany,
    Progress,
    Sizes,
    TokenSource,
    _Caller,
    bearer,
    generate,
    load_via_grpc,
)
from fieldline_kit.grpc.convert import money, pb_date

# (SKU, name, group, VAT %, pieces per box, container, price ₽ incl. VAT)
_CORE = (
    ("KDR-0500-PET", "Квас «Очаковский» 0,5 л ПЭТ", "kvass", "20", 12, "", "62.90"),
    ("KDR-1500-PET", "Квас «Очаковский» 1,5 л ПЭТ", "kvass", "20", 6, "", "119.90"),
    ("KDR-0330-CAN", "Квас «Очаковский» 0,33 л ж/б", "kvass", "20", 24, "", "54.50"),
    ("TRH-0500-PET", "Лимонад «Тархун» 0,5 л ПЭТ", "soft", "20", 12, "", "58.00"),
    ("TRH-1500-PET", "Лимонад «Тархун» 1,5 л ПЭТ", "soft", "20", 6, "", "104.00"),
    ("BRB-0500-GLS", "Пиво «Жигулёвское» 0,5 л стекло", "beer", "20", 20, "bottle-0.5", "79.90"),
    ("BRB-KEG-0300", "Пиво «Жигулёвское» кег 30 л", "beer", "20", 1, "keg-30", "5290.00"),
)
_GROUPS = {
    "drinks": ("Напитки", ""),
    "kvass": ("Квас", "drinks"),
    "soft": ("Лимонады и воды", "drinks"),
    "beer": ("Пиво", "drinks"),
    "snacks": ("Снеки", ""),
}
_WATERS = (
    "Вода «Святой источник»",
    "Вода «Архыз»",
    "Вода «Бонаква»",
    "Морс «Клюква»",
    "Сок «Добрый»",
)
_SNACKS = (
    "Сухарики «Кириешки»",
    "Чипсы «Московский картофель»",
    "Семечки «От Мартина»",
    "Орешки «Кешью»",
)
_SIZES = (("0,5 л", 12, "45.00"), ("1 л", 12, "69.00"), ("1,5 л", 6, "82.00"))
_WEIGHTS = (("40 г", 30, "39.90"), ("90 г", 20, "79.90"), ("150 г", 14, "129.00"))
DEPOSITS = {"bottle-0.5": Decimal("5.00"), "keg-30": Decimal("3000.00")}


@dataclass(frozen=True)
class SalesReport:
    products: int
    clients_priced: int
    vans: int
    credit_limits: int

    def __str__(self) -> str:
        return (
            f"  products {self.products}, clients on price types {self.clients_priced}, "
            f"vans {self.vans}, credit limits {self.credit_limits}"
        )


def _products(ids: _Ids2) -> list[opb.Product]:
    rows = list(_CORE)
    for i, name in enumerate(_WATERS):
        for size, per_box, price in _SIZES:
            rows.append(
                (
                    f"WTR-{i:02d}-{size[:-2].replace(',', '')}",
                    f"{name} {size}",
                    "soft",
                    "10",
                    per_box,
                    "",
                    price,
                )
            )
    for i, name in enumerate(_SNACKS):
        for weight, per_box, price in _WEIGHTS:
            rows.append(
                (
                    f"SNK-{i:02d}-{weight[:-2]}",
                    f"{name} {weight}",
                    "snacks",
                    "20",
                    per_box,
                    "",
                    price,
                )
            )
    products = []
    for sku, name, group, vat, per_box, container, _price in rows:
        units = [opb.ProductUnit(code="pcs", name="шт", ratio="1")]
        if per_box > 1:
            units.append(
                opb.ProductUnit(code="box", name=f"коробка ({per_box} шт)", ratio=str(per_box))
            )
        products.append(
            opb.Product(
                id=ids("product", sku),
                external_id=sku,
                sku=sku,
                name=name,
                group_id=ids("group", group),
                vat_rate=vat,
                base_unit="pcs",
                units=units,
                pack_unit="box" if per_box > 1 else "pcs",
                container_type=container,
                containers_per_unit="1" if container else "",
                active=True,
            )
        )
    return products


def _prices() -> dict[str, Decimal]:
    prices = {sku: Decimal(p) for sku, *_, p in _CORE}
    for i, _ in enumerate(_WATERS):
        for size, _, price in _SIZES:
            prices[f"WTR-{i:02d}-{size[:-2].replace(',', '')}"] = Decimal(price) + i * 3
    for i, _ in enumerate(_SNACKS):
        for weight, _, price in _WEIGHTS:
            prices[f"SNK-{i:02d}-{weight[:-2]}"] = Decimal(price) + i * 5
    return prices


class _Ids2:
    def __init__(self, seed: int) -> None:
        self.namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"fieldline-demo-sales/{seed}")

    def __call__(self, kind: str, key: object) -> str:
        return str(uuid.uuid5(self.namespace, f"{kind}:{key}"))


async def load_sales_via_grpc(
    orders_target: str,
    settlements_target: str,
    company: DemoCompany,
    seed: int = 1,
    *,
    progress: Progress | None = None,
    progress_every: float = PROGRESS_EVERY,
    token: TokenSource | None = None,
) -> SalesReport:
    """The sales side of the demo company, through the orders and settlements APIs (each call
    with the token `token()` gives, if any: an administrator's).

    `progress` hears of each stage as it ends (catalog, client price types, deposits and debt
    policy, credit limits, vans), and every `progress_every` seconds of a long one.
    """
    ids = _Ids2(seed)
    rng = random.Random(seed)
    caller = _Caller(
        ids.namespace, concurrency=16, progress=progress, progress_every=progress_every
    )
    since = company.start_date - timedelta(days=60)
    products = _products(ids)
    prices = _prices()
    groups = [
        opb.ProductGroup(
            id=ids("group", key),
            external_id=f"grp-{key}",
            name=name,
            parent_id=ids("group", parent) if parent else "",
        )
        for key, (name, parent) in _GROUPS.items()
    ]
    retail = opb.PriceType(
        id=ids("price_type", "retail"),
        external_id="retail",
        name="Розница",
        currency_code="RUB",
        vat_included=True,
    )
    wholesale = opb.PriceType(
        id=ids("price_type", "wholesale"),
        external_id="wholesale",
        name="Опт (для дистрибьюторов)",
        currency_code="RUB",
        vat_included=True,
    )
    lists = [
        opb.PriceList(
            id=ids("price_list", pt.external_id),
            external_id=f"{pt.external_id}-{since.year}",
            price_type_id=pt.id,
            valid_from=pb_date(since),
            entries=[
                opb.PriceListEntry(
                    product_id=p.id,
                    price=money((prices[p.sku] * factor).quantize(Decimal("0.01")), "RUB"),
                )
                for p in products
            ],
        )
        for pt, factor in ((retail, Decimal(1)), (wholesale, Decimal("0.85")))
    ]
    discount = opb.Discount(
        id=ids("discount", "kvass-volume"),
        external_id="kvass-volume",
        scope=opb.DISCOUNT_SCOPE_GROUP,
        group_id=ids("group", "kvass"),
        volume_breaks=[
            opb.VolumeBreak(min_quantity="48", percent="3"),
            opb.VolumeBreak(min_quantity="120", percent="5"),
        ],
        valid_from=pb_date(since),
    )
    clients = company.all_clients()
    # Requests are built up front (not inside the jobs), so a re-run sends identical ones.
    limits = [
        ss.SetCreditLimitRequest(
            client_id=c.id,
            limit=money(Decimal(rng.choice((30_000, 50_000, 100_000, 250_000))), "RUB"),
            payment_terms_days=rng.choice((7, 14, 30)),
        )
        for c in clients
        if rng.random() < 0.2
    ]
    sellers = [e for e in company.employees if clients_pb.ROLE_VAN_SELLER in e.roles]

    async with (
        grpc.aio.insecure_channel(orders_target, interceptors=bearer(token)) as orders_channel,
        grpc.aio.insecure_channel(
            settlements_target, interceptors=bearer(token)
        ) as settlements_channel,
    ):
        catalog = cat_grpc.CatalogServiceStub(orders_channel)
        vans = van_grpc.VanServiceStub(orders_channel)
        ledger = ss_grpc.SettlementsServiceStub(settlements_channel)

        what = f"{len(products)} products in {len(groups)} groups, 2 price lists, 1 discount"
        with caller.in_stage("catalog", 5, what):
            await caller.call(
                catalog.UpsertProductGroups,
                "groups",
                cat.UpsertProductGroupsRequest(groups=groups),
            )
            await caller.call(
                catalog.UpsertProducts, "products", cat.UpsertProductsRequest(products=products)
            )
            await caller.call(
                catalog.UpsertPriceTypes,
                "price_types",
                cat.UpsertPriceTypesRequest(price_types=[retail, wholesale]),
            )
            await caller.call(
                catalog.UpsertPriceLists,
                "price_lists",
                cat.UpsertPriceListsRequest(price_lists=lists),
            )
            await caller.call(
                catalog.UpsertDiscounts,
                "discounts",
                cat.UpsertDiscountsRequest(discounts=[discount]),
            )

        async def price_type(client_id: str, price_type_id: str) -> None:
            await caller.call(
                catalog.SetClientPriceType,
                "client_price_type",
                cat.SetClientPriceTypeRequest(client_id=client_id, price_type_id=price_type_id),
            )

        with caller.in_stage("client price types", len(clients)):
            await caller.run_all(
                [
                    partial(
                        price_type,
                        c.id,
                        wholesale.id if c.type == clients_pb.CLIENT_TYPE_DISTRIBUTOR else retail.id,
                    )
                    for c in clients
                ]
            )

        what = f"{len(DEPOSITS)} container deposits, the company policy"
        with caller.in_stage("deposits and debt policy", len(DEPOSITS) + 1, what):
            for container, deposit in DEPOSITS.items():
                await caller.call(
                    ledger.SetContainerDeposit,
                    "deposit",
                    ss.SetContainerDepositRequest(
                        container_type=container, deposit=money(deposit, "RUB")
                    ),
                )
            await caller.call(
                ledger.SetDebtPolicy,
                "policy",
                ss.SetDebtPolicyRequest(
                    policy=spb.DebtPolicy(
                        mode=spb.DEBT_POLICY_MODE_BLOCK,
                        check_credit_limit=True,
                        max_overdue_days=14,
                        stages=[spb.STAGE_ORDER_SUBMIT, spb.STAGE_VAN_SALE],
                        override_roles=["SUPERVISOR"],
                    )
                ),
            )

        with caller.in_stage("credit limits", len(limits)):
            await caller.run_all(
                [partial(caller.call, ledger.SetCreditLimit, "credit_limit", r) for r in limits]
            )

        with caller.in_stage("vans", 2 * len(sellers), f"{len(sellers)} created and loaded"):
            for seller in sellers:
                van_id = ids("van", seller.id)
                await caller.call(
                    vans.CreateVan,
                    "van",
                    van.CreateVanRequest(
                        van=van.Van(
                            id=van_id,
                            name=f"Фургон {seller.full_name.split()[0]}",
                            van_seller_id=seller.id,
                            currency_code="RUB",
                        )
                    ),
                )
                await caller.call(
                    vans.LoadVan,
                    "load",
                    van.LoadVanRequest(
                        load_id=ids("load", f"{seller.id}:{company.start_date}"),
                        van_id=van_id,
                        date=pb_date(company.start_date),
                        lines=[
                            van.QuantityLine(
                                product_id=p.id,
                                unit="box" if p.pack_unit == "box" else "pcs",
                                quantity="10",
                            )
                            for p in products[:7]
                        ],
                    ),
                )
    return SalesReport(len(products), len(clients), len(sellers), len(limits))


async def load_demo(
    targets: dict[str, str],
    seed: int = 1,
    *,
    sizes: Sizes = DEMO_SIZES,
    progress: Progress | None = None,
    token: TokenSource | None = None,
) -> str:
    """The whole demo company: clients & territory first, then catalog, prices, vans, policy.

    `progress` hears of every stage of both (see load_via_grpc, load_sales_via_grpc); every
    call carries `token()` (an administrator's: `LocalSystem.token_source()`).
    """
    company = generate(sizes, seed)
    clients_report = await load_via_grpc(
        targets["clients"], sizes, seed, progress=progress, token=token
    )
    sales = await load_sales_via_grpc(
        targets["orders"], targets["settlements"], company, seed, progress=progress, token=token
    )
    return f"{clients_report}\n{sales}"
