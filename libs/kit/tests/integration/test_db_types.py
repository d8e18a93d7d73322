"""ExactDecimal: exact money and quantities on PostgreSQL (NUMERIC) and SQLite (integer units).

Tests taking `engine` run on the suite's backend (SQLite, or PostgreSQL when
FIELDLINE_TEST_POSTGRES_URL is set); tests taking `sqlite` always run on SQLite, where the
integer representation is the point.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from alembic.autogenerate import render_python_code
from alembic.operations import ops
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.schema import CreateTable

from fieldline_kit.db import create_engine
from fieldline_kit.db_types import (
    ExactDecimal,
    InexactDecimalExpression,
    to_units,
    units_converter,
)
from fieldline_kit.migrations import render_item
from fieldline_kit.testing.databases import DatabaseFactory

metadata = MetaData()
amounts = Table(
    "amounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(10), nullable=False),
    Column("money", ExactDecimal(18, 2), nullable=True),
    Column("quantity", ExactDecimal(18, 3), nullable=True),
    Column("percent", ExactDecimal(7, 3), nullable=True),
    Column("other_money", ExactDecimal(18, 2), nullable=True),
)
# What SQLite does with a plain REAL column (a Float, or a Numeric on SQLite), for contrast.
reals = Table("reals", metadata, Column("id", Integer, primary_key=True), Column("value", Float))

ROUND_TRIP = [
    Decimal("0.01"),
    Decimal("33.33"),
    Decimal("-12.34"),
    Decimal("999999999999.99"),
    Decimal("9999999999999999.99"),  # the largest NUMERIC(18, 2)
    Decimal("-9999999999999999.99"),
    Decimal("0"),
    Decimal("5"),
    Decimal("1.500"),  # more digits written, but exactly 1.50
    Decimal("1E+3"),
]


async def _engine(url: str) -> AsyncEngine:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return engine


@pytest_asyncio.fixture
async def engine(db_factory: DatabaseFactory) -> AsyncIterator[AsyncEngine]:
    engine = await _engine(await db_factory.create())
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = await _engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    yield engine
    await engine.dispose()


async def _put(engine: AsyncEngine, rows: list[dict[str, Any]]) -> None:
    base = {"kind": "a", "money": None, "quantity": None, "percent": None, "other_money": None}
    async with engine.begin() as conn:
        await conn.execute(insert(amounts), [base | r for r in rows])


async def _one(engine: AsyncEngine, stmt: Any) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(stmt)).one()


# ------------------------------------------------------------------------------ both backends
async def test_values_round_trip_exactly_with_the_scale(engine: AsyncEngine) -> None:
    await _put(engine, [{"id": i, "money": v} for i, v in enumerate(ROUND_TRIP)])
    await _put(engine, [{"id": 100, "quantity": Decimal("0.001"), "percent": Decimal("12.5")}])
    async with engine.connect() as conn:
        got = (await conn.execute(select(amounts.c.money).order_by(amounts.c.id))).scalars().all()
        row = (await conn.execute(select(amounts).where(amounts.c.id == 100))).one()
    assert got[: len(ROUND_TRIP)] == ROUND_TRIP
    assert all(isinstance(v, Decimal) for v in got[: len(ROUND_TRIP)])
    assert [str(v) for v in got[:4]] == ["0.01", "33.33", "-12.34", "999999999999.99"]
    assert str(got[6]) == "0.00" and str(got[8]) == "1.50"
    assert row.money is None
    assert (str(row.quantity), str(row.percent)) == ("0.001", "12.500")


async def test_sums_are_exact(engine: AsyncEngine) -> None:
    await _put(engine, [{"id": i, "money": Decimal("0.10")} for i in range(10)])
    total, empty = await _one(
        engine,
        select(
            func.sum(amounts.c.money),
            select(func.coalesce(func.sum(amounts.c.money), 0))
            .where(amounts.c.id < 0)
            .scalar_subquery(),
        ),
    )
    assert total == Decimal("1.00") and str(total) == "1.00"
    assert empty == 0
    if engine.dialect.name == "sqlite":
        assert str(empty) == "0.00"  # PostgreSQL: COALESCE(NULL, 0) is NUMERIC 0, as before


async def test_expressions_with_python_values_and_columns_of_the_same_scale(
    engine: AsyncEngine,
) -> None:
    m, other = amounts.c.money, amounts.c.other_money
    await _put(
        engine,
        [
            {"id": 1, "kind": "a", "money": Decimal("10.05"), "other_money": Decimal("0.06")},
            {"id": 2, "kind": "b", "money": Decimal("-3.20"), "other_money": Decimal("1.00")},
            {"id": 3, "kind": "a", "money": Decimal("0.00"), "other_money": Decimal("0.01")},
        ],
    )
    row = await _one(
        engine,
        select(
            func.sum(m - other),
            func.sum(case((m > 0, m), else_=type_coerce(literal(0), m.type))),
            func.sum(case((amounts.c.kind == "b", m), else_=0)),
            func.count().filter(m > Decimal("0.5")),
            func.count().filter(m.between(Decimal("-3.20"), Decimal("0.00"))),
            func.max(m),
            func.min(m + Decimal("0.01")),
            func.sum(-m),
            func.coalesce(func.max(m).filter(m > 100), literal(Decimal("1.5"), m.type)),
        ),
    )
    assert tuple(row) == (
        Decimal("5.78"),
        Decimal("10.05"),
        Decimal("-3.20"),
        1,
        2,
        Decimal("10.05"),
        Decimal("-3.19"),
        Decimal("-6.85"),
        Decimal("1.50"),
    )
    async with engine.begin() as conn:
        await conn.execute(update(amounts).where(m >= 10).values(money=m - Decimal("0.05")))
        await conn.execute(delete(amounts).where(m == Decimal("-3.2")))
    assert (await _one(engine, select(func.sum(m))))[0] == Decimal("10.00")


async def test_products_take_the_sum_of_the_scales(engine: AsyncEngine) -> None:
    """quantity (3 places) × price (2 places) = 5 places, exact; × an integer keeps the scale."""
    q, m = amounts.c.quantity, amounts.c.money
    await _put(
        engine,
        [
            {"id": 1, "quantity": Decimal("1.255"), "money": Decimal("33.33")},
            {"id": 2, "quantity": Decimal("0.001"), "money": Decimal("0.01")},
        ],
    )
    row = await _one(
        engine,
        select(func.sum(q * m), func.sum(m * 3), func.sum(2 * m), func.sum(m * Decimal("1.5"))),
    )
    assert (q * m).type.scale == 5  # type: ignore[attr-defined]
    assert row[0] == Decimal("41.82915") + Decimal("0.00001") and str(row[0]) == "41.82916"
    assert (row[1], row[2]) == (Decimal("100.02"), Decimal("66.68"))
    assert row[3] == Decimal("50.010") and str(row[3]) == "50.010"


def test_expressions_that_would_not_be_exact_are_refused() -> None:
    m, q = amounts.c.money, amounts.c.quantity
    inexact: list[Any] = [
        lambda: m + q,
        lambda: m - q,
        lambda: func.sum(m) - func.sum(q),
        lambda: m / 2,
        lambda: m / q,
        lambda: m // 2,
        lambda: m % 2,
        lambda: m > q,
        lambda: m == func.sum(q),
        lambda: m + amounts.c.id,
        lambda: m > amounts.c.id,
        lambda: m * literal(1.5),
        lambda: m + literal(1),
    ]
    for build in inexact:
        with pytest.raises(InexactDecimalExpression):
            build()


def test_ddl_is_numeric_on_both_databases() -> None:
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        ddl = str(CreateTable(amounts).compile(dialect=dialect))
        assert "money NUMERIC(18, 2)" in ddl
        assert "quantity NUMERIC(18, 3)" in ddl
        assert "percent NUMERIC(7, 3)" in ddl


def test_literals_render_in_the_stored_representation() -> None:
    stmt = select(amounts.c.id).where(amounts.c.money > Decimal("1.5"))
    on_sqlite = stmt.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
    on_pg = stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    assert "amounts.money > 150" in str(on_sqlite)
    assert "amounts.money > 1.5" in str(on_pg)


# ------------------------------------------------------------------------------- SQLite only
async def test_sqlite_stores_integer_units(sqlite_engine: AsyncEngine) -> None:
    await _put(
        sqlite_engine,
        [
            {"id": 1, "money": Decimal("33.33"), "quantity": Decimal("0.001")},
            {"id": 2, "money": Decimal("-12.34"), "quantity": Decimal("2")},
        ],
    )
    async with sqlite_engine.connect() as conn:
        raw = (
            await conn.exec_driver_sql(
                "SELECT money, typeof(money), quantity, typeof(quantity) FROM amounts ORDER BY id"
            )
        ).all()
    assert [tuple(r) for r in raw] == [
        (3333, "integer", 1, "integer"),
        (-1234, "integer", 2000, "integer"),
    ]


async def test_sqlite_sum_is_exact_where_real_is_not(sqlite_engine: AsyncEngine) -> None:
    await _put(sqlite_engine, [{"id": i, "money": Decimal("0.10")} for i in range(10)])
    async with sqlite_engine.begin() as conn:
        await conn.execute(insert(reals), [{"id": i, "value": 0.1} for i in range(10)])
        exact = (
            await conn.exec_driver_sql("SELECT sum(money), typeof(sum(money)) FROM amounts")
        ).one()
        real = (
            await conn.exec_driver_sql("SELECT sum(value), typeof(sum(value)) FROM reals")
        ).one()
    assert tuple(exact) == (100, "integer")
    assert real[1] == "real" and real[0] != 1.0  # 0.9999999999999999
    assert (await _one(sqlite_engine, select(func.sum(amounts.c.money))))[0] == Decimal("1.00")


@pytest.mark.parametrize(
    ("column", "value", "error"),
    [
        ("money", Decimal("0.001"), ValueError),
        ("money", Decimal("33.333"), ValueError),
        ("quantity", Decimal("0.0005"), ValueError),
        ("percent", Decimal("12.0001"), ValueError),
        ("money", Decimal("10000000000000000.00"), ValueError),  # 17 digits before the point
        ("percent", Decimal("10000"), ValueError),
        ("money", Decimal("NaN"), ValueError),
        ("money", 0.1, TypeError),
        ("money", "1.00", TypeError),
    ],
)
async def test_sqlite_refuses_values_it_would_have_to_round(
    sqlite_engine: AsyncEngine, column: str, value: Any, error: type[Exception]
) -> None:
    with pytest.raises(StatementError) as raised:
        await _put(sqlite_engine, [{"id": 1, column: value}])
    cause = raised.value.orig
    assert isinstance(cause, error)
    assert str(value) in str(cause) and "NUMERIC" in str(cause)
    async with sqlite_engine.connect() as conn:
        assert (await conn.exec_driver_sql("SELECT count(*) FROM amounts")).scalar() == 0


async def test_sqlite_refuses_to_read_a_value_that_is_not_whole_units(
    sqlite_engine: AsyncEngine,
) -> None:
    """A REAL left by the old representation (not migrated) is an error, not a guess."""
    async with sqlite_engine.begin() as conn:
        await conn.exec_driver_sql("INSERT INTO amounts (id, kind, money) VALUES (1, 'a', 33.33)")
    with pytest.raises(ValueError, match=r"33\.33 read from SQLite"):
        await _one(sqlite_engine, select(amounts.c.money))


def test_autogenerate_writes_a_plain_numeric() -> None:
    """Migrations get `sa.Numeric(p, s)`, the DDL on both databases, not the kit's type."""
    code = render_python_code(
        ops.UpgradeOps([ops.CreateTableOp.from_table(amounts)]), render_item=render_item
    )
    assert "sa.Column('money', sa.Numeric(precision=18, scale=2)" in code
    assert "sa.Column('percent', sa.Numeric(precision=7, scale=3)" in code
    assert "ExactDecimal" not in code


# ------------------------------------------------------------------- to_units, exhaustively
# The straightforward implementation (it was the kit's until the short path was added): the
# short path must give exactly its result, or its error with its message, for every input.
_REFERENCE_CONTEXT = decimal.Context(prec=60, traps=[decimal.Inexact, decimal.InvalidOperation])


def reference_to_units(value: Any, precision: int, scale: int) -> int:
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
        scaled = value.scaleb(scale, context=_REFERENCE_CONTEXT)
    except decimal.DecimalException:
        raise ValueError(f"{value} does not fit NUMERIC({precision}, {scale})") from None
    units = int(scaled)
    if scaled != units:
        raise ValueError(
            f"{value} has more than {scale} decimal places "
            f"(NUMERIC({precision}, {scale})); round it explicitly first"
        )
    if abs(units) >= 10**precision or abs(units) > 2**63 - 1:
        raise ValueError(f"{value} does not fit NUMERIC({precision}, {scale})")
    return units


class _MyDecimal(Decimal):
    pass


def _outcome(convert: Any, value: Any) -> tuple[str, Any]:
    try:
        return "ok", convert(value)
    except Exception as exc:  # compared by type and message
        return type(exc).__name__, str(exc)


_digits = st.one_of(
    st.integers(0, 10**4),
    st.integers(0, 10**20),
    st.integers(0, 10**70),
    st.sampled_from([0, 1, 9, 10, 10**15 - 1, 10**18 - 1, 2**63 - 1, 2**63, 10**19]),
)
_exponents = st.one_of(
    st.integers(-6, 4),
    st.integers(-80, 80),
    st.sampled_from([-999999, -1000010, 5000]),
)
_decimals = st.one_of(
    st.builds(
        lambda sign, coef, exp: Decimal(f"{'-' if sign else ''}{coef}E{exp}"),
        st.booleans(),
        _digits,
        _exponents,
    ),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from([Decimal("sNaN"), Decimal("-Infinity"), Decimal("-0.00"), Decimal("0E-9")]),
)
_values = st.one_of(
    _decimals,
    _decimals.filter(lambda d: d.is_finite()).map(_MyDecimal),
    st.integers(-(10**25), 10**25),
    st.booleans(),
    st.floats(allow_nan=True),
    st.sampled_from(["1.00", None, b"1", 1j]),
)
_numerics = st.one_of(
    st.sampled_from([(18, 2), (18, 3), (7, 3), (2, 2), (1, 0), (19, 0), (25, 4)]),
    st.integers(0, 30).flatmap(lambda p: st.tuples(st.just(p), st.integers(0, p))),
)


@settings(max_examples=3000, deadline=None)
@given(value=_values, numeric=_numerics)
def test_to_units_gives_what_the_reference_gives(value: Any, numeric: tuple[int, int]) -> None:
    precision, scale = numeric
    expected = _outcome(lambda v: reference_to_units(v, precision, scale), value)
    assert _outcome(units_converter(precision, scale), value) == expected
    assert _outcome(lambda v: to_units(v, precision, scale), value) == expected
    # The bind processor: the same, and NULL stays NULL.
    processor = ExactDecimal(precision, scale).dialect_impl(sqlite.dialect())
    bind = processor.bind_processor(sqlite.dialect())
    assert _outcome(bind, value) == (("ok", None) if value is None else expected)


def test_to_units_examples() -> None:
    money = units_converter(18, 2)
    assert [money(Decimal(v)) for v in ("33.33", "-12.34", "1.500", "1E+3", "-0.00")] == [
        3333,
        -1234,
        150,
        100000,
        0,
    ]
    assert money(7) == 700 and units_converter(7, 3)(Decimal("12.5")) == 12500
    assert money(Decimal("0.000")) == 0  # more places written than the scale, but zero
    for bad, error in [
        (Decimal("0.001"), "has more than 2 decimal places"),
        (Decimal("1E+16"), "does not fit NUMERIC(18, 2)"),
        (Decimal("1E+999999"), "does not fit NUMERIC(18, 2)"),
        (Decimal("NaN"), "is not a finite number"),
        (Decimal("-Infinity"), "is not a finite number"),
    ]:
        with pytest.raises(ValueError, match=re.escape(error)):
            money(bad)
    for wrong in (0.1, True, "1.00"):
        with pytest.raises(TypeError, match="money is never float"):
            money(wrong)
