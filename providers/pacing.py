"""When to poll a job next: sparsely while it cannot be done yet, densely around the time its
model usually takes, then backing off slowly for a job that is overdue. The gateways document
no refresh period to follow (see docs/GATEWAYS.md), so the job's own typical duration leads."""
from __future__ import annotations

import os

FLOOR = 2.0          # seconds: at least one poll per 2 s around the expected finish
LONGEST = 30.0       # seconds: the sparsest polling, early in a long job or long overdue
DENSE_FROM = 0.7     # of the typical duration: where dense polling starts
OVERDUE_FROM = 1.5   # of the typical duration: where an overdue job is polled less often
BACKOFF = 0.1        # seconds added to the interval per second overdue
TYPICAL = {"image": 20.0, "video": 120.0, "any": 30.0}  # when the catalog gives no estimate


def typical(job_estimate: float | None, kind: str) -> float:
    return job_estimate if job_estimate and job_estimate > 0 else TYPICAL.get(kind, 30.0)


def next_poll_in(elapsed: float, estimate: float) -> float:
    """Seconds from now to the next poll of a job `elapsed` seconds old."""
    dense_from = DENSE_FROM * estimate
    if elapsed < dense_from:
        interval = (dense_from - elapsed) / 2
    else:
        interval = FLOOR + BACKOFF * max(0.0, elapsed - OVERDUE_FROM * estimate)
    return min(LONGEST, max(FLOOR, interval)) * poll_scale()


def poll_scale() -> float:
    """MODEL_GATEWAY_POLL_SCALE multiplies every poll interval (tests use a small one); the
    sandbox answers locally, so it is polled 4x faster."""
    from .credentials import sandbox_enabled
    try:
        scale = float(os.environ.get("MODEL_GATEWAY_POLL_SCALE", ""))
    except ValueError:
        scale = 0.25 if sandbox_enabled() else 1.0
    return max(0.001, scale)
