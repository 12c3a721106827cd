"""SeaCloud: LLM chat in three protocols, and the multimodal queue for image and video models."""
from __future__ import annotations

import uuid
from urllib.parse import quote

from . import http
from .chat import ChatRoute
from .credentials import KeyStore
from .dialects import DIALECTS
from .errors import GatewayError, read_error
from .poller import Cadence
from .tasks import Job, State, Status

CHAT_PATHS = {
    "chat_completions": "/v1/chat/completions",
    "anthropic_messages": "/v1/messages",
    "responses": "/openai/v1/responses",
}


def chat_route(store: KeyStore, protocol: str) -> ChatRoute:
    headers = {"anthropic-version": "2023-06-01"} if protocol == "anthropic_messages" else {}
    return ChatRoute(store.access("seacloud", "llm"), CHAT_PATHS[protocol], DIALECTS[protocol],
                     headers=headers, request_id=f"mgn-{uuid.uuid4().hex}",
                     extend_body=_ask_stream_usage if protocol == "chat_completions" else None)


def _ask_stream_usage(body, request):
    if request.stream:
        body["stream_options"] = {"include_usage": True}
    return body


# -- the multimodal queue ----------------------------------------------------------------------

QUEUE_STATES = {"IN_QUEUE": State.QUEUED, "IN_PROGRESS": State.RUNNING,
                "COMPLETED": State.SUCCEEDED}
SUBMIT_TIMEOUT = 60.0
POLL_TIMEOUT = 30.0


class Queue:
    """Submit /v1/queue/{model_id}, poll status_url, fetch response_url, cancel with cancel_url."""

    def cadence(self, kind: str) -> Cadence:
        # The official client polls every 5 s; start faster, images often take ~10 s.
        return Cadence(first=2.0, longest=5.0) if kind == "image" else Cadence(5.0, 15.0)

    def submit(self, store: KeyStore, *, model_id: str, params: dict, fingerprint: str,
               kind: str, check_cancelled=None) -> Job:
        access = store.access("seacloud", "model")
        reply = http.call_json(access, "POST", f"/v1/queue/{_segment(model_id)}", json=params,
                               idempotent=False, read_timeout=SUBMIT_TIMEOUT,
                               check_cancelled=check_cancelled)
        _raise_if_error(access, reply)
        request_id = reply.get("request_id") if isinstance(reply, dict) else None
        if not request_id:
            raise GatewayError("SeaCloud", f"accepted the request but sent no request id: "
                                           f"{str(reply)[:200]}", maybe_accepted=True,
                               hint="Check the SeaCloud dashboard for the task.", raw=str(reply))
        derived = access.url(f"/v1/queue/requests/{_segment(request_id)}")
        handles = {"status_url": reply.get("status_url") or f"{derived}/status",
                   "response_url": reply.get("response_url") or derived + "/response",
                   "cancel_url": reply.get("cancel_url") or f"{derived}/cancel"}
        return Job("seacloud", "seacloud_queue", request_id, fingerprint, model_id, kind,
                   handles=handles, queue_position=reply.get("queue_position"))

    def task(self, store: KeyStore, request_id: str, kind: str, fingerprint: str) -> Job:
        """A job for a request id submitted elsewhere (URLs derived; unconfirmed path shape)."""
        derived = store.access("seacloud", "model").url(
            f"/v1/queue/requests/{_segment(request_id)}")
        return Job("seacloud", "seacloud_queue", request_id, fingerprint, "seacloud", kind,
                   handles={"status_url": f"{derived}/status",
                            "response_url": f"{derived}/response",
                            "cancel_url": f"{derived}/cancel"})

    def poll(self, store: KeyStore, job: Job) -> Status:
        access = store.access("seacloud", "model")
        reply = http.call_json(access, "GET", job.handles["status_url"], idempotent=True,
                               read_timeout=POLL_TIMEOUT)
        _raise_if_error(access, reply)
        state = QUEUE_STATES.get(str(reply.get("status", "")).upper(), State.RUNNING)
        status = Status(state, progress=_fraction(reply.get("progress")),
                        queue_position=reply.get("queue_position"), raw=reply,
                        usage=_usage(reply))
        if state is State.SUCCEEDED and reply.get("error"):
            # COMPLETED only means terminal: with an error it is a failure.
            status.state = (State.CANCELLED if reply.get("error_type") == "CANCELED"
                            else State.FAILED)
            status.message = _error_text(reply)
        elif state is State.SUCCEEDED:
            return self._result(access, job, status)
        return status

    def _result(self, access, job: Job, status: Status) -> Status:
        response = http.send(access, "GET", job.handles["response_url"], idempotent=True,
                             read_timeout=POLL_TIMEOUT)
        with response:
            reply = http.read_json(access, response)
        if response.status_code == 202:  # not terminal yet after all
            status.state = State.RUNNING
            return status
        _raise_if_error(access, reply)
        if reply.get("error"):
            status.state, status.message = State.FAILED, _error_text(reply)
            return status
        status.result_urls = _output_urls(reply)
        status.usage = {**status.usage, **_usage(reply)}
        status.raw = reply
        return status

    def cancel(self, store: KeyStore, job: Job) -> bool:
        access = store.access("seacloud", "model")
        try:
            response = http.send(access, "PUT", job.handles["cancel_url"], idempotent=True,
                                 read_timeout=POLL_TIMEOUT)
        except GatewayError as error:
            if error.status in (400, 404):  # ALREADY_COMPLETED / NOT_FOUND
                return False
            raise
        response.close()
        return True


def _segment(value) -> str:
    """An id as exactly one URL path segment, escaped, so that no id can reach another path.
    "." and ".." cannot be escaped (requests turns %2E back into a dot, and servers resolve
    a/../b to b), nor can an empty id be a segment: those are refused."""
    if str(value) in ("", ".", ".."):
        raise ValueError(f"SeaCloud: {str(value)!r} cannot be a model or request id.")
    return quote(str(value), safe="")


def _raise_if_error(access, reply) -> None:
    code, message = read_error(reply)
    if message and not (isinstance(reply, dict) and "status" in reply and "error" in reply):
        raise GatewayError("SeaCloud", message, code=code, status=200, raw=str(reply),
                           hint=access.gateway.hint(None, code, message))


def _fraction(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value / 100 if value > 1 else value


def _error_text(reply: dict) -> str:
    error = reply.get("error")
    if isinstance(error, dict):
        error = error.get("message") or error.get("code") or str(error)
    kind = reply.get("error_type")
    return f"{kind}: {error}" if kind else str(error)


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
