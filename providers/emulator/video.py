"""OpenComputing video on the emulator: /llmage/video (JSON or multipart), /llmage/tasks in the
flat or the wrapped reply shape, statuses CREATED -> PENDING -> RUNNING -> SUCCEEDED/FAILED,
and real small mp4 results (with an audio track for Seedance 2.0, without for the others)."""
from __future__ import annotations

import tempfile
import uuid
from email.parser import BytesParser
from email.policy import default as email_policy
from pathlib import Path

from .server import Recorded, Reply, route

# The llmids OpenComputing's page lists; a request with another is refused like the gateway.
KNOWN_LLMIDS = {
    "YjjGgxO_Xma8PWsMjJvps", "TWay-xd0p0pkEX-_Kuhto", "CrEMkFQfRCmbmopZsCqLj",
    "u9HZyfDoqU6uKI6M1BTks", "r0ill7L0s6PtBS8mkmg-7", "UeYax4591ytnPcr9eumry",
    "tb0VSY6WeyGbzaolU1_qE", "7RTOJD6K8A7RXCMG4GnQ9", "FK_h7FLYnosv2TkMN4ATC",
    "x4HksKp9mXR1Yv60mw6Py", "dmPXF65TD1riKj9KaxLmg", "nVbH7lEO51soqTbLGIHE_",
}
WITH_AUDIO = {"YjjGgxO_Xma8PWsMjJvps", "TWay-xd0p0pkEX-_Kuhto", "UeYax4591ytnPcr9eumry",
              "tb0VSY6WeyGbzaolU1_qE", "dmPXF65TD1riKj9KaxLmg", "nVbH7lEO51soqTbLGIHE_"}


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
    if fields.get("llmid") not in KNOWN_LLMIDS:
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
        job.files = publish_video(emulator, job, audio=job.model in WITH_AUDIO)
    video, cover = (emulator.origin + path for path in job.files)
    return {"taskid": job.id, "status": "SUCCEEDED", "video": video, "image": cover,
            "usage": {"action": "t2v", "credits": 10, "model": job.body.get("model") or job.model,
                      "duration": int(job.body.get("duration") or 5)}}


def publish_video(emulator, job, *, audio: bool) -> list[str]:
    """Make the job's mp4 (cut short for the "corrupt" outcome) and a cover; their CDN paths."""
    from .media import make_mp4, make_png

    settings = emulator.video
    with tempfile.TemporaryDirectory() as folder:
        path = make_mp4(Path(folder) / "video.mp4", width=settings["width"],
                        height=settings["height"], seconds=settings["seconds"],
                        fps=settings["fps"], audio=audio)
        data = Path(path).read_bytes()
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
    route("opencomputing", "POST", r"/llmage/video", submit),
    route("opencomputing", "GET", r"/llmage/tasks", tasks),
    route("opencomputing", "POST", r"/llmage/tasks", tasks),
]
