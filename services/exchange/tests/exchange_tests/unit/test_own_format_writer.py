"""The writer writes only what the schema accepts (a ValueError naming the record and field
otherwise), and the schemas are published by name only."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

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

CREATED = datetime(2026, 12, 7, 10, 15, tzinfo=timezone(timedelta(hours=3)))
INVOICE = Invoice(
    external_id="INV-1",
    number="РН-1",
    client_id="C-1",
    issue_date=date(2026, 12, 1),
    due_date=date(2026, 12, 15),
    amount=Decimal("100.50"),
    open_amount=Decimal("100.50"),
    currency="RUB",
)
PAYMENT = Payment(
    external_id="P-1",
    kind=PaymentKind.BANK,
    client_id="C-1",
    date=date(2026, 12, 2),
    amount=Decimal("10"),
    currency="RUB",
    allocations=(Allocation("INV-1", Decimal("10")),),
)
EMPLOYEE = Employee(external_id="E-1", name="Иван Петров", roles=(Role.AGENT,), active=True)
POLICY = DebtPolicy(mode=PolicyMode.BLOCK, check_credit_limit=True, stages=(Stage.VAN_SALE,))
TARE = TareBalance(
    client_id="C-1", container="KEG", quantity=1, deposit_amount=Decimal(1), currency="RUB"
)
ROUTE = RouteAssignment(route_id="R-1", employee_id="E-1", valid_from=date(2026, 12, 1))
DOCUMENT = TareDocument(
    external_id="TD-1",
    date=date(2026, 12, 3),
    client_id="C-1",
    lines=(TareLine("KEG", TareDirection.ISSUED, 2), TareLine("KEG", TareDirection.RETURNED, 1)),
)


def _write(records: list[Any], **header: Any) -> bytes:
    out = io.BytesIO()
    own_format.write(records, out, **({"partner": "erp-main", "created": CREATED} | header))
    return out.getvalue()


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (replace(INVOICE, amount=1.5), "Invoice[0].amount: money is a Decimal"),
        (replace(INVOICE, amount=Decimal("1.005")), "Invoice[0].amount: at most 2 fraction"),
        (replace(INVOICE, amount=Decimal("-1")), "Invoice[0].amount: must be at least 0"),
        (replace(INVOICE, amount=Decimal("NaN")), "Invoice[0].amount: must be a finite"),
        (replace(INVOICE, amount=Decimal("1E+16")), "Invoice[0].amount: at most"),
        (replace(INVOICE, currency="rub"), "Invoice[0].currency"),
        (replace(INVOICE, external_id=" INV-1"), "Invoice[0].external_id"),
        (replace(INVOICE, external_id="INV\t1"), "Invoice[0].external_id"),
        (replace(INVOICE, external_id="INV  1"), "Invoice[0].external_id"),
        (replace(INVOICE, external_id=""), "Invoice[0].external_id: must be 1 to 64"),
        (replace(INVOICE, external_id="X" * 65), "Invoice[0].external_id: must be 1 to 64"),
        (replace(INVOICE, number="N\x01"), "Invoice[0].number: '\\x01' cannot be carried"),
        (replace(INVOICE, outlet_id=""), "Invoice[0].outlet_id"),
        (replace(INVOICE, due_date=datetime(2026, 1, 1)), "Invoice[0].due_date: expected a date"),
        (replace(PAYMENT, amount=Decimal("0")), "Payment[0].amount: must be over 0"),
        (
            replace(
                PAYMENT, allocations=(Allocation("I", Decimal(1)), Allocation("I", Decimal(2)))
            ),
            "Payment[0].allocations (invoices): each at most once",
        ),
        (
            replace(PAYMENT, allocations=(Allocation("I", Decimal(0)),)),
            "Payment[0].allocations[0].amount: must be over 0",
        ),
        (replace(TARE, quantity=-1), "TareBalance[0].quantity"),
        (replace(TARE, quantity=True), "TareBalance[0].quantity"),
        (replace(TARE, quantity=10**9), "TareBalance[0].quantity"),
        (replace(POLICY, stages=()), "DebtPolicy[0].stages: name at least one stage"),
        (replace(POLICY, stages=(Stage.VAN_SALE, Stage.VAN_SALE)), "DebtPolicy[0].stages"),
        (replace(POLICY, max_overdue_days=10_000), "DebtPolicy[0].max_overdue_days"),
        (replace(POLICY, mode="BLOCK"), "DebtPolicy[0].mode: one of block, warn, ignore"),
        (replace(EMPLOYEE, roles=()), "Employee[0].roles: an employee has at least one role"),
        (replace(EMPLOYEE, roles=(Role.ADMIN,)), "Employee[0].roles[0]: one of agent"),
        (replace(EMPLOYEE, phone="+7 916 123"), "Employee[0].phone: E.164"),
        (replace(EMPLOYEE, active="yes"), "Employee[0].active"),
        (replace(EMPLOYEE, name="N" * 301), "Employee[0].name: must be 1 to 300"),
        (replace(ROUTE, valid_to="2026-12-31"), "RouteAssignment[0].valid_to: expected a date"),
        (replace(DOCUMENT, lines=()), "TareDocument[0].lines: 1 to 1000 lines, got 0"),
        (
            replace(DOCUMENT, lines=(TareLine("K", TareDirection.ISSUED, 1),) * 2),
            "TareDocument[0].lines (container and direction): each at most once",
        ),
        (
            replace(DOCUMENT, lines=(TareLine("K", TareDirection.ISSUED, 0),)),
            "TareDocument[0].lines[0].quantity: must be above 0",
        ),
        (
            replace(DOCUMENT, lines=(TareLine("K", "ISSUED", 1),)),  # type: ignore[arg-type]
            "TareDocument[0].lines[0].direction: one of issued, returned",
        ),
        (
            replace(DOCUMENT, lines=(TareLine(" K", TareDirection.ISSUED, 1),)),
            "TareDocument[0].lines[0].container",
        ),
        (replace(DOCUMENT, order_id=""), "TareDocument[0].order_id"),
    ],
)
def test_a_value_the_schema_would_refuse_is_not_written(record: OwnRecord, field: str) -> None:
    with pytest.raises(ValueError) as refused:
        _write([record])
    assert str(refused.value).startswith(field)


@pytest.mark.parametrize(
    ("records", "words"),
    [
        ([INVOICE, INVOICE], "Invoice[1]: 'INV-1' is already in this file"),
        ([INVOICE, PAYMENT, INVOICE], "Invoice[2]: 'INV-1' is already in this file"),
        ([POLICY, replace(POLICY, mode=PolicyMode.WARN)], "DebtPolicy[1]: None is already"),
        ([TARE, replace(TARE, quantity=2)], "TareBalance[1]: ('C-1', None, 'KEG') is already"),
        ([ROUTE, replace(ROUTE, employee_id="E-2")], "RouteAssignment[1]"),
        ([DOCUMENT, replace(DOCUMENT, client_id="C-2")], "TareDocument[1]: 'TD-1' is already"),
    ],
)
def test_what_the_schema_keeps_unique_is_checked_across_the_file(
    records: list[OwnRecord], words: str
) -> None:
    with pytest.raises(ValueError) as refused:
        _write(records)
    assert str(refused.value).startswith(words)


def test_the_same_id_in_two_kinds_is_allowed() -> None:
    same = replace(PAYMENT, external_id="INV-1")
    assert b"<Id>INV-1</Id>" in _write([INVOICE, same])


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ({"created": datetime(2026, 12, 7, 10, 15)}, "created: needs a time zone"),
        (
            {"created": datetime(2026, 1, 1, tzinfo=timezone(timedelta(seconds=30)))},
            "created: a UTC offset of whole minutes",
        ),
        (
            {"created": datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=15)))},
            "created: a UTC offset of whole minutes up to 14 hours",
        ),
        ({"partner": ""}, "partner: must be 1 to 64"),
        ({"partner": " erp"}, "partner:"),
    ],
)
def test_the_header_is_checked(header: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError) as refused:
        _write([INVOICE], **header)
    assert str(refused.value).startswith(words)


def test_a_file_holds_at_least_one_record() -> None:
    with pytest.raises(ValueError, match="at least one section"):
        _write([])


def test_something_that_is_not_a_record_is_refused() -> None:
    with pytest.raises(ValueError, match="not a record of the format"):
        _write([INVOICE, "INV-2"])


def test_consecutive_records_of_a_kind_share_a_section(tmp_path: Path) -> None:
    records: list[OwnRecord] = [
        INVOICE,
        replace(INVOICE, external_id="INV-2"),
        PAYMENT,
        replace(INVOICE, external_id="INV-3"),
        CreditLimit(client_id="C-1", amount=Decimal(0), currency="RUB"),
        POLICY,
        EMPLOYEE,
        TARE,
        ROUTE,
        DOCUMENT,
    ]
    path = tmp_path / "own.xml"
    assert own_format.write(records, path, partner="erp-main", created=CREATED) == len(records)
    root = etree.parse(str(path)).getroot()
    assert [etree.QName(section).localname for section in root] == [
        "Invoices",
        "Payments",
        "Invoices",
        "CreditLimits",
        "DebtPolicies",
        "Employees",
        "TareBalances",
        "RouteAssignments",
        "TareDocuments",
    ]
    assert [len(section) for section in root] == [2, 1, 1, 1, 1, 1, 1, 1, 1]
    assert root.nsmap == {None: own_format.NAMESPACE}
    assert root.attrib == {
        "version": "1.1",
        "created": "2026-12-07T10:15:00+03:00",
        "partner": "erp-main",
    }
    text = path.read_bytes()
    assert text.startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<FieldlineExchange")
    assert text.count(b"xmlns=") == 1
    assert own_format.validate(path) is None
    assert list(own_format.read(path)) == records


def test_a_generator_is_written_as_it_comes(tmp_path: Path) -> None:
    path = tmp_path / "own.xml"
    count = own_format.write(
        (replace(INVOICE, external_id=f"INV-{n}") for n in range(1000)),
        str(path),
        partner="erp-main",
        created=datetime.now(UTC),
    )
    assert count == 1000
    assert sum(1 for _ in own_format.read(path)) == 1000


# ---------------------------------------------------------------- the published schemas


def test_the_published_schemas_are_listed_with_their_versions() -> None:
    listed = [(s.name, s.namespace, s.version) for s in own_format.published_schemas()]
    assert listed == [
        ("fieldline-exchange-1.0.xsd", "urn:fieldline:exchange:1.0", "1.0"),
        ("fieldline-exchange-1.1.xsd", "urn:fieldline:exchange:1.0", "1.1"),
    ]
    assert {s.media_type for s in own_format.published_schemas()} == {"application/xml"}
    assert own_format.VERSION == "1.1"


def test_a_file_is_validated_against_the_minor_it_declares() -> None:
    old, new = own_format.published_schemas()
    namespace = own_format.NAMESPACE
    assert own_format.schema_for(namespace, "1.0") == old
    assert own_format.schema_for(namespace, "1.1") == new
    # A minor with no schema (a later one, a typo) or none: the newest, which names it.
    assert own_format.schema_for(namespace, "1.7") == new
    assert own_format.schema_for(namespace) == new


@pytest.mark.parametrize(
    ("record", "words"),
    [
        (DOCUMENT, "TareDocument[1]: needs version 1.1 of the format, the file is 1.0"),
        (
            replace(EMPLOYEE, roles=(Role.AGENT, Role.TELESELLER)),
            "Employee[1]: needs version 1.1",
        ),
        (replace(POLICY, override_roles=(Role.TELESELLER,)), "DebtPolicy[1]: needs version 1.1"),
    ],
)
def test_a_file_written_as_1_0_holds_only_what_1_0_carries(record: OwnRecord, words: str) -> None:
    with pytest.raises(ValueError) as refused:
        _write([INVOICE, record], version="1.0")
    assert str(refused.value).startswith(words)
    assert b'version="1.1"' in _write([INVOICE, record])
    assert b'version="1.0"' in _write([INVOICE, EMPLOYEE], version="1.0")
    with pytest.raises(ValueError, match=r"^version: one of 1.0, 1.1, got '2.0'"):
        _write([INVOICE], version="2.0")


def test_the_1_1_schema_is_the_1_0_schema_with_additions_only() -> None:
    """Backward compatible: every 1.0 file stays valid (the valid examples, written 1.0
    files: test_own_format_validation, the round trips); here, that 1.1 removed nothing of
    1.0 and narrowed no count: each named type and each element of 1.0 is still there."""
    xs = "{http://www.w3.org/2001/XMLSchema}"

    def declared(name: str) -> dict[str, dict[tuple[str, str], str]]:
        root = etree.parse(str(own_format.schema_path(name))).getroot()
        out: dict[str, dict[tuple[str, str], str]] = {}
        for kind in ("complexType", "simpleType"):
            for t in root.iter(f"{xs}{kind}"):
                if t.get("name"):
                    out[t.get("name")] = {
                        (e.get("name") or "", e.get("value") or ""): e.get("maxOccurs") or "1"
                        for e in t.iter(f"{xs}element", f"{xs}enumeration")
                    }
        return out

    old, new = declared("fieldline-exchange-1.0.xsd"), declared("fieldline-exchange-1.1.xsd")
    for name, parts in old.items():
        assert name in new, name
        for part, most in parts.items():
            assert part in new[name], (name, part)
            grown = new[name][part]
            assert grown == most or grown == "unbounded" or int(grown) > int(most), (name, part)


def test_each_published_schema_is_the_xsd_it_claims_to_be() -> None:
    for schema in own_format.published_schemas():
        path = own_format.schema_path(schema.name)
        assert path.name == schema.name and path.is_file()
        assert path.parent.name == "schemas" and path.parent.parent.name == "fieldline_exchange"
        document = etree.parse(str(path))
        etree.XMLSchema(document)  # compiles
        root = document.getroot()
        assert root.get("targetNamespace") == schema.namespace
        assert root.get("version") == schema.version
        assert own_format.schema_for(schema.namespace, schema.version) == schema


@pytest.mark.parametrize(
    "name",
    ["fieldline-exchange-9.0.xsd", "../../pyproject.toml", "/etc/passwd", "", "schemas"],
)
def test_only_published_names_resolve(name: str) -> None:
    with pytest.raises(own_format.UnknownSchema):
        own_format.schema_path(name)


def test_an_unknown_namespace_is_validated_against_the_newest_schema() -> None:
    newest = max(own_format.PUBLISHED, key=lambda s: s.version_key)
    assert own_format.schema_for("urn:elsewhere") == newest
    assert own_format.schema_for(None) == newest
