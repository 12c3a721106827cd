"""Moving in: the first time a worker opens a shared journal, the SQLite journal of its data
directory is carried into it — finished jobs, unknown ones, chat answers, what each cost — in one
transaction, so it is all there or none of it. Each row moves a shared row forward only (the
same rule as every write), so workers that once made the same job each bring theirs and nothing
is lost or overwritten backwards; a claim left `submitting` (its run is gone) arrives `unknown`.
The shared journal remembers which files it holds, so a restart carries nothing twice; the
SQLite file itself stays as it was."""
from __future__ import annotations

import json
import logging
import os
import socket
import time
from pathlib import Path

from ..tasks import State
from .schema import carried_in, stage

log = logging.getLogger("model_gateway.journal")


def source_name(path: Path) -> str:
    return f"{socket.gethostname()}:{os.path.realpath(path)}"


def carry_in(shared, path: Path, open_local) -> int:
    """Rows of the SQLite journal at `path` written into `shared` (a Journal); 0 when it was
    carried before. open_local(path) opens that file as a Journal (moving its schema forward,
    with a backup, first)."""
    source = source_name(path)
    if shared._run(lambda db: db.execute(carried_in.select().where(
            carried_in.c.source == source)).first()) is not None:
        return 0
    local = open_local(path)
    try:
        rows = [_arriving(row) for row in local.export_rows()]
    finally:
        local.close()
    rows.sort(key=lambda row: row["fingerprint"])  # one lock order: workers never deadlock

    def write(db):
        for row in rows:
            db.execute(shared.upsert(row))
        db.execute(shared._insert(carried_in).values(source=source, rows=len(rows),
                                                     at=time.time())
                   .on_conflict_do_nothing(index_elements=[carried_in.c.source]))
    shared._run(write, patience=60.0)
    log.info("journal: %d rows of %s carried into %s", len(rows), path, shared.where.shown)
    return len(rows)


def _arriving(row: dict) -> dict:
    row = dict(row)
    if row["state"] == State.SUBMITTING.value:
        row.update(state=State.UNKNOWN.value, job=json.dumps({
            "note": "it was being submitted when its worker last used its own journal, and "
                    "the gateway's answer was never journalled"}))
    row.update(owner=None, lease_until=None, stage=stage(row["state"]))
    if row.get("created_at") is None:
        row["created_at"] = row["updated_at"]
    return row
