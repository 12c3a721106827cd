"""Budgets at queue time in a real ComfyUI (COMFYUI_DIR, as ../shared/comfyui/setup.sh builds
it; skipped without): a prompt posted over the API whose paid node would pass its budget is
refused by ComfyUI's own validation with a node error, and nothing is sent; one that fits runs."""
from __future__ import annotations

import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT

COMFYUI_DIR = os.environ.get("COMFYUI_DIR", "").strip()
pytestmark = pytest.mark.skipif(not COMFYUI_DIR, reason="set COMFYUI_DIR to a ComfyUI folder")
PRICES = {"seacloud": {"nano_banana_2": {"per_image": 0.04}}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prompt(seed: int) -> dict:
    return {"1": {"class_type": "SeaCloudSubmit",
                  "inputs": {"model_id": "nano_banana_2", "prompt": "a red kite over dunes",
                             "params_json": "{}", "seed": seed, "count": 1,
                             "custom_model_id": ""}},
            "2": {"class_type": "GatewayAwaitImages", "inputs": {"task": ["1", 0],
                                                                 "timeout": 120}},
            "3": {"class_type": "PreviewImage", "inputs": {"images": ["2", 0]}}}


def post(url: str, path: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


@pytest.fixture
def comfyui(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "tools"))
    from browser_check import ComfyUI
    monkeypatch.setenv("MODEL_GATEWAY_PRICES", json.dumps(PRICES))
    monkeypatch.setenv("MODEL_GATEWAY_BUDGETS", json.dumps({"seacloud": {"day": 0.06}}))
    server = ComfyUI(Path(COMFYUI_DIR), free_port(), None, tmp_path, "queue").start()
    yield server
    server.stop()


def test_a_prompt_over_budget_is_refused_at_queue_time_and_one_that_fits_runs(comfyui):
    status, answer = post(comfyui.url, "/prompt", {"prompt": prompt(1)})
    assert status == 200, answer
    deadline = time.time() + 120
    while time.time() < deadline:
        history = comfyui.get(f"/history/{answer['prompt_id']}")
        if history.get(answer["prompt_id"], {}).get("status", {}).get("completed"):
            break
        time.sleep(0.5)
    else:
        pytest.fail("the prompt within budget did not finish")
    spent = comfyui.get("/model_gateway/money")["spent"]["seacloud"]
    assert spent["day"] == pytest.approx(0.04)

    # $0.02 left of $0.06: a second run of $0.04 is refused by ComfyUI's validation
    status, refused = post(comfyui.url, "/prompt", {"prompt": prompt(2)})
    assert status == 400, refused
    errors = refused["node_errors"]["1"]["errors"]
    text = " ".join(e["details"] for e in errors)
    assert "day budget of $0.06" in text and "spent $0.04 today" in text, text
    assert "MODEL_GATEWAY_BUDGETS" in text
    # the page names the input that refused: the hidden `budget`, not `unique_id`
    assert [e["extra_info"]["input_name"] for e in errors] == ["budget"], errors
    assert text.startswith("budget - "), text
    assert list(refused["node_errors"]) == ["1"]
    jobs = comfyui.get("/model_gateway/tasks")["jobs"]
    assert len(jobs) == 1  # the refused prompt sent nothing


def test_a_run_the_gptunnel_balance_cannot_cover_is_refused_at_queue_time(comfyui):
    """The sandbox's GPTunnel account (₽500, billing.SANDBOX_BALANCE) against a price of ₽400 an
    image: one image fits, two do not. The page's money route has read the balance; ComfyUI's
    validation refuses the run with a node error and nothing is sent."""
    status, _ = post(comfyui.url, "/model_gateway/money",
                     {"prices": {"gptunnel": {"seedream-3": {"per_image": 400}}}})
    assert status == 200
    left = comfyui.get("/model_gateway/money")["balance"]["gptunnel"]
    assert (left["amount"], left["sign"]) == (500.0, "₽")
    seedream = {"1": {"class_type": "GPTunnelSeedream3Submit",
                      "inputs": {"prompt": "a lighthouse", "ar": "1:1", "seed": 3, "count": 2}},
                "2": {"class_type": "GatewayAwaitImages", "inputs": {"task": ["1", 0],
                                                                     "timeout": 120}},
                "3": {"class_type": "PreviewImage", "inputs": {"images": ["2", 0]}}}
    status, refused = post(comfyui.url, "/prompt", {"prompt": seedream})
    assert status == 400, refused
    text = " ".join(e["details"] for e in refused["node_errors"]["1"]["errors"])
    assert "₽800" in text and "balance of ₽500" in text and "Top up your GPTunnel balance" in text
    assert comfyui.get("/model_gateway/tasks")["jobs"] == []
