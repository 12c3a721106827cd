"""A multi-shot film in a real ComfyUI (COMFYUI_DIR; skipped without it): the storyboard chain
posted over ComfyUI's API, ComfyUI itself mapping the shot list over the submit and await
nodes and caching between runs, against this test's emulator (so faults can be scripted):
8 shots are 8 jobs; one refused create fails one shot while seven are kept; the next run
sends exactly one create."""
from __future__ import annotations

import os
import sys

import pytest

from conftest import ROOT

COMFYUI_DIR = os.environ.get("COMFYUI_DIR", "").strip()
PORT = int(os.environ.get("MODEL_GATEWAY_TEST_COMFYUI_PORT", "8298"))
pytestmark = pytest.mark.skipif(not COMFYUI_DIR, reason="set COMFYUI_DIR to a ComfyUI folder "
                                                        "to run the pack in a real ComfyUI")
sys.path.insert(0, str(ROOT / "tools"))
import comfyui_run  # noqa: E402


def creates(emulator):
    return [c for c in emulator.calls("opencomputing", "/llmage/video")
            if c.method == "POST" and c.handled]


def test_a_film_of_eight_shots_in_a_real_comfyui(emulator, tmp_path):
    emulator.jobs.run_seconds = 1.0
    graph = comfyui_run.film_graph("a lighthouse keeper's last night", 8, seed=11)
    with comfyui_run.ComfyUI(COMFYUI_DIR, PORT) as comfy:
        # one create refused outright (HTTP 500): that shot fails, the other seven are kept
        emulator.fault("opencomputing", "/llmage/video", "500", times=1)
        with pytest.raises(comfyui_run.RunFailed) as caught:
            comfy.run(graph)
        error = caught.value.error
        assert error.get("node_id") == "5", error  # the await node of that shot
        assert "of 8:" in error.get("exception_message", ""), error
        assert len(creates(emulator)) == 7
        # ComfyUI runs it again: the LLM's answer and seven jobs reused, one create sent
        _, entry = comfy.run(graph)
        assert len(creates(emulator)) == 8
        outputs = entry["outputs"]["5"]
        assert len(outputs["images"]) == 8  # each shot's kept video, previewed
        assert len(emulator.calls("opencomputing", "/chat/completions")) == 1
        # and a third run changes nothing and sends nothing
        comfy.run(graph)
        assert len(creates(emulator)) == 8
    sent = creates(emulator)
    assert len({c.body for c in sent}) == 8  # eight distinct requests
