"""A real ComfyUI with only this pack, run over its API: start it on 127.0.0.1 (a temporary base
and user folder, the pack linked in), post API-format prompts, wait for each over /history, stop
it. Used by benchmarks/film_shots.py and tests/test_film_comfyui.py; never a pack dependency.

The environment decides where the gateways are: MODEL_GATEWAY_SANDBOX=1 for the emulator inside
ComfyUI, or the gateways' base-URL and key variables pointed at an emulator of the caller's.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class RunFailed(RuntimeError):
    def __init__(self, entry: dict):
        self.entry = entry
        messages = entry.get("status", {}).get("messages", [])
        errors = [data for kind, data in messages if kind == "execution_error"]
        self.error = errors[0] if errors else {}
        super().__init__(f"the prompt failed: {json.dumps(self.error or entry.get('status'))[:800]}")


class ComfyUI:
    def __init__(self, folder: Path, port: int, env: dict | None = None,
                 python: str | None = None, drop: tuple[str, ...] = ()):
        """`env` is added to this process's environment, and the names in `drop` are taken out
        of it (a test's scaled poll interval would distort a benchmark)."""
        self.folder = Path(folder)
        self.python = python or str(self.folder / ".venv" / "bin" / "python")
        self.port = port
        self.env = {k: v for k, v in {**os.environ, **(env or {})}.items() if k not in drop}
        self.base = Path(tempfile.mkdtemp(prefix="mg-comfyui-"))
        (self.base / "custom_nodes").mkdir()
        (self.base / "user").mkdir()
        (self.base / "custom_nodes" / "model_gateway_nodes").symlink_to(ROOT)
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "ComfyUI":
        self.log = open(self.base / "comfyui.log", "w")
        self.process = subprocess.Popen(
            [self.python, "main.py", "--cpu", "--listen", "127.0.0.1", "--port", str(self.port),
             "--base-directory", str(self.base), "--user-directory", str(self.base / "user")],
            cwd=self.folder, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                self.get("/object_info/GatewayAwaitVideo")
                return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(1)
        self.log.close()
        raise RuntimeError(f"ComfyUI did not start; see {self.base / 'comfyui.log'}")

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        if not os.environ.get("MODEL_GATEWAY_KEEP_COMFYUI_BASE"):
            shutil.rmtree(self.base, ignore_errors=True)

    @property
    def output(self) -> Path:
        return self.base / "output"

    def get(self, path: str):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
            return json.loads(r.read())

    def queue(self, graph: dict) -> str:
        data = json.dumps({"prompt": graph, "client_id": "model-gateway-run"}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/prompt", data=data,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                return json.loads(r.read())["prompt_id"]
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"ComfyUI refused the prompt: {error.read()[:800]!r}") from None

    def wait(self, prompt_id: str, timeout: float = 600) -> dict:
        """The prompt's /history entry once it completed; RunFailed when it failed."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            entry = self.get(f"/history/{prompt_id}").get(prompt_id)
            if entry and entry.get("status", {}).get("completed") is not None:
                if entry["status"].get("status_str") != "success":
                    raise RunFailed(entry)
                return entry
            time.sleep(0.1)
        raise TimeoutError(f"the prompt did not finish within {timeout:g} s")

    def run(self, graph: dict, timeout: float = 600) -> tuple[float, dict]:
        """(wall seconds from posting to completion, the history entry)."""
        started = time.monotonic()
        entry = self.wait(self.queue(graph), timeout)
        return time.monotonic() - started, entry


def film_graph(idea: str, shots: int, seed: int, *, join: bool = False, max_frames: int = 0,
               llm_model: str | None = None, video_model: str = "Seedance 2.0 (Doubao)") -> dict:
    """API format of the storyboard → film chain: Shots System Prompt → OpenComputing LLM →
    Shots From LLM Answer → OpenComputing Text to Video (per shot) → Gateway Await Video (per
    shot), and with `join`, → Join Video Shots → Save Video."""
    graph = {
        "1": {"class_type": "GatewayShotsPrompt", "inputs": {"count": shots, "style": ""}},
        "2": {"class_type": "OpenComputingLLM", "inputs": {
            "model": llm_model or "qwen3-max", "prompt": idea, "system_prompt": ["1", 0],
            "temperature": 0.7, "top_p": 1.0, "max_tokens": 1500, "seed": seed,
            "stream": False}},
        "3": {"class_type": "GatewayShotsFromText", "inputs": {"answer": ["2", 0],
                                                              "count": ["1", 1]}},
        "4": {"class_type": "OpenComputingTextToVideo", "inputs": {
            "model": video_model, "prompt": ["3", 0], "duration": 0, "resolution": "default",
            "ratio": "default", "size": "default", "negative_prompt": "", "off_peak": False,
            "seed": seed}},
        "5": {"class_type": "GatewayAwaitVideo", "inputs": {
            "task": ["4", 0], "timeout": 600, "max_frames": max_frames, "frame_step": 1,
            "max_side": 1024}},
    }
    if join:
        graph["6"] = {"class_type": "GatewayJoinVideos", "inputs": {"videos": ["5", 3]}}
        graph["7"] = {"class_type": "SaveVideo", "inputs": {
            "video": ["6", 0], "filename_prefix": "model_gateway/film", "format": "auto",
            "codec": "auto"}}
    return graph
