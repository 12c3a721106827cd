"""What SeaCloud's public pages say beyond the seed page (docs/GATEWAYS.md): queue_position is a
fixed 0 (so no position is ever shown), response_url answers 202 until the result is ready,
both `Key` and `Bearer` authenticate the queue, and the derived URLs carry the model id."""
from __future__ import annotations

import asyncio

import pytest
import requests

from conftest import KEYS, submodule
from test_image_nodes import await_images, seacloud_submit

Reply = submodule("providers.emulator").Reply
progress = submodule("providers.progress")
tasks = submodule("providers.tasks")


@pytest.mark.parametrize("position, shown", [(0, "in queue"), (None, "in queue"),
                                             (-1, "in queue"), (3, "in queue, position 3")])
def test_position_0_is_never_shown(position, shown):
    job = tasks.Job("seacloud", "seacloud_queue", "r", "fp", "nano_banana_2", "image",
                    queue_position=position)
    assert progress.job_text(job) == shown


def test_submit_and_status_position_0_is_no_position(emulator, fake_comfy):
    emulator.jobs.queue_seconds, emulator.jobs.run_seconds = 0.3, 0.2
    task = seacloud_submit()
    assert task.jobs[0].queue_position is None  # the submit answer's 0 is not kept as one
    asyncio.run(submodule("nodes.tasks").GatewayAwaitImages().wait(task, 30, unique_id="7"))
    texts = [text for node, text in fake_comfy.texts if node == "7"]
    assert any("in queue" in text for text in texts)
    assert not any("position" in text for text in texts), texts


def test_response_url_202_means_not_ready_yet(emulator):
    """multimodal/result: an incomplete task's result answers HTTP 202 with a status body;
    it is not an error, the wait goes on."""
    task = seacloud_submit()
    emulator.fail("seacloud", "/response", Reply(202, json={
        "status": "IN_PROGRESS", "request_id": task.jobs[0].task_id}), times=2)
    images, _, _ = await_images(task)
    assert images.shape[0] == 1
    assert len(emulator.calls("seacloud", "/response")) == 3


@pytest.mark.parametrize("scheme", ["Key", "Bearer"])
def test_queue_takes_key_and_bearer(emulator, scheme):
    url = emulator.base_url("seacloud", "model") + "/v1/queue/nano_banana_2"
    answer = requests.post(url, json={"prompt": "a cat"}, timeout=10,
                           headers={"Authorization": f"{scheme} {KEYS['seacloud']}"})
    assert answer.status_code == 200 and answer.json()["request_id"]


def test_the_pack_sends_key_on_the_queue(emulator):
    seacloud_submit()
    (submit,) = emulator.calls("seacloud", "/model/v1/queue/")
    assert submit.headers["authorization"] == f"Key {KEYS['seacloud']}"


def test_derived_urls_carry_the_model_id(emulator):
    """A submit answer without URLs: they are derived as multimodal/submit and /result show."""
    emulator.short_submit_reply = True
    task = seacloud_submit()
    job = task.jobs[0]
    base = emulator.base_url("seacloud", "model") + "/v1/queue/nano_banana_2/requests/"
    assert job.handles == {"status_url": base + job.task_id + "/status",
                           "response_url": base + job.task_id + "/response",
                           "cancel_url": base + job.task_id + "/cancel"}
    await_images(task)
    assert emulator.calls("seacloud", f"/model/v1/queue/nano_banana_2/requests/{job.task_id}"
                                      f"/response")
