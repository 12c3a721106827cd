"""GPTunnel: the asynchronous create/result endpoint (Seedream 3 and the other media models the
catalog lists: GPT Image, Imagen, Seedance, Veo; images and video) and Seedream 4 (synchronous
generate). Auth is the bare key; errors come as HTTP 200 with code != 0 (its error table)."""
from __future__ import annotations

from typing import Callable

from . import answers, http
from .credentials import KeyStore
from .errors import GatewayError
from .gateways import GATEWAYS
from .lifecycle import Create, endpoint_identity
from .tasks import Job, State, Status

SUBMIT_TIMEOUT = 60.0
POLL_TIMEOUT = 30.0
GENERATE_TIMEOUT = 300.0  # Seedream 4 answers only when the image is made: a minute or more
SUBMIT_LEASE = SUBMIT_TIMEOUT * 3
GENERATE_LEASE = GENERATE_TIMEOUT + 60

SEEDREAM3_STATES = {"idle": State.QUEUED, "queued": State.QUEUED, "pending": State.QUEUED,
                    "processing": State.RUNNING, "running": State.RUNNING,
                    "done": State.SUCCEEDED, "success": State.SUCCEEDED,
                    "failed": State.FAILED, "error": State.FAILED, "cancelled": State.CANCELLED}
FAILED_STATES = ("failed", "error", "cancelled")


def classify(reply) -> answers.Answer:
    """GPTunnel's answers: `code` 0 with a task view (status failed/error is the job's end,
    with its reason in `error` or `message`), or code != 0 (sent with HTTP 200) with a message
    or zod-style `issues`."""
    if not isinstance(reply, dict):
        return answers.error(f"answered {answers.shown(reply)}")
    code = reply.get("code", 0)
    if code not in (0, "0", None):
        issues = reply.get("issues")
        if isinstance(issues, list) and issues:
            reason = "; ".join(_issue_text(issue) for issue in issues)
        else:
            reason = answers.text(reply.get("message") or reply.get("error")) or f"code {code}"
        return answers.error(reason, code, reply)
    error = reply.get("error")
    if isinstance(error, dict) and "status" not in reply:  # OpenAI style, e.g. on a 200 proxy
        return answers.error(answers.text(error), error.get("type") or error.get("code"), reply)
    state = str(reply.get("status", "")).lower()
    if state in FAILED_STATES:
        return answers.failed(answers.text(error or reply.get("message")) or state, reply)
    return answers.ok(reply)


def _issue_text(issue) -> str:
    if not isinstance(issue, dict):
        return str(issue)
    path = ".".join(str(p) for p in issue.get("path") or [])
    message = answers.text(issue.get("message")) or "invalid"
    return f"{path}: {message}" if path else message


def raise_error(answer: answers.Answer, *, maybe_accepted: bool = False):
    gateway = GATEWAYS["gptunnel"]
    raise GatewayError(gateway.title, answer.reason, code=answer.code, status=200,
                       raw=answers.shown(answer.data, 2000), maybe_accepted=maybe_accepted,
                       hint=gateway.hint(400 if answer.code else None, answer.code,
                                         answer.reason),
                       transient=gateway.transient(answer.code, answer.reason))


def seedream3_create(store: KeyStore, *, body: dict, identity: dict) -> Create:
    return media_create(store, body=body, identity=identity, kind="image")


def media_create(store: KeyStore, *, body: dict, identity: dict, kind: str,
                 estimate: float | None = None) -> Create:
    """A job of /v1/media/create for any of its models; `kind` is what the model makes."""
    def send(index: int, fp: str) -> Job:
        return ADAPTERS["seedream3"].submit(store, body=body, fingerprint=fp, kind=kind,
                                            estimate=estimate)

    return Create("GPTunnel", {"gateway": "gptunnel", "endpoint": endpoint_identity(),
                               **identity}, send, SUBMIT_LEASE, prompt=str(body.get("prompt", "")))


def seedream4_create(store: KeyStore, *, body: dict, identity: dict,
                     keep: Callable[[dict, str], Job]) -> Create:
    """Seedream 4 answers with the image itself: keep(reply, fingerprint) saves it as a job."""
    def send(index: int, fp: str) -> Job:
        return keep(generate(store, body), fp)

    return Create("GPTunnel", {"gateway": "gptunnel", "endpoint": endpoint_identity(),
                               **identity}, send, GENERATE_LEASE,
                  prompt=str(body.get("prompt", "")))


class MediaTasks:
    """/v1/media/create and /v1/media/result. Its operation keeps the name "seedream3", which
    journals written by earlier versions hold."""

    def submit(self, store: KeyStore, *, body: dict, fingerprint: str, kind: str = "image",
               estimate: float | None = None) -> Job:
        access = store.access("gptunnel")
        reply = http.call_json(access, "POST", "/v1/media/create", json=body,
                               idempotent=False, read_timeout=SUBMIT_TIMEOUT)
        answer = classify(reply)
        if answer.verdict == "error":  # refused: nothing was made
            raise_error(answer)
        if not isinstance(reply.get("id"), (str, int)) or not str(reply["id"]):
            raise GatewayError("GPTunnel", f"accepted the request but sent no task id: "
                                           f"{answers.shown(reply)}", maybe_accepted=True,
                               raw=answers.shown(reply, 2000))
        job = Job("gptunnel", "seedream3", str(reply["id"]), fingerprint, body["model"], kind,
                  estimate=estimate)
        job.apply(self._status(answer))
        return job

    def task(self, store: KeyStore, task_id: str, kind: str, fingerprint: str) -> Job:
        return Job("gptunnel", "seedream3", task_id, fingerprint, "seedream-3", kind)

    def poll(self, store: KeyStore, job: Job) -> Status:
        access = store.access("gptunnel")
        answer = classify(http.call_json(access, "POST", "/v1/media/result",
                                         json={"task_id": job.task_id}, idempotent=True,
                                         read_timeout=POLL_TIMEOUT))
        if answer.verdict == "error":
            raise_error(answer)
        return self._status(answer)

    @staticmethod
    def _status(answer: answers.Answer) -> Status:
        reply = answer.data
        if answer.verdict == "failed":
            state = (State.CANCELLED if str(reply.get("status")).lower() == "cancelled"
                     else State.FAILED)
            return Status(state, message=answer.reason, raw=reply, usage=_cost(reply))
        state = SEEDREAM3_STATES.get(str(reply.get("status", "")).lower(), State.RUNNING)
        url = next((value for value in (reply.get(k) for k in ("url", "result", "video_url"))
                    if isinstance(value, str) and value.startswith(("http://", "https://"))),
                   None)
        return Status(state, result_urls=[url] if url else [], raw=reply, usage=_cost(reply))

    def cancel(self, store: KeyStore, job: Job) -> bool:
        return False  # GPTunnel has no cancel: the job stays journalled and the next run resumes


def _cost(reply: dict) -> dict:
    """What the answer says it cost: `cost` (Seedream 4's page), and `usage.total_cost` or a
    top-level `total_cost` (the shape of GPTunnel's other APIs; no media page shows one)."""
    cost = {"cost": reply["cost"]} if "cost" in reply else {}
    usage = reply.get("usage")
    total = usage.get("total_cost") if isinstance(usage, dict) else reply.get("total_cost")
    if isinstance(total, (int, float, str)) and not isinstance(total, bool):
        cost["total_cost"] = total
    return cost


def generate(store: KeyStore, body: dict) -> dict:
    """Seedream 4: one synchronous call; the reply's "result" is a URL or base64."""
    access = store.access("gptunnel")
    reply = http.call_json(access, "POST", "/v1/media/generate", json=body, idempotent=False,
                           read_timeout=GENERATE_TIMEOUT)
    answer = classify(reply)
    if answer.verdict == "error":
        raise_error(answer)
    if answer.verdict == "failed" or not isinstance(reply.get("result"), str) \
            or not reply["result"]:
        # It answered (and may have charged) without an image: a refusal by its filter, say.
        raise GatewayError("GPTunnel", f"returned no image: {answer.reason or answers.shown(reply)}",
                           raw=answers.shown(reply, 2000),
                           hint="The prompt may have been refused; rephrase it, change the seed "
                                "and run again.")
    return reply


Seedream3 = MediaTasks  # the older name

ADAPTERS = {"seedream3": MediaTasks()}
