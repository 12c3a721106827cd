"""A multi-shot film: the storyboard nodes, and submit / await nodes run once per shot the way
ComfyUI 0.3.64 maps a list input (execution._async_map_node_over_list: one coroutine per item,
started one after another, each under its executing context with its list_index, then all
awaited), through real HTTP against the emulator. The same in a real ComfyUI is in
tests/test_film_comfyui.py."""
from __future__ import annotations

import asyncio
import contextvars
import json
import sys
import types

import pytest
import torch

from conftest import PACK, submodule

GatewayError = submodule("providers.errors").GatewayError
shots_module = submodule("providers.shots")
tasks_nodes = submodule("nodes.tasks")
comfy = submodule("nodes.comfy")
NODES = PACK.NODE_CLASS_MAPPINGS

VIDEO = dict(model="Seedance 2.0 (Doubao)", duration=0, resolution="default", ratio="default",
             size="default", negative_prompt="", off_peak=False)
AWAIT = dict(timeout=60, max_frames=0, frame_step=1, max_side=1024)


class ComfyMapping:
    """ComfyUI's list mapping, as 0.3.64 does it: for each item a task is created that enters
    CurrentNodeContext(prompt_id, node_id, index) and awaits the node's coroutine; a sleep(0)
    after each; then every task is awaited to its end (return_exceptions, as ComfyUI's
    await_completion), and the node's result is the items' results in order."""

    def __init__(self, monkeypatch):
        self.var = contextvars.ContextVar("current_executing_context", default=None)
        utils = types.ModuleType("comfy_execution.utils")
        utils.get_executing_context = lambda: self.var.get(None)
        monkeypatch.setitem(sys.modules, "comfy_execution.utils", utils)
        monkeypatch.setitem(sys.modules, "comfy_execution", types.ModuleType("comfy_execution"))
        comfy._module.cache_clear()

    async def run(self, node_class, prompt_id: str, node_id: str, **inputs) -> list:
        obj = node_class()
        function = getattr(obj, node_class.FUNCTION)
        lists = {k: v if isinstance(v, list) else [v] for k, v in inputs.items()}
        lists["unique_id"] = [node_id]
        longest = max(len(v) for v in lists.values())

        async def item(index, args):
            context = types.SimpleNamespace(prompt_id=prompt_id, node_id=node_id,
                                            list_index=index)
            token = self.var.set(context)
            try:
                return await function(**args)
            finally:
                self.var.reset(token)

        tasks = []
        for index in range(longest):
            args = {k: v[index if len(v) > index else -1] for k, v in lists.items()}
            tasks.append(asyncio.create_task(item(index, args)))
            await asyncio.sleep(0)
        return await asyncio.gather(*tasks, return_exceptions=True)

    @staticmethod
    def is_changed(node_class, node_id: str):
        return node_class.IS_CHANGED(unique_id=node_id, **VIDEO)


def film(mapping, prompts, prompt_id, seed=7):
    """Submit node "5" over the shots, then await node "6" over its tasks (one prompt)."""
    async def main():
        tasks = await mapping.run(NODES["OpenComputingTextToVideo"], prompt_id, "5",
                                  prompt=prompts, seed=seed, **VIDEO)
        for task in tasks:
            assert not isinstance(task, BaseException), task  # a submit defers its failure
        tasks = [task[0] for task in tasks]
        return tasks, await mapping.run(NODES["GatewayAwaitVideo"], prompt_id, "6",
                                        task=tasks, **AWAIT)
    return asyncio.run(main())


def creates(emulator):
    return [c for c in emulator.calls("opencomputing", "/llmage/video")
            if c.method == "POST" and c.handled]


@pytest.fixture
def mapping(monkeypatch, emulator, fake_comfy):
    return ComfyMapping(monkeypatch)


def test_eight_identical_shots_are_eight_jobs_with_their_own_seeds(mapping, emulator):
    prompts = ["a lighthouse in a storm"] * 8
    tasks, results = film(mapping, prompts, "prompt-a")
    assert all(not isinstance(r, BaseException) for r in results), results
    assert len(creates(emulator)) == 8
    fingerprints = {task.jobs[0].fingerprint for task in tasks}
    assert len(fingerprints) == 8 and len({task.jobs[0].task_id for task in tasks}) == 8
    # each shot's own kept file, in shot order
    paths = [r["result"][4] for r in results]
    assert len(set(paths)) == 8
    # shot 0 is the request a single run with that seed makes; the others' seeds differ
    assert [shots_module.shot_seed(7, i) for i in range(8)][0] == 7
    assert len({shots_module.shot_seed(7, i) for i in range(8)}) == 8
    journal = comfy.journal()
    jobs = [journal.get(fp) for fp in fingerprints]
    assert sorted(job.shot for job in jobs) == list(range(8))
    assert {job.run for job in jobs} == {"prompt-a"}
    # the Tasks panel's rows say which run and shot each job is
    task_list = submodule("providers.task_list")
    rows = task_list.list_jobs(journal, files_dir=comfy.files_directory())["jobs"]
    shots = sorted((row["run"], row["shot"], row["shots"]) for row in rows if row.get("shot"))
    assert shots == [("prompt-a", i, 8) for i in range(1, 9)]


def test_a_shared_first_frame_goes_to_every_shot(mapping, emulator):
    frame = torch.rand(1, 320, 480, 3)
    prompts = [f"shot {i} of the boat" for i in range(3)]

    async def main():
        return await mapping.run(NODES["OpenComputingImageToVideo"], "prompt-f", "9",
                                 prompt=prompts, first_frame=frame, seed=1, **VIDEO)
    tasks = asyncio.run(main())
    assert all(not isinstance(t, BaseException) for t in tasks), tasks
    sent = creates(emulator)
    assert len(sent) == 3
    bodies = [call.body for call in sent]
    frame_name = b'filename="first_frame'
    assert all(frame_name in body for body in bodies)  # the frame, in every shot's form
    frames = {body.split(frame_name, 1)[1][:4000] for body in bodies}
    assert len(frames) == 1  # the same frame bytes to each
    assert sorted(p for body in bodies for p in prompts if p.encode() in body) == sorted(prompts)


def test_one_failed_submit_fails_alone_and_a_rerun_pays_only_for_it(mapping, emulator,
                                                                     fake_comfy):
    prompts = [f"shot {i}: a fox crosses the snow" for i in range(8)]
    node = NODES["OpenComputingTextToVideo"]
    before = mapping.is_changed(node, "5")
    emulator.fault("opencomputing", "/llmage/video", "500", times=1)  # one create refused
    tasks, results = film(mapping, prompts, "prompt-1")
    failed = [r for r in results if isinstance(r, BaseException)]
    assert len(failed) == 1 and isinstance(failed[0], GatewayError)
    assert "of 8:" in str(failed[0]) and "HTTP 500" in str(failed[0])
    assert sum(1 for r in results if not isinstance(r, BaseException)) == 7
    assert len(creates(emulator)) == 7  # seven accepted, awaited and kept in this run
    journal = comfy.journal()
    kept = [journal.get(t.jobs[0].fingerprint) for t in tasks if t.jobs]
    assert len(kept) == 7 and all(job.state.value == "succeeded" and job.files for job in kept)
    # the node's status line counts the shots
    last = [text for node_id, text in fake_comfy.texts if node_id == "6"][-1]
    assert last == "7 of 8 done, 1 failed"
    # ComfyUI runs the submit node again (its IS_CHANGED moved): only the failed shot is sent
    assert mapping.is_changed(node, "5") != before
    tasks, results = film(mapping, prompts, "prompt-2")
    assert all(not isinstance(r, BaseException) for r in results), results
    assert len(creates(emulator)) == 8  # exactly one more create
    assert [text for node_id, text in fake_comfy.texts if node_id == "6"][-1] == "8 of 8 done"
    settled = mapping.is_changed(node, "5")
    film(mapping, prompts, "prompt-3")
    assert mapping.is_changed(node, "5") == settled  # a clean run leaves ComfyUI's cache be
    assert len(creates(emulator)) == 8


def test_one_shot_failing_on_the_gateway_fails_alone_and_is_the_only_one_sent_again(
        mapping, emulator):
    prompts = [f"shot {i}: rain on a window" for i in range(8)]
    node = NODES["OpenComputingTextToVideo"]
    before = mapping.is_changed(node, "5")
    emulator.jobs.next_outcomes("failed")  # the first job the gateway makes fails there
    tasks, results = film(mapping, prompts, "prompt-g1")
    failed = [r for r in results if isinstance(r, BaseException)]
    assert len(failed) == 1 and "failed" in str(failed[0]) and "of 8:" in str(failed[0])
    assert "only what failed is sent" in failed[0].hint
    assert len(creates(emulator)) == 8
    assert mapping.is_changed(node, "5") != before
    tasks, results = film(mapping, prompts, "prompt-g2")
    assert all(not isinstance(r, BaseException) for r in results), results
    assert len(creates(emulator)) == 9  # the failed shot, and only it, sent again


def test_status_line_counts_shots_while_they_run(mapping, emulator, fake_comfy):
    emulator.jobs.run_seconds = 0.6
    film(mapping, [f"shot {i}" for i in range(4)], "prompt-s")
    texts = [text for node_id, text in fake_comfy.texts if node_id == "6"]
    assert any(t.startswith("0 of 4 done · shot ") for t in texts), texts[:5]
    assert texts[-1] == "4 of 4 done"
    submitted = [text for node_id, text in fake_comfy.texts if node_id == "5"]
    assert submitted[-1] == "4 of 4 submitted"


def test_a_single_run_keeps_its_seed_and_fails_at_the_submit(emulator):
    from conftest import NODES as sync_nodes
    task = sync_nodes["OpenComputingTextToVideo"]().submit(prompt="one clip", seed=7, **VIDEO)[0]
    assert task.jobs[0].shot is None
    emulator.fault("opencomputing", "/llmage/video", "500", times=1)
    with pytest.raises(GatewayError, match="HTTP 500"):
        sync_nodes["OpenComputingTextToVideo"]().submit(prompt="another clip", seed=7, **VIDEO)


# -- the storyboard nodes ----------------------------------------------------------------

def test_shots_node_outputs_a_list_and_its_count():
    node = NODES["GatewayShotsFromText"]
    assert node.OUTPUT_IS_LIST == (True, False)
    shots, count = node().shots('["a", "b", "c"]', 2)
    assert shots == ["a", "b"] and count == 2


def test_shots_node_error_names_what_it_got():
    with pytest.raises(GatewayError) as caught:
        NODES["GatewayShotsFromText"]().shots("Just one idea, no shots.", 3)
    assert "Shots From LLM Answer" in str(caught.value)
    assert "holds 1" in str(caught.value) and "Just one idea" in str(caught.value)


def test_system_prompt_node_asks_for_the_count_and_adds_the_style():
    text, count = NODES["GatewayShotsPrompt"]().prompt(5, "35 mm film, teal and orange")
    assert count == 5 and "exactly 5 shots" in text and "teal and orange" in text
    assert "{count}" not in text


def test_sandbox_llm_answers_the_shots_prompt_with_shots_the_node_reads(emulator):
    from conftest import NODES as sync_nodes
    system, count = NODES["GatewayShotsPrompt"]().prompt(6, "")
    text = sync_nodes["OpenComputingLLM"]().chat(
        model=sync_nodes["OpenComputingLLM"].INPUT_TYPES()["required"]["model"][0][0],
        prompt="a lighthouse keeper's last night", system_prompt=system, temperature=0.7,
        top_p=1.0, max_tokens=800, seed=1, stream=False)["result"][0]
    shots, got = NODES["GatewayShotsFromText"]().shots(text, count)
    assert got == 6 and all("lighthouse keeper" in shot for shot in shots)
    sent = emulator.calls("opencomputing", "/chat/completions")[-1].json
    assert "exactly 6 shots" in json.dumps(sent)


# -- the Gateway tasks panel lists a run's shots together -----------------------------------

def tasks_page() -> list[dict]:
    """The jobs GET /model_gateway/tasks answers, on an aiohttp app with the pack's routes."""
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    async def go():
        routes = web.RouteTableDef()
        submodule("nodes.routes").register(routes)
        app = web.Application()
        app.add_routes(routes)
        async with TestClient(TestServer(app)) as client:
            response = await client.get("/model_gateway/tasks")
            assert response.status == 200, await response.text()
            return (await response.json())["jobs"]
    return asyncio.run(go())


def panel_groups(jobs: list[dict]) -> list[list[dict]]:
    """The panel's grouping (web/js/lib/format.js byRun) of those entries, run by node."""
    import shutil
    import subprocess
    from pathlib import Path

    if not shutil.which("node"):
        pytest.skip("node is not installed")
    format_js = Path(__file__).resolve().parent.parent / "web" / "js" / "lib" / "format.js"
    script = (f"import {{ byRun }} from {json.dumps(format_js.as_uri())};\n"
              "let input = ''; process.stdin.on('data', (d) => { input += d; });\n"
              "process.stdin.on('end', () => process.stdout.write("
              "JSON.stringify(byRun(JSON.parse(input)))));\n")
    done = subprocess.run(["node", "--input-type=module", "-e", script], input=json.dumps(jobs),
                          capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def test_tasks_panel_lists_a_runs_shots_together_in_shot_order(mapping, emulator):
    from conftest import NODES as sync_nodes
    film(mapping, [f"run A shot {i}: a kite over the dunes" for i in range(3)], "prompt-A")
    alone = sync_nodes["OpenComputingTextToVideo"]().submit(prompt="one clip between the runs",
                                                            seed=3, **VIDEO)[0]
    sync_nodes["GatewayAwaitVideo"]().wait(alone, **AWAIT)
    film(mapping, [f"run B shot {i}: a kite over the dunes" for i in range(4)], "prompt-B")

    jobs = [job for job in tasks_page() if job.get("kind") == "video"]
    assert len(jobs) == 8
    by_prompt = {job["prompt"].split(":")[0]: job for job in jobs}
    for run, count in (("A", 3), ("B", 4)):
        for shot in range(count):
            entry = by_prompt[f"run {run} shot {shot}"]
            assert (entry["run"], entry["shot"], entry["shots"]) == (f"prompt-{run}", shot + 1,
                                                                     count), entry
    single = next(job for job in jobs if job["task_id"] == alone.jobs[0].task_id)
    assert "shot" not in single and "shots" not in single
    # newest first, the list alone does not put a run's shots in order
    listed = [(job.get("run"), job.get("shot")) for job in jobs]
    assert listed != sorted(listed, key=lambda pair: (pair[0] or "", pair[1] or 0))

    groups = [[(job.get("run"), job.get("shot"), job.get("shots")) for job in group]
              for group in panel_groups(jobs)]
    run_b = [("prompt-B", shot, 4) for shot in range(1, 5)]
    run_a = [("prompt-A", shot, 3) for shot in range(1, 4)]
    # run B is newest, then the single job, then run A: each run one group, in shot order
    assert groups == [run_b, [(single.get("run"), None, None)], run_a], groups
