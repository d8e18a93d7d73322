"""Sync items from the services' messages: per section, a message → the exact JSON the
protocol lists (docs/sync-protocol.md, *Sections*), its key, scope and version; the value
conventions (money exact and never a float, decimals as strings, dates, times, enums)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any, cast

import pytest
from google.protobuf import timestamp_pb2
from google.type import date_pb2, latlng_pb2, money_pb2

from fieldline.clients.events.v1 import events_pb2 as cev
from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.clients.v1 import territory_service_pb2 as tpb
from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline.orders.events.v1 import events_pb2 as oev
from fieldline.orders.v1 import orders_service_pb2 as ops
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.orders.v1 import van_service_pb2 as van
from fieldline.settlements.events.v1 import events_pb2 as sse
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline.settlements.v1 import settlements_service_pb2 as sss
from fieldline_gateway.adapters import projections as p
from fieldline_gateway.adapters import projections_clients as pc
from fieldline_gateway.adapters import projections_orders as po
from fieldline_gateway.adapters import projections_settlements as ps
from fieldline_gateway.entrypoints.sales_consumers import ORDERS
from fieldline_kit.errors import InvalidArgument


def rub(units: int, nanos: int = 0, currency: str = "RUB") -> money_pb2.Money:
    return money_pb2.Money(currency_code=currency, units=units, nanos=nanos)


def day(y: int, m: int, d: int) -> date_pb2.Date:
    return date_pb2.Date(year=y, month=m, day=d)


def at(*parts: int, micro: int = 0) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(datetime(*parts, microsecond=micro, tzinfo=UTC))
    return out


def wire(data: Any) -> bytes:
    """JSON as the projections write it: members in order, no spaces, UTF-8."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def check(
    item: p.Item, section: str, key: str, scope: str, version: int, data: dict[str, Any]
) -> None:
    assert (item.section, item.key, item.scope, item.version) == (section, key, scope, version)
    assert json.loads(item.body) == data
    assert item.body == wire(data)  # exact bytes: member order as listed


# ---------------------------------------------------------------------------- conventions


@pytest.mark.parametrize(
    ("units", "nanos", "amount"),
    [
        (1234, 500_000_000, "1234.50"),
        (87, 400_000_000, "87.40"),
        (0, 0, "0.00"),
        (7, 0, "7.00"),
        (-5, -500_000_000, "-5.50"),
        (0, -10_000_000, "-0.01"),
        (999_999_999_999, 990_000_000, "999999999999.99"),
        # More places than money has (no service stores them): kept, never rounded away.
        (1, 5_000_000, "1.005"),
        (0, 1, "0.000000001"),
    ],
)
def test_money_is_an_exact_decimal_string(units: int, nanos: int, amount: str) -> None:
    assert p.money(rub(units, nanos)) == {"amount": amount, "currency": "RUB"}


def test_money_refuses_what_google_type_money_forbids() -> None:
    with pytest.raises(InvalidArgument, match=r"price\.nanos"):
        p.money(rub(1, -5), "price")


def test_money_is_never_a_float_in_the_body() -> None:
    entry = opb.PriceListEntry(product_id="p-1", price=rub(87, 400_000_000))
    item = po.price_item("pl-31", "pt-2", entry, version=4)
    assert b'"price":{"amount":"87.40","currency":"RUB"}' in item.body
    assert isinstance(json.loads(item.body)["price"]["amount"], str)


def test_dates_and_times() -> None:
    assert p.date_text(day(2026, 3, 4)) == "2026-03-04"
    assert p.date_text(date_pb2.Date()) is None
    assert p.time_text(at(2026, 3, 4, 6, 12, 9, micro=120_000)) == "2026-03-04T06:12:09.120Z"
    assert p.time_text(at(2026, 3, 4, 6, 12, 9)) == "2026-03-04T06:12:09.000Z"
    assert p.time_text(at(2026, 3, 4, 6, 12, 9, micro=120_999)) == "2026-03-04T06:12:09.120Z"
    assert p.time_text(timestamp_pb2.Timestamp()) is None
    with pytest.raises(InvalidArgument, match="d: is not a calendar date"):
        p.date_text(day(2026, 2, 30), "d")


@pytest.mark.parametrize(
    ("enum", "number", "name"),
    [
        (opb.OrderStatus, opb.ORDER_STATUS_CREDIT_HOLD, "creditHold"),
        (opb.OrderStatus, opb.ORDER_STATUS_PARTIALLY_DELIVERED, "partiallyDelivered"),
        (cpb.VisitFrequency, cpb.VISIT_FREQUENCY_EVERY_2_WEEKS, "every2Weeks"),
        (cpb.VisitFrequency, cpb.VISIT_FREQUENCY_WEEKLY, "weekly"),
        (cpb.QuestionType, cpb.QUESTION_TYPE_YES_NO, "yesNo"),
        (cpb.ClientType, cpb.CLIENT_TYPE_KEY_ACCOUNT, "keyAccount"),
        (cpb.Role, cpb.ROLE_VAN_SELLER, "vanSeller"),
        (spb.Stage, spb.STAGE_ORDER_SUBMIT, "orderSubmit"),
        (spb.InvoiceSource, spb.INVOICE_SOURCE_VAN_SALE, "vanSale"),
        (sss.CreditReasonCode, sss.CREDIT_REASON_CODE_OVER_LIMIT, "overLimit"),
        (sss.CreditReasonCode, sss.CREDIT_REASON_CODE_UNSPECIFIED, "unspecified"),
        (ops.RecommendationReason, ops.RECOMMENDATION_REASON_MUST_STOCK, "mustStock"),
        (opb.OrderStatus, 99, "unknown"),  # a number a newer service added
    ],
)
def test_enum_names(enum: Any, number: int, name: str) -> None:
    assert p.enum_name(enum, number) == name
    assert p.enum_name(enum.DESCRIPTOR, number) == name  # the descriptor itself too


def test_optional_and_repeated_enums() -> None:
    assert p.optional_enum(cpb.VisitOutcome, 0) is None
    assert p.optional_enum(cpb.VisitOutcome, cpb.VISIT_OUTCOME_OUTLET_CLOSED) == "outletClosed"
    assert p.enum_names(cpb.Role, [0, cpb.ROLE_AGENT, 42, cpb.ROLE_SUPERVISOR]) == [
        "agent",
        "supervisor",
    ]


def test_camel_path() -> None:
    assert p.camel_path("outlet_class") == "outletClass"
    assert p.camel_path("custom_attributes.fridge_type") == "customAttributes.fridge_type"


def test_scopes() -> None:
    assert p.scope_company() == "company"
    assert p.scope_catalog() == "catalog"
    assert p.scope_route("r-7") == "route:r-7"
    assert p.scope_outlet("o-1") == "outlet:o-1"
    assert p.scope_client("c-1") == "client:c-1"
    assert p.scope_account("c-1") == "account:c-1"
    assert p.scope_price_type("pt-2") == "price_type:pt-2"
    assert p.scope_agent("e-1") == "agent:e-1"
    with pytest.raises(p.ProjectionError, match="route_id is empty"):
        p.scope_route("")


def test_item_source_version() -> None:
    assert p.Item("visits", "v", "agent:e", 0, b"{}").source_version is None
    assert p.Item("routes", "r", "route:r", 3, b"{}").source_version == 3
    assert p.Removal("routeOutlets", "r/o", "route:r").source_version is None
    # A version that does not step with every change of the body guards nothing.
    for section in ("balances", "tareBalances", "creditStandings"):
        assert p.Item(section, "c", "account:c", 41, b"{}").source_version is None
        assert p.Item(section, "c", "account:c", 41, b"{}").version == 41


# ---------------------------------------------------------------------------------- clients


def test_me_without_device_id_then_the_reader_adds_it() -> None:
    employee = cpb.Employee(
        id="e-1",
        full_name="Иванов Пётр",
        roles=[cpb.ROLE_AGENT, cpb.ROLE_VAN_SELLER],
        territory_id="t-12",
        supervisor_id="",
        distributor_id="d-1",
        active=True,
        version=5,
    )
    item = pc.me_item(employee)
    data = {
        "employeeId": "e-1",
        "fullName": "Иванов Пётр",
        "roles": ["agent", "vanSeller"],
        "territoryId": "t-12",
    }
    check(item, "me", "e-1", "agent:e-1", 5, data)
    with_device = p.with_device_id(item.body, "dev-9")
    assert with_device == wire({**data, "deviceId": "dev-9"})
    assert p.with_device_id(b"{}", "d") == b'{"deviceId":"d"}'


def test_route() -> None:
    route = cpb.Route(id="r-7", name="Тверь-1", territory_id="t-12", agent_id="e-1", version=4)
    data = {"id": "r-7", "name": "Тверь-1", "territoryId": "t-12", "version": 4}
    check(pc.route_item(route), "routes", "r-7", "route:r-7", 4, data)


def assignment() -> cpb.RouteAssignment:
    return cpb.RouteAssignment(
        route_id="r-7",
        outlet_id="o-1",
        frequency=cpb.VISIT_FREQUENCY_EVERY_2_WEEKS,
        weekdays=[1, 4],
        start_date=day(2026, 3, 2),
        sequence=3,
        route_version=11,
    )


def test_route_outlet() -> None:
    data = {
        "routeId": "r-7",
        "outletId": "o-1",
        "frequency": "every2Weeks",
        "weekdays": [1, 4],
        "startDate": "2026-03-02",
        "sequence": 3,
    }
    check(pc.route_outlet_item(assignment()), "routeOutlets", "r-7/o-1", "route:r-7", 11, data)
    changed = pc.route_assignment_changed(
        cev.RouteAssignmentChanged(assignment=assignment(), agent_id="e-1")
    )
    assert changed == pc.route_outlet_item(assignment())


def test_removed_route_assignment_is_a_tombstone() -> None:
    event = cev.RouteAssignmentChanged(assignment=assignment(), agent_id="e-1", removed=True)
    assert pc.route_assignment_changed(event) == p.Removal(
        "routeOutlets", "r-7/o-1", "route:r-7", 11
    )
    assert pc.route_outlet_key("r-7", "o-1") == "r-7/o-1"


def test_visit_plan() -> None:
    plan = tpb.GetVisitPlanResponse(
        agent_id="e-1",
        date=day(2026, 3, 4),
        visits=[
            tpb.PlannedVisit(outlet=cpb.Outlet(id="o-1"), route_id="r-7", sequence=1),
            tpb.PlannedVisit(
                outlet=cpb.Outlet(id="o-2"), route_id="r-7", sequence=2, visit=cpb.Visit(id="v")
            ),
        ],
    )
    data = {
        "date": "2026-03-04",
        "visits": [
            {"outletId": "o-1", "routeId": "r-7", "sequence": 1},
            {"outletId": "o-2", "routeId": "r-7", "sequence": 2},
        ],
    }
    check(pc.visit_plan_item(plan), "visitPlans", "e-1/2026-03-04", "agent:e-1", 0, data)
    empty = tpb.GetVisitPlanResponse(agent_id="e-1", date=day(2026, 3, 5))
    assert json.loads(pc.visit_plan_item(empty).body) == {"date": "2026-03-05", "visits": []}


def test_visit_completed_with_check_in_and_out() -> None:
    visit = cpb.Visit(
        id="v-1",
        agent_id="e-1",
        outlet_id="o-1",
        date=day(2026, 3, 4),
        status=cpb.VISIT_STATUS_COMPLETED,
        check_in_time=at(2026, 3, 4, 9, 0, 5, micro=250_000),
        check_in_location=latlng_pb2.LatLng(latitude=56.8587, longitude=35.9176),
        check_in_distance_m=42,
        check_in_far=False,
        check_out_time=at(2026, 3, 4, 9, 20),
        check_out_location=latlng_pb2.LatLng(latitude=56.8591, longitude=35.9201),
        check_out_distance_m=260,
        check_out_far=True,
        outcome=cpb.VISIT_OUTCOME_ORDER_TAKEN,
        notes="ok",
    )
    data = {
        "id": "v-1",
        "outletId": "o-1",
        "date": "2026-03-04",
        "status": "completed",
        "checkIn": {
            "time": "2026-03-04T09:00:05.250Z",
            "location": {"lat": 56.8587, "lon": 35.9176},
            "distanceM": 42,
            "far": False,
        },
        "checkOut": {
            "time": "2026-03-04T09:20:00.000Z",
            "location": {"lat": 56.8591, "lon": 35.9201},
            "distanceM": 260,
            "far": True,
        },
        "outcome": "orderTaken",
        "notes": "ok",
    }
    check(pc.visit_item(visit), "visits", "v-1", "agent:e-1", 0, data)


def test_missed_visit_leaves_the_optional_members_out() -> None:
    visit = cpb.Visit(
        id="v-2",
        agent_id="e-1",
        outlet_id="o-2",
        date=day(2026, 3, 4),
        status=cpb.VISIT_STATUS_MISSED,
        missed_reason="closed for inventory",
    )
    data = {
        "id": "v-2",
        "outletId": "o-2",
        "date": "2026-03-04",
        "status": "missed",
        "missedReason": "closed for inventory",
    }
    check(pc.visit_item(visit), "visits", "v-2", "agent:e-1", 0, data)


def card() -> cpb.OutletCard:
    c = cpb.OutletCard(
        name="Магазин «Ромашка»",
        address="г. Тверь, ул. Советская, 12",
        location=latlng_pb2.LatLng(latitude=56.8587, longitude=35.9176),
        channel="traditional trade",
        format="minimarket",
        outlet_class="B",
        contacts=[cpb.Contact(name="Анна", role="owner", phone="+7 900 000-00-00", email="")],
        working_hours=[cpb.WorkingHours(weekday=1, opens="08:00", closes="21:00")],
    )
    c.custom_attributes["fridge"] = "yes"
    c.custom_attributes["atm"] = "no"
    return c


CARD = {
    "name": "Магазин «Ромашка»",
    "address": "г. Тверь, ул. Советская, 12",
    "location": {"lat": 56.8587, "lon": 35.9176},
    "channel": "traditional trade",
    "format": "minimarket",
    "outletClass": "B",
    "contacts": [{"name": "Анна", "role": "owner", "phone": "+7 900 000-00-00", "email": ""}],
    "workingHours": [{"weekday": 1, "opens": "08:00", "closes": "21:00"}],
    "customAttributes": {"atm": "no", "fridge": "yes"},
}


def test_outlet_with_card() -> None:
    outlet = cpb.Outlet(
        id="o-1",
        client_id="c-1",
        card=card(),
        status=cpb.OUTLET_STATUS_ACTIVE,
        territory_id="t-12",
        version=7,
        create_time=at(2026, 1, 1),
    )
    data = {
        "id": "o-1",
        "clientId": "c-1",
        "status": "active",
        "territoryId": "t-12",
        "version": 7,
        "card": CARD,
    }
    check(pc.outlet_item(outlet), "outlets", "o-1", "outlet:o-1", 7, data)


def test_outlet_card_without_location() -> None:
    c = cpb.OutletCard(name="n", address="a")
    data = json.loads(pc.outlet_item(cpb.Outlet(id="o", card=c)).body)["card"]
    assert "location" not in data
    assert data["contacts"] == [] and data["customAttributes"] == {}


def test_client_kpp_present_and_absent() -> None:
    client = cpb.Client(
        id="c-1",
        name="ООО «Ромашка»",
        inn="6901234567",
        kpp="690101001",
        type=cpb.CLIENT_TYPE_KEY_ACCOUNT,
        legal_address="г. Тверь",
        version=2,
    )
    data = {
        "id": "c-1",
        "name": "ООО «Ромашка»",
        "inn": "6901234567",
        "kpp": "690101001",
        "type": "keyAccount",
        "legalAddress": "г. Тверь",
        "version": 2,
    }
    check(pc.client_item(client), "clients", "c-1", "client:c-1", 2, data)
    sole = cpb.Client(id="c-2", inn="690100000001", type=cpb.CLIENT_TYPE_RETAIL, version=1)
    assert "kpp" not in json.loads(pc.client_item(sole).body)


def test_questionnaire() -> None:
    q = cpb.Questionnaire(
        id="q-1",
        name="Аудит полки",
        questions=[
            cpb.Question(id="shelf", text="Полок?", type=cpb.QUESTION_TYPE_NUMBER, required=True),
            cpb.Question(
                id="pos",
                text="POS?",
                type=cpb.QUESTION_TYPE_CHOICE,
                options=["none", "poster"],
            ),
        ],
        must_stock_skus=["SKU-1", "SKU-2"],
        version=3,
    )
    data = {
        "id": "q-1",
        "name": "Аудит полки",
        "version": 3,
        "questions": [
            {"id": "shelf", "text": "Полок?", "type": "number", "options": [], "required": True},
            {
                "id": "pos",
                "text": "POS?",
                "type": "choice",
                "options": ["none", "poster"],
                "required": False,
            },
        ],
        "mustStockSkus": ["SKU-1", "SKU-2"],
    }
    check(pc.questionnaire_item(q), "questionnaires", "q-1", "company", 3, data)


def test_proposal() -> None:
    proposal = cpb.Proposal(
        id="pr-1",
        kind=cpb.PROPOSAL_KIND_CARD_CHANGE,
        status=cpb.PROPOSAL_STATUS_REJECTED,
        proposed_by="e-1",
        outlet_id="o-1",
        client_id="c-1",
        card=card(),
        fields=["outlet_class", "custom_attributes.fridge"],
        decided_by="s-1",
        decision_reason="wrong class",
        create_time=at(2026, 3, 1, 10, 0),
        decide_time=at(2026, 3, 2, 11, 30),
    )
    data = {
        "id": "pr-1",
        "kind": "cardChange",
        "status": "rejected",
        "outletId": "o-1",
        "clientId": "c-1",
        "card": CARD,
        "fields": ["outletClass", "customAttributes.fridge"],
        "decidedBy": "s-1",
        "decisionReason": "wrong class",
        "createTime": "2026-03-01T10:00:00.000Z",
        "decideTime": "2026-03-02T11:30:00.000Z",
    }
    check(pc.proposal_item(proposal), "proposals", "pr-1", "agent:e-1", 0, data)
    pending = cpb.Proposal(
        id="pr-2",
        kind=cpb.PROPOSAL_KIND_NEW_OUTLET,
        status=cpb.PROPOSAL_STATUS_PENDING,
        proposed_by="e-1",
        create_time=at(2026, 3, 1),
    )
    body = json.loads(pc.proposal_item(pending).body)
    assert body["kind"] == "newOutlet"
    assert not {"decidedBy", "decisionReason", "decideTime"} & body.keys()


# ----------------------------------------------------------------------------------- orders


def test_product_group() -> None:
    g = opb.ProductGroup(id="g-2", external_id="x", name="Соки", parent_id="g-1", version=2)
    data = {"id": "g-2", "name": "Соки", "parentId": "g-1"}
    check(po.product_group_item(g), "productGroups", "g-2", "catalog", 2, data)
    root = opb.ProductGroup(id="g-1", name="Напитки", version=1)
    assert json.loads(po.product_group_item(root).body) == {"id": "g-1", "name": "Напитки"}


def test_product() -> None:
    product = opb.Product(
        id="p-1",
        external_id="erp-1",
        sku="SKU-1",
        name="Пиво 0,5",
        group_id="g-2",
        barcodes=["4600000000001"],
        vat_rate="20",
        base_unit="pcs",
        units=[
            opb.ProductUnit(code="pcs", name="шт", ratio="1"),
            opb.ProductUnit(code="box", name="короб", ratio="12"),
        ],
        pack_unit="box",
        container_type="bottle-0.5",
        containers_per_unit="1",
        active=True,
        version=9,
    )
    data = {
        "id": "p-1",
        "sku": "SKU-1",
        "name": "Пиво 0,5",
        "groupId": "g-2",
        "barcodes": ["4600000000001"],
        "vatRate": "20",
        "baseUnit": "pcs",
        "units": [
            {"code": "pcs", "name": "шт", "ratio": "1"},
            {"code": "box", "name": "короб", "ratio": "12"},
        ],
        "packUnit": "box",
        "containerType": "bottle-0.5",
        "containersPerUnit": "1",
        "active": True,
        "version": 9,
    }
    check(po.product_item(product), "products", "p-1", "catalog", 9, data)
    plain = json.loads(po.product_item(opb.Product(id="p-2", vat_rate="10")).body)
    assert plain["vatRate"] == "10"
    assert not {"containerType", "containersPerUnit"} & plain.keys()


def test_price_type() -> None:
    t = opb.PriceType(id="pt-2", name="Розница", currency_code="RUB", vat_included=True, version=1)
    data = {"id": "pt-2", "name": "Розница", "currency": "RUB", "vatIncluded": True}
    check(po.price_type_item(t), "priceTypes", "pt-2", "price_type:pt-2", 1, data)


def price_list(**extra: Any) -> opb.PriceList:
    return opb.PriceList(
        id="pl-31", price_type_id="pt-2", valid_from=day(2026, 3, 1), version=6, **extra
    )


def test_price_list_with_and_without_an_end() -> None:
    data = {"id": "pl-31", "priceTypeId": "pt-2", "validFrom": "2026-03-01"}
    check(po.price_list_item(price_list()), "priceLists", "pl-31", "price_type:pt-2", 6, data)
    ended = json.loads(po.price_list_item(price_list(valid_to=day(2026, 3, 31))).body)
    assert ended["validTo"] == "2026-03-31"


def test_price() -> None:
    entry = opb.PriceListEntry(product_id="p-1001", price=rub(87, 400_000_000))
    data = {
        "priceListId": "pl-31",
        "productId": "p-1001",
        "price": {"amount": "87.40", "currency": "RUB"},
    }
    item = po.price_item("pl-31", "pt-2", entry, version=6)
    check(item, "prices", "pl-31/p-1001", "price_type:pt-2", 6, data)


def test_price_list_changed_with_entries_and_removals() -> None:
    event = oev.PriceListChanged(
        price_list=price_list(entry_count=2),
        entries_included=True,
        changed_entries=[opb.PriceListEntry(product_id="p-1", price=rub(10))],
        removed_product_ids=["p-9"],
    )
    header, price, removal = po.price_list_changed(event)
    assert header == po.price_list_item(price_list())
    assert isinstance(price, p.Item)
    assert (price.key, price.scope, price.version) == ("pl-31/p-1", "price_type:pt-2", 6)
    assert json.loads(price.body)["price"] == {"amount": "10.00", "currency": "RUB"}
    assert removal == p.Removal("prices", "pl-31/p-9", "price_type:pt-2", 6)


def test_price_list_changed_without_entries_is_the_header_only() -> None:
    event = oev.PriceListChanged(price_list=price_list(entry_count=100_000))
    assert po.price_list_changed(event) == [po.price_list_item(price_list())]


def test_discount_for_every_client_and_for_one() -> None:
    everyone = opb.Discount(
        id="d-1",
        scope=opb.DISCOUNT_SCOPE_GROUP,
        group_id="g-2",
        volume_breaks=[
            opb.VolumeBreak(min_quantity="10", percent="2.5"),
            opb.VolumeBreak(min_quantity="100", percent="5"),
        ],
        valid_from=day(2026, 3, 1),
        version=2,
    )
    data = {
        "id": "d-1",
        "scope": "group",
        "groupId": "g-2",
        "volumeBreaks": [
            {"minQuantity": "10", "percent": "2.5"},
            {"minQuantity": "100", "percent": "5"},
        ],
        "validFrom": "2026-03-01",
    }
    check(po.discount_item(everyone), "discounts", "d-1", "catalog", 2, data)
    one = opb.Discount(
        id="d-2",
        scope=opb.DISCOUNT_SCOPE_CLIENT,
        client_id="c-1",
        percent="3",
        valid_to=day(2026, 12, 31),
        version=1,
    )
    data = {
        "id": "d-2",
        "scope": "client",
        "clientId": "c-1",
        "percent": "3",
        "volumeBreaks": [],
        "validTo": "2026-12-31",
    }
    check(po.discount_item(one), "discounts", "d-2", "account:c-1", 1, data)


def test_client_terms() -> None:
    terms = opb.ClientPriceType(client_id="c-1", price_type_id="pt-2", version=3)
    data = {"clientId": "c-1", "priceTypeId": "pt-2"}
    check(po.client_terms_item(terms), "clientTerms", "c-1", "account:c-1", 3, data)


def test_client_price() -> None:
    price = opb.ClientPrice(
        client_id="c-1",
        product_id="p-1",
        price=rub(80, 50_000_000),
        valid_from=day(2026, 3, 1),
        version=2,
    )
    data = {
        "clientId": "c-1",
        "productId": "p-1",
        "price": {"amount": "80.05", "currency": "RUB"},
        "validFrom": "2026-03-01",
    }
    item = po.client_price_item(price)
    check(item, "clientPrices", "c-1/p-1/2026-03-01", "account:c-1", 2, data)


def order(agent_id: str = "e-1", **extra: Any) -> opb.Order:
    return opb.Order(
        id="ord-1",
        kind=opb.ORDER_KIND_PRE_SALE,
        status=opb.ORDER_STATUS_CREDIT_HOLD,
        client_id="c-1",
        outlet_id="o-1",
        agent_id=agent_id,
        warehouse_id="w-1",
        order_date=day(2026, 3, 4),
        lines=[
            opb.OrderLine(
                product_id="p-1",
                unit="box",
                quantity="2",
                base_quantity="24",
                unit_price=rub(87, 400_000_000),
                price_source="price_list:pl-31",
                rule_discount_percent="2.5",
                manual_discount_percent="0",
                net_amount=rub(1701, 180_000_000),
                vat_rate="20",
                vat_amount=rub(340, 240_000_000),
                gross_amount=rub(2041, 420_000_000),
                container_type="bottle-0.5",
                container_quantity="24",
            )
        ],
        currency_code="RUB",
        net_total=rub(1701, 180_000_000),
        vat_total=rub(340, 240_000_000),
        gross_total=rub(2041, 420_000_000),
        version=2,
        create_time=at(2026, 3, 4, 9, 10, 11, micro=5_000),
        update_time=at(2026, 3, 4, 9, 10, 12),
        **extra,
    )


def order_item(o: opb.Order) -> p.Item:
    """The one `orders` item of an order its agent took (a field order)."""
    [found] = po.order_items(o)
    return found


ORDER_LINE = {
    "productId": "p-1",
    "unit": "box",
    "quantity": "2",
    "baseQuantity": "24",
    "unitPrice": {"amount": "87.40", "currency": "RUB"},
    "priceSource": "price_list:pl-31",
    "ruleDiscountPercent": "2.5",
    "manualDiscountPercent": "0",
    "netAmount": {"amount": "1701.18", "currency": "RUB"},
    "vatRate": "20",
    "vatAmount": {"amount": "340.24", "currency": "RUB"},
    "grossAmount": {"amount": "2041.42", "currency": "RUB"},
    "containerType": "bottle-0.5",
    "containerQuantity": "24",
}


def test_order_on_credit_hold() -> None:
    credit = opb.CreditDecision(
        outcome=opb.CREDIT_OUTCOME_BLOCK,
        reasons=["over the credit limit"],
        decide_time=at(2026, 3, 4, 9, 10, 11),
    )
    data = {
        "id": "ord-1",
        "kind": "preSale",
        "status": "creditHold",
        "clientId": "c-1",
        "outletId": "o-1",
        "warehouseId": "w-1",
        "channel": "field",  # UNSPECIFIED: an order from before channels
        "agentId": "e-1",
        "takenBy": "e-1",  # none named: its agent
        "orderDate": "2026-03-04",
        "currency": "RUB",
        "lines": [ORDER_LINE],
        "netTotal": {"amount": "1701.18", "currency": "RUB"},
        "vatTotal": {"amount": "340.24", "currency": "RUB"},
        "grossTotal": {"amount": "2041.42", "currency": "RUB"},
        "credit": {
            "outcome": "block",
            "reasons": ["over the credit limit"],
            "fallback": False,
            "decideTime": "2026-03-04T09:10:11.000Z",
        },
        "version": 2,
        "createTime": "2026-03-04T09:10:11.005Z",
        "updateTime": "2026-03-04T09:10:12.000Z",
    }
    check(order_item(order(credit=credit)), "orders", "ord-1", "agent:e-1", 2, data)


def test_order_optional_members_present() -> None:
    credit = opb.CreditDecision(
        outcome=opb.CREDIT_OUTCOME_OVERRIDDEN,
        fallback=True,
        override_by="s-1",
        override_reason="pays tomorrow",
        decide_time=at(2026, 3, 4, 9),
    )
    o = order(
        credit=credit,
        distributor_id="dist-1",
        delivery_date=day(2026, 3, 5),
        comment="back door",
        status_reason="short of stock",
    )
    o.status = opb.ORDER_STATUS_PARTIALLY_DELIVERED
    o.lines[0].delivered_base_quantity = "20"
    body = json.loads(order_item(o).body)
    assert body["status"] == "partiallyDelivered"
    assert body["distributorId"] == "dist-1"
    assert body["deliveryDate"] == "2026-03-05"
    assert body["comment"] == "back door"
    assert body["statusReason"] == "short of stock"
    assert body["lines"][0]["deliveredBaseQuantity"] == "20"
    assert body["credit"] == {
        "outcome": "overridden",
        "reasons": [],
        "fallback": True,
        "overrideBy": "s-1",
        "overrideReason": "pays tomorrow",
        "decideTime": "2026-03-04T09:00:00.000Z",
    }


def test_order_without_credit_decision() -> None:
    body = json.loads(order_item(order()).body)
    assert "credit" not in body and "deliveryDate" not in body and "comment" not in body


def test_an_order_with_promotions_carries_them_per_line_and_per_order() -> None:
    """sales-gaps.md 3.7: a line's promotion discount and each promotion's part in it; a free
    line's promotion; per order, what each promotion was judged and how that compares with
    what the device expected. Members in the order listed, after the line's older ones."""
    o = order(
        promotions=[
            opb.AppliedPromotion(
                promotion_id="pr-1",
                name="Spring 5%",
                status=opb.APPLIED_PROMOTION_STATUS_APPLIED,
                benefit=rub(89, 530_000_000),
                budget_consumed="89.53",
                explanation='outlet channel "HoReCa"; 5% off "Tea"',
                match=opb.PROMOTION_MATCH_DIFFERENT,
                expected_benefit=rub(100),
            ),
            opb.AppliedPromotion(
                promotion_id="pr-2",
                status=opb.APPLIED_PROMOTION_STATUS_BUDGET_EXHAUSTED,
                explanation="10.00 of 5,000.00 left before this order",
                match=opb.PROMOTION_MATCH_MISSING,
                expected_benefit=rub(50),
            ),
            opb.AppliedPromotion(
                promotion_id="pr-3",
                name="Gift",
                status=opb.APPLIED_PROMOTION_STATUS_APPLIED,
                benefit=rub(87, 400_000_000),
                match=opb.PROMOTION_MATCH_UNEXPECTED,
            ),
        ]
    )
    o.lines[0].promotion_discount.CopyFrom(rub(89, 530_000_000))
    o.lines[0].promotions.append(
        opb.LinePromotion(
            promotion_id="pr-1", benefit=rub(89, 530_000_000), formula="5% off: 1790.71 → 1701.18"
        )
    )
    o.lines.append(
        opb.OrderLine(
            product_id="p-gift",
            unit="pcs",
            quantity="1",
            base_quantity="1",
            unit_price=rub(87, 400_000_000),
            net_amount=rub(0),
            vat_rate="20",
            vat_amount=rub(0),
            gross_amount=rub(0),
            free_of_charge=True,
            promotion_id="pr-3",
        )
    )
    zero = {"amount": "0.00", "currency": "RUB"}
    gift = {
        "productId": "p-gift",
        "unit": "pcs",
        "quantity": "1",
        "baseQuantity": "1",
        "unitPrice": {"amount": "87.40", "currency": "RUB"},
        "priceSource": "",
        "ruleDiscountPercent": "",
        "manualDiscountPercent": "",
        "netAmount": zero,
        "vatRate": "20",
        "vatAmount": zero,
        "grossAmount": zero,
        "freeOfCharge": True,
        "promotionId": "pr-3",
    }
    data = {
        "id": "ord-1",
        "kind": "preSale",
        "status": "creditHold",
        "clientId": "c-1",
        "outletId": "o-1",
        "warehouseId": "w-1",
        "channel": "field",
        "agentId": "e-1",
        "takenBy": "e-1",
        "orderDate": "2026-03-04",
        "currency": "RUB",
        "lines": [
            {
                **ORDER_LINE,
                "promotionDiscount": {"amount": "89.53", "currency": "RUB"},
                "promotions": [
                    {
                        "promotionId": "pr-1",
                        "benefit": {"amount": "89.53", "currency": "RUB"},
                        "formula": "5% off: 1790.71 → 1701.18",
                    }
                ],
            },
            gift,
        ],
        "netTotal": {"amount": "1701.18", "currency": "RUB"},
        "vatTotal": {"amount": "340.24", "currency": "RUB"},
        "grossTotal": {"amount": "2041.42", "currency": "RUB"},
        "promotions": [
            {
                "promotionId": "pr-1",
                "name": "Spring 5%",
                "status": "applied",
                "benefit": {"amount": "89.53", "currency": "RUB"},
                "budgetConsumed": "89.53",
                "explanation": 'outlet channel "HoReCa"; 5% off "Tea"',
                "match": "different",
                "expectedBenefit": {"amount": "100.00", "currency": "RUB"},
            },
            {
                "promotionId": "pr-2",
                "status": "budgetExhausted",
                "explanation": "10.00 of 5,000.00 left before this order",
                "match": "missing",
                "expectedBenefit": {"amount": "50.00", "currency": "RUB"},
            },
            {
                "promotionId": "pr-3",
                "name": "Gift",
                "status": "applied",
                "benefit": {"amount": "87.40", "currency": "RUB"},
                "match": "unexpected",
            },
        ],
        "version": 2,
        "createTime": "2026-03-04T09:10:11.005Z",
        "updateTime": "2026-03-04T09:10:12.000Z",
    }
    check(order_item(o), "orders", "ord-1", "agent:e-1", 2, data)
    # A phone order's second copy is the same bytes, promotions included.
    credited, taken = po.order_items(order(taken_by="t-1", promotions=o.promotions))
    assert credited.body == taken.body
    assert len(json.loads(taken.body)["promotions"]) == 3


def test_an_order_without_promotions_reads_as_before() -> None:
    """An order from before promotions (or that got none, its lines' discount zero): no
    member of theirs, the same bytes as before (so re-projecting an old order changes
    nothing, and an older app reads the item as it did)."""
    o = order()
    o.lines[0].promotion_discount.CopyFrom(rub(0, currency="RUB"))
    body = json.loads(order_item(o).body)
    assert "promotions" not in body
    assert body["lines"] == [ORDER_LINE]
    assert order_item(o).body == order_item(order()).body


def test_an_amended_order_replaces_the_item_at_its_version_with_its_revision() -> None:
    """`OrderAmended` is applied as the other order events: the order's item, whose source
    version is the order's (so the store never lets an older copy replace it)."""
    amended = order(revision=2)
    amended.version, amended.status = 5, opb.ORDER_STATUS_SUBMITTED
    envelope = EventEnvelope(aggregate_version=5)
    message = oev.OrderAmended(order=amended, previous_revision=1)
    change = ORDERS[oev.OrderAmended](cast(Any, None), envelope, message)
    [found] = change.items
    assert isinstance(found, p.Item)
    assert (found.section, found.key, found.scope, found.source_version) == (
        "orders",
        "ord-1",
        "agent:e-1",
        5,
    )
    body = json.loads(found.body)
    assert (body["revision"], body["version"], body["status"]) == (2, 5, "submitted")
    # An order with no revision (a van sale) leaves it out.
    assert "revision" not in json.loads(order_item(order()).body)


def test_a_phone_order_is_under_its_credited_agent_and_its_taker() -> None:
    """A teleseller's phone order credited to a field agent: one object under the agent's
    scope (key the order's id) and one under the teleseller's (`taken:<orderId>`), the same
    bytes, both versioned by the order (sales-gaps.md §5)."""
    phone = order(channel=opb.ORDER_CHANNEL_PHONE, taken_by="t-1", call_id="call-1", agent_id="e-7")
    credited, taken = po.order_items(phone)
    assert (credited.section, credited.key, credited.scope) == ("orders", "ord-1", "agent:e-7")
    assert (taken.section, taken.key, taken.scope) == ("orders", "taken:ord-1", "agent:t-1")
    assert credited.body == taken.body
    assert credited.source_version == taken.source_version == 2
    body = json.loads(taken.body)
    assert (body["id"], body["channel"], body["agentId"], body["takenBy"], body["callId"]) == (
        "ord-1",
        "phone",
        "e-7",
        "t-1",
        "call-1",
    )


@pytest.mark.parametrize(
    "fields",
    [
        # a field order: its agent took it
        {"channel": opb.ORDER_CHANNEL_FIELD, "taken_by": "e-1"},
        # from before channels: no taker named
        {},
        # a teleseller's phone order credited to itself (no field agent on the outlet)
        {"channel": opb.ORDER_CHANNEL_PHONE, "taken_by": "e-1", "call_id": "call-1"},
    ],
)
def test_an_order_its_agent_took_is_one_object(fields: dict[str, Any]) -> None:
    [found] = po.order_items(order(**fields))
    assert (found.key, found.scope) == ("ord-1", "agent:e-1")
    assert json.loads(found.body)["takenBy"] == "e-1"


@pytest.mark.parametrize(
    "event",
    [
        lambda o: oev.OrderSubmitted(order=o),
        lambda o: oev.OrderHeld(order=o),
        lambda o: oev.OrderConfirmed(order=o),
        lambda o: oev.OrderAmended(order=o, previous_revision=1),
        lambda o: oev.OrderStatusChanged(order=o, previous_status=opb.ORDER_STATUS_SUBMITTED),
    ],
)
def test_every_event_of_a_phone_order_moves_both_copies(event: Any) -> None:
    """Submitted, held, confirmed, amended, cancelled or delivered: each event carries the
    order whole, and both objects are written from it at its version."""
    phone = order(channel=opb.ORDER_CHANNEL_PHONE, taken_by="t-1", agent_id="e-7", revision=2)
    phone.version, phone.status = 6, opb.ORDER_STATUS_CANCELLED
    message = event(phone)
    change = ORDERS[type(message)](cast(Any, None), EventEnvelope(aggregate_version=6), message)
    found = [(i.key, i.scope, i.source_version) for i in change.items if isinstance(i, p.Item)]
    assert found == [("ord-1", "agent:e-7", 6), ("taken:ord-1", "agent:t-1", 6)]
    bodies = {i.body for i in change.items if isinstance(i, p.Item)}
    [body] = map(json.loads, bodies)
    assert (body["status"], body["revision"]) == ("cancelled", 2)


def test_van_and_its_stock() -> None:
    v = van.Van(id="van-1", name="Газель 12", van_seller_id="e-2", currency_code="RUB")
    data = {"id": "van-1", "name": "Газель 12", "currency": "RUB"}
    check(po.van_item(v), "vans", "van-1", "agent:e-2", 0, data)
    stock = van.GetVanStockResponse(
        van_id="van-1",
        lines=[
            van.VanStockLine(product_id="p-1", quantity="120"),
            van.VanStockLine(product_id="p-2", quantity="0.5"),
        ],
    )
    data = {
        "vanId": "van-1",
        "lines": [
            {"productId": "p-1", "quantity": "120"},
            {"productId": "p-2", "quantity": "0.5"},
        ],
    }
    check(po.van_stock_item(stock, "e-2"), "vanStock", "van-1", "agent:e-2", 0, data)


def test_recommended_order() -> None:
    explanation = ops.RecommendationExplanation(
        sold_quantity="75",
        window_days=30,
        average_daily_sales="2.5",
        days_until_next_visit=7,
        safety_stock="5",
        shelf_quantity="12",
        pack_size="6",
        formula="ceil((2.5 × 7 + 5 − 12) / 6) × 6 = 12",
        next_contact_kind=opb.CONTACT_KIND_CALL,
    )
    r = ops.RecommendedOrder(
        outlet_id="o-1",
        date=day(2026, 3, 5),
        lines=[
            ops.RecommendedLine(
                product_id="p-1",
                quantity="2",
                unit="box",
                base_quantity="12",
                reason=ops.RECOMMENDATION_REASON_SALES_HISTORY,
                explanation=explanation,
            ),
            ops.RecommendedLine(
                product_id="p-2",
                quantity="1",
                unit="pcs",
                base_quantity="1",
                reason=ops.RECOMMENDATION_REASON_MUST_STOCK,
                explanation=ops.RecommendationExplanation(window_days=30, pack_size="1"),
            ),
        ],
    )
    data = {
        "outletId": "o-1",
        "date": "2026-03-05",
        "lines": [
            {
                "productId": "p-1",
                "quantity": "2",
                "unit": "box",
                "baseQuantity": "12",
                "reason": "salesHistory",
                "explanation": {
                    "soldQuantity": "75",
                    "windowDays": 30,
                    "averageDailySales": "2.5",
                    "daysUntilNextVisit": 7,
                    "safetyStock": "5",
                    "shelfQuantity": "12",
                    "packSize": "6",
                    "formula": "ceil((2.5 × 7 + 5 − 12) / 6) × 6 = 12",
                    # the next chance to order is a call (a call list's schedule)
                    "nextContactKind": "call",
                },
            },
            {
                "productId": "p-2",
                "quantity": "1",
                "unit": "pcs",
                "baseQuantity": "1",
                "reason": "mustStock",
                "explanation": {
                    "soldQuantity": "",
                    "windowDays": 30,
                    "averageDailySales": "",
                    "daysUntilNextVisit": 0,
                    "safetyStock": "",
                    "packSize": "1",
                    "formula": "",
                },
            },
        ],
    }
    item = po.recommended_order_item(r)
    check(item, "recommendedOrders", "o-1", "outlet:o-1", 0, data)
    # A visit next; none planned (UNSPECIFIED) leaves it out, as the second line shows.
    r.lines[0].explanation.next_contact_kind = opb.CONTACT_KIND_VISIT
    visited = json.loads(po.recommended_order_item(r).body)["lines"]
    assert visited[0]["explanation"]["nextContactKind"] == "visit"


def a_contact(**fields: Any) -> opb.ContactSales:
    values: dict[str, Any] = {
        "contact_id": "v-1",
        "kind": opb.CONTACT_KIND_VISIT,
        "employee_id": "a-1",
        "outlet_id": "o-1",
        "date": day(2026, 3, 4),
        "orders": 1,
        "van_sales": 1,
        "returns": 1,
        "lines": 3,
        "gross_total": rub(262, 200_000_000),
        "productive": True,
        "productive_minimum": rub(0, 10_000_000),
        "order_ids": ["o-9", "s-9"],
        "return_ids": ["r-9"],
        "version": 3,
        "update_time": at(2026, 3, 4, 9, 31, 2),
    }
    values.update(fields)
    return opb.ContactSales(**values)


def test_contact_sales_of_a_productive_visit() -> None:
    data = {
        "contactId": "v-1",
        "kind": "visit",
        "outletId": "o-1",
        "date": "2026-03-04",
        "orders": 1,
        "vanSales": 1,
        "returns": 1,
        "lines": 3,
        "grossTotal": {"amount": "262.20", "currency": "RUB"},
        "productive": True,
        "productiveMinimum": {"amount": "0.01", "currency": "RUB"},
        "mismatched": False,
        "orderIds": ["o-9", "s-9"],
        "returnIds": ["r-9"],
        "version": 3,
        "updateTime": "2026-03-04T09:31:02.000Z",
    }
    item = po.contact_sales_item(a_contact())
    # Keyed by the visit, under the employee's own scope, versioned by the row's version.
    check(item, "contactSales", "v-1", "agent:a-1", 3, data)
    assert item.source_version == 3
    # The same message the event carries makes the same item.
    event = oev.ContactSalesChanged(contact_sales=a_contact())
    assert po.contact_sales_item(event.contact_sales) == item


def test_contact_sales_of_a_call_are_the_telesellers() -> None:
    """A call's figures (orders' CALL contact): keyed by the call, under the teleseller's
    scope, `kind` call."""
    item = po.contact_sales_item(
        a_contact(contact_id="call-1", kind=opb.CONTACT_KIND_CALL, employee_id="t-1")
    )
    assert (item.key, item.scope) == ("call-1", "agent:t-1")
    assert json.loads(item.body)["kind"] == "call"


def test_contact_sales_of_a_visit_that_was_not_productive() -> None:
    """A mismatched visit (a document at another outlet) and a returns-only one: the figures
    as orders counted them, `productive` false; nothing counted is an empty list, not absent."""
    mismatched = po.contact_sales_item(a_contact(mismatched=True, productive=False, version=1))
    body = json.loads(mismatched.body)
    assert (body["productive"], body["mismatched"], body["version"]) == (False, True, 1)
    returns_only = po.contact_sales_item(
        a_contact(
            orders=0,
            van_sales=0,
            lines=0,
            gross_total=rub(0),
            productive=False,
            order_ids=[],
            update_time=None,
        )
    )
    body = json.loads(returns_only.body)
    assert body["grossTotal"] == {"amount": "0.00", "currency": "RUB"}
    assert (body["orders"], body["vanSales"], body["returns"]) == (0, 0, 1)
    assert (body["orderIds"], body["returnIds"], body["productive"]) == ([], ["r-9"], False)
    assert "updateTime" not in body
    # A kind this build does not know (a call contact of a newer orders) is "unknown".
    assert json.loads(po.contact_sales_item(a_contact(kind=7)).body)["kind"] == "unknown"


# ------------------------------------------------------------------------------ settlements


def test_client_balance_with_a_credit_limit() -> None:
    b = spb.Balance(
        client_id="c-1",
        balance=rub(15_000),
        overdue=rub(2_500, 500_000_000),
        max_overdue_days=12,
        open_invoices=3,
        credit_limit=rub(50_000),
        has_credit_limit=True,
        reserved=rub(1_200, 10_000_000),
        version=41,
    )
    data = {
        "clientId": "c-1",
        "balance": {"amount": "15000.00", "currency": "RUB"},
        "overdue": {"amount": "2500.50", "currency": "RUB"},
        "maxOverdueDays": 12,
        "openInvoices": 3,
        "creditLimit": {"amount": "50000.00", "currency": "RUB"},
        "reserved": {"amount": "1200.01", "currency": "RUB"},
        "asOf": "2026-03-04",
    }
    item = ps.balance_item(b, as_of=date(2026, 3, 4))
    check(item, "balances", "c-1", "account:c-1", 41, data)


def test_outlet_balance_without_a_credit_limit() -> None:
    b = spb.Balance(
        client_id="c-1",
        outlet_id="o-1",
        balance=rub(-300),
        overdue=rub(0),
        credit_limit=rub(0),
        has_credit_limit=False,
        reserved=rub(0),
        version=41,
    )
    data = {
        "clientId": "c-1",
        "outletId": "o-1",
        "balance": {"amount": "-300.00", "currency": "RUB"},
        "overdue": {"amount": "0.00", "currency": "RUB"},
        "maxOverdueDays": 0,
        "openInvoices": 0,
        "reserved": {"amount": "0.00", "currency": "RUB"},
        "asOf": "2026-03-04",
    }
    item = ps.balance_item(b, as_of=date(2026, 3, 4))
    check(item, "balances", "c-1/o-1", "account:c-1", 41, data)


def invoice(open_units: int, open_nanos: int = 0) -> spb.Invoice:
    return spb.Invoice(
        id="inv-1",
        number="ВС-000123",
        client_id="c-1",
        outlet_id="o-1",
        order_id="ord-1",
        source=spb.INVOICE_SOURCE_VAN_SALE,
        issue_date=day(2026, 3, 4),
        due_date=day(2026, 3, 18),
        amount=rub(2041, 420_000_000),
        open_amount=rub(open_units, open_nanos),
        version=3,
    )


def test_open_invoice() -> None:
    data = {
        "id": "inv-1",
        "number": "ВС-000123",
        "clientId": "c-1",
        "outletId": "o-1",
        "orderId": "ord-1",
        "source": "vanSale",
        "issueDate": "2026-03-04",
        "dueDate": "2026-03-18",
        "amount": {"amount": "2041.42", "currency": "RUB"},
        "openAmount": {"amount": "1041.42", "currency": "RUB"},
    }
    inv = invoice(1041, 420_000_000)
    check(ps.invoice_item(inv), "invoices", "inv-1", "account:c-1", 3, data)
    assert ps.invoice_change(inv) == ps.invoice_item(inv)


def test_a_paid_invoice_leaves_the_section() -> None:
    paid = invoice(0)
    assert not ps.is_open_invoice(paid)
    assert ps.invoice_change(paid) == p.Removal("invoices", "inv-1", "account:c-1", 3)


def test_credit_note_is_open_while_its_credit_is_unused() -> None:
    note = spb.Invoice(
        id="cn-1",
        number="R-1",
        client_id="c-1",
        source=spb.INVOICE_SOURCE_RETURN,
        issue_date=day(2026, 3, 4),
        due_date=day(2026, 3, 4),
        amount=rub(-120, -500_000_000),
        open_amount=rub(-20, -500_000_000),
        version=2,
    )
    assert ps.is_open_invoice(note)
    body = json.loads(ps.invoice_item(note).body)
    assert body["source"] == "return"
    assert body["openAmount"] == {"amount": "-20.50", "currency": "RUB"}
    assert "outletId" not in body and "orderId" not in body


def test_tare_balance_with_and_without_deposits() -> None:
    t = spb.TareBalance(
        client_id="c-1",
        container_type="keg-50",
        issued="10",
        returned="7",
        balance="3",
        deposit_per_unit=rub(1_500),
        deposit_value=rub(4_500),
        version=5,
    )
    data = {
        "clientId": "c-1",
        "containerType": "keg-50",
        "issued": "10",
        "returned": "7",
        "balance": "3",
        "depositPerUnit": {"amount": "1500.00", "currency": "RUB"},
        "depositValue": {"amount": "4500.00", "currency": "RUB"},
    }
    check(ps.tare_balance_item(t), "tareBalances", "c-1/keg-50", "account:c-1", 5, data)
    bare = spb.TareBalance(client_id="c-1", container_type="bottle-0.5", issued="1.5")
    body = json.loads(ps.tare_balance_item(bare).body)
    assert body["issued"] == "1.5"
    assert not {"depositPerUnit", "depositValue"} & body.keys()


def policy() -> spb.DebtPolicy:
    return spb.DebtPolicy(
        mode=spb.DEBT_POLICY_MODE_BLOCK,
        check_credit_limit=True,
        max_overdue_days=7,
        stages=[spb.STAGE_ORDER_SUBMIT, spb.STAGE_VAN_SALE],
        override_roles=["SUPERVISOR", "VAN_SELLER"],
    )


POLICY = {
    "mode": "block",
    "checkCreditLimit": True,
    "maxOverdueDays": 7,
    "stages": ["orderSubmit", "vanSale"],
    "overrideRoles": ["supervisor", "vanSeller"],
    "isDefault": True,
}


def test_credit_standing_with_decisions() -> None:
    standing = sss.CreditStanding(
        client_id="c-1",
        as_of=day(2026, 3, 4),
        figures=sss.CreditFigures(
            balance=rub(15_000),
            reserved=rub(1_200),
            order_amount=rub(0, 10_000_000),
            exposure=rub(16_200, 10_000_000),
            credit_limit=rub(50_000),
            has_credit_limit=True,
            overdue=rub(2_500),
            max_overdue_days=12,
            overdue_threshold_days=7,
        ),
        policy=policy(),
        is_default_policy=True,
        stages=[
            sss.StageStanding(
                stage=spb.STAGE_ORDER_SUBMIT,
                outcome=sss.CREDIT_OUTCOME_BLOCK,
                reasons=[
                    sss.CreditReason(code=sss.CREDIT_REASON_CODE_OVERDUE, message="12 days"),
                ],
                headroom=rub(33_800),
                has_headroom=True,
            ),
            sss.StageStanding(
                stage=spb.STAGE_VAN_SALE,
                outcome=sss.CREDIT_OUTCOME_WARN,
                headroom=rub(33_799, 990_000_000),
                has_headroom=True,
            ),
        ],
        version=4,
    )
    data = {
        "clientId": "c-1",
        "asOf": "2026-03-04",
        "decisions": [
            {
                "stage": "orderSubmit",
                "outcome": "block",
                "reasons": [{"code": "overdue", "message": "12 days"}],
            },
            {"stage": "vanSale", "outcome": "warn", "reasons": []},
        ],
        "headroom": {"amount": "33799.99", "currency": "RUB"},
        "policy": POLICY,
        "figures": {
            "balance": {"amount": "15000.00", "currency": "RUB"},
            "overdue": {"amount": "2500.00", "currency": "RUB"},
            "maxOverdueDays": 12,
            "creditLimit": {"amount": "50000.00", "currency": "RUB"},
            "reserved": {"amount": "1200.00", "currency": "RUB"},
        },
    }
    item = ps.credit_standing_item(standing)
    check(item, "creditStandings", "c-1", "account:c-1", 4, data)
    event = sse.CreditStandingChanged(standing=standing)
    assert ps.credit_standing_item(event.standing) == item


def test_credit_standing_without_stages_has_null_decisions_and_no_headroom() -> None:
    standing = sss.CreditStanding(
        client_id="c-1",
        as_of=day(2026, 3, 4),
        figures=sss.CreditFigures(balance=rub(10), overdue=rub(0), reserved=rub(0)),
        policy=spb.DebtPolicy(mode=spb.DEBT_POLICY_MODE_IGNORE, max_overdue_days=-1),
    )
    body = json.loads(ps.credit_standing_item(standing).body)
    assert body["decisions"] is None
    assert b'"decisions":null' in ps.credit_standing_item(standing).body
    assert "headroom" not in body and "creditLimit" not in body["figures"]
    assert body["policy"]["mode"] == "ignore" and body["policy"]["maxOverdueDays"] == -1


def test_credit_standing_from_the_policy_and_the_balance_alone() -> None:
    b = spb.Balance(
        client_id="c-1",
        balance=rub(15_000),
        overdue=rub(2_500),
        max_overdue_days=12,
        credit_limit=rub(50_000),
        has_credit_limit=True,
        reserved=rub(1_200),
        version=41,
    )
    item = ps.credit_standing_without_decisions(
        b, policy(), is_default=True, as_of=date(2026, 3, 4)
    )
    data = {
        "clientId": "c-1",
        "asOf": "2026-03-04",
        "decisions": None,
        "policy": POLICY,
        "figures": {
            "balance": {"amount": "15000.00", "currency": "RUB"},
            "overdue": {"amount": "2500.00", "currency": "RUB"},
            "maxOverdueDays": 12,
            "creditLimit": {"amount": "50000.00", "currency": "RUB"},
            "reserved": {"amount": "1200.00", "currency": "RUB"},
        },
    }
    check(item, "creditStandings", "c-1", "account:c-1", 0, data)


def test_collection() -> None:
    payment = spb.Payment(
        id="pay-1",
        kind=spb.PAYMENT_KIND_CASH,
        client_id="c-1",
        outlet_id="o-1",
        date=day(2026, 3, 4),
        amount=rub(3_000),
        receipt_number="0001",
        collected_by="e-1",
        allocations=[
            spb.Allocation(invoice_id="inv-1", amount=rub(2_041, 420_000_000)),
            spb.Allocation(invoice_id="inv-2", amount=rub(500)),
        ],
        unallocated=rub(458, 580_000_000),
    )
    data = {
        "id": "pay-1",
        "clientId": "c-1",
        "outletId": "o-1",
        "date": "2026-03-04",
        "amount": {"amount": "3000.00", "currency": "RUB"},
        "receiptNumber": "0001",
        "allocations": [
            {"invoiceId": "inv-1", "amount": {"amount": "2041.42", "currency": "RUB"}},
            {"invoiceId": "inv-2", "amount": {"amount": "500.00", "currency": "RUB"}},
        ],
        "unallocated": {"amount": "458.58", "currency": "RUB"},
    }
    item = ps.collection_item(payment)
    assert item is not None
    check(item, "collections", "pay-1", "agent:e-1", 0, data)


def test_a_payment_nobody_collected_is_no_collection() -> None:
    bank = spb.Payment(id="pay-2", kind=spb.PAYMENT_KIND_BANK, client_id="c-1", amount=rub(1))
    assert ps.collection_item(bank) is None
    uncollected = spb.Payment(id="pay-3", kind=spb.PAYMENT_KIND_CASH, client_id="c-1")
    assert ps.collection_item(uncollected) is None


def test_cash_on_hand() -> None:
    cash = spb.CashOnHand(
        employee_id="e-1",
        total=rub(3100, 500_000_000),
        oldest_date=day(2026, 3, 3),
        version=4,
        payments=[
            spb.Payment(
                id="pay-1",
                client_id="c-1",
                outlet_id="o-1",
                date=day(2026, 3, 3),
                amount=rub(3000),
                receipt_number="0001",
                visit_id="v-1",
            ),
            spb.Payment(
                id="pay-2", client_id="c-2", date=day(2026, 3, 4), amount=rub(100, 500_000_000)
            ),
        ],
    )
    data = {
        "employeeId": "e-1",
        "total": {"amount": "3100.50", "currency": "RUB"},
        "oldestDate": "2026-03-03",
        "payments": [
            {
                "id": "pay-1",
                "clientId": "c-1",
                "outletId": "o-1",
                "date": "2026-03-03",
                "amount": {"amount": "3000.00", "currency": "RUB"},
                "receiptNumber": "0001",
                "visitId": "v-1",
            },
            {
                "id": "pay-2",
                "clientId": "c-2",
                "date": "2026-03-04",
                "amount": {"amount": "100.50", "currency": "RUB"},
                "receiptNumber": "",
            },
        ],
        "version": 4,
    }
    item = ps.cash_on_hand_item(cash)
    check(item, "cashOnHand", "e-1", "agent:e-1", 4, data)
    assert item.source_version == 4  # each payment and handover steps it
    # Nothing on hand: a zero total, no oldest date.
    empty = ps.cash_on_hand_item(spb.CashOnHand(employee_id="e-2", total=rub(0)))
    assert json.loads(empty.body) == {
        "employeeId": "e-2",
        "total": {"amount": "0.00", "currency": "RUB"},
        "payments": [],
        "version": 0,
    }


# ---------------------------------------------------------------------------- telesales


def a_call(**fields: Any) -> cpb.Call:
    values: dict[str, Any] = {
        "id": "call-1",
        "teleseller_id": "t-1",
        "outlet_id": "o-1",
        "date": day(2026, 3, 4),
        "started_at": at(2026, 3, 4, 9, 0, 0),
        "outcome": cpb.CALL_OUTCOME_NO_ANSWER,
        "record_time": at(2026, 3, 4, 9, 1, 0),
    }
    return cpb.Call(**{**values, **fields})


def test_calls_of_each_outcome() -> None:
    check(
        pc.call_item(a_call()),
        "calls",
        "call-1",
        "agent:t-1",
        0,
        {
            "id": "call-1",
            "outletId": "o-1",
            "date": "2026-03-04",
            "startedAt": "2026-03-04T09:00:00.000Z",
            "outcome": "noAnswer",
            "recordTime": "2026-03-04T09:01:00.000Z",
        },
    )
    back = pc.call_item(
        a_call(
            outcome=cpb.CALL_OUTCOME_CALL_BACK,
            ended_at=at(2026, 3, 4, 9, 3, 0),
            call_back_at=at(2026, 3, 5, 10, 0, 0),
            notes="после обеда",
        )
    )
    assert json.loads(back.body) == {
        "id": "call-1",
        "outletId": "o-1",
        "date": "2026-03-04",
        "startedAt": "2026-03-04T09:00:00.000Z",
        "endedAt": "2026-03-04T09:03:00.000Z",
        "outcome": "callBack",
        "callBackAt": "2026-03-05T10:00:00.000Z",
        "notes": "после обеда",
        "recordTime": "2026-03-04T09:01:00.000Z",
    }
    refused = pc.call_item(a_call(outcome=cpb.CALL_OUTCOME_REFUSED, reason="дорого"))
    assert json.loads(refused.body)["reason"] == "дорого"
    assert json.loads(pc.call_item(a_call(outcome=cpb.CALL_OUTCOME_ORDERED)).body)["outcome"] == (
        "ordered"
    )


def test_call_plan() -> None:
    plan = tpb.GetCallPlanResponse(
        teleseller_id="t-1",
        date=day(2026, 3, 4),
        calls=[
            tpb.PlannedCall(
                outlet=cpb.Outlet(id="o-1"),
                route_id="r-1",
                sequence=1,
                scheduled=True,
                state=tpb.CALL_STATE_DONE,
                calls=[a_call(id="call-1"), a_call(id="call-2")],
            ),
            tpb.PlannedCall(
                outlet=cpb.Outlet(id="o-2"),
                route_id="r-1",
                sequence=2,
                call_back_of=a_call(id="call-0", date=day(2026, 3, 3)),
                state=tpb.CALL_STATE_OPEN,
            ),
        ],
        completion=tpb.CallPlanCompletion(listed=2, done=1, not_called=1, ordered=1),
        unplanned_calls=[a_call(id="call-9", outlet_id="o-9")],
    )
    check(
        pc.call_plan_item(plan),
        "callPlans",
        "t-1/2026-03-04",
        "agent:t-1",
        0,
        {
            "date": "2026-03-04",
            "calls": [
                {
                    "outletId": "o-1",
                    "routeId": "r-1",
                    "sequence": 1,
                    "scheduled": True,
                    "state": "done",
                    "callIds": ["call-1", "call-2"],
                },
                {
                    "outletId": "o-2",
                    "routeId": "r-1",
                    "sequence": 2,
                    "scheduled": False,
                    "state": "open",
                    "callBackOf": "call-0",
                    "callIds": [],
                },
            ],
            "completion": {
                "listed": 2,
                "done": 1,
                "notCalled": 1,
                "ordered": 1,
                "noAnswer": 0,
                "callBack": 0,
                "refused": 0,
            },
            "unplannedCallIds": ["call-9"],
        },
    )


# ------------------------------------------------------------------------ bytes and keys


def test_same_message_same_bytes() -> None:
    assert pc.outlet_item(cpb.Outlet(id="o-1", card=card())) == pc.outlet_item(
        cpb.Outlet(id="o-1", card=card())
    )
    first = order_item(order())
    again = order_item(opb.Order.FromString(order().SerializeToString()))
    assert first.body == again.body


def test_a_map_gives_the_same_bytes_whatever_its_order() -> None:
    a = cpb.OutletCard(name="n")
    a.custom_attributes["fridge"] = "yes"
    a.custom_attributes["atm"] = "no"
    b = cpb.OutletCard(name="n")
    b.custom_attributes["atm"] = "no"
    b.custom_attributes["fridge"] = "yes"
    first = pc.outlet_item(cpb.Outlet(id="o", card=a)).body
    assert first == pc.outlet_item(cpb.Outlet(id="o", card=b)).body
    assert b'"customAttributes":{"atm":"no","fridge":"yes"}' in first


@pytest.mark.parametrize(
    "make",
    [
        lambda: pc.route_item(cpb.Route(name="r")),
        lambda: pc.visit_item(cpb.Visit(id="v")),  # no agent: no scope
        lambda: po.order_items(opb.Order(agent_id="e-1")),
        lambda: ps.tare_balance_item(spb.TareBalance(client_id="c-1")),
        lambda: po.price_item("", "pt-1", opb.PriceListEntry(product_id="p"), version=1),
        lambda: pc.call_item(cpb.Call(id="call-1")),  # no teleseller: no scope
        lambda: ps.cash_on_hand_item(spb.CashOnHand(total=rub(1))),
        lambda: po.contact_sales_item(opb.ContactSales(contact_id="v-1")),  # no employee
        lambda: po.contact_sales_item(opb.ContactSales(employee_id="a-1")),  # no visit
    ],
)
def test_an_empty_key_or_scope_member_is_refused(make: Any) -> None:
    with pytest.raises(p.ProjectionError, match="is empty"):
        make()


def test_every_section_has_a_projection() -> None:
    assert len(p.SECTIONS) == len(set(p.SECTIONS)) == 31
