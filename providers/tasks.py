"""One task model for every async gateway: a Job is one paid generation (id, normalized state,
progress, result URLs, kept files, usage); a Task is what flows between nodes (one or more Jobs).
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from enum import Enum


SEED_MAX = 2**31 - 1  # some gateways parse the seed as a 32-bit int


class State(str, Enum):
    SUBMITTING = "submitting"  # journal only: a submit is in flight
    UNKNOWN = "unknown"        # journal only: a submit got no clear answer; it may have been accepted
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (State.SUCCEEDED, State.FAILED, State.CANCELLED)


@dataclass
class Status:
    """What one poll of a gateway said, normalized."""
    state: State
    progress: float | None = None        # 0..1 where the gateway says
    queue_position: int | None = None
    message: str = ""                     # the gateway's reason, on failure
    result_urls: list[str] = field(default_factory=list)
    usage: dict = field(default_factory=dict)
    cover_url: str | None = None
    raw: dict = field(default_factory=dict)


@dataclass
class Job:
    gateway: str          # "seacloud", "gptunnel", "opencomputing"
    operation: str        # which protocol polls it: "seacloud_queue", "seedream3", ...
    task_id: str
    fingerprint: str
    label: str            # what the user picked, e.g. the model id
    kind: str             # "image", "video", or "text" for a chat answer
    handles: dict = field(default_factory=dict)  # e.g. SeaCloud's status/response/cancel URLs
    state: State = State.QUEUED
    progress: float | None = None
    queue_position: int | None = None
    message: str = ""
    result_urls: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    files_host: str = ""  # the host whose disk holds `files` (files stay per host in a farm)
    usage: dict = field(default_factory=dict)
    cover_url: str | None = None
    cover_file: str | None = None
    estimate: float | None = None  # typical seconds to finish, for the progress line
    by_id: bool = False            # picked up by its id (Gateway Task From Id), not submitted here
    text: str = ""                 # a chat answer (kind "text")
    prompt: str = ""               # the start of what was asked, for the Tasks panel
    run: str = ""                  # the ComfyUI prompt (run) that made it, for the Tasks panel
    shot: int | None = None        # its item in a list the node was run over (a film's shot)
    shots: int = 0                 # how many items that list had
    raw: dict = field(default_factory=dict)
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)

    def apply(self, status: Status) -> None:
        self.state = status.state
        self.progress = status.progress
        self.queue_position = status.queue_position
        self.message = status.message or self.message
        self.result_urls = status.result_urls or self.result_urls
        self.usage = status.usage or self.usage
        self.cover_url = status.cover_url or self.cover_url
        self.raw = status.raw or self.raw
        self.updated_at = time.time()

    def to_dict(self) -> dict:
        data = asdict(self)
        data["state"] = self.state.value
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Job":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["state"] = State(known.get("state", "queued"))
        return cls(**known)


@dataclass
class Task:
    """The GATEWAY_TASK value: the jobs one submit node started (count > 1 gives several)."""
    jobs: list[Job]
    # When the submit node asked for them: a job made before that was journalled by an earlier
    # run and is reused, not paid again. 0 for jobs picked up by their id.
    asked_at: float = 0.0
    # A shot of a list whose submit failed while the other shots' went through: the await
    # node raises it, so the others are awaited and kept in the same run.
    error: Exception | None = None

    @property
    def kind(self) -> str:
        return self.jobs[0].kind

    def __repr__(self) -> str:
        if self.error is not None:
            return f"Task(failed: {self.error})"
        ids = ", ".join(f"{j.gateway}:{j.task_id}" for j in self.jobs)
        return f"Task({ids})"
