"""How soon a finished task is in hand, and how many polls it took: every async gateway, tasks
of 2, 20 and 60 s, against the emulator with the pack's real pacing (no poll scale).

Run: python3 benchmarks/latency.py [--tasks 5] [--lengths 2 20 60]

All tasks run at once, side by side in one event loop (as ComfyUI runs coroutine nodes), so
the whole run takes about the longest task plus a few seconds (after a warm-up of one short
task per gateway, so that first-use imports are not counted). Per gateway and task length it
prints the median and worst lateness (from the moment the emulator's job was done to the
moment the await node returned its images or frames, download and decode included) and the
median and worst number of status polls per task. The default typical durations of the
catalog are used as they are, so tasks far shorter than typical are in the figures too.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "benchmarks"))
import pack_loader  # noqa: E402

VIDEO = dict(duration=0, resolution="default", ratio="default", size="default",
             negative_prompt="", off_peak=False)


def flows(nodes):
    """gateway -> (submit coroutine factory, await coroutine factory, poll path, id of a poll)"""
    async def seacloud(prompt, seed):
        return (await nodes["SeaCloudSubmit"]().submit(
            model_id="nano_banana_2", prompt=prompt, params_json="{}", seed=seed, count=1))[0]

    async def seacloud_video(prompt, seed):
        return (await nodes["SeaCloudSubmit"]().submit(
            model_id="seedance_2_0", prompt=prompt, params_json="{}", seed=seed, count=1))[0]

    async def seedream3(prompt, seed):
        return (await nodes["GPTunnelSeedream3Submit"]().submit(
            prompt=prompt, ar="1:1", seed=seed, count=1))[0]

    async def opencomputing(prompt, seed):
        return (await nodes["OpenComputingTextToVideo"]().submit(
            model="Seedance 2.0 (Doubao)", prompt=prompt, seed=seed, **VIDEO))[0]

    async def images(task):
        return await nodes["GatewayAwaitImages"]().wait(task, 600)

    async def video(task):
        return await nodes["GatewayAwaitVideo"]().wait(task, 600, 0, 1, 256)

    return {
        "SeaCloud image": (seacloud, images, "seacloud", "/status"),
        "SeaCloud video": (seacloud_video, video, "seacloud", "/status"),
        "GPTunnel Seedream 3": (seedream3, images, "gptunnel", "/v1/media/result"),
        "OpenComputing video": (opencomputing, video, "opencomputing", "/llmage/tasks"),
    }


def polls_of(emulator, gateway, path, task_id) -> int:
    found = 0
    for record in emulator.calls(gateway, path):
        body = record.body.decode("utf-8", "replace")
        if task_id in record.path or task_id in body or task_id in str(record.query):
            found += 1
    return found


async def one(emulator, flow, prompt, seed, length):
    submit, wait, gateway, path = flow
    emulator.jobs.durations[prompt] = (length * 0.3, length * 0.7)
    task = await submit(prompt, seed)
    submitted = time.monotonic()
    await wait(task)
    returned = time.monotonic()
    job = next(j for j in emulator.jobs.jobs.values() if j.body.get("prompt") == prompt)
    done = job.created + job.queue_seconds + job.run_seconds
    if os.environ.get("LATENCY_DEBUG"):
        seen = [r.received - job.created for r in emulator.calls(gateway, path)
                if job.id in r.path or job.id in r.body.decode("utf-8", "replace")
                or job.id in str(r.query)]
        print(f"{prompt}: submit returned {submitted - job.created:.2f}s after creation, "
              f"polls at {[round(x, 2) for x in seen]}, returned {returned - job.created:.2f}")
    return returned - done, polls_of(emulator, gateway, path, job.id)


async def run_all(emulator, nodes, tasks, lengths):
    # Warm up first: the first download, image load and video decode of a process import
    # Pillow, PyAV and torch's kernels (about a second), which ComfyUI has done long before.
    await asyncio.gather(*(one(emulator, flow, f"warm-up {name}", 1, 0.2)
                           for name, flow in flows(nodes).items()))
    plan = [(name, length, index) for name in flows(nodes) for length in lengths
            for index in range(tasks)]
    all_flows = flows(nodes)
    outcomes = await asyncio.gather(*(
        one(emulator, all_flows[name], f"latency {name} {length} s #{index}",
            int(1000 * length) + index, length) for name, length, index in plan),
        return_exceptions=True)
    table: dict = {}
    for (name, length, _), outcome in zip(plan, outcomes):
        table.setdefault((name, length), []).append(outcome)
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=5, help="tasks per gateway and length")
    parser.add_argument("--lengths", type=float, nargs="+", default=[2.0, 20.0, 60.0])
    args = parser.parse_args()
    pack = pack_loader.load_pack("model_gateway_nodes_latency")
    from chaos import _module, set_up
    emulator = _module(pack, "providers.emulator").Emulator().start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            set_up(pack, emulator, Path(folder))
            os.environ.pop("MODEL_GATEWAY_POLL_SCALE")  # the real pacing
            os.environ.pop("MODEL_GATEWAY_TIMEOUT_SCALE")
            started = time.monotonic()
            table = asyncio.run(run_all(emulator, pack.NODE_CLASS_MAPPINGS, args.tasks,
                                        args.lengths))
            seconds = time.monotonic() - started
    finally:
        emulator.stop()
    print(f"{args.tasks} tasks per gateway and length, all at once; {seconds:.0f} s in all\n")
    print(f"{'gateway':22}{'task':>7}{'late median':>13}{'late worst':>12}"
          f"{'polls median':>14}{'polls worst':>13}")
    failures = 0
    for (name, length), outcomes in table.items():
        good = [o for o in outcomes if not isinstance(o, BaseException)]
        failures += len(outcomes) - len(good)
        if not good:
            print(f"{name:22}{length:>6.0f}s  failed: {outcomes[0]!r}"[:120])
            continue
        late = [o[0] for o in good]
        polls = [o[1] for o in good]
        print(f"{name:22}{length:>6.0f}s{statistics.median(late):>12.1f}s{max(late):>11.1f}s"
              f"{statistics.median(polls):>14.0f}{max(polls):>13}")
    if failures:
        print(f"\n{failures} task(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
