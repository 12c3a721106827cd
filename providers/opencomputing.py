"""OpenComputing (元境): chat, and text/image/reference to video with task polling."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from . import http
from .catalog import VideoModel
from .chat import ChatRoute
from .credentials import KeyStore
from .dialects import DIALECTS
from .errors import GatewayError, read_error
from .gateways import GATEWAYS
from .poller import Cadence
from .tasks import Job, State, Status

CHAT_PATH = "/llmage/v1/chat/completions"


def chat_route(store: KeyStore) -> ChatRoute:
    return ChatRoute(store.access("opencomputing"), CHAT_PATH, DIALECTS["chat_completions"],
                     extend_body=_page_fields)


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
    """The form fields for one model, with only the parameters that model takes."""
    fields = {"llmid": model.llmid, "prompt": prompt, "duration": duration}
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
    return fields


class VideoTasks:
    def cadence(self, kind: str) -> Cadence:
        # The backend refreshes a task's upstream state only about every 30 s.
        return Cadence(first=10.0, longest=30.0)

    def submit(self, store: KeyStore, *, fields: dict, uploads: list[Upload], fingerprint: str,
               label: str, estimate: float, check_cancelled=None) -> Job:
        access = store.access("opencomputing")
        if uploads:
            form = {k: str(v) for k, v in fields.items()}
            files = [(u.field, (u.filename, u.data, u.mime)) for u in uploads]
            kwargs = {"data": form, "files": files}
        else:
            kwargs = {"json": fields}
        reply = http.call_json(access, "POST", "/llmage/video", idempotent=False,
                               read_timeout=SUBMIT_TIMEOUT, check_cancelled=check_cancelled,
                               **kwargs)
        reply = _unwrap(reply)
        task_id = reply.get("taskid") or reply.get("task_id") or reply.get("id")
        if not task_id:
            raise GatewayError("OpenComputing", f"accepted the request but sent no task id: "
                                                f"{str(reply)[:200]}", maybe_accepted=True,
                               raw=str(reply))
        job = Job("opencomputing", "opencomputing_video", str(task_id), fingerprint, label,
                  "video", estimate=estimate)
        job.apply(_status(reply))
        return job

    def task(self, store: KeyStore, task_id: str, kind: str, fingerprint: str) -> Job:
        return Job("opencomputing", "opencomputing_video", task_id, fingerprint, "video", kind)

    def poll(self, store: KeyStore, job: Job) -> Status:
        access = store.access("opencomputing")
        reply = http.call_json(access, "GET", "/llmage/tasks", params={"taskid": job.task_id},
                               idempotent=True, read_timeout=POLL_TIMEOUT)
        return _status(_unwrap(reply))

    def cancel(self, store: KeyStore, job: Job) -> bool:
        return False  # no cancel on this gateway: the task stays journalled for the next run


def _unwrap(reply) -> dict:
    """Newer deployments wrap replies as {"status": "ok"|"error", "data": {...}}."""
    if not isinstance(reply, dict):
        raise GatewayError("OpenComputing", f"answered {str(reply)[:200]}", raw=str(reply))
    if reply.get("status") == "ok" and isinstance(reply.get("data"), dict):
        return reply["data"]
    if reply.get("status") == "error":
        code, message = read_error(reply)
        return {"status": "FAILED", "error": message or "error"}
    code, message = read_error(reply)
    if message and "status" not in reply:
        raise GatewayError("OpenComputing", message, code=code, status=200, raw=str(reply),
                           hint=GATEWAYS["opencomputing"].hint(None, code, message))
    return reply


def _status(reply: dict) -> Status:
    raw_state = str(reply.get("status", "")).upper()
    state = TASK_STATES.get(raw_state, State.RUNNING)  # UNKNOWN and others: keep polling
    video = reply.get("video") or reply.get("video_url")
    status = Status(state, raw=reply, cover_url=reply.get("image") or None,
                    result_urls=[video] if isinstance(video, str) and video else [],
                    usage=reply.get("usage") if isinstance(reply.get("usage"), dict) else {})
    if state is State.FAILED:
        status.message = str(reply.get("error") or reply.get("message") or reply.get("reason")
                             or "the task failed")
    return status


ADAPTERS = {"opencomputing_video": VideoTasks()}
