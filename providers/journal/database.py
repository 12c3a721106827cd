"""Where the journal lives and how its database is reached: MODEL_GATEWAY_JOURNAL_URL (an
SQLAlchemy URL, as ComfyUI's own --database-url) or, unset, an SQLite file in the data
directory. One engine per place, and one runner that retries what a database asks to be retried
(a lost connection, a busy file, a serialization failure or deadlock) within a bound, and turns
every database fault into a JournalError that names the place — never its password.

SQLAlchemy is imported only when a journal is opened: the pack loads without it."""
from __future__ import annotations

import importlib.util
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TypeVar
from urllib.parse import unquote, urlsplit

from ..errors import GatewayError, register_secret

log = logging.getLogger("model_gateway.journal")
T = TypeVar("T")

URL_VAR = "MODEL_GATEWAY_JOURNAL_URL"
FILE_NAME = "journal.sqlite3"
TITLE = "Model Gateway journal"
PSYCOPG_HINT = 'pip install "psycopg[binary]" into ComfyUI\'s Python'
# How long one journal operation may keep trying a database that is away: a run that would
# create something is told within 10 s (a connect attempt itself gives up after CONNECT_TIMEOUT).
PATIENCE = 6.0
CONNECT_TIMEOUT = 3
POSTGRES_SCHEMES = {"postgresql", "postgres", "postgresql+psycopg"}


class JournalError(GatewayError):
    """The journal's database could not do what was asked."""

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(TITLE, message, hint=hint)


@dataclass(frozen=True)
class Place:
    """Where a journal is: the URL to open (it may hold a password), which engine, and how a
    message names it."""
    url: str
    backend: str            # "sqlite" or "postgresql"
    shown: str              # e.g. "PostgreSQL at db.farm:5432/gateway" — no user, no password
    path: Path | None = None  # the SQLite file

    @property
    def shared(self) -> bool:
        return self.backend == "postgresql"


def place(data_dir: Path, url: str | None = None) -> Place:
    """The journal's place: `url`, else MODEL_GATEWAY_JOURNAL_URL, else the data directory's
    SQLite file. A URL the pack cannot use is a JournalError saying what would work."""
    text = (url if url is not None else os.environ.get(URL_VAR, "")).strip()
    if not text:
        path = Path(data_dir) / FILE_NAME
        return Place(f"sqlite:///{path}", "sqlite", f"SQLite file {path}", path)
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if parts.password:
        register_secret(parts.password)
        register_secret(unquote(parts.password))
    if scheme == "sqlite":
        raw = text.split(":///", 1)[1] if ":///" in text else ""
        if not raw:
            raise JournalError(f"{URL_VAR} names SQLite without a file",
                               hint="Write sqlite:////absolute/path/journal.sqlite3, or unset "
                                    "it to use the data directory's journal.")
        path = Path(raw.split("?", 1)[0])
        return Place(f"sqlite:///{path}", "sqlite", f"SQLite file {path}", path)
    if scheme in POSTGRES_SCHEMES:
        try:
            port = parts.port or 5432
        except ValueError:
            port = None
        if not parts.hostname or port is None:
            raise JournalError(f"{URL_VAR} has no usable host and port",
                               hint="Write postgresql+psycopg://user:password@host:5432/database.")
        database = parts.path.lstrip("/") or parts.username or "postgres"
        shown = f"PostgreSQL at {parts.hostname}:{port}/{database}"
        return Place("postgresql+psycopg://" + text.split("://", 1)[1], "postgresql", shown)
    raise JournalError(
        f"{URL_VAR} names the engine {scheme or '(none)'!r}, which the journal does not speak",
        hint="Use postgresql+psycopg://user:password@host:5432/database for a farm, or "
             "sqlite:////path/journal.sqlite3 (unset: the data directory's SQLite file).")


def driver_problem(where: Place) -> str | None:
    if where.backend == "postgresql" and importlib.util.find_spec("psycopg") is None:
        return (f"{URL_VAR} names PostgreSQL, which needs psycopg 3, and it is not installed: "
                f"{PSYCOPG_HINT}")
    return None


def setting_problem(data_dir: Path) -> str | None:
    """What is wrong with the journal's setting, checked without connecting (at load)."""
    try:
        return driver_problem(place(data_dir))
    except JournalError as error:
        return str(error)


# A claim is won by the insert that wrote a row; SQLAlchemy counts an INSERT's rows only when
# asked (2.0.28 and later).
COUNT_INSERTS = {"preserve_rowcount": True}


def create_engine(where: Place):
    import sqlalchemy
    from sqlalchemy import event

    problem = driver_problem(where)
    if problem:
        raise JournalError(problem, hint="Restart ComfyUI once it is installed.")
    if where.backend == "sqlite":
        where.path.parent.mkdir(parents=True, exist_ok=True)
        # A connection per operation, as sqlite3 itself is used: a process may open thousands
        # of journals (one per data directory) and must not keep a file open for each.
        engine = sqlalchemy.create_engine(
            where.url, hide_parameters=True, poolclass=sqlalchemy.pool.NullPool,
            execution_options=COUNT_INSERTS,
            connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record):
            # SQLAlchemy issues BEGIN itself (below); pysqlite's own guessing is switched off.
            dbapi_connection.isolation_level = None
            try:
                dbapi_connection.execute("PRAGMA journal_mode=WAL")
            except Exception:  # another process is switching it now; WAL is persistent
                pass

        @event.listens_for(engine, "begin")
        def _begin(connection):
            immediate = connection.get_execution_options().get("immediate")
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        return engine
    return sqlalchemy.create_engine(
        where.url, hide_parameters=True, execution_options=COUNT_INSERTS, pool_pre_ping=True, pool_size=4, max_overflow=12,
        pool_recycle=600, connect_args={"connect_timeout": CONNECT_TIMEOUT,
                                        "application_name": "model-gateway-nodes"})


# -- faults ---------------------------------------------------------------------------------------
RETRY_STATES = {"40001", "40P01", "57P01", "57P02", "57P03", "08000", "08001", "08003", "08004",
                "08006", "53300"}
LOGIN_STATES = {"28000", "28P01"}


def is_database_error(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    return module.startswith(("sqlalchemy", "psycopg", "sqlite3")) or \
        type(exc).__name__ in ("OperationalError", "DatabaseError", "InterfaceError")


def classify(exc: BaseException) -> tuple[str, bool]:
    """(what went wrong in a user's words, whether trying again may help)."""
    orig = getattr(exc, "orig", None) or exc
    state = getattr(orig, "sqlstate", None) or getattr(getattr(orig, "diag", None),
                                                      "sqlstate", None)
    text = str(orig).lower()
    if state in LOGIN_STATES or "authentication failed" in text or "no pg_hba.conf" in text:
        return "refused the login (check the user and password in the URL)", False
    if state == "3D000" or ("database" in text and "does not exist" in text):
        return "has no such database", False
    if state in ("40001", "40P01"):
        return "could not serialize the change (another worker wrote it at once)", True
    if "database is locked" in text or "database is busy" in text:
        return "is busy (another process holds the SQLite file)", True
    if (state in RETRY_STATES or getattr(exc, "connection_invalidated", False)
            or "connection" in text or "server closed" in text or "timeout" in text
            or "could not connect" in text or "terminating" in text):
        return "cannot be reached", True
    if "unable to open database" in text or "readonly" in text or "disk" in text:
        return f"cannot be written ({_first_line(orig)})", False
    return f"failed ({type(orig).__name__})", False


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def run(engine, where: Place, work: Callable[..., T], *, immediate: bool = False,
        patience: float = PATIENCE) -> T:
    """work(connection) in one transaction, committed; tried again while the database asks for
    it, for `patience` seconds at most. Any database fault ends as a JournalError."""
    deadline = time.monotonic() + patience
    delay = 0.05
    while True:
        try:
            with engine.connect() as connection:
                if immediate:
                    connection.execution_options(immediate=True)
                with connection.begin():
                    return work(connection)
        except Exception as exc:
            if isinstance(exc, GatewayError) or not is_database_error(exc):
                raise
            what, retry = classify(exc)
            if not retry or time.monotonic() + delay > deadline:
                raise failure(where, what) from None
            log.debug("journal at %s %s; trying again", where.shown, what)
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def failure(where: Place, what: str) -> JournalError:
    return JournalError(
        f"the journal's database ({where.shown}) {what}",
        hint=f"Start the database or fix {URL_VAR} (the setting of every worker of the farm), "
             "then run again." if where.shared else
             "Check the data directory's disk and permissions, then run again.")
