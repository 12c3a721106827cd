"""The journal: every paid job is written to SQLite before polling starts, keyed by a fingerprint
of its request, so a result is never lost and the same request is never paid for twice.

Claiming a fingerprint is atomic across threads and processes (BEGIN IMMEDIATE): the first caller
writes a SUBMITTING row and submits; others wait for that row to become a job and reuse it. The
send itself, and what its outcome does to the row, is providers/lifecycle.py. No key is stored:
every row is redacted as it is written.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import time
import uuid
from contextlib import closing
from pathlib import Path
from .errors import GatewayError, redact
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

    # -- reading for the Gateway tasks panel (providers/task_list.py) ----------------------------
    # Rows as stored: (fingerprint, state, job JSON or None, updated_at). Nothing here writes.
    _ROW = "SELECT fingerprint, state, job, updated_at FROM jobs"
    _NEWEST = "COALESCE(json_extract(job, '$.created_at'), updated_at) DESC, fingerprint"

    def count(self) -> int:
        with closing(self._connect()) as db:
            return db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]

    def page(self, offset: int, limit: int) -> list[tuple]:
        """One page of rows, the newest job first (by when it was created)."""
        with closing(self._connect()) as db:
            try:
                return db.execute(f"{self._ROW} ORDER BY {self._NEWEST} LIMIT ? OFFSET ?",
                                  (limit, offset)).fetchall()
            except sqlite3.OperationalError:  # an SQLite without JSON functions
                return db.execute(f"{self._ROW} ORDER BY updated_at DESC, fingerprint "
                                  f"LIMIT ? OFFSET ?", (limit, offset)).fetchall()

    def changed_since(self, moment: float) -> list[tuple]:
        """Every row changed at or after moment (a job created since then is among them)."""
        with closing(self._connect()) as db:
            return db.execute(f"{self._ROW} WHERE updated_at >= ?", (moment,)).fetchall()

    def row(self, fp: str) -> tuple | None:
        with closing(self._connect()) as db:
            return db.execute(f"{self._ROW} WHERE fingerprint = ?", (fp,)).fetchone()

    def forget(self, fp: str) -> bool:
        """Delete a finished job's row (succeeded, failed or cancelled), at the user's request:
        the same request run again is then sent — and paid — again. Rows still in flight or of
        unknown outcome are kept; False when nothing was deleted."""
        finished = [State.SUCCEEDED.value, State.FAILED.value, State.CANCELLED.value]
        with closing(self._connect()) as db:
            cursor = db.execute("DELETE FROM jobs WHERE fingerprint = ? AND state IN (?, ?, ?)",
                                (fp, *finished))
            return cursor.rowcount > 0

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
                       (job.fingerprint, job.state.value, redact(json.dumps(job.to_dict())),
                        time.time()))

    @staticmethod
    def new_owner() -> str:
        """A claim's owner: host and process (so a dead one can be told), and a unique part."""
        return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"

    def claim_step(self, fp: str, owner: str, lease_seconds: float, gateway_title: str
                   ) -> tuple[bool, Job | None, str | None]:
        """One attempt: (True, None, None) when `owner` now holds the fingerprint and must send
        the request; (False, job, None) when it is journalled already; (False, None, holder)
        while another live run is submitting it. Raises where an earlier outcome is unknown."""
        return self._claim(fp, owner, lease_seconds, gateway_title)

    def finish(self, fp: str, owner: str, job: Job) -> None:
        """The gateway accepted the claimed request: journal its job."""
        self.save(job)

    def release(self, fp: str, owner: str) -> None:
        """The gateway surely refused the claimed request: nothing was paid, it may be sent again."""
        with closing(self._connect()) as db:
            db.execute("DELETE FROM jobs WHERE fingerprint = ? AND owner = ?", (fp, owner))

    def mark_unknown(self, fp: str, owner: str, note: str, hint: str = "") -> None:
        """The gateway may have accepted the claimed request but no usable answer came back;
        the hint says how to recover, to every later run of it."""
        with closing(self._connect()) as db:
            db.execute("UPDATE jobs SET state = ?, owner = NULL, lease_until = NULL, job = ?, "
                       "updated_at = ? WHERE fingerprint = ? AND owner = ?",
                       (State.UNKNOWN.value, redact(json.dumps({"note": note, "hint": hint})),
                        time.time(), fp, owner))

    def _claim(self, fp, owner, lease_seconds, gateway_title):
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = self._row(db, fp)
                now = time.time()
                if row is not None:
                    state, holder, lease_until, job_json = row
                    state = State(state)
                    if state is State.SUBMITTING and (lease_until or 0) > now:
                        if _alive(holder):
                            db.execute("COMMIT")
                            return False, None, holder
                        # The run that claimed it died (kill -9, crash, power) mid-submit: its
                        # request may have reached the gateway. Say so now, not at lease end.
                        job_json = json.dumps({"note": f"the run that was submitting it "
                                                       f"({who(holder)}) stopped before the "
                                                       f"gateway answered"})
                        db.execute("UPDATE jobs SET state = ?, owner = NULL, lease_until = NULL,"
                                   " job = ?, updated_at = ? WHERE fingerprint = ?",
                                   (State.UNKNOWN.value, job_json, now, fp))
                        state = State.UNKNOWN
                    if state in (State.SUBMITTING, State.UNKNOWN):
                        db.execute("COMMIT")
                        raise _unknown_outcome(gateway_title, job_json)
                    if state not in (State.FAILED, State.CANCELLED) and job_json:
                        db.execute("COMMIT")
                        return False, Job.from_dict(json.loads(job_json)), None
                db.execute("INSERT OR REPLACE INTO jobs (fingerprint, state, owner, lease_until, "
                           "job, updated_at) VALUES (?, ?, ?, ?, NULL, ?)",
                           (fp, State.SUBMITTING.value, owner, now + lease_seconds, now))
                db.execute("COMMIT")
                return True, None, None
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise


def _alive(holder: str | None) -> bool:
    """Whether the run that holds a claim still runs. Only a process on this host can be
    checked; one elsewhere (a shared data folder) is trusted until its lease ends."""
    host, _, rest = (holder or "").partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def who(holder: str | None) -> str:
    """The run that holds a claim, as the user should read it."""
    host, _, rest = (holder or "").partition(":")
    pid = rest.partition(":")[0]
    return f"process {pid} on {host}" if pid else "an earlier run"


def _unknown_outcome(gateway_title: str, job_json: str | None) -> GatewayError:
    record = json.loads(job_json) if job_json else {}
    note = record.get("note") or ""
    return GatewayError(
        gateway_title,
        "an earlier submit of this exact request got no clear answer, so it may have been "
        "accepted and charged" + (f" ({note.splitlines()[0]})" if note else ""),
        hint=record.get("hint") or "Look for it in the gateway's dashboard and fetch it with "
                                   "Gateway Task From Id, or change the seed to submit a new "
                                   "request.")
