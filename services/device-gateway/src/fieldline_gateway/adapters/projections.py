"""Sync items from the services' protobuf messages: the shared part (docs/sync-protocol.md,
*Sync* → *Sections*, *Conventions*; docs/contexts/device-gateway.md, *Where the data comes
from*).

An `Item` is one object of one section as the device receives it: its `key`, its `scope`,
the owning service's `version` and `body`, the item's `data` JSON encoded once (msgspec) —
the sync store keeps those bytes and a page wraps them as they are. A `Removal` names an
object to turn into a tombstone. The projections themselves, one per section, are pure
functions in `projections_clients`, `projections_orders` and `projections_settlements`; this
module holds what they share:

    Money     google.type.Money → {"amount": "1234.50", "currency": "RUB"}: exact, never a
              float; two places, more only if the service sent more (never rounded away)
    Decimal   the services' decimal strings, passed on as they are
    Date      google.type.Date → "2026-03-04"
    Time      google.protobuf.Timestamp → "2026-03-04T06:12:09.120Z" (UTC, milliseconds)
    LatLng    google.type.LatLng → {"lat": 55.7512, "lon": 37.6184}
    enums     ORDER_STATUS_CREDIT_HOLD → "creditHold", from the enum's descriptor

Optional members (`?` in the protocol) are left out when the service left them empty;
required ones are always there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec
from google.protobuf.descriptor import EnumDescriptor
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

from fieldline_gateway.domain.membership import (
    CATALOG,
    COMPANY,
    account_scope,
    agent_scope,
    client_scope,
    outlet_scope,
    price_type_scope,
    route_scope,
)
from fieldline_kit.grpc.convert import from_money, from_pb_date, from_ts

# ------------------------------------------------------------------------------ sections

ME = "me"
ROUTES = "routes"
ROUTE_OUTLETS = "routeOutlets"
VISIT_PLANS = "visitPlans"
VISITS = "visits"
OUTLETS = "outlets"
CLIENTS = "clients"
QUESTIONNAIRES = "questionnaires"
PRODUCT_GROUPS = "productGroups"
PRODUCTS = "products"
PRICE_TYPES = "priceTypes"
PRICE_LISTS = "priceLists"
PRICES = "prices"
DISCOUNTS = "discounts"
CLIENT_TERMS = "clientTerms"
CLIENT_PRICES = "clientPrices"
BALANCES = "balances"
INVOICES = "invoices"
TARE_BALANCES = "tareBalances"
CREDIT_STANDINGS = "creditStandings"
ORDERS = "orders"
VANS = "vans"
VAN_STOCK = "vanStock"
COLLECTIONS = "collections"
PROPOSALS = "proposals"
RECOMMENDED_ORDERS = "recommendedOrders"
CALLS = "calls"
CALL_PLANS = "callPlans"
CASH_ON_HAND = "cashOnHand"
CONTACT_SALES = "contactSales"
PROMOTIONS = "promotions"

SECTIONS = (
    ME,
    ROUTES,
    ROUTE_OUTLETS,
    VISIT_PLANS,
    VISITS,
    OUTLETS,
    CLIENTS,
    QUESTIONNAIRES,
    PRODUCT_GROUPS,
    PRODUCTS,
    PRICE_TYPES,
    PRICE_LISTS,
    PRICES,
    DISCOUNTS,
    CLIENT_TERMS,
    CLIENT_PRICES,
    BALANCES,
    INVOICES,
    TARE_BALANCES,
    CREDIT_STANDINGS,
    ORDERS,
    VANS,
    VAN_STOCK,
    COLLECTIONS,
    PROPOSALS,
    RECOMMENDED_ORDERS,
    CALLS,
    CALL_PLANS,
    CASH_ON_HAND,
    CONTACT_SALES,
    PROMOTIONS,
)


class ProjectionError(ValueError):
    """A message that cannot make an item: a member its key or scope is built from is empty."""


@dataclass(frozen=True, slots=True)
class Item:
    """One object of a section: `body` is its `data` JSON, encoded once. `version` is the
    owning service's as the message carries it (0: the source gives none); what the store's
    guard should take is `source_version`."""

    section: str
    key: str
    scope: str
    version: int
    body: bytes

    @property
    def source_version(self) -> int | None:
        """`version` as the sync store's guard takes it: None (the body's hash alone decides)
        when unversioned, or when the section's version does not step with every change of
        its body (`PARTLY_VERSIONED`)."""
        return _guard(self.section, self.version)


@dataclass(frozen=True, slots=True)
class Removal:
    """An object to remove (a tombstone) — e.g. a route assignment removed. `version` as in
    `Item` (0: unversioned)."""

    section: str
    key: str
    scope: str
    version: int = 0

    @property
    def source_version(self) -> int | None:
        return _guard(self.section, self.version)


# Items that depend on what the store holds (a promotion's scopes and territories), made in the
# fan-out transaction after its graph steps: given the session, the items and removals to write.
Derived = Callable[[Any], Awaitable[list[Item | Removal]]]


# Sections whose service's version steps with some changes of the body only, so a newer body
# may come under the same version: balances (`reserved` and overdue figures move with the
# date; `asOf` is the reader's day), tareBalances (a new deposit), creditStandings (figures
# and headroom). The store must compare their bodies, not their versions. So do promotions:
# their body holds what the gateway derives (the territories expanded from its tree, the
# scopes from outlets' clients), which moves without orders' version; the order of orders'
# versions is kept by the gateway's own table (adapters/promotions_store.py).
PARTLY_VERSIONED = frozenset({BALANCES, TARE_BALANCES, CREDIT_STANDINGS, PROMOTIONS})


def _guard(section: str, version: int) -> int | None:
    return None if section in PARTLY_VERSIONED else version or None


def item(section: str, key: str, scope: str, version: int, data: Mapping[str, Any]) -> Item:
    """An item whose `data` is encoded here, once."""
    return Item(section, key, scope, version, msgspec.json.encode(data))


def require(value: str, field: str) -> str:
    """`value`, which a key or a scope is built from; empty is a `ProjectionError`."""
    if not value:
        raise ProjectionError(f"{field} is empty")
    return value


def join_key(*parts: str) -> str:
    """A key of several parts (`routeId/outletId`)."""
    return "/".join(parts)


def with_device_id(body: bytes, device_id: str) -> bytes:
    """A stored `me` body with the reading device's `deviceId` added (the store keeps one
    body per employee; the device id is the reader's)."""
    if not body.endswith(b"}"):
        raise ProjectionError("me body is not a JSON object")
    member = msgspec.json.encode(device_id)
    glue = b"" if body == b"{}" else b","
    return body[:-1] + glue + b'"deviceId":' + member + b"}"


# -------------------------------------------------------------------------------- scopes


def scope_company() -> str:
    return COMPANY


def scope_catalog() -> str:
    return CATALOG


def scope_route(route_id: str) -> str:
    return route_scope(require(route_id, "route_id"))


def scope_outlet(outlet_id: str) -> str:
    return outlet_scope(require(outlet_id, "outlet_id"))


def scope_client(client_id: str) -> str:
    return client_scope(require(client_id, "client_id"))


def scope_account(client_id: str) -> str:
    return account_scope(require(client_id, "client_id"))


def scope_price_type(price_type_id: str) -> str:
    return price_type_scope(require(price_type_id, "price_type_id"))


def scope_agent(employee_id: str) -> str:
    return agent_scope(require(employee_id, "employee_id"))


# -------------------------------------------------------------------------------- values

CENT = Decimal("0.01")


def amount_text(value: Decimal) -> str:
    """An exact amount as the protocol writes it: two places ("1234.50", "-5.00"); a value
    with more places (no service stores one) keeps them all rather than being rounded."""
    cents = value.quantize(CENT)
    if cents == value:
        return f"{cents:f}"
    return f"{value.normalize():f}"


def money(value: Any, field: str = "money") -> dict[str, str]:
    """google.type.Money → `{"amount": "1234.50", "currency": "RUB"}` (units + nanos, exact;
    an unset Money is zero with an empty currency)."""
    amount, currency = from_money(field, value)
    return {"amount": amount_text(amount), "currency": currency}


def date_text(value: Any, field: str = "date") -> str | None:
    """google.type.Date → "2026-03-04"; None when unset."""
    day = from_pb_date(field, value, required=False)
    return None if day is None else day.isoformat()


def time_text(value: Any, field: str = "time") -> str | None:
    """google.protobuf.Timestamp → "2026-03-04T06:12:09.120Z" (UTC, milliseconds); None when
    unset."""
    moment = from_ts(field, value, required=False)
    if moment is None:
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def lat_lng(value: Any) -> dict[str, float]:
    """google.type.LatLng → `{"lat": …, "lon": …}` (degrees)."""
    return {"lat": value.latitude, "lon": value.longitude}


def camel(name: str) -> str:
    """An UPPER_SNAKE (or lower_snake) name → lower camelCase, digits kept as words:
    `CREDIT_HOLD` → "creditHold", `EVERY_2_WEEKS` → "every2Weeks"."""
    head, *rest = name.lower().split("_")
    return head + "".join(part.capitalize() for part in rest)


def camel_path(path: str) -> str:
    """A field path as a service names it (`outlet_class`, `custom_attributes.fridge`) → the
    protocol's (`outletClass`, `customAttributes.fridge`: a map key kept as it is)."""
    head, dot, rest = path.partition(".")
    return camel(head) + dot + rest


_UNSPECIFIED = "UNSPECIFIED"
_ENUMS: dict[str, dict[int, str]] = {}  # by the enum's full name


def _upper_snake(name: str) -> str:
    out: list[str] = []
    for i, c in enumerate(name):
        if c.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(c.upper())
    return "".join(out)


def _enum_table(enum: EnumTypeWrapper | EnumDescriptor) -> dict[int, str]:
    descriptor = enum if isinstance(enum, EnumDescriptor) else enum.DESCRIPTOR
    cached = _ENUMS.get(descriptor.full_name)
    if cached is not None:
        return cached
    # The prefix every value carries: the zero value's name without UNSPECIFIED
    # (ORDER_STATUS_UNSPECIFIED → ORDER_STATUS_), else the enum's name in UPPER_SNAKE.
    zero = descriptor.values_by_number.get(0)
    if zero is not None and zero.name.endswith("_" + _UNSPECIFIED):
        prefix = zero.name[: -len(_UNSPECIFIED)]
    else:
        prefix = _upper_snake(descriptor.name) + "_"
    table = {v.number: camel(v.name.removeprefix(prefix)) for v in descriptor.values}
    _ENUMS[descriptor.full_name] = table
    return table


def enum_name(enum: EnumTypeWrapper | EnumDescriptor, number: int) -> str:
    """A service's enum number → the protocol's value, from the enum's descriptor: the prefix
    stripped, lower camelCase (ORDER_STATUS_CREDIT_HOLD → "creditHold",
    VISIT_FREQUENCY_EVERY_2_WEEKS → "every2Weeks", the zero value → "unspecified"). A number
    this build does not know (a newer service) → "unknown", which a device shows as such."""
    return _enum_table(enum).get(number, "unknown")


def optional_enum(enum: EnumTypeWrapper | EnumDescriptor, number: int) -> str | None:
    """As `enum_name`, None for the zero value (an optional member left out)."""
    return None if number == 0 else enum_name(enum, number)


def enum_names(enum: EnumTypeWrapper | EnumDescriptor, numbers: Iterable[int]) -> list[str]:
    """A repeated enum, without the zero value and numbers this build does not know."""
    table = _enum_table(enum)
    return [table[n] for n in numbers if n != 0 and n in table]


def put(data: dict[str, Any], name: str, value: Any) -> None:
    """Set an optional member: left out when None or an empty string."""
    if value is not None and value != "":
        data[name] = value


def string_map(values: Mapping[str, str]) -> dict[str, str]:
    """A protobuf map as a JSON object, keys sorted (a map's order is not the message's, and
    the same message must give the same bytes)."""
    return {k: values[k] for k in sorted(values)}
