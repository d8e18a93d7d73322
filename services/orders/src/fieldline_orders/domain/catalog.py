"""Catalog: product groups, products with their units, price types, price lists, client prices,
discounts, stock hints and warehouses. The ERP owns this data; it arrives as bulk upserts, so
every constructor here validates one record and names the offending field with the record's
path (`products[3].vat_rate: …`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, Self

from fieldline_kit.errors import InvalidArgument
from fieldline_orders.domain.values import (
    BEGINNING,
    MAX_CODE,
    MAX_CONTAINER_TYPE,
    MAX_ENTRIES,
    MAX_LIST,
    MAX_UNIT,
    ZERO,
    check_period,
    check_scale,
    currency_code,
    derive_id,
    fmt,
    limit_items,
    limit_text,
    money_amount,
    optional_id,
    parse_decimal,
    percent,
    quantity,
    require_id,
    require_text,
    valid_on,
)

VAT_RATES = (Decimal(0), Decimal(10), Decimal(20), Decimal(22))
RATIO_PLACES = 6
MAX_GROUP_DEPTH = 50


def entity_id(field: str, given: str, kind: str, external_id: str) -> str:
    """The caller's id, else uuid5(kind + external_id) so that re-imports hit the same row."""
    return require_id(field, given) if given else derive_id(kind, external_id)


def external_key(field: str, value: str) -> str:
    return require_text(field, value, MAX_CODE)


def parse_vat_rate(field: str, value: str) -> Decimal:
    try:
        rate: Decimal | None = parse_decimal(field, value)
    except InvalidArgument:
        rate = None
    if rate is None or rate not in VAT_RATES:
        allowed = ", ".join(fmt(r) for r in VAT_RATES)
        raise InvalidArgument(field, f"must be one of {allowed} (percent), got {value[:20]!r}")
    return rate + 0


class Versioned:
    """A catalog record's `version`: 1 when created, one more with every change of its content,
    so a consumer of the catalog events keeps only what is newer than what it holds."""

    version: int

    # (Typed through Any: the subclasses are dataclasses, this mixin is not.)
    def same_content(self, other: Self) -> bool:
        """Equal in everything but the version (an upsert of it would change nothing)."""
        mine: Any = self
        theirs: Any = other
        return bool(replace(mine, version=0) == replace(theirs, version=0))

    def next_version_of(self, current: Self) -> Self:
        """This content as the version after `current`, the record as stored."""
        mine: Any = self
        revised: Self = replace(mine, version=current.version + 1)
        return revised


# ------------------------------------------------------------------------------- groups
@dataclass(frozen=True)
class ProductGroup(Versioned):
    id: str
    external_id: str
    name: str
    parent_id: str
    version: int = 1

    @classmethod
    def create(
        cls, path: str, *, id: str, external_id: str, name: str, parent_id: str
    ) -> ProductGroup:
        ext = external_key(f"{path}.external_id", external_id)
        gid = entity_id(f"{path}.id", id, "product_group", ext)
        parent = optional_id(f"{path}.parent_id", parent_id)
        if parent == gid:
            raise InvalidArgument(f"{path}.parent_id", "a group cannot be its own parent")
        return cls(gid, ext, require_text(f"{path}.name", name), parent)


def group_ancestry(group_id: str, parents: Mapping[str, str]) -> tuple[str, ...]:
    """The group and its ancestors, nearest first (`parents`: group id → parent id or "")."""
    chain: list[str] = []
    current = group_id
    while current and current not in chain and len(chain) < MAX_GROUP_DEPTH:
        chain.append(current)
        current = parents.get(current, "")
    return tuple(chain)


def find_cycle(parents: Mapping[str, str]) -> str | None:
    """A group id that is its own ancestor under `parents`, if any."""
    return next((g for g in parents if on_cycle(g, parents)), None)


def on_cycle(group_id: str, parents: Mapping[str, str]) -> bool:
    """Whether walking up from `group_id` comes back to it."""
    seen: set[str] = set()
    current = parents.get(group_id, "")
    while current and current not in seen:
        if current == group_id:
            return True
        seen.add(current)
        current = parents.get(current, "")
    return False


# ----------------------------------------------------------------------------- products
@dataclass(frozen=True)
class ProductUnit:
    code: str
    name: str
    # Base units per one of this unit (> 0; the base unit has 1).
    ratio: Decimal


@dataclass(frozen=True)
class Product(Versioned):
    id: str
    external_id: str
    sku: str
    name: str
    group_id: str
    barcodes: tuple[str, ...]
    vat_rate: Decimal
    base_unit: str
    units: tuple[ProductUnit, ...]
    pack_unit: str
    container_type: str
    containers_per_unit: Decimal
    active: bool
    version: int = 1

    @classmethod
    def create(
        cls,
        path: str,
        *,
        id: str,
        external_id: str,
        sku: str,
        name: str,
        group_id: str,
        barcodes: Iterable[str],
        vat_rate: str,
        base_unit: str,
        units: Sequence[tuple[str, str, str]],
        pack_unit: str,
        container_type: str,
        containers_per_unit: str,
        active: bool,
    ) -> Product:
        ext = external_key(f"{path}.external_id", external_id)
        base = require_text(f"{path}.base_unit", base_unit, MAX_UNIT)
        parsed: list[ProductUnit] = []
        for i, (code, unit_name, ratio) in enumerate(limit_items(f"{path}.units", units, MAX_LIST)):
            upath = f"{path}.units[{i}]"
            unit_code = require_text(f"{upath}.code", code, MAX_UNIT)
            if any(u.code == unit_code for u in parsed):
                raise InvalidArgument(f"{upath}.code", f"unit {unit_code!r} is listed twice")
            r = parse_decimal(f"{upath}.ratio", ratio)
            if r <= 0:
                raise InvalidArgument(f"{upath}.ratio", f"must be positive, got {ratio!r}")
            check_scale(f"{upath}.ratio", r, RATIO_PLACES)
            if unit_code == base and r != 1:
                raise InvalidArgument(
                    f"{upath}.ratio", f"the base unit {base!r} must have ratio 1, got {ratio!r}"
                )
            parsed.append(
                ProductUnit(unit_code, limit_text(f"{upath}.name", unit_name, MAX_CODE), r)
            )
        if not any(u.code == base for u in parsed):
            parsed.insert(0, ProductUnit(base, base, Decimal(1)))
        pack = (pack_unit or "").strip() or base
        if not any(u.code == pack for u in parsed):
            raise InvalidArgument(
                f"{path}.pack_unit", f"{pack[:40]!r} is not one of the product's units"
            )
        container = limit_text(f"{path}.container_type", container_type, MAX_CONTAINER_TYPE)
        if (containers_per_unit or "").strip():
            per_unit = quantity(f"{path}.containers_per_unit", containers_per_unit)
        else:
            per_unit = Decimal(1) if container else ZERO
        if not container and per_unit != 0:
            raise InvalidArgument(
                f"{path}.containers_per_unit", "must be 0 when there is no container_type"
            )
        clean_barcodes: list[str] = []
        for i, code in enumerate(limit_items(f"{path}.barcodes", list(barcodes), MAX_LIST)):
            bc = require_text(f"{path}.barcodes[{i}]", code, MAX_CODE)
            if bc not in clean_barcodes:
                clean_barcodes.append(bc)
        return cls(
            id=entity_id(f"{path}.id", id, "product", ext),
            external_id=ext,
            sku=require_text(f"{path}.sku", sku, MAX_CODE),
            name=require_text(f"{path}.name", name),
            group_id=optional_id(f"{path}.group_id", group_id),
            barcodes=tuple(clean_barcodes),
            vat_rate=parse_vat_rate(f"{path}.vat_rate", vat_rate),
            base_unit=base,
            units=tuple(parsed),
            pack_unit=pack,
            container_type=container,
            containers_per_unit=per_unit,
            active=active,
        )

    def find_unit(self, code: str) -> ProductUnit | None:
        """The unit `code` of this product ("" means the base unit), if it has one."""
        wanted = (code or "").strip() or self.base_unit
        for u in self.units:
            if u.code == wanted:
                return u
        return None

    def unit(self, field: str, code: str) -> ProductUnit:
        """The unit `code` of this product; "" means the base unit."""
        found = self.find_unit(code)
        if found is not None:
            return found
        wanted = (code or "").strip() or self.base_unit
        known = ", ".join(u.code for u in self.units)
        raise InvalidArgument(
            field, f"{wanted[:40]!r} is not a unit of product {self.sku} (units: {known})"
        )

    def containers_for(self, base_quantity: Decimal) -> Decimal:
        return base_quantity * self.containers_per_unit if self.container_type else ZERO


# ------------------------------------------------------------------------------- prices
@dataclass(frozen=True)
class PriceType(Versioned):
    id: str
    external_id: str
    name: str
    currency_code: str
    vat_included: bool
    version: int = 1

    @classmethod
    def create(
        cls,
        path: str,
        *,
        id: str,
        external_id: str,
        name: str,
        currency: str,
        vat_included: bool,
    ) -> PriceType:
        ext = external_key(f"{path}.external_id", external_id)
        return cls(
            entity_id(f"{path}.id", id, "price_type", ext),
            ext,
            require_text(f"{path}.name", name),
            currency_code(f"{path}.currency_code", currency),
            vat_included,
        )


@dataclass(frozen=True)
class PriceListChanges:
    """What changed in a price list's entries from one version to the next."""

    # product id → its new price: entries added, or whose price changed
    changed: Mapping[str, Decimal]
    # products no longer in the list, by id
    removed: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.changed) + len(self.removed)


def check_removals(
    path: str, merge: bool, entry_ids: Sequence[str], removed_ids: Sequence[str]
) -> None:
    """A price list's `removed_product_ids` as the request gives them (before any parsing),
    refusing the whole request (InvalidArgument, not a rejected record: the caller's request is
    wrong, not the ERP's data): they are taken only with merge (a replace drops whatever its
    entries leave out), and a product cannot be both priced and dropped by one list. Ids that
    are not UUIDs are left to the parsing of the record."""
    if not removed_ids:
        return
    if not merge:
        raise InvalidArgument(
            f"{path}.removed_product_ids",
            "is taken only with merge = true (without it the list's entries replace all of its "
            "entries)",
        )
    priced: dict[str, int] = {}
    for j, raw in enumerate(entry_ids):
        pid = _id_or_none(raw)
        if pid is not None:
            priced.setdefault(pid, j)
    for k, raw in enumerate(removed_ids):
        pid = _id_or_none(raw)
        if pid is not None and pid in priced:
            raise InvalidArgument(
                f"{path}.removed_product_ids[{k}]",
                f"product {pid} is also {path}.entries[{priced[pid]}]: a list cannot both "
                "price and drop a product",
            )


def _id_or_none(value: str) -> str | None:
    try:
        return require_id("id", value)
    except InvalidArgument:
        return None


@dataclass(frozen=True)
class PriceListMerge:
    """A merge into a stored price list, as it is written: the list's next version (its header
    as sent; no entries), what it changes (the entries added or repriced, those dropped), and
    how many entries the list holds after it. Every entry it does not name stays as it is."""

    price_list: PriceList
    changes: PriceListChanges
    entry_count: int


@dataclass(frozen=True)
class PriceList(Versioned):
    id: str
    external_id: str
    price_type_id: str
    valid_from: date
    valid_to: date | None
    # product id → price of one base unit
    entries: Mapping[str, Decimal] = field(default_factory=dict)
    # Currencies the entries' prices named (checked against the price type's by the caller).
    currencies: frozenset[str] = field(default=frozenset(), compare=False)
    # Products a merge drops from the list (input of a merge only, never stored), by id.
    removed_product_ids: tuple[str, ...] = field(default=(), compare=False)
    version: int = 1

    @classmethod
    def create(
        cls,
        path: str,
        *,
        id: str,
        external_id: str,
        price_type_id: str,
        valid_from: date | None,
        valid_to: date | None,
        entries: Sequence[tuple[str, Decimal, str]],
        removed_product_ids: Sequence[str] = (),
    ) -> PriceList:
        """`entries`: (product id, price, currency of the price or "") in request order;
        `removed_product_ids`: what a merge drops (a product named twice is dropped once)."""
        ext = external_key(f"{path}.external_id", external_id)
        if valid_from is None:
            raise InvalidArgument(f"{path}.valid_from", "is required")
        check_period(f"{path}.valid_to", valid_from, valid_to)
        prices: dict[str, Decimal] = {}
        currencies: set[str] = set()
        for i, (product_id, price, price_currency) in enumerate(
            limit_items(f"{path}.entries", entries, MAX_ENTRIES)
        ):
            epath = f"{path}.entries[{i}]"
            pid = require_id(f"{epath}.product_id", product_id)
            if pid in prices:
                raise InvalidArgument(f"{epath}.product_id", f"product {pid} is listed twice")
            if price_currency:
                currencies.add(currency_code(f"{epath}.price.currency_code", price_currency))
            prices[pid] = money_amount(f"{epath}.price", price)
        removed: dict[str, None] = {}
        for k, product_id in enumerate(
            limit_items(f"{path}.removed_product_ids", removed_product_ids, MAX_ENTRIES)
        ):
            pid = require_id(f"{path}.removed_product_ids[{k}]", product_id)
            if pid in prices:
                raise InvalidArgument(
                    f"{path}.removed_product_ids[{k}]",
                    f"product {pid} is also in {path}.entries: a list cannot both price and "
                    "drop a product",
                )
            removed.setdefault(pid)
        return cls(
            entity_id(f"{path}.id", id, "price_list", ext),
            ext,
            require_id(f"{path}.price_type_id", price_type_id),
            valid_from,
            valid_to,
            prices,
            frozenset(currencies),
            tuple(removed),
        )

    def check_currency(self, path: str, currency: str) -> None:
        other = sorted(self.currencies - {currency})
        if other:
            raise InvalidArgument(
                f"{path}.entries",
                f"prices must be in the price type's currency {currency}, got {', '.join(other)}",
            )

    def valid_on(self, on: date) -> bool:
        return valid_on(on, self.valid_from, self.valid_to)

    def changes_since(self, previous: PriceList | None) -> PriceListChanges:
        """The entries this list adds, reprices or drops compared with `previous` (None: a new
        list, every entry added), by product id."""
        before: Mapping[str, Decimal] = previous.entries if previous is not None else {}
        changed = {
            pid: price for pid, price in sorted(self.entries.items()) if before.get(pid) != price
        }
        removed = tuple(sorted(pid for pid in before if pid not in self.entries))
        return PriceListChanges(changed, removed)

    @property
    def named_products(self) -> set[str]:
        """The products a merge of this list touches: those it prices and those it drops."""
        return {*self.entries, *self.removed_product_ids}

    def merged_into(
        self, current: PriceList, stored: Mapping[str, Decimal], entry_count: int
    ) -> PriceListMerge | None:
        """This list, sent with merge, applied to the stored list `current` (its header: a
        merge never loads the whole list), whose entries of `named_products` are `stored` and
        which holds `entry_count` entries: its entries added or repriced, its
        `removed_product_ids` that the list holds dropped, the header as sent. None when that
        changes nothing (the same header, every entry as stored, nothing to drop)."""
        changed = {
            pid: price for pid, price in sorted(self.entries.items()) if stored.get(pid) != price
        }
        removed = tuple(sorted(pid for pid in self.removed_product_ids if pid in stored))
        header = replace(self, entries={}, currencies=frozenset(), removed_product_ids=())
        if not changed and not removed and header.same_content(replace(current, entries={})):
            return None
        added = sum(1 for pid in changed if pid not in stored)
        return PriceListMerge(
            header.next_version_of(current),
            PriceListChanges(changed, removed),
            entry_count + added - len(removed),
        )


@dataclass(frozen=True)
class ClientPriceType(Versioned):
    """The price type a client buys at."""

    client_id: str
    price_type_id: str
    version: int = 1


@dataclass(frozen=True)
class DistributorPriceType(Versioned):
    """The price type a distributor sells at: to one client, or (`client_id` "") its default
    for every client. An order placed for the distributor prices from it, with the
    distributor's discounts, instead of the company's (docs/contexts/orders.md)."""

    distributor_id: str
    client_id: str  # "" = the distributor's default
    price_type_id: str
    version: int = 1


@dataclass(frozen=True)
class ClientPrice(Versioned):
    client_id: str
    product_id: str
    price: Decimal
    currency_code: str
    valid_from: date
    valid_to: date | None
    version: int = 1

    @classmethod
    def create(
        cls,
        path: str,
        *,
        client_id: str,
        product_id: str,
        price: Decimal,
        currency: str,
        valid_from: date | None,
        valid_to: date | None,
    ) -> ClientPrice:
        if valid_from is None:
            raise InvalidArgument(f"{path}.valid_from", "is required")
        check_period(f"{path}.valid_to", valid_from, valid_to)
        return cls(
            require_id(f"{path}.client_id", client_id),
            require_id(f"{path}.product_id", product_id),
            money_amount(f"{path}.price", price),
            currency_code(f"{path}.price.currency_code", currency),
            valid_from,
            valid_to,
        )

    @property
    def key(self) -> tuple[str, str, date]:
        return (self.client_id, self.product_id, self.valid_from)

    def valid_on(self, on: date) -> bool:
        return valid_on(on, self.valid_from, self.valid_to)


# ---------------------------------------------------------------------------- discounts
class DiscountScope(enum.Enum):
    CLIENT = "client"
    GROUP = "group"
    PRODUCT = "product"


@dataclass(frozen=True)
class VolumeBreak:
    # From this many base units on the line…
    min_quantity: Decimal
    # …this percent applies.
    percent: Decimal


@dataclass(frozen=True)
class Discount(Versioned):
    id: str
    external_id: str
    scope: DiscountScope
    client_id: str  # "" = every client (group and product scopes)
    group_id: str
    product_id: str
    percent: Decimal
    volume_breaks: tuple[VolumeBreak, ...]
    valid_from: date
    valid_to: date | None
    version: int = 1
    # The distributor whose discount it is (orders placed for it), "" = the company's.
    distributor_id: str = ""

    @classmethod
    def create(
        cls,
        path: str,
        *,
        id: str,
        external_id: str,
        scope: DiscountScope | None,
        client_id: str,
        group_id: str,
        product_id: str,
        percent_: str,
        volume_breaks: Sequence[tuple[str, str]],
        valid_from: date | None,
        valid_to: date | None,
        distributor_id: str = "",
    ) -> Discount:
        ext = external_key(f"{path}.external_id", external_id)
        if scope is None:
            raise InvalidArgument(f"{path}.scope", "is required")
        client = optional_id(f"{path}.client_id", client_id)
        group = optional_id(f"{path}.group_id", group_id)
        product = optional_id(f"{path}.product_id", product_id)
        if scope is DiscountScope.CLIENT:
            if not client:
                raise InvalidArgument(f"{path}.client_id", "is required for a client discount")
            if group or product:
                raise InvalidArgument(
                    f"{path}.scope", "a client discount names no group_id or product_id"
                )
        elif scope is DiscountScope.GROUP:
            if not group:
                raise InvalidArgument(f"{path}.group_id", "is required for a group discount")
            if product:
                raise InvalidArgument(f"{path}.product_id", "must be empty for a group discount")
        else:
            if not product:
                raise InvalidArgument(f"{path}.product_id", "is required for a product discount")
            if group:
                raise InvalidArgument(f"{path}.group_id", "must be empty for a product discount")
        breaks: list[VolumeBreak] = []
        for i, (min_q, pct) in enumerate(
            limit_items(f"{path}.volume_breaks", volume_breaks, MAX_LIST)
        ):
            bpath = f"{path}.volume_breaks[{i}]"
            mq = quantity(f"{bpath}.min_quantity", min_q)
            if mq <= 0:
                raise InvalidArgument(f"{bpath}.min_quantity", "must be positive")
            if any(b.min_quantity == mq for b in breaks):
                raise InvalidArgument(f"{bpath}.min_quantity", f"{min_q} is listed twice")
            breaks.append(VolumeBreak(mq, percent(f"{bpath}.percent", pct, default=ZERO)))
        start = valid_from or BEGINNING
        check_period(f"{path}.valid_to", start, valid_to)
        return cls(
            id=entity_id(f"{path}.id", id, "discount", ext),
            external_id=ext,
            scope=scope,
            client_id=client,
            group_id=group,
            product_id=product,
            percent=percent(f"{path}.percent", percent_),
            volume_breaks=tuple(sorted(breaks, key=lambda b: b.min_quantity)),
            valid_from=start,
            valid_to=valid_to,
            distributor_id=optional_id(f"{path}.distributor_id", distributor_id),
        )

    def valid_on(self, on: date) -> bool:
        return valid_on(on, self.valid_from, self.valid_to)

    def applies_to(self, client_id: str, product_id: str, groups: Sequence[str]) -> bool:
        """Whether the discount covers this client's product (`groups`: its group ancestry)."""
        if self.client_id and self.client_id != client_id:
            return False
        if self.scope is DiscountScope.CLIENT:
            return True
        if self.scope is DiscountScope.GROUP:
            return self.group_id in groups
        return self.product_id == product_id

    def percent_for(self, base_quantity: Decimal) -> Decimal:
        """The flat percent, or the highest volume break the line reaches if that is larger."""
        best = self.percent
        for b in self.volume_breaks:
            if base_quantity >= b.min_quantity and b.percent > best:
                best = b.percent
        return best


# -------------------------------------------------------------------------------- stock
@dataclass(frozen=True)
class StockLevel:
    warehouse_id: str
    product_id: str
    quantity: Decimal

    @classmethod
    def create(cls, path: str, *, warehouse_id: str, product_id: str, qty: str) -> StockLevel:
        return cls(
            require_id(f"{path}.warehouse_id", warehouse_id),
            require_id(f"{path}.product_id", product_id),
            quantity(f"{path}.quantity", qty),
        )


# --------------------------------------------------------------------------- warehouses
@dataclass(frozen=True)
class Warehouse(Versioned):
    """A warehouse stock is kept in: the company's (`distributor_id` "") or a distributor's
    (a client of type DISTRIBUTOR, checked by the upsert). Stock levels name warehouses by id
    whether or not they are registered here; a registered one has an owner that orders must
    match (`check_warehouse_owner`)."""

    id: str
    external_id: str
    name: str
    distributor_id: str  # "" = the company's
    version: int = 1

    @classmethod
    def create(
        cls, path: str, *, id: str, external_id: str, name: str, distributor_id: str
    ) -> Warehouse:
        ext = external_key(f"{path}.external_id", external_id)
        return cls(
            entity_id(f"{path}.id", id, "warehouse", ext),
            ext,
            require_text(f"{path}.name", name),
            optional_id(f"{path}.distributor_id", distributor_id),
        )


def check_warehouse_owner(
    field: str, warehouse_id: str, owners: Mapping[str, str], distributor_id: str
) -> None:
    """An order for `distributor_id` ("" = the company's) names `warehouse_id`: a registered
    warehouse (`owners`: warehouse id → its distributor id, "" = the company's) must be of the
    same owner; an unregistered one (or none) is accepted, as before warehouses were kept."""
    owner = owners.get(warehouse_id) if warehouse_id else None
    if owner is None or owner == distributor_id:
        return
    whose = f"distributor {owner}" if owner else "the company"
    raise InvalidArgument(field, f"warehouse {warehouse_id} belongs to {whose}")
