"""A farm of ComfyUI workers sharing one PostgreSQL journal, every job dispatched to two of them
at about the same time: is each job paid for exactly once, does every dispatch get its result,
and how much faster is the farm than one worker?

Run: python3 benchmarks/farm.py --postgres postgresql+psycopg://postgres@127.0.0.1:55499/bench
     [--workers 4] [--jobs 50] [--concurrency 8] [--queue 0.2] [--run 0.5] [--seed 1]

--postgres (or MODEL_GATEWAY_TEST_POSTGRES_URL) names a running server; the benchmark creates
a fresh database in it for each of its two runs and drops it at the end. The emulator runs in
this process on 127.0.0.1; nothing else is contacted. About 30-60 s in all.

Each of --workers processes (its own MODEL_GATEWAY_DATA_DIR, the one PostgreSQL journal) gets
--jobs dispatches; every job goes to two different workers, so there are workers × jobs / 2
distinct jobs (distinct prompt and seed each). The jobs are shuffled once and each worker takes
its dispatches in that order, give or take a few places, so the two dispatches of a job run at
about the same time and race for its claim. A dispatch is SeaCloud Submit (nano_banana_2)
followed by Gateway Await Images, the node path a user runs; a worker runs --concurrency of
them at once in one event loop, as ComfyUI runs coroutine nodes side by side. The emulator's
tasks take --queue + --run seconds; polls are scaled by 0.1 (one every 0.2 s).

Then one worker alone runs the distinct jobs once each, with the same concurrency, on a fresh
database (the baseline). Clocks start when every worker has loaded the pack and opened the
journal, and stop when the last dispatch has its outcome.

Figures:
  creates at the emulator   POST creates the emulator handled (paid). Must equal the distinct
                            jobs exactly, one per prompt; otherwise the exit code is 1.
  dispatches with result    dispatches that got images, and that they are the images the
                            emulator made for that job's one create (task id and pixel colour).
                            Anything less is a defect (there are no faults here): exit code 1.
  same task both dispatches jobs whose two dispatches got the same gateway task.
  pairs overlapping         jobs whose two dispatches were in flight at the same moment (the
                            race the claim settles); the rest met a job already journalled.
  creates per worker        which worker sent each job's create (the one that won its claim).
  wall time                 first dispatch started to last dispatch ended.
  farm / one worker         the ratio of those wall times (< 1: the farm is faster).
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _farm_kit as kit  # noqa: E402

POLL_SCALE = 0.1
START_TIMEOUT = 120.0


def plan(workers: int, per_worker: int, seed: int) -> tuple[list[dict], list[list[dict]]]:
    """(the distinct jobs in their shuffled order, each worker's dispatches): every job given
    to two different workers, each worker `per_worker` dispatches."""
    rng = random.Random(seed)
    if workers < 2 or (workers * per_worker) % 2:
        raise SystemExit("workers × jobs must be even, with at least 2 workers")
    distinct = workers * per_worker // 2
    jobs = [{"key": f"job-{i:04d}", "prompt": f"farm bench job {i} seed {seed}",
             "seed": 1000 + i} for i in range(distinct)]
    rng.shuffle(jobs)
    # Pairs of workers: slots shuffled and paired; a pair of one worker twice is mended by a
    # swap with a pair that lacks that worker (there is one: no worker holds half the slots
    # and more).
    slots = [w for w in range(workers) for _ in range(per_worker)]
    rng.shuffle(slots)
    pairs = [[slots[2 * i], slots[2 * i + 1]] for i in range(distinct)]
    for pair in pairs:
        if pair[0] == pair[1]:
            other = next(p for p in pairs if pair[0] not in p)
            pair[1], other[0] = other[0], pair[1]
    assert all(a != b for a, b in pairs)
    given: list[list[tuple[float, dict]]] = [[] for _ in range(workers)]
    for rank, (job, pair) in enumerate(zip(jobs, pairs)):
        for w in pair:
            given[w].append((rank + rng.uniform(-3.0, 3.0), job))
    orders = [[job for _, job in sorted(mine, key=lambda item: item[0])] for mine in given]
    assert all(len(order) == per_worker for order in orders)
    return jobs, orders


def run_farm(emulator, url: str, orders: list[list[dict]], args, folder: Path) -> dict:
    """Start one worker per order, all at once; returns their outcomes and timings."""
    env = kit.gateway_env(emulator, poll_scale=POLL_SCALE)
    env["MODEL_GATEWAY_JOURNAL_URL"] = url
    workers = []
    try:
        for index, order in enumerate(orders):
            where = folder / f"worker-{index}"
            spec = {"jobs": order, "concurrency": args.concurrency, "reruns": 1,
                    "timeout": 120, "hang": 150, "results": str(where / "results.jsonl")}
            workers.append(kit.Worker(str(index), where, env, spec))
        ready = [w.expect("ready", START_TIMEOUT) for w in workers]
        started = time.time()
        for w in workers:
            w.say("go")
        done = [w.expect("done", 600) for w in workers]
        outcomes = [kit.read_results(folder / f"worker-{i}" / "results.jsonl")
                    for i in range(len(workers))]
        for w in workers:
            w.finish()
    finally:
        for w in workers:
            w.stop()
    return {"ids": [r["worker"] for r in ready], "outcomes": outcomes,
            "wall": max(d["finished_at"] for d in done) - started}


def check(emulator, url: str, jobs: list[dict], run: dict) -> dict:
    made = kit.emulator_jobs_by_prompt(emulator)
    paid = kit.creates(emulator)
    dispatches = [o for mine in run["outcomes"] for o in mine]
    right = 0
    for o in dispatches:
        emu = made.get(o["prompt"], [])
        if (o["outcome"] == "result" and len(emu) == 1 and o["task_id"] == emu[0].id
                and o["pixel"] == kit.expected_pixel(emu[0])):
            right += 1
    by_job: dict[str, list[dict]] = {}
    for o in dispatches:
        by_job.setdefault(o["key"], []).append(o)
    same_task = sum(1 for os_ in by_job.values()
                    if all(o["outcome"] == "result" for o in os_)
                    and len({o["task_id"] for o in os_}) == 1)
    overlapping = sum(1 for os_ in by_job.values() if len(os_) == 2 and max(
        o["started"] for o in os_) < min(o["ended"] for o in os_))
    journal = kit.open_shared(url)
    try:
        makers = Counter(row["worker"] for row in journal.export_rows())
    finally:
        journal.close()
    per_worker = [makers.get(worker_id, 0) for worker_id in run["ids"]]
    twice = sorted(p for p, emu in made.items() if len(emu) > 1)
    never = sorted(j["prompt"] for j in jobs if j["prompt"] not in made)
    problems = [f"{o['key']} on worker {o['worker']}: {o['outcome']} "
                f"{o.get('error_type', '')} {o.get('error', '')[:200]}"
                for o in dispatches if o["outcome"] != "result"]
    return {"distinct": len(jobs), "dispatches": len(dispatches), "creates": len(paid),
            "right": right, "same_task": same_task, "overlapping": overlapping,
            "per_worker": per_worker, "twice": twice, "never": never, "problems": problems,
            "wall": run["wall"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help=f"a PostgreSQL server's URL (else ${kit.POSTGRES_VAR})")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=50, help="dispatches per worker")
    parser.add_argument("--concurrency", type=int, default=8, help="dispatches at once per worker")
    parser.add_argument("--queue", type=float, default=0.2, help="emulator queue seconds")
    parser.add_argument("--run", type=float, default=0.5, help="emulator run seconds")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    server = kit.postgres_url(args.postgres)
    jobs, orders = plan(args.workers, args.jobs, args.seed)
    emulator = kit.start_emulator(args.queue, args.run)
    begun, load = time.monotonic(), kit.machine()
    try:
        with tempfile.TemporaryDirectory(prefix="mg-farm-") as folder:
            with kit.fresh_database(server, "farm") as url:
                farm = check(emulator, url, jobs, run_farm(emulator, url, orders, args,
                                                           Path(folder) / "farm"))
            emulator.reset()
            emulator.keys = dict(kit.KEYS)
            kit.set_timing(emulator, args.queue, args.run)
            with kit.fresh_database(server, "solo") as url:
                solo = check(emulator, url, jobs, run_farm(emulator, url, [jobs], args,
                                                           Path(folder) / "solo"))
    finally:
        emulator.stop()

    print(f"farm: {args.workers} workers × {args.jobs} dispatches = {farm['dispatches']} "
          f"dispatches of {farm['distinct']} distinct jobs (each to 2 workers), "
          f"{args.concurrency} at once per worker, one PostgreSQL journal")
    print(f"emulator tasks: queue {args.queue} s + run {args.run} s; polls every "
          f"{2.0 * POLL_SCALE:.1f} s; SeaCloud Submit → Gateway Await Images\n")
    rows = [
        ("distinct jobs", farm["distinct"], solo["distinct"]),
        ("dispatches", farm["dispatches"], solo["dispatches"]),
        ("creates at the emulator", farm["creates"], solo["creates"]),
        ("dispatches with their result", f"{farm['right']}/{farm['dispatches']}",
         f"{solo['right']}/{solo['dispatches']}"),
        ("jobs: same task both dispatches", f"{farm['same_task']}/{farm['distinct']}", "-"),
        ("jobs: dispatches overlapping", f"{farm['overlapping']}/{farm['distinct']}", "-"),
        ("creates per worker", " ".join(map(str, farm["per_worker"])), solo["per_worker"][0]),
        ("wall time", f"{farm['wall']:.1f} s", f"{solo['wall']:.1f} s"),
    ]
    print(f"{'':34}{'farm':>16}{'one worker':>14}")
    for name, a, b in rows:
        print(f"{name:34}{str(a):>16}{str(b):>14}")
    print(f"{'farm / one worker':34}{farm['wall'] / solo['wall']:>15.2f}×")
    print(f"\n(elapsed {time.monotonic() - begun:.0f} s, worker start-up included; at the start: "
          f"{load}; at the end: {kit.machine()})")

    failed = False
    for name, result in (("farm", farm), ("one worker", solo)):
        if result["creates"] != result["distinct"] or result["twice"] or result["never"]:
            failed = True
            print(f"DEFECT ({name}): {result['creates']} creates for {result['distinct']} "
                  f"distinct jobs; created twice: {result['twice'][:5]}; never created: "
                  f"{result['never'][:5]}")
        if result["right"] != result["dispatches"]:
            failed = True
            print(f"DEFECT ({name}): {result['dispatches'] - result['right']} dispatches "
                  f"without their result")
            for line in result["problems"][:5]:
                print("  -", line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
