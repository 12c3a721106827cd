"""Wall time of a multi-shot film in a real ComfyUI: the storyboard → film chain (Shots System
Prompt → OpenComputing LLM → Shots From LLM Answer → OpenComputing Text to Video per shot →
Gateway Await Video per shot → Join Video Shots → Save Video) with 8 shots against the same
with 1. ComfyUI runs the per-shot nodes once per shot, side by side, so the target is a ratio
of at most 1.5.

Run: python3 benchmarks/film_shots.py --comfyui PATH [--runs 2] [--port 8297]

PATH is a ComfyUI folder with its venv in .venv. ComfyUI is started on 127.0.0.1 with this pack
linked into a temporary base directory, in sandbox mode (nothing paid; the emulator's video jobs
take 4.5 s, like a short real queue), prompts are posted over the API with fresh seeds (the
journal would reuse a repeated request), each is waited for over /history.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import comfyui_run  # noqa: E402

IDEA = "A paper boat's journey from a rain gutter to the open sea."


def one_run(comfy, shots: int, max_frames: int) -> float:
    seed = random.randrange(1, 2**31 - 1)
    seconds, _ = comfy.run(comfyui_run.film_graph(IDEA, shots, seed, join=True,
                                                  max_frames=max_frames))
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comfyui", required=True, type=Path)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--port", type=int, default=8297)
    args = parser.parse_args()
    env = {"MODEL_GATEWAY_SANDBOX": "1"}
    comfy = comfyui_run.ComfyUI(args.comfyui, args.port, env=env)
    for name in ("MODEL_GATEWAY_POLL_SCALE", "MODEL_GATEWAY_TIMEOUT_SCALE",
                 "MODEL_GATEWAY_DATA_DIR", "MODEL_GATEWAY_KEYS_FILE"):
        comfy.env.pop(name, None)
    rows = []
    with comfy:
        one_run(comfy, 1, 0)  # warm up: the first run loads the pack's modules and PyAV
        # max_frames 1: the example's await node (the join takes the kept files, not frames);
        # max_frames 0: every shot also decoded into frames
        for max_frames in (1, 0):
            one = [one_run(comfy, 1, max_frames) for _ in range(args.runs)]
            eight = [one_run(comfy, 8, max_frames) for _ in range(args.runs)]
            rows.append((max_frames, statistics.median(one), statistics.median(eight)))
    print(f"ComfyUI at {args.comfyui}, sandbox mode, the whole chain including the LLM, the "
          f"join and Save Video; median of {args.runs} runs\n")
    print(f"{'Gateway Await Video':32}{'1 shot':>9}{'8 shots':>10}{'ratio':>8}")
    for max_frames, a, b in rows:
        what = "max_frames 1 (the example)" if max_frames == 1 else "max_frames 0 (all decoded)"
        print(f"{what:32}{a:>8.1f}s{b:>9.1f}s{b / a:>7.2f}×")
    print("\ntarget: 8 shots at most 1.5× the wall time of 1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
