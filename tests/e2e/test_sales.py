"""End-to-end sales day across clients, orders and settlements, over gRPC only.

The outlet is created in clients and reaches orders through the clients feed (NATS); the van
sale reaches settlements through orders' events (NATS) and shows up as an invoice, a payment
and a tare balance. Every call carries a token of the system's development key: an
administrator's, or the employee's a test is about (who acts is the token's, never a request
body). The employees who sell exist in clients and work a route with the outlet on it, which
reaches orders through the same feed: orders lets an agent or van seller sell only at the
outlets of its routes, and forwards its token to settlements, which judges an override by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import grpc

from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.orders.v1 import orders_service_pb2 as ords
from fieldline.orders.v1 import orders_service_pb2_grpc as ords_grpc
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.orders.v1 import van_service_pb2 as van
from fieldline.orders.v1 import van_service_pb2_grpc as van_grpc
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_dev.runner import LocalSystem
from fieldline_kit.auth.forward import BearerToken
from fieldline_kit.grpc.convert import pb_date
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.helpers import eventually_value, new_id

from ..company import TODAY, Api, dec, product, rub, through_the_feed


@dataclass
class Orders:
    orders: ords_grpc.OrdersServiceStub
    vans: van_grpc.VanServiceStub


class Company(Api):
    """The three services' APIs over the running system, as an administrator (or as an
    employee: `orders_as`), with the steps of a sales day's set-up: employees, their routes,
    outlets on them, the catalog."""

    def __init__(self, system: LocalSystem) -> None:
        self.system = system
        token = BearerToken(system.token_source())
        self.channels = {
            name: grpc.aio.insecure_channel(svc.target, interceptors=[token])
            for name, svc in system.running.items()
        }
        super().__init__(self.channels, timeout=None)
        self.as_employee: dict[Caller, Orders] = {}

    def orders_as(self, caller: Caller) -> Orders:
        """Orders' APIs as `caller`, with a token of theirs: who acts is the token's."""
        if caller not in self.as_employee:
            channel = grpc.aio.insecure_channel(
                self.system.running["orders"].target,
                interceptors=[BearerToken(self.system.token_source(caller))],
            )
            self.channels[f"orders as {caller.subject}"] = channel
            self.as_employee[caller] = Orders(
                ords_grpc.OrdersServiceStub(channel), van_grpc.VanServiceStub(channel)
            )
        return self.as_employee[caller]

    async def limit_credit(self, client_id: str, limit: str) -> None:
        """The client's orders blocked over a credit limit of `limit` roubles (the check counts
        the order), its overdue debt past 7 days too."""
        await self.settlements.SetDebtPolicy(
            ss.SetDebtPolicyRequest(
                request_id=new_id(),
                policy=spb.DebtPolicy(
                    client_id=client_id,
                    mode=spb.DEBT_POLICY_MODE_BLOCK,
                    check_credit_limit=True,
                    max_overdue_days=7,
                    stages=[spb.STAGE_ORDER_SUBMIT],
                ),
            )
        )
        await self.settlements.SetCreditLimit(
            ss.SetCreditLimitRequest(request_id=new_id(), client_id=client_id, limit=rub(limit))
        )

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()

    async def catalog_with_beer(self) -> tuple[str, str]:
        """A product sold in bottles (container: bottle) and crates of 20; price 80 ₽ incl. VAT.
        The product's id and its price type's."""
        beer = product(
            "BEER", "Пиво «Жигулёвское» 0,5 л", pack=("crate", "ящик", 20), container="bottle-0.5"
        )
        (product_id,), price_type_id = await self.priced_catalog((beer, "80"))
        return product_id, price_type_id


async def submit(
    company: Company,
    caller: Caller,
    order_id: str,
    client_id: str,
    outlet_id: str,
    product_id: str,
    override: ords.CreditOverride | None = None,
    **fields: Any,
) -> opb.Order:
    """SubmitOrder as `caller` (2 crates of the product, for tomorrow; more `fields` of the
    request if given), once the outlet and its route have reached orders."""
    as_caller = company.orders_as(caller)
    reply = await through_the_feed(
        lambda: as_caller.orders.SubmitOrder(
            ords.SubmitOrderRequest(
                request_id=new_id(),
                order_id=order_id,
                client_id=client_id,
                outlet_id=outlet_id,
                order_date=pb_date(TODAY),
                delivery_date=pb_date(TODAY + timedelta(days=1)),
                lines=[ords.OrderLineInput(product_id=product_id, unit="crate", quantity="2")],
                credit_override=override,
                **fields,
            )
        )
    )
    return reply.order


async def test_pre_sale_order_for_a_client_with_overdue_debt_under_each_mode(
    system: LocalSystem,
) -> None:
    company = Company(system)
    try:
        # The supervisor of the agent: the agent's orders and outlets are in its scope (its
        # team, as clients' events tell orders and settlements).
        supervisor = await company.employee(cpb.ROLE_SUPERVISOR, "Супервайзеров Супервайзер")
        agent = await company.employee(cpb.ROLE_AGENT, "Агентов Агент", supervisor)
        route_id = await company.route_of(agent)
        product_id, price_type_id = await company.catalog_with_beer()
        outcomes = {}
        for n, mode in enumerate(
            [spb.DEBT_POLICY_MODE_BLOCK, spb.DEBT_POLICY_MODE_WARN, spb.DEBT_POLICY_MODE_IGNORE]
        ):
            client_id, outlet = await company.client_with_outlet(100 + n)
            outlet_id = outlet.id
            await company.assign(route_id, outlet_id)
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
                        issue_date=pb_date(TODAY - timedelta(days=40)),
                        due_date=pb_date(TODAY - timedelta(days=20)),
                        amount=rub("1500"),
                    ),
                )
            )
            order_id = new_id()
            order = await submit(company, agent, order_id, client_id, outlet_id, product_id)
            outcomes[spb.DebtPolicyMode.Name(mode)] = (
                opb.OrderStatus.Name(order.status),
                order.credit,
            )
            # The same order submitted again (a device retry) is the same order; a held one is
            # judged again (the debt may have been paid meanwhile) and stays held.
            again = await submit(company, agent, order_id, client_id, outlet_id, product_id)
            assert again.id == order.id and again.status == order.status
            if mode != spb.DEBT_POLICY_MODE_BLOCK:
                assert again.version == order.version
            if mode == spb.DEBT_POLICY_MODE_BLOCK:
                # An override through orders is judged by settlements on the token orders
                # forwards, the caller's own: an agent's is ignored (not an override role of
                # the policy), a supervisor's releases the order.
                override = ords.CreditOverride(reason="клиент обещал оплатить завтра")
                by_agent = await submit(
                    company, agent, order_id, client_id, outlet_id, product_id, override
                )
                assert by_agent.status == opb.ORDER_STATUS_CREDIT_HOLD, by_agent
                assert by_agent.credit.outcome == opb.CREDIT_OUTCOME_BLOCK, by_agent.credit
                # Judged as the agent (its token reached settlements), not as no one.
                ignored = by_agent.credit.reasons[-1]
                assert "override ignored" in ignored and agent.subject in ignored, ignored
                assert "none of the override roles" in ignored, ignored
                assert not by_agent.credit.override_by
                by_supervisor = await submit(
                    company, supervisor, order_id, client_id, outlet_id, product_id, override
                )
                assert by_supervisor.status == opb.ORDER_STATUS_SUBMITTED, by_supervisor
                assert by_supervisor.credit.outcome == opb.CREDIT_OUTCOME_OVERRIDDEN
                assert by_supervisor.credit.override_by == supervisor.subject, by_supervisor
                assert by_supervisor.credit.override_reason == override.reason
                assert by_supervisor.agent_id == agent.subject  # still the agent's order
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
        seller = await company.employee(cpb.ROLE_VAN_SELLER, "Продавцов Продавец")
        product_id, price_type_id = await company.catalog_with_beer()
        client_id, outlet = await company.client_with_outlet(7)
        outlet_id = outlet.id
        await company.assign(await company.route_of(seller), outlet_id)
        await company.known_to_orders(client_id, price_type_id)
        await company.settlements.SetContainerDeposit(
            ss.SetContainerDepositRequest(
                request_id=new_id(), container_type="bottle-0.5", deposit=rub("5")
            )
        )
        van_id = await company.loaded_van(seller, product_id, 3, unit="crate")
        as_seller = company.orders_as(seller)
        sale = van.CompleteVanSaleRequest(
            request_id=new_id(),
            sale_id=new_id(),
            van_id=van_id,
            client_id=client_id,
            outlet_id=outlet_id,
            date=pb_date(TODAY),
            lines=[ords.OrderLineInput(product_id=product_id, unit="crate", quantity="2")],
            cash_collected=rub("2000"),
            receipt_number="ЧЕК-0001",
        )

        first = (await through_the_feed(lambda: as_seller.vans.CompleteVanSale(sale))).order
        assert first.status == opb.ORDER_STATUS_DELIVERED and dec(first.gross_total) == Decimal(
            "3200"
        )
        # The same sale three times (device retries, new request ids): one sale.
        for _ in range(2):
            sale.request_id = new_id()
            assert (await as_seller.vans.CompleteVanSale(sale)).order.id == first.id
        assert first.agent_id == seller.subject  # the sale is the van seller's order

        await as_seller.vans.AcceptReturn(
            van.AcceptReturnRequest(
                request_id=new_id(),
                return_id=new_id(),
                van_id=van_id,
                client_id=client_id,
                outlet_id=outlet_id,
                order_id=first.id,
                date=pb_date(TODAY),
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
                date=pb_date(TODAY),
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
