"""Validation primitives and value objects: ids, text, decimals, locations, money, time."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fieldline_clients.domain.values import (
    EARTH_RADIUS_M,
    MAX_NAME,
    Location,
    Money,
    limit_text,
    optional_id,
    parse_decimal,
    require_aware,
    require_id,
    require_text,
    search_key,
)
from fieldline_kit.errors import InvalidArgument

METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180  # along a meridian, or the equator
MAX_SEARCH_RADIUS_M = 200_000.0  # what the outlet search allows

latitudes = st.floats(min_value=-90, max_value=90, allow_nan=False)
longitudes = st.floats(min_value=-180, max_value=180, allow_nan=False)
locations = st.builds(Location, latitudes, longitudes)


# ------------------------------------------------------------------------------------ ids
def test_require_id_normalises_to_lower_case_hyphenated_form() -> None:
    raw = uuid.uuid4()
    assert require_id("x.id", str(raw).upper()) == str(raw)
    assert require_id("x.id", raw.hex) == str(raw)
    assert require_id("x.id", f"{{{raw}}}") == str(raw)


@pytest.mark.parametrize("value", ["", None])
def test_require_id_is_required(value: str | None) -> None:
    with pytest.raises(InvalidArgument) as err:
        require_id("outlet.id", value)  # type: ignore[arg-type]
    assert (err.value.field, err.value.problem) == ("outlet.id", "is required")


@pytest.mark.parametrize("value", ["42", "not-a-uuid", "123e4567-e89b-12d3-a456-42661417400", " "])
def test_require_id_rejects_non_uuids(value: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        require_id("outlet.id", value)
    assert err.value.field == "outlet.id"
    assert err.value.problem.startswith("must be a UUID")


def test_require_id_truncates_long_garbage_in_the_message() -> None:
    with pytest.raises(InvalidArgument) as err:
        require_id("x", "z" * 10_000)
    assert len(err.value.problem) < 100


def test_optional_id() -> None:
    raw = uuid.uuid4()
    assert optional_id("x", "") == ""
    assert optional_id("x", str(raw).upper()) == str(raw)
    with pytest.raises(InvalidArgument) as err:
        optional_id("route.territory_id", "nope")
    assert err.value.field == "route.territory_id"


# ----------------------------------------------------------------------------------- text
def test_require_text_strips() -> None:
    assert require_text("x", "  Пятёрочка \n") == "Пятёрочка"


@pytest.mark.parametrize("value", ["", "   ", "\t\n", None])
def test_require_text_rejects_empty(value: str | None) -> None:
    with pytest.raises(InvalidArgument) as err:
        require_text("card.name", value)  # type: ignore[arg-type]
    assert (err.value.field, err.value.problem) == ("card.name", "must not be empty")


def test_require_text_length_limit_counts_stripped_characters() -> None:
    assert require_text("x", "я" * MAX_NAME) == "я" * MAX_NAME
    assert require_text("x", "  " + "я" * MAX_NAME + "  ") == "я" * MAX_NAME
    with pytest.raises(InvalidArgument) as err:
        require_text("x", "я" * (MAX_NAME + 1))
    assert err.value.problem == f"must be at most {MAX_NAME} characters"


def test_require_text_custom_limit() -> None:
    assert require_text("x", "abc", 3) == "abc"
    with pytest.raises(InvalidArgument):
        require_text("x", "abcd", 3)


def test_limit_text_allows_empty() -> None:
    assert limit_text("x", "") == ""
    assert limit_text("x", None) == ""  # type: ignore[arg-type]
    assert limit_text("x", "  a  ") == "a"
    assert limit_text("x", "a" * 2000) == "a" * 2000
    with pytest.raises(InvalidArgument) as err:
        limit_text("client.legal_address", "a" * 2001)
    assert err.value.field == "client.legal_address"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Ёлка", "елка"),
        ("ПЯТЁРОЧКА", "пятерочка"),
        ("Магнит", "магнит"),
        ("Straße", "strasse"),
        ("ABC 123", "abc 123"),
    ],
)
def test_search_key_is_case_and_yo_insensitive(text: str, key: str) -> None:
    assert search_key(text) == key


@given(st.text(max_size=50))
def test_search_key_is_idempotent(text: str) -> None:
    assert search_key(search_key(text)) == search_key(text)


# ------------------------------------------------------------------------------- decimals
@pytest.mark.parametrize(
    ("text", "value"),
    [("12.50", Decimal("12.50")), ("0", Decimal(0)), ("1e3", Decimal(1000)), (" 7 ", Decimal(7))],
)
def test_parse_decimal(text: str, value: Decimal) -> None:
    assert parse_decimal("x", text) == value


def test_parse_decimal_keeps_exact_digits() -> None:
    assert str(parse_decimal("x", "0.10")) == "0.10"


def test_parse_decimal_negative_only_when_allowed() -> None:
    with pytest.raises(InvalidArgument) as err:
        parse_decimal("shelf_quantity", "-1")
    assert (err.value.field, err.value.problem) == ("shelf_quantity", "must not be negative")
    assert parse_decimal("x", "-1.5", allow_negative=True) == Decimal("-1.5")


@pytest.mark.parametrize("text", ["abc", "1,5", "1.2.3", "--1", "１２", "1_000", "0x10"])
def test_parse_decimal_rejects_non_numbers(text: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        parse_decimal("answers[0].number", text)
    assert err.value.field == "answers[0].number"
    assert err.value.problem.startswith("must be a decimal number")


@pytest.mark.parametrize(
    ("text", "problem"),
    [("", "is required"), ("1e1000000", "is too large"), ("1e-1000000", "has too many")],
)
def test_parse_decimal_rejects_what_overflows_or_is_missing(text: str, problem: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        parse_decimal("answers[0].number", text)
    assert err.value.problem.startswith(problem)


@pytest.mark.parametrize("text", ["NaN", "sNaN", "Infinity", "-Infinity", "inf"])
def test_parse_decimal_rejects_non_finite(text: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        parse_decimal("x", text, allow_negative=True)
    assert err.value.problem == "must be a finite number"


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_parse_decimal_round_trips(value: Decimal) -> None:
    assert parse_decimal("x", str(value), allow_negative=True) == value


# ------------------------------------------------------------------------------- location
def test_location_of_accepts_the_boundaries() -> None:
    assert Location.of("near", 90, 180) == Location(90, 180)
    assert Location.of("near", -90, -180) == Location(-90, -180)
    assert Location.of("near", 55.75, 37.62) == Location(55.75, 37.62)


@pytest.mark.parametrize(
    ("lat", "lon", "field"),
    [
        (90.0001, 0, "card.location.latitude"),
        (-91, 0, "card.location.latitude"),
        (math.nan, 0, "card.location.latitude"),
        (math.inf, 0, "card.location.latitude"),
        (0, 180.5, "card.location.longitude"),
        (0, -181, "card.location.longitude"),
        (0, math.nan, "card.location.longitude"),
        (0, -math.inf, "card.location.longitude"),
    ],
)
def test_location_of_rejects_out_of_range(lat: float, lon: float, field: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        Location.of("card.location", lat, lon)
    assert err.value.field == field


def test_distance_of_known_arcs() -> None:
    origin = Location(0, 0)
    assert origin.distance_m(Location(1, 0)) == pytest.approx(METRES_PER_DEGREE)
    assert origin.distance_m(Location(0, 1)) == pytest.approx(METRES_PER_DEGREE)
    assert origin.distance_m(Location(90, 0)) == pytest.approx(math.pi * EARTH_RADIUS_M / 2)
    assert origin.distance_m(Location(0, 180)) == pytest.approx(math.pi * EARTH_RADIUS_M)
    # a degree of longitude shrinks with the cosine of the latitude
    at_60 = Location(60, 10).distance_m(Location(60, 10.001))
    assert at_60 == pytest.approx(0.001 * METRES_PER_DEGREE * 0.5, rel=1e-6)


def test_distance_moscow_to_saint_petersburg() -> None:
    red_square = Location(55.7539, 37.6208)
    palace_square = Location(59.9390, 30.3158)
    assert red_square.distance_m(palace_square) == pytest.approx(634_000, rel=0.01)


def test_distance_across_the_antimeridian_is_short() -> None:
    assert Location(0, 179.5).distance_m(Location(0, -179.5)) == pytest.approx(METRES_PER_DEGREE)


@given(locations)
def test_distance_to_itself_is_zero(p: Location) -> None:
    assert p.distance_m(p) == 0


@given(locations, locations)
def test_distance_is_symmetric_and_bounded(p: Location, q: Location) -> None:
    d = p.distance_m(q)
    assert d == pytest.approx(q.distance_m(p), abs=1e-6)
    assert 0 <= d <= math.pi * EARTH_RADIUS_M + 1e-6


@given(locations, locations, locations)
def test_distance_obeys_the_triangle_inequality(p: Location, q: Location, r: Location) -> None:
    assert p.distance_m(r) <= p.distance_m(q) + q.distance_m(r) + 1e-3


def destination(start: Location, bearing_deg: float, distance_m: float) -> Location:
    """The point `distance_m` from `start` along the initial bearing (great circle)."""
    angle = distance_m / EARTH_RADIUS_M
    lat1, lon1, bearing = map(math.radians, (start.lat, start.lon, bearing_deg))
    lat2 = math.asin(
        min(
            1.0,
            max(
                -1.0,
                math.sin(lat1) * math.cos(angle)
                + math.cos(lat1) * math.sin(angle) * math.cos(bearing),
            ),
        )
    )
    lon2 = lon1 + math.atan2(
        math.sin(bearing) * math.sin(angle) * math.cos(lat1),
        math.cos(angle) - math.sin(lat1) * math.sin(lat2),
    )
    lon = (math.degrees(lon2) + 540.0) % 360.0 - 180.0
    return Location(math.degrees(lat2), lon)


TOLERANCE_M = 0.01  # room for floating-point rounding only


def assert_in_box(point: Location, box: tuple[float, float, float, float]) -> None:
    """`point` lies in `box`, or misses it by less than a centimetre on the ground."""
    min_lat, max_lat, min_lon, max_lon = box
    lat_miss = max(min_lat - point.lat, point.lat - max_lat, 0.0) * METRES_PER_DEGREE
    lon_miss = max(min_lon - point.lon, point.lon - max_lon, 0.0) * METRES_PER_DEGREE
    lon_miss *= math.cos(math.radians(point.lat))
    assert lat_miss <= TOLERANCE_M, (point, box, lat_miss)
    assert lon_miss <= TOLERANCE_M, (point, box, lon_miss)


@given(
    locations,
    st.floats(min_value=1.0, max_value=MAX_SEARCH_RADIUS_M),
    st.floats(min_value=0, max_value=360),
    st.one_of(st.just(1.0), st.floats(min_value=0, max_value=1)),
)
def test_bounding_box_contains_every_point_within_the_radius(
    centre: Location, radius: float, bearing: float, fraction: float
) -> None:
    point = destination(centre, bearing, radius * fraction)
    assume(centre.distance_m(point) <= radius)
    assert_in_box(point, centre.bounding_box(radius))


@pytest.mark.parametrize("lat", [0.0, 45.0, 55.75, 60.0, 64.5, 69.35, 75.0, 80.0, 85.0, -70.0])
@pytest.mark.parametrize("radius", [200.0, 5_000.0, 50_000.0, MAX_SEARCH_RADIUS_M])
def test_bounding_box_reaches_the_widest_point_of_the_circle(lat: float, radius: float) -> None:
    """At high latitudes the circle bulges east-west beyond radius / cos(lat)."""
    centre = Location(lat, 37.6)
    box = centre.bounding_box(radius)
    for tenth in range(3600):
        point = destination(centre, tenth / 10, radius * (1 - 1e-12))
        if centre.distance_m(point) <= radius:
            assert_in_box(point, box)


def test_bounding_box_of_a_circle_around_a_pole_spans_all_longitudes() -> None:
    centre = Location(89.9, 0.0)
    opposite = Location(89.9, 180.0)  # 22 km away, across the pole
    assert centre.distance_m(opposite) < 30_000
    assert_in_box(opposite, centre.bounding_box(30_000))
    assert_in_box(Location(89.95, -120.0), centre.bounding_box(30_000))


def test_bounding_box_across_the_antimeridian_holds_points_on_both_sides() -> None:
    centre = Location(65.0, 179.95)  # Chukotka
    east = Location(65.0, -179.95)
    assert centre.distance_m(east) < 10_000
    box = centre.bounding_box(10_000)
    assert_in_box(east, box)
    assert_in_box(Location(65.0, 179.9), box)


@given(locations, st.floats(min_value=1.0, max_value=MAX_SEARCH_RADIUS_M))
def test_bounding_box_contains_the_centre_and_stays_within_longitude_range(
    centre: Location, radius: float
) -> None:
    box = centre.bounding_box(radius)
    min_lat, max_lat, min_lon, max_lon = box
    assert_in_box(centre, box)
    assert -180.0 <= min_lon <= max_lon <= 180.0
    assert min_lat < centre.lat < max_lat


def test_bounding_box_is_tight_away_from_the_poles() -> None:
    """A prefilter that returned the whole world would be correct but useless."""
    min_lat, max_lat, min_lon, max_lon = Location(55.75, 37.62).bounding_box(1_000)
    assert max_lat - min_lat == pytest.approx(2 * 1_000 / METRES_PER_DEGREE)
    assert max_lon - min_lon == pytest.approx(
        2 * 1_000 / METRES_PER_DEGREE / math.cos(math.radians(55.75)), rel=1e-6
    )


# ---------------------------------------------------------------------------------- money
def test_money_of() -> None:
    assert Money.of("price", Decimal("99.90"), "RUB") == Money(Decimal("99.90"), "RUB")
    assert Money.of("price", Decimal(0), "USD").amount == 0


@pytest.mark.parametrize("currency", ["", "rub", "RU", "RUBL", "Руб", None])
def test_money_needs_an_iso_currency(currency: str | None) -> None:
    with pytest.raises(InvalidArgument) as err:
        Money.of("price", Decimal(1), currency)  # type: ignore[arg-type]
    assert err.value.field == "price.currency_code"


def test_money_is_never_negative() -> None:
    with pytest.raises(InvalidArgument) as err:
        Money.of("price", Decimal("-0.01"), "RUB")
    assert (err.value.field, err.value.problem) == ("price", "must not be negative")


# ----------------------------------------------------------------------------------- time
@pytest.mark.parametrize(
    "moment",
    [datetime(2024, 5, 15, tzinfo=UTC), datetime(2024, 5, 15, tzinfo=timezone(timedelta(hours=3)))],
)
def test_require_aware_accepts_aware(moment: datetime) -> None:
    assert require_aware("time", moment) is moment


def test_require_aware_rejects_naive() -> None:
    with pytest.raises(InvalidArgument) as err:
        require_aware("time", datetime(2024, 5, 15, 9, 0))
    assert (err.value.field, err.value.problem) == ("time", "must carry a time zone")
