"""The audit writer's INSERTs, one executemany a table handed to the driver as it takes them.

Through SQLAlchemy's Core (a compiled insert and a list of dicts) a hook call's dozen rows cost
about twice what the driver's own executemany of the same rows does: per row, the compiled
statement's construct_params and type processing, and per statement its cache key and
execution context (bench/store_write.py measures both). Here the statement is plain SQL made
once from the table, each row a tuple in the table's column order, and each value converted
by the bind processor SQLAlchemy's own type has on this dialect (a SQLite DateTime as its
text, a Numeric as a float; on PostgreSQL psycopg takes the Python values as they are), so
the database holds what the Core insert stored and the readers see the same values. On
SQLite the statement runs through the SQLAlchemy connection (exec_driver_sql): its
transaction, error classes and the engine's handle_error events (cds_hooks/store/db.py) are
kept. On PostgreSQL with psycopg the rows go by COPY, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError

# The drivers' positional placeholder, by DB-API paramstyle.
_MARKS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


class BulkInsert:
    """INSERTs of rows of one table, given as dicts keyed by column name (all the columns but
    an autoincremented key) holding Python values: datetime, date, Decimal, str."""

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
        self._binds = [(c.name, bind) for c in columns
                       if (bind := c.type.dialect_impl(dialect).bind_processor(dialect))]

    def run(self, connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        if self._sql is None:
            connection.execute(insert(self._table), rows)
            return
        if self._binds:
            for row in rows:
                for name, bind in self._binds:
                    row[name] = bind(row[name])
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
