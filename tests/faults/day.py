"""A generated agents' day, driven over gRPC the way devices drive it.

`Company.set_up` creates a small company through the public APIs (a questionnaire, agents
and van sellers, clients with an outlet each, a catalog with prices, a debt policy with some
tight credit limits, loaded vans). `Day.run` then has every agent visit outlets until a
deadline: check in, audit, a pre-sale order (agents) or a van sale (van sellers), now and
then a cash payment, check out.

Every write is retried as a device retries it: the same request (same request_id, same
document id) again after a transient failure (UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED,
an outlet or its route not yet known to orders or settlements), until it is answered.
`Ledger` keeps what was acknowledged, what was retried and why, and anything refused.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
from google.protobuf import message as pb_message

from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.clients.v1 import visits_service_pb2 as vs
from fieldline.orders.v1 import catalog_service_pb2 as cat
from fieldline.orders.v1 import orders_service_pb2 as ords
from fieldline.orders.v1 import van_service_pb2 as van
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_kit.auth.forward import BearerToken
from fieldline_kit.grpc.convert import pb_date
from fieldline_kit.grpc.convert import ts as pb_ts
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.helpers import new_id

from ..company import (
    CALL_TIMEOUT,
    LOCATION,
    TODAY,
    TRANSIENT,
    Api,
    assignment_request,
    client_price_type_request,
    client_request,
    employee_request,
    load_request,
    not_through_the_feed_yet,
    outlet_request,
    price_list_request,
    price_type_request,
    product,
    products_request,
    questionnaire_request,
    route_request,
    rub,
    van_request,
)

# Also retried here: a service out of database connections while the suite cuts them.
RETRIED = TRANSIENT | {grpc.StatusCode.RESOURCE_EXHAUSTED}
UNREACHABLE = "settlements unavailable"
RECEIPT_PREFIX = "PAY-"  # the payments agents record (van sales' cash is another payment)


@dataclass
class Ledger:
    """What the day asked for and what it was told."""

    acked: dict[str, set[str]] = field(default_factory=dict)  # kind → document ids
    retries: Counter[str] = field(default_factory=Counter)  # status code → retries
    refused: list[tuple[str, str, str, str]] = field(default_factory=list)  # kind, id, code, …
    internal: list[tuple[str, str, str]] = field(default_factory=list)  # kind, id, details
    unanswered: list[tuple[str, str]] = field(default_factory=list)  # given up at the end
    # Loop time after which a failing call is given up on (the day's end plus a grace).
    deadline: float = float("inf")

    def count(self, kind: str) -> int:
        return len(self.acked.get(kind, ()))

    async def call(
        self,
        kind: str,
        doc_id: str,
        rpc: Callable[..., Awaitable[pb_message.Message]],
        request: pb_message.Message,
    ) -> pb_message.Message | None:
        """`rpc(request)` until it is answered (retried unchanged), refused, or `deadline`
        passes; the answer, or None."""
        loop = asyncio.get_running_loop()
        pause = 0.2
        while True:
            try:
                reply = await rpc(request, timeout=CALL_TIMEOUT)
            except grpc.aio.AioRpcError as exc:
                code, details = exc.code(), exc.details() or ""
                transient = (
                    code in RETRIED
                    # the outlet or its route has not reached orders or settlements yet (each
                    # keeps its own read model of the clients feed)
                    or not_through_the_feed_yet(exc)
                    # a van sale while settlements is unreachable (ORDERS_CREDIT_CHECK_FALLBACK
                    # =block refuses it; nothing is stored, so the same request may come again)
                    or (code == grpc.StatusCode.FAILED_PRECONDITION and UNREACHABLE in details)
                )
                if code == grpc.StatusCode.INTERNAL:
                    self.internal.append((kind, doc_id, details))
                    transient = True  # a device retries it too; the suite fails on it
                if not transient:
                    self.refused.append((kind, doc_id, code.name, details))
                    return None
                self.retries[code.name if UNREACHABLE not in details else UNREACHABLE] += 1
                if loop.time() > self.deadline:
                    self.unanswered.append((kind, doc_id))
                    return None
                await asyncio.sleep(pause)
                pause = min(pause * 2, 2.0)
                continue
            self.acked.setdefault(kind, set()).add(doc_id)
            return reply


@dataclass
class Seller:
    employee_id: str
    van_id: str = ""  # a van seller's van; agents take pre-sale orders


@dataclass
class Customer:
    client_id: str
    outlet_id: str
    tight: bool  # a small credit limit: its orders end on hold once it is used


class Stubs(Api):
    """The services' APIs, every call with a token of the local system's key (`tokens`:
    `LocalSystem.token_source`): its administrator's, or (`as_employee`) the token of the
    employee whose work a call is, as their device would send it."""

    def __init__(
        self,
        targets: dict[str, str],
        tokens: Callable[..., Callable[[], str]],
        caller: Caller | None = None,
    ) -> None:
        self.targets, self.tokens = targets, tokens
        auth = [BearerToken(tokens() if caller is None else tokens(caller))]
        self.employees: dict[tuple[str, str], Stubs] = {}
        self.channels = {
            name: grpc.aio.insecure_channel(t, interceptors=auth) for name, t in targets.items()
        }
        super().__init__(self.channels)

    def as_employee(self, employee_id: str, role: str) -> Stubs:
        key = (employee_id, role)
        if key not in self.employees:
            self.employees[key] = Stubs(self.targets, self.tokens, Caller(employee_id, {role}))
        return self.employees[key]

    async def close(self) -> None:
        for stubs in self.employees.values():
            await stubs.close()
        for channel in self.channels.values():
            await channel.close()


@dataclass
class Company:
    agents: list[Seller] = field(default_factory=list)
    van_sellers: list[Seller] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    questionnaire_id: str = ""

    async def set_up(
        self, api: Stubs, ledger: Ledger, *, agents: int, van_sellers: int, customers: int
    ) -> None:
        ledger.deadline = asyncio.get_running_loop().time() + 120

        async def write(kind: str, rpc: Callable[..., Awaitable[Any]], request: Any) -> Any:
            reply = await ledger.call(f"set-up {kind}", new_id(), rpc, request)
            assert reply is not None, f"set-up {kind} failed: {ledger.refused[-1:]}"
            return reply

        questionnaire = questionnaire_request()
        await write("questionnaire", api.visits.CreateQuestionnaire, questionnaire)
        self.questionnaire_id = questionnaire.questionnaire.id
        for n in range(agents + van_sellers):
            role = cpb.ROLE_AGENT if n < agents else cpb.ROLE_VAN_SELLER
            employee = employee_request(role, f"Агент Номер {n}")
            await write("employee", api.territory.CreateEmployee, employee)
            if n < agents:
                self.agents.append(Seller(employee.employee.id))
            else:
                self.van_sellers.append(Seller(employee.employee.id, new_id()))
        for n in range(customers):
            client = client_request(n)
            outlet = outlet_request(client.client.id, f"Магазин {n}")
            await write("client", api.clients.CreateClient, client)
            await write("outlet", api.clients.CreateOutlet, outlet)
            self.customers.append(Customer(client.client.id, outlet.outlet.id, tight=n % 4 == 3))

        box = ("box", "коробка", 12)
        products = await write(
            "products",
            api.catalog.UpsertProducts,
            products_request(
                [
                    product("KVS", "Квас 0,5 л", pack=box),
                    product("LMN", "Лимонад 1,5 л", pack=box),
                    product("BER", "Пиво 0,5 л стекло", pack=box, container="bottle-0.5"),
                ]
            ),
        )
        self.products = [r.id for r in products.results]
        types = await write("price type", api.catalog.UpsertPriceTypes, price_type_request())
        price_type = types.results[0].id
        await write(
            "price list",
            api.catalog.UpsertPriceLists,
            price_list_request(price_type, zip(self.products, ("60", "110", "80"), strict=True)),
        )
        await write(
            "deposit",
            api.settlements.SetContainerDeposit,
            ss.SetContainerDepositRequest(
                request_id=new_id(), container_type="bottle-0.5", deposit=rub("5")
            ),
        )
        await write(
            "debt policy",
            api.settlements.SetDebtPolicy,
            ss.SetDebtPolicyRequest(
                request_id=new_id(),
                policy=spb.DebtPolicy(
                    mode=spb.DEBT_POLICY_MODE_BLOCK,
                    check_credit_limit=True,
                    max_overdue_days=30,
                    stages=[spb.STAGE_ORDER_SUBMIT, spb.STAGE_VAN_SALE],
                    override_roles=["SUPERVISOR"],
                ),
            ),
        )
        for c in self.customers:
            await write(
                "price type of a client",
                api.catalog.SetClientPriceType,
                client_price_type_request(c.client_id, price_type),
            )
            await write(
                "credit limit",
                api.settlements.SetCreditLimit,
                ss.SetCreditLimitRequest(
                    request_id=new_id(),
                    client_id=c.client_id,
                    limit=rub(5_000 if c.tight else 100_000_000),
                    payment_terms_days=14,
                ),
            )
        for s in self.van_sellers:
            await write("van", api.vans.CreateVan, van_request(s.employee_id, s.van_id))
            await write(
                "van load", api.vans.LoadVan, load_request(s.van_id, self.products, 10000, "box")
            )
        # Each seller's route holds the outlets it visits (a van seller's: not the tight
        # clients'): its scope in clients and, once the route reaches orders through the
        # clients feed, in orders.
        monday = TODAY - timedelta(days=TODAY.weekday())
        for seller in [*self.agents, *self.van_sellers]:
            route = route_request(seller.employee_id)
            await write("route", api.territory.CreateRoute, route)
            for n, c in enumerate(self.customers_of(seller), start=1):
                await write(
                    "route assignment",
                    api.territory.SetRouteAssignment,
                    assignment_request(route.route.id, c.outlet_id, start=monday, sequence=n),
                )
        for seller in [*self.agents, *self.van_sellers]:
            await self._known_to_orders(api, seller, ledger)
        ledger.deadline = float("inf")

    def customers_of(self, seller: Seller) -> list[Customer]:
        return [c for c in self.customers if not (seller.van_id and c.tight)]

    async def _known_to_orders(self, api: Stubs, seller: Seller, ledger: Ledger) -> None:
        """Wait until orders has the seller's route (it comes through the clients feed):
        until then the seller's own calls to orders fall outside its scope."""
        role = "VAN_SELLER" if seller.van_id else "AGENT"
        mine = api.as_employee(seller.employee_id, role).catalog
        last = self.customers_of(seller)[-1]
        loop = asyncio.get_running_loop()
        while True:
            try:
                await mine.ResolvePrices(
                    cat.ResolvePricesRequest(client_id=last.client_id, date=pb_date(TODAY)),
                    timeout=CALL_TIMEOUT,
                )
                return
            except grpc.aio.AioRpcError as exc:
                if loop.time() > ledger.deadline:
                    raise AssertionError(
                        f"orders never saw {seller}'s route: {exc.details()}"
                    ) from None
                await asyncio.sleep(0.2)


@dataclass
class Day:
    company: Company
    api: Stubs
    ledger: Ledger
    seed: int = 1

    async def run(self, stop: asyncio.Event, *, grace: float) -> None:
        """Every seller visits outlets until `stop` is set; calls failing by then are retried
        up to `grace` seconds more, then given up on."""
        sellers = [*self.company.agents, *self.company.van_sellers]
        days = [
            asyncio.create_task(self._seller(s, random.Random(self.seed * 1000 + n), stop))
            for n, s in enumerate(sellers)
        ]
        await stop.wait()
        self.ledger.deadline = asyncio.get_running_loop().time() + grace
        await asyncio.gather(*days)

    async def _seller(self, s: Seller, rng: random.Random, stop: asyncio.Event) -> None:
        choices = self.company.customers_of(s)
        while not stop.is_set():
            await self._visit(s, rng.choice(choices), rng)
            await asyncio.sleep(rng.uniform(0.05, 0.3))

    async def _visit(self, s: Seller, c: Customer, rng: random.Random) -> None:
        # Everything of a visit is the seller's doing: their token on every call.
        api = self.api.as_employee(s.employee_id, "VAN_SELLER" if s.van_id else "AGENT")
        call = self.ledger.call
        visit_id = new_id()
        now = datetime.now(UTC)
        checked_in = await call(
            "visit",
            visit_id,
            api.visits.CheckIn,
            vs.CheckInRequest(
                request_id=new_id(),
                visit_id=visit_id,
                outlet_id=c.outlet_id,
                time=pb_ts(now),
                location=LOCATION,
            ),
        )
        if checked_in is None:
            return
        audit_id = new_id()
        await call(
            "audit",
            audit_id,
            api.visits.SubmitAudit,
            vs.SubmitAuditRequest(
                request_id=new_id(),
                audit=cpb.Audit(
                    id=audit_id,
                    visit_id=visit_id,
                    questionnaire_id=self.company.questionnaire_id,
                    agent_id=s.employee_id,
                    outlet_id=c.outlet_id,
                    answers=[cpb.Answer(question_id="facings", number=str(rng.randint(1, 9)))],
                    submit_time=pb_ts(now),
                ),
            ),
        )
        lines = [
            ords.OrderLineInput(product_id=p, unit="box", quantity=str(rng.randint(1, 3)))
            for p in rng.sample(self.company.products, rng.randint(1, 3))
        ]
        document_id = new_id()
        if s.van_id:
            await call(
                "van sale",
                document_id,
                api.vans.CompleteVanSale,
                van.CompleteVanSaleRequest(
                    request_id=new_id(),
                    sale_id=document_id,
                    van_id=s.van_id,
                    client_id=c.client_id,
                    outlet_id=c.outlet_id,
                    date=pb_date(TODAY),
                    lines=lines,
                    cash_collected=rub(100),
                    receipt_number=f"VAN-{document_id[:8]}",
                ),
            )
        else:
            await call(
                "pre-sale order",
                document_id,
                api.orders.SubmitOrder,
                ords.SubmitOrderRequest(
                    request_id=new_id(),
                    order_id=document_id,
                    client_id=c.client_id,
                    outlet_id=c.outlet_id,
                    order_date=pb_date(TODAY),
                    delivery_date=pb_date(TODAY + timedelta(days=1)),
                    lines=lines,
                ),
            )
        if rng.random() < 0.3:
            payment_id = new_id()
            await call(
                "payment",
                payment_id,
                api.settlements.RecordPayment,
                ss.RecordPaymentRequest(
                    request_id=new_id(),
                    payment=spb.Payment(
                        id=payment_id,
                        kind=spb.PAYMENT_KIND_CASH,
                        client_id=c.client_id,
                        outlet_id=c.outlet_id,
                        date=pb_date(TODAY),
                        amount=rub(rng.choice((200, 500, 1000))),
                        receipt_number=f"{RECEIPT_PREFIX}{payment_id[:8]}",
                        collected_by=s.employee_id,
                    ),
                ),
            )
        await call(
            "check-out",
            visit_id,
            api.visits.CheckOut,
            vs.CheckOutRequest(
                request_id=new_id(),
                visit_id=visit_id,
                time=pb_ts(datetime.now(UTC)),
                location=LOCATION,
                outcome=cpb.VISIT_OUTCOME_ORDER_TAKEN,
            ),
        )
