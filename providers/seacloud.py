"""SeaCloud: LLM chat in three protocols, and the multimodal queue for image and video models."""
from __future__ import annotations

import logging
import uuid
from urllib.parse import quote, urlsplit

from . import answers, http
from .chat import ChatRoute
from .credentials import KeyStore
from .dialects import DIALECTS
from .errors import GatewayError
from .lifecycle import Create, endpoint_identity
from .tasks import SEED_MAX, Job, State, Status

log = logging.getLogger("model_gateway.seacloud")

CHAT_PATHS = {
    "chat_completions": "/v1/chat/completions",
    "anthropic_messages": "/v1/messages",
    "responses": "/openai/v1/responses",
}


def chat_route(store: KeyStore, protocol: str) -> ChatRoute:
    return ChatRoute(store.access("seacloud", "llm"), CHAT_PATHS[protocol], DIALECTS[protocol],
                     headers=dict(DIALECTS[protocol].headers), request_id=f"mgn-{uuid.uuid4().hex}",
                     extend_body=_ask_stream_usage if protocol == "chat_completions" else None,
                     classify=classify)


def _ask_stream_usage(body, request):
    if request.stream:
        body["stream_options"] = {"include_usage": True}
    return body


# -- the multimodal queue ----------------------------------------------------------------------

QUEUE_STATES = {"IN_QUEUE": State.QUEUED, "IN_PROGRESS": State.RUNNING,
                "COMPLETED": State.SUCCEEDED}
SUBMIT_TIMEOUT = 60.0
POLL_TIMEOUT = 30.0
SUBMIT_LEASE = SUBMIT_TIMEOUT * 3  # the longest a send may run, retries of refusals included


def classify(reply) -> answers.Answer:
    """SeaCloud's answers, queue and LLM alike: a job view (COMPLETED with `error` is a failure)
    or a chat reply, or one of its error shapes: {"error": {code, message}}, {"error": "text"}
    (LLM), {"detail": ...}, {"status": {code, message, error_code}} (credits)."""
    if not isinstance(reply, dict):
        return answers.error(f"answered {answers.shown(reply)}")
    status = reply.get("status")
    if isinstance(status, dict):
        return answers.error(answers.text(status.get("message")) or "error",
                             status.get("error_code") or status.get("code"), reply)
    if "detail" in reply and not status:
        return answers.error(answers.text(reply["detail"]), data=reply)
    error = reply.get("error")
    if error and not status:
        code = error.get("code") if isinstance(error, dict) else None
        return answers.error(answers.text(error), code, reply)
    if error:  # terminal: COMPLETED only means it ended
        kind = reply.get("error_type")
        reason = answers.text(error)
        return answers.failed(f"{kind}: {reason}" if kind else reason, reply)
    return answers.ok(reply)


def raise_error(access, answer: answers.Answer, *, status: int | None = 200,
                maybe_accepted: bool = False):
    gateway = access.gateway
    raise GatewayError("SeaCloud", answer.reason, code=answer.code, status=status,
                       raw=answers.shown(answer.data, 2000), maybe_accepted=maybe_accepted,
                       hint=gateway.hint(None, answer.code, answer.reason),
                       transient=gateway.transient(answer.code, answer.reason))


def queue_create(store: KeyStore, *, model_id: str, kind: str, body: dict, seed: int,
                 seed_field: str | None, identity: dict) -> Create:
    """A queue job of model_id; job `index` sends seed + index in seed_field, if the model
    has one. `identity` holds the inputs that define the result beyond the body's own
    fields (image hashes instead of the images)."""
    def send(index: int, fp: str) -> Job:
        job_body = dict(body)
        if seed_field:
            job_body[seed_field] = (seed + index) % (SEED_MAX + 1)
        return ADAPTERS["seacloud_queue"].submit(store, model_id=model_id, params=job_body,
                                                 fingerprint=fp, kind=kind)

    return Create("SeaCloud", {"gateway": "seacloud", "operation": "queue",
                               "endpoint": endpoint_identity(),
                               "model": model_id, "seed": seed, **identity}, send, SUBMIT_LEASE,
                  prompt=str(body.get("prompt", "")))


class Queue:
    """Submit /v1/queue/{model_id}, poll status_url, fetch response_url, cancel with cancel_url.
    The URLs a submit answer names are followed only on the gateway's own origin: elsewhere the
    key would go with them, so the documented ones are derived instead."""

    def submit(self, store: KeyStore, *, model_id: str, params: dict, fingerprint: str,
               kind: str) -> Job:
        access = store.access("seacloud", "model")
        reply = http.call_json(access, "POST", f"/v1/queue/{_segment(model_id)}",
                               json=params, idempotent=False, read_timeout=SUBMIT_TIMEOUT)
        answer = classify(reply)
        if not answer.ok:  # the gateway said no: nothing was queued
            raise_error(access, answer)
        request_id = reply.get("request_id")
        if not isinstance(request_id, (str, int)) or not str(request_id):
            raise GatewayError("SeaCloud", f"accepted the request but sent no request id: "
                                           f"{answers.shown(reply)}", maybe_accepted=True,
                               raw=answers.shown(reply, 2000))
        request_id = str(request_id)
        return Job("seacloud", "seacloud_queue", request_id, fingerprint, model_id, kind,
                   handles=self._handles(access, request_id, reply, model_id),
                   queue_position=_position(reply.get("queue_position")))

    def task(self, store: KeyStore, request_id: str, kind: str, fingerprint: str) -> Job:
        """A job for a request id submitted elsewhere: the model is not known, so the URLs are
        derived without it (an unconfirmed path shape; see _handles)."""
        access = store.access("seacloud", "model")
        return Job("seacloud", "seacloud_queue", request_id, fingerprint, "seacloud", kind,
                   handles=self._handles(access, request_id, {}))

    @staticmethod
    def _handles(access, request_id: str, reply: dict, model_id: str | None = None) -> dict:
        """The URLs a submit answer names, else the documented ones: multimodal/submit and
        multimodal/result show {base}/v1/queue/{model_id}/requests/{request_id}/status (and
        /response, /cancel). Without the model id (a task picked up by its id) the path has
        no model segment, which no public page confirms."""
        where = f"/v1/queue/{_segment(model_id)}" if model_id else "/v1/queue"
        derived = access.url(f"{where}/requests/{_segment(request_id)}")
        handles = {}
        for name, suffix in (("status_url", "/status"), ("response_url", "/response"),
                             ("cancel_url", "/cancel")):
            given = reply.get(name)
            if isinstance(given, str) and given and not access.same_origin(given):
                log.warning("SeaCloud named a %s on another host (%s); using the documented "
                            "one on the gateway's own", name, urlsplit(given).hostname)
                given = None
            handles[name] = given or derived + suffix
        return handles

    def _url(self, access, job: Job, name: str) -> str:
        """A handle, checked again: a journal written by an older version may hold any URL."""
        url = job.handles.get(name)
        if not isinstance(url, str) or not access.same_origin(url):
            model = job.label if job.label != "seacloud" else None
            return self._handles(access, job.task_id, {}, model)[name]
        return url

    def poll(self, store: KeyStore, job: Job) -> Status:
        access = store.access("seacloud", "model")
        reply = http.call_json(access, "GET", self._url(access, job, "status_url"),
                               idempotent=True, read_timeout=POLL_TIMEOUT)
        answer = classify(reply)
        if answer.verdict == "error":
            raise_error(access, answer)
        if answer.verdict == "failed":
            return Status(State.CANCELLED if reply.get("error_type") == "CANCELED"
                          else State.FAILED, message=answer.reason, raw=reply,
                          usage=_usage(reply))
        state = QUEUE_STATES.get(str(reply.get("status", "")).upper(), State.RUNNING)
        status = Status(state, progress=_fraction(reply.get("progress")),
                        queue_position=_position(reply.get("queue_position")), raw=reply,
                        usage=_usage(reply))
        if state is State.SUCCEEDED:
            return self._result(access, job, status)
        return status

    def _result(self, access, job: Job, status: Status) -> Status:
        response = http.send(access, "GET", self._url(access, job, "response_url"),
                             idempotent=True, read_timeout=POLL_TIMEOUT)
        with response:
            reply = http.read_json(access, response)
        if response.status_code == 202:  # not terminal yet after all
            status.state = State.RUNNING
            return status
        answer = classify(reply)
        if answer.verdict == "error":
            raise_error(access, answer)
        if answer.verdict == "failed":
            status.state, status.message = State.FAILED, answer.reason
            return status
        status.result_urls = _output_urls(reply)
        status.usage = {**status.usage, **_usage(reply)}
        status.raw = reply
        return status

    def cancel(self, store: KeyStore, job: Job) -> bool:
        access = store.access("seacloud", "model")
        try:
            response = http.send(access, "PUT", self._url(access, job, "cancel_url"),
                                 idempotent=True, read_timeout=POLL_TIMEOUT)
        except GatewayError as error:
            if error.status in (400, 404):  # ALREADY_COMPLETED / NOT_FOUND
                return False
            raise
        response.close()
        return True


def _position(value) -> int | None:
    """A real queue position, or None: multimodal/submit documents queue_position as "currently
    returned as a fixed value of 0", so 0 says nothing about the queue."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def _segment(value) -> str:
    """An id as exactly one URL path segment, escaped, so that no id can reach another path.
    "." and ".." cannot be escaped (requests turns %2E back into a dot, and servers resolve
    a/../b to b), nor can an empty id be a segment: those are refused."""
    if str(value) in ("", ".", ".."):
        raise ValueError(f"SeaCloud: {str(value)!r} cannot be a model or request id.")
    return quote(str(value), safe="")


def _fraction(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value / 100 if value > 1 else value


def _output_urls(reply: dict) -> list[str]:
    urls = []
    for key in ("outputs", "images", "videos"):
        for item in reply.get(key) or []:
            url = item.get("url") if isinstance(item, dict) else item
            if isinstance(url, str) and url:
                urls.append(url)
    for key in ("image", "video"):
        item = reply.get(key)
        if isinstance(item, dict) and isinstance(item.get("url"), str):
            urls.append(item["url"])
    return urls


def _usage(reply: dict) -> dict:
    usage = {}
    metrics = reply.get("metrics")
    if isinstance(metrics, dict):
        usage.update({k: v for k, v in metrics.items() if isinstance(v, (int, float, str))})
    metadata = reply.get("metadata")
    if isinstance(metadata, dict):
        usage.update({k: v for k, v in metadata.items()
                      if k in ("cost", "credits", "price", "seed") and isinstance(v, (int, float, str))})
    return usage


ADAPTERS = {"seacloud_queue": Queue()}
