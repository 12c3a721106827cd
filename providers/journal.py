"""The journal: every paid job is written to SQLite before polling starts, keyed by a fingerprint
of its request, so a result is never lost and the same request is never paid for twice.

Claiming a fingerprint is atomic across threads and processes (BEGIN IMMEDIATE): the first caller
writes a SUBMITTING row and submits; others wait for that row to become a job and reuse it.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
import uuid
from contextlib import closing
from pathlib import Path
from typing import Callable

from .errors import GatewayError
from .tasks import Job, State

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    fingerprint TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    owner TEXT,
    lease_until REAL,
    job TEXT,
    updated_at REAL NOT NULL
)
"""


def fingerprint(request: dict) -> str:
    """A stable hash of everything that defines a request (gateway, model, every parameter,
    hashes of input images, seed, job index)."""
    canonical = json.dumps(request, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Journal:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db:
            try:
                db.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError:
                # Switching the mode does not wait for a busy database: another process is
                # opening the same journal, and it sets WAL itself (WAL is persistent).
                pass
            db.execute(SCHEMA)
        os.chmod(self.path, 0o600)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)

    # -- reading ------------------------------------------------------------------------------
    def get(self, fp: str) -> Job | None:
        with closing(self._connect()) as db:
            row = db.execute("SELECT state, job FROM jobs WHERE fingerprint = ?", (fp,)).fetchone()
        if not row or not row[1] or State(row[0]) in (State.SUBMITTING, State.UNKNOWN):
            return None
        return Job.from_dict(json.loads(row[1]))

    def _row(self, db, fp: str):
        return db.execute("SELECT state, owner, lease_until, job FROM jobs WHERE fingerprint = ?",
                          (fp,)).fetchone()

    # -- writing ------------------------------------------------------------------------------
    def save(self, job: Job) -> None:
        with closing(self._connect()) as db:
            db.execute("INSERT INTO jobs (fingerprint, state, owner, lease_until, job, updated_at) "
                       "VALUES (?, ?, NULL, NULL, ?, ?) ON CONFLICT(fingerprint) DO UPDATE SET "
                       "state = excluded.state, owner = NULL, lease_until = NULL, "
                       "job = excluded.job, updated_at = excluded.updated_at",
                       (job.fingerprint, job.state.value, json.dumps(job.to_dict()), time.time()))

    def submit_once(self, fp: str, submit: Callable[[], Job], *, lease_seconds: float,
                    gateway_title: str, check_cancelled: Callable[[], None] | None = None) -> Job:
        """The journalled job for this fingerprint, submitting it only if there is none.
        A failed or cancelled earlier job is submitted anew; a submit with an unknown outcome
        is not (it may have been paid for)."""
        owner = uuid.uuid4().hex
        while True:
            claimed, job = self._claim(fp, owner, lease_seconds, gateway_title)
            if claimed:
                break
            if job is not None:
                return job
            if check_cancelled:  # another worker is submitting this very request: wait for it
                check_cancelled()
            time.sleep(0.2)
        try:
            job = submit()
        except GatewayError as error:
            if error.maybe_accepted:
                self._set_state(fp, State.UNKNOWN, str(error))
            else:
                self._delete(fp, owner)
            raise
        except BaseException:
            self._delete(fp, owner)
            raise
        self.save(job)
        return job

    def _claim(self, fp, owner, lease_seconds, gateway_title) -> tuple[bool, Job | None]:
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = self._row(db, fp)
                now = time.time()
                if row is not None:
                    state, _, lease_until, job_json = row
                    state = State(state)
                    if state is State.SUBMITTING and (lease_until or 0) > now:
                        db.execute("COMMIT")
                        return False, None
                    if state in (State.SUBMITTING, State.UNKNOWN):
                        db.execute("COMMIT")
                        raise _unknown_outcome(gateway_title, job_json)
                    if state not in (State.FAILED, State.CANCELLED) and job_json:
                        db.execute("COMMIT")
                        return False, Job.from_dict(json.loads(job_json))
                db.execute("INSERT OR REPLACE INTO jobs (fingerprint, state, owner, lease_until, "
                           "job, updated_at) VALUES (?, ?, ?, ?, NULL, ?)",
                           (fp, State.SUBMITTING.value, owner, now + lease_seconds, now))
                db.execute("COMMIT")
                return True, None
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    def _set_state(self, fp: str, state: State, note: str) -> None:
        with closing(self._connect()) as db:
            db.execute("UPDATE jobs SET state = ?, owner = NULL, lease_until = NULL, job = ?, "
                       "updated_at = ? WHERE fingerprint = ?",
                       (state.value, json.dumps({"note": note}), time.time(), fp))

    def _delete(self, fp: str, owner: str) -> None:
        with closing(self._connect()) as db:
            db.execute("DELETE FROM jobs WHERE fingerprint = ? AND owner = ?", (fp, owner))


def _unknown_outcome(gateway_title: str, job_json: str | None) -> GatewayError:
    note = ""
    if job_json:
        note = json.loads(job_json).get("note", "")
    return GatewayError(
        gateway_title,
        "an earlier submit of this exact request got no clear answer, so it may have been "
        "accepted and charged" + (f" ({note.splitlines()[0]})" if note else ""),
        hint="Look for it in the gateway's dashboard and fetch it with Gateway Task From Id, or "
             "change the seed to submit a new request.")
