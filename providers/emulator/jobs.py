"""The emulator's async jobs: a timeline (queued, then running, then an outcome), the result
files they produce, and the outcomes tests script for the next jobs."""
from __future__ import annotations

import hashlib
import threading
import time
import uuid
from dataclasses import dataclass, field

OUTCOMES = ("success", "failed", "blocked", "empty", "expired", "html", "black", "corrupt")


@dataclass
class EmuJob:
    id: str
    gateway: str
    model: str
    body: dict
    outcome: str
    queue_seconds: float
    run_seconds: float
    created: float = field(default_factory=time.monotonic)
    cancelled: bool = False
    files: list[str] = field(default_factory=list)

    def phase(self) -> tuple[str, float]:
        """("queued" | "running" | "done" | "cancelled", fraction of the current phase)."""
        if self.cancelled:
            return "cancelled", 1.0
        elapsed = time.monotonic() - self.created
        if elapsed < self.queue_seconds:
            return "queued", elapsed / self.queue_seconds
        if elapsed < self.queue_seconds + self.run_seconds:
            return "running", (elapsed - self.queue_seconds) / max(self.run_seconds, 1e-6)
        return "done", 1.0


class JobBook:
    """Jobs and files of one emulator. Tests set timing and script outcomes."""

    def __init__(self):
        self.jobs: dict[str, EmuJob] = {}
        self.files: dict[str, tuple[bytes, str]] = {}
        self.queue_seconds = 0.05
        self.run_seconds = 0.1
        self.image_longest = 96  # result images' longer side (small, for fast tests)
        self._outcomes: list[str] = []
        self.durations: dict[str, tuple[float, float]] = {}  # prompt -> (queue, run) seconds
        self._lock = threading.Lock()
        self._publishing = threading.Lock()

    def next_outcomes(self, *outcomes: str) -> None:
        for outcome in outcomes:
            assert outcome in OUTCOMES, outcome
        with self._lock:
            self._outcomes.extend(outcomes)

    def create(self, gateway: str, model: str, body: dict, job_id: str | None = None) -> EmuJob:
        with self._lock:
            outcome = self._outcomes.pop(0) if self._outcomes else "success"
            queue, run = self.durations.get(str(body.get("prompt")),
                                            (self.queue_seconds, self.run_seconds))
            job = EmuJob(job_id or f"req-{uuid.uuid4().hex[:16]}", gateway, model, body, outcome,
                         queue, run)
            self.jobs[job.id] = job
        return job

    def add_file(self, name: str, data: bytes, content_type: str) -> str:
        with self._lock:
            self.files[name] = (data, content_type)
        return f"/cdn/{name}"

    def image_results(self, job: EmuJob, origin: str, size: tuple[int, int], count: int = 1
                      ) -> list[str]:
        """Make (once) and publish the job's result images; returns their URLs."""
        from .media import make_png

        with self._publishing:  # two polls of one job at once publish its files once
            if not job.files:
                for index in range(count):
                    color = (0, 0, 0) if job.outcome == "black" else _color(job, index)
                    job.files.append(self.add_file(f"{job.id}_{index}.png",
                                                   make_png(*size, color), "image/png"))
        return [origin + path for path in job.files]

    def serve(self, name: str, job_outcomes: dict[str, str]):
        """(status, body, content type) for a CDN path, honouring 'expired' and 'html'."""
        job_id = name.rsplit("_", 1)[0]
        outcome = job_outcomes.get(job_id)
        if outcome == "expired":
            return 403, b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>", "application/xml"
        if outcome == "html":
            return 200, b"<html><body>Link expired</body></html>", "text/html"
        found = self.files.get(name)
        if found is None:
            return 404, b"not found", "text/plain"
        return 200, found[0], found[1]


def _color(job: EmuJob, index: int) -> tuple[int, int, int]:
    digest = hashlib.sha256(f"{job.body.get('prompt')}|{job.body.get('seed')}|{job.id}|{index}"
                            .encode()).digest()
    return 40 + digest[0] % 200, 40 + digest[1] % 200, 40 + digest[2] % 200


def ratio_size(ratio: str | None, longest: int) -> tuple[int, int]:
    """A small image size with the given aspect ratio ("16:9"); square when unknown."""
    try:
        w, h = (float(x) for x in str(ratio).split(":"))
    except ValueError:
        return longest, longest
    if w >= h:
        return longest, max(2, round(longest * h / w))
    return max(2, round(longest * w / h)), longest
