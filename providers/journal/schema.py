"""The journal's tables, the same on every engine, and moving an older journal forward.

Version 1 is the SQLite journal of pack 1.0 (one `jobs` table, no version kept). Version 2 adds
who made each job (`worker`), when (`created_at`, for paging without reading JSON), how far it
got (`stage`: writes never move a job backwards), the `journal_meta` table that keeps the version,
and `carried_in` (which workers' SQLite journals a shared database holds already). Version 3 adds
`spend`: each paid job's cost (reserved before it is sent, then reported, estimated or unknown)
and `spend_locks`, the row per gateway a reservation locks so that budgets hold across workers.
An SQLite file is copied aside before its schema changes."""
from __future__ import annotations

import json
import logging
import os
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

from sqlalchemy import (Column, Float, Index, Integer, MetaData, Table, Text, inspect, select,
                        text, update)

from ..tasks import State
from .database import JournalError

log = logging.getLogger("model_gateway.journal")

VERSION = 3
metadata = MetaData()

jobs = Table(
    "jobs", metadata,
    Column("fingerprint", Text, primary_key=True),
    Column("state", Text, nullable=False),
    Column("owner", Text),          # the claim's holder while a submit is in flight
    Column("lease_until", Float),   # the claim's end, on the database's clock
    Column("job", Text),            # the Job as JSON, or a note on an unknown outcome
    Column("updated_at", Float, nullable=False),
    Column("stage", Integer, nullable=False, server_default="0"),
    Column("worker", Text),         # the worker that made it (host:pid:start)
    Column("created_at", Float),
)
Index("jobs_by_created", jobs.c.created_at)
Index("jobs_by_updated", jobs.c.updated_at)

journal_meta = Table("journal_meta", metadata, Column("key", Text, primary_key=True),
                     Column("value", Text))
carried_in = Table("carried_in", metadata, Column("source", Text, primary_key=True),
                   Column("rows", Integer), Column("at", Float))

# What each paid job cost, in its gateway's unit. `basis`: reserved (sent or being sent, its
# estimate held against the budgets), reported (the gateway said), estimated (a known price ×
# what it used), unknown (no price: amount is NULL). `at` is when it was reserved (the worker's
# clock; budgets are per the server's local day and month).
spend = Table(
    "spend", metadata,
    Column("fingerprint", Text, primary_key=True),
    Column("gateway", Text, nullable=False),
    Column("model", Text, nullable=False),
    Column("billing", Text, nullable=False, server_default=""),  # the billing parameters, as JSON
    Column("amount", Float),
    Column("estimate", Float),
    Column("basis", Text, nullable=False),
    Column("at", Float, nullable=False),
    Column("worker", Text),
)
Index("spend_by_gateway", spend.c.gateway, spend.c.at)
spend_locks = Table("spend_locks", metadata, Column("gateway", Text, primary_key=True))

# How far a job has got; a write never lowers it, and a finished job keeps its state.
STAGES = {State.SUBMITTING: 0, State.UNKNOWN: 1, State.QUEUED: 2, State.RUNNING: 3,
          State.SUCCEEDED: 4, State.FAILED: 4, State.CANCELLED: 4}
FINISHED = 4


def stage(state: str | State) -> int:
    return STAGES[State(state)]


def version(connection) -> int:
    names = set(inspect(connection).get_table_names())
    if "jobs" not in names:
        return 0
    if "journal_meta" not in names:
        return 1
    value = connection.execute(select(journal_meta.c.value).where(
        journal_meta.c.key == "schema_version")).scalar()
    return int(value or 1)


def migrate(engine, run, where) -> None:
    """Bring the journal at `where` to VERSION (run: database.run bound to it)."""
    found = run(version)
    if found == VERSION:
        return
    if found > VERSION:
        raise JournalError(f"the journal at {where.shown} was written by a newer Model Gateway "
                           f"Nodes (schema {found}; this one knows {VERSION})",
                           hint="Update the pack on this worker to the farm's version.")
    if found and where.path is not None:
        backup_sqlite(where.path, found)

    def forward(connection):
        if where.backend == "postgresql":  # workers starting at once: one migrates, the rest wait
            connection.execute(text("SELECT pg_advisory_xact_lock(7160316)"))
        current = version(connection)
        if current == 0:
            metadata.create_all(connection)
        if current == 1:
            _v1_to_v2(connection)
        if 0 < current < 3:
            _v2_to_v3(connection)
        if current < VERSION:
            connection.execute(journal_meta.delete().where(journal_meta.c.key == "schema_version"))
            connection.execute(journal_meta.insert().values(key="schema_version",
                                                            value=str(VERSION)))
            if current:
                log.info("journal at %s moved from schema %s to %s", where.shown, current, VERSION)
    run(forward, immediate=True, patience=30.0)


def _v1_to_v2(connection) -> None:
    for column in ("stage INTEGER NOT NULL DEFAULT 0", "worker TEXT", "created_at FLOAT"):
        connection.execute(text(f"ALTER TABLE jobs ADD COLUMN {column}"))
    rows = connection.execute(select(jobs.c.fingerprint, jobs.c.state, jobs.c.job,
                                     jobs.c.updated_at)).all()
    for fp, state, job_json, updated_at in rows:
        try:
            created = (json.loads(job_json) or {}).get("created_at") if job_json else None
        except ValueError:
            created = None
        connection.execute(update(jobs).where(jobs.c.fingerprint == fp).values(
            stage=stage(state), created_at=created if isinstance(created, (int, float))
            else updated_at))
    for index in jobs.indexes:
        index.create(connection, checkfirst=True)
    journal_meta.create(connection, checkfirst=True)
    carried_in.create(connection, checkfirst=True)


def _v2_to_v3(connection) -> None:
    """The spend tables, with the costs the gateways reported for jobs journalled already (so
    today's and this month's spending carry over the upgrade)."""
    from ..money import reported_cost
    spend.create(connection, checkfirst=True)
    spend_locks.create(connection, checkfirst=True)
    for index in spend.indexes:
        index.create(connection, checkfirst=True)
    rows = connection.execute(select(jobs.c.fingerprint, jobs.c.job, jobs.c.created_at,
                                     jobs.c.worker)).all()
    for fp, job_json, created_at, worker in rows:
        try:
            record = json.loads(job_json) if job_json else {}
        except ValueError:
            continue
        if not isinstance(record, dict) or "gateway" not in record:
            continue
        cost = reported_cost(record.get("usage"))
        if cost is not None:
            connection.execute(spend.insert().values(
                fingerprint=fp, gateway=str(record["gateway"]), model=str(record.get("label", "")),
                billing="", amount=cost, estimate=None, basis="reported",
                at=created_at or 0.0, worker=worker))


def backup_sqlite(path: Path, found: int) -> Path:
    """A consistent copy of the file beside it, made once per schema it leaves."""
    copy = path.with_name(f"{path.name}.schema-{found}.bak")
    if not copy.exists():
        partial = path.with_name(f"{copy.name}.{uuid.uuid4().hex}.part")
        try:
            with closing(sqlite3.connect(path, timeout=30)) as source, \
                    closing(sqlite3.connect(partial)) as target:
                source.backup(target)
            partial.chmod(0o600)
            os.replace(partial, copy)  # two workers upgrading at once: each copy is whole
        finally:
            partial.unlink(missing_ok=True)
        log.info("journal %s copied to %s before its schema changes", path, copy)
    return copy
