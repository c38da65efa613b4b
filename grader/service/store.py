"""The service's database: users (token hashes), submissions (the queue's rows), progress events.

SQLAlchemy 2 models; the schema is created and upgraded by the Alembic migrations shipped in
``migrations/`` (:func:`open_store` runs them). SQLite (a file, WAL mode) by default, PostgreSQL
with a ``postgresql://`` URL (driver psycopg 3). Times are stored as naive UTC and read back as
aware UTC datetimes.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from convgrade.exercises.errors import ConvgradeError
from convgrade.grader.service.changes import Changes
from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

T = TypeVar("T")

MIGRATIONS = Path(__file__).with_name("migrations")
#: submission states, in order: a row is queued, then running (claimed), then done.
QUEUED, RUNNING, DONE = "queued", "running", "done"
ACTIVE = (QUEUED, RUNNING)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in Python, naive UTC in the database (SQLite has no time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=dt.timezone.utc)


class Base(DeclarativeBase):
    pass


class User(Base):
    """A student from the roster, or the instructor (id ``instructor``)."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), default="student")
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)


class Submission(Base):
    """One upload; also the job row of the durable queue."""

    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    assignment: Mapped[str] = mapped_column(String(200), index=True)
    original_name: Mapped[str] = mapped_column(String(200))
    suffix: Mapped[str] = mapped_column(String(10))
    #: the upload, loaded only when asked for (status views and streams never need it)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default=QUEUED, index=True)
    regrade: Mapped[bool] = mapped_column(Boolean, default=False)
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    result: Mapped[str | None] = mapped_column(Text, nullable=True)
    result_status: Mapped[str | None] = mapped_column(String(40), nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    late_days: Mapped[int] = mapped_column(Integer, default=0)
    penalty: Mapped[float] = mapped_column(Float, default=0.0)
    final_score: Mapped[float | None] = mapped_column(Float, nullable=True)

    __table_args__ = (
        # one submission per student in the queue at a time (regrades excepted)
        Index(
            "one_active_per_student",
            "user_id",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running') AND NOT regrade"),
            postgresql_where=text("status IN ('queued', 'running') AND NOT regrade"),
        ),
    )


class Event(Base):
    """A progress line of a running submission (per epoch), streamed to the student."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; ``postgresql://`` uses psycopg 3, SQLite gets WAL and a busy wait."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if not url.startswith(("sqlite", "postgresql+psycopg")):
        raise ConvgradeError(f"--db: expected sqlite:///FILE or postgresql://..., got {url!r}")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record):
            conn.isolation_level = None  # we issue BEGIN ourselves (below)
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            # writers take the write lock at the start, so they never fail half-way to upgrade
            immediate = conn.get_execution_options().get("immediate")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (Alembic ``upgrade head``)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()


class Store:
    """Session factories: ``read()`` for queries, ``write()`` for changes.

    On SQLite a write transaction takes the database's single writer lock at its start. Writers
    of this process first queue on a lock of their own (held while the session is open): they
    are then woken in turn the moment the writer before them ends, instead of polling the
    database's lock in SQLite's growing sleeps (up to 100 ms each), which made a burst of uploads
    wait seconds. Other processes (``grade tokens``) still meet the busy timeout.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.read = sessionmaker(engine, expire_on_commit=False)
        self._write_engine = engine.execution_options(immediate=True)
        self._write = sessionmaker(self._write_engine, expire_on_commit=False)
        self._writers = threading.RLock() if self.dialect == "sqlite" else None
        #: what this process changed (wakes event streams, invalidates cached views)
        self.changes = Changes()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session for changes (``with store.write() as s, s.begin(): ...``)."""
        with self._writers or nullcontext(), self._write() as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A connection in a write transaction, committed on leaving (rolled back on an error):
        SQL Core statements, for the upload's hot path, where an ORM session's own work was
        most of the server's time in a burst of uploads."""
        with self._writers or nullcontext(), self._write_engine.begin() as conn:
            yield conn

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


class _Waiting:
    """One caller's work in a :class:`GroupCommit`, and what it gave."""

    def __init__(self, work: Callable[[Connection], Any]) -> None:
        self.work, self.result, self.error, self.done = work, None, None, False


def _not_written(exc: BaseException) -> Exception:
    """What a caller of a group whose transaction did not commit is told."""
    if isinstance(exc, Exception):
        return exc
    return RuntimeError(f"the upload was not stored: the transaction was interrupted ({exc!r})")


class GroupCommit:
    """Write transactions of callers arriving at the same moment committed as one (group
    commit): the first caller to get the turn runs every waiting caller's ``work(conn)``, each
    in a savepoint of one transaction (a failing one is rolled back alone and raised to its
    caller), commits, and every caller returns after that commit. A burst of 50 uploads took the
    database's writer lock 50 times, about 7 ms each with 50 threads sharing the interpreter."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._turn = threading.Lock()  # held by the caller running a group
        self._queue = threading.Lock()  # guards the waiting list
        self._waiting: list[_Waiting] = []

    def run(self, work: Callable[[Connection], T]) -> T:
        """``work(conn)`` committed (with the other callers' waiting meanwhile); its result, or
        its exception raised here."""
        me = _Waiting(work)
        with self._queue:
            self._waiting.append(me)
        with self._turn:
            if not me.done:
                with self._queue:
                    group, self._waiting = self._waiting, []
                self._commit(group)
        if me.error is not None:
            raise me.error
        return me.result

    def _commit(self, group: list[_Waiting]) -> None:
        try:
            with self._store.writing() as conn:
                for w in group:
                    try:
                        with conn.begin_nested():
                            w.result = w.work(conn)
                    except Exception as exc:
                        w.error = exc
        except BaseException as exc:  # the commit failed: nothing of the group was written
            for w in group:
                w.result, w.error = None, w.error or _not_written(exc)
            if not isinstance(exc, Exception):
                raise  # an interrupt: the waiting callers get an error, this one the interrupt
        finally:
            for w in group:
                w.done = True


def open_store(url: str) -> Store:
    """Connect to ``url``, run the migrations, return the store."""
    engine = make_engine(url)
    try:
        migrate(engine)
    except Exception as exc:
        if isinstance(exc, ConvgradeError):
            raise
        raise ConvgradeError(f"--db {url}: cannot open the database ({exc})") from None
    return Store(engine)
