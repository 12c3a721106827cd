"""OpenComputing (元境): chat, and text/image/reference to video with task polling."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from . import answers, http
from .catalog import VideoModel
from .chat import ChatRoute
from .credentials import KeyStore
from .dialects import DIALECTS
from .errors import GatewayError
from .gateways import GATEWAYS
from .lifecycle import Create, endpoint_identity
from .tasks import Job, State, Status

CHAT_PATH = "/llmage/v1/chat/completions"


def chat_route(store: KeyStore) -> ChatRoute:
    return ChatRoute(store.access("opencomputing"), CHAT_PATH, DIALECTS["chat_completions"],
                     extend_body=_page_fields, classify=classify)


def _page_fields(body, request):
    # The page documents prompt (required) and sys_prompt; OpenAI messages carry the history.
    body["prompt"] = request.turns[-1].text
    if request.system:
        body["sys_prompt"] = request.system
    return body


# -- video: submit to /llmage/video (JSON, or multipart with files), poll /llmage/tasks --------

TASK_STATES = {"CREATED": State.QUEUED, "PENDING": State.QUEUED, "QUEUED": State.QUEUED,
               "RUNNING": State.RUNNING, "PROCESSING": State.RUNNING,
               "SUCCEEDED": State.SUCCEEDED, "SUCCESS": State.SUCCEEDED,
               "FAILED": State.FAILED, "FAILURE": State.FAILED,
               "CANCELLED": State.CANCELLED, "CANCELED": State.CANCELLED}
SUBMIT_TIMEOUT = 120.0  # uploads of reference videos take a while
POLL_TIMEOUT = 30.0


@dataclass(frozen=True)
class Upload:
    field: str
    filename: str
    data: bytes = field(repr=False)
    mime: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def video_fields(model: VideoModel, *, prompt: str, duration: int, resolution: str | None,
                 ratio: str | None, size: str | None, negative_prompt: str,
                 off_peak: bool) -> dict:
    """The form fields for one model, with only the parameters that model takes (a model
    from the live list the catalog does not know: those the user set)."""
    fields = {"llmid": model.llmid, "prompt": prompt}
    if duration:
        fields["duration"] = duration
    if model.model:
        fields["model"] = model.model
    if resolution:
        fields["resolution"] = resolution
    if ratio:
        for name in model.ratio_fields:
            fields[name] = ratio
    if size:
        fields["size"] = size
    if negative_prompt and model.negative_prompt:
        fields["negative_prompt"] = negative_prompt
    if model.off_peak:
        fields["off_peak"] = "Y" if off_peak else "N"
    elif model.generic and off_peak:
        fields["off_peak"] = "Y"
    return fields


def classify(reply) -> answers.Answer:
    """OpenComputing's answers: a bare task view, or the newer envelope {"status": "ok",
    "data": {...}} / {"status": "error", "data": {"message"}}; an {"error": "..."} body; and a
    task whose status is FAILED (its reason in `error`, `message` or `reason`)."""
    if not isinstance(reply, dict):
        return answers.error(f"answered {answers.shown(reply)}")
    envelope = str(reply.get("status", "")).lower()
    if envelope == "error":
        data = reply.get("data")
        reason = answers.text(data.get("message") if isinstance(data, dict) else data)
        return answers.error(reason or answers.text(reply.get("message")) or "error",
                             reply.get("code"), reply)
    if envelope == "ok" and isinstance(reply.get("data"), dict):
        reply = reply["data"]
    if "error" in reply and "status" not in reply:
        return answers.error(answers.text(reply["error"]), reply.get("code"), reply)
    if TASK_STATES.get(str(reply.get("status", "")).upper()) is State.FAILED:
        return answers.failed(answers.text(reply.get("error") or reply.get("message")
                                           or reply.get("reason")) or "the task failed", reply)
    return answers.ok(reply)


def raise_error(answer: answers.Answer):
    gateway = GATEWAYS["opencomputing"]
    raise GatewayError(gateway.title, answer.reason, code=answer.code, status=200,
                       raw=answers.shown(answer.data, 2000),
                       hint=gateway.hint(None, answer.code, answer.reason),
                       transient=gateway.transient(answer.code, answer.reason))


def video_create(store: KeyStore, *, operation: str, model: VideoModel, fields: dict,
                 uploads: list[Upload], seed: int) -> Create:
    identity = {"gateway": "opencomputing", "operation": operation,
                "endpoint": endpoint_identity(), "fields": fields,
                "uploads": [(u.field, u.sha256) for u in uploads], "seed": seed}

    def send(index: int, fp: str) -> Job:
        return ADAPTERS["opencomputing_video"].submit(
            store, fields=fields, uploads=uploads, fingerprint=fp, label=model.name,
            estimate=model.estimate)

    return Create("OpenComputing", identity, send, SUBMIT_TIMEOUT * 2,
                  prompt=str(fields.get("prompt", "")))


class VideoTasks:
    def submit(self, store: KeyStore, *, fields: dict, uploads: list[Upload], fingerprint: str,
               label: str, estimate: float) -> Job:
        access = store.access("opencomputing")
        if uploads:
            form = {k: str(v) for k, v in fields.items()}
            files = [(u.field, (u.filename, u.data, u.mime)) for u in uploads]
            kwargs = {"data": form, "files": files}
        else:
            kwargs = {"json": fields}
        reply = http.call_json(access, "POST", "/llmage/video", idempotent=False,
                               read_timeout=SUBMIT_TIMEOUT, **kwargs)
        answer = classify(reply)
        if answer.verdict != "ok":  # refused (balance, parameters): no task was made
            raise_error(answer)
        view = answer.data
        task_id = view.get("taskid") or view.get("task_id") or view.get("id")
        if not isinstance(task_id, (str, int)) or not str(task_id):
            raise GatewayError("OpenComputing", f"accepted the request but sent no task id: "
                                                f"{answers.shown(reply)}", maybe_accepted=True,
                               raw=answers.shown(reply, 2000))
        job = Job("opencomputing", "opencomputing_video", str(task_id), fingerprint, label,
                  "video", estimate=estimate)
        job.apply(_status(answer))
        return job

    def task(self, store: KeyStore, task_id: str, kind: str, fingerprint: str) -> Job:
        return Job("opencomputing", "opencomputing_video", task_id, fingerprint, "video", kind)

    def poll(self, store: KeyStore, job: Job) -> Status:
        access = store.access("opencomputing")
        answer = classify(http.call_json(access, "GET", "/llmage/tasks",
                                         params={"taskid": job.task_id}, idempotent=True,
                                         read_timeout=POLL_TIMEOUT))
        if answer.verdict == "error":
            # The envelope's error for a task id it cannot serve ("not exist") ends the task;
            # its other errors are the call's, retried by the poller.
            if "exist" in answer.reason.lower() or "not found" in answer.reason.lower():
                return Status(State.FAILED, message=answer.reason, raw=answer.data)
            raise_error(answer)
        return _status(answer)

    def cancel(self, store: KeyStore, job: Job) -> bool:
        return False  # no cancel on this gateway: the task stays journalled for the next run


def _status(answer: answers.Answer) -> Status:
    reply = answer.data
    usage = reply.get("usage") if isinstance(reply.get("usage"), dict) else {}
    if answer.verdict == "failed":
        return Status(State.FAILED, message=answer.reason, raw=reply, usage=usage)
    raw_state = str(reply.get("status", "")).upper()
    state = TASK_STATES.get(raw_state, State.RUNNING)  # UNKNOWN and others: keep polling
    video = reply.get("video") or reply.get("video_url")
    cover = reply.get("image")
    return Status(state, raw=reply, cover_url=cover if isinstance(cover, str) and cover else None,
                  result_urls=[video] if isinstance(video, str) and video else [], usage=usage)


ADAPTERS = {"opencomputing_video": VideoTasks()}
