"""A settlements unit of work without a database, for unit tests of the use cases.

`FakeSettlementsUnitOfWork` attaches in-memory repositories with the methods of the real ones
(`fieldline_settlements.adapters.repository`). Rows live in the kit fake's tables, so they
survive a commit and are undone by leaving the block without one. The credit checks' read port
(`credit_positions`) takes each client's debt as the test seeds it (`debts`); the
reservations, invoiced orders and policies it reads are the other fake repositories' rows.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fieldline_kit.errors import Conflict
from fieldline_kit.testing.fakes import FakeUnitOfWork, InMemoryRepository
from fieldline_settlements.adapters.repository import CreditPositions, StandingSweep
from fieldline_settlements.domain.account import ClientAccount, Reservation
from fieldline_settlements.domain.cash import CashHandover, CashOnHand
from fieldline_settlements.domain.credit import ClientDebt, OtherReservations
from fieldline_settlements.domain.ledger import (
    Allocation,
    ClientLedger,
    CreditKind,
    Payment,
    PaymentKind,
)
from fieldline_settlements.domain.policy import ClientPolicy, DebtPolicy
from fieldline_settlements.domain.tare import Direction, TareBalance, TareMovement, new_balance
from fieldline_settlements.domain.values import ZERO


class FakeAccounts(InMemoryRepository[Any]):
    """Accounts; their credit standing written by `save_standings` alone, as in the database
    (`save` keeps the stored one)."""

    async def save(self, aggregate: Any) -> None:
        stored = self.rows.get((aggregate.client_id,))
        await super().save(aggregate)
        if stored is not None:
            row = self.rows[(aggregate.client_id,)]
            row.standing, row.standing_version = stored.standing, stored.standing_version

    async def save_standings(self, accounts: Iterable[ClientAccount]) -> None:
        for account in accounts:
            row = self.rows[(account.client_id,)]
            if row.standing_version == account.standing_version:
                continue
            row.standing, row.standing_version = account.standing, account.standing_version
            self._track(account)

    async def find_many(self, client_ids: Sequence[str]) -> dict[str, ClientAccount]:
        found = {c: await self.find(c) for c in sorted(set(client_ids))}
        return {c: a for c, a in found.items() if a is not None}

    async def lock(self, client_id: str, default_terms_days: int, now: datetime) -> ClientAccount:
        """As the real upsert: created on first use, remembered as written (its events are
        tracked when it is saved)."""
        key = (client_id,)
        if key not in self.rows:
            self.put(ClientAccount(client_id, None, default_terms_days, 0, now))
        account: ClientAccount = copy.deepcopy(self.rows[key])
        self._loaded[key] = account.version
        return account

    async def lock_many(
        self, client_ids: Sequence[str], default_terms_days: int, now: datetime
    ) -> dict[str, ClientAccount]:
        return {c: await self.lock(c, default_terms_days, now) for c in sorted(set(client_ids))}


class FakeInvoices(InMemoryRepository[Any]):
    async def ids_for_order(self, order_id: str) -> list[str]:
        found = [i for i in self.rows.values() if i.order_id == order_id and i.amount > 0]
        return [i.id for i in sorted(found, key=lambda i: (i.issue_date, i.id))]

    async def exists_for_order(self, order_id: str) -> bool:
        return any(order_id in (i.order_id, i.id) for i in self.rows.values())


class FakePayments(InMemoryRepository[Any]):
    """Payments; their allocations are rows of their own, as in the database."""

    async def find(self, *key: Any, for_update: bool = False) -> Payment | None:
        payment: Payment | None = await super().find(*key)
        if payment is not None:
            payment.allocations = [
                a
                for a in self._uow.table("allocation").values()
                if a.source_kind is CreditKind.PAYMENT and a.source_id == payment.id
            ]
        return payment

    async def find_many(self, ids: Sequence[str]) -> dict[str, Payment]:
        return {i: copy.deepcopy(self.rows[(i,)]) for i in ids if (i,) in self.rows}

    async def on_hand(self, employee_id: str) -> list[Payment]:
        found = [
            copy.deepcopy(p)
            for p in self.rows.values()
            if p.collected_by == employee_id and p.kind is PaymentKind.CASH and not p.handover_id
        ]
        return sorted(found, key=lambda p: (p.date, p.id))

    async def hand_over(self, payment_ids: Sequence[str], handover_id: str) -> None:
        for pid in payment_ids:
            if self.rows[(pid,)].handover_id:
                raise Conflict("handover.payment_ids: a payment was handed over meanwhile")
            self.rows[(pid,)].handover_id = handover_id


class FakeCash(InMemoryRepository[Any]):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, "cash on hand", key=("employee_id",))

    async def lock(self, employee_id: str, now: datetime) -> CashOnHand:
        if (employee_id,) not in self.rows:
            self.put(CashOnHand(employee_id))
        found: CashOnHand = copy.deepcopy(self.rows[(employee_id,)])
        return self.loaded(found)


class FakeHandovers(InMemoryRepository[Any]):
    async def find(self, *key: Any, for_update: bool = False) -> CashHandover | None:
        found: CashHandover | None = await super().find(*key)
        if found is not None:
            payments = self._uow.table("payment").values()
            found.payment_ids = tuple(
                p.id
                for p in sorted(payments, key=lambda p: (p.date, p.id))
                if p.handover_id == found.id
            )
        return found


class FakeLedgers:
    def __init__(self, uow: FakeUnitOfWork, invoices: FakeInvoices, payments: FakePayments):
        self._invoices = invoices
        self._payments = payments
        self.allocations: dict[int, Allocation] = uow.table("allocation")
        self._written: dict[int, tuple[ClientLedger, int]] = {}

    async def load(self, client_id: str, extra_ids: Sequence[str] = ()) -> ClientLedger:
        ledger = ClientLedger(client_id)
        for i in list(self._invoices.rows.values()):
            if i.client_id == client_id and (i.open_amount != 0 or i.id in extra_ids):
                ledger.include(await self._invoices.get(i.id))
        for p in list(self._payments.rows.values()):
            if p.client_id == client_id and p.unallocated != 0:
                payment = await self._payments.get(p.id)
                payment.allocations = []  # the ledger reads payments without them
                ledger.include(payment)
        return ledger

    async def save(self, ledger: ClientLedger, now: datetime) -> None:
        for repository, documents in (
            (self._invoices, ledger.documents.values()),
            (self._payments, ledger.payments.values()),
        ):
            for document in documents:
                if repository.loaded_version(document) is None:
                    await repository.add(document)
                else:
                    await repository.save(document)
        _, written = self._written.get(id(ledger), (ledger, 0))
        for allocation in ledger.new_allocations[written:]:
            self.allocations[len(self.allocations)] = allocation
        self._written[id(ledger)] = (ledger, len(ledger.new_allocations))


class FakeReservations:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.rows: dict[str, Reservation] = uow.table("reservation")

    async def active_total(self, client_id: str, now: datetime, exclude_order: str = "") -> Decimal:
        return sum(
            (
                r.amount
                for r in self.rows.values()
                if r.client_id == client_id and r.active(now) and r.order_id != exclude_order
            ),
            ZERO,
        )

    async def put_many(self, reservations: Sequence[Reservation]) -> None:
        for r in reservations:
            self.rows[r.order_id] = dataclasses.replace(r)

    async def client_of(self, order_id: str) -> str | None:
        found = self.rows.get(order_id)
        return found.client_id if found is not None else None

    async def release(self, order_id: str) -> bool:
        return self.rows.pop(order_id, None) is not None

    async def release_many(self, order_ids: Sequence[str]) -> None:
        for order_id in order_ids:
            self.rows.pop(order_id, None)

    async def purge_expired(self, client_ids: Sequence[str], now: datetime) -> None:
        for order_id, r in list(self.rows.items()):
            if r.client_id in client_ids and not r.active(now):
                del self.rows[order_id]


class FakeCreditPositions:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow
        self.debts: dict[str, ClientDebt] = uow.table("credit_debt")  # seeded by the test

    async def read(
        self, client_ids: Sequence[str], order_ids: Sequence[str], as_of: date, now: datetime
    ) -> CreditPositions:
        clients, orders = set(client_ids), set(order_ids)
        reservations: dict[str, Reservation] = self._uow.table("reservation")
        others: dict[str, OtherReservations] = {}
        for r in reservations.values():
            if r.client_id in clients and r.order_id not in orders:
                o = others.get(r.client_id, OtherReservations())
                if r.active(now):
                    others[r.client_id] = OtherReservations(o.active + r.amount, o.expired)
                else:
                    others[r.client_id] = OtherReservations(o.active, o.expired + 1)
        invoices = self._uow.table("invoice").values()
        policies: dict[tuple[str], ClientPolicy] = self._uow.table("debt policy")
        company = policies.get(("",))
        return CreditPositions(
            debts={c: d for c, d in self.debts.items() if c in clients},
            others=others,
            held=[dataclasses.replace(r) for r in reservations.values() if r.order_id in orders],
            invoiced={o for o in orders if any(o in (i.order_id, i.id) for i in invoices)},
            policies={
                c: p.policy for (c,), p in policies.items() if c in clients and not p.cleared
            },
            company_policy=company.policy if company is not None and not company.cleared else None,
        )


class FakePolicies(InMemoryRepository[Any]):
    """Debt policies, cleared ones kept (in force nowhere), as the real ones."""

    async def find_with_company(
        self, client_id: str
    ) -> tuple[DebtPolicy | None, DebtPolicy | None]:
        own = self.rows.get((client_id,)) if client_id else None
        company = self.rows.get(("",))
        return (
            own.policy if own and not own.cleared else None,
            company.policy if company and not company.cleared else None,
        )


class FakeDeposits:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.rows: dict[str, Decimal] = uow.table("deposit")
        self.changed_by: dict[str, str] = uow.table("deposit changed by")

    async def get_many(self, types: Iterable[str]) -> dict[str, Decimal]:
        return {ct: self.rows.get(ct, ZERO) for ct in sorted(set(types))}

    async def set(
        self, container_type: str, deposit: Decimal, now: datetime, changed_by: str = ""
    ) -> None:
        self.rows[container_type] = deposit
        self.changed_by[container_type] = changed_by


class FakeTare(InMemoryRepository[Any]):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, "tare balance", key=("client_id", "container_type"))
        self.movements: dict[int, TareMovement] = uow.table("tare movement")

    async def balance(self, client_id: str, container_type: str) -> TareBalance:
        found: TareBalance | None = await self.find(client_id, container_type)
        return found if found is not None else new_balance(client_id, container_type)

    async def save(self, balance: TareBalance) -> None:
        if self.loaded_version(balance) is not None:
            await super().save(balance)
        elif balance.version:
            await self.add(balance)

    async def moved(self, document_id: str, container_type: str, direction: Direction) -> bool:
        return any(
            (m.document_id, m.container_type, m.direction)
            == (document_id, container_type, direction)
            for m in self.movements.values()
        )

    async def counted(self, document_id: str, container_type: str) -> bool:
        return any(
            (m.document_id, m.container_type) == (document_id, container_type)
            for m in self.movements.values()
        )

    async def movement(
        self, document_id: str, container_type: str, direction: Direction
    ) -> TareMovement | None:
        for m in self.movements.values():
            if (m.document_id, m.container_type, m.direction) == (
                document_id,
                container_type,
                direction,
            ):
                return copy.deepcopy(m)
        return None

    async def add_movement(self, m: TareMovement, now: datetime) -> None:
        m.id, m.created_at = len(self.movements) + 1, now
        self.movements[len(self.movements)] = copy.deepcopy(m)


class FakeNumbers:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.rows: dict[str, int] = uow.table("number")

    async def next(self, name: str) -> int:
        self.rows[name] = self.rows.get(name, 0) + 1
        return self.rows[name]


class FakeFeedReads:
    """The scope reads over what a test seeds: `routes` (route id → its agent and its
    clients' ids, all live) and `supervisors` (employee id → its supervisor's id)."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.routes: dict[str, tuple[str, set[str]]] = uow.table("feed route")
        self.supervisors: dict[str, str] = uow.table("feed employee")

    async def team(self, supervisor_id: str) -> set[str]:
        return {e for e, s in self.supervisors.items() if s == supervisor_id}

    async def route_agents(self, client_ids: Iterable[str]) -> dict[str, frozenset[str]]:
        wanted = set(client_ids)
        agents: dict[str, set[str]] = {}
        for agent, clients in self.routes.values():
            for c in clients & wanted:
                agents.setdefault(c, set()).add(agent)
        return {c: frozenset(a) for c, a in agents.items()}


class FakeSweeps:
    """The standings sweep's one state (what a company policy change starts over), kept in
    the fake's tables so that a rolled back transaction leaves it as it was."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._rows = uow.tables.setdefault("standing_sweep", {})

    @property
    def saved(self) -> StandingSweep:
        return dataclasses.replace(self._rows.get(1, StandingSweep()))

    @saved.setter
    def saved(self, sweep: StandingSweep) -> None:
        self._rows[1] = dataclasses.replace(sweep)

    async def lock(self) -> StandingSweep:
        return self.saved

    async def state(self) -> StandingSweep:
        return self.saved

    async def save(self, sweep: StandingSweep) -> None:
        self.saved = sweep


class FakeSettlementsUnitOfWork(FakeUnitOfWork):
    def _attach(self) -> None:
        self.accounts = FakeAccounts(self, "account", key=("client_id",))
        self.invoices = FakeInvoices(self, "invoice")
        self.payments = FakePayments(self, "payment")
        self.ledgers = FakeLedgers(self, self.invoices, self.payments)
        self.reservations = FakeReservations(self)
        self.credit_positions = FakeCreditPositions(self)
        self.policies = FakePolicies(self, "debt policy", key=("client_id",))
        self.deposits = FakeDeposits(self)
        self.tare = FakeTare(self)
        self.numbers = FakeNumbers(self)
        self.feed_reads = FakeFeedReads(self)
        self.sweeps = FakeSweeps(self)
        self.cash = FakeCash(self)
        self.handovers = FakeHandovers(self, "handover")
