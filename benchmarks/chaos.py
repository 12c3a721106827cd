"""The pack's own chaos test: every paid operation, a bounded batch of requests, against the
emulator misbehaving at random (5xx, 429, resets before and after the work, truncated and
non-JSON answers, slow and late answers, cut and stalled streams — on every gateway and on the
result files), each request re-run as a user would after an error.

Run: python3 benchmarks/chaos.py [--requests 6] [--rate 0.2] [--seed 1]

Per operation it prints:
  completed  the user got the right result (after any re-runs)
  clear      it ended in a GatewayError or ValueError that says what happened and what to do
  unknown    of those, how many said the request may have been accepted (told where to look)
  unclear    it ended in any other exception: a defect
  hung       a run did not end within HANG_SECONDS: a defect
  lost       the gateway made a job for the request that then ended well, yet the user got
             neither its result nor a word that it may exist: a defect
  duplicate  paid creates beyond the first for one request: a defect
  wrong      a result that is not the one the gateway made for this request: a defect

A user re-runs after any error, the same request (same seed), up to RERUNS times in all —
also after an "unknown" answer, where the pack must refuse rather than pay again.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import pack_loader  # noqa: E402

RERUNS = 4
HANG_SECONDS = 60.0
DEFECTS = ("unclear", "hung", "lost", "duplicate", "wrong")


@dataclass
class Operation:
    name: str
    gateway: str     # the emulator's name for where its create goes
    create: str      # a path fragment of the create request
    run: object      # (nodes, prompt) -> result
    check: object    # (emulator, prompt, result) -> True when it is this request's result


@dataclass
class Tally:
    completed: int = 0
    clear: int = 0
    unknown: int = 0
    unclear: int = 0
    hung: int = 0
    lost: int = 0
    duplicate: int = 0
    wrong: int = 0
    examples: list[str] = field(default_factory=list)


def operations(pack) -> list[Operation]:
    chat_compose = _module(pack, "providers.emulator.chat").compose
    sampling = dict(system_prompt="", temperature=0.5, top_p=0.9, max_tokens=100, seed=1)

    def chat(node, gateway, model, **extra):
        def run(nodes, prompt):
            return nodes[node]().chat(model=model, prompt=prompt, **sampling, **extra)["result"]

        def check(emulator, prompt, result):
            return result[0] == chat_compose(gateway, model, prompt, 0, 1)
        return run, check

    def await_images(nodes, task):
        return nodes["GatewayAwaitImages"]().wait(task, 60)["result"]

    def image_task(submit):
        def run(nodes, prompt):
            return await_images(nodes, submit(nodes, prompt))

        def check(emulator, prompt, result):
            return _pixels_of_this_request(emulator, pack, prompt, result[0], result[2])
        return run, check

    def video_task(submit):
        def run(nodes, prompt):
            task = submit(nodes, prompt)
            return nodes["GatewayAwaitVideo"]().wait(task, 60, 0, 1, 256)["result"]

        def check(emulator, prompt, result):
            return result[0].shape[0] > 0 and _task_of_this_request(emulator, prompt, result[5])
        return run, check

    video = dict(duration=0, resolution="default", ratio="default", size="default",
                 negative_prompt="", off_peak=False, seed=1)
    ops = [
        Operation("SeaCloud chat", "seacloud", "/chat/completions",
                  *chat("SeaCloudLLM", "seacloud", "gpt-4.1", protocol="chat_completions",
                        stream=False)),
        Operation("SeaCloud chat (stream)", "seacloud", "/chat/completions",
                  *chat("SeaCloudLLM", "seacloud", "gpt-4.1", protocol="chat_completions",
                        stream=True)),
        Operation("SeaCloud Anthropic (stream)", "seacloud", "/v1/messages",
                  *chat("SeaCloudLLM", "seacloud", "claude-sonnet-4-5",
                        protocol="anthropic_messages", stream=True)),
        Operation("SeaCloud Responses (stream)", "seacloud", "/responses",
                  *chat("SeaCloudLLM", "seacloud", "gpt-4.1", protocol="responses",
                        stream=True)),
        Operation("CloudBase chat (stream)", "cloudbase", "/chat/completions",
                  *chat("CloudBaseLLM", "cloudbase", "hy3-preview", provider="cloudbase",
                        stream=True)),
        Operation("OpenComputing chat", "opencomputing", "/chat/completions",
                  *chat("OpenComputingLLM", "opencomputing", "qwen3-max", stream=False)),
        Operation("SeaCloud queue image", "seacloud", "/v1/queue/nano_banana_2",
                  *image_task(lambda nodes, prompt: nodes["SeaCloudSubmit"]().submit(
                      model_id="nano_banana_2", prompt=prompt, params_json="{}", seed=1,
                      count=1)[0])),
        Operation("GPTunnel Seedream 3", "gptunnel", "/v1/media/create",
                  *image_task(lambda nodes, prompt: nodes["GPTunnelSeedream3Submit"]().submit(
                      prompt=prompt, ar="1:1", seed=1, count=1)[0])),
        Operation("GPTunnel Seedream 4", "gptunnel", "/v1/media/generate",
                  lambda nodes, prompt: nodes["GPTunnelSeedream4"]().generate(
                      prompt=prompt, size="1K", aspect_ratio="1:1", seed=1, count=1)["result"],
                  lambda emulator, prompt, result: _pixels_of_this_request(
                      emulator, pack, prompt, result[0], result[1])),
        Operation("OpenComputing text to video", "opencomputing", "/llmage/video",
                  *video_task(lambda nodes, prompt: nodes["OpenComputingTextToVideo"]().submit(
                      model="Seedance 2.0 (Doubao)", prompt=prompt, **video)[0])),
    ]
    return ops


def run_chaos(pack, emulator, *, requests: int, rate: float, seed: int,
              names: list[str] | None = None, **mix) -> dict[str, Tally]:
    """Run every operation `requests` times under the fault mix; the emulator must be set up
    as the pack's gateway (environment) already."""
    GatewayError = _module(pack, "providers.errors").GatewayError
    nodes = pack_loader.SyncNodes(pack.NODE_CLASS_MAPPINGS)
    results = {}
    for number, op in enumerate(operations(pack)):
        if names and op.name not in names:
            continue
        tally = Tally()
        for index in range(requests):
            prompt = f"chaos {seed} {number} {index} of {op.name}"
            emulator.chaos(rate, seed * 1000 + number * 100 + index, **mix)
            outcome = _as_a_user(op, nodes, prompt, GatewayError)
            emulator.faults.clear()
            _settle(emulator)
            _tally(tally, op, emulator, prompt, outcome)
        results[op.name] = tally
    return results


def _as_a_user(op, nodes, prompt, GatewayError):
    """("completed", result) | ("clear", error) | ("unknown", error) | ("unclear", error)
    | ("hung", None), after up to RERUNS runs."""
    outcome = None
    for _ in range(RERUNS):
        box: dict = {}

        def attempt():
            try:
                box["result"] = op.run(nodes, prompt)
            except BaseException as exc:  # sorted below
                box["error"] = exc

        worker = threading.Thread(target=attempt, daemon=True)
        worker.start()
        worker.join(HANG_SECONDS)
        if worker.is_alive():
            return "hung", None
        if "result" in box:
            return "completed", box["result"]
        error = box["error"]
        if not isinstance(error, (GatewayError, ValueError)):
            return "unclear", error
        # The user reads the message, and presses Queue again all the same: a re-run after
        # "may have been accepted" must refuse, not pay again.
        outcome = ("unknown" if "may have been accepted" in str(error) else "clear", error)
    return outcome


def _settle(emulator, seconds: float = 3.0) -> None:
    """Let answers still under way (a late reply the client gave up on) reach the emulator's
    books before counting."""
    ends = time.monotonic() + seconds
    while time.monotonic() < ends and any(job.phase()[0] in ("queued", "running")
                                          for job in list(emulator.jobs.jobs.values())):
        time.sleep(0.05)


def _tally(tally: Tally, op, emulator, prompt, outcome) -> None:
    kind, value = outcome
    made = _creates(emulator, op, prompt)
    if len(made) > 1:
        tally.duplicate += len(made) - 1
        tally.examples.append(f"{op.name}: {len(made)} paid creates for one request")
    if kind == "completed":
        tally.completed += 1
        if not op.check(emulator, prompt, value):
            tally.wrong += 1
            tally.examples.append(f"{op.name}: a result that is not this request's")
        return
    if kind == "hung":
        tally.hung += 1
        tally.examples.append(f"{op.name}: a run did not end within {HANG_SECONDS:.0f} s")
        return
    if kind == "unclear":
        tally.unclear += 1
        tally.examples.append(f"{op.name}: {type(value).__name__}: {str(value)[:160]}")
        return
    tally.clear += 1
    if kind == "unknown":
        tally.unknown += 1
        return
    told = "kept" in str(value)  # "the task is kept: run again to keep waiting"
    if made and not told and (op.create.endswith("/completions") or op.create.endswith(
            ("/messages", "/responses")) or _ended_well(emulator, prompt)):
        # Paid and made, and the user was told it failed without a word that it exists.
        tally.lost += 1
        tally.examples.append(f"{op.name}: made by the gateway but reported as "
                              f"{str(value).splitlines()[0][:160]}")


def _creates(emulator, op, prompt) -> list:
    return [record for record in emulator.calls(op.gateway, op.create)
            if record.handled and prompt.encode() in record.body]


def _ended_well(emulator, prompt) -> bool:
    return any(job.body.get("prompt") == prompt and job.outcome == "success"
               for job in emulator.jobs.jobs.values())


def _jobs_of(emulator, prompt) -> list:
    return [job for job in emulator.jobs.jobs.values() if job.body.get("prompt") == prompt]


def _task_of_this_request(emulator, prompt, usage: str) -> bool:
    import json
    ids = {task["task_id"] for task in json.loads(usage).get("tasks", [])}
    return bool(ids) and ids <= {job.id for job in _jobs_of(emulator, prompt)}


def _pixels_of_this_request(emulator, pack, prompt, images, usage: str) -> bool:
    """The image is the one the emulator drew for this request's job."""
    import json
    color_of = _module(pack, "providers.emulator.jobs")._color
    tasks = json.loads(usage).get("tasks", [])
    jobs = {job.id: job for job in _jobs_of(emulator, prompt)}
    if not tasks or any(task["task_id"] not in jobs for task in tasks):
        return False
    expected = color_of(jobs[tasks[0]["task_id"]], 0)
    pixel = [round(float(v) * 255) for v in images[0, 0, 0]]
    return pixel == list(expected)


def _module(pack, name: str):
    import importlib
    return importlib.import_module(f"{pack.__name__}.{name}")


def set_up(pack, emulator, data_dir: Path) -> None:
    """Point the pack at the emulator (the tests' fixture does the same)."""
    gateways = _module(pack, "providers.gateways").GATEWAYS
    os.environ.update({
        "MODEL_GATEWAY_DATA_DIR": str(data_dir),
        "MODEL_GATEWAY_KEYS_FILE": str(data_dir / "keys.json"),
        "MODEL_GATEWAY_POLL_SCALE": "0.02",
        # A 60 s submit timeout becomes 0.6 s, so a "late" answer (2 s) outlasts it.
        "MODEL_GATEWAY_TIMEOUT_SCALE": "0.01",
        "CLOUDBASE_ENV_ID": "env-chaos-1",
    })
    os.environ.pop("MODEL_GATEWAY_SANDBOX", None)
    for gateway in gateways.values():
        os.environ[gateway.key_var] = f"chaos-key-{gateway.id}-0123456789"
        for role, endpoint in gateway.endpoints.items():
            os.environ[endpoint.url_var] = emulator.base_url(gateway.id, role)


def print_table(results: dict[str, Tally], seconds: float) -> None:
    columns = ("completed", "clear", "unknown", "unclear", "hung", "lost", "duplicate", "wrong")
    width = max(len(name) for name in results) + 2
    print("operation".ljust(width) + "".join(c.rjust(10) for c in columns))
    for name, tally in results.items():
        print(name.ljust(width) + "".join(str(getattr(tally, c)).rjust(10) for c in columns))
    totals = {c: sum(getattr(t, c) for t in results.values()) for c in columns}
    print("all".ljust(width) + "".join(str(totals[c]).rjust(10) for c in columns))
    defects = sum(totals[c] for c in DEFECTS)
    runs = sum(totals[c] for c in ("completed", "clear", "unclear", "hung"))
    print(f"\n{runs} requests in {seconds:.0f} s; completed {totals['completed'] / max(runs, 1):.0%}"
          f"; defects (unclear + hung + lost + duplicate + wrong): {defects}")
    for tally in results.values():
        for example in tally.examples[:3]:
            print("  -", example)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=6, help="requests per operation")
    parser.add_argument("--rate", type=float, default=0.2, help="share of requests that fail")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    pack = pack_loader.load_pack("model_gateway_nodes_chaos")
    emulator = _module(pack, "providers.emulator").Emulator().start()
    emulator.jobs.queue_seconds, emulator.jobs.run_seconds = 0.1, 0.2
    try:
        with tempfile.TemporaryDirectory() as folder:
            set_up(pack, emulator, Path(folder))
            started = time.monotonic()
            results = run_chaos(pack, emulator, requests=args.requests, rate=args.rate,
                                seed=args.seed)
            print(f"fault mix: {args.rate:.0%} of all requests, seed {args.seed}, "
                  f"{args.requests} requests per operation, up to {RERUNS} runs each\n")
            print_table(results, time.monotonic() - started)
    finally:
        emulator.stop()
    return 1 if any(getattr(t, c) for t in results.values() for c in DEFECTS) else 0


if __name__ == "__main__":
    sys.exit(main())
