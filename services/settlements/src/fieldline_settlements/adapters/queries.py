"""Read side: invoice lists, the registries (payments, tare movements, cash handovers),
statements, the aging report, tare balances (a client's, an outlet's), the pages of clients
the bulk lists (balances, credit standings) go through.

Lists page by keyset (the last key seen, in an opaque token), so a page costs the same
wherever it is in the list; the registries by (date, id) (`_dated_page`), their tokens tagged
with the list they belong to. The aging report sums in SQL with the bucket boundaries the
domain defines (`aging_cutoffs`). The invoice list and the aging report are narrowed to the
clients in the caller's `reach` (domain/access.py; `feed.reached_clients`), totals included.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    type_coerce,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline_kit.errors import InvalidArgument
from fieldline_kit.grpc.convert import decode_token, encode_token
from fieldline_settlements.adapters import orm
from fieldline_settlements.adapters.feed import reached_clients
from fieldline_settlements.adapters.repository import (
    allocation_from,
    handover_from,
    handover_payments,
    invoice_from,
    movement_from,
    payment_from,
    tare_from,
)
from fieldline_settlements.domain.access import EVERYTHING, Reach, Staff
from fieldline_settlements.domain.cash import CashHandover
from fieldline_settlements.domain.ledger import (
    EMPTY_BUCKETS,
    AgingRow,
    CreditKind,
    Invoice,
    Payment,
    PaymentKind,
    PaymentSource,
    StatementEntry,
    aging_cutoffs,
)
from fieldline_settlements.domain.tare import Direction, DocumentKind, TareBalance, TareMovement
from fieldline_settlements.domain.values import ZERO


def _split_token(token: str, parts: int) -> list[str]:
    raw = decode_token(token)
    if not raw:
        return []
    fields = raw.split("|", parts - 1)
    if len(fields) != parts:
        raise InvalidArgument("page_token", "is not a token this service issued")
    return fields


def _dated_after(token: str, tag: str) -> tuple[date, str] | None:
    """The (date, id) key a `tag|date|id` token of this list carries (None: the first page);
    a token of another list, or of none, is INVALID_ARGUMENT."""
    after = _split_token(token, 3)
    if not after:
        return None
    if after[0] != tag:
        raise InvalidArgument("page_token", "is not a token of this list")
    try:
        return date.fromisoformat(after[1]), after[2]
    except ValueError:
        raise InvalidArgument("page_token", "is not a token this service issued") from None


def _after(on: Any, id_: Any, key: tuple[date, Any]) -> ColumnElement[bool]:
    """The rows after the keyset `key` in (date, id) order."""
    return or_(on > key[0], and_(on == key[0], id_ > key[1]))


def _dated_token(tag: str, on: date, id_: str) -> str:
    return encode_token(f"{tag}|{on.isoformat()}|{id_}")


def _within(column: Any, from_date: date | None, to_date: date | None) -> list[Any]:
    conds = []
    if from_date is not None:
        conds.append(column >= from_date)
    if to_date is not None:
        conds.append(column <= to_date)
    return conds


async def list_invoices(
    session: AsyncSession,
    *,
    size: int,
    token: str,
    client_id: str,
    outlet_id: str,
    open_only: bool,
    reach: Reach = EVERYTHING,
) -> tuple[list[Invoice], str]:
    """Invoices by issue date, then id (of the clients in `reach`)."""
    t = orm.invoices
    stmt = select(t)
    if not reach.company_wide:
        stmt = stmt.where(t.c.client_id.in_(reached_clients(reach.agents)))
    if client_id:
        stmt = stmt.where(t.c.client_id == client_id)
    if outlet_id:
        stmt = stmt.where(t.c.outlet_id == outlet_id)
    if open_only:
        stmt = stmt.where(t.c.open_amount != 0)
    after = _split_token(token, 2)
    if after:
        try:
            last_date = date.fromisoformat(after[0])
        except ValueError:
            raise InvalidArgument("page_token", "is not a token this service issued") from None
        stmt = stmt.where(_after(t.c.issue_date, t.c.id, (last_date, after[1])))
    rows = (await session.execute(stmt.order_by(t.c.issue_date, t.c.id).limit(size + 1))).all()
    more = len(rows) > size
    items = [invoice_from(r) for r in rows[:size]]
    next_token = ""
    if more and items:
        last = items[-1]
        next_token = encode_token(f"{last.issue_date.isoformat()}|{last.id}")
    return items, next_token


async def statement_entries(
    session: AsyncSession, client_id: str, from_date: date | None, to_date: date | None
) -> tuple[Decimal, list[StatementEntry]]:
    """The balance before `from_date` and the documents dated within [from_date, to_date]."""
    t, p = orm.invoices, orm.payments
    opening = ZERO
    if from_date is not None:
        debits = await session.scalar(
            select(func.sum(t.c.amount)).where(
                t.c.client_id == client_id, t.c.issue_date < from_date
            )
        )
        credits = await session.scalar(
            select(func.sum(p.c.amount)).where(p.c.client_id == client_id, p.c.date < from_date)
        )
        opening = (debits or ZERO) - (credits or ZERO)

    def within(column: Any) -> list[ColumnElement[bool]]:
        conds = []
        if from_date is not None:
            conds.append(column >= from_date)
        if to_date is not None:
            conds.append(column <= to_date)
        return conds

    entries = [
        StatementEntry(
            r.issue_date, "credit_note" if r.amount < 0 else "invoice", r.id, r.number, r.amount
        )
        for r in await session.execute(
            select(t.c.id, t.c.number, t.c.issue_date, t.c.amount).where(
                t.c.client_id == client_id, *within(t.c.issue_date)
            )
        )
    ]
    entries += [
        StatementEntry(r.date, "payment", r.id, r.receipt_number, -r.amount)
        for r in await session.execute(
            select(p.c.id, p.c.receipt_number, p.c.date, p.c.amount).where(
                p.c.client_id == client_id, *within(p.c.date)
            )
        )
    ]
    return opening, entries


def _bucket_sums(as_of: date) -> list[Any]:
    """SUM expressions of open invoice amounts per aging bucket (credit notes: current)."""
    t = orm.invoices
    current, c30, c60, c90 = aging_cutoffs(as_of)
    money = orm.Money()
    zero = type_coerce(literal(0), money)

    def total(cond: ColumnElement[bool]) -> Any:
        return func.sum(case((cond, t.c.open_amount), else_=zero), type_=money)

    debt = t.c.open_amount > 0
    return [
        total(or_(t.c.open_amount < 0, t.c.due_date >= current)),
        total(and_(debt, t.c.due_date < current, t.c.due_date >= c30)),
        total(and_(debt, t.c.due_date < c30, t.c.due_date >= c60)),
        total(and_(debt, t.c.due_date < c60, t.c.due_date >= c90)),
        total(and_(debt, t.c.due_date < c90)),
    ]


def _row(client_id: str, sums: Any, unallocated: Decimal | None) -> AgingRow:
    values = [s if s is not None else ZERO for s in sums]
    values[0] -= unallocated or ZERO
    return AgingRow(client_id, (values[0], values[1], values[2], values[3], values[4]))


async def aging(
    session: AsyncSession,
    *,
    as_of: date,
    client_id: str,
    size: int,
    token: str,
    reach: Reach = EVERYTHING,
) -> tuple[list[AgingRow], AgingRow, str]:
    """Rows for clients with open documents (keyset by client id) and totals over all of them
    (the clients in `reach`)."""
    t, p = orm.invoices, orm.payments
    inv_clients = select(t.c.client_id.label("client_id")).where(t.c.open_amount != 0)
    pay_clients = select(p.c.client_id.label("client_id")).where(p.c.unallocated != 0)
    sums = _bucket_sums(as_of)
    total_stmt = select(*sums).where(t.c.open_amount != 0)
    unallocated = func.sum(p.c.unallocated, type_=orm.Money())
    paid_stmt = select(unallocated).where(p.c.unallocated != 0)
    if not reach.company_wide:
        reached = reached_clients(reach.agents)
        inv_clients = inv_clients.where(t.c.client_id.in_(reached))
        pay_clients = pay_clients.where(p.c.client_id.in_(reached))
        total_stmt = total_stmt.where(t.c.client_id.in_(reached))
        paid_stmt = paid_stmt.where(p.c.client_id.in_(reached))
    if client_id:
        inv_clients = inv_clients.where(t.c.client_id == client_id)
        pay_clients = pay_clients.where(p.c.client_id == client_id)
        total_stmt = total_stmt.where(t.c.client_id == client_id)
        paid_stmt = paid_stmt.where(p.c.client_id == client_id)
    clients = union(inv_clients, pay_clients).subquery()
    after = decode_token(token)
    page_stmt = select(clients.c.client_id)
    if after:
        page_stmt = page_stmt.where(clients.c.client_id > after)
    ids = list(
        (await session.scalars(page_stmt.order_by(clients.c.client_id).limit(size + 1))).all()
    )
    more = len(ids) > size
    ids = ids[:size]

    by_client: dict[str, Any] = {}
    paid: dict[str, Decimal] = {}
    if ids:
        for r in await session.execute(
            select(t.c.client_id, *sums)
            .where(t.c.client_id.in_(ids), t.c.open_amount != 0)
            .group_by(t.c.client_id)
        ):
            by_client[r[0]] = r[1:]
        for r in await session.execute(
            select(p.c.client_id, unallocated)
            .where(p.c.client_id.in_(ids), p.c.unallocated != 0)
            .group_by(p.c.client_id)
        ):
            paid[r[0]] = r[1]
    rows = [_row(c, by_client.get(c, EMPTY_BUCKETS), paid.get(c)) for c in ids]

    totals = _row("", (await session.execute(total_stmt)).one(), await session.scalar(paid_stmt))
    next_token = encode_token(ids[-1]) if more and ids else ""
    return rows, totals, next_token


async def client_page(
    session: AsyncSession, *, size: int, token: str, client_ids: Sequence[str] = ()
) -> tuple[list[str], str]:
    """The ids of the clients settlements has an account of (every client it has booked,
    limited or checked anything for), or of those of `client_ids` that have one, by id."""
    t = orm.client_accounts
    stmt = select(t.c.client_id)
    if client_ids:
        stmt = stmt.where(t.c.client_id.in_(list(client_ids)))
    after = decode_token(token)
    if after:
        stmt = stmt.where(t.c.client_id > after)
    ids = list((await session.scalars(stmt.order_by(t.c.client_id).limit(size + 1))).all())
    more = len(ids) > size
    ids = ids[:size]
    return ids, encode_token(ids[-1]) if more and ids else ""


async def tare_page(
    session: AsyncSession, *, size: int, token: str, client_ids: Sequence[str] = ()
) -> tuple[list[TareBalance], str]:
    """Tare balances by client id, then container type (of `client_ids` when given)."""
    t = orm.tare_balances
    stmt = select(t)
    if client_ids:
        stmt = stmt.where(t.c.client_id.in_(list(client_ids)))
    after = _split_token(token, 2)
    if after:
        stmt = stmt.where(
            or_(
                t.c.client_id > after[0],
                and_(t.c.client_id == after[0], t.c.container_type > after[1]),
            )
        )
    rows = (
        await session.execute(stmt.order_by(t.c.client_id, t.c.container_type).limit(size + 1))
    ).all()
    more = len(rows) > size
    items = [tare_from(r) for r in rows[:size]]
    next_token = ""
    if more and items:
        next_token = encode_token(f"{items[-1].client_id}|{items[-1].container_type}")
    return items, next_token


async def tare_balances(session: AsyncSession, client_id: str) -> list[TareBalance]:
    t = orm.tare_balances
    rows = await session.execute(
        select(t).where(t.c.client_id == client_id).order_by(t.c.container_type)
    )
    return [tare_from(r) for r in rows]


@dataclass(frozen=True)
class PaymentFilter:
    """What ListPayments narrows to (empty / None: any)."""

    client_id: str = ""
    outlet_id: str = ""
    collected_by: str = ""
    kind: PaymentKind | None = None
    source: PaymentSource | None = None
    visit_id: str = ""
    from_date: date | None = None
    to_date: date | None = None


async def list_payments(
    session: AsyncSession,
    *,
    size: int,
    token: str,
    where: PaymentFilter,
    reach: Reach = EVERYTHING,
) -> tuple[list[Payment], str]:
    """Payments by date, then id (of the clients in `reach`), each with its allocations: the
    page in one statement, the page's allocations in another."""
    t = orm.payments
    rows, next_token = await _dated_page(
        session,
        t,
        "payments",
        size=size,
        token=token,
        period=(where.from_date, where.to_date),
        narrow=_reached(t, reach),
        equal=(
            (t.c.client_id, where.client_id),
            (t.c.outlet_id, where.outlet_id),
            (t.c.collected_by, where.collected_by),
            (t.c.visit_id, where.visit_id),
            (t.c.kind, where.kind.value if where.kind else ""),
            (t.c.source, where.source.value if where.source else ""),
        ),
    )
    return await with_allocations(session, [payment_from(r) for r in rows]), next_token


def _reached(table: Any, reach: Reach) -> list[ColumnElement[bool]]:
    """The rows of the clients in `reach` (no condition company-wide)."""
    if reach.company_wide:
        return []
    return [table.c.client_id.in_(reached_clients(reach.agents))]


async def _dated_page(
    session: AsyncSession,
    table: Any,
    tag: str,
    *,
    size: int,
    token: str,
    period: tuple[date | None, date | None],
    narrow: Sequence[ColumnElement[bool]] = (),
    equal: Sequence[tuple[Any, str]] = (),
    id_of: Callable[[str], Any] = str,
) -> tuple[list[Any], str]:
    """A page of a registry keyed by (date, id): the rows within `period`, meeting `narrow`
    and each non-empty `equal` value, after the key of `token` (a `tag` token; `id_of` reads
    its id); the rows and the next page's token ('' at the end)."""
    t = table
    stmt = select(t).where(*_within(t.c.date, *period), *narrow)
    stmt = stmt.where(*(column == value for column, value in equal if value))
    after = _dated_after(token, tag)
    if after is not None:
        try:
            last_id = id_of(after[1])
        except ValueError:
            raise InvalidArgument("page_token", "is not a token this service issued") from None
        stmt = stmt.where(_after(t.c.date, t.c.id, (after[0], last_id)))
    rows = (await session.execute(stmt.order_by(t.c.date, t.c.id).limit(size + 1))).all()
    page = list(rows[:size])
    more = len(rows) > size and page
    return page, _dated_token(tag, page[-1].date, str(page[-1].id)) if more else ""


async def with_allocations(session: AsyncSession, payments: list[Payment]) -> list[Payment]:
    """The payments, each given its allocations (one statement for all of them)."""
    if not payments:
        return payments
    a = orm.allocations
    by_id = {p.id: p for p in payments}
    rows = await session.execute(
        select(a)
        .where(a.c.source_id.in_(sorted(by_id)), a.c.source_kind == CreditKind.PAYMENT.value)
        .order_by(a.c.id)
    )
    for r in rows:
        by_id[r.source_id].allocations.append(allocation_from(r))
    return payments


async def list_handovers(
    session: AsyncSession,
    *,
    size: int,
    token: str,
    staff: Staff,
    employee_id: str,
    from_date: date | None,
    to_date: date | None,
) -> tuple[list[CashHandover], str]:
    """Handovers by date, then id (of the employees `staff` holds), each with its payments."""
    t = orm.cash_handovers
    narrow = [] if staff.company_wide else [t.c.employee_id.in_(sorted(staff.employees))]
    rows, next_token = await _dated_page(
        session,
        t,
        "handovers",
        size=size,
        token=token,
        period=(from_date, to_date),
        narrow=narrow,
        equal=((t.c.employee_id, employee_id),),
    )
    covered = await handover_payments(session, [r.id for r in rows])
    return [handover_from(r, covered.get(r.id, ())) for r in rows], next_token


async def outlet_tare_balances(
    session: AsyncSession, client_id: str, outlet_id: str
) -> list[TareBalance]:
    """An outlet's tare figures per container type: the sums of the outlet's movements, at the
    version of the client's balance of the type."""
    m, b = orm.tare_movements, orm.tare_balances
    quantity = orm.Quantity()
    zero = type_coerce(literal(0), quantity)

    def moved(direction: Direction) -> Any:
        return func.sum(
            case((m.c.direction == direction.value, m.c.quantity), else_=zero), type_=quantity
        )

    rows = await session.execute(
        select(m.c.container_type, moved(Direction.ISSUED), moved(Direction.RETURNED), b.c.version)
        .join(b, and_(b.c.client_id == m.c.client_id, b.c.container_type == m.c.container_type))
        .where(m.c.client_id == client_id, m.c.outlet_id == outlet_id)
        .group_by(m.c.container_type, b.c.version)
        .order_by(m.c.container_type)
    )
    return [TareBalance(client_id, r[0], r[1] or ZERO, r[2] or ZERO, r[3]) for r in rows]


@dataclass(frozen=True)
class TareFilter:
    """What ListTareMovements narrows to (empty / None: any)."""

    client_id: str = ""
    outlet_id: str = ""
    container_type: str = ""
    kind: DocumentKind | None = None
    from_date: date | None = None
    to_date: date | None = None


async def list_tare_movements(
    session: AsyncSession,
    *,
    size: int,
    token: str,
    where: TareFilter,
    reach: Reach = EVERYTHING,
) -> tuple[list[TareMovement], str]:
    """Tare movements by date, then id (of the clients in `reach`)."""
    t = orm.tare_movements
    rows, next_token = await _dated_page(
        session,
        t,
        "tare",
        size=size,
        token=token,
        period=(where.from_date, where.to_date),
        narrow=_reached(t, reach),
        equal=(
            (t.c.client_id, where.client_id),
            (t.c.outlet_id, where.outlet_id),
            (t.c.container_type, where.container_type),
            (t.c.document_kind, where.kind.value if where.kind else ""),
        ),
        id_of=int,  # the movements' ids are numbers
    )
    return [movement_from(r) for r in rows], next_token
