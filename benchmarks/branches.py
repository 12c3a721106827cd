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
import random
import socket
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import comfyui_run  # noqa: E402


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
    env = {"MODEL_GATEWAY_SANDBOX": "1"}
    with comfyui_run.ComfyUI(args.comfyui, _free_port(), env=env, python=args.python,
                             drop=("MODEL_GATEWAY_POLL_SCALE",
                                   "MODEL_GATEWAY_TIMEOUT_SCALE")) as comfy:
        seconds = lambda graph: comfy.run(graph)[0]  # noqa: E731
        seconds(prompt(llm_branch, 1))  # warm up: the first run loads the pack's modules
        print(f"ComfyUI at {args.comfyui}, sandbox mode, {args.runs} runs each (median)\n")
        print(f"{'branches':28}{'1 branch':>10}{'4 branches':>12}{'ratio':>8}")
        for name, branch in (("video: text to video → await", video_branch),
                             ("LLM (streamed)", llm_branch)):
            one = statistics.median(seconds(prompt(branch, 1)) for _ in range(args.runs))
            four = statistics.median(seconds(prompt(branch, 4)) for _ in range(args.runs))
            print(f"{name:28}{one:>9.1f}s{four:>11.1f}s{four / one:>7.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
