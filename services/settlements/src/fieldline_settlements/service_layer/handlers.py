"""Use cases of settlements.

Each takes the unit of work and plain inputs and works only through its repositories
(`uow.<name>`). It runs inside a unit of work owned by the caller (the gRPC entrypoint's, so
the idempotency record and the effects commit together; or one adopted on the orders
consumer's transaction, so the inbox row, the effects and the outbox rows commit together).
Everything that moves a client's debt locks the client's account first. Use cases never build
protos and never commit. Those that act on a client for a caller take the caller's `reach`
(service_layer/scope.py) and refuse a client outside it before writing anything.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fieldline_kit.errors import AlreadyExists, DomainError, InvalidArgument
from fieldline_settlements.adapters.repository import CreditPositions, SettlementsUnitOfWork
from fieldline_settlements.domain import cash
from fieldline_settlements.domain.access import EVERYTHING, Reach, Staff, denied
from fieldline_settlements.domain.account import BalanceSnapshot, ClientAccount
from fieldline_settlements.domain.cash import CashHandover, CashOnHand
from fieldline_settlements.domain.credit import (
    NO_DEBT,
    CreditCheck,
    CreditStanding,
    OtherReservations,
    ReservationBook,
    credit_standing,
    judge_in_order,
)
from fieldline_settlements.domain.ledger import (
    ClientLedger,
    Invoice,
    InvoiceSource,
    NamedAllocation,
    Payment,
    PaymentKind,
    PaymentSource,
    collector,
    payment_source,
)
from fieldline_settlements.domain.policy import (
    Actor,
    ClientPolicy,
    DebtPolicy,
    Decision,
    Stage,
    reserved_matters,
)
from fieldline_settlements.domain.tare import (
    DeliveryTare,
    Direction,
    DocumentKind,
    TareBalance,
    TareMovement,
    container_type,
    count_adjustment,
)
from fieldline_settlements.domain.values import (
    MAX_LINES,
    ZERO,
    amount,
    document_id,
    limit_items,
    optional_id,
    quantity,
    require_id,
)
from fieldline_settlements.service_layer.scope import outside, writable_client

# Ids of the cash payment booked from a van sale: derived from the order id, so a second copy
# of the sale (even under another event id) finds it.
VAN_SALE_CASH_NAMESPACE = uuid.UUID("0d3c6c9e-52a3-5f1e-8a6b-4f0e2b7c1a95")
# The document of a count's adjustment for one client: derived from the count's document id
# and the client (a movement is unique per document and container type).
TARE_COUNT_NAMESPACE = uuid.UUID("5b8f2c1e-7d4a-5e9b-9c3f-1a6d0e2b4f87")
MAX_COUNTS = 1000
NUMBER_PREFIX = {InvoiceSource.VAN_SALE: "VS", InvoiceSource.ERP: "INV", InvoiceSource.RETURN: "CN"}


@dataclass(frozen=True)
class Config:
    currency: str
    reservation_hours: float
    default_terms_days: int
    default_policy: DebtPolicy
    delivery_tare: DeliveryTare = DeliveryTare.ORDERS


# --------------------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class InvoiceInput:
    id: str
    number: str
    client_id: str
    outlet_id: str
    order_id: str
    source: InvoiceSource | None
    issue_date: date
    due_date: date | None
    amount: Decimal


@dataclass(frozen=True)
class PaymentInput:
    id: str
    kind: PaymentKind | None
    client_id: str
    outlet_id: str
    date: date
    amount: Decimal
    receipt_number: str
    collected_by: str
    named: tuple[NamedAllocation, ...] = ()
    # Who records it (the caller's verified subject; empty: unknown) and whether they may
    # record someone else's collection (`ledger.collector`).
    recorded_by: str = ""
    for_others: bool = True
    visit_id: str = ""


@dataclass(frozen=True)
class ContainerLine:
    container_type: str
    quantity: str


@dataclass(frozen=True)
class VanSaleInput:
    order_id: str
    client_id: str
    outlet_id: str
    agent_id: str
    van_id: str
    order_date: date
    gross_total: Decimal
    cash_collected: Decimal
    receipt_number: str
    containers: tuple[ContainerLine, ...] = ()
    distributor_id: str = ""  # the sale's distributor: its van's ("" the company's)


@dataclass(frozen=True)
class ReturnInput:
    return_id: str
    client_id: str
    outlet_id: str
    order_id: str
    date: date
    gross_total: Decimal
    containers: tuple[ContainerLine, ...] = ()


@dataclass(frozen=True)
class DeliveryInput:
    """A pre-sale order delivered (in full or in part) and the containers delivered with it."""

    order_id: str
    client_id: str
    outlet_id: str
    distributor_id: str
    date: date
    containers: tuple[ContainerLine, ...] = ()


@dataclass(frozen=True)
class CreditCheckInput:
    order_id: str
    client_id: str
    amount: Decimal
    stage: Stage | None
    actor: Actor


@dataclass
class Booking:
    """What a consumer-driven booking did (for logs and tests)."""

    invoice: Invoice | None = None
    payment: Payment | None = None
    tare_moved: list[str] = field(default_factory=list)
    released: bool = False


# -------------------------------------------------------------------------------- helpers
def _number(source: InvoiceSource, value: int) -> str:
    return f"{NUMBER_PREFIX[source]}-{value:06d}"


async def _debt_changed(
    uow: SettlementsUnitOfWork,
    cfg: Config,
    account: ClientAccount,
    ledger: ClientLedger,
    now: datetime,
    today: date,
) -> BalanceSnapshot:
    """Record DebtChanged for the client and each outlet the change touched, and judge the
    client's standing again."""
    reserved = await uow.reservations.active_total(account.client_id, now)
    client = BalanceSnapshot.of(
        account.client_id, "", ledger.figures(today), account.credit_limit, reserved
    )
    snapshots = [client]
    for outlet_id in sorted(o for o in ledger.touched_outlets if o):
        snapshots.append(
            BalanceSnapshot.of(
                account.client_id,
                outlet_id,
                ledger.figures(today, outlet_id),
                account.credit_limit,
                ZERO,
            )
        )
    versioned = account.debt_changed(snapshots, now)
    await uow.accounts.save(account)
    await _judge_standings(uow, cfg, now, today, {account.client_id: account})
    return versioned[0]


def _sum_containers(lines: Iterable[ContainerLine], field_: str) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for i, line in enumerate(lines):
        name = container_type(f"{field_}[{i}].container_type", line.container_type)
        totals[name] += quantity(f"{field_}[{i}].quantity", line.quantity)
    return dict(totals)


async def _move_tare(
    uow: SettlementsUnitOfWork,
    *,
    client_id: str,
    outlet_id: str,
    document: str,
    direction: Direction,
    kind: DocumentKind,
    on: date,
    totals: dict[str, Decimal],
    now: datetime,
) -> list[str]:
    """Move each container type once per document and direction; returns the types moved."""
    moved = []
    wanted = {ct: q for ct, q in totals.items() if q > 0}
    deposits = await uow.deposits.get_many(wanted)
    for ct, qty in sorted(wanted.items()):
        if await uow.tare.moved(document, ct, direction):
            continue
        movement = TareMovement(client_id, outlet_id, ct, document, direction, qty, on, kind)
        await _apply_movement(uow, movement, deposits[ct], now)
        moved.append(ct)
    return moved


async def _apply_movement(
    uow: SettlementsUnitOfWork, movement: TareMovement, deposit: Decimal, now: datetime
) -> None:
    """The movement applied to its client's balance of the type and stored with the balance
    after it (the balance row's version guards against a concurrent movement)."""
    balance = await uow.tare.balance(movement.client_id, movement.container_type)
    balance.move(movement, deposit)
    await uow.tare.add_movement(movement, now)
    await uow.tare.save(balance)


# ------------------------------------------------------------------------------- invoices
async def record_invoice(
    uow: SettlementsUnitOfWork, cfg: Config, now: datetime, today: date, inp: InvoiceInput
) -> Invoice:
    """Book an ERP invoice (or credit note); a retry with the same id returns the original."""
    client_id = require_id("invoice.client_id", inp.client_id)
    invoice_id = document_id("invoice.id", inp.id)
    order_id = optional_id("invoice.order_id", inp.order_id)
    source = inp.source or InvoiceSource.ERP
    value = amount("invoice.amount", inp.amount, allow_negative=True, allow_zero=False)
    account = await uow.accounts.lock(client_id, cfg.default_terms_days, now)
    existing = await uow.invoices.find(invoice_id)
    due = inp.due_date or account.due_date(inp.issue_date)
    number = inp.number.strip()
    if not number:
        if existing is not None:
            number = existing.number
        else:
            kind = InvoiceSource.RETURN if value < 0 else source
            number = _number(kind, await uow.numbers.next(NUMBER_PREFIX[kind]))
    invoice = Invoice.create(
        id=invoice_id,
        number=number,
        client_id=client_id,
        outlet_id=inp.outlet_id,
        order_id=order_id,
        source=source,
        issue_date=inp.issue_date,
        due_date=due,
        amount_=value,
        now=now,
    )
    if existing is not None:
        if existing.same_document(invoice) and (
            not inp.due_date or existing.due_date == inp.due_date
        ):
            return existing
        raise AlreadyExists(
            f"invoice.id: invoice {invoice_id!r} already exists ({existing.number}, "
            f"{existing.amount} from {existing.issue_date.isoformat()}) with other data"
        )
    pay_first: list[str] = []
    if invoice.is_credit_note and order_id:
        pay_first = await uow.invoices.ids_for_order(order_id)
    ledger = await uow.ledgers.load(client_id, pay_first)
    ledger.book_invoice(invoice, pay_first=pay_first)
    await uow.ledgers.save(ledger, now)
    if order_id and not invoice.is_credit_note:
        await uow.reservations.release(order_id)
    await _debt_changed(uow, cfg, account, ledger, now, today)
    return invoice


# ------------------------------------------------------------------------------- payments
async def record_payment(
    uow: SettlementsUnitOfWork,
    cfg: Config,
    now: datetime,
    today: date,
    inp: PaymentInput,
    reach: Reach = EVERYTHING,
) -> Payment:
    """Book a payment and allocate it; a retry with the same id returns the original. A client
    outside the caller's `reach` is PERMISSION_DENIED."""
    if inp.kind is None:
        raise InvalidArgument("payment.kind", "is required (CASH or BANK)")
    client_id = require_id("payment.client_id", inp.client_id)
    payment_id = document_id("payment.id", inp.id)
    payment = Payment.create(
        id=payment_id,
        kind=inp.kind,
        client_id=client_id,
        outlet_id=inp.outlet_id,
        date_=inp.date,
        amount_=inp.amount,
        receipt_number=inp.receipt_number,
        collected_by=collector(inp.collected_by, inp.recorded_by, inp.for_others),
        now=now,
        recorded_by=inp.recorded_by,
        source=payment_source(inp.for_others),
        visit_id=inp.visit_id,
    )
    await writable_client(uow, reach, client_id, "payment.client_id")
    account = await uow.accounts.lock(client_id, cfg.default_terms_days, now)
    existing = await uow.payments.find(payment_id)
    if existing is not None:
        if existing.same_document(payment):
            return existing
        raise AlreadyExists(
            f"payment.id: payment {payment_id!r} already exists ({existing.amount} from "
            f"{existing.date.isoformat()}) with other data"
        )
    named_ids = [n.invoice_id for n in inp.named]
    ledger = await uow.ledgers.load(client_id, named_ids)
    for n in inp.named:
        if n.invoice_id not in ledger.documents:
            other = await uow.invoices.find(n.invoice_id)
            if other is not None:
                raise InvalidArgument(
                    f"{n.field}.invoice_id", f"invoice {other.number} belongs to another client"
                )
    ledger.record_payment(payment, inp.named)
    await uow.ledgers.save(ledger, now)
    await _debt_changed(uow, cfg, account, ledger, now, today)
    await _cash_collected(uow, payment, now)
    return payment


async def _cash_collected(uow: SettlementsUnitOfWork, payment: Payment, now: datetime) -> None:
    """A new cash payment adds to its collector's cash on hand (locked after the client's
    account: every path takes the two in that order)."""
    if payment.on_hand:
        on_hand = await uow.cash.lock(payment.collected_by, now)
        on_hand.collected(payment)
        await uow.cash.save(on_hand)


# ------------------------------------------------------------------------ cash on hand
async def record_cash_handover(
    uow: SettlementsUnitOfWork,
    now: datetime,
    *,
    handover_id: str,
    employee_id: str,
    on: date,
    counted: Decimal,
    payment_ids: Sequence[str],
    received_by: str,
    staff: Staff,
) -> CashHandover:
    """Record a handover of an employee's cash (`domain/cash.py`); the same handover again
    returns it. The employee's cash on hand is locked first, so its payments are read as no
    concurrent payment or handover of the employee changes them; each covered payment is then
    marked `WHERE handover_id = ''` all the same (Conflict if another took it)."""
    asked = cash.request(handover_id, employee_id, on, counted, payment_ids)
    if not staff.holds(asked.employee_id):
        raise denied("handover.employee_id", f"employee {asked.employee_id}")
    on_hand = await uow.cash.lock(asked.employee_id, now)
    existing = await uow.handovers.find(asked.id)
    if existing is not None:
        if existing.same_handover(asked):
            return existing
        raise cash.already_exists(existing)
    named = await uow.payments.find_many(asked.payment_ids)
    held = [] if asked.payment_ids else await uow.payments.on_hand(asked.employee_id)
    handover = cash.hand_over(asked, named, held, received_by=received_by, now=now)
    await uow.handovers.add(handover)
    await uow.payments.hand_over(handover.payment_ids, handover.id)
    on_hand.handed_over(handover)
    await uow.cash.save(on_hand)
    return handover


async def cash_on_hand(
    uow: SettlementsUnitOfWork, employee_id: str, staff: Staff
) -> tuple[CashOnHand, list[Payment]]:
    """The employee's cash on hand and its payments (by date, id). The figure's version is
    read first (as `balance` reads the account first), so the payments are at least as new as
    it; the total is their sum. An employee outside `staff` is NOT_FOUND, as an unknown one."""
    employee = cash.employee_id("employee_id", employee_id)
    if not staff.holds(employee):
        raise cash.unknown_employee(employee)
    found = await uow.cash.find(employee)
    held = await uow.payments.on_hand(employee)
    version = found.version if found is not None else 0
    total = sum((p.amount for p in held), ZERO)
    return CashOnHand(employee, total, version), held


# -------------------------------------------------------------------------------- balances
async def balance(
    uow: SettlementsUnitOfWork, now: datetime, client_id: str, outlet_id: str, as_of: date
) -> BalanceSnapshot:
    """The figures of a client (or of one of its outlets) at its account's version. The
    account is read first: in a transaction that sees each statement's own snapshot
    (PostgreSQL's READ COMMITTED), figures read after it are at least as new as its version,
    never older, so a reader that compares versions never takes old figures for new ones."""
    account = await uow.accounts.find(client_id)
    ledger = await uow.ledgers.load(client_id)
    limit = account.credit_limit if account else None
    version = account.version if account else 0
    reserved = await uow.reservations.active_total(client_id, now) if not outlet_id else ZERO
    return BalanceSnapshot.of(
        client_id, outlet_id, ledger.figures(as_of, outlet_id), limit, reserved, version
    )


async def balances(
    uow: SettlementsUnitOfWork, now: datetime, as_of: date, client_ids: Sequence[str]
) -> list[BalanceSnapshot]:
    """`balance` of each of these clients (the whole client), in the order given, in a
    constant number of statements: their accounts (limits, versions: read first, as `balance`
    does), then their open documents and reservations in one."""
    accounts = await uow.accounts.find_many(client_ids)
    position = await uow.credit_positions.read(client_ids, [], as_of, now)
    found = []
    for client_id in client_ids:
        account = accounts.get(client_id)
        found.append(
            BalanceSnapshot.of(
                client_id,
                "",
                position.debts.get(client_id, NO_DEBT).figures(as_of),
                account.credit_limit if account else None,
                position.others.get(client_id, OtherReservations()).active,
                account.version if account else 0,
            )
        )
    return found


async def set_credit_limit(
    uow: SettlementsUnitOfWork,
    cfg: Config,
    now: datetime,
    today: date,
    *,
    client_id: str,
    limit: Decimal | None,
    clear: bool,
    terms_days: int,
    by: str = "",
) -> BalanceSnapshot:
    """Set a client's credit limit and terms, `by` whom (a verified subject)."""
    client_id = require_id("client_id", client_id)
    account = await uow.accounts.lock(client_id, cfg.default_terms_days, now)
    changed = account.set_terms(limit=limit, clear=clear, terms_days=terms_days, now=now, by=by)
    ledger = await uow.ledgers.load(client_id)
    if changed:
        return await _debt_changed(uow, cfg, account, ledger, now, today)
    reserved = await uow.reservations.active_total(client_id, now)
    return BalanceSnapshot.of(
        client_id, "", ledger.figures(today), account.credit_limit, reserved, account.version
    )


# ------------------------------------------------------------------------------ debt policy
async def effective_policy(
    uow: SettlementsUnitOfWork, cfg: Config, client_id: str
) -> tuple[DebtPolicy, bool]:
    """The client's own policy, else the company's (stored, else configured); is_default."""
    own, company = await uow.policies.find_with_company(client_id)
    if own is not None:
        return own, False
    return (company or cfg.default_policy), True


async def set_debt_policy(
    uow: SettlementsUnitOfWork,
    cfg: Config,
    now: datetime,
    today: date,
    *,
    client_id: str,
    args: dict[str, Any],
    clear: bool,
    by: str = "",
) -> tuple[DebtPolicy, bool]:
    """Set the client's own policy (client id empty: the company's) `by` whom, or with `clear`
    remove it; the policy in force after, and whether it is the company's. A change publishes
    DebtPolicyChanged with the policy now in force, and judges the client's standing again
    (a client settlements has an account of); a change of the company's policy starts the
    standings sweep over again, which judges every indebted client in chunks, as on a new
    business day. Setting the policy in force again, or clearing none, changes and publishes
    nothing."""
    client_id = optional_id("policy.client_id", client_id)
    account = await uow.accounts.find(client_id, for_update=True) if client_id else None
    stored = await uow.policies.find(client_id)
    if clear:
        changed = stored is not None and stored.clear(by)
    else:
        policy = DebtPolicy.create(**{**args, "client_id": client_id})
        if stored is None:
            stored = ClientPolicy(policy, changed_by=by)
            await uow.policies.add(stored)
            changed = True
        else:
            changed = stored.replace(policy, by)
    if stored is not None and changed:
        await uow.policies.save(stored)
    in_force, is_default = await effective_policy(uow, cfg, client_id)
    if stored is not None and changed:
        stored.changed(in_force, is_default)
        if account is not None:
            await _judge_standings(uow, cfg, now, today, {client_id: account})
        elif not client_id:
            await _sweep_again(uow, today)
    return in_force, is_default


async def _sweep_again(uow: SettlementsUnitOfWork, today: date) -> None:
    """Start the day's standings sweep from its first client (the company's policy changed:
    every client it governs may be judged otherwise). A sweep already on a later day (a clock
    set back) keeps its day."""
    sweep = await uow.sweeps.lock()
    sweep.day = today if sweep.day is None else max(sweep.day, today)
    sweep.after_client, sweep.done = "", False
    await uow.sweeps.save(sweep)


def _standings(
    cfg: Config,
    today: date,
    client_ids: Iterable[str],
    position: CreditPositions,
    accounts: Mapping[str, ClientAccount],
    reserved: Callable[[str], Decimal],
) -> list[CreditStanding]:
    """The standing of each client as of `today`, from what a check reads (`position`: its
    documents, its policy and the company's), its account (limit, standing version) and its
    active reservations (`reserved`)."""
    company = position.company_policy or cfg.default_policy
    found = []
    for client_id in client_ids:
        account = accounts.get(client_id)
        own = position.policies.get(client_id)
        standing = credit_standing(
            client_id,
            ledger=position.debts.get(client_id, NO_DEBT).figures(today),
            reserved=reserved(client_id),
            credit_limit=account.credit_limit if account else None,
            policy=own or company,
            is_default_policy=own is None,
            as_of=today,
            currency=cfg.currency,
        )
        found.append(
            dataclasses.replace(standing, version=account.standing_version if account else 0)
        )
    return found


async def credit_standings(
    uow: SettlementsUnitOfWork,
    cfg: Config,
    now: datetime,
    today: date,
    client_ids: Sequence[str],
) -> list[CreditStanding]:
    """What the debt policy decides today on an order of each of these clients (in the order
    given), judged on what a check would read: their limits, their open documents, their
    active reservations, their policies and the company's (a constant number of statements),
    at the standing version last published. The accounts are read first, so the decisions
    are never older than that version. Nothing is locked, reserved or written."""
    accounts = await uow.accounts.find_many(client_ids)
    position = await uow.credit_positions.read(client_ids, [], today, now)
    return _standings(
        cfg,
        today,
        client_ids,
        position,
        accounts,
        lambda c: position.others.get(c, OtherReservations()).active,
    )


async def _judge_standings(
    uow: SettlementsUnitOfWork,
    cfg: Config,
    now: datetime,
    today: date,
    accounts: Mapping[str, ClientAccount],
) -> None:
    """Judge again the standing of the clients of these accounts (locked by the caller, after
    its changes: this reads them), publishing each that changed (`ClientAccount.judged`)."""
    if not accounts:
        return
    clients = sorted(accounts)
    position = await uow.credit_positions.read(clients, [], today, now)
    for standing in _standings(
        cfg,
        today,
        clients,
        position,
        accounts,
        lambda c: position.others.get(c, OtherReservations()).active,
    ):
        accounts[standing.client_id].judged(standing)
    await uow.accounts.save_standings(accounts.values())


# ------------------------------------------------------------------------------ credit check
def _credit_check(as_of: date, inp: CreditCheckInput) -> CreditCheck:
    order_id = require_id("order_id", inp.order_id)
    client_id = require_id("client_id", inp.client_id)
    if inp.stage is None:
        raise InvalidArgument("stage", "is required (ORDER_SUBMIT or VAN_SALE)")
    return CreditCheck(
        order_id=order_id,
        client_id=client_id,
        amount=amount("amount", inp.amount),
        stage=inp.stage,
        actor=inp.actor,
        as_of=as_of,
    )


async def check_credit_batch(
    uow: SettlementsUnitOfWork,
    cfg: Config,
    now: datetime,
    today: date,
    items: Sequence[tuple[date, CreditCheckInput]],
    reach: Reach = EVERYTHING,
) -> list[Decision | DomainError]:
    """Judge orders (each `(as_of, check)`) in the order given; per item its decision or why
    it was not judged (a bad item does not stop the others, and leaves nothing behind).

    A single check is a batch of one; there is no other path. Unless blocked, each order's
    amount is reserved in place of what it held. The checks are judged one after the other in
    this transaction (a later order of a client is judged with the earlier ones' reservations;
    an order checked twice keeps the later check's reservation; a concurrent check of the same
    clients waits for the account locks and then sees these reservations), in a constant
    number of statements: the accounts
    of all the batch's clients locked in one (in client id order); their figures,
    reservations, the orders' reservations and invoices, and the clients' policies and the
    company's in one; then the checks judged in memory (`judge_in_order`); then at most three
    writes (purge the expired reservations of clients that had some, put reservations,
    release reservations). The standing (as of `today`) of each client whose decisions the
    reservations count in (a limit its policy judges), or never judged yet, is judged again
    in memory from the same reads and the reservations after the batch; one write per client
    whose decisions changed (rare: a client reaching or leaving its limit, a first check).

    A check of a client outside the caller's `reach` is PERMISSION_DENIED and judged not at
    all (it reserves nothing); the orders service's batches are company-wide.
    """
    valid: list[tuple[int, CreditCheck]] = []
    refused: dict[int, DomainError] = {}
    for i, (as_of, inp) in enumerate(items):
        try:
            valid.append((i, _credit_check(as_of, inp)))
        except DomainError as exc:
            refused[i] = exc
    beyond = await outside(uow, reach, {c.client_id for _, c in valid})
    checks: list[CreditCheck] = []
    for i, check in valid:
        if check.client_id in beyond:
            refused[i] = denied("client_id", f"client {check.client_id}")
        else:
            checks.append(check)
    decisions = iter(await _judge_checks(uow, cfg, now, today, checks) if checks else [])
    return [refused[i] if i in refused else next(decisions) for i in range(len(items))]


async def _judge_checks(
    uow: SettlementsUnitOfWork,
    cfg: Config,
    now: datetime,
    today: date,
    checks: Sequence[CreditCheck],
) -> list[Decision]:
    clients = sorted({c.client_id for c in checks})
    # Lock first, so a concurrent check or booking of these clients is seen by the reads.
    accounts = await uow.accounts.lock_many(clients, cfg.default_terms_days, now)
    # As of the latest day any check, or the standings, is judged on.
    latest = max(today, *(c.as_of for c in checks))
    position = await uow.credit_positions.read(
        clients, sorted({c.order_id for c in checks}), latest, now
    )
    own, default = position.policies, position.company_policy or cfg.default_policy
    policies = {c: own.get(c, default) for c in clients}
    book = ReservationBook(now, position.held, position.others, position.invoiced)
    decisions = judge_in_order(
        checks,
        credit_limits={c: a.credit_limit for c, a in accounts.items()},
        policies=policies,
        debts=position.debts,
        book=book,
        now=now,
        reservation_hours=cfg.reservation_hours,
        currency=cfg.currency,
    )
    changes = book.changes()
    await uow.reservations.purge_expired(changes.purge_clients, now)
    await uow.reservations.put_many(changes.put)
    await uow.reservations.release_many(changes.release)
    # The standings the batch may have moved: a check changes nothing but reservations, so
    # only those of clients whose decisions read them (and of those never judged yet).
    moved = [
        c
        for c in clients
        if not accounts[c].standing or reserved_matters(policies[c], accounts[c].credit_limit)
    ]
    standings = _standings(
        cfg, today, moved, position, accounts, lambda c: book.reserved(c, except_order="")
    )
    for standing in standings:
        accounts[standing.client_id].judged(standing)
    await uow.accounts.save_standings(accounts.values())
    return decisions


async def release_credit(
    uow: SettlementsUnitOfWork,
    cfg: Config,
    now: datetime,
    today: date,
    order_id: str,
    reach: Reach = EVERYTHING,
) -> bool:
    """Drop an order's reservation (the order will not be placed); whether there was one. The
    reservation of a client outside the caller's `reach` is PERMISSION_DENIED (an order that
    holds none: False, there is nothing to protect)."""
    oid = require_id("order_id", order_id)
    client_id = await uow.reservations.client_of(oid)
    if client_id is None:
        return False
    if await outside(uow, reach, [client_id]):
        raise denied("order_id", f"order {oid}")
    return await _release(uow, cfg, now, today, oid, client_id)


async def _release(
    uow: SettlementsUnitOfWork,
    cfg: Config,
    now: datetime,
    today: date,
    order_id: str,
    client_id: str,
) -> bool:
    """Release the order's reservation (of `client_id`) under the client's account lock, and
    judge the client's standing again; whether there was one."""
    account = await uow.accounts.lock(client_id, cfg.default_terms_days, now)
    released = await uow.reservations.release(order_id)
    if released:
        await _judge_standings(uow, cfg, now, today, {client_id: account})
    return released


# ------------------------------------------------------------------------ standings sweep
# Clients judged per step of the day's sweep (one transaction each).
SWEEP_CHUNK = 500


async def sweep_due(uow: SettlementsUnitOfWork, now: datetime, today: date) -> bool:
    """Whether the standings sweep has something to do (a read, nothing locked)."""
    sweep = await uow.sweeps.state()
    if sweep.day is None or sweep.day < today or (sweep.day == today and not sweep.done):
        return True
    return bool(await uow.sweeps.expired(sweep.expired_to, now))


async def sweep_standings(
    uow: SettlementsUnitOfWork, cfg: Config, now: datetime, today: date
) -> int | None:
    """One step of the standings sweep, which judges again the standings that time alone
    changes; the number of clients judged (None: nothing was left to do).

    * A new business day (or a sweep of the day under way): the next SWEEP_CHUNK clients with
      open invoices, whose overdue days have grown (a standing changes when they cross the
      policy's threshold).
    * Else, the clients whose reservations expired since the last step (their reserved
      amount dropped).

    The sweep's state is locked for the step (one step at a time, whichever replica), then
    each client's account (in client id order, as a batch of checks does) while it is judged.
    A day in the sweep's past (a clock set back) starts no sweep.
    """
    sweep = await uow.sweeps.lock()
    if sweep.day is None or sweep.day < today:
        sweep.day, sweep.after_client, sweep.done = today, "", False
    if sweep.day == today and not sweep.done:
        clients = await uow.sweeps.indebted(sweep.after_client, SWEEP_CHUNK)
        if len(clients) < SWEEP_CHUNK:
            sweep.done = True
        if clients:
            sweep.after_client = clients[-1]
    else:
        clients = await uow.sweeps.expired(sweep.expired_to, now)
        if not clients:
            return None
        sweep.expired_to = now
    if clients:
        accounts = await uow.accounts.lock_many(clients, cfg.default_terms_days, now)
        await _judge_standings(uow, cfg, now, today, accounts)
    await uow.sweeps.save(sweep)
    return len(clients)


# ----------------------------------------------------------------------------------- tare
async def set_container_deposit(
    uow: SettlementsUnitOfWork, now: datetime, container: str, deposit: Decimal, by: str = ""
) -> None:
    await uow.deposits.set(container_type("container_type", container), deposit, now, by)


@dataclass(frozen=True)
class TareCountInput:
    client_id: str
    outlet_id: str
    container_type: str
    quantity: str


def tare_count_document(document: str, client_id: str) -> str:
    return str(uuid.uuid5(TARE_COUNT_NAMESPACE, f"{document}:{client_id}"))


async def record_tare_counts(
    uow: SettlementsUnitOfWork,
    now: datetime,
    document: str,
    counted_on: date,
    counts: Sequence[TareCountInput],
) -> list[tuple[TareBalance, Decimal]]:
    """Each client's balance of each container type brought to the ERP's count, once per count
    document: the balances after, each with its container type's deposit. Every count is
    checked before anything moves."""
    doc = document_id("document_id", document)
    if not counts:
        raise InvalidArgument("counts", "at least one count is required")
    if len(counts) > MAX_COUNTS:
        raise InvalidArgument("counts", f"at most {MAX_COUNTS} counts a call")
    errors: list[str] = []
    checked: list[tuple[str, str, str, Decimal]] = []
    seen: dict[tuple[str, str], int] = {}
    for i, c in enumerate(counts):
        where = f"counts[{i}]"
        try:
            item = (
                require_id(f"{where}.client_id", c.client_id),
                optional_id(f"{where}.outlet_id", c.outlet_id),
                container_type(f"{where}.container_type", c.container_type),
                quantity(f"{where}.quantity", c.quantity),
            )
        except DomainError as exc:
            errors.append(exc.message)
            continue
        key = (item[0], item[2])
        if key in seen:
            errors.append(f"{where}: the same client and container type as counts[{seen[key]}]")
        seen.setdefault(key, i)
        checked.append(item)
    if errors:  # the first named as the field, the others in the message; nothing moved
        field_, _, problem = errors[0].partition(": ")
        more = f" (and {len(errors) - 1} more: {'; '.join(errors[1:6])})" if errors[1:] else ""
        raise InvalidArgument(field_, f"{problem}{more}; nothing was changed")
    deposits = await uow.deposits.get_many({ct for _, _, ct, _ in checked})
    after = []
    for client_id, outlet_id, ct, counted in checked:
        movement_doc = tare_count_document(doc, client_id)
        balance = await uow.tare.balance(client_id, ct)
        if not await uow.tare.counted(movement_doc, ct):
            direction, moved = count_adjustment(balance, counted)
            movement = TareMovement(
                client_id,
                outlet_id,
                ct,
                movement_doc,
                direction,
                moved,
                counted_on,
                DocumentKind.COUNT,
            )
            balance.move(movement, deposits[ct])
            await uow.tare.add_movement(movement, now)
            await uow.tare.save(balance)
        after.append((balance, deposits[ct]))
    return after


@dataclass(frozen=True)
class TareLineInput:
    container_type: str
    direction: Direction | None
    quantity: str


@dataclass(frozen=True)
class TareDocumentInput:
    document_id: str
    date: date
    client_id: str
    outlet_id: str
    lines: tuple[TareLineInput, ...]


def _checked_document(i: int, d: TareDocumentInput) -> list[TareMovement]:
    """A document's lines as the movements they would make (kind ERP_DOCUMENT)."""
    where = f"documents[{i}]"
    doc = document_id(f"{where}.document_id", d.document_id)
    client_id = require_id(f"{where}.client_id", d.client_id)
    outlet_id = optional_id(f"{where}.outlet_id", d.outlet_id)
    limit_items(f"{where}.lines", d.lines, MAX_LINES)
    if not d.lines:
        raise InvalidArgument(f"{where}.lines", "at least one line is required")
    movements: list[TareMovement] = []
    seen: dict[tuple[str, Direction], int] = {}
    for j, line in enumerate(d.lines):
        at = f"{where}.lines[{j}]"
        ct = container_type(f"{at}.container_type", line.container_type)
        if line.direction not in (Direction.ISSUED, Direction.RETURNED):
            raise InvalidArgument(f"{at}.direction", "is required: ISSUED or RETURNED")
        qty = quantity(f"{at}.quantity", line.quantity)
        if qty <= 0:
            raise InvalidArgument(f"{at}.quantity", "must be positive")
        key = (ct, line.direction)
        if key in seen:
            raise InvalidArgument(
                at, f"the same container type and direction as lines[{seen[key]}]"
            )
        seen[key] = j
        movements.append(
            TareMovement(
                client_id,
                outlet_id,
                ct,
                doc,
                line.direction,
                qty,
                d.date,
                DocumentKind.ERP_DOCUMENT,
            )
        )
    return movements


async def record_tare_documents(
    uow: SettlementsUnitOfWork, now: datetime, documents: Sequence[TareDocumentInput]
) -> list[TareMovement]:
    """The ERP's tare documents: each line moves its client's container type once per
    document and direction (a line its document moved before answers that movement; the
    same key with other data is ALREADY_EXISTS). Every document is checked before anything
    moves: each bad one named, nothing moved."""
    if not documents:
        raise InvalidArgument("documents", "at least one document is required")
    if len(documents) > MAX_COUNTS:
        raise InvalidArgument("documents", f"at most {MAX_COUNTS} documents a call")
    errors: list[str] = []
    checked: list[tuple[int, list[TareMovement]]] = []
    ids: dict[str, int] = {}
    for i, d in enumerate(documents):
        try:
            movements = _checked_document(i, d)
        except DomainError as exc:
            errors.append(exc.message)
            continue
        doc = movements[0].document_id
        if doc in ids:
            errors.append(f"documents[{i}].document_id: the same document as documents[{ids[doc]}]")
        ids.setdefault(doc, i)
        checked.append((i, movements))
    if errors:  # the first named as the field, the others in the message; nothing moved
        field_, _, problem = errors[0].partition(": ")
        more = f" (and {len(errors) - 1} more: {'; '.join(errors[1:6])})" if errors[1:] else ""
        raise InvalidArgument(field_, f"{problem}{more}; nothing was changed")
    deposits = await uow.deposits.get_many(
        {m.container_type for _, movements in checked for m in movements}
    )
    made: list[TareMovement] = []
    for i, movements in checked:
        for j, movement in enumerate(movements):
            stored = await uow.tare.movement(
                movement.document_id, movement.container_type, movement.direction
            )
            if stored is None:
                await _apply_movement(uow, movement, deposits[movement.container_type], now)
                made.append(movement)
                continue
            if (stored.client_id, stored.quantity, stored.kind) != (
                movement.client_id,
                movement.quantity,
                movement.kind,
            ):
                raise AlreadyExists(
                    f"documents[{i}].lines[{j}]: document {movement.document_id!r} already "
                    f"moved {stored.container_type} ({stored.direction.value}) with other data"
                )
            made.append(stored)
    return made


# ------------------------------------------------------------------------- orders' events
def van_sale_payment_id(order_id: str) -> str:
    return str(uuid.uuid5(VAN_SALE_CASH_NAMESPACE, order_id))


async def van_sale_completed(
    uow: SettlementsUnitOfWork, cfg: Config, now: datetime, today: date, sale: VanSaleInput
) -> Booking:
    """Invoice of the sale, the cash taken (paid on that invoice), tare issued, reservation
    released. Every part is keyed by the order, so a second copy of the sale adds nothing."""
    order_id = require_id("order.id", sale.order_id)
    client_id = require_id("order.client_id", sale.client_id)
    totals = _sum_containers(sale.containers, "containers")
    gross = amount("order.gross_total", sale.gross_total)
    cash = amount("cash_collected", sale.cash_collected)
    account = await uow.accounts.lock(client_id, cfg.default_terms_days, now)
    result = Booking()
    ledger: ClientLedger | None = None
    if await uow.invoices.find(order_id) is None:
        ledger = await uow.ledgers.load(client_id)
        if gross > 0:
            number = _number(
                InvoiceSource.VAN_SALE,
                await uow.numbers.next(NUMBER_PREFIX[InvoiceSource.VAN_SALE]),
            )
            result.invoice = Invoice.create(
                id=order_id,
                number=number,
                client_id=client_id,
                outlet_id=sale.outlet_id,
                order_id=order_id,
                source=InvoiceSource.VAN_SALE,
                issue_date=sale.order_date,
                due_date=account.due_date(sale.order_date),
                amount_=gross,
                now=now,
                field_="order",
                distributor_id=sale.distributor_id,
            )
            ledger.book_invoice(result.invoice, apply_credits=False)
        payment_id = van_sale_payment_id(order_id)
        if cash > 0 and await uow.payments.find(payment_id) is None:
            receipt = sale.receipt_number.strip() or (
                result.invoice.number if result.invoice else order_id
            )
            result.payment = Payment.create(
                id=payment_id,
                kind=PaymentKind.CASH,
                client_id=client_id,
                outlet_id=sale.outlet_id,
                date_=sale.order_date,
                amount_=cash,
                receipt_number=receipt,
                collected_by=sale.agent_id or sale.van_id,
                now=now,
                source=PaymentSource.VAN_SALE,
                field_="cash_collected",
            )
            named = (NamedAllocation(result.invoice.id, None, "order"),) if result.invoice else ()
            ledger.record_payment(result.payment, named)
        if result.invoice is not None:
            ledger.apply_credits(result.invoice)
        await uow.ledgers.save(ledger, now)
    result.tare_moved = await _move_tare(
        uow,
        client_id=client_id,
        outlet_id=optional_id("order.outlet_id", sale.outlet_id),
        document=order_id,
        direction=Direction.ISSUED,
        kind=DocumentKind.VAN_SALE,
        on=sale.order_date,
        totals=totals,
        now=now,
    )
    result.released = await uow.reservations.release(order_id)
    if ledger is not None and (result.invoice or result.payment):
        await _debt_changed(uow, cfg, account, ledger, now, today)
    elif result.released:
        await _judge_standings(uow, cfg, now, today, {client_id: account})
    if result.payment is not None:
        await _cash_collected(uow, result.payment, now)
    return result


async def return_accepted(
    uow: SettlementsUnitOfWork, cfg: Config, now: datetime, today: date, ret: ReturnInput
) -> Booking:
    """Credit note of the return (paying the sale it names first) and the tare returned."""
    return_id = require_id("goods_return.id", ret.return_id)
    client_id = require_id("goods_return.client_id", ret.client_id)
    order_id = optional_id("goods_return.order_id", ret.order_id)
    totals = _sum_containers(ret.containers, "goods_return.containers")
    gross = amount("goods_return.gross_total", ret.gross_total)
    account = await uow.accounts.lock(client_id, cfg.default_terms_days, now)
    result = Booking()
    ledger: ClientLedger | None = None
    if gross > 0 and await uow.invoices.find(return_id) is None:
        pay_first = await uow.invoices.ids_for_order(order_id) if order_id else []
        ledger = await uow.ledgers.load(client_id, pay_first)
        number = _number(
            InvoiceSource.RETURN, await uow.numbers.next(NUMBER_PREFIX[InvoiceSource.RETURN])
        )
        result.invoice = Invoice.create(
            id=return_id,
            number=number,
            client_id=client_id,
            outlet_id=ret.outlet_id,
            order_id=order_id,
            source=InvoiceSource.RETURN,
            issue_date=ret.date,
            due_date=ret.date,
            amount_=-gross,
            now=now,
            field_="goods_return",
        )
        ledger.book_invoice(result.invoice, pay_first=pay_first)
        await uow.ledgers.save(ledger, now)
    result.tare_moved = await _move_tare(
        uow,
        client_id=client_id,
        outlet_id=optional_id("goods_return.outlet_id", ret.outlet_id),
        document=return_id,
        direction=Direction.RETURNED,
        kind=DocumentKind.RETURN,
        on=ret.date,
        totals=totals,
        now=now,
    )
    if ledger is not None:
        await _debt_changed(uow, cfg, account, ledger, now, today)
    return result


async def order_delivered(
    uow: SettlementsUnitOfWork, cfg: Config, now: datetime, delivery: DeliveryInput
) -> Booking:
    """The containers delivered with a pre-sale order the company fulfilled itself, issued to
    its client and outlet (kind DELIVERY, document = the order id) once per container type: a
    redelivered status change moves nothing. Nothing moves for a distributor's order, nor when
    the ERP's tare documents book deliveries (`cfg.delivery_tare`)."""
    result = Booking()
    if not cfg.delivery_tare.books(delivery.distributor_id):
        return result
    order_id = require_id("order.id", delivery.order_id)
    client_id = require_id("order.client_id", delivery.client_id)
    outlet_id = optional_id("order.outlet_id", delivery.outlet_id)
    totals = _sum_containers(delivery.containers, "delivered_containers")
    result.tare_moved = await _move_tare(
        uow,
        client_id=client_id,
        outlet_id=outlet_id,
        document=order_id,
        direction=Direction.ISSUED,
        kind=DocumentKind.DELIVERY,
        on=delivery.date,
        totals=totals,
        now=now,
    )
    return result


async def order_closed(
    uow: SettlementsUnitOfWork, cfg: Config, now: datetime, today: date, order_id: str
) -> bool:
    """A cancelled or rejected order gives its reserved credit back."""
    oid = require_id("order.id", order_id)
    client_id = await uow.reservations.client_of(oid)
    if client_id is None:
        return False
    return await _release(uow, cfg, now, today, oid, client_id)
