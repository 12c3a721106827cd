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

import hashlib
import logging
import threading
from dataclasses import dataclass
from typing import Callable

from .errors import GatewayError
from .http import CANCEL_POLL, CancelCheck, parallel
from .journal import Journal, fingerprint
from .tasks import Job

log = logging.getLogger("model_gateway.lifecycle")

Send = Callable[[str], Job]  # fingerprint -> the journalled job (does the HTTP)


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
    lease: float                     # longest a send may take, for other runs waiting on it
    unknown_hint: str = ""           # how to recover when it may have gone through unseen

    def fingerprint(self, index: int) -> str:
        return fingerprint({**self.identity, "index": index})


def submit_once(journal: Journal, fp: str, send: Send, *, gateway_title: str, lease: float,
                check_cancelled: CancelCheck | None = None,
                on_wait: Callable[[str], None] | None = None, unknown_hint: str = "") -> Job:
    """The journalled job for this fingerprint, sending the request only if there is none."""
    owner, job = journal.claim(fp, lease_seconds=lease, gateway_title=gateway_title,
                               check_cancelled=check_cancelled, on_wait=on_wait)
    if job is not None:
        return job
    outcome = _Outcome()

    def work():
        try:
            job = send(fp)
        except GatewayError as error:
            if error.maybe_accepted:
                error = error.rehint(unknown_hint or UNKNOWN_HINT)
                journal.mark_unknown(fp, owner, error.message, error.hint)
            else:
                journal.release(fp, owner)
            outcome.set(error=error)
        except BaseException as exc:  # a bug reading the answer: the request did go out
            log.exception("submit of %s failed unexpectedly", fp[:12])
            error = GatewayError(gateway_title, f"the pack could not read the gateway's answer "
                                                f"({type(exc).__name__}) — the request may have "
                                                f"been accepted", maybe_accepted=True,
                                 hint=unknown_hint or UNKNOWN_HINT)
            journal.mark_unknown(fp, owner, error.message, error.hint)
            outcome.set(error=error)
        else:
            journal.finish(fp, owner, job)
            outcome.set(job=job)

    threading.Thread(target=work, daemon=True, name="model-gateway-submit").start()
    return outcome.wait(check_cancelled)


SUBMITS_AT_ONCE = 4


def start(journal: Journal, create: Create, count: int = 1, *,
          check_cancelled: CancelCheck | None = None,
          on_wait: Callable[[str], None] | None = None) -> list[Job]:
    """Jobs 0..count-1 of one request, each journalled before and after it is sent, at most
    SUBMITS_AT_ONCE sent at a time. The first error is raised once all have ended; the jobs
    that were accepted are journalled all the same, and the next run reuses them."""
    def one(index: int, cancel: CancelCheck | None) -> Job:
        return submit_once(journal, create.fingerprint(index),
                           lambda fp: create.send(index, fp), gateway_title=create.gateway_title,
                           lease=create.lease, check_cancelled=cancel, on_wait=on_wait,
                           unknown_hint=create.unknown_hint)

    if count == 1:
        return [one(0, check_cancelled)]
    # Worker threads must not consume ComfyUI's interrupt flag: only the waiting caller checks.
    results = parallel([lambda index=index: one(index, None) for index in range(count)],
                       check_cancelled, workers=SUBMITS_AT_ONCE)
    errors = [result for result in results if isinstance(result, BaseException)]
    if errors:
        raise errors[0]
    return results


UNKNOWN_HINT = ("It may have been accepted and charged. Look for it in the gateway's dashboard "
                "(and fetch a task with Gateway Task From Id), or change the seed to send a new "
                "request.")


class _Outcome:
    """What the worker learnt, handed to the waiting caller."""

    def __init__(self):
        self._ready = threading.Event()
        self._job: Job | None = None
        self._error: BaseException | None = None

    def set(self, job: Job | None = None, error: BaseException | None = None) -> None:
        self._job, self._error = job, error
        self._ready.set()

    def wait(self, check_cancelled: CancelCheck | None) -> Job:
        while not self._ready.wait(CANCEL_POLL):
            if check_cancelled:
                check_cancelled()  # raises on Cancel; the worker goes on and journals
        if self._error is not None:
            raise self._error
        return self._job
