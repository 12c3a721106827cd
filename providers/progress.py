"""One status line (and a 0..1 fraction) for a set of jobs: what the node shows while waiting."""
from __future__ import annotations

from .gateways import GATEWAYS
from .tasks import Job, State

# Where a job without gateway progress is shown to be on the bar.
STATE_FRACTION = {State.QUEUED: 0.05, State.RUNNING: 0.15, State.SUCCEEDED: 1.0,
                  State.FAILED: 1.0, State.CANCELLED: 1.0}


def clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else \
        f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def job_fraction(job: Job) -> float:
    if job.state is State.RUNNING and job.progress is not None:
        return 0.15 + 0.85 * max(0.0, min(1.0, job.progress))
    return STATE_FRACTION.get(job.state, 0.0)


def job_text(job: Job) -> str:
    if job.state is State.QUEUED:
        # a position of 0 is no position (SeaCloud sends a fixed 0), and neither is a negative
        position = job.queue_position
        return f"in queue, position {position}" if position and position > 0 else "in queue"
    if job.state is State.RUNNING:
        return f"running {job.progress:.0%}" if job.progress is not None else "running"
    if job.state is State.SUCCEEDED:
        return "done" if job.files else "downloading"
    return job.state.value


def summarize(jobs: list[Job], elapsed: float) -> tuple[str, float]:
    first = jobs[0]
    head = f"{GATEWAYS[first.gateway].title} {first.label}"
    if len(jobs) == 1:
        body = job_text(first)
    else:
        counts: dict[str, int] = {}
        for job in jobs:
            key = job_text(job).split(",")[0].split(" ")[0]
            counts[key] = counts.get(key, 0) + 1
        body = ", ".join(f"{n} {what}" for what, n in counts.items()) + f" (of {len(jobs)})"
    timing = clock(elapsed)
    estimate = max((job.estimate or 0 for job in jobs), default=0)
    if estimate:
        timing += f" of ~{clock(estimate)}"
    fraction = sum(job_fraction(job) for job in jobs) / len(jobs)
    return f"{head}: {body} · {timing}", fraction
