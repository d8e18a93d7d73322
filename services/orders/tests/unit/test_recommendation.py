"""The recommended-order algorithm (domain/recommendation.py): pure, no I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldline_orders.domain.recommendation import (
    CALL,
    FALLBACK_DAYS,
    VISIT,
    Catalog,
    Pack,
    Policy,
    Reason,
    RecommendedLine,
    ShelfAudit,
    ShelfCheck,
    VisitSchedule,
    fmt,
    next_contact,
    next_visit,
    pack_of,
    recommend,
    weekday_mask,
)

D = Decimal
MONDAY = date(2024, 5, 13)
POLICY = Policy(window_days=56, safety_days=D("2"))
WEEKLY_MONDAY = VisitSchedule(1, frozenset({1}), date(2024, 1, 1))  # next visit: 7 days

WATER = Pack("p-water", "SKU-WATER", "box", D(6))
JUICE = Pack("p-juice", "SKU-JUICE", "case", D(12))
CHIPS = Pack("p-chips", "SKU-CHIPS", "pcs", D(1))
CATALOG = Catalog.of([WATER, JUICE, CHIPS])


def run(
    sold: dict[str, Decimal] | None = None,
    shelf: list[ShelfCheck] | None = None,
    schedules: list[VisitSchedule] | None = None,
    catalog: Catalog = CATALOG,
    day: date = MONDAY,
    policy: Policy = POLICY,
) -> list[RecommendedLine]:
    return recommend(
        day,
        policy,
        sold=sold or {},
        catalog=catalog,
        shelf=shelf or [],
        schedules=[WEEKLY_MONDAY] if schedules is None else schedules,
    )


# ---------------------------------------------------------------------------- history
def test_history_only_average_times_days_plus_safety_rounded_up_to_the_pack() -> None:
    # avg = 140 / 56 = 2.5; days = 7; safety = 2 × 2.5 = 5; need 22.5 → ceil(3.75) = 4 packs
    [line] = run(sold={"p-water": D(140)})
    assert line.product_id == "p-water"
    assert line.reason is Reason.SALES_HISTORY
    assert (line.quantity, line.unit, line.base_quantity) == (D(4), "box", D(24))
    e = line.explanation
    assert (e.sold_quantity, e.window_days, e.average_daily_sales) == (D(140), 56, D("2.5"))
    assert (e.days_until_next_visit, e.next_visit) == (7, date(2024, 5, 20))
    assert (e.safety_stock, e.shelf_quantity, e.pack_size) == (D(5), None, D(6))
    assert e.formula == "ceil((2.5 × 7 + 5) / 6) × 6 = 24"


def test_shelf_count_of_the_latest_audit_is_subtracted() -> None:
    # need = 17.5 + 5 − 12 = 10.5 → 2 packs of 6
    shelf = [ShelfCheck("SKU-WATER", True, D(12))]
    [line] = run(sold={"p-water": D(140)}, shelf=shelf)
    assert (line.quantity, line.base_quantity) == (D(2), D(12))
    assert line.explanation.shelf_quantity == D(12)
    assert line.explanation.formula == "ceil((2.5 × 7 + 5 − 12) / 6) × 6 = 12"


@pytest.mark.parametrize("on_shelf", [D("22.5"), D(23), D(500)])
def test_shelf_count_covering_the_need_gives_no_line(on_shelf: Decimal) -> None:
    assert run(sold={"p-water": D(140)}, shelf=[ShelfCheck("SKU-WATER", True, on_shelf)]) == []


def test_a_shelf_check_without_a_count_subtracts_nothing() -> None:
    [line] = run(sold={"p-water": D(140)}, shelf=[ShelfCheck("SKU-WATER", True, None)])
    assert line.base_quantity == D(24)
    assert line.explanation.shelf_quantity is None


@pytest.mark.parametrize(
    ("pack", "sold", "packs", "base"),
    [
        (WATER, D(140), D(4), D(24)),  # need 22.5 → ceil(22.5 / 6) = 4 boxes of 6
        (JUICE, D(140), D(2), D(24)),  # need 22.5 → ceil(22.5 / 12) = 2 cases of 12
        (JUICE, D(56), D(1), D(12)),  # avg 1: need 7 + 2 = 9 → 1 case
        (JUICE, D(96), D(2), D(24)),  # avg 1.714: need 11.998 + 3.428 = 15.426 → 2 cases
        (WATER, D(48), D(2), D(12)),  # avg 0.857: need 5.999 + 1.714 = 7.713 → 2 boxes
        (CHIPS, D(140), D(23), D(23)),  # pack of 1: ceil(22.5) = 23
    ],
)
def test_rounding_up_to_the_pack(pack: Pack, sold: Decimal, packs: Decimal, base: Decimal) -> None:
    [line] = run(sold={pack.product_id: sold})
    assert (line.quantity, line.base_quantity, line.unit) == (packs, base, pack.unit)
    assert line.base_quantity == line.quantity * pack.size
    e = line.explanation
    need = e.average_daily_sales * e.days_until_next_visit + e.safety_stock
    assert need <= line.base_quantity < need + pack.size


def test_an_exact_multiple_of_the_pack_is_not_rounded_further() -> None:
    # avg 2, days 4 (Monday → Friday), safety 4: need 12 = 2 packs of 6 exactly
    friday = VisitSchedule(1, frozenset({5}), date(2024, 1, 1))
    [line] = run(sold={"p-water": D(112)}, schedules=[friday])
    assert (line.quantity, line.base_quantity) == (D(2), D(12))
    assert line.explanation.formula == "ceil((2 × 4 + 4) / 6) × 6 = 12"


def test_decimal_figures_are_rounded_before_use_so_the_formula_reproduces_the_quantity() -> None:
    # 10 / 56 = 0.17857… → 0.179; safety 2 × 0.179 = 0.358; 0.179 × 7 + 0.358 = 1.611 → 2
    [line] = run(sold={"p-chips": D(10)})
    e = line.explanation
    assert (e.average_daily_sales, e.safety_stock) == (D("0.179"), D("0.358"))
    assert e.formula == "ceil((0.179 × 7 + 0.358) / 1) × 1 = 2"
    for value in (line.quantity, line.base_quantity, e.average_daily_sales, e.safety_stock):
        assert isinstance(value, Decimal)


def test_fractional_safety_days_and_fractional_packs() -> None:
    kilo = Pack("p-cheese", "SKU-CHEESE", "half-kg", D("0.5"))
    policy = Policy(window_days=28, safety_days=D("1.5"))
    # avg = 7 / 28 = 0.25; safety = 0.375; need = 0.25 × 7 + 0.375 = 2.125 → 5 × 0.5 = 2.5
    [line] = run(sold={"p-cheese": D(7)}, catalog=Catalog.of([kilo]), policy=policy)
    assert (line.quantity, line.base_quantity) == (D(5), D("2.5"))
    assert line.explanation.formula == "ceil((0.25 × 7 + 0.375) / 0.5) × 0.5 = 2.5"


def test_products_outside_the_catalog_get_no_line() -> None:
    # e.g. a product made inactive since it was sold
    assert run(sold={"p-gone": D(500)}) == []


def test_lines_are_ordered_history_first_then_must_stock_each_by_sku() -> None:
    lines = run(
        sold={"p-water": D(140), "p-chips": D(56)},
        shelf=[ShelfCheck("SKU-JUICE", False, None)],
    )
    assert [(line.sku, line.reason) for line in lines] == [
        ("SKU-CHIPS", Reason.SALES_HISTORY),
        ("SKU-WATER", Reason.SALES_HISTORY),
        ("SKU-JUICE", Reason.MUST_STOCK),
    ]


# ------------------------------------------------------------------------- must-stock
def test_must_stock_sku_absent_without_history_is_added_at_one_pack() -> None:
    [line] = run(shelf=[ShelfCheck("SKU-JUICE", False, None)])
    assert line.reason is Reason.MUST_STOCK
    assert (line.product_id, line.quantity, line.unit, line.base_quantity) == (
        "p-juice",
        D(1),
        "case",
        D(12),
    )
    assert line.explanation.formula == (
        "must-stock SKU SKU-JUICE absent in the latest audit: 1 × 12 = 12"
    )
    assert line.explanation.sold_quantity == D(0)


def test_must_stock_sku_already_recommended_from_history_is_not_added_twice() -> None:
    lines = run(sold={"p-water": D(140)}, shelf=[ShelfCheck("SKU-WATER", False, D(0))])
    assert [(line.product_id, line.reason) for line in lines] == [("p-water", Reason.SALES_HISTORY)]
    assert lines[0].base_quantity == D(24)


def test_must_stock_sku_whose_history_gives_no_line_still_gets_one_pack() -> None:
    # Reported absent while a (stale) count covers the history need: one pack anyway.
    lines = run(sold={"p-water": D(140)}, shelf=[ShelfCheck("SKU-WATER", False, D(100))])
    assert [(line.product_id, line.reason, line.base_quantity) for line in lines] == [
        ("p-water", Reason.MUST_STOCK, D(6))
    ]


def test_present_and_unknown_must_stock_skus_add_nothing() -> None:
    shelf = [ShelfCheck("SKU-JUICE", True, D(3)), ShelfCheck("SKU-NOT-SOLD-HERE", False, None)]
    assert run(shelf=shelf) == []


def test_no_history_gives_only_must_stock_lines() -> None:
    shelf = [
        ShelfCheck("SKU-WATER", False, None),
        ShelfCheck("SKU-JUICE", True, D(4)),
        ShelfCheck("SKU-CHIPS", False, D(0)),
    ]
    lines = run(shelf=shelf)
    assert [(line.sku, line.reason, line.base_quantity) for line in lines] == [
        ("SKU-CHIPS", Reason.MUST_STOCK, D(1)),
        ("SKU-WATER", Reason.MUST_STOCK, D(6)),
    ]


def test_no_history_and_no_audit_gives_nothing() -> None:
    assert run() == []


def test_a_sku_sold_as_several_products_maps_to_the_lowest_product_id() -> None:
    catalog = Catalog.of([Pack("p-b", "SKU-X", "box", D(6)), Pack("p-a", "SKU-X", "box", D(4))])
    [line] = run(shelf=[ShelfCheck("SKU-X", False, None)], catalog=catalog)
    assert (line.product_id, line.base_quantity) == ("p-a", D(4))


# ---------------------------------------------------------------------------- next visit
def test_days_until_the_next_visit_strictly_after_the_date() -> None:
    mon_thu = VisitSchedule(1, frozenset({1, 4}), date(2024, 1, 1))
    assert mon_thu.is_due(MONDAY)  # the date itself is a visit day, but the next one counts
    [line] = run(sold={"p-water": D(140)}, schedules=[mon_thu])
    assert (line.explanation.days_until_next_visit, line.explanation.next_visit) == (
        3,
        date(2024, 5, 16),
    )
    # 2.5 × 3 + 5 = 12.5 → 3 packs of 6
    assert line.explanation.formula == "ceil((2.5 × 3 + 5) / 6) × 6 = 18"


def test_the_next_contact_is_the_nearer_of_visits_and_calls() -> None:
    """A call list's schedule (CALL) counts as a chance to order: the nearer contact wins, a
    visit on a tie; without any schedule, none."""
    thursday_call = VisitSchedule(1, frozenset({4}), date(2024, 1, 1), CALL)
    assert next_contact([WEEKLY_MONDAY, thursday_call], MONDAY) == (date(2024, 5, 16), CALL)
    monday_call = VisitSchedule(1, frozenset({1}), date(2024, 1, 1), CALL)
    assert next_contact([monday_call, WEEKLY_MONDAY], MONDAY) == (date(2024, 5, 20), VISIT)
    assert next_contact([], MONDAY) is None
    sold = {WATER.product_id: D(140)}
    [line] = recommend(
        MONDAY, POLICY, sold=sold, catalog=CATALOG, shelf=[], schedules=[thursday_call]
    )
    e = line.explanation
    assert (e.days_until_next_visit, e.next_contact_kind) == (3, CALL)
    assert e.formula == "ceil((2.5 × 3 + 5) / 6) × 6 = 18; next contact a call"
    [fallback] = recommend(MONDAY, POLICY, sold=sold, catalog=CATALOG, shelf=[], schedules=[])
    assert (fallback.explanation.next_contact_kind, fallback.explanation.next_visit) == ("", None)


def test_weekly() -> None:
    weekly_wed = VisitSchedule(1, frozenset({3}), date(2024, 3, 6))
    assert next_visit([weekly_wed], MONDAY) == date(2024, 5, 15)
    assert next_visit([weekly_wed], date(2024, 5, 15)) == date(2024, 5, 22)


def test_every_2_weeks_counts_weeks_from_the_start_week() -> None:
    # Start Monday 6 May (week 0): due 6 May, 20 May, 3 June …
    every2 = VisitSchedule(2, frozenset({1}), date(2024, 5, 6))
    assert next_visit([every2], MONDAY) == date(2024, 5, 20)  # 13 May is in week 1
    assert next_visit([every2], date(2024, 5, 20)) == date(2024, 6, 3)
    # A start mid-week: weeks are counted Monday to Monday, so Monday of week 0 is skipped
    # (before the start) and the next Monday visited is in week 2.
    mid = VisitSchedule(2, frozenset({1, 5}), date(2024, 5, 8))
    assert next_visit([mid], date(2024, 5, 7)) == date(2024, 5, 10)
    assert next_visit([mid], date(2024, 5, 10)) == date(2024, 5, 20)


def test_every_4_weeks() -> None:
    # Start Monday 29 April, Wednesdays: due 1 May, 29 May, 26 June
    every4 = VisitSchedule(4, frozenset({3}), date(2024, 4, 29))
    assert next_visit([every4], MONDAY) == date(2024, 5, 29)
    assert next_visit([every4], date(2024, 5, 1)) == date(2024, 5, 29)
    [line] = run(sold={"p-chips": D(56)}, schedules=[every4])
    assert line.explanation.days_until_next_visit == 16
    assert line.explanation.formula == "ceil((1 × 16 + 2) / 1) × 1 = 18"


def test_a_start_date_in_the_future_is_the_first_possible_visit() -> None:
    later = VisitSchedule(1, frozenset({1, 3}), date(2024, 6, 5))
    assert next_visit([later], MONDAY) == date(2024, 6, 5)


def test_several_routes_the_nearest_visit_wins() -> None:
    schedules = [
        VisitSchedule(4, frozenset({1}), date(2024, 5, 13)),
        VisitSchedule(2, frozenset({5}), date(2024, 5, 6)),  # Fri 10 May week 0, Fri 24 May
        VisitSchedule(1, frozenset({7}), date(2024, 5, 1)),  # Sun 19 May
    ]
    assert next_visit(schedules, MONDAY) == date(2024, 5, 19)


def test_without_any_planned_visit_the_weekly_fallback_is_used_and_said() -> None:
    [line] = run(sold={"p-water": D(140)}, schedules=[])
    assert (line.explanation.days_until_next_visit, line.explanation.next_visit) == (
        FALLBACK_DAYS,
        None,
    )
    assert line.explanation.formula == (
        "ceil((2.5 × 7 + 5) / 6) × 6 = 24; "
        "no planned visit or call after 2024-05-13: 7-day fallback"
    )


def _oracle_due(s: VisitSchedule, day: date) -> bool:
    if day < s.start_date or day.isoweekday() not in s.weekdays:
        return False
    start_week_monday = s.start_date - timedelta(days=s.start_date.weekday())
    day_week_monday = day - timedelta(days=day.weekday())
    return ((day_week_monday - start_week_monday).days // 7) % s.frequency == 0


schedules_st = st.builds(
    VisitSchedule,
    st.sampled_from([1, 2, 4]),
    st.frozensets(st.integers(1, 7), min_size=1),
    st.dates(date(2023, 1, 1), date(2025, 12, 31)),
)


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(schedules_st, st.dates(date(2023, 1, 1), date(2025, 12, 31)))
def test_next_visit_is_the_first_due_day_after_the_date(s: VisitSchedule, day: date) -> None:
    found = s.next_visit_after(day)
    assert found > day
    assert s.is_due(found) and _oracle_due(s, found)
    probe = day + timedelta(days=1)
    while probe < found:
        assert not _oracle_due(s, probe)
        probe += timedelta(days=1)


def test_weekday_mask_round_trip() -> None:
    assert weekday_mask([1, 4, 4]) == 0b10010
    s = VisitSchedule.from_mask(2, weekday_mask([1, 7]), MONDAY)
    assert s.weekdays == frozenset({1, 7})
    with pytest.raises(ValueError, match="weekdays"):
        VisitSchedule.from_mask(1, 0, MONDAY)
    with pytest.raises(ValueError, match="frequency"):
        VisitSchedule(3, frozenset({1}), MONDAY)


# --------------------------------------------------------------------------- inputs/format
def test_pack_from_the_products_units() -> None:
    units = [
        {"code": "pcs", "name": "Штука", "ratio": "1"},
        {"code": "box", "name": "Коробка", "ratio": "12"},
    ]
    assert pack_of("p", "S", units, "box", "pcs") == Pack("p", "S", "box", D(12))
    assert pack_of("p", "S", [{"code": "kg", "ratio": 0.5}], "kg", "kg").size == D("0.5")
    # pack unit unknown or unusable: the base unit
    assert pack_of("p", "S", units, "pallet", "pcs") == Pack("p", "S", "pcs", D(1))
    assert pack_of("p", "S", [{"code": "box", "ratio": "0"}], "box", "pcs").unit == "pcs"
    assert pack_of("p", "S", [{"code": "box", "ratio": "x"}], "box", "pcs").size == D(1)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("2.500"), "2.5"),
        (D("24.000"), "24"),
        (D("1E+2"), "100"),
        (D("-0.000"), "0"),
        (D("0.179"), "0.179"),
        (D("-7.50"), "-7.5"),
    ],
)
def test_fmt(value: Decimal, text: str) -> None:
    assert fmt(value) == text


def test_policy_bounds() -> None:
    with pytest.raises(ValueError, match="window"):
        Policy(0, D(2))
    with pytest.raises(ValueError, match="safety"):
        Policy(56, D(-1))


# ------------------------------------------------------------------------- stale shelf counts
FOURTEEN = Policy(window_days=56, safety_days=D("2"), shelf_max_age_days=14)
SHELF = [ShelfCheck("SKU-WATER", True, D(12)), ShelfCheck("SKU-JUICE", False, None)]


def run_audited(
    age: int, policy: Policy = FOURTEEN, sold: dict[str, Decimal] | None = None
) -> tuple[ShelfAudit, list[RecommendedLine]]:
    audit = policy.judge_audit("a-1", MONDAY - timedelta(days=age), MONDAY)
    return audit, recommend(
        MONDAY,
        policy,
        sold=sold or {"p-water": D(140)},
        catalog=CATALOG,
        shelf=SHELF,
        schedules=[WEEKLY_MONDAY],
        audit=audit,
    )


@pytest.mark.parametrize("age", [0, 1, 14])
def test_an_audit_up_to_the_limit_is_used(age: int) -> None:
    audit, lines = run_audited(age)
    assert (audit.used, audit.reason) == (True, "")
    water, juice = lines
    assert water.explanation.shelf_quantity == D(12)  # counted: 17.5 + 5 − 12 → 2 packs
    assert water.quantity == D(2)
    assert water.explanation.formula == "ceil((2.5 × 7 + 5 − 12) / 6) × 6 = 12"
    assert juice.reason is Reason.MUST_STOCK
    for line in lines:
        assert line.explanation.shelf_count_date == MONDAY - timedelta(days=age)
        assert line.explanation.shelf_ignored_reason == ""


def test_an_audit_over_the_limit_is_ignored_counts_and_must_stock_absences_alike() -> None:
    audit, lines = run_audited(15)
    assert (audit.used, audit.reason) == (False, "15 days old, over 14")
    [water] = lines  # no must-stock line from the ignored audit
    e = water.explanation
    assert (water.quantity, e.shelf_quantity) == (D(4), None)  # as without any count
    assert (e.shelf_count_date, e.shelf_ignored_reason) == (
        date(2024, 4, 28),
        "15 days old, over 14",
    )
    assert e.formula == (
        "ceil((2.5 × 7 + 5) / 6) × 6 = 24; shelf count of 2024-04-28 ignored: 15 days old, over 14"
    )


def test_an_audit_made_after_the_date_is_ignored_whatever_the_limit() -> None:
    for policy in (FOURTEEN, POLICY):  # POLICY: no limit
        audit, lines = run_audited(-1, policy)
        assert (audit.used, audit.reason) == (False, "made after the date")
        [water] = lines
        assert water.explanation.shelf_ignored_reason == "made after the date"


def test_no_limit_uses_any_past_audit() -> None:
    audit, lines = run_audited(400, POLICY)
    assert audit.used and len(lines) == 2


def test_a_product_the_audit_did_not_count_names_no_audit() -> None:
    _, [chips] = run_audited(20, sold={"p-chips": D(56)})
    assert chips.explanation.shelf_count_date is None
    assert chips.explanation.formula == "ceil((1 × 7 + 2) / 1) × 1 = 9"


def test_the_audit_day_is_the_device_time_else_the_submit_time_in_the_company_zone() -> None:
    moscow = Policy(56, D(2), 14, ZoneInfo("Europe/Moscow"))
    late_evening = datetime(2024, 4, 28, 22, 30, tzinfo=UTC)  # 29 April, 01:30 in Moscow
    submitted = datetime(2024, 5, 10, 9, 0, tzinfo=UTC)
    assert moscow.audit_day(late_evening, submitted) == date(2024, 4, 29)
    assert moscow.audit_day(None, submitted) == date(2024, 5, 10)
    assert FOURTEEN.audit_day(late_evening, submitted) == date(2024, 4, 28)  # UTC by default


def test_a_negative_age_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="age limit"):
        Policy(56, D(2), -1)
