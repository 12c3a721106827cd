"""What the Gateway tasks panel shows, read from the journal: a page of jobs (newest first, each
with its cost as the ledger has it), what each gateway reported spending today and this month,
and waiting again for an unfinished job on
the server (no node needed).

Never a key, and nothing a key could hide in: an entry holds only the fields listed in
job_entry() — no raw answers, no handles, no result links — and every text goes through
errors.redact(). Pages are bounded (PAGE_MAX), so a journal of 10 000 jobs answers as fast as
one of ten."""
from __future__ import annotations

import asyncio

import json
import logging
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .errors import GatewayError, redact
from .gateways import GATEWAYS
from .poller import OPERATIONS, await_jobs, files_present, kept
from .tasks import Job, State

if TYPE_CHECKING:
    from .journal import Journal

log = logging.getLogger("model_gateway.tasks_panel")

PAGE_SIZE = 50
PAGE_MAX = 200
TEXT_CHARS = 600       # of a chat answer, in the list (the whole answer is in the node's output)
MESSAGE_CHARS = 300
PROMPT_WORDS = 12
SPEND_KEYS = ("cost", "credits", "price")
TOKEN_KEYS = ("total_tokens", "prompt_tokens", "completion_tokens")
# How long a resumed wait lasts before giving up (the job stays journalled): the await nodes'
# defaults.
RESUME_TIMEOUT = {"image": 600, "video": 1800}

Preview = Callable[[list[str]], list[dict]]  # kept file paths -> ComfyUI /view entries


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _short(text: str, limit: int) -> str:
    text = redact(str(text or ""))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _prompt_in(raw, depth: int = 0) -> str | None:
    """The prompt, where the gateway's answer repeats it (the journal keeps no request)."""
    if depth > 3:
        return None
    if isinstance(raw, dict):
        for key in ("prompt", "text_prompt", "input_prompt"):
            if isinstance(raw.get(key), str) and raw[key].strip():
                return raw[key]
        for value in raw.values():
            found = _prompt_in(value, depth + 1)
            if found:
                return found
    elif isinstance(raw, list):
        for value in raw[:5]:
            found = _prompt_in(value, depth + 1)
            if found:
                return found
    return None


def first_words(text: str | None, words: int = PROMPT_WORDS) -> str | None:
    if not text:
        return None
    parts = redact(text).split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def _usage(usage: dict) -> dict:
    """The gateway's usage as it reported it: scalar fields only."""
    return {k: v for k, v in (usage or {}).items()
            if isinstance(v, (int, float, str, bool)) and k != "request_id"}


def resumable(job: Job, files_dir: Path) -> bool:
    """An unfinished task the server can poll, or a finished one whose files this worker does
    not keep (deleted, or downloaded by another worker of a farm)."""
    if job.operation not in OPERATIONS or not job.task_id:
        return False
    if not job.state.terminal:
        return True
    return job.state is State.SUCCEEDED and not files_present(job, files_dir)


def job_entry(fingerprint: str, state: str, job_json: str | None, updated_at: float,
              worker: str | None = None, *, files_dir: Path,
              preview: Preview = lambda paths: []) -> dict:
    """One row of the journal as the panel lists it, with the worker that made it."""
    entry = {"id": fingerprint, "state": state, "updated_at": updated_at,
             "worker": made_on(worker)}
    record = json.loads(job_json) if job_json else {}
    if state in (State.SUBMITTING.value, State.UNKNOWN.value) or "gateway" not in record:
        # no job yet (a submit in flight), or one that may exist without our knowing its id
        entry.update(note=_short(record.get("note", ""), MESSAGE_CHARS),
                     hint=_short(record.get("hint", ""), MESSAGE_CHARS), created_at=updated_at)
        return entry
    job = Job.from_dict(record)
    gateway = GATEWAYS.get(job.gateway)
    files = [p for p in job.files if kept(p, files_dir)]
    entry.update(
        gateway=job.gateway, gateway_title=gateway.title if gateway else job.gateway,
        kind=job.kind, model=_short(job.label, 120), task_id=_short(job.task_id, 120),
        state=job.state.value, progress=job.progress, queue_position=job.queue_position,
        message=_short(job.message, MESSAGE_CHARS), usage=_usage(job.usage),
        created_at=job.created_at, updated_at=job.updated_at, estimate=job.estimate,
        by_id=job.by_id, prompt=first_words(job.prompt or _prompt_in(job.raw)),
        files=preview(files), cover=(preview([job.cover_file])
                                     if kept(job.cover_file, files_dir) else [])[:1],
        resumable=resumable(job, files_dir) and job.kind in RESUME_TIMEOUT,
    )
    if job.kind == "text":
        entry["text"] = _short(job.text, TEXT_CHARS)
    if job.run:  # the ComfyUI run (prompt) that made it, and its shot when it made several
        entry["run"] = _short(job.run, 120)
    if job.shot is not None:
        entry.update(shot=job.shot + 1, shots=max(job.shots, job.shot + 1))
    return entry


def made_on(worker: str | None) -> dict | None:
    """The worker that made a job (host:pid:start), as the panel shows it: host and process."""
    host, _, rest = (worker or "").partition(":")
    pid = rest.partition(":")[0]
    return {"host": _short(host, 120), "pid": pid} if host and pid.isdigit() else None


def list_jobs(journal: Journal, *, files_dir: Path, offset: int = 0, limit: int = PAGE_SIZE,
              preview: Preview = lambda paths: [], resuming: dict | None = None) -> dict:
    """One page of the journal's jobs, newest first, with the total to page through."""
    offset, limit = max(0, int(offset)), max(1, min(PAGE_MAX, int(limit)))
    from .journal.ledger import costs_of
    jobs = [job_entry(*row, files_dir=files_dir, preview=preview)
            for row in journal.page(offset, limit)]
    costs = costs_of(journal, [entry["id"] for entry in jobs])
    for entry in jobs:
        if entry["id"] in costs:  # reported, estimated, unknown, or reserved while sending
            entry["cost"] = costs[entry["id"]]
        waiting = (resuming or {}).get(entry["id"])
        if waiting:
            entry["resume"] = waiting
    return {"total": journal.count(), "offset": offset, "limit": limit, "jobs": jobs}


def _day_starts(now: float) -> tuple[float, float]:
    moment = datetime.fromtimestamp(now)
    today = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return today.timestamp(), today.replace(day=1).timestamp()


def _add(totals: dict, usage: dict) -> None:
    for key in SPEND_KEYS:
        value = _number(usage.get(key))
        if value is not None:
            totals[key] = round(totals.get(key, 0.0) + value, 6)
    tokens = _number(usage.get("total_tokens"))
    if tokens is None:
        parts = [_number(usage.get(k)) for k in ("prompt_tokens", "completion_tokens")]
        tokens = sum(parts) if all(p is not None for p in parts) else None
    if tokens is not None:
        totals["total_tokens"] = int(totals.get("total_tokens", 0) + tokens)
    totals["jobs"] = totals.get("jobs", 0) + 1


def spending(journal: Journal, now: float | None = None) -> dict:
    """Per gateway, what its answers reported for the jobs created today and this month (local
    time), each in its own unit: cost, credits, price, tokens. Nothing is converted or guessed;
    a gateway that reports nothing shows only its job count."""
    from .credentials import sandbox_enabled
    now = time.time() if now is None else now
    today, month = _day_starts(now)
    gateways: dict[str, dict] = {}
    for _fp, state, job_json, _updated, _worker in journal.changed_since(month):
        if not job_json or state in (State.SUBMITTING.value, State.UNKNOWN.value):
            continue
        record = json.loads(job_json)
        if "gateway" not in record or record.get("created_at", 0) < month:
            continue
        job = Job.from_dict(record)
        row = gateways.setdefault(job.gateway, {"id": job.gateway, "title": GATEWAYS[job.gateway].title
                                                if job.gateway in GATEWAYS else job.gateway,
                                                "today": {}, "month": {}})
        _add(row["month"], job.usage)
        if job.created_at >= today:
            _add(row["today"], job.usage)
    return {"today_start": today, "month_start": month, "sandbox": sandbox_enabled(),
            "gateways": [gateways[g] for g in sorted(gateways)]}


class Resumer:
    """Waits again, on the server, for unfinished journalled jobs: the poller polls each to its
    end and downloads its files, journalling every change, as an await node would. One wait per
    job at a time; the last outcome of each is kept for the panel."""

    def __init__(self):
        self._lock = threading.Lock()
        self._state: dict[str, dict] = {}

    def status(self) -> dict:
        with self._lock:
            return {fp: dict(state) for fp, state in self._state.items()}

    def resume(self, journal: Journal, fingerprint: str, *, store, files_dir: Path) -> dict:
        row = journal.row(fingerprint)
        if row is None or not row[2] or "gateway" not in json.loads(row[2]):
            raise LookupError("no such job in the journal")
        job = Job.from_dict(json.loads(row[2]))
        if not resumable(job, files_dir) or job.kind not in RESUME_TIMEOUT:
            raise ValueError(f"{job.task_id} is {job.state.value} and its files are kept: "
                             f"there is nothing to wait for")
        with self._lock:
            current = self._state.get(fingerprint)
            if current and current["running"]:
                return dict(current)
            self._state[fingerprint] = state = {"running": True, "started": time.time(),
                                                "error": None}
        threading.Thread(target=self._wait, args=(journal, job, store, files_dir),
                         daemon=True, name="model-gateway-resume").start()
        return dict(state)

    def _wait(self, journal, job, store, files_dir) -> None:
        error = None
        try:
            files_dir.mkdir(parents=True, exist_ok=True)
            asyncio.run(await_jobs([job], kind=job.kind, store=store, journal=journal,
                                   files_dir=files_dir, timeout=RESUME_TIMEOUT[job.kind]))
        except GatewayError as exc:
            error = redact(str(exc))
        except Exception as exc:  # a bug: the job stays journalled as it was
            log.exception("resumed wait for %s failed", job.task_id)
            error = f"the pack could not wait for it ({type(exc).__name__})"
        with self._lock:
            self._state[job.fingerprint] = {"running": False, "started":
                                            self._state[job.fingerprint]["started"],
                                            "error": error, "ended": time.time()}
