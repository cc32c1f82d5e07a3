"""The audit writer's INSERTs, one executemany a table handed to the driver as it takes them.

Through SQLAlchemy's Core (a compiled insert and a list of dicts) a hook call's dozen rows cost
about twice what the driver's own executemany of the same rows does: per row, the compiled
statement's construct_params and type processing, and per statement its cache key and
execution context (bench/store_write.py measures both). Here the statement is plain SQL made
once from the table, each row a tuple in the table's column order, and each date, time and
amount parsed from the record's text, then converted by the bind processor SQLAlchemy's own
type has on this dialect (a SQLite DateTime as its text, a Numeric as a float; on PostgreSQL
psycopg takes the Python values as they are), so the database holds what the Core insert
stored and the readers see the same values. On
SQLite the statement runs through the SQLAlchemy connection (exec_driver_sql): its
transaction, error classes and the engine's handle_error events (cds_hooks/store/db.py) are
kept. On PostgreSQL with psycopg the rows go by COPY, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import Date, DateTime, Float, Numeric, Table, insert, select
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeEngine

# The drivers' positional placeholder, by DB-API paramstyle.
_MARKS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


class BulkInsert:
    """INSERTs of rows of one table, given as dicts keyed by column name (all the columns but
    an autoincremented key) holding the record's values: str, float, and for DateTime, Date
    and Numeric columns their ISO or decimal text (or None)."""

    def __init__(self, table: Table, dialect: Dialect):
        self._table = table
        columns = [c for c in table.columns if c is not table.autoincrement_column]
        names = [c.name for c in columns]
        mark = _MARKS.get(dialect.paramstyle)
        # Another driver: the Core insert, as before.
        self._sql = mark and (f"INSERT INTO {table.name} ({', '.join(names)}) "
                              f"VALUES ({', '.join([mark] * len(names))})")
        self._tuple = itemgetter(*names)
        # psycopg's executemany cost 200-250 us of client CPU a call's rows, COPY 25-35 us
        # (bench/store_write.py's rows, batches of 100).
        self._copy = (f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
                      if (dialect.name, dialect.driver) == ("postgresql", "psycopg") else None)
        self._converts = [(c.name, convert) for c in columns
                          if (convert := _converter(c.type, dialect, bind=bool(self._sql)))]

    def run(self, connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        for row in rows if self._converts else ():
            for name, convert in self._converts:
                row[name] = convert(row[name])
        if self._sql is None:
            connection.execute(insert(self._table), rows)
            return
        if self._copy is None:
            connection.exec_driver_sql(self._sql, list(map(self._tuple, rows)))
            return
        # COPY is the driver's own call, outside SQLAlchemy's execution: its errors are
        # turned into SQLAlchemy's classes (IntegrityError, OperationalError...) here.
        dbapi = connection.dialect.loaded_dbapi
        try:
            with connection.connection.driver_connection.cursor() as cursor, \
                    cursor.copy(self._copy) as copy:
                for row in map(self._tuple, rows):
                    copy.write_row(row)
        except dbapi.Error as bad:
            raise DBAPIError.instance(self._copy, None, bad, dbapi.Error) from bad


# The Python value of a record's text, by column type (Float, a Numeric, takes the number).
_PARSE = ((Float, None), (DateTime, datetime.fromisoformat), (Date, date.fromisoformat),
          (Numeric, Decimal))
MEMO_SIZE = 4096  # distinct dates of service and list prices remembered


def _converter(kind: TypeEngine, dialect: Dialect, *, bind: bool) -> Callable | None:
    """What turns a record's value into the driver's for a column of `kind`: its text parsed,
    then SQLAlchemy's bind processor of the type on this dialect (`bind`). Dates and amounts
    repeat from call to call (a few prices, the days of service): each is converted once."""
    parse = next((p for t, p in _PARSE if isinstance(kind, t)), None)
    process = kind.dialect_impl(dialect).bind_processor(dialect) if bind else None
    if parse is None:
        return process

    def value(text: str | None) -> Any:
        if text is None:
            return None
        return parse(text) if process is None else process(parse(text))
    if isinstance(kind, DateTime):  # a time is nearly always new
        return value
    memo: dict[str | None, Any] = {}

    def remembered(text: str | None) -> Any:
        try:
            return memo[text]
        except KeyError:
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            found = memo[text] = value(text)
            return found
    return remembered


def present(connection: Connection, table: Table, column: str, keys: Sequence[str],
            *also: str) -> list[Any]:
    """The rows of `table` whose `column` is one of `keys`: that column's values (and those
    of the columns `also` names, as tuples), by one query."""
    if not keys:
        return []
    mark = _MARKS.get(connection.dialect.paramstyle)
    named = [table.c[column], *(table.c[c] for c in also)]
    if mark is None:
        result = connection.execute(select(*named).where(named[0].in_(list(keys))))
    else:
        result = connection.exec_driver_sql(
            f"SELECT {', '.join(c.name for c in named)} FROM {table.name} "
            f"WHERE {column} IN ({', '.join([mark] * len(keys))})", tuple(keys))
    return [tuple(row) for row in result] if also else list(result.scalars())
