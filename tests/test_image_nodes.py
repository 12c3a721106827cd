"""Image nodes and the task machinery through real HTTP against the emulator."""
from __future__ import annotations

import base64
import json
import threading
import time

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import KEYS, PACK, run_in_new_process, submodule, NODES

nodes = NODES
GatewayError = submodule("providers.errors").GatewayError
Reply = submodule("providers.emulator").Reply


def seacloud_submit(**inputs):
    values = {"model_id": "nano_banana_2", "prompt": "a red kite over dunes", "params_json": "{}",
              "seed": 5, "count": 1, **inputs}
    return nodes["SeaCloudSubmit"]().submit(**values)[0]


def seedream3_submit(**inputs):
    values = {"prompt": "a lighthouse", "ar": "16:9", "seed": 1, "count": 1, **inputs}
    return nodes["GPTunnelSeedream3Submit"]().submit(**values)[0]


def await_images(task, timeout=30):
    out = nodes["GatewayAwaitImages"]().wait(task, timeout)
    return out["result"]


def seedream4(**inputs):
    values = {"prompt": "a fox", "size": "2K", "aspect_ratio": "16:9", "seed": 1, "count": 1,
              **inputs}
    return nodes["GPTunnelSeedream4"]().generate(**values)["result"]


def decode(url: str) -> Image.Image:
    import io
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))


# -- SeaCloud queue ---------------------------------------------------------------------------

def test_seacloud_submit_and_await(emulator):
    task = seacloud_submit(params_json='{"aspect_ratio": "16:9"}')
    (submit,) = emulator.calls("seacloud", "/model/v1/queue/nano_banana_2")
    assert submit.method == "POST"
    assert submit.headers["authorization"] == f"Key {KEYS['seacloud']}"
    assert submit.json == {"aspect_ratio": "16:9", "prompt": "a red kite over dunes", "seed": 5}
    assert task.jobs[0].task_id and task.jobs[0].state.value == "queued"
    images, urls, usage = await_images(task)
    assert images.shape == (1, 54, 96, 3) and images.dtype == torch.float32
    assert float(images.max()) > 0
    assert urls.startswith(emulator.origin + "/cdn/")
    usage = json.loads(usage)
    assert usage["gateway"] == "seacloud"
    assert usage["tasks"][0]["cost"] == 0.04 and usage["tasks"][0]["inference_time"] == 1.25
    polls = emulator.calls("seacloud", "/status")
    assert polls and all(c.method == "GET" for c in polls)
    assert emulator.calls("seacloud", "/response")
    # the result came from a storage host: the key must not have been sent there
    (download,) = emulator.calls("cdn")
    assert "authorization" not in download.headers


def test_seacloud_images_go_in_the_models_image_field(emulator):
    pixels = torch.rand(2, 40, 60, 3)
    await_images(seacloud_submit(images=pixels))
    body = emulator.calls("seacloud", "/queue/nano_banana_2")[0].json
    assert len(body["image_urls"]) == 2
    sent = np.asarray(decode(body["image_urls"][1])).astype(np.float32) / 255
    assert np.allclose(sent, pixels[1].numpy(), atol=1 / 255 + 1e-6)  # PNG: lossless


def test_seacloud_custom_model_needs_and_uses_an_image_field(emulator):
    with pytest.raises(ValueError, match="SeaCloud Submit: image_field is needed"):
        seacloud_submit(custom_model_id="flux_kontext", images=torch.rand(1, 8, 8, 3))
    assert emulator.calls() == []
    await_images(seacloud_submit(custom_model_id="flux_kontext", image_field="image_url",
                                 images=torch.rand(1, 8, 8, 3)))
    body = emulator.calls("seacloud", "/queue/flux_kontext")[0].json
    assert body["image_url"].startswith("data:image/png;base64,") and "seed" not in body


def test_count_runs_jobs_concurrently(emulator):
    emulator.jobs.queue_seconds, emulator.jobs.run_seconds = 0.3, 0.6
    started = time.monotonic()
    images, urls, usage = await_images(seacloud_submit(count=4))
    elapsed = time.monotonic() - started
    assert images.shape[0] == 4 and len(urls.splitlines()) == 4
    seeds = sorted(c.json["seed"] for c in emulator.calls("seacloud", "/queue/nano_banana_2"))
    assert seeds == [5, 6, 7, 8]
    assert elapsed < 2 * (0.3 + 0.6), f"4 jobs took {elapsed:.2f} s: not awaited together"


def test_short_submit_reply_derives_the_urls(emulator):
    emulator.short_submit_reply = True
    images, _, _ = await_images(seacloud_submit())
    assert images.shape[0] == 1
    # derived as multimodal/submit shows them: the model id, then requests/{request_id}
    assert emulator.calls("seacloud", "/model/v1/queue/nano_banana_2/requests/")


@pytest.mark.parametrize("outcome, message", [
    ("failed", "INFERENCE_FAILURE: The model failed to generate"),
    ("blocked", "CONTENT_BLOCKED: The prompt was blocked by the content filter"),
    ("empty", "the gateway reported success but sent no result"),
])
def test_completed_with_error_is_a_failure_naming_the_reason(emulator, outcome, message):
    emulator.jobs.next_outcomes(outcome)
    with pytest.raises(GatewayError, match=message) as caught:
        await_images(seacloud_submit())
    assert "Run the workflow again" in caught.value.hint


def test_black_image_is_an_error_not_an_output(emulator):
    emulator.jobs.next_outcomes("black")
    with pytest.raises(GatewayError, match=r"blank \(all black\) image") as caught:
        await_images(seacloud_submit())
    assert "safety filter" in caught.value.hint


@pytest.mark.parametrize("outcome, message", [
    ("expired", "the result file at .* answered HTTP 403"),
    ("html", "the result link gave text/html instead of image"),
])
def test_expired_result_link(emulator, outcome, message):
    emulator.jobs.next_outcomes(outcome)
    with pytest.raises(GatewayError, match=message):
        await_images(seacloud_submit())


def test_download_size_cap(emulator, monkeypatch):
    monkeypatch.setenv("MODEL_GATEWAY_MAX_DOWNLOAD_MB", "0")
    with pytest.raises(GatewayError, match="larger than the 0 MiB"):
        await_images(seacloud_submit())


def test_interrupt_cancels_a_seacloud_task_on_the_gateway(emulator, fake_comfy):
    emulator.jobs.queue_seconds, emulator.jobs.run_seconds = 5, 5
    task = seacloud_submit()
    threading.Timer(0.3, fake_comfy.interrupted.set).start()
    started = time.monotonic()
    with pytest.raises(fake_comfy.InterruptProcessingException):
        await_images(task)
    assert time.monotonic() - started < 1.5
    (cancel,) = emulator.calls("seacloud", "/cancel")
    assert cancel.method == "PUT" and cancel.headers["authorization"] == f"Key {KEYS['seacloud']}"
    assert emulator.jobs.jobs[task.jobs[0].task_id].cancelled
    with pytest.raises(GatewayError, match="was cancelled"):
        await_images(task)


def test_status_line_and_progress_bar(emulator, fake_comfy):
    emulator.jobs.queue_seconds, emulator.jobs.run_seconds = 0.2, 0.4
    nodes["GatewayAwaitImages"]().wait(seacloud_submit(), 30, unique_id="9")
    texts = [t for node, t in fake_comfy.texts if node == "9"]
    # SeaCloud documents queue_position as a fixed 0: no position is shown
    assert any("SeaCloud nano_banana_2: in queue ·" in t for t in texts), texts
    assert not any("position" in t for t in texts), texts
    assert any("running" in t for t in texts), texts
    assert texts[-1].startswith("SeaCloud nano_banana_2: done · 0:0")
    fractions = [value for value, _ in fake_comfy.progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1000


# -- the journal: never lost, never paid twice -------------------------------------------------

def test_same_request_twice_is_submitted_once(emulator):
    first = await_images(seacloud_submit())
    second = await_images(seacloud_submit())
    assert len(emulator.calls("seacloud", "/queue/nano_banana_2")) == 1
    assert torch.equal(first[0], second[0])
    assert len(emulator.calls("cdn")) == 1, "the kept file is reused, not downloaded again"
    seacloud_submit(seed=6)
    assert len(emulator.calls("seacloud", "/queue/nano_banana_2")) == 2


def test_usage_says_which_jobs_an_earlier_run_paid_for(emulator):
    _, _, usage = await_images(seedream3_submit())
    assert "reused" not in json.loads(usage)
    _, _, usage = await_images(seedream3_submit())
    reused = json.loads(usage)
    assert reused["reused"] is True and reused["tasks"][0]["reused"] is True
    _, _, usage = await_images(seedream3_submit(count=2))  # job 0 kept, job 1 new
    some = json.loads(usage)
    assert [t.get("reused", False) for t in some["tasks"]] == [True, False]
    assert "reused" not in some
    assert len(emulator.calls("gptunnel", "/create")) == 2
    _, usage = seedream4()
    assert "reused" not in json.loads(usage)
    _, usage = seedream4()
    assert json.loads(usage)["reused"] is True
    assert len(emulator.calls("gptunnel", "/generate")) == 1


def test_two_nodes_at_once_submit_once(emulator):
    emulator.reply_delay = 0.3  # the gateway is slow to accept
    results = []
    threads = [threading.Thread(target=lambda: results.append(seacloud_submit()))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(emulator.calls("seacloud", "/queue/nano_banana_2")) == 1
    assert len({r.jobs[0].task_id for r in results}) == 1


def test_resume_after_restart_does_not_submit_again(emulator):
    emulator.jobs.queue_seconds, emulator.jobs.run_seconds = 0.5, 0.5
    # a first ComfyUI process submits, then dies before awaiting
    task_id = run_in_new_process(
        'task = nodes["SeaCloudSubmit"]().submit(model_id="nano_banana_2", '
        'prompt="a red kite over dunes", params_json="{}", seed=77, count=1)[0]\n'
        'print(task.jobs[0].task_id)').strip()
    # a new process (this one) with the same data dir: same request, no second submit
    task = seacloud_submit(seed=77)
    assert task.jobs[0].task_id == task_id
    images, _, _ = await_images(task)
    assert images.shape[0] == 1
    assert len(emulator.calls("seacloud", "/queue/nano_banana_2")) == 1


def test_submit_that_may_have_been_accepted_is_not_sent_again(emulator):
    emulator.fail("seacloud", "/queue/nano_banana_2", Reply(504, text="Gateway Timeout"))
    with pytest.raises(GatewayError, match="HTTP 504"):
        seacloud_submit()
    with pytest.raises(GatewayError, match="may have been accepted and charged") as caught:
        seacloud_submit()
    assert "change the seed" in caught.value.hint
    assert len(emulator.calls("seacloud", "/queue/nano_banana_2")) == 1
    seacloud_submit(seed=6)  # a new seed is a new request
    assert len(emulator.calls("seacloud", "/queue/nano_banana_2")) == 2


def test_submit_refused_by_the_gateway_can_be_sent_again(emulator):
    emulator.fail("seacloud", "/queue/nano_banana_2",
                  Reply(402, json={"status": {"code": 402, "message": "Insufficient credits",
                                              "error_code": 40201}, "data": None}))
    with pytest.raises(GatewayError, match="Insufficient credits") as caught:
        seacloud_submit()
    assert "Top up" in caught.value.hint
    seacloud_submit()
    assert len(emulator.calls("seacloud", "/queue/nano_banana_2")) == 2


def test_submit_is_not_retried_but_polls_are(emulator):
    emulator.fail("seacloud", "/queue/nano_banana_2", Reply(503, text="busy"))
    with pytest.raises(GatewayError, match="HTTP 503"):
        seacloud_submit()
    assert len(emulator.calls("seacloud", "/queue/nano_banana_2")) == 1
    task = seacloud_submit()
    emulator.fail("seacloud", "/status", Reply(503, text="busy"), times=2)
    images, _, _ = await_images(task)
    assert images.shape[0] == 1


def test_timeout_keeps_the_task_and_the_next_run_resumes_it(emulator):
    emulator.jobs.queue_seconds, emulator.jobs.run_seconds = 1.5, 0.5
    task = seacloud_submit()
    with pytest.raises(GatewayError, match=r"still queued after 1 s") as caught:
        nodes["GatewayAwaitImages"]().wait(task, 1)
    assert "not submitted again" in caught.value.hint and task.jobs[0].task_id in str(caught.value)
    images, _, _ = await_images(seacloud_submit())
    assert images.shape[0] == 1
    assert len(emulator.calls("seacloud", "/queue/nano_banana_2")) == 1


def test_task_from_id(emulator):
    task = seacloud_submit()
    fetched = nodes["GatewayTaskFromId"]().task("seacloud", f"  {task.jobs[0].task_id} ", "image")[0]
    images, _, _ = await_images(fetched)
    assert images.shape[0] == 1
    with pytest.raises(ValueError, match="Gateway Task From Id: task_id must be"):
        nodes["GatewayTaskFromId"]().task("seacloud", "  ", "image")


def test_await_images_refuses_a_video_task(emulator):
    task = seacloud_submit(model_id="wan26_i2v", images=torch.rand(1, 32, 32, 3))
    with pytest.raises(ValueError, match="task makes a video .*connect it to Gateway Await Video"):
        await_images(task)


# -- bad input, before any request ----------------------------------------------------------

@pytest.mark.parametrize("inputs, message", [
    ({"prompt": " "}, "SeaCloud Submit: prompt is empty"),
    ({"params_json": "{bad"}, "SeaCloud Submit: params_json is not valid JSON"),
    ({"params_json": "[1]"}, "SeaCloud Submit: params_json must be a JSON object"),
    ({"params_json": '{"seed": 3}'}, "SeaCloud Submit: params_json sets seed"),
    ({"count": 9}, "SeaCloud Submit: count must be from 1 to 8"),
    ({"images": torch.rand(11, 8, 8, 3)}, "SeaCloud Submit: images holds 11 images; nano_banana_2 takes at most 10"),
    ({"model_id": "wan26_i2v"}, "SeaCloud Submit: images is required"),
    ({"model_id": "seedance_2_0", "images": torch.rand(1, 200, 200, 3)},
     "SeaCloud Submit: images is 200x200; this gateway needs at least 300 px"),
    ({"model_id": "seedance_2_0", "images": torch.rand(1, 300, 900, 3)},
     r"SeaCloud Submit: images is 900x300 \(aspect 3.00\); this gateway takes aspect ratios from 0.40 to 2.50"),
])
def test_seacloud_bad_input(emulator, inputs, message):
    with pytest.raises(ValueError, match=message):
        seacloud_submit(**inputs)
    assert emulator.calls() == []


def test_large_reference_is_downscaled_where_safe(emulator):
    seedream4(images=torch.full((1, 3000, 5000, 3), 0.5))
    body = emulator.calls("gptunnel", "/generate")[0].json
    assert decode(body["images"][0]).size == (4096, 2458)


# -- GPTunnel -----------------------------------------------------------------------------

def test_seedream3_submit_and_await(emulator):
    task = seedream3_submit()
    (create,) = emulator.calls("gptunnel", "/v1/media/create")
    assert create.headers["authorization"] == KEYS["gptunnel"]  # the bare key, no scheme
    assert create.json == {"model": "seedream-3", "prompt": "a lighthouse", "ar": "16:9"}
    assert len(task.jobs[0].task_id) == 24
    images, urls, _ = await_images(task)
    assert images.shape == (1, 54, 96, 3)
    polls = emulator.calls("gptunnel", "/v1/media/result")
    assert polls and polls[0].json == {"task_id": task.jobs[0].task_id}


def test_seedream3_reference_image_replaces_ar(emulator):
    await_images(seedream3_submit(image_url="https://example.com/ref.png"))
    assert emulator.calls("gptunnel", "/create")[0].json == {
        "model": "seedream-3", "prompt": "a lighthouse", "images": ["https://example.com/ref.png"]}
    await_images(seedream3_submit(image=torch.rand(1, 16, 16, 3)))
    assert emulator.calls("gptunnel", "/create")[1].json["images"][0].startswith("data:image/png")


def test_seedream3_failure_and_code_errors(emulator):
    emulator.jobs.next_outcomes("failed")
    with pytest.raises(GatewayError, match="1 of 1 task\\(s\\) failed"):
        await_images(seedream3_submit())
    emulator.fail("gptunnel", "/create", Reply(200, json={"code": 3, "issues": [
        {"path": ["prompt"], "expected": "string", "message": "Too long"}]}))
    with pytest.raises(GatewayError, match="GPTunnel answered HTTP 200: 3: prompt: Too long"):
        seedream3_submit(seed=2)


def test_gptunnel_auth_error(emulator):
    emulator.keys["gptunnel"] = "other"
    with pytest.raises(GatewayError, match="HTTP 401: unauthorized_request_error: Invalid API key") as caught:
        seedream3_submit()
    assert "GPTUNNEL_API_KEY" in caught.value.hint


def test_gptunnel_balance_error(emulator):
    emulator.fail("gptunnel", "/generate", Reply(402, json={"error": {
        "message": "Not enough balance", "type": "insufficient_balance_error"}}))
    with pytest.raises(GatewayError, match="insufficient_balance_error") as caught:
        seedream4()
    assert "Top up your GPTunnel balance" in caught.value.hint


def test_seedream3_interrupt_keeps_the_task_for_the_next_run(emulator, fake_comfy):
    emulator.jobs.queue_seconds, emulator.jobs.run_seconds = 1.0, 0.3
    task = seedream3_submit()
    threading.Timer(0.2, fake_comfy.interrupted.set).start()
    with pytest.raises(fake_comfy.InterruptProcessingException):
        await_images(task)
    assert emulator.calls("gptunnel", "/cancel") == []
    images, _, _ = await_images(seedream3_submit())
    assert images.shape[0] == 1 and len(emulator.calls("gptunnel", "/create")) == 1


@pytest.mark.parametrize("url_only", [False, True])
def test_seedream4(emulator, url_only):
    emulator.seedream4_url_only = url_only
    images, usage = seedream4(images=torch.rand(2, 32, 32, 3))
    (call,) = emulator.calls("gptunnel", "/v1/media/generate")
    assert call.headers["authorization"] == KEYS["gptunnel"]
    body = call.json
    assert {k: body[k] for k in ("model", "prompt", "size", "aspect_ratio", "response_format")} == {
        "model": "seedream-4", "prompt": "a fox", "size": "2K", "aspect_ratio": "16:9",
        "response_format": "base64"}
    assert len(body["images"]) == 2
    assert images.shape == (1, 54, 96, 3)
    assert json.loads(usage)["tasks"][0]["cost"] == "8"
    assert len(emulator.calls("cdn")) == (1 if url_only else 0)


def test_seedream4_count_runs_concurrently_and_is_reused(emulator):
    emulator.jobs.queue_seconds, emulator.jobs.run_seconds = 0.3, 0.5
    started = time.monotonic()
    images, _ = seedream4(count=3)
    assert images.shape[0] == 3 and time.monotonic() - started < 1.6
    again, _ = seedream4(count=3)
    assert torch.equal(images, again)
    assert len(emulator.calls("gptunnel", "/generate")) == 3


def test_seedream4_result_arriving_after_cancel_is_kept(emulator, fake_comfy):
    emulator.jobs.queue_seconds, emulator.jobs.run_seconds = 0.5, 0.5
    threading.Timer(0.2, fake_comfy.interrupted.set).start()
    with pytest.raises(fake_comfy.InterruptProcessingException):
        seedream4()
    time.sleep(1.5)  # the gateway finishes; the pack's worker journals the result
    images, _ = seedream4()
    assert images.shape[0] == 1
    assert len(emulator.calls("gptunnel", "/generate")) == 1


@pytest.mark.parametrize("inputs, message", [
    ({"size": "8K"}, "GPTunnel Seedream 4: size must be one of 1K, 2K, 3K, 4K"),
    ({"aspect_ratio": "2:1"}, "GPTunnel Seedream 4: aspect_ratio must be one of"),
    ({"images": torch.rand(11, 8, 8, 3)}, "GPTunnel Seedream 4: images holds 11 images; Seedream 4 takes at most 10"),
    ({"images": torch.rand(1, 10, 40, 3)}, r"images is 40x10 \(aspect 4.00\)"),
    ({"prompt": ""}, "GPTunnel Seedream 4: prompt is empty"),
])
def test_seedream4_bad_input(emulator, inputs, message):
    with pytest.raises(ValueError, match=message):
        seedream4(**inputs)
    assert emulator.calls() == []


def test_seedream3_bad_input(emulator):
    with pytest.raises(ValueError, match="image and image_url are both set"):
        seedream3_submit(image=torch.rand(1, 8, 8, 3), image_url="https://x/y.png")
    with pytest.raises(ValueError, match="image_url must be an http"):
        seedream3_submit(image_url="file:///etc/passwd")
    with pytest.raises(ValueError, match="ar must be one of"):
        seedream3_submit(ar="2:1")
    assert emulator.calls() == []


def test_task_from_id_for_gptunnel(emulator):
    task = seedream3_submit()
    fetched = nodes["GatewayTaskFromId"]().task("gptunnel", task.jobs[0].task_id, "image")[0]
    images, _, _ = await_images(fetched)
    assert images.shape == (1, 54, 96, 3)


def test_decompression_bomb_is_refused(emulator, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # the result (96x54) is "too large"
    with pytest.raises(ValueError, match=r"Gateway Await Images: the result .* is too large to "
                                         r"decode safely .* It is kept at "):
        await_images(seacloud_submit())


def test_result_that_is_not_an_image(emulator):
    task = seacloud_submit()
    job = emulator.jobs.jobs[task.jobs[0].task_id]
    job.files.append(emulator.jobs.add_file(f"{job.id}_0.png", b"GIF89a not really", "image/png"))
    with pytest.raises(ValueError, match="is not a readable image"):
        await_images(task)
