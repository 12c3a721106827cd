"""The journal of paid jobs: one interface over SQLite (a single ComfyUI, the default) and
PostgreSQL (a farm of workers sharing one database, MODEL_GATEWAY_JOURNAL_URL).

    identity  fingerprints and worker ids (no database needed)
    database  where the journal is, its engine, its faults as JournalError
    schema    the tables and moving an older journal forward
    store     Journal: reads, writes that never go backwards, claims with a lease
    carry     a worker's SQLite journal carried into the shared one on first use

SQLAlchemy is imported when a journal is first opened, not when the pack loads."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TypeVar

from .database import FILE_NAME, URL_VAR, JournalError, place, setting_problem
from .identity import fingerprint, host_name, host_of, new_owner, who, worker_id

if TYPE_CHECKING:
    from .store import Journal

T = TypeVar("T")
# How long a write of what a paid call made waits for a journal database that is away (a
# database restart takes seconds; a longer outage ends in an error naming the task).
PATIENCE = float(os.environ.get("MODEL_GATEWAY_JOURNAL_PATIENCE", "60"))

__all__ = ["PATIENCE", "patiently", "FILE_NAME", "URL_VAR", "Journal", "JournalError", "fingerprint", "host_name", "host_of",
           "new_owner", "open_journal", "setting_problem", "who", "worker_id"]

_open: dict[str, "Journal"] = {}
_carried: set[tuple[str, Path]] = set()  # (shared journal, data directory) already taken in
_lock = threading.Lock()


def open_journal(data_dir: Path, url: str | None = None) -> "Journal":
    """The journal for this data directory (MODEL_GATEWAY_JOURNAL_URL, else its SQLite file),
    opened once per process. A shared one first takes in the data directory's own SQLite journal.
    A database that cannot be reached is a JournalError, and is tried again at the next call."""
    where = place(data_dir, url)
    with _lock:
        journal = _open.get(where.url)
        if journal is None:
            journal = _open[where.url] = _open_at(where)
        if where.shared and (where.url, Path(data_dir)) not in _carried:
            _carry_local(journal, Path(data_dir) / FILE_NAME)
            _carried.add((where.url, Path(data_dir)))
        return journal


def _open_at(where) -> "Journal":
    from .store import Journal
    try:
        return Journal(where)
    except OSError as error:  # the data directory cannot be made or the file not written
        raise JournalError(f"the journal at {where.shown} cannot be opened "
                           f"({error.strerror or type(error).__name__})",
                           hint="Check the data directory's disk and permissions "
                                "(MODEL_GATEWAY_DATA_DIR).") from None


def _carry_local(journal: "Journal", local: Path) -> None:
    if not local.is_file():
        return
    from .carry import carry_in
    carry_in(journal, local, lambda path: _open_at(place(path.parent, f"sqlite:///{path}")))


def patiently(write: Callable[[], T]) -> T:
    """A journal write that must not be lost, tried again while the database is away, for
    PATIENCE seconds; then its JournalError."""
    ends = time.monotonic() + PATIENCE
    while True:
        try:
            return write()
        except JournalError:
            if time.monotonic() > ends:
                raise
            time.sleep(1.0)


def __getattr__(name: str):
    if name == "Journal":
        from .store import Journal
        return Journal
    raise AttributeError(name)
