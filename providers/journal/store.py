"""The journal: every paid job is written before anything is sent, keyed by its request's
fingerprint, so a result is never lost and the same request is never paid for twice — by this
worker or any other sharing the database.

A claim is the fingerprint's row in state `submitting`, which the database keeps unique: the
first worker to insert it sends the request; the others wait for the row to become a job and
reuse it. The claim is a lease on the database's own clock, renewed by a heartbeat while the
create is in flight; a lease that runs out (its worker was killed, lost power, lost the
network) turns the row `unknown`, and every later run is told the request may have been
accepted and charged. Every statement is one conditional write, so no lock is held between
them and any number of workers on any hosts can race. No key is stored: every row is redacted.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from contextlib import contextmanager

from sqlalchemy import and_, delete, func, literal_column, or_, select, update

from ..errors import GatewayError, redact
from ..money import reported_cost
from ..tasks import Job, State
from . import database, ledger, schema
from .database import JournalError, Place
from .identity import new_owner, who, worker_id
from .schema import jobs, stage

log = logging.getLogger("model_gateway.journal")

LEASE = 8.0       # seconds a claim holds without a heartbeat
HEARTBEAT = 2.0   # how often a worker renews the claims it is sending
NOW = {"sqlite": "((julianday('now') - 2440587.5) * 86400.0)",
       "postgresql": "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)"}
FINISHED_STATES = (State.SUCCEEDED.value, State.FAILED.value, State.CANCELLED.value)
ROW = (jobs.c.fingerprint, jobs.c.state, jobs.c.job, jobs.c.updated_at, jobs.c.worker)


class Journal:
    def __init__(self, where: Place):
        self.where = where
        self.path = where.path  # the SQLite file, or None for a shared database
        self.engine = database.create_engine(where)
        # The database's clock: leases compare against it, not against each worker's own.
        self._now = literal_column(NOW[where.backend])
        if where.backend == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        self._insert = insert
        try:
            schema.migrate(self.engine, self._run, where)
        except BaseException:
            self.engine.dispose()
            raise
        if self.path is not None:
            self.path.chmod(0o600)

    def _run(self, work, **options):
        return database.run(self.engine, self.where, work, **options)

    transact = _run  # work(connection) in one transaction (providers/journal/ledger.py)

    def setting(self, key: str) -> str | None:
        """A value the farm shares (journal_meta), e.g. the price and budget tables."""
        return self._run(lambda db: db.execute(select(schema.journal_meta.c.value).where(
            schema.journal_meta.c.key == key)).scalar())

    def change_setting(self, key: str, change) -> str:
        """Replace a shared value by change(old value or None), read and written in one locked
        transaction (two pages saving at once do not lose either's change)."""
        meta = schema.journal_meta

        def work(db):
            db.execute(self._insert(meta).values(key=key, value=None)
                       .on_conflict_do_nothing(index_elements=[meta.c.key]))
            query = select(meta.c.value).where(meta.c.key == key)
            if self.where.backend == "postgresql":
                query = query.with_for_update()
            new = change(db.execute(query).scalar())
            db.execute(update(meta).where(meta.c.key == key).values(value=new))
            return new
        return self._run(work, immediate=True)

    def insert_statement(self, table):
        """This engine's INSERT (with ON CONFLICT) for a table."""
        return self._insert(table)

    def close(self) -> None:
        self.engine.dispose()

    # -- reading ------------------------------------------------------------------------------
    def get(self, fp: str) -> Job | None:
        row = self._run(lambda db: db.execute(select(jobs.c.state, jobs.c.job).where(
            jobs.c.fingerprint == fp)).first())
        if not row or not row[1] or State(row[0]) in (State.SUBMITTING, State.UNKNOWN):
            return None
        return Job.from_dict(json.loads(row[1]))

    # For the Gateway tasks panel (providers/task_list.py): rows as stored, (fingerprint, state,
    # job JSON or None, updated_at, worker). Nothing here writes.
    def count(self) -> int:
        return self._run(lambda db: db.execute(select(func.count()).select_from(jobs)).scalar())

    def page(self, offset: int, limit: int) -> list[tuple]:
        """One page of rows, the newest job first (by when it was created)."""
        newest = func.coalesce(jobs.c.created_at, jobs.c.updated_at).desc()
        return self._run(lambda db: [tuple(r) for r in db.execute(
            select(*ROW).order_by(newest, jobs.c.fingerprint).limit(limit).offset(offset))])

    def changed_since(self, moment: float) -> list[tuple]:
        """Every row changed at or after moment (a job created since then is among them)."""
        return self._run(lambda db: [tuple(r) for r in db.execute(
            select(*ROW).where(jobs.c.updated_at >= moment))])

    def row(self, fp: str) -> tuple | None:
        found = self._run(lambda db: db.execute(select(*ROW).where(
            jobs.c.fingerprint == fp)).first())
        return tuple(found) if found else None

    def export_rows(self) -> list[dict]:
        """Every row with every column (carrying a journal into another database)."""
        return self._run(lambda db: [dict(r._mapping) for r in db.execute(select(jobs))])

    def forget(self, fp: str) -> bool:
        """Delete a finished job's row (succeeded, failed or cancelled), at the user's request:
        the same request run again is then sent — and paid — again. Rows still in flight or of
        unknown outcome are kept; False when nothing was deleted."""
        return self._run(lambda db: db.execute(delete(jobs).where(
            jobs.c.fingerprint == fp, jobs.c.state.in_(FINISHED_STATES))).rowcount > 0)

    # -- writing ------------------------------------------------------------------------------
    def save(self, job: Job) -> bool:
        """Journal a job as it is now. A write never moves a job backwards (a finished job never
        returns to running, nor changes how it finished): False when the row is further on. A
        cost the gateway reported is written to the ledger with it."""
        return self._run(lambda db: self._save(db, job))

    def save_all(self, many: list[Job]) -> None:
        """save() for several jobs in one transaction."""
        def write(db):
            for job in sorted(many, key=lambda job: job.fingerprint):  # one lock order
                self._save(db, job)
        self._run(write)

    def _save(self, db, job: Job) -> bool:
        moved = db.execute(self.upsert(_values(job))).rowcount > 0
        cost = reported_cost(job.usage)
        if moved and cost is not None:
            ledger.settle(db, job.fingerprint, cost)
        return moved

    def upsert(self, values: dict):
        """Insert a row, or move the existing one forward to it (never backwards); the worker
        that made a job and when stay as first written."""
        statement = self._insert(jobs).values(**values)
        new = statement.excluded
        return statement.on_conflict_do_update(
            index_elements=[jobs.c.fingerprint],
            set_={"state": new.state, "stage": new.stage, "owner": new.owner,
                  "lease_until": new.lease_until, "job": new.job, "updated_at": new.updated_at,
                  "worker": func.coalesce(jobs.c.worker, new.worker),
                  "created_at": func.coalesce(jobs.c.created_at, new.created_at)},
            where=or_(jobs.c.stage < new.stage,
                      and_(jobs.c.stage == new.stage,
                           or_(jobs.c.stage < schema.FINISHED, jobs.c.state == new.state))))

    new_owner = staticmethod(new_owner)

    def claim_step(self, fp: str, owner: str, gateway_title: str
                   ) -> tuple[bool, Job | None, str | None]:
        """One attempt: (True, None, None) when `owner` now holds the fingerprint and must send
        the request; (False, job, None) when it is journalled already; (False, None, holder)
        while another live run is submitting it. Raises where an earlier outcome is unknown,
        and a JournalError when the database cannot answer: then nothing may be sent."""
        while True:
            try:
                outcome, value = self._run(lambda db: self._claim(db, fp, owner))
            except JournalError as error:
                raise error.rehint("Nothing was sent or paid. " + (error.hint or "")) from None
            if outcome == "claimed":
                return True, None, None
            if outcome == "job":
                return False, value, None
            if outcome == "held":
                return False, None, value
            if outcome == "unknown":
                raise _unknown_outcome(gateway_title, value)
            # "again": the row changed between two statements (released, forgotten): look again

    def _claim(self, db, fp: str, owner: str):
        now = time.time()
        claim = {"state": State.SUBMITTING.value, "stage": 0, "owner": owner,
                 "lease_until": self._now + LEASE, "job": None, "updated_at": now,
                 "worker": worker_id(), "created_at": now}
        inserted = db.execute(self._insert(jobs).values(fingerprint=fp, **claim)
                              .on_conflict_do_nothing(index_elements=[jobs.c.fingerprint]))
        if inserted.rowcount == 1:
            return "claimed", None
        row = db.execute(select(jobs.c.state, jobs.c.owner, jobs.c.job, jobs.c.updated_at,
                                (jobs.c.lease_until > self._now).label("live"))
                         .where(jobs.c.fingerprint == fp)).first()
        if row is None:
            return "again", None
        state = State(row.state)
        if state is State.SUBMITTING:
            if row.live:
                return "held", row.owner
            # The worker that claimed it stopped renewing its lease mid-submit (killed, crashed,
            # cut off): its request may have reached the gateway. Every later run is told so.
            note = json.dumps({"note": f"the run that was submitting it ({who(row.owner)}) "
                                       f"stopped before the gateway answered"})
            expired = db.execute(update(jobs).where(
                jobs.c.fingerprint == fp, jobs.c.state == State.SUBMITTING.value,
                jobs.c.owner == row.owner, jobs.c.lease_until <= self._now).values(
                state=State.UNKNOWN.value, stage=1, owner=None, lease_until=None, job=note,
                updated_at=now))
            return ("unknown", note) if expired.rowcount == 1 else ("again", None)
        if state is State.UNKNOWN:
            return "unknown", row.job
        if state not in (State.FAILED, State.CANCELLED) and row.job:
            return "job", Job.from_dict(json.loads(row.job))
        # It failed or was cancelled: the same request may be sent again, by one worker.
        taken = db.execute(update(jobs).where(
            jobs.c.fingerprint == fp, jobs.c.state == row.state,
            jobs.c.updated_at == row.updated_at).values(**claim))
        return ("claimed", None) if taken.rowcount == 1 else ("again", None)

    @contextmanager
    def heartbeat(self, fp: str, owner: str, longest: float):
        """Renew the claim every HEARTBEAT seconds while the body (the send) runs, for at most
        `longest` seconds: a send stuck past its own limits stops holding other runs back."""
        stop = threading.Event()

        def renew():
            ends = time.monotonic() + longest
            while not stop.wait(HEARTBEAT) and time.monotonic() < ends:
                try:
                    self._run(lambda db: db.execute(update(jobs).where(
                        jobs.c.fingerprint == fp, jobs.c.owner == owner,
                        jobs.c.state == State.SUBMITTING.value).values(
                        lease_until=self._now + LEASE)), patience=HEARTBEAT)
                except JournalError as error:  # the send goes on; its outcome is retried
                    log.warning("claim of %s not renewed: %s", fp[:12], error.message)

        beat = threading.Thread(target=renew, daemon=True, name="model-gateway-heartbeat")
        beat.start()
        try:
            yield
        finally:
            stop.set()

    def finish(self, fp: str, owner: str, job: Job) -> None:
        """The gateway accepted the claimed request: journal its job (also over an `unknown`
        another worker wrote when this one's lease ran out — the real answer is better), and
        settle its cost in the ledger."""
        def write(db):
            self._save(db, job)
            ledger.settle(db, fp, reported_cost(job.usage))
        self._run(write)

    def release(self, fp: str, owner: str) -> None:
        """The gateway surely refused the claimed request: nothing was paid, it may be sent again."""
        def write(db):
            if db.execute(delete(jobs).where(jobs.c.fingerprint == fp,
                                             jobs.c.owner == owner)).rowcount:
                ledger.cancel(db, fp)
        self._run(write)

    def mark_unknown(self, fp: str, owner: str, note: str, hint: str = "") -> None:
        """The gateway may have accepted the claimed request but no usable answer came back;
        the hint says how to recover, to every later run of it."""
        record = redact(json.dumps({"note": note, "hint": hint}))

        def write(db):  # it may have been charged: its estimate keeps counting
            db.execute(update(jobs).where(
                jobs.c.fingerprint == fp, jobs.c.state.in_([State.SUBMITTING.value,
                                                            State.UNKNOWN.value]),
                or_(jobs.c.owner == owner, jobs.c.owner.is_(None))).values(
                state=State.UNKNOWN.value, stage=1, owner=None, lease_until=None, job=record,
                updated_at=time.time()))
            ledger.settle(db, fp, None)
        self._run(write)


def _values(job: Job) -> dict:
    return {"fingerprint": job.fingerprint, "state": job.state.value, "stage": stage(job.state),
            "owner": None, "lease_until": None, "job": redact(json.dumps(job.to_dict())),
            "updated_at": time.time(), "worker": worker_id(), "created_at": job.created_at}


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
