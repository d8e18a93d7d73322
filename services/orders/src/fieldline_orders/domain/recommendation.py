"""Recommended order: what an outlet should order on a day, explained line by line. Pure.

    avg   = Σ base units delivered to the outlet over the last `window_days` days / window_days
    days  = days from the date to the outlet's next contact after it: its next planned visit
            (a FIELD route's schedule) or call (a teleseller's call list, a PHONE route), the
            nearer; the explanation names which (`next_contact_kind`; a visit on a tie)
    need  = avg × days + safety stock (safety_days × avg) − shelf count of the latest audit
    qty   = ceil(need / pack) × pack                       (need ≤ 0: no line)

Must-stock SKUs reported absent in the latest audit that got no line from history are added
at one pack.

The latest audit is used only while it is fresh (`judge_audit`): its day is the device's time
of the audit (else its submit time) in the company's time zone, `age = date − audit day`, and
with `age > ORDERS_SHELF_COUNT_MAX_AGE_DAYS` ("23 days old, over 14") or `age < 0` ("made after
the date") neither its shelf counts nor its must-stock absences are used. A line whose product
the audit counted names the audit's day (`shelf_count_date`) and, when ignored, why (its
formula ends "; shelf count of 2026-03-01 ignored: 23 days old, over 14"). A limit of 0: no
limit (an audit made after the date is still not used).

All arithmetic is Decimal. The average and the safety stock are rounded to 0.001
(ROUND_HALF_UP) *before* they are used, so the formula shown on a line, with the numbers as
printed, reproduces its quantity exactly.

The visit rule is the clients context's (`RouteAssignment.is_due`), re-implemented here
because this context only knows schedules from events: an outlet is due on day d when
d ≥ start date, d's ISO weekday is listed, and the whole weeks between the Monday of the start
week and the Monday of d's week are divisible by the frequency (1, 2 or 4 weeks).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, tzinfo
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation

ZERO = Decimal(0)
ONE = Decimal(1)
PRECISION = Decimal("0.001")
# Without any planned visit after the date: assume a weekly visit.
FALLBACK_DAYS = 7
FREQUENCIES = (1, 2, 4)
# The ordinal after 9999-12-31: no visit is planned past the calendar.
_AFTER_THE_LAST_DAY = date.max.toordinal() + 1


# What a schedule plans: visits (a FIELD route) or calls (a PHONE route, a call list). Either is
# the outlet's next chance to order.
VISIT = "VISIT"
CALL = "CALL"


class Reason(enum.Enum):
    SALES_HISTORY = "sales_history"
    MUST_STOCK = "must_stock"


# ---------------------------------------------------------------------------- visit plan
@dataclass(frozen=True)
class VisitSchedule:
    """One route assignment of the outlet: ISO weekdays of every `frequency`-th week, of
    visits or (a teleseller's call list) of calls."""

    frequency: int  # weeks: 1, 2 or 4
    weekdays: frozenset[int]
    start_date: date
    contact: str = VISIT  # VISIT or CALL

    def __post_init__(self) -> None:
        if self.frequency not in FREQUENCIES:
            raise ValueError(f"frequency must be 1, 2 or 4 weeks, got {self.frequency}")
        if not self.weekdays or not self.weekdays <= frozenset(range(1, 8)):
            raise ValueError(f"weekdays must be a non-empty subset of 1..7, got {self.weekdays}")

    @classmethod
    def from_mask(
        cls, frequency: int, weekday_mask: int, start_date: date, contact: str = VISIT
    ) -> VisitSchedule:
        days = frozenset(d for d in range(1, 8) if weekday_mask & (1 << d))
        return cls(frequency, days, start_date, contact)

    def is_due(self, day: date) -> bool:
        if day < self.start_date or day.isoweekday() not in self.weekdays:
            return False
        start_monday = self.start_date.toordinal() - (self.start_date.isoweekday() - 1)
        day_monday = day.toordinal() - (day.isoweekday() - 1)
        return ((day_monday - start_monday) // 7) % self.frequency == 0

    def next_visit_after(self, day: date) -> date | None:
        """The first due day strictly after `day` (one whole cycle always contains one); None
        when the calendar ends first (a day or a start date near 9999-12-31)."""
        first = max(day.toordinal() + 1, self.start_date.toordinal())
        for ordinal in range(first, min(first + 7 * self.frequency, _AFTER_THE_LAST_DAY)):
            candidate = date.fromordinal(ordinal)
            if self.is_due(candidate):
                return candidate
        return None


def weekday_mask(weekdays: Iterable[int]) -> int:
    return sum(1 << d for d in set(weekdays))


def next_visit(schedules: Iterable[VisitSchedule], after: date) -> date | None:
    """The outlet's next planned contact after `after` over all its routes; None without any."""
    contact = next_contact(schedules, after)
    return contact[0] if contact is not None else None


def next_contact(schedules: Iterable[VisitSchedule], after: date) -> tuple[date, str] | None:
    """The outlet's next planned contact after `after` over all its routes, and its kind
    (VISIT or CALL; a visit when both fall on that day); None without any."""
    planned = ((s.next_visit_after(after), s.contact) for s in schedules)
    # VISIT sorts before CALL: "C" < "V", so the kind is keyed by "is it a call".
    return min(
        ((day, kind) for day, kind in planned if day is not None),
        key=lambda c: (c[0], c[1] == CALL),
        default=None,
    )


# ------------------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class Pack:
    """What a product is recommended in: its pack unit and base units per pack."""

    product_id: str
    sku: str
    unit: str
    size: Decimal


def pack_of(
    product_id: str, sku: str, units: Iterable[Mapping[str, object]], pack_unit: str, base_unit: str
) -> Pack:
    """The pack from the product's units ([{code, name, ratio}, …]); the base unit otherwise.

    A pack unit missing from the units, or with a ratio that is not a positive number (the
    catalog import refuses both), falls back to the base unit so a line is still computable.
    """
    for unit in units:
        if unit.get("code") == pack_unit:
            try:
                ratio = Decimal(str(unit.get("ratio")))
            except (InvalidOperation, ValueError):
                break
            if ratio.is_finite() and ratio > 0:
                return Pack(product_id, sku, pack_unit, ratio)
            break
    return Pack(product_id, sku, base_unit or pack_unit, ONE)


@dataclass(frozen=True)
class Catalog:
    """The orderable products by id, and by SKU for audits (the lowest id where SKUs repeat)."""

    by_id: Mapping[str, Pack]
    by_sku: Mapping[str, Pack]

    @classmethod
    def of(cls, packs: Iterable[Pack]) -> Catalog:
        by_id = {p.product_id: p for p in packs}
        by_sku: dict[str, Pack] = {}
        for pack in sorted(by_id.values(), key=lambda p: p.product_id):
            by_sku.setdefault(pack.sku, pack)
        return cls(by_id, by_sku)


@dataclass(frozen=True)
class ShelfCheck:
    """A must-stock check of the outlet's latest audit."""

    sku: str
    present: bool
    quantity: Decimal | None  # base units counted; None when not counted


@dataclass(frozen=True)
class ShelfAudit:
    """The outlet's latest audit, as judged for a date: used, or why not."""

    audit_id: str
    day: date
    used: bool
    reason: str = ""  # when not used


@dataclass(frozen=True)
class Policy:
    window_days: int
    safety_days: Decimal
    # ORDERS_SHELF_COUNT_MAX_AGE_DAYS: the oldest audit whose counts are used; 0: no limit.
    shelf_max_age_days: int = 0
    # The company's time zone (ORDERS_TIMEZONE): an audit's day.
    tz: tzinfo = UTC

    def __post_init__(self) -> None:
        if self.window_days < 1:
            raise ValueError("the recommendation window must be at least one day")
        if self.safety_days < 0:
            raise ValueError("safety days must not be negative")
        if self.shelf_max_age_days < 0:
            raise ValueError("the shelf count age limit must not be negative")

    def audit_day(self, performed_at: datetime | None, submitted_at: datetime) -> date:
        """The audit's day: the device's time of it, else its submit time, in the company's
        time zone."""
        return (performed_at or submitted_at).astimezone(self.tz).date()

    def judge_audit(self, audit_id: str, audit_day: date, day: date) -> ShelfAudit:
        """Whether the audit of `audit_day` may stand for the shelf on `day`."""
        age = (day - audit_day).days
        limit = self.shelf_max_age_days
        if age < 0:
            return ShelfAudit(audit_id, audit_day, False, "made after the date")
        if limit and age > limit:
            return ShelfAudit(audit_id, audit_day, False, f"{age} days old, over {limit}")
        return ShelfAudit(audit_id, audit_day, True)


# ------------------------------------------------------------------------------- output
@dataclass(frozen=True)
class Explanation:
    sold_quantity: Decimal
    window_days: int
    average_daily_sales: Decimal
    days_until_next_visit: int
    next_visit: date | None  # None: no planned visit, FALLBACK_DAYS used
    safety_stock: Decimal
    shelf_quantity: Decimal | None
    pack_size: Decimal
    formula: str
    # The day of the audit that counted the product, used or not; None: not counted.
    shelf_count_date: date | None = None
    shelf_ignored_reason: str = ""  # why that count was not used
    next_contact_kind: str = ""  # VISIT or CALL: what `next_visit` is; "" with no contact


@dataclass(frozen=True)
class Upcoming:
    """The days a recommendation covers: to the next contact (`day`, of `kind`), or the
    fallback."""

    days: int
    day: date | None
    kind: str

    def explain(
        self,
        sold: Decimal,
        window_days: int,
        average: Decimal,
        safety: Decimal,
        shelf: Decimal | None,
        pack_size: Decimal,
        formula: str,
    ) -> Explanation:
        return Explanation(
            sold,
            window_days,
            average,
            self.days,
            self.day,
            safety,
            shelf,
            pack_size,
            formula,
            next_contact_kind=self.kind,
        )


@dataclass(frozen=True)
class RecommendedLine:
    product_id: str
    sku: str
    quantity: Decimal  # in packs
    unit: str
    base_quantity: Decimal
    reason: Reason
    explanation: Explanation


@dataclass(frozen=True)
class OutletRecommendation:
    outlet_id: str
    day: date
    lines: list[RecommendedLine]
    shelf_audit: ShelfAudit | None = None  # the outlet's latest audit, None without one


@functools.lru_cache(maxsize=65536)  # an agent's figures repeat a lot (packs, averages)
def fmt(value: Decimal) -> str:
    """A Decimal as plain text without trailing zeros or exponent: 2.500 → 2.5, 1E+2 → 100."""
    text = format((value + 0).normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _round(value: Decimal) -> Decimal:
    return value.quantize(PRECISION, rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------------- algorithm
def recommend(
    day: date,
    policy: Policy,
    *,
    sold: Mapping[str, Decimal],
    catalog: Catalog,
    shelf: Iterable[ShelfCheck],
    schedules: Iterable[VisitSchedule],
    audit: ShelfAudit | None = None,
) -> list[RecommendedLine]:
    """The recommended lines of one outlet for `day`.

    `sold`: base units delivered per product id over the window; `catalog`: the orderable
    products (products missing there, e.g. inactive ones, get no line); `shelf`: the
    must-stock checks of the outlet's latest audit, `audit` that audit as judged for `day`
    (`Policy.judge_audit`; not used: its checks count for nothing); `schedules`: the outlet's
    assignments. History lines come first, then must-stock lines, each group ordered by SKU.
    """
    contact = next_contact(schedules, day)
    if contact is None:
        visit, kind, days = None, "", FALLBACK_DAYS
        days_note = (
            f"; no planned visit or call after {day.isoformat()}: {FALLBACK_DAYS}-day fallback"
        )
    else:
        (visit, kind), days = contact, (contact[0] - day).days
        days_note = "; next contact a call" if kind == CALL else ""
    upcoming = Upcoming(days, visit, kind)
    counted = {c.sku: c for c in shelf}
    ignored = audit is not None and not audit.used
    checks = {} if ignored else counted

    history: list[RecommendedLine] = []
    covered: set[str] = set()
    for product_id, quantity in sold.items():
        pack = catalog.by_id.get(product_id)
        if pack is None or quantity <= 0:
            continue
        check = checks.get(pack.sku)
        line = _history_line(policy, pack, quantity, upcoming, check, days_note)
        if line is not None:
            if audit is not None and pack.sku in counted:
                line = _dated(line, audit)
            history.append(line)
            covered.add(pack.sku)

    must_stock: list[RecommendedLine] = []
    for check in checks.values():
        if check.present or check.sku in covered:
            continue
        pack = catalog.by_sku.get(check.sku)
        if pack is None:
            continue  # a SKU this catalog does not sell (or no longer does)
        line = _must_stock_line(policy, pack, sold.get(pack.product_id, ZERO), upcoming, check)
        must_stock.append(_dated(line, audit) if audit is not None else line)

    history.sort(key=lambda line: (line.sku, line.product_id))
    must_stock.sort(key=lambda line: (line.sku, line.product_id))
    return history + must_stock


def _dated(line: RecommendedLine, audit: ShelfAudit) -> RecommendedLine:
    """The line naming the audit that counted its product (and why it was ignored)."""
    e = line.explanation
    if audit.used:
        return replace(line, explanation=replace(e, shelf_count_date=audit.day))
    note = f"; shelf count of {audit.day.isoformat()} ignored: {audit.reason}"
    explanation = replace(
        e,
        shelf_count_date=audit.day,
        shelf_ignored_reason=audit.reason,
        formula=e.formula + note,
    )
    return replace(line, explanation=explanation)


def _history_line(
    policy: Policy,
    pack: Pack,
    sold: Decimal,
    upcoming: Upcoming,
    check: ShelfCheck | None,
    days_note: str,
) -> RecommendedLine | None:
    days = upcoming.days
    average = _round(sold / policy.window_days)
    safety = _round(policy.safety_days * average)
    shelf = check.quantity if check is not None else None
    need = average * days + safety - (shelf or ZERO)
    if need <= 0:
        return None
    packs = (need / pack.size).to_integral_value(rounding=ROUND_CEILING)
    base = packs * pack.size
    shelf_term = f" − {fmt(shelf)}" if shelf is not None else ""
    formula = (
        f"ceil(({fmt(average)} × {days} + {fmt(safety)}{shelf_term}) / {fmt(pack.size)})"
        f" × {fmt(pack.size)} = {fmt(base)}{days_note}"
    )
    explanation = upcoming.explain(
        sold, policy.window_days, average, safety, shelf, pack.size, formula
    )
    return RecommendedLine(
        pack.product_id, pack.sku, packs, pack.unit, base, Reason.SALES_HISTORY, explanation
    )


def _must_stock_line(
    policy: Policy,
    pack: Pack,
    sold: Decimal,
    upcoming: Upcoming,
    check: ShelfCheck,
) -> RecommendedLine:
    average = _round(sold / policy.window_days)
    safety = _round(policy.safety_days * average)
    formula = (
        f"must-stock SKU {pack.sku} absent in the latest audit: 1 × {fmt(pack.size)}"
        f" = {fmt(pack.size)}"
    )
    explanation = upcoming.explain(
        sold, policy.window_days, average, safety, check.quantity, pack.size, formula
    )
    return RecommendedLine(
        pack.product_id, pack.sku, ONE, pack.unit, pack.size, Reason.MUST_STOCK, explanation
    )
