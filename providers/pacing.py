"""When to poll a job next: densely around the time its model usually takes, sparser before
and long after — but never sparser than AGE_SHARE of the job's age, so a job that ends far
earlier than typical is still seen within a small share of its age (a 60 s job within about
2.75 s) and the number of polls grows only with the logarithm of a job's length. The gateways
document no refresh period to follow, so the job's own typical duration and age lead."""
from __future__ import annotations

import os

FLOOR = 2.0          # seconds: at least one poll per 2 s around the expected finish
LONGEST = 30.0       # seconds: the sparsest polling, early in a long job or long overdue
DENSE_FROM = 0.7     # of the typical duration: where dense polling starts
OVERDUE_FROM = 1.5   # of the typical duration: where an overdue job is polled less often
BACKOFF = 0.1        # seconds added to the interval per second overdue
AGE_SHARE = 1 / 80   # the interval is at most FLOOR + this share of the job's age
FIRST = 1.0          # seconds: the first poll of a job just submitted (none at once: it
                     # cannot be done yet; not later: a short job is seen soon)
TYPICAL = {"image": 20.0, "video": 120.0, "any": 30.0}  # when the catalog gives no estimate


def typical(job_estimate: float | None, kind: str) -> float:
    return job_estimate if job_estimate and job_estimate > 0 else TYPICAL.get(kind, 30.0)


def first_poll_in() -> float:
    return FIRST * poll_scale()


def next_poll_in(elapsed: float, estimate: float) -> float:
    """Seconds from now to the next poll of a job `elapsed` seconds old."""
    dense_from = DENSE_FROM * estimate
    if elapsed < dense_from:
        interval = (dense_from - elapsed) / 2
    else:
        interval = FLOOR + BACKOFF * max(0.0, elapsed - OVERDUE_FROM * estimate)
    interval = min(interval, FLOOR + AGE_SHARE * elapsed, LONGEST)
    return max(FLOOR, interval) * poll_scale()


def poll_scale() -> float:
    """MODEL_GATEWAY_POLL_SCALE multiplies every poll interval (tests use a small one); the
    sandbox answers locally, so it is polled 4x faster."""
    from .credentials import sandbox_enabled
    try:
        scale = float(os.environ.get("MODEL_GATEWAY_POLL_SCALE", ""))
    except ValueError:
        scale = 0.25 if sandbox_enabled() else 1.0
    return max(0.001, scale)
