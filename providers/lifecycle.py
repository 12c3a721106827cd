"""The one submit lifecycle every paid call goes through (a task create, a chat answer, a
synchronous generate): journal the intent under the request's fingerprint → send → journal the
outcome.

Once a request may have left the machine, nothing the user does stops it: the send runs to its
end in a worker thread of its own, and the journal learns how it ended. Cancel stops only the
waiting here; the answer, when it comes, is journalled for the next run. An outcome where the
gateway may have accepted the request without us knowing what it made is journalled as
`unknown`, and the next run with that fingerprint says how to recover instead of paying again.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from . import waiting
from .errors import GatewayError
from .journal import JournalError, fingerprint, patiently, who
from .tasks import Job

if TYPE_CHECKING:
    from .budget import Spending
    from .journal import Journal

log = logging.getLogger("model_gateway.lifecycle")

Send = Callable[[str], Job]  # fingerprint -> the journalled job (does the HTTP)
CancelCheck = waiting.CancelCheck


def endpoint_identity() -> str:
    """Part of every fingerprint: a sandbox answer is never reused against the real gateway."""
    from .credentials import sandbox_enabled
    return "sandbox" if sandbox_enabled() else "gateway"


def digest(data: bytes | str) -> str:
    """What an input file or data URL contributes to a fingerprint."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


@dataclass(frozen=True)
class Create:
    """One request that costs money, as a gateway module builds it: who it goes to, what
    defines its result (the fingerprint's source), and how to send job `index` of it."""
    gateway_title: str
    identity: dict
    send: Callable[[int, str], Job]  # (index, fingerprint) -> Job
    lease: float                     # longest a send may take: its claim is renewed that long
    unknown_hint: str = ""           # how to recover when it may have gone through unseen
    prompt: str = ""                 # what the user asked, journalled for the Tasks panel

    def fingerprint(self, index: int) -> str:
        return fingerprint({**self.identity, "index": index})


async def submit_once(journal: Journal, fp: str, send: Send, *, gateway_title: str,
                      lease: float, check_cancelled: CancelCheck | None = None,
                      on_wait: Callable[[str], None] | None = None,
                      unknown_hint: str = "", spending: Spending | None = None) -> Job:
    """The journalled job for this fingerprint, sending the request only if there is none
    (and, with `spending`, only if its estimate fits in its gateway's budgets)."""
    owner, job = await _claim(journal, fp, gateway_title, check_cancelled, on_wait)
    if job is not None:
        return job
    # The send and its journalling run to their end in a thread of their own: Cancel stops
    # only this wait, and the answer, when it comes, is journalled for the next run.
    return await waiting.in_thread_until_done(
        lambda: _send(journal, fp, owner, send, gateway_title, unknown_hint or UNKNOWN_HINT,
                      lease, spending), check_cancelled)


async def _claim(journal, fp, gateway_title, check_cancelled, on_wait):
    """journal.claim_step until this caller owns the fingerprint or a job is journalled;
    waiting (without a thread) while another live run is submitting it."""
    owner = journal.new_owner()
    told = False
    while True:
        claimed, job, holder = await _claim_step(journal, fp, owner, gateway_title,
                                                 check_cancelled)
        if claimed:
            return owner, None
        if job is not None:
            return None, job
        if on_wait and not told:
            on_wait(f"another run ({who(holder)}) is submitting this same request; "
                    f"waiting for the gateway's answer to it")
            told = True
        await waiting.sleep(CLAIM_RETRY, check_cancelled)


async def _claim_step(journal, fp, owner, gateway_title, check_cancelled):
    """One claim step in a thread. When Cancel ends the wait before the step does, a claim the
    step still takes is handed back: no run would ever send it, and others would wait on it."""
    lock = threading.Lock()
    taken = {"abandoned": False, "claimed": False}

    def step():
        result = journal.claim_step(fp, owner, gateway_title)
        with lock:
            taken["claimed"] = result[0]
            if result[0] and taken["abandoned"]:
                _outcome(lambda: journal.release(fp, owner), fp)
        return result

    try:
        return await waiting.in_thread_until_done(step, check_cancelled)
    except BaseException:
        with lock:
            taken["abandoned"] = True
            claimed = taken["claimed"]
        if claimed:  # the step ended first, but this run stops here: nothing was sent
            threading.Thread(target=_outcome, args=(lambda: journal.release(fp, owner), fp),
                             daemon=True, name="model-gateway-release").start()
        raise


def _send(journal: Journal, fp: str, owner: str, send: Send, gateway_title: str,
          unknown_hint: str, lease: float, spending: Spending | None) -> Job:
    try:
        with journal.heartbeat(fp, owner, longest=lease):
            if spending is not None:  # a refusal here is before anything is sent
                spending.reserve(journal, fp, gateway_title)
            job = send(fp)
    except GatewayError as error:
        if error.maybe_accepted:
            error.rehint(unknown_hint)
            _outcome(lambda: journal.mark_unknown(fp, owner, error.message, error.hint), fp)
        else:
            _outcome(lambda: journal.release(fp, owner), fp)
        raise
    except BaseException as exc:  # a bug reading the answer: the request did go out
        log.exception("submit of %s failed unexpectedly", fp[:12])
        error = GatewayError(gateway_title, f"the pack could not read the gateway's answer "
                                            f"({type(exc).__name__}) — the request may have "
                                            f"been accepted", maybe_accepted=True,
                             hint=unknown_hint)
        _outcome(lambda: journal.mark_unknown(fp, owner, error.message, error.hint), fp)
        raise error from None
    try:
        patiently(lambda: journal.finish(fp, owner, job))
    except JournalError as error:
        if job.kind == "text":  # the answer is here: give it, though no later run can reuse it
            log.error("answer %s not journalled: %s", job.task_id, error.message)
            return job
        raise GatewayError(
            gateway_title, f"the gateway accepted the request as task {job.task_id}, but the "
                           f"journal could not record it: {error.message}",
            hint=f"Nothing is lost: fetch task {job.task_id} with Gateway Task From Id (its "
                 f"result is kept by the gateway), once the database is back.") from None
    return job


def _outcome(write: Callable[[], None], fp: str) -> None:
    """Journal how a send ended; when the database is away that step is left to the claim's
    lease, which then says the outcome is unknown — the safe side."""
    try:
        patiently(write)
    except JournalError as error:
        log.error("outcome of %s not journalled: %s", fp[:12], error.message)


def _with_prompt(job: Job, prompt: str) -> Job:
    job.prompt = job.prompt or prompt[:PROMPT_KEPT]
    return job


PROMPT_KEPT = 200  # characters of the prompt a job keeps: enough for the panel's first words
SUBMITS_AT_ONCE = 4
CLAIM_RETRY = 0.2


async def start(journal: Journal, create: Create, count: int = 1, *,
                check_cancelled: CancelCheck | None = None,
                on_wait: Callable[[str], None] | None = None,
                spending: Spending | None = None) -> list[Job]:
    """Jobs 0..count-1 of one request, each journalled before and after it is sent (each
    reserving its estimate against the budgets first, with `spending`), at most
    SUBMITS_AT_ONCE sent at a time. The first error is raised once all have ended; the jobs
    that were accepted are journalled all the same, and the next run reuses them."""
    gate = asyncio.Semaphore(SUBMITS_AT_ONCE)

    async def one(index: int) -> Job:
        async with gate:
            return await submit_once(journal, create.fingerprint(index),
                                     lambda fp: _with_prompt(create.send(index, fp),
                                                             create.prompt),
                                     gateway_title=create.gateway_title, lease=create.lease,
                                     check_cancelled=check_cancelled, on_wait=on_wait,
                                     unknown_hint=create.unknown_hint, spending=spending)

    results = await asyncio.gather(*(one(index) for index in range(count)),
                                   return_exceptions=True)
    errors = [result for result in results if isinstance(result, BaseException)]
    if errors:
        raise errors[0]
    return results


UNKNOWN_HINT = ("It may have been accepted and charged. Look for it in the gateway's dashboard "
                "(and fetch a task with Gateway Task From Id), or change the seed to send a new "
                "request.")
