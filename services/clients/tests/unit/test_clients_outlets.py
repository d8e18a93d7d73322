"""Clients and outlets: creation, versioned updates, card validation, merge/diff, status."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fieldline_clients.domain import events
from fieldline_clients.domain.model import (
    CARD_FIELDS,
    CardChange,
    Client,
    ClientType,
    Contact,
    FieldChange,
    Outlet,
    OutletCard,
    OutletStatus,
    WorkingHours,
)
from fieldline_clients.domain.values import Location
from fieldline_kit.errors import Conflict, FailedPrecondition, InvalidArgument
from fieldline_kit.testing.helpers import new_id
from fieldline_kit.validation import MAX_LIST

NOW = datetime(2024, 5, 15, 9, 30, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)
SBERBANK_INN = "7707083893"
PERSON_INN = "500100732259"


def make_client(**overrides: Any) -> Client:
    args: dict[str, Any] = {
        "id": new_id(),
        "name": "ПАО Сбербанк",
        "inn": SBERBANK_INN,
        "kpp": "773601001",
        "type_": ClientType.KEY_ACCOUNT,
        "legal_address": "Москва, ул. Вавилова, 19",
        "now": NOW,
    }
    args.update(overrides)
    return Client.create(**args)


def all_fields(client: Client, **overrides: Any) -> dict[str, Any]:
    fields = {f: getattr(client, f) for f in Client.FIELDS}
    fields.update(overrides)
    return fields


# --------------------------------------------------------------------------------- clients
class TestClientCreate:
    def test_creates_version_one_with_an_event(self) -> None:
        raw_id = uuid.uuid4()
        client = make_client(id=str(raw_id).upper(), name="  ПАО Сбербанк ", kpp="773601001")
        assert client.id == str(raw_id)
        assert client.name == "ПАО Сбербанк"
        assert (client.inn, client.kpp) == (SBERBANK_INN, "773601001")
        assert client.type is ClientType.KEY_ACCOUNT
        assert client.version == 1
        assert client.created_at == client.updated_at == NOW
        [event] = client.events
        assert isinstance(event, events.ClientCreated)
        assert event.client == client
        assert event.client is not client
        assert event.client.events == []

    def test_individual_entrepreneur_has_no_kpp(self) -> None:
        client = make_client(inn=PERSON_INN, kpp="", type_=ClientType.RETAIL)
        assert (client.inn, client.kpp) == (PERSON_INN, "")

    def test_kpp_is_normalised(self) -> None:
        assert make_client(kpp=" 7736ab001 ").kpp == "7736AB001"

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"type_": None}, "client.type"),
            ({"inn": "7707083894"}, "client.inn"),
            ({"inn": ""}, "client.inn"),
            ({"kpp": ""}, "client.kpp"),
            ({"inn": PERSON_INN, "kpp": "773601001"}, "client.kpp"),
            ({"name": "  "}, "client.name"),
            ({"name": "x" * 301}, "client.name"),
            ({"legal_address": "x" * 2001}, "client.legal_address"),
            ({"id": "client-1"}, "client.id"),
            ({"id": ""}, "client.id"),
        ],
    )
    def test_invalid_fields_are_named(self, overrides: dict[str, Any], field: str) -> None:
        with pytest.raises(InvalidArgument) as err:
            make_client(**overrides)
        assert err.value.field == field


class TestClientUpdate:
    def test_masked_change_bumps_the_version(self) -> None:
        client = make_client()
        changed = client.update({"name": "Сбербанк России"}, ["name"], 1, LATER)
        assert changed == ["name"]
        assert client.name == "Сбербанк России"
        assert client.version == 2
        assert client.updated_at == LATER
        assert client.created_at == NOW
        created, changed_event = client.events
        assert isinstance(created, events.ClientCreated)
        assert isinstance(changed_event, events.ClientChanged)
        assert changed_event.changed_fields == ("name",)
        assert changed_event.client.version == 2
        assert changed_event.client.name == "Сбербанк России"

    def test_empty_mask_takes_every_field(self) -> None:
        client = make_client()
        changes = all_fields(client, name="Новое имя", legal_address="Москва", kpp="773601002")
        assert client.update(changes, [], 1, LATER) == ["name", "kpp", "legal_address"]
        assert (client.name, client.kpp, client.legal_address) == (
            "Новое имя",
            "773601002",
            "Москва",
        )

    def test_fields_outside_the_mask_are_ignored(self) -> None:
        client = make_client()
        changes = all_fields(client, name="Ignored", legal_address="Москва, Кутузовский, 32")
        assert client.update(changes, ["legal_address"], 1, LATER) == ["legal_address"]
        assert client.name == "ПАО Сбербанк"

    def test_changed_fields_follow_the_declared_order(self) -> None:
        client = make_client()
        changes = {"type": ClientType.RETAIL, "name": "Другое"}
        assert client.update(changes, ["type", "name"], 1, LATER) == ["name", "type"]

    def test_successive_updates_keep_counting(self) -> None:
        client = make_client()
        client.update({"name": "A"}, ["name"], 1, LATER)
        client.update({"name": "B"}, ["name"], 2, LATER)
        assert client.version == 3
        assert [type(e) for e in client.events] == [
            events.ClientCreated,
            events.ClientChanged,
            events.ClientChanged,
        ]

    @pytest.mark.parametrize(
        ("changes", "mask"),
        [
            ({"name": "ПАО Сбербанк"}, ["name"]),
            ({"name": "  ПАО Сбербанк  "}, ["name"]),  # same once stripped
            ({"kpp": "773601001"}, ["kpp"]),
            ({}, ()),  # replaced below with every current field
        ],
    )
    def test_no_op_update_does_not_bump(self, changes: dict[str, Any], mask: list[str]) -> None:
        client = make_client()
        if not changes:
            changes = all_fields(client)
        assert client.update(changes, mask, 1, LATER) == []
        assert client.version == 1
        assert client.updated_at == NOW
        assert len(client.events) == 1

    def test_switching_to_an_individual_entrepreneur_clears_kpp(self) -> None:
        client = make_client()
        changed = client.update({"inn": PERSON_INN, "kpp": ""}, ["inn", "kpp"], 1, LATER)
        assert changed == ["inn", "kpp"]
        assert client.kpp == ""

    def test_switching_inn_while_keeping_kpp_is_rejected(self) -> None:
        client = make_client()
        with pytest.raises(InvalidArgument) as err:
            client.update({"inn": PERSON_INN}, ["inn"], 1, LATER)
        assert err.value.field == "client.kpp"
        assert client.inn == SBERBANK_INN
        assert client.version == 1

    def test_invalid_change_leaves_the_client_untouched(self) -> None:
        client = make_client()
        before = client.snapshot()
        with pytest.raises(InvalidArgument) as err:
            client.update({"name": "New", "inn": "123"}, ["name", "inn"], 1, LATER)
        assert err.value.field == "client.inn"
        assert client == before
        assert len(client.events) == 1

    def test_stale_version_conflicts(self) -> None:
        client = make_client()
        client.update({"name": "A"}, ["name"], 1, LATER)
        with pytest.raises(Conflict) as err:
            client.update({"name": "B"}, ["name"], 1, LATER)
        assert "expected version 1" in err.value.message
        assert "current is 2" in err.value.message
        assert client.name == "A"

    def test_future_version_conflicts(self) -> None:
        with pytest.raises(Conflict):
            make_client().update({"name": "B"}, ["name"], 7, LATER)

    @pytest.mark.parametrize("expected", [0, -1])
    def test_expected_version_is_required(self, expected: int) -> None:
        with pytest.raises(InvalidArgument) as err:
            make_client().update({"name": "B"}, ["name"], expected, LATER)
        assert err.value.field == "expected_version"

    @pytest.mark.parametrize("path", ["id", "version", "created_at", "nmae", "name.first"])
    def test_unknown_mask_path(self, path: str) -> None:
        client = make_client()
        with pytest.raises(InvalidArgument) as err:
            client.update({"name": "B", path: "x"}, ["name", path], 1, LATER)
        assert err.value.field == "update_mask"
        assert repr(path) in err.value.problem
        assert client.name == "ПАО Сбербанк"

    def test_type_cannot_be_cleared(self) -> None:
        with pytest.raises(InvalidArgument) as err:
            make_client().update({"type": None}, ["type"], 1, LATER)
        assert err.value.field == "client.type"


# ----------------------------------------------------------------------------- outlet card
def card(**overrides: Any) -> OutletCard:
    fields: dict[str, Any] = {"name": "Магазин «Ромашка»"}
    fields.update(overrides)
    return OutletCard(**fields)


def hours(*spec: tuple[int, str, str]) -> tuple[WorkingHours, ...]:
    return tuple(WorkingHours(d, o, c) for d, o, c in spec)


class TestOutletCardValidation:
    def test_minimal_card(self) -> None:
        clean = card(name="  Ромашка  ", address=" Тверская, 1 ").validated()
        assert clean.name == "Ромашка"
        assert clean.address == "Тверская, 1"
        assert clean.location is None
        assert clean.custom_attributes == {}

    def test_full_card(self) -> None:
        full = card(
            location=Location(55.75, 37.61),
            channel="traditional trade",
            format="kiosk",
            outlet_class="A",
            contacts=(Contact("Анна", "owner", "+7 900 000-00-00", "anna@example.com"),),
            working_hours=hours((1, "08:00", "20:00"), (7, "00:00", "24:00")),
            custom_attributes={"fridge": "yes"},
        )
        assert full.validated() == full

    def test_validated_copies_custom_attributes(self) -> None:
        attrs = {"fridge": "yes"}
        clean = card(custom_attributes=attrs).validated()
        attrs["fridge"] = "no"
        assert clean.custom_attributes == {"fridge": "yes"}

    @pytest.mark.parametrize("name", ["", "   ", "\n"])
    def test_name_is_required(self, name: str) -> None:
        with pytest.raises(InvalidArgument) as err:
            card(name=name).validated("outlet.card")
        assert err.value.field == "outlet.card.name"

    def test_name_length(self) -> None:
        assert card(name="я" * 300).validated().name == "я" * 300
        with pytest.raises(InvalidArgument) as err:
            card(name="я" * 301).validated()
        assert err.value.field == "card.name"
        assert err.value.problem == "must be at most 300 characters"

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"address": "x" * 2001}, "card.address"),
            ({"channel": "x" * 101}, "card.channel"),
            ({"format": "x" * 101}, "card.format"),
            ({"outlet_class": "x" * 101}, "card.outlet_class"),
            ({"contacts": (Contact(""),)}, "card.contacts[0].name"),
            ({"contacts": (Contact("A"), Contact("B", phone="1" * 201))}, "card.contacts[1].phone"),
            ({"contacts": (Contact("A", role="r" * 201),)}, "card.contacts[0].role"),
            ({"contacts": (Contact("A", email="e" * 201),)}, "card.contacts[0].email"),
        ],
    )
    def test_text_limits(self, overrides: dict[str, Any], field: str) -> None:
        with pytest.raises(InvalidArgument) as err:
            card(**overrides).validated()
        assert err.value.field == field

    @pytest.mark.parametrize("weekday", [0, 8, -1, 100])
    def test_working_hours_weekday_range(self, weekday: int) -> None:
        with pytest.raises(InvalidArgument) as err:
            card(
                working_hours=hours((1, "09:00", "18:00"), (weekday, "09:00", "18:00"))
            ).validated()
        assert err.value.field == "card.working_hours[1].weekday"
        assert str(weekday) in err.value.problem

    def test_working_hours_day_given_twice(self) -> None:
        spec = hours((3, "09:00", "13:00"), (4, "09:00", "18:00"), (3, "14:00", "18:00"))
        with pytest.raises(InvalidArgument) as err:
            card(working_hours=spec).validated()
        assert err.value.field == "card.working_hours[2].weekday"
        assert "twice" in err.value.problem

    @pytest.mark.parametrize(("opens", "closes"), [("18:00", "09:00"), ("09:00", "09:00")])
    def test_working_hours_open_before_closing(self, opens: str, closes: str) -> None:
        with pytest.raises(InvalidArgument) as err:
            card(working_hours=hours((1, opens, closes))).validated()
        assert err.value.field == "card.working_hours[0]"
        assert "before" in err.value.problem

    @pytest.mark.parametrize(("opens", "closes"), [("00:00", "24:00"), ("23:58", "23:59")])
    def test_working_hours_edges(self, opens: str, closes: str) -> None:
        assert card(working_hours=hours((1, opens, closes))).validated().working_hours

    @pytest.mark.parametrize("value", ["24:01", "25:00", "12:60", "99:99"])
    def test_working_hours_not_a_time_of_day(self, value: str) -> None:
        with pytest.raises(InvalidArgument) as err:
            card(working_hours=hours((2, "00:00", value))).validated()
        assert err.value.field == "card.working_hours[0].closes"
        assert "not a time of day" in err.value.problem

    @pytest.mark.parametrize(
        "value",
        [
            "",
            "9",
            "0900",
            "9:00",
            "09:0",
            "09:00:00",
            "ab:cd",
            " 09:00",
            "-0:30",
            "+9:00",
            "1_0:00",
            "٠٩:٠٠",  # Arabic-Indic digits
            "09.00",
        ],
    )
    def test_working_hours_format_is_hh_mm(self, value: str) -> None:
        with pytest.raises(InvalidArgument) as err:
            card(working_hours=hours((5, value, "23:00"))).validated()
        assert err.value.field == "card.working_hours[0].opens"
        assert "HH:MM" in err.value.problem

    def test_custom_attribute_count(self) -> None:
        most = {f"k{i}": "v" for i in range(MAX_LIST)}
        assert len(card(custom_attributes=most).validated().custom_attributes) == 100
        with pytest.raises(InvalidArgument) as err:
            card(custom_attributes={**most, "one_more": "v"}).validated()
        assert err.value.field == "card.custom_attributes"
        assert "100" in err.value.problem

    @pytest.mark.parametrize(
        ("attrs", "field"),
        [
            ({"": "v"}, "card.custom_attributes"),
            ({"  ": "v"}, "card.custom_attributes"),
            ({"k" * 101: "v"}, "card.custom_attributes"),
            ({"fridge": "v" * 1001}, "card.custom_attributes[fridge]"),
        ],
    )
    def test_custom_attribute_limits(self, attrs: dict[str, str], field: str) -> None:
        with pytest.raises(InvalidArgument) as err:
            card(custom_attributes=attrs).validated()
        assert err.value.field == field

    def test_custom_attribute_edges(self) -> None:
        attrs = {"k" * 100: "v" * 1000, "empty": ""}
        assert card(custom_attributes=attrs).validated().custom_attributes == attrs


class TestOutletCardMerge:
    base = card(
        address="Тверская, 1",
        location=Location(55.75, 37.61),
        channel="traditional trade",
        custom_attributes={"fridge": "yes", "floor": "1"},
    )

    def test_empty_mask_takes_the_whole_incoming_card(self) -> None:
        incoming = card(name="Новое", custom_attributes={"x": "1"})
        assert self.base.merged(incoming, []) == incoming

    def test_mask_takes_only_the_named_fields(self) -> None:
        incoming = card(name="Ignored", address="Арбат, 2", channel="ignored")
        merged = self.base.merged(incoming, ["address"])
        assert merged == OutletCard(
            name=self.base.name,
            address="Арбат, 2",
            location=self.base.location,
            channel="traditional trade",
            custom_attributes={"fridge": "yes", "floor": "1"},
        )

    def test_masked_location_can_be_cleared(self) -> None:
        assert self.base.merged(card(), ["location"]).location is None

    def test_set_one_custom_attribute(self) -> None:
        incoming = card(custom_attributes={"fridge": "no", "floor": "ignored"})
        merged = self.base.merged(incoming, ["custom_attributes.fridge"])
        assert merged.custom_attributes == {"fridge": "no", "floor": "1"}

    def test_add_one_custom_attribute(self) -> None:
        merged = self.base.merged(card(custom_attributes={"pos": "2"}), ["custom_attributes.pos"])
        assert merged.custom_attributes == {"fridge": "yes", "floor": "1", "pos": "2"}

    def test_delete_one_custom_attribute(self) -> None:
        merged = self.base.merged(card(), ["custom_attributes.floor"])
        assert merged.custom_attributes == {"fridge": "yes"}

    def test_deleting_a_missing_attribute_is_harmless(self) -> None:
        merged = self.base.merged(card(), ["custom_attributes.nothing"])
        assert merged.custom_attributes == self.base.custom_attributes

    def test_attribute_keys_may_contain_dots(self) -> None:
        incoming = card(custom_attributes={"a.b": "1"})
        merged = self.base.merged(incoming, ["custom_attributes.a.b"])
        assert merged.custom_attributes["a.b"] == "1"

    def test_several_attribute_paths(self) -> None:
        incoming = card(custom_attributes={"pos": "2"})
        mask = ["custom_attributes.pos", "custom_attributes.fridge", "name"]
        merged = self.base.merged(incoming, mask)
        assert merged.custom_attributes == {"floor": "1", "pos": "2"}
        assert merged.name == incoming.name

    def test_whole_custom_attributes_are_replaced(self) -> None:
        merged = self.base.merged(card(custom_attributes={"new": "1"}), ["custom_attributes"])
        assert merged.custom_attributes == {"new": "1"}

    def test_merge_leaves_both_cards_alone(self) -> None:
        incoming = card(custom_attributes={"pos": "2"})
        self.base.merged(incoming, ["custom_attributes.pos", "custom_attributes.fridge"])
        assert self.base.custom_attributes == {"fridge": "yes", "floor": "1"}
        assert incoming.custom_attributes == {"pos": "2"}

    @pytest.mark.parametrize("path", ["nmae", "custom_attributesX", "status", "version", "id"])
    def test_unknown_path(self, path: str) -> None:
        with pytest.raises(InvalidArgument) as err:
            self.base.merged(card(), ["name", path])
        assert err.value.field == "update_mask"
        assert repr(path) in err.value.problem

    @pytest.mark.parametrize("field", CARD_FIELDS)
    def test_every_card_field_is_a_valid_path(self, field: str) -> None:
        self.base.merged(card(), [field])


class TestOutletCardDiff:
    def test_identical_cards_have_no_diff(self) -> None:
        assert TestOutletCardMerge.base.diff(TestOutletCardMerge.base) == []

    def test_changes_are_json_in_field_order(self) -> None:
        old = card(name="Ромашка", channel="a")
        new = card(name="Лютик", channel="b", location=Location(55.75, 37.61))
        assert old.diff(new) == [
            FieldChange("name", '"Ромашка"', '"Лютик"'),
            FieldChange("location", "null", "[55.75, 37.61]"),
            FieldChange("channel", '"a"', '"b"'),
        ]

    def test_attribute_order_does_not_matter(self) -> None:
        a = card(custom_attributes={"a": "1", "b": "2"})
        b = card(custom_attributes={"b": "2", "a": "1"})
        assert a.diff(b) == []

    def test_structured_fields_are_plain_json(self) -> None:
        old = card()
        new = card(
            contacts=(Contact("Анна", phone="1"),),
            working_hours=hours((1, "09:00", "18:00")),
            custom_attributes={"b": "2", "a": "1"},
        )
        by_field = {c.field: c for c in old.diff(new)}
        assert set(by_field) == {"contacts", "working_hours", "custom_attributes"}
        assert json.loads(by_field["contacts"].new_value) == [
            {"name": "Анна", "role": "", "phone": "1", "email": ""}
        ]
        assert json.loads(by_field["working_hours"].new_value) == [
            {"weekday": 1, "opens": "09:00", "closes": "18:00"}
        ]
        assert by_field["custom_attributes"].old_value == "{}"
        assert by_field["custom_attributes"].new_value == '{"a": "1", "b": "2"}'

    def test_diff_lists_only_card_fields(self) -> None:
        diff = card().diff(card(name="x", address="y", format="z", outlet_class="A"))
        assert [c.field for c in diff] == ["name", "address", "format", "outlet_class"]
        assert all(c.field in CARD_FIELDS for c in diff)


# ---------------------------------------------------------------------------------- outlets
class TestOutletCreate:
    def test_create_records_history_and_an_event(self) -> None:
        outlet_id, client_id, actor = new_id(), new_id(), new_id()
        outlet = Outlet.create(
            outlet_id.upper(),
            client_id,
            card(name=" Ромашка ", address="Тверская, 1", location=Location(55.75, 37.61)),
            "",
            actor,
            NOW,
        )
        assert outlet.id == outlet_id
        assert outlet.status is OutletStatus.ACTIVE
        assert outlet.version == 1
        assert outlet.card.name == "Ромашка"
        assert outlet.created_at == outlet.updated_at == NOW
        [entry] = outlet.new_history
        assert entry == CardChange(
            outlet_id,
            1,
            actor,
            NOW,
            (
                FieldChange("name", '""', '"Ромашка"'),
                FieldChange("address", '""', '"Тверская, 1"'),
                FieldChange("location", "null", "[55.75, 37.61]"),
            ),
        )
        assert entry.proposal_id == ""
        [event] = outlet.events
        assert isinstance(event, events.OutletCreated)
        assert event.outlet == outlet
        assert event.outlet.events == []
        assert event.outlet.new_history == []

    def test_create_pending(self) -> None:
        outlet = Outlet.create(new_id(), new_id(), card(), "", new_id(), NOW, OutletStatus.PENDING)
        assert outlet.status is OutletStatus.PENDING

    @pytest.mark.parametrize(
        ("args", "field"),
        [
            ({"id": "o-1"}, "outlet.id"),
            ({"client_id": ""}, "outlet.client_id"),
            ({"card": card(name="")}, "outlet.card.name"),
            (
                {"card": card(working_hours=hours((9, "09:00", "10:00")))},
                "outlet.card.working_hours[0].weekday",
            ),
        ],
    )
    def test_invalid_outlet(self, args: dict[str, Any], field: str) -> None:
        base: dict[str, Any] = {
            "id": new_id(),
            "client_id": new_id(),
            "card": card(),
            "territory_id": "",
            "actor": new_id(),
            "now": NOW,
        }
        with pytest.raises(InvalidArgument) as err:
            Outlet.create(**{**base, **args})
        assert err.value.field == field


class TestOutletUpdateCard:
    def test_update_bumps_records_history_and_emits(self, outlet: Outlet) -> None:
        actor = new_id()
        changes = outlet.update_card(card(name="Лютик"), ["name"], 1, actor, LATER)
        assert changes == [FieldChange("name", '"Магазин «Ромашка»"', '"Лютик"')]
        assert outlet.card.name == "Лютик"
        assert outlet.card.address == "Тверская, 1"
        assert outlet.version == 2
        assert outlet.updated_at == LATER
        assert outlet.new_history == [CardChange(outlet.id, 2, actor, LATER, tuple(changes))]
        [event] = outlet.events
        assert isinstance(event, events.OutletChanged)
        assert event.changed_fields == ("name",)
        assert event.changed_by == actor
        assert event.outlet.version == 2
        assert event.outlet.card.name == "Лютик"

    def test_several_fields(self, outlet: Outlet) -> None:
        incoming = card(name="Лютик", address="Арбат, 2", channel="HoReCa")
        changes = outlet.update_card(incoming, ["name", "address", "channel"], 1, "a", LATER)
        assert [c.field for c in changes] == ["name", "address", "channel"]
        [event] = outlet.events
        assert isinstance(event, events.OutletChanged)
        assert event.changed_fields == ("name", "address", "channel")

    def test_custom_attribute_path(self, outlet: Outlet) -> None:
        incoming = card(custom_attributes={"fridge": "yes"})
        changes = outlet.update_card(incoming, ["custom_attributes.fridge"], 1, "a", LATER)
        assert changes == [FieldChange("custom_attributes", "{}", '{"fridge": "yes"}')]
        assert outlet.card.custom_attributes == {"fridge": "yes"}
        outlet.update_card(card(), ["custom_attributes.fridge"], 2, "a", LATER)
        assert outlet.card.custom_attributes == {}
        assert outlet.version == 3

    def test_no_op_does_not_bump(self, outlet: Outlet) -> None:
        same = card(name="  Магазин «Ромашка» ", address="Тверская, 1")
        assert outlet.update_card(same, ["name", "address"], 1, "a", LATER) == []
        assert outlet.update_card(outlet.card, [], 1, "a", LATER) == []
        assert outlet.version == 1
        assert outlet.updated_at != LATER
        assert outlet.new_history == []
        assert outlet.events == []

    def test_successive_updates_version_the_history(self, outlet: Outlet) -> None:
        outlet.update_card(card(name="A"), ["name"], 1, "a", LATER)
        outlet.update_card(card(name="B"), ["name"], 2, "b", LATER)
        assert [h.version for h in outlet.new_history] == [2, 3]
        assert [h.changed_by for h in outlet.new_history] == ["a", "b"]

    def test_stale_version_conflicts(self, outlet: Outlet) -> None:
        outlet.update_card(card(name="A"), ["name"], 1, "a", LATER)
        with pytest.raises(Conflict) as err:
            outlet.update_card(card(name="B"), ["name"], 1, "b", LATER)
        assert outlet.id in err.value.message
        assert outlet.card.name == "A"
        assert outlet.version == 2

    def test_expected_version_is_required(self, outlet: Outlet) -> None:
        with pytest.raises(InvalidArgument) as err:
            outlet.update_card(card(name="B"), ["name"], 0, "a", LATER)
        assert err.value.field == "expected_version"

    def test_rejected_outlet_card_is_frozen(self, make_outlet: Callable[..., Outlet]) -> None:
        outlet = make_outlet(status=OutletStatus.PENDING)
        outlet.change_status(OutletStatus.REJECTED, "s", NOW)
        with pytest.raises(FailedPrecondition) as err:
            outlet.update_card(card(name="B"), ["name"], outlet.version, "a", LATER)
        assert "REJECTED" in err.value.message

    @pytest.mark.parametrize("status", [OutletStatus.PENDING, OutletStatus.CLOSED])
    def test_pending_and_closed_cards_can_change(
        self, make_outlet: Callable[..., Outlet], status: OutletStatus
    ) -> None:
        outlet = make_outlet(status=status)
        assert outlet.update_card(card(name="B"), ["name"], 1, "a", LATER)

    def test_invalid_card_leaves_the_outlet_untouched(self, outlet: Outlet) -> None:
        before = outlet.snapshot()
        with pytest.raises(InvalidArgument) as err:
            outlet.update_card(card(name=""), ["name"], 1, "a", LATER)
        assert err.value.field == "card.name"
        assert outlet == before
        assert outlet.events == []
        assert outlet.new_history == []

    def test_unknown_mask_path(self, outlet: Outlet) -> None:
        with pytest.raises(InvalidArgument) as err:
            outlet.update_card(card(), ["status"], 1, "a", LATER)
        assert err.value.field == "update_mask"


ALLOWED_MOVES = [
    (OutletStatus.PENDING, OutletStatus.ACTIVE),
    (OutletStatus.PENDING, OutletStatus.REJECTED),
    (OutletStatus.ACTIVE, OutletStatus.CLOSED),
    (OutletStatus.CLOSED, OutletStatus.ACTIVE),
]
FORBIDDEN_MOVES = [
    move for move in itertools.permutations(OutletStatus, 2) if move not in ALLOWED_MOVES
]


class TestOutletStatus:
    @pytest.mark.parametrize(("start", "target"), ALLOWED_MOVES)
    def test_allowed_moves(
        self, make_outlet: Callable[..., Outlet], start: OutletStatus, target: OutletStatus
    ) -> None:
        outlet = make_outlet(status=start)
        outlet.change_status(target, "actor-1", LATER)
        assert outlet.status is target
        assert outlet.version == 2
        assert outlet.updated_at == LATER
        [event] = outlet.events
        assert isinstance(event, events.OutletChanged)
        assert event.changed_fields == ("status",)
        assert event.changed_by == "actor-1"
        assert event.outlet.status is target
        assert outlet.new_history == []  # status is not part of the card

    @pytest.mark.parametrize(("start", "target"), FORBIDDEN_MOVES)
    def test_forbidden_moves(
        self, make_outlet: Callable[..., Outlet], start: OutletStatus, target: OutletStatus
    ) -> None:
        outlet = make_outlet(status=start)
        with pytest.raises(FailedPrecondition) as err:
            outlet.change_status(target, "a", LATER)
        assert start.name in err.value.message
        assert target.name in err.value.message
        assert outlet.status is start
        assert outlet.version == 1
        assert outlet.events == []

    def test_forbidden_moves_cover_the_rest(self) -> None:
        assert len(FORBIDDEN_MOVES) == 4 * 3 - len(ALLOWED_MOVES)

    @pytest.mark.parametrize("status", list(OutletStatus))
    def test_same_status_is_a_no_op(
        self, make_outlet: Callable[..., Outlet], status: OutletStatus
    ) -> None:
        outlet = make_outlet(status=status)
        outlet.change_status(status, "a", LATER, expected_version=1)
        assert outlet.version == 1
        assert outlet.events == []

    def test_expected_version_is_checked_when_given(self, outlet: Outlet) -> None:
        with pytest.raises(Conflict):
            outlet.change_status(OutletStatus.CLOSED, "a", LATER, expected_version=5)
        with pytest.raises(InvalidArgument) as err:
            outlet.change_status(OutletStatus.CLOSED, "a", LATER, expected_version=0)
        assert err.value.field == "expected_version"
        outlet.change_status(OutletStatus.CLOSED, "a", LATER, expected_version=1)
        assert outlet.status is OutletStatus.CLOSED

    def test_round_trip_closed_and_reopened(self, outlet: Outlet) -> None:
        outlet.change_status(OutletStatus.CLOSED, "a", LATER)
        outlet.change_status(OutletStatus.ACTIVE, "a", LATER)
        assert outlet.version == 3
        assert len(outlet.events) == 2


def test_the_card_stores_the_trimmed_contact_and_attribute_values() -> None:
    card = OutletCard(
        name="Киоск",
        contacts=(Contact("  Анна  ", " директор ", " +7 900 ", ""),),
        custom_attributes={" холодильник ": " да "},
    ).validated()
    assert card.contacts[0] == Contact("Анна", "директор", "+7 900", "")
    assert dict(card.custom_attributes) == {"холодильник": "да"}


def test_attribute_keys_equal_after_trimming_are_refused() -> None:
    with pytest.raises(InvalidArgument) as info:
        OutletCard(name="Киоск", custom_attributes={"a": "1", " a ": "2"}).validated()
    assert info.value.field == "card.custom_attributes"
