"""A soak of a small farm under faults: 1,000 paid jobs over 3 worker processes sharing one
PostgreSQL journal, the emulator misbehaving on 20 % of all requests, every worker killed
(SIGKILL) and restarted twice mid-way. Then the gateway's ledger is held against the journal,
and each worker's memory, threads and open files are compared at rest after warm-up and at the
end.

Run: python3 benchmarks/soak.py --postgres postgresql+psycopg://postgres@127.0.0.1:55499/bench
     [--jobs 1000] [--workers 3] [--concurrency 8] [--rate 0.2] [--seed 1] [--kills 2]

--postgres (or MODEL_GATEWAY_TEST_POSTGRES_URL) names a running server; the soak creates a
fresh database in it and drops it at the end. The emulator runs in this process on 127.0.0.1;
nothing else is contacted. The full run takes 1-2 minutes on 2 cores and is stopped (exit 1)
if it passes --limit seconds (default 1200). `--jobs 90` is a quick run.

How it runs. Job i (its own prompt and seed) goes to worker i mod --workers. A job is SeaCloud
Submit (nano_banana_2) then Gateway Await Images, run as a user would, as benchmarks/chaos.py
does: after an error (GatewayError or ValueError) the same job (same seed) is run again, up to
--reruns runs in all — also after "may have been accepted", where the pack must refuse rather
than pay again. Each worker runs --concurrency jobs at once in one event loop. Emulator tasks
take 0.1 + 0.2 s; polls are scaled by 0.1, read timeouts by 0.01 (as chaos.py: a "late" answer
outlasts a create's timeout). The fault mix is the emulator's own (providers/emulator/faults.py:
5xx, 429, resets before and after the work, cut and non-JSON bodies, slow, late, stalled) on
every gateway request and result download, for the whole run. Each worker is killed at about
1/4 and 2/4 of its jobs (with --kills 2) and started again at once, as a dispatcher would, with
the jobs that have no outcome yet (in flight when it was killed included), same seeds.

Figures — each job's final outcome:
  result         the user got the images the emulator made for this job's one create
  clear          it ended in a GatewayError (or ValueError) after its runs; "unknown" counts
                 those that say the request may have been accepted (and how to recover)
  unclear        any other exception: a defect          hung   a run over 150 s: a defect
  wrong          images that are not this job's: a defect
  lost           the gateway made the job, and the user got neither its result nor a word
                 that it exists (task id, "kept", "may have been accepted"): a defect
  no outcome     a job no worker reported on: a defect
The gateway's ledger (the emulator's handled creates) against the journal (its rows, by the
request's fingerprint, computed as SeaCloud Submit computes it):
  created twice             a request (prompt + seed) the gateway made more than once: defect
  task id in the journal    created, and the job's row holds that task id
  row unknown               created, the row says `unknown` (the answer was lost: the user is
                            told it may have been accepted and where to look)
  journal lacks it          created, and the journal has neither: a defect
  unknown, never created    rows `unknown` whose request never reached the gateway (a kill or
                            a cut before sending; the journal cannot tell: the safe side)
Workers, each one's last run, at rest (no send, poll or download under way) after its warm-up
jobs and at its end: resident memory (VmRSS), threads and open file descriptors from /proc.
RSS may grow at most 5 %; threads must not grow; open files, pipes and other descriptors must
not grow. Sockets are the pools' idle connections, which come and go with load: those to the
gateway must stay within the HTTP pools' bound (16 per requests session, 2 sessions here:
creates, and polls with downloads), those to the journal within its pool (4 kept); any other
socket must not grow. Any defect, or a limit passed, makes the exit code 1.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _farm_kit as kit  # noqa: E402

POLL_SCALE = 0.1
TIMEOUT_SCALE = 0.01
QUEUE_SECONDS, RUN_SECONDS = 0.1, 0.2
AWAIT_TIMEOUT = 60
HANG_SECONDS = 150
RSS_GROWTH_LIMIT = 5.0   # % after warm-up
SOCKET_BOUNDS = {"gateway": 2 * 16, "journal": 4}  # idle pooled connections at most
WARM_JOBS = 30


class Slot:
    """One worker of the farm across its restarts."""

    def __init__(self, index: int, jobs: list[dict], folder: Path, kills: int, ports: dict):
        self.index, self.jobs, self.folder, self.ports = index, jobs, folder, ports
        self.results = folder / "results.jsonl"
        n = len(jobs)
        self.kill_at = [n * (k + 1) // (kills + 2) for k in range(kills)]
        self.warm = max(2, min(WARM_JOBS, n // 10))
        self.worker: kit.Worker | None = None
        self.incarnation = -1
        self.state = "idle"
        self.runs: list[dict] = []   # per incarnation: pid, samples, jobs given, how it ended
        self.crashes: list[str] = []

    def finished_keys(self) -> set[str]:
        return {r["key"] for r in kit.read_results(self.results)}

    def spawn(self, env: dict, args) -> None:
        done = self.finished_keys()
        remaining = [job for job in self.jobs if job["key"] not in done]
        self.incarnation += 1
        warm = self.warm if len(remaining) > self.warm else 0
        spec = {"jobs": remaining, "concurrency": args.concurrency, "reruns": args.reruns,
                "timeout": AWAIT_TIMEOUT, "hang": HANG_SECONDS, "results": str(self.results),
                "warm": warm}
        self.worker = kit.Worker(str(self.index), self.folder, env, spec, self.incarnation)
        self.runs.append({"pid": self.worker.pid, "given": len(remaining), "done_before": len(done),
                          "warm_jobs": warm, "samples": {}, "ended": None})
        self.state = "starting"

    @property
    def run(self) -> dict:
        return self.runs[-1]

    def step(self, env: dict, args) -> None:
        """Answer the worker's handshakes; kill it at its kill points; restart it."""
        w = self.worker
        while True:
            try:
                message = w.events.get_nowait()
            except Exception:
                break
            event = message["event"]
            if event == "ready":
                w.say("go")
                self.state = "running" if not self.run["warm_jobs"] else "warming"
            elif event == "warm":
                self.run["samples"]["warm"] = w.sample(self.ports)
                self.run["samples"]["warm_at"] = kit.count_lines(self.results)
                w.say("go")
                self.state = "running"
            elif event == "done":
                self.run["samples"]["end"] = w.sample(self.ports)
                self.run["ended"] = "finished"
                code = w.finish()
                if code != 0:
                    self.crashes.append(f"worker {self.index} exited with {code}: "
                                        f"{w.stderr_tail(10)}")
                self.state = "finished"
                return
            elif event == "exited":
                code = w.process.wait()
                self.crashes.append(f"worker {self.index} (pid {w.pid}) ended by itself, code "
                                    f"{code}:\n{w.stderr_tail(15)}")
                self.run["ended"] = f"crashed ({code})"
                self.spawn(env, args)  # a dispatcher would start it again
                return
        kill_number = self.incarnation
        if (self.state == "running" and kill_number < len(self.kill_at)
                and kit.count_lines(self.results) >= self.kill_at[kill_number]):
            self.run["samples"]["before_kill"] = w.sample(self.ports)
            w.kill()
            self.run["ended"] = f"killed at {kit.count_lines(self.results)} jobs done"
            self.spawn(env, args)


def ledger(emulator, url: str, jobs: list[dict], outcomes: dict[str, dict]) -> dict:
    """The gateway's ledger against the journal, and each job's outcome sorted."""
    made = kit.emulator_jobs_by_prompt(emulator)
    journal = kit.open_shared(url)
    try:
        rows = {row["fingerprint"]: row for row in journal.export_rows()}
    finally:
        journal.close()
    fp_of = {job["key"]: kit.fingerprint_of(job["prompt"], job["seed"]) for job in jobs}
    tally = Counter()
    notes = Counter()  # (created or not, why the row is unknown)
    examples: list[str] = []

    def defect(kind: str, text: str) -> None:
        tally[kind] += 1
        if len([e for e in examples if e.startswith(kind)]) < 3:
            examples.append(f"{kind}: {text}")

    # the fingerprint the benchmark computes is the one the pack journalled
    for key, o in outcomes.items():
        if o.get("fingerprint") and o["fingerprint"] != fp_of[key]:
            defect("fingerprint mismatch", f"{key}: the benchmark's fingerprint differs")
    for job in jobs:
        emu = made.get(job["prompt"], [])
        row = rows.get(fp_of[job["key"]])
        if len(emu) > 1:
            defect("created twice", f"{job['key']}: {len(emu)} creates "
                                    f"({', '.join(e.id for e in emu)})")
        for e in emu:
            stored = json.loads(row["job"]) if row and row["job"] else {}
            if row and stored.get("task_id") == e.id:
                tally["created, task id in the journal"] += 1
            elif row and row["state"] == "unknown":
                tally["created, journal row unknown"] += 1
            else:
                defect("created, journal lacks it",
                       f"{job['key']} task {e.id}: row {row['state'] if row else None}")
        if row and row["state"] == "unknown":
            note = (json.loads(row["job"]) if row["job"] else {}).get("note") or ""
            why = _why(note)
            notes[("created" if emu else "never created", why)] += 1
            if not emu:
                tally["unknown, never created"] += 1
        o = outcomes.get(job["key"])
        if o is None:
            defect("no outcome", job["key"])
            continue
        kind = o["outcome"]
        if kind == "result":
            if len(emu) == 1 and o["task_id"] == emu[0].id and \
                    o["pixel"] == kit.expected_pixel(emu[0]):
                tally["result"] += 1
            else:
                defect("wrong", f"{job['key']}: task {o['task_id']}, made "
                                f"{[e.id for e in emu]}")
        elif kind == "clear":
            tally["clear"] += 1
            if not o.get("gateway_error"):
                tally["clear: ValueError"] += 1
            if o.get("unknown"):
                tally["clear: may have been accepted"] += 1
            told = o.get("unknown") or "kept" in o["error"] or any(e.id in o["error"]
                                                                    for e in emu)
            if emu and not told:
                defect("lost", f"{job['key']}: made as {emu[0].id} (journal: "
                               f"{row['state'] if row else 'no row'}), told only: "
                               f"{o['error'][:200]}")
        elif kind == "unclear":
            defect("unclear", f"{job['key']}: {o['error_type']}: {o['error'][:200]}")
        elif kind == "hung":
            defect("hung", f"{job['key']}: a run over {HANG_SECONDS} s")
    tally["creates handled"] = len(kit.creates(emulator))
    tally["jobs made"] = sum(len(v) for v in made.values())
    states = Counter(row["state"] for row in rows.values())
    stale = sum(1 for row in rows.values() if row["state"] == "submitting")
    if stale:
        defect("left submitting", f"{stale} rows still `submitting` at the end")
    return {"tally": tally, "examples": examples, "states": states, "notes": notes}


def _why(note: str) -> str:
    """What an `unknown` row's note says happened, in a few words."""
    text = note.lower()
    for words, short in (("stopped before the gateway answered", "its worker was killed"),
                         ("no answer from", "timed out"), ("went silent", "timed out"),
                         ("lost before an answer", "connection reset"),
                         ("broke off", "answer cut"), ("could not be decoded", "answer garbled"),
                         ("502", "502"), ("504", "504"), ("not json", "not JSON"),
                         ("json", "not JSON"), ("html", "not JSON")):
        if words in text:
            return short
    return (note.splitlines() or ["(no note)"])[0][:60]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help=f"a PostgreSQL server's URL (else ${kit.POSTGRES_VAR})")
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8, help="jobs at once per worker")
    parser.add_argument("--rate", type=float, default=0.2, help="share of requests that fail")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kills", type=int, default=2, help="SIGKILLs per worker")
    parser.add_argument("--reruns", type=int, default=4, help="runs a user makes of a job")
    parser.add_argument("--limit", type=float, default=1200, help="seconds the soak may take")
    args = parser.parse_args()
    server = kit.postgres_url(args.postgres)
    begun, args.load = time.monotonic(), kit.machine()
    jobs = [{"key": f"soak-{i:05d}", "prompt": f"soak job {i} seed {args.seed}",
             "seed": 7000 + i} for i in range(args.jobs)]
    emulator = kit.start_emulator(QUEUE_SECONDS, RUN_SECONDS)
    slots: list[Slot] = []
    timed_out = False
    try:
        with tempfile.TemporaryDirectory(prefix="mg-soak-") as folder, \
                kit.fresh_database(server, "soak") as url:
            kit.open_shared(url).close()  # the schema made once, before the workers start
            env = kit.gateway_env(emulator, poll_scale=POLL_SCALE, timeout_scale=TIMEOUT_SCALE)
            env["MODEL_GATEWAY_JOURNAL_URL"] = url
            emulator.chaos(args.rate, args.seed)
            ports = {"gateway": int(emulator.origin.rsplit(":", 1)[1]),
                     "journal": urlsplit(url).port or 5432}
            slots = [Slot(w, jobs[w::args.workers], Path(folder) / f"worker-{w}", args.kills,
                          ports) for w in range(args.workers)]
            for slot in slots:
                slot.spawn(env, args)
            last_report = time.monotonic()
            while any(slot.state != "finished" for slot in slots):
                if time.monotonic() - begun > args.limit:
                    timed_out = True
                    break
                for slot in slots:
                    if slot.state != "finished":
                        slot.step(env, args)
                if time.monotonic() - last_report > 60:
                    last_report = time.monotonic()
                    done = sum(kit.count_lines(s.results) for s in slots)
                    print(f"  … {done}/{args.jobs} jobs have an outcome after "
                          f"{time.monotonic() - begun:.0f} s", file=sys.stderr, flush=True)
                time.sleep(0.05)
            for slot in slots:
                if slot.worker:
                    slot.worker.stop()
            emulator.faults.clear()
            outcomes = {}
            duplicates = 0
            for slot in slots:
                for record in kit.read_results(slot.results):
                    duplicates += record["key"] in outcomes
                    outcomes[record["key"]] = record
            found = ledger(emulator, url, jobs, outcomes)
            faulted = Counter(r.fault for r in emulator.calls() if r.fault)
            requests = len(emulator.calls())
    finally:
        for slot in slots:
            if slot.worker:
                slot.worker.stop()
        emulator.stop()
    elapsed = time.monotonic() - begun
    return report(args, slots, found, faulted, requests, duplicates, elapsed, timed_out)


def report(args, slots, found, faulted, requests, duplicates, elapsed, timed_out) -> int:
    t = found["tally"]
    print(f"soak: {args.jobs} jobs over {args.workers} workers ({args.concurrency} at once "
          f"each), one PostgreSQL journal; SeaCloud Submit → Gateway Await Images")
    print(f"faults: {sum(faulted.values())} of {requests} requests ({args.rate:.0%} mix, seed "
          f"{args.seed}): " + ", ".join(f"{k} {v}" for k, v in sorted(faulted.items())))
    kills = [sum(1 for run in slot.runs if str(run["ended"]).startswith("killed"))
             for slot in slots]
    print(f"SIGKILLs and restarts per worker: {', '.join(map(str, kills))} (asked: {args.kills}); "
          f"up to {args.reruns} runs per job\n")
    defects = ("unclear", "hung", "wrong", "lost", "no outcome", "created twice",
               "created, journal lacks it", "left submitting", "fingerprint mismatch")
    print("each job's outcome")
    print(f"  {'result (its own images)':36}{t['result']:>6}")
    print(f"  {'clear GatewayError':36}{t['clear'] - t['clear: ValueError']:>6}   of which "
          f"'may have been accepted': {t['clear: may have been accepted']}")
    if t["clear: ValueError"]:
        print(f"  {'ValueError':36}{t['clear: ValueError']:>6}   (bad input? none is expected)")
    for name in ("unclear", "hung", "wrong", "lost", "no outcome"):
        print(f"  {name:36}{t[name]:>6}   (defect)")
    print(f"  {'all':36}{t['result'] + t['clear'] + t['unclear'] + t['hung'] + t['wrong']:>6}"
          f"{'   (' + str(duplicates) + ' jobs reported twice)' if duplicates else ''}")
    print("\nthe gateway's ledger against the journal")
    print(f"  {'creates the emulator handled':36}{t['creates handled']:>6}   (jobs made: "
          f"{t['jobs made']})")
    print(f"  {'created twice':36}{t['created twice']:>6}   (defect)")
    print(f"  {'created, task id in the journal':36}{t['created, task id in the journal']:>6}")
    print(f"  {'created, journal row unknown':36}{t['created, journal row unknown']:>6}")
    print(f"  {'created, journal lacks it':36}{t['created, journal lacks it']:>6}   (defect)")
    print(f"  {'unknown rows, never created':36}{t['unknown, never created']:>6}")
    print(f"  {'journal rows by state':36}" + ", ".join(
        f"{k} {v}" for k, v in sorted(found["states"].items())))
    print(f"  {'why rows are unknown':36}" + "; ".join(
        f"{what}: {why} {n}" for (what, why), n in sorted(found["notes"].items())))
    if t["left submitting"] or t["fingerprint mismatch"]:
        print(f"  left submitting {t['left submitting']}, fingerprint mismatch "
              f"{t['fingerprint mismatch']} (defects)")

    print("\nworkers: last run of each, at rest after warm-up → at its end (from /proc)")
    print(f"  {'worker':8}{'pid':>8}{'jobs after warm-up':>20}{'RSS warm':>11}{'RSS end':>10}"
          f"{'growth':>9}{'threads':>10}{'fds':>10}")
    failed_resources, breakdown = [], []
    for slot in slots:
        run = slot.run
        warm, end = run["samples"].get("warm"), run["samples"].get("end")
        if not warm or not end:
            failed_resources.append(f"worker {slot.index}: no reading (warm {bool(warm)}, "
                                    f"end {bool(end)})")
            continue
        growth = (end["rss_kb"] - warm["rss_kb"]) / warm["rss_kb"] * 100
        after = run["given"] - run["warm_jobs"]
        print(f"  {slot.index:<8}{run['pid']:>8}{after:>20}{warm['rss_kb'] / 1024:>9.1f}MB"
              f"{end['rss_kb'] / 1024:>8.1f}MB{growth:>+8.1f}%"
              f"{str(warm['threads']) + ' → ' + str(end['threads']):>10}"
              f"{str(warm['fds']) + ' → ' + str(end['fds']):>10}")
        if growth > RSS_GROWTH_LIMIT:
            failed_resources.append(f"worker {slot.index}: RSS grew {growth:.1f}% "
                                    f"(limit {RSS_GROWTH_LIMIT}%)")
        if end["threads"] > warm["threads"]:
            failed_resources.append(f"worker {slot.index}: threads {warm['threads']} → "
                                    f"{end['threads']}")
        kinds = sorted(set(warm["kinds"]) | set(end["kinds"]))
        breakdown.append(f"    worker {slot.index}: " + ", ".join(
            f"{k} {warm['kinds'].get(k, 0)} → {end['kinds'].get(k, 0)}" for k in kinds))
        for kind in kinds:
            before, after_ = warm["kinds"].get(kind, 0), end["kinds"].get(kind, 0)
            bound = SOCKET_BOUNDS.get(kind)
            if (after_ > bound) if bound is not None else (after_ > before):
                failed_resources.append(f"worker {slot.index}: {kind} fds {before} → {after_}"
                                        + (f" (bound {bound})" if bound is not None else ""))
    print("  fds by kind, after warm-up → end:")
    for line in breakdown:
        print(line)
    print("  earlier runs (killed):")
    for slot in slots:
        for number, run in enumerate(slot.runs[:-1]):
            warm = run["samples"].get("warm")
            before = run["samples"].get("before_kill")
            print(f"    worker {slot.index} run {number + 1}: pid {run['pid']}, "
                  f"{run['ended']}; at rest after warm-up "
                  + (f"RSS {warm['rss_kb'] / 1024:.1f} MB, {warm['threads']} threads, "
                     f"{warm['fds']} fds" if warm else "(none)")
                  + (f"; just before the kill (busy) RSS {before['rss_kb'] / 1024:.1f} MB, "
                     f"{before['threads']} threads, {before['fds']} fds" if before else ""))
    crashes = [c for slot in slots for c in slot.crashes]
    print(f"\nelapsed {int(elapsed // 60)} min {int(elapsed % 60)} s (limit "
          f"{args.limit / 60:.0f} min); at the start: {args.load}; at the end: {kit.machine()}"
          + ("; STOPPED at the limit" if timed_out else ""))
    problems = [e for e in found["examples"]] + failed_resources + crashes
    if timed_out:
        problems.append(f"the soak passed its limit of {args.limit:.0f} s")
    if duplicates:
        problems.append(f"{duplicates} jobs reported twice by the workers")
    if any(t[name] for name in defects) or problems:
        print("DEFECTS:")
        for line in problems:
            print("  -", line)
        return 1
    print("no defect")
    return 0


if __name__ == "__main__":
    sys.exit(main())
