"""Each service's own database: engine, transactions, exact column types, migrations.

PostgreSQL in production and tests; a SQLite file is the zero-setup default for a local run. The
column types below keep money exact on both: NUMERIC on PostgreSQL, scaled integers on SQLite
(whose NUMERIC is a float), so SQL sums never pass through binary floating point.
"""

from __future__ import annotations

import contextlib
import contextvars
import zlib
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterator

import sqlalchemy as sa
import structlog
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, sessionmaker

log = structlog.get_logger("backbone.db")

#: constraint names every service's metadata uses, so Alembic can name (and later alter) them on any backend
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class ScaledDecimal(sa.types.TypeDecorator):
    """An exact Decimal column: NUMERIC(p, s) on PostgreSQL, an integer count of 10**-s on SQLite."""

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int):
        super().__init__()
        self.precision = precision
        self.scale = scale
        self._unit = Decimal(1).scaleb(-scale)

    def __repr__(self) -> str:
        return f"ScaledDecimal({self.precision}, {self.scale})"

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = Decimal(value)
        if dialect.name == "sqlite":
            return int(value.scaleb(self.scale).to_integral_exact())
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.scale).quantize(self._unit)
        return Decimal(value).quantize(self._unit)


def Money() -> ScaledDecimal:
    """Euro to the cent."""
    return ScaledDecimal(14, 2)


def Quantity() -> ScaledDecimal:
    """Pieces, or kg / litres to three decimals."""
    return ScaledDecimal(14, 3)


def Percent() -> ScaledDecimal:
    """A rate in percent with two decimals (VAT, commission)."""
    return ScaledDecimal(5, 2)


class UTCDateTime(sa.types.TypeDecorator):
    """An aware datetime, stored in UTC (timestamptz on PostgreSQL, naive UTC text on SQLite)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: give a time zone")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def json_type() -> sa.types.TypeEngine:
    """JSON, as JSONB on PostgreSQL."""
    from sqlalchemy.dialects.postgresql import JSONB

    return sa.JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(timezone.utc)


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once the transaction of `session` has committed (never if it rolls back).

    It runs in the context it was registered in (the trace of the event or request that asked for it).
    """
    session.info.setdefault("after_commit", []).append((contextvars.copy_context(), callback))


class Database:
    """A service's database: one engine, and transactions that commit or roll back as a whole."""

    def __init__(self, url: str, *, pool_size: int = 5, echo: bool = False):
        self.url = sa.make_url(url)
        options: dict = {"echo": echo, "pool_pre_ping": True}
        if self.url.get_backend_name() == "sqlite":
            if self.url.database and self.url.database != ":memory:":
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            options["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            options.update(pool_size=pool_size, max_overflow=pool_size * 2, pool_recycle=1800)
        self.engine = sa.create_engine(self.url, **options)
        if self.url.get_backend_name() == "postgresql":
            # The rows of an executemany INSERT go as multi-row VALUES, a few statements per thousand
            # rows, as they do with RETURNING; psycopg alone sends one statement per row.
            self.engine.dialect.use_insertmanyvalues_wo_returning = True
        if self.url.get_backend_name() == "sqlite":
            sa_event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any exception."""
        session = self.sessions()
        try:
            with session.begin():
                yield session
                _audit(session)
            callbacks = session.info.pop("after_commit", [])
        finally:
            session.close()
        for context, callback in callbacks:
            try:
                context.run(callback)
            except Exception:  # the transaction is committed: a failed nudge must not undo that
                log.exception("after-commit callback failed", callback=getattr(callback, "__name__", repr(callback)))

    def ping(self) -> None:
        """Raise unless the database answers."""
        with self.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _audit(session: Session) -> None:
    """Record who made this write, in the write's own transaction (once per request)."""
    from flask import g, has_request_context, request

    if not has_request_context() or request.method not in WRITES or g.get("audited"):
        return
    principal = g.get("principal")
    if principal is None:
        return  # not signed in: the token exchange itself, or a service that checks no tokens
    from backbone import tracing
    from backbone.outbox import audit_log

    session.execute(  # parameters apart from the statement: it is built and compiled once, not per request
        audit_log.insert(),
        {
            "at": utcnow(),
            "key_id": principal.key_id,
            "role": principal.role,
            "method": request.method,
            "path": request.path[:500],
            "endpoint": (request.endpoint or "")[:100],
            "trace_id": tracing.current_trace_id(),
        },
    )
    g.audited = True


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the API, the relay and the consumer use one file at once; foreign keys are off by default
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _insert(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def upsert(session: Session, table: sa.Table, row: dict, *, key: tuple[str, ...]) -> None:
    """INSERT a row, or UPDATE the existing one with the same `key` columns (PostgreSQL and SQLite)."""
    statement = _insert(session)(table).values(row)
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={name: statement.excluded[name] for name in row if name not in key}
    )
    session.execute(statement)


def insert_or_lock(session: Session, table: sa.Table, rows: list[dict], *, key: tuple[str, ...]) -> None:
    """INSERT rows; where one exists already, lock it (and keep it as it is) instead.

    Unlike ON CONFLICT DO NOTHING, which passes over a row another transaction is working on, this
    waits for that transaction (DO UPDATE locks the row): a "this needs doing" mark written here can
    never be consumed by a transaction that started before ours committed and so could not see why.
    """
    if not rows:
        return
    # One statement for many rows may not touch a row twice: the first of the same key does it all
    # (a later one would only lock it again).
    firsts: dict[tuple, dict] = {}
    for row in rows:
        firsts.setdefault(tuple(row[name] for name in key), row)
    rows = list(firsts.values())
    first = next(column.name for column in table.columns if column.name not in key)
    if _copying(session, table, rows):
        conflict = f'ON CONFLICT ({_quoted(key)}) DO UPDATE SET "{first}" = EXCLUDED."{first}"'
        _copy_then_insert(session, table, rows, conflict, key)
        return
    statement = _insert(session)(table)
    statement = statement.on_conflict_do_update(index_elements=list(key), set_={first: getattr(table.c, first)})
    session.execute(statement, rows)


def insert_ignoring_conflicts(session: Session, table: sa.Table, rows: list[dict], *, returning=None):
    """INSERT ... ON CONFLICT DO NOTHING on PostgreSQL and SQLite; returns the RETURNING rows, if any.

    Rows go as one executemany of one statement, so the statement is compiled once and cached
    whatever the number of rows (SQLAlchemy batches them into multi-row VALUES itself).
    """
    if not rows:
        return []
    if returning is None and _copying(session, table, rows):
        _copy_then_insert(session, table, rows, "ON CONFLICT DO NOTHING")
        return []
    statement = _insert(session)(table).on_conflict_do_nothing()
    if returning is not None:
        return session.execute(statement.returning(*returning), rows).all()
    session.execute(statement, rows)
    return []


#: from this many rows on, PostgreSQL gets them by COPY into a scratch table and one INSERT ... SELECT
COPY_FROM = 1000


def _copying(session: Session, table: sa.Table, rows: list[dict]) -> bool:
    # Python-side defaults are filled in by SQLAlchemy's INSERT only: rows must bring those columns
    return (
        len(rows) >= COPY_FROM
        and session.get_bind().dialect.name == "postgresql"
        and all(column.name in rows[0] for column in table.columns if column.default is not None)
    )


def _quoted(names) -> str:
    return ", ".join(f'"{name}"' for name in names)


def _copy_then_insert(session: Session, table: sa.Table, rows: list[dict], conflict: str, key=()) -> None:
    """Big batches: COPY the rows into a temporary table, then move them with one INSERT ... SELECT.

    A multi-row VALUES costs a parse and a plan per thousand rows; COPY streams them, and the one
    INSERT keeps the caller's ON CONFLICT rule. Rows move in `key` order, so rows locked on conflict
    are locked in the same order as by the executemany path (callers sort them).
    """
    dialect = session.get_bind().dialect
    columns = [column for column in table.columns if column.name in rows[0]]
    convert = [column.type.bind_processor(dialect) or (lambda value: value) for column in columns]
    names = _quoted(column.name for column in columns)
    scratch = f'"copy_{table.name[:40]}_{zlib.crc32(names.encode()):08x}"'
    order = f" ORDER BY {_quoted(key)}" if key else ""
    with session.connection().connection.driver_connection.cursor() as cursor:
        cursor.execute(
            f'CREATE TEMPORARY TABLE IF NOT EXISTS {scratch} ON COMMIT DELETE ROWS AS SELECT {names} FROM "{table.name}" WITH NO DATA'
        )
        cursor.execute(f"TRUNCATE {scratch}")
        with cursor.copy(f"COPY {scratch} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([to_db(row[column.name]) for to_db, column in zip(convert, columns, strict=True)])
        cursor.execute(f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM {scratch}{order} {conflict}')


def migrate(database_url: str, migrations_dir: Path, revision: str = "head") -> None:
    """Bring the database at `database_url` to `revision` with the service's Alembic migrations."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("path_separator", "os")
    config.attributes["database_url"] = database_url
    command.upgrade(config, revision)
