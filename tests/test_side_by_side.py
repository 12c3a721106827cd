"""Waiting side by side: the nodes are coroutines, driven here through one event loop as
ComfyUI's executor drives them; the loop is never blocked, Cancel stops every waiting node of
the prompt, polls follow the job's pace, and `count` submits overlap."""
from __future__ import annotations

import asyncio
import sys
import threading
import time
import types
from pathlib import Path

import pytest
import torch

from conftest import PACK, submodule

nodes = PACK.NODE_CLASS_MAPPINGS  # the real classes: their methods are coroutines
pacing = submodule("providers.pacing")
GatewayError = submodule("providers.errors").GatewayError


def submit_values(**inputs):
    return {"model_id": "nano_banana_2", "prompt": "a red kite over dunes", "params_json": "{}",
            "seed": 5, "count": 1, **inputs}


async def submit(**inputs):
    return (await nodes["SeaCloudSubmit"]().submit(**submit_values(**inputs)))[0]


async def await_images(task, timeout=30, unique_id=None):
    return (await nodes["GatewayAwaitImages"]().wait(task, timeout, unique_id=unique_id))["result"]


class LoopLag:
    """How late the event loop runs a 10 ms ticker: a blocked loop shows as a long lag."""

    def __init__(self):
        self.worst = 0.0
        self._task = None

    async def _tick(self):
        while True:
            before = time.monotonic()
            await asyncio.sleep(0.01)
            self.worst = max(self.worst, time.monotonic() - before - 0.01)

    def __enter__(self):
        self._task = asyncio.get_running_loop().create_task(self._tick())
        return self

    def __exit__(self, *exc):
        self._task.cancel()


@pytest.mark.parametrize("every_node", ["seacloud", "llm", "video"])
def test_independent_branches_wait_together_without_blocking_the_loop(emulator, every_node):
    emulator.jobs.queue_seconds, emulator.jobs.run_seconds = 0.3, 0.6
    emulator.stream_delay = 0.05

    async def branch(index):
        if every_node == "llm":
            return await nodes["SeaCloudLLM"]().chat(
                protocol="chat_completions", model="gpt-4.1", prompt=f"branch {index}",
                system_prompt="", temperature=0.5, top_p=1.0, max_tokens=100, seed=index,
                stream=True)
        if every_node == "video":
            task = (await nodes["OpenComputingTextToVideo"]().submit(
                model="Seedance 2.0 (Doubao)", prompt=f"branch {index}", duration=0,
                resolution="default", ratio="default", size="default", negative_prompt="",
                off_peak=False, seed=index))[0]
            return await nodes["GatewayAwaitVideo"]().wait(task, 60, 0, 1, 256)
        return await await_images(await submit(seed=index))

    async def main():
        with LoopLag() as lag:
            results = await asyncio.gather(*(branch(i) for i in range(4)))
        return results, lag.worst

    results, worst_lag = asyncio.run(main())
    assert len(results) == 4
    assert worst_lag < 0.25, f"the event loop was blocked for {worst_lag:.2f} s"
    creates = [c for c in emulator.requests if c.method == "POST" and c.handled
               and ("/queue/" in c.path or "/llmage/video" in c.path or "/chat/" in c.path)]
    assert len(creates) == 4
    # All four were under way at once: the last one was sent before the first one was done.
    finished_first = min(job.created + job.queue_seconds + job.run_seconds
                         for job in emulator.jobs.jobs.values()) if emulator.jobs.jobs else None
    if finished_first is not None:
        assert max(c.received for c in creates) < finished_first


def test_cancel_stops_every_waiting_node_of_the_prompt(emulator, fake_comfy, monkeypatch):
    # ComfyUI's flag is taken by the first node that looks; the others must stop as well.
    context = types.SimpleNamespace(prompt_id="prompt-1", node_id="n", list_index=None)
    utils = types.ModuleType("comfy_execution.utils")
    utils.get_executing_context = lambda: context
    monkeypatch.setitem(sys.modules, "comfy_execution.utils", utils)
    monkeypatch.setitem(sys.modules, "comfy_execution", types.ModuleType("comfy_execution"))
    submodule("nodes.comfy")._module.cache_clear()
    emulator.jobs.queue_seconds = 30.0

    async def main():
        tasks = [await submit(seed=i) for i in range(3)]
        threading.Timer(0.5, fake_comfy.interrupted.set).start()
        started = time.monotonic()
        outcomes = await asyncio.gather(*(await_images(t, unique_id=f"n{i}")
                                          for i, t in enumerate(tasks)), return_exceptions=True)
        return outcomes, time.monotonic() - started

    outcomes, seconds = asyncio.run(main())
    assert all(isinstance(o, fake_comfy.InterruptProcessingException) for o in outcomes), outcomes
    assert seconds < 1.5
    assert len(emulator.calls("seacloud", "/cancel")) == 3
    # and the status line of each node was cleared
    last = {node: text for node, text in fake_comfy.texts}
    assert all(last[f"n{i}"] == "" for i in range(3))


def test_count_submits_side_by_side_at_most_four_at_once(emulator):
    emulator.fault("seacloud", "/queue/nano_banana_2", "slow", times=8, delay=0.6)
    task = asyncio.run(submit(count=8))
    assert len(task.jobs) == 8 and len({job.task_id for job in task.jobs}) == 8
    creates = sorted(c.received for c in emulator.calls("seacloud", "/queue/nano_banana_2"))
    assert len(creates) == 8
    assert creates[3] - creates[0] < 0.5, "four sent together"
    assert creates[4] - creates[0] >= 0.5, "the fifth waits for a free place"


def test_the_clock_ticks_every_second_between_polls(emulator, fake_comfy, monkeypatch):
    monkeypatch.setenv("MODEL_GATEWAY_POLL_SCALE", "1")  # real pacing: polls seconds apart
    emulator.jobs.queue_seconds, emulator.jobs.run_seconds = 1.5, 1.5
    task = asyncio.run(submit())
    asyncio.run(await_images(task, unique_id="n1"))
    clocks = {text.split(" · ")[-1].split(" ")[0] for node, text in fake_comfy.texts
              if node == "n1" and " · " in text}
    assert {"0:00", "0:01", "0:02"} <= clocks, clocks
    polls = emulator.calls("seacloud", "/status")
    assert len(polls) <= 3, "paced by the job, not every tick"


def test_a_429_on_a_poll_slows_down_and_never_fails_the_task(emulator):
    task = asyncio.run(submit())
    emulator.fault("seacloud", "/status", "429", times=5, delay=0)
    images, _, _ = asyncio.run(await_images(task))
    assert images.shape[0] == 1
    assert len([c for c in emulator.calls("seacloud", "/status") if c.fault == "429"]) == 5


def test_status_line_cleared_on_error(emulator, fake_comfy):
    emulator.jobs.next_outcomes("failed")
    task = asyncio.run(submit())
    with pytest.raises(GatewayError):
        asyncio.run(await_images(task, unique_id="n1"))
    assert [text for node, text in fake_comfy.texts if node == "n1"][-1] == ""


@pytest.mark.parametrize("typical", [2.0, 20.0, 60.0, 180.0])
def test_pacing_is_dense_near_the_expected_finish_and_bounded(monkeypatch, typical):
    monkeypatch.setenv("MODEL_GATEWAY_POLL_SCALE", "1")
    moments, now = [], pacing.first_poll_in()
    while now < 1.5 * typical:
        moments.append(now)
        now += pacing.next_poll_in(now, typical)
    gaps = [b - a for a, b in zip(moments, moments[1:])]
    assert all(gap >= pacing.FLOOR - 1e-9 for gap in gaps), "at most one poll per 2 s"
    near = [gap for a, gap in zip(moments, gaps) if 0.8 * typical <= a <= 1.3 * typical]
    assert all(gap <= pacing.FLOOR + 0.5 for gap in near), "dense around the expected finish"
    done_by = [m for m in moments if m <= typical + pacing.FLOOR]
    if typical == 60.0:
        assert len(done_by) <= 30, f"{len(done_by)} polls for a 60 s task"
    assert moments[0] > 0, "no poll right after the submit: the job cannot be done yet"


def test_a_resumed_job_is_polled_at_once(emulator):
    tasks = submodule("providers.tasks")
    poller = submodule("providers.poller")
    fresh = tasks.Job("seacloud", "seacloud_queue", "x", "fp", "m", "image")
    old = tasks.Job("seacloud", "seacloud_queue", "y", "fp2", "m", "image",
                    created_at=time.time() - 600)
    assert poller._first_poll_in(fresh, "image") > 0
    assert poller._first_poll_in(old, "image") == 0


@pytest.mark.parametrize("version, too_old", [("0.3.40", True), ("0.3.45", False),
                                              ("0.3.64", False), ("1.2.0", False)])
def test_an_older_comfyui_is_told_in_one_line(monkeypatch, version, too_old):
    comfy = submodule("nodes.comfy")
    module = types.ModuleType("comfyui_version")
    module.__version__ = version
    monkeypatch.setitem(sys.modules, "comfyui_version", module)
    comfy._module.cache_clear()
    try:
        message = comfy.comfyui_too_old()
    finally:
        comfy._module.cache_clear()
    assert bool(message) is too_old
    if too_old:
        assert "0.3.45" in message and version in message and "\n" not in message


def test_streamed_text_still_reaches_its_own_node_when_several_stream_at_once(emulator,
                                                                            fake_comfy):
    emulator.stream_delay = 0.02

    async def ask(index):
        return await nodes["SeaCloudLLM"]().chat(
            protocol="chat_completions", model="gpt-4.1", prompt=f"question {index}",
            system_prompt="", temperature=0.5, top_p=1.0, max_tokens=100, seed=1, stream=True,
            unique_id=f"llm{index}")

    async def main():
        return await asyncio.gather(*(ask(i) for i in range(3)))

    outputs = asyncio.run(main())
    for index, output in enumerate(outputs):
        texts = [text for node, text in fake_comfy.texts if node == f"llm{index}"]
        assert texts and texts[-1] == output["result"][0]
        assert all(f"question {index}" in text for text in texts if len(text) > 60)


def test_frames_arrive_from_a_thread(emulator):
    """Decoding runs beside the loop: the node returns real frames."""
    task = (asyncio.run(nodes["OpenComputingTextToVideo"]().submit(
        model="Seedance 2.0 (Doubao)", prompt="a boat", duration=0, resolution="default",
        ratio="default", size="default", negative_prompt="", off_peak=False, seed=1)))[0]
    frames = asyncio.run(nodes["GatewayAwaitVideo"]().wait(task, 60, 0, 1, 256))["result"][0]
    assert isinstance(frames, torch.Tensor) and frames.shape[0] == 24


def test_an_older_comfyui_logs_one_line_at_load_and_no_traceback(tmp_path):
    import os
    import subprocess
    (tmp_path / "comfyui_version.py").write_text('__version__ = "0.3.40"\n')
    code = ("import logging, sys; logging.basicConfig(level=logging.INFO, stream=sys.stderr); "
            f"sys.path.insert(0, {str(tmp_path)!r}); "
            f"sys.path.insert(0, {str(Path(__file__).parent.parent / 'tools')!r}); "
            "import pack_loader; pack_loader.load_pack('some_folder_name')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=dict(os.environ), timeout=60)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "0.3.45" in line]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr


def _executing_prompt(monkeypatch, prompt_id="prompt-7"):
    context = types.SimpleNamespace(prompt_id=prompt_id, node_id="n", list_index=None)
    utils = types.ModuleType("comfy_execution.utils")
    utils.get_executing_context = lambda: context
    monkeypatch.setitem(sys.modules, "comfy_execution.utils", utils)
    monkeypatch.setitem(sys.modules, "comfy_execution", types.ModuleType("comfy_execution"))
    submodule("nodes.comfy")._module.cache_clear()


@pytest.mark.parametrize("first_node_ends_by", ["cancel", "error"])
def test_a_wait_ended_by_comfyui_cancels_remotely_only_after_the_users_cancel(
        emulator, fake_comfy, monkeypatch, first_node_ends_by):
    """ComfyUI ends a run when one node raises, and the run's other coroutine nodes are
    cancelled as tasks: the job behind such a wait is cancelled on the gateway if the user
    pressed Cancel, never when another node failed."""
    _executing_prompt(monkeypatch, f"prompt-{first_node_ends_by}")  # ids are unique per run
    emulator.jobs.queue_seconds = 30.0

    async def main():
        task = await submit(seed=1)
        waiting = asyncio.ensure_future(await_images(task))
        await asyncio.sleep(0.3)
        if first_node_ends_by == "cancel":
            fake_comfy.interrupted.set()
            with pytest.raises(fake_comfy.InterruptProcessingException):
                submodule("nodes.comfy").check_interrupted()  # another node takes the flag
        waiting.cancel()  # what ComfyUI's run does to its pending nodes when it ends
        with pytest.raises(asyncio.CancelledError):
            await waiting

    asyncio.run(main())
    expected = 1 if first_node_ends_by == "cancel" else 0
    assert len(emulator.calls("seacloud", "/cancel")) == expected


@pytest.mark.parametrize("node", ["SeaCloudSubmit", "OpenComputingImageToVideo", "SeaCloudLLM"])
def test_encoding_input_images_does_not_hold_the_loop(emulator, monkeypatch, node):
    """Encoding a large batch (PNG, downscaling) takes a thread: the other branches' waits
    (their clocks, polls and streams) keep running on the loop meanwhile."""
    media = submodule("nodes.media")
    encode = media.encode_images

    def slow_encode(*args, **kwargs):
        time.sleep(0.4)  # as a batch of large frames takes
        return encode(*args, **kwargs)

    monkeypatch.setattr(media, "encode_images", slow_encode)
    image = torch.rand(1, 320, 480, 3)

    async def run():
        if node == "SeaCloudSubmit":
            return await submit(images=image)
        if node == "SeaCloudLLM":
            return await nodes["SeaCloudLLM"]().chat(
                protocol="chat_completions", model="gpt-4.1", prompt="what is this", system_prompt="",
                temperature=0.5, top_p=1.0, max_tokens=100, seed=1, stream=False, images=image)
        return await nodes["OpenComputingImageToVideo"]().submit(
            model="Seedance 2.0 (Doubao)", prompt="it moves", duration=0, resolution="default",
            ratio="default", size="default", negative_prompt="", off_peak=False, seed=1,
            first_frame=image)

    async def main():
        with LoopLag() as lag:
            await asyncio.sleep(0.05)  # the ticker is running before the node starts
            await run()
        return lag.worst

    worst = asyncio.run(main())
    assert worst < 0.2, f"the loop was held for {worst:.2f} s"


def test_cancel_stops_a_video_node_while_it_encodes_its_frames(emulator, fake_comfy, monkeypatch):
    media = submodule("nodes.media")
    encode = media.encode_images

    def slow_encode(*args, **kwargs):
        time.sleep(1.0)
        return encode(*args, **kwargs)

    monkeypatch.setattr(media, "encode_images", slow_encode)
    threading.Timer(0.2, fake_comfy.interrupted.set).start()
    started = time.monotonic()
    with pytest.raises(fake_comfy.InterruptProcessingException):
        asyncio.run(nodes["OpenComputingImageToVideo"]().submit(
            model="Seedance 2.0 (Doubao)", prompt="it moves", duration=0, resolution="default",
            ratio="default", size="default", negative_prompt="", off_peak=False, seed=1,
            first_frame=torch.rand(1, 320, 480, 3)))
    assert time.monotonic() - started < 0.8, "Cancel waited for the encoding to end"
    time.sleep(1.2)  # the encoding ends in its thread; nothing is sent after the Cancel
    assert emulator.calls("opencomputing", "/llmage/video") == []
