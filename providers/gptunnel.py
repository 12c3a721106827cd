"""GPTunnel: Seedream 3 (async create/result) and Seedream 4 (synchronous generate).
Auth is the bare key; errors may come as HTTP 200 with code != 0."""
from __future__ import annotations

from . import http
from .credentials import KeyStore
from .errors import GatewayError, read_error
from .gateways import GATEWAYS
from .poller import Cadence
from .tasks import Job, State, Status

SUBMIT_TIMEOUT = 60.0
POLL_TIMEOUT = 30.0
GENERATE_TIMEOUT = 300.0  # Seedream 4 answers only when the image is made: a minute or more

SEEDREAM3_STATES = {"idle": State.QUEUED, "queued": State.QUEUED, "pending": State.QUEUED,
                    "processing": State.RUNNING, "running": State.RUNNING,
                    "done": State.SUCCEEDED, "success": State.SUCCEEDED,
                    "failed": State.FAILED, "error": State.FAILED, "cancelled": State.CANCELLED}


def checked(reply) -> dict:
    """The reply, or a GatewayError for code != 0 (which GPTunnel sends with HTTP 200)."""
    code, message = read_error(reply)
    if message or not isinstance(reply, dict):
        message = message or f"answered {str(reply)[:200]}"
        gateway = GATEWAYS["gptunnel"]
        raise GatewayError(gateway.title, message, code=code, status=200, raw=str(reply),
                           hint=gateway.hint(400 if code else None, code, message))
    return reply


class Seedream3:
    def cadence(self, kind: str) -> Cadence:
        return Cadence(first=3.0, longest=10.0)

    def submit(self, store: KeyStore, *, body: dict, fingerprint: str, check_cancelled=None) -> Job:
        access = store.access("gptunnel")
        reply = checked(http.call_json(access, "POST", "/v1/media/create", json=body,
                                       idempotent=False, read_timeout=SUBMIT_TIMEOUT,
                                       check_cancelled=check_cancelled))
        if not reply.get("id"):
            raise GatewayError("GPTunnel", f"accepted the request but sent no task id: "
                                           f"{str(reply)[:200]}", maybe_accepted=True,
                               raw=str(reply))
        job = Job("gptunnel", "seedream3", str(reply["id"]), fingerprint, body["model"], "image")
        job.apply(self._status(reply))
        return job

    def task(self, store: KeyStore, task_id: str, kind: str, fingerprint: str) -> Job:
        return Job("gptunnel", "seedream3", task_id, fingerprint, "seedream-3", kind)

    def poll(self, store: KeyStore, job: Job) -> Status:
        access = store.access("gptunnel")
        reply = checked(http.call_json(access, "POST", "/v1/media/result",
                                       json={"task_id": job.task_id}, idempotent=True,
                                       read_timeout=POLL_TIMEOUT))
        return self._status(reply)

    @staticmethod
    def _status(reply: dict) -> Status:
        raw_state = str(reply.get("status", "")).lower()
        state = SEEDREAM3_STATES.get(raw_state, State.RUNNING)
        url = reply.get("url")
        status = Status(state, result_urls=[url] if isinstance(url, str) and url else [],
                        raw=reply)
        if state is State.FAILED:
            status.message = str(reply.get("error") or reply.get("message") or raw_state)
        if "cost" in reply:
            status.usage = {"cost": reply["cost"]}
        return status

    def cancel(self, store: KeyStore, job: Job) -> bool:
        return False  # GPTunnel has no cancel: the job stays journalled and the next run resumes


def generate(store: KeyStore, body: dict) -> dict:
    """Seedream 4: one synchronous call; the reply's "result" is a URL or base64."""
    access = store.access("gptunnel")
    response = http.send(access, "POST", "/v1/media/generate", json=body, idempotent=False,
                         read_timeout=GENERATE_TIMEOUT)
    with response:
        reply = checked(http.read_json(access, response))
    if not reply.get("result"):
        raise GatewayError("GPTunnel", f"returned no image: {str(reply)[:200]}", raw=str(reply),
                           hint="The prompt may have been refused; rephrase it and run again.")
    return reply


ADAPTERS = {"seedream3": Seedream3()}
