"""The settlements gRPC API: protos → use-case inputs, domain results → protos.

Writes are idempotent under their request_id and reads run in a read-only unit of work, both
through the kit's `Servicer`. Credit checks, single or in a batch, are one path: the batch use
case (`handlers.check_credit_batch`), a single check being a batch of one.

Who calls comes from the verified token only (`entrypoints/policy.py` says who may call what):
changes record its subject; a check's actor, who may override a BLOCK, is the user of its
`actor_token` (verified, then admitted through the employee directory as the call's own token
is), else the caller when an employee calls, else no one (the body's `actor_id` and
`actor_roles` are ignored).

Every RPC that names a client applies the caller's scope (domain/access.py, through
service_layer/scope.py): a read of a client outside it is NOT_FOUND, a list or the aging
report leaves such clients out, a write is PERMISSION_DENIED.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

import grpc

from fieldline.settlements.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline.settlements.v1 import settlements_service_pb2_grpc as ss_grpc
from fieldline_kit.auth import Kind, Principal, current_principal, principal_or_none
from fieldline_kit.errors import DomainError, InvalidArgument, Unauthenticated
from fieldline_kit.grpc.convert import MAX_PAGE_SIZE, from_pb_date, page_size
from fieldline_kit.grpc.interceptor import status_for
from fieldline_kit.grpc.servicer import Servicer
from fieldline_kit.logging import get_logger
from fieldline_settlements.adapters import proto_mapping as m
from fieldline_settlements.adapters import queries
from fieldline_settlements.adapters.repository import SettlementsUnitOfWork
from fieldline_settlements.bootstrap import App
from fieldline_settlements.domain.access import Caller, Reach
from fieldline_settlements.domain.cash import unknown_employee
from fieldline_settlements.domain.ledger import NamedAllocation, statement
from fieldline_settlements.domain.policy import Actor
from fieldline_settlements.domain.values import (
    MAX_LINES,
    document_id,
    limit_items,
    limit_text,
    optional_id,
    require_id,
)
from fieldline_settlements.entrypoints.policy import RECORD_FOR_OTHERS
from fieldline_settlements.service_layer import handlers, scope

log = get_logger("fieldline.settlements.grpc")

# Checks per CheckCreditBatch call (the orders service sends up to 64).
MAX_CREDIT_CHECKS = 500


def client_filter(client_ids: Sequence[str]) -> list[str]:
    """A list's `client_ids`: UUIDs (each error naming its place), at most a page's worth."""
    given = limit_items("client_ids", client_ids, MAX_PAGE_SIZE)
    return sorted({require_id(f"client_ids[{i}]", c) for i, c in enumerate(given)})


def changed_by() -> str:
    """The subject of the verified caller, recorded with a change ('' when auth is off)."""
    caller = principal_or_none()
    return caller.subject if caller is not None else ""


def caller() -> Caller:
    """The verified caller, whose scope applies (UNAUTHENTICATED without one: never
    everything by default)."""
    p = current_principal()
    return Caller.of(p.subject, p.roles)


async def reach(uow: SettlementsUnitOfWork) -> Reach:
    """The clients the caller of the RPC being served may see."""
    return await scope.reach_of(uow, caller())


async def list_reach(uow: SettlementsUnitOfWork, client_id: str) -> Reach:
    """The caller's reach for a list, with the client it names in it (NOT_FOUND outside, as
    for an unknown client)."""
    within = await reach(uow)
    if client_id:
        await scope.readable_client(uow, within, client_id)
    return within


def may_record_for_others(caller: Principal | None) -> bool:
    """An employee without an admitting role records only their own collections."""
    return caller is None or caller.kind != Kind.EMPLOYEE or caller.has_any(RECORD_FOR_OTHERS)


def _period(request: Any) -> tuple[date | None, date | None]:
    """A list's optional `from_date` and `to_date`; the end before the start is
    INVALID_ARGUMENT `to_date`."""
    from_date = from_pb_date("from_date", request.from_date, required=False)
    to_date = from_pb_date("to_date", request.to_date, required=False)
    if from_date and to_date and from_date > to_date:
        raise InvalidArgument("to_date", f"must not be before from_date {from_date.isoformat()}")
    return from_date, to_date


class SettlementsServicer(Servicer[App, SettlementsUnitOfWork], ss_grpc.SettlementsServiceServicer):
    @property
    def cur(self) -> str:
        return self.app.currency

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

        return await self.write("RecordInvoice", request, ss.RecordInvoiceResponse, work)

    async def RecordPayment(
        self, request: ss.RecordPaymentRequest, context: grpc.aio.ServicerContext
    ) -> ss.RecordPaymentResponse:
        if not request.HasField("payment"):
            raise InvalidArgument("payment", "is required")
        p = request.payment
        named = []
        for index, a in enumerate(limit_items("payment.allocations", p.allocations, MAX_LINES)):
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
            recorded_by=changed_by(),
            for_others=may_record_for_others(principal_or_none()),
            visit_id=p.visit_id,
        )

        async def work(uow: SettlementsUnitOfWork) -> ss.RecordPaymentResponse:
            payment = await handlers.record_payment(
                uow, self.app.config, self.app.clock(), self.app.today(), inp, await reach(uow)
            )
            return ss.RecordPaymentResponse(payment=m.payment_pb(payment, self.cur))

        return await self.write("RecordPayment", request, ss.RecordPaymentResponse, work)

    async def ListInvoices(
        self, request: ss.ListInvoicesRequest, context: grpc.aio.ServicerContext
    ) -> ss.ListInvoicesResponse:
        size = page_size(request.page_size)
        client_id = optional_id("client_id", request.client_id)
        outlet_id = optional_id("outlet_id", request.outlet_id)
        async with self.read() as uow:
            within = await list_reach(uow, client_id)
            items, token = await queries.list_invoices(
                uow.session,
                size=size,
                token=request.page_token,
                client_id=client_id,
                outlet_id=outlet_id,
                open_only=request.open_only,
                reach=within,
            )
        return ss.ListInvoicesResponse(
            invoices=[m.invoice_pb(i, self.cur) for i in items], next_page_token=token
        )

    async def ListPayments(
        self, request: ss.ListPaymentsRequest, context: grpc.aio.ServicerContext
    ) -> ss.ListPaymentsResponse:
        size = page_size(request.page_size)
        from_date, to_date = _period(request)
        where = queries.PaymentFilter(
            client_id=optional_id("client_id", request.client_id),
            outlet_id=optional_id("outlet_id", request.outlet_id),
            collected_by=limit_text("collected_by", request.collected_by, 64),
            kind=m.from_enum(m.PAYMENT_KINDS, request.kind, "kind"),
            source=m.from_enum(m.PAYMENT_SOURCES, request.source, "source"),
            visit_id=optional_id("visit_id", request.visit_id),
            from_date=from_date,
            to_date=to_date,
        )
        async with self.read() as uow:
            within = await list_reach(uow, where.client_id)
            items, token = await queries.list_payments(
                uow.session, size=size, token=request.page_token, where=where, reach=within
            )
        return ss.ListPaymentsResponse(
            payments=[m.payment_pb(p, self.cur) for p in items], next_page_token=token
        )

    # -- cash on hand ----------------------------------------------------------------------
    async def RecordCashHandover(
        self, request: ss.RecordCashHandoverRequest, context: grpc.aio.ServicerContext
    ) -> ss.RecordCashHandoverResponse:
        if not request.HasField("handover"):
            raise InvalidArgument("handover", "is required")
        h = request.handover
        on = m.required_date("handover.date", h.date)
        counted = m.money_field(h, "counted", "handover.counted", self.cur)
        payment_ids = limit_items("handover.payment_ids", h.payment_ids, MAX_PAGE_SIZE)
        by = changed_by()

        async def work(uow: SettlementsUnitOfWork) -> ss.RecordCashHandoverResponse:
            handover = await handlers.record_cash_handover(
                uow,
                self.app.clock(),
                handover_id=h.id,
                employee_id=h.employee_id,
                on=on,
                counted=counted,
                payment_ids=payment_ids,
                received_by=by,
                staff=await scope.staff_of(uow, caller(), receiving=True),
            )
            return ss.RecordCashHandoverResponse(handover=m.handover_pb(handover, self.cur))

        return await self.write("RecordCashHandover", request, ss.RecordCashHandoverResponse, work)

    async def GetCashOnHand(
        self, request: ss.GetCashOnHandRequest, context: grpc.aio.ServicerContext
    ) -> ss.GetCashOnHandResponse:
        who = caller()
        employee = request.employee_id
        if not employee:
            if current_principal().kind != Kind.EMPLOYEE:
                raise InvalidArgument("employee_id", "is required (a service holds no cash)")
            employee = who.id
        async with self.read() as uow:
            figure, held = await handlers.cash_on_hand(
                uow, employee, await scope.staff_of(uow, who)
            )
            held = await queries.with_allocations(uow.session, held)
        return ss.GetCashOnHandResponse(cash_on_hand=m.cash_on_hand_pb(figure, held, self.cur))

    async def ListCashHandovers(
        self, request: ss.ListCashHandoversRequest, context: grpc.aio.ServicerContext
    ) -> ss.ListCashHandoversResponse:
        size = page_size(request.page_size)
        employee = limit_text("employee_id", request.employee_id, 64)
        from_date, to_date = _period(request)
        async with self.read() as uow:
            staff = await scope.staff_of(uow, caller())
            if employee and not staff.holds(employee):
                raise unknown_employee(employee)
            items, token = await queries.list_handovers(
                uow.session,
                size=size,
                token=request.page_token,
                staff=staff,
                employee_id=employee,
                from_date=from_date,
                to_date=to_date,
            )
        return ss.ListCashHandoversResponse(
            handovers=[m.handover_pb(h, self.cur) for h in items], next_page_token=token
        )

    # -- balances, statement, aging ------------------------------------------------------
    async def GetBalance(
        self, request: ss.GetBalanceRequest, context: grpc.aio.ServicerContext
    ) -> ss.GetBalanceResponse:
        client_id = require_id("client_id", request.client_id)
        outlet_id = optional_id("outlet_id", request.outlet_id)
        as_of = self._as_of("as_of", request.as_of)
        async with self.read() as uow:
            await scope.readable_client(uow, await reach(uow), client_id)
            snapshot = await handlers.balance(uow, self.app.clock(), client_id, outlet_id, as_of)
        return ss.GetBalanceResponse(balance=m.balance_pb(snapshot, self.cur))

    async def GetStatement(
        self, request: ss.GetStatementRequest, context: grpc.aio.ServicerContext
    ) -> ss.GetStatementResponse:
        client_id = require_id("client_id", request.client_id)
        from_date, to_date = _period(request)
        async with self.read() as uow:
            await scope.readable_client(uow, await reach(uow), client_id)
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
        async with self.read() as uow:
            within = await list_reach(uow, client_id)
            rows, totals, token = await queries.aging(
                uow.session,
                as_of=as_of,
                client_id=client_id,
                size=size,
                token=request.page_token,
                reach=within,
            )
        return ss.GetAgingReportResponse(
            rows=[m.aging_pb(r, self.cur) for r in rows],
            totals=m.aging_pb(totals, self.cur),
            next_page_token=token,
        )

    async def ListBalances(
        self, request: ss.ListBalancesRequest, context: grpc.aio.ServicerContext
    ) -> ss.ListBalancesResponse:
        size = page_size(request.page_size)
        client_ids = client_filter(request.client_ids)
        as_of = self._as_of("as_of", request.as_of)
        async with self.read() as uow:
            ids, token = await queries.client_page(
                uow.session, size=size, token=request.page_token, client_ids=client_ids
            )
            found = await handlers.balances(uow, self.app.clock(), as_of, ids) if ids else []
        return ss.ListBalancesResponse(
            balances=[m.balance_pb(b, self.cur) for b in found], next_page_token=token
        )

    # -- tare ------------------------------------------------------------------------------
    async def GetTareBalance(
        self, request: ss.GetTareBalanceRequest, context: grpc.aio.ServicerContext
    ) -> ss.GetTareBalanceResponse:
        client_id = require_id("client_id", request.client_id)
        outlet_id = optional_id("outlet_id", request.outlet_id)
        async with self.read() as uow:
            await scope.readable_client(uow, await reach(uow), client_id)
            if outlet_id:
                balances = await queries.outlet_tare_balances(uow.session, client_id, outlet_id)
            else:
                balances = await queries.tare_balances(uow.session, client_id)
            per_unit = await uow.deposits.get_many(b.container_type for b in balances)
        return ss.GetTareBalanceResponse(
            balances=[
                m.tare_pb(b, per_unit[b.container_type], self.cur, outlet_id) for b in balances
            ]
        )

    async def ListTareMovements(
        self, request: ss.ListTareMovementsRequest, context: grpc.aio.ServicerContext
    ) -> ss.ListTareMovementsResponse:
        size = page_size(request.page_size)
        from_date, to_date = _period(request)
        where = queries.TareFilter(
            client_id=optional_id("client_id", request.client_id),
            outlet_id=optional_id("outlet_id", request.outlet_id),
            container_type=limit_text("container_type", request.container_type, 60),
            kind=m.from_enum(m.DOCUMENT_KINDS, request.document_kind, "document_kind"),
            from_date=from_date,
            to_date=to_date,
        )
        async with self.read() as uow:
            within = await list_reach(uow, where.client_id)
            items, token = await queries.list_tare_movements(
                uow.session, size=size, token=request.page_token, where=where, reach=within
            )
        return ss.ListTareMovementsResponse(
            movements=[m.movement_pb(mv) for mv in items], next_page_token=token
        )

    async def RecordTareDocuments(
        self, request: ss.RecordTareDocumentsRequest, context: grpc.aio.ServicerContext
    ) -> ss.RecordTareDocumentsResponse:
        documents = [
            handlers.TareDocumentInput(
                document_id=d.document_id,
                date=m.required_date(f"documents[{i}].date", d.date),
                client_id=d.client_id,
                outlet_id=d.outlet_id,
                lines=tuple(
                    handlers.TareLineInput(
                        line.container_type,
                        m.from_enum(
                            m.DIRECTIONS, line.direction, f"documents[{i}].lines[{j}].direction"
                        ),
                        line.quantity,
                    )
                    for j, line in enumerate(d.lines)
                ),
            )
            for i, d in enumerate(limit_items("documents", request.documents, handlers.MAX_COUNTS))
        ]

        async def work(uow: SettlementsUnitOfWork) -> ss.RecordTareDocumentsResponse:
            made = await handlers.record_tare_documents(uow, self.app.clock(), documents)
            return ss.RecordTareDocumentsResponse(movements=[m.movement_pb(mv) for mv in made])

        return await self.write(
            "RecordTareDocuments", request, ss.RecordTareDocumentsResponse, work
        )

    async def ListTareBalances(
        self, request: ss.ListTareBalancesRequest, context: grpc.aio.ServicerContext
    ) -> ss.ListTareBalancesResponse:
        size = page_size(request.page_size)
        client_ids = client_filter(request.client_ids)
        async with self.read() as uow:
            balances, token = await queries.tare_page(
                uow.session, size=size, token=request.page_token, client_ids=client_ids
            )
            per_unit = await uow.deposits.get_many(b.container_type for b in balances)
        return ss.ListTareBalancesResponse(
            balances=[m.tare_pb(b, per_unit[b.container_type], self.cur) for b in balances],
            next_page_token=token,
        )

    async def SetContainerDeposit(
        self, request: ss.SetContainerDepositRequest, context: grpc.aio.ServicerContext
    ) -> ss.SetContainerDepositResponse:
        deposit = m.money_field(request, "deposit", "deposit", self.cur)
        by = changed_by()

        async def work(uow: SettlementsUnitOfWork) -> ss.SetContainerDepositResponse:
            await handlers.set_container_deposit(
                uow, self.app.clock(), request.container_type, deposit, by
            )
            return ss.SetContainerDepositResponse()

        return await self.write(
            "SetContainerDeposit", request, ss.SetContainerDepositResponse, work
        )

    async def RecordTareCounts(
        self, request: ss.RecordTareCountsRequest, context: grpc.aio.ServicerContext
    ) -> ss.RecordTareCountsResponse:
        counted_on = m.required_date("count_date", request.count_date)
        counts = [
            handlers.TareCountInput(c.client_id, c.outlet_id, c.container_type, c.quantity)
            for c in request.counts
        ]

        async def work(uow: SettlementsUnitOfWork) -> ss.RecordTareCountsResponse:
            after = await handlers.record_tare_counts(
                uow, self.app.clock(), request.document_id, counted_on, counts
            )
            return ss.RecordTareCountsResponse(
                balances=[m.tare_pb(b, deposit, self.cur) for b, deposit in after]
            )

        return await self.write("RecordTareCounts", request, ss.RecordTareCountsResponse, work)

    # -- credit limit and debt policy ------------------------------------------------------
    async def SetCreditLimit(
        self, request: ss.SetCreditLimitRequest, context: grpc.aio.ServicerContext
    ) -> ss.SetCreditLimitResponse:
        limit = m.optional_money_field(request, "limit", "limit", self.cur)
        by = changed_by()

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
                by=by,
            )
            return ss.SetCreditLimitResponse(balance=m.balance_pb(snapshot, self.cur))

        return await self.write("SetCreditLimit", request, ss.SetCreditLimitResponse, work)

    async def SetDebtPolicy(
        self, request: ss.SetDebtPolicyRequest, context: grpc.aio.ServicerContext
    ) -> ss.SetDebtPolicyResponse:
        if not request.HasField("policy") and not request.clear:
            raise InvalidArgument("policy", "is required")
        args = {} if request.clear else m.policy_from_pb(request.policy)
        by = changed_by()

        async def work(uow: SettlementsUnitOfWork) -> ss.SetDebtPolicyResponse:
            policy, _ = await handlers.set_debt_policy(
                uow,
                self.app.config,
                self.app.clock(),
                self.app.today(),
                client_id=request.policy.client_id,
                args=args,
                clear=request.clear,
                by=by,
            )
            return ss.SetDebtPolicyResponse(policy=m.policy_pb(policy))

        return await self.write("SetDebtPolicy", request, ss.SetDebtPolicyResponse, work)

    async def GetDebtPolicy(
        self, request: ss.GetDebtPolicyRequest, context: grpc.aio.ServicerContext
    ) -> ss.GetDebtPolicyResponse:
        client_id = optional_id("client_id", request.client_id)
        async with self.read() as uow:
            if client_id:  # the company's policy (no client) is no client's data
                await scope.readable_client(uow, await reach(uow), client_id)
            policy, is_default = await handlers.effective_policy(uow, self.app.config, client_id)
        return ss.GetDebtPolicyResponse(policy=m.policy_pb(policy), is_default=is_default)

    async def GetCreditStanding(
        self, request: ss.GetCreditStandingRequest, context: grpc.aio.ServicerContext
    ) -> ss.GetCreditStandingResponse:
        client_id = require_id("client_id", request.client_id)
        async with self.read() as uow:
            await scope.readable_client(uow, await reach(uow), client_id)
            (found,) = await handlers.credit_standings(
                uow, self.app.config, self.app.clock(), self.app.today(), [client_id]
            )
        return ss.GetCreditStandingResponse(standing=m.standing_pb(found, self.cur))

    async def ListCreditStandings(
        self, request: ss.ListCreditStandingsRequest, context: grpc.aio.ServicerContext
    ) -> ss.ListCreditStandingsResponse:
        size = page_size(request.page_size)
        client_ids = client_filter(request.client_ids)
        async with self.read() as uow:
            ids, token = await queries.client_page(
                uow.session, size=size, token=request.page_token, client_ids=client_ids
            )
            found = (
                await handlers.credit_standings(
                    uow, self.app.config, self.app.clock(), self.app.today(), ids
                )
                if ids
                else []
            )
        return ss.ListCreditStandingsResponse(
            standings=[m.standing_pb(c, self.cur) for c in found], next_page_token=token
        )

    async def ReleaseCredit(
        self, request: ss.ReleaseCreditRequest, context: grpc.aio.ServicerContext
    ) -> ss.ReleaseCreditResponse:
        async def work(uow: SettlementsUnitOfWork) -> ss.ReleaseCreditResponse:
            released = await handlers.release_credit(
                uow,
                self.app.config,
                self.app.clock(),
                self.app.today(),
                request.order_id,
                await reach(uow),
            )
            return ss.ReleaseCreditResponse(released=released)

        return await self.write("ReleaseCredit", request, ss.ReleaseCreditResponse, work)

    # -- credit checks -----------------------------------------------------------------------
    async def _actor(
        self, check: ss.CheckCreditRequest, verified: dict[str, Principal | None]
    ) -> Actor | DomainError:
        """Who asks for the check, from a verified token only: its `actor_token`'s user, else
        the caller when an employee calls (a forwarded token), else no one. `verified`: the
        tokens of the call verified so far (one user's orders share one token)."""
        reason = check.override_reason
        try:
            if check.actor_token:
                if check.actor_token not in verified:
                    verified[check.actor_token] = await self._verified_actor(check.actor_token)
                user = verified[check.actor_token]
            else:
                caller = principal_or_none()
                user = caller if caller is not None and caller.kind == Kind.EMPLOYEE else None
            if user is None:
                return Actor.unknown(reason)
            return Actor.of(user.subject, user.roles, reason)
        except DomainError as exc:
            return exc

    async def _verified_actor(self, token: str) -> Principal | None:
        verifier = self.app.verifier
        if verifier is None:  # auth off: no token can be verified, so no one is known
            return None
        try:
            user = await verifier.verify_async(token)
        except Unauthenticated as exc:
            raise Unauthenticated(f"actor_token: {exc.message}") from None
        if user.kind != Kind.EMPLOYEE:
            raise InvalidArgument("actor_token", f"is a {user.kind}'s token, not a user's")
        # As the call's own token: a dismissed user is refused, a removed role is gone.
        try:
            return await self.app.directory.admit(user)
        except Unauthenticated as exc:
            raise Unauthenticated(f"actor_token: {exc.message}") from None

    async def _actors(
        self, checks: Sequence[ss.CheckCreditRequest]
    ) -> dict[int, Actor | DomainError]:
        """The actor of each check (by `id(check)`), verified before the transaction."""
        verified: dict[str, Principal | None] = {}
        return {id(check): await self._actor(check, verified) for check in checks}

    def _credit_input(
        self, request: ss.CheckCreditRequest, today: date, actor: Actor | DomainError
    ) -> tuple[date, handlers.CreditCheckInput]:
        amount = m.money_field(request, "amount", "amount", self.cur)
        if isinstance(actor, DomainError):
            raise actor
        inp = handlers.CreditCheckInput(
            order_id=request.order_id,
            client_id=request.client_id,
            amount=amount,
            stage=m.from_enum(m.STAGES, request.stage, "stage"),
            actor=actor,
        )
        as_of = from_pb_date("as_of", request.as_of, required=False)
        return as_of or today, inp

    async def _judge(
        self,
        uow: SettlementsUnitOfWork,
        checks: Sequence[ss.CheckCreditRequest],
        actors: dict[int, Actor | DomainError],
    ) -> list[ss.CheckCreditResponse | DomainError]:
        """The checks judged in order in `uow` (`handlers.check_credit_batch`): per check its
        decision, or why it was refused (its own input malformed, its actor token refused, or
        refused by the use case: a client outside the caller's scope among others). The scope
        is the caller's: a user's forwarded token, its routes' clients; the orders service
        (SERVICE), the company's — it has checked each order's route scope itself."""
        today = self.app.today()
        inputs: list[tuple[date, handlers.CreditCheckInput] | DomainError] = []
        for check in checks:
            try:
                inputs.append(self._credit_input(check, today, actors[id(check)]))
            except DomainError as exc:
                inputs.append(exc)
        judged = iter(
            await handlers.check_credit_batch(
                uow,
                self.app.config,
                self.app.clock(),
                today,
                [i for i in inputs if not isinstance(i, DomainError)],
                await reach(uow),
            )
        )
        policies: dict[int, pb.DebtPolicy] = {}  # the checks share a few policies
        answers: list[ss.CheckCreditResponse | DomainError] = []
        for inp in inputs:
            result = inp if isinstance(inp, DomainError) else next(judged)
            if isinstance(result, DomainError):
                answers.append(result)
                continue
            answer = ss.CheckCreditResponse()
            m.fill_decision(answer, result, self.cur, policies)
            answers.append(answer)
        return answers

    async def CheckCredit(
        self, request: ss.CheckCreditRequest, context: grpc.aio.ServicerContext
    ) -> ss.CheckCreditResponse:
        """A batch of one (`_judge`); its refusal is the RPC's error."""

        actors = await self._actors([request])

        async def work(uow: SettlementsUnitOfWork) -> ss.CheckCreditResponse:
            (answer,) = await self._judge(uow, [request], actors)
            if isinstance(answer, DomainError):
                raise answer
            return answer

        # The request_id is optional for credit checks: checking an order again replaces its
        # reservation (idempotent by itself), and a re-check must be judged anew.
        return await self.write(
            "CheckCredit", request, ss.CheckCreditResponse, work, required=False
        )

    async def CheckCreditBatch(
        self, request: ss.CheckCreditBatchRequest, context: grpc.aio.ServicerContext
    ) -> ss.CheckCreditBatchResponse:
        """The checks judged in order in one transaction; each answered on its own.

        A check with a request_id is idempotent exactly as with CheckCredit, under the same
        key (`CheckCredit:<request_id>`), so a check first sent alone and retried in a batch,
        or the other way round, gets its first answer.
        """
        checks = list(limit_items("checks", request.checks, MAX_CREDIT_CHECKS))
        response = ss.CheckCreditBatchResponse()
        if not checks:
            return response
        actors = await self._actors(checks)

        async def judge(
            uow: SettlementsUnitOfWork, some: Sequence[ss.CheckCreditRequest]
        ) -> list[ss.CheckCreditResponse | DomainError]:
            return await self._judge(uow, some, actors)

        outcomes = await self.write_batch("CheckCredit", checks, judge, required=False)
        for index, outcome in enumerate(outcomes):
            result = response.results.add()
            if isinstance(outcome, DomainError):
                # What CheckCredit would answer for this check alone: the status code of the
                # kit's interceptor mapping and the same message naming the field (e.g.
                # "amount: must not be negative"); the check's place in the batch is its
                # place in `results`. Logged as the interceptor logs a refused RPC.
                code = status_for(outcome).name
                log.info("credit check refused", index=index, code=code, reason=outcome.message)
                result.error.code = code
                result.error.message = outcome.message
            elif isinstance(outcome, bytes):  # the answer stored for its request_id
                result.decision.MergeFromString(outcome)
            else:
                result.decision.CopyFrom(outcome)
        return response


def register(app: App) -> Callable[[grpc.aio.Server], Iterable[str]]:
    def _register(server: grpc.aio.Server) -> Iterable[str]:
        ss_grpc.add_SettlementsServiceServicer_to_server(SettlementsServicer(app), server)
        return [ss.DESCRIPTOR.services_by_name["SettlementsService"].full_name]

    return _register
