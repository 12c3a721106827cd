"""The Gateway tasks panel's routes (/model_gateway/tasks...), on an aiohttp app built the way
the pack registers them: every journalled job page by page, newest first; what each gateway
reported spending; resuming the wait for an unfinished job on the server; forgetting a finished
one. No answer ever holds a key, a raw gateway answer or a result link."""
from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from conftest import KEYS, PACK, submodule, NODES

nodes = NODES
routes_module = submodule("nodes.routes")
comfy = submodule("nodes.comfy")
Job = submodule("providers.tasks").Job
State = submodule("providers.tasks").State
task_list = submodule("providers.task_list")


def call(*requests):
    """[(status, body)] of requests [(method, path, headers)] to one app with the pack's routes."""
    async def go():
        routes = web.RouteTableDef()
        routes_module.register(routes)
        app = web.Application()
        app.add_routes(routes)
        answers = []
        async with TestClient(TestServer(app)) as client:
            for method, path, *headers in requests:
                response = await client.request(method, path, headers=(headers or [{}])[0])
                text = await response.text()
                answers.append((response.status, text))
        return answers
    return asyncio.run(go())


def get(path):
    status, text = call(("GET", path))[0]
    assert status == 200, text
    return json.loads(text), text


VIDEO = dict(prompt="a paper boat", duration=0, resolution="default", ratio="default",
             size="default", negative_prompt="", off_peak=False, seed=1)


def chat(**inputs):
    values = dict(model="qwen3-max", prompt="name a colour", system_prompt="", temperature=0.5,
                  top_p=1.0, max_tokens=20, seed=0, stream=False, **inputs)
    return nodes["OpenComputingLLM"]().chat(**values)


def video_task(**inputs):
    return nodes["OpenComputingTextToVideo"]().submit(model="Seedance 2.0 (Doubao)",
                                                      **{**VIDEO, **inputs})[0]


def assert_keyless(text: str):
    for key in KEYS.values():
        assert key not in text and key[:-4] not in text
    body = json.loads(text)
    for entry in body.get("jobs", []):
        assert not {"raw", "handles", "result_urls", "cover_url"} & set(entry), entry


def wait_for(predicate, seconds=30.0):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_every_job_is_listed_with_what_the_panel_shows_and_no_key(emulator):
    chat()
    task = video_task()
    nodes["GatewayAwaitVideo"]().wait(task, timeout=60, max_frames=2, frame_step=1, max_side=64)
    body, text = get("/model_gateway/tasks")
    assert_keyless(text)
    assert body["total"] == 2 and body["offset"] == 0
    video, answer = body["jobs"]  # newest first
    assert (video["gateway"], video["gateway_title"], video["kind"], video["model"]) == (
        "opencomputing", "OpenComputing", "video", "Seedance 2.0 (Doubao)")
    assert video["state"] == "succeeded" and video["task_id"] == task.jobs[0].task_id
    assert video["created_at"] <= video["updated_at"] and video["resumable"] is False
    assert "credits" in video["usage"]
    assert (answer["kind"], answer["state"]) == ("text", "succeeded")
    assert answer["text"].startswith("[sandbox") and answer["usage"]["total_tokens"] > 0
    assert answer["resumable"] is False
    # the prompt's first words, journalled with each job (the gateways do not echo it)
    assert video["prompt"] == "a paper boat"
    assert answer["prompt"] == "name a colour"


def test_kept_files_come_with_their_previews(emulator, monkeypatch, tmp_path):
    task = video_task()
    nodes["GatewayAwaitVideo"]().wait(task, timeout=60, max_frames=2, frame_step=1, max_side=64)
    seen = []
    monkeypatch.setattr(comfy, "preview_entries", lambda paths: seen.append(paths) or [
        {"filename": "x.mp4", "subfolder": "model_gateway/results", "type": "output"}])
    body, _ = get("/model_gateway/tasks")
    assert body["jobs"][0]["files"] == [{"filename": "x.mp4", "subfolder": "model_gateway/results",
                                         "type": "output"}]
    assert seen[0] == comfy.journal().get(task.jobs[0].fingerprint).files


def fill(journal, count, *, start=None, gateway="gptunnel", usage=None, state=State.SUCCEEDED):
    """count jobs saved in one transaction (10 000 saves one by one take seconds)."""
    start = time.time() if start is None else start
    journal.save_all([Job(gateway, "seedream3", f"{i:024x}", f"{i:064x}", "seedream-3", "image",
                          state=state, usage=dict(usage or {}), created_at=start + i,
                          updated_at=start + i) for i in range(count)])


def test_ten_thousand_jobs_page_fast_newest_first(emulator):
    journal = comfy.journal()
    fill(journal, 10_000, start=time.time() - 20_000)
    started = time.perf_counter()
    first, text = get("/model_gateway/tasks?limit=50")
    took = time.perf_counter() - started
    assert first["total"] == 10_000 and len(first["jobs"]) == 50
    assert len(text) < 60_000
    assert took < 2.0, f"{took:.2f} s for the first page"
    created = [job["created_at"] for job in first["jobs"]]
    assert created == sorted(created, reverse=True)
    second, _ = get("/model_gateway/tasks?offset=50&limit=50")
    assert created[-1] > second["jobs"][0]["created_at"]
    assert not {j["id"] for j in first["jobs"]} & {j["id"] for j in second["jobs"]}
    huge, _ = get("/model_gateway/tasks?limit=100000")
    assert len(huge["jobs"]) == task_list.PAGE_MAX
    status, _ = call(("GET", "/model_gateway/tasks?offset=x"))[0]
    assert status == 400


def test_spending_is_what_each_gateway_reported_today_and_this_month(emulator):
    journal = comfy.journal()
    now = datetime.now()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month = today.replace(day=1)
    earlier_this_month = (month + timedelta(seconds=5)).timestamp()
    last_month = (month - timedelta(days=2)).timestamp()
    soon = time.time()
    journal.save(Job("gptunnel", "seedream3", "a" * 24, "1" * 64, "seedream-3", "image",
                     state=State.SUCCEEDED, usage={"cost": "8"}, created_at=soon))
    journal.save(Job("gptunnel", "seedream3", "b" * 24, "2" * 64, "seedream-3", "image",
                     state=State.SUCCEEDED, usage={"cost": 4.5}, created_at=earlier_this_month))
    journal.save(Job("gptunnel", "seedream3", "c" * 24, "3" * 64, "seedream-3", "image",
                     state=State.SUCCEEDED, usage={"cost": 100}, created_at=last_month))
    journal.save(Job("opencomputing", "opencomputing_video", "v1", "4" * 64, "Vidu", "video",
                     state=State.SUCCEEDED, usage={"credits": 10}, created_at=soon))
    journal.save(Job("seacloud", "chat", "r1", "5" * 64, "gpt-4.1", "text", state=State.SUCCEEDED,
                     usage={"prompt_tokens": 10, "completion_tokens": 5}, created_at=soon))
    journal.save(Job("seacloud", "chat", "r2", "6" * 64, "gpt-4.1", "text", state=State.SUCCEEDED,
                     usage={"total_tokens": 100}, created_at=soon))
    body, text = get("/model_gateway/tasks/spending")
    assert_keyless(text)
    rows = {row["id"]: row for row in body["gateways"]}
    if earlier_this_month >= today.timestamp():  # the 1st of the month: both are today
        assert rows["gptunnel"]["today"] == {"cost": 12.5, "jobs": 2}
    else:
        assert rows["gptunnel"]["today"] == {"cost": 8.0, "jobs": 1}
    assert rows["gptunnel"]["month"] == {"cost": 12.5, "jobs": 2}
    assert rows["opencomputing"]["month"] == {"credits": 10.0, "jobs": 1}
    assert rows["seacloud"]["today"] == {"total_tokens": 115, "jobs": 2}
    assert rows["seacloud"]["title"] == "SeaCloud"


def test_resume_waits_on_the_server_without_submitting_again(emulator):
    emulator.jobs.queue_seconds, emulator.jobs.run_seconds = 0.3, 0.3
    task = video_task(seed=7)  # submitted; nobody awaits it
    fp = task.jobs[0].fingerprint
    listed, _ = get("/model_gateway/tasks")
    assert listed["jobs"][0]["resumable"] is True and listed["jobs"][0]["state"] == "queued"
    creates = len(emulator.calls("opencomputing", "/llmage/video"))
    status, text = call(("POST", f"/model_gateway/tasks/{fp}/resume"))[0]
    assert status == 200, text
    assert json.loads(text)["resume"]["running"] is True

    def finished():
        entry = get("/model_gateway/tasks")[0]["jobs"][0]
        return entry if entry["state"] == "succeeded" and not entry["resume"]["running"] else None

    entry = wait_for(finished)
    assert entry["resume"]["error"] is None and entry["resumable"] is False
    job = comfy.journal().get(fp)
    assert job.files and all(__import__("pathlib").Path(p).is_file() for p in job.files)
    assert len(emulator.calls("opencomputing", "/llmage/video")) == creates  # not sent again
    status, text = call(("POST", f"/model_gateway/tasks/{fp}/resume"))[0]
    assert status == 409 and "nothing to wait for" in text


def test_a_resume_that_fails_says_why_and_keeps_the_job(emulator):
    emulator.jobs.next_outcomes("failed")
    task = video_task(seed=8)
    fp = task.jobs[0].fingerprint
    assert call(("POST", f"/model_gateway/tasks/{fp}/resume"))[0][0] == 200

    def ended():
        entry = get("/model_gateway/tasks")[0]["jobs"][0]
        return entry if not entry["resume"]["running"] else None

    entry = wait_for(ended)
    assert entry["state"] == "failed" and "failed" in entry["resume"]["error"]
    assert comfy.journal().row(fp) is not None


def test_forget_only_a_finished_job(emulator):
    journal = comfy.journal()
    fill(journal, 1, state=State.RUNNING)
    running = f"{0:064x}"
    journal.save(Job("gptunnel", "seedream3", "d" * 24, "d" * 64, "seedream-3", "image",
                     state=State.SUCCEEDED))
    (status, text), = call(("POST", f"/model_gateway/tasks/{running}/forget"))
    assert status == 409 and journal.row(running) is not None
    (status, _), (listed, text) = call(("POST", f"/model_gateway/tasks/{'d' * 64}/forget"),
                                       ("GET", "/model_gateway/tasks"))
    assert status == 200 and journal.row("d" * 64) is None
    assert [j["id"] for j in json.loads(text)["jobs"]] == [running]


def test_rows_without_a_job_yet_are_listed_with_their_note(emulator):
    journal = comfy.journal()
    owner = journal.new_owner()
    journal.claim_step("e" * 64, owner, "GPTunnel")
    journal.mark_unknown("e" * 64, owner, "the answer was cut", "Look in the dashboard.")
    journal.claim_step("f" * 64, journal.new_owner(), "GPTunnel")
    body, text = get("/model_gateway/tasks")
    assert_keyless(text)
    states = {job["id"]: job for job in body["jobs"]}
    assert states["e" * 64]["state"] == "unknown" and states["e" * 64]["note"] == "the answer was cut"
    assert states["e" * 64]["hint"] == "Look in the dashboard."
    assert states["f" * 64]["state"] == "submitting"
    assert call(("POST", f"/model_gateway/tasks/{'e' * 64}/resume"))[0][0] == 404


@pytest.mark.parametrize("path", ["/model_gateway/tasks/{}/resume", "/model_gateway/tasks/{}/forget"])
def test_another_sites_page_cannot_resume_or_forget(emulator, path):
    journal = comfy.journal()
    journal.save(Job("gptunnel", "seedream3", "g" * 24, "a1" * 32, "seedream-3", "image",
                     state=State.SUCCEEDED))
    (status, _), = call(("POST", path.format("a1" * 32), {"Sec-Fetch-Site": "cross-site"}))
    assert status == 403 and journal.row("a1" * 32) is not None
    (status, _), = call(("POST", path.format("not-a-fingerprint")))
    assert status == 404


def test_a_key_in_a_journalled_message_never_reaches_the_panel(emulator):
    submodule("providers.errors").register_secret(KEYS["gptunnel"])
    journal = comfy.journal()
    job = Job("gptunnel", "seedream3", "h" * 24, "b2" * 32, "seedream-3", "image",
              state=State.FAILED, message=f"refused key {KEYS['gptunnel']}")
    journal.save(job)  # the journal redacts keys it knows as it writes
    body, text = get("/model_gateway/tasks")
    assert_keyless(text)


def test_each_job_names_the_worker_that_made_it(emulator):
    journal = comfy.journal()
    journal.save(Job("gptunnel", "seedream3", "w" * 24, "ab" * 32, "seedream-3", "image",
                     state=State.SUCCEEDED))
    body, text = get("/model_gateway/tasks")
    assert_keyless(text)
    (entry,) = body["jobs"]
    host, pid = submodule("providers.journal").worker_id().split(":")[:2]
    assert entry["worker"] == {"host": host, "pid": pid}


def test_a_journal_database_out_of_reach_is_said_in_the_panel(emulator, monkeypatch):
    monkeypatch.setenv("MODEL_GATEWAY_JOURNAL_URL",
                       "postgresql+psycopg://farm:panel-pw-9@127.0.0.1:9/journal")
    answers = call(("GET", "/model_gateway/tasks"), ("GET", "/model_gateway/tasks/spending"),
                   ("POST", f"/model_gateway/tasks/{'a' * 64}/forget"))
    for status, text in answers:
        assert status == 503 and "127.0.0.1:9/journal" in json.loads(text)["error"]
        assert "panel-pw-9" not in text
