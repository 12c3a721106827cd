"""SeaCloud's multimodal queue on the emulator: submit, status, response (202 until terminal),
cancel; COMPLETED with an error for failures; a short submit reply when scripted."""
from __future__ import annotations

from .jobs import ratio_size
from .routing import Recorded, Reply, route
from .video import publish_video

QUEUE_POSITION = 0  # multimodal/submit: "currently returned as a fixed value of 0"

ERROR_TYPES = {"failed": ("INFERENCE_FAILURE", "The model failed to generate"),
               "blocked": ("CONTENT_BLOCKED", "The prompt was blocked by the content filter")}


def submit(emulator, request: Recorded) -> Reply:
    model_id = request.path.rsplit("/", 1)[-1]
    body = request.json
    if not isinstance(body, dict):
        return Reply(422, json={"detail": "body must be a JSON object"})
    if not body.get("prompt"):
        return Reply(422, json={"detail": [{"loc": ["body", "prompt"], "msg": "Field required"}]})
    job = emulator.jobs.create("seacloud", model_id, body)
    # multimodal/submit shows these URLs with the model id (/v1/queue/{model}/requests/{id});
    # the pack follows whatever URLs are given, and derives the documented ones for a short
    # reply. Given ones stay without the model here so that tests can tell submits
    # ("/queue/{model}") from polls; both shapes are served.
    base = f"{emulator.base_url('seacloud', 'model')}/v1/queue/requests/{job.id}"
    if emulator.short_submit_reply:
        return Reply(200, json={"request_id": job.id, "status": "queued"})
    return Reply(200, json={"request_id": job.id, "status_url": f"{base}/status",
                            "response_url": f"{base}/response", "cancel_url": f"{base}/cancel",
                            "queue_position": QUEUE_POSITION})


def _makes_video(model_id: str) -> bool:
    from ..catalog import queue_model
    known = queue_model(model_id)
    return known is not None and known.kind == "video"


def _job(emulator, request: Recorded):
    job_id = request.path.split("/")[-2]
    return emulator.jobs.jobs.get(job_id)


def _status_body(job) -> dict:
    phase, fraction = job.phase()
    if phase == "queued":
        return {"status": "IN_QUEUE", "request_id": job.id, "queue_position": QUEUE_POSITION}
    if phase == "running":
        return {"status": "IN_PROGRESS", "request_id": job.id, "progress": round(fraction, 2),
                "logs": [{"message": "generating", "timestamp": "2026-11-22T00:00:00Z"}]}
    body = {"status": "COMPLETED", "request_id": job.id, "metrics": {"inference_time": 1.25}}
    if phase == "cancelled":
        body.update(error="Request was cancelled", error_type="CANCELED")
    elif job.outcome in ERROR_TYPES:
        kind, message = ERROR_TYPES[job.outcome]
        body.update(error={"code": kind, "message": message}, error_type=kind)
    return body


def status(emulator, request: Recorded) -> Reply:
    job = _job(emulator, request)
    if job is None:
        return Reply(404, json={"detail": "Request not found"})
    return Reply(200, json=_status_body(job))


def response(emulator, request: Recorded) -> Reply:
    job = _job(emulator, request)
    if job is None:
        return Reply(404, json={"detail": "Request not found"})
    body = _status_body(job)
    if body["status"] != "COMPLETED":
        return Reply(202, json=body)
    if "error" in body:
        return Reply(200, json=body)
    outputs = []
    if job.outcome != "empty" and _makes_video(job.model):
        if not job.files:
            job.files = publish_video(emulator, job, audio=False)[:1]
        outputs.append({"type": "video", "url": emulator.origin + job.files[0],
                        "content_type": "video/mp4", "file_name": "video.mp4",
                        "duration": emulator.video["seconds"]})
    elif job.outcome != "empty":
        size = ratio_size(job.body.get("aspect_ratio"), emulator.jobs.image_longest)
        for url in emulator.jobs.image_results(job, emulator.origin, size):
            outputs.append({"type": "image", "url": url, "content_type": "image/png",
                            "file_name": url.rsplit("/", 1)[-1], "width": size[0],
                            "height": size[1]})
    return Reply(200, json={"request_id": job.id, "outputs": outputs,
                            "metadata": {"cost": 0.04, "seed": job.body.get("seed")}})


def cancel(emulator, request: Recorded) -> Reply:
    job = _job(emulator, request)
    if job is None:
        return Reply(404, json={"status": "NOT_FOUND"})
    if job.phase()[0] in ("done", "cancelled"):
        return Reply(400, json={"status": "ALREADY_COMPLETED"})
    job.cancelled = True
    return Reply(202, json={"status": "CANCELLATION_REQUESTED"})


ROUTES = [
    route("seacloud", "POST", r"/model/v1/queue/[A-Za-z0-9_.-]+", submit),
    # documented: /v1/queue/{model_id}/requests/{id}/...; without the model: the older shape
    route("seacloud", "GET", r"/model/v1/queue/([^/]+/)?requests/[^/]+/status", status),
    route("seacloud", "GET", r"/model/v1/queue/([^/]+/)?requests/[^/]+/response", response),
    route("seacloud", "PUT", r"/model/v1/queue/([^/]+/)?requests/[^/]+/cancel", cancel),
]
