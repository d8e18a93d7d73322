"""Hypothesis strategies for any request message, built from its protobuf descriptor.

Each field gets values by its type and its name: ids are known ids (the seeded data), new
UUIDs and malformed ones; decimal texts ("quantity", "percent"…) are extreme texts and small
valid ones; other strings have every length (up to 100 kB) and script (Cyrillic, CJK, emoji,
control characters, NUL); numbers take their type's extremes; enums numbers out of range;
repeated fields are empty, short or large (of small items); google.type.Date, Money, LatLng,
google.protobuf.Timestamp and FieldMask get out-of-range parts. Nothing here knows a service:
`Known` (ids by field name, values by field name) is what the seed tells it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import strategies as st

F = FieldDescriptor

# Fields holding a decimal number as text.
DECIMAL_FIELDS = frozenset(
    {
        "quantity",
        "base_quantity",
        "manual_discount_percent",
        "percent",
        "ratio",
        "vat_rate",
        "containers_per_unit",
        "min_quantity",
        "number",
        "shelf_quantity",
    }
)
EXTREME_DECIMALS = (
    "1e1000000",
    "-1e1000000",
    "1e-1000000",
    "1e309",
    "-0",
    "0",
    "NaN",
    "sNaN",
    "-Infinity",
    "Infinity",
    "１２",
    "١٢",
    " 1 ",
    "1_000",
    "0x10",
    "1e",
    ".",
    "+.5",
    "5.",
    "99999999999999999999999999999999999999",
    "0.0000000000000000000000000000001",
    "123456789012345.999",
    "1" * 5000,
)
VALID_DECIMALS = ("1", "2", "12", "0.5", "1.25", "100", "5", "10", "20", "0.001")
NANOS_OUT = (1_000_000_000, -1_000_000_000, 2**31 - 1, -(2**31))
INT64 = (0, 1, -1, 2**31 - 1, -(2**31), 2**53, 2**63 - 1, -(2**63))
INT32 = (0, 1, -1, 7, 8, 100, 1000, 2**31 - 1, -(2**31))
# Characters of every kind a text field may meet.
SCRIPTS = (
    st.characters(codec="utf-8"),
    st.characters(min_codepoint=0x400, max_codepoint=0x4FF),  # Cyrillic
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),  # CJK
    st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF),  # emoji
    st.characters(min_codepoint=0, max_codepoint=0x1F),  # control characters, NUL
    st.sampled_from("%_\\'\"*?[]^$.:/-"),  # what LIKE patterns, paths and tokens care about
)
HUGE_LENGTHS = (301, 1001, 2001, 50_001, 100_000)


def _repeat(unit: str, length: int) -> str:
    return (unit * (length // max(1, len(unit)) + 1))[:length]


def texts(*, small: bool = False) -> st.SearchStrategy[str]:
    """Any text: empty, short of any script, or (unless `small`) huge."""
    short = st.one_of(*(st.text(alphabet=a, max_size=12) for a in SCRIPTS))
    if small:
        return short
    huge = st.builds(
        _repeat,
        st.sampled_from(["я", "a", "😀", "\x00", "%", " ", "ab_"]),
        st.sampled_from(HUGE_LENGTHS),
    )
    return st.one_of(st.just(""), short, short.map(lambda t: f" {t} "), huge)


def malformed_ids() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(
            [
                "",
                "x",
                "0",
                "00000000-0000-0000-0000-000000000000",
                "{12345678-1234-5678-1234-567812345678}",
                "12345678123456781234567812345678",
                "urn:uuid:12345678-1234-5678-1234-567812345678",
                "12345678-1234-5678-1234-56781234567８",
                "ROLE_AGENT",
            ]
        ),
        st.uuids().map(lambda u: str(u).upper()),
        texts(),
    )


def decimal_texts() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(VALID_DECIMALS),
        st.sampled_from(EXTREME_DECIMALS),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        texts(small=True),
    )


@dataclass
class Known:
    """What the seed made, for requests to reach past validation into the deep paths.

    `ids`: ids by field name ("client_id", "product_id"; "<message>.id" for a message's own id,
    e.g. "client.id"); `values`: good values by field name ("inn", "currency_code", …).
    """

    ids: dict[str, list[str]] = field(default_factory=dict)
    values: dict[str, list[Any]] = field(default_factory=dict)

    def add_id(self, name: str, value: str) -> None:
        self.ids.setdefault(name, []).append(value)


def _id_names(fd: FieldDescriptor) -> list[str]:
    """The names an id field is known under: its own, or `<message>.id` for a message's id."""
    if fd.name == "id":
        return [f"{fd.containing_type.name.lower()}.id"]
    return [fd.name]


def _is_id(fd: FieldDescriptor) -> bool:
    name = fd.name
    return (
        name == "id"
        or name.endswith("_id")
        or name.endswith("_ids")
        or name in {"collected_by", "employee_id"}
    )


def string_field(fd: FieldDescriptor, known: Known, small: bool) -> st.SearchStrategy[str]:
    name = fd.name
    options: list[st.SearchStrategy[str]] = []
    if name == "request_id":
        # Mostly a fresh UUID, so the request gets past idempotency to what it asks.
        return st.one_of(st.uuids().map(str), st.uuids().map(str), malformed_ids())
    if name in DECIMAL_FIELDS:
        return decimal_texts()
    if name == "page_token":
        return st.one_of(
            st.just(""),
            texts(small=small),
            st.builds(
                lambda t: base64.urlsafe_b64encode(t.encode()).decode(),
                st.one_of(
                    st.sampled_from(["1", "-1", "abc", "99999999999999999999", "0"]),
                    texts(small=True),
                ),
            ),
        )
    if _is_id(fd):
        pool = [v for n in _id_names(fd) for v in known.ids.get(n, [])]
        if pool:
            options += [st.sampled_from(pool)] * 3
        options += [st.uuids().map(str), malformed_ids()]
        return st.one_of(*options)
    if name in known.values:
        options += [st.sampled_from(known.values[name])] * 2
    options.append(texts(small=small))
    return st.one_of(*options)


def _int_range(fd: FieldDescriptor) -> tuple[int, int, tuple[int, ...]]:
    if fd.type in (F.TYPE_UINT32, F.TYPE_FIXED32):
        return 0, 2**32 - 1, (0, 1, 2**32 - 1)
    if fd.type in (F.TYPE_UINT64, F.TYPE_FIXED64):
        return 0, 2**64 - 1, (0, 1, 2**64 - 1)
    if fd.type in (F.TYPE_INT64, F.TYPE_SINT64, F.TYPE_SFIXED64):
        return -(2**63), 2**63 - 1, INT64
    return -(2**31), 2**31 - 1, INT32


def scalar(fd: FieldDescriptor, known: Known, small: bool) -> st.SearchStrategy[Any]:
    t = fd.type
    if t == F.TYPE_STRING:
        return string_field(fd, known, small)
    if t == F.TYPE_BYTES:
        return st.binary(max_size=20)
    if t == F.TYPE_BOOL:
        return st.booleans()
    if t in (F.TYPE_DOUBLE, F.TYPE_FLOAT):
        extremes = [0.0, -0.0, 1e308, -1e308, 5e-324, 90.0, -90.0, 180.000001, 1e6]
        if t == F.TYPE_FLOAT:
            return st.one_of(st.floats(width=32), st.sampled_from([0.0, 1.0, -1.0]))
        return st.one_of(st.floats(), st.sampled_from(extremes), st.floats(-100, 100))
    if t == F.TYPE_ENUM:
        numbers = [v.number for v in fd.enum_type.values]
        return st.one_of(
            st.sampled_from(numbers),
            st.sampled_from(numbers),
            st.sampled_from([max(numbers) + 1, -1, 2**31 - 1, -(2**31)]),
        )
    low, high, extremes_ = _int_range(fd)
    return st.one_of(st.sampled_from(extremes_), st.integers(low, high), st.integers(-3, 40))


# -------------------------------------------------------------------- well-known messages
def _date(known: Known) -> st.SearchStrategy[dict[str, int]]:
    good = [{"year": d.year, "month": d.month, "day": d.day} for d in known.values.get("date", [])]
    parts = st.fixed_dictionaries(
        {},
        optional={
            "year": st.sampled_from([0, 1, 1899, 1970, 2024, 2999, 9999, 10_000, -1, 2**31 - 1]),
            "month": st.sampled_from([0, 1, 2, 12, 13, -1]),
            "day": st.sampled_from([0, 1, 29, 30, 31, 32, -1]),
        },
    )
    return st.one_of(st.sampled_from(good), parts) if good else parts


def _money(known: Known) -> st.SearchStrategy[dict[str, Any]]:
    currencies = ["RUB", "USD", "", "rub", "RUBB", "₽", "\x00"]
    return st.fixed_dictionaries(
        {},
        optional={
            "currency_code": st.sampled_from(currencies),
            "units": st.one_of(st.sampled_from(INT64), st.integers(-1000, 100_000)),
            "nanos": st.one_of(
                st.sampled_from([0, 0, 500_000_000, 10_000_000, 1, -1, 999_999_999]),
                st.sampled_from(NANOS_OUT),
            ),
        },
    )


def _timestamp() -> st.SearchStrategy[dict[str, int]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "seconds": st.sampled_from(
                [
                    *(0, 1, 1_700_000_000),
                    *(-62135596800, -62135596801, 253402300799, 253402300800),
                    *INT64,
                ]
            ),
            "nanos": st.sampled_from([0, 1, 999_999_999, *NANOS_OUT]),
        },
    )


def _latlng() -> st.SearchStrategy[dict[str, float]]:
    coordinate = st.one_of(
        st.floats(),
        st.sampled_from([0.0, 55.75, 37.61, 90.0, -90.0, 180.0, -180.0, 90.0000001, 1e308]),
    )
    return st.fixed_dictionaries({}, optional={"latitude": coordinate, "longitude": coordinate})


def _field_mask(target: Descriptor | None) -> st.SearchStrategy[dict[str, list[str]]]:
    names = [f.name for f in target.fields] if target is not None else []
    path = st.one_of(
        st.sampled_from(names or ["x"]),
        st.sampled_from(["custom_attributes.fridge", "custom_attributes.", "id", "version"]),
        texts(small=True),
    )
    return st.fixed_dictionaries({"paths": st.lists(path, max_size=4)})


WELL_KNOWN: dict[str, Callable[[Known], st.SearchStrategy[dict[str, Any]]]] = {
    "google.type.Date": _date,
    "google.type.Money": _money,
    "google.type.LatLng": lambda known: _latlng(),
    "google.protobuf.Timestamp": lambda known: _timestamp(),
}


# ------------------------------------------------------------------------------ messages
def _repeated(
    element: st.SearchStrategy[Any], small_element: st.SearchStrategy[Any], small: bool
) -> st.SearchStrategy[list[Any]]:
    short = st.lists(element, max_size=3)
    if small:
        return st.lists(small_element, max_size=2)
    large = st.builds(lambda x, n: [x] * n, small_element, st.sampled_from([101, 1001, 5000]))
    return st.one_of(short, short, st.just([]), large)


def _map_field(fd: FieldDescriptor, known: Known, small: bool) -> st.SearchStrategy[dict[Any, Any]]:
    key_fd = fd.message_type.fields_by_name["key"]
    value_fd = fd.message_type.fields_by_name["value"]
    key = scalar(key_fd, known, small)
    value = scalar(value_fd, known, small)
    few = st.dictionaries(key, value, max_size=3)
    if small:
        return st.dictionaries(
            scalar(key_fd, known, True), scalar(value_fd, known, True), max_size=2
        )
    many = st.integers(101, 2000).map(lambda n: {f"k{i}": "v" for i in range(n)})
    return st.one_of(few, few, many)


def _single(fd: FieldDescriptor, known: Known, depth: int, small: bool) -> st.SearchStrategy[Any]:
    if fd.type != F.TYPE_MESSAGE:
        return scalar(fd, known, small)
    full = fd.message_type.full_name
    if full == "google.protobuf.FieldMask":
        return _field_mask(_mask_target(fd))
    if full in WELL_KNOWN:
        return WELL_KNOWN[full](known)
    return fields_of(fd.message_type, known, depth + 1, small)


def _mask_target(fd: FieldDescriptor) -> Descriptor | None:
    """The message a request's update_mask names fields of (its other message field)."""
    for other in fd.containing_type.fields:
        if other.type == F.TYPE_MESSAGE and not other.message_type.full_name.startswith("google."):
            return other.message_type
    return None


def fields_of(
    desc: Descriptor, known: Known, depth: int = 0, small: bool = False
) -> st.SearchStrategy[dict[str, Any]]:
    """A dict of field name → value for `desc` (any subset of its fields set)."""
    if depth > 4:
        return st.just({})
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for fd in desc.fields:
        if fd.type == F.TYPE_MESSAGE and fd.message_type.GetOptions().map_entry:
            optional[fd.name] = _map_field(fd, known, small)
        elif fd.is_repeated:
            optional[fd.name] = _repeated(
                _single(fd, known, depth, small), _single(fd, known, depth, True), small
            )
        else:
            optional[fd.name] = _single(fd, known, depth, small)
    return st.fixed_dictionaries({}, optional=optional)


def fill(message: Message, values: Mapping[str, Any]) -> Message:
    """Set `values` (from `fields_of`) on `message`, in place; returns it."""
    desc = message.DESCRIPTOR
    for name, value in values.items():
        fd = desc.fields_by_name[name]
        target = getattr(message, name) if fd.type == F.TYPE_MESSAGE or fd.is_repeated else None
        if fd.type == F.TYPE_MESSAGE and fd.message_type.GetOptions().map_entry:
            target.update(value)
        elif fd.is_repeated and fd.type == F.TYPE_MESSAGE:
            for item in value:
                fill(target.add(), item)
        elif fd.is_repeated:
            target.extend(value)
        elif fd.type == F.TYPE_MESSAGE:
            target.SetInParent()
            fill(target, value)
        else:
            setattr(message, name, value)
    return message


def requests(message_class: type[Message], known: Known) -> st.SearchStrategy[Message]:
    """Request messages of `message_class`, small enough to go over gRPC (4 MB)."""
    return (
        fields_of(message_class.DESCRIPTOR, known)
        .map(lambda values: fill(message_class(), values))
        .filter(lambda m: m.ByteSize() < 3_500_000)
    )


def field_names(desc: Descriptor) -> Sequence[str]:
    return [f.name for f in desc.fields]
