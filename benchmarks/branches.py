"""Wall time of independent branches in a real ComfyUI: a workflow with 4 branches over the same
workflow with 1, for video (OpenComputing Text to Video → Gateway Await Video) and for LLM
nodes. With coroutine nodes the branches wait side by side, so the ratio is close to 1.

Run: python3 benchmarks/branches.py --comfyui PATH [--python PATH/.venv/bin/python] [--runs 2]

PATH is a ComfyUI folder (../shared/comfyui/setup.sh builds one to run on the CPU; never commit
ComfyUI's code). The script starts it on 127.0.0.1 with this pack linked into a temporary
base directory, in sandbox mode (no keys, nothing paid: the gateways are the pack's emulator,
whose jobs take 4.5 s), posts API-format prompts with fresh seeds (the journal would reuse a
repeated request), waits for each to finish over /history, and stops ComfyUI at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def video_branch(first_id: int, seed: int) -> dict:
    submit, wait = str(first_id), str(first_id + 1)
    return {
        submit: {"class_type": "OpenComputingTextToVideo", "inputs": {
            "model": "Seedance 2.0 (Doubao)", "prompt": f"a paper boat, take {seed}",
            "duration": 0, "resolution": "default", "ratio": "default", "size": "default",
            "negative_prompt": "", "off_peak": False, "seed": seed}},
        wait: {"class_type": "GatewayAwaitVideo", "inputs": {
            "task": [submit, 0], "timeout": 600, "max_frames": 0, "frame_step": 1,
            "max_side": 1024}},
    }


def llm_branch(first_id: int, seed: int) -> dict:
    chat, show = str(first_id), str(first_id + 1)
    return {
        chat: {"class_type": "SeaCloudLLM", "inputs": {
            "protocol": "chat_completions", "model": "gpt-4.1",
            "prompt": f"describe a harbour at dawn, take {seed}", "system_prompt": "",
            "temperature": 0.7, "top_p": 1.0, "max_tokens": 200, "seed": seed,
            "stream": True}},
        show: {"class_type": "PreviewAny", "inputs": {"source": [chat, 0]}},  # an output
    }


def prompt(branch, count: int) -> dict:
    graph = {}
    for index in range(count):
        graph.update(branch(10 * (index + 1), random.randrange(1, 2**31 - 1)))
    return graph


class ComfyUI:
    def __init__(self, folder: Path, python: str):
        self.folder, self.python = folder, python
        self.port = _free_port()
        self.base = Path(tempfile.mkdtemp(prefix="mg-branches-"))
        (self.base / "custom_nodes").mkdir()
        (self.base / "user").mkdir()
        (self.base / "custom_nodes" / "model_gateway_nodes").symlink_to(ROOT)
        self.process = None

    def __enter__(self):
        env = {**os.environ, "MODEL_GATEWAY_SANDBOX": "1"}
        for name in ("MODEL_GATEWAY_POLL_SCALE", "MODEL_GATEWAY_TIMEOUT_SCALE"):
            env.pop(name, None)
        self.log = open(self.base / "comfyui.log", "w")
        self.process = subprocess.Popen(
            [self.python, "main.py", "--cpu", "--listen", "127.0.0.1", "--port", str(self.port),
             "--base-directory", str(self.base), "--user-directory", str(self.base / "user")],
            cwd=self.folder, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                self.get("/object_info/GatewayAwaitVideo")
                return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(1)
        self.log.close()
        raise SystemExit(f"ComfyUI did not start; see {self.base / 'comfyui.log'}")

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        shutil.rmtree(self.base, ignore_errors=True)

    def get(self, path: str):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
            return json.loads(r.read())

    def run(self, graph: dict) -> float:
        data = json.dumps({"prompt": graph, "client_id": "branches-benchmark"}).encode()
        started = time.monotonic()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/prompt", data=data,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                prompt_id = json.loads(r.read())["prompt_id"]
        except urllib.error.HTTPError as error:
            raise SystemExit(f"ComfyUI refused the prompt: {error.read()[:800]!r}") from None
        while time.monotonic() - started < 600:
            entry = self.get(f"/history/{prompt_id}").get(prompt_id)
            if entry and entry.get("status", {}).get("completed") is not None:
                status = entry["status"]
                if status.get("status_str") != "success":
                    raise SystemExit(f"the prompt failed: {json.dumps(status)[:600]}")
                return time.monotonic() - started
            time.sleep(0.1)
        raise SystemExit("the prompt did not finish within 600 s")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comfyui", required=True, type=Path, help="a ComfyUI folder")
    parser.add_argument("--python", help="its Python (default: PATH/.venv/bin/python)")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    python = args.python or str(args.comfyui / ".venv" / "bin" / "python")
    with ComfyUI(args.comfyui, python) as comfy:
        comfy.run(prompt(llm_branch, 1))  # warm up: the first run loads the pack's modules
        print(f"ComfyUI at {args.comfyui}, sandbox mode, {args.runs} runs each (median)\n")
        print(f"{'branches':28}{'1 branch':>10}{'4 branches':>12}{'ratio':>8}")
        for name, branch in (("video: text to video → await", video_branch),
                             ("LLM (streamed)", llm_branch)):
            one = statistics.median(comfy.run(prompt(branch, 1)) for _ in range(args.runs))
            four = statistics.median(comfy.run(prompt(branch, 4)) for _ in range(args.runs))
            print(f"{name:28}{one:>9.1f}s{four:>11.1f}s{four / one:>7.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
