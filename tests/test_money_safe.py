"""No paid task lost, none paid twice, whatever the network or the user does: every create
operation under Cancel mid-send, cut and unreadable answers, a dead submitter; failure answers
read as failures; chat answers journalled like tasks."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from conftest import KEYS, PACK, run_in_new_process, submodule, NODES
from test_image_nodes import await_images, seacloud_submit, seedream3_submit, seedream4
from test_llm_nodes import run as chat
from test_video_nodes import await_video, i2v, t2v

nodes = NODES
GatewayError = submodule("providers.errors").GatewayError
Reply = submodule("providers.emulator").Reply

# Every operation that costs money: (name, gateway, create path, how to run it once, and what
# identifies its result so that two runs can be compared).
CREATES = {
    "seacloud_queue": ("seacloud", "/model/v1/queue/nano_banana_2",
                       lambda **kw: seacloud_submit(**kw), lambda task: task.jobs[0].task_id),
    "seedream3": ("gptunnel", "/v1/media/create", lambda **kw: seedream3_submit(**kw),
                  lambda task: task.jobs[0].task_id),
    "seedream4": ("gptunnel", "/v1/media/generate", lambda **kw: seedream4(**kw),
                  lambda result: float(result[0].sum())),
    "opencomputing_t2v": ("opencomputing", "/llmage/video", lambda **kw: t2v(**kw),
                          lambda task: task.jobs[0].task_id),
    "opencomputing_i2v": ("opencomputing", "/llmage/video",
                          lambda **kw: i2v(first_frame=FRAME, **kw),
                          lambda task: task.jobs[0].task_id),
    "chat_plain": ("seacloud", "/llm/v1/chat/completions",
                   lambda **kw: chat("SeaCloudLLM", **kw), lambda result: result[0]),
    "chat_stream": ("seacloud", "/llm/v1/chat/completions",
                    lambda **kw: chat("SeaCloudLLM", stream=True, **kw), lambda result: result[0]),
}
FRAME = torch.rand(1, 320, 480, 3)
# Module constants that bound how long a create may take, shortened so "late" outlasts them.
SUBMIT_TIMEOUTS = [("providers.seacloud", "SUBMIT_TIMEOUT"), ("providers.gptunnel", "SUBMIT_TIMEOUT"),
                   ("providers.gptunnel", "GENERATE_TIMEOUT"),
                   ("providers.opencomputing", "SUBMIT_TIMEOUT"), ("providers.chat", "REPLY_TIMEOUT"),
                   ("providers.chat", "STREAM_GAP_TIMEOUT")]


def creates(emulator, name):
    gateway, path, _, _ = CREATES[name]
    return [c for c in emulator.calls(gateway, path) if c.handled]


def wait_for(condition, seconds=10.0):
    ends = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < ends, "timed out"
        time.sleep(0.02)


@pytest.mark.parametrize("name", sorted(CREATES))
def test_cancel_while_the_create_is_in_flight_pays_once(emulator, fake_comfy, name):
    gateway, path, run, identity = CREATES[name]
    emulator.fault(gateway, path, "slow", delay=1.0)  # the gateway works, then answers late
    threading.Timer(0.3, fake_comfy.interrupted.set).start()
    started = time.monotonic()
    with pytest.raises(fake_comfy.InterruptProcessingException):
        run()
    assert time.monotonic() - started < 1.0, "Cancel stops the waiting at once"
    # Re-queued at once: the first send is still under way and its answer is what we get.
    again = run()
    assert len(creates(emulator, name)) == 1
    assert identity(again) == identity(run())
    assert len(creates(emulator, name)) == 1


@pytest.mark.parametrize("fault", ["truncated", "non_json", "reset", "502", "504", "late"])
@pytest.mark.parametrize("name", sorted(CREATES))
def test_an_answer_that_may_hide_an_accepted_create_is_not_paid_again(emulator, monkeypatch,
                                                                     name, fault):
    gateway, path, run, _ = CREATES[name]
    for module, constant in SUBMIT_TIMEOUTS:
        monkeypatch.setattr(submodule(module), constant, 0.4)
    emulator.fault(gateway, path, fault, delay=1.0)
    with pytest.raises(GatewayError) as first:
        run()
    assert first.value.maybe_accepted, str(first.value)
    assert "may have" in str(first.value) and "charged" in first.value.hint
    assert "seed" in first.value.hint
    with pytest.raises(GatewayError, match="may have been accepted and charged") as second:
        run()
    assert "seed" in second.value.hint
    assert len(creates(emulator, name)) == 1, "not sent again"
    run(seed=99)  # a new seed is a new request
    assert len(creates(emulator, name)) == 2


@pytest.mark.parametrize("fault", ["500", "503", "429"])
@pytest.mark.parametrize("name", sorted(CREATES))
def test_a_create_the_gateway_surely_refused_can_be_sent_again(emulator, name, fault):
    gateway, path, run, _ = CREATES[name]
    emulator.fault(gateway, path, fault, times=10)
    with pytest.raises(GatewayError) as caught:
        run()
    assert not caught.value.maybe_accepted
    assert not creates(emulator, name), "the gateway did no work"
    emulator.faults.clear()
    run()
    assert len(creates(emulator, name)) == 1


@pytest.mark.parametrize("fault", ["truncated", "reset", "non_json", "500", "504"])
def test_a_spoilt_status_answer_never_cancels_a_seacloud_job(emulator, fault):
    emulator.jobs.queue_seconds, emulator.jobs.run_seconds = 0.2, 0.2
    task = seacloud_submit()
    emulator.fault("seacloud", "/status", fault)
    images, _, _ = await_images(task)
    assert images.shape[0] == 1
    assert not emulator.calls("seacloud", "/cancel")


def test_a_status_that_keeps_failing_is_an_error_but_the_job_is_kept(emulator):
    task = seacloud_submit()
    emulator.fault("seacloud", "/status", "truncated", times=50)
    with pytest.raises(GatewayError) as caught:
        await_images(task)
    assert "SeaCloud" in str(caught.value)
    assert not emulator.calls("seacloud", "/cancel")
    emulator.faults.clear()
    images, _, _ = await_images(seacloud_submit())  # resumed, not submitted again
    assert images.shape[0] == 1
    assert len(emulator.calls("seacloud", "/queue/nano_banana_2")) == 1


def test_cancel_during_the_download_does_not_cancel_the_finished_job(emulator, fake_comfy):
    task = seacloud_submit()
    emulator.fault("cdn", "/cdn/", "slow", delay=1.0)
    threading.Timer(0.5, fake_comfy.interrupted.set).start()
    with pytest.raises(fake_comfy.InterruptProcessingException):
        await_images(task)
    assert not emulator.calls("seacloud", "/cancel")
    images, _, _ = await_images(seacloud_submit())
    assert images.shape[0] == 1


def test_the_users_cancel_still_cancels_a_waiting_seacloud_job(emulator, fake_comfy):
    emulator.jobs.queue_seconds = 5.0
    task = seacloud_submit()
    threading.Timer(0.3, fake_comfy.interrupted.set).start()
    with pytest.raises(fake_comfy.InterruptProcessingException):
        await_images(task)
    assert len(emulator.calls("seacloud", "/cancel")) == 1


# -- failure answers ---------------------------------------------------------------------------

@pytest.mark.parametrize("answer, reason", [
    ({"code": 0, "status": "error"}, "error"),
    ({"code": 0, "status": "failed", "error": "NSFW content detected"}, "NSFW content detected"),
    ({"code": 0, "status": "failed", "message": "upstream timeout"}, "upstream timeout"),
])
def test_gptunnel_failure_answers_end_the_job_at_once(emulator, answer, reason):
    task = seedream3_submit()
    emulator.fail("gptunnel", "/v1/media/result", Reply(200, json={"id": task.jobs[0].task_id,
                                                                  **answer}), times=20)
    with pytest.raises(GatewayError) as caught:
        await_images(task)
    assert "1 of 1 task(s) failed" in str(caught.value) and reason in str(caught.value)
    assert len(emulator.calls("gptunnel", "/v1/media/result")) == 1, "one poll, not five"
    job = submodule("nodes.comfy").journal().get(task.jobs[0].fingerprint)
    assert job.state.value == "failed"  # not polled again by every re-run
    seedream3_submit()  # a failed job may be submitted again
    assert len(emulator.calls("gptunnel", "/v1/media/create")) == 2


def test_gptunnel_code_errors_are_the_gateways_words(emulator):
    emulator.fail("gptunnel", "/v1/media/create",
                  Reply(200, json={"code": 3, "issues": [{"path": ["prompt"], "message": "Too long"}]}))
    with pytest.raises(GatewayError, match="prompt: Too long") as caught:
        seedream3_submit()
    assert not caught.value.maybe_accepted
    assert caught.value.code == "3"


def test_opencomputing_refusal_inside_a_200_is_not_unknown(emulator):
    emulator.fail("opencomputing", "/llmage/video",
                  Reply(200, json={"status": "error", "data": {"message": "Insufficient balance"}}))
    with pytest.raises(GatewayError, match="Insufficient balance") as caught:
        t2v()
    assert not caught.value.maybe_accepted
    assert "Top up" in caught.value.hint
    t2v()  # after topping up, the same request goes through
    assert len(emulator.calls("opencomputing", "/llmage/video")) == 2


def test_seacloud_credit_error_inside_a_200_is_a_refusal(emulator):
    emulator.fail("seacloud", "/queue/nano_banana_2", Reply(200, json={
        "status": {"code": 402, "message": "Insufficient credits", "error_code": 40201}}))
    with pytest.raises(GatewayError, match="Insufficient credits") as caught:
        seacloud_submit()
    assert not caught.value.maybe_accepted and "Top up" in caught.value.hint


# -- chat answers are paid results -------------------------------------------------------------

def test_a_chat_answer_is_reused_streamed_or_plain(emulator):
    text, usage, _ = chat("SeaCloudLLM")
    again, usage_again, _ = chat("SeaCloudLLM", stream=True)
    assert again == text
    assert '"reused": true' in usage_again
    assert len(emulator.calls("seacloud", "/chat/completions")) == 1
    chat("SeaCloudLLM", seed=7)  # a new seed asks anew
    chat("SeaCloudLLM", prompt="another question")
    assert len(emulator.calls("seacloud", "/chat/completions")) == 3


@pytest.mark.parametrize("node_id, inputs", [
    ("SeaCloudLLM", {"protocol": "anthropic_messages", "model": "claude-sonnet-4-5",
                     "temperature": 0.5}),
    ("SeaCloudLLM", {"protocol": "responses"}),
    ("CloudBaseLLM", {}), ("OpenComputingLLM", {}),
])
def test_a_chat_answer_is_reused_after_a_restart(emulator, node_id, inputs):
    code = (f"import json\nfrom test_llm_nodes import run\n"
            f"print(json.dumps(run({node_id!r}, **{inputs!r})[0]))")
    first = run_in_new_process(code).strip()
    text, _, _ = chat(node_id, **inputs)
    assert f'"{text}"' == first.replace('\\"', '"') or text in first
    assert len([c for c in emulator.calls() if c.gateway != "cdn"]) == 1


def test_history_is_part_of_a_chat_answers_identity(emulator):
    _, _, history = chat("SeaCloudLLM")
    chat("SeaCloudLLM", history=history)
    chat("SeaCloudLLM", history=history)
    assert len(emulator.calls("seacloud", "/chat/completions")) == 2


# -- a run that died mid-submit ----------------------------------------------------------------

def test_a_submitter_killed_mid_create_is_reported_within_ten_seconds(emulator, tmp_path):
    emulator.fault("seacloud", "/queue/nano_banana_2", "slow", delay=30)
    prelude = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
               f"import conftest; nodes = conftest.NODES\n")
    code = ('nodes["SeaCloudSubmit"]().submit(model_id="nano_banana_2", '
            'prompt="a red kite over dunes", params_json="{}", seed=5, count=1)')
    process = subprocess.Popen([sys.executable, "-c", prelude + code], env=dict(os.environ),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: creates(emulator, "seacloud_queue"), 60)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    started = time.monotonic()
    with pytest.raises(GatewayError, match="may have been accepted and charged") as caught:
        seacloud_submit()
    # its claim's lease runs out without the heartbeat (not after the 180 s a send may take)
    assert time.monotonic() - started < 10
    assert f"process {process.pid}" in str(caught.value) and "stopped" in str(caught.value)
    assert len(creates(emulator, "seacloud_queue")) == 1


def test_a_second_run_waiting_on_a_live_submitter_says_so(emulator, fake_comfy):
    emulator.fault("seacloud", "/queue/nano_banana_2", "slow", delay=1.0)
    first = threading.Thread(target=seacloud_submit)
    first.start()
    wait_for(lambda: creates(emulator, "seacloud_queue"))
    task = nodes["SeaCloudSubmit"]().submit(model_id="nano_banana_2", prompt="a red kite over dunes",
                                            params_json="{}", seed=5, count=1, unique_id="n2")[0]
    first.join()
    assert any(node == "n2" and "another run" in text for node, text in fake_comfy.texts)
    assert task.jobs[0].task_id
    assert len(creates(emulator, "seacloud_queue")) == 1


# -- no key in the journal ---------------------------------------------------------------------

def test_an_answer_that_echoes_the_key_is_journalled_without_it(emulator):
    task = seacloud_submit()
    key = KEYS["seacloud"]
    emulator.fail("seacloud", "/status", Reply(200, json={
        "status": "IN_PROGRESS", "logs": [{"message": f"auth was Key {key}"}]}))
    await_images(task)
    chat("SeaCloudLLM")
    journal = Path(os.environ["MODEL_GATEWAY_DATA_DIR"]) / "journal.sqlite3"
    with sqlite3.connect(journal) as db:
        rows = [" ".join(map(str, row)) for row in db.execute("SELECT * FROM jobs")]
    assert rows and not [row for row in rows if key in row]
    # what the journal writes is redacted, whatever field of an answer held the key
    job = submodule("nodes.comfy").journal().get(task.jobs[0].fingerprint)
    job.raw = {"logs": [{"message": f"auth was Key {key}"}]}
    assert submodule("nodes.comfy").journal().save(job)
    with sqlite3.connect(journal) as db:
        (row,) = db.execute("SELECT job FROM jobs WHERE fingerprint = ?", (job.fingerprint,))
    assert key not in row[0] and "auth was Key ***" in row[0]


# -- a result file that does not arrive ---------------------------------------------------------

@pytest.mark.parametrize("fault", ["500", "non_json"])
def test_a_result_file_that_fails_once_is_asked_again(emulator, fault):
    task = seacloud_submit()
    emulator.fault("cdn", "/cdn/", fault, times=1)
    images = await_images(task)[0]
    assert images.shape[0] == 1 and len(emulator.calls("cdn")) == 2


def test_a_result_file_that_keeps_failing_names_its_kept_task(emulator):
    task = seacloud_submit()
    emulator.fault("cdn", "/cdn/", "500", times=submodule("providers.poller").DOWNLOAD_TRIES)
    with pytest.raises(GatewayError) as caught:
        await_images(task)
    text = str(caught.value)
    assert f"task {task.jobs[0].task_id} finished" in text and "nothing is paid again" in text
    images = await_images(task)[0]  # the next run downloads it; nothing is created again
    assert images.shape[0] == 1 and len(creates(emulator, "seacloud_queue")) == 1


def test_cancel_while_the_claim_is_being_made_leaves_no_orphan_claim(emulator, fake_comfy,
                                                                     monkeypatch):
    """A claim that commits after Cancel ended the wait is handed back: the next run sends the
    request (once), instead of waiting on a claim nobody will ever send."""
    store = submodule("providers.journal.store")
    original = store.Journal.claim_step

    def slow_claim(self, *args):
        time.sleep(0.6)  # e.g. a shared database far away, or its first open
        return original(self, *args)

    monkeypatch.setattr(store.Journal, "claim_step", slow_claim)
    threading.Timer(0.2, fake_comfy.interrupted.set).start()
    with pytest.raises(fake_comfy.InterruptProcessingException):
        seacloud_submit()
    time.sleep(0.8)  # the claim step ends after the wait did
    assert creates(emulator, "seacloud_queue") == []
    started = time.monotonic()
    task = seacloud_submit()
    assert time.monotonic() - started < 5 and task.jobs[0].task_id
    assert len(creates(emulator, "seacloud_queue")) == 1
