"""OpenComputing video on the emulator: /llmage/video (JSON or multipart), /llmage/tasks in the
flat or the wrapped reply shape, statuses CREATED -> PENDING -> RUNNING -> SUCCEEDED/FAILED,
and real small mp4 results (with an audio track for Seedance 2.0, without for the others)."""
from __future__ import annotations

import functools
import tempfile
import uuid
from email.parser import BytesParser
from email.policy import default as email_policy
from pathlib import Path

from .routing import Recorded, Reply, route

def listed_models(emulator, catelogid: str | None = None) -> list[dict]:
    """OpenComputing's model list as the emulator serves it: the catalog's rows under the
    catalog id of their operation (t2v, i2v, ref2v), its chat models under t2t, and the models
    a test added to emulator.opencomputing_models (a model "added tomorrow")."""
    from .. import catalog
    from ..catalog import OPERATION_CATALOGS
    rows = [{"catelogid": OPERATION_CATALOGS[m.operation], "llmid": m.llmid, "model": m.listed_name}
            for m in catalog.VIDEO_MODELS]
    rows += [{"catelogid": "t2t", "llmid": None, "model": m.id} for m in catalog.CHAT_MODELS
             if m.gateway == "opencomputing"]
    rows += list(emulator.opencomputing_models)
    return [{"id": row.get("llmid") or row["model"], "object": "model", "owned_by": "sandbox",
             **row} for row in rows if catelogid in (None, row["catelogid"])]


def known_llmids(emulator) -> set[str]:
    """The llmids a submit may name: those the list serves; another is refused."""
    return {row["llmid"] for row in listed_models(emulator) if row.get("llmid")}


def action(emulator, llmid: str) -> str:
    """A finished task's usage "action": the catalog id its model is listed under. The docs show
    "t2v" for text-to-video; "i2v" and "ref2v" are assumed by analogy."""
    return next((row["catelogid"] for row in listed_models(emulator) if row.get("llmid") == llmid),
                "t2v")


def with_audio(llmid: str) -> bool:
    from .. import catalog
    return any(m.audio for m in catalog.VIDEO_MODELS if m.llmid == llmid)


def models(emulator, request: Recorded) -> Reply:
    catelogid = (request.query.get("catelogid") or [None])[0]
    return Reply(json={"object": "list", "data": listed_models(emulator, catelogid)})


def parse_form(request: Recorded) -> tuple[dict, dict[str, list[tuple[str, bytes, str]]]]:
    """(fields, files by field name) of a JSON or multipart/form-data body."""
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data"):
        body = request.json
        return (body if isinstance(body, dict) else {}), {}
    message = BytesParser(policy=email_policy).parsebytes(
        f"Content-Type: {ctype}\r\n\r\n".encode() + request.body)
    fields, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        data = part.get_payload(decode=True) or b""
        if filename is not None:
            files.setdefault(name, []).append((filename, data, part.get_content_type()))
        else:
            fields[name] = data.decode("utf-8")
    return fields, files


def submit(emulator, request: Recorded) -> Reply:
    fields, files = parse_form(request)
    if not fields.get("prompt"):
        return Reply(400, json={"error": "Missing required parameter: prompt"})
    if fields.get("llmid") not in known_llmids(emulator):
        return Reply(400, json={"error": f"unknown llmid: {fields.get('llmid')}"})
    body = {**fields, "files": {name: [(f, len(d), m) for f, d, m in items]
                                for name, items in files.items()}}
    job = emulator.jobs.create("opencomputing", fields["llmid"], body,
                               job_id=str(uuid.uuid4().int)[:18])
    return Reply(json={"taskid": job.id, "status": "created"})


def _view(emulator, job) -> dict:
    phase, fraction = job.phase()
    if phase == "queued":
        return {"taskid": job.id, "status": "CREATED" if fraction < 0.5 else "PENDING"}
    if phase == "running":
        return {"taskid": job.id, "status": "RUNNING"}
    if job.outcome in ("failed", "blocked"):
        return {"taskid": job.id, "status": "FAILED",
                "error": "The request failed because the output video may be related to "
                         "copyright restrictions" if job.outcome == "blocked" else "upstream error"}
    if not job.files:
        job.files = publish_video(emulator, job, audio=with_audio(job.model))
    video, cover = (emulator.origin + path for path in job.files)
    return {"taskid": job.id, "status": "SUCCEEDED", "video": video, "image": cover,
            "usage": {"action": action(emulator, job.model), "credits": 10, "model": job.body.get("model") or job.model,
                      "duration": int(job.body.get("duration") or 5)}}


@functools.lru_cache(maxsize=8)
def _encoded(width: int, height: int, seconds: float, fps: int, audio: bool) -> bytes:
    """One encode per video setting: a real gateway's encoding costs its client nothing, and
    eight shots encoded inside a sandboxed ComfyUI would cost it seconds of CPU."""
    from .media import make_mp4

    with tempfile.TemporaryDirectory() as folder:
        path = make_mp4(Path(folder) / "video.mp4", width=width, height=height,
                        seconds=seconds, fps=fps, audio=audio)
        return Path(path).read_bytes()


def publish_video(emulator, job, *, audio: bool) -> list[str]:
    """Make the job's mp4 (cut short for the "corrupt" outcome) and a cover; their CDN paths."""
    from .media import make_png

    settings = emulator.video
    data = _encoded(settings["width"], settings["height"], settings["seconds"], settings["fps"],
                    audio)
    if job.outcome == "corrupt":
        data = data[: len(data) // 3]
    video = emulator.jobs.add_file(f"{job.id}_video.mp4", data, "video/mp4")
    cover = emulator.jobs.add_file(f"{job.id}_cover.jpg",
                                   make_png(settings["width"], settings["height"], (90, 120, 200)),
                                   "image/png")
    return [video, cover]


def tasks(emulator, request: Recorded) -> Reply:
    task_id = (request.query.get("taskid") or [None])[0]
    job = emulator.jobs.jobs.get(task_id or "")
    if job is None:
        view = {"status": "FAILED", "error": f"taskid={task_id} not exist"}
    else:
        view = _view(emulator, job)
    if emulator.wrapped_tasks:
        return Reply(json={"status": "ok", "data": view})
    return Reply(json=view)


ROUTES = [
    route("opencomputing", "GET", r"/llmage/v1/models", models),
    route("opencomputing", "POST", r"/llmage/video", submit),
    route("opencomputing", "GET", r"/llmage/tasks", tasks),
    route("opencomputing", "POST", r"/llmage/tasks", tasks),
]
