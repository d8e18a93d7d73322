"""gRPC servicer: translate protos into use-case calls and domain results back into protos.

Mutating RPCs run through `run_idempotent` (request_id), reads through a unit of work that is
never committed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import TypeAlias, TypeVar

import grpc
from google.protobuf.message import Message
from sqlalchemy.exc import IntegrityError

from fieldline.settlements.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline.settlements.v1 import settlements_service_pb2_grpc as ss_grpc
from fieldline_kit.errors import Conflict, DomainError, InvalidArgument
from fieldline_kit.grpc.convert import from_pb_date, page_size
from fieldline_kit.grpc.interceptor import status_for
from fieldline_kit.idempotency import fingerprint, request_key, run_idempotent
from fieldline_kit.logging import get_logger
from fieldline_settlements.adapters import proto_mapping as m
from fieldline_settlements.adapters import queries
from fieldline_settlements.adapters.repository import SettlementsUnitOfWork, deposits
from fieldline_settlements.bootstrap import App
from fieldline_settlements.domain.ledger import NamedAllocation, statement
from fieldline_settlements.domain.policy import Actor, Decision
from fieldline_settlements.domain.values import document_id, optional_id, require_id
from fieldline_settlements.service_layer import handlers

R = TypeVar("R", bound=Message)
log = get_logger("fieldline.settlements.grpc")

# Checks per CheckCreditBatch call (the orders service sends 1–32).
MAX_CREDIT_CHECKS = 500

# Per check of a batch: its decision (or its stored or recorded answer), or why it was not
# judged.
_Outcome: TypeAlias = Decision | ss.CheckCreditResponse | DomainError


@dataclass(frozen=True)
class _PendingCheck:
    index: int
    as_of: date
    inp: handlers.CreditCheckInput
    key: str  # idempotency key, empty without a request_id
    digest: str


def _batch_response(outcomes: dict[int, _Outcome], currency: str) -> ss.CheckCreditBatchResponse:
    """One result per check, in order, each written in place into the response."""
    response = ss.CheckCreditBatchResponse()
    policies: dict[int, pb.DebtPolicy] = {}  # the batch's checks share a few policies
    for index in range(len(outcomes)):
        outcome = outcomes[index]
        result = response.results.add()
        if isinstance(outcome, DomainError):
            # What CheckCredit would answer for this check alone: the status code of the
            # kit's interceptor mapping and the same message naming the field (e.g. "amount:
            # must not be negative"); the check's place in the batch is its place in
            # `results`.
            result.error.code = status_for(outcome).name
            result.error.message = outcome.message
        elif isinstance(outcome, ss.CheckCreditResponse):
            result.decision.CopyFrom(outcome)
        else:
            m.fill_decision(result.decision, outcome, currency, policies)
    return response


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

    def _credit_input(
        self, request: ss.CheckCreditRequest
    ) -> tuple[date, handlers.CreditCheckInput]:
        amount = m.money_field(request, "amount", "amount", self.cur)
        inp = handlers.CreditCheckInput(
            order_id=request.order_id,
            client_id=request.client_id,
            amount=amount,
            stage=m.from_enum(m.STAGES, request.stage, "stage"),
            actor=Actor.of(request.actor_id, request.actor_roles, request.override_reason),
        )
        return self._as_of("as_of", request.as_of), inp

    async def CheckCredit(
        self, request: ss.CheckCreditRequest, context: grpc.aio.ServicerContext
    ) -> ss.CheckCreditResponse:
        as_of, inp = self._credit_input(request)

        async def work(uow: SettlementsUnitOfWork) -> ss.CheckCreditResponse:
            decision = await handlers.check_credit(
                uow, self.app.config, self.app.clock(), as_of, inp
            )
            return m.decision_pb(decision, self.cur)

        return await self._write("CheckCredit", request, ss.CheckCreditResponse, work)

    async def ReleaseCredit(
        self, request: ss.ReleaseCreditRequest, context: grpc.aio.ServicerContext
    ) -> ss.ReleaseCreditResponse:
        async def work(uow: SettlementsUnitOfWork) -> ss.ReleaseCreditResponse:
            released = await handlers.release_credit(uow, request.order_id)
            return ss.ReleaseCreditResponse(released=released)

        return await self._write("ReleaseCredit", request, ss.ReleaseCreditResponse, work)

    async def CheckCreditBatch(
        self, request: ss.CheckCreditBatchRequest, context: grpc.aio.ServicerContext
    ) -> ss.CheckCreditBatchResponse:
        """The checks judged in order in one transaction; each answered on its own.

        A check with a request_id is idempotent exactly as with CheckCredit, under the same
        key (`CheckCredit:<request_id>`), so a check first sent alone and retried in a batch,
        or the other way round, gets its first answer: all the batch's stored answers are
        looked up in one statement and the new ones stored in one.
        """
        if len(request.checks) > MAX_CREDIT_CHECKS:
            raise InvalidArgument(
                "checks", f"at most {MAX_CREDIT_CHECKS} per call, got {len(request.checks)}"
            )
        outcomes: dict[int, _Outcome] = {}
        pending: list[_PendingCheck] = []
        for index, check in enumerate(request.checks):
            try:
                as_of, inp = self._credit_input(check)
                key = request_key("CheckCredit", check.request_id)
            except DomainError as exc:
                outcomes[index] = exc
            else:
                digest = fingerprint(check) if key else ""
                pending.append(_PendingCheck(index, as_of, inp, key, digest))
        if pending:
            for attempt in (1, 2):
                try:
                    outcomes.update(await self._check_credit_batch(pending))
                    break
                except IntegrityError:  # a concurrent copy of a check stored its answer first
                    if attempt == 2:
                        raise Conflict(
                            "a concurrent request changed the same records; retry"
                        ) from None
        for index, outcome in sorted(outcomes.items()):
            if isinstance(outcome, DomainError):  # as the interceptor logs a refused RPC
                log.info(
                    "credit check refused",
                    index=index,
                    code=status_for(outcome).name,
                    reason=outcome.message,
                )
        return _batch_response(outcomes, self.cur)

    async def _check_credit_batch(self, pending: list[_PendingCheck]) -> dict[int, _Outcome]:
        outcomes: dict[int, _Outcome] = {}
        async with self.app.uow() as uow:
            stored = await uow.stored_responses({p.key for p in pending if p.key})
            to_judge: list[_PendingCheck] = []
            first: dict[str, _PendingCheck] = {}  # per request id, its first check to judge
            repeats: list[tuple[_PendingCheck, _PendingCheck]] = []
            for p in pending:
                if p.key and (p.key in stored or p.key in first):
                    found = stored.get(p.key)
                    seen = found[0] if found is not None else first[p.key].digest
                    if seen != p.digest:  # as UnitOfWork.recorded_response refuses it
                        outcomes[p.index] = InvalidArgument(
                            "request_id", "was already used for a different request"
                        )
                    elif found is not None:
                        outcomes[p.index] = ss.CheckCreditResponse.FromString(found[1])
                    else:  # the same check twice in the batch: a retry, answered as the first
                        repeats.append((p, first[p.key]))
                    continue
                if p.key:
                    first[p.key] = p
                to_judge.append(p)
            now = self.app.clock()
            judged = await handlers.check_credit_batch(
                uow, self.app.config, now, [(p.as_of, p.inp) for p in to_judge]
            )
            records: list[tuple[str, str, bytes]] = []
            for p, result in zip(to_judge, judged, strict=True):
                if isinstance(result, DomainError) or not p.key:
                    outcomes[p.index] = result  # mapped into the batch response at the end
                    continue
                response = m.decision_pb(result, self.cur)
                outcomes[p.index] = response
                records.append((p.key, p.digest, response.SerializeToString()))
            for p, earlier in repeats:
                outcomes[p.index] = outcomes[earlier.index]
            await uow.record_responses(records)
            await uow.commit()
        return outcomes


def register(app: App) -> Callable[[grpc.aio.Server], Iterable[str]]:
    def _register(server: grpc.aio.Server) -> Iterable[str]:
        ss_grpc.add_SettlementsServiceServicer_to_server(SettlementsServicer(app), server)
        return [ss.DESCRIPTOR.services_by_name["SettlementsService"].full_name]

    return _register
