"""gRPC servicer: translate protos into use-case calls and domain results back into protos.

Mutating RPCs run through `run_idempotent` (request_id), reads through a unit of work that is
never committed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import date
from typing import TypeVar

import grpc
from google.protobuf.message import Message

from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline.settlements.v1 import settlements_service_pb2_grpc as ss_grpc
from fieldline_kit.errors import InvalidArgument
from fieldline_kit.grpc.convert import from_pb_date, page_size
from fieldline_kit.grpc.idempotency import run_idempotent
from fieldline_settlements.adapters import proto_mapping as m
from fieldline_settlements.adapters import queries
from fieldline_settlements.adapters.repository import SettlementsUnitOfWork, deposits
from fieldline_settlements.bootstrap import App
from fieldline_settlements.domain.ledger import NamedAllocation, statement
from fieldline_settlements.domain.policy import Actor
from fieldline_settlements.domain.values import document_id, optional_id, require_id
from fieldline_settlements.service_layer import handlers

R = TypeVar("R", bound=Message)


class SettlementsServicer(ss_grpc.SettlementsServiceServicer):
    def __init__(self, app: App) -> None:
        self.app = app

    @property
    def cur(self) -> str:
        return self.app.currency

    async def _write(
        self,
        method: str,
        request: Message,
        response_type: type[R],
        work: Callable[[SettlementsUnitOfWork], Awaitable[R]],
    ) -> R:
        return await run_idempotent(self.app.uow, method, request, response_type, work)

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[SettlementsUnitOfWork]:
        async with self.app.uow() as uow:  # never committed: rolled back on exit
            yield uow

    def _as_of(self, field: str, value: object) -> date:
        given = from_pb_date(field, value, required=False)
        return given or self.app.today()

    # -- invoices and payments -----------------------------------------------------------
    async def RecordInvoice(
        self, request: ss.RecordInvoiceRequest, context: grpc.aio.ServicerContext
    ) -> ss.RecordInvoiceResponse:
        if not request.HasField("invoice"):
            raise InvalidArgument("invoice", "is required")
        i = request.invoice
        inp = handlers.InvoiceInput(
            id=i.id,
            number=i.number,
            client_id=i.client_id,
            outlet_id=i.outlet_id,
            order_id=i.order_id,
            source=m.from_enum(m.INVOICE_SOURCES, i.source, "invoice.source"),
            issue_date=m.required_date("invoice.issue_date", i.issue_date),
            due_date=from_pb_date("invoice.due_date", i.due_date, required=False),
            amount=m.money_field(i, "amount", "invoice.amount", self.cur, allow_negative=True),
        )

        async def work(uow: SettlementsUnitOfWork) -> ss.RecordInvoiceResponse:
            invoice = await handlers.record_invoice(
                uow, self.app.config, self.app.clock(), self.app.today(), inp
            )
            return ss.RecordInvoiceResponse(invoice=m.invoice_pb(invoice, self.cur))

        return await self._write("RecordInvoice", request, ss.RecordInvoiceResponse, work)

    async def RecordPayment(
        self, request: ss.RecordPaymentRequest, context: grpc.aio.ServicerContext
    ) -> ss.RecordPaymentResponse:
        if not request.HasField("payment"):
            raise InvalidArgument("payment", "is required")
        p = request.payment
        named = []
        for index, a in enumerate(p.allocations):
            where = f"payment.allocations[{index}]"
            requested = None
            if a.HasField("amount") and (a.amount.units or a.amount.nanos):
                requested = m.parse_money(f"{where}.amount", a.amount, self.cur)
            named.append(
                NamedAllocation(document_id(f"{where}.invoice_id", a.invoice_id), requested, where)
            )
        inp = handlers.PaymentInput(
            id=p.id,
            kind=m.from_enum(m.PAYMENT_KINDS, p.kind, "payment.kind"),
            client_id=p.client_id,
            outlet_id=p.outlet_id,
            date=m.required_date("payment.date", p.date),
            amount=m.money_field(p, "amount", "payment.amount", self.cur, positive=True),
            receipt_number=p.receipt_number,
            collected_by=p.collected_by,
            named=tuple(named),
        )

        async def work(uow: SettlementsUnitOfWork) -> ss.RecordPaymentResponse:
            payment = await handlers.record_payment(
                uow, self.app.config, self.app.clock(), self.app.today(), inp
            )
            return ss.RecordPaymentResponse(payment=m.payment_pb(payment, self.cur))

        return await self._write("RecordPayment", request, ss.RecordPaymentResponse, work)

    async def ListInvoices(
        self, request: ss.ListInvoicesRequest, context: grpc.aio.ServicerContext
    ) -> ss.ListInvoicesResponse:
        size = page_size(request.page_size)
        client_id = optional_id("client_id", request.client_id)
        outlet_id = optional_id("outlet_id", request.outlet_id)
        async with self._read() as uow:
            items, token = await queries.list_invoices(
                uow.session,
                size=size,
                token=request.page_token,
                client_id=client_id,
                outlet_id=outlet_id,
                open_only=request.open_only,
            )
        return ss.ListInvoicesResponse(
            invoices=[m.invoice_pb(i, self.cur) for i in items], next_page_token=token
        )

    # -- balances, statement, aging ------------------------------------------------------
    async def GetBalance(
        self, request: ss.GetBalanceRequest, context: grpc.aio.ServicerContext
    ) -> ss.GetBalanceResponse:
        client_id = require_id("client_id", request.client_id)
        outlet_id = optional_id("outlet_id", request.outlet_id)
        as_of = self._as_of("as_of", request.as_of)
        async with self._read() as uow:
            snapshot = await handlers.balance(uow, self.app.clock(), client_id, outlet_id, as_of)
        return ss.GetBalanceResponse(balance=m.balance_pb(snapshot, self.cur))

    async def GetStatement(
        self, request: ss.GetStatementRequest, context: grpc.aio.ServicerContext
    ) -> ss.GetStatementResponse:
        client_id = require_id("client_id", request.client_id)
        from_date = from_pb_date("from_date", request.from_date, required=False)
        to_date = from_pb_date("to_date", request.to_date, required=False)
        if from_date and to_date and from_date > to_date:
            raise InvalidArgument(
                "to_date", f"must not be before from_date {from_date.isoformat()}"
            )
        async with self._read() as uow:
            opening, entries = await queries.statement_entries(
                uow.session, client_id, from_date, to_date
            )
        return m.statement_pb(statement(opening, entries), self.cur)

    async def GetAgingReport(
        self, request: ss.GetAgingReportRequest, context: grpc.aio.ServicerContext
    ) -> ss.GetAgingReportResponse:
        as_of = self._as_of("as_of", request.as_of)
        client_id = optional_id("client_id", request.client_id)
        size = page_size(request.page_size)
        async with self._read() as uow:
            rows, totals, token = await queries.aging(
                uow.session, as_of=as_of, client_id=client_id, size=size, token=request.page_token
            )
        return ss.GetAgingReportResponse(
            rows=[m.aging_pb(r, self.cur) for r in rows],
            totals=m.aging_pb(totals, self.cur),
            next_page_token=token,
        )

    # -- tare ------------------------------------------------------------------------------
    async def GetTareBalance(
        self, request: ss.GetTareBalanceRequest, context: grpc.aio.ServicerContext
    ) -> ss.GetTareBalanceResponse:
        client_id = require_id("client_id", request.client_id)
        async with self._read() as uow:
            balances = await queries.tare_balances(uow.session, client_id)
            per_unit = await deposits(uow.session, (b.container_type for b in balances))
        return ss.GetTareBalanceResponse(
            balances=[m.tare_pb(b, per_unit[b.container_type], self.cur) for b in balances]
        )

    async def SetContainerDeposit(
        self, request: ss.SetContainerDepositRequest, context: grpc.aio.ServicerContext
    ) -> ss.SetContainerDepositResponse:
        deposit = m.money_field(request, "deposit", "deposit", self.cur)

        async def work(uow: SettlementsUnitOfWork) -> ss.SetContainerDepositResponse:
            await handlers.set_container_deposit(
                uow, self.app.clock(), request.container_type, deposit
            )
            return ss.SetContainerDepositResponse()

        return await self._write(
            "SetContainerDeposit", request, ss.SetContainerDepositResponse, work
        )

    # -- credit limit and debt policy ------------------------------------------------------
    async def SetCreditLimit(
        self, request: ss.SetCreditLimitRequest, context: grpc.aio.ServicerContext
    ) -> ss.SetCreditLimitResponse:
        limit = m.optional_money_field(request, "limit", "limit", self.cur)

        async def work(uow: SettlementsUnitOfWork) -> ss.SetCreditLimitResponse:
            snapshot = await handlers.set_credit_limit(
                uow,
                self.app.config,
                self.app.clock(),
                self.app.today(),
                client_id=request.client_id,
                limit=limit,
                clear=request.clear,
                terms_days=request.payment_terms_days,
            )
            return ss.SetCreditLimitResponse(balance=m.balance_pb(snapshot, self.cur))

        return await self._write("SetCreditLimit", request, ss.SetCreditLimitResponse, work)

    async def SetDebtPolicy(
        self, request: ss.SetDebtPolicyRequest, context: grpc.aio.ServicerContext
    ) -> ss.SetDebtPolicyResponse:
        if not request.HasField("policy") and not request.clear:
            raise InvalidArgument("policy", "is required")
        args = {} if request.clear else m.policy_from_pb(request.policy)

        async def work(uow: SettlementsUnitOfWork) -> ss.SetDebtPolicyResponse:
            policy, _ = await handlers.set_debt_policy(
                uow,
                self.app.config,
                self.app.clock(),
                client_id=request.policy.client_id,
                args=args,
                clear=request.clear,
            )
            return ss.SetDebtPolicyResponse(policy=m.policy_pb(policy))

        return await self._write("SetDebtPolicy", request, ss.SetDebtPolicyResponse, work)

    async def GetDebtPolicy(
        self, request: ss.GetDebtPolicyRequest, context: grpc.aio.ServicerContext
    ) -> ss.GetDebtPolicyResponse:
        client_id = optional_id("client_id", request.client_id)
        async with self._read() as uow:
            policy, is_default = await handlers.effective_policy(uow, self.app.config, client_id)
        return ss.GetDebtPolicyResponse(policy=m.policy_pb(policy), is_default=is_default)

    async def CheckCredit(
        self, request: ss.CheckCreditRequest, context: grpc.aio.ServicerContext
    ) -> ss.CheckCreditResponse:
        amount = m.money_field(request, "amount", "amount", self.cur)
        inp = handlers.CreditCheckInput(
            order_id=request.order_id,
            client_id=request.client_id,
            amount=amount,
            stage=m.from_enum(m.STAGES, request.stage, "stage"),
            actor=Actor.of(request.actor_id, request.actor_roles, request.override_reason),
        )
        as_of = self._as_of("as_of", request.as_of)

        async def work(uow: SettlementsUnitOfWork) -> ss.CheckCreditResponse:
            decision = await handlers.check_credit(
                uow, self.app.config, self.app.clock(), as_of, inp
            )
            return m.decision_pb(decision, self.cur)

        return await self._write("CheckCredit", request, ss.CheckCreditResponse, work)


def register(app: App) -> Callable[[grpc.aio.Server], Iterable[str]]:
    def _register(server: grpc.aio.Server) -> Iterable[str]:
        ss_grpc.add_SettlementsServiceServicer_to_server(SettlementsServicer(app), server)
        return [ss.DESCRIPTOR.services_by_name["SettlementsService"].full_name]

    return _register
