"""Strict validation of own-format files: the valid examples pass (the document's own, and
each section's example in docs/exchange/own-format.md); each kind of broken or hostile file
is refused with its code, its line and the schema's message; nothing is read from a refused
file."""

from __future__ import annotations

import codecs
import re
from datetime import date
from pathlib import Path

import pytest

from fieldline_exchange.adapters import own_format
from fieldline_exchange.adapters.own_format import _validate
from fieldline_exchange.domain.own_records import (
    Employee,
    Invoice,
    Role,
    TareDirection,
    TareDocument,
    TareLine,
)

DOCS = Path(__file__).resolve().parents[5] / "docs" / "exchange" / "own-format.md"

VALID = """<?xml version="1.0" encoding="UTF-8"?>
<FieldlineExchange xmlns="urn:fieldline:exchange:1.0"
                   version="1.0" created="2026-12-07T10:15:00+03:00" partner="erp-main">
  <Invoices>
    <Invoice>
      <Id>INV-1</Id>
      <Number>РН-000101</Number>
      <Client>C-1</Client>
      <Outlet>C-1-02</Outlet>
      <IssueDate>2026-11-20</IssueDate>
      <DueDate>2026-12-04</DueDate>
      <Amount>48210.40</Amount>
      <OpenAmount>18210.4</OpenAmount>
      <Currency>RUB</Currency>
    </Invoice>
    <Invoice>
      <Id>INV-2</Id>
      <Number>РН-000102</Number>
      <Client>C-2</Client>
      <IssueDate>2026-12-01</IssueDate>
      <DueDate>2026-12-15</DueDate>
      <Amount>9900</Amount>
      <OpenAmount>0</OpenAmount>
      <Currency>RUB</Currency>
    </Invoice>
  </Invoices>
  <Payments>
    <Payment>
      <Id>PAY-1</Id>
      <Kind>bank</Kind>
      <Client>C-1</Client>
      <Date>2026-12-05</Date>
      <Amount>30000.00</Amount>
      <Currency>RUB</Currency>
      <Allocation>
        <Invoice>INV-1</Invoice>
        <Amount>18210.40</Amount>
      </Allocation>
      <Allocation>
        <Invoice>INV-0087</Invoice>
        <Amount>11789.60</Amount>
      </Allocation>
    </Payment>
  </Payments>
  <TareBalances>
    <TareBalance>
      <Client>C-1</Client>
      <Container>KEG-50</Container>
      <Quantity>12</Quantity>
      <DepositAmount>36000.00</DepositAmount>
      <Currency>RUB</Currency>
    </TareBalance>
    <TareBalance>
      <Client>C-1</Client>
      <Outlet>C-1-02</Outlet>
      <Container>KEG-50</Container>
      <Quantity>2</Quantity>
      <DepositAmount>6000.00</DepositAmount>
      <Currency>RUB</Currency>
    </TareBalance>
  </TareBalances>
  <CreditLimits>
    <CreditLimit>
      <Client>C-1</Client>
      <Amount>150000.00</Amount>
      <Currency>RUB</Currency>
    </CreditLimit>
  </CreditLimits>
  <DebtPolicies>
    <DebtPolicy>
      <Company/>
      <Mode>block</Mode>
      <CheckCreditLimit>true</CheckCreditLimit>
      <MaxOverdueDays>14</MaxOverdueDays>
      <Stage>order-submit</Stage>
      <Stage>van-sale</Stage>
      <OverrideRole>supervisor</OverrideRole>
      <OverrideRole>admin</OverrideRole>
    </DebtPolicy>
    <DebtPolicy>
      <Client>C-2</Client>
      <Mode>warn</Mode>
      <CheckCreditLimit>false</CheckCreditLimit>
      <Stage>van-sale</Stage>
    </DebtPolicy>
  </DebtPolicies>
  <Employees>
    <Employee>
      <Id>EMP-0042</Id>
      <Name>Иван Петров</Name>
      <Role>agent</Role>
      <Role>van-seller</Role>
      <Phone>+79161234567</Phone>
      <Supervisor>EMP-0007</Supervisor>
      <Active>true</Active>
    </Employee>
  </Employees>
  <RouteAssignments>
    <RouteAssignment>
      <Route>MSK-NORTH-03</Route>
      <Employee>EMP-0042</Employee>
      <ValidFrom>2026-12-01</ValidFrom>
      <ValidTo>2026-12-31</ValidTo>
    </RouteAssignment>
  </RouteAssignments>
  <Invoices>
    <Invoice>
      <Id>INV-3</Id>
      <Number>РН-000103</Number>
      <Client>C-3</Client>
      <IssueDate>2026-12-02</IssueDate>
      <DueDate>2026-12-16</DueDate>
      <Amount>100.5</Amount>
      <OpenAmount>100.5</OpenAmount>
      <Currency>KZT</Currency>
    </Invoice>
  </Invoices>
</FieldlineExchange>
"""


def _file(tmp_path: Path, text: str | bytes, name: str = "own.xml") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def _line(text: str, marker: str | tuple[str, int]) -> int:
    """The line of the marker (or of its n-th occurrence) in the text."""
    marker, occurrence = marker if isinstance(marker, tuple) else (marker, 1)
    at = -1
    for _ in range(occurrence):
        at = text.index(marker, at + 1)
    return text.count("\n", 0, at) + 1


def _replace(old: str, new: str, occurrence: int = 1) -> str:
    """VALID with the n-th occurrence of `old` replaced."""
    at = -1
    for _ in range(occurrence):
        at = VALID.index(old, at + 1)
    return VALID[:at] + new + VALID[at + len(old) :]


# ---------------------------------------------------------------- valid files


def test_the_valid_document_passes_and_reads(tmp_path: Path) -> None:
    path = _file(tmp_path, VALID)
    assert own_format.validate(path) is None
    records = list(own_format.read(path))
    assert [type(r).__name__ for r in records] == [
        "Invoice",
        "Invoice",
        "Payment",
        "TareBalance",
        "TareBalance",
        "CreditLimit",
        "DebtPolicy",
        "DebtPolicy",
        "Employee",
        "RouteAssignment",
        "Invoice",
    ]
    header = own_format.read_header(path)
    assert (header.version, header.partner) == ("1.0", "erp-main")
    assert header.created.isoformat() == "2026-12-07T10:15:00+03:00"


def _doc_examples() -> list[str]:
    return re.findall(r"```xml\n(.*?)```", DOCS.read_text("utf-8"), re.S)


def test_the_documentation_has_an_example_per_section() -> None:
    examples = "".join(_doc_examples())
    for section in (
        "Invoices",
        "Payments",
        "TareBalances",
        "CreditLimits",
        "DebtPolicies",
        "Employees",
        "RouteAssignments",
        "TareDocuments",
    ):
        assert f"<{section}>" in examples, section


@pytest.mark.parametrize("index", range(len(_doc_examples())))
def test_every_example_of_the_documentation_is_valid(tmp_path: Path, index: int) -> None:
    path = _file(tmp_path, _doc_examples()[index])
    assert own_format.validate(path) is None
    assert list(own_format.read(path))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("<Amount>48210.40</Amount>", "<Amount>\n        48210.40\n      </Amount>"),
        ("<Id>INV-1</Id>", "<Id>  INV-1 </Id>"),
        ("<Number>РН-000101</Number>", "<Number>РН<!-- a comment -->-000101</Number>"),
        ("<Number>РН-000101</Number>", "<Number><![CDATA[РН-000101]]></Number>"),
        ('<?xml version="1.0" encoding="UTF-8"?>', "<?xml version='1.0'?>"),
        ('<?xml version="1.0" encoding="UTF-8"?>\n', ""),
        ('<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0"?>\n<!-- made by 1C -->'),
        ("<Company/>", "<Company></Company>"),
    ],
)
def test_what_the_schema_allows_reads_as_the_schema_sees_it(
    tmp_path: Path, old: str, new: str
) -> None:
    path = _file(tmp_path, _replace(old, new))
    assert own_format.validate(path) is None
    first = next(iter(own_format.read(path)))
    assert isinstance(first, Invoice)
    assert (first.external_id, first.number, str(first.amount)) == (
        "INV-1",
        "РН-000101",
        "48210.40",
    )


def test_a_byte_order_mark_is_allowed(tmp_path: Path) -> None:
    path = _file(tmp_path, codecs.BOM_UTF8 + VALID.encode())
    assert own_format.validate(path) is None


# ---------------------------------------------------------------- 1.1

TARE_DOCUMENTS = """  <TareDocuments>
    <TareDocument>
      <Id>TD-1</Id>
      <Date>2026-12-05</Date>
      <Client>C-1</Client>
      <Outlet>C-1-02</Outlet>
      <Order>3f2a9c1e-7d41-4b8e-9a55-1c2d3e4f5a6b</Order>
      <Line>
        <Container>KEG-50</Container>
        <Direction>issued</Direction>
        <Quantity>4</Quantity>
      </Line>
      <Line>
        <Container>KEG-50</Container>
        <Direction>returned</Direction>
        <Quantity>3</Quantity>
      </Line>
    </TareDocument>
    <TareDocument>
      <Id>TD-2</Id>
      <Date>2026-12-06</Date>
      <Client>C-2</Client>
      <Line>
        <Container>CRATE-20</Container>
        <Direction>returned</Direction>
        <Quantity>10</Quantity>
      </Line>
    </TareDocument>
  </TareDocuments>
"""
# VALID as a 1.1 file: a teleseller, and tare documents.
VALID_1_1 = (
    VALID.replace('version="1.0" created', 'version="1.1" created')
    .replace("<Role>van-seller</Role>", "<Role>van-seller</Role>\n      <Role>teleseller</Role>")
    .replace("</FieldlineExchange>", TARE_DOCUMENTS + "</FieldlineExchange>")
)


def test_a_1_0_file_is_valid_as_a_1_1_file(tmp_path: Path) -> None:
    """Backward compatible: the 1.1 schema takes every 1.0 file (as its version says, and
    declaring 1.1) and reads the same records from it."""
    old = _file(tmp_path, VALID, "old.xml")
    schema = own_format.schema_path("fieldline-exchange-1.1.xsd")
    from lxml import etree

    newer = etree.XMLSchema(etree.parse(str(schema)))
    assert newer.validate(etree.parse(str(old))), newer.error_log
    relabelled = _file(tmp_path, VALID.replace('version="1.0"', 'version="1.1"'), "new.xml")
    assert own_format.validate(relabelled) is None
    assert list(own_format.read(relabelled)) == list(own_format.read(old))


def test_a_1_1_file_with_tare_documents_and_a_teleseller_passes_and_reads(tmp_path: Path) -> None:
    path = _file(tmp_path, VALID_1_1)
    assert own_format.validate(path) is None
    records = list(own_format.read(path))
    (employee,) = [r for r in records if isinstance(r, Employee)]
    assert employee.roles == (Role.AGENT, Role.VAN_SELLER, Role.TELESELLER)
    documents = [r for r in records if isinstance(r, TareDocument)]
    assert documents == [
        TareDocument(
            external_id="TD-1",
            date=date(2026, 12, 5),
            client_id="C-1",
            outlet_id="C-1-02",
            order_id="3f2a9c1e-7d41-4b8e-9a55-1c2d3e4f5a6b",
            lines=(
                TareLine("KEG-50", TareDirection.ISSUED, 4),
                TareLine("KEG-50", TareDirection.RETURNED, 3),
            ),
        ),
        TareDocument(
            external_id="TD-2",
            date=date(2026, 12, 6),
            client_id="C-2",
            lines=(TareLine("CRATE-20", TareDirection.RETURNED, 10),),
        ),
    ]
    assert own_format.read_header(path).version == "1.1"


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("</FieldlineExchange>", TARE_DOCUMENTS + "</FieldlineExchange>", "'TareDocuments'"),
        ("<Role>van-seller</Role>", "<Role>teleseller</Role>", "'teleseller'"),
        ("<OverrideRole>admin<", "<OverrideRole>teleseller<", "'teleseller'"),
    ],
)
def test_a_file_saying_1_0_holds_only_what_1_0_carries(
    tmp_path: Path, old: str, new: str, words: str
) -> None:
    """Validated against the schema of the minor it declares: 1.1's content in a 1.0 file is
    refused by the 1.0 schema (and the same file declaring 1.1 passes)."""
    text = VALID.replace(old, new, 1)
    refusal = own_format.validate(_file(tmp_path, text))
    assert refusal is not None and refusal.code == "schema-invalid"
    assert refusal.message.startswith("not valid against fieldline-exchange-1.0.xsd: line ")
    assert words in refusal.errors[0].message
    declared = text.replace('version="1.0" created', 'version="1.1" created')
    assert own_format.validate(_file(tmp_path, declared, "declared.xml")) is None


def test_a_minor_without_a_schema_is_refused_by_the_newest(tmp_path: Path) -> None:
    text = VALID.replace('version="1.0" created', 'version="1.7" created')
    refusal = own_format.validate(_file(tmp_path, text))
    assert refusal is not None and refusal.code == "schema-invalid"
    assert refusal.message.startswith("not valid against fieldline-exchange-1.1.xsd: line ")
    assert "attribute 'version'" in refusal.errors[0].message
    assert "'1.7'" in refusal.errors[0].message


INVALID_1_1 = [
    # (name, old, new, occurrence, marker of the line, words of the message)
    (
        "a tare document's id twice",
        "<Id>TD-2</Id>",
        "<Id>TD-1</Id>",
        1,
        ("<TareDocument>", 2),
        "'unique-tare-document-id'",
    ),
    (
        "a container and direction twice in a document",
        "<Direction>returned</Direction>",
        "<Direction>issued</Direction>",
        1,
        ("<Line>", 2),
        "'unique-tare-document-line'",
    ),
    ("a quantity of 0", "<Quantity>4<", "<Quantity>0<", 1, "<Quantity>0", "'0'"),
    ("a fractional quantity", "<Quantity>4<", "<Quantity>4.5<", 1, "<Quantity>4.5", "'4.5'"),
    ("an unknown direction", ">issued<", ">lost<", 1, ">lost<", "'lost'"),
    (
        "a document without a line",
        """      <Line>
        <Container>CRATE-20</Container>
        <Direction>returned</Direction>
        <Quantity>10</Quantity>
      </Line>
""",
        "",
        1,
        ("<TareDocument>", 2),
        "Missing child element(s)",
    ),
    (
        "the order after the lines",
        "      <Order>3f2a9c1e-7d41-4b8e-9a55-1c2d3e4f5a6b</Order>\n",
        "",
        1,
        "<Order>",
        "This element is not expected",
    ),
    ("a teleseller made admin", "<Role>teleseller<", "<Role>admin<", 1, "<Role>admin", "admin"),
]


@pytest.mark.parametrize(
    ("old", "new", "occurrence", "marker", "words"),
    [case[1:] for case in INVALID_1_1],
    ids=[case[0] for case in INVALID_1_1],
)
def test_an_invalid_1_1_file_is_refused_with_the_line_and_the_schemas_message(
    tmp_path: Path, old: str, new: str, occurrence: int, marker: str | tuple[str, int], words: str
) -> None:
    at = -1
    for _ in range(occurrence):
        at = VALID_1_1.index(old, at + 1)
    text = VALID_1_1[:at] + new + VALID_1_1[at + len(old) :]
    if old.startswith("      <Order>"):  # moved after the lines, not removed
        text = text.replace(
            "    </TareDocument>\n    <TareDocument>\n      <Id>TD-2",
            "      <Order>3f2a9c1e-7d41-4b8e-9a55-1c2d3e4f5a6b</Order>\n"
            "    </TareDocument>\n    <TareDocument>\n      <Id>TD-2",
            1,
        )
    path = _file(tmp_path, text)

    refusal = own_format.validate(path)

    assert refusal is not None and refusal.code == "schema-invalid"
    assert refusal.line == _line(text, marker)
    assert words in refusal.errors[0].message
    assert refusal.message.startswith("not valid against fieldline-exchange-1.1.xsd: line ")


# ---------------------------------------------------------------- schema-invalid

INVALID = [
    # (name, old, new, occurrence, marker of the line, words of the message)
    ("float-like amount", "<Amount>48210.40<", "<Amount>1e3<", 1, "<Amount>1e3", "'1e3'"),
    (
        "too many fraction digits",
        "<Amount>48210.40<",
        "<Amount>48210.405<",
        1,
        "<Amount>48210.405",
        "fractionDigits",
    ),
    (
        "a decimal comma",
        "<Amount>48210.40<",
        "<Amount>48210,40<",
        1,
        "<Amount>48210,40",
        "48210,40",
    ),
    ("a negative amount", "<Amount>9900<", "<Amount>-9900<", 1, "<Amount>-9900", "-9900"),
    ("a zero payment", "<Amount>30000.00<", "<Amount>0.00<", 1, "<Amount>0.00", "0.00"),
    ("a lower-case currency", "<Currency>KZT<", "<Currency>kzt<", 1, "<Currency>kzt", "kzt"),
    (
        "a missing required element",
        "<DueDate>2026-12-04</DueDate>\n",
        "",
        1,
        "<Amount>48210.40",
        "Expected is ( DueDate )",
    ),
    (
        "an unknown element",
        "<Currency>RUB</Currency>",
        "<Currency>RUB</Currency><Note>x</Note>",
        1,
        "<Note>",
        "Element 'Note': This element is not expected",
    ),
    (
        "an unknown section",
        "  <CreditLimits>",
        "  <Equipment/>\n  <CreditLimits>",
        1,
        "<Equipment/>",
        "Element 'Equipment'",
    ),
    (
        "an unknown attribute",
        'partner="erp-main"',
        'partner="erp-main" mode="full"',
        1,
        'partner="erp-main"',  # libxml2: the line where the start tag ends
        "attribute 'mode'",
    ),
    (
        "elements out of order",
        "<Client>C-1</Client>\n      <Outlet>C-1-02</Outlet>",
        "<Outlet>C-1-02</Outlet>\n      <Client>C-1</Client>",
        1,
        "<Outlet>C-1-02",
        "not expected",
    ),
    (
        "a duplicate invoice id",
        "<Id>INV-2</Id>",
        "<Id>INV-1</Id>",
        1,
        ("<Invoice>\n      <Id>INV-1</Id>", 2),
        "Duplicate key-sequence ['INV-1'] in unique identity-constraint 'unique-invoice-id'",
    ),
    (
        "a duplicate id in a later section of the kind",
        "<Id>INV-3</Id>",
        "<Id> INV-2</Id>",
        1,
        "<Invoice>\n      <Id> INV-2",
        "'unique-invoice-id'",
    ),
    (
        "a duplicate credit limit",
        "  </CreditLimits>",
        "    <CreditLimit><Client>C-1</Client><Amount>1</Amount><Currency>RUB</Currency>"
        "</CreditLimit>\n  </CreditLimits>",
        1,
        "<CreditLimit><Client>C-1",
        "'unique-credit-limit-client'",
    ),
    (
        "two company policies",
        "<Client>C-2</Client>\n      <Mode>warn",
        "<Company/>\n      <Mode>warn",
        1,
        "<DebtPolicy>\n      <Company/>\n      <Mode>warn",
        "'unique-debt-policy-company'",
    ),
    (
        # all its fields present: the schema's own check
        "an outlet's tare balance twice",
        "  </TareBalances>",
        "    <TareBalance><Client>C-1</Client><Outlet>C-1-02</Outlet><Container>KEG-50</Container>"
        "<Quantity>1</Quantity><DepositAmount>1</DepositAmount><Currency>RUB</Currency>"
        "</TareBalance>\n  </TareBalances>",
        1,
        "<TareBalance><Client>C-1</Client><Outlet>",
        "'unique-tare-balance'",
    ),
    (
        "a client's own tare balance twice",
        "<Outlet>C-1-02</Outlet>\n      <Container>",
        "<Container>",
        1,
        "<TareBalance>\n      <Client>C-1</Client>\n      <Container>KEG-50</Container>\n"
        "      <Quantity>2",
        "Duplicate key-sequence ['C-1', 'KEG-50']",
    ),
    (
        "an allocation to the same invoice twice",
        "<Invoice>INV-0087</Invoice>",
        "<Invoice>INV-1</Invoice>",
        1,
        "<Allocation>\n        <Invoice>INV-1</Invoice>\n        <Amount>11789.60",
        "'unique-allocation-invoice'",
    ),
    (
        "a role twice",
        "<Role>van-seller</Role>",
        "<Role>agent</Role>",
        1,
        "<Role>agent</Role>\n      <Phone>",
        "'unique-employee-role'",
    ),
    ("an employee made admin", "<Role>van-seller<", "<Role>admin<", 1, "<Role>admin", "admin"),
    (
        "the same route and day twice",
        "  </RouteAssignments>",
        "    <RouteAssignment><Route>MSK-NORTH-03</Route><Employee>E-9</Employee>"
        "<ValidFrom>2026-12-01</ValidFrom></RouteAssignment>\n  </RouteAssignments>",
        1,
        "<RouteAssignment><Route>",
        "'unique-route-assignment'",
    ),
    ("a bad date", "2026-12-04", "2026-02-30", 1, "2026-02-30", "'2026-02-30'"),
    ("a date with a zone", "2026-12-04", "2026-12-04Z", 1, "2026-12-04Z", "2026-12-04Z"),
    ("a short date", "2026-12-04", "2026-12-4", 1, "2026-12-4", "2026-12-4"),
    ("an id too long", "<Id>INV-1<", "<Id>" + "X" * 65 + "<", 1, "X" * 65, "maxLength"),
    ("an empty id", "<Id>INV-1<", "<Id>  <", 1, "<Id>  <", "minLength"),
    ("a phone with spaces", "+79161234567", "+7 916 123-45-67", 1, "+7 916", "+7 916"),
    ("a flag as a digit", "<Active>true<", "<Active>1<", 1, "<Active>1", "'1'"),
    (
        "a wrong namespace",
        "urn:fieldline:exchange:1.0",
        "urn:fieldline:exchange:2.0",
        1,
        'partner="erp-main"',  # libxml2: the line where the start tag ends
        "No matching global declaration available for the validation root",
    ),
    (
        "no namespace",
        ' xmlns="urn:fieldline:exchange:1.0"',
        "",
        1,
        'partner="erp-main"',  # libxml2: the line where the start tag ends
        "No matching global declaration",
    ),
    (
        "a moment without a zone",
        'created="2026-12-07T10:15:00+03:00"',
        'created="2026-12-07T10:15:00"',
        1,
        'partner="erp-main"',  # libxml2: the line where the start tag ends
        "attribute 'created'",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "occurrence", "marker", "words"),
    [case[1:] for case in INVALID],
    ids=[case[0] for case in INVALID],
)
def test_an_invalid_file_is_refused_with_the_line_and_the_schemas_message(
    tmp_path: Path, old: str, new: str, occurrence: int, marker: str | tuple[str, int], words: str
) -> None:
    text = _replace(old, new, occurrence)
    path = _file(tmp_path, text)

    refusal = own_format.validate(path)

    assert refusal is not None
    assert refusal.code == "schema-invalid"
    assert refusal.line == _line(text, marker)
    assert refusal.errors[0].line == refusal.line
    assert words in refusal.errors[0].message
    assert refusal.message.startswith("not valid against fieldline-exchange-1.0.xsd: line ")
    assert "{urn:fieldline:exchange:1.0}" not in refusal.message
    with pytest.raises(own_format.Refused) as refused:
        own_format.read(path)
    assert refused.value.refusal == refusal


def test_a_file_with_no_section_is_refused(tmp_path: Path) -> None:
    text = (
        '<?xml version="1.0"?>\n<FieldlineExchange xmlns="urn:fieldline:exchange:1.0" '
        'version="1.0" created="2026-12-07T10:15:00Z" partner="p"/>\n'
    )
    refusal = own_format.validate(_file(tmp_path, text))
    assert refusal is not None and refusal.code == "schema-invalid" and refusal.line == 2
    assert "Missing child element(s)" in refusal.errors[0].message


def test_only_the_first_few_errors_are_given_in_line_order(tmp_path: Path) -> None:
    text = VALID.replace("<Amount>", "<Amount>x")  # every amount wrong
    refusal = own_format.validate(_file(tmp_path, text))
    assert refusal is not None
    assert len(refusal.errors) == own_format.MAX_ERRORS
    lines = [e.line for e in refusal.errors]
    assert lines == sorted(lines) and lines[0] == _line(text, "<Amount>x")
    assert f"(and {VALID.count('<Amount>') - 1} more)" in refusal.message
    assert refusal.as_dict()["errors"] == [
        {"line": e.line, "message": e.message} for e in refusal.errors
    ]


def test_a_large_file_is_refused_without_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_validate, "LOCATE_LIMIT", 100)
    refusal = own_format.validate(_file(tmp_path, _replace("<Amount>48210.40<", "<Amount>1e3<")))
    assert refusal is not None and refusal.code == "schema-invalid"
    assert refusal.line is None and "'1e3'" in refusal.message


@pytest.mark.parametrize("cut", ["</Currency>", "</Invoices>", "</FieldlineExchange>"])
def test_a_file_cut_anywhere_is_malformed(tmp_path: Path, cut: str) -> None:
    """Even where what is left is valid so far (with a schema attached, libxml2 lets a file
    cut short end quietly)."""
    for end in (VALID.index(cut) + 5, VALID.index(cut) + len(cut) - 1):
        refusal = own_format.validate(_file(tmp_path, VALID[:end]))
        assert refusal is not None and refusal.code == "malformed", VALID[end - 20 : end]


# ---------------------------------------------------------------- hostile and broken files

XXE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE FieldlineExchange [
  <!ENTITY xxe SYSTEM "file:///etc/passwd">
]>
<FieldlineExchange xmlns="urn:fieldline:exchange:1.0" version="1.0"
                   created="2026-12-07T10:15:00Z" partner="&xxe;">
</FieldlineExchange>
"""
LAUGHS = """<?xml version="1.0"?>
<!-- lol -->
<?pi before the doctype?>

<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<FieldlineExchange xmlns="urn:fieldline:exchange:1.0">&lol3;</FieldlineExchange>
"""
EXTERNAL_DTD = (
    '<!DOCTYPE FieldlineExchange SYSTEM "http://attacker.example/x.dtd">\n'
    + VALID.split("\n", 1)[1]
)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (XXE, 2),
        (LAUGHS, 5),
        (EXTERNAL_DTD, 1),
        (codecs.BOM_UTF8 + XXE.encode(), 2),
        (XXE.replace("<!DOCTYPE", "<!doctype"), 2),
    ],
    ids=["xxe", "billion-laughs", "external-dtd", "after-a-bom", "lower-case"],
)
def test_a_doctype_of_any_kind_is_refused_before_parsing(
    tmp_path: Path, text: str | bytes, line: int
) -> None:
    path = _file(tmp_path, text)
    refusal = own_format.validate(path)
    assert refusal is not None
    assert (refusal.code, refusal.line) == ("dtd-forbidden", line)
    with pytest.raises(own_format.Refused):
        own_format.read(path)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (VALID[: VALID.index("<Currency>RUB") + 7], _line(VALID, "<Currency>RUB"), "Start Tag"),
        (
            _replace("<Number>РН-000101<", "<Number>&xxe;<"),
            _line(VALID, "<Number>РН-000101"),
            "Entity 'xxe' not defined",
        ),
        (_replace("</Invoice>", "</Invoices>"), _line(VALID, "</Invoice>"), "mismatch"),
        ("", 1, "empty"),
        ("   \n", 1, "empty"),
        ("not xml at all", 1, ""),
    ],
    ids=["truncated", "undefined-entity", "mismatched-tag", "empty", "blank", "not-xml"],
)
def test_a_file_that_is_not_well_formed_is_malformed(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    refusal = own_format.validate(_file(tmp_path, text))
    assert refusal is not None
    assert refusal.code == "malformed"
    assert refusal.line == line
    assert words in refusal.message


def test_the_parsers_errors_are_this_files_not_an_earlier_ones(tmp_path: Path) -> None:
    """lxml keeps a thread-wide error log: a refusal must not quote an earlier file."""
    truncated = own_format.validate(_file(tmp_path, VALID[:300], "a.xml"))
    entity = own_format.validate(_file(tmp_path, _replace("<Number>РН-000101<", "<Number>&e;<")))
    assert truncated is not None and entity is not None
    assert "Entity 'e' not defined" in entity.message
    assert truncated.message != entity.message


@pytest.mark.parametrize(
    "text",
    [
        VALID.replace('encoding="UTF-8"', 'encoding="windows-1251"'),
        VALID.encode("utf-16"),
        VALID.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16-le"),
    ],
    ids=["windows-1251", "utf-16", "utf-16-no-bom"],
)
def test_an_encoding_other_than_utf8_is_refused(tmp_path: Path, text: str | bytes) -> None:
    refusal = own_format.validate(_file(tmp_path, text))
    assert refusal is not None
    assert (refusal.code, refusal.line) == ("bad-encoding", 1)


def test_bytes_that_are_not_utf8_are_refused_with_their_line(tmp_path: Path) -> None:
    text = VALID.encode().replace("Иван".encode(), "Иван".encode("cp1251"))
    refusal = own_format.validate(_file(tmp_path, text))
    assert refusal is not None
    assert refusal.code == "bad-encoding"
    assert refusal.line == _line(VALID, "Иван")


def test_a_refused_file_yields_nothing(tmp_path: Path) -> None:
    path = _file(tmp_path, _replace("<Amount>100.5<", "<Amount>1e3<"))  # the last invoice
    seen: list[object] = []
    with pytest.raises(own_format.Refused) as refused:
        seen.extend(own_format.read(path))
    assert seen == []
    assert refused.value.refusal.line == _line(VALID, "<Amount>100.5")
    assert "schema-invalid" in str(refused.value)
