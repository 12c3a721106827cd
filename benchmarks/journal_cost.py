"""What the journal costs: per paid job in one process, and claims per second with 8 processes
racing — on SQLite (the default: a file in the data directory) and on PostgreSQL (a farm's
shared journal, MODEL_GATEWAY_JOURNAL_URL), through the pack's own Journal API
(providers/journal), nothing else.

Run: python3 benchmarks/journal_cost.py --postgres postgresql+psycopg://postgres@127.0.0.1:55499/bench
     [--jobs 400] [--processes 8] [--distinct 1000] [--contended 500]

--postgres (or MODEL_GATEWAY_TEST_POSTGRES_URL) names a running server; a fresh database is
created in it for each part and dropped at the end. SQLite files go to a temporary folder.
Nothing goes over the network but to that server. About two minutes in all.

Per job (one process, --jobs jobs after 20 of warm-up), the journal writes a paid job makes in
the pack: claim_step (the intent row, committed before anything is sent), finish (the task id),
three saves (running, running with progress, succeeded with its result URL) and get (a later
run reading it) — 6 journal operations, each its own transaction.
  median / p95 ms per job   time of those 6 operations together, per job
  per operation             median ms of each kind of operation
  PostgreSQL / SQLite       the ratio of the medians

Claims racing (--processes processes, each with its own engine, released together):
  distinct claims/s   every process claims --distinct fingerprints of its own (claim_step
                      only); all must be won. Claims per second over all processes.
  contended tries/s   --contended fingerprints wanted by every process, in the same order:
                      claim_step by each; the one that wins journals its job at once
                      (finish), the others are told it is held or find the job. Tries per
                      second over all processes (a winner's finish included).
  claimed once        contended fingerprints won by exactly one process: must be all of them
                      (otherwise, or on any journal error, the exit code is 1).

Mind the setting: SQLite here runs as the pack opens it (WAL; its synchronous setting is
printed), in the temporary folder's filesystem; the PostgreSQL a benchmark is given may not
sync at all (a throwaway cluster with fsync=off is much faster than a production one). The
script prints both settings beside its figures.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _farm_kit as kit  # noqa: E402

WARM_UP = 20
OPERATIONS = ("claim", "finish", "save", "get")


def open_journal(url: str):
    return kit.open_shared(url)


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'journal.sqlite3'}"


def a_job(fp: str, state: str):
    tasks = kit.module("providers.tasks")
    return tasks.Job("seacloud", "seacloud_queue", f"req-{fp[:16]}", fp, kit.MODEL, "image",
                     state=tasks.State(state), prompt="journal cost benchmark")


# -- one process ---------------------------------------------------------------------------------

def per_job(journal, count: int) -> tuple[list[float], dict[str, list[float]]]:
    """ms per job, and ms per operation kind, over `count` jobs (after the warm-up)."""
    State = kit.module("providers.tasks").State
    totals, each = [], {name: [] for name in OPERATIONS}
    for index in range(WARM_UP + count):
        fp = uuid.uuid4().hex * 2
        owner = journal.new_owner()
        job = a_job(fp, "queued")
        spent = {}

        def timed(name, call):
            started = time.perf_counter()
            value = call()
            spent.setdefault(name, []).append((time.perf_counter() - started) * 1000)
            return value

        claimed, _, _ = timed("claim", lambda: journal.claim_step(fp, owner, "Benchmark"))
        assert claimed, "a fresh fingerprint must be claimed"
        timed("finish", lambda: journal.finish(fp, owner, job))
        job.state = State.RUNNING
        timed("save", lambda: journal.save(job))
        job.progress = 0.5
        timed("save", lambda: journal.save(job))
        job.state, job.result_urls = State.SUCCEEDED, ["http://127.0.0.1/x.png"]
        timed("save", lambda: journal.save(job))
        got = timed("get", lambda: journal.get(fp))
        assert got is not None and got.state.value == "succeeded"
        if index >= WARM_UP:
            totals.append(sum(sum(v) for v in spent.values()))
            for name, values in spent.items():
                each[name].extend(values)
    return totals, each


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


# -- racing processes ----------------------------------------------------------------------------

def child(spec_path: str) -> int:
    """One racing process: open the journal, wait, claim its own fingerprints; wait, claim the
    shared ones; say what it won."""
    import json
    spec = json.loads(Path(spec_path).read_text())
    journal = open_journal(spec["url"])
    JournalError = kit.module("providers.journal").JournalError
    journal.count()  # connected before the clock starts
    kit.say("ready", pid=os.getpid())
    kit.wait_word()
    errors = []
    started = time.time()
    won_own = 0
    for fp in spec["own"]:
        try:
            won_own += journal.claim_step(fp, journal.new_owner(), "Benchmark")[0]
        except JournalError as error:
            errors.append(error.message)
    kit.say("distinct", started=started, ended=time.time(), won=won_own)
    kit.wait_word()
    started = time.time()
    won, held, found = [], 0, 0
    for fp in spec["shared"]:
        owner = journal.new_owner()
        try:
            claimed, job, holder = journal.claim_step(fp, owner, "Benchmark")
            if claimed:
                won.append(fp)
                journal.finish(fp, owner, a_job(fp, "queued"))
            elif job is not None:
                found += 1
            else:
                held += 1
        except Exception as error:  # a JournalError, or the unknown-outcome GatewayError
            errors.append(f"{type(error).__name__}: {error}")
    kit.say("contended", started=started, ended=time.time(), won=won, held=held, found=found,
            errors=errors[:20], error_count=len(errors))
    kit.wait_word()
    journal.close()
    return 0


def race(url: str, processes: int, distinct: int, contended: int, folder: Path) -> dict:
    shared = [uuid.uuid4().hex * 2 for _ in range(contended)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODEL_GATEWAY_")}
    workers = []
    try:
        for index in range(processes):
            spec = {"url": url, "own": [uuid.uuid4().hex * 2 for _ in range(distinct)],
                    "shared": shared}
            workers.append(kit.Worker(f"racer-{index}", folder / f"racer-{index}", env, spec,
                                      script=Path(__file__).resolve()))
        for w in workers:
            w.expect("ready", 120)
        for w in workers:
            w.say("go")
        own = [w.expect("distinct", 300) for w in workers]
        for w in workers:
            w.say("go")
        rivals = [w.expect("contended", 300) for w in workers]
        for w in workers:
            w.finish()
    finally:
        for w in workers:
            w.stop()
    wins: dict[str, int] = {fp: 0 for fp in shared}
    for r in rivals:
        for fp in r["won"]:
            wins[fp] += 1

    def span(rows):
        return max(r["ended"] for r in rows) - min(r["started"] for r in rows)

    return {"distinct_rate": sum(r["won"] for r in own) / span(own),
            "distinct_won": sum(r["won"] for r in own), "distinct_asked": processes * distinct,
            "tries_rate": processes * contended / span(rivals),
            "once": sum(1 for n in wins.values() if n == 1), "contended": contended,
            "twice": sum(1 for n in wins.values() if n > 1),
            "never": sum(1 for n in wins.values() if n == 0),
            "held": sum(r["held"] for r in rivals), "found": sum(r["found"] for r in rivals),
            "errors": sum(r["error_count"] for r in rivals),
            "error_examples": [e for r in rivals for e in r["errors"]][:3]}


def sqlite_setting(journal) -> str:
    with journal.engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        sync = connection.exec_driver_sql("PRAGMA synchronous").scalar()
    names = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
    return f"journal_mode={mode}, synchronous={names.get(sync, sync)}"


def fsync_setting(url: str) -> str:
    import psycopg
    with psycopg.connect(kit._libpq(url), connect_timeout=5) as connection:
        return connection.execute("SHOW fsync").fetchone()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help=f"a PostgreSQL server's URL (else ${kit.POSTGRES_VAR})")
    parser.add_argument("--jobs", type=int, default=400, help="jobs timed in one process")
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--distinct", type=int, default=1000, help="own claims per process")
    parser.add_argument("--contended", type=int, default=500, help="fingerprints all want")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)
    server = kit.postgres_url(args.postgres)
    random.seed(1)
    begun, load = time.monotonic(), kit.machine()
    single, races = {}, {}
    with tempfile.TemporaryDirectory(prefix="mg-journal-cost-") as folder:
        folder = Path(folder)
        for backend in ("SQLite", "PostgreSQL"):
            for part in ("single", "race"):
                place = folder / backend / part
                place.mkdir(parents=True)
                if backend == "SQLite":
                    url_cm = _plain(sqlite_url(place))
                else:
                    url_cm = kit.fresh_database(server, f"journal_{part}")
                with url_cm as url:
                    if part == "single":
                        journal = open_journal(url)
                        try:
                            single[backend] = per_job(journal, args.jobs)
                            if backend == "SQLite":
                                sqlite_mode = sqlite_setting(journal)
                        finally:
                            journal.close()
                    else:
                        open_journal(url).close()  # the schema made once, not raced for
                        races[backend] = race(url, args.processes, args.distinct,
                                              args.contended, place)
    fsync = fsync_setting(server)

    print(f"journal cost per job, one process, {args.jobs} jobs after {WARM_UP} of warm-up:")
    print("claim + finish + 3 saves + get = 6 journal operations, each its own transaction\n")
    print(f"{'':22}{'median ms/job':>15}{'p95 ms/job':>12}   "
          + "  ".join(f"{name:>7}" for name in OPERATIONS) + "   (median ms per operation)")
    medians = {}
    for backend, (totals, each) in single.items():
        medians[backend] = statistics.median(totals)
        print(f"{backend:22}{medians[backend]:>15.2f}{p95(totals):>12.2f}   "
              + "  ".join(f"{statistics.median(each[name]):>7.2f}" for name in OPERATIONS))
    print(f"{'PostgreSQL / SQLite':22}{medians['PostgreSQL'] / medians['SQLite']:>14.2f}×")
    print(f"\nclaims with {args.processes} processes racing ({args.distinct} own fingerprints "
          f"each; {args.contended} wanted by all {args.processes}):\n")
    print(f"{'':22}{'distinct claims/s':>19}{'contended tries/s':>19}{'claimed once':>15}"
          f"{'held / found':>15}{'errors':>8}")
    failed = False
    for backend, r in races.items():
        print(f"{backend:22}{r['distinct_rate']:>19.0f}{r['tries_rate']:>19.0f}"
              f"{str(r['once']) + '/' + str(r['contended']):>15}"
              f"{str(r['held']) + ' / ' + str(r['found']):>15}{r['errors']:>8}")
        if (r["once"] != r["contended"] or r["errors"]
                or r["distinct_won"] != r["distinct_asked"]):
            failed = True
            print(f"  DEFECT: {r['twice']} claimed twice, {r['never']} never, "
                  f"{r['distinct_asked'] - r['distinct_won']} own claims lost, errors: "
                  f"{r['error_examples']}")
    print(f"\nSQLite: a file on {_filesystem(Path(tempfile.gettempdir()))}, {sqlite_mode} (the "
          f"pack's setting). PostgreSQL: server fsync={fsync}"
          + (" — a production server syncs, and is slower than this." if fsync == "off" else "."))
    print(f"(elapsed {time.monotonic() - begun:.0f} s; at the start: {load}; at the end: "
          f"{kit.machine()})")
    return 1 if failed else 0


class _plain:
    def __init__(self, value):
        self.value = value

    def __enter__(self):
        return self.value

    def __exit__(self, *exc):
        return False


def _filesystem(path: Path) -> str:
    """The filesystem type that holds path (from /proc/mounts), e.g. "ext4"."""
    best, kind = "", "?"
    try:
        with open("/proc/mounts") as mounts:
            for line in mounts:
                fields = line.split()
                if len(fields) > 2 and str(path.resolve()).startswith(fields[1]) \
                        and len(fields[1]) > len(best):
                    best, kind = fields[1], fields[2]
    except OSError:
        pass
    return kind


if __name__ == "__main__":
    sys.exit(main())
