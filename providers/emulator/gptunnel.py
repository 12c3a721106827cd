"""GPTunnel on the emulator: the create/result endpoint for every media model the pack's catalog
lists (idle, processing, done/failed; images, or an mp4 for video models) and Seedream 4
generate (url or base64), with HTTP 200 code != 0 errors in zod style."""
from __future__ import annotations

import base64
import time
import uuid

from .. import catalog
from . import billing
from .jobs import ratio_size
from .routing import Recorded, Reply, route

SEEDREAM4_RATIOS = catalog.SEEDREAM4_RATIOS
SEEDREAM4_SIZE_SCALE = {"1K": 2 / 3, "2K": 1.0, "3K": 7 / 6, "4K": 4 / 3}  # of image_longest
SEEDREAM4_SIZES = {size: SEEDREAM4_SIZE_SCALE[size] for size in catalog.SEEDREAM4_SIZES}


def _invalid(path: str, expected: str, message: str) -> Reply:
    return Reply(200, json={"code": 3, "issues": [{"path": [path], "expected": expected,
                                                   "message": message}]})


def create(emulator, request: Recorded) -> Reply:
    body = request.json or {}
    model = catalog.media_model(str(body.get("model")))
    if model is None:
        ids = " | ".join(f"'{m.id}'" for m in catalog.GPTUNNEL_MEDIA_MODELS)
        return _invalid("model", ids, "Invalid model")
    if not body.get("prompt"):
        return _invalid("prompt", "string", "Required")
    if "ar" in body and body["ar"] not in model.ratios:
        return _invalid("ar", " | ".join(model.ratios), "Invalid enum value")
    images = body.get("images") or []
    if len(images) > model.max_images:
        return _invalid("images", f"array({model.max_images})",
                        f"Array must contain at most {model.max_images} element(s)")
    if not emulator.ledger.charge(billing.MEDIA_COST):
        return billing.refused_create()
    job = emulator.jobs.create("gptunnel", model.id, body, job_id=uuid.uuid4().hex[:24])
    return Reply(json=_view(emulator, job))


def _view(emulator, job) -> dict:
    phase, _ = job.phase()
    state = {"queued": "idle", "running": "processing"}.get(phase, "done")
    url, view = None, {}
    if state == "done" and job.outcome in ("failed", "blocked"):
        state = "failed"
    elif state == "done" and job.outcome != "empty":
        url = _result_url(emulator, job)
        view["usage"] = {"total_cost": billing.MEDIA_COST}
    return {"code": 0, "id": job.id, "model": job.model, "prompt": job.body.get("prompt"),
            "created_at": int(time.time()), "status": state, "url": url, **view}


def _result_url(emulator, job) -> str:
    model = catalog.media_model(job.model)
    if model is not None and model.kind == "video":
        from .video import publish_video
        if not job.files:
            job.files = publish_video(emulator, job, audio=True)[:1]
        return emulator.origin + job.files[0]
    return emulator.jobs.image_results(job, emulator.origin,
                                       ratio_size(job.body.get("ar"),
                                                  emulator.jobs.image_longest))[0]


def result(emulator, request: Recorded) -> Reply:
    task_id = (request.json or {}).get("task_id") or (request.query.get("task_id") or [None])[0]
    job = emulator.jobs.jobs.get(task_id or "")
    if job is None:
        # docs.gptunnel.ru media-api error table: code 4 is "Record not found."
        return Reply(200, json={"code": 4, "message": "Record not found."})
    return Reply(json=_view(emulator, job))


def generate(emulator, request: Recorded) -> Reply:
    body = request.json or {}
    if body.get("model") != "seedream-4":
        return _invalid("model", "'seedream-4'", "Invalid model")
    if not body.get("prompt"):
        return _invalid("prompt", "string", "Required")
    if body.get("aspect_ratio", "1:1") not in SEEDREAM4_RATIOS:
        return _invalid("aspect_ratio", " | ".join(SEEDREAM4_RATIOS), "Invalid enum value")
    if body.get("size", "2K") not in SEEDREAM4_SIZES:
        return _invalid("size", "'1K' | '2K' | '3K' | '4K'", "Invalid enum value")
    if len(body.get("images") or []) > 10:
        return _invalid("images", "array(10)", "Array must contain at most 10 element(s)")
    if not emulator.ledger.charge(billing.SEEDREAM4_COST):
        return billing.refused_generate()
    job = emulator.jobs.create("gptunnel", "seedream-4", body, job_id=uuid.uuid4().hex[:24])
    time.sleep(job.queue_seconds + job.run_seconds)  # synchronous: answers when the image is made
    if job.outcome in ("failed", "blocked"):
        return Reply(200, json={"code": 1, "message": "Generation failed: content rejected"})
    longest = round(emulator.jobs.image_longest * SEEDREAM4_SIZES[body.get("size", "2K")])
    size = ratio_size(body.get("aspect_ratio"), longest)
    url = emulator.jobs.image_results(job, emulator.origin, size)[0]
    if body.get("response_format") == "base64" and not emulator.seedream4_url_only:
        data, _ = emulator.jobs.files[url.rsplit("/", 1)[-1]]
        result_value = base64.b64encode(data).decode()
    else:
        result_value = url
    return Reply(json={"code": 0, "id": job.id, "created_at": int(time.time()), "status": "done",
                       "result": result_value, "cost": f"{billing.SEEDREAM4_COST:g}"})


ROUTES = [
    route("gptunnel", "POST", r"/v1/media/create", create),
    route("gptunnel", "POST", r"/v1/media/result", result),
    route("gptunnel", "GET", r"/v1/media/result", result),
    route("gptunnel", "POST", r"/v1/media/generate", generate),
]
