"""What benchmarks/farm.py, journal_cost.py and soak.py share: the pack loaded as ComfyUI loads
it, the emulator in the benchmark's own process with every gateway's key and base URL in the
workers' environment (as tests/conftest.py's `emulator` fixture sets them), a fresh PostgreSQL
database per run (created and dropped here; the server itself is the caller's), worker
processes that run real node paths (SeaCloud Submit → Gateway Await Images) several at once in
one event loop, and /proc readings of a process's memory, threads and open files.

Not a benchmark itself. `python3 benchmarks/_farm_kit.py worker SPEC.json` is how a worker
process runs (the benchmarks start it; see worker_main for what SPEC holds)."""
from __future__ import annotations

import asyncio
import importlib
import json
import os
import queue
import secrets
import signal
import subprocess
import sys
import threading
import time
import traceback
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import pack_loader  # noqa: E402

PACK_NAME = "model_gateway_nodes_bench"
MODEL = "nano_banana_2"
CREATE_PATH = f"/model/v1/queue/{MODEL}"  # the emulator's path of a SeaCloud queue create
POSTGRES_VAR = "MODEL_GATEWAY_TEST_POSTGRES_URL"
KEYS = {  # the keys the emulator accepts, one per gateway (as tests/conftest.py)
    "seacloud": "sk-sea-BENCHKEY-7f3a9c1d2e",
    "gptunnel": "gpt-BENCHKEY-55aa11bb22",
    "cloudbase": "cb-BENCHKEY-0a1b2c3d4e",
    "opencomputing": "oc-BENCHKEY-9z8y7x6w5v",
}


def load_pack():
    return pack_loader.load_pack(PACK_NAME)


def module(name: str):
    load_pack()
    return importlib.import_module(f"{PACK_NAME}.{name}")


# -- PostgreSQL: a fresh database per run --------------------------------------------------------

def postgres_url(given: str | None) -> str:
    """The server to use: --postgres, else MODEL_GATEWAY_TEST_POSTGRES_URL, as an SQLAlchemy
    URL (postgresql+psycopg://...). The benchmarks never start a database server."""
    url = (given or os.environ.get(POSTGRES_VAR, "")).strip()
    if not url:
        raise SystemExit(f"a PostgreSQL server is needed: --postgres postgresql+psycopg://"
                         f"user@127.0.0.1:PORT/DB (or {POSTGRES_VAR})")
    scheme, rest = url.split("://", 1)
    if scheme in ("postgresql", "postgres"):
        url = "postgresql+psycopg://" + rest
    return url


def _libpq(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@contextmanager
def fresh_database(url: str, label: str):
    """A new, empty database on the server at `url` (created with psycopg in autocommit), its
    SQLAlchemy URL yielded; dropped at the end, whoever is still connected."""
    import psycopg

    name = f"mg_{label}_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(_libpq(url), autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(url, name)
    finally:
        with psycopg.connect(_libpq(url), autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def open_shared(url: str):
    """The pack's Journal on a database URL, opened directly (open_journal would first carry
    a data directory's SQLite journal into it)."""
    database = module("providers.journal.database")
    store = module("providers.journal.store")
    return store.Journal(database.place(Path("/nonexistent-data-dir"), url))


# -- the emulator --------------------------------------------------------------------------------

def start_emulator(queue_seconds: float, run_seconds: float):
    emulator = module("providers.emulator").Emulator(keys=dict(KEYS)).start()
    server = emulator._server
    shown = server.handle_error

    def handle_error(request, client_address):
        # A killed worker's connections end in resets; anything else is still printed.
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            shown(request, client_address)
    server.handle_error = handle_error
    emulator.stream_delay = 0.002
    set_timing(emulator, queue_seconds, run_seconds)
    return emulator


def set_timing(emulator, queue_seconds: float, run_seconds: float) -> None:
    emulator.jobs.queue_seconds, emulator.jobs.run_seconds = queue_seconds, run_seconds


def gateway_env(emulator, *, poll_scale: float, timeout_scale: float | None = None) -> dict:
    """The environment of a worker pointed at the emulator (no MODEL_GATEWAY_* setting of the
    caller's leaks in; each worker adds its own data directory and the journal URL)."""
    os.environ.pop("MODEL_GATEWAY_SANDBOX", None)  # this process computes fingerprints too
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODEL_GATEWAY_")}
    for gateway in module("providers.gateways").GATEWAYS.values():
        env[gateway.key_var] = KEYS[gateway.id]
        for role, endpoint in gateway.endpoints.items():
            env[endpoint.url_var] = emulator.base_url(gateway.id, role)
    env["CLOUDBASE_ENV_ID"] = "env-bench-1"
    env["MODEL_GATEWAY_POLL_SCALE"] = str(poll_scale)
    if timeout_scale is not None:
        env["MODEL_GATEWAY_TIMEOUT_SCALE"] = str(timeout_scale)
    return env


def creates(emulator) -> list:
    """The SeaCloud queue creates the emulator handled (the gateway did the work: paid)."""
    return [r for r in emulator.calls("seacloud", CREATE_PATH) if r.handled and r.method == "POST"]


def emulator_jobs_by_prompt(emulator) -> dict[str, list]:
    made: dict[str, list] = {}
    for job in list(emulator.jobs.jobs.values()):
        made.setdefault(str(job.body.get("prompt")), []).append(job)
    return made


def expected_pixel(emu_job) -> list[int]:
    return list(module("providers.emulator.jobs")._color(emu_job, 0))


def fingerprint_of(prompt: str, seed: int) -> str:
    """The journal fingerprint SeaCloud Submit gives (prompt, seed) with params_json "{}" and
    count 1: built by the pack's own seacloud.queue_create, as the node builds it."""
    seacloud = module("providers.seacloud")
    model = module("providers.catalog").queue_model(MODEL)
    create = seacloud.queue_create(None, model_id=MODEL, kind=model.kind,
                                   body={"prompt": prompt}, seed=seed,
                                   seed_field=model.seed_field,
                                   identity={"params": {}, "prompt": prompt, "images": [],
                                             "image_field": model.image_field})
    return create.fingerprint(0)


# -- /proc ---------------------------------------------------------------------------------------

def machine() -> str:
    """The conditions of a run, for its printout: cores and the load average (from /proc)."""
    try:
        with open("/proc/loadavg") as f:
            load = f.read().split()[0]
    except OSError:
        load = "?"
    return f"{os.cpu_count()} cores, load average {load} (1 min)"


def proc_sample(pid: int, ports: dict[str, int] | None = None) -> dict:
    """Resident memory (kB), threads and open file descriptors of a live process; with
    `ports` ({name: remote TCP port}), its fds also sorted by kind ("kinds"): sockets to each
    named port, other sockets, pipes, files, other."""
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    sample = {"rss_kb": int(fields["VmRSS"].split()[0]), "threads": int(fields["Threads"]),
              "fds": len(os.listdir(f"/proc/{pid}/fd"))}
    if ports is not None:
        sample["kinds"] = fd_kinds(pid, ports)
    return sample


def fd_kinds(pid: int, ports: dict[str, int]) -> dict[str, int]:
    remote = {}  # socket inode -> remote port, from the process's view of the TCP tables
    for table in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{table}") as lines:
                next(lines)
                for line in lines:
                    cols = line.split()
                    remote[cols[9]] = int(cols[2].rsplit(":", 1)[1], 16)
        except OSError:
            pass
    names = {port: name for name, port in ports.items()}
    kinds: dict[str, int] = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            port = remote.get(target[8:-1])
            kind = names.get(port, "other sockets")
        elif target.startswith("pipe:["):
            kind = "pipes"
        elif target.startswith("/"):
            kind = "files"
        else:
            kind = "other"
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


# -- worker processes, seen from the benchmark ----------------------------------------------------

class Worker:
    """One worker process: its own data directory, the farm's journal, jobs from a spec file.
    It speaks JSON lines on stdout ({"event": ...}) and waits for a word on stdin at each
    handshake; each job's outcome is appended to spec["results"] as one JSON line."""

    def __init__(self, name: str, folder: Path, env: dict, spec: dict, incarnation: int = 0,
                 script: Path | None = None):
        """script: the program to run as `python3 SCRIPT --child SPEC` (default: this file's
        `worker SPEC`)."""
        self.name, self.incarnation = name, incarnation
        folder.mkdir(parents=True, exist_ok=True)
        spec_path = folder / f"spec-{incarnation}.json"
        spec_path.write_text(json.dumps(spec))
        self.log_path = folder / f"stderr-{incarnation}.log"
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, str(script), "--child", str(spec_path)] if script else
            [sys.executable, str(Path(__file__).resolve()), "worker", str(spec_path)],
            env={**env, "MODEL_GATEWAY_DATA_DIR": str(folder / "data"),
                 "MODEL_GATEWAY_KEYS_FILE": str(folder / "keys.json")},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True, bufsize=1)
        self.pid = self.process.pid
        self.events: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict) and "event" in message:
                self.events.put(message)
        self.events.put({"event": "exited"})

    def expect(self, event: str, timeout: float) -> dict:
        ends = time.monotonic() + timeout
        while True:
            try:
                message = self.events.get(timeout=max(0.01, ends - time.monotonic()))
            except queue.Empty:
                raise SystemExit(f"worker {self.name} sent no {event!r} within {timeout:.0f} s; "
                                 f"see {self.log_path}") from None
            if message["event"] == event:
                return message
            if message["event"] == "exited":
                raise SystemExit(f"worker {self.name} ended (code {self.process.wait()}) before "
                                 f"{event!r}:\n{self.stderr_tail()}")

    def say(self, word: str) -> None:
        self.process.stdin.write(word + "\n")
        self.process.stdin.flush()

    def sample(self, ports: dict[str, int] | None = None) -> dict:
        return proc_sample(self.pid, ports)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self._log.close()

    def finish(self, timeout: float = 60) -> int:
        self.say("exit")
        code = self.process.wait(timeout)
        self._log.close()
        return code

    def stop(self) -> None:
        if self.process.poll() is None:
            self.kill()

    def stderr_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def read_results(path: Path) -> list[dict]:
    """The outcome lines a worker wrote (a line cut by a SIGKILL is skipped)."""
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            pass
    return rows


def count_lines(path: Path) -> int:
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


# -- the worker process itself --------------------------------------------------------------------

def worker_main(spec_path: str) -> int:
    """spec: jobs [{key, prompt, seed}] in the order to start them, concurrency (jobs at once),
    reruns (runs a user makes of a job that ended in an error), timeout (Gateway Await Images'
    timeout), hang (seconds one run may take before it counts as hung), results (file),
    warm (after this many jobs: settle and wait for a word, 0 = no pause)."""
    spec = json.loads(Path(spec_path).read_text())
    pack = load_pack()
    import torch  # noqa: F401  (ComfyUI has it loaded; not counted in any run)
    module("nodes.media")
    journal_pkg = module("providers.journal")
    module("nodes.comfy").journal()  # opened (and its schema made) before the clock starts
    GatewayError = module("providers.errors").GatewayError
    classes = pack.NODE_CLASS_MAPPINGS
    say("ready", worker=journal_pkg.worker_id(), pid=os.getpid())
    wait_word()
    results = os.open(spec["results"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    worker = journal_pkg.worker_id()

    async def attempt(job):
        task = (await classes["SeaCloudSubmit"]().submit(
            model_id=MODEL, prompt=job["prompt"], params_json="{}", seed=job["seed"],
            count=1))[0]
        out = await classes["GatewayAwaitImages"]().wait(task=task, timeout=spec["timeout"])
        images, _urls, usage = out["result"]
        usage = json.loads(usage)
        return {"task_id": usage["tasks"][0]["task_id"], "fingerprint": task.jobs[0].fingerprint,
                "pixel": [round(float(v) * 255) for v in images[0, 0, 0]],
                "reused": bool(usage.get("reused"))}

    async def as_a_user(job) -> None:
        record = {"key": job["key"], "prompt": job["prompt"], "seed": job["seed"],
                  "worker": worker, "pid": os.getpid(), "started": time.time()}
        outcome = None
        for run in range(1, spec["reruns"] + 1):
            record["attempts"] = run
            future = asyncio.ensure_future(attempt(job))
            done, _ = await asyncio.wait({future}, timeout=spec["hang"])
            if not done:
                future.cancel()
                outcome = {"outcome": "hung"}
                break
            error = future.exception()
            if error is None:
                outcome = {"outcome": "result", **future.result()}
                break
            text = str(error)
            outcome = {"error_type": type(error).__name__, "error": text[:1500],
                       "gateway_error": isinstance(error, GatewayError),
                       "unknown": "may have been accepted" in text}
            if isinstance(error, (GatewayError, ValueError)):
                outcome["outcome"] = "clear"  # the user reads it and presses Queue again
                continue
            outcome["outcome"] = "unclear"
            sys.stderr.write(f"unclear outcome of {job['key']}:\n" + "".join(
                traceback.format_exception(type(error), error, error.__traceback__)))
            break
        record.update(outcome, ended=time.time())
        os.write(results, (json.dumps(record) + "\n").encode())

    async def run_all():
        gate = asyncio.Semaphore(spec["concurrency"])

        async def one(job) -> None:  # the outcome is in the file; none is kept in memory
            async with gate:
                await as_a_user(job)

        jobs, warm = spec["jobs"], spec.get("warm", 0)
        if warm:
            await asyncio.gather(*(one(job) for job in jobs[:warm]))
            _settle()
            say("warm", pid=os.getpid())
            wait_word()
            jobs = jobs[warm:]
        await asyncio.gather(*(one(job) for job in jobs))
        # At rest, with the event loop still open (as at "warm"), for a like reading.
        finished_at = time.time()
        _settle()
        say("done", finished_at=finished_at, pid=os.getpid())
        wait_word()

    asyncio.run(run_all())
    return 0


def _settle(longest: float = 15.0) -> None:
    """Before a reading of threads and memory: let sends and polls still under way (a late
    answer, a stalled download, a claim's heartbeat) end, then collect garbage, so that two
    readings at rest compare like with like. A thread that outlives `longest` is counted."""
    import gc
    ends = time.monotonic() + longest
    while time.monotonic() < ends and any(
            t.name.startswith("model-gateway") for t in threading.enumerate()):
        time.sleep(0.05)
    gc.collect()


def say(event: str, **fields) -> None:
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


def wait_word() -> str:
    line = sys.stdin.readline()
    if not line:
        os._exit(3)  # the benchmark is gone: end without waiting for anything
    return line.strip()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "worker":
        sys.exit(worker_main(sys.argv[2]))
    raise SystemExit(__doc__)
