"""Database plumbing shared by every package: Base, the UTC datetime type, engines and sessions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    Enum,
    Index,
    Integer,
    MetaData,
    Table,
    any_,
    cast,
    create_engine,
    event,
    literal,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import String, TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on both databases: SQLite keeps no zone, so we refuse naive input and re-attach UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; pass an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class iso_utc(FunctionElement[str]):  # noqa: N801 - used like a SQL function
    """A UTC datetime column as ISO 8601 text to the second (`2026-11-23T09:00:00+00:00`), written in SQL
    for text the database assembles itself."""

    type = String()
    inherit_cache = True


@compiles(iso_utc, "postgresql")
def _iso_utc_postgresql(element: iso_utc, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"""to_char(({column}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')"""


@compiles(iso_utc)
def _iso_utc_sqlite(element: iso_utc, compiler: Any, **kw: Any) -> str:  # SQLite keeps UTC text without a zone
    return f"strftime('%Y-%m-%dT%H:%M:%S+00:00', {compiler.process(element.clauses, **kw)})"


def enum_column(enum: type[StrEnum], length: int = 24) -> Enum:
    """A StrEnum stored as a plain VARCHAR on both databases: adding a member needs no migration."""
    return Enum(enum, native_enum=False, create_constraint=False, length=length,
                values_callable=lambda members: [m.value for m in members], validate_strings=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def make_engine(url: str, **kwargs: object) -> Engine:
    """An engine with the pragmas SQLite needs to be a safe store (WAL, full sync, foreign keys)."""
    if url.startswith("sqlite"):
        connect_args = {"check_same_thread": False, "timeout": 30}
        # SQLite has one writer: one connection per process makes threads queue in the pool (woken at
        # once) rather than in SQLite's busy handler (which sleeps and polls, giving seconds-long tails).
        kwargs = {"pool_size": 1, "max_overflow": 0} | kwargs
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # Every connection works in UTC, as SQLite does: SQL date arithmetic does not depend on the server's
    # zone, and psycopg hands back datetimes already in UTC (converting each from the server's zone cost
    # seconds per million rows).
    kwargs = {"connect_args": {"options": "-c timezone=UTC"}} | kwargs
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DBAPI types
    # Let SQLAlchemy issue BEGIN itself (see _sqlite_begin) so SAVEPOINTs and locking behave.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection) -> None:  # noqa: ANN001
    # IMMEDIATE takes the write lock at the start, so two writers queue instead of failing mid-transaction.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows in the session's transaction: PostgreSQL's COPY, or one executemany elsewhere.

    psycopg sends an executemany as one statement per row, and a multi-row INSERT spends its time parsing
    the query: 20,000 rows took 2.5 s either way, against a few hundred milliseconds with COPY.
    """
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        session.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    values = itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    conversions = [(index, convert) for index, name in enumerate(columns)
                   if (convert := _copy_value(table.c[name].type)) is not None]
    cursor = connection.connection.driver_connection.cursor()  # the psycopg connection of this transaction
    names = ", ".join(f'"{name}"' for name in columns)
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:  # noqa: S608 - names are ours
        for row in rows:
            line = values(row)
            if conversions:
                line = list(line)
                for index, convert in conversions:
                    line[index] = convert(line[index])
            copy.write_row(line)


def _copy_value(column_type: object):  # noqa: ANN202 - a value converter
    """How a Python value is written for COPY: enums as their value, JSON as text; None: as psycopg adapts it."""
    if isinstance(column_type, JSON):
        return lambda value: None if value is None else json.dumps(value)
    if isinstance(column_type, Enum):
        return lambda value: value.value if isinstance(value, StrEnum) else value
    return None


def among(session: Session, column: Any, values: list[int]) -> Any:
    """`column IN values` for thousands of ids: on PostgreSQL one array parameter (`= ANY`), because psycopg
    parses a query of 5,000 placeholders afresh each time (about 30 ms); the array goes as its text, which
    Python writes ten times faster than psycopg adapts a list. Elsewhere the plain IN."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(cast(literal("{" + ",".join(map(str, map(int, values))) + "}"), ARRAY(Integer)))
    return column.in_(values)


def partial_index(name: str, *columns: str, unique: bool = False) -> Index:
    """An index of the rows where the last column is set: most rows have it null (a met deadline, an unsent
    message), so the index stays small and their writes skip it; queries compare that column with a value,
    which implies it is set, so both databases use the index for them."""
    where = text(f"{columns[-1]} IS NOT NULL")
    return Index(name, *columns, unique=unique, postgresql_where=where, sqlite_where=where)
