"""Who is asking: a request's fingerprint, and the worker (host, process, start time) that
holds a claim or made a job. Plain Python: no database needed to compute either."""
from __future__ import annotations

import hashlib
import json
import os
import socket
import time
import uuid

_worker: tuple[int, str] | None = None  # (pid, id): a forked child is another worker


def fingerprint(request: dict) -> str:
    """A stable hash of everything that defines a request (gateway, model, every parameter,
    hashes of input images, seed, job index)."""
    canonical = json.dumps(request, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


NAME_VAR = "MODEL_GATEWAY_WORKER_NAME"


def host_name() -> str:
    """This worker's machine as the farm names it: MODEL_GATEWAY_WORKER_NAME (containers often
    get random host names), else the host name."""
    name = os.environ.get(NAME_VAR, "").strip() or socket.gethostname()
    return name.replace(":", "_")[:100]


def worker_id() -> str:
    """This worker: host, process and when it started (a pid is reused; host:pid:start is not)."""
    global _worker
    pid = os.getpid()
    if _worker is None or _worker[0] != pid:
        _worker = (pid, f"{host_name()}:{pid}:{int(time.time())}")
    return _worker[1]


def new_owner() -> str:
    """A claim's holder: this worker and a unique part (one worker makes many claims)."""
    return f"{worker_id()}:{uuid.uuid4().hex[:12]}"


def who(holder: str | None) -> str:
    """A worker or a claim's holder, as the user should read it."""
    host, _, rest = (holder or "").partition(":")
    pid = rest.partition(":")[0]
    return f"process {pid} on {host}" if pid else "an earlier run"


def host_of(worker: str | None) -> str:
    return (worker or "").partition(":")[0]
