"""The own format round-trips: any records the format can carry, written, are a valid file
that reads back equal (and writes back byte for byte the same). Records are generated with
hypothesis, for each section alone and mixed; text reaches into the whole of Unicode that
XML can carry (no-break spaces, astral characters, markup characters)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldline_exchange.adapters import own_format
from fieldline_exchange.domain.own_records import (
    Allocation,
    CreditLimit,
    DebtPolicy,
    Employee,
    Invoice,
    OwnRecord,
    Payment,
    PaymentKind,
    PolicyMode,
    Role,
    RouteAssignment,
    Stage,
    TareBalance,
    TareDirection,
    TareDocument,
    TareLine,
)

# ---------------------------------------------------------------- strategies

# Characters XML 1.0 carries, but its whitespace other than the space (a token holds none).
_CHAR = st.characters(
    min_codepoint=0x20, exclude_categories=("Cs",), exclude_characters="\ufffe\uffff"
)


def _token(max_size: int) -> st.SearchStrategy[str]:
    """An xs:token as the schema normalises it: no space at an end, none doubled."""
    return (
        st.text(_CHAR, min_size=1, max_size=max_size)
        .map(lambda s: " ".join(part for part in s.split(" ") if part))
        .filter(lambda s: 1 <= len(s) <= max_size)
    )


ids = st.one_of(_token(64), st.from_regex(r"[0-9A-Za-z-]{1,64}", fullmatch=True))
optional_ids = st.none() | ids
names = _token(300)
currencies = st.from_regex(r"[A-Z]{3}", fullmatch=True)
days = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
MAX = Decimal("9999999999999999.99")
amounts = st.one_of(
    st.decimals(min_value=0, max_value=MAX, places=2),
    st.integers(min_value=0, max_value=10**16 - 1).map(Decimal),
    st.sampled_from([Decimal("0"), Decimal("0.00"), Decimal("-0"), Decimal("1E+2"), MAX]),
)
positive_amounts = amounts.filter(lambda d: d > 0)
phones = st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True)
employee_roles = [r for r in Role if r is not Role.ADMIN]
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda m: timezone(timedelta(minutes=m))
)
moments = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=offsets
)

invoices = st.builds(
    Invoice,
    external_id=ids,
    number=ids,
    client_id=ids,
    outlet_id=optional_ids,
    order_id=optional_ids,
    issue_date=days,
    due_date=days,
    amount=amounts,
    open_amount=amounts,
    currency=currencies,
)
allocations = st.lists(
    st.builds(Allocation, invoice_id=ids, amount=positive_amounts),
    max_size=5,
    unique_by=lambda a: a.invoice_id,
).map(tuple)
payments = st.builds(
    Payment,
    external_id=ids,
    kind=st.sampled_from(PaymentKind),
    client_id=ids,
    outlet_id=optional_ids,
    date=days,
    amount=positive_amounts,
    currency=currencies,
    receipt_number=optional_ids,
    collected_by=optional_ids,
    allocations=allocations,
)
tare_balances = st.builds(
    TareBalance,
    client_id=ids,
    outlet_id=optional_ids,
    container=ids,
    quantity=st.integers(min_value=0, max_value=999_999_999),
    deposit_amount=amounts,
    currency=currencies,
)
credit_limits = st.builds(CreditLimit, client_id=ids, amount=amounts, currency=currencies)
debt_policies = st.builds(
    DebtPolicy,
    client_id=optional_ids,
    mode=st.sampled_from(PolicyMode),
    check_credit_limit=st.booleans(),
    max_overdue_days=st.none() | st.integers(min_value=0, max_value=9999),
    stages=st.lists(st.sampled_from(Stage), min_size=1, max_size=2, unique=True).map(tuple),
    override_roles=st.lists(st.sampled_from(Role), max_size=8, unique=True).map(tuple),
)
employees = st.builds(
    Employee,
    external_id=ids,
    name=names,
    roles=st.lists(st.sampled_from(employee_roles), min_size=1, max_size=7, unique=True).map(tuple),
    phone=st.none() | phones,
    supervisor_id=optional_ids,
    active=st.booleans(),
)
route_assignments = st.builds(
    RouteAssignment,
    route_id=ids,
    employee_id=ids,
    valid_from=days,
    valid_to=st.none() | days,
)

tare_documents = st.builds(
    TareDocument,
    external_id=ids,
    date=days,
    client_id=ids,
    outlet_id=optional_ids,
    order_id=optional_ids,
    lines=st.lists(
        st.builds(
            TareLine,
            container=ids,
            direction=st.sampled_from(TareDirection),
            quantity=st.integers(min_value=1, max_value=999_999_999),
        ),
        min_size=1,
        max_size=5,
        unique_by=lambda line: (line.container, line.direction),
    ).map(tuple),
)

SECTIONS: dict[str, st.SearchStrategy[OwnRecord]] = {
    "invoices": invoices,
    "payments": payments,
    "tare-balances": tare_balances,
    "credit-limits": credit_limits,
    "debt-policies": debt_policies,
    "employees": employees,
    "route-assignments": route_assignments,
    "tare-documents": tare_documents,
}


def _key(record: OwnRecord) -> object:
    """What the schema keeps unique among a file's records of a kind."""
    match record:
        case Invoice() | Payment() | Employee() | TareDocument():
            return (type(record), record.external_id)
        case TareBalance():
            return (type(record), record.client_id, record.outlet_id, record.container)
        case CreditLimit() | DebtPolicy():
            return (type(record), record.client_id)
        case RouteAssignment():
            return (type(record), record.route_id, record.valid_from)
    raise AssertionError(record)


def _files(strategy: st.SearchStrategy[OwnRecord]) -> st.SearchStrategy[list[OwnRecord]]:
    return st.lists(strategy, min_size=1, max_size=8, unique_by=_key)


# ---------------------------------------------------------------- properties

ROUND_TRIP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _round_trip(records: list[OwnRecord], created: datetime, folder: Path) -> None:
    path = folder / "own.xml"
    written = own_format.write(records, path, partner="erp-main", created=created)

    assert written == len(records)
    assert own_format.validate(path) is None
    assert list(own_format.read(path)) == records
    header = own_format.read_header(path)
    assert (header.version, header.partner) == (own_format.VERSION, "erp-main")
    assert header.created == created and header.created.utcoffset() == created.utcoffset()
    again = io.BytesIO()
    own_format.write(own_format.read(path), again, partner="erp-main", created=created)
    assert again.getvalue() == path.read_bytes()
    # Records 1.0 carries, written as 1.0: valid against the 1.0 schema, read back equal.
    if all(own_format.minor_needed(r) == "1.0" for r in records):
        old = folder / "own-1.0.xml"
        own_format.write(records, old, partner="erp-main", created=created, version="1.0")
        assert own_format.read_header(old).version == "1.0"
        assert own_format.validate(old) is None
        assert list(own_format.read(old)) == records


@pytest.mark.parametrize("section", SECTIONS)
def test_each_section_round_trips(tmp_path_factory: pytest.TempPathFactory, section: str) -> None:
    @ROUND_TRIP
    @given(records=_files(SECTIONS[section]), created=moments)
    def check(records: list[OwnRecord], created: datetime) -> None:
        _round_trip(records, created, tmp_path_factory.mktemp(section))

    check()


@ROUND_TRIP
@given(records=_files(st.one_of(*SECTIONS.values())), created=moments)
def test_mixed_sections_round_trip(
    tmp_path_factory: pytest.TempPathFactory, records: list[OwnRecord], created: datetime
) -> None:
    _round_trip(records, created, tmp_path_factory.mktemp("mixed"))


def test_money_reads_back_as_decimal_with_two_places(tmp_path: Path) -> None:
    limit = CreditLimit(client_id="C-1", amount=Decimal("1E+3"), currency="RUB")
    path = tmp_path / "own.xml"
    own_format.write([limit], path, partner="p", created=datetime(2026, 12, 7, tzinfo=UTC))
    assert b"<Amount>1000.00</Amount>" in path.read_bytes()
    (read,) = own_format.read(path)
    assert isinstance(read, CreditLimit)
    assert read == limit and isinstance(read.amount, Decimal) and str(read.amount) == "1000.00"
