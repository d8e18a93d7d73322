"""Repositories: rows ↔ domain objects, optimistic concurrency, the client account lock.

The versioned ones are the kit's (`fieldline_kit.repository`): they remember what they loaded
and at which version, write `WHERE … AND version = <loaded>` and raise Conflict when no row
matched; an aggregate they did not load is new and inserted. Every use case that moves a
client's debt first locks the client's account row (`lock()`: an `INSERT … ON CONFLICT DO
UPDATE … RETURNING` that creates it on first use and, on PostgreSQL, takes its row lock either
way; SQLite serialises writers with BEGIN IMMEDIATE), so checks and bookings of one client run
one after the other.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    Executable,
    Row,
    String,
    Table,
    and_,
    bindparam,
    case,
    cast,
    delete,
    false,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from fieldline_kit.db import utc
from fieldline_kit.errors import Conflict
from fieldline_kit.id_lists import id_list, id_rows, ids_value, in_ids
from fieldline_kit.repository import Repository, Versioned, VersionedRepository
from fieldline_kit.uow import UnitOfWork
from fieldline_settlements.adapters import orm
from fieldline_settlements.adapters.feed import FeedReads, FeedStore
from fieldline_settlements.domain.account import ClientAccount, Reservation
from fieldline_settlements.domain.cash import CashHandover, CashOnHand
from fieldline_settlements.domain.credit import ClientDebt, OtherReservations
from fieldline_settlements.domain.ledger import (
    Allocation,
    ClientLedger,
    CreditKind,
    Invoice,
    InvoiceSource,
    Payment,
    PaymentKind,
    PaymentSource,
)
from fieldline_settlements.domain.policy import ClientPolicy, DebtPolicy, PolicyMode, Stage
from fieldline_settlements.domain.tare import (
    Direction,
    DocumentKind,
    TareBalance,
    TareMovement,
    new_balance,
)
from fieldline_settlements.domain.values import ZERO

V = TypeVar("V", bound=Versioned)


def dialect_name(session: AsyncSession) -> str:
    return str(session.get_bind().dialect.name)


async def insert_ignore(session: AsyncSession, table: Table, values: dict[str, Any]) -> None:
    """INSERT … ON CONFLICT DO NOTHING (waits for a concurrent inserter on PostgreSQL)."""
    dialect_insert = postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert
    await session.execute(dialect_insert(table).values(**values).on_conflict_do_nothing())


_by_dialect: dict[tuple[str, str], Executable] = {}


def for_dialect(session: AsyncSession, name: str, build: Callable[[str], Executable]) -> Executable:
    """A statement built once per dialect (`build(dialect_name)`).

    Statements that differ per dialect (ON CONFLICT, id lists) are built once each, so their
    compiled form stays in SQLAlchemy's cache instead of constructing and keying a new
    statement on every call.
    """
    dialect = dialect_name(session)
    key = (dialect, name)
    stmt = _by_dialect.get(key)
    if stmt is None:
        stmt = _by_dialect[key] = build(dialect)
    return stmt


def per_dialect(session: AsyncSession, name: str, build: Callable[[Any], Executable]) -> Executable:
    """`for_dialect` for statements that only need the dialect's `insert` (`build(insert)`)."""
    return for_dialect(
        session,
        name,
        lambda dialect: build(postgresql.insert if dialect == "postgresql" else sqlite.insert),
    )


def _lock_account(dialect_insert: Any) -> Executable:
    t = orm.client_accounts
    stmt = dialect_insert(t).values(
        client_id=bindparam("client_id"),
        credit_limit=None,
        payment_terms_days=bindparam("payment_terms_days"),
        version=0,
        updated_at=bindparam("updated_at"),
    )
    # The no-op update takes the row lock whether the row was just created or already there.
    return stmt.on_conflict_do_update(
        index_elements=[t.c.client_id], set_={"client_id": stmt.excluded.client_id}
    ).returning(*t.c)


def _lock_accounts(dialect: str) -> Executable:
    """`_lock_account` for a list of clients (`clients`, in client id order) in one statement
    whose text does not depend on their number: INSERT … SELECT <the ids> ON CONFLICT DO
    UPDATE … RETURNING. PostgreSQL inserts (and so locks) the rows in the order of the SELECT,
    which is the list's (`ORDER BY` its ordinality)."""
    t = orm.client_accounts
    client_id, place = id_rows(id_list("clients", dialect), dialect)
    rows = select(
        client_id,
        cast(null(), t.c.credit_limit.type),
        bindparam("payment_terms_days", type_=t.c.payment_terms_days.type),
        literal_column("0"),
        bindparam("updated_at", type_=t.c.updated_at.type),
    )
    # PostgreSQL: in the list's order. SQLite needs a WHERE to tell the SELECT's end from the
    # ON CONFLICT clause.
    rows = rows.order_by(place) if place is not None else rows.where(true())
    dialect_insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = dialect_insert(t).from_select(
        ["client_id", "credit_limit", "payment_terms_days", "version", "updated_at"], rows
    )
    return stmt.on_conflict_do_update(
        index_elements=[t.c.client_id], set_={"client_id": stmt.excluded.client_id}
    ).returning(*t.c)


def _accounts_in(dialect: str) -> Executable:
    t = orm.client_accounts
    return select(t).where(in_ids(t.c.client_id, id_list("clients", dialect), dialect))


# The columns of a reservation row, in the order `_put_reservations` takes them.
RESERVATION_COLUMNS = ("order_id", "client_id", "amount", "stage", "created_at", "expires_at")


_binds: dict[str, list[Callable[[Any], Any] | None]] = {}


def _reservation_binds(dialect: Dialect) -> list[Callable[[Any], Any] | None]:
    """The bind processors of the reservation columns on this dialect (None: as is)."""
    found = _binds.get(dialect.name)
    if found is None:
        t = orm.credit_reservations
        found = _binds[dialect.name] = [
            t.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in RESERVATION_COLUMNS
        ]
    return found


def _put_reservations(dialect: str) -> Executable:
    """Upsert reservations (one per order id) given as whole columns, in one statement whose
    text does not depend on their number: INSERT … SELECT <the rows> ON CONFLICT (order_id)
    DO UPDATE. On PostgreSQL the rows are `unnest` of one array per column; on SQLite one JSON
    array of rows, each value already in its stored form (see `put_many`), read with
    `json_each` (a multi-row VALUES costs SQLAlchemy a parameter set per row to build)."""
    t = orm.credit_reservations
    dialect_insert: Any
    if dialect == "postgresql":
        dialect_insert = postgresql.insert
        arrays = [
            bindparam(name, type_=postgresql.ARRAY(t.c[name].type)) for name in RESERVATION_COLUMNS
        ]
        given = func.unnest(*arrays).table_valued(*RESERVATION_COLUMNS).render_derived()
        rows = select(*(given.c[name] for name in RESERVATION_COLUMNS))
    else:
        dialect_insert = sqlite.insert
        given = func.json_each(bindparam("rows", type_=String())).table_valued("value")
        rows = select(
            *(
                func.json_extract(given.c.value, literal_column(f"'$[{i}]'"))
                for i in range(len(RESERVATION_COLUMNS))
            )
        ).where(true())  # SQLite: the SELECT's end before ON CONFLICT
    stmt = dialect_insert(t).from_select(list(RESERVATION_COLUMNS), rows)
    return stmt.on_conflict_do_update(
        index_elements=[t.c.order_id],
        set_={name: stmt.excluded[name] for name in RESERVATION_COLUMNS if name != "order_id"},
    )


# ----------------------------------------------------------------------------- row mapping
def invoice_from(row: Any) -> Invoice:
    return Invoice(
        id=row.id,
        number=row.number,
        client_id=row.client_id,
        outlet_id=row.outlet_id,
        order_id=row.order_id,
        source=InvoiceSource(row.source),
        issue_date=row.issue_date,
        due_date=row.due_date,
        amount=row.amount,
        open_amount=row.open_amount,
        created_at=utc(row.created_at),
        version=row.version,
        distributor_id=row.distributor_id,
    )


def allocation_from(row: Any) -> Allocation:
    return Allocation(CreditKind(row.source_kind), row.source_id, row.invoice_id, row.amount)


def payment_from(row: Any, allocations: Iterable[Allocation] = ()) -> Payment:
    return Payment(
        id=row.id,
        kind=PaymentKind(row.kind),
        client_id=row.client_id,
        outlet_id=row.outlet_id,
        date=row.date,
        amount=row.amount,
        receipt_number=row.receipt_number,
        collected_by=row.collected_by,
        unallocated=row.unallocated,
        created_at=utc(row.created_at),
        recorded_by=row.recorded_by,
        source=PaymentSource(row.source),
        visit_id=row.visit_id,
        handover_id=row.handover_id,
        allocations=list(allocations),
        version=row.version,
    )


def account_from(row: Any) -> ClientAccount:
    return ClientAccount(
        client_id=row.client_id,
        credit_limit=row.credit_limit,
        payment_terms_days=row.payment_terms_days,
        version=row.version,
        updated_at=utc(row.updated_at),
        changed_by=row.changed_by,
        standing=row.standing,
        standing_version=row.standing_version,
    )


def policy_from(row: Any) -> DebtPolicy:
    return DebtPolicy(
        client_id=row.client_id,
        mode=PolicyMode(row.mode),
        check_credit_limit=row.check_credit_limit,
        max_overdue_days=row.max_overdue_days,
        stages=tuple(Stage(s) for s in row.stages),
        override_roles=tuple(row.override_roles),
    )


def tare_from(row: Any) -> TareBalance:
    return TareBalance(row.client_id, row.container_type, row.issued, row.returned, row.version)


# -------------------------------------------------------------------- shared read helpers
async def load_ledger(
    session: AsyncSession, client_id: str, extra_ids: Sequence[str] = ()
) -> ClientLedger:
    """Every open document of a client (plus `extra_ids`, open or not)."""
    t, p = orm.invoices, orm.payments
    cond = t.c.open_amount != 0
    if extra_ids:
        cond = or_(cond, t.c.id.in_(list(extra_ids)))
    rows = (await session.execute(select(t).where(t.c.client_id == client_id, cond))).all()
    ledger = ClientLedger(client_id)
    for row in rows:
        ledger.include(invoice_from(row))
    for row in (
        await session.execute(select(p).where(p.c.client_id == client_id, p.c.unallocated != 0))
    ).all():
        payment = payment_from(row)
        ledger.payments[payment.id] = payment
    return ledger


async def reserved_total(
    session: AsyncSession, client_id: str, now: datetime, exclude_order: str = ""
) -> Decimal:
    t = orm.credit_reservations
    stmt = select(func.sum(t.c.amount)).where(t.c.client_id == client_id, t.c.expires_at > now)
    if exclude_order:
        stmt = stmt.where(t.c.order_id != exclude_order)
    total = await session.scalar(stmt)
    return total if total is not None else ZERO


@dataclass(frozen=True)
class CreditPositions:
    """What a batch of credit checks reads about its clients and orders (one statement)."""

    debts: dict[str, ClientDebt]
    # Per client: its reservations of orders outside the batch (Σ active, number expired).
    others: dict[str, OtherReservations]
    # The reservations of the batch's orders (of whichever client; active or not).
    held: list[Reservation]
    # The batch's orders that have an invoice (booked for the order, or under its id).
    invoiced: set[str]
    # The clients' own debt policies (those that have one).
    policies: dict[str, DebtPolicy] = field(default_factory=dict)
    # The company's stored policy (None: the configured one applies).
    company_policy: DebtPolicy | None = None


def _credit_positions_statement(dialect: str) -> Executable:
    """One UNION ALL over the batch's clients (`clients`) and orders (`orders`), both
    `id_list`s; each row says what it is in `kind`:

    * `d`: a client's open documents (the rows `load_ledger` reads) summed per due date for
      the invoices overdue as of `as_of` (the batch's latest day), and in one row for the rest:
      Σ open amount, number of open invoices (`n`), the due date (`day`, NULL for the rest);
    * `p`: Σ a client's unallocated payments;
    * `r`: a client's reservations of other orders than the batch's: Σ active, `n` expired;
    * `o`: a reservation of one of the batch's orders (whichever client holds it);
    * `i`: one of the batch's orders has an invoice (booked for it, or under its id);
    * `c`: a client's own debt policy, or the company's (client id ''): `mode`, `check_limit`,
      `stages`, `roles` and, in `n`, the maximum overdue days.
    """
    inv, pay, res, pol = orm.invoices, orm.payments, orm.credit_reservations, orm.debt_policies
    clients = id_list("clients", dialect)
    orders = id_list("orders", dialect)
    now = bindparam("now", type_=res.c.expires_at.type)
    as_of = bindparam("as_of", type_=inv.c.due_date.type)
    no_id = cast(null(), orm.Id)
    no_day = cast(null(), inv.c.due_date.type)
    no_amount = cast(null(), inv.c.amount.type)
    no_time = cast(null(), res.c.expires_at.type)
    no_stage = cast(null(), res.c.stage.type)
    no_mode = cast(null(), pol.c.mode.type)
    no_flag = cast(null(), Boolean)
    no_list = cast(null(), JSON)
    zero: ColumnElement[int] = literal_column("0")
    # The columns of the policy rows, NULL in the others.
    no_policy = (no_mode, no_flag, no_list, no_list)
    open_docs = (
        select(
            inv.c.client_id,
            case((and_(inv.c.open_amount > 0, inv.c.due_date < as_of), inv.c.due_date)).label(
                "day"
            ),
            inv.c.open_amount,
        )
        .where(in_ids(inv.c.client_id, clients, dialect), inv.c.open_amount != 0)
        .subquery("open_docs")
    )
    documents = select(
        literal_column("'d'").label("kind"),
        open_docs.c.client_id,
        no_id.label("order_id"),
        open_docs.c.day,
        func.sum(open_docs.c.open_amount).label("amount"),
        func.count(case((open_docs.c.open_amount > 0, 1))).label("n"),
        no_stage.label("stage"),
        no_time.label("created_at"),
        no_time.label("expires_at"),
        no_mode.label("mode"),
        no_flag.label("check_limit"),
        no_list.label("stages"),
        no_list.label("roles"),
    ).group_by(open_docs.c.client_id, open_docs.c.day)
    credits = (
        select(
            literal_column("'p'"),
            pay.c.client_id,
            no_id,
            no_day,
            func.sum(pay.c.unallocated),
            zero,
            no_stage,
            no_time,
            no_time,
            *no_policy,
        )
        .where(in_ids(pay.c.client_id, clients, dialect), pay.c.unallocated != 0)
        .group_by(pay.c.client_id)
    )
    other_reservations = (
        select(
            literal_column("'r'"),
            res.c.client_id,
            no_id,
            no_day,
            func.sum(case((res.c.expires_at > now, res.c.amount))),
            func.count(case((res.c.expires_at <= now, 1))),
            no_stage,
            no_time,
            no_time,
            *no_policy,
        )
        .where(
            in_ids(res.c.client_id, clients, dialect),
            in_ids(res.c.order_id, orders, dialect, negate=True),
        )
        .group_by(res.c.client_id)
    )
    held = select(
        literal_column("'o'"),
        res.c.client_id,
        res.c.order_id,
        no_day,
        res.c.amount,
        zero,
        res.c.stage,
        res.c.created_at,
        res.c.expires_at,
        *no_policy,
    ).where(in_ids(res.c.order_id, orders, dialect))

    def invoiced(key: Any) -> Any:
        """Invoices whose `key` (the order id, or the invoice's own id) is one of the orders."""
        return select(
            literal_column("'i'"),
            no_id,
            key,
            no_day,
            no_amount,
            zero,
            no_stage,
            no_time,
            no_time,
            *no_policy,
        ).where(in_ids(key, orders, dialect))

    invoiced_for, invoiced_as = invoiced(inv.c.order_id), invoiced(inv.c.id)
    policies = select(
        literal_column("'c'"),
        pol.c.client_id,
        no_id,
        no_day,
        no_amount,
        pol.c.max_overdue_days,
        no_stage,
        no_time,
        no_time,
        pol.c.mode,
        pol.c.check_credit_limit,
        pol.c.stages,
        pol.c.override_roles,
    ).where(
        or_(in_ids(pol.c.client_id, clients, dialect), pol.c.client_id == ""),
        pol.c.cleared.is_(false()),
    )
    return union_all(
        documents, credits, other_reservations, held, invoiced_for, invoiced_as, policies
    )


async def credit_positions(
    session: AsyncSession,
    client_ids: Sequence[str],
    order_ids: Sequence[str],
    as_of: date,
    now: datetime,
) -> CreditPositions:
    """The position of every client and order of a batch of checks (`as_of`: the latest
    day any of them is judged as of), and the clients' debt policies and the company's."""
    stmt = for_dialect(session, "credit_positions", _credit_positions_statement)
    rows = (
        await session.execute(
            stmt,
            {
                "clients": ids_value(session, client_ids),
                "orders": ids_value(session, order_ids),
                "as_of": as_of,
                "now": now,
            },
        )
    ).all()
    documents: dict[str, list[Any]] = {}
    unallocated: dict[str, Decimal] = {}
    others: dict[str, OtherReservations] = {}
    held: list[Reservation] = []
    invoiced: set[str] = set()
    policies: dict[str, DebtPolicy] = {}
    company: DebtPolicy | None = None
    for row in rows:
        kind, client_id, order_id, day, value, n, stage, created_at, expires_at = row[:9]
        if kind == "d":
            documents.setdefault(client_id, []).append((day, value, n))
        elif kind == "p":
            unallocated[client_id] = value
        elif kind == "r":
            others[client_id] = OtherReservations(value or ZERO, int(n))
        elif kind == "o":
            held.append(
                Reservation(order_id, client_id, value, stage, utc(created_at), utc(expires_at))
            )
        elif kind == "i":
            invoiced.add(order_id)
        else:
            mode, check_limit, stages, roles = row[9:]
            policy = DebtPolicy(
                client_id=client_id,
                mode=PolicyMode(mode),
                check_credit_limit=bool(check_limit),
                max_overdue_days=int(n),
                stages=tuple(Stage(s) for s in stages),
                override_roles=tuple(roles),
            )
            if client_id:
                policies[client_id] = policy
            else:
                company = policy
    debts = {}
    for client_id in documents.keys() | unallocated.keys():
        groups = documents.get(client_id, [])
        debts[client_id] = ClientDebt(
            open_total=sum((value for _, value, _ in groups), ZERO),
            open_invoices=sum(int(n) for _, _, n in groups),
            unallocated=unallocated.get(client_id, ZERO),
            overdue_by_due=tuple((day, value) for day, value, _ in groups if day is not None),
        )
    return CreditPositions(debts, others, held, invoiced, policies, company)


async def deposits(session: AsyncSession, types: Iterable[str]) -> dict[str, Decimal]:
    t = orm.container_deposits
    wanted = sorted(set(types))
    if not wanted:
        return {}
    rows = (await session.execute(select(t).where(t.c.container_type.in_(wanted)))).all()
    found = {r.container_type: r.deposit for r in rows}
    return {ct: found.get(ct, ZERO) for ct in wanted}


# ---------------------------------------------------------------------------- repositories
class AccountRepository(VersionedRepository[ClientAccount]):
    """Client accounts, created on first use by `lock`.

    `lock` is an upsert: the row it returns is one this transaction has just written, so the
    account is remembered as saved (its events are tracked when `save` writes it).

    The credit standing kept on the account (`standing`, `standing_version`) is written by
    `save_standings` alone, under the account's lock, when its version moved; `save` writes
    the rest (the limit, the terms, the debt's version).
    """

    table = orm.client_accounts
    entity = "account"
    key = ("client_id",)

    def __init__(self, uow: UnitOfWork) -> None:
        super().__init__(uow)
        self._stood: dict[str, int] = {}  # client id → the standing version read

    def to_row(self, account: ClientAccount) -> dict[str, Any]:
        return {
            "client_id": account.client_id,
            "credit_limit": account.credit_limit,
            "payment_terms_days": account.payment_terms_days,
            "version": account.version,
            "updated_at": account.updated_at,
            "changed_by": account.changed_by,
        }

    def from_row(self, row: Row[Any]) -> ClientAccount:
        account = account_from(row)
        self._stood[account.client_id] = account.standing_version
        return account

    async def save_standings(self, accounts: Iterable[ClientAccount]) -> None:
        """Write the standing of each account (locked by this transaction) whose standing
        version moved since it was read, and publish its events."""
        t = orm.client_accounts
        for account in accounts:
            read = self._stood.get(account.client_id)
            if read is None:
                raise RuntimeError(f"account {account.client_id} judged without being read")
            if read == account.standing_version:
                continue
            result = await self.session.execute(
                update(t)
                .where(t.c.client_id == account.client_id, t.c.standing_version == read)
                .values(standing=account.standing, standing_version=account.standing_version)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict(
                    f"account {account.client_id} was judged concurrently; reload and retry"
                )
            self._stood[account.client_id] = account.standing_version
            self.track(account)

    async def lock(self, client_id: str, default_terms_days: int, now: datetime) -> ClientAccount:
        """The client's account, created on first use, locked until the transaction ends.

        One statement: INSERT … ON CONFLICT (client_id) DO UPDATE (a no-op) … RETURNING, which
        on PostgreSQL takes the row lock whether it inserts or finds the row (and waits for a
        concurrent first insert); SQLite serialises writers anyway (BEGIN IMMEDIATE).
        """
        stmt = per_dialect(self.session, "lock_account", _lock_account)
        row = (
            await self.session.execute(
                stmt,
                {
                    "client_id": client_id,
                    "payment_terms_days": default_terms_days,
                    "updated_at": now,
                },
            )
        ).one()
        account = self.from_row(row)
        self.saved(account)
        return account

    async def find_many(self, client_ids: Sequence[str]) -> dict[str, ClientAccount]:
        """The accounts of those clients that have one (one statement; not locked)."""
        if not client_ids:
            return {}
        stmt = for_dialect(self.session, "accounts_in", _accounts_in)
        rows = await self.session.execute(
            stmt, {"clients": ids_value(self.session, sorted(set(client_ids)))}
        )
        return {row.client_id: self.loaded(self.from_row(row)) for row in rows}

    async def lock_many(
        self, client_ids: Sequence[str], default_terms_days: int, now: datetime
    ) -> dict[str, ClientAccount]:
        """The accounts of several clients, created on first use, locked until the end.

        One statement, the same upsert as `lock` with a row per client (`_lock_accounts`: one
        INSERT … SELECT … ON CONFLICT DO UPDATE … RETURNING). The rows go in client id order,
        which is the order PostgreSQL locks them in: two transactions locking overlapping sets
        of clients this way wait for each other instead of deadlocking.
        """
        if not client_ids:
            return {}
        stmt = for_dialect(self.session, "lock_accounts", _lock_accounts)
        rows = await self.session.execute(
            stmt,
            {
                "clients": ids_value(self.session, sorted(set(client_ids))),
                "payment_terms_days": default_terms_days,
                "updated_at": now,
            },
        )
        accounts = {}
        for row in rows:
            account = accounts[row.client_id] = self.from_row(row)
            self.saved(account)
        return accounts


class InvoiceRepository(VersionedRepository[Invoice]):
    table = orm.invoices
    entity = "invoice"

    def to_row(self, i: Invoice) -> dict[str, Any]:
        return {
            "id": i.id,
            "number": i.number,
            "client_id": i.client_id,
            "outlet_id": i.outlet_id,
            "order_id": i.order_id,
            "source": i.source.value,
            "issue_date": i.issue_date,
            "due_date": i.due_date,
            "amount": i.amount,
            "open_amount": i.open_amount,
            "version": i.version,
            "created_at": i.created_at,
            "distributor_id": i.distributor_id,
        }

    def from_row(self, row: Row[Any]) -> Invoice:
        return invoice_from(row)

    async def ids_for_order(self, order_id: str) -> list[str]:
        """Invoices (not credit notes) booked for an order, oldest first."""
        t = orm.invoices
        rows = await self.session.execute(
            select(t.c.id)
            .where(t.c.order_id == order_id, t.c.amount > 0)
            .order_by(t.c.issue_date, t.c.id)
        )
        return [r.id for r in rows]

    async def exists_for_order(self, order_id: str) -> bool:
        t = orm.invoices
        found = await self.session.scalar(
            select(t.c.id).where(or_(t.c.order_id == order_id, t.c.id == order_id)).limit(1)
        )
        return found is not None


class PaymentRepository(VersionedRepository[Payment]):
    table = orm.payments
    entity = "payment"

    def to_row(self, p: Payment) -> dict[str, Any]:
        return {
            "id": p.id,
            "kind": p.kind.value,
            "client_id": p.client_id,
            "outlet_id": p.outlet_id,
            "date": p.date,
            "amount": p.amount,
            "unallocated": p.unallocated,
            "receipt_number": p.receipt_number,
            "collected_by": p.collected_by,
            "version": p.version,
            "created_at": p.created_at,
            "recorded_by": p.recorded_by,
            "source": p.source.value,
            "visit_id": p.visit_id,
            "handover_id": p.handover_id,
        }

    def from_row(self, row: Row[Any]) -> Payment:
        return payment_from(row)

    async def find_many(self, ids: Sequence[str]) -> dict[str, Payment]:
        """The payments with these ids that exist, by id (without their allocations; not
        remembered for `save`: read to be judged, not changed)."""
        if not ids:
            return {}
        t = orm.payments
        rows = await self.session.execute(select(t).where(t.c.id.in_(sorted(set(ids)))))
        return {r.id: payment_from(r) for r in rows}

    async def on_hand(self, employee_id: str) -> list[Payment]:
        """The cash payments `employee_id` collected that no handover covers, by date, id."""
        t = orm.payments
        rows = await self.session.execute(
            select(t)
            .where(
                t.c.collected_by == employee_id,
                t.c.kind == PaymentKind.CASH.value,
                t.c.handover_id == "",
            )
            .order_by(t.c.date, t.c.id)
        )
        return [payment_from(r) for r in rows]

    async def hand_over(self, payment_ids: Sequence[str], handover_id: str) -> None:
        """Mark the payments covered by the handover: `UPDATE … WHERE handover_id = ''`, so a
        payment is covered once; a payment another handover took meanwhile is Conflict (the
        transaction is then rolled back whole)."""
        t = orm.payments
        for start in range(0, len(payment_ids), 1000):
            chunk = sorted(payment_ids[start : start + 1000])
            result = await self.session.execute(
                update(t)
                .where(t.c.id.in_(chunk), t.c.handover_id == "")
                .values(handover_id=handover_id)
            )
            if result.rowcount != len(chunk):  # type: ignore[attr-defined]
                raise Conflict(
                    "handover.payment_ids: a payment was handed over by another handover "
                    "meanwhile; read the cash on hand again"
                )

    async def find(self, *key: Any, for_update: bool = False) -> Payment | None:
        """The payment with all its allocations."""
        payment = await super().find(*key, for_update=for_update)
        if payment is not None:
            a = orm.allocations
            rows = await self.session.execute(
                select(a)
                .where(a.c.source_id == payment.id, a.c.source_kind == CreditKind.PAYMENT.value)
                .order_by(a.c.id)
            )
            payment.allocations = [allocation_from(r) for r in rows]
        return payment


def _lock_cash(dialect_insert: Any) -> Executable:
    t = orm.cash_on_hand
    stmt = dialect_insert(t).values(
        employee_id=bindparam("employee_id"),
        total=0,
        version=0,
        updated_at=bindparam("updated_at"),
    )
    return stmt.on_conflict_do_update(
        index_elements=[t.c.employee_id], set_={"employee_id": stmt.excluded.employee_id}
    ).returning(*t.c)


class CashOnHandRepository(VersionedRepository[CashOnHand]):
    """Employees' cash on hand, created on first use by `lock` (as the client accounts are):
    every cash payment and handover of an employee locks its row first."""

    table = orm.cash_on_hand
    entity = "cash on hand"
    key = ("employee_id",)

    def to_row(self, cash: CashOnHand) -> dict[str, Any]:
        return {
            "employee_id": cash.employee_id,
            "total": cash.total,
            "version": cash.version,
            "updated_at": self._uow.clock(),
        }

    def from_row(self, row: Row[Any]) -> CashOnHand:
        return CashOnHand(row.employee_id, row.total, row.version)

    async def lock(self, employee_id: str, now: datetime) -> CashOnHand:
        """The employee's cash on hand, created on first use, locked until the transaction
        ends (INSERT … ON CONFLICT DO UPDATE … RETURNING, as `AccountRepository.lock`)."""
        stmt = per_dialect(self.session, "lock_cash", _lock_cash)
        row = (
            await self.session.execute(stmt, {"employee_id": employee_id, "updated_at": now})
        ).one()
        return self.loaded(self.from_row(row))


class HandoverRepository(VersionedRepository[CashHandover]):
    """Cash handovers; their payments are those whose `handover_id` names them."""

    table = orm.cash_handovers
    entity = "handover"

    def to_row(self, h: CashHandover) -> dict[str, Any]:
        return {
            "id": h.id,
            "employee_id": h.employee_id,
            "date": h.date,
            "counted": h.counted,
            "expected": h.expected,
            "received_by": h.received_by,
            "version": h.version,
            "created_at": h.created_at,
        }

    def from_row(self, row: Row[Any]) -> CashHandover:
        return handover_from(row, ())

    async def find(self, *key: Any, for_update: bool = False) -> CashHandover | None:
        """The handover with its payments."""
        found = await super().find(*key, for_update=for_update)
        if found is not None:
            covered = await handover_payments(self.session, [found.id])
            found.payment_ids = covered.get(found.id, ())
        return found


def handover_from(row: Any, payment_ids: Sequence[str]) -> CashHandover:
    return CashHandover(
        id=row.id,
        employee_id=row.employee_id,
        date=row.date,
        counted=row.counted,
        payment_ids=tuple(payment_ids),
        expected=row.expected,
        received_by=row.received_by,
        created_at=utc(row.created_at),
        version=row.version,
    )


async def handover_payments(
    session: AsyncSession, handover_ids: Sequence[str]
) -> dict[str, tuple[str, ...]]:
    """The payments each handover covers (by date, id), in one statement."""
    if not handover_ids:
        return {}
    t = orm.payments
    rows = await session.execute(
        select(t.c.handover_id, t.c.id)
        .where(t.c.handover_id.in_(sorted(set(handover_ids))))
        .order_by(t.c.handover_id, t.c.date, t.c.id)
    )
    found: dict[str, list[str]] = {}
    for r in rows:
        found.setdefault(r.handover_id, []).append(r.id)
    return {h: tuple(ids) for h, ids in found.items()}


class LedgerRepository(Repository):
    """A client's ledger: its open invoices and payments, each remembered by its own
    repository, and the allocations of a booking."""

    def __init__(
        self, uow: UnitOfWork, invoices: InvoiceRepository, payments: PaymentRepository
    ) -> None:
        super().__init__(uow)
        self._invoices = invoices
        self._payments = payments
        # The allocations of each ledger saved so far, by id() (the ledger kept with it, so
        # the id stays its own): a second save writes only the ones made since.
        self._written: dict[int, tuple[ClientLedger, int]] = {}

    async def load(self, client_id: str, extra_ids: Sequence[str] = ()) -> ClientLedger:
        ledger = await load_ledger(self.session, client_id, extra_ids)
        for invoice in ledger.documents.values():
            self._invoices.loaded(invoice)
        for payment in ledger.payments.values():
            self._payments.loaded(payment)
        return ledger

    async def save(self, ledger: ClientLedger, now: datetime) -> None:
        """The booking's new documents inserted, the changed ones updated, its allocations
        written."""
        for invoice in ledger.documents.values():
            await _put(self._invoices, invoice, open_amount=invoice.open_amount)
        for payment in ledger.payments.values():
            await _put(self._payments, payment, unallocated=payment.unallocated)
        _, written = self._written.get(id(ledger), (ledger, 0))
        if len(ledger.new_allocations) > written:
            await self.session.execute(
                insert(orm.allocations),
                [
                    {
                        "source_kind": a.source_kind.value,
                        "source_id": a.source_id,
                        "invoice_id": a.invoice_id,
                        "amount": a.amount,
                        "created_at": now,
                    }
                    for a in ledger.new_allocations[written:]
                ],
            )
        self._written[id(ledger)] = (ledger, len(ledger.new_allocations))


async def _put(repository: VersionedRepository[V], document: V, **changed: Any) -> None:
    """Insert a document the repository did not load; else, if a booking changed it, write
    what a booking changes (and the version)."""
    if repository.loaded_version(document) is None:
        await repository.add(document)
    elif await repository.update_row(document, {**changed, "version": document.version}):
        repository.saved(document)


class ReservationRepository(Repository):
    async def active_total(self, client_id: str, now: datetime, exclude_order: str = "") -> Decimal:
        return await reserved_total(self.session, client_id, now, exclude_order)

    async def put_many(self, reservations: Sequence[Reservation]) -> None:
        """Put each order's reservation in place of any it had (one upsert for all, in order
        id order; one reservation per order id)."""
        if not reservations:
            return
        stmt = for_dialect(self.session, "put_reservations", _put_reservations)
        ordered = sorted(reservations, key=lambda r: r.order_id)
        columns: tuple[list[Any], ...] = (
            [r.order_id for r in ordered],
            [r.client_id for r in ordered],
            [r.amount for r in ordered],
            [r.stage for r in ordered],
            [r.created_at for r in ordered],
            [r.expires_at for r in ordered],
        )
        dialect = self.session.get_bind().dialect
        if dialect.name == "postgresql":
            await self.session.execute(stmt, dict(zip(RESERVATION_COLUMNS, columns, strict=True)))
            return
        # SQLite: each value as the column's type binds it (amounts in integer kopecks, times
        # in SQLAlchemy's text form), so the rows are stored exactly as a plain INSERT would.
        stored: list[list[Any]] = []
        for bind, values in zip(_reservation_binds(dialect), columns, strict=True):
            stored.append(values if bind is None else [bind(v) for v in values])
        await self.session.execute(stmt, {"rows": json.dumps(list(zip(*stored, strict=True)))})

    async def client_of(self, order_id: str) -> str | None:
        """The client of the order's reservation (None: the order holds none)."""
        t = orm.credit_reservations
        found = await self.session.scalar(select(t.c.client_id).where(t.c.order_id == order_id))
        return str(found) if found is not None else None

    async def release(self, order_id: str) -> bool:
        t = orm.credit_reservations
        result = await self.session.execute(delete(t).where(t.c.order_id == order_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def release_many(self, order_ids: Sequence[str]) -> None:
        if not order_ids:
            return
        stmt = for_dialect(self.session, "release_orders", _release_orders)
        await self.session.execute(stmt, {"orders": ids_value(self.session, sorted(order_ids))})

    async def purge_expired(self, client_ids: Sequence[str], now: datetime) -> None:
        """Delete the expired reservations of these clients."""
        if not client_ids:
            return
        stmt = for_dialect(self.session, "purge_expired", _purge_expired)
        await self.session.execute(
            stmt, {"clients": ids_value(self.session, sorted(client_ids)), "now": now}
        )


class CreditPositionReader(Repository):
    """The port the credit checks read through: what a batch of checks needs about its
    clients and orders, across invoices, payments, reservations and policies."""

    async def read(
        self, client_ids: Sequence[str], order_ids: Sequence[str], as_of: date, now: datetime
    ) -> CreditPositions:
        return await credit_positions(self.session, client_ids, order_ids, as_of, now)


def _release_orders(dialect: str) -> Executable:
    t = orm.credit_reservations
    return delete(t).where(in_ids(t.c.order_id, id_list("orders", dialect), dialect))


def _purge_expired(dialect: str) -> Executable:
    t = orm.credit_reservations
    return delete(t).where(
        in_ids(t.c.client_id, id_list("clients", dialect), dialect),
        t.c.expires_at <= bindparam("now", type_=t.c.expires_at.type),
    )


POLICIES_IN = select(orm.debt_policies).where(
    orm.debt_policies.c.client_id.in_(bindparam("ids", expanding=True)),
    orm.debt_policies.c.cleared.is_(false()),
)


class PolicyRepository(VersionedRepository[ClientPolicy]):
    """Debt policies, by client id ('' for the company's), cleared ones included (`find`); a
    cleared one is in force nowhere (`find_with_company`, the credit positions). A policy
    row's `updated_at` is when this unit of work wrote it."""

    table = orm.debt_policies
    entity = "debt policy"
    key = ("client_id",)

    def to_row(self, stored: ClientPolicy) -> dict[str, Any]:
        p = stored.policy
        return {
            "client_id": p.client_id,
            "mode": p.mode.value,
            "check_credit_limit": p.check_credit_limit,
            "max_overdue_days": p.max_overdue_days,
            "stages": [s.value for s in p.stages],
            "override_roles": list(p.override_roles),
            "version": stored.version,
            "updated_at": self._uow.clock(),
            "changed_by": stored.changed_by,
            "cleared": stored.cleared,
        }

    def from_row(self, row: Row[Any]) -> ClientPolicy:
        return ClientPolicy(policy_from(row), row.version, row.changed_by, row.cleared)

    async def find_with_company(
        self, client_id: str
    ) -> tuple[DebtPolicy | None, DebtPolicy | None]:
        """The client's own policy and the company's (client_id ''), those in force, in one
        query."""
        rows = (await self.session.execute(POLICIES_IN, {"ids": [client_id, ""]})).all()
        found = {row.client_id: policy_from(row) for row in rows}
        return (found.get(client_id) if client_id else None), found.get("")


class DepositRepository(Repository):
    async def get_many(self, types: Iterable[str]) -> dict[str, Decimal]:
        return await deposits(self.session, types)

    async def set(
        self, container_type: str, deposit: Decimal, now: datetime, changed_by: str = ""
    ) -> None:
        t = orm.container_deposits
        values = {"deposit": deposit, "updated_at": now, "changed_by": changed_by}
        await insert_ignore(self.session, t, {"container_type": container_type, **values})
        await self.session.execute(
            update(t).where(t.c.container_type == container_type).values(**values)
        )


class TareRepository(VersionedRepository[TareBalance]):
    """Tare balances per client and container type, and their movements. A balance row's
    `updated_at` is when this unit of work wrote it."""

    table = orm.tare_balances
    entity = "tare balance"
    key = ("client_id", "container_type")

    def to_row(self, balance: TareBalance) -> dict[str, Any]:
        return {
            "client_id": balance.client_id,
            "container_type": balance.container_type,
            "issued": balance.issued,
            "returned": balance.returned,
            "version": balance.version,
            "updated_at": self._uow.clock(),
        }

    def from_row(self, row: Row[Any]) -> TareBalance:
        return tare_from(row)

    async def balance(self, client_id: str, container_type: str) -> TareBalance:
        """The client's balance of a container type; a new one (version 0) if none moved."""
        found = await self.find(client_id, container_type)
        return found if found is not None else new_balance(client_id, container_type)

    async def save(self, balance: TareBalance) -> None:
        """Insert a balance this repository did not load once it moved (version 1), else
        write it if it changed."""
        if self.loaded_version(balance) is not None:
            await super().save(balance)
        elif balance.version:
            await self.add(balance)

    async def moved(self, document_id: str, container_type: str, direction: Direction) -> bool:
        t = orm.tare_movements
        found = await self.session.scalar(
            select(t.c.id).where(
                t.c.document_id == document_id,
                t.c.container_type == container_type,
                t.c.direction == direction.value,
            )
        )
        return found is not None

    async def counted(self, document_id: str, container_type: str) -> bool:
        """Whether the document moved (or counted) the container type, in any direction."""
        t = orm.tare_movements
        found = await self.session.scalar(
            select(t.c.id)
            .where(t.c.document_id == document_id, t.c.container_type == container_type)
            .limit(1)
        )
        return found is not None

    async def movement(
        self, document_id: str, container_type: str, direction: Direction
    ) -> TareMovement | None:
        """The movement the document made of the container type in that direction."""
        t = orm.tare_movements
        row = (
            await self.session.execute(
                select(t).where(
                    t.c.document_id == document_id,
                    t.c.container_type == container_type,
                    t.c.direction == direction.value,
                )
            )
        ).first()
        return movement_from(row) if row is not None else None

    async def add_movement(self, m: TareMovement, now: datetime) -> None:
        """Store the movement (with the balance after it); it gets its id and time."""
        t = orm.tare_movements
        m.id = await self.session.scalar(
            insert(t)
            .values(
                client_id=m.client_id,
                outlet_id=m.outlet_id,
                container_type=m.container_type,
                document_id=m.document_id,
                direction=m.direction.value,
                quantity=m.quantity,
                date=m.date,
                created_at=now,
                document_kind=m.kind.value if m.kind else "",
                balance_after=m.balance_after,
            )
            .returning(t.c.id)
        )
        m.created_at = now


def movement_from(row: Any) -> TareMovement:
    return TareMovement(
        client_id=row.client_id,
        outlet_id=row.outlet_id,
        container_type=row.container_type,
        document_id=row.document_id,
        direction=Direction(row.direction),
        quantity=row.quantity,
        date=row.date,
        kind=DocumentKind(row.document_kind) if row.document_kind else None,
        balance_after=row.balance_after,
        id=row.id,
        created_at=utc(row.created_at),
    )


@dataclass
class StandingSweep:
    """How far the standings sweep has come: `day`, the business day of its last sweep of the
    clients with open invoices (None: never), `done` or under way (`after_client`: the last
    client judged); `expired_to`, up to when it has judged the clients whose reservations
    expired (None: never)."""

    day: date | None = None
    after_client: str = ""
    done: bool = False
    expired_to: datetime | None = None


def _lock_sweep(dialect_insert: Any) -> Executable:
    t = orm.standing_sweeps
    stmt = dialect_insert(t).values(id=1, day=None, after_client="", done=False, expired_to=None)
    return stmt.on_conflict_do_update(
        index_elements=[t.c.id], set_={"id": stmt.excluded.id}
    ).returning(*t.c)


class StandingSweeps(Repository):
    """The standings sweep's state (one row, created on first use) and what it reads."""

    async def state(self) -> StandingSweep:
        """The state as it is (not locked)."""
        t = orm.standing_sweeps
        row = (await self.session.execute(select(t).where(t.c.id == 1))).first()
        return _sweep_from(row) if row is not None else StandingSweep()

    async def lock(self) -> StandingSweep:
        """The state, locked until the transaction ends (created on first use): one sweep
        step at a time, whichever replica runs it."""
        stmt = per_dialect(self.session, "lock_sweep", _lock_sweep)
        return _sweep_from((await self.session.execute(stmt)).one())

    async def save(self, sweep: StandingSweep) -> None:
        t = orm.standing_sweeps
        await self.session.execute(
            update(t)
            .where(t.c.id == 1)
            .values(
                day=sweep.day,
                after_client=sweep.after_client,
                done=sweep.done,
                expired_to=sweep.expired_to,
            )
        )

    async def indebted(self, after: str, limit: int) -> list[str]:
        """The next `limit` clients (by id, after `after`) with an open invoice (an amount
        still to be paid, which may fall overdue)."""
        t = orm.invoices
        rows = await self.session.scalars(
            select(t.c.client_id)
            .where(t.c.open_amount > 0, t.c.client_id > after)
            .group_by(t.c.client_id)
            .order_by(t.c.client_id)
            .limit(limit)
        )
        return list(rows)

    async def expired(self, since: datetime | None, until: datetime) -> list[str]:
        """The clients (by id) with a reservation that expired after `since` (None: ever) and
        by `until`."""
        t = orm.credit_reservations
        stmt = select(t.c.client_id).where(t.c.expires_at <= until)
        if since is not None:
            stmt = stmt.where(t.c.expires_at > since)
        rows = await self.session.scalars(stmt.group_by(t.c.client_id).order_by(t.c.client_id))
        return list(rows)


def _sweep_from(row: Any) -> StandingSweep:
    expired_to = utc(row.expired_to) if row.expired_to is not None else None
    return StandingSweep(row.day, row.after_client, bool(row.done), expired_to)


class NumberRepository(Repository):
    async def next(self, name: str) -> int:
        """Next value of a document number sequence (the row stays locked until commit)."""
        t = orm.number_sequences
        await insert_ignore(self.session, t, {"name": name, "value": 0})
        await self.session.execute(update(t).where(t.c.name == name).values(value=t.c.value + 1))
        value = await self.session.scalar(select(t.c.value).where(t.c.name == name))
        return int(value or 0)


class SettlementsUnitOfWork(UnitOfWork):
    """The kit's unit of work with this context's repositories attached."""

    accounts: AccountRepository
    invoices: InvoiceRepository
    payments: PaymentRepository
    ledgers: LedgerRepository
    reservations: ReservationRepository
    credit_positions: CreditPositionReader
    policies: PolicyRepository
    deposits: DepositRepository
    tare: TareRepository
    numbers: NumberRepository
    sweeps: StandingSweeps
    feed: FeedStore
    feed_reads: FeedReads
    cash: CashOnHandRepository
    handovers: HandoverRepository

    def _attach(self) -> None:
        self.accounts = AccountRepository(self)
        self.invoices = InvoiceRepository(self)
        self.payments = PaymentRepository(self)
        self.ledgers = LedgerRepository(self, self.invoices, self.payments)
        self.reservations = ReservationRepository(self)
        self.credit_positions = CreditPositionReader(self)
        self.policies = PolicyRepository(self)
        self.deposits = DepositRepository(self)
        self.tare = TareRepository(self)
        self.numbers = NumberRepository(self)
        self.sweeps = StandingSweeps(self)
        self.feed = FeedStore(self)
        self.feed_reads = FeedReads(self)
        self.cash = CashOnHandRepository(self)
        self.handovers = HandoverRepository(self)
