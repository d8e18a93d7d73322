"""INSERTs of many rows, bound as tuples through the columns' own types.

`session.execute(insert(table), [dict, …])` costs SQLAlchemy a few microseconds of Python per
bound value: a parameter dict per row (`construct_params`), a processor lookup per key, and,
for an INSERT … RETURNING, the rows re-flattened into one multi-row VALUES statement
("insertmanyvalues"). For the INSERTs that write tens of rows per request (order lines, outbox
rows) that was a large share of a request's CPU.

`RowsInsert` sends the same statements with less work. The INSERT is compiled by SQLAlchemy once
per dialect (text, placeholders and casts exactly as SQLAlchemy renders them, ON CONFLICT and
RETURNING included). Each row is a tuple in `columns` order whose values go through the
columns' bind processors — `type.dialect_impl(dialect).bind_processor(dialect)`, what
SQLAlchemy itself applies — so an `ExactDecimal` is still checked and scaled to integer units
on SQLite and stays a `Decimal` for asyncpg, a date or time becomes SQLite's string, a JSON
value is serialized. Then, as SQLAlchemy would:

* without RETURNING: the single-row statement with the driver's `executemany` (sqlite3 loops
  in C; asyncpg pipelines the rows in one round trip);
* with RETURNING: one multi-row `VALUES (…), (…)` statement (SQLAlchemy's own single-row VALUES
  expression repeated, numbered placeholders renumbered; texts kept per row count), so the
  rows inserted come back (with ON CONFLICT DO NOTHING: only those).

Statements go through `exec_driver_sql` on the session's connection, inside its transaction
(engine events such as statement counters still see them). A multi-row statement holds at most
`max_rows` rows and ~32,000 bound values (SQLite's and PostgreSQL's limit); more rows take more
statements. RETURNING rows come back as the driver gives them (no result processing): return
plain columns such as string ids.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncSession

# Bound values per statement: SQLite allows 32,766, PostgreSQL's protocol 32,767.
MAX_PARAMETERS = 32_000
# Statement texts kept per dialect and insert (by row count).
_TEXTS_KEPT = 128

_Processor = Callable[[Any], Any]
_NOTHING = object()  # no value bound yet


@dataclass(frozen=True)
class RowsInsert:
    """`INSERT INTO table (columns) VALUES (…), (…) [ON CONFLICT (…) DO NOTHING] [RETURNING …]`.

    `columns`: the columns bound, in the order of each row tuple (default: all of them).
    `on_conflict_do_nothing`: the conflict target's column names (PostgreSQL and SQLite).
    `returning`: column names whose values come back, one row per inserted row.
    """

    table: Table
    columns: tuple[str, ...] = ()
    on_conflict_do_nothing: tuple[str, ...] = ()
    returning: tuple[str, ...] = ()
    max_rows: int = 1000

    def __post_init__(self) -> None:
        if not self.columns:
            object.__setattr__(self, "columns", tuple(c.key for c in self.table.c))
        unknown = [name for name in self.columns if name not in self.table.c]
        if unknown:
            raise ValueError(f"{self.table.name} has no column(s) {', '.join(unknown)}")

    async def execute(
        self, session: AsyncSession, rows: Sequence[Sequence[Any]]
    ) -> list[tuple[Any, ...]]:
        """Insert `rows` (tuples in `columns` order); the RETURNING rows ([] without)."""
        if not rows:
            return []
        conn = await session.connection()
        form = _form(self, conn.dialect)
        if not self.returning:
            await conn.exec_driver_sql(form.single, _bound(form.single, form.bind_rows, rows))
            return []
        returned: list[tuple[Any, ...]] = []
        for start in range(0, len(rows), form.max_rows):
            chunk = rows[start : start + form.max_rows]
            text = form.text(len(chunk))
            result = await conn.exec_driver_sql(text, _bound(text, form.bind, chunk))
            returned.extend(tuple(r) for r in result.all())
        return returned


def _bound(statement: str, bind: Callable[[Sequence[Sequence[Any]]], Any], rows: Any) -> Any:
    """The rows bound; a value a type refuses fails as in SQLAlchemy (StatementError, `.orig`
    the type's error), before anything is sent."""
    try:
        return bind(rows)
    except Exception as exc:
        raise StatementError(str(exc), statement, None, exc) from exc


@dataclass
class _Form:
    """One RowsInsert compiled for one dialect."""

    single: str  # the one-row statement (for executemany)
    head: str  # up to and including VALUES
    tail: str  # ON CONFLICT …, RETURNING …
    row: str  # one row's placeholders, numbered ones as `{}` (format fields)
    numbered: str  # "$" (asyncpg) when placeholders carry their position, else ""
    width: int
    max_rows: int
    processors: tuple[tuple[int, _Processor], ...]
    texts: dict[int, str] = field(default_factory=dict)

    def text(self, n: int) -> str:
        found = self.texts.get(n)
        if found is None:
            if self.numbered:
                rows = ", ".join([self.row] * n)
                marks = [f"{self.numbered}{i}" for i in range(1, n * self.width + 1)]
                values = rows.format(*marks)
            else:
                values = ", ".join([self.row] * n)
            found = self.head + values + self.tail
            if len(self.texts) >= _TEXTS_KEPT:
                self.texts.clear()
            self.texts[n] = found
        return found

    def bind_rows(self, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """Each row with its values bound (for executemany).

        A column is often filled by the same object row after row: a batch's timestamp in
        every order, history and outbox row, a shared zero percent in every line. While the
        object repeats, its bound value is reused instead of computed again (the same object
        gives the same result: nothing mutates a row while it is bound).
        """
        width = self.width
        processors = self.processors
        out: list[tuple[Any, ...]] = []
        seen: list[Any] = [_NOTHING] * len(processors)  # per processor: the last value…
        made: list[Any] = [None] * len(processors)  # … and what it was bound to
        for row in rows:
            if len(row) != width:
                raise ValueError(f"a row of {len(row)} values for {width} columns")
            if processors:
                bound = list(row)
                for k, (i, process) in enumerate(processors):
                    value = bound[i]
                    if value is seen[k]:
                        bound[i] = made[k]
                    else:
                        bound[i] = made[k] = process(value)
                        seen[k] = value
                out.append(tuple(bound))
            else:
                out.append(tuple(row))
        return out

    def bind(self, rows: Sequence[Sequence[Any]]) -> tuple[Any, ...]:
        """The rows' bound values in one run (for a multi-row VALUES)."""
        flat: list[Any] = []
        for row in self.bind_rows(rows):
            flat.extend(row)
        return tuple(flat)


_FORMS: weakref.WeakKeyDictionary[Dialect, dict[RowsInsert, _Form]] = weakref.WeakKeyDictionary()


def _form(spec: RowsInsert, dialect: Dialect) -> _Form:
    forms = _FORMS.get(dialect)
    if forms is None:
        forms = _FORMS[dialect] = {}
    form = forms.get(spec)
    if form is None:
        form = forms[spec] = _compile(spec, dialect)
    return form


def _compile(spec: RowsInsert, dialect: Dialect) -> _Form:
    table = spec.table
    if dialect.name == "postgresql":
        stmt: Any = postgresql.insert(table)
    elif dialect.name == "sqlite":
        stmt = sqlite.insert(table)
    else:
        stmt = insert(table)
        if spec.on_conflict_do_nothing:
            raise ValueError(f"ON CONFLICT DO NOTHING is not supported on {dialect.name}")
    if spec.on_conflict_do_nothing:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(spec.on_conflict_do_nothing))
    if spec.returning:
        stmt = stmt.returning(*(table.c[name] for name in spec.returning))
    compiled = stmt.compile(dialect=dialect, column_keys=list(spec.columns), for_executemany=True)
    if not compiled.positional or list(compiled.positiontup or ()) != list(spec.columns):
        raise ValueError(
            f"INSERT into {table.name} on {dialect.name}: the statement binds "
            f"{compiled.positiontup}, not just the columns {spec.columns} in order"
        )
    width = len(spec.columns)
    processors = []
    for i, name in enumerate(spec.columns):
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors.append((i, process))
    if not spec.returning:  # the driver's executemany of the one-row statement
        return _Form(compiled.string, "", "", "", "", width, spec.max_rows, tuple(processors))
    values = compiled.insert_single_values_expr
    if values is None:
        raise ValueError(f"cannot batch an INSERT … RETURNING into {table.name} on {dialect.name}")
    head, found, tail = compiled.string.partition(f"({values})")
    if not found or f"({values})" in tail:
        raise ValueError(f"cannot find the VALUES of the INSERT into {table.name}")
    numbered = ""
    row = f"({values})"
    if dialect.paramstyle.startswith("numeric"):
        numbered = "$" if dialect.paramstyle == "numeric_dollar" else ":"
        pattern = re.escape(numbered) + r"\d+"
        row = re.sub(pattern, "{}", row.replace("{", "{{").replace("}", "}}"))
    return _Form(
        single=compiled.string,
        head=head,
        tail=tail,
        row=row,
        numbered=numbered,
        width=width,
        max_rows=max(1, min(spec.max_rows, MAX_PARAMETERS // width)),
        processors=tuple(processors),
    )
