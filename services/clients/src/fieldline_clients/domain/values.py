"""Validation primitives and small value objects shared by the model."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from fieldline_kit import validation
from fieldline_kit.errors import InvalidArgument
from fieldline_kit.validation import (  # noqa: F401 - re-exported for the model
    MAX_CODE,
    MAX_LINES,
    MAX_LIST,
    MAX_NAME,
    MAX_QUERY,
    MAX_REASON,
    MAX_RECORDS,
    MAX_TEXT,
    MAX_VALUE,
    limit_items,
    limit_text,
    optional_id,
    require_id,
    require_text,
)

EARTH_RADIUS_M = 6_371_008.8


def parse_decimal(field: str, value: str, *, allow_negative: bool = False) -> Decimal:
    """The kit's `parse_decimal` (ASCII digits, a bounded magnitude), non-negative unless
    `allow_negative`."""
    number = validation.parse_decimal(field, value)
    if number < 0 and not allow_negative:
        raise InvalidArgument(field, "must not be negative")
    return number


def search_key(text: str) -> str:
    """Case- and ё-insensitive form used for name search (SQLite's lower() is ASCII-only)."""
    return text.casefold().replace("ё", "е")


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float

    @classmethod
    def of(cls, field: str, lat: float, lon: float) -> Location:
        if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
            raise InvalidArgument(f"{field}.latitude", f"must be within [-90, 90], got {lat}")
        if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
            raise InvalidArgument(f"{field}.longitude", f"must be within [-180, 180], got {lon}")
        return cls(lat, lon)

    def distance_m(self, other: Location) -> float:
        """Great-circle (haversine) distance in metres."""
        p1, p2 = math.radians(self.lat), math.radians(other.lat)
        dp, dl = p2 - p1, math.radians(other.lon - self.lon)
        a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))

    def bounding_box(self, radius_m: float) -> tuple[float, float, float, float]:
        """(min_lat, max_lat, min_lon, max_lon) enclosing the circle; a cheap index prefilter.

        Longitudes stay within [-180, 180]: a circle that reaches a pole or crosses the
        antimeridian gets the whole range of longitudes.
        """
        angle = radius_m / EARTH_RADIUS_M
        dlat = math.degrees(angle)
        min_lat, max_lat = self.lat - dlat, self.lat + dlat
        if min_lat <= -90.0 or max_lat >= 90.0:
            return min_lat, max_lat, -180.0, 180.0
        # The circle's widest point east or west is asin(sin(angle) / cos(lat)) away in
        # longitude, more than angle / cos(lat) (which misses its edge at high latitudes).
        ratio = math.sin(angle) / math.cos(math.radians(self.lat))
        dlon = math.degrees(math.asin(min(1.0, ratio)))
        if self.lon - dlon < -180.0 or self.lon + dlon > 180.0:
            return min_lat, max_lat, -180.0, 180.0
        return min_lat, max_lat, self.lon - dlon, self.lon + dlon


@dataclass(frozen=True)
class Money:
    """Exact amount in a currency. Never a float."""

    amount: Decimal
    currency: str

    @classmethod
    def of(cls, field: str, amount: Decimal, currency: str) -> Money:
        if not re.fullmatch(r"[A-Z]{3}", currency or ""):
            raise InvalidArgument(
                f"{field}.currency_code", f"must be an ISO 4217 code, got {(currency or '')[:10]!r}"
            )
        if amount < 0:
            raise InvalidArgument(field, "must not be negative")
        return cls(amount, currency)


def require_aware(field: str, value: datetime) -> datetime:
    if value.tzinfo is None:
        raise InvalidArgument(field, "must carry a time zone")
    return value
