"""A farm: several ComfyUI worker processes, each with its own data directory, sharing one
PostgreSQL journal (MODEL_GATEWAY_JOURNAL_URL), racing the same prompts against the emulator.
Nothing is paid twice, nothing is lost: a worker killed mid-create or mid-wait, the database
stopped mid-run or refusing the login. Needs a real PostgreSQL (MODEL_GATEWAY_TEST_POSTGRES_URL;
CI starts one), skipped without it."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import submodule
from test_money_safe import creates, wait_for

GatewayError = submodule("providers.errors").GatewayError
journal_pkg = submodule("providers.journal")
comfy = submodule("nodes.comfy")
TESTS = Path(__file__).parent

SUBMIT_AND_AWAIT = """
import json, sys
task = nodes["SeaCloudSubmit"]().submit(model_id="nano_banana_2", prompt=PROMPT,
                                        params_json="{}", seed=SEED, count=1)[0]
images = nodes["GatewayAwaitImages"]().wait(task=task, timeout=120)["result"][0]
job = task.jobs[0]
print(json.dumps({"task_id": job.task_id, "shape": list(images.shape)}))
"""


def worker(tmp_path, url, name, code, **env):
    """One ComfyUI worker: a process with its own data directory and the farm's journal."""
    data = tmp_path / f"worker-{name}"
    prelude = (f"import sys; sys.path.insert(0, {str(TESTS)!r}); "
               f"import conftest; nodes = conftest.NODES\n")
    environment = {**os.environ, "MODEL_GATEWAY_DATA_DIR": str(data),
                   "MODEL_GATEWAY_JOURNAL_URL": url, **env}
    return subprocess.Popen([sys.executable, "-c", prelude + code], env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process, timeout=120):
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def job_code(prompt="a red kite over dunes", seed=5):
    return f"PROMPT = {prompt!r}\nSEED = {seed}\n" + SUBMIT_AND_AWAIT


@pytest.fixture
def farm(emulator, postgres_url, monkeypatch):
    """The test process is a worker of the farm too."""
    monkeypatch.setenv("MODEL_GATEWAY_JOURNAL_URL", postgres_url)
    return postgres_url


def test_workers_racing_the_same_prompts_pay_each_once(farm, emulator, tmp_path):
    emulator.jobs.queue_seconds, emulator.jobs.run_seconds = 0.3, 0.6
    prompts = [("a red kite over dunes", seed) for seed in (1, 2, 3)]
    code = "\n".join(job_code(p, s) for p, s in prompts)
    workers = [worker(tmp_path, farm, i, code) for i in range(3)]
    results = [finish(w) for w in workers]
    for code_, out, err in results:
        assert code_ == 0, err
    seen = [[json.loads(line) for line in out.splitlines()] for _, out, _ in results]
    # every worker got every result, each the same job; the gateway made each once
    assert all(len(lines) == 3 for lines in seen)
    assert len({tuple(line["task_id"] for line in lines) for lines in seen}) == 1
    assert len(creates(emulator, "seacloud_queue")) == 3
    # each worker downloaded its own files, into its own data directory
    for i in range(3):
        assert list((tmp_path / f"worker-{i}" / "results").glob("seacloud_*"))


def test_a_worker_killed_mid_create_is_reported_to_the_others_within_ten_seconds(
        farm, emulator, tmp_path):
    emulator.fault("seacloud", "/queue/nano_banana_2", "slow", delay=60)
    first = worker(tmp_path, farm, "a", job_code())
    try:
        wait_for(lambda: creates(emulator, "seacloud_queue"), 60)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    second = worker(tmp_path, farm, "b", job_code())
    started = time.monotonic()
    code, _, err = finish(second)
    assert code != 0 and "may have been accepted and charged" in err
    assert f"process {first.pid}" in err and "stopped" in err
    assert time.monotonic() - started < 10 + 3  # + the worker's own start-up
    assert len(creates(emulator, "seacloud_queue")) == 1


def test_a_worker_killed_mid_wait_leaves_the_job_to_any_other(farm, emulator, tmp_path):
    emulator.jobs.queue_seconds, emulator.jobs.run_seconds = 1.0, 3.0
    first = worker(tmp_path, farm, "a", job_code())
    try:
        wait_for(lambda: creates(emulator, "seacloud_queue"), 60)
        wait_for(lambda: emulator.calls("seacloud", "/status"), 30)  # it is polling
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    code, out, err = finish(worker(tmp_path, farm, "b", job_code()))
    assert code == 0, err
    assert json.loads(out)["shape"][0] == 1
    assert len(creates(emulator, "seacloud_queue")) == 1  # resumed, not created again
    assert list((tmp_path / "worker-b" / "results").glob("seacloud_*"))
    assert not list((tmp_path / "worker-a").glob("results/seacloud_*"))


def test_the_tasks_panel_shows_every_workers_jobs_and_who_made_them(farm, emulator, tmp_path):
    code, out, err = finish(worker(tmp_path, farm, "a", job_code(seed=8)))
    assert code == 0, err
    task_list = submodule("providers.task_list")
    listed = task_list.list_jobs(comfy.journal(), files_dir=comfy.files_directory())
    (entry,) = listed["jobs"]
    assert entry["task_id"] == json.loads(out)["task_id"]
    assert entry["worker"]["host"] and entry["worker"]["pid"].isdigit()
    assert entry["worker"] != task_list.made_on(journal_pkg.worker_id())  # another process
    # its files are in that worker's folder, not this one's: none handed out, resume offered
    assert entry["files"] == [] and entry["resumable"] is True
    spent = task_list.spending(comfy.journal())
    assert [g["id"] for g in spent["gateways"]] == ["seacloud"]


def test_a_chat_answer_is_reused_by_another_worker(farm, emulator, tmp_path):
    code = ("import json\nfrom test_llm_nodes import run\n"
            "print(json.dumps(run('SeaCloudLLM')[0]))")
    first = finish(worker(tmp_path, farm, "a", code))
    second = finish(worker(tmp_path, farm, "b", code))
    assert first[0] == 0 and second[0] == 0, first[2] + second[2]
    assert first[1] == second[1]
    assert len(emulator.calls("seacloud", "/chat/completions")) == 1


def test_two_waits_on_one_job_both_get_it_and_it_never_goes_back(farm, emulator):
    emulator.jobs.queue_seconds, emulator.jobs.run_seconds = 0.2, 0.5
    from test_image_nodes import await_images, seacloud_submit
    task = seacloud_submit()
    outs, errors = [], []

    def wait():
        try:
            outs.append(await_images(task))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=wait) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(outs) == 2
    journal = comfy.journal()
    done = journal.get(task.jobs[0].fingerprint)
    assert done.state.value == "succeeded"
    stale = submodule("providers.tasks").Job.from_dict({**done.to_dict(), "state": "running"})
    assert journal.save(stale) is False  # a finished job never returns to running
    assert journal.get(done.fingerprint).state.value == "succeeded"


# -- the database's own faults ------------------------------------------------------------------

def test_a_database_out_of_reach_fails_the_run_before_anything_is_sent(emulator, monkeypatch):
    password = "pw-never-shown-77"
    monkeypatch.setenv("MODEL_GATEWAY_JOURNAL_URL",
                       f"postgresql+psycopg://farm:{password}@127.0.0.1:9/journal")
    from test_image_nodes import seacloud_submit
    started = time.monotonic()
    with pytest.raises(GatewayError) as caught:
        seacloud_submit()
    assert time.monotonic() - started < 10
    text = str(caught.value)
    assert "127.0.0.1:9" in text and "cannot be reached" in text and password not in text
    assert isinstance(caught.value, journal_pkg.JournalError)
    assert emulator.calls("seacloud") == []


def test_a_refused_login_says_so_without_the_password(emulator, postgres_url, monkeypatch):
    head, tail = postgres_url.split("@", 1)
    wrong = head.rsplit(":", 1)[0] + ":wrong-pw-123@" + tail
    monkeypatch.setenv("MODEL_GATEWAY_JOURNAL_URL", wrong)
    from test_image_nodes import seacloud_submit
    with pytest.raises(journal_pkg.JournalError) as caught:
        seacloud_submit()
    assert "refused the login" in str(caught.value) and "wrong-pw-123" not in str(caught.value)
    assert emulator.calls("seacloud") == []


def test_the_pack_loads_and_says_what_is_missing_without_psycopg(tmp_path):
    code = ("import sys; sys.modules['psycopg'] = None\n"
            f"sys.path.insert(0, {str(TESTS)!r})\n"
            "import logging; logging.basicConfig()\n"
            "import conftest\n"
            "print(len(conftest.PACK.NODE_CLASS_MAPPINGS))\n"
            "from conftest import submodule\n"
            "try:\n    submodule('nodes.comfy').journal()\n"
            "except Exception as exc:\n    print(type(exc).__name__, exc)\n")
    env = {**os.environ, "MODEL_GATEWAY_DATA_DIR": str(tmp_path),
           "MODEL_GATEWAY_JOURNAL_URL": "postgresql+psycopg://u:secretpw@127.0.0.1:5432/db"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    count, error = result.stdout.splitlines()[:2]
    assert int(count) > 10
    assert error.startswith("JournalError") and 'pip install "psycopg[binary]"' in error
    assert 'pip install "psycopg[binary]"' in result.stderr  # said once at load, too
    assert "secretpw" not in result.stdout + result.stderr


def test_a_database_restart_mid_wait_loses_nothing(farm, emulator, postgres_server):
    emulator.jobs.queue_seconds, emulator.jobs.run_seconds = 0.5, 2.5
    from test_image_nodes import await_images, seacloud_submit
    task = seacloud_submit()
    outcome = {}

    def wait():
        try:
            outcome["images"] = await_images(task)
        except Exception as exc:
            outcome["error"] = exc

    waiting = threading.Thread(target=wait)
    waiting.start()
    time.sleep(0.3)
    postgres_server.stop()
    time.sleep(4.0)  # the job finishes on the gateway while the journal is away
    postgres_server.start()
    waiting.join(90)
    assert "error" not in outcome, outcome.get("error")
    job = comfy.journal().get(task.jobs[0].fingerprint)
    assert job.state.value == "succeeded" and job.files  # written once the database was back
    assert len(creates(emulator, "seacloud_queue")) == 1


def test_a_create_answered_while_the_database_is_away_names_its_task(
        farm, emulator, postgres_server, monkeypatch):
    monkeypatch.setattr(journal_pkg, "PATIENCE", 2.0)
    emulator.fault("seacloud", "/queue/nano_banana_2", "slow", delay=2.0)
    from test_image_nodes import seacloud_submit
    outcome = {}

    def submit():
        try:
            outcome["task"] = seacloud_submit()
        except Exception as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=submit)
    thread.start()
    wait_for(lambda: emulator.calls("seacloud", "/queue/nano_banana_2"), 30)
    postgres_server.stop()
    try:
        thread.join(60)
    finally:
        postgres_server.start()
    error = outcome["error"]
    (task_id,) = emulator.jobs.jobs  # the one job the gateway made
    assert isinstance(error, GatewayError)
    assert f"accepted the request as task {task_id}" in str(error)
    assert "Gateway Task From Id" in str(error)
    assert len(creates(emulator, "seacloud_queue")) == 1


# -- moving in ----------------------------------------------------------------------------------

SCHEMA1 = TESTS / "data" / "journal_schema1.sqlite3"


def dump(path):
    import sqlite3
    from contextlib import closing
    with closing(sqlite3.connect(path)) as db:
        return list(db.iterdump())


def test_a_journal_written_by_the_released_pack_is_upgraded_with_a_backup(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "journal.sqlite3").write_bytes(SCHEMA1.read_bytes())
    journal = journal_pkg.open_journal(data)
    backup = data / "journal.sqlite3.schema-1.bak"
    assert dump(backup) == dump(SCHEMA1)  # the released journal, as it was
    rows = {row[0]: row for row in journal.page(0, 50)}
    assert len(rows) == 5 and rows["6" * 64][1] == "unknown"
    states = sorted(row[1] for row in rows.values())
    assert states == ["queued", "submitting", "succeeded", "succeeded", "unknown"]
    texts = [journal.get(fp) for fp in rows if rows[fp][1] == "succeeded"]
    assert {job.kind for job in texts} == {"image", "text"}


def test_each_workers_sqlite_journal_is_carried_in_once_losing_nothing(postgres_url, tmp_path):
    # two workers, each with the released pack's journal and one job of its own
    tasks = submodule("providers.tasks")
    for name in ("a", "b"):
        data = tmp_path / name
        data.mkdir()
        (data / "journal.sqlite3").write_bytes(SCHEMA1.read_bytes())
        own = journal_pkg.open_journal(data)
        own.save(tasks.Job("gptunnel", "seedream3", f"task-{name}", name * 64, "seedream-3",
                           "image", state=tasks.State.SUCCEEDED, usage={"cost": 2.5}))
    code = (f"import sys; sys.path.insert(0, {str(TESTS)!r}); import conftest\n"
            "from conftest import submodule\n"
            "print(submodule('nodes.comfy').journal().count())\n")
    runs = []
    for name in ("a", "b", "a", "b"):  # each worker starts twice
        env = {**os.environ, "MODEL_GATEWAY_DATA_DIR": str(tmp_path / name),
               "MODEL_GATEWAY_JOURNAL_URL": postgres_url}
        runs.append(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                   text=True, env=env, timeout=60))
    assert all(run.returncode == 0 for run in runs), runs[0].stderr
    shared = journal_pkg.open_journal(tmp_path / "elsewhere", postgres_url)
    rows = {row[0]: row for row in shared.page(0, 50)}
    assert len(rows) == 5 + 2  # the released journal's rows once, and each worker's own
    assert rows["a" * 64][1] == "succeeded" and rows["b" * 64][1] == "succeeded"
    assert json.loads(rows["a" * 64][2])["usage"] == {"cost": 2.5}
    # the claim left in flight arrives as unknown: nobody may send it again blindly
    assert rows["5" * 64][1] == "unknown"
    assert [int(run.stdout) for run in runs] == [6, 7, 7, 7]


# -- result files stay per host -----------------------------------------------------------------

SEEDREAM4 = """
import json
out = nodes["GPTunnelSeedream4"]().generate(prompt="a fox", size="2K", aspect_ratio="16:9",
                                            seed=3, count=1)
print(json.dumps({"sum": float(out["result"][0].sum())}))
"""


def elsewhere(tmp_path, name):
    """The worker's disk is on another machine: its files are not here."""
    shutil.rmtree(tmp_path / f"worker-{name}" / "results")


def test_a_result_another_worker_downloaded_is_fetched_again_here(farm, emulator, tmp_path):
    emulator.seedream4_url_only = True
    first = finish(worker(tmp_path, farm, "a", SEEDREAM4, MODEL_GATEWAY_WORKER_NAME="box-a"))
    elsewhere(tmp_path, "a")
    second = finish(worker(tmp_path, farm, "b", SEEDREAM4))
    assert first[0] == 0 and second[0] == 0, first[2] + second[2]
    assert first[1] == second[1]  # the same image
    assert len(creates(emulator, "seedream4")) == 1
    assert list((tmp_path / "worker-b" / "results").glob("gptunnel_*"))


def test_an_expired_link_says_which_worker_has_the_files(farm, emulator, tmp_path):
    emulator.seedream4_url_only = True
    assert finish(worker(tmp_path, farm, "a", SEEDREAM4, MODEL_GATEWAY_WORKER_NAME="box-a"))[0] == 0
    elsewhere(tmp_path, "a")
    emulator.jobs.files.clear()  # the storage host no longer serves it
    code, _, err = finish(worker(tmp_path, farm, "b", SEEDREAM4))
    assert code != 0 and "were downloaded on box-a" in err and "Copy the files from box-a" in err
    assert len(creates(emulator, "seedream4")) == 1


def test_an_inline_result_kept_by_another_worker_says_where(farm, emulator, tmp_path):
    assert finish(worker(tmp_path, farm, "a", SEEDREAM4,
                         MODEL_GATEWAY_WORKER_NAME="box-a"))[0] == 0  # base64: no link
    elsewhere(tmp_path, "a")
    code, _, err = finish(worker(tmp_path, farm, "b", SEEDREAM4))
    assert code != 0 and "kept on box-a" in err and "no link to fetch it again" in err
    assert len(creates(emulator, "seedream4")) == 1
