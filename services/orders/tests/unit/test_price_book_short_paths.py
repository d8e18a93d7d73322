"""The short paths of a SubmitOrder batch's read phase agree with the plain forms.

`PriceBook` prices every line of every order. It derives once per book what every line used
to derive again (the client's prices per product, the price lists in order of precedence,
the discounts of the date and client in the order they are judged), checks a usual line
without building its field paths, and leaves anything else to the plain checks. The
references below are the plain forms it replaced (`resolve_price`, `best_discount`,
`group_ancestry` and the former per-line checks); results (value and representation) and
errors (type, message, which line and field, which error first) must be the same. Also the
ids of `_product_ids` and `is_canonical_id`, which skip a field path's text when `require_id`
would take the id as it is.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from fieldline_kit.errors import FailedPrecondition, InvalidArgument, NotFound
from fieldline_orders.domain.catalog import (
    ClientPrice,
    Discount,
    DiscountScope,
    PriceList,
    PriceType,
    Product,
    ProductUnit,
    VolumeBreak,
    group_ancestry,
)
from fieldline_orders.domain.pricing import (
    AppliedDiscount,
    LineInput,
    ManualDiscountLimits,
    PriceBook,
    PricedLine,
    ResolvedPrice,
    best_discount,
    resolve_price,
)
from fieldline_orders.domain.values import QTY_PLACES, is_canonical_id, percent, require_id
from fieldline_orders.service_layer.submit import _product_ids

from .orders_factories import CLIENT, DAY, LIMITS, OTHER_CLIENT, new_id
from .orders_factories import price_type as new_price_type
from .orders_factories import product as new_product
from .test_short_paths import (
    _outcome,
    _same,
    ref_check_scale,
    ref_line_amounts,
    ref_positive_quantity,
)


# ----------------------------------------------------------------------- plain forms
def ref_product(book: PriceBook, field: str, product_id: str) -> Product:
    pid = require_id(field, product_id)
    found = book.products.get(pid)
    if found is None:
        raise NotFound("product", pid, field)
    return found


def ref_unit(product: Product, field: str, code: str) -> ProductUnit:
    wanted = (code or "").strip() or product.base_unit
    for u in product.units:
        if u.code == wanted:
            return u
    known = ", ".join(u.code for u in product.units)
    raise InvalidArgument(
        field, f"{wanted!r} is not a unit of product {product.sku} (units: {known})"
    )


def ref_unit_price(book: PriceBook, field: str, product: Product) -> ResolvedPrice:
    currency = book.currency
    for cp in book.client_prices:
        if cp.product_id == product.id and cp.valid_on(book.on) and cp.currency_code != currency:
            raise FailedPrecondition(
                f"{field}: the client price of product {product.sku} is in "
                f"{cp.currency_code}, the client's price type in {currency}"
            )
    resolved = resolve_price(product.id, book.on, book.client_prices, book.price_lists)
    if resolved is not None:
        return resolved
    assert book.price_type is not None
    day = book.on.isoformat()
    if not any(pl.valid_on(book.on) for pl in book.price_lists):
        why = f"no price list of price type {book.price_type.name!r} is valid on {day}"
    else:
        why = (
            f"the price lists of price type {book.price_type.name!r} valid on {day} do not price it"
        )
    raise FailedPrecondition(f"{field}: no price for product {product.sku} ({product.id}): {why}")


def ref_discount(book: PriceBook, product: Product, base_quantity: Decimal) -> AppliedDiscount:
    groups = group_ancestry(product.group_id, book.group_parents)
    return best_discount(book.discounts, book.client_id, product.id, groups, base_quantity, book.on)


def ref_price_lines(
    book: PriceBook,
    lines: Sequence[LineInput],
    *,
    roles: Sequence[str],
    limits: ManualDiscountLimits,
    path: str = "lines",
) -> list[PricedLine]:
    if not lines:
        raise InvalidArgument(path, "at least one line is required")
    priced: list[PricedLine] = []
    for i, line in enumerate(lines):
        lp = f"{path}[{i}]"
        product = ref_product(book, f"{lp}.product_id", line.product_id)
        if not product.active:
            raise FailedPrecondition(
                f"{lp}.product_id: product {product.sku} ({product.id}) is not active"
            )
        unit = ref_unit(product, f"{lp}.unit", line.unit)
        qty = ref_positive_quantity(f"{lp}.quantity", line.quantity)
        base_qty = qty * unit.ratio
        ref_check_scale(f"{lp}.quantity", base_qty, QTY_PLACES, " in base units")
        manual = limits.check(
            f"{lp}.manual_discount_percent",
            percent(f"{lp}.manual_discount_percent", line.manual_discount_percent),
            roles,
        )
        price = ref_unit_price(book, f"{lp}.product_id", product)
        rule = ref_discount(book, product, base_qty)
        amounts = ref_line_amounts(
            base_qty,
            price.unit_price,
            rule.percent,
            manual,
            product.vat_rate,
            book.price_type.vat_included if book.price_type else True,
        )
        priced.append(
            PricedLine(
                product=product,
                unit=unit.code,
                quantity=qty,
                base_quantity=base_qty,
                unit_price=price.unit_price,
                price_source=price.source,
                rule_discount_percent=rule.percent,
                manual_discount_percent=manual,
                amounts=amounts,
            )
        )
    return priced


def _alike(got: tuple[str, object], want: tuple[str, object]) -> bool:
    """Both the same error, or both results the same, decimals written alike."""
    if got[0] != want[0]:
        return False
    if got[0] != "ok":
        return got[1] == want[1]
    a, b = got[1], want[1]
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return _same(a, b)


# ------------------------------------------------------------------------- the world
# Groups: g3 → g2 → g1 (root), g4 (root), g5 ↔ g6 (a cycle the ancestry must stop on).
G = [new_id() for _ in range(6)]
PARENTS = {G[0]: "", G[1]: G[0], G[2]: G[1], G[3]: "", G[4]: G[5], G[5]: G[4]}
PRODUCTS = [
    new_product(group_id=G[2]),  # pcs, box of 12
    new_product(group_id=G[3], vat="10", units=(("pcs", "шт", "1"), ("half", "пол", "0.5"))),
    new_product(group_id=G[4], vat="0", units=(("pcs", "шт", "1"), ("milli", "м", "0.001"))),
    new_product(group_id=G[1], active=False),
    new_product(vat="22"),  # no group
]
IDS = [p.id for p in PRODUCTS]
DAYS = [DAY - timedelta(days=30), DAY - timedelta(days=1), DAY, DAY + timedelta(days=1)]
PT = new_price_type()
PT_ON_TOP = new_price_type(vat_included=False)

_days = st.sampled_from(DAYS)
_until = st.one_of(st.none(), _days)
_money = st.sampled_from([Decimal("33.33"), Decimal("10.50"), Decimal("10.5"), Decimal("7")])
_percents = st.sampled_from([Decimal(0), Decimal("2"), Decimal("5.5"), Decimal("5.50")])

_price_lists = st.builds(
    PriceList,
    id=st.sampled_from(["L1", "L2", "L3"]),  # ties on (valid_from, id) included
    external_id=st.just("x"),
    price_type_id=st.just(PT.id),
    valid_from=_days,
    valid_to=_until,
    entries=st.dictionaries(st.sampled_from(IDS), _money, max_size=5),
)
_client_prices = st.builds(
    ClientPrice,
    client_id=st.just(CLIENT),
    product_id=st.sampled_from(IDS),
    price=_money,
    currency_code=st.sampled_from(["RUB", "RUB", "RUB", "USD"]),
    valid_from=_days,
    valid_to=_until,
)
_discounts = st.builds(
    Discount,
    id=st.sampled_from(["D1", "D2", "D3"]),  # equal ids: the book's order decides
    external_id=st.just("x"),
    scope=st.sampled_from(DiscountScope),
    client_id=st.sampled_from(["", CLIENT, OTHER_CLIENT]),
    group_id=st.sampled_from([*G, G[0], G[1], ""]),  # g1, g2: ancestors of a product's group
    product_id=st.sampled_from([*IDS, ""]),
    percent=_percents,
    volume_breaks=st.lists(
        st.builds(
            VolumeBreak, st.sampled_from([Decimal(1), Decimal(12), Decimal("24")]), _percents
        ),
        max_size=2,
    ).map(lambda bs: tuple(sorted(bs, key=lambda b: b.min_quantity))),
    valid_from=_days,
    valid_to=_until,
)


@st.composite
def books(draw: st.DrawFn) -> PriceBook:
    pt: PriceType | None = draw(st.sampled_from([PT, PT, PT_ON_TOP, None]))
    known = draw(
        st.one_of(
            st.just(PRODUCTS),
            st.lists(st.sampled_from(PRODUCTS), max_size=len(PRODUCTS), unique_by=id),
        )
    )
    lists = draw(st.lists(_price_lists, max_size=3))
    if draw(st.sampled_from([True, True, True, False])):  # usually a list prices everything
        lists.insert(
            draw(st.integers(0, len(lists))),
            PriceList("L0", "x", PT.id, DAYS[0], None, dict.fromkeys(IDS, Decimal("12.34"))),
        )
    return PriceBook(
        client_id=CLIENT,
        on=DAY,
        price_type=pt,
        products={p.id: p for p in known},
        client_prices=draw(st.lists(_client_prices, max_size=4)),
        price_lists=lists,
        discounts=draw(st.lists(_discounts, max_size=5)),
        group_parents=PARENTS,
    )


_product_refs = st.one_of(
    st.sampled_from(IDS),
    st.sampled_from(IDS).map(str.upper),  # require_id rewrites it to the known id
    st.sampled_from(IDS).map(lambda i: "{" + i + "}"),
    st.sampled_from(["", "garbage", str(uuid.UUID(int=7)), f" {IDS[0]}"]),
)
_any_lines = st.builds(
    LineInput,
    product_id=_product_refs,
    unit=st.sampled_from(["", "pcs", "box", " box ", "half", "milli", "crate"]),
    quantity=st.sampled_from(["1", "2", "12", "0.5", "2.50", "1.0005", "0", "-1", "x", ""]),
    manual_discount_percent=st.sampled_from(["", "", "", "0", "3", "5.50", "20", " ", "abc"]),
)
_usual_lines = st.sampled_from(PRODUCTS).flatmap(  # in shape; one product is inactive
    lambda p: st.builds(
        LineInput,
        product_id=st.just(p.id),
        unit=st.sampled_from(["", *(u.code for u in p.units)]),
        quantity=st.sampled_from(["1", "2", "3", "12", "0.5", "2.50", "1e1"]),
        manual_discount_percent=st.sampled_from(["", "", "", "", "0", "3"]),
    )
)
_lines = st.lists(
    st.one_of(_usual_lines, _usual_lines, _usual_lines, _any_lines), min_size=1, max_size=4
)
_roles = st.sampled_from([(), ("AGENT",), ("SUPERVISOR", "agent")])


# ----------------------------------------------------------------------------- tests
@settings(max_examples=1500, deadline=None)
@given(book=books(), lines=_lines, roles=_roles)
def test_priced_lines_are_the_plain_pricing(
    book: PriceBook, lines: list[LineInput], roles: tuple[str, ...]
) -> None:
    assert _alike(
        _outcome(lambda: book.price_lines([], roles=roles, limits=LIMITS)),
        _outcome(lambda: ref_price_lines(book, [], roles=roles, limits=LIMITS)),
    )
    want = _outcome(lambda: ref_price_lines(book, lines, roles=roles, limits=LIMITS))
    for _ in range(2):  # the second time with the quantity texts kept
        got = _outcome(lambda: book.price_lines(lines, roles=roles, limits=LIMITS))
        assert _alike(got, want), (got, want)
    path = "lines[0]"
    got = _outcome(lambda: book.price_lines(lines, roles=roles, limits=LIMITS, path=path))
    assert _alike(
        got, _outcome(lambda: ref_price_lines(book, lines, roles=roles, limits=LIMITS, path=path))
    )


@settings(max_examples=800, deadline=None)
@given(
    book=books(), quantity=st.sampled_from([Decimal(0), Decimal(1), Decimal("12.000"), Decimal(30)])
)
def test_prices_and_discounts_of_a_book_are_the_plain_choice(
    book: PriceBook, quantity: Decimal
) -> None:
    for product in PRODUCTS:  # ResolvePrices and returns ask the book for these directly
        got = _outcome(lambda: book.unit_price("product_ids[0]", product))  # noqa: B023
        want = _outcome(lambda: ref_unit_price(book, "product_ids[0]", product))  # noqa: B023
        assert _alike(got, want), (got, want)
        assert _same(book.discount(product, quantity), ref_discount(book, product, quantity))


def test_a_book_compares_and_shows_its_fields_only() -> None:
    pl = PriceList("L1", "x", PT.id, DAYS[0], None, {IDS[0]: Decimal("1.50")})
    made = {"client_id": CLIENT, "on": DAY, "price_type": PT, "products": {}}
    book = PriceBook(**made, price_lists=[pl])  # type: ignore[arg-type]
    assert book == PriceBook(**made, price_lists=[pl])  # type: ignore[arg-type]
    assert book != PriceBook(**made)  # type: ignore[arg-type]
    assert "_own_prices" not in repr(book) and "_discounts_on" not in repr(book)


_ids = st.one_of(
    st.uuids().map(str),
    st.uuids().map(lambda u: str(u).upper()),
    st.uuids().map(lambda u: u.hex),
    st.uuids().map(lambda u: f"{{{u}}}"),
    st.uuids().map(lambda u: f"urn:uuid:{u}"),
    st.uuids().map(lambda u: f" {u}"),
    st.uuids().map(lambda u: f"{u}\n"),
    st.text(max_size=40),
)


@settings(max_examples=2000, deadline=None)
@given(value=_ids)
def test_a_canonical_id_is_what_require_id_returns_as_it_is(value: str) -> None:
    outcome = _outcome(lambda: require_id("f", value))
    assert is_canonical_id(value) == (outcome == ("ok", value))


def ref_product_ids(lines: Sequence[LineInput]) -> list[str]:
    out = []
    for i, ln in enumerate(lines):
        if ln.product_id:
            out.append(require_id(f"lines[{i}].product_id", ln.product_id))
    return out


@settings(max_examples=1000, deadline=None)
@given(ids=st.lists(st.one_of(_ids, st.just("")), max_size=5))
def test_product_ids_are_the_plain_ones(ids: list[str]) -> None:
    lines = [LineInput(pid, "", "1") for pid in ids]
    assert _outcome(lambda: _product_ids(lines)) == _outcome(lambda: ref_product_ids(lines))
