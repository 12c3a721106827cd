"""The one polling loop for every async gateway: polls jobs concurrently, paced by each job's
typical duration, journals every change, reports progress every second, downloads results at
once, and on the user's Cancel cancels on the gateway where it can (otherwise the job stays
journalled for the next run to resume)."""
from __future__ import annotations

import asyncio
import importlib
import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Protocol

from . import download, http, pacing, waiting
from .credentials import KeyStore
from .errors import GatewayError
from .gateways import GATEWAYS
from .journal import JournalError, host_name, patiently
from .tasks import Job, State, Status

if TYPE_CHECKING:
    from .journal import Journal

log = logging.getLogger("model_gateway.poller")
MB = 1 << 20
DOWNLOAD_LIMITS = {"image": 64 * MB, "video": 1024 * MB}
ACCEPT = {"image": ("image/",), "video": ("video/", "image/")}  # the cover is an image
LIMIT_VARS = {"image": "MODEL_GATEWAY_MAX_IMAGE_MB", "video": "MODEL_GATEWAY_MAX_VIDEO_MB"}
LEGACY_LIMIT_VAR = "MODEL_GATEWAY_MAX_DOWNLOAD_MB"  # deprecated: one limit for both kinds
FATAL_POLL_STATUSES = {401, 402, 403}
MAX_POLL_FAILURES = 5
DOWNLOAD_TRIES = 3  # a result file that fails to arrive (5xx, error page, cut) is asked again
MAX_SLOWDOWN = 8.0  # at most this many times sparser polls for a gateway that answers 429
CANCEL_WAIT = 3.0
KEPT_HINT = ("Nothing is lost: the task is kept. Run the workflow again to keep waiting (it is "
             "not submitted again), or fetch it later with Gateway Task From Id.")


class Adapter(Protocol):
    def poll(self, store: KeyStore, job: Job) -> Status: ...
    def cancel(self, store: KeyStore, job: Job) -> bool: ...


# operation -> module whose ADAPTERS holds it (imported when first needed)
OPERATIONS = {"seacloud_queue": "seacloud", "seedream3": "gptunnel",
              "opencomputing_video": "opencomputing"}


def adapter(operation: str) -> Adapter:
    module = importlib.import_module(f".{OPERATIONS[operation]}", __package__)
    return module.ADAPTERS[operation]


Report = Callable[[list[Job], float], None]


async def await_jobs(jobs: list[Job], *, kind: str, store: KeyStore, journal: Journal,
                     files_dir: Path, timeout: float,
                     check_cancelled: waiting.CancelCheck | None = None,
                     report: Report | None = None) -> list[Job]:
    """Wait for every job to finish and its files (of this kind) to be downloaded, within one
    deadline. Polls follow each job's typical duration (providers/pacing.py); the wait holds no
    thread: only a poll or a download takes one, while it runs."""
    records = Records(journal)
    jobs = await waiting.in_thread(lambda: [records.latest(job) for job in jobs])
    started = time.monotonic()
    deadline = started + timeout
    user = _UserCancel(check_cancelled)
    due = {id(job): started + _first_poll_in(job, kind) for job in jobs}
    failures = {id(job): 0 for job in jobs}
    slowdown: dict[str, float] = {}  # gateway -> factor, after it answered 429 to a poll

    def tick():
        if report:
            report(jobs, time.monotonic() - started)

    try:
        while True:
            now = time.monotonic()
            polling = [job for job in jobs if not job.state.terminal and due[id(job)] <= now]
            if polling:
                await _poll(polling, store, records, failures, slowdown, user, tick)
                for job in polling:
                    due[id(job)] = time.monotonic() + _next_poll_in(job, kind) * slowdown.get(
                        job.gateway, 1.0)
            # One deadline bounds the whole wait, a download trickling past it included.
            await _download(jobs, kind, store, records, files_dir, user, deadline, tick)
            if records.kept:
                await waiting.in_thread(records.retry)
            tick()
            if all(job.state.terminal for job in jobs):
                break
            if time.monotonic() > deadline:
                raise _timed_out(jobs, timeout)
            moment = min([due[id(j)] for j in jobs if not j.state.terminal] + [deadline + 0.01])
            await waiting.sleep(moment - time.monotonic(), user, tick)
    except BaseException as stopped:
        # Only the user's own Cancel ever cancels on the gateway: after an error (a cut answer,
        # a timeout, a bug) the job goes on there and stays journalled for the next run. When
        # another node took the Cancel, ComfyUI ends the run and this wait is cancelled as a
        # task: it asks once more whether the user pressed Cancel (and not another node failed).
        if user.pressed or (isinstance(stopped, asyncio.CancelledError) and user.asked_now()):
            await _cancel(jobs, store, records)
        if records.kept:
            await asyncio.wait([waiting.in_thread(records.retry)], timeout=CANCEL_WAIT)
            records.log_kept()
        raise
    if records.kept:
        await waiting.in_thread_until_done(records.settle, check_cancelled)
    failed = [job for job in jobs if job.state in (State.FAILED, State.CANCELLED)]
    if failed:
        raise _failed(failed, len(jobs))
    return jobs


class Records:
    """The journal writes of one wait. A write the database cannot take now (it restarts, it is
    out of reach) is kept and tried again at every step, and the wait goes on: the gateway's job
    does not wait for the journal. Before the wait ends, every kept write must be in (within
    the journal's PATIENCE); otherwise the error names each task, so nothing is lost."""

    def __init__(self, journal: "Journal"):
        self.journal = journal
        self.kept: dict[str, Job] = {}
        self.error: JournalError | None = None
        self._lock = threading.Lock()

    def latest(self, job: Job) -> Job:
        """The journal's newer copy of a job (another node or worker may have moved it on)."""
        try:
            return self.journal.get(job.fingerprint) or job
        except JournalError as error:
            log.warning("journal not read, waiting on %s as given: %s", job.task_id,
                        error.message)
            return job

    def save(self, job: Job) -> None:
        try:
            self.journal.save(job)
        except JournalError as error:
            with self._lock:
                if not self.kept:
                    log.warning("journal away; %s's state kept to write later: %s",
                                job.task_id, error.message)
                self.kept[job.fingerprint], self.error = job, error
            return
        with self._lock:
            self.kept.pop(job.fingerprint, None)

    def retry(self) -> None:
        with self._lock:
            waiting_jobs = list(self.kept.values())
        for job in waiting_jobs:
            self.save(job)

    def settle(self) -> None:
        try:
            patiently(self._all_in)
        except JournalError:
            self.log_kept()
            jobs = list(self.kept.values())
            raise GatewayError(
                GATEWAYS[jobs[0].gateway].title,
                f"task(s) {', '.join(job.task_id for job in jobs)} "
                f"{jobs[0].state.value}, but the journal could not record it: "
                f"{self.error.message}",
                hint="Nothing is lost: the files downloaded are "
                     f"{', '.join(f for job in jobs for f in job.files) or 'none yet'}; run "
                     "again once the database is back (or fetch the task with Gateway Task "
                     "From Id).") from None

    def _all_in(self) -> None:
        self.retry()
        if self.kept:
            raise self.error

    def log_kept(self) -> None:
        for job in self.kept.values():
            log.error("journal could not record task %s (%s) of %s: its state is %s",
                      job.task_id, job.fingerprint[:12], job.gateway, job.state.value)


def _first_poll_in(job: Job, kind: str) -> float:
    """A job submitted just now cannot be done yet; one resumed (after a restart, a timeout)
    may long be: poll it at once."""
    age = time.time() - job.created_at
    return 0.0 if age > pacing.FLOOR * 2 else pacing.first_poll_in()


def _next_poll_in(job: Job, kind: str) -> float:
    return pacing.next_poll_in(time.time() - job.created_at, pacing.typical(job.estimate, kind))


class _UserCancel:
    """The caller's cancel check, remembering whether it was the one that stopped the wait."""

    def __init__(self, check: http.CancelCheck | None):
        self.check = check
        self.pressed = False

    def __call__(self) -> None:
        if self.check is None:
            return
        try:
            self.check()
        except BaseException:
            self.pressed = True
            raise

    def asked_now(self) -> bool:
        try:
            self()
        except BaseException:
            return True
        return False


async def _poll(jobs, store, records, failures, slowdown, check_cancelled, tick) -> None:
    def poll(job):
        status = adapter(job.operation).poll(store, job)
        job.apply(status)
        if job.state is State.SUCCEEDED and not job.result_urls:
            job.state = State.FAILED
            job.message = "the gateway reported success but sent no result"
        records.save(job)

    results = await waiting.until_done(asyncio.gather(
        *(waiting.in_thread(lambda job=job: poll(job)) for job in jobs), return_exceptions=True),
        check_cancelled, tick)
    for job, result in zip(jobs, results):
        if result is None:
            failures[id(job)] = 0
            slowdown[job.gateway] = max(1.0, slowdown.get(job.gateway, 1.0) / 2)
            continue
        if not isinstance(result, GatewayError):  # a bug: say so, and keep the job
            log.error("poll of %s failed: %r", job.task_id, result)
            result = GatewayError(GATEWAYS[job.gateway].title,
                                  f"the pack could not read the task's status "
                                  f"({type(result).__name__})", hint=KEPT_HINT)
        if result.status == 429:
            # The transport already waited out its Retry-After; the gateway wants fewer polls.
            slowdown[job.gateway] = min(MAX_SLOWDOWN, slowdown.get(job.gateway, 1.0) * 2)
            continue
        failures[id(job)] += 1
        # The gateway's vocabulary decides for a word it knows (balance, bad id: waiting
        # cannot help; heavy load: it can); HTTP statuses for the rest.
        if (result.status in FATAL_POLL_STATUSES or result.transient is False
                or failures[id(job)] >= MAX_POLL_FAILURES):
            raise result


async def _download(jobs, kind, store, records, files_dir, check_cancelled, deadline=None,
                    tick=None) -> None:
    missing = [job for job in jobs
               if job.state is State.SUCCEEDED and not files_present(job, files_dir)]
    if not missing:
        return

    def fetch(job):
        files_here(job, kind, store, files_dir, deadline)
        records.save(job)

    results = await waiting.until_done(asyncio.gather(
        *(waiting.in_thread(lambda job=job: fetch(job)) for job in missing),
        return_exceptions=True), check_cancelled, tick)
    for result in results:
        if isinstance(result, BaseException):
            raise result


def fetch_files(job: Job, kind: str, store: KeyStore, files_dir: Path,
                deadline: float | None = None, *, again: bool = False
                ) -> tuple[list[str], str | None]:
    """(result files, cover file or None), downloaded into files_dir before the deadline (a
    time.monotonic() value). A file already there (another node or process downloaded the same
    job) is reused, unless `again`: then it is downloaded anew and replaced when complete."""
    access = store.access(job.gateway, "model" if job.gateway == "seacloud" else "main")
    stem = f"{job.gateway}_{_safe(job.task_id)}"
    paths = []
    for index, url in enumerate(job.result_urls):
        dest = files_dir / f"{stem}_{index}{_suffix(url, kind)}"
        if again or not dest.is_file():
            download.download(url, dest, access=access, max_bytes=download_limit(kind),
                              accept=ACCEPT[kind], deadline=deadline,
                              limit_hint=limit_hint(kind))
        paths.append(str(dest))
    cover = None
    if job.cover_url:
        dest = files_dir / f"{stem}_cover{_suffix(job.cover_url, 'image')}"
        try:
            if again or not dest.is_file():
                download.download(job.cover_url, dest, access=access,
                                  max_bytes=download_limit("image"), accept=("image/",),
                                  deadline=deadline, limit_hint=limit_hint("image"))
            cover = str(dest)
        except GatewayError as error:  # the video is what was paid for; a cover is a bonus
            log.warning("cover of %s not downloaded: %s", job.task_id, error)
    return paths, cover


def files_here(job: Job, kind: str, store: KeyStore, files_dir: Path,
               deadline: float | None = None) -> Job:
    """A finished job with its files on this host: kept ones as they are, else downloaded from
    its links (files stay per host: another worker of a farm may have downloaded them). A job
    with no link (an image the gateway sent inline) cannot be fetched again: the error says
    which host keeps it."""
    if files_present(job, files_dir):
        return job
    if not job.result_urls:
        host = job.files_host or "the worker that made it"
        raise GatewayError(GATEWAYS[job.gateway].title,
                           f"the result of task {job.task_id} was kept on {host} "
                           f"({', '.join(job.files) or 'no file'}) and is not in this worker's "
                           f"files; the gateway sent it inline, so there is no link to fetch it "
                           f"again",
                           hint=f"Copy the file from {host}, or change the seed to make it "
                                f"again.")
    for attempt in range(DOWNLOAD_TRIES):
        try:
            job.files, job.cover_file = fetch_files(job, kind, store, files_dir, deadline)
            break
        except GatewayError as error:
            pause = 2.0 ** attempt
            if (error.transient and attempt + 1 < DOWNLOAD_TRIES
                    and (deadline is None or time.monotonic() + pause < deadline)):
                log.info("download of %s failed (%s); trying again", job.task_id, error.message)
                time.sleep(pause)
                continue
            if _elsewhere_host(job):
                raise _elsewhere(job, error) from None
            raise GatewayError(error.gateway, f"task {job.task_id} finished, but its result "
                                              f"could not be downloaded: {error.message}",
                               status=error.status,
                               hint="The task is kept and nothing is paid again: run the "
                                    "workflow again to download it." +
                                    ("" if error.hint in (None, download.KEPT)
                                     else f" {error.hint}")) from None
    job.files_host = host_name()
    return job


def refetch(job: Job, kind: str, store: KeyStore, files_dir: Path, journal: Journal,
            check_cancelled: http.CancelCheck | None = None) -> Job:
    """Download a finished job's files again because a kept one turned out damaged. Each new
    file replaces the kept one only once complete: if the link has expired meanwhile, the kept
    file stays where the error says."""
    if not job.result_urls:
        raise GatewayError(GATEWAYS[job.gateway].title,
                           f"task {job.task_id} has no result link to download again")
    (result,) = http.parallel([lambda: fetch_files(job, kind, store, files_dir, again=True)],
                              check_cancelled)
    if isinstance(result, BaseException):
        raise result
    job.files, job.cover_file = result
    journal.save(job)
    return job


def download_limit(kind: str) -> int:
    """The largest result file of this kind, in bytes: MODEL_GATEWAY_MAX_IMAGE_MB or
    MODEL_GATEWAY_MAX_VIDEO_MB, else the deprecated MODEL_GATEWAY_MAX_DOWNLOAD_MB (for both
    kinds), else DOWNLOAD_LIMITS. A value that is not a number is an error, not ignored."""
    name, text = _limit_setting(kind)
    if name is None:
        return DOWNLOAD_LIMITS[kind]
    try:
        megabytes = float(text)
    except ValueError:
        megabytes = -1.0
    if not 0 <= megabytes < float("inf"):
        raise ValueError(f"{name} must be a number of megabytes, 0 or more (e.g. "
                         f"{DOWNLOAD_LIMITS[kind] // MB}); it is {text!r}.")
    if name == LEGACY_LIMIT_VAR:
        _warn_legacy_once()
    return int(megabytes * MB)


def limit_hint(kind: str) -> str:
    name, _ = _limit_setting(kind)
    hint = f"Set {LIMIT_VARS[kind]} higher (in MB) if this is expected."
    if name == LEGACY_LIMIT_VAR:
        hint += f" It replaces {LEGACY_LIMIT_VAR}, which is set and applies to images and video."
    return hint


def _limit_setting(kind: str) -> tuple[str | None, str]:
    """(the variable that sets this kind's limit, its value), or (None, "") for the default."""
    for name in (LIMIT_VARS[kind], LEGACY_LIMIT_VAR):
        text = os.environ.get(name, "").strip()
        if text:
            return name, text
    return None, ""


_legacy_warned = False


def _warn_legacy_once() -> None:
    global _legacy_warned
    if not _legacy_warned:
        _legacy_warned = True
        log.warning("%s is deprecated: set %s and %s instead", LEGACY_LIMIT_VAR,
                    LIMIT_VARS["image"], LIMIT_VARS["video"])


def _suffix(url: str, kind: str) -> str:
    suffix = Path(url.split("?")[0]).suffix.lower()
    if suffix and len(suffix) <= 5 and suffix[1:].isalnum():
        return suffix
    return ".mp4" if kind == "video" else ".png"


def files_present(job: Job, files_dir: Path) -> bool:
    """Whether this worker keeps the job's files: all there, in its own results folder. Another
    worker on the same machine has a folder of its own and hands out its own files."""
    return bool(job.files) and all(kept(p, files_dir) for p in job.files)


def kept(path: str | None, files_dir: Path) -> bool:
    return bool(path) and Path(path).is_file() and \
        Path(path).resolve().is_relative_to(Path(files_dir).resolve())


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:64]


async def _cancel(jobs, store, records) -> None:
    """Cancel the unfinished jobs on their gateways (where they can be), waiting at most
    CANCEL_WAIT: the node ends at once; a cancel still under way goes on in its thread."""
    def cancel(job):
        try:
            if adapter(job.operation).cancel(store, job):
                job.state = State.CANCELLED
                job.message = "cancelled from ComfyUI"
                records.save(job)
        except GatewayError:
            pass  # the job stays journalled as it was; the next run resumes it

    waiting_jobs = [job for job in jobs if not job.state.terminal]
    if waiting_jobs:
        await asyncio.wait([waiting.in_thread(lambda job=job: cancel(job))
                            for job in waiting_jobs], timeout=CANCEL_WAIT)


def _elsewhere_host(job: Job) -> bool:
    return bool(job.files and job.files_host and job.files_host != host_name())


def _elsewhere(job: Job, error: GatewayError) -> GatewayError:
    """A finished job whose files another worker downloaded (files stay per host) and whose
    links no longer serve them here."""
    host = job.files_host
    return GatewayError(
        error.gateway, f"task {job.task_id} finished and its files were downloaded on {host} "
                       f"({', '.join(job.files)}), but fetching them again here failed: "
                       f"{error.message}",
        hint=f"The gateway's link may have expired. Copy the files from {host}, or run the "
             f"workflow on {host}.")


def _timed_out(jobs, timeout) -> GatewayError:
    waiting = [job for job in jobs if not job.state.terminal]
    job = waiting[0]
    return GatewayError(
        GATEWAYS[job.gateway].title,
        f"{len(waiting)} of {len(jobs)} task(s) still {job.state.value} after {timeout:.0f} s "
        f"(task id {job.task_id})", hint=KEPT_HINT + " Or raise the timeout.")


def _failed(failed, total) -> GatewayError:
    job = failed[0]
    reasons = "; ".join(f"{j.task_id}: {j.message or j.state.value}" for j in failed)
    what = "was cancelled" if job.state is State.CANCELLED else "failed"
    hint = ("Check the gateway and the task id." if job.by_id else
            "Run the workflow again to submit it again: only what failed is sent; results that "
            "did succeed are kept and reused.")
    return GatewayError(GATEWAYS[job.gateway].title,
                        f"{len(failed)} of {total} task(s) {what}: {reasons}", hint=hint)
