"""End-to-end sales day across clients, orders and settlements, over gRPC only.

The outlet is created in clients and reaches orders through the clients feed (NATS); the van
sale reaches settlements through orders' events (NATS) and shows up as an invoice, a payment
and a tare balance.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import grpc
from google.type import date_pb2, latlng_pb2, money_pb2

from fieldline.clients.v1 import clients_service_pb2 as ccs
from fieldline.clients.v1 import clients_service_pb2_grpc as ccs_grpc
from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.orders.v1 import catalog_service_pb2 as cat
from fieldline.orders.v1 import catalog_service_pb2_grpc as cat_grpc
from fieldline.orders.v1 import orders_service_pb2 as ords
from fieldline.orders.v1 import orders_service_pb2_grpc as ords_grpc
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.orders.v1 import van_service_pb2 as van
from fieldline.orders.v1 import van_service_pb2_grpc as van_grpc
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline.settlements.v1 import settlements_service_pb2_grpc as ss_grpc
from fieldline_clients.domain.taxid import inn_with_check_digits
from fieldline_dev.runner import LocalSystem
from fieldline_kit.grpc.convert import money
from fieldline_kit.testing.helpers import eventually_value, new_id

TODAY = datetime.now(ZoneInfo("Europe/Moscow")).date()


def d(day: date) -> date_pb2.Date:
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def rub(amount: str) -> money_pb2.Money:
    return money(Decimal(amount), "RUB")


def dec(m: money_pb2.Money) -> Decimal:
    return Decimal(m.units) + Decimal(m.nanos) / Decimal(10**9)


class Company:
    """Channels to the three services and the shared set-up of a sales day."""

    def __init__(self, system: LocalSystem) -> None:
        self.channels = {
            name: grpc.aio.insecure_channel(svc.target) for name, svc in system.running.items()
        }
        self.clients = ccs_grpc.ClientsServiceStub(self.channels["clients"])
        self.catalog = cat_grpc.CatalogServiceStub(self.channels["orders"])
        self.orders = ords_grpc.OrdersServiceStub(self.channels["orders"])
        self.vans = van_grpc.VanServiceStub(self.channels["orders"])
        self.settlements = ss_grpc.SettlementsServiceStub(self.channels["settlements"])

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()

    async def client_with_outlet(self, n: int) -> tuple[str, str]:
        client = cpb.Client(
            id=new_id(),
            name=f"ООО «Продукты {n}»",
            inn=inn_with_check_digits(f"{770000000 + n:09d}"),
            kpp="770101001",
            type=cpb.CLIENT_TYPE_RETAIL,
        )
        await self.clients.CreateClient(ccs.CreateClientRequest(request_id=new_id(), client=client))
        outlet = cpb.Outlet(
            id=new_id(),
            client_id=client.id,
            card=cpb.OutletCard(
                name=f"Магазин {n}", location=latlng_pb2.LatLng(latitude=55.7, longitude=37.6)
            ),
        )
        await self.clients.CreateOutlet(ccs.CreateOutletRequest(request_id=new_id(), outlet=outlet))
        return client.id, outlet.id

    async def catalog_with_beer(self) -> tuple[str, str]:
        """A product sold in bottles (container: bottle) and crates of 20; price 80 ₽ incl. VAT."""
        tag = new_id()[:8]
        products = await self.catalog.UpsertProducts(
            cat.UpsertProductsRequest(
                request_id=new_id(),
                products=[
                    opb.Product(
                        external_id=f"beer-{tag}",
                        sku=f"BEER-{tag}",
                        name="Пиво «Жигулёвское» 0,5 л",
                        vat_rate="20",
                        base_unit="pcs",
                        units=[
                            opb.ProductUnit(code="pcs", name="бутылка", ratio="1"),
                            opb.ProductUnit(code="crate", name="ящик", ratio="20"),
                        ],
                        pack_unit="crate",
                        container_type="bottle-0.5",
                        containers_per_unit="1",
                        active=True,
                    )
                ],
            )
        )
        product_id = products.results[0].id
        types = await self.catalog.UpsertPriceTypes(
            cat.UpsertPriceTypesRequest(
                request_id=new_id(),
                price_types=[
                    opb.PriceType(
                        external_id=f"retail-{tag}",
                        name="Розница",
                        currency_code="RUB",
                        vat_included=True,
                    )
                ],
            )
        )
        price_type_id = types.results[0].id
        await self.catalog.UpsertPriceLists(
            cat.UpsertPriceListsRequest(
                request_id=new_id(),
                price_lists=[
                    opb.PriceList(
                        external_id=f"pl-{tag}",
                        price_type_id=price_type_id,
                        valid_from=d(TODAY - timedelta(days=30)),
                        entries=[opb.PriceListEntry(product_id=product_id, price=rub("80"))],
                    )
                ],
            )
        )
        return product_id, price_type_id

    async def known_to_orders(self, client_id: str, price_type_id: str) -> None:
        await self.catalog.SetClientPriceType(
            cat.SetClientPriceTypeRequest(
                request_id=new_id(), client_id=client_id, price_type_id=price_type_id
            )
        )


AGENT = ords.Actor(employee_id=new_id(), roles=["AGENT"])
SUPERVISOR = ords.Actor(employee_id=new_id(), roles=["SUPERVISOR"])


async def submit(
    company: Company, order_id: str, client_id: str, outlet_id: str, product_id: str, **kw: object
) -> opb.Order:
    async def attempt() -> opb.Order | None:
        try:
            reply = await company.orders.SubmitOrder(
                ords.SubmitOrderRequest(
                    request_id=new_id(),
                    actor=kw.get("actor", AGENT),  # type: ignore[arg-type]
                    order_id=order_id,
                    client_id=client_id,
                    outlet_id=outlet_id,
                    order_date=d(TODAY),
                    delivery_date=d(TODAY + timedelta(days=1)),
                    lines=[ords.OrderLineInput(product_id=product_id, unit="crate", quantity="2")],
                    credit_override=kw.get("override"),  # type: ignore[arg-type]
                )
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND and "outlet" in (exc.details() or ""):
                return None  # the outlet has not reached orders through the feed yet
            raise
        return reply.order

    order = await eventually_value(attempt, lambda o: o is not None)
    assert order is not None
    return order


async def test_pre_sale_order_for_a_client_with_overdue_debt_under_each_mode(
    system: LocalSystem,
) -> None:
    company = Company(system)
    try:
        product_id, price_type_id = await company.catalog_with_beer()
        outcomes = {}
        for n, mode in enumerate(
            [spb.DEBT_POLICY_MODE_BLOCK, spb.DEBT_POLICY_MODE_WARN, spb.DEBT_POLICY_MODE_IGNORE]
        ):
            client_id, outlet_id = await company.client_with_outlet(100 + n)
            await company.known_to_orders(client_id, price_type_id)
            await company.settlements.SetDebtPolicy(
                ss.SetDebtPolicyRequest(
                    request_id=new_id(),
                    policy=spb.DebtPolicy(
                        client_id=client_id,
                        mode=mode,
                        check_credit_limit=False,
                        max_overdue_days=7,
                        stages=[spb.STAGE_ORDER_SUBMIT, spb.STAGE_VAN_SALE],
                        override_roles=["SUPERVISOR"],
                    ),
                )
            )
            await company.settlements.RecordInvoice(
                ss.RecordInvoiceRequest(
                    request_id=new_id(),
                    invoice=spb.Invoice(
                        id=new_id(),
                        number=f"ERP-{n}",
                        client_id=client_id,
                        source=spb.INVOICE_SOURCE_ERP,
                        issue_date=d(TODAY - timedelta(days=40)),
                        due_date=d(TODAY - timedelta(days=20)),
                        amount=rub("1500"),
                    ),
                )
            )
            order_id = new_id()
            order = await submit(company, order_id, client_id, outlet_id, product_id)
            outcomes[spb.DebtPolicyMode.Name(mode)] = (
                opb.OrderStatus.Name(order.status),
                order.credit,
            )
            # The same order submitted again (a device retry) is the same order; a held one is
            # judged again (the debt may have been paid meanwhile) and stays held.
            again = await submit(company, order_id, client_id, outlet_id, product_id)
            assert again.id == order.id and again.status == order.status
            if mode != spb.DEBT_POLICY_MODE_BLOCK:
                assert again.version == order.version
            if mode == spb.DEBT_POLICY_MODE_BLOCK:
                released = await submit(
                    company,
                    order_id,
                    client_id,
                    outlet_id,
                    product_id,
                    actor=SUPERVISOR,
                    override=ords.CreditOverride(reason="клиент обещал оплатить завтра"),
                )
                assert released.status == opb.ORDER_STATUS_SUBMITTED
                assert released.credit.outcome == opb.CREDIT_OUTCOME_OVERRIDDEN
        assert outcomes["DEBT_POLICY_MODE_BLOCK"][0] == "ORDER_STATUS_CREDIT_HOLD"
        assert outcomes["DEBT_POLICY_MODE_BLOCK"][1].outcome == opb.CREDIT_OUTCOME_BLOCK
        assert outcomes["DEBT_POLICY_MODE_WARN"][0] == "ORDER_STATUS_SUBMITTED"
        assert outcomes["DEBT_POLICY_MODE_WARN"][1].outcome == opb.CREDIT_OUTCOME_WARN
        assert outcomes["DEBT_POLICY_MODE_WARN"][1].reasons
        assert outcomes["DEBT_POLICY_MODE_IGNORE"][0] == "ORDER_STATUS_SUBMITTED"
        assert outcomes["DEBT_POLICY_MODE_IGNORE"][1].outcome == opb.CREDIT_OUTCOME_ALLOW
    finally:
        await company.close()


async def test_van_day_reaches_settlements(system: LocalSystem) -> None:
    company = Company(system)
    try:
        product_id, price_type_id = await company.catalog_with_beer()
        client_id, outlet_id = await company.client_with_outlet(7)
        await company.known_to_orders(client_id, price_type_id)
        await company.settlements.SetContainerDeposit(
            ss.SetContainerDepositRequest(
                request_id=new_id(), container_type="bottle-0.5", deposit=rub("5")
            )
        )
        van_id = new_id()
        await company.vans.CreateVan(
            van.CreateVanRequest(
                request_id=new_id(),
                van=van.Van(id=van_id, name="ГАЗель 1", van_seller_id=AGENT.employee_id),
            )
        )
        await company.vans.LoadVan(
            van.LoadVanRequest(
                request_id=new_id(),
                load_id=new_id(),
                van_id=van_id,
                date=d(TODAY),
                lines=[van.QuantityLine(product_id=product_id, unit="crate", quantity="3")],
            )
        )
        sale = van.CompleteVanSaleRequest(
            request_id=new_id(),
            actor=ords.Actor(employee_id=AGENT.employee_id, roles=["VAN_SELLER"]),
            sale_id=new_id(),
            van_id=van_id,
            client_id=client_id,
            outlet_id=outlet_id,
            date=d(TODAY),
            lines=[ords.OrderLineInput(product_id=product_id, unit="crate", quantity="2")],
            cash_collected=rub("2000"),
            receipt_number="ЧЕК-0001",
        )

        async def sell() -> opb.Order | None:
            try:
                return (await company.vans.CompleteVanSale(sale)).order
            except grpc.aio.AioRpcError as exc:
                if exc.code() == grpc.StatusCode.NOT_FOUND and "outlet" in (exc.details() or ""):
                    return None  # not through the clients feed yet
                raise

        first = await eventually_value(sell, lambda o: o is not None)
        assert first is not None
        assert first.status == opb.ORDER_STATUS_DELIVERED and dec(first.gross_total) == Decimal(
            "3200"
        )
        # The same sale three times (device retries, new request ids): one sale.
        for _ in range(2):
            sale.request_id = new_id()
            assert (await company.vans.CompleteVanSale(sale)).order.id == first.id

        await company.vans.AcceptReturn(
            van.AcceptReturnRequest(
                request_id=new_id(),
                actor=ords.Actor(employee_id=AGENT.employee_id, roles=["VAN_SELLER"]),
                return_id=new_id(),
                van_id=van_id,
                client_id=client_id,
                outlet_id=outlet_id,
                order_id=first.id,
                date=d(TODAY),
                lines=[
                    van.ReturnLine(product_id=product_id, unit="pcs", quantity="2", reason="бой")
                ],
                containers=[van.ContainerLine(container_type="bottle-0.5", quantity="30")],
            )
        )
        stock = await company.vans.GetVanStock(van.GetVanStockRequest(van_id=van_id))
        assert {line.product_id: Decimal(line.quantity) for line in stock.lines} == {
            product_id: Decimal(22)
        }
        unloaded = await company.vans.UnloadVan(
            van.UnloadVanRequest(
                request_id=new_id(),
                unload_id=new_id(),
                van_id=van_id,
                date=d(TODAY),
                counted=[van.VanStockLine(product_id=product_id, quantity="21")],
                cash_handed_over=rub("1990"),
            )
        )
        u = unloaded.unloading
        assert [(x.expected, x.counted) for x in u.discrepancies] and Decimal(
            u.discrepancies[0].difference
        ) == -1
        assert dec(u.cash_expected) == Decimal("2000") and dec(u.cash_difference) == Decimal("-10")

        # Settlements: one invoice of 3,200 paid 2,000, a credit note for two bottles (160),
        # and 40 − 30 = 10 bottles on the tare ledger.
        async def balance() -> spb.Balance:
            return (
                await company.settlements.GetBalance(ss.GetBalanceRequest(client_id=client_id))
            ).balance

        final = await eventually_value(balance, lambda b: dec(b.balance) == Decimal("1040"))
        assert dec(final.balance) == Decimal("1040"), final
        invoices = await company.settlements.ListInvoices(
            ss.ListInvoicesRequest(client_id=client_id)
        )
        assert sorted(dec(i.amount) for i in invoices.invoices) == [
            Decimal("-160"),
            Decimal("3200"),
        ]
        tare = await company.settlements.GetTareBalance(
            ss.GetTareBalanceRequest(client_id=client_id)
        )
        bottles = {t.container_type: t for t in tare.balances}["bottle-0.5"]
        assert (Decimal(bottles.issued), Decimal(bottles.returned), Decimal(bottles.balance)) == (
            40,
            30,
            10,
        )
        assert dec(bottles.deposit_value) == Decimal("50")
    finally:
        await company.close()
