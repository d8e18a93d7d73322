"""Exact decimals on both databases: `ExactDecimal(precision, scale)` for money and quantities.

The DDL is NUMERIC(precision, scale) on PostgreSQL and on SQLite. PostgreSQL stores an exact
NUMERIC and asyncpg hands back `Decimal`: there the type is exactly `Numeric(p, s,
asdecimal=True)`. SQLite has no exact decimal storage (SQLAlchemy would bind a `Decimal` as a
float and SQLite would keep and sum it as REAL), so there the column holds the value as an
integer number of units of 10^-scale (kopecks for money, thousandths for quantities): 33.33 is
stored as 3333. SQLite's NUMERIC affinity keeps integers as INTEGER, SUM of integers is exact
integer arithmetic, and ordering and comparisons of one scale are the same as the values'.

On SQLite a value with more decimal places than the scale, or too many digits for the
precision, is refused (ValueError naming it) instead of being rounded; a float is refused
(TypeError): money is never float. Reads give `Decimal` with exactly `scale` places. Values are
converted by the type's bind processor (`units_converter`: a short integer path for the usual
Decimal, the checked one for everything else), in SQLAlchemy's statements and in the kit's
batched INSERTs (`fieldline_kit.bulk_insert`) alike.

SQL expressions keep their meaning when the types say what the integers are:

* `col + other`, `col - other`, comparisons, SUM/MIN/MAX/COALESCE, CASE: same scale on both
  sides; Python values are bound through the column's type (`col > 0`, `col - Decimal("1.5")`);
* `a * b` of two exact decimals has scale `a.scale + b.scale` (units multiply), × an integer
  keeps the scale;
* division, and + − or comparisons that mix scales or an operand of another (or unknown)
  numeric type, would be silently wrong on SQLite: building such an expression raises
  `InexactDecimalExpression`. Rescale or compute in Python instead. A Python constant inside
  `case()`, `coalesce()` or `literal()` is NOT bound through the type by SQLAlchemy: use 0 or
  `literal(value, col.type)`.
"""

from __future__ import annotations

import decimal
import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.operators import OperatorType
from sqlalchemy.sql.type_api import TypeEngine
from sqlalchemy.types import NUMERIC, TypeDecorator

# SQLite integers are signed 64-bit.
_SQLITE_MAX = 2**63 - 1
# Integers a double holds exactly (a REAL that SQLite hands back for an integer expression).
_DOUBLE_EXACT = 2**53

_ADDITIVE = frozenset({operators.add, operators.sub})
_DIVISION = frozenset({operators.truediv, operators.floordiv, operators.mod})
_COMPARISON = frozenset(
    {
        operators.eq,
        operators.ne,
        operators.lt,
        operators.le,
        operators.gt,
        operators.ge,
        operators.between_op,
        operators.not_between_op,
        operators.is_distinct_from,
        operators.is_not_distinct_from,
    }
)


class InexactDecimalExpression(TypeError):
    """An SQL expression over exact decimals whose result would not be exact on SQLite."""


# Scaling by a power of ten only moves the exponent; a context that traps any rounding keeps
# even a 60-digit value exact (or refused).
_EXACT = decimal.Context(prec=60, traps=[decimal.Inexact, decimal.InvalidOperation])


def to_units(value: Any, precision: int, scale: int) -> int:
    """`value` as an integer number of 10^-scale units; refuses anything that is not exact."""
    return units_converter(precision, scale)(value)


@functools.lru_cache(maxsize=256)
def units_converter(precision: int, scale: int, *, nullable: bool = False) -> Callable[[Any], Any]:
    """`to_units` for one NUMERIC(precision, scale), its constants computed once.

    Called for every bound value of every exact column on SQLite, so the usual case (a Decimal,
    or an int, that fits) takes a short path: `value.as_integer_ratio()` is n/d in lowest
    terms, exact at `scale` places iff d divides 10^scale, and then the units are
    n · 10^scale / d. Everything else (and anything refused) goes through `_checked_units`,
    the one place that words the errors. The short path only ever accepts what
    `_checked_units` accepts, with the same result: a value it accepts has at most 19
    significant digits (|units| ≤ 2^63 − 1), so scaling it in `_EXACT` (60 digits) is exact.
    `nullable`: None gives None (the bind processor), else it is refused like any non-number.
    """
    one = 10**scale
    limit = min(10**precision - 1, _SQLITE_MAX)
    # `adjusted()` (the exponent of the leading digit) of a nonzero value that can fit:
    # 10^-scale ≤ |value| < 10^(precision - scale). Outside it (zero written with more places
    # than the scale included), the checked path decides; it also keeps as_integer_ratio away
    # from huge exponents (1E+999999 would be a million-digit integer).
    lowest, highest = -scale, precision - scale - 1

    def convert(value: Any) -> Any:
        kind = type(value)
        if kind is Decimal:
            if lowest <= value.adjusted() <= highest:
                try:
                    numerator, denominator = value.as_integer_ratio()
                except (ValueError, OverflowError):  # NaN, infinity: refused below
                    pass
                else:
                    if one % denominator == 0:
                        units = numerator * (one // denominator)
                        if -limit <= units <= limit:
                            return units
        elif kind is int:
            units = value * one
            if -limit <= units <= limit:
                return units
        elif value is None and nullable:
            return None
        return _checked_units(value, precision, scale)

    return convert


def _checked_units(value: Any, precision: int, scale: int) -> int:
    """`to_units` the long way, with the errors: scale, truncate, compare."""
    if type(value) is not Decimal:
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise TypeError(
                f"{value!r} is not an exact decimal for NUMERIC({precision}, {scale}): "
                "give a Decimal or an int (money is never float)"
            )
        value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite number for NUMERIC({precision}, {scale})")
    try:
        scaled = value.scaleb(scale, context=_EXACT)
    except decimal.DecimalException:
        raise ValueError(f"{value} does not fit NUMERIC({precision}, {scale})") from None
    units = int(scaled)
    if scaled != units:
        raise ValueError(
            f"{value} has more than {scale} decimal places "
            f"(NUMERIC({precision}, {scale})); round it explicitly first"
        )
    if abs(units) >= 10**precision or abs(units) > _SQLITE_MAX:
        raise ValueError(f"{value} does not fit NUMERIC({precision}, {scale})")
    return units


def from_units(value: Any, scale: int) -> Decimal:
    """A stored (or computed) integer number of 10^-scale units as a Decimal."""
    if isinstance(value, int):
        units = value
    elif isinstance(value, float) and value.is_integer() and abs(value) <= _DOUBLE_EXACT:
        units = int(value)
    else:
        raise ValueError(
            f"{value!r} read from SQLite is not a whole number of 10^-{scale} units: "
            "an inexact SQL expression (see fieldline_kit.db_types) or a column not migrated"
        )
    return Decimal(units).scaleb(-scale)


class ScaledIntegerStorage(NUMERIC):
    """SQLite side of `ExactDecimal`: declared NUMERIC(p, s), bound and read as integer units."""

    def bind_processor(self, dialect: Dialect) -> Any:
        return units_converter(self.precision or 0, self.scale or 0, nullable=True)

    def literal_processor(self, dialect: Dialect) -> Any:
        precision, scale = self.precision or 0, self.scale or 0

        def process(value: Any) -> str:
            return str(to_units(value, precision, scale))

        return process

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        scale = self.scale or 0

        def process(value: Any) -> Decimal | None:
            return None if value is None else from_units(value, scale)

        return process


def _type_name(type_: Any) -> str:
    return repr(type_) if not isinstance(type_, ExactDecimal) else f"scale {type_.scale}"


class _ExactComparator(TypeDecorator.Comparator[Decimal], Numeric.Comparator[Decimal]):
    """Result types that stay exact on SQLite, and an error for expressions that would not."""

    __slots__ = ()

    def _adapt_expression(
        self, op: OperatorType, other_comparator: TypeEngine.Comparator[Any]
    ) -> tuple[OperatorType, TypeEngine[Any]]:
        mine = self.type
        other = other_comparator.type
        assert isinstance(mine, ExactDecimal)
        if op in _DIVISION:
            raise InexactDecimalExpression(
                f"{op.__name__} of an exact decimal (scale {mine.scale}) in SQL is not exact "
                "on SQLite (integer units): compute it in Python"
            )
        if op in _ADDITIVE:
            if isinstance(other, ExactDecimal) and other.scale == mine.scale:
                return op, mine
            raise InexactDecimalExpression(
                f"{op.__name__} of an exact decimal (scale {mine.scale}) and "
                f"{_type_name(other)}: both sides must be exact decimals of the same scale"
            )
        if op is operators.mul:
            if isinstance(other, ExactDecimal):
                return op, ExactDecimal(mine.precision + other.precision, mine.scale + other.scale)
            if isinstance(other, Integer):
                return op, mine
            raise InexactDecimalExpression(
                f"mul of an exact decimal (scale {mine.scale}) and {_type_name(other)}: "
                "multiply by an exact decimal or an integer"
            )
        return super()._adapt_expression(op, other_comparator)

    def operate(self, op: OperatorType, *other: Any, **kwargs: Any) -> ColumnElement[Any]:
        if op in _COMPARISON:
            _check_comparable(self.type, other)
        return super().operate(op, *other, **kwargs)

    def reverse_operate(self, op: OperatorType, other: Any, **kwargs: Any) -> ColumnElement[Any]:
        if op in _COMPARISON:
            _check_comparable(self.type, (other,))
        return super().reverse_operate(op, other, **kwargs)


def _check_comparable(mine: Any, others: tuple[Any, ...]) -> None:
    """A comparison with an SQL expression of another scale or numeric type is refused."""
    for other in others:
        if not isinstance(other, ColumnElement):
            continue  # a Python value: bound through the column's type
        theirs = other.type
        if isinstance(theirs, ExactDecimal):
            if theirs.scale != mine.scale:
                raise InexactDecimalExpression(
                    f"comparing exact decimals of scale {mine.scale} and {theirs.scale}"
                )
        elif isinstance(theirs, Integer | Numeric):
            raise InexactDecimalExpression(
                f"comparing an exact decimal (scale {mine.scale}) with {theirs!r}: "
                "compare with a Python value or an expression of the same type"
            )


class ExactDecimal(TypeDecorator[Decimal]):
    """NUMERIC(precision, scale): exact NUMERIC on PostgreSQL, integer units on SQLite."""

    impl = Numeric
    cache_ok = True
    comparator_factory = _ExactComparator

    def __init__(self, precision: int, scale: int) -> None:
        if not 0 <= scale <= precision:
            raise ValueError(f"NUMERIC({precision}, {scale}): need 0 <= scale <= precision")
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.precision = precision
        self.scale = scale

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return ScaledIntegerStorage(self.precision, self.scale)
        return Numeric(self.precision, self.scale, asdecimal=True)

    def coerce_compared_value(self, op: OperatorType | None, value: Any) -> Any:
        """The type a Python value is bound with when it meets this type in an expression."""
        if op is operators.mul:
            if isinstance(value, int) and not isinstance(value, bool):
                return Integer()
            if isinstance(value, Decimal) and value.is_finite():
                _, digits, exponent = value.as_tuple()
                assert isinstance(exponent, int)
                places = max(0, -exponent)
                return ExactDecimal(max(len(digits) + max(exponent, 0), places, 1), places)
        return self

    def __repr__(self) -> str:
        return f"ExactDecimal({self.precision}, {self.scale})"
