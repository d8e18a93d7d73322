"""A whole list of ids bound as ONE parameter, so a statement's SQL text never changes.

An expanding IN (`column.in_(bindparam(..., expanding=True))`) binds one parameter per id and
SQLAlchemy splices them into the SQL text at each execution: the text differs with every list
length, so it is rendered per call, asyncpg prepares every new text anew on the server and
sqlite3 caches statements by their text too. Here the list is one value:

- PostgreSQL: a `varchar[]` parameter, `column = ANY(:ids)` / `unnest(:ids)`;
- SQLite: a JSON array as text, `column IN (SELECT value FROM json_each(:ids))`.

Both use the column's index. Build the parameter with `id_list(name, dialect)`, use it with
`in_ids`/`id_rows` (as often as needed in one statement), and bind `ids_value(dialect, ids)`:
on SQLite the JSON text is made there, once, however many places of the statement use it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import String, all_, any_, bindparam, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter, ColumnElement


def dialect_name(where: Any) -> str:
    """The dialect's name, given it (a str), a Dialect, an AsyncSession, or anything with a
    `.dialect` (an engine or connection, async or not)."""
    if isinstance(where, str):
        return where
    if isinstance(where, Dialect):
        return str(where.name)
    if isinstance(where, AsyncSession):
        return str(where.get_bind().dialect.name)
    return str(where.dialect.name)


def id_list(name: str, dialect: str) -> BindParameter[Any]:
    """A parameter holding a whole list of ids (its value: `ids_value`): a `varchar[]` on
    PostgreSQL, a JSON array (text) on SQLite."""
    if dialect == "postgresql":
        return bindparam(name, type_=postgresql.ARRAY(String))
    return bindparam(name, type_=String())


def ids_value(dialect: Any, ids: Iterable[str]) -> list[str] | str:
    """The value of an `id_list` parameter (`dialect`: see `dialect_name`, e.g. the session)."""
    if dialect_name(dialect) == "postgresql":
        return list(ids)
    return json.dumps(list(ids))


def id_rows(
    ids: BindParameter[Any], dialect: str
) -> tuple[ColumnElement[str], ColumnElement[int] | None]:
    """The ids of an `id_list` as rows: their column and, on PostgreSQL, their place in the
    list (`unnest … WITH ORDINALITY`; SQLite's `json_each` gives no place to order by)."""
    if dialect == "postgresql":
        rows = func.unnest(ids).table_valued("id", with_ordinality="n").render_derived()
        return rows.c.id, rows.c.n
    return func.json_each(ids).table_valued("value").alias("ids").c.value, None


def in_ids(
    column: ColumnElement[Any], ids: BindParameter[Any], dialect: str, *, negate: bool = False
) -> ColumnElement[bool]:
    """`column IN <the ids>` (`NOT IN` with `negate`) for an `id_list` parameter."""
    if dialect == "postgresql":
        return column != all_(ids) if negate else column == any_(ids)
    values = select(id_rows(ids, dialect)[0]).scalar_subquery()
    return column.not_in(values) if negate else column.in_(values)
